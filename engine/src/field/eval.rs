//! The paper's quantitative comparison (Table 1, Fig. 10, supplement C) of the trained semantic
//! fields with the linear (InterFaceGAN-style) baseline, on held-out generated faces rendered at
//! 1024 px and read by the real predictor P. `talk-to-edit eval` is its command line: it loads the
//! models, calls [`evaluate`] and draws `fig10.png` from [`EvalOutput::fig10`]. The pipeline is
//! here, in the library, so that its pieces (targets, face sets, resuming, the summaries and the
//! written report) are tested as library code and the binary stays a shell.
//!
//! Protocol (decisions documented in the written `eval.md`):
//! - Faces: the labelled dataset's held-out seeds with truncation psi 1.0, in order (seed
//!   `100000 + 10 j`, [`super::methods::held_out_face`]); neither P nor the fields were
//!   trained on them. For eyeglasses and beard only faces P reads above degree 0 are taken
//!   (supplement C: editing degree 0 led to artifacts for every method), unless
//!   [`EvalConfig::keep_degree_zero`].
//! - Edits: per face, attribute and method one `edit_until` call (the editing loop with the
//!   rendered check's reader and step length) towards [`EvalConfig::change`] degrees (2 on the
//!   command line) away from the start, up from degrees 0..=3 and down from 4 and 5; the loop
//!   passes one degree at a time and keeps the most confident step per degree: every degree stage
//!   between the start and the target is one edited image of eq. 12 and 13.
//! - Metrics ([`super::metrics`]): identity distance (eq. 12, L2-normalised fr_feature
//!   embeddings) and cosine, P' cross-entropy on the four untouched attributes against P''s
//!   reading of the start (eq. 13), share of edits reaching the target, mean steps, and the Fig. 10
//!   curve (mean cosine of each step's direction with the first, against the degree change).
//!
//! Writes `DIR/eval.md` and `DIR/eval.json`; finished edits are appended to
//! `DIR/eval.partial.jsonl` ([`PARTIAL_FILE`]) as they end, and a rerun with the same settings
//! resumes from it.

use super::edit::{Probabilities, READ_SIZE};
use super::methods::{argmax, check_reader, field_step_norm, held_out_face, method_steppers};
use super::metrics::{
    attribute_cross_entropy, direction_curve, direction_samples, identity_distance, summarise,
    CurvePoint, DirectionSample, EditScore, EditSummary, StageScore,
};
use super::{
    edit_until, DegreeReader, EditConfig, EditOutcome, EditTrace, FieldError, GeneratorReader,
    LatentStepper, LinearDirection, SemanticField,
};
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::generator::Generator;
use crate::perception::identity::generated_identity_crop;
use crate::perception::{cosine, Embedding, FacePerception, IdentityEncoder, PerceptionError};
use crate::predictor::AttributePredictor;
use image::imageops::FilterType;
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Held-out faces of the labelled dataset: of its 3000 seeds 100000..=102999 the 300 ending in 0
/// are held out; they sit at even offsets, so all of them render at psi 1.0.
pub const HELD_OUT_FACES: usize = 300;

/// The two methods compared, as named in the records.
pub const METHODS: [&str; 2] = ["field", "linear"];

/// Finished edits, one JSON record a line, appended as they end (`DIR/eval.partial.jsonl`).
pub const PARTIAL_FILE: &str = "eval.partial.jsonl";

/// Errors of the evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("bad eval config: {0}")]
    BadConfig(String),
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("start face {seed}")]
    StartFace { seed: u64, source: Box<EvalError> },
    #[error("the reader kept no render of {0}")]
    NoRender(&'static str),
    #[error("a worker failed while writing the partial results")]
    PartialLock,
    #[error("starting the worker threads: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Perception(#[from] PerceptionError),
    #[error(transparent)]
    Predictor(#[from] crate::predictor::PredictorError),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> EvalError + '_ {
    move |source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What one evaluation run does (the command line's flags).
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Faces per attribute: the first held-out seeds (100000 + 10 j, psi 1.0) that qualify.
    pub faces: usize,
    /// Output directory (eval.md, eval.json, eval.partial.jsonl; the binary adds fig10.png).
    pub out: PathBuf,
    /// Edits run at once (each on its own thread of one pool that also runs candle's kernels).
    pub threads: usize,
    /// Degrees each edit asks for (1..=3): up from the start, or down where that would pass 5.
    pub change: usize,
    /// Also evaluate eyeglasses and beard on faces P reads at degree 0.
    pub keep_degree_zero: bool,
    /// Step size a (field: `a F`; linear: `a` times the field's mean step length).
    pub alpha: f64,
    /// Held-out faces to look through at most when filling each attribute's set (capped at
    /// [`HELD_OUT_FACES`]).
    pub scan: usize,
    /// Ignore the partial results of an earlier run and start afresh.
    pub fresh: bool,
    /// The command line as the report shows it.
    pub command: String,
    /// When the invocation began: the report's run time counts from here.
    pub started: Instant,
}

impl EvalConfig {
    /// Checks the numbers before anything is loaded or written.
    pub fn validate(&self) -> Result<(), EvalError> {
        let bad = |m: String| Err(EvalError::BadConfig(m));
        if self.faces == 0 {
            return bad("faces must be at least 1".into());
        }
        if !(1..=3).contains(&self.change) {
            return bad(format!(
                "change must be 1, 2 or 3 degrees, got {}",
                self.change
            ));
        }
        if self.threads == 0 {
            return bad("threads must be at least 1".into());
        }
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return bad(format!("alpha must be positive, got {}", self.alpha));
        }
        Ok(())
    }
}

/// The models every worker reads.
pub struct EvalModels<'a> {
    pub generator: &'a Generator,
    /// P: reads the degrees the editing loop steers by.
    pub predictor: &'a AttributePredictor,
    /// P': scores the untouched attributes (eq. 13).
    pub prime: &'a AttributePredictor,
    pub perception: &'a FacePerception,
    pub identity: &'a IdentityEncoder,
}

impl EvalModels<'_> {
    fn reader(&self) -> GeneratorReader<'_> {
        check_reader(
            self.generator,
            self.predictor,
            self.perception,
            self.identity,
            Some(1024),
        )
    }
}

/// One attribute's two methods: its trained field and its linear direction.
pub struct AttributeMethods {
    pub field: SemanticField,
    pub linear: LinearDirection,
}

/// Where the run is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum EvalProgress<'a> {
    /// Start faces read so far, of at most `scan`.
    StartFaces { read: usize, scan: usize },
    /// The start faces are read.
    StartFacesDone,
    /// Edits to run in this invocation (those of the partial file are not run again).
    Editing { todo: usize },
    /// One edit finished.
    EditDone {
        attribute: Attribute,
        method: &'a str,
    },
    /// Every edit finished.
    EditsDone,
}

/// What a run wrote, for the caller to show and draw.
#[derive(Debug, Clone)]
pub struct EvalOutput {
    /// The report (also written to `DIR/eval.md`).
    pub markdown: String,
    /// The Fig. 10 curves, one per attribute and method.
    pub fig10: Vec<CurveRow>,
    /// Edits in the report (resumed ones included).
    pub edits: usize,
    /// Seconds since [`EvalConfig::started`].
    pub seconds: f32,
}

/// What the evaluation needs of a start face.
struct StartFace {
    seed: u64,
    psi: f64,
    /// Degrees P reads on the render (aligned), as the editing loop reads them.
    degrees: [usize; 5],
    /// P' on the aligned render: the labels of eq. 13.
    prime: Probabilities,
    identity: Embedding,
}

/// One edit's raw record (a line of `eval.partial.jsonl`, an entry of `eval.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditRecord {
    pub attribute: Attribute,
    pub method: String,
    pub seed: u64,
    pub psi: f64,
    pub change: usize,
    pub alpha: f64,
    pub start_degree: usize,
    pub target: usize,
    pub outcome: EditOutcome,
    pub result_degree: usize,
    /// Other attributes whose degree (read by P) left its start value.
    pub others_moved: Vec<Attribute>,
    #[serde(flatten)]
    pub score: EditScore,
    pub directions: Vec<DirectionSample>,
    pub seconds: f32,
}

#[derive(Serialize)]
struct EvalJson<'a> {
    command: &'a str,
    faces_per_attribute: &'a BTreeMap<Attribute, Vec<u64>>,
    linear_step_norms: &'a BTreeMap<Attribute, f32>,
    edit_config: &'a EditConfig,
    summaries: &'a [SummaryRow],
    fig10: &'a [CurveRow],
    records: &'a [EditRecord],
}

/// One row of the table: an attribute's edits by one method.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    pub attribute: Attribute,
    pub method: String,
    #[serde(flatten)]
    pub summary: EditSummary,
    /// Share of edits in which P read another attribute leave its start degree.
    pub others_moved_share: Option<f32>,
}

/// One line of the Fig. 10 analogue.
#[derive(Debug, Clone, Serialize)]
pub struct CurveRow {
    pub attribute: Attribute,
    pub method: String,
    pub points: Vec<CurvePoint>,
}

/// The target `change` degrees away: up where that stays within 0..=5, else down.
pub fn target_of(start: usize, change: usize) -> usize {
    if start + change < NUM_DEGREES {
        start + change
    } else {
        start - change
    }
}

/// Whether a face whose attribute P reads at `degree` belongs to that attribute's set.
pub fn qualifies(attribute: Attribute, degree: usize, keep_degree_zero: bool) -> bool {
    keep_degree_zero || degree > 0 || !matches!(attribute, Attribute::Eyeglasses | Attribute::Beard)
}

/// The aligned face P and P' read (as `GeneratorReader` does: the render resized where no face is
/// found).
fn aligned(perception: &FacePerception, full: &RgbImage) -> Result<RgbImage, EvalError> {
    match perception.align(full, READ_SIZE) {
        Ok(a) => Ok(a.crop),
        Err(PerceptionError::NoFace | PerceptionError::FaceTooSmall(_)) => Ok(
            image::imageops::resize(full, READ_SIZE, READ_SIZE, FilterType::Triangle),
        ),
        Err(e) => Err(e.into()),
    }
}

/// P' probabilities and the identity embedding of a 1024 px render.
fn score_image(
    models: &EvalModels,
    full: &RgbImage,
) -> Result<(Probabilities, Embedding), EvalError> {
    let crop = aligned(models.perception, full)?;
    let prime = models
        .prime
        .predict(std::slice::from_ref(&crop))?
        .remove(0)
        .probabilities;
    let identity = models.identity.embed(&generated_identity_crop(full)?)?;
    Ok((prime, identity))
}

fn read_start(models: &EvalModels, seed: u64, psi: f64) -> Result<StartFace, EvalError> {
    let w = super::methods::seed_latents(models.generator, &[(seed, psi)])?;
    let reading = models.reader().read(&w)?;
    let full = reading
        .image
        .as_ref()
        .ok_or(EvalError::NoRender("the start face"))?;
    let (prime, identity) = score_image(models, full)?;
    Ok(StartFace {
        seed,
        psi,
        degrees: std::array::from_fn(|h| argmax(&reading.probabilities[h])),
        prime,
        identity,
    })
}

/// The scores of a finished edit: one stage per degree passed between the start (exclusive) and
/// the target, scored on its kept render.
fn score_trace(
    models: &EvalModels,
    start: &StartFace,
    trace: &EditTrace,
) -> Result<EditScore, EvalError> {
    let (lo, hi) = if trace.target >= trace.start_degree {
        (trace.start_degree + 1, trace.target)
    } else {
        (trace.target, trace.start_degree - 1)
    };
    let mut stages = Vec::new();
    for stage in trace
        .stages
        .iter()
        .filter(|s| (lo..=hi).contains(&s.degree))
    {
        let full = trace.steps[stage.step]
            .image
            .as_ref()
            .ok_or(EvalError::NoRender("an edit step"))?;
        let (prime, identity) = score_image(models, full)?;
        stages.push(StageScore {
            degree: stage.degree,
            step: stage.step,
            identity_distance: identity_distance(&start.identity, &identity)?,
            identity_cos: cosine(&start.identity, &identity),
            attribute_ce: attribute_cross_entropy(&start.prime, &prime, trace.attribute),
        });
    }
    stages.sort_by_key(|s| s.degree.abs_diff(trace.start_degree));
    let progressed = trace
        .steps
        .iter()
        .any(|s| (lo..=hi).contains(&s.degree) && s.index > 0);
    Ok(EditScore {
        reached: trace.reached,
        progressed,
        steps: trace.steps.len() - 1,
        stages,
    })
}

/// Records of an earlier run with the same change and step size; lines cut short by an
/// interrupted run are skipped (those edits are done again).
pub fn read_partial(path: &Path, change: usize, alpha: f64) -> Result<Vec<EditRecord>, EvalError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut records = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<EditRecord>(&line) {
            Ok(r) if r.change == change && r.alpha == alpha => records.push(r),
            Ok(_) => {}
            Err(e) => tracing::warn!(line = n + 1, "skipping an unreadable partial record: {e}"),
        }
    }
    Ok(records)
}

/// The records of this run's sets (`wanted`: attribute and seed), earlier ones and new ones
/// together, in a stable order (attribute, method, seed), one per edit.
pub fn merge_records(
    earlier: Vec<EditRecord>,
    new: Vec<EditRecord>,
    wanted: &HashSet<(Attribute, u64)>,
) -> Vec<EditRecord> {
    let mut records: Vec<EditRecord> = earlier
        .into_iter()
        .chain(new)
        .filter(|r| wanted.contains(&(r.attribute, r.seed)))
        .collect();
    records.sort_by(|a, b| {
        (a.attribute.index(), &a.method, a.seed).cmp(&(b.attribute.index(), &b.method, b.seed))
    });
    records.dedup_by(|a, b| (a.attribute, &a.method, a.seed) == (b.attribute, &b.method, b.seed));
    records
}

/// The table's rows and the Fig. 10 curves: per attribute (in the given order) one of each per
/// method, in [`METHODS`] order.
pub fn summarise_records(
    records: &[EditRecord],
    attributes: &[Attribute],
) -> (Vec<SummaryRow>, Vec<CurveRow>) {
    let mut summaries = Vec::new();
    let mut curves = Vec::new();
    for &a in attributes {
        for m in METHODS {
            let of: Vec<&EditRecord> = records
                .iter()
                .filter(|r| r.attribute == a && r.method == m)
                .collect();
            let scores: Vec<EditScore> = of.iter().map(|r| r.score.clone()).collect();
            summaries.push(SummaryRow {
                attribute: a,
                method: m.into(),
                summary: summarise(&scores),
                others_moved_share: (!of.is_empty()).then(|| {
                    of.iter().filter(|r| !r.others_moved.is_empty()).count() as f32
                        / of.len() as f32
                }),
            });
            let samples: Vec<DirectionSample> =
                of.iter().flat_map(|r| r.directions.clone()).collect();
            curves.push(CurveRow {
                attribute: a,
                method: m.into(),
                points: direction_curve(&samples),
            });
        }
    }
    (summaries, curves)
}

/// Runs the evaluation of `methods`' attributes (in [`Attribute::ALL`] order) and writes
/// `DIR/eval.md`, `DIR/eval.json` and the partial file; `progress` hears where it is.
pub fn evaluate(
    config: &EvalConfig,
    models: &EvalModels,
    methods: &BTreeMap<Attribute, AttributeMethods>,
    progress: &(dyn Fn(EvalProgress) + Sync),
) -> Result<EvalOutput, EvalError> {
    config.validate()?;
    if methods.is_empty() {
        return Err(EvalError::BadConfig("no attribute to evaluate".into()));
    }
    let attributes: Vec<Attribute> = methods.keys().copied().collect();
    let scan = config.scan.min(HELD_OUT_FACES);
    std::fs::create_dir_all(&config.out).map_err(io_error(&config.out))?;
    let generator = models.generator;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()?;

    // 1. Start faces, read in order of seed until every attribute's set is full.
    let t = Instant::now();
    let mut starts: Vec<StartFace> = Vec::new();
    let full = |starts: &[StartFace]| {
        attributes.iter().all(|&a| {
            starts
                .iter()
                .filter(|s| qualifies(a, s.degrees[a.index()], config.keep_degree_zero))
                .count()
                >= config.faces
        })
    };
    progress(EvalProgress::StartFaces { read: 0, scan });
    while starts.len() < scan && !full(&starts) {
        let from = starts.len();
        let to = (from + config.threads.max(2)).min(scan);
        let batch: Vec<StartFace> = pool.install(|| {
            (from..to)
                .into_par_iter()
                .map(|j| {
                    let (seed, psi) = held_out_face(j as u64);
                    read_start(models, seed, psi).map_err(|e| EvalError::StartFace {
                        seed,
                        source: Box::new(e),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        starts.extend(batch);
        progress(EvalProgress::StartFaces {
            read: starts.len(),
            scan,
        });
    }
    progress(EvalProgress::StartFacesDone);
    tracing::info!(
        read = starts.len(),
        seconds = t.elapsed().as_secs_f32(),
        "start faces read"
    );
    let mut sets: BTreeMap<Attribute, Vec<usize>> = BTreeMap::new();
    for &a in &attributes {
        let set: Vec<usize> = (0..starts.len())
            .filter(|&i| qualifies(a, starts[i].degrees[a.index()], config.keep_degree_zero))
            .take(config.faces)
            .collect();
        if set.len() < config.faces {
            tracing::warn!(
                attribute = a.name(),
                found = set.len(),
                scanned = starts.len(),
                "fewer qualifying held-out faces than asked"
            );
        }
        sets.insert(a, set);
    }

    // 2. Steppers: the check's step length (the field's mean first step on the set's faces).
    let mut norms = BTreeMap::new();
    let mut latents = BTreeMap::new();
    for &a in &attributes {
        let faces: Vec<(u64, f64)> = sets[&a]
            .iter()
            .map(|&i| (starts[i].seed, starts[i].psi))
            .collect();
        let w = if faces.is_empty() {
            None
        } else {
            Some(super::methods::seed_latents(generator, &faces)?)
        };
        if let Some(w) = &w {
            norms.insert(a, field_step_norm(&methods[&a].field, generator, w)?);
        }
        latents.insert(a, w);
    }
    let mut steppers: BTreeMap<(Attribute, &str), Box<dyn LatentStepper + Sync + '_>> =
        BTreeMap::new();
    for (&a, m) in methods {
        if let Some(&norm) = norms.get(&a) {
            let (f, l) = method_steppers(&m.field, &m.linear, generator, norm, config.alpha)?;
            steppers.insert((a, METHODS[0]), Box::new(f));
            steppers.insert((a, METHODS[1]), Box::new(l));
        }
    }

    // 3. Edits, resumed from the partial file.
    let partial_path = config.out.join(PARTIAL_FILE);
    if config.fresh && partial_path.is_file() {
        std::fs::remove_file(&partial_path).map_err(io_error(&partial_path))?;
    }
    let earlier = read_partial(&partial_path, config.change, config.alpha)?;
    let done: HashSet<(Attribute, String, u64)> = earlier
        .iter()
        .map(|r| (r.attribute, r.method.clone(), r.seed))
        .collect();
    let mut jobs = Vec::new();
    for &a in &attributes {
        for (row, &i) in sets[&a].iter().enumerate() {
            for m in METHODS {
                if !done.contains(&(a, m.to_string(), starts[i].seed)) {
                    jobs.push((a, m, row, i));
                }
            }
        }
    }
    let total: usize = sets.values().map(|s| s.len() * METHODS.len()).sum();
    tracing::info!(
        edits = total,
        resumed = total - jobs.len(),
        threads = config.threads,
        "editing"
    );
    let partial = Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial_path)
            .map_err(io_error(&partial_path))?,
    );
    let edit_config = EditConfig::default();
    progress(EvalProgress::Editing { todo: jobs.len() });
    let new_records: Vec<EditRecord> = pool.install(|| {
        jobs.par_iter()
            .map(|&(attribute, method, row, i)| {
                let t = Instant::now();
                let start = &starts[i];
                let w = latents[&attribute]
                    .as_ref()
                    .ok_or_else(|| {
                        EvalError::BadConfig(format!("no latents for the {attribute} set"))
                    })?
                    .narrow(0, row, 1)?;
                let target = target_of(start.degrees[attribute.index()], config.change);
                let stepper = &steppers[&(attribute, method)];
                let trace = edit_until(
                    &models.reader(),
                    stepper.as_ref(),
                    &w,
                    attribute,
                    target,
                    &edit_config,
                )?;
                let score = score_trace(models, start, &trace)?;
                let record = EditRecord {
                    attribute,
                    method: method.to_string(),
                    seed: start.seed,
                    psi: start.psi,
                    change: config.change,
                    alpha: config.alpha,
                    start_degree: trace.start_degree,
                    target,
                    outcome: trace.outcome,
                    result_degree: trace.result().degree,
                    others_moved: trace.others_moved.iter().map(|d| d.attribute).collect(),
                    directions: direction_samples(&trace)?,
                    score,
                    seconds: t.elapsed().as_secs_f32(),
                };
                {
                    let mut file = partial.lock().map_err(|_| EvalError::PartialLock)?;
                    writeln!(file, "{}", serde_json::to_string(&record)?)
                        .and_then(|()| file.flush())
                        .map_err(io_error(&partial_path))?;
                }
                progress(EvalProgress::EditDone {
                    attribute,
                    method: &record.method,
                });
                tracing::info!(
                    attribute = attribute.name(),
                    method = record.method,
                    seed = start.seed,
                    start = trace.start_degree,
                    target,
                    outcome = ?trace.outcome,
                    steps = record.score.steps,
                    seconds = record.seconds,
                    "edit done"
                );
                Ok(record)
            })
            .collect::<Result<Vec<_>, EvalError>>()
    })?;
    progress(EvalProgress::EditsDone);

    // 4. Everything of this run's sets, in a stable order.
    let starts = &starts;
    let wanted: HashSet<(Attribute, u64)> = sets
        .iter()
        .flat_map(|(&a, set)| set.iter().map(move |&i| (a, starts[i].seed)))
        .collect();
    let records = merge_records(earlier, new_records, &wanted);
    let (summaries, curves) = summarise_records(&records, &attributes);
    let faces_per_attribute: BTreeMap<Attribute, Vec<u64>> = sets
        .iter()
        .map(|(&a, set)| (a, set.iter().map(|&i| starts[i].seed).collect()))
        .collect();
    let seconds = config.started.elapsed().as_secs_f32();
    let markdown = report(
        config,
        &faces_per_attribute,
        starts.len(),
        &norms,
        &summaries,
        &curves,
        seconds,
    );
    let md_path = config.out.join("eval.md");
    std::fs::write(&md_path, &markdown).map_err(io_error(&md_path))?;
    let json = EvalJson {
        command: &config.command,
        faces_per_attribute: &faces_per_attribute,
        linear_step_norms: &norms,
        edit_config: &edit_config,
        summaries: &summaries,
        fig10: &curves,
        records: &records,
    };
    let json_path = config.out.join("eval.json");
    std::fs::write(&json_path, serde_json::to_string(&json)?).map_err(io_error(&json_path))?;
    Ok(EvalOutput {
        markdown,
        fig10: curves,
        edits: records.len(),
        seconds,
    })
}

fn fmt(v: Option<f32>, digits: usize) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.digits$}"))
}

fn pct(v: Option<f32>) -> String {
    v.map_or("-".to_string(), |v| format!("{:.0}%", 100.0 * v))
}

/// The markdown table of the summaries (also used in the README).
pub fn table(summaries: &[SummaryRow], change: usize) -> String {
    let mut out = format!(
        "| attribute | method | edits | edited images | identity distance (eq. 12) ↓ | identity cos ↑ | P' cross-entropy (eq. 13) ↓ | reached target (±{change}) | moved ≥ 1 degree | mean steps | others moved (P) |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    for row in summaries {
        let s = &row.summary;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.attribute.name(),
            row.method,
            s.edits,
            s.edited_images,
            fmt(s.identity_distance, 3),
            fmt(s.identity_cos, 3),
            fmt(s.attribute_ce, 3),
            pct(s.reached_share),
            pct(s.progressed_share),
            fmt(s.mean_steps, 2),
            pct(row.others_moved_share),
        ));
    }
    out
}

/// What the numbers say, written from them.
fn reading(summaries: &[SummaryRow]) -> String {
    let mut id_wins = Vec::new();
    let mut ce_wins = Vec::new();
    let mut compared = 0;
    let mut reach = Vec::new();
    for pair in summaries.chunks(2) {
        let [field, linear] = pair else { continue };
        let (f, l) = (&field.summary, &linear.summary);
        reach.push(format!(
            "{} {} / {}",
            field.attribute.name(),
            pct(f.reached_share),
            pct(l.reached_share)
        ));
        if let (Some(fi), Some(li), Some(fc), Some(lc)) = (
            f.identity_distance,
            l.identity_distance,
            f.attribute_ce,
            l.attribute_ce,
        ) {
            compared += 1;
            if fi < li {
                id_wins.push(field.attribute.name());
            }
            if fc < lc {
                ce_wins.push(field.attribute.name());
            }
        }
    }
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    format!(
        "- Identity (eq. 12): the field's edited images are closer to the start than the linear \
         baseline's for {} of {compared} attributes ({}).\n\
         - Other attributes (eq. 13): the field's P' cross-entropy is lower for {} of {compared} \
         ({}).\n\
         - Target reached, field / linear: {}. The issue's goal is at least 90% for the field.\n\
         - Both metrics only count the images an edit produced: a method that moves fewer degrees \
         has fewer, nearer images, so read them beside the reach columns.\n",
        id_wins.len(),
        list(&id_wins),
        ce_wins.len(),
        list(&ce_wins),
        reach.join("; "),
    )
}

/// The written report (`eval.md`).
fn report(
    config: &EvalConfig,
    faces: &BTreeMap<Attribute, Vec<u64>>,
    scanned: usize,
    norms: &BTreeMap<Attribute, f32>,
    summaries: &[SummaryRow],
    curves: &[CurveRow],
    seconds: f32,
) -> String {
    let mut out = String::from("# Editing quality: semantic field vs linear baseline\n\n");
    out.push_str(&format!("Command:\n\n```sh\n{}\n```\n\n", config.command));
    out.push_str(&format!(
        "Faces: held-out seeds of the labelled dataset, seed = 100000 + 10 j, truncation psi 1.0, \
         in order of j; {scanned} read, up to {} per attribute{}. Per face, attribute and method one \
         edit of {} degrees (up from degrees 0-{}, down from higher ones), step size a = {}, \
         `EditConfig::default()` (patience, polishing and halving as in the product); the linear \
         baseline steps by the field's mean first-step length on the same faces ({}).\n\n",
        config.faces,
        if config.keep_degree_zero {
            " (degree-0 eyeglasses and beard faces kept)"
        } else {
            "; eyeglasses and beard only on faces P reads above degree 0 (supplement C)"
        },
        config.change,
        NUM_DEGREES - 1 - config.change,
        config.alpha,
        norms
            .iter()
            .map(|(a, n)| format!("{} {n:.2}", a.name()))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    for (a, seeds) in faces {
        let shown: Vec<String> = seeds.iter().take(8).map(|s| s.to_string()).collect();
        out.push_str(&format!(
            "- {}: {} faces ({}{})\n",
            a.name(),
            seeds.len(),
            shown.join(", "),
            if seeds.len() > 8 { ", ..." } else { "" }
        ));
    }
    out.push_str(&format!("\n{}\n", table(summaries, config.change)));
    out.push_str(
        "Edited images: every degree stage an edit read between its start (exclusive) and its \
         target (the step most confidently at that degree, as the loop keeps it). Identity: \
         fr_feature embeddings (L2-normalised) of the 1024 px renders; distance = Euclidean \
         (0 = same, sqrt 2 = unrelated). P' cross-entropy: summed over the four attributes not \
         edited, labels = P''s degrees on the start image. Steps: every step read (undone and \
         polishing steps included). Others moved: share of edits in which P read another \
         attribute leave its start degree.\n\n",
    );
    out.push_str(&format!("## Reading\n\n{}\n", reading(summaries)));
    out.push_str(
        "## Fig. 10 analogue (`fig10.png`)\n\nMean cosine between each step's latent direction and \
         the edit's first direction, by how many degrees the code the step was taken from had \
         already moved (W+ codes, the first 13 layers; a linear step is the same vector every time \
         and so stays at 1):\n\n| attribute | method | change: mean cos (steps) |\n|---|---|---|\n",
    );
    for c in curves {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            c.attribute.name(),
            c.method,
            c.points
                .iter()
                .map(|p| format!("{}: {:.3} ({})", p.degree_change, p.mean_cosine, p.count))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str(&format!(
        "\nRun time: {seconds:.0} s (this invocation, {} worker threads on a machine with {} \
         CPUs; finished edits of an earlier invocation are reused).\n",
        config.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_go_up_unless_that_leaves_the_degrees() {
        assert_eq!(target_of(0, 2), 2);
        assert_eq!(target_of(3, 2), 5);
        assert_eq!(target_of(4, 2), 2);
        assert_eq!(target_of(5, 1), 4);
        assert_eq!(target_of(3, 3), 0);
        for change in 1..=3 {
            for start in 0..NUM_DEGREES {
                let t = target_of(start, change);
                assert!(t < NUM_DEGREES);
                assert_eq!(t.abs_diff(start), change);
            }
        }
    }

    #[test]
    fn eyeglasses_and_beard_sets_skip_degree_zero_unless_asked() {
        assert!(!qualifies(Attribute::Eyeglasses, 0, false));
        assert!(!qualifies(Attribute::Beard, 0, false));
        assert!(qualifies(Attribute::Beard, 1, false));
        assert!(qualifies(Attribute::Smiling, 0, false));
        assert!(qualifies(Attribute::Eyeglasses, 0, true));
    }

    fn stage(degree: usize, distance: f32, cos: f32, ce: f32) -> StageScore {
        StageScore {
            degree,
            step: degree,
            identity_distance: distance,
            identity_cos: cos,
            attribute_ce: ce,
        }
    }

    /// An edit from degree 1 towards 3 with the given stages.
    fn record(
        attribute: Attribute,
        method: &str,
        seed: u64,
        stages: Vec<StageScore>,
        others_moved: Vec<Attribute>,
        cosines: &[(i64, f32)],
    ) -> EditRecord {
        let reached = stages.iter().any(|s| s.degree == 3);
        EditRecord {
            attribute,
            method: method.into(),
            seed,
            psi: 1.0,
            change: 2,
            alpha: 1.0,
            start_degree: 1,
            target: 3,
            outcome: if reached {
                EditOutcome::Reached
            } else {
                EditOutcome::CantGoFurther
            },
            result_degree: stages.last().map_or(1, |s| s.degree),
            others_moved,
            score: EditScore {
                reached,
                progressed: !stages.is_empty(),
                steps: 4,
                stages,
            },
            directions: cosines
                .iter()
                .map(|&(degree_change, cosine)| DirectionSample {
                    degree_change,
                    cosine,
                })
                .collect(),
            seconds: 1.5,
        }
    }

    #[test]
    fn records_merge_in_order_and_summarise_into_the_table() {
        let a = Attribute::Smiling;
        let two = vec![stage(2, 0.2, 0.98, 1.0), stage(3, 0.4, 0.92, 2.0)];
        let earlier = vec![
            record(
                a,
                "linear",
                100010,
                vec![],
                vec![Attribute::Age],
                &[(0, 1.0)],
            ),
            record(
                a,
                "field",
                100010,
                two.clone(),
                vec![],
                &[(0, 0.8), (1, 0.6)],
            ),
            // Not in this run's sets: left out.
            record(a, "field", 100990, two.clone(), vec![], &[]),
        ];
        let new = vec![
            record(
                a,
                "field",
                100000,
                vec![stage(2, 0.6, 0.82, 3.0)],
                vec![],
                &[(0, 0.4)],
            ),
            // The same edit as an earlier one: kept once.
            record(a, "field", 100010, two, vec![], &[]),
        ];
        let wanted: HashSet<(Attribute, u64)> = [(a, 100000), (a, 100010)].into();
        let records = merge_records(earlier, new, &wanted);
        let keys: Vec<(&str, u64)> = records.iter().map(|r| (&r.method[..], r.seed)).collect();
        assert_eq!(
            keys,
            [("field", 100000), ("field", 100010), ("linear", 100010)]
        );

        let (summaries, curves) = summarise_records(&records, &[a]);
        assert_eq!(summaries.len(), 2);
        assert_eq!(
            (summaries[0].method.as_str(), summaries[1].method.as_str()),
            ("field", "linear")
        );
        assert_eq!(summaries[0].summary.edits, 2);
        assert_eq!(summaries[0].summary.edited_images, 3);
        assert_eq!(summaries[1].others_moved_share, Some(1.0));
        // Field: cosines 0.4 and 0.8 at change 0, 0.6 at change 1.
        let field_curve: Vec<(i64, usize)> = curves[0]
            .points
            .iter()
            .map(|p| (p.degree_change, p.count))
            .collect();
        assert_eq!(field_curve, [(0, 2), (1, 1)]);
        assert!((curves[0].points[0].mean_cosine - 0.6).abs() < 1e-6);

        let table = table(&summaries, 2);
        let rows: Vec<&str> = table.lines().collect();
        assert_eq!(rows.len(), 4, "{table}");
        assert!(rows[0].contains("reached target (±2)"), "{table}");
        // Images 0.6, 0.2, 0.4: distance 0.4, cos 0.907, CE 2.0; one edit of two reached 3.
        assert_eq!(
            rows[2],
            "| smiling | field | 2 | 3 | 0.400 | 0.907 | 2.000 | 50% | 100% | 4.00 | 0% |"
        );
        assert_eq!(
            rows[3],
            "| smiling | linear | 1 | 0 | - | - | - | 0% | 0% | 4.00 | 100% |"
        );
        let text = reading(&summaries);
        assert!(
            text.contains("Target reached, field / linear: smiling 50% / 0%."),
            "{text}"
        );
        assert!(text.contains("for 0 of 0 attributes (none)"), "{text}");
    }

    #[test]
    fn resuming_reads_only_whole_records_of_the_same_settings() {
        let dir = std::env::temp_dir().join(format!("tte-eval-partial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(PARTIAL_FILE);
        assert!(read_partial(&path, 2, 1.0).unwrap().is_empty(), "no file");
        let a = Attribute::Bangs;
        let same = record(
            a,
            "field",
            100000,
            vec![stage(2, 0.1, 0.99, 0.5)],
            vec![],
            &[],
        );
        let mut other_change = record(a, "field", 100010, vec![], vec![], &[]);
        other_change.change = 1;
        let mut other_alpha = record(a, "linear", 100020, vec![], vec![], &[]);
        other_alpha.alpha = 0.5;
        let whole = serde_json::to_string(&same).unwrap();
        let text = format!(
            "{whole}\n\n{}\n{}\n{}\n",
            serde_json::to_string(&other_change).unwrap(),
            serde_json::to_string(&other_alpha).unwrap(),
            &whole[..whole.len() / 2],
        );
        std::fs::write(&path, text).unwrap();
        let read = read_partial(&path, 2, 1.0).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!((read[0].seed, read[0].method.as_str()), (100000, "field"));
        assert_eq!(read[0].score, same.score);
    }

    #[test]
    fn config_checks_its_numbers() {
        let ok = EvalConfig {
            faces: 1,
            out: PathBuf::from("unused"),
            threads: 1,
            change: 2,
            keep_degree_zero: false,
            alpha: 1.0,
            scan: HELD_OUT_FACES,
            fresh: false,
            command: "eval".into(),
            started: Instant::now(),
        };
        assert!(ok.validate().is_ok());
        for (bad, message) in [
            (
                EvalConfig {
                    faces: 0,
                    ..ok.clone()
                },
                "faces must be at least 1",
            ),
            (
                EvalConfig {
                    change: 4,
                    ..ok.clone()
                },
                "change must be 1, 2 or 3",
            ),
            (
                EvalConfig {
                    threads: 0,
                    ..ok.clone()
                },
                "threads must be at least 1",
            ),
            (
                EvalConfig {
                    alpha: f64::NAN,
                    ..ok.clone()
                },
                "alpha must be positive",
            ),
        ] {
            let err = bad.validate().unwrap_err().to_string();
            assert!(err.contains(message), "{err}");
        }
    }
}
