//! List and search requests (RFC 7644 §3.4.2, §3.4.3): the query parameters or `.search`
//! body, validated, and the ListResponse.

use serde::Deserialize;
use serde_json::{json, Value};

use super::filter::{parse_attr_path, parse_filter, AttrPath, Filter};
use super::path::parse_attribute_list;
use super::{urn, ScimError, ScimType};

/// The raw parameters, as they arrive in a query string or a SearchRequest body. Names are
/// matched case-insensitively by the callers (see `from_pairs`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RawListParams {
    pub filter: Option<String>,
    #[serde(rename = "sortBy")]
    pub sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
    #[serde(rename = "startIndex")]
    pub start_index: Option<Value>,
    pub count: Option<Value>,
    pub attributes: Option<Value>,
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<Value>,
    /// RFC 9865: present (even empty) asks for cursor pagination.
    pub cursor: Option<String>,
}

impl RawListParams {
    /// From query-string pairs, with parameter names matched ignoring case.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut raw = Self::default();
        for (key, value) in pairs {
            let value = value.to_owned();
            match key.to_ascii_lowercase().as_str() {
                "filter" => raw.filter = Some(value),
                "sortby" => raw.sort_by = Some(value),
                "sortorder" => raw.sort_order = Some(value),
                "startindex" => raw.start_index = Some(Value::String(value)),
                "count" => raw.count = Some(Value::String(value)),
                "attributes" => raw.attributes = Some(Value::String(value)),
                "excludedattributes" => raw.excluded_attributes = Some(Value::String(value)),
                "cursor" => raw.cursor = Some(value),
                _ => {}
            }
        }
        raw
    }

    /// From a `POST .search` body (RFC 7644 §3.4.3).
    pub fn from_search_body(body: &Value) -> Result<Self, ScimError> {
        let Some(map) = body.as_object() else {
            return Err(ScimError::bad_request(
                ScimType::InvalidSyntax,
                "a SearchRequest must be a JSON object",
            ));
        };
        let mut raw = Self::default();
        for (key, value) in map {
            // A filter of the wrong JSON type must not be read as "no filter": that would
            // answer with the whole directory.
            let text = || match value {
                Value::String(s) => Ok(Some(s.clone())),
                Value::Null => Ok(None),
                _ => Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("`{key}` must be a string"),
                )),
            };
            match key.to_ascii_lowercase().as_str() {
                "filter" => raw.filter = text()?,
                "sortby" => raw.sort_by = text()?,
                "sortorder" => raw.sort_order = text()?,
                "startindex" => raw.start_index = Some(value.clone()),
                "count" => raw.count = Some(value.clone()),
                "attributes" => raw.attributes = Some(value.clone()),
                "excludedattributes" => raw.excluded_attributes = Some(value.clone()),
                "cursor" => raw.cursor = text()?,
                _ => {}
            }
        }
        Ok(raw)
    }
}

/// Which attributes to return (RFC 7644 §3.4.2.5); valid on every read and write.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ScimError> {
        let raw = RawListParams::from_pairs(pairs);
        Ok(Self {
            attributes: attribute_list("attributes", raw.attributes.as_ref())?,
            excluded: attribute_list("excludedAttributes", raw.excluded_attributes.as_ref())?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct ListRequest {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based, as in SCIM.
    pub start_index: i64,
    pub count: i64,
    pub projection: Projection,
    /// Cursor pagination (RFC 9865) instead of `startIndex`.
    pub cursor: Option<CursorRequest>,
}

/// A cursor request: the cursor as sent (empty for the first page) and the parameters it
/// must have been issued for, as sent.
#[derive(Clone, Debug)]
pub struct CursorRequest {
    pub cursor: String,
    pub filter: Option<String>,
    pub sort_by: Option<String>,
}

fn integer(name: &str, value: Option<&Value>) -> Result<Option<i64>, ScimError> {
    let bad = || {
        ScimError::bad_request(
            ScimType::InvalidValue,
            format!("`{name}` must be an integer"),
        )
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn attribute_list(name: &str, value: Option<&Value>) -> Result<Vec<AttrPath>, ScimError> {
    let invalid = |detail: String| ScimError::bad_request(ScimType::InvalidValue, detail);
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => parse_attribute_list(s).map_err(|e| invalid(e.to_string())),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let s = item.as_str().ok_or_else(|| {
                    invalid(format!("`{name}` must list attribute names as strings"))
                })?;
                parse_attr_path(s.trim()).map_err(|e| invalid(e.to_string()))
            })
            .collect(),
        Some(_) => Err(invalid(format!(
            "`{name}` must be a comma-separated string or an array of strings"
        ))),
    }
}

impl ListRequest {
    /// Validates the parameters. RFC 7644 §3.4.2.4: a `startIndex` below 1 means 1 and a
    /// negative `count` means 0; a `count` above the server's maximum is capped to it.
    pub fn parse(raw: &RawListParams, max_count: i64) -> Result<Self, ScimError> {
        let filter = match raw.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                parse_filter(text)
                    .map_err(|e| ScimError::bad_request(ScimType::InvalidFilter, e.to_string()))?,
            ),
        };
        let sort_by = match raw.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_attr_path(text).map_err(|e| {
                ScimError::bad_request(ScimType::InvalidValue, format!("sortBy: {e}"))
            })?),
        };
        let descending = match raw.sort_order.as_deref().map(str::trim) {
            None | Some("") => false,
            Some(order) if order.eq_ignore_ascii_case("ascending") => false,
            Some(order) if order.eq_ignore_ascii_case("descending") => true,
            Some(other) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("sortOrder must be `ascending` or `descending`, not `{other}`"),
                ))
            }
        };
        let cursor = match &raw.cursor {
            None => None,
            Some(_) if raw.start_index.as_ref().is_some_and(|v| !v.is_null()) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidValue,
                    "send either `startIndex` (index pagination) or `cursor` (cursor \
                     pagination, RFC 9865), not both",
                ))
            }
            Some(cursor) => Some(CursorRequest {
                cursor: cursor.clone(),
                filter: filter_text(raw),
                sort_by: raw.sort_by.as_deref().map(str::trim).map(str::to_owned),
            }),
        };
        let start_index = integer("startIndex", raw.start_index.as_ref())?
            .unwrap_or(1)
            .max(1);
        let count = if cursor.is_some() {
            cursor_count(raw.count.as_ref(), max_count)?
        } else {
            integer("count", raw.count.as_ref())?
                .unwrap_or(max_count)
                .clamp(0, max_count)
        };
        Ok(Self {
            filter,
            sort_by,
            descending,
            start_index,
            count,
            projection: Projection {
                attributes: attribute_list("attributes", raw.attributes.as_ref())?,
                excluded: attribute_list("excludedAttributes", raw.excluded_attributes.as_ref())?,
            },
            cursor,
        })
    }
}

/// The filter a cursor is bound to: as sent, less surrounding space; none if empty.
fn filter_text(raw: &RawListParams) -> Option<String> {
    raw.filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
}

/// RFC 9865 §2: with a cursor, `count` is a positive integer; anything else is 400
/// `invalidCount`. Above the maximum it is capped, as `maxPageSize` ("regardless of what is
/// specified for the count") and RFC 7644 §3.4.2.4 say.
fn cursor_count(value: Option<&Value>, max_count: i64) -> Result<i64, ScimError> {
    let invalid = || {
        ScimError::bad_request(
            ScimType::InvalidCount,
            format!(
                "with a cursor, `count` must be a positive integer (at most {max_count} \
                 are returned per page)"
            ),
        )
    };
    match integer("count", value) {
        Ok(None) => Ok(max_count),
        Ok(Some(n)) if n >= 1 => Ok(n.min(max_count)),
        _ => Err(invalid()),
    }
}

/// A cursor-paged ListResponse (RFC 9865 §2): no `startIndex`; `nextCursor` unless this is
/// the last page, `previousCursor` unless it is the first.
pub fn cursor_list_response(
    total: i64,
    resources: Vec<Value>,
    next: Option<String>,
    previous: Option<String>,
) -> Value {
    let mut body = with_resources(
        json!({
            "schemas": [urn::LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": resources.len(),
        }),
        resources,
    );
    if let Some(map) = body.as_object_mut() {
        if let Some(next) = next {
            map.insert("nextCursor".into(), Value::String(next));
        }
        if let Some(previous) = previous {
            map.insert("previousCursor".into(), Value::String(previous));
        }
    }
    body
}

/// A ListResponse; `totalResults`, `startIndex` and `itemsPerPage` are JSON integers.
pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    with_resources(
        json!({
            "schemas": [urn::LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
        }),
        resources,
    )
}

/// Moves a page's resources into its response. `json!` serializes every value it
/// interpolates, so `"Resources": resources` inside it deep-copied the whole page: a
/// twelfth to a seventh of a page's CPU in profiles.
fn with_resources(mut body: Value, resources: Vec<Value>) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.insert("Resources".into(), Value::Array(resources));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<ListRequest, ScimError> {
        ListRequest::parse(&RawListParams::from_pairs(pairs.iter().copied()), 100)
    }

    #[test]
    fn paging_follows_rfc_7644_section_3_4_2_4() {
        let r = parse(&[]).unwrap();
        assert_eq!((r.start_index, r.count), (1, 100));
        let r = parse(&[("startIndex", "0"), ("count", "-5")]).unwrap();
        assert_eq!((r.start_index, r.count), (1, 0));
        let r = parse(&[("STARTINDEX", "7"), ("Count", "1000")]).unwrap();
        assert_eq!((r.start_index, r.count), (7, 100), "capped at the maximum");
        assert_eq!(
            parse(&[("count", "ten")]).unwrap_err().scim_type,
            Some(ScimType::InvalidValue)
        );
    }

    #[test]
    fn filters_sorts_and_attribute_lists_are_checked() {
        let r = parse(&[
            ("filter", "userName eq \"a@b.c\""),
            ("sortOrder", "Descending"),
            ("sortBy", "name.familyName"),
        ])
        .unwrap();
        assert!(r.filter.is_some());
        assert!(r.descending);
        assert_eq!(r.sort_by.unwrap().sub.as_deref(), Some("familyName"));
        let err = parse(&[("filter", "userName eq")]).unwrap_err();
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some(ScimType::InvalidFilter))
        );
        assert!(parse(&[("sortOrder", "sideways")]).is_err());
        let r = parse(&[
            ("attributes", "userName, emails.value"),
            ("excludedAttributes", "groups"),
        ])
        .unwrap();
        assert_eq!(r.projection.attributes.len(), 2);
        assert_eq!(r.projection.excluded.len(), 1);
    }

    #[test]
    fn search_bodies_accept_numbers_and_arrays() {
        let body = json!({"schemas": [urn::SEARCH_REQUEST], "filter": "active eq true", "startIndex": 3, "count": 2, "attributes": ["userName"]});
        let r = ListRequest::parse(&RawListParams::from_search_body(&body).unwrap(), 50).unwrap();
        assert_eq!(
            (r.start_index, r.count, r.projection.attributes.len()),
            (3, 2, 1)
        );
        assert!(RawListParams::from_search_body(&json!([1])).is_err());
        for body in [
            json!({"filter": 123}),
            json!({"filter": {"op": "eq"}}),
            json!({"sortBy": ["userName"]}),
            json!({"sortOrder": true}),
        ] {
            let err = RawListParams::from_search_body(&body).unwrap_err();
            assert_eq!(
                (err.status, err.scim_type),
                (400, Some(ScimType::InvalidValue)),
                "{body}"
            );
        }
        for body in [
            json!({"startIndex": "two"}),
            json!({"count": [1]}),
            json!({"attributes": 5}),
        ] {
            let raw = RawListParams::from_search_body(&body).unwrap();
            assert!(ListRequest::parse(&raw, 50).is_err(), "{body}");
        }
        let raw = RawListParams::from_search_body(&json!({"filter": null})).unwrap();
        assert!(raw.filter.is_none(), "null is an absent filter");
    }

    #[test]
    fn a_cursor_asks_for_a_positive_count_and_no_start_index() {
        let r = parse(&[
            ("cursor", ""),
            ("filter", " active eq true "),
            ("count", "500"),
        ])
        .unwrap();
        let cursor = r.cursor.unwrap();
        assert_eq!(cursor.cursor, "");
        assert_eq!(cursor.filter.as_deref(), Some("active eq true"));
        assert_eq!(r.count, 100, "capped at the maximum");
        assert_eq!(parse(&[("cursor", "abc")]).unwrap().count, 100);
        for count in ["0", "-1", "ten", "1.5"] {
            let err = parse(&[("cursor", ""), ("count", count)]).unwrap_err();
            assert_eq!(
                (err.status, err.scim_type),
                (400, Some(ScimType::InvalidCount)),
                "{count}"
            );
        }
        let err = parse(&[("cursor", ""), ("startIndex", "1")]).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        let body = json!({"cursor": "", "count": 2});
        let r = ListRequest::parse(&RawListParams::from_search_body(&body).unwrap(), 50).unwrap();
        assert!(r.cursor.is_some());
        assert!(RawListParams::from_search_body(&json!({"cursor": 5})).is_err());
    }

    #[test]
    fn list_response_counts_are_integers() {
        let body = list_response(5, 2, vec![json!({}), json!({})]);
        assert_eq!(body["totalResults"], 5);
        assert_eq!(body["itemsPerPage"], 2);
        assert_eq!(body["startIndex"], 2);
        assert!(body["totalResults"].is_i64());
    }
}
