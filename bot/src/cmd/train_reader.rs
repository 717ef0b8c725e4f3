//! `talk-to-edit train reader`: the degree reader (`engine::predictor::reader`) from the
//! teacher-labelled renders along edit paths (`label paths`), then its measurements: score
//! monotonicity (Spearman) along held-out paths beside the teachers' and P's, degree counts,
//! held-out confusion matrices against the teachers' degrees, AUC on CelebA's labelled half, and
//! read speed. Seeds ending in 0 or 5 are held out.

use anyhow::{bail, Context};
use engine::perception::labeller::{read_celeba_attributes, TeacherRecord};
use engine::perception::measures::MEASURE_CROP;
use engine::perception::probes::{auc, LinearProbe};
use engine::perception::{load_photo, PerceptionError};
use engine::predictor::reader::{degree_of, teacher_measures, Measures};
use engine::predictor::reader_train::{spearman, train_reader, ReaderSample, ReaderTrainConfig};
use engine::predictor::{AttributePredictor, DegreeReader, Measure, ScoreRules};
use engine::Attribute;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ReaderArgs {
    /// Directory written by `talk-to-edit label paths`.
    #[arg(long)]
    data: PathBuf,
    /// Output weights (default: models/trained/reader.safetensors).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Markdown report (default: models/trained/reader.eval.md).
    #[arg(long)]
    report: Option<PathBuf>,
    /// CelebA attribute table of the labelled half 000007-000256.
    #[arg(long, default_value = "data/celeba_attrs_000007-000256.tsv")]
    celeba_labels: PathBuf,
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Only evaluate the saved reader.
    #[arg(long)]
    eval_only: bool,
    /// With --eval-only: first replace the saved reader's score rules by the current defaults
    /// (`ScoreRules::default()`) and save it again; the network is kept (a recalibration).
    #[arg(long, requires = "eval_only")]
    default_rules: bool,
}

#[derive(Deserialize)]
struct PathLine {
    seed: u64,
    attribute: Attribute,
    steps: Vec<PathStep>,
}

#[derive(Deserialize)]
struct PathStep {
    t: f64,
    crop: Option<String>,
    record: Option<TeacherRecord>,
}

/// One labelled render.
struct Render {
    seed: u64,
    attribute: Attribute,
    t: f64,
    image: image::RgbImage,
    teacher: Measures,
}

fn held_out(seed: u64) -> bool {
    seed.is_multiple_of(5)
}

fn read_paths(data: &Path) -> anyhow::Result<Vec<Render>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let probe = bangs_probe();
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("paths.shard-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "no paths.shard-*.jsonl in {} (run `talk-to-edit label paths`)",
            data.display()
        );
    }
    for f in files {
        for line in std::io::BufReader::new(std::fs::File::open(&f)?).lines() {
            let Ok(p) = serde_json::from_str::<PathLine>(&line?) else {
                continue; // a line cut by an interruption
            };
            if !seen.insert(p.seed) {
                continue;
            }
            for s in p.steps {
                let (Some(crop), Some(record)) = (s.crop, s.record) else {
                    continue;
                };
                let image = image::open(data.join("crops").join(&crop))
                    .with_context(|| format!("reading crop {crop}"))?
                    .to_rgb8();
                out.push(Render {
                    seed: p.seed,
                    attribute: p.attribute,
                    t: s.t,
                    image,
                    teacher: teacher_measures(&record, probe.as_ref(), None),
                });
            }
        }
    }
    Ok(out)
}

/// The Bangs probe of the committed label rules.
fn bangs_probe() -> Option<LinearProbe> {
    let path = crate::loading::predictor_labels_dir().join("label_rules.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| serde_json::from_value(v["bangs_probe"].clone()).ok())
}

/// `labels.csv` degrees by seed (255 = unknown).
fn labels_csv() -> anyhow::Result<HashMap<u64, [u8; 5]>> {
    let path = crate::loading::predictor_labels_dir().join("labels.csv");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let mut out = HashMap::new();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c.len() != 7 {
            continue;
        }
        let mut d = [255u8; 5];
        for (i, v) in c[2..].iter().enumerate() {
            d[i] = v.parse().unwrap_or(255);
        }
        out.insert(c[0].parse()?, d);
    }
    Ok(out)
}

/// Fills the by-eye targets: `labels.csv` on unmoved renders (t = 0), else P's reading
/// (its beard expected degree and its sunglasses probability, both learnt from by-eye labels).
fn fill_by_eye_targets(
    renders: &mut [Render],
    p: &AttributePredictor,
    labels: &HashMap<u64, [u8; 5]>,
) -> anyhow::Result<()> {
    let images: Vec<image::RgbImage> = renders.iter().map(|r| r.image.clone()).collect();
    let preds = p.predict(&images)?;
    for (r, pr) in renders.iter_mut().zip(preds) {
        let b = Attribute::Beard.index();
        let g = Attribute::Eyeglasses.index();
        r.teacher[Measure::BeardDegree.index()] = pr.expected[b];
        r.teacher[Measure::Sunglasses.index()] = pr.probabilities[g][4] + pr.probabilities[g][5];
        if r.t == 0.0 {
            if let Some(l) = labels.get(&r.seed) {
                if l[b] < 6 {
                    r.teacher[Measure::BeardDegree.index()] = l[b] as f32;
                }
                if l[g] < 6 {
                    r.teacher[Measure::Sunglasses.index()] = if l[g] >= 4 { 1.0 } else { 0.0 };
                }
            }
        }
    }
    Ok(())
}

pub fn run(args: ReaderArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::loading::trained_dir().join("reader.safetensors"));
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| crate::loading::trained_dir().join("reader.eval.md"));
    let device = candle_core::Device::Cpu;
    let p = AttributePredictor::load_file(&crate::loading::predictor_path(), &device)?;
    let mut renders = read_paths(&args.data)?;
    fill_by_eye_targets(&mut renders, &p, &labels_csv()?)?;
    let (train, test): (Vec<&Render>, Vec<&Render>) =
        renders.iter().partition(|r| !held_out(r.seed));
    eprintln!(
        "{} renders ({} training, {} held out)",
        renders.len(),
        train.len(),
        test.len()
    );
    let reader = if args.eval_only {
        let reader = DegreeReader::load_file(&out, &device)?;
        if args.default_rules {
            let reader = reader.with_rules(ScoreRules::default())?;
            reader.save_file(&out, true)?;
            eprintln!("rules replaced by the defaults in {}", out.display());
            reader
        } else {
            reader
        }
    } else {
        let samples: Vec<ReaderSample> = train
            .iter()
            .map(|r| ReaderSample {
                image: r.image.clone(),
                targets: r.teacher,
            })
            .collect();
        let config = ReaderTrainConfig {
            epochs: args.epochs,
            ..ReaderTrainConfig::default()
        };
        let started = std::time::Instant::now();
        let reader = train_reader(
            &samples,
            Some(&p),
            &config,
            ScoreRules::default(),
            |s, n, l| {
                if s % 50 == 0 || s == n {
                    eprintln!(
                        "step {s}/{n} loss {l:.4} ({:.0} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
            },
        )?;
        reader.save_file(&out, true)?;
        eprintln!("saved {}", out.display());
        reader
    };
    let mut report = String::new();
    path_report(&reader, &p, &test, &mut report)?;
    celeba_report(&reader, &p, &args.celeba_labels, &mut report)?;
    std::fs::write(&report_path, &report)?;
    println!("{report}");
    Ok(())
}

/// Monotonicity along held-out paths, degree counts and confusion matrices.
fn path_report(
    reader: &DegreeReader,
    p: &AttributePredictor,
    test: &[&Render],
    report: &mut String,
) -> anyhow::Result<()> {
    let images: Vec<image::RgbImage> = test.iter().map(|r| r.image.clone()).collect();
    let started = std::time::Instant::now();
    let readings = reader.read(&images)?;
    let per_face_ms = started.elapsed().as_secs_f64() * 1000.0 / images.len().max(1) as f64;
    let preds = p.predict(&images)?;
    let rules = reader.rules();
    writeln!(report, "## Held-out paths (seeds ending in 0 or 5)\n")?;
    writeln!(
        report,
        "{} held-out renders; reading took {per_face_ms:.2} ms a face (batches of 32, this CPU).\n",
        test.len()
    )?;
    writeln!(report, "Spearman of the score against the step along the attribute's linear direction, per path (7 renders; paths with a face at every step):\n")?;
    writeln!(report, "| attribute | paths | reader median | reader >= 0.9 | teacher median | teacher >= 0.9 | P E[d] median | P >= 0.9 | reader degrees seen along paths |")?;
    writeln!(report, "|---|---:|---:|---:|---:|---:|---:|---:|---|")?;
    for a in Attribute::ALL {
        let mut by_seed: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, r) in test.iter().enumerate() {
            if r.attribute == a {
                by_seed.entry(r.seed).or_default().push(i);
            }
        }
        let (mut rs, mut ts, mut ps) = (Vec::new(), Vec::new(), Vec::new());
        let mut degrees = [0usize; 6];
        for idx in by_seed.values().filter(|v| v.len() == 7) {
            let t: Vec<f32> = idx.iter().map(|&i| test[i].t as f32).collect();
            let reader_s: Vec<f32> = idx.iter().map(|&i| readings[i].score(a)).collect();
            let teacher_s: Vec<f32> = idx
                .iter()
                .map(|&i| rules.scores(&test[i].teacher)[a.index()])
                .collect();
            let p_s: Vec<f32> = idx.iter().map(|&i| preds[i].expected[a.index()]).collect();
            for &i in idx {
                degrees[readings[i].get(a).degree as usize] += 1;
            }
            rs.push(spearman(&t, &reader_s).unwrap_or(0.0));
            ts.push(spearman(&t, &teacher_s).unwrap_or(0.0));
            ps.push(spearman(&t, &p_s).unwrap_or(0.0));
        }
        let med = |v: &mut Vec<f64>| -> f64 {
            if v.is_empty() {
                return f64::NAN;
            }
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let share = |v: &[f64]| v.iter().filter(|&&x| x >= 0.9).count();
        let n = rs.len();
        let (sr, st, sp) = (share(&rs), share(&ts), share(&ps));
        writeln!(
            report,
            "| {} | {n} | {:.3} | {sr} | {:.3} | {st} | {:.3} | {sp} | {:?} |",
            a.name(),
            med(&mut rs),
            med(&mut ts),
            med(&mut ps),
            degrees
        )?;
    }
    writeln!(
        report,
        "\n## Degrees on all held-out renders, and against the teachers\n"
    )?;
    writeln!(report, "Rows: the teachers' degree (the same rules on the teachers' own measures; beard and sunglasses: by-eye labels at t = 0, P elsewhere); columns: the reader's degree.\n")?;
    for a in Attribute::ALL {
        let mut m = [[0usize; 6]; 6];
        let mut na = 0usize;
        for (i, r) in test.iter().enumerate() {
            let ts = rules.scores(&r.teacher)[a.index()];
            if !ts.is_finite() {
                continue;
            }
            if readings[i].degree(a).is_none() {
                na += 1;
            }
            m[degree_of(ts) as usize][readings[i].get(a).degree as usize] += 1;
        }
        let total: usize = m.iter().flatten().sum();
        let exact: usize = (0..6).map(|d| m[d][d]).sum();
        let within: usize = (0..6)
            .flat_map(|d: usize| (0..6usize).map(move |e| (d, e)))
            .filter(|(d, e)| d.abs_diff(*e) <= 1)
            .map(|(d, e)| m[d][e])
            .sum();
        writeln!(
            report,
            "**{}**: exact {:.1} %, within one {:.1} %, not applicable {na} of {total}\n",
            a.name(),
            100.0 * exact as f64 / total.max(1) as f64,
            100.0 * within as f64 / total.max(1) as f64
        )?;
        writeln!(
            report,
            "| teacher \\ reader | 0 | 1 | 2 | 3 | 4 | 5 |\n|---|---:|---:|---:|---:|---:|---:|"
        )?;
        for (d, row) in m.iter().enumerate() {
            writeln!(
                report,
                "| {d} | {} |",
                row.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            )?;
        }
        writeln!(report)?;
    }
    Ok(())
}

const CELEBA_LABELS: [(&str, bool); 5] = [
    ("Bangs", false),
    ("Eyeglasses", false),
    ("No_Beard", true),
    ("Smiling", false),
    ("Young", true),
];

/// AUC of the reader's score (and P's expected degree) against CelebA's labels on the labelled
/// half 000007-000256.
fn celeba_report(
    reader: &DegreeReader,
    p: &AttributePredictor,
    table: &Path,
    report: &mut String,
) -> anyhow::Result<()> {
    let attrs = match read_celeba_attributes(table) {
        Ok(a) => a,
        Err(e) => {
            writeln!(report, "## CelebA\n\nnot measured: {e}\n")?;
            return Ok(());
        }
    };
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let files = store.celeba_faces(models::Split::Train)?;
    let (mut rs, mut ps, mut ys, mut profile) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(a) = attrs.get(name) else { continue };
        let aligned = match perception.align(&load_photo(f)?, MEASURE_CROP) {
            Ok(x) => x,
            Err(PerceptionError::NoFace) => continue,
            Err(e) => return Err(e.into()),
        };
        let r = reader.read_with_landmarks(&aligned.crop, &aligned.crop_landmarks().0)?;
        if r.degree(Attribute::Bangs).is_none() && r.degree(Attribute::Age).is_some() {
            profile += 1;
        }
        let pr = p.predict(std::slice::from_ref(&aligned.crop))?.remove(0);
        rs.push(Attribute::ALL.map(|x| r.score(x)));
        ps.push(pr.expected);
        ys.push(CELEBA_LABELS.map(|(l, neg)| a.get(l).copied().unwrap_or(false) != neg));
    }
    writeln!(
        report,
        "## CelebA labelled half (000007-000256, real photos, never trained on)\n"
    )?;
    writeln!(report, "{} faces found; {profile} read as not applicable for bangs (profile or covered forehead).\n", rs.len())?;
    writeln!(report, "| attribute | CelebA label | positives | AUC reader score | AUC P E[d] |\n|---|---|---:|---:|---:|")?;
    for (i, a) in Attribute::ALL.iter().enumerate() {
        let y: Vec<bool> = ys.iter().map(|v| v[i]).collect();
        let r: Vec<f32> = rs.iter().map(|v| v[i]).collect();
        let pv: Vec<f32> = ps.iter().map(|v| v[i]).collect();
        let (l, neg) = CELEBA_LABELS[i];
        writeln!(
            report,
            "| {} | {}{l} | {} | {:.3} | {:.3} |",
            a.name(),
            if neg { "not " } else { "" },
            y.iter().filter(|&&b| b).count(),
            auc(&r, &y),
            auc(&pv, &y)
        )?;
    }
    Ok(())
}
