//! An org's directories (IdP connections) and their SCIM tokens.

use crate::domain::audit::AuditAction;
use serde::Serialize;
use serde_json::json;

use super::views::timestamp;
use super::{audit_org, invalid, not_found, of_org, AdminActor, AdminResult};
use crate::domain::{authorize_org_admin, DirectoryId, OrgAuthority, OrgId};
use crate::service::tokens::{IssuedToken, Tokens};
use crate::store::{self, Directory, Store, TokenRecord, TokenSubject, Tx};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryView {
    pub id: DirectoryId,
    pub org_id: OrgId,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Directory> for DirectoryView {
    fn from(d: Directory) -> Self {
        Self {
            id: d.id,
            org_id: d.org_id,
            name: d.name,
            created_at: timestamp(d.created_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub jti: uuid::Uuid,
    #[schema(format = DateTime)]
    pub issued_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub usable: bool,
}

impl From<&TokenRecord> for TokenView {
    fn from(t: &TokenRecord) -> Self {
        let now = store::now_micros();
        Self {
            jti: t.jti,
            issued_at: timestamp(t.issued_at),
            expires_at: t.expires_at.map(timestamp),
            revoked_at: t.revoked_at.map(timestamp),
            usable: t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
        }
    }
}

/// A token just issued: the text is shown this once; scimd keeps only the `jti`.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    pub jti: uuid::Uuid,
    pub token: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

crate::store::debug_only!(IssuedView { jti });

impl From<IssuedToken> for IssuedView {
    fn from(t: IssuedToken) -> Self {
        Self {
            jti: t.jti,
            token: t.token,
            expires_at: t.expires_at.map(timestamp),
        }
    }
}

const MAX_NAME_LEN: usize = 200;

pub async fn create(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    name: &str,
) -> AdminResult<DirectoryView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(invalid("a directory needs a name of 1 to 200 characters"));
    }
    let mut tx = store.begin().await?;
    let directory = Directory {
        id: DirectoryId::new(),
        org_id: authority.org(),
        name: name.to_owned(),
        group_patch_minimal: false,
        created_at: store::now_micros(),
    };
    store::insert_directory(&mut tx, &directory).await?;
    let detail = json!({ "directory_id": directory.id });
    audit_org(&mut tx, who, org, AuditAction::DirectoryCreated, detail).await?;
    tx.commit().await?;
    Ok(directory.into())
}

pub async fn list(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<DirectoryView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let dirs = store::list_org_directories(&mut conn, authority.org()).await?;
    Ok(dirs.into_iter().map(DirectoryView::from).collect())
}

/// A directory with the time of the last change it made (a SCIM write); reads are not
/// recorded. `None`: it never changed anything.
#[derive(Clone, Debug, Serialize)]
pub struct DirectoryActivity {
    #[serde(flatten)]
    pub directory: DirectoryView,
    pub last_change_at: Option<String>,
}

pub async fn list_with_activity(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
) -> AdminResult<Vec<DirectoryActivity>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let rows = store::list_org_directories_with_activity(&mut conn, authority.org()).await?;
    Ok(rows
        .into_iter()
        .map(|(d, at)| DirectoryActivity {
            directory: d.into(),
            last_change_at: at.map(timestamp),
        })
        .collect())
}

/// One of the org's directories.
pub async fn get(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    directory: DirectoryId,
) -> AdminResult<DirectoryView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    Ok(own_directory(&mut conn, &authority, directory)
        .await?
        .into())
}

/// Another org's directory is not found rather than forbidden: ids are not probed.
async fn own_directory(
    conn: &mut store::Conn,
    authority: &OrgAuthority,
    id: DirectoryId,
) -> AdminResult<Directory> {
    of_org(
        store::get_directory(conn, id).await?,
        authority.org(),
        "directory",
    )
}

pub async fn tokens(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    directory: DirectoryId,
) -> AdminResult<Vec<TokenView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let dir = own_directory(&mut conn, &authority, directory).await?;
    let records = store::list_directory_tokens(&mut conn, dir.id).await?;
    Ok(records.iter().map(TokenView::from).collect())
}

pub async fn issue_token(
    store: &Store,
    tokens: &Tokens,
    who: &AdminActor,
    org: OrgId,
    directory: DirectoryId,
    ttl_days: Option<std::num::NonZeroU32>,
) -> AdminResult<IssuedView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut tx = store.begin().await?;
    let dir = own_directory(&mut tx, &authority, directory).await?;
    let ttl = ttl_days.map(|d| time::Duration::days(i64::from(d.get())));
    let subject = TokenSubject::Directory {
        directory: dir.id,
        org: dir.org_id,
    };
    let issued = tokens.issue(&mut tx, subject, ttl).await?;
    let detail = json!({ "directory_id": dir.id, "jti": issued.jti });
    audit_org(&mut tx, who, org, AuditAction::TokenIssued, detail).await?;
    tx.commit().await?;
    Ok(issued.into())
}

/// Revoking twice is not an error: the token stays revoked from the first time.
pub async fn revoke_token(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    directory: DirectoryId,
    jti: uuid::Uuid,
) -> AdminResult<(bool, TokenView)> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut tx = store.begin().await?;
    let dir = own_directory(&mut tx, &authority, directory).await?;
    let record = directory_token(&mut tx, dir.id, jti).await?;
    let changed = store::revoke_token(&mut tx, record.jti, store::now_micros()).await?;
    if changed {
        let detail = json!({ "directory_id": dir.id, "jti": jti });
        audit_org(&mut tx, who, org, AuditAction::TokenRevoked, detail).await?;
    }
    let record = directory_token(&mut tx, dir.id, jti).await?;
    tx.commit().await?;
    Ok((changed, TokenView::from(&record)))
}

async fn directory_token(
    tx: &mut Tx,
    dir: DirectoryId,
    jti: uuid::Uuid,
) -> AdminResult<TokenRecord> {
    store::get_token(tx, jti)
        .await?
        .filter(
            |t| matches!(t.subject, TokenSubject::Directory { directory, .. } if directory == dir),
        )
        .ok_or_else(|| not_found("token"))
}
