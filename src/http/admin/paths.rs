//! The admin routes' path parameters, each described once: handlers extract these and
//! their `#[utoipa::path]` attributes list them, so the document and the router agree.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::{AccountId, DirectoryId, GroupId, OrgId, SiteId};

/// `/accounts/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct AccountPath {
    /// The account
    pub id: AccountId,
}

/// `/orgs/{org}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct OrgPath {
    /// The organization
    pub org: OrgId,
}

/// `/orgs/{org}/domains/{domain}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DomainPath {
    /// The organization
    pub org: OrgId,
    /// The domain
    pub domain: String,
}

/// `/orgs/{org}/event-receivers/{receiver}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct ReceiverPath {
    /// The organization
    pub org: OrgId,
    /// The receiver
    pub receiver: uuid::Uuid,
}

/// `/orgs/{org}/directories/{directory}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DirectoryPath {
    /// The organization
    pub org: OrgId,
    /// The directory
    pub directory: DirectoryId,
}

/// `/orgs/{org}/directories/{directory}/tokens/{jti}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct TokenPath {
    /// The organization
    pub org: OrgId,
    /// The directory
    pub directory: DirectoryId,
    /// The token's id
    pub jti: uuid::Uuid,
}

/// `/orgs/{org}/groups/{group}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct GroupPath {
    /// The organization
    pub org: OrgId,
    /// The group
    pub group: GroupId,
}

/// `/orgs/{org}/groups/{group}/members/{account}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct MemberPath {
    /// The organization
    pub org: OrgId,
    /// The group
    pub group: GroupId,
    /// The member's account
    pub account: AccountId,
}

/// `/sites/{site}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct SitePath {
    /// The site
    pub site: SiteId,
}

/// `/sites/{site}/users/{account}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct SiteUserPath {
    /// The site
    pub site: SiteId,
    /// The user's account
    pub account: AccountId,
}

/// `/sites/{site}/users/{account}/products/{product}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct ProductPath {
    /// The site
    pub site: SiteId,
    /// The user's account
    pub account: AccountId,
    /// The product
    pub product: String,
}
