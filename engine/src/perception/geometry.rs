//! 2-D affine transforms, least-squares similarity fitting and bilinear warping of RGB images.

use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};

/// A point in pixel coordinates (x right, y down; pixel centres at integer + 0.5 are not assumed:
/// pixel `(i, j)` is sampled at `(i, j)`).
pub type Point = [f64; 2];

/// `p' = [[a, b], [c, d]] p + [tx, ty]`, stored row-major as `[[a, b, tx], [c, d, ty]]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Affine2 {
    pub m: [[f64; 3]; 2],
}

impl Affine2 {
    pub const IDENTITY: Self = Self {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    };

    pub fn apply(&self, p: Point) -> Point {
        let m = &self.m;
        [
            m[0][0] * p[0] + m[0][1] * p[1] + m[0][2],
            m[1][0] * p[0] + m[1][1] * p[1] + m[1][2],
        ]
    }

    /// The inverse transform, or `None` when the linear part is singular.
    pub fn inverse(&self) -> Option<Self> {
        let [[a, b, tx], [c, d, ty]] = self.m;
        let det = a * d - b * c;
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let (ia, ib, ic, id) = (d / det, -b / det, -c / det, a / det);
        Some(Self {
            m: [
                [ia, ib, -(ia * tx + ib * ty)],
                [ic, id, -(ic * tx + id * ty)],
            ],
        })
    }

    /// `self` after `first`: `p -> self(first(p))`.
    pub fn compose(&self, first: &Self) -> Self {
        let s = &self.m;
        let f = &first.m;
        let mut m = [[0.0; 3]; 2];
        for r in 0..2 {
            m[r][0] = s[r][0] * f[0][0] + s[r][1] * f[1][0];
            m[r][1] = s[r][0] * f[0][1] + s[r][1] * f[1][1];
            m[r][2] = s[r][0] * f[0][2] + s[r][1] * f[1][2] + s[r][2];
        }
        Self { m }
    }

    /// Uniform scale of the linear part (sqrt of |det|).
    pub fn scale(&self) -> f64 {
        let [[a, b, _], [c, d, _]] = self.m;
        (a * d - b * c).abs().sqrt()
    }

    /// Rotation angle of the linear part in degrees (meaningful for similarities).
    pub fn rotation_degrees(&self) -> f64 {
        self.m[1][0].atan2(self.m[0][0]).to_degrees()
    }
}

/// Least-squares similarity (rotation, uniform scale, translation) mapping `src[i]` to `dst[i]`.
/// `None` for fewer than two points or when all source points coincide.
pub fn fit_similarity(src: &[Point], dst: &[Point]) -> Option<Affine2> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return None;
    }
    let mean = |ps: &[Point]| {
        let s = ps[..n]
            .iter()
            .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        [s[0] / n as f64, s[1] / n as f64]
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut sxx, mut dot, mut cross) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let p = [src[i][0] - ms[0], src[i][1] - ms[1]];
        let q = [dst[i][0] - md[0], dst[i][1] - md[1]];
        sxx += p[0] * p[0] + p[1] * p[1];
        dot += p[0] * q[0] + p[1] * q[1];
        cross += p[0] * q[1] - p[1] * q[0];
    }
    if sxx < 1e-12 {
        return None;
    }
    let (a, b) = (dot / sxx, cross / sxx);
    Some(Affine2 {
        m: [
            [a, -b, md[0] - (a * ms[0] - b * ms[1])],
            [b, a, md[1] - (b * ms[0] + a * ms[1])],
        ],
    })
}

/// Samples `src` bilinearly at every pixel of a `width` x `height` output: output pixel `(u, v)`
/// takes the colour at `out_to_src(u, v)`. Outside the source, edge pixels are repeated.
pub fn warp_affine(src: &RgbImage, out_to_src: &Affine2, width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |u, v| {
        let [x, y] = out_to_src.apply([u as f64, v as f64]);
        Rgb(sample_bilinear(src, x, y).map(|c| c.round().clamp(0.0, 255.0) as u8))
    })
}

/// The colour of `img` at `(x, y)` by bilinear interpolation; outside the image, edge pixels are
/// repeated.
pub(crate) fn sample_bilinear(img: &RgbImage, x: f64, y: f64) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
    let px = |xi: i64, yi: i64| img.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (a, b, c, d) = (
        px(x0, y0),
        px(x0 + 1, y0),
        px(x0, y0 + 1),
        px(x0 + 1, y0 + 1),
    );
    let mut out = [0f32; 3];
    for k in 0..3 {
        let top = a[k] as f32 + (b[k] as f32 - a[k] as f32) * fx;
        let bottom = c[k] as f32 + (d[k] as f32 - c[k] as f32) * fx;
        out[k] = top + (bottom - top) * fy;
    }
    out
}

/// Like [`warp_affine`], but when the output is much smaller than the source region (shrink
/// factor >= 2) the source is first downscaled by the integer factor with a box-like filter, so the
/// crop is anti-aliased (as the FFHQ recipe does before its quad transform).
pub fn warp_affine_antialiased(
    src: &RgbImage,
    out_to_src: &Affine2,
    width: u32,
    height: u32,
) -> RgbImage {
    let shrink = out_to_src.scale().floor();
    if shrink < 2.0 {
        return warp_affine(src, out_to_src, width, height);
    }
    let k = shrink as u32;
    // Only the part of the source the output covers (plus a margin) is shrunk.
    let corners = [
        [0.0, 0.0],
        [width as f64, 0.0],
        [0.0, height as f64],
        [width as f64, height as f64],
    ]
    .map(|p| out_to_src.apply(p));
    let margin = 2.0 * shrink + 2.0;
    let bound = |i: usize, max: u32| {
        let lo = corners.iter().map(|c| c[i]).fold(f64::INFINITY, f64::min) - margin;
        let hi = corners
            .iter()
            .map(|c| c[i])
            .fold(f64::NEG_INFINITY, f64::max)
            + margin;
        let lo = lo.floor().clamp(0.0, (max - 1) as f64) as u32;
        let hi = hi.ceil().clamp(0.0, max as f64) as u32;
        (lo, hi.max(lo + 1))
    };
    let ((x0, x1), (y0, y1)) = (bound(0, src.width()), bound(1, src.height()));
    let region = image::imageops::crop_imm(src, x0, y0, x1 - x0, y1 - y0).to_image();
    let (rw, rh) = region.dimensions();
    let (nw, nh) = ((rw / k).max(1), (rh / k).max(1));
    let small = image::imageops::resize(&region, nw, nh, image::imageops::FilterType::Triangle);
    // Source pixel x maps to small pixel (x - x0 + 0.5) * nw / rw - 0.5.
    let (sx, sy) = (nw as f64 / rw as f64, nh as f64 / rh as f64);
    let to_small = Affine2 {
        m: [
            [sx, 0.0, (0.5 - x0 as f64) * sx - 0.5],
            [0.0, sy, (0.5 - y0 as f64) * sy - 0.5],
        ],
    };
    warp_affine(&small, &to_small.compose(out_to_src), width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_similarity_and_inverse_undoes_it() {
        let t = Affine2 {
            m: [[0.8, -0.6, 10.0], [0.6, 0.8, -4.0]],
        };
        let src = [[0.0, 0.0], [10.0, 0.0], [3.0, 7.0], [-2.0, 5.0]];
        let dst: Vec<Point> = src.iter().map(|p| t.apply(*p)).collect();
        let fit = fit_similarity(&src, &dst).unwrap();
        for r in 0..2 {
            for c in 0..3 {
                assert!((fit.m[r][c] - t.m[r][c]).abs() < 1e-9);
            }
        }
        let back = fit.inverse().unwrap().apply(fit.apply([3.0, -9.0]));
        assert!((back[0] - 3.0).abs() < 1e-9 && (back[1] + 9.0).abs() < 1e-9);
        assert!((fit.scale() - 1.0).abs() < 1e-9);
        assert!((fit.rotation_degrees() - 36.869_897_645).abs() < 1e-6);
        assert!(fit_similarity(&[[1.0, 1.0], [1.0, 1.0]], &src[..2]).is_none());
    }

    #[test]
    fn warp_with_a_shift_moves_pixels() {
        let src = RgbImage::from_fn(8, 8, |x, y| Rgb([(x * 30) as u8, (y * 30) as u8, 7]));
        let shift = Affine2 {
            m: [[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]],
        };
        let out = warp_affine(&src, &shift, 4, 4);
        assert_eq!(out.get_pixel(0, 0), src.get_pixel(2, 1));
        assert_eq!(out.get_pixel(3, 2), src.get_pixel(5, 3));
    }

    #[test]
    fn antialiased_warp_of_a_region_keeps_positions() {
        // A smooth gradient: shrinking must not move anything.
        let src = RgbImage::from_fn(900, 700, |x, y| {
            Rgb([(x / 4) as u8, (y / 3) as u8, ((x + y) / 7) as u8])
        });
        let t = Affine2 {
            m: [[3.7, 0.4, 250.0], [-0.4, 3.7, 180.0]],
        };
        let plain = warp_affine(&src, &t, 64, 64);
        let smooth = warp_affine_antialiased(&src, &t, 64, 64);
        let worst = plain
            .as_raw()
            .iter()
            .zip(smooth.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 2, "antialiased warp differs by {worst} levels");
    }
}
