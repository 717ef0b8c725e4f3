//! `talk-to-edit train encoder`: trains the inversion encoder (`engine::inversion::encoder`) on
//! generated faces and measures it; `talk-to-edit train encoder-pairs` renders extra seeded
//! training faces for it (pipelines: `engine::inversion::encoder_pipeline`, which documents the
//! data, the held-out seeds and the measurements). This file turns the flags into a
//! [`TrainEncoderConfig`] or [`PairsConfig`], loads the models from the model cache and shows the
//! pipeline's events as progress bars and printed lines.

use crate::cmd::label::record_shards;
use crate::loading;
use anyhow::Context;
use engine::inversion::encoder::EncoderConfig;
use engine::inversion::encoder_pipeline::{
    train_encoder, write_pairs, EvalSet, PairsConfig, PairsEvent, TrainEncoderConfig,
    TrainEncoderEvent, TrainEncoderModels,
};
use engine::inversion::train_encoder::{TrainConfig, TrainProgress};
use engine::perception::label_pipeline::seed_psi;
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EncoderArgs {
    /// Labelled dataset directory (records.shard-*.jsonl + crops/).
    #[arg(long)]
    data: PathBuf,
    /// Extra directories from `train encoder-pairs`.
    #[arg(long)]
    extra: Vec<PathBuf>,
    /// Weights file (default: models/trained/encoder.safetensors).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Compute threads (sets RAYON_NUM_THREADS).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    copies: Option<usize>,
    #[arg(long)]
    hidden: Option<usize>,
    /// Side of the pixel patch (0: no pixels).
    #[arg(long)]
    patch: Option<usize>,
    /// Fraction of the crop the patch covers.
    #[arg(long)]
    patch_fraction: Option<f32>,
    #[arg(long)]
    layers: Option<usize>,
    /// Normalise each colour channel of the pixel patch on its own.
    #[arg(long)]
    patch_per_channel: bool,
    /// Keep the generated and real mean embeddings in the embedding (default: projected out).
    #[arg(long)]
    keep_domain_means: bool,
    /// Output scales to try on validation faces (rendered identity cosine); the best is kept.
    #[arg(long, value_delimiter = ',')]
    scales: Vec<f32>,
    /// Validation faces rendered to choose the output scale.
    #[arg(long, default_value_t = 24)]
    scale_faces: usize,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    dropout: Option<f32>,
    #[arg(long)]
    weight_decay: Option<f64>,
    #[arg(long)]
    embedding_noise: Option<f32>,
    /// Only measure the saved weights.
    #[arg(long)]
    eval_only: bool,
    /// Held-out generated faces to measure (seeds 100000, 100010, ...).
    #[arg(long, default_value_t = 60)]
    eval_generated: usize,
    /// Also measure on the CelebA training half (000007-000256); `--real-limit` caps the count.
    #[arg(long)]
    eval_real: bool,
    #[arg(long)]
    real_limit: Option<usize>,
}

#[derive(clap::Args)]
pub struct PairsArgs {
    /// Output directory (pairs.shard-K-of-N.jsonl + crops/).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 200_000)]
    first_seed: u64,
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// `k/n`: render faces k, k+n, ... of the run.
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// Save crops as JPEG (quality 92, a fifth of the PNG size) instead of PNG.
    #[arg(long)]
    jpeg_crops: bool,
}

fn set_threads(threads: usize) {
    let n = threads.max(1);
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    // Already built (a second call in one process) is fine.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
}

fn identity_encoder(store: &models::ModelStore) -> anyhow::Result<IdentityEncoder> {
    Ok(IdentityEncoder::load(
        &store.file("faceplugin", IDENTITY_MODEL)?,
    )?)
}

/// `train encoder-pairs`.
pub fn pairs(args: PairsArgs) -> anyhow::Result<()> {
    let (k, n) = args
        .shard
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        .filter(|(k, n)| *n > 0 && k < n)
        .with_context(|| format!("--shard {:?}: expected k/n with 0 <= k < n", args.shard))?;
    let config = PairsConfig {
        out: args.out,
        shard: (k, n),
        seeds: (0..args.count)
            .filter(|i| i % n == k)
            .map(|i| args.first_seed + i)
            .map(|seed| (seed, seed_psi(seed)))
            .collect(),
        jpeg_crops: args.jpeg_crops,
    };
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = loading::face_perception(&store)?;
    let identity = identity_encoder(&store)?;
    let generator = loading::generator(None)?;
    let mut bar = None;
    write_pairs(
        &config,
        &generator,
        &perception,
        &identity,
        &mut |event| match event {
            PairsEvent::Start { todo } => {
                bar = Some(
                    ProgressBar::new(todo as u64).with_style(
                        ProgressStyle::with_template(
                            "{bar:40} {pos}/{len} faces, {per_sec}, eta {eta}",
                        )
                        .expect("static template"),
                    ),
                )
            }
            PairsEvent::Face => {
                if let Some(bar) = &bar {
                    bar.inc(1)
                }
            }
        },
    )?;
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(())
}

/// `train encoder`.
pub fn run(args: EncoderArgs) -> anyhow::Result<()> {
    set_threads(args.threads);
    let d = TrainConfig::default();
    let training = TrainConfig {
        epochs: args.epochs.unwrap_or(d.epochs),
        copies: args.copies.unwrap_or(d.copies),
        learning_rate: args.lr.unwrap_or(d.learning_rate),
        dropout: args.dropout.unwrap_or(d.dropout),
        weight_decay: args.weight_decay.unwrap_or(d.weight_decay),
        embedding_noise: args.embedding_noise.unwrap_or(d.embedding_noise),
        encoder: EncoderConfig {
            hidden: args.hidden.unwrap_or(d.encoder.hidden),
            patch_side: args.patch.unwrap_or(d.encoder.patch_side),
            patch_fraction: args.patch_fraction.unwrap_or(d.encoder.patch_fraction),
            layers: args.layers.unwrap_or(d.encoder.layers),
            patch_per_channel: args.patch_per_channel,
            ..d.encoder.clone()
        },
        ..d
    };
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let real_photos = if args.eval_real {
        let mut photos = store.celeba_faces(models::Split::Train)?;
        if let Some(limit) = args.real_limit {
            photos.truncate(limit);
        }
        Some(photos)
    } else {
        None
    };
    let config = TrainEncoderConfig {
        // Only read when training or measuring generated faces.
        shards: if !args.eval_only || args.eval_generated > 0 {
            record_shards(&args.data)?
        } else {
            Vec::new()
        },
        data: args.data,
        extra: args.extra,
        out: args
            .out
            .unwrap_or_else(|| loading::trained_dir().join("encoder.safetensors")),
        training,
        keep_domain_means: args.keep_domain_means,
        scales: args.scales,
        scale_faces: args.scale_faces,
        threads: args.threads,
        eval_only: args.eval_only,
        eval_generated: args.eval_generated,
        real_photos,
    };
    let generator = loading::generator(None)?;
    let identity = identity_encoder(&store)?;
    let perception = if args.eval_real {
        Some(loading::face_perception(&store)?)
    } else {
        None
    };
    let models = TrainEncoderModels {
        generator: &generator,
        identity: &identity,
        perception: perception.as_ref(),
    };
    let mut bar: Option<ProgressBar> = None;
    let style = |template: &str| ProgressStyle::with_template(template).expect("static template");
    train_encoder(&config, &models, &mut |event| match event {
        TrainEncoderEvent::Faces { train, validation } => {
            eprintln!("{train} training faces, {validation} validation faces");
            let b = ProgressBar::new(config.training.epochs as u64).with_style(style(
                "{prefix} {bar:30} {pos}/{len} {msg} ({elapsed}, eta {eta})",
            ));
            b.set_prefix("features");
            bar = Some(b);
        }
        TrainEncoderEvent::Training(p) => {
            let Some(bar) = &bar else { return };
            match p {
                TrainProgress::Features { done, total } => {
                    bar.set_message(format!("{done}/{total} faces augmented"));
                    if bar.is_hidden() && (done % 1000 == 0 || done == total) {
                        eprintln!("features: {done}/{total} faces augmented");
                    }
                }
                TrainProgress::Epoch {
                    epoch,
                    train_loss,
                    validation_loss,
                    ..
                } => {
                    bar.set_prefix("epoch");
                    bar.set_position(epoch as u64);
                    bar.set_message(format!(
                        "train {train_loss:.4} validation {validation_loss:.4}"
                    ));
                    let line = format!(
                        "epoch {epoch}: train {train_loss:.4} validation {validation_loss:.4}"
                    );
                    if bar.is_hidden() {
                        eprintln!("{line}");
                    } else if epoch % 5 == 0 {
                        bar.println(line);
                    }
                }
            }
        }
        TrainEncoderEvent::ScaleTried { scale, median } => {
            if let Some(bar) = bar.take() {
                bar.finish();
            }
            eprintln!("output scale {scale}: median identity cosine {median:.3}");
        }
        TrainEncoderEvent::ScaleChosen { best, table } => eprintln!(
            "output scale {best} (validation faces' median identity cosine by scale: {table:?})"
        ),
        TrainEncoderEvent::Saved(summary) => {
            if let Some(bar) = bar.take() {
                bar.finish();
            }
            println!("{summary}");
        }
        TrainEncoderEvent::EvalStart { set, faces } => {
            let template = match set {
                EvalSet::Generated => "held-out generated {bar:30} {pos}/{len} {msg}",
                EvalSet::Real => "real photos {bar:30} {pos}/{len} {msg}",
            };
            bar = Some(ProgressBar::new(faces as u64).with_style(style(template)));
        }
        TrainEncoderEvent::EvalProgress { done, median } => {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
                if let Some(median) = median {
                    bar.set_message(format!("median {median:.3}"));
                }
            }
        }
        TrainEncoderEvent::Generated(eval) => {
            if let Some(bar) = bar.take() {
                bar.finish();
            }
            println!("{eval}");
        }
        TrainEncoderEvent::Real(eval) => {
            if let Some(bar) = bar.take() {
                bar.finish();
            }
            println!("{eval}");
        }
    })?;
    Ok(())
}
