//! The schema engine: definitions of the resources scimd serves (RFC 7643).

pub mod def;
pub mod resolve;
