//! The dashboard as CSV: one file, one section per table (a `section` column first), so
//! a spreadsheet opens it as one sheet and filters by section.

use super::Dashboard;

fn cell(s: &str) -> String {
    // Neutralise spreadsheet formulas (CSV injection) and quote as needed.
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

fn row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The dashboard's data as CSV (UTF-8 with BOM for spreadsheets).
pub fn csv(d: &Dashboard) -> String {
    let mut o = String::from("\u{feff}");
    let s = |x: &str| x.to_owned();
    row(
        &mut o,
        &[s("section"), s("item"), s("detail"), s("value"), s("count")],
    );
    let f = &d.funnel;
    for (k, v) in [
        ("invited", f.invited),
        ("accepted", f.accepted),
        ("checked_in", f.checked_in),
        ("declined", f.declined),
        ("waitlisted", f.waitlisted),
    ] {
        row(&mut o, &[s("funnel"), s(k), s(""), s(""), v.to_string()]);
    }
    row(
        &mut o,
        &[
            s("funnel"),
            s("acceptance_rate"),
            s(""),
            f.acceptance_rate.to_string(),
            s(""),
        ],
    );
    row(
        &mut o,
        &[
            s("funnel"),
            s("show_rate"),
            s(""),
            f.show_rate.to_string(),
            s(""),
        ],
    );
    for r in &d.sessions {
        row(
            &mut o,
            &[
                s("session_attendance"),
                r.title.clone(),
                format!("capacity {}", opt(r.capacity)),
                opt(r.fill_rate),
                r.attendees.to_string(),
            ],
        );
        row(
            &mut o,
            &[
                s("session_rating"),
                r.title.clone(),
                s("average 1-5"),
                opt(r.avg_rating),
                r.ratings.to_string(),
            ],
        );
    }
    let n = &d.nps;
    row(
        &mut o,
        &[
            s("nps"),
            s("score"),
            s(""),
            n.score.to_string(),
            n.total.to_string(),
        ],
    );
    for (k, v) in [
        ("promoters", n.promoters),
        ("passives", n.passives),
        ("detractors", n.detractors),
    ] {
        row(&mut o, &[s("nps"), s(k), s(""), s(""), v.to_string()]);
    }
    for q in &d.distributions {
        for b in &q.buckets {
            row(
                &mut o,
                &[
                    s("distribution"),
                    q.label.clone(),
                    b.label.clone(),
                    b.value.clone(),
                    b.count.to_string(),
                ],
            );
        }
    }
    for t in &d.texts {
        row(
            &mut o,
            &[
                s("free_text"),
                t.question.clone(),
                t.at.to_rfc3339(),
                t.text.clone(),
                s(""),
            ],
        );
    }
    // One row per series and time bucket, empty buckets left out.
    for p in &d.timeline {
        for (series, n) in [
            ("answers", p.answers),
            ("check_ins", p.check_ins),
            ("connections", p.connections),
            ("mentions", p.mentions),
        ] {
            if n > 0 {
                row(
                    &mut o,
                    &[
                        s("timeline"),
                        p.at.to_rfc3339(),
                        s(series),
                        s(""),
                        n.to_string(),
                    ],
                );
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("plain"), "plain");
    }
}
