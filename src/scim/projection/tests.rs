use serde_json::json;

use super::*;
use crate::scim::filter::parse_attr_path;
use crate::scim::normalize::fixtures::{rfc_enterprise_user, rfc_full_user, rfc_group, BJENSEN};
use crate::scim::path::parse_attribute_list;
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::urn;

const ENTERPRISE: &str = urn::ENTERPRISE_USER;

fn list(s: &str) -> Vec<AttrPath> {
    parse_attribute_list(s).unwrap()
}

fn user(attributes: &str, excluded: &str) -> Value {
    let resource = rfc_enterprise_user();
    let out = project(
        &USER_RESOURCE,
        resource.as_object().unwrap().clone(),
        &list(attributes),
        &list(excluded),
    );
    Value::Object(out)
}

#[test]
fn by_default_everything_but_never_returned_attributes() {
    for example in [rfc_full_user(), rfc_enterprise_user()] {
        let out = project(
            &USER_RESOURCE,
            example.as_object().unwrap().clone(),
            &[],
            &[],
        );
        let mut expected = example.clone();
        expected.as_object_mut().unwrap().remove("password");
        assert_eq!(Value::Object(out), expected);
    }
    let group = rfc_group();
    assert_eq!(
        Value::Object(project(
            &GROUP_RESOURCE,
            group.as_object().unwrap().clone(),
            &[],
            &[]
        )),
        group
    );
}

#[test]
fn attributes_replace_the_default_set_but_keep_always_ones() {
    // RFC 7644 §3.9, `?attributes=userName`.
    assert_eq!(
        user("userName", ""),
        json!({ "schemas": [urn::USER], "id": BJENSEN, "userName": "bjensen@example.com" })
    );
    assert_eq!(
        user("USERNAME, password", ""),
        user("userName", ""),
        "case-insensitive; never is never"
    );
}

#[test]
fn attributes_select_sub_attributes() {
    assert_eq!(
        user("name.givenName,emails.value,meta.lastModified", ""),
        json!({
            "schemas": [urn::USER],
            "id": BJENSEN,
            "name": { "givenName": "Barbara" },
            "emails": [{ "value": "bjensen@example.com" }, { "value": "babs@jensen.org" }],
            "meta": { "lastModified": "2011-05-13T04:42:34Z" }
        })
    );
    let out = user("name", "");
    assert_eq!(out["name"], rfc_enterprise_user()["name"]);
}

#[test]
fn urn_qualified_attributes_keep_only_that_key_of_the_extension() {
    assert_eq!(
        user(
            &format!("{ENTERPRISE}:employeeNumber,{ENTERPRISE}:manager.value"),
            ""
        ),
        json!({
            "schemas": [urn::USER, ENTERPRISE],
            "id": BJENSEN,
            ENTERPRISE: {
                "employeeNumber": "701984",
                "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d" }
            }
        })
    );
    let whole = user(ENTERPRISE, "");
    assert_eq!(whole[ENTERPRISE], rfc_enterprise_user()[ENTERPRISE]);
    assert!(whole.get("userName").is_none());
    assert_eq!(
        user(&format!("{}:userName", urn::USER), ""),
        user("userName", "")
    );
    assert_eq!(
        user("employeeNumber", "")[ENTERPRISE],
        json!({ "employeeNumber": "701984" })
    );
}

#[test]
fn excluded_attributes_remove_default_ones_but_not_always_ones() {
    let out = user("", "emails, name.familyName, id, meta, groups.display");
    assert_eq!(out["id"], BJENSEN);
    assert!(out.get("emails").is_none() && out.get("meta").is_none());
    assert!(out["name"].get("familyName").is_none());
    assert_eq!(out["name"]["givenName"], "Barbara");
    assert!(out["groups"][0].get("display").is_none());
    assert_eq!(
        out["groups"][0]["value"],
        "e9e30dba-f08f-4109-8486-d5c6a331660a"
    );
    assert!(out.get("password").is_none());
}

#[test]
fn an_extension_projected_away_leaves_schemas() {
    let out = user("", ENTERPRISE);
    assert!(out.get(ENTERPRISE).is_none());
    assert_eq!(out["schemas"], json!([urn::USER]));
    let all = [
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ];
    let excluded: Vec<String> = all.iter().map(|a| format!("{ENTERPRISE}:{a}")).collect();
    assert_eq!(user("", &excluded.join(",")), out);
}

#[test]
fn attributes_win_over_excluded_attributes() {
    assert_eq!(user("userName", "userName"), user("userName", ""));
}

#[test]
fn unknown_names_are_ignored() {
    assert_eq!(
        user("nosuch,urn:example:x:y", ""),
        json!({ "schemas": [urn::USER], "id": BJENSEN })
    );
    assert_eq!(user("", "nosuch"), user("", ""));
}

#[test]
fn wants_attribute_lets_storage_skip_members() {
    let path = |s: &str| parse_attr_path(s).unwrap();
    let wants =
        |a: &str, e: &str, p: &str| wants_attribute(&GROUP_RESOURCE, &list(a), &list(e), &path(p));
    assert!(wants("", "", "members"));
    assert!(!wants("", "members", "members"));
    assert!(wants("", "members.display", "members"));
    assert!(!wants("displayName", "", "members"));
    assert!(wants("members.value", "", "members"));
    assert!(!wants("members.value", "", "members.display"));
    assert!(wants("displayName", "", "id"));
    assert!(!wants("", "", "nosuch"));
    assert!(!wantsu("", "", "password"));
    assert!(wantsu("", "", ENTERPRISE));
    assert!(!wantsu("", ENTERPRISE, ENTERPRISE));
}

fn wantsu(a: &str, e: &str, p: &str) -> bool {
    wants_attribute(
        &USER_RESOURCE,
        &list(a),
        &list(e),
        &parse_attr_path(p).unwrap(),
    )
}

static REQUESTED: SchemaDef = SchemaDef {
    id: "urn:example:requested",
    name: "Requested",
    description: "",
    attributes: &[
        AttributeDef::string("plain", ""),
        AttributeDef::string("secret", "").returned(Returned::Request),
        AttributeDef::string("box", "").complex(&[
            AttributeDef::string("open", ""),
            AttributeDef::string("hidden", "").returned(Returned::Request),
        ]),
    ],
};

static REQUESTED_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Requested",
    name: "Requested",
    endpoint: "/Requested",
    description: "",
    schema: &REQUESTED,
    extensions: &[],
    derived: &[],
};

#[test]
fn request_attributes_only_when_named() {
    let resource = json!({ "plain": "p", "secret": "s", "box": { "open": "o", "hidden": "h" } });
    let run = |a: &str, e: &str| {
        Value::Object(project(
            &REQUESTED_RESOURCE,
            resource.as_object().unwrap().clone(),
            &list(a),
            &list(e),
        ))
    };
    let schemas = json!(["urn:example:requested"]);
    // (attributes, excludedAttributes, what is returned)
    for (attributes, excluded, mut expected) in [
        ("", "", json!({ "plain": "p", "box": { "open": "o" } })),
        ("", "plain", json!({ "box": { "open": "o" } })),
        (
            "secret,box",
            "",
            json!({ "secret": "s", "box": { "open": "o" } }),
        ),
        ("box.hidden", "", json!({ "box": { "hidden": "h" } })),
    ] {
        expected["schemas"] = schemas.clone();
        assert_eq!(
            run(attributes, excluded),
            expected,
            "{attributes} / {excluded}"
        );
    }
}
