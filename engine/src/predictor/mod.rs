//! The attribute predictors: the paper's P (which reads the degree of every attribute of an
//! aligned face, to decide when an edit is done and to supervise the semantic fields) and P'
//! (a differently built second predictor used only to score attribute preservation).
//!
//! - [`network`]: the patchify network, its config, image-to-tensor helpers, predictions and the
//!   one-file save format.
//! - [`reader`]: the degree reader, continuous monotone scores per attribute regressed from
//!   the teachers' measures, degrees cut from them and "not applicable" answers.
//! - [`reader_train`]: the reader's training; [`reader_pipeline`]: all of `train reader`
//!   (labelled paths, training, the held-out and CelebA measurements, the report).
//! - [`train`]: balanced minibatch sampling, augmentation, masked cross-entropy training with
//!   AdamW and evaluation (accuracies and confusion matrices); [`train_pipeline`]: all of
//!   `train predictor` (labels, P or P' training, the held-out report).

pub mod network;
pub mod reader;
pub mod reader_pipeline;
pub mod reader_train;
pub mod train;
pub mod train_pipeline;

pub use network::{
    image_tensor, image_tensor_refs, softmax, AttributePredictor, Prediction, PredictorConfig,
    NUM_HEADS,
};
pub use reader::{
    AttributeScore, DegreeReader, FaceReading, Measure, NotApplicable, ScoreRules, MEASURES,
    MEASURES_BEFORE_PRESENCE, NUM_MEASURES,
};
pub use train::{
    augment, evaluate, masked_cross_entropy, train, AttributeEval, AugmentConfig, BalancedSampler,
    EvalReport, TrainConfig, TrainProgress, TrainSample, UNKNOWN_DEGREE,
};

use std::path::PathBuf;

/// Errors of building, running, training and saving predictors.
#[derive(Debug, thiserror::Error)]
pub enum PredictorError {
    #[error("bad predictor config: {0}")]
    BadConfig(String),
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("predictor file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("no training labels: {0}")]
    NoLabels(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}
