//! Signing in and out, the home page each kind of token lands on, and an account owner's
//! own page.

use actix_web::http::{header, StatusCode};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use maud::html;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::page;
use super::session::{self, Session, SESSION_COOKIE};
use super::visit::Visit;
use super::{form, ConsoleError, Reply};
use crate::domain::{AccountStatus, Actor};
use crate::http::admin::Problem;
use crate::http::AppState;
use crate::service::admin::{accounts, AdminActor};
use crate::service::tokens::ADMIN_AUDIENCE;

/// Where each kind of token starts.
fn landing(who: &AdminActor) -> String {
    match *who.actor() {
        Actor::OrgAdmin(org) => format!("/console/orgs/{org}"),
        Actor::SiteAdmin { site, .. } | Actor::TrustedUser { site, .. } => {
            format!("/console/sites/{site}/users")
        }
        Actor::AccountOwner(_) | Actor::Directory { .. } => "/console/me".into(),
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

pub async fn home(session: Result<Session, ConsoleError>) -> HttpResponse {
    match session {
        Ok(session) => see_other(&landing(&session.who)),
        Err(_) => see_other(session::SIGN_IN_PATH),
    }
}

pub async fn sign_in_form(req: HttpRequest) -> Reply {
    let message = (req.query_string() == "signed-out").then(|| "You signed out.".to_owned());
    Ok(session::sign_in_page(&req, message)?.response(StatusCode::OK))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    token: String,
    #[serde(default)]
    next: Option<String>,
}

/// Only a console page is returned to after signing in: never another site
/// (`//evil.example`) nor another part of scimd.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with("/console/") && !n.contains("//") && !n.contains('\\') && n.len() < 2048
    })
}

pub async fn sign_in(req: HttpRequest, state: Data<AppState>, body: Bytes) -> Reply {
    let submitted: SignInForm = form(&body)?;
    let token = submitted.token.trim();
    let refused = |detail: String| -> Reply {
        let mut page =
            session::sign_in_page(&req, Some(format!("That token was refused: {detail}.")))?;
        page.next = safe_next(submitted.next.as_deref()).map(str::to_owned);
        Ok(page.response(StatusCode::UNAUTHORIZED))
    };
    let record = match state.tokens.verify(token, ADMIN_AUDIENCE).await {
        Ok(record) => record,
        Err(crate::service::tokens::AuthError::Store(err)) => return Err(err.into()),
        Err(err) => return refused(err.to_string()),
    };
    let who = match AdminActor::from_token(&state.store, &record).await {
        Ok(who) => who,
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status().is_server_error() {
                return Err(problem.into());
            }
            return refused(problem.detail().to_owned());
        }
    };
    tracing::info!(token = %who.jti(), "console sign-in");
    let to = safe_next(submitted.next.as_deref())
        .map(str::to_owned)
        .unwrap_or_else(|| landing(&who));
    Ok(session::signed_in(&req, token, &to))
}

pub async fn sign_out(req: HttpRequest) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}?signed-out", session::SIGN_IN_PATH),
        ))
        .cookie(session::removal(&req, SESSION_COOKIE))
        .finish()
}

/// The page's own words for [`accounts::own_account`]'s refusal.
fn own_account(session: &Session) -> Result<crate::domain::AccountId, ConsoleError> {
    accounts::own_account(session.who.actor()).map_err(|_| {
        Problem::new(
            StatusCode::FORBIDDEN,
            "not_account_owner",
            "this page is for an account owner's own token; admins open accounts from a site's users",
        )
        .into()
    })
}

async fn me_page(visit: &Visit, refused: Option<Problem>) -> Reply {
    let id = own_account(&visit.session)?;
    let account = accounts::get(visit.store(), visit.who(), id).await?;
    let status = refused.as_ref().map_or(StatusCode::OK, Problem::status);
    let content = html! {
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        dl.facts {
            dt { "Email" } dd { (account.account.email.as_deref().unwrap_or("(deleted)")) }
            dt { "Name" } dd { (account.account.display_name.as_deref().unwrap_or("")) }
            dt { "Status" } dd { span class=(format!("state {}", account.account.status)) { (account.account.status) } }
            dt { "Managed by" } dd { (page::managed_by(&visit.session, account.account.managing_org)) }
        }
        h2 { "Sites" }
        @if account.sites.is_empty() {
            p { "No site memberships." }
        } @else {
            table {
                thead { tr { th scope="col" { "Site" } th scope="col" { "Site access" } th scope="col" { "Role" } } }
                tbody {
                    @for site in &account.sites {
                        tr { td { code { (site.site_id) } } td { (site.access) } td { (site.role) } }
                    }
                }
            }
        }
        h2 { "Account status" }
        p.help { "Deactivating blocks the account on every site and frees its licenses; reactivating restores exactly what it had. An account an organization manages is decided by that organization." }
        div.actions {
            (page::button(&visit.session, "/console/me/deactivate", "Deactivate my account", "danger"))
            (page::button(&visit.session, "/console/me/reactivate", "Reactivate my account", ""))
        }
    };
    Ok(visit.shell().render(status, "My account", content))
}

pub async fn me(visit: Visit) -> Reply {
    me_page(&visit, None).await
}

pub async fn me_status(visit: Visit, action: Path<String>) -> Reply {
    let (to, said) = match action.as_str() {
        "deactivate" => (AccountStatus::Deactivated, "Your account is deactivated."),
        "reactivate" => (AccountStatus::Active, "Your account is active."),
        _ => return Err(Problem::new(StatusCode::NOT_FOUND, "not_found", "no such action").into()),
    };
    let id = own_account(&visit.session)?;
    match accounts::set_status(visit.store(), visit.who(), id, to).await {
        Ok((changed, _)) => {
            let message = if changed { said } else { "Nothing to change." };
            Ok(page::done(&visit.req, "/console/me", message))
        }
        Err(err) => me_page(&visit, Some(err.into())).await,
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_pages_are_returned_to() {
        assert_eq!(
            safe_next(Some("/console/sites/x/users?q=a")),
            Some("/console/sites/x/users?q=a")
        );
        assert_eq!(safe_next(Some("//evil.example/console/")), None);
        assert_eq!(safe_next(Some("/console//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example/console/")), None);
        assert_eq!(safe_next(Some("/admin/v1/me")), None);
        assert_eq!(safe_next(Some("/console/\\evil")), None);
        assert_eq!(safe_next(None), None);
    }
}
