//! Bearer authentication for the admin API. Handlers receive an [`AdminPrincipal`] only
//! after the token was verified (signature, audience `scimd:admin`, expiry, registration,
//! revocation) and resolved to the actor it stands for.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};

use super::problem::Problem;
use crate::http::auth::state_and_token;
use crate::http::AppState;
use crate::service::admin::AdminActor;
use crate::service::tokens::ADMIN_AUDIENCE;
use crate::store::Store;

#[derive(Clone, Copy, Debug)]
pub struct AdminPrincipal(AdminActor);

impl Deref for AdminPrincipal {
    type Target = AdminActor;

    fn deref(&self) -> &AdminActor {
        &self.0
    }
}

impl FromRequest for AdminPrincipal {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let (state, token) = state_and_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server is misconfigured",
                )
            })?;
            let record = state.tokens.verify(&token?, ADMIN_AUDIENCE).await?;
            let actor = AdminActor::from_token(&state.store, &record).await?;
            Ok(AdminPrincipal(actor))
        })
    }
}

/// What every admin handler works with, extracted as one: the server's state and the
/// caller. The state first, then the principal, each refusing as when handlers took them
/// one by one.
pub struct AdminCall {
    pub state: Data<AppState>,
    pub who: AdminPrincipal,
}

impl AdminCall {
    pub fn store(&self) -> &Store {
        &self.state.store
    }
}

impl FromRequest for AdminCall {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let state = Data::<AppState>::from_request(req, payload);
        let who = AdminPrincipal::from_request(req, payload);
        Box::pin(async move {
            let state = state.await?;
            let who = who.await?;
            Ok(AdminCall { state, who })
        })
    }
}
