//! Group create, read, list, replace and delete: members, uniqueness, filters, ETags, rule 18.

use serde_json::json;

use super::*;
use crate::on_both_backends;

async fn create_read_and_project(app: TestApp) {
    let token = &app.acme_token().await;
    let ann = user(&app, token, "ann@acme.example").await;
    let body = json!({"displayName": "Engineering", "externalId": "okta-eng", "members": [{"value": ann, "display": "ignored"}]});
    let reply = app.post("/Groups", token, body).await.expect_status(201);
    let id = reply.id();
    let location = reply.header("location").unwrap().to_owned();
    assert!(location.ends_with(&format!("/scim/v2/Groups/{id}")));
    assert_eq!(reply.body["meta"]["location"], location);
    assert_eq!(reply.body["meta"]["resourceType"], "Group");
    assert_eq!(reply.header("etag").unwrap(), reply.body["meta"]["version"]);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])
    );
    assert_eq!(reply.body["externalId"], "okta-eng");
    let member = &reply.body["members"][0];
    assert_eq!(member["value"], ann);
    assert_eq!(
        member["display"], "User ann@acme.example",
        "the account's name, not the client's"
    );
    assert_eq!(member["type"], "User");
    assert!(member["$ref"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{ann}")));

    let got = fetch(&app, token, &id).await;
    assert_eq!(got, reply.body);
    let slim = app
        .get(&format!("/Groups/{id}?excludedAttributes=members"), token)
        .await;
    assert!(slim.body.get("members").is_none());
    assert_eq!(slim.body["displayName"], "Engineering");
    let only = app
        .get(&format!("/Groups/{id}?attributes=displayName"), token)
        .await;
    assert_eq!(
        only.body,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": id, "displayName": "Engineering"})
    );

    // The User resource lists its direct groups.
    let u = app.get(&format!("/Users/{ann}"), token).await;
    assert_eq!(u.body["groups"][0]["value"], id);
    assert_eq!(u.body["groups"][0]["display"], "Engineering");
    let members_of = app
        .get(&format!("/Users?filter=groups.value eq \"{id}\""), token)
        .await;
    assert_eq!(members_of.body["totalResults"], 1);
}

async fn names_are_unique_and_members_must_be_own_users(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let other = app.bootstrap("Other", &["other.example"]).await;
    let token = &acme.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    let foreign = user(&app, &other.scim_token.token, "zed@other.example").await;
    let g = group(&app, token, "Engineering", &[&ann]).await;
    let gid = g["id"].as_str().unwrap();

    let dup = app
        .post("/Groups", token, json!({"displayName": "ENGINEERING"}))
        .await;
    dup.expect_scim_error(409, "uniqueness");
    group(&app, &other.scim_token.token, "Engineering", &[]).await;
    let sales = group(&app, token, "Sales", &[]).await;
    let rename = app
        .patch(
            &format!("/Groups/{}", sales["id"].as_str().unwrap()),
            token,
            replace("displayName", "engineering"),
        )
        .await;
    rename.expect_scim_error(409, "uniqueness");

    for bad in [
        json!([{"value": foreign}]),
        json!([{"value": "not-an-id"}]),
        json!([{"value": gid, "type": "Group"}]),
    ] {
        let created = json!({"displayName": "New", "members": bad});
        let added = json!([{"op": "add", "path": "members", "value": bad}]);
        let path = format!("/Groups/{gid}");
        for r in [
            app.post("/Groups", token, created).await,
            app.patch(&path, token, added).await,
        ] {
            assert_eq!(
                (r.status, r.body["scimType"].as_str()),
                (400, Some("invalidValue")),
                "{bad}: {}",
                r.body
            );
        }
    }
    let list = app.get("/Groups", token).await;
    assert_eq!(
        list.body["totalResults"], 2,
        "nothing created by the refused requests"
    );
    let now = fetch(&app, token, gid).await;
    assert_eq!(ids(&now), vec![ann.clone()]);
    assert_eq!(
        now["meta"]["version"], g["meta"]["version"],
        "nothing changed"
    );

    // Rule 18: another directory's group does not exist for this one.
    let theirs = app.get("/Groups", &other.scim_token.token).await;
    let their_id = theirs.body["Resources"][0]["id"].as_str().unwrap();
    let path = format!("/Groups/{their_id}");
    for method in ["GET", "DELETE"] {
        let r = app.scim(method, &path, token, None).await;
        assert_eq!(r.status, 404, "{method}");
    }
    let remove = json!([{"op": "remove", "path": "members"}]);
    assert_eq!(app.patch(&path, token, remove).await.status, 404);
}

async fn filters_sorting_and_paging(app: TestApp) {
    let token = &app.acme_token().await;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let eng = group(&app, token, "Engineering", &[&ann, &bob]).await;
    group(&app, token, "Sales", &[&bob]).await;
    group(&app, token, "Admins", &[]).await;
    let eng_id = eng["id"].as_str().unwrap();
    let names = |body: &Value| -> Vec<String> {
        body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["displayName"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |query: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("/Groups?{query}"), token).await;
            assert_eq!(r.status, 200, "{query}: {}", r.body);
            r.body
        }
    };
    let q = |filter: &str| format!("filter={}", urlencode(filter));
    assert_eq!(
        names(&list(q("displayName eq \"engineering\"")).await),
        ["Engineering"]
    );
    assert_eq!(
        names(&list(q(&format!("members[value eq \"{bob}\"]")) + "&sortBy=displayName").await),
        ["Engineering", "Sales"]
    );
    assert_eq!(
        names(&list(q(&format!("members.value eq \"{ann}\""))).await),
        ["Engineering"]
    );
    assert_eq!(
        names(&list(q("externalId eq \"none\"")).await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&list(q(&format!("id eq \"{eng_id}\""))).await),
        ["Engineering"]
    );
    assert_eq!(
        names(
            &list(q(
                "meta.created gt \"2000-01-01T00:00:00Z\" and not (members pr)"
            ))
            .await
        ),
        ["Admins"]
    );
    let page = list(
        "sortBy=displayName&sortOrder=descending&startIndex=2&count=1&excludedAttributes=members"
            .into(),
    )
    .await;
    assert_eq!(
        (page["totalResults"].as_i64(), names(&page)),
        (Some(3), vec!["Engineering".to_owned()])
    );
    assert!(page["Resources"][0].get("members").is_none());
    let with_members = list(q("displayName eq \"Sales\"")).await;
    assert_eq!(ids(&with_members["Resources"][0]), vec![bob.clone()]);

    let search = app
        .post("/Groups/.search", token, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName sw \"s\"", "attributes": ["displayName"]}))
        .await;
    assert_eq!(search.status, 200);
    assert_eq!(names(&search.body), ["Sales"]);
    assert!(search.body["Resources"][0].get("members").is_none());
    for bad in [
        "filter=userName eq \"x\"",
        "filter=displayName eq",
        "sortBy=members",
    ] {
        let r = app.get(&format!("/Groups?{bad}"), token).await;
        assert_eq!(r.status, 400, "{bad}");
    }
}

async fn put_etags_and_delete(app: TestApp) {
    let token = &app.acme_token().await;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let g = group(&app, token, "Ops", &[&ann]).await;
    let gid = g["id"].as_str().unwrap();
    let etag = g["meta"]["version"].as_str().unwrap();
    let path = format!("/Groups/{gid}");

    let r = app
        .scim_with("GET", &path, token, None, &[("If-None-Match", etag)])
        .await;
    assert_eq!(r.status, 304);
    let put = json!({"displayName": "Operations", "members": [{"value": bob}]});
    let if_match = [("If-Match", etag)];
    let put_if_match = || app.scim_with("PUT", &path, token, Some(put.clone()), &if_match);
    let r = put_if_match().await.expect_status(200);
    assert_eq!(
        (r.body["displayName"].as_str(), ids(&r.body)),
        (Some("Operations"), vec![bob.clone()])
    );
    let stale = put_if_match().await;
    assert_eq!(stale.status, 412);
    // Replacing with what is there already writes nothing: the version stays.
    let same = app.put(&path, token, put).await.expect_status(200);
    assert_eq!(same.header("etag"), r.header("etag"), "nothing changed");
    let r = app
        .put(&path, token, json!({"displayName": "Operations"}))
        .await;
    assert!(
        r.body.get("members").is_none(),
        "PUT without members empties the group"
    );
    let stale = app
        .scim_with("DELETE", &path, token, None, &[("If-Match", etag)])
        .await;
    assert_eq!(stale.status, 412);

    patch_ok(&app, token, gid, members("add", &[&ann])).await;
    let r = app.delete(&path, token).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&path, token).await.status, 404);
    let u = app.get(&format!("/Users/{ann}"), token).await;
    assert!(
        u.body.get("groups").is_none(),
        "membership ended with the group: {}",
        u.body
    );
    assert_eq!(
        app.scim("PATCH", "/Groups/.search", token, None)
            .await
            .status,
        405
    );
}

on_both_backends! {
    create_read_and_project => spawn_app,
    names_are_unique_and_members_must_be_own_users => spawn_app,
    filters_sorting_and_paging => spawn_app,
    put_etags_and_delete => spawn_app,
}
