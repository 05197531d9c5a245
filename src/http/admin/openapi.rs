//! The admin API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes and the types they take and answer, so it cannot drift from the code. Served
//! at `GET /admin/v1/openapi.json` without a token: it describes the API, as docs/admin.md
//! does, and holds no tenant's data.

use actix_web::http::StatusCode;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::problem::ProblemBody;
use super::Reply;
use crate::domain::{
    AccountId, AccountStatus, DirectoryId, GroupId, IgnoredField, OrgId, ProvisionedResource,
    ProvisioningOperation, ProvisioningOutcome, SiteAccess, SiteId, SiteRole,
};

/// A string schema: `what` it is, and what `narrow` says of its values.
fn string_schema(what: &str, narrow: impl FnOnce(ObjectBuilder) -> ObjectBuilder) -> RefOr<Schema> {
    narrow(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(what))
        .into()
}

/// The domain's ids are UUIDs on the wire.
macro_rules! uuid_schemas {
    ($($id:ty => $what:literal),* $(,)?) => {$(
        impl PartialSchema for $id {
            fn schema() -> RefOr<Schema> {
                let uuid = SchemaFormat::KnownFormat(KnownFormat::Uuid);
                string_schema($what, |s| s.format(Some(uuid)))
            }
        }
        impl ToSchema for $id {}
    )*};
}

uuid_schemas!(
    OrgId => "An organization's id.",
    AccountId => "An account's id.",
    SiteId => "A site's id.",
    DirectoryId => "A directory's id.",
    GroupId => "A group's id.",
);

/// The domain's enums are their wire words, listed from the enum itself.
macro_rules! word_schemas {
    ($($enum:ty => $what:literal),* $(,)?) => {$(
        impl PartialSchema for $enum {
            fn schema() -> RefOr<Schema> {
                let words = <$enum>::ALL.iter().map(|v| v.as_str());
                string_schema($what, |s| s.enum_values(Some(words)))
            }
        }
        impl ToSchema for $enum {}
    )*};
}

word_schemas!(
    AccountStatus => "An account's status, global across sites (rule 1).",
    SiteAccess => "A user's access to a site.",
    SiteRole => "A user's role on a site.",
    IgnoredField => "A request field that had no effect (rule 5).",
    ProvisioningOutcome => "What a SCIM write came to.",
    ProvisioningOperation => "The SCIM write asked for.",
    ProvisionedResource => "The SCIM resource type a write addressed.",
);

/// The errors every authenticated operation can answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Problems {
    /// A malformed request: a bad body, query parameter or value, or an unknown field
    /// (`invalid_request`, `invalid_email`, `invalid_domain`, `public_suffix`).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(ProblemBody),
    /// No usable admin token (`unauthorized`); the answer carries `WWW-Authenticate: Bearer`.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemBody),
    /// A rule says the caller may not; the body says who can act instead.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemBody),
    /// Not found, or not visible to the caller (ids are not probed).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemBody),
    /// The server failed; nothing was changed.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(ProblemBody),
}

/// What stands in the way is the state of the account, membership, group or domain.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Conflict {
    /// The state refuses it (`conflict`, `account_deactivated`, `invite_refused`, ...).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemBody),
}

/// The errors of an operation that takes a JSON body, beyond [`Problems`].
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum BodyProblems {
    /// The body is larger than 1 MiB (`too_large`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(ProblemBody),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(ProblemBody),
}

/// The DNS server failed or did not answer; nothing changed, try again.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum DnsUnavailable {
    /// `dns_unavailable`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemBody),
}

/// Admin tokens are JWTs sent as `Authorization: Bearer`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An admin token (audience `scimd:admin`): `scimd bootstrap`'s \
                         `admin_token`, or `scimd token issue --org|--site|--account`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every admin route, once: the router registers this table (`configure_with`) and the
/// document describes it, so a route cannot be served undocumented. `tests/api/openapi.rs`
/// checks each entry against the served document and against the router.
macro_rules! admin_routes {
    ($($method:ident $path:literal => $module:ident :: $handler:ident),+ $(,)?) => {
        pub static ROUTES: &[AdminRoute] = &[$(
            AdminRoute {
                method: actix_web::http::Method::$method,
                path: $path,
                register: |route| route.to(super::$module::$handler),
            }
        ),+];

        #[derive(OpenApi)]
        #[openapi(
            info(
                title = "scimd admin API",
                version = "1",
                description = "Site administration and the account lifecycle of scimd's \
                    account model. Every refusal is `application/problem+json` with a stable \
                    `code` and, where someone else must act, who. See docs/admin.md."
            ),
            servers((url = "/admin/v1")),
            paths($(super::$module::$handler),+),
            components(schemas(ProblemBody)),
            modifiers(&BearerToken),
            security(("bearer" = [])),
        )]
        struct AdminApi;
    };
}

/// One route: its method, its path under `/admin/v1`, and how its handler is attached.
pub struct AdminRoute {
    pub method: actix_web::http::Method,
    pub path: &'static str,
    pub register: fn(actix_web::Route) -> actix_web::Route,
}

admin_routes! {
    GET "/openapi.json" => openapi::document,

    GET "/me" => accounts::me,
    POST "/me/deactivate" => accounts::me_deactivate,
    POST "/me/reactivate" => accounts::me_reactivate,
    GET "/accounts/{id}" => accounts::get,
    DELETE "/accounts/{id}" => accounts::delete,
    POST "/accounts/{id}/deactivate" => accounts::deactivate,
    POST "/accounts/{id}/reactivate" => accounts::reactivate,
    GET "/accounts/{id}/audit" => accounts::audit,

    GET "/orgs/{org}/domains" => domains::list_domains,
    POST "/orgs/{org}/domains" => domains::verify_domain,
    POST "/orgs/{org}/domains/{domain}/check" => domains::check_domain,
    POST "/orgs/{org}/domains/{domain}/move" => domains::move_domain,
    GET "/orgs/{org}/accounts" => orgs::managed_accounts,
    GET "/orgs/{org}/sites" => orgs::sites,
    GET "/orgs/{org}/audit" => orgs::audit,
    GET "/orgs/{org}/provisioning-log" => provisioning_log::list,
    GET "/orgs/{org}/event-receivers" => receivers::list,
    POST "/orgs/{org}/event-receivers" => receivers::create,
    GET "/orgs/{org}/event-receivers/{receiver}" => receivers::get,
    DELETE "/orgs/{org}/event-receivers/{receiver}" => receivers::delete,
    GET "/orgs/{org}/event-receivers/{receiver}/events" => receivers::events,
    GET "/orgs/{org}/directories" => directories::list_directories,
    POST "/orgs/{org}/directories" => directories::create_directory,
    GET "/orgs/{org}/directories/{directory}/tokens" => directories::list_tokens,
    POST "/orgs/{org}/directories/{directory}/tokens" => directories::issue_token,
    DELETE "/orgs/{org}/directories/{directory}/tokens/{jti}" => directories::revoke_token,
    GET "/orgs/{org}/groups" => groups::list_groups,
    POST "/orgs/{org}/groups" => groups::create_group,
    GET "/orgs/{org}/groups/{group}" => groups::get_group,
    POST "/orgs/{org}/groups/{group}/members" => groups::add_members,
    DELETE "/orgs/{org}/groups/{group}/members/{account}" => groups::remove_member,

    GET "/sites/{site}/users" => sites::list_users,
    POST "/sites/{site}/invites" => sites::invite,
    GET "/sites/{site}/outbox" => sites::list_outbox,
    GET "/sites/{site}/users/{account}" => sites::get_user,
    POST "/sites/{site}/users/{account}/remove" => sites::remove,
    POST "/sites/{site}/users/{account}/suspend" => sites::suspend,
    POST "/sites/{site}/users/{account}/restore" => sites::restore,
    POST "/sites/{site}/users/{account}/resend-invite" => sites::resend,
    PUT "/sites/{site}/users/{account}/role" => sites::set_role,
    POST "/sites/{site}/users/{account}/products" => sites::grant,
    DELETE "/sites/{site}/users/{account}/products/{product}" => sites::revoke,
}

/// The document, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    SPEC.get_or_init(AdminApi::openapi)
}

/// The route table as (method, path under `/admin/v1`), for the tests.
pub fn route_list() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES.iter().map(|r| (r.method.as_str(), r.path))
}

#[utoipa::path(
    get,
    path = "/openapi.json", operation_id = "get_openapi_document",
    tag = "Document",
    security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1).", body = Object)),
)]
/// This OpenAPI document. No token needed.
pub(super) async fn document() -> Reply {
    super::json(StatusCode::OK, spec())
}
