//! The product catalogue under Okta's entitlement schema (`/Products`): Okta Identity
//! Governance offers only resource types whose schema is
//! `urn:okta:scim:schemas:core:1.0:Entitlement`, and maps id, displayName, type and
//! description. The same products, by the same ids, as `/Entitlements`.

use scimd::domain::GroupId;
use scimd::service::groups::access::grant_product;
use serde_json::{json, Value};

use crate::groups::{group, user};
use crate::helpers::*;
use crate::on_both_backends;

const OKTA_ENTITLEMENT: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";

fn ids(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Okta's discovery: the resource types, the one under its schema, that schema, then the
/// resource type's endpoint.
async fn okta_discovers_products_under_its_schema(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let types = app.scim("GET", "/ResourceTypes", token, None).await;
    assert_eq!(types.status, 200, "{}", types.body);
    let okta: Vec<&Value> = types.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rt| rt["schema"] == OKTA_ENTITLEMENT)
        .collect();
    assert_eq!(okta.len(), 1, "{}", types.body);
    assert_eq!(okta[0]["endpoint"], "/Products");
    assert_eq!(okta[0]["name"], "Product");
    let one = app.scim("GET", "/ResourceTypes/Product", token, None).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["schema"], OKTA_ENTITLEMENT);

    let schema = app
        .scim("GET", &format!("/Schemas/{OKTA_ENTITLEMENT}"), token, None)
        .await;
    assert_eq!(schema.status, 200, "{}", schema.body);
    let attributes = schema.body["attributes"].as_array().unwrap();
    let names: Vec<&str> = attributes
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    for name in ["displayName", "type", "description"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(attributes.iter().all(|a| a["mutability"] == "readOnly"));

    let listed = app.scim("GET", "/Products", token, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let drafted = app.scim("GET", "/Entitlements", token, None).await;
    assert_eq!(listed.body["totalResults"], 2);
    assert_eq!(ids(&listed.body), ids(&drafted.body));
    let jira = format!("{}:jira-software", org.site_id);
    let product = listed.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == jira.as_str())
        .expect("jira-software listed");
    assert_eq!(product["schemas"], json!([OKTA_ENTITLEMENT]));
    assert_eq!(product["displayName"], "jira-software on main");
    assert_eq!(product["type"], "Product");
    assert_eq!(
        product["description"],
        "Access to jira-software on the site main"
    );
    assert_eq!(product["meta"]["resourceType"], "Product");
    let location = product["meta"]["location"].as_str().unwrap();
    assert!(
        location.ends_with(&format!("/scim/v2/Products/{jira}")),
        "{location}"
    );
    // Only Okta's attributes: the draft's `value` and `supported` belong to /Entitlements.
    assert!(product.get("value").is_none() && product.get("supported").is_none());

    let read = app
        .scim("GET", &format!("/Products/{jira}"), token, None)
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body, *product);
    let missing = app
        .scim(
            "GET",
            &format!("/Products/{}:bitbucket", org.site_id),
            token,
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
}

async fn products_filter_page_and_search(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let filter = urlencode("displayName sw \"jira\"");
    let filtered = app
        .scim(
            "GET",
            &format!("/products?filter={filter}&count=10"),
            token,
            None,
        )
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.body);
    assert_eq!(
        ids(&filtered.body),
        vec![format!("{}:jira-software", org.site_id)]
    );
    let searched = app
        .scim(
            "POST",
            "/Products/.search",
            token,
            Some(
                json!({"sortBy": "displayName", "sortOrder": "descending", "count": 1,
                        "attributes": ["displayName"]}),
            ),
        )
        .await;
    assert_eq!(searched.status, 200, "{}", searched.body);
    assert_eq!(searched.body["totalResults"], 2);
    let first = &searched.body["Resources"][0];
    assert_eq!(first["displayName"], "jira-software on main");
    assert!(first.get("description").is_none(), "{first}");
    let unknown = app
        .scim(
            "GET",
            &format!("/Products?filter={}", urlencode("value eq \"x\"")),
            token,
            None,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.body["scimType"].as_str()),
        (400, Some("invalidFilter")),
        "{}",
        unknown.body
    );
}

async fn products_are_read_only_and_the_orgs_own(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let token = &acme.scim_token.token;
    let id = format!("{}:jira-software", acme.site_id);
    for (method, path) in [
        ("POST", "/Products".to_owned()),
        ("PUT", format!("/Products/{id}")),
        ("PATCH", format!("/Products/{id}")),
        ("DELETE", format!("/Products/{id}")),
    ] {
        let body = (method != "DELETE").then(|| json!({"displayName": "x"}));
        let reply = app.scim(method, &path, token, body).await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(reply.header("allow"), Some("GET"));
    }
    let theirs = format!("{}:jira-software", globex.site_id);
    let reply = app
        .scim("GET", &format!("/Products/{theirs}"), token, None)
        .await;
    assert_eq!(reply.status, 404);
    let listed = app.scim("GET", "/Products", token, None).await;
    assert!(!ids(&listed.body).contains(&theirs));
}

/// What Okta imports: a user's entitlements name products by the ids `/Products` lists.
async fn user_entitlements_name_listed_products(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    let g = group(&app, token, "Jira", &[&ann]).await;
    let gid: GroupId = g["id"].as_str().unwrap().parse().unwrap();
    grant_product(&app.store, gid, org.site_id, "jira-software")
        .await
        .unwrap();
    let got = app.scim("GET", &format!("/Users/{ann}"), token, None).await;
    let value = got.body["entitlements"][0]["value"].as_str().unwrap();
    let product = app
        .scim("GET", &format!("/Products/{value}"), token, None)
        .await;
    assert_eq!(product.status, 200, "{}", product.body);
    assert_eq!(product.body["type"], got.body["entitlements"][0]["type"]);
}

on_both_backends! {
    okta_discovers_products_under_its_schema => spawn_app,
    products_filter_page_and_search => spawn_app,
    products_are_read_only_and_the_orgs_own => spawn_app,
    user_entitlements_name_listed_products => spawn_app,
}
