//! `attrPath = [URI ":"] ATTRNAME *1subAttr`.

use super::ast::AttrPath;
use super::error::{column_at, excerpt, FilterError};

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`, which RFC 7643 uses as a sub-attribute name
/// (`members.$ref`, `manager.$ref`) even though the ABNF does not admit it.
pub(crate) fn is_attr_name(s: &str) -> bool {
    if s.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Schema URIs in practice are URNs; accept RFC 3986 characters that cannot confuse the
/// filter grammar, so a custom schema URI still parses.
fn is_schema_uri(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && !s.ends_with(':')
        && chars.all(|c| c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(c))
}

/// Parses `text`, found at byte `start` of `src` (for error columns).
pub(crate) fn parse_attr_path_at(
    src: &str,
    start: usize,
    text: &str,
) -> Result<AttrPath, FilterError> {
    let fail = |reason| FilterError::InvalidAttrPath {
        column: column_at(src, start),
        text: excerpt(text),
        reason,
    };
    // Attribute names cannot contain `:`, so the last one separates the schema URN.
    let (urn, local) = match text.rfind(':') {
        Some(i) => (text.get(..i), text.get(i + 1..).unwrap_or_default()),
        None => (None, text),
    };
    if let Some(urn) = urn {
        if !is_schema_uri(urn) {
            return Err(fail("the schema URI before the last `:` is malformed"));
        }
    }
    let mut parts = local.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Err(fail("at most one sub-attribute (`name.sub`) is allowed"));
    }
    if name.is_empty() {
        return Err(fail("missing attribute name"));
    }
    if !is_attr_name(name) {
        return Err(fail(
            "attribute names start with a letter and contain only letters, digits, `-` and `_`",
        ));
    }
    if let Some(sub) = sub {
        if !is_attr_name(sub) {
            return Err(fail("expected a sub-attribute name after `.`"));
        }
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}
