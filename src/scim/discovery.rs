//! Discovery documents (RFC 7644 §4), generated from what the server actually does.

use serde_json::{json, Value};

use super::schema::entitlement::PRODUCT_TYPE;
use super::urn;

/// What this server supports; the ServiceProviderConfig is rendered from it so the two
/// cannot drift apart.
#[derive(Clone, Debug)]
pub struct Capabilities {
    pub patch: bool,
    pub filter: bool,
    pub sort: bool,
    pub etag: bool,
    pub max_results: u32,
    /// How long a cursor stays valid (RFC 9865 `cursorTimeout`).
    pub cursor_timeout_secs: u64,
    /// Bulk (RFC 7644 §3.7): operations per request, and bytes per request.
    pub bulk_max_operations: usize,
    pub bulk_max_payload_bytes: usize,
    pub documentation_uri: Option<String>,
    /// The security events (RFC 9967) the server delivers to the receivers orgs configure.
    pub event_uris: Vec<&'static str>,
}

pub fn service_provider_config(caps: &Capabilities, location: &str) -> Value {
    json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "documentationUri": caps.documentation_uri,
        "patch": { "supported": caps.patch },
        "bulk": {
            "supported": true,
            "maxOperations": caps.bulk_max_operations,
            "maxPayloadSize": caps.bulk_max_payload_bytes
        },
        "filter": { "supported": caps.filter, "maxResults": caps.max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": caps.sort },
        // RFC 9865 §4. Index paging stays the default, so clients that know only
        // `startIndex` see no change; a page without `count` holds the maximum.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": caps.max_results,
            "maxPageSize": caps.max_results,
            "cursorTimeout": caps.cursor_timeout_secs
        },
        "etag": { "supported": caps.etag },
        // draft-ietf-scim-roles-entitlements-01 §3.1. Site roles are not served as /Roles
        // (docs/decisions.md, "Roles"); a User's entitlements are its product access.
        "RolesAndEntitlements": {
            "roles": { "supported": false },
            "entitlements": {
                "supported": true,
                "multipleEntitlementsSupported": true,
                "primarySupported": false,
                "typeSupported": true,
                "types": [PRODUCT_TYPE]
            }
        },
        // RFC 9967 §4. Events are pushed (RFC 8935) to receivers an org configures through
        // the admin API; requests are never answered asynchronously.
        "securityEvents": {
            "asyncRequest": "none",
            "eventUris": caps.event_uris,
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A directory token issued by `scimd bootstrap` or `scimd token issue`, sent as `Authorization: Bearer <token>`.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": location
        }
    })
}
