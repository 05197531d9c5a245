//! The schema engine: definitions of the resources scimd serves (RFC 7643).

pub mod def;
pub mod enterprise;
pub mod entitlement;
pub mod group;
pub mod render;
pub mod resolve;
pub mod user;
