//! The conversation store: WAL and foreign keys on, a conversation survives closing and
//! reopening the database and continues with exactly the reply an uninterrupted run gives,
//! stale saves are refused, and a turn that fails half-way leaves nothing behind.

mod dialog_support;

use dialog_support::*;
use engine::dialog::Conversation;
use sql::{ConversationStore, StoreError};

const THREAD: &str = "thread-1";
const OWNER: &str = "user-1";
const RNG_SEED: u64 = 99;

async fn run_line(
    store: &ConversationStore,
    engine: &DoubleEngine,
    line: &str,
) -> engine::dialog::Reply {
    let (reply, _) = store
        .run_turn(
            THREAD,
            OWNER,
            line,
            || Conversation::new(RNG_SEED),
            |c| step(c, engine, line),
        )
        .await
        .unwrap();
    reply
}

#[tokio::test]
async fn open_creates_a_wal_database_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = ConversationStore::open(&path).await.unwrap();
    assert!(path.exists());
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
    assert!(store.foreign_keys_enabled().await.unwrap());
    assert!(store.load("nobody").await.unwrap().is_none());
    store.close().await;
    // Reopening runs the (already applied) migrations again without error.
    ConversationStore::open(&path).await.unwrap().close().await;

    let bad = dir.path().join("no-such-dir").join("x.db");
    let err = ConversationStore::open(&bad)
        .await
        .err()
        .expect("cannot open");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[tokio::test]
async fn reopened_conversation_continues_exactly() {
    let engine = DoubleEngine::default();
    // Reference: the whole script in memory, never persisted.
    let mut reference = Conversation::new(RNG_SEED);
    let expected: Vec<_> = SCRIPT
        .iter()
        .map(|l| step(&mut reference, &engine, l))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let split = 9; // after "no": history holds edits, feedback is mid-conversation
    {
        let store = ConversationStore::open(&path).await.unwrap();
        for (i, line) in SCRIPT[..split].iter().enumerate() {
            let reply = run_line(&store, &engine, line).await;
            assert_eq!(reply, expected[i], "turn {i} {line:?}");
        }
        store.close().await;
    }
    // A new process: everything dropped, the file reopened.
    let store = ConversationStore::open(&path).await.unwrap();
    let stored = store.load(THREAD).await.unwrap().unwrap();
    assert_eq!(stored.owner, OWNER);
    assert_eq!(stored.version, split as i64);
    let mut replay = Conversation::new(RNG_SEED);
    for line in &SCRIPT[..split] {
        step(&mut replay, &engine, line);
    }
    assert_eq!(stored.conversation, replay, "state after reload");
    let face = stored.conversation.face.as_ref().unwrap();
    assert!(!face.history.is_empty());
    assert_ne!(face.current, face.original);
    assert_eq!(
        store.last_feedback(THREAD).await.unwrap(),
        Some(stored.conversation.dialog.feedback)
    );

    for (i, line) in SCRIPT.iter().enumerate().skip(split) {
        let reply = run_line(&store, &engine, line).await;
        assert_eq!(reply, expected[i], "turn {i} {line:?} after reopening");
    }
    let turns = store.turns(THREAD).await.unwrap();
    assert_eq!(turns.len(), SCRIPT.len());
    for (i, turn) in turns.iter().enumerate() {
        assert_eq!(turn.turn, i as i64 + 1);
        assert_eq!(turn.user_input, SCRIPT[i]);
        assert_eq!(turn.reply_text, expected[i].text);
        assert_eq!(turn.reply.notes, expected[i].notes);
        assert_eq!(turn.reply.quick_replies, expected[i].quick_replies);
    }
    let stored = store.load(THREAD).await.unwrap().unwrap();
    assert_eq!(stored.conversation, reference);
    assert!(stored.updated_at_ms >= stored.created_at_ms);
}

#[tokio::test]
async fn undo_history_is_stored_and_restored() {
    let engine = DoubleEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("undo.db");
    let lines = [
        "seed 5",
        "more bangs",
        "beard 4",
        "undo",
        "more smiling",
        "more age",
    ];
    {
        let store = ConversationStore::open(&path).await.unwrap();
        for line in lines {
            run_line(&store, &engine, line).await;
        }
        store.close().await;
    }
    let store = ConversationStore::open(&path).await.unwrap();
    let history = store
        .load(THREAD)
        .await
        .unwrap()
        .unwrap()
        .conversation
        .face
        .unwrap()
        .history;
    let steps: Vec<u64> = history.iter().map(|h| h.step).collect();
    assert_eq!(steps, vec![2, 5, 6], "beard (turn 3) was undone");
    // Undo three times after reopening walks back to the original face.
    for _ in 0..3 {
        run_line(&store, &engine, "undo").await;
    }
    let c = store.load(THREAD).await.unwrap().unwrap().conversation;
    let face = c.face.unwrap();
    assert_eq!(face.current, face.original);
    assert_eq!(face.degrees, face.original_degrees);
    assert!(face.history.is_empty());
}

#[tokio::test]
async fn a_stale_save_is_refused_and_changes_nothing() {
    let engine = DoubleEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let store = ConversationStore::open(&dir.path().join("c.db"))
        .await
        .unwrap();
    run_line(&store, &engine, "seed 1").await;
    let loaded = store.load(THREAD).await.unwrap().unwrap();
    // Two turns computed from the same version: the first wins, the second is refused.
    let mut a = loaded.conversation.clone();
    let reply_a = step(&mut a, &engine, "more bangs");
    let mut b = loaded.conversation.clone();
    let reply_b = step(&mut b, &engine, "more beard");
    let v = store
        .save_turn(
            THREAD,
            OWNER,
            Some(loaded.version),
            "more bangs",
            &a,
            &reply_a,
        )
        .await
        .unwrap();
    assert_eq!(v, loaded.version + 1);
    let err = store
        .save_turn(
            THREAD,
            OWNER,
            Some(loaded.version),
            "more beard",
            &b,
            &reply_b,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let now = store.load(THREAD).await.unwrap().unwrap();
    assert_eq!(now.version, v);
    assert_eq!(now.conversation, a);
    // A second "new conversation" on an existing thread is a conflict too.
    let err = store
        .save_turn(THREAD, OWNER, None, "seed 2", &b, &reply_b)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(store.turns(THREAD).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_turn_that_fails_half_way_is_rolled_back() {
    let engine = DoubleEngine::default();
    let dir = tempfile::tempdir().unwrap();
    let store = ConversationStore::open(&dir.path().join("r.db"))
        .await
        .unwrap();
    run_line(&store, &engine, "seed 1").await;
    run_line(&store, &engine, "more bangs").await;
    let before = store.load(THREAD).await.unwrap().unwrap();
    // A turn whose log row collides with an existing turn number fails at its last statement,
    // after the state row and the history were already written inside the transaction.
    let mut next = before.conversation.clone();
    let reply = step(&mut next, &engine, "more beard");
    next.dialog.turn = 2;
    let err = store
        .save_turn(
            THREAD,
            OWNER,
            Some(before.version),
            "more beard",
            &next,
            &reply,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Sql(_)), "{err}");
    let after = store.load(THREAD).await.unwrap().unwrap();
    assert_eq!(after, before, "nothing of the failed turn is visible");
    assert_eq!(store.turns(THREAD).await.unwrap().len(), 2);
}
