//! The Group resource (RFC 7643 §4.2, characteristics from §8.7.1).
//!
//! Departures from §8.7.1, the first two taken from the prose of §4.2:
//! - `displayName` is required: §4.2 says "REQUIRED", §8.7.1 says `required: false`. A
//!   group without a name cannot be shown to anyone, and `/Schemas` advertises what we
//!   enforce.
//! - `members` has a readOnly `display` sub-attribute (§4.2 lists it, §8.7.1 does not);
//!   the server fills it in, and whatever a client sends there is ignored.
//! - Members are users only: nested groups are not supported, so `$ref` references and the
//!   canonical `type` values name `User` alone, and `/Schemas` does not promise nesting.

use super::def::{AttributeDef, Mutability, ResourceTypeDef, SchemaDef};
use super::user::{EXTERNAL_ID, ID, META};
use crate::scim::urn;

const MEMBERS: &[AttributeDef] = &[
    AttributeDef::string("value", "Identifier of the member of this Group.")
        .mutability(Mutability::Immutable),
    AttributeDef::string(
        "$ref",
        "The URI corresponding to a SCIM resource that is a member of this Group.",
    )
    .references(&["User"])
    .mutability(Mutability::Immutable),
    AttributeDef::string(
        "display",
        "A human-readable name, primarily used for display purposes. READ-ONLY.",
    )
    .mutability(Mutability::ReadOnly),
    AttributeDef::string(
        "type",
        "A label indicating the type of resource: always 'User' (nested groups are not supported).",
    )
    .canonical(&["User"])
    .mutability(Mutability::Immutable),
];

pub static GROUP: SchemaDef = SchemaDef {
    id: urn::GROUP,
    name: "Group",
    description: "Group",
    attributes: &[
        ID,
        EXTERNAL_ID,
        META,
        AttributeDef::string(
            "displayName",
            "A human-readable name for the Group. REQUIRED.",
        )
        .required(),
        AttributeDef::string("members", "A list of members of the Group.")
            .complex(MEMBERS)
            .multi(),
    ],
};

pub static GROUP_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
    derived: &[],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_attr_path;
    use crate::scim::schema::def::Returned;
    use crate::scim::schema::resolve::resolve;

    #[test]
    fn members_and_common_attributes_resolve() {
        let target = |p: &str| {
            resolve(&GROUP_RESOURCE, &parse_attr_path(p).unwrap())
                .unwrap()
                .target()
        };
        assert!(target("members").multi_valued);
        assert_eq!(target("members.value").mutability, Mutability::Immutable);
        assert_eq!(target("members.display").mutability, Mutability::ReadOnly);
        assert_eq!(target("members.type").canonical_values, ["User"]);
        assert_eq!(target("ID").returned, Returned::Always);
        assert_eq!(target("meta.created").mutability, Mutability::ReadOnly);
        assert!(target("displayName").required);
        assert!(resolve(&GROUP_RESOURCE, &parse_attr_path("userName").unwrap()).is_none());
    }
}
