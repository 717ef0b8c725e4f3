//! `talk-to-edit train predictor`: the attribute predictors P and P' from teacher-labelled
//! generated faces (pipeline: `engine::predictor::train_pipeline`, which documents the data,
//! the labels it writes and the held-out split). This file turns the flags into a
//! [`PredictorRunConfig`] with the committed files' paths, shows the training as a progress bar,
//! appends the real-photo evaluation (`--real`) and writes the report.

use anyhow::Context;
use engine::predictor::train_pipeline::{
    train_predictor_run, PredictorEvent, PredictorRunConfig, PredictorVariant,
};
use engine::predictor::AttributePredictor;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// The attribute predictor P (used by the editor and the field training).
    P,
    /// The second predictor P' (scores attribute preservation only).
    Prime,
}

#[derive(clap::Args)]
pub struct PredictorArgs {
    /// Dataset directory written by `talk-to-edit label generated`.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, value_enum, default_value = "p")]
    variant: Variant,
    /// Weights to write (default: the committed file of the variant).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Where the labelling rules and labels are written (default: models/trained/predictor).
    #[arg(long, value_name = "DIR")]
    labels_out: Option<PathBuf>,
    /// Labels given by eye, overriding the rules (default: models/trained/predictor/by_eye.csv).
    #[arg(long, value_name = "FILE")]
    by_eye: Option<PathBuf>,
    /// Markdown report of the held-out generated evaluation (default: beside the weights).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Only write the labels (rules, labels.csv, label-scores.jsonl), then stop.
    #[arg(long)]
    labels_only: bool,
    /// Only evaluate existing weights on the held-out generated faces.
    #[arg(long)]
    eval_only: bool,
    /// With --eval-only: also evaluate the committed P and P' on real CelebA photos (the
    /// labelled training half and the unlabelled held-out half); appended to the report.
    #[arg(long, requires = "eval_only")]
    real: bool,
    /// CelebA attribute table of the training half.
    #[arg(long, default_value = "data/celeba_attrs_000007-000256.tsv")]
    celeba_labels: PathBuf,
    /// Epochs (default: 40 for P, 30 for P').
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    lr: Option<f64>,
    /// Dropout before the hidden and output layers while training (default: 0.3 for P, 0 for P').
    #[arg(long)]
    dropout: Option<f32>,
    /// Evaluate on the faces whose seed ends in this digit: 0 (default) is the held-out test set
    /// no predictor trains on; P never trains on 1 and P' never on 9 (their validation sets,
    /// for choosing between runs).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..10))]
    eval_digit: u64,
    /// Training threads (0 = all cores; also sets RAYON_NUM_THREADS for candle's pools).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: PredictorArgs) -> anyhow::Result<()> {
    if args.threads > 0 {
        // candle's element-wise pool is sized from this variable at first use; left at the
        // core count on a busy machine it spin-waits (2-5x slower training).
        std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    }
    let out = args.out.clone().unwrap_or_else(|| match args.variant {
        Variant::P => crate::loading::predictor_path(),
        Variant::Prime => crate::loading::predictor_prime_path(),
    });
    let config = PredictorRunConfig {
        shards: super::label::record_shards(&args.data)?,
        data: args.data.clone(),
        variant: match args.variant {
            Variant::P => PredictorVariant::P,
            Variant::Prime => PredictorVariant::Prime,
        },
        out: out.clone(),
        labels_out: args
            .labels_out
            .clone()
            .unwrap_or_else(crate::loading::predictor_labels_dir),
        by_eye: args
            .by_eye
            .clone()
            .unwrap_or_else(|| crate::loading::predictor_labels_dir().join("by_eye.csv")),
        labels_only: args.labels_only,
        eval_only: args.eval_only,
        eval_digit: args.eval_digit,
        epochs: args.epochs,
        seed: args.seed,
        lr: args.lr,
        dropout: args.dropout,
        threads: args.threads,
    };
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "epoch {msg} {bar:30} {pos}/{len} steps, {per_sec}, eta {eta}",
        )
        .expect("static template"),
    );
    let mut trained = false;
    let markdown = train_predictor_run(&config, &mut |event| match event {
        PredictorEvent::Line(line) => {
            if trained {
                bar.finish();
            }
            println!("{line}")
        }
        PredictorEvent::Step(p) => {
            trained = true;
            if bar.length() != Some((p.epochs * p.steps_per_epoch) as u64) {
                bar.set_length((p.epochs * p.steps_per_epoch) as u64);
            }
            bar.set_message(format!("{}/{} loss {:.3}", p.epoch, p.epochs, p.epoch_loss));
            bar.inc(1);
        }
    })?;
    let Some(mut markdown) = markdown else {
        return Ok(());
    };
    if args.real {
        let device = candle_core::Device::Cpu;
        let p = AttributePredictor::load_file(&crate::loading::predictor_path(), &device)?;
        let p_prime =
            AttributePredictor::load_file(&crate::loading::predictor_prime_path(), &device)?;
        markdown.push('\n');
        markdown.push_str(&super::predictor_real_eval::evaluate_real(
            &p,
            &p_prime,
            &args.celeba_labels,
        )?);
    }
    println!("{markdown}");
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| out.with_extension("heldout.md"));
    std::fs::write(&report_path, &markdown)
        .with_context(|| format!("writing {}", report_path.display()))?;
    println!("wrote {}", report_path.display());
    Ok(())
}
