//! An org's pages: its overview (sites) and its verified and pending domains (directories:
//! `directories.rs`). Org admins only: the services refuse anyone else.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Path};
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::page;
use super::session::Session;
use super::visit::Visit;
use super::{form, Reply};
use crate::domain::OrgId;
use crate::http::admin::Problem;
use crate::service::admin::domains::{self, DomainView, ProofPolicy};
use crate::service::admin::orgs;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}", web::get().to(overview))
        .route("/orgs/{org}/domains", web::get().to(domains_get))
        .route("/orgs/{org}/domains", web::post().to(domain_add))
        .route(
            "/orgs/{org}/domains/{domain}/check",
            web::post().to(domain_check),
        )
        .route(
            "/orgs/{org}/domains/{domain}/move",
            web::post().to(domain_move),
        );
}

/// A value as one URL path segment.
pub fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn overview(visit: Visit, org: Path<OrgId>) -> Reply {
    let org = orgs::get(visit.store(), visit.who(), *org).await?;
    let sites = orgs::sites(visit.store(), visit.who(), org.id).await?;
    let content = html! {
        dl.facts {
            dt { "Organization" } dd { (org.name) }
            dt { "Id" } dd { code { (org.id) } }
        }
        h2 { "Sites" }
        table {
            caption.visually-hidden { "The organization's sites" }
            thead { tr { th scope="col" { "Site" } th scope="col" { "Products" } th scope="col" { "Users" } } }
            tbody {
                @for site in &sites {
                    tr {
                        td { (site.name) }
                        td { (page::products(&site.products)) }
                        td { a href=(format!("/console/sites/{}/users", site.id)) { "Users of " (site.name) } }
                    }
                }
            }
        }
        p {
            a href=(format!("/console/orgs/{}/domains", org.id)) { "Domains" } " · "
            a href=(format!("/console/orgs/{}/directories", org.id)) { "Directories and SCIM tokens" } " · "
            a href=(format!("/console/orgs/{}/provisioning-log", org.id)) { "Provisioning log" }
        }
    };
    Ok(visit.shell().ok(&org.name, content))
}

fn domain_row(session: &Session, org: OrgId, d: &DomainView) -> Markup {
    let base = format!("/console/orgs/{org}/domains/{}", segment(&d.domain));
    html! {
        tr {
            th.nowrap scope="row" { (d.domain) }
            td { span class=(format!("state {}", d.state)) { (d.state) } }
            td {
                @if let Some(challenge) = &d.challenge {
                    p { "Publish this DNS record, then check:" }
                    dl.record {
                        dt { "Name" } dd { code { (challenge.record_name) } }
                        dt { "Type" } dd { code { (challenge.record_type) } }
                        dt { "Value" } dd { code { (challenge.record_value) } }
                    }
                    p.help { "Until it is checked the domain is pending and changes nothing." }
                } @else if let Some(at) = &d.verified_at {
                    "Verified " (page::when(at))
                }
            }
            td {
                @if d.challenge.is_some() {
                    (page::button(session, &format!("{base}/check"), "Check the DNS record", ""))
                } @else {
                    form.inline method="post" action=(format!("{base}/move")) {
                        (page::csrf(session))
                        label for=(format!("move-{}", d.domain)) { "Move to organization (id)" }
                        input id=(format!("move-{}", d.domain)) name="to_org" required size="36" autocomplete="off";
                        button type="submit" { "Move " (d.domain) }
                    }
                }
            }
        }
    }
}

async fn domains_page(visit: &Visit, org: OrgId, refused: Option<Problem>, typed: &str) -> Reply {
    let list = domains::list(visit.store(), visit.who(), org).await?;
    let status = refused.as_ref().map_or(StatusCode::OK, Problem::status);
    let content = html! {
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        p.help {
            "The organization manages every account whose email is on a verified domain. "
            "Verifying needs a DNS TXT record as proof; a pending domain changes nothing."
        }
        table {
            caption.visually-hidden { "Verified and pending domains" }
            thead { tr { th scope="col" { "Domain" } th scope="col" { "State" } th scope="col" { "Proof" } th scope="col" { "Action" } } }
            tbody {
                @for d in &list { (domain_row(&visit.session, org, d)) }
            }
        }
        @if list.is_empty() { p { "No domains yet." } }
        h2 { "Verify a domain" }
        form.card method="post" action=(format!("/console/orgs/{org}/domains")) {
            (page::csrf(&visit.session))
            label for="domain" { "Domain" }
            input #domain name="domain" required value=(typed) placeholder="acme.example" autocomplete="off";
            button type="submit" { "Verify" }
        }
    };
    Ok(visit.shell().render(status, "Domains", content))
}

async fn domains_get(visit: Visit, org: Path<OrgId>) -> Reply {
    domains_page(&visit, *org, None, "").await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    domain: String,
}

async fn domain_add(visit: Visit, org: Path<OrgId>, body: Bytes) -> Reply {
    let submitted: DomainForm = form(&body)?;
    let policy = if visit.state.allow_unproven_domains {
        ProofPolicy::Unproven
    } else {
        ProofPolicy::Dns
    };
    match domains::request(visit.store(), visit.who(), *org, &submitted.domain, policy).await {
        Ok((_, view)) => {
            let message = match view.state {
                "verified" => format!("{} is verified.", view.domain),
                _ => format!(
                    "{} is pending: publish its TXT record, then check it.",
                    view.domain
                ),
            };
            Ok(back_to_domains(&visit.req, *org, &message))
        }
        Err(err) => {
            let problem = err.into();
            domains_page(&visit, *org, Some(problem), &submitted.domain).await
        }
    }
}

/// Every domain action that succeeds goes back to the domains page, saying what it did.
fn back_to_domains(req: &HttpRequest, org: OrgId, message: &str) -> HttpResponse {
    page::done(req, &format!("/console/orgs/{org}/domains"), message)
}

async fn domain_check(visit: Visit, path: Path<(OrgId, String)>) -> Reply {
    let (org, domain) = path.into_inner();
    match domains::check(visit.store(), &visit.state.dns, visit.who(), org, &domain).await {
        Ok((verified, view)) => {
            let message = if verified {
                format!(
                    "{} is verified: the organization now manages every account on it.",
                    view.domain
                )
            } else {
                format!("{} was already verified.", view.domain)
            };
            Ok(back_to_domains(&visit.req, org, &message))
        }
        Err(err) => domains_page(&visit, org, Some(err.into()), "").await,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    to_org: String,
}

async fn domain_move(visit: Visit, path: Path<(OrgId, String)>, body: Bytes) -> Reply {
    let (org, domain) = path.into_inner();
    let submitted: MoveForm = form(&body)?;
    let outcome = match submitted.to_org.trim().parse::<OrgId>() {
        Ok(to) => domains::move_to(visit.store(), visit.who(), org, &domain, to)
            .await
            .map_err(Problem::from),
        Err(_) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the organization to move to is given by its id (a UUID)",
        )),
    };
    match outcome {
        Ok((moved, view)) => {
            let message = if moved {
                format!(
                    "{} moved to organization {}, with the management of every account on it.",
                    view.domain, view.org_id
                )
            } else {
                format!("{} is already that organization's.", view.domain)
            };
            Ok(back_to_domains(&visit.req, org, &message))
        }
        Err(problem) => domains_page(&visit, org, Some(problem), "").await,
    }
}
