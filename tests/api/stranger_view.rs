//! A directory that links an account another org manages sees it only as a stranger may
//! (email, name, display name, status): never that org's HR data or its directory's ids.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn assert_stranger_view(resource: &Value, what: &str) {
    assert_eq!(resource["userName"], "ann@a.example", "{what}");
    assert_eq!(resource["name"]["givenName"], "Ann", "{what}");
    assert_eq!(resource["displayName"], "Ann Lee", "{what}");
    assert_eq!(resource["active"], true, "{what}");
    assert_eq!(
        resource["emails"],
        json!([{"value": "ann@a.example", "primary": true}]),
        "{what}"
    );
    for hidden in ["title", "nickName", "locale", ENTERPRISE] {
        assert!(
            resource.get(hidden).is_none(),
            "{what} shows {hidden}: {resource}"
        );
    }
    let text = resource.to_string();
    for secret in [
        "E-1234",
        "CC-9",
        "Finance",
        "home@private.example",
        "Controller",
    ] {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
    assert_eq!(
        resource["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
}

async fn another_orgs_account_is_seen_as_a_stranger(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let boss = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "boss@a.example",
                      "emails": [{"value": "boss@a.example", "primary": true}]});
    let boss = app.post("/Users", &a.scim_token.token, boss).await;
    let boss_id = boss.id();
    let ann = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ann@a.example",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "displayName": "Ann Lee", "nickName": "Annie", "title": "Controller", "locale": "fi-FI",
        "emails": [{"value": "ann@a.example", "type": "work", "primary": true},
                   {"value": "home@private.example", "type": "home"}],
        ENTERPRISE: {"employeeNumber": "E-1234", "costCenter": "CC-9", "department": "Finance",
                     "manager": {"value": boss_id}},
    });
    let created = app.create_user(&a.scim_token.token, ann).await;
    assert_eq!(
        created.body[ENTERPRISE]["employeeNumber"], "E-1234",
        "its own org sees all"
    );

    // B's directory links the account A manages.
    let link = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "ann@a.example", "externalId": "b-ann",
                      "emails": [{"value": "ann@a.example", "primary": true}]});
    let linked = app.create_user(&b.scim_token.token, link).await;
    assert_stranger_view(&linked.body, "the create's answer");
    assert_eq!(linked.body["externalId"], "b-ann", "B's own record is B's");
    let id = linked.body["id"].as_str().unwrap();
    let read = app.get(&format!("/Users/{id}"), &b.scim_token.token).await;
    assert_stranger_view(&read.body, "a read");
    let found = app
        .get(
            "/Users?filter=userName%20eq%20%22ann@a.example%22",
            &b.scim_token.token,
        )
        .await;
    assert_stranger_view(&found.body["Resources"][0], "a lookup");
    let patch = replace("externalId", "b-ann-2");
    let patched = app
        .patch(&format!("/Users/{id}"), &b.scim_token.token, patch)
        .await
        .expect_status(200);
    assert_stranger_view(&patched.body, "a PATCH's answer");

    // Filters see what responses show: nothing to probe.
    for (filter, expected) in [
        ("title%20eq%20%22Controller%22", 0),
        ("title%20pr", 0),
        ("emails.value%20eq%20%22home@private.example%22", 0),
        (
            &format!("{}:employeeNumber%20eq%20%22E-1234%22", ENTERPRISE),
            0,
        ),
        ("emails.value%20eq%20%22ann@a.example%22", 1),
        ("name.givenName%20eq%20%22Ann%22", 1),
        ("not%20(title%20eq%20%22Controller%22)", 1),
    ] {
        let reply = app
            .get(&format!("/Users?filter={filter}"), &b.scim_token.token)
            .await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], expected, "{filter} from B");
    }
    let sorted = app.get("/Users?sortBy=title", &b.scim_token.token).await;
    assert_eq!(sorted.status, 200);
    let mine = app
        .get(
            "/Users?filter=title%20eq%20%22Controller%22",
            &a.scim_token.token,
        )
        .await;
    assert_eq!(mine.body["totalResults"], 1, "its own org finds it");

    // A still sees everything.
    let own = app
        .get(&format!("/Users/{}", created.id()), &a.scim_token.token)
        .await;
    assert_eq!(own.body["title"], "Controller");
    assert_eq!(own.body[ENTERPRISE]["manager"]["value"], boss_id.as_str());
}

on_both_backends! {
    another_orgs_account_is_seen_as_a_stranger => spawn_app,
}
