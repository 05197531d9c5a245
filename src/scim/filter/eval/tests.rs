use serde_json::{json, Map, Value};

use super::*;
use crate::scim::filter::parse_filter;
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::user::USER_RESOURCE;

const ENTERPRISE: &str = crate::scim::urn::ENTERPRISE_USER;

fn user() -> Map<String, Value> {
    let Value::Object(user) = json!({
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "Ext-1",
        "userName": "BJensen@example.com",
        "name": { "familyName": "O'Malley", "givenName": "Barbara" },
        "userType": "Employee",
        "active": true,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "meta": { "lastModified": "2011-05-13T04:42:34Z", "resourceType": "User" },
        ENTERPRISE: { "employeeNumber": "701984", "manager": { "value": "m-1" } }
    }) else {
        unreachable!()
    };
    user
}

fn holds(filter: &str) -> bool {
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("`{filter}`: {e}"));
    matches(&USER_RESOURCE, &user(), &f)
}

fn check(cases: &[(&str, bool)]) {
    for (filter, expected) in cases {
        assert_eq!(holds(filter), *expected, "{filter}");
    }
}

#[test]
fn string_operators_follow_case_exact() {
    check(&[
        // userName is case-insensitive, id and externalId are caseExact.
        (r#"userName eq "bjensen@EXAMPLE.com""#, true),
        (r#"userName ne "bjensen@example.com""#, false),
        (r#"externalId eq "ext-1""#, false),
        (r#"externalId eq "Ext-1""#, true),
        (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
        (r#"name.familyName co "o'mal""#, true),
        (r#"userName sw "BJ""#, true),
        (r#"userName sw "x""#, false),
        (r#"userName ew "@Example.COM""#, true),
        (r#"externalId co "xt""#, true),
        (r#"externalId co "XT""#, false),
        (r#"userName gt "a""#, true),
        (r#"userName lt "a""#, false),
        (r#"userName ge "bjensen@example.com""#, true),
        (r#"userName le "BJENSEN@example.com""#, true),
    ]);
}

#[test]
fn booleans_support_only_equality() {
    check(&[
        ("active eq true", true),
        ("active ne true", false),
        ("active eq false", false),
        ("active gt false", false),
        (r#"active eq "true""#, false),
        (r#"active co "t""#, false),
    ]);
}

#[test]
fn datetimes_compare_as_instants() {
    check(&[
        (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
        (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
        // Same instant, other offset and precision: lexicographically different.
        (
            r#"meta.lastModified eq "2011-05-13T06:42:34.000+02:00""#,
            true,
        ),
        (r#"meta.lastModified lt "2011-05-13T05:00:00+01:00""#, false),
        // Not a dateTime: falls back to string order.
        (r#"meta.lastModified gt "2011""#, true),
        (r#"meta.lastModified sw "2011-05""#, true),
    ]);
}

#[test]
fn numbers_compare_numerically() {
    let attr = crate::scim::schema::def::AttributeDef::string("n", "")
        .of_type(AttrType::Integer)
        .multi();
    let element = json!(10);
    for (filter, expected) in [
        ("value gt 9", true),
        ("value ge 10.0", true),
        ("value lt 9.5", false),
        ("value eq 10", true),
        ("value ne 10", false),
        ("value le -1", false),
        (r#"value eq "10""#, false),
        ("value co 1", false),
    ] {
        let f = parse_filter(filter).unwrap();
        assert_eq!(element_matches(&attr, &element, &f), expected, "{filter}");
    }
}

#[test]
fn presence_and_null() {
    check(&[
        ("title pr", false),
        ("name.givenName pr", true),
        ("name.middleName pr", false),
        ("emails pr", true),
        ("emails.display pr", false),
        ("title eq null", true),
        ("title ne null", false),
        ("userName eq null", false),
        ("userName ne null", true),
        ("userName gt null", false),
    ]);
    let mut empty = user();
    empty.insert("title".into(), json!(""));
    empty.insert("emails".into(), json!([]));
    assert!(!matches(
        &USER_RESOURCE,
        &empty,
        &parse_filter("title pr").unwrap()
    ));
    assert!(!matches(
        &USER_RESOURCE,
        &empty,
        &parse_filter("emails pr").unwrap()
    ));
}

#[test]
fn not_of_a_missing_attribute_holds() {
    check(&[
        (r#"title ne "Boss""#, false),
        (r#"not (title eq "Boss")"#, true),
        (r#"not (userName eq "bjensen@example.com")"#, false),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            false,
        ),
        (
            r#"userType eq "Employee" and not (emails.type eq "other")"#,
            true,
        ),
    ]);
}

#[test]
fn multi_valued_attributes_match_when_any_value_does() {
    check(&[
        (r#"emails.value eq "babs@jensen.org""#, true),
        // Without a sub-attribute, a complex attribute compares through `value`.
        (r#"emails co "example.com""#, true),
        (r#"emails.type eq "other""#, false),
        (r#"emails.type ne "work""#, true),
        (
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        // Both conditions must hold for the same value.
        (
            r#"emails[type eq "home" and value co "@example.com"]"#,
            false,
        ),
        (r#"emails[primary eq true and type eq "WORK"]"#, true),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[display pr]"#, false),
    ]);
}

#[test]
fn extension_and_qualified_paths() {
    check(&[
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            true,
        ),
        (r#"employeeNumber eq "701984""#, true),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M-1""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj""#,
            true,
        ),
        (r#"meta.resourceType eq "User""#, true),
        (r#"meta.resourceType eq "user""#, false),
        // Unknown attributes and schemas match nothing.
        (r#"shoeSize eq "9""#, false),
        (r#"urn:example:ext:1.0:User:badge pr"#, false),
    ]);
}

#[test]
fn group_members() {
    let Value::Object(group) = json!({
        "displayName": "Tour Guides",
        "members": [{ "value": "a" }, { "value": "b", "type": "Group" }]
    }) else {
        unreachable!()
    };
    let holds = |f: &str| matches(&GROUP_RESOURCE, &group, &parse_filter(f).unwrap());
    assert!(holds(r#"members[value eq "b"]"#));
    assert!(holds(r#"members.type eq "group""#));
    assert!(!holds(r#"members[value eq "a" and type pr]"#));
    assert!(holds(r#"displayName eq "tour guides""#));
}

#[test]
fn element_matching_for_value_paths() {
    let emails = USER_RESOURCE.schema.attribute("emails").unwrap();
    let work = json!({ "value": "A@example.com", "type": "Work", "primary": "True" });
    let f = |s: &str| parse_filter(s).unwrap();
    assert!(element_matches(emails, &work, &f(r#"type eq "work""#)));
    assert!(element_matches(
        emails,
        &work,
        &f(r#"value eq "a@EXAMPLE.com""#)
    ));
    // Entra ID's string booleans are read as booleans before normalization.
    assert!(element_matches(emails, &work, &f("primary eq true")));
    assert!(!element_matches(emails, &work, &f("primary eq false")));
    assert!(!element_matches(emails, &work, &f(r#"unknown eq "x""#)));
    assert!(element_matches(emails, &work, &f(r#"display eq null"#)));
    assert!(!element_matches(
        emails,
        &json!("not an object"),
        &f(r#"type eq "work""#)
    ));
}
