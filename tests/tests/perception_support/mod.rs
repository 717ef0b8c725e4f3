//! Shared set-up of the perception tests: the Faceplugin model files (fetched with npm when
//! missing; the tests fail rather than skip without them) and generated faces.

#![allow(dead_code)]

use candle_core::Device;
use engine::generator::Generator;
use engine::perception::{
    FacePerception, IdentityEncoder, DETECT_MODEL, IDENTITY_MODEL, LANDMARK_MODEL,
};
use image::RgbImage;
use std::path::PathBuf;

/// Path of a Faceplugin model file, fetching the package first if needed.
pub fn faceplugin_file(path: &str) -> PathBuf {
    let store = models::ModelStore::open_default().expect("model store");
    if let Ok(p) = store.file("faceplugin", path) {
        return p;
    }
    models::fetch(
        &store,
        &["faceplugin".to_string()],
        models::Progress::Hidden,
    )
    .unwrap_or_else(|e| panic!("fetching faceplugin failed: {e}"));
    store
        .file("faceplugin", path)
        .unwrap_or_else(|e| panic!("{path} still missing after fetch: {e}"))
}

pub fn identity_encoder() -> IdentityEncoder {
    IdentityEncoder::load(&faceplugin_file(IDENTITY_MODEL)).unwrap()
}

pub fn face_perception() -> FacePerception {
    FacePerception::load_files(
        &faceplugin_file(DETECT_MODEL),
        &faceplugin_file(LANDMARK_MODEL),
    )
    .unwrap()
}

/// Generated faces (1024x1024, FFHQ-aligned) for `seeds`, truncation 0.7.
pub fn generated_faces(seeds: &[u64]) -> Vec<RgbImage> {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    seeds
        .iter()
        .map(|&seed| {
            let w = generator.w_from_seed(seed).unwrap();
            let w = generator.truncate(&w, 0.7).unwrap();
            generator.render(&w, 1024).unwrap()
        })
        .collect()
}

#[allow(unused_imports)]
pub use tte_tests::{celeba_training_photos, package_file};
