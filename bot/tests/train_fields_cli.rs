//! `talk-to-edit train fields` end to end on a tiny dataset the test writes (20 generated faces
//! whose 256 px renders are the crops, seeded embeddings, one face-less record): what it prints,
//! the files it writes and what they hold, `--check-only` reusing them, and a clear error for an
//! attribute that has no trained field.

mod support;

use candle_core::Device;
use engine::field::surrogate::{LatentSurrogate, SurrogateKind};
use engine::field::{LinearDirection, SemanticField};
use engine::generator::Generator;
use engine::Attribute;
use std::path::Path;
use std::process::{Command, Output};

/// Seeds 100000..100020 (100000 and 100010 held out) as `label generated` lays them out: psi 1.0
/// at even offsets, 0.7 at odd ones.
fn write_dataset(dir: &Path) {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    std::fs::create_dir_all(dir.join("crops")).unwrap();
    let mut lines = Vec::new();
    for seed in 100_000..100_020u64 {
        let psi = if seed % 2 == 0 { 1.0 } else { 0.7 };
        let w = generator
            .truncate(&generator.w_from_seed(seed).unwrap(), psi)
            .unwrap();
        generator
            .render(&w, 256)
            .unwrap()
            .save(dir.join("crops").join(format!("{seed}.png")))
            .unwrap();
        let embedding: Vec<f32> = (0..512)
            .map(|k| ((seed as f32) * 0.013 + k as f32 * 0.37).sin())
            .collect();
        lines.push(
            serde_json::json!({"seed": seed, "psi": psi, "record": {"embedding": embedding}}),
        );
    }
    lines.push(serde_json::json!({"seed": 100_020, "psi": 1.0, "error": "no face found"}));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("records.shard-0-of-1.jsonl"), text).unwrap();
}

fn train(data: &Path, out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args(["train", "fields", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("running talk-to-edit train fields")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn train_fields_on_a_tiny_dataset_writes_fields_directions_surrogates_and_the_check() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let (data, out) = (dir.path().join("data"), dir.path().join("trained"));
    write_dataset(&data);
    let args = [
        "--attribute",
        "smiling",
        "--steps",
        "20",
        "--surrogate-epochs",
        "2",
        "--check-seeds",
        "1",
    ];
    let first = train(&data, &out, &args);
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{}", text(&first.stderr));

    // The printed report: S's agreement on both held-out faces for every attribute, I's cosine,
    // the field's last losses, the linear fit and the check's table.
    assert!(
        stdout.contains("surrogate S vs P on 2 held-out faces"),
        "{stdout}"
    );
    for a in Attribute::ALL {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", a.name())))
            .unwrap_or_else(|| panic!("no agreement line for {a}:\n{stdout}"));
        let shares: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(|c| c.trim_end_matches('%').parse().unwrap())
            .collect();
        assert_eq!(shares.len(), 2, "{line}");
        assert!(
            shares.iter().all(|s| [0.0, 50.0, 100.0].contains(s)),
            "{line}"
        );
        assert!(shares[1] >= shares[0], "within one degree >= exact: {line}");
    }
    assert!(stdout.contains("surrogate I: held-out cosine"), "{stdout}");
    assert!(stdout.contains("smiling: last 20 steps: ce "), "{stdout}");
    assert!(stdout.contains("linear smiling: split "), "{stdout}");
    for method in ["field", "linear"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| smiling | {method} (step ")))
            .unwrap_or_else(|| panic!("no {method} check row:\n{stdout}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[3], "1", "one held-out face checked: {row}");
    }
    assert!(stdout.contains("done in "), "{stdout}");

    // The files: each loads as what it claims to be; check.md is the printed table.
    let field_file = out.join("fields").join("smiling.safetensors");
    let (_, attribute) = SemanticField::load_file(&field_file, &Device::Cpu).unwrap();
    assert_eq!(attribute, Attribute::Smiling);
    let directions =
        LinearDirection::load_all(&out.join("fields").join("linear_directions.safetensors"))
            .unwrap();
    assert_eq!(
        directions.iter().map(|d| d.attribute).collect::<Vec<_>>(),
        [Attribute::Smiling]
    );
    for (file, kind) in [
        (
            "surrogate_attributes.safetensors",
            SurrogateKind::Attributes,
        ),
        ("surrogate_identity.safetensors", SurrogateKind::Identity),
    ] {
        LatentSurrogate::load_file(&out.join(file), kind, &Device::Cpu).unwrap();
    }
    let check = std::fs::read_to_string(out.join("fields").join("check.md")).unwrap();
    assert!(
        check.starts_with("Rendered check, step size a = 1,"),
        "{check}"
    );
    assert!(
        stdout.contains(&check),
        "check.md differs from the printed table"
    );

    // --check-only: no fitting or training, the saved files untouched, the check run again.
    let field_bytes = std::fs::read(&field_file).unwrap();
    let again = train(
        &data,
        &out,
        &[
            "--attribute",
            "smiling",
            "--check-only",
            "--check-seeds",
            "1",
        ],
    );
    let stdout = text(&again.stdout);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!stdout.contains("surrogate S vs P"), "{stdout}");
    assert!(!stdout.contains("linear smiling: split"), "{stdout}");
    assert_eq!(std::fs::read(&field_file).unwrap(), field_bytes);
    let rerun = std::fs::read_to_string(out.join("fields").join("check.md")).unwrap();
    for method in ["field", "linear"] {
        assert!(
            rerun
                .lines()
                .any(|l| l.starts_with(&format!("| smiling | {method} (step "))
                    && l.contains(" | 1 | ")),
            "{rerun}"
        );
    }

    // An attribute without a trained field: a clear error naming the file and the command.
    let missing = train(&data, &out, &["--attribute", "beard", "--check-only"]);
    assert!(!missing.status.success());
    let err = text(&missing.stderr);
    assert!(err.contains("loading the beard field from"), "{err}");
    assert!(
        err.contains("trained by `talk-to-edit train fields`"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
