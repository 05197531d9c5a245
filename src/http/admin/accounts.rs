//! `/accounts/{id}` and `/me`: the account lifecycle (rules 1–3, 10, 11) and self-service
//! for owners.

use actix_web::web::{Path, Query};

use super::openapi::{Conflict, Problems};
use super::paths::AccountPath;
use super::{changed, ok, AdminCall, AuditQuery, Reply};
use crate::domain::{AccountId, AccountStatus};
use crate::service::admin::accounts::{self, AccountDetail};
use crate::service::admin::views::{AccountView, AuditPage, Changed};

#[utoipa::path(
    get, path = "/accounts/{id}", operation_id = "get_account", tag = "Accounts",
    params(AccountPath),
    responses(
        (status = 200, description = "The account, with the site memberships the caller may see.", body = AccountDetail),
        Problems,
    ),
)]
/// Get an account.
pub(super) async fn get(call: AdminCall, path: Path<AccountPath>) -> Reply {
    ok(accounts::get(call.store(), &call.who, path.id).await?)
}

async fn set_status(call: &AdminCall, id: AccountId, to: AccountStatus) -> Reply {
    let (done, view) = accounts::set_status(call.store(), &call.who, id, to).await?;
    changed(done, view)
}

#[utoipa::path(
    post, path = "/accounts/{id}/deactivate", operation_id = "deactivate_account", tag = "Accounts",
    params(AccountPath),
    responses(
        (status = 200, description = "Deactivated everywhere (rules 1, 2): memberships, groups and content kept, licenses freed.", body = Changed<AccountDetail>),
        Problems,
    ),
)]
/// Deactivate an account (its managing org's admins only).
pub(super) async fn deactivate(call: AdminCall, path: Path<AccountPath>) -> Reply {
    set_status(&call, path.id, AccountStatus::Deactivated).await
}

#[utoipa::path(
    post, path = "/accounts/{id}/reactivate", operation_id = "reactivate_account", tag = "Accounts",
    params(AccountPath),
    responses(
        (status = 200, description = "Active again, with exactly what it had (rule 1).", body = Changed<AccountDetail>),
        Problems,
    ),
)]
/// Reactivate an account; a refusal names who can (rule 3).
pub(super) async fn reactivate(call: AdminCall, path: Path<AccountPath>) -> Reply {
    set_status(&call, path.id, AccountStatus::Active).await
}

#[utoipa::path(
    delete, path = "/accounts/{id}", operation_id = "delete_account", tag = "Accounts",
    params(AccountPath),
    responses(
        (status = 200, description = "Erased: a tombstone with the id remains (rule 11).", body = Changed<AccountView>),
        Problems,
        Conflict,
    ),
)]
/// Delete an account (rules 10, 11); refused while it has content.
pub(super) async fn delete(call: AdminCall, path: Path<AccountPath>) -> Reply {
    let (done, view) = accounts::delete(call.store(), &call.who, path.id).await?;
    changed(done, view)
}

#[utoipa::path(
    get, path = "/accounts/{id}/audit", operation_id = "account_audit", tag = "Accounts",
    params(AccountPath, AuditQuery),
    responses(
        (status = 200, description = "Newest first: all of it for the owner and the managing org, what the caller's org recorded for others.", body = AuditPage),
        Problems,
    ),
)]
/// An account's audit log.
pub(super) async fn audit(
    call: AdminCall,
    path: Path<AccountPath>,
    query: Query<AuditQuery>,
) -> Reply {
    let page = accounts::audit_log(
        call.store(),
        &call.who,
        path.id,
        query.before,
        query.limit(),
    )
    .await?;
    ok(page)
}

#[utoipa::path(
    get, path = "/me", operation_id = "get_me", tag = "Self-service",
    responses(
        (status = 200, description = "The owner's own account and its memberships.", body = AccountDetail),
        Problems,
    ),
)]
/// Who am I (an owner token).
pub(super) async fn me(call: AdminCall) -> Reply {
    let id = accounts::own_account(call.who.actor())?;
    ok(accounts::get(call.store(), &call.who, id).await?)
}

#[utoipa::path(
    post, path = "/me/deactivate", operation_id = "deactivate_me", tag = "Self-service",
    responses(
        (status = 200, description = "Deactivated (an unmanaged account; a managed one's org decides: 403 `managing_org_only`).", body = Changed<AccountDetail>),
        Problems,
    ),
)]
/// Deactivate my own account.
pub(super) async fn me_deactivate(call: AdminCall) -> Reply {
    let id = accounts::own_account(call.who.actor())?;
    set_status(&call, id, AccountStatus::Deactivated).await
}

#[utoipa::path(
    post, path = "/me/reactivate", operation_id = "reactivate_me", tag = "Self-service",
    responses(
        (status = 200, description = "Active again.", body = Changed<AccountDetail>),
        Problems,
    ),
)]
/// Reactivate my own account.
pub(super) async fn me_reactivate(call: AdminCall) -> Reply {
    let id = accounts::own_account(call.who.actor())?;
    set_status(&call, id, AccountStatus::Active).await
}
