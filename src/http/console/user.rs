//! One site user: what they have on the site and every action on them — site access
//! (resend invite, suspend, restore, remove), role, product access, and the account's own
//! lifecycle (deactivate, reactivate, delete), each answered by the admin services.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Data, Path};
use maud::html;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::orgs::segment;
use super::page;
use super::visit::Visit;
use super::{form, Reply};
use crate::domain::{AccountId, AccountStatus, ProductAccessChange, SiteAction, SiteId, SiteRole};
use crate::http::admin::Problem;
use crate::service::admin::outbox::Outbox;
use crate::service::admin::{accounts, orgs, products, site_users};

type UserPath = Path<(SiteId, AccountId)>;

/// An action that is one button.
#[derive(Clone, Copy, Debug)]
enum Act {
    Site(SiteAction),
    Status(AccountStatus),
}

const ACTIONS: &[(&str, Act)] = &[
    ("resend-invite", Act::Site(SiteAction::ResendInvite)),
    ("suspend", Act::Site(SiteAction::Suspend)),
    ("restore", Act::Site(SiteAction::Restore)),
    ("remove", Act::Site(SiteAction::Remove)),
    ("deactivate", Act::Status(AccountStatus::Deactivated)),
    ("reactivate", Act::Status(AccountStatus::Active)),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sites/{site}/users/{account}", web::get().to(get))
        .route("/sites/{site}/users/{account}/role", web::post().to(role))
        .route(
            "/sites/{site}/users/{account}/products",
            web::post().to(grant),
        )
        .route(
            "/sites/{site}/users/{account}/products/{product}/revoke",
            web::post().to(revoke),
        )
        .route(
            "/sites/{site}/users/{account}/delete",
            web::post().to(delete),
        );
    for (name, act) in ACTIONS {
        let act = *act;
        cfg.route(
            &format!("/sites/{{site}}/users/{{account}}/{name}"),
            web::post().to(
                move |visit: Visit, outbox: Data<Outbox>, path: UserPath| async move {
                    one_button(visit, outbox, path, act).await
                },
            ),
        );
    }
}

fn user_url(site: SiteId, account: AccountId) -> String {
    format!("/console/sites/{site}/users/{account}")
}

async fn user_page(
    visit: &Visit,
    (site, account): (SiteId, AccountId),
    refused: Option<Problem>,
) -> Reply {
    let site = orgs::site(visit.store(), visit.who(), site).await?;
    let user = site_users::get(visit.store(), visit.who(), site.id, account).await?;
    let base = user_url(site.id, account);
    let status = refused.as_ref().map_or(StatusCode::OK, Problem::status);
    let act = |name: &str, label: &str, class: &str| {
        page::button(&visit.session, &format!("{base}/{name}"), label, class)
    };
    let grantable: Vec<&String> = site
        .products
        .iter()
        .filter(|p| !user.products.contains(p))
        .collect();
    let content = html! {
        p { a href=(format!("/console/sites/{}/users", site.id)) { "← Users of " (site.name) } }
        @if let Some(problem) = &refused { (page::refusal(problem)) }
        dl.facts {
            dt { "Name" } dd { (user.display_name.as_deref().unwrap_or("")) }
            dt { "State" } dd { span class=(format!("state {}", user.state)) { (user.state) } }
            dt { "Site access" } dd { (user.access) }
            dt { "Role" } dd { (user.role) }
            dt { "Account status" } dd { (user.account_status) }
            dt { "Managed by" } dd { (page::managed_by(&visit.session, user.managing_org)) }
            dt { "Products" } dd { (page::products(&user.products)) }
            dt { "Uses licenses" } dd { @if user.uses_licenses { "yes" } @else { "no" } }
            dt { "Account id" } dd { code { (user.account_id) } }
        }
        section aria-labelledby="access-title" {
            h2 #access-title { "Site access" }
            p.help { "Removing ends this membership only; suspending keeps membership and groups but blocks the site." }
            div.actions {
                (act("resend-invite", "Resend invite", ""))
                (act("suspend", "Suspend", ""))
                (act("restore", "Restore", ""))
                (act("remove", "Remove from site", "danger"))
            }
        }
        section aria-labelledby="role-title" {
            h2 #role-title { "Role" }
            form.inline method="post" action=(format!("{base}/role")) {
                (page::csrf(&visit.session))
                label for="role" { "Role on " (site.name) }
                select #role name="role" {
                    @for r in SiteRole::ALL {
                        option value=(r.as_str()) selected[*r == user.role] { (r.as_str()) }
                    }
                }
                button type="submit" { "Change role" }
            }
        }
        section aria-labelledby="products-title" {
            h2 #products-title { "Product access" }
            ul.products {
                @for p in &user.products {
                    li {
                        (p) " "
                        (page::button(&visit.session, &format!("{base}/products/{}/revoke", segment(p)), &format!("Revoke {p}"), ""))
                    }
                }
            }
            @if !grantable.is_empty() {
                form.inline method="post" action=(format!("{base}/products")) {
                    (page::csrf(&visit.session))
                    label for="product" { "Product" }
                    select #product name="product" {
                        @for p in &grantable { option value=(p) { (p) } }
                    }
                    button type="submit" { "Grant" }
                }
            }
        }
        section aria-labelledby="account-title" {
            h2 #account-title { "Account" }
            p.help {
                "The account is global: deactivating blocks it on every site and frees its licenses, "
                "keeping memberships, groups and content; only its managing organization (or, unmanaged, "
                "its owner) decides."
            }
            div.actions {
                (act("deactivate", "Deactivate account", "danger"))
                (act("reactivate", "Reactivate account", ""))
            }
            form.card method="post" action=(format!("{base}/delete")) {
                (page::csrf(&visit.session))
                label.check {
                    input type="checkbox" name="confirm" value="yes" required;
                    "Erase this account's personal data everywhere (a tombstone with its id remains)"
                }
                button.danger type="submit" { "Delete account" }
            }
        }
    };
    let title = user.email.clone().unwrap_or_else(|| "(deleted)".into());
    Ok(visit.shell().render(status, &title, content))
}

async fn get(visit: Visit, path: UserPath) -> Reply {
    user_page(&visit, path.into_inner(), None).await
}

/// After a change: back to the user's page with `message`; after a refusal: the page with it.
async fn answer(
    visit: &Visit,
    path: (SiteId, AccountId),
    outcome: Result<String, Problem>,
) -> Reply {
    match outcome {
        Ok(message) => Ok(page::done(&visit.req, &user_url(path.0, path.1), &message)),
        Err(problem) => user_page(visit, path, Some(problem)).await,
    }
}

fn said(changed: bool, message: &str) -> String {
    if changed {
        message.to_owned()
    } else {
        "Nothing to change: it already was so.".to_owned()
    }
}

async fn one_button(visit: Visit, outbox: Data<Outbox>, path: UserPath, act: Act) -> Reply {
    let (site, account) = path.into_inner();
    let who = visit.who();
    let outcome = match act {
        Act::Site(action) => {
            match site_users::act(visit.store(), who, site, account, action).await {
                Ok((view, sent)) => {
                    if sent {
                        outbox.deliver(visit.store()).await;
                    }
                    let message = match action {
                        SiteAction::ResendInvite => "Invitation sent again.",
                        SiteAction::Suspend => {
                            "Suspended on this site: membership and groups kept."
                        }
                        SiteAction::Restore => "Restored: site access is back.",
                        SiteAction::Remove => {
                            "Removed from this site; the account and its other sites are untouched."
                        }
                    };
                    Ok(said(view.changed, message))
                }
                Err(err) => Err(Problem::from(err)),
            }
        }
        Act::Status(to) => match accounts::set_status(visit.store(), who, account, to).await {
            Ok((changed, _)) => Ok(said(
                changed,
                match to {
                    AccountStatus::Deactivated => {
                        "Account deactivated on every site; memberships, groups and content kept."
                    }
                    AccountStatus::Active => "Account reactivated with everything it had.",
                },
            )),
            Err(err) => Err(Problem::from(err)),
        },
    };
    answer(&visit, (site, account), outcome).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    role: SiteRole,
}

async fn role(visit: Visit, path: UserPath, body: Bytes) -> Reply {
    let (site, account) = path.into_inner();
    let submitted: RoleForm = form(&body)?;
    let outcome = site_users::set_role(visit.store(), visit.who(), site, account, submitted.role)
        .await
        .map(|view| said(view.changed, &format!("Role is now {}.", submitted.role)))
        .map_err(Problem::from);
    answer(&visit, (site, account), outcome).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    product: String,
}

async fn grant(visit: Visit, path: UserPath, body: Bytes) -> Reply {
    let submitted: ProductForm = form(&body)?;
    let user = path.into_inner();
    let grant = ProductAccessChange::Grant;
    change_product(&visit, user, &submitted.product, grant).await
}

async fn revoke(visit: Visit, path: Path<(SiteId, AccountId, String)>) -> Reply {
    let (site, account, product) = path.into_inner();
    let revoke = ProductAccessChange::Revoke;
    change_product(&visit, (site, account), &product, revoke).await
}

async fn change_product(
    visit: &Visit,
    user: (SiteId, AccountId),
    product: &str,
    change: ProductAccessChange,
) -> Reply {
    let done = match change {
        ProductAccessChange::Grant => "Granted",
        ProductAccessChange::Revoke => "Revoked",
    };
    let outcome = products::change_access(visit.store(), visit.who(), user, product, change)
        .await
        .map(|view| said(view.changed, &format!("{done} {product}.")))
        .map_err(Problem::from);
    answer(visit, user, outcome).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteForm {
    #[serde(default, rename = "csrf")]
    _csrf: IgnoredAny,
    #[serde(default)]
    confirm: Option<String>,
}

async fn delete(visit: Visit, path: UserPath, body: Bytes) -> Reply {
    let (site, account) = path.into_inner();
    let submitted: DeleteForm = form(&body)?;
    if submitted.confirm.as_deref() != Some("yes") {
        let problem = Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "tick the box to confirm that the account's personal data is to be erased",
        );
        return user_page(&visit, (site, account), Some(problem)).await;
    }
    match accounts::delete(visit.store(), visit.who(), account).await {
        Ok((_, gone)) => {
            let message = format!(
                "Account {} deleted: a tombstone with its id remains.",
                gone.id
            );
            Ok(page::done(
                &visit.req,
                &format!("/console/sites/{site}/users"),
                &message,
            ))
        }
        Err(err) => user_page(&visit, (site, account), Some(err.into())).await,
    }
}
