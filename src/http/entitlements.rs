//! `/scim/v2/Entitlements` and `/scim/v2/Products`: the read-only catalogue of the org's site
//! products, under the draft's schema and under Okta's.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::errors::ScimHttpError;
use super::scim_request::ScimRequest;
use super::scim_routes::{json_bytes, projected, scim_json};
use super::ScimPrincipal;
use crate::scim::list::{list_response, ListRequest, RawListParams};
use crate::scim::{ScimError, ScimType, CONTENT_TYPE};
use crate::service::entitlements::{self as service, Catalogue};

type Reply = Result<HttpResponse, ScimHttpError>;

async fn run_list(scim: ScimRequest, raw: &RawListParams, catalogue: Catalogue) -> Reply {
    let max_results = scim.state.capabilities.max_results;
    let request = ListRequest::parse(raw, i64::from(max_results))?;
    if request.cursor.is_some() {
        // The catalogue is read whole and filtered in memory; it has no keyset order to
        // resume, and a page without `nextCursor` would tell the client it saw everything.
        return Err(ScimError::bad_request(
            ScimType::InvalidValue,
            format!(
                "cursor pagination is offered on /Users, /Groups and /.search; page {} with \
                 startIndex and count",
                catalogue.resource().endpoint
            ),
        )
        .into());
    }
    let (total, found) = service::list_entitlements(&scim.context(), &request, catalogue).await?;
    let resources = found
        .into_iter()
        .map(|e| projected(catalogue.resource(), &request.projection, e))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &list_response(total, request.start_index, resources),
    ))
}

/// Which catalogue a route serves: `OKTA` is `/Products`, otherwise `/Entitlements`.
const fn catalogue<const OKTA: bool>() -> Catalogue {
    if OKTA {
        Catalogue::Okta
    } else {
        Catalogue::Draft
    }
}

pub async fn list<const OKTA: bool>(scim: ScimRequest) -> Reply {
    let raw = scim.list_params()?;
    run_list(scim, &raw, catalogue::<OKTA>()).await
}

pub async fn search<const OKTA: bool>(scim: ScimRequest, body: web::Json<Value>) -> Reply {
    let raw = RawListParams::from_search_body(&body)?;
    run_list(scim, &raw, catalogue::<OKTA>()).await
}

pub async fn get<const OKTA: bool>(scim: ScimRequest, id: web::Path<String>) -> Reply {
    let catalogue = catalogue::<OKTA>();
    let projection = scim.projection()?;
    let found = service::get_entitlement(&scim.context(), &id, catalogue).await?;
    let base = &scim.base_url;
    let location = format!("{base}{}/{}", catalogue.resource().endpoint, id.as_str());
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header(("Content-Location", location))
        .body(json_bytes(&projected(
            catalogue.resource(),
            &projection,
            found,
        ))))
}

/// Any write: entitlements are the org's site products, which its admins configure; a
/// user's access to them comes from its groups. 405 (with `Allow`), as for any method a
/// resource does not support (RFC 9110 §15.5.6); 501 would say the server lacks the
/// operation altogether, which is true of no SCIM method here.
pub async fn read_only(principal: Result<ScimPrincipal, ScimHttpError>, req: HttpRequest) -> Reply {
    principal?;
    let allow = if req.path().trim_end_matches('/').ends_with("/.search") {
        "POST"
    } else {
        "GET"
    };
    let error: ScimHttpError = ScimError::new(
        405,
        None,
        format!(
            "{} is not supported on {}: entitlements are read-only, the products of your \
             organization's sites; give a user access by granting a product to a group \
             (scimd group grant) and adding the user to it",
            req.method(),
            req.path()
        ),
    )
    .into();
    let mut response = actix_web::ResponseError::error_response(&error);
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    Ok(response)
}
