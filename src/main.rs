use clap::Parser;

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
