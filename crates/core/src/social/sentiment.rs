//! A small lexicon-based sentiment scorer for French and English posts.
//!
//! How it works (deliberately simple and predictable):
//! 1. the text is folded ([`crate::text::fold`]: lower case, no accents) and split into
//!    words (letters and digits); emojis are looked up as they are;
//! 2. each word found in the lexicon adds its polarity: +1 / −1, or ±2 for strong words
//!    ("excellent", "horrible"…); both languages share one table since words rarely clash;
//! 3. a negator ("not", "no", "never", "n't", "pas", "jamais", "rien", "aucun", "sans",
//!    "ni"…) flips the polarity of the sentiment words in the next three words — "pas bon",
//!    "not good", "n'était pas vraiment intéressant" are negative, "not bad" positive;
//!    a negation stops at punctuation (`, . ; : ! ?`): "not good, too crowded" is −2;
//! 4. a few fixed phrases are read first: "pas mal" (+1, "rather good"), "no problem" /
//!    "pas de souci" / "pas de problème" (0);
//! 5. the score is the sum; the label is positive above 0, negative below 0, else neutral.
//!
//! No stemming: inflected forms are listed. It will miss irony and slang; it is meant to
//! give a trend over many posts, not to judge one.

use super::Label;

/// Words with their polarity (folded, no accents).
const LEXICON: &[(&str, i32)] = &[
    // English, positive
    ("good", 1),
    ("great", 2),
    ("excellent", 2),
    ("amazing", 2),
    ("awesome", 2),
    ("fantastic", 2),
    ("wonderful", 2),
    ("brilliant", 2),
    ("love", 2),
    ("loved", 2),
    ("loving", 2),
    ("liked", 1),
    ("enjoy", 1),
    ("enjoyed", 1),
    ("inspiring", 1),
    ("insightful", 1),
    ("interesting", 1),
    ("useful", 1),
    ("helpful", 1),
    ("thanks", 1),
    ("thank", 1),
    ("best", 2),
    ("nice", 1),
    ("fun", 1),
    ("perfect", 2),
    ("happy", 1),
    ("impressive", 1),
    ("recommend", 1),
    ("superb", 2),
    ("cool", 1),
    ("well", 1),
    ("clear", 1),
    ("glad", 1),
    // English, negative
    ("bad", -1),
    ("terrible", -2),
    ("awful", -2),
    ("horrible", -2),
    ("boring", -1),
    ("bored", -1),
    ("disappointing", -2),
    ("disappointed", -2),
    ("poor", -1),
    ("worst", -2),
    ("hate", -2),
    ("hated", -2),
    ("slow", -1),
    ("late", -1),
    ("problem", -1),
    ("problems", -1),
    ("issue", -1),
    ("issues", -1),
    ("crowded", -1),
    ("broken", -1),
    ("useless", -2),
    ("waste", -2),
    ("annoying", -1),
    ("sad", -1),
    ("cancelled", -1),
    ("confusing", -1),
    ("mess", -1),
    ("fail", -1),
    ("failed", -1),
    ("sucks", -2),
    ("meh", -1),
    ("cold", -1),
    ("noisy", -1),
    // French, positive
    ("bon", 1),
    ("bonne", 1),
    ("bons", 1),
    ("bonnes", 1),
    ("bien", 1),
    ("super", 1),
    ("genial", 2),
    ("geniale", 2),
    ("top", 1),
    ("bravo", 2),
    ("merci", 1),
    ("magnifique", 2),
    ("formidable", 2),
    ("parfait", 2),
    ("parfaite", 2),
    ("passionnant", 2),
    ("passionnante", 2),
    ("interessant", 1),
    ("interessante", 1),
    ("interessants", 1),
    ("inspirant", 1),
    ("inspirante", 1),
    ("reussi", 1),
    ("reussie", 1),
    ("ravi", 1),
    ("ravie", 1),
    ("ravis", 1),
    ("content", 1),
    ("contente", 1),
    ("heureux", 1),
    ("heureuse", 1),
    ("adore", 2),
    ("adoree", 2),
    ("aime", 1),
    ("plaisir", 1),
    ("incroyable", 2),
    ("beau", 1),
    ("belle", 1),
    ("felicitations", 2),
    ("chouette", 1),
    ("enrichissant", 1),
    ("enrichissante", 1),
    ("utile", 1),
    ("utiles", 1),
    ("clair", 1),
    ("claire", 1),
    ("clairs", 1),
    ("passionnants", 1),
    ("qualite", 1),
    // French, negative
    ("mauvais", -1),
    ("mauvaise", -1),
    ("nul", -2),
    ("nulle", -2),
    ("decu", -2),
    ("decue", -2),
    ("decus", -2),
    ("decevant", -2),
    ("decevante", -2),
    ("ennuyeux", -1),
    ("ennuyeuse", -1),
    ("ennui", -1),
    ("lent", -1),
    ("lente", -1),
    ("probleme", -1),
    ("problemes", -1),
    ("rate", -1),
    ("dommage", -1),
    ("pire", -2),
    ("catastrophe", -2),
    ("catastrophique", -2),
    ("bruyant", -1),
    ("bruyante", -1),
    ("bonde", -1),
    ("bondee", -1),
    ("retard", -1),
    ("annule", -1),
    ("annulee", -1),
    ("inutile", -2),
    ("penible", -1),
    ("triste", -1),
    ("mediocre", -2),
    ("bof", -1),
    ("deteste", -2),
    ("colere", -1),
    ("honte", -2),
    ("chaos", -1),
    ("froid", -1),
    ("mal", -1),
    ("attente", -1),
    ("gache", -1),
];

const EMOJIS: &[(&str, i32)] = &[
    ("👏", 1),
    ("🎉", 1),
    ("😍", 2),
    ("❤", 1),
    ("👍", 1),
    ("🙌", 1),
    ("😀", 1),
    ("😃", 1),
    ("😊", 1),
    ("🔥", 1),
    ("👎", -1),
    ("😡", -2),
    ("😠", -1),
    ("😞", -1),
    ("😢", -1),
    ("😴", -1),
    ("🙁", -1),
];

const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "nobody", "neither", "nor", "cannot", "without", "pas",
    "jamais", "rien", "aucun", "aucune", "sans", "ni", "personne",
];

/// Neutral fixed phrases: their words are skipped.
const NEUTRAL_PHRASES: &[&[&str]] = &[
    &["no", "problem"],
    &["no", "problems"],
    &["pas", "de", "souci"],
    &["pas", "de", "soucis"],
    &["pas", "de", "probleme"],
    &["sans", "probleme"],
];

/// How many words after a negator it reaches.
const NEGATION_WINDOW: usize = 3;

fn polarity(word: &str) -> i32 {
    LEXICON
        .iter()
        .find(|(w, _)| *w == word)
        .map_or(0, |(_, p)| *p)
}

/// The score of one clause: a negation does not reach past punctuation.
fn clause_score(clause: &str) -> i32 {
    let words: Vec<&str> = clause
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut total = 0_i32;
    let mut negated_until: Option<usize> = None;
    let mut i = 0;
    'words: while i < words.len() {
        for phrase in NEUTRAL_PHRASES {
            if words[i..].starts_with(phrase) {
                i += phrase.len();
                continue 'words;
            }
        }
        let w = words[i];
        if w == "pas" && words.get(i + 1) == Some(&"mal") {
            total += 1;
            i += 2;
            continue;
        }
        // "n't": "isn't" splits into "isn" + "t".
        let negator = NEGATORS.contains(&w) || (w == "t" && i > 0 && words[i - 1].ends_with('n'));
        if negator {
            negated_until = Some(i + NEGATION_WINDOW);
        } else {
            let p = polarity(w);
            total += if negated_until.is_some_and(|n| i <= n) {
                -p
            } else {
                p
            };
        }
        i += 1;
    }
    total
}

/// The score (sum of polarities, negations applied) and its label.
pub fn score(text: &str) -> (f64, Label) {
    let folded = crate::text::fold(text);
    let mut total: i32 = folded
        .split(['.', ',', ';', ':', '!', '?', '\n', '(', ')'])
        .map(clause_score)
        .sum();
    for (e, p) in EMOJIS {
        total += text.matches(e).count() as i32 * p;
    }
    let label = match total {
        t if t > 0 => Label::Positive,
        t if t < 0 => Label::Negative,
        _ => Label::Neutral,
    };
    (f64::from(total), label)
}
