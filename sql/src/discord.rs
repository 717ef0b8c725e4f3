//! The Discord bot's tables (migration `20261205000001_discord.sql`): the thread -> conversation
//! mapping with the user's photo and its paste-back data, the durable job queue and the result
//! messages posted. A job's turn and its "saved" mark are written in the conversation turn's own
//! transaction, so after a crash a job either reruns from scratch or only its reply is re-sent;
//! it is never applied twice. [`ConversationStore::forget_user`] deletes everything of a user.

use super::{load_with, now_ms, save_with, ConversationStore, StoreError};
use engine::dialog::{Conversation, Reply};
use sqlx::Row;

/// A bot thread.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordThread {
    pub thread_id: String,
    pub owner_id: String,
    pub channel_id: String,
    pub source_message_id: String,
}

/// What pasting edits back into a thread's photo needs, serialised by the bot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPaste {
    /// The face's quad as JSON.
    pub quad_json: String,
    /// The aligned crop, PNG.
    pub crop_png: Vec<u8>,
    /// The soft mask, f32 little-endian.
    pub mask: Vec<u8>,
    /// The photo's landmarks against the inverted render's as JSON (`None`: none measured).
    pub warp_json: Option<String>,
}

/// A queued job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: i64,
    pub thread_id: String,
    pub user_id: String,
    /// The job as the bot serialised it.
    pub job: String,
    pub status_message_id: Option<String>,
    /// Whether its turn is already saved (only the reply is left).
    pub saved: bool,
    pub attempts: i64,
}

/// How many rows [`ConversationStore::forget_user`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub conversations: u64,
    pub threads: u64,
    /// Result messages the bot posted for the user (the caller deletes them on Discord).
    pub results: u64,
}

fn job_from_row(row: sqlx::sqlite::SqliteRow) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        id: row.try_get("id")?,
        thread_id: row.try_get("thread_id")?,
        user_id: row.try_get("user_id")?,
        job: row.try_get("job")?,
        status_message_id: row.try_get("status_message_id")?,
        saved: row.try_get::<String, _>("state")? == "saved",
        attempts: row.try_get("attempts")?,
    })
}

impl ConversationStore {
    /// Records a new bot thread.
    pub async fn insert_discord_thread(&self, thread: &DiscordThread) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO discord_threads (thread_id, owner_id, channel_id, source_message_id, \
             created_at_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&thread.thread_id)
        .bind(&thread.owner_id)
        .bind(&thread.channel_id)
        .bind(&thread.source_message_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The bot thread `thread_id`, if the bot started it.
    pub async fn discord_thread(
        &self,
        thread_id: &str,
    ) -> Result<Option<DiscordThread>, StoreError> {
        let row = sqlx::query(
            "SELECT thread_id, owner_id, channel_id, source_message_id FROM discord_threads \
             WHERE thread_id = ?",
        )
        .bind(thread_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(DiscordThread {
                thread_id: row.try_get("thread_id")?,
                owner_id: row.try_get("owner_id")?,
                channel_id: row.try_get("channel_id")?,
                source_message_id: row.try_get("source_message_id")?,
            })
        })
        .transpose()
    }

    /// Stores the photo a thread's conversation starts from (before it is inverted).
    pub async fn set_discord_photo(&self, thread_id: &str, photo: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE discord_threads SET photo = ?, paste_quad = NULL, paste_crop = NULL, \
             paste_mask = NULL, paste_warp = NULL WHERE thread_id = ?",
        )
        .bind(photo)
        .bind(thread_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The thread's photo and its paste-back data (once inverted).
    pub async fn discord_photo(
        &self,
        thread_id: &str,
    ) -> Result<Option<(Vec<u8>, Option<StoredPaste>)>, StoreError> {
        let row = sqlx::query(
            "SELECT photo, paste_quad, paste_crop, paste_mask, paste_warp FROM discord_threads \
             WHERE thread_id = ?",
        )
        .bind(thread_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(photo) = row.try_get::<Option<Vec<u8>>, _>("photo")? else {
            return Ok(None);
        };
        let quad: Option<String> = row.try_get("paste_quad")?;
        let crop: Option<Vec<u8>> = row.try_get("paste_crop")?;
        let mask: Option<Vec<u8>> = row.try_get("paste_mask")?;
        let warp_json: Option<String> = row.try_get("paste_warp")?;
        let paste = match (quad, crop, mask) {
            (Some(quad_json), Some(crop_png), Some(mask)) => Some(StoredPaste {
                quad_json,
                crop_png,
                mask,
                warp_json,
            }),
            _ => None,
        };
        Ok(Some((photo, paste)))
    }

    /// Appends a job to the durable queue; returns its id.
    pub async fn enqueue_job(
        &self,
        thread_id: &str,
        user_id: &str,
        job: &str,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO discord_jobs (thread_id, user_id, job, created_at_ms) \
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(thread_id)
        .bind(user_id)
        .bind(job)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Remembers the status message of a job.
    pub async fn set_job_status_message(
        &self,
        job_id: i64,
        message_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE discord_jobs SET status_message_id = ? WHERE id = ?")
            .bind(message_id)
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts a start of a job (a rerun after a crash counts again).
    pub async fn job_started(&self, job_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE discord_jobs SET attempts = attempts + 1 WHERE id = ?")
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One job, if it is still queued.
    pub async fn job(&self, job_id: i64) -> Result<Option<JobRecord>, StoreError> {
        sqlx::query("SELECT * FROM discord_jobs WHERE id = ?")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?
            .map(job_from_row)
            .transpose()
    }

    /// Every unfinished job, oldest first (what a restarted bot resumes).
    pub async fn pending_jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        sqlx::query("SELECT * FROM discord_jobs ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(job_from_row)
            .collect()
    }

    /// Removes a finished (replied) job.
    pub async fn finish_job(&self, job_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM discord_jobs WHERE id = ?")
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Saves a job's turn and marks the job saved in ONE transaction (with the photo's
    /// paste-back data when the turn started a face from it). `expected_version` as in
    /// [`ConversationStore::save_turn`]. Returns the new version.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_job_turn(
        &self,
        job_id: i64,
        thread: &str,
        owner: &str,
        expected_version: Option<i64>,
        user_input: &str,
        conversation: &Conversation,
        reply: &Reply,
        paste: Option<(&str, &StoredPaste)>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // A job deleted meanwhile (its user said "forget me") must not bring anything back.
        let marked = sqlx::query("UPDATE discord_jobs SET state = 'saved' WHERE id = ?")
            .bind(job_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if marked == 0 {
            return Err(StoreError::JobGone(job_id));
        }
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
        if let Some((thread_id, paste)) = paste {
            sqlx::query(
                "UPDATE discord_threads SET paste_quad = ?, paste_crop = ?, paste_mask = ?, \
                 paste_warp = ? WHERE thread_id = ?",
            )
            .bind(&paste.quad_json)
            .bind(&paste.crop_png)
            .bind(&paste.mask)
            .bind(&paste.warp_json)
            .bind(thread_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(version)
    }

    /// The conversation's latest turn's reply (what a job whose turn was saved still has to
    /// send after a restart).
    pub async fn last_turn(&self, thread: &str) -> Result<Option<super::TurnRecord>, StoreError> {
        Ok(self.turns(thread).await?.pop())
    }

    /// Loads a conversation inside a read transaction (as [`ConversationStore::load`]).
    pub async fn load_conversation(
        &self,
        thread: &str,
    ) -> Result<Option<super::StoredConversation>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_with(&mut conn, thread).await
    }

    /// Records a result message the bot posted.
    pub async fn add_discord_result(
        &self,
        thread_id: &str,
        message_id: &str,
        turn: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO discord_results (thread_id, message_id, turn, created_at_ms) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(thread_id)
        .bind(message_id)
        .bind(turn)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets one result message (the user deleted it).
    pub async fn remove_discord_result(&self, message_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM discord_results WHERE message_id = ?")
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The (thread, message) ids of every result posted in the user's threads.
    pub async fn discord_results_of(
        &self,
        owner_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.thread_id, r.message_id FROM discord_results r \
             JOIN discord_threads t ON t.thread_id = r.thread_id WHERE t.owner_id = ?",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("thread_id")?, r.try_get("message_id")?)))
            .collect()
    }

    /// Deletes everything stored about a Discord user: their conversations (`conversation_owner`,
    /// with history and turns), threads (photos, paste-back data), queued jobs and result
    /// records, in one transaction.
    pub async fn forget_user(
        &self,
        owner_id: &str,
        conversation_owner: &str,
    ) -> Result<Forgotten, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let results: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM discord_results r JOIN discord_threads t \
             ON t.thread_id = r.thread_id WHERE t.owner_id = ?",
        )
        .bind(owner_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM discord_jobs WHERE user_id = ?")
            .bind(owner_id)
            .execute(&mut *tx)
            .await?;
        let threads = sqlx::query("DELETE FROM discord_threads WHERE owner_id = ?")
            .bind(owner_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let conversations = sqlx::query("DELETE FROM conversations WHERE owner = ?")
            .bind(conversation_owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Forgotten {
            conversations,
            threads,
            results: results as u64,
        })
    }

    /// Rows that still belong to the user, over every table (0 after [`Self::forget_user`]).
    pub async fn rows_of_user(
        &self,
        owner_id: &str,
        conversation_owner: &str,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM conversations WHERE owner = ?2) \
             + (SELECT count(*) FROM edit_history h JOIN conversations c \
                ON c.id = h.conversation_id WHERE c.owner = ?2) \
             + (SELECT count(*) FROM turns t JOIN conversations c \
                ON c.id = t.conversation_id WHERE c.owner = ?2) \
             + (SELECT count(*) FROM discord_threads WHERE owner_id = ?1) \
             + (SELECT count(*) FROM discord_jobs WHERE user_id = ?1) \
             + (SELECT count(*) FROM discord_results r JOIN discord_threads t \
                ON t.thread_id = r.thread_id WHERE t.owner_id = ?1)",
        )
        .bind(owner_id)
        .bind(conversation_owner)
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::dialog::{Feedback, Phase};

    fn reply(text: &str) -> Reply {
        Reply {
            text: text.into(),
            image: None,
            quick_replies: Vec::new(),
            notes: Vec::new(),
            feedback: Feedback::AskForFace,
            phase: Phase::Start,
        }
    }

    #[tokio::test]
    async fn jobs_save_once_and_forgetting_leaves_no_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConversationStore::open(&dir.path().join("d.db"))
            .await
            .unwrap();
        let thread = DiscordThread {
            thread_id: "7".into(),
            owner_id: "42".into(),
            channel_id: "1".into(),
            source_message_id: "2".into(),
        };
        store.insert_discord_thread(&thread).await.unwrap();
        assert_eq!(store.discord_thread("7").await.unwrap(), Some(thread));
        assert_eq!(store.discord_thread("8").await.unwrap(), None);
        store.set_discord_photo("7", b"photo").await.unwrap();
        let job = store
            .enqueue_job("7", "42", "{\"kind\":\"photo\"}")
            .await
            .unwrap();
        store.set_job_status_message(job, "99").await.unwrap();
        store.job_started(job).await.unwrap();
        let pending = store.pending_jobs().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].attempts, pending[0].saved), (1, false));
        assert_eq!(pending[0].status_message_id.as_deref(), Some("99"));

        let paste = StoredPaste {
            quad_json: "{}".into(),
            crop_png: vec![1, 2],
            mask: vec![0; 8],
            warp_json: Some("{\"photo\":[],\"render\":[]}".into()),
        };
        let mut conversation = Conversation::new(0);
        conversation.dialog.turn = 1;
        store
            .save_job_turn(
                job,
                "discord:7",
                "discord:42",
                None,
                "photo",
                &conversation,
                &reply("hi"),
                Some(("7", &paste)),
            )
            .await
            .unwrap();
        assert!(
            store.job(job).await.unwrap().unwrap().saved,
            "saved with the turn"
        );
        let (photo, stored) = store.discord_photo("7").await.unwrap().unwrap();
        assert_eq!((photo.as_slice(), stored), (&b"photo"[..], Some(paste)));
        store.finish_job(job).await.unwrap();
        store.add_discord_result("7", "99", 1).await.unwrap();

        // A job deleted meanwhile cannot save its turn.
        let gone = store.enqueue_job("7", "42", "{}").await.unwrap();
        store.finish_job(gone).await.unwrap();
        let again = store
            .save_job_turn(
                gone,
                "discord:7",
                "discord:42",
                Some(1),
                "x",
                &conversation,
                &reply("x"),
                None,
            )
            .await;
        assert!(matches!(again, Err(StoreError::JobGone(_))), "{again:?}");

        assert!(store.rows_of_user("42", "discord:42").await.unwrap() >= 4);
        assert_eq!(
            store.discord_results_of("42").await.unwrap(),
            vec![("7".to_string(), "99".to_string())]
        );
        let forgotten = store.forget_user("42", "discord:42").await.unwrap();
        assert_eq!(
            forgotten,
            Forgotten {
                conversations: 1,
                threads: 1,
                results: 1
            }
        );
        assert_eq!(store.rows_of_user("42", "discord:42").await.unwrap(), 0);
        assert_eq!(store.discord_photo("7").await.unwrap(), None);
    }
}
