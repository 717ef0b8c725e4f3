//! `talk-to-edit serve`: runs the Discord bot (`crate::discord`). Configuration comes from an
//! optional TOML file, the environment (`DISCORD_TOKEN`, `DISCORD_TOKEN_FILE`,
//! `TALK_TO_EDIT_DB`, `TALK_TO_EDIT_CHANNELS`) and these flags.

use crate::discord::config::{Config, Overrides};
use anyhow::Context;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// TOML configuration file (token_file, database, models_dir, channels, [limits]).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// File holding the bot token (instead of $DISCORD_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// SQLite database, created and migrated on start [default: talk-to-edit.db].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Model cache directory [default: $TALK_TO_EDIT_MODELS or the user cache].
    #[arg(long, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Watch only this channel id for photos (repeatable) [default: every readable channel].
    #[arg(long = "channel", value_name = "ID")]
    channels: Vec<u64>,
    /// Inference workers.
    #[arg(long)]
    workers: Option<usize>,
    /// Most jobs waiting or running.
    #[arg(long)]
    queue_length: Option<usize>,
    /// Send REST, gateway discovery and attachment downloads to this host instead of Discord
    /// (tests only).
    #[arg(long, value_name = "URL", hide = true)]
    api_base: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::resolve(
        Overrides {
            config_file: args.config,
            token_file: args.token_file,
            database: args.db,
            models_dir: args.models_dir,
            channels: args.channels,
            workers: args.workers,
            queue_length: args.queue_length,
            api_base: args.api_base,
        },
        |key| std::env::var(key).ok(),
    )?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(crate::discord::run(config))
}
