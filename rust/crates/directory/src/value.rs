//! The scan representation of a resource: for every attribute slot the layout knows, a [`Node`] tree in which
//! text is already in comparison form (case-folded unless the attribute is `caseExact`) and dateTimes are
//! instants. Unknown keys are dropped here (filters cannot name them) except for their effect on `pr`.
//!
//! Trees are not stored: the store keeps each resource's JSON and builds the trees of the slots it needs when
//! it needs them ([`parse`]: columns at their first use, the few candidates of an index lookup, the index keys
//! at a write when the layout indexes more than the resource object's attributes), skipping the rest of the
//! document without building it. A write usually needs no tree at all: [`read_keys`] reads its id and the
//! index keys of its values straight from the text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::datetime::value_instant;
use super::fold::folded;
use super::layout::{AttrLayout, Kind, Layout, Top};

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

/// The node of `slot` in `slots`, if the resource has it.
#[must_use]
pub fn slot_node(slots: &[(u16, Node)], slot: u16) -> Option<&Node> {
    slots.binary_search_by_key(&slot, |(s, _)| *s).ok().map(|i| &slots[i].1)
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
    /// Whether the document has the top-level key [`parse_flagged`] was asked to look for.
    pub flagged: bool,
}

/// Parse a resource document (a JSON object; a repeated key counts with its last value, as in a Python
/// `dict`) and build the trees of the `wanted` slots (`wanted[slot]`) straight from the text. The rest of the
/// document is checked but not built.
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
    // one UTF-8 check for the whole document, so that strings are not checked one by one
    let text = std::str::from_utf8(json).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let picked = Picker { layout, wanted, flag }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    let mut slots: Vec<(u16, Node)> = picked.core;
    for ext in picked.extensions {
        if let Some(present) = ext.present {
            slots.extend(ext.object_slot.map(|slot| (slot, Node::Opaque(present))));
            slots.extend(ext.slots);
        }
    }
    slots.sort_by_key(|(slot, _)| *slot);
    Ok(Parsed {
        id: picked.id,
        slots: slots.into_boxed_slice(),
        meta_complete: picked.meta_strings.iter().all(|&s| s),
        flagged: picked.flagged,
    })
}

/// What [`read_keys`] reads of a resource document to store it.
#[derive(Debug)]
pub struct Keyed<'a> {
    /// The `id`, when it is a non-empty string: borrowed from the document when it is written without escapes.
    pub id: Option<Cow<'a, str>>,
    /// `(index, key)` of each indexed value: [`Layout::index_key`] of the value in comparison form, by index
    /// (`layout.indexed` order), a slot's values in document order.
    pub keys: Vec<(u16, u32)>,
    /// As [`Parsed::meta_complete`].
    pub meta_complete: bool,
    /// As [`Parsed::flagged`].
    pub flagged: bool,
}

/// For a layout with [`Layout::direct_keys`]: what a write needs of a document (its `id`, the index keys of
/// its indexed values, `meta`'s completeness, the flag), read without building trees: the keys are those of
/// the text values [`parse_flagged`] with `layout.index_slots` would build, and the errors are the same.
///
/// # Errors
/// The bytes are not one JSON object (serde's message).
pub fn read_keys<'a>(layout: &Layout, json: &'a [u8], flag: Option<&str>) -> Result<Keyed<'a>, serde_json::Error> {
    debug_assert!(layout.direct_keys);
    let text = std::str::from_utf8(json).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let keyed = deserializer.deserialize_map(KeyPicker { layout, flag })?;
    deserializer.end()?;
    Ok(keyed)
}

/// The top level of a resource document for [`read_keys`].
struct KeyPicker<'l> {
    layout: &'l Layout,
    flag: Option<&'l str>,
}

impl<'de> Visitor<'de> for KeyPicker<'_> {
    type Value = Keyed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keyed<'de>, A::Error> {
        let layout = self.layout;
        let mut keys: Vec<(u16, u32)> = Vec::with_capacity(layout.indexed.len());
        let mut id = None;
        let mut meta_strings = [false; 4];
        let mut flagged = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if self.flag == Some(&*key) {
                flagged = true;
            }
            // only attributes of the resource object are indexed (`direct_keys`): extensions are skipped
            let index = match layout.top.get(&*key) {
                Some(&Top::Core(slot)) => layout
                    .indexed
                    .iter()
                    .position(|&s| s == slot)
                    .map(|i| (i, &layout.attrs[slot as usize])),
                _ => None,
            };
            if let Some((i, _)) = index {
                // a repeated key counts with its last value
                #[allow(clippy::cast_possible_truncation)] // fewer indexes than slots (u16)
                let i = i as u16;
                keys.retain(|&(k, _)| k != i);
            }
            match (&*key, index) {
                ("id", _) => {
                    let text = map.next_value_seed(IdSeed)?;
                    if let (Some((i, attr)), Some(text)) = (index, &text) {
                        push_key(layout, attr, i, text, &mut keys);
                    }
                    id = text.filter(|t| !t.is_empty()).map(|t| match t {
                        Text::Borrowed(s) => Cow::Borrowed(s),
                        Text::Owned(s) => Cow::Owned(s),
                    });
                }
                // `meta` is not indexed (`direct_keys`)
                ("meta", _) => meta_strings = map.next_value::<MetaStrings>()?.0,
                (_, Some((i, attr))) => map.next_value_seed(KeysSeed {
                    layout,
                    attr,
                    index: i,
                    keys: &mut keys,
                    list: true,
                })?,
                (_, None) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        keys.sort_by_key(|&(i, _)| i);
        Ok(Keyed {
            id,
            keys,
            meta_complete: meta_strings.iter().all(|&s| s),
            flagged,
        })
    }
}

/// Record the index key of the string `s` of `attr` when its tree is text ([`text_form`]).
fn push_key(layout: &Layout, attr: &AttrLayout, index: usize, s: &str, keys: &mut Vec<(u16, u32)>) {
    // the key folds the text: an ASCII text's comparison form (its folding, or itself) folds as the text does
    let key = if s.is_ascii() && attr.kind == Kind::Text {
        layout.index_key(s)
    } else {
        match text_form(attr, s) {
            Some(text) => layout.index_key(&text),
            None => return,
        }
    };
    #[allow(clippy::cast_possible_truncation)] // fewer indexes than slots (u16)
    keys.push((index as u16, key));
}

/// The `id` value: its text when it is a string, else `None` (the value read and dropped).
struct IdSeed;

impl<'de> DeserializeSeed<'de> for IdSeed {
    type Value = Option<Text<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdSeed {
    type Value = Option<Text<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Text::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(Text::Owned(s.to_owned())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Presence.visit_map(map).map(|_| None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Presence.visit_seq(seq).map(|_| None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An indexed attribute's value read for its keys: those of a string, or (`list`) of a list's strings, as
/// [`crate::store`] takes them from the tree [`NodeSeed`] builds; everything else is read (as [`NodeSeed`]
/// reads it) and dropped.
struct KeysSeed<'k, 'l> {
    layout: &'l Layout,
    attr: &'l AttrLayout,
    index: usize,
    keys: &'k mut Vec<(u16, u32)>,
    /// Whether a list's strings count (the value itself, not an element of a list).
    list: bool,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        push_key(self.layout, self.attr, self.index, s, self.keys);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.list {
            return Presence.visit_seq(seq).map(|_| ());
        }
        let KeysSeed {
            layout,
            attr,
            index,
            keys,
            ..
        } = self;
        while seq
            .next_element_seed(KeysSeed {
                layout,
                attr,
                index,
                keys: &mut *keys,
                list: false,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Presence.visit_map(map).map(|_| ())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
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

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
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

/// Record `(key, value)`, replacing the value of an earlier equal key (a repeated key's last value counts).
fn put<K: PartialEq, V>(entries: &mut Vec<(K, V)>, key: K, value: V) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

/// An extension object as read: its slots wanted, and whether it is present (an object with a non-empty
/// value; `None` when the key holds no object).
struct Extension<'a> {
    urn: &'a str,
    object_slot: Option<u16>,
    present: Option<bool>,
    slots: Vec<(u16, Node)>,
}

/// What [`Picker`] keeps of a document.
#[derive(Default)]
struct Picked<'a> {
    id: Option<String>,
    meta_strings: [bool; 4],
    core: Vec<(u16, Node)>,
    extensions: Vec<Extension<'a>>,
    flagged: bool,
}

/// The top level of a resource document: `id`, `meta`'s completeness, the wanted slots as trees.
struct Picker<'a> {
    layout: &'a Layout,
    wanted: &'a [bool],
    flag: Option<&'a str>,
}

impl Picker<'_> {
    fn want(&self, slot: u16) -> bool {
        self.wanted.get(slot as usize).copied().unwrap_or(false)
    }
}

impl<'de, 'a> DeserializeSeed<'de> for Picker<'a> {
    type Value = Picked<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Picked<'a>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, 'a> Visitor<'de> for Picker<'a> {
    type Value = Picked<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Picked<'a>, A::Error> {
        let layout = self.layout;
        let mut picked = Picked::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if self.flag == Some(&*key) {
                picked.flagged = true;
            }
            let slot = match layout.top.get_key_value(&*key) {
                Some((urn, &Top::Extension { object, attributes })) => {
                    let object_slot = object.filter(|&s| self.want(s));
                    let names = layout.extensions.get(urn).filter(|_| attributes);
                    if object_slot.is_none() && !names.is_some_and(|n| n.values().any(|&s| self.want(s))) {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let (present, slots) = match names {
                        Some(names) => map.next_value_seed(ExtensionSeed { picker: &self, names })?,
                        None => (map.next_value_seed(ObjectPresence)?, Vec::new()),
                    };
                    picked.extensions.retain(|e| e.urn != urn.as_str());
                    picked.extensions.push(Extension {
                        urn,
                        object_slot,
                        present,
                        slots,
                    });
                    continue;
                }
                Some((_, &Top::Core(slot))) => Some(slot),
                None => None,
            };
            match &*key {
                "id" => {
                    let node = map.next_value_seed(NodeSeed(&ID))?;
                    picked.id = match &node {
                        Node::Str(id) if !id.is_empty() => Some(String::from(&**id)),
                        _ => None,
                    };
                    if let Some(slot) = slot.filter(|&s| self.want(s)) {
                        let node = match node {
                            Node::Str(id) => convert_text(&layout.attrs[slot as usize], &id),
                            other => other,
                        };
                        put(&mut picked.core, slot, node);
                    }
                }
                "meta" => match slot.filter(|&s| self.want(s)) {
                    Some(slot) => {
                        let attr = &layout.attrs[slot as usize];
                        let node = map.next_value_seed(NodeSeed(attr))?;
                        picked.meta_strings = meta_strings_of(attr, &node);
                        put(&mut picked.core, slot, node);
                    }
                    None => picked.meta_strings = map.next_value::<MetaStrings>()?.0,
                },
                _ => match slot.filter(|&s| self.want(s)) {
                    Some(slot) => {
                        let node = map.next_value_seed(NodeSeed(&layout.attrs[slot as usize]))?;
                        put(&mut picked.core, slot, node);
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(picked)
    }
}

/// How `id` is read before its attribute is known: raw text (case kept).
static ID: AttrLayout = AttrLayout {
    name: String::new(),
    kind: Kind::Other,
    case_exact: true,
    complex: false,
    multi: false,
    subs: Vec::new(),
    sub_index: crate::layout::Names::with_hasher(std::hash::BuildHasherDefault::new()),
};

/// Which of [`META_KEYS`] a `meta` tree holds as strings (a dateTime string is a string).
fn meta_strings_of(attr: &AttrLayout, node: &Node) -> [bool; 4] {
    let mut found = [false; 4];
    if let Node::Object(entries) = node {
        for (i, key) in META_KEYS.iter().enumerate() {
            found[i] = attr.sub_index.get(*key).is_some_and(|&sub| {
                entries
                    .iter()
                    .any(|(k, n)| *k == sub && matches!(n, Node::Str(_) | Node::DateTime(_)))
            });
        }
    }
    found
}

/// An extension object: the trees of its wanted attributes, and whether it holds a non-empty value.
struct ExtensionSeed<'p, 'a> {
    picker: &'p Picker<'a>,
    names: &'a crate::layout::Names<u16>,
}

impl<'de> DeserializeSeed<'de> for ExtensionSeed<'_, '_> {
    type Value = (Option<bool>, Vec<(u16, Node)>);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ExtensionSeed<'_, '_> {
    type Value = (Option<bool>, Vec<(u16, Node)>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots: Vec<(u16, Node)> = Vec::new();
        let mut presence: Vec<(Text<'de>, bool)> = Vec::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if let Some(slot) = self.names.get(&*key).copied().filter(|&s| self.picker.want(s)) {
                let node = map.next_value_seed(NodeSeed(&self.picker.layout.attrs[slot as usize]))?;
                put(&mut presence, key, node.is_present());
                put(&mut slots, slot, node);
            } else {
                let present = map.next_value_seed(Presence)?;
                put(&mut presence, key, present);
            }
        }
        Ok((Some(presence.iter().any(|(_, p)| *p)), slots))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Presence.visit_seq(seq).map(|_| (None, Vec::new()))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((None, Vec::new()))
    }
}

/// Whether a value is an object holding a non-empty value (`None` when it is no object).
struct ObjectPresence;

impl<'de> DeserializeSeed<'de> for ObjectPresence {
    type Value = Option<bool>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<bool>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectPresence {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<bool>, A::Error> {
        Presence.visit_map(map).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<bool>, A::Error> {
        Presence.visit_seq(seq).map(|_| None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }
}

/// The `pr` rule on a JSON value as read (docs/semantics.md §Evaluation): false for null and `""`, lists and
/// objects present when a member is (an object's repeated key by its last value).
struct Presence;

impl<'de> DeserializeSeed<'de> for Presence {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Presence {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut presence: Vec<(Text<'de>, bool)> = Vec::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let present = map.next_value_seed(Presence)?;
            put(&mut presence, key, present);
        }
        Ok(presence.iter().any(|(_, p)| *p))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut any = false;
        while let Some(present) = seq.next_element_seed(Presence)? {
            any |= present;
        }
        Ok(any)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_str<E>(self, s: &str) -> Result<bool, E> {
        Ok(!s.is_empty())
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// One attribute value read straight into its tree: text folded unless `caseExact`, dateTimes as instants,
/// a complex value's known sub-attributes by index ([`UNKNOWN_SUB`] for present unknown ones), an object
/// where the attribute is not complex as [`Node::Opaque`].
struct NodeSeed<'a>(&'a AttrLayout);

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(Node::Int(i))
    }

    #[allow(clippy::cast_precision_loss)] // beyond i64: the nearest float, as serde_json's `as_f64`
    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        Ok(i64::try_from(u).map_or(Node::Float(u as f64), Node::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Node, E> {
        Ok(Node::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(convert_text(self.0, s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed(self.0))? {
            items.push(item);
        }
        Ok(Node::List(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let attr = self.0;
        if !attr.complex {
            return Presence.visit_map(map).map(Node::Opaque);
        }
        let mut entries: Vec<(u16, Node)> = Vec::new();
        let mut unknown: Vec<(Text<'de>, bool)> = Vec::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if let Some(&i) = attr.sub_index.get(&*key) {
                let node = map.next_value_seed(NodeSeed(&attr.subs[i as usize]))?;
                put(&mut entries, i, node);
            } else {
                let present = map.next_value_seed(Presence)?;
                put(&mut unknown, key, present);
            }
        }
        if unknown.iter().any(|(_, p)| *p) {
            entries.push((UNKNOWN_SUB, Node::Opaque(true)));
        }
        entries.sort_by_key(|(i, _)| *i);
        Ok(Node::Object(entries.into_boxed_slice()))
    }
}

/// The comparison form of a string value of `attr` when its tree is text ([`convert_text`] gives a
/// [`Node::Str`]): folded unless `caseExact`; `None` for a dateTime that is an instant.
fn text_form<'s>(attr: &AttrLayout, s: &'s str) -> Option<Cow<'s, str>> {
    match attr.kind {
        Kind::Text if !attr.case_exact => Some(folded(s)),
        Kind::DateTime if value_instant(s).is_some() => None,
        _ => Some(Cow::Borrowed(s)),
    }
}

/// A string value in comparison form for its attribute.
fn convert_text(attr: &AttrLayout, s: &str) -> Node {
    match attr.kind {
        Kind::Text if !attr.case_exact => Node::Str(folded(s).into()),
        Kind::DateTime => value_instant(s).map_or_else(|| Node::Str(s.into()), Node::DateTime),
        _ => Node::Str(s.into()),
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
                Some(i) => found[i] = map.next_value::<IsString>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(MetaStrings(found))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MetaStrings, A::Error> {
        Presence.visit_seq(seq).map(|_| MetaStrings([false; 4]))
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

/// Whether a value is a string (anything else is read and dropped).
struct IsString(bool);

impl<'de> Deserialize<'de> for IsString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IsStringVisitor;
        impl<'de> Visitor<'de> for IsStringVisitor {
            type Value = IsString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, _: &str) -> Result<IsString, E> {
                Ok(IsString(true))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<IsString, A::Error> {
                Presence.visit_map(map).map(|_| IsString(false))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<IsString, A::Error> {
                Presence.visit_seq(seq).map(|_| IsString(false))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IsString, E> {
                Ok(IsString(false))
            }
            fn visit_i64<E>(self, _: i64) -> Result<IsString, E> {
                Ok(IsString(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<IsString, E> {
                Ok(IsString(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<IsString, E> {
                Ok(IsString(false))
            }
            fn visit_unit<E>(self) -> Result<IsString, E> {
                Ok(IsString(false))
            }
        }
        deserializer.deserialize_any(IsStringVisitor)
    }
}

/// The reference conversion, from a whole `serde_json` tree: what [`parse`] must build (tested against it).
#[cfg(test)]
pub(crate) mod reference {
    use serde_json::{Map, Value};

    use super::{convert_text, Node, Slots, UNKNOWN_SUB};
    use crate::layout::{AttrLayout, Layout};

    /// Every slot of a resource object.
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
        out.into_boxed_slice()
    }

    fn convert(attr: &AttrLayout, value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => n.as_f64().map_or(Node::Opaque(true), Node::Float),
            },
            Value::String(s) => convert_text(attr, s),
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
                Node::Object(entries.into_boxed_slice())
            }
            Value::Object(_) => Node::Opaque(!json_is_empty(value)),
        }
    }

    fn json_is_empty(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.iter().all(json_is_empty),
            Value::Object(map) => map.values().all(json_is_empty),
            _ => false,
        }
    }
}
