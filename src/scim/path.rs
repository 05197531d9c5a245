//! PATCH `path` (RFC 7644 §3.5.2) and the `attributes` / `excludedAttributes` query
//! parameters (§3.4.2.5), built on the filter grammar.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::string_slice))]

use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

use thiserror::Error;

use super::filter::parser::Parser;
use super::filter::{column_at, parse_attr_path_at, AttrPath, Filter, FilterError, Limits};

/// `PATH = attrPath / valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchPath {
    /// `name.givenName`, `urn:…:enterprise:2.0:User:manager`, `active`.
    Attr(AttrPath),
    /// `emails[type eq "work"].value`: `attr` has no sub-attribute; paths inside `filter`
    /// are plain sub-attribute names of `attr`.
    ValuePath {
        attr: AttrPath,
        filter: Filter,
        sub: Option<String>,
    },
}

/// A malformed PATCH path or attribute list; maps to 400 with `scimType` `invalidPath`.
/// The wrapped error's text says where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct PathError(#[source] pub FilterError);

impl PathError {
    pub fn scim_type(&self) -> &'static str {
        "invalidPath"
    }
}

pub fn parse_patch_path(input: &str) -> Result<PatchPath, PathError> {
    parse_patch_path_with(input, &Limits::default())
}

pub fn parse_patch_path_with(input: &str, limits: &Limits) -> Result<PatchPath, PathError> {
    let parts = Parser::new(input, limits)
        .and_then(Parser::patch_path)
        .map_err(PathError)?;
    Ok(match parts.value_filter {
        None => PatchPath::Attr(parts.attr),
        Some((filter, sub)) => PatchPath::ValuePath {
            attr: parts.attr,
            filter,
            sub,
        },
    })
}

/// Comma-separated attribute paths, whitespace around each tolerated. An empty or blank
/// parameter means "no list" and yields an empty vector; an empty item (`a,,b`, `a,`) is an
/// error because it is almost certainly a client bug.
pub fn parse_attribute_list(input: &str) -> Result<Vec<AttrPath>, PathError> {
    parse_attribute_list_with(input, &Limits::default())
}

pub fn parse_attribute_list_with(input: &str, limits: &Limits) -> Result<Vec<AttrPath>, PathError> {
    if input.len() > limits.max_len {
        return Err(PathError(FilterError::TooLong {
            len: input.len(),
            max: limits.max_len,
        }));
    }
    if input.trim_matches(is_space).is_empty() {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    let mut offset = 0;
    for item in input.split(',') {
        let leading = item.len() - item.trim_start_matches(is_space).len();
        let text = item.trim_matches(is_space);
        let start = offset + leading;
        offset += item.len() + 1;
        if paths.len() >= limits.max_nodes {
            return Err(PathError(FilterError::TooManyElements {
                column: column_at(input, start),
                max: limits.max_nodes,
            }));
        }
        if text.is_empty() {
            return Err(PathError(FilterError::Unexpected {
                column: column_at(input, start),
                expected: "an attribute path",
                found: "an empty item".to_owned(),
            }));
        }
        paths.push(parse_attr_path_at(input, start, text).map_err(PathError)?);
    }
    Ok(paths)
}

fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(attr) => write!(f, "{attr}"),
            Self::ValuePath { attr, filter, sub } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some(sub) = sub {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for PatchPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_patch_path(s)
    }
}

#[cfg(test)]
mod tests;
