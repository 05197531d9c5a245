//! `/orgs/{org}/event-receivers`: where an org's security events (RFC 9967 SETs) are
//! pushed, and how their delivery stands. Org admins only.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::HttpResponse;
use serde::Deserialize;

use super::{json, resource, AdminPrincipal, Reply};
use crate::domain::OrgId;
use crate::http::AppState;
use crate::service::admin::receivers::{self, NewReceiver};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/orgs/{org}/event-receivers")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/orgs/{org}/event-receivers/{receiver}")
            .route(web::get().to(get))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("/orgs/{org}/event-receivers/{receiver}/events").route(web::get().to(events)),
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiverBody {
    url: String,
    #[serde(default)]
    authorization: Option<String>,
    events: Vec<String>,
    #[serde(default)]
    audience: Option<String>,
}

async fn create(
    state: Data<AppState>,
    who: AdminPrincipal,
    org: Path<OrgId>,
    body: Json<ReceiverBody>,
) -> Reply {
    let body = body.into_inner();
    let request = NewReceiver {
        url: body.url,
        authorization: body.authorization,
        events: body.events,
        audience: body.audience,
    };
    let view = receivers::create(&state.store, &who, *org, request).await?;
    json(StatusCode::CREATED, &view)
}

async fn list(state: Data<AppState>, who: AdminPrincipal, org: Path<OrgId>) -> Reply {
    json(
        StatusCode::OK,
        &receivers::list(&state.store, &who, *org).await?,
    )
}

async fn get(state: Data<AppState>, who: AdminPrincipal, path: Path<(OrgId, uuid::Uuid)>) -> Reply {
    let (org, id) = path.into_inner();
    json(
        StatusCode::OK,
        &receivers::get(&state.store, &who, org, id).await?,
    )
}

async fn delete(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, uuid::Uuid)>,
) -> Reply {
    let (org, id) = path.into_inner();
    receivers::delete(&state.store, &who, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    state: Option<String>,
    limit: Option<i64>,
}

async fn events(
    state: Data<AppState>,
    who: AdminPrincipal,
    path: Path<(OrgId, uuid::Uuid)>,
    query: Query<EventsQuery>,
) -> Reply {
    let (org, id) = path.into_inner();
    let limit = query.limit.unwrap_or(100);
    let list =
        receivers::events(&state.store, &who, org, id, query.state.as_deref(), limit).await?;
    json(StatusCode::OK, &list)
}
