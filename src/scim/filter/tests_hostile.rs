//! Hostile and random input: every case must return (usually an error) quickly, never
//! panic or overflow the stack.

use super::*;
use crate::scim::path::{parse_attribute_list_with, parse_patch_path_with};

const UNLIMITED_LEN: Limits = Limits {
    max_len: usize::MAX,
    max_depth: 32,
    max_nodes: 256,
};

/// Generous enough that canonical re-printing never trips a limit the original passed.
const GENEROUS: Limits = Limits {
    max_len: 1 << 20,
    max_depth: 64,
    max_nodes: 1024,
};

/// Parses a filter with no length limit, so that the depth and node limits are what trips.
fn unlimited(input: &str) -> Result<Filter, FilterError> {
    parse_filter_with(input, &UNLIMITED_LEN)
}

/// Runs a hostile case. Speed is measured by benchmarks, not asserted here; what must hold
/// is that the parser returns (the stack survives) and what it returns.
fn timed<T>(_what: &str, f: impl FnOnce() -> T) -> T {
    f()
}

#[test]
fn hundred_thousand_open_parens_fail_fast() {
    let input = "(".repeat(100_000);
    let e = timed("parens", || parse_filter(&input)).unwrap_err();
    assert_eq!(
        e,
        FilterError::TooLong {
            len: 100_000,
            max: 4096
        }
    );
    let e = timed("parens unlimited", || unlimited(&input)).unwrap_err();
    assert_eq!(
        e,
        FilterError::TooDeep {
            column: 33,
            max: 32
        }
    );
    assert!(e.to_string().contains("nest deeper than 32"), "{e}");
}

#[test]
fn deep_not_and_brackets_fail_fast() {
    let input = format!("{}a pr{}", "not (".repeat(50_000), ")".repeat(50_000));
    let e = timed("not", || unlimited(&input)).unwrap_err();
    assert!(matches!(e, FilterError::TooDeep { .. }), "{e:?}");
    let input = "a[".repeat(50_000);
    let e = timed("brackets", || unlimited(&input)).unwrap_err();
    assert!(matches!(e, FilterError::NestedValuePath { .. }), "{e:?}");
    let input = format!("a[{}", "(".repeat(50_000));
    let path = |input: &str| parse_patch_path_with(input, &UNLIMITED_LEN);
    let e = timed("brackets+parens", || path(&input)).unwrap_err();
    assert!(matches!(e.0, FilterError::TooDeep { .. }), "{e:?}");
}

#[test]
fn one_megabyte_filter_fails_fast() {
    let clause = r#"userName eq "bjensen" or "#;
    let input = clause.repeat((1 << 20) / clause.len());
    let e = timed("1MB", || parse_filter(&input)).unwrap_err();
    assert!(matches!(e, FilterError::TooLong { .. }), "{e:?}");
    assert!(e.to_string().contains("at most 4096"), "{e}");
    let e = timed("1MB unlimited", || unlimited(&input)).unwrap_err();
    assert!(
        matches!(e, FilterError::TooManyElements { max: 256, .. }),
        "{e:?}"
    );
    let huge_string = format!(r#"a eq "{}""#, "x".repeat(1 << 20));
    assert!(timed("1MB string", || unlimited(&huge_string)).is_ok());
    let list = "a,".repeat(1 << 19);
    let attributes = |input: &str| parse_attribute_list_with(input, &UNLIMITED_LEN);
    let e = timed("1MB list", || attributes(&list)).unwrap_err();
    assert!(matches!(e.0, FilterError::TooManyElements { .. }), "{e:?}");
}

#[test]
fn ten_thousand_chained_ors_fail_fast() {
    let input = vec!["a pr"; 10_001].join(" or ");
    let e = timed("ors", || parse_filter(&input)).unwrap_err();
    assert!(matches!(e, FilterError::TooLong { .. }), "{e:?}");
    let e = timed("ors unlimited", || unlimited(&input)).unwrap_err();
    assert!(
        matches!(e, FilterError::TooManyElements { max: 256, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("more than 256 elements"), "{e}");
}

#[test]
fn limits_are_exact() {
    let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_filter(&nested(32)).is_ok());
    assert!(matches!(
        parse_filter(&nested(33)),
        Err(FilterError::TooDeep { .. })
    ));
    // n presence tests joined by `or` are 2n - 1 nodes.
    let chain = |n: usize| vec!["a pr"; n].join(" or ");
    assert!(parse_filter(&chain(128)).is_ok());
    assert!(matches!(
        parse_filter(&chain(129)),
        Err(FilterError::TooManyElements { .. })
    ));
    let exactly = "a".repeat(4096);
    assert!(matches!(
        parse_filter(&exactly),
        Err(FilterError::Unexpected { .. })
    ));
    assert!(matches!(
        parse_filter(&format!("{exactly}b")),
        Err(FilterError::TooLong { .. })
    ));
}

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\\",
    "\\u",
    "\\ud83d",
    "\\ude00",
    " ",
    "  ",
    "\t",
    "eq",
    "EQ",
    "pr",
    "and",
    "or",
    "not",
    "not (",
    "true",
    "null",
    "-",
    "0",
    "1.5e3",
    "e",
    ".",
    ":",
    "urn:x:",
    "emails",
    "type",
    "value",
    "$ref",
    "é",
    "😀",
    "\u{0}",
    "\n",
    "'",
    ",",
    "userName",
    "\"x\"",
    "[type eq \"work\"]",
    ".value",
    "1e400",
    "ö",
];

fn random_input(rng: &mut Rng) -> String {
    let parts = rng.below(24);
    let mut bytes = Vec::new();
    for _ in 0..parts {
        if rng.below(8) == 0 {
            bytes.push(rng.next() as u8);
        } else {
            bytes.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

fn space(rng: &mut Rng) -> &'static str {
    pick(rng, &[" ", " ", " ", "  ", "\t", " \n "])
}

/// A random filter that the grammar accepts, in varied spelling and spacing.
fn grammatical_filter(rng: &mut Rng, depth: usize, in_brackets: bool) -> String {
    let choice = if depth == 0 {
        rng.below(2)
    } else {
        rng.below(8)
    };
    match choice {
        0 | 1 => {
            let path = if in_brackets {
                pick(rng, &["type", "value", "Primary", "display", "$ref"]).to_owned()
            } else {
                pick(
                    rng,
                    &[
                        "userName",
                        "name.familyName",
                        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                        "members.$ref",
                        "not",
                        "and",
                    ],
                )
                .to_owned()
            };
            if choice == 1 {
                return format!("{path}{}{}", space(rng), pick(rng, &["pr", "PR", "Pr"]));
            }
            let op = pick(rng, &["eq", "NE", "co", "Sw", "ew", "gt", "ge", "LT", "le"]);
            let value = pick(
                rng,
                &[
                    r#""bjensen""#,
                    r#""O'Malley""#,
                    r#""\u00e9\"\\""#,
                    r#""😀\ud83d\ude00""#,
                    "true",
                    "FALSE",
                    "null",
                    "0",
                    "-12",
                    "3.25e-2",
                    "1E9",
                    "18446744073709551616",
                    r#""""#,
                    r#""( and ] or [""#,
                ],
            );
            format!("{path}{}{op}{}{value}", space(rng), space(rng))
        }
        2 if !in_brackets => {
            let inner = grammatical_filter(rng, depth.saturating_sub(1), true);
            format!(
                "{}[{}]",
                pick(rng, &["emails", "members", "urn:x:y:addresses"]),
                inner
            )
        }
        2 | 3 => format!("({})", grammatical_filter(rng, depth - 1, in_brackets)),
        4 => format!(
            "{}({})",
            pick(rng, &["not ", "NOT", "Not  "]),
            grammatical_filter(rng, depth - 1, in_brackets)
        ),
        _ => {
            let l = grammatical_filter(rng, depth - 1, in_brackets);
            let r = grammatical_filter(rng, depth - 1, in_brackets);
            let kw = pick(rng, &["and", "or", "AND", "Or"]);
            format!("{l}{}{kw}{}{r}", space(rng), space(rng))
        }
    }
}

#[test]
fn grammatical_filters_parse_and_round_trip_and_mutations_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..3_000 {
        let text = grammatical_filter(&mut rng, 4, false);
        let filter = parse_filter_with(&text, &GENEROUS)
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"));
        let printed = filter.to_string();
        assert_eq!(
            parse_filter_with(&printed, &GENEROUS),
            Ok(filter),
            "{text:?} printed as {printed:?}"
        );
        let mut bytes = text.into_bytes();
        for _ in 0..4 {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            bytes[at] = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes()[0];
            check_everything(&String::from_utf8_lossy(&bytes));
        }
    }
}

/// Successful parses must print canonically and re-parse to the same tree.
fn check_everything(input: &str) {
    round_trips(input, parse_filter(input), |printed| {
        parse_filter_with(printed, &GENEROUS)
    });
    round_trips(
        input,
        crate::scim::path::parse_patch_path(input),
        |printed| parse_patch_path_with(printed, &GENEROUS),
    );
    if let Ok(list) = crate::scim::path::parse_attribute_list(input) {
        for attr in list {
            assert_eq!(parse_attr_path(&attr.to_string()), Ok(attr));
        }
    }
}

/// If `input` parsed, its printed form must `reparse` to the same value.
fn round_trips<T, E>(input: &str, parsed: Result<T, E>, reparse: impl Fn(&str) -> Result<T, E>)
where
    T: std::fmt::Display + std::fmt::Debug + PartialEq,
    E: std::fmt::Debug + PartialEq,
{
    if let Ok(value) = parsed {
        let printed = value.to_string();
        let reparsed = reparse(&printed);
        assert_eq!(
            reparsed.as_ref(),
            Ok(&value),
            "{input:?} printed as {printed:?}"
        );
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..30_000 {
        check_everything(&random_input(&mut rng));
    }
}

#[test]
fn truncated_and_mutated_examples_never_panic() {
    let examples = [
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "a\u00e9\"""#,
        r#"emails[type eq "work"].value"#,
        r#"x eq -1.5e-3 or y eq true and not (z eq null)"#,
    ];
    let mut rng = Rng(42);
    for example in examples {
        for (cut, _) in example.char_indices() {
            check_everything(&example[..cut]);
            check_everything(&example[cut..]);
        }
        let bytes = example.as_bytes();
        for _ in 0..2_000 {
            let mut mutated = bytes.to_vec();
            let at = rng.below(mutated.len());
            match rng.below(3) {
                0 => mutated[at] = rng.next() as u8,
                1 => {
                    mutated.remove(at);
                }
                _ => mutated.insert(at, FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes()[0]),
            }
            check_everything(&String::from_utf8_lossy(&mutated));
        }
    }
}
