//! Hand-written CPU kernels for the synthesis network's hot loops, as candle custom ops. Candle's
//! generic grouped `conv2d` runs a depthwise conv one group at a time and its element-wise ops take
//! one pass each; these kernels do the work in single, vectorisable, rayon-parallel passes:
//! - [`depthwise3x3`]: 3x3 depthwise convolution, zero padding 1.
//! - [`inverse_haar`]: the inverse Haar wavelet transform (4C -> C channels, 2x upsampling), with
//!   an optional per-input-channel scale (the up-sampler's modulation) fused in.
//! - [`add_noise_bias_leaky_relu_`]: `y = leaky_relu(y + noise[hw] + bias[c])`, in place.
//!
//! They have no backward pass; `SynthesisNetwork::forward_differentiable` is the plain-op version
//! that they are tested against.

use candle_core::{
    bail, CpuStorage, CustomOp1, InplaceOp1, Layout, Result, Shape, Tensor,
};
use rayon::prelude::*;

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{what}: input must be contiguous"),
    }
}

fn dims4(layout: &Layout, what: &str) -> Result<(usize, usize, usize, usize)> {
    match layout.shape().dims() {
        &[b, c, h, w] => Ok((b, c, h, w)),
        d => bail!("{what}: expected [b, c, h, w], got {d:?}"),
    }
}

/// 3x3 depthwise convolution (cross-correlation, zero padding 1, stride 1).
struct Depthwise3x3<'a> {
    /// `[C * 9]`, row-major taps per channel.
    weights: &'a [f32],
}

impl CustomOp1 for Depthwise3x3<'_> {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, h, w) = dims4(layout, self.name())?;
        if self.weights.len() != c * 9 {
            bail!("depthwise3x3: {} weights for {c} channels", self.weights.len());
        }
        let input = contiguous_f32(storage, layout, self.name())?;
        let plane = h * w;
        let mut out = vec![0f32; b * c * plane];
        out.par_chunks_mut(plane)
            .zip(input.par_chunks(plane))
            .enumerate()
            .for_each(|(i, (o, x))| {
                let k = &self.weights[(i % c) * 9..(i % c) * 9 + 9];
                depthwise_plane(o, x, h, w, k);
            });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// One plane: `o` is zeroed, `x` the input, `k` the 9 taps.
fn depthwise_plane(o: &mut [f32], x: &[f32], h: usize, w: usize, k: &[f32]) {
    for y in 0..h {
        let orow = &mut o[y * w..(y + 1) * w];
        for dy in 0..3usize {
            let sy = y + dy;
            if sy < 1 || sy > h {
                continue;
            }
            let xrow = &x[(sy - 1) * w..sy * w];
            let (k0, k1, k2) = (k[dy * 3], k[dy * 3 + 1], k[dy * 3 + 2]);
            for (o, x) in orow.iter_mut().zip(xrow) {
                *o += k1 * x;
            }
            if w > 1 {
                for (o, x) in orow[1..].iter_mut().zip(&xrow[..w - 1]) {
                    *o += k0 * x;
                }
                for (o, x) in orow[..w - 1].iter_mut().zip(&xrow[1..]) {
                    *o += k2 * x;
                }
            }
        }
    }
}

/// 3x3 depthwise convolution of `x` `[b, C, H, W]` with `weights` (`[C, 1, 3, 3]` flattened),
/// zero padding 1.
pub fn depthwise3x3(x: &Tensor, weights: &[f32]) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&Depthwise3x3 { weights })
}

/// Inverse Haar transform with an optional per-input-channel scale.
struct InverseHaar<'a> {
    /// `[b, 4C]` scales, or empty for none.
    scale: &'a [f32],
}

impl CustomOp1 for InverseHaar<'_> {
    fn name(&self) -> &'static str {
        "inverse_haar"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c4, h, w) = dims4(layout, self.name())?;
        if c4 % 4 != 0 {
            bail!("inverse_haar: {c4} channels is not a multiple of 4");
        }
        if !self.scale.is_empty() && self.scale.len() != b * c4 {
            bail!("inverse_haar: {} scales for {b}x{c4}", self.scale.len());
        }
        let c = c4 / 4;
        let input = contiguous_f32(storage, layout, self.name())?;
        let plane = h * w;
        let mut out = vec![0f32; b * c * 4 * plane];
        out.par_chunks_mut(4 * plane)
            .enumerate()
            .for_each(|(i, o)| {
                let (bi, ci) = (i / c, i % c);
                let base = bi * c4 * plane;
                // Channel of the low band, then the three high bands stored as [c, 3].
                let chans = [ci, c + ci * 3, c + ci * 3 + 1, c + ci * 3 + 2];
                let s = |k: usize| {
                    0.5 * if self.scale.is_empty() {
                        1.0
                    } else {
                        self.scale[bi * c4 + chans[k]]
                    }
                };
                let (sa, sb, sc, sd) = (s(0), s(1), s(2), s(3));
                let band = |k: usize| &input[base + chans[k] * plane..base + (chans[k] + 1) * plane];
                let (ll, h0, h1, h2) = (band(0), band(1), band(2), band(3));
                for y in 0..h {
                    let (top, bottom) = o[2 * y * 2 * w..(2 * y + 2) * 2 * w].split_at_mut(2 * w);
                    let r = y * w..(y + 1) * w;
                    let rows = ll[r.clone()]
                        .iter()
                        .zip(&h0[r.clone()])
                        .zip(&h1[r.clone()])
                        .zip(&h2[r]);
                    for (x, (((a, b0), c1), d2)) in rows.enumerate() {
                        let (a, b0, c1, d2) = (a * sa, b0 * sb, c1 * sc, d2 * sd);
                        let (p, m) = (a + b0, a - b0);
                        let (q, n) = (c1 + d2, c1 - d2);
                        top[2 * x] = p + q;
                        top[2 * x + 1] = p - q;
                        bottom[2 * x] = m + n;
                        bottom[2 * x + 1] = m - n;
                    }
                }
            });
        Ok((CpuStorage::F32(out), Shape::from((b, c, 2 * h, 2 * w))))
    }
}

/// Inverse Haar wavelet transform of `x` `[b, 4C, H, W]` (C low-band channels, then the high bands
/// as `[C, 3]`) to `[b, C, 2H, 2W]`; `scale` (`[b, 4C]` flattened, or empty) multiplies the input
/// channels first.
pub fn inverse_haar(x: &Tensor, scale: &[f32]) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&InverseHaar { scale })
}

/// `y = leaky_relu(y + noise[hw] + bias[c])`, in place.
struct NoiseBiasLeakyRelu<'a> {
    noise: &'a [f32],
    bias: &'a [f32],
    slope: f32,
}

impl InplaceOp1 for NoiseBiasLeakyRelu<'_> {
    fn name(&self) -> &'static str {
        "noise_bias_leaky_relu"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let (_, c, h, w) = dims4(layout, self.name())?;
        let plane = h * w;
        if self.noise.len() != plane || self.bias.len() != c {
            bail!("noise_bias_leaky_relu: noise/bias sizes do not match {c}x{h}x{w}");
        }
        let Some((start, end)) = layout.contiguous_offsets() else {
            bail!("noise_bias_leaky_relu: output must be contiguous");
        };
        let CpuStorage::F32(data) = storage else {
            bail!("noise_bias_leaky_relu: f32 only");
        };
        let slope = self.slope;
        data[start..end]
            .par_chunks_mut(plane)
            .enumerate()
            .for_each(|(i, y)| {
                let bias = self.bias[i % c];
                for (v, n) in y.iter_mut().zip(self.noise) {
                    let t = *v + n + bias;
                    *v = if t < 0.0 { t * slope } else { t };
                }
            });
        Ok(())
    }
}

/// In place on `y` `[b, C, H, W]` (contiguous): `leaky_relu(y + noise + bias)` with `noise`
/// (`[H * W]`) and `bias` (`[C]`).
pub fn add_noise_bias_leaky_relu_(y: &Tensor, noise: &[f32], bias: &[f32], slope: f32) -> Result<()> {
    y.inplace_op1(&NoiseBiasLeakyRelu { noise, bias, slope })
}
