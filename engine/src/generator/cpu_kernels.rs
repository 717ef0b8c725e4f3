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

use super::cpu_gemm;
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
    #[inline(always)]
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

/// Rows per strip: the depthwise buffer and the output strip within about 1 MiB (half an L2 cache;
/// 1 MiB measured 3% faster than 0.5 or 2 MiB at 1 thread), at least four strips per thread
/// where the plane has rows enough, and at least two GEMM panels of pixels per strip.
fn strip_rows(c_in: usize, c_out: usize, w: usize, h: usize) -> usize {
    let w = w.max(1);
    let cache = 262_144 / (c_in + c_out).max(1) / w;
    let threads = h.div_ceil(4 * rayon::current_num_threads());
    let panels = (2 * cpu_gemm::NR).div_ceil(w);
    cache.min(threads).max(panels).clamp(1, h.max(1))
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

/// Defines `fn $name($arg: $ty)` that runs `$body` compiled for AVX-512 or AVX2 + FMA when the CPU
/// has them (checked at run time), so that the `#[inline(always)]` loops it calls are vectorised
/// for them; plain otherwise.
macro_rules! multiversion {
    ($(#[$m:meta])* fn $name:ident($arg:ident: $ty:ty) $body:block) => {
        $(#[$m])*
        fn $name($arg: $ty) {
            #[inline(always)]
            fn imp($arg: $ty) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($arg: $ty) {
                    imp($arg)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($arg: $ty) {
                    imp($arg)
                }
                match cpu_gemm::simd() {
                    // SAFETY: `simd` checked that the CPU has these.
                    cpu_gemm::Simd::Avx512 => return unsafe { avx512($arg) },
                    cpu_gemm::Simd::Avx2Fma => return unsafe { avx2($arg) },
                    cpu_gemm::Simd::Portable => {}
                }
            }
            imp($arg)
        }
    };
}

/// Hints the CPU to bring `data` into the cache (a no-op off x86-64).
#[inline(always)]
fn prefetch(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(16) {
        // SAFETY: a prefetch of an address inside a live slice; it never faults.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr() as *const i8
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// One strip's depthwise work: every input channel's rows `y0..y1` (up-sampled first when the
/// input is wavelet bands), 3x3-convolved into its row of the packed GEMM operand.
struct DepthwiseStrip<'a> {
    conv: &'a SeparableConv<'a>,
    /// The op's input, `[b, C_in, h, w]` or wavelet bands `[b, 4 C_in, h/2, w/2]`.
    input: &'a [f32],
    c_in: usize,
    h: usize,
    w: usize,
    bi: usize,
    y0: usize,
    y1: usize,
    /// One channel's output rows, `(y1 - y0) * w`.
    rows: &'a mut [f32],
    /// One channel's up-sampled input rows `y0-1..y1+1` (clipped), when fused.
    upsampled: &'a mut [f32],
    packed: cpu_gemm::PackedB<'a>,
}

multiversion! {
    fn depthwise_strip(job: &mut DepthwiseStrip<'_>) {
        let (h, w, plane) = (job.h, job.w, job.h * job.w);
        let (y0, y1, bi, c_in) = (job.y0, job.y1, job.bi, job.c_in);
        let (r0, r1) = (y0.saturating_sub(1), (y1 + 1).min(h));
        for c in 0..c_in {
            // The next channel's input rows are a few short streams far apart (feature maps of
            // 16-64 MiB): ask for them while this channel computes.
            if c + 1 < c_in {
                match job.conv.haar_scale {
                    Some(scale) => {
                        let next = HaarBands::new(job.input, scale, c_in, plane / 4, w / 2, bi, c + 1);
                        for band in next.bands {
                            prefetch(&band[r0 / 2 * (w / 2)..r1.div_ceil(2) * (w / 2)]);
                        }
                    }
                    None => {
                        let next = (bi * c_in + c + 1) * plane;
                        prefetch(&job.input[next + r0 * w..next + r1 * w]);
                    }
                }
            }
            let k = &job.conv.weights.weight_dw[c * 9..c * 9 + 9];
            match job.conv.haar_scale {
                Some(scale) => {
                    let bands =
                        HaarBands::new(job.input, scale, c_in, plane / 4, w / 2, bi, c);
                    let up = &mut job.upsampled[..(r1 - r0) * w];
                    bands.rows(up, r0, r1);
                    depthwise_rows(job.rows, up, r0, h, w, y0, y1, k);
                }
                None => {
                    let x = &job.input[(bi * c_in + c) * plane..(bi * c_in + c + 1) * plane];
                    depthwise_rows(job.rows, x, 0, h, w, y0, y1, k);
                }
            }
            job.packed.set_row(c, job.rows);
        }
    }
}

/// Rows `y0..y1` of the `[c_in, h*w]` plane stack `x` into the packed GEMM operand.
struct PackStrip<'a> {
    x: &'a [f32],
    plane: usize,
    /// Flat pixel range of the strip.
    range: std::ops::Range<usize>,
    packed: cpu_gemm::PackedB<'a>,
}

multiversion! {
    fn pack_strip(job: &mut PackStrip<'_>) {
        for (ci, xc) in job.x.chunks_exact(job.plane).enumerate() {
            job.packed.set_row(ci, &xc[job.range.clone()]);
        }
    }
}

/// The inverse Haar transform of a strip's `[4C, n]` wavelet bands into output rows.
struct HaarStrip<'a> {
    bands: &'a [f32],
    c: usize,
    /// Band width.
    w: usize,
    /// Band rows in the strip.
    rows: usize,
    /// The output channels' first rows, `2 rows * 2 w` floats each.
    outputs: Vec<&'a mut [f32]>,
}

multiversion! {
    fn haar_strip(job: &mut HaarStrip<'_>) {
        let n = job.rows * job.w;
        for (ci, dst) in job.outputs.iter_mut().enumerate() {
            let haar = HaarBands::new(job.bands, &[], job.c, n, job.w, 0, ci);
            haar.rows(dst, 0, 2 * job.rows);
        }
    }
}

/// Per-thread buffers of the strip tasks, reused across strips, layers and calls.
#[derive(Default)]
struct Scratch {
    /// The packed GEMM right-hand side.
    packed: Vec<f32>,
    /// One channel's rows of a strip.
    rows: Vec<f32>,
    /// Up-sampled input rows of one channel.
    upsampled: Vec<f32>,
    /// A strip of a separable conv's output, when the image stage follows in the same pass.
    mapped: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// `[b, C_out, C_in]` weights packed per batch item for [`cpu_gemm::gemm`].
fn pack_weights(w: &[f32], b: usize, c_out: usize, c_in: usize) -> Vec<Vec<f32>> {
    w.chunks_exact(c_out * c_in)
        .take(b)
        .map(|wb| {
            let mut packed = Vec::new();
            cpu_gemm::pack_a(wb, c_out, c_in, &mut packed);
            packed
        })
        .collect()
}

impl CustomOp1 for SeparableConv<'_> {
    fn name(&self) -> &'static str {
        "separable_conv"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, h, w) = dims4(layout, self.name())?;
        let input = contiguous_f32(storage, layout, self.name())?;
        let mut out = Vec::new();
        let dims = self.run(input, [b, c, h, w], &mut out)?;
        Ok((CpuStorage::F32(out), Shape::from(dims.to_vec())))
    }
}

impl SeparableConv<'_> {
    /// The op on a flat input of `dims`: writes the output into `out[..len]` (replacing `out`
    /// by a new buffer only if it is too short) and returns its dims.
    fn run(&self, input: &[f32], dims: [usize; 4], out: &mut Vec<f32>) -> Result<[usize; 4]> {
        self.run_into(input, dims, Sink::Map(out))
    }

    /// [`Self::run`], with the output going to `sink`.
    fn run_into(&self, input: &[f32], dims: [usize; 4], sink: Sink) -> Result<[usize; 4]> {
        let [b, c_stored, h_stored, w_stored] = dims;
        if input.len() != dims.iter().product::<usize>() {
            bail!("separable_conv: {} values for {dims:?}", input.len());
        }
        let (c_in, h, w) = match self.haar_scale {
            Some(scale) => (
                check_haar_input(c_stored, b, scale, "separable_conv")?,
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
        let packed_a = pack_weights(self.weights.weight_pw, b, c_out, c_in);
        let (out_ptr, then, out_dims) = match sink {
            Sink::Map(out) => (
                SharedOut(output_buffer(out, b * c_out * plane).as_mut_ptr()),
                None,
                [b, c_out, h, w],
            ),
            Sink::Image(wavelets, image) => {
                let c4 = wavelets.bias.len();
                let c = check_haar_input(c4, b, &[], "wavelets_to_image")?;
                if wavelets.weight.len() != b * c4 * c_out || image.len() != b * c * 4 * plane {
                    bail!("separable_conv: the image stage does not fit [{b}, {c_out}, {h}, {w}]");
                }
                let packed = pack_weights(wavelets.weight, b, c4, c_out);
                (
                    SharedOut(image.as_mut_ptr()),
                    Some((wavelets, packed)),
                    [b, c, 2 * h, 2 * w],
                )
            }
        };
        for_each_strip(b, h, strip_rows(c_in, c_out, w, h), |bi, y0, y1| {
            let n = (y1 - y0) * w;
            // Up-sampled input rows y0-1..y1+1 (what the 3x3 taps read), when fused.
            let (r0, r1) = (y0.saturating_sub(1), (y1 + 1).min(h));
            let o = out_ptr;
            SCRATCH.with(|scratch| {
                let scratch = &mut *scratch.borrow_mut();
                scratch.packed.resize(cpu_gemm::PackedB::len(c_in, n), 0.0);
                scratch.rows.resize(n, 0.0);
                scratch.upsampled.resize((r1 - r0) * w, 0.0);
                let mut job = DepthwiseStrip {
                    conv: self,
                    input,
                    c_in,
                    h,
                    w,
                    bi,
                    y0,
                    y1,
                    rows: &mut scratch.rows,
                    upsampled: &mut scratch.upsampled,
                    packed: cpu_gemm::PackedB {
                        data: &mut scratch.packed,
                        k: c_in,
                        n,
                    },
                };
                depthwise_strip(&mut job);
                let packed = job.packed;
                let epilogue = cpu_gemm::Epilogue {
                    bias: self.weights.bias,
                    noise: Some(&self.weights.noise[y0 * w..y1 * w]),
                    slope: Some(self.weights.slope),
                };
                let Some((wavelets, packed_image)) = &then else {
                    // SAFETY: dst is the [c_out, n] block at rows y0..y1 of batch bi, row stride
                    // `plane`; blocks of different tasks are disjoint.
                    unsafe {
                        let dst = o.0.add(bi * c_out * plane + y0 * w);
                        cpu_gemm::gemm(c_out, &packed_a[bi], &packed, dst, plane, epilogue);
                    }
                    return;
                };
                // The image stage takes the strip while it is in the cache.
                scratch.mapped.resize(c_out * n, 0.0);
                // SAFETY: writes the task's own [c_out, n] buffer.
                unsafe {
                    let dst = scratch.mapped.as_mut_ptr();
                    cpu_gemm::gemm(c_out, &packed_a[bi], &packed, dst, n, epilogue);
                }
                let strip = ImageStrip {
                    packed_a: &packed_image[bi],
                    x: &scratch.mapped,
                    plane: n,
                    x_range: 0..n,
                    h,
                    w,
                    bi,
                    y0,
                    y1,
                    out: o,
                };
                wavelets.strip(&strip, &mut scratch.packed, &mut scratch.rows);
            });
        });
        Ok(out_dims)
    }
}

/// Outputs `at + 1 .. at + 1 + len` of one row of a 3x3 depthwise conv from its three input rows.
#[inline(always)]
fn depthwise_span(orow: &mut [f32], rows: [&[f32]; 3], taps: [[f32; 3]; 3], at: usize, len: usize) {
    let [t0, t1, t2] = taps;
    let [a, b, c] = rows.map(|r| &r[at..at + len + 2]);
    let o = &mut orow[at + 1..at + 1 + len];
    for j in 0..len {
        let top = t0[2].mul_add(a[j + 2], t0[1].mul_add(a[j + 1], t0[0] * a[j]));
        let mid = t1[2].mul_add(b[j + 2], t1[1].mul_add(b[j + 1], t1[0].mul_add(b[j], top)));
        o[j] = t2[2].mul_add(c[j + 2], t2[1].mul_add(c[j + 1], t2[0].mul_add(c[j], mid)));
    }
}

/// Floats in an AVX-512 vector: the block the depthwise loop is written in.
const LANES: usize = 16;

/// Rows `y0..y1` of a 3x3 depthwise conv of one plane `x` (`h` x `w`, zero padding; its stored
/// rows start at row `x_row0`) into `o`, one pass of nine taps per row.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
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
    let k: &[f32; 9] = k.try_into().expect("9 taps");
    for y in y0..y1 {
        let orow = &mut o[(y - y0) * w..(y - y0 + 1) * w];
        // Rows y-1, y, y+1; a row outside the plane reads row y with zero taps instead.
        let mut taps = [[0f32; 3]; 3];
        let mut rows: [&[f32]; 3] = [&[]; 3];
        for dy in 0..3 {
            let sy = y + dy;
            let sy = if (1..=h).contains(&sy) {
                taps[dy] = [k[dy * 3], k[dy * 3 + 1], k[dy * 3 + 2]];
                sy - 1
            } else {
                y
            };
            rows[dy] = &x[(sy - x_row0) * w..(sy - x_row0 + 1) * w];
        }
        let [t0, t1, t2] = taps;
        let [a, b, c] = rows;
        if w < 3 {
            for (i, o) in orow.iter_mut().enumerate() {
                let tap = |row: &[f32], t: [f32; 3]| {
                    let left = if i > 0 { row[i - 1] } else { 0.0 };
                    let right = row.get(i + 1).copied().unwrap_or(0.0);
                    t[0] * left + t[1] * row[i] + t[2] * right
                };
                *o = tap(a, t0) + tap(b, t1) + tap(c, t2);
            }
            continue;
        }
        // The interior, outputs 1..w-1, in blocks of 16 (one AVX-512 vector); a ragged end is
        // done as the last 16 outputs again (they are overwritten, not accumulated).
        let m = w - 2;
        let rows = [a, b, c];
        if m < LANES {
            depthwise_span(orow, rows, taps, 0, m);
        } else {
            // Blocks of one AVX-512 vector; a ragged end is done as the last LANES outputs again
            // (they are overwritten, not accumulated).
            let mut i = 0;
            while i < m {
                depthwise_span(orow, rows, taps, i.min(m - LANES), LANES);
                i += LANES;
            }
        }
        orow[0] = t0[1] * a[0]
            + t0[2] * a[1]
            + (t1[1] * b[0] + t1[2] * b[1])
            + (t2[1] * c[0] + t2[2] * c[1]);
        orow[w - 1] = t0[0] * a[w - 2]
            + t0[1] * a[w - 1]
            + (t1[0] * b[w - 2] + t1[1] * b[w - 1])
            + (t2[0] * c[w - 2] + t2[1] * c[w - 1]);
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

/// [`separable_conv`] on a flat `x` of `dims`, into `out[..len]` (a new buffer only if `out` is
/// too short); returns the output dims.
pub fn separable_conv_into(
    x: &[f32],
    dims: [usize; 4],
    haar_scale: Option<&[f32]>,
    weights: SeparableWeights,
    out: &mut Vec<f32>,
) -> Result<[usize; 4]> {
    SeparableConv {
        haar_scale,
        weights,
    }
    .run(x, dims, out)
}

/// [`separable_conv_into`] followed by [`wavelets_to_image_into`] (`weight` `[b, 4C, C_out]`,
/// `bias` `[4C]`) in the same pass, strip by strip, so the conv's output never goes to memory;
/// writes the `[b, C, 2H, 2W]` image into `image` and returns its dims.
pub fn separable_conv_to_image(
    x: &[f32],
    dims: [usize; 4],
    weights: SeparableWeights,
    image_weight: &[f32],
    image_bias: &[f32],
    image: &mut [f32],
) -> Result<[usize; 4]> {
    let wavelets = WaveletsToImage {
        weight: image_weight,
        bias: image_bias,
    };
    SeparableConv {
        haar_scale: None,
        weights,
    }
    .run_into(x, dims, Sink::Image(&wavelets, image))
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
        let (b, c, h, w) = dims4(layout, self.name())?;
        let input = contiguous_f32(storage, layout, self.name())?;
        let mut out = vec![0f32; b * self.bias.len() * h * w];
        let dims = self.run(input, [b, c, h, w], &mut out)?;
        Ok((CpuStorage::F32(out), Shape::from(dims.to_vec())))
    }
}

impl WaveletsToImage<'_> {
    /// The op on a flat input of `dims`, like [`SeparableConv::run`].
    fn run(&self, input: &[f32], dims: [usize; 4], out: &mut [f32]) -> Result<[usize; 4]> {
        let [b, c_in, h, w] = dims;
        if input.len() != dims.iter().product::<usize>() {
            bail!("wavelets_to_image: {} values for {dims:?}", input.len());
        }
        let c4 = self.bias.len();
        let c = check_haar_input(c4, b, &[], "wavelets_to_image")?;
        if self.weight.len() != b * c4 * c_in {
            bail!(
                "wavelets_to_image: {} weights for [{b}, {c4}, {c_in}]",
                self.weight.len()
            );
        }
        let (plane, out_plane) = (h * w, 4 * h * w);
        if out.len() != b * c * out_plane {
            bail!(
                "wavelets_to_image: {} outputs for {b}x{c}x{out_plane}",
                out.len()
            );
        }
        let out_ptr = SharedOut(out.as_mut_ptr());
        let packed_a = pack_weights(self.weight, b, c4, c_in);
        for_each_strip(b, h, strip_rows(c_in, c4, w, h), |bi, y0, y1| {
            let x = &input[bi * c_in * plane..(bi + 1) * c_in * plane];
            SCRATCH.with(|scratch| {
                let scratch = &mut *scratch.borrow_mut();
                let strip = ImageStrip {
                    packed_a: &packed_a[bi],
                    x,
                    plane,
                    x_range: y0 * w..y1 * w,
                    h,
                    w,
                    bi,
                    y0,
                    y1,
                    out: out_ptr,
                };
                self.strip(&strip, &mut scratch.packed, &mut scratch.rows);
            });
        });
        Ok([b, c, 2 * h, 2 * w])
    }
}

/// Where a [`SeparableConv`] writes: its feature map, or (through a [`WaveletsToImage`] stage
/// run on each strip) the image.
enum Sink<'s> {
    Map(&'s mut Vec<f32>),
    Image(&'s WaveletsToImage<'s>, &'s mut [f32]),
}

/// One strip of [`WaveletsToImage`]: its input rows and where its output goes.
struct ImageStrip<'a> {
    /// This batch item's packed weights.
    packed_a: &'a [f32],
    /// `C_in` planes (or strips) at stride `plane`; the strip's pixels are `x_range` of each.
    x: &'a [f32],
    plane: usize,
    x_range: std::ops::Range<usize>,
    /// Input height and width.
    h: usize,
    w: usize,
    bi: usize,
    y0: usize,
    y1: usize,
    /// The whole `[b, C, 2H, 2W]` image.
    out: SharedOut,
}

impl WaveletsToImage<'_> {
    /// GEMM of the strip's pixels into `[4C, n]` bands (in `bands`, after packing them into
    /// `packed`), bias, then the inverse Haar transform into the image rows `2 y0..2 y1`.
    fn strip(&self, s: &ImageStrip, packed: &mut Vec<f32>, bands: &mut Vec<f32>) {
        let (c4, n, w) = (self.bias.len(), s.x_range.len(), s.w);
        let (c, c_in) = (c4 / 4, s.x.len() / s.plane);
        packed.resize(cpu_gemm::PackedB::len(c_in, n), 0.0);
        bands.resize(c4 * n, 0.0);
        let mut job = PackStrip {
            x: s.x,
            plane: s.plane,
            range: s.x_range.clone(),
            packed: cpu_gemm::PackedB {
                data: packed,
                k: c_in,
                n,
            },
        };
        pack_strip(&mut job);
        let packed = job.packed;
        let epilogue = cpu_gemm::Epilogue {
            bias: self.bias,
            noise: None,
            slope: None,
        };
        // SAFETY: writes the task's own [c4, n] buffer.
        unsafe {
            cpu_gemm::gemm(c4, s.packed_a, &packed, bands.as_mut_ptr(), n, epilogue);
        }
        let (o, (y0, y1)) = (s.out, (s.y0, s.y1));
        let len = 2 * (y1 - y0) * 2 * w;
        let image_plane = 4 * s.h * w;
        let outputs = (0..c)
            .map(|ci| {
                // SAFETY: output rows 2*y0..2*y1 of channel ci of batch bi belong to this task.
                unsafe {
                    std::slice::from_raw_parts_mut(
                        o.0.add((s.bi * c + ci) * image_plane + 2 * y0 * 2 * w),
                        len,
                    )
                }
            })
            .collect();
        haar_strip(&mut HaarStrip {
            bands,
            c,
            w,
            rows: y1 - y0,
            outputs,
        });
    }
}

/// `x` `[b, C_in, H, W]` -> image `[b, C, 2H, 2W]`: 1x1 conv with `weight` (`[b, 4C, C_in]`,
/// modulation folded in) plus `bias` (`[4C]`), then the inverse Haar transform.
pub fn wavelets_to_image(x: &Tensor, weight: &[f32], bias: &[f32]) -> Result<Tensor> {
    x.contiguous()?
        .apply_op1_no_bwd(&WaveletsToImage { weight, bias })
}

/// [`wavelets_to_image`] on a flat `x` of `dims`, into `out` (exactly the output's length).
pub fn wavelets_to_image_into(
    x: &[f32],
    dims: [usize; 4],
    weight: &[f32],
    bias: &[f32],
    out: &mut [f32],
) -> Result<[usize; 4]> {
    WaveletsToImage { weight, bias }.run(x, dims, out)
}

/// `out[..len]`, replacing `out` by a new zeroed buffer (fresh pages, no memset) if it is shorter.
pub fn output_buffer(out: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if out.len() < len {
        *out = vec![0f32; len];
    }
    &mut out[..len]
}

/// Reusable feature-map buffers for [`separable_conv_into`], shared by clones of their owner. Large
/// fresh buffers cost page faults on every call; the pool keeps up to [`BufferPool::KEEP_BYTES`]
/// between calls.
#[derive(Clone, Default)]
pub struct BufferPool(std::sync::Arc<std::sync::Mutex<Vec<Vec<f32>>>>);

impl std::fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BufferPool")
    }
}

impl BufferPool {
    /// Largest total kept between calls: the two 64-channel 512x512 maps of one face.
    pub const KEEP_BYTES: usize = 2 * 64 * 512 * 512 * 4;

    /// Takes `n` buffers (empty ones if the pool has too few).
    pub fn take(&self, n: usize) -> Vec<Vec<f32>> {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (0..n).map(|_| pool.pop().unwrap_or_default()).collect()
    }

    /// Returns buffers, keeping them while the pool stays within [`Self::KEEP_BYTES`].
    pub fn give(&self, buffers: Vec<Vec<f32>>) {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut kept: usize = pool.iter().map(|b| b.capacity() * 4).sum();
        for b in buffers {
            if kept + b.capacity() * 4 <= Self::KEEP_BYTES {
                kept += b.capacity() * 4;
                pool.push(b);
            }
        }
    }
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
    fn separable_conv_to_image_matches_the_two_stages() {
        // 16 -> 32 channels at 40x64 (several strips), two batch items, then 12 wavelets.
        let (b, cin, cout, h, w) = (2, 16, 32, 40, 64);
        let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let x = random(&[b, cin, h, w], 21);
        let (dw, pw) = (
            flat(&random(&[cin, 9], 22)),
            flat(&random(&[b, cout, cin], 23)),
        );
        let (noise, bias) = (flat(&random(&[h * w], 24)), flat(&random(&[cout], 25)));
        let (img_w, img_b) = (flat(&random(&[b, 12, cout], 26)), flat(&random(&[12], 27)));
        let weights = SeparableWeights {
            weight_dw: &dw,
            weight_pw: &pw,
            c_out: cout,
            noise: &noise,
            bias: &bias,
            slope: 0.2,
        };
        let map = separable_conv(&x, None, weights).unwrap();
        let expected = flat(&wavelets_to_image(&map, &img_w, &img_b).unwrap());
        let mut image = vec![0f32; b * 3 * 4 * h * w];
        let dims = separable_conv_to_image(
            &flat(&x),
            [b, cin, h, w],
            weights,
            &img_w,
            &img_b,
            &mut image,
        )
        .unwrap();
        assert_eq!(dims, [b, 3, 2 * h, 2 * w]);
        let worst = image
            .iter()
            .zip(&expected)
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "fused and two-stage images differ by {worst}");
        let mut short = vec![0f32; image.len() - 1];
        assert!(separable_conv_to_image(
            &flat(&x),
            [b, cin, h, w],
            weights,
            &img_w,
            &img_b,
            &mut short
        )
        .is_err());
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
