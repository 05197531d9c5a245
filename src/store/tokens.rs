//! Signing keys and the register of issued tokens (for revocation by `jti`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{parse_id, StoreError, StoreResult};
use crate::domain::{AccountId, DirectoryId, OrgId, SiteId};

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
    pub created_at: i64,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

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

pub async fn list_signing_keys(conn: &mut AnyConnection) -> StoreResult<Vec<SigningKey>> {
    use base64::Engine as _;
    let rows =
        sqlx::query("SELECT kid, secret, created_at FROM signing_keys ORDER BY created_at, kid")
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|row| {
            let secret: String = row.try_get(1)?;
            Ok(SigningKey {
                kid: row.try_get(0)?,
                secret: base64::engine::general_purpose::STANDARD
                    .decode(secret)
                    .map_err(|_| StoreError::Corrupt("signing key is not base64".into()))?,
                created_at: row.try_get(2)?,
            })
        })
        .collect()
}

/// Stores a key unless one with the same kid exists. Processes racing on first start each
/// insert one; all then sign with the oldest, so they agree.
pub async fn insert_signing_key(conn: &mut AnyConnection, key: &SigningKey) -> StoreResult<()> {
    use base64::Engine as _;
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&key.kid)
    .bind(base64::engine::general_purpose::STANDARD.encode(&key.secret))
    .bind(key.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_token(conn: &mut AnyConnection, token: &TokenRecord) -> StoreResult<()> {
    let (directory, org, site, account) = match token.subject {
        TokenSubject::Directory { directory, org } => (
            Some(directory.to_string()),
            Some(org.to_string()),
            None,
            None,
        ),
        TokenSubject::OrgAdmin { org } => (None, Some(org.to_string()), None, None),
        TokenSubject::SiteAdmin { site, org } => {
            (None, Some(org.to_string()), Some(site.to_string()), None)
        }
        TokenSubject::AccountOwner { account } => (None, None, None, Some(account.to_string())),
    };
    sqlx::query(
        "INSERT INTO tokens (jti, kind, directory_id, org_id, site_id, account_id, issued_at, \
         expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token.jti.to_string())
    .bind(token.subject.kind())
    .bind(directory)
    .bind(org)
    .bind(site)
    .bind(account)
    .bind(token.issued_at)
    .bind(token.expires_at)
    .bind(token.revoked_at)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

const TOKEN_COLUMNS: &str =
    "jti, kind, directory_id, org_id, site_id, account_id, issued_at, expires_at, revoked_at";

fn token_from_row(row: &AnyRow) -> StoreResult<TokenRecord> {
    let opt = |i: usize| -> StoreResult<Option<String>> { Ok(row.try_get(i)?) };
    let need = |i: usize| -> StoreResult<String> {
        opt(i)?.ok_or_else(|| StoreError::Corrupt(format!("token column {i} is missing")))
    };
    let kind: String = row.try_get(1)?;
    let subject = match kind.as_str() {
        "directory" => TokenSubject::Directory {
            directory: parse_id(&need(2)?)?,
            org: parse_id(&need(3)?)?,
        },
        "org_admin" => TokenSubject::OrgAdmin {
            org: parse_id(&need(3)?)?,
        },
        "site_admin" => TokenSubject::SiteAdmin {
            site: parse_id(&need(4)?)?,
            org: parse_id(&need(3)?)?,
        },
        "account" => TokenSubject::AccountOwner {
            account: parse_id(&need(5)?)?,
        },
        other => return Err(StoreError::Corrupt(format!("unknown token kind {other:?}"))),
    };
    Ok(TokenRecord {
        jti: parse_id(row.try_get::<&str, _>(0)?)?,
        subject,
        issued_at: row.try_get(6)?,
        expires_at: row.try_get(7)?,
        revoked_at: row.try_get(8)?,
    })
}

pub async fn get_token(
    conn: &mut AnyConnection,
    jti: uuid::Uuid,
) -> StoreResult<Option<TokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE jti = $1");
    let row = sqlx::query(&sql)
        .bind(jti.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn list_directory_tokens(
    conn: &mut AnyConnection,
    directory: DirectoryId,
) -> StoreResult<Vec<TokenRecord>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE directory_id = $1 ORDER BY issued_at, jti"
    );
    let rows = sqlx::query(&sql)
        .bind(directory.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(token_from_row).collect()
}

/// Marks a token revoked; false if unknown or already revoked.
pub async fn revoke_token(conn: &mut AnyConnection, jti: uuid::Uuid, at: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL")
            .bind(jti.to_string())
            .bind(at)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
