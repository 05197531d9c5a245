//! Ids, flags and times as PostgreSQL stores them natively (uuid, boolean, timestamptz) give
//! the answers text and integers gave: an id that is not a UUID finds nothing (never a
//! failed cast), text comparisons on ids still work, and sorts follow the same order.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": user_name, "type": "work", "primary": true}],
    })
}

fn enc(filter: &str) -> String {
    percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn total(app: &TestApp, token: &str, resource: &str, filter: &str) -> Value {
    let r = app
        .get(&format!("/{resource}?filter={}", enc(filter)), token)
        .await;
    assert_eq!(r.status, 200, "{filter}: {}", r.body);
    r.body["totalResults"].clone()
}

async fn ids_that_are_not_uuids_find_nothing(app: TestApp) {
    let token = &app.acme_token().await;
    let ann = app.create_user(token, user("ann@acme.example")).await;
    let ann_id = ann.body["id"].as_str().expect("id").to_owned();
    let bob = app.post("/Users", token, user("bob@acme.example")).await;
    let bob_id = bob.body["id"].as_str().expect("id").to_owned();
    let group = app
        .post(
            "/Groups",
            token,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Engineers",
                "members": [{"value": ann_id}]
            }),
        )
        .await
        .expect_status(201);
    let group_id = group.body["id"].as_str().expect("id").to_owned();

    for resource in ["Users", "Groups"] {
        // (A URL's id is parsed as a UUID in any of its spellings, as it always was.)
        for bad in ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g"] {
            let path = format!("/{resource}/{}", enc(bad));
            for method in ["GET", "DELETE"] {
                let r = app.scim(method, &path, token, None).await;
                assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
            }
            let r = app
                .scim(
                    "PATCH",
                    &path,
                    token,
                    Some(json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]
                    })),
                )
                .await;
            assert_eq!(r.status, 404, "PATCH {path}: {}", r.body);
        }
    }

    // `id` is caseExact: only the id as the server wrote it matches, as with text ids.
    let users = [
        (format!("id eq \"{ann_id}\""), 1),
        ("id eq \"not-a-uuid\"".to_owned(), 0),
        (format!("id eq \"{}\"", ann_id.to_uppercase()), 0),
        ("id ne \"not-a-uuid\"".to_owned(), 2),
        (format!("id ne \"{ann_id}\""), 1),
        (format!("not (id eq \"{ann_id}\") and id pr"), 1),
        // New ids begin with their creation time, so a short prefix may be shared.
        (format!("id sw \"{}\"", &ann_id[..35]), 1),
        (format!("id co \"{}\"", &ann_id[9..18]), 1),
        (
            format!("id gt \"{}\"", ann_id.clone().min(bob_id.clone())),
            1,
        ),
        (format!("groups.value eq \"{group_id}\""), 1),
        ("groups.value eq \"not-a-uuid\"".to_owned(), 0),
        ("emails.primary eq true".to_owned(), 2),
        ("emails[primary eq false]".to_owned(), 0),
        ("meta.created gt \"2000-01-01T00:00:00Z\"".to_owned(), 2),
        (
            "meta.lastModified lt \"2000-01-01T00:00:00Z\"".to_owned(),
            0,
        ),
    ];
    for (filter, expected) in users {
        assert_eq!(
            total(&app, token, "Users", &filter).await,
            expected,
            "{filter}"
        );
    }
    // `members.value` is not caseExact: an upper-cased id still names the member.
    let groups = [
        (format!("members[value eq \"{ann_id}\"]"), 1),
        (format!("members.value eq \"{}\"", ann_id.to_uppercase()), 1),
        (format!("members[value eq \"{bob_id}\"]"), 0),
        ("members[value eq \"not-a-uuid\"]".to_owned(), 0),
        ("members.value ne \"not-a-uuid\"".to_owned(), 1),
        (format!("id eq \"{group_id}\""), 1),
        ("id eq \"x\"".to_owned(), 0),
    ];
    for (filter, expected) in groups {
        assert_eq!(
            total(&app, token, "Groups", &filter).await,
            expected,
            "{filter}"
        );
    }

    // A member that is not a UUID is refused as before, and changes nothing.
    app.scim(
        "PATCH",
        &format!("/Groups/{group_id}"),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": "not-a-uuid"}]}]
        })),
    )
    .await
    .expect_status(400);
    let after = app.get(&format!("/Groups/{group_id}"), token).await;
    assert_eq!(after.body["members"].as_array().map(Vec::len), Some(1));

    // Sorting by id orders as the ids' text does; by time, in creation order.
    let mut expected = vec![ann_id.clone(), bob_id.clone()];
    expected.sort();
    let sorted = app.get("/Users?sortBy=id", token).await;
    let got: Vec<&str> = sorted.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(got, expected);
    let by_time = app
        .get("/Users?sortBy=meta.created&sortOrder=descending", token)
        .await;
    assert_eq!(by_time.body["Resources"][0]["id"], bob_id.as_str());
}

on_both_backends! {
    ids_that_are_not_uuids_find_nothing => spawn_app,
}
