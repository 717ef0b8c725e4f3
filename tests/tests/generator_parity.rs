//! The candle generator against the OpenVINO reference run in `tests/fixtures/reference`:
//! for seeds 0..4, z (numpy RNG), w (mapping) and the 1024x1024 image (synthesis).
//!
//! Tolerances: z exactly equal up to f32 rounding (1e-6); w max abs error 1e-4 (values ~1);
//! raw image centre max abs error 5e-4 (values in [-1, 1]); the PNG within 2 levels of 255 at every
//! pixel with PSNR >= 40 dB. The fast CPU pass and the plain differentiable pass agree to 1e-4.

use candle_core::{Device, Tensor};
use engine::generator::{max_abs_diff, psnr_and_max, to_rgb_images, Generator};
use engine::npy;

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn generator_reproduces_the_openvino_reference() {
    let fixtures = tte_tests::reference_fixtures();
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    for seed in 0..4u64 {
        let z_ref = npy::read(&fixtures.join(format!("seed{seed}_z.npy"))).unwrap();
        let z = generator.z_from_seed(seed).unwrap();
        let z_err = max_abs(&z.flatten_all().unwrap().to_vec1().unwrap(), &z_ref.data);
        assert!(z_err < 1e-6, "seed {seed}: z differs by {z_err}");

        let w_ref = npy::read(&fixtures.join(format!("seed{seed}_w.npy"))).unwrap();
        let w = generator.mapping.forward(&z).unwrap();
        let w_err = max_abs(&w.flatten_all().unwrap().to_vec1().unwrap(), &w_ref.data);
        assert!(w_err < 1e-4, "seed {seed}: w differs by {w_err}");

        // Synthesis from the reference w, so that its error is measured on its own.
        let w_ref = Tensor::from_vec(w_ref.data, (1, 512), &Device::Cpu).unwrap();
        let raw = generator.synthesize(&w_ref).unwrap();
        assert_eq!(raw.dims(), &[1, 3, 1024, 1024]);
        let centre_ref =
            npy::read(&fixtures.join(format!("seed{seed}_img_center256.npy"))).unwrap();
        let centre = raw
            .narrow(2, 384, 256)
            .unwrap()
            .narrow(3, 384, 256)
            .unwrap();
        let c_err = max_abs(
            &centre.flatten_all().unwrap().to_vec1().unwrap(),
            &centre_ref.data,
        );
        assert!(c_err < 5e-4, "seed {seed}: raw centre differs by {c_err}");

        let png = to_rgb_images(&raw).unwrap().remove(0);
        let png_ref = image::open(fixtures.join(format!("seed{seed}.png")))
            .unwrap()
            .to_rgb8();
        let (psnr, worst) = psnr_and_max(&png, &png_ref);
        println!("seed {seed}: z {z_err:.1e}, w {w_err:.1e}, centre {c_err:.1e}, PSNR {psnr:.1} dB, max {worst} levels");
        assert!(psnr >= 40.0, "seed {seed}: PSNR {psnr:.1} dB");
        assert!(worst <= 2, "seed {seed}: a pixel differs by {worst} levels");

        if seed == 0 {
            let plain = generator.synthesis.forward_differentiable(&w_ref).unwrap();
            let d = max_abs_diff(&plain, &raw).unwrap();
            assert!(d < 1e-4, "fast and plain passes differ by {d}");
        }
    }
}

#[test]
fn batches_render_the_same_faces_as_single_latents() {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    let w0 = generator.w_from_seed(0).unwrap();
    let w1 = generator.w_from_seed(1).unwrap();
    let both = Tensor::cat(&[&w0, &w1], 0).unwrap();
    let batch = generator.synthesize(&both).unwrap();
    let single = generator
        .synthesize(&generator.w_plus(&w1).unwrap())
        .unwrap();
    let d = max_abs_diff(&batch.narrow(0, 1, 1).unwrap(), &single).unwrap();
    assert!(d < 1e-4, "batch item differs from the single render by {d}");
    // Truncation towards the average face shrinks the distance to it.
    let avg = generator.w_avg().unwrap();
    let t = generator.truncate(&w0, 0.5).unwrap();
    let dist = |a: &Tensor| {
        (a - &avg)
            .unwrap()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    assert!((dist(&t) / dist(&w0) - 0.25).abs() < 1e-3);
    assert!(generator
        .synthesize(&Tensor::zeros((1, 7), candle_core::DType::F32, &Device::Cpu).unwrap())
        .is_err());
}
