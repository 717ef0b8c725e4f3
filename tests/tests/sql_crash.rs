//! A conversation survives its process being killed: a child process runs turns against the
//! store and is SIGKILLed (between turns, and possibly in the middle of one); a new process
//! continues from the database and produces exactly the replies of an uninterrupted run.
//!
//! The child is this same test binary re-run with `--ignored --exact crash_child` and the
//! database path in `TTE_CRASH_DB`.

mod dialog_support;

use dialog_support::*;
use engine::dialog::Conversation;
use sql::ConversationStore;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const THREAD: &str = "crash-thread";
const RNG_SEED: u64 = 1234;
const DB_ENV: &str = "TTE_CRASH_DB";

/// The child: reads script lines on stdin, runs each as one stored turn, and acknowledges it
/// on stdout once committed.
#[test]
#[ignore = "child process of `killed_process_continues_exactly`, which runs it"]
fn crash_child() {
    let db =
        std::env::var(DB_ENV).expect("crash_child needs TTE_CRASH_DB (run by the parent test)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = ConversationStore::open(std::path::Path::new(&db))
            .await
            .unwrap();
        let engine = DoubleEngine::default();
        let stdout = std::io::stdout();
        for line in std::io::stdin().lock().lines() {
            let line = line.unwrap();
            let (reply, conversation) = store
                .run_turn(
                    THREAD,
                    "owner",
                    &line,
                    || Conversation::new(RNG_SEED),
                    |c| step(c, &engine, &line),
                )
                .await
                .unwrap();
            let mut out = stdout.lock();
            writeln!(
                out,
                "ACK {} {}",
                conversation.dialog.turn,
                serde_json::to_string(&reply.text).unwrap()
            )
            .unwrap();
            out.flush().unwrap();
        }
    });
}

struct ChildChat {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ChildChat {
    fn spawn(db: &std::path::Path) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DB_ENV, db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the child test process");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        ChildChat {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the acknowledgement of the next committed turn: (turn, reply text).
    fn ack(&mut self) -> (u64, String) {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "child exited before acknowledging a turn");
            // libtest may print "test crash_child ... " on the same line before the first ack.
            if let Some(at) = line.find("ACK ") {
                let rest = line[at + 4..].trim_end();
                let (turn, text) = rest.split_once(' ').unwrap();
                return (turn.parse().unwrap(), serde_json::from_str(text).unwrap());
            }
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no destructors, no flushing, no rollback
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn killed_process_continues_exactly() {
    let engine = DoubleEngine::default();
    let mut reference = Conversation::new(RNG_SEED);
    let expected: Vec<String> = SCRIPT
        .iter()
        .map(|l| step(&mut reference, &engine, l).text)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");

    // First process: five acknowledged turns, then a sixth sent and killed at once (it may be
    // killed before, during or after its transaction).
    let mut chat = ChildChat::spawn(&db);
    for (i, line) in SCRIPT[..5].iter().enumerate() {
        chat.send(line);
        assert_eq!(chat.ack(), (i as u64 + 1, expected[i].clone()));
    }
    chat.send(SCRIPT[5]);
    chat.kill();

    // Whatever the timing, the database holds a whole number of turns and their exact state.
    let store = ConversationStore::open(&db).await.unwrap();
    let stored = store.load(THREAD).await.unwrap().unwrap();
    let done = stored.conversation.dialog.turn as usize;
    assert!(done == 5 || done == 6, "{done} turns survived");
    assert_eq!(stored.version, done as i64);
    assert_eq!(store.turns(THREAD).await.unwrap().len(), done);
    let mut replay = Conversation::new(RNG_SEED);
    for line in &SCRIPT[..done] {
        step(&mut replay, &engine, line);
    }
    assert_eq!(stored.conversation, replay);
    store.close().await;

    // Second process: kill it between two acknowledged turns.
    let mut chat = ChildChat::spawn(&db);
    let mut next = done;
    for _ in 0..3 {
        chat.send(SCRIPT[next]);
        assert_eq!(chat.ack(), (next as u64 + 1, expected[next].clone()));
        next += 1;
    }
    chat.kill();

    // Third process: the rest of the script, with exactly the uninterrupted replies.
    let mut chat = ChildChat::spawn(&db);
    for (i, line) in SCRIPT.iter().enumerate().skip(next) {
        chat.send(line);
        assert_eq!(chat.ack(), (i as u64 + 1, expected[i].clone()), "{line:?}");
    }
    chat.kill();

    let store = ConversationStore::open(&db).await.unwrap();
    let turns = store.turns(THREAD).await.unwrap();
    let texts: Vec<String> = turns.iter().map(|t| t.reply_text.clone()).collect();
    assert_eq!(texts, expected);
    assert_eq!(
        store.load(THREAD).await.unwrap().unwrap().conversation,
        reference
    );
}
