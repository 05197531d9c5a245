use super::*;

const BASE: &str = "https://scim.example.com/scim/v2/";

/// The member of `parent`'s `list` (`attributes` or `subAttributes`) called `name`.
fn named<'a>(parent: &'a Value, list: &str, name: &str) -> &'a Value {
    parent[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn attr<'a>(schema: &'a Value, name: &str) -> &'a Value {
    named(schema, "attributes", name)
}

fn sub<'a>(attr: &'a Value, name: &str) -> &'a Value {
    named(attr, "subAttributes", name)
}

#[test]
fn schemas_is_a_list_response_of_schema_resources() {
    let doc = schemas_document(BASE);
    assert_eq!(doc["schemas"], json!([urn::LIST_RESPONSE]));
    assert_eq!(doc["totalResults"], 5);
    assert_eq!(doc["startIndex"], 1);
    let resources = doc["Resources"].as_array().unwrap();
    let ids: Vec<&str> = resources
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            urn::USER,
            urn::ENTERPRISE_USER,
            urn::GROUP,
            urn::ENTITLEMENT,
            urn::OKTA_ENTITLEMENT
        ]
    );
    for r in resources {
        assert_eq!(r["schemas"], json!([urn::SCHEMA]));
        assert_eq!(r["meta"]["resourceType"], "Schema");
        assert_eq!(
            r["meta"]["location"],
            format!(
                "https://scim.example.com/scim/v2/Schemas/{}",
                r["id"].as_str().unwrap()
            )
        );
    }
}

#[test]
fn user_schema_matches_rfc_7643_section_8_7_1() {
    let user = schema_document(urn::USER, BASE).unwrap();
    assert_eq!(user["name"], "User");
    let names: Vec<&str> = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // §8.7.1 order, without the common attributes.
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
        ]
    );
    let user_name = attr(&user, "userName");
    assert_eq!(user_name["type"], "string");
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["mutability"], "readWrite");
    assert_eq!(user_name["returned"], "default");
    assert_eq!(user_name["uniqueness"], "server");
    assert!(user_name.get("subAttributes").is_none());

    let password = attr(&user, "password");
    assert_eq!(password["mutability"], "writeOnly");
    assert_eq!(password["returned"], "never");

    let emails = attr(&user, "emails");
    assert_eq!(emails["type"], "complex");
    assert_eq!(emails["multiValued"], true);
    assert_eq!(
        sub(emails, "type")["canonicalValues"],
        json!(["work", "home", "other"])
    );
    assert_eq!(sub(emails, "primary")["type"], "boolean");
    assert!(sub(emails, "value").get("canonicalValues").is_none());

    let groups = attr(&user, "groups");
    assert_eq!(groups["mutability"], "readOnly");
    assert_eq!(sub(groups, "$ref")["type"], "reference");
    assert_eq!(
        sub(groups, "$ref")["referenceTypes"],
        json!(["User", "Group"])
    );
    assert_eq!(
        attr(&user, "profileUrl")["referenceTypes"],
        json!(["external"])
    );
    assert_eq!(
        sub(attr(&user, "x509Certificates"), "value")["type"],
        "binary"
    );
}

#[test]
fn enterprise_and_group_schemas() {
    let enterprise = schema_document(&urn::ENTERPRISE_USER.to_uppercase(), BASE).unwrap();
    let manager = attr(&enterprise, "manager");
    assert_eq!(manager["type"], "complex");
    assert_eq!(sub(manager, "displayName")["mutability"], "readOnly");
    assert_eq!(sub(manager, "$ref")["referenceTypes"], json!(["User"]));

    let group = schema_document(urn::GROUP, BASE).unwrap();
    assert_eq!(attr(&group, "displayName")["required"], true);
    let members = attr(&group, "members");
    assert_eq!(sub(members, "value")["mutability"], "immutable");
    assert_eq!(sub(members, "display")["mutability"], "readOnly");
    // Members are users only: nested groups are not supported, and not advertised.
    assert_eq!(sub(members, "type")["canonicalValues"], json!(["User"]));
    assert_eq!(sub(members, "$ref")["referenceTypes"], json!(["User"]));
    assert_eq!(group["attributes"].as_array().unwrap().len(), 2);

    assert!(schema_document("urn:example:unknown", BASE).is_none());
}

#[test]
fn resource_types_follow_rfc_7643_section_6() {
    let doc = resource_types_document("https://h/scim/v2");
    assert_eq!(doc["totalResults"], 4);
    // The product catalogue twice: under the draft's schema and under Okta's.
    assert_eq!(doc["Resources"][3]["endpoint"], "/Products");
    assert_eq!(doc["Resources"][3]["schema"], urn::OKTA_ENTITLEMENT);
    let user = &doc["Resources"][0];
    assert_eq!(
        *user,
        json!({
            "schemas": [urn::RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": urn::USER,
            "schemaExtensions": [{ "schema": urn::ENTERPRISE_USER, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": "https://h/scim/v2/ResourceTypes/User" },
        })
    );
    let group = resource_type_document("group", "https://h/scim/v2").unwrap();
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], urn::GROUP);
    assert!(group.get("schemaExtensions").is_none());
    assert!(resource_type_document("Device", BASE).is_none());
    let entitlement = resource_type_document("Entitlement", "https://h/scim/v2").unwrap();
    assert_eq!(entitlement["endpoint"], "/Entitlements");
    assert_eq!(entitlement["schema"], urn::ENTITLEMENT);
}

/// draft-ietf-scim-roles-entitlements-01 §3.3: the Entitlement schema, every attribute
/// readOnly; and a User's `entitlements` are readOnly (derived from groups).
#[test]
fn entitlements_are_advertised_read_only() {
    let schema = schema_document(urn::ENTITLEMENT, BASE).unwrap();
    let attrs = schema["attributes"].as_array().unwrap();
    let names: Vec<&str> = attrs.iter().map(|a| a["name"].as_str().unwrap()).collect();
    for name in ["value", "display", "displayName", "type", "supported"] {
        assert!(names.contains(&name), "{name}");
    }
    assert!(attrs.iter().all(|a| a["mutability"] == "readOnly"));
    assert_eq!(attr(&schema, "value")["required"], true);
    let user = schema_document(urn::USER, BASE).unwrap();
    assert_eq!(attr(&user, "entitlements")["mutability"], "readOnly");
    assert_eq!(attr(&user, "roles")["mutability"], "readWrite");
}
