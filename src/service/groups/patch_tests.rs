use serde_json::json;

use super::*;
use crate::scim::patch::parse_patch_request;

fn split(ops: serde_json::Value) -> Result<SplitPatch, ScimError> {
    split_patch(&parse_patch_request(&json!({ "Operations": ops })).unwrap())
}

fn ids(n: u128) -> Vec<uuid::Uuid> {
    (1..=n).map(uuid::Uuid::from_u128).collect()
}

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

#[test]
fn add_lists_and_single_members_compose_in_order() {
    let s = split(json!([
        {"op": "Add", "path": "members", "value": [{"value": id(1)}, {"value": id(2), "display": "x"}]},
        {"op": "add", "path": "members", "value": {"value": id(3)}},
        {"op": "add", "path": "MEMBERS", "value": [id(1)]}
    ]))
    .unwrap();
    assert_eq!(s.members.add, ids(3));
    assert!(s.members.remove.is_empty() && !s.members.clear);
    assert!(s.generic.is_empty());
}

#[test]
fn every_remove_form() {
    let s = split(json!([
        {"op": "remove", "path": format!("members[value eq \"{}\"]", id(1))},
        {"op": "Remove", "path": "members", "value": [{"value": id(2)}, {"value": "not-a-uuid"}]},
        {"op": "remove", "path": format!("members[value eq \"{}\" or value eq \"{}\"]", id(3), id(4))}
    ]))
    .unwrap();
    assert_eq!(s.members.remove, ids(4));
    assert!(s.members.add.is_empty() && !s.members.clear);

    let all = split(json!([{"op": "remove", "path": "members"}])).unwrap();
    assert!(all.members.clear && all.members.add.is_empty());
}

#[test]
fn replace_is_the_complete_list_and_later_ops_compose() {
    let s = split(json!([
        {"op": "add", "path": "members", "value": [{"value": id(9)}]},
        {"op": "replace", "path": "members", "value": [{"value": id(1)}, {"value": id(2)}]},
        {"op": "remove", "path": format!("members[value eq \"{}\"]", id(2))},
        {"op": "add", "path": "members", "value": [{"value": id(3)}]}
    ]))
    .unwrap();
    assert!(s.members.clear);
    assert_eq!(
        s.members.add,
        vec![uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(3)]
    );

    let empty = split(json!([{"op": "replace", "path": "members", "value": []}])).unwrap();
    assert!(empty.members.clear && empty.members.add.is_empty());
}

#[test]
fn no_path_values_split_members_from_the_rest() {
    let s = split(json!([
        {"op": "replace", "value": {"id": "okta-sends-this", "displayName": "New"}},
        {"op": "add", "value": {"members": [{"value": id(1)}], "externalId": "e"}},
        {"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group": {"members": [id(2)]}}}
    ]))
    .unwrap();
    assert_eq!(s.members.add, ids(2));
    assert_eq!(s.generic.len(), 2);
    assert_eq!(s.generic[0].0, 0);
    assert_eq!(s.generic[1].1.value, Some(json!({"externalId": "e"})));
}

#[test]
fn nested_groups_sub_attributes_and_odd_filters_are_refused() {
    let group = split(
        json!([{"op": "add", "path": "members", "value": [{"value": id(1), "type": "Group"}]}]),
    )
    .unwrap_err();
    assert_eq!(group.scim_type, Some(ScimType::InvalidValue));
    assert!(
        group.detail.starts_with("Operations[0]: "),
        "{}",
        group.detail
    );
    assert!(group.detail.contains("nested groups"));

    let not_id =
        split(json!([{"op": "add", "path": "members", "value": [{"value": "bob"}]}])).unwrap_err();
    assert_eq!(not_id.scim_type, Some(ScimType::InvalidValue));

    let sub =
        split(json!([{"op": "replace", "path": "members.display", "value": "x"}])).unwrap_err();
    assert_eq!(sub.scim_type, Some(ScimType::Mutability));

    let filter =
        split(json!([{"op": "remove", "path": "members[display eq \"Ann\"]"}])).unwrap_err();
    assert_eq!(filter.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn other_paths_go_to_the_generic_engine() {
    let s = split(json!([{"op": "replace", "path": "displayName", "value": "x"}])).unwrap();
    assert_eq!(s.generic.len(), 1);
    assert!(s.members.is_empty());
}
