#![cfg(not(target_env = "msvc"))]
//! SQLite allocates from jemalloc once `route_to_jemalloc` ran first thing in the process
//! (as `main` does). A test binary of its own: SQLite must not have been used before.

use libsqlite3_sys as ffi;
use scimd::store::sqlite_alloc::route_to_jemalloc;

#[test]
fn sqlite_allocates_from_jemalloc() {
    assert!(
        route_to_jemalloc(),
        "SQLite takes the allocator before its first use"
    );
    // SQLite asks for 104 bytes (100 rounded to 8); what it then reports holding is
    // jemalloc's size class for that, where its own allocator reports the 104 it asked.
    let class = unsafe { tikv_jemalloc_sys::nallocx(104, 0) };
    assert_ne!(class, 104, "jemalloc rounds 104 bytes up to a size class");
    // SAFETY: a block from sqlite3_malloc, measured and freed by SQLite.
    let held = unsafe {
        let block = ffi::sqlite3_malloc(100);
        assert!(!block.is_null());
        let held = ffi::sqlite3_msize(block);
        // Nor does SQLite count what it holds: the bundled SQLite is built without memory
        // statistics (.cargo/config.toml), a global lock around every allocation.
        assert_eq!(ffi::sqlite3_memory_used(), 0, "the block is not counted");
        ffi::sqlite3_free(block);
        held
    };
    assert_eq!(held, class as u64);
    // Too late now: SQLite is initialized and keeps the allocator it has.
    assert!(!route_to_jemalloc());
    let db = rusqlite::Connection::open_in_memory().expect("in-memory database");
    db.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a');")
        .expect("SQLite works on jemalloc");
}
