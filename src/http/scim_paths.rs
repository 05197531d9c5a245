//! SCIM paths as IdPs send them, rewritten to the one spelling the routes know before
//! routing, so every route (and its template in the request span) exists once:
//!
//! - endpoint names ignore case (`/scim/v2/users`, `/scim/v2/GROUPS`,
//!   `/scim/v2/serviceproviderconfig`, `/Users/.SEARCH`): RFC 7644 spells them one way, but
//!   clients are configured by hand and some lowercase them;
//! - a trailing slash is dropped (`/Users/?filter=…`, `/Users/{id}/`).
//!
//! Only the base (`/scim/v2`, any case) and the endpoint segments are touched: ids and schema
//! URNs after them are kept byte for byte, and the query string is left as it is (`+` and
//! `%20` both read as a space there already: query strings are form-decoded). The admin API
//! keeps its strict paths: it has no third-party clients to accommodate.

use actix_web::dev::ServiceRequest;
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::HttpMessage;

const BASE: &str = "/scim/v2";

/// The resource and discovery endpoints, as the routes spell them.
const ENDPOINTS: [&str; 9] = [
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    "Users",
    "Groups",
    "Entitlements",
    "Products",
    ".search",
    "Bulk",
];

/// The route template of a canonical SCIM path, or `None` for a path the SCIM routes do not
/// spell (left to the router, whose answer is then the same).
pub fn scim_template(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix(BASE)?.strip_prefix('/')?;
    let mut segments = rest.split('/');
    let endpoint = segments.next()?;
    let (plain, search, by_id) = TEMPLATES[ENDPOINTS.iter().position(|e| *e == endpoint)?];
    match (segments.next(), segments.next()) {
        (None, _) => Some(plain),
        (Some(".search"), None) if search.is_some() => search,
        (Some(id), None) if !id.is_empty() => by_id,
        _ => None,
    }
}

/// Per endpoint in [`ENDPOINTS`] order, as `scim_routes` registers them: its template, its
/// `.search` one, its `{id}` one (a test holds the two to each other).
type Templates = (&'static str, Option<&'static str>, Option<&'static str>);
const TEMPLATES: [Templates; ENDPOINTS.len()] = [
    ("/scim/v2/ServiceProviderConfig", None, None),
    (
        "/scim/v2/ResourceTypes",
        None,
        Some("/scim/v2/ResourceTypes/{id}"),
    ),
    ("/scim/v2/Schemas", None, Some("/scim/v2/Schemas/{id}")),
    (
        "/scim/v2/Users",
        Some("/scim/v2/Users/.search"),
        Some("/scim/v2/Users/{id}"),
    ),
    (
        "/scim/v2/Groups",
        Some("/scim/v2/Groups/.search"),
        Some("/scim/v2/Groups/{id}"),
    ),
    (
        "/scim/v2/Entitlements",
        Some("/scim/v2/Entitlements/.search"),
        Some("/scim/v2/Entitlements/{id}"),
    ),
    (
        "/scim/v2/Products",
        Some("/scim/v2/Products/.search"),
        Some("/scim/v2/Products/{id}"),
    ),
    ("/scim/v2/.search", None, None),
    ("/scim/v2/Bulk", None, None),
];

/// The canonical spelling of a SCIM path, or `None` when it already is canonical or is not
/// a SCIM path.
pub fn canonical_path(path: &str) -> Option<String> {
    let head = path.get(..BASE.len())?;
    if !head.eq_ignore_ascii_case(BASE) {
        return None;
    }
    let rest = path.get(BASE.len()..)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let trimmed = rest.trim_end_matches('/');
    let mut out = String::with_capacity(path.len());
    out.push_str(BASE);
    for (index, segment) in trimmed.split('/').skip(1).enumerate() {
        out.push('/');
        let endpoint = match index {
            0 => ENDPOINTS.iter().find(|e| e.eq_ignore_ascii_case(segment)),
            1 if segment.eq_ignore_ascii_case(".search") => Some(&".search"),
            _ => None,
        };
        out.push_str(endpoint.copied().unwrap_or(segment));
    }
    (out != path).then_some(out)
}

/// Rewrites the request's path in place; called before routing.
pub fn normalize(req: &mut ServiceRequest) {
    let Some(path) = canonical_path(req.path()) else {
        return;
    };
    let uri = req.uri();
    let target = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    // Both parse, being made of a valid path and query; if not, the request keeps its path.
    let Ok(path_and_query) = PathAndQuery::try_from(target) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn endpoint_names_ignore_case_and_trailing_slashes_go() {
        let cases = [
            ("/scim/v2/users", "/scim/v2/Users"),
            ("/scim/v2/GROUPS/", "/scim/v2/Groups"),
            (
                "/scim/v2/serviceproviderconfig",
                "/scim/v2/ServiceProviderConfig",
            ),
            ("/SCIM/V2/resourcetypes/User", "/scim/v2/ResourceTypes/User"),
            ("/scim/v2/users/.SEARCH", "/scim/v2/Users/.search"),
            ("/scim/v2/.Search", "/scim/v2/.search"),
            ("/scim/v2/bulk", "/scim/v2/Bulk"),
            ("/scim/v2/Users/abc-DEF/", "/scim/v2/Users/abc-DEF"),
            ("/scim/v2/Users//", "/scim/v2/Users"),
            ("/scim/v2/", "/scim/v2"),
        ];
        for (sent, canonical) in cases {
            assert_eq!(canonical_path(sent).as_deref(), Some(canonical), "{sent}");
        }
    }

    /// What `RouteTemplate::remember` records without the router is what the router says.
    #[actix_web::test]
    async fn templates_are_the_routers() {
        use actix_web::{test, App, HttpResponse};
        let app = test::init_service(
            App::new()
                .configure(crate::http::scim_routes::configure)
                .wrap_fn(|req, _| {
                    let answer = format!("{:?}", req.match_pattern());
                    std::future::ready(Ok(req.into_response(HttpResponse::Ok().body(answer))))
                }),
        )
        .await;
        let known = [
            "/scim/v2/Users",
            "/scim/v2/Users/.search",
            "/scim/v2/Users/0193a5b2-0000-7000-8000-000000000001",
            "/scim/v2/Groups",
            "/scim/v2/Groups/.search",
            "/scim/v2/Groups/g-1",
            "/scim/v2/Schemas",
            "/scim/v2/Schemas/.search",
            "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "/scim/v2/ResourceTypes",
            "/scim/v2/ResourceTypes/User",
            "/scim/v2/ServiceProviderConfig",
            "/scim/v2/.search",
            "/scim/v2/Bulk",
            "/scim/v2/Entitlements",
            "/scim/v2/Entitlements/.search",
            "/scim/v2/Entitlements/e-1",
            "/scim/v2/Products",
            "/scim/v2/Products/.search",
            "/scim/v2/Products/p-1",
        ];
        for path in known {
            let ours = super::scim_template(path);
            assert!(ours.is_some(), "{path} is found without the router");
            let req = test::TestRequest::with_uri(path).to_request();
            let routed = test::read_body(test::call_service(&app, req).await).await;
            assert_eq!(format!("{ours:?}").as_bytes(), &routed[..], "{path}");
        }
        for path in [
            "/scim/v2",
            "/scim/v2/Users/a/b",
            "/scim/v2/Users/",
            "/scim/v2/Bulk/x",
            "/scim/v2/Nope",
            "/admin/v1/orgs",
        ] {
            assert_eq!(
                super::scim_template(path),
                None,
                "{path} is left to the router"
            );
        }
    }

    #[test]
    fn ids_urns_and_other_paths_are_kept() {
        for path in [
            "/scim/v2/Users",
            "/scim/v2/Users/ABC",
            "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "/scim/v2/Users/users",
            "/scim/v2",
            "/scim/v2x/users",
            "/admin/v1/orgs/",
            "/healthz",
            "/",
        ] {
            assert_eq!(canonical_path(path), None, "{path}");
        }
        assert_eq!(
            canonical_path("/scim/v2/schemas/urn:Ietf:x/").as_deref(),
            Some("/scim/v2/Schemas/urn:Ietf:x")
        );
    }
}

/// The route template a request matches (`/scim/v2/Users/{id}`), or `unmatched`: looked up
/// once, before routing, for the metrics and the request span. Each lookup walks the routes
/// and runs their patterns, a few microseconds that every request would pay twice more.
#[derive(Clone, Debug)]
pub struct RouteTemplate(pub String);

impl RouteTemplate {
    /// Called after [`normalize`]: a SCIM path's template comes from its segments, without
    /// the routes' patterns (a regex per `{id}` route tried); any other path asks the router.
    pub fn remember(req: &ServiceRequest) {
        let template = scim_template(req.path())
            .map(str::to_owned)
            .or_else(|| req.match_pattern())
            .unwrap_or_else(|| "unmatched".to_owned());
        req.extensions_mut().insert(RouteTemplate(template));
    }

    /// The template [`RouteTemplate::remember`] found; looked up again if it did not run.
    pub fn of(req: &ServiceRequest) -> String {
        match req.extensions().get::<RouteTemplate>() {
            Some(RouteTemplate(template)) => template.clone(),
            None => req
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
        }
    }
}
