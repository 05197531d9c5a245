//! Groups: where memberships come from and who may edit them (rules 18, 19).

use thiserror::Error;

use super::actor::Actor;
use super::ids::{DirectoryId, GroupId, OrgId};
use super::refusal::Refusal;
use super::wire::wire_enum;

wire_enum! {
    /// The stored kind of a group's source; the directory id is stored beside it.
    pub enum GroupSourceKind as "group_source" {
        /// Managed in scimd's admin API.
        Local = "local",
        /// Synced from one directory.
        Directory = "directory",
    }
}

/// Where a group's memberships come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum GroupSource {
    /// Edited by org admins.
    Local,
    /// Synced from this directory; only it changes memberships (rule 19).
    Directory(DirectoryId),
}

/// Stored kind and directory id that contradict each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("group source {kind} does not match directory id {directory:?}")]
pub struct InconsistentGroupSource {
    /// The stored kind.
    pub kind: GroupSourceKind,
    /// The stored directory id.
    pub directory: Option<DirectoryId>,
}

impl GroupSource {
    /// The kind, as storage keeps it (see [`GroupSourceKind::as_str`]).
    #[must_use]
    pub const fn kind(self) -> GroupSourceKind {
        match self {
            Self::Local => GroupSourceKind::Local,
            Self::Directory(_) => GroupSourceKind::Directory,
        }
    }

    /// The syncing directory, for storage.
    #[must_use]
    pub const fn directory(self) -> Option<DirectoryId> {
        match self {
            Self::Local => None,
            Self::Directory(id) => Some(id),
        }
    }

    /// Rebuilds a source from its stored kind and directory id.
    pub const fn from_parts(
        kind: GroupSourceKind,
        directory: Option<DirectoryId>,
    ) -> Result<Self, InconsistentGroupSource> {
        match (kind, directory) {
            (GroupSourceKind::Local, None) => Ok(Self::Local),
            (GroupSourceKind::Directory, Some(id)) => Ok(Self::Directory(id)),
            _ => Err(InconsistentGroupSource { kind, directory }),
        }
    }
}

/// What the rules need to know about a group.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupFacts {
    /// The group.
    pub id: GroupId,
    /// The org it belongs to.
    pub org: OrgId,
    /// Where its memberships come from.
    pub source: GroupSource,
}

/// Rule 19: a synced group's memberships change only through its directory, or the next
/// sync would silently undo the edit. Local groups are edited by their org's admins.
/// Directories see only their own groups (rule 18), so anything else is `not_found` to them.
pub fn can_edit_group_membership(group: &GroupFacts, actor: &Actor) -> Result<(), Refusal> {
    match (group.source, *actor) {
        (GroupSource::Directory(synced), Actor::Directory { directory, .. }) => {
            if synced == directory {
                Ok(())
            } else {
                Err(Refusal::NotFound)
            }
        }
        (GroupSource::Directory(directory), _) => Err(Refusal::SyncedGroupMembership { directory }),
        (GroupSource::Local, Actor::Directory { .. }) => Err(Refusal::NotFound),
        (GroupSource::Local, Actor::OrgAdmin(org)) if org == group.org => Ok(()),
        (GroupSource::Local, _) => Err(Refusal::NotOrgAdministrator),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::refusal::WhoCanAct;

    pub(crate) fn group(source: GroupSource) -> GroupFacts {
        GroupFacts {
            id: GroupId::new(),
            org: OrgId::new(),
            source,
        }
    }

    #[test]
    fn source_round_trips_through_storage_parts() {
        let d = DirectoryId::new();
        for source in [GroupSource::Local, GroupSource::Directory(d)] {
            let kind: GroupSourceKind = source.kind().as_str().parse().unwrap();
            assert_eq!(
                GroupSource::from_parts(kind, source.directory()),
                Ok(source)
            );
        }
        assert_eq!(GroupSourceKind::Directory.as_str(), "directory");
        assert!(GroupSource::from_parts(GroupSourceKind::Local, Some(d)).is_err());
        assert!(GroupSource::from_parts(GroupSourceKind::Directory, None).is_err());
    }

    #[test]
    fn rule19_local_groups_are_edited_by_their_org_admins() {
        let g = group(GroupSource::Local);
        assert_eq!(
            can_edit_group_membership(&g, &Actor::OrgAdmin(g.org)),
            Ok(())
        );
        assert_eq!(
            can_edit_group_membership(&g, &Actor::OrgAdmin(OrgId::new()))
                .unwrap_err()
                .code(),
            "not_org_admin"
        );
    }

    #[test]
    fn rule19_synced_groups_change_only_through_their_directory() {
        let d = DirectoryId::new();
        let g = group(GroupSource::Directory(d));
        let own = Actor::Directory {
            directory: d,
            org: g.org,
        };
        assert_eq!(can_edit_group_membership(&g, &own), Ok(()));

        let err = can_edit_group_membership(&g, &Actor::OrgAdmin(g.org)).unwrap_err();
        assert_eq!(err.code(), "synced_group_membership");
        assert_eq!(err.who_can_act(), Some(WhoCanAct::Directory(d)));
        assert!(err.to_string().starts_with(
            "cannot edit group memberships: external user management is enabled for this group"
        ));
    }

    #[test]
    fn rule18_other_directories_do_not_see_the_group() {
        let g = group(GroupSource::Directory(DirectoryId::new()));
        let other = Actor::Directory {
            directory: DirectoryId::new(),
            org: g.org,
        };
        assert_eq!(
            can_edit_group_membership(&g, &other),
            Err(Refusal::NotFound)
        );
        let local = group(GroupSource::Local);
        assert_eq!(
            can_edit_group_membership(&local, &other),
            Err(Refusal::NotFound)
        );
    }
}
