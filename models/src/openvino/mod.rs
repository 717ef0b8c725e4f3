//! OpenVINO IR reading ([`ir`]) and the conversion of MobileStyleGAN's IR into safetensors
//! ([`mobile_stylegan`]).

pub mod ir;
pub mod mobile_stylegan;

pub use mobile_stylegan::{convert_mobilestylegan, ConvertError, ConvertSummary};
