//! `/accounts/{id}` and `/me`: the account lifecycle (rules 1–3, 10, 11) and self-service
//! for owners.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};

use super::problem::Problem;
use super::{changed, json, resource, AdminPrincipal, AuditQuery, Reply};
use crate::domain::{AccountId, AccountStatus, Actor};
use crate::http::AppState;
use crate::service::admin::accounts;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/me").route(web::get().to(me)))
        .service(resource("/me/deactivate").route(web::post().to(me_deactivate)))
        .service(resource("/me/reactivate").route(web::post().to(me_reactivate)))
        .service(
            resource("/accounts/{id}")
                .route(web::get().to(get))
                .route(web::delete().to(delete)),
        )
        .service(resource("/accounts/{id}/deactivate").route(web::post().to(deactivate)))
        .service(resource("/accounts/{id}/reactivate").route(web::post().to(reactivate)))
        .service(resource("/accounts/{id}/audit").route(web::get().to(audit)));
}

async fn get(state: Data<AppState>, who: AdminPrincipal, id: Path<AccountId>) -> Reply {
    json(
        StatusCode::OK,
        &accounts::get(&state.store, &who, *id).await?,
    )
}

async fn set_status(
    state: &AppState,
    who: &AdminPrincipal,
    id: AccountId,
    to: AccountStatus,
) -> Reply {
    let (done, view) = accounts::set_status(&state.store, who, id, to).await?;
    changed(done, view)
}

async fn deactivate(state: Data<AppState>, who: AdminPrincipal, id: Path<AccountId>) -> Reply {
    set_status(&state, &who, *id, AccountStatus::Deactivated).await
}

async fn reactivate(state: Data<AppState>, who: AdminPrincipal, id: Path<AccountId>) -> Reply {
    set_status(&state, &who, *id, AccountStatus::Active).await
}

async fn delete(state: Data<AppState>, who: AdminPrincipal, id: Path<AccountId>) -> Reply {
    let (done, view) = accounts::delete(&state.store, &who, *id).await?;
    changed(done, view)
}

async fn audit(
    state: Data<AppState>,
    who: AdminPrincipal,
    id: Path<AccountId>,
    query: Query<AuditQuery>,
) -> Reply {
    let page = accounts::audit_log(&state.store, &who, *id, query.before, query.limit()).await?;
    json(StatusCode::OK, &page)
}

/// `/me` is for owner tokens; admins address accounts by id.
fn own_account(who: &AdminPrincipal) -> Result<AccountId, Problem> {
    match *who.actor() {
        Actor::AccountOwner(id) => Ok(id),
        _ => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "not_account_owner",
            "/me is for an account owner's own token; address accounts by id instead",
        )),
    }
}

async fn me(state: Data<AppState>, who: AdminPrincipal) -> Reply {
    let id = own_account(&who)?;
    json(
        StatusCode::OK,
        &accounts::get(&state.store, &who, id).await?,
    )
}

async fn me_deactivate(state: Data<AppState>, who: AdminPrincipal) -> Reply {
    let id = own_account(&who)?;
    set_status(&state, &who, id, AccountStatus::Deactivated).await
}

async fn me_reactivate(state: Data<AppState>, who: AdminPrincipal) -> Reply {
    let id = own_account(&who)?;
    set_status(&state, &who, id, AccountStatus::Active).await
}
