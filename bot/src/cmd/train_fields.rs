//! `talk-to-edit train fields`: the five semantic fields, trained on the CPU against latent
//! surrogates, the linear baseline directions, and a check of both on real renders.
//!
//! 1. Reads the labelled generated faces (`records.shard-*.jsonl`: seed, truncation psi, identity
//!    embedding; `crops/<seed>.png`) and maps every seed to its w (mapping network only).
//! 2. Runs the attribute predictor P on every crop; fits the attribute surrogate S to P's
//!    probabilities and the identity surrogate I to the embeddings on the faces whose seed does
//!    not end in 0, and reports their agreement on those that do (held out).
//! 3. Trains one field per attribute against S and I (`engine::field::train`), saved as f16.
//! 4. Fits the linear baseline directions on w vs P's degrees (training faces).
//! 5. Checks both on rendered images with the real P: for held-out seeds below the top degree,
//!    `edit_until` towards one degree more; reports reach rate, steps and identity cosine.

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor};
pub use engine::field::methods::{argmax, check_reader};
use engine::field::methods::{field_step_norm, is_held_out, method_steppers, seed_latents};
use engine::field::surrogate::{
    attribute_agreement, identity_agreement, seeded_normal, train_surrogate, LatentSurrogate,
    SurrogateKind, SurrogateTargets, SurrogateTrainConfig,
};
use engine::field::train::{realism_radius, train_field, FieldTrainConfig};
use engine::field::{
    edit_until, DegreeReader, EditConfig, LatentStepper, LinearDirection, LinearFitConfig,
    SemanticField,
};
use engine::generator::{Generator, LATENT_DIM};
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::{AttributePredictor, NUM_HEADS};
use engine::Attribute;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct FieldsArgs {
    /// Dataset directory written by `talk-to-edit label generated`.
    #[arg(long)]
    data: PathBuf,
    /// Attributes to train (default: all five).
    #[arg(long = "attribute", value_name = "A")]
    attributes: Vec<Attribute>,
    /// Training steps per field.
    #[arg(long, default_value_t = FieldTrainConfig::default().steps)]
    steps: usize,
    /// Adam learning rate of the fields.
    #[arg(long, default_value_t = FieldTrainConfig::default().learning_rate)]
    lr: f64,
    /// Minibatch size of the field training.
    #[arg(long, default_value_t = FieldTrainConfig::default().batch)]
    batch: usize,
    /// Weight of the identity-keeping loss `1 - cos(I(w), I(w'))`.
    #[arg(long, default_value_t = FieldTrainConfig::default().identity_weight)]
    identity_weight: f64,
    /// Weight of the realism (bank-density) loss.
    #[arg(long, default_value_t = FieldTrainConfig::default().realism_weight)]
    realism_weight: f64,
    /// Weight of the step-size prior.
    #[arg(long, default_value_t = FieldTrainConfig::default().step_weight)]
    step_weight: f64,
    /// Epochs of each surrogate fit.
    #[arg(long, default_value_t = SurrogateTrainConfig::default().epochs)]
    surrogate_epochs: usize,
    /// AdamW weight decay of the identity surrogate I (decoupled; S uses the default).
    #[arg(long, default_value_t = SurrogateTrainConfig::default().weight_decay)]
    identity_weight_decay: f64,
    /// Load S and I from the output directory instead of fitting them again.
    #[arg(long)]
    reuse_surrogates: bool,
    /// Held-out seeds per attribute for the rendered check (0: no check).
    #[arg(long, default_value_t = 10)]
    check_seeds: usize,
    /// Step size a of the rendered check (field: `a F`; linear: `a` times its step length).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Only run the rendered check on saved fields and directions.
    #[arg(long)]
    check_only: bool,
    /// Output directory (default: models/trained).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Generator weights (default: the model cache's converted file).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
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
struct Face {
    seed: u64,
    psi: f64,
    embedding: Vec<f32>,
}

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

fn read_faces(data: &Path) -> anyhow::Result<Vec<Face>> {
    let mut faces = Vec::new();
    let shards = super::label::record_shards(data)?;
    for shard in shards {
        let file = std::fs::File::open(&shard)?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let r: RecordLine = serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", shard.display(), n + 1))?;
            let Some(record) = r.record else {
                continue;
            };
            if record.embedding.len() != 512 {
                bail!(
                    "{} line {}: embedding has {} values",
                    shard.display(),
                    n + 1,
                    record.embedding.len()
                );
            }
            faces.push(Face {
                seed: r.seed,
                psi: r.psi,
                embedding: record.embedding,
            });
        }
    }
    faces.sort_by_key(|f| f.seed);
    faces.dedup_by_key(|f| f.seed);
    Ok(faces)
}

/// P's probabilities `[n, 5, 6]` on the faces' crops.
fn predictor_probabilities(
    predictor: &AttributePredictor,
    data: &Path,
    faces: &[Face],
) -> anyhow::Result<Tensor> {
    let mut all = Vec::with_capacity(faces.len() * 30);
    for chunk in faces.chunks(64) {
        let images = chunk
            .iter()
            .map(|f| {
                let path = data.join("crops").join(format!("{}.png", f.seed));
                Ok(image::open(&path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .to_rgb8())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
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

/// A progress bar with `template` (indicatif; hidden when stderr is not a terminal).
pub fn bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn select(t: &Tensor, rows: &[u32]) -> anyhow::Result<Tensor> {
    Ok(t.index_select(&Tensor::new(rows, t.device())?, 0)?)
}

pub fn run(args: FieldsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = args.out.clone().unwrap_or_else(crate::loading::trained_dir);
    let attributes: Vec<Attribute> = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes.clone()
    };
    let generator = crate::loading::generator(args.weights.clone())?;
    if !generator.device().is_cpu() {
        tracing::warn!(
            "field training runs on the CPU tensors it builds; the generator is on another device"
        );
    }
    let predictor_path = crate::loading::predictor_path();
    let predictor =
        AttributePredictor::load_file(&predictor_path, &Device::Cpu).with_context(|| {
            format!(
                "loading the attribute predictor P from {}",
                predictor_path.display()
            )
        })?;
    let faces = read_faces(&args.data)?;
    let train_rows: Vec<u32> = (0..faces.len() as u32)
        .filter(|&i| !is_held_out(faces[i as usize].seed))
        .collect();
    let test_rows: Vec<u32> = (0..faces.len() as u32)
        .filter(|&i| is_held_out(faces[i as usize].seed))
        .collect();
    if train_rows.is_empty() || test_rows.is_empty() {
        bail!(
            "need faces with and without seeds ending in 0 ({} faces)",
            faces.len()
        );
    }
    let t = Instant::now();
    let seeds: Vec<(u64, f64)> = faces.iter().map(|f| (f.seed, f.psi)).collect();
    let w_all = seed_latents(&generator, &seeds)?.to_device(&Device::Cpu)?;
    tracing::info!(
        faces = faces.len(),
        seconds = t.elapsed().as_secs_f32(),
        "mapped the dataset's seeds to w"
    );
    let t = Instant::now();
    let p_all = predictor_probabilities(&predictor, &args.data, &faces)?;
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
    let (s, i) = if args.reuse_surrogates || args.check_only {
        (
            LatentSurrogate::load_file(&s_path, SurrogateKind::Attributes, &Device::Cpu)?,
            LatentSurrogate::load_file(&i_path, SurrogateKind::Identity, &Device::Cpu)?,
        )
    } else {
        let config = SurrogateTrainConfig {
            epochs: args.surrogate_epochs,
            ..Default::default()
        };
        let t = Instant::now();
        let pb = bar(
            config.epochs as u64,
            "S epoch {pos}/{len} [{bar:30}] {msg} ({elapsed})",
        );
        let s = train_surrogate(
            &w_train,
            SurrogateTargets::Attributes {
                probabilities: &p_train,
                mask: &m_train,
            },
            &config,
            &mut |e, _, l| {
                pb.set_position(e as u64);
                pb.set_message(format!("soft CE {l:.4}"));
            },
        )?;
        pb.finish();
        let s_seconds = t.elapsed().as_secs_f32();
        let t = Instant::now();
        let pb = bar(
            config.epochs as u64,
            "I epoch {pos}/{len} [{bar:30}] {msg} ({elapsed})",
        );
        let i_config = SurrogateTrainConfig {
            weight_decay: args.identity_weight_decay,
            ..config.clone()
        };
        let i = train_surrogate(
            &w_train,
            SurrogateTargets::Identity {
                embeddings: &e_train,
            },
            &i_config,
            &mut |e, _, l| {
                pb.set_position(e as u64);
                pb.set_message(format!("1 - cos {l:.4}"));
            },
        )?;
        pb.finish();
        let i_seconds = t.elapsed().as_secs_f32();
        let agreement = attribute_agreement(&s, &w_test, &p_test, &m_test)?;
        let cos = identity_agreement(&i, &w_test, &e_test)?;
        let train_cos = identity_agreement(&i, &w_train, &e_train)?;
        println!(
            "surrogate S vs P on {} held-out faces (argmax agreement, within one degree):",
            test_rows.len()
        );
        let mut s_meta = HashMap::new();
        for (a, (exact, within, _)) in Attribute::ALL.iter().zip(agreement) {
            println!(
                "  {:<11} {:>5.1}%  {:>5.1}%",
                a.name(),
                100.0 * exact,
                100.0 * within
            );
            s_meta.insert(
                format!("heldout_agreement.{}", a.name()),
                format!("{exact:.4}"),
            );
            s_meta.insert(
                format!("heldout_within_one.{}", a.name()),
                format!("{within:.4}"),
            );
        }
        println!("surrogate I: held-out cosine with the identity embedding {cos:.3} (training {train_cos:.3})");
        println!("fit times: S {s_seconds:.0} s, I {i_seconds:.0} s");
        s_meta.insert("train_config".into(), serde_json::to_string(&config)?);
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
    println!("realism radius (90th percentile nearest-bank distance of training w): {radius:.2}");

    let p_degrees: Vec<[usize; NUM_HEADS]> = p_all
        .argmax(candle_core::D::Minus1)?
        .to_dtype(DType::U32)?
        .to_vec2::<u32>()?
        .into_iter()
        .map(|r| std::array::from_fn(|h| r[h] as usize))
        .collect();
    let mut step_norms: HashMap<Attribute, f32> = HashMap::new();
    if !args.check_only {
        let config = FieldTrainConfig {
            steps: args.steps,
            learning_rate: args.lr,
            batch: args.batch,
            identity_weight: args.identity_weight,
            realism_weight: args.realism_weight,
            step_weight: args.step_weight,
            ..Default::default()
        };
        for &attribute in &attributes {
            let t = Instant::now();
            let pb = bar(
                config.steps as u64,
                &format!(
                    "{:<10} {{pos}}/{{len}} [{{bar:30}}] {{msg}} ({{elapsed}})",
                    attribute.name()
                ),
            );
            let mut last = Vec::new();
            let field = train_field(
                attribute,
                &generator.mapping,
                &s,
                &i,
                &w_train,
                &bank,
                radius,
                &config,
                &mut |p| {
                    pb.set_position(p.step as u64);
                    pb.set_message(format!(
                        "loss {:.3} ce {:.3} id {:.3} real {:.3} |step| {:.2} S-reached {:.0}%",
                        p.loss,
                        p.ce,
                        p.identity,
                        p.realism,
                        p.step_norm,
                        100.0 * p.reached
                    ));
                    last.push(p);
                    if last.len() > 50 {
                        last.remove(0);
                    }
                },
            )?;
            pb.finish();
            let n = last.len().max(1) as f32;
            let mean = |f: fn(&engine::field::train::FieldTrainProgress) -> f32| {
                last.iter().map(f).sum::<f32>() / n
            };
            println!(
                "{}: last {} steps: ce {:.3}, identity {:.3}, realism {:.4}, |step| {:.2}, S reads +1 in {:.0}% ({:.0} s)",
                attribute.name(),
                last.len(),
                mean(|p| p.ce),
                mean(|p| p.identity),
                mean(|p| p.realism),
                mean(|p| p.step_norm),
                100.0 * mean(|p| p.reached),
                t.elapsed().as_secs_f32()
            );
            step_norms.insert(attribute, mean(|p| p.step_norm));
            field.save_file_as(&field_path(&out, attribute), attribute, true)?;
        }
        // Linear baseline on the training faces, degrees read by P.
        let mut directions = if linear_path(&out).is_file() {
            LinearDirection::load_all(&linear_path(&out))?
        } else {
            Vec::new()
        };
        for &attribute in &attributes {
            let degrees: Vec<usize> = train_rows
                .iter()
                .map(|&r| p_degrees[r as usize][attribute.index()])
                .collect();
            let d =
                LinearDirection::fit(attribute, &w_train, &degrees, &LinearFitConfig::default())?;
            println!(
                "linear {}: split {} train accuracy {:.1}% ({:?} low/high)",
                attribute.name(),
                d.split,
                100.0 * d.train_accuracy,
                d.samples
            );
            directions.retain(|x| x.attribute != attribute);
            directions.push(d);
        }
        directions.sort_by_key(|d| d.attribute.index());
        LinearDirection::save_all(&linear_path(&out), &directions)?;
    }
    if args.check_seeds > 0 {
        let store = models::ModelStore::open_default()?;
        let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
        let directions = LinearDirection::load_all(&linear_path(&out))?;
        let report = rendered_check(
            &generator,
            &predictor,
            &identity,
            &out,
            &attributes,
            &directions,
            &faces,
            &test_rows,
            &p_degrees,
            &w_all,
            &step_norms,
            args.check_seeds,
            args.alpha,
        )?;
        println!("{report}");
        std::fs::write(out.join("fields").join("check.md"), &report)?;
    }
    println!("done in {:.0} s", started.elapsed().as_secs_f32());
    Ok(())
}

/// The attribute's saved field (`DIR/fields/<attribute>.safetensors`) and its linear direction
/// among `directions`.
pub fn load_methods<'d>(
    out: &Path,
    attribute: Attribute,
    directions: &'d [LinearDirection],
    device: &Device,
) -> anyhow::Result<(SemanticField, &'d LinearDirection)> {
    let path = field_path(out, attribute);
    let (field, saved) = SemanticField::load_file(&path, device).with_context(|| {
        format!(
            "loading the {attribute} field from {} (trained by `talk-to-edit train fields`)",
            path.display()
        )
    })?;
    if saved != attribute {
        bail!(
            "{} holds the {saved} field, not {attribute}",
            path.display()
        );
    }
    let direction = directions
        .iter()
        .find(|d| d.attribute == attribute)
        .with_context(|| format!("no linear direction for {attribute}"))?;
    Ok((field, direction))
}

#[allow(clippy::too_many_arguments)]
fn rendered_check(
    generator: &Generator,
    predictor: &AttributePredictor,
    identity: &IdentityEncoder,
    out: &Path,
    attributes: &[Attribute],
    directions: &[LinearDirection],
    faces: &[Face],
    test_rows: &[u32],
    p_degrees: &[[usize; NUM_HEADS]],
    w_all: &Tensor,
    step_norms: &HashMap<Attribute, f32>,
    per_attribute: usize,
    alpha: f64,
) -> anyhow::Result<String> {
    if !(alpha > 0.0 && alpha.is_finite()) {
        bail!("--alpha must be positive, got {alpha}");
    }
    let store = models::ModelStore::open_default()?;
    let perception = crate::loading::face_perception(&store)?;
    let reader = check_reader(generator, predictor, &perception, identity, None);
    let config = EditConfig::default();
    let mut table = format!(
        "Rendered check, step size a = {alpha}, start degree read by P on the render, target +1.\n\n{}",
        "| attribute | method | edits | reached +1 | mean steps | identity cos (result) | others moved |\n|---|---|---|---|---|---|---|\n",
    );
    for &attribute in attributes {
        let (field, direction) = load_methods(out, attribute, directions, generator.device())?;
        // Held-out seeds below the top degree, spread over the start degrees P reads.
        let mut rows: Vec<u32> = test_rows
            .iter()
            .copied()
            .filter(|&r| p_degrees[r as usize][attribute.index()] < 5)
            .collect();
        rows.sort_by_key(|&r| {
            (
                p_degrees[r as usize][attribute.index()] == 0,
                faces[r as usize].seed,
            )
        });
        let rows: Vec<u32> = rows.into_iter().take(per_attribute).collect();
        let w = select(w_all, &rows)?.to_device(generator.device())?;
        let norm = match step_norms.get(&attribute) {
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
                if start + 1 >= engine::attributes::NUM_DEGREES {
                    skipped += 1;
                    continue;
                }
                let trace = edit_until(
                    &reader,
                    stepper,
                    &w.narrow(0, j, 1)?,
                    attribute,
                    start + 1,
                    &config,
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
                    seed = faces[r as usize].seed,
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
