//! Parsing the PatchOp body.

use serde_json::{json, Value};

use super::*;
use crate::scim::filter::AttrPath;
use crate::scim::patch::{PatchOp, PatchOpKind, MAX_OPERATIONS};
use crate::scim::path::PatchPath;

fn parse_err(body: Value, scim_type: ScimType, mentions: &[&str]) {
    let error = parse_patch_request(&body).unwrap_err();
    assert_400(&error, scim_type, mentions, &body);
}

#[test]
fn parses_ops_paths_and_values() {
    let ops = parse_patch_request(&body(json!([
        { "op": "Replace", "path": "name.givenName", "value": "Babs" },
        { "op": "ADD", "value": { "active": true } },
        { "op": "remove", "path": "emails[type eq \"work\"]", "value": "ignored-but-kept" },
        { "op": "add", "path": null, "value": { "title": "x" } },
        { "op": "add", "path": "  ", "value": { "title": "y" } }
    ])))
    .unwrap();
    assert_eq!(ops.len(), 5);
    assert_eq!(
        ops[0],
        PatchOp {
            kind: PatchOpKind::Replace,
            path: Some(PatchPath::Attr(AttrPath::new(
                None,
                "name",
                Some("givenName")
            ))),
            value: Some(json!("Babs")),
        }
    );
    assert_eq!((ops[1].kind, &ops[1].path), (PatchOpKind::Add, &None));
    assert!(matches!(
        &ops[2].path,
        Some(PatchPath::ValuePath { sub: None, .. })
    ));
    assert_eq!(ops[2].kind, PatchOpKind::Remove);
    assert!(ops[3].path.is_none() && ops[4].path.is_none());
}

#[test]
fn schemas_may_be_absent_but_not_wrong() {
    let op = json!([{ "op": "remove", "path": "title" }]);
    assert_eq!(
        parse_patch_request(&json!({ "Operations": op }))
            .unwrap()
            .len(),
        1
    );
    assert!(parse_patch_request(&json!({ "schemas": urn::PATCH_OP, "Operations": op })).is_ok());
    assert!(parse_patch_request(&json!({
        "schemas": ["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"], "Operations": op
    }))
    .is_ok());
    parse_err(
        json!({ "schemas": [urn::USER], "Operations": op }),
        ScimType::InvalidSyntax,
        &[urn::PATCH_OP],
    );
}

#[test]
fn body_shape_errors_are_invalid_syntax() {
    parse_err(json!([]), ScimType::InvalidSyntax, &["JSON object"]);
    parse_err(
        json!({ "schemas": [urn::PATCH_OP] }),
        ScimType::InvalidSyntax,
        &["no `Operations`"],
    );
    parse_err(
        json!({ "Operations": {} }),
        ScimType::InvalidSyntax,
        &["must be an array"],
    );
    parse_err(
        json!({ "schemas": [urn::PATCH_OP], "Operations": [] }),
        ScimType::InvalidValue,
        &["`Operations` is empty"],
    );
    parse_err(
        json!({ "Operations": [], "operations": [] }),
        ScimType::InvalidSyntax,
        &["more than once"],
    );
    parse_err(
        body(json!(["add"])),
        ScimType::InvalidSyntax,
        &["Operations[0]", "must be an object"],
    );
}

#[test]
fn op_names_are_checked() {
    parse_err(
        body(
            json!([{ "op": "add", "path": "title", "value": "x" }, { "op": "move", "path": "title" }]),
        ),
        ScimType::InvalidSyntax,
        &["Operations[1]", "unknown op `move`"],
    );
    parse_err(
        body(json!([{ "path": "title", "value": "x" }])),
        ScimType::InvalidSyntax,
        &["Operations[0]", "no `op`"],
    );
    parse_err(
        body(json!([{ "op": 1, "value": {} }])),
        ScimType::InvalidSyntax,
        &["`op` must be a string"],
    );
}

#[test]
fn add_and_replace_need_a_value_and_remove_a_path() {
    parse_err(
        body(json!([{ "op": "add", "path": "title" }])),
        ScimType::InvalidValue,
        &["Operations[0]", "`add` needs a `value`"],
    );
    parse_err(
        body(json!([{ "op": "Replace", "path": "title" }])),
        ScimType::InvalidValue,
        &["`replace` needs a `value`"],
    );
    parse_err(
        body(json!([{ "op": "add", "path": "title", "value": 1 }, { "op": "remove" }])),
        ScimType::NoTarget,
        &["Operations[1]", "`remove` needs a `path`"],
    );
    // `null` is a value: it unassigns.
    assert!(parse_patch_request(&body(
        json!([{ "op": "replace", "path": "title", "value": null }])
    ))
    .is_ok());
}

#[test]
fn bad_paths_are_invalid_path() {
    parse_err(
        body(json!([{ "op": "remove", "path": "emails[type eq \"work\"" }])),
        ScimType::InvalidPath,
        &["Operations[0]", "path `emails[type eq \"work\"`"],
    );
    parse_err(
        body(json!([{ "op": "remove", "path": 7 }])),
        ScimType::InvalidPath,
        &["`path` must be a string"],
    );
}

#[test]
fn too_many_operations_is_413() {
    let ops: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|_| json!({ "op": "remove", "path": "title" }))
        .collect();
    let error = parse_patch_request(&body(Value::Array(ops))).unwrap_err();
    assert_eq!((error.status, error.scim_type), (413, None));
    assert!(error.detail.contains(&MAX_OPERATIONS.to_string()));
    let ops: Vec<Value> = (0..MAX_OPERATIONS)
        .map(|_| json!({ "op": "remove", "path": "title" }))
        .collect();
    assert_eq!(
        parse_patch_request(&body(Value::Array(ops))).unwrap().len(),
        MAX_OPERATIONS
    );
}
