//! The round on a handle of its own: which texts' work a failing text leaves, and which
//! savepoint it undoes.

use std::ptr::NonNull;

use tokio::sync::oneshot;

use super::*;

struct Handle {
    /// Declared first: dropped (its statements finalized) before the connection closes.
    direct: Direct,
    owner: rusqlite::Connection,
}

fn handle() -> Handle {
    let owner = rusqlite::Connection::open_in_memory().expect("in-memory database");
    owner
        .execute_batch("CREATE TABLE t (name TEXT PRIMARY KEY)")
        .expect("table");
    // SAFETY: `owner` keeps the handle open until after `direct` is dropped (field order),
    // and nothing else uses it meanwhile.
    let raw = NonNull::new(unsafe { owner.handle() }).expect("a handle");
    let direct = unsafe { Direct::new(raw) }.expect("direct handle");
    Handle { direct, owner }
}

/// Inserts each name, in one text of as many statements.
fn insert(
    names: &[&str],
) -> (
    QueuedText,
    Reply,
    oneshot::Receiver<Result<bool, sqlx::Error>>,
) {
    let sql = (1..=names.len())
        .map(|n| format!("INSERT INTO t (name) VALUES (${n})"))
        .collect::<Vec<_>>()
        .join("; ");
    let params = names.iter().map(|n| Param::Text((*n).to_owned())).collect();
    let (reply, answer) = oneshot::channel();
    let text = QueuedText {
        sql,
        params,
        guarded: false,
    };
    (text, reply, answer)
}

fn stored(handle: &Handle) -> Vec<String> {
    let mut names = handle
        .owner
        .prepare("SELECT name FROM t ORDER BY name")
        .expect("select");
    let rows = names.query_map([], |row| row.get(0)).expect("rows");
    rows.collect::<Result<_, _>>().expect("names")
}

fn failed(answer: &mut oneshot::Receiver<Result<bool, sqlx::Error>>) -> bool {
    matches!(answer.try_recv(), Ok(Err(_)))
}

#[test]
fn a_failing_text_leaves_nothing_and_the_others_all_they_wrote() {
    let handle = handle();
    let (a, a_reply, mut a_answer) = insert(&["a"]);
    let (b, b_reply, mut b_answer) = insert(&["b1", "b2"]);
    // Its first statement succeeds before its second finds "a" taken.
    let (bad, bad_reply, mut bad_answer) = insert(&["x", "a"]);
    let (c, c_reply, mut c_answer) = insert(&["c"]);
    let texts = vec![(a, a_reply), (b, b_reply), (bad, bad_reply), (c, c_reply)];
    let round = run_on(&handle.direct, Start::Begin, texts);
    assert!(round.lost.is_none());
    assert!(round.replayed, "the failing text undid the round");
    assert_eq!(round.ran.len(), 3, "a, b and c ran");
    assert!(
        failed(&mut bad_answer),
        "the failing text is answered with its error"
    );
    for answer in [&mut a_answer, &mut b_answer, &mut c_answer] {
        assert!(
            answer.try_recv().is_err(),
            "answered only once the round ends"
        );
    }
    assert_eq!(stored(&handle), ["a", "b1", "b2", "c"]);
}

#[test]
fn a_round_without_failure_runs_once() {
    let handle = handle();
    let (a, a_reply, _a) = insert(&["a"]);
    let (b, b_reply, _b) = insert(&["b"]);
    let round = run_on(
        &handle.direct,
        Start::Begin,
        vec![(a, a_reply), (b, b_reply)],
    );
    assert!(round.lost.is_none());
    assert!(!round.replayed);
    assert_eq!(round.ran.len(), 2);
    assert_eq!(stored(&handle), ["a", "b"]);
}

/// A round that joins a member's open batch undoes, on a failure, only its own work: not
/// the member's, whether the member opened the next savepoint (`Ready`) or left its work in
/// the one on top (`Reopen`).
#[test]
fn a_failing_text_undoes_nothing_before_its_round() {
    let opened = [
        (Start::Ready, "BEGIN IMMEDIATE; SAVEPOINT scimd_tx; INSERT INTO t (name) VALUES ('member'); RELEASE SAVEPOINT scimd_tx; SAVEPOINT scimd_tx"),
        (Start::Reopen, "BEGIN IMMEDIATE; SAVEPOINT scimd_tx; INSERT INTO t (name) VALUES ('member')"),
    ];
    for (start, member) in opened {
        let handle = handle();
        handle.direct.control(member).expect("a member's work");
        let (bad, bad_reply, mut bad_answer) = insert(&["member"]);
        let (c, c_reply, _c) = insert(&["c"]);
        let round = run_on(&handle.direct, start, vec![(bad, bad_reply), (c, c_reply)]);
        assert!(round.lost.is_none());
        assert!(failed(&mut bad_answer));
        assert_eq!(stored(&handle), ["c", "member"]);
    }
}
