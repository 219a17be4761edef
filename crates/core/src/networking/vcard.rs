//! vCard 3.0 (RFC 2426) contact cards and CSV rows for the connection exports.

use super::{Card, ConnectionView};

/// Escape a vCard text value (backslash, comma, semicolon, new lines).
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ',' => o.push_str("\\,"),
            ';' => o.push_str("\\;"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Fold a content line at 75 octets (continuation lines start with a space), never
/// splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        let w = c.len_utf8();
        if len + w > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += w;
    }
    out.push_str("\r\n");
    out
}

/// One card as a vCard. `note` is the viewer's private note (put in NOTE).
pub fn card(c: &Card, note: &str) -> String {
    let mut lines = vec![
        "BEGIN:VCARD".to_owned(),
        "VERSION:3.0".to_owned(),
        format!("FN:{}", esc(&c.name)),
    ];
    // N: family;given — the name is one string: keep it whole as the family part.
    lines.push(format!("N:{};;;;", esc(&c.name)));
    if !c.company.is_empty() {
        lines.push(format!("ORG:{}", esc(&c.company)));
    }
    if !c.headline.is_empty() {
        lines.push(format!("TITLE:{}", esc(&c.headline)));
    }
    if let Some(e) = c.email.as_deref().filter(|e| !e.is_empty()) {
        lines.push(format!("EMAIL;TYPE=INTERNET:{}", esc(e)));
    }
    for l in &c.links {
        lines.push(format!("URL:{}", esc(&l.url)));
    }
    if !c.photo_url.is_empty() {
        lines.push(format!("PHOTO;VALUE=URI:{}", esc(&c.photo_url)));
    }
    if !c.interests.is_empty() {
        let tags: Vec<String> = c.interests.iter().map(|t| esc(t)).collect();
        lines.push(format!("CATEGORIES:{}", tags.join(",")));
    }
    if !note.trim().is_empty() {
        lines.push(format!("NOTE:{}", esc(note.trim())));
    }
    lines.push(format!("UID:urn:uuid:{}", esc(&c.participant_id)));
    lines.push("END:VCARD".to_owned());
    lines.iter().map(|l| fold(l)).collect()
}

/// Several connections as one `.vcf` file.
pub fn cards(list: &[ConnectionView]) -> String {
    list.iter().map(|c| card(&c.other, &c.note)).collect()
}

/// One CSV cell: spreadsheet formulas neutralised (CSV injection), quoted as needed.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV line (CRLF-terminated).
pub fn csv_row(cells: &[String]) -> String {
    let mut s = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    s.push_str("\r\n");
    s
}

/// Connections as CSV (UTF-8 with BOM).
pub fn csv(list: &[ConnectionView]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_row(
        &[
            "name",
            "email",
            "company",
            "headline",
            "interests",
            "links",
            "note",
            "connected_at",
        ]
        .map(str::to_owned),
    ));
    for c in list {
        let o = &c.other;
        out.push_str(&csv_row(&[
            o.name.clone(),
            o.email.clone().unwrap_or_default(),
            o.company.clone(),
            o.headline.clone(),
            o.interests.join(" | "),
            o.links
                .iter()
                .map(|l| l.url.clone())
                .collect::<Vec<_>>()
                .join(" "),
            c.note.clone(),
            c.accepted_at
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networking::ContactLink;

    #[test]
    fn vcards_escape_and_fold() {
        let c = Card {
            participant_id: "p1".into(),
            name: "Zoé; Dupont, Jr".into(),
            headline: "CTO".into(),
            company: "Acme".into(),
            interests: vec!["rust".into(), "data, ai".into()],
            links: vec![ContactLink {
                label: "web".into(),
                url: "https://example.org".into(),
            }],
            photo_url: String::new(),
            email: Some("zoe@example.org".into()),
        };
        let v = card(&c, &format!("met at the {}\nbooth", "x".repeat(100)));
        assert!(v.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n"), "{v}");
        assert!(v.contains("FN:Zoé\\; Dupont\\, Jr\r\n"), "{v}");
        assert!(v.contains("EMAIL;TYPE=INTERNET:zoe@example.org"));
        assert!(v.contains("CATEGORIES:rust,data\\, ai"));
        assert!(v.contains("\r\n "), "long NOTE folded: {v}");
        for line in v.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(v.ends_with("END:VCARD\r\n"));
    }

    #[test]
    fn csv_neutralises_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_row(&["x".into(), "y\"z".into()]), "x,\"y\"\"z\"\r\n");
    }
}
