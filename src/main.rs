use clap::Parser;

// A request allocates and frees many small buffers on two or more threads at once; glibc's
// allocator spent about a sixth of a lookup's CPU there (malloc, free, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = scimd::cli::Cli::parse();
    match scimd::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("scimd: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
