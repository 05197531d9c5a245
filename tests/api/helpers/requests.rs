//! Requests as the tests send them: SCIM (`/scim/v2`) and admin-API (`/admin/v1`) calls with
//! a bearer token, and the replies they look at.

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use super::TestApp;

/// A response as the tests look at it.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The statements the server ran for this request (`Scimd-Statements`, which the test
    /// server exposes).
    #[track_caller]
    pub fn statements(&self) -> u32 {
        self.header("scimd-statements")
            .and_then(|v| v.parse().ok())
            .expect("the test server exposes statement counts")
    }

    /// The `detail` of a SCIM error body.
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }

    /// Asserts that the error's `detail` says `fragment`, showing the body when it does not.
    #[track_caller]
    pub fn assert_detail(&self, fragment: &str) {
        assert!(
            self.detail().contains(fragment),
            "{fragment:?}: {}",
            self.body
        );
    }

    /// Asserts that the `Location` header names a resource under `base`.
    #[track_caller]
    pub fn assert_located_under(&self, base: &str) {
        let location = self.header("location").unwrap_or_default();
        assert!(
            location.starts_with(base),
            "{location:?} is not under {base}"
        );
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Asserts a SCIM error of this status and `scimType`, showing the body when it differs.
    #[track_caller]
    pub fn expect_scim_error(self, status: u16, scim_type: &str) -> Self {
        assert_eq!(
            (self.status, self.body["scimType"].as_str()),
            (status, Some(scim_type)),
            "{}",
            self.body
        );
        self
    }

    /// The `id` of the resource in the body; a test that reads it expects one.
    #[track_caller]
    pub fn id(&self) -> String {
        match self.body["id"].as_str() {
            Some(id) => id.to_owned(),
            None => panic!("no id in {}", self.body),
        }
    }
}

/// The `key` of each item of a JSON list, as strings; the test expects a list of objects
/// that all have one.
pub fn strings<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let items = list.as_array().expect("a list");
    let text = |item: &'a Value| item[key].as_str().expect("a string");
    items.iter().map(text).collect()
}

/// The ids of a list response's `Resources`.
pub fn resource_ids(page: &Value) -> Vec<String> {
    let ids = strings(&page["Resources"], "id");
    ids.into_iter().map(str::to_owned).collect()
}

/// The first item of a JSON list whose `key` is `value`; the test expects one.
#[track_caller]
pub fn item<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    let items = list.as_array().expect("a list");
    let found = items.iter().find(|item| item[key] == value);
    found.unwrap_or_else(|| panic!("no {key} {value} in {list}"))
}

/// A SCIM PatchOp message with these operations.
pub fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// The PATCH operations of one `replace` of `path`.
pub fn replace(path: &str, value: impl Into<Value>) -> Value {
    json!([{"op": "replace", "path": path, "value": value.into()}])
}

/// A body as JSON, or as its text where it is not JSON.
fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Where a request goes and how its body is typed.
#[derive(Clone, Copy)]
enum Api {
    Scim,
    Admin,
    /// Paths from the server's root, as spelt (health, the OpenAPI document, SCIM paths in
    /// another case); a body is SCIM's.
    Root,
}

impl Api {
    fn prefix(self) -> &'static str {
        match self {
            Api::Scim => "/scim/v2",
            Api::Admin => "/admin/v1",
            Api::Root => "",
        }
    }

    /// A JSON body as this API's content type and text.
    fn typed(self, body: Option<Value>) -> Option<(&'static str, String)> {
        let content_type = match self {
            Api::Admin => "application/json",
            Api::Scim | Api::Root => "application/scim+json",
        };
        body.map(|body| (content_type, body.to_string()))
    }
}

impl TestApp {
    /// Sends a request; `body` is its content type and text.
    async fn send(
        &self,
        api: Api,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
        headers: &[(&str, &str)],
    ) -> (u16, HeaderMap, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}{}{path}", self.address, api.prefix());
        let mut req = self.client.request(method, url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some((content_type, text)) = body {
            req = req.header("content-type", content_type).body(text);
        }
        let response = req.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.expect("body"))
    }

    /// A POST of `text` as `content_type` to `path` as spelt from the server's root: bodies
    /// no JSON value gives (broken JSON, forms).
    pub async fn post_text(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        text: &str,
    ) -> Reply {
        let body = Some((content_type, text.to_owned()));
        let (status, headers, text) = self
            .send(Api::Root, "POST", path, Some(token), body, &[])
            .await;
        Reply {
            status,
            headers,
            body: json_or_text(text),
        }
    }

    /// A SCIM GET with or without a token, as status, headers and body.
    pub async fn scim_get(&self, path: &str, token: Option<&str>) -> (u16, HeaderMap, Value) {
        let (status, headers, text) = self.send(Api::Scim, "GET", path, token, None, &[]).await;
        (status, headers, json_or_text(text))
    }

    /// A GET without a token; `path` is from the server's root.
    pub async fn get_anonymous(&self, path: &str) -> Reply {
        self.raw_as("GET", path, None, None).await
    }

    /// A request to `path` as spelt from the server's root, with a SCIM body if any.
    pub async fn raw(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
        self.raw_as(method, path, Some(token), body).await
    }

    async fn raw_as(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let body = Api::Root.typed(body);
        let (status, headers, text) = self.send(Api::Root, method, path, token, body, &[]).await;
        Reply {
            status,
            headers,
            body: json_or_text(text),
        }
    }

    /// Sends a SCIM request; `path` is relative to `/scim/v2`.
    pub async fn scim(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
        self.scim_with(method, path, token, body, &[]).await
    }

    pub async fn scim_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let (status, headers, text) = self
            .send(
                Api::Scim,
                method,
                path,
                Some(token),
                Api::Scim.typed(body),
                headers,
            )
            .await;
        // A SCIM answer without a body (204) reads as null.
        let body = if text.is_empty() {
            Value::Null
        } else {
            json_or_text(text)
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.scim("GET", path, token, None).await
    }

    /// A GET of `resource` (`/Users`, `/Groups`, …) with `filter` as its only parameter.
    pub async fn filtered(&self, resource: &str, filter: &str, token: &str) -> Reply {
        let path = format!("{resource}?filter={}", super::urlencode(filter));
        self.get(&path, token).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.scim("POST", path, token, Some(body)).await
    }

    /// A POST to `/Users` that the test expects to create the user (201).
    pub async fn create_user(&self, token: &str, body: Value) -> Reply {
        self.post("/Users", token, body).await.expect_status(201)
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.scim("PUT", path, token, Some(body)).await
    }

    /// A PATCH of these operations, in a PatchOp message.
    pub async fn patch(&self, path: &str, token: &str, ops: Value) -> Reply {
        self.scim("PATCH", path, token, Some(patch_op(ops))).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.scim("DELETE", path, token, None).await
    }

    /// Sends an admin-API request; `path` is relative to `/admin/v1`.
    pub async fn admin(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
        let (status, headers, text) = self
            .send(
                Api::Admin,
                method,
                path,
                Some(token),
                Api::Admin.typed(body),
                &[],
            )
            .await;
        Reply {
            status,
            headers,
            body: json_or_text(text),
        }
    }

    pub async fn admin_get(&self, path: &str, token: &str) -> Reply {
        self.admin("GET", path, token, None).await
    }

    /// An admin POST, with a JSON body or (`None`) without one, as actions are sent.
    pub async fn admin_post(
        &self,
        path: &str,
        token: &str,
        body: impl Into<Option<Value>>,
    ) -> Reply {
        self.admin("POST", path, token, body.into()).await
    }

    /// An admin POST that must create (201): the reply, with what was created.
    pub async fn admin_create(&self, path: &str, token: &str, body: Value) -> Reply {
        self.admin_post(path, token, body).await.expect_status(201)
    }

    pub async fn admin_put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.admin("PUT", path, token, Some(body)).await
    }

    pub async fn admin_delete(&self, path: &str, token: &str) -> Reply {
        self.admin("DELETE", path, token, None).await
    }
}
