//! Hand-written CPU kernels for the synthesis network's hot loops, as candle custom ops. Candle's
//! generic grouped `conv2d` runs a depthwise conv one group at a time and its element-wise ops take
//! one pass each; these kernels do the work in single, vectorisable, rayon-parallel passes:
//! - [`separable_conv`]: a modulated depthwise-separable convolution (3x3 depthwise, 1x1 as GEMM)
//!   with noise, bias and leaky ReLU, fused per cache-sized strip of rows.
//! - [`wavelets_to_image`]: the last 1x1 convolution to wavelet bands, bias and inverse Haar
//!   transform to the image, fused per strip.
//!
//! They have no backward pass; `SynthesisNetwork::forward_differentiable` is the plain-op version
//! that they are tested against.

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
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

/// The four wavelet bands of one output channel of an inverse Haar transform, with their scales
/// (the modulation times the transform's 1/2).
struct HaarBands<'a> {
    bands: [&'a [f32]; 4],
    scales: [f32; 4],
    /// Width of a band.
    w: usize,
}

impl<'a> HaarBands<'a> {
    /// Channel `ci` of batch item `bi` of `input` `[b, 4C, h, w]`: the low band is channel `ci`,
    /// the high bands channels `C + 3 ci + k`; `scale` is `[b, 4C]` or empty.
    fn new(
        input: &'a [f32],
        scale: &[f32],
        c: usize,
        plane: usize,
        w: usize,
        bi: usize,
        ci: usize,
    ) -> Self {
        let c4 = 4 * c;
        let chans = [ci, c + ci * 3, c + ci * 3 + 1, c + ci * 3 + 2];
        let base = bi * c4 * plane;
        Self {
            bands: chans.map(|ch| &input[base + ch * plane..base + (ch + 1) * plane]),
            scales: chans.map(|ch| {
                0.5 * if scale.is_empty() {
                    1.0
                } else {
                    scale[bi * c4 + ch]
                }
            }),
            w,
        }
    }

    /// Writes output rows `r0..r1` (of `2h`) of width `2w` into `out`.
    fn rows(&self, out: &mut [f32], r0: usize, r1: usize) {
        let w = self.w;
        let [sa, sb, sc, sd] = self.scales;
        for (k, r) in (r0..r1).enumerate() {
            let orow = &mut out[k * 2 * w..(k + 1) * 2 * w];
            // Even rows take the sums of the vertical pairs, odd rows their differences.
            let (sb, sd) = if r % 2 == 0 { (sb, sd) } else { (-sb, -sd) };
            let i = (r / 2) * w..(r / 2 + 1) * w;
            let [ll, h0, h1, h2] = self.bands.map(|b| &b[i.clone()]);
            let px = orow.chunks_exact_mut(2).zip(ll).zip(h0).zip(h1).zip(h2);
            for ((((o, a), b), c), d) in px {
                let p = a * sa + b * sb;
                let q = c * sc + d * sd;
                o[0] = p + q;
                o[1] = p - q;
            }
        }
    }
}

fn check_haar_input(c4: usize, b: usize, scale: &[f32], what: &str) -> Result<usize> {
    if !c4.is_multiple_of(4) {
        bail!("{what}: {c4} wavelet channels is not a multiple of 4");
    }
    if !scale.is_empty() && scale.len() != b * c4 {
        bail!("{what}: {} scales for {b}x{c4}", scale.len());
    }
    Ok(c4 / 4)
}

/// Modulated depthwise-separable convolution with its epilogue, fused per strip of rows: 3x3
/// depthwise conv of the strip into a cache-sized buffer, 1x1 conv (per-batch weights with the
/// modulation folded in) as a GEMM from that buffer into the output, then noise, bias and leaky
/// ReLU on the still-hot output rows. Strips run in parallel.
struct SeparableConv<'a> {
    /// When set, the input is wavelet bands `[b, 4 C_in, H/2, W/2]` that are inverse-Haar
    /// transformed (with these `[b, 4 C_in]` scales) strip by strip instead of being read as is.
    haar_scale: Option<&'a [f32]>,
    weights: SeparableWeights<'a>,
}

/// The constants of one styled depthwise-separable convolution, as flat slices.
#[derive(Clone, Copy)]
pub struct SeparableWeights<'a> {
    /// `[C_in * 9]` depthwise taps.
    pub weight_dw: &'a [f32],
    /// `[b, C_out, C_in]` 1x1 weights, the modulation already folded in.
    pub weight_pw: &'a [f32],
    pub c_out: usize,
    /// `[H * W]` fixed noise (already scaled).
    pub noise: &'a [f32],
    /// `[C_out]`
    pub bias: &'a [f32],
    /// Leaky-ReLU slope.
    pub slope: f32,
}

/// A raw output pointer shared by strips that write disjoint columns.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: every task writes a disjoint set of elements of the output buffer.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

/// Rows per strip: keeps the depthwise buffer and the output strip within about 512 KiB (an L2
/// cache); measured best among 64k..512k floats for 512 px layers.
fn strip_rows(c_in: usize, c_out: usize, w: usize, h: usize) -> usize {
    let budget = 131_072 / (c_in + c_out).max(1);
    (budget / w.max(1)).clamp(1, h.max(1))
}

/// `dst = lhs * rhs` for row-major `m x k` and `k x n` matrices with the given row strides,
/// single-threaded (the callers parallelise over strips).
///
/// # Safety
/// Each pointer must address its whole matrix (rows `0..m` or `0..k` at its row stride), and
/// `dst` must not overlap the inputs or another thread's output.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_row_major(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_stride: usize,
    lhs: *const f32,
    lhs_stride: usize,
    rhs: *const f32,
    rhs_stride: usize,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_stride as isize,
        false,
        lhs,
        1,
        lhs_stride as isize,
        rhs,
        1,
        rhs_stride as isize,
        0.0,
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    );
}

/// Runs `task(batch item, first row, end row)` for every strip of `rows` rows of every batch
/// item of `h`-row planes, in parallel.
fn for_each_strip(b: usize, h: usize, rows: usize, task: impl Fn(usize, usize, usize) + Sync) {
    let strips = h.div_ceil(rows);
    (0..b * strips).into_par_iter().for_each(|t| {
        let (bi, si) = (t / strips, t % strips);
        task(bi, si * rows, ((si + 1) * rows).min(h));
    });
}

impl CustomOp1 for SeparableConv<'_> {
    fn name(&self) -> &'static str {
        "separable_conv"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c_stored, h_stored, w_stored) = dims4(layout, self.name())?;
        let (c_in, h, w) = match self.haar_scale {
            Some(scale) => (
                check_haar_input(c_stored, b, scale, self.name())?,
                2 * h_stored,
                2 * w_stored,
            ),
            None => (c_stored, h_stored, w_stored),
        };
        let c_out = self.weights.c_out;
        let plane = h * w;
        if self.weights.weight_dw.len() != c_in * 9
            || self.weights.weight_pw.len() != b * c_out * c_in
            || self.weights.noise.len() != plane
            || self.weights.bias.len() != c_out
        {
            bail!("separable_conv: weight sizes do not match input [{b}, {c_in}, {h}, {w}] -> {c_out}");
        }
        let input = contiguous_f32(storage, layout, self.name())?;
        let mut out = vec![0f32; b * c_out * plane];
        let out_ptr = SharedOut(out.as_mut_ptr());
        for_each_strip(b, h, strip_rows(c_in, c_out, w, h), |bi, y0, y1| {
            let n = (y1 - y0) * w;
            let mut buf = vec![0f32; c_in * n];
            // Up-sampled input rows y0-1..y1+1 (what the 3x3 taps read), when fused.
            let (r0, r1) = (y0.saturating_sub(1), (y1 + 1).min(h));
            let mut upsampled = vec![
                0f32;
                if self.haar_scale.is_some() {
                    (r1 - r0) * w
                } else {
                    0
                }
            ];
            for (c, dst) in buf.chunks_mut(n).enumerate() {
                let k = &self.weights.weight_dw[c * 9..c * 9 + 9];
                match self.haar_scale {
                    Some(scale) => {
                        let bands = HaarBands::new(
                            input,
                            scale,
                            c_in,
                            h_stored * w_stored,
                            w_stored,
                            bi,
                            c,
                        );
                        bands.rows(&mut upsampled, r0, r1);
                        depthwise_rows(dst, &upsampled, r0, h, w, y0, y1, k);
                    }
                    None => {
                        let x = &input[(bi * c_in + c) * plane..(bi * c_in + c + 1) * plane];
                        depthwise_rows(dst, x, 0, h, w, y0, y1, k);
                    }
                }
            }
            let wpw = &self.weights.weight_pw[bi * c_out * c_in..(bi + 1) * c_out * c_in];
            let o = out_ptr;
            // SAFETY: dst is the [c_out, n] block at rows y0..y1 of batch bi, row stride `plane`;
            // blocks of different tasks are disjoint, and all pointers stay in their buffers.
            unsafe {
                let dst = o.0.add(bi * c_out * plane + y0 * w);
                gemm_row_major(
                    c_out,
                    n,
                    c_in,
                    dst,
                    plane,
                    wpw.as_ptr(),
                    c_in,
                    buf.as_ptr(),
                    n,
                );
                for co in 0..c_out {
                    let row = std::slice::from_raw_parts_mut(dst.add(co * plane), n);
                    let bias = self.weights.bias[co];
                    for (v, nz) in row.iter_mut().zip(&self.weights.noise[y0 * w..y1 * w]) {
                        let t = *v + nz + bias;
                        *v = if t < 0.0 { t * self.weights.slope } else { t };
                    }
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c_out, h, w))))
    }
}

/// Rows `y0..y1` of a 3x3 depthwise conv of one plane `x` (`h` x `w`, zero padding) into `o`.
#[allow(clippy::too_many_arguments)]
fn depthwise_rows(
    o: &mut [f32],
    x: &[f32],
    x_row0: usize,
    h: usize,
    w: usize,
    y0: usize,
    y1: usize,
    k: &[f32],
) {
    for y in y0..y1 {
        let orow = &mut o[(y - y0) * w..(y - y0 + 1) * w];
        for dy in 0..3usize {
            let sy = y + dy;
            if sy < 1 || sy > h {
                continue;
            }
            let xrow = &x[(sy - 1 - x_row0) * w..(sy - x_row0) * w];
            let (k0, k1, k2) = (k[dy * 3], k[dy * 3 + 1], k[dy * 3 + 2]);
            if w < 3 {
                for (i, o) in orow.iter_mut().enumerate() {
                    let left = if i > 0 { xrow[i - 1] } else { 0.0 };
                    let right = xrow.get(i + 1).copied().unwrap_or(0.0);
                    *o += k0 * left + k1 * xrow[i] + k2 * right;
                }
                continue;
            }
            // Interior in one vectorisable pass over four aligned slices, then the two edges.
            let interior = orow[1..w - 1]
                .iter_mut()
                .zip(&xrow[..w - 2])
                .zip(&xrow[1..w - 1])
                .zip(&xrow[2..]);
            for (((o, l), m), r) in interior {
                *o += k0 * l + k1 * m + k2 * r;
            }
            orow[0] += k1 * xrow[0] + k2 * xrow[1];
            orow[w - 1] += k0 * xrow[w - 2] + k1 * xrow[w - 1];
        }
    }
}

/// Fused `leaky_relu(pw(dw(x)) + noise + bias)` of `x` `[b, C_in, H, W]`; with `haar_scale`, `x`
/// is instead `[b, 4 C_in, H/2, W/2]` wavelet bands, inverse-Haar transformed on the fly after
/// scaling by `haar_scale` (`[b, 4 C_in]`). Output `[b, C_out, H, W]`.
pub fn separable_conv(
    x: &Tensor,
    haar_scale: Option<&[f32]>,
    weights: SeparableWeights,
) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&SeparableConv {
        haar_scale,
        weights,
    })
}

/// The last stage fused per strip of rows: 1x1 convolution to 4C wavelet channels (GEMM, per-batch
/// weights with the modulation folded in), bias, and the inverse Haar transform straight into the
/// `[b, C, 2H, 2W]` image.
struct WaveletsToImage<'a> {
    /// `[b, 4C, C_in]`
    weight: &'a [f32],
    /// `[4C]`
    bias: &'a [f32],
}

impl CustomOp1 for WaveletsToImage<'_> {
    fn name(&self) -> &'static str {
        "wavelets_to_image"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c_in, h, w) = dims4(layout, self.name())?;
        let c4 = self.bias.len();
        let c = check_haar_input(c4, b, &[], self.name())?;
        if self.weight.len() != b * c4 * c_in {
            bail!(
                "wavelets_to_image: {} weights for [{b}, {c4}, {c_in}]",
                self.weight.len()
            );
        }
        let input = contiguous_f32(storage, layout, self.name())?;
        let (plane, out_plane) = (h * w, 4 * h * w);
        let mut out = vec![0f32; b * c * out_plane];
        let out_ptr = SharedOut(out.as_mut_ptr());
        for_each_strip(b, h, strip_rows(c_in, c4, w, h), |bi, y0, y1| {
            let n = (y1 - y0) * w;
            let mut bands = vec![0f32; c4 * n];
            let x = &input[bi * c_in * plane..(bi + 1) * c_in * plane];
            // SAFETY: reads the [c_in, n] block at rows y0..y1 (row stride `plane`) of this
            // batch item and writes the task's own [c4, n] buffer.
            unsafe {
                gemm_row_major(
                    c4,
                    n,
                    c_in,
                    bands.as_mut_ptr(),
                    n,
                    self.weight[bi * c4 * c_in..].as_ptr(),
                    c_in,
                    x[y0 * w..].as_ptr(),
                    plane,
                );
            }
            for (band, bias) in bands.chunks_mut(n).zip(self.bias) {
                band.iter_mut().for_each(|v| *v += bias);
            }
            let o = out_ptr;
            for ci in 0..c {
                let haar = HaarBands::new(&bands, &[], c, n, w, 0, ci);
                // SAFETY: output rows 2*y0..2*y1 of channel ci of batch bi belong to this task.
                let dst = unsafe {
                    std::slice::from_raw_parts_mut(
                        o.0.add((bi * c + ci) * out_plane + 2 * y0 * 2 * w),
                        2 * (y1 - y0) * 2 * w,
                    )
                };
                haar.rows(dst, 0, 2 * (y1 - y0));
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c, 2 * h, 2 * w))))
    }
}

/// `x` `[b, C_in, H, W]` -> image `[b, C, 2H, 2W]`: 1x1 conv with `weight` (`[b, 4C, C_in]`,
/// modulation folded in) plus `bias` (`[4C]`), then the inverse Haar transform.
pub fn wavelets_to_image(x: &Tensor, weight: &[f32], bias: &[f32]) -> Result<Tensor> {
    x.contiguous()?
        .apply_op1_no_bwd(&WaveletsToImage { weight, bias })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::synthesis::{depthwise3x3_plain, inverse_haar_plain};
    use candle_core::Device;

    fn random(shape: &[usize], seed: u64) -> Tensor {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let n = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        crate::generator::max_abs_diff(a, b).unwrap()
    }

    #[test]
    fn separable_conv_handles_tiny_planes() {
        for (h, w) in [(1, 1), (1, 2), (3, 2), (2, 3), (5, 7)] {
            let x = random(&[1, 3, h, w], 13);
            let dw = random(&[3, 1, 3, 3], 14);
            let pw = random(&[1, 2, 3], 15);
            let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let zeros = vec![0f32; h * w];
            let weights = SeparableWeights {
                weight_dw: &flat(&dw),
                weight_pw: &flat(&pw),
                c_out: 2,
                noise: &zeros,
                bias: &[0.0, 0.0],
                slope: 1.0,
            };
            let fast = separable_conv(&x, None, weights).unwrap();
            let d = x
                .conv2d(&dw, 1, 1, 1, 3)
                .unwrap()
                .reshape((1, 3, h * w))
                .unwrap();
            let expected = pw.matmul(&d).unwrap().reshape((1, 2, h, w)).unwrap();
            assert!(max_abs_diff(&fast, &expected) < 1e-5, "{h}x{w}");
        }
    }

    #[test]
    fn wavelets_to_image_matches_matmul_bias_and_inverse_haar() {
        let (b, cin, h, w) = (2, 16, 24, 20);
        let x = random(&[b, cin, h, w], 18);
        let weight = random(&[b, 12, cin], 19);
        let bias = random(&[1, 12, 1, 1], 20);
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let fast = wavelets_to_image(&x, &flat(&weight), &flat(&bias)).unwrap();
        assert_eq!(fast.dims(), &[b, 3, 2 * h, 2 * w]);
        let y = weight
            .matmul(&x.reshape((b, cin, h * w)).unwrap())
            .unwrap()
            .reshape((b, 12, h, w))
            .unwrap()
            .broadcast_add(&bias)
            .unwrap();
        let expected = inverse_haar_plain(&y).unwrap();
        assert!(max_abs_diff(&fast, &expected) < 1e-4);
    }

    #[test]
    fn inverse_haar_of_a_constant_low_band_is_flat() {
        // Only the low band set: every output pixel of a 2x2 block is ll / 2.
        let mut v = vec![0f32; 4 * 2 * 2];
        v[..4].copy_from_slice(&[2.0, 4.0, 6.0, 8.0]);
        let x = Tensor::from_vec(v, (1, 4, 2, 2), &Device::Cpu).unwrap();
        let y = inverse_haar_plain(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(
            y,
            [1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]
        );
    }

    #[test]
    fn fused_separable_conv_matches_plain_ops_across_strips_and_batches() {
        // 64 -> 64 channels at 40x64: strips of 16 rows (16, 16, 8), two batch items with their
        // own (modulated) 1x1 weights.
        let (b, cin, cout, h, w) = (2, 64, 64, 40, 64);
        assert!(
            strip_rows(cin, cout, w, h) < h,
            "the test must cover several strips"
        );
        let x = random(&[b, cin, h, w], 8);
        let dw = random(&[cin, 1, 3, 3], 9);
        let pw = random(&[b, cout, cin], 10);
        let noise = random(&[1, 1, h, w], 11);
        let bias = random(&[1, cout, 1, 1], 12);
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let (dw_flat, pw_flat) = (flat(&dw), flat(&pw));
        let (noise_flat, bias_flat) = (flat(&noise), flat(&bias));
        let weights = SeparableWeights {
            weight_dw: &dw_flat,
            weight_pw: &pw_flat,
            c_out: cout,
            noise: &noise_flat,
            bias: &bias_flat,
            slope: 0.2,
        };
        let fast = separable_conv(&x, None, weights).unwrap();
        let d = depthwise3x3_plain(&x, &dw)
            .unwrap()
            .reshape((b, cin, h * w))
            .unwrap();
        let y = pw.matmul(&d).unwrap().reshape((b, cout, h, w)).unwrap();
        let y = y
            .broadcast_add(&noise)
            .unwrap()
            .broadcast_add(&bias)
            .unwrap();
        let expected = y.maximum(&(&y * 0.2).unwrap()).unwrap();
        assert!(max_abs_diff(&fast, &expected) < 1e-4);
        // The plain depthwise conv is candle's grouped conv2d.
        let conv = x
            .conv2d(&dw, 1, 1, 1, cin)
            .unwrap()
            .reshape((b, cin, h * w))
            .unwrap();
        assert!(max_abs_diff(&conv, &d) < 1e-4);
        let wrong = SeparableWeights {
            c_out: cout + 1,
            ..weights
        };
        assert!(separable_conv(&x, None, wrong).is_err());

        // Fed wavelet bands instead, the kernel up-samples them itself, strip by strip.
        let bands = random(&[b, 4 * cin, h / 2, w / 2], 16);
        let scale = random(&[b, 4 * cin], 17);
        let fused = separable_conv(&bands, Some(&flat(&scale)), weights).unwrap();
        let scaled = scale.unsqueeze(2).unwrap().unsqueeze(3).unwrap();
        let up = inverse_haar_plain(&bands.broadcast_mul(&scaled).unwrap()).unwrap();
        let unfused = separable_conv(&up, None, weights).unwrap();
        assert!(max_abs_diff(&fused, &unfused) < 1e-4);
    }
}
