//! `talk-to-edit train sunglasses`: fits the direction from clear glasses to sunglasses
//! (`engine::field::sunglasses`) on the labelled dataset's training faces and writes it beside
//! the linear directions.

use anyhow::Context;
use engine::field::sunglasses::fit_sunglasses;
use engine::field::LinearDirection;
use engine::predictor::reader_pipeline::parse_labels_csv;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SunglassesArgs {
    /// The labelled dataset's degrees (default: the committed `models/trained/predictor/labels.csv`).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// File to write (default: `models/trained/fields/sunglasses_direction.safetensors`).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: SunglassesArgs) -> anyhow::Result<()> {
    let trained = crate::loading::trained_dir();
    let labels_path = args
        .labels
        .unwrap_or_else(|| trained.join("predictor").join("labels.csv"));
    let text = std::fs::read_to_string(&labels_path)
        .with_context(|| format!("reading {}", labels_path.display()))?;
    let labels =
        parse_labels_csv(&text).with_context(|| format!("parsing {}", labels_path.display()))?;
    let generator = crate::loading::generator(None)?;
    let direction = fit_sunglasses(&generator, &labels)?;
    let out = args.out.unwrap_or_else(crate::loading::sunglasses_path);
    LinearDirection::save_all(&out, std::slice::from_ref(&direction))
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "sunglasses direction: {} clear-glasses faces, {} sunglasses faces, training accuracy {:.3}; wrote {}",
        direction.samples.0,
        direction.samples.1,
        direction.train_accuracy,
        out.display()
    );
    Ok(())
}
