//! SCIM PATCH (RFC 7644 §3.5.2): parsing a PatchOp request and applying its operations to a
//! resource held as canonical SCIM JSON. Pure: no SQL, no HTTP.
//!
//! The caller normalizes the result (type coercion such as Entra ID's `"active": "False"`,
//! dropping `null`/`""`, duplicate `primary`), checks required and immutable attributes
//! against the old resource, and decides from old vs. new whether anything changed. Values
//! are therefore passed through as sent; only their shape (object, array, scalar) is
//! checked here, because merging and matching depend on it.
//!
//! Choices where the RFC is silent or where IdPs depart from it:
//! - Request: `schemas` may be absent (several IdPs omit it) but, if present, must list the
//!   PatchOp URN. Member names (`Operations`, `op`, `path`, `value`) and op names match
//!   ignoring case (Entra ID sends `"Replace"`). An empty `Operations` array is 400
//!   `invalidValue`: a client that sends one has lost its changes, and a 200 would hide
//!   that. `"path": null` and `"path": ""` mean "no path". More than
//!   [`MAX_OPERATIONS`] operations is 413, as for the Bulk `maxOperations` limit (§3.7.4):
//!   the request is too big, not wrong. `"value": null` is a value: it unassigns
//!   (RFC 7643 §2.5 makes `null` and unassigned equivalent).
//! - A single-valued target (an attribute, or a sub-attribute) set to `null` or `""` is
//!   removed, by `add` as by `replace` (Entra ID's gallery validator sends both); so is a
//!   complex value whose `value` is `null` or `""`. `null` added to a multi-valued attribute
//!   adds nothing. A list of one value set on a single-valued complex attribute is that
//!   value, and `[]` none (Entra ID sends `manager` as `[{"$ref": …, "value": …}]`).
//! - A new `value` for a single-valued complex attribute (another manager) replaces the
//!   whole value: the old one's `$ref` described the old manager.
//! - No-path `add`/`replace`: each key of `value` may itself be a path (`name.givenName`,
//!   `urn:…:enterprise:2.0:User:employeeNumber`, `emails[type eq "work"].value`, as Entra
//!   ID sends) or an extension URN holding an object. `schemas` is skipped (the normalizer
//!   rebuilds it) and readOnly attributes are skipped silently (Okta sends the group's `id`).
//!   An explicit `path` naming a readOnly attribute is 400 `mutability`, except a derived
//!   one ([`ResourceTypeDef::derived`]): it is patched like any attribute and the caller
//!   decides from the outcome (a User's `entitlements`: unchanged is accepted).
//! - Complex attributes merge: sub-attributes not sent are kept (§3.5.2.1, §3.5.2.3). A
//!   scalar sent for a complex attribute with a `value` sub-attribute becomes
//!   `{"value": …}` (Entra ID sends `manager` as a bare id).
//! - `add` to a multi-valued attribute skips values already present: same `value` (per its
//!   `caseExact`) and no conflicting `type`, or identical when there is no `value`. The sent
//!   sub-attributes are merged into the existing value, so re-adding a member is a no-op.
//! - Setting `primary: true` on a value turns `primary` off on the others (§3.5.2).
//! - `replace` of values matched by a filter swaps each for `value`, keeping the
//!   sub-attributes the filter pins with `eq` when `value` omits them. A filter that matches
//!   nothing acts as `add` for `add` and `replace` alike (Entra ID sends
//!   `emails[type eq "work"].value` for users without a work email; §3.5.2.3 would answer
//!   `noTarget`): the new value is built from the filter's `eq` comparisons, so only
//!   conjunctions of `eq` qualify; any other filter is 400 `noTarget`.
//! - `remove` of something absent, or with a filter that matches nothing, succeeds without
//!   change: §3.5.2.2 only requires `noTarget` for a missing path, and IdPs retry removals.
//!   `remove` with a `value` on a multi-valued attribute removes only the values listed,
//!   matched on `value` (Azure AD before `aadOptscim062020`); on a single-valued complex
//!   attribute (`manager`), only if the value it names is the current one. `remove` through a
//!   filter works on a single-valued complex attribute too (`manager[value eq "id"]`), as a
//!   list of its one value; `add`/`replace` through such a filter stay 400 `invalidPath`.
//!   Removing `attr[filter].value` removes the matching values whole: a value without its
//!   `value` is none. Removing a required attribute is 400 `mutability` (§3.5.2.2).
//! - A path into a schema URN the resource type does not have is ignored: IdPs push custom
//!   extensions to every app. An unknown attribute of a known schema is 400 `invalidPath`,
//!   since silently dropping it would hide a typo. A sub-attribute of a simple attribute,
//!   a filter on a single-valued simple attribute, or a filter naming an unknown
//!   sub-attribute is 400 `invalidPath`.
//! - `immutable` is not checked here: whether a value was previously assigned is the
//!   caller's knowledge, and the caller compares old and new resources anyway.
//!
//! Errors name the failing operation as `Operations[i]` (zero-based, as in JSON Pointer)
//! and, after it, the path.
//!
//! Value filters are walked recursively; they come from the path parser, whose node budget
//! ([`crate::scim::filter::Limits`]) bounds their depth.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]
#![cfg_attr(not(test), deny(clippy::string_slice))]

mod apply;
mod multi;
mod request;
mod target;
mod values;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::error::ScimError;
use super::path::PatchPath;
use super::schema::def::ResourceTypeDef;

pub use request::{parse_patch_request, MAX_OPERATIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Remove,
    Replace,
}

impl PatchOpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// One validated operation: `add`/`replace` carry a value, `remove` carries a path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: PatchOpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Applies `ops` in order to `resource`, all or nothing: on error `resource` is untouched.
pub fn apply(
    rt: &ResourceTypeDef,
    resource: &mut Map<String, Value>,
    ops: &[PatchOp],
) -> Result<(), ScimError> {
    let mut work = resource.clone();
    for (index, op) in ops.iter().enumerate() {
        apply::apply_op(rt, &mut work, op).map_err(|e| at_op(index, e))?;
    }
    *resource = work;
    Ok(())
}

fn at_op(index: usize, error: ScimError) -> ScimError {
    ScimError {
        detail: format!("Operations[{index}]: {}", error.detail),
        ..error
    }
}
