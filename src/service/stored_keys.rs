//! Keys every process on one database signs with: read from the database, and made on the
//! first start. Two processes starting at once may both store one; each key kind picks the
//! same one of what it reads, so they agree.

use crate::store::{self, Conn, SetSigningKey, SigningKey, Store, StoreError, StoreResult};

/// A kind of key the database keeps.
pub(crate) trait StoredKey: Sized {
    async fn list(conn: &mut Conn) -> StoreResult<Vec<Self>>;
    async fn insert(conn: &mut Conn, key: &Self) -> StoreResult<()>;
}

impl StoredKey for SigningKey {
    async fn list(conn: &mut Conn) -> StoreResult<Vec<Self>> {
        store::list_signing_keys(conn).await
    }

    async fn insert(conn: &mut Conn, key: &Self) -> StoreResult<()> {
        store::insert_signing_key(conn, key).await
    }
}

impl StoredKey for SetSigningKey {
    async fn list(conn: &mut Conn) -> StoreResult<Vec<Self>> {
        store::list_set_signing_keys(conn).await
    }

    async fn insert(conn: &mut Conn, key: &Self) -> StoreResult<()> {
        store::insert_set_signing_key(conn, key).await
    }
}

/// The stored keys of kind `K`; with none stored, `make`'s key is stored first.
pub(crate) async fn stored_keys<K: StoredKey>(
    store: &Store,
    make: impl FnOnce() -> Result<K, StoreError>,
) -> Result<Vec<K>, StoreError> {
    let mut conn = store.read().await?;
    let keys = K::list(&mut conn).await?;
    drop(conn);
    if !keys.is_empty() {
        return Ok(keys);
    }
    let key = make()?;
    let mut tx = store.begin().await?;
    K::insert(&mut tx, &key).await?;
    tx.commit().await?;
    let mut conn = store.read().await?;
    K::list(&mut conn).await
}
