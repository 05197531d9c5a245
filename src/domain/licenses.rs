//! Product access and licenses (rule 7 and the product-access definition).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::accounts::{AccountFacts, AccountStatus};
use super::ids::SiteId;
use super::refusal::Refusal;
use super::sites::SiteAccess;
use super::text::checked_text;

const MAX_PRODUCT_LEN: usize = 64;

/// A product key such as `jira-software`: lower-case ASCII letters, digits and hyphens.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Product(String);

/// A text that is not a product key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a product key (lower-case letters, digits and '-')")]
pub struct InvalidProduct(pub String);

impl Product {
    /// Validates a product key.
    pub fn new(key: &str) -> Result<Self, InvalidProduct> {
        let valid = !key.is_empty()
            && key.len() <= MAX_PRODUCT_LEN
            && !key.starts_with('-')
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(key.to_owned()))
        } else {
            Err(InvalidProduct(key.to_owned()))
        }
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

checked_text!(Product, InvalidProduct, Product::new);

/// A group's grant of one product on one site.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ProductGrant {
    /// The site.
    pub site: SiteId,
    /// The product on that site.
    pub product: Product,
}

/// An account's product access on `site`: the union of what its groups grant there.
/// Pass the grants of every group the account belongs to, local or synced alike.
#[must_use]
pub fn product_access<'a>(
    site: SiteId,
    grants: impl IntoIterator<Item = &'a ProductGrant>,
) -> BTreeSet<Product> {
    grants
        .into_iter()
        .filter(|g| g.site == site)
        .map(|g| g.product.clone())
        .collect()
}

/// Whether a site user uses licenses: only while the account is active and the user has
/// site access. Deactivation frees licenses without touching the membership (rule 1).
#[must_use]
pub const fn counts_against_license(status: AccountStatus, access: SiteAccess) -> bool {
    status.is_active() && access.has_site_access()
}

/// The products that consume a license: `access` while it counts, otherwise none.
#[must_use]
pub fn licensed_products(
    status: AccountStatus,
    access: SiteAccess,
    products: BTreeSet<Product>,
) -> BTreeSet<Product> {
    if counts_against_license(status, access) {
        products
    } else {
        BTreeSet::new()
    }
}

/// A change to an account's product access (directly, or by adding it to / removing it from
/// a group that grants products).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum ProductAccessChange {
    /// Give access.
    Grant,
    /// Take access away.
    Revoke,
}

/// Rule 7: access is never granted to a deactivated account; it can always be removed, so an
/// admin can clean up without first reactivating someone.
pub fn can_change_product_access(
    account: &AccountFacts,
    change: ProductAccessChange,
) -> Result<(), Refusal> {
    match change {
        ProductAccessChange::Grant if !account.status.is_active() => {
            Err(account.deactivated_refusal())
        }
        ProductAccessChange::Grant | ProductAccessChange::Revoke => Ok(()),
    }
}

/// A directory's write of a User's `entitlements`, which show its product access (the
/// union of its groups' grants, as `{siteId}:{product}` values). Access is never written
/// directly: a write that repeats the current values (in any order) changes nothing and is
/// accepted, since IdPs send back what they read; any other is refused, naming groups as
/// the way to give or take access. `None`: the request did not mention them.
pub fn check_asserted_product_access(
    current: &BTreeSet<String>,
    asserted: Option<&BTreeSet<String>>,
) -> Result<(), Refusal> {
    match asserted {
        Some(asserted) if asserted != current => Err(Refusal::ProductAccessFromGroups),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::accounts::tests::{deactivated_by_org, unmanaged};
    use crate::domain::refusal::tests::assert_refusal;
    use crate::domain::refusal::WhoCanAct;
    use crate::domain::testing::product as p;

    #[test]
    fn asserted_product_access_is_accepted_only_when_it_repeats_the_current_one() {
        let set = |values: &[&str]| -> BTreeSet<String> {
            values.iter().map(|v| (*v).to_owned()).collect()
        };
        let current = set(&["s1:confluence", "s1:jira-software"]);
        assert_eq!(check_asserted_product_access(&current, None), Ok(()));
        let reordered = set(&["s1:jira-software", "s1:confluence"]);
        assert_eq!(
            check_asserted_product_access(&current, Some(&reordered)),
            Ok(())
        );
        for other in [
            set(&[]),
            set(&["s1:confluence"]),
            set(&["s1:confluence", "s1:jira-software", "s2:x"]),
        ] {
            let refusal = check_asserted_product_access(&current, Some(&other)).unwrap_err();
            assert_eq!(refusal, Refusal::ProductAccessFromGroups);
            assert!(refusal.to_string().contains("grant the product to a group"));
        }
        assert_eq!(
            check_asserted_product_access(&set(&[]), Some(&set(&[]))),
            Ok(())
        );
    }

    #[test]
    fn product_keys_are_validated() {
        assert_eq!(p("jira-software").as_str(), "jira-software");
        for bad in ["", "Jira", "jira software", "-x", "conf/luence"] {
            assert!(Product::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn product_access_is_the_union_of_group_grants_on_that_site() {
        let (site, other) = (SiteId::new(), SiteId::new());
        let grants = [
            ProductGrant {
                site,
                product: p("jira-software"),
            },
            ProductGrant {
                site,
                product: p("confluence"),
            },
            ProductGrant {
                site,
                product: p("jira-software"),
            },
            ProductGrant {
                site: other,
                product: p("bitbucket"),
            },
        ];
        let access = product_access(site, &grants);
        assert_eq!(
            access,
            BTreeSet::from([p("confluence"), p("jira-software")])
        );
        assert!(product_access(SiteId::new(), &grants).is_empty());
    }

    #[test]
    fn licenses_count_only_for_active_accounts_with_site_access() {
        use SiteAccess as A;
        for access in [A::Active, A::Invited, A::InviteNotSent] {
            assert!(
                counts_against_license(AccountStatus::Active, access),
                "{access}"
            );
            assert!(
                !counts_against_license(AccountStatus::Deactivated, access),
                "{access}"
            );
        }
        for access in [A::Suspended, A::Removed] {
            assert!(
                !counts_against_license(AccountStatus::Active, access),
                "{access}"
            );
        }
    }

    #[test]
    fn licensed_products_are_empty_while_deactivated() {
        let products = BTreeSet::from([p("confluence")]);
        assert_eq!(
            licensed_products(AccountStatus::Active, SiteAccess::Invited, products.clone()),
            products
        );
        assert!(
            licensed_products(AccountStatus::Deactivated, SiteAccess::Active, products).is_empty()
        );
    }

    #[test]
    fn rule7_grant_to_active_account_is_allowed() {
        let acct = unmanaged(AccountStatus::Active);
        assert_eq!(
            can_change_product_access(&acct, ProductAccessChange::Grant),
            Ok(())
        );
    }

    #[test]
    fn rule7_grant_to_deactivated_account_is_refused_revoke_is_allowed() {
        let (org, acct) = deactivated_by_org();
        let err = can_change_product_access(&acct, ProductAccessChange::Grant).unwrap_err();
        let who = Some(WhoCanAct::ManagingOrg(org));
        assert_refusal(&err, "account_deactivated", who, "can reactivate it");
        assert_eq!(
            can_change_product_access(&acct, ProductAccessChange::Revoke),
            Ok(())
        );
    }
}
