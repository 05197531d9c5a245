//! Signing keys and the register of issued tokens (for revocation by `jti`).

use super::db::{query, Conn, Time};

use super::{StoreError, StoreResult};
use crate::domain::{AccountId, DirectoryId, OrgId, SiteId};

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
    pub created_at: i64,
}

super::debug_only!(SigningKey { kid });

/// Who a token speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSubject {
    Directory { directory: DirectoryId, org: OrgId },
    OrgAdmin { org: OrgId },
    SiteAdmin { site: SiteId, org: OrgId },
    AccountOwner { account: AccountId },
}

impl TokenSubject {
    pub fn kind(&self) -> &'static str {
        match self {
            TokenSubject::Directory { .. } => "directory",
            TokenSubject::OrgAdmin { .. } => "org_admin",
            TokenSubject::SiteAdmin { .. } => "site_admin",
            TokenSubject::AccountOwner { .. } => "account",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub jti: uuid::Uuid,
    pub subject: TokenSubject,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn list_signing_keys(conn: &mut Conn) -> StoreResult<Vec<SigningKey>> {
    use base64::Engine as _;
    #[derive(sqlx::FromRow)]
    struct KeyRow {
        kid: String,
        secret: String,
        #[sqlx(try_from = "super::db_types::DbTime")]
        created_at: i64,
    }
    let rows: Vec<KeyRow> =
        query("SELECT kid, secret, created_at FROM signing_keys ORDER BY created_at, kid")
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|row| {
            Ok(SigningKey {
                kid: row.kid,
                secret: base64::engine::general_purpose::STANDARD
                    .decode(row.secret)
                    .map_err(|_| StoreError::Corrupt("signing key is not base64".into()))?,
                created_at: row.created_at,
            })
        })
        .collect()
}

/// Stores a key unless one with the same kid exists. Processes racing on first start each
/// insert one; all then sign with the oldest, so they agree.
pub async fn insert_signing_key(conn: &mut Conn, key: &SigningKey) -> StoreResult<()> {
    use base64::Engine as _;
    query(
        "INSERT INTO signing_keys (kid, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&key.kid)
    .bind(base64::engine::general_purpose::STANDARD.encode(&key.secret))
    .bind(Time(key.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_token(conn: &mut Conn, token: &TokenRecord) -> StoreResult<()> {
    let (directory, org, site, account) = match token.subject {
        TokenSubject::Directory { directory, org } => (Some(directory), Some(org), None, None),
        TokenSubject::OrgAdmin { org } => (None, Some(org), None, None),
        TokenSubject::SiteAdmin { site, org } => (None, Some(org), Some(site), None),
        TokenSubject::AccountOwner { account } => (None, None, None, Some(account)),
    };
    query(
        "INSERT INTO tokens (jti, kind, directory_id, org_id, site_id, account_id, issued_at, \
         expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token.jti)
    .bind(token.subject.kind())
    .bind(directory)
    .bind(org)
    .bind(site)
    .bind(account)
    .bind(Time(token.issued_at))
    .bind(token.expires_at.map(Time))
    .bind(token.revoked_at.map(Time))
    .execute(conn)
    .await?;
    Ok(())
}

const TOKEN_COLUMNS: &str =
    "jti, kind, directory_id, org_id, site_id, account_id, issued_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(try_from = "super::db_types::DbUuid")]
    jti: uuid::Uuid,
    kind: String,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    directory_id: Option<DirectoryId>,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    org_id: Option<OrgId>,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    site_id: Option<SiteId>,
    #[sqlx(try_from = "super::db_types::DbUuidOpt")]
    account_id: Option<AccountId>,
    #[sqlx(try_from = "super::db_types::DbTime")]
    issued_at: i64,
    #[sqlx(try_from = "super::db_types::DbTimeOpt")]
    expires_at: Option<i64>,
    #[sqlx(try_from = "super::db_types::DbTimeOpt")]
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> StoreResult<TokenRecord> {
        fn need<T>(column: &str, value: Option<T>) -> StoreResult<T> {
            value.ok_or_else(|| StoreError::Corrupt(format!("token {column} is missing")))
        }
        let subject = match row.kind.as_str() {
            "directory" => TokenSubject::Directory {
                directory: need("directory_id", row.directory_id)?,
                org: need("org_id", row.org_id)?,
            },
            "org_admin" => TokenSubject::OrgAdmin {
                org: need("org_id", row.org_id)?,
            },
            "site_admin" => TokenSubject::SiteAdmin {
                site: need("site_id", row.site_id)?,
                org: need("org_id", row.org_id)?,
            },
            "account" => TokenSubject::AccountOwner {
                account: need("account_id", row.account_id)?,
            },
            other => return Err(StoreError::Corrupt(format!("unknown token kind {other:?}"))),
        };
        Ok(TokenRecord {
            jti: row.jti,
            subject,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

pub async fn get_token(conn: &mut Conn, jti: uuid::Uuid) -> StoreResult<Option<TokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE jti = $1");
    query(&sql)
        .bind(jti)
        .fetch_optional_into::<TokenRow, _>(conn)
        .await
}

pub async fn list_directory_tokens(
    conn: &mut Conn,
    directory: DirectoryId,
) -> StoreResult<Vec<TokenRecord>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE directory_id = $1 ORDER BY issued_at, jti"
    );
    query(&sql)
        .bind(directory)
        .fetch_all_into::<TokenRow, _>(conn)
        .await
}

/// Marks a token revoked; false if unknown or already revoked.
pub async fn revoke_token(conn: &mut Conn, jti: uuid::Uuid, at: i64) -> StoreResult<bool> {
    conn.mark_tokens_changed();
    Ok(
        query("UPDATE tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL")
            .bind(jti)
            .bind(Time(at))
            .changed_one(conn)
            .await?,
    )
}

/// The counter every change to `tokens` moves (a trigger keeps it, whoever writes).
pub async fn token_epoch(conn: &mut Conn) -> StoreResult<i64> {
    Ok(query("SELECT epoch FROM token_epoch WHERE id = 1")
        .scalar(conn)
        .await?)
}
