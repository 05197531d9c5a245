//! The Entitlement resource of draft-ietf-scim-roles-entitlements-01 (§3.3): one per product
//! of one of the directory's org's sites, read-only. scimd serves it at `/Entitlements`, and
//! the same catalogue under Okta's entitlement schema at `/Products`: Okta Identity
//! Governance discovers only resource types whose schema is
//! `urn:okta:scim:schemas:core:1.0:Entitlement` (id, displayName, type, description), while
//! other clients follow the draft. Both name each product by the same id, so a User's
//! `entitlements[].value` matches either.
//!
//! Choices where the draft is loose or where IdPs read it differently:
//! - `displayName` is served besides the draft's `display`, with the same text: Okta's
//!   entitlement discovery maps the display name from `displayName`.
//! - `id` and `value` are the same string (`{siteId}:{product}`): a User's
//!   `entitlements[].value` names the Entitlement whichever of the two a client maps.
//! - Every attribute is readOnly: the catalogue is the org's site products, configured by
//!   its admins, never by a directory.
//! - `contains`, `containedBy` and the assignment counters are left out (all OPTIONAL): a
//!   product contains no other, and grants are not limited per product.

use super::def::{AttrType, AttributeDef, Mutability, ResourceTypeDef, SchemaDef, Uniqueness};
use super::user::{ID, META};
use crate::scim::urn;

const fn read_only(name: &'static str, description: &'static str) -> AttributeDef {
    AttributeDef::string(name, description).mutability(Mutability::ReadOnly)
}

pub static ENTITLEMENT: SchemaDef = SchemaDef {
    id: urn::ENTITLEMENT,
    name: "Entitlement",
    description: "A product of one of the organization's sites; a User has it when one of its \
                  groups grants it",
    attributes: &[
        ID,
        META,
        read_only(
            "value",
            "The value of the entitlement, `{siteId}:{product}`; the same as its id.",
        )
        .required()
        .case_exact()
        .uniqueness(Uniqueness::Server),
        read_only(
            "display",
            "A human-readable name: the product and its site.",
        ),
        read_only(
            "displayName",
            "The same human-readable name as `display`, under the name Okta reads.",
        ),
        read_only(
            "type",
            "A label indicating the entitlement's function: always `Product`.",
        )
        .case_exact(),
        read_only(
            "supported",
            "Whether the entitlement is enabled and usable: true for every product a site offers.",
        )
        .of_type(AttrType::Boolean),
        read_only(
            "limitedAssignmentsPermitted",
            "Whether only a limited number of users may be assigned it: false, grants are not \
             limited per product.",
        )
        .of_type(AttrType::Boolean),
    ],
};

pub static ENTITLEMENT_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Entitlement",
    name: "Entitlement",
    endpoint: "/Entitlements",
    description: "The products of the organization's sites (read-only)",
    schema: &ENTITLEMENT,
    extensions: &[],
    derived: &[],
};

/// Okta's entitlement schema: what Okta maps as the entitlement's id, display name, type
/// and description.
pub static OKTA_ENTITLEMENT: SchemaDef = SchemaDef {
    id: urn::OKTA_ENTITLEMENT,
    name: "Entitlement",
    description: "A product of one of the organization's sites, as Okta's entitlement \
                  discovery reads it; a User has it when one of its groups grants it",
    attributes: &[
        ID,
        META,
        read_only(
            "displayName",
            "A human-readable name: the product and its site.",
        )
        .required(),
        read_only("type", "The entitlement category: always `Product`.")
            .required()
            .case_exact(),
        read_only(
            "description",
            "What the entitlement gives: access to the product on the site.",
        ),
    ],
};

pub static OKTA_ENTITLEMENT_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Product",
    name: "Product",
    endpoint: "/Products",
    description: "The products of the organization's sites (read-only), under Okta's \
                  entitlement schema",
    schema: &OKTA_ENTITLEMENT,
    extensions: &[],
    derived: &[],
};

/// The `type` of every entitlement scimd serves.
pub const PRODUCT_TYPE: &str = "Product";
