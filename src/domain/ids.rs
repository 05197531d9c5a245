//! Typed ids, so an `OrgId` can never be passed where an `AccountId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of a record about to be created: a time-ordered UUID (v7, RFC 9562). Its 74
/// random bits keep it unguessable, and because new ids sort after older ones, inserting
/// a record adds to the right edge of every index keyed by an id instead of dirtying a
/// random page of each (which a SQLite commit writes whole to the WAL). It reveals when
/// the record was created, which `meta.created` shows anyway.
#[must_use]
pub fn new_record_id() -> Uuid {
    Uuid::now_v7()
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id, for a record about to be created: see [`new_record_id`].
            // No `Default`: a default that is new each time would surprise.
            #[allow(clippy::new_without_default)]
            #[must_use]
            pub fn new() -> Self {
                Self(new_record_id())
            }

            /// Wraps an id loaded from storage.
            #[must_use]
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The underlying UUID, for storage.
            #[must_use]
            pub const fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization: the administrative tenant.
    OrgId
);
id_type!(
    /// An account: one global identity, outside every site and org.
    AccountId
);
id_type!(
    /// A site: a product instance owned by an org.
    SiteId
);
id_type!(
    /// A directory: an org's connection to an identity provider.
    DirectoryId
);
id_type!(
    /// A group of accounts in an org.
    GroupId
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;

    const TEXT: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

    #[test]
    fn displays_as_hyphenated_lowercase_uuid_and_parses_back() {
        let id: OrgId = TEXT.parse().unwrap();
        assert_eq!(id.to_string(), TEXT);
        assert_eq!(id.as_uuid(), Uuid::parse_str(TEXT).unwrap());
        let upper: AccountId = TEXT.to_uppercase().parse().unwrap();
        assert_eq!(upper.to_string(), TEXT);
    }

    #[test]
    fn refuses_text_that_is_not_a_uuid() {
        assert!("not-a-uuid".parse::<SiteId>().is_err());
        assert!("".parse::<GroupId>().is_err());
    }

    #[test]
    fn deserializes_transparently_from_a_bare_string() {
        let de: StrDeserializer<'_, DeError> = TEXT.into_deserializer();
        let id = DirectoryId::deserialize(de).unwrap();
        assert_eq!(id, DirectoryId::from_uuid(Uuid::parse_str(TEXT).unwrap()));
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(AccountId::new(), AccountId::new());
    }
}
