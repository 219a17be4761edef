//! What the documents read from the project folder: the git history (split into the
//! project's three steps), the screens in `docs/screens/`, and the benchmark tables
//! recorded in `docs/performance.md`. Anything missing is simply absent, and the documents
//! say so.

use std::path::Path;

use base64::Engine;

/// One commit of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub hash: String,
    pub date: String,
    pub subject: String,
    pub insertions: u64,
    pub deletions: u64,
    pub files: u64,
}

/// One step of the project: the commits from `first` up to the next step's first.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub key: &'static str,
    pub name_fr: &'static str,
    pub name_en: &'static str,
    pub goal_fr: &'static str,
    pub goal_en: &'static str,
    pub commits: Vec<Commit>,
}

impl Step {
    pub fn insertions(&self) -> u64 {
        self.commits.iter().map(|c| c.insertions).sum()
    }

    /// The dates it spans.
    pub fn span(&self) -> (String, String) {
        (
            self.commits
                .first()
                .map(|c| c.date.clone())
                .unwrap_or_default(),
            self.commits
                .last()
                .map(|c| c.date.clone())
                .unwrap_or_default(),
        )
    }

    /// Its largest commits (most lines added), in the order they were made: what the step
    /// delivered.
    pub fn deliveries(&self, n: usize) -> Vec<&Commit> {
        let mut by_size: Vec<&Commit> = self.commits.iter().collect();
        by_size.sort_by_key(|c| std::cmp::Reverse(c.insertions));
        by_size.truncate(n);
        let mut out: Vec<&Commit> = self
            .commits
            .iter()
            .filter(|c| by_size.iter().any(|b| b.hash == c.hash))
            .collect();
        out.dedup_by(|a, b| a.hash == b.hash);
        out
    }
}

/// Where each step begins: the first commit of the step (a prefix of its hash). The proof
/// of concept is the first vertical slice (events stored, searched and edited from the
/// desktop, the CLI and tests against a real engine); the MVP adds what the brief asks
/// for an event's life (participants, invitations, portal, sync, dashboard, lab, check-in);
/// the final step adds networking, social, the live dashboard, session waitlists,
/// measurement at 1M documents and the review and hardening work.
pub const STEPS: [(&str, &str, &str, &str, &str, &str); 3] = [
    (
        "poc",
        "b8eb11c",
        "Preuve de concept",
        "Proof of concept",
        "Un premier parcours complet : des événements enregistrés dans MongoDB, cherchés et modifiés depuis l'application de bureau, la ligne de commande et des tests sur un vrai moteur.",
        "A first complete path: events stored in MongoDB, searched and edited from the desktop app, the command line and tests against a real engine.",
    ),
    (
        "mvp",
        "1a2cdb8",
        "MVP",
        "MVP",
        "La vie d'un événement de bout en bout : participants, invitations par e-mail, portail des participants, synchronisation avec Atlas, tableau de bord, laboratoire d'index, badges et accueil.",
        "An event's life end to end: participants, e-mail invitations, the participant portal, sync with Atlas, the dashboard, the index lab, badges and check-in.",
    ),
    (
        "final",
        "cff3f2a",
        "Version finale",
        "Final version",
        "Réseautage, réseaux sociaux, tableau de bord en direct, listes d'attente par session, mesures à un million de documents, revues de code et durcissement.",
        "Networking, social media, the live dashboard, per-session waitlists, measurements at one million documents, code reviews and hardening.",
    ),
];

/// A screen capture, embedded as a data URI.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// The file name without extension, e.g. `lab-100k-from-the-screen`.
    pub name: String,
    pub data_uri: String,
}

/// A table of a benchmark section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A section of `docs/performance.md` with its tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PerfSection {
    /// `Sync`, or `Sync › Release build` for a sub-section.
    pub title: String,
    /// Its first paragraph (how it was measured).
    pub intro: String,
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sources {
    /// Empty when the folder has no git history.
    pub steps: Vec<Step>,
    pub commits: usize,
    pub screens: Vec<Screen>,
    pub perf: Vec<PerfSection>,
    /// What could not be read, said in the documents.
    pub missing: Vec<String>,
}

impl Sources {
    /// Read what exists under the project folder `dir`.
    pub fn load(dir: &Path) -> Sources {
        let mut s = Sources::default();
        match git_log(dir) {
            Ok(commits) => {
                s.commits = commits.len();
                s.steps = split_steps(commits);
            }
            Err(e) => s.missing.push(format!("git history: {e}")),
        }
        s.screens = screens(&dir.join("docs/screens"));
        if s.screens.is_empty() {
            s.missing.push("docs/screens/*.png".into());
        }
        match std::fs::read_to_string(dir.join("docs/performance.md")) {
            Ok(md) => s.perf = perf_sections(&md),
            Err(_) => s.missing.push("docs/performance.md".into()),
        }
        s
    }
}

/// The history, oldest first, without merge commits.
pub fn git_log(dir: &Path) -> std::result::Result<Vec<Commit>, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "log",
            "--reverse",
            "--no-merges",
            "--date=short",
            "--format=%x1e%h%x1f%ad%x1f%s",
            "--shortstat",
        ])
        .output()
        .map_err(|e| format!("git could not run ({e})"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(parse_log(&String::from_utf8_lossy(&out.stdout)))
}

/// Parse `git log --format=%x1e%h%x1f%ad%x1f%s --shortstat`.
pub fn parse_log(text: &str) -> Vec<Commit> {
    text.split('\u{1e}')
        .filter(|r| !r.trim().is_empty())
        .filter_map(|r| {
            let mut lines = r.lines();
            let head = lines.next()?;
            let mut f = head.split('\u{1f}');
            let (hash, date, subject) = (f.next()?, f.next()?, f.next()?);
            let mut c = Commit {
                hash: hash.to_owned(),
                date: date.to_owned(),
                subject: subject.to_owned(),
                insertions: 0,
                deletions: 0,
                files: 0,
            };
            for l in lines.filter(|l| l.contains("changed")) {
                for part in l.split(',') {
                    let n: u64 = part
                        .split_whitespace()
                        .next()
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(0);
                    if part.contains("file") {
                        c.files = n;
                    } else if part.contains("insertion") {
                        c.insertions = n;
                    } else if part.contains("deletion") {
                        c.deletions = n;
                    }
                }
            }
            Some(c)
        })
        .collect()
}

/// Split the history at the first commit of each step. Commits before the first boundary
/// (none in this project) go to the first step; a boundary not found leaves the step empty.
pub fn split_steps(commits: Vec<Commit>) -> Vec<Step> {
    let starts: Vec<Option<usize>> = STEPS
        .iter()
        .map(|s| commits.iter().position(|c| c.hash.starts_with(s.1)))
        .collect();
    let mut steps = vec![];
    for (k, s) in STEPS.iter().enumerate() {
        let from = if k == 0 { Some(0) } else { starts[k] };
        let to = starts[k + 1..]
            .iter()
            .flatten()
            .next()
            .copied()
            .unwrap_or(commits.len());
        let slice = match from {
            Some(f) if f <= to => commits[f..to].to_vec(),
            _ => vec![],
        };
        steps.push(Step {
            key: s.0,
            name_fr: s.2,
            name_en: s.3,
            goal_fr: s.4,
            goal_en: s.5,
            commits: slice,
        });
    }
    steps
}

/// PNG screens of a folder, by name.
pub fn screens(dir: &Path) -> Vec<Screen> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut v: Vec<Screen> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some(Screen {
                name: p.file_stem()?.to_string_lossy().into_owned(),
                data_uri: format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ),
            })
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Markdown inline marks removed: `code`, **bold**, [text](link) → text.
pub fn plain(md: &str) -> String {
    let mut s = md.replace("**", "").replace('`', "");
    while let (Some(a), Some(b)) = (s.find("]("), s.find('[')) {
        let Some(close) = s[a..].find(')') else { break };
        if b > a {
            break;
        }
        let text = s[b + 1..a].to_owned();
        s.replace_range(b..a + close + 1, &text);
    }
    s.trim().to_owned()
}

fn cells(line: &str) -> Vec<String> {
    let l = line.trim().trim_start_matches('|').trim_end_matches('|');
    l.split('|').map(plain).collect()
}

/// The sections of a Markdown file (`##` and `###` headings) with their first paragraph
/// and their pipe tables.
pub fn perf_sections(md: &str) -> Vec<PerfSection> {
    let mut out: Vec<PerfSection> = vec![];
    let mut parent = String::new();
    let mut para = String::new();
    let mut table: Option<Table> = None;
    let flush_table = |out: &mut Vec<PerfSection>, table: &mut Option<Table>| {
        if let (Some(t), Some(sec)) = (table.take(), out.last_mut()) {
            if !t.rows.is_empty() {
                sec.tables.push(t);
            }
        }
    };
    for line in md.lines() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix("## ") {
            flush_table(&mut out, &mut table);
            parent = plain(h);
            out.push(PerfSection {
                title: parent.clone(),
                ..Default::default()
            });
            para.clear();
            continue;
        }
        if let Some(h) = l.strip_prefix("### ") {
            flush_table(&mut out, &mut table);
            out.push(PerfSection {
                title: format!("{parent} › {}", plain(h)),
                ..Default::default()
            });
            para.clear();
            continue;
        }
        if l.starts_with('|') {
            let row = cells(l);
            match table.as_mut() {
                None => {
                    table = Some(Table {
                        header: row,
                        rows: vec![],
                    })
                }
                Some(t) => {
                    let is_rule = row
                        .iter()
                        .all(|c| !c.is_empty() && c.chars().all(|ch| "-:".contains(ch)));
                    if !is_rule {
                        t.rows.push(row);
                    }
                }
            }
            continue;
        }
        flush_table(&mut out, &mut table);
        if let Some(sec) = out.last_mut() {
            if l.is_empty() {
                if !para.is_empty() && sec.intro.is_empty() {
                    sec.intro = plain(&para);
                }
                para.clear();
            } else if !l.starts_with("```") && !l.starts_with('#') {
                if !para.is_empty() {
                    para.push(' ');
                }
                para.push_str(l);
            }
        }
    }
    flush_table(&mut out, &mut table);
    if let Some(sec) = out.last_mut() {
        if sec.intro.is_empty() && !para.is_empty() {
            sec.intro = plain(&para);
        }
    }
    out.retain(|s| !s.tables.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_parsed_with_its_line_counts_and_split_into_steps() {
        let text = "\u{1e}b8eb11c\u{1f}2026-11-25\u{1f}Core crate\n\n 3 files changed, 120 insertions(+), 4 deletions(-)\n\u{1e}1a2cdb8\u{1f}2026-11-25\u{1f}Mail\n\n 1 file changed, 7 insertions(+)\n\u{1e}cff3f2a\u{1f}2026-11-26\u{1f}Networking\n";
        let c = parse_log(text);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].files, c[0].insertions, c[0].deletions), (3, 120, 4));
        assert_eq!((c[1].files, c[1].insertions), (1, 7));
        let steps = split_steps(c);
        assert_eq!(
            steps.iter().map(|s| s.commits.len()).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(steps[2].commits[0].subject, "Networking");
    }

    #[test]
    fn markdown_tables_are_read_by_section_without_their_marks() {
        let md = "# P\n\n## Sync\n\nMeasured on **two** engines.\nSecond line.\n\n| run | time |\n| --- | ---: |\n| first | **21.6 s** |\n| `copy` | [9.5 s](x.html) |\n\n### Release\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Empty\n\nNo table.\n";
        let s = perf_sections(md);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].title, "Sync");
        assert_eq!(s[0].intro, "Measured on two engines. Second line.");
        assert_eq!(s[0].tables[0].header, ["run", "time"]);
        assert_eq!(
            s[0].tables[0].rows,
            [vec!["first", "21.6 s"], vec!["copy", "9.5 s"]]
        );
        assert_eq!(s[1].title, "Sync › Release");
    }
}
