//! Between the SCIM User resource and the model: which attributes belong to the account and
//! which to the directory's record, and rendering the two back into one resource.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::domain::{
    account_email, differs, normalize_email, AccountEmail, AccountEmailError, AccountField,
    AccountStatus, Email, EmailEntry,
};
use crate::scim::schema::user::ACCOUNT_OWNED;
use crate::scim::urn;
use crate::service::entitlements::{entitlement_id, user_entitlement};
use crate::store::{Account, ScimUser};

/// Keys the server owns or derives; never stored from a request.
const SERVER_KEYS: &[&str] = &[
    "schemas",
    "id",
    "meta",
    "groups",
    "entitlements",
    "password",
];

/// A normalized User resource split along the ownership line of docs/domain.md.
#[derive(Clone, Debug, PartialEq)]
pub struct UserParts {
    pub user_name: String,
    pub display_name: Option<String>,
    /// `None` when the request did not say.
    pub active: Option<bool>,
    /// Account-owned attributes other than the three above (name, emails, title, ...,
    /// and the enterprise extension under its URN).
    pub profile: Map<String, Value>,
    pub external_id: Option<String>,
    /// Directory-owned attributes (phoneNumbers, addresses, userType, ...).
    pub record: Map<String, Value>,
}

fn is_account_owned(key: &str) -> bool {
    ACCOUNT_OWNED.contains(&key) || key.eq_ignore_ascii_case(urn::ENTERPRISE_USER)
}

/// Splits a normalized resource (canonical keys, `userName` present).
pub fn split(resource: &Map<String, Value>) -> UserParts {
    let mut parts = UserParts {
        user_name: String::new(),
        display_name: None,
        active: None,
        profile: Map::new(),
        external_id: None,
        record: Map::new(),
    };
    for (key, value) in resource {
        match key.as_str() {
            "userName" => parts.user_name = value.as_str().unwrap_or_default().to_owned(),
            "displayName" => parts.display_name = value.as_str().map(str::to_owned),
            "active" => parts.active = value.as_bool(),
            "externalId" => parts.external_id = value.as_str().map(str::to_owned),
            k if SERVER_KEYS.contains(&k) => {}
            k if is_account_owned(k) => {
                parts.profile.insert(key.clone(), value.clone());
            }
            _ => {
                parts.record.insert(key.clone(), value.clone());
            }
        }
    }
    parts
}

/// The email the user gives its account (docs/domain.md, "Directories"): from `emails`,
/// else from `userName` when it is an address.
pub fn requested_email(parts: &UserParts) -> Result<AccountEmail<'_>, AccountEmailError> {
    let entries: Vec<EmailEntry<'_>> = parts
        .profile
        .get("emails")
        .and_then(Value::as_array)
        .map(|emails| {
            emails
                .iter()
                .map(|e| EmailEntry {
                    value: e.get("value").and_then(Value::as_str),
                    kind: e.get("type").and_then(Value::as_str),
                    primary: e.get("primary").and_then(Value::as_bool) == Some(true),
                })
                .collect()
        })
        .unwrap_or_default();
    account_email(&parts.user_name, &entries)
}

/// The entitlement values a normalized resource asserts (`None`: it has none), for
/// [`crate::domain::check_asserted_product_access`]. An element without a `value` counts as
/// an empty one, which no entitlement has.
pub fn asserted_entitlements(resource: &Map<String, Value>) -> Option<BTreeSet<String>> {
    let values = resource.get("entitlements")?.as_array()?;
    Some(
        values
            .iter()
            .map(|v| {
                v.get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect(),
    )
}

/// The entitlement values a user has now.
pub fn current_entitlements(user: &ScimUser) -> BTreeSet<String> {
    user.entitlements.iter().map(entitlement_id).collect()
}

/// Which account-owned fields a request would change, each compared by
/// [`differs`] (rule 13). An email differing only in letter case is not a change: emails are
/// case-insensitive, so it names the same account.
pub fn changed_account_fields(
    account: &Account,
    parts: &UserParts,
    requested: &Email,
) -> Vec<AccountField> {
    let current_email = account.email.as_deref().unwrap_or_default();
    let email = match normalize_email(current_email) {
        Ok(current) => differs(AccountField::Email, &current, requested),
        Err(_) => differs(AccountField::Email, current_email, requested.as_str()),
    };
    let mut changed: Vec<AccountField> = email.into_iter().collect();
    changed.extend(differs(
        AccountField::DisplayName,
        &account.display_name,
        &parts.display_name,
    ));
    let empty = Map::new();
    let current = account.profile.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = current.keys().chain(parts.profile.keys()).collect();
    for key in keys {
        let field = AccountField::from_scim_path(key).unwrap_or(AccountField::Name);
        if let Some(field) = differs(
            field,
            &current.get(key.as_str()),
            &parts.profile.get(key.as_str()),
        ) {
            if !changed.contains(&field) {
                changed.push(field);
            }
        }
    }
    changed
}

fn iso(micros: i64) -> String {
    crate::store::from_micros(micros)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The weak ETag of a user: the record's version, which every change to the record or its
/// account bumps.
pub fn etag(user: &ScimUser) -> String {
    format!("W/\"{}\"", user.record.version)
}

/// What a directory may show of an account another org manages: the account's email (as
/// the one entry of `emails`), `name`, `displayName` and `active`; the directory's own
/// record (`userName`, `externalId`, its own attributes) stays. Everything else the account holds (title, the enterprise
/// extension with its HR data and `manager` ids) is removed.
pub fn redact_for_stranger(resource: &mut Map<String, Value>, user: &ScimUser) {
    const SHOWN: &[&str] = &["userName", "name", "displayName", "active"];
    let own: Vec<&String> = user
        .record
        .attributes
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let account_keys: Vec<String> = user
        .account
        .profile
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for key in account_keys {
        if !SHOWN.contains(&key.as_str()) && !own.contains(&&key) {
            resource.remove(&key);
        }
    }
    if let Some(email) = &user.account.email {
        resource.insert("emails".into(), json!([{"value": email, "primary": true}]));
    }
    resource.insert("schemas".into(), json!([urn::USER]));
}

/// Whether a rendered user carries its `groups`: a response does; an event's comparison
/// and a PATCH's starting point leave them out, as no write of the user changes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Groups {
    Shown,
    Omitted,
}

/// The full User resource, before projection. The user is taken by value: its profile and
/// attributes move into the resource instead of being copied, once per user of a page.
pub fn render(user: ScimUser, groups: Groups, base: &str) -> Map<String, Value> {
    let version = etag(&user);
    let ScimUser {
        record,
        account,
        groups: memberships,
        entitlements,
    } = user;
    let mut out = Map::new();
    let mut schemas = vec![Value::String(urn::USER.into())];
    if account.profile.get(urn::ENTERPRISE_USER).is_some() {
        schemas.push(Value::String(urn::ENTERPRISE_USER.into()));
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), Value::String(record.id.to_string()));
    if let Some(external) = record.external_id {
        out.insert("externalId".into(), Value::String(external));
    }
    out.insert("userName".into(), Value::String(record.user_name));
    if let Some(name) = account.display_name {
        out.insert("displayName".into(), Value::String(name));
    }
    out.insert(
        "active".into(),
        Value::Bool(account.status == AccountStatus::Active),
    );
    for source in [account.profile, record.attributes] {
        if let Value::Object(map) = source {
            out.extend(map);
        }
    }
    // Records written before entitlements were derived may still hold a client's list.
    out.remove("entitlements");
    if !entitlements.is_empty() {
        let values = entitlements.iter().map(user_entitlement).collect();
        out.insert("entitlements".into(), Value::Array(values));
    }
    if groups == Groups::Shown && !memberships.is_empty() {
        let groups: Vec<Value> = memberships
            .into_iter()
            .map(|(id, display)| {
                json!({"value": id.to_string(), "$ref": format!("{base}/Groups/{id}"), "display": display, "type": "direct"})
            })
            .collect();
        out.insert("groups".into(), Value::Array(groups));
    }
    let location = format!("{base}/Users/{}", record.id);
    let mut meta = Map::new();
    meta.insert("resourceType".into(), Value::String("User".into()));
    meta.insert("created".into(), Value::String(iso(record.created_at)));
    meta.insert(
        "lastModified".into(),
        Value::String(iso(record.updated_at.max(account.updated_at))),
    );
    meta.insert("location".into(), Value::String(location));
    meta.insert("version".into(), Value::String(version));
    out.insert("meta".into(), Value::Object(meta));
    out
}
