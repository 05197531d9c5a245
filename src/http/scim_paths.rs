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
const ENDPOINTS: &[&str] = &[
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
    pub fn remember(req: &ServiceRequest) {
        let template = req
            .match_pattern()
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
