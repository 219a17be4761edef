//! Long jobs that a crash must not leave half-done: a CSV import and an invitation
//! campaign each record a job document (`jobs`, local to this store, never synced) while
//! they run, kept fresh by a heartbeat. A job still `running` whose process is gone (or
//! whose heartbeat stopped), or one that stopped half-way (`interrupted`, e.g. the disk
//! filled up), is offered at the next start to be finished or rolled back — in the app
//! and with `eventhub-cli jobs`.
//!
//! - Finishing an import reads the same file again (refused if it changed) and writes the
//!   rows still missing under the same import id; rows the first run wrote are counted as
//!   already present, never as rejected.
//! - Rolling an import back removes every participant it wrote (and its audit entry).
//! - Finishing a campaign sends what is still queued (the caller provides the mailer);
//!   rolling it back takes the rest of the queue back (`queued` → `none`) and marks a
//!   message caught mid-send as failed, to be checked (never re-sent automatically).

use std::{sync::LazyLock, time::Duration};

use bson::doc;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::task::JoinHandle;

use crate::{
    db::{index, CollectionSpec},
    error::Code,
    participants::{csv_import::ImportOptions, schema::PARTICIPANTS},
    time, Core, Error, Result,
};

pub const JOBS: &str = "jobs";
/// How often a running job says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// A running job not heard of for this long is considered interrupted.
pub const STALE_AFTER: Duration = Duration::from_secs(15);

/// This process, as the owner of the jobs it runs: `host:pid:random`.
static OWNER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}:{}:{}",
        host(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
});

/// The jobs this process is running now.
static ACTIVE: LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    LazyLock::new(Default::default);

fn active(f: impl FnOnce(&mut std::collections::HashSet<String>)) {
    match ACTIVE.lock() {
        Ok(mut g) => f(&mut g),
        Err(p) => f(&mut p.into_inner()),
    }
}

fn is_active(id: &str) -> bool {
    let mut found = false;
    active(|s| found = s.contains(id));
    found
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "JobState")]
pub enum State {
    Running,
    /// Stopped half-way with part of its work written (to finish or roll back).
    Interrupted,
    Done,
    /// Stopped before writing anything, or its writes were removed again.
    Failed,
    RolledBack,
}

/// What a job does, with what is needed to finish it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "JobWork")]
pub enum Work {
    Import {
        import_id: String,
        /// The file as chosen (finishing reads it again).
        path: String,
        /// SHA-256 of the file's bytes: a changed file is not used to finish.
        sha256: String,
        options: ImportOptions,
    },
    Campaign {
        lang: crate::mail::template::Lang,
        per_minute: u32,
        base_url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Job {
    #[serde(rename = "_id")]
    pub id: String,
    pub state: State,
    pub event_id: String,
    /// The file name or the event's title, for people.
    pub label: String,
    pub work: Work,
    pub owner: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub heartbeat_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The error code that stopped it, if any (`disk_full`…).
    #[serde(default)]
    pub error: Option<String>,
    /// Documents written so far (participants of an import, messages of a campaign).
    #[serde(default)]
    pub written: u64,
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self.work {
            Work::Import { .. } => "import",
            Work::Campaign { .. } => "campaign",
        }
    }
}

fn coll(core: &Core) -> mongodb::Collection<bson::Document> {
    core.db().collection(JOBS)
}

/// The jobs collection: looked up by state.
pub fn collections() -> Vec<CollectionSpec> {
    vec![CollectionSpec {
        name: JOBS,
        validator: None,
        indexes: vec![index(doc! { "state": 1, "started_at": -1 }, "state")],
    }]
}

/// A job being run by this process. Its heartbeat stops when it is dropped.
pub struct Running {
    pub id: String,
    core: Core,
    beat: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.beat.abort();
        active(|s| {
            s.remove(&self.id);
        });
    }
}

impl Running {
    /// Record how the job ended.
    pub async fn finish(self, state: State, error: Option<Code>, written: u64) -> Result<()> {
        self.beat.abort();
        active(|s| {
            s.remove(&self.id);
        });
        let mut set = doc! {
            "state": time::to_bson(&state)?,
            "finished_at": bson::DateTime::from_chrono(time::now()),
            "written": written as i64,
        };
        if let Some(code) = error {
            set.insert("error", code.as_str());
        }
        coll(&self.core)
            .update_one(doc! { "_id": &self.id }, doc! { "$set": set })
            .await?;
        Ok(())
    }
}

/// Record a job as running (or running again, when finishing an interrupted one) and keep
/// its heartbeat until it ends.
pub async fn begin(
    core: &Core,
    id: Option<&str>,
    event_id: &str,
    label: &str,
    work: Work,
) -> Result<Running> {
    let now = time::now();
    let id = id
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let job = Job {
        id: id.clone(),
        state: State::Running,
        event_id: event_id.to_owned(),
        label: label.to_owned(),
        work,
        owner: OWNER.clone(),
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
        error: None,
        written: 0,
    };
    coll(core)
        .replace_one(doc! { "_id": &id }, time::to_doc(&job)?)
        .upsert(true)
        .await?;
    let c = coll(core);
    let beat_id = id.clone();
    let beat = tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let _ = c
                .update_one(
                    doc! { "_id": &beat_id, "state": "running" },
                    doc! { "$set": { "heartbeat_at": bson::DateTime::from_chrono(time::now()) } },
                )
                .await;
        }
    });
    active(|s| {
        s.insert(id.clone());
    });
    Ok(Running {
        id,
        core: core.clone(),
        beat,
    })
}

/// Whether the process that owns a job is gone: on this machine, by its process id;
/// elsewhere (or unknown), by a heartbeat older than [`STALE_AFTER`].
fn abandoned(job: &Job) -> bool {
    if job.state == State::Interrupted {
        return true;
    }
    if job.state != State::Running {
        return false;
    }
    if job.owner == *OWNER {
        // Ours: unless it runs now, it ended without being able to say so (full disk).
        return !is_active(&job.id);
    }
    let mut parts = job.owner.splitn(3, ':');
    let (h, pid) = (parts.next().unwrap_or_default(), parts.next());
    if h == host() {
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) {
            return !pid_alive(pid) || stale(job);
        }
    }
    stale(job)
}

fn stale(job: &Job) -> bool {
    let age = time::now() - job.heartbeat_at;
    age.to_std().unwrap_or_default() > STALE_AFTER
}

fn pid_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

/// Every job, newest first (`all: false`: only those left half-done, to offer).
pub async fn list(core: &Core, all: bool) -> Result<Vec<Job>> {
    let filter = if all {
        doc! {}
    } else {
        doc! { "state": { "$in": ["running", "interrupted"] } }
    };
    let docs: Vec<bson::Document> = coll(core)
        .find(filter)
        .sort(doc! { "started_at": -1 })
        .limit(500)
        .await?
        .try_collect()
        .await?;
    let jobs = docs
        .into_iter()
        .filter_map(|d| time::from_doc::<Job>(d).ok());
    Ok(if all {
        jobs.collect()
    } else {
        jobs.filter(abandoned).collect()
    })
}

pub async fn get(core: &Core, id: &str) -> Result<Job> {
    let d = coll(core)
        .find_one(doc! { "_id": id })
        .await?
        .ok_or_else(|| Error::not_found("job"))?;
    time::from_doc(d)
}

/// A job that may be finished or rolled back now: left half-done, not run by anyone.
async fn take(core: &Core, id: &str) -> Result<Job> {
    let job = get(core, id).await?;
    if !abandoned(&job) {
        return Err(Error::new(
            Code::Conflict,
            match job.state {
                State::Running => "this job is still running",
                _ => "this job is already finished",
            },
        ));
    }
    Ok(job)
}

/// Finish an interrupted import: the same file, the same import id; what the first run
/// wrote is kept and counted as already present.
pub async fn resume_import(
    core: &Core,
    id: &str,
    progress: &(dyn Fn(crate::participants::csv_import::Progress) + Send + Sync),
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<crate::participants::csv_import::ImportReport> {
    let job = take(core, id).await?;
    let Work::Import {
        import_id,
        path,
        sha256,
        options,
    } = &job.work
    else {
        return Err(Error::invalid("job", "this job is not an import"));
    };
    let bytes = crate::participants::csv_import::read_file(std::path::Path::new(path))?;
    if file_hash(&bytes) != *sha256 {
        return Err(Error::invalid(
            "file",
            format!("{path}: the file changed since the import started: roll the import back and import it again"),
        ));
    }
    crate::participants::csv_import::run_import(
        core,
        &job.event_id,
        std::path::Path::new(path),
        &bytes,
        options,
        progress,
        cancel,
        Some(import_id),
    )
    .await
}

/// Finish an interrupted campaign: send what is still queued with the options it
/// started with.
pub async fn resume_campaign(
    core: &Core,
    id: &str,
    mailer: &crate::mail::Mailer,
    progress: &(dyn Fn(&crate::invitations::SendProgress) + Send + Sync),
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<crate::invitations::SendProgress> {
    let job = take(core, id).await?;
    let Work::Campaign {
        lang,
        per_minute,
        base_url,
    } = &job.work
    else {
        return Err(Error::invalid("job", "this job is not a campaign"));
    };
    let opts = crate::invitations::SendOptions {
        base_url: base_url.clone(),
        lang: *lang,
        per_minute: *per_minute,
        ..Default::default()
    };
    crate::invitations::send_campaign(
        core,
        &job.event_id,
        mailer,
        &opts,
        progress,
        cancel,
        Some(id),
    )
    .await
}

/// What a rollback removed or took back.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RolledBack {
    pub job: Job,
    /// Participants removed (import) or invitations taken out of the queue (campaign).
    pub undone: u64,
}

/// Undo what an interrupted job did (see the module's description).
pub async fn rollback(core: &Core, id: &str) -> Result<RolledBack> {
    let mut job = take(core, id).await?;
    let undone = match &job.work {
        Work::Import { import_id, .. } => {
            let r = core
                .db()
                .collection::<bson::Document>(PARTICIPANTS)
                .delete_many(doc! { "event_id": &job.event_id, "source.import_id": import_id })
                .await?;
            core.db()
                .collection::<bson::Document>(crate::participants::schema::AUDIT)
                .delete_one(doc! { "_id": import_id })
                .await?;
            r.deleted_count
        }
        Work::Campaign { .. } => {
            crate::invitations::recover_interrupted(core, &job.event_id).await?;
            crate::invitations::unqueue(core, &job.event_id).await?
        }
    };
    coll(core)
        .update_one(
            doc! { "_id": &job.id },
            doc! { "$set": {
                "state": "rolled_back",
                "finished_at": bson::DateTime::from_chrono(time::now()),
            } },
        )
        .await?;
    job.state = State::RolledBack;
    Ok(RolledBack { job, undone })
}

/// SHA-256 of a file's bytes, in hex.
pub fn file_hash(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a job's error means it stopped half-way with work to keep (the disk filled up,
/// the database went away) rather than failing cleanly.
pub fn keeps_work(e: &Error) -> bool {
    matches!(e.code, Code::DiskFull | Code::DbUnavailable)
}

/// The state a job ends in after an error, given how much it had written.
pub fn state_after_error(written: u64) -> State {
    if written > 0 {
        State::Interrupted
    } else {
        State::Failed
    }
}
