//! The examples of RFC 7644 §3.5.2.1–3, verbatim where the fixtures allow.

use serde_json::{json, Value};

use super::*;

#[test]
fn add_member_to_group() {
    let newcomer = "08e1d05d-121c-4561-8b96-473d93df9210";
    let patched = group_patched(json!([{
        "op": "add",
        "path": "members",
        "value": [{
            "display": "Babs Jensen",
            "$ref": format!("https://example.com/v2/Users/{newcomer}"),
            "value": newcomer
        }]
    }]));
    let members = patched["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[..2], group()["members"].as_array().unwrap()[..]);
    assert_eq!(members[2]["value"], newcomer);
}

#[test]
fn add_without_path_adds_attributes_in_canonical_case() {
    // §3.5.2.1 sends `nickname`; the schema spells it `nickName`.
    let patched = user_patched(json!([{
        "op": "add",
        "value": {
            "emails": [{ "value": "babs@jensen.org", "type": "home" }],
            "nickname": "Babs"
        }
    }]));
    // The home email is already there: adding it again changes nothing.
    let expected = edited(&user(), |u| {
        u.insert("nickName".into(), json!("Babs"));
    });
    assert_eq!(patched, expected);
}

#[test]
fn remove_single_member() {
    let patched = group_patched(json!([{
        "op": "remove",
        "path": format!("members[value eq \"{BABS}\"]")
    }]));
    assert_eq!(
        patched["members"],
        json!([{ "value": MANDY, "display": "Mandy Pepperidge" }])
    );
}

#[test]
fn remove_all_members_unassigns_the_attribute() {
    let patched = group_patched(json!([{ "op": "remove", "path": "members" }]));
    assert!(!patched.contains_key("members"));
    assert_eq!(patched["displayName"], "Tour Guides");
}

#[test]
fn remove_values_matching_a_complex_filter() {
    let patched = user_patched(json!([{
        "op": "remove",
        "path": "emails[type eq \"work\" and value ew \"example.com\"]"
    }]));
    assert_eq!(
        patched["emails"],
        json!([{ "value": "babs@jensen.org", "type": "home" }])
    );
}

#[test]
fn removing_the_last_matching_value_unassigns_the_attribute() {
    let patched = group_patched(json!([
        { "op": "remove", "path": format!("members[value eq \"{BABS}\"]") },
        { "op": "remove", "path": format!("members[value eq \"{MANDY}\"]") }
    ]));
    assert!(!patched.contains_key("members"));
}

#[test]
fn remove_sub_attribute_of_matching_values() {
    let patched = user_patched(json!([{
        "op": "remove",
        "path": "addresses[type eq \"work\"].streetAddress"
    }]));
    assert!(patched["addresses"][0].get("streetAddress").is_none());
    assert_eq!(patched["addresses"][0]["locality"], "Hollywood");
    assert_eq!(patched["addresses"][1], user()["addresses"][1]);
}

#[test]
fn remove_then_add_replaces_all_members() {
    let patched = group_patched(json!([
        { "op": "remove", "path": "members" },
        { "op": "add", "path": "members", "value": [
            { "display": "James Smith", "value": "08e1d05d-121c-4561-8b96-473d93df9210" },
            { "display": "Jane Doe", "value": "a1b2" }
        ]}
    ]));
    let values: Vec<&Value> = patched["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["value"])
        .collect();
    assert_eq!(
        values,
        [
            &json!("08e1d05d-121c-4561-8b96-473d93df9210"),
            &json!("a1b2")
        ]
    );
}

#[test]
fn replace_all_members() {
    let patched = group_patched(json!([{
        "op": "replace",
        "path": "members",
        "value": [
            { "display": "Babs Jensen", "value": BABS },
            { "display": "James Smith", "value": "08e1d05d-121c-4561-8b96-473d93df9210" }
        ]
    }]));
    assert_eq!(
        patched["members"],
        json!([
            { "display": "Babs Jensen", "value": BABS },
            { "display": "James Smith", "value": "08e1d05d-121c-4561-8b96-473d93df9210" }
        ])
    );
}

#[test]
fn replace_matching_value_of_complex_attribute() {
    let work = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    let patched = user_patched(json!([{
        "op": "replace", "path": "addresses[type eq \"work\"]", "value": work
    }]));
    assert_eq!(patched["addresses"], json!([work, user()["addresses"][1]]));
}

#[test]
fn replace_sub_attribute_of_matching_value() {
    let patched = user_patched(json!([{
        "op": "replace",
        "path": "addresses[type eq \"work\"].streetAddress",
        "value": "1010 Broadway Ave"
    }]));
    let expected = edited(&user(), |u| {
        u["addresses"][0]["streetAddress"] = json!("1010 Broadway Ave");
    });
    assert_eq!(patched, expected);
}

#[test]
fn replace_emails_work_value_and_element() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com" }
    ]));
    assert_eq!(
        patched["emails"][0],
        json!({ "value": "babs@example.com", "type": "work", "primary": true })
    );

    // A whole element swapped: what `value` omits is gone, except what the filter pins.
    let patched = user_patched(json!([
        { "op": "replace", "path": "emails[type eq \"work\"]", "value": { "value": "b@example.com" } }
    ]));
    assert_eq!(
        patched["emails"][0],
        json!({ "value": "b@example.com", "type": "work" })
    );
    assert_eq!(patched["emails"][1], user()["emails"][1]);
}

#[test]
fn replace_without_path() {
    let patched = user_patched(json!([{
        "op": "replace",
        "value": {
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "nickname": "Babs"
        }
    }]));
    assert_eq!(patched["emails"], user()["emails"]);
    assert_eq!(patched["nickName"], "Babs");
    assert!(!patched.contains_key("nickname"));
}

#[test]
fn replace_single_valued_and_complex_attributes() {
    let patched = user_patched(json!([
        { "op": "replace", "path": "userName", "value": "babs@example.com" },
        // §3.5.2.3: sub-attributes not specified are left unchanged.
        { "op": "replace", "path": "name", "value": { "givenName": "Babs" } }
    ]));
    assert_eq!(patched["userName"], "babs@example.com");
    assert_eq!(
        patched["name"],
        json!({ "familyName": "Jensen", "givenName": "Babs" })
    );
}
