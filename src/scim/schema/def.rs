//! The vocabulary of RFC 7643 §2 and §7: attribute types and characteristics. Schemas are
//! static data built from these, and everything the server enforces or advertises
//! (validation, projection, PATCH, filters, /Schemas) reads the same definitions.

/// RFC 7643 §2.3 data types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub const fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub const fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub const fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute and its characteristics. Sub-attributes only for `Complex`.
#[derive(Clone, Copy, Debug)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
    /// The most characters a string, reference or binary value may have: a value longer
    /// than any real IdP sends is refused rather than stored (docs/scim.md lists them).
    pub max_length: usize,
    /// Whether a string value must be an email address (`emails.value`).
    pub is_email: bool,
}

/// The default limit for strings: the display names and directory attributes of Active
/// Directory, Entra ID, Okta and Google fit (AD's displayName is at most 256).
pub const MAX_STRING: usize = 256;
/// URLs: what browsers and proxies reliably carry.
pub const MAX_REFERENCE: usize = 2048;
/// Base64 of an X.509 certificate with a long chain of extensions.
pub const MAX_BINARY: usize = 16384;

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, read-write string with default
    /// characteristics: the most common shape, adjusted with the builder methods below.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            ty: AttrType::String,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            max_length: MAX_STRING,
            is_email: false,
        }
    }

    pub const fn of_type(mut self, ty: AttrType) -> Self {
        self.ty = ty;
        if matches!(ty, AttrType::Binary) {
            self.max_length = MAX_BINARY;
        }
        self
    }

    pub const fn max_length(mut self, max: usize) -> Self {
        self.max_length = max;
        self
    }

    /// An email address, at most 254 characters (RFC 5321's forward path).
    pub const fn email(mut self) -> Self {
        self.is_email = true;
        self.max_length = 254;
        self
    }

    pub const fn complex(mut self, sub_attributes: &'static [AttributeDef]) -> Self {
        self.ty = AttrType::Complex;
        self.sub_attributes = sub_attributes;
        self
    }

    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    pub const fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    pub const fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    pub const fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    pub const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    pub const fn references(mut self, types: &'static [&'static str]) -> Self {
        self.ty = AttrType::Reference;
        self.reference_types = types;
        self.max_length = MAX_REFERENCE;
        self
    }

    /// A sub-attribute by name, ignoring case (attribute names are case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&'static AttributeDef> {
        named(self.sub_attributes, name)
    }
}

/// The attribute of `attributes` called `name`, ignoring case (RFC 7643 §2.1).
fn named(attributes: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A schema (RFC 7643 §7): a URN and its attributes.
#[derive(Clone, Copy, Debug)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        named(self.attributes, name)
    }
}

/// A resource type (RFC 7643 §6): its endpoint, core schema and extensions.
#[derive(Clone, Copy, Debug)]
pub struct ResourceTypeDef {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static SchemaDef,
    /// Extension schemas and whether each is required.
    pub extensions: &'static [(&'static SchemaDef, bool)],
    /// readOnly attributes the server derives from other data (a User's `entitlements`
    /// from its groups). Unlike other readOnly attributes, a write that names one is not
    /// ignored: normalizing and PATCH keep what the client asserts, so the service can
    /// accept a repeat of the current value and refuse anything else.
    pub derived: &'static [&'static str],
}

impl ResourceTypeDef {
    /// True if `attr` is one of [`Self::derived`].
    pub fn is_derived(&self, attr: &AttributeDef) -> bool {
        self.derived
            .iter()
            .any(|d| d.eq_ignore_ascii_case(attr.name))
    }
}
