//! Product access as SCIM entitlements (draft-ietf-scim-roles-entitlements-01): the
//! read-only `/Entitlements` catalogue and a User's derived, read-only `entitlements`.

use scimd::domain::SiteId;
use scimd::store::{insert_site, Site};
use serde_json::{json, Value};

use crate::groups::{ann_and_bob, jira_group, user};
use crate::helpers::*;
use crate::on_both_backends;

const ENTITLEMENT: &str = "urn:ietf:params:scim:schemas:core:2.0:Entitlement";

async fn second_site(app: &TestApp, org: scimd::domain::OrgId) -> SiteId {
    let site = Site {
        id: SiteId::new(),
        org_id: org,
        name: "wiki".into(),
        products: vec!["confluence".into()],
        created_at: scimd::store::now_micros() + 1,
    };
    let mut tx = app.store.begin().await.unwrap();
    insert_site(&mut tx, &site).await.unwrap();
    tx.commit().await.unwrap();
    site.id
}

fn values(user: &Value) -> Vec<String> {
    user["entitlements"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| e["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn discovery_lists_entitlements(app: TestApp) {
    let token = &app.acme_token().await;
    let types = app.get("/ResourceTypes", token).await;
    let entitlement = item(&types.body["Resources"], "id", "Entitlement");
    assert_eq!(entitlement["endpoint"], "/Entitlements");
    assert_eq!(entitlement["schema"], ENTITLEMENT);
    let schema = app
        .get(&format!("/Schemas/{ENTITLEMENT}"), token)
        .await
        .expect_status(200);
    let names = strings(&schema.body["attributes"], "name");
    for name in ["value", "display", "displayName", "type", "supported"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let user_schema = app
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", token)
        .await;
    let ent = item(&user_schema.body["attributes"], "name", "entitlements");
    assert_eq!(ent["mutability"], "readOnly");
    let spc = app.get("/ServiceProviderConfig", token).await;
    let re = &spc.body["RolesAndEntitlements"];
    assert_eq!(re["entitlements"]["supported"], true);
    assert_eq!(re["entitlements"]["types"], json!(["Product"]));
    assert_eq!(re["roles"]["supported"], false);
}

async fn entitlements_are_listed_filtered_paged_and_read(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let wiki = second_site(&app, org.org_id).await;
    let main = org.site_id;
    let all = app.get("/Entitlements", token).await.expect_status(200);
    assert_eq!(all.body["totalResults"], 3);
    assert_eq!(
        resource_ids(&all.body),
        vec![
            format!("{main}:confluence"),
            format!("{main}:jira-software"),
            format!("{wiki}:confluence"),
        ]
    );
    let first = &all.body["Resources"][1];
    assert_eq!(first["schemas"], json!([ENTITLEMENT]));
    assert_eq!(first["value"], first["id"]);
    assert_eq!(first["type"], "Product");
    assert_eq!(first["display"], "jira-software on main");
    assert_eq!(first["displayName"], first["display"]);
    assert_eq!(first["supported"], true);

    let confluence = r#"displayName co "confluence""#;
    let filtered = app.filtered("/Entitlements", confluence, token).await;
    assert_eq!(filtered.body["totalResults"], 2, "{}", filtered.body);
    let value = format!("value eq \"{wiki}:confluence\"");
    let by_value = app.filtered("/Entitlements", &value, token).await;
    assert_eq!(
        resource_ids(&by_value.body),
        vec![format!("{wiki}:confluence")]
    );
    let page = app.get("/Entitlements?startIndex=2&count=1", token).await;
    assert_eq!(page.body["totalResults"], 3);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(
        resource_ids(&page.body),
        vec![format!("{main}:jira-software")]
    );
    let search = app
        .post("/Entitlements/.search", token, json!({"filter": "type eq \"Product\"", "sortBy": "display", "sortOrder": "descending", "count": 1}))
        .await.expect_status(200);
    assert_eq!(search.body["totalResults"], 3);
    assert_eq!(
        resource_ids(&search.body),
        vec![format!("{main}:jira-software")]
    );
    let bad = app
        .filtered("/Entitlements", r#"userName eq "x""#, token)
        .await;
    bad.expect_scim_error(400, "invalidFilter");

    let one = app
        .get(&format!("/Entitlements/{main}:jira-software"), token)
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, *first);
    for missing in [
        format!("{main}:bitbucket"),
        format!("{}:confluence", SiteId::new()),
        "jira-software".to_owned(),
    ] {
        let reply = app.get(&format!("/Entitlements/{missing}"), token).await;
        assert_eq!(reply.status, 404, "{missing}");
    }
}

/// POST, PUT, PATCH and DELETE on a catalogue (`/Entitlements`, `/Products`) and its item
/// `id` are each 405 allowing only GET; the replies, for what else a test checks. `field`
/// names the one attribute of the bodies sent.
pub(crate) async fn read_only(
    app: &TestApp,
    token: &str,
    catalogue: &str,
    id: &str,
    field: &str,
) -> Vec<Reply> {
    let item = format!("{catalogue}/{id}");
    let mut replies = Vec::new();
    for (method, path) in [
        ("POST", catalogue),
        ("PUT", &item),
        ("PATCH", &item),
        ("DELETE", &item),
    ] {
        let body = (method != "DELETE").then(|| json!({ field: "x" }));
        let reply = app.scim(method, path, token, body).await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(reply.header("allow"), Some("GET"));
        replies.push(reply);
    }
    replies
}

async fn entitlements_are_read_only(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let id = format!("{}:jira-software", org.site_id);
    for reply in read_only(&app, token, "/Entitlements", &id, "value").await {
        reply.assert_detail("grant");
    }
    let after = app.get("/Entitlements", token).await;
    assert_eq!(after.body["totalResults"], 2);
}

/// Another org's sites and grants never show: not in the catalogue, not by id, and not in
/// the entitlements of an account both orgs' directories provision.
async fn another_orgs_products_never_appear(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let (acme_token, globex_token) = (&acme.scim_token.token, &globex.scim_token.token);
    let listed = app.get("/Entitlements", acme_token).await;
    assert!(resource_ids(&listed.body)
        .iter()
        .all(|id| id.starts_with(&acme.site_id.to_string())));
    let theirs = format!("{}:jira-software", globex.site_id);
    let reply = app
        .get(&format!("/Entitlements/{theirs}"), acme_token)
        .await;
    assert_eq!(reply.status, 404);

    let at_acme = user(&app, acme_token, "ann@acme.example").await;
    let at_globex = user(&app, globex_token, "ann@acme.example").await;
    jira_group(&app, globex_token, &[&at_globex], globex.site_id).await;
    let seen_by_globex = app.get(&format!("/Users/{at_globex}"), globex_token).await;
    assert_eq!(values(&seen_by_globex.body), vec![theirs.clone()]);
    let seen_by_acme = app.get(&format!("/Users/{at_acme}"), acme_token).await;
    assert!(
        seen_by_acme.body.get("entitlements").is_none(),
        "{}",
        seen_by_acme.body
    );
    let filter = urlencode(&format!("entitlements[value eq \"{theirs}\"]"));
    let found = app
        .get(&format!("/Users?filter={filter}"), acme_token)
        .await;
    assert_eq!(found.body["totalResults"], 0, "{}", found.body);
}

async fn user_entitlements_follow_groups(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let gid = jira_group(&app, token, &[&ann], org.site_id).await;
    let jira = format!("{}:jira-software", org.site_id);

    let got = app.get(&format!("/Users/{ann}"), token).await;
    assert_eq!(
        got.body["entitlements"],
        json!([{"value": jira, "display": "jira-software on main", "type": "Product"}])
    );
    let filter = urlencode(&format!("entitlements[value eq \"{jira}\"]"));
    let found = app.get(&format!("/Users?filter={filter}"), token).await;
    assert_eq!(resource_ids(&found.body), vec![ann.clone()]);
    assert_eq!(values(&found.body["Resources"][0]), vec![jira.clone()]);
    let excluded = app
        .get(
            &format!("/Users/{ann}?excludedAttributes=entitlements"),
            token,
        )
        .await;
    assert!(excluded.body.get("entitlements").is_none());
    let bob_got = app.get(&format!("/Users/{bob}"), token).await;
    assert!(bob_got.body.get("entitlements").is_none());

    // Removed from the group, ann loses the product at once.
    app.scim(
        "PATCH",
        &format!("/Groups/{gid}"),
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]
        })),
    )
    .await
    .expect_status(200);
    let got = app.get(&format!("/Users/{ann}"), token).await;
    assert!(got.body.get("entitlements").is_none(), "{}", got.body);
}

fn refused(reply: &Reply) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["scimType"], "mutability");
    reply.assert_detail("grant the product to a group");
}

async fn writing_entitlements_is_refused_unless_unchanged(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    jira_group(&app, token, &[&ann], org.site_id).await;
    let jira = format!("{}:jira-software", org.site_id);
    let wiki = format!("{}:confluence", org.site_id);
    let path = format!("/Users/{ann}");
    let before = app.get(&path, token).await;

    for ops in [
        json!([{"op": "add", "path": "entitlements", "value": [{"value": wiki}]}]),
        json!([{"op": "replace", "path": "entitlements", "value": [{"value": wiki}]}]),
        json!([{"op": "remove", "path": "entitlements"}]),
        json!([{"op": "remove", "path": format!("entitlements[value eq \"{jira}\"]")}]),
        json!([{"op": "replace", "path": format!("entitlements[value eq \"{wiki}\"].display"), "value": "x"}]),
        json!([{"op": "replace", "value": {"displayName": "Ann", "entitlements": [{"value": wiki}]}}]),
    ] {
        refused(&app.patch(&path, token, ops.clone()).await);
    }
    let mut put = before.body.clone();
    put["displayName"] = json!("Changed");
    put["entitlements"] = json!([{"value": jira}, {"value": wiki}]);
    refused(&app.put(&path, token, put.clone()).await);
    let after = app.get(&path, token).await;
    assert_eq!(after.body, before.body, "nothing changed");

    // Repeating the current value (IdPs send back what they read) is not a change.
    app
        .patch(&path, token, json!([{"op": "replace", "path": "entitlements", "value": [{"value": jira, "type": "Product"}]}]))
        .await.expect_status(200);
    put["entitlements"] = json!([{"value": jira}]);
    let put_same = app.put(&path, token, put.clone()).await.expect_status(200);
    assert_eq!(put_same.body["displayName"], "Changed");
    put.as_object_mut().unwrap().remove("entitlements");
    let put_without = app.put(&path, token, put).await.expect_status(200);
    assert_eq!(values(&put_without.body), vec![jira.clone()]);

    // A new user has no product access to assert.
    let post = app
        .post(
            "/Users",
            token,
            json!({"userName": "cy@acme.example", "entitlements": [{"value": jira}]}),
        )
        .await;
    refused(&post);
    let filter = urlencode("userName eq \"cy@acme.example\"");
    let none = app.get(&format!("/Users?filter={filter}"), token).await;
    assert_eq!(none.body["totalResults"], 0);
    app.create_user(
        token,
        json!({"userName": "cy@acme.example", "entitlements": []}),
    )
    .await;
}

/// A group with several grants is one group, and a product reached through several groups
/// is one entitlement, whether a backend reads the two apart or together.
async fn groups_and_entitlements_each_once(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let (ann, _bob) = ann_and_bob(&app, token).await;
    let both = jira_group(&app, token, &[&ann], org.site_id).await;
    let grant = scimd::domain::ProductAccessChange::Grant;
    let store = &app.store;
    scimd::service::groups::access::change_product(store, both, org.site_id, "confluence", grant)
        .await
        .unwrap();
    let again = crate::groups::group(&app, token, "Jira too", &[&ann]).await;
    let again_id = again["id"].as_str().unwrap().parse().unwrap();
    scimd::service::groups::access::change_product(
        store,
        again_id,
        org.site_id,
        "jira-software",
        grant,
    )
    .await
    .unwrap();
    let plain = crate::groups::group(&app, token, "Plain", &[&ann]).await;
    // A local group (the org's own, no directory's): product access, no SCIM group.
    let admin = &org.admin_token.token;
    let local_groups = format!("/orgs/{}/groups", org.org_id);
    let local = app
        .admin_create(&local_groups, admin, json!({"name": "Local"}))
        .await;
    let local_id = local.body["id"].as_str().unwrap().parse().unwrap();
    scimd::service::groups::access::change_product(
        store,
        local_id,
        org.site_id,
        "confluence",
        grant,
    )
    .await
    .unwrap();
    let account = app.account_id("ann@acme.example").await;
    let members = format!("{local_groups}/{local_id}/members");
    let added = app
        .admin_post(&members, admin, json!({"account_ids": [account]}))
        .await;
    assert_eq!(added.status, 200, "{}", added.body);

    let got = app.get(&format!("/Users/{ann}"), token).await;
    let mut groups: Vec<&str> = got.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["value"].as_str().unwrap())
        .collect();
    groups.sort_unstable();
    let both = both.to_string();
    let mut expected = vec![
        both.as_str(),
        again["id"].as_str().unwrap(),
        plain["id"].as_str().unwrap(),
    ];
    expected.sort_unstable();
    assert_eq!(groups, expected, "each group once: {}", got.body);
    let products: Vec<&str> = got.body["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    let site = org.site_id;
    assert_eq!(
        products,
        vec![
            format!("{site}:confluence"),
            format!("{site}:jira-software")
        ],
        "each product once, by site, then product"
    );
    let page = app.get("/Users", token).await;
    let first = page.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ann.as_str())
        .unwrap();
    assert_eq!(first["groups"], got.body["groups"], "a page reads the same");
    assert_eq!(first["entitlements"], got.body["entitlements"]);
}

on_both_backends! {
    discovery_lists_entitlements => spawn_app,
    entitlements_are_listed_filtered_paged_and_read => spawn_app,
    entitlements_are_read_only => spawn_app,
    another_orgs_products_never_appear => spawn_app,
    user_entitlements_follow_groups => spawn_app,
    writing_entitlements_is_refused_unless_unchanged => spawn_app,
    groups_and_entitlements_each_once => spawn_app,
}
