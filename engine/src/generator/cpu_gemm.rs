//! A small GEMM for the synthesis network's 1x1 convolutions, `C = A B` with `A` the
//! `[C_out, C_in]` (modulated) weights and `B` a strip of `C_in` feature rows, with the epilogue
//! (bias, optional per-pixel noise, optional leaky ReLU) applied in registers before the one store
//! of each output tile.
//!
//! Both operands are packed by the callers: `A` into panels of [`MR`] rows ([`pack_a`]), `B` into
//! panels of [`NR`] columns ([`PackedB`]), so that the micro-kernel reads both contiguously. On
//! x86-64 with AVX-512 the micro-kernel is explicit AVX-512 (checked at run time); elsewhere it is
//! a portable loop, compiled for AVX2 + FMA where the CPU has them.

/// Rows of a micro-tile (output channels).
pub const MR: usize = 8;
/// Columns of a micro-tile (pixels): three 16-lane vectors.
pub const NR: usize = 48;

/// `[C_out, C_in]` row-major weights -> panels `[ceil(C_out / MR), C_in, MR]`, rows past
/// `C_out` zero.
pub fn pack_a(w: &[f32], c_out: usize, c_in: usize, out: &mut Vec<f32>) {
    let panels = c_out.div_ceil(MR);
    out.clear();
    out.resize(panels * c_in * MR, 0.0);
    for (co, row) in w.chunks_exact(c_in).take(c_out).enumerate() {
        let (p, r) = (co / MR, co % MR);
        let panel = &mut out[p * c_in * MR..(p + 1) * c_in * MR];
        for (k, &v) in row.iter().enumerate() {
            panel[k * MR + r] = v;
        }
    }
}

/// `B` `[k, n]` packed as `[ceil(n / NR), k, NR]` (the columns past `n` undefined).
pub struct PackedB<'a> {
    pub data: &'a mut [f32],
    pub k: usize,
    pub n: usize,
}

impl PackedB<'_> {
    /// Floats needed for `k` x `n`.
    pub fn len(k: usize, n: usize) -> usize {
        n.div_ceil(NR) * k * NR
    }

    /// Stores row `row` (`n` values) of `B`.
    #[inline(always)]
    pub fn set_row(&mut self, row: usize, values: &[f32]) {
        let k = self.k;
        let mut chunks = values.chunks_exact(NR);
        for (p, chunk) in chunks.by_ref().enumerate() {
            // Whole panels as fixed-size arrays: a few vector moves, not a memcpy call each.
            let at = (p * k + row) * NR;
            let dst: &mut [f32; NR] = (&mut self.data[at..at + NR]).try_into().unwrap();
            *dst = chunk.try_into().unwrap();
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let at = ((values.len() / NR) * k + row) * NR;
            self.data[at..at + rest.len()].copy_from_slice(rest);
        }
    }
}

/// What happens to `acc` before it is stored: `acc + noise[col] + bias[row]`, then leaky ReLU with
/// `slope` if set.
#[derive(Clone, Copy)]
pub struct Epilogue<'a> {
    /// One per output row.
    pub bias: &'a [f32],
    /// One per output column, if any.
    pub noise: Option<&'a [f32]>,
    pub slope: Option<f32>,
}

/// `dst[r * dst_stride + c] = epilogue(sum_k A[r, k] B[k, c])` for the `m` x `n` product of packed
/// `a` (from [`pack_a`], `m` rows) and `b`. Single-threaded.
///
/// # Safety
/// `dst` must address `m` rows of `n` floats at row stride `dst_stride`, not overlap the inputs,
/// and not be written by another thread meanwhile.
pub unsafe fn gemm(
    m: usize,
    a: &[f32],
    b: &PackedB,
    dst: *mut f32,
    dst_stride: usize,
    epilogue: Epilogue,
) {
    let (k, n) = (b.k, b.n);
    assert!(a.len() >= m.div_ceil(MR) * k * MR && b.data.len() >= PackedB::len(k, n));
    assert!(epilogue.bias.len() >= m && epilogue.noise.is_none_or(|z| z.len() >= n));
    let kernel = kernel();
    for p in 0..m.div_ceil(MR) {
        let rows = MR.min(m - p * MR);
        let a_panel = a[p * k * MR..].as_ptr();
        for q in 0..n.div_ceil(NR) {
            let cols = NR.min(n - q * NR);
            let tile = Tile {
                k,
                a: a_panel,
                b: b.data[q * k * NR..].as_ptr(),
                dst: dst.add(p * MR * dst_stride + q * NR),
                dst_stride,
                rows,
                cols,
                bias: epilogue.bias[p * MR..].as_ptr(),
                noise: epilogue
                    .noise
                    .map_or(std::ptr::null(), |z| z[q * NR..].as_ptr()),
                slope: epilogue.slope,
            };
            kernel(&tile);
        }
    }
}

/// One micro-tile's operands: `rows` x `cols` (at most [`MR`] x [`NR`]) of output.
struct Tile {
    k: usize,
    /// `[k, MR]`
    a: *const f32,
    /// `[k, NR]`
    b: *const f32,
    dst: *mut f32,
    dst_stride: usize,
    rows: usize,
    cols: usize,
    /// `rows` biases.
    bias: *const f32,
    /// `cols` noise values, or null.
    noise: *const f32,
    slope: Option<f32>,
}

type Kernel = unsafe fn(&Tile);

/// The widest vector instructions the CPU kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    Avx512,
    Avx2Fma,
    Portable,
}

/// What this CPU has, or what `TTE_CPU_KERNELS` (`avx512`, `avx2` or `portable`) asks for, to
/// compare the kernels on one machine; never more than the CPU has. Read once.
pub fn simd() -> Simd {
    static CHOICE: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        // The most the environment allows: 2 AVX-512, 1 AVX2 + FMA, 0 portable.
        let cap = match std::env::var("TTE_CPU_KERNELS").as_deref() {
            Ok("portable") => 0,
            Ok("avx2") => 1,
            _ => 2,
        };
        #[cfg(target_arch = "x86_64")]
        {
            if cap >= 2 && std::arch::is_x86_feature_detected!("avx512f") {
                return Simd::Avx512;
            }
            if cap >= 1
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx2Fma;
            }
        }
        let _ = cap;
        Simd::Portable
    })
}

/// The micro-kernel for [`simd`].
fn kernel() -> Kernel {
    match simd() {
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => avx512::tile,
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => avx2::tile,
        _ => tile_portable,
    }
}

/// The portable micro-kernel (used without AVX2 + FMA, and by the tests).
unsafe fn tile_portable(t: &Tile) {
    tile_generic(t)
}

#[inline(always)]
unsafe fn tile_generic(t: &Tile) {
    let mut acc = [[0f32; NR]; MR];
    for kk in 0..t.k {
        let b = &*(t.b.add(kk * NR) as *const [f32; NR]);
        let a = &*(t.a.add(kk * MR) as *const [f32; MR]);
        for (row, &av) in acc.iter_mut().zip(a) {
            for (o, &bv) in row.iter_mut().zip(b) {
                *o += av * bv;
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(t.rows) {
        let bias = *t.bias.add(r);
        let out = std::slice::from_raw_parts_mut(t.dst.add(r * t.dst_stride), t.cols);
        for (c, (o, &v)) in out.iter_mut().zip(row).enumerate() {
            let nz = if t.noise.is_null() {
                0.0
            } else {
                *t.noise.add(c)
            };
            let y = v + nz + bias;
            *o = match t.slope {
                Some(s) if y < 0.0 => y * s,
                _ => y,
            };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Tile, MR, NR};
    use std::arch::x86_64::*;

    /// Rows and 8-lane vectors of a sub-tile: 12 accumulators, 3 `B` vectors and one broadcast
    /// fill the 16 registers.
    const SR: usize = 4;
    const SV: usize = 3;

    /// The AVX2 + FMA micro-kernel: the 8 x 48 tile as four 4 x 24 sub-tiles.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile(t: &Tile) {
        for r0 in (0..MR).step_by(SR) {
            if r0 >= t.rows {
                break;
            }
            for c0 in (0..NR).step_by(SV * 8) {
                if c0 >= t.cols {
                    break;
                }
                sub_tile(t, r0, c0);
            }
        }
    }

    #[inline(always)]
    unsafe fn sub_tile(t: &Tile, r0: usize, c0: usize) {
        let mut acc = [_mm256_setzero_ps(); SR * SV];
        let (mut a, mut b) = (t.a.add(r0), t.b.add(c0));
        for _ in 0..t.k {
            let bv = [
                _mm256_loadu_ps(b),
                _mm256_loadu_ps(b.add(8)),
                _mm256_loadu_ps(b.add(16)),
            ];
            for r in 0..SR {
                let av = _mm256_broadcast_ss(&*a.add(r));
                for v in 0..SV {
                    acc[r * SV + v] = _mm256_fmadd_ps(av, bv[v], acc[r * SV + v]);
                }
            }
            a = a.add(MR);
            b = b.add(NR);
        }
        let cols = (t.cols - c0).min(SV * 8);
        let mut noise = [0f32; SV * 8];
        if !t.noise.is_null() {
            std::ptr::copy_nonoverlapping(t.noise.add(c0), noise.as_mut_ptr(), cols);
        }
        let zero = _mm256_setzero_ps();
        let mut buf = [0f32; SV * 8];
        for r in 0..SR.min(t.rows - r0) {
            let bias = _mm256_set1_ps(*t.bias.add(r0 + r));
            let row = t.dst.add((r0 + r) * t.dst_stride + c0);
            // Straight to the output when the sub-tile is whole, through `buf` when ragged.
            let out = if cols == SV * 8 {
                row
            } else {
                buf.as_mut_ptr()
            };
            for v in 0..SV {
                let nz = _mm256_loadu_ps(noise.as_ptr().add(v * 8));
                let mut y = _mm256_add_ps(_mm256_add_ps(acc[r * SV + v], nz), bias);
                if let Some(s) = t.slope {
                    let neg = _mm256_cmp_ps::<_CMP_LT_OQ>(y, zero);
                    y = _mm256_blendv_ps(y, _mm256_mul_ps(y, _mm256_set1_ps(s)), neg);
                }
                _mm256_storeu_ps(out.add(v * 8), y);
            }
            if cols < SV * 8 {
                std::ptr::copy_nonoverlapping(buf.as_ptr(), row, cols);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Tile, MR, NR};
    use std::arch::x86_64::*;

    const NV: usize = NR / 16;

    /// The AVX-512 micro-kernel: 8 x 48 accumulators in 24 registers, `A` broadcast from memory.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tile(t: &Tile) {
        let mut acc = [_mm512_setzero_ps(); MR * NV];
        let (mut a, mut b) = (t.a, t.b);
        for _ in 0..t.k {
            let bv = [
                _mm512_loadu_ps(b),
                _mm512_loadu_ps(b.add(16)),
                _mm512_loadu_ps(b.add(32)),
            ];
            for r in 0..MR {
                let av = _mm512_set1_ps(*a.add(r));
                for v in 0..NV {
                    acc[r * NV + v] = _mm512_fmadd_ps(av, bv[v], acc[r * NV + v]);
                }
            }
            a = a.add(MR);
            b = b.add(NR);
        }
        let masks: [__mmask16; NV] = std::array::from_fn(|v| {
            let left = t.cols.saturating_sub(v * 16).min(16);
            ((1u32 << left) - 1) as __mmask16
        });
        let mut noise = [_mm512_setzero_ps(); NV];
        if !t.noise.is_null() {
            for v in 0..NV {
                noise[v] = _mm512_maskz_loadu_ps(masks[v], t.noise.add(v * 16));
            }
        }
        let zero = _mm512_setzero_ps();
        for r in 0..t.rows {
            let bias = _mm512_set1_ps(*t.bias.add(r));
            let row = t.dst.add(r * t.dst_stride);
            for v in 0..NV {
                let mut y = _mm512_add_ps(_mm512_add_ps(acc[r * NV + v], noise[v]), bias);
                if let Some(s) = t.slope {
                    let neg = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(y, zero);
                    y = _mm512_mask_mul_ps(y, neg, y, _mm512_set1_ps(s));
                }
                _mm512_mask_storeu_ps(row.add(v * 16), masks[v], y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Every kernel against a plain triple loop, with ragged rows and columns.
    #[test]
    fn gemm_matches_plain_product_with_epilogue() {
        for (m, k, n) in [(12, 64, 100), (8, 3, 48), (17, 33, 7), (64, 128, 240)] {
            let a = lcg(1, m * k);
            let b = lcg(2, k * n);
            let bias = lcg(3, m);
            let noise = lcg(4, n);
            let mut apack = Vec::new();
            pack_a(&a, m, k, &mut apack);
            let mut bdata = vec![0f32; PackedB::len(k, n)];
            let mut packed = PackedB {
                data: &mut bdata,
                k,
                n,
            };
            for (row, values) in b.chunks_exact(n).enumerate() {
                packed.set_row(row, values);
            }
            let epilogue = Epilogue {
                bias: &bias,
                noise: Some(&noise),
                slope: Some(0.2),
            };
            let mut expected = vec![0f32; m * n];
            for r in 0..m {
                for c in 0..n {
                    let s: f32 = (0..k).map(|i| a[r * k + i] * b[i * n + c]).sum();
                    let y = s + noise[c] + bias[r];
                    expected[r * n + c] = if y < 0.0 { 0.2 * y } else { y };
                }
            }
            let mut kernels: Vec<Kernel> = vec![tile_portable];
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    kernels.push(avx512::tile);
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    kernels.push(avx2::tile);
                }
            }
            for kernel in kernels {
                // One extra column per row, which must stay untouched.
                let stride = n + 1;
                let mut out = vec![f32::NAN; m * stride];
                for p in 0..m.div_ceil(MR) {
                    for q in 0..n.div_ceil(NR) {
                        let tile = Tile {
                            k,
                            a: apack[p * k * MR..].as_ptr(),
                            b: packed.data[q * k * NR..].as_ptr(),
                            dst: unsafe { out.as_mut_ptr().add(p * MR * stride + q * NR) },
                            dst_stride: stride,
                            rows: MR.min(m - p * MR),
                            cols: NR.min(n - q * NR),
                            bias: bias[p * MR..].as_ptr(),
                            noise: noise[q * NR..].as_ptr(),
                            slope: Some(0.2),
                        };
                        unsafe { kernel(&tile) };
                    }
                }
                for r in 0..m {
                    for c in 0..n {
                        let (x, y) = (out[r * stride + c], expected[r * n + c]);
                        assert!((x - y).abs() < 1e-4, "{m}x{k}x{n} at {r},{c}: {x} vs {y}");
                    }
                    assert!(out[r * stride + n].is_nan(), "wrote past the row");
                }
            }
            // And the driver, which picks the kernel itself.
            let mut out = vec![0f32; m * n];
            unsafe { gemm(m, &apack, &packed, out.as_mut_ptr(), n, epilogue) };
            let worst = out
                .iter()
                .zip(&expected)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-4, "{m}x{k}x{n}: {worst}");
        }
    }
}
