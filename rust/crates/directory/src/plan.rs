//! Filter plans: a filter already compiled against the schema in Python (attribute paths resolved to slots
//! and sub-attribute indexes, literals checked and converted), evaluated here over [`Node`] trees with the
//! semantics of docs/semantics.md §Evaluation: any-value matching, value paths within one element, `pr` by shape.
//! `ne` arrives as `not(eq)`, `eq null`/`ne null` as `not(pr)`/`pr`, and comparisons on complex attributes
//! already point at their `value` sub-attribute.
//!
//! The binding hands a plan over as a [`PlanSpec`] (typed nodes: slot and sub-attribute indexes, one of the
//! filter's [`Op`]erators, a converted [`Literal`]), which [`Plan::bind`] checks against the layout.
//! Literal text is already folded unless the attribute is `caseExact`; dateTimes are epoch microseconds; a
//! number that is not an `i64` is the nearest float and the side on which the exact value lies.

use std::cmp::Ordering;

pub use scimcore_filter::ast::CompareOp as Op;

use super::error::DirError;
use super::layout::{AttrLayout, Layout};
use super::value::{slot_node, Node};

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(Box<str>),
    Int(i64),
    /// A number that is not an `i64`: the nearest float and the sign of `float - exact value` (0 when the
    /// float is exact), so that comparisons stay exact like Python's `float`/`Decimal` comparisons.
    Float(f64, i8),
    Bool(bool),
    DateTime(i64),
}

/// Where values are read: a top-level slot (or the current value-path element when `slot` is `None`), and
/// optionally one of its sub-attributes; the `multi` flags come from the schema (a multi-valued attribute
/// is only looked into when it holds a list, a single-valued one is tested as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub slot: Option<u16>,
    pub sub: Option<u16>,
    pub multi: bool,
    pub sub_multi: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Const(bool),
    And(Vec<Plan>),
    Or(Vec<Plan>),
    Not(Box<Plan>),
    Compare {
        target: Target,
        op: Op,
        literal: Literal,
    },
    /// `pr`: some value at the target is non-empty by its JSON shape ([`Node::is_present`]).
    Present {
        target: Target,
    },
    ValuePath {
        slot: u16,
        multi: bool,
        filter: Box<Plan>,
    },
}

/// A plan as handed over, before [`Plan::bind`] checks it against the layout. A `slot` of `None` is the
/// current element of the enclosing value path.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanSpec {
    Const(bool),
    And(Vec<PlanSpec>),
    Or(Vec<PlanSpec>),
    Not(Box<PlanSpec>),
    /// Some value at the target satisfies `op` (never `ne`: it arrives as `not(eq)`).
    Compare {
        slot: Option<u16>,
        sub: Option<u16>,
        op: Op,
        literal: Literal,
    },
    Present {
        slot: Option<u16>,
        sub: Option<u16>,
    },
    ValuePath {
        slot: u16,
        filter: Box<PlanSpec>,
    },
}

const MAX_DEPTH: usize = 256;

impl Plan {
    /// Check `spec` against `layout` (slots, sub-attributes, value paths on complex attributes).
    ///
    /// # Errors
    /// A malformed plan (a bug in the binding, never user input).
    pub fn bind(spec: &PlanSpec, layout: &Layout) -> Result<Plan, DirError> {
        Binder { layout }.bind(spec, None, 0)
    }

    /// Does the resource with these slots satisfy the plan?
    #[must_use]
    pub fn matches(&self, slots: &[(u16, Node)]) -> bool {
        eval(self, slots, None)
    }
}

fn bad(what: &str) -> DirError {
    DirError::Plan(format!("malformed filter plan: {what}"))
}

struct Binder<'a> {
    layout: &'a Layout,
}

impl Binder<'_> {
    /// `element`: inside a value path, the complex attribute whose elements are tested.
    fn bind(&self, spec: &PlanSpec, element: Option<&AttrLayout>, depth: usize) -> Result<Plan, DirError> {
        if depth > MAX_DEPTH {
            return Err(bad("too deep"));
        }
        let terms = |terms: &[PlanSpec]| {
            terms
                .iter()
                .map(|t| self.bind(t, element, depth + 1))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(match spec {
            PlanSpec::Const(b) => Plan::Const(*b),
            PlanSpec::And(items) => Plan::And(terms(items)?),
            PlanSpec::Or(items) => Plan::Or(terms(items)?),
            PlanSpec::Not(inner) => Plan::Not(Box::new(self.bind(inner, element, depth + 1)?)),
            PlanSpec::Present { slot, sub } => Plan::Present {
                target: self.target(*slot, *sub, element)?,
            },
            PlanSpec::Compare { op: Op::Ne, .. } => return Err(bad("ne arrives as not(eq)")),
            PlanSpec::Compare { slot, sub, op, literal } => Plan::Compare {
                target: self.target(*slot, *sub, element)?,
                op: *op,
                literal: literal.clone(),
            },
            PlanSpec::ValuePath { slot, filter } => {
                let attr = self
                    .layout
                    .attrs
                    .get(*slot as usize)
                    .filter(|a| a.complex)
                    .ok_or_else(|| bad("value path"))?;
                if element.is_some() {
                    return Err(bad("nested value path"));
                }
                Plan::ValuePath {
                    slot: *slot,
                    multi: attr.multi,
                    filter: Box::new(self.bind(filter, Some(attr), depth + 1)?),
                }
            }
        })
    }

    fn target(&self, slot: Option<u16>, sub: Option<u16>, element: Option<&AttrLayout>) -> Result<Target, DirError> {
        match (slot, element) {
            (Some(slot), None) => {
                let attr = self.layout.attrs.get(slot as usize).ok_or_else(|| bad("slot"))?;
                let sub_multi = match sub {
                    None => false,
                    Some(k) => attr.subs.get(k as usize).ok_or_else(|| bad("sub"))?.multi,
                };
                Ok(Target {
                    slot: Some(slot),
                    sub,
                    multi: attr.multi,
                    sub_multi,
                })
            }
            (None, Some(parent)) => {
                let k = sub.ok_or_else(|| bad("element target needs a sub-attribute"))?;
                let def = parent.subs.get(k as usize).ok_or_else(|| bad("sub"))?;
                Ok(Target {
                    slot: None,
                    sub: Some(k),
                    multi: false,
                    sub_multi: def.multi,
                })
            }
            _ => Err(bad("target")),
        }
    }
}

fn eval(plan: &Plan, slots: &[(u16, Node)], element: Option<&Node>) -> bool {
    match plan {
        Plan::Const(b) => *b,
        Plan::And(terms) => terms.iter().all(|t| eval(t, slots, element)),
        Plan::Or(terms) => terms.iter().any(|t| eval(t, slots, element)),
        Plan::Not(inner) => !eval(inner, slots, element),
        Plan::Present { target } => any_value(slots, element, *target, Node::is_present),
        Plan::Compare { target, op, literal } => any_value(slots, element, *target, |n| compare(n, *op, literal)),
        Plan::ValuePath { slot, multi, filter } => {
            let test = |e: &Node| matches!(e, Node::Object(_)) && eval(filter, slots, Some(e));
            slot_node(slots, *slot).is_some_and(|node| each(node, *multi, &test))
        }
    }
}

/// `test` on a value: for a multi-valued attribute on each element of a list (a non-list has no values),
/// else on the value itself. True if any passes (RFC 7644 §3.4.2.2 any-value matching).
fn each(node: &Node, multi: bool, test: &impl Fn(&Node) -> bool) -> bool {
    if !multi {
        return test(node);
    }
    match node {
        Node::List(items) => items.iter().any(test),
        _ => false,
    }
}

fn any_value(slots: &[(u16, Node)], element: Option<&Node>, target: Target, test: impl Fn(&Node) -> bool) -> bool {
    let base = match target.slot {
        Some(slot) => slot_node(slots, slot),
        None => element,
    };
    let Some(base) = base else { return false };
    let Some(sub) = target.sub else {
        return each(base, target.multi, &test);
    };
    let in_element = |e: &Node| sub_value(e, sub).is_some_and(|v| each(v, target.sub_multi, &test));
    if target.slot.is_none() {
        return in_element(base);
    }
    each(base, target.multi, &in_element)
}

fn sub_value(element: &Node, sub: u16) -> Option<&Node> {
    match element {
        Node::Object(entries) => entries
            .binary_search_by_key(&sub, |(i, _)| *i)
            .ok()
            .map(|i| &entries[i].1),
        _ => None,
    }
}

fn compare(node: &Node, op: Op, literal: &Literal) -> bool {
    match (node, literal) {
        (Node::Str(s), Literal::Str(lit)) => match op {
            Op::Eq => **s == **lit,
            Op::Co => s.contains(&**lit),
            Op::Sw => s.starts_with(&**lit),
            Op::Ew => s.ends_with(&**lit),
            _ => ordered(s.as_ref().cmp(lit.as_ref()), op),
        },
        (Node::DateTime(t), Literal::DateTime(lit)) => ordered(t.cmp(lit), op),
        (Node::Bool(b), Literal::Bool(lit)) => op == Op::Eq && b == lit,
        (Node::Int(_) | Node::Float(_), Literal::Int(_) | Literal::Float(..)) => {
            numeric_cmp(node, literal).is_some_and(|ord| ordered(ord, op))
        }
        _ => false,
    }
}

/// Whether an ordering satisfies a comparison operator (`co`/`sw`/`ew` are not orderings).
pub(super) fn ordered(ord: Ordering, op: Op) -> bool {
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Ne => ord != Ordering::Equal,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

/// Numbers compare by value, exactly (Python's int/float/Decimal comparisons).
#[must_use]
pub fn numeric_cmp(node: &Node, literal: &Literal) -> Option<Ordering> {
    match (node, literal) {
        (Node::Int(a), Literal::Int(b)) => Some(a.cmp(b)),
        (Node::Float(a), Literal::Int(b)) => int_float_cmp(*b, *a).map(Ordering::reverse),
        // Equal to the nearest float: the exact literal lies on the side `adjust` says.
        (Node::Int(_) | Node::Float(_), Literal::Float(b, adjust)) => {
            let ord = match node {
                Node::Int(a) => int_float_cmp(*a, *b)?,
                Node::Float(a) => a.partial_cmp(b)?,
                _ => return None,
            };
            Some(if ord == Ordering::Equal { adjust.cmp(&0) } else { ord })
        }
        _ => None,
    }
}

#[must_use]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
pub fn int_float_cmp(a: i64, b: f64) -> Option<Ordering> {
    if b.is_nan() {
        return None;
    }
    // Exact for |a| < 2^53; beyond, compare through the float's integer part.
    if a.unsigned_abs() < (1u64 << 53) {
        return (a as f64).partial_cmp(&b);
    }
    if b >= 9.223_372_036_854_776e18 {
        return Some(Ordering::Less);
    }
    if b < -9.223_372_036_854_776e18 {
        return Some(Ordering::Greater);
    }
    let whole = b.trunc();
    match a.cmp(&(whole as i64)) {
        Ordering::Equal if b > whole => Some(Ordering::Less),
        Ordering::Equal if b < whole => Some(Ordering::Greater),
        ord => Some(ord),
    }
}
