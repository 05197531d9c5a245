//! Issuing and revoking directory tokens outside bootstrap.

use super::error::{ServiceError, ServiceResult};
use super::tokens::{IssuedToken, Tokens};
use crate::domain::audit::{ActorKind, AuditAction};
use crate::domain::DirectoryId;
use crate::store::{self, NewAuditEntry, Store, TokenSubject};

pub async fn issue_directory_token(
    store: &Store,
    tokens: &Tokens,
    directory: DirectoryId,
    ttl: Option<time::Duration>,
) -> ServiceResult<IssuedToken> {
    let mut tx = store.begin().await?;
    let dir = store::get_directory(&mut tx, directory)
        .await?
        .ok_or(ServiceError::NotFound("directory"))?;
    let issued = tokens
        .issue(
            &mut tx,
            TokenSubject::Directory {
                directory: dir.id,
                org: dir.org_id,
            },
            ttl,
        )
        .await?;
    store::append_audit(
        &mut tx,
        &NewAuditEntry {
            at: store::now_micros(),
            org_id: Some(dir.org_id),
            account_id: None,
            actor_kind: ActorKind::System,
            actor_id: "cli".into(),
            action: AuditAction::TokenIssued,
            detail: serde_json::json!({ "jti": issued.jti, "directory_id": dir.id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes a token by jti. Revoking twice is fine; an unknown jti is not found.
pub async fn revoke_token(store: &Store, jti: uuid::Uuid) -> ServiceResult<()> {
    let mut tx = store.begin().await?;
    let record = store::get_token(&mut tx, jti)
        .await?
        .ok_or(ServiceError::NotFound("token"))?;
    if store::revoke_token(&mut tx, jti, store::now_micros()).await? {
        let org = match record.subject {
            TokenSubject::Directory { org, .. }
            | TokenSubject::OrgAdmin { org }
            | TokenSubject::SiteAdmin { org, .. } => Some(org),
            TokenSubject::AccountOwner { .. } => None,
        };
        store::append_audit(
            &mut tx,
            &NewAuditEntry {
                at: store::now_micros(),
                org_id: org,
                account_id: None,
                actor_kind: ActorKind::System,
                actor_id: "cli".into(),
                action: AuditAction::TokenRevoked,
                detail: serde_json::json!({ "jti": jti, "kind": record.subject.kind() }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
