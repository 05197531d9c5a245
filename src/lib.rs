//! scimd: a SCIM 2.0 provisioning server over an account and organization model.

pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod scim;
pub mod service;
pub mod store;
pub mod telemetry;
