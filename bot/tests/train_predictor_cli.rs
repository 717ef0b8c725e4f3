//! `talk-to-edit train predictor` end to end on a tiny `label generated` dataset the test
//! writes (20 generated faces with teacher records, 8 CelebA records, by-eye beard labels): the
//! labels it writes (rules, labels.csv, label-scores.jsonl), the weights it trains (they load and
//! predict probabilities), the held-out report, `--eval-only` measuring the weights again with
//! the same numbers, and `--labels-only` stopping after the labels.

mod support;

use candle_core::Device;
use engine::generator::Generator;
use engine::predictor::AttributePredictor;
use engine::Attribute;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

const SEEDS: std::ops::Range<u64> = 100_000..100_020;

fn embedding(i: u64) -> Vec<f32> {
    (0..512)
        .map(|k| ((i as f32) * 0.37 + k as f32 * 0.13).sin() * 0.1)
        .collect()
}

/// A teacher record; `i` spreads the measures over the rules' ranges, every fourth face wears
/// clear glasses (a strong bridge, light eyes), which the frame cuts are calibrated on.
fn record(i: u64) -> serde_json::Value {
    let f = (i % 7) as f64 / 6.0;
    let (bridge, rim, eyes) = if i.is_multiple_of(4) {
        (0.6 + 0.2 * f, 0.4 + 0.2 * f, 0.2)
    } else {
        (0.05, 0.05, 0.1)
    };
    support::teacher_record(
        embedding(i),
        &[
            ("age_years", 18.0 + 50.0 * f),
            ("happy", 0.2 + 0.6 * f),
            ("forehead_skin", 0.2 + 0.3 * f),
            ("eye_dark", eyes),
            ("bridge_edges", bridge),
            ("rim_edges", rim),
            ("lower_dark", 0.2 + 0.2 * f),
            ("lower_skin", 0.7 - 0.2 * f),
            ("mouth_open", 0.02 + 0.2 * f),
            ("mouth_width", 0.4 + 0.15 * f),
            ("teeth", 0.1 * f),
        ],
    )
}

/// The dataset as `label generated` lays it out (psi 1.0 at even offsets, 0.7 at odd ones;
/// 128 px crops; one record without a face), and by-eye beard labels of ten faces.
fn write_dataset(dir: &Path) {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    std::fs::create_dir_all(dir.join("crops")).unwrap();
    let mut text = String::new();
    for seed in SEEDS {
        let psi = if seed % 2 == 0 { 1.0 } else { 0.7 };
        let render = support::seed_render(&generator, seed, psi, 256);
        image::imageops::resize(&render, 128, 128, image::imageops::FilterType::Triangle)
            .save(dir.join("crops").join(format!("{seed}.png")))
            .unwrap();
        text += &format!(
            "{}\n",
            json!({"seed": seed, "psi": psi, "record": record(seed)})
        );
    }
    text += &format!(
        "{}\n",
        json!({"seed": 100_020, "psi": 1.0, "error": "no face found"})
    );
    std::fs::write(dir.join("records.shard-0-of-1.jsonl"), text).unwrap();
    // CelebA: each of the five probe targets has positives and negatives.
    let celeba: String = (0..8u64)
        .map(|i| {
            let labels: serde_json::Map<String, serde_json::Value> =
                ["Bangs", "Eyeglasses", "Beard", "Smiling", "Young"]
                    .iter()
                    .enumerate()
                    .map(|(k, name)| {
                        (
                            name.to_string(),
                            json!((i + k as u64 / 2).is_multiple_of(2)),
                        )
                    })
                    .collect();
            format!(
                "{}\n",
                json!({"celeba": labels, "record": record(1000 + i)})
            )
        })
        .collect();
    std::fs::write(dir.join("celeba-train.jsonl"), celeba).unwrap();
    let by_eye: String = SEEDS
        .take(10)
        .map(|seed| format!("{seed},beard,{},test\n", if seed % 2 == 0 { 0 } else { 3 }))
        .collect();
    std::fs::write(
        dir.join("by_eye.csv"),
        format!("seed,attribute,degree,note\n{by_eye}"),
    )
    .unwrap();
}

fn train(data: &Path, out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args(["train", "predictor", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out.join("p.safetensors"))
        .arg("--labels-out")
        .arg(out.join("labels"))
        .arg("--by-eye")
        .arg(data.join("by_eye.csv"))
        .arg("--report")
        .arg(out.join("p.heldout.md"))
        .args(["--threads", "1"])
        .args(args)
        .output()
        .expect("running talk-to-edit train predictor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn train_predictor_on_a_tiny_dataset_writes_labels_weights_and_the_held_out_report() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("trained"));
    write_dataset(&data);

    let first = train(&data, &out, &["--epochs", "1"]);
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{stdout}\n{}", text(&first.stderr));
    assert!(
        stdout.contains("labels of 20 generated faces (degree 0..5, unknown):"),
        "{stdout}"
    );
    for a in Attribute::ALL {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", a.name())))
            .unwrap_or_else(|| panic!("no histogram line for {a}:\n{stdout}"));
        let counts: Vec<usize> = line
            .split(['[', ']'])
            .nth(1)
            .unwrap()
            .split(", ")
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(counts.len(), 7, "{line}");
        assert_eq!(counts.iter().sum::<usize>(), 20, "{line}");
    }

    // The labels: the rules with their probes, one row per face, one score line per face.
    let rules: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("labels/label_rules.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rules["bangs_probe"]["target"], "Bangs", "{rules}");
    let cuts = rules["clear_frame_cuts"].as_array().unwrap();
    assert!(
        cuts[0].as_f64().unwrap() <= cuts[1].as_f64().unwrap(),
        "{rules}"
    );
    let csv = std::fs::read_to_string(out.join("labels/labels.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "seed,psi,bangs,eyeglasses,beard,smiling,age");
    assert_eq!(rows.len(), 21, "{csv}");
    assert!(rows[1].starts_with("100000,1,"), "{csv}");
    // The by-eye beard labels override the rules.
    assert_eq!(rows[2].split(',').nth(4), Some("3"), "{csv}");
    assert_eq!(rows[3].split(',').nth(4), Some("0"), "{csv}");
    let scores = std::fs::read_to_string(data.join("label-scores.jsonl")).unwrap();
    assert_eq!(scores.lines().count(), 20);

    // The weights load and turn a face into five distributions over the six degrees.
    let weights = out.join("p.safetensors");
    let p = AttributePredictor::load_file(&weights, &Device::Cpu).unwrap();
    let face = image::open(data.join("crops/100001.png"))
        .unwrap()
        .to_rgb8();
    let prediction = p.predict(&[face]).unwrap().remove(0);
    for probabilities in prediction.probabilities {
        assert!(probabilities.iter().all(|q| q.is_finite() && *q >= 0.0));
        let sum: f32 = probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-3, "{probabilities:?}");
    }

    // The report: the two held-out faces (seeds ending in 0), printed and written.
    let report = std::fs::read_to_string(out.join("p.heldout.md")).unwrap();
    assert!(
        report.starts_with("## P on 2 held-out generated faces (seeds ending in 0)"),
        "{report}"
    );
    assert!(stdout.contains(report.trim_end()), "{stdout}");
    assert!(report.contains("(2 samples)"), "{report}");

    // --eval-only: the same weights measured again give the same report; nothing retrained.
    let bytes = std::fs::read(&weights).unwrap();
    let again = train(&data, &out, &["--eval-only"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("p.heldout.md")).unwrap(),
        report
    );
    assert_eq!(std::fs::read(&weights).unwrap(), bytes);
    let weights_line = format!("wrote {}", weights.display());
    assert!(stdout.contains(&weights_line), "{stdout}");
    assert!(
        !text(&again.stdout).contains(&weights_line),
        "{}",
        text(&again.stdout)
    );

    // --labels-only stops after the labels: no report is written.
    std::fs::remove_file(out.join("p.heldout.md")).unwrap();
    let labels_only = train(&data, &out, &["--labels-only"]);
    assert!(
        labels_only.status.success(),
        "{}",
        text(&labels_only.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("labels/labels.csv")).unwrap(),
        csv
    );
    assert!(!out.join("p.heldout.md").exists());
}
