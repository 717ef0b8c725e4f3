//! `talk-to-edit render`: one face from a seed, a z or a w / W+ latent (`.npy`), as PNG.

use anyhow::{bail, Context};
use candle_core::Tensor;
use engine::generator::{LATENT_DIM, NUM_STYLES};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("latent").required(true).args(["z", "w", "seed"])))]
pub struct Args {
    /// z latent, f32/f64 `.npy` of shape [512] or [1, 512] (mapped, then truncated).
    #[arg(long, value_name = "FILE.npy")]
    z: Option<PathBuf>,
    /// w latent `.npy`: [512] or [1, 512] (broadcast to every layer), or W+ [23, 512].
    #[arg(long, value_name = "FILE.npy")]
    w: Option<PathBuf>,
    /// Seed of z, as `np.random.RandomState(seed).randn(1, 512)`.
    #[arg(long)]
    seed: Option<u64>,
    /// Truncation psi towards the average w (1 = none); applies to --z and --seed.
    #[arg(long, default_value_t = 1.0)]
    truncation: f64,
    /// Side of the written image: 256, 512 or 1024.
    #[arg(long, default_value_t = 1024)]
    size: u32,
    /// Output PNG.
    #[arg(long)]
    out: PathBuf,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

/// Reads a latent `.npy` and checks its shape: `[512]`/`[1, 512]`, or `[23, 512]` when W+ is allowed.
pub(crate) fn read_latent(
    path: &Path,
    allow_w_plus: bool,
    device: &candle_core::Device,
) -> anyhow::Result<Tensor> {
    let arr = engine::npy::read(path)?;
    let rows = match arr.shape.as_slice() {
        [d] if *d == LATENT_DIM => 1,
        [1, d] if *d == LATENT_DIM => 1,
        [l, d] if *d == LATENT_DIM && *l == NUM_STYLES && allow_w_plus => NUM_STYLES,
        s => bail!(
            "{}: shape {s:?} is not [512], [1, 512]{}",
            path.display(),
            if allow_w_plus {
                " or [23, 512] (W+)"
            } else {
                ""
            }
        ),
    };
    let t = Tensor::from_vec(arr.data, (rows, LATENT_DIM), device)?;
    Ok(if rows == 1 { t } else { t.unsqueeze(0)? })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.truncation.is_finite() && (0.0..=2.0).contains(&args.truncation)) {
        bail!(
            "--truncation must be between 0 and 2, got {}",
            args.truncation
        );
    }
    let generator = crate::loading::generator(args.weights.clone())?;
    let device = generator.device().clone();
    let styles = if let Some(path) = &args.w {
        read_latent(path, true, &device)?
    } else {
        let z = match (&args.z, args.seed) {
            (Some(path), _) => read_latent(path, false, &device)?,
            (None, Some(seed)) => generator.z_from_seed(seed)?,
            (None, None) => unreachable!("clap requires one latent"),
        };
        generator.truncate(&generator.mapping.forward(&z)?, args.truncation)?
    };
    let start = std::time::Instant::now();
    let image = generator.render(&styles, args.size)?;
    tracing::info!(elapsed_ms = start.elapsed().as_millis() as u64, "rendered");
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    image
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{}", args.out.display());
    Ok(())
}
