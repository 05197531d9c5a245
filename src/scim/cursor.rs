//! Cursor pagination (RFC 9865): cursors are opaque to clients, and hold no state on the
//! server. A cursor names a position in a sorted list (the last row's sort key and id, or
//! the first row's for `previousCursor`), so the next page is a keyset query that starts
//! there: it costs the same at row 99,900 as at row 1, and rows created or deleted
//! meanwhile neither shift the walk nor make it repeat or skip a row that stays.
//!
//! A cursor is `base64url(tag ‖ payload)`: the payload is JSON (position, direction and
//! expiry), and the tag an HMAC-SHA256 over the payload *and* what the cursor is bound to
//! (the directory, the endpoint, `filter`, `sortBy`, `sortOrder`), truncated to 128 bits.
//! The binding is not in the cursor: a cursor replayed by another directory or with another
//! query fails the tag check exactly as a tampered one does, with the same answer, so a
//! cursor reveals nothing (RFC 9865 §6.2).

// Production code here must not panic on any input; tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::error::{ScimError, ScimType};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in a cursor: 128 bits, as much as a forger would have to guess.
const TAG_BYTES: usize = 16;
/// Longer cursors are refused before any decoding (ours are a few hundred characters).
const MAX_CURSOR_CHARS: usize = 4096;

/// The key cursors are signed with, derived from the token signing key so that every
/// process on one database accepts the cursors any of them issued.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// A key of its own for cursors (HMAC of a fixed label under `secret`), so a cursor's
    /// tag can never double as a token signature.
    pub fn derive(secret: &[u8]) -> Self {
        let mut key = [0u8; 32];
        if let Ok(mut mac) = HmacSha256::new_from_slice(secret) {
            mac.update(b"scimd cursor key v1");
            key.copy_from_slice(&mac.finalize().into_bytes());
        }
        CursorKey(key)
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

/// The value of a row's sort key, as the store read it (whatever its column type).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    #[serde(rename = "n")]
    Null,
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "f")]
    Float(f64),
    #[serde(rename = "s")]
    Text(String),
    /// Microseconds since the Unix epoch.
    #[serde(rename = "t")]
    Time(i64),
    #[serde(rename = "u")]
    Uuid(uuid::Uuid),
    #[serde(rename = "b")]
    Bool(bool),
}

/// A row's place in a sorted list: its sort key, then its id (which makes it unique).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "k")]
    pub key: SortValue,
    #[serde(rename = "i")]
    pub id: uuid::Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// The rows after the position (`nextCursor`).
    #[serde(rename = "a")]
    After,
    /// The rows before it (`previousCursor`).
    #[serde(rename = "b")]
    Before,
}

/// Where a page starts: after or before a position, exclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seek {
    #[serde(rename = "p")]
    pub position: Position,
    #[serde(rename = "d")]
    pub direction: Direction,
}

impl Seek {
    pub fn before(&self) -> bool {
        self.direction == Direction::Before
    }
}

/// A page's place in a walk: which part of the answer (`/.search` lists Users, then
/// Groups: part 0, then 1; every other endpoint has only part 0) and where in it.
/// `seek: None` is the beginning of the part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    #[serde(rename = "r")]
    pub part: u8,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub seek: Option<Seek>,
}

impl Mark {
    pub fn start() -> Self {
        Mark {
            part: 0,
            seek: None,
        }
    }
}

/// What a cursor is valid for. A cursor presented with any other binding is invalid.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    pub directory: uuid::Uuid,
    /// The endpoint (`Users`, `Groups`, `.search`).
    pub endpoint: &'a str,
    pub filter: Option<&'a str>,
    pub sort_by: Option<&'a str>,
    pub descending: bool,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "v")]
    version: u8,
    #[serde(rename = "m")]
    mark: Mark,
    /// Expiry, seconds since the Unix epoch.
    #[serde(rename = "x")]
    expires: i64,
}

const VERSION: u8 = 1;

fn mac(key: &CursorKey, binding: &Binding<'_>, payload: &[u8]) -> HmacSha256 {
    // Fields are length-prefixed, so no two bindings feed the MAC the same bytes.
    fn field(mac: &mut HmacSha256, bytes: &[u8]) {
        mac.update(&(bytes.len() as u64).to_be_bytes());
        mac.update(bytes);
    }
    fn optional(mac: &mut HmacSha256, value: Option<&str>) {
        match value {
            None => mac.update(&[0]),
            Some(text) => {
                mac.update(&[1]);
                field(mac, text.as_bytes());
            }
        }
    }
    // A 32-byte key always fits HMAC-SHA256; the fallback cannot happen.
    let mut mac = HmacSha256::new_from_slice(&key.0)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(b"scimd cursor v1");
    mac.update(binding.directory.as_bytes());
    field(&mut mac, binding.endpoint.as_bytes());
    optional(&mut mac, binding.filter);
    optional(
        &mut mac,
        binding.sort_by.map(str::to_ascii_lowercase).as_deref(),
    );
    mac.update(&[u8::from(binding.descending)]);
    field(&mut mac, payload);
    mac
}

/// The cursor for `mark`, valid for `binding` until `expires` (seconds since the epoch).
pub fn seal(key: &CursorKey, binding: &Binding<'_>, mark: Mark, expires: i64) -> String {
    let payload = Payload {
        version: VERSION,
        mark,
        expires,
    };
    // Serializing plain data to JSON cannot fail.
    let json = serde_json::to_vec(&payload).unwrap_or_default();
    let tag = mac(key, binding, &json).finalize().into_bytes();
    let mut bytes = Vec::with_capacity(TAG_BYTES + json.len());
    bytes.extend(tag.iter().take(TAG_BYTES));
    bytes.extend_from_slice(&json);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn invalid() -> ScimError {
    ScimError::bad_request(
        ScimType::InvalidCursor,
        "the cursor is not valid for this request: send the `nextCursor` or `previousCursor` \
         of an earlier page with the same filter, sortBy and sortOrder to the same endpoint, \
         or an empty cursor for the first page",
    )
}

/// The mark a cursor names, if it is one this server issued for `binding` and it has not
/// expired at `now` (seconds since the epoch). An empty cursor is the first page.
pub fn open(
    key: &CursorKey,
    binding: &Binding<'_>,
    cursor: &str,
    now: i64,
    timeout_secs: u64,
) -> Result<Mark, ScimError> {
    let cursor = cursor.trim();
    if cursor.is_empty() {
        return Ok(Mark::start());
    }
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let (tag, json) = bytes.split_at_checked(TAG_BYTES).ok_or_else(invalid)?;
    mac(key, binding, json)
        .verify_truncated_left(tag)
        .map_err(|_| invalid())?;
    let payload: Payload = serde_json::from_slice(json).map_err(|_| invalid())?;
    if payload.version != VERSION {
        return Err(invalid());
    }
    if now > payload.expires {
        return Err(ScimError::bad_request(
            ScimType::ExpiredCursor,
            format!(
                "the cursor has expired: a cursor is valid for {timeout_secs} seconds \
                 (`cursorTimeout`); start again with an empty cursor"
            ),
        ));
    }
    Ok(payload.mark)
}

/// A cursor page from the rows fetched for it: one more row than `count` was asked for, to
/// learn whether more follow, and for a page before a position, in reverse order. Returns
/// the page in list order, and where the next and previous pages start.
pub struct CursorPage<T> {
    pub rows: Vec<T>,
    pub next: Option<Seek>,
    pub previous: Option<Seek>,
}

pub fn cursor_page<T>(
    mut rows: Vec<(Position, T)>,
    count: usize,
    seek: Option<&Seek>,
) -> CursorPage<T> {
    let more = rows.len() > count;
    rows.truncate(count);
    let backward = seek.is_some_and(Seek::before);
    if backward {
        rows.reverse();
    }
    let first = rows.first().map(|(p, _)| p.clone());
    let last = rows.last().map(|(p, _)| p.clone());
    let after = |p: Option<Position>| {
        p.map(|position| Seek {
            position,
            direction: Direction::After,
        })
    };
    let before = |p: Option<Position>| {
        p.map(|position| Seek {
            position,
            direction: Direction::Before,
        })
    };
    // Going forward, more rows follow when the extra row came; rows precede whenever the
    // page started at a position. Going backward, the other way round.
    let (next, previous) = if backward {
        (after(last), if more { before(first) } else { None })
    } else {
        (
            if more { after(last) } else { None },
            if seek.is_some() { before(first) } else { None },
        )
    };
    CursorPage {
        rows: rows.into_iter().map(|(_, row)| row).collect(),
        next,
        previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(filter: Option<&str>) -> Binding<'_> {
        Binding {
            directory: uuid::Uuid::from_u128(7),
            endpoint: "Users",
            filter,
            sort_by: Some("userName"),
            descending: false,
        }
    }

    fn mark() -> Mark {
        Mark {
            part: 0,
            seek: Some(Seek {
                position: Position {
                    key: SortValue::Text("ann".into()),
                    id: uuid::Uuid::from_u128(42),
                },
                direction: Direction::After,
            }),
        }
    }

    #[test]
    fn a_sealed_cursor_opens_to_its_mark_for_its_binding_only() {
        let key = CursorKey::derive(b"secret");
        let b = binding(Some("active eq true"));
        let cursor = seal(&key, &b, mark(), 1000);
        assert!(cursor
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(open(&key, &b, &cursor, 1000, 60).unwrap(), mark());

        let refused = |err: ScimError| (err.status, err.scim_type);
        let invalid = (400, Some(ScimType::InvalidCursor));
        let other_filter = binding(Some("active eq false"));
        assert_eq!(
            refused(open(&key, &other_filter, &cursor, 1000, 60).unwrap_err()),
            invalid
        );
        let other_directory = Binding {
            directory: uuid::Uuid::from_u128(8),
            ..b
        };
        assert_eq!(
            refused(open(&key, &other_directory, &cursor, 1000, 60).unwrap_err()),
            invalid
        );
        let other_order = Binding {
            descending: true,
            ..b
        };
        assert_eq!(
            refused(open(&key, &other_order, &cursor, 1000, 60).unwrap_err()),
            invalid
        );
        let other_key = CursorKey::derive(b"other");
        assert_eq!(
            refused(open(&other_key, &b, &cursor, 1000, 60).unwrap_err()),
            invalid
        );
        // sortBy names an attribute, which ignores case.
        let shouted = Binding {
            sort_by: Some("USERNAME"),
            ..b
        };
        assert!(open(&key, &shouted, &cursor, 1000, 60).is_ok());
    }

    #[test]
    fn tampered_garbled_and_expired_cursors_are_refused() {
        let key = CursorKey::derive(b"secret");
        let b = binding(None);
        let cursor = seal(&key, &b, mark(), 1000);
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        for bad in [
            tampered.as_str(),
            "not base64!",
            "AAAA",
            &"A".repeat(5000),
            &cursor[..cursor.len() - 1],
        ] {
            let err = open(&key, &b, bad, 1000, 60).unwrap_err();
            assert_eq!(err.scim_type, Some(ScimType::InvalidCursor), "{bad}");
        }
        let err = open(&key, &b, &cursor, 1001, 60).unwrap_err();
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some(ScimType::ExpiredCursor))
        );
        assert!(err.detail.contains("60 seconds"), "{}", err.detail);
        assert_eq!(open(&key, &b, "", 5000, 60).unwrap(), Mark::start());
    }

    fn rows(ids: &[u128]) -> Vec<(Position, u128)> {
        ids.iter()
            .map(|&i| {
                (
                    Position {
                        key: SortValue::Int(i as i64),
                        id: uuid::Uuid::from_u128(i),
                    },
                    i,
                )
            })
            .collect()
    }

    #[test]
    fn pages_know_their_neighbours() {
        // The first page: the extra row says more follow; nothing precedes.
        let page = cursor_page(rows(&[1, 2, 3]), 2, None);
        assert_eq!(page.rows, vec![1, 2]);
        assert_eq!(page.next.unwrap().position.id, uuid::Uuid::from_u128(2));
        assert!(page.previous.is_none());
        // The last page, reached from a cursor: a previous page, no next one.
        let after = Seek {
            position: rows(&[2])[0].0.clone(),
            direction: Direction::After,
        };
        let page = cursor_page(rows(&[3]), 2, Some(&after));
        assert_eq!(page.rows, vec![3]);
        assert!(page.next.is_none());
        let previous = page.previous.unwrap();
        assert_eq!(
            (previous.direction, previous.position.id),
            (Direction::Before, uuid::Uuid::from_u128(3))
        );
        // Going back: rows came in reverse; the page is in list order.
        let page = cursor_page(rows(&[2, 1]), 2, Some(&previous));
        assert_eq!(page.rows, vec![1, 2]);
        assert!(page.previous.is_none(), "nothing before row 1");
        assert_eq!(page.next.unwrap().position.id, uuid::Uuid::from_u128(2));
        let before_four = Seek {
            position: rows(&[4])[0].0.clone(),
            direction: Direction::Before,
        };
        let page = cursor_page(rows(&[3, 2, 1]), 2, Some(&before_four));
        assert_eq!(page.rows, vec![2, 3]);
        assert_eq!(page.next.unwrap().position.id, uuid::Uuid::from_u128(3));
        assert_eq!(page.previous.unwrap().position.id, uuid::Uuid::from_u128(2));
    }
}
