//! A DNS server on 127.0.0.1 that the tests control: it answers TXT queries from a table the
//! test fills, NXDOMAIN for names not in it, and can be told to fail (SERVFAIL) or to stay
//! silent (the resolver times out). Answers are encoded with hickory-proto, the resolver's
//! own protocol crate, over UDP as a real server would send them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Answer,
    ServFail,
    Silent,
}

#[derive(Default)]
struct Zone {
    txt: HashMap<String, Vec<String>>,
    behaviour: Option<Behaviour>,
    queries: Vec<String>,
}

#[derive(Clone)]
pub struct TestDns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl TestDns {
    pub async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind DNS");
        let addr = socket.local_addr().expect("DNS address");
        let zone = Arc::new(Mutex::new(Zone::default()));
        let served = zone.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..len]) else {
                    continue;
                };
                let Some(reply) = answer(&served, &query) else {
                    continue;
                };
                if let Ok(bytes) = reply.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        Self { addr, zone }
    }

    /// Publishes (replaces) the TXT records at `name`.
    pub fn publish(&self, name: &str, texts: &[&str]) {
        let texts = texts.iter().map(|t| (*t).to_owned()).collect();
        self.zone.lock().unwrap().txt.insert(key(name), texts);
    }

    pub fn behave(&self, behaviour: Behaviour) {
        self.zone.lock().unwrap().behaviour = Some(behaviour);
    }

    /// The names asked for so far, lower-cased.
    pub fn queries(&self) -> Vec<String> {
        self.zone.lock().unwrap().queries.clone()
    }
}

fn answer(zone: &Mutex<Zone>, query: &Message) -> Option<Message> {
    let mut zone = zone.lock().unwrap();
    let mut reply = Message::new();
    reply
        .set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(query.op_code())
        .set_recursion_desired(query.recursion_desired())
        .set_recursion_available(true)
        .set_authoritative(true);
    for q in query.queries() {
        reply.add_query(q.clone());
    }
    let q = query.queries().first()?;
    let name = key(&q.name().to_ascii());
    zone.queries.push(name.clone());
    match zone.behaviour.unwrap_or(Behaviour::Answer) {
        Behaviour::Silent => return None,
        Behaviour::ServFail => {
            reply.set_response_code(ResponseCode::ServFail);
            return Some(reply);
        }
        Behaviour::Answer => {}
    }
    match zone.txt.get(&name) {
        Some(texts) if q.query_type() == RecordType::TXT => {
            for text in texts {
                let record = Record::from_rdata(
                    q.name().clone(),
                    0,
                    RData::TXT(TXT::new(vec![text.clone()])),
                );
                reply.add_answer(record);
            }
        }
        // The name exists, with no records of the type asked for.
        Some(_) => {}
        None => {
            reply.set_response_code(ResponseCode::NXDomain);
        }
    }
    Some(reply)
}
