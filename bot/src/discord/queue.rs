//! The job queue and its inference workers. Jobs are written to SQLite first (`discord_jobs`),
//! then queued here; a fixed number of workers take them, at most one per thread at a time and
//! each thread's in arrival order, and run the dialog core in `spawn_blocking` so the gateway
//! never waits on inference. A job's turn is saved together with its "saved" mark, so a job
//! interrupted by a crash reruns from scratch (the user is told) and one whose turn was saved
//! only has its reply re-sent. While a job waits and runs, one status message is edited in
//! place (queued, inverting with progress, editing) and finally replaced by the result.

use super::replies::{self, Button};
use super::{conversation_key, owner_key, Data};
use crate::face_engine::ProductFaceEngine;
use crate::photo_session::{load_paste, shown_image, store_paste, PhotoSession};
use engine::dialog::{Conversation, Event, Reply};
use engine::inversion::invert::PasteBack;
use engine::language::ParsedRequest;
use serde::{Deserialize, Serialize};
use serenity::all::{ChannelId, CreateAttachment, CreateMessage, EditMessage, Http, MessageId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What a job asks for (stored as JSON in `discord_jobs.job`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Job {
    /// Start (or restart) the thread's face from its stored photo.
    Photo,
    /// A message typed in the thread.
    Text { text: String },
    /// A button pressed under a result.
    Button { button: Button },
}

/// The queue was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// How long a new job waits before it may start, so that an earlier message of the same thread
/// that is still on its way in (serenity handles each gateway event in its own task, so two
/// messages sent at once can reach the queue in either order) is queued and runs first.
pub const SETTLE: Duration = Duration::from_millis(400);

/// One waiting job: its row id, its thread, its order (the Discord snowflake of the message or
/// button press; they grow with time) and when it was queued.
struct Waiting {
    id: i64,
    thread: String,
    order: u64,
    ready_at: Instant,
    /// Its status message (channel, message), once posted.
    status: Option<(u64, u64)>,
    /// The place in line its status message shows (0: none yet).
    shown: usize,
    /// Held back from the workers until its status message is posted
    /// ([`Scheduler::push_held`]).
    held: bool,
}

/// A waiting job whose place in line changed since its status message last showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionUpdate {
    pub job: i64,
    pub channel: u64,
    pub message: u64,
    /// 1: next.
    pub position: usize,
}

#[derive(Default)]
struct Inner {
    waiting: VecDeque<Waiting>,
    running: HashSet<String>,
}

/// What the queue can hand a worker now.
enum Next {
    Job(i64, String),
    /// Nothing now; a job becomes ready after this long.
    Later(Duration),
    Nothing,
}

/// The in-memory view of the queue: which jobs wait, which threads run.
pub struct Scheduler {
    inner: Mutex<Inner>,
    wake: Notify,
    /// Signalled (one stored permit, so changes coalesce) when places in line may have moved.
    moved: Notify,
    /// Held while a waiting job's status message is edited; a worker that took the job waits
    /// for it, so a stale "queued" edit never lands after the worker's own status.
    status_edits: tokio::sync::Mutex<()>,
    capacity: usize,
    settle: Duration,
}

impl Scheduler {
    pub fn new(capacity: usize) -> Self {
        Self::with_settle(capacity, SETTLE)
    }

    pub fn with_settle(capacity: usize, settle: Duration) -> Self {
        Scheduler {
            inner: Mutex::new(Inner::default()),
            wake: Notify::new(),
            moved: Notify::new(),
            status_edits: tokio::sync::Mutex::new(()),
            capacity,
            settle,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Jobs waiting or running.
    pub fn len(&self) -> usize {
        let inner = self.lock();
        inner.waiting.len() + inner.running.len()
    }

    /// Whether one more job fits.
    pub fn has_room(&self) -> bool {
        self.len() < self.capacity
    }

    /// As [`Scheduler::push_held`], but released at once (tests; the bot holds every new job).
    #[cfg(test)]
    pub fn push(&self, id: i64, thread: &str, order: u64) -> Result<usize, QueueFull> {
        self.push_as(id, thread, order, false)
    }

    /// Queues job `id` of `thread`, ordered within its thread by `order` (the message's or
    /// press's snowflake); returns its place in line (1: next). No worker takes the job before
    /// [`Scheduler::set_status`] (or [`Scheduler::release`]): its place in line is known before
    /// its status message is posted (so the message shows it, not a guess that jobs queued at
    /// the same moment make wrong), and the "queued" message never lands after the worker's own
    /// status.
    pub fn push_held(&self, id: i64, thread: &str, order: u64) -> Result<usize, QueueFull> {
        self.push_as(id, thread, order, true)
    }

    fn push_as(&self, id: i64, thread: &str, order: u64, held: bool) -> Result<usize, QueueFull> {
        let position = {
            let mut inner = self.lock();
            if inner.waiting.len() + inner.running.len() >= self.capacity {
                return Err(QueueFull);
            }
            inner.waiting.push_back(Waiting {
                id,
                thread: thread.to_string(),
                order,
                ready_at: Instant::now() + self.settle,
                status: None,
                shown: 0,
                held,
            });
            inner.waiting.len()
        };
        self.wake.notify_waiters();
        Ok(position)
    }

    /// Records the status message of waiting job `id` and the place in line it shows, and
    /// releases it to the workers; its later moves are reported by
    /// [`Scheduler::position_changes`]. False when the job no longer waits.
    pub fn set_status(&self, id: i64, channel: u64, message: u64, shown: usize) -> bool {
        let found = {
            let mut inner = self.lock();
            match inner.waiting.iter_mut().find(|w| w.id == id) {
                Some(w) => {
                    w.status = Some((channel, message));
                    w.shown = shown;
                    w.held = false;
                    true
                }
                None => false,
            }
        };
        self.moved.notify_one();
        self.wake.notify_waiters();
        found
    }

    /// Releases a held job whose status message could not be posted (a worker then posts
    /// its own status).
    pub fn release(&self, id: i64) {
        if let Some(w) = self.lock().waiting.iter_mut().find(|w| w.id == id) {
            w.held = false;
        }
        self.wake.notify_waiters();
    }

    /// The waiting jobs (with a status message) whose place in line differs from what their
    /// status shows, in queue order; each is then counted as shown. A job's place is the
    /// number of jobs waiting before it, plus one.
    pub fn position_changes(&self) -> Vec<PositionUpdate> {
        let mut inner = self.lock();
        let mut out = Vec::new();
        for (index, w) in inner.waiting.iter_mut().enumerate() {
            let position = index + 1;
            if let (Some((channel, message)), true) = (w.status, w.shown != position) {
                w.shown = position;
                out.push(PositionUpdate {
                    job: w.id,
                    channel,
                    message,
                    position,
                });
            }
        }
        out
    }

    fn is_waiting(&self, id: i64) -> bool {
        self.lock().waiting.iter().any(|w| w.id == id)
    }

    /// Queues a job resumed after a restart (never refused, ready at once, before the
    /// thread's new messages: its order is its row id, far below any snowflake).
    pub fn resume(&self, id: i64, thread: &str) {
        self.lock().waiting.push_back(Waiting {
            id,
            thread: thread.to_string(),
            order: id.max(0) as u64,
            ready_at: Instant::now(),
            status: None,
            shown: 0,
            held: false,
        });
        self.wake.notify_waiters();
    }

    /// The oldest-queued thread that is idle, and of its waiting jobs the one first in order,
    /// once that job has settled and is not held.
    fn next(&self) -> Next {
        let mut inner = self.lock();
        let now = Instant::now();
        let mut soonest: Option<Duration> = None;
        let mut tried: HashSet<&str> = HashSet::new();
        let mut chosen = None;
        for w in inner.waiting.iter() {
            if inner.running.contains(&w.thread) || !tried.insert(w.thread.as_str()) {
                continue;
            }
            let (index, first) = inner
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, x)| x.thread == w.thread)
                .min_by_key(|(_, x)| x.order)
                .expect("the thread has this waiting job");
            if first.held {
                // Released by set_status or release, which wake the workers.
                continue;
            }
            if first.ready_at <= now {
                chosen = Some(index);
                break;
            }
            let wait = first.ready_at - now;
            soonest = Some(soonest.map_or(wait, |s: Duration| s.min(wait)));
        }
        match chosen {
            Some(index) => {
                let job = inner.waiting.remove(index).expect("index is in range");
                inner.running.insert(job.thread.clone());
                // Those behind it moved up.
                self.moved.notify_one();
                Next::Job(job.id, job.thread)
            }
            None => soonest.map_or(Next::Nothing, Next::Later),
        }
    }

    /// Waits for the next job (see [`Scheduler::next`]) and marks its thread running.
    pub async fn take(&self) -> (i64, String) {
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.next() {
                Next::Job(id, thread) => {
                    // Let a "queued" edit of this job that is on its way finish first.
                    drop(self.status_edits.lock().await);
                    return (id, thread);
                }
                Next::Later(wait) => {
                    let _ = tokio::time::timeout(wait, notified).await;
                }
                Next::Nothing => notified.await,
            }
        }
    }

    /// Marks `thread` idle again.
    pub fn done(&self, thread: &str) {
        self.lock().running.remove(thread);
        self.wake.notify_waiters();
    }
}

/// Keeps the status messages of waiting jobs showing their place in line: after each move it
/// sends the changed places through `edit` (in queue order, each message once), then rests
/// `interval`, so moves during the rest are coalesced into one edit per message and a message
/// is edited at most once per `interval` (Discord allows about 5 edits per 5 s per channel).
/// Runs for ever.
pub async fn show_positions<F, Fut>(queue: &Scheduler, interval: Duration, mut edit: F)
where
    F: FnMut(PositionUpdate) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        queue.moved.notified().await;
        for update in queue.position_changes() {
            let _edit = queue.status_edits.lock().await;
            if queue.is_waiting(update.job) {
                edit(update).await;
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// [`show_positions`] on Discord, for the bot's queue.
pub async fn position_updater(data: Arc<Data>, http: Arc<Http>) {
    let interval = Duration::from_millis(data.config.limits.status_edit_interval_ms);
    show_positions(&data.queue, interval, |update| {
        let http = http.clone();
        async move {
            let text = replies::queued(update.position);
            if let Err(e) = ChannelId::new(update.channel)
                .edit_message(
                    &http,
                    MessageId::new(update.message),
                    EditMessage::new().content(text),
                )
                .await
            {
                tracing::warn!(job = update.job, "updating a place in line failed: {e}");
            }
        }
    })
    .await
}

/// Per-user request limit: at most `per_minute` in any 60 s.
pub struct RateLimiter {
    per_minute: usize,
    seen: Mutex<HashMap<u64, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(per_minute: usize) -> Self {
        RateLimiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `user`; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, user: u64) -> Result<(), u64> {
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let times = seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= self.per_minute {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((window - now.duration_since(oldest)).as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }

    pub fn per_minute(&self) -> usize {
        self.per_minute
    }
}

/// The status message of one job, edited in place.
pub struct Status<'a> {
    http: &'a Http,
    channel: ChannelId,
    message: Option<MessageId>,
    last_edit: Option<Instant>,
    interval: Duration,
}

impl<'a> Status<'a> {
    pub fn new(
        http: &'a Http,
        channel: ChannelId,
        message: Option<MessageId>,
        interval: Duration,
    ) -> Self {
        Status {
            http,
            channel,
            message,
            last_edit: None,
            interval,
        }
    }

    /// Shows `text` (a new message the first time).
    pub async fn set(&mut self, text: &str) -> serenity::Result<()> {
        match self.message {
            Some(id) => {
                self.channel
                    .edit_message(self.http, id, EditMessage::new().content(text))
                    .await?;
            }
            None => {
                let sent = self
                    .channel
                    .send_message(self.http, CreateMessage::new().content(text))
                    .await?;
                self.message = Some(sent.id);
            }
        }
        self.last_edit = Some(Instant::now());
        Ok(())
    }

    /// As [`Status::set`], unless the last edit was too recent (progress updates).
    pub async fn set_throttled(&mut self, text: &str) -> serenity::Result<()> {
        if self.last_edit.is_some_and(|t| t.elapsed() < self.interval) {
            return Ok(());
        }
        self.set(text).await
    }

    /// Replaces the status by the result; returns the result message.
    pub async fn finish(
        &mut self,
        text: &str,
        png: Option<Vec<u8>>,
        components: Vec<serenity::all::CreateActionRow>,
    ) -> serenity::Result<MessageId> {
        let id = match self.message {
            Some(id) => {
                let mut edit = EditMessage::new().content(text).components(components);
                if let Some(png) = png {
                    edit = edit.new_attachment(CreateAttachment::bytes(png, "face.png"));
                }
                self.channel.edit_message(self.http, id, edit).await?;
                id
            }
            None => {
                let mut create = CreateMessage::new().content(text).components(components);
                if let Some(png) = png {
                    create = create.add_file(CreateAttachment::bytes(png, "face.png"));
                }
                self.channel.send_message(self.http, create).await?.id
            }
        };
        self.message = Some(id);
        Ok(id)
    }
}

/// One inference worker: takes jobs for ever.
pub async fn worker(data: Arc<Data>, http: Arc<Http>, index: usize) {
    loop {
        let (id, thread) = data.queue.take().await;
        tracing::debug!(worker = index, job = id, "job started");
        if let Err(e) = run_job(&data, &http, id).await {
            tracing::error!(job = id, "job failed: {e:#}");
            // The user hears about it; the job is dropped (it failed, not crashed).
            if let Ok(Some(job)) = data.store.job(id).await {
                if let Ok(channel) = job.thread_id.parse::<u64>() {
                    let mut status = Status::new(
                        &http,
                        ChannelId::new(channel),
                        parse_id(job.status_message_id.as_deref()),
                        Duration::ZERO,
                    );
                    let _ = status
                        .set("Sorry, something went wrong with that request; please try again.")
                        .await;
                }
                let _ = data.store.finish_job(id).await;
            }
        }
        data.queue.done(&thread);
    }
}

fn parse_id(id: Option<&str>) -> Option<MessageId> {
    id.and_then(|s| s.parse::<u64>().ok())
        .filter(|&v| v != 0)
        .map(MessageId::new)
}

/// What the blocking part hands back.
struct Computed {
    conversation: Conversation,
    reply: Reply,
    paste: Option<PasteBack>,
    png: Option<Vec<u8>>,
}

/// The result image as a fitted, marked PNG ([`shown_image`]); `photo` is the thread's photo,
/// decoded.
fn result_image(
    engine: &ProductFaceEngine,
    conversation: &Conversation,
    reply: &Reply,
    photo: Option<&image::RgbImage>,
    paste: Option<&PasteBack>,
    max_side: u32,
) -> anyhow::Result<Option<Vec<u8>>> {
    match shown_image(engine, conversation, reply, photo, paste)? {
        Some(image) => Ok(Some(replies::result_png(&replies::fit(image, max_side))?)),
        None => Ok(None),
    }
}

async fn run_job(data: &Arc<Data>, http: &Http, id: i64) -> anyhow::Result<()> {
    let Some(job) = data.store.job(id).await? else {
        return Ok(()); // forgotten meanwhile
    };
    let thread_id: u64 = job.thread_id.parse()?;
    let channel = ChannelId::new(thread_id);
    let key = conversation_key(&job.thread_id);
    let mut status = Status::new(
        http,
        channel,
        parse_id(job.status_message_id.as_deref()),
        Duration::from_millis(data.config.limits.status_edit_interval_ms),
    );
    let stored_photo = data.store.discord_photo(&job.thread_id).await?;
    let (photo, stored_paste) = match stored_photo {
        Some((photo, paste)) => (Some(photo), paste),
        None => (None, None),
    };
    let paste = stored_paste.as_ref().map(load_paste).transpose()?;

    if job.saved {
        // The turn is in the conversation already: only the reply is left to send.
        let Some(stored) = data.store.load_conversation(&key).await? else {
            data.store.finish_job(id).await?;
            return Ok(());
        };
        let Some(last) = data.store.last_turn(&key).await? else {
            data.store.finish_job(id).await?;
            return Ok(());
        };
        let engine = data.clone();
        let conversation = stored.conversation.clone();
        let reply = last.reply.clone();
        let max_side = data.config.limits.max_result_side;
        let png = tokio::task::spawn_blocking(move || {
            // Decoded only where there is something to carry into it: a photo that could not be
            // decoded was refused by the conversation (with a clear reply) and has no paste-back
            // data.
            let photo = match (&photo, &paste) {
                (Some(bytes), Some(_)) => Some(engine::perception::load_photo_bytes(
                    bytes,
                    "the stored photo",
                )?),
                _ => None,
            };
            result_image(
                &engine.engine,
                &conversation,
                &reply,
                photo.as_ref(),
                paste.as_ref(),
                max_side,
            )
        })
        .await??;
        let text = replies::result_text(&last.reply, last.turn == 1);
        let has_face = png.is_some();
        let message = status
            .finish(
                &text,
                png,
                replies::buttons(&last.reply, has_face, &stored.conversation),
            )
            .await?;
        data.store
            .add_discord_result(&job.thread_id, &message.get().to_string(), last.turn)
            .await?;
        data.store.finish_job(id).await?;
        return Ok(());
    }

    if job.attempts >= 3 {
        status
            .set("Sorry, this request failed several times, so I gave up on it; please try something else.")
            .await?;
        data.store.finish_job(id).await?;
        return Ok(());
    }
    if job.attempts > 0 {
        status.set(replies::RETRYING).await?;
    }
    data.store.job_started(id).await?;

    let what: Job = serde_json::from_str(&job.job)?;
    let (mut conversation, version) = match data.store.load_conversation(&key).await? {
        Some(stored) => (stored.conversation, Some(stored.version)),
        None => (Conversation::new(thread_id), None),
    };
    enum Input {
        Event(Event),
        Parsed(String, ParsedRequest),
    }
    let input = match &what {
        Job::Photo => {
            let Some(bytes) = photo.clone() else {
                anyhow::bail!("the thread has no stored photo");
            };
            status.set(&replies::inverting(0.0)).await?;
            Input::Event(Event::PhotoUploaded(bytes))
        }
        Job::Text { text } => {
            status.set(replies::EDITING).await?;
            Input::Event(Event::Text(text.clone()))
        }
        Job::Button { button } => {
            status.set(replies::EDITING).await?;
            match button.request() {
                (text, Some(parsed)) => Input::Parsed(text, parsed),
                (text, None) => Input::Event(Event::Text(text)),
            }
        }
    };
    let user_input = match &input {
        Input::Event(e @ Event::PhotoUploaded(_)) => e.describe(),
        Input::Event(Event::Text(t)) | Input::Parsed(t, _) => t.clone(),
        Input::Event(e) => e.describe(),
    };
    let is_photo = matches!(what, Job::Photo);
    let (progress_tx, mut progress_rx) = tokio::sync::watch::channel(0f32);
    let shared = data.clone();
    let max_side = data.config.limits.max_result_side;
    let mut computing = tokio::task::spawn_blocking(move || -> anyhow::Result<Computed> {
        // A photo that cannot be decoded is the conversation's to refuse (with a clear reply),
        // not a failed job: without it, edits are simply not checked in the photo.
        let decoded = photo
            .as_deref()
            .and_then(|bytes| engine::perception::load_photo_bytes(bytes, "the stored photo").ok());
        let session = PhotoSession::new(
            &shared.engine,
            &conversation,
            decoded.as_ref(),
            paste.clone(),
            is_photo,
            move |f| {
                progress_tx.send_replace(f);
            },
        );
        let reply = match input {
            Input::Event(event) => conversation.handle_with_parser(event, &session, &shared.parser),
            Input::Parsed(text, parsed) => conversation.handle_parsed(&text, &parsed, &session),
        };
        let new_paste = session.into_new_paste();
        let paste_now = if is_photo { new_paste.clone() } else { paste };
        // The photo decoded once for the turn and its image.
        let png = result_image(
            &shared.engine,
            &conversation,
            &reply,
            decoded.as_ref(),
            paste_now.as_ref(),
            max_side,
        )?;
        Ok(Computed {
            conversation,
            reply,
            paste: new_paste,
            png,
        })
    });
    let computed = loop {
        tokio::select! {
            done = &mut computing => break done??,
            changed = progress_rx.changed(), if is_photo => {
                if changed.is_ok() {
                    let fraction = *progress_rx.borrow_and_update();
                    if let Err(e) = status.set_throttled(&replies::inverting(fraction)).await {
                        tracing::warn!("status update failed: {e}");
                    }
                }
            }
        }
    };
    let stored_paste = computed.paste.as_ref().map(store_paste).transpose()?;
    data.store
        .save_job_turn(
            id,
            &key,
            &owner_key(&job.user_id),
            version,
            &user_input,
            &computed.conversation,
            &computed.reply,
            stored_paste.as_ref().map(|p| (job.thread_id.as_str(), p)),
        )
        .await?;
    let turn = computed.conversation.dialog.turn as i64;
    let text = replies::result_text(&computed.reply, turn == 1);
    let has_face = computed.png.is_some();
    let message = status
        .finish(
            &text,
            computed.png,
            replies::buttons(&computed.reply, has_face, &computed.conversation),
        )
        .await?;
    data.store
        .add_discord_result(&job.thread_id, &message.get().to_string(), turn)
        .await?;
    data.store.finish_job(id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn threads_run_in_order_one_job_at_a_time_and_the_queue_is_bounded() {
        let queue = Scheduler::with_settle(4, Duration::ZERO);
        assert_eq!(queue.push(1, "a", 10), Ok(1));
        assert_eq!(queue.push(2, "a", 20), Ok(2));
        assert_eq!(queue.push(3, "b", 30), Ok(3));
        assert_eq!(queue.push(4, "c", 40), Ok(4));
        assert_eq!(queue.push(5, "d", 50), Err(QueueFull));
        assert_eq!(queue.take().await, (1, "a".into()));
        // Thread a is running: its second job waits, b's goes first.
        assert_eq!(queue.take().await, (3, "b".into()));
        assert_eq!(queue.take().await, (4, "c".into()));
        let waiting = tokio::time::timeout(Duration::from_millis(50), queue.take()).await;
        assert!(waiting.is_err(), "a's second job must wait for its first");
        queue.done("a");
        assert_eq!(queue.take().await, (2, "a".into()));
    }

    #[tokio::test]
    async fn a_thread_runs_its_messages_in_snowflake_order_even_if_queued_out_of_order() {
        let queue = Scheduler::with_settle(4, Duration::from_millis(100));
        // The later message (order 20) reached the queue first.
        queue.push(2, "a", 20).unwrap();
        queue.push(1, "a", 10).unwrap();
        queue.push(3, "b", 5).unwrap();
        let start = Instant::now();
        let first = queue.take().await;
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "jobs settle first"
        );
        assert_eq!(first, (1, "a".into()));
        assert_eq!(queue.take().await, (3, "b".into()));
        queue.done("a");
        assert_eq!(queue.take().await, (2, "a".into()));
    }

    fn moves(queue: &Scheduler) -> Vec<(i64, usize)> {
        queue
            .position_changes()
            .iter()
            .map(|u| (u.job, u.position))
            .collect()
    }

    #[tokio::test]
    async fn places_in_line_are_reported_in_queue_order_once_per_move() {
        let queue = Scheduler::with_settle(8, Duration::ZERO);
        for (id, thread) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            let position = queue.push(id, thread, id as u64 * 10).unwrap();
            assert_eq!(position, id as usize);
            assert!(queue.set_status(id, 100 + id as u64, 200 + id as u64, position));
        }
        assert_eq!(moves(&queue), [], "each status shows its place already");
        assert_eq!(queue.take().await.0, 1);
        let changes = queue.position_changes();
        assert_eq!(
            changes,
            [
                PositionUpdate {
                    job: 2,
                    channel: 102,
                    message: 202,
                    position: 1
                },
                PositionUpdate {
                    job: 3,
                    channel: 103,
                    message: 203,
                    position: 2
                },
                PositionUpdate {
                    job: 4,
                    channel: 104,
                    message: 204,
                    position: 3
                },
            ]
        );
        assert_eq!(moves(&queue), [], "each move is reported once");
        // Two moves before the next look: one report, the latest place.
        queue.take().await;
        queue.take().await;
        assert_eq!(moves(&queue), [(4, 1)]);
        // A job that no longer waits has no status to keep current.
        assert!(!queue.set_status(2, 102, 202, 1));
        // A job whose status message is not known yet is not reported, and one whose status
        // was posted with a stale guess is corrected.
        queue.push(5, "e", 50).unwrap();
        assert_eq!(moves(&queue), []);
        queue.set_status(5, 105, 205, 1);
        assert_eq!(moves(&queue), [(5, 2)]);
    }

    #[tokio::test]
    async fn a_held_job_waits_for_its_status_and_shows_its_real_place_from_the_start() {
        let queue = Scheduler::with_settle(8, Duration::ZERO);
        // Four photos at once: each is placed before its status is posted, so each first
        // status shows the place it keeps ("you're next" only for the first).
        let places: Vec<usize> = (1..=4)
            .map(|id| queue.push_held(id, &format!("t{id}"), id as u64).unwrap())
            .collect();
        assert_eq!(places, [1, 2, 3, 4]);
        let held = tokio::time::timeout(Duration::from_millis(50), queue.take()).await;
        assert!(held.is_err(), "no job starts before its status is posted");
        // Statuses posted out of order: the first released job starts, none moves back.
        for id in [3, 1, 2, 4] {
            assert!(queue.set_status(id, 100, 200 + id as u64, places[id as usize - 1]));
            assert_eq!(moves(&queue), [], "the first status is the real place");
        }
        assert_eq!(queue.take().await.0, 1);
        assert_eq!(
            moves(&queue),
            [(2, 1), (3, 2), (4, 3)],
            "places only move up"
        );
        // A job whose status could not be posted is released without one.
        assert_eq!(queue.push_held(5, "t5", 5), Ok(4));
        queue.release(5);
        for expected in [2, 3, 4, 5] {
            assert_eq!(queue.take().await.0, expected);
        }
    }

    #[tokio::test]
    async fn status_edits_follow_the_queue_coalesced_and_never_after_a_job_starts() {
        let queue = Arc::new(Scheduler::with_settle(8, Duration::ZERO));
        for id in 1..=3 {
            let position = queue.push(id, &format!("t{id}"), id as u64).unwrap();
            queue.set_status(id, 100 + id as u64, 200 + id as u64, position);
        }
        let edits: Arc<Mutex<Vec<(Instant, i64, usize)>>> = Arc::default();
        let interval = Duration::from_millis(300);
        let updater = {
            let (queue, edits) = (queue.clone(), edits.clone());
            tokio::spawn(async move {
                show_positions(&queue, interval, |u| {
                    edits
                        .lock()
                        .unwrap()
                        .push((Instant::now(), u.job, u.position));
                    async {}
                })
                .await
            })
        };
        let wait_for = |count: usize| {
            let edits = edits.clone();
            async move {
                for _ in 0..200 {
                    if edits.lock().unwrap().len() >= count {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("only {:?}", edits.lock().unwrap());
            }
        };
        assert_eq!(queue.take().await.0, 1);
        wait_for(2).await;
        // Both moves of job 3 come quickly; its second edit waits out the interval.
        assert_eq!(queue.take().await.0, 2);
        wait_for(3).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let seen = edits.lock().unwrap().clone();
        let order: Vec<(i64, usize)> = seen.iter().map(|e| (e.1, e.2)).collect();
        assert_eq!(
            order,
            [(2, 1), (3, 2), (3, 1)],
            "job 2 is not edited once taken"
        );
        assert!(
            seen[2].0.duration_since(seen[1].0) >= interval,
            "one message is edited at most once per interval"
        );
        updater.abort();
    }

    #[test]
    fn the_rate_limit_counts_per_user() {
        let limit = RateLimiter::new(2);
        assert!(limit.check(1).is_ok());
        assert!(limit.check(1).is_ok());
        let wait = limit.check(1).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limit.check(2).is_ok());
    }
}
