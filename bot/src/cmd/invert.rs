//! `talk-to-edit invert PHOTO`: GAN inversion of a photo's face into W+ (encoder, then a short
//! refinement through the generator), writing the code as `.npy` and the aligned render.

use anyhow::{bail, Context};
use engine::generator::{LATENT_DIM, NUM_STYLES};
use engine::inversion::invert::{InvertConfig, InvertProgress, Inverter};
use engine::inversion::InversionEncoder;
use engine::perception::{load_photo, IdentityEncoder, IDENTITY_MODEL};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The photo (PNG or JPEG) with one face (the largest is used).
    photo: PathBuf,
    /// Where to write the W+ code, shape [23, 512].
    #[arg(long, value_name = "W.npy")]
    out_latent: PathBuf,
    /// Where to write the render of the code (the aligned face as the generator draws it).
    #[arg(long, value_name = "ALIGNED_RENDER.png")]
    out_image: Option<PathBuf>,
    /// Side of the written render: 256, 512 or 1024.
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Refinement steps (0: the encoder's code alone).
    #[arg(long, default_value_t = InvertConfig::default().refine.steps)]
    steps: usize,
    /// Run the refinement's identity term every this many steps (the product: every 4th of 8).
    #[arg(long, default_value_t = InvertConfig::default().refine.identity_every)]
    identity_every: usize,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

/// The generator and the face models (and, for photos, the inversion encoder), loaded once.
pub struct FaceModels {
    pub generator: engine::generator::Generator,
    pub perception: engine::perception::FacePerception,
    pub identity: IdentityEncoder,
    pub encoder: Option<InversionEncoder>,
}

impl FaceModels {
    /// Loads them; the encoder only `with_encoder`.
    pub fn load(weights: Option<PathBuf>, with_encoder: bool) -> anyhow::Result<Self> {
        let generator = crate::loading::generator(weights)?;
        let store = models::ModelStore::open_default()?;
        let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
        let perception = crate::loading::face_perception(&store)?;
        let encoder = if with_encoder {
            let path = crate::loading::encoder_path();
            Some(
                InversionEncoder::load(&path, generator.device())
                    .with_context(|| format!("loading the encoder from {}", path.display()))?,
            )
        } else {
            None
        };
        Ok(Self {
            generator,
            perception,
            identity,
            encoder,
        })
    }

    /// An inverter with `steps` refinement steps (needs the encoder).
    pub fn inverter(&self, steps: usize) -> anyhow::Result<Inverter<'_>> {
        let Some(encoder) = &self.encoder else {
            bail!("the inversion encoder was not loaded");
        };
        let mut config = InvertConfig::default();
        config.refine.steps = steps;
        Ok(Inverter {
            generator: &self.generator,
            perception: &self.perception,
            identity: &self.identity,
            encoder,
            config,
        })
    }
}

/// Prints inversion progress on one line of stderr.
pub fn print_progress(p: InvertProgress) {
    let what = match p {
        InvertProgress::Aligned { faces } if faces > 1 => {
            format!("found {faces} faces, using the largest")
        }
        InvertProgress::Aligned { .. } => "face found and aligned".to_string(),
        InvertProgress::Encoded => "encoded".to_string(),
        InvertProgress::Refining(r) => format!(
            "refining {}/{} (pixel loss {:.4})",
            r.step, r.total, r.pixel_loss
        ),
        InvertProgress::Checked => "checked".to_string(),
    };
    eprint!("\r\x1b[2K[{:>3.0}%] {what}", p.fraction() * 100.0);
    if matches!(p, InvertProgress::Checked) {
        eprintln!();
    }
}

/// Writes a W+ code `[1, 23, 512]` as `[23, 512]` `.npy`.
pub fn write_w_plus(path: &Path, styles: &candle_core::Tensor) -> anyhow::Result<()> {
    let values = styles
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    if values.len() != NUM_STYLES * LATENT_DIM {
        bail!("expected a W+ code, got {:?}", styles.dims());
    }
    engine::npy::write(path, &[NUM_STYLES, LATENT_DIM], &values)
        .with_context(|| format!("writing {}", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if ![256, 512, 1024].contains(&args.size) {
        bail!("--size must be 256, 512 or 1024, got {}", args.size);
    }
    let photo = load_photo(&args.photo)?;
    let models = FaceModels::load(args.weights.clone(), true)?;
    let mut inverter = models.inverter(args.steps)?;
    inverter.config.refine.identity_every = args.identity_every.max(1);
    let inversion = inverter
        .invert(&photo, &mut print_progress)
        .with_context(|| format!("inverting {}", args.photo.display()))?;
    write_w_plus(&args.out_latent, &inversion.styles)?;
    if let Some(out) = &args.out_image {
        let image = image::imageops::resize(
            &inversion.render,
            args.size,
            args.size,
            image::imageops::FilterType::Triangle,
        );
        image
            .save(out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    println!(
        "{}: identity cosine {:.3} (encoder {:.3}, refined {:.3}; kept the {}), {:.1} s; wrote {}",
        args.photo.display(),
        inversion.identity_cos,
        inversion.encoder_identity_cos,
        inversion.refined_identity_cos,
        if inversion.refined_kept {
            "refined code"
        } else {
            "encoder's code"
        },
        inversion.seconds,
        args.out_latent.display()
    );
    Ok(())
}
