//! Who is acting. Every rule that depends on the actor takes one of these, built by the
//! HTTP layer from the authenticated principal (session, SCIM bearer token, ...).

use super::ids::{AccountId, DirectoryId, OrgId, SiteId};

/// The principal a request acts as.
///
/// Site actors carry their site's org so that a refusal can tell "your own org manages this
/// account, but only its org admins may do this" from "another organization manages it".
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Actor {
    /// An administrator of this organization.
    OrgAdmin(OrgId),
    /// A directory (SCIM client) of `org`.
    Directory {
        /// The directory.
        directory: DirectoryId,
        /// The org that owns the directory.
        org: OrgId,
    },
    /// A site administrator of `site`, a site owned by `org`.
    SiteAdmin {
        /// The site.
        site: SiteId,
        /// The org that owns the site.
        org: OrgId,
    },
    /// A trusted user of `site` (may invite users), a site owned by `org`.
    TrustedUser {
        /// The site.
        site: SiteId,
        /// The org that owns the site.
        org: OrgId,
    },
    /// The owner of this account, acting on their own behalf.
    AccountOwner(AccountId),
}

impl Actor {
    /// The org this actor acts within, if any.
    #[must_use]
    pub const fn org(&self) -> Option<OrgId> {
        match *self {
            Self::OrgAdmin(org)
            | Self::Directory { org, .. }
            | Self::SiteAdmin { org, .. }
            | Self::TrustedUser { org, .. } => Some(org),
            Self::AccountOwner(_) => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn org_is_known_for_org_actors_only() {
        let (org, site) = (OrgId::new(), SiteId::new());
        assert_eq!(Actor::TrustedUser { site, org }.org(), Some(org));
        assert_eq!(
            Actor::Directory {
                directory: DirectoryId::new(),
                org
            }
            .org(),
            Some(org)
        );
        assert_eq!(Actor::AccountOwner(AccountId::new()).org(), None);
    }
}
