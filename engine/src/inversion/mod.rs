//! GAN inversion of real photos into the generator's W+ space, and the way back into the photo.
//!
//! - `encoder`: a learned encoder, aligned face -> W+ (trained on generated pairs).
//! - [`encoder_pipeline`]: `train encoder` and `train encoder-pairs` as library calls (data,
//!   training, output-scale tuning, measurements).
//! - [`eval`]: `eval-inversion`'s measurements on real photos (identity cosine, time, edit
//!   reach on the inverted faces) as a library call.
//! - [`refine`]: a short optimisation of that code through the synthesis network (reduced
//!   resolution, pixel + prior terms), so the render looks like the photo while the code stays
//!   where the semantic fields were trained.
//!
//! - [`face_warp`]: where the photo's features sit against the inverted render's, so the
//!   transfer lays an edit's change on the photo's own mouth and eyes.
//! - [`transfer`]: an edit of the inverted face carried back into the user's photo: only what
//!   the edit changed in the render is added to the photo's own pixels.
//! - [`photo_judge`]: the editing loop's judge for photos: each code read on the photo it makes.

pub mod encoder;
pub mod encoder_pipeline;
pub mod eval;
pub mod face_warp;
pub mod invert;
pub mod photo_eval;
pub mod photo_judge;
pub mod pivotal;
pub mod refine;
pub mod train_encoder;
pub mod transfer;

pub use encoder::{EncoderInput, InversionEncoder};

use thiserror::Error;

/// Errors of inversion.
#[derive(Debug, Error)]
pub enum InversionError {
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("bad input: {0}")]
    BadInput(String),
    #[error(transparent)]
    Perception(#[from] crate::perception::PerceptionError),
    #[error(transparent)]
    Generator(#[from] crate::generator::GeneratorError),
    /// The people-only gate ([`crate::perception::human`]) refused the face found.
    #[error(
        "the face found does not look like a person's ({0}); only photos of people can be edited"
    )]
    NotHuman(String),
    #[error("encoder weights not found at {0} (they are committed under models/trained/)")]
    MissingWeights(std::path::PathBuf),
}
