//! The console's page frame and the pieces every page shares: the navigation, forms with
//! their CSRF field, and how a refusal is shown (the admin API's detail, and who can act).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, Markup, DOCTYPE};

use super::session::{self, Session, CSRF_FIELD, FLASH_COOKIE};
use crate::domain::{Actor, OrgId};
use crate::http::admin::{Problem, WhoFields};

pub const STYLESHEET: &str = "/console/static/console.css";

/// A whole HTML document.
fn document(title: &str, header: Markup, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · scimd console" }
                link rel="stylesheet" href=(STYLESHEET);
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top { (header) }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (main)
                }
            }
        }
    }
}

fn brand() -> Markup {
    html! { a.brand href="/console" { "scimd console" } }
}

pub fn html_response(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(markup.into_string())
}

/// A page outside any session (errors, refused forms).
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    let main = html! {
        div.refusal role="alert" {
            p { (detail) }
        }
        p { a href="/console" { "Back to the console" } }
    };
    html_response(status, document(title, brand(), main))
}

/// A refusal or failure on a page of its own.
pub fn problem_page(problem: &Problem) -> HttpResponse {
    let title = match problem.status().as_u16() {
        404 => "Not found",
        400..=499 => "Refused",
        _ => "Something went wrong",
    };
    let main = html! {
        (refusal(problem))
        p { a href="/console" { "Back to the console" } }
    };
    html_response(problem.status(), document(title, brand(), main))
}

/// The hidden field every form of a session carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}

/// A form that is one button (an action on the thing the page shows).
pub fn button(session: &Session, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(session))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The org an actor acts within, for telling "your organization" from another.
pub fn own_org(session: &Session) -> Option<OrgId> {
    session.who.actor().org()
}

/// Who manages an account, as a person reads it.
pub fn managed_by(session: &Session, org: Option<OrgId>) -> Markup {
    match org {
        None => {
            html! { span title="No organization has verified its email domain" { "unmanaged (its owner)" } }
        }
        Some(org) if Some(org) == own_org(session) => html! { "this organization" },
        Some(org) => html! { "organization " code { (org) } },
    }
}

/// Who can act instead, from a refusal's code and structured members (the admin API's
/// `managing_org`, `account_owner`, `directory`).
fn who_can_act(code: &str, who: &WhoFields) -> Option<Markup> {
    if let Some(org) = who.managing_org {
        // The same member names the org that holds a domain, for domain refusals.
        let holds = if code.starts_with("domain_") {
            ", which holds this domain"
        } else {
            ", which manages this account"
        };
        return Some(html! {
            "the administrators of organization " code.org { (org) }
            (holds) ". Pass the request on to them."
        });
    }
    if who.account_owner == Some(true) {
        return Some(html! {
            "the account's owner, signed in with their own token (self-service)."
        });
    }
    who.directory.map(|dir| {
        html! {
            "the identity provider that syncs through directory " code { (dir) }
            "; change it there."
        }
    })
}

/// An RFC 3339 time as a person reads it (to the minute, UTC), the exact value kept in
/// `datetime`.
pub fn when(rfc3339: &str) -> Markup {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time_element(rfc3339, format)
}

/// As [`when`], to the second: log entries a few seconds apart must read apart.
pub fn when_exact(rfc3339: &str) -> Markup {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time_element(rfc3339, format)
}

fn time_element(
    rfc3339: &str,
    format: &[time::format_description::BorrowedFormatItem<'_>],
) -> Markup {
    let shown =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| rfc3339.to_owned());
    html! { time datetime=(rfc3339) { (shown) } }
}

/// Product keys, each kept on one line.
pub fn products(list: &[String]) -> Markup {
    html! {
        @if list.is_empty() { span.none { "none" } }
        @for (i, p) in list.iter().enumerate() {
            @if i > 0 { ", " }
            span.nowrap { (p) }
        }
    }
}

/// A refusal as the admin API words it: the detail, who can act, the stable code, and for an
/// invite batch each refused email with its own reason.
pub fn refusal(problem: &Problem) -> Markup {
    let refused = problem.refused();
    html! {
        section.refusal role="alert" aria-labelledby="refusal-title" {
            h2 #refusal-title { "Not done: " (problem.status().canonical_reason().unwrap_or("refused")) }
            p.detail { (problem.detail()) }
            @if let Some(who) = who_can_act(problem.code(), problem.who()) {
                p.who { "Who can act: " (who) }
            }
            @if !refused.is_empty() {
                table.refused {
                    caption { "Refused emails (nothing was invited)" }
                    thead { tr { th scope="col" { "Email" } th scope="col" { "Reason" } th scope="col" { "Who can act" } } }
                    tbody {
                        @for entry in refused {
                            tr {
                                td { (entry.email) }
                                td { (entry.detail) " " span.code { "(" (entry.code) ")" } }
                                td {
                                    @if let Some(who) = who_can_act(entry.code, &entry.who) { (who) } @else { "you: see the reason" }
                                }
                            }
                        }
                    }
                }
            }
            p.code { "Code: " code { (problem.code()) } }
        }
    }
}

/// A signed-in page: navigation for the actor, the flash message, the content.
pub struct Shell<'a> {
    pub req: &'a HttpRequest,
    pub session: &'a Session,
}

impl Shell<'_> {
    fn nav(&self) -> Markup {
        let actor = *self.session.who.actor();
        let (role, links): (&str, Vec<(String, &str)>) = match actor {
            Actor::OrgAdmin(org) => (
                "org admin",
                vec![
                    (format!("/console/orgs/{org}"), "Organization"),
                    (format!("/console/orgs/{org}/domains"), "Domains"),
                    (format!("/console/orgs/{org}/directories"), "Directories"),
                    (
                        format!("/console/orgs/{org}/provisioning-log"),
                        "Provisioning log",
                    ),
                ],
            ),
            Actor::SiteAdmin { site, .. } => (
                "site admin",
                vec![(format!("/console/sites/{site}/users"), "Users")],
            ),
            Actor::TrustedUser { site, .. } => (
                "trusted user",
                vec![(format!("/console/sites/{site}/users"), "Users")],
            ),
            Actor::AccountOwner(_) => ("account owner", vec![("/console/me".into(), "My account")]),
            Actor::Directory { .. } => ("directory", Vec::new()),
        };
        let path = self.req.path();
        html! {
            (brand())
            nav aria-label="Console" {
                ul {
                    @for (href, label) in &links {
                        li { a href=(href) aria-current=[(path == href).then_some("page")] { (label) } }
                    }
                }
            }
            div.who {
                span { "Signed in as " (role) }
                form.inline method="post" action="/console/sign-out" {
                    (csrf(self.session))
                    button.link type="submit" { "Sign out" }
                }
            }
        }
    }

    pub fn render(&self, status: StatusCode, title: &str, content: Markup) -> HttpResponse {
        let main = html! {
            @if let Some(message) = &self.session.flash {
                p.flash role="status" { (message) }
            }
            (content)
        };
        let mut response = html_response(status, document(title, self.nav(), main));
        if self.session.flash.is_some() {
            let _ = response.add_cookie(&session::removal(self.req, FLASH_COOKIE));
        }
        response
    }

    pub fn ok(&self, title: &str, content: Markup) -> HttpResponse {
        self.render(StatusCode::OK, title, content)
    }
}

/// After a change: back to the page (303), with a message for it.
pub fn done(req: &HttpRequest, to: &str, message: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .cookie(session::flash(req, message))
        .finish()
}

/// Sign-in form.
pub fn sign_in(message: Option<&str>, csrf_token: &str, next: Option<&str>) -> Markup {
    let main = html! {
        @if let Some(message) = message {
            p.refusal role="alert" { (message) }
        }
        form.card method="post" action=(session::SIGN_IN_PATH) {
            input type="hidden" name=(CSRF_FIELD) value=(csrf_token);
            @if let Some(next) = next {
                input type="hidden" name="next" value=(next);
            }
            label for="token" { "Admin token" }
            input #token type="password" name="token" required autocomplete="off" spellcheck="false" aria-describedby="token-help";
            p #token-help .help {
                "The same tokens the admin API takes: the " code { "admin_token" } " that "
                code { "scimd bootstrap" } " printed, or one from " code { "scimd token issue --org ID" } ", "
                code { "--site ID [--account ID]" } " or " code { "--account ID" } ". "
                "It is kept in a cookie only this console can read, until you sign out or close the browser."
            }
            button type="submit" { "Sign in" }
        }
    };
    document("Sign in", brand(), main)
}
