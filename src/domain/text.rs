//! Letter case, the one way scimd ignores it.

/// The text as case-insensitive comparisons see it: Unicode's full lower-case mapping
/// (`str::to_lowercase`), language-neutral, with Greek final sigma in context.
///
/// Every folded copy scimd keeps (emails, display names, email types) is made by this
/// function, every filter value compared to them or to JSON-held text is folded by it, and
/// the database's `scimd_fold` SQL function computes the same mapping: on SQLite by calling
/// this function, on PostgreSQL through ICU's root locale (`und-x-icu`), which implements
/// the same Unicode algorithm whatever the database's own locale. So both backends find
/// `Übermensch` with `übermensch`, `ЁЛКА` with `ёлка`, `STRAẞE` with `straße`.
///
/// Lower-casing is not full case folding, and these stay different on both backends:
/// `ß` and `ss`; a final `ς` and `σ` (so `ΟΔΟΣ` matches `οδος`, not `οδοσ`); dotted `İ`
/// (lower-cased to `i` + U+0307) and a plain `i`; dotless `ı` and `i` (no Turkish rules).
#[must_use]
pub fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

/// Implements the conversions of a newtype over checked text: `TryFrom<String>` through its
/// check (serde's `try_from = "String"` goes through it, so nothing unchecked is read),
/// `From<_> for String` and `Display`, both the text itself.
macro_rules! checked_text {
    ($name:ident, $error:ty, $check:path) => {
        impl TryFrom<String> for $name {
            type Error = $error;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                $check(&raw)
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> Self {
                text.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use checked_text;
