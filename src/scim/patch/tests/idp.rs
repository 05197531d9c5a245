//! Requests as Entra ID, Okta, OneLogin and JumpCloud send them.

use serde_json::json;

use super::*;

#[test]
fn entra_capitalised_ops_and_string_booleans_pass_through() {
    let patched = patch(
        &USER_RT,
        &user(),
        json!([
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "Add", "path": "title", "value": "Tour Guide" }
        ]),
    );
    // Coercing "False" is the normalizer's job; PATCH must not drop or refuse it.
    assert_eq!(patched["active"], "False");
    assert_eq!(patched["title"], "Tour Guide");
}

#[test]
fn entra_add_filtered_sub_attribute_creates_missing_value() {
    let patched = patch(
        &USER_RT,
        &bare_user(),
        json!([
            { "op": "Add", "path": "emails[type eq \"work\"].value", "value": "alice@contoso.com" },
            { "op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100" },
            { "op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond" }
        ]),
    );
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
    let patched = patch(
        &USER_RT,
        &user(),
        json!([{
            "op": "Replace",
            "value": {
                "name.givenName": "Babs",
                "displayName": "Babs Jensen",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tours",
                "emails[type eq \"work\"].value": "babs@example.com"
            }
        }]),
    );
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
    let patched = patch(
        &USER_RT,
        &bare_user(),
        json!([
            { "op": "Add", "path": manager, "value": "m-42" }
        ]),
    );
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
    let patched = patch(
        &GROUP_RT,
        &group(),
        json!([{
            "op": "Remove",
            "path": "members",
            "value": [{ "value": BABS }, { "value": "not-a-member" }]
        }]),
    );
    assert_eq!(
        patched["members"],
        json!([{ "value": MANDY, "display": "Mandy Pepperidge" }])
    );
}

#[test]
fn entra_custom_extensions_are_ignored() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let patched = patch(
        &USER_RT,
        &user(),
        json!([
            { "op": "Add", "path": format!("{custom}:costCenter"), "value": "x" },
            { "op": "Replace", "value": { format!("{custom}:badge"): "7", custom: { "tier": "gold" } } },
            { "op": "Remove", "path": format!("{custom}:tier") }
        ]),
    );
    assert_eq!(patched, user());
}

#[test]
fn okta_deactivate_with_no_path_replace() {
    let patched = patch(
        &USER_RT,
        &user(),
        json!([{ "op": "replace", "value": { "active": false } }]),
    );
    assert_eq!(
        patched,
        edited(&user(), |u| {
            u.insert("active".into(), json!(false));
        })
    );
}

#[test]
fn okta_group_rename_echoes_read_only_id() {
    let patched = patch(
        &GROUP_RT,
        &group(),
        json!([{
            "op": "replace",
            "value": { "id": "okta-sends-this", "displayName": "Tour Leaders", "meta": { "version": "x" } }
        }]),
    );
    assert_eq!(patched["id"], group()["id"]);
    assert_eq!(patched["displayName"], "Tour Leaders");
    assert!(!patched.contains_key("meta"));
}

#[test]
fn okta_member_add_and_remove_by_filter() {
    let added = patch(
        &GROUP_RT,
        &group(),
        json!([
            { "op": "add", "path": "members", "value": [{ "value": "00u1", "display": "okta@example.com" }] }
        ]),
    );
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
    let patched = patch(
        &USER_RT,
        &bare_user(),
        json!([{
            "op": "add",
            "value": { ENTERPRISE: { "costCenter": "4130", "manager": { "value": "m-1", "displayName": "ignored" } } }
        }]),
    );
    // `manager.displayName` is readOnly but lives inside a value object: the normalizer drops it.
    assert_eq!(ext(&patched)["costCenter"], "4130");
    assert_eq!(ext(&patched)["manager"]["value"], "m-1");
}

#[test]
fn schemas_inside_an_extension_value_is_ignored() {
    // scim2-models (python-scim) writes the extension's own `schemas` into its object.
    let patched = patch(
        &USER_RT,
        &bare_user(),
        json!([{
            "op": "add",
            "path": ENTERPRISE,
            "value": { "schemas": [ENTERPRISE], "employeeNumber": "42" }
        }]),
    );
    assert_eq!(ext(&patched)["employeeNumber"], "42");
    assert!(ext(&patched).get("schemas").is_none());
}
