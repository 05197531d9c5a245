//! Case-insensitive matching of Unicode text gives the same answers on both backends:
//! filters and sorts over JSON-held attributes fold with `scimd_fold`, the SQL twin of
//! `domain::fold_case` (SQLite's `lower()` folds only ASCII; PostgreSQL's follows the
//! database's locale).

use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// (local part, title, givenName, department)
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("uber", "Übermensch", "Zoë", "Forschung"),
    ("strasse", "STRAẞE", "Jürgen", "Straße"),
    ("ss", "Strasse", "Jurgen", "STRASSE"),
    ("greek", "ΟΔΟΣ", "Σωκράτης", "ΟΔΟΣΤΡΩΤΗΡΑΣ"),
    ("sigma", "οδοσ", "σωκρατης", "Ψ"),
    ("turk", "İSTANBUL", "Işık", "IŞIK"),
    ("plain", "Istanbul", "Isik", "isik"),
    ("cyr", "Ёлка", "Дмитрий", "ОТДЕЛ"),
    ("latin", "CAFÉ", "Åsa", "Ñandú"),
];

async fn people(app: &TestApp) -> String {
    let org = app.bootstrap("Acme", &["acme.example"]).await;
    let token = org.scim_token.token.clone();
    for (local, title, given, department) in PEOPLE {
        let email = format!("{local}@acme.example");
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": email, "title": title,
            "name": {"givenName": given, "familyName": "Test"},
            "emails": [{"value": email, "primary": true}],
            ENTERPRISE: {"department": department},
        });
        app.create_user(&token, body).await;
    }
    token
}

fn enc(filter: &str) -> String {
    percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The local parts of the users `filter` finds, in the order the server returns them.
async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/Users?{query}"), token).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.body["Resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|u| {
            let name = u["userName"].as_str().unwrap_or_default();
            name.split('@').next().unwrap_or_default().to_owned()
        })
        .collect()
}

async fn filtered(app: &TestApp, token: &str, filter: &str) -> Vec<String> {
    let mut names = found(app, token, &format!("filter={}", enc(filter))).await;
    names.sort();
    names
}

async fn unicode_text_matches_ignoring_case_the_same_on_both_backends(app: TestApp) {
    let token = people(&app).await;
    let department = format!("{ENTERPRISE}:department");
    // (filter, the users it finds)
    let cases: Vec<(String, &[&str])> = vec![
        // Accented Latin, which SQLite's lower() left alone.
        ("title eq \"übermensch\"".into(), &["uber"]),
        ("title sw \"ÜBER\"".into(), &["uber"]),
        ("name.givenName eq \"ZOË\"".into(), &["uber"]),
        ("title eq \"café\"".into(), &["latin"]),
        ("name.givenName co \"Å\"".into(), &["latin"]),
        (format!("{department} ew \"NDÚ\""), &["latin"]),
        // German: capital ẞ lower-cases to ß; ß and ss stay different letters.
        ("title eq \"straße\"".into(), &["strasse"]),
        ("title eq \"STRASSE\"".into(), &["ss"]),
        (format!("{department} eq \"STRAẞE\""), &["strasse"]),
        (format!("{department} co \"ss\""), &["ss"]),
        // Greek: a final capital sigma lower-cases to ς, one inside a word to σ.
        ("title eq \"οδος\"".into(), &["greek"]),
        ("title eq \"Οδος\"".into(), &["greek"]),
        ("title eq \"οδοσ\"".into(), &["sigma"]),
        ("name.givenName sw \"σωκ\"".into(), &["greek", "sigma"]),
        (format!("{department} sw \"οδοστρ\""), &["greek"]),
        // Turkish: dotted İ lower-cases to i + U+0307 (no Turkish-specific rules), so it
        // matches itself and its lower-case form, not a plain i; dotless ı is its own letter.
        ("title eq \"İstanbul\"".into(), &["turk"]),
        ("title eq \"i\u{307}stanbul\"".into(), &["turk"]),
        ("title eq \"istanbul\"".into(), &["plain"]),
        ("name.givenName eq \"ISIK\"".into(), &["plain"]),
        ("name.givenName eq \"işık\"".into(), &["turk"]),
        ("name.givenName eq \"ışık\"".into(), &[]),
        (format!("{department} eq \"işik\""), &["turk"]),
        // Cyrillic.
        ("title eq \"ЁЛКА\"".into(), &["cyr"]),
        ("name.givenName co \"МИТ\"".into(), &["cyr"]),
        (format!("{department} eq \"отдел\""), &["cyr"]),
        // Negations and presence see the same folding.
        (
            "not (title eq \"ÜBERMENSCH\") and title sw \"ü\"".into(),
            &[],
        ),
        (
            "title ne \"übermensch\" and name.givenName eq \"zoë\"".into(),
            &[],
        ),
    ];
    for (filter, expected) in &cases {
        assert_eq!(&filtered(&app, &token, filter).await, expected, "{filter}");
    }

    // Case-insensitive attributes sort ignoring case (RFC 7644 §3.4.2.3), by folded text in
    // byte order: "STRAẞE" after "Strasse", "İSTANBUL" right after "Istanbul".
    let sorted = found(&app, &token, "sortBy=title&count=50").await;
    assert_eq!(
        sorted,
        ["latin", "plain", "turk", "ss", "strasse", "uber", "greek", "sigma", "cyr"],
    );
    let sorted = found(&app, &token, "sortBy=name.givenName&sortOrder=descending").await;
    assert_eq!(
        sorted,
        ["cyr", "sigma", "greek", "latin", "uber", "strasse", "ss", "turk", "plain"],
    );
}

async fn sql_fold(conn: &mut scimd::store::Conn, text: &str) -> String {
    let folded: Option<String> = scimd::store::query("SELECT scimd_fold($1)")
        .bind(text)
        .scalar(conn)
        .await
        .expect("fold in SQL");
    folded.expect("a text folds to a text")
}

/// SQL's `scimd_fold` folds exactly as Rust's `fold_case`, for every code point, alone and
/// in context (Greek final sigma depends on the letters around it). The one allowance:
/// letters newer than PostgreSQL's ICU tables (Unicode 16 on), which ICU leaves as they
/// are until it is upgraded.
async fn sql_folding_agrees_with_rust_folding(db: TestDb) {
    let postgres = db.url.starts_with("postgres");
    let store = db.store().await;
    let mut conn = store.read().await.expect("connection");
    let chars: Vec<char> = (0x20..=0x10FFFFu32).filter_map(char::from_u32).collect();
    let mut unknown = std::collections::BTreeSet::new();
    let mut differ = Vec::new();
    // Each letter alone (space-separated); a chunk that differs is halved down to the letter.
    let mut pending: Vec<&[char]> = chars.chunks(4096).collect();
    while let Some(chunk) = pending.pop() {
        let sample: String = chunk.iter().flat_map(|c| [*c, ' ']).collect();
        if sql_fold(&mut conn, &sample).await == scimd::domain::fold_case(&sample) {
            continue;
        }
        match chunk {
            [c] if postgres && sql_fold(&mut conn, &c.to_string()).await == c.to_string() => {
                unknown.insert(*c);
            }
            [c] => differ.push(format!("U+{:04X}", u32::from(*c))),
            _ => {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                pending.extend([a, b]);
            }
        }
    }
    // Letters next to each other, so context-dependent mappings meet their context.
    let known: Vec<char> = chars.into_iter().filter(|c| !unknown.contains(c)).collect();
    let mut samples: Vec<String> = known.chunks(4096).map(|c| c.iter().collect()).collect();
    samples.extend(
        [
            "ΟΔΟΣ",
            "ΣΑΣ.",
            "Σ",
            "ΑΣ'Β",
            "ὈΔΥΣΣΕΎΣ",
            "İSTANBUL",
            "STRAẞE",
            "ǅ",
            "ΐ",
            "Ⅻ",
            "Ꭰ",
            "𐐀",
        ]
        .map(String::from),
    );
    for sample in &samples {
        if sql_fold(&mut conn, sample).await != scimd::domain::fold_case(sample) {
            differ.push(format!("{:?}", sample.chars().take(20).collect::<String>()));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
    // Only letters of the newest Unicode versions, a few dozen.
    assert!(unknown.len() < 200, "{unknown:?}");
    let null: Option<String> = scimd::store::query("SELECT scimd_fold(NULL)")
        .scalar(&mut conn)
        .await
        .expect("fold NULL");
    assert_eq!(null, None);
}

on_both_backends! {
    unicode_text_matches_ignoring_case_the_same_on_both_backends => spawn_app,
    sql_folding_agrees_with_rust_folding => test_db,
}
