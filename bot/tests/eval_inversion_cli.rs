//! `talk-to-edit eval-inversion` end to end on the first measured photo (two refinement steps,
//! with edits): the records it writes, the examples sheet, the report it prints and writes, and a
//! clear error for an empty sample.

mod support;

use serde_json::Value;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .arg("eval-inversion")
        .args(args)
        .env("RUST_LOG", "warn")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

#[test]
fn eval_inversion_measures_the_first_photo_and_its_edits() {
    support::ensure_models();
    let first = support::celeba_photo();
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "--every",
        "250",
        "--steps",
        "2",
        "--edits",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let records: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("inversion.json")).unwrap()).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(
        r["photo"].as_str().unwrap(),
        first.file_name().unwrap().to_str().unwrap()
    );
    assert!(r["error"].is_null(), "{r}");
    let cos = |key: &str| r[key].as_f64().unwrap_or_else(|| panic!("{key} in {r}"));
    for key in [
        "identity_cos",
        "encoder_identity_cos",
        "refined_identity_cos",
    ] {
        assert!(cos(key) > 0.0 && cos(key) <= 1.0, "{key} in {r}");
    }
    // The code kept is the better of the encoder's and the refinement's.
    let kept = if r["refined_kept"].as_bool().unwrap() {
        cos("refined_identity_cos")
    } else {
        cos("encoder_identity_cos")
    };
    assert_eq!(cos("identity_cos"), kept, "{r}");
    assert!(cos("seconds") > 0.0);
    let edits = r["edits"].as_array().unwrap();
    let attributes: Vec<&str> = edits
        .iter()
        .map(|e| e["attribute"].as_str().unwrap())
        .collect();
    let all: Vec<String> = engine::Attribute::ALL
        .iter()
        .map(|a| {
            serde_json::to_value(a)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(attributes, all, "one edit per attribute");
    for e in edits {
        let (start, target) = (e["start"].as_i64().unwrap(), e["target"].as_i64().unwrap());
        let expected = if start < 5 { start + 1 } else { start - 1 };
        assert_eq!(target, expected, "{e}");
        let id = e["identity_cos"].as_f64().unwrap();
        assert!(id > 0.0 && id <= 1.0 + 1e-5, "{e}");
        assert_eq!(
            e["reached"].as_bool().unwrap(),
            e["outcome"] == "reached",
            "{e}"
        );
    }

    let report = std::fs::read_to_string(dir.path().join("inversion.md")).unwrap();
    assert!(
        stdout.contains(report.trim_end()),
        "{stdout}\n---\n{report}"
    );
    assert!(
        report.contains("(1 photos; 1 inverted, 0 refused)"),
        "{report}"
    );
    assert!(
        report.contains(&format!("| kept (best of both) | {kept:.3} | {kept:.3} |")),
        "{report}"
    );
    for a in engine::Attribute::ALL {
        assert!(
            report.contains(&format!("| {} | 1 |", a.name())),
            "{report}"
        );
    }

    let sheet = image::open(dir.path().join("inversion_examples.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(sheet.dimensions(), (256, 128));
    let photo = image::imageops::crop_imm(&sheet, 0, 0, 128, 128).to_image();
    let render = image::imageops::crop_imm(&sheet, 128, 0, 128, 128).to_image();
    let first_pixel = *photo.get_pixel(0, 0);
    assert!(
        photo.pixels().any(|p| *p != first_pixel),
        "a photo, not a flat image"
    );
    assert_ne!(
        photo, render,
        "the render is the generator's, not the photo"
    );
}

#[test]
fn an_empty_sample_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["--every", "0", "--out", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--every and --limit must be at least 1"),
        "{stderr}"
    );
    assert!(!dir.path().join("inversion.json").exists());
}
