//! The bot's configuration: an optional TOML file, then the environment, then the command line
//! (each overriding the one before). The token is a [`Token`], whose `Debug` and `Display` never
//! show it, so it cannot reach a log line or an error message.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where to get a token, said whenever none is found.
pub const TOKEN_HELP: &str = "no Discord bot token: create an application at \
https://discord.com/developers/applications, add a bot to it, copy its token (Bot -> Reset \
Token), then either `export DISCORD_TOKEN=...` or put the token alone in a file and pass \
`--token-file FILE` (or `token_file = \"FILE\"` in the config file). README.md, \"Run it in \
your Discord server\", walks through it.";

/// A bot token. It is printed as `Token(<hidden>)`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Checks the shape (non-empty, no spaces); the value is never part of the error.
    pub fn new(value: &str) -> anyhow::Result<Token> {
        let value = value.trim();
        let value = value.strip_prefix("Bot ").unwrap_or(value).trim();
        if value.is_empty() {
            anyhow::bail!("{TOKEN_HELP}");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            anyhow::bail!("the Discord token contains spaces or control characters; copy it again");
        }
        Ok(Token(value.to_string()))
    }

    /// The secret itself, for the Discord client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden token>")
    }
}

/// Limits on what users can make the bot do.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Jobs waiting or running, over all threads; more are refused with "please wait".
    pub queue_length: usize,
    /// Inference workers (each runs one job at a time, off the async runtime).
    pub workers: usize,
    /// Requests (photos, messages, button presses) a user may make per minute.
    pub per_user_per_minute: usize,
    /// Largest upload accepted, in bytes (Discord's reported size is checked before download).
    pub max_upload_bytes: u64,
    /// Refinement steps of photo inversion (fewer: faster and less alike; tests use few).
    pub refine_steps: Option<usize>,
    /// Side of the generator's renders: 256, 512 or 1024.
    pub render_size: u32,
    /// Longest side of the result images sent back.
    pub max_result_side: u32,
    /// Shortest time between two edits of one status message, in milliseconds.
    pub status_edit_interval_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue_length: 32,
            workers: 1,
            per_user_per_minute: 10,
            max_upload_bytes: 10 * 1024 * 1024,
            refine_steps: None,
            render_size: 512,
            max_result_side: 1600,
            status_edit_interval_ms: 1500,
        }
    }
}

/// The TOML file (every key optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub token_file: Option<PathBuf>,
    pub database: Option<PathBuf>,
    pub models_dir: Option<PathBuf>,
    /// Channel ids to watch; empty: every channel the bot can read.
    pub channels: Vec<u64>,
    pub limits: Limits,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Token,
    pub database: PathBuf,
    pub models_dir: Option<PathBuf>,
    pub channels: Vec<u64>,
    pub limits: Limits,
    /// Another host for REST, gateway discovery and attachment downloads (tests only).
    pub api_base: Option<String>,
}

/// What the command line gives (all optional).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
    pub database: Option<PathBuf>,
    pub models_dir: Option<PathBuf>,
    pub channels: Vec<u64>,
    pub workers: Option<usize>,
    pub queue_length: Option<usize>,
    pub api_base: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }
}

fn read_token_file(path: &Path) -> anyhow::Result<Token> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the token file {}: {e}", path.display()))?;
    Token::new(&text).map_err(|e| anyhow::anyhow!("token file {}: {e}", path.display()))
}

impl Config {
    /// Resolves the configuration; `env` looks up environment variables.
    pub fn resolve(
        overrides: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let file = match &overrides.config_file {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let token_file = overrides
            .token_file
            .clone()
            .or_else(|| env("DISCORD_TOKEN_FILE").map(PathBuf::from))
            .or(file.token_file.clone());
        let token = match (token_file, env("DISCORD_TOKEN")) {
            (Some(path), _) => read_token_file(&path)?,
            (None, Some(value)) => Token::new(&value)?,
            (None, None) => anyhow::bail!("{TOKEN_HELP}"),
        };
        let mut limits = file.limits.clone();
        if let Some(w) = overrides.workers {
            limits.workers = w;
        }
        if let Some(q) = overrides.queue_length {
            limits.queue_length = q;
        }
        if limits.workers == 0 || limits.queue_length == 0 {
            anyhow::bail!("workers and queue_length must be at least 1");
        }
        if ![256, 512, 1024].contains(&limits.render_size) {
            anyhow::bail!("render_size must be 256, 512 or 1024");
        }
        let channels = if overrides.channels.is_empty() {
            match env("TALK_TO_EDIT_CHANNELS") {
                Some(list) => list
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| {
                        s.trim().parse::<u64>().map_err(|_| {
                            anyhow::anyhow!("TALK_TO_EDIT_CHANNELS: {s:?} is not a channel id")
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
                None => file.channels.clone(),
            }
        } else {
            overrides.channels.clone()
        };
        Ok(Config {
            token,
            database: overrides
                .database
                .or_else(|| env("TALK_TO_EDIT_DB").map(PathBuf::from))
                .or(file.database)
                .unwrap_or_else(|| PathBuf::from("talk-to-edit.db")),
            models_dir: overrides.models_dir.or(file.models_dir),
            channels,
            limits,
            api_base: overrides
                .api_base
                .map(|base| base.trim_end_matches('/').to_string()),
        })
    }

    /// Whether the bot answers photos posted in `channel`.
    pub fn watches(&self, channel: u64) -> bool {
        self.channels.is_empty() || self.channels.contains(&channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_and_its_absence_says_what_to_do() {
        let env = |k: &str| (k == "DISCORD_TOKEN").then(|| "MTIz.secret-value.xyz".to_string());
        let config = Config::resolve(Overrides::default(), env).unwrap();
        assert_eq!(config.token.expose(), "MTIz.secret-value.xyz");
        let shown = format!("{config:?} {}", config.token);
        assert!(!shown.contains("secret-value"), "{shown}");
        let err = Config::resolve(Overrides::default(), |_| None).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("DISCORD_TOKEN") && text.contains("developers"),
            "{text}"
        );
        assert!(Token::new("  ").is_err());
        assert!(Token::new("a b").is_err());
        assert_eq!(Token::new("Bot abc\n").unwrap().expose(), "abc");
    }

    #[test]
    fn file_env_and_flags_layer() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "from-file\n").unwrap();
        let file = dir.path().join("bot.toml");
        std::fs::write(
            &file,
            format!(
                "token_file = {:?}\ndatabase = \"a.db\"\nchannels = [1, 2]\n\
                 [limits]\nworkers = 3\nmax_upload_bytes = 1000\n",
                token.display().to_string()
            ),
        )
        .unwrap();
        let config = Config::resolve(
            Overrides {
                config_file: Some(file.clone()),
                queue_length: Some(5),
                ..Default::default()
            },
            |k| (k == "DISCORD_TOKEN").then(|| "ignored-when-a-file-is-named".into()),
        )
        .unwrap();
        assert_eq!(config.token.expose(), "from-file");
        assert_eq!(config.database, PathBuf::from("a.db"));
        assert_eq!(config.limits.workers, 3);
        assert_eq!(config.limits.queue_length, 5);
        assert_eq!(config.limits.max_upload_bytes, 1000);
        assert!(config.watches(2) && !config.watches(3));
        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        let err = Config::resolve(
            Overrides {
                config_file: Some(file),
                ..Default::default()
            },
            |_| Some("t".into()),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("no_such_key"), "{err:#}");
    }
}
