//! The values a statement binds, typed so that each backend receives its own column types.

/// A value bound to a statement. Ids, JSON documents, flags and times carry their kind so
/// that PostgreSQL receives its native types (uuid, jsonb, boolean, timestamptz) while
/// SQLite keeps text and integers. Nulls carry their type too: PostgreSQL refuses a text
/// NULL where a bigint is expected.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Float(f64),
    Uuid(uuid::Uuid),
    /// A serialized JSON document.
    Json(String),
    Bool(bool),
    /// Microseconds since the Unix epoch.
    Time(i64),
    NullText,
    NullInt,
    NullUuid,
    NullJson,
    NullBool,
    NullTime,
}

/// A time to bind, in microseconds since the Unix epoch (the unit the store speaks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub i64);

/// What can be bound: text, integers, floats, ids, JSON, flags, times and options of those.
pub trait IntoParam {
    fn into_param(self) -> Param;
}

impl IntoParam for Param {
    fn into_param(self) -> Param {
        self
    }
}
impl IntoParam for String {
    fn into_param(self) -> Param {
        Param::Text(self)
    }
}
impl IntoParam for &String {
    fn into_param(self) -> Param {
        Param::Text(self.clone())
    }
}
impl IntoParam for &str {
    fn into_param(self) -> Param {
        Param::Text(self.to_owned())
    }
}
impl IntoParam for i64 {
    fn into_param(self) -> Param {
        Param::Int(self)
    }
}
impl IntoParam for f64 {
    fn into_param(self) -> Param {
        Param::Float(self)
    }
}
impl IntoParam for bool {
    fn into_param(self) -> Param {
        Param::Bool(self)
    }
}
impl IntoParam for Time {
    fn into_param(self) -> Param {
        Param::Time(self.0)
    }
}
impl IntoParam for &serde_json::Value {
    fn into_param(self) -> Param {
        Param::Json(self.to_string())
    }
}
impl IntoParam for uuid::Uuid {
    fn into_param(self) -> Param {
        Param::Uuid(self)
    }
}

/// The null of a type, for `Option<T>`.
pub trait NullParam {
    const NULL: Param;
}
impl NullParam for String {
    const NULL: Param = Param::NullText;
}
impl NullParam for &String {
    const NULL: Param = Param::NullText;
}
impl NullParam for &str {
    const NULL: Param = Param::NullText;
}
impl NullParam for uuid::Uuid {
    const NULL: Param = Param::NullUuid;
}
impl NullParam for i64 {
    const NULL: Param = Param::NullInt;
}
impl NullParam for bool {
    const NULL: Param = Param::NullBool;
}
impl NullParam for Time {
    const NULL: Param = Param::NullTime;
}
impl NullParam for &serde_json::Value {
    const NULL: Param = Param::NullJson;
}

impl<T: IntoParam + NullParam> IntoParam for Option<T> {
    fn into_param(self) -> Param {
        match self {
            Some(v) => v.into_param(),
            None => T::NULL,
        }
    }
}

macro_rules! id_params {
    ($($id:ty),*) => {$(
        impl IntoParam for $id {
            fn into_param(self) -> Param {
                Param::Uuid(self.as_uuid())
            }
        }
        impl NullParam for $id {
            const NULL: Param = Param::NullUuid;
        }
    )*};
}
id_params!(
    crate::domain::AccountId,
    crate::domain::OrgId,
    crate::domain::SiteId,
    crate::domain::DirectoryId,
    crate::domain::GroupId
);
