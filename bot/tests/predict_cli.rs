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
