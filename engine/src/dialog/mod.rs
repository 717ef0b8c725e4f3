//! The transport-agnostic dialog core: the paper's finite-state machine and talk module, driven
//! by events and calling the face editor through the narrow [`FaceEngine`] trait. Knows nothing
//! of Discord, SQL or files; every piece of state serialises with serde.
//!
//! - [`face`]: the engine trait, W+ latents, degrees and engine errors.
//! - [`conversation`]: the FSM (start / edit / no-edit / end), undo, start over, help, end,
//!   clarifying questions and the feedback policy.
//! - [`talk`]: the words for each attribute, and the filling of the sentence templates and
//!   synonyms of `engine/data/dialog/talk.toml`.
//! - [`rng`]: the serialisable random generator that makes replies reproducible.

pub mod conversation;
pub mod face;
pub mod rng;
pub mod talk;

pub use conversation::{
    Conversation, DialogState, Event, FaceSource, FaceState, Feedback, HistoryEntry, LastEdit,
    Note, Phase, Reply,
};
pub use face::{
    Degrees, EditOutcome, EngineError, FaceEngine, Latent, LatentError, OtherChange, StopReason,
    W_DIM, W_PLUS_LAYERS, W_PLUS_LEN,
};
pub use rng::DialogRng;
