//! The PatchOp request body (RFC 7644 §3.5.2).

use serde_json::{Map, Value};

use super::{at_op, PatchOp, PatchOpKind};
use crate::scim::error::{check_operation_count, ScimError, ScimType};
use crate::scim::path::parse_patch_path;
use crate::scim::urn;

/// Most operations one request may carry. Group membership changes travel as one
/// operation with many values, so real requests stay far below this.
pub const MAX_OPERATIONS: usize = 1000;

/// Validates a PATCH body and returns its operations in order.
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let Value::Object(body) = body else {
        return Err(syntax(
            "the PATCH body must be a JSON object with `schemas` and `Operations`",
        ));
    };
    check_schemas(body)?;
    let ops = match member(body, "Operations")? {
        Some(Value::Array(ops)) => ops,
        Some(_) => return Err(syntax("`Operations` must be an array of operations")),
        None => return Err(syntax("the PATCH body has no `Operations` array")),
    };
    // Nothing to apply is not a successful change: a client sending it has lost its
    // operations somewhere, and a 200 would hide that.
    check_operation_count(
        ops.len(),
        MAX_OPERATIONS,
        "`Operations` is empty; send at least one operation",
        |n| format!("{n} operations in one PATCH request; at most {MAX_OPERATIONS} are accepted"),
    )?;
    ops.iter()
        .enumerate()
        .map(|(index, op)| parse_op(op).map_err(|e| at_op(index, e)))
        .collect()
}

fn check_schemas(body: &Map<String, Value>) -> Result<(), ScimError> {
    let is_patch_op = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(urn::PATCH_OP))
    };
    let ok = match member(body, "schemas")? {
        None => true,
        Some(Value::Array(items)) => items.iter().any(is_patch_op),
        Some(single) => is_patch_op(single),
    };
    if ok {
        Ok(())
    } else {
        Err(syntax(format!(
            "`schemas` must contain `{}`",
            urn::PATCH_OP
        )))
    }
}

fn parse_op(op: &Value) -> Result<PatchOp, ScimError> {
    let Value::Object(op) = op else {
        return Err(syntax(
            "an operation must be an object with `op`, and `path` and/or `value`",
        ));
    };
    let kind = match member(op, "op")? {
        Some(Value::String(name)) => kind(name)?,
        Some(_) => {
            return Err(syntax(
                "`op` must be a string: `add`, `remove` or `replace`",
            ))
        }
        None => {
            return Err(syntax(
                "the operation has no `op`; expected `add`, `remove` or `replace`",
            ))
        }
    };
    let path = match member(op, "path")? {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => Some(parse_patch_path(text).map_err(|e| {
            ScimError::bad_request(ScimType::InvalidPath, format!("path `{text}`: {e}"))
        })?),
        Some(_) => {
            return Err(ScimError::bad_request(
                ScimType::InvalidPath,
                "`path` must be a string",
            ))
        }
    };
    let value = member(op, "value")?.cloned();
    match kind {
        PatchOpKind::Remove if path.is_none() => Err(ScimError::bad_request(
            ScimType::NoTarget,
            "`remove` needs a `path` naming what to remove",
        )),
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => Err(ScimError::bad_request(
            ScimType::InvalidValue,
            format!("`{}` needs a `value`", kind.as_str()),
        )),
        _ => Ok(PatchOp { kind, path, value }),
    }
}

fn kind(name: &str) -> Result<PatchOpKind, ScimError> {
    [PatchOpKind::Add, PatchOpKind::Remove, PatchOpKind::Replace]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            syntax(format!(
                "unknown op `{name}`; expected `add`, `remove` or `replace`"
            ))
        })
}

/// A member of a JSON object, matching the name ignoring case; two spellings of the same
/// name are refused rather than one picked arbitrarily.
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Result<Option<&'a Value>, ScimError> {
    let mut found = object.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
    let first = found.next().map(|(_, v)| v);
    if found.next().is_some() {
        return Err(syntax(format!(
            "`{name}` appears more than once, spelled differently"
        )));
    }
    Ok(first)
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}
