//! Shared helpers of the binary's integration tests: model files and a real photo, fetched first
//! when missing (the tests fail, never skip, without them).

#![allow(dead_code)]

use std::path::PathBuf;

pub use tte_tests::package_file;

/// The generator and the Faceplugin models.
pub fn ensure_models() {
    tte_tests::generator_weights();
    package_file("faceplugin", engine::perception::IDENTITY_MODEL);
}

/// The first photo of the measured CelebA half (felonfinder), with the face models present.
pub fn celeba_photo() -> PathBuf {
    package_file("faceplugin", engine::perception::DETECT_MODEL);
    tte_tests::celeba_training_photos()[0].clone()
}
