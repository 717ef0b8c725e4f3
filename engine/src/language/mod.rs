//! The language encoder: turns a user's sentence (and the system's last feedback, its context)
//! into a structured [`ParsedRequest`].
//!
//! The types here are the contract between the encoder and the dialog core; the JSON form of
//! [`ParsedRequest`] is what `talk-to-edit parse` prints.

pub mod batch;
pub mod clause;
pub mod corpus;
pub mod encoder;
pub mod normalize;
pub mod parser;
pub mod rules;
pub mod speed;
pub mod train;
pub mod vocab;

pub use parser::{
    committed_weights_path, default_weights_path, LanguageEncoder, LanguageError, ParseOptions,
    RequestParser, ScoredRequest, CONFIDENCE_THRESHOLD, TRAIN_COMMAND, WEIGHTS_ENV,
};

use crate::attributes::Attribute;

/// What the dialog does with an edit whose read degree lies against the way its words say, given
/// the face's current degree ([`rules::against_current`]); chosen by measuring every policy on
/// every natural set (models/trained/LANGUAGE.md, issue 14 round 7).
pub const AGAINST_CURRENT: rules::CurrentCheck = rules::CurrentCheck {
    action: rules::AgainstCurrent::Step,
    having: false,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the user wants overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    Edit,
    Yes,
    No,
    Undo,
    Restart,
    End,
    Help,
    Unknown,
    /// "hi", "hello there": a greeting, answered with a hint.
    Greet,
    /// "thanks", "cheers": answered briefly; after a check it also means satisfied.
    Thanks,
    /// A question about the face or the conversation, answered from the dialog state and never
    /// executed as an edit.
    Ask(Question),
}

/// What a question about the face or the conversation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "attribute")]
pub enum Question {
    /// "What did you change so far?"
    History,
    /// "How big is the smile now?" (`None`: every attribute).
    Degree(Option<Attribute>),
    /// "What does degree 3 mean?" (`None`: the scale in general).
    Meaning(Option<Attribute>),
}

/// How an edit is specified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditKind {
    /// An absolute degree ("give him a full beard").
    Target,
    /// A change by a number of degrees ("a bit more smile").
    Relative,
    /// A direction only ("more bangs", or "yes" to a suggestion: direction may then be unknown).
    Direction,
    /// The attribute is clear but the way to go is not (the words and the encoder disagree, or
    /// the encoder is unsure): the dialog asks ("Do you want the beard fuller or removed?").
    Unclear,
}

/// Which way an attribute should move. For `age`, `Increase` means older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    /// The other way.
    pub fn opposite(self) -> Direction {
        match self {
            Direction::Increase => Direction::Decrease,
            Direction::Decrease => Direction::Increase,
        }
    }
}

/// One requested change of one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditRequest {
    pub attribute: Attribute,
    pub kind: EditKind,
    pub direction: Option<Direction>,
    /// Target degree 0..=5 when `kind` is `Target`.
    pub target: Option<u8>,
    /// Number of degrees 1..=5 when `kind` is `Relative`.
    pub change: Option<u8>,
}

/// The encoder's reading of one user message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedRequest {
    pub intent: Intent,
    /// Empty unless `intent` is `Edit`.
    pub edits: Vec<EditRequest>,
}

/// The system's last feedback, which changes what a reply means ("yes" after a suggestion is an
/// edit; "yes" after a check means satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "attribute")]
pub enum SystemContext {
    /// "Do you want to try bangs?"
    Suggest(Attribute),
    /// "Are the bangs right now?"
    Check(Attribute),
}

impl fmt::Display for SystemContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SystemContext::Suggest(a) => write!(f, "suggest:{a}"),
            SystemContext::Check(a) => write!(f, "check:{a}"),
        }
    }
}

/// Error for a malformed context string.
#[derive(Debug, thiserror::Error)]
#[error("bad context {0:?}: expected suggest:ATTRIBUTE or check:ATTRIBUTE")]
pub struct BadContext(pub String);

impl FromStr for SystemContext {
    type Err = BadContext;
    /// Parses `suggest:bangs` or `check:smiling`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, attr) = s.split_once(':').ok_or_else(|| BadContext(s.to_string()))?;
        let attr: Attribute = attr.parse().map_err(|_| BadContext(s.to_string()))?;
        match kind.trim().to_ascii_lowercase().as_str() {
            "suggest" => Ok(SystemContext::Suggest(attr)),
            "check" => Ok(SystemContext::Check(attr)),
            _ => Err(BadContext(s.to_string())),
        }
    }
}
