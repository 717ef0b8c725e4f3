-- The photo's landmarks against the inverted render's (engine::inversion::face_warp::FaceWarp) as
-- JSON, so edits are carried onto the photo's own mouth and eyes; NULL for threads inverted
-- before it existed (their edits are carried pixel for pixel) or whose render showed no landmarks.
ALTER TABLE discord_threads ADD COLUMN paste_warp TEXT;
