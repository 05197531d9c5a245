//! Group PATCH without loading members: operations on `members` become sets of user ids to
//! add and remove, executed as row inserts and deletes; every other operation goes to the
//! generic PATCH engine, applied to the group without its members. Pure: no SQL.
//!
//! Forms accepted, as IdPs send them (ops ignore case: Entra ID sends `Add`, `Remove`):
//! - `add` `members` with a list (or one member): adds those; members already present are
//!   left as they are.
//! - `remove` `members[value eq "id"]` (also several `value eq` joined with `or`), or
//!   `remove` `members` with a list of members: removes only those. Ids that are not
//!   members, or not users at all (the IdP may retry after deleting the user), are no-ops.
//! - `remove` `members` without a value: empties the group.
//! - `replace` `members`: the complete list; `[]` (or `null`) empties the group.
//! - `replace`/`add` `members[value eq "id"]` with a value: the matched members are
//!   replaced by (or joined by) those in the value.
//! - No-path `add`/`replace` whose value holds `members` (any spelling, or nested under the
//!   core Group URN): as if sent with path `members`; the other keys (`displayName`, Okta's
//!   `id`) go to the generic engine.
//!
//! A member is `{"value": "<user id>"}` (other sub-attributes ignored) or a bare id. Members
//! of `type` `Group`, or whose `$ref` names a Group, are refused: nested groups are not
//! supported. Paths into a member's sub-attributes (`members.display`,
//! `members[...].value`) are refused: members are added and removed whole.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::patch::{PatchOp, PatchOpKind};
use crate::scim::path::PatchPath;
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::resolve::resolve;
use crate::scim::{urn, ScimError, ScimType};

/// The member part of a PATCH, composed in request order, in SCIM user ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberEdits {
    /// Empty the group before adding.
    pub clear: bool,
    /// Ids to add, in request order, each once. Every one must be a user of the directory.
    pub add: Vec<uuid::Uuid>,
    /// Ids to remove; disjoint from `add`.
    pub remove: Vec<uuid::Uuid>,
}

impl MemberEdits {
    pub fn is_empty(&self) -> bool {
        !self.clear && self.add.is_empty() && self.remove.is_empty()
    }
}

/// A PATCH request split in two.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitPatch {
    /// Operations on attributes other than `members`, with their index in the request.
    pub generic: Vec<(usize, PatchOp)>,
    pub members: MemberEdits,
}

#[derive(Default)]
struct Composer {
    clear: bool,
    add: Vec<uuid::Uuid>,
    adding: HashSet<uuid::Uuid>,
    removing: HashSet<uuid::Uuid>,
}

impl Composer {
    fn add(&mut self, id: uuid::Uuid) {
        self.removing.remove(&id);
        if self.adding.insert(id) {
            self.add.push(id);
        }
    }

    fn remove(&mut self, id: uuid::Uuid) {
        self.adding.remove(&id);
        self.removing.insert(id);
    }

    fn clear(&mut self) {
        *self = Composer {
            clear: true,
            ..Composer::default()
        };
    }

    fn finish(self) -> MemberEdits {
        let mut seen = HashSet::new();
        let add = self
            .add
            .into_iter()
            .filter(|id| self.adding.contains(id) && seen.insert(*id))
            .collect();
        let mut remove: Vec<uuid::Uuid> = self.removing.into_iter().collect();
        remove.sort_unstable();
        MemberEdits {
            clear: self.clear,
            add,
            remove,
        }
    }
}

/// Splits parsed operations; errors name the operation as `Operations[i]`.
pub fn split_patch(ops: &[PatchOp]) -> Result<SplitPatch, ScimError> {
    let mut members = Composer::default();
    let mut generic = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let at = |e: ScimError| ScimError {
            detail: format!("Operations[{index}]: {}", e.detail),
            ..e
        };
        match &op.path {
            Some(path) if is_core_urn(path) && op.kind != PatchOpKind::Remove => {
                let rest = split_object(op.kind, op.value.as_ref(), &mut members).map_err(at)?;
                generic.extend(rest.map(|value| (index, no_path(op.kind, value))));
            }
            Some(path) => match members_target(path) {
                Some(target) => member_op(op, target, &mut members).map_err(at)?,
                None => generic.push((index, op.clone())),
            },
            None => {
                let rest = split_object(op.kind, op.value.as_ref(), &mut members).map_err(at)?;
                generic.extend(rest.map(|value| (index, no_path(op.kind, value))));
            }
        }
    }
    Ok(SplitPatch {
        generic,
        members: members.finish(),
    })
}

fn no_path(kind: PatchOpKind, value: Value) -> PatchOp {
    PatchOp {
        kind,
        path: None,
        value: Some(value),
    }
}

fn is_core_urn(path: &PatchPath) -> bool {
    matches!(path, PatchPath::Attr(a)
        if a.as_schema_urn().is_some_and(|u| u.eq_ignore_ascii_case(urn::GROUP)))
}

/// What a path names within `members`, if it is a members path at all.
enum Target<'a> {
    All,
    Matching(&'a Filter),
}

fn is_members(attr: &AttrPath) -> bool {
    let plain = AttrPath {
        sub: None,
        ..attr.clone()
    };
    resolve(&GROUP_RESOURCE, &plain).is_some_and(|r| r.attr.name == "members")
}

fn members_target(path: &PatchPath) -> Option<Result<Target<'_>, ()>> {
    match path {
        PatchPath::Attr(attr) if is_members(attr) => Some(if attr.sub.is_none() {
            Ok(Target::All)
        } else {
            Err(())
        }),
        PatchPath::ValuePath { attr, filter, sub } if is_members(attr) => {
            Some(if sub.is_none() && attr.sub.is_none() {
                Ok(Target::Matching(filter))
            } else {
                Err(())
            })
        }
        _ => None,
    }
}

fn member_op(
    op: &PatchOp,
    target: Result<Target<'_>, ()>,
    members: &mut Composer,
) -> Result<(), ScimError> {
    let Ok(target) = target else {
        return Err(ScimError::bad_request(
            ScimType::Mutability,
            "a member's sub-attributes cannot be changed; add or remove whole members",
        ));
    };
    let value = op.value.as_ref().filter(|v| !v.is_null());
    match (op.kind, target, value) {
        (PatchOpKind::Remove, Target::All, None) => members.clear(),
        (PatchOpKind::Remove, Target::All, Some(listed)) => {
            for id in member_ids(listed, Strictness::Lenient)? {
                members.remove(id);
            }
        }
        (PatchOpKind::Remove, Target::Matching(filter), _) => {
            for id in filter_ids(filter)? {
                members.remove(id);
            }
        }
        (PatchOpKind::Replace, Target::All, value) => {
            members.clear();
            for id in value.map_or(Ok(Vec::new()), |v| member_ids(v, Strictness::Strict))? {
                members.add(id);
            }
        }
        (PatchOpKind::Replace, Target::Matching(filter), value) => {
            for id in filter_ids(filter)? {
                members.remove(id);
            }
            for id in value.map_or(Ok(Vec::new()), |v| member_ids(v, Strictness::Strict))? {
                members.add(id);
            }
        }
        (PatchOpKind::Add, _, None) => {}
        (PatchOpKind::Add, _, Some(value)) => {
            for id in member_ids(value, Strictness::Strict)? {
                members.add(id);
            }
        }
    }
    Ok(())
}

/// Takes `members` out of a no-path value (directly, or under the core URN) and applies it
/// as a member operation; returns what is left for the generic engine, if anything.
fn split_object(
    kind: PatchOpKind,
    value: Option<&Value>,
    members: &mut Composer,
) -> Result<Option<Value>, ScimError> {
    let Some(Value::Object(object)) = value else {
        // Not an object: the generic engine gives the error it gives for any resource.
        return Ok(value.cloned());
    };
    let mut rest = Map::new();
    for (key, member) in object {
        if key.eq_ignore_ascii_case(urn::GROUP) && member.is_object() {
            if let Some(Value::Object(inner)) = split_object(kind, Some(member), members)? {
                rest.extend(inner);
            }
            continue;
        }
        let path = crate::scim::path::parse_patch_path(key).ok();
        match path.as_ref().and_then(members_target) {
            Some(target) => {
                let op = PatchOp {
                    kind,
                    path: path.clone(),
                    value: Some(member.clone()),
                };
                member_op(&op, target, members)?;
            }
            None => {
                rest.insert(key.clone(), member.clone());
            }
        }
    }
    Ok((!rest.is_empty()).then_some(Value::Object(rest)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// Adding: every member must be a user id.
    Strict,
    /// Removing: what cannot be a member is already absent.
    Lenient,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

/// The user ids of a member list (or a single member). Used for POST and PUT bodies too.
pub fn member_list(value: &Value) -> Result<Vec<uuid::Uuid>, ScimError> {
    member_ids(value, Strictness::Strict)
}

fn member_ids(value: &Value, strictness: Strictness) -> Result<Vec<uuid::Uuid>, ScimError> {
    let elements = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut ids = Vec::with_capacity(elements.len());
    for element in elements {
        if let Some(id) = member_id(element, strictness)? {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn member_id(element: &Value, strictness: Strictness) -> Result<Option<uuid::Uuid>, ScimError> {
    let field = |name: &str| match element {
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v),
        _ => None,
    };
    let is_group = field("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("Group"))
        || field("$ref")
            .and_then(Value::as_str)
            .is_some_and(|r| r.contains("/Groups/"));
    if is_group {
        return Err(invalid(
            "members must be users: nested groups are not supported",
        ));
    }
    let raw = match element {
        Value::String(s) => Some(s.as_str()),
        Value::Object(_) => field("value").and_then(Value::as_str),
        Value::Null => return Ok(None),
        _ => None,
    };
    let Some(raw) = raw else {
        return match strictness {
            Strictness::Strict => Err(invalid("each member needs a `value`: a user id")),
            Strictness::Lenient => Ok(None),
        };
    };
    match (raw.trim().parse::<uuid::Uuid>(), strictness) {
        (Ok(id), _) => Ok(Some(id)),
        (Err(_), Strictness::Lenient) => Ok(None),
        (Err(_), Strictness::Strict) => Err(not_a_user(&[raw])),
    }
}

/// 400 naming (a few of) the ids that are not users of the directory.
pub fn not_a_user(ids: &[&str]) -> ScimError {
    let shown: Vec<String> = ids.iter().take(5).map(|id| format!("`{id}`")).collect();
    let more = ids.len().saturating_sub(shown.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    invalid(format!(
        "members {}{tail}: not a user of this directory (members must be this directory's \
         users; nested groups are not supported); nothing was changed",
        shown.join(", ")
    ))
}

/// The ids a `members[...]` filter selects: `value eq "id"`, alone or joined with `or`.
/// Anything else would need the member list loaded to evaluate, so it is refused.
fn filter_ids(filter: &Filter) -> Result<Vec<uuid::Uuid>, ScimError> {
    match filter {
        Filter::Or(a, b) => {
            let mut ids = filter_ids(a)?;
            ids.extend(filter_ids(b)?);
            Ok(ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.name.eq_ignore_ascii_case("value") && path.sub.is_none() => {
            // An id that is not a UUID matches no member.
            Ok(id.trim().parse().into_iter().collect())
        }
        _ => Err(ScimError::bad_request(
            ScimType::InvalidPath,
            "members can be selected only by `members[value eq \"<user id>\"]` (several joined \
             with `or`)",
        )),
    }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
