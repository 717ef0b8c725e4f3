//! `talk-to-edit eval` end to end on one held-out face and one attribute: the markdown table, the
//! raw JSON records, the Fig. 10 PNG, resuming from the partial results, and clear errors for bad
//! arguments.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn eval(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .arg("eval")
        .args(args)
        .arg("--out")
        .arg(out)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("running talk-to-edit eval")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn number(cell: &str) -> f64 {
    cell.trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

#[test]
fn eval_on_one_face_writes_table_records_and_figure_and_resumes() {
    support::ensure_models();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let args = ["--faces", "1", "--attribute", "smiling"];
    let first = eval(&args, &out);
    assert!(first.status.success(), "{}", stderr(&first));

    // The table: one row per method with numbers in every column.
    let md = std::fs::read_to_string(out.join("eval.md")).unwrap();
    assert!(
        md.contains("eval --faces 1 --attribute smiling --out"),
        "{md}"
    );
    assert!(md.contains("- smiling: 1 faces (100000)"), "{md}");
    for method in ["field", "linear"] {
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| smiling | {method} | ")))
            .unwrap_or_else(|| panic!("no {method} row in\n{md}"));
        let cells: Vec<&str> = row
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells.len(), 11, "{row}");
        assert_eq!(cells[2], "1", "one edit: {row}");
        let images = number(cells[3]);
        if images > 0.0 {
            let distance = number(cells[4]);
            let cos = number(cells[5]);
            assert!((0.0..=2.0).contains(&distance), "{row}");
            assert!((-1.0..=1.0).contains(&cos), "{row}");
            assert!(number(cells[6]) >= 0.0, "{row}");
        }
        assert!([0.0, 100.0].contains(&number(cells[7])), "{row}");
        assert!(number(cells[9]) >= 1.0, "at least one step: {row}");
    }

    // The raw records: one per method, each stage's distance matching its cosine.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(
        json["faces_per_attribute"]["smiling"],
        serde_json::json!([100000])
    );
    let records = json["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{json}");
    let mut methods: Vec<&str> = records
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    methods.sort();
    assert_eq!(methods, ["field", "linear"]);
    for r in records {
        assert_eq!(r["attribute"], "smiling");
        assert_eq!(r["seed"], 100000);
        let (start, target) = (
            r["start_degree"].as_i64().unwrap(),
            r["target"].as_i64().unwrap(),
        );
        assert_eq!((start - target).abs(), 2, "{r}");
        let steps = r["steps"].as_u64().unwrap();
        assert!(steps >= 1, "{r}");
        assert_eq!(
            r["directions"].as_array().unwrap().len() as u64,
            steps,
            "one direction sample per step: {r}"
        );
        for stage in r["stages"].as_array().unwrap() {
            let d = stage["identity_distance"].as_f64().unwrap();
            let c = stage["identity_cos"].as_f64().unwrap();
            assert!(
                (d - (2.0 - 2.0 * c).max(0.0).sqrt()).abs() < 1e-3,
                "{stage}"
            );
            assert!(stage["attribute_ce"].as_f64().unwrap() >= 0.0);
        }
    }
    assert_eq!(json["summaries"].as_array().unwrap().len(), 2);

    // The figure: right size, both method lines drawn.
    let png = image::open(out.join("fig10.png")).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (1200, 800));
    let count = |c: [u8; 3]| png.pixels().filter(|p| p.0 == c).count();
    assert!(count([0, 0, 255]) > 200, "no blue field line");
    assert!(count([255, 0, 0]) > 200, "no red linear line");
    let ink = png.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(ink > 10_000, "figure nearly blank: {ink} non-white pixels");

    // A second run finds both edits in the partial file and edits nothing again.
    let partial = out.join("eval.partial.jsonl");
    let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
    assert_eq!(lines(&partial), 2);
    let second = eval(&args, &out);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(lines(&partial), 2, "resumed edits were redone");
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert_eq!(again["records"], json["records"]);
}

#[test]
fn eval_rejects_bad_arguments_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, message) in [
        (vec!["--faces", "0"], "--faces must be at least 1"),
        (vec!["--change", "4"], "--change must be 1, 2 or 3"),
        (vec!["--threads", "0"], "--threads must be at least 1"),
        (vec!["--alpha", "0"], "--alpha must be positive"),
    ] {
        let o = eval(&args, dir.path());
        assert!(!o.status.success(), "{args:?} was accepted");
        let err = stderr(&o);
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
