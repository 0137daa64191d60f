//! The filter AST of RFC 7644 §3.4.2.2 and the PATCH path of §3.5.2: plain owned data.
//!
//! It mirrors `python/scimcore/filter/ast.py` node for node; [`crate::json`] writes the JSON those Python
//! Structs decode from.

/// `[URI ":"] ATTRNAME ["." subAttr]`; all parts keep the case they were written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// A plain attribute name without URN or sub-attribute.
    #[must_use]
    pub fn named(name: &str) -> Self {
        Self {
            uri: None,
            name: name.to_owned(),
            sub: None,
        }
    }
}

/// The comparison operators of RFC 7644 §3.4.2.2 (Table 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    /// The operator for a keyword, compared ASCII-case-insensitively.
    #[must_use]
    pub fn from_keyword(word: &str) -> Option<Self> {
        let [a, b] = word.as_bytes() else { return None };
        Some(match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
            [b'e', b'q'] => Self::Eq,
            [b'n', b'e'] => Self::Ne,
            [b'c', b'o'] => Self::Co,
            [b's', b'w'] => Self::Sw,
            [b'e', b'w'] => Self::Ew,
            [b'g', b't'] => Self::Gt,
            [b'l', b't'] => Self::Lt,
            [b'g', b'e'] => Self::Ge,
            [b'l', b'e'] => Self::Le,
            _ => return None,
        })
    }

    /// The lower-case keyword.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
        }
    }
}

/// A comparison value (the RFC's compValue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string literal, escapes decoded.
    String(String),
    /// A JSON number literal, exactly as written (kept as text so that decimals stay exact).
    Number(String),
    Bool(bool),
    Null,
}

/// `attrPath compareOp compValue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compare {
    pub path: AttrPath,
    pub op: CompareOp,
    pub value: Value,
}

/// `attrPath "[" valFilter "]"`: `filter` names sub-attributes of `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuePath {
    pub path: AttrPath,
    pub filter: Box<Filter>,
}

/// A filter expression. `And`/`Or` are n-ary (at least two terms); a parenthesised group stays a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    Compare(Compare),
    /// `attrPath "pr"`.
    Present(AttrPath),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    ValuePath(ValuePath),
}

impl Filter {
    /// Moves this node's children out (leaving it childless), so that a deep tree can be dropped
    /// without recursion.
    fn take_children(&mut self, into: &mut Vec<Filter>) {
        match self {
            Self::And(terms) | Self::Or(terms) => into.append(terms),
            Self::Not(inner) => into.push(std::mem::replace(&mut **inner, Self::And(Vec::new()))),
            Self::ValuePath(vp) => into.push(std::mem::replace(&mut *vp.filter, Self::And(Vec::new()))),
            Self::Compare(_) | Self::Present(_) => {}
        }
    }
}

/// Drops iteratively: a tree as deep as a raised `max_depth` allows must not overflow the stack.
impl Drop for Filter {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.take_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.take_children(&mut pending);
        }
    }
}

/// A PATCH `path` (RFC 7644 §3.5.2): `attrPath` or `valuePath ["." subAttr]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_case_insensitive() {
        assert_eq!(CompareOp::from_keyword("EQ"), Some(CompareOp::Eq));
        assert_eq!(CompareOp::from_keyword("sW"), Some(CompareOp::Sw));
        assert_eq!(CompareOp::from_keyword("pr"), None);
        assert_eq!(CompareOp::from_keyword("e"), None);
        assert_eq!(CompareOp::Le.as_str(), "le");
    }

    #[test]
    fn dropping_a_very_deep_tree_does_not_recurse() {
        let mut f = Filter::Present(AttrPath::named("a"));
        for _ in 0..1_000_000 {
            f = Filter::Not(Box::new(f));
        }
        drop(f);
    }
}
