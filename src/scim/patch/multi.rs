//! Multi-valued attributes: whole lists, listed values, and values selected by a filter.

use serde_json::{Map, Value};

use super::target::{
    insert, invalid_path, mutability, no_target, put_list, remove, sub_of, take_list,
    with_container,
};
use super::values::{
    add_value, complex, items, merge, same_scalar, same_value, scalar, settle_primary,
};
use super::PatchOpKind;
use crate::scim::error::ScimError;
use crate::scim::filter::eval::{element_matches, get_ignore_case};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::schema::def::{AttrType, AttributeDef, ResourceTypeDef};
use crate::scim::schema::resolve::ResolvedAttr;

/// `add` (append) or `replace` (whole list) at a multi-valued attribute.
pub(super) fn set_list(
    container: &mut Map<String, Value>,
    kind: PatchOpKind,
    attr: &AttributeDef,
    value: &Value,
) -> Result<(), ScimError> {
    let incoming = items(attr, value)?;
    let mut list = match kind {
        PatchOpKind::Add => take_list(container, attr.name),
        _ => {
            remove(container, attr.name);
            Vec::new()
        }
    };
    let touched: Vec<usize> = incoming
        .into_iter()
        .map(|item| add_value(attr, &mut list, item))
        .collect();
    // A whole new list is the client's own; duplicates there are the normalizer's to settle.
    if kind == PatchOpKind::Add {
        settle_primary(attr, &mut list, &touched);
    }
    put_list(container, attr.name, list);
    Ok(())
}

/// `emails.display`-style paths name the sub-attribute in every value (RFC 7644 §3.10);
/// with no values yet, one is created to hold it.
pub(super) fn set_sub_everywhere(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    sub: &AttributeDef,
    value: &Value,
) -> Result<(), ScimError> {
    let value = scalar(value)?;
    let mut list = take_list(container, attr.name);
    if list.is_empty() {
        list.push(Value::Object(Map::new()));
    }
    for element in &mut list {
        if let Value::Object(o) = element {
            insert(o, sub.name, value.clone());
        }
    }
    put_list(container, attr.name, list);
    Ok(())
}

/// `remove` at a multi-valued attribute with a `value` listing what to remove.
pub(super) fn remove_listed(
    attr: &AttributeDef,
    list: &mut Vec<Value>,
    listed: &Value,
) -> Result<(), ScimError> {
    let targets = items(attr, listed)?;
    let value_def = attr.sub("value");
    list.retain(|element| {
        !targets.iter().any(|t| {
            let wanted = t.as_object().and_then(|o| get_ignore_case(o, "value"));
            match (value_def, wanted, element.as_object()) {
                // Listing only `value` (as Azure AD does for members) selects by `value` alone.
                (Some(def), Some(wanted), Some(o)) => get_ignore_case(o, "value")
                    .is_some_and(|v| same_scalar(def.case_exact, v, wanted)),
                _ => same_value(attr, element, t),
            }
        })
    });
    Ok(())
}

/// `add`/`replace` at `attr[filter]` or `attr[filter].sub`.
pub(super) fn set_matching(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    r: &ResolvedAttr,
    filter: &Filter,
    sub: Option<&'static AttributeDef>,
    value: &Value,
) -> Result<(), ScimError> {
    let attr = r.attr;
    if !attr.multi_valued {
        // Only `remove` selects a single value by filter; setting one has a plain path.
        return Err(single_valued(attr));
    }
    check_filter(attr, filter)?;
    with_container(rt, resource, r, |c| {
        let mut list = take_list(c, attr.name);
        let hits: Vec<usize> = (0..list.len())
            .filter(|&i| {
                list.get(i)
                    .is_some_and(|e| element_matches(attr, e, filter))
            })
            .collect();
        if hits.is_empty() {
            let index = list.len();
            list.push(new_value(attr, filter, sub, value)?);
            settle_primary(attr, &mut list, &[index]);
        } else {
            for &i in &hits {
                if let Some(element) = list.get_mut(i) {
                    update(attr, kind, filter, sub, element, value)?;
                }
            }
            settle_primary(attr, &mut list, &hits);
        }
        put_list(c, attr.name, list);
        Ok(())
    })
}

/// `remove` at `attr[filter]` or `attr[filter].sub`.
pub(super) fn remove_matching(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    r: &ResolvedAttr,
    filter: &Filter,
    sub: Option<&'static AttributeDef>,
) -> Result<(), ScimError> {
    let attr = r.attr;
    check_filter(attr, filter)?;
    if sub.map_or(attr.required, |s| s.required) {
        return Err(mutability("required; it cannot be removed".to_owned()));
    }
    with_container(rt, resource, r, |c| {
        let mut list = take_list(c, attr.name);
        match sub {
            None => list.retain(|e| !element_matches(attr, e, filter)),
            // A value without its `value` is no value: Entra ID clears an email with
            // `emails[type eq "work"].value` set to "".
            Some(sub) if sub.name == "value" => list.retain(|e| !element_matches(attr, e, filter)),
            Some(sub) => {
                for element in list.iter_mut() {
                    if element_matches(attr, element, filter) {
                        if let Value::Object(o) = element {
                            remove(o, sub.name);
                        }
                    }
                }
                list.retain(|e| !matches!(e, Value::Object(o) if o.is_empty()));
            }
        }
        put_back(c, attr, list);
    });
    Ok(())
}

fn update(
    attr: &AttributeDef,
    kind: PatchOpKind,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    element: &mut Value,
    value: &Value,
) -> Result<(), ScimError> {
    match sub {
        Some(sub) => {
            let value = scalar(value)?;
            if !element.is_object() {
                *element = Value::Object(Map::new());
            }
            if let Value::Object(o) = element {
                insert(o, sub.name, value);
            }
        }
        None if attr.ty != AttrType::Complex => *element = scalar(value)?,
        None => {
            let incoming = complex(attr, value)?;
            let mut base = match (kind, &mut *element) {
                (PatchOpKind::Add, Value::Object(o)) => std::mem::take(o),
                // replace: the value swaps the element, but the filter still says which one.
                _ => pinned(attr, filter).unwrap_or_default(),
            };
            merge(attr, &mut base, incoming);
            *element = Value::Object(base);
        }
    }
    Ok(())
}

/// The value a filter that matched nothing stands for, built from its `eq` comparisons.
fn new_value(
    attr: &AttributeDef,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    value: &Value,
) -> Result<Value, ScimError> {
    if attr.ty != AttrType::Complex {
        return scalar(value);
    }
    let Some(mut seed) = pinned(attr, filter) else {
        return Err(no_target(format!(
            "no value of `{}` matches the filter, and a new one can only be built from a \
             filter made of `eq` comparisons joined by `and`",
            attr.name
        )));
    };
    match sub {
        Some(sub) => insert(&mut seed, sub.name, scalar(value)?),
        None => merge(attr, &mut seed, complex(attr, value)?),
    }
    Ok(Value::Object(seed))
}

/// The sub-attribute values `filter` pins: `Some` only for `a eq x and b eq y …`.
fn pinned(attr: &AttributeDef, filter: &Filter) -> Option<Map<String, Value>> {
    fn pin(attr: &AttributeDef, filter: &Filter, out: &mut Map<String, Value>) -> bool {
        match filter {
            Filter::And(a, b) => pin(attr, a, out) && pin(attr, b, out),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } => {
                let Some(def) = attr.sub(&path.name) else {
                    return false;
                };
                let value = match value {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return false,
                };
                match get_ignore_case(out, def.name) {
                    Some(earlier) => *earlier == value,
                    None => {
                        out.insert(def.name.to_owned(), value);
                        true
                    }
                }
            }
            _ => false,
        }
    }
    let mut out = Map::new();
    pin(attr, filter, &mut out).then_some(out)
}

fn single_valued(attr: &AttributeDef) -> ScimError {
    invalid_path(format!(
        "`{}` is single-valued; a value filter selects values of a multi-valued attribute \
         (or, to remove it, a complex one)",
        attr.name
    ))
}

/// Puts the values back where [`take_list`] found them; a single-valued attribute keeps the
/// last (a value the filter did not match gives way to the one built for it).
fn put_back(container: &mut Map<String, Value>, attr: &AttributeDef, mut list: Vec<Value>) {
    if attr.multi_valued {
        put_list(container, attr.name, list);
    } else if let Some(last) = list.pop() {
        insert(container, attr.name, last);
    }
}

/// Value filters select among values of a multi-valued attribute by its sub-attributes.
fn check_filter(attr: &AttributeDef, filter: &Filter) -> Result<(), ScimError> {
    // A single-valued complex attribute is filtered like a list of its one value: Entra ID
    // removes a manager with `manager[value eq "id"]`.
    if !attr.multi_valued && attr.ty != AttrType::Complex {
        return Err(single_valued(attr));
    }
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => check_filter(attr, a).and(check_filter(attr, b)),
        Filter::Not(inner) => check_filter(attr, inner),
        Filter::Compare { path, .. } | Filter::Present(path)
            if path.urn.is_none() && path.sub.is_none() =>
        {
            match attr.ty {
                AttrType::Complex => sub_of(attr, &path.name).map(|_| ()),
                _ if path.name.eq_ignore_ascii_case("value") => Ok(()),
                _ => Err(invalid_path(format!(
                    "`{}` holds simple values; a filter on it can only name `value`",
                    attr.name
                ))),
            }
        }
        _ => Err(invalid_path(format!(
            "a filter in `{}[…]` names sub-attributes of `{}` only",
            attr.name, attr.name
        ))),
    }
}
