//! Both backends must be at the same schema version at every commit.

use std::collections::BTreeSet;

use scimd::domain::{AccountId, DirectoryId, OrgId};
use scimd::store::TokenSubject;

use crate::helpers::{spawn_app_on, TestDb};
use crate::on_both_backends;

fn versions(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .expect("migrations folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn sqlite_and_postgres_hold_the_same_migrations() {
    let sqlite = versions("sqlite");
    let postgres = versions("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "each migration needs a file for both backends, with the same name"
    );
}

/// Applies this backend's migrations up to and including `last`.
async fn migrate_to(db: &TestDb, last: i64) {
    let dir = if db.url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(&path))
        .await
        .expect("migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    use sqlx::Connection;
    if db.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", db.url))
            .await
            .expect("connect");
        migrator.run(&mut conn).await.expect("migrate");
        conn.close().await.expect("close");
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        migrator.run(&mut conn).await.expect("migrate");
        conn.close().await.expect("close");
    }
}

/// Runs plain statements on the test database, outside scimd.
async fn execute_all(db: &TestDb, statements: &[String]) {
    use sqlx::Connection;
    if db.url.starts_with("sqlite") {
        let conn = sqlx::SqliteConnection::connect(&db.url).await;
        execute_on(conn.expect("connect"), statements).await;
    } else {
        let conn = sqlx::PgConnection::connect(&db.url).await;
        execute_on(conn.expect("connect"), statements).await;
    }
}

async fn execute_on<C>(mut conn: C, statements: &[String])
where
    C: sqlx::Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
{
    for sql in statements {
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.expect("close");
}

const ORG: &str = "0a000000-0000-4000-8000-000000000001";
const DIRECTORY: &str = "0d000000-0000-4000-8000-000000000001";
const ACCOUNT: &str = "0ac00000-0000-4000-8000-000000000001";
const USER: &str = "05e00000-0000-4000-8000-000000000001";
const GROUP: &str = "06000000-0000-4000-8000-000000000001";
/// 2023-11-14T22:13:20.123456Z and a second later, in microseconds.
const CREATED: i64 = 1_700_000_000_123_456;
const MODIFIED: i64 = 1_700_000_001_123_456;

/// The same statements run on both backends at migration 0006, where ids are text, JSON is
/// text, flags are 0/1 and times are integer microseconds.
fn rows_at_0006() -> Vec<String> {
    vec![
        format!("INSERT INTO organizations (id, name, created_at) VALUES ('{ORG}', 'Acme', {CREATED})"),
        format!("INSERT INTO verified_domains (domain, org_id, verified_at) VALUES ('acme.example', '{ORG}', {CREATED})"),
        format!("INSERT INTO directories (id, org_id, name, group_patch_minimal, created_at) VALUES ('{DIRECTORY}', '{ORG}', 'okta', 1, {CREATED})"),
        format!(
            "INSERT INTO accounts (id, email, email_lower, email_domain, display_name, display_name_lower, \
             profile, status, created_at, updated_at, version) VALUES ('{ACCOUNT}', 'Ann@acme.example', \
             'ann@acme.example', 'acme.example', 'Ann', 'ann', \
             '{{\"title\": \"Engineer\", \"emails\": [{{\"value\": \"Ann@acme.example\", \"type\": \"work\", \"primary\": true}}]}}', \
             'active', {CREATED}, {MODIFIED}, 3)"
        ),
        format!("INSERT INTO account_emails (account_id, position, value_lower, type_lower, is_primary) VALUES ('{ACCOUNT}', 0, 'ann@acme.example', 'work', 1)"),
        format!(
            "INSERT INTO directory_users (id, directory_id, account_id, external_id, attributes, created_at, \
             updated_at, version) VALUES ('{USER}', '{DIRECTORY}', '{ACCOUNT}', 'okta-ann', \
             '{{\"nickName\": \"annie\"}}', {CREATED}, {MODIFIED}, 4)"
        ),
        format!(
            "INSERT INTO org_groups (id, org_id, directory_id, display_name, display_name_lower, external_id, \
             created_at, updated_at, version) VALUES ('{GROUP}', '{ORG}', '{DIRECTORY}', 'Engineers', \
             'engineers', 'okta-eng', {CREATED}, {MODIFIED}, 2)"
        ),
        format!("INSERT INTO group_members (group_id, account_id, added_at) VALUES ('{GROUP}', '{ACCOUNT}', {CREATED})"),
        format!(
            "INSERT INTO audit_log (at, org_id, account_id, actor_kind, actor_id, action, detail) VALUES \
             ({CREATED}, '{ORG}', '{ACCOUNT}', 'directory', '{DIRECTORY}', 'user.created', '{{\"via\": \"scim\"}}')"
        ),
    ]
}

/// A database written at migration 0006 reads back the same through the API once the
/// server has applied 0007 (on PostgreSQL: ids to uuid, JSON to jsonb, flags to boolean,
/// times to timestamptz).
async fn data_written_before_native_types_reads_back_the_same(db: TestDb) {
    migrate_to(&db, 6).await;
    execute_all(&db, &rows_at_0006()).await;

    let app = spawn_app_on(db, |_| {}).await;
    let org: OrgId = ORG.parse().expect("id");
    let directory: DirectoryId = DIRECTORY.parse().expect("id");
    let mut tx = app.store.begin().await.expect("begin");
    let token = app
        .tokens
        .issue(&mut tx, TokenSubject::Directory { directory, org }, None)
        .await
        .expect("token")
        .token;
    tx.commit().await.expect("commit");

    let user = app
        .get(&format!("/Users/{USER}"), &token)
        .await
        .expect_status(200);
    let body = &user.body;
    assert_eq!(body["id"], USER);
    assert_eq!(body["userName"], "Ann@acme.example");
    assert_eq!(body["externalId"], "okta-ann");
    assert_eq!(body["title"], "Engineer");
    assert_eq!(body["nickName"], "annie");
    assert_eq!(body["active"], true);
    assert_eq!(body["emails"][0]["primary"], true);
    assert_eq!(body["groups"][0]["value"], GROUP);
    assert_eq!(body["groups"][0]["display"], "Engineers");
    assert_eq!(body["meta"]["created"], "2023-11-14T22:13:20.123456Z");
    assert_eq!(body["meta"]["lastModified"], "2023-11-14T22:13:21.123456Z");
    assert_eq!(user.header("etag"), Some("W/\"4\""));

    // Lookups an IdP sends find the same user by every key, times compare to the
    // microsecond, and the primary flag still reads as true.
    for filter in [
        format!("id eq \"{USER}\""),
        "userName eq \"ann@acme.example\"".to_owned(),
        "externalId eq \"okta-ann\"".to_owned(),
        "emails[type eq \"work\" and primary eq true].value eq \"ann@acme.example\"".to_owned(),
        "meta.lastModified gt \"2023-11-14T22:13:21.123455Z\"".to_owned(),
        "meta.created eq \"2023-11-14T22:13:20.123456Z\"".to_owned(),
        "title eq \"Engineer\"".to_owned(),
    ] {
        let found = app
            .scim_get(
                &format!("/Users?filter={}", urlencode(&filter)),
                Some(&token),
            )
            .await;
        assert_eq!(found.0, 200, "{filter}: {}", found.2);
        assert_eq!(found.2["totalResults"], 1, "{filter}");
    }
    // An unfiltered list's total comes from the counts migrations 0006 (SQLite) and 0013
    // (PostgreSQL) fill in for users already there.
    for page in ["/Users?count=0", "/Users?startIndex=1&count=10"] {
        let listed = app.scim_get(page, Some(&token)).await;
        assert_eq!(listed.0, 200, "{page}: {}", listed.2);
        assert_eq!(listed.2["totalResults"], 1, "{page}");
    }
    let later = app
        .scim_get(
            &format!(
                "/Users?filter={}",
                urlencode("meta.lastModified gt \"2023-11-14T22:13:21.123456Z\"")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(later.2["totalResults"], 0);

    let group = app
        .get(&format!("/Groups/{GROUP}"), &token)
        .await
        .expect_status(200);
    assert_eq!(group.body["displayName"], "Engineers");
    assert_eq!(group.body["externalId"], "okta-eng");
    assert_eq!(group.body["members"][0]["value"], USER);
    assert_eq!(
        group.body["meta"]["lastModified"],
        "2023-11-14T22:13:21.123456Z"
    );
    let by_member = app
        .scim_get(
            &format!(
                "/Groups?filter={}",
                urlencode(&format!("members[value eq \"{USER}\"]"))
            ),
            Some(&token),
        )
        .await;
    assert_eq!(by_member.2["totalResults"], 1);

    // The directory's flag survived: a group PATCH answers 204, not the group.
    app.scim(
        "PATCH",
        &format!("/Groups/{GROUP}"),
        &token,
        Some(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Builders"}]
        })),
    )
    .await
    .expect_status(204);

    let mut conn = app.store.read().await.expect("connection");
    let account: AccountId = ACCOUNT.parse().expect("id");
    let audit = scimd::store::list_audit(&mut conn, scimd::store::AuditScope::Account(account), 10)
        .await
        .expect("audit");
    let first = audit.last().expect("the entry written at 0006");
    assert_eq!(first.at, CREATED);
    assert_eq!(first.org_id, Some(org));
    assert_eq!(first.detail, serde_json::json!({"via": "scim"}));
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

on_both_backends! {
    data_written_before_native_types_reads_back_the_same => test_db,
}

/// Every table and column of a migrated database, with its declared type.
async fn columns(db: &TestDb) -> BTreeSet<(String, String, String)> {
    use sqlx::Connection;
    let rows: Vec<(String, String, String)> = if db.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connect");
        sqlx::query_as(
            "SELECT m.name, p.name, upper(p.type) FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("sqlite columns")
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name NOT LIKE '\\_sqlx%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("postgres columns")
    };
    rows.into_iter().collect()
}

/// What a column holds, which decides its type on each backend.
fn kind(table: &str, column: &str) -> &'static str {
    match (table, column) {
        ("audit_log" | "provisioning_log", "id") | ("token_epoch" | "event_receiver_epoch", _) => {
            "integer"
        }
        // Not ours: actors include the CLI, external ids are the IdP's.
        ("audit_log", "actor_id") | ("signing_keys", "kid") | (_, "external_id") => "text",
        // A refusal's text, not a document.
        ("provisioning_log", "detail") => "text",
        (_, "profile" | "attributes" | "detail") | ("security_events", "events") => "json",
        (_, "is_primary" | "group_patch_minimal" | "changed") => "flag",
        (_, c) if c == "id" || c == "jti" || c.ends_with("_id") => "uuid",
        (_, c) if c == "at" || c.ends_with("_at") => "time",
        _ => "as declared",
    }
}

/// Both backends have the same tables and columns; PostgreSQL keeps ids as uuid, JSON as
/// jsonb, flags as boolean and times as timestamptz, SQLite as text and integers.
#[tokio::test]
async fn both_backends_have_the_same_columns_in_their_own_types() {
    let Some(sqlite) = crate::helpers::test_db(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let Some(postgres) = crate::helpers::test_db(crate::helpers::Backend::Postgres).await else {
        return;
    };
    sqlite.store().await.close().await;
    postgres.store().await.close().await;
    // Per-directory user counts are kept per backend: one row on SQLite (migration
    // 0006), slots on PostgreSQL (0013).
    let own = |t: &String| t != "directory_user_counts";
    let sqlite_columns: BTreeSet<_> = columns(&sqlite)
        .await
        .into_iter()
        .filter(|(t, _, _)| own(t))
        .collect();
    let postgres_columns: BTreeSet<_> = columns(&postgres)
        .await
        .into_iter()
        .filter(|(t, _, _)| own(t))
        .collect();
    let names = |cols: &BTreeSet<(String, String, String)>| -> BTreeSet<(String, String)> {
        cols.iter()
            .map(|(t, c, _)| (t.clone(), c.clone()))
            .collect()
    };
    assert_eq!(names(&sqlite_columns), names(&postgres_columns));

    for (table, column, ty) in &sqlite_columns {
        let expected: &[&str] = match kind(table, column) {
            "uuid" | "json" | "text" => &["TEXT"],
            "flag" | "time" | "integer" => &["BIGINT", "INTEGER"],
            _ => &["TEXT", "BIGINT", "INTEGER", "REAL"],
        };
        assert!(
            expected.contains(&ty.as_str()),
            "SQLite {table}.{column} is {ty}"
        );
    }
    for (table, column, ty) in &postgres_columns {
        let expected: &[&str] = match kind(table, column) {
            "uuid" => &["uuid"],
            "json" => &["jsonb"],
            "flag" => &["boolean"],
            "time" => &["timestamp with time zone"],
            "text" => &["text"],
            "integer" => &["bigint", "integer"],
            _ => &["text", "bigint", "integer", "double precision"],
        };
        assert!(
            expected.contains(&ty.as_str()),
            "PostgreSQL {table}.{column} is {ty}"
        );
    }
    // The kinds above are not vacuous: each native type is in use.
    for native in ["uuid", "jsonb", "boolean", "timestamp with time zone"] {
        assert!(
            postgres_columns.iter().any(|(_, _, ty)| ty == native),
            "no {native} column"
        );
    }
}
