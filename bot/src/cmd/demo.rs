//! `talk-to-edit demo`: a scripted dialog on a bundled face (the generated face of a fixed seed)
//! through the real engine and language encoder, writing each reply's image and a Markdown
//! transcript to the out folder. Edits the engine cannot do yet get the dialog's honest replies.

use crate::cmd::chat::{load_parser, show_reply};
use crate::face_engine::ProductFaceEngine;
use anyhow::Context;
use engine::dialog::{Conversation, Event};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The bundled face: the generator's face for this seed (a young man without glasses, beard or
/// bangs, so that every attribute has room to change).
pub const DEMO_SEED: u64 = 12;
/// Side of each image in `sheet.png`.
const SHEET_SIDE: u32 = 192;

/// Seed of the talk module's choices in the demo.
pub const DEMO_TALK_SEED: u64 = 7;

/// What the demo user says, in order.
pub const DEMO_SCRIPT: &[&str] = &[
    "hi, what can you do?",
    "give him longer bangs",
    "make him smile a bit more",
    "add glasses",
    "give him a light beard",
    "make him look older",
    "more",
    "undo",
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
    let mut sheet: Vec<image::RgbImage> = Vec::new();
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
        if let Some(img) = &reply.image {
            sheet.push(image::imageops::resize(
                img,
                SHEET_SIDE,
                SHEET_SIDE,
                image::imageops::FilterType::Triangle,
            ));
        }
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
    // Every reply's image in one row, to see the whole dialog at a glance.
    let mut row = image::RgbImage::from_pixel(
        (SHEET_SIDE + 4) * sheet.len().max(1) as u32,
        SHEET_SIDE,
        image::Rgb([255; 3]),
    );
    for (i, img) in sheet.iter().enumerate() {
        image::imageops::overlay(&mut row, img, (i as u32 * (SHEET_SIDE + 4)) as i64, 0);
    }
    row.save(args.out.join("sheet.png"))?;
    let path = args.out.join("transcript.md");
    std::fs::write(&path, transcript).with_context(|| format!("writing {}", path.display()))?;
    println!("transcript: {}", path.display());
    Ok(())
}
