//! Stored resources a page can copy as they are: the *shape* of a resource's JSON (its top-level keys in
//! order, the keys of each extension object, the URNs of `schemas`), read the first time the resource is on
//! a page written natively and kept with it, decides for a whole request whether the page writer
//! (`page.rs`) would output the stored bytes unchanged. Most resources of a store share a few shapes, so the
//! writer decides once a shape, not once a resource, and copies the others byte for byte
//! (docs/directory.md, "The page leaves natively").
//!
//! A resource has a shape only when copying it is the same as projecting it for every rule that keeps its
//! keys whole: compact JSON (no whitespace outside strings), no `null` anywhere, no key repeated in an
//! object, no escape in a key, `schemas` an array of strings without escapes. Others (and a store past
//! [`MAX_SHAPES`] distinct shapes) are projected member by member.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use crate::page::quote_or_escape;

/// The most distinct shapes a store keeps; resources of other shapes are projected member by member.
pub const MAX_SHAPES: usize = 4096;

/// Objects with more keys than this have no shape (the repeated-key check stays linear and short).
const MAX_KEYS: usize = 64;

/// Deeper documents have no shape (the page writer's own limit is higher).
const MAX_DEPTH: usize = 64;

/// The top-level keys of a stored resource and what the page writer looks at in them.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    pub members: Vec<ShapeMember>,
    /// The URNs in `schemas` (`None`: no `schemas`).
    pub schemas: Option<Vec<Box<str>>>,
    /// `meta` is the last member and ends with `location`, a string without escapes: a page that sets
    /// `meta.location` writes the stored bytes up to that string, then its own.
    pub meta_tail: bool,
}

/// One top-level key, and the keys of its value when the key names an extension (holds a `:`): `None` when
/// that value is not an object.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ShapeMember {
    pub key: Box<[u8]>,
    pub inner: Option<Vec<Box<[u8]>>>,
}

/// What a page needs of one stored resource besides its JSON: its shape (if it has one) and where its `id`
/// is in the JSON (`None`: not there as written, e.g. with escapes).
#[derive(Debug, Clone, Default)]
pub struct Plain {
    pub shape: Option<Arc<Shape>>,
    pub id: Option<std::ops::Range<usize>>,
}

/// Where the string of `meta.location` starts in the JSON of a resource whose shape has
/// [`Shape::meta_tail`]: the JSON ends with that string (no escape in it) and the two closing braces.
#[must_use]
pub fn meta_location(json: &[u8]) -> Option<usize> {
    let body = json.strip_suffix(b"\"}}")?;
    body.iter().rposition(|&b| b == b'"')
}

/// A stored resource's shape, read the first time it is asked for: 0 not read yet, 1 none, else its index
/// in the store's [`Shapes`] plus 2 (two bytes a resource; read again by a racing reader, to the same value).
#[derive(Debug, Default)]
pub struct ShapeSlot(AtomicU16);

impl ShapeSlot {
    /// The shape of the resource whose JSON is `json`, read and added to `shapes` if it was not yet.
    pub fn get(&self, json: &[u8], shapes: &mut Shapes) -> Option<Arc<Shape>> {
        match self.0.load(Ordering::Relaxed) {
            0 => {
                let index = shape_of(json).and_then(|signature| shapes.intern(&signature));
                self.0.store(index.map_or(1, |i| i + 2), Ordering::Relaxed);
                index.and_then(|i| shapes.get(i))
            }
            1 => None,
            known => shapes.get(known - 2),
        }
    }
}

/// A resource's shape as read from its JSON, before the store shares it: the shape encoded and its hash.
#[derive(Debug)]
pub struct Signature {
    bytes: Box<[u8]>,
    hash: u64,
}

/// A signature met, and the number of its shape.
type Known = (Box<[u8]>, u16);

/// The shapes of one store, each kept once, by the hash of their signature, and numbered.
#[derive(Debug, Default)]
pub struct Shapes {
    known: HashMap<u64, Vec<Known>>,
    table: Vec<Arc<Shape>>,
    bytes: usize,
}

impl Shapes {
    /// The number of the shape of `signature` (`None` once the store holds [`MAX_SHAPES`] others).
    pub fn intern(&mut self, signature: &Signature) -> Option<u16> {
        let same = self.known.entry(signature.hash).or_default();
        if let Some(&(_, index)) = same.iter().find(|(bytes, _)| *bytes == signature.bytes) {
            return Some(index);
        }
        if self.table.len() >= MAX_SHAPES {
            return None;
        }
        let index = u16::try_from(self.table.len()).ok()?;
        self.table.push(Arc::new(Shape::decode(&signature.bytes)?));
        self.bytes += 3 * signature.bytes.len() + 64;
        same.push((signature.bytes.clone(), index));
        Some(index)
    }

    /// The shape numbered `index`.
    #[must_use]
    pub fn get(&self, index: u16) -> Option<Arc<Shape>> {
        self.table.get(usize::from(index)).map(Arc::clone)
    }

    /// Heap bytes (approximate: each signature, its decoded shape and their entries).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.bytes + self.known.capacity() * 32 + self.table.capacity() * 8
    }
}

/// Tags of the encoded [`Signature`]: a member, an extension object (with its keys), `schemas` (with its
/// URNs), the end (followed by [`Shape::meta_tail`]).
const MEMBER: u8 = 0;
const EXTENSION: u8 = 1;
const SCHEMAS: u8 = 2;
const END: u8 = 3;

impl Shape {
    /// The shape a [`Signature`] encodes.
    fn decode(bytes: &[u8]) -> Option<Shape> {
        let mut read = Decoder { bytes, at: 0 };
        let mut shape = Shape {
            members: Vec::new(),
            schemas: None,
            meta_tail: false,
        };
        loop {
            let tag = read.take(1)?[0];
            if tag == END {
                shape.meta_tail = read.take(1)? == [1];
                return Some(shape);
            }
            let key = read.text()?.into();
            let inner = match tag {
                EXTENSION => Some(read.list()?.into_iter().map(Box::from).collect()),
                SCHEMAS => {
                    let urns = read
                        .list()?
                        .into_iter()
                        .map(|u| std::str::from_utf8(u).ok().map(Box::from));
                    shape.schemas = Some(urns.collect::<Option<_>>()?);
                    None
                }
                _ => None,
            };
            shape.members.push(ShapeMember { key, inner });
        }
    }
}

/// A cursor over an encoded [`Signature`].
struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let part = self.bytes.get(self.at..self.at + n)?;
        self.at += n;
        Some(part)
    }

    fn count(&mut self) -> Option<u16> {
        let two = self.take(2)?;
        Some(u16::from_le_bytes([two[0], two[1]]))
    }

    fn text(&mut self) -> Option<&'a [u8]> {
        let len = self.count()?;
        self.take(usize::from(len))
    }

    fn list(&mut self) -> Option<Vec<&'a [u8]>> {
        (0..self.count()?).map(|_| self.text()).collect()
    }
}

/// The [`Signature`] of a stored resource, or `None` when it has no shape.
#[must_use]
pub fn shape_of(json: &[u8]) -> Option<Signature> {
    let mut scan = Scan { bytes: json, at: 0 };
    let mut out = Vec::with_capacity(256);
    let mut location_last = false;
    let mut last_is_meta = false;
    scan.object(0, |scan, key| {
        last_is_meta = false;
        if key == b"schemas" {
            out.push(SCHEMAS);
            push_text(&mut out, key)?;
            scan.list(&mut out, |scan, out| {
                let start = scan.at + 1;
                let escaped = scan.string()?;
                let urn = &scan.bytes[start..scan.at - 1];
                (!escaped && std::str::from_utf8(urn).is_ok()).then_some(())?;
                push_text(out, urn)
            })?;
        } else if key.contains(&b':') && scan.peek() == Some(b'{') {
            out.push(EXTENSION);
            push_text(&mut out, key)?;
            let count = out.len();
            out.extend_from_slice(&[0, 0]);
            let mut keys = 0u16;
            scan.object(1, |scan, key| {
                keys += 1;
                push_text(&mut out, key)?;
                scan.value(2)
            })?;
            out[count..count + 2].copy_from_slice(&keys.to_le_bytes());
        } else {
            out.push(MEMBER);
            push_text(&mut out, key)?;
            if key == b"meta" && scan.peek() == Some(b'{') {
                scan.object(1, |scan, key| {
                    let plain_string = scan.peek() == Some(b'"');
                    let escaped = scan.value(2)?;
                    location_last = key == b"location" && plain_string && !escaped;
                    Some(false)
                })?;
                last_is_meta = true;
            } else {
                scan.value(1)?;
            }
        }
        Some(false)
    })?;
    if scan.at != json.len() {
        return None;
    }
    out.extend_from_slice(&[END, u8::from(last_is_meta && location_last)]);
    Some(Signature {
        hash: hash(&out),
        bytes: out.into_boxed_slice(),
    })
}

/// Append `text` with its length (two bytes, little-endian).
fn push_text(out: &mut Vec<u8>, text: &[u8]) -> Option<()> {
    out.extend_from_slice(&u16::try_from(text.len()).ok()?.to_le_bytes());
    out.extend_from_slice(text);
    Some(())
}

/// A hash of a signature, eight bytes at a time.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15_u64 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(0x2545_F491_4F6C_DD1D)
            .rotate_left(29);
    }
    h
}

/// A cursor over compact JSON that accepts only what a shape allows.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string (at `"`): whether it holds an escape.
    fn string(&mut self) -> Option<bool> {
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            self.at += quote_or_escape(self.bytes.get(self.at..)?)?;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Some(escaped);
            }
            escaped = true;
            self.at += 2;
        }
    }

    /// An object (at `{`): `value` reads the value of each key (a string without escapes, none repeated);
    /// `Some(false)`: no escaped string ended it.
    fn object(&mut self, depth: usize, mut value: impl FnMut(&mut Self, &'a [u8]) -> Option<bool>) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(false);
        }
        let mut keys: Vec<&'a [u8]> = Vec::new();
        loop {
            let start = self.at + 1;
            if self.string()? || keys.len() == MAX_KEYS {
                return None;
            }
            let key = &self.bytes[start..self.at - 1];
            if keys.contains(&key) {
                return None;
            }
            keys.push(key);
            self.eat(b':')?;
            value(self, key)?;
            if self.eat(b',').is_none() {
                return self.eat(b'}').map(|()| false);
            }
        }
    }

    /// An array (at `[`) of what `item` reads, appended to `out` after their count (two bytes).
    fn list(&mut self, out: &mut Vec<u8>, mut item: impl FnMut(&mut Self, &mut Vec<u8>) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        let count = out.len();
        out.extend_from_slice(&[0, 0]);
        let mut items = 0u16;
        if self.eat(b']').is_none() {
            loop {
                items = items.checked_add(1)?;
                item(self, out)?;
                if self.eat(b',').is_none() {
                    self.eat(b']')?;
                    break;
                }
            }
        }
        out[count..count + 2].copy_from_slice(&items.to_le_bytes());
        Some(())
    }

    /// Any value without a `null` or whitespace: whether it is a string with an escape.
    fn value(&mut self, depth: usize) -> Option<bool> {
        match self.peek()? {
            b'{' => self.object(depth, |scan, _| scan.value(depth + 1)),
            b'[' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.at += 1;
                if self.eat(b']').is_some() {
                    return Some(false);
                }
                loop {
                    self.value(depth + 1)?;
                    if self.eat(b',').is_none() {
                        return self.eat(b']').map(|()| false);
                    }
                }
            }
            b'"' => self.string(),
            b'n' => None,
            _ => {
                // a number, `true` or `false` (the document was parsed when it was stored)
                let start = self.at;
                while let Some(b) = self.peek() {
                    match b {
                        b',' | b']' | b'}' => break,
                        b' ' | b'\t' | b'\n' | b'\r' => return None,
                        _ => self.at += 1,
                    }
                }
                (self.at > start).then_some(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{meta_location, shape_of, Shape, ShapeSlot, Shapes};
    use std::sync::Arc;

    fn shaped(json: &[u8]) -> Option<(Arc<Shape>, Option<usize>)> {
        let shape = ShapeSlot::default().get(json, &mut Shapes::default())?;
        Some((shape, meta_location(json)))
    }

    #[test]
    fn shapes_only_of_compact_documents_without_null_or_repeats() {
        let (shape, location) = shaped(
            br#"{"schemas":["urn:a"],"id":"x","urn:a":{"k":[1,{"b":true}]},"meta":{"created":"c","location":"https://h/x"}}"#,
        )
        .unwrap();
        let keys: Vec<&[u8]> = shape.members.iter().map(|m| &*m.key).collect();
        assert_eq!(keys, [&b"schemas"[..], b"id", b"urn:a", b"meta"]);
        assert_eq!(shape.members[2].inner.as_deref(), Some(&[Box::from(&b"k"[..])][..]));
        assert_eq!(shape.schemas.as_deref(), Some(&[Box::from("urn:a")][..]));
        assert!(shape.meta_tail && location == Some(92), "{location:?}");
        for rejected in [
            &br#"{"id":"x", "a":1}"#[..],
            br#"{"id":"x","a":null}"#,
            br#"{"id":"x","a":{"b":[1,null]}}"#,
            br#"{"id":"x","id":"y"}"#,
            br#"{"id":"x","a":{"b":1,"b":2}}"#,
            br#"{"id":"x","\u0061":1}"#,
            br#"{"schemas":["urn:\u0061"],"id":"x"}"#,
            br#"{"id":"x"} "#,
            b"[1]",
        ] {
            assert!(shape_of(rejected).is_none(), "{}", String::from_utf8_lossy(rejected));
        }
        // no meta tail: meta not last, location not last, escaped, or not a string
        for doc in [
            &br#"{"id":"x","meta":{"location":"l"},"a":1}"#[..],
            br#"{"id":"x","meta":{"location":"l","created":"c"}}"#,
            br#"{"id":"x","meta":{"location":"l\"q"}}"#,
            br#"{"id":"x","meta":{"location":1}}"#,
        ] {
            let (shape, _) = shaped(doc).unwrap();
            assert!(!shape.meta_tail, "{}", String::from_utf8_lossy(doc));
        }
    }
}
