//! What a directory's write changes of an account it manages (rules 13, 15 and 17),
//! decided before anything is written, so that the caller writes it with the touch of the
//! account's records in one round trip.

use serde_json::{json, Value};

use super::resource::{changed_account_fields, requested_email, UserParts};
use super::{facts, no_account_email, stored_email, user_name_taken, Replaced};
use crate::domain::audit::AuditAction;
use crate::domain::{
    can_change_email, can_directory_change_account, directory_set_active, normalize_email,
    AccountStatus, EmailChange, StatusChange,
};
use crate::scim::ScimError;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::scim_context::ScimContext;
use crate::store::{self, Account, AccountProfileUpdate, ScimUser, Tx};

/// What [`update_account`] decided to write to an account. Nothing is written yet: the
/// caller writes it together with the touch of the account's records, in one round trip.
#[derive(Clone, Debug, Default)]
pub(super) struct AccountWrite {
    profile: Option<ProfileWrite>,
    status: Option<AccountStatus>,
    /// The account's email moves to another address, not only to another spelling.
    pub(super) email_moves: bool,
}

#[derive(Clone, Debug)]
struct ProfileWrite {
    email: String,
    display_name: Option<String>,
    profile: Value,
}

impl AccountWrite {
    /// The account changes: the caller writes it, touching its directory records once.
    pub(super) fn changes(&self) -> bool {
        self.profile.is_some() || self.status.is_some()
    }

    /// The store's write of it to `account` (as read under its lock), moving the account's
    /// records as `touch` says.
    pub(super) fn change<'a>(
        &'a self,
        account: &'a Account,
        touch: store::Touch<'a>,
        at: i64,
    ) -> store::AccountChange<'a> {
        store::AccountChange {
            id: account.id,
            profile: self.profile.as_ref().map(|write| AccountProfileUpdate {
                email: &write.email,
                display_name: write.display_name.as_deref(),
                profile: &write.profile,
                replaces: &account.profile,
            }),
            status: self.status,
            touch,
            at,
        }
    }

    /// `account` as this write leaves it, for a caller that does not read it back. Its
    /// managing org stays: a directory moves only the email of an account its org manages,
    /// and only within that org's domains (`can_change_email`).
    pub(super) fn applied(&self, mut account: Account, at: i64) -> Account {
        if !self.changes() {
            return account;
        }
        if let Some(write) = &self.profile {
            account.email = Some(write.email.clone());
            account.display_name = write.display_name.clone();
            account.profile = write.profile.clone();
        }
        if let Some(status) = self.status {
            account.status = status;
        }
        account.updated_at = at;
        account.version += 1;
        account
    }

    /// What a uniqueness conflict of the write means: the email is taken, or else the
    /// userName of the record written with it is. A caller never writes a record whose
    /// userName changes with an email that moves, so the two cannot be confused.
    pub(super) fn conflict(&self, err: store::StoreError, user_name: &str) -> ServiceError {
        match err {
            store::StoreError::Conflict if self.email_moves => ServiceError::Scim(
                ScimError::conflict("another account already uses this email address"),
            ),
            other => user_name_taken(other, user_name),
        }
    }
}

/// Decides what `parts` changes of the account-owned attributes of an account this
/// directory's org manages, applying rules 13, 15 and 17, and audits it. Unchanged values
/// are not changes. The account was read with its row lock held (or under SQLite's one
/// writer), so what was read is what there is.
pub(super) async fn update_account(
    tx: &mut Tx,
    ctx: &ScimContext<'_>,
    account: &Account,
    parts: &UserParts,
) -> ServiceResult<AccountWrite> {
    let mut write = AccountWrite::default();
    let account_facts = facts(account);
    let chosen = requested_email(parts).map_err(no_account_email)?;
    let requested = &chosen.email;
    let changed = changed_account_fields(account, parts, requested);
    can_directory_change_account(&ctx.directory, &account_facts, &changed)?;
    if changed.contains(&crate::domain::AccountField::Email) {
        let current =
            normalize_email(account.email.as_deref().unwrap_or_default()).map_err(|err| {
                ServiceError::Store(store::StoreError::Corrupt(format!("account email: {err}")))
            })?;
        // `emails` count as the email field too; only a new address has an owner to ask.
        write.email_moves = current != *requested;
        let owner = match write.email_moves {
            true => store::verified_domain_owner(tx, requested.domain()).await?,
            false => None,
        };
        let owners = |domain: &str| {
            if domain == requested.domain() {
                owner
            } else {
                None
            }
        };
        if let EmailChange::Changed { .. } = can_change_email(
            &ctx.directory.actor(),
            &account_facts,
            &current,
            requested,
            &owners,
        )? {
            ctx.audit(
                tx,
                Some(account.id),
                AuditAction::AccountEmailChanged,
                json!({}),
            )
            .await?;
        }
    }
    if !changed.is_empty() {
        // Erased (rule 11): there is no account left to update.
        if account.tombstoned_at.is_some() {
            return Err(ServiceError::NotFound("account"));
        }
        write.profile = Some(ProfileWrite {
            email: stored_email(chosen.written),
            display_name: parts.display_name.clone(),
            profile: Value::Object(parts.profile.clone()),
        });
        let fields: Vec<&str> = changed.iter().map(|f| f.as_str()).collect();
        ctx.audit(
            tx,
            Some(account.id),
            AuditAction::AccountProfileChanged,
            json!({ "fields": fields }),
        )
        .await?;
    }
    if let Some(active) = parts.active {
        if let StatusChange::Set(status) =
            directory_set_active(&ctx.directory, &account_facts, active)?
        {
            if status != account.status && account.tombstoned_at.is_none() {
                write.status = Some(status);
            }
            let action = if status.is_active() {
                AuditAction::AccountReactivated
            } else {
                AuditAction::AccountDeactivated
            };
            ctx.audit(tx, Some(account.id), action, json!({})).await?;
        }
    }
    Ok(write)
}

/// Holds what `replaced` leaves to write (the account's write, or the record's when it
/// changes alone) for the commit of `tx` and commits; false, nothing kept, if what the
/// write was decided on (`current`) moved. On SQLite's one writer the write goes in the
/// same text as the commit when nothing that may write ran before it; on PostgreSQL, when
/// nothing ran at all, it commits alone.
pub(super) async fn commit_replaced(
    mut tx: Tx,
    current: &ScimUser,
    replaced: &Replaced,
    now: i64,
) -> ServiceResult<bool> {
    let user_name = &replaced.user.record.user_name;
    if let Some(account) = &replaced.account {
        // Every directory's record of the account moves; this one also takes its changes.
        let touch = store::Touch::Records {
            own: account.own.as_ref(),
        };
        let change = account.write.change(&current.account, touch, now);
        let guard = store::ReadGuard::of(current).after_own_writes(account.record_bumps);
        let write = store::account_write_if_unchanged(tx.backend(), &change, &guard);
        store::hold_for_commit(&mut tx, write)?;
        let conflict = |err: sqlx::Error| account.write.conflict(err.into(), user_name);
        return tx.commit_unless_moved().await.map_err(conflict);
    }
    if replaced.record_alone {
        let guard = store::ReadGuard::of(current);
        let record = &replaced.user.record;
        let backend = tx.backend();
        let write = store::record_write_if_unchanged(backend, record, current.account.id, &guard);
        store::hold_for_commit(&mut tx, write)?;
        let taken = |err: sqlx::Error| user_name_taken(err.into(), user_name);
        return tx.commit_unless_moved().await.map_err(taken);
    }
    Ok(tx.commit_unless_moved().await?)
}
