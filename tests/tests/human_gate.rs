//! The people-only gate (`engine::perception::human`) on real models: every committed non-human
//! picture whose "face" the detector finds (a cat, a raccoon, drawings, a fundus photo, a
//! phantom) is refused, the inverter refuses the cat with `NotHuman` before any inversion, and
//! human faces (generated ones at two sizes, the measured CelebA photos) are accepted.

mod perception_support;

use candle_core::Device;
use engine::generator::Generator;
use engine::inversion::invert::{InvertConfig, Inverter, ALIGNED_SIDE};
use engine::inversion::{InversionEncoder, InversionError};
use engine::perception::human::HumanGate;
use engine::perception::load_photo;
use std::path::PathBuf;

fn non_human_fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/non_human");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_non_human_fixture_is_found_by_the_detector_and_refused_by_the_gate() {
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    let gate = HumanGate::bundled().unwrap();
    let files = non_human_fixtures();
    assert!(files.len() >= 7, "{files:?}");
    for path in &files {
        let photo = load_photo(path).unwrap();
        // The fixtures are the hard cases: the detector does take each for a face.
        let aligned = perception
            .align(&photo, ALIGNED_SIDE)
            .unwrap_or_else(|e| panic!("{}: the detector should find a face: {e}", path.display()));
        let verdict = gate.check(&aligned, &perception, &identity).unwrap();
        assert!(
            !verdict.is_human(),
            "{} was accepted as a human face: {:?}",
            path.display(),
            verdict.features
        );
        assert!(!verdict.failed.is_empty());
    }
}

#[test]
fn the_inverter_refuses_a_cat_before_inverting_it() {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    let encoder_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/trained/encoder.safetensors");
    let encoder = InversionEncoder::load(&encoder_path, generator.device()).unwrap();
    let inverter = Inverter {
        generator: &generator,
        perception: &perception,
        identity: &identity,
        encoder: &encoder,
        config: InvertConfig::default(),
    };
    let cat = load_photo(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/non_human/cat_chelsea.jpg"),
    )
    .unwrap();
    let mut progress = Vec::new();
    let err = inverter
        .invert(&cat, &mut |p| progress.push(p.fraction()))
        .unwrap_err();
    assert!(matches!(err, InversionError::NotHuman(_)), "{err}");
    assert!(
        err.to_string()
            .contains("only photos of people can be edited"),
        "{err}"
    );
    assert!(progress.is_empty(), "nothing was inverted: {progress:?}");
}

#[test]
fn generated_faces_are_accepted_large_and_small() {
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    let gate = HumanGate::bundled().unwrap();
    // Seeds apart from the ones the reference was fitted on (200000..200160).
    let seeds: Vec<u64> = (400_000..400_008).collect();
    for (seed, face) in seeds
        .iter()
        .zip(perception_support::generated_faces(&seeds))
    {
        let small = image::imageops::resize(&face, 256, 256, image::imageops::FilterType::Triangle);
        for (size, picture) in [(1024, &face), (256, &small)] {
            let aligned = perception.align(picture, ALIGNED_SIDE).unwrap();
            let verdict = gate.check(&aligned, &perception, &identity).unwrap();
            assert!(
                verdict.is_human(),
                "seed {seed} at {size} px refused: {:?}",
                verdict.failed
            );
        }
    }
}

#[test]
fn measured_celeba_photos_are_accepted() {
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    let gate = HumanGate::bundled().unwrap();
    let (mut found, mut refused) = (0, Vec::new());
    // Every 2nd photo of the measured half (125); `talk-to-edit human-gate eval --celeba`
    // measures all 250 (models/trained/HUMAN_GATE.md).
    for path in perception_support::celeba_training_photos()
        .iter()
        .step_by(2)
    {
        let photo = load_photo(path).unwrap();
        let Ok(aligned) = perception.align(&photo, ALIGNED_SIDE) else {
            continue;
        };
        found += 1;
        let verdict = gate.check(&aligned, &perception, &identity).unwrap();
        if !verdict.is_human() {
            refused.push((path.file_name().unwrap().to_owned(), verdict.failed));
        }
    }
    assert!(found >= 120, "faces found in {found} of 125 photos");
    // Measured on all 250: 2 refused (000167, hair over the eyes; 000224, looking down; see
    // models/trained/HUMAN_GATE.md). At most 1 in 100 may be.
    assert!(
        refused.len() <= found / 100,
        "{} of {found} refused: {refused:?}",
        refused.len()
    );
}
