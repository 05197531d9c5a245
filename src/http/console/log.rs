//! An org's provisioning log: its directories' SCIM writes and what they came to, newest
//! first, filtered and paged through the same service function as the admin API's
//! `GET /orgs/{org}/provisioning-log`; and the tables of recent failures that the
//! directories pages show from it.

use std::collections::HashMap;

use actix_web::web::{self, Path};
use maud::{html, Markup};
use serde::Deserialize;

use super::page;
use super::visit::Visit;
use super::{ConsoleError, Reply};
use crate::domain::{DirectoryId, OrgId, ProvisioningOutcome};
use crate::service::admin::directories::{self, DirectoryView};
use crate::service::admin::provisioning_log::{
    self, ProvisioningEntryView, ProvisioningLogFilter, ProvisioningLogPage,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/provisioning-log", web::get().to(log_page));
}

const PAGE_SIZE: i64 = 50;

/// Every outcome but `ok`: what an admin looks for when the identity provider reports a
/// failure.
pub const FAILURES: &[ProvisioningOutcome] = &[
    ProvisioningOutcome::Refused,
    ProvisioningOutcome::ClientError,
    ProvisioningOutcome::ServerError,
];

fn outcome_label(outcome: ProvisioningOutcome) -> &'static str {
    match outcome {
        ProvisioningOutcome::Ok => "Done",
        ProvisioningOutcome::Refused => "Refused by a rule",
        ProvisioningOutcome::ClientError => "Client error",
        ProvisioningOutcome::ServerError => "Server error",
    }
}

/// The page's query, as its filter form sends it: one `outcome` per ticked box.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    #[serde(default)]
    directory: String,
    #[serde(default)]
    outcome: Vec<String>,
    #[serde(default)]
    email: String,
    before: Option<i64>,
}

impl LogQuery {
    fn href(&self, org: OrgId, before: Option<i64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.directory.is_empty() {
            query.append_pair("directory", &self.directory);
        }
        for outcome in &self.outcome {
            query.append_pair("outcome", outcome);
        }
        if !self.email.is_empty() {
            query.append_pair("email", &self.email);
        }
        if let Some(before) = before {
            query.append_pair("before", &before.to_string());
        }
        let query = query.finish();
        let path = format!("/console/orgs/{org}/provisioning-log");
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    /// The service's filter; the outcomes are checked there, so an unknown one gets the
    /// admin API's refusal word for word.
    fn filter(&self) -> Result<ProvisioningLogFilter, ConsoleError> {
        let directory = match self.directory.trim() {
            "" => None,
            id => Some(id.parse::<DirectoryId>().map_err(|_| {
                ConsoleError::bad_form("the directory is given by its id (a UUID)")
            })?),
        };
        Ok(ProvisioningLogFilter {
            directory,
            outcome: Some(self.outcome.join(",")).filter(|o| !o.is_empty()),
            email: Some(self.email.trim().to_owned()).filter(|e| !e.is_empty()),
            before: self.before,
            limit: PAGE_SIZE,
        })
    }
}

/// A link to the log page showing one directory's entries with these outcomes.
pub fn href(org: OrgId, directory: DirectoryId, outcomes: &[ProvisioningOutcome]) -> String {
    LogQuery {
        directory: directory.to_string(),
        outcome: outcomes.iter().map(|o| o.as_str().to_owned()).collect(),
        ..LogQuery::default()
    }
    .href(org, None)
}

/// Entries as the log page and the directory page show them: each entry a `tbody` of its
/// own, its ids on a second row, and a refusal's explanation (who can act) on a third.
pub fn entries_table(
    org: OrgId,
    caption: Markup,
    entries: &[ProvisioningEntryView],
    directories: &[DirectoryView],
) -> Markup {
    let names: HashMap<DirectoryId, &str> = directories
        .iter()
        .map(|d| (d.id, d.name.as_str()))
        .collect();
    html! {
        table.log {
            caption { (caption) }
            thead { tr {
                th scope="col" { "When" } th scope="col" { "Directory" } th scope="col" { "Operation" }
                th scope="col" { "Resource" } th scope="col" { "Email" } th scope="col" { "Outcome" }
                th scope="col" { "Status" } th scope="col" { "Code" }
            } }
            @for e in entries { (entry(org, &names, e)) }
        }
    }
}

fn entry(org: OrgId, names: &HashMap<DirectoryId, &str>, e: &ProvisioningEntryView) -> Markup {
    html! {
        tbody.entry {
            tr {
                td.nowrap { (page::when_exact(&e.at)) }
                td {
                    @match names.get(&e.directory_id) {
                        Some(name) => a href=(format!("/console/orgs/{org}/directories/{}", e.directory_id)) { (name) },
                        None => code { (e.directory_id) },
                    }
                }
                td { (e.operation) }
                td { (e.resource_type) }
                td { @if let Some(email) = &e.email { (email) } @else { span.none { "none" } } }
                td {
                    span class=(format!("state {}", e.outcome)) title=(outcome_label(e.outcome)) { (e.outcome) }
                    @if e.changed == Some(false) { br; span.name { "nothing changed" } }
                }
                td { @if let Some(status) = e.status { (status) } }
                td.nowrap { @if let Some(code) = &e.code { code { (code) } } }
            }
            // The ids are long: a line of their own keeps the columns readable.
            tr.ids {
                td colspan="8" {
                    @if let Some(id) = e.resource_id { "SCIM id " code { (id) } " · " }
                    "token " code { (e.token) }
                }
            }
            @if let Some(detail) = &e.detail {
                tr.who {
                    td colspan="8" { span.label { "Who can act: " } (detail) }
                }
            }
        }
    }
}

fn filter_form(org: OrgId, query: &LogQuery, directories: &[DirectoryView]) -> Markup {
    html! {
        form.search.log-filter method="get" action=(format!("/console/orgs/{org}/provisioning-log")) role="search" {
            label for="directory" { "Directory" }
            select #directory name="directory" {
                option value="" selected[query.directory.is_empty()] { "All directories" }
                @for d in directories {
                    @let id = d.id.to_string();
                    option value=(id) selected[query.directory == id] { (d.name) }
                }
            }
            fieldset.outcomes {
                legend { "Outcome (none ticked: all)" }
                @for outcome in ProvisioningOutcome::ALL {
                    label.check {
                        input type="checkbox" name="outcome" value=(outcome.as_str())
                            checked[query.outcome.iter().any(|o| o == outcome.as_str())];
                        (outcome_label(*outcome))
                    }
                }
            }
            label for="email" { "Email" }
            input #email type="text" name="email" value=(query.email) inputmode="email" maxlength="256" autocomplete="off" spellcheck="false";
            button type="submit" { "Filter" }
            a href=(format!("/console/orgs/{org}/provisioning-log")) { "Clear filters" }
        }
    }
}

async fn log_page(visit: Visit, org: Path<OrgId>) -> Reply {
    // Repeated keys (one per ticked box) are a sequence only to serde_html_form.
    let query: LogQuery = serde_html_form::from_str(visit.req.query_string())
        .map_err(|e| ConsoleError::bad_form(format!("bad query parameter: {e}")))?;
    let org = *org;
    // The log first: its refusal for anyone but the org's admins is the admin API's.
    let log = provisioning_log::list(visit.store(), visit.who(), org, query.filter()?).await?;
    let dirs = directories::list(visit.store(), visit.who(), org).await?;
    let ProvisioningLogPage {
        entries,
        next_before,
    } = log;
    let filtered =
        !query.directory.is_empty() || !query.outcome.is_empty() || !query.email.is_empty();
    let caption = html! {
        @if entries.is_empty() {
            @if filtered { "No entries match." } @else { "No SCIM writes yet." }
        } @else if query.before.is_some() {
            "Older entries, newest first"
        } @else {
            "Newest first"
        }
    };
    let content = html! {
        p.help {
            "Every SCIM write the organization's directories sent, and what it came to: "
            "what to open when the identity provider reports a failure. Request bodies are not kept."
        }
        (filter_form(org, &query, &dirs))
        (entries_table(org, caption, &entries, &dirs))
        nav.pages aria-label="Pages" {
            @if query.before.is_some() {
                a href=(query.href(org, None)) { "Newest" }
            }
            @if let Some(before) = next_before {
                a href=(query.href(org, Some(before))) rel="next" { "Older" }
            }
        }
    };
    Ok(visit.shell().ok("Provisioning log", content))
}

/// The org's latest failures, for the directories page; how many it asks for at most.
pub const RECENT_WINDOW: i64 = 100;

/// The org's (or one directory's) latest failed writes, newest first, and whether there
/// may be older ones than the `limit` returned.
pub async fn recent_failures(
    visit: &Visit,
    org: OrgId,
    directory: Option<DirectoryId>,
    limit: i64,
) -> Result<(Vec<ProvisioningEntryView>, bool), ConsoleError> {
    let outcome = FAILURES
        .iter()
        .map(|o| o.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let filter = ProvisioningLogFilter {
        directory,
        outcome: Some(outcome),
        email: None,
        before: None,
        limit,
    };
    let page = provisioning_log::list(visit.store(), visit.who(), org, filter).await?;
    Ok((page.entries, page.next_before.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_add_the_cursor() {
        let org = OrgId::new();
        let query = LogQuery {
            directory: String::new(),
            outcome: vec!["refused".into(), "client_error".into()],
            email: "ann+x@acme.example".into(),
            before: Some(7),
        };
        assert_eq!(
            query.href(org, Some(3)),
            format!(
                "/console/orgs/{org}/provisioning-log?outcome=refused&outcome=client_error\
                 &email=ann%2Bx%40acme.example&before=3"
            )
        );
        assert_eq!(
            LogQuery::default().href(org, None),
            format!("/console/orgs/{org}/provisioning-log")
        );
    }

    #[test]
    fn every_outcome_but_ok_is_a_failure() {
        for outcome in ProvisioningOutcome::ALL {
            assert_eq!(
                FAILURES.contains(outcome),
                *outcome != ProvisioningOutcome::Ok,
                "{outcome}"
            );
        }
    }
}
