//! POST /Users: links the email's account or creates it (rules 12–15), and records it for
//! the directory, in one transaction.

use crate::domain::audit::AuditAction;
use serde_json::{json, Map, Value};

use super::resource::{asserted_entitlements, current_entitlements, requested_email};
use super::resource::{split, UserParts};
use super::{
    facts, keep_unasserted, no_account_email, stored_email, update_account, user_name_taken, view,
    UserView,
};

use crate::domain::{
    check_asserted_product_access, directory_set_active, initial_access, plan_directory_link,
    AccountFacts, AccountId, AccountStatus, LinkCandidate, LinkPlan, Management, MembershipOrigin,
    ProvisionedResource, ProvisioningOperation, Refusal, SiteRole, StatusChange,
};
use crate::scim::normalize::{check_required, normalize_resource};
use crate::scim::schema::user::USER_RESOURCE;
use crate::scim::ScimError;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::provisioning::LoggedWrite;
use crate::service::scim_context::ScimContext;
use crate::store::{self, Account, Derived, NewAccount, ScimUser};

/// POST /Users: links or creates the account (rules 12, 14) and records it for the directory.
pub async fn create_user(
    ctx: &ScimContext<'_>,
    body: &Value,
    derived: Derived,
) -> ServiceResult<UserView> {
    let resource = normalize_resource(&USER_RESOURCE, body)?;
    check_required(&USER_RESOURCE, &resource)?;
    let asserted = asserted_entitlements(&resource);
    let parts = split(&resource);
    let chosen = requested_email(&parts).map_err(no_account_email)?;
    let email = chosen.email.clone();
    let written = stored_email(chosen.written);
    let now = store::now_micros();
    // Users a directory creates get no invitation email (rule 6).
    let site_access = store::DirectorySiteAccess {
        org: ctx.directory.org,
        access: initial_access(MembershipOrigin::Directory),
        role: SiteRole::Basic,
        at: now,
    };
    let email_key = crate::domain::fold_case(email.as_str());
    let email_domain = email.domain().to_ascii_lowercase();
    // A new account is the common case: on PostgreSQL the create goes first on the email
    // taken as free and the domain's owner as this process last read it, reading nothing
    // (`store::decide_early`). Otherwise (with one writer (SQLite) that another
    // transaction holds, and always on PostgreSQL, where the write then commits alone) the
    // facts are read before the transaction. The write checks that they still hold (the
    // email free, the domain's owner the same) and writes nothing otherwise, and a new
    // pass reads them in its transaction. An account found is read again in the
    // transaction, before anything is decided about it.
    let mut guessed = ctx
        .store
        .domain_owner_as_last_read(&email_domain)
        .map(|owner| store::LinkFacts {
            domain_owner: owner,
            account: None,
        });
    let mut read_early = None;
    if guessed.is_none() && ctx.store.read_before_writing() {
        let mut conn = ctx.store.read().await?;
        read_early =
            store::facts_if_email_free(&mut conn, ctx.directory.id, &email_key, &email_domain)
                .await?;
    }
    // Another pass when the first went on a guess that did not hold, or when another
    // transaction created the email's account (or moved its domain) between our read and
    // our insert: nothing of the pass before remains, and the rules decide again on what
    // is there.
    for _pass in 0..3 {
        let mut tx = ctx.store.begin().await?;
        let mut record = store::DirectoryUser {
            id: crate::domain::new_record_id(),
            directory_id: ctx.directory.id,
            account_id: crate::domain::AccountId::new(),
            user_name: parts.user_name.clone(),
            external_id: parts.external_id.clone(),
            attributes: Value::Object(parts.record.clone()),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        // The status of an existing account this POST links, before the POST.
        let mut linked_status = None;
        let guess = guessed.take();
        let on_guess = guess.is_some();
        let link = match guess.or_else(|| read_early.take()) {
            Some(facts) => facts,
            None => {
                store::user_link_facts(&mut tx, ctx.directory.id, &email_key, &email_domain).await?
            }
        };
        if !on_guess {
            ctx.store
                .remember_domain_owner(&email_domain, link.domain_owner);
        }
        let owner = link.domain_owner;
        let owners = |domain: &str| {
            if domain == email.domain() {
                owner
            } else {
                None
            }
        };
        let candidate = link.account.as_ref().map(|found| LinkCandidate {
            account: facts(&found.account),
            provisioned_by_this_directory: found.provisioned_here,
        });
        let plan = match plan_directory_link(&ctx.directory, &email, candidate, &owners) {
            // Nothing is refused on a guess: the facts are read first.
            Err(_) if on_guess => continue,
            Err(Refusal::AlreadyProvisioned) => {
                let account = link.account.map(|found| found.account);
                return Err(already_provisioned(&mut tx, ctx, account.as_ref()).await);
            }
            plan => plan?,
        };
        let linked = match (plan, link.account) {
            (
                LinkPlan::LinkExisting {
                    may_update_profile, ..
                },
                Some(found),
            ) => {
                linked_status = Some(found.account.status);
                let mut account = found.account;
                if may_update_profile {
                    // Linking is not replacing: what the POST leaves out (a title an admin
                    // set, a profile another directory wrote) stays as it is.
                    let mut parts = parts.clone();
                    keep_unasserted(&mut parts, &account);
                    let write = update_account(&mut tx, ctx, &account, &parts).await?;
                    if write.changes() {
                        let touch = match found.records {
                            0 => store::Touch::NoneFound,
                            _ => store::Touch::Records { own: None },
                        };
                        store::write_account(&mut tx, &write.change(&account, touch, now))
                            .await
                            .map_err(|err| write.conflict(err, &record.user_name))?;
                        account = write.applied(account, now);
                    }
                }
                // Otherwise the account keeps its own profile and status (rule 14).
                ctx.audit(
                    &mut tx,
                    Some(account.id),
                    AuditAction::DirectoryUserLinked,
                    json!({ "managed": may_update_profile }),
                )
                .await?;
                record.account_id = account.id;
                // A linked account may already have product access through the org's
                // groups: a POST may repeat it, like any write.
                Linked::Existing {
                    account,
                    groups: found.groups,
                    entitlements: found.entitlements,
                }
            }
            (LinkPlan::LinkExisting { .. }, None) => return Err(ServiceError::NotFound("account")),
            (LinkPlan::CreateManaged { .. } | LinkPlan::CreateExternal { .. }, _) => {
                let new = new_account(ctx, &parts, &written, record.account_id, owner, plan, now)?;
                ctx.audit(
                    &mut tx,
                    Some(new.id),
                    AuditAction::AccountCreated,
                    json!({ "managed": owner.is_some(), "status": new.status.as_str() }),
                )
                .await?;
                Linked::Created { new, owner }
            }
        };
        let shown_groups = derived.groups;
        let (user, held) = user_of(&mut tx, linked, record, site_access, shown_groups, now).await?;
        check_asserted_product_access(&current_entitlements(&user), asserted.as_ref())?;
        ctx.log_write(
            &mut tx,
            LoggedWrite {
                operation: ProvisioningOperation::Create,
                resource: ProvisionedResource::User,
                resource_id: user.record.id,
                account: Some((user.account.id, user.account.email.as_deref())),
                changed: true,
            },
        )
        .await?;
        let before = linked_status.map(|status| super::events::Before { user: None, status });
        super::events::user_changed(
            &mut tx,
            ctx,
            crate::domain::events::Operation::Create,
            before.as_ref(),
            &user,
            true,
            None,
        )
        .await?;
        // A new account's write goes last, with the commit: on SQLite's one writer, in the
        // same text when nothing that may write ran before it. It writes nothing if the
        // email was taken or the domain moved meanwhile.
        let committed = match held {
            Some(write) => {
                store::hold_for_commit(&mut tx, write)?;
                let taken = |err: sqlx::Error| user_name_taken(err.into(), &user.record.user_name);
                tx.commit_unless_moved().await.map_err(taken)?
            }
            None => tx.commit_unless_moved().await?,
        };
        if committed {
            return Ok(view(ctx, user));
        }
    }
    Err(ServiceError::Scim(ScimError::conflict(
        "another request is creating an account with this email; retry",
    )))
}

/// The user a create made of what it `linked`, nothing read back, and the write of a new
/// account, which the caller holds for the commit. The record of a linked account is
/// written here.
async fn user_of(
    tx: &mut store::Tx,
    linked: Linked,
    record: store::DirectoryUser,
    site_access: store::DirectorySiteAccess,
    shown_groups: bool,
    now: i64,
) -> ServiceResult<(ScimUser, Option<store::HeldWrite>)> {
    match linked {
        Linked::Existing {
            account,
            groups,
            entitlements,
        } => {
            store::insert_directory_user_with_site_access(tx, &record, site_access)
                .await
                .map_err(|err| user_name_taken(err, &record.user_name))?;
            let user = ScimUser {
                record,
                account,
                // Read anyway (a few index probes), shown only where asked for.
                groups: if shown_groups { groups } else { Vec::new() },
                entitlements,
            };
            Ok((user, None))
        }
        // A new account is in none of this org's groups yet, so it has no product access
        // either.
        Linked::Created { new, owner } => {
            let write = store::new_user_write(tx.backend(), &new, owner, &record, site_access);
            let user = ScimUser {
                record,
                account: Account {
                    id: new.id,
                    email: Some(new.email),
                    display_name: new.display_name,
                    profile: new.profile,
                    status: new.status,
                    managing_org: owner,
                    tombstoned_at: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                },
                groups: Vec::new(),
                entitlements: Vec::new(),
            };
            Ok((user, Some(write)))
        }
    }
}

/// What a POST /Users linked its record to.
enum Linked {
    /// An account the email already had, as this POST left it, with its groups and product
    /// access as read under its lock.
    Existing {
        account: Account,
        groups: Vec<(crate::domain::GroupId, String)>,
        entitlements: Vec<store::SiteProduct>,
    },
    /// A new account, managed by `owner` if any.
    Created {
        new: NewAccount,
        owner: Option<crate::domain::OrgId>,
    },
}

/// The email a POST /Users body asks for, if it names a valid one: the provisioning log
/// names it when the create fails (nothing else of the body is kept).
pub fn requested_email_of(body: &Value) -> Option<String> {
    let resource = normalize_resource(&USER_RESOURCE, body).ok()?;
    let parts = split(&resource);
    let chosen = requested_email(&parts).ok()?;
    Some(stored_email(chosen.written))
}

/// Rule 14's 409 `uniqueness`, naming the user this directory already has for the email's
/// account (its id, userName and status), so whoever reads the IdP's log can find it. A
/// re-sent user (an IdP re-assigning one it deactivated) is found by the lookup IdPs make
/// before they POST (`userName eq`), whatever its status, and reactivated by `active: true`
/// in a PATCH or PUT: the 409 answers a client that skipped the lookup, or whose user now
/// has another userName than the directory's record.
async fn already_provisioned(
    tx: &mut store::Tx,
    ctx: &ScimContext<'_>,
    account: Option<&Account>,
) -> ServiceError {
    let mut detail = Refusal::AlreadyProvisioned.to_string();
    if let Some(account) = account {
        match store::find_directory_user_by_account(tx, ctx.directory.id, account.id).await {
            Ok(Some(record)) => {
                detail = format!(
                    "this directory already provisions this email's account as user {} \
                     (userName {:?}, active: {}); update that user with PATCH or PUT instead \
                     (`active: true` reactivates it, and a PATCH may change its userName)",
                    record.id,
                    record.user_name,
                    account.status.is_active()
                );
            }
            Ok(None) => {}
            Err(err) => return err.into(),
        }
    }
    ServiceError::Scim(ScimError::conflict(detail))
}

/// The account a directory's create makes: its status after `active` (rule 15), and the
/// request's profile only where the plan writes it (rule 13).
fn new_account(
    ctx: &ScimContext<'_>,
    parts: &UserParts,
    email: &str,
    id: AccountId,
    owner: Option<crate::domain::OrgId>,
    plan: LinkPlan,
    now: i64,
) -> ServiceResult<NewAccount> {
    let management = owner.map_or(Management::Unmanaged, Management::Managed);
    let status = match parts.active {
        Some(false) => {
            let fresh = AccountFacts {
                id,
                status: AccountStatus::Active,
                management,
                content_count: 0,
            };
            match directory_set_active(&ctx.directory, &fresh, false)? {
                StatusChange::Set(status) => status,
                StatusChange::Unchanged => AccountStatus::Active,
            }
        }
        _ => AccountStatus::Active,
    };
    let writes_profile = plan.writes_profile();
    Ok(NewAccount {
        id,
        email: email.to_owned(),
        display_name: parts.display_name.clone().filter(|_| writes_profile),
        profile: Value::Object(if writes_profile {
            parts.profile.clone()
        } else {
            Map::new()
        }),
        status,
        at: now,
    })
}
