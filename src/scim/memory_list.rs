//! Filtering, sorting and paging a small resource list held in memory (RFC 7644 §3.4.2),
//! for resource types whose whole collection is a handful of rows (an org's site products)
//! and not worth a SQL compiler. Same semantics as the SQL lists: an unknown attribute is
//! 400 `invalidFilter` (`invalidValue` for `sortBy`), resources without the sort attribute
//! sort last ascending and first descending, `startIndex` is 1-based.

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::eval::{get_ignore_case, matches};
use super::filter::{AttrPath, Filter};
use super::list::ListRequest;
use super::schema::def::{AttrType, ResourceTypeDef};
use super::schema::resolve::resolve;

/// The total number of matching resources and the requested page of them.
pub fn page(
    rt: &ResourceTypeDef,
    resources: Vec<Map<String, Value>>,
    request: &ListRequest,
) -> Result<(i64, Vec<Map<String, Value>>), ScimError> {
    if let Some(filter) = &request.filter {
        check_paths(rt, filter)?;
    }
    let mut found: Vec<Map<String, Value>> = resources
        .into_iter()
        .filter(|r| request.filter.as_ref().is_none_or(|f| matches(rt, r, f)))
        .collect();
    if let Some(path) = &request.sort_by {
        let key = sort_key(rt, path)?;
        found.sort_by(|a, b| {
            let order = compare(key(a).as_ref(), key(b).as_ref());
            if request.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(request.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
    let take = usize::try_from(request.count).unwrap_or(0);
    Ok((total, found.into_iter().skip(skip).take(take).collect()))
}

/// Every path of the filter names an attribute of `rt` (inside a value path, a
/// sub-attribute of its attribute); the evaluator would silently match nothing otherwise.
fn check_paths(rt: &ResourceTypeDef, filter: &Filter) -> Result<(), ScimError> {
    let unknown = |path: &AttrPath| {
        ScimError::bad_request(
            ScimType::InvalidFilter,
            format!("`{path}` is not an attribute of {}", rt.name),
        )
    };
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            check_paths(rt, a)?;
            check_paths(rt, b)
        }
        Filter::Not(inner) => check_paths(rt, inner),
        Filter::Present(path) | Filter::Compare { path, .. } => {
            resolve(rt, path).map(|_| ()).ok_or_else(|| unknown(path))
        }
        Filter::ValuePath { path, filter } => {
            let attr = resolve(rt, path).ok_or_else(|| unknown(path))?.attr;
            check_subs(filter, &|name| attr.sub(name).is_some())
                .map_err(|sub| unknown(&AttrPath::new(None, &path.name, Some(&sub))))
        }
    }
}

fn check_subs(filter: &Filter, known: &dyn Fn(&str) -> bool) -> Result<(), String> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            check_subs(a, known)?;
            check_subs(b, known)
        }
        Filter::Not(inner) => check_subs(inner, known),
        Filter::Present(path) | Filter::Compare { path, .. } if known(&path.name) => Ok(()),
        Filter::Present(path) | Filter::Compare { path, .. } => Err(path.name.clone()),
        Filter::ValuePath { path, .. } => Err(path.name.clone()),
    }
}

type SortKey = Box<dyn Fn(&Map<String, Value>) -> Option<Value>>;

/// How to read the sort attribute of a resource: a single-valued attribute of `rt`, its
/// strings folded when the attribute is not `caseExact`.
fn sort_key(rt: &ResourceTypeDef, path: &AttrPath) -> Result<SortKey, ScimError> {
    let bad = || {
        ScimError::bad_request(
            ScimType::InvalidValue,
            format!(
                "cannot sort by `{path}`: not a single-valued attribute of {}",
                rt.name
            ),
        )
    };
    let r = resolve(rt, path).ok_or_else(bad)?;
    let target = r.target();
    if r.attr.multi_valued || target.ty == AttrType::Complex || !r.is_core(rt) {
        return Err(bad());
    }
    let (name, sub, fold) = (r.attr.name, r.sub.map(|s| s.name), !target.case_exact);
    Ok(Box::new(move |resource| {
        let mut value = get_ignore_case(resource, name)?;
        if let Some(sub) = sub {
            value = value.as_object().and_then(|m| get_ignore_case(m, sub))?;
        }
        Some(match value {
            Value::String(s) if fold => Value::String(s.to_lowercase()),
            other => other.clone(),
        })
    }))
}

/// Absent values last; strings by code point, numbers numerically, `false` before `true`.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => a.cmp(b),
        (Some(Value::Number(a)), Some(Value::Number(b))) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(a), Some(b)) => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::list::RawListParams;
    use crate::scim::schema::entitlement::ENTITLEMENT_RESOURCE;

    fn resources() -> Vec<Map<String, Value>> {
        ["b:confluence", "a:jira", "c:Zeta"]
            .iter()
            .map(|v| json!({ "id": v, "value": v, "type": "Product" }))
            .filter_map(|v| v.as_object().cloned())
            .collect()
    }

    fn request(pairs: &[(&str, &str)]) -> ListRequest {
        ListRequest::parse(&RawListParams::from_pairs(pairs.iter().copied()), 100).unwrap()
    }

    /// The entitlement fixtures listed with the query parameters `pairs`.
    fn listed(pairs: &[(&str, &str)]) -> Result<(i64, Vec<Map<String, Value>>), ScimError> {
        page(&ENTITLEMENT_RESOURCE, resources(), &request(pairs))
    }

    fn ids(page: &[Map<String, Value>]) -> Vec<&str> {
        page.iter().map(|r| r["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn filters_sorts_and_pages() {
        let (total, page1) = listed(&[("sortBy", "value"), ("count", "2")]).unwrap();
        assert_eq!((total, ids(&page1)), (3, vec!["a:jira", "b:confluence"]));
        let (_, page2) = listed(&[("sortBy", "value"), ("startIndex", "3")]).unwrap();
        assert_eq!(ids(&page2), vec!["c:Zeta"]);
        let (total, found) =
            listed(&[("filter", "value sw \"b:\" or value eq \"c:Zeta\"")]).unwrap();
        assert_eq!((total, ids(&found)), (2, vec!["b:confluence", "c:Zeta"]));
        let (_, desc) = listed(&[("sortBy", "id"), ("sortOrder", "descending")]).unwrap();
        assert_eq!(ids(&desc), vec!["c:Zeta", "b:confluence", "a:jira"]);
    }

    #[test]
    fn unknown_attributes_are_refused() {
        let err = listed(&[("filter", "userName eq \"x\"")]).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let err = listed(&[("sortBy", "members")]).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
    }
}
