//! Directory errors. The Python binding maps each onto the `scimcore.errors` class named in the comment.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirError {
    /// The resource JSON does not parse, or is not an object with a string `id` (`InvalidSyntax`).
    Syntax(String),
    /// Two resources would share an `id` or a unique attribute value (`Uniqueness`, 409).
    Uniqueness(String),
    /// No resource has this `id` (`NotFound`, 404).
    NotFound(String),
    /// The layout or plan handed over by Python is malformed: a bug, reported as a plain `ScimError` (500).
    Layout(String),
    Plan(String),
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirError::Syntax(m)
            | DirError::Uniqueness(m)
            | DirError::NotFound(m)
            | DirError::Layout(m)
            | DirError::Plan(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DirError {}
