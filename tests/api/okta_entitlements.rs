//! The product catalogue under Okta's entitlement schema (`/Products`): Okta Identity
//! Governance offers only resource types whose schema is
//! `urn:okta:scim:schemas:core:1.0:Entitlement`, and maps id, displayName, type and
//! description. The same products, by the same ids, as `/Entitlements`.

use serde_json::{json, Value};

use crate::entitlements::read_only;
use crate::groups::{jira_group, user};
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
    let types = app.get("/ResourceTypes", token).await.expect_status(200);
    let okta: Vec<&Value> = types.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rt| rt["schema"] == OKTA_ENTITLEMENT)
        .collect();
    assert_eq!(okta.len(), 1, "{}", types.body);
    assert_eq!(okta[0]["endpoint"], "/Products");
    assert_eq!(okta[0]["name"], "Product");
    let one = app
        .get("/ResourceTypes/Product", token)
        .await
        .expect_status(200);
    assert_eq!(one.body["schema"], OKTA_ENTITLEMENT);

    let schema = app
        .get(&format!("/Schemas/{OKTA_ENTITLEMENT}"), token)
        .await
        .expect_status(200);
    let attributes = schema.body["attributes"].as_array().unwrap();
    let names: Vec<&str> = attributes
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    for name in ["displayName", "type", "description"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(attributes.iter().all(|a| a["mutability"] == "readOnly"));

    let listed = app.get("/Products", token).await.expect_status(200);
    let drafted = app.get("/Entitlements", token).await;
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
        .get(&format!("/Products/{jira}"), token)
        .await
        .expect_status(200);
    assert_eq!(read.body, *product);
    let missing = app
        .get(&format!("/Products/{}:bitbucket", org.site_id), token)
        .await;
    assert_eq!(missing.status, 404);
}

async fn products_filter_page_and_search(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let filter = urlencode("displayName sw \"jira\"");
    let filtered = app
        .get(&format!("/products?filter={filter}&count=10"), token)
        .await
        .expect_status(200);
    assert_eq!(
        ids(&filtered.body),
        vec![format!("{}:jira-software", org.site_id)]
    );
    let searched = app
        .post(
            "/Products/.search",
            token,
            json!({"sortBy": "displayName", "sortOrder": "descending", "count": 1,
                        "attributes": ["displayName"]}),
        )
        .await
        .expect_status(200);
    assert_eq!(searched.body["totalResults"], 2);
    let first = &searched.body["Resources"][0];
    assert_eq!(first["displayName"], "jira-software on main");
    assert!(first.get("description").is_none(), "{first}");
    let unknown = app.filtered("/Products", r#"value eq "x""#, token).await;
    unknown.expect_scim_error(400, "invalidFilter");
}

async fn products_are_read_only_and_the_orgs_own(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let token = &acme.scim_token.token;
    let id = format!("{}:jira-software", acme.site_id);
    read_only(&app, token, "/Products", &id, "displayName").await;
    let theirs = format!("{}:jira-software", globex.site_id);
    let reply = app.get(&format!("/Products/{theirs}"), token).await;
    assert_eq!(reply.status, 404);
    let listed = app.get("/Products", token).await;
    assert!(!ids(&listed.body).contains(&theirs));
}

/// What Okta imports: a user's entitlements name products by the ids `/Products` lists.
async fn user_entitlements_name_listed_products(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = user(&app, token, "ann@acme.example").await;
    jira_group(&app, token, &[&ann], org.site_id).await;
    let got = app.get(&format!("/Users/{ann}"), token).await;
    let value = got.body["entitlements"][0]["value"].as_str().unwrap();
    let product = app
        .get(&format!("/Products/{value}"), token)
        .await
        .expect_status(200);
    assert_eq!(product.body["type"], got.body["entitlements"][0]["type"]);
}

on_both_backends! {
    okta_discovers_products_under_its_schema => spawn_app,
    products_filter_page_and_search => spawn_app,
    products_are_read_only_and_the_orgs_own => spawn_app,
    user_entitlements_name_listed_products => spawn_app,
}
