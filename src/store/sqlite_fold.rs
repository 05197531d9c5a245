//! `scimd_fold(text)` on SQLite: [`crate::domain::fold_case`] as a SQL function, so SQL
//! compares JSON-held text exactly as Rust folded the shadow columns and the filter values.
//! SQLite's own `lower()` folds only ASCII (`Übermensch` would not match `übermensch`).

use std::os::raw::{c_char, c_int};

use libsqlite3_sys as ffi;

/// Registers `scimd_fold` on one connection (every pooled connection, before first use).
pub(super) async fn register(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the connection's open handle, held locked for the call.
    unsafe { register_on(handle.as_raw_handle().as_ptr()) }
}

/// Registers `scimd_fold` on an open handle.
///
/// # Safety
/// `db` is an open SQLite handle that no other thread uses during the call.
pub(super) unsafe fn register_on(db: *mut ffi::sqlite3) -> Result<(), sqlx::Error> {
    // Deterministic: SQLite may use it in indexes and factor it out of loops. Innocuous: it
    // reads nothing but its argument, so schema objects may call it.
    let flags = ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS;
    // SAFETY: `db` as the caller promises; the name is a NUL-terminated static; `fold` has
    // the signature SQLite calls and no user data.
    let rc = unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            c"scimd_fold".as_ptr(),
            1,
            flags,
            std::ptr::null_mut(),
            Some(fold),
            None,
            None,
            None,
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(sqlx::Error::Configuration(
            format!("cannot register scimd_fold on SQLite ({rc})").into(),
        ));
    }
    Ok(())
}

/// NULL stays NULL; any other value is folded as text (a JSON number as its digits, as
/// PostgreSQL's `->>` gives it).
unsafe extern "C" fn fold(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // A panic must not unwind into SQLite's C frames.
    let outcome = std::panic::catch_unwind(|| {
        if argc != 1 || argv.is_null() {
            return Err("scimd_fold takes one argument");
        }
        // SAFETY: SQLite passes `argc` valid values; the text pointer (valid until the value
        // changes, which nothing here does) is read before its length, as SQLite requires.
        unsafe {
            let value = *argv;
            if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
                ffi::sqlite3_result_null(ctx);
                return Ok(());
            }
            let text = ffi::sqlite3_value_text(value);
            if text.is_null() {
                ffi::sqlite3_result_error_nomem(ctx);
                return Ok(());
            }
            let len = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
            let bytes = std::slice::from_raw_parts(text, len);
            let folded = crate::domain::fold_case(&String::from_utf8_lossy(bytes));
            match c_int::try_from(folded.len()) {
                Ok(n) => ffi::sqlite3_result_text(
                    ctx,
                    folded.as_ptr().cast::<c_char>(),
                    n,
                    ffi::SQLITE_TRANSIENT(),
                ),
                Err(_) => ffi::sqlite3_result_error_toobig(ctx),
            }
        }
        Ok(())
    });
    let failure = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(message)) => message,
        Err(_) => "scimd_fold failed",
    };
    // SAFETY: `ctx` is the live context of this call; -1: the message is NUL-terminated.
    unsafe {
        let message = std::ffi::CString::new(failure).unwrap_or_default();
        ffi::sqlite3_result_error(ctx, message.as_ptr(), -1);
    }
}
