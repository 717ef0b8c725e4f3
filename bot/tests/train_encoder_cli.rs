//! `talk-to-edit train encoder` end to end on a tiny dataset the test writes (13 generated faces
//! whose renders, shrunk to 128 px, are the crops, seeded embeddings and landmarks, two CelebA embeddings):
//! what it prints, the weights it writes and what they hold, `--eval-only` measuring them again
//! with the same numbers, and a clear error for a held-out seed among the extra pairs.

mod support;

use candle_core::Device;
use engine::generator::Generator;
use engine::inversion::train_encoder::PairRecord;
use engine::inversion::InversionEncoder;
use std::path::Path;
use std::process::{Command, Output};

fn embedding(seed: u64) -> Vec<f32> {
    (0..512)
        .map(|k| ((seed as f32) * 0.013 + k as f32 * 0.37).sin())
        .collect()
}

/// Seeds 100000..=100012 (100000 and 100010 held out, 100005 validation) as `label generated`
/// lays them out (psi 1.0 at even offsets, 0.7 at odd ones; landmarks in 256 px crop pixels),
/// and `celeba-train.jsonl` with two embeddings and one face-less photo.
fn write_dataset(dir: &Path) {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    std::fs::create_dir_all(dir.join("crops")).unwrap();
    let mut lines = Vec::new();
    for seed in 100_000..=100_012u64 {
        let psi = if seed % 2 == 0 { 1.0 } else { 0.7 };
        let w = generator
            .truncate(&generator.w_from_seed(seed).unwrap(), psi)
            .unwrap();
        let render = generator.render(&w, 256).unwrap();
        image::imageops::resize(&render, 128, 128, image::imageops::FilterType::Triangle)
            .save(dir.join("crops").join(format!("{seed}.png")))
            .unwrap();
        let landmarks: Vec<[f64; 2]> = (0..68)
            .map(|i| {
                let t = i as f64 / 68.0 * std::f64::consts::TAU + seed as f64 * 0.01;
                [128.0 + 70.0 * t.cos(), 128.0 + 90.0 * t.sin()]
            })
            .collect();
        lines.push(serde_json::json!({"seed": seed, "psi": psi,
            "record": {"embedding": embedding(seed), "crop_landmarks": landmarks}}));
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("records.shard-0-of-1.jsonl"), text).unwrap();
    let celeba = [
        serde_json::json!({"record": {"embedding": embedding(1), "crop_landmarks": []}}),
        serde_json::json!({"error": "no face found"}),
        serde_json::json!({"record": {"embedding": embedding(2), "crop_landmarks": []}}),
    ];
    let text: String = celeba.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("celeba-train.jsonl"), text).unwrap();
}

fn train(data: &Path, out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args(["train", "encoder", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("running talk-to-edit train encoder")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The held-out line without its timing.
fn held_out_line(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("held-out generated faces (n=1): "))
        .unwrap_or_else(|| panic!("no held-out line:\n{stdout}"));
    line.split("; encode ").next().unwrap().to_string()
}

#[test]
fn train_encoder_on_a_tiny_dataset_saves_measures_and_measures_again() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (
        dir.path().join("data"),
        dir.path().join("encoder.safetensors"),
    );
    write_dataset(&data);
    let first = train(
        &data,
        &out,
        &[
            "--epochs",
            "2",
            "--hidden",
            "16",
            "--copies",
            "1",
            "--scales",
            "0.5,1",
            "--scale-faces",
            "1",
            "--eval-generated",
            "1",
        ],
    );
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    assert!(first.status.success(), "{stderr}");

    // 13 faces: 2 held out, 1 validation, 10 trained on; one line per epoch (no terminal).
    assert!(
        stderr.contains("10 training faces, 1 validation faces"),
        "{stderr}"
    );
    for epoch in [1, 2] {
        assert!(
            stderr.contains(&format!("epoch {epoch}: train ")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("output scale 0.5: median identity cosine "),
        "{stderr}"
    );
    let chosen: f32 = stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("output scale ")?
                .split_once(" (validation faces'")
        })
        .map(|(s, _)| s.parse().unwrap())
        .unwrap_or_else(|| panic!("no chosen scale:\n{stderr}"));
    assert!(chosen == 0.5 || chosen == 1.0, "{chosen}");
    let saved = format!("saved {} (10 faces, validation loss ", out.display());
    assert!(stdout.contains(&saved), "{stdout}");

    // The weights: the flags' network, the chosen scale, the two domain means projected out,
    // and the run recorded in the metadata.
    let encoder = InversionEncoder::load(&out, &Device::Cpu).unwrap();
    assert_eq!(encoder.config.hidden, 16);
    assert_eq!(encoder.config.output_scale, chosen);
    assert_eq!(encoder.config.embedding_removed.len(), 2);
    let result: serde_json::Value = serde_json::from_str(&encoder.metadata()["result"]).unwrap();
    assert_eq!(result["train_faces"], 10);
    assert_eq!(result["validation_faces"], 1);
    assert_eq!(result["output_scale_tuning"]["validation_faces"], 1);
    let training: serde_json::Value =
        serde_json::from_str(&encoder.metadata()["training"]).unwrap();
    assert_eq!(training["epochs"], 2);
    assert_eq!(training["copies"], 1);

    // The measurement of held-out seed 100000 (cosines in [-1, 1]); --eval-only reads the same
    // weights and prints the same numbers without training.
    let measured = held_out_line(&stdout);
    let median: f32 = measured
        .split("encoded render median ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((-1.0..=1.0).contains(&median), "{measured}");
    let bytes = std::fs::read(&out).unwrap();
    let again = train(&data, &out, &["--eval-only", "--eval-generated", "1"]);
    let stdout = text(&again.stdout);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!stdout.contains("saved "), "{stdout}");
    assert_eq!(held_out_line(&stdout), measured);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);

    // An extra pairs directory holding a held-out seed: a clear error, nothing saved.
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let record = PairRecord {
        seed: 100_020,
        psi: 1.0,
        crop_landmarks: vec![[64.0, 64.0]; 68],
        embedding: embedding(3),
        degraded_embedding: embedding(4),
        degraded_side: 256,
        degraded_quality: 50,
    };
    std::fs::write(
        extra.join("pairs.shard-0-of-1.jsonl"),
        format!("{}\n", serde_json::to_string(&record).unwrap()),
    )
    .unwrap();
    let refused = train(
        &data,
        &dir.path().join("other.safetensors"),
        &["--extra", extra.to_str().unwrap(), "--epochs", "1"],
    );
    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(err.contains("seed 100020 is held out"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.path().join("other.safetensors").exists());
}
