//! The face generator: MobileStyleGAN (distilled from StyleGAN2-FFHQ, 1024x1024) in candle.
//!
//! - [`mapping`]: z `[b, 512]` -> w `[b, 512]`.
//! - [`synthesis`]: w `[b, 512]` (broadcast) or W+ `[b, 23, 512]` -> RGB `[b, 3, 1024, 1024]`.
//! - [`cpu_kernels`]: the fused CPU kernels the fast synthesis pass uses.
//! - [`cpu_gemm`]: their GEMM for the 1x1 convolutions, with a fused epilogue.
//! - [`numpy_rng`]: numpy's `RandomState(seed).randn`, so seeds match the reference.
//!
//! [`Generator`] ties them together with the average w (for truncation) and conversion to images.
//! Weights come from `talk-to-edit models fetch`, which converts the OpenVINO IR shipped in PyPI
//! `random-face==2021.7.21.1` into one safetensors file (`mapping.*`, `synthesis.*`).

pub mod cpu_gemm;
pub mod cpu_kernels;
pub mod mapping;
pub mod numpy_rng;
pub mod synthesis;

pub use mapping::{MappingConfig, MappingNetwork};
pub use synthesis::{SynthesisConfig, SynthesisNetwork};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;
use numpy_rng::NumpyRandomState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Number of style vectors in a W+ code of this generator.
pub const NUM_STYLES: usize = 23;
/// Width of z, w and each style vector.
pub const LATENT_DIM: usize = 512;
/// Side of the generated image.
pub const RESOLUTION: usize = 1024;

/// Errors from loading or running the generator.
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    #[error("generator weights not found at {0} (run `talk-to-edit models fetch`)")]
    MissingWeights(PathBuf),
    #[error("bad latent: {0}")]
    BadLatent(String),
    #[error("bad weights: {0}")]
    BadWeights(String),
    #[error("unsupported image size {0} (use 256, 512 or 1024)")]
    BadSize(u32),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Mapping + synthesis networks and the average w.
pub struct Generator {
    pub mapping: MappingNetwork,
    pub synthesis: SynthesisNetwork,
    /// The weights the networks were built from, by name (shared with them, no copy): a
    /// per-photo tuned generator ([`Generator::with_replaced`]) starts from these.
    tensors: HashMap<String, Tensor>,
    device: Device,
    w_avg: OnceLock<Tensor>,
}

/// Seed of the 4096 z samples whose mean w is the truncation centre (as random-face does).
pub const W_AVG_SEED: u32 = 12345;
/// Number of z samples averaged for the truncation centre.
pub const W_AVG_SAMPLES: usize = 4096;

impl Generator {
    /// Loads the converted safetensors file.
    pub fn load(weights: &Path, device: &Device) -> Result<Self, GeneratorError> {
        if !weights.is_file() {
            return Err(GeneratorError::MissingWeights(weights.to_path_buf()));
        }
        let tensors = candle_core::safetensors::load(weights, device)?;
        Self::from_tensors(tensors, device)
    }

    /// Builds the networks from named weights (`mapping.*`, `synthesis.*`, as in the converted
    /// file).
    pub fn from_tensors(
        tensors: HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<Self, GeneratorError> {
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, device);
        Ok(Self {
            mapping: MappingNetwork::load(vb.pp("mapping"), MappingConfig::default())?,
            synthesis: SynthesisNetwork::load(vb.pp("synthesis"), SynthesisConfig::default())?,
            tensors,
            device: device.clone(),
            w_avg: OnceLock::new(),
        })
    }

    /// The weights by name (see [`Generator::from_tensors`]).
    pub fn tensors(&self) -> &HashMap<String, Tensor> {
        &self.tensors
    }

    /// A copy of this generator with some weights replaced (same names and shapes; a per-photo
    /// tuned generator, `inversion::pivotal`). The average w is carried over: the mapping network
    /// must not be among the replaced weights.
    pub fn with_replaced(
        &self,
        replaced: &HashMap<String, Tensor>,
    ) -> Result<Self, GeneratorError> {
        let mut tensors = self.tensors.clone();
        for (name, value) in replaced {
            let Some(old) = tensors.get(name) else {
                return Err(GeneratorError::BadWeights(format!(
                    "no weight named {name}"
                )));
            };
            if name.starts_with("mapping.") {
                return Err(GeneratorError::BadWeights(format!(
                    "{name}: the mapping network is not replaced (the average w is kept)"
                )));
            }
            if old.dims() != value.dims() {
                return Err(GeneratorError::BadWeights(format!(
                    "{name}: cannot replace {:?} by {:?}",
                    old.dims(),
                    value.dims()
                )));
            }
            tensors.insert(name.clone(), value.detach());
        }
        let tuned = Self::from_tensors(tensors, &self.device)?;
        if let Some(w) = self.w_avg.get() {
            let _ = tuned.w_avg.set(w.clone());
        }
        Ok(tuned)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// z `[1, 512]` for a seed, identical to `np.random.RandomState(seed).randn(1, 512)` as f32.
    pub fn z_from_seed(&self, seed: u64) -> Result<Tensor, GeneratorError> {
        let seed = u32::try_from(seed)
            .map_err(|_| GeneratorError::BadLatent(format!("seed {seed} must be < 2^32")))?;
        let z = NumpyRandomState::new(seed).randn_f32(LATENT_DIM);
        Ok(Tensor::from_vec(z, (1, LATENT_DIM), &self.device)?)
    }

    /// w `[1, 512]` for a seed (no truncation).
    pub fn w_from_seed(&self, seed: u64) -> Result<Tensor, GeneratorError> {
        Ok(self.mapping.forward(&self.z_from_seed(seed)?)?)
    }

    /// The mean w of [`W_AVG_SAMPLES`] z drawn with seed [`W_AVG_SEED`], computed once.
    pub fn w_avg(&self) -> Result<Tensor, GeneratorError> {
        if let Some(w) = self.w_avg.get() {
            return Ok(w.clone());
        }
        let z = NumpyRandomState::new(W_AVG_SEED).randn_f32(W_AVG_SAMPLES * LATENT_DIM);
        let z = Tensor::from_vec(z, (W_AVG_SAMPLES, LATENT_DIM), &self.device)?;
        let w = self.mapping.forward(&z)?.mean_keepdim(0)?;
        Ok(self.w_avg.get_or_init(|| w).clone())
    }

    /// `w_avg + psi * (w - w_avg)`; `psi = 1` returns `w` unchanged.
    pub fn truncate(&self, w: &Tensor, psi: f64) -> Result<Tensor, GeneratorError> {
        if psi == 1.0 {
            return Ok(w.clone());
        }
        let avg = self.w_avg()?;
        Ok(((w.broadcast_sub(&avg)? * psi)?.broadcast_add(&avg))?)
    }

    /// w `[b, 512]` -> W+ `[b, 23, 512]`.
    pub fn w_plus(&self, w: &Tensor) -> Result<Tensor, GeneratorError> {
        Ok(self.synthesis.to_w_plus(w)?)
    }

    /// Raw synthesis output `[b, 3, 1024, 1024]` (fast pass).
    pub fn synthesize(&self, styles: &Tensor) -> Result<Tensor, GeneratorError> {
        self.check_styles(styles)?;
        Ok(self.synthesis.forward(styles)?)
    }

    fn check_styles(&self, styles: &Tensor) -> Result<(), GeneratorError> {
        let ok = match styles.dims() {
            [_, d] => *d == LATENT_DIM,
            [_, l, d] => *l == NUM_STYLES && *d == LATENT_DIM,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(GeneratorError::BadLatent(format!(
                "expected w [b, {LATENT_DIM}] or W+ [b, {NUM_STYLES}, {LATENT_DIM}], got {:?}",
                styles.dims()
            )))
        }
    }

    /// Renders one face (first of the batch) as an RGB image of side `size` (256, 512 or 1024).
    pub fn render(&self, styles: &Tensor, size: u32) -> Result<RgbImage, GeneratorError> {
        let mut images = self.render_batch(styles, size)?;
        Ok(images.swap_remove(0))
    }

    /// Renders every face of the batch.
    pub fn render_batch(
        &self,
        styles: &Tensor,
        size: u32,
    ) -> Result<Vec<RgbImage>, GeneratorError> {
        if ![256, 512, 1024].contains(&size) {
            return Err(GeneratorError::BadSize(size));
        }
        let images = to_rgb_images(&self.synthesize(styles)?)?;
        Ok(images.into_iter().map(|img| resize(img, size)).collect())
    }
}

/// A square render at side `size`, resized the way [`Generator::render`] does (Triangle
/// filter; the image itself when it already has that side): a render kept at another side
/// gives the same pixels as rendering again at `size`.
pub fn resize(img: RgbImage, size: u32) -> RgbImage {
    if img.width() == size {
        img
    } else {
        image::imageops::resize(&img, size, size, image::imageops::FilterType::Triangle)
    }
}

/// The reference's post-processing: clip to [-1, 1], `(x + 1) * 127.5 + 0.5`, truncate to u8.
pub fn to_u8(x: f32) -> u8 {
    ((x.clamp(-1.0, 1.0) + 1.0) * 127.5 + 0.5) as u8
}

/// `[b, 3, H, W]` raw output -> one RGB image per batch item.
pub fn to_rgb_images(raw: &Tensor) -> Result<Vec<RgbImage>, GeneratorError> {
    let (b, c, h, w) = raw.dims4()?;
    if c != 3 {
        return Err(GeneratorError::BadLatent(format!("image has {c} channels")));
    }
    let data = raw.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    let plane = h * w;
    Ok((0..b)
        .map(|i| {
            let px = &data[i * 3 * plane..(i + 1) * 3 * plane];
            RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let j = y as usize * w + x as usize;
                image::Rgb([to_u8(px[j]), to_u8(px[plane + j]), to_u8(px[2 * plane + j])])
            })
        })
        .collect())
}

/// PSNR (dB, 255 peak) of two RGB images of one size, and the largest per-channel difference in
/// levels (for checking renders against the reference's PNGs).
pub fn psnr_and_max(a: &RgbImage, b: &RgbImage) -> (f64, u8) {
    assert_eq!(a.dimensions(), b.dimensions(), "images of different sizes");
    let (mut se, mut worst) = (0f64, 0u8);
    for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
        let d = x.abs_diff(*y);
        worst = worst.max(d);
        se += f64::from(d) * f64::from(d);
    }
    let mse = se / a.as_raw().len() as f64;
    (10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10(), worst)
}

/// The largest absolute element-wise difference of two tensors of one shape (for checking passes
/// and kernels against each other).
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f32, GeneratorError> {
    Ok((a - b)?
        .abs()?
        .flatten_all()?
        .max(0)?
        .to_dtype(DType::F32)?
        .to_scalar::<f32>()?)
}
