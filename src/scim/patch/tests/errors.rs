//! Refusals: the right `scimType`, and a detail naming the operation and the path.

use serde_json::{json, Value};

use super::*;

#[test]
fn paths_to_what_the_schema_lacks_are_invalid_path() {
    let cases = [
        // Unknown attributes.
        json!([[{ "op": "add", "path": "title", "value": "ok" }, { "op": "add", "path": "favouriteColour", "value": "blue" }],
            "Operations[1]", "`favouriteColour`", "no attribute"]),
        json!([[{ "op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge", "value": "x" }],
            "Operations[0]", "no attribute `badge`", ENTERPRISE]),
        json!([[{ "op": "replace", "value": { "nickname": "ok", "shoeSize": 9 } }], "`shoeSize`"]),
        // Sub-attributes must exist on complex attributes.
        json!([[{ "op": "replace", "path": "active.value", "value": true }], "`active` is not complex"]),
        json!([[{ "op": "replace", "path": "name.nick", "value": "x" }], "no sub-attribute `nick` in `name`"]),
        json!([[{ "op": "replace", "path": "emails[type eq \"work\"].label", "value": "x" }],
            "no sub-attribute `label` in `emails`"]),
        // Value filters need multi-valued attributes and known sub-attributes.
        json!([[{ "op": "remove", "path": "emails[kind eq \"work\"]" }], "no sub-attribute `kind` in `emails`"]),
        json!([[{ "op": "replace", "path": "name[givenName eq \"B\"].familyName", "value": "x" }],
            "`name` is single-valued"]),
        // A `value` member's key is a path too.
        json!([[{ "op": "add", "value": { "name..x": "y" } }], "`value` member `name..x`"]),
        // The resource itself cannot be removed: that is a DELETE.
        json!([[{ "op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User" }], "DELETE"]),
    ];
    refusals(&USER_RT, &user(), ScimType::InvalidPath, &cases);
    let cases = [
        json!([[{ "op": "add", "path": "userName", "value": "x" }], "no attribute `userName` in Group"]),
    ];
    refusals(&GROUP_RT, &group(), ScimType::InvalidPath, &cases);
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
fn read_only_paths_and_removing_required_attributes_are_mutability_errors() {
    let read_only = [
        "id",
        "meta",
        "meta.lastModified",
        "groups",
        "groups[value eq \"g\"]",
    ]
    .map(|path| {
        json!([[{ "op": "replace", "path": path, "value": "x" }],
                "Operations[0]", format!("`{path}`"), "readOnly"])
    });
    let cases = [
        json!([[{ "op": "remove", "path": "meta.version" }], "readOnly"]),
        json!([[{ "op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "x" }],
            "manager.displayName"]),
        json!([[{ "op": "remove", "path": "userName" }], "`userName`", "required"]),
    ];
    let cases = [&read_only[..], &cases[..]].concat();
    refusals(&USER_RT, &user(), ScimType::Mutability, &cases);
    let cases = [
        json!([[{ "op": "replace", "path": format!("members[value eq \"{BABS}\"].display"), "value": "x" }],
            "display"]),
        json!([[{ "op": "replace", "path": "displayName", "value": null }], "`displayName`", "required"]),
    ];
    refusals(&GROUP_RT, &group(), ScimType::Mutability, &cases);
}

#[test]
fn unmatched_filter_that_cannot_build_a_value_is_no_target() {
    let unmatched = [
        "emails[type ne \"work\" and type ne \"home\"].value",
        "emails[value co \"x\"]",
        "emails[type eq \"a\" or type eq \"b\"].value",
    ]
    .map(|path| {
        json!([[{ "op": "replace", "path": path, "value": "x" }],
            "Operations[0]", "no value of `emails` matches"])
    });
    // Contradictory pins build nothing either.
    let contradictory = json!([[{ "op": "add", "path": "emails[type eq \"a\" and type eq \"b\"].value", "value": "x" }],
        "no value of `emails` matches"]);
    let cases = [&unmatched[..], &[contradictory]].concat();
    refusals(&USER_RT, &bare_user(), ScimType::NoTarget, &cases);
}

#[test]
fn value_shapes_are_checked() {
    let cases = [
        json!([[{ "op": "replace", "value": "Babs" }], "Operations[0]", "`value` must be an object"]),
        json!([[{ "op": "replace", "path": "userName", "value": ["a", "b"] }], "`userName`", "not an array"]),
        json!([[{ "op": "replace", "path": "title", "value": { "x": 1 } }], "`title`", "not an object"]),
        json!([[{ "op": "add", "path": "emails", "value": [["nested"]] }], "`emails`", "complex"]),
        json!([[{ "op": "add", "path": "addresses", "value": "Main St" }], "`addresses` is complex"]),
        json!([[{ "op": "add", "path": ENTERPRISE, "value": "x" }], "takes an object of its attributes"]),
    ];
    refusals(&USER_RT, &user(), ScimType::InvalidValue, &cases);
}

#[test]
fn core_schema_urn_as_path_addresses_the_resource_itself() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User", "value": { "title": "x" } }
    ]));
    assert_eq!(patched["title"], "x");
}

#[test]
fn hand_built_ops_without_value_or_path_are_refused() {
    use crate::scim::patch::{PatchOp, PatchOpKind};
    let mut resource = user();
    for (kind, scim_type) in [
        (PatchOpKind::Add, ScimType::InvalidValue),
        (PatchOpKind::Remove, ScimType::NoTarget),
    ] {
        let op = PatchOp {
            kind,
            path: None,
            value: None,
        };
        let e = apply(&USER_RT, &mut resource, &[op]).unwrap_err();
        assert_eq!(e.scim_type, Some(scim_type));
    }
    assert_eq!(resource, user());
}
