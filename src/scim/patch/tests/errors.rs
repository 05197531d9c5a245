//! Refusals: the right `scimType`, and a detail naming the operation and the path.

use serde_json::{json, Value};

use super::*;

#[test]
fn unknown_attributes_are_invalid_path() {
    refused(
        &USER_RT,
        &user(),
        json!([
            { "op": "add", "path": "title", "value": "ok" },
            { "op": "add", "path": "favouriteColour", "value": "blue" }
        ]),
        ScimType::InvalidPath,
        &["Operations[1]", "`favouriteColour`", "no attribute"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([
            { "op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge", "value": "x" }
        ]),
        ScimType::InvalidPath,
        &["Operations[0]", "no attribute `badge`", ENTERPRISE],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "value": { "nickname": "ok", "shoeSize": 9 } }]),
        ScimType::InvalidPath,
        &["`shoeSize`"],
    );
    refused(
        &GROUP_RT,
        &group(),
        json!([{ "op": "add", "path": "userName", "value": "x" }]),
        ScimType::InvalidPath,
        &["no attribute `userName` in Group"],
    );
}

#[test]
fn sub_attributes_must_exist_on_complex_attributes() {
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "active.value", "value": true }]),
        ScimType::InvalidPath,
        &["`active` is not complex"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "name.nick", "value": "x" }]),
        ScimType::InvalidPath,
        &["no sub-attribute `nick` in `name`"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "emails[type eq \"work\"].label", "value": "x" }]),
        ScimType::InvalidPath,
        &["no sub-attribute `label` in `emails`"],
    );
}

#[test]
fn value_filters_need_multi_valued_attributes_and_known_sub_attributes() {
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "remove", "path": "emails[kind eq \"work\"]" }]),
        ScimType::InvalidPath,
        &["no sub-attribute `kind` in `emails`"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "name[givenName eq \"B\"].familyName", "value": "x" }]),
        ScimType::InvalidPath,
        &["`name` is single-valued"],
    );
}

#[test]
fn unparseable_paths_are_invalid_path_with_the_parser_message() {
    let error = refused(
        &USER_RT,
        &user(),
        json!([
            { "op": "add", "path": "title", "value": "ok" },
            { "op": "replace", "path": "emails[type eq]", "value": "x" }
        ]),
        ScimType::InvalidPath,
        &["Operations[1]", "path `emails[type eq]`"],
    );
    let parser = crate::scim::path::parse_patch_path("emails[type eq]")
        .unwrap_err()
        .to_string();
    assert!(error.detail.ends_with(&parser), "{}", error.detail);
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "add", "value": { "name..x": "y" } }]),
        ScimType::InvalidPath,
        &["`value` member `name..x`"],
    );
}

/// A derived attribute is patched like a writable one: whether the outcome may stand is the
/// service's decision (a User's `entitlements` may only stay as they are).
#[test]
fn derived_attributes_are_patched_for_the_caller_to_judge() {
    let mut resource = user();
    let ops = parse_patch_request(&json!({
        "schemas": [urn::PATCH_OP],
        "Operations": [
            { "op": "add", "path": "entitlements", "value": [{ "value": "s:jira" }] },
            { "op": "add", "value": { "entitlements": [{ "value": "s:wiki" }] } },
        ]
    }))
    .unwrap();
    apply(&USER_RT, &mut resource, &ops).unwrap();
    let values: Vec<&str> = resource["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["value"].as_str())
        .collect();
    assert!(values.ends_with(&["s:jira", "s:wiki"]), "{values:?}");
    let normalized =
        crate::scim::normalize::normalize_resource(&USER_RT, &Value::Object(resource)).unwrap();
    assert!(normalized.contains_key("entitlements"));
}

#[test]
fn read_only_paths_are_mutability_errors() {
    for path in [
        "id",
        "meta",
        "meta.lastModified",
        "groups",
        "groups[value eq \"g\"]",
    ] {
        refused(
            &USER_RT,
            &user(),
            json!([{ "op": "replace", "path": path, "value": "x" }]),
            ScimType::Mutability,
            &["Operations[0]", &format!("`{path}`"), "readOnly"],
        );
    }
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "remove", "path": "meta.version" }]),
        ScimType::Mutability,
        &["readOnly"],
    );
    refused(
        &GROUP_RT,
        &group(),
        json!([{ "op": "replace", "path": format!("members[value eq \"{BABS}\"].display"), "value": "x" }]),
        ScimType::Mutability,
        &["display"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "x" }]),
        ScimType::Mutability,
        &["manager.displayName"],
    );
}

#[test]
fn removing_required_attributes_is_a_mutability_error() {
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "remove", "path": "userName" }]),
        ScimType::Mutability,
        &["`userName`", "required"],
    );
    refused(
        &GROUP_RT,
        &group(),
        json!([{ "op": "replace", "path": "displayName", "value": null }]),
        ScimType::Mutability,
        &["`displayName`", "required"],
    );
}

#[test]
fn unmatched_filter_that_cannot_build_a_value_is_no_target() {
    for path in [
        "emails[type ne \"work\" and type ne \"home\"].value",
        "emails[value co \"x\"]",
        "emails[type eq \"a\" or type eq \"b\"].value",
    ] {
        refused(
            &USER_RT,
            &bare_user(),
            json!([{ "op": "replace", "path": path, "value": "x" }]),
            ScimType::NoTarget,
            &["Operations[0]", "no value of `emails` matches"],
        );
    }
    // Contradictory pins build nothing either.
    refused(
        &USER_RT,
        &bare_user(),
        json!([{ "op": "add", "path": "emails[type eq \"a\" and type eq \"b\"].value", "value": "x" }]),
        ScimType::NoTarget,
        &["no value of `emails` matches"],
    );
}

#[test]
fn value_shapes_are_checked() {
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "value": "Babs" }]),
        ScimType::InvalidValue,
        &["Operations[0]", "`value` must be an object"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "userName", "value": ["a", "b"] }]),
        ScimType::InvalidValue,
        &["`userName`", "not an array"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "path": "title", "value": { "x": 1 } }]),
        ScimType::InvalidValue,
        &["`title`", "not an object"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "add", "path": "emails", "value": [["nested"]] }]),
        ScimType::InvalidValue,
        &["`emails`", "complex"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "add", "path": "addresses", "value": "Main St" }]),
        ScimType::InvalidValue,
        &["`addresses` is complex"],
    );
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "add", "path": ENTERPRISE, "value": "x" }]),
        ScimType::InvalidValue,
        &["takes an object of its attributes"],
    );
}

#[test]
fn resource_itself_cannot_be_removed() {
    refused(
        &USER_RT,
        &user(),
        json!([{ "op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User" }]),
        ScimType::InvalidPath,
        &["DELETE"],
    );
    let patched = patch(
        &USER_RT,
        &user(),
        json!([
            { "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User", "value": { "title": "x" } }
        ]),
    );
    assert_eq!(patched["title"], "x");
}

#[test]
fn hand_built_ops_without_value_or_path_are_refused() {
    use crate::scim::patch::{PatchOp, PatchOpKind};
    let mut resource = user();
    let add = PatchOp {
        kind: PatchOpKind::Add,
        path: None,
        value: None,
    };
    let e = apply(&USER_RT, &mut resource, &[add]).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    let remove = PatchOp {
        kind: PatchOpKind::Remove,
        path: None,
        value: None,
    };
    let e = apply(&USER_RT, &mut resource, &[remove]).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    assert_eq!(resource, user());
}
