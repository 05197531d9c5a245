//! The benchmark's database: created fresh, bootstrapped by the server binary's own CLI,
//! then filled with plain SQL on the tables every scimd version shares, so the same data
//! can be measured under an older binary and the current one.

use std::time::Instant;

use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

#[path = "../../tests/api/helpers/database_url.rs"]
mod database_url;

/// Ids the seed gives its rows: valid UUIDs built from the row number, the same on both
/// backends (accounts take `8000` in the fourth group).
pub fn user_id(i: usize) -> String {
    format!("00000000-0000-4000-9000-{i:012x}")
}

pub fn group_id(i: usize) -> String {
    format!("00000000-0000-4000-a000-{i:012x}")
}

pub struct Database {
    pub url: String,
    /// PostgreSQL: the server's admin URL and the database made for this run.
    pub postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Database {
    pub async fn create() -> Database {
        match std::env::var("DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                let name = format!("scimd_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin).await.expect("PostgreSQL");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create database");
                Database {
                    url: database_url::on_same_server(&admin, &name),
                    postgres: Some((admin.clone(), name)),
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Database {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    pub async fn drop_postgres(&self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = PgConnection::connect(admin).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
            }
        }
    }

    /// Runs seeding statements; `$1`-style placeholders are spelled per backend below.
    async fn run(&self, statements: &[String]) {
        if self.postgres.is_some() {
            let mut conn = PgConnection::connect(&self.url).await.expect("connect");
            for sql in statements {
                conn.execute(sql.as_str()).await.expect(sql);
            }
        } else {
            let mut conn = SqliteConnection::connect(&format!("{}?mode=rwc", self.url))
                .await
                .expect("connect");
            conn.execute("PRAGMA foreign_keys = ON")
                .await
                .expect("pragma");
            for sql in statements {
                conn.execute(sql.as_str()).await.expect(sql);
            }
        }
    }

    /// Whether `directory_users` has its own userName columns (migration 0009); the seed
    /// gives each user its email there, as 0009 did for existing records.
    async fn has_user_names(&self) -> bool {
        let sql = "SELECT COUNT(*) FROM information_schema.columns \
                   WHERE table_name = 'directory_users' AND column_name = 'user_name'";
        let found: i64 = if self.postgres.is_some() {
            let mut conn = PgConnection::connect(&self.url).await.expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut conn).await
        } else {
            let mut conn = SqliteConnection::connect(&self.url).await.expect("connect");
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM pragma_table_info('directory_users') WHERE name = 'user_name'",
            )
            .fetch_one(&mut conn)
            .await
        }
        .expect("directory_users columns");
        found > 0
    }

    /// Whether this PostgreSQL database has the native column types of migration 0007
    /// (an older scimd's schema keeps UUID text, JSON text, 0/1 and integer microseconds).
    async fn postgres_native(&self) -> bool {
        let mut conn = PgConnection::connect(&self.url).await.expect("connect");
        let ty: String = sqlx::query_scalar(
            "SELECT data_type FROM information_schema.columns \
             WHERE table_name = 'accounts' AND column_name = 'id'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("accounts.id type");
        ty == "uuid"
    }

    /// A row-number source and value expressions for this backend and schema.
    async fn dialect(&self) -> Dialect {
        if self.postgres.is_some() && self.postgres_native().await {
            Dialect {
                series: |n| format!("generate_series(0, {} - 1) AS s(i)", n),
                id: |prefix| {
                    format!("('00000000-0000-4000-{prefix}-' || lpad(to_hex(i), 12, '0'))::uuid")
                },
                time: |micros| {
                    format!("(timestamptz 'epoch' + ({micros}) * interval '1 microsecond')")
                },
                json: |text| format!("({text})::jsonb"),
                flag: |b| b.to_string(),
            }
        } else if self.postgres.is_some() {
            Dialect {
                series: |n| format!("generate_series(0, {} - 1) AS s(i)", n),
                id: |prefix| format!("'00000000-0000-4000-{prefix}-' || lpad(to_hex(i), 12, '0')"),
                time: str::to_owned,
                json: str::to_owned,
                flag: |b| i32::from(b).to_string(),
            }
        } else {
            Dialect {
                series: |n| {
                    format!(
                        "(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s \
                         WHERE i < {n} - 1) SELECT i FROM s) AS s"
                    )
                },
                id: |prefix| format!("printf('00000000-0000-4000-{prefix}-%012x', i)"),
                time: str::to_owned,
                json: str::to_owned,
                flag: |b| i32::from(b).to_string(),
            }
        }
    }

    /// `count` users of `directory`: accounts with their email rows, and directory records.
    pub async fn seed_users(&self, directory: &str, count: usize) {
        let started = Instant::now();
        let d = self.dialect().await;
        let series = (d.series)(count);
        let at = (d.time)("1000 + i");
        let profile = (d.json)(
            "'{\"name\": {\"givenName\": \"User\", \"familyName\": \"N' || i || \
             '\"}, \"emails\": [{\"value\": \"' || 'user' || i || '@bench.example' || \
             '\", \"type\": \"work\", \"primary\": true}]}'",
        );
        let attributes = (d.json)("'{}'");
        let primary = (d.flag)(true);
        let (account, user) = ((d.id)("8000"), (d.id)("9000"));
        let email = "'user' || i || '@bench.example'";
        let (name_columns, names) = if self.has_user_names().await {
            (
                ", user_name, user_name_lower",
                format!(", {email}, {email}"),
            )
        } else {
            ("", String::new())
        };
        self.run(&[
            format!(
                "INSERT INTO accounts (id, email, email_lower, email_domain, display_name, \
                 display_name_lower, profile, status, created_at, updated_at, version) \
                 SELECT {account}, {email}, {email}, 'bench.example', 'User ' || i, \
                 'user ' || i, {profile}, 'active', {at}, {at}, 1 FROM {series}"
            ),
            format!(
                "INSERT INTO account_emails (account_id, position, value_lower, type_lower, \
                 is_primary) SELECT {account}, 0, {email}, 'work', {primary} FROM {series}"
            ),
            format!(
                "INSERT INTO directory_users (id, directory_id, account_id, external_id, \
                 attributes, created_at, updated_at, version{name_columns}) SELECT {user}, \
                 '{directory}', {account}, 'ext-' || i, {attributes}, {at}, {at}, 1{names} \
                 FROM {series}"
            ),
        ])
        .await;
        eprintln!(
            "seeded {count} users in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }

    /// A directory group `number` holding users `0..members`.
    pub async fn seed_group(&self, org: &str, directory: &str, number: usize, members: usize) {
        let d = self.dialect().await;
        let id = group_id(number);
        let created = (d.time)("1000");
        let mut statements = vec![format!(
            "INSERT INTO org_groups (id, org_id, directory_id, display_name, display_name_lower, \
             created_at, updated_at, version) VALUES ('{id}', '{org}', '{directory}', \
             'Seeded {number}', 'seeded {number}', {created}, {created}, 1)"
        )];
        if members > 0 {
            statements.push(format!(
                "INSERT INTO group_members (group_id, account_id, added_at) \
                 SELECT '{id}', {}, {} FROM {}",
                (d.id)("8000"),
                (d.time)("1000 + i"),
                (d.series)(members)
            ));
        }
        self.run(&statements).await;
    }

    /// Planner statistics as a steady-state database has them.
    /// The state autovacuum leaves a table in after a bulk load: statistics current and,
    /// on PostgreSQL, the visibility map set, so that index-only scans need not visit the
    /// heap. (This machine's PostgreSQL runs with autovacuum off, so nothing else does it.)
    pub async fn analyze(&self) {
        let sql = if self.postgres.is_some() {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        };
        self.run(&[sql.to_owned()]).await;
    }
}

struct Dialect {
    series: fn(usize) -> String,
    id: fn(&str) -> String,
    /// A time from integer microseconds since the Unix epoch.
    time: fn(&str) -> String,
    /// A JSON column's value from a text expression.
    json: fn(&str) -> String,
    flag: fn(bool) -> String,
}
