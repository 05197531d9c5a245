//! scimd: a SCIM 2.0 provisioning server over an account and organization model.

// Nothing a request can reach may panic: errors become SCIM or problem+json answers.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod scim;
pub mod service;
pub mod store;
pub mod telemetry;
