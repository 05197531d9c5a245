//! How each domain refusal is answered, on the SCIM API and on the admin API (and so the
//! console): one row per refusal, with no catch-all, so a new refusal cannot be added without
//! deciding its answers here. The stable code and who can act come from the refusal itself
//! ([`Refusal::code`], [`Refusal::who_can_act`]).
//!
//! The two APIs agree except on refusals about the state of an account, membership or
//! domain: the admin API says 409 (the state stands in the way; change it and retry), while
//! SCIM says 403, because an IdP can change none of that state and RFC 7644 keeps 409 for
//! uniqueness and version conflicts.

use actix_web::http::StatusCode;

use crate::domain::Refusal;
use crate::scim::ScimType;

/// A refusal's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefusalAnswer {
    /// The admin API's (and the console's) status.
    pub admin_status: StatusCode,
    /// The SCIM API's status.
    pub scim_status: u16,
    /// The SCIM error's `scimType`, where RFC 7644 Table 9 has one that fits.
    pub scim_type: Option<ScimType>,
}

const fn row(admin: StatusCode, scim: u16, scim_type: Option<ScimType>) -> RefusalAnswer {
    RefusalAnswer {
        admin_status: admin,
        scim_status: scim,
        scim_type,
    }
}

const BAD_VALUE: RefusalAnswer = row(StatusCode::BAD_REQUEST, 400, Some(ScimType::InvalidValue));
const FORBIDDEN: RefusalAnswer = row(StatusCode::FORBIDDEN, 403, None);
const STATE: RefusalAnswer = row(StatusCode::CONFLICT, 403, None);

/// The answers to `refusal`: 400 for a malformed request, 403 when a rule says the caller may
/// not (someone else may), 404 for what the caller cannot see, and for the state of an
/// account, membership or domain 409 on the admin API (403 over SCIM, above).
pub const fn answer(refusal: &Refusal) -> RefusalAnswer {
    match refusal {
        Refusal::InvalidEmail(_) | Refusal::InvalidDomain(_) | Refusal::PublicSuffix { .. } => {
            BAD_VALUE
        }
        Refusal::ProductAccessFromGroups => {
            row(StatusCode::BAD_REQUEST, 400, Some(ScimType::Mutability))
        }
        Refusal::ManagedByOtherOrg { .. }
        | Refusal::ManagingOrgOnly { .. }
        | Refusal::OwnerOnly { .. }
        | Refusal::NotSiteAdministrator
        | Refusal::RoleNotAllowed { .. }
        | Refusal::SiteAdminOnly
        | Refusal::NotOrgAdministrator
        | Refusal::EmailDomainNotVerified { .. }
        | Refusal::DomainVerifiedByOtherOrg { .. } => FORBIDDEN,
        Refusal::NotFound => row(StatusCode::NOT_FOUND, 404, None),
        // Rule 14: the directory already has this user; SCIM's own uniqueness conflict.
        Refusal::AlreadyProvisioned => row(StatusCode::CONFLICT, 409, Some(ScimType::Uniqueness)),
        Refusal::AccountDeactivated { .. }
        | Refusal::SuspendedOnSite
        | Refusal::NotOnSite
        | Refusal::NotSuspended { .. }
        | Refusal::AlreadyActive
        | Refusal::HasContent
        | Refusal::SyncedGroupMembership { .. }
        | Refusal::GrantedByGroup { .. }
        | Refusal::DomainNotVerified
        | Refusal::DomainProofMissing { .. }
        | Refusal::DomainProofMismatch { .. }
        | Refusal::NoPendingVerification => STATE,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::refusal::tests::all_samples;

    /// docs/admin.md's error table: `| status | codes... |` rows, each code in backticks.
    fn documented_statuses() -> Vec<(u16, String)> {
        include_str!("../../docs/admin.md")
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('|').map(str::trim).skip(1);
                let status = cells.next()?.parse::<u16>().ok()?;
                Some((status, cells.next()?.to_owned()))
            })
            .collect()
    }

    #[test]
    fn docs_admin_error_table_lists_each_refusal_under_its_status() {
        let rows = documented_statuses();
        assert!(rows.len() >= 5, "the error table was not found: {rows:?}");
        for refusal in all_samples() {
            let code = format!("`{}`", refusal.code());
            let listed: Vec<u16> = rows
                .iter()
                .filter(|(_, codes)| codes.contains(&code))
                .map(|(status, _)| *status)
                .collect();
            assert_eq!(
                listed,
                vec![answer(&refusal).admin_status.as_u16()],
                "{code}: docs/admin.md lists it under {listed:?}"
            );
        }
    }

    #[test]
    fn scim_differs_only_for_state_refusals() {
        for refusal in all_samples() {
            let answer = answer(&refusal);
            let admin = answer.admin_status.as_u16();
            if answer.scim_status != admin {
                assert_eq!(
                    (admin, answer.scim_status),
                    (409, 403),
                    "{}",
                    refusal.code()
                );
                assert_eq!(answer.scim_type, None);
            }
        }
    }
}
