//! `talk-to-edit train image-directions`: one W+ direction per attribute and way trained through
//! the generator's first blocks, the degree reader and the identity network
//! (`engine::field::image_direction`, pipeline in `engine::field::image_direction_run`). This file
//! turns the flags into an [`ImageDirectionRun`], loads the models and prints progress.

use anyhow::Context;
use engine::attributes::Attribute;
use engine::field::image_direction::{ImageDirectionConfig, ImagePath, Way};
use engine::field::image_direction_run::{
    train_image_directions, ImageDirectionEvent, ImageDirectionRun,
};
use engine::field::LinearDirection;
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::DegreeReader;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ImageDirectionsArgs {
    /// Attribute to train (repeatable; default all five).
    #[arg(long = "attribute")]
    attributes: Vec<Attribute>,
    /// Way to train, up or down (repeatable; default both).
    #[arg(long = "way")]
    ways: Vec<Way>,
    /// Training faces (training seeds of the labelled dataset, in order).
    #[arg(long, default_value_t = 48)]
    faces: usize,
    /// Draw more faces until this many can move the way asked.
    #[arg(long, default_value_t = 16)]
    min_usable: usize,
    /// Never draw more than this many faces.
    #[arg(long, default_value_t = 240)]
    max_faces: usize,
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long)]
    batch: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    identity_weight: Option<f64>,
    #[arg(long)]
    others_weight: Option<f64>,
    /// Weight of the colour change outside the attribute's band of the face.
    #[arg(long)]
    locality_weight: Option<f64>,
    /// Directory to write (default: models/trained/fields/image).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Per-layer lengths tried for training, shortest first (the first where the linear
    /// direction makes a one-degree change on average).
    #[arg(long, value_delimiter = ',', default_values_t = vec![2.0f32, 3.0, 4.0, 5.0, 6.0, 8.0])]
    lengths: Vec<f32>,
    /// Print every this many steps.
    #[arg(long, default_value_t = 10)]
    every: usize,
}

pub fn run(args: ImageDirectionsArgs) -> anyhow::Result<()> {
    let mut config = ImageDirectionConfig::default();
    config.steps = args.steps.unwrap_or(config.steps);
    config.batch = args.batch.unwrap_or(config.batch);
    config.learning_rate = args.lr.unwrap_or(config.learning_rate);
    config.identity_weight = args.identity_weight.unwrap_or(config.identity_weight);
    config.others_weight = args.others_weight.unwrap_or(config.others_weight);
    config.locality_weight = args.locality_weight.unwrap_or(config.locality_weight);
    let run = ImageDirectionRun {
        attributes: if args.attributes.is_empty() {
            Attribute::ALL.to_vec()
        } else {
            unique(args.attributes)
        },
        ways: if args.ways.is_empty() {
            Way::BOTH.to_vec()
        } else {
            unique(args.ways)
        },
        faces: args.faces,
        min_usable: args.min_usable,
        max_faces: args.max_faces,
        saved_length: crate::face_engine::LINEAR_STEP as f32,
        lengths: args.lengths,
        calibration_faces: 8,
        config,
        out_dir: args
            .out
            .unwrap_or_else(|| crate::loading::trained_dir().join("fields").join("image")),
    };
    let generator = crate::loading::generator(None)?;
    let device = generator.device().clone();
    let trained = crate::loading::trained_dir();
    let reader = DegreeReader::load_file(&trained.join("reader.safetensors"), &device)
        .context("loading the degree reader")?;
    let linear =
        LinearDirection::load_all(&trained.join("fields").join("linear_directions.safetensors"))
            .context("loading the linear directions")?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let path = ImagePath::new(&generator, &reader, &identity, run.config.feature_blocks)?;
    let started = std::time::Instant::now();
    let every = args.every.max(1);
    train_image_directions(&generator, &path, &linear, &run, &mut |event| match event {
        ImageDirectionEvent::Face { seed, psi, scores } => {
            tracing::debug!(seed, psi, ?scores, "training face");
        }
        ImageDirectionEvent::Calibration {
            attribute,
            way,
            length,
            change,
            identity_cos,
        } => println!(
            "{attribute} {}: linear direction at length {length}: change {change:+.2}, \
             identity cos {identity_cos:.3}",
            way.name()
        ),
        ImageDirectionEvent::Start {
            attribute,
            way,
            usable,
            length,
        } => println!(
            "{attribute} {}: {usable} usable faces, trained at length {length} ({:.0} s)",
            way.name(),
            started.elapsed().as_secs_f32()
        ),
        ImageDirectionEvent::Step {
            attribute,
            way,
            progress: p,
        } => {
            if p.step % every == 0 || p.step == 1 || p.step == p.total {
                println!(
                    "{attribute} {} step {}/{}: loss {:.3}, change {:+.2}, others {:.2}, \
                     identity cos {:.3}, length {:.2} ({:.0} s)",
                    way.name(),
                    p.step,
                    p.total,
                    p.loss,
                    p.change,
                    p.others,
                    p.identity_cos,
                    p.length,
                    started.elapsed().as_secs_f32()
                );
            }
        }
        ImageDirectionEvent::Saved {
            attribute,
            way,
            path,
            summary,
        } => println!(
            "{attribute} {}: saved {} (last tenth: change {:+.2}, others {:.2}, \
             identity cos {:.3}, length {:.2})",
            way.name(),
            path.display(),
            summary.change,
            summary.others,
            summary.identity_cos,
            summary.length
        ),
    })?;
    Ok(())
}

/// The values in their first order, each once.
fn unique<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut out = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}
