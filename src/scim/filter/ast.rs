use serde_json::Number;

/// `attrPath = [URI ":"] ATTRNAME *1subAttr` (RFC 7644 Figure 1).
///
/// Spelling is kept exactly as the client sent it; attribute names and schema URNs are
/// case-insensitive in SCIM, so compare with [`AttrPath::eq_ignore_case`] or resolve
/// through the schema registry rather than with `==`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN, everything before the last `:` (e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    pub fn new(urn: Option<&str>, name: &str, sub: Option<&str>) -> Self {
        Self {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        }
    }

    /// SCIM compares attribute names and schema URNs case-insensitively (RFC 7643 §2.1).
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        fn opt_eq(a: Option<&str>, b: Option<&str>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                (None, None) => true,
                _ => false,
            }
        }
        self.name.eq_ignore_ascii_case(&other.name)
            && opt_eq(self.urn.as_deref(), other.urn.as_deref())
            && opt_eq(self.sub.as_deref(), other.sub.as_deref())
    }

    /// A bare schema URN such as `urn:…:enterprise:2.0:User` is grammatically an attrPath
    /// whose last segment (`User`) looks like an attribute name. The grammar cannot tell
    /// them apart; the resolver can, by checking this joined form against known schemas.
    pub fn as_schema_urn(&self) -> Option<String> {
        match (&self.urn, &self.sub) {
            (Some(urn), None) => Some(format!("{urn}:{}", self.name)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// Operators are case-insensitive (RFC 7644 §3.4.2.2).
    pub fn from_keyword(word: &str) -> Option<Self> {
        const ALL: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        ALL.iter()
            .find(|(kw, _)| kw.eq_ignore_ascii_case(word))
            .map(|(_, op)| *op)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

/// `compValue = false / null / true / number / string`, JSON rules (RFC 7159).
///
/// Dates are strings here; interpreting `"2011-05-13T04:42:34Z"` as a dateTime needs the
/// attribute's schema type and happens in the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

/// A parsed SCIM filter. `And`/`Or` chains are left-associative, so a recursive consumer's
/// depth is bounded by the parser's element budget ([`super::Limits::max_nodes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: `path` has no sub-attribute and every path inside `filter` is a plain
    /// sub-attribute name of `path` (no URN, no `.`), with no further `[...]`.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}
