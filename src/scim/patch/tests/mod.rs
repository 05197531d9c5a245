//! Fixtures and helpers shared by the PATCH tests; the tests proper are grouped by source:
//! the RFC's examples, IdP dialects, errors.

mod errors;
mod idp;
mod request;
mod rfc;
mod semantics;

use serde_json::{json, Map, Value};

use super::{apply, parse_patch_request};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::normalize::fixtures::{rfc_enterprise_user, BJENSEN};
use crate::scim::schema::def::ResourceTypeDef;
pub(super) use crate::scim::testing::assert_400;
use crate::scim::urn;

pub(super) use crate::scim::schema::group::GROUP_RESOURCE as GROUP_RT;
pub(super) use crate::scim::schema::user::USER_RESOURCE as USER_RT;

pub(super) const ENTERPRISE: &str = urn::ENTERPRISE_USER;
pub(super) const BABS: &str = BJENSEN;
pub(super) const MANDY: &str = "902c246b-6245-4190-8e05-00816be7344a";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(o) => o,
        other => panic!("fixture must be an object: {other}"),
    }
}

/// The RFC 7643 §8.3 user the normalization tests use, cut to the attributes the tests
/// touch and to a two-part `name`: what the RFC's PATCH examples add (`nickName`,
/// `displayName`, `title`, more `name` parts) must be new to it.
pub(super) fn user() -> Map<String, Value> {
    const KEPT: [&str; 10] = [
        "schemas",
        "id",
        "externalId",
        "meta",
        "userName",
        "name",
        "active",
        "emails",
        "addresses",
        ENTERPRISE,
    ];
    let mut user = object(rfc_enterprise_user());
    user.retain(|key, _| KEPT.contains(&key.as_str()));
    user["name"] = json!({ "familyName": "Jensen", "givenName": "Barbara" });
    user
}

/// A user as Entra ID first provisions it: no emails, no enterprise data.
pub(super) fn bare_user() -> Map<String, Value> {
    object(json!({
        "schemas": [urn::USER],
        "id": "u1",
        "userName": "alice@contoso.com",
        "name": { "givenName": "Alice", "familyName": "Smith" },
        "active": true
    }))
}

pub(super) fn group() -> Map<String, Value> {
    object(json!({
        "schemas": [urn::GROUP],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            { "value": BABS, "display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}") },
            { "value": MANDY, "display": "Mandy Pepperidge" }
        ]
    }))
}

pub(super) fn body(operations: Value) -> Value {
    json!({ "schemas": [urn::PATCH_OP], "Operations": operations })
}

fn run(
    rt: &ResourceTypeDef,
    resource: &Map<String, Value>,
    operations: Value,
) -> Result<Map<String, Value>, ScimError> {
    let ops = parse_patch_request(&body(operations))?;
    let mut patched = resource.clone();
    let result = apply(rt, &mut patched, &ops);
    if result.is_err() {
        assert_eq!(
            &patched, resource,
            "a failed PATCH must leave the resource untouched"
        );
    }
    result.map(|()| patched)
}

/// Applies `operations` and returns the patched resource.
pub(super) fn patch(
    rt: &ResourceTypeDef,
    resource: &Map<String, Value>,
    operations: Value,
) -> Map<String, Value> {
    run(rt, resource, operations).unwrap_or_else(|e| panic!("PATCH should succeed: {e}"))
}

/// `patch` on the [`user`] fixture.
pub(super) fn user_patched(operations: Value) -> Map<String, Value> {
    patch(&USER_RT, &user(), operations)
}

/// `patch` on the [`bare_user`] fixture.
pub(super) fn bare_user_patched(operations: Value) -> Map<String, Value> {
    patch(&USER_RT, &bare_user(), operations)
}

/// `patch` on the [`group`] fixture.
pub(super) fn group_patched(operations: Value) -> Map<String, Value> {
    patch(&GROUP_RT, &group(), operations)
}

/// Applies `operations`, expecting a 400 of `scim_type` whose detail mentions each of
/// `mentions`.
pub(super) fn refused(
    rt: &ResourceTypeDef,
    resource: &Map<String, Value>,
    operations: Value,
    scim_type: ScimType,
    mentions: &[&str],
) -> ScimError {
    let error = match run(rt, resource, operations.clone()) {
        Ok(patched) => panic!(
            "PATCH {operations} should fail, produced {}",
            Value::Object(patched)
        ),
        Err(e) => e,
    };
    assert_400(&error, scim_type, mentions, &operations);
    error
}

/// [`refused`] for each case, a JSON array: the operations, then what the detail mentions.
pub(super) fn refusals(
    rt: &ResourceTypeDef,
    resource: &Map<String, Value>,
    scim_type: ScimType,
    cases: &[Value],
) {
    for case in cases {
        let Some((operations, mentions)) = case.as_array().and_then(|c| c.split_first()) else {
            panic!("a case is [operations, mentions...]: {case}");
        };
        let mentions: Vec<&str> = mentions.iter().filter_map(Value::as_str).collect();
        assert_eq!(
            mentions.len(),
            case.as_array().map_or(0, Vec::len) - 1,
            "{case}"
        );
        refused(rt, resource, operations.clone(), scim_type, &mentions);
    }
}

/// `resource` with `f` applied, for stating expected results as small edits.
pub(super) fn edited(
    resource: &Map<String, Value>,
    f: impl FnOnce(&mut Map<String, Value>),
) -> Map<String, Value> {
    let mut copy = resource.clone();
    f(&mut copy);
    copy
}

pub(super) fn ext(resource: &Map<String, Value>) -> &Value {
    &resource[ENTERPRISE]
}
