//! The key SETs are signed with: ES256 (ECDSA on P-256, asymmetric, so a receiver verifies
//! with the public half and cannot forge), made on first start and kept in the database so
//! every process signs with the same key. The public half is served as a JWKS.

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};

use crate::scim::events::SET_TYPE;
use crate::service::stored_keys::stored_keys;
use crate::store::{self, SetSigningKey, Store, StoreError};

const ALG: &str = "ES256";

/// Signs SETs; cheap to share.
pub struct SetSigner {
    kid: String,
    encoding: EncodingKey,
    jwks: Value,
}

impl std::fmt::Debug for SetSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("SET signing key: {what}"))
}

/// A new P-256 key as base64 PKCS#8 DER.
fn generate() -> Result<String, StoreError> {
    use base64::Engine as _;
    // A random scalar is a valid key unless it is zero or not below the curve order, which
    // happens with probability about 2^-128: try again then.
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(corrupt)?;
        if let Ok(key) = p256::ecdsa::SigningKey::from_bytes(&bytes.into()) {
            let der = key.to_pkcs8_der().map_err(corrupt)?;
            return Ok(base64::engine::general_purpose::STANDARD.encode(der.as_bytes()));
        }
    }
    Err(corrupt("no valid key from the random source"))
}

impl SetSigner {
    /// Loads the oldest key, creating one if the database has none (two processes starting
    /// at once may both create one; both then use the oldest).
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let keys = stored_keys(store, || {
            Ok(SetSigningKey {
                kid: uuid::Uuid::new_v4().simple().to_string(),
                alg: ALG.to_owned(),
                private_key: generate()?,
                created_at: store::now_micros(),
            })
        })
        .await?;
        let key = keys
            .into_iter()
            .find(|k| k.alg == ALG)
            .ok_or_else(|| corrupt("none stored"))?;
        Self::from_stored(&key)
    }

    fn from_stored(key: &SetSigningKey) -> Result<Self, StoreError> {
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(&key.private_key)
            .map_err(corrupt)?;
        let encoding = EncodingKey::from_ec_der(&der);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).map_err(corrupt)?;
        jwk.common.key_id = Some(key.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let jwk = serde_json::to_value(&jwk).map_err(corrupt)?;
        Ok(Self {
            kid: key.kid.clone(),
            encoding,
            jwks: json!({ "keys": [jwk] }),
        })
    }

    /// The public keys receivers verify SETs with (RFC 7517 JWK Set).
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// A SET: the claims signed as a JWS with `typ: secevent+jwt` (RFC 8417 §2.3).
    pub fn sign(&self, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(SET_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }
}
