//! Bulk requests (RFC 7644 §3.7): the BulkRequest read and checked, the order its
//! operations run in (a POST before the first operation that refers to its `bulkId`,
//! circular references found), `bulkId:` references replaced by ids, and the BulkResponse.
//! Nothing here runs an operation.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]

use std::collections::{HashMap, HashSet};

mod plan;

pub use plan::{plan, Plan};

use serde_json::{json, Map, Value};

use super::error::{check_operation_count, ScimError, ScimType};
use super::urn;

/// The prefix of a reference to the resource a POST of the same request creates.
pub const BULK_ID_PREFIX: &str = "bulkId:";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Users,
    Groups,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Users => "Users",
            Endpoint::Groups => "Groups",
        }
    }
}

/// What an operation asks for, once its method and path are understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub method: Method,
    pub endpoint: Endpoint,
    /// The resource's id as the path gives it (maybe a `bulkId:` reference); none for POST.
    pub id: Option<String>,
}

/// One operation of the request, as sent, and what it asks for (or why it cannot run).
#[derive(Clone, Debug)]
pub struct Operation {
    /// Its place in the request (results are listed in this order).
    pub index: usize,
    /// The method as sent, echoed in the result.
    pub method: Option<String>,
    pub bulk_id: Option<String>,
    /// `If-Match` for this operation (an ETag).
    pub version: Option<String>,
    pub data: Value,
    pub action: Result<Action, ScimError>,
    /// The `bulkId`s it refers to, in its path or anywhere in its data.
    pub references: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct BulkRequest {
    /// Stop once this many operations have failed.
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<Operation>,
}

fn invalid(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(scim_type, detail)
}

/// Reads a BulkRequest. What is wrong with the request as a whole is an error; what is
/// wrong with one operation fails only that operation (in its result). More operations
/// than `max_operations` is 413 (RFC 7644 §3.7.4).
pub fn parse_request(body: &Value, max_operations: usize) -> Result<BulkRequest, ScimError> {
    let Some(map) = body.as_object() else {
        return Err(invalid(
            ScimType::InvalidSyntax,
            "a BulkRequest must be a JSON object",
        ));
    };
    let get = |name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let fail_on_errors = match get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                return Err(invalid(
                    ScimType::InvalidValue,
                    "`failOnErrors` must be a positive integer: the number of failed \
                     operations after which the rest are not run",
                ))
            }
        },
    };
    let Some(Value::Array(items)) = get("Operations") else {
        return Err(invalid(
            ScimType::InvalidSyntax,
            "a BulkRequest must have `Operations`, a list of operations",
        ));
    };
    check_operation_count(
        items.len(),
        max_operations,
        "`Operations` is empty: there is nothing to do",
        |n| format!("the bulk request has {n} operations; maxOperations is {max_operations}"),
    )?;
    let mut operations: Vec<Operation> = items
        .iter()
        .enumerate()
        .map(|(index, item)| operation(index, item))
        .collect();
    // A bulkId names one POST: a later POST reusing it could not be referred to.
    let mut defined: HashMap<String, usize> = HashMap::new();
    for op in &mut operations {
        let Ok(action) = &op.action else { continue };
        let Some(bulk_id) = op.bulk_id.clone() else {
            continue;
        };
        if action.method != Method::Post {
            continue;
        }
        if let Some(first) = defined.get(&bulk_id) {
            op.action = Err(invalid(
                ScimType::InvalidValue,
                format!("bulkId {bulk_id:?} is already used by operation {first}"),
            ));
        } else {
            defined.insert(bulk_id, op.index);
        }
    }
    Ok(BulkRequest {
        fail_on_errors,
        operations,
    })
}

fn operation(index: usize, item: &Value) -> Operation {
    let text = |name: &str| {
        item.as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    let data = item
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("data")))
        .map_or(Value::Null, |(_, v)| v.clone());
    let mut op = Operation {
        index,
        method: text("method"),
        bulk_id: text("bulkId").filter(|b| !b.is_empty()),
        version: text("version"),
        data,
        action: Err(invalid(ScimType::InvalidSyntax, "")),
        references: Vec::new(),
    };
    op.action = action(item, &op);
    if let Ok(action) = &op.action {
        let mut found = Vec::new();
        if let Some(reference) = action.id.as_deref().and_then(bulk_reference) {
            found.push(reference.to_owned());
        }
        collect_references(&op.data, &mut found);
        let mut seen = HashSet::new();
        found.retain(|r| seen.insert(r.clone()));
        op.references = found;
    }
    op
}

fn action(item: &Value, op: &Operation) -> Result<Action, ScimError> {
    if !item.is_object() {
        return Err(invalid(
            ScimType::InvalidSyntax,
            "an operation must be a JSON object with `method`, `path` and (but for DELETE) `data`",
        ));
    }
    let method = match op.method.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("POST") => Method::Post,
        Some("PUT") => Method::Put,
        Some("PATCH") => Method::Patch,
        Some("DELETE") => Method::Delete,
        _ => {
            return Err(invalid(
                ScimType::InvalidValue,
                "`method` must be POST, PUT, PATCH or DELETE",
            ))
        }
    };
    let path = item
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("path")))
        .and_then(|(_, v)| v.as_str())
        .ok_or_else(|| invalid(ScimType::InvalidPath, "`path` is required, e.g. \"/Users\""))?;
    let trimmed = path.trim().trim_matches('/');
    let mut segments = trimmed.split('/');
    let endpoint = match segments.next() {
        Some(e) if e.eq_ignore_ascii_case("Users") => Endpoint::Users,
        Some(e) if e.eq_ignore_ascii_case("Groups") => Endpoint::Groups,
        _ => {
            return Err(ScimError::not_found(format!(
                "no bulk endpoint {path:?}: operations take /Users and /Groups"
            )))
        }
    };
    let id = segments.next().map(str::to_owned);
    if segments.next().is_some() || id.as_deref() == Some("") {
        return Err(invalid(
            ScimType::InvalidPath,
            format!(
                "{path:?} is not /{} or /{}/{{id}}",
                endpoint.as_str(),
                endpoint.as_str()
            ),
        ));
    }
    match (method, &id) {
        (Method::Post, Some(_)) => {
            return Err(invalid(
                ScimType::InvalidPath,
                format!(
                    "POST creates in a collection: use the path /{}",
                    endpoint.as_str()
                ),
            ))
        }
        (Method::Post, None) if op.bulk_id.is_none() => {
            return Err(invalid(
                ScimType::InvalidValue,
                "a POST needs a `bulkId` (RFC 7644 §3.7), by which other operations and the \
                 response name the new resource",
            ))
        }
        (Method::Put | Method::Patch | Method::Delete, None) => {
            return Err(invalid(
                ScimType::InvalidPath,
                format!(
                    "this method names one resource: /{}/{{id}}",
                    endpoint.as_str()
                ),
            ))
        }
        _ => {}
    }
    if method != Method::Delete && !op.data.is_object() {
        return Err(invalid(
            ScimType::InvalidSyntax,
            "`data` must be a JSON object: the resource (POST, PUT) or the PatchOp (PATCH)",
        ));
    }
    Ok(Action {
        method,
        endpoint,
        id,
    })
}

/// The `bulkId` a value refers to, if it is a reference (`bulkId:qwerty`): the whole value,
/// so a sentence that happens to begin with the prefix is not one.
pub fn bulk_reference(value: &str) -> Option<&str> {
    value
        .strip_prefix(BULK_ID_PREFIX)
        .filter(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace))
}

fn collect_references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(reference) = bulk_reference(s) {
                found.push(reference.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, found)),
        Value::Object(map) => map.values().for_each(|v| collect_references(v, found)),
        _ => {}
    }
}

/// Replaces every `bulkId:` reference in `value` by the id it resolves to.
pub fn substitute(value: &mut Value, resolve: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = bulk_reference(s).and_then(resolve) {
                *s = id;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, resolve)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, resolve)),
        _ => {}
    }
}

/// What became of one operation.
#[derive(Clone, Debug)]
pub struct OperationResult {
    pub index: usize,
    pub method: Option<String>,
    pub bulk_id: Option<String>,
    /// Every result has one but a failed POST's (RFC 7644 §3.7.3).
    pub location: Option<String>,
    pub version: Option<String>,
    pub status: u16,
    /// The error, for a failed operation.
    pub error: Option<ScimError>,
}

/// The BulkResponse: one result per operation that ran, in request order.
pub fn bulk_response(mut results: Vec<OperationResult>) -> Value {
    results.sort_by_key(|r| r.index);
    let operations: Vec<Value> = results
        .into_iter()
        .map(|r| {
            let mut map = Map::new();
            if let Some(method) = r.method {
                map.insert("method".into(), Value::String(method));
            }
            if let Some(bulk_id) = r.bulk_id {
                map.insert("bulkId".into(), Value::String(bulk_id));
            }
            if let Some(version) = r.version {
                map.insert("version".into(), Value::String(version));
            }
            if let Some(location) = r.location {
                map.insert("location".into(), Value::String(location));
            }
            map.insert("status".into(), Value::String(r.status.to_string()));
            if let Some(error) = r.error {
                map.insert("response".into(), error.body());
            }
            Value::Object(map)
        })
        .collect();
    // Built by hand: `json!` would deep-copy the operations it interpolates.
    let mut body = Map::new();
    body.insert("schemas".into(), json!([urn::BULK_RESPONSE]));
    body.insert("Operations".into(), Value::Array(operations));
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ops: Value) -> BulkRequest {
        parse_request(
            &json!({"schemas": [urn::BULK_REQUEST], "Operations": ops}),
            10,
        )
        .unwrap()
    }

    #[test]
    fn whole_request_errors_and_operation_errors_are_told_apart() {
        assert_eq!(parse_request(&json!([]), 10).unwrap_err().status, 400);
        assert_eq!(
            parse_request(&json!({"Operations": []}), 10)
                .unwrap_err()
                .scim_type,
            Some(ScimType::InvalidValue)
        );
        let many = json!({"Operations": vec![json!({"method": "DELETE", "path": "/Users/x"}); 11]});
        let err = parse_request(&many, 10).unwrap_err();
        assert_eq!(err.status, 413);
        assert!(err.detail.contains("maxOperations is 10"), "{}", err.detail);
        for bad in [json!(0), json!(-1), json!("1"), json!(1.5)] {
            let body = json!({"failOnErrors": bad, "Operations": [{"method": "DELETE", "path": "/Users/x"}]});
            assert!(parse_request(&body, 10).is_err(), "{bad}");
        }
        let r = request(json!([
            {"method": "post", "path": "/users", "bulkId": "a", "data": {}},
            {"method": "GET", "path": "/Users/x"},
            {"method": "POST", "path": "/Users", "data": {}},
            {"method": "PATCH", "path": "/Users", "data": {}},
            {"method": "PUT", "path": "/Entitlements/x", "data": {}},
            {"method": "POST", "path": "/Groups/", "bulkId": "a", "data": {}},
            {"method": "PUT", "path": "/Users/x"},
            "not an object",
            {"method": "DELETE", "path": "Groups/bulkId:a", "bulkId": "d"},
        ]));
        let ok: Vec<bool> = r.operations.iter().map(|o| o.action.is_ok()).collect();
        assert_eq!(
            ok,
            [true, false, false, false, false, false, false, false, true]
        );
        let first = r.operations[0].action.as_ref().unwrap();
        assert_eq!(
            (first.method, first.endpoint),
            (Method::Post, Endpoint::Users)
        );
        assert_eq!(r.operations[4].action.as_ref().unwrap_err().status, 404);
        assert!(r.operations[5]
            .action
            .as_ref()
            .unwrap_err()
            .detail
            .contains("already used"));
        assert_eq!(r.operations[8].references, ["a"]);
    }

    #[test]
    fn references_are_replaced_wherever_they_are() {
        let mut data = json!({"members": [{"value": "bulkId:u"}, {"value": "bulkId:other"}],
                              "displayName": "bulkId:u is a name too", "n": 1});
        substitute(&mut data, &|b| (b == "u").then(|| "id-1".to_owned()));
        assert_eq!(data["members"][0]["value"], "id-1");
        assert_eq!(data["members"][1]["value"], "bulkId:other");
        assert_eq!(data["displayName"], "bulkId:u is a name too");
    }

    #[test]
    fn responses_list_results_in_request_order() {
        let body = bulk_response(vec![
            OperationResult {
                index: 1,
                method: Some("DELETE".into()),
                bulk_id: None,
                location: Some("https://x/Users/2".into()),
                version: None,
                status: 404,
                error: Some(ScimError::not_found("user not found")),
            },
            OperationResult {
                index: 0,
                method: Some("POST".into()),
                bulk_id: Some("a".into()),
                location: Some("https://x/Users/1".into()),
                version: Some("W/\"1\"".into()),
                status: 201,
                error: None,
            },
        ]);
        assert_eq!(body["schemas"][0], urn::BULK_RESPONSE);
        assert_eq!(body["Operations"][0]["status"], "201");
        assert_eq!(body["Operations"][0]["bulkId"], "a");
        assert!(body["Operations"][0].get("response").is_none());
        assert_eq!(body["Operations"][1]["response"]["status"], "404");
    }
}
