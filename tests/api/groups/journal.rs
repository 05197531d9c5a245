//! What a member PATCH leaves behind, on both backends: the audit entry with the counts of
//! rows it changed, the provisioning log's line, the version; and nothing at all when it
//! is refused. On PostgreSQL such a PATCH is one statement that commits alone.

use scimd::store::{self, AuditScope, ProvisioningLogQuery};
use serde_json::{json, Value};

use super::*;
use crate::on_both_backends;

/// The `group.updated` entries of the org, oldest first, as their details.
async fn group_updates(app: &TestApp, org: scimd::domain::OrgId) -> Vec<Value> {
    let mut conn = app.store.read().await.expect("read");
    let mut entries = store::list_audit(&mut conn, AuditScope::Org(org), 1000)
        .await
        .expect("audit");
    entries.retain(|e| e.action == "group.updated");
    entries.reverse();
    entries.into_iter().map(|e| e.detail).collect()
}

/// The `changed` flags of the group PATCH lines of the provisioning log, oldest first.
async fn patch_lines(app: &TestApp, org: scimd::domain::OrgId) -> Vec<Option<bool>> {
    let mut conn = app.store.read().await.expect("read");
    let query = ProvisioningLogQuery {
        org: Some(org),
        limit: 1000,
        ..ProvisioningLogQuery::default()
    };
    let mut lines = store::list_provisioning_log(&mut conn, &query)
        .await
        .expect("log");
    lines.retain(|l| {
        l.entry.operation.as_str() == "patch" && l.entry.resource_type.as_str() == "Group"
    });
    lines.reverse();
    lines.into_iter().map(|l| l.entry.changed).collect()
}

fn version(reply: &Reply) -> Value {
    reply.body["meta"]["version"].clone()
}

async fn member_patches_leave_their_journal(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let (ann, bob) = ann_and_bob(&app, token).await;
    let gid = group_id(&app, token, "Ops", &[]).await;
    let path = format!("/Groups/{gid}?excludedAttributes=members");
    let postgres = app.store.backend() == scimd::store::Backend::Postgres;

    let added = app.patch(&path, token, members("add", &[&ann])).await;
    assert_eq!(added.status, 200, "{}", added.body);
    if postgres {
        assert_eq!(added.statements(), 1, "one statement, journal and all");
        assert_eq!(added.header("scimd-transactions"), Some("0"), "no BEGIN");
    }
    let removed = app.patch(&path, token, remove_member(&ann)).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_ne!(version(&added), version(&removed));
    // Asking for what is there changes nothing: no audit entry, the version kept.
    let again = app.patch(&path, token, remove_member(&ann)).await;
    assert_eq!(version(&again), version(&removed), "{}", again.body);

    let updates = group_updates(&app, acme.org_id).await;
    let counts: Vec<(Value, Value)> = updates
        .iter()
        .map(|d| (d["added"].clone(), d["removed"].clone()))
        .collect();
    assert_eq!(counts, vec![(json!(1), json!(0)), (json!(0), json!(1))]);
    for detail in &updates {
        assert_eq!(detail["group_id"], gid.as_str());
        assert_eq!(detail["renamed"], false);
        assert_eq!(detail["members_replaced"], false);
        assert_eq!(detail["token"], acme.scim_token.jti.to_string());
    }
    assert_eq!(
        patch_lines(&app, acme.org_id).await,
        vec![Some(true), Some(true), Some(false)]
    );

    // Refused: a stale If-Match, an id that is no user of the directory (beside one that
    // is), another directory's group. Each changes nothing and audits nothing.
    let old = version(&added);
    let if_match = [("If-Match", old.as_str().unwrap_or_default())];
    let body = Some(patch_op(members("add", &[&bob])));
    let stale = app.scim_with("PATCH", &path, token, body, &if_match).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let stranger = uuid::Uuid::new_v4().to_string();
    let unknown = app
        .patch(&path, token, members("add", &[&bob, &stranger]))
        .await
        .expect_scim_error(400, "invalidValue");
    unknown.assert_detail(&stranger);
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let elsewhere = app
        .patch(&path, &globex.scim_token.token, remove_member(&ann))
        .await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);
    let group = fetch(&app, token, &gid).await;
    assert!(group.get("members").is_none(), "{group}");
    assert_eq!(group["meta"]["version"], version(&removed));
    assert_eq!(group_updates(&app, acme.org_id).await.len(), 2);

    // A full response carries the members as stored.
    let full = app
        .patch(
            &format!("/Groups/{gid}"),
            token,
            members("add", &[&ann, &bob]),
        )
        .await;
    assert_eq!(ids(&full.body), sorted(&[&ann, &bob]), "{}", full.body);
}

/// Changes of one group sent at once (which PostgreSQL makes in one statement): each is
/// answered with its own outcome and version, the refused ones change nothing.
async fn concurrent_member_patches_each_get_their_own_outcome(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let mut users = Vec::new();
    for i in 0..12 {
        users.push(user(&app, token, &format!("c{i}@acme.example")).await);
    }
    let gid = group_id(&app, token, "Crowd", &[]).await;
    let v0 = fetch(&app, token, &gid).await["meta"]["version"].clone();
    let path = format!("/Groups/{gid}");
    let strangers: Vec<String> = (0..4).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let adds = users
        .iter()
        .map(|u| app.patch(&path, token, members("add", &[u])));
    let refused = strangers
        .iter()
        .map(|s| app.patch(&path, token, members("add", &[&users[0], s])));
    let (added, refused) = tokio::join!(
        futures_util::future::join_all(adds),
        futures_util::future::join_all(refused)
    );
    let mut versions = Vec::new();
    for (reply, user) in added.iter().zip(&users) {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            ids(&reply.body).contains(user),
            "its own member: {}",
            reply.body
        );
        assert_eq!(reply.header("etag"), reply.body["meta"]["version"].as_str());
        versions.push(reply.body["meta"]["version"].as_str().unwrap().to_owned());
    }
    versions.sort();
    versions.dedup();
    assert_eq!(
        versions.len(),
        users.len(),
        "each change has its own version"
    );
    for (reply, stranger) in refused.iter().zip(&strangers) {
        assert_eq!(reply.status, 400, "{}", reply.body);
        reply.assert_detail(stranger);
    }
    let group = fetch(&app, token, &gid).await;
    let all: Vec<&str> = users.iter().map(String::as_str).collect();
    assert_eq!(ids(&group), sorted(&all));
    assert_ne!(group["meta"]["version"], v0);
    let updates = group_updates(&app, acme.org_id).await;
    assert_eq!(updates.len(), users.len(), "one entry per change");
    assert!(updates.iter().all(|d| d["added"] == 1 && d["removed"] == 0));
}

/// Another directory's PATCHes of the same group id, sent among the owner's: each is a 404
/// and changes nothing, however they queue with the owner's changes.
async fn another_directorys_changes_never_ride_along(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let mut members_before = Vec::new();
    let mut newcomers = Vec::new();
    for i in 0..8 {
        members_before.push(user(&app, token, &format!("m{i}@acme.example")).await);
        newcomers.push(user(&app, token, &format!("n{i}@acme.example")).await);
    }
    let refs: Vec<&str> = members_before.iter().map(String::as_str).collect();
    let gid = group_id(&app, token, "Shared id", &refs).await;
    let path = format!("/Groups/{gid}?excludedAttributes=members");
    let mut sends = Vec::new();
    for (member, newcomer) in members_before.iter().zip(&newcomers) {
        sends.push(app.patch(&path, token, members("add", &[newcomer])));
        sends.push(app.patch(&path, &globex.scim_token.token, remove_member(member)));
    }
    let replies = futures_util::future::join_all(sends).await;
    for (i, reply) in replies.iter().enumerate() {
        let expected = if i % 2 == 0 { 200 } else { 404 };
        assert_eq!(reply.status, expected, "request {i}: {}", reply.body);
    }
    let mut all: Vec<&str> = refs.clone();
    all.extend(newcomers.iter().map(String::as_str));
    assert_eq!(ids(&fetch(&app, token, &gid).await), sorted(&all));
}

/// Changes sent at once, each naming the same version in `If-Match`: the first to be made
/// moves the version, so every other one is a 412 and changes nothing, even when they go
/// in one statement.
async fn one_if_match_wins_among_changes_sent_at_once(app: TestApp) {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let token = &acme.scim_token.token;
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(user(&app, token, &format!("i{i}@acme.example")).await);
    }
    let gid = group_id(&app, token, "Guarded", &[]).await;
    let version = fetch(&app, token, &gid).await["meta"]["version"]
        .as_str()
        .expect("a version")
        .to_owned();
    let path = format!("/Groups/{gid}?excludedAttributes=members");
    let if_match = [("If-Match", version.as_str())];
    let sends = users.iter().map(|u| {
        let body = Some(patch_op(members("add", &[u])));
        app.scim_with("PATCH", &path, token, body, &if_match)
    });
    let replies = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        9,
        "{statuses:?}"
    );
    let winner = replies.iter().zip(&users).find(|(r, _)| r.status == 200);
    let (_, winner) = winner.expect("one change was made");
    assert_eq!(ids(&fetch(&app, token, &gid).await), vec![winner.clone()]);
    assert_eq!(group_updates(&app, acme.org_id).await.len(), 1);
}

on_both_backends! {
    member_patches_leave_their_journal => spawn_app,
    one_if_match_wins_among_changes_sent_at_once => spawn_app,
    another_directorys_changes_never_ride_along => spawn_app,
    concurrent_member_patches_each_get_their_own_outcome => spawn_app,
}
