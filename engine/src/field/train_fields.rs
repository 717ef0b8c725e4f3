//! Everything `talk-to-edit train fields` does, as one library call ([`train_fields`]): the five
//! semantic fields, trained on the CPU against latent surrogates, the linear baseline directions,
//! and a check of both on real renders. The binary only turns its flags into a
//! [`TrainFieldsConfig`], loads the models and shows [`TrainFieldsEvent`]s; the pipeline and the
//! layout of the directory it writes ([`field_path`], [`linear_path`], the surrogate files) are
//! here so that they are library code, tested as such and shared with the evaluation.
//!
//! 1. Reads the labelled generated faces (`records.shard-*.jsonl`: seed, truncation psi, identity
//!    embedding; `crops/<seed>.png`) and maps every seed to its w (mapping network only).
//! 2. Runs the attribute predictor P on every crop; fits the attribute surrogate S to P's
//!    probabilities and the identity surrogate I to the embeddings on the faces whose seed does
//!    not end in 0, and reports their agreement on those that do (held out).
//! 3. Trains one field per attribute against S and I ([`super::train`]), saved as f16.
//! 4. Fits the linear baseline directions on w vs P's degrees (training faces).
//! 5. Checks both on rendered images with the real P: for held-out seeds below the top degree,
//!    `edit_until` towards one degree more; reports reach rate, steps and identity cosine.

use super::methods::{
    argmax, check_reader, field_step_norm, is_held_out, method_steppers, seed_latents,
};
use super::surrogate::{
    attribute_agreement, identity_agreement, seeded_normal, train_surrogate, LatentSurrogate,
    SurrogateKind, SurrogateTargets, SurrogateTrainConfig,
};
use super::train::{realism_radius, train_field, FieldTrainConfig, FieldTrainProgress};
use super::{
    edit_until, DegreeReader, EditConfig, FieldError, LatentStepper, LinearDirection,
    LinearFitConfig, SemanticField,
};
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::generator::{Generator, LATENT_DIM};
use crate::perception::{FacePerception, IdentityEncoder};
use crate::predictor::{AttributePredictor, NUM_HEADS};
use candle_core::{DType, Device, Tensor};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const SURROGATE_ATTRIBUTES_FILE: &str = "surrogate_attributes.safetensors";
pub const SURROGATE_IDENTITY_FILE: &str = "surrogate_identity.safetensors";
pub const LINEAR_FILE: &str = "linear_directions.safetensors";

/// `DIR/fields/<attribute>.safetensors`.
pub fn field_path(out: &Path, attribute: Attribute) -> PathBuf {
    out.join("fields")
        .join(format!("{}.safetensors", attribute.name()))
}

/// `DIR/fields/linear_directions.safetensors`.
pub fn linear_path(out: &Path) -> PathBuf {
    out.join("fields").join(LINEAR_FILE)
}

/// Errors of the field training pipeline.
#[derive(Debug, thiserror::Error)]
pub enum TrainFieldsError {
    #[error("{0}")]
    BadConfig(String),
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} line {line}: {reason}", path.display())]
    Record {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("reading {}", path.display())]
    Crop {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error(
        "loading the {attribute} field from {} (trained by `talk-to-edit train fields`)",
        path.display()
    )]
    LoadField {
        attribute: Attribute,
        path: PathBuf,
        source: FieldError,
    },
    #[error("{} holds the {saved} field, not {attribute}", path.display())]
    WrongField {
        path: PathBuf,
        saved: Attribute,
        attribute: Attribute,
    },
    #[error("no linear direction for {0}")]
    NoDirection(Attribute),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Predictor(#[from] crate::predictor::PredictorError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// What one training run does (the command line's flags).
#[derive(Debug, Clone)]
pub struct TrainFieldsConfig {
    /// Dataset directory written by `talk-to-edit label generated` (its `crops/<seed>.png`).
    pub data: PathBuf,
    /// The dataset's record shards (`records.shard-*.jsonl`), in order.
    pub shards: Vec<PathBuf>,
    /// Output directory (`models/trained` by default in the binary).
    pub out: PathBuf,
    /// Attributes to train and check, in the order given.
    pub attributes: Vec<Attribute>,
    /// The field training of each attribute.
    pub field: FieldTrainConfig,
    /// The surrogate fits (S as given; I with [`Self::identity_weight_decay`]).
    pub surrogate: SurrogateTrainConfig,
    /// AdamW weight decay of the identity surrogate I.
    pub identity_weight_decay: f64,
    /// Load S and I from the output directory instead of fitting them again.
    pub reuse_surrogates: bool,
    /// Held-out seeds per attribute for the rendered check (0: no check).
    pub check_seeds: usize,
    /// Step size a of the rendered check.
    pub alpha: f64,
    /// Only run the rendered check on saved fields and directions.
    pub check_only: bool,
}

/// The models the rendered check needs besides the generator and P.
pub struct CheckModels<'a> {
    pub identity: &'a IdentityEncoder,
    pub perception: &'a FacePerception,
}

/// The models the pipeline reads.
pub struct TrainFieldsModels<'a> {
    pub generator: &'a Generator,
    /// P: labels the crops and reads the renders of the check.
    pub predictor: &'a AttributePredictor,
    /// Required when [`TrainFieldsConfig::check_seeds`] is above 0.
    pub check: Option<CheckModels<'a>>,
}

/// What the pipeline reports as it goes: progress, and the result lines the command prints.
#[derive(Debug, Clone, Copy)]
pub enum TrainFieldsEvent<'a> {
    /// A surrogate fit of `epochs` epochs begins.
    SurrogateStart { kind: SurrogateKind, epochs: usize },
    /// One epoch of it ended with this mean training loss.
    SurrogateEpoch {
        kind: SurrogateKind,
        epoch: usize,
        loss: f32,
    },
    /// The fit ended.
    SurrogateDone { kind: SurrogateKind },
    /// An attribute's field training of `steps` steps begins.
    FieldStart { attribute: Attribute, steps: usize },
    /// One training step ended.
    FieldStep {
        attribute: Attribute,
        progress: &'a FieldTrainProgress,
    },
    /// The attribute's field is trained.
    FieldDone { attribute: Attribute },
    /// A line of results (agreement, losses, linear fits, the check's table).
    Line(&'a str),
}

/// What a run wrote besides the model files.
#[derive(Debug, Clone, Default)]
pub struct TrainFieldsOutput {
    /// The rendered check's table (also written to `DIR/fields/check.md`), when it ran.
    pub check: Option<String>,
}

#[derive(Deserialize)]
struct RecordLine {
    seed: u64,
    psi: f64,
    /// Absent where the labeller found no face (`error` is set instead); such faces are skipped.
    record: Option<RecordFields>,
}

#[derive(Deserialize)]
struct RecordFields {
    embedding: Vec<f32>,
}

/// One generated face of the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    pub seed: u64,
    pub psi: f64,
    pub embedding: Vec<f32>,
}

/// The faces of one record shard's text (`name` for errors), in file order; faces the labeller
/// found no face in are skipped.
pub fn parse_faces(name: &Path, text: impl BufRead) -> Result<Vec<Face>, TrainFieldsError> {
    let mut faces = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.map_err(|source| TrainFieldsError::Io {
            path: name.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| TrainFieldsError::Record {
            path: name.to_path_buf(),
            line: n + 1,
            reason,
        };
        let r: RecordLine = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let Some(record) = r.record else {
            continue;
        };
        if record.embedding.len() != 512 {
            return Err(bad(format!(
                "embedding has {} values",
                record.embedding.len()
            )));
        }
        faces.push(Face {
            seed: r.seed,
            psi: r.psi,
            embedding: record.embedding,
        });
    }
    Ok(faces)
}

/// The faces of all shards, sorted by seed, one per seed.
pub fn read_faces(shards: &[PathBuf]) -> Result<Vec<Face>, TrainFieldsError> {
    let mut faces = Vec::new();
    for shard in shards {
        let file = std::fs::File::open(shard).map_err(|source| TrainFieldsError::Io {
            path: shard.clone(),
            source,
        })?;
        faces.extend(parse_faces(shard, std::io::BufReader::new(file))?);
    }
    faces.sort_by_key(|f| f.seed);
    faces.dedup_by_key(|f| f.seed);
    Ok(faces)
}

/// P's probabilities `[n, 5, 6]` on the faces' crops (`data/crops/<seed>.png`).
fn predictor_probabilities(
    predictor: &AttributePredictor,
    data: &Path,
    faces: &[Face],
) -> Result<Tensor, TrainFieldsError> {
    let mut all = Vec::with_capacity(faces.len() * 30);
    for chunk in faces.chunks(64) {
        let images = chunk
            .iter()
            .map(|f| {
                let path = data.join("crops").join(format!("{}.png", f.seed));
                Ok(image::open(&path)
                    .map_err(|source| TrainFieldsError::Crop { path, source })?
                    .to_rgb8())
            })
            .collect::<Result<Vec<_>, TrainFieldsError>>()?;
        for p in predictor.predict(&images)? {
            for head in p.probabilities {
                all.extend_from_slice(&head);
            }
        }
    }
    Ok(Tensor::from_vec(
        all,
        (faces.len(), NUM_HEADS, 6),
        &Device::Cpu,
    )?)
}

fn select(t: &Tensor, rows: &[u32]) -> Result<Tensor, TrainFieldsError> {
    Ok(t.index_select(&Tensor::new(rows, t.device())?, 0)?)
}

/// The attribute's saved field (`DIR/fields/<attribute>.safetensors`) and its linear direction
/// among `directions`.
pub fn load_methods<'d>(
    out: &Path,
    attribute: Attribute,
    directions: &'d [LinearDirection],
    device: &Device,
) -> Result<(SemanticField, &'d LinearDirection), TrainFieldsError> {
    let path = field_path(out, attribute);
    let (field, saved) =
        SemanticField::load_file(&path, device).map_err(|source| TrainFieldsError::LoadField {
            attribute,
            path: path.clone(),
            source,
        })?;
    if saved != attribute {
        return Err(TrainFieldsError::WrongField {
            path,
            saved,
            attribute,
        });
    }
    let direction = directions
        .iter()
        .find(|d| d.attribute == attribute)
        .ok_or(TrainFieldsError::NoDirection(attribute))?;
    Ok((field, direction))
}

/// Runs the pipeline (module docs): fits or loads S and I, trains and saves the fields, fits and
/// saves the linear directions (unless [`TrainFieldsConfig::check_only`]), then the rendered
/// check when [`TrainFieldsConfig::check_seeds`] is above 0.
pub fn train_fields(
    config: &TrainFieldsConfig,
    models: &TrainFieldsModels,
    events: &mut dyn FnMut(TrainFieldsEvent),
) -> Result<TrainFieldsOutput, TrainFieldsError> {
    let out = &config.out;
    let generator = models.generator;
    if config.check_seeds > 0 {
        if models.check.is_none() {
            return Err(TrainFieldsError::BadConfig(
                "the rendered check needs the identity encoder and the face perception".into(),
            ));
        }
        if !(config.alpha > 0.0 && config.alpha.is_finite()) {
            return Err(TrainFieldsError::BadConfig(format!(
                "the check's step size alpha must be positive, got {}",
                config.alpha
            )));
        }
    }
    if !generator.device().is_cpu() {
        tracing::warn!(
            "field training runs on the CPU tensors it builds; the generator is on another device"
        );
    }
    let faces = read_faces(&config.shards)?;
    let train_rows: Vec<u32> = (0..faces.len() as u32)
        .filter(|&i| !is_held_out(faces[i as usize].seed))
        .collect();
    let test_rows: Vec<u32> = (0..faces.len() as u32)
        .filter(|&i| is_held_out(faces[i as usize].seed))
        .collect();
    if train_rows.is_empty() || test_rows.is_empty() {
        return Err(TrainFieldsError::BadConfig(format!(
            "need faces with and without seeds ending in 0 ({} faces)",
            faces.len()
        )));
    }
    let t = Instant::now();
    let seeds: Vec<(u64, f64)> = faces.iter().map(|f| (f.seed, f.psi)).collect();
    let w_all = seed_latents(generator, &seeds)?.to_device(&Device::Cpu)?;
    tracing::info!(
        faces = faces.len(),
        seconds = t.elapsed().as_secs_f32(),
        "mapped the dataset's seeds to w"
    );
    let t = Instant::now();
    let p_all = predictor_probabilities(models.predictor, &config.data, &faces)?;
    tracing::info!(
        seconds = t.elapsed().as_secs_f32(),
        "P on the dataset's crops"
    );
    let mask_all = Tensor::ones((faces.len(), NUM_HEADS), DType::F32, &Device::Cpu)?;
    let e_all = Tensor::from_vec(
        faces
            .iter()
            .flat_map(|f| f.embedding.iter().copied())
            .collect::<Vec<_>>(),
        (faces.len(), 512),
        &Device::Cpu,
    )?;
    let (w_train, w_test) = (select(&w_all, &train_rows)?, select(&w_all, &test_rows)?);
    let (p_train, p_test) = (select(&p_all, &train_rows)?, select(&p_all, &test_rows)?);
    let (m_train, m_test) = (
        select(&mask_all, &train_rows)?,
        select(&mask_all, &test_rows)?,
    );
    let (e_train, e_test) = (select(&e_all, &train_rows)?, select(&e_all, &test_rows)?);

    let s_path = out.join(SURROGATE_ATTRIBUTES_FILE);
    let i_path = out.join(SURROGATE_IDENTITY_FILE);
    let (s, i) = if config.reuse_surrogates || config.check_only {
        (
            LatentSurrogate::load_file(&s_path, SurrogateKind::Attributes, &Device::Cpu)?,
            LatentSurrogate::load_file(&i_path, SurrogateKind::Identity, &Device::Cpu)?,
        )
    } else {
        let s_config = &config.surrogate;
        let t = Instant::now();
        let kind = SurrogateKind::Attributes;
        events(TrainFieldsEvent::SurrogateStart {
            kind,
            epochs: s_config.epochs,
        });
        let s = train_surrogate(
            &w_train,
            SurrogateTargets::Attributes {
                probabilities: &p_train,
                mask: &m_train,
            },
            s_config,
            &mut |epoch, _, loss| events(TrainFieldsEvent::SurrogateEpoch { kind, epoch, loss }),
        )?;
        events(TrainFieldsEvent::SurrogateDone { kind });
        let s_seconds = t.elapsed().as_secs_f32();
        let t = Instant::now();
        let kind = SurrogateKind::Identity;
        let i_config = SurrogateTrainConfig {
            weight_decay: config.identity_weight_decay,
            ..s_config.clone()
        };
        events(TrainFieldsEvent::SurrogateStart {
            kind,
            epochs: i_config.epochs,
        });
        let i = train_surrogate(
            &w_train,
            SurrogateTargets::Identity {
                embeddings: &e_train,
            },
            &i_config,
            &mut |epoch, _, loss| events(TrainFieldsEvent::SurrogateEpoch { kind, epoch, loss }),
        )?;
        events(TrainFieldsEvent::SurrogateDone { kind });
        let i_seconds = t.elapsed().as_secs_f32();
        let agreement = attribute_agreement(&s, &w_test, &p_test, &m_test)?;
        let cos = identity_agreement(&i, &w_test, &e_test)?;
        let train_cos = identity_agreement(&i, &w_train, &e_train)?;
        events(TrainFieldsEvent::Line(&format!(
            "surrogate S vs P on {} held-out faces (argmax agreement, within one degree):",
            test_rows.len()
        )));
        let mut s_meta = HashMap::new();
        for (a, (exact, within, _)) in Attribute::ALL.iter().zip(agreement) {
            events(TrainFieldsEvent::Line(&format!(
                "  {:<11} {:>5.1}%  {:>5.1}%",
                a.name(),
                100.0 * exact,
                100.0 * within
            )));
            s_meta.insert(
                format!("heldout_agreement.{}", a.name()),
                format!("{exact:.4}"),
            );
            s_meta.insert(
                format!("heldout_within_one.{}", a.name()),
                format!("{within:.4}"),
            );
        }
        events(TrainFieldsEvent::Line(&format!(
            "surrogate I: held-out cosine with the identity embedding {cos:.3} (training {train_cos:.3})"
        )));
        events(TrainFieldsEvent::Line(&format!(
            "fit times: S {s_seconds:.0} s, I {i_seconds:.0} s"
        )));
        s_meta.insert("train_config".into(), serde_json::to_string(s_config)?);
        s_meta.insert("train_seconds".into(), format!("{s_seconds:.0}"));
        let i_meta = HashMap::from([
            ("heldout_cosine".to_string(), format!("{cos:.4}")),
            ("train_cosine".to_string(), format!("{train_cos:.4}")),
            (
                "train_config".to_string(),
                serde_json::to_string(&i_config)?,
            ),
            ("train_seconds".to_string(), format!("{i_seconds:.0}")),
        ]);
        s.save_file(&s_path, &s_meta)?;
        i.save_file(&i_path, &i_meta)?;
        (s, i)
    };

    // Bank of mapped samples for the realism term: 4096 z ~ N(0, I), seed 2021.
    let z = seeded_normal(4096, LATENT_DIM, 2021, &Device::Cpu)?;
    let bank = generator
        .mapping
        .forward(&z.to_device(generator.device())?)?
        .to_device(&Device::Cpu)?;
    let radius = realism_radius(&w_train, &bank)?;
    events(TrainFieldsEvent::Line(&format!(
        "realism radius (90th percentile nearest-bank distance of training w): {radius:.2}"
    )));

    let p_degrees: Vec<[usize; NUM_HEADS]> = p_all
        .argmax(candle_core::D::Minus1)?
        .to_dtype(DType::U32)?
        .to_vec2::<u32>()?
        .into_iter()
        .map(|r| std::array::from_fn(|h| r[h] as usize))
        .collect();
    let mut step_norms: HashMap<Attribute, f32> = HashMap::new();
    if !config.check_only {
        let field_config = &config.field;
        for &attribute in &config.attributes {
            let t = Instant::now();
            events(TrainFieldsEvent::FieldStart {
                attribute,
                steps: field_config.steps,
            });
            let mut last = Vec::new();
            let field = train_field(
                attribute,
                &generator.mapping,
                &s,
                &i,
                &w_train,
                &bank,
                radius,
                field_config,
                &mut |p| {
                    events(TrainFieldsEvent::FieldStep {
                        attribute,
                        progress: &p,
                    });
                    last.push(p);
                    if last.len() > 50 {
                        last.remove(0);
                    }
                },
            )?;
            events(TrainFieldsEvent::FieldDone { attribute });
            let n = last.len().max(1) as f32;
            let mean = |f: fn(&FieldTrainProgress) -> f32| last.iter().map(f).sum::<f32>() / n;
            events(TrainFieldsEvent::Line(&format!(
                "{}: last {} steps: ce {:.3}, identity {:.3}, realism {:.4}, |step| {:.2}, S reads +1 in {:.0}% ({:.0} s)",
                attribute.name(),
                last.len(),
                mean(|p| p.ce),
                mean(|p| p.identity),
                mean(|p| p.realism),
                mean(|p| p.step_norm),
                100.0 * mean(|p| p.reached),
                t.elapsed().as_secs_f32()
            )));
            step_norms.insert(attribute, mean(|p| p.step_norm));
            field.save_file_as(&field_path(out, attribute), attribute, true)?;
        }
        // Linear baseline on the training faces, degrees read by P.
        let mut directions = if linear_path(out).is_file() {
            LinearDirection::load_all(&linear_path(out))?
        } else {
            Vec::new()
        };
        for &attribute in &config.attributes {
            let degrees: Vec<usize> = train_rows
                .iter()
                .map(|&r| p_degrees[r as usize][attribute.index()])
                .collect();
            let d =
                LinearDirection::fit(attribute, &w_train, &degrees, &LinearFitConfig::default())?;
            events(TrainFieldsEvent::Line(&format!(
                "linear {}: split {} train accuracy {:.1}% ({:?} low/high)",
                attribute.name(),
                d.split,
                100.0 * d.train_accuracy,
                d.samples
            )));
            directions.retain(|x| x.attribute != attribute);
            directions.push(d);
        }
        directions.sort_by_key(|d| d.attribute.index());
        LinearDirection::save_all(&linear_path(out), &directions)?;
    }
    let mut output = TrainFieldsOutput::default();
    if let (true, Some(check)) = (config.check_seeds > 0, &models.check) {
        let directions = LinearDirection::load_all(&linear_path(out))?;
        let data = CheckData {
            faces: &faces,
            test_rows: &test_rows,
            p_degrees: &p_degrees,
            w_all: &w_all,
            step_norms: &step_norms,
        };
        let report = rendered_check(config, models, check, &directions, &data)?;
        events(TrainFieldsEvent::Line(&report));
        let path = out.join("fields").join("check.md");
        std::fs::write(&path, &report).map_err(|source| TrainFieldsError::Io { path, source })?;
        output.check = Some(report);
    }
    Ok(output)
}

/// The dataset as the rendered check reads it.
struct CheckData<'a> {
    faces: &'a [Face],
    test_rows: &'a [u32],
    p_degrees: &'a [[usize; NUM_HEADS]],
    w_all: &'a Tensor,
    step_norms: &'a HashMap<Attribute, f32>,
}

/// The check's faces for `attribute`: held-out rows whose degree P reads on the crop is below the
/// top, those above degree 0 first, then by seed; at most `per_attribute`.
pub fn check_rows(
    test_rows: &[u32],
    seeds: &[u64],
    p_degrees: &[[usize; NUM_HEADS]],
    attribute: Attribute,
    per_attribute: usize,
) -> Vec<u32> {
    let mut rows: Vec<u32> = test_rows
        .iter()
        .copied()
        .filter(|&r| p_degrees[r as usize][attribute.index()] < 5)
        .collect();
    rows.sort_by_key(|&r| {
        (
            p_degrees[r as usize][attribute.index()] == 0,
            seeds[r as usize],
        )
    });
    rows.into_iter().take(per_attribute).collect()
}

fn rendered_check(
    config: &TrainFieldsConfig,
    models: &TrainFieldsModels,
    check: &CheckModels,
    directions: &[LinearDirection],
    data: &CheckData,
) -> Result<String, TrainFieldsError> {
    let (generator, alpha) = (models.generator, config.alpha);
    let reader = check_reader(
        generator,
        models.predictor,
        check.perception,
        check.identity,
        None,
    );
    let edit_config = EditConfig::default();
    let seeds: Vec<u64> = data.faces.iter().map(|f| f.seed).collect();
    let mut table = format!(
        "Rendered check, step size a = {alpha}, start degree read by P on the render, target +1.\n\n{}",
        "| attribute | method | edits | reached +1 | mean steps | identity cos (result) | others moved |\n|---|---|---|---|---|---|---|\n",
    );
    for &attribute in &config.attributes {
        let (field, direction) =
            load_methods(&config.out, attribute, directions, generator.device())?;
        // Held-out seeds below the top degree, spread over the start degrees P reads.
        let rows = check_rows(
            data.test_rows,
            &seeds,
            data.p_degrees,
            attribute,
            config.check_seeds,
        );
        let w = select(data.w_all, &rows)?.to_device(generator.device())?;
        let norm = match data.step_norms.get(&attribute) {
            Some(n) => *n,
            None => field_step_norm(&field, generator, &w)?,
        };
        let (field_stepper, linear) = method_steppers(&field, direction, generator, norm, alpha)?;
        let methods: [(&str, &dyn LatentStepper); 2] =
            [("field", &field_stepper), ("linear", &linear)];
        for (name, stepper) in methods {
            let (mut reached, mut steps, mut cos, mut cos_n, mut moved) = (0, 0usize, 0f32, 0, 0);
            let mut skipped = 0;
            for (j, &r) in rows.iter().enumerate() {
                // The start degree P reads on the render (the crop's reading can differ).
                let reading = reader.read(&w.narrow(0, j, 1)?)?;
                let start = argmax(&reading.probabilities[attribute.index()]);
                if start + 1 >= NUM_DEGREES {
                    skipped += 1;
                    continue;
                }
                let trace = edit_until(
                    &reader,
                    stepper,
                    &w.narrow(0, j, 1)?,
                    attribute,
                    start + 1,
                    &edit_config,
                )?;
                reached += usize::from(trace.reached);
                steps += trace.result_step;
                if let Some(c) = trace.result().identity_cos {
                    cos += c;
                    cos_n += 1;
                }
                moved += usize::from(!trace.others_moved.is_empty());
                tracing::info!(
                    attribute = attribute.name(),
                    method = name,
                    seed = seeds[r as usize],
                    start,
                    outcome = ?trace.outcome,
                    "rendered check"
                );
            }
            let edits = rows.len() - skipped;
            let n = edits.max(1);
            table.push_str(&format!(
                "| {} | {} (step {:.2}) | {} | {:.0}% | {:.2} | {:.3} | {} |\n",
                attribute.name(),
                name,
                norm,
                edits,
                100.0 * reached as f32 / n as f32,
                steps as f32 / n as f32,
                cos / cos_n.max(1) as f32,
                moved
            ));
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_lines_become_faces_and_bad_lines_name_their_place() {
        let embedding = |x: f32| serde_json::to_string(&vec![x; 512]).unwrap();
        let text = format!(
            "{{\"seed\":100001,\"psi\":0.7,\"record\":{{\"embedding\":{}}}}}\n\n\
             {{\"seed\":100002,\"psi\":1.0,\"error\":\"no face\"}}\n\
             {{\"seed\":100000,\"psi\":1.0,\"record\":{{\"embedding\":{},\"other\":1}}}}\n",
            embedding(0.5),
            embedding(-1.0)
        );
        let name = Path::new("records.shard-0-of-1.jsonl");
        let faces = parse_faces(name, text.as_bytes()).unwrap();
        assert_eq!(faces.len(), 2, "the face-less record is skipped");
        assert_eq!((faces[0].seed, faces[0].psi), (100001, 0.7));
        assert_eq!(faces[0].embedding, vec![0.5; 512]);
        assert_eq!((faces[1].seed, faces[1].embedding[511]), (100000, -1.0));

        let short = "{\"seed\":1,\"psi\":1.0,\"record\":{\"embedding\":[1.0,2.0]}}\n";
        let err = parse_faces(name, format!("\n{short}").as_bytes())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "records.shard-0-of-1.jsonl line 2: embedding has 2 values"
        );
        let err = parse_faces(name, "{\"seed\":".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("records.shard-0-of-1.jsonl line 1: "),
            "{err}"
        );
    }

    #[test]
    fn the_check_takes_faces_below_the_top_degree_nonzero_first() {
        let seeds = [100000, 100010, 100020, 100030, 100040, 100001];
        // Smiling degrees P reads on each crop (other heads 0).
        let smiling = [0, 3, 5, 1, 0, 2];
        let p_degrees: Vec<[usize; NUM_HEADS]> = smiling
            .iter()
            .map(|&d| {
                let mut p = [0; NUM_HEADS];
                p[Attribute::Smiling.index()] = d;
                p
            })
            .collect();
        let test_rows = [0, 1, 2, 3, 4];
        let rows = check_rows(&test_rows, &seeds, &p_degrees, Attribute::Smiling, 3);
        assert_eq!(rows, [1, 3, 0], "degree 5 left out, degree 0 last");
        let rows = check_rows(&test_rows, &seeds, &p_degrees, Attribute::Smiling, 10);
        assert_eq!(rows, [1, 3, 0, 4]);
        let rows = check_rows(&test_rows, &seeds, &p_degrees, Attribute::Age, 2);
        assert_eq!(rows, [0, 1], "all at degree 0: by seed");
    }

    #[test]
    fn trained_files_sit_under_fields() {
        let out = Path::new("trained");
        assert_eq!(
            field_path(out, Attribute::Beard),
            Path::new("trained/fields/beard.safetensors")
        );
        assert_eq!(
            linear_path(out),
            Path::new("trained/fields/linear_directions.safetensors")
        );
    }
}
