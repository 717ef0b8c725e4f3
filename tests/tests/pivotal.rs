//! Pivotal tuning on the real generator (`engine::inversion::pivotal`): tuning the first blocks to
//! a face its code renders poorly brings the render of that code closer to the face, leaves a
//! far-away code's render almost as it was (the locality term), touches only the tuned weights,
//! and a generator cannot be built with weights that do not fit it.

mod perception_support;

use candle_core::{Device, Tensor};
use engine::generator::Generator;
use engine::inversion::pivotal::{is_tuned, pivotal_tune, PivotalConfig};
use engine::inversion::refine::face_mask;
use image::imageops::FilterType;
use image::RgbImage;
use std::collections::HashMap;

/// Mean squared difference (levels²) of two images inside `mask` (both at the mask's side).
fn masked_error(a: &RgbImage, b: &RgbImage, mask: &[f32]) -> f64 {
    let (mut sum, mut total) = (0f64, 0f64);
    for ((pa, pb), m) in a.pixels().zip(b.pixels()).zip(mask) {
        for k in 0..3 {
            let d = pa.0[k] as f64 - pb.0[k] as f64;
            sum += *m as f64 * d * d;
        }
        total += 3.0 * *m as f64;
    }
    sum / total.max(1e-9)
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    engine::generator::psnr_and_max(a, b).0
}

#[test]
fn tuning_brings_the_pivot_closer_and_keeps_other_faces() {
    let device = Device::Cpu;
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let perception = perception_support::face_perception();
    // A held-out generated face, and a pivot that renders it poorly: its code pulled halfway to
    // the average face.
    let w = generator.w_from_seed(100030).unwrap();
    let face = generator.render(&w, 1024).unwrap();
    let pivot = generator
        .w_plus(&generator.truncate(&w, 0.5).unwrap())
        .unwrap();
    let aligned = perception.align(&face, 256).unwrap();
    let mask = face_mask(&aligned.crop_landmarks(), 256, 0.03).unwrap();
    let config = PivotalConfig {
        steps: 8,
        ..PivotalConfig::default()
    };
    let mut seen = Vec::new();
    let tuning = pivotal_tune(
        &generator,
        &aligned.crop,
        &mask,
        &pivot,
        &config,
        &mut |step, _| seen.push(step),
    )
    .unwrap();
    assert_eq!(seen, (1..=8).collect::<Vec<_>>(), "progress every step");
    assert!(
        tuning.summary.last_loss < 0.8 * tuning.summary.first_loss,
        "pixel loss {} -> {}",
        tuning.summary.first_loss,
        tuning.summary.last_loss
    );
    // Only the stem's and the first blocks' weights are tuned, each of them moved.
    assert!(tuning.weights.len() > 20, "{} tuned", tuning.weights.len());
    for (name, tuned) in &tuning.weights {
        assert!(is_tuned(name, config.feature_blocks), "{name}");
        let before = &generator.tensors()[name];
        let moved = engine::generator::max_abs_diff(tuned, before).unwrap();
        assert!(moved > 0.0, "{name} did not move");
    }
    let tuned = generator.with_replaced(&tuning.weights).unwrap();

    // The pivot's render (the aligned face's frame: generated faces are aligned already) is
    // closer to the face inside the mask.
    let small = |img: &RgbImage| image::imageops::resize(img, 256, 256, FilterType::Triangle);
    let target = small(&face);
    let before = small(&generator.render(&pivot, 1024).unwrap());
    let after = small(&tuned.render(&pivot, 1024).unwrap());
    let (e_before, e_after) = (
        masked_error(&before, &target, &mask),
        masked_error(&after, &target, &mask),
    );
    assert!(
        e_after < 0.85 * e_before,
        "pivot's error inside the face {e_before:.1} -> {e_after:.1}"
    );
    // Another person's face renders almost as before; the pivot's own render moved more.
    let other = generator
        .w_plus(
            &generator
                .truncate(&generator.w_from_seed(100050).unwrap(), 0.7)
                .unwrap(),
        )
        .unwrap();
    let other_psnr = psnr(
        &generator.render(&other, 256).unwrap(),
        &tuned.render(&other, 256).unwrap(),
    );
    let pivot_psnr = psnr(&before, &after);
    eprintln!(
        "loss {:.4} -> {:.4}; pivot error {e_before:.1} -> {e_after:.1}; \
         another face {other_psnr:.1} dB, the pivot {pivot_psnr:.1} dB",
        tuning.summary.first_loss, tuning.summary.last_loss
    );
    assert!(
        other_psnr > 24.0 && other_psnr > pivot_psnr,
        "another face {other_psnr:.1} dB, the pivot {pivot_psnr:.1} dB"
    );
}

#[test]
fn replaced_weights_must_fit_the_generator() {
    let device = Device::Cpu;
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let name = "synthesis.layers.0.conv1.bias";
    let bias = &generator.tensors()[name];
    // A replaced weight changes the render; the original generator is untouched.
    let code = generator.w_from_seed(7).unwrap();
    let shifted = HashMap::from([(name.to_string(), (bias + 0.5).unwrap())]);
    let changed = generator.with_replaced(&shifted).unwrap();
    let (a, b) = (
        generator.render(&code, 256).unwrap(),
        changed.render(&code, 256).unwrap(),
    );
    assert!(psnr(&a, &b) < 40.0, "the render changed");
    assert_eq!(
        generator.render(&code, 256).unwrap(),
        a,
        "the original generator renders as before"
    );
    // Unknown names, other shapes and the mapping network are refused.
    let zeros = |dims: &[usize]| Tensor::zeros(dims, candle_core::DType::F32, &device).unwrap();
    for (bad, value) in [
        ("synthesis.nothing", zeros(bias.dims())),
        (name, zeros(&[3])),
        (
            "mapping.layers.0.bias",
            generator.tensors()["mapping.layers.0.bias"].clone(),
        ),
    ] {
        let replaced = HashMap::from([(bad.to_string(), value)]);
        assert!(generator.with_replaced(&replaced).is_err(), "{bad}");
    }
}
