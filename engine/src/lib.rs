//! # talk-to-edit engine
//!
//! Everything that turns numbers into faces and words into edits, with no knowledge of Discord
//! or SQL:
//! - [`generator`]: MobileStyleGAN (mapping + synthesis networks) in candle, with fast CPU kernels.
//! - [`attributes`]: the five editable attributes and their six degrees (paper, supplement A2-A6).
//! - [`language`]: the language encoder that turns a user's sentence into a structured request.
//! - [`dialog`]: the transport-agnostic dialog core (FSM, talk module, conversation driver).
//! - [`npy`]: reading and writing latents as `.npy` files.
//! - [`perception`]: face detection, 68 landmarks, FFHQ-style alignment of photos and identity
//!   embeddings (Faceplugin ONNX models run by candle-onnx).
//! - [`predictor`]: the attribute predictors P and P' (aligned face to five 6-degree heads) and
//!   their training.
//! - [`field`]: semantic fields (W / W+ steps), the fine-grained editing loop and the linear
//!   (InterFaceGAN-style) baseline.
//! - [`inversion`]: real photos into W+ (learned encoder + refinement through the generator).
//! - [`optim`]: the Adam optimiser without weight decay that the latent-space trainings share.
//! - [`files`]: errors naming the file they happened to.
//! - [`jsonl`]: the JSON-lines (and sharded JSON-lines) files the labelling commands write.

pub mod attributes;
pub mod dialog;
pub mod field;
pub mod files;
pub mod generator;
pub mod inversion;
pub mod jsonl;
pub mod language;
pub mod npy;
pub mod optim;
pub mod perception;
pub mod predictor;
mod tagged_file;

pub use attributes::Attribute;
