//! Evaluating a parsed filter against a resource held in memory (RFC 7644 §3.4.2.2), for
//! PATCH value paths and for anything too small to be worth a SQL query.
//!
//! The resource is canonical SCIM JSON: core attributes at the top level, extension
//! attributes under their schema URN. Names are matched ignoring case, values are typed by
//! the schema:
//! - Strings (and references, binaries) compare per the attribute's `caseExact`; `gt`/`ge`/
//!   `lt`/`le` are lexicographic by code point. A `dateTime` compares as an instant when
//!   both sides parse as RFC 3339, and as a string otherwise.
//! - Numbers compare numerically; booleans support only `eq`/`ne`; `co`/`sw`/`ew` apply to
//!   strings only. A value of the wrong JSON type never matches.
//! - A comparison with a missing attribute is false, for `ne` too (as in SQL, where the
//!   same filter compiles to `col <> $1`); `not (…)` is plain negation, so
//!   `not (title eq "x")` holds for a user without a title.
//! - `attr eq null` holds when the attribute has no value, `attr ne null` when it has one;
//!   other operators with `null` are false.
//! - `pr` needs a value that is not `null`, `""`, `[]` or `{}`.
//! - A multi-valued attribute matches when any value does. A complex attribute named
//!   without a sub-attribute compares through its `value` sub-attribute (the RFC's
//!   `emails co "example.com"`).
//!
//! The functions recurse over the filter tree. Trees come from the parser, whose node budget
//! ([`super::Limits::max_nodes`]) bounds their depth; hand-built trees must stay as small.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{AttrPath, CompValue, CompareOp, Filter};
use crate::domain::fold_case;
use crate::scim::schema::def::{AttrType, AttributeDef, ResourceTypeDef};
use crate::scim::schema::resolve::{resolve, ResolvedAttr};

/// Whether `resource` (of type `rt`) satisfies `filter`. Paths the schema does not know
/// match nothing; rejecting them is the job of whoever accepted the filter.
pub fn matches(rt: &ResourceTypeDef, resource: &Map<String, Value>, filter: &Filter) -> bool {
    match filter {
        Filter::And(a, b) => matches(rt, resource, a) && matches(rt, resource, b),
        Filter::Or(a, b) => matches(rt, resource, a) || matches(rt, resource, b),
        Filter::Not(inner) => !matches(rt, resource, inner),
        Filter::Present(path) => match locate(rt, resource, path) {
            Some((r, value)) => match r.sub {
                Some(_) => leaves(value, r.attr, r.sub, true)
                    .iter()
                    .any(|v| is_present(v)),
                None => value.is_some_and(is_present),
            },
            None => false,
        },
        Filter::Compare { path, op, value } => match locate(rt, resource, path) {
            Some((r, found)) => {
                // `manager eq null` asks about the whole value, not just `manager.value`.
                let whole = matches!(value, CompValue::Null);
                let values = leaves(found, r.attr, r.sub, whole);
                match leaf_def(r.attr, r.sub) {
                    Some(def) => compare_any(def, &values, *op, value),
                    None => whole && compare_any(r.attr, &values, *op, value),
                }
            }
            None => false,
        },
        Filter::ValuePath { path, filter } => match locate(rt, resource, path) {
            Some((r, Some(found))) if r.sub.is_none() => {
                elements(found).any(|element| element_matches(r.attr, element, filter))
            }
            _ => false,
        },
    }
}

/// Whether one value of the multi-valued attribute `attr` satisfies the filter of a value
/// path (`emails[type eq "work"]`), whose paths name sub-attributes of `attr`. For a
/// multi-valued attribute of simple values the value itself is called `value`.
pub fn element_matches(attr: &AttributeDef, element: &Value, filter: &Filter) -> bool {
    match filter {
        Filter::And(a, b) => element_matches(attr, element, a) && element_matches(attr, element, b),
        Filter::Or(a, b) => element_matches(attr, element, a) || element_matches(attr, element, b),
        Filter::Not(inner) => !element_matches(attr, element, inner),
        Filter::Present(path) => match member(attr, element, path) {
            Some((_, found)) => found.is_some_and(is_present),
            None => false,
        },
        Filter::Compare { path, op, value } => match member(attr, element, path) {
            Some((def, found)) => compare_any(def, &flatten(found), *op, value),
            None => false,
        },
        // The grammar has no nested value paths (RFC 7644 errata 4690).
        Filter::ValuePath { .. } => false,
    }
}

/// `map[name]`, trying the exact spelling first and then any spelling (attribute names and
/// schema URNs are case-insensitive, RFC 7643 §2.1).
pub(crate) fn get_ignore_case<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// Whether a value counts as assigned: RFC 7643 §2.5 treats `null` and `[]` as unassigned,
/// and IdPs send `""` and `{}` for "no value" too.
pub(crate) fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
        // Elements of a multi-valued attribute and sub-attributes are scalars or flat objects;
        // one level of inspection is enough and keeps this free of unbounded recursion.
        Value::Array(items) => items.iter().any(shallow_present),
        Value::Object(members) => members.values().any(shallow_present),
    }
}

/// Whether a value is assigned at its own level: `null`, `""`, `[]` and `{}` are not (a
/// required attribute holding one of them is missing, RFC 7643 §2.5).
pub(crate) fn shallow_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Resolves `path` and finds the attribute's raw value in the resource: at the top level for
/// core attributes, under the extension's URN otherwise.
fn locate<'a>(
    rt: &ResourceTypeDef,
    resource: &'a Map<String, Value>,
    path: &AttrPath,
) -> Option<(ResolvedAttr, Option<&'a Value>)> {
    let r = resolve(rt, path)?;
    let container = if r.is_core(rt) {
        Some(resource)
    } else {
        get_ignore_case(resource, r.schema.id).and_then(Value::as_object)
    };
    Some((r, container.and_then(|c| get_ignore_case(c, r.attr.name))))
}

/// The definition values are compared under: the sub-attribute if named, else a complex
/// attribute's `value`, else the attribute itself.
fn leaf_def(
    attr: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
) -> Option<&'static AttributeDef> {
    match sub {
        Some(sub) => Some(sub),
        None if attr.ty == AttrType::Complex => attr.sub("value"),
        None => Some(attr),
    }
}

/// The scalar values a comparison looks at, one per value of a multi-valued attribute.
/// With `whole`, a complex value without a named sub-attribute is kept as is (for `pr`).
fn leaves<'a>(
    found: Option<&'a Value>,
    attr: &AttributeDef,
    sub: Option<&AttributeDef>,
    whole: bool,
) -> Vec<&'a Value> {
    let Some(found) = found else {
        return Vec::new();
    };
    let name = match sub {
        Some(sub) => sub.name,
        None if attr.ty == AttrType::Complex && !whole => "value",
        None => return flatten(Some(found)),
    };
    elements(found)
        .filter_map(Value::as_object)
        .filter_map(|element| get_ignore_case(element, name))
        .flat_map(|v| flatten(Some(v)))
        .collect()
}

fn elements(value: &Value) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    };
    items.iter().filter(|v| !v.is_null())
}

fn flatten(value: Option<&Value>) -> Vec<&Value> {
    value.map(|v| elements(v).collect()).unwrap_or_default()
}

/// The definition and value of the sub-attribute `path` names inside one element; `None`
/// when the path cannot name one (unknown, qualified or dotted).
fn member<'d, 'a>(
    attr: &'d AttributeDef,
    element: &'a Value,
    path: &AttrPath,
) -> Option<(&'d AttributeDef, Option<&'a Value>)> {
    if path.urn.is_some() || path.sub.is_some() {
        return None;
    }
    if attr.ty != AttrType::Complex {
        return path
            .name
            .eq_ignore_ascii_case("value")
            .then_some((attr, Some(element)));
    }
    let def = attr.sub(&path.name)?;
    let found = element
        .as_object()
        .and_then(|o| get_ignore_case(o, def.name));
    Some((def, found))
}

fn compare_any(def: &AttributeDef, values: &[&Value], op: CompareOp, expected: &CompValue) -> bool {
    if let CompValue::Null = expected {
        let present = values.iter().any(|v| is_present(v));
        return match op {
            CompareOp::Eq => !present,
            CompareOp::Ne => present,
            _ => false,
        };
    }
    values
        .iter()
        .any(|actual| compare(def, actual, op, expected))
}

fn compare(def: &AttributeDef, actual: &Value, op: CompareOp, expected: &CompValue) -> bool {
    match (actual, expected) {
        (Value::Bool(a), CompValue::Bool(e)) => equality(op, a == e),
        // The PATCH engine evaluates filters before the normalizer has coerced values, and
        // Entra ID sends booleans as "True"/"False".
        (Value::String(a), CompValue::Bool(e)) if def.ty == AttrType::Boolean => {
            let parsed = if a.eq_ignore_ascii_case("true") {
                true
            } else if a.eq_ignore_ascii_case("false") {
                false
            } else {
                return false;
            };
            equality(op, parsed == *e)
        }
        (Value::Number(a), CompValue::Number(e)) => match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
            _ => number_order(a, e).is_some_and(|ord| ordered(op, ord)),
        },
        (Value::String(a), CompValue::String(e)) => compare_str(def, a, op, e),
        _ => false,
    }
}

fn equality(op: CompareOp, equal: bool) -> bool {
    match op {
        CompareOp::Eq => equal,
        CompareOp::Ne => !equal,
        _ => false,
    }
}

fn compare_str(def: &AttributeDef, actual: &str, op: CompareOp, expected: &str) -> bool {
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    if def.ty == AttrType::DateTime && !substring {
        if let (Ok(a), Ok(e)) = (
            OffsetDateTime::parse(actual, &Rfc3339),
            OffsetDateTime::parse(expected, &Rfc3339),
        ) {
            return ordered(op, a.cmp(&e));
        }
    }
    let (a, e) = if def.case_exact {
        (Cow::Borrowed(actual), Cow::Borrowed(expected))
    } else {
        (
            Cow::Owned(fold_case(actual)),
            Cow::Owned(fold_case(expected)),
        )
    };
    match op {
        CompareOp::Co => a.contains(e.as_ref()),
        CompareOp::Sw => a.starts_with(e.as_ref()),
        CompareOp::Ew => a.ends_with(e.as_ref()),
        _ => ordered(op, a.cmp(&e)),
    }
}

fn ordered(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Exact for integers of either sign, IEEE for anything with a fraction.
fn number_order(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests;
