//! Changing a group's members, for every caller (SCIM here, the admin API later): rule 19
//! is checked here so that no caller can skip it. Members are rows, so adding or removing
//! touches only the rows named; only a full replacement (PUT, `replace` of `members`) reads
//! the current members, to write just the difference.

use std::collections::HashSet;
use store::Conn;

use crate::domain::{can_edit_group_membership, AccountId, Actor, GroupFacts, GroupSource};
use crate::service::error::ServiceResult;
use crate::store::{self, Group};

/// A change to one group's members, in account ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberChange {
    /// Remove every member before adding.
    pub clear: bool,
    pub add: Vec<AccountId>,
    /// Disjoint from `add`.
    pub remove: Vec<AccountId>,
}

impl MemberChange {
    pub fn is_empty(&self) -> bool {
        !self.clear && self.add.is_empty() && self.remove.is_empty()
    }
}

/// How many membership rows a change inserted and deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberOutcome {
    pub added: u64,
    pub removed: u64,
}

impl MemberOutcome {
    pub fn changed(&self) -> bool {
        self.added > 0 || self.removed > 0
    }
}

pub fn group_facts(group: &Group) -> GroupFacts {
    GroupFacts {
        id: group.id,
        org: group.org_id,
        source: group
            .directory_id
            .map_or(GroupSource::Local, GroupSource::Directory),
    }
}

/// Applies `change` to `group` inside the caller's transaction, after rule 19. The caller
/// holds the group's row lock and bumps its version when the outcome says it changed.
/// Adding a deactivated account is allowed: it keeps memberships, and license counting
/// leaves it out (rules 1, 7).
pub async fn change_members(
    conn: &mut Conn,
    actor: &Actor,
    group: &Group,
    change: &MemberChange,
    at: i64,
) -> ServiceResult<MemberOutcome> {
    can_edit_group_membership(&group_facts(group), actor)?;
    let mut outcome = MemberOutcome::default();
    if change.clear {
        // A replacement writes only the difference: memberships it keeps keep their rows
        // (and their order), and replacing with the same members changes nothing.
        let current: HashSet<AccountId> = store::list_group_members(conn, group.id)
            .await?
            .into_iter()
            .collect();
        let wanted: HashSet<AccountId> = change.add.iter().copied().collect();
        // Sorted, so concurrent writers delete rows in one order.
        let mut gone: Vec<AccountId> = current.difference(&wanted).copied().collect();
        gone.sort_unstable();
        let new: Vec<AccountId> = change
            .add
            .iter()
            .filter(|a| !current.contains(a))
            .copied()
            .collect();
        outcome.removed += store::remove_group_members(conn, group.id, &gone).await?;
        outcome.added += store::add_group_members(conn, group.id, &new, at).await?;
        return Ok(outcome);
    }
    if !change.remove.is_empty() {
        outcome.removed += store::remove_group_members(conn, group.id, &change.remove).await?;
    }
    if !change.add.is_empty() {
        outcome.added += store::add_group_members(conn, group.id, &change.add, at).await?;
    }
    Ok(outcome)
}
