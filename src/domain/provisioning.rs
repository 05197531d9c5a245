//! The provisioning log (issue 12): what a directory's SCIM writes came to, kept for the
//! org's admins to read when their identity provider reports a failure. These functions
//! decide what an entry says; the service records it and the store keeps it.

use super::refusal::Refusal;
use super::wire::wire_enum;

wire_enum! {
    /// What a SCIM write came to.
    pub enum ProvisioningOutcome as "provisioning_outcome" {
        /// Done (possibly changing nothing: an IdP resending what scimd already has).
        Ok = "ok",
        /// A rule of the account model said no (its code says which).
        Refused = "refused",
        /// The request itself was wrong: malformed, conflicting, a stale `If-Match`, an
        /// unknown id.
        ClientError = "client_error",
        /// scimd failed; nothing was changed.
        ServerError = "server_error",
    }
}

wire_enum! {
    /// The SCIM write that was asked for.
    pub enum ProvisioningOperation as "provisioning_operation" {
        /// `POST /Users`, `POST /Groups`.
        Create = "create",
        /// `PUT`.
        Replace = "replace",
        /// `PATCH`.
        Patch = "patch",
        /// `DELETE`.
        Delete = "delete",
    }
}

wire_enum! {
    /// The SCIM resource type a write addressed.
    pub enum ProvisionedResource as "provisioned_resource" {
        /// `/Users`.
        User = "User",
        /// `/Groups`.
        Group = "Group",
    }
}

/// The outcome of an answered request: a refusal by a rule whatever its status, otherwise
/// by status class. The metrics' `outcome` label is this same function, so the log and the
/// metrics always agree on what counts as refused.
#[must_use]
pub const fn outcome_of(status: u16, refused: bool) -> ProvisioningOutcome {
    match (refused, status) {
        (true, _) => ProvisioningOutcome::Refused,
        (false, 100..=399) => ProvisioningOutcome::Ok,
        (false, 400..=499) => ProvisioningOutcome::ClientError,
        (false, _) => ProvisioningOutcome::ServerError,
    }
}

/// The refusal's text as the log keeps it: the rule's explanation and who can act, for every
/// refusal whose wording is the rule's own. A refusal that explains a malformed value quotes
/// that value, which came from the request body and is not kept (its code says enough).
#[must_use]
pub fn kept_refusal_text(refusal: &Refusal) -> Option<String> {
    match refusal {
        Refusal::InvalidEmail(_) | Refusal::InvalidDomain(_) | Refusal::PublicSuffix { .. } => None,
        // Quotes the requested email's domain: the entry keeps that email anyway.
        Refusal::EmailDomainNotVerified { .. }
        | Refusal::ManagedByOtherOrg { .. }
        | Refusal::ManagingOrgOnly { .. }
        | Refusal::OwnerOnly { .. }
        | Refusal::AccountDeactivated { .. }
        | Refusal::SuspendedOnSite
        | Refusal::NotOnSite
        | Refusal::NotSuspended { .. }
        | Refusal::AlreadyActive
        | Refusal::NotSiteAdministrator
        | Refusal::RoleNotAllowed { .. }
        | Refusal::SiteAdminOnly
        | Refusal::NotOrgAdministrator
        | Refusal::HasContent
        | Refusal::AlreadyProvisioned
        | Refusal::NotFound
        | Refusal::SyncedGroupMembership { .. }
        | Refusal::GrantedByGroup { .. }
        | Refusal::ProductAccessFromGroups
        | Refusal::DomainVerifiedByOtherOrg { .. }
        | Refusal::DomainNotVerified
        | Refusal::DomainProofMissing { .. }
        | Refusal::DomainProofMismatch { .. }
        | Refusal::NoPendingVerification => Some(refusal.to_string()),
    }
}

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// Entries recorded before this instant are past their retention of `days` days at `now`
/// (microseconds since the Unix epoch) and may be pruned.
#[must_use]
pub fn retention_cutoff(now: i64, days: u32) -> i64 {
    now.saturating_sub(i64::from(days).saturating_mul(DAY_MICROS))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::{AccountAction, EmailError, Instead, InvalidDomain, OrgId};

    #[test]
    fn outcomes_follow_the_refusal_then_the_status() {
        assert_eq!(outcome_of(200, false), ProvisioningOutcome::Ok);
        assert_eq!(outcome_of(201, false), ProvisioningOutcome::Ok);
        assert_eq!(outcome_of(204, false), ProvisioningOutcome::Ok);
        assert_eq!(outcome_of(400, false), ProvisioningOutcome::ClientError);
        assert_eq!(outcome_of(409, false), ProvisioningOutcome::ClientError);
        assert_eq!(outcome_of(412, false), ProvisioningOutcome::ClientError);
        assert_eq!(outcome_of(403, true), ProvisioningOutcome::Refused);
        assert_eq!(outcome_of(400, true), ProvisioningOutcome::Refused);
        assert_eq!(outcome_of(500, false), ProvisioningOutcome::ServerError);
        assert_eq!(outcome_of(503, false), ProvisioningOutcome::ServerError);
    }

    #[test]
    fn who_can_act_is_kept_and_quoted_input_is_not() {
        let managed = Refusal::ManagedByOtherOrg {
            org: OrgId::new(),
            action: AccountAction::ChangeProfile,
            instead: Some(Instead::UnassignInIdentityProvider),
        };
        let kept = kept_refusal_text(&managed).unwrap();
        assert!(kept.contains("only its administrators"), "{kept}");
        assert!(kept.contains("unassign the user"), "{kept}");
        let quoting = Refusal::InvalidDomain(InvalidDomain {
            input: "SECRET-INPUT".into(),
            fault: crate::domain::idn::DomainFault::Syntax,
        });
        assert!(quoting.to_string().contains("SECRET-INPUT"));
        assert_eq!(kept_refusal_text(&quoting), None);
        assert_eq!(
            kept_refusal_text(&Refusal::InvalidEmail(EmailError::MissingAt)),
            None
        );
    }

    #[test]
    fn the_cutoff_is_whole_days_back() {
        assert_eq!(retention_cutoff(30 * DAY_MICROS + 5, 30), 5);
        assert_eq!(retention_cutoff(0, 30), -30 * DAY_MICROS);
        assert_eq!(retention_cutoff(i64::MIN, u32::MAX), i64::MIN);
    }
}
