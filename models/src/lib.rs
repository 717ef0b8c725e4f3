//! # talk-to-edit models
//!
//! Acquisition, checksums, conversion and provenance of every weight file the product uses.
//! - [`openvino`]: reading OpenVINO IR (XML graph + .bin blob) and converting MobileStyleGAN into
//!   safetensors with named tensors.

pub mod openvino;
