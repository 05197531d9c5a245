//! SQLite's own allocations (page caches, prepared statements, the journals of savepoints)
//! go to the process's jemalloc instead of glibc's malloc. A profile of the writer's thread
//! under 16 clients creating users had a tenth of its time in glibc's `_int_malloc`,
//! `malloc` and `_int_free`: SQLite's, the only C code on that thread (the profile could not
//! unwind glibc's frames to say which of its allocations; the largest allocating work in the
//! same profile was copying 4 KiB pages into savepoints' in-memory journals, one per queued
//! write: `group_commit`). jemalloc serves sizes up to 4 KiB from its per-thread caches
//! (`tcache_max:4096`, src/main.rs).

use std::os::raw::{c_int, c_void};

use libsqlite3_sys as ffi;

/// Hands SQLite's allocations to jemalloc; true if SQLite took it. It must run before this
/// process uses SQLite at all (SQLite refuses a new allocator once initialized, and keeps
/// glibc's then: slower, never wrong).
pub fn route_to_jemalloc() -> bool {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to an sqlite3_mem_methods, which SQLite
    // copies before returning; the functions it names are valid for the process's life.
    let code = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_MALLOC,
            &methods as *const ffi::sqlite3_mem_methods,
        )
    };
    code == ffi::SQLITE_OK
}

/// SQLite never asks for a negative size; one would be taken as none.
fn size(n: c_int) -> usize {
    usize::try_from(n).unwrap_or(0)
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    // SAFETY: jemalloc's malloc takes any size.
    unsafe { tikv_jemalloc_sys::malloc(size(n)) }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    // SAFETY: SQLite frees only what x_malloc or x_realloc gave it.
    unsafe { tikv_jemalloc_sys::free(p) }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: as x_free; SQLite never reallocates a null pointer through this.
    unsafe { tikv_jemalloc_sys::realloc(p, size(n)) }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    // SAFETY: as x_free. SQLite's allocations are far below 2 GiB.
    let usable = unsafe { tikv_jemalloc_sys::malloc_usable_size(p) };
    c_int::try_from(usable).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    // SQLite wants 8-byte multiples; jemalloc's own size classes round the rest.
    n.saturating_add(7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}
