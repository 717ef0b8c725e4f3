//! `talk-to-edit invert` and `edit --image --paste-back` on a real photo, and their clear errors
//! on bad input.

mod support;

use serde_json::Value;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn invert_writes_the_code_and_its_render() {
    support::ensure_models();
    let photo = support::celeba_photo();
    let dir = tempfile::tempdir().unwrap();
    let latent = dir.path().join("w.npy");
    let render = dir.path().join("render.png");
    let out = run(&[
        "invert",
        photo.to_str().unwrap(),
        "--out-latent",
        latent.to_str().unwrap(),
        "--out-image",
        render.to_str().unwrap(),
        "--size",
        "256",
        "--steps",
        "3",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("identity cosine"), "{stdout}");
    let reader = npyz::NpyFile::new(std::fs::File::open(&latent).unwrap()).unwrap();
    assert_eq!(reader.shape(), &[23, 512]);
    let values: Vec<f32> = reader.data::<f32>().unwrap().map(|v| v.unwrap()).collect();
    assert!(values.iter().all(|v| v.is_finite()) && values.iter().any(|v| *v != 0.0));
    let image = image::open(&render).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (256, 256));
    let first = image.get_pixel(0, 0);
    assert!(
        image.pixels().any(|p| p != first),
        "a face, not a flat image"
    );
}

#[test]
fn bad_photos_get_clear_errors() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let not_image = dir.path().join("notes.jpg");
    std::fs::write(&not_image, b"this is not a picture").unwrap();
    let blank = dir.path().join("blank.png");
    image::RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]))
        .save(&blank)
        .unwrap();
    let latent = dir.path().join("w.npy");
    for (photo, expected) in [(&not_image, "cannot read image"), (&blank, "no face")] {
        let out = run(&[
            "invert",
            photo.to_str().unwrap(),
            "--out-latent",
            latent.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} must fail", photo.display());
        assert!(stderr.contains(expected), "{}: {stderr}", photo.display());
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!latent.exists());
    }
}

#[test]
fn edit_pastes_every_step_back_into_the_photo() {
    support::ensure_models();
    let photo = support::celeba_photo();
    let (pw, ph) = image::image_dimensions(&photo).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "edit",
        "--image",
        photo.to_str().unwrap(),
        "--paste-back",
        "--invert-steps",
        "3",
        "--attribute",
        "smiling",
        "--change",
        "+1",
        "--max-steps",
        "2",
        "--size",
        "256",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let cos = summary["inversion"]["identity_cos"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&cos), "{summary}");
    let steps = summary["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    let original = image::open(&photo).unwrap().to_rgb8();
    let mut changed = 0;
    for step in steps {
        let i = step["index"].as_u64().unwrap();
        let face = image::open(dir.path().join(format!("step_{i:02}.png"))).unwrap();
        assert_eq!((face.width(), face.height()), (256, 256));
        let full = image::open(dir.path().join(format!("photo_step_{i:02}.png")))
            .unwrap()
            .to_rgb8();
        assert_eq!(full.dimensions(), (pw, ph), "the full photo, at its size");
        // Only what the edit changed reaches the photo: the corners (background) are the
        // photo's, the start (step 0) is the photo itself, later steps change the face.
        assert_eq!(full.get_pixel(0, 0), original.get_pixel(0, 0));
        if i == 0 {
            assert_eq!(full, original, "step 0 is the unedited photo");
        } else if full != original {
            changed += 1;
        }
    }
    assert!(
        steps.len() < 2 || changed > 0,
        "the edit's steps changed the photo ({} steps)",
        steps.len()
    );
    // Without --image, --paste-back is refused by the argument parser.
    let out = run(&[
        "edit",
        "--seed",
        "1",
        "--paste-back",
        "--attribute",
        "smiling",
        "--change",
        "+1",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--image"));
}
