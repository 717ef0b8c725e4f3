//! Everything `talk-to-edit train encoder` and `train encoder-pairs` do, as library calls
//! ([`train_encoder`], [`write_pairs`]): the inversion encoder ([`super::encoder`]) trained on
//! generated faces by [`super::train_encoder::train`], its output scale tuned, its weights
//! saved and measured. The binary only turns its flags into a [`TrainEncoderConfig`] or
//! [`PairsConfig`], loads the models and shows the [`TrainEncoderEvent`]s; the pipeline and the
//! dataset layout it reads are here so that they are library code, tested as such.
//!
//! Data: the labelled dataset (`data`, e.g. `generated-v4`: records with the identity
//! embedding and 256 px crop landmarks, 128 px crops) and any `extra` directories written by
//! `train encoder-pairs` (which also carry the embedding of a degraded, CelebA-sized JPEG copy).
//! Seeds ending in 0 of 100000..=102999 are held out ([`held_out`]): never trained on, used by
//! the generated measurement. Seeds of the dataset ending in 5 are the validation set (loss per
//! epoch).
//!
//! Measurements (`eval_generated`, `real_photos`): identity cosine (fr_feature) between a face
//! and the render of its encoded code; for generated faces the original render vs the encoded
//! render (both through the fixed generated identity crop), for the CelebA training half
//! `000007`-`000256` the photo's face vs the encoded render. The held-out half is never read.

use super::encoder::{orthonormal_directions, EncoderInput, InversionEncoder, ENCODER_CROP};
use super::train_encoder::{
    render_pair, train, EncoderSample, PairRecord, TrainConfig, TrainProgress,
};
use super::InversionError;
use crate::generator::{Generator, GeneratorError};
use crate::jsonl::{shard_files, CutLines, JsonlError};
use crate::perception::identity::generated_identity_crop;
use crate::perception::{
    cosine, load_photo, Embedding, FacePerception, IdentityEncoder, Landmarks, PerceptionError,
};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// First and last seed of the labelled dataset; those ending in 0 are held out.
pub const DATASET_SEEDS: std::ops::RangeInclusive<u64> = 100_000..=102_999;

/// Whether `seed` is a held-out evaluation face (ends in 0, within [`DATASET_SEEDS`]).
pub fn held_out(seed: u64) -> bool {
    DATASET_SEEDS.contains(&seed) && seed.is_multiple_of(10)
}

/// Errors of the encoder pipelines.
#[derive(Debug, thiserror::Error)]
pub enum EncoderPipelineError {
    #[error("opening {}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} line {line}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("reading {}", path.display())]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error("{}: expected a {ENCODER_CROP} px crop", .0.display())]
    CropSize(PathBuf),
    #[error("no pairs.shard-*.jsonl in {} (run `talk-to-edit train encoder-pairs`)", .0.display())]
    NoPairs(PathBuf),
    #[error("{}: seed {seed} is held out", path.display())]
    HeldOutPair { path: PathBuf, seed: u64 },
    #[error("seed {0} is a held-out evaluation face (seeds ending in 0 of 100000..=102999)")]
    HeldOutSeed(u64),
    #[error("the CelebA training half's embeddings (written by `talk-to-edit label generated`)")]
    RealEmbeddings(#[source] Box<EncoderPipelineError>),
    #[error("{}: no embeddings", .0.display())]
    NoEmbeddings(PathBuf),
    #[error("saving {}", path.display())]
    Save {
        path: PathBuf,
        source: InversionError,
    },
    #[error("loading {}", path.display())]
    Load {
        path: PathBuf,
        source: InversionError,
    },
    #[error("aligning {}", path.display())]
    Align {
        path: PathBuf,
        source: PerceptionError,
    },
    #[error(transparent)]
    Inversion(#[from] InversionError),
    #[error(transparent)]
    Perception(#[from] PerceptionError),
    #[error(transparent)]
    Generator(#[from] GeneratorError),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    ImageCodec(#[from] image::ImageError),
}

type Result<T, E = EncoderPipelineError> = std::result::Result<T, E>;

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> EncoderPipelineError + '_ {
    move |source| EncoderPipelineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl From<JsonlError> for EncoderPipelineError {
    fn from(e: JsonlError) -> Self {
        match e {
            JsonlError::Open { path, source } => Self::Open { path, source },
            JsonlError::Read { path, source } => Self::Io { path, source },
            JsonlError::Line { path, line, source } => Self::Line { path, line, source },
        }
    }
}

/// What `train encoder-pairs` renders.
#[derive(Debug, Clone)]
pub struct PairsConfig {
    /// Output directory (`pairs.shard-K-of-N.jsonl` + `crops/`).
    pub out: PathBuf,
    /// `(k, n)`: the shard this run writes (names the file).
    pub shard: (u64, u64),
    /// Seeds to render with their truncation psi.
    pub seeds: Vec<(u64, f64)>,
    /// Save crops as JPEG (quality 92, a fifth of the PNG size) instead of PNG.
    pub jpeg_crops: bool,
}

/// Progress of [`write_pairs`].
#[derive(Debug, Clone, Copy)]
pub enum PairsEvent {
    /// `todo` seeds are not in the shard file yet.
    Start { todo: usize },
    /// One more seed rendered (or skipped: no usable face).
    Face,
}

/// `train encoder-pairs`: renders every seed of `config` not yet in the shard file and appends
/// its [`PairRecord`] (the crop goes to `crops/<seed>.png` or `.jpg`). Seeds without a usable
/// face are skipped with a warning. Refuses held-out seeds.
pub fn write_pairs(
    config: &PairsConfig,
    generator: &Generator,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    on_event: &mut dyn FnMut(PairsEvent),
) -> Result<()> {
    if let Some((s, _)) = config.seeds.iter().find(|(s, _)| held_out(*s)) {
        return Err(EncoderPipelineError::HeldOutSeed(*s));
    }
    let crops = config.out.join("crops");
    std::fs::create_dir_all(&crops).map_err(io_at(&crops))?;
    let (k, n) = config.shard;
    let path = config.out.join(format!("pairs.shard-{k}-of-{n}.jsonl"));
    let done: HashSet<u64> = if path.is_file() {
        read_lines::<PairRecord>(&path)?
            .into_iter()
            .map(|r| r.seed)
            .collect()
    } else {
        Default::default()
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_at(&path))?;
    let todo: Vec<(u64, f64)> = config
        .seeds
        .iter()
        .copied()
        .filter(|(s, _)| !done.contains(s))
        .collect();
    on_event(PairsEvent::Start { todo: todo.len() });
    for (seed, psi) in todo {
        match render_pair(generator, perception, identity, seed, psi) {
            Ok((record, crop)) => {
                if config.jpeg_crops {
                    let crop_path = crops.join(format!("{seed}.jpg"));
                    let out = std::fs::File::create(&crop_path).map_err(io_at(&crop_path))?;
                    image::codecs::jpeg::JpegEncoder::new_with_quality(
                        std::io::BufWriter::new(out),
                        92,
                    )
                    .encode_image(&crop)?;
                } else {
                    crop.save(crops.join(format!("{seed}.png")))?;
                }
                writeln!(file, "{}", serde_json::to_string(&record)?).map_err(io_at(&path))?;
            }
            Err(InversionError::Perception(
                e @ (PerceptionError::NoFace | PerceptionError::BadInput(_)),
            )) => tracing::warn!(seed, "skipped: {e}"),
            Err(e) => return Err(e.into()),
        }
        on_event(PairsEvent::Face);
    }
    Ok(())
}

/// The JSON lines of `path` (blank lines skipped; a cut line is an error).
fn read_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    Ok(crate::jsonl::read_lines(path, CutLines::Fail)?)
}

/// One face of the labelled dataset as the encoder sees it (without w).
#[derive(Debug, Clone)]
pub struct DatasetFace {
    pub seed: u64,
    pub psi: f64,
    pub crop: image::RgbImage,
    /// Landmarks in the [`ENCODER_CROP`] px crop's pixels.
    pub crop_landmarks: Landmarks,
    /// The clean face's embedding first, degraded copies' after.
    pub embeddings: Vec<Embedding>,
}

#[derive(serde::Deserialize)]
struct DatasetLine {
    seed: u64,
    psi: f64,
    record: Option<DatasetRecord>,
}

#[derive(serde::Deserialize)]
struct DatasetRecord {
    embedding: Vec<f32>,
    crop_landmarks: Vec<[f64; 2]>,
}

/// The crop of `seed` (`crops/<seed>.png`, else `crops/<seed>.jpg`).
fn load_crop(dir: &Path, seed: u64) -> Result<image::RgbImage> {
    let mut path = dir.join("crops").join(format!("{seed}.png"));
    if !path.is_file() {
        path.set_extension("jpg");
    }
    let crop = image::open(&path)
        .map_err(|source| EncoderPipelineError::Image {
            path: path.clone(),
            source,
        })?
        .to_rgb8();
    if crop.dimensions() != (ENCODER_CROP, ENCODER_CROP) {
        return Err(EncoderPipelineError::CropSize(path));
    }
    Ok(crop)
}

/// The labelled dataset's faces whose seed `keep` accepts, by seed (`shards` are its
/// `records.shard-*.jsonl`; their landmarks are in 256 px crop pixels, scaled to the crop).
pub fn dataset_faces(
    dir: &Path,
    shards: &[PathBuf],
    keep: impl Fn(u64) -> bool,
) -> Result<Vec<DatasetFace>> {
    let mut out = Vec::new();
    for shard in shards {
        for line in read_lines::<DatasetLine>(shard)? {
            let Some(record) = line.record else { continue };
            if !keep(line.seed) {
                continue;
            }
            let scale = ENCODER_CROP as f64 / 256.0;
            out.push(DatasetFace {
                seed: line.seed,
                psi: line.psi,
                crop: load_crop(dir, line.seed)?,
                crop_landmarks: Landmarks(
                    record
                        .crop_landmarks
                        .iter()
                        .map(|p| [(p[0] + 0.5) * scale - 0.5, (p[1] + 0.5) * scale - 0.5])
                        .collect(),
                ),
                embeddings: vec![Embedding(record.embedding)],
            });
        }
    }
    out.sort_by_key(|f| f.seed);
    Ok(out)
}

/// The faces of a `train encoder-pairs` directory (all its `pairs.shard-*.jsonl`); a held-out
/// seed is an error.
pub fn extra_faces(dir: &Path) -> Result<Vec<DatasetFace>> {
    let shards = shard_files(dir, "pairs").map_err(io_at(dir))?;
    if shards.is_empty() {
        return Err(EncoderPipelineError::NoPairs(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    for shard in shards {
        for r in read_lines::<PairRecord>(&shard)? {
            if held_out(r.seed) {
                return Err(EncoderPipelineError::HeldOutPair {
                    path: shard,
                    seed: r.seed,
                });
            }
            out.push(DatasetFace {
                seed: r.seed,
                psi: r.psi,
                crop: load_crop(dir, r.seed)?,
                crop_landmarks: Landmarks(r.crop_landmarks),
                embeddings: vec![Embedding(r.embedding), Embedding(r.degraded_embedding)],
            });
        }
    }
    Ok(out)
}

fn with_w(generator: &Generator, faces: Vec<DatasetFace>) -> Result<Vec<EncoderSample>> {
    faces
        .into_iter()
        .map(|f| {
            let w = generator.truncate(&generator.w_from_seed(f.seed)?, f.psi)?;
            Ok(EncoderSample {
                seed: f.seed,
                w: w.flatten_all()?.to_vec1::<f32>()?,
                crop: f.crop,
                crop_landmarks: f.crop_landmarks,
                embeddings: f.embeddings,
            })
        })
        .collect()
}

/// What one `train encoder` run does (the command line's flags).
#[derive(Debug, Clone)]
pub struct TrainEncoderConfig {
    /// Labelled dataset directory (records + `crops/`; also `celeba-train.jsonl`).
    pub data: PathBuf,
    /// The dataset's record shards (`records.shard-*.jsonl`), in order.
    pub shards: Vec<PathBuf>,
    /// Extra directories from `train encoder-pairs`.
    pub extra: Vec<PathBuf>,
    /// Weights file written (or, with `eval_only`, measured).
    pub out: PathBuf,
    /// The training; its `encoder.embedding_removed` is set here from the data unless
    /// `keep_domain_means`.
    pub training: TrainConfig,
    /// Keep the generated and real mean embeddings in the embedding (default: projected out).
    pub keep_domain_means: bool,
    /// Output scales to try on validation faces (rendered identity cosine); the best is kept.
    pub scales: Vec<f32>,
    /// Validation faces rendered to choose the output scale.
    pub scale_faces: usize,
    /// Compute threads, recorded in the weights' metadata.
    pub threads: usize,
    /// Only measure the saved weights.
    pub eval_only: bool,
    /// Held-out generated faces to measure (seeds 100000, 100010, ...).
    pub eval_generated: usize,
    /// Real photos to measure on (the CelebA training half), if any.
    pub real_photos: Option<Vec<PathBuf>>,
}

/// The models the pipeline reads.
pub struct TrainEncoderModels<'a> {
    pub generator: &'a Generator,
    /// fr_feature: the output-scale tuning and the measurements.
    pub identity: &'a IdentityEncoder,
    /// Aligns the real photos (needed only with `real_photos`).
    pub perception: Option<&'a FacePerception>,
}

/// The saved encoder.
#[derive(Debug, Clone)]
pub struct TrainedSummary {
    pub path: PathBuf,
    pub train_faces: usize,
    pub validation_faces: usize,
    pub validation_loss: f32,
    pub seconds: f64,
}

impl fmt::Display for TrainedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "saved {} ({} faces, validation loss {:.4} (1 = the mean), {:.0} s)",
            self.path.display(),
            self.train_faces,
            self.validation_loss,
            self.seconds
        )
    }
}

/// The held-out generated measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedEval {
    pub faces: usize,
    /// Median and 10th percentile of the original vs encoded render identity cosine.
    pub encoded: (f32, f32),
    /// The same against the mean face's render.
    pub mean_face: (f32, f32),
    /// Faces whose encoded render beats the mean face.
    pub better: usize,
    pub encode_ms: f64,
}

impl fmt::Display for GeneratedEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((m, p10), (mm, mp10)) = (self.encoded, self.mean_face);
        write!(
            f,
            "held-out generated faces (n={}): identity cosine original vs encoded render median {m:.3}, p10 {p10:.3}; \
             mean face median {mm:.3}, p10 {mp10:.3}; encoded beats the mean face on {}/{}; encode {:.1} ms a face",
            self.faces, self.better, self.faces, self.encode_ms
        )
    }
}

/// The real photo measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct RealEval {
    /// Photos measured, and those without a usable face.
    pub photos: usize,
    pub skipped: usize,
    /// Median and 10th percentile of the photo vs encoded render identity cosine.
    pub encoded: (f32, f32),
    /// The same against the mean face's render.
    pub mean_face: (f32, f32),
    /// Align + embed + encode seconds a photo.
    pub prepare_s: f64,
}

impl fmt::Display for RealEval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((m, p10), (mm, mp10)) = (self.encoded, self.mean_face);
        write!(
            f,
            "real photos 000007-000256 (n={}, {} without a usable face): identity cosine photo vs encoded render \
             median {m:.3}, p10 {p10:.3}; mean face median {mm:.3}, p10 {mp10:.3}; align + embed + encode {:.2} s a photo",
            self.photos, self.skipped, self.prepare_s
        )
    }
}

/// Which measurement an [`TrainEncoderEvent::EvalStart`] begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalSet {
    Generated,
    Real,
}

/// What the pipeline reports as it goes.
#[derive(Debug, Clone)]
pub enum TrainEncoderEvent {
    /// The faces read for training.
    Faces {
        train: usize,
        validation: usize,
    },
    /// The training (and its feature precomputation).
    Training(TrainProgress),
    /// One output scale measured on the validation faces.
    ScaleTried {
        scale: f32,
        median: f32,
    },
    /// The output scale kept, with the median cosine of every scale tried.
    ScaleChosen {
        best: f32,
        table: Vec<(f32, f32)>,
    },
    /// The weights were saved.
    Saved(TrainedSummary),
    /// A measurement starts over `faces` faces or photos.
    EvalStart {
        set: EvalSet,
        faces: usize,
    },
    /// `done` faces or photos reached; the median cosine so far once one was measured.
    EvalProgress {
        done: usize,
        median: Option<f32>,
    },
    /// A measurement ended.
    Generated(GeneratedEval),
    Real(RealEval),
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct TrainEncoderReport {
    pub trained: Option<TrainedSummary>,
    pub generated: Option<GeneratedEval>,
    pub real: Option<RealEval>,
}

/// `train encoder`: trains (unless `eval_only`) and saves the encoder, then measures the saved
/// weights on held-out generated faces and, with `real_photos`, on real photos.
pub fn train_encoder(
    config: &TrainEncoderConfig,
    models: &TrainEncoderModels,
    on_event: &mut dyn FnMut(TrainEncoderEvent),
) -> Result<TrainEncoderReport> {
    let generator = models.generator;
    let mut report = TrainEncoderReport::default();
    if !config.eval_only {
        let summary = train_and_save(config, models, on_event)?;
        on_event(TrainEncoderEvent::Saved(summary.clone()));
        report.trained = Some(summary);
    }
    let out = &config.out;
    let encoder = InversionEncoder::load(out, generator.device()).map_err(|source| {
        EncoderPipelineError::Load {
            path: out.clone(),
            source,
        }
    })?;
    if config.eval_generated > 0 {
        let eval = evaluate_generated(
            generator,
            &encoder,
            models.identity,
            &config.data,
            &config.shards,
            config.eval_generated,
            on_event,
        )?;
        on_event(TrainEncoderEvent::Generated(eval.clone()));
        report.generated = Some(eval);
    }
    if let Some(photos) = &config.real_photos {
        let Some(perception) = models.perception else {
            return Err(InversionError::BadInput(
                "measuring real photos needs the face perception models".into(),
            )
            .into());
        };
        let eval = evaluate_real(
            generator,
            &encoder,
            models.identity,
            perception,
            photos,
            on_event,
        )?;
        on_event(TrainEncoderEvent::Real(eval.clone()));
        report.real = Some(eval);
    }
    Ok(report)
}

fn train_and_save(
    config: &TrainEncoderConfig,
    models: &TrainEncoderModels,
    on_event: &mut dyn FnMut(TrainEncoderEvent),
) -> Result<TrainedSummary> {
    let generator = models.generator;
    let started = Instant::now();
    let faces = dataset_faces(&config.data, &config.shards, |s| !held_out(s))?;
    let (validation, mut train_faces): (Vec<_>, Vec<_>) =
        faces.into_iter().partition(|f| f.seed % 10 == 5);
    for dir in &config.extra {
        train_faces.extend(extra_faces(dir)?);
    }
    let train_samples = with_w(generator, train_faces)?;
    let validation_samples = with_w(generator, validation)?;
    on_event(TrainEncoderEvent::Faces {
        train: train_samples.len(),
        validation: validation_samples.len(),
    });
    // The two domain means projected out of the embeddings (see EncoderConfig).
    let generated_mean = mean_embedding(train_samples.iter().map(|s| &s.embeddings[0].0));
    let real = real_embeddings(&config.data.join("celeba-train.jsonl"))
        .map_err(|e| EncoderPipelineError::RealEmbeddings(Box::new(e)))?;
    let real_mean = mean_embedding(real.iter());
    let mut training = config.training.clone();
    training.encoder.embedding_removed = if config.keep_domain_means {
        Vec::new()
    } else {
        orthonormal_directions(&[generated_mean, real_mean])
    };
    tracing::info!(config = ?training, "training the inversion encoder");
    let mut trained = train(&train_samples, &validation_samples, &training, &mut |p| {
        on_event(TrainEncoderEvent::Training(p))
    })?;
    let tuning = if config.scales.is_empty() {
        serde_json::Value::Null
    } else {
        let n = config.scale_faces.min(validation_samples.len());
        let (best, table) = tune_output_scale(
            generator,
            &mut trained.encoder,
            models.identity,
            &validation_samples[..n],
            &config.scales,
            on_event,
        )?;
        on_event(TrainEncoderEvent::ScaleChosen {
            best,
            table: table.clone(),
        });
        serde_json::json!({"validation_faces": n, "median_cosine_by_scale": table, "chosen": best})
    };
    let seconds = started.elapsed().as_secs_f64();
    let metadata = HashMap::from([
        ("training".to_string(), serde_json::to_string(&training)?),
        (
            "result".to_string(),
            serde_json::json!({
                "train_faces": train_samples.len(),
                "validation_faces": validation_samples.len(),
                "train_loss": trained.final_train_loss,
                "validation_loss": trained.final_validation_loss,
                "seconds": seconds.round(),
                "threads": config.threads,
                "output_scale_tuning": tuning,
            })
            .to_string(),
        ),
    ]);
    trained
        .encoder
        .save(&config.out, &trained.varmap, metadata)
        .map_err(|source| EncoderPipelineError::Save {
            path: config.out.clone(),
            source,
        })?;
    Ok(TrainedSummary {
        path: config.out.clone(),
        train_faces: train_samples.len(),
        validation_faces: validation_samples.len(),
        validation_loss: trained.final_validation_loss,
        seconds,
    })
}

/// The mean of 512-d embeddings (zeros for none).
pub fn mean_embedding<'a>(embeddings: impl Iterator<Item = &'a Vec<f32>>) -> Vec<f32> {
    let mut sum = vec![0f32; 512];
    let mut n = 0;
    for e in embeddings {
        sum.iter_mut().zip(e).for_each(|(s, v)| *s += v);
        n += 1;
    }
    sum.into_iter().map(|s| s / n.max(1) as f32).collect()
}

#[derive(serde::Deserialize)]
struct CelebaLine {
    record: Option<DatasetRecord>,
}

/// Identity embeddings of the CelebA training half (000007-000256), as `label generated`
/// measured them; only their mean is used.
fn real_embeddings(path: &Path) -> Result<Vec<Vec<f32>>> {
    let lines: Vec<CelebaLine> = read_lines(path)?;
    let out: Vec<Vec<f32>> = lines
        .into_iter()
        .filter_map(|l| l.record.map(|r| r.embedding))
        .collect();
    if out.is_empty() {
        return Err(EncoderPipelineError::NoEmbeddings(path.to_path_buf()));
    }
    Ok(out)
}

/// Renders `faces` (validation, never held-out) with each output scale and keeps the scale
/// with the best median identity cosine to the face's own render.
fn tune_output_scale(
    generator: &Generator,
    encoder: &mut InversionEncoder,
    identity: &IdentityEncoder,
    faces: &[EncoderSample],
    scales: &[f32],
    on_event: &mut dyn FnMut(TrainEncoderEvent),
) -> Result<(f32, Vec<(f32, f32)>)> {
    let originals = faces
        .iter()
        .map(|f| {
            let w = candle_core::Tensor::from_vec(f.w.clone(), (1, 512), generator.device())?;
            render_identity(generator, identity, &w)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut table = Vec::new();
    for &scale in scales {
        encoder.config.output_scale = scale;
        let mut cos = Vec::new();
        for (f, original) in faces.iter().zip(&originals) {
            let code = encoder.encode(&EncoderInput {
                crop: f.crop.clone(),
                identity: f.embeddings[0].clone(),
                crop_landmarks: f.crop_landmarks.clone(),
            })?;
            cos.push(cosine(
                original,
                &render_identity(generator, identity, &code)?,
            ));
        }
        let median = summary(&cos).0;
        on_event(TrainEncoderEvent::ScaleTried { scale, median });
        table.push((scale, median));
    }
    let best = table
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(1.0, |(s, _)| s);
    encoder.config.output_scale = best;
    Ok((best, table))
}

fn render_identity(
    generator: &Generator,
    identity: &IdentityEncoder,
    styles: &candle_core::Tensor,
) -> Result<Embedding> {
    let render = generator.render(styles, 1024)?;
    Ok(identity.embed(&generated_identity_crop(&render)?)?)
}

/// Median and 10th percentile (NaN for none).
pub fn summary(values: &[f32]) -> (f32, f32) {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return (f32::NAN, f32::NAN);
    }
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.1))
}

fn evaluate_generated(
    generator: &Generator,
    encoder: &InversionEncoder,
    identity: &IdentityEncoder,
    data: &Path,
    shards: &[PathBuf],
    count: usize,
    on_event: &mut dyn FnMut(TrainEncoderEvent),
) -> Result<GeneratedEval> {
    let mut faces = dataset_faces(data, shards, held_out)?;
    faces.truncate(count);
    let mean_face = render_identity(generator, identity, &generator.w_avg()?)?;
    on_event(TrainEncoderEvent::EvalStart {
        set: EvalSet::Generated,
        faces: faces.len(),
    });
    let (mut encoded_cos, mut mean_cos, mut encode_s) = (Vec::new(), Vec::new(), 0f64);
    for (i, f) in faces.iter().enumerate() {
        let w = generator.truncate(&generator.w_from_seed(f.seed)?, f.psi)?;
        let original = render_identity(generator, identity, &w)?;
        let t = Instant::now();
        let code = encoder.encode(&EncoderInput {
            crop: f.crop.clone(),
            identity: f.embeddings[0].clone(),
            crop_landmarks: f.crop_landmarks.clone(),
        })?;
        encode_s += t.elapsed().as_secs_f64();
        let encoded = render_identity(generator, identity, &code)?;
        encoded_cos.push(cosine(&original, &encoded));
        mean_cos.push(cosine(&original, &mean_face));
        on_event(TrainEncoderEvent::EvalProgress {
            done: i + 1,
            median: Some(summary(&encoded_cos).0),
        });
    }
    let better = encoded_cos
        .iter()
        .zip(&mean_cos)
        .filter(|(e, m)| e > m)
        .count();
    Ok(GeneratedEval {
        faces: faces.len(),
        encoded: summary(&encoded_cos),
        mean_face: summary(&mean_cos),
        better,
        encode_ms: 1000.0 * encode_s / faces.len().max(1) as f64,
    })
}

fn evaluate_real(
    generator: &Generator,
    encoder: &InversionEncoder,
    identity: &IdentityEncoder,
    perception: &FacePerception,
    photos: &[PathBuf],
    on_event: &mut dyn FnMut(TrainEncoderEvent),
) -> Result<RealEval> {
    let mean_face = render_identity(generator, identity, &generator.w_avg()?)?;
    on_event(TrainEncoderEvent::EvalStart {
        set: EvalSet::Real,
        faces: photos.len(),
    });
    let (mut cos, mut mean_cos, mut skipped, mut prepare_s) = (Vec::new(), Vec::new(), 0, 0f64);
    for (i, path) in photos.iter().enumerate() {
        on_event(TrainEncoderEvent::EvalProgress {
            done: i + 1,
            median: None,
        });
        let photo = load_photo(path)?;
        let t = Instant::now();
        let aligned = match perception.align(&photo, 256) {
            Ok(a) => a,
            Err(PerceptionError::NoFace | PerceptionError::BadInput(_)) => {
                skipped += 1;
                continue;
            }
            Err(source) => {
                return Err(EncoderPipelineError::Align {
                    path: path.clone(),
                    source,
                })
            }
        };
        let input = EncoderInput::from_aligned(&photo, &aligned, identity)?;
        let code = encoder.encode(&input)?;
        prepare_s += t.elapsed().as_secs_f64();
        let rendered = render_identity(generator, identity, &code)?;
        cos.push(cosine(&input.identity, &rendered));
        mean_cos.push(cosine(&input.identity, &mean_face));
        on_event(TrainEncoderEvent::EvalProgress {
            done: i + 1,
            median: Some(summary(&cos).0),
        });
    }
    Ok(RealEval {
        photos: cos.len(),
        skipped,
        encoded: summary(&cos),
        mean_face: summary(&mean_cos),
        prepare_s: prepare_s / cos.len().max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tte-encoder-pipeline-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("crops")).unwrap();
        dir
    }

    #[test]
    fn held_out_seeds_end_in_zero_inside_the_dataset_range() {
        assert!(held_out(100_000) && held_out(102_990));
        assert!(!held_out(100_005) && !held_out(103_000) && !held_out(99_990));
        assert!(!held_out(200_000));
    }

    #[test]
    fn summary_is_the_median_and_tenth_percentile() {
        let v: Vec<f32> = (0..11).rev().map(|i| i as f32 / 10.0).collect();
        assert_eq!(summary(&v), (0.5, 0.1));
        assert!(summary(&[]).0.is_nan());
        assert_eq!(
            mean_embedding([vec![1.0; 512], vec![3.0; 512]].iter()),
            vec![2.0; 512]
        );
    }

    #[test]
    fn dataset_faces_keep_records_scale_landmarks_and_sort_by_seed() {
        let dir = tempdir("dataset");
        let landmarks: Vec<[f64; 2]> = vec![[0.0, 255.0], [127.5, 63.5]];
        let lines = [
            serde_json::json!({"seed": 100_011, "psi": 0.7,
                "record": {"embedding": [0.5, 0.25], "crop_landmarks": landmarks}}),
            serde_json::json!({"seed": 100_010, "psi": 1.0,
                "record": {"embedding": [1.0], "crop_landmarks": landmarks}}),
            serde_json::json!({"seed": 100_002, "psi": 1.0, "error": "no face found"}),
            serde_json::json!({"seed": 100_001, "psi": 0.7,
                "record": {"embedding": [2.0], "crop_landmarks": landmarks}}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n\n")).collect();
        let shard = dir.join("records.shard-0-of-1.jsonl");
        std::fs::write(&shard, text).unwrap();
        for seed in [100_001u64, 100_010, 100_011] {
            image::RgbImage::from_pixel(ENCODER_CROP, ENCODER_CROP, image::Rgb([seed as u8, 0, 0]))
                .save(dir.join("crops").join(format!("{seed}.png")))
                .unwrap();
        }
        let faces = dataset_faces(&dir, std::slice::from_ref(&shard), |s| !held_out(s)).unwrap();
        let seeds: Vec<u64> = faces.iter().map(|f| f.seed).collect();
        assert_eq!(seeds, [100_001, 100_011]);
        assert_eq!(faces[1].psi, 0.7);
        assert_eq!(faces[1].embeddings[0].0, [0.5, 0.25]);
        assert_eq!(faces[1].crop.get_pixel(0, 0).0, [100_011u64 as u8, 0, 0]);
        assert_eq!(faces[0].crop_landmarks.0, [[-0.25, 127.25], [63.5, 31.5]]);
        let held = dataset_faces(&dir, std::slice::from_ref(&shard), held_out).unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].seed, 100_010);

        // A crop of the wrong size is an error naming it.
        image::RgbImage::new(64, 64)
            .save(dir.join("crops").join("100001.png"))
            .unwrap();
        let err = dataset_faces(&dir, &[shard], |_| true).unwrap_err();
        assert!(matches!(err, EncoderPipelineError::CropSize(ref p) if p.ends_with("100001.png")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn extra_faces_read_pairs_and_refuse_held_out_seeds() {
        let dir = tempdir("extra");
        assert!(matches!(
            extra_faces(&dir).unwrap_err(),
            EncoderPipelineError::NoPairs(_)
        ));
        let record = |seed: u64| PairRecord {
            seed,
            psi: 0.7,
            crop_landmarks: vec![[1.0, 2.0]],
            embedding: vec![0.1],
            degraded_embedding: vec![0.2],
            degraded_side: 256,
            degraded_quality: 50,
        };
        let shard = dir.join("pairs.shard-0-of-1.jsonl");
        std::fs::write(
            &shard,
            format!("{}\n", serde_json::to_string(&record(200_001)).unwrap()),
        )
        .unwrap();
        image::RgbImage::new(ENCODER_CROP, ENCODER_CROP)
            .save(dir.join("crops").join("200001.jpg"))
            .unwrap();
        let faces = extra_faces(&dir).unwrap();
        assert_eq!(faces.len(), 1);
        assert_eq!(faces[0].crop_landmarks.0, [[1.0, 2.0]]);
        let embeddings: Vec<Vec<f32>> = faces[0].embeddings.iter().map(|e| e.0.clone()).collect();
        assert_eq!(embeddings, [vec![0.1], vec![0.2]]);
        std::fs::write(
            dir.join("pairs.shard-1-of-2.jsonl"),
            format!("{}\n", serde_json::to_string(&record(100_020)).unwrap()),
        )
        .unwrap();
        assert!(matches!(
            extra_faces(&dir).unwrap_err(),
            EncoderPipelineError::HeldOutPair { seed: 100_020, .. }
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reports_print_as_the_command_always_did() {
        let generated = GeneratedEval {
            faces: 3,
            encoded: (0.61234, 0.4),
            mean_face: (0.2, 0.1),
            better: 2,
            encode_ms: 12.34,
        };
        assert_eq!(
            generated.to_string(),
            "held-out generated faces (n=3): identity cosine original vs encoded render median 0.612, p10 0.400; \
             mean face median 0.200, p10 0.100; encoded beats the mean face on 2/3; encode 12.3 ms a face"
        );
        let real = RealEval {
            photos: 5,
            skipped: 1,
            encoded: (0.5, 0.3),
            mean_face: (0.25, 0.125),
            prepare_s: 1.234,
        };
        assert_eq!(
            real.to_string(),
            "real photos 000007-000256 (n=5, 1 without a usable face): identity cosine photo vs encoded render \
             median 0.500, p10 0.300; mean face median 0.250, p10 0.125; align + embed + encode 1.23 s a photo"
        );
    }
}
