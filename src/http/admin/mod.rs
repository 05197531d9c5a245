//! `/admin/v1`: JSON REST for site administration and the account lifecycle. Every
//! rejection, framework ones included, is `application/problem+json` (see `problem.rs`).

mod accounts;
mod directories;
mod domains;
mod groups;
mod openapi;
mod orgs;
mod paths;
mod principal;
mod problem;
mod provisioning_log;
mod receivers;
mod sites;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

pub use self::openapi::route_list;
pub use self::principal::{AdminCall, AdminPrincipal};
pub use self::problem::{Problem, WhoFields};
use crate::service::admin::outbox::Outbox;
use crate::service::admin::views::Changed;

type Reply = Result<HttpResponse, Problem>;

fn json<T: Serialize>(status: StatusCode, body: &T) -> Reply {
    Ok(HttpResponse::build(status).json(body))
}

fn ok<T: Serialize>(body: T) -> Reply {
    json(StatusCode::OK, &body)
}

fn created<T: Serialize>(body: T) -> Reply {
    json(StatusCode::CREATED, &body)
}

fn changed<T: Serialize>(changed: bool, value: T) -> Reply {
    ok(Changed { changed, value })
}

/// Newest first; `before` is the previous page's `next_before`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only entries older than this id: the previous page's `next_before`.
    before: Option<i64>,
    /// Entries per page, 1 to 1000 (default 100).
    limit: Option<i64>,
}

impl AuditQuery {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

/// A body that names something (a directory, a group).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NameBody {
    /// 1 to 200 characters.
    name: String,
}

fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(problem::method_not_allowed))
}

/// Registers the admin API with the default email sender (the log).
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_with(cfg, Outbox::default());
}

pub fn configure_with(cfg: &mut web::ServiceConfig, outbox: Outbox) {
    let mut scope = web::scope("/admin/v1")
        .app_data(web::Data::new(outbox))
        .app_data(
            web::JsonConfig::default()
                .limit(1024 * 1024)
                .error_handler(problem::json_error),
        )
        .app_data(web::PathConfig::default().error_handler(problem::path_error))
        .app_data(web::QueryConfig::default().error_handler(problem::query_error));
    // Only the route table registers routes: what it holds, the OpenAPI document describes.
    let mut paths: Vec<&str> = Vec::new();
    for route in openapi::ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    for path in paths {
        let mut methods = resource(path);
        for route in openapi::ROUTES.iter().filter(|r| r.path == path) {
            methods = methods.route((route.register)(web::method(route.method.clone())));
        }
        scope = scope.service(methods);
    }
    cfg.service(scope.default_service(web::to(problem::not_found)));
}
