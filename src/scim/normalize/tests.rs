use serde_json::json;

use super::fixtures::*;
use super::*;
use crate::scim::filter::parse_attr_path;
use crate::scim::schema::def::{AttrType, Uniqueness};
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::resolve::resolve;
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::testing::assert_400;
use crate::scim::urn;

const ENTERPRISE: &str = urn::ENTERPRISE_USER;

fn user(body: Value) -> Value {
    Value::Object(normalize_resource(&USER_RESOURCE, &body).unwrap())
}

fn user_error(body: Value) -> ScimError {
    normalize_resource(&USER_RESOURCE, &body).unwrap_err()
}

fn assert_invalid(err: &ScimError, mentions: &[&str]) {
    assert_400(err, ScimType::InvalidValue, mentions, &"the body");
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    value
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
}

#[test]
fn rfc_examples_normalize_to_themselves_without_read_only_attributes() {
    for example in [rfc_full_user(), rfc_enterprise_user()] {
        let mut expected = example.clone();
        for p in ["/id", "/meta", "/groups"] {
            remove(&mut expected, p);
        }
        if expected.get(ENTERPRISE).is_some() {
            remove(&mut expected, &format!("/{ENTERPRISE}/manager/displayName"));
        }
        assert_eq!(user(example), expected);
        check_required(&USER_RESOURCE, expected.as_object().unwrap()).unwrap();
    }

    let mut expected = rfc_group();
    for p in ["/id", "/meta", "/members/0/display", "/members/1/display"] {
        remove(&mut expected, p);
    }
    let group = normalize_resource(&GROUP_RESOURCE, &rfc_group()).unwrap();
    assert_eq!(Value::Object(group.clone()), expected);
    check_required(&GROUP_RESOURCE, &group).unwrap();
}

#[test]
fn entra_id_post_is_coerced_and_nested() {
    assert_eq!(
        user(entra_post_user()),
        json!({
            "schemas": [urn::USER, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@contoso.com",
            "active": true,
            "displayName": "Test User",
            "emails": [{ "primary": true, "type": "work", "value": "test.user@contoso.com" }],
            "name": { "formatted": "Test User", "familyName": "User", "givenName": "Test" },
            ENTERPRISE: {
                "employeeNumber": "1",
                "department": "Sales",
                "manager": { "value": "mgr-id" }
            }
        })
    );
}

#[test]
fn okta_post_drops_unknown_schemas_and_attributes_and_extra_primaries() {
    let out = user(okta_post_user());
    assert_eq!(out["schemas"], json!([urn::USER]));
    assert_eq!(
        out["password"], "1mz050nq",
        "kept for the service to handle"
    );
    assert_eq!(out["emails"][0]["primary"], true);
    assert_eq!(out["emails"][1]["primary"], false);
    for dropped in [
        "favoriteColor",
        "groups",
        "urn:okta:custom:user:1.0",
        "urn:okta:custom:user:1.0:nickname",
    ] {
        assert!(out.get(dropped).is_none(), "{dropped}");
    }
    assert_eq!(
        out.as_object().unwrap().len(),
        9,
        "schemas and the 8 core attributes sent"
    );
}

#[test]
fn names_match_ignoring_case_and_are_rewritten() {
    let out = user(json!({
        "USERNAME": "bjensen",
        "Emails": [{ "Value": "b@example.com", "TYPE": "work", "Display": "B" }],
        "NAME": { "givenname": "Barbara" },
        "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user": { "EmployeeNumber": "7" },
        "Urn:Ietf:Params:Scim:Schemas:Extension:Enterprise:2.0:User:COSTCENTER": "4130"
    }));
    assert_eq!(
        out,
        json!({
            "schemas": [urn::USER, ENTERPRISE],
            "userName": "bjensen",
            "emails": [{ "value": "b@example.com", "type": "work", "display": "B" }],
            "name": { "givenName": "Barbara" },
            ENTERPRISE: { "employeeNumber": "7", "costCenter": "4130" }
        })
    );
}

#[test]
fn flattened_and_dotted_keys_override_nested_ones() {
    let out = user(json!({
        "userName": "b",
        "name": { "givenName": "Barbara", "familyName": "Jensen" },
        "name.givenName": "Babs",
        "emails.value": "ignored@example.com",
        ENTERPRISE: { "employeeNumber": "1", "manager": { "value": "m1" } },
        format!("{ENTERPRISE}:employeeNumber"): "2",
        format!("{ENTERPRISE}:manager.$ref"): "../Users/m1",
        format!("{ENTERPRISE}:manager.displayName"): "read only",
        "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Babs Jensen"
    }));
    assert_eq!(
        out["name"],
        json!({ "givenName": "Babs", "familyName": "Jensen" })
    );
    assert!(out.get("emails").is_none());
    assert_eq!(out["displayName"], "Babs Jensen");
    assert_eq!(
        out[ENTERPRISE],
        json!({ "employeeNumber": "2", "manager": { "value": "m1", "$ref": "../Users/m1" } })
    );
}

#[test]
fn core_attributes_nested_under_the_core_urn_are_accepted() {
    let out = user(json!({ urn::USER: { "userName": "b", "active": "false" } }));
    assert_eq!(
        out,
        json!({ "schemas": [urn::USER], "userName": "b", "active": false })
    );
}

#[test]
fn empty_values_mean_no_value() {
    let out = user(json!({
        "userName": "b",
        "displayName": "",
        "nickName": null,
        "active": "",
        "emails": [],
        "phoneNumbers": [{ "value": "", "type": null }, { "value": "555" }],
        "name": { "givenName": "" },
        ENTERPRISE: { "manager": "" }
    }));
    assert_eq!(
        out,
        json!({ "schemas": [urn::USER], "userName": "b", "phoneNumbers": [{ "value": "555" }] })
    );
}

#[test]
fn read_only_values_from_clients_are_ignored() {
    let out = user(json!({
        "id": "client-chosen",
        "userName": "b",
        "meta": { "created": "2010-01-23T04:56:22Z" },
        "groups": [{ "value": "g1" }],
        ENTERPRISE: { "manager": { "displayName": "Boss" } }
    }));
    assert_eq!(out, json!({ "schemas": [urn::USER], "userName": "b" }));
}

#[test]
fn tolerated_shapes_for_multi_valued_and_complex_attributes() {
    let out = user(json!({
        "userName": "b",
        "emails": { "value": "b@example.com", "primary": "TRUE" },
        "roles": ["admin", "auditor"]
    }));
    assert_eq!(
        out["emails"],
        json!([{ "value": "b@example.com", "primary": true }])
    );
    assert_eq!(
        out["roles"],
        json!([{ "value": "admin" }, { "value": "auditor" }])
    );

    // A list of one manager is that manager; an empty list none; two are refused.
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let out = user(json!({
        "userName": "b",
        ext: { "manager": [{ "$ref": null, "value": "m-1" }], "department": "Tours" }
    }));
    assert_eq!(out[ext]["manager"], json!({ "value": "m-1" }));
    let out = user(json!({ "userName": "b", ext: { "manager": [], "department": "Tours" } }));
    assert_eq!(out[ext], json!({ "department": "Tours" }));
    assert_invalid(
        &user_error(
            json!({ "userName": "b", ext: { "manager": [{ "value": "a" }, { "value": "b" }] } }),
        ),
        &["manager` must be a single value"],
    );

    let group = normalize_resource(
        &GROUP_RESOURCE,
        &json!({ "displayName": "G", "members": ["u1", { "value": "u2", "type": "User" }, { "display": "only" }] }),
    )
    .unwrap();
    assert_eq!(
        group["members"],
        json!([{ "value": "u1" }, { "value": "u2", "type": "User" }])
    );
}

#[test]
fn binary_is_base64_and_loses_line_breaks() {
    let out = user(json!({ "userName": "b", "x509Certificates": [{ "value": "TUlJ\nRFE" }] }));
    assert_eq!(out["x509Certificates"], json!([{ "value": "TUlJRFE" }]));
    let err =
        user_error(json!({ "userName": "b", "x509Certificates": [{ "value": "not base64!" }] }));
    assert_invalid(&err, &["`x509Certificates[0].value`", "base64"]);
}

#[test]
fn wrong_types_are_invalid_values_naming_the_attribute() {
    let cases = [
        (
            json!({ "active": "yes" }),
            vec!["`active`", "boolean", "other than \"true\""],
        ),
        (
            json!({ "userName": 42 }),
            vec!["`userName` must be a string; got a number"],
        ),
        (
            json!({ "emails": [{ "value": 5 }] }),
            vec!["`emails[0].value`", "a string"],
        ),
        (
            json!({ "name": "Barbara" }),
            vec!["`name` must be a JSON object; got a string"],
        ),
        (
            json!({ "displayName": ["a"] }),
            vec!["`displayName` must be a single value"],
        ),
        (json!({ "emails": [["a"]] }), vec!["`emails[0]`"]),
        (json!({ ENTERPRISE: "x" }), vec![ENTERPRISE, "JSON object"]),
        (
            json!({ ENTERPRISE: { "manager": { "value": true } } }),
            vec!["`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`"],
        ),
        (
            json!({ format!("{ENTERPRISE}:costCenter"): {} }),
            vec!["User:costCenter` must be a string; got an object"],
        ),
    ];
    for (body, mentions) in cases {
        assert_invalid(&user_error(body), &mentions);
    }
}

#[test]
fn errors_never_echo_values() {
    let err = user_error(json!({ "userName": "b", "password": ["hunter2"] }));
    assert_invalid(&err, &["`password`"]);
    assert!(!err.detail.contains("hunter2"));
}

#[test]
fn a_body_that_is_not_an_object_is_invalid_syntax() {
    let err = user_error(json!(["userName"]));
    assert_eq!(
        (err.status, err.scim_type),
        (400, Some(ScimType::InvalidSyntax))
    );
}

#[test]
fn required_attributes_are_checked_separately() {
    let missing = user(json!({ "userName": "", "displayName": "B" }));
    let err = check_required(&USER_RESOURCE, missing.as_object().unwrap()).unwrap_err();
    assert_invalid(&err, &["`userName` is required"]);

    let group = normalize_resource(&GROUP_RESOURCE, &json!({ "members": [] })).unwrap();
    assert_invalid(
        &check_required(&GROUP_RESOURCE, &group).unwrap_err(),
        &["`displayName`"],
    );
}

fn resolved(rt: &'static ResourceTypeDef, path: &str) -> ResolvedAttr {
    resolve(rt, &parse_attr_path(path).unwrap()).unwrap()
}

#[test]
fn single_values_for_patch() {
    let value =
        |path: &str, v: Value| normalize_value(&USER_RESOURCE, &resolved(&USER_RESOURCE, path), &v);
    assert_eq!(
        value(&format!("{ENTERPRISE}:manager"), json!("m1")).unwrap(),
        json!({ "value": "m1" })
    );
    assert_eq!(value("active", json!("False")).unwrap(), json!(false));
    assert_eq!(value("title", json!("")).unwrap(), Value::Null);
    assert_eq!(
        value("emails", json!({ "Value": "a@b.c", "primary": true })).unwrap(),
        json!([{ "value": "a@b.c", "primary": true }])
    );
    assert_eq!(value("name.givenName", json!("B")).unwrap(), json!("B"));
    assert_eq!(
        value("meta.created", json!("2008-01-23T04:56:22Z")).unwrap(),
        json!("2008-01-23T04:56:22Z")
    );
    assert_invalid(
        &value("meta.created", json!("2008-01-23")).unwrap_err(),
        &["`meta.created`", "RFC 3339"],
    );
    assert_invalid(
        &value("employeeNumber", json!(7)).unwrap_err(),
        &[&format!("`{ENTERPRISE}:employeeNumber`")],
    );

    let members = normalize_value(
        &GROUP_RESOURCE,
        &resolved(&GROUP_RESOURCE, "members"),
        &json!([{ "value": "u1", "display": "x" }]),
    );
    assert_eq!(members.unwrap(), json!([{ "value": "u1" }]));
}

#[test]
fn single_primary_keeps_the_first() {
    let mut values = vec![
        json!({ "primary": false }),
        json!({ "primary": true }),
        json!({}),
        json!({ "primary": true }),
    ];
    enforce_single_primary(&mut values);
    assert_eq!(
        values,
        [
            json!({ "primary": false }),
            json!({ "primary": true }),
            json!({}),
            json!({ "primary": false })
        ]
    );
}

static NUMBERS: SchemaDef = SchemaDef {
    id: "urn:example:numbers",
    name: "Numbers",
    description: "integer and decimal attributes, which the RFC resources lack",
    attributes: &[
        AttributeDef::string("count", "").of_type(AttrType::Integer),
        AttributeDef::string("ratio", "")
            .of_type(AttrType::Decimal)
            .uniqueness(Uniqueness::None),
    ],
};

static NUMBERS_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "Numbers",
    name: "Numbers",
    endpoint: "/Numbers",
    description: "",
    schema: &NUMBERS,
    extensions: &[],
    derived: &[],
};

#[test]
fn numbers_are_coerced_from_strings_and_whole_floats() {
    let ok = |body: Value| Value::Object(normalize_resource(&NUMBERS_RESOURCE, &body).unwrap());
    let err = |body: Value| normalize_resource(&NUMBERS_RESOURCE, &body).unwrap_err();
    assert_eq!(
        ok(json!({ "count": "12", "ratio": "1.5" })),
        json!({ "schemas": ["urn:example:numbers"], "count": 12, "ratio": 1.5 })
    );
    assert_eq!(ok(json!({ "count": 5.0, "ratio": 2 }))["count"], 5);
    assert_invalid(
        &err(json!({ "count": 1.5 })),
        &["`count` must be an integer; got a number"],
    );
    assert_invalid(&err(json!({ "count": "1.5" })), &["not an integer"]);
    assert_invalid(
        &err(json!({ "ratio": "NaN" })),
        &["`ratio` must be a decimal number"],
    );
    assert_invalid(&err(json!({ "count": 1e300 })), &["`count`"]);
}

#[test]
fn every_string_attribute_has_a_limit_named_in_the_refusal() {
    let at = |n: usize| "x".repeat(n);
    let cases = [
        (
            json!({"userName": at(321)}),
            "userName is longer than 320 characters",
        ),
        (
            json!({"name": {"givenName": at(257)}}),
            "name.givenName is longer than 256 characters",
        ),
        (
            json!({"emails": [{"value": format!("{}@a.example", at(250))}]}),
            "emails[0].value is longer than 254 characters",
        ),
        (
            json!({"externalId": at(257)}),
            "externalId is longer than 256",
        ),
        (
            json!({"photos": [{"value": at(2049)}]}),
            "photos[0].value is longer than 2048",
        ),
        (
            json!({ENTERPRISE: {"department": at(257)}}),
            "department is longer than 256",
        ),
    ];
    for (body, detail) in cases {
        assert_invalid(&user_error(body), &[detail]);
    }
    // Characters, not bytes: 256 two-byte letters fit.
    let fits = user(json!({"displayName": "é".repeat(256), "name": {"formatted": at(1024)}}));
    assert_eq!(fits["displayName"].as_str().unwrap().chars().count(), 256);
    let group = normalize_resource(&GROUP_RESOURCE, &json!({"displayName": at(257)}));
    assert_invalid(&group.unwrap_err(), &["displayName is longer than 256"]);
}

#[test]
fn emails_hold_email_addresses() {
    for good in [
        "ann@acme.example",
        "Ann.Lee+tag@Sub.Acme.Example.",
        "bücher@bücher.example",
    ] {
        assert!(value::is_email_address(good), "{good}");
        user(json!({"emails": [{"value": good}]}));
    }
    for bad in [
        "ann",
        "@acme.example",
        "ann@",
        "ann@localhost",
        "a@b@acme.example",
        "ann lee@acme.example",
        "ann@acme..example",
        "ann@-acme.example",
        "ann@acme_x.example",
        "\"ann\"@acme.example",
    ] {
        assert!(!value::is_email_address(bad), "{bad}");
        let err = user_error(json!({"emails": [{"value": "ok@a.example"}, {"value": bad}]}));
        assert_invalid(&err, &["emails[1].value is not an email address"]);
        assert!(!err.detail.contains(bad), "the value is not echoed");
    }
}
