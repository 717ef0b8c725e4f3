//! Refinement of an inverted code by gradient descent through the synthesis network.
//!
//! The full 1024 px differentiable pass costs about 15 s per step on 2 CPU cores (forward 1 s,
//! backward 14 s), so the refinement works at a reduced resolution: it runs the first
//! [`RefineConfig::feature_blocks`] blocks of the synthesis network (default 4: a 64 x 64 x 512
//! feature map, about 0.27 s forward + backward; 5 blocks give 128 px at about 0.8 s) and turns
//! the features into colours with a linear head fitted, per photo, to the full render of the
//! starting code ([`ColourHead`]; R² 0.98-0.99 on the faces tried). Only the styles those blocks
//! read are optimised: with 4 blocks the first 13 of 23, exactly the layers the semantic fields
//! edit (`field::DEFAULT_K`); the later, colour styles stay as the encoder gave them.
//!
//! Loss: masked mean squared error between the head's 128 px image and the aligned photo
//! (colour-matched to the starting render inside the face mask, so lighting and white balance
//! are not pushed into the shape styles), plus a prior that keeps the code where the generator
//! and the semantic fields are valid: the distance to the starting code (the encoder was trained
//! on codes of the generator's W distribution) and the spread of the optimised styles around
//! their mean (a code far from a broadcast w leaves the region the fields were trained on).

use super::InversionError;
use crate::generator::Generator;
use crate::perception::identity::{identity_transform, GENERATOR_FIVE_POINTS_1024, IDENTITY_CROP};
use crate::perception::{IdentityEncoder, Landmarks};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::Optimizer;
use image::imageops::FilterType;
use image::RgbImage;

/// Settings of the refinement.
#[derive(Debug, Clone, PartialEq)]
pub struct RefineConfig {
    /// Adam steps.
    pub steps: usize,
    /// Synthesis blocks run (4: 64 px features, 5: 128 px).
    pub feature_blocks: usize,
    /// Adam learning rate (w units; a w coordinate's spread over the W distribution is about 1).
    pub learning_rate: f64,
    /// Weight of the mean squared distance to the starting code.
    pub anchor_weight: f64,
    /// Weight of the mean squared spread of the optimised styles around their mean.
    pub spread_weight: f64,
    /// Ridge term of the colour head's least squares (relative to the Gram matrix's mean
    /// diagonal).
    pub head_ridge: f64,
    /// Weight of the pixel loss outside the face mask (hair, background), inside it is 1.
    pub outside_weight: f64,
    /// Weight of the identity term `1 - cos(E(render), E(photo))`, both through the identity
    /// network at the feature resolution (0: off).
    pub identity_weight: f64,
    /// Compute the identity term every this many steps (its backward pass costs about 1 s).
    pub identity_every: usize,
    /// Keep the code every this many steps as a checkpoint (0: only the last), so that a
    /// caller can pick the step that looks most like the person (pixel loss keeps falling after
    /// identity stops rising).
    pub checkpoint_every: usize,
}

impl Default for RefineConfig {
    fn default() -> Self {
        Self {
            steps: 24,
            feature_blocks: 4,
            learning_rate: 0.03,
            anchor_weight: 0.02,
            spread_weight: 0.05,
            head_ridge: 1e-3,
            outside_weight: 0.25,
            checkpoint_every: 8,
            identity_weight: 0.1,
            identity_every: 3,
        }
    }
}

impl RefineConfig {
    /// Number of W+ styles the first `feature_blocks` blocks read (stem + 3 per block).
    pub fn optimised_styles(&self) -> usize {
        1 + 3 * self.feature_blocks
    }
}

/// Side of the synthesis network's feature map after its first `blocks` blocks (4 px stem,
/// doubled by every block).
pub fn feature_side(blocks: usize) -> u32 {
    4 << blocks
}

/// Progress of one refinement step.
#[derive(Debug, Clone, Copy)]
pub struct RefineProgress {
    pub step: usize,
    pub total: usize,
    /// Masked pixel loss (mean squared error in [-1, 1] colour units).
    pub pixel_loss: f32,
}

/// A linear map from the feature map's channels to RGB (`rgb = W f + b` per pixel).
#[derive(Debug, Clone)]
pub struct ColourHead {
    /// `[3, C]`
    weight: Tensor,
    /// `[1, 3, 1, 1]`
    bias: Tensor,
    /// Coefficient of determination of the fit on the image it was fitted to.
    pub r_squared: f32,
}

impl ColourHead {
    /// Least squares fit of `image` (`[3, h, w]`) from `features` (`[1, C, h, w]`), with a
    /// ridge term `ridge` x the Gram matrix's mean diagonal.
    pub fn fit(features: &Tensor, image: &Tensor, ridge: f64) -> Result<Self, InversionError> {
        let (_, c, h, w) = features.dims4()?;
        let n = h * w;
        let device = features.device();
        // Features with a constant row for the bias: [C + 1, n].
        let augmented = Tensor::cat(
            &[
                features.reshape((c, n))?.to_dtype(DType::F64)?,
                Tensor::ones((1, n), DType::F64, device)?,
            ],
            0,
        )?;
        let y = image.reshape((3, n))?.to_dtype(DType::F64)?;
        let d = c + 1;
        let mut gram = augmented
            .matmul(&augmented.t()?)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        let rhs = augmented.matmul(&y.t()?)?.to_vec2::<f64>()?;
        let mean_diag = (0..d).map(|i| gram[i * d + i]).sum::<f64>() / d as f64;
        for i in 0..c {
            gram[i * d + i] += ridge * mean_diag;
        }
        let chol = cholesky(&gram, d).ok_or_else(|| {
            InversionError::BadInput("the colour head's normal equations are singular".into())
        })?;
        let mut solution = vec![0f64; 3 * d];
        for k in 0..3 {
            let b: Vec<f64> = (0..d).map(|i| rhs[i][k]).collect();
            let x = cholesky_solve(&chol, d, &b);
            solution[k * d..(k + 1) * d].copy_from_slice(&x);
        }
        let solution = Tensor::from_vec(solution, (3, d), device)?;
        let prediction = solution.matmul(&augmented)?;
        let ss_res = (&prediction - &y)?.sqr()?.sum(1)?;
        let ss_tot = y.broadcast_sub(&y.mean_keepdim(1)?)?.sqr()?.sum(1)?;
        let r_squared = (1.0
            - (ss_res / (ss_tot + 1e-12)?)?
                .mean_all()?
                .to_scalar::<f64>()?) as f32;
        let solution = solution.to_dtype(DType::F32)?;
        Ok(Self {
            weight: solution.narrow(1, 0, c)?.contiguous()?,
            bias: solution.narrow(1, c, 1)?.reshape((1, 3, 1, 1))?,
            r_squared,
        })
    }

    /// `[1, C, h, w]` -> `[1, 3, h, w]`.
    pub fn forward(&self, features: &Tensor) -> Result<Tensor, InversionError> {
        let (b, c, h, w) = features.dims4()?;
        let rgb = self
            .weight
            .broadcast_matmul(&features.reshape((b, c, h * w))?)?
            .reshape((b, 3, h, w))?;
        Ok(rgb.broadcast_add(&self.bias)?)
    }
}

/// Cholesky factor (lower, row-major) of a symmetric positive definite `d` x `d` matrix.
fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0f64; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                let v = a[i * d + i] - s;
                if v <= 0.0 || !v.is_finite() {
                    return None;
                }
                l[i * d + i] = v.sqrt();
            } else {
                l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b`.
fn cholesky_solve(l: &[f64], d: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0f64; d];
    for i in 0..d {
        let s: f64 = (0..i).map(|k| l[i * d + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * d + i];
    }
    let mut x = vec![0f64; d];
    for i in (0..d).rev() {
        let s: f64 = (i + 1..d).map(|k| l[k * d + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * d + i];
    }
    x
}

/// An RGB image as `[3, h, w]` in [-1, 1] (the generator's range).
pub fn image_to_tensor(image: &RgbImage, device: &Device) -> Result<Tensor, InversionError> {
    let (w, h) = image.dimensions();
    let mut data = vec![0f32; 3 * (w * h) as usize];
    for (i, p) in image.pixels().enumerate() {
        for k in 0..3 {
            data[k * (w * h) as usize + i] = p.0[k] as f32 / 127.5 - 1.0;
        }
    }
    Ok(Tensor::from_vec(data, (3, h as usize, w as usize), device)?)
}

/// A soft mask of the face in an aligned crop, `size` x `size` values in [0, 1]: the polygon of
/// the jaw line (landmarks 0-16) closed over the eyebrows (17-26) raised by 60% of the
/// eyebrow-to-chin height (the forehead), feathered over `feather` x `size` pixels.
pub fn face_mask(
    landmarks: &Landmarks,
    size: u32,
    feather: f32,
) -> Result<Vec<f32>, InversionError> {
    if landmarks.0.len() != 68 {
        return Err(InversionError::BadInput(format!(
            "{} landmarks (expected 68)",
            landmarks.0.len()
        )));
    }
    let lm = &landmarks.0;
    let brow_y = (17..27).map(|i| lm[i][1]).sum::<f64>() / 10.0;
    let chin_y = lm[8][1];
    let lift = 0.6 * (chin_y - brow_y).max(0.0);
    let mut polygon: Vec<[f64; 2]> = (0..17).map(|i| lm[i]).collect();
    polygon.extend((17..27).rev().map(|i| [lm[i][0], lm[i][1] - lift]));
    let n = size as usize;
    let mut mask = vec![0f32; n * n];
    // Even-odd scanline fill at pixel centres.
    for (y, row) in mask.chunks_mut(n).enumerate() {
        let py = y as f64;
        let mut xs: Vec<f64> = Vec::new();
        for i in 0..polygon.len() {
            let (a, b) = (polygon[i], polygon[(i + 1) % polygon.len()]);
            if (a[1] <= py) != (b[1] <= py) {
                xs.push(a[0] + (py - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
            }
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        for pair in xs.chunks(2) {
            if let [x0, x1] = pair {
                let lo = x0.ceil().max(0.0) as usize;
                let hi = (x1.floor() as i64).min(n as i64 - 1);
                for v in row.iter_mut().take((hi + 1).max(0) as usize).skip(lo) {
                    *v = 1.0;
                }
            }
        }
    }
    let radius = (feather * size as f32).round() as usize;
    if radius > 0 {
        box_blur(&mut mask, n, radius);
        box_blur(&mut mask, n, radius);
    }
    Ok(mask)
}

/// Separable box blur of a square `n` x `n` map (radius `r`, clamped edges): one 1-D pass
/// along rows, one along columns.
pub(crate) fn box_blur(map: &mut [f32], n: usize, r: usize) {
    let width = (2 * r + 1) as f32;
    // `index(line, i)`: position of the i-th value of a line.
    let pass = |src: &[f32], index: &dyn Fn(usize, usize) -> usize| {
        let mut out = vec![0f32; n * n];
        for line in 0..n {
            for i in 0..n {
                let sum: f32 = (0..=2 * r)
                    .map(|d| src[index(line, (i + d).saturating_sub(r).min(n - 1))])
                    .sum();
                out[index(line, i)] = sum / width;
            }
        }
        out
    };
    let rows = pass(map, &|y, x| y * n + x);
    let cols = pass(&rows, &|x, y| y * n + x);
    map.copy_from_slice(&cols);
}

/// Per-channel mean and standard deviation of `[3, h, w]` weighted by `mask` (`[1, h, w]`).
fn masked_moments(image: &Tensor, mask: &Tensor) -> Result<(Tensor, Tensor), InversionError> {
    let total = mask.sum_all()?.to_scalar::<f32>()?.max(1e-6) as f64;
    let mean = (image.broadcast_mul(mask)?.sum((1, 2))? / total)?;
    let centred = image.broadcast_sub(&mean.reshape((3, 1, 1))?)?;
    let var = (centred.sqr()?.broadcast_mul(mask)?.sum((1, 2))? / total)?;
    Ok((mean, (var + 1e-6)?.sqrt()?))
}

/// `target` recoloured so that its masked per-channel mean and spread match `reference`'s.
pub fn match_colours(
    target: &Tensor,
    reference: &Tensor,
    mask: &Tensor,
) -> Result<Tensor, InversionError> {
    let (tm, ts) = masked_moments(target, mask)?;
    let (rm, rs) = masked_moments(reference, mask)?;
    let scale = (rs / ts)?.reshape((3, 1, 1))?;
    Ok(target
        .broadcast_sub(&tm.reshape((3, 1, 1))?)?
        .broadcast_mul(&scale)?
        .broadcast_add(&rm.reshape((3, 1, 1))?)?)
}

/// A fixed bilinear resampling of a generator-frame image (`side` px) to the 112 px identity
/// crop (the [`GENERATOR_FIVE_POINTS_1024`] -> ArcFace similarity; generated faces are upright,
/// so its 0.3 degree rotation is dropped and the map is separable: `R_y · image · R_xᵀ`). The
/// output is scaled as the identity network expects.
pub(crate) struct IdentityResample {
    rows: Tensor,
    cols: Tensor,
}

impl IdentityResample {
    pub(crate) fn new(side: usize, device: &Device) -> Result<Self, InversionError> {
        let t = identity_transform(&GENERATOR_FIVE_POINTS_1024)?;
        let n = IDENTITY_CROP as usize;
        let matrix = |scale: f64, offset: f64| {
            interpolation_matrix(n, side, device, |u| {
                (scale * u as f64 + offset + 0.5) * side as f64 / 1024.0 - 0.5
            })
        };
        Ok(Self {
            rows: matrix(t.m[1][1], t.m[1][2])?,
            cols: matrix(t.m[0][0], t.m[0][2])?,
        })
    }

    /// `[1, 3, side, side]` in [-1, 1] -> `[1, 3, 112, 112]` as `(pixel - 127) / 128`.
    pub(crate) fn apply(&self, image: &Tensor) -> Result<Tensor, InversionError> {
        let crop = self
            .rows
            .broadcast_matmul(image)?
            .broadcast_matmul(&self.cols.t()?)?;
        Ok((((crop + 1.0)? * (127.5 / 128.0))? - (127.0 / 128.0))?)
    }
}

/// `[n, side]` linear interpolation weights: output pixel `u` reads the source at `source(u)`
/// (pixel-centre coordinates, clamped to the edges).
fn interpolation_matrix(
    n: usize,
    side: usize,
    device: &Device,
    source: impl Fn(usize) -> f64,
) -> candle_core::Result<Tensor> {
    let mut m = vec![0f32; n * side];
    for u in 0..n {
        let x = source(u).clamp(0.0, side as f64 - 1.0);
        let x0 = x.floor() as usize;
        let f = (x - x0 as f64) as f32;
        m[u * side + x0] += 1.0 - f;
        m[u * side + (x0 + 1).min(side - 1)] += f;
    }
    Tensor::from_vec(m, (n, side), device)
}

/// A bilinear resize of square images `[b, c, side, side]` to `n` x `n` as two fixed matrices
/// (`R · image · Rᵀ`), differentiable (pixel centres aligned, edges clamped).
#[derive(Debug, Clone)]
pub struct SquareResize {
    matrix: Tensor,
}

impl SquareResize {
    pub fn new(side: usize, n: usize, device: &Device) -> Result<Self, InversionError> {
        Ok(Self {
            matrix: interpolation_matrix(n, side, device, |u| {
                (u as f64 + 0.5) * side as f64 / n as f64 - 0.5
            })?,
        })
    }

    pub fn apply(&self, image: &Tensor) -> Result<Tensor, InversionError> {
        Ok(self
            .matrix
            .broadcast_matmul(image)?
            .broadcast_matmul(&self.matrix.t()?)?)
    }
}

/// What a refinement returns.
#[derive(Debug, Clone)]
pub struct Refined {
    /// The refined W+ code `[1, 23, 512]`.
    pub styles: Tensor,
    /// `(step, code)` every [`RefineConfig::checkpoint_every`] steps, the last step included.
    pub checkpoints: Vec<(usize, Tensor)>,
    /// Masked pixel loss of the starting code and of the code the last step started from (the
    /// last update's own loss is not measured: that would cost one more pass through the
    /// blocks, about a tenth of a second on the first reply's path, for a diagnostic).
    pub first_loss: f32,
    pub last_loss: f32,
    /// R² of the colour head on the starting render.
    pub head_r_squared: f32,
    /// The 1024 px render of the starting code (rendered anyway to fit the colour head).
    pub start_render: RgbImage,
}

/// An aligned photo as the reduced-resolution pass compares with it: the feature map of the
/// first `feature_blocks` synthesis blocks, turned into colours by a [`ColourHead`] fitted to the
/// full render of the starting code, against the photo colour-matched to that render inside the
/// face mask (so lighting and white balance are not pushed into the networks), face pixels
/// weighing 1 and the rest `outside_weight`. The refinement moves the code against it, pivotal
/// tuning (`super::pivotal`) the first blocks' weights.
pub(crate) struct FeatureTarget {
    /// Side of the feature map (and of the compared images).
    pub side: u32,
    pub head: ColourHead,
    /// The colour-matched photo, `[1, 3, side, side]` in [-1, 1].
    pub goal: Tensor,
    /// Per-pixel weights `[1, 1, side, side]`.
    weights: Tensor,
    /// Their sum times the 3 channels.
    weight_total: f64,
    /// The 1024 px render of the starting code.
    pub start_render: RgbImage,
}

impl FeatureTarget {
    pub(crate) fn new(
        generator: &Generator,
        target: &RgbImage,
        mask: &[f32],
        init: &Tensor,
        feature_blocks: usize,
        head_ridge: f64,
        outside_weight: f64,
    ) -> Result<Self, InversionError> {
        let device = generator.device().clone();
        let (tw, th) = target.dimensions();
        if tw != th || mask.len() != (tw * th) as usize {
            return Err(InversionError::BadInput(format!(
                "target must be square with a mask of its size, got {tw}x{th} and {} values",
                mask.len()
            )));
        }
        let side = feature_side(feature_blocks);
        // The mask and the photo at the feature resolution.
        let mask_img = image::GrayImage::from_raw(
            tw,
            th,
            mask.iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect(),
        )
        .ok_or_else(|| InversionError::BadInput("mask size".into()))?;
        let mask_small = image::imageops::resize(&mask_img, side, side, FilterType::Triangle);
        let mask_t = Tensor::from_vec(
            mask_small
                .pixels()
                .map(|p| p.0[0] as f32 / 255.0)
                .collect::<Vec<_>>(),
            (1, side as usize, side as usize),
            &device,
        )?;
        let photo_small = image_to_tensor(
            &image::imageops::resize(target, side, side, FilterType::Triangle),
            &device,
        )?;
        // The starting render and the colour head fitted to it.
        let start_render = generator.render(init, 1024)?;
        let render_small = image_to_tensor(
            &image::imageops::resize(&start_render, side, side, FilterType::Triangle),
            &device,
        )?;
        let start_features = generator
            .synthesis
            .features_differentiable(init, feature_blocks)?;
        let head = ColourHead::fit(&start_features, &render_small, head_ridge)?;
        let goal = match_colours(&photo_small, &render_small, &mask_t)?.unsqueeze(0)?;
        // Hair and background count too, less than the face.
        let weights = mask_t.maximum(outside_weight)?.unsqueeze(0)?;
        let weight_total = weights.sum_all()?.to_scalar::<f32>()?.max(1e-6) as f64 * 3.0;
        Ok(Self {
            side,
            head,
            goal,
            weights,
            weight_total,
            start_render,
        })
    }

    /// Weighted mean squared error of a head image `[1, 3, side, side]` against the photo.
    pub(crate) fn pixel_loss(&self, image: &Tensor) -> Result<Tensor, InversionError> {
        let diff = (image - &self.goal)?;
        Ok((diff.sqr()?.broadcast_mul(&self.weights)?.sum_all()? / self.weight_total)?)
    }
}

/// Refines `init` (W+ `[1, 23, 512]`) so that the render matches `target` (an aligned crop, any
/// square size) inside `mask` (the face mask at the crop's size).
pub fn refine(
    generator: &Generator,
    target: &RgbImage,
    mask: &[f32],
    init: &Tensor,
    config: &RefineConfig,
    identity: Option<&IdentityEncoder>,
    progress: &mut dyn FnMut(RefineProgress),
) -> Result<Refined, InversionError> {
    let device = generator.device().clone();
    let init = generator.synthesis.to_w_plus(init)?.to_dtype(DType::F32)?;
    let (b, n_styles, dim) = init.dims3()?;
    let k = config.optimised_styles();
    if b != 1 || k > n_styles || config.feature_blocks == 0 {
        return Err(InversionError::BadInput(format!(
            "refinement needs one W+ code and 1..=7 feature blocks, got {:?} and {}",
            init.dims(),
            config.feature_blocks
        )));
    }
    let fit = FeatureTarget::new(
        generator,
        target,
        mask,
        &init,
        config.feature_blocks,
        config.head_ridge,
        config.outside_weight,
    )?;
    let (side, head, goal) = (fit.side, &fit.head, &fit.goal);

    let fixed = init.narrow(1, k, n_styles - k)?;
    let start_part = init.narrow(1, 0, k)?;
    let var = Var::from_tensor(&start_part)?;
    let mut adam = crate::optim::adam(vec![var.clone()], config.learning_rate)?;
    // The identity term: both images through the same fixed resampling to the identity crop.
    let identity_term = match identity {
        Some(encoder) if config.identity_weight > 0.0 => {
            let resample = IdentityResample::new(side as usize, &device)?;
            let target_embedding = encoder.embed_tensor(&resample.apply(goal)?)?.detach();
            Some((encoder, resample, target_embedding))
        }
        _ => None,
    };
    let image_of = |part: &Tensor| -> Result<Tensor, InversionError> {
        let styles = Tensor::cat(&[part, &fixed], 1)?;
        let features = generator
            .synthesis
            .features_differentiable(&styles, config.feature_blocks)?;
        head.forward(&features)
    };
    let mut first_loss = f32::NAN;
    let mut last_loss = f32::NAN;
    let mut checkpoints = Vec::new();
    let code = |part: &Tensor| Tensor::cat(&[&part.detach(), &fixed], 1);
    for step in 0..config.steps {
        let part = var.as_tensor();
        let image = image_of(part)?;
        let pixels = fit.pixel_loss(&image)?;
        let anchor = (part - &start_part)?.sqr()?.mean_all()?;
        let layer_mean = part.mean_keepdim(1)?;
        let spread = part.broadcast_sub(&layer_mean)?.sqr()?.mean_all()?;
        let mut loss =
            ((&pixels + (anchor * config.anchor_weight)?)? + (spread * config.spread_weight)?)?;
        if let Some((encoder, resample, target_embedding)) = &identity_term {
            let every = config.identity_every.max(1);
            if step % every == 0 {
                let embedding = encoder.embed_tensor(&resample.apply(&image)?)?;
                let cos = (embedding * target_embedding)?.sum_all()?;
                // Weighted by `every`, so the term's average pull does not depend on it.
                let term = ((1.0 - cos)? * (config.identity_weight * every as f64))?;
                loss = (loss + term)?;
            }
        }
        let value = pixels.to_scalar::<f32>()?;
        if step == 0 {
            first_loss = value;
        }
        adam.backward_step(&loss)?;
        let done = step + 1;
        if config.checkpoint_every > 0 && done % config.checkpoint_every == 0 && done < config.steps
        {
            checkpoints.push((done, code(var.as_tensor())?));
        }
        progress(RefineProgress {
            step: step + 1,
            total: config.steps,
            pixel_loss: value,
        });
        last_loss = value;
    }
    let styles = code(var.as_tensor())?;
    debug_assert_eq!(styles.dims(), &[1, n_styles, dim]);
    checkpoints.push((config.steps, styles.clone()));
    Ok(Refined {
        styles,
        checkpoints,
        first_loss,
        last_loss,
        head_r_squared: head.r_squared,
        start_render: fit.start_render,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_head_recovers_a_linear_map() {
        let device = Device::Cpu;
        // 4 feature channels on 8x8 pixels, colours an exact affine map of them.
        let f: Vec<f32> = (0..4 * 64)
            .map(|i| ((i * 7919 % 97) as f32 / 48.5 - 1.0) * (1.0 + (i / 64) as f32))
            .collect();
        let features = Tensor::from_vec(f, (1, 4, 8, 8), &device).unwrap();
        let weight = Tensor::new(
            &[
                [0.5f32, -0.2, 0.1, 0.0],
                [0.0, 0.3, 0.0, -0.4],
                [0.2, 0.2, 0.2, 0.2],
            ],
            &device,
        )
        .unwrap();
        let bias = Tensor::new(&[0.1f32, -0.3, 0.0], &device)
            .unwrap()
            .reshape((1, 3, 1, 1))
            .unwrap();
        let image = weight
            .broadcast_matmul(&features.reshape((1, 4, 64)).unwrap())
            .unwrap()
            .reshape((1, 3, 8, 8))
            .unwrap()
            .broadcast_add(&bias)
            .unwrap()
            .squeeze(0)
            .unwrap();
        let head = ColourHead::fit(&features, &image, 0.0).unwrap();
        assert!(head.r_squared > 0.9999, "R² {}", head.r_squared);
        let back = head.forward(&features).unwrap().squeeze(0).unwrap();
        let err = crate::generator::max_abs_diff(&back, &image).unwrap();
        assert!(err < 1e-4, "max error {err}");
        // Constant features cannot explain a varying image: singular without a ridge.
        let flat = Tensor::ones((1, 4, 8, 8), DType::F32, &device).unwrap();
        assert!(ColourHead::fit(&flat, &image, 0.0).is_err());
        let ridged = ColourHead::fit(&flat, &image, 1e-3).unwrap();
        assert!(ridged.r_squared < 0.01);
    }

    /// A face-like set of 68 landmarks in a 100 px crop: jaw on a half ellipse, brows at y 40.
    fn face_landmarks() -> Landmarks {
        let mut lm = vec![[0.0, 0.0]; 68];
        for (i, p) in lm.iter_mut().enumerate().take(17) {
            let t = std::f64::consts::PI * i as f64 / 16.0;
            *p = [50.0 - 30.0 * t.cos(), 45.0 + 40.0 * t.sin()];
        }
        for (j, p) in lm.iter_mut().enumerate().skip(17).take(10) {
            *p = [25.0 + 5.5 * (j - 17) as f64, 40.0];
        }
        Landmarks(lm)
    }

    #[test]
    fn the_face_mask_covers_the_face_and_forehead_only() {
        let lm = face_landmarks();
        let hard = face_mask(&lm, 100, 0.0).unwrap();
        let at = |m: &[f32], x: usize, y: usize| m[y * 100 + x];
        assert_eq!(at(&hard, 50, 60), 1.0, "cheek");
        // Chin at y 85, brows at 40: the forehead reaches 40 - 0.6 * 45 = 13.
        assert_eq!(at(&hard, 50, 20), 1.0, "forehead");
        assert_eq!(at(&hard, 50, 5), 0.0, "above the forehead");
        assert_eq!(at(&hard, 5, 60), 0.0, "beside the jaw");
        assert_eq!(at(&hard, 50, 95), 0.0, "below the chin");
        let soft = face_mask(&lm, 100, 0.05).unwrap();
        assert!(soft.iter().all(|v| (0.0..=1.0 + 1e-6).contains(v)));
        assert!(at(&soft, 50, 60) > 0.99);
        // The edge is feathered: a value strictly between 0 and 1 just outside the jaw.
        let edge = at(&soft, 50, 87);
        assert!(edge > 0.0 && edge < 1.0, "edge {edge}");
        assert!(face_mask(&Landmarks(vec![[0.0, 0.0]; 5]), 100, 0.0).is_err());
    }

    #[test]
    fn matched_colours_take_the_reference_moments_inside_the_mask() {
        let device = Device::Cpu;
        let target = Tensor::from_vec(
            (0..48).map(|i| i as f32 / 48.0).collect::<Vec<_>>(),
            (3, 4, 4),
            &device,
        )
        .unwrap();
        let reference = Tensor::from_vec(
            (0..48)
                .map(|i| ((i * 5) % 7) as f32 / 3.0 - 1.0)
                .collect::<Vec<_>>(),
            (3, 4, 4),
            &device,
        )
        .unwrap();
        let mask = Tensor::from_vec(
            (0..16)
                .map(|i| if i % 3 == 0 { 0.0f32 } else { 1.0 })
                .collect::<Vec<_>>(),
            (1, 4, 4),
            &device,
        )
        .unwrap();
        let out = match_colours(&target, &reference, &mask).unwrap();
        let (om, os) = masked_moments(&out, &mask).unwrap();
        let (rm, rs) = masked_moments(&reference, &mask).unwrap();
        let d = |a: Tensor, b: Tensor| crate::generator::max_abs_diff(&a, &b).unwrap();
        assert!(d(om, rm) < 1e-4);
        assert!(d(os, rs) < 1e-3);
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        // A = [[4, 2], [2, 3]], b = [2, 1] -> x = [0.5, 0].
        let l = cholesky(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        let x = cholesky_solve(&l, 2, &[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(
            cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none(),
            "not positive definite"
        );
    }
}

#[cfg(test)]
mod resample_tests {
    use super::*;

    #[test]
    fn the_identity_resampling_puts_the_template_eyes_where_arcface_wants_them() {
        let device = Device::Cpu;
        let side = 64usize;
        let r = IdentityResample::new(side, &device).unwrap();
        // A flat grey image stays flat (rows of the interpolation matrices sum to 1).
        let grey = Tensor::full(0.2f32, (1, 3, side, side), &device).unwrap();
        let out = r.apply(&grey).unwrap();
        assert_eq!(out.dims(), &[1, 3, 112, 112]);
        let expected = ((0.2f32 + 1.0) * 127.5 - 127.0) / 128.0;
        let v = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(v.iter().all(|x| (x - expected).abs() < 1e-5));
        // A bright dot at the template's left eye lands within 2 px of ArcFace's left eye.
        let eye = GENERATOR_FIVE_POINTS_1024[0];
        let (ex, ey) = (
            ((eye[0] + 0.5) * side as f64 / 1024.0 - 0.5).round() as usize,
            ((eye[1] + 0.5) * side as f64 / 1024.0 - 0.5).round() as usize,
        );
        let mut dot = vec![-1f32; 3 * side * side];
        for c in 0..3 {
            dot[c * side * side + ey * side + ex] = 1.0;
        }
        let out = r
            .apply(&Tensor::from_vec(dot, (1, 3, side, side), &device).unwrap())
            .unwrap();
        let plane = out.narrow(1, 0, 1).unwrap().flatten_all().unwrap();
        let v = plane.to_vec1::<f32>().unwrap();
        let best = (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        let (bx, by) = ((best % 112) as f64, (best / 112) as f64);
        let want = crate::perception::identity::ARCFACE_REFERENCE_POINTS[0];
        assert!(
            (bx - want[0]).abs() < 2.5 && (by - want[1]).abs() < 2.5,
            "dot at ({bx}, {by}), ArcFace eye at {want:?}"
        );
    }
}
