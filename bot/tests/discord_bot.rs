//! `talk-to-edit serve` end to end against a fake Discord on 127.0.0.1 (`fake_discord`), with
//! the real serenity client, the real engine and models, and the SQLite store: a selfie opens a
//! thread answered with the user's photo (edits are carried into it), and so does `/edit` with an
//! attached photo; text and buttons edit it; other users cannot; bad uploads get clear replies;
//! messages in one thread run in order; several threads are all answered and a waiting job's
//! place in line is kept current; a bot killed mid-edit continues after a restart without
//! applying the edit twice; `forget me` leaves no row of the user; a 429 from Discord is waited
//! out (serenity's rate limiter, reached through the fake as an HTTP proxy). One bot process
//! serves the scenarios in sequence (model loading and inversion dominate the time).

mod fake_discord;
mod support;

use fake_discord::{Fake, Msg, BOT_USER};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHANNEL: u64 = 100;
const ALICE: u64 = 11;
const BOB: u64 = 12;
const CAROL: u64 = 13;
const TOKEN: &str = "MTAxMTAxMTAx.fake-token-value.do-not-log-me";
const WAIT: Duration = Duration::from_secs(240);

fn start_bot(fake: &Fake, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("bot.log"))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args([
            "serve",
            "--api-base",
            &fake.http_base,
            "--db",
            dir.join("bot.db").to_str().unwrap(),
            "--config",
            dir.join("bot.toml").to_str().unwrap(),
            "--channel",
            &CHANNEL.to_string(),
        ])
        .env("DISCORD_TOKEN", TOKEN)
        .env("RUST_LOG", "info,serenity=warn")
        .env("RAYON_NUM_THREADS", "2")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// A status line (not yet a result).
fn is_status(m: &Msg) -> bool {
    m.files.is_empty()
        && ["⏳", "🔍", "✏️", "I was restarted"]
            .iter()
            .any(|p| m.content.starts_with(p))
}

/// The first final bot message in `thread` after the first `skip` bot messages there.
async fn result_after(fake: &Fake, thread: u64, skip: usize, what: &str) -> Msg {
    fake.wait_for(what, WAIT, |s| {
        s.messages
            .iter()
            .filter(|m| m.channel == thread && m.author == BOT_USER)
            .skip(skip)
            .find(|m| !is_status(m))
            .cloned()
    })
    .await
}

fn png_of(m: &Msg) -> image::RgbImage {
    assert_eq!(m.files.len(), 1, "one image attached: {:?}", m.content);
    let (name, bytes) = &m.files[0];
    assert!(name.ends_with(".png"), "{name}");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.as_slice()));
    let reader = decoder.read_info().unwrap();
    assert!(
        reader
            .info()
            .uncompressed_latin1_text
            .iter()
            .any(|t| t.keyword == "AI-edited"),
        "results carry the AI-edited text chunk"
    );
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

fn png_bytes(image: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that says it is 60000 x 60000 pixels (a decompression bomb's header).
fn bomb_png() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Uploads `photo` as `user` in the watched channel; returns the thread and its first result.
async fn open_thread(fake: &Fake, user: u64, photo: &[u8], name: &str) -> (u64, Msg) {
    let message = fake.user_message(
        CHANNEL,
        user,
        "",
        &[(name, "image/jpeg", photo.len(), photo.to_vec())],
    );
    let thread = fake
        .wait_for("a thread on the photo", WAIT, |s| {
            s.threads
                .iter()
                .find(|(parent, from, _)| *parent == CHANNEL && *from == message)
                .map(|t| t.2)
        })
        .await;
    let first = result_after(fake, thread, 0, "the thread's first reply").await;
    (thread, first)
}

async fn store(dir: &Path) -> sql::ConversationStore {
    sql::ConversationStore::open(&dir.join("bot.db"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_end_to_end_against_a_fake_discord() {
    support::ensure_models();
    let photo_path = support::celeba_photo();
    let photo = std::fs::read(&photo_path).unwrap();
    let photo_size = image::image_dimensions(&photo_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot.toml"),
        "[limits]\nworkers = 2\nrefine_steps = 2\nrender_size = 256\n\
         per_user_per_minute = 100\nstatus_edit_interval_ms = 200\n",
    )
    .unwrap();
    let fake = Fake::start().await;
    let mut bot = start_bot(&fake, dir.path());

    // Connected: identified with the token, /forget registered.
    fake.wait_for("the bot to identify", WAIT, |s| s.identify.clone())
        .await;
    let identify = fake.state.lock().unwrap().identify.clone().unwrap();
    // serenity sends the token as the HTTP Authorization value, "Bot <token>", which Discord accepts.
    let sent = identify["d"]["token"].as_str().unwrap_or_default();
    assert_eq!(sent.strip_prefix("Bot ").unwrap_or(sent), TOKEN);
    fake.wait_for("/forget to be registered", WAIT, |s| {
        s.commands
            .iter()
            .any(|c| c["name"] == "forget")
            .then_some(())
    })
    .await;
    let edit_command = fake
        .state
        .lock()
        .unwrap()
        .commands
        .iter()
        .find(|c| c["name"] == "edit")
        .cloned()
        .expect("/edit registered");
    let option = &edit_command["options"][0];
    assert_eq!(option["type"], 11, "an attachment option: {edit_command}");
    assert_eq!(option["required"], true, "{edit_command}");

    // 1. A selfie opens a thread; the reply carries the photo, at its own size.
    let (thread, first) = open_thread(&fake, ALICE, &photo, "me.jpg").await;
    let first_image = png_of(&first);
    assert_eq!(
        first_image.dimensions(),
        photo_size,
        "pasted back into the photo"
    );
    assert!(first.content.contains("forget me"), "{}", first.content);
    assert!(
        fake.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r.starts_with("GET /attachments/")),
        "the photo was downloaded from the test host"
    );
    // Nothing to undo on the first result: Done and Delete, no Undo.
    let buttons = first.buttons();
    assert!(!buttons.iter().any(|(l, _)| l == "Undo"), "{buttons:?}");
    assert!(buttons.iter().any(|(l, _)| l == "Done"), "{buttons:?}");
    assert!(buttons.iter().any(|(l, _)| l == "Delete"), "{buttons:?}");
    // Edits reach the photo as changes: before any edit the user sees their own photo, not the
    // generator's rendering of their face.
    let original = image::open(&photo_path).unwrap().to_rgb8();
    let diff_to_photo = support::mean_abs_diff(&first_image, &original);
    assert!(
        diff_to_photo < 0.01,
        "the first reply is the user's own photo ({diff_to_photo})"
    );

    // 1b. `/edit` with an attached photo: deferred at once, a thread on the response, the
    // inverted face pasted back and the opening prompt in it.
    let dispatched = std::time::Instant::now();
    let command = fake.command_with(
        CHANNEL,
        CAROL,
        "edit",
        Some(("selfie.jpg", "image/jpeg", photo.len(), photo.clone())),
    );
    let deferred = fake
        .wait_for("/edit's deferral", WAIT, |s| {
            s.callbacks
                .iter()
                .find(|c| c.interaction == command)
                .cloned()
        })
        .await;
    assert_eq!(deferred.body["type"], 5, "deferred: {}", deferred.body);
    assert_ne!(
        deferred.body["data"]["flags"], 64,
        "public: the thread opens on it"
    );
    let waited = deferred.at.duration_since(dispatched);
    eprintln!("/edit deferred {waited:?} after its dispatch");
    assert!(waited < Duration::from_secs(3), "deferred after {waited:?}");
    let token = format!("interaction-token-{command}");
    let (starter, edit_thread) = fake
        .wait_for("a thread on /edit's response", WAIT, |s| {
            let starter = s.interactions.get(&token)?.1?;
            let thread = s
                .threads
                .iter()
                .find(|t| t.0 == CHANNEL && t.1 == starter)?;
            Some((starter, thread.2))
        })
        .await;
    let starter = fake
        .bot_messages(CHANNEL)
        .into_iter()
        .find(|m| m.id == starter)
        .unwrap();
    assert!(
        starter.content.contains(&format!("<@{CAROL}>")),
        "{}",
        starter.content
    );
    let opening = result_after(&fake, edit_thread, 0, "/edit's first reply").await;
    assert_eq!(png_of(&opening).dimensions(), photo_size, "pasted back");
    assert!(opening.content.contains("forget me"), "{}", opening.content);
    assert_eq!(
        store(dir.path())
            .await
            .discord_thread(&edit_thread.to_string())
            .await
            .unwrap()
            .map(|t| t.owner_id),
        Some(CAROL.to_string()),
        "the thread is the command user's"
    );
    // A non-image is refused with a note only its user sees, and opens no thread.
    let threads = fake.state.lock().unwrap().threads.len();
    let refused = fake.command_with(
        CHANNEL,
        CAROL,
        "edit",
        Some(("notes.txt", "text/plain", 5, b"hello".to_vec())),
    );
    let note = fake
        .wait_for("/edit's refusal", WAIT, |s| {
            s.callbacks
                .iter()
                .find(|c| c.interaction == refused)
                .cloned()
        })
        .await;
    assert_eq!(note.body["type"], 4);
    assert_eq!(note.body["data"]["flags"], 64, "ephemeral");
    assert!(
        note.body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("PNG or JPEG"),
        "{}",
        note.body
    );
    assert_eq!(fake.state.lock().unwrap().threads.len(), threads);

    // 2. Text edits the face: a new image that differs, with the dialog's feedback. Discord
    // rate-limits the first edit of its status message (429, Retry-After 1 s): the bot waits
    // and sends it again.
    let n = fake.bot_messages(thread).len();
    let status_edits = format!("PATCH /api/v10/channels/{thread}/messages/");
    fake.throttle(&status_edits, 1, 1.0);
    fake.user_message(thread, ALICE, "make him smile more", &[]);
    let edited = result_after(&fake, thread, n, "the edit's reply").await;
    {
        let state = fake.state.lock().unwrap();
        let (refused, at) = state.throttled.first().cloned().expect("a 429 was sent");
        let again = state
            .timeline
            .iter()
            .find(|(r, t)| *r == refused && *t > at)
            .map(|(_, t)| t.duration_since(at));
        eprintln!("{refused} answered 429 (Retry-After 1 s) was sent again after {again:?}");
        assert!(
            again.is_some_and(|d| d >= Duration::from_millis(950)),
            "{refused} is sent again after the Retry-After: {again:?}"
        );
    }
    let edited_image = png_of(&edited);
    let moved = support::mean_abs_diff(&first_image, &edited_image);
    assert!(moved > 0.05, "the edited image differs ({moved})");
    // Only the face changed: the photo's corners (background) are its own pixels.
    support::assert_corners_are_the_photos(&edited_image, &original, 2);
    assert!(
        edited.content.len() > 10 && !is_status(&edited),
        "{}",
        edited.content
    );
    let store_view = store(dir.path()).await;
    let turns = store_view
        .turns(&format!("discord:{thread}"))
        .await
        .unwrap();
    assert_eq!(turns.last().unwrap().user_input, "make him smile more");
    assert_eq!(turns.last().unwrap().reply_text, edited.content);

    // 3. A button press by the owner is acknowledged and handled.
    let n = fake.bot_messages(thread).len();
    let (label, id) = edited
        .buttons()
        .into_iter()
        .find(|(l, _)| l.starts_with("- ") || l.starts_with("+ ") || l == "Undo")
        .expect("-/+ or Undo buttons");
    let press = fake.press(&edited, ALICE, &id);
    let pressed = result_after(&fake, thread, n, "the button's reply").await;
    png_of(&pressed);
    let callback = fake
        .wait_for("the press's callback", WAIT, |s| {
            s.callbacks.iter().find(|c| c.interaction == press).cloned()
        })
        .await;
    assert_eq!(callback.body["type"], 6, "deferred update for {label}");

    // 4. Another user: their text edits nothing, their button press gets an ephemeral note.
    let turns_before = store_view
        .turns(&format!("discord:{thread}"))
        .await
        .unwrap()
        .len();
    let n = fake.bot_messages(thread).len();
    fake.user_message(thread, BOB, "make him old", &[]);
    let press = fake.press(&pressed, BOB, &pressed.buttons()[0].1);
    let note = fake
        .wait_for("the ephemeral note", WAIT, |s| {
            s.callbacks.iter().find(|c| c.interaction == press).cloned()
        })
        .await;
    assert_eq!(note.body["type"], 4);
    assert_eq!(note.body["data"]["flags"], 64, "ephemeral");
    assert!(note.body["data"]["content"]
        .as_str()
        .unwrap()
        .contains("Only the person"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fake.bot_messages(thread).len(),
        n,
        "no reply to another user's message"
    );
    assert_eq!(
        store_view
            .turns(&format!("discord:{thread}"))
            .await
            .unwrap()
            .len(),
        turns_before,
        "no edit for another user"
    );

    // 5. Bad uploads: clear replies, no crash.
    let mut bad = Vec::new();
    let text_file = fake.user_message(
        CHANNEL,
        BOB,
        "",
        &[("notes.txt", "text/plain", 5, b"hello".to_vec())],
    );
    let huge = fake.user_message(
        CHANNEL,
        BOB,
        "",
        &[("huge.jpg", "image/jpeg", 30_000_000, b"\xff\xd8".to_vec())],
    );
    for (message, needle) in [(text_file, "PNG or JPEG"), (huge, "30.0 MB")] {
        let reply = fake
            .wait_for("a reply to a bad upload", WAIT, |s| {
                s.messages
                    .iter()
                    .find(|m| m.reference == Some(message))
                    .cloned()
            })
            .await;
        assert!(reply.content.contains(needle), "{}", reply.content);
        bad.push(reply.content);
    }
    assert!(
        !fake
            .state
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r.contains("huge.jpg")),
        "a too-large upload is refused before download"
    );
    let corrupt = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00garbage-not-a-jpeg".to_vec();
    let (_, reply) = open_thread(&fake, 21, &corrupt, "broken.jpg").await;
    assert!(
        reply.files.is_empty() && reply.content.contains("not a usable image"),
        "{}",
        reply.content
    );
    let (_, reply) = open_thread(&fake, 22, &bomb_png(), "bomb.png").await;
    assert!(
        reply.files.is_empty() && reply.content.contains("not a usable image"),
        "{}",
        reply.content
    );
    let grey = png_bytes(&image::RgbImage::from_pixel(
        300,
        300,
        image::Rgb([120, 120, 120]),
    ));
    let (_, reply) = open_thread(&fake, 23, &grey, "wall.png").await;
    assert!(
        reply.files.is_empty() && reply.content.contains("couldn't find a face"),
        "{}",
        reply.content
    );
    assert!(
        bot.try_wait().unwrap().is_none(),
        "the bot is still running"
    );

    // 6. Two messages at once in one thread: handled in order.
    let n = fake.bot_messages(thread).len();
    fake.user_message(thread, ALICE, "a bit more smile", &[]);
    fake.user_message(thread, ALICE, "undo", &[]);
    // Their status messages may be posted in either order (serenity handles each event in
    // its own task), so wait for both to have become results.
    fake.wait_for("both replies", WAIT, |s| {
        let done = s
            .messages
            .iter()
            .filter(|m| m.channel == thread && m.author == BOT_USER)
            .skip(n)
            .filter(|m| !is_status(m))
            .count();
        (done >= 2).then_some(())
    })
    .await;
    let inputs: Vec<String> = store_view
        .turns(&format!("discord:{thread}"))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.user_input)
        .collect();
    assert_eq!(
        &inputs[inputs.len() - 2..],
        ["a bit more smile", "undo"],
        "{inputs:?}"
    );

    // 7. Several threads at once (more than the two workers): all answered, and a job that
    // waits sees its place in line move up in its status message.
    let users = [31u64, 32, 33, 34];
    let messages: Vec<u64> = users
        .iter()
        .map(|u| {
            fake.user_message(
                CHANNEL,
                *u,
                "",
                &[("face.jpg", "image/jpeg", photo.len(), photo.clone())],
            )
        })
        .collect();
    let mut histories = Vec::new();
    for message in messages {
        let thread = fake
            .wait_for("a thread per photo", WAIT, |s| {
                s.threads.iter().find(|t| t.1 == message).map(|t| t.2)
            })
            .await;
        let reply = result_after(&fake, thread, 0, "every thread's reply").await;
        assert_eq!(png_of(&reply).dimensions(), photo_size);
        histories.push(reply.history.clone());
    }
    assert!(
        histories.iter().any(|h| {
            let second = h.iter().position(|x| x.contains("position 2 in line"));
            let next = h.iter().position(|x| x.contains("you're next"));
            matches!((second, next), (Some(s), Some(n)) if n > s)
        }),
        "the last job moved from 2nd to next: {histories:#?}"
    );
    // A job is placed before its status is posted, so a status only ever moves up the line
    // (it never says "you're next" and then a later place).
    for h in &histories {
        let places: Vec<usize> = h
            .iter()
            .filter_map(|x| {
                if x.contains("you're next") {
                    Some(1)
                } else {
                    x.split("position ").nth(1)?.split(' ').next()?.parse().ok()
                }
            })
            .collect();
        assert!(
            places.windows(2).all(|w| w[1] <= w[0]),
            "places only move up: {h:#?}"
        );
    }

    // 8. Killed mid-edit, restarted: the thread continues, the edit is applied once.
    let key = format!("discord:{thread}");
    let turns_before = store_view.turns(&key).await.unwrap().len();
    let n = fake.bot_messages(thread).len();
    fake.user_message(thread, ALICE, "make him look older", &[]);
    fake.wait_for("the edit to start", WAIT, |s| {
        s.messages
            .iter()
            .filter(|m| m.channel == thread && m.author == BOT_USER)
            .skip(n)
            .any(|m| m.history.iter().any(|h| h.starts_with("✏️")))
            .then_some(())
    })
    .await;
    bot.kill().unwrap();
    bot.wait().unwrap();
    fake.drop_session();
    // The edit may have been saved in the moment before the kill; then only its reply is
    // re-sent. Otherwise it is redone from the start and the user is told.
    let saved_before_kill = store_view.turns(&key).await.unwrap().len() > turns_before;
    bot = start_bot(&fake, dir.path());
    let resumed = result_after(&fake, thread, n, "the interrupted edit's reply").await;
    png_of(&resumed);
    if !saved_before_kill {
        assert!(
            resumed
                .history
                .iter()
                .any(|h| h.starts_with("I was restarted")),
            "the user is told: {:?}",
            resumed.history
        );
    }
    let turns = store_view.turns(&key).await.unwrap();
    assert_eq!(turns.len(), turns_before + 1, "applied exactly once");
    assert_eq!(turns.last().unwrap().user_input, "make him look older");
    let n = fake.bot_messages(thread).len();
    fake.user_message(thread, ALICE, "undo", &[]);
    let after = result_after(&fake, thread, n, "a reply after the restart").await;
    png_of(&after);
    assert_eq!(
        store_view.turns(&key).await.unwrap().len(),
        turns_before + 2
    );

    // 9. `forget me`: no row of the user left, their result messages deleted.
    let alice = ALICE.to_string();
    assert!(
        store_view
            .rows_of_user(&alice, &format!("discord:{alice}"))
            .await
            .unwrap()
            > 0
    );
    let forget = fake.user_message(CHANNEL, ALICE, "forget me", &[]);
    let _ = forget;
    fake.wait_for("the forget reply", WAIT, |s| {
        s.messages
            .iter()
            .find(|m| {
                m.channel == CHANNEL
                    && m.author == BOT_USER
                    && m.content.starts_with("Done: I deleted")
            })
            .cloned()
    })
    .await;
    assert_eq!(
        store_view
            .rows_of_user(&alice, &format!("discord:{alice}"))
            .await
            .unwrap(),
        0
    );
    assert!(store_view
        .discord_thread(&thread.to_string())
        .await
        .unwrap()
        .is_none());
    assert!(
        fake.bot_messages(thread)
            .iter()
            .filter(|m| !m.files.is_empty())
            .all(|m| m.deleted),
        "her result images were deleted"
    );
    // /forget works as a command too (for a user of step 7).
    let id = fake.command(CHANNEL, 31, "forget");
    let reply = fake
        .wait_for("/forget's reply", WAIT, |s| {
            s.callbacks.iter().find(|c| c.interaction == id).cloned()
        })
        .await;
    assert!(reply.body["data"]["content"]
        .as_str()
        .unwrap()
        .contains("deleted"));
    assert_eq!(
        store_view.rows_of_user("31", "discord:31").await.unwrap(),
        0
    );

    bot.kill().unwrap();
    bot.wait().unwrap();
    let log = std::fs::read_to_string(dir.path().join("bot.log")).unwrap();
    assert!(
        !log.contains("fake-token-value"),
        "the token never reaches the log"
    );
    assert!(log.contains("rate limited by Discord"), "the 429 is logged");
    assert!(!bad.iter().any(|b| b.contains("fake-token-value")));
}

#[test]
fn a_missing_token_says_how_to_get_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .arg("serve")
        .env_remove("DISCORD_TOKEN")
        .env_remove("DISCORD_TOKEN_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DISCORD_TOKEN") && stderr.contains("discord.com/developers"),
        "{stderr}"
    );
}
