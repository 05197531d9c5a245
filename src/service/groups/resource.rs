//! Between the SCIM Group resource and the stored group: rendering, and what a request body
//! asks for.

use serde_json::{json, Map, Value};

use super::patch::member_list;
use crate::scim::{urn, ScimError};
use crate::store::{Group, MemberRef};

/// A group as the response needs it.
pub type GroupView = crate::service::scim_context::ResourceView;

/// The weak ETag of a group: its version, which every write bumps, member changes included.
pub fn etag(group: &Group) -> String {
    format!("W/\"{}\"", group.version)
}

fn iso(micros: i64) -> String {
    crate::store::from_micros(micros)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The full Group resource; `members` is `None` when the response will not carry them, so
/// they were never read.
pub fn render(group: &Group, members: Option<&[MemberRef]>, base: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([urn::GROUP]));
    out.insert("id".into(), Value::String(group.id.to_string()));
    if let Some(external) = &group.external_id {
        out.insert("externalId".into(), Value::String(external.clone()));
    }
    out.insert(
        "displayName".into(),
        Value::String(group.display_name.clone()),
    );
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let list = members
            .iter()
            .map(|m| {
                let mut member = Map::new();
                member.insert("value".into(), Value::String(m.user_id.to_string()));
                member.insert(
                    "$ref".into(),
                    Value::String(format!("{base}/Users/{}", m.user_id)),
                );
                if let Some(display) = &m.display {
                    member.insert("display".into(), Value::String(display.clone()));
                }
                member.insert("type".into(), Value::String("User".into()));
                Value::Object(member)
            })
            .collect();
        out.insert("members".into(), Value::Array(list));
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": iso(group.created_at),
            "lastModified": iso(group.updated_at),
            "location": format!("{base}/Groups/{}", group.id),
            "version": etag(group),
        }),
    );
    out
}

/// What a normalized Group body (POST, PUT, or a patched resource) asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupParts {
    pub display_name: String,
    pub external_id: Option<String>,
    /// The members' user ids; empty when the body has none.
    pub members: Vec<uuid::Uuid>,
}

/// Reads a normalized resource (canonical keys; `check_required` has passed).
pub fn parts(resource: &Map<String, Value>) -> Result<GroupParts, ScimError> {
    let text = |key: &str| resource.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(GroupParts {
        display_name: text("displayName").unwrap_or_default(),
        external_id: text("externalId"),
        members: match resource.get("members") {
            Some(list) => member_list(list)?,
            None => Vec::new(),
        },
    })
}
