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
//! key are remembered from one resource to the next (the resources of a store mostly share their keys and
//! order). Everything else is re-encoded compactly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use crate::plain::{meta_location, Plain, Shape};

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
#[derive(Debug, Default)]
pub struct Projection {
    base_schema: Box<str>,
    base: Scope,
    /// `(URN as the schema spells it, its attributes)`, matched case-insensitively.
    extensions: Vec<(Box<str>, Scope)>,
    /// The extension URNs in lower case, same order.
    lowered: Vec<Box<[u8]>>,
    /// What this projection does to the resources of each shape met, with and without a `location`.
    verdicts: Mutex<Verdicts>,
}

/// The [`Verdict`]s found, by the shape's address (the shape kept alive with it) and `location` given.
type Verdicts = HashMap<(usize, bool), (Arc<Shape>, Verdict), BuildHasherDefault<Fnv>>;

/// The most verdicts a projection keeps (then it forgets them all: a bound for many stores' shapes).
const MAX_VERDICTS: usize = 8192;

/// How the resources of one shape are written by one projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// As stored, byte for byte: the projection keeps everything whole.
    Copy,
    /// As stored up to the string of `meta.location`, then the page's own location.
    Locate,
    /// Member by member ([`Projection::write_resource`]).
    Project,
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

/// The rules found for the keys of the resources written so far (top-level, and in each extension): the
/// resources of one store mostly hold the same keys in the same order, so a key is looked up once a page,
/// and found again where the search for the last one ended.
struct Memo<'p> {
    /// (`location` is the same for every resource of a page, so how a key's value is read is too.)
    top: Slots<(Owner<'p>, How)>,
    extensions: Vec<Slots<Option<&'p Rule>>>,
}

/// What was found for each key met (at most [`SLOTS`]), in the order met, and where to look first.
struct Slots<T> {
    known: Vec<(Box<[u8]>, T)>,
    next: usize,
}

/// The most keys a [`Slots`] remembers (more are looked up each time: a bounded search for hostile input).
const SLOTS: usize = 64;

impl<T: Copy> Slots<T> {
    fn new() -> Self {
        Slots {
            known: Vec::new(),
            next: 0,
        }
    }

    /// What `find` gives for `key`: searched from just after the last key found, remembered when new.
    fn get(&mut self, key: &[u8], find: impl FnOnce() -> T) -> T {
        let n = self.known.len();
        for step in 0..n {
            let at = (self.next + step) % n;
            if *self.known[at].0 == *key {
                self.next = at + 1;
                return self.known[at].1;
            }
        }
        let found = find();
        if n < SLOTS {
            self.known.push((key.into(), found));
            self.next = n + 1;
        }
        found
    }
}

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
pub(crate) fn quote_or_escape(bytes: &[u8]) -> Option<usize> {
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
            verdicts: Mutex::default(),
        }
    }

    /// How this projection writes a resource of `shape` (with a `location` prefix or not): as stored when
    /// every member is kept whole (an extension's keys too, none of them empty) and `schemas` names no
    /// extension that is left out; with `location`, a `meta` kept whole is written as stored up to its
    /// `location` when the shape allows it. What [`Projection::write_resource`] would write, decided once.
    fn verdict(&self, shape: &Shape, location: bool) -> Verdict {
        let whole = |rule: Option<&Rule>, unknown: bool| rule.map_or(unknown, Rule::whole);
        let mut present = Vec::new();
        let mut meta = false;
        for member in &shape.members {
            if let Some(at) = self.extension_at(&member.key) {
                let scope = &self.extensions[at].1;
                match &member.inner {
                    Some(keys) if !keys.is_empty() && keys.iter().all(|k| whole(scope.rule(k), scope.unknown)) => {
                        present.push(at);
                    }
                    _ => return Verdict::Project,
                }
            } else if whole(self.base.rule(&member.key), self.base.unknown) {
                meta |= *member.key == *b"meta";
            } else {
                return Verdict::Project;
            }
        }
        let Some(urns) = &shape.schemas else {
            return Verdict::Project; // written first when missing
        };
        let absent = |urn: &str| {
            self.extension_at(urn.as_bytes())
                .is_some_and(|at| !present.contains(&at))
        };
        let has_id = shape.members.iter().any(|m| *m.key == *b"id");
        match (urns.iter().any(|urn| absent(urn)), location && meta && has_id) {
            (false, false) => Verdict::Copy,
            (false, true) if shape.meta_tail => Verdict::Locate,
            (true, _) | (false, true) => Verdict::Project,
        }
    }

    /// The verdict for each resource of a page (`Project` for one without a shape), from those found before.
    fn verdicts(&self, plain: &[Plain], count: usize, location: bool) -> Vec<Verdict> {
        let mut known = self.verdicts.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MAX_VERDICTS {
            known.clear();
        }
        (0..count)
            .map(|i| match plain.get(i).and_then(|p| p.shape.as_ref()) {
                Some(shape) => {
                    let key = (Arc::as_ptr(shape) as usize, location);
                    known
                        .entry(key)
                        .or_insert_with(|| (Arc::clone(shape), self.verdict(shape, location)))
                        .1
                }
                None => Verdict::Project,
            })
            .collect()
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
        let mut seen = 0;
        reader.members(|reader, key, raw, start| {
            let (owner, how) = memo.top.get(&key, || self.decide(&key, location));
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
                            .filter_map(|(k, r, v)| {
                                let rule = slots.get(&k, || scope.rule(&k));
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
    /// `plain`: what the store knows of each resource ([`Plain`], same order; shorter: the rest have no
    /// shape). Written into `out`, cleared first (a caller writing many pages keeps one buffer: a fresh one of
    /// a page's size each time is a large allocation, slow from a fragmented heap).
    pub fn list_response(
        &self,
        total: usize,
        start_index: usize,
        resources: &[impl AsRef<[u8]>],
        plain: &[Plain],
        location: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        let header = |written: usize| {
            format!(
                "{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"totalResults\":{total},\
                 \"startIndex\":{start_index},\"itemsPerPage\":{written},\"Resources\":["
            )
        };
        // one buffer: the header written for every resource, rewritten in the rare case one is skipped
        let stored: usize = resources.iter().map(|r| r.as_ref().len()).sum();
        out.clear();
        out.reserve(stored + resources.len() + 200);
        out.extend_from_slice(header(resources.len()).as_bytes());
        let body = out.len();
        let mut written = 0usize;
        let mut memo = Memo {
            top: Slots::new(),
            extensions: self.extensions.iter().map(|_| Slots::new()).collect(),
        };
        let mut scratch = Scratch {
            members: Vec::new(),
            kept: Vec::new(),
            present: Vec::new(),
        };
        let verdicts = self.verdicts(plain, resources.len(), location.is_some());
        let mut url = String::new();
        for (i, (stored, verdict)) in resources.iter().zip(verdicts).enumerate() {
            let stored = stored.as_ref();
            let mark = out.len();
            if written > 0 {
                out.push(b',');
            }
            let id = plain.get(i).and_then(|p| stored.get(p.id.clone()?));
            let id = id.and_then(|id| std::str::from_utf8(id).ok());
            let cut = meta_location(stored).filter(|_| verdict == Verdict::Locate);
            match (verdict, location, id, cut) {
                (Verdict::Copy, ..) => out.extend_from_slice(stored),
                (Verdict::Locate, Some(prefix), Some(id), Some(cut)) => {
                    out.extend_from_slice(&stored[..cut]);
                    url.clear();
                    url.push_str(prefix);
                    url.push_str(id);
                    push_string(&url, out);
                    out.extend_from_slice(b"}}");
                }
                _ => {
                    if !self.write_resource(stored, location, &mut memo, &mut scratch, out) {
                        out.truncate(mark);
                        continue;
                    }
                }
            }
            written += 1;
        }
        if written < resources.len() {
            out.splice(..body, header(written).into_bytes());
        }
        out.extend_from_slice(b"]}");
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

#[cfg(test)]
mod tests {
    use super::{Names, Projection, Rule, Scope, Verdict};
    use crate::plain::{Plain, ShapeSlot, Shapes};

    const EXT: &str = "urn:ext";

    fn rule(keep: bool, subs: &[(&str, bool)]) -> Rule {
        let subs: Names<bool> = subs.iter().map(|(n, k)| (n.as_bytes().into(), *k)).collect();
        Rule {
            keep,
            complex: !subs.is_empty(),
            unknown_sub: true,
            subs,
        }
    }

    fn scope(rules: &[(&str, Rule)], unknown: bool) -> Scope {
        Scope {
            attrs: rules.iter().map(|(n, r)| (n.as_bytes().into(), r.clone())).collect(),
            unknown,
        }
    }

    /// Default, `excludedAttributes=emails`, a sub-attribute left out, `attributes=userName`, the extension
    /// left out, a dropped extension sub-attribute.
    fn projections() -> Vec<Projection> {
        let name = |given| rule(true, &[("givenname", given), ("familyname", true)]);
        let base = |emails, given, unknown| {
            let keep = true;
            scope(
                &[
                    ("id", rule(keep, &[])),
                    ("username", rule(keep, &[])),
                    ("password", rule(false, &[])),
                    ("emails", rule(emails, &[])),
                    ("name", name(given)),
                    ("meta", rule(keep, &[("created", true), ("location", true)])),
                ],
                unknown,
            )
        };
        let ext = |manager| {
            scope(
                &[("manager", rule(true, &[("value", true), ("displayname", manager)]))],
                true,
            )
        };
        let projection = |base, ext| Projection::new("urn:core".into(), base, vec![(EXT.into(), ext)]);
        vec![
            projection(base(true, true, true), ext(true)),
            projection(base(false, true, true), ext(true)),
            projection(base(true, false, true), ext(true)),
            projection(base(true, true, false), ext(true)),
            projection(base(true, true, true), scope(&[("manager", rule(false, &[]))], false)),
            projection(base(true, true, true), ext(false)),
        ]
    }

    fn documents() -> Vec<&'static [u8]> {
        vec![
            br#"{"schemas":["urn:core","urn:ext"],"id":"a","userName":"a","name":{"givenName":"G","familyName":"F"},"emails":[{"value":"x@y"}],"urn:ext":{"manager":{"value":"m","displayName":"M"}},"meta":{"created":"c","location":"https://old/a"}}"#,
            br#"{"schemas":["urn:core"],"id":"b","userName":"b","meta":{"created":"c","location":"https://old/b"}}"#,
            br#"{"schemas":["urn:core","urn:ext"],"id":"b2","userName":"b","meta":{"created":"c","location":"https://old/b"}}"#,
            br#"{"schemas":["urn:core"],"id":"c","userName":"c","urn:EXT":{"manager":{"value":"m"}},"meta":{"created":"c"}}"#,
            br#"{"schemas":["urn:core"],"id":"d","userName":"d","urn:ext":{},"x-custom":[1,2.5,true]}"#,
            br#"{"id":"e","userName":"e","password":"secret","meta":{"location":"l","created":"c"}}"#,
            br#"{"schemas":["urn:core"],"id":"f\"g","userName":"f","meta":{"location":"https://old/f"}}"#,
            br#"{"schemas":["urn:core"],"userName":"h","meta":{"location":"https://old/h"}}"#,
            br#"{"schemas":["urn:core"],"id":"i","urn:ext":"not an object","meta":{"location":"https://old/i"}}"#,
        ]
    }

    #[test]
    fn copying_by_shape_writes_what_projecting_writes() {
        let documents = documents();
        let mut shapes = Shapes::default();
        let plain: Vec<Plain> = documents
            .iter()
            .map(|doc| {
                let shape = ShapeSlot::default().get(doc, &mut shapes);
                let id = serde_json::from_slice::<serde_json::Value>(doc).unwrap()["id"]
                    .as_str()
                    .and_then(|id| {
                        doc.windows(id.len())
                            .position(|w| w == id.as_bytes())
                            .map(|at| at..at + id.len())
                    });
                Plain { shape, id }
            })
            .collect();
        assert!(
            plain.iter().all(|p| p.shape.is_some()),
            "every test document has a shape"
        );
        for (number, projection) in projections().iter().enumerate() {
            for location in [None, Some("https://new/Users/")] {
                let (mut copied, mut projected) = (Vec::new(), b"left from an earlier page".to_vec());
                projection.list_response(9, 1, &documents, &plain, location, &mut copied);
                projection.list_response(9, 1, &documents, &[], location, &mut projected);
                assert_eq!(
                    String::from_utf8_lossy(&copied),
                    String::from_utf8_lossy(&projected),
                    "projection {number}, location {location:?}"
                );
            }
        }
        // the default projection copies the first two documents (the second with its location rewritten)
        let default = &projections()[0];
        let verdicts = default.verdicts(&plain, documents.len(), true);
        assert_eq!(verdicts[..2], [Verdict::Locate, Verdict::Locate]);
        assert_eq!(default.verdicts(&plain, 2, false), [Verdict::Copy, Verdict::Copy]);
        // an extension in schemas but absent, no meta.location, an empty extension, a dropped password:
        // projected
        assert_eq!(verdicts[2..6], [Verdict::Project; 4]);
        let mut page = Vec::new();
        default.list_response(1, 1, &documents[..1], &plain[..1], None, &mut page);
        assert!(page.windows(documents[0].len()).any(|w| w == documents[0]));
    }
}
