//! SQLite lookups an index serves (GET of a user or a group by id; `userName`,
//! `externalId` and `id` eq; unfiltered pages) run on the request's own thread through the store's own connections (`store::inline_reads`).
//! They must read exactly what sqlx's readers read, and nothing else may take that path.

use scimd::store::{get_directory_group, get_scim_user, user_link_facts, Backend, Derived};
use serde_json::{json, Value};

use crate::groups::{jira_group, user};
use crate::helpers::*;
use crate::on_both_backends;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A user with something in every kind of column: the record's own attributes, the
/// account's profile and extension, an external id, a deactivated status.
fn ann() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ann@acme.example",
        "externalId": "00u-ann",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "displayName": "Ann Lee",
        "title": "Engineer",
        "active": false,
        "emails": [
            {"value": "ann@acme.example", "type": "work", "primary": true},
            {"value": "ann.lee@acme.example", "type": "other"}
        ],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
        ENTERPRISE: {"department": "R&D", "employeeNumber": "42"}
    })
}

/// The one resource of a list.
#[track_caller]
fn only(page: &Reply) -> Value {
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["totalResults"], 1, "{}", page.body);
    page.body["Resources"][0].clone()
}

async fn listed(app: &TestApp, token: &str, filter: &str) -> Value {
    let path = format!("/Users?filter={}", urlencode(filter));
    only(&app.get(&path, token).await)
}

async fn lookups_read_what_sqlx_reads(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &org.scim_token.token;
    let ann = app.create_user(token, ann()).await.id();
    let bob = user(&app, token, "bob@acme.example").await;
    let jira = jira_group(&app, token, &[&ann, &bob], org.site_id).await;
    let users = [(&ann, "ann@acme.example"), (&bob, "bob@acme.example")];

    // Lists no index bounds: through sqlx's readers on either backend.
    let mut through_sqlx = Vec::new();
    let before_scans = app.server_store.inline_statements();
    for (_, name) in users {
        let filter = format!("userName eq \"{name}\" or title eq \"nobody's\"");
        through_sqlx.push(listed(&app, token, &filter).await);
    }
    let scanned_page = app.get("/Users?filter=userName%20pr", token).await;
    let group_filter = urlencode("displayName eq \"Jira\"");
    let groups = format!("/Groups?filter={group_filter}&excludedAttributes=members");
    let listed_group = only(&app.get(&groups, token).await);
    let by_title = listed(&app, token, "title eq \"Engineer\"").await;
    assert_eq!(by_title, through_sqlx[0]);
    assert_eq!(
        app.server_store.inline_statements(),
        before_scans,
        "an `or`, or `eq` on an attribute no index serves, may scan: never on the request's thread"
    );

    let before = app.server_store.inline_statements();
    let mut lookups = 0;
    for ((id, name), expected) in users.into_iter().zip(&through_sqlx) {
        let got = app
            .get(&format!("/Users/{id}"), token)
            .await
            .expect_status(200);
        assert_eq!(&got.body, expected, "GET /Users/{name}");
        for filter in [
            format!("userName eq \"{}\"", name.to_uppercase()),
            format!("id eq \"{id}\""),
        ] {
            assert_eq!(&listed(&app, token, &filter).await, expected, "{filter}");
        }
        lookups += 3;
    }
    assert_eq!(
        &listed(&app, token, "externalId eq \"00u-ann\"").await,
        &through_sqlx[0]
    );
    // An unfiltered page walks the directory's index: inline too, in the same order.
    let page = app.get("/Users?count=10", token).await.expect_status(200);
    assert_eq!(page.body["Resources"], scanned_page.body["Resources"]);
    assert_eq!(page.body["totalResults"], 2);
    lookups += 2;
    // A group by id, with its members (read apart, through sqlx) or without.
    let path = format!("/Groups/{jira}?excludedAttributes=members");
    let group = app.get(&path, token).await.expect_status(200);
    assert_eq!(group.body, listed_group);
    let with_members = app.get(&format!("/Groups/{jira}"), token).await;
    assert_eq!(
        with_members.body["members"].as_array().map(Vec::len),
        Some(2)
    );
    lookups += 2;
    assert_eq!(through_sqlx[0]["groups"][0]["display"], "Jira");
    assert_eq!(through_sqlx[0][ENTERPRISE]["department"], "R&D");
    assert_eq!(through_sqlx[0]["active"], false);
    match app.store.backend() {
        Backend::Sqlite => assert_eq!(
            app.server_store
                .inline_statements()
                .zip(before)
                .map(|(a, b)| a - b),
            Some(lookups),
            "each lookup one statement on the request's thread"
        ),
        Backend::Postgres => assert_eq!(app.server_store.inline_statements(), None),
    }

    // The store's records, field by field: a read outside a transaction (on SQLite, the
    // request's thread) and one inside (sqlx, on the writer) decode the same.
    let mut conn = app.store.read().await.unwrap();
    let mut tx = app.store.begin().await.unwrap();
    for (id, _) in users {
        let id = id.parse().unwrap();
        let read = get_scim_user(&mut conn, org.directory_id, id, Derived::ALL).await;
        let read = read.unwrap().expect("the user");
        let in_tx = get_scim_user(&mut tx, org.directory_id, id, Derived::ALL).await;
        assert_eq!(Some(&read), in_tx.unwrap().as_ref());
        assert_eq!(read.groups.len(), 1);
        assert_eq!(read.entitlements.len(), 1);
    }
    let group = get_directory_group(&mut conn, org.directory_id, jira)
        .await
        .unwrap();
    let in_tx = get_directory_group(&mut tx, org.directory_id, jira)
        .await
        .unwrap();
    assert_eq!(group.expect("the group").display_name, "Jira");
    assert_eq!(
        get_directory_group(&mut conn, org.directory_id, jira)
            .await
            .unwrap(),
        in_tx
    );
    // What a create reads before it takes the writer: an email's account (if any) and its
    // domain's owner. (On PostgreSQL the read locks a found account: the transaction reads
    // after the connection.)
    let before = app.store.inline_statements();
    for (email, domain) in [
        ("ann@acme.example", "acme.example"),
        ("new@acme.example", "acme.example"),
        ("new@elsewhere.example", "elsewhere.example"),
    ] {
        let dir = org.directory_id;
        let read = user_link_facts(&mut conn, dir, email, domain)
            .await
            .unwrap();
        let in_tx = user_link_facts(&mut tx, dir, email, domain).await.unwrap();
        assert_eq!(read, in_tx, "{email}");
        let owner = read.domain_owner;
        assert_eq!(
            owner,
            (domain == "acme.example").then_some(org.org_id),
            "{email}"
        );
        match read.account {
            Some(ann) => {
                assert_eq!(email, "ann@acme.example");
                assert!(ann.provisioned_here);
                let counts = (ann.records, ann.groups.len(), ann.entitlements.len());
                assert_eq!(counts, (1, 1, 1));
            }
            None => assert_ne!(email, "ann@acme.example"),
        }
    }
    let inline = app
        .store
        .inline_statements()
        .zip(before)
        .map(|(a, b)| a - b);
    match app.store.backend() {
        Backend::Sqlite => assert_eq!(inline, Some(3), "each read on the test's thread"),
        Backend::Postgres => assert_eq!(inline, None),
    }
    tx.rollback().await.unwrap();
}

/// Readers that map the file read what the others read; on PostgreSQL the option changes
/// nothing.
async fn mapped_readers_read_what_sqlx_reads(app: TestApp) {
    if app.store.backend() == Backend::Sqlite {
        let mut conn = app.server_store.read().await.expect("a reader");
        let mapped: i64 = scimd::store::query("PRAGMA mmap_size")
            .scalar(&mut conn)
            .await
            .expect("mmap_size");
        assert_eq!(mapped, 8 * 1024 * 1024, "the readers map the file");
        let mut unmapped = app.store.read().await.expect("a reader");
        let default: i64 = scimd::store::query("PRAGMA mmap_size")
            .scalar(&mut unmapped)
            .await
            .expect("mmap_size");
        assert_eq!(default, 0, "off unless asked for");
    }
    lookups_read_what_sqlx_reads(app).await;
}

on_both_backends! {
    lookups_read_what_sqlx_reads => spawn_app,
    mapped_readers_read_what_sqlx_reads => spawn_app_with_mapped_readers,
}
