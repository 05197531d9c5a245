//! `/orgs/{org}/event-receivers`: where an org's security events (RFC 9967 SETs) are
//! pushed, and how their delivery stands. Org admins only.

use actix_web::web::{Json, Path, Query};
use actix_web::HttpResponse;
use serde::Deserialize;

use super::openapi::Problems;
use super::paths::{OrgPath, ReceiverPath};
use super::{created, ok, AdminCall, Reply};
use crate::service::admin::receivers::{self, EventView, NewReceiver, ReceiverView};

/// A receiver to push the org's security events to.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReceiverBody {
    /// The receiver's push endpoint (RFC 8935), `https://` (or `http://`).
    url: String,
    /// Sent as the `Authorization` header of every push; never shown again in full.
    #[serde(default)]
    authorization: Option<String>,
    /// The RFC 9967 event URIs to send (each in its full or notice form).
    events: Vec<String>,
    /// The SETs' `aud`; the URL when not given.
    #[serde(default)]
    audience: Option<String>,
}

#[utoipa::path(
    post, path = "/orgs/{org}/event-receivers", operation_id = "create_event_receiver", tag = "Security events",
    params(OrgPath),
    request_body = ReceiverBody,
    responses((status = 201, description = "The receiver, with its delivery state.", body = ReceiverView), Problems),
)]
/// Adds a receiver of the org's security events.
pub(super) async fn create(
    call: AdminCall,
    path: Path<OrgPath>,
    body: Json<ReceiverBody>,
) -> Reply {
    let body = body.into_inner();
    let request = NewReceiver {
        url: body.url,
        authorization: body.authorization,
        events: body.events,
        audience: body.audience,
    };
    let view = receivers::create(call.store(), &call.who, path.org, request).await?;
    created(view)
}

#[utoipa::path(
    get, path = "/orgs/{org}/event-receivers", operation_id = "list_event_receivers", tag = "Security events",
    params(OrgPath),
    responses((status = 200, description = "The org's receivers and how delivery to each stands.", body = [ReceiverView]), Problems),
)]
/// The org's security event receivers.
pub(super) async fn list(call: AdminCall, path: Path<OrgPath>) -> Reply {
    ok(receivers::list(call.store(), &call.who, path.org).await?)
}

#[utoipa::path(
    get, path = "/orgs/{org}/event-receivers/{receiver}", operation_id = "get_event_receiver", tag = "Security events",
    params(ReceiverPath),
    responses((status = 200, description = "The receiver and its delivery state.", body = ReceiverView), Problems),
)]
/// One receiver.
pub(super) async fn get(call: AdminCall, path: Path<ReceiverPath>) -> Reply {
    let ReceiverPath { org, receiver: id } = path.into_inner();
    ok(receivers::get(call.store(), &call.who, org, id).await?)
}

#[utoipa::path(
    delete, path = "/orgs/{org}/event-receivers/{receiver}", operation_id = "delete_event_receiver", tag = "Security events",
    params(ReceiverPath),
    responses((status = 204, description = "Removed; its undelivered events are dropped."), Problems),
)]
/// Removes a receiver.
pub(super) async fn delete(call: AdminCall, path: Path<ReceiverPath>) -> Reply {
    let ReceiverPath { org, receiver: id } = path.into_inner();
    receivers::delete(call.store(), &call.who, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which of a receiver's events to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct EventsQuery {
    /// `pending`, `delivered` or `rejected`; all when absent.
    state: Option<String>,
    /// How many, newest first (default 100).
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/orgs/{org}/event-receivers/{receiver}/events", operation_id = "list_receiver_events", tag = "Security events",
    params(ReceiverPath, EventsQuery),
    responses((status = 200, description = "The receiver's SETs and the state of each.", body = [EventView]), Problems),
)]
/// The SETs queued for a receiver and how each fared.
pub(super) async fn events(
    call: AdminCall,
    path: Path<ReceiverPath>,
    query: Query<EventsQuery>,
) -> Reply {
    let ReceiverPath { org, receiver: id } = path.into_inner();
    let limit = query.limit.unwrap_or(100);
    let list = receivers::events(
        call.store(),
        &call.who,
        org,
        id,
        query.state.as_deref(),
        limit,
    )
    .await?;
    ok(list)
}
