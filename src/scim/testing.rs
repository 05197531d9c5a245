//! Assertions the protocol's unit tests share, so that every refusal is checked the same way
//! and a failure names the input that caused it.

use std::fmt::Display;

use super::error::{ScimError, ScimType};

/// Asserts that `message`, which `input` gave, mentions each of `fragments`.
pub(crate) fn assert_mentions(input: &dyn Display, message: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "`{input}` gave `{message}`, missing `{fragment}`"
        );
    }
}

/// Asserts that `error`, the answer to `input`, is a 400 of `scim_type` whose detail mentions
/// each of `mentions`.
pub(crate) fn assert_400(
    error: &ScimError,
    scim_type: ScimType,
    mentions: &[&str],
    input: &dyn Display,
) {
    assert_eq!(
        (error.status, error.scim_type),
        (400, Some(scim_type)),
        "`{input}` gave {error}"
    );
    assert_mentions(input, &error.detail, mentions);
}
