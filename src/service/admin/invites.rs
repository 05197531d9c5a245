//! Inviting a batch of emails to a site (rules 4–6): every email is checked before anything
//! is written, and either every invite is persisted or none is.

use crate::domain::audit::AuditAction;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::outbox::queue_invitations;
use super::products::{product_group, site_product};
use super::{audit, facts, invalid, load_site, of_org, site_facts, AdminActor, AdminResult};
use crate::domain::{
    authorize_site_admin, can_change_site_user, can_edit_group_membership, normalize_email,
    plan_invites, role_after_invite, AccountId, AccountStatus, Email, GroupId, IgnoredField,
    InviteAccount, InviteRequest, Invitee, OrgId, PlannedInvite, SiteAccess, SiteId, SiteRole,
    SiteUserChange,
};
use crate::service::groups::members::group_facts;
use crate::store::{self, Group, NewAccount, Site, SiteUser, Store, Tx};

/// Large enough for a team, small enough that one transaction stays short.
pub const MAX_BATCH: usize = 200;
/// Named groups one invite may join: each costs the batch one statement (its join).
pub const MAX_GROUPS: usize = 50;

/// One email of a batch. A password, if the request had one, is only remembered as present.
#[derive(Clone, Debug, Default)]
pub struct InviteUser {
    pub email: String,
    pub display_name: Option<String>,
    pub password_supplied: bool,
}

#[derive(Clone, Debug)]
pub struct InviteBatch {
    pub users: Vec<InviteUser>,
    pub role: SiteRole,
    pub products: Vec<String>,
    pub groups: Vec<GroupId>,
    pub send_email: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitedView {
    pub email: String,
    pub account_id: AccountId,
    pub account_created: bool,
    pub access_before: Option<SiteAccess>,
    pub access: SiteAccess,
    pub role: SiteRole,
    /// The user's product access on the site after the invite.
    pub products: Vec<String>,
    pub email_queued: bool,
    /// Request fields that had no effect: an existing account keeps its own profile, and
    /// passwords are only ever set by the owner (rule 5).
    pub ignored_fields: Vec<IgnoredField>,
    pub changed: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InviteOutcome {
    pub site_id: SiteId,
    pub invited: Vec<InvitedView>,
    pub emails_queued: usize,
}

/// What storage knows about the emails of a batch, loaded before any rule is asked.
#[derive(Default)]
struct Known {
    invitees: HashMap<Email, Invitee>,
    members: HashMap<AccountId, SiteUser>,
    owners: HashMap<String, Option<OrgId>>,
}

/// Three statements for the whole batch: the accounts of its emails, their memberships of
/// the site, and the owners of the other emails' domains.
async fn load_known(tx: &mut Tx, site: SiteId, users: &[InviteUser]) -> AdminResult<Known> {
    let emails: Vec<Email> = users
        .iter()
        .filter_map(|u| normalize_email(&u.email).ok())
        .collect();
    let texts: Vec<&str> = emails.iter().map(Email::as_str).collect();
    let accounts = store::find_accounts_by_emails(tx, &texts).await?;
    let ids: Vec<AccountId> = accounts.values().map(|a| a.id).collect();
    let mut known = Known::default();
    for member in store::site_users_of(tx, site, &ids).await? {
        known.members.insert(member.account_id, member);
    }
    let mut domains: Vec<&str> = emails
        .iter()
        .filter(|e| !accounts.contains_key(e.as_str()))
        .map(Email::domain)
        .collect();
    domains.sort_unstable();
    domains.dedup();
    let owners = store::verified_domain_owners(tx, &domains).await?;
    for domain in domains {
        let owner = owners.get(&domain.to_ascii_lowercase()).copied();
        known.owners.insert(domain.to_owned(), owner);
    }
    for email in emails {
        if let Some(account) = accounts.get(email.as_str()) {
            let member = known.members.get(&account.id);
            let invitee = Invitee {
                account: facts(account, 0),
                site_access: member.map(|m| m.access),
                site_role: member.map(|m| m.role),
            };
            known.invitees.insert(email, invitee);
        }
    }
    Ok(known)
}

/// The groups the batch names, read in one statement, in the order named (a group named
/// twice once): each must be the site's org's own and editable by this actor (rule 19).
async fn load_groups(
    tx: &mut Tx,
    who: &AdminActor,
    site: &Site,
    ids: &[GroupId],
) -> AdminResult<Vec<Group>> {
    if ids.len() > MAX_GROUPS {
        return Err(invalid(format!(
            "name at most {MAX_GROUPS} groups for one invite"
        )));
    }
    let mut named: Vec<GroupId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !named.contains(id) {
            named.push(*id);
        }
    }
    let mut found: HashMap<GroupId, Group> = store::get_groups(tx, &named)
        .await?
        .into_iter()
        .map(|group| (group.id, group))
        .collect();
    let mut groups = Vec::with_capacity(named.len());
    for id in named {
        let group = of_org(found.remove(&id), site.org_id, "group")?;
        can_edit_group_membership(&group_facts(&group), who.actor())?;
        groups.push(group);
    }
    Ok(groups)
}

pub async fn invite(
    store: &Store,
    who: &AdminActor,
    site: SiteId,
    batch: &InviteBatch,
) -> AdminResult<InviteOutcome> {
    if batch.users.is_empty() || batch.users.len() > MAX_BATCH {
        return Err(invalid(format!("invite 1 to {MAX_BATCH} emails at a time")));
    }
    for user in &batch.users {
        super::bounded(
            "display_name",
            user.display_name.as_deref(),
            super::MAX_TEXT,
        )?;
    }
    let mut tx = store.begin().await?;
    let site = load_site(&mut tx, site).await?;
    let authority = authorize_site_admin(who.actor(), &site_facts(&site))?;
    can_change_site_user(&authority, None, SiteUserChange::Invite(batch.role))?;
    let mut products = Vec::new();
    for raw in &batch.products {
        let product = site_product(&site, raw)?;
        if !products.contains(&product) {
            products.push(product);
        }
    }
    let groups = load_groups(&mut tx, who, &site, &batch.groups).await?;
    let known = load_known(&mut tx, site.id, &batch.users).await?;
    let requests: Vec<InviteRequest> = batch
        .users
        .iter()
        .map(|u| InviteRequest {
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            password_supplied: u.password_supplied,
        })
        .collect();
    let owners = |domain: &str| known.owners.get(domain).copied().flatten();
    let plan = plan_invites(
        &authority,
        &requests,
        batch.role,
        batch.send_email,
        |email| known.invitees.get(email).copied(),
        &owners,
    )?;
    let now = store::now_micros();
    let apply = Apply {
        site: &site,
        batch,
        groups: &groups,
        now,
    };
    let invited = apply
        .all(&mut tx, who, &plan.invites, &products, &known)
        .await?;
    tx.commit().await?;
    let emails_queued = invited.iter().filter(|i| i.email_queued).count();
    Ok(InviteOutcome {
        site_id: site.id,
        invited,
        emails_queued,
    })
}

struct Apply<'a> {
    site: &'a Site,
    batch: &'a InviteBatch,
    groups: &'a [Group],
    now: i64,
}

/// An invitee's account, written; its membership, groups and email are written for the
/// batch at once.
struct Staged {
    account: AccountId,
    created: bool,
    role: SiteRole,
    /// The membership to write, if it changes.
    member: Option<SiteUser>,
}

impl Apply<'_> {
    /// Writes the batch: each new invitee's account, then every membership that changes,
    /// each group's new members and every invitation email, a statement each for the
    /// batch; then each invitee's audit entry (written with the commit).
    async fn all(
        &self,
        tx: &mut Tx,
        who: &AdminActor,
        invites: &[PlannedInvite],
        products: &[crate::domain::Product],
        known: &Known,
    ) -> AdminResult<Vec<InvitedView>> {
        let mut staged = Vec::with_capacity(invites.len());
        for planned in invites {
            let before = match planned.account {
                InviteAccount::Existing(id) => known.members.get(&id),
                InviteAccount::New { .. } => None,
            };
            staged.push(self.stage(tx, planned, before).await?);
        }
        let members: Vec<SiteUser> = staged.iter().filter_map(|s| s.member.clone()).collect();
        store::put_site_users(tx, &members).await?;
        let accounts: Vec<AccountId> = staged.iter().map(|s| s.account).collect();
        let mut granted: HashMap<AccountId, Vec<String>> = HashMap::new();
        let mut joined: HashMap<AccountId, Vec<GroupId>> = HashMap::new();
        if !accounts.is_empty() {
            for product in products {
                let group = product_group(tx, self.site, product, self.now).await?;
                for account in
                    store::add_group_members_returning(tx, group, &accounts, self.now).await?
                {
                    granted
                        .entry(account)
                        .or_default()
                        .push(product.as_str().to_owned());
                }
            }
            for group in self.groups {
                for account in
                    store::add_group_members_returning(tx, group.id, &accounts, self.now).await?
                {
                    joined.entry(account).or_default().push(group.id);
                }
            }
        }
        let mut products_after = store::accounts_site_products(tx, &accounts, self.site.id).await?;
        let emailed: Vec<AccountId> = invites
            .iter()
            .zip(&staged)
            .filter(|(planned, _)| planned.send_email)
            .map(|(_, staged)| staged.account)
            .collect();
        queue_invitations(tx, self.site.id, &emailed, self.now).await?;
        let mut invited = Vec::with_capacity(staged.len());
        for (planned, staged) in invites.iter().zip(staged) {
            let account = staged.account;
            let done = Done {
                granted: granted.remove(&account).unwrap_or_default(),
                joined: joined.remove(&account).unwrap_or_default(),
                products: products_after.remove(&account).unwrap_or_default(),
            };
            invited.push(self.finish(tx, who, planned, staged, done).await?);
        }
        Ok(invited)
    }

    /// The invitee's account (created if new) and the membership it is to have.
    async fn stage(
        &self,
        tx: &mut Tx,
        planned: &PlannedInvite,
        before: Option<&SiteUser>,
    ) -> AdminResult<Staged> {
        let (account, created) = match &planned.account {
            InviteAccount::Existing(id) => (*id, false),
            InviteAccount::New { display_name, .. } => {
                let id = AccountId::new();
                let new = NewAccount {
                    id,
                    email: planned.email.as_str().to_owned(),
                    display_name: display_name.clone(),
                    profile: Value::Object(serde_json::Map::new()),
                    status: AccountStatus::Active,
                    at: self.now,
                };
                store::insert_account(tx, &new).await?;
                (id, true)
            }
        };
        let role = role_after_invite(before.map(|m| (m.access, m.role)), self.batch.role);
        let changed = before.is_none_or(|m| m.access != planned.access_after || m.role != role);
        let member = changed.then(|| SiteUser {
            site_id: self.site.id,
            account_id: account,
            access: planned.access_after,
            role,
            created_at: before.map_or(self.now, |m| m.created_at),
            updated_at: self.now,
        });
        Ok(Staged {
            account,
            created,
            role,
            member,
        })
    }

    /// The audit entry, and what the invitee is told.
    async fn finish(
        &self,
        tx: &mut Tx,
        who: &AdminActor,
        planned: &PlannedInvite,
        staged: Staged,
        done: Done,
    ) -> AdminResult<InvitedView> {
        let account = staged.account;
        let changed = staged.member.is_some()
            || !done.granted.is_empty()
            || !done.joined.is_empty()
            || planned.send_email;
        if changed {
            let detail = json!({
                "site_id": self.site.id,
                "account_created": staged.created,
                "access_before": planned.access_before,
                "access": planned.access_after,
                "role": staged.role,
                "products_granted": done.granted,
                "groups_joined": done.joined,
                "email_queued": planned.send_email,
                "ignored_fields": planned.ignored,
            });
            let (org, id) = (Some(self.site.org_id), Some(account));
            audit(tx, who, org, id, AuditAction::SiteUserInvited, detail).await?;
        }
        Ok(InvitedView {
            email: planned.email.as_str().to_owned(),
            account_id: account,
            account_created: staged.created,
            access_before: planned.access_before,
            access: planned.access_after,
            role: staged.role,
            products: done.products,
            email_queued: planned.send_email,
            ignored_fields: planned.ignored.clone(),
            changed,
        })
    }
}

/// What the batch's group statements did for one invitee.
struct Done {
    granted: Vec<String>,
    joined: Vec<GroupId>,
    products: Vec<String>,
}
