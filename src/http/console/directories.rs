//! An org's directories (identity provider connections) and their SCIM tokens. Org admins
//! only: the services refuse anyone else.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Path};
use maud::{html, Markup};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::log;
use super::page;
use super::visit::Visit;
use super::{form, Reply};
use crate::domain::{DirectoryId, OrgId};
use crate::http::admin::Problem;
use crate::service::admin::directories::{self, IssuedView};
use crate::service::admin::provisioning_log::ProvisioningEntryView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/directories", web::get().to(directories_get))
        .route("/orgs/{org}/directories", web::post().to(directory_create))
        .route(
            "/orgs/{org}/directories/{directory}",
            web::get().to(directory_get),
        )
        .route(
            "/orgs/{org}/directories/{directory}/tokens",
            web::post().to(token_issue),
        )
        .route(
            "/orgs/{org}/directories/{directory}/tokens/{jti}/revoke",
            web::post().to(token_revoke),
        );
}

async fn directories_page(visit: &Visit, org: OrgId, refused: Option<Problem>) -> Reply {
    let list = directories::list_with_activity(visit.store(), visit.who(), org).await?;
    // One read for every directory: the org's latest failures, shared out below.
    let (failures, more) = log::recent_failures(visit, org, None, log::RECENT_WINDOW).await?;
    let status = refused.as_ref().map_or(StatusCode::OK, Problem::status);
    let content = html! {
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        table.directories {
            caption.visually-hidden { "The organization's directories" }
            thead { tr {
                th scope="col" { "Directory" } th scope="col" { "Id" } th scope="col" { "Created" }
                th scope="col" { "Last change it made" } th scope="col" { "Recent failures" }
            } }
            tbody {
                @for d in &list {
                    tr {
                        th scope="row" { a href=(format!("/console/orgs/{org}/directories/{}", d.directory.id)) { (d.directory.name) } }
                        td { code { (d.directory.id) } }
                        td { (page::when(&d.directory.created_at)) }
                        td { @if let Some(at) = &d.last_change_at { (page::when(at)) } @else { "never" } }
                        td { (recent(org, (d.directory.id, &d.directory.name), &failures, more)) }
                    }
                }
            }
        }
        p.help {
            "The last change is the newest SCIM write the directory made (reads are not recorded). "
            "Recent failures are its newest refused or failed writes among the organization's latest "
            (log::RECENT_WINDOW) "; the provisioning log has them all, with who can act on each."
        }
        h2 { "Connect an identity provider" }
        form.card method="post" action=(format!("/console/orgs/{org}/directories")) {
            (page::csrf(&visit.session))
            label for="name" { "Directory name" }
            input #name name="name" required maxlength="200" placeholder="Entra ID" autocomplete="off";
            button type="submit" { "Create directory" }
        }
    };
    Ok(visit.shell().render(status, "Directories", content))
}

/// How many failures a directory's own page lists.
const RECENT_ON_ITS_PAGE: i64 = 5;

/// How many of a directory's failures its row lists.
const RECENT_PER_DIRECTORY: usize = 3;

/// A directory's newest failures among the org's latest (`failures`, newest first), each in
/// one line, and a link to all of them in the log. `more`: the org has older failures than
/// those, so "none" is only "none lately".
fn recent(
    org: OrgId,
    (directory, name): (DirectoryId, &str),
    failures: &[ProvisioningEntryView],
    more: bool,
) -> Markup {
    let mine: Vec<&ProvisioningEntryView> = failures
        .iter()
        .filter(|e| e.directory_id == directory)
        .collect();
    html! {
        @if mine.is_empty() {
            @if more { "none lately" } @else { "none" }
        } @else {
            ul.recent {
                @for e in mine.iter().take(RECENT_PER_DIRECTORY) {
                    li {
                        (page::when(&e.at)) " "
                        span class=(format!("state {}", e.outcome)) { (e.outcome) } " "
                        (e.operation) " " (e.resource_type)
                        @if let Some(email) = &e.email { " " span.nowrap { (email) } }
                        @if let Some(code) = &e.code { " " code { (code) } }
                    }
                }
            }
        }
        @if !mine.is_empty() || more {
            a href=(log::href(org, directory, log::FAILURES)) {
                @if mine.len() > RECENT_PER_DIRECTORY {
                    "All " (mine.len()) @if more { "+" } " in the log"
                } @else {
                    "Failures in the log"
                }
                span.visually-hidden { " (" (name) ")" }
            }
        }
    }
}

async fn directories_get(visit: Visit, org: Path<OrgId>) -> Reply {
    directories_page(&visit, *org, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    name: String,
}

async fn directory_create(visit: Visit, org: Path<OrgId>, body: Bytes) -> Reply {
    let submitted: NameForm = form(&body)?;
    match directories::create(visit.store(), visit.who(), *org, &submitted.name).await {
        Ok(dir) => {
            let to = format!("/console/orgs/{org}/directories/{}", dir.id);
            Ok(page::done(
                &visit.req,
                &to,
                "Directory created: issue a SCIM token for its identity provider.",
            ))
        }
        Err(err) => directories_page(&visit, *org, Some(err.into())).await,
    }
}

async fn directory_page(
    visit: &Visit,
    (org, directory): (OrgId, DirectoryId),
    refused: Option<Problem>,
    issued: Option<IssuedView>,
) -> Reply {
    let dir = directories::get(visit.store(), visit.who(), org, directory).await?;
    let tokens = directories::tokens(visit.store(), visit.who(), org, directory).await?;
    let (failures, _) =
        log::recent_failures(visit, org, Some(directory), RECENT_ON_ITS_PAGE).await?;
    let base = format!("/console/orgs/{org}/directories/{directory}");
    let status = match (&refused, &issued) {
        (Some(problem), _) => problem.status(),
        (None, Some(_)) => StatusCode::CREATED,
        (None, None) => StatusCode::OK,
    };
    let content = html! {
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        @if let Some(token) = &issued {
            section.issued role="status" aria-labelledby="issued-title" {
                h2 #issued-title { "New SCIM token" }
                p { "Copy it into the identity provider now: it is shown this once, and scimd keeps only its id." }
                label for="issued-token" { "Token " code { (token.jti) } }
                textarea #issued-token readonly rows="4" { (token.token) }
                @if let Some(at) = &token.expires_at { p { "Expires " (page::when(at)) "." } }
            }
        }
        dl.facts {
            dt { "Id" } dd { code { (dir.id) } }
            dt { "SCIM base URL" } dd { code { (crate::http::scim_routes::base_url(&visit.req)) } }
            dt { "Created" } dd { (page::when(&dir.created_at)) }
        }
        h2 { "SCIM tokens" }
        table {
            caption.visually-hidden { "The directory's SCIM tokens" }
            thead { tr {
                th scope="col" { "Token id" } th scope="col" { "Issued" } th scope="col" { "Expires" }
                th scope="col" { "Revoked" } th scope="col" { "Usable" } th scope="col" { "Action" }
            } }
            tbody {
                @for t in &tokens {
                    tr {
                        th scope="row" { code { (t.jti) } }
                        td { (page::when(&t.issued_at)) }
                        td { @if let Some(at) = &t.expires_at { (page::when(at)) } @else { "never" } }
                        td { @if let Some(at) = &t.revoked_at { (page::when(at)) } }
                        td { @if t.usable { "yes" } @else { "no" } }
                        td { @if t.revoked_at.is_none() {
                            (page::button(&visit.session, &format!("{base}/tokens/{}/revoke", t.jti), "Revoke", "danger"))
                        } }
                    }
                }
            }
        }
        h2 { "Issue a token" }
        form.card method="post" action=(format!("{base}/tokens")) {
            (page::csrf(&visit.session))
            label for="ttl_days" { "Expires after (days; empty: never)" }
            input #ttl_days name="ttl_days" type="number" min="1" max="36500" inputmode="numeric";
            button type="submit" { "Issue token" }
        }
        h2 { "Recent failures" }
        @if failures.is_empty() {
            p { "None: the log holds no refused or failed write of this directory." }
        } @else {
            (log::entries_table(org, html! { "Its newest refused or failed writes" }, &failures, std::slice::from_ref(&dir)))
        }
        p {
            a href=(log::href(org, directory, log::FAILURES)) { "All its failures" } " · "
            a href=(log::href(org, directory, &[])) { "everything it sent" } ", in the provisioning log"
        }
    };
    Ok(visit.shell().render(status, &dir.name, content))
}

async fn directory_get(visit: Visit, path: Path<(OrgId, DirectoryId)>) -> Reply {
    directory_page(&visit, path.into_inner(), None, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    #[serde(default)]
    ttl_days: String,
}

/// Answers the new token on the page itself: it must not travel in a redirect or a cookie.
async fn token_issue(visit: Visit, path: Path<(OrgId, DirectoryId)>, body: Bytes) -> Reply {
    let (org, directory) = path.into_inner();
    let submitted: TokenForm = form(&body)?;
    let ttl = match submitted.ttl_days.trim() {
        "" => Ok(None),
        days => days.parse::<std::num::NonZeroU32>().map(Some).map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the expiry is a whole number of days, at least 1 (or empty for none)",
            )
        }),
    };
    let issued = match ttl {
        Ok(ttl) => directories::issue_token(
            visit.store(),
            &visit.state.tokens,
            visit.who(),
            org,
            directory,
            ttl,
        )
        .await
        .map_err(Problem::from),
        Err(problem) => Err(problem),
    };
    match issued {
        Ok(token) => directory_page(&visit, (org, directory), None, Some(token)).await,
        Err(problem) => directory_page(&visit, (org, directory), Some(problem), None).await,
    }
}

async fn token_revoke(visit: Visit, path: Path<(OrgId, DirectoryId, uuid::Uuid)>) -> Reply {
    let (org, directory, jti) = path.into_inner();
    match directories::revoke_token(visit.store(), visit.who(), org, directory, jti).await {
        Ok((revoked, _)) => {
            let message = if revoked {
                format!("Token {jti} revoked: the identity provider gets 401 from now on.")
            } else {
                format!("Token {jti} was already revoked.")
            };
            let to = format!("/console/orgs/{org}/directories/{directory}");
            Ok(page::done(&visit.req, &to, &message))
        }
        Err(err) => directory_page(&visit, (org, directory), Some(err.into()), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProvisionedResource, ProvisioningOperation, ProvisioningOutcome};

    fn failure(directory: DirectoryId, code: &str) -> ProvisioningEntryView {
        ProvisioningEntryView {
            id: 1,
            at: "2026-12-03T09:12:44Z".into(),
            directory_id: directory,
            token: uuid::Uuid::new_v4(),
            operation: ProvisioningOperation::Delete,
            resource_type: ProvisionedResource::User,
            resource_id: None,
            account_id: None,
            email: None,
            outcome: ProvisioningOutcome::ClientError,
            changed: None,
            status: Some(404),
            code: Some(code.into()),
            detail: None,
        }
    }

    #[test]
    fn a_directory_without_failures_among_a_full_window_has_none_lately() {
        let (org, mine, other) = (OrgId::new(), DirectoryId::new(), DirectoryId::new());
        let theirs = vec![failure(other, "noTarget")];
        let complete = recent(org, (mine, "okta"), &theirs, false).into_string();
        assert_eq!(complete, "none");
        let window = recent(org, (mine, "okta"), &theirs, true).into_string();
        assert!(window.starts_with("none lately<a href="), "{window}");
        assert!(window.contains(&format!("directory={mine}")), "{window}");
    }

    #[test]
    fn a_directory_lists_its_newest_three_and_counts_the_rest() {
        let (org, mine) = (OrgId::new(), DirectoryId::new());
        // Codes no id can contain (ids are hex), so what is shown is told apart.
        let failures: Vec<_> = (0..5)
            .map(|i| failure(mine, &format!("code-{i}")))
            .collect();
        let shown = recent(org, (mine, "okta"), &failures, false).into_string();
        assert_eq!(shown.matches("<li>").count(), 3);
        assert!(shown.contains("code-0") && shown.contains("code-2") && !shown.contains("code-3"));
        assert!(shown.contains("All 5 in the log"), "{shown}");
        let more = recent(org, (mine, "okta"), &failures, true).into_string();
        assert!(more.contains("All 5+ in the log"), "{more}");
    }
}
