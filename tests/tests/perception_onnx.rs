//! The Faceplugin graphs run by candle-onnx (after this project's opset-9 Slice rewrite and
//! depthwise widening) against onnxruntime 1.32 on the same synthetic input
//! `x[c, h, w] = 0.9 sin(0.1 h + 0.07 w + 1.3 c)` (the landmark input `(x + 1) / 2`). The reference
//! numbers were printed by onnxruntime's Python package (not a dependency of the project).

mod perception_support;

use candle_core::{Device, Tensor};
use engine::perception::onnx::OnnxNet;
use engine::perception::{DETECT_MODEL, IDENTITY_MODEL, LANDMARK_MODEL};
use perception_support::faceplugin_file;

fn pattern(c: usize, h: usize, w: usize, f: impl Fn(f32) -> f32) -> Tensor {
    let mut v = Vec::with_capacity(c * h * w);
    for ci in 0..c {
        for hi in 0..h {
            for wi in 0..w {
                v.push(f(
                    0.9 * (0.1 * hi as f32 + 0.07 * wi as f32 + 1.3 * ci as f32).sin()
                ));
            }
        }
    }
    Tensor::from_vec(v, (1, c, h, w), &Device::Cpu).unwrap()
}

fn check(name: &str, got: &Tensor, first8: [f32; 8], sum: f32, abs_sum: f32, tol: f32) {
    let v: Vec<f32> = got.flatten_all().unwrap().to_vec1().unwrap();
    for (i, (a, b)) in v.iter().zip(first8).enumerate() {
        assert!((a - b).abs() < tol, "{name}[{i}] = {a}, onnxruntime {b}");
    }
    let (s, a): (f32, f32) = (v.iter().sum(), v.iter().map(|x| x.abs()).sum());
    assert!(
        (s - sum).abs() < tol * v.len() as f32,
        "{name} sum {s} vs {sum}"
    );
    assert!(
        (a - abs_sum).abs() < tol * v.len() as f32,
        "{name} |sum| {a} vs {abs_sum}"
    );
}

#[test]
fn identity_graph_matches_onnxruntime() {
    let net = OnnxNet::load(&faceplugin_file(IDENTITY_MODEL), "input").unwrap();
    let out = net.run(pattern(3, 112, 112, |x| x), &["output"]).unwrap();
    assert_eq!(out[0].dims(), &[1, 512]);
    let first8 = [
        0.03818, -0.031524, 0.012482, -0.06514, -0.033123, 0.003322, 0.012269, -0.004998,
    ];
    check("fr_feature", &out[0], first8, 0.046204, 27.837643, 2e-5);
}

#[test]
fn landmark_graph_matches_onnxruntime() {
    let net = OnnxNet::load(&faceplugin_file(LANDMARK_MODEL), "input").unwrap();
    let out = net
        .run(pattern(1, 64, 64, |x| (x + 1.0) / 2.0), &["output"])
        .unwrap();
    assert_eq!(out[0].dims(), &[1, 136]);
    let first8 = [
        0.236289, 0.376511, 0.213495, 0.466237, 0.202228, 0.541189, 0.181651, 0.603461,
    ];
    check("fr_landmark", &out[0], first8, 64.0043, 64.0043, 2e-5);
}

#[test]
fn detector_graph_matches_onnxruntime() {
    let net = OnnxNet::load(&faceplugin_file(DETECT_MODEL), "input").unwrap();
    let out = net
        .run(pattern(3, 240, 320, |x| x), &["scores", "boxes"])
        .unwrap();
    assert_eq!(out[0].dims(), &[1, 4420, 2]);
    assert_eq!(out[1].dims(), &[1, 4420, 4]);
    let scores8 = [
        0.942939, 0.057061, 0.936631, 0.063369, 0.934614, 0.065386, 0.951758, 0.048242,
    ];
    check("scores", &out[0], scores8, 4420.0, 4420.0, 2e-5);
    let boxes8 = [
        0.004106, 0.005358, 0.024252, 0.047501, -0.000863, -0.006594, 0.043137, 0.071617,
    ];
    check("boxes", &out[1], boxes8, 8845.007, 8865.041, 2e-5);
}

#[test]
fn missing_model_names_the_fetch_command() {
    let err = OnnxNet::load(
        std::path::Path::new("/nonexistent/fr_feature.onnx"),
        "input",
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("models fetch --only faceplugin"),
        "{err}"
    );
}
