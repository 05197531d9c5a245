//! The SCIM 2.0 protocol (RFC 7643/7644): schemas, errors, discovery documents, and the
//! filter and PATCH path grammars. Nothing here knows about SQL or HTTP frameworks.

pub mod bulk;
pub mod cursor;
pub mod discovery;
pub mod error;
pub mod events;
pub mod filter;
pub mod list;
pub mod memory_list;
pub mod normalize;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;
#[cfg(test)]
mod testing;

pub use error::{ScimError, ScimType};

/// Media type of every SCIM response (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";

pub mod urn {
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
    pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    pub const SERVICE_PROVIDER_CONFIG: &str =
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /// draft-ietf-scim-roles-entitlements-01 §3.3.
    pub const ENTITLEMENT: &str = "urn:ietf:params:scim:schemas:core:2.0:Entitlement";
    /// The schema Okta's entitlement discovery (Okta Identity Governance) looks for in
    /// `/ResourceTypes`; a resource type under any other schema is not offered there.
    pub const OKTA_ENTITLEMENT: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";
}
