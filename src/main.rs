use clap::Parser;

// Rust's allocations go to jemalloc. A page of users is mostly allocation: every column of
// every row is copied out of SQLite by one thread and freed by another, then rendered
// through JSON maps. With glibc's allocator (arenas capped for memory, below) that was
// about 40% of a page's CPU in a profile; side by side, jemalloc took roughly a third off
// the CPU per request of pages and lookups and a fifth off writes. SQLite's own
// allocations go there too (`scimd::store::sqlite_alloc`).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its first allocation. Freed pages go back to the system
/// after 20 ms, by a background thread: returning them at once (no decay) cost every
/// request a page fault and a TLB shootdown per page it touched again. Side by side, 20 ms
/// took 28-35% off a page of users' CPU and 5-15% off lookups' and writes'. One arena,
/// shared through the per-thread caches, keeps what the 20 ms hold from multiplying by
/// thread: at 100,000 users the benchmark's 16 concurrent pages peaked at 55 MiB this way,
/// 58-68 MiB with jemalloc's default arenas. An operator can add settings through
/// `_RJEM_MALLOC_CONF`.
#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] =
    b"background_thread:true,narenas:1,dirty_decay_ms:20,muzzy_decay_ms:0,tcache_max:4096\0";

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    // Before anything opens a database: SQLite takes an allocator only before its first use.
    #[cfg(not(target_env = "msvc"))]
    if !scimd::store::sqlite_alloc::route_to_jemalloc() {
        eprintln!("scimd: SQLite kept its own allocator");
    }
    actix_web::rt::System::new().block_on(async {
        let cli = scimd::cli::Cli::parse();
        match scimd::cli::run(cli).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("scimd: {err}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}

/// glibc gives threads up to eight malloc arenas per core, and each thread keeps to its
/// arena, holding the memory it freed there. When SQLite still allocated from glibc,
/// scimd's threads (the HTTP workers, one per SQLite connection, tokio's blocking pool) each
/// ended up with an arena, so resident memory grew with the thread count rather than the
/// load: at 100,000 users one arena per core measured 58 MiB at peak against 68. What still
/// allocates from glibc (C libraries, or SQLite where it keeps its own allocator) stays
/// bounded the same way. Set before any thread starts; an operator's own
/// `MALLOC_ARENA_MAX` wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes allocator settings; called first thing in main, before
    // any other thread exists. A refusal (0) leaves glibc's default, which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
