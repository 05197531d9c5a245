//! An org's groups through the admin API: list them, create local ones, and change the
//! members of local ones. Synced groups change only through their directory (rule 19).

use std::collections::HashMap;

use crate::domain::audit::AuditAction;
use serde::Serialize;
use serde_json::json;

use super::views::timestamp;
use super::{audit, audit_org, facts, invalid, load_account, of_org, AdminActor, AdminResult};
use crate::domain::{
    authorize_org_admin, can_change_product_access, can_edit_group_membership, AccountId,
    DirectoryId, GroupId, OrgId, ProductAccessChange, SiteId,
};
use crate::service::groups::members::group_facts;
use crate::store::{self, Group, ProductGrant, Store};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub site_id: SiteId,
    pub product: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub org_id: OrgId,
    pub display_name: String,
    /// `local`, or `directory` when synced (then only that directory changes its members).
    pub source: &'static str,
    pub directory_id: Option<DirectoryId>,
    pub grants: Vec<GrantView>,
    pub members: Vec<AccountId>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

async fn group_view(conn: &mut store::Conn, group: &Group) -> AdminResult<GroupView> {
    let grants = store::list_group_grants(&mut *conn, group.id).await?;
    let members = store::list_group_members(conn, group.id).await?;
    Ok(view_of(group, grants, members))
}

fn view_of(group: &Group, grants: Vec<ProductGrant>, members: Vec<AccountId>) -> GroupView {
    GroupView {
        id: group.id,
        org_id: group.org_id,
        display_name: group.display_name.clone(),
        source: group_facts(group).source.kind().as_str(),
        directory_id: group.directory_id,
        grants: grants
            .into_iter()
            .map(|g| GrantView {
                site_id: g.site_id,
                product: g.product,
            })
            .collect(),
        members,
        created_at: timestamp(group.created_at),
    }
}

/// Summaries without members: an org may have large synced groups, so no member is read,
/// and the list is two statements however many groups the org has.
pub async fn list(store: &Store, who: &AdminActor, org: OrgId) -> AdminResult<Vec<GroupView>> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let mut conn = store.read().await?;
    let groups = store::list_org_groups(&mut conn, authority.org()).await?;
    let mut grants: HashMap<GroupId, Vec<ProductGrant>> = HashMap::new();
    for row in store::list_org_group_grants(&mut conn, authority.org()).await? {
        grants.entry(row.group_id).or_default().push(row.grant);
    }
    Ok(groups
        .iter()
        .map(|group| {
            let granted = grants.remove(&group.id).unwrap_or_default();
            view_of(group, granted, Vec::new())
        })
        .collect())
}

/// A group of the org; another org's group is not found.
async fn org_group(
    conn: &mut store::Conn,
    who: &AdminActor,
    org: OrgId,
    id: GroupId,
) -> AdminResult<Group> {
    authorize_org_admin(who.actor(), org)?;
    of_org(store::get_group(conn, id).await?, org, "group")
}

pub async fn get(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: GroupId,
) -> AdminResult<GroupView> {
    let mut conn = store.read().await?;
    let group = org_group(&mut conn, who, org, id).await?;
    group_view(&mut conn, &group).await
}

pub async fn create(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    name: &str,
) -> AdminResult<GroupView> {
    let authority = authorize_org_admin(who.actor(), org)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("a group needs a name of 1 to 200 characters"));
    }
    let mut tx = store.begin().await?;
    if store::local_group_name_taken(&mut tx, authority.org(), name).await? {
        return Err(super::AdminError::Service(
            crate::service::error::ServiceError::Conflict(
                "the organization already has a local group with this name".into(),
            ),
        ));
    }
    let now = store::now_micros();
    let group = Group {
        id: GroupId::new(),
        org_id: authority.org(),
        directory_id: None,
        display_name: name.to_owned(),
        external_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    store::insert_group(&mut tx, &group).await?;
    let detail = json!({ "group_id": group.id });
    audit_org(&mut tx, who, org, AuditAction::GroupCreated, detail).await?;
    let view = group_view(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(view)
}

/// Adds accounts to a local group (rule 19 refuses synced ones). A group that grants
/// products cannot take a deactivated account: that would grant it access (rule 7).
pub async fn add_members(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: GroupId,
    accounts: &[AccountId],
) -> AdminResult<(bool, GroupView)> {
    let mut tx = store.begin().await?;
    let group = org_group(&mut tx, who, org, id).await?;
    can_edit_group_membership(&group_facts(&group), who.actor())?;
    let grants_products = !store::list_group_grants(&mut tx, group.id)
        .await?
        .is_empty();
    let mut new_members = Vec::new();
    for account in accounts {
        let account = load_account(&mut tx, *account).await?;
        if grants_products {
            can_change_product_access(&facts(&account, 0), ProductAccessChange::Grant)?;
        }
        if !new_members.contains(&account.id)
            && !store::is_group_member(&mut tx, group.id, account.id).await?
        {
            new_members.push(account.id);
        }
    }
    let now = store::now_micros();
    let added = store::add_group_members(&mut tx, group.id, &new_members, now).await?;
    let action = AuditAction::GroupMemberAdded;
    commit_members(tx, who, &group, action, &new_members, added > 0).await
}

pub async fn remove_member(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    id: GroupId,
    account: AccountId,
) -> AdminResult<(bool, GroupView)> {
    let mut tx = store.begin().await?;
    let group = org_group(&mut tx, who, org, id).await?;
    can_edit_group_membership(&group_facts(&group), who.actor())?;
    let removed = store::remove_group_members(&mut tx, group.id, &[account]).await? > 0;
    let audited = if removed {
        std::slice::from_ref(&account)
    } else {
        &[]
    };
    let action = AuditAction::GroupMemberRemoved;
    commit_members(tx, who, &group, action, audited, removed).await
}

/// Audits a member change for each account it touched and commits; whether it changed
/// the group, and the group as it now is.
async fn commit_members(
    mut tx: store::Tx,
    who: &AdminActor,
    group: &Group,
    action: AuditAction,
    accounts: &[AccountId],
    changed: bool,
) -> AdminResult<(bool, GroupView)> {
    for account in accounts {
        let detail = json!({ "group_id": group.id });
        audit(
            &mut tx,
            who,
            Some(group.org_id),
            Some(*account),
            action,
            detail,
        )
        .await?;
    }
    let view = group_view(&mut tx, group).await?;
    tx.commit().await?;
    Ok((changed, view))
}
