//! The provisioning log's failed writes: after a SCIM write was answered with an error, its
//! entry is recorded in a write of its own, before the answer leaves. Successful writes log
//! themselves in their own transaction (see `service::provisioning`).
//!
//! A write is recorded once its token named a directory: a request refused before that
//! (no or a bad token, a malformed request line) belongs to no directory's log.

use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::{web, HttpMessage};

use super::errors::FailureNote;
use super::{AppState, ScimPrincipal};
use crate::domain::{DirectoryRef, ProvisionedResource, ProvisioningOperation};
use crate::service::provisioning::{record_failure, FailedWrite};

/// The SCIM write a route template and method make, if they make one.
pub fn write_of(
    method: &Method,
    route: &str,
) -> Option<(ProvisioningOperation, ProvisionedResource)> {
    let (resource, on_one) = match route {
        "/scim/v2/Users" => (ProvisionedResource::User, false),
        "/scim/v2/Users/{id}" => (ProvisionedResource::User, true),
        "/scim/v2/Groups" => (ProvisionedResource::Group, false),
        "/scim/v2/Groups/{id}" => (ProvisionedResource::Group, true),
        _ => return None,
    };
    let operation = match (method.as_str(), on_one) {
        ("POST", false) => ProvisioningOperation::Create,
        ("PUT", true) => ProvisioningOperation::Replace,
        ("PATCH", true) => ProvisioningOperation::Patch,
        ("DELETE", true) => ProvisioningOperation::Delete,
        _ => return None,
    };
    Some((operation, resource))
}

/// Records `response` if it answers a directory's SCIM write with an error. A failure to
/// record is logged and does not change the answer.
pub async fn record_failed_write<B>(response: &ServiceResponse<B>) {
    let status = response.status().as_u16();
    if status < 400 {
        return;
    }
    let Some(failed) = failed_write(response, status) else {
        return;
    };
    let Some(state) = response.request().app_data::<web::Data<AppState>>() else {
        return;
    };
    if let Err(err) = record_failure(&state.store, failed).await {
        tracing::warn!(error = %err, "cannot record a failed write in the provisioning log");
    }
}

fn failed_write<B>(response: &ServiceResponse<B>, status: u16) -> Option<FailedWrite> {
    let req = response.request();
    let route = req.match_pattern()?;
    let (operation, resource) = write_of(req.method(), &route)?;
    let principal = req.extensions().get::<ScimPrincipal>().copied()?;
    let note = response
        .response()
        .extensions()
        .get::<FailureNote>()
        .cloned()
        .unwrap_or_default();
    let resource_id = req
        .match_info()
        .get("id")
        .and_then(|id| uuid::Uuid::parse_str(id).ok());
    Some(failed(
        &principal,
        operation,
        resource,
        resource_id,
        status,
        note,
    ))
}

/// A failed write of `principal`'s directory, as the log keeps it: `note` is what the error
/// mapper left of the error (never its detail, which may quote the request).
pub fn failed(
    principal: &ScimPrincipal,
    operation: ProvisioningOperation,
    resource: ProvisionedResource,
    resource_id: Option<uuid::Uuid>,
    status: u16,
    note: FailureNote,
) -> FailedWrite {
    FailedWrite {
        directory: DirectoryRef {
            id: principal.directory,
            org: principal.org,
        },
        token: principal.jti,
        operation,
        resource,
        resource_id,
        email: note.email,
        status,
        refusal: note.refused_by,
        refusal_text: note.refusal_text,
        scim_type: note.scim_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_the_four_methods_on_users_and_groups() {
        let user = ProvisionedResource::User;
        assert_eq!(
            write_of(&Method::POST, "/scim/v2/Users"),
            Some((ProvisioningOperation::Create, user))
        );
        assert_eq!(
            write_of(&Method::PATCH, "/scim/v2/Groups/{id}"),
            Some((ProvisioningOperation::Patch, ProvisionedResource::Group))
        );
        assert_eq!(write_of(&Method::GET, "/scim/v2/Users/{id}"), None);
        assert_eq!(write_of(&Method::POST, "/scim/v2/Users/.search"), None);
        assert_eq!(write_of(&Method::PUT, "/scim/v2/Users"), None);
        assert_eq!(write_of(&Method::POST, "/admin/v1/orgs/{org}/groups"), None);
    }
}
