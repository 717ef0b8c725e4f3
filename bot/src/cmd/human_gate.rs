//! `talk-to-edit human-gate`: fits and measures the people-only gate
//! (`engine::perception::human`).
//!
//! - `fit`: the mean landmark shape and mean identity embedding of generated faces, and a
//!   logistic probe on the embedding (generated faces and photo-like copies of them against
//!   non-human pictures), written as the gate's reference
//!   (`engine/data/perception/human_reference.json`).
//! - `eval`: every feature of every picture given (the measured CelebA half, generated faces,
//!   folders of human or non-human pictures), judged by the bundled rules, written as
//!   `features.jsonl` and a markdown table `human_gate.md` (acceptance and refusal rates).
//!
//! Both are `engine::perception::human_pipeline`; this file picks the pictures and the
//! generated faces, loads the models and prints.

use anyhow::Context;
use engine::perception::human::HumanGate;
use engine::perception::human_pipeline::{evaluate_gate, fit_reference, FitConfig, GatePictures};
use engine::perception::{FacePerception, IdentityEncoder, IDENTITY_MODEL};
use image::RgbImage;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: GateCommand,
}

#[derive(clap::Subcommand)]
enum GateCommand {
    /// Fit the human reference on generated faces: mean shape and embedding, and the embedding
    /// probe against non-human pictures.
    Fit {
        /// First seed of the generated faces (alternately truncation 0.7 and 1.0).
        #[arg(long, default_value_t = 200_000)]
        seed: u64,
        /// How many faces.
        #[arg(long, default_value_t = 160)]
        count: u64,
        /// Photo-like copies of each face for the probe (`perception::human::photo_like`).
        #[arg(long, default_value_t = 2)]
        copies: u64,
        /// The probe's negatives: pictures of non-human things (files or folders); those the
        /// detector finds no face in are skipped.
        #[arg(long, num_args = 1.., required = true)]
        non_human: Vec<PathBuf>,
        /// L2 weight of the probe.
        #[arg(long, default_value_t = 1e-3)]
        l2: f64,
        /// Where to write the reference (JSON).
        #[arg(long, default_value = "engine/data/perception/human_reference.json")]
        out: PathBuf,
        /// Converted generator weights (default: the model cache's).
        #[arg(long)]
        weights: Option<PathBuf>,
    },
    /// Measure every feature and the bundled rules on human and non-human pictures.
    Eval {
        /// Include the measured CelebA half (felonfinder `000007.jpg`-`000256.jpg`) as humans.
        #[arg(long)]
        celeba: bool,
        /// Include this many generated faces (seeds from 300000, truncation 0.7) as humans, each
        /// at 1024 px and downscaled to 256 px.
        #[arg(long, default_value_t = 0)]
        generated: u64,
        /// Human pictures (files or folders).
        #[arg(long, num_args = 1..)]
        human: Vec<PathBuf>,
        /// Non-human pictures (files or folders).
        #[arg(long, num_args = 1..)]
        non_human: Vec<PathBuf>,
        /// Output folder (features.jsonl, human_gate.md).
        #[arg(long)]
        out: PathBuf,
        /// Also write each face's identity embedding into features.jsonl.
        #[arg(long)]
        with_embeddings: bool,
        /// Converted generator weights (default: the model cache's).
        #[arg(long)]
        weights: Option<PathBuf>,
    },
}

/// First seed of the generated faces `eval --generated` measures (apart from `fit`'s).
const EVAL_SEED: u64 = 300_000;

fn models() -> anyhow::Result<(FacePerception, IdentityEncoder)> {
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    Ok((perception, identity))
}

fn generated(
    weights: Option<PathBuf>,
    seeds: std::ops::Range<u64>,
) -> anyhow::Result<Vec<(String, RgbImage)>> {
    let generator = crate::loading::generator(weights)?;
    seeds
        .map(|seed| {
            let w = generator.truncate(&generator.w_from_seed(seed)?, 0.7)?;
            Ok((format!("seed {seed}"), generator.render(&w, 1024)?))
        })
        .collect()
}

/// Each face at 1024 px and as a small upload (256 px).
fn with_small_copies(faces: Vec<(String, RgbImage)>) -> Vec<(String, RgbImage)> {
    faces
        .into_iter()
        .flat_map(|(name, face)| {
            let small =
                image::imageops::resize(&face, 256, 256, image::imageops::FilterType::Triangle);
            [
                (format!("{name} at 1024 px"), face),
                (format!("{name} at 256 px"), small),
            ]
        })
        .collect()
}

/// The image files in `paths` (folders expanded, sorted).
fn pictures(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        ["png", "jpg", "jpeg"].contains(&e.to_lowercase().as_str())
                    })
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        GateCommand::Fit {
            seed,
            count,
            copies,
            non_human,
            l2,
            out,
            weights,
        } => fit(
            FitConfig {
                seed,
                count,
                copies,
                l2,
            },
            &non_human,
            &out,
            weights,
        ),
        GateCommand::Eval {
            celeba,
            generated: n_generated,
            human,
            non_human,
            out,
            with_embeddings,
            weights,
        } => {
            let mut humans: Vec<PathBuf> = Vec::new();
            if celeba {
                humans.extend(
                    models::ModelStore::open_default()?
                        .celeba_faces(models::Split::Train)
                        .context(
                            "the measured photos (`talk-to-edit models fetch --only felonfinder`)",
                        )?,
                );
            }
            humans.extend(pictures(&human)?);
            let non_humans = pictures(&non_human)?;
            let faces = if n_generated > 0 {
                with_small_copies(generated(weights, EVAL_SEED..EVAL_SEED + n_generated)?)
            } else {
                Vec::new()
            };
            let pictures = GatePictures {
                generated: &faces,
                humans: &humans,
                non_humans: &non_humans,
            };
            eval(pictures, &out, with_embeddings)
        }
    }
}

fn fit(
    config: FitConfig,
    non_human: &[PathBuf],
    out: &Path,
    weights: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (perception, identity) = models()?;
    let generator = crate::loading::generator(weights)?;
    let fitted = fit_reference(
        &generator,
        &perception,
        &identity,
        &config,
        &pictures(non_human)?,
        &mut |seed, positives| tracing::info!(seed, positives, "generated face observed"),
    )?;
    std::fs::write(out, serde_json::to_string(&fitted.reference)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} human faces, {} non-human pictures)",
        out.display(),
        fitted.positives,
        fitted.negatives
    );
    Ok(())
}

fn eval(pictures: GatePictures, out: &Path, with_embeddings: bool) -> anyhow::Result<()> {
    let (perception, identity) = models()?;
    let table = evaluate_gate(
        HumanGate::bundled()?,
        &perception,
        &identity,
        &pictures,
        out,
        with_embeddings,
        &mut |r| tracing::info!(picture = r.picture, outcome = r.outcome, "judged"),
    )?;
    print!("{table}");
    Ok(())
}
