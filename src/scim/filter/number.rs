//! `number` of RFC 8259 §6, as used by `compValue`.

/// The JSON number grammar is checked by hand and the conversion done by `std`, because
/// `serde_json`'s default float parser is not correctly rounded: `-1.5e93` would print back
/// as a different number and the canonical text would not re-parse to the same tree.
pub(crate) fn parse_number(text: &str) -> Option<serde_json::Number> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > from
    };
    if bytes.first() == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let integer = !text.contains(['.', 'e', 'E']);
    if integer {
        if let Ok(n) = text.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
    }
    // Integers beyond 64 bits degrade to f64, as in serde_json; `1e400` is refused.
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}
