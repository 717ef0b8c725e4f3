//! The Discord bot (`talk-to-edit serve`), on serenity and tokio. A photo posted in a watched
//! channel opens a thread on that message; the user edits their face by talking in the thread
//! (or with the buttons under each result), through the transport-agnostic dialog core and the
//! product engine. Module layout, as serenity's examples keep handlers thin and state in one
//! typed [`Data`]:
//! - [`config`]: TOML + environment + flags, the hidden token, the limits;
//! - [`handler`]: the gateway's events (messages, button presses, `/forget`), which only check,
//!   store and enqueue;
//! - [`queue`]: the durable job queue, the inference workers and the status message;
//! - [`replies`]: texts, buttons and the result PNG.
//!
//! All state is in the SQLite store (`sql`): conversations, the photo and its paste-back data,
//! queued jobs and the thread -> conversation mapping, so a restarted bot continues.

pub mod config;
pub mod handler;
pub mod queue;
pub mod replies;

use crate::face_engine::ProductFaceEngine;
use anyhow::Context;
use config::Config;
use engine::language::LanguageEncoder;
use serenity::all::{GatewayIntents, HttpBuilder};
use sql::ConversationStore;
use std::sync::Arc;

/// Everything the handlers and workers share.
pub struct Data {
    pub config: Config,
    pub store: ConversationStore,
    pub engine: ProductFaceEngine,
    pub parser: LanguageEncoder,
    pub queue: queue::Scheduler,
    pub rate: queue::RateLimiter,
    /// Downloads attachments (bounded).
    pub downloads: reqwest::Client,
}

/// The conversation key of a Discord thread.
pub fn conversation_key(thread_id: &str) -> String {
    format!("discord:{thread_id}")
}

/// The conversation owner of a Discord user.
pub fn owner_key(user_id: &str) -> String {
    format!("discord:{user_id}")
}

/// The HTTP client of `--api-base` mode (tests only): serenity's requests, still addressed to
/// `https://discord.com` and still through its rate limiter, are tunnelled through the test host
/// as an HTTP proxy, which answers with a throwaway certificate (hence no certificate check; a
/// real Discord is never reached this way). serenity's own proxy option would need its rate
/// limiter off, leaving rate limits untested.
fn test_host_client(base: &str) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .proxy(reqwest::Proxy::all(base).context("--api-base is not a URL")?)
        .danger_accept_invalid_certs(true)
        .build()
        .context("building the test host's client")
}

/// Loads the models and the store, resumes unfinished jobs and runs the bot until it is stopped.
pub async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(dir) = &config.models_dir {
        // Read once by the model store below, before any other thread exists.
        std::env::set_var(models::MODELS_DIR_ENV, dir);
    }
    let store = ConversationStore::open(&config.database)
        .await
        .with_context(|| format!("opening the database {}", config.database.display()))?;
    let limits = config.limits.clone();
    let (engine, parser) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut engine = ProductFaceEngine::load(None, limits.render_size)?;
        if let Some(steps) = limits.refine_steps {
            engine.set_refine_steps(steps);
        }
        let parser = crate::cmd::chat::load_parser(None)?;
        Ok((engine, parser))
    })
    .await??;
    let data = Arc::new(Data {
        queue: queue::Scheduler::new(config.limits.queue_length),
        rate: queue::RateLimiter::new(config.limits.per_user_per_minute),
        downloads: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .context("building the download client")?,
        store,
        engine,
        parser,
        config,
    });

    let mut http = HttpBuilder::new(data.config.token.expose());
    if let Some(base) = &data.config.api_base {
        http = http.client(test_host_client(base)?);
    }
    // serenity's rate limiter waits out rate limits (buckets, 429 and its Retry-After) itself
    // and tells the handler (`Handler::ratelimit`).
    let http = http.build();
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
        .event_handler(handler::Handler::new(data.clone()))
        .await
        .context("setting up the Discord client")?;

    // Jobs a previous run left unfinished go first, in their order.
    let pending = data.store.pending_jobs().await?;
    if !pending.is_empty() {
        tracing::info!(jobs = pending.len(), "resuming unfinished jobs");
    }
    for job in &pending {
        data.queue.resume(job.id, &job.thread_id);
        let channel = job.thread_id.parse::<u64>().unwrap_or(0);
        let message = job
            .status_message_id
            .as_deref()
            .and_then(|m| m.parse().ok());
        if let (true, Some(message)) = (channel != 0, message.filter(|&m: &u64| m != 0)) {
            // Shown: unknown (0), so its place is shown afresh.
            data.queue.set_status(job.id, channel, message, 0);
        }
    }
    tokio::spawn(queue::position_updater(data.clone(), client.http.clone()));
    for index in 0..data.config.limits.workers {
        tokio::spawn(queue::worker(data.clone(), client.http.clone(), index));
    }
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("stopping");
            shards.shutdown_all().await;
        }
    });
    tracing::info!("connecting to Discord");
    client
        .start()
        .await
        .map_err(|e| anyhow::anyhow!("the Discord connection ended: {e}"))
}
