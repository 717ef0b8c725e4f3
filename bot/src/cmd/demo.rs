//! `talk-to-edit demo`: a scripted dialog on a bundled face (the generated face of a fixed seed)
//! through the real engine and language encoder, writing each reply's image and a Markdown
//! transcript to the out folder. Edits the engine cannot do yet get the dialog's honest replies.

use crate::cmd::chat::{load_parser, show_reply};
use crate::face_engine::ProductFaceEngine;
use anyhow::Context;
use engine::dialog::{Conversation, Event};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The bundled face: the generator's face for this seed.
pub const DEMO_SEED: u64 = 5;
/// Seed of the talk module's choices in the demo.
pub const DEMO_TALK_SEED: u64 = 7;

/// What the demo user says, in order.
pub const DEMO_SCRIPT: &[&str] = &[
    "hi, what can you do?",
    "give her longer bangs",
    "make her smile a bit more",
    "add thick glasses and make her look older",
    "more",
    "undo",
    "start over",
    "thanks, bye",
];

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the images and transcript.md.
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    out: PathBuf,
    /// Side of the images: 256, 512 or 1024.
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Converted generator weights [default: the model cache's].
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Language encoder weights [default: the committed ones, or $TALK_TO_EDIT_LANGUAGE].
    #[arg(long, value_name = "FILE")]
    language: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output folder {}", args.out.display()))?;
    let engine = ProductFaceEngine::load(args.weights.clone(), args.size)?;
    let parser = load_parser(args.language.as_deref())?;
    let mut conversation = Conversation::new(DEMO_TALK_SEED);
    let mut transcript = format!(
        "# talk-to-edit demo\n\nThe bundled face is the generator's face for seed {DEMO_SEED}.\n\n"
    );
    let mut stdout = std::io::stdout().lock();
    let mut events = vec![(
        format!("(starts from seed {DEMO_SEED})"),
        Event::SeedFace(DEMO_SEED),
    )];
    events.extend(
        DEMO_SCRIPT
            .iter()
            .map(|line| (line.to_string(), Event::Text(line.to_string()))),
    );
    for (said, event) in events {
        use std::io::Write;
        writeln!(stdout, "you> {said}")?;
        let reply = conversation.handle_with_parser(event, &engine, &parser);
        let turn = conversation.dialog.turn;
        let image = show_reply(&reply, turn, &args.out, &mut stdout)?;
        writeln!(transcript, "**you:** {said}\n\n**bot:** {}\n", reply.text)?;
        if let Some(path) = image {
            let name = path.file_name().map(|n| n.to_string_lossy().to_string());
            writeln!(transcript, "![turn {turn}]({})\n", name.unwrap_or_default())?;
        }
        if !reply.quick_replies.is_empty() {
            writeln!(
                transcript,
                "_quick answers: {}_\n",
                reply.quick_replies.join(" · ")
            )?;
        }
    }
    let path = args.out.join("transcript.md");
    std::fs::write(&path, transcript).with_context(|| format!("writing {}", path.display()))?;
    println!("transcript: {}", path.display());
    Ok(())
}
