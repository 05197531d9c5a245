//! Internationalized names: the one form a domain compares in, and the characters an email
//! may not hide.
//!
//! `bücher.example` and `xn--bcher-kva.example` are one domain, and `ａｃｍｅ.example` (fullwidth)
//! is `acme.example`: UTS #46 maps each to its IDNA ASCII form, which is what scimd stores and
//! compares. What UTS #46 lets through but a person could not tell apart is refused instead:
//! a label mixing scripts (a Cyrillic `а` among Latin letters), judged by UTS #39's "highly
//! restrictive" level (one script, or Latin with Han and Japanese kana or Hangul), and, in an
//! email, invisible and bidirectional control characters and compatibility forms in the local
//! part (which no mail system maps, so a fullwidth local part would be another mailbox).

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::is_nfkc;
use unicode_security::general_security_profile::IdentifierType;
use unicode_security::RestrictionLevelDetection;
use unicode_security::{GeneralSecurityProfile, MixedScript, RestrictionLevel};

/// Why a text is not a domain name scimd accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainFault {
    /// Not a DNS name of at least two valid labels (UTS #46 with STD3 rules, DNS lengths).
    #[error("not a valid domain name")]
    Syntax,
    /// An invisible or bidirectional control character (U+200B, U+202E, ...).
    #[error("it contains an invisible or bidirectional control character")]
    Invisible,
    /// A label mixes scripts in a way UTS #39 calls a lookalike risk.
    #[error("the label {0:?} mixes scripts (a lookalike of another name)")]
    MixedScript(String),
}

/// Whether `c` is invisible or steers text direction: Default_Ignorable_Code_Point (zero
/// widths, joiners, bidi embeddings, overrides and isolates, the BOM, soft hyphen, variation
/// selectors). UTS #46 would silently drop some of them, making two spellings of one name;
/// refusing says what is wrong instead.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    c.identifier_type() == Some(IdentifierType::Default_Ignorable)
}

/// The IDNA ASCII form of `name` (no trailing dot), lower case, or why it is refused.
pub fn to_ascii(name: &str) -> Result<String, DomainFault> {
    if let Some(ascii) = plain_ascii(name) {
        return Ok(ascii);
    }
    uts46_to_ascii(name)
}

/// The ASCII form of a name that is already plain: labels of 1 to 63 ASCII letters, digits
/// and hyphens, none starting or ending with a hyphen and none an `xn--` label, at least
/// two of them, 253 characters at most. UTS #46 would only lower its case; run in full (two
/// passes and a script check per label, for every email a create or PATCH normalizes) it
/// cost those requests about 8% of their CPU, on names that nearly always are plain.
/// `None` for anything else: UTS #46 decides it.
fn plain_ascii(name: &str) -> Option<String> {
    if name.len() > 253 || !name.contains('.') {
        return None;
    }
    let plain = name.split('.').all(|label| {
        let bytes = label.as_bytes();
        (1..=63).contains(&bytes.len())
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-')
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && !bytes
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"xn--"))
    });
    plain.then(|| name.to_ascii_lowercase())
}

fn uts46_to_ascii(name: &str) -> Result<String, DomainFault> {
    if name.chars().any(is_invisible) {
        return Err(DomainFault::Invisible);
    }
    let ascii = Uts46::new()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| DomainFault::Syntax)?;
    if !ascii.contains('.') {
        return Err(DomainFault::Syntax);
    }
    // The ASCII form decides the labels; their Unicode form decides what a person sees.
    let (unicode, checked) = Uts46::new().to_unicode(
        ascii.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::CheckFirstLast,
    );
    checked.map_err(|_| DomainFault::Syntax)?;
    if let Some(label) = unicode
        .split('.')
        .find(|label| label.detect_restriction_level() > RestrictionLevel::HighlyRestrictive)
    {
        return Err(DomainFault::MixedScript(label.to_owned()));
    }
    Ok(ascii.into_owned())
}

/// Why an email's local part is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LocalPartFault {
    /// A compatibility form (fullwidth letters, ligatures, ...): NFKC would change it.
    #[error("the part before '@' uses compatibility characters (fullwidth or similar)")]
    NotNfkc,
    /// Letters of scripts that do not go together (UTS #39 single script).
    #[error("the part before '@' mixes scripts (a lookalike of another address)")]
    MixedScript,
}

/// Checks an email's local part (already lower-cased). Punctuation and digits belong to every
/// script, so `ann.lee+tag` is single-script.
pub fn check_local_part(local: &str) -> Result<(), LocalPartFault> {
    if local.is_ascii() {
        return Ok(());
    }
    if !is_nfkc(local) {
        return Err(LocalPartFault::NotNfkc);
    }
    if !local.is_single_script() {
        return Err(LocalPartFault::MixedScript);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn unicode_and_punycode_spellings_are_one_ascii_form() {
        assert_eq!(to_ascii("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(
            to_ascii("XN--BCHER-KVA.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(to_ascii("BÜCHER.Example").unwrap(), "xn--bcher-kva.example");
        // Fullwidth letters and the ideographic full stop are mapped, not lookalikes.
        assert_eq!(to_ascii("ａｃｍｅ。example").unwrap(), "acme.example");
        assert_eq!(to_ascii("例え.テスト").unwrap(), "xn--r8jz45g.xn--zckzah");
    }

    #[test]
    fn mixed_script_labels_are_refused() {
        // Cyrillic а (U+0430) among Latin letters.
        assert_eq!(
            to_ascii("p\u{430}ypal.example"),
            Err(DomainFault::MixedScript("p\u{430}ypal".into()))
        );
        // The same thing sent as punycode is the same refusal.
        let punycode = idna::domain_to_ascii("p\u{430}ypal.example").unwrap();
        assert!(matches!(
            to_ascii(&punycode),
            Err(DomainFault::MixedScript(_))
        ));
        // Whole-script labels, and Latin with Japanese, are fine.
        assert!(to_ascii("пример.example").is_ok());
        assert!(to_ascii("sonyソニー.example").is_ok());
    }

    #[test]
    fn invalid_labels_are_refused() {
        for bad in [
            "com",
            "a..example",
            "-a.example",
            "a-.example",
            "a_b.example",
            "xn--zz.example",
            "a b.example",
            "☃.example",
            &format!("{}.example", "a".repeat(64)),
            "",
        ] {
            assert!(to_ascii(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn invisible_and_bidi_controls_are_refused() {
        for c in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}',
            '\u{2066}', '\u{2069}', '\u{061C}', '\u{FEFF}', '\u{00AD}', '\u{FE0F}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            assert_eq!(
                to_ascii(&format!("ac{c}me.example")),
                Err(DomainFault::Invisible)
            );
        }
        assert!(!is_invisible('a') && !is_invisible('+') && !is_invisible('ü'));
    }

    proptest::proptest! {
        /// A plain name's shortcut says what UTS #46 says, for names built from the
        /// characters and lengths where the two could disagree (case, hyphens, `xn--`,
        /// empty and 63/64-character labels, 253/254-character names).
        #[test]
        fn plain_names_skip_uts46_and_get_its_answer(
            labels in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-zA-Z0-9-]{0,6}",
                    "[xX][nN]--[a-z0-9-]{0,6}",
                    "[a-z]{60,64}",
                ],
                1..6,
            ),
            long in proptest::option::of(248usize..258),
        ) {
            let mut name = labels.join(".");
            // Or filled up to near the 253-character limit, on either side of it.
            while let Some(remaining) = long.and_then(|n| n.checked_sub(name.len())) {
                match remaining {
                    0 => break,
                    1 => name.push('b'),
                    _ => {
                        name.push('.');
                        name.push_str(&"a".repeat((remaining - 1).min(63)));
                    }
                }
            }
            if let Some(fast) = plain_ascii(&name) {
                proptest::prop_assert_eq!(Ok(fast), uts46_to_ascii(&name), "{}", name);
            }
        }
    }

    #[test]
    fn plain_names_take_the_shortcut_and_others_do_not() {
        assert_eq!(
            plain_ascii("Mail.Example.COM").as_deref(),
            Some("mail.example.com")
        );
        for not_plain in [
            "bücher.example",
            "xn--bcher-kva.example",
            "a..b",
            "com",
            "a_b.c",
        ] {
            assert_eq!(plain_ascii(not_plain), None, "{not_plain}");
        }
    }

    #[test]
    fn local_parts_refuse_compatibility_forms_and_script_mixes() {
        assert_eq!(check_local_part("ann.lee+tag"), Ok(()));
        assert_eq!(check_local_part("josé"), Ok(()));
        assert_eq!(check_local_part("пётр.иванов"), Ok(()));
        assert_eq!(check_local_part("ａnn"), Err(LocalPartFault::NotNfkc));
        assert_eq!(
            check_local_part("\u{430}nn"),
            Err(LocalPartFault::MixedScript)
        );
    }
}
