//! A randomised convergence run: several local stores and one remote, random operations
//! through the app's own functions (events, participants with the same e-mail on several
//! stores, RSVPs, check-ins, seats on a small plan, poll answers, profiles, connections,
//! organisers' merges of two participants, erasures, writes made while a sync runs), syncs
//! in random order, then everyone syncs until quiet. Checked: no sync fails, every store
//! holds the remote's documents, the last acknowledged write of each tracked field is there
//! (unless the user chose otherwise in a conflict, or the document was merged or erased),
//! no natural key is held twice, and every store's dashboard tallies equal its answers.
//!
//! Reproducible: the same seed gives the same operations (the timing of the engine aside).
//! Used by the test suite (a few hundred operations) and `eventhub-cli sync soak`.
//! `EVENTHUB_SOAK_TRACE=1` prints every operation and every sync's moves and failures.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{atomic::AtomicBool, Arc, Mutex},
    time::Instant,
};

use bson::{doc, Document};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::json;

use crate::{
    db::Policy, events, feedback, lab::generate::Rng, networking, participants, schema, Core,
    Result,
};

use super::{dedupe, hash, Choice, SyncOptions};

/// What a soak run did and found.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub seed: u64,
    pub ops: usize,
    /// Operations the app refused (an RSVP on an erased event…): expected, not counted.
    pub refused: usize,
    pub syncs: usize,
    /// Organisers' merges of two participants that the app carried out.
    pub merges: usize,
    /// Rounds of "everyone syncs" needed at the end before nothing moved.
    pub rounds_to_quiet: usize,
    pub conflicts_resolved: usize,
    pub duplicates_merged: usize,
    pub seconds: f64,
    /// What went wrong; empty when every check held.
    pub problems: Vec<String>,
}

/// A tracked field: (collection, key, field).
type Field = (String, String, String);
/// Its acknowledged values in order: (sequence, who wrote, value).
type History = Vec<(u64, String, String)>;

/// The acknowledged values of tracked fields, in order.
#[derive(Default)]
struct Ledger {
    seq: u64,
    /// The store acting now (and "sync" events), for the history shown on a problem.
    store: String,
    /// (collection, key, field) → [(sequence, store, value)]
    last: BTreeMap<Field, History>,
    /// Organisers' merges carried out: (survivor, merged copy).
    merged: Vec<(String, String)>,
    /// Participants a sync merged (one person registered on two stores): (survivor,
    /// merged copy).
    deduped: Vec<(String, String)>,
    /// Print every operation and sync (`EVENTHUB_SOAK_TRACE=1`): to find the sequence
    /// behind a failing seed.
    trace: bool,
}

impl Ledger {
    fn write(&mut self, coll: &str, key: &str, field: &str, value: &str) {
        self.seq += 1;
        self.last
            .entry((coll.to_owned(), key.to_owned(), field.to_owned()))
            .or_default()
            .push((self.seq, self.store.clone(), value.to_owned()));
    }

    /// One line of the trace: what the store acting now did.
    fn note(&self, what: impl std::fmt::Display) {
        if self.trace {
            eprintln!("soak #{} {}: {what}", self.seq, self.store);
        }
    }

    fn sync(&mut self, i: usize) {
        self.seq += 1;
        self.store = format!("sync {i}@{}", self.seq);
    }

    /// What a sync reported having merged; how many documents.
    fn duplicates(&mut self, r: &super::SyncReport) -> usize {
        let mut n = 0;
        for c in &r.collections {
            n += c.duplicates.len();
            if c.collection == participants::schema::PARTICIPANTS {
                for d in &c.duplicates {
                    self.deduped.push((d.survivor.clone(), d.merged.clone()));
                }
            }
        }
        n
    }

    /// `p` and every participant a sync merged with it, directly or not.
    fn same_person(&self, p: &str) -> HashSet<String> {
        let mut out = HashSet::from([p.to_owned()]);
        loop {
            let before = out.len();
            for (a, b) in &self.deduped {
                if out.contains(a) || out.contains(b) {
                    out.insert(a.clone());
                    out.insert(b.clone());
                }
            }
            if out.len() == before {
                return out;
            }
        }
    }
}

const EMAILS: [&str; 12] = [
    "ian@x.org",
    "jo@x.org",
    "kim@x.org",
    "ANN@x.org",
    "ann@x.org",
    "bob@x.org",
    "cleo@x.org",
    "dan@x.org",
    "eve@x.org",
    "fay@x.org",
    "gus@x.org",
    "hal@x.org",
];

async fn ids(core: &Core, coll: &str, filter: Document) -> Result<Vec<String>> {
    let docs: Vec<Document> = core
        .db()
        .collection::<Document>(coll)
        .find(filter)
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?;
    let mut v: Vec<String> = docs
        .iter()
        .filter_map(|d| d.get_str("_id").ok().map(str::to_owned))
        .collect();
    v.sort();
    Ok(v)
}

/// One random operation on `core`; `Ok(false)` when the app refused it.
async fn operation(core: &Core, rng: &mut Rng, ledger: &mut Ledger) -> Result<bool> {
    let mut what = String::new();
    let done = act(core, rng, ledger, &mut what).await;
    if ledger.trace {
        let outcome = match &done {
            Ok(true) => "done".to_owned(),
            Ok(false) => "refused".to_owned(),
            Err(e) => format!("error {e}"),
        };
        ledger.note(format!("{what}: {outcome}"));
    }
    done
}

/// [`operation`], saying in `what` what it tried.
async fn act(core: &Core, rng: &mut Rng, ledger: &mut Ledger, what: &mut String) -> Result<bool> {
    let evs = ids(core, crate::db::EVENTS, doc! { "deleted_at": null }).await?;
    let roll = rng.below(100);
    if evs.is_empty() || roll < 2 {
        let e = events::create(
            core,
            events::input_from_json(json!({
                "title": format!("Événement {}", rng.below(1000)),
                "starts_at": "2027-06-01T07:00:00Z",
                "ends_at": "2027-06-01T16:00:00Z",
                // A small room: seats given on several stores collide often.
                "seating": [{ "room": "Salle", "layout": { "kind": "grid", "rows": 2, "seats_per_row": 3 } }],
            }))?,
        )
        .await?;
        let q = feedback::create_question(
            core,
            &e.id,
            feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Note"}}))?,
        )
        .await?;
        feedback::set_status(core, &q.id, feedback::QuestionStatus::Open).await?;
        *what = format!("create event {}", e.id);
        ledger.write("events", &e.id, "title", &e.input.title);
        return Ok(true);
    }
    let ev = rng.pick(&evs).clone();
    let people = ids(
        core,
        participants::schema::PARTICIPANTS,
        doc! { "event_id": &ev, "deleted_at": null },
    )
    .await?;
    let refused = |r: Result<()>| match r {
        Ok(()) => Ok(true),
        Err(e) if e.code == crate::Code::DbUnavailable => Err(e),
        Err(_) => Ok(false),
    };
    match roll {
        2..=13 => {
            let e = events::get(core, &ev).await?;
            let mut input = e.input.clone();
            input.title = format!("Événement {}", rng.below(1000));
            *what = format!("retitle event {ev}");
            refused(
                events::update(core, &ev, e.version, input.clone())
                    .await
                    .map(|_| ledger.write("events", &ev, "title", &input.title)),
            )
        }
        14 => {
            *what = format!("delete event {ev}");
            refused(events::delete(core, &ev, None).await)
        }
        15..=39 => {
            let email = *rng.pick(&EMAILS);
            *what = format!("register {email} in {ev}");
            let r = participants::create(
                core,
                &ev,
                participants::ParticipantInput {
                    name: email.split('@').next().unwrap_or_default().to_owned(),
                    email: email.to_owned(),
                    ..Default::default()
                },
            )
            .await;
            refused(r.map(|_| ()))
        }
        _ if people.is_empty() => Ok(false),
        54..=57 => {
            // A seat (not tracked: two stores giving one seat, one of them loses it).
            let p = rng.pick(&people).clone();
            let e = events::get(core, &ev).await?;
            let Some(plan) = e.input.seating.first() else {
                return Ok(false);
            };
            let label = format!("{}{}", *rng.pick(&["A", "B"]), 1 + rng.below(3));
            *what = format!("seat {p} on {label}");
            refused(
                participants::seating::assign(core, &p, &plan.id, &label)
                    .await
                    .map(|_| ()),
            )
        }
        40..=53 | 58..=59 => {
            let p = rng.pick(&people).clone();
            let to = *rng.pick(&[
                participants::RsvpStatus::Accepted,
                participants::RsvpStatus::Declined,
                participants::RsvpStatus::Tentative,
            ]);
            // A write that leaves the value as it was on this store changes nothing
            // (the sync cannot tell it from no write): not tracked.
            let before = participants::get(core, &p).await?.status;
            *what = format!("rsvp {p} {}", to.as_str());
            refused(participants::set_status(core, &p, None, to).await.map(|n| {
                if n.status != before {
                    ledger.write("participants", &p, "status", n.status.as_str())
                }
            }))
        }
        60..=67 => {
            let p = rng.pick(&people).clone();
            let before = participants::get(core, &p).await?.status;
            *what = format!("check in {p}");
            refused(participants::check_in(core, &p).await.map(|n| {
                if n.status != before {
                    ledger.write("participants", &p, "status", n.status.as_str())
                }
            }))
        }
        68..=79 => {
            let p = rng.pick(&people).clone();
            let qs = ids(core, feedback::QUESTIONS, doc! { "event_id": &ev }).await?;
            let Some(qid) = qs.first() else {
                return Ok(false);
            };
            let q = feedback::get_question(core, qid).await?;
            let v = 1 + rng.below(5);
            *what = format!("answer {v} by {p}");
            let who = feedback::Respondent::Participant(p.clone());
            refused(
                feedback::answer(core, &q, &who, &feedback::RawValue::Number(v as f64))
                    .await
                    .map(|_| {
                        ledger.write(
                            "feedback_answers",
                            &format!("{qid}/{p}"),
                            "num",
                            &v.to_string(),
                        )
                    }),
            )
        }
        80..=87 => {
            let p = rng.pick(&people).clone();
            *what = format!("profile of {p}");
            let r = networking::save_profile(
                core,
                &p,
                networking::ProfileInput {
                    opted_in: true,
                    company: format!("Société {}", rng.below(20)),
                    ..Default::default()
                },
            )
            .await;
            refused(r.map(|_| ()))
        }
        88..=96 => {
            let (a, b) = (rng.pick(&people).clone(), rng.pick(&people).clone());
            *what = format!("connect {a} → {b}");
            let r = async {
                let c = networking::request(core, &a, &b).await?;
                if rng.below(2) == 0 {
                    networking::respond(core, &b, &c.id, true).await?;
                }
                Ok(())
            }
            .await;
            refused(r)
        }
        97 => {
            // The organiser merges two records of the event: the other becomes a tombstone
            // (its address free again for a new registration), the survivor may take the
            // other's status.
            let (keep, other) = (rng.pick(&people).clone(), rng.pick(&people).clone());
            let before = participants::get(core, &keep).await?.status;
            *what = format!("merge {other} into {keep}");
            refused(participants::merge(core, &keep, &other).await.map(|r| {
                ledger.merged.push((keep.clone(), other.clone()));
                if r.participant.status != before {
                    ledger.write(
                        "participants",
                        &keep,
                        "status",
                        r.participant.status.as_str(),
                    )
                }
            }))
        }
        _ => {
            let p = rng.pick(&people).clone();
            *what = format!("erase {p}");
            refused(networking::erase(core, &p).await.map(|_| ()))
        }
    }
}

/// Every synced document of a store, by collection and id, as hashes.
async fn contents(core: &Core) -> Result<BTreeMap<(String, String), String>> {
    let mut out = BTreeMap::new();
    for spec in schema::synced() {
        let mut cur = core
            .db()
            .collection::<Document>(spec.name)
            .find(doc! {})
            .await?;
        while let Some(d) = cur.try_next().await? {
            let id = d.get("_id").map(super::id_string).unwrap_or_default();
            out.insert((spec.name.to_owned(), id), hash(&d));
        }
    }
    Ok(out)
}

/// A sync's report in one line, for the trace: per collection what moved, what merged,
/// what failed.
fn summary(r: &super::SyncReport) -> String {
    let mut out = vec![];
    for c in &r.collections {
        let moved = c.pushed + c.pulled + c.merged + c.conflicts + c.deferred;
        if moved == 0 && c.duplicates.is_empty() && c.failures.is_empty() {
            continue;
        }
        let dups: Vec<String> = c
            .duplicates
            .iter()
            .map(|d| format!("{}→{}", d.merged, d.survivor))
            .collect();
        let fails: Vec<String> = c
            .failures
            .iter()
            .map(|f| format!("{} {:?}", f.id, f.code))
            .collect();
        out.push(format!(
            "{} +{} -{} ={} ?{} ~{} dup{dups:?} fail{fails:?}",
            c.collection, c.pushed, c.pulled, c.merged, c.conflicts, c.deferred
        ));
    }
    for f in &r.failures {
        out.push(format!("{} {} {:?}", f.collection, f.id, f.code));
    }
    format!("synced: {}", out.join("; "))
}

/// Run `ops` random operations over `locals` and `remote` from `seed`, then sync until
/// quiet and check. `locals` and `remote` must be empty stores.
pub async fn soak(locals: &[Core], remote: &Core, ops: usize, seed: u64) -> Result<SoakReport> {
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut ledger = Ledger {
        trace: std::env::var_os("EVENTHUB_SOAK_TRACE").is_some(),
        ..Default::default()
    };
    let mut report = SoakReport {
        seed,
        ops,
        refused: 0,
        merges: 0,
        syncs: 0,
        rounds_to_quiet: 0,
        conflicts_resolved: 0,
        duplicates_merged: 0,
        seconds: 0.0,
        problems: vec![],
    };
    // Fields the user decided in a conflict, and documents merged or erased: exempt from
    // the last-write check.
    let mut decided: HashSet<(String, String, String)> = HashSet::new();
    // Writes made by the hook during a sync: (participant, status), for the ledger.
    let meanwhile: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sync_once = |i: usize, inject: bool, rng_seed: u64| {
        let local = locals[i].clone();
        let remote = remote.clone();
        let meanwhile = meanwhile.clone();
        async move {
            // A write through the app on the local store while the sync runs: an RSVP
            // of someone, right before the participants are applied.
            let hook_core = local.clone();
            let hook = move |coll: &str| -> futures_util::future::BoxFuture<'static, ()> {
                let core = hook_core.clone();
                let meanwhile = meanwhile.clone();
                let go = inject && coll == participants::schema::PARTICIPANTS;
                Box::pin(async move {
                    if !go {
                        return;
                    }
                    if let Ok(people) = ids(
                        &core,
                        participants::schema::PARTICIPANTS,
                        doc! { "deleted_at": null },
                    )
                    .await
                    {
                        if let Some(p) = people.get(rng_seed as usize % people.len().max(1)) {
                            let before = participants::get(&core, p).await.map(|p| p.status);
                            if let Ok(n) = participants::set_status(
                                &core,
                                p,
                                None,
                                participants::RsvpStatus::Tentative,
                            )
                            .await
                            {
                                let changed = before.is_ok_and(|b| b != n.status);
                                if let (Ok(mut m), true) = (meanwhile.lock(), changed) {
                                    m.push((p.clone(), n.status.as_str().to_owned()));
                                }
                            }
                        }
                    }
                })
            };
            let r = super::sync_with(
                &local,
                &remote,
                &SyncOptions {
                    dry_run: false,
                    progress: &|_| {},
                    cancel: &AtomicBool::new(false),
                    before_apply: Some(&hook),
                },
            )
            .await;
            r
        }
    };
    for _ in 0..ops {
        let i = rng.below(locals.len() as u64) as usize;
        if rng.below(5) == 0 {
            let inject = rng.below(3) == 0;
            let s = rng.next_u64();
            report.syncs += 1;
            ledger.sync(i);
            let outcome = sync_once(i, inject, s).await;
            let written: Vec<(String, String)> = meanwhile
                .lock()
                .map(|mut m| std::mem::take(&mut *m))
                .unwrap_or_default();
            for (p, status) in written {
                ledger.note(format!("meanwhile: rsvp {p} {status}"));
                ledger.write("participants", &p, "status", &status);
            }
            match outcome {
                Ok(r) => {
                    ledger.note(summary(&r));
                    report.duplicates_merged += ledger.duplicates(&r);
                    for f in r.all_failures() {
                        report.problems.push(format!("sync {i}: {f:?}"));
                    }
                }
                Err(e) => report.problems.push(format!("sync {i} failed: {e}")),
            }
        } else {
            ledger.store = format!("store {i}");
            if !operation(&locals[i], &mut rng, &mut ledger).await? {
                report.refused += 1;
            }
        }
    }
    // Everyone syncs until a whole round moves nothing; open conflicts are resolved
    // (the survivor's value for merged copies, else the remote's).
    let mut quiet = false;
    for round in 1..=12 {
        report.rounds_to_quiet = round;
        let mut moved = false;
        for (i, local) in locals.iter().enumerate() {
            report.syncs += 1;
            ledger.store = format!("final sync {i}, round {round}");
            match super::sync(local, remote, false, &|_| {}, &AtomicBool::new(false)).await {
                Ok(r) => {
                    ledger.note(summary(&r));
                    moved |= r.unsettled();
                    report.duplicates_merged += ledger.duplicates(&r);
                    for f in r.all_failures() {
                        report.problems.push(format!("final sync {i}: {f:?}"));
                    }
                }
                Err(e) => report.problems.push(format!("final sync {i} failed: {e}")),
            }
            for c in super::conflicts(local).await? {
                ledger.note(format!(
                    "resolve {} {} (merged from {:?}): {:?}",
                    c.collection,
                    c.doc_id,
                    c.merged_from,
                    c.fields.iter().map(|f| &f.field).collect::<Vec<_>>()
                ));
                let pick = if c.merged_from.is_some() {
                    Choice::Local
                } else {
                    Choice::Remote
                };
                let choices: HashMap<String, Choice> =
                    c.fields.iter().map(|f| (f.field.clone(), pick)).collect();
                for f in &c.fields {
                    decided.insert((c.collection.clone(), c.doc_id.clone(), f.field.clone()));
                }
                match super::resolve(local, remote, &c.id, &choices).await {
                    Ok(_) => report.conflicts_resolved += 1,
                    Err(e) => report.problems.push(format!("resolve on {i}: {e}")),
                }
                moved = true;
            }
        }
        if !moved {
            quiet = true;
            break;
        }
    }
    if !quiet {
        report
            .problems
            .push("the stores did not become quiet".into());
    }

    // Every store holds the remote's documents.
    let want = contents(remote).await?;
    for (i, local) in locals.iter().enumerate() {
        let have = contents(local).await?;
        if have != want {
            let diff: Vec<_> = want
                .iter()
                .filter(|(k, v)| have.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .chain(have.keys().filter(|k| !want.contains_key(*k)).cloned())
                .take(5)
                .collect();
            report
                .problems
                .push(format!("store {i} differs from the remote: {diff:?}"));
        }
    }
    // Derived data rebuilt where the syncs changed things: every store's dashboard tallies
    // equal the pipelines over its answers.
    for (i, core) in locals.iter().chain([remote]).enumerate() {
        for ev in ids(core, crate::db::EVENTS, doc! { "deleted_at": null }).await? {
            let m = crate::dashboard::check(core, &ev).await?;
            if !m.is_empty() {
                let figures: Vec<&str> = m.iter().map(|x| x.figure.as_str()).collect();
                report.problems.push(format!(
                    "store {i}, event {ev}: tallies differ: {figures:?}"
                ));
            }
        }
    }
    // No natural key held twice among live documents.
    for spec in schema::synced() {
        if spec.natural_key.is_empty() || spec.policy == Policy::AppendOnly {
            continue;
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut cur = remote
            .db()
            .collection::<Document>(spec.name)
            .find(doc! {})
            .await?;
        while let Some(d) = cur.try_next().await? {
            let key = if spec.policy == Policy::Keyed {
                Some(super::match_key(&spec, &d))
            } else {
                dedupe::natural_key(&spec, &d)
            };
            if let Some(k) = key {
                if let Some(other) = seen.insert(k.clone(), super::id_string(&d["_id"])) {
                    report
                        .problems
                        .push(format!("{}: {k} held twice ({other})", spec.name));
                }
            }
        }
    }
    // The last acknowledged write of each tracked field is there.
    let erased: HashSet<String> = ids(remote, networking::ERASURES, doc! {})
        .await?
        .into_iter()
        .collect();
    for ((coll, key, field), history) in &ledger.last {
        let Some((_, _, last)) = history.last() else {
            continue;
        };
        let mut value = last;
        if decided.contains(&(coll.clone(), key.clone(), field.clone())) {
            continue;
        }
        let found = match coll.as_str() {
            "feedback_answers" => {
                let (q, p) = key.split_once('/').unwrap_or_default();
                // Merged people's answers: the merge decides which of two answers to one
                // question stands (the survivor's where it merged, the newer where a sync
                // brings the other's later), as a user's choice in a conflict does.
                let merged = ledger.merged.iter().any(|(k, o)| k == p || o == p);
                let person = ledger.same_person(p);
                if merged || person.iter().any(|x| erased.contains(x)) {
                    continue;
                }
                // One person registered on two stores and merged by a sync: their answers
                // moved to the survivor, and the last one given to the question stands.
                let answers = person.iter().filter_map(|x| {
                    let k = (coll.clone(), format!("{q}/{x}"), field.clone());
                    ledger.last.get(&k).and_then(|h| h.last())
                });
                if let Some((_, _, v)) = answers.max_by_key(|(seq, _, _)| *seq) {
                    value = v;
                }
                remote
                    .db()
                    .collection::<Document>(feedback::ANSWERS)
                    .find_one(doc! { "question_id": q, "respondent": p })
                    .await?
            }
            _ => {
                remote
                    .db()
                    .collection::<Document>(coll)
                    .find_one(doc! { "_id": key })
                    .await?
            }
        };
        let Some(d) = found else {
            // Answers of someone merged into another person moved with them.
            if coll == "feedback_answers" {
                continue;
            }
            report.problems.push(format!("{coll} {key}: gone"));
            continue;
        };
        if d.contains_key("merged_into") || decided.iter().any(|(c, id, _)| c == coll && id == key)
        {
            continue;
        }
        let now = match d.get(field) {
            Some(bson::Bson::String(s)) => s.clone(),
            Some(v) => crate::feedback::num(Some(v)).to_string(),
            None => String::new(),
        };
        if now != *value {
            report.problems.push(format!(
                "{coll} {key}: {field} is {now:?}, last written {value:?} ({history:?})"
            ));
        }
    }
    report.merges = ledger.merged.len();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
