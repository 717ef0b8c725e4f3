//! `talk-to-edit train sunglasses`: fits the direction from clear glasses to sunglasses
//! (`engine::field::sunglasses`) on the labelled dataset's training faces and writes it beside
//! the linear directions.

use anyhow::Context;
use engine::field::sunglasses::fit_sunglasses;
use engine::field::LinearDirection;
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
    let labels = crate::loading::dataset_labels(args.labels)?;
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
