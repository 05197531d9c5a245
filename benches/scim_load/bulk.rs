//! SCIM Bulk (RFC 7644 §3.7) beside separate requests: 1,000 user creates in one Bulk
//! request, against 1,000 `POST /Users` from one client and from many.

use serde_json::{json, Value};

use crate::server::Server;
use crate::{measure, wanted, Context, Scim};

pub struct BulkRun<'a> {
    pub server: &'a Server,
    pub scim: Scim,
    pub concurrency: usize,
}

const CREATES: usize = 1000;
/// Bulk requests measured (each creates 1,000 users).
const ROUNDS: usize = 5;

fn new_user(tag: &str, i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{tag}{i}@bench.example"), "externalId": format!("{tag}-{i}"),
        "name": {"givenName": "Bulk", "familyName": format!("B{i}")}, "active": true
    })
}

fn bulk_body(round: usize) -> Value {
    let operations: Vec<Value> = (0..CREATES)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                   "data": new_user(&format!("bulk{round}-"), i)})
        })
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
           "Operations": operations})
}

pub async fn run(b: BulkRun<'_>, context: &Context) {
    if !["bulk", "1000 creates"].iter().any(|row| wanted(row)) {
        return;
    }
    // Every operation of a Bulk request is answered 201: the rows below measure real work.
    let (_, check) = b
        .scim
        .fetch(b.scim.post("/Bulk").json(&bulk_body(ROUNDS)))
        .await;
    let created = check["Operations"].as_array().map_or(0, |ops| {
        ops.iter().filter(|op| op["status"] == "201").count()
    });
    assert_eq!(created, CREATES, "a bulk of creates creates: {check:.300}");

    let s = b.scim.clone();
    let bulk = measure(b.server, "bulk of 1000 creates", ROUNDS, 1, 200, move |i| {
        s.post("/Bulk").json(&bulk_body(i))
    })
    .await;
    bulk.print(context);
    let mut separate = Vec::new();
    for clients in [1, b.concurrency] {
        let s = b.scim.clone();
        let label = format!(
            "1000 creates, {clients} client{}",
            if clients == 1 { "" } else { "s" }
        );
        let stats = measure(b.server, label, CREATES, clients, 201, move |i| {
            s.post("/Users")
                .json(&new_user(&format!("one{clients}-"), i))
        })
        .await;
        stats.print(context);
        separate.push((clients, stats.elapsed.as_secs_f64()));
    }
    let per_bulk = bulk.elapsed.as_secs_f64() / ROUNDS as f64;
    for (clients, seconds) in separate {
        if per_bulk <= 0.0 || seconds <= 0.0 {
            continue;
        }
        println!(
            "1,000 creates: one Bulk request {per_bulk:.2} s, 1,000 requests from {clients} \
             client(s) {seconds:.2} s ({:.1}x)",
            seconds / per_bulk
        );
    }
}
