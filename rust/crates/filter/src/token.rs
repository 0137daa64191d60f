//! Token kinds of the filter language (RFC 7644 §3.4.2.2) and the sets of kinds a parser state accepts.

use std::borrow::Cow;

use crate::ast::CompareOp;
use crate::span::Span;

/// Token kinds, in the contract's lexing priority order (punctuation first, `ATTRPATH` last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    LPar,
    RPar,
    LBrack,
    RBrack,
    String,
    Number,
    Not,
    And,
    Or,
    Pr,
    Op,
    True,
    False,
    Null,
    SubAttr,
    AttrPath,
    /// The end of the input (Lark's `$END`).
    End,
}

/// A set of token kinds: what the parser accepts in its current state (the contextual lexer's context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accept(u32);

impl Accept {
    pub const NONE: Self = Self(0);

    /// This set plus `kind`.
    #[must_use]
    pub const fn with(self, kind: TokenKind) -> Self {
        Self(self.0 | 1 << kind as u32)
    }

    /// This set plus `kind` when `cond` holds.
    #[must_use]
    pub const fn with_if(self, cond: bool, kind: TokenKind) -> Self {
        if cond {
            self.with(kind)
        } else {
            self
        }
    }

    #[must_use]
    pub const fn contains(self, kind: TokenKind) -> bool {
        self.0 & (1 << kind as u32) != 0
    }
}

/// An attribute path word split by the path grammar; the slices borrow the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPath<'a> {
    pub uri: Option<&'a str>,
    pub name: &'a str,
    pub sub: Option<&'a str>,
}

/// A token with its payload; text payloads borrow the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok<'a> {
    LPar,
    RPar,
    LBrack,
    RBrack,
    /// The decoded string (borrowed when it has no escapes).
    String(Cow<'a, str>),
    /// The number literal as written.
    Number(&'a str),
    Not,
    And,
    Or,
    Pr,
    Op(CompareOp),
    True,
    False,
    Null,
    /// The sub-attribute name after the `.`.
    SubAttr(&'a str),
    AttrPath(RawPath<'a>),
    End,
}

impl Tok<'_> {
    #[must_use]
    pub const fn kind(&self) -> TokenKind {
        match self {
            Self::LPar => TokenKind::LPar,
            Self::RPar => TokenKind::RPar,
            Self::LBrack => TokenKind::LBrack,
            Self::RBrack => TokenKind::RBrack,
            Self::String(_) => TokenKind::String,
            Self::Number(_) => TokenKind::Number,
            Self::Not => TokenKind::Not,
            Self::And => TokenKind::And,
            Self::Or => TokenKind::Or,
            Self::Pr => TokenKind::Pr,
            Self::Op(_) => TokenKind::Op,
            Self::True => TokenKind::True,
            Self::False => TokenKind::False,
            Self::Null => TokenKind::Null,
            Self::SubAttr(_) => TokenKind::SubAttr,
            Self::AttrPath(_) => TokenKind::AttrPath,
            Self::End => TokenKind::End,
        }
    }
}

/// A lexed token: payload, byte span, and whether the state that asked for it accepts its kind
/// (a token the root lexer found instead is an unexpected-token error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub span: Span,
    pub accepted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_sets() {
        let set = Accept::NONE
            .with(TokenKind::And)
            .with_if(false, TokenKind::Or)
            .with_if(true, TokenKind::End);
        assert!(set.contains(TokenKind::And));
        assert!(set.contains(TokenKind::End));
        assert!(!set.contains(TokenKind::Or));
        assert!(!set.contains(TokenKind::AttrPath));
    }
}
