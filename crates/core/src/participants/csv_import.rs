//! CSV import: the files people really have.
//!
//! Excel in French locales writes `;`-separated Windows-1252 (or UTF-8 with a BOM, or
//! UTF-16 "Unicode text" with tabs); other tools write commas or tabs. [`inspect`] detects
//! the encoding and separator, reads the header and suggests a column mapping; [`import`]
//! checks every row (reporting each bad one with its line number and reason), then writes
//! the good ones with unordered `insert_many` batches. The unique index on
//! `{event_id, email_norm}` makes re-importing the same file add nothing twice (rows
//! already there are counted as already present, not as rejected). Nothing already
//! stored is ever modified: an import only inserts, and a cancelled import removes what it
//! had inserted. An import of a file is recorded as a job ([`crate::jobs`]): one stopped
//! half-way by a crash or a full disk is found at the next start, to finish or roll back.

use std::{
    collections::{HashMap, HashSet},
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use bson::doc;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    audit_coll, build, coll, live,
    model::{AuditEntry, Participant, ParticipantInput, Source},
    raw, validate,
};
use crate::{jobs, text, time, Core, Error, Result};

/// Rows per `insert_many` batch.
pub const BATCH: usize = 1000;
/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 8;
const SEPARATORS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// What a column of the file becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Name,
    FirstName,
    LastName,
    Email,
    Company,
    Role,
    Phone,
    /// Kept as a custom field named after the column header.
    Custom,
    Ignore,
}

/// What the wizard shows before importing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ImportPreview")]
pub struct Preview {
    pub file: String,
    /// `UTF-8`, `UTF-8 (BOM)`, `windows-1252`, `UTF-16LE`, `UTF-16BE`.
    pub encoding: String,
    /// `;`, `,`, `\t` (a real tab) or `|`.
    pub separator: String,
    pub headers: Vec<String>,
    /// The first rows (after the header), as read.
    pub rows: Vec<Vec<String>>,
    /// Data rows in the file (blank lines excluded).
    pub total_rows: u64,
    /// One suggested target per header.
    pub mapping: Vec<Target>,
}

/// Choices of the user; anything left `None` is detected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct ImportOptions {
    pub encoding: Option<String>,
    pub separator: Option<String>,
    /// One target per column, in header order.
    pub mapping: Option<Vec<Target>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RowErrorKind {
    InvalidEmail,
    MissingColumn,
    DuplicateInFile,
    AlreadyInEvent,
    InvalidValue,
}

/// One rejected row: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RowError {
    pub line: u64,
    pub kind: RowErrorKind,
    pub reason: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ImportReport {
    pub import_id: String,
    pub file: String,
    pub encoding: String,
    pub separator: String,
    /// Data rows read (blank lines excluded).
    pub rows: u64,
    pub imported: u64,
    /// Rows not written because they were refused (errors other than "already in event").
    pub rejected: u64,
    /// Rows whose e-mail is already in the event (written by an earlier run of the same
    /// import, or by someone else): not written again, not counted as rejected.
    #[serde(default)]
    pub already_present: u64,
    pub errors: Vec<RowError>,
    /// Cancelled by the user: what had been written was removed again.
    pub cancelled: bool,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ImportPhase")]
pub enum Phase {
    Checking,
    Writing,
    RollingBack,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ImportProgress")]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// A file decoded to text, with what was detected.
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

fn file_err(file: &str, msg: impl AsRef<str>) -> Error {
    Error::invalid("file", format!("{file}: {}", msg.as_ref()))
}

/// Decode bytes: BOMs first (UTF-8, UTF-16), then valid UTF-8, else Windows-1252 (what
/// Excel writes in Western European locales). Refuses what is clearly not text.
pub fn decode(file: &str, bytes: &[u8], forced: Option<&str>) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(file_err(file, "the file is empty"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(file_err(
            file,
            "this is not a CSV file but a ZIP archive (an Excel .xlsx workbook?): save it as CSV first",
        ));
    }
    if bytes.starts_with(b"%PDF") {
        return Err(file_err(file, "this is not a CSV file but a PDF document"));
    }
    if let Some(label) = forced.filter(|l| !l.trim().is_empty()) {
        let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| Error::invalid("encoding", format!("unknown encoding '{label}'")))?;
        let (text, _, _) = enc.decode(bytes);
        return check_text(file, text.into_owned(), enc.name());
    }
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (String::from_utf8_lossy(rest).into_owned(), "UTF-8 (BOM)")
    } else if bytes.starts_with(b"\xFF\xFE") {
        let (t, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        (t.into_owned(), "UTF-16LE")
    } else if bytes.starts_with(b"\xFE\xFF") {
        let (t, _, _) = encoding_rs::UTF_16BE.decode(bytes);
        (t.into_owned(), "UTF-16BE")
    } else if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(file_err(
            file,
            "this is not a CSV file (it contains binary data)",
        ));
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), "UTF-8"),
            Err(_) => {
                let (t, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                (t.into_owned(), "windows-1252")
            }
        }
    };
    check_text(file, text, encoding)
}

fn check_text(file: &str, text: String, encoding: &'static str) -> Result<Decoded> {
    let sample: Vec<char> = text.chars().take(8192).collect();
    let bad = sample
        .iter()
        .filter(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || **c == '\u{FFFD}')
        .count();
    if sample.is_empty() || bad * 50 > sample.len() {
        return Err(file_err(
            file,
            "this is not a CSV file (it does not contain readable text)",
        ));
    }
    Ok(Decoded { text, encoding })
}

fn reader(text: &str, sep: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn is_blank(r: &csv::StringRecord) -> bool {
    r.iter().all(|f| f.trim().is_empty())
}

/// Excel's `sep=;` first line, if present: the separator and the text after that line.
fn sep_line(text: &str) -> Option<(u8, usize)> {
    let first = text.lines().next()?;
    let rest = first.trim_end_matches('\r').strip_prefix("sep=")?;
    let b = rest.as_bytes();
    if b.len() == 1 {
        Some((b[0], first.len() + 1))
    } else {
        None
    }
}

/// The separator that splits the first records most consistently into several columns.
pub fn detect_separator(text: &str) -> u8 {
    let mut best = (0_u64, b',');
    for sep in SEPARATORS {
        let mut counts = vec![];
        for r in reader(text, sep).records().take(50) {
            match r {
                Ok(r) if is_blank(&r) => {}
                Ok(r) => counts.push(r.len()),
                Err(_) => break,
            }
        }
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let same = counts.iter().filter(|&&c| c == header).count() as u64;
        let score = same * 1000 / counts.len() as u64 * 100 + header as u64;
        if score > best.0 {
            best = (score, sep);
        }
    }
    best.1
}

fn sep_name(sep: u8) -> String {
    (sep as char).to_string()
}

fn parse_sep(s: &str) -> Result<u8> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(Error::invalid(
            "separator",
            format!("'{s}' is not a one-character separator"),
        )),
    }
}

/// Suggest what a column is, from its header (French and English names).
pub fn suggest(header: &str) -> Target {
    let f = text::fold(header);
    let w: String = f.chars().filter(|c| c.is_alphanumeric()).collect();
    let has = |xs: &[&str]| xs.iter().any(|x| w == *x);
    let contains = |xs: &[&str]| xs.iter().any(|x| w.contains(x));
    if contains(&["email", "courriel", "mail"]) {
        Target::Email
    } else if has(&["prenom", "firstname", "givenname", "first"]) {
        Target::FirstName
    } else if has(&["nomdefamille", "lastname", "surname", "familyname", "last"]) {
        Target::LastName
    } else if has(&[
        "nom",
        "name",
        "nomcomplet",
        "fullname",
        "participant",
        "nometprenom",
        "prenometnom",
    ]) {
        Target::Name
    } else if has(&[
        "societe",
        "entreprise",
        "company",
        "organisation",
        "organization",
        "organisme",
        "employeur",
        "structure",
    ]) {
        Target::Company
    } else if has(&[
        "fonction", "poste", "role", "titre", "title", "jobtitle", "position",
    ]) {
        Target::Role
    } else if contains(&["telephone", "phone", "mobile", "portable"]) || has(&["tel"]) {
        Target::Phone
    } else {
        Target::Custom
    }
}

/// Suggested targets for a whole header: with a first-name column, "Nom" is the last name.
pub fn suggest_all(headers: &[String]) -> Vec<Target> {
    let mut m: Vec<Target> = headers.iter().map(|h| suggest(h)).collect();
    if m.contains(&Target::FirstName) && !m.contains(&Target::LastName) {
        if let Some(n) = m.iter_mut().find(|t| **t == Target::Name) {
            *n = Target::LastName;
        }
    }
    let mut seen = HashSet::new();
    for t in m.iter_mut() {
        if !matches!(t, Target::Custom | Target::Ignore) && !seen.insert(*t) {
            *t = Target::Custom;
        }
    }
    m
}

/// A parsed file: header and data rows with their line numbers.
pub struct Table {
    pub encoding: &'static str,
    pub separator: u8,
    pub headers: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Decode and split a file into a header and rows.
pub fn parse(file: &str, bytes: &[u8], opts: &ImportOptions) -> Result<Table> {
    let decoded = decode(file, bytes, opts.encoding.as_deref())?;
    let mut text = decoded.text.as_str();
    let mut line_offset = 0;
    let mut sep = match opts.separator.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(parse_sep(s)?),
        None => None,
    };
    if let Some((s, skip)) = sep_line(text) {
        text = &text[skip.min(text.len())..];
        line_offset = 1;
        sep.get_or_insert(s);
    }
    let sep = sep.unwrap_or_else(|| detect_separator(text));
    let mut headers: Option<Vec<String>> = None;
    let mut rows = vec![];
    // Line numbers from byte offsets: a record's position is where the reader resumed
    // (after the previous record, before any blank line or the `\n` of a CRLF), so skip
    // line breaks to the record's first character and count the newlines passed.
    let bytes_txt = text.as_bytes();
    let (mut at, mut at_line) = (0_usize, 1_u64);
    let mut line_of = |start: usize| -> u64 {
        let mut start = start.min(bytes_txt.len());
        while start < bytes_txt.len() && matches!(bytes_txt[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= at {
            at_line += bytes_txt[at..start].iter().filter(|b| **b == b'\n').count() as u64;
            at = start;
        }
        at_line
    };
    for r in reader(text, sep).records() {
        let r = r.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line()) + line_offset;
            Error::invalid(format!("line {line}"), format!("line {line}: {e}"))
        })?;
        if is_blank(&r) {
            continue;
        }
        let line = line_of(r.position().map_or(0, |p| p.byte() as usize)) + line_offset;
        let fields: Vec<String> = r.iter().map(|f| f.trim().to_owned()).collect();
        if headers.is_none() {
            let mut seen: HashMap<String, u32> = HashMap::new();
            let hs = fields
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let base = if h.is_empty() {
                        format!("Column {}", i + 1)
                    } else {
                        h.clone()
                    };
                    let n = seen.entry(base.clone()).or_insert(0);
                    *n += 1;
                    if *n > 1 {
                        format!("{base} ({n})")
                    } else {
                        base
                    }
                })
                .collect();
            headers = Some(hs);
        } else {
            rows.push((line, fields));
        }
    }
    let headers = headers.ok_or_else(|| file_err(file, "the file contains no rows"))?;
    Ok(Table {
        encoding: decoded.encoding,
        separator: sep,
        headers,
        rows,
    })
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| file_err(&path.display().to_string(), format!("cannot read: {e}")))
}

/// Detected encoding and separator, the header, the first rows and a suggested mapping.
pub fn inspect_bytes(file: &str, bytes: &[u8], opts: &ImportOptions) -> Result<Preview> {
    let t = parse(file, bytes, opts)?;
    let mapping = suggest_all(&t.headers);
    Ok(Preview {
        file: file.to_owned(),
        encoding: t.encoding.to_owned(),
        separator: sep_name(t.separator),
        rows: t
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|(_, r)| r.clone())
            .collect(),
        total_rows: t.rows.len() as u64,
        headers: t.headers,
        mapping,
    })
}

pub fn inspect(path: &std::path::Path, opts: &ImportOptions) -> Result<Preview> {
    inspect_bytes(&file_name(path), &read_file(path)?, opts)
}

/// Check a mapping against the header: one target per column, an e-mail column, and
/// no target (other than custom/ignore) used twice.
fn check_mapping(headers: &[String], mapping: &[Target]) -> Result<()> {
    if mapping.len() != headers.len() {
        return Err(Error::invalid(
            "mapping",
            format!(
                "{} columns mapped but the file has {} ({})",
                mapping.len(),
                headers.len(),
                headers.join(", ")
            ),
        ));
    }
    if !mapping.contains(&Target::Email) {
        return Err(Error::invalid(
            "mapping",
            format!(
                "line 1: no column is mapped to the e-mail (columns: {})",
                headers.join(", ")
            ),
        ));
    }
    for t in [
        Target::Name,
        Target::FirstName,
        Target::LastName,
        Target::Email,
        Target::Company,
        Target::Role,
        Target::Phone,
    ] {
        if mapping.iter().filter(|m| **m == t).count() > 1 {
            return Err(Error::invalid(
                "mapping",
                format!("two columns are mapped to {t:?}"),
            ));
        }
    }
    Ok(())
}

/// A row checked and turned into a participant input, or why not.
fn row_input(
    headers: &[String],
    mapping: &[Target],
    fields: &[String],
) -> std::result::Result<ParticipantInput, (RowErrorKind, String)> {
    let mut input = ParticipantInput::default();
    let (mut first, mut last) = (String::new(), String::new());
    for (i, target) in mapping.iter().enumerate() {
        let Some(v) = fields.get(i) else {
            if matches!(target, Target::Email) {
                return Err((
                    RowErrorKind::MissingColumn,
                    format!(
                        "missing column '{}' (the row has {} of {} columns)",
                        headers[i],
                        fields.len(),
                        headers.len()
                    ),
                ));
            }
            continue;
        };
        let v = v.clone();
        match target {
            Target::Name => input.name = v,
            Target::FirstName => first = v,
            Target::LastName => last = v,
            Target::Email => input.email = v,
            Target::Company => input.company = v,
            Target::Role => input.role = v,
            Target::Phone => input.phone = v,
            Target::Custom if !v.is_empty() => {
                input.custom.insert(headers[i].clone(), Value::String(v));
            }
            Target::Custom | Target::Ignore => {}
        }
    }
    if input.name.is_empty() {
        input.name = format!("{first} {last}").trim().to_owned();
    }
    Ok(input)
}

/// The filter and projection of "who is already in the event" (the e-mail addresses of
/// its live participants), covered by the unique `{event_id, email_norm}` index.
pub fn existing_emails_query(event_id: &str) -> (bson::Document, bson::Document) {
    let mut f = live();
    f.insert("event_id", event_id);
    (f, doc! { "_id": 0, "email_norm": 1 })
}

/// The index the "who is already in the event" lookup reads, named to the server. The
/// filter already says `deleted_at: {$type: "null"}`, the index's own partial filter, so
/// MongoDB's planner picks it by itself; SecantusDB 0.5.3 cannot prove that a `$type`
/// filter implies a `$type` partial filter (it only reasons about `$eq`, ranges and
/// `$exists`) and scanned the whole collection. Hinted, it reads the index on both.
pub fn existing_emails_hint() -> mongodb::options::Hint {
    mongodb::options::Hint::Name(super::schema::EVENT_EMAIL_UNIQUE.to_owned())
}

/// Import a file's rows into an event. `progress` is called as the work advances; setting
/// `cancel` stops it and removes what this import had written.
pub async fn import(
    core: &Core,
    event_id: &str,
    path: &std::path::Path,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let bytes = read_file(path)?;
    run_import(core, event_id, path, &bytes, opts, progress, cancel, None).await
}

/// Import a file's bytes as a recorded job ([`crate::jobs`]); with `resume`, finish the
/// interrupted import of that id (what it wrote is kept and counted as already present).
#[allow(clippy::too_many_arguments)]
pub async fn run_import(
    core: &Core,
    event_id: &str,
    path: &std::path::Path,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
    resume: Option<&str>,
) -> Result<ImportReport> {
    let file = file_name(path);
    let import_id = resume
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let work = jobs::Work::Import {
        import_id: import_id.clone(),
        path: path.display().to_string(),
        sha256: jobs::file_hash(bytes),
        options: opts.clone(),
    };
    let job = jobs::begin(core, Some(&import_id), event_id, &file, work).await?;
    let r = import_as(
        core,
        event_id,
        &file,
        bytes,
        opts,
        progress,
        cancel,
        &import_id,
        resume.is_some(),
    )
    .await;
    // If the job cannot be closed (the disk is full), its heartbeat has stopped: it is
    // offered as interrupted at the next look.
    let _ = match &r {
        Ok(rep) if rep.cancelled => job.finish(jobs::State::RolledBack, None, 0).await,
        Ok(rep) => job.finish(jobs::State::Done, None, rep.imported).await,
        Err(e) => {
            let written = raw(core)
                .count_documents(doc! { "event_id": event_id, "source.import_id": &import_id })
                .await
                .unwrap_or(1);
            job.finish(jobs::state_after_error(written), Some(e.code), written)
                .await
        }
    };
    r
}

pub async fn import_bytes(
    core: &Core,
    event_id: &str,
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let import_id = uuid::Uuid::now_v7().to_string();
    import_as(
        core, event_id, file, bytes, opts, progress, cancel, &import_id, false,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn import_as(
    core: &Core,
    event_id: &str,
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
    import_id: &str,
    resuming: bool,
) -> Result<ImportReport> {
    let import_id = import_id.to_owned();
    let started = Instant::now();
    super::require_event(core, event_id).await?;
    let table = parse(file, bytes, opts)?;
    let mapping = match &opts.mapping {
        Some(m) => m.clone(),
        None => suggest_all(&table.headers),
    };
    check_mapping(&table.headers, &mapping)?;
    let total = table.rows.len() as u64;
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });

    // Who is already in the event (one indexed projection query), and who of them an
    // earlier run of this same import wrote.
    let mut existing: HashSet<String> = HashSet::new();
    let mut mine: HashSet<String> = HashSet::new();
    let (f, mut projection) = existing_emails_query(event_id);
    // Which rows this very import wrote (to finish an interrupted one).
    projection.insert("source.import_id", 1);
    let mut cur = raw(core)
        .find(f)
        .projection(projection)
        .hint(existing_emails_hint())
        .await?;
    while let Some(d) = cur.try_next().await? {
        if let Ok(e) = d.get_str("email_norm") {
            existing.insert(e.to_owned());
            let ours = d
                .get_document("source")
                .ok()
                .and_then(|s| s.get_str("import_id").ok())
                == Some(import_id.as_str());
            if resuming && ours {
                mine.insert(e.to_owned());
            }
        }
    }

    let mut already_present = 0_u64;
    let now = time::now();
    let actor = core.actor().to_owned();
    let mut errors: Vec<RowError> = vec![];
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut good: Vec<(u64, Participant)> = Vec::with_capacity(table.rows.len());
    for (line, fields) in &table.rows {
        let line = *line;
        let input = match row_input(&table.headers, &mapping, fields) {
            Ok(i) => i,
            Err((kind, reason)) => {
                errors.push(RowError {
                    line,
                    kind,
                    reason,
                    email: String::new(),
                });
                continue;
            }
        };
        let shown_email = input.email.clone();
        let (input, norm) = match validate::normalise(input) {
            Ok(x) => x,
            Err(e) => {
                let kind = if e.field.as_deref() == Some("email")
                    || e.problems.iter().any(|p| p.field == "email")
                {
                    RowErrorKind::InvalidEmail
                } else {
                    RowErrorKind::InvalidValue
                };
                let reason = if kind == RowErrorKind::InvalidEmail && shown_email.trim().is_empty()
                {
                    "missing e-mail".to_owned()
                } else {
                    e.message
                };
                errors.push(RowError {
                    line,
                    kind,
                    reason,
                    email: shown_email,
                });
                continue;
            }
        };
        if let Some(first) = seen.get(&norm) {
            errors.push(RowError {
                line,
                kind: RowErrorKind::DuplicateInFile,
                reason: format!("duplicate in file: same e-mail as line {first}"),
                email: input.email,
            });
            continue;
        }
        seen.insert(norm.clone(), line);
        if mine.contains(&norm) {
            already_present += 1;
            continue;
        }
        if existing.contains(&norm) {
            already_present += 1;
            errors.push(RowError {
                line,
                kind: RowErrorKind::AlreadyInEvent,
                reason: "already in event".into(),
                email: input.email,
            });
            continue;
        }
        let source = Source {
            kind: "import".into(),
            import_id: Some(import_id.clone()),
            file: Some(file.to_owned()),
            line: Some(line),
        };
        good.push((line, build(event_id, input, norm, source, now, &actor)));
    }

    let to_write = good.len() as u64;
    let mut imported = 0_u64;
    let mut cancelled = false;
    for chunk in good.chunks(BATCH) {
        if cancel.load(Ordering::SeqCst) {
            cancelled = true;
            break;
        }
        progress(Progress {
            phase: Phase::Writing,
            done: imported,
            total: to_write,
        });
        let docs = chunk.iter().map(|(_, p)| p);
        match coll(core).insert_many(docs).ordered(false).await {
            Ok(r) => imported += r.inserted_ids.len() as u64,
            Err(e) => {
                let mongodb::error::ErrorKind::InsertMany(ime) = e.kind.as_ref() else {
                    return Err(stop(core, event_id, &import_id, progress, e.into()).await);
                };
                if ime.write_concern_error.is_some() {
                    return Err(stop(core, event_id, &import_id, progress, e.into()).await);
                }
                let failed = ime.write_errors.clone().unwrap_or_default();
                if failed
                    .iter()
                    .any(|w| w.code == 14031 || crate::supervise::disk_full_text(&w.message))
                {
                    let err = Error::disk_full();
                    return Err(stop(core, event_id, &import_id, progress, err).await);
                }
                imported += (chunk.len() - failed.len()) as u64;
                for we in failed {
                    let Some((line, p)) = chunk.get(we.index) else {
                        continue;
                    };
                    let (kind, reason) = if we.code == 11000 {
                        already_present += 1;
                        (RowErrorKind::AlreadyInEvent, "already in event".to_owned())
                    } else {
                        (
                            RowErrorKind::InvalidValue,
                            format!("refused by the database: {}", we.message),
                        )
                    };
                    errors.push(RowError {
                        line: *line,
                        kind,
                        reason,
                        email: p.input.email.clone(),
                    });
                }
            }
        }
    }
    if cancelled {
        rollback(core, event_id, &import_id, progress).await;
        imported = 0;
    }
    errors.sort_by_key(|e| e.line);
    let report = ImportReport {
        import_id: import_id.clone(),
        file: file.to_owned(),
        encoding: table.encoding.to_owned(),
        separator: sep_name(table.separator),
        rows: total,
        imported,
        rejected: errors
            .iter()
            .filter(|e| e.kind != RowErrorKind::AlreadyInEvent)
            .count() as u64,
        already_present,
        errors,
        cancelled,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    if imported > 0 {
        audit_coll(core)
            .replace_one(
                doc! { "_id": &import_id },
                AuditEntry {
                    id: import_id,
                    event_id: event_id.to_owned(),
                    participant_id: None,
                    at: now,
                    actor,
                    action: "import".into(),
                    from: None,
                    to: None,
                    note: format!("{file}: {imported} imported, {} rejected", report.rejected),
                },
            )
            .upsert(true)
            .await?;
    }
    progress(Progress {
        phase: Phase::Done,
        done: imported,
        total: to_write,
    });
    Ok(report)
}

/// An import stopped by a database error: what it wrote is kept when the job can be
/// finished later (a full disk, the database gone), else removed.
async fn stop(
    core: &Core,
    event_id: &str,
    import_id: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    err: Error,
) -> Error {
    if !jobs::keeps_work(&err) {
        rollback(core, event_id, import_id, progress).await;
    }
    err
}

/// Remove what an import wrote (cancel, or a database failure half-way).
async fn rollback(
    core: &Core,
    event_id: &str,
    import_id: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
) {
    progress(Progress {
        phase: Phase::RollingBack,
        done: 0,
        total: 0,
    });
    let _ = raw(core)
        .delete_many(doc! { "event_id": event_id, "source.import_id": import_id })
        .await;
}

/// Figures of one benchmark run (see `eventhub-cli bench import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub rows: u64,
    /// Our import: decode, detect, parse, check every row, unordered batches of 1,000.
    pub ours_ms: u64,
    pub ours_rows_per_s: f64,
    /// The driver's plain `insert_many` of the same documents (already built).
    pub raw_ms: u64,
    pub raw_rows_per_s: f64,
    /// ours / raw, in rows per second.
    pub ratio: f64,
}

/// A French-Excel-like file of `n` rows (`;`, CRLF, accents), for benchmarks and tests.
pub fn synthetic_csv(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 80);
    s.push_str("Nom;Prénom;Adresse e-mail;Société;Fonction;Téléphone;Régime\r\n");
    for i in 0..n {
        s.push_str(&format!(
            "Lefèvre-{i};Anaïs;anais.{i}@exemple.fr;Société Générale {};Chargée d'études;06 12 34 {:02} {:02};{}\r\n",
            i % 500,
            i % 100,
            (i / 100) % 100,
            if i % 7 == 0 { "végétarien" } else { "" }
        ));
    }
    s.into_bytes()
}

/// Import `rows` synthetic rows into a new event of `core`'s database, then insert the
/// same documents with a plain `insert_many` into another event, and compare.
pub async fn bench(core: &Core, rows: usize) -> Result<BenchResult> {
    let mk = |title: &str| {
        crate::events::input_from_json(serde_json::json!({
            "title": title,
            "starts_at": "2030-01-01T08:00:00Z",
            "ends_at": "2030-01-01T18:00:00Z",
        }))
    };
    let ours_ev = crate::events::create(core, mk("bench: import")?).await?;
    let raw_ev = crate::events::create(core, mk("bench: raw insert_many")?).await?;
    let bytes = synthetic_csv(rows);
    let t = Instant::now();
    let report = import_bytes(
        core,
        &ours_ev.id,
        "bench.csv",
        &bytes,
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await?;
    let ours = t.elapsed();
    if report.imported != rows as u64 {
        return Err(Error::internal(format!(
            "bench: {} of {rows} rows imported",
            report.imported
        )));
    }
    let mut docs: Vec<Participant> = coll(core)
        .find(doc! { "event_id": &ours_ev.id })
        .await?
        .try_collect()
        .await?;
    for d in &mut docs {
        d.id = uuid::Uuid::now_v7().to_string();
        d.event_id = raw_ev.id.clone();
    }
    let t = Instant::now();
    coll(core).insert_many(&docs).await?;
    let raw_t = t.elapsed();
    let rps = |d: std::time::Duration| rows as f64 / d.as_secs_f64().max(1e-9);
    Ok(BenchResult {
        rows: rows as u64,
        ours_ms: ours.as_millis() as u64,
        ours_rows_per_s: rps(ours),
        raw_ms: raw_t.as_millis() as u64,
        raw_rows_per_s: rps(raw_t),
        ratio: rps(ours) / rps(raw_t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_detected() {
        assert_eq!(detect_separator("a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(detect_separator("a,b,c\n1,\"2;5\",3\n"), b',');
        assert_eq!(detect_separator("a\tb\n1\t2\n"), b'\t');
    }

    #[test]
    fn headers_suggest_targets() {
        assert_eq!(suggest("Adresse e-mail"), Target::Email);
        assert_eq!(suggest("Courriel"), Target::Email);
        assert_eq!(suggest("Prénom"), Target::FirstName);
        assert_eq!(suggest("Nom"), Target::Name);
        assert_eq!(suggest("Société"), Target::Company);
        assert_eq!(suggest("Téléphone"), Target::Phone);
        assert_eq!(suggest("Régime alimentaire"), Target::Custom);
    }

    #[test]
    fn windows_1252_is_decoded() {
        let d = decode("f.csv", b"Nom;Soci\xe9t\xe9\n", None).unwrap();
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("Société"));
    }
}
