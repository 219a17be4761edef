//! What the portal reads for every poll answer and that rarely changes — the question, its
//! event with the organiser's portal settings, the event's device secret — kept in memory
//! for a moment, so that an answer costs the database its personal-link lookup and its
//! insert (the tallies follow, see [`super::follow`]), without three more reads (the
//! question, the event, the settings) each time.
//!
//! Freshness:
//! - every write of a question, an event or portal settings made through this process
//!   ([`super::set_status`], [`super::update_question`], [`super::delete_question`],
//!   `events::update`, `events::delete`, `invitations::settings::update`) calls [`forget`]
//!   before it returns, so a poll closed in the app is refused by the portal at once;
//! - a read that raced such a write is not kept (a generation number is checked before
//!   keeping it), so a forgotten entry cannot come back stale;
//! - a write made elsewhere (another process on the same database, a sync) is seen within
//!   [`TTL`].
//!
//! Misses (an unknown question or event) are never kept: each costs its read, as before.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use super::Question;
use crate::{events::Event, invitations::settings::PortalSettings, Core, Result};

/// How long an entry is used before it is read again.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries kept at most per kind; beyond that the shelf is emptied (ids are not chosen by
/// visitors here — unknown ids are never kept — so this is only a bound).
const MAX_ENTRIES: usize = 4096;

struct Shelf<T> {
    map: Mutex<HashMap<String, (Instant, Arc<T>)>>,
}

impl<T> Default for Shelf<T> {
    fn default() -> Self {
        Shelf {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Shelf<T> {
    fn get(&self, key: &str) -> Option<Arc<T>> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| v.clone())
    }

    /// Keep `value`, read when the generation was `read_at`, unless a write was forgotten
    /// since (the check holds the shelf's lock, which [`Lookups::forget`] takes to empty it
    /// after moving the generation on).
    fn put(&self, key: &str, value: Arc<T>, generation: &AtomicU64, read_at: u64) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if generation.load(Ordering::SeqCst) != read_at {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key.to_owned(), (Instant::now(), value));
    }

    fn clear(&self) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The entries of one database (held by its [`Core`] and shared by its clones).
#[derive(Default)]
pub struct Lookups {
    generation: AtomicU64,
    questions: Shelf<Question>,
    events: Shelf<(Event, PortalSettings)>,
    secrets: Shelf<String>,
}

impl Lookups {
    fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.questions.clear();
        self.events.clear();
        self.secrets.clear();
    }

    fn read_at(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

/// Drop every kept entry: a question, an event or portal settings was just written.
pub fn forget(core: &Core) {
    core.lookups().forget();
}

/// A live question (as [`super::get_question`]), read at most once per [`TTL`].
pub async fn question(core: &Core, id: &str) -> Result<Arc<Question>> {
    let l = core.lookups();
    if let Some(q) = l.questions.get(id) {
        return Ok(q);
    }
    let read_at = l.read_at();
    let q = Arc::new(super::get_question(core, id).await?);
    l.questions.put(id, q.clone(), &l.generation, read_at);
    Ok(q)
}

/// A live event and its portal settings (as `events::get` and
/// `invitations::settings::get`), read at most once per [`TTL`].
pub async fn event_and_settings(
    core: &Core,
    event_id: &str,
) -> Result<Arc<(Event, PortalSettings)>> {
    let l = core.lookups();
    if let Some(e) = l.events.get(event_id) {
        return Ok(e);
    }
    let read_at = l.read_at();
    let (event, settings) = futures_util::try_join!(
        crate::events::get(core, event_id),
        crate::invitations::settings::get(core, event_id)
    )?;
    let e = Arc::new((event, settings));
    l.events.put(event_id, e.clone(), &l.generation, read_at);
    Ok(e)
}

/// The event's device secret (as `invitations::settings::device_secret`, which creates it
/// on first use; the app never changes it afterwards), read at most once per [`TTL`].
pub async fn device_secret(core: &Core, event_id: &str) -> Result<Arc<String>> {
    let l = core.lookups();
    if let Some(s) = l.secrets.get(event_id) {
        return Ok(s);
    }
    let read_at = l.read_at();
    let s = Arc::new(crate::invitations::settings::device_secret(core, event_id).await?);
    l.secrets.put(event_id, s.clone(), &l.generation, read_at);
    Ok(s)
}
