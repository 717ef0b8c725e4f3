//! Semantic fields and the fine-grained editing loop (paper sections 3-4 and its supplement),
//! plus the InterFaceGAN-style linear baseline that the fields are compared with.
//!
//! - [`network`]: the field network F (8 x linear 512, leaky ReLU 0.2) and its file format.
//! - [`step`]: one step along a field in W or W+ (`M(F(x)) - M(0)` on the first k style
//!   layers), and the [`LatentStepper`] trait.
//! - [`edit`]: the editing loop (step until the predictor reads the target degree, keep the most
//!   confident step per degree, stop when no progress is made) and its serialisable trace.
//! - [`guided`]: the guarded loop the product uses: bisection on the degree reader's continuous
//!   score, steps without the mean-of-W drift, and guards (a face, identity, other attributes).
//! - [`metrics`]: the paper's editing-quality metrics (eq. 12-13, the Fig. 10 direction curve).
//! - [`methods`]: the field and the linear baseline set up alike for comparison (equal step
//!   length, the 1024 px reader, the labelled dataset's held-out faces and their latents).
//! - [`eval`]: the paper's comparison of the two (Table 1, Fig. 10) on held-out faces, resumable
//!   (`talk-to-edit eval`).
//! - [`guided_eval`] and [`guided_eval_run`]: the guarded loop measured on generated faces (the
//!   cases and table; the whole of `talk-to-edit eval-edits` and the files it writes).
//! - [`image_direction`]: directions trained on what the image shows (through the generator's
//!   first blocks, the degree reader and the identity network), one per attribute and way.
//! - [`identity_axes`]: identity up to the edited attribute (the embedding axes an edit of it
//!   moves along, measured on training faces and left out of the identity guard's cosine).
//! - [`linear`]: the linear baseline (one logistic-regression normal per attribute in W).
//! - [`sunglasses`]: the direction from clear glasses to sunglasses (eyeglasses degrees 4-5),
//!   which neither the field nor the linear eyeglasses direction makes.
//! - [`layers`]: the measurement that picks [`DEFAULT_K`], the number of W+ layers an edit moves.
//! - [`surrogate`]: latent surrogates S (attribute degrees) and I (identity) on w, which stand in
//!   for the predictor and the identity encoder while fields are trained on the CPU.
//! - [`train`]: training one field against S and I (balanced sampling, realism substitute).
//! - [`train_fields`]: the whole of `talk-to-edit train fields` (surrogates, the five fields, the
//!   linear baseline, the rendered check) and the layout of the directory it writes.
//! - [`w_prior`]: the mapped latents' distribution as a Gaussian in W (Mahalanobis distance,
//!   its thinnest axes), the prior for keeping codes where the generator makes faces.
//!
//! ## How many W+ layers an edit moves (k)
//!
//! `DEFAULT_K = 13`: an edit moves styles 0..=12 (the 4x4 stage and blocks 0-3, wavelet
//! resolutions up to 64 px, i.e. image structure up to 128 px) and keeps styles 13..=22
//! (blocks 4-6 and `to_img`). Measured with [`layers::measure_layer_splits`] (style mixing with
//! another face, 8 faces, seeds 11..88 step 11, donors seed + 1000, truncation 0.7, renders at
//! 1024 px compared at 256 px; `TTE_FIELD_LAYERS_FULL=1 cargo test --release -p tte-tests
//! --test field_layers -- --nocapture`, 181 s on 2 cores):
//!
//! | j | [0,j) id cos | [0,j) structure | [0,j) colour | [j,23) id cos | [j,23) structure | [j,23) colour |
//! |---|---|---|---|---|---|---|
//! | 4 | 0.628 | 0.772 | 20.6 | 0.325 | 0.700 | 54.1 |
//! | 7 | 0.428 | 0.837 | 25.7 | 0.510 | 0.509 | 41.3 |
//! | 10 | 0.312 | 0.869 | 26.3 | 0.743 | 0.283 | 42.8 |
//! | 11 | 0.264 | 0.878 | 23.6 | 0.792 | 0.233 | 40.6 |
//! | 12 | 0.245 | 0.874 | 26.4 | 0.845 | 0.181 | 42.2 |
//! | 13 | 0.210 | 0.882 | 33.4 | 0.931 | 0.078 | 30.5 |
//! | 14 | 0.203 | 0.888 | 36.5 | 0.956 | 0.065 | 27.7 |
//! | 16 | 0.191 | 0.885 | 42.6 | 0.986 | 0.023 | 20.9 |
//! | 19 | 0.195 | 0.887 | 49.8 | 0.996 | 0.004 | 16.7 |
//!
//! (id cos: identity cosine with the original face; structure: `1 - correlation` of standardised
//! luminance gradients; colour: mean-RGB distance of the central region, 0-255.) Taking layers
//! `[j, 23)` from another face stops moving edges and identity between j = 12 (structure 0.181,
//! id 0.845) and j = 13 (0.078, 0.931): style 12, block 3's second convolution, is the last that
//! shapes the face. Layers 13..=22 from another face still shift the colour by 30.5, over half of
//! the 54.1 that layers 4..=22 shift; a k = 13 edit leaves that colour and lighting fixed, as the paper intends with k = 10 of 18 for StyleGAN2 at
//! 1024 px (its first 10 styles likewise end at the 64-128 px stage). k = 16 would keep
//! identity even better (0.986) but would let edits change more of the colour and lighting
//! (layers 13-15 hold a colour shift of about 10 with little structure), so 13 is the smallest
//! k whose kept layers hold no face shape.
//!
//! Fields are trained by [`train::train_field`] and, with the baseline, by
//! [`train_fields::train_fields`] (`talk-to-edit train fields`; see `models/trained/FIELDS.md`).

pub mod correction;
pub mod edit;
pub mod eval;
pub mod guided;
pub mod guided_eval;
pub mod guided_eval_run;
pub mod identity_axes;
pub mod image_direction;
pub mod image_direction_run;
pub mod layers;
pub mod linear;
pub mod methods;
pub mod metrics;
pub mod network;
pub mod step;
pub mod style_channels;
pub mod style_channels_measured;
pub mod sunglasses;
pub mod surrogate;
pub mod train;
pub mod train_fields;
pub mod w_prior;

pub use correction::Corrector;
pub use edit::{
    edit_until, DegreeReader, EditConfig, EditOutcome, EditStep, EditTrace, GeneratorReader,
    Reading,
};
pub use guided::{
    guided_edit, guided_edit_chain, DriftFreeStepper, FaceJudge, GuardFailure, Guards,
    GuidedConfig, GuidedOutcome, GuidedStep, GuidedTrace, Judgement, JudgementMemory, MemoJudge,
    OffsetJudge, ProjectedStepper, RenderJudge,
};
pub use linear::{LinearDirection, LinearFitConfig, LinearStepper};
pub use network::{FieldConfig, SemanticField};
pub use step::{field_step, mapped_difference, FieldSpace, FieldStepper, LatentStepper};

use std::path::PathBuf;

/// Number of W+ style layers (of 23) a field or linear step moves by default; the rest keep the
/// face's colour and lighting. Chosen by measurement, see the module docs.
pub const DEFAULT_K: usize = 13;

/// Errors of fields, the editing loop and the linear baseline.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("bad field config: {0}")]
    BadConfig(String),
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("field file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error(transparent)]
    Generator(#[from] crate::generator::GeneratorError),
    #[error(transparent)]
    Predictor(#[from] crate::predictor::PredictorError),
    #[error(transparent)]
    Perception(#[from] crate::perception::PerceptionError),
    #[error(transparent)]
    Inversion(#[from] crate::inversion::InversionError),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}
