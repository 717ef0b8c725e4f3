-- The photo a conversation outside Discord (the terminal's `chat`) started from, with what
-- carrying edits back into it needs (as in discord_threads), so a restarted chat shows and aims
-- its edits in the user's own photo exactly as before. One row per conversation thread key;
-- deleted when the conversation's face is no longer the photo's.
CREATE TABLE conversation_photos (
    thread_key    TEXT    PRIMARY KEY,
    -- The photo exactly as read.
    photo         BLOB    NOT NULL,
    -- engine::inversion::PasteBack: the quad as JSON, the aligned crop as PNG, the soft mask as
    -- f32 little-endian, the landmark warp as JSON (NULL where none was measured).
    paste_quad    TEXT    NOT NULL,
    paste_crop    BLOB    NOT NULL,
    paste_mask    BLOB    NOT NULL,
    paste_warp    TEXT,
    created_at_ms INTEGER NOT NULL
);
