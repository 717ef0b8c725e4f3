//! `talk-to-edit predict`: one JSON object per image, for real photos, generated faces and bad
//! input alike, from arguments and from `--batch` stdin.

mod support;

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn check_prediction(v: &Value, path: &Path) {
    assert_eq!(v["path"], path.to_str().unwrap(), "{v}");
    for a in engine::Attribute::ALL {
        let d = v["degrees"][a.name()]
            .as_u64()
            .unwrap_or_else(|| panic!("{v}"));
        assert!(d <= 5, "{v}");
        let e = v["expected"][a.name()].as_f64().unwrap();
        assert!((0.0..=5.0).contains(&e), "{v}");
    }
}

#[test]
fn predict_prints_one_json_object_per_image() {
    let photo = support::celeba_photo();
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("blank.png");
    image::RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]))
        .save(&blank)
        .unwrap();
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"this is not a picture").unwrap();

    let exe = env!("CARGO_BIN_EXE_talk-to-edit");
    let out = Command::new(exe)
        .arg("predict")
        .args([&photo, &blank, &not_image])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    check_prediction(&lines[0], &photo);
    assert_eq!(lines[1]["error"], "no face found", "{}", lines[1]);
    assert!(
        lines[2]["error"].as_str().unwrap().contains("notes.png"),
        "{}",
        lines[2]
    );

    // --batch: the same answers for paths on stdin.
    let mut child = Command::new(exe)
        .args(["predict", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        child.stdin.take().unwrap(),
        "{}\n\n{}",
        photo.display(),
        blank.display()
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let batch: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0]["degrees"], lines[0]["degrees"]);
    assert_eq!(batch[1]["error"], "no face found");
}

#[test]
fn predict_with_the_reader_adds_its_scores_and_degrees() {
    let photo = support::celeba_photo();
    let exe = env!("CARGO_BIN_EXE_talk-to-edit");
    let reader = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/trained/reader.safetensors"
    );
    let run = |extra: &[&str]| {
        Command::new(exe)
            .arg("predict")
            .args(extra)
            .arg(&photo)
            .output()
            .unwrap()
    };
    let plain = run(&[]);
    let with_reader = run(&["--reader", reader]);
    assert!(
        with_reader.status.success(),
        "{}",
        String::from_utf8_lossy(&with_reader.stderr)
    );
    let plain: Value = serde_json::from_slice(&plain.stdout).unwrap();
    let v: Value = serde_json::from_slice(&with_reader.stdout).unwrap();
    check_prediction(&v, &photo);
    assert_eq!(v["degrees"], plain["degrees"], "P's answer is unchanged");
    assert!(plain.get("reader").is_none(), "{plain}");
    for a in engine::Attribute::ALL {
        let score = v["reader"]["scores"][a.name()].as_f64().unwrap();
        assert!((-1.0..=6.0).contains(&score), "{v}");
        // A frontal CelebA face: every attribute applicable, the degree the rounded score.
        let degree = v["reader"]["degrees"][a.name()].as_u64().unwrap();
        assert_eq!(degree, score.round().clamp(0.0, 5.0) as u64, "{v}");
    }
    // The committed reader has no glasses-presence measure.
    assert!(v["reader"]["glasses_presence"].is_null(), "{v}");

    let missing = run(&["--reader", "no-such-reader.safetensors"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no-such-reader.safetensors"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
