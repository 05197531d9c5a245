//! The console's session and form security, over HTTP as a browser speaks it: CSRF tokens,
//! `Origin`, cookies, signing in and out, and what it refuses at the door.

use scimd::service::admin::tokens::{issue_admin_token, AdminTokenFor};

use super::{site_user, world, Browserless, World};
use crate::helpers::*;
use crate::on_both_backends;

/// Acme's admin signed in to the console, the session's CSRF token, and the form action that
/// suspends Ann (invited to Acme's site).
async fn suspending_ann<'a>(app: &'a TestApp, w: &World) -> (Browserless<'a>, String, String) {
    let mut admin = Browserless::new(app);
    let csrf = admin.signed_in(&w.acme.admin_token.token).await;
    let ann = app.account_id("ann@acme.example").await;
    let suspend = format!("/console/sites/{}/users/{ann}/suspend", w.acme.site_id);
    (admin, csrf, suspend)
}

/// A POST without the session's CSRF token (none, made up, or another session's) is refused
/// with 403 and changes nothing; with it, the action happens.
async fn a_post_without_its_csrf_token_changes_nothing(app: TestApp) {
    let w = world(&app).await;
    let (mut admin, csrf, suspend) = suspending_ann(&app, &w).await;

    let mut other = Browserless::new(&app);
    let site_token = app
        .admin_token(AdminTokenFor::Site {
            site: w.acme.site_id,
            account: None,
        })
        .await;
    let others = other.signed_in(&site_token).await;
    assert_ne!(others, csrf, "each session has its own token");

    for fields in [
        vec![],
        vec![("csrf", "AAAA")],
        vec![("csrf", others.as_str())],
    ] {
        let refused = admin.post(&suspend, &fields).await.expect_status(403);
        assert!(refused.is_html());
        assert!(refused
            .body
            .contains("security token is missing or does not belong to this session"));
        assert_eq!(
            site_user(&app, &w.acme, "ann@acme.example").await["access"],
            "invited"
        );
    }
    let sign_out = admin.post("/console/sign-out", &[]).await;
    assert_eq!(sign_out.status, 403, "signing out needs the token too");

    admin
        .post(&suspend, &[("csrf", &csrf)])
        .await
        .expect_status(303);
    assert_eq!(
        site_user(&app, &w.acme, "ann@acme.example").await["access"],
        "suspended"
    );
}

/// A form posted from another site's page is refused even with the right token.
async fn forms_from_another_site_are_refused(app: TestApp) {
    let w = world(&app).await;
    let (mut admin, csrf, suspend) = suspending_ann(&app, &w).await;
    let fields = [("csrf", csrf.as_str())];
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("referer", "http://evil.example/page")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "http://127.0.0.1:1")],
    ] {
        let refused = admin.post_with(&suspend, &fields, &headers).await;
        assert_eq!(refused.status, 403, "{headers:?}: {}", refused.body);
        assert!(
            refused.body.contains("sent from another site"),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        site_user(&app, &w.acme, "ann@acme.example").await["access"],
        "invited"
    );
    // Without Origin or Referer (some privacy settings drop them) the token alone decides.
    admin
        .post_with(&suspend, &fields, &[])
        .await
        .expect_status(303);
}

/// Signing in needs the sign-in page's own cookie and token; tokens the admin API would
/// refuse are refused with the reason; the session cookie is HttpOnly, SameSite=Strict and
/// scoped to /console.
async fn signing_in(app: TestApp) {
    let w = world(&app).await;
    let mut browser = Browserless::new(&app);
    let no_form = browser
        .post("/console/sign-in", &[("token", &w.acme.admin_token.token)])
        .await
        .expect_status(403);
    assert!(no_form.body.contains("sign-in form's cookie is missing"));

    let form = browser.get("/console/sign-in").await;
    let nonce = form.set_cookies();
    assert!(nonce[0].starts_with("scimd_console_login="), "{nonce:?}");
    let mut stranger = Browserless::new(&app);
    let strangers = stranger.get("/console/sign-in").await.csrf();
    let forged = browser
        .post(
            "/console/sign-in",
            &[("csrf", &strangers), ("token", &w.acme.admin_token.token)],
        )
        .await;
    assert_eq!(
        forged.status, 403,
        "another browser's sign-in form: {}",
        forged.body
    );

    let csrf = form.csrf();
    for (token, says) in [
        ("not.a.token", "the token is malformed"),
        (
            w.acme.scim_token.token.as_str(),
            "the token is malformed or its signature, issuer or audience is wrong",
        ),
    ] {
        let refused = browser
            .post("/console/sign-in", &[("csrf", &csrf), ("token", token)])
            .await
            .expect_status(401);
        assert!(
            refused.body.contains("That token was refused"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains(says), "{}", refused.body);
        assert!(!browser.cookies.contains_key("scimd_console"));
    }
    // A site user's token with the basic role administers nothing.
    let dan = app.account_id("dan@acme.example").await;
    let basic = app
        .admin_token(AdminTokenFor::Site {
            site: w.acme.site_id,
            account: Some(dan),
        })
        .await;
    browser
        .post("/console/sign-in", &[("csrf", &csrf), ("token", &basic)])
        .await
        .expect_status(401);

    let next = format!("/console/sites/{}/users?state=suspended", w.acme.site_id);
    let done = browser
        .post(
            "/console/sign-in",
            &[
                ("csrf", &csrf),
                ("token", &w.acme.admin_token.token),
                ("next", &next),
            ],
        )
        .await
        .expect_status(303);
    assert_eq!(
        done.location(),
        Some(next.as_str()),
        "back to the page asked for"
    );
    let session = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("scimd_console="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain http: {session}");
    assert!(
        !browser.cookies.contains_key("scimd_console_login"),
        "the nonce is spent"
    );

    let escaped = Browserless::new(&app)
        .sign_in(&w.acme.admin_token.token)
        .await;
    assert_eq!(escaped.status, 303);
    let mut b = Browserless::new(&app);
    let csrf = b.get("/console/sign-in").await.csrf();
    let away = b
        .post(
            "/console/sign-in",
            &[
                ("csrf", &csrf),
                ("token", &w.acme.admin_token.token),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(
        away.location(),
        Some(format!("/console/orgs/{}", w.acme.org_id).as_str())
    );
}

/// Behind HTTPS (`--public-url https://...`) the cookies are Secure, unless the operator
/// says never.
async fn cookies_are_secure_over_https(db: TestDb) {
    let app = spawn_app_on(db, |args| {
        args.public_url = Some("https://console.example".into());
    })
    .await;
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let mut browser = Browserless::new(&app);
    let form = browser.get("/console/sign-in").await;
    assert!(
        form.set_cookies()[0].contains("; Secure"),
        "{:?}",
        form.set_cookies()
    );
    let fields = [
        ("csrf", form.csrf()),
        ("token", org.admin_token.token.clone()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong_host = browser.post("/console/sign-in", &fields).await;
    assert_eq!(
        wrong_host.status, 403,
        "Origin is not https://console.example"
    );
    let done = browser
        .post_with(
            "/console/sign-in",
            &fields,
            &[("origin", "https://console.example")],
        )
        .await
        .expect_status(303);
    assert!(
        done.set_cookies().iter().all(|c| c.contains("; Secure")),
        "{:?}",
        done.set_cookies()
    );

    let plain = spawn_app_on(test_db_like(&app).await, |args| {
        args.public_url = Some("https://console.example".into());
        args.console_secure_cookies = scimd::config::SecureCookies::Never;
    })
    .await;
    let form = Browserless::new(&plain).get("/console/sign-in").await;
    assert!(
        !form.set_cookies()[0].contains("Secure"),
        "{:?}",
        form.set_cookies()
    );
}

/// A fresh database of the same backend as `app`'s.
async fn test_db_like(app: &TestApp) -> TestDb {
    let backend = if app.db.url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    test_db(backend).await.expect("database")
}

/// Revoking the token a session runs on ends the session (within the token cache's second).
async fn a_revoked_token_ends_the_session(app: TestApp) {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let issued = issue_admin_token(
        &app.store,
        &app.tokens,
        AdminTokenFor::Org(org.org_id),
        None,
    )
    .await
    .expect("token");
    let mut browser = Browserless::new(&app);
    browser.signed_in(&issued.token).await;
    let page = format!("/console/orgs/{}/domains", org.org_id);
    assert_eq!(browser.get(&page).await.status, 200);
    let mut tx = app.store.begin().await.expect("tx");
    scimd::store::revoke_token(&mut tx, issued.jti, scimd::store::now_micros())
        .await
        .expect("revoke");
    tx.commit().await.expect("commit");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let ended = loop {
        let answer = browser.get(&page).await;
        if answer.status != 200 || std::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(ended.status, 401, "{}", ended.body);
    assert!(
        ended
            .body
            .contains("Your session ended: the token has been revoked"),
        "{}",
        ended.body
    );
    assert!(
        ended
            .body
            .contains(&format!("name=\"next\" value=\"{page}\"")),
        "{}",
        ended.body
    );
    assert!(
        !browser.cookies.contains_key("scimd_console"),
        "the cookie is removed"
    );
}

/// What the console cannot use is refused with an HTML page, not JSON.
async fn what_the_console_cannot_use_is_an_html_refusal(app: TestApp) {
    let w = world(&app).await;
    let mut admin = Browserless::new(&app);
    let csrf = admin.signed_in(&w.acme.admin_token.token).await;
    let site = w.acme.site_id;
    for (path, status) in [
        ("/console/nowhere".to_owned(), 404),
        ("/console/sites/not-a-uuid/users".to_owned(), 404),
        (format!("/console/sites/{site}/users?colour=red"), 400),
        (format!("/console/sites/{site}/users?state=asleep"), 400),
        (format!("/console/sites/{site}/users?q=a%00b"), 400),
        (format!("/console/sites/{}/users", w.globex.site_id), 403),
        (format!("/console/orgs/{}/domains", w.globex.org_id), 403),
        (
            format!("/console/sites/{site}/users/{}", uuid::Uuid::new_v4()),
            404,
        ),
    ] {
        let page = admin.get(&path).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(page.is_html(), "{path}");
    }
    let invites = format!("/console/sites/{site}/invites");
    let nul = admin
        .post(
            &invites,
            &[
                ("csrf", &csrf),
                ("emails", "a\0@acme.example"),
                ("role", "basic"),
            ],
        )
        .await
        .expect_status(400);
    assert!(nul.is_html() && nul.body.contains("NUL"));
    let unknown = admin
        .post(
            &invites,
            &[
                ("csrf", &csrf),
                ("emails", "a@acme.example"),
                ("role", "basic"),
                ("sendEmail", "on"),
            ],
        )
        .await;
    assert_eq!(
        unknown.status, 400,
        "a misspelt field is refused: {}",
        unknown.body
    );
    let json = reqwest::Client::new()
        .post(format!("{}{invites}", app.address))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("POST");
    assert_eq!(json.status(), 415);
    let css = admin.get("/console/static/console.css").await;
    assert_eq!(css.status, 200);
    let page = admin.get(&format!("/console/sites/{site}/users")).await;
    for (name, value) in [
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(
            page.headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok());
    assert!(csp
        .is_some_and(|c| c.contains("default-src 'none'") && c.contains("frame-ancestors 'none'")));
}

on_both_backends!(
    a_post_without_its_csrf_token_changes_nothing => spawn_app,
    forms_from_another_site_are_refused => spawn_app,
    signing_in => spawn_app,
    cookies_are_secure_over_https => test_db,
    a_revoked_token_ends_the_session => spawn_app,
    what_the_console_cannot_use_is_an_html_refusal => spawn_app,
);
