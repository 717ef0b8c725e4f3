//! `talk-to-edit eval-inversion`: the issue-6 measurements on real photos (identity cosine of
//! the inverted codes, time per photo, reach of +1 edits along the fields on the inverted faces;
//! `engine::inversion::eval`). This file picks the photos, loads the models and prints the
//! report; the evaluation writes `inversion.md`, `inversion.json` and `inversion_examples.png`.

use super::invert::FaceModels;
use anyhow::Context;
use engine::field::SemanticField;
use engine::inversion::eval::{
    evaluate_inversion, InversionEvalConfig, InversionEvalModels, InversionEvalProgress,
};
use engine::predictor::AttributePredictor;
use engine::Attribute;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Use every n-th photo of the measured split (felonfinder's training half,
    /// `000007.jpg`-`000256.jpg`; the held-out half is never read here).
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// At most this many photos.
    #[arg(long)]
    limit: Option<usize>,
    /// Also edit each inverted face (+1 degree of every attribute along its field).
    #[arg(long)]
    edits: bool,
    /// Refinement steps of the inversion.
    #[arg(long, default_value_t = engine::inversion::invert::InvertConfig::default().refine.steps)]
    steps: usize,
    /// Weight of the refinement's identity term (0: pixels and priors only, a control for the
    /// identity cosine, which the same network measures).
    #[arg(long, default_value_t = engine::inversion::invert::InvertConfig::default().refine.identity_weight)]
    identity_weight: f64,
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let photos = crate::loading::measured_photos(args.every, args.limit, 0)?;
    let models = FaceModels::load(args.weights.clone(), true)?;
    let encoder = models.encoder.as_ref().context("the inversion encoder")?;
    let predictor_path = crate::loading::predictor_path();
    let predictor = AttributePredictor::load_file(&predictor_path, models.generator.device())
        .with_context(|| format!("loading {}", predictor_path.display()))?;
    let fields = if args.edits {
        Attribute::ALL
            .iter()
            .map(|&a| {
                let path = crate::loading::trained_dir()
                    .join("fields")
                    .join(format!("{}.safetensors", a.name()));
                let (field, _) = SemanticField::load_file(&path, models.generator.device())
                    .with_context(|| format!("loading {}", path.display()))?;
                Ok((a, field))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let config = InversionEvalConfig {
        out: args.out,
        every: args.every,
        limit: args.limit,
        steps: args.steps,
        identity_weight: args.identity_weight,
    };
    let eval_models = InversionEvalModels {
        generator: &models.generator,
        perception: &models.perception,
        identity: &models.identity,
        encoder,
        predictor: &predictor,
        fields: &fields,
    };
    let output = evaluate_inversion(&photos, &eval_models, &config, &mut |event| match event {
        InversionEvalProgress::Photo {
            index,
            total,
            record,
        } => tracing::info!(
            photo = %record.photo,
            identity_cos = ?record.identity_cos,
            seconds = ?record.seconds,
            error = ?record.error,
            "inverted {}/{}",
            index + 1,
            total
        ),
    })
    .with_context(|| format!("evaluating the inversion into {}", config.out.display()))?;
    println!("{}", output.report);
    Ok(())
}
