//! The schema layout of one resource type, decided in Python (the schema registry) and handed over as JSON:
//! which attributes exist (top-level "slots", each with its type, `caseExact`, `multiValued` and
//! sub-attributes), where they live (the resource object or an extension object keyed by its URN), which
//! slots have equality indexes and which are unique. Keys are matched exactly: resources use the schema's
//! canonical attribute names (SEMANTICS "Evaluation").

use std::collections::HashMap;

use serde_json::Value;

use super::error::DirError;

/// An attribute type (RFC 7643 §2.3), as far as scanning needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// string, reference and binary: compared as text.
    Text,
    DateTime,
    /// boolean, integer, decimal, complex: JSON types kept as they are.
    Other,
    /// Not an attribute: the pseudo-slot of a whole extension object.
    Extension,
}

#[derive(Clone, Debug)]
pub struct AttrLayout {
    pub name: String,
    pub kind: Kind,
    pub case_exact: bool,
    pub complex: bool,
    pub multi: bool,
    /// sub-attributes, in the order their indexes (`u16`) refer to.
    pub subs: Vec<AttrLayout>,
    pub sub_index: HashMap<String, u16>,
}

/// The attribute slots of one resource type.
#[derive(Clone, Debug)]
pub struct Layout {
    pub attrs: Vec<AttrLayout>,
    /// canonical name -> slot, for attributes held by the resource object itself.
    pub core: HashMap<String, u16>,
    /// extension URN -> (canonical name -> slot).
    pub extensions: HashMap<String, HashMap<String, u16>>,
    /// extension URN -> the pseudo-slot recording whether the extension object is present (`urn pr`).
    pub extension_objects: HashMap<String, u16>,
    /// slots with a case-insensitive equality index.
    pub indexed: Vec<u16>,
    /// slots whose values must be unique (compared as stored: folded unless caseExact).
    pub unique: Vec<u16>,
}

impl Layout {
    /// Parse `{"attrs": [{"ext", "name", "type", "caseExact", "multiValued", "subs": [...]}], "indexed": [...],
    /// "unique": [...]}`. An entry `{"ext": urn, "name": "", "type": "extension"}` is the pseudo-slot of the
    /// extension object `urn` itself.
    ///
    /// # Errors
    /// A malformed layout (a bug in the Python side, never user input).
    pub fn from_json(text: &str) -> Result<Self, DirError> {
        let value: Value = serde_json::from_str(text).map_err(|e| DirError::Layout(e.to_string()))?;
        let attrs_json = value
            .get("attrs")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("attrs"))?;
        let mut layout = Layout {
            attrs: Vec::new(),
            core: HashMap::new(),
            extensions: HashMap::new(),
            extension_objects: HashMap::new(),
            indexed: Vec::new(),
            unique: Vec::new(),
        };
        for (slot, attr) in attrs_json.iter().enumerate() {
            let slot = u16::try_from(slot).map_err(|_| bad("too many attributes"))?;
            let parsed = parse_attr(attr)?;
            match attr.get("ext").and_then(Value::as_str) {
                Some(urn) if parsed.kind == Kind::Extension => {
                    layout.extension_objects.insert(urn.to_owned(), slot);
                }
                Some(urn) => {
                    layout
                        .extensions
                        .entry(urn.to_owned())
                        .or_default()
                        .insert(parsed.name.clone(), slot);
                }
                None => {
                    layout.core.insert(parsed.name.clone(), slot);
                }
            }
            layout.attrs.push(parsed);
        }
        layout.indexed = slots(&value, "indexed", layout.attrs.len())?;
        layout.unique = slots(&value, "unique", layout.attrs.len())?;
        for slot in &layout.unique {
            if !layout.indexed.contains(slot) {
                layout.indexed.push(*slot);
            }
        }
        Ok(layout)
    }
}

fn bad(what: &str) -> DirError {
    DirError::Layout(format!("malformed layout: {what}"))
}

fn parse_attr(attr: &Value) -> Result<AttrLayout, DirError> {
    let name = attr
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("name"))?
        .to_owned();
    let type_name = attr.get("type").and_then(Value::as_str).ok_or_else(|| bad("type"))?;
    let kind = match type_name {
        "string" | "reference" | "binary" => Kind::Text,
        "dateTime" => Kind::DateTime,
        "extension" => Kind::Extension,
        _ => Kind::Other,
    };
    let case_exact = attr.get("caseExact").and_then(Value::as_bool).unwrap_or(false);
    let multi = attr.get("multiValued").and_then(Value::as_bool).unwrap_or(false);
    let mut subs = Vec::new();
    let mut sub_index = HashMap::new();
    if let Some(list) = attr.get("subs").and_then(Value::as_array) {
        for (i, sub) in list.iter().enumerate() {
            let parsed = parse_attr(sub)?;
            sub_index.insert(
                parsed.name.clone(),
                u16::try_from(i).map_err(|_| bad("too many sub-attributes"))?,
            );
            subs.push(parsed);
        }
    }
    Ok(AttrLayout {
        name,
        kind,
        case_exact,
        complex: type_name == "complex",
        multi,
        subs,
        sub_index,
    })
}

fn slots(value: &Value, key: &str, count: usize) -> Result<Vec<u16>, DirError> {
    let Some(list) = value.get(key) else {
        return Ok(Vec::new());
    };
    let list = list.as_array().ok_or_else(|| bad(key))?;
    list.iter()
        .map(|v| {
            v.as_u64()
                .filter(|&s| usize::try_from(s).is_ok_and(|s| s < count))
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| bad(key))
        })
        .collect()
}
