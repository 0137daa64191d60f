#![doc = include_str!("../README.md")]

pub mod ast;
pub mod build;
pub mod error;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;
