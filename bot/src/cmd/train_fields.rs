//! `talk-to-edit train fields`: the five semantic fields, the linear baseline directions and a
//! check of both on real renders (pipeline: `engine::field::train_fields`). This file turns the
//! flags into a [`TrainFieldsConfig`], finds the dataset's record shards, loads the models from
//! the model cache and `models/trained`, and shows the pipeline's events as progress bars and
//! printed lines.

use anyhow::{bail, Context};
use candle_core::Device;
use engine::field::surrogate::{SurrogateKind, SurrogateTrainConfig};
use engine::field::train::FieldTrainConfig;
use engine::field::train_fields::{
    train_fields, CheckModels, TrainFieldsConfig, TrainFieldsEvent, TrainFieldsModels,
};
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::AttributePredictor;
use engine::Attribute;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct FieldsArgs {
    /// Dataset directory written by `talk-to-edit label generated`.
    #[arg(long)]
    data: PathBuf,
    /// Attributes to train (default: all five).
    #[arg(long = "attribute", value_name = "A")]
    attributes: Vec<Attribute>,
    /// Training steps per field.
    #[arg(long, default_value_t = FieldTrainConfig::default().steps)]
    steps: usize,
    /// Adam learning rate of the fields.
    #[arg(long, default_value_t = FieldTrainConfig::default().learning_rate)]
    lr: f64,
    /// Minibatch size of the field training.
    #[arg(long, default_value_t = FieldTrainConfig::default().batch)]
    batch: usize,
    /// Weight of the identity-keeping loss `1 - cos(I(w), I(w'))`.
    #[arg(long, default_value_t = FieldTrainConfig::default().identity_weight)]
    identity_weight: f64,
    /// Weight of the realism (bank-density) loss.
    #[arg(long, default_value_t = FieldTrainConfig::default().realism_weight)]
    realism_weight: f64,
    /// Weight of the step-size prior.
    #[arg(long, default_value_t = FieldTrainConfig::default().step_weight)]
    step_weight: f64,
    /// Epochs of each surrogate fit.
    #[arg(long, default_value_t = SurrogateTrainConfig::default().epochs)]
    surrogate_epochs: usize,
    /// AdamW weight decay of the identity surrogate I (decoupled; S uses the default).
    #[arg(long, default_value_t = SurrogateTrainConfig::default().weight_decay)]
    identity_weight_decay: f64,
    /// Load S and I from the output directory instead of fitting them again.
    #[arg(long)]
    reuse_surrogates: bool,
    /// Held-out seeds per attribute for the rendered check (0: no check).
    #[arg(long, default_value_t = 10)]
    check_seeds: usize,
    /// Step size a of the rendered check (field: `a F`; linear: `a` times its step length).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Only run the rendered check on saved fields and directions.
    #[arg(long)]
    check_only: bool,
    /// Output directory (default: models/trained).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Generator weights (default: the model cache's converted file).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
}

/// A progress bar with `template` (indicatif; hidden when stderr is not a terminal).
pub fn bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

pub fn run(args: FieldsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.check_seeds > 0 && !(args.alpha > 0.0 && args.alpha.is_finite()) {
        bail!("--alpha must be positive, got {}", args.alpha);
    }
    let config = TrainFieldsConfig {
        shards: super::label::record_shards(&args.data)?,
        data: args.data,
        out: args.out.unwrap_or_else(crate::loading::trained_dir),
        attributes: if args.attributes.is_empty() {
            Attribute::ALL.to_vec()
        } else {
            args.attributes
        },
        field: FieldTrainConfig {
            steps: args.steps,
            learning_rate: args.lr,
            batch: args.batch,
            identity_weight: args.identity_weight,
            realism_weight: args.realism_weight,
            step_weight: args.step_weight,
            ..Default::default()
        },
        surrogate: SurrogateTrainConfig {
            epochs: args.surrogate_epochs,
            ..Default::default()
        },
        identity_weight_decay: args.identity_weight_decay,
        reuse_surrogates: args.reuse_surrogates,
        check_seeds: args.check_seeds,
        alpha: args.alpha,
        check_only: args.check_only,
    };
    let generator = crate::loading::generator(args.weights)?;
    let predictor_path = crate::loading::predictor_path();
    let predictor =
        AttributePredictor::load_file(&predictor_path, &Device::Cpu).with_context(|| {
            format!(
                "loading the attribute predictor P from {}",
                predictor_path.display()
            )
        })?;
    let check_models = if config.check_seeds > 0 {
        let store = models::ModelStore::open_default()?;
        let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
        let perception = crate::loading::face_perception(&store)?;
        Some((identity, perception))
    } else {
        None
    };
    let models = TrainFieldsModels {
        generator: &generator,
        predictor: &predictor,
        check: check_models
            .as_ref()
            .map(|(identity, perception)| CheckModels {
                identity,
                perception,
            }),
    };
    let mut current: Option<ProgressBar> = None;
    let mut show = |event: TrainFieldsEvent| match event {
        TrainFieldsEvent::SurrogateStart { kind, epochs } => {
            let name = match kind {
                SurrogateKind::Attributes => "S",
                SurrogateKind::Identity => "I",
            };
            current = Some(bar(
                epochs as u64,
                &format!("{name} epoch {{pos}}/{{len}} [{{bar:30}}] {{msg}} ({{elapsed}})"),
            ));
        }
        TrainFieldsEvent::SurrogateEpoch { kind, epoch, loss } => {
            if let Some(pb) = &current {
                pb.set_position(epoch as u64);
                pb.set_message(match kind {
                    SurrogateKind::Attributes => format!("soft CE {loss:.4}"),
                    SurrogateKind::Identity => format!("1 - cos {loss:.4}"),
                });
            }
        }
        TrainFieldsEvent::FieldStart { attribute, steps } => {
            current = Some(bar(
                steps as u64,
                &format!(
                    "{:<10} {{pos}}/{{len}} [{{bar:30}}] {{msg}} ({{elapsed}})",
                    attribute.name()
                ),
            ));
        }
        TrainFieldsEvent::FieldStep { progress: p, .. } => {
            if let Some(pb) = &current {
                pb.set_position(p.step as u64);
                pb.set_message(format!(
                    "loss {:.3} ce {:.3} id {:.3} real {:.3} |step| {:.2} S-reached {:.0}%",
                    p.loss,
                    p.ce,
                    p.identity,
                    p.realism,
                    p.step_norm,
                    100.0 * p.reached
                ));
            }
        }
        TrainFieldsEvent::SurrogateDone { .. } | TrainFieldsEvent::FieldDone { .. } => {
            if let Some(pb) = current.take() {
                pb.finish();
            }
        }
        TrainFieldsEvent::Line(line) => println!("{line}"),
    };
    train_fields(&config, &models, &mut show)?;
    println!("done in {:.0} s", started.elapsed().as_secs_f32());
    Ok(())
}
