//! What every signed-in console page and action works with, extracted as one: the request
//! (its URL and flash cookie), the server's state, and the session.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};

use super::page::Shell;
use super::session::Session;
use crate::http::AppState;
use crate::service::admin::AdminActor;
use crate::store::Store;

pub struct Visit {
    pub req: HttpRequest,
    pub state: Data<AppState>,
    pub session: Session,
}

impl Visit {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn who(&self) -> &AdminActor {
        &self.session.who
    }

    /// The page frame for this session.
    pub fn shell(&self) -> Shell<'_> {
        Shell {
            req: &self.req,
            session: &self.session,
        }
    }
}

impl FromRequest for Visit {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    /// The state first, then the session, as when handlers took them one by one: each
    /// refuses with the same answer as before.
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = Data::<AppState>::from_request(req, payload);
        let session = Session::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let state = state.await?;
            let session = session.await?;
            Ok(Visit {
                req,
                state,
                session,
            })
        })
    }
}
