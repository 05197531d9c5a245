//! Security Event Tokens for SCIM (RFC 9967 on RFC 8417): the claims of a SET about one
//! resource, and the attribute lists of `notice` events. Signing and delivery are the
//! service's; this module only shapes JSON.

use serde_json::{json, Map, Value};

/// The `typ` header of a SET (RFC 8417 §2.3).
pub const SET_TYPE: &str = "secevent+jwt";
/// The media type a SET is pushed with (RFC 8935 §2).
pub const SET_CONTENT_TYPE: &str = "application/secevent+jwt";

/// The resource a SET is about (RFC 9967 §2.1, the `scim` format of RFC 9493's `sub_id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    /// `Users` or `Groups`: the resource type's endpoint.
    pub endpoint: &'a str,
    pub id: String,
    pub external_id: Option<&'a str>,
}

impl Subject<'_> {
    /// `sub_id`: the relative `uri` (required), and `id` and `externalId`, which the RFC
    /// allows so a receiver can correlate without parsing the URI.
    #[must_use]
    pub fn sub_id(&self) -> Value {
        let mut sub = json!({
            "format": "scim",
            "uri": format!("/{}/{}", self.endpoint, self.id),
            "id": self.id,
        });
        if let (Some(ext), Value::Object(map)) = (self.external_id, &mut sub) {
            map.insert("externalId".into(), Value::String(ext.to_owned()));
        }
        sub
    }
}

/// The claims of one SET, before signing.
#[derive(Clone, Debug)]
pub struct SetClaims<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub jti: &'a str,
    /// The change: several SETs of one change (one per receiver) share it (RFC 9967 §2.2).
    pub txn: &'a str,
    /// When this SET was signed, in seconds.
    pub issued_at: i64,
    /// When the change was committed, in seconds (RFC 8417 §2.2 `toe`); the same on every
    /// attempt, unlike `iat`.
    pub time_of_event: i64,
    pub subject: Subject<'a>,
    /// Every form of the change's events, by URI; only `subscribed` ones are sent.
    pub candidates: &'a Map<String, Value>,
    pub subscribed: &'a [&'a str],
}

impl SetClaims<'_> {
    /// The JSON claims, or `None` when no candidate event is subscribed (nothing to send).
    #[must_use]
    pub fn to_json(&self) -> Option<Value> {
        let events: Map<String, Value> = self
            .candidates
            .iter()
            .filter(|(uri, _)| self.subscribed.iter().any(|s| s.eq_ignore_ascii_case(uri)))
            .map(|(uri, payload)| (uri.clone(), payload.clone()))
            .collect();
        if events.is_empty() {
            return None;
        }
        Some(json!({
            "iss": self.issuer,
            "aud": self.audience,
            "iat": self.issued_at,
            "toe": self.time_of_event,
            "jti": self.jti,
            "txn": self.txn,
            "sub_id": self.subject.sub_id(),
            "events": events,
        }))
    }
}

/// Not resource attributes: the schema list and the server's metadata.
fn is_metadata(name: &str) -> bool {
    name == "schemas" || name == "meta"
}

/// Top-level attribute paths of a resource, extension attributes as `urn:...:name`
/// (RFC 7644 §3.5.2's path syntax), for a `notice` event's `attributes`.
fn paths(resource: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, value) in resource {
        if is_metadata(name) {
            continue;
        }
        match value {
            Value::Object(ext) if name.starts_with("urn:") => {
                out.extend(ext.iter().map(|(sub, v)| (format!("{name}:{sub}"), v)));
            }
            _ => out.push((name.clone(), value)),
        }
    }
    out
}

/// The attributes a created resource has (a create `notice`).
#[must_use]
pub fn created_attributes(resource: &Map<String, Value>) -> Vec<String> {
    paths(resource).into_iter().map(|(path, _)| path).collect()
}

/// The attributes added, changed or removed between two representations of a resource (a
/// patch or put `notice`), in a stable order.
#[must_use]
pub fn changed_attributes(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let old: std::collections::BTreeMap<String, &Value> = paths(before).into_iter().collect();
    let new: std::collections::BTreeMap<String, &Value> = paths(after).into_iter().collect();
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(path, value)| old.get(*path) != Some(*value))
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(old.keys().filter(|p| !new.contains_key(*p)).cloned());
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn notices_name_top_level_and_extension_attributes() {
        let before = map(json!({
            "schemas": ["x"], "id": "1", "userName": "ann", "title": "Eng",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            "meta": {"version": "W/\"1\""}
        }));
        let after = map(json!({
            "schemas": ["x"], "id": "1", "userName": "ann", "displayName": "Ann",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"},
            "meta": {"version": "W/\"2\""}
        }));
        assert_eq!(
            changed_attributes(&before, &after),
            vec![
                "displayName",
                "title",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ]
        );
        assert_eq!(
            created_attributes(&before),
            vec![
                "id",
                "title",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "userName"
            ]
        );
    }

    #[test]
    fn a_set_carries_only_subscribed_events_and_names_its_subject() {
        let candidates = map(json!({
            "urn:ietf:params:scim:event:prov:patch:notice": {"attributes": ["active"]},
            "urn:ietf:params:scim:event:prov:patch:full": {"data": {}},
            "urn:ietf:params:scim:event:prov:deactivate": {}
        }));
        let subscribed = ["urn:ietf:params:scim:event:prov:deactivate"];
        let claims = SetClaims {
            issuer: "https://scim.example",
            audience: "https://receiver.example/events",
            jti: "j1",
            txn: "t1",
            issued_at: 2,
            time_of_event: 1,
            subject: Subject {
                endpoint: "Users",
                id: "u1".into(),
                external_id: Some("ext"),
            },
            candidates: &candidates,
            subscribed: &subscribed,
        };
        let set = claims.to_json().unwrap_or_default();
        assert_eq!(
            set["events"],
            json!({"urn:ietf:params:scim:event:prov:deactivate": {}})
        );
        assert_eq!(
            set["sub_id"],
            json!({"format": "scim", "uri": "/Users/u1", "id": "u1", "externalId": "ext"})
        );
        assert!(set.get("sub").is_none());
        let none = SetClaims {
            subscribed: &[],
            ..claims
        };
        assert!(none.to_json().is_none());
    }
}
