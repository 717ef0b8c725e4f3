-- Conversations of the dialog core: one row per chat thread, one row per undoable edit,
-- one row per handled turn. Latents are W+ [23, 512] f32 little-endian blobs (47104 bytes).

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    thread_key       TEXT    NOT NULL UNIQUE,
    owner            TEXT    NOT NULL,
    -- Optimistic concurrency: every saved turn increments it; a save that expected another
    -- version is refused, so two messages on one conversation cannot interleave.
    version          INTEGER NOT NULL,
    -- engine::dialog::DialogState as JSON (phase, last feedback, rng, edited attributes, ...).
    fsm_state        TEXT    NOT NULL,
    -- engine::dialog::Feedback of the last reply as JSON, and that reply's text.
    last_feedback    TEXT    NOT NULL,
    last_reply       TEXT,
    -- engine::dialog::FaceSource as JSON; NULL until a face is loaded (as are the latents).
    face_source      TEXT,
    current_latent   BLOB CHECK (current_latent IS NULL OR length(current_latent) = 47104),
    original_latent  BLOB CHECK (original_latent IS NULL OR length(original_latent) = 47104),
    -- Per-attribute degrees as JSON objects, e.g. {"bangs": 2}.
    degrees          TEXT    NOT NULL,
    original_degrees TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    updated_at_ms    INTEGER NOT NULL
);

CREATE TABLE edit_history (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- The turn that made the edit; the undo stack is ordered by it.
    step            INTEGER NOT NULL,
    attributes      TEXT    NOT NULL,
    latent_before   BLOB    NOT NULL CHECK (length(latent_before) = 47104),
    degrees_before  TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, step)
);

CREATE TABLE turns (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn            INTEGER NOT NULL,
    user_input      TEXT    NOT NULL,
    reply_text      TEXT    NOT NULL,
    -- engine::dialog::Reply without its image, as JSON.
    reply_json      TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, turn)
);
