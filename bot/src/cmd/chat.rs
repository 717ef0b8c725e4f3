//! `talk-to-edit chat`: the dialog in a terminal. Reads one message per stdin line, prints the
//! reply, writes the reply's image into the out folder and prints its path. Every turn is saved
//! in the conversation database in one transaction, so running the command again with the same
//! `--db` and `--thread` continues exactly where it stopped (also after a crash or kill).
//!
//! A conversation started from a photo is edited and shown in that photo, as in Discord.
//!
//! Besides text, a line may be `/seed N` (start from a generated face), `/photo PATH` (start
//! from a photo) or `/quit`.

use crate::face_engine::ProductFaceEngine;
use crate::photo_session::{load_paste, shown_image, store_paste, PhotoSession};
use anyhow::Context;
use engine::dialog::{Conversation, Event, FaceSource, Reply};
use engine::language::{LanguageEncoder, RequestParser};
use sql::ConversationStore;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(clap::Args)]
pub struct Args {
    /// Start from this photo (a new conversation only).
    #[arg(long, value_name = "PHOTO", conflicts_with = "seed")]
    image: Option<PathBuf>,
    /// Start from the generated face of this seed (a new conversation only).
    #[arg(long)]
    seed: Option<u64>,
    /// Conversation database, created if missing [default: OUT/chat.db].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Folder for the reply images.
    #[arg(long, value_name = "DIR", default_value = "chat-out")]
    out: PathBuf,
    /// Conversation key in the database: the same key continues the same conversation.
    #[arg(long, default_value = "terminal")]
    thread: String,
    /// Side of the reply images: 256, 512 or 1024.
    #[arg(long, default_value_t = 256)]
    size: u32,
    /// Seed of the talk module's random choices (templates, synonyms, suggestions) for a new
    /// conversation.
    #[arg(long, default_value_t = 0)]
    talk_seed: u64,
    /// Converted generator weights [default: the model cache's].
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Language encoder weights [default: the committed ones, or $TALK_TO_EDIT_LANGUAGE].
    #[arg(long, value_name = "FILE")]
    language: Option<PathBuf>,
}

/// Loads the language encoder from `path` or its default place.
pub(crate) fn load_parser(path: Option<&Path>) -> anyhow::Result<LanguageEncoder> {
    Ok(match path {
        Some(p) => LanguageEncoder::load(p)?,
        None => LanguageEncoder::load_default()?,
    })
}

/// One line of input as a dialog event; `None` for `/quit`.
pub(crate) fn event_from_line(line: &str) -> anyhow::Result<Option<Event>> {
    let line = line.trim();
    if line == "/quit" || line == "/exit" {
        return Ok(None);
    }
    if let Some(seed) = line.strip_prefix("/seed") {
        let seed = seed
            .trim()
            .parse::<u64>()
            .with_context(|| format!("`/seed N` needs a whole number, got {:?}", seed.trim()))?;
        return Ok(Some(Event::SeedFace(seed)));
    }
    if let Some(path) = line.strip_prefix("/photo") {
        let path = path.trim();
        let bytes = std::fs::read(path).with_context(|| format!("reading photo {path:?}"))?;
        return Ok(Some(Event::PhotoUploaded(bytes)));
    }
    Ok(Some(Event::Text(line.to_string())))
}

/// Runs one stored turn and returns the reply and the turn number. As in Discord, a face that
/// came from a photo is edited and shown in the photo ([`PhotoSession`], [`shown_image`]): the
/// reply's image is the user's photo with the edit carried in; the photo and its paste-back data
/// are kept in the store beside the conversation, so a restarted chat continues in the photo.
pub(crate) async fn stored_turn(
    store: &ConversationStore,
    thread: &str,
    talk_seed: u64,
    event: &Event,
    engine: &ProductFaceEngine,
    parser: &dyn RequestParser,
) -> anyhow::Result<(Reply, u64)> {
    let uploaded = match event {
        Event::PhotoUploaded(bytes) => Some(bytes),
        _ => None,
    };
    let stored = match uploaded {
        Some(_) => None,
        None => store.conversation_photo(thread).await?,
    };
    let paste = stored.as_ref().map(|(_, p)| load_paste(p)).transpose()?;
    // A photo that cannot be decoded is the conversation's to refuse, with a clear reply.
    let decoded = uploaded
        .map(Vec::as_slice)
        .or(stored.as_ref().map(|(bytes, _)| bytes.as_slice()))
        .and_then(|bytes| engine::perception::load_photo_bytes(bytes, "the photo").ok());
    let new_paste = Mutex::new(None);
    let (mut reply, conversation) = store
        .run_turn(
            thread,
            "terminal",
            &event.describe(),
            || Conversation::new(talk_seed),
            |c| {
                let session = PhotoSession::new(
                    engine,
                    c,
                    decoded.as_ref(),
                    paste.clone(),
                    uploaded.is_some(),
                    |_| {},
                );
                let reply = c.handle_with_parser(event.clone(), &session, parser);
                *new_paste.lock().unwrap_or_else(|p| p.into_inner()) = session.into_new_paste();
                reply
            },
        )
        .await
        .with_context(|| format!("saving turn of conversation {thread:?}"))?;
    let new_paste = new_paste.into_inner().unwrap_or_else(|p| p.into_inner());
    if let (Some(bytes), Some(pasted)) = (uploaded, &new_paste) {
        store
            .set_conversation_photo(thread, bytes, &store_paste(pasted)?)
            .await?;
    }
    let from_photo = conversation
        .face
        .as_ref()
        .is_some_and(|f| matches!(f.source, FaceSource::Photo { .. }));
    if !from_photo {
        store.remove_conversation_photo(thread).await?;
    }
    if reply.image.is_some() {
        let paste = new_paste.or(paste);
        reply.image = shown_image(
            engine,
            &conversation,
            &reply,
            decoded.as_ref(),
            paste.as_ref(),
        )?;
    }
    Ok((reply, conversation.dialog.turn))
}

/// Prints a reply; writes its image as `OUT/turn-NNN.png` and returns that path.
pub(crate) fn show_reply(
    reply: &Reply,
    turn: u64,
    out: &Path,
    sink: &mut impl Write,
) -> anyhow::Result<Option<PathBuf>> {
    writeln!(sink, "bot> {}", reply.text)?;
    let mut written = None;
    if let Some(image) = &reply.image {
        let path = out.join(format!("turn-{turn:03}.png"));
        image
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(sink, "     [image] {}", path.display())?;
        written = Some(path);
    }
    if !reply.quick_replies.is_empty() {
        writeln!(sink, "     [quick] {}", reply.quick_replies.join(" | "))?;
    }
    sink.flush()?;
    Ok(written)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output folder {}", args.out.display()))?;
    let db = args.db.clone().unwrap_or_else(|| args.out.join("chat.db"));
    let engine = ProductFaceEngine::load(args.weights.clone(), args.size)?;
    let parser = load_parser(args.language.as_deref())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(chat(args, db, &engine, &parser))
}

async fn chat(
    args: Args,
    db: PathBuf,
    engine: &ProductFaceEngine,
    parser: &LanguageEncoder,
) -> anyhow::Result<()> {
    let store = ConversationStore::open(&db).await?;
    let mut stdout = std::io::stdout().lock();
    let existing = store.load(&args.thread).await?;
    match &existing {
        Some(stored) => {
            writeln!(
                stdout,
                "Continuing conversation {:?} from {} (turn {}).",
                args.thread,
                db.display(),
                stored.conversation.dialog.turn
            )?;
            if args.seed.is_some() || args.image.is_some() {
                writeln!(
                    stdout,
                    "(--seed/--image ignored: the conversation already has a face; \
                     type /seed N or /photo PATH to change it.)"
                )?;
            }
            if let Some(last) = store.turns(&args.thread).await?.last() {
                writeln!(stdout, "bot> {}", last.reply_text)?;
            }
        }
        None => {
            writeln!(
                stdout,
                "New conversation {:?} in {}. Type a message, /seed N, /photo PATH or /quit.",
                args.thread,
                db.display()
            )?;
        }
    }
    if existing.is_none() {
        let first = match (&args.seed, &args.image) {
            (Some(seed), _) => Some(Event::SeedFace(*seed)),
            (None, Some(path)) => Some(Event::PhotoUploaded(
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            )),
            (None, None) => None,
        };
        if let Some(event) = first {
            let (reply, turn) =
                stored_turn(&store, &args.thread, args.talk_seed, &event, engine, parser).await?;
            show_reply(&reply, turn, &args.out, &mut stdout)?;
        }
    }

    let interactive = std::io::stdin().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            write!(stdout, "you> ")?;
            stdout.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let event = match event_from_line(&line) {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(e) => {
                writeln!(stdout, "error: {e:#}")?;
                continue;
            }
        };
        let (reply, turn) =
            stored_turn(&store, &args.thread, args.talk_seed, &event, engine, parser).await?;
        show_reply(&reply, turn, &args.out, &mut stdout)?;
    }
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_events() {
        assert_eq!(
            event_from_line("  /seed 12 ").unwrap(),
            Some(Event::SeedFace(12))
        );
        assert_eq!(event_from_line("/quit").unwrap(), None);
        assert_eq!(
            event_from_line("more bangs pls").unwrap(),
            Some(Event::Text("more bangs pls".into()))
        );
        let err = event_from_line("/seed twelve").unwrap_err();
        assert!(format!("{err:#}").contains("whole number"), "{err:#}");
        let err = event_from_line("/photo /no/such.png").unwrap_err();
        assert!(format!("{err:#}").contains("/no/such.png"), "{err:#}");
        let path = std::env::temp_dir().join(format!("tte-chat-test-{}.bin", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        let event = event_from_line(&format!("/photo {}", path.display()));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(event.unwrap(), Some(Event::PhotoUploaded(b"abc".to_vec())));
    }
}
