//! Coercing one attribute's value to its declared type; see the parent module for the
//! rules and why.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::enforce_single_primary;
use crate::scim::error::{ScimError, ScimType};
use crate::scim::schema::def::{AttrType, AttributeDef, Mutability};

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A whole attribute's value; `None` means no value.
pub(super) fn attribute_value(
    def: &AttributeDef,
    value: &Value,
    name: &str,
) -> Result<Option<Value>, ScimError> {
    if !def.multi_valued {
        return match value {
            // A list of one complex value is that value (Entra ID sends `manager` as
            // `[{"$ref": …, "value": …}]`); a longer one would lose data.
            Value::Array(items) if def.ty == AttrType::Complex && items.len() <= 1 => items
                .first()
                .map_or(Ok(None), |v| single_value(def, v, name)),
            Value::Array(_) => Err(type_error(name, "a single value", "an array")),
            other => single_value(def, other, name),
        };
    }
    let mut out = Vec::new();
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.is_array() {
                    return Err(type_error(
                        &format!("{name}[{i}]"),
                        "a single value",
                        "an array",
                    ));
                }
                out.extend(single_value(def, item, &format!("{name}[{i}]"))?);
            }
        }
        other => out.extend(single_value(def, other, name)?),
    }
    if def.sub("primary").is_some() {
        enforce_single_primary(&mut out);
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// One value of the attribute's type (an element, for a multi-valued attribute).
fn single_value(def: &AttributeDef, value: &Value, name: &str) -> Result<Option<Value>, ScimError> {
    if let Value::String(s) = value {
        if s.is_empty() {
            return Ok(None);
        }
    }
    let coerced = match (def.ty, value) {
        (_, Value::Null) => return Ok(None),
        (AttrType::String | AttrType::Reference, Value::String(_))
        | (AttrType::Boolean, Value::Bool(_))
        | (AttrType::Decimal, Value::Number(_)) => Some(value.clone()),
        (AttrType::Boolean, Value::String(s)) => parse_bool(s).map(Value::Bool),
        (AttrType::Integer, Value::Number(n)) => integer(n),
        (AttrType::Integer, Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
        (AttrType::Decimal, Value::String(s)) => s.trim().parse::<Number>().ok().map(Value::Number),
        (AttrType::DateTime, Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(|_| value.clone()),
        (AttrType::Binary, Value::String(s)) => {
            let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            BASE64.decode(&compact).ok().map(|_| Value::String(compact))
        }
        (AttrType::Complex, Value::Object(obj)) => return complex_value(def, obj, name),
        (AttrType::Complex, Value::String(_) | Value::Number(_) | Value::Bool(_))
            if def.sub("value").is_some() =>
        {
            let mut wrapped = Map::new();
            wrapped.insert("value".into(), value.clone());
            return complex_value(def, &wrapped, name);
        }
        _ => None,
    };
    if let Some(v) = coerced {
        if let Value::String(text) = &v {
            check_text(def, text, name)?;
        }
        return Ok(Some(v));
    }
    let got = match (def.ty, value) {
        (AttrType::Boolean, Value::String(_)) => "a string other than \"true\" or \"false\"",
        (AttrType::Integer, Value::String(_)) => "a string that is not an integer",
        (AttrType::Decimal, Value::String(_)) => "a string that is not a number",
        (AttrType::DateTime | AttrType::Binary, Value::String(_)) => "a string in another format",
        (_, other) => json_type(other),
    };
    Err(type_error(name, expected(def.ty), got))
}

/// The limits a stored text must meet: its length, and for `emails.value` the shape of an
/// email address. The detail names the attribute, never the value.
fn check_text(def: &AttributeDef, text: &str, name: &str) -> Result<(), ScimError> {
    if text.chars().count() > def.max_length {
        return Err(invalid(format!(
            "{name} is longer than {} characters",
            def.max_length
        )));
    }
    if def.is_email && !is_email_address(text) {
        return Err(invalid(format!(
            "{name} is not an email address (expected local-part@domain.example)"
        )));
    }
    Ok(())
}

/// A syntactic check only, so that `emails` holds addresses and nothing else: one `@`, a
/// local part without whitespace or control characters, and a domain of at least two
/// labels of letters, digits and inner hyphens (a trailing root dot allowed). Quoted local
/// parts and address literals are refused: no IdP sends them. Which domains are acceptable
/// (IDNA, verified owners) is the domain model's business, not this one's.
pub(crate) fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || domain.contains('@')
        || local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    {
        return false;
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

fn complex_value(
    def: &AttributeDef,
    obj: &Map<String, Value>,
    name: &str,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in obj {
        let Some(sub) = def.sub(key) else { continue };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = attribute_value(sub, value, &format!("{name}.{}", sub.name))? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn integer(n: &Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return Some(Value::from(i));
    }
    // A whole float such as 5.0, within i64 range (2^63 is exact as an f64).
    let f = n.as_f64()?;
    let bound = -(i64::MIN as f64);
    (f.fract() == 0.0 && f >= -bound && f < bound).then(|| Value::from(f as i64))
}

fn expected(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Reference => "a string holding a URI",
        AttrType::Boolean => "a boolean (true or false)",
        AttrType::Integer => "an integer",
        AttrType::Decimal => "a decimal number",
        AttrType::DateTime => "a dateTime string in RFC 3339 form, e.g. 2008-01-23T04:56:22Z",
        AttrType::Binary => "a base64-encoded string",
        AttrType::Complex => "a JSON object",
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_error(name: &str, expected: &str, got: &str) -> ScimError {
    invalid(format!("attribute `{name}` must be {expected}; got {got}"))
}

pub(super) fn invalid(detail: String) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}
