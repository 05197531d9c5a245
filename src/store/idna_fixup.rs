//! Domains stored before scimd kept them in their IDNA ASCII form (issue 10): a verified
//! `bücher.example`, or an account keyed `ann@bücher.example`, would never match what the
//! domain layer now computes (`xn--bcher-kva.example`), so an upgraded server would create a
//! second account for the same mailbox. Once per database, right after the migrations, such
//! rows are rewritten to the normal form. Only rows with non-ASCII text are read (byte length
//! differs from character length, on both backends).

use super::db::{query, Conn, Time};
use super::{Store, StoreResult};
use crate::domain::{normalize_email, Domain};

const FIXUP: &str = "idna_ascii_domains";

impl Store {
    pub(super) async fn normalize_legacy_domains(&self) -> StoreResult<()> {
        let mut conn = self.read().await?;
        let done: Option<String> = query("SELECT name FROM data_fixups WHERE name = $1")
            .bind(FIXUP)
            .scalar_optional(&mut conn)
            .await?;
        drop(conn);
        if done.is_some() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let (rewritten, left) = rewrite(&mut tx).await?;
        query(
            "INSERT INTO data_fixups (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(FIXUP)
        .bind(Time(super::now_micros()))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        if rewritten > 0 || left > 0 {
            tracing::warn!(
                rewritten,
                left,
                "domains stored in Unicode were rewritten to their IDNA ASCII form; \
                 rows left as they were are invalid now or collide with an existing row"
            );
        }
        Ok(())
    }
}

/// Rows rewritten, and rows left as they were (invalid now, or colliding with another).
#[derive(Default)]
struct Tally {
    rewritten: u64,
    left: u64,
}

impl Tally {
    fn count(&mut self, rewritten: bool) {
        if rewritten {
            self.rewritten += 1;
        } else {
            self.left += 1;
        }
    }
}

async fn rewrite(conn: &mut Conn) -> StoreResult<(u64, u64)> {
    let mut tally = Tally::default();
    let domains: Vec<String> =
        query("SELECT domain FROM verified_domains WHERE octet_length(domain) <> length(domain)")
            .scalars(&mut *conn)
            .await?;
    for old in domains {
        let Ok(new) = Domain::parse(&old) else {
            tally.count(false);
            continue;
        };
        let done = query(
            "UPDATE verified_domains SET domain = $2 WHERE domain = $1 \
             AND NOT EXISTS (SELECT 1 FROM verified_domains WHERE domain = $2)",
        )
        .bind(old.as_str())
        .bind(new.as_str())
        .execute(&mut *conn)
        .await?;
        tally.count(done == 1);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "super::db_types::DbUuid")]
        id: crate::domain::AccountId,
        email_lower: String,
    }
    let accounts: Vec<Row> = query(
        "SELECT id, email_lower FROM accounts WHERE email_domain IS NOT NULL \
         AND octet_length(email_domain) <> length(email_domain)",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in accounts {
        let Ok(email) = normalize_email(&row.email_lower) else {
            tally.count(false);
            continue;
        };
        let done = query(
            "UPDATE accounts SET email_lower = $2, email_domain = $3 WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM accounts WHERE email_lower = $2)",
        )
        .bind(row.id)
        .bind(email.as_str())
        .bind(email.domain())
        .execute(&mut *conn)
        .await?;
        tally.count(done == 1);
    }
    Ok((tally.rewritten, tally.left))
}
