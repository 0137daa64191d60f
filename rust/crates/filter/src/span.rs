//! Source locations. The parser works in UTF-8 byte offsets; callers (Python) see character offsets.

/// A half-open byte range `[start, end)` of the input text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    #[must_use]
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The empty span at `offset` (used for the end of the input).
    #[must_use]
    pub const fn at(offset: usize) -> Self {
        Self {
            start: offset,
            end: offset,
        }
    }
}

/// The character (Unicode scalar value) offset of byte offset `byte` in `text`: a Python `str` index.
///
/// `byte` is clamped to the text's length; it is always a char boundary when it comes from the lexer.
#[must_use]
pub fn char_offset(text: &str, byte: usize) -> usize {
    let prefix = &text.as_bytes()[..byte.min(text.len())];
    // Every char starts with a byte that is not a UTF-8 continuation byte (0b10xx_xxxx).
    prefix.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_offsets_are_unchanged() {
        assert_eq!(char_offset("userName eq", 8), 8);
    }

    #[test]
    fn multibyte_characters_count_once() {
        let text = "é€😀x";
        assert_eq!(text.len(), 2 + 3 + 4 + 1);
        assert_eq!(char_offset(text, 2), 1);
        assert_eq!(char_offset(text, 5), 2);
        assert_eq!(char_offset(text, 9), 3);
        assert_eq!(char_offset(text, 99), 4);
    }
}
