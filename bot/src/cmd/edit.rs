//! `talk-to-edit edit`: edits one face's attribute along its trained semantic field (or the
//! linear baseline direction) until the attribute predictor P reads the asked degree; writes one
//! PNG per step and `summary.json` (the edit trace: attribute, start degree, target, reached,
//! outcome, and per step the degree, all five degrees and the identity cosine with the start).
//! A photo (`--image`) is first inverted into W+ (`invert`); `--paste-back` also writes every
//! step pasted back into the full photo.

use anyhow::{bail, Context};
use candle_core::Device;
use engine::attributes::NUM_DEGREES;
use engine::field::{
    edit_until, DegreeReader, EditConfig, FieldSpace, FieldStepper, GeneratorReader, LatentStepper,
    LinearDirection, LinearStepper, SemanticField, DEFAULT_K,
};
use engine::inversion::invert::TransferMode;
use engine::predictor::AttributePredictor;
use engine::Attribute;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// The trained semantic field (curved, location-specific steps).
    Field,
    /// The InterFaceGAN-style linear baseline (one fixed direction).
    Linear,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("face").required(true).args(["seed", "w", "image"])))]
#[command(group(clap::ArgGroup::new("goal").required(true).args(["target", "change"])))]
pub struct Args {
    /// Seed of the face's z (`np.random.RandomState(seed).randn(1, 512)`).
    #[arg(long)]
    seed: Option<u64>,
    /// w latent `.npy`: [512] or [1, 512], or W+ [23, 512].
    #[arg(long, value_name = "FILE.npy")]
    w: Option<PathBuf>,
    /// A photo: its largest face is inverted into W+ first (as `talk-to-edit invert`).
    #[arg(long, value_name = "PHOTO")]
    image: Option<PathBuf>,
    /// With --image: also write each step pasted back into the full photo
    /// (`photo_step_NN.png`, at the photo's resolution).
    #[arg(long)]
    paste_back: bool,
    /// With --image: refinement steps of the inversion.
    #[arg(long, default_value_t = engine::inversion::invert::InvertConfig::default().refine.steps)]
    invert_steps: usize,
    /// Truncation psi for --seed.
    #[arg(long, default_value_t = 0.7)]
    truncation: f64,
    /// The attribute to edit.
    #[arg(long)]
    attribute: Attribute,
    /// Target degree 0..=5.
    #[arg(long)]
    target: Option<usize>,
    /// Change from the start degree, e.g. +1 or -2.
    #[arg(long, allow_hyphen_values = true)]
    change: Option<i64>,
    #[arg(long, value_enum, default_value = "field")]
    method: Method,
    /// W-space length of one linear step (default: the field's first step length at the start
    /// code, so that both methods move equally far per step).
    #[arg(long)]
    linear_step: Option<f64>,
    /// Step size a (field: `a F`; linear: `a` times the step length).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Most steps.
    #[arg(long, default_value_t = EditConfig::default().max_steps)]
    max_steps: usize,
    /// Side of the written step images: 256, 512 or 1024.
    #[arg(long, default_value_t = 512)]
    size: u32,
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Directory of the trained fields and linear directions (default: models/trained/fields).
    #[arg(long, value_name = "DIR")]
    fields: Option<PathBuf>,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.paste_back && args.image.is_none() {
        bail!("--paste-back needs --image PHOTO (it pastes the edited face back into that photo)");
    }
    if let Some(t) = args.target {
        if t >= NUM_DEGREES {
            bail!("--target must be a degree 0..=5, got {t}");
        }
    }
    if !(args.truncation.is_finite() && (0.0..=2.0).contains(&args.truncation)) {
        bail!(
            "--truncation must be between 0 and 2, got {}",
            args.truncation
        );
    }
    if !(args.alpha > 0.0 && args.alpha.is_finite()) {
        bail!("--alpha must be positive, got {}", args.alpha);
    }
    if ![256, 512, 1024].contains(&args.size) {
        bail!("--size must be 256, 512 or 1024, got {}", args.size);
    }
    let out_root = args
        .fields
        .clone()
        .unwrap_or_else(crate::loading::trained_dir);
    let fields_dir = if args.fields.is_some() {
        out_root.clone()
    } else {
        out_root.join("fields")
    };
    // A photo is read (and refused if unreadable) before any model loads.
    let photo = match &args.image {
        Some(path) => Some(engine::perception::load_photo(path)?),
        None => None,
    };
    let models = super::invert::FaceModels::load(args.weights.clone(), photo.is_some())?;
    let generator = &models.generator;
    let inversion = match (&photo, &args.image) {
        (Some(photo), Some(path)) => {
            let inversion = models
                .inverter(args.invert_steps)?
                .invert(photo, &mut super::invert::print_progress)
                .with_context(|| format!("inverting {}", path.display()))?;
            println!(
                "inverted: identity cosine {:.3} with the photo, {:.1} s",
                inversion.identity_cos, inversion.seconds
            );
            Some(inversion)
        }
        _ => None,
    };
    let device = generator.device().clone();
    let styles = match (&inversion, &args.w, args.seed) {
        (Some(inversion), _, _) => inversion.styles.clone(),
        (None, Some(path), _) => super::render::read_latent(path, true, &device)?,
        (None, None, Some(seed)) => {
            generator.truncate(&generator.w_from_seed(seed)?, args.truncation)?
        }
        (None, None, None) => unreachable!("clap requires a face"),
    };
    let predictor_path = crate::loading::predictor_path();
    let predictor =
        AttributePredictor::load_file(&predictor_path, &Device::Cpu).with_context(|| {
            format!(
                "loading the attribute predictor from {}",
                predictor_path.display()
            )
        })?;
    let reader = GeneratorReader {
        generator,
        predictor: &predictor,
        perception: Some(&models.perception),
        identity: Some(&models.identity),
        // Pasting back into a photo wants the full render.
        keep_image: Some(if args.paste_back { 1024 } else { args.size }),
    };
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    let field_file = fields_dir.join(format!("{}.safetensors", args.attribute.name()));
    let load_field = || {
        SemanticField::load_file(&field_file, &device).with_context(|| {
            format!(
                "loading the {} field from {} (trained by `talk-to-edit train fields`)",
                args.attribute.name(),
                field_file.display()
            )
        })
    };
    let target = match (args.target, args.change) {
        (Some(t), _) => t,
        (None, Some(change)) => {
            let start = reader.read(&styles)?;
            let p = &start.probabilities[args.attribute.index()];
            let degree = (0..p.len()).fold(0, |b, d| if p[d] > p[b] { d } else { b });
            let t = degree as i64 + change;
            if !(0..NUM_DEGREES as i64).contains(&t) {
                bail!(
                    "{} is at degree {degree}; {change:+} would leave 0..=5",
                    args.attribute.name()
                );
            }
            t as usize
        }
        (None, None) => unreachable!("clap requires a goal"),
    };
    let config = EditConfig {
        max_steps: args.max_steps,
        ..EditConfig::default()
    };
    let started = std::time::Instant::now();
    let trace = match args.method {
        Method::Field => {
            let (field, attribute) = load_field()?;
            if attribute != args.attribute {
                bail!("{} holds the {attribute} field", field_file.display());
            }
            let stepper = FieldStepper {
                field: &field,
                mapping: &generator.mapping,
                space,
                alpha: args.alpha,
            };
            edit_until(&reader, &stepper, &styles, args.attribute, target, &config)?
        }
        Method::Linear => {
            let linear_file = fields_dir.join(engine::field::train_fields::LINEAR_FILE);
            let directions = LinearDirection::load_all(&linear_file)
                .with_context(|| format!("loading {}", linear_file.display()))?;
            let direction = directions
                .iter()
                .find(|d| d.attribute == args.attribute)
                .with_context(|| {
                    format!(
                        "{} has no {} direction",
                        linear_file.display(),
                        args.attribute
                    )
                })?;
            let norm = match args.linear_step {
                Some(n) => n,
                None => {
                    let (field, _) = load_field()?;
                    let moved = FieldStepper {
                        field: &field,
                        mapping: &generator.mapping,
                        space,
                        alpha: 1.0,
                    }
                    .step(&styles, 1.0)?;
                    let before = space.field_input(&space.prepare(&styles)?)?;
                    let after = space.field_input(&moved)?;
                    (after - before)?
                        .sqr()?
                        .sum_all()?
                        .sqrt()?
                        .to_scalar::<f32>()? as f64
                }
            };
            let stepper = LinearStepper::new(direction, space, args.alpha * norm, &device)?;
            edit_until(&reader, &stepper, &styles, args.attribute, target, &config)?
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    for step in &trace.steps {
        if let Some(image) = &step.image {
            let path = args.out_dir.join(format!("step_{:02}.png", step.index));
            let sized;
            let written = if image.width() == args.size {
                image
            } else {
                sized = image::imageops::resize(
                    image,
                    args.size,
                    args.size,
                    image::imageops::FilterType::Triangle,
                );
                &sized
            };
            written
                .save(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            if let (true, Some(inversion), Some(photo)) = (args.paste_back, &inversion, &photo) {
                let path = args
                    .out_dir
                    .join(format!("photo_step_{:02}.png", step.index));
                // Only what the edit changed is carried into the photo.
                inversion
                    .paste_back()
                    .transfer_edit(
                        photo,
                        &inversion.render,
                        image,
                        TransferMode::Delta,
                        &[args.attribute],
                    )?
                    .save(&path)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    let mut summary_json = serde_json::to_value(&trace)?;
    if let Some(inversion) = &inversion {
        summary_json["inversion"] = serde_json::json!({
            "photo": args.image,
            "identity_cos": inversion.identity_cos,
            "encoder_identity_cos": inversion.encoder_identity_cos,
            "refined_identity_cos": inversion.refined_identity_cos,
            "refined_kept": inversion.refined_kept,
            "seconds": inversion.seconds,
        });
    }
    let summary = args.out_dir.join("summary.json");
    std::fs::write(&summary, serde_json::to_string_pretty(&summary_json)?)
        .with_context(|| format!("writing {}", summary.display()))?;
    println!(
        "{}: degree {} -> {} (target {}), {:?}, {} steps in {:.1} s; wrote {}",
        args.attribute.name(),
        trace.start_degree,
        trace.result().degree,
        trace.target,
        trace.outcome,
        trace.steps.len() - 1,
        seconds,
        summary.display()
    );
    for drift in &trace.others_moved {
        println!(
            "  note: {} moved from {} to {}",
            drift.attribute.name(),
            drift.from,
            drift.to
        );
    }
    Ok(())
}
