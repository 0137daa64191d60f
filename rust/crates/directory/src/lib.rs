//! The native in-memory directory (scimcore issue 6): resources of one type kept in a representation made
//! for scanning, searched with filter plans compiled in Python.
//!
//! Python decides semantics once, Rust executes: `scimcore.directory` resolves attribute paths against the
//! schema, checks and converts literals, and hands over a [`Layout`] (per resource type) and a [`Plan`] (per
//! filter). Each resource is stored as its original JSON only; trees of [`Node`]s, whose strings are
//! case-folded (Python's `str.casefold()`, see [`fold`]) unless the attribute is `caseExact` and whose
//! dateTimes are instants, are parsed from it when needed. Full scans read [`columns`] built from the JSON
//! (the first time a path is searched, or up front; updated by writes). A search picks candidates from the
//! case-insensitive equality indexes when the plan allows (checked on the trees), scans the columns
//! otherwise (on several threads for large stores) into a bitmap of the matches, takes a sorted page from
//! it by walking the sort's [`order`] (many matches) or ranking each match (few), and returns the page.
//!
//! No `PyO3` here: `cargo test` exercises this crate without Python; `scimcore-python` binds it.

pub mod bandwidth;
pub mod columns;
mod datetime;
pub mod error;
pub mod fold;
mod fold_table;
mod index;
pub mod layout;
pub mod matches;
pub mod order;
pub mod page;
mod pages;
pub mod plain;
pub mod plan;
mod pool;
pub mod simd;
pub mod sort;
pub mod store;
pub mod value;

pub use datetime::{parse_datetime, value_instant};
pub use error::DirError;
pub use layout::Layout;
pub use page::Projection;
pub use plan::Plan;
pub use sort::SortSpec;
pub use store::{Page, Prepared, Store};
pub use value::Node;

#[cfg(test)]
mod tests;
