//! SCIM filter grammar (RFC 7644 §3.4.2.2, Figure 1, with errata 4690/7322 on `valFilter`).
//!
//! Pure protocol code: text in, typed tree out. Resolving attribute names against schemas,
//! typing values (dates, case-exactness) and compiling to SQL happen elsewhere.
//!
//! Choices where the RFC is loose:
//! - `attr[...].sub op value` is not in Figure 1 (it is PATCH path syntax), but Entra ID
//!   sends `emails[type eq "work"].value eq "x"` and Microsoft documents that endpoints
//!   must answer it. It is read as `attr[... and sub op value]`: the same element matches
//!   both, the only reading under which the lookup finds the user Entra means.
//! - Inside `attr[...]` only bare sub-attribute names are accepted (no URN, no `.`, no
//!   nested `[...]`): SCIM complex attributes have only simple sub-attributes (RFC 7643
//!   §2.3.8), and errata 4690 forbids nesting.
//! - `[...]` on a path that already has a sub-attribute (`name.givenName[...]`) is refused.
//! - `not` must be followed by `(`; elsewhere `not` is read as an attribute name. Whitespace
//!   between tokens is optional where the tokens cannot merge, and may be repeated.
//! - Keywords, operators and `true`/`false`/`null` are case-insensitive; attribute names
//!   keep their spelling.
//! - String values follow JSON (RFC 8259): escapes decoded, raw control characters refused.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::string_slice))]

mod ast;
mod attr;
mod display;
mod error;
pub mod eval;
mod lexer;
mod number;
pub(super) mod parser;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;

use std::str::FromStr;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use error::FilterError;

/// Bounds that make hostile input fail fast: parsing is linear in `max_len`, the stack is
/// bounded by `max_depth`, and any tree handed out has at most `max_nodes` nodes (which also
/// bounds its depth, so consumers may recurse over it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Input length in bytes.
    pub max_len: usize,
    /// Nesting of `( … )`, `not ( … )` and `[ … ]`.
    pub max_depth: usize,
    /// Comparisons, presence tests, `and`, `or`, `not` and value paths, all counted.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_len: 4096,
            max_depth: 32,
            max_nodes: 256,
        }
    }
}

/// Parses a `filter` query parameter or `/.search` body field with default [`Limits`].
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    parse_filter_with(input, &Limits::default())
}

pub fn parse_filter_with(input: &str, limits: &Limits) -> Result<Filter, FilterError> {
    parser::Parser::new(input, limits)?.filter()
}

/// Parses a lone attribute path such as `urn:…:User:name.familyName`; surrounding
/// whitespace is ignored.
pub fn parse_attr_path(input: &str) -> Result<AttrPath, FilterError> {
    let trimmed = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return Err(FilterError::Empty);
    }
    let start = input.len()
        - input
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    attr::parse_attr_path_at(input, start, trimmed)
}

pub(crate) use attr::parse_attr_path_at;
pub(crate) use error::column_at;

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
    }
}

impl FromStr for AttrPath {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_attr_path(s)
    }
}
