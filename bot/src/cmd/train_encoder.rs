//! `talk-to-edit train encoder`: trains the inversion encoder (`engine::inversion::encoder`) on
//! generated faces and measures it; `talk-to-edit train encoder-pairs` renders extra seeded
//! training faces for it.
//!
//! Data: the labelled dataset (`--data`, e.g. `generated-v4`: records with the identity
//! embedding and 256 px crop landmarks, 128 px crops) and any `--extra` directories written by
//! `train encoder-pairs` (which also carry the embedding of a degraded, CelebA-sized JPEG copy).
//! Seeds ending in 0 of 100000..=102999 are held out: never trained on, used by the generated
//! measurement. Seeds of the dataset ending in 5 are the validation set (loss per epoch).
//!
//! Measurements (`--eval-generated N`, `--eval-real`): identity cosine (fr_feature) between a
//! face and the render of its encoded code; for generated faces the original render vs the
//! encoded render (both through the fixed generated identity crop), for the CelebA training
//! half `000007`-`000256` the photo's face vs the encoded render. The held-out half is never
//! read.

use crate::cmd::label::{record_shards, seed_psi};
use crate::loading;
use anyhow::{bail, Context};
use engine::generator::Generator;
use engine::inversion::encoder::{EncoderInput, InversionEncoder, ENCODER_CROP};
use engine::inversion::train_encoder::{
    render_pair, train, EncoderSample, PairRecord, TrainConfig, TrainProgress,
};
use engine::perception::identity::generated_identity_crop;
use engine::perception::{
    cosine, load_photo, Embedding, IdentityEncoder, Landmarks, PerceptionError, IDENTITY_MODEL,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// First and last seed of the labelled dataset; those ending in 0 are held out.
const DATASET_SEEDS: std::ops::RangeInclusive<u64> = 100_000..=102_999;

fn held_out(seed: u64) -> bool {
    DATASET_SEEDS.contains(&seed) && seed.is_multiple_of(10)
}

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
    let seeds: Vec<u64> = (0..args.count)
        .filter(|i| i % n == k)
        .map(|i| args.first_seed + i)
        .collect();
    if let Some(s) = seeds.iter().find(|s| held_out(**s)) {
        bail!("seed {s} is a held-out evaluation face (seeds ending in 0 of 100000..=102999)");
    }
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = loading::face_perception(&store)?;
    let identity = identity_encoder(&store)?;
    let generator = loading::generator(None)?;
    std::fs::create_dir_all(args.out.join("crops"))?;
    let path = args.out.join(format!("pairs.shard-{k}-of-{n}.jsonl"));
    let done: std::collections::HashSet<u64> = if path.is_file() {
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
        .open(&path)?;
    let todo: Vec<u64> = seeds.into_iter().filter(|s| !done.contains(s)).collect();
    let bar = ProgressBar::new(todo.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} faces, {per_sec}, eta {eta}")
            .expect("static template"),
    );
    for seed in todo {
        match render_pair(&generator, &perception, &identity, seed, seed_psi(seed)) {
            Ok((record, crop)) => {
                if args.jpeg_crops {
                    let file =
                        std::fs::File::create(args.out.join("crops").join(format!("{seed}.jpg")))?;
                    image::codecs::jpeg::JpegEncoder::new_with_quality(
                        std::io::BufWriter::new(file),
                        92,
                    )
                    .encode_image(&crop)?;
                } else {
                    crop.save(args.out.join("crops").join(format!("{seed}.png")))?;
                }
                writeln!(file, "{}", serde_json::to_string(&record)?)?;
            }
            Err(engine::inversion::InversionError::Perception(
                e @ (PerceptionError::NoFace | PerceptionError::BadInput(_)),
            )) => tracing::warn!(seed, "skipped: {e}"),
            Err(e) => return Err(e.into()),
        }
        bar.inc(1);
    }
    bar.finish();
    Ok(())
}

fn read_lines<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// One face of the labelled dataset as the encoder sees it (without w).
struct DatasetFace {
    seed: u64,
    psi: f64,
    crop: image::RgbImage,
    crop_landmarks: Landmarks,
    embeddings: Vec<Embedding>,
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
fn load_crop(dir: &Path, seed: u64) -> anyhow::Result<image::RgbImage> {
    let mut path = dir.join("crops").join(format!("{seed}.png"));
    if !path.is_file() {
        path.set_extension("jpg");
    }
    let crop = image::open(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .to_rgb8();
    if crop.dimensions() != (ENCODER_CROP, ENCODER_CROP) {
        bail!("{}: expected a {ENCODER_CROP} px crop", path.display());
    }
    Ok(crop)
}

/// The labelled dataset's faces (records' landmarks are in 256 px crop pixels).
fn dataset_faces(dir: &Path, keep: impl Fn(u64) -> bool) -> anyhow::Result<Vec<DatasetFace>> {
    let mut out = Vec::new();
    for shard in record_shards(dir)? {
        for line in read_lines::<DatasetLine>(&shard)? {
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

fn extra_faces(dir: &Path) -> anyhow::Result<Vec<DatasetFace>> {
    let mut shards: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("pairs.shard-") && n.ends_with(".jsonl"))
        })
        .collect();
    shards.sort();
    if shards.is_empty() {
        bail!(
            "no pairs.shard-*.jsonl in {} (run `talk-to-edit train encoder-pairs`)",
            dir.display()
        );
    }
    let mut out = Vec::new();
    for shard in shards {
        for r in read_lines::<PairRecord>(&shard)? {
            if held_out(r.seed) {
                bail!("{}: seed {} is held out", shard.display(), r.seed);
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

fn with_w(generator: &Generator, faces: Vec<DatasetFace>) -> anyhow::Result<Vec<EncoderSample>> {
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

/// `train encoder`.
pub fn run(args: EncoderArgs) -> anyhow::Result<()> {
    set_threads(args.threads);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| loading::trained_dir().join("encoder.safetensors"));
    let generator = loading::generator(None)?;
    if !args.eval_only {
        let started = Instant::now();
        let faces = dataset_faces(&args.data, |s| !held_out(s))?;
        let (validation, mut train_faces): (Vec<_>, Vec<_>) =
            faces.into_iter().partition(|f| f.seed % 10 == 5);
        for dir in &args.extra {
            train_faces.extend(extra_faces(dir)?);
        }
        let train_samples = with_w(&generator, train_faces)?;
        let validation_samples = with_w(&generator, validation)?;
        eprintln!(
            "{} training faces, {} validation faces",
            train_samples.len(),
            validation_samples.len()
        );
        // The two domain means projected out of the embeddings (see EncoderConfig).
        let generated_mean = mean_embedding(train_samples.iter().map(|s| &s.embeddings[0].0));
        let real = real_embeddings(&args.data.join("celeba-train.jsonl"))?;
        let real_mean = mean_embedding(real.iter());
        let removed = if args.keep_domain_means {
            Vec::new()
        } else {
            engine::inversion::encoder::orthonormal_directions(&[generated_mean, real_mean])
        };
        let d = TrainConfig::default();
        let config = TrainConfig {
            epochs: args.epochs.unwrap_or(d.epochs),
            copies: args.copies.unwrap_or(d.copies),
            learning_rate: args.lr.unwrap_or(d.learning_rate),
            dropout: args.dropout.unwrap_or(d.dropout),
            weight_decay: args.weight_decay.unwrap_or(d.weight_decay),
            embedding_noise: args.embedding_noise.unwrap_or(d.embedding_noise),
            encoder: engine::inversion::encoder::EncoderConfig {
                hidden: args.hidden.unwrap_or(d.encoder.hidden),
                patch_side: args.patch.unwrap_or(d.encoder.patch_side),
                patch_fraction: args.patch_fraction.unwrap_or(d.encoder.patch_fraction),
                layers: args.layers.unwrap_or(d.encoder.layers),
                embedding_removed: removed,
                patch_per_channel: args.patch_per_channel,
                ..d.encoder.clone()
            },
            ..d
        };
        tracing::info!(?config, "training the inversion encoder");
        let bar = ProgressBar::new(config.epochs as u64).with_style(
            ProgressStyle::with_template(
                "{prefix} {bar:30} {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .expect("static template"),
        );
        bar.set_prefix("features");
        let trained = train(
            &train_samples,
            &validation_samples,
            &config,
            &mut |p| match p {
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
            },
        )?;
        bar.finish();
        let mut trained = trained;
        let tuning = if args.scales.is_empty() {
            serde_json::Value::Null
        } else {
            let store = models::ModelStore::open_default().context("opening the model cache")?;
            let identity = identity_encoder(&store)?;
            let n = args.scale_faces.min(validation_samples.len());
            let (best, table) = tune_output_scale(
                &generator,
                &mut trained.encoder,
                &identity,
                &validation_samples[..n],
                &args.scales,
            )?;
            eprintln!("output scale {best} (validation faces' median identity cosine by scale: {table:?})");
            serde_json::json!({"validation_faces": n, "median_cosine_by_scale": table, "chosen": best})
        };
        let seconds = started.elapsed().as_secs_f64();
        let metadata = HashMap::from([
            ("training".to_string(), serde_json::to_string(&config)?),
            (
                "result".to_string(),
                serde_json::json!({
                    "train_faces": train_samples.len(),
                    "validation_faces": validation_samples.len(),
                    "train_loss": trained.final_train_loss,
                    "validation_loss": trained.final_validation_loss,
                    "seconds": seconds.round(),
                    "threads": args.threads,
                    "output_scale_tuning": tuning,
                })
                .to_string(),
            ),
        ]);
        trained
            .encoder
            .save(&out, &trained.varmap, metadata)
            .with_context(|| format!("saving {}", out.display()))?;
        println!(
            "saved {} ({} faces, validation loss {:.4} (1 = the mean), {:.0} s)",
            out.display(),
            train_samples.len(),
            trained.final_validation_loss,
            seconds
        );
    }
    let encoder = InversionEncoder::load(&out, generator.device())
        .with_context(|| format!("loading {}", out.display()))?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let identity = identity_encoder(&store)?;
    if args.eval_generated > 0 {
        evaluate_generated(
            &generator,
            &encoder,
            &identity,
            &args.data,
            args.eval_generated,
        )?;
    }
    if args.eval_real {
        let perception = loading::face_perception(&store)?;
        let mut photos = store.celeba_faces(models::Split::Train)?;
        if let Some(limit) = args.real_limit {
            photos.truncate(limit);
        }
        evaluate_real(&generator, &encoder, &identity, &perception, &photos)?;
    }
    Ok(())
}

fn mean_embedding<'a>(embeddings: impl Iterator<Item = &'a Vec<f32>>) -> Vec<f32> {
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
fn real_embeddings(path: &Path) -> anyhow::Result<Vec<Vec<f32>>> {
    let lines: Vec<CelebaLine> = read_lines(path).with_context(|| {
        "the CelebA training half's embeddings (written by `talk-to-edit label generated`)"
    })?;
    let out: Vec<Vec<f32>> = lines
        .into_iter()
        .filter_map(|l| l.record.map(|r| r.embedding))
        .collect();
    if out.is_empty() {
        bail!("{}: no embeddings", path.display());
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
) -> anyhow::Result<(f32, Vec<(f32, f32)>)> {
    let originals = faces
        .iter()
        .map(|f| {
            let w = candle_core::Tensor::from_vec(f.w.clone(), (1, 512), generator.device())?;
            render_identity(generator, identity, &w)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
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
        eprintln!(
            "output scale {scale}: median identity cosine {:.3}",
            summary(&cos).0
        );
        table.push((scale, summary(&cos).0));
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
) -> anyhow::Result<Embedding> {
    let render = generator.render(styles, 1024)?;
    Ok(identity.embed(&generated_identity_crop(&render)?)?)
}

/// Median and 10th percentile.
fn summary(values: &[f32]) -> (f32, f32) {
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
    count: usize,
) -> anyhow::Result<()> {
    let mut faces = dataset_faces(data, held_out)?;
    faces.truncate(count);
    let mean_face = render_identity(generator, identity, &generator.w_avg()?)?;
    let bar = ProgressBar::new(faces.len() as u64).with_style(
        ProgressStyle::with_template("held-out generated {bar:30} {pos}/{len} {msg}")
            .expect("static template"),
    );
    let (mut encoded_cos, mut mean_cos, mut encode_s) = (Vec::new(), Vec::new(), 0f64);
    for f in &faces {
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
        bar.inc(1);
        bar.set_message(format!("median {:.3}", summary(&encoded_cos).0));
    }
    bar.finish();
    let (m, p10) = summary(&encoded_cos);
    let (mm, mp10) = summary(&mean_cos);
    let better = encoded_cos
        .iter()
        .zip(&mean_cos)
        .filter(|(e, m)| e > m)
        .count();
    println!(
        "held-out generated faces (n={}): identity cosine original vs encoded render median {m:.3}, p10 {p10:.3}; \
         mean face median {mm:.3}, p10 {mp10:.3}; encoded beats the mean face on {better}/{}; encode {:.1} ms a face",
        faces.len(),
        faces.len(),
        1000.0 * encode_s / faces.len().max(1) as f64
    );
    Ok(())
}

fn evaluate_real(
    generator: &Generator,
    encoder: &InversionEncoder,
    identity: &IdentityEncoder,
    perception: &engine::perception::FacePerception,
    photos: &[PathBuf],
) -> anyhow::Result<()> {
    let mean_face = render_identity(generator, identity, &generator.w_avg()?)?;
    let bar = ProgressBar::new(photos.len() as u64).with_style(
        ProgressStyle::with_template("real photos {bar:30} {pos}/{len} {msg}")
            .expect("static template"),
    );
    let (mut cos, mut mean_cos, mut skipped, mut prepare_s) = (Vec::new(), Vec::new(), 0, 0f64);
    for path in photos {
        bar.inc(1);
        let photo = load_photo(path)?;
        let t = Instant::now();
        let aligned = match perception.align(&photo, 256) {
            Ok(a) => a,
            Err(PerceptionError::NoFace | PerceptionError::BadInput(_)) => {
                skipped += 1;
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("aligning {}", path.display())),
        };
        let input = EncoderInput::from_aligned(&photo, &aligned, identity)?;
        let code = encoder.encode(&input)?;
        prepare_s += t.elapsed().as_secs_f64();
        let rendered = render_identity(generator, identity, &code)?;
        cos.push(cosine(&input.identity, &rendered));
        mean_cos.push(cosine(&input.identity, &mean_face));
        bar.set_message(format!("median {:.3}", summary(&cos).0));
    }
    bar.finish();
    let (m, p10) = summary(&cos);
    let (mm, mp10) = summary(&mean_cos);
    println!(
        "real photos 000007-000256 (n={}, {skipped} without a usable face): identity cosine photo vs encoded render \
         median {m:.3}, p10 {p10:.3}; mean face median {mm:.3}, p10 {mp10:.3}; align + embed + encode {:.2} s a photo",
        cos.len(),
        prepare_s / cos.len().max(1) as f64
    );
    Ok(())
}
