//! `/admin/v1`: JSON REST for site administration and the account lifecycle. Every
//! rejection, framework ones included, is `application/problem+json` (see `problem.rs`).

mod accounts;
mod orgs;
mod principal;
mod problem;
mod receivers;
mod sites;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

pub use self::principal::AdminPrincipal;
pub use self::problem::Problem;
use crate::service::admin::outbox::Outbox;
use crate::service::admin::views::Changed;

type Reply = Result<HttpResponse, Problem>;

fn json<T: Serialize>(status: StatusCode, body: &T) -> Reply {
    Ok(HttpResponse::build(status).json(body))
}

fn changed<T: Serialize>(changed: bool, value: T) -> Reply {
    json(StatusCode::OK, &Changed { changed, value })
}

/// Newest first; `before` is the previous page's `next_before`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

impl AuditQuery {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(problem::method_not_allowed))
}

/// Registers the admin API with the default email sender (the log).
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_with(cfg, Outbox::default());
}

pub fn configure_with(cfg: &mut web::ServiceConfig, outbox: Outbox) {
    cfg.service(
        web::scope("/admin/v1")
            .app_data(web::Data::new(outbox))
            .app_data(
                web::JsonConfig::default()
                    .limit(1024 * 1024)
                    .error_handler(problem::json_error),
            )
            .app_data(web::PathConfig::default().error_handler(problem::path_error))
            .app_data(web::QueryConfig::default().error_handler(problem::query_error))
            .configure(accounts::routes)
            .configure(orgs::routes)
            .configure(receivers::routes)
            .configure(sites::routes)
            .default_service(web::to(problem::not_found)),
    );
}
