//! Splits input into brackets, JSON strings and "words". Words are maximal runs of other
//! characters; whether a word is an attribute path, keyword or number depends on where the
//! parser meets it, because `urn:…:2.0:User:name`, `1.5e3` and `eq` share no useful prefix.

use super::error::{column_at, FilterError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Word(&'a str),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    /// Byte offset into the source.
    pub start: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c')
}

fn ends_word(b: u8) -> bool {
    is_space(b) || matches!(b, b'(' | b')' | b'[' | b']' | b'"')
}

/// Single pass, linear in the input. Delimiters are ASCII, so every byte offset produced
/// here is a char boundary.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let kind = match b {
            b if is_space(b) => {
                i += 1;
                continue;
            }
            b'(' => TokenKind::LParen,
            b')' => TokenKind::RParen,
            b'[' => TokenKind::LBracket,
            b']' => TokenKind::RBracket,
            b'"' => {
                let (value, end) = lex_string(src, start)?;
                tokens.push(Token {
                    kind: TokenKind::Str(value),
                    start,
                });
                i = end;
                continue;
            }
            _ => {
                while bytes.get(i).is_some_and(|&b| !ends_word(b)) {
                    i += 1;
                }
                let word = src.get(start..i).unwrap_or_default();
                tokens.push(Token {
                    kind: TokenKind::Word(word),
                    start,
                });
                continue;
            }
        };
        tokens.push(Token { kind, start });
        i += 1;
    }
    Ok(tokens)
}

/// Decodes a JSON string (RFC 8259 §7) whose opening quote is at byte `open`; returns the
/// value and the byte offset just past the closing quote.
fn lex_string(src: &str, open: usize) -> Result<(String, usize), FilterError> {
    let body_start = open + 1;
    let body = src.get(body_start..).unwrap_or_default();
    let invalid = |at: usize, reason| FilterError::InvalidString {
        column: column_at(src, body_start + at),
        reason,
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((out, body_start + at + 1)),
            '\\' => {
                let Some((_, escape)) = chars.next() else {
                    break;
                };
                let decoded = match escape {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        decode_unicode_escape(&mut chars).map_err(|reason| invalid(at, reason))?
                    }
                    _ => return Err(invalid(
                        at,
                        "unknown escape; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                    )),
                };
                out.push(decoded);
            }
            c if u32::from(c) < 0x20 => {
                return Err(invalid(at, "control characters must be escaped"));
            }
            c => out.push(c),
        }
    }
    Err(FilterError::UnterminatedString {
        column: column_at(src, open),
    })
}

/// Reads the `XXXX` after `\u`, and the low half when it is a UTF-16 surrogate pair.
fn decode_unicode_escape(chars: &mut std::str::CharIndices<'_>) -> Result<char, &'static str> {
    let high = read_hex4(chars)?;
    let code = match high {
        0xD800..=0xDBFF => {
            let backslash = chars.next().map(|(_, c)| c);
            let u = chars.next().map(|(_, c)| c);
            if backslash != Some('\\') || u != Some('u') {
                return Err(
                    "a high surrogate \\uD800-\\uDBFF must be followed by a \\uDC00-\\uDFFF escape",
                );
            }
            let low = read_hex4(chars)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(
                    "a high surrogate \\uD800-\\uDBFF must be followed by a \\uDC00-\\uDFFF escape",
                );
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        }
        0xDC00..=0xDFFF => return Err("unpaired low surrogate in \\u escape"),
        // NUL is refused wherever it arrives (docs/scim.md): PostgreSQL cannot hold it, and
        // SQLite would compare it as the end of the text.
        0 => return Err("\\u0000 (NUL) is not allowed in a filter value"),
        other => other,
    };
    char::from_u32(code).ok_or("\\u escape is not a Unicode scalar value")
}

fn read_hex4(chars: &mut std::str::CharIndices<'_>) -> Result<u32, &'static str> {
    let mut value = 0;
    for _ in 0..4 {
        let digit = chars
            .next()
            .and_then(|(_, c)| c.to_digit(16))
            .ok_or("\\u must be followed by four hex digits")?;
        value = value * 16 + digit;
    }
    Ok(value)
}
