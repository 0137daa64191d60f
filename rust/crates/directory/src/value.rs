//! The scan representation of a resource: for every attribute slot the layout knows, a [`Node`] tree in which
//! text is already in comparison form (case-folded unless the attribute is `caseExact`) and dateTimes are
//! instants. Unknown keys are dropped here (filters cannot name them) except for their effect on `pr`.
//!
//! Trees are not stored: the store keeps each resource's JSON and builds the trees of the slots it needs when
//! it needs them ([`parse`]: index keys at a write, columns at their first use, the few candidates of an
//! index lookup), skipping the rest of the document without building it.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::datetime::value_instant;
use super::fold::fold;
use super::layout::{AttrLayout, Kind, Layout};

/// One attribute value, ready for comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text in comparison form: folded unless the attribute is `caseExact`. Also a string that does not fit
    /// a non-text attribute (kept raw: present, but no typed literal matches it).
    Str(Box<str>),
    /// A dateTime attribute's value: microseconds since the epoch.
    DateTime(i64),
    List(Box<[Node]>),
    /// A complex value: its known sub-attributes by index; [`UNKNOWN_SUB`] marks present unknown keys.
    Object(Box<[(u16, Node)]>),
    /// A JSON object where the attribute is not complex (or a whole extension object): never equal to
    /// anything; the flag says whether it holds any non-empty value (the `pr` rule).
    Opaque(bool),
}

/// Sub-attribute index marking "some unknown key with a non-empty value" inside an object.
pub const UNKNOWN_SUB: u16 = u16::MAX;

impl Node {
    /// `pr` (`scimcore.filter.runtime.is_present`, docs/semantics.md §Evaluation), judged on the value's shape
    /// whatever the declared type: false for null and `""`; lists and objects are present when a member is.
    #[must_use]
    pub fn is_present(&self) -> bool {
        match self {
            Node::Null => false,
            Node::Str(s) => !s.is_empty(),
            Node::List(items) => items.iter().any(Node::is_present),
            Node::Object(entries) => entries.iter().any(|(_, n)| n.is_present()),
            Node::Opaque(present) => *present,
            _ => true,
        }
    }

    /// Approximate heap bytes owned by this node (for memory reports).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        match self {
            Node::Str(s) => s.len(),
            Node::List(items) => items.iter().map(|n| std::mem::size_of::<Node>() + n.heap_bytes()).sum(),
            Node::Object(entries) => entries
                .iter()
                .map(|(_, n)| std::mem::size_of::<(u16, Node)>() + n.heap_bytes())
                .sum(),
            _ => 0,
        }
    }
}

/// The attribute slots of one resource: `(slot, value)` sorted by slot, only attributes present in the JSON.
pub type Slots = Box<[(u16, Node)]>;

/// Build the scan representation of a resource object (every slot).
#[must_use]
pub fn scan_slots(layout: &Layout, object: &Map<String, Value>) -> Slots {
    slots_of(layout, object.iter().map(|(k, v)| (k.as_str(), v)), &layout.all_slots)
}

/// The trees of the `wanted` slots (by slot number) of `entries` (distinct top-level keys and their values).
fn slots_of<'v>(layout: &Layout, entries: impl Iterator<Item = (&'v str, &'v Value)>, wanted: &[bool]) -> Slots {
    let want = |slot: u16| wanted.get(slot as usize).copied().unwrap_or(false);
    let mut out: Vec<(u16, Node)> = Vec::new();
    for (key, value) in entries {
        if let Some(&slot) = layout.core.get(key) {
            if want(slot) {
                out.push((slot, convert(&layout.attrs[slot as usize], value)));
            }
        } else if let Value::Object(ext) = value {
            if let Some(&slot) = layout.extension_objects.get(key) {
                if want(slot) {
                    out.push((slot, Node::Opaque(!json_is_empty(value))));
                }
            }
            if let Some(names) = layout.extensions.get(key) {
                for (name, inner) in ext {
                    if let Some(&slot) = names.get(name.as_str()) {
                        if want(slot) {
                            out.push((slot, convert(&layout.attrs[slot as usize], inner)));
                        }
                    }
                }
            }
        }
    }
    out.sort_by_key(|(slot, _)| *slot);
    out.dedup_by_key(|(slot, _)| *slot);
    out.into_boxed_slice()
}

/// What [`parse`] read from a resource document.
#[derive(Debug)]
pub struct Parsed {
    /// The `id`, when it is a non-empty string.
    pub id: Option<String>,
    /// The trees of the wanted slots.
    pub slots: Slots,
    /// Whether `meta` holds `resourceType`, `created`, `lastModified` and `version` as strings (an import
    /// that needs nothing filled in, `scimcore.store.front`).
    pub meta_complete: bool,
    /// Whether the document has the top-level key [`parse`] was asked to look for.
    pub flagged: bool,
}

/// Parse a resource document (a JSON object; a repeated key counts with its last value, as in a
/// `serde_json::Map` or a Python `dict`) and build the trees of the `wanted` slots (`wanted[slot]`). The
/// rest of the document is checked but not built. `flag`: a top-level key to report the presence of.
///
/// # Errors
/// The bytes are not one JSON object (serde's message).
pub fn parse(layout: &Layout, json: &[u8], wanted: &[bool]) -> Result<Parsed, serde_json::Error> {
    parse_flagged(layout, json, wanted, None)
}

/// [`parse`], also telling whether the top-level key `flag` is present.
///
/// # Errors
/// The bytes are not one JSON object (serde's message).
pub fn parse_flagged(
    layout: &Layout,
    json: &[u8],
    wanted: &[bool],
    flag: Option<&str>,
) -> Result<Parsed, serde_json::Error> {
    let want_meta = layout
        .core
        .get("meta")
        .is_some_and(|&s| wanted.get(s as usize) == Some(&true));
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let picked = Picker {
        layout,
        wanted,
        want_meta,
        flag,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    let id = match picked.id {
        Some(Value::String(id)) if !id.is_empty() => Some(id),
        _ => None,
    };
    let meta_complete = match &picked.meta {
        Some(Value::Object(meta)) => META_KEYS.iter().all(|k| matches!(meta.get(*k), Some(Value::String(_)))),
        Some(_) => false,
        None => picked.meta_strings.iter().all(|&s| s),
    };
    let entries = picked.entries.iter().map(|(k, v)| (&**k, v));
    let meta = picked.meta.as_ref().map(|m| ("meta", m));
    Ok(Parsed {
        id,
        slots: slots_of(layout, entries.chain(meta), wanted),
        meta_complete,
        flagged: picked.flagged,
    })
}

/// The `meta` sub-attributes an import must carry to be stored as it is.
const META_KEYS: [&str; 4] = ["resourceType", "created", "lastModified", "version"];

/// A key as read: borrowed from the input when it has no escapes.
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text::Owned(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text::Owned(s))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The top-level keys [`parse`] keeps: `id`, `meta`, and the keys holding a wanted slot (last value each).
#[derive(Default)]
struct Picked {
    id: Option<Value>,
    /// `meta`, when its slot is wanted.
    meta: Option<Value>,
    /// Otherwise: which of [`META_KEYS`] `meta` holds as strings.
    meta_strings: [bool; 4],
    entries: Vec<(Box<str>, Value)>,
    flagged: bool,
}

struct Picker<'a> {
    layout: &'a Layout,
    wanted: &'a [bool],
    want_meta: bool,
    flag: Option<&'a str>,
}

impl Picker<'_> {
    /// Does the top-level `key` hold a wanted slot (an attribute, or an extension object or one of its
    /// attributes)? `meta` is kept apart.
    fn keeps(&self, key: &str) -> bool {
        let want = |slot: &u16| self.wanted.get(*slot as usize).copied().unwrap_or(false);
        if key == "meta" {
            return false;
        }
        match self.layout.core.get(key) {
            Some(slot) => want(slot),
            None => {
                self.layout.extension_objects.get(key).is_some_and(want)
                    || self
                        .layout
                        .extensions
                        .get(key)
                        .is_some_and(|names| names.values().any(want))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Picker<'_> {
    type Value = Picked;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Picked, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Picker<'_> {
    type Value = Picked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Picked, A::Error> {
        let mut picked = Picked::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if self.flag == Some(&*key) {
                picked.flagged = true;
            }
            match &*key {
                "id" => {
                    let value: Value = map.next_value()?;
                    if self.keeps("id") {
                        keep(&mut picked.entries, "id", value.clone());
                    }
                    picked.id = Some(value);
                }
                "meta" if self.want_meta => picked.meta = Some(map.next_value()?),
                "meta" => picked.meta_strings = map.next_value::<MetaStrings>()?.0,
                other if self.keeps(other) => {
                    let value = map.next_value()?;
                    keep(&mut picked.entries, other, value);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(picked)
    }
}

/// Which of [`META_KEYS`] an object holds as strings (last value of a repeated key); none for a non-object.
struct MetaStrings([bool; 4]);

impl<'de> Deserialize<'de> for MetaStrings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MetaVisitor)
    }
}

struct MetaVisitor;

impl<'de> Visitor<'de> for MetaVisitor {
    type Value = MetaStrings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetaStrings, A::Error> {
        let mut found = [false; 4];
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match META_KEYS.iter().position(|k| *k == &*key) {
                Some(i) => found[i] = matches!(map.next_value::<Value>()?, Value::String(_)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(MetaStrings(found))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<MetaStrings, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MetaStrings([false; 4]))
    }

    fn visit_bool<E>(self, _: bool) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }

    fn visit_i64<E>(self, _: i64) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }

    fn visit_u64<E>(self, _: u64) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }

    fn visit_f64<E>(self, _: f64) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }

    fn visit_str<E>(self, _: &str) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }

    fn visit_unit<E>(self) -> Result<MetaStrings, E> {
        Ok(MetaStrings([false; 4]))
    }
}

/// Record `key: value`, replacing an earlier value of the same key.
fn keep(entries: &mut Vec<(Box<str>, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| &**k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key.into(), value)),
    }
}

/// The node of `slot` in `slots`, if the resource has it.
#[must_use]
pub fn slot_node(slots: &[(u16, Node)], slot: u16) -> Option<&Node> {
    slots.binary_search_by_key(&slot, |(s, _)| *s).ok().map(|i| &slots[i].1)
}

fn convert(attr: &AttrLayout, value: &Value) -> Node {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => n.as_f64().map_or(Node::Opaque(true), Node::Float),
        },
        Value::String(s) => match attr.kind {
            Kind::Text if !attr.case_exact => Node::Str(fold(s).into_boxed_str()),
            Kind::DateTime => value_instant(s).map_or_else(|| Node::Str(s.as_str().into()), Node::DateTime),
            _ => Node::Str(s.as_str().into()),
        },
        Value::Array(items) => Node::List(items.iter().map(|v| convert(attr, v)).collect()),
        Value::Object(map) if attr.complex => {
            let mut entries: Vec<(u16, Node)> = Vec::with_capacity(map.len());
            let mut unknown = false;
            for (key, inner) in map {
                if let Some(&i) = attr.sub_index.get(key.as_str()) {
                    entries.push((i, convert(&attr.subs[i as usize], inner)));
                } else if !unknown {
                    unknown = !json_is_empty(inner);
                }
            }
            if unknown {
                entries.push((UNKNOWN_SUB, Node::Opaque(true)));
            }
            entries.sort_by_key(|(i, _)| *i);
            entries.dedup_by_key(|(i, _)| *i);
            Node::Object(entries.into_boxed_slice())
        }
        Value::Object(_) => Node::Opaque(!json_is_empty(value)),
    }
}

/// The negation of the `pr` rule on raw JSON.
fn json_is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(json_is_empty),
        Value::Object(map) => map.values().all(json_is_empty),
        _ => false,
    }
}
