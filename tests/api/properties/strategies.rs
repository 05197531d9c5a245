//! What the property tests send: filters, SearchRequests, PATCH operations and JSON bodies,
//! valid and invalid, long, nested and hostile.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Text as clients send it: ordinary, empty, Unicode, SQL and LIKE metacharacters, JSON
/// escapes, NUL, long.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,24}",
        2 => select(vec![
            "", " ", "Übermensch", "ΟΔΟΣ", "İstanbul", "ß", "ẞ", "ёлка", "%", "_", "\\", "%_\\",
            "\"", "'", "' OR '1'='1", "'); DROP TABLE accounts; --", "\u{0}", "a\u{0}b",
            "\u{202e}", "\u{feff}", "𐐀", "ǅ", "\r\n", "null", "true", "2024-01-01T00:00:00Z",
            "ann@acme.example", "x@other.example", "A@ACME.EXAMPLE",
        ])
        .prop_map(str::to_owned),
        1 => (1usize..6000).prop_map(|n| "ü".repeat(n)),
    ]
}

pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec![
            "value", "type", "primary", "display", "givenName", "familyName", "title",
            "userName", "active", "emails", "members", "schemas", "id", "meta", "$ref",
        ])
        .prop_map(str::to_owned),
        1 => text(),
    ]
}

/// A value nested `depth` arrays deep, past the JSON parser's limit for large depths.
pub fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("x"), |inner, _| json!([inner]))
}

pub fn attr_path() -> impl Strategy<Value = String> {
    let enterprise = |a: &str| format!("{ENTERPRISE}:{a}");
    prop_oneof![
        6 => select(vec![
            "userName".to_owned(), "displayName".into(), "title".into(), "name.givenName".into(),
            "name.familyName".into(), "name".into(), "emails".into(), "emails.value".into(),
            "emails.type".into(), "emails.primary".into(), "active".into(), "id".into(),
            "externalId".into(), "meta.created".into(), "meta.lastModified".into(),
            "meta.version".into(), "meta.resourceType".into(), "groups".into(),
            "groups.value".into(), "groups.display".into(), "members".into(),
            "members.value".into(), "password".into(), "phoneNumbers.value".into(),
            "addresses.locality".into(), "x509Certificates.value".into(),
            "urn:ietf:params:scim:schemas:core:2.0:User:userName".into(),
            enterprise("department"), enterprise("employeeNumber"),
            enterprise("manager.value"), enterprise("manager"),
        ]),
        1 => "[a-zA-Z$_:.\\-]{0,14}",
    ]
}

fn comp_value() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => text().prop_map(|t| Value::String(t).to_string()),
        1 => "-?[0-9]{1,6}(\\.[0-9]{1,4})?(e[+-]?[0-9]{1,3})?",
        1 => select(vec!["true", "false", "null", "\"2024-02-30T25:00:00Z\"", "\"", "\"\\u00zz\""])
            .prop_map(str::to_owned),
        1 => "[^ ()\\[\\]]{0,8}",
    ]
}

fn op() -> impl Strategy<Value = String> {
    select(vec![
        "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co", "pr", "xx", "",
    ])
    .prop_map(str::to_owned)
}

/// A filter as the grammar builds it (whether or not the attributes and types fit).
pub fn filter_tree() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => (attr_path(), op(), comp_value()).prop_map(|(a, o, v)| format!("{a} {o} {v}")),
        1 => attr_path().prop_map(|a| format!("{a} pr")),
    ];
    leaf.prop_recursive(5, 40, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                select(vec!["and", "or", "AND", "Or"]),
                inner.clone()
            )
                .prop_map(|(a, j, b)| format!("{a} {j} {b}")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.clone().prop_map(|a| format!("({a})")),
            (attr_path(), inner).prop_map(|(p, a)| format!("{p}[{a}]")),
        ]
    })
}

/// Any filter text: grammatical, mutated, random, deeply nested or long.
pub fn filter() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => filter_tree(),
        2 => (filter_tree(), any::<prop::sample::Index>(), "\\PC{0,3}").prop_map(|(f, at, junk)| {
            // Grammar broken at a random place.
            let cut = f.char_indices().map(|(i, _)| i).nth(at.index(f.chars().count().max(1)));
            let cut = cut.unwrap_or(f.len());
            format!("{}{junk}{}", &f[..cut], &f[cut..].chars().skip(1).collect::<String>())
        }),
        1 => "\\PC{0,80}",
        1 => (1usize..300).prop_map(|d| format!("{}title pr{}", "(".repeat(d), ")".repeat(d))),
        1 => (1usize..300).prop_map(|d| format!("{}title pr", "not (".repeat(d))),
        1 => (1usize..400).prop_map(|n| vec!["title eq \"x\""; n].join(" or ")),
        1 => (1usize..200).prop_map(|d| format!("{}title pr{}", "emails[".repeat(d), "]".repeat(d))),
        1 => (1usize..9000).prop_map(|n| format!("title co \"{}\"", "a".repeat(n))),
    ]
}

pub fn sort_by() -> impl Strategy<Value = Option<String>> {
    prop::option::of(attr_path())
}

/// `startIndex`, `count` and friends as query-string text.
pub fn number_text() -> impl Strategy<Value = String> {
    select(vec![
        "-5",
        "0",
        "1",
        "2",
        "3",
        "50",
        "199",
        "200",
        "201",
        "99999999999999999999",
        "1.5",
        "abc",
        "",
        "+1",
        " 1",
        "0x10",
    ])
    .prop_map(str::to_owned)
}

/// A `cursor` (RFC 9865): empty (the first page), cursor-like text no server issued, or
/// anything.
pub fn cursor_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        2 => "[A-Za-z0-9_-]{0,80}",
        1 => "\\PC{0,20}",
    ]
}

/// A SearchRequest: each parameter absent, of the right type, or of any type.
pub fn search_request() -> impl Strategy<Value = Value> {
    let param =
        |right: BoxedStrategy<Value>| prop::option::of(prop_oneof![3 => right, 1 => json_value()]);
    (
        param(filter().prop_map(Value::String).boxed()),
        param(sort_by().prop_map(|s| json!(s)).boxed()),
        param(
            select(vec!["ascending", "descending", "up"])
                .prop_map(|s| json!(s))
                .boxed(),
        ),
        param((-3i64..300).prop_map(|n| json!(n)).boxed()),
        param((-3i64..300).prop_map(|n| json!(n)).boxed()),
        param(
            prop::collection::vec(attr_path(), 0..3)
                .prop_map(|v| json!(v))
                .boxed(),
        ),
        param(attr_path().prop_map(|a| json!(a)).boxed()),
        any::<bool>(),
        prop::option::of(json_value()),
        param(cursor_text().prop_map(Value::String).boxed()),
    )
        .prop_map(
            |(filter, sort_by, order, start, count, attrs, excluded, upper, extra, cursor)| {
                let mut body = Map::new();
                body.insert(
                    "schemas".into(),
                    json!(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]),
                );
                let name = |n: &str| {
                    if upper {
                        n.to_uppercase()
                    } else {
                        n.to_owned()
                    }
                };
                for (key, value) in [
                    ("filter", filter),
                    ("sortBy", sort_by),
                    ("sortOrder", order),
                    ("startIndex", start),
                    ("count", count),
                    ("attributes", attrs),
                    ("excludedAttributes", excluded),
                    ("unknownParameter", extra),
                    ("cursor", cursor),
                ] {
                    if let Some(value) = value {
                        body.insert(name(key), value);
                    }
                }
                Value::Object(body)
            },
        )
}

/// A PATCH path: attribute paths, value filters, and garbage.
fn patch_path(ids: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => attr_path(),
        2 => select(vec![
            "emails[type eq \"work\"].value", "emails[primary eq true]", "emails[value co \"@\"]",
            "name.givenName", "members", "addresses[type eq \"work\"].locality",
            "phoneNumbers[type eq \"mobile\"]", "emails[type eq \"work\"]", "schemas",
        ])
        .prop_map(str::to_owned),
        1 => select(ids).prop_map(|id| format!("members[value eq \"{id}\"]")),
        1 => (attr_path(), filter_tree()).prop_map(|(a, f)| format!("{a}[{f}]")),
        1 => "\\PC{0,20}",
    ]
}

fn patch_value(ids: Vec<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => json_value(),
        2 => text().prop_map(Value::String),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (text(), select(vec!["work", "home", "other"]), any::<bool>())
            .prop_map(|(v, t, p)| json!([{"value": v, "type": t, "primary": p}])),
        1 => prop::collection::vec(select(ids), 0..3)
            .prop_map(|ids| json!(ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>())),
        1 => (text(), text()).prop_map(|(g, f)| json!({"givenName": g, "familyName": f})),
        1 => (1usize..300).prop_map(nested),
    ]
}

/// A PatchOp body: well-formed operations with random paths and values, or anything.
pub fn patch_body(ids: Vec<String>) -> impl Strategy<Value = Value> {
    let operation = (
        select(vec![
            "add", "replace", "remove", "Add", "REPLACE", "delete", "",
        ]),
        prop::option::of(patch_path(ids.clone())),
        prop::option::of(patch_value(ids)),
    )
        .prop_map(|(op, path, value)| {
            let mut o = Map::new();
            o.insert("op".into(), json!(op));
            if let Some(path) = path {
                o.insert("path".into(), json!(path));
            }
            if let Some(value) = value {
                o.insert("value".into(), value);
            }
            Value::Object(o)
        });
    prop_oneof![
        8 => prop::collection::vec(operation, 0..4).prop_map(|ops| json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        })),
        1 => json_value(),
        1 => json_value().prop_map(|ops| json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        })),
    ]
}

/// A User or Group body: a plausible resource with one attribute replaced by anything.
pub fn resource_body(group: bool) -> impl Strategy<Value = Value> {
    let base = if group {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
               "displayName": "Prop group"})
    } else {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
               "userName": "prop@acme.example", "title": "Tester",
               "name": {"givenName": "Prop", "familyName": "Erty"},
               "emails": [{"value": "prop@acme.example", "primary": true}],
               ENTERPRISE: {"department": "QA"}})
    };
    let names = select(vec![
        "userName",
        "displayName",
        "title",
        "name",
        "emails",
        "active",
        "schemas",
        "members",
        "externalId",
        "id",
        "meta",
        "groups",
        "password",
        "phoneNumbers",
        "addresses",
        ENTERPRISE,
        "nickName",
        "urn:unknown:schema",
    ]);
    prop_oneof![
        6 => prop::collection::vec((names, json_value()), 0..3).prop_map(move |changes| {
            let mut body = base.clone();
            for (name, value) in changes {
                body[name] = value;
            }
            body
        }),
        1 => json_value(),
    ]
}

/// Body text that is not what a JSON parser hopes for.
pub fn raw_body() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..400).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        (1usize..400).prop_map(|d| format!("{{\"userName\":{}", "{\"a\":".repeat(d))),
        (1usize..3).prop_map(|k| format!("{{\"displayName\":\"{}\"}}", "x".repeat(k * 700_000))),
        "\\PC{0,60}",
        Just("{\"userName\":\"a\u{0}b@acme.example\"}".to_owned()),
        Just("{\"userName\":\"ann@acme.example\"".to_owned()),
        Just(String::new()),
    ]
}

/// A BulkRequest of one to three operations: random users and groups created, replaced and
/// patched (at the fixture's resources or at a `bulkId` of the same request), operations
/// that are any JSON at all, and any `failOnErrors`.
pub fn bulk_body(user: String, group: String, ids: Vec<String>) -> impl Strategy<Value = Value> {
    let operation = prop_oneof![
        resource_body(false)
            .prop_map(|b| json!({"method": "POST", "path": "/Users", "bulkId": "u", "data": b})),
        resource_body(true)
            .prop_map(|b| json!({"method": "POST", "path": "/Groups", "bulkId": "g", "data": b})),
        resource_body(false)
            .prop_map(move |b| json!({"method": "PUT", "path": user.clone(), "data": b})),
        patch_body(ids.clone())
            .prop_map(move |b| json!({"method": "PATCH", "path": group.clone(), "data": b})),
        patch_body(ids)
            .prop_map(|b| json!({"method": "PATCH", "path": "/Users/bulkId:u", "data": b})),
        json_value(),
    ];
    (
        prop::collection::vec(operation, 1..4),
        prop::option::of(json_value()),
    )
        .prop_map(|(operations, fail_on_errors)| {
            let mut body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": operations
            });
            if let Some(limit) = fail_on_errors {
                body["failOnErrors"] = limit;
            }
            body
        })
}
