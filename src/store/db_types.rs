//! Column types that decode on both backends into the values the store speaks: ids as
//! hyphenated UUID text, times as microseconds since the Unix epoch, JSON as its text.
//! SQLite keeps those forms on disk; PostgreSQL holds uuid, timestamptz and jsonb. Record
//! fields keep their Rust types through `#[sqlx(try_from = "...")]`.
//!
//! On PostgreSQL each decoder also accepts the SQLite form (text, bigint), so an expression
//! that yields one (a literal, a cast) still decodes.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type, ValueRef};

/// A JSON document already serialized, bound as PostgreSQL `jsonb` without parsing it
/// again (sqlx's `Json<T>` would serialize a value; ours is text already).
#[derive(Debug)]
pub(super) struct PgJsonb(pub(super) String);

impl Type<Postgres> for PgJsonb {
    fn type_info() -> PgTypeInfo {
        <sqlx::types::Json<()> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for PgJsonb {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // jsonb's binary input is a format version (1) followed by the JSON text, as sqlx's
        // own `Json` writes it.
        buf.push(1);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

fn is_pg<T: Type<Postgres>>(ty: &PgTypeInfo) -> bool {
    T::compatible(ty)
}

/// On SQLite each of these columns is the type it is stored as (decoding differs).
macro_rules! sqlite_type_as {
    ($($ty:ident: $stored:ty),*) => {$(
        impl Type<Sqlite> for $ty {
            fn type_info() -> SqliteTypeInfo {
                <$stored as Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &SqliteTypeInfo) -> bool {
                <$stored as Type<Sqlite>>::compatible(ty)
            }
        }
    )*};
}
sqlite_type_as!(DbUuid: String, DbTime: i64, DbJson: String);

/// Columns whose SQLite form is their value itself (a time's integer, a document's text).
macro_rules! sqlite_value_as_is {
    ($($ty:ident: $stored:ty),*) => {$(
        impl From<$ty> for $stored {
            fn from(column: $ty) -> $stored {
                column.0
            }
        }
        impl<'r> Decode<'r, Sqlite> for $ty {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($ty(<$stored as Decode<Sqlite>>::decode(value)?))
            }
        }
    )*};
}
sqlite_value_as_is!(DbTime: i64, DbJson: String);

/// On PostgreSQL each of these columns is its native type, or the SQLite form it also
/// decodes from (see the module's comment).
macro_rules! pg_type_as {
    ($($ty:ident: $native:ty, or $sqlite_form:ty);*) => {$(
        impl Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <$native as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                is_pg::<$native>(ty) || is_pg::<$sqlite_form>(ty)
            }
        }
    )*};
}
pg_type_as!(
    DbUuid: uuid::Uuid, or String;
    DbTime: time::OffsetDateTime, or i64;
    DbJson: sqlx::types::Json<()>, or String
);

/// A UUID column (PostgreSQL `uuid`, SQLite text), as hyphenated lower-case text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbUuid(pub uuid::Uuid);

impl From<DbUuid> for String {
    fn from(id: DbUuid) -> String {
        id.0.hyphenated().to_string()
    }
}

impl<'r> Decode<'r, Sqlite> for DbUuid {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(DbUuid(uuid::Uuid::parse_str(text)?))
    }
}
impl<'r> Decode<'r, Postgres> for DbUuid {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if is_pg::<String>(&value.type_info()) {
            let text = <&str as Decode<Postgres>>::decode(value)?;
            return Ok(DbUuid(uuid::Uuid::parse_str(text)?));
        }
        Ok(DbUuid(<uuid::Uuid as Decode<Postgres>>::decode(value)?))
    }
}

/// A time column (PostgreSQL `timestamptz`, SQLite integer), as microseconds since the
/// Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbTime(pub i64);

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if is_pg::<i64>(&value.type_info()) {
            return Ok(DbTime(<i64 as Decode<Postgres>>::decode(value)?));
        }
        let at = <time::OffsetDateTime as Decode<Postgres>>::decode(value)?;
        Ok(DbTime(super::micros(at)))
    }
}

/// A JSON column (PostgreSQL `jsonb`, SQLite text), as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbJson(pub String);

impl<'r> Decode<'r, Postgres> for DbJson {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if is_pg::<String>(&value.type_info()) {
            return Ok(DbJson(<String as Decode<Postgres>>::decode(value)?));
        }
        let raw =
            <sqlx::types::Json<&serde_json::value::RawValue> as Decode<Postgres>>::decode(value)?;
        Ok(DbJson(raw.0.get().to_owned()))
    }
}

/// Nullable forms of the above, for `Option` fields (`try_from` needs a local type).
macro_rules! nullable {
    ($($opt:ident($inner:ident) -> $out:ty),*) => {$(
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $opt(pub Option<$inner>);

        impl From<$opt> for Option<$out> {
            fn from(v: $opt) -> Option<$out> {
                v.0.map(Into::into)
            }
        }
        sqlite_type_as!($opt: $inner);
        impl<'r> Decode<'r, Sqlite> for $opt {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                if value.is_null() {
                    return Ok($opt(None));
                }
                Ok($opt(Some(<$inner as Decode<Sqlite>>::decode(value)?)))
            }
        }
        impl Type<Postgres> for $opt {
            fn type_info() -> PgTypeInfo {
                <$inner as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <$inner as Type<Postgres>>::compatible(ty)
            }
        }
        impl<'r> Decode<'r, Postgres> for $opt {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                if value.is_null() {
                    return Ok($opt(None));
                }
                Ok($opt(Some(<$inner as Decode<Postgres>>::decode(value)?)))
            }
        }
    )*};
}
nullable!(
    DbUuidOpt(DbUuid) -> String,
    DbTimeOpt(DbTime) -> i64,
    DbJsonOpt(DbJson) -> String
);

/// Record fields take the domain's typed ids straight from their columns: a UUID column
/// cannot hold a malformed id.
macro_rules! ids_from_columns {
    ($($id:ty),*) => {$(
        impl From<DbUuid> for $id {
            fn from(id: DbUuid) -> $id {
                <$id>::from(id.0)
            }
        }
        impl From<DbUuidOpt> for Option<$id> {
            fn from(id: DbUuidOpt) -> Option<$id> {
                id.0.map(Into::into)
            }
        }
    )*};
}
ids_from_columns!(
    uuid::Uuid,
    crate::domain::OrgId,
    crate::domain::AccountId,
    crate::domain::SiteId,
    crate::domain::DirectoryId,
    crate::domain::GroupId
);

/// Record fields holding a JSON document parse it from its column.
macro_rules! documents_from_columns {
    ($($doc:ty),*) => {$(
        impl TryFrom<DbJson> for $doc {
            type Error = serde_json::Error;
            fn try_from(column: DbJson) -> Result<$doc, serde_json::Error> {
                serde_json::from_str(&column.0)
            }
        }
    )*};
}
documents_from_columns!(
    serde_json::Value,
    serde_json::Map<String, serde_json::Value>,
    Vec<String>
);

/// A list row's sort key, whatever type its expression has (a text, a time, an id, a
/// number, a flag or NULL; on SQLite, a JSON value's own type), for the cursor that
/// resumes after it. Keyset queries bind it back as the same type.
#[derive(Clone, Debug, PartialEq)]
pub struct DbSortValue(pub crate::scim::cursor::SortValue);

impl Default for DbSortValue {
    fn default() -> Self {
        DbSortValue(crate::scim::cursor::SortValue::Null)
    }
}

// Any column type on either backend: the decoders below take each value as it comes.
impl<DB: sqlx::Database> Type<DB> for DbSortValue
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }
    fn compatible(_: &DB::TypeInfo) -> bool {
        true
    }
}
impl<'r> Decode<'r, Sqlite> for DbSortValue {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        use crate::scim::cursor::SortValue;
        use sqlx::TypeInfo as _;
        if value.is_null() {
            return Ok(DbSortValue(SortValue::Null));
        }
        // A value's own storage class (an expression has no declared type).
        let class = value.type_info().name().to_ascii_uppercase();
        Ok(DbSortValue(match class.as_str() {
            "INTEGER" | "BOOLEAN" | "DATETIME" | "NUMERIC" => {
                SortValue::Int(<i64 as Decode<Sqlite>>::decode(value)?)
            }
            "REAL" => SortValue::Float(<f64 as Decode<Sqlite>>::decode(value)?),
            "TEXT" => SortValue::Text(<String as Decode<Sqlite>>::decode(value)?),
            other => return Err(format!("a sort key of type {other}").into()),
        }))
    }
}
impl<'r> Decode<'r, Postgres> for DbSortValue {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        use crate::scim::cursor::SortValue;
        if value.is_null() {
            return Ok(DbSortValue(SortValue::Null));
        }
        let ty = value.type_info().into_owned();
        Ok(DbSortValue(if is_pg::<String>(&ty) {
            SortValue::Text(<String as Decode<Postgres>>::decode(value)?)
        } else if is_pg::<i64>(&ty) {
            SortValue::Int(<i64 as Decode<Postgres>>::decode(value)?)
        } else if is_pg::<i32>(&ty) {
            SortValue::Int(i64::from(<i32 as Decode<Postgres>>::decode(value)?))
        } else if is_pg::<i16>(&ty) {
            SortValue::Int(i64::from(<i16 as Decode<Postgres>>::decode(value)?))
        } else if is_pg::<f64>(&ty) {
            SortValue::Float(<f64 as Decode<Postgres>>::decode(value)?)
        } else if is_pg::<bool>(&ty) {
            SortValue::Bool(<bool as Decode<Postgres>>::decode(value)?)
        } else if is_pg::<uuid::Uuid>(&ty) {
            SortValue::Uuid(<uuid::Uuid as Decode<Postgres>>::decode(value)?)
        } else if is_pg::<time::OffsetDateTime>(&ty) {
            let at = <time::OffsetDateTime as Decode<Postgres>>::decode(value)?;
            SortValue::Time(super::micros(at))
        } else {
            return Err(format!("a sort key of type {ty}").into());
        }))
    }
}
