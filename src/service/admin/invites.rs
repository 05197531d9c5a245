//! Inviting a batch of emails to a site (rules 4–6): every email is checked before anything
//! is written, and either every invite is persisted or none is.

use crate::domain::audit::AuditAction;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::outbox::queue_invitation;
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

async fn load_known(tx: &mut Tx, site: SiteId, users: &[InviteUser]) -> AdminResult<Known> {
    let mut known = Known::default();
    for user in users {
        let Ok(email) = normalize_email(&user.email) else {
            continue;
        };
        if let Some(account) = store::find_account_by_email(tx, email.as_str()).await? {
            let member = store::get_site_user(tx, site, account.id).await?;
            let invitee = Invitee {
                account: facts(&account, 0),
                site_access: member.as_ref().map(|m| m.access),
                site_role: member.as_ref().map(|m| m.role),
            };
            if let Some(member) = member {
                known.members.insert(account.id, member);
            }
            known.invitees.insert(email, invitee);
        } else if !known.owners.contains_key(email.domain()) {
            let owner = store::verified_domain_owner(tx, email.domain()).await?;
            known.owners.insert(email.domain().to_owned(), owner);
        }
    }
    Ok(known)
}

/// Groups named by the batch: the site's org's own, and editable by this actor (rule 19).
async fn load_groups(
    tx: &mut Tx,
    who: &AdminActor,
    site: &Site,
    ids: &[GroupId],
) -> AdminResult<Vec<Group>> {
    let mut groups = Vec::new();
    for id in ids {
        let group = of_org(store::get_group(tx, *id).await?, site.org_id, "group")?;
        can_edit_group_membership(&group_facts(&group), who.actor())?;
        if !groups.iter().any(|g: &Group| g.id == group.id) {
            groups.push(group);
        }
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
    let mut invited = Vec::new();
    for planned in &plan.invites {
        let before = match planned.account {
            InviteAccount::Existing(id) => known.members.get(&id).cloned(),
            InviteAccount::New { .. } => None,
        };
        let apply = Apply {
            site: &site,
            batch,
            products: &products,
            groups: &groups,
            now,
        };
        invited.push(apply.one(&mut tx, who, planned, before).await?);
    }
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
    products: &'a [crate::domain::Product],
    groups: &'a [Group],
    now: i64,
}

impl Apply<'_> {
    async fn one(
        &self,
        tx: &mut Tx,
        who: &AdminActor,
        planned: &PlannedInvite,
        before: Option<SiteUser>,
    ) -> AdminResult<InvitedView> {
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
        let role = role_after_invite(before.as_ref().map(|m| (m.access, m.role)), self.batch.role);
        let member_changed = before
            .as_ref()
            .is_none_or(|m| m.access != planned.access_after || m.role != role);
        if member_changed {
            let member = SiteUser {
                site_id: self.site.id,
                account_id: account,
                access: planned.access_after,
                role,
                created_at: before.as_ref().map_or(self.now, |m| m.created_at),
                updated_at: self.now,
            };
            store::put_site_user(tx, &member).await?;
        }
        let mut granted = Vec::new();
        for product in self.products {
            let group = product_group(tx, self.site, product, self.now).await?;
            if store::add_group_members(tx, group, &[account], self.now).await? > 0 {
                granted.push(product.as_str().to_owned());
            }
        }
        let mut joined = Vec::new();
        for group in self.groups {
            if store::add_group_members(tx, group.id, &[account], self.now).await? > 0 {
                joined.push(group.id);
            }
        }
        if planned.send_email {
            queue_invitation(tx, self.site.id, account, self.now).await?;
        }
        let changed =
            member_changed || !granted.is_empty() || !joined.is_empty() || planned.send_email;
        if changed {
            let detail = json!({
                "site_id": self.site.id,
                "account_created": created,
                "access_before": planned.access_before,
                "access": planned.access_after,
                "role": role,
                "products_granted": granted,
                "groups_joined": joined,
                "email_queued": planned.send_email,
                "ignored_fields": planned.ignored,
            });
            let (org, id) = (Some(self.site.org_id), Some(account));
            audit(tx, who, org, id, AuditAction::SiteUserInvited, detail).await?;
        }
        Ok(InvitedView {
            email: planned.email.as_str().to_owned(),
            account_id: account,
            account_created: created,
            access_before: planned.access_before,
            access: planned.access_after,
            role,
            products: store::account_site_products(tx, account, self.site.id).await?,
            email_queued: planned.send_email,
            ignored_fields: planned.ignored.clone(),
            changed,
        })
    }
}
