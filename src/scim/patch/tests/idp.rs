//! Requests as Entra ID, Okta, OneLogin and JumpCloud send them.

use serde_json::json;

use super::*;

#[test]
fn entra_capitalised_ops_and_string_booleans_pass_through() {
    let patched = user_patched(json!([
        { "op": "Replace", "path": "active", "value": "False" },
        { "op": "Add", "path": "title", "value": "Tour Guide" }
    ]));
    // Coercing "False" is the normalizer's job; PATCH must not drop or refuse it.
    let expected = edited(&user(), |u| {
        u.insert("active".into(), json!("False"));
        u.insert("title".into(), json!("Tour Guide"));
    });
    assert_eq!(patched, expected);
}

#[test]
fn entra_add_filtered_sub_attribute_creates_missing_value() {
    let patched = bare_user_patched(json!([
        { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "alice@contoso.com" },
        { "op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100" },
        { "op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond" }
    ]));
    assert_eq!(
        patched["emails"],
        json!([{ "type": "work", "value": "alice@contoso.com" }])
    );
    assert_eq!(
        patched["phoneNumbers"],
        json!([{ "type": "mobile", "value": "+1 555 0100" }])
    );
    assert_eq!(
        patched["addresses"],
        json!([{ "type": "work", "locality": "Redmond" }])
    );

    // Next to other values, the new one is appended; a second run updates it in place.
    let again = patch(
        &USER_RT,
        &patched,
        json!([
            { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "alice@fabrikam.com" },
            { "op": "Add", "path": "emails[type eq \"home\"].value", "value": "alice@home.example" }
        ]),
    );
    assert_eq!(
        again["emails"],
        json!([
            { "type": "work", "value": "alice@fabrikam.com" },
            { "type": "home", "value": "alice@home.example" }
        ])
    );
}

#[test]
fn entra_no_path_replace_with_dotted_and_urn_keys() {
    let patched = user_patched(json!([{
        "op": "Replace",
        "value": {
            "name.givenName": "Babs",
            "displayName": "Babs Jensen",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tours",
            "emails[type eq \"work\"].value": "babs@example.com"
        }
    }]));
    assert_eq!(
        patched["name"],
        json!({ "givenName": "Babs", "familyName": "Jensen" })
    );
    assert_eq!(patched["displayName"], "Babs Jensen");
    assert_eq!(ext(&patched)["employeeNumber"], "42");
    assert_eq!(ext(&patched)["department"], "Tours");
    assert_eq!(ext(&patched)["manager"], ext(&user())["manager"]);
    assert_eq!(patched["emails"][0]["value"], "babs@example.com");
}

#[test]
fn entra_manager_as_bare_id_and_its_removal() {
    let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    let patched = bare_user_patched(json!([
        { "op": "Add", "path": manager, "value": "m-42" }
    ]));
    assert_eq!(
        patched[ENTERPRISE],
        json!({ "manager": { "value": "m-42" } })
    );

    let removed = patch(
        &USER_RT,
        &patched,
        json!([{ "op": "Remove", "path": manager }]),
    );
    // The extension object goes when its last attribute does.
    assert_eq!(removed, bare_user());
}

#[test]
fn entra_remove_members_listed_in_value() {
    let patched = group_patched(json!([{
        "op": "Remove",
        "path": "members",
        "value": [{ "value": BABS }, { "value": "not-a-member" }]
    }]));
    assert_eq!(
        patched["members"],
        json!([{ "value": MANDY, "display": "Mandy Pepperidge" }])
    );
}

#[test]
fn entra_custom_extensions_are_ignored() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let patched = user_patched(json!([
        { "op": "Add", "path": format!("{custom}:costCenter"), "value": "x" },
        { "op": "Replace", "value": { format!("{custom}:badge"): "7", custom: { "tier": "gold" } } },
        { "op": "Remove", "path": format!("{custom}:tier") }
    ]));
    assert_eq!(patched, user());
}

#[test]
fn okta_deactivate_with_no_path_replace() {
    let patched = user_patched(json!([{ "op": "replace", "value": { "active": false } }]));
    assert_eq!(
        patched,
        edited(&user(), |u| {
            u.insert("active".into(), json!(false));
        })
    );
}

#[test]
fn okta_group_rename_echoes_read_only_id() {
    let patched = group_patched(json!([{
        "op": "replace",
        "value": { "id": "okta-sends-this", "displayName": "Tour Leaders", "meta": { "version": "x" } }
    }]));
    // `id` and `meta` are the server's: only the name changes.
    let renamed = edited(&group(), |g| {
        g.insert("displayName".into(), json!("Tour Leaders"));
    });
    assert_eq!(patched, renamed);
}

#[test]
fn okta_member_add_and_remove_by_filter() {
    let added = group_patched(json!([
        { "op": "add", "path": "members", "value": [{ "value": "00u1", "display": "okta@example.com" }] }
    ]));
    assert_eq!(
        added["members"][2],
        json!({ "value": "00u1", "display": "okta@example.com" })
    );
    let removed = patch(
        &GROUP_RT,
        &added,
        json!([
            { "op": "remove", "path": "members[value eq \"00u1\"]" }
        ]),
    );
    assert_eq!(removed, group());
}

#[test]
fn body_without_schemas_and_lowercase_operations_key() {
    // OneLogin and some JumpCloud versions omit `schemas`; member names match ignoring case.
    let ops = crate::scim::patch::parse_patch_request(&json!({
        "operations": [{ "OP": "add", "Path": "members", "VALUE": [{ "value": "j1" }] }]
    }))
    .unwrap();
    let mut patched = group();
    crate::scim::patch::apply(&GROUP_RT, &mut patched, &ops).unwrap();
    assert_eq!(patched["members"][2], json!({ "value": "j1" }));
}

#[test]
fn extension_object_key_in_no_path_value() {
    let patched = bare_user_patched(json!([{
        "op": "add",
        "value": { ENTERPRISE: { "costCenter": "4130", "manager": { "value": "m-1", "displayName": "ignored" } } }
    }]));
    // `manager.displayName` is readOnly but lives inside a value object: the normalizer drops it.
    assert_eq!(ext(&patched)["costCenter"], "4130");
    assert_eq!(ext(&patched)["manager"]["value"], "m-1");
}

#[test]
fn schemas_inside_an_extension_value_is_ignored() {
    // scim2-models (python-scim) writes the extension's own `schemas` into its object.
    let patched = bare_user_patched(json!([{
        "op": "add",
        "path": ENTERPRISE,
        "value": { "schemas": [ENTERPRISE], "employeeNumber": "42" }
    }]));
    assert_eq!(ext(&patched)["employeeNumber"], "42");
    assert!(ext(&patched).get("schemas").is_none());
}

const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

fn with_manager(value: Value) -> Map<String, Value> {
    edited(&bare_user(), |u| {
        u.insert(ENTERPRISE.into(), json!({ "manager": value }));
    })
}

#[test]
fn entra_manager_as_a_list_of_one_value_with_ref() {
    // Entra ID without aadOptscim062020 sends the manager as a list of one reference.
    let patched = bare_user_patched(
        json!([{ "op": "Add", "path": MANAGER, "value": [{ "$ref": null, "value": "m-1" }] }]),
    );
    assert_eq!(
        ext(&patched)["manager"],
        json!({ "$ref": null, "value": "m-1" })
    );
    // More than one value cannot be one manager.
    refused(
        &USER_RT,
        &bare_user(),
        json!([{ "op": "replace", "path": MANAGER, "value": [{ "value": "a" }, { "value": "b" }] }]),
        ScimType::InvalidValue,
        &["not an array of 2"],
    );
}

#[test]
fn a_new_manager_drops_the_old_ones_ref() {
    let current = with_manager(json!({ "value": "m-1", "$ref": "../Users/m-1" }));
    let patch_current = |operations| patch(&USER_RT, &current, operations);
    let patched = patch_current(json!([{ "op": "replace", "path": MANAGER, "value": "m-2" }]));
    assert_eq!(ext(&patched)["manager"], json!({ "value": "m-2" }));
    // The same manager again keeps what it had.
    let same =
        patch_current(json!([{ "op": "replace", "path": MANAGER, "value": { "value": "m-1" } }]));
    assert_eq!(same, current);
}

#[test]
fn null_and_empty_manager_values_remove_it() {
    let current = with_manager(json!({ "value": "m-1" }));
    let patch_current = |operations| patch(&USER_RT, &current, operations);
    for value in [
        json!(null),
        json!(""),
        json!({ "value": null }),
        json!({ "value": "" }),
        json!([]),
        json!([{ "$ref": null, "value": null }]),
    ] {
        for op in ["add", "replace", "Replace"] {
            let patched = patch_current(json!([{ "op": op, "path": MANAGER, "value": value }]));
            assert_eq!(patched, bare_user(), "{op} {value}");
        }
        // The no-path form, with the URN-qualified key Entra ID uses.
        let patched = patch_current(json!([{ "op": "replace", "value": { MANAGER: value } }]));
        assert_eq!(patched, bare_user(), "no path, {value}");
    }
}

#[test]
fn null_and_empty_simple_values_remove_them() {
    for value in [json!(null), json!("")] {
        let patched = user_patched(json!([
            { "op": "add", "path": "title", "value": "x" },
            { "op": "add", "path": "title", "value": value },
            { "op": "replace", "path": "name.givenName", "value": value },
            { "op": "replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": value },
            { "op": "add", "path": "emails[type eq \"home\"].value", "value": value }
        ]));
        assert!(!patched.contains_key("title"), "{value}");
        assert_eq!(patched["name"], json!({ "familyName": "Jensen" }));
        assert!(ext(&patched).get("employeeNumber").is_none());
        assert_eq!(patched["emails"], json!([user()["emails"][0]]), "{value}");
    }
}

#[test]
fn entra_manager_removal_with_a_value_names_the_manager() {
    let current = with_manager(json!({ "value": "m-1" }));
    let patch_current = |operations| patch(&USER_RT, &current, operations);
    for value in [
        json!("m-1"),
        json!({ "value": "m-1" }),
        json!([{ "value": "m-1" }]),
        json!([{ "$ref": null, "value": "m-1" }]),
    ] {
        let patched = patch_current(json!([{ "op": "Remove", "path": MANAGER, "value": value }]));
        assert_eq!(patched, bare_user(), "{value}");
    }
    // Naming another manager removes nothing: this one was set since.
    let kept =
        patch_current(json!([{ "op": "Remove", "path": MANAGER, "value": [{ "value": "m-0" }] }]));
    assert_eq!(kept, current);
    // Removing then adding in one request, in either order, ends with the new manager.
    let changed = patch_current(json!([
        { "op": "Add", "path": MANAGER, "value": "m-2" },
        { "op": "Remove", "path": MANAGER, "value": [{ "value": "m-1" }] }
    ]));
    assert_eq!(ext(&changed)["manager"], json!({ "value": "m-2" }));
}

#[test]
fn entra_manager_removal_through_a_value_filter() {
    let current = with_manager(json!({ "value": "m-1", "$ref": "../Users/m-1" }));
    let patch_current = |operations| patch(&USER_RT, &current, operations);
    let removed =
        patch_current(json!([{ "op": "remove", "path": format!("{MANAGER}[value eq \"m-1\"]") }]));
    assert_eq!(removed, bare_user());
    let kept =
        patch_current(json!([{ "op": "remove", "path": format!("{MANAGER}[value eq \"m-0\"]") }]));
    assert_eq!(kept, current);
    // Setting through a filter is still for multi-valued attributes only.
    refused(
        &USER_RT,
        &current,
        json!([{ "op": "replace", "path": format!("{MANAGER}[value eq \"m-1\"].value"), "value": "m-2" }]),
        ScimType::InvalidPath,
        &["`manager` is single-valued"],
    );
}
