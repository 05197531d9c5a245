//! One integration-test binary (each file under tests/ would be a separate binary to link).

mod helpers;

mod admin;
mod budget;
mod create_race;
mod forwarded;
mod group_commit;
mod groups;
mod health;
mod idp_paths;
mod keep_alive;
mod manager;
mod migrations;
mod nul;
mod processes;
mod reprovision;
mod request_hygiene;
mod search_request;
mod statement_cache;
mod store_model;
mod stranger_view;
mod tokens;
mod user_names;
mod users;
