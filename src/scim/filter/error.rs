use thiserror::Error;

/// Why a filter, PATCH path or attribute list was refused.
///
/// The `Display` text is meant for the SCIM `detail` field: it names the 1-based character
/// column and what the parser expected there, because the client usually has nothing else
/// to go on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("the expression is empty")]
    Empty,
    #[error("the expression is {len} bytes long; at most {max} are accepted")]
    TooLong { len: usize, max: usize },
    #[error("at column {column}: parentheses, `not` and `[` nest deeper than {max} levels")]
    TooDeep { column: usize, max: usize },
    #[error("at column {column}: the expression has more than {max} elements")]
    TooManyElements { column: usize, max: usize },
    #[error("at column {column}: expected {expected}, found {found}")]
    Unexpected {
        column: usize,
        expected: &'static str,
        found: String,
    },
    #[error("at column {column}: unterminated string; expected a closing `\"`")]
    UnterminatedString { column: usize },
    #[error("at column {column}: invalid string: {reason}")]
    InvalidString { column: usize, reason: &'static str },
    #[error("at column {column}: invalid number `{text}` (JSON number syntax, finite)")]
    InvalidNumber { column: usize, text: String },
    #[error("at column {column}: invalid attribute path `{text}`: {reason}")]
    InvalidAttrPath {
        column: usize,
        text: String,
        reason: &'static str,
    },
    #[error(
        "at column {column}: unknown operator `{found}`; expected one of \
         eq, ne, co, sw, ew, gt, ge, lt, le, pr"
    )]
    UnknownOperator { column: usize, found: String },
    #[error(
        "at column {column}: value filters cannot be nested; \
         `{attr}[` appears inside another `[...]`"
    )]
    NestedValuePath { column: usize, attr: String },
    #[error(
        "at column {column}: inside `[...]` only a plain sub-attribute name such as \
         `type` or `value` is allowed, found `{attr}`"
    )]
    NotRelative { column: usize, attr: String },
    #[error(
        "at column {column}: `[...]` applies to a multi-valued attribute, \
         not to the sub-attribute path `{attr}`"
    )]
    ValuePathOnSubAttr { column: usize, attr: String },
}

impl FilterError {
    /// The SCIM `scimType` for a 400 caused by a `filter` query parameter or body field.
    pub fn scim_type(&self) -> &'static str {
        "invalidFilter"
    }

    /// 1-based character column the error points at, when it points anywhere.
    pub fn column(&self) -> Option<usize> {
        match self {
            Self::Empty | Self::TooLong { .. } => None,
            Self::TooDeep { column, .. }
            | Self::TooManyElements { column, .. }
            | Self::Unexpected { column, .. }
            | Self::UnterminatedString { column }
            | Self::InvalidString { column, .. }
            | Self::InvalidNumber { column, .. }
            | Self::InvalidAttrPath { column, .. }
            | Self::UnknownOperator { column, .. }
            | Self::NestedValuePath { column, .. }
            | Self::NotRelative { column, .. }
            | Self::ValuePathOnSubAttr { column, .. } => Some(*column),
        }
    }
}

/// Columns are counted in characters so a client can find the spot in what it sent,
/// whatever the encoding width of earlier characters.
pub(crate) fn column_at(src: &str, byte: usize) -> usize {
    src.get(..byte)
        .map_or(src.chars().count(), |s| s.chars().count())
        + 1
}

/// Error text quotes user input; bound it so a hostile token cannot bloat the response.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}
