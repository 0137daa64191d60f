//! The contextual lexer of `docs/filter-language.md` for RFC 7644 §3.4.2.2 filters and §3.5.2 paths.
//!
//! The parser asks for the next token with the set of kinds its state accepts. A word is lexed as the
//! first acceptable kind it matches; failing that, as the root lexer (every kind acceptable) would lex
//! it, marked not accepted. The per-token checks (string escapes, number length, attribute path grammar,
//! nesting depth) run on every token lexed, accepted or not.

use std::borrow::Cow;

use crate::ast::CompareOp;
use crate::error::{ErrorKind, ParseError};
use crate::span::Span;
use crate::token::{Accept, RawPath, Tok, Token, TokenKind};

/// Longest number literal accepted, in characters.
const MAX_NUMBER_LEN: usize = 256;

/// Byte classes of words: [`WORD`] continues a word (`[A-Za-z0-9:._$-]`); [`DOT`], [`COLON`] and
/// [`DOLLAR`] mark the word bytes that make a word more than a plain name (`[A-Za-z0-9_-]`).
const WORD: u8 = 1;
const DOT: u8 = 2;
const COLON: u8 = 4;
const DOLLAR: u8 = 8;

/// The class bits of every byte.
static CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)] // b < 256
        let byte = b as u8;
        classes[b] = match byte {
            b'.' => WORD | DOT,
            b':' => WORD | COLON,
            b'$' => WORD | DOLLAR,
            b'_' | b'-' => WORD,
            _ if byte.is_ascii_alphanumeric() => WORD,
            _ => 0,
        };
        b += 1;
    }
    classes
};

/// `[ \t\r\n]`.
const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `name := "$ref" (any case) / [A-Za-z] *[A-Za-z0-9_-]`.
fn is_name(s: &str) -> bool {
    match s.as_bytes() {
        [first, rest @ ..] if first.is_ascii_alphabetic() => rest
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        _ => s.eq_ignore_ascii_case("$ref"),
    }
}

/// `urn := [A-Za-z][A-Za-z0-9._-]* *( ":" 1*[A-Za-z0-9._-] )`.
fn is_urn(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    // A byte loop: every byte a urn character or a `:` that is not followed by another `:` or the end.
    let mut after_colon = false;
    for &b in bytes {
        if b == b':' {
            if after_colon {
                return false;
            }
            after_colon = true;
        } else if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            after_colon = false;
        } else {
            return false;
        }
    }
    !after_colon
}

/// Splits a word by `path := [ urn ":" ] name [ "." name ]` (the urn is everything before the LAST `:`).
fn split_path(word: &str) -> Option<RawPath<'_>> {
    // Byte loops: words are short, and these beat the generic `str` searchers here.
    let (uri, rest) = match word.bytes().rposition(|b| b == b':') {
        Some(colon) => (Some(&word[..colon]), &word[colon + 1..]),
        None => (None, word),
    };
    if uri.is_some_and(|u| !is_urn(u)) {
        return None;
    }
    let (name, sub) = match rest.bytes().position(|b| b == b'.') {
        Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
        None => (rest, None),
    };
    (is_name(name) && sub.is_none_or(is_name)).then_some(RawPath { uri, name, sub })
}

/// Up to eight bytes, ASCII-lower-cased (`| 0x20`), in one integer. Of the word bytes (`[A-Za-z0-9:._$-]`),
/// `| 0x20` changes only the upper-case letters (to lower case) and `_` (to DEL, in no keyword), so a
/// packed word equals a packed keyword exactly when they are equal ignoring ASCII case.
const fn pack(word: &[u8]) -> u64 {
    let mut packed = 0u64;
    let mut i = 0;
    while i < word.len() {
        packed = packed << 8 | (word[i] | 0x20) as u64;
        i += 1;
    }
    packed
}

/// The keyword a word would be in the root lexer (`NOT` only when `followed_by_lpar` says a `(` follows).
fn keyword(word: &str, followed_by_lpar: impl FnOnce() -> bool) -> Option<Tok<'static>> {
    const NOT: u64 = pack(b"not");
    const AND: u64 = pack(b"and");
    const OR: u64 = pack(b"or");
    const PR: u64 = pack(b"pr");
    const TRUE: u64 = pack(b"true");
    const FALSE: u64 = pack(b"false");
    const NULL: u64 = pack(b"null");
    if word.len() > 5 {
        return None; // the longest keyword is `false`
    }
    Some(match pack(word.as_bytes()) {
        NOT if followed_by_lpar() => Tok::Not,
        AND => Tok::And,
        OR => Tok::Or,
        PR => Tok::Pr,
        TRUE => Tok::True,
        FALSE => Tok::False,
        NULL => Tok::Null,
        _ => Tok::Op(CompareOp::from_keyword(word)?),
    })
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc << 4 | char::from(b).to_digit(16)?))
}

/// Lexes one input left to right; tracks the bracket nesting depth.
pub struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl<'a> Lexer<'a> {
    #[must_use]
    pub fn new(text: &'a str, max_depth: usize) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
            max_depth,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn error(kind: ErrorKind, start: usize, end: usize) -> ParseError {
        ParseError::new(kind, Span::new(start, end))
    }

    /// Lexes the next token given the kinds the parser accepts here.
    ///
    /// # Errors
    /// A lexical error (no token starts here) or a failed per-token check.
    pub fn next(&mut self, accept: Accept) -> Result<Token<'a>, ParseError> {
        while self.byte(self.pos).is_some_and(is_ws) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(first) = self.byte(start) else {
            let accepted = accept.contains(TokenKind::End);
            return Ok(Token {
                tok: Tok::End,
                span: Span::at(start),
                accepted,
            });
        };
        let tok = match first {
            b'(' | b'[' => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > self.max_depth {
                    return Err(Self::error(ErrorKind::TooDeep, start, self.pos));
                }
                if first == b'(' {
                    Tok::LPar
                } else {
                    Tok::LBrack
                }
            }
            b')' | b']' => {
                self.pos += 1;
                self.depth = self.depth.saturating_sub(1);
                if first == b')' {
                    Tok::RPar
                } else {
                    Tok::RBrack
                }
            }
            b'"' => self.string(start)?,
            b'-' | b'0'..=b'9' => self.number(start)?,
            b'.' => self.sub_attr(start)?,
            b'A'..=b'Z' | b'a'..=b'z' | b'$' => self.word(start, accept)?,
            _ => return Err(self.unexpected_character(start)),
        };
        let accepted = accept.contains(tok.kind());
        Ok(Token {
            tok,
            span: Span::new(start, self.pos),
            accepted,
        })
    }

    /// The error for a character no token starts with (its full UTF-8 width is the span).
    fn unexpected_character(&self, start: usize) -> ParseError {
        let width = self.text[start..].chars().next().map_or(0, char::len_utf8);
        Self::error(ErrorKind::UnexpectedCharacter, start, start + width)
    }

    /// The end of the word (`[A-Za-z0-9:._$-]*`) continuing at `from`, and its bytes' classes together.
    fn word_end(&self, from: usize) -> (usize, u8) {
        let mut classes = 0;
        let mut end = from;
        for &b in &self.text.as_bytes()[from..] {
            let class = CLASSES[usize::from(b)];
            if class & WORD == 0 {
                break;
            }
            classes |= class;
            end += 1;
        }
        (end, classes)
    }

    /// A word: a keyword if that kind is acceptable, else `ATTRPATH` if acceptable, else what the root
    /// lexer makes of it. An `ATTRPATH` must match the path grammar.
    fn word(&mut self, start: usize, accept: Accept) -> Result<Tok<'a>, ParseError> {
        let (end, classes) = self.word_end(start);
        let word = &self.text[start..end];
        let followed_by_lpar = || {
            let rest = &self.text.as_bytes()[end..];
            rest.iter().find(|&&b| !is_ws(b)) == Some(&b'(')
        };
        let keyword = keyword(word, followed_by_lpar);
        self.pos = end;
        match keyword {
            Some(kw) if accept.contains(kw.kind()) || !accept.contains(TokenKind::AttrPath) => Ok(kw),
            // A plain name (it starts with a letter: `$` would be in `classes`).
            _ if classes & (DOT | COLON | DOLLAR) == 0 => Ok(Tok::AttrPath(RawPath {
                uri: None,
                name: word,
                sub: None,
            })),
            _ => split_path(word)
                .map(Tok::AttrPath)
                .ok_or_else(|| Self::error(ErrorKind::InvalidAttributePath, start, end)),
        }
    }

    /// `SUBATTR`: `.` and a word that is a valid name; anything else after a `.` starts no token.
    fn sub_attr(&mut self, start: usize) -> Result<Tok<'a>, ParseError> {
        let (end, _) = self.word_end(start + 1);
        let name = &self.text[start + 1..end];
        if !is_name(name) {
            return Err(self.unexpected_character(start));
        }
        self.pos = end;
        Ok(Tok::SubAttr(name))
    }

    /// `NUMBER`: the longest prefix matching `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self, start: usize) -> Result<Tok<'a>, ParseError> {
        let digits_from = |at: usize| -> usize {
            at + self.text.as_bytes()[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let mut pos = start + usize::from(self.byte(start) == Some(b'-'));
        pos = match self.byte(pos) {
            Some(b'0') => pos + 1,
            Some(b'1'..=b'9') => digits_from(pos + 1),
            _ => return Err(Self::error(ErrorKind::InvalidNumber, start, start + 1)),
        };
        if self.byte(pos) == Some(b'.') && self.byte(pos + 1).is_some_and(|b| b.is_ascii_digit()) {
            pos = digits_from(pos + 1);
        }
        if matches!(self.byte(pos), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.byte(pos + 1), Some(b'+' | b'-')));
            if self.byte(pos + 1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                pos = digits_from(pos + 1 + sign);
            }
        }
        if pos - start > MAX_NUMBER_LEN {
            return Err(Self::error(ErrorKind::InvalidNumber, start, pos));
        }
        self.pos = pos;
        Ok(Tok::Number(&self.text[start..pos]))
    }

    /// `STRING`: a JSON string (RFC 8259 §7), decoded; surrogate escapes must pair.
    /// Every failure is `invalid_string` at the opening quote.
    fn string(&mut self, start: usize) -> Result<Tok<'a>, ParseError> {
        let bytes = self.text.as_bytes();
        let fail = |end: usize| Self::error(ErrorKind::InvalidString, start, end);
        let mut decoded: Option<String> = None;
        let mut run_start = start + 1;
        let mut pos = start + 1;
        loop {
            // The next byte that is not plain string content.
            pos += bytes[pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len() - pos);
            match bytes.get(pos).copied() {
                None | Some(0..=0x1F) => return Err(fail(pos)),
                Some(b'"') => break,
                Some(b'\\') => {
                    let out = decoded.get_or_insert_with(String::new);
                    out.push_str(&self.text[run_start..pos]);
                    let (ch, len) = self.escape(pos).ok_or_else(|| fail(pos))?;
                    out.push(ch);
                    pos += len;
                    run_start = pos;
                }
                Some(_) => unreachable!("plain string content is skipped above"),
            }
        }
        let raw = &self.text[run_start..pos];
        self.pos = pos + 1;
        Ok(Tok::String(match decoded {
            Some(mut out) => {
                out.push_str(raw);
                Cow::Owned(out)
            }
            None => Cow::Borrowed(raw),
        }))
    }

    /// Decodes the escape at `at` (a `\`): the character and the escape's length in bytes.
    fn escape(&self, at: usize) -> Option<(char, usize)> {
        let bytes = self.text.as_bytes();
        let simple = match *bytes.get(at + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(bytes.get(at + 2..at + 6)?)?;
                return match unit {
                    0xD800..=0xDBFF => {
                        if bytes.get(at + 6..at + 8)? != b"\\u" {
                            return None;
                        }
                        let low = hex4(bytes.get(at + 8..at + 12)?)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        Some((char::from_u32(code)?, 12))
                    }
                    _ => Some((char::from_u32(unit)?, 6)),
                };
            }
            _ => return None,
        };
        Some((simple, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Accept = Accept::NONE
        .with(TokenKind::LPar)
        .with(TokenKind::String)
        .with(TokenKind::Number)
        .with(TokenKind::Not)
        .with(TokenKind::And)
        .with(TokenKind::Or)
        .with(TokenKind::Pr)
        .with(TokenKind::Op)
        .with(TokenKind::True)
        .with(TokenKind::False)
        .with(TokenKind::Null)
        .with(TokenKind::SubAttr)
        .with(TokenKind::AttrPath);

    fn one(text: &str, accept: Accept) -> Result<Token<'_>, ParseError> {
        Lexer::new(text, 64).next(accept)
    }

    fn path(word: &str) -> Option<(Option<&str>, &str, Option<&str>)> {
        split_path(word).map(|p| (p.uri, p.name, p.sub))
    }

    #[test]
    fn path_grammar_splits_at_the_last_colon() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let word = format!("{urn}:manager.value");
        assert_eq!(path(&word), Some((Some(urn), "manager", Some("value"))));
        assert_eq!(path("members.$REF"), Some((None, "members", Some("$REF"))));
        assert_eq!(path("$ref"), Some((None, "$ref", None)));
        assert_eq!(path("a-b_c"), Some((None, "a-b_c", None)));
        for bad in [
            "a.b.c",
            "a.",
            "urn:",
            "$x",
            "a:$y:b",
            "1a:b",
            "a::b",
            "a.b:c.d.e",
            "a._b",
            "a.1",
        ] {
            assert_eq!(path(bad), None, "{bad}");
        }
    }

    #[test]
    fn words_are_keywords_only_where_acceptable() {
        let attr = Accept::NONE.with(TokenKind::AttrPath).with(TokenKind::Not);
        let t = one("pr", attr).unwrap();
        assert!(t.accepted);
        assert!(matches!(t.tok, Tok::AttrPath(RawPath { name: "pr", .. })));
        let t = one("PR", Accept::NONE.with(TokenKind::Pr)).unwrap();
        assert_eq!((t.tok, t.accepted), (Tok::Pr, true));
        let t = one("and", Accept::NONE.with(TokenKind::Op)).unwrap();
        assert_eq!((t.tok, t.accepted), (Tok::And, false));
        assert_eq!(one("not (", attr).unwrap().tok, Tok::Not);
        assert!(matches!(one("not x", attr).unwrap().tok, Tok::AttrPath(_)));
        assert!(matches!(one("trueish", ANY).unwrap().tok, Tok::AttrPath(_)));
    }

    #[test]
    fn keywords_match_in_any_case_and_nothing_else_does() {
        let lpar = || true;
        for (word, tok) in [
            ("NoT", Tok::Not),
            ("AND", Tok::And),
            ("oR", Tok::Or),
            ("Pr", Tok::Pr),
            ("TRUE", Tok::True),
            ("False", Tok::False),
            ("nuLL", Tok::Null),
            ("Ge", Tok::Op(CompareOp::Ge)),
        ] {
            assert_eq!(keyword(word, lpar), Some(tok), "{word}");
        }
        assert_eq!(keyword("not", || false), None);
        for word in [
            "an", "andx", "an_d", "and_", "o_r", "nul", "null_", "tru3", "eq1", "-or", "or.", "falsey",
        ] {
            assert_eq!(keyword(word, lpar), None, "{word}");
        }
    }

    #[test]
    fn plain_names_and_split_paths_agree() {
        for word in [
            "userName",
            "a-b_c",
            "x9",
            "name.givenName",
            "urn:a:b:c.d",
            "$ref",
            "a.$ref",
            "emails_",
        ] {
            let Tok::AttrPath(raw) = one(word, Accept::NONE.with(TokenKind::AttrPath)).unwrap().tok else {
                panic!("{word}")
            };
            assert_eq!(Some(raw), split_path(word), "{word}");
        }
    }

    #[test]
    fn numbers_take_the_longest_valid_prefix() {
        for (text, lit) in [
            ("01", "0"),
            ("1.", "1"),
            ("-1.5e+3x", "-1.5e+3"),
            ("2E", "2"),
            ("3.25E-2", "3.25E-2"),
        ] {
            assert_eq!(one(text, ANY).unwrap().tok, Tok::Number(lit), "{text}");
        }
        assert_eq!(one("-x", ANY).unwrap_err().kind, ErrorKind::InvalidNumber);
        assert_eq!(one(&"9".repeat(256), ANY).unwrap().span.end, 256);
        assert_eq!(one(&"9".repeat(257), ANY).unwrap_err().kind, ErrorKind::InvalidNumber);
    }

    #[test]
    fn strings_decode_json_escapes() {
        let t = one(r#""a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00z""#, ANY).unwrap();
        assert_eq!(t.tok, Tok::String(Cow::Owned("a\"\\/\u{8}\u{c}\n\r\té😀z".to_owned())));
        assert!(matches!(
            one("\"plain é\"", ANY).unwrap().tok,
            Tok::String(Cow::Borrowed("plain é"))
        ));
        for bad in [
            r#""\uD83D""#,
            r#""\uDE00""#,
            r#""\uD83D\u0041""#,
            r#""\x""#,
            "\"a",
            "\"a\tb\"",
            r#""\u12""#,
        ] {
            let e = one(bad, ANY).unwrap_err();
            assert_eq!((e.kind, e.span.start), (ErrorKind::InvalidString, 0), "{bad}");
        }
    }

    #[test]
    fn depth_is_checked_on_every_opening_bracket() {
        use TokenKind::{LBrack, LPar, RPar};
        let kinds = |text: &str| -> Result<Vec<TokenKind>, ErrorKind> {
            let mut lexer = Lexer::new(text, 2);
            let mut kinds = Vec::new();
            loop {
                match lexer.next(Accept::NONE) {
                    Ok(Token { tok: Tok::End, .. }) => return Ok(kinds),
                    Ok(token) => kinds.push(token.tok.kind()),
                    Err(e) => return Err(e.kind),
                }
            }
        };
        assert_eq!(kinds("( [ ) ("), Ok(vec![LPar, LBrack, RPar, LPar]));
        assert_eq!(kinds("([("), Err(ErrorKind::TooDeep));
    }

    #[test]
    fn sub_attributes_need_a_whole_valid_name() {
        assert_eq!(one(".value eq", ANY).unwrap().tok, Tok::SubAttr("value"));
        for bad in [".", ".a.b", ".1", ". a", ".a:b"] {
            assert_eq!(one(bad, ANY).unwrap_err().kind, ErrorKind::UnexpectedCharacter, "{bad}");
        }
    }
}
