//! Which attributes a response carries: the `attributes` and `excludedAttributes`
//! parameters (RFC 7644 §3.4.2.5, §3.9) combined with each attribute's `returned`
//! characteristic (RFC 7643 §7).
//!
//! Choices where the RFCs are loose:
//! - `returned: never` (password) is never returned, even when asked for; `always` (id) is
//!   returned whatever the parameters say; `request` only when named in `attributes`.
//! - `attributes` names attributes (`name`), sub-attributes (`name.givenName`,
//!   `emails.value`: every element keeps only that sub-attribute), URN-qualified ones
//!   (`urn:…:enterprise:2.0:User:employeeNumber`: the extension object keeps only that key),
//!   or a whole schema by its bare URN. Unqualified names resolve like in filters (core
//!   first, then extensions). Names that resolve to nothing are ignored.
//! - When both parameters are given, `attributes` wins and `excludedAttributes` is
//!   ignored: the exclusion is defined against the default set (§3.4.2.5), which
//!   `attributes` has already replaced.
//! - `meta` is `returned: default` like any attribute, so `attributes=userName` yields only
//!   `schemas`, `id` and `userName`, as in the example of RFC 7644 §3.9.
//! - `schemas` is always returned and lists the core URN plus the extensions whose objects
//!   survive projection: RFC 7643 §3 defines it as the schemas "that define the attributes
//!   present in the current JSON structure". An extension object left empty is removed.
//! - Complex values keep only wanted sub-attributes; elements and values left empty are
//!   removed. Keys that the schema does not define are not returned.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::string_slice))]

use serde_json::{Map, Value};

use super::filter::AttrPath;
use super::schema::def::{AttrType, AttributeDef, ResourceTypeDef, Returned, SchemaDef};
use super::schema::resolve::{resolve, schema_by_urn};

/// The response representation of `resource` (a canonical resource of type `rt`).
pub fn project(
    rt: &ResourceTypeDef,
    resource: Map<String, Value>,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
) -> Map<String, Value> {
    // Takes the resource and moves what is kept: a page renders each resource only to
    // project and serialize it, so copying the kept values would copy most of the page.
    let mode = Mode::new(rt, attributes, excluded);
    let mut out = Map::new();
    let mut present = Vec::new();
    for (key, value) in resource {
        if let Some(schema) = schema_by_urn(rt, &key) {
            let Value::Object(ext) = value else { continue };
            if std::ptr::eq(schema, rt.schema) {
                continue;
            }
            let kept: Map<String, Value> = ext
                .into_iter()
                .filter_map(|(k, v)| {
                    let attr = schema.attribute(&k)?;
                    Some((canonical(k, attr), mode.value(schema, attr, v)?))
                })
                .collect();
            if !kept.is_empty() {
                out.insert(schema.id.to_owned(), Value::Object(kept));
                present.push(schema.id);
            }
        } else if let Some(attr) = rt.schema.attribute(&key) {
            if let Some(v) = mode.value(rt.schema, attr, value) {
                out.insert(canonical(key, attr), v);
            }
        }
    }
    let schemas = std::iter::once(rt.schema.id)
        .chain(
            rt.extensions
                .iter()
                .map(|(s, _)| s.id)
                .filter(|id| present.contains(id)),
        )
        .map(Value::from)
        .collect();
    out.insert("schemas".into(), Value::Array(schemas));
    out
}

/// The attribute's own spelling of a key matched ignoring case, reusing the key when it
/// already is.
fn canonical(key: String, attr: &AttributeDef) -> String {
    if key == attr.name {
        key
    } else {
        attr.name.to_owned()
    }
}

/// Whether any part of the attribute `path` names would be returned, so the storage layer
/// can skip loading what the response would drop (e.g. group `members` under
/// `excludedAttributes=members`). A path that does not resolve is not wanted.
pub fn wants_attribute(
    rt: &ResourceTypeDef,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
    path: &AttrPath,
) -> bool {
    let mode = Mode::new(rt, attributes, excluded);
    if let Some(schema) = bare_schema(rt, path) {
        return schema.attributes.iter().any(|a| mode.wants_any(schema, a));
    }
    match resolve(rt, path) {
        Some(r) => match r.sub {
            Some(sub) => mode.wants(r.schema, r.attr, Some(sub)),
            None => mode.wants_any(r.schema, r.attr),
        },
        None => false,
    }
}

fn bare_schema(rt: &ResourceTypeDef, path: &AttrPath) -> Option<&'static SchemaDef> {
    schema_by_urn(rt, &path.as_schema_urn()?)
}

/// One resolved entry of a parameter list, compared by canonical names.
enum Named {
    Schema(&'static str),
    Attr {
        schema: &'static str,
        attr: &'static str,
        sub: Option<&'static str>,
    },
}

struct Selection(Vec<Named>);

impl Selection {
    fn new(rt: &ResourceTypeDef, paths: &[AttrPath]) -> Self {
        let named = paths.iter().filter_map(|p| {
            if let Some(schema) = bare_schema(rt, p) {
                return Some(Named::Schema(schema.id));
            }
            let r = resolve(rt, p)?;
            Some(Named::Attr {
                schema: r.schema.id,
                attr: r.attr.name,
                sub: r.sub.map(|s| s.name),
            })
        });
        Self(named.collect())
    }

    fn schema(&self, schema: &SchemaDef) -> bool {
        self.0
            .iter()
            .any(|n| matches!(n, Named::Schema(id) if *id == schema.id))
    }

    /// The attribute itself (not one of its sub-attributes) is named.
    fn attr(&self, schema: &SchemaDef, attr: &AttributeDef) -> bool {
        self.0.iter().any(|n| {
            matches!(n, Named::Attr { schema: s, attr: a, sub: None }
                if *s == schema.id && *a == attr.name)
        })
    }

    fn sub(&self, schema: &SchemaDef, attr: &AttributeDef, sub: &AttributeDef) -> bool {
        self.0.iter().any(|n| {
            matches!(n, Named::Attr { schema: s, attr: a, sub: Some(b) }
                if *s == schema.id && *a == attr.name && *b == sub.name)
        })
    }
}

enum Mode {
    Default,
    Only(Selection),
    Except(Selection),
}

impl Mode {
    fn new(rt: &ResourceTypeDef, attributes: &[AttrPath], excluded: &[AttrPath]) -> Self {
        if !attributes.is_empty() {
            Mode::Only(Selection::new(rt, attributes))
        } else if !excluded.is_empty() {
            Mode::Except(Selection::new(rt, excluded))
        } else {
            Mode::Default
        }
    }

    /// Whether `attr` (or its sub-attribute `sub`) is returned.
    fn wants(&self, schema: &SchemaDef, attr: &AttributeDef, sub: Option<&AttributeDef>) -> bool {
        let levels = || std::iter::once(attr).chain(sub);
        if levels().any(|a| a.returned == Returned::Never) {
            return false;
        }
        if levels().any(|a| a.returned == Returned::Always) {
            return true;
        }
        let requested_only = levels().any(|a| a.returned == Returned::Request);
        match self {
            Mode::Default => !requested_only,
            Mode::Except(sel) => {
                !requested_only
                    && !sel.schema(schema)
                    && !sel.attr(schema, attr)
                    && !sub.is_some_and(|s| sel.sub(schema, attr, s))
            }
            Mode::Only(sel) => {
                let whole = sel.attr(schema, attr)
                    || (sel.schema(schema) && attr.returned != Returned::Request);
                match sub {
                    None => whole,
                    Some(s) => {
                        sel.sub(schema, attr, s) || (whole && s.returned != Returned::Request)
                    }
                }
            }
        }
    }

    /// Whether any part of `attr` is returned.
    fn wants_any(&self, schema: &SchemaDef, attr: &AttributeDef) -> bool {
        if attr.ty == AttrType::Complex {
            attr.sub_attributes
                .iter()
                .any(|s| self.wants(schema, attr, Some(s)))
        } else {
            self.wants(schema, attr, None)
        }
    }

    /// The returned part of `value`, or `None` when nothing of it is returned.
    fn value(&self, schema: &SchemaDef, attr: &AttributeDef, value: Value) -> Option<Value> {
        if attr.ty != AttrType::Complex {
            return self.wants(schema, attr, None).then_some(value);
        }
        let complex = |obj: Map<String, Value>| {
            let kept: Map<String, Value> = obj
                .into_iter()
                .filter(|(k, _)| {
                    attr.sub(k)
                        .is_some_and(|s| self.wants(schema, attr, Some(s)))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        };
        match value {
            Value::Object(obj) => complex(obj),
            Value::Array(items) => {
                let kept: Vec<Value> = items
                    .into_iter()
                    .filter_map(|item| match item {
                        Value::Object(obj) => complex(obj),
                        _ => None,
                    })
                    .collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
