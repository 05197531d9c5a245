//! PLACEHOLDER until the domain module lands: ids and enums only.
#![allow(clippy::new_without_default)]
use std::fmt;
use std::str::FromStr;

macro_rules! id {
    ($name:ident) => {
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);
        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}
id!(OrgId);
id!(AccountId);
id!(SiteId);
id!(DirectoryId);
id!(GroupId);

macro_rules! wire_enum {
    ($name:ident { $($v:ident = $s:literal),* }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($v),* }
        impl $name {
            pub fn as_str(&self) -> &'static str { match self { $($name::$v => $s),* } }
        }
        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> { match s { $($s => Ok($name::$v),)* _ => Err(()) } }
        }
    };
}
wire_enum!(AccountStatus { Active = "active", Deactivated = "deactivated" });
wire_enum!(SiteAccess { Active = "active", Invited = "invited", InviteNotSent = "invite_not_sent", Suspended = "suspended", Removed = "removed" });
wire_enum!(SiteRole { Basic = "basic", Trusted = "trusted", SiteAdmin = "site_admin" });
