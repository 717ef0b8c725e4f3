//! `talk-to-edit eval`: the paper's quantitative comparison (Table 1, Fig. 10, supplement C) of the
//! trained semantic fields with the linear (InterFaceGAN-style) baseline, on held-out generated
//! faces rendered at 1024 px and read by the real predictor P.
//!
//! Protocol (decisions documented in the written `eval.md`):
//! - Faces: the labelled dataset's held-out seeds with truncation psi 1.0, in order (seed
//!   `100000 + 10 j`, [`super::train_fields::held_out_face`]); neither P nor the fields were
//!   trained on them. For eyeglasses and beard only faces P reads above degree 0 are taken
//!   (supplement C: editing degree 0 led to artifacts for every method), unless
//!   `--keep-degree-zero`.
//! - Edits: per face, attribute and method one `edit_until` call (the editing loop with the
//!   rendered check's reader and step length) towards `--change` degrees (default 2) away from the
//!   start, up from degrees 0..=3 and down from 4 and 5; the loop passes one degree at a time and
//!   keeps the most confident step per degree: every degree stage between the start and the
//!   target is one edited image of eq. 12 and 13.
//! - Metrics ([`engine::field::metrics`]): identity distance (eq. 12, L2-normalised fr_feature
//!   embeddings) and cosine, P' cross-entropy on the four untouched attributes against P''s
//!   reading of the start (eq. 13), share of edits reaching the target, mean steps, and the Fig. 10
//!   curve (mean cosine of each step's direction with the first, against the degree change).
//!
//! Writes `DIR/eval.md`, `DIR/eval.json` and `DIR/fig10.png`; finished edits are appended to
//! `DIR/eval.partial.jsonl` as they end, and a rerun with the same settings resumes from it.

use anyhow::{bail, Context};
use candle_core::Device;
use engine::attributes::NUM_DEGREES;
use engine::field::edit::Probabilities;
use engine::field::metrics::{
    attribute_cross_entropy, direction_curve, direction_samples, identity_distance, summarise,
    CurvePoint, DirectionSample, EditScore, EditSummary, StageScore,
};
use engine::field::{
    edit_until, DegreeReader, EditConfig, EditOutcome, EditTrace, LatentStepper, LinearDirection,
};
use engine::perception::identity::generated_identity_crop;
use engine::perception::{cosine, Embedding, FacePerception, IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::AttributePredictor;
use engine::Attribute;
use image::imageops::FilterType;
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use super::train_fields::{
    argmax, bar, check_reader, field_step_norm, held_out_face, load_methods, method_steppers,
    seed_latents, LINEAR_FILE,
};

/// Held-out faces of the labelled dataset: of its 3000 seeds 100000..=102999 the 300 ending in 0
/// are held out; they sit at even offsets, so all of them render at psi 1.0.
pub const HELD_OUT_FACES: usize = 300;

/// Side of the figure.
pub const FIG_SIZE: (u32, u32) = (1200, 800);

/// The font the figure's text is drawn with (DejaVu Sans, licence beside it).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

#[derive(clap::Args)]
pub struct Args {
    /// Faces per attribute: the first held-out seeds (100000 + 10 j, psi 1.0) that qualify.
    #[arg(long, default_value_t = 100)]
    faces: usize,
    /// Output directory (eval.md, eval.json, fig10.png, eval.partial.jsonl).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Attributes to evaluate (default: all five).
    #[arg(long = "attribute", value_name = "A")]
    attributes: Vec<Attribute>,
    /// Edits run at once (each on its own thread of one pool that also runs candle's kernels).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Degrees each edit asks for (1..=3): up from the start, or down where that would pass 5.
    #[arg(long, default_value_t = 2)]
    change: usize,
    /// Also evaluate eyeglasses and beard on faces P reads at degree 0 (supplement C leaves them
    /// out).
    #[arg(long)]
    keep_degree_zero: bool,
    /// Step size a (field: `a F`; linear: `a` times the field's mean step length).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Held-out faces to look through at most when filling each attribute's set.
    #[arg(long, default_value_t = HELD_OUT_FACES)]
    scan: usize,
    /// Ignore `DIR/eval.partial.jsonl` from an earlier run and start afresh.
    #[arg(long)]
    fresh: bool,
    /// Directory of the trained fields and linear directions (default: models/trained).
    #[arg(long, value_name = "DIR")]
    trained: Option<PathBuf>,
    /// Converted generator weights (default: the model cache's).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
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
struct EditRecord {
    attribute: Attribute,
    method: String,
    seed: u64,
    psi: f64,
    change: usize,
    alpha: f64,
    start_degree: usize,
    target: usize,
    outcome: EditOutcome,
    result_degree: usize,
    /// Other attributes whose degree (read by P) left its start value.
    others_moved: Vec<Attribute>,
    #[serde(flatten)]
    score: EditScore,
    directions: Vec<DirectionSample>,
    seconds: f32,
}

#[derive(Serialize)]
struct EvalJson<'a> {
    command: String,
    faces_per_attribute: BTreeMap<Attribute, Vec<u64>>,
    linear_step_norms: BTreeMap<Attribute, f32>,
    edit_config: EditConfig,
    summaries: Vec<SummaryRow>,
    fig10: Vec<CurveRow>,
    records: &'a [EditRecord],
}

#[derive(Serialize)]
struct SummaryRow {
    attribute: Attribute,
    method: String,
    #[serde(flatten)]
    summary: EditSummary,
    /// Share of edits in which P read another attribute leave its start degree.
    others_moved_share: Option<f32>,
}

#[derive(Serialize)]
struct CurveRow {
    attribute: Attribute,
    method: String,
    points: Vec<CurvePoint>,
}

/// The two methods compared, as named in the records.
const METHODS: [&str; 2] = ["field", "linear"];

/// The target `change` degrees away: up where that stays within 0..=5, else down.
fn target_of(start: usize, change: usize) -> usize {
    if start + change < NUM_DEGREES {
        start + change
    } else {
        start - change
    }
}

/// Whether a face whose attribute P reads at `degree` belongs to that attribute's set.
fn qualifies(attribute: Attribute, degree: usize, keep_degree_zero: bool) -> bool {
    keep_degree_zero || degree > 0 || !matches!(attribute, Attribute::Eyeglasses | Attribute::Beard)
}

/// The aligned face P and P' read (as `GeneratorReader` does: the render resized where no face is
/// found).
fn aligned(perception: &FacePerception, full: &RgbImage) -> anyhow::Result<RgbImage> {
    use engine::field::edit::READ_SIZE;
    match perception.align(full, READ_SIZE) {
        Ok(a) => Ok(a.crop),
        Err(engine::perception::PerceptionError::NoFace) => Ok(image::imageops::resize(
            full,
            READ_SIZE,
            READ_SIZE,
            FilterType::Triangle,
        )),
        Err(e) => Err(e.into()),
    }
}

/// P' probabilities and the identity embedding of a 1024 px render.
fn score_image(models: &Models, full: &RgbImage) -> anyhow::Result<(Probabilities, Embedding)> {
    let crop = aligned(models.perception, full)?;
    let prime = models
        .prime
        .predict(std::slice::from_ref(&crop))?
        .remove(0)
        .probabilities;
    let identity = models.identity.embed(&generated_identity_crop(full)?)?;
    Ok((prime, identity))
}

/// The models every worker reads.
struct Models<'a> {
    generator: &'a engine::generator::Generator,
    predictor: &'a AttributePredictor,
    prime: &'a AttributePredictor,
    perception: &'a FacePerception,
    identity: &'a IdentityEncoder,
}

impl Models<'_> {
    fn reader(&self) -> engine::field::GeneratorReader<'_> {
        check_reader(
            self.generator,
            self.predictor,
            self.perception,
            self.identity,
            Some(1024),
        )
    }
}

fn read_start(models: &Models, seed: u64, psi: f64) -> anyhow::Result<StartFace> {
    let w = seed_latents(models.generator, &[(seed, psi)])?;
    let reading = models.reader().read(&w)?;
    let full = reading
        .image
        .as_ref()
        .context("the reader keeps the render")?;
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
fn score_trace(models: &Models, start: &StartFace, trace: &EditTrace) -> anyhow::Result<EditScore> {
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
            .context("the reader keeps every step's render")?;
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

/// Records of an earlier run with the same change and step size.
fn read_partial(path: &Path, change: usize, alpha: f64) -> anyhow::Result<Vec<EditRecord>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut records = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<EditRecord>(&line) {
            Ok(r) if r.change == change && r.alpha == alpha => records.push(r),
            Ok(_) => {}
            // A line cut short by an interrupted run: that edit is done again.
            Err(e) => tracing::warn!(line = n + 1, "skipping an unreadable partial record: {e}"),
        }
    }
    Ok(records)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.faces == 0 {
        bail!("--faces must be at least 1");
    }
    if !(1..=3).contains(&args.change) {
        bail!("--change must be 1, 2 or 3 degrees, got {}", args.change);
    }
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    if !(args.alpha > 0.0 && args.alpha.is_finite()) {
        bail!("--alpha must be positive, got {}", args.alpha);
    }
    let scan = args.scan.min(HELD_OUT_FACES);
    let attributes: Vec<Attribute> = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        let mut a = args.attributes.clone();
        a.sort_by_key(|a| a.index());
        a.dedup();
        a
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let trained = args
        .trained
        .clone()
        .unwrap_or_else(crate::loading::trained_dir);
    let generator = crate::loading::generator(args.weights.clone())?;
    let load_predictor = |path: PathBuf, what: &str| {
        AttributePredictor::load_file(&path, &Device::Cpu)
            .with_context(|| format!("loading {what} from {}", path.display()))
    };
    let predictor = load_predictor(crate::loading::predictor_path(), "the predictor P")?;
    let prime = load_predictor(crate::loading::predictor_prime_path(), "the predictor P'")?;
    let store = models::ModelStore::open_default()?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let perception = crate::loading::face_perception(&store)?;
    let linear_file = trained.join("fields").join(LINEAR_FILE);
    let directions = LinearDirection::load_all(&linear_file)
        .with_context(|| format!("loading {}", linear_file.display()))?;
    let models = Models {
        generator: &generator,
        predictor: &predictor,
        prime: &prime,
        perception: &perception,
        identity: &identity,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .context("starting the worker threads")?;

    // 1. Start faces, read in order of seed until every attribute's set is full.
    let t = Instant::now();
    let mut starts: Vec<StartFace> = Vec::new();
    let full = |starts: &[StartFace]| {
        attributes.iter().all(|&a| {
            starts
                .iter()
                .filter(|s| qualifies(a, s.degrees[a.index()], args.keep_degree_zero))
                .count()
                >= args.faces
        })
    };
    let scan_bar = bar(
        scan as u64,
        "start faces {pos}/{len} [{bar:30}] ({elapsed})",
    );
    while starts.len() < scan && !full(&starts) {
        let from = starts.len();
        let to = (from + args.threads.max(2)).min(scan);
        let batch: Vec<StartFace> = pool.install(|| {
            (from..to)
                .into_par_iter()
                .map(|j| {
                    let (seed, psi) = held_out_face(j as u64);
                    read_start(&models, seed, psi).with_context(|| format!("start face {seed}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()
        })?;
        starts.extend(batch);
        scan_bar.set_position(starts.len() as u64);
    }
    scan_bar.finish_and_clear();
    tracing::info!(
        read = starts.len(),
        seconds = t.elapsed().as_secs_f32(),
        "start faces read"
    );
    let mut sets: BTreeMap<Attribute, Vec<usize>> = BTreeMap::new();
    for &a in &attributes {
        let set: Vec<usize> = (0..starts.len())
            .filter(|&i| qualifies(a, starts[i].degrees[a.index()], args.keep_degree_zero))
            .take(args.faces)
            .collect();
        if set.len() < args.faces {
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
    let mut fields = BTreeMap::new();
    let mut norms = BTreeMap::new();
    let mut latents = BTreeMap::new();
    for &a in &attributes {
        let (field, direction) = load_methods(&trained, a, &directions, generator.device())?;
        let faces: Vec<(u64, f64)> = sets[&a]
            .iter()
            .map(|&i| (starts[i].seed, starts[i].psi))
            .collect();
        let w = if faces.is_empty() {
            None
        } else {
            Some(seed_latents(&generator, &faces)?)
        };
        if let Some(w) = &w {
            norms.insert(a, field_step_norm(&field, &generator, w)?);
        }
        latents.insert(a, w);
        fields.insert(a, (field, direction));
    }
    let mut steppers: BTreeMap<(Attribute, &str), Box<dyn LatentStepper + Sync + '_>> =
        BTreeMap::new();
    for (&a, (field, direction)) in &fields {
        if let Some(&norm) = norms.get(&a) {
            let (f, l) = method_steppers(field, direction, &generator, norm, args.alpha)?;
            steppers.insert((a, METHODS[0]), Box::new(f));
            steppers.insert((a, METHODS[1]), Box::new(l));
        }
    }

    // 3. Edits, resumed from the partial file.
    let partial_path = args.out.join("eval.partial.jsonl");
    if args.fresh && partial_path.is_file() {
        std::fs::remove_file(&partial_path)?;
    }
    let earlier = read_partial(&partial_path, args.change, args.alpha)?;
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
        threads = args.threads,
        "editing"
    );
    let partial = Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial_path)
            .with_context(|| format!("opening {}", partial_path.display()))?,
    );
    let config = EditConfig::default();
    let edit_bar = bar(
        jobs.len() as u64,
        "edits {pos}/{len} [{bar:30}] {msg} ({elapsed}, eta {eta})",
    );
    let new_records: Vec<EditRecord> = pool.install(|| {
        jobs.par_iter()
            .map(|&(attribute, method, row, i)| {
                let t = Instant::now();
                let start = &starts[i];
                let w = latents[&attribute]
                    .as_ref()
                    .context("a set with faces has latents")?
                    .narrow(0, row, 1)?;
                let target = target_of(start.degrees[attribute.index()], args.change);
                let stepper = &steppers[&(attribute, method)];
                let trace = edit_until(
                    &models.reader(),
                    stepper.as_ref(),
                    &w,
                    attribute,
                    target,
                    &config,
                )?;
                let score = score_trace(&models, start, &trace)?;
                let record = EditRecord {
                    attribute,
                    method: method.to_string(),
                    seed: start.seed,
                    psi: start.psi,
                    change: args.change,
                    alpha: args.alpha,
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
                    let mut file = partial.lock().map_err(|_| {
                        anyhow::anyhow!("a worker failed while writing the partial results")
                    })?;
                    writeln!(file, "{}", serde_json::to_string(&record)?)?;
                    file.flush()?;
                }
                edit_bar.inc(1);
                edit_bar.set_message(format!("{} {}", attribute.name(), record.method));
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
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    edit_bar.finish_and_clear();

    // 4. Everything of this run's sets, in a stable order.
    let starts = &starts;
    let wanted: HashSet<(Attribute, u64)> = sets
        .iter()
        .flat_map(|(&a, set)| set.iter().map(move |&i| (a, starts[i].seed)))
        .collect();
    let mut records: Vec<EditRecord> = earlier
        .into_iter()
        .chain(new_records)
        .filter(|r| wanted.contains(&(r.attribute, r.seed)))
        .collect();
    records.sort_by(|a, b| {
        (a.attribute.index(), &a.method, a.seed).cmp(&(b.attribute.index(), &b.method, b.seed))
    });
    records.dedup_by(|a, b| (a.attribute, &a.method, a.seed) == (b.attribute, &b.method, b.seed));

    let mut summaries = Vec::new();
    let mut curves = Vec::new();
    for &a in &attributes {
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
    let command = format!(
        "{}{}",
        std::env::var("RAYON_NUM_THREADS")
            .map(|n| format!("RAYON_NUM_THREADS={n} "))
            .unwrap_or_default(),
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    let faces_per_attribute: BTreeMap<Attribute, Vec<u64>> = sets
        .iter()
        .map(|(&a, set)| (a, set.iter().map(|&i| starts[i].seed).collect()))
        .collect();
    let seconds = started.elapsed().as_secs_f32();
    let markdown = report(
        &args,
        &command,
        &faces_per_attribute,
        starts.len(),
        &norms,
        &summaries,
        &curves,
        seconds,
    );
    std::fs::write(args.out.join("eval.md"), &markdown)?;
    let json = EvalJson {
        command,
        faces_per_attribute,
        linear_step_norms: norms,
        edit_config: config,
        summaries,
        fig10: curves,
        records: &records,
    };
    std::fs::write(args.out.join("eval.json"), serde_json::to_string(&json)?)?;
    draw_fig10(&args.out.join("fig10.png"), &json.fig10)?;
    println!("{markdown}");
    println!(
        "wrote {} ({} edits, {seconds:.0} s)",
        args.out.display(),
        records.len()
    );
    Ok(())
}

fn fmt(v: Option<f32>, digits: usize) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.digits$}"))
}

fn pct(v: Option<f32>) -> String {
    v.map_or("-".to_string(), |v| format!("{:.0}%", 100.0 * v))
}

/// The markdown table of the summaries (also used in the README).
fn table(summaries: &[SummaryRow], change: usize) -> String {
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

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    command: &str,
    faces: &BTreeMap<Attribute, Vec<u64>>,
    scanned: usize,
    norms: &BTreeMap<Attribute, f32>,
    summaries: &[SummaryRow],
    curves: &[CurveRow],
    seconds: f32,
) -> String {
    let mut out = String::from("# Editing quality: semantic field vs linear baseline\n\n");
    out.push_str(&format!("Command:\n\n```sh\n{command}\n```\n\n"));
    out.push_str(&format!(
        "Faces: held-out seeds of the labelled dataset, seed = 100000 + 10 j, truncation psi 1.0, \
         in order of j; {scanned} read, up to {} per attribute{}. Per face, attribute and method one \
         edit of {} degrees (up from degrees 0-{}, down from higher ones), step size a = {}, \
         `EditConfig::default()` (patience, polishing and halving as in the product); the linear \
         baseline steps by the field's mean first-step length on the same faces ({}).\n\n",
        args.faces,
        if args.keep_degree_zero {
            " (degree-0 eyeglasses and beard faces kept)"
        } else {
            "; eyeglasses and beard only on faces P reads above degree 0 (supplement C)"
        },
        args.change,
        NUM_DEGREES - 1 - args.change,
        args.alpha,
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
    out.push_str(&format!("\n{}\n", table(summaries, args.change)));
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
        args.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    out
}

/// The Fig. 10 analogue: one panel per attribute, one line per method.
fn draw_fig10(path: &Path, curves: &[CurveRow]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the bundled font could not be read"))?;
    let (w, h) = FIG_SIZE;
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    let draw_error = |e: &dyn std::fmt::Display| anyhow::anyhow!("drawing the figure: {e}");
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(&e))?;
        let root = root
            .titled(
                "Cosine of each step's direction with the first (Fig. 10 analogue)",
                ("sans-serif", 26),
            )
            .map_err(|e| draw_error(&e))?;
        let panels = root.split_evenly((2, 3));
        let colours = [(METHODS[0], BLUE), (METHODS[1], RED)];
        let mut shown: Vec<Attribute> = curves.iter().map(|c| c.attribute).collect();
        shown.dedup();
        for (panel, attribute) in panels.iter().zip(shown) {
            let of: Vec<&CurveRow> = curves.iter().filter(|c| c.attribute == attribute).collect();
            let points = || of.iter().flat_map(|c| c.points.iter());
            let max_x = points().map(|p| p.degree_change).max().unwrap_or(1).max(1) as f32;
            let min_y = points()
                .map(|p| p.mean_cosine)
                .fold(0f32, f32::min)
                .max(-1.0);
            let mut chart = ChartBuilder::on(panel)
                .caption(attribute.name(), ("sans-serif", 22))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(-0.2f32..max_x + 0.2, (min_y - 0.05)..1.05f32)
                .map_err(|e| draw_error(&e))?;
            chart
                .configure_mesh()
                .x_desc("degree change")
                .y_desc("mean cosine")
                .x_labels(max_x as usize + 1)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(|e| draw_error(&e))?;
            for (method, colour) in colours {
                let Some(curve) = of.iter().find(|c| c.method == method) else {
                    continue;
                };
                let xy: Vec<(f32, f32)> = curve
                    .points
                    .iter()
                    .filter(|p| p.degree_change >= 0)
                    .map(|p| (p.degree_change as f32, p.mean_cosine))
                    .collect();
                chart
                    .draw_series(LineSeries::new(xy.clone(), colour.stroke_width(3)))
                    .map_err(|e| draw_error(&e))?
                    .label(method)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                    });
                chart
                    .draw_series(
                        xy.iter()
                            .map(|&(x, y)| Circle::new((x, y), 5, colour.filled())),
                    )
                    .map_err(|e| draw_error(&e))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .label_font(("sans-serif", 16))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| draw_error(&e))?;
        }
        root.present().map_err(|e| draw_error(&e))?;
    }
    let image = RgbImage::from_raw(w, h, buffer).context("figure buffer size")?;
    image
        .save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
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
}
