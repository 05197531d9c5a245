//! Between the store and rusqlite, which runs statements on SQLite handles directly where
//! sqlx's worker thread would cost a hand-off per statement (the writer's queue, the
//! readers' lookups): values bound as sqlx binds them, errors as sqlx reports them.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::db::Param;

/// Binds `params` to the statement's `$N` placeholders by number, as sqlx would: a
/// placeholder without a value is NULL.
pub(super) fn bind_params(
    prepared: &mut rusqlite::Statement<'_>,
    params: &[Param],
) -> rusqlite::Result<()> {
    for index in 1..=prepared.parameter_count() {
        let value = prepared
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| params.get(n.checked_sub(1)?))
            .map_or(ToSqlOutput::Borrowed(ValueRef::Null), value);
        prepared.raw_bind_parameter(index, value)?;
    }
    Ok(())
}

/// A value as sqlx binds it on SQLite (`db::bind_all`): ids as hyphenated text, JSON as
/// text, flags as 0/1, times as integer microseconds.
fn value(param: &Param) -> ToSqlOutput<'_> {
    use ToSqlOutput::{Borrowed, Owned};
    match param {
        Param::Text(s) | Param::Json(s) => Borrowed(ValueRef::Text(s.as_bytes())),
        Param::Int(i) | Param::Time(i) => Borrowed(ValueRef::Integer(*i)),
        Param::Float(f) => Borrowed(ValueRef::Real(*f)),
        Param::Uuid(u) => Owned(u.hyphenated().to_string().into()),
        Param::Bool(b) => Borrowed(ValueRef::Integer(i64::from(*b))),
        Param::NullText
        | Param::NullUuid
        | Param::NullJson
        | Param::NullInt
        | Param::NullBool
        | Param::NullTime => Borrowed(ValueRef::Null),
    }
}

/// rusqlite's error as sqlx's, keeping SQLite's extended code, so that a unique violation
/// is a conflict as on every other path (`StoreError::from`).
pub(super) fn error(err: rusqlite::Error) -> sqlx::Error {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            sqlx::Error::Database(Box::new(DirectError {
                code: code.extended_code,
                message: message.unwrap_or_else(|| code.to_string()),
            }))
        }
        rusqlite::Error::InvalidColumnName(name) => sqlx::Error::ColumnNotFound(name),
        rusqlite::Error::FromSqlConversionFailure(index, _, source) => sqlx::Error::ColumnDecode {
            index: index.to_string(),
            source,
        },
        rusqlite::Error::InvalidColumnType(_, name, stored) => sqlx::Error::ColumnDecode {
            index: name,
            source: format!("stored as {stored}").into(),
        },
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

#[derive(Debug)]
struct DirectError {
    code: std::os::raw::c_int,
    message: String,
}

impl std::fmt::Display for DirectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DirectError {}

impl sqlx::error::DatabaseError for DirectError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use libsqlite3_sys as ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}
