//! What a PATCH path names, and case-insensitive access to the JSON that holds it.

use serde_json::{Map, Value};

use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::AttrPath;
use crate::scim::schema::def::{AttrType, AttributeDef, ResourceTypeDef, SchemaDef};
use crate::scim::schema::resolve::{resolve, schema_by_urn, schemas_of, ResolvedAttr};

pub(super) enum Target {
    /// A schema URN the resource type does not have.
    Unknown,
    /// The core schema URN itself: the resource.
    Resource,
    /// An extension URN itself: the object holding its attributes.
    Extension(&'static SchemaDef),
    Attr(ResolvedAttr),
}

pub(super) fn resolve_target(rt: &ResourceTypeDef, path: &AttrPath) -> Result<Target, ScimError> {
    if let Some(urn) = path.as_schema_urn() {
        if rt.schema.id.eq_ignore_ascii_case(&urn) {
            return Ok(Target::Resource);
        }
        if let Some(schema) = schema_by_urn(rt, &urn) {
            return Ok(Target::Extension(schema));
        }
    }
    if let Some(r) = resolve(rt, path) {
        return Ok(Target::Attr(r));
    }
    let attr = match &path.urn {
        Some(urn) => match schema_by_urn(rt, urn) {
            Some(schema) => schema.attribute(&path.name).ok_or_else(|| {
                invalid_path(format!(
                    "no attribute `{}` in schema `{}`",
                    path.name, schema.id
                ))
            })?,
            None => return Ok(Target::Unknown),
        },
        None => schemas_of(rt)
            .find_map(|s| s.attribute(&path.name))
            .ok_or_else(|| {
                invalid_path(format!(
                    "no attribute `{}` in {} resources",
                    path.name, rt.name
                ))
            })?,
    };
    Err(no_sub(attr, path.sub.as_deref().unwrap_or_default()))
}

/// The sub-attribute `name` of `attr`, or `invalidPath` saying why there is none.
pub(super) fn sub_of(attr: &AttributeDef, name: &str) -> Result<&'static AttributeDef, ScimError> {
    attr.sub(name).ok_or_else(|| no_sub(attr, name))
}

fn no_sub(attr: &AttributeDef, name: &str) -> ScimError {
    if attr.ty == AttrType::Complex {
        invalid_path(format!("no sub-attribute `{name}` in `{}`", attr.name))
    } else {
        invalid_path(format!(
            "`{}` is not complex and has no sub-attribute `{name}`",
            attr.name
        ))
    }
}

/// Runs `f` on the object holding `r`'s attribute: the resource for core attributes, the
/// extension's object otherwise (created under the canonical URN, and dropped if `f` leaves
/// it empty).
pub(super) fn with_container<T>(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    r: &ResolvedAttr,
    f: impl FnOnce(&mut Map<String, Value>) -> T,
) -> T {
    if r.is_core(rt) {
        return f(resource);
    }
    let mut extension = match remove(resource, r.schema.id) {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    let out = f(&mut extension);
    if !extension.is_empty() {
        resource.insert(r.schema.id.to_owned(), Value::Object(extension));
    }
    out
}

/// Removes every spelling of `name`, returning the first value removed.
pub(super) fn remove(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    keys.iter()
        .filter_map(|k| map.remove(k))
        .reduce(|first, _| first)
}

/// Sets `name`, replacing the value under any spelling so the canonical one is left.
pub(super) fn insert(map: &mut Map<String, Value>, name: &str, value: Value) {
    remove(map, name);
    map.insert(name.to_owned(), value);
}

/// Takes a complex value out of `map` to be edited and put back with [`insert`].
pub(super) fn take_object(map: &mut Map<String, Value>, name: &str) -> Map<String, Value> {
    match remove(map, name) {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    }
}

/// Takes the values of a multi-valued attribute out of `map`; a lone value counts as one.
pub(super) fn take_list(map: &mut Map<String, Value>, name: &str) -> Vec<Value> {
    match remove(map, name) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(single) => vec![single],
    }
}

/// Puts a list back; an empty list leaves the attribute unassigned (RFC 7643 §2.5).
pub(super) fn put_list(map: &mut Map<String, Value>, name: &str, items: Vec<Value>) {
    if !items.is_empty() {
        insert(map, name, Value::Array(items));
    }
}

pub(super) fn invalid_path(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidPath, detail)
}

pub(super) fn invalid_value(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

pub(super) fn no_target(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::NoTarget, detail)
}

pub(super) fn mutability(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::Mutability, detail)
}
