//! Turning a client's resource body into the canonical resource the server stores and
//! compares: canonical attribute names, values of the declared type, no client-sent
//! readOnly data, extension attributes nested under their schema URN.
//!
//! Choices where RFC 7643/7644 are loose, made to accept what real IdPs send:
//! - Attribute names and schema URNs match ignoring case (RFC 7643 §2.1) and are rewritten
//!   to their canonical spelling.
//! - Extension attributes are accepted nested (`"urn:…:enterprise:2.0:User": {…}`) and
//!   flattened (`"urn:…:enterprise:2.0:User:manager": "id"`, as Entra ID sends them);
//!   a URN-qualified or dotted key (`name.givenName`) is more specific and is applied after
//!   the nested forms. A dotted key into a multi-valued attribute (`emails.value`) is
//!   ambiguous and ignored. Core attributes nested under the core URN are accepted too.
//! - Top-level unqualified names match the core schema only: the JSON structure of RFC 7643
//!   §3 puts extension attributes under their URN, and guessing would capture unrelated
//!   custom attributes of the same name.
//! - Unknown attributes and unknown schema URIs are ignored, never refused (RFC 7644 §3.3
//!   lets the server ignore what it does not support); the client's `schemas` is ignored
//!   and rebuilt from the extensions actually present.
//! - readOnly attributes and sub-attributes are dropped: RFC 7643 §7 says client-sent values
//!   of readOnly attributes "SHALL be ignored". A resource type's derived attributes
//!   ([`ResourceTypeDef::derived`]) are the exception: they are kept, normalized like
//!   readWrite ones, for the service to compare with the value it derives.
//! - `null`, `""`, `[]`, and complex values left empty mean "no value" and are dropped. `""`
//!   counts as no value for every type, not only strings, because IdPs send it for unset
//!   booleans and references.
//! - Coercions: booleans from the strings `true`/`false` in any case (Entra ID sends
//!   `"True"`), integers and decimals from numeric strings, integers from whole floats
//!   (`5.0`). Anything else of the wrong type is a 400 `invalidValue` naming the attribute
//!   and the expected type. Values are never echoed in the detail: one could be a password.
//! - dateTime must be RFC 3339 with an offset: an xsd:dateTime without a zone is ambiguous.
//!   binary must be base64 (padding optional, whitespace from line-wrapping removed).
//! - A single value where a multi-valued attribute is expected is wrapped into an array
//!   (PATCH `add` allows the same, RFC 7644 §3.5.2.1). An array for a single-valued
//!   attribute is refused: picking one element would silently lose data. A list of one
//!   value for a single-valued complex attribute is that value (Entra ID sends `manager` as
//!   `[{"$ref": …, "value": …}]`), and an empty one no value.
//! - A scalar where a complex attribute with a `value` sub-attribute is expected becomes
//!   `{"value": …}`: Entra ID sends `manager` as a bare id, and some clients send members as
//!   bare ids.
//! - At most one `primary: true` per multi-valued attribute (RFC 7643 §2.4): the first wins
//!   and later ones become `false`, because Okta and Entra ID send duplicates and refusing
//!   would break provisioning for a flag nobody can fix on the IdP side. Canonical `type`
//!   values are not enforced: IdPs send custom ones.
//! - Required attributes are checked separately by [`check_required`], so PATCH can check
//!   the patched resource while POST and PUT check the normalized body.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::string_slice))]

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::eval::{get_ignore_case, shallow_present};
use super::filter::parse_attr_path;
use super::schema::def::{AttributeDef, Mutability, ResourceTypeDef, SchemaDef};
use super::schema::resolve::{schema_by_urn, schemas_of, ResolvedAttr};

mod value;

use value::{attribute_value, invalid, json_type};

/// Normalizes a POST/PUT body (or any partial resource) for `rt`. Required attributes are
/// not checked here; see [`check_required`].
pub fn normalize_resource(
    rt: &ResourceTypeDef,
    body: &Value,
) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::bad_request(
            ScimType::InvalidSyntax,
            "the request body must be a JSON object holding a resource",
        ));
    };
    let mut out = Output::new(rt);
    let mut qualified = Vec::new();
    for (key, value) in body {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(schema) = schema_by_urn(rt, key) {
            out.set_all(schema, value)?;
        } else if let Some(attr) = rt.schema.attribute(key) {
            out.set(rt.schema, attr, value)?;
        } else if key.contains([':', '.']) {
            qualified.push((key, value));
        }
    }
    for (key, value) in qualified {
        out.set_qualified(rt, key, value)?;
    }
    Ok(out.finish())
}

/// Normalizes one value for the attribute (or sub-attribute) `attr` names, as PATCH needs:
/// coerced to the declared type, readOnly sub-attributes dropped, a single value wrapped for
/// a multi-valued attribute. `Value::Null` means "no value". Whether the target itself may
/// be written (mutability) is the caller's decision.
pub fn normalize_value(
    rt: &ResourceTypeDef,
    attr: &ResolvedAttr,
    value: &Value,
) -> Result<Value, ScimError> {
    let mut name = attr.attr.name.to_owned();
    if !attr.is_core(rt) {
        name = format!("{}:{name}", attr.schema.id);
    }
    if let Some(sub) = attr.sub {
        name = format!("{name}.{}", sub.name);
    }
    Ok(attribute_value(attr.target(), value, &name)?.unwrap_or(Value::Null))
}

/// Checks that every required, client-writable attribute of `rt` has a value in `resource`
/// (and that required extensions are present): 400 `invalidValue` otherwise.
pub fn check_required(
    rt: &ResourceTypeDef,
    resource: &Map<String, Value>,
) -> Result<(), ScimError> {
    required_in(rt.schema, resource, "")?;
    for (schema, required) in rt.extensions {
        match get_ignore_case(resource, schema.id) {
            Some(Value::Object(ext)) => required_in(schema, ext, &format!("{}:", schema.id))?,
            _ if *required => {
                return Err(invalid(format!(
                    "the extension `{}` is required for {} resources",
                    schema.id, rt.name
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Keeps the first `"primary": true` and turns later ones into `false`; PATCH needs this
/// again after merging values.
pub fn enforce_single_primary(values: &mut [Value]) {
    let mut seen = false;
    for primary in values.iter_mut().filter_map(|v| v.get_mut("primary")) {
        if *primary == Value::Bool(true) {
            if seen {
                *primary = Value::Bool(false);
            }
            seen = true;
        }
    }
}

/// The normalized attributes of each schema of the resource type, core first.
struct Output {
    schemas: Vec<(&'static SchemaDef, Map<String, Value>)>,
    /// The resource type's derived attributes, kept although readOnly.
    derived: &'static [&'static str],
}

impl Output {
    fn new(rt: &ResourceTypeDef) -> Self {
        Self {
            schemas: schemas_of(rt).map(|s| (s, Map::new())).collect(),
            derived: rt.derived,
        }
    }

    fn ignored(&self, attr: &AttributeDef) -> bool {
        attr.mutability == Mutability::ReadOnly
            && !self
                .derived
                .iter()
                .any(|d| d.eq_ignore_ascii_case(attr.name))
    }

    fn map(&mut self, schema: &SchemaDef) -> Option<&mut Map<String, Value>> {
        let (_, map) = self.schemas.iter_mut().find(|(s, _)| s.id == schema.id)?;
        Some(map)
    }

    /// `"urn:…": { attributes of that schema }`.
    fn set_all(&mut self, schema: &'static SchemaDef, value: &Value) -> Result<(), ScimError> {
        match value {
            Value::Null => Ok(()),
            Value::Object(attrs) => attrs
                .iter()
                .filter_map(|(key, v)| schema.attribute(key).map(|attr| (attr, v)))
                .try_for_each(|(attr, v)| self.set(schema, attr, v)),
            other => Err(invalid(format!(
                "`{}` must be a JSON object holding the attributes of that schema, got {}",
                schema.id,
                json_type(other)
            ))),
        }
    }

    fn set(
        &mut self,
        schema: &SchemaDef,
        attr: &AttributeDef,
        value: &Value,
    ) -> Result<(), ScimError> {
        if self.ignored(attr) {
            return Ok(());
        }
        let is_core = self.schemas.first().is_some_and(|(s, _)| s.id == schema.id);
        let name = qualified_name(is_core, schema, attr.name);
        if let (Some(v), Some(map)) = (attribute_value(attr, value, &name)?, self.map(schema)) {
            map.insert(attr.name.to_owned(), v);
        }
        Ok(())
    }

    /// `urn:…:attr`, `urn:…:attr.sub` or `attr.sub` as a key; anything that does not
    /// resolve is ignored like any unknown attribute.
    fn set_qualified(
        &mut self,
        rt: &ResourceTypeDef,
        key: &str,
        value: &Value,
    ) -> Result<(), ScimError> {
        let Ok(path) = parse_attr_path(key) else {
            return Ok(());
        };
        let schema = match &path.urn {
            Some(urn) => schema_by_urn(rt, urn),
            None => Some(rt.schema),
        };
        let Some((schema, attr)) = schema.and_then(|s| Some((s, s.attribute(&path.name)?))) else {
            return Ok(());
        };
        let Some(sub) = &path.sub else {
            return self.set(schema, attr, value);
        };
        let Some(sub) = attr.sub(sub) else {
            return Ok(());
        };
        if attr.multi_valued
            || attr.mutability == Mutability::ReadOnly
            || sub.mutability == Mutability::ReadOnly
        {
            return Ok(());
        }
        let name = qualified_name(std::ptr::eq(schema, rt.schema), schema, attr.name);
        let Some(v) = attribute_value(sub, value, &format!("{name}.{}", sub.name))? else {
            return Ok(());
        };
        if let Some(map) = self.map(schema) {
            let entry = map
                .entry(attr.name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(obj) = entry {
                obj.insert(sub.name.to_owned(), v);
            }
        }
        Ok(())
    }

    fn finish(self) -> Map<String, Value> {
        let mut schemas = Vec::new();
        let mut out = Map::new();
        for (i, (schema, attrs)) in self.schemas.into_iter().enumerate() {
            if i == 0 {
                schemas.push(Value::from(schema.id));
                out.extend(attrs);
            } else if !attrs.is_empty() {
                schemas.push(Value::from(schema.id));
                out.insert(schema.id.to_owned(), Value::Object(attrs));
            }
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out
    }
}

fn qualified_name(is_core: bool, schema: &SchemaDef, name: &str) -> String {
    if is_core {
        name.to_owned()
    } else {
        format!("{}:{name}", schema.id)
    }
}

fn required_in(
    schema: &SchemaDef,
    map: &Map<String, Value>,
    prefix: &str,
) -> Result<(), ScimError> {
    for attr in schema
        .attributes
        .iter()
        .filter(|a| a.mutability != Mutability::ReadOnly)
    {
        let value = get_ignore_case(map, attr.name);
        if attr.required && !value.is_some_and(shallow_present) {
            return Err(invalid(format!(
                "`{prefix}{}` is required and must have a non-empty value",
                attr.name
            )));
        }
        let required_subs = attr
            .sub_attributes
            .iter()
            .filter(|s| s.required && s.mutability != Mutability::ReadOnly);
        for sub in required_subs {
            let elements = match value {
                Some(Value::Array(items)) => items.as_slice(),
                Some(v @ Value::Object(_)) => std::slice::from_ref(v),
                _ => &[],
            };
            for element in elements.iter().filter_map(Value::as_object) {
                if !get_ignore_case(element, sub.name).is_some_and(shallow_present) {
                    return Err(invalid(format!(
                        "`{prefix}{}.{}` is required in every `{}` value",
                        attr.name, sub.name, attr.name
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
