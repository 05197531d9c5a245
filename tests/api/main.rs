//! One integration-test binary (each file under tests/ would be a separate binary to link).

mod dns;
mod helpers;

mod admin;
mod budget;
mod create_race;
mod domains;
mod entitlements;
mod events;
mod forwarded;
mod group_commit;
mod groups;
mod health;
mod idn;
mod idp_paths;
mod keep_alive;
mod limits;
mod manager;
mod metrics;
mod migrations;
mod native_ids;
mod nul;
mod processes;
mod properties;
mod reprovision;
mod request_hygiene;
mod search_request;
mod statement_cache;
mod store_model;
mod stranger_view;
mod tokens;
mod unicode;
mod user_names;
mod users;
