-- The Discord bot: which thread is which conversation (with the user's photo and what pasting
-- edits back into it needs), the durable job queue, and the result messages the bot posted.

CREATE TABLE discord_threads (
    -- The Discord thread (a channel id); its conversation's thread_key is "discord:<thread_id>".
    thread_id         TEXT    PRIMARY KEY,
    -- The user who started it (Discord user id); only they can edit.
    owner_id          TEXT    NOT NULL,
    -- The channel the photo was posted in, and that message (the thread's starter).
    channel_id        TEXT    NOT NULL,
    source_message_id TEXT    NOT NULL,
    -- The uploaded photo exactly as sent (NULL once a thread no longer needs it).
    photo             BLOB,
    -- What pasting an edited render back into the photo needs (engine::inversion::PasteBack):
    -- the face's quad as JSON, the aligned crop as PNG and the soft mask as f32 little-endian.
    paste_quad        TEXT,
    paste_crop        BLOB,
    paste_mask        BLOB,
    created_at_ms     INTEGER NOT NULL
);
CREATE INDEX discord_threads_owner ON discord_threads (owner_id);

CREATE TABLE discord_jobs (
    -- Order of arrival: jobs of one thread run strictly in this order.
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id         TEXT    NOT NULL REFERENCES discord_threads (thread_id) ON DELETE CASCADE,
    user_id           TEXT    NOT NULL,
    -- The job as JSON (a text message, a button's request or the photo).
    job               TEXT    NOT NULL,
    -- The status message edited in place while the job waits and runs.
    status_message_id TEXT,
    -- 'queued' until the job's turn is saved (a crash before that reruns it from scratch);
    -- 'saved' once the turn is in the conversation (only the reply is left to send).
    state             TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'saved')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at_ms     INTEGER NOT NULL
);
CREATE INDEX discord_jobs_thread ON discord_jobs (thread_id, id);

CREATE TABLE discord_results (
    thread_id     TEXT    NOT NULL REFERENCES discord_threads (thread_id) ON DELETE CASCADE,
    message_id    TEXT    NOT NULL PRIMARY KEY,
    turn          INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX discord_results_thread ON discord_results (thread_id);
