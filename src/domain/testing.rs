//! Values the domain's unit tests build from literals known to be valid, shared so that each
//! test module does not keep its own copy.

use super::actor::Actor;
use super::email::{Domain, Email};
use super::ids::{DirectoryId, OrgId};
use super::licenses::Product;

pub(crate) fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

pub(crate) fn domain(s: &str) -> Domain {
    Domain::parse(s).unwrap()
}

pub(crate) fn product(key: &str) -> Product {
    Product::new(key).unwrap()
}

/// A directory of `org`, acting through its identity provider.
pub(crate) fn directory(org: OrgId) -> Actor {
    Actor::Directory {
        directory: DirectoryId::new(),
        org,
    }
}
