//! Bearer tokens: JWTs signed with HS256 under a key kept in the database, so every scimd
//! process on one database accepts the tokens any of them issued, and restarts change
//! nothing. Every token is registered by `jti`, so it can be revoked.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use super::stored_keys::stored_keys;
use super::token_cache::TokenCache;
use crate::store::{self, SigningKey, Store, StoreError, TokenRecord, TokenSubject};

pub const ISSUER: &str = "scimd";
/// Directory tokens only open the SCIM API; admin and owner tokens only the admin API.
pub const SCIM_AUDIENCE: &str = "scimd:scim";
pub const ADMIN_AUDIENCE: &str = "scimd:admin";
const ALGORITHM: Algorithm = Algorithm::HS256;
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    jti: String,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("the token is malformed or its signature, issuer or audience is wrong")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
    #[error("the token is not known to this server")]
    Unknown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token the caller just made; the text is shown once and never stored.
#[derive(Clone, Serialize)]
pub struct IssuedToken {
    pub jti: uuid::Uuid,
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

crate::store::debug_only!(IssuedToken { jti });

struct Keys {
    signing_kid: String,
    /// The signing key's secret, from which keys for other purposes are derived.
    signing_secret: Vec<u8>,
    /// Derived from the signing key, so every process on the database shares it.
    cursor: crate::scim::cursor::CursorKey,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
}

pub struct Tokens {
    store: Store,
    keys: RwLock<Keys>,
    cache: Arc<TokenCache>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens")
    }
}

fn audience(subject: &TokenSubject) -> &'static str {
    match subject {
        TokenSubject::Directory { .. } => SCIM_AUDIENCE,
        _ => ADMIN_AUDIENCE,
    }
}

fn subject_id(subject: &TokenSubject) -> String {
    match subject {
        TokenSubject::Directory { directory, .. } => directory.to_string(),
        TokenSubject::OrgAdmin { org } => org.to_string(),
        TokenSubject::SiteAdmin { site, .. } => site.to_string(),
        TokenSubject::AccountOwner { account } => account.to_string(),
    }
}

impl Tokens {
    /// Loads the signing keys, creating the first one if the database has none.
    pub async fn load(store: Store) -> Result<Self, StoreError> {
        let keys = Self::read_keys(&store).await?;
        Ok(Self {
            store,
            keys: RwLock::new(keys),
            cache: Arc::default(),
        })
    }

    /// Starts answering repeated checks of a token from memory, with revocations by any
    /// process honoured within [`super::token_cache::FRESH_FOR`]. Without it every check reads
    /// the database (the CLI, tests of the uncached path).
    pub fn start_cache(&self) -> tokio::task::JoinHandle<()> {
        self.cache.clone().watch(self.store.clone())
    }

    async fn read_keys(store: &Store) -> Result<Keys, StoreError> {
        let stored = stored_keys(store, || {
            let mut secret = vec![0u8; 32];
            getrandom::getrandom(&mut secret)
                .map_err(|e| StoreError::Corrupt(format!("no randomness for a key: {e}")))?;
            Ok(SigningKey {
                kid: uuid::Uuid::new_v4().to_string(),
                secret,
                created_at: store::now_micros(),
            })
        })
        .await?;
        let signing = stored
            .first()
            .ok_or_else(|| StoreError::Corrupt("no signing key after creating one".into()))?;
        Ok(Keys {
            signing_kid: signing.kid.clone(),
            signing_secret: signing.secret.clone(),
            cursor: crate::scim::cursor::CursorKey::derive(&signing.secret),
            encoding: EncodingKey::from_secret(&signing.secret),
            decoding: stored
                .iter()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(&k.secret)))
                .collect(),
        })
    }

    /// A 32-byte key for `purpose` (e.g. the console's CSRF tokens), derived from the signing
    /// key with HMAC-SHA256: every process on the database derives the same key, and what is
    /// made with it reveals nothing of the signing key.
    pub fn derived_key(&self, purpose: &str) -> Result<[u8; 32], StoreError> {
        use hmac::{Hmac, Mac};
        let keys = self.keys.read().map_err(|_| poisoned())?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&keys.signing_secret)
            .map_err(|e| StoreError::Corrupt(format!("cannot derive a key: {e}")))?;
        mac.update(b"scimd derived key\0");
        mac.update(purpose.as_bytes());
        Ok(mac.finalize().into_bytes().into())
    }

    /// The key list cursors (RFC 9865) are signed with.
    pub fn cursor_key(&self) -> Result<crate::scim::cursor::CursorKey, StoreError> {
        Ok(self.keys.read().map_err(|_| poisoned())?.cursor.clone())
    }

    /// Registers and signs a token for `subject` inside the caller's transaction.
    pub async fn issue(
        &self,
        tx: &mut store::Tx,
        subject: TokenSubject,
        ttl: Option<time::Duration>,
    ) -> Result<IssuedToken, StoreError> {
        let now = time::OffsetDateTime::now_utc();
        let expires = ttl.map(|ttl| now + ttl);
        let record = TokenRecord {
            jti: uuid::Uuid::new_v4(),
            subject,
            issued_at: store::micros(now),
            expires_at: expires.map(store::micros),
            revoked_at: None,
        };
        store::insert_token(tx, &record).await?;
        let claims = Claims {
            iss: ISSUER.into(),
            aud: audience(&subject).into(),
            sub: subject_id(&subject),
            jti: record.jti.to_string(),
            iat: now.unix_timestamp(),
            exp: expires.map(|e| e.unix_timestamp()),
        };
        let keys = self.keys.read().map_err(|_| poisoned())?;
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(keys.signing_kid.clone());
        let token = encode(&header, &claims, &keys.encoding)
            .map_err(|e| StoreError::Corrupt(format!("cannot sign token: {e}")))?;
        Ok(IssuedToken {
            jti: record.jti,
            token,
            expires_at: record.expires_at,
        })
    }

    /// Checks signature, algorithm, issuer, audience and expiry, then that the token is
    /// registered and not revoked. The stored record, not the claims, says who it speaks for.
    /// A token verified before is answered from memory (see `token_cache`).
    pub async fn verify(
        &self,
        token: &str,
        expected_audience: &str,
    ) -> Result<TokenRecord, AuthError> {
        let (cached, stamp) = self.cache.get(token, self.store.token_generation());
        if let Some(record) = cached {
            if record
                .expires_at
                .is_some_and(|exp| exp <= store::now_micros())
            {
                return Err(AuthError::Expired);
            }
            if audience(&record.subject) != expected_audience {
                return Err(AuthError::Invalid);
            }
            return Ok(record);
        }
        let record = self.verify_stored(token, expected_audience).await?;
        self.cache.put(token, record.clone(), stamp);
        Ok(record)
    }

    async fn verify_stored(
        &self,
        token: &str,
        expected_audience: &str,
    ) -> Result<TokenRecord, AuthError> {
        let header = decode_header(token).map_err(|_| AuthError::Invalid)?;
        if header.alg != ALGORITHM {
            return Err(AuthError::Invalid);
        }
        let kid = header.kid.ok_or(AuthError::Invalid)?;
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[expected_audience]);
        validation.set_required_spec_claims(&["iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        let claims = match self.decoding_key(&kid).await? {
            Some(key) => {
                decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                    _ => AuthError::Invalid,
                })?
            }
            None => return Err(AuthError::Invalid),
        }
        .claims;
        let jti: uuid::Uuid = claims.jti.parse().map_err(|_| AuthError::Invalid)?;
        let mut conn = self.store.read().await?;
        let record = store::get_token(&mut conn, jti)
            .await?
            .ok_or(AuthError::Unknown)?;
        if record.revoked_at.is_some() {
            return Err(AuthError::Revoked);
        }
        if record
            .expires_at
            .is_some_and(|exp| exp <= store::now_micros())
        {
            return Err(AuthError::Expired);
        }
        if audience(&record.subject) != expected_audience
            || subject_id(&record.subject) != claims.sub
        {
            return Err(AuthError::Invalid);
        }
        Ok(record)
    }

    /// A key by id; an unknown id may be a key another process created, so look once more.
    async fn decoding_key(&self, kid: &str) -> Result<Option<DecodingKey>, StoreError> {
        if let Some(key) = self.keys.read().map_err(|_| poisoned())?.decoding.get(kid) {
            return Ok(Some(key.clone()));
        }
        let fresh = Self::read_keys(&self.store).await?;
        let key = fresh.decoding.get(kid).cloned();
        *self.keys.write().map_err(|_| poisoned())? = fresh;
        Ok(key)
    }
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("token key cache lock poisoned".into())
}
