//! The page leaves natively: the stored JSON of the page's resources projected (`attributes`,
//! `excludedAttributes`, `returned`: RFC 7644 §3.4.2.5, RFC 7643 §7, docs/semantics.md §Query) and encoded
//! as one `ListResponse` (RFC 7644 §3.4.2), without a Python object per resource.
//!
//! A [`Projection`] is decided in Python (`scimcore.store.native`: which attributes and sub-attributes one
//! request keeps, from the schema's `returned` and the request's selection) and applied here with the rules
//! of `scimcore.query`'s projection: a `null` attribute or sub-attribute is dropped, a complex value keeps the
//! sub-attributes its rule keeps (an element left empty is dropped, then a list left empty), `schemas` is
//! written first when missing and names only the extensions present. Each resource is re-encoded compactly;
//! a key repeated in one object keeps its first position and its last value (as a Python `dict` does), so
//! the output is the JSON `Directory.search` would give, once parsed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A map from lower-case attribute names.
pub type Names<T> = HashMap<Box<str>, T, BuildHasherDefault<Fnv>>;

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
    lowered: Vec<Box<str>>,
}

/// A parsed JSON value borrowing the stored bytes: scalars stay as their source text.
#[derive(Debug)]
enum Json<'a> {
    /// A number, `true`, `false` or a string (with its quotes and escapes, as stored), or an attribute's
    /// value kept whole, as stored (not parsed).
    Scalar(&'a [u8]),
    Null,
    Array(Vec<Json<'a>>),
    /// Keys decoded (for matching) and raw (for output), duplicates already merged.
    Object(Vec<(Cow<'a, str>, &'a [u8], Json<'a>)>),
}

const MAX_DEPTH: usize = 512;

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

    /// A string token with its quotes; `escaped` when it holds a backslash.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        let start = self.at;
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some((&self.bytes[start..self.at], escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.at += 2;
                }
                _ => self.at += 1,
            }
        }
    }

    /// An object (at `{`), the values of the keys `whole` names kept as their source text (not parsed).
    fn object(&mut self, depth: usize, whole: &dyn Fn(&str) -> bool) -> Option<Json<'a>> {
        self.eat(b'{')?;
        let mut entries: Vec<(Cow<'a, str>, &'a [u8], Json<'a>)> = Vec::new();
        if self.eat(b'}').is_some() {
            return Some(Json::Object(entries));
        }
        loop {
            self.skip_space();
            let (raw, escaped) = self.string()?;
            let key: Cow<'a, str> = if escaped {
                Cow::Owned(serde_json::from_slice::<String>(raw).ok()?)
            } else {
                Cow::Borrowed(std::str::from_utf8(&raw[1..raw.len() - 1]).ok()?)
            };
            self.eat(b':')?;
            let value = if whole(&key) {
                self.source(depth + 1)?
            } else {
                self.value(depth + 1)?
            };
            match entries.iter_mut().find(|e| e.0 == key) {
                Some(entry) => entry.2 = value,
                None => entries.push((key, raw, value)),
            }
            if self.eat(b',').is_none() {
                self.eat(b'}')?;
                return Some(Json::Object(entries));
            }
        }
    }

    /// A value as its source text (`Scalar`), or `Null`: an object or array is skipped over, not parsed,
    /// unless it holds a `null` (which a projection drops: then it is parsed).
    fn source(&mut self, depth: usize) -> Option<Json<'a>> {
        if !matches!(self.peek()?, b'{' | b'[') {
            return self.value(depth);
        }
        let start = self.at;
        let mut open = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                // outside strings, only `null` starts with `n`
                b'n' => {
                    self.at = start;
                    return self.value(depth);
                }
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
                        return Some(Json::Scalar(&self.bytes[start..self.at]));
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth, &|_| false),
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
        Json::Object(entries) => {
            out.push(b'{');
            for (i, (_, raw, item)) in entries.iter().enumerate() {
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

/// Call `then` with `key` in lower case (on the stack for short ASCII keys, the usual case).
#[inline]
fn with_lower<T>(key: &str, then: impl FnOnce(&str) -> T) -> T {
    let mut buffer = [0u8; 64];
    if key.len() <= buffer.len() && key.is_ascii() {
        let lowered = &mut buffer[..key.len()];
        for (l, b) in lowered.iter_mut().zip(key.bytes()) {
            *l = b.to_ascii_lowercase();
        }
        // ASCII stays valid UTF-8
        then(std::str::from_utf8(lowered).unwrap_or_default())
    } else {
        then(&key.to_lowercase())
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
        let Json::Object(entries) = element else {
            return Some(element);
        };
        let was_empty = entries.is_empty();
        let kept: Vec<_> = entries
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
    fn apply<'a>(&self, key: &str, value: Json<'a>) -> Option<Json<'a>> {
        match with_lower(key, |k| self.attrs.get(k)) {
            Some(rule) => rule.apply(value),
            None => (self.unknown && !matches!(value, Json::Null)).then_some(value),
        }
    }
}

impl Projection {
    /// The projection of resources whose base schema is `base_schema`, with `extensions` (URN and scope,
    /// in the resource type's order).
    #[must_use]
    pub fn new(base_schema: Box<str>, base: Scope, extensions: Vec<(Box<str>, Scope)>) -> Projection {
        let lowered = extensions
            .iter()
            .map(|(urn, _)| urn.to_lowercase().into_boxed_str())
            .collect();
        Projection {
            base_schema,
            base,
            extensions,
            lowered,
        }
    }

    /// The extension whose URN is `key` in any case (its index).
    fn extension_at(&self, key: &str) -> Option<usize> {
        if self.lowered.is_empty() || !key.contains(':') {
            return None; // an extension is named by its URN
        }
        if key.is_ascii() {
            return self.lowered.iter().position(|urn| urn.eq_ignore_ascii_case(key));
        }
        with_lower(key, |k| self.lowered.iter().position(|urn| **urn == *k))
    }

    fn extension(&self, key: &str) -> Option<&(Box<str>, Scope)> {
        self.extensions.get(self.extension_at(key)?)
    }

    /// Append the projection of one stored resource to `out`; `false` (nothing written) if it is not a JSON
    /// object. With a `location` prefix, a `meta` object left in the output gets `location` = the prefix
    /// followed by the resource's `id` (a service's own URL, RFC 7644 §3.1), in place of a stored one.
    pub fn write_resource(&self, stored: &[u8], location: Option<&str>, out: &mut Vec<u8>) -> bool {
        // the values of attributes kept whole (or dropped whole) are copied (or skipped), not parsed
        let whole = |key: &str| {
            key != "schemas"
                && (location.is_none() || key != "meta")
                && self.extension_at(key).is_none()
                && with_lower(key, |k| {
                    self.base.attrs.get(k).is_none_or(|rule| rule.whole() || !rule.keep)
                })
        };
        let mut reader = Reader { bytes: stored, at: 0 };
        if reader.peek() != Some(b'{') {
            return false;
        }
        let Some(Json::Object(entries)) = reader.object(0, &whole) else {
            return false;
        };
        reader.skip_space();
        if reader.at != stored.len() {
            return false;
        }
        let mut kept: Vec<(Cow<'_, str>, &[u8], Json<'_>)> = Vec::with_capacity(entries.len());
        for (key, raw, value) in entries {
            let projected = match self.extension(&key) {
                Some((_, scope)) => match value {
                    Json::Object(inner) => {
                        let inner: Vec<_> = inner
                            .into_iter()
                            .filter_map(|(k, r, v)| scope.apply(&k, v).map(|v| (k, r, v)))
                            .collect();
                        (!inner.is_empty()).then_some(Json::Object(inner))
                    }
                    _ => None,
                },
                None => self.base.apply(&key, value),
            };
            if let Some(value) = projected {
                kept.push((key, raw, value));
            }
        }
        out.push(b'{');
        match kept.iter().position(|(k, _, _)| k == "schemas") {
            None => {
                // schemas is always output: the base schema and the extensions present (exact key).
                out.extend_from_slice(b"\"schemas\":[");
                push_string(&self.base_schema, out);
                for (urn, _) in &self.extensions {
                    if kept.iter().any(|(k, _, _)| **k == **urn) {
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
                let present: Vec<usize> = kept.iter().filter_map(|(k, _, _)| self.extension_at(k)).collect();
                let absent = |urn: &Json<'_>| match urn {
                    Json::Scalar(raw) if raw.first() == Some(&b'"') => string_value(raw)
                        .and_then(|u| self.extension_at(&u))
                        .is_some_and(|at| !present.contains(&at)),
                    _ => false,
                };
                if let Json::Array(urns) = &mut kept[at].2 {
                    urns.retain(|urn| !absent(urn));
                }
            }
        }
        let id = kept.iter().find_map(|(k, _, v)| match v {
            Json::Scalar(raw) if k == "id" && raw.first() == Some(&b'"') => string_value(raw),
            _ => None,
        });
        for (i, (key, raw, value)) in kept.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(raw);
            out.push(b':');
            match (location.zip(id.as_deref()), value) {
                (Some((prefix, id)), Json::Object(entries)) if key == "meta" => {
                    write_meta(entries, &format!("{prefix}{id}"), out);
                }
                _ => write(value, out),
            }
        }
        out.push(b'}');
        true
    }

    /// The `ListResponse` of a page (RFC 7644 §3.4.2): `totalResults`, `startIndex` (1-based), the
    /// projected resources (a stored document that is not an object is skipped), each `meta.location` made
    /// from `location` when given ([`Projection::write_resource`]).
    #[must_use]
    pub fn list_response(
        &self,
        total: usize,
        start_index: usize,
        resources: &[impl AsRef<[u8]>],
        location: Option<&str>,
    ) -> Vec<u8> {
        let mut body = Vec::with_capacity(resources.iter().map(|r| r.as_ref().len()).sum::<usize>() + 160);
        let mut written = 0usize;
        for stored in resources {
            let mark = body.len();
            if written > 0 {
                body.push(b',');
            }
            if self.write_resource(stored.as_ref(), location, &mut body) {
                written += 1;
            } else {
                body.truncate(mark);
            }
        }
        let mut out = Vec::with_capacity(body.len() + 160);
        out.extend_from_slice(
            format!(
                "{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"totalResults\":{total},\
                 \"startIndex\":{start_index},\"itemsPerPage\":{written},\"Resources\":["
            )
            .as_bytes(),
        );
        out.extend_from_slice(&body);
        out.extend_from_slice(b"]}");
        out
    }
}

/// A `meta` object with its `location` set to `location` (where a stored one was, else last), as
/// `meta["location"] = ...` does to a Python `dict`.
fn write_meta(entries: &[(Cow<'_, str>, &[u8], Json<'_>)], location: &str, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut replaced = false;
    for (i, (key, raw, item)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(raw);
        out.push(b':');
        if key == "location" {
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

fn string_value(raw: &[u8]) -> Option<String> {
    serde_json::from_slice::<String>(raw).ok()
}

fn push_string(text: &str, out: &mut Vec<u8>) {
    // serde_json writes valid JSON for any string; to a Vec it cannot fail.
    out.extend_from_slice(serde_json::to_string(text).unwrap_or_default().as_bytes());
}
