//! A site's users: the list (searchable, filtered by state, paged) and the invite form.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Data, Path, Query};
use maud::{html, Markup};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::page;
use super::session::Session;
use super::visit::Visit;
use super::{form, Reply};
use crate::domain::{SiteId, SiteRole};
use crate::http::admin::Problem;
use crate::service::admin::invites::{self, InviteBatch, InviteOutcome, InviteUser};
use crate::service::admin::orgs::{self, SiteView};
use crate::service::admin::outbox::Outbox;
use crate::service::admin::views::SiteUserView;
use crate::service::admin::{site_users, Page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{site}/users", web::get().to(list))
        .route("/sites/{site}/invites", web::post().to(invite));
}

const PAGE_SIZE: i64 = 50;

/// The list's query: the same words as the admin API's `state` filter.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    start_index: Option<i64>,
}

impl ListQuery {
    fn href(&self, site: SiteId, start_index: i64) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("state", &self.state)
            .append_pair("start_index", &start_index.to_string())
            .finish();
        format!("/console/sites/{site}/users?{query}")
    }
}

/// What the invite form held, to show it again when the batch is refused.
#[derive(Clone, Debug, Default)]
struct Typed {
    emails: String,
    role: Option<SiteRole>,
    products: Vec<String>,
    send_email: bool,
}

const STATES: &[(&str, &str)] = &[
    ("", "All users"),
    ("active", "Active"),
    ("invited", "Invited"),
    ("invite_not_sent", "Invite not sent"),
    ("suspended", "Suspended"),
    ("removed", "Removed"),
    ("deactivated", "Deactivated"),
];

fn user_row(site: SiteId, session: &Session, u: &SiteUserView) -> Markup {
    html! {
        tr {
            th scope="row" {
                a href=(format!("/console/sites/{site}/users/{}", u.account_id)) {
                    (u.email.as_deref().unwrap_or("(deleted)"))
                }
                @if let Some(name) = &u.display_name { br; span.name { (name) } }
            }
            td { span class=(format!("state {}", u.state)) { (u.state) } }
            td { (u.access) }
            td { (u.role) }
            td { (page::products(&u.products)) }
            td { (u.account_status) }
            td { (page::managed_by(session, u.managing_org)) }
        }
    }
}

fn invite_form(session: &Session, site: &SiteView, typed: &Typed) -> Markup {
    let role = typed.role.unwrap_or(SiteRole::Basic);
    html! {
        form.card #invite method="post" action=(format!("/console/sites/{}/invites", site.id)) {
            (page::csrf(session))
            label for="emails" { "Emails" }
            textarea #emails name="emails" rows="4" required aria-describedby="emails-help" { (typed.emails) }
            p #emails-help .help {
                "One per line, or separated by commas. All are checked first: if any is deactivated "
                "or suspended on this site, nobody is invited and each one's reason is listed."
            }
            label for="role" { "Role" }
            select #role name="role" {
                @for r in SiteRole::ALL {
                    option value=(r.as_str()) selected[*r == role] { (r.as_str()) }
                }
            }
            fieldset {
                legend { "Products" }
                @for p in &site.products {
                    label.check {
                        input type="checkbox" name="products" value=(p) checked[typed.products.contains(p)];
                        (p)
                    }
                }
            }
            label.check {
                input type="checkbox" name="send_email" value="on" checked[typed.send_email];
                "Send invitation emails (unchecked: invite_not_sent)"
            }
            button type="submit" { "Invite" }
        }
    }
}

async fn page(
    visit: &Visit,
    site: SiteId,
    query: &ListQuery,
    refused: Option<Problem>,
    typed: &Typed,
) -> Reply {
    let site = orgs::site(visit.store(), visit.who(), site).await?;
    let mut filter = site_users::parse_states(&query.state)?;
    filter.search = Some(query.q.trim().to_owned()).filter(|q| !q.is_empty());
    let paging = Page::new(query.start_index, Some(PAGE_SIZE));
    let list = site_users::list(visit.store(), visit.who(), site.id, filter, paging).await?;
    let status = refused.as_ref().map_or(StatusCode::OK, Problem::status);
    let first = list.start_index;
    let last = first + i64::try_from(list.items_per_page).unwrap_or(0) - 1;
    let content = html! {
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        form.search method="get" action=(format!("/console/sites/{}/users", site.id)) role="search" {
            label for="q" { "Search email or name" }
            input #q type="search" name="q" value=(query.q) maxlength="256";
            label for="state" { "State" }
            select #state name="state" {
                @for (value, label) in STATES {
                    option value=(value) selected[query.state == *value] { (label) }
                }
            }
            button type="submit" { "Filter" }
        }
        table.users {
            caption {
                @if list.total_results == 0 { "No users match." }
                @else { "Users " (first) "–" (last) " of " (list.total_results) }
            }
            thead { tr {
                th scope="col" { "User" } th scope="col" { "State" } th scope="col" { "Site access" }
                th scope="col" { "Role" } th scope="col" { "Products" } th scope="col" { "Account" }
                th scope="col" { "Managed by" }
            } }
            tbody {
                @for u in &list.resources { (user_row(site.id, &visit.session, u)) }
            }
        }
        nav.pages aria-label="Pages" {
            @if first > 1 {
                a href=(query.href(site.id, (first - PAGE_SIZE).max(1))) rel="prev" { "Previous page" }
            }
            @if last < list.total_results {
                a href=(query.href(site.id, last + 1)) rel="next" { "Next page" }
            }
        }
        h2 { "Invite users" }
        (invite_form(&visit.session, &site, typed))
    };
    let title = format!("Users of {}", site.name);
    Ok(visit.shell().render(status, &title, content))
}

async fn list(visit: Visit, site: Path<SiteId>, query: Query<ListQuery>) -> Reply {
    let typed = Typed {
        send_email: true,
        ..Typed::default()
    };
    page(&visit, *site, &query, None, &typed).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    emails: String,
    role: SiteRole,
    #[serde(default)]
    products: Vec<String>,
    /// A checkbox: present when checked.
    #[serde(default)]
    send_email: Option<String>,
}

/// The batch's emails as typed: one per line or separated by commas or semicolons.
fn split_emails(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

fn summary(outcome: &InviteOutcome) -> String {
    let changed = outcome.invited.iter().filter(|i| i.changed).count();
    let created = outcome.invited.iter().filter(|i| i.account_created).count();
    let unchanged = outcome.invited.len() - changed;
    let mut text = format!("Invited {changed} (new accounts: {created})");
    if unchanged > 0 {
        text.push_str(&format!("; {unchanged} already had site access, unchanged"));
    }
    text.push_str(&format!(
        "; invitation emails queued: {}.",
        outcome.emails_queued
    ));
    text
}

async fn invite(visit: Visit, outbox: Data<Outbox>, site: Path<SiteId>, body: Bytes) -> Reply {
    let submitted: InviteForm = form(&body)?;
    let typed = Typed {
        emails: submitted.emails.clone(),
        role: Some(submitted.role),
        products: submitted.products.clone(),
        send_email: submitted.send_email.is_some(),
    };
    let batch = InviteBatch {
        users: split_emails(&submitted.emails)
            .into_iter()
            .map(|email| InviteUser {
                email,
                ..InviteUser::default()
            })
            .collect(),
        role: submitted.role,
        products: submitted.products,
        groups: Vec::new(),
        send_email: typed.send_email,
    };
    match invites::invite(visit.store(), visit.who(), *site, &batch).await {
        Ok(outcome) => {
            if outcome.emails_queued > 0 {
                outbox.deliver(visit.store()).await;
            }
            let to = format!("/console/sites/{site}/users");
            Ok(page::done(&visit.req, &to, &summary(&outcome)))
        }
        Err(err) => {
            let query = ListQuery::default();
            page(&visit, *site, &query, Some(err.into()), &typed).await
        }
    }
}

/// Every access state has a filter entry (and `deactivated`, the account's status).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SiteAccess;

    #[test]
    fn every_state_can_be_filtered() {
        for access in SiteAccess::ALL {
            assert!(
                STATES.iter().any(|(v, _)| *v == access.as_str()),
                "{access}"
            );
        }
        assert!(STATES.iter().any(|(v, _)| *v == "deactivated"));
        for (value, _) in STATES {
            assert!(site_users::parse_states(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn emails_split_on_lines_commas_and_semicolons() {
        assert_eq!(
            split_emails("a@x.example, b@x.example\nc@x.example;d@x.example\r\n\n"),
            vec!["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
        );
        assert!(split_emails(" \n ").is_empty());
    }
}
