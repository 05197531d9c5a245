//! `POST /scim/v2/Bulk` (RFC 7644 §3.7): read the request within `maxPayloadSize`, run it
//! through the bulk use case, and answer each operation's result in SCIM's terms.

use actix_web::http::{header, StatusCode};
use actix_web::web::{self, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::Value;

use super::errors::ScimHttpError;
use super::scim_request::ScimRequest;
use super::scim_routes::scim_json;
use super::ScimPrincipal;
use crate::domain::{ProvisionedResource, ProvisioningOperation};
use crate::scim::bulk::{bulk_response, parse_request, Action, Endpoint, Method, OperationResult};
use crate::scim::{ScimError, ScimType};
use crate::service::bulk::run_bulk;
use crate::service::provisioning::{record_failure, FailedWrite};

fn too_large(limit: usize) -> ScimHttpError {
    ScimError::new(
        413,
        None,
        format!("the bulk request is larger than maxPayloadSize ({limit} bytes)"),
    )
    .into()
}

/// The body, refused with 413 (naming the limit) as soon as it is longer than `limit`.
async fn read_within(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<BytesMut, ScimHttpError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ScimHttpError::from(ScimError::bad_request(
                ScimType::InvalidSyntax,
                format!("the request body could not be read: {e}"),
            ))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub async fn bulk(
    scim: ScimRequest,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ScimHttpError> {
    let caps = &scim.state.capabilities;
    let body = read_within(&req, payload, caps.bulk_max_payload_bytes).await?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    let request = parse_request(&value, caps.bulk_max_operations)?;
    let outcomes = run_bulk(&scim.context(), &request).await;
    let principal = scim.principal;
    let mut failures = Vec::new();
    let results = outcomes
        .into_iter()
        .map(|outcome| {
            let op = request.operations.get(outcome.index);
            let action = op.and_then(|op| op.action.as_ref().ok());
            let (status, version, error, refused_by) = match outcome.result {
                Ok(done) => (done.status, done.version, None, None),
                Err(err) => {
                    let http = ScimHttpError::from(err);
                    if let Some(action) = action {
                        failures.push(failed_write(&principal, action, &http));
                    }
                    let refused_by = http.refused_by();
                    (http.error.status, None, Some(http.error), refused_by)
                }
            };
            if let Some(action) = action {
                let resource = match action.endpoint {
                    Endpoint::Users => "User",
                    Endpoint::Groups => "Group",
                };
                let operation = match action.method {
                    Method::Post => "create",
                    Method::Put => "replace",
                    Method::Patch => "update",
                    Method::Delete => "delete",
                };
                super::metrics::count_scim_operation(
                    &principal.directory.to_string(),
                    resource,
                    operation,
                    status,
                    refused_by,
                );
            }
            OperationResult {
                index: outcome.index,
                method: op.and_then(|op| op.method.clone()),
                bulk_id: op.and_then(|op| op.bulk_id.clone()),
                location: outcome.location,
                version,
                status,
                error,
            }
        })
        .collect();
    // A Bulk answers 200 whatever its operations came to, so the provisioning log's
    // middleware sees no failure: each failed operation is recorded here, as it would be
    // on its own, after its own transaction rolled back.
    for failed in failures {
        if let Err(err) = record_failure(&scim.state.store, failed).await {
            tracing::warn!(error = %err, "cannot record a failed write in the provisioning log");
        }
    }
    Ok(scim_json(StatusCode::OK, &bulk_response(results)))
}

/// A failed Bulk operation as the provisioning log records it.
fn failed_write(principal: &ScimPrincipal, action: &Action, error: &ScimHttpError) -> FailedWrite {
    let operation = match action.method {
        Method::Post => ProvisioningOperation::Create,
        Method::Put => ProvisioningOperation::Replace,
        Method::Patch => ProvisioningOperation::Patch,
        Method::Delete => ProvisioningOperation::Delete,
    };
    let resource = match action.endpoint {
        Endpoint::Users => ProvisionedResource::User,
        Endpoint::Groups => ProvisionedResource::Group,
    };
    let resource_id = action
        .id
        .as_deref()
        .and_then(|id| uuid::Uuid::parse_str(id).ok());
    super::provisioning::failed(
        principal,
        operation,
        resource,
        resource_id,
        error.error.status,
        error.failure_note(),
    )
}
