//! One module per subcommand.

pub mod align;
pub mod bench;
pub mod chat;
pub mod demo;
pub mod edit;
pub mod eval;
pub mod eval_edits;
pub mod eval_inversion;
pub mod eval_photos;
pub mod human_gate;
pub mod invert;
pub mod label;
pub mod models;
pub mod parse;
pub mod predict;
pub mod predictor_real_eval;
pub mod render;
pub mod serve;
pub mod train;
pub mod train_encoder;
pub mod train_fields;
pub mod train_image_directions;
pub mod train_predictor;
pub mod train_reader;
pub mod train_style_channels;
pub mod train_sunglasses;
