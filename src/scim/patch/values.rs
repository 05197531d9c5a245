//! Values as sent and as stored: their shapes, when two are the same value, and `primary`.

use serde_json::{Map, Value};

use super::target::{insert, invalid_value};
use crate::domain::fold_case;
use crate::scim::error::ScimError;
use crate::scim::filter::eval::get_ignore_case;
use crate::scim::schema::def::{AttrType, AttributeDef};

/// A value for a simple single-valued (sub-)attribute. Its type is the normalizer's
/// business; only arrays and objects are refused here, since they cannot be one value.
pub(super) fn scalar(value: &Value) -> Result<Value, ScimError> {
    match value {
        Value::Array(_) => Err(invalid_value(
            "takes a single value, not an array".to_owned(),
        )),
        Value::Object(_) => Err(invalid_value(
            "takes a simple value, not an object".to_owned(),
        )),
        other => Ok(other.clone()),
    }
}

/// A value for the complex attribute `attr`: an object of sub-attributes, or a bare scalar
/// standing for `{"value": …}` (Entra ID sends `manager` as a bare id).
pub(super) fn complex(attr: &AttributeDef, value: &Value) -> Result<Map<String, Value>, ScimError> {
    match value {
        Value::Object(members) => Ok(members.clone()),
        Value::String(_) | Value::Number(_) | Value::Bool(_) if attr.sub("value").is_some() => {
            let mut wrapped = Map::new();
            wrapped.insert("value".to_owned(), value.clone());
            Ok(wrapped)
        }
        _ => Err(invalid_value(format!(
            "`{}` is complex; send an object of its sub-attributes",
            attr.name
        ))),
    }
}

/// What a value sent for a single-valued target (`attr`, or its sub-attribute `sub`) stands
/// for; `None` is no value, which unassigns. `null` and `""` are no value (RFC 7643 §2.5;
/// Entra ID's validator sends both), and so is a complex value whose `value` is one of them.
/// A list of one value is that value, and an empty list none: Entra ID sends `manager` as
/// `[{"$ref": …, "value": …}]`. A longer list cannot be one value.
pub(super) fn single(
    attr: &AttributeDef,
    sub: Option<&AttributeDef>,
    value: &Value,
) -> Result<Option<Value>, ScimError> {
    let value = match value {
        Value::Array(items) if sub.is_none() && attr.ty == AttrType::Complex => {
            match items.as_slice() {
                [] => return Ok(None),
                [one] => one,
                _ => {
                    return Err(invalid_value(format!(
                        "takes a single value, not an array of {}",
                        items.len()
                    )))
                }
            }
        }
        other => other,
    };
    if is_empty(value) {
        return Ok(None);
    }
    if let (None, Some(_), Value::Object(members)) = (sub, attr.sub("value"), value) {
        if get_ignore_case(members, "value").is_some_and(is_empty) {
            return Ok(None);
        }
    }
    Ok(Some(value.clone()))
}

fn is_empty(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(str::is_empty)
}

/// The `value` a client names in a complex value it sends: the value itself when bare.
fn named_value(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(members) => get_ignore_case(members, "value"),
        Value::Array(items) => match items.as_slice() {
            [one] => named_value(one),
            _ => None,
        },
        other => Some(other),
    }
}

/// Whether `incoming` names another resource than `current` (a new manager): then the
/// sub-attributes of the current value (its `$ref`) describe the old one and must go.
pub(super) fn names_another(
    attr: &AttributeDef,
    current: &Map<String, Value>,
    incoming: &Map<String, Value>,
) -> bool {
    let Some(def) = attr.sub("value") else {
        return false;
    };
    match (
        get_ignore_case(current, "value"),
        get_ignore_case(incoming, "value"),
    ) {
        (Some(old), Some(new)) => !same_scalar(def.case_exact, old, new),
        _ => false,
    }
}

/// `remove` with a `value` at a single-valued complex attribute: whether that value is the
/// current one (or names none, so it cannot be told from it). Entra ID removes a manager
/// by naming it; naming another leaves the current one alone.
pub(super) fn names_current(
    attr: &AttributeDef,
    current: &Map<String, Value>,
    listed: &Value,
) -> bool {
    let (Some(def), Some(wanted), Some(current)) = (
        attr.sub("value"),
        named_value(listed).filter(|v| !is_empty(v)),
        get_ignore_case(current, "value"),
    ) else {
        return true;
    };
    same_scalar(def.case_exact, current, wanted)
}

/// The values sent for the multi-valued `attr`: an array, or one value on its own.
pub(super) fn items(attr: &AttributeDef, value: &Value) -> Result<Vec<Value>, ScimError> {
    let sent = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    sent.iter()
        .filter(|v| !v.is_null())
        .map(|v| match attr.ty {
            AttrType::Complex => complex(attr, v).map(Value::Object),
            _ => scalar(v),
        })
        .collect()
}

/// Sets sub-attributes from `incoming` on `target`, under their canonical names.
pub(super) fn merge(
    attr: &AttributeDef,
    target: &mut Map<String, Value>,
    incoming: Map<String, Value>,
) {
    for (key, value) in incoming {
        let name = attr.sub(&key).map_or(key.as_str(), |s| s.name);
        insert(target, name, value);
    }
}

/// Appends `item` unless an equal value is present, in which case `item`'s sub-attributes
/// are merged into it. Returns the index of the value holding `item`.
pub(super) fn add_value(attr: &AttributeDef, list: &mut Vec<Value>, item: Value) -> usize {
    match list
        .iter()
        .position(|existing| same_value(attr, existing, &item))
    {
        Some(index) => {
            if let (Some(Value::Object(existing)), Value::Object(incoming)) =
                (list.get_mut(index), item)
            {
                merge(attr, existing, incoming);
            }
            index
        }
        None => {
            list.push(item);
            list.len().saturating_sub(1)
        }
    }
}

/// Whether two values of `attr` are the same value: the same `value` and no conflicting
/// `type` when the attribute has a `value` sub-attribute, otherwise equal sub-attributes.
pub(super) fn same_value(attr: &AttributeDef, a: &Value, b: &Value) -> bool {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return same_scalar(attr.case_exact, a, b);
    };
    let sub_exact = |name: &str| attr.sub(name).is_none_or(|s| s.case_exact);
    if attr.sub("value").is_some() && get_ignore_case(b, "value").is_some() {
        let agree = |name: &str, absent_ok: bool| match (
            get_ignore_case(a, name),
            get_ignore_case(b, name),
        ) {
            (Some(x), Some(y)) => same_scalar(sub_exact(name), x, y),
            _ => absent_ok,
        };
        return agree("value", false) && agree("type", true);
    }
    let assigned = |m: &Map<String, Value>| m.values().filter(|v| !v.is_null()).count();
    assigned(a) == assigned(b)
        && b.iter().filter(|(_, v)| !v.is_null()).all(|(k, bv)| {
            get_ignore_case(a, k).is_some_and(|av| same_scalar(sub_exact(k), av, bv))
        })
}

pub(super) fn same_scalar(case_exact: bool, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !case_exact => fold_case(x) == fold_case(y),
        _ => a == b,
    }
}

fn is_primary(value: &Value) -> bool {
    match value
        .as_object()
        .and_then(|o| get_ignore_case(o, "primary"))
    {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RFC 7644 §3.5.2: setting `primary` on a value turns it off on the others. The last
/// touched primary value wins.
pub(super) fn settle_primary(attr: &AttributeDef, list: &mut [Value], touched: &[usize]) {
    if attr.sub("primary").is_none() {
        return;
    }
    let Some(&winner) = touched
        .iter()
        .rev()
        .find(|&&i| list.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (index, element) in list.iter_mut().enumerate() {
        if index != winner && is_primary(element) {
            if let Value::Object(o) = element {
                insert(o, "primary", Value::Bool(false));
            }
        }
    }
}
