//! scimcore's native core: the SCIM filter language (RFC 7644 §3.4.2.2) and, later, the directory store.
//! The parser is pure Rust; `PyO3` is used only in the `python` module (feature `python`).

pub mod ast;
pub mod build;
pub mod directory;
pub mod error;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

#[cfg(feature = "python")]
mod python;
