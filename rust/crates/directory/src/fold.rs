//! Unicode full case folding, identical to Python's `str.casefold()` (SEMANTICS "Evaluation": case-insensitive
//! comparison folds, so `Straße` eq `STRASSE`). ASCII is folded inline; other code points go through
//! `FOLD_TABLE`, generated from `CPython`'s own tables by `gen_fold_table.py`.

use std::borrow::Cow;

use super::fold_table::FOLD_TABLE;

/// The case folding of `text`, as `str.casefold()` computes it (code point by code point, no context).
#[must_use]
pub fn fold(text: &str) -> String {
    folded(text).into_owned()
}

/// [`fold`], borrowing `text` when folding leaves it unchanged (ASCII without capitals).
#[must_use]
pub fn folded(text: &str) -> Cow<'_, str> {
    // every byte tested, without an early exit (branch-free)
    if !text
        .bytes()
        .fold(false, |fold, b| fold | !b.is_ascii() | b.is_ascii_uppercase())
    {
        return Cow::Borrowed(text);
    }
    if text.is_ascii() {
        return Cow::Owned(text.to_ascii_lowercase());
    }
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch.to_ascii_lowercase());
        } else {
            match FOLD_TABLE.binary_search_by_key(&u32::from(ch), |&(cp, _)| cp) {
                Ok(i) => out.push_str(FOLD_TABLE[i].1),
                Err(_) => out.push(ch),
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn ascii_and_full_folding() {
        assert_eq!(fold("Hello"), "hello");
        assert_eq!(fold("already"), "already");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
        assert_eq!(fold("ﬁ"), "fi");
        assert_eq!(fold("İ"), "i\u{307}");
    }

    #[test]
    fn table_is_sorted() {
        let table = &super::FOLD_TABLE;
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
