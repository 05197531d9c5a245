//! Rules the RFC states loosely, pinned down.

use serde_json::json;

use super::*;

#[test]
fn add_on_single_valued_attribute_replaces_it() {
    let patched = user_patched(json!([
        { "op": "add", "path": "userName", "value": "babs" },
        { "op": "add", "path": "name.givenName", "value": "Babs" }
    ]));
    assert_eq!(patched["userName"], "babs");
    assert_eq!(
        patched["name"],
        json!({ "givenName": "Babs", "familyName": "Jensen" })
    );
}

#[test]
fn adding_an_existing_member_is_a_no_op() {
    for value in [
        json!([{ "value": BABS }]),
        json!({ "value": BABS }),
        json!(BABS),
    ] {
        let patched = group_patched(json!([{ "op": "add", "path": "members", "value": value }]));
        assert_eq!(patched, group(), "{value}");
    }
    // Duplicates within one request collapse too.
    let patched = group_patched(json!([{
        "op": "add", "path": "members", "value": [{ "value": "n1" }, { "value": "N1" }]
    }]));
    assert_eq!(patched["members"].as_array().unwrap().len(), 3);
}

#[test]
fn adding_a_known_value_merges_its_sub_attributes() {
    let patched = user_patched(json!([{
        "op": "add", "path": "emails", "value": [{ "value": "BABS@jensen.org", "type": "home", "display": "Home" }]
    }]));
    assert_eq!(patched["emails"].as_array().unwrap().len(), 2);
    assert_eq!(patched["emails"][1]["display"], "Home");
    // Same address, different type: a different value.
    let patched = user_patched(json!([{
        "op": "add", "path": "emails", "value": { "value": "babs@jensen.org", "type": "other" }
    }]));
    assert_eq!(patched["emails"].as_array().unwrap().len(), 3);
}

#[test]
fn removing_what_is_absent_is_a_no_op() {
    let patched = bare_user_patched(json!([
        { "op": "remove", "path": "emails[type eq \"work\"]" },
        { "op": "remove", "path": "title" },
        { "op": "remove", "path": "name.middleName" },
        { "op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager" },
        { "op": "remove", "path": "addresses[type eq \"home\"].locality" }
    ]));
    assert_eq!(patched, bare_user());
    let patched =
        group_patched(json!([{ "op": "remove", "path": "members[value eq \"nobody\"]" }]));
    assert_eq!(patched, group());
}

#[test]
fn setting_primary_turns_it_off_elsewhere() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "emails[type eq \"home\"].primary", "value": true }
    ]));
    assert_eq!(patched["emails"][0]["primary"], false);
    assert_eq!(patched["emails"][1]["primary"], true);

    let patched = user_patched(json!([
        { "op": "add", "path": "emails", "value": [{ "value": "new@example.com", "type": "other", "primary": "True" }] }
    ]));
    assert_eq!(patched["emails"][0]["primary"], false);
    assert_eq!(patched["emails"][2]["primary"], "True");
}

#[test]
fn names_match_ignoring_case_and_are_created_canonical() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "NAME.GIVENNAME", "value": "Babs" },
        { "op": "add", "path": "name.middlename", "value": "Jane" },
        { "op": "replace", "path": "EMAILS[TYPE eq \"WORK\"].VALUE", "value": "b@example.com" },
        { "op": "add", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:COSTCENTER", "value": "7" }
    ]));
    assert_eq!(
        patched["name"],
        json!({ "givenName": "Babs", "familyName": "Jensen", "middleName": "Jane" })
    );
    // `type` is not caseExact, so `"WORK"` selects the work email.
    assert_eq!(patched["emails"][0]["value"], "b@example.com");
    assert_eq!(patched["emails"].as_array().unwrap().len(), 2);
    assert_eq!(ext(&patched)["costCenter"], "7");

    let mut odd = user();
    odd.insert("DisplayName".into(), json!("old"));
    let patched = patch(
        &USER_RT,
        &odd,
        json!([{ "op": "replace", "path": "displayName", "value": "new" }]),
    );
    assert!(!patched.contains_key("DisplayName"));
    assert_eq!(patched["displayName"], "new");
}

#[test]
fn null_unassigns_and_adds_nothing() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "name.givenName", "value": null },
        { "op": "replace", "path": "addresses", "value": null },
        { "op": "add", "path": "emails", "value": null },
        { "op": "replace", "path": "emails[type eq \"home\"]", "value": null }
    ]));
    assert_eq!(patched["name"], json!({ "familyName": "Jensen" }));
    assert!(!patched.contains_key("addresses"));
    assert_eq!(patched["emails"], json!([user()["emails"][0]]));
}

#[test]
fn replace_with_empty_list_unassigns() {
    let patched = group_patched(json!([{ "op": "replace", "path": "members", "value": [] }]));
    assert!(!patched.contains_key("members"));
}

#[test]
fn filter_matching_several_values_updates_each() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "addresses[locality eq \"Hollywood\"].region", "value": "California" }
    ]));
    assert_eq!(patched["addresses"][0]["region"], "California");
    assert_eq!(patched["addresses"][1]["region"], "California");
}

#[test]
fn sub_attribute_of_multi_valued_attribute_names_it_in_every_value() {
    let patched = user_patched(json!([
        { "op": "remove", "path": "addresses.locality" },
        { "op": "replace", "path": "emails.display", "value": "Babs" }
    ]));
    assert!(patched["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a.get("locality").is_none()));
    assert!(patched["emails"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["display"] == "Babs"));
}

#[test]
fn whole_extension_by_urn() {
    let patched = user_patched(json!([
        { "op": "replace", "path": ENTERPRISE, "value": { "employeeNumber": "9", "division": "West" } }
    ]));
    assert_eq!(ext(&patched)["employeeNumber"], "9");
    assert_eq!(ext(&patched)["division"], "West");
    assert_eq!(ext(&patched)["manager"], ext(&user())["manager"]);
    let removed = user_patched(json!([{ "op": "remove", "path": ENTERPRISE }]));
    assert!(!removed.contains_key(ENTERPRISE));
    let nulled = user_patched(json!([{ "op": "replace", "value": { ENTERPRISE: null } }]));
    assert_eq!(nulled, removed);
    let added = user_patched(json!([{ "op": "add", "value": { ENTERPRISE: null } }]));
    assert_eq!(added, user());
}

#[test]
fn add_at_a_matching_value_merges_and_replace_swaps() {
    let added = user_patched(json!([
        { "op": "add", "path": "emails[type eq \"work\"]", "value": { "display": "Work" } }
    ]));
    assert_eq!(
        added["emails"][0],
        json!({ "value": "bjensen@example.com", "type": "work", "primary": true, "display": "Work" })
    );
    let replaced = user_patched(json!([
        { "op": "replace", "path": "emails[type eq \"work\" and primary eq true]", "value": { "display": "Work" } }
    ]));
    assert_eq!(
        replaced["emails"][0],
        json!({ "type": "work", "primary": true, "display": "Work" })
    );
}

#[test]
fn external_id_is_writable() {
    let patched = user_patched(json!([{ "op": "Replace", "path": "externalId", "value": "e-1" }]));
    assert_eq!(patched["externalId"], "e-1");
}

#[test]
fn all_or_nothing() {
    // The first operation succeeds on its own; the second fails, so neither applies.
    let before = user();
    refused(
        &USER_RT,
        &before,
        json!([
            { "op": "replace", "path": "userName", "value": "changed" },
            { "op": "replace", "path": "emails[type co \"xyz\"].value", "value": "x@example.com" }
        ]),
        ScimType::NoTarget,
        &["Operations[1]"],
    );
    let mut resource = before.clone();
    let ops = parse_patch_request(&body(json!([
        { "op": "add", "path": "title", "value": "t" },
        { "op": "remove", "path": "meta" }
    ])))
    .unwrap();
    assert!(apply(&USER_RT, &mut resource, &ops).is_err());
    assert_eq!(resource, before);
}
