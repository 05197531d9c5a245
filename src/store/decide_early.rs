//! What a write may decide before its transaction: whether it reads first, outside the
//! transaction, and each email domain's owner as this process last read it. A create of a
//! new account on PostgreSQL goes on that owner without reading anything: its write checks that the
//! domain's owner is still the one it decided on and that the email is free, and writes
//! nothing otherwise (then the create reads, and decides again on what is there).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Pools, Store};
use crate::domain::OrgId;

/// Domains remembered at most; past it the memo starts again. A directory's users come
/// from a few domains; this bounds what a token holder sending many could make it keep.
const DOMAINS: usize = 4096;

/// Each email domain's owner as last read: `None` for a domain no org has verified.
#[derive(Debug, Default)]
pub(super) struct DomainOwners(Mutex<HashMap<String, Option<OrgId>>>);

impl Store {
    /// Whether write transactions take turns on one writer (SQLite), so that what one reads
    /// under it is current: no other write runs until it ends.
    pub fn single_writer(&self) -> bool {
        matches!(self.pools, Pools::Sqlite { .. })
    }

    /// Whether a write should read what it decides on before its transaction, and then
    /// write only if it still holds (a guarded write held for the commit). On SQLite when
    /// another transaction holds or awaits the one writer: the read then does not hold up
    /// that one (an idle writer reads faster itself: a reader's page cache is dropped
    /// whenever another connection has written since its last read). On PostgreSQL always,
    /// outside a bulk session: a transaction that then runs nothing before its guarded write
    /// sends it alone, one statement that takes its locks and commits as it runs, with no
    /// round trip for `BEGIN`, a locked read and `COMMIT`.
    pub fn read_before_writing(&self) -> bool {
        match &self.pools {
            Pools::Sqlite { write, .. } => self.session().is_none() && write.busy(),
            Pools::Postgres(_) => self.session().is_none(),
        }
    }

    /// The org that had verified `domain` (lower case) when this process last read it:
    /// `Some(None)` if none had; `None` if it has not read it. Only for a decision that its
    /// write checks. On PostgreSQL only: there a create that finds the email taken after
    /// all has cost one statement that inserted nothing, the read it saves costs one too.
    /// SQLite's one writer would have run the create's whole text for nothing, where the
    /// read it saves is a reader's, off the writer.
    pub fn domain_owner_as_last_read(&self, domain: &str) -> Option<Option<OrgId>> {
        match self.pools {
            Pools::Postgres(_) => self.domain_owners.get(domain),
            Pools::Sqlite { .. } => None,
        }
    }

    /// Remembers the owner of `domain` (lower case) as just read.
    pub fn remember_domain_owner(&self, domain: &str, owner: Option<OrgId>) {
        self.domain_owners.remember(domain, owner);
    }
}

impl DomainOwners {
    fn get(&self, domain: &str) -> Option<Option<OrgId>> {
        self.0.lock().ok()?.get(domain).copied()
    }

    fn remember(&self, domain: &str, owner: Option<OrgId>) {
        if let Ok(mut owners) = self.0.lock() {
            if owners.len() >= DOMAINS && !owners.contains_key(domain) {
                owners.clear();
            }
            owners.insert(domain.to_owned(), owner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_keeps_the_last_owner_read_and_stays_bounded() {
        let memo = DomainOwners::default();
        let acme = OrgId::new();
        assert_eq!(memo.get("acme.example"), None, "not read yet");
        memo.remember("acme.example", None);
        assert_eq!(memo.get("acme.example"), Some(None), "read as nobody's");
        memo.remember("acme.example", Some(acme));
        assert_eq!(
            memo.get("acme.example"),
            Some(Some(acme)),
            "the last read wins"
        );
        for i in 1..DOMAINS {
            memo.remember(&format!("d{i}.example"), None);
        }
        assert_eq!(
            memo.get("acme.example"),
            Some(Some(acme)),
            "full, not past it"
        );
        memo.remember("acme.example", None);
        assert_eq!(
            memo.get("acme.example"),
            Some(None),
            "a known domain is updated"
        );
        memo.remember("one-more.example", None);
        assert_eq!(
            memo.get("acme.example"),
            None,
            "past the bound it starts again"
        );
        assert_eq!(memo.get("one-more.example"), Some(None));
    }
}
