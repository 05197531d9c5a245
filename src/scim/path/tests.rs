use super::*;
use crate::scim::filter::{parse_filter, CompValue, CompareOp};
use crate::scim::testing::assert_mentions;

fn parse(s: &str) -> PatchPath {
    parse_patch_path(s).unwrap_or_else(|e| panic!("`{s}` should parse: {e}"))
}

fn attr(urn: Option<&str>, name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath::new(urn, name, sub)
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[test]
fn rfc_and_idp_paths() {
    assert_eq!(parse("active"), PatchPath::Attr(attr(None, "active", None)));
    assert_eq!(
        parse("name.givenName"),
        PatchPath::Attr(attr(None, "name", Some("givenName")))
    );
    assert_eq!(
        parse(&format!("{ENTERPRISE}:manager")),
        PatchPath::Attr(attr(Some(ENTERPRISE), "manager", None))
    );
    assert_eq!(
        parse(&format!("{ENTERPRISE}:employeeNumber")),
        PatchPath::Attr(attr(Some(ENTERPRISE), "employeeNumber", None))
    );
    assert_eq!(
        parse(&format!("{ENTERPRISE}:manager.$ref")),
        PatchPath::Attr(attr(Some(ENTERPRISE), "manager", Some("$ref")))
    );
    for (input, name, sub) in [
        (r#"emails[type eq "work"].value"#, "emails", "value"),
        (
            r#"addresses[type eq "work"].streetAddress"#,
            "addresses",
            "streetAddress",
        ),
    ] {
        let expected = PatchPath::ValuePath {
            attr: attr(None, name, None),
            filter: parse_filter(r#"type eq "work""#).unwrap(),
            sub: Some(sub.to_owned()),
        };
        assert_eq!(parse(input), expected, "{input}");
    }
    let PatchPath::ValuePath {
        attr: a,
        filter,
        sub,
    } = parse(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#)
    else {
        panic!()
    };
    assert_eq!((a.name.as_str(), sub), ("members", None));
    assert_eq!(
        filter,
        Filter::Compare {
            path: attr(None, "value", None),
            op: CompareOp::Eq,
            value: CompValue::String("2819c223-7f76-453a-919d-413861904646".to_owned()),
        }
    );
    assert!(matches!(
        parse(r#"emails[type eq "work" and not (primary eq true)].display"#),
        PatchPath::ValuePath { sub: Some(_), .. }
    ));
}

#[test]
fn paths_round_trip_through_display() {
    for text in [
        "active",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        r#"emails[type eq "work"].value"#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"addresses[type eq "work" or primary eq true].streetAddress"#,
    ] {
        let path = parse(text);
        assert_eq!(path.to_string(), text);
        assert_eq!(parse(&path.to_string()), path);
    }
}

fn path_error(input: &str, fragments: &[&str]) {
    let e = match parse_patch_path(input) {
        Ok(p) => panic!("`{input}` should fail, parsed as {p:?}"),
        Err(e) => e,
    };
    assert_eq!(e.scim_type(), "invalidPath");
    assert_mentions(&input, &e.to_string(), fragments);
}

#[test]
fn path_errors_are_helpful() {
    path_error("", &["empty"]);
    path_error(
        r#"emails[type eq "work"]value"#,
        &["column 23", "`.` and a sub-attribute"],
    );
    path_error(
        r#"emails[type eq "work"]."#,
        &["column 23", "sub-attribute"],
    );
    path_error(r#"emails[type eq "work"].a.b"#, &["`.a.b`"]);
    path_error(r#"emails[type eq "work"] extra"#, &["`extra`"]);
    path_error(
        r#"emails[type eq "work"].value eq "x""#,
        &["end of path", "`eq`"],
    );
    path_error(r#"emails[type eq "work""#, &["`]`", "end of input"]);
    path_error(r#"emails[type[value eq 1]]"#, &["cannot be nested"]);
    path_error(r#"name.givenName[type eq 1]"#, &["multi-valued attribute"]);
    path_error("name givenName", &["column 6", "`[` or end of path"]);
    path_error("members[]", &["column 9", "an attribute path"]);
    path_error("(active)", &["column 1", "an attribute path", "`(`"]);
    path_error("1st", &["invalid attribute path `1st`"]);
}

#[test]
fn attribute_lists() {
    let list = parse_attribute_list(&format!(
        " userName, name.familyName ,{ENTERPRISE}:manager.value,members.$ref "
    ))
    .unwrap();
    assert_eq!(
        list,
        vec![
            attr(None, "userName", None),
            attr(None, "name", Some("familyName")),
            attr(Some(ENTERPRISE), "manager", Some("value")),
            attr(None, "members", Some("$ref")),
        ]
    );
    assert_eq!(parse_attribute_list(""), Ok(vec![]));
    assert_eq!(parse_attribute_list("  "), Ok(vec![]));
    assert_eq!(
        parse_attribute_list("\tid\n").unwrap(),
        vec![attr(None, "id", None)]
    );
    let msg = |s: &str| parse_attribute_list(s).unwrap_err().to_string();
    assert_eq!(
        msg("a,,b"),
        "at column 3: expected an attribute path, found an empty item"
    );
    assert!(msg("a, b,").contains("column 6"), "{}", msg("a, b,"));
    assert!(msg("a, b c").contains("column 4"), "{}", msg("a, b c"));
    assert!(msg("a, b c").contains("`b c`"), "{}", msg("a, b c"));
    assert!(msg(r#"emails[type eq "work"]"#).contains("invalid attribute path"));
}
