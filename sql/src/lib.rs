//! # talk-to-edit sql
//!
//! SQLite persistence of conversations with sqlx: migrations in `sql/migrations/`, WAL journal,
//! foreign keys on, full fsync on commit. A conversation is keyed by its thread (a Discord thread
//! id, or a name for the terminal chat) and stores the dialog state as JSON, the current and
//! original W+ latents as f32 little-endian blobs, the undo history, the per-attribute degrees
//! and a log of turns.
//!
//! Every turn is saved in ONE transaction (state, history, reply and turn log together), so a
//! crash between turns loses nothing and a restarted process continues exactly. Turns on one
//! conversation cannot interleave: each save names the version it started from and is refused
//! with [`StoreError::Conflict`] when another turn got there first; [`ConversationStore::run_turn`]
//! serialises turns within a process and, when another process won a race, redoes the turn
//! under the database write lock.

mod discord;
mod photos;

pub use discord::{DiscordThread, Forgotten, JobRecord, StoredPaste};

use engine::dialog::{
    Conversation, Degrees, DialogState, FaceSource, FaceState, Feedback, HistoryEntry, Latent,
    Reply,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Errors of the conversation store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("conversation {thread:?} was changed by another turn (this turn started from version {expected:?})")]
    Conflict {
        thread: String,
        expected: Option<i64>,
    },
    #[error("stored conversation {thread:?} is corrupt: {detail}")]
    Corrupt { thread: String, detail: String },
    #[error("job {0} no longer exists (its user's data was deleted)")]
    JobGone(i64),
    #[error("cannot serialise the conversation: {0}")]
    Json(#[from] serde_json::Error),
}

/// A conversation as loaded from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub thread_key: String,
    pub owner: String,
    /// The version the next save must name.
    pub version: i64,
    pub conversation: Conversation,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One logged turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRecord {
    pub turn: i64,
    pub user_input: String,
    pub reply_text: String,
    /// The reply as sent, without its image.
    pub reply: Reply,
    pub created_at_ms: i64,
}

/// The conversation database.
pub struct ConversationStore {
    pool: SqlitePool,
    /// One lock per thread key, so that turns of one conversation in this process run one at a
    /// time (the version check covers other processes).
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn latent_blob(latent: Option<&Latent>) -> Option<Vec<u8>> {
    latent.map(Latent::to_le_bytes)
}

impl ConversationStore {
    /// Opens (creating if needed) the database at `path` and applies the migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows (forgotten users' photos and faces) are overwritten, not left in
            // free pages.
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(ConversationStore {
            pool,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The journal mode in effect ("wal").
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Whether foreign keys are enforced on this store's connections.
    pub async fn foreign_keys_enabled(&self) -> Result<bool, StoreError> {
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&self.pool)
            .await?;
        Ok(on == 1)
    }

    /// Closes the pool (checkpointing the WAL when it is the last connection).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Loads the conversation of `thread`, if there is one.
    pub async fn load(&self, thread: &str) -> Result<Option<StoredConversation>, StoreError> {
        // One read transaction: the conversation row and its history from the same snapshot.
        let mut tx = self.pool.begin().await?;
        let stored = load_with(&mut tx, thread).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Saves one turn in one transaction: the conversation state after the turn, its undo
    /// history, the reply and the turn log. `expected_version` is the version the turn was
    /// computed from (`None` for a new conversation); if the stored version differs, nothing is
    /// written and [`StoreError::Conflict`] is returned. Returns the new version.
    pub async fn save_turn(
        &self,
        thread: &str,
        owner: &str,
        expected_version: Option<i64>,
        user_input: &str,
        conversation: &Conversation,
        reply: &Reply,
    ) -> Result<i64, StoreError> {
        // IMMEDIATE: take the write lock first, so the version check and the writes are one step.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let version = save_with(
            &mut tx,
            thread,
            owner,
            expected_version,
            user_input,
            conversation,
            reply,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The logged turns of `thread`, oldest first.
    pub async fn turns(&self, thread: &str) -> Result<Vec<TurnRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.turn, t.user_input, t.reply_text, t.reply_json, t.created_at_ms \
             FROM turns t JOIN conversations c ON c.id = t.conversation_id \
             WHERE c.thread_key = ? ORDER BY t.turn",
        )
        .bind(thread)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let turn: i64 = row.try_get("turn")?;
                let reply: Reply =
                    serde_json::from_str(row.try_get("reply_json")?).map_err(|e| {
                        StoreError::Corrupt {
                            thread: thread.to_string(),
                            detail: format!("turn {turn} reply: {e}"),
                        }
                    })?;
                Ok(TurnRecord {
                    turn,
                    user_input: row.try_get("user_input")?,
                    reply_text: row.try_get("reply_text")?,
                    reply,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// The feedback of the last reply in `thread`.
    pub async fn last_feedback(&self, thread: &str) -> Result<Option<Feedback>, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT last_feedback FROM conversations WHERE thread_key = ?")
                .bind(thread)
                .fetch_optional(&self.pool)
                .await?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::Corrupt {
                thread: thread.to_string(),
                detail: format!("last_feedback: {e}"),
            })
        })
        .transpose()
    }

    fn lock_for(&self, thread: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(thread.to_string()).or_default().clone()
    }

    /// Runs one turn: loads the conversation of `thread` (or makes one with `new`), lets `step`
    /// update it and produce the reply, and saves both in one transaction. Turns of one thread in
    /// this process run one at a time; if another process saved first, the turn is recomputed
    /// from the newer state while holding the database write lock (so `step` may run twice and
    /// must only change the conversation it is given).
    pub async fn run_turn<F>(
        &self,
        thread: &str,
        owner: &str,
        user_input: &str,
        new: impl Fn() -> Conversation,
        mut step: F,
    ) -> Result<(Reply, Conversation), StoreError>
    where
        F: FnMut(&mut Conversation) -> Reply,
    {
        let lock = self.lock_for(thread);
        let _serialised = lock.lock().await;
        // Optimistic: compute without holding the database write lock (other conversations
        // keep saving meanwhile) and save if nobody else changed this one.
        let (mut conversation, version) = match self.load(thread).await? {
            Some(stored) => (stored.conversation, Some(stored.version)),
            None => (new(), None),
        };
        let reply = step(&mut conversation);
        match self
            .save_turn(thread, owner, version, user_input, &conversation, &reply)
            .await
        {
            Ok(_) => return Ok((reply, conversation)),
            Err(StoreError::Conflict { .. }) => {
                tracing::debug!("turn on {thread:?} lost a race with another process; redoing it");
            }
            Err(e) => return Err(e),
        }
        // Lost a race with another process: redo the turn holding the write lock from load to
        // save, which cannot conflict and so always makes progress.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (mut conversation, version) = match load_with(&mut tx, thread).await? {
            Some(stored) => (stored.conversation, Some(stored.version)),
            None => (new(), None),
        };
        let reply = step(&mut conversation);
        save_with(
            &mut tx,
            thread,
            owner,
            version,
            user_input,
            &conversation,
            &reply,
        )
        .await?;
        tx.commit().await?;
        Ok((reply, conversation))
    }
}

async fn load_with(
    conn: &mut SqliteConnection,
    thread: &str,
) -> Result<Option<StoredConversation>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, owner, version, fsm_state, face_source, current_latent, original_latent, \
             degrees, original_degrees, created_at_ms, updated_at_ms \
             FROM conversations WHERE thread_key = ?",
    )
    .bind(thread)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let corrupt = |detail: String| StoreError::Corrupt {
        thread: thread.to_string(),
        detail,
    };
    let id: i64 = row.try_get("id")?;
    let dialog: DialogState = serde_json::from_str(row.try_get("fsm_state")?)
        .map_err(|e| corrupt(format!("fsm_state: {e}")))?;
    let face_source: Option<String> = row.try_get("face_source")?;
    let face = match face_source {
        None => None,
        Some(source) => {
            let source: FaceSource =
                serde_json::from_str(&source).map_err(|e| corrupt(format!("face_source: {e}")))?;
            let latent = |column: &str| -> Result<Latent, StoreError> {
                let blob: Option<Vec<u8>> = row.try_get(column)?;
                let blob = blob.ok_or_else(|| corrupt(format!("{column} is missing")))?;
                Latent::from_le_bytes(&blob).map_err(|e| corrupt(format!("{column}: {e}")))
            };
            let degrees = |column: &str| -> Result<Degrees, StoreError> {
                serde_json::from_str(row.try_get(column)?)
                    .map_err(|e| corrupt(format!("{column}: {e}")))
            };
            let mut history = Vec::new();
            let rows = sqlx::query(
                "SELECT step, attributes, latent_before, degrees_before FROM edit_history \
                     WHERE conversation_id = ? ORDER BY step",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            for h in rows {
                let step: i64 = h.try_get("step")?;
                let blob: Vec<u8> = h.try_get("latent_before")?;
                history.push(HistoryEntry {
                    step: step as u64,
                    attributes: serde_json::from_str(h.try_get("attributes")?)
                        .map_err(|e| corrupt(format!("history {step} attributes: {e}")))?,
                    latent_before: Latent::from_le_bytes(&blob)
                        .map_err(|e| corrupt(format!("history {step} latent: {e}")))?,
                    degrees_before: serde_json::from_str(h.try_get("degrees_before")?)
                        .map_err(|e| corrupt(format!("history {step} degrees: {e}")))?,
                });
            }
            Some(FaceState {
                source,
                current: latent("current_latent")?,
                original: latent("original_latent")?,
                degrees: degrees("degrees")?,
                original_degrees: degrees("original_degrees")?,
                history,
            })
        }
    };
    let stored = StoredConversation {
        thread_key: thread.to_string(),
        owner: row.try_get("owner")?,
        version: row.try_get("version")?,
        conversation: Conversation { dialog, face },
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    };
    Ok(Some(stored))
}

async fn save_with(
    tx: &mut SqliteConnection,
    thread: &str,
    owner: &str,
    expected_version: Option<i64>,
    user_input: &str,
    conversation: &Conversation,
    reply: &Reply,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let dialog_json = serde_json::to_string(&conversation.dialog)?;
    let feedback_json = serde_json::to_string(&conversation.dialog.feedback)?;
    let reply_json = serde_json::to_string(reply)?;
    let face = conversation.face.as_ref();
    let face_source = face.map(|f| serde_json::to_string(&f.source)).transpose()?;
    let degrees = serde_json::to_string(&face.map(|f| f.degrees.clone()).unwrap_or_default())?;
    let original_degrees =
        serde_json::to_string(&face.map(|f| f.original_degrees.clone()).unwrap_or_default())?;
    let conflict = || StoreError::Conflict {
        thread: thread.to_string(),
        expected: expected_version,
    };

    let row = match expected_version {
        None => {
            let inserted = sqlx::query(
                "INSERT INTO conversations (thread_key, owner, version, fsm_state, \
                     last_feedback, last_reply, face_source, current_latent, original_latent, \
                     degrees, original_degrees, created_at_ms, updated_at_ms) \
                     VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, version",
            )
            .bind(thread)
            .bind(owner)
            .bind(&dialog_json)
            .bind(&feedback_json)
            .bind(&reply.text)
            .bind(&face_source)
            .bind(latent_blob(face.map(|f| &f.current)))
            .bind(latent_blob(face.map(|f| &f.original)))
            .bind(&degrees)
            .bind(&original_degrees)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok(row) => row,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(conflict()),
                Err(e) => return Err(e.into()),
            }
        }
        Some(version) => sqlx::query(
            "UPDATE conversations SET version = version + 1, fsm_state = ?, \
                 last_feedback = ?, last_reply = ?, face_source = ?, current_latent = ?, \
                 original_latent = ?, degrees = ?, original_degrees = ?, updated_at_ms = ? \
                 WHERE thread_key = ? AND version = ? RETURNING id, version",
        )
        .bind(&dialog_json)
        .bind(&feedback_json)
        .bind(&reply.text)
        .bind(&face_source)
        .bind(latent_blob(face.map(|f| &f.current)))
        .bind(latent_blob(face.map(|f| &f.original)))
        .bind(&degrees)
        .bind(&original_degrees)
        .bind(now)
        .bind(thread)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(conflict)?,
    };
    let id: i64 = row.try_get("id")?;
    let new_version: i64 = row.try_get("version")?;

    // The undo stack: entries are immutable and their steps increase, so syncing is
    // "delete what was popped, insert what was pushed".
    let history: &[HistoryEntry] = face.map(|f| f.history.as_slice()).unwrap_or(&[]);
    let steps: Vec<i64> = history.iter().map(|e| e.step as i64).collect();
    sqlx::query(
        "DELETE FROM edit_history WHERE conversation_id = ? \
             AND step NOT IN (SELECT value FROM json_each(?))",
    )
    .bind(id)
    .bind(serde_json::to_string(&steps)?)
    .execute(&mut *tx)
    .await?;
    let stored: HashSet<i64> =
        sqlx::query_scalar("SELECT step FROM edit_history WHERE conversation_id = ?")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    for entry in history
        .iter()
        .filter(|e| !stored.contains(&(e.step as i64)))
    {
        sqlx::query(
            "INSERT INTO edit_history (conversation_id, step, attributes, latent_before, \
                 degrees_before, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(entry.step as i64)
        .bind(serde_json::to_string(&entry.attributes)?)
        .bind(entry.latent_before.to_le_bytes())
        .bind(serde_json::to_string(&entry.degrees_before)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }

    sqlx::query(
        "INSERT INTO turns (conversation_id, turn, user_input, reply_text, reply_json, \
             created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(conversation.dialog.turn as i64)
    .bind(user_input)
    .bind(&reply.text)
    .bind(&reply_json)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(new_version)
}
