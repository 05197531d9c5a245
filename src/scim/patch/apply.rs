//! One operation against the resource: resolving its path, checking mutability, and
//! dispatching to the value-level rules in [`super::multi`].

use serde_json::{Map, Value};

use super::target::{
    insert, invalid_path, invalid_value, mutability, no_target, put_list, remove, resolve_target,
    sub_of, take_list, take_object, with_container, Target,
};
use super::{multi, values};
use super::{PatchOp, PatchOpKind};
use crate::scim::error::ScimError;
use crate::scim::path::{parse_patch_path, PatchPath};
use crate::scim::schema::def::{AttrType, Mutability, ResourceTypeDef, SchemaDef};
use crate::scim::schema::resolve::ResolvedAttr;

/// What to do with a path naming a readOnly attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadOnly {
    /// An explicit `path`: the client asked for the impossible (RFC 7644 §3.5.2).
    Refuse,
    /// A member of a no-path `value`: clients echo whole resources, `id` and `meta` included.
    Skip,
}

pub(super) fn apply_op(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    op: &PatchOp,
) -> Result<(), ScimError> {
    match (&op.path, &op.value) {
        (Some(path), value) => path_op(
            rt,
            resource,
            op.kind,
            path,
            value.as_ref(),
            ReadOnly::Refuse,
        )
        .map_err(at_path(path)),
        (None, _) if op.kind == PatchOpKind::Remove => Err(no_target(
            "`remove` needs a `path` naming what to remove".to_owned(),
        )),
        (None, Some(value)) => apply_object(rt, resource, op.kind, None, value),
        (None, None) => Err(invalid_value(format!(
            "`{}` needs a `value`",
            op.kind.as_str()
        ))),
    }
}

/// `add`/`replace` of an object of attributes: the no-path form, or the object of one
/// extension (`extension` set, its members named relative to it).
fn apply_object(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    extension: Option<&'static SchemaDef>,
    value: &Value,
) -> Result<(), ScimError> {
    let Value::Object(members) = value else {
        return Err(invalid_value(match extension {
            None => "without a `path`, `value` must be an object of attributes".to_owned(),
            Some(schema) => format!("`{}` takes an object of its attributes", schema.id),
        }));
    };
    for (key, member) in members {
        // `schemas` is rebuilt by the normalizer; clients (scim2-models among them) also put
        // one inside an extension's object, where it is no attribute either.
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let mut path = parse_patch_path(key)
            .map_err(|e| invalid_path(format!("`value` member `{key}`: {e}")))?;
        if let Some(schema) = extension {
            let (PatchPath::Attr(attr) | PatchPath::ValuePath { attr, .. }) = &mut path;
            if attr.urn.is_none() {
                attr.urn = Some(schema.id.to_owned());
            }
        }
        path_op(rt, resource, kind, &path, Some(member), ReadOnly::Skip).map_err(at_path(&path))?;
    }
    Ok(())
}

/// Prefixes an error with the path whose operation failed, so a client sees which one.
fn at_path(path: &PatchPath) -> impl FnOnce(ScimError) -> ScimError + '_ {
    move |e| ScimError {
        detail: format!("`{path}`: {}", e.detail),
        ..e
    }
}

fn path_op(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    path: &PatchPath,
    value: Option<&Value>,
    read_only: ReadOnly,
) -> Result<(), ScimError> {
    let (attr_path, filter, sub_name) = match path {
        PatchPath::Attr(attr) => (attr, None, None),
        PatchPath::ValuePath { attr, filter, sub } => (attr, Some(filter), sub.as_deref()),
    };
    let target = resolve_target(rt, attr_path)?;
    if filter.is_some() && !matches!(target, Target::Attr(_) | Target::Unknown) {
        return Err(invalid_path(
            "a value filter selects values of a multi-valued attribute".to_owned(),
        ));
    }
    let r = match target {
        Target::Unknown => return Ok(()),
        Target::Resource if kind == PatchOpKind::Remove => {
            return Err(invalid_path(
                "the resource itself cannot be removed; use DELETE".to_owned(),
            ))
        }
        Target::Resource => return apply_object(rt, resource, kind, None, required(kind, value)?),
        Target::Extension(schema) => return extension_op(rt, resource, kind, schema, value),
        Target::Attr(r) => r,
    };
    let sub = sub_name.map(|name| sub_of(r.attr, name)).transpose()?;
    let named = r.sub.or(sub);
    // A derived attribute is patched like any other; the service compares the outcome
    // with the value it derives.
    if (r.attr.mutability == Mutability::ReadOnly && !rt.is_derived(r.attr))
        || named.is_some_and(|s| s.mutability == Mutability::ReadOnly)
    {
        return match read_only {
            ReadOnly::Skip => Ok(()),
            ReadOnly::Refuse => Err(mutability("readOnly; the server maintains it".to_owned())),
        };
    }
    if kind == PatchOpKind::Remove {
        return match filter {
            Some(filter) => multi::remove_matching(rt, resource, &r, filter, sub),
            None => remove_attr(rt, resource, &r, value),
        };
    }
    let sent = required(kind, value)?;
    // A single-valued target (an attribute, or a sub-attribute in each selected value) has
    // one value: `null` or `""` there unassigns it, for `add` as for `replace`, since `add`
    // on a single-valued attribute replaces it.
    let single_target = named.is_some() || !r.attr.multi_valued;
    let sent = if single_target {
        values::single(r.attr, named, sent)?
    } else {
        Some(sent.clone()).filter(|v| !v.is_null())
    };
    match (filter, sent) {
        // `null` unassigns (RFC 7643 §2.5): adding it to a list adds nothing.
        (_, None) if kind == PatchOpKind::Add && !single_target => Ok(()),
        (Some(filter), None) => multi::remove_matching(rt, resource, &r, filter, sub),
        (None, None) => remove_attr(rt, resource, &r, None),
        (Some(filter), Some(value)) => {
            multi::set_matching(rt, resource, kind, &r, filter, sub, &value)
        }
        (None, Some(value)) => set_attr(rt, resource, kind, &r, &value),
    }
}

fn required(kind: PatchOpKind, value: Option<&Value>) -> Result<&Value, ScimError> {
    value.ok_or_else(|| invalid_value(format!("`{}` needs a `value`", kind.as_str())))
}

fn extension_op(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    schema: &'static SchemaDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (kind, required(kind, value)) {
        (PatchOpKind::Remove, _) => {}
        (PatchOpKind::Add, Ok(Value::Null)) => return Ok(()),
        (_, Ok(Value::Null)) => {}
        (_, value) => return apply_object(rt, resource, kind, Some(schema), value?),
    }
    if rt
        .extensions
        .iter()
        .any(|(s, required)| *required && s.id == schema.id)
    {
        return Err(mutability(format!(
            "the extension is required for {} resources and cannot be removed",
            rt.name
        )));
    }
    remove(resource, schema.id);
    Ok(())
}

/// `add`/`replace` at an attribute path without a filter.
fn set_attr(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    kind: PatchOpKind,
    r: &ResolvedAttr,
    value: &Value,
) -> Result<(), ScimError> {
    let attr = r.attr;
    with_container(rt, resource, r, |c| {
        match r.sub {
            Some(sub) if attr.multi_valued => multi::set_sub_everywhere(c, attr, sub, value)?,
            Some(sub) => {
                let value = values::scalar(value)?;
                let mut object = take_object(c, attr.name);
                insert(&mut object, sub.name, value);
                insert(c, attr.name, Value::Object(object));
            }
            None if attr.multi_valued => multi::set_list(c, kind, attr, value)?,
            None if attr.ty == AttrType::Complex => {
                let incoming = values::complex(attr, value)?;
                let mut object = take_object(c, attr.name);
                if values::names_another(attr, &object, &incoming) {
                    object.clear();
                }
                values::merge(attr, &mut object, incoming);
                insert(c, attr.name, Value::Object(object));
            }
            None => insert(c, attr.name, values::scalar(value)?),
        }
        Ok(())
    })
}

/// `remove` at an attribute path without a filter, or `replace` with `null`.
fn remove_attr(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    r: &ResolvedAttr,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attr = r.attr;
    if r.target().required {
        return Err(mutability("required; it cannot be removed".to_owned()));
    }
    with_container(rt, resource, r, |c| {
        match (r.sub, value) {
            (Some(sub), _) if attr.multi_valued => {
                let mut list = take_list(c, attr.name);
                for element in &mut list {
                    if let Value::Object(o) = element {
                        remove(o, sub.name);
                    }
                }
                list.retain(|e| !matches!(e, Value::Object(o) if o.is_empty()));
                put_list(c, attr.name, list);
            }
            (Some(sub), _) => {
                let mut object = take_object(c, attr.name);
                remove(&mut object, sub.name);
                if !object.is_empty() {
                    insert(c, attr.name, Value::Object(object));
                }
            }
            (None, Some(listed)) if attr.multi_valued && !listed.is_null() => {
                let mut list = take_list(c, attr.name);
                multi::remove_listed(attr, &mut list, listed)?;
                put_list(c, attr.name, list);
            }
            (None, Some(listed)) if !listed.is_null() && attr.ty == AttrType::Complex => {
                let current = take_object(c, attr.name);
                if !values::names_current(attr, &current, listed) && !current.is_empty() {
                    insert(c, attr.name, Value::Object(current));
                }
            }
            (None, _) => {
                remove(c, attr.name);
            }
        }
        Ok(())
    })
}
