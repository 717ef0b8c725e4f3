//! `talk-to-edit eval`: the paper's comparison of the trained semantic fields with the linear
//! baseline on held-out faces (protocol and pipeline: `engine::field::eval`). This file turns the
//! flags into an [`EvalConfig`], loads the models from the model cache and `models/trained`, runs
//! [`evaluate`] with progress bars, and draws `fig10.png` ([`crate::figures`]).

use anyhow::{bail, Context};
use candle_core::Device;
use engine::field::eval::{
    evaluate, AttributeMethods, EvalConfig, EvalModels, EvalProgress, HELD_OUT_FACES,
};
use engine::field::train_fields::{load_methods, LINEAR_FILE};
use engine::field::LinearDirection;
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::AttributePredictor;
use engine::Attribute;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::train_fields::bar;

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
    let config = EvalConfig {
        faces: args.faces,
        out: args.out.clone(),
        threads: args.threads,
        change: args.change,
        keep_degree_zero: args.keep_degree_zero,
        alpha: args.alpha,
        scan: args.scan,
        fresh: args.fresh,
        command: format!(
            "{}{}",
            std::env::var("RAYON_NUM_THREADS")
                .map(|n| format!("RAYON_NUM_THREADS={n} "))
                .unwrap_or_default(),
            std::env::args().collect::<Vec<_>>().join(" ")
        ),
        started,
    };
    let attributes = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes.clone()
    };

    let trained = args.trained.unwrap_or_else(crate::loading::trained_dir);
    let generator = crate::loading::generator(args.weights)?;
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
    let mut methods = BTreeMap::new();
    for a in attributes {
        let (field, linear) = load_methods(&trained, a, &directions, generator.device())?;
        let linear = linear.clone();
        methods.insert(a, AttributeMethods { field, linear });
    }
    let models = EvalModels {
        generator: &generator,
        predictor: &predictor,
        prime: &prime,
        perception: &perception,
        identity: &identity,
    };

    let scan_bar = bar(
        args.scan.min(HELD_OUT_FACES) as u64,
        "start faces {pos}/{len} [{bar:30}] ({elapsed})",
    );
    let edit_bar = bar(
        0,
        "edits {pos}/{len} [{bar:30}] {msg} ({elapsed}, eta {eta})",
    );
    let progress = |p: EvalProgress| match p {
        EvalProgress::StartFaces { read, .. } => scan_bar.set_position(read as u64),
        EvalProgress::StartFacesDone => scan_bar.finish_and_clear(),
        EvalProgress::Editing { todo } => {
            edit_bar.reset();
            edit_bar.set_length(todo as u64);
        }
        EvalProgress::EditDone { attribute, method } => {
            edit_bar.inc(1);
            edit_bar.set_message(format!("{} {method}", attribute.name()));
        }
        EvalProgress::EditsDone => edit_bar.finish_and_clear(),
    };
    let output = evaluate(&config, &models, &methods, &progress)?;
    crate::figures::draw_fig10(&args.out.join("fig10.png"), &output.fig10)?;
    println!("{}", output.markdown);
    println!(
        "wrote {} ({} edits, {:.0} s)",
        args.out.display(),
        output.edits,
        output.seconds
    );
    Ok(())
}
