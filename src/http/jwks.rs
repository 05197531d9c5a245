//! The public key security event receivers verify SETs with, as a JWK Set (RFC 7517).
//! Public and unauthenticated: a key that only verifies is no secret.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::HttpResponse;

use super::AppState;

pub const JWKS_PATH: &str = "/.well-known/scimd/jwks.json";

pub async fn jwks(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        // Receivers may cache it; the key changes only with the database.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(state.set_signer.jwks())
}
