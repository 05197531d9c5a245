//! `/console`: the admin console. `browser` drives headless Chromium through chromedriver;
//! `forms`, `actions` and `log` speak HTTP the way a browser does (cookies, forms, CSRF
//! fields), for what a browser cannot be made to send, for every action's effect, and for the
//! provisioning log's filters and paging.

mod actions;
mod browser;
mod driver;
mod forms;
mod log;

use std::collections::HashMap;

use reqwest::header::{HeaderMap, SET_COOKIE};
use scimd::service::bootstrap::BootstrapOutcome;
use serde_json::{json, Value};

use crate::helpers::*;

/// A page as the tests look at it.
pub struct Html {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Html {
    /// Asserts the status, showing the page when it differs.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The CSRF field of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF field") + marker.len();
        let end = self.body[start..].find('"').expect("end of value") + start;
        self.body[start..end].to_owned()
    }

    /// The text of the element whose opening tag starts with `open` (e.g. `<textarea id="x"`);
    /// found by its tag, never by what the text looks like, which a CSRF value can resemble.
    pub fn text_of(&self, open: &str) -> String {
        let tag = self.body.find(open).expect("the element") + open.len();
        let start = self.body[tag..].find('>').expect("end of its tag") + tag + 1;
        let end = self.body[start..].find('<').expect("its end") + start;
        self.body[start..end].to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    pub fn is_html(&self) -> bool {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"))
    }
}

/// A browser's side of the conversation: its cookie jar, no redirects followed.
pub struct Browserless<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// The CSRF field of the pages since [`Self::signed_in`].
    csrf: Option<String>,
}

impl<'a> Browserless<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Html {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        let page = Html {
            status,
            headers,
            body,
        };
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if set.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Html {
        let response = self
            .http
            .get(format!("{}{path}", self.app.address))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(response).await
    }

    /// POSTs a form as a browser on this server's own page would (with its `Origin`).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Html {
        let origin = self.app.address.clone();
        self.post_with(path, fields, &[("origin", &origin)]).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Html {
        let mut request = self
            .http
            .post(format!("{}{path}", self.app.address))
            .header("cookie", self.cookie_header())
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST");
        self.keep(response).await
    }

    /// Signs in with `token`; the answer is the redirect to the landing page.
    pub async fn sign_in(&mut self, token: &str) -> Html {
        let form = self.get("/console/sign-in").await.expect_status(200);
        let csrf = form.csrf();
        self.post("/console/sign-in", &[("csrf", &csrf), ("token", token)])
            .await
    }

    /// Signs in and returns the CSRF field of the landing page.
    pub async fn signed_in(&mut self, token: &str) -> String {
        let answer = self.sign_in(token).await.expect_status(303);
        let to = answer.location().expect("landing page").to_owned();
        let landing = self.get(&to).await.expect_status(200);
        let csrf = landing.csrf();
        self.csrf = Some(csrf.clone());
        csrf
    }

    /// POSTs a form of the signed-in pages: their CSRF field, then `fields`.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Html {
        let csrf = self.csrf.clone().expect("signed in");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }
}

/// Two orgs and a site of the first with users in every state: `ann` invited, `dan` not sent
/// an invitation, `cy` suspended, `bo` unmanaged, and `xavier`, whom the second org manages
/// and deactivated.
pub struct World {
    pub acme: BootstrapOutcome,
    pub globex: BootstrapOutcome,
}

pub async fn world(app: &TestApp) -> World {
    let acme = app.bootstrap("Acme", &["acme.example"]).await;
    let globex = app.bootstrap("Globex", &["globex.example"]).await;
    let site = format!("/sites/{}/invites", acme.site_id);
    let admin = &acme.admin_token.token;
    let batch = json!({"emails": ["ann@acme.example", "bo@partner.example", "cy@acme.example", "xavier@globex.example"],
                       "products": ["jira-software"]});
    app.admin_post(&site, admin, batch).await.expect_status(200);
    let quiet = json!({"emails": ["dan@acme.example"], "send_email": false});
    assert_eq!(app.admin_post(&site, admin, quiet).await.status, 200);
    let cy = app.account_id("cy@acme.example").await;
    let path = format!("/sites/{}/users/{cy}/suspend", acme.site_id);
    assert_eq!(app.admin_post(&path, admin, None).await.status, 200);
    let xavier = app.account_id("xavier@globex.example").await;
    let path = format!("/accounts/{xavier}/deactivate");
    app.admin_post(&path, &globex.admin_token.token, None)
        .await
        .expect_status(200);
    World { acme, globex }
}

/// A site user as the admin API shows it.
pub async fn site_user(app: &TestApp, org: &BootstrapOutcome, email: &str) -> Value {
    let id = app.account_id(email).await;
    let path = format!("/sites/{}/users/{id}", org.site_id);
    let reply = app
        .admin_get(&path, &org.admin_token.token)
        .await
        .expect_status(200);
    reply.body
}
