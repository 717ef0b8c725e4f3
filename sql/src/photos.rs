//! The photo of a conversation outside Discord (migration
//! `20261206000002_conversation_photos.sql`): the terminal's `chat` keeps the photo its face
//! came from and the paste-back data here, keyed by the conversation's thread key, so a chat
//! continued after a restart still shows its edits in the user's own photo. (Discord threads
//! keep theirs in `discord_threads`, beside their job queue.)

use super::{now_ms, ConversationStore, StoreError};
use crate::StoredPaste;
use sqlx::Row;

impl ConversationStore {
    /// Keeps `photo` and its paste-back data as the photo of conversation `thread` (replacing
    /// any earlier one).
    pub async fn set_conversation_photo(
        &self,
        thread: &str,
        photo: &[u8],
        paste: &StoredPaste,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO conversation_photos (thread_key, photo, paste_quad, \
             paste_crop, paste_mask, paste_warp, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(thread)
        .bind(photo)
        .bind(&paste.quad_json)
        .bind(&paste.crop_png)
        .bind(&paste.mask)
        .bind(&paste.warp_json)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The photo of conversation `thread` and its paste-back data, if it has one.
    pub async fn conversation_photo(
        &self,
        thread: &str,
    ) -> Result<Option<(Vec<u8>, StoredPaste)>, StoreError> {
        let row = sqlx::query(
            "SELECT photo, paste_quad, paste_crop, paste_mask, paste_warp \
             FROM conversation_photos WHERE thread_key = ?",
        )
        .bind(thread)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("photo")?,
                StoredPaste {
                    quad_json: row.try_get("paste_quad")?,
                    crop_png: row.try_get("paste_crop")?,
                    mask: row.try_get("paste_mask")?,
                    warp_json: row.try_get("paste_warp")?,
                },
            ))
        })
        .transpose()
    }

    /// Forgets the photo of conversation `thread` (its face is no longer the photo's).
    pub async fn remove_conversation_photo(&self, thread: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM conversation_photos WHERE thread_key = ?")
            .bind(thread)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_conversation_photo_is_kept_replaced_and_removed() {
        let dir = std::env::temp_dir().join(format!("tte-photos-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("photos.db");
        let _ = std::fs::remove_file(&path);
        let store = ConversationStore::open(&path).await.unwrap();
        assert_eq!(store.conversation_photo("t").await.unwrap(), None);
        let paste = StoredPaste {
            quad_json: "{\"c\":[1.0,2.0]}".into(),
            crop_png: vec![1, 2, 3],
            mask: vec![0, 0, 128, 63],
            warp_json: None,
        };
        store
            .set_conversation_photo("t", b"photo one", &paste)
            .await
            .unwrap();
        let warped = StoredPaste {
            warp_json: Some("{\"photo\":[]}".into()),
            ..paste.clone()
        };
        store
            .set_conversation_photo("t", b"photo two", &warped)
            .await
            .unwrap();
        store
            .set_conversation_photo("other", b"x", &paste)
            .await
            .unwrap();
        store.close().await;
        // Kept across a restart.
        let store = ConversationStore::open(&path).await.unwrap();
        assert_eq!(
            store.conversation_photo("t").await.unwrap(),
            Some((b"photo two".to_vec(), warped))
        );
        store.remove_conversation_photo("t").await.unwrap();
        assert_eq!(store.conversation_photo("t").await.unwrap(), None);
        assert!(store.conversation_photo("other").await.unwrap().is_some());
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
