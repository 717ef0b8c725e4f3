//! `talk-to-edit parse`: reads a user's sentence (in the context of the system's last feedback)
//! with the trained language encoder and prints the structured request as JSON. `--batch` reads
//! JSON lines `{"text": ..., "context": null | "suggest:ATTR" | "check:ATTR"}` from stdin and
//! prints one JSON object per line, in order; a bad line prints `{"error": ...}`.

use engine::language::{batch, LanguageEncoder};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The system's last feedback: suggest:ATTRIBUTE or check:ATTRIBUTE.
    #[arg(long, value_name = "suggest:ATTR|check:ATTR")]
    context: Option<String>,
    /// Read JSON lines from stdin instead of TEXT.
    #[arg(long, conflicts_with_all = ["text", "context"])]
    batch: bool,
    /// Language encoder weights (default: $TALK_TO_EDIT_LANGUAGE, else the committed ones).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// The message (several words are joined with spaces).
    #[arg(required_unless_present = "batch", num_args = 1..)]
    text: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Check the context before loading anything, so a typo gets its own message.
    let context = batch::parse_context(args.context.as_deref()).map_err(anyhow::Error::msg)?;
    let encoder = match &args.weights {
        Some(path) => LanguageEncoder::load(path)?,
        None => LanguageEncoder::load_default()?,
    };
    if args.batch {
        batch::run(&encoder, std::io::stdin().lock(), std::io::stdout().lock())?;
        return Ok(());
    }
    let text = args.text.join(" ");
    let parsed = encoder.parse(&text, context);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(&parsed)?)?;
    Ok(())
}
