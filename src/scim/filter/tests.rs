use serde_json::Number;

use super::*;
use crate::scim::testing::assert_mentions;

fn parse(s: &str) -> Filter {
    parse_filter(s).unwrap_or_else(|e| panic!("`{s}` should parse: {e}"))
}

fn error(s: &str) -> FilterError {
    match parse_filter(s) {
        Ok(f) => panic!("`{s}` should fail, parsed as {f:?}"),
        Err(e) => e,
    }
}

fn path(s: &str) -> AttrPath {
    parse_attr_path(s).unwrap()
}

fn cmp(p: &str, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare {
        path: path(p),
        op,
        value,
    }
}

fn string(s: &str) -> CompValue {
    CompValue::String(s.to_owned())
}

fn and(l: Filter, r: Filter) -> Filter {
    Filter::And(Box::new(l), Box::new(r))
}

fn or(l: Filter, r: Filter) -> Filter {
    Filter::Or(Box::new(l), Box::new(r))
}

fn value_path(p: &str, inner: Filter) -> Filter {
    Filter::ValuePath {
        path: path(p),
        filter: Box::new(inner),
    }
}

/// Every example filter of RFC 7644 §3.4.2.2.
const RFC_EXAMPLES: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    r#"title pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
];

const OTHER_EXAMPLES: &[&str] = &[
    r#"userName eq "a@b.c""#,
    r#"externalId eq "x""#,
    r#"displayName eq "Group A""#,
    r#"members[value eq "id"]"#,
    r#"members.value eq "id""#,
    r#"members.$ref pr"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
    r#"a eq 1 or b eq 2 and c eq 3 or not (d eq true)"#,
    r#"(a eq 1 or b eq 2) and (c eq 3 or d eq null)"#,
    r#"a pr and (b pr and c pr)"#,
    r#"a pr or (b pr or c pr)"#,
    r#"emails[type eq "work" or (type eq "home" and value ew "@example.com")]"#,
    r#"emails[not (type eq "work")]"#,
    r#"x eq -1.5e-3 and y eq 0 and z eq 18446744073709551615 and w eq -9"#,
    r#"s eq "tab\there \"q\" back\\slash é \u0001 😀""#,
    r#"not (not (a pr))"#,
    r#"x eq -1.5e93 or x eq 0.1 or x eq 18446744073709551616 or x eq -0 or x eq -0.0"#,
    r#"x eq 2.2250738585072014e-308 or x eq 1.7976931348623157e308 or x eq 5e-324"#,
];

#[test]
fn rfc_examples_parse_to_expected_trees() {
    use CompareOp::*;
    let employee = || cmp("userType", Eq, string("Employee"));
    let emails_or = || {
        or(
            cmp("emails", Co, string("example.com")),
            cmp("emails.value", Co, string("example.org")),
        )
    };
    let work_at = |domain: &str| {
        and(
            cmp("type", Eq, string("work")),
            cmp("value", Co, string(domain)),
        )
    };
    let expected = [
        cmp("userName", Eq, string("bjensen")),
        cmp("name.familyName", Co, string("O'Malley")),
        cmp("userName", Sw, string("J")),
        Filter::Compare {
            path: AttrPath::new(
                Some("urn:ietf:params:scim:schemas:core:2.0:User"),
                "userName",
                None,
            ),
            op: Sw,
            value: string("J"),
        },
        Filter::Present(path("title")),
        cmp("meta.lastModified", Gt, string("2011-05-13T04:42:34Z")),
        cmp("meta.lastModified", Ge, string("2011-05-13T04:42:34Z")),
        cmp("meta.lastModified", Lt, string("2011-05-13T04:42:34Z")),
        cmp("meta.lastModified", Le, string("2011-05-13T04:42:34Z")),
        and(Filter::Present(path("title")), employee()),
        or(
            Filter::Present(path("title")),
            cmp("userType", Eq, string("Intern")),
        ),
        cmp(
            "schemas",
            Eq,
            string("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        ),
        and(employee(), emails_or()),
        and(
            cmp("userType", Ne, string("Employee")),
            Filter::Not(Box::new(emails_or())),
        ),
        and(employee(), cmp("emails.type", Eq, string("work"))),
        and(employee(), value_path("emails", work_at("@example.com"))),
        or(
            value_path("emails", work_at("@example.com")),
            value_path(
                "ims",
                and(
                    cmp("type", Eq, string("xmpp")),
                    cmp("value", Co, string("@foo.com")),
                ),
            ),
        ),
    ];
    assert_eq!(RFC_EXAMPLES.len(), expected.len());
    for (text, want) in RFC_EXAMPLES.iter().zip(expected) {
        assert_eq!(parse(text), want, "{text}");
    }
}

#[test]
fn display_round_trips() {
    for text in RFC_EXAMPLES.iter().chain(OTHER_EXAMPLES) {
        let tree = parse(text);
        let printed = tree.to_string();
        assert_eq!(parse(&printed), tree, "{text} printed as {printed}");
        // Canonical text is a fixed point.
        assert_eq!(parse(&printed).to_string(), printed);
    }
}

#[test]
fn display_is_canonical() {
    let cases = [
        (r#"userName  EQ   "x""#, r#"userName eq "x""#),
        ("Not(a PR)", "not (a pr)"),
        ("(a pr)", "a pr"),
        ("a pr and (b pr or c pr)", "a pr and (b pr or c pr)"),
        ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        (
            "x eq TRUE and y eq False and z eq NULL",
            "x eq true and y eq false and z eq null",
        ),
        (r#"s eq "\u00e9\/\n""#, r#"s eq "é/\n""#),
        (r#"emails[ type eq "work" ]"#, r#"emails[type eq "work"]"#),
    ];
    for (input, canonical) in cases {
        assert_eq!(parse(input).to_string(), canonical, "{input}");
    }
}

#[test]
fn precedence_not_over_and_over_or() {
    use CompareOp::Eq;
    let n = |v: i64| CompValue::Number(Number::from(v));
    assert_eq!(
        parse("a eq 1 or b eq 2 and c eq 3"),
        or(
            cmp("a", Eq, n(1)),
            and(cmp("b", Eq, n(2)), cmp("c", Eq, n(3)))
        )
    );
    assert_eq!(
        parse("a eq 1 and b eq 2 or c eq 3"),
        or(
            and(cmp("a", Eq, n(1)), cmp("b", Eq, n(2))),
            cmp("c", Eq, n(3))
        )
    );
    assert_eq!(
        parse("not (a eq 1) and b eq 2"),
        and(
            Filter::Not(Box::new(cmp("a", Eq, n(1)))),
            cmp("b", Eq, n(2))
        )
    );
    assert_eq!(
        parse("a pr or b pr or c pr"),
        or(
            or(Filter::Present(path("a")), Filter::Present(path("b"))),
            Filter::Present(path("c"))
        )
    );
}

#[test]
fn keywords_and_operators_are_case_insensitive() {
    assert_eq!(parse(r#"userName EQ "x""#), parse(r#"userName eq "x""#));
    assert_eq!(
        parse("Not (a Pr) AND b pR Or c PR"),
        parse("not (a pr) and b pr or c pr")
    );
    for op in ["eq", "NE", "Co", "sW", "EW", "gt", "GE", "lt", "LE"] {
        let f = parse(&format!("a {op} 1"));
        let Filter::Compare { op: parsed, .. } = f else {
            panic!("{f:?}")
        };
        assert!(parsed.as_str().eq_ignore_ascii_case(op));
    }
}

#[test]
fn attribute_spelling_is_kept_and_compared_case_insensitively() {
    let Filter::Present(p) = parse("NAME.FamilyName pr") else {
        panic!()
    };
    assert_eq!(p.name, "NAME");
    assert_eq!(p.sub.as_deref(), Some("FamilyName"));
    assert!(p.eq_ignore_case(&path("name.familyname")));
    assert!(!p.eq_ignore_case(&path("name")));
}

#[test]
fn urn_prefixes_split_at_last_colon() {
    for (urn, name, sub) in [
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "manager",
            "value",
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "name",
            "familyName",
        ),
    ] {
        let p = path(&format!("{urn}:{name}.{sub}"));
        let parts = (p.urn.as_deref(), p.name.as_str(), p.sub.as_deref());
        assert_eq!(parts, (Some(urn), name, Some(sub)));
    }
    let p = path("manager.$ref");
    assert_eq!(p.sub.as_deref(), Some("$ref"));
    let bare = path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    assert_eq!(
        bare.as_schema_urn().as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(path("name.givenName").as_schema_urn(), None);
}

#[test]
fn values_numbers_booleans_null_and_dates() {
    let value = |s: &str| match parse(s) {
        Filter::Compare { value, .. } => value,
        other => panic!("{other:?}"),
    };
    assert_eq!(value("a eq 42"), CompValue::Number(Number::from(42)));
    assert_eq!(value("a eq -7"), CompValue::Number(Number::from(-7)));
    assert_eq!(value("a eq 0.5").to_string(), "0.5");
    assert_eq!(value("a eq 1E3").to_string(), "1000.0");
    assert_eq!(value("a eq true"), CompValue::Bool(true));
    assert_eq!(value("a eq FALSE"), CompValue::Bool(false));
    assert_eq!(value("a eq Null"), CompValue::Null);
    assert_eq!(
        value(r#"meta.created lt "2024-01-02T03:04:05.123+01:00""#),
        string("2024-01-02T03:04:05.123+01:00")
    );
    assert_eq!(value(r#"a eq "42""#), string("42"));
}

#[test]
fn string_escapes_are_decoded() {
    let value = |s: &str| match parse(s) {
        Filter::Compare { value, .. } => value,
        other => panic!("{other:?}"),
    };
    assert_eq!(value(r#"a eq "say \"hi\"""#), string(r#"say "hi""#));
    assert_eq!(value(r#"a eq "back\\slash""#), string(r"back\slash"));
    assert_eq!(value(r#"a eq "caf\u00e9""#), string("café"));
    assert_eq!(value(r#"a eq "caf\u00E9""#), string("café"));
    assert_eq!(value(r#"a eq "\ud83d\ude00""#), string("😀"));
    assert_eq!(value(r#"a eq "\/\b\f\n\r\t""#), string("/\u{8}\u{c}\n\r\t"));
    assert_eq!(value(r#"a eq "( [and] or )""#), string("( [and] or )"));
    assert_eq!(value(r#"a eq """#), string(""));
}

#[test]
fn whitespace_is_tolerated() {
    let tight = parse(r#"userName eq "x" and not (emails[type eq "work"])"#);
    let loose = parse(" \t userName   eq\n\"x\"   and  not   ( emails [ type  eq  \"work\" ] )  ");
    assert_eq!(tight, loose);
    assert_eq!(parse("not(a pr)"), parse("not (a pr)"));
}

#[test]
fn not_is_an_attribute_name_unless_followed_by_paren() {
    assert_eq!(parse("not pr"), Filter::Present(path("not")));
    assert_eq!(
        parse("and eq 1 and or pr"),
        and(
            cmp("and", CompareOp::Eq, CompValue::Number(Number::from(1))),
            Filter::Present(path("or")),
        )
    );
}

#[test]
fn entra_sub_attribute_after_value_path_reads_as_one_element() {
    let parsed = parse(r#"emails[type eq "work"].value eq "x@example.com""#);
    let expected = Filter::ValuePath {
        path: path("emails"),
        filter: Box::new(Filter::And(
            Box::new(cmp("type", CompareOp::Eq, string("work"))),
            Box::new(cmp("value", CompareOp::Eq, string("x@example.com"))),
        )),
    };
    assert_eq!(parsed, expected);
    assert_eq!(
        parse(&parsed.to_string()),
        expected,
        "prints as the bracketed form"
    );
    let e = error(r#"emails[type eq "work"].1x eq "a""#);
    assert!(e.to_string().contains("sub-attribute"), "{e}");
    assert_eq!(e.scim_type(), "invalidFilter");
}

fn assert_error(input: &str, expected_fragments: &[&str]) {
    assert_mentions(&input, &error(input).to_string(), expected_fragments);
}

#[test]
fn errors_are_helpful() {
    assert_error(
        r#"userName eq "bjensen"#,
        &["column 13", "unterminated string"],
    );
    assert_error(
        "userName eq",
        &["column 12", "expected a value", "found end of input"],
    );
    assert_error(
        "userName eq bjensen",
        &["column 13", "\"double-quoted\" string", "`bjensen`"],
    );
    assert_error(
        r#"userName like "x""#,
        &["column 10", "unknown operator `like`", "eq, ne"],
    );
    assert_error(
        r#"userName eq "x" foo"#,
        &["column 17", "`and`, `or` or end of input", "`foo`"],
    );
    assert_error(r#"userName eq "x")"#, &["column 16", "found `)`"]);
    assert_error(r#"a[b[c eq 1]]"#, &["column 3", "cannot be nested", "`b[`"]);
    assert_error("", &["empty"]);
    assert_error("   \t", &["empty"]);
    assert_error(
        "userName",
        &["column 9", "expected an operator", "end of input"],
    );
    assert_error("(a pr", &["column 6", "`)`"]);
    assert_error("a pr and", &["column 9", "an attribute path, `not` or `(`"]);
    assert_error("emails[type eq 1", &["column 17", "`]`"]);
    assert_error("not a pr", &["column 5", "expected `(` after `not`", "`a`"]);
    assert_error(
        "1abc pr",
        &[
            "column 1",
            "invalid attribute path `1abc`",
            "start with a letter",
        ],
    );
    assert_error("a.b.c pr", &["at most one sub-attribute"]);
    assert_error("name. pr", &["sub-attribute name"]);
    assert_error(":name pr", &["schema URI"]);
    assert_error("a eq 01", &["invalid number `01`"]);
    assert_error("a eq 1e400", &["invalid number `1e400`"]);
    assert_error("a eq 1.", &["invalid number"]);
    assert_error(r#"a eq "\x""#, &["column 7", "unknown escape"]);
    assert_error(r#"a eq "\u12""#, &["four hex digits"]);
    assert_error(r#"a eq "\ud800x""#, &["surrogate"]);
    assert_error(r#"a eq "\udc00""#, &["unpaired low surrogate"]);
    assert_error(
        "a eq \"line\nbreak\"",
        &["control characters must be escaped"],
    );
    assert_error(
        r#"emails[urn:x:type eq 1]"#,
        &["plain sub-attribute name", "urn:x:type"],
    );
    assert_error(r#"emails[type.x eq 1]"#, &["plain sub-attribute name"]);
    assert_error(
        r#"name.givenName[x eq 1]"#,
        &["multi-valued attribute", "name.givenName"],
    );
    assert_error(
        r#"a eq "x" and and"#,
        &["expected an operator", "end of input"],
    );
    assert_error("]", &["found `]`"]);
    assert_error(r#""x" eq a"#, &["column 1", "found the string \"x\""]);
    assert_error("é eq 1", &["column 1", "invalid attribute path `é`"]);
    assert_error(r#"a eq "é" zz"#, &["column 10", "`zz`"]);
}

#[test]
fn error_columns_count_characters() {
    // `é` is two bytes; the column is still the ninth character.
    let e = error(r#"a eq "é" zz"#);
    assert_eq!(e.column(), Some(10));
    assert_eq!(FilterError::Empty.column(), None);
}

#[test]
fn from_str_matches_parse() {
    let f: Filter = r#"userName eq "x""#.parse().unwrap();
    assert_eq!(f, parse(r#"userName eq "x""#));
    let p: AttrPath = " name.givenName ".parse().unwrap();
    assert_eq!(p, AttrPath::new(None, "name", Some("givenName")));
    assert!(" ".parse::<AttrPath>().is_err());
    assert!("a b".parse::<AttrPath>().is_err());
}

#[test]
fn an_escaped_nul_is_refused_like_a_raw_one() {
    assert_error(r#"members co "\u0000""#, &["NUL"]);
    assert_error(r#"userName eq "a\u0000b""#, &["NUL"]);
}
