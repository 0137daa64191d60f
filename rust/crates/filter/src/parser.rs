//! The parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths, per `docs/filter-language.md`.
//!
//! Recursive descent over the contract's grammar, with the recursion kept on an explicit stack of open
//! groups (`(`, `not (`, `[`): nesting is bounded only by `Limits::max_depth`, never by the call stack.
//! Each node is made by a [`Builder`] as it completes: [`parse_filter`] and [`parse_path`] give the Rust AST,
//! [`build_filter`] and [`build_path`] whatever the builder makes (the Python binding: the Python AST).
//!
//! ```text
//! filter      := or_expr
//! or_expr     := and_expr ( OR and_expr )*
//! and_expr    := unary ( AND unary )*
//! unary       := NOT LPAR or_expr RPAR | LPAR or_expr RPAR | ATTRPATH PR | ATTRPATH OP value
//!              | ATTRPATH LBRACK val_filter RBRACK [ SUBATTR ( PR | OP value ) ]
//! patch_path  := ATTRPATH [ LBRACK val_filter RBRACK [ SUBATTR ] ]
//! ```

use std::convert::Infallible;

use crate::ast::{Filter, PatchPath};
use crate::build::{AstBuilder, Builder, Literal};
use crate::error::{ErrorKind, ParseError};
use crate::lexer::Lexer;
use crate::span::Span;
use crate::token::{Accept, RawPath, Tok, Token, TokenKind};

/// Input limits (SEMANTICS "Filters"); the defaults match `python/scimcore/filter/limits.py`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest input, in UTF-8 bytes.
    pub max_length: usize,
    /// Deepest nesting of `(` and `[` (a `not (` counts once).
    pub max_depth: usize,
    /// Most comparisons (`pr` and compare operators).
    pub max_comparisons: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_length: 65_536,
            max_depth: 64,
            max_comparisons: 1_000,
        }
    }
}

/// Why a parse with a [`Builder`] stopped: a syntax error (or a limit), or an error of the builder.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure<E> {
    /// `position` is a character offset.
    Syntax(ParseError),
    Build(E),
}

impl<E> From<ParseError> for Failure<E> {
    fn from(error: ParseError) -> Self {
        Self::Syntax(error)
    }
}

/// Parses a filter (RFC 7644 §3.4.2.2) into the Rust AST.
///
/// # Errors
/// The first syntax error from the left, or a limit exceeded; `position` is a character offset.
pub fn parse_filter(text: &str, limits: &Limits) -> Result<Filter, ParseError> {
    build_filter(text, limits, &mut AstBuilder).map_err(syntax_only)
}

/// Parses a PATCH operation's `path` (RFC 7644 §3.5.2): `attrPath` or `valuePath ["." subAttr]`.
///
/// # Errors
/// As [`parse_filter`].
pub fn parse_path(text: &str, limits: &Limits) -> Result<PatchPath, ParseError> {
    build_path(text, limits, &mut AstBuilder).map_err(syntax_only)
}

/// Parses a filter, making its nodes with `builder`.
///
/// # Errors
/// As [`parse_filter`], or the builder's first error.
pub fn build_filter<B: Builder>(text: &str, limits: &Limits, builder: &mut B) -> Result<B::Node, Failure<B::Error>> {
    Parser::new(text, limits, builder)
        .and_then(|mut p| {
            let filter = p.expression(Bottom::Top)?;
            p.check_comparisons()?;
            Ok(filter)
        })
        .map_err(|e| located(e, text))
}

/// Parses a PATCH path, making its nodes with `builder`.
///
/// # Errors
/// As [`build_filter`].
pub fn build_path<B: Builder>(text: &str, limits: &Limits, builder: &mut B) -> Result<B::PatchPath, Failure<B::Error>> {
    Parser::new(text, limits, builder)
        .and_then(|mut p| {
            let path = p.patch_path()?;
            p.check_comparisons()?;
            Ok(path)
        })
        .map_err(|e| located(e, text))
}

fn located<E>(failure: Failure<E>, text: &str) -> Failure<E> {
    match failure {
        Failure::Syntax(error) => Failure::Syntax(error.located(text)),
        build @ Failure::Build(_) => build,
    }
}

fn syntax_only(failure: Failure<Infallible>) -> ParseError {
    match failure {
        Failure::Syntax(error) => error,
        Failure::Build(never) => match never {},
    }
}

const UNARY_START: Accept = Accept::NONE
    .with(TokenKind::Not)
    .with(TokenKind::LPar)
    .with(TokenKind::AttrPath);
const VALUE: Accept = Accept::NONE
    .with(TokenKind::String)
    .with(TokenKind::Number)
    .with(TokenKind::True)
    .with(TokenKind::False)
    .with(TokenKind::Null);
const OPERATOR: Accept = Accept::NONE.with(TokenKind::Pr).with(TokenKind::Op);
const JOINERS: Accept = Accept::NONE.with(TokenKind::And).with(TokenKind::Or);

/// Where an expression ends: at the end of the input (a filter), or at the `]` of a PATCH path's value path.
#[derive(Clone, Copy)]
enum Bottom {
    Top,
    PathBrackets,
}

/// A group opened inside the expression; it becomes an operand when its closer arrives.
enum Group<P> {
    /// `( ... )`.
    Paren,
    /// `not ( ... )`, starting at this byte.
    Not(usize),
    /// `attr[ ... ]` inside a filter, starting at this byte.
    Brackets(P, usize),
}

/// A group still open, with its expression so far.
type OpenGroup<B> = (Group<<B as Builder>::Path>, Chain);

/// An operand of builder `B`'s nodes.
type OperandOf<B> = Operand<<B as Builder>::Path, <B as Builder>::Node>;

/// A complete operand and its span; a value path is made only once it is known whether `.sub` (the Entra
/// form) follows: until then it is the path, the bracket filter and its span, and the span up to `]`.
enum Operand<P, N> {
    Node(N, Span),
    ValuePath(P, N, Span, Span),
}

/// One level's `or` terms so far and the `and` chain being built, kept on the parse's term stack (no
/// allocation per level): from `from`, the level's `ors` terms, then the `ands` terms of the current chain.
/// Levels opened later keep their terms above, and have drained them when they close. Each chain's span runs
/// from its first term's start (`or_start`, `and_start`) to its last term's end.
struct Chain {
    from: usize,
    ors: usize,
    ands: usize,
    or_start: usize,
    and_start: usize,
}

impl Chain {
    /// A level whose terms will start at `from` on the stack (its current height).
    const fn new(from: usize) -> Self {
        Self {
            from,
            ors: 0,
            ands: 0,
            or_start: 0,
            and_start: 0,
        }
    }

    /// Adds `term` (spanning `span`) to the current `and` chain.
    fn and<N>(&mut self, terms: &mut Vec<N>, term: N, span: Span) {
        debug_assert_eq!(terms.len(), self.from + self.ors + self.ands);
        if self.ands == 0 {
            self.and_start = span.start;
        }
        terms.push(term);
        self.ands += 1;
    }

    /// Ends the current `and` chain with `last` and adds it to the `or` terms.
    fn end_and<B: Builder>(
        &mut self,
        terms: &mut Vec<B::Node>,
        last: B::Node,
        span: Span,
        builder: &mut B,
    ) -> Result<(), B::Error> {
        debug_assert_eq!(terms.len(), self.from + self.ors + self.ands);
        let (term, start) = if self.ands == 0 {
            (last, span.start)
        } else {
            terms.push(last);
            let chain = terms.len() - self.ands - 1..;
            self.ands = 0;
            (
                builder.and(terms.drain(chain), Span::new(self.and_start, span.end))?,
                self.and_start,
            )
        };
        if self.ors == 0 {
            self.or_start = start;
        }
        terms.push(term);
        self.ors += 1;
        Ok(())
    }

    /// The level's expression and its span, `last` being its final operand: an n-ary `Or` of `And` chains.
    fn finish<B: Builder>(
        mut self,
        terms: &mut Vec<B::Node>,
        last: B::Node,
        span: Span,
        builder: &mut B,
    ) -> Result<(B::Node, Span), B::Error> {
        if self.ors == 0 && self.ands == 0 {
            return Ok((last, span));
        }
        self.end_and(terms, last, span, builder)?;
        let whole = Span::new(self.or_start, span.end);
        match self.ors {
            1 => Ok((terms.pop().expect("one term"), whole)),
            _ => Ok((builder.or(terms.drain(self.from..), whole)?, whole)),
        }
    }
}

struct Parser<'a, 'b, B: Builder> {
    lexer: Lexer<'a>,
    builder: &'b mut B,
    max_comparisons: usize,
    comparisons: usize,
    /// Start of the first comparison over the limit, reported only if the filter otherwise parses.
    excess: Option<usize>,
}

fn error(kind: ErrorKind, token: &Token<'_>) -> ParseError {
    ParseError::new(kind, token.span)
}

impl<'a, 'b, B: Builder> Parser<'a, 'b, B> {
    fn new(text: &'a str, limits: &Limits, builder: &'b mut B) -> Result<Self, Failure<B::Error>> {
        if text.len() > limits.max_length {
            return Err(ParseError::new(ErrorKind::TooLong, Span::at(0)).into());
        }
        Ok(Self {
            lexer: Lexer::new(text, limits.max_depth),
            builder,
            max_comparisons: limits.max_comparisons,
            comparisons: 0,
            excess: None,
        })
    }

    /// Counts a comparison starting at byte `start`.
    fn count_comparison(&mut self, start: usize) {
        self.comparisons += 1;
        if self.comparisons > self.max_comparisons && self.excess.is_none() {
            self.excess = Some(start);
        }
    }

    fn check_comparisons(&self) -> Result<(), ParseError> {
        self.excess.map_or(Ok(()), |at| {
            Err(ParseError::new(ErrorKind::TooManyComparisons, Span::at(at)))
        })
    }

    /// `patch_path := ATTRPATH [ LBRACK val_filter RBRACK [ SUBATTR ] ]`.
    fn patch_path(&mut self) -> Result<B::PatchPath, Failure<B::Error>> {
        let token = self.lexer.next(Accept::NONE.with(TokenKind::AttrPath))?;
        let Tok::AttrPath(raw) = token.tok else {
            return Err(error(ErrorKind::ExpectedFilter, &token).into());
        };
        let path = self.builder.attr_path(raw, token.span).map_err(Failure::Build)?;
        let token = self
            .lexer
            .next(Accept::NONE.with(TokenKind::LBrack).with(TokenKind::End))?;
        let filter = match token.tok {
            Tok::End => return self.builder.patch_path(path, None, None).map_err(Failure::Build),
            Tok::LBrack => self.expression(Bottom::PathBrackets)?,
            _ => return Err(error(ErrorKind::UnexpectedToken, &token).into()),
        };
        let token = self
            .lexer
            .next(Accept::NONE.with(TokenKind::SubAttr).with(TokenKind::End))?;
        let sub = match token.tok {
            Tok::End => None,
            Tok::SubAttr(sub) => {
                let token = self.lexer.next(Accept::NONE.with(TokenKind::End))?;
                if token.tok != Tok::End {
                    return Err(error(ErrorKind::UnexpectedToken, &token).into());
                }
                Some(sub)
            }
            _ => return Err(error(ErrorKind::UnexpectedToken, &token).into()),
        };
        self.builder.patch_path(path, Some(filter), sub).map_err(Failure::Build)
    }

    /// Parses `or_expr` up to and including the closer of `bottom` (`$END`, or `]` of a PATCH path).
    fn expression(&mut self, bottom: Bottom) -> Result<B::Node, Failure<B::Error>> {
        let (bottom_closer, mut in_brackets) = match bottom {
            Bottom::Top => (TokenKind::End, false),
            Bottom::PathBrackets => (TokenKind::RBrack, true),
        };
        // The terms of the open levels (see `Chain`), and the levels: `outer`, then the groups.
        let mut terms: Vec<B::Node> = Vec::new();
        let mut outer = Chain::new(0);
        // The groups opened inside the expression, innermost last.
        let mut groups: Vec<OpenGroup<B>> = Vec::new();
        loop {
            // unary: open groups until an operand is complete.
            let mut operand = loop {
                let token = self.lexer.next(UNARY_START)?;
                match token.tok {
                    Tok::Not => {
                        // `NOT` is only lexed when a `(` follows.
                        let paren = self.lexer.next(Accept::NONE.with(TokenKind::LPar))?;
                        if !paren.accepted {
                            return Err(error(ErrorKind::ExpectedFilter, &paren).into());
                        }
                        groups.push((Group::Not(token.span.start), Chain::new(terms.len())));
                    }
                    Tok::LPar => groups.push((Group::Paren, Chain::new(terms.len()))),
                    Tok::AttrPath(raw) => {
                        let opens = if in_brackets {
                            OPERATOR
                        } else {
                            OPERATOR.with(TokenKind::LBrack)
                        };
                        let next = self.lexer.next(opens)?;
                        match next.tok {
                            Tok::LBrack if in_brackets => {
                                return Err(error(ErrorKind::NestedValuePath, &next).into());
                            }
                            Tok::LBrack => {
                                in_brackets = true;
                                let path = self.builder.attr_path(raw, token.span).map_err(Failure::Build)?;
                                groups.push((Group::Brackets(path, token.span.start), Chain::new(terms.len())));
                            }
                            _ => {
                                let (node, span) = self.operator(&next, raw, token.span.start, token.span)?;
                                break Operand::Node(node, span);
                            }
                        }
                    }
                    _ => return Err(error(ErrorKind::ExpectedFilter, &token).into()),
                }
            };
            // After a complete operand: `and`, `or`, or close groups (a value path may take `.sub`).
            loop {
                let value_path = matches!(operand, Operand::ValuePath(..));
                let (closer, chain) = match groups.last_mut() {
                    Some((Group::Paren | Group::Not(_), chain)) => (TokenKind::RPar, chain),
                    Some((Group::Brackets(..), chain)) => (TokenKind::RBrack, chain),
                    None => (bottom_closer, &mut outer),
                };
                let accept = JOINERS.with(closer).with_if(value_path, TokenKind::SubAttr);
                let token = self.lexer.next(accept)?;
                if !token.accepted {
                    return Err(error(ErrorKind::UnexpectedToken, &token).into());
                }
                if let Tok::SubAttr(sub) = token.tok {
                    operand = self.entra(operand, sub, token.span)?;
                    continue;
                }
                let (node, span) = self.complete(operand)?;
                match token.tok {
                    Tok::And => {
                        chain.and(&mut terms, node, span);
                        break;
                    }
                    Tok::Or => {
                        chain
                            .end_and(&mut terms, node, span, self.builder)
                            .map_err(Failure::Build)?;
                        break;
                    }
                    _ => {
                        let Some((group, chain)) = groups.pop() else {
                            let (filter, _) = outer
                                .finish(&mut terms, node, span, self.builder)
                                .map_err(Failure::Build)?;
                            return Ok(filter);
                        };
                        let (expr, inner) = chain
                            .finish(&mut terms, node, span, self.builder)
                            .map_err(Failure::Build)?;
                        operand = match group {
                            Group::Paren => Operand::Node(expr, inner),
                            Group::Not(start) => {
                                let span = Span::new(start, token.span.end);
                                Operand::Node(self.builder.not(expr, span).map_err(Failure::Build)?, span)
                            }
                            Group::Brackets(path, start) => {
                                in_brackets = false;
                                Operand::ValuePath(path, expr, inner, Span::new(start, token.span.end))
                            }
                        };
                    }
                }
            }
        }
    }

    /// The Entra form `attr[filter].sub op value`: the value path `operand` extended by the comparison on
    /// `sub` (whose token spans `span`), as one value path node.
    fn entra(&mut self, operand: OperandOf<B>, sub: &'a str, span: Span) -> Result<OperandOf<B>, Failure<B::Error>> {
        let Operand::ValuePath(path, filter, inner, brackets) = operand else {
            unreachable!("SUBATTR is accepted only right after a value path")
        };
        let (trailing, end) = self.trailing_comparison(sub, span)?;
        let filter = self
            .builder
            .and_also(filter, trailing, Span::new(inner.start, end.end))
            .map_err(Failure::Build)?;
        let span = Span::new(brackets.start, end.end);
        let node = self.builder.value_path(path, filter, span).map_err(Failure::Build)?;
        Ok(Operand::Node(node, span))
    }

    /// The node of a complete operand (a value path is made now) and its span.
    fn complete(&mut self, operand: OperandOf<B>) -> Result<(B::Node, Span), Failure<B::Error>> {
        match operand {
            Operand::Node(node, span) => Ok((node, span)),
            Operand::ValuePath(path, filter, _, span) => Ok((
                self.builder.value_path(path, filter, span).map_err(Failure::Build)?,
                span,
            )),
        }
    }

    /// `SUBATTR ( PR | OP value )` after the Entra form's `]` (RFC 7644 §3.4.2.2 valuePath, Entra ID extension);
    /// `span` is the `SUBATTR` token's: the comparison starts at its `.`, the path after it.
    fn trailing_comparison(&mut self, sub: &'a str, span: Span) -> Result<(B::Node, Span), Failure<B::Error>> {
        let token = self.lexer.next(OPERATOR)?;
        let raw = RawPath {
            uri: None,
            name: sub,
            sub: None,
        };
        self.operator(&token, raw, span.start, Span::new(span.start + 1, span.end))
    }

    /// Completes a comparison whose operator token (`PR` or `OP`) is `token`, on the path `raw` spanning
    /// `path_span`. Returns the node and its span (from `start` to the end of `pr` or of the value).
    fn operator(
        &mut self,
        token: &Token<'_>,
        raw: RawPath<'_>,
        start: usize,
        path_span: Span,
    ) -> Result<(B::Node, Span), Failure<B::Error>> {
        let (filter, whole) = match token.tok {
            Tok::Pr => {
                let whole = Span::new(start, token.span.end);
                let path = self.builder.attr_path(raw, path_span).map_err(Failure::Build)?;
                (self.builder.present(path, whole), whole)
            }
            Tok::Op(op) => {
                let (value, end) = self.value()?;
                let whole = Span::new(start, end);
                let path = self.builder.attr_path(raw, path_span).map_err(Failure::Build)?;
                (self.builder.compare(path, op, value, whole), whole)
            }
            _ => return Err(error(ErrorKind::ExpectedOperator, token).into()),
        };
        self.count_comparison(start);
        Ok((filter.map_err(Failure::Build)?, whole))
    }

    /// `value := STRING | NUMBER | TRUE | FALSE | NULL`, and the byte where it ends.
    fn value(&mut self) -> Result<(Literal<'a>, usize), ParseError> {
        let token = self.lexer.next(VALUE)?;
        let literal = match token.tok {
            Tok::String(s) => Literal::String(s),
            Tok::Number(n) => Literal::Number(n),
            Tok::True => Literal::Bool(true),
            Tok::False => Literal::Bool(false),
            Tok::Null => Literal::Null,
            _ => return Err(error(ErrorKind::ExpectedValue, &token)),
        };
        Ok((literal, token.span.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::CompareOp;
    use crate::json::ToJson;

    fn json(text: &str) -> String {
        let filter = parse_filter(text, &Limits::default()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        String::from_utf8(filter.to_json()).unwrap()
    }

    fn fails(text: &str, limits: &Limits) -> (&'static str, usize) {
        let e = parse_filter(text, limits).expect_err(text);
        (e.code(), e.position)
    }

    fn err(text: &str) -> (&'static str, usize) {
        fails(text, &Limits::default())
    }

    #[test]
    fn and_binds_tighter_than_or_and_chains_are_flat() {
        assert_eq!(
            json("a pr or b pr and c pr and d pr or e pr"),
            concat!(
                r#"{"node":"or","terms":[{"node":"present","path":{"name":"a"}},{"node":"and","terms":["#,
                r#"{"node":"present","path":{"name":"b"}},{"node":"present","path":{"name":"c"}},"#,
                r#"{"node":"present","path":{"name":"d"}}]},{"node":"present","path":{"name":"e"}}]}"#
            )
        );
    }

    #[test]
    fn groups_are_not_merged_and_single_groups_vanish() {
        let grouped = json("a pr and (b pr and c pr)");
        assert!(grouped.contains(r#"{"node":"and","terms":[{"node":"present","path":{"name":"a"}},{"node":"and""#));
        assert_eq!(json("((a pr))"), json("a pr"));
        assert_eq!(
            json("not(a pr)"),
            r#"{"node":"not","filter":{"node":"present","path":{"name":"a"}}}"#
        );
    }

    #[test]
    fn entra_form_extends_the_bracket_filter() {
        assert_eq!(
            json(r#"emails[type eq "work"].value eq "x""#),
            json(r#"emails[type eq "work" and value eq "x"]"#)
        );
        assert_eq!(json("x[a pr and b pr].c pr"), json("x[a pr and b pr and c pr]"));
        assert_eq!(json("x[a pr or b pr].c pr"), json("x[(a pr or b pr) and c pr]"));
    }

    #[test]
    fn keywords_depend_on_the_parser_state() {
        assert_eq!(json("pr pr"), r#"{"node":"present","path":{"name":"pr"}}"#);
        assert_eq!(
            json("and EQ TRUE"),
            r#"{"node":"compare","path":{"name":"and"},"op":"eq","value":true}"#
        );
        assert_eq!(err("not a eq 1"), ("expected_operator", 4));
        assert_eq!(err("a pr and"), ("expected_filter", 8));
    }

    #[test]
    fn errors_report_character_positions() {
        assert_eq!(err("名前 eq 1"), ("unexpected_character", 0));
        assert_eq!(err(r#"a eq "é" b"#), ("unexpected_token", 9));
        assert_eq!(err("a eq 1 ]"), ("unexpected_token", 7));
        assert_eq!(err("a[b[c pr]]"), ("nested_value_path", 3));
        assert_eq!(err("a[(b[c pr])]"), ("nested_value_path", 4));
        assert_eq!(err("a.b.c pr"), ("invalid_attribute_path", 0));
        assert_eq!(err("a eq"), ("expected_value", 4));
    }

    #[test]
    fn length_depth_and_comparison_limits() {
        let tight = Limits {
            max_length: 100,
            max_depth: 2,
            max_comparisons: 2,
        };
        assert_eq!(
            fails(
                "a pr and b pr",
                &Limits {
                    max_length: 12,
                    ..tight
                }
            ),
            ("too_long", 0)
        );
        assert!(parse_filter("((a pr))", &tight).is_ok());
        assert!(parse_filter("not ((a pr))", &tight).is_ok());
        assert!(parse_filter("(a[b pr])", &tight).is_ok());
        assert_eq!(fails("(((a pr)))", &tight), ("too_deep", 2));
        assert_eq!(fails("(not ((a pr)))", &tight), ("too_deep", 6));
        assert_eq!(fails("(a eq (", &tight), ("expected_value", 6));
        assert_eq!(fails("((a eq (", &tight), ("too_deep", 7));
        assert_eq!(fails("a pr and b pr and c pr", &tight), ("too_many_comparisons", 18));
        assert_eq!(fails("x[a pr and b pr].c pr", &tight), ("too_many_comparisons", 16));
        assert_eq!(fails("a pr and b pr and c pr and", &tight), ("expected_filter", 26));
    }

    #[test]
    fn deep_nesting_is_refused_quickly_without_recursion() {
        let limits = Limits {
            max_length: 10_000_000,
            ..Limits::default()
        };
        assert_eq!(fails(&"(".repeat(200_000), &limits), ("too_deep", 64));
        assert_eq!(fails(&"not (".repeat(200_000), &limits), ("too_deep", 64 * 5 + 4));
        assert_eq!(fails(&"[".repeat(200_000), &limits), ("expected_filter", 0));
        let brackets = format!("{}a[{}", "(".repeat(63), "(".repeat(200_000));
        assert_eq!(fails(&brackets, &limits), ("too_deep", 65));
        let path = format!("a[{}", "(".repeat(200_000));
        let e = parse_path(&path, &limits).unwrap_err();
        assert_eq!((e.code(), e.position), ("too_deep", 65));
    }

    #[test]
    fn raised_depth_limits_are_safe_on_the_call_stack() {
        let limits = Limits {
            max_length: 10_000_000,
            max_depth: 1_000_000,
            max_comparisons: 1_000,
        };
        let n = 200_000;
        let text = format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        let filter = parse_filter(&text, &limits).unwrap();
        let out = filter.to_json();
        assert!(out.ends_with(&vec![b'}'; n + 2]));
        let text = format!("x[{}a pr{}]", "(".repeat(n), ")".repeat(n));
        assert!(parse_path(&text, &limits).is_ok());
    }

    /// Makes nothing, and fails on the comparison after `compares_left` others.
    struct FailingBuilder {
        compares_left: usize,
    }

    impl Builder for FailingBuilder {
        type Path = ();
        type Node = ();
        type PatchPath = ();
        type Error = &'static str;

        fn attr_path(&mut self, _: RawPath<'_>, _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn compare(&mut self, (): (), _: CompareOp, _: Literal<'_>, _: Span) -> Result<(), &'static str> {
            self.compares_left = self.compares_left.checked_sub(1).ok_or("builder failed")?;
            Ok(())
        }
        fn present(&mut self, (): (), _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn and(&mut self, _: impl ExactSizeIterator<Item = ()>, _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn or(&mut self, _: impl ExactSizeIterator<Item = ()>, _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn not(&mut self, (): (), _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn value_path(&mut self, (): (), (): (), _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn and_also(&mut self, (): (), (): (), _: Span) -> Result<(), &'static str> {
            Ok(())
        }
        fn patch_path(&mut self, (): (), _: Option<()>, _: Option<&str>) -> Result<(), &'static str> {
            Ok(())
        }
    }

    /// Records the text of each node's span, bottom-up as the builder sees them.
    struct SpanRecorder<'t> {
        text: &'t str,
        seen: Vec<(&'static str, &'t str)>,
    }

    impl SpanRecorder<'_> {
        fn record(&mut self, kind: &'static str, span: Span) {
            self.seen.push((kind, &self.text[span.start..span.end]));
        }
    }

    impl Builder for SpanRecorder<'_> {
        type Path = ();
        type Node = ();
        type PatchPath = ();
        type Error = Infallible;

        fn attr_path(&mut self, _: RawPath<'_>, span: Span) -> Result<(), Infallible> {
            self.record("path", span);
            Ok(())
        }
        fn compare(&mut self, (): (), _: CompareOp, _: Literal<'_>, span: Span) -> Result<(), Infallible> {
            self.record("compare", span);
            Ok(())
        }
        fn present(&mut self, (): (), span: Span) -> Result<(), Infallible> {
            self.record("present", span);
            Ok(())
        }
        fn and(&mut self, _: impl ExactSizeIterator<Item = ()>, span: Span) -> Result<(), Infallible> {
            self.record("and", span);
            Ok(())
        }
        fn or(&mut self, _: impl ExactSizeIterator<Item = ()>, span: Span) -> Result<(), Infallible> {
            self.record("or", span);
            Ok(())
        }
        fn not(&mut self, (): (), span: Span) -> Result<(), Infallible> {
            self.record("not", span);
            Ok(())
        }
        fn value_path(&mut self, (): (), (): (), span: Span) -> Result<(), Infallible> {
            self.record("value_path", span);
            Ok(())
        }
        fn and_also(&mut self, (): (), (): (), span: Span) -> Result<(), Infallible> {
            self.record("and", span);
            Ok(())
        }
        fn patch_path(&mut self, (): (), _: Option<()>, _: Option<&str>) -> Result<(), Infallible> {
            Ok(())
        }
    }

    fn spans(text: &str) -> Vec<(&'static str, &str)> {
        let mut recorder = SpanRecorder { text, seen: Vec::new() };
        build_filter(text, &Limits::default(), &mut recorder).unwrap();
        recorder.seen
    }

    #[test]
    fn every_node_gets_the_span_of_its_text() {
        assert_eq!(
            spans("a pr and (b eq 1 or not (c pr))"),
            [
                ("path", "a"),
                ("present", "a pr"),
                ("path", "b"),
                ("compare", "b eq 1"),
                ("path", "c"),
                ("present", "c pr"),
                ("not", "not (c pr)"),
                ("or", "b eq 1 or not (c pr)"),
                // a chain ends where its last term does: the parenthesised term's span has no parentheses
                ("and", "a pr and (b eq 1 or not (c pr)"),
            ]
        );
        assert_eq!(
            spans(r#"emails[type eq "w"].value co "é""#),
            [
                ("path", "emails"),
                ("path", "type"),
                ("compare", r#"type eq "w""#),
                ("path", "value"),
                ("compare", r#".value co "é""#),
                ("and", r#"type eq "w"].value co "é""#),
                ("value_path", r#"emails[type eq "w"].value co "é""#),
            ]
        );
    }

    #[test]
    fn a_builder_error_stops_the_parse_and_is_returned_as_is() {
        let limits = Limits::default();
        let build = |text: &str, compares_left| build_filter(text, &limits, &mut FailingBuilder { compares_left });
        assert_eq!(build("a eq 1 and b pr", 1), Ok(()));
        assert_eq!(build("a eq 1 and b eq 2", 1), Err(Failure::Build("builder failed")));
        // A syntax error before the failing comparison wins; one after it is never reached.
        assert!(matches!(build("a eq 1 and (", 0), Err(Failure::Build(_))));
        assert!(matches!(build("a eq and b eq 1", 0), Err(Failure::Syntax(e)) if e.code() == "expected_value"));
        let path = build_path("x[a eq 1]", &limits, &mut FailingBuilder { compares_left: 0 });
        assert_eq!(path, Err(Failure::Build("builder failed")));
    }

    #[test]
    fn patch_paths() {
        let path = |text: &str| String::from_utf8(parse_path(text, &Limits::default()).unwrap().to_json()).unwrap();
        let perr = |text: &str| {
            let e = parse_path(text, &Limits::default()).unwrap_err();
            (e.code(), e.position)
        };
        assert_eq!(
            path(r#"members[value eq "2819c223"].displayName"#),
            concat!(
                r#"{"path":{"name":"members"},"filter":{"node":"compare","path":{"name":"value"},"op":"eq","#,
                r#""value":"2819c223"},"sub":"displayName"}"#
            )
        );
        assert_eq!(path("not"), r#"{"path":{"name":"not"}}"#);
        assert_eq!(perr(""), ("expected_filter", 0));
        assert_eq!(perr("a b"), ("unexpected_token", 2));
        assert_eq!(perr("a[b pr].c d"), ("unexpected_token", 10));
        assert_eq!(perr("a[b pr].c eq 1"), ("unexpected_token", 10));
        assert_eq!(perr("a[b[c pr]]"), ("nested_value_path", 3));
    }
}
