//! Sort keys (RFC 7644 §3.4.2.3, SEMANTICS "Query", J42): the value of the `sortBy` attribute (for a
//! multi-valued attribute the element with `primary: true`, else the first; a complex attribute without a
//! sub-attribute sorts by `value`, which Python resolves into `sub`), compared by type; values that are
//! absent, empty strings or not of the attribute's type sort as missing: last ascending, first descending.
//! Ties are broken by `id` (ascending in both directions, like `scimcore.query`'s stable sort).

use std::cmp::Ordering;

use super::plan::int_float_cmp;
use super::value::{slot_node, Node};

/// The kind of value the attribute holds, so that values of another type count as missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKind {
    Text,
    Number,
    Bool,
    DateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortSpec {
    pub slot: u16,
    pub sub: Option<u16>,
    pub primary: Option<u16>,
    /// Is the attribute multi-valued (sort by its primary element, else the first)?
    pub multi: bool,
    pub kind: SortKind,
    pub descending: bool,
    /// In descending order, are ties by `id` also reversed?
    pub ids_descending: bool,
}

impl SortSpec {
    /// The spec without its direction: what identifies a sort key column.
    #[must_use]
    pub fn key_spec(&self) -> SortSpec {
        SortSpec {
            descending: false,
            ids_descending: false,
            ..self.clone()
        }
    }

    /// The sort key of a resource: a borrowed leaf node of the right kind, or `None` (missing).
    #[must_use]
    pub fn key<'a>(&self, slots: &'a [(u16, Node)]) -> Option<&'a Node> {
        let mut node = slot_node(slots, self.slot)?;
        if self.multi {
            let Node::List(items) = node else { return None };
            node = self.primary_element(items)?;
        }
        if let Some(sub) = self.sub {
            let Node::Object(entries) = node else { return None };
            node = entries
                .binary_search_by_key(&sub, |(i, _)| *i)
                .ok()
                .map(|i| &entries[i].1)?;
        }
        let fits = match (self.kind, node) {
            (SortKind::Text, Node::Str(s)) => !s.is_empty(),
            (SortKind::Number, Node::Int(_) | Node::Float(_))
            | (SortKind::Bool, Node::Bool(_))
            | (SortKind::DateTime, Node::DateTime(_)) => true,
            _ => false,
        };
        fits.then_some(node)
    }

    fn primary_element<'a>(&self, items: &'a [Node]) -> Option<&'a Node> {
        if let Some(primary) = self.primary {
            let is_primary = |e: &&Node| match e {
                Node::Object(entries) => entries.iter().any(|(i, v)| *i == primary && *v == Node::Bool(true)),
                _ => false,
            };
            if let Some(found) = items.iter().find(is_primary) {
                return Some(found);
            }
        }
        items.first()
    }

    /// Total order of `(key, id)` pairs for this spec, direction included.
    #[must_use]
    pub fn compare(&self, a: (Option<&Node>, &str), b: (Option<&Node>, &str)) -> Ordering {
        let by_key = match (a.0, b.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => compare_keys(x, y),
        };
        let by_key = if self.descending { by_key.reverse() } else { by_key };
        let by_id = a.1.cmp(b.1);
        by_key.then(if self.descending && self.ids_descending {
            by_id.reverse()
        } else {
            by_id
        })
    }
}

fn compare_keys(a: &Node, b: &Node) -> Ordering {
    match (a, b) {
        (Node::Str(x), Node::Str(y)) => x.cmp(y),
        (Node::DateTime(x), Node::DateTime(y)) | (Node::Int(x), Node::Int(y)) => x.cmp(y),
        (Node::Bool(x), Node::Bool(y)) => x.cmp(y),
        (Node::Float(x), Node::Float(y)) => x.total_cmp(y),
        (Node::Int(x), Node::Float(y)) => int_float_cmp(*x, *y).unwrap_or(Ordering::Equal),
        (Node::Float(x), Node::Int(y)) => int_float_cmp(*y, *x).map_or(Ordering::Equal, Ordering::reverse),
        _ => Ordering::Equal,
    }
}
