//! Text forms of the model's enums, exactly as storage keeps them and the API shows them.
//!
//! One macro generates `as_str`, `FromStr`, `Display` and serde from a single table, so the
//! stored text and the parsed variant can never drift apart.

use thiserror::Error;

/// A stored or submitted text that names no variant of the expected enum.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownVariant {
    /// Which enum was expected, e.g. `site_access`.
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
}

/// Declares a field-less enum whose variants have fixed snake_case wire names.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The snake_case name that storage and the wire use.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::domain::wire::UnknownVariant;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                match s {
                    $($wire => Ok(Self::$variant),)+
                    _ => Err($crate::domain::wire::UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                    }),
                }
            }
        }

        // The store decodes stored text by value, through this.
        impl ::core::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::domain::wire::UnknownVariant;

            fn try_from(s: ::std::string::String) -> ::core::result::Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::UnknownVariant;

    #[test]
    fn unknown_variant_names_the_enum_and_the_text() {
        let e = UnknownVariant {
            kind: "site_access",
            value: "Active".into(),
        };
        assert_eq!(e.to_string(), "unknown site_access \"Active\"");
    }
}
