//! SCIM Bulk (RFC 7644 §3.7): a request's operations run one after another, each through
//! the same use case as the single request it stands for (so every domain rule, audit entry
//! and statement is that request's), each atomic on its own. Consecutive operations share
//! commits (`store::BulkSession`): a thousand creates cost a few dozen COMMITs, not a
//! thousand. Nothing is answered before the commits holding it have returned; an operation
//! whose commit failed is reported failed.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::error::{ServiceError, ServiceResult};
use super::groups::{self, PatchResponse};
use super::scim_context::{Precondition, ResourceView, ScimContext};
use super::users;
use crate::scim::bulk::{plan, substitute, Action, BulkRequest, Endpoint, Method, Operation};
use crate::scim::ScimError;
use crate::store::{Derived, StoreError};

/// What became of one operation: where its resource is (all but a failed POST say), and
/// its status and version, or why it failed.
#[derive(Debug)]
pub struct OpOutcome {
    pub index: usize,
    pub location: Option<String>,
    pub result: Result<Done, ServiceError>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub status: u16,
    pub version: Option<String>,
}

/// A resource a POST of this request created: what later `bulkId:` references resolve to.
#[derive(Clone, Copy, Debug)]
struct Created {
    endpoint: Endpoint,
    id: uuid::Uuid,
}

/// Runs the request's operations (see the module documentation); the outcomes of those
/// that ran, in the order they ran. With `failOnErrors`, the rest stop once that many
/// have failed.
pub async fn run_bulk(ctx: &ScimContext<'_>, request: &BulkRequest) -> Vec<OpOutcome> {
    let (store, session) = ctx.store.bulk_session();
    let ctx = ScimContext {
        store: &store,
        ..ctx.clone()
    };
    let plan = plan(&request.operations);
    let defined: HashSet<&str> = request
        .operations
        .iter()
        .filter(|op| matches!(&op.action, Ok(a) if a.method == Method::Post))
        .filter_map(|op| op.bulk_id.as_deref())
        .collect();
    let mut created: HashMap<String, Created> = HashMap::new();
    let mut outcomes = Vec::with_capacity(request.operations.len());
    let mut chunks = Vec::with_capacity(request.operations.len());
    let mut errors = 0;
    for index in plan.order {
        if request.fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
        let Some(op) = request.operations.get(index) else {
            continue;
        };
        let outcome = match plan.circular.get(&index) {
            Some(circle) => OpOutcome {
                index,
                location: None,
                result: Err(ScimError::new(
                    409,
                    None,
                    format!(
                        "circular bulkId references ({circle}): each of these operations \
                         needs another's resource first; create them without the \
                         references, then PATCH the references in"
                    ),
                )
                .into()),
            },
            None => run_operation(&ctx, op, &created, &defined).await,
        };
        match &outcome.result {
            Ok(_) => {
                if let (Ok(action), Some(bulk_id)) = (&op.action, &op.bulk_id) {
                    if let Some(id) = created_id(action, outcome.location.as_deref()) {
                        created.insert(
                            bulk_id.clone(),
                            Created {
                                endpoint: action.endpoint,
                                id,
                            },
                        );
                    }
                }
                chunks.push(session.last_chunk().await);
            }
            Err(_) => {
                errors += 1;
                chunks.push(None);
            }
        }
        outcomes.push(outcome);
    }
    let lost = session.finish().await;
    if !lost.is_empty() {
        for (outcome, chunk) in outcomes.iter_mut().zip(chunks) {
            if chunk.is_some_and(|c| lost.contains(&c)) && outcome.result.is_ok() {
                tracing::error!(operation = outcome.index, "a bulk commit failed");
                outcome.result = Err(ServiceError::Store(StoreError::Corrupt(
                    "the commit holding this bulk operation failed".into(),
                )));
            }
        }
    }
    outcomes
}

/// The id of the resource a successful POST created, from its location.
fn created_id(action: &Action, location: Option<&str>) -> Option<uuid::Uuid> {
    if action.method != Method::Post {
        return None;
    }
    location?.rsplit('/').next()?.parse().ok()
}

fn unresolved(reference: &str, defined: &HashSet<&str>) -> String {
    if defined.contains(reference) {
        format!(
            "bulkId {reference:?} names no resource: the POST that was to create it failed, \
             so this operation was not run"
        )
    } else {
        format!("bulkId {reference:?} names no resource: no POST of this request has that bulkId")
    }
}

/// `If-Match` from an operation's `version`: a weak or strong ETag, or `*`.
fn precondition(version: Option<&str>) -> Precondition {
    match version.map(str::trim) {
        None | Some("") => Precondition::None,
        Some("*") => Precondition::Any,
        Some(tag) => {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            let number = tag
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|t| t.parse().ok());
            // An ETag this server never issued matches nothing.
            Precondition::Version(number.unwrap_or(-1))
        }
    }
}

async fn run_operation(
    ctx: &ScimContext<'_>,
    op: &Operation,
    created: &HashMap<String, Created>,
    defined: &HashSet<&str>,
) -> OpOutcome {
    let fail = |location: Option<String>, err: ServiceError| OpOutcome {
        index: op.index,
        location,
        result: Err(err),
    };
    let action = match &op.action {
        Ok(action) => action,
        Err(err) => return fail(None, err.clone().into()),
    };
    if let Some(missing) = op.references.iter().find(|r| !created.contains_key(*r)) {
        let err = ScimError::new(409, None, unresolved(missing, defined));
        return fail(None, err.into());
    }
    let resolve = |reference: &str| created.get(reference).map(|c| c.id.to_string());
    let mut data = op.data.clone();
    substitute(&mut data, &resolve);
    let collection = format!("{}/{}", ctx.base_url, action.endpoint.as_str());
    let id = match action.id.as_deref() {
        None => None,
        Some(raw) => {
            let resolved = crate::scim::bulk::bulk_reference(raw)
                .and_then(|r| created.get(r))
                .filter(|c| c.endpoint == action.endpoint)
                .map(|c| c.id);
            match resolved.or_else(|| raw.parse().ok()) {
                Some(id) => Some(id),
                None => {
                    let what = match action.endpoint {
                        Endpoint::Users => "user",
                        Endpoint::Groups => "group",
                    };
                    let location = format!("{collection}/{raw}");
                    return fail(Some(location), ServiceError::NotFound(what));
                }
            }
        }
    };
    let location = id.map(|id| format!("{collection}/{id}"));
    let result = execute(ctx, action, id, &data, precondition(op.version.as_deref())).await;
    match result {
        Ok((status, view)) => OpOutcome {
            index: op.index,
            location: view
                .as_ref()
                .and_then(|v| v.resource.get("meta"))
                .and_then(|m| m.get("location"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or(location),
            result: Ok(Done {
                status,
                version: view.map(|v| v.etag),
            }),
        },
        Err(err) => fail(location, err),
    }
}

/// The one use case the operation stands for, as its single request would call it (no
/// derived attributes or members are read: the result carries no resource).
async fn execute(
    ctx: &ScimContext<'_>,
    action: &Action,
    id: Option<uuid::Uuid>,
    data: &Value,
    precondition: Precondition,
) -> ServiceResult<(u16, Option<ResourceView>)> {
    let one = || id.ok_or(ServiceError::NotFound("resource"));
    let derived = Derived::default();
    Ok(match (action.endpoint, action.method) {
        (Endpoint::Users, Method::Post) => {
            (201, Some(users::create_user(ctx, data, derived).await?))
        }
        (Endpoint::Users, method @ (Method::Put | Method::Patch)) => {
            let patch = method == Method::Patch;
            let view = users::write_user(ctx, one()?, data, precondition, derived, patch).await?;
            (200, Some(view))
        }
        (Endpoint::Users, Method::Delete) => {
            users::delete_user(ctx, one()?, precondition).await?;
            (204, None)
        }
        (Endpoint::Groups, Method::Post) => {
            (201, Some(groups::create_group(ctx, data, false).await?))
        }
        (Endpoint::Groups, Method::Put) => (
            200,
            Some(groups::put_group(ctx, one()?, data, precondition, false).await?),
        ),
        (Endpoint::Groups, Method::Patch) => {
            let response = PatchResponse {
                minimal: true,
                with_members: false,
            };
            let patched = groups::patch_group(ctx, one()?, data, precondition, response).await?;
            (200, Some(patched.view))
        }
        (Endpoint::Groups, Method::Delete) => {
            groups::delete_group(ctx, one()?, precondition).await?;
            (204, None)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_etags() {
        assert_eq!(precondition(None), Precondition::None);
        assert_eq!(precondition(Some("*")), Precondition::Any);
        assert_eq!(precondition(Some("W/\"3\"")), Precondition::Version(3));
        assert_eq!(precondition(Some("\"4\"")), Precondition::Version(4));
        assert_eq!(precondition(Some("garbage")), Precondition::Version(-1));
    }
}
