//! The statement budget of each SCIM operation (issue: storage rebuilt for speed), counted by
//! the server itself (`Scimd-Statements`) on both backends. A regression that adds a
//! statement per row, a separate count or a token lookup per request fails here.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

fn transactions(reply: &Reply) -> u32 {
    reply
        .header("scimd-transactions")
        .and_then(|v| v.parse().ok())
        .expect("the test server exposes transaction counts")
}

fn user(name: &str, i: usize) -> Value {
    let email = format!("{name}@acme.example");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "externalId": format!("ext-{name}"),
        "name": {"givenName": "User", "familyName": format!("N{i}")},
        "displayName": format!("User {i}"),
        "title": "Engineer",
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    })
}

/// Requests whose status and statement count are checked.
struct Budget<'a> {
    app: &'a TestApp,
    token: &'a str,
}

impl Budget<'_> {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
        budget: u32,
    ) -> Reply {
        let reply = self.app.scim(method, path, self.token, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        let ran = reply.statements();
        assert!(
            ran <= budget,
            "{method} {path} ran {ran} statements; its budget is {budget}"
        );
        reply
    }

    /// A GET answered 200 within `budget` statements.
    async fn get(&self, path: &str, budget: u32) -> Reply {
        self.send("GET", path, None, 200, budget).await
    }

    /// A POST answered 201 within `budget` statements.
    async fn post(&self, path: &str, body: Value, budget: u32) -> Reply {
        self.send("POST", path, Some(body), 201, budget).await
    }

    /// A PATCH or PUT answered 200 within `budget` statements.
    async fn write(&self, method: &str, path: &str, body: Value, budget: u32) -> Reply {
        self.send(method, path, Some(body), 200, budget).await
    }
}

/// Waits until the server answers this token from memory: a GET of one user costs exactly
/// its one statement then.
async fn warm_token_cache(app: &TestApp, token: &str, id: &str) {
    for _ in 0..50 {
        let reply = app.get(&format!("/Users/{id}"), token).await;
        if reply.statements() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token check never stopped reading the database");
}

async fn scim_operations_keep_their_statement_budgets(app: TestApp) {
    let token = &app.acme_token().await;
    let scim = Budget { app: &app, token };

    let mut ids = Vec::new();
    for i in 0..120 {
        let name = format!("user{i:03}");
        ids.push(scim.post("/Users", user(&name, i), 7).await.id());
    }
    warm_token_cache(&app, token, &ids[0]).await;

    // Reads: one statement each, whatever the lookup key, with groups and the total.
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Engineering", "members": [{"value": ids[5]}]});
    let gid = scim.post("/Groups", group, 7).await.id();
    let read = scim.get(&format!("/Users/{}", ids[5]), 1).await;
    let groups = &read.body["groups"];
    assert_eq!(groups[0]["value"], gid.as_str(), "groups come along");
    for filter in [
        "userName%20eq%20%22user005@acme.example%22",
        "externalId%20eq%20%22ext-user005%22",
        "emails.value%20eq%20%22user005@acme.example%22",
        "emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22user005@acme.example%22",
        &format!("id%20eq%20%22{}%22", ids[5]),
    ] {
        let found = scim.get(&format!("/Users?filter={filter}"), 1).await;
        assert_eq!(found.body["totalResults"], 1, "{filter}");
        let first = &found.body["Resources"][0];
        assert_eq!(first["id"], ids[5].as_str(), "{filter}");
        assert_eq!(first["groups"][0]["value"], gid.as_str());
    }
    // A filtered page counts in a second statement only when it cannot tell the total
    // itself (full, or not from the first match); the totals stay right.
    let full = "/Users?filter=userName%20sw%20%22user0%22&count=10";
    let full = scim.get(full, 2).await;
    assert_eq!(full.body["totalResults"], 100, "user000 to user099");
    let further = "/Users?filter=userName%20sw%20%22user0%22&startIndex=96&count=10";
    let further = scim.get(further, 2).await;
    assert_eq!(further.body["totalResults"], 100);
    assert_eq!(further.body["Resources"].as_array().unwrap().len(), 5);
    let none = scim
        .get("/Users?filter=userName%20eq%20%22nobody%22", 1)
        .await;
    assert_eq!(none.body["totalResults"], 0);
    // New ids are time-ordered (UUID v7), so inserts append to the id indexes.
    for id in [&ids[0], &ids[119], &gid] {
        let parsed = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(parsed.get_version_num(), 7, "{id}");
    }
    assert!(ids[0] < ids[119], "later ids sort after earlier ones");
    let page = scim.get("/Users?startIndex=1&count=100", 3).await;
    assert_eq!(page.body["totalResults"], 120);
    assert_eq!(page.body["Resources"].as_array().unwrap().len(), 100);
    let sorted = scim
        .get("/Users?sortBy=title&count=100&startIndex=11", 3)
        .await;
    assert_eq!(sorted.body["Resources"].as_array().unwrap().len(), 100);
    let past_end = scim.get("/Users?startIndex=500", 3).await;
    let total = &past_end.body["totalResults"];
    assert_eq!(total, 120, "a page past the end still counts");

    // Cursor pages seek their position on the index: one statement, the total included,
    // at the end of the list as at its start.
    let first = scim.get("/Users?cursor=&count=100", 1).await;
    let next = first.body["nextCursor"].as_str().unwrap();
    let deep = scim
        .get(&format!("/Users?cursor={next}&count=100"), 1)
        .await;
    assert_eq!(deep.body["totalResults"], 120);
    assert_eq!(deep.body["Resources"].as_array().unwrap().len(), 20);
    let sorted_cursor = scim.get("/Users?cursor=&sortBy=title&count=100", 1).await;
    let resources = sorted_cursor.body["Resources"].as_array().unwrap();
    assert_eq!(resources.len(), 100);

    // Writes.
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let user7 = format!("/Users/{}", ids[7]);
    // The budget is 5: the write answers with what it read and wrote, so no read
    // back. On PostgreSQL the read, then the account's write with the journal in one
    // statement (its CTEs) that takes the account's lock and commits alone. SQLite sends
    // the write's statements and the journal in one text with the COMMIT, counted
    // statement by statement.
    let write_budget = match app.store.backend() {
        scimd::store::Backend::Postgres => 2,
        scimd::store::Backend::Sqlite => 4,
    };
    let postgres = app.store.backend() == scimd::store::Backend::Postgres;
    let patched = scim.write("PATCH", &user7, deactivate, write_budget).await;
    assert_eq!(patched.body["active"], false);
    if postgres {
        assert_eq!(transactions(&patched), 0, "no BEGIN, no COMMIT");
    }
    let mut replacement = user("user008", 8);
    replacement["title"] = json!("Manager");
    let put = scim
        .write(
            "PUT",
            &format!("/Users/{}", ids[8]),
            replacement,
            write_budget,
        )
        .await;
    assert_eq!(put.body["title"], "Manager");
    if postgres {
        assert_eq!(transactions(&put), 0, "no BEGIN, no COMMIT");
    }
    // The directory's own record alone (its account unchanged): the same.
    let record_only = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "externalId", "value": "ext-user007-moved"}]});
    let moved = scim.write("PATCH", &user7, record_only, write_budget).await;
    assert_eq!(moved.body["externalId"], "ext-user007-moved");
    if postgres {
        assert_eq!(transactions(&moved), 0, "no BEGIN, no COMMIT");
    }
    let add_member = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[9]}]}]});
    let group_path = format!("/Groups/{gid}?excludedAttributes=members");
    // An empty group, as IdPs create them, goes with its journal in one text: on
    // PostgreSQL one statement that commits alone, on SQLite one text for the writer's
    // queue (the group and the journal's one insert); no transaction held open either way.
    let empty_group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                             "displayName": "Empty"});
    let empty = scim
        .post("/Groups", empty_group, if postgres { 1 } else { 2 })
        .await;
    assert_eq!(transactions(&empty), 0, "{}", empty.body);
    let logged = read_i64_of(
        &app.store,
        "SELECT COUNT(*) FROM provisioning_log WHERE resource_id = $1",
        uuid::Uuid::parse_str(&empty.id()).unwrap(),
    )
    .await;
    assert_eq!(logged, 1, "the journal came with it");

    // On PostgreSQL a change of a few members is one statement that commits alone.
    let member_budget = if postgres { 1 } else { 4 };
    let added = scim
        .write("PATCH", &group_path, add_member, member_budget)
        .await;
    if postgres {
        assert_eq!(transactions(&added), 0, "no BEGIN, no COMMIT");
    }
    let read = scim.get(&format!("/Users/{}", ids[9]), 1).await;
    let groups = &read.body["groups"];
    assert_eq!(groups[0]["value"], gid.as_str(), "the add is stored");

    // On PostgreSQL a create of a new account, once this process has read its domain's
    // owner, reads nothing: it goes on that owner and on the email taken as free, which
    // its write checks, in one statement with its journal that commits alone (no BEGIN,
    // no COMMIT).
    let create_budget = if postgres { 1 } else { 7 };
    {
        let created = scim
            .post("/Users", user("user120", 120), create_budget)
            .await;
        if postgres {
            assert_eq!(transactions(&created), 0, "{}", created.body);
        }
        let id = created.id();
        let logged = read_i64_of(
            &app.store,
            "SELECT COUNT(*) FROM provisioning_log WHERE resource_id = $1",
            uuid::Uuid::parse_str(&id).unwrap(),
        )
        .await;
        assert_eq!(logged, 1, "the journal came with it");
        scim.get(&format!("/Users/{id}"), 1).await;
    }
}

/// A POST that links an account the email already has (rule 12) keeps the create budget
/// too: the IdP's everyday re-provisioning of a user it deleted (the org's own account,
/// its profile updated and reactivated) and a guest whose account another org manages
/// (linked as it is).
async fn linking_creates_keep_the_create_budget(app: TestApp) {
    let token = &app.acme_token().await;
    let partner = app.bootstrap("Partner", &["partner.example"]).await;
    let partner_token = &partner.scim_token.token;
    let scim = Budget { app: &app, token };

    let first = scim.post("/Users", user("ann", 1), 7).await.id();
    warm_token_cache(&app, token, &first).await;
    let deleted = app.delete(&format!("/Users/{first}"), token).await;
    assert_eq!(deleted.status, 204);
    app.assert_account_status(
        "ann@acme.example",
        scimd::domain::AccountStatus::Deactivated,
    )
    .await;
    let account = app.account_id("ann@acme.example").await;
    let mut resent = user("ann", 1);
    resent["title"] = json!("Manager");
    resent["emails"] = json!([
        {"value": "ann@acme.example", "type": "work", "primary": true},
        {"value": "ann.home@mail.example", "type": "home"}
    ]);
    let linked = scim.post("/Users", resent, 7).await;
    assert_ne!(linked.id(), first, "a new record");
    assert_eq!(linked.body["title"], "Manager", "{}", linked.body);
    assert_eq!(linked.body["active"], true);
    assert_eq!(linked.body["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.account_id("ann@acme.example").await, account, "linked");
    app.assert_account_status("ann@acme.example", scimd::domain::AccountStatus::Active)
        .await;
    let read = scim.get(&format!("/Users/{}", linked.id()), 1).await;
    assert_eq!(read.body["title"], "Manager", "stored");
    // Nothing was read back: the answer is built from what was read and written.
    assert_eq!(linked.body, read.body, "the answer is what a read shows");
    assert_eq!(linked.header("etag"), read.header("etag"));
    let home = "/Users?filter=emails.value%20eq%20%22ann.home@mail.example%22";
    let found = scim.get(home, 1).await;
    assert_eq!(
        found.body["totalResults"], 1,
        "the new address is looked up"
    );

    let guest = user("guest", 2);
    let mut guest_body = guest.clone();
    guest_body["userName"] = json!("guest@partner.example");
    guest_body["emails"] = json!([{"value": "guest@partner.example", "primary": true}]);
    let theirs = app.create_user(partner_token, guest_body.clone()).await;
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();
    warm_token_cache(&app, partner_token, &theirs).await;
    guest_body["title"] = json!("Not ours to set");
    let external = scim.post("/Users", guest_body, 7).await;
    assert_eq!(external.body["active"], true);
    let read = scim.get(&format!("/Users/{}", external.id()), 1).await;
    assert_eq!(external.body, read.body, "as a stranger sees it");
    let account = app.account("guest@partner.example").await;
    assert_eq!(account.managing_org, Some(partner.org_id), "still theirs");
    assert_eq!(
        account.profile["title"], "Engineer",
        "the profile is theirs (rule 14)"
    );
}

on_both_backends! {
    scim_operations_keep_their_statement_budgets => spawn_app,
    linking_creates_keep_the_create_budget => spawn_app,
}
