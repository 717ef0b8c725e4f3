//! `talk-to-edit train reader` end to end on a tiny `label paths` dataset the test writes (six
//! generated faces, one seven-step path each, teacher records that move with the step): what it
//! prints, the reader it saves (it loads and reads a face into scores), the report it writes, and
//! `--eval-only` measuring the saved reader again with the same numbers.

mod support;

use candle_core::Device;
use engine::generator::Generator;
use engine::predictor::DegreeReader;
use engine::Attribute;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

/// The path seeds: 100005 is held out (seeds ending in 0 or 5), the others train.
const SEEDS: std::ops::RangeInclusive<u64> = 100_001..=100_006;

/// The attribute of `seed`'s path.
fn attribute(seed: u64) -> Attribute {
    Attribute::ALL[((seed - 100_001) % 5) as usize]
}

/// A teacher record of a face at step `t` (-3..=3) along a path of `attribute`: the measures
/// the attribute is read from move with `t`, the others stay.
fn record(seed: u64, attribute: Attribute, t: f64) -> serde_json::Value {
    let moved: &[(&str, f64)] = match attribute {
        Attribute::Bangs => &[("forehead_skin", 0.5 - 0.12 * t)],
        Attribute::Eyeglasses => &[
            ("bridge_edges", 0.3 + 0.1 * t),
            ("rim_edges", 0.3 + 0.1 * t),
        ],
        Attribute::Beard => &[
            ("lower_dark", 0.3 + 0.08 * t),
            ("lower_skin", 0.6 - 0.08 * t),
        ],
        Attribute::Smiling => &[
            ("mouth_open", 0.1 + 0.03 * t),
            ("mouth_width", 0.45 + 0.02 * t),
        ],
        Attribute::Age => &[("age_years", 40.0 + 6.0 * t)],
    };
    let embedding: Vec<f32> = (0..512)
        .map(|k| ((seed as f32) * 0.011 + k as f32 * 0.29).sin() * 0.05)
        .collect();
    support::teacher_record(embedding, moved)
}

/// One path per seed as `label paths` writes it; every step's crop is the seed's 256 px render.
fn write_dataset(dir: &Path) {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    std::fs::create_dir_all(dir.join("crops")).unwrap();
    let mut text = String::new();
    for seed in SEEDS {
        let crop = format!("{seed}.png");
        support::seed_render(&generator, seed, 0.7, 256)
            .save(dir.join("crops").join(&crop))
            .unwrap();
        let a = attribute(seed);
        let steps: Vec<serde_json::Value> = (-3..=3)
            .map(|t| json!({"t": t as f64, "crop": crop, "record": record(seed, a, t as f64)}))
            .collect();
        text += &format!(
            "{}\n",
            json!({"seed": seed, "attribute": a, "steps": steps})
        );
    }
    std::fs::write(dir.join("paths.shard-0-of-1.jsonl"), text).unwrap();
}

fn train(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .args(["train", "reader", "--data"])
        .arg(data)
        .arg("--out")
        .arg(data.join("reader.safetensors"))
        .arg("--report")
        .arg(data.join("reader.md"))
        // No CelebA table: the CelebA measurement is skipped and no face model is loaded.
        .arg("--celeba-labels")
        .arg(data.join("no-table.tsv"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("running talk-to-edit train reader")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The report without its timing (the only line that may differ between two readings).
fn untimed(report: &str) -> String {
    report
        .lines()
        .filter(|l| !l.contains("reading took"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn train_reader_on_tiny_paths_saves_a_reader_that_reads_and_reports_the_held_out_path() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("paths");
    write_dataset(&data);

    let first = train(&data, &["--epochs", "1"]);
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    assert!(first.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("42 renders (35 training, 7 held out)"),
        "{stderr}"
    );
    assert!(stderr.contains("step 2/2 loss "), "{stderr}");
    assert!(stderr.contains("saved "), "{stderr}");

    // The report: the one held-out path (age, seed 100005) with its seven renders, the
    // confusion matrices over them, and the CelebA section saying why it was not measured.
    let report = std::fs::read_to_string(data.join("reader.md")).unwrap();
    assert!(stdout.contains(report.trim_end()), "printed: {stdout}");
    assert!(report.contains("7 held-out renders"), "{report}");
    let held = attribute(100_005);
    for a in Attribute::ALL {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {} | ", a.name())))
            .unwrap_or_else(|| panic!("no row for {a}:\n{report}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let paths = if a == held { "1" } else { "0" };
        assert_eq!(cells[2], paths, "{row}");
        if a == held {
            for cell in [cells[3], cells[5], cells[7]] {
                let spearman: f64 = cell.parse().unwrap();
                assert!((-1.0..=1.0).contains(&spearman), "{row}");
            }
            // The teachers' measure moves with the step: a perfect rank order.
            assert_eq!(cells[5], "1.000", "{row}");
        }
        let summary = report
            .lines()
            .find(|l| l.starts_with(&format!("**{}**: exact ", a.name())))
            .unwrap_or_else(|| panic!("no matrix for {a}:\n{report}"));
        assert!(summary.contains(" of 7"), "{summary}");
    }
    assert!(report.contains("## CelebA\n\nnot measured: "), "{report}");

    // The saved reader loads and reads a face: finite scores within the degrees' range.
    let reader = DegreeReader::load_file(&data.join("reader.safetensors"), &Device::Cpu).unwrap();
    let face = image::open(data.join("crops").join("100001.png"))
        .unwrap()
        .to_rgb8();
    let reading = reader.read(&[face]).unwrap().remove(0);
    for a in Attribute::ALL {
        let score = reading.score(a);
        assert!(
            score.is_nan() || (-0.5..=5.5).contains(&score),
            "{a}: {score}"
        );
    }
    assert!(
        Attribute::ALL.iter().any(|&a| reading.score(a).is_finite()),
        "{reading:?}"
    );
    assert!(
        reading.measures.iter().all(|m| m.is_finite()),
        "{reading:?}"
    );

    // --eval-only measures the saved reader again: the same report, weights untouched.
    let weights = std::fs::read(data.join("reader.safetensors")).unwrap();
    let again = train(&data, &["--eval-only"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!text(&again.stderr).contains("saved "));
    let second = std::fs::read_to_string(data.join("reader.md")).unwrap();
    assert_eq!(untimed(&second), untimed(&report));
    assert_eq!(
        std::fs::read(data.join("reader.safetensors")).unwrap(),
        weights
    );
}
