use super::*;
use crate::scim::filter::parse_attr_path;
use crate::scim::schema::resolve::resolve;

fn resolved(path: &str) -> &'static AttributeDef {
    let path = parse_attr_path(path).unwrap();
    resolve(&USER_RESOURCE, &path).unwrap().target()
}

#[test]
fn characteristics_follow_rfc_7643_section_8_7_1() {
    let user_name = resolved("userName");
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    assert_eq!(user_name.returned, Returned::Default);

    let id = resolved("id");
    assert!(id.case_exact);
    assert_eq!(
        (id.mutability, id.returned),
        (Mutability::ReadOnly, Returned::Always)
    );
    assert!(resolved("externalId").case_exact);

    let password = resolved("password");
    assert_eq!(
        (password.mutability, password.returned),
        (Mutability::WriteOnly, Returned::Never)
    );

    assert_eq!(resolved("groups").mutability, Mutability::ReadOnly);
    assert_eq!(resolved("groups.$ref").reference_types, ["User", "Group"]);
    assert_eq!(resolved("meta.lastModified").ty, AttrType::DateTime);
    assert_eq!(resolved("x509Certificates.value").ty, AttrType::Binary);
    assert_eq!(resolved("photos.value").ty, AttrType::Reference);
    assert_eq!(resolved("phoneNumbers.type").canonical_values.len(), 6);
}

#[test]
fn plural_attributes_are_multi_valued_complex_with_primary() {
    for name in [
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "addresses",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        let attr = resolved(name);
        assert!(attr.multi_valued && attr.ty == AttrType::Complex, "{name}");
        assert_eq!(
            attr.sub("primary").map(|p| p.ty),
            Some(AttrType::Boolean),
            "{name}"
        );
    }
}

#[test]
fn enterprise_attributes_resolve_through_the_user_resource_type() {
    let manager =
        resolved("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName");
    assert_eq!(manager.mutability, Mutability::ReadOnly);
}
