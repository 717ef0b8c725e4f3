//! Everything `talk-to-edit train reader` does, as one library call ([`train_reader_run`]): the
//! degree reader ([`super::reader`]) trained ([`super::reader_train`]) on the teacher-labelled
//! renders along edit paths (`label paths`), then its measurements: score monotonicity
//! (Spearman) along held-out paths beside the teachers' and P's, degree counts, held-out
//! confusion matrices against the teachers' degrees, AUC on CelebA's labelled half, and read
//! speed. Seeds ending in 0 or 5 are held out. The binary only turns its flags into a
//! [`ReaderRunConfig`], loads the models and prints the [`ReaderEvent`]s; the pipeline, the
//! dataset layout it reads and the report it writes are here so that they are library code.

use super::reader::{degree_of, teacher_measures, FaceReading, Measures};
use super::reader_train::{spearman, train_reader, ReaderSample, ReaderTrainConfig};
use super::{AttributePredictor, DegreeReader, Measure, Prediction, PredictorError, ScoreRules};
use crate::attributes::Attribute;
use crate::perception::labeller::{read_celeba_attributes, TeacherRecord};
use crate::perception::measures::MEASURE_CROP;
use crate::perception::probes::{auc, LinearProbe};
use crate::perception::{load_photo, AgeEstimator, FacePerception, PerceptionError};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Errors of the reader pipeline.
#[derive(Debug, thiserror::Error)]
pub enum ReaderPipelineError {
    #[error("no paths.shard-*.jsonl in {} (run `talk-to-edit label paths`)", .0.display())]
    NoPaths(PathBuf),
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reading crop {crop}")]
    Crop {
        crop: String,
        source: image::ImageError,
    },
    #[error("{}: {reason}", path.display())]
    Labels { path: PathBuf, reason: String },
    #[error("loading the CelebA photos and the face models")]
    CelebaModels(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("aligning {}", path.display())]
    Align {
        path: PathBuf,
        source: PerceptionError,
    },
    #[error(transparent)]
    Predictor(#[from] PredictorError),
    #[error(transparent)]
    Perception(#[from] PerceptionError),
    #[error(transparent)]
    Format(#[from] std::fmt::Error),
}

/// What one `train reader` run does (the command line's flags and the files it reads).
#[derive(Debug, Clone)]
pub struct ReaderRunConfig {
    /// Directory written by `talk-to-edit label paths`.
    pub data: PathBuf,
    /// Weights written (or, with `eval_only`, read).
    pub out: PathBuf,
    /// Markdown report written (and returned).
    pub report: PathBuf,
    /// CelebA attribute table of the labelled half 000007-000256 (unreadable: not measured).
    pub celeba_labels: PathBuf,
    /// The by-eye labels of the predictor's training faces (`labels.csv`).
    pub labels_csv: PathBuf,
    /// By-eye glasses presence of single renders of the path data (`crop,...,glasses_by_eye`
    /// with 1 / 0 / anything else = unsure; `eyeglasses_band_labels.csv`); unreadable: none.
    pub glasses_labels: PathBuf,
    /// The Bangs probe of the committed label rules, if any.
    pub bangs_probe: Option<LinearProbe>,
    pub epochs: usize,
    /// Training seed (sampling, augmentation, dropout); `None`: the default's.
    pub seed: Option<u64>,
    /// Only evaluate the saved reader.
    pub eval_only: bool,
    /// With `eval_only`: first replace the saved reader's score rules by the current defaults
    /// and save it again; the network is kept (a recalibration).
    pub default_rules: bool,
}

/// The CelebA photos to measure on and the face models that align them.
pub struct CelebaPhotos {
    pub perception: FacePerception,
    pub files: Vec<PathBuf>,
    /// The age network, which reads a photo's age in the product
    /// ([`DegreeReader::read_photo`]): measured beside the reader's own age where given.
    pub age: Option<AgeEstimator>,
}

/// Loads [`CelebaPhotos`] when the CelebA table could be read (so a run without it needs no
/// face models).
pub type CelebaLoader<'a> =
    dyn FnMut() -> Result<CelebaPhotos, Box<dyn std::error::Error + Send + Sync>> + 'a;

/// What the pipeline reports as it goes.
#[derive(Debug, Clone)]
pub enum ReaderEvent {
    /// The labelled renders read.
    Renders {
        total: usize,
        train: usize,
        held_out: usize,
    },
    /// The saved reader's rules were replaced by the defaults (`default_rules`).
    RulesReplaced(PathBuf),
    /// Training step `step` of `steps` ended with `loss`.
    Step {
        step: usize,
        steps: usize,
        loss: f32,
    },
    /// The trained reader was saved.
    Saved(PathBuf),
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
    /// File name under `crops/` (`SEED_ATTRIBUTE_STEP.png`).
    crop: String,
    seed: u64,
    attribute: Attribute,
    t: f64,
    image: image::RgbImage,
    teacher: Measures,
}

/// Whether the paths of `seed` are held out (seeds ending in 0 or 5).
pub fn held_out(seed: u64) -> bool {
    seed.is_multiple_of(5)
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ReaderPipelineError + '_ {
    move |source| ReaderPipelineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_paths(
    data: &Path,
    probe: Option<&LinearProbe>,
) -> Result<Vec<Render>, ReaderPipelineError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let files = crate::jsonl::shard_files(data, "paths").map_err(io_at(data))?;
    if files.is_empty() {
        return Err(ReaderPipelineError::NoPaths(data.to_path_buf()));
    }
    for f in files {
        let file = std::fs::File::open(&f).map_err(io_at(&f))?;
        for line in std::io::BufReader::new(file).lines() {
            let Ok(p) = serde_json::from_str::<PathLine>(&line.map_err(io_at(&f))?) else {
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
                    .map_err(|source| ReaderPipelineError::Crop {
                        crop: crop.clone(),
                        source,
                    })?
                    .to_rgb8();
                out.push(Render {
                    crop,
                    seed: p.seed,
                    attribute: p.attribute,
                    t: s.t,
                    image,
                    teacher: teacher_measures(&record, probe, None),
                });
            }
        }
    }
    Ok(out)
}

/// `labels.csv` degrees by seed (255 = unknown).
pub fn parse_labels_csv(text: &str) -> Result<HashMap<u64, [u8; 5]>, std::num::ParseIntError> {
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

fn labels_csv(path: &Path) -> Result<HashMap<u64, [u8; 5]>, ReaderPipelineError> {
    let text = std::fs::read_to_string(path).map_err(io_at(path))?;
    parse_labels_csv(&text).map_err(|e| ReaderPipelineError::Labels {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// How sure P must be (probability of no glasses, or of any) for its answer to become a
/// presence target on a render without a by-eye label.
const PRESENCE_P_SURE: f32 = 0.95;
/// P's "no glasses" counts only below this frame strength (the degree-0/1 knot of
/// `ScoreRules::glasses_frame`)...
const PRESENCE_NONE_FRAME_BELOW: f32 = 0.95;
/// ...and its "glasses" only from this one (where glasses start on generated faces, READER.md).
const PRESENCE_GLASSES_FRAME_FROM: f32 = 1.1;

/// By-eye glasses presence by crop name from a `crop,...,glasses_by_eye` table (1 = glasses,
/// 0 = none; other values, unsure, are left out).
pub fn parse_glasses_labels(text: &str) -> HashMap<String, bool> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let (Some(crop), Some(label)) = (
        header.iter().position(|h| *h == "crop"),
        header.iter().position(|h| *h == "glasses_by_eye"),
    ) else {
        return HashMap::new();
    };
    lines
        .filter_map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let present = match *c.get(label)? {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            Some((c.get(crop)?.to_string(), present))
        })
        .collect()
}

/// Fills the by-eye targets: `labels.csv` on unmoved renders (t = 0), else P's reading
/// (its beard expected degree and its sunglasses probability, both learnt from by-eye labels).
/// Glasses presence: `labels.csv` at t = 0, else `glasses` (by-eye, by crop), else P where it
/// is sure and the frame measure agrees, else unknown.
fn fill_by_eye_targets(
    renders: &mut [Render],
    p: &AttributePredictor,
    labels: &HashMap<u64, [u8; 5]>,
    glasses: &HashMap<String, bool>,
) -> Result<(), ReaderPipelineError> {
    let images: Vec<image::RgbImage> = renders.iter().map(|r| r.image.clone()).collect();
    let preds = p.predict(&images)?;
    for (r, pr) in renders.iter_mut().zip(preds) {
        let b = Attribute::Beard.index();
        let g = Attribute::Eyeglasses.index();
        r.teacher[Measure::BeardDegree.index()] = pr.expected[b];
        r.teacher[Measure::Sunglasses.index()] = pr.sunglasses();
        // Presence from P only where P and the frame measure agree clearly; P's belief alone
        // taught the reader P's mistakes (dark eye sockets on turned faces read as glasses).
        let none = pr.probabilities[g][0];
        let frame = r.teacher[Measure::Frame.index()];
        r.teacher[Measure::GlassesPresence.index()] =
            if none >= PRESENCE_P_SURE && frame < PRESENCE_NONE_FRAME_BELOW {
                0.0
            } else if 1.0 - none >= PRESENCE_P_SURE && frame >= PRESENCE_GLASSES_FRAME_FROM {
                1.0
            } else {
                f32::NAN
            };
        if let Some(&present) = glasses.get(&r.crop) {
            r.teacher[Measure::GlassesPresence.index()] = if present { 1.0 } else { 0.0 };
        }
        if r.t == 0.0 {
            if let Some(l) = labels.get(&r.seed) {
                if l[b] < 6 {
                    r.teacher[Measure::BeardDegree.index()] = l[b] as f32;
                }
                if l[g] < 6 {
                    r.teacher[Measure::Sunglasses.index()] = if l[g] >= 4 { 1.0 } else { 0.0 };
                    r.teacher[Measure::GlassesPresence.index()] = if l[g] >= 1 { 1.0 } else { 0.0 };
                }
            }
        }
    }
    Ok(())
}

/// `train reader`: reads the labelled paths, trains and saves the reader (or loads it with
/// `eval_only`), measures it, writes the markdown report to `config.report` and returns it.
pub fn train_reader_run(
    config: &ReaderRunConfig,
    p: &AttributePredictor,
    celeba: &mut CelebaLoader<'_>,
    on_event: &mut dyn FnMut(ReaderEvent),
) -> Result<String, ReaderPipelineError> {
    let out = &config.out;
    let device = candle_core::Device::Cpu;
    let mut renders = read_paths(&config.data, config.bangs_probe.as_ref())?;
    let glasses = std::fs::read_to_string(&config.glasses_labels)
        .map(|text| parse_glasses_labels(&text))
        .unwrap_or_default();
    fill_by_eye_targets(&mut renders, p, &labels_csv(&config.labels_csv)?, &glasses)?;
    let (train, test): (Vec<&Render>, Vec<&Render>) =
        renders.iter().partition(|r| !held_out(r.seed));
    on_event(ReaderEvent::Renders {
        total: renders.len(),
        train: train.len(),
        held_out: test.len(),
    });
    let reader = if config.eval_only {
        let reader = DegreeReader::load_file(out, &device)?;
        if config.default_rules {
            let reader = reader.with_rules(ScoreRules::default())?;
            reader.save_file(out, true)?;
            on_event(ReaderEvent::RulesReplaced(out.clone()));
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
        let train_config = ReaderTrainConfig {
            epochs: config.epochs,
            seed: config.seed.unwrap_or(ReaderTrainConfig::default().seed),
            ..ReaderTrainConfig::default()
        };
        let reader = train_reader(
            &samples,
            Some(p),
            &train_config,
            ScoreRules::default(),
            |step, steps, loss| on_event(ReaderEvent::Step { step, steps, loss }),
        )?;
        reader.save_file(out, true)?;
        on_event(ReaderEvent::Saved(out.clone()));
        reader
    };
    let read = HeldOutReadings::of(&reader, p, &test)?;
    let mut report = String::new();
    path_report(&reader, &read, &test, &mut report)?;
    glasses_presence_report(&read, &test, &glasses, &mut report)?;
    celeba_report(&reader, p, &config.celeba_labels, celeba, &mut report)?;
    std::fs::write(&config.report, &report).map_err(io_at(&config.report))?;
    Ok(report)
}

/// The reader's and P's readings of the held-out renders, read once for every report.
struct HeldOutReadings {
    /// The reader's, in the renders' order.
    readings: Vec<FaceReading>,
    /// P's, in the renders' order.
    preds: Vec<Prediction>,
    /// The reader's time per face.
    per_face_ms: f64,
}

impl HeldOutReadings {
    fn of(
        reader: &DegreeReader,
        p: &AttributePredictor,
        test: &[&Render],
    ) -> Result<Self, ReaderPipelineError> {
        let images: Vec<image::RgbImage> = test.iter().map(|r| r.image.clone()).collect();
        let started = std::time::Instant::now();
        let readings = reader.read(&images)?;
        let per_face_ms = started.elapsed().as_secs_f64() * 1000.0 / images.len().max(1) as f64;
        Ok(Self {
            readings,
            preds: p.predict(&images)?,
            per_face_ms,
        })
    }
}

/// Monotonicity along held-out paths, degree counts and confusion matrices.
fn path_report(
    reader: &DegreeReader,
    read: &HeldOutReadings,
    test: &[&Render],
    report: &mut String,
) -> Result<(), ReaderPipelineError> {
    let (readings, preds, per_face_ms) = (&read.readings, &read.preds, read.per_face_ms);
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

/// Glasses or none on the held-out renders that have a by-eye presence label: AUC of the
/// reader's presence measure, its eyeglasses score, the teachers' frame measure and P's
/// expected degree, and how often the reader's degree says glasses (degree >= 1) on each side.
fn glasses_presence_report(
    read: &HeldOutReadings,
    test: &[&Render],
    glasses: &HashMap<String, bool>,
    report: &mut String,
) -> Result<(), ReaderPipelineError> {
    // (position among the held-out renders, the render, glasses by eye)
    let labelled: Vec<(usize, &Render, bool)> = test
        .iter()
        .enumerate()
        .filter_map(|(i, r)| glasses.get(&r.crop).map(|&g| (i, *r, g)))
        .collect();
    writeln!(report, "## Glasses or none, by eye (held-out renders)\n")?;
    if labelled.is_empty() {
        writeln!(report, "No held-out render has a by-eye presence label.\n")?;
        return Ok(());
    }
    let readings: Vec<&FaceReading> = labelled
        .iter()
        .map(|(i, _, _)| &read.readings[*i])
        .collect();
    let preds: Vec<&Prediction> = labelled.iter().map(|(i, _, _)| &read.preds[*i]).collect();
    let truth: Vec<bool> = labelled.iter().map(|(_, _, g)| *g).collect();
    let g = Attribute::Eyeglasses;
    let column = |f: &dyn Fn(usize) -> f32| (0..labelled.len()).map(f).collect::<Vec<f32>>();
    let presence = column(&|i| readings[i].measures[Measure::GlassesPresence.index()]);
    let presence_auc = if presence.iter().all(|v| v.is_finite()) {
        format!("{:.3}", auc(&presence, &truth))
    } else {
        "- (this reader has no presence measure)".to_string()
    };
    let score = column(&|i| readings[i].score(g));
    let frame = column(&|i| labelled[i].1.teacher[Measure::Frame.index()]);
    let p_expected = column(&|i| preds[i].expected[g.index()]);
    let with = truth.iter().filter(|&&t| t).count();
    let said = |want: bool| {
        (0..labelled.len())
            .filter(|&i| truth[i] == want && readings[i].get(g).degree >= 1)
            .count()
    };
    writeln!(
        report,
        "{} renders ({with} with glasses, {} without). AUC of glasses vs none: reader presence {presence_auc}, reader score {:.3}, frame measure {:.3}, P's expected degree {:.3}. The reader's degree is 1 or more on {} of the {with} with glasses and on {} of the {} without.\n",
        labelled.len(),
        labelled.len() - with,
        auc(&score, &truth),
        auc(&frame, &truth),
        auc(&p_expected, &truth),
        said(true),
        said(false),
        labelled.len() - with,
    )?;
    Ok(())
}

/// The CelebA label that stands for "degree above 0" of each attribute (in
/// [`Attribute::ALL`]'s order), and whether it is negated.
pub const CELEBA_LABELS: [(&str, bool); 5] = [
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
    celeba: &mut CelebaLoader<'_>,
    report: &mut String,
) -> Result<(), ReaderPipelineError> {
    let attrs = match read_celeba_attributes(table) {
        Ok(a) => a,
        Err(e) => {
            writeln!(report, "## CelebA\n\nnot measured: {e}\n")?;
            return Ok(());
        }
    };
    let CelebaPhotos {
        perception,
        files,
        age,
    } = celeba().map_err(ReaderPipelineError::CelebaModels)?;
    let (mut rs, mut ps, mut ys, mut profile) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    let mut photo_ages = Vec::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(a) = attrs.get(name) else { continue };
        let photo = load_photo(f)?;
        let aligned = match perception.align(&photo, MEASURE_CROP) {
            Ok(x) => x,
            Err(PerceptionError::NoFace) => continue,
            Err(source) => {
                return Err(ReaderPipelineError::Align {
                    path: f.clone(),
                    source,
                })
            }
        };
        let r = reader.read_with_landmarks(&aligned.crop, &aligned.crop_landmarks().0)?;
        if r.degree(Attribute::Bangs).is_none() && r.degree(Attribute::Age).is_some() {
            profile += 1;
        }
        if age.is_some() {
            let as_photo = reader.read_photo(&photo, &aligned, age.as_ref())?;
            photo_ages.push(as_photo.score(Attribute::Age));
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
    if !photo_ages.is_empty() {
        let i = Attribute::Age.index();
        let y: Vec<bool> = ys.iter().map(|v| v[i]).collect();
        writeln!(
            report,
            "\nAge as the product reads a photo (the age network on the photo, \
             `DegreeReader::read_photo`): AUC {:.3}.",
            auc(&photo_ages, &y)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glasses_labels_read_by_crop_and_leave_out_the_unsure() {
        let text = "crop,frame_strength,glasses_by_eye\n\
                    1_eyeglasses_2.png,0.5,1\n\
                    1_eyeglasses_3.png,0.6,0\n\
                    2_eyeglasses_4.png,0.7,unsure\n";
        let g = parse_glasses_labels(text);
        assert_eq!(g.len(), 2);
        assert_eq!(g.get("1_eyeglasses_2.png"), Some(&true));
        assert_eq!(g.get("1_eyeglasses_3.png"), Some(&false));
        assert!(!g.contains_key("2_eyeglasses_4.png"));
        assert!(parse_glasses_labels("seed,glasses\n1,1\n").is_empty());
    }

    #[test]
    fn labels_csv_reads_degrees_by_seed_with_unknowns() {
        let text = "seed,psi,bangs,eyeglasses,beard,smiling,age\n\
                    100001,0.7,0,5,-,2,3\n\
                    short,line\n\
                    100002,1,1,1,1,1,9\n";
        let labels = parse_labels_csv(text).unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[&100_001], [0, 5, 255, 2, 3]);
        assert_eq!(labels[&100_002], [1, 1, 1, 1, 9]);
        assert!(parse_labels_csv("h\nx,1,0,0,0,0,0\n").is_err());
    }

    #[test]
    fn paths_of_seeds_ending_in_0_or_5_are_held_out() {
        let held: Vec<u64> = (100_000..100_012).filter(|&s| held_out(s)).collect();
        assert_eq!(held, [100_000, 100_005, 100_010]);
    }

    #[test]
    fn a_directory_without_path_shards_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("tte-reader-pipeline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = read_paths(&dir, None).err().unwrap();
        assert!(
            err.to_string().contains("run `talk-to-edit label paths`"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
