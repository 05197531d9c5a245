//! `/Entitlements` (draft-ietf-scim-roles-entitlements-01): the products of the sites of the
//! directory's org, read-only; and how one is shown in a User's `entitlements`.
//!
//! An org has a handful of sites with a few products each, so a list reads the whole
//! catalogue in one statement and filters, sorts and pages it in memory.

use serde_json::{json, Map, Value};

use super::error::{ServiceError, ServiceResult};
use super::scim_context::ScimContext;
use crate::domain::SiteId;
use crate::scim::list::ListRequest;
use crate::scim::memory_list;
use crate::scim::schema::def::ResourceTypeDef;
use crate::scim::schema::entitlement::{
    ENTITLEMENT_RESOURCE, OKTA_ENTITLEMENT_RESOURCE, PRODUCT_TYPE,
};
use crate::store::{self, SiteProduct};

/// Which of the two resource types that serve the product catalogue a request reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catalogue {
    /// `/Entitlements`, draft-ietf-scim-roles-entitlements-01.
    Draft,
    /// `/Products`, Okta's entitlement schema.
    Okta,
}

impl Catalogue {
    pub fn resource(self) -> &'static ResourceTypeDef {
        match self {
            Catalogue::Draft => &ENTITLEMENT_RESOURCE,
            Catalogue::Okta => &OKTA_ENTITLEMENT_RESOURCE,
        }
    }
}

/// The id (and `value`) of an entitlement: `{siteId}:{product}`, stable for as long as the
/// site offers the product (a site id never changes, and product keys have no `:`).
pub fn entitlement_id(product: &SiteProduct) -> String {
    format!("{}:{}", product.site_id, product.product)
}

fn display(product: &SiteProduct) -> String {
    format!("{} on {}", product.product, product.site_name)
}

/// An entitlement id split into its site and product; anything else names nothing.
fn parse_id(raw: &str) -> Option<(SiteId, &str)> {
    let (site, product) = raw.split_once(':')?;
    Some((site.parse().ok()?, product))
}

/// One element of a User's `entitlements`.
pub fn user_entitlement(product: &SiteProduct) -> Value {
    json!({
        "value": entitlement_id(product),
        "display": display(product),
        "type": PRODUCT_TYPE,
    })
}

fn render(product: &SiteProduct, base: &str, catalogue: Catalogue) -> Map<String, Value> {
    let id = entitlement_id(product);
    let name = display(product);
    let resource = catalogue.resource();
    let mut out = Map::new();
    out.insert("schemas".into(), json!([resource.schema.id]));
    out.insert("id".into(), Value::String(id.clone()));
    match catalogue {
        Catalogue::Draft => {
            out.insert("value".into(), Value::String(id.clone()));
            out.insert("display".into(), Value::String(name.clone()));
            out.insert("displayName".into(), Value::String(name));
            out.insert("supported".into(), Value::Bool(true));
            out.insert("limitedAssignmentsPermitted".into(), Value::Bool(false));
        }
        Catalogue::Okta => {
            out.insert(
                "description".into(),
                Value::String(format!(
                    "Access to {} on the site {}",
                    product.product, product.site_name
                )),
            );
            out.insert("displayName".into(), Value::String(name));
        }
    }
    out.insert("type".into(), Value::String(PRODUCT_TYPE.into()));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": resource.name,
            "location": format!("{base}{}/{id}", resource.endpoint),
        }),
    );
    out
}

/// GET and POST .search on `/Entitlements` or `/Products`: the total and one page.
pub async fn list_entitlements(
    ctx: &ScimContext<'_>,
    request: &ListRequest,
    catalogue: Catalogue,
) -> ServiceResult<(i64, Vec<Map<String, Value>>)> {
    let mut conn = ctx.store.read().await?;
    let products = store::list_org_site_products(&mut conn, ctx.directory.org).await?;
    let resources = products
        .iter()
        .map(|p| render(p, ctx.base_url, catalogue))
        .collect();
    Ok(memory_list::page(catalogue.resource(), resources, request)?)
}

/// GET `/Entitlements/{id}` or `/Products/{id}`: only a product of one of the directory's
/// org's sites.
pub async fn get_entitlement(
    ctx: &ScimContext<'_>,
    raw_id: &str,
    catalogue: Catalogue,
) -> ServiceResult<Map<String, Value>> {
    let (site, product) = parse_id(raw_id).ok_or(ServiceError::NotFound("entitlement"))?;
    let mut conn = ctx.store.read().await?;
    let found = store::get_org_site_product(&mut conn, ctx.directory.org, site, product)
        .await?
        .ok_or(ServiceError::NotFound("entitlement"))?;
    Ok(render(&found, ctx.base_url, catalogue))
}
