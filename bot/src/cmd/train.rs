//! `talk-to-edit train <model>`: trains the project's own models. `train language` builds the
//! language encoder from the generated request corpus and reports its accuracy on the held-out
//! generated split and on the hand-written natural test set; `--eval-only` re-measures saved
//! weights.

use anyhow::Context;
use engine::language::train::{self, EvalCase, EvalReport, TrainConfig, TrainProgress};
use engine::language::{
    committed_weights_path, LanguageEncoder, ParseOptions, CONFIDENCE_THRESHOLD,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    model: Model,
}

#[derive(clap::Subcommand)]
enum Model {
    /// Train the language encoder (word embeddings + BiLSTM + context-specific heads) on the
    /// generated request corpus, save safetensors + vocabulary json, print accuracies.
    Language(LanguageArgs),
    /// Train the attribute predictor P or P' on teacher-labelled generated faces (from
    /// `talk-to-edit label generated`); writes the labels, weights and a held-out report.
    Predictor(super::train_predictor::PredictorArgs),
    /// Train the degree reader (continuous scores, degrees, not applicable) on renders along
    /// edit paths (from `talk-to-edit label paths`) and measure it.
    Reader(super::train_reader::ReaderArgs),
    /// Train the five semantic fields against latent surrogates of P and the identity encoder,
    /// fit the linear baseline directions, and check both on rendered faces with the real P.
    Fields(super::train_fields::FieldsArgs),
    /// Train one W+ direction per attribute and way through the generator, the degree reader
    /// and the identity network (what the guarded editing loop tries first).
    ImageDirections(super::train_image_directions::ImageDirectionsArgs),
    /// Fit the direction from clear glasses to sunglasses (eyeglasses degrees 4-5) on the
    /// labelled dataset's training faces.
    Sunglasses(super::train_sunglasses::SunglassesArgs),
    /// Fit style-channel directions (edits that move only the few style channels that follow
    /// an attribute) on the labelled dataset's training faces.
    StyleChannels(super::train_style_channels::StyleChannelsArgs),
    /// Measure the identity-embedding axes an attribute's edits move along on training faces,
    /// left out of the identity guard's comparison for that attribute's edits.
    IdentityAxes(super::train_identity_axes::IdentityAxesArgs),
    /// Train the inversion encoder (aligned face -> W+) on generated faces and measure it on
    /// held-out generated faces and real photos.
    Encoder(super::train_encoder::EncoderArgs),
    /// Render extra seeded training faces for the inversion encoder.
    EncoderPairs(super::train_encoder::PairsArgs),
}

#[derive(clap::Args)]
struct LanguageArgs {
    /// Weights file to write (or read with --eval-only); the vocabulary goes beside it as .json.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Only evaluate existing weights (regenerating their held-out split from the saved seed).
    #[arg(long)]
    eval_only: bool,
    /// Hand-written test set (JSON lines: text, context, expected).
    #[arg(long, value_name = "FILE")]
    natural: Option<PathBuf>,
    /// Print up to this many natural-set failures.
    #[arg(long, default_value_t = 0)]
    show_failures: usize,
    /// Print up to this many held-out generated failures.
    #[arg(long, default_value_t = 0)]
    show_heldout_failures: usize,
    /// Corpus and initialisation seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Number of distinct generated messages (train + held-out).
    #[arg(long)]
    messages: Option<usize>,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    hidden: Option<usize>,
    #[arg(long)]
    embed: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    /// Hand-written natural set whose messages are added to the training clauses (repeatable;
    /// each message's clauses are labelled to resolve to its expected parse).
    #[arg(long, value_name = "FILE")]
    natural_train: Vec<PathBuf>,
    /// With --eval-only: parse with this confidence threshold instead of the committed one.
    #[arg(long)]
    threshold: Option<f32>,
    /// How many times each hand-written clause is added per epoch.
    #[arg(long)]
    natural_repeat: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.model {
        Model::Language(a) => language(a),
        Model::Predictor(a) => super::train_predictor::run(a),
        Model::Reader(a) => super::train_reader::run(a),
        Model::Fields(a) => super::train_fields::run(a),
        Model::ImageDirections(a) => super::train_image_directions::run(a),
        Model::Sunglasses(a) => super::train_sunglasses::run(a),
        Model::StyleChannels(a) => super::train_style_channels::run(a),
        Model::IdentityAxes(a) => super::train_identity_axes::run(a),
        Model::Encoder(a) => super::train_encoder::run(a),
        Model::EncoderPairs(a) => super::train_encoder::pairs(a),
    }
}

fn print_report(name: &str, r: &EvalReport) {
    println!(
        "{name:<22} n={:<5} exact={:>5.1}%  intent={:>5.1}%  attributes={:>5.1}%  kind={:>5.1}%  \
         direction={:>5.1}%  target={:>5.1}%  change={:>5.1}%  polarity errors={}  asked={}",
        r.cases,
        100.0 * r.exact,
        100.0 * r.intent,
        100.0 * r.attributes,
        100.0 * r.kind,
        100.0 * r.direction,
        100.0 * r.target,
        100.0 * r.change,
        r.polarity_errors,
        r.asked
    );
}

fn print_failures(r: &EvalReport, n: usize) {
    for (case, got) in r.failures.iter().take(n) {
        let context = case
            .context
            .map_or_else(|| "-".to_string(), |c| c.to_string());
        println!(
            "  [{context}] {:?}\n    want {}\n    got  {}",
            case.text,
            serde_json::to_string(&case.expected).unwrap_or_default(),
            serde_json::to_string(got).unwrap_or_default()
        );
    }
}

fn evaluate_both(
    encoder: &LanguageEncoder,
    heldout: &[EvalCase],
    natural_path: &Path,
    threshold: Option<f32>,
) -> anyhow::Result<(EvalReport, EvalReport)> {
    let natural = train::load_cases(natural_path)
        .with_context(|| format!("reading the natural test set {}", natural_path.display()))?;
    let options = ParseOptions {
        threshold: threshold.unwrap_or(CONFIDENCE_THRESHOLD),
        ..ParseOptions::COMMITTED
    };
    let parser = train::WithOptions(encoder, options);
    let heldout_report = train::evaluate(&parser, heldout);
    let natural_report = train::evaluate(&parser, &natural);
    Ok((heldout_report, natural_report))
}

fn language(args: LanguageArgs) -> anyhow::Result<()> {
    let out = args.out.clone().unwrap_or_else(committed_weights_path);
    let natural_path = args
        .natural
        .clone()
        .unwrap_or_else(train::natural_test_path);
    if args.eval_only {
        let encoder = LanguageEncoder::load(&out)?;
        let heldout = train::heldout_cases(&encoder).context("regenerating the held-out split")?;
        let (h, n) = evaluate_both(&encoder, &heldout, &natural_path, args.threshold)?;
        print_report("held-out generated", &h);
        print_report("natural (hand-written)", &n);
        print_failures(&n, args.show_failures);
        print_failures(&h, args.show_heldout_failures);
        return Ok(());
    }

    let defaults = TrainConfig::default();
    let config = TrainConfig {
        seed: args.seed.unwrap_or(defaults.seed),
        messages: args.messages.unwrap_or(defaults.messages),
        epochs: args.epochs.unwrap_or(defaults.epochs),
        hidden_dim: args.hidden.unwrap_or(defaults.hidden_dim),
        embed_dim: args.embed.unwrap_or(defaults.embed_dim),
        learning_rate: args.lr.unwrap_or(defaults.learning_rate),
        natural_train: args.natural_train.clone(),
        natural_repeat: args.natural_repeat.unwrap_or(defaults.natural_repeat),
        ..defaults
    };
    tracing::info!(?config, "training the language encoder");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} batches  {msg}  ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let mut on_progress = |p: TrainProgress| {
        if p.batch == 1 {
            bar.set_length(p.batches as u64);
            bar.set_position(0);
            bar.set_prefix(format!("{}/{}", p.epoch, p.epochs));
        }
        bar.set_position(p.batch as u64);
        bar.set_message(format!("loss {:.4}", p.loss));
    };
    let mut trained = train::train(&config, &mut on_progress)?;
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let heldout: Vec<EvalCase> = trained.corpus.test.iter().map(EvalCase::from).collect();
    let (h, n) = evaluate_both(&trained.encoder, &heldout, &natural_path, None)?;
    print_report("held-out generated", &h);
    print_report("natural (hand-written)", &n);
    print_failures(&n, args.show_failures);
    trained.record("train_seconds", serde_json::json!(seconds.round()));
    trained.record("heldout_accuracy", serde_json::to_value(&h)?);
    trained.record("natural_accuracy", serde_json::to_value(&n)?);
    trained
        .save(&out)
        .with_context(|| format!("saving {}", out.display()))?;
    println!(
        "saved {} and {} ({} train clauses, {:.0} s)",
        out.display(),
        engine::language::parser::metadata_path(&out).display(),
        trained
            .encoder
            .metadata()
            .training
            .get("train_clauses")
            .and_then(|v| v.as_u64())
            .unwrap_or(0),
        seconds
    );
    Ok(())
}
