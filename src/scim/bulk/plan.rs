//! The order a Bulk request's operations run in (RFC 7644 §3.7.1): request order, except
//! that a POST runs before the first operation that refers to its `bulkId`; operations on a
//! circle of references are found, to be refused.

use std::collections::HashMap;

use super::{Method, Operation};

/// The order operations run in, and those that cannot run because their references go
/// round in a circle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Operation indexes: request order, except that a POST runs before the first
    /// operation that refers to it.
    pub order: Vec<usize>,
    /// Operations on a circle of references, with the circle (`a → b → a`).
    pub circular: HashMap<usize, String>,
}

/// Plans the request (RFC 7644 §3.7.1). A circle of references is not broken up: each of
/// its operations fails with 409, as the RFC allows ("MAY stop after a failed attempt").
pub fn plan(operations: &[Operation]) -> Plan {
    let definer: HashMap<&str, usize> = operations
        .iter()
        .filter(|op| matches!(&op.action, Ok(a) if a.method == Method::Post))
        .filter_map(|op| op.bulk_id.as_deref().map(|b| (b, op.index)))
        .collect();
    let deps = |i: usize| -> Vec<usize> {
        operations.get(i).map_or_else(Vec::new, |op| {
            op.references
                .iter()
                .filter_map(|r| definer.get(r.as_str()).copied())
                .collect()
        })
    };
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; operations.len()];
    let mut plan = Plan::default();
    for root in 0..operations.len() {
        if state.get(root) != Some(&State::New) {
            continue;
        }
        // Depth first without recursion: (operation, its dependencies, the next one to visit).
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, deps(root), 0)];
        if let Some(s) = state.get_mut(root) {
            *s = State::Open;
        }
        while let Some((node, node_deps, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&dep) = node_deps.get(*next) {
                *next += 1;
                match state.get(dep).copied() {
                    Some(State::New) => {
                        if let Some(s) = state.get_mut(dep) {
                            *s = State::Open;
                        }
                        stack.push((dep, deps(dep), 0));
                    }
                    Some(State::Open) => {
                        // A circle: from `dep`'s place on the stack up to here.
                        let start = stack.iter().position(|(n, _, _)| *n == dep).unwrap_or(0);
                        let members: Vec<usize> =
                            stack.iter().skip(start).map(|(n, _, _)| *n).collect();
                        let names: Vec<&str> = members
                            .iter()
                            .chain(std::iter::once(&dep))
                            .filter_map(|i| operations.get(*i))
                            .map(|op| op.bulk_id.as_deref().unwrap_or("?"))
                            .collect();
                        let circle = names.join(" → ");
                        for member in members {
                            plan.circular
                                .entry(member)
                                .or_insert_with(|| circle.clone());
                        }
                    }
                    _ => {}
                }
            } else {
                if let Some(s) = state.get_mut(node) {
                    *s = State::Done;
                }
                plan.order.push(node);
                stack.pop();
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::bulk::parse_request;

    fn request(ops: serde_json::Value) -> Vec<Operation> {
        parse_request(&json!({"Operations": ops}), 10)
            .unwrap()
            .operations
    }

    #[test]
    fn posts_run_before_what_refers_to_them_and_circles_are_found() {
        let operations = request(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "u"}},
            {"method": "POST", "path": "/Users", "bulkId": "a",
             "data": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "bulkId:b"}}}},
            {"method": "POST", "path": "/Users", "bulkId": "b",
             "data": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "bulkId:a"}}}},
            {"method": "POST", "path": "/Users", "bulkId": "self", "data": {"x": "bulkId:self"}},
            {"method": "PATCH", "path": "/Groups/bulkId:g", "data": {"Operations": []}},
        ]));
        let plan = plan(&operations);
        assert_eq!(plan.order, [1, 0, 3, 2, 4, 5]);
        let mut circular: Vec<usize> = plan.circular.keys().copied().collect();
        circular.sort_unstable();
        assert_eq!(circular, [2, 3, 4]);
        assert_eq!(plan.circular[&2], "a → b → a");
        assert_eq!(plan.circular[&4], "self → self");
    }
}
