//! The page leaves natively: the stored JSON of the page's resources projected (`attributes`,
//! `excludedAttributes`, `returned`: RFC 7644 §3.4.2.5, RFC 7643 §7, docs/semantics.md §Query) and encoded
//! as one `ListResponse` (RFC 7644 §3.4.2), without a Python object per resource.
//!
//! A [`Projection`] is decided in Python (`scimcore.store.native`: which attributes and sub-attributes one
//! request keeps, from the schema's `returned` and the request's selection) and applied here with the rules
//! of `scimcore.query`'s projection: a `null` attribute or sub-attribute is dropped, a complex value keeps the
//! sub-attributes its rule keeps (an element left empty is dropped, then a list left empty), `schemas` is
//! written first when missing and names only the extensions present. A key repeated in one object keeps its
//! first position and its last value (as a Python `dict` does), so the output is the JSON `Directory.search`
//! would give, once parsed.
//!
//! Writing a page is mostly reading: only what a rule must change is parsed. A top-level member kept as it
//! is stored (a simple attribute, or a complex one keeping every sub-attribute, without a `null`) is copied
//! as stored, key to value, with its neighbours at once; a dropped one is stepped over; the rules of each
//! key are remembered by position from one resource to the next (the resources of a store mostly share
//! their keys and order). Everything else is re-encoded compactly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// FNV-1a: attribute names are short, where `SipHash` costs more than the lookup.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// A map from lower-case attribute names (their UTF-8 bytes).
pub type Names<T> = HashMap<Box<[u8]>, T, BuildHasherDefault<Fnv>>;

/// What one attribute keeps (decided per request).
#[derive(Debug, Clone, Default)]
pub struct Rule {
    /// Output the attribute at all.
    pub keep: bool,
    /// Apply the sub-attribute rules to its value (a complex attribute).
    pub complex: bool,
    /// Sub-attribute (lower-case name) → kept.
    pub subs: Names<bool>,
    /// Whether a sub-attribute the schema does not define is kept.
    pub unknown_sub: bool,
}

/// The attributes of the base schema or of one extension.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Attribute (lower-case name) → its rule.
    pub attrs: Names<Rule>,
    /// Whether an attribute the schema does not define is kept.
    pub unknown: bool,
}

/// One request's projection of resources of one type.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    base_schema: Box<str>,
    base: Scope,
    /// `(URN as the schema spells it, its attributes)`, matched case-insensitively.
    extensions: Vec<(Box<str>, Scope)>,
    /// The extension URNs in lower case, same order.
    lowered: Vec<Box<[u8]>>,
}

/// A parsed JSON value borrowing the stored bytes: scalars stay as their source text.
#[derive(Debug)]
enum Json<'a> {
    /// A number, `true`, `false` or a string (with its quotes and escapes, as stored), or an attribute's
    /// value kept whole, as stored (not parsed).
    Scalar(&'a [u8]),
    Null,
    Array(Vec<Json<'a>>),
    /// Members, duplicates already merged.
    Object(Vec<Member<'a, Json<'a>>>),
}

/// An object's member: its key decoded (UTF-8, for matching), its key as stored (for output), and `T`.
type Member<'a, T> = (Cow<'a, [u8]>, &'a [u8], T);

/// Where a top-level member's rules come from.
#[derive(Clone, Copy)]
enum Owner<'p> {
    /// The base schema: the attribute's rule, `None` for one the schema does not define.
    Base(Option<&'p Rule>),
    /// The extension at this index.
    Extension(usize),
}

/// How a top-level member's value is read.
#[derive(Clone, Copy)]
enum How {
    /// Parsed: its rules may change it.
    Parse,
    /// As its source text, parsed only if it holds a `null` (kept whole).
    Source,
    /// Stepped over (dropped).
    Skip,
}

/// The rules found for the keys of the last resource written, by position (top-level, and in each
/// extension): the resources of one store mostly hold the same keys in the same order, so a key is looked up
/// only where it differs from the one at its position before.
struct Memo<'p> {
    /// (`location` is the same for every resource of a page, so how a key's value is read is too.)
    top: Slots<(Owner<'p>, How)>,
    extensions: Vec<Slots<Option<&'p Rule>>>,
}

/// What was found for the keys at each position: `(key, found)`.
type Slots<T> = Vec<(Box<[u8]>, T)>;

/// A top-level member as read: its value, the rules that apply to it, where it is stored (key to value).
type Read<'a, 'p> = Member<'a, (Json<'a>, Owner<'p>, Range<usize>)>;

/// A member output: its projected value, where it is stored (key to value).
type Kept<'a> = Member<'a, (Json<'a>, Range<usize>)>;

/// The buffers of one resource's projection, kept for the next (cleared, not freed).
struct Scratch<'a, 'p> {
    members: Vec<Read<'a, 'p>>,
    kept: Vec<Kept<'a>>,
    /// The extensions output, by index.
    present: Vec<usize>,
}

/// What `find` gives for `key`, the key at position `at`: remembered in `slots` if `key` was there before.
fn remembered<T: Copy>(slots: &mut Slots<T>, at: usize, key: &[u8], find: impl FnOnce() -> T) -> T {
    if let Some((known, found)) = slots.get(at) {
        if **known == *key {
            return *found;
        }
    }
    let found = find();
    if at < slots.len() {
        slots[at] = (key.into(), found);
    } else if at == slots.len() {
        slots.push((key.into(), found));
    }
    found
}

/// Keep `value` under `key`: a repeated key keeps its first position and takes the last value, as a Python
/// `dict` does. `seen` has a bit set for each key put, by its length and last byte: the members are searched
/// for `key` only when its bit was set before (in a resource's few keys, a repeat or a rare collision).
fn put<'a, T>(members: &mut Vec<Member<'a, T>>, seen: &mut u64, key: Cow<'a, [u8]>, raw: &'a [u8], value: T) {
    let bit = 1u64 << ((key.len() ^ usize::from(key.last().copied().unwrap_or(0))) & 63);
    let repeated = *seen & bit != 0;
    *seen |= bit;
    if repeated {
        if let Some(member) = members.iter_mut().find(|m| m.0 == key) {
            member.2 = value;
            return;
        }
    }
    members.push((key, raw, value));
}

const MAX_DEPTH: usize = 512;

/// Where the first `"` or `\\` of `bytes` is, eight bytes at a time (strings are short: this beats a
/// vectorised search's set-up; `bytes` runs to the resource's end, not the string's).
#[inline]
fn quote_or_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // the high bit of each zero byte of `x` (above a zero byte, others may be set: only the lowest is read)
    let zeros = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    // the first of the eight bytes of `word` that is a `"` or a `\\`
    let first = |word: u64| {
        let found = zeros(word ^ (ONES * u64::from(b'"'))) | zeros(word ^ (ONES * u64::from(b'\\')));
        (found != 0).then(|| found.trailing_zeros() as usize / 8)
    };
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        if let Some(i) = first(u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default())) {
            return Some(at + i);
        }
        at += 8;
    }
    // the last bytes (of a resource: the search runs past a string's end)
    bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|i| at + i)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string token (at `"`) with its quotes; `escaped` when it holds a backslash.
    #[inline]
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        let start = self.at;
        if self.bytes.get(start) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        let mut escaped = false;
        loop {
            self.at += quote_or_escape(self.bytes.get(self.at..)?)?;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Some((&self.bytes[start..self.at], escaped));
            }
            escaped = true;
            self.at += 2;
        }
    }

    /// An object's members (at `{`): `value` reads each one's value after its key (decoded, as stored, and
    /// where it starts).
    fn members(
        &mut self,
        mut value: impl FnMut(&mut Self, Cow<'a, [u8]>, &'a [u8], usize) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.skip_space();
            let start = self.at;
            let (raw, escaped) = self.string()?;
            let inner = &raw[1..raw.len() - 1];
            let key: Cow<'a, [u8]> = if escaped {
                Cow::Owned(serde_json::from_slice::<String>(raw).ok()?.into_bytes())
            } else if inner.is_ascii() {
                Cow::Borrowed(inner)
            } else {
                Cow::Borrowed(std::str::from_utf8(inner).ok()?.as_bytes())
            };
            self.eat(b':')?;
            value(self, key, raw, start)?;
            if self.eat(b',').is_none() {
                return self.eat(b'}');
            }
        }
    }

    /// An object (at `{`), parsed.
    fn object(&mut self, depth: usize) -> Option<Json<'a>> {
        let mut members = Vec::new();
        let mut seen = 0;
        self.members(|reader, key, raw, _| {
            let value = reader.value(depth + 1)?;
            put(&mut members, &mut seen, key, raw, value);
            Some(())
        })?;
        Some(Json::Object(members))
    }

    /// Step over an object or array (at `{` or `[`); whether a `null` is in it.
    fn span(&mut self, depth: usize) -> Option<bool> {
        let mut open = 0usize;
        let mut null = false;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                // outside strings, only `null` starts with `n`
                b'n' => null = true,
                b'{' | b'[' => {
                    open += 1;
                    if depth + open > MAX_DEPTH {
                        return None;
                    }
                }
                b'}' | b']' => {
                    open -= 1;
                    if open == 0 {
                        self.at += 1;
                        return Some(null);
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// A value as its source text (`Scalar`), or `Null`: an object or array is stepped over, not parsed,
    /// unless it holds a `null` (which a projection drops: then it is parsed).
    fn source(&mut self, depth: usize) -> Option<Json<'a>> {
        if !matches!(self.peek()?, b'{' | b'[') {
            return self.value(depth);
        }
        let start = self.at;
        if self.span(depth)? {
            self.at = start;
            return self.value(depth);
        }
        Some(Json::Scalar(&self.bytes[start..self.at]))
    }

    /// Step over a value that is dropped.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if matches!(self.peek()?, b'{' | b'[') {
            self.span(depth).map(drop)
        } else {
            self.value(depth).map(drop)
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',').is_none() {
                        self.eat(b']')?;
                        return Some(Json::Array(items));
                    }
                }
            }
            b'"' => Some(Json::Scalar(self.string()?.0)),
            _ => {
                let start = self.at;
                while let Some(b) = self.bytes.get(self.at) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
                let token = &self.bytes[start..self.at];
                match token {
                    b"null" => Some(Json::Null),
                    b"" => None,
                    _ => Some(Json::Scalar(token)),
                }
            }
        }
    }
}

fn write(value: &Json<'_>, out: &mut Vec<u8>) {
    match value {
        Json::Scalar(raw) => out.extend_from_slice(raw),
        Json::Null => out.extend_from_slice(b"null"),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Json::Object(members) => {
            out.push(b'{');
            for (i, (_, raw, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(raw);
                out.push(b':');
                write(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Call `then` with `key` (UTF-8) in lower case (on the stack for short ASCII keys, the usual case).
#[inline]
fn with_lower<T>(key: &[u8], then: impl FnOnce(&[u8]) -> T) -> T {
    let mut buffer = [0u8; 64];
    if key.len() <= buffer.len() && key.is_ascii() {
        let lowered = &mut buffer[..key.len()];
        for (l, b) in lowered.iter_mut().zip(key) {
            *l = b.to_ascii_lowercase();
        }
        then(lowered)
    } else {
        then(String::from_utf8_lossy(key).to_lowercase().as_bytes())
    }
}

impl Rule {
    /// Is a value without `null`s kept as it is (a simple attribute, or a complex one keeping every
    /// sub-attribute)?
    fn whole(&self) -> bool {
        self.keep && (!self.complex || (self.unknown_sub && self.subs.values().all(|&kept| kept)))
    }

    /// The kept part of a value (`None`: dropped).
    fn apply<'a>(&self, value: Json<'a>) -> Option<Json<'a>> {
        if !self.keep || matches!(value, Json::Null) {
            return None;
        }
        if !self.complex {
            return Some(value);
        }
        match value {
            Json::Array(items) => {
                let was_empty = items.is_empty();
                let kept: Vec<Json<'a>> = items.into_iter().filter_map(|e| self.element(e)).collect();
                (!kept.is_empty() || was_empty).then_some(Json::Array(kept))
            }
            other => self.element(other),
        }
    }

    fn element<'a>(&self, element: Json<'a>) -> Option<Json<'a>> {
        let Json::Object(members) = element else {
            return Some(element);
        };
        let was_empty = members.is_empty();
        let kept: Vec<_> = members
            .into_iter()
            .filter(|(key, _, item)| {
                !matches!(item, Json::Null)
                    && with_lower(key, |k| self.subs.get(k).copied().unwrap_or(self.unknown_sub))
            })
            .collect();
        (!kept.is_empty() || was_empty).then_some(Json::Object(kept))
    }
}

impl Scope {
    /// The kept part of an attribute's value, by its rule (`None`: one the schema does not define).
    fn keep<'a>(&self, rule: Option<&Rule>, value: Json<'a>) -> Option<Json<'a>> {
        match rule {
            Some(rule) => rule.apply(value),
            None => (self.unknown && !matches!(value, Json::Null)).then_some(value),
        }
    }

    fn rule(&self, key: &[u8]) -> Option<&Rule> {
        with_lower(key, |k| self.attrs.get(k))
    }
}

impl Projection {
    /// The projection of resources whose base schema is `base_schema`, with `extensions` (URN and scope,
    /// in the resource type's order).
    #[must_use]
    pub fn new(base_schema: Box<str>, base: Scope, extensions: Vec<(Box<str>, Scope)>) -> Projection {
        let lowered = extensions
            .iter()
            .map(|(urn, _)| urn.to_lowercase().into_bytes().into_boxed_slice())
            .collect();
        Projection {
            base_schema,
            base,
            extensions,
            lowered,
        }
    }

    /// The extension whose URN is `key` in any case (its index).
    fn extension_at(&self, key: &[u8]) -> Option<usize> {
        if self.lowered.is_empty() || !key.contains(&b':') {
            return None; // an extension is named by its URN
        }
        if key.is_ascii() {
            return self.lowered.iter().position(|urn| urn.eq_ignore_ascii_case(key));
        }
        with_lower(key, |k| self.lowered.iter().position(|urn| **urn == *k))
    }

    /// The rules of a top-level member named `key`, and how its value is read.
    fn decide(&self, key: &[u8], location: Option<&str>) -> (Owner<'_>, How) {
        let owner = match self.extension_at(key) {
            Some(at) => Owner::Extension(at),
            None => Owner::Base(self.base.rule(key)),
        };
        let how = match owner {
            Owner::Extension(_) => How::Parse,
            Owner::Base(_) if *key == *b"schemas" || (location.is_some() && *key == *b"meta") => How::Parse,
            Owner::Base(Some(rule)) if !rule.keep => How::Skip,
            Owner::Base(None) if !self.base.unknown => How::Skip,
            Owner::Base(Some(rule)) if !rule.whole() => How::Parse,
            Owner::Base(_) => How::Source,
        };
        (owner, how)
    }

    /// The top-level members of one stored resource (`None`: not a JSON object), each with the rules that
    /// apply to it and where it is stored (key to value), read as little as those rules need: the values of
    /// attributes kept whole are kept as their source text, those of dropped attributes stepped over.
    fn read<'a, 'p>(
        &'p self,
        stored: &'a [u8],
        location: Option<&str>,
        memo: &mut Memo<'p>,
        members: &mut Vec<Read<'a, 'p>>,
    ) -> Option<()> {
        let mut reader = Reader { bytes: stored, at: 0 };
        if reader.peek() != Some(b'{') {
            return None;
        }
        let mut position = 0;
        let mut seen = 0;
        reader.members(|reader, key, raw, start| {
            let (owner, how) = remembered(&mut memo.top, position, &key, || self.decide(&key, location));
            position += 1;
            let value = match how {
                How::Parse => reader.value(1)?,
                How::Source => reader.source(1)?,
                How::Skip => return reader.skip(1),
            };
            put(members, &mut seen, key, raw, (value, owner, start..reader.at));
            Some(())
        })?;
        reader.skip_space();
        (reader.at == stored.len()).then_some(())
    }

    /// Append the projection of one stored resource to `out`; `false` (nothing written) if it is not a JSON
    /// object. With a `location` prefix, a `meta` object left in the output gets `location` = the prefix
    /// followed by the resource's `id` (a service's own URL, RFC 7644 §3.1), in place of a stored one.
    fn write_resource<'a, 'p>(
        &'p self,
        stored: &'a [u8],
        location: Option<&str>,
        memo: &mut Memo<'p>,
        scratch: &mut Scratch<'a, 'p>,
        out: &mut Vec<u8>,
    ) -> bool {
        let Scratch { members, kept, present } = scratch;
        members.clear();
        kept.clear();
        present.clear();
        if self.read(stored, location, memo, members).is_none() {
            return false;
        }
        for (key, raw, (value, owner, span)) in members.drain(..) {
            let projected = match owner {
                Owner::Extension(at) => match value {
                    Json::Object(inner) => {
                        let scope = &self.extensions[at].1;
                        let slots = &mut memo.extensions[at];
                        let inner: Vec<_> = inner
                            .into_iter()
                            .enumerate()
                            .filter_map(|(i, (k, r, v))| {
                                let rule = remembered(slots, i, &k, || scope.rule(&k));
                                scope.keep(rule, v).map(|v| (k, r, v))
                            })
                            .collect();
                        (!inner.is_empty()).then(|| {
                            present.push(at);
                            Json::Object(inner)
                        })
                    }
                    _ => None,
                },
                Owner::Base(rule) => self.base.keep(rule, value),
            };
            if let Some(value) = projected {
                kept.push((key, raw, (value, span)));
            }
        }
        out.push(b'{');
        match kept.iter().position(|(k, _, _)| **k == *b"schemas") {
            None => {
                // schemas is always output: the base schema and the extensions present (exact key).
                out.extend_from_slice(b"\"schemas\":[");
                push_string(&self.base_schema, out);
                for (at, (urn, _)) in self.extensions.iter().enumerate() {
                    if present.contains(&at) && kept.iter().any(|(k, _, _)| **k == *urn.as_bytes()) {
                        out.push(b',');
                        push_string(urn, out);
                    }
                }
                out.push(b']');
                if !kept.is_empty() {
                    out.push(b',');
                }
            }
            Some(at) => {
                // schemas names only the extensions present (RFC 7643 §3).
                let absent = |urn: &Json<'_>| match urn {
                    Json::Scalar(raw) if raw.first() == Some(&b'"') => string_value(raw)
                        .and_then(|u| self.extension_at(u.as_bytes()))
                        .is_some_and(|at| !present.contains(&at)),
                    _ => false,
                };
                // (nothing to drop when every extension is output)
                let every = (0..self.extensions.len()).all(|i| present.contains(&i));
                if let (Json::Array(urns), false) = (&mut kept[at].2 .0, every) {
                    urns.retain(|urn| !absent(urn));
                }
            }
        }
        let id = kept.iter().find_map(|(k, _, (v, _))| match v {
            Json::Scalar(raw) if **k == *b"id" && raw.first() == Some(&b'"') => string_value(raw),
            _ => None,
        });
        write_members(kept, stored, location.zip(id.as_deref()), out);
        out.push(b'}');
        true
    }

    /// The `ListResponse` of a page (RFC 7644 §3.4.2): `totalResults`, `startIndex` (1-based), the
    /// projected resources (a stored document that is not an object is skipped), each `meta.location` made
    /// from `location` when given (the prefix followed by the resource's `id`, in place of a stored one).
    #[must_use]
    pub fn list_response(
        &self,
        total: usize,
        start_index: usize,
        resources: &[impl AsRef<[u8]>],
        location: Option<&str>,
    ) -> Vec<u8> {
        let header = |written: usize| {
            format!(
                "{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"totalResults\":{total},\
                 \"startIndex\":{start_index},\"itemsPerPage\":{written},\"Resources\":["
            )
        };
        // one buffer: the header written for every resource, rewritten in the rare case one is skipped
        let stored: usize = resources.iter().map(|r| r.as_ref().len()).sum();
        let mut out = Vec::with_capacity(stored + resources.len() + 200);
        out.extend_from_slice(header(resources.len()).as_bytes());
        let body = out.len();
        let mut written = 0usize;
        let mut memo = Memo {
            top: Vec::new(),
            extensions: vec![Vec::new(); self.extensions.len()],
        };
        let mut scratch = Scratch {
            members: Vec::new(),
            kept: Vec::new(),
            present: Vec::new(),
        };
        for stored in resources {
            let mark = out.len();
            if written > 0 {
                out.push(b',');
            }
            if self.write_resource(stored.as_ref(), location, &mut memo, &mut scratch, &mut out) {
                written += 1;
            } else {
                out.truncate(mark);
            }
        }
        if written < resources.len() {
            out.splice(..body, header(written).into_bytes());
        }
        out.extend_from_slice(b"]}");
        out
    }
}

/// Write `kept`, the members of a resource stored as `stored`, comma-separated: members whose value is output
/// as stored are copied as stored (key to value), a run of them that lie next to each other at once. With
/// `location` (URL prefix, id), a `meta` object is written with its `location` made of them.
fn write_members(kept: &[Kept<'_>], stored: &[u8], location: Option<(&str, &str)>, out: &mut Vec<u8>) {
    let mut first = true;
    let mut run: Option<Range<usize>> = None;
    for (key, raw, (value, span)) in kept {
        if matches!(value, Json::Scalar(_)) {
            match &mut run {
                // one byte between two members: the comma
                Some(stretch) if stretch.end + 1 == span.start => stretch.end = span.end,
                _ => {
                    if let Some(stretch) = run.replace(span.clone()) {
                        separate(&mut first, out);
                        out.extend_from_slice(&stored[stretch]);
                    }
                }
            }
            continue;
        }
        if let Some(stretch) = run.take() {
            separate(&mut first, out);
            out.extend_from_slice(&stored[stretch]);
        }
        separate(&mut first, out);
        out.extend_from_slice(raw);
        out.push(b':');
        match (location, value) {
            (Some((prefix, id)), Json::Object(members)) if **key == *b"meta" => {
                write_meta(members, &format!("{prefix}{id}"), out);
            }
            _ => write(value, out),
        }
    }
    if let Some(stretch) = run {
        separate(&mut first, out);
        out.extend_from_slice(&stored[stretch]);
    }
}

/// A `meta` object with its `location` set to `location` (where a stored one was, else last), as
/// `meta["location"] = ...` does to a Python `dict`.
fn write_meta(entries: &[Member<'_, Json<'_>>], location: &str, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut replaced = false;
    for (i, (key, raw, item)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(raw);
        out.push(b':');
        if **key == *b"location" {
            push_string(location, out);
            replaced = true;
        } else {
            write(item, out);
        }
    }
    if !replaced {
        if !entries.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"location\":");
        push_string(location, out);
    }
    out.push(b'}');
}

/// A comma before every item but the first.
fn separate(first: &mut bool, out: &mut Vec<u8>) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// The text of a string token (with its quotes), unescaped.
fn string_value(raw: &[u8]) -> Option<Cow<'_, str>> {
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(raw).ok().map(Cow::Owned)
    } else {
        std::str::from_utf8(inner).ok().map(Cow::Borrowed)
    }
}

fn push_string(text: &str, out: &mut Vec<u8>) {
    // serde_json writes valid JSON for any string; to a Vec it cannot fail.
    out.extend_from_slice(serde_json::to_string(text).unwrap_or_default().as_bytes());
}
