//! Reading an org's provisioning log: its directories' SCIM writes, newest first.

use serde::Serialize;

use super::views::{next_before, timestamp};
use super::{bounded, invalid, AdminActor, AdminResult, MAX_TEXT};
use crate::domain::{
    authorize_org_admin, AccountId, DirectoryId, OrgId, ProvisionedResource, ProvisioningOperation,
    ProvisioningOutcome,
};
use crate::store::{self, ProvisioningEntry, ProvisioningLogQuery, Store};

/// One SCIM write and what it came to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProvisioningEntryView {
    /// Increases with every entry: pass the last one seen as `before` for older entries.
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub directory_id: DirectoryId,
    /// The `jti` of the directory token that sent the request.
    pub token: uuid::Uuid,
    pub operation: ProvisioningOperation,
    pub resource_type: ProvisionedResource,
    /// The SCIM id the request addressed or created, when there was one.
    pub resource_id: Option<uuid::Uuid>,
    pub account_id: Option<AccountId>,
    pub email: Option<String>,
    pub outcome: ProvisioningOutcome,
    /// For `ok`: whether the write changed anything (IdPs resend unchanged values).
    pub changed: Option<bool>,
    /// The HTTP status of a failure.
    pub status: Option<u16>,
    /// The refusal's code (`refused`), or the SCIM `scimType` of a client error.
    pub code: Option<String>,
    /// A refusal's explanation: who can act, and what the directory can do instead.
    pub detail: Option<String>,
}

impl From<ProvisioningEntry> for ProvisioningEntryView {
    fn from(e: ProvisioningEntry) -> Self {
        let entry = e.entry;
        Self {
            id: e.id,
            at: timestamp(entry.at),
            directory_id: entry.directory_id,
            token: entry.token_id,
            operation: entry.operation,
            resource_type: entry.resource_type,
            resource_id: entry.resource_id,
            account_id: entry.account_id,
            email: entry.email,
            outcome: entry.outcome,
            changed: entry.changed,
            status: entry.status,
            code: entry.code,
            detail: entry.detail,
        }
    }
}

/// Newest first; pass `next_before` as `before` for the next page (`null`: no more).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProvisioningLogPage {
    pub entries: Vec<ProvisioningEntryView>,
    pub next_before: Option<i64>,
}

/// Which entries an admin asked for.
#[derive(Clone, Debug, Default)]
pub struct ProvisioningLogFilter {
    pub directory: Option<DirectoryId>,
    /// Comma-separated outcomes.
    pub outcome: Option<String>,
    pub email: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

fn parse_outcomes(raw: &str) -> AdminResult<Vec<ProvisioningOutcome>> {
    let mut outcomes = Vec::new();
    for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let outcome: ProvisioningOutcome = word.parse().map_err(|_| {
            invalid(format!(
                "unknown outcome {word:?}: use ok, refused, client_error or server_error"
            ))
        })?;
        if !outcomes.contains(&outcome) {
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// The org's provisioning log, for its admins only.
pub async fn list(
    store: &Store,
    who: &AdminActor,
    org: OrgId,
    filter: ProvisioningLogFilter,
) -> AdminResult<ProvisioningLogPage> {
    let authority = authorize_org_admin(who.actor(), org)?;
    bounded("email", filter.email.as_deref(), MAX_TEXT)?;
    let outcomes = parse_outcomes(filter.outcome.as_deref().unwrap_or_default())?;
    let query = ProvisioningLogQuery {
        org: Some(authority.org()),
        directory: filter.directory,
        outcomes,
        email: filter.email.filter(|e| !e.trim().is_empty()),
        before: filter.before,
        limit: filter.limit,
    };
    let mut conn = store.read().await?;
    let entries = store::list_provisioning_log(&mut conn, &query).await?;
    let next_before = next_before(&entries, filter.limit, |e| e.id);
    Ok(ProvisioningLogPage {
        entries: entries.into_iter().map(Into::into).collect(),
        next_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_a_comma_separated_list_of_known_words() {
        assert_eq!(
            parse_outcomes("refused, client_error,refused").unwrap(),
            vec![
                ProvisioningOutcome::Refused,
                ProvisioningOutcome::ClientError
            ]
        );
        assert!(parse_outcomes("").unwrap().is_empty());
        assert!(parse_outcomes("failed").is_err());
    }
}
