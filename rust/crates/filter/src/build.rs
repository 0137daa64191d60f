//! What the parser makes of the constructs it recognises (RFC 7644 §3.4.2.2, §3.5.2): a [`Builder`].
//!
//! The parser calls the builder bottom-up, as each construct completes, so a builder never sees a partial
//! tree. [`AstBuilder`] builds the Rust AST of [`crate::ast`]; the Python binding builds the AST's Python
//! objects directly, without the Rust AST in between.

use std::borrow::Cow;
use std::convert::Infallible;

use crate::ast::{AttrPath, Compare, CompareOp, Filter, PatchPath, Value, ValuePath};
use crate::span::Span;
use crate::token::RawPath;

/// A comparison value as lexed (the RFC's compValue); text borrows the input where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal<'a> {
    /// A string literal, escapes decoded.
    String(Cow<'a, str>),
    /// A JSON number literal, exactly as written.
    Number(&'a str),
    Bool(bool),
    Null,
}

/// Makes the nodes of a filter or PATCH path; any method may fail with `Self::Error`, which stops the parse.
///
/// Every filter node comes with its [`Span`] (UTF-8 byte offsets): a comparison from its path to the end of
/// `pr` or of its value, a value path from its path to `]` (or to the end of the Entra form's trailing
/// comparison), `not (...)` from `not` to `)`, an `and`/`or` chain from its first term's start to its last
/// term's end (a parenthesised term's span excludes its parentheses). Every attribute path comes with the
/// span of its text (in the Entra form, the sub-attribute's name after the `.`).
#[allow(clippy::missing_errors_doc)] // every method fails only with the builder's own error, as said here
pub trait Builder {
    /// An attribute path.
    type Path;
    /// A filter node.
    type Node;
    /// A PATCH path.
    type PatchPath;
    type Error;

    /// `[URI ":"] ATTRNAME ["." subAttr]`, spanning `span`.
    fn attr_path(&mut self, path: RawPath<'_>, span: Span) -> Result<Self::Path, Self::Error>;
    /// `attrPath compareOp compValue`.
    fn compare(
        &mut self,
        path: Self::Path,
        op: CompareOp,
        value: Literal<'_>,
        span: Span,
    ) -> Result<Self::Node, Self::Error>;
    /// `attrPath "pr"`.
    fn present(&mut self, path: Self::Path, span: Span) -> Result<Self::Node, Self::Error>;
    /// An `and` chain of at least two terms.
    fn and(&mut self, terms: impl ExactSizeIterator<Item = Self::Node>, span: Span) -> Result<Self::Node, Self::Error>;
    /// An `or` chain of at least two terms.
    fn or(&mut self, terms: impl ExactSizeIterator<Item = Self::Node>, span: Span) -> Result<Self::Node, Self::Error>;
    /// `"not" "(" FILTER ")"`.
    fn not(&mut self, filter: Self::Node, span: Span) -> Result<Self::Node, Self::Error>;
    /// `attrPath "[" valFilter "]"`.
    fn value_path(&mut self, path: Self::Path, filter: Self::Node, span: Span) -> Result<Self::Node, Self::Error>;
    /// `filter and trailing`, for the Entra form `attr[filter].sub op value`: when `filter` is itself an
    /// `And` node, `trailing` becomes its last term instead (one flat chain); `span` covers both.
    fn and_also(&mut self, filter: Self::Node, trailing: Self::Node, span: Span) -> Result<Self::Node, Self::Error>;
    /// `attrPath` or `valuePath ["." subAttr]`.
    fn patch_path(
        &mut self,
        path: Self::Path,
        filter: Option<Self::Node>,
        sub: Option<&str>,
    ) -> Result<Self::PatchPath, Self::Error>;
}

/// Builds the Rust AST ([`crate::ast`]); it never fails.
pub struct AstBuilder;

impl Builder for AstBuilder {
    type Path = AttrPath;
    type Node = Filter;
    type PatchPath = PatchPath;
    type Error = Infallible;

    fn attr_path(&mut self, path: RawPath<'_>, _: Span) -> Result<AttrPath, Infallible> {
        Ok(AttrPath {
            uri: path.uri.map(str::to_owned),
            name: path.name.to_owned(),
            sub: path.sub.map(str::to_owned),
        })
    }

    fn compare(&mut self, path: AttrPath, op: CompareOp, value: Literal<'_>, _: Span) -> Result<Filter, Infallible> {
        let value = match value {
            Literal::String(s) => Value::String(s.into_owned()),
            Literal::Number(n) => Value::Number(n.to_owned()),
            Literal::Bool(b) => Value::Bool(b),
            Literal::Null => Value::Null,
        };
        Ok(Filter::Compare(Compare { path, op, value }))
    }

    fn present(&mut self, path: AttrPath, _: Span) -> Result<Filter, Infallible> {
        Ok(Filter::Present(path))
    }

    fn and(&mut self, terms: impl ExactSizeIterator<Item = Filter>, _: Span) -> Result<Filter, Infallible> {
        Ok(Filter::And(terms.collect()))
    }

    fn or(&mut self, terms: impl ExactSizeIterator<Item = Filter>, _: Span) -> Result<Filter, Infallible> {
        Ok(Filter::Or(terms.collect()))
    }

    fn not(&mut self, filter: Filter, _: Span) -> Result<Filter, Infallible> {
        Ok(Filter::Not(Box::new(filter)))
    }

    fn value_path(&mut self, path: AttrPath, filter: Filter, _: Span) -> Result<Filter, Infallible> {
        Ok(Filter::ValuePath(ValuePath {
            path,
            filter: Box::new(filter),
        }))
    }

    fn and_also(&mut self, mut filter: Filter, trailing: Filter, _: Span) -> Result<Filter, Infallible> {
        if let Filter::And(terms) = &mut filter {
            terms.push(trailing);
            return Ok(filter);
        }
        Ok(Filter::And(vec![filter, trailing]))
    }

    fn patch_path(
        &mut self,
        path: AttrPath,
        filter: Option<Filter>,
        sub: Option<&str>,
    ) -> Result<PatchPath, Infallible> {
        Ok(PatchPath {
            path,
            filter,
            sub: sub.map(str::to_owned),
        })
    }
}
