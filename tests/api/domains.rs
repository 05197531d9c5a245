//! Domain verification needs DNS proof (issue 10 item 4): a challenge, a TXT record served by
//! the test's own DNS server, a check; until then the domain is pending and changes nothing.

use serde_json::{json, Value};

use crate::admin::{admin_of, assert_problem, invite, provision, set_status};
use crate::dns::Behaviour;
use crate::helpers::*;
use crate::on_both_backends;

fn domains_path(org: &scimd::service::bootstrap::BootstrapOutcome) -> String {
    format!("/orgs/{}/domains", org.org_id)
}

/// An org admin asks to verify domain `d`.
pub(crate) async fn request(
    app: &TestApp,
    org: &scimd::service::bootstrap::BootstrapOutcome,
    d: &str,
) -> Reply {
    app.admin_post(&domains_path(org), admin_of(org), json!({"domain": d}))
        .await
}

async fn check(app: &TestApp, org: &scimd::service::bootstrap::BootstrapOutcome, d: &str) -> Reply {
    let path = format!("{}/{d}/check", domains_path(org));
    app.admin_post(&path, admin_of(org), None).await
}

async fn managed_emails(
    app: &TestApp,
    org: &scimd::service::bootstrap::BootstrapOutcome,
) -> Vec<String> {
    let path = format!("/orgs/{}/accounts", org.org_id);
    let reply = app.admin_get(&path, admin_of(org)).await.expect_status(200);
    reply.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_owned())
        .collect()
}

/// The whole path: pending with a challenge, refused until the right record is published,
/// then verified, and only then managing the accounts on the domain (rule 20).
async fn a_domain_is_verified_only_by_its_txt_record(env: WithDns) {
    let WithDns { app, dns } = env;
    let a = app.bootstrap("A", &["a.example"]).await;
    invite(&app, &a, json!({"emails": ["later@new.example"]})).await;

    let pending = request(&app, &a, "New.Example").await.expect_status(201);
    assert_eq!(pending.body["domain"], "new.example");
    assert_eq!(pending.body["state"], "pending");
    assert!(
        pending.body.get("verified_at").is_none(),
        "{}",
        pending.body
    );
    let challenge = pending.body["challenge"].clone();
    assert_eq!(challenge["record_type"], "TXT");
    assert_eq!(challenge["record_name"], "_scimd-challenge.new.example");
    let value = challenge["record_value"].as_str().unwrap().to_owned();
    let token = value
        .strip_prefix("scimd-verification=")
        .expect("record format");
    assert!(token.len() >= 32, "{token}");

    let again = request(&app, &a, "new.example").await;
    assert_eq!(again.status, 200, "asking again changes nothing");
    assert_eq!(
        again.body["challenge"]["record_value"],
        value.as_str(),
        "same token"
    );
    assert!(
        managed_emails(&app, &a).await.is_empty(),
        "pending changes nothing"
    );

    // NXDOMAIN: nothing published yet.
    let missing = check(&app, &a, "new.example").await;
    assert_problem(&missing, 409, "domain_proof_missing");
    let detail = missing.body["detail"].as_str().unwrap();
    assert!(detail.contains("_scimd-challenge.new.example"), "{detail}");
    assert!(detail.contains(&value), "{detail}");
    assert_eq!(dns.queries(), ["_scimd-challenge.new.example"]);

    dns.publish(
        "_scimd-challenge.new.example",
        &["v=spf1 -all", "scimd-verification=guess"],
    );
    let wrong = check(&app, &a, "new.example").await;
    assert_problem(&wrong, 409, "domain_proof_mismatch");
    assert!(
        wrong.body["detail"].as_str().unwrap().contains(&value),
        "{}",
        wrong.body
    );
    assert!(
        managed_emails(&app, &a).await.is_empty(),
        "a wrong token proves nothing"
    );

    dns.publish("_scimd-challenge.new.example", &["v=spf1 -all", &value]);
    let verified = check(&app, &a, "new.example").await.expect_status(200);
    assert_eq!(verified.body["changed"], true);
    assert_eq!(verified.body["state"], "verified");
    assert!(verified.body["verified_at"].is_string());
    assert_eq!(
        managed_emails(&app, &a).await,
        ["later@new.example"],
        "rule 20"
    );

    let twice = check(&app, &a, "new.example").await;
    assert_eq!((twice.status, &twice.body["changed"]), (200, &json!(false)));
    let listed = app.admin_get(&domains_path(&a), admin_of(&a)).await;
    let states: Vec<(String, String)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap().into(),
                d["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("a.example".into(), "verified".into()),
            ("new.example".into(), "verified".into())
        ]
    );
    let audit = app
        .admin_get(&format!("/orgs/{}/audit?limit=5", a.org_id), admin_of(&a))
        .await;
    let actions: Vec<&Value> = audit.body["entries"].as_array().unwrap().iter().collect();
    assert_eq!(actions[0]["action"], "domain.verified");
    assert_eq!(actions[0]["detail"]["proof"], "dns_txt");
    assert_eq!(actions[1]["action"], "domain.challenge_issued");
}

/// A pending domain changes nothing: the org neither manages its accounts nor blocks the
/// real owner, whose own proof wins; the squatter's check is then refused.
async fn a_pending_domain_changes_nothing(env: WithDns) {
    let WithDns { app, dns } = env;
    let squatter = app.bootstrap("Squatter", &["squat.example"]).await;
    let owner = app.bootstrap("Owner", &["owner.example"]).await;
    let scim_id = provision(&app, &squatter, "vic@victim.example").await;
    let vic = app.account_id("vic@victim.example").await;

    let claim = request(&app, &squatter, "victim.example").await;
    assert_eq!(
        (claim.status, &claim.body["state"]),
        (201, &json!("pending"))
    );
    let patch = replace("active", false);
    app.patch(
        &format!("/Users/{scim_id}"),
        &squatter.scim_token.token,
        patch,
    )
    .await
    .expect_status(403);
    assert_problem(
        &set_status(&app, admin_of(&squatter), vic, "deactivate").await,
        403,
        "owner_only",
    );
    app.admin_delete(&format!("/accounts/{vic}"), admin_of(&squatter))
        .await
        .expect_status(403);

    let real = request(&app, &owner, "victim.example").await;
    assert_eq!((real.status, &real.body["state"]), (201, &json!("pending")));
    assert_ne!(
        real.body["challenge"]["record_value"],
        claim.body["challenge"]["record_value"]
    );
    // The squatter's own record at the name proves nothing for the owner, and the reverse.
    let squat_value = claim.body["challenge"]["record_value"]
        .as_str()
        .unwrap()
        .to_owned();
    dns.publish("_scimd-challenge.victim.example", &[&squat_value]);
    assert_problem(
        &check(&app, &owner, "victim.example").await,
        409,
        "domain_proof_mismatch",
    );
    let owner_value = real.body["challenge"]["record_value"]
        .as_str()
        .unwrap()
        .to_owned();
    dns.publish("_scimd-challenge.victim.example", &[&owner_value]);
    check(&app, &owner, "victim.example")
        .await
        .expect_status(200);
    assert_eq!(managed_emails(&app, &owner).await, ["vic@victim.example"]);

    let late = check(&app, &squatter, "victim.example").await;
    assert_problem(&late, 403, "domain_verified_by_other_org");
    assert_eq!(late.body["managing_org"], json!(owner.org_id));
    let listed = app
        .admin_get(&domains_path(&squatter), admin_of(&squatter))
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "the squatter's challenge is gone"
    );
    let none = check(&app, &squatter, "nothing.example").await;
    assert_problem(&none, 409, "domain_not_pending");
}

/// A DNS server that fails or does not answer is a clear 503, never a 500, and the domain
/// stays pending.
async fn dns_failures_are_clear_problems(env: WithDns) {
    let WithDns { app, dns } = env;
    let a = app.bootstrap("A", &["a.example"]).await;
    let pending = request(&app, &a, "slow.example").await;
    let value = pending.body["challenge"]["record_value"]
        .as_str()
        .unwrap()
        .to_owned();
    dns.publish("_scimd-challenge.slow.example", &[&value]);

    dns.behave(Behaviour::ServFail);
    let failed = check(&app, &a, "slow.example").await;
    assert_problem(&failed, 503, "dns_unavailable");
    failed.assert_detail("_scimd-challenge.slow.example");
    dns.behave(Behaviour::Silent);
    let silent = check(&app, &a, "slow.example").await;
    assert_problem(&silent, 503, "dns_unavailable");
    assert!(managed_emails(&app, &a).await.is_empty());
    let listed = app.admin_get(&domains_path(&a), admin_of(&a)).await;
    assert_eq!(listed.body[1]["state"], "pending", "{}", listed.body);

    dns.behave(Behaviour::Answer);
    assert_eq!(check(&app, &a, "slow.example").await.status, 200);
}

/// `--allow-unproven-domains`: verified on request, logged and audited as unproven.
async fn the_operator_may_waive_the_proof(app: TestApp) {
    let a = app.bootstrap("A", &["a.example"]).await;
    let b = app.bootstrap("B", &["b.example"]).await;
    let verified = request(&app, &a, "air.example").await.expect_status(201);
    assert_eq!(verified.body["state"], "verified");
    let audit = app
        .admin_get(&format!("/orgs/{}/audit?limit=1", a.org_id), admin_of(&a))
        .await;
    let entry = &audit.body["entries"][0];
    assert_eq!(entry["action"], "domain.verified");
    assert_eq!(entry["detail"]["proof"], "none");
    assert_eq!(entry["detail"]["allow_unproven_domains"], true);
    // Still one org per domain, and still no public suffixes.
    assert_problem(
        &request(&app, &b, "air.example").await,
        403,
        "domain_verified_by_other_org",
    );
    assert_problem(&request(&app, &b, "co.uk").await, 400, "public_suffix");
}

on_both_backends! {
    a_domain_is_verified_only_by_its_txt_record => spawn_app_with_dns,
    a_pending_domain_changes_nothing => spawn_app_with_dns,
    dns_failures_are_clear_problems => spawn_app_with_dns,
    the_operator_may_waive_the_proof => spawn_app_allowing_unproven_domains,
}
