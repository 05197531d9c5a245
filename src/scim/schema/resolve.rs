//! Resolving an attribute path (`userName`, `name.familyName`, `emails.value`,
//! `urn:...:enterprise:2.0:User:manager.value`) against a resource type's schemas.

use super::def::{AttributeDef, ResourceTypeDef, SchemaDef};
use crate::scim::filter::AttrPath;

/// Where a path leads: the schema that defines it, the attribute, and the sub-attribute.
#[derive(Clone, Copy, Debug)]
pub struct ResolvedAttr {
    pub schema: &'static SchemaDef,
    pub attr: &'static AttributeDef,
    pub sub: Option<&'static AttributeDef>,
}

impl ResolvedAttr {
    /// The attribute the path finally names: the sub-attribute if there is one.
    pub fn target(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// True when the attribute lives in the core schema of the resource type, i.e. at the
    /// top level of the JSON rather than under an extension URN key.
    pub fn is_core(&self, rt: &ResourceTypeDef) -> bool {
        std::ptr::eq(self.schema, rt.schema)
    }
}

/// The schemas of a resource type: core first, then extensions.
pub fn schemas_of(rt: &ResourceTypeDef) -> impl Iterator<Item = &'static SchemaDef> + '_ {
    std::iter::once(rt.schema).chain(rt.extensions.iter().map(|(s, _)| *s))
}

/// A schema of `rt` by URN, ignoring case.
pub fn schema_by_urn(rt: &ResourceTypeDef, urn: &str) -> Option<&'static SchemaDef> {
    schemas_of(rt).find(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Resolves `path`. An unqualified name is looked up in the core schema, then in the
/// extensions. A sub-attribute on a non-complex attribute does not resolve.
pub fn resolve(rt: &ResourceTypeDef, path: &AttrPath) -> Option<ResolvedAttr> {
    let (schema, attr) = match &path.urn {
        Some(urn) => {
            let schema = schema_by_urn(rt, urn)?;
            (schema, schema.attribute(&path.name)?)
        }
        None => schemas_of(rt).find_map(|s| s.attribute(&path.name).map(|a| (s, a)))?,
    };
    let sub = match &path.sub {
        Some(name) => Some(attr.sub(name)?),
        None => None,
    };
    Some(ResolvedAttr { schema, attr, sub })
}
