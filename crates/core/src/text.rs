//! Accent- and case-insensitive search keys, identical on every server.
//!
//! `fold("Événement à Paris")` → `"evenement a paris"`. Events store the folded words of
//! their title, description, speakers, tags and venue in `search_terms`, a multikey
//! indexed array; a search word becomes an anchored prefix regex on it, which MongoDB
//! plans as an index scan (IXSCAN) — see `events::search_filter`.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Lower-case, strip diacritics, expand ligatures.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Folded words of `s`: split on anything that is not a letter or digit.
pub fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    let folded = fold(s);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// The folded words of `s` between single spaces, with a space at each end: a whole-word
/// phrase is then a plain substring (`" keynote d ouverture "`), which the server finds
/// with `$indexOfCP` — no regular expression per document.
pub fn phrase_key(s: &str) -> String {
    let words: Vec<String> = words(s).collect();
    format!(" {} ", words.join(" "))
}

/// The set of search terms for a list of texts: folded words, deduplicated, sorted, with
/// one-letter words dropped unless they are digits.
pub fn terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = texts
        .into_iter()
        .flat_map(words)
        .filter(|w| w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| w.chars().take(40).collect())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Escape a string for use inside a regular expression.
pub fn regex_escape(s: &str) -> String {
    regex::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_accents_case_and_ligatures() {
        assert_eq!(fold("Événement ÇA Œuvre"), "evenement ca oeuvre");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn phrase_keys_make_whole_words_a_substring_test() {
        assert_eq!(
            phrase_key("Super KEYNOTE d’ouverture !"),
            " super keynote d ouverture "
        );
        assert_eq!(phrase_key("  "), "  ");
        assert!(phrase_key("Merci Anaïs-Lefèvre").contains(&phrase_key("Anaïs Lefèvre")));
        assert!(!phrase_key("BobMartin").contains(&phrase_key("Bob Martin")));
    }

    #[test]
    fn terms_are_deduplicated_and_sorted() {
        let t = terms(["Journée de l'IA", "journee IA 2026", "à"]);
        assert_eq!(t, vec!["2026", "de", "ia", "journee"]);
    }
}
