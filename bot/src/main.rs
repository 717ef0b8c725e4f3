//! `talk-to-edit`: the command-line front of the project. Each subcommand lives in its own file
//! under `cmd/`; this file only parses arguments and dispatches.

mod cmd;
mod discord;
mod face_engine;
mod figures;
mod loading;
mod photo_eval;
mod photo_session;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "talk-to-edit",
    version,
    about = "Edit faces by talking to them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch, verify, convert and list the model weights.
    Models(cmd::models::Args),
    /// Render a face from a latent (z or w, .npy) or a seed.
    Render(cmd::render::Args),
    /// Find the largest face in a photo, crop it FFHQ-style and print the transform (JSON).
    Align(cmd::align::Args),
    /// Benchmarks that print candle timings beside a reference run.
    Bench(cmd::bench::Args),
    /// Parse a user's sentence into a structured request (JSON).
    Parse(cmd::parse::Args),
    /// Chat with a face in the terminal.
    Chat(cmd::chat::Args),
    /// A scripted dialog on a bundled face, writing the images.
    Demo(cmd::demo::Args),
    /// Predict the 6-degree attributes of faces in photos (JSON lines).
    Predict(cmd::predict::Args),
    /// Run the teacher networks on generated faces (labels for the attribute predictor).
    Label(cmd::label::Args),
    /// Edit one face's attribute along its semantic field (or the linear baseline), writing one
    /// PNG per step and summary.json.
    Edit(cmd::edit::Args),
    /// Compare the semantic fields with the linear baseline on held-out faces (the paper's
    /// identity and attribute preservation, reach, steps and Fig. 10), writing eval.md,
    /// eval.json and fig10.png.
    Eval(cmd::eval::Args),
    /// Invert a photo's face into the generator's W+ space (encoder + refinement), writing the
    /// code (.npy) and its render.
    Invert(cmd::invert::Args),
    /// Measure inversion on real photos (identity cosine, time, edit reach), writing
    /// inversion.md.
    EvalInversion(cmd::eval_inversion::Args),
    /// Measure the guarded editing loop on generated faces (every attribute, both directions),
    /// writing edits.md and contact sheets.
    EvalEdits(cmd::eval_edits::Args),
    /// Real photos through the product engine: inversion, +1/-1 edits carried back into the photo (issue 13)
    EvalPhotos(cmd::eval_photos::Args),
    /// Fit and measure the people-only gate (is the face found a human's?).
    HumanGate(cmd::human_gate::Args),
    /// Train the project's own models (language encoder, ...).
    Train(cmd::train::Args),
    /// Run the Discord bot (token from $DISCORD_TOKEN or --token-file).
    Serve(cmd::serve::Args),
}

/// Tells glibc's allocator to keep freed memory for reuse. Inversion and edits allocate and drop
/// tensors of several megabytes at every step; by default each is a fresh mapping that is
/// unmapped when dropped (page faults, zeroing, TLB shootdowns), which cost about a fifth of an
/// upload's time on 2 cores (`bench upload`). Peak memory is unchanged: the same tensors are
/// alive at once, they are only not handed back to the kernel between steps.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

fn main() -> anyhow::Result<()> {
    keep_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Models(args) => cmd::models::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Align(args) => cmd::align::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Parse(args) => cmd::parse::run(args),
        Command::Chat(args) => cmd::chat::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Label(args) => cmd::label::run(args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Train(args) => cmd::train::run(args),
        Command::Edit(args) => cmd::edit::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Invert(args) => cmd::invert::run(args),
        Command::EvalInversion(args) => cmd::eval_inversion::run(args),
        Command::EvalEdits(args) => cmd::eval_edits::run(args),
        Command::EvalPhotos(args) => cmd::eval_photos::run(args),
        Command::HumanGate(args) => cmd::human_gate::run(args),
        Command::Serve(args) => cmd::serve::run(args),
    }
}
