//! The scan representation of a resource: for every attribute slot the layout knows, a [`Node`] tree in which
//! text is already in comparison form (case-folded unless the attribute is `caseExact`) and dateTimes are
//! instants. Unknown keys are dropped here (filters cannot name them) except for their effect on `pr`; the
//! original JSON is kept beside.

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

/// Build the scan representation of a resource object.
#[must_use]
pub fn scan_slots(layout: &Layout, object: &Map<String, Value>) -> Slots {
    let mut out: Vec<(u16, Node)> = Vec::new();
    for (key, value) in object {
        if let Some(&slot) = layout.core.get(key.as_str()) {
            out.push((slot, convert(&layout.attrs[slot as usize], value)));
        } else if let Value::Object(ext) = value {
            if let Some(&slot) = layout.extension_objects.get(key.as_str()) {
                out.push((slot, Node::Opaque(!json_is_empty(value))));
            }
            if let Some(names) = layout.extensions.get(key.as_str()) {
                for (name, inner) in ext {
                    if let Some(&slot) = names.get(name.as_str()) {
                        out.push((slot, convert(&layout.attrs[slot as usize], inner)));
                    }
                }
            }
        }
    }
    out.sort_by_key(|(slot, _)| *slot);
    out.dedup_by_key(|(slot, _)| *slot);
    out.into_boxed_slice()
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
