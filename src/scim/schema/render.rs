//! The `/Schemas` and `/ResourceTypes` discovery documents (RFC 7644 §4, RFC 7643 §6–7),
//! rendered from the same static definitions the server enforces, so what we advertise and
//! what we do cannot drift apart.
//!
//! Choices where the RFCs are loose:
//! - The common attributes `id`, `externalId` and `meta` are left out of the schema
//!   representations, as in RFC 7643 §8.7.1; they are defined once for every resource
//!   (§3.1) and most clients expect them to be absent.
//! - `canonicalValues` is rendered only when non-empty, `referenceTypes` only for
//!   references, `subAttributes` only for complex attributes; all other characteristics
//!   are always rendered, even where §8.7.1 omits them for booleans.
//! - `schemaExtensions` is omitted for a resource type without extensions, as in the
//!   Group example of §8.6.
//! - `base_url` is the SCIM base (e.g. `https://host/scim/v2`); a trailing `/` is ignored.

use serde_json::{json, Map, Value};

use super::def::{AttributeDef, ResourceTypeDef, SchemaDef};
use super::enterprise::ENTERPRISE_USER;
use super::entitlement::{
    ENTITLEMENT, ENTITLEMENT_RESOURCE, OKTA_ENTITLEMENT, OKTA_ENTITLEMENT_RESOURCE,
};
use super::group::{GROUP, GROUP_RESOURCE};
use super::user::{COMMON_ATTRIBUTES, USER, USER_RESOURCE};
use crate::scim::urn;

/// Every resource type the server serves, in the order they are listed.
pub static RESOURCE_TYPES: [&ResourceTypeDef; 4] = [
    &USER_RESOURCE,
    &GROUP_RESOURCE,
    &ENTITLEMENT_RESOURCE,
    &OKTA_ENTITLEMENT_RESOURCE,
];

/// Every schema the server knows, in the order they are listed.
pub static SCHEMAS: [&SchemaDef; 5] = [
    &USER,
    &ENTERPRISE_USER,
    &GROUP,
    &ENTITLEMENT,
    &OKTA_ENTITLEMENT,
];

/// `GET /Schemas`.
pub fn schemas_document(base_url: &str) -> Value {
    list_response(
        SCHEMAS
            .iter()
            .map(|s| schema_resource(s, base_url))
            .collect(),
    )
}

/// `GET /Schemas/{urn}`; the URN is matched ignoring case, like every SCIM identifier
/// derived from a schema URI.
pub fn schema_document(schema_urn: &str, base_url: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(schema_urn))
        .map(|s| schema_resource(s, base_url))
}

/// `GET /ResourceTypes`.
pub fn resource_types_document(base_url: &str) -> Value {
    list_response(
        RESOURCE_TYPES
            .iter()
            .map(|rt| resource_type_resource(rt, base_url))
            .collect(),
    )
}

/// `GET /ResourceTypes/{name}`, matched ignoring case.
pub fn resource_type_document(name: &str, base_url: &str) -> Option<Value> {
    RESOURCE_TYPES
        .iter()
        .find(|rt| rt.id.eq_ignore_ascii_case(name) || rt.name.eq_ignore_ascii_case(name))
        .map(|rt| resource_type_resource(rt, base_url))
}

fn list_response(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

fn schema_resource(schema: &SchemaDef, base_url: &str) -> Value {
    let attributes: Vec<Value> = schema
        .attributes
        .iter()
        .filter(|a| !COMMON_ATTRIBUTES.contains(&a.name))
        .map(attribute)
        .collect();
    json!({
        "schemas": [urn::SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), schema.id),
        },
    })
}

fn attribute(attr: &AttributeDef) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), attr.name.into());
    out.insert("type".into(), attr.ty.as_str().into());
    out.insert("multiValued".into(), attr.multi_valued.into());
    out.insert("description".into(), attr.description.into());
    out.insert("required".into(), attr.required.into());
    out.insert("caseExact".into(), attr.case_exact.into());
    out.insert("mutability".into(), attr.mutability.as_str().into());
    out.insert("returned".into(), attr.returned.as_str().into());
    out.insert("uniqueness".into(), attr.uniqueness.as_str().into());
    if !attr.canonical_values.is_empty() {
        out.insert("canonicalValues".into(), attr.canonical_values.into());
    }
    if !attr.reference_types.is_empty() {
        out.insert("referenceTypes".into(), attr.reference_types.into());
    }
    if !attr.sub_attributes.is_empty() {
        let subs: Vec<Value> = attr.sub_attributes.iter().map(attribute).collect();
        out.insert("subAttributes".into(), subs.into());
    }
    Value::Object(out)
}

fn resource_type_resource(rt: &ResourceTypeDef, base_url: &str) -> Value {
    let mut out = json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), rt.id),
        },
    });
    if let (false, Some(map)) = (rt.extensions.is_empty(), out.as_object_mut()) {
        let extensions: Vec<Value> = rt
            .extensions
            .iter()
            .map(|(schema, required)| json!({ "schema": schema.id, "required": required }))
            .collect();
        map.insert("schemaExtensions".into(), extensions.into());
    }
    out
}

#[cfg(test)]
mod tests;
