//! The Enterprise User extension (RFC 7643 §4.3, characteristics from §8.7.1).
//!
//! §8.7.1 marks `manager.value` and `manager.$ref` `required: false` while their
//! descriptions say "REQUIRED"; the characteristics win, so a `manager` with only a
//! `$ref` is accepted.

use super::def::{AttributeDef, Mutability, SchemaDef};
use crate::scim::urn;

const MANAGER: &[AttributeDef] = &[
    AttributeDef::string(
        "value",
        "The id of the SCIM resource representing the User's manager. REQUIRED.",
    ),
    AttributeDef::string(
        "$ref",
        "The URI of the SCIM resource representing the User's manager. REQUIRED.",
    )
    .references(&["User"]),
    AttributeDef::string(
        "displayName",
        "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
    )
    .mutability(Mutability::ReadOnly),
];

pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: urn::ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        AttributeDef::string(
            "employeeNumber",
            "Numeric or alphanumeric identifier assigned to a person, typically based on order \
             of hire or association with an organization.",
        ),
        AttributeDef::string("costCenter", "Identifies the name of a cost center."),
        AttributeDef::string("organization", "Identifies the name of an organization."),
        AttributeDef::string("division", "Identifies the name of a division."),
        AttributeDef::string("department", "Identifies the name of a department."),
        AttributeDef::string(
            "manager",
            "The User's manager. A complex type that optionally allows service providers to \
             represent organizational hierarchy by referencing the 'id' attribute of another \
             User.",
        )
        .complex(MANAGER),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::def::AttrType;

    #[test]
    fn manager_is_single_valued_complex_with_read_only_display_name() {
        let manager = ENTERPRISE_USER.attribute("MANAGER").unwrap();
        assert!(!manager.multi_valued && manager.ty == AttrType::Complex);
        assert_eq!(manager.sub("$ref").unwrap().reference_types, ["User"]);
        assert_eq!(
            manager.sub("displayname").unwrap().mutability,
            Mutability::ReadOnly
        );
        assert_eq!(
            manager.sub("value").unwrap().mutability,
            Mutability::ReadWrite
        );
        assert!(ENTERPRISE_USER.attribute("id").is_none());
    }
}
