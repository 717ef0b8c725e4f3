//! Where the photo's features sit against the inverted render's, so that an edit's change is
//! carried onto the photo's own mouth, eyes and jaw rather than where the render has them.
//!
//! The inversion never puts the mouth (or the eyes, or the jaw line) exactly where the photo has
//! it: the render's mouth may sit a few pixels lower, be wider or thinner. The delta transfer
//! ([`super::transfer`]) adds the render's change to the photo pixel for pixel, so a smile's new
//! teeth and lip corners landed beside the photo's own mouth: the ghosted second mouths and red
//! smears of the issue-13 by-eye labels (42 of 75 reached smiles broken, session 11).
//!
//! [`FaceWarp`] holds the 68 landmarks found on the photo's aligned crop and on the render of its
//! inverted code (both by the same networks, in the same aligned frame, as fractions of the
//! side) and maps a point of the photo's frame to the matching point of the render's by a moving
//! least-squares affine deformation (Schaefer, McPhail and Warren, "Image deformation using
//! moving least squares", 2006): every point gets the affine map that best carries the
//! landmarks onto their partners, with weights falling as the inverse square distance, so the
//! mouth's points decide around the mouth and the map is smooth between them. The transfer then
//! reads both renders through the map, so their change is laid on the photo's geometry.

use super::InversionError;
use crate::perception::align::AlignedFace;
use crate::perception::geometry::{sample_bilinear, Point};
use crate::perception::FacePerception;
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Cells per side of the grid the deformation is evaluated on (bilinear in between).
pub const WARP_GRID: usize = 32;
/// The largest shift the warp may make anywhere (fraction of the side): landmarks that disagree
/// by more are a failed detection, not a face the inversion misplaced.
pub const MAX_SHIFT: f64 = 0.06;
/// Landmark pairs whose mean distance (fraction of the side) exceeds this are not trusted at all
/// (no warp): the render and the photo are not the same face to the landmark network.
pub const MAX_MEAN_SHIFT: f64 = 0.04;

/// The photo's and the render's landmarks in the aligned frame (fractions of the side).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceWarp {
    /// Landmarks of the photo's aligned crop.
    pub photo: Vec<Point>,
    /// The same landmarks on the render of the inverted code.
    pub render: Vec<Point>,
}

impl FaceWarp {
    /// The landmarks of the photo's aligned crop and of `render` (the inverted code's render,
    /// any square size, in the crop's frame), both found by the landmark network in the
    /// detector's box of the photo's face ([`AlignedFace::face_box_in_crop`]): the render was
    /// fitted to the crop, so its face lies in that box, and the detector need not run again
    /// (it took most of this step's 0.16-0.25 s on the first reply's path). `None` when the two
    /// disagree by more than [`MAX_MEAN_SHIFT`] on average (the render is not the photo's face
    /// to the landmark network).
    pub fn measure(
        aligned: &AlignedFace,
        render: &RgbImage,
        perception: &FacePerception,
    ) -> Result<Option<Self>, InversionError> {
        let side = aligned.crop.width();
        let small = image::imageops::resize(render, side, side, FilterType::Triangle);
        let face = aligned.face_box_in_crop();
        let found = |img: &RgbImage| -> Result<Vec<Point>, InversionError> {
            let lm = perception.landmarks.landmarks(img, &face)?;
            let s = img.width() as f64;
            Ok(lm
                .0
                .iter()
                .map(|p| [(p[0] + 0.5) / s, (p[1] + 0.5) / s])
                .collect())
        };
        Ok(Self::new(found(&aligned.crop)?, found(&small)?))
    }

    /// A warp from landmark pairs (fractions of the side); `None` when they are unusable (not the
    /// same count, fewer than three, or too far apart on average).
    pub fn new(photo: Vec<Point>, render: Vec<Point>) -> Option<Self> {
        if photo.len() != render.len() || photo.len() < 3 {
            return None;
        }
        let warp = Self { photo, render };
        (warp.mean_shift() <= MAX_MEAN_SHIFT).then_some(warp)
    }

    /// Mean distance between the photo's landmarks and the render's (fraction of the side).
    pub fn mean_shift(&self) -> f64 {
        self.photo
            .iter()
            .zip(&self.render)
            .map(|(p, q)| distance(*p, *q))
            .sum::<f64>()
            / self.photo.len() as f64
    }

    /// The render's point matching the photo's point `v` (both fractions of the side), by the
    /// moving least-squares affine deformation, its shift capped at [`MAX_SHIFT`].
    pub fn map(&self, v: Point) -> Point {
        let mut weights = Vec::with_capacity(self.photo.len());
        for (p, q) in self.photo.iter().zip(&self.render) {
            let d2 = (p[0] - v[0]).powi(2) + (p[1] - v[1]).powi(2);
            if d2 < 1e-12 {
                return cap_shift(v, *q);
            }
            weights.push(1.0 / d2);
        }
        let total: f64 = weights.iter().sum();
        let centre = |ps: &[Point]| -> Point {
            let s = ps
                .iter()
                .zip(&weights)
                .fold([0.0, 0.0], |a, (p, w)| [a[0] + w * p[0], a[1] + w * p[1]]);
            [s[0] / total, s[1] / total]
        };
        let (pc, qc) = (centre(&self.photo), centre(&self.render));
        // M = (Σ w p̂ᵀ p̂)⁻¹ Σ w p̂ᵀ q̂, row vectors: f(v) = (v - p*) M + q*.
        let (mut a, mut b) = ([[0.0f64; 2]; 2], [[0.0f64; 2]; 2]);
        for ((p, q), w) in self.photo.iter().zip(&self.render).zip(&weights) {
            let ph = [p[0] - pc[0], p[1] - pc[1]];
            let qh = [q[0] - qc[0], q[1] - qc[1]];
            for i in 0..2 {
                for j in 0..2 {
                    a[i][j] += w * ph[i] * ph[j];
                    b[i][j] += w * ph[i] * qh[j];
                }
            }
        }
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        if det.abs() < 1e-18 {
            return cap_shift(v, [v[0] - pc[0] + qc[0], v[1] - pc[1] + qc[1]]);
        }
        let inv = [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ];
        let m: [[f64; 2]; 2] = std::array::from_fn(|i| {
            std::array::from_fn(|j| inv[i][0] * b[0][j] + inv[i][1] * b[1][j])
        });
        let d = [v[0] - pc[0], v[1] - pc[1]];
        cap_shift(
            v,
            [
                d[0] * m[0][0] + d[1] * m[1][0] + qc[0],
                d[0] * m[0][1] + d[1] * m[1][1] + qc[1],
            ],
        )
    }

    /// `image` (square, in the render's frame) read through the warp: the result is in the
    /// photo's frame, pixel (x, y) the image's colour at [`Self::map`] of that point (bilinear).
    pub fn pull(&self, image: &RgbImage) -> RgbImage {
        let side = image.width();
        let grid = self.grid();
        let n = WARP_GRID;
        let s = side as f64;
        let mut out = RgbImage::new(side, side);
        for (x, y, px) in out.enumerate_pixels_mut() {
            let (u, v) = ((x as f64 + 0.5) / s, (y as f64 + 0.5) / s);
            // Bilinear between the grid's nodes (node k at k / n).
            let (gu, gv) = ((u * n as f64).min(n as f64), (v * n as f64).min(n as f64));
            let (i0, j0) = ((gu as usize).min(n - 1), (gv as usize).min(n - 1));
            let (fu, fv) = (gu - i0 as f64, gv - j0 as f64);
            let node = |i: usize, j: usize| grid[j * (n + 1) + i];
            let mix =
                |a: Point, b: Point, t: f64| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            let top = mix(node(i0, j0), node(i0 + 1, j0), fu);
            let bottom = mix(node(i0, j0 + 1), node(i0 + 1, j0 + 1), fu);
            let [mu, mv] = mix(top, bottom, fv);
            px.0 = sample_bilinear(image, mu * s - 0.5, mv * s - 0.5)
                .map(|c| c.round().clamp(0.0, 255.0) as u8);
        }
        out
    }

    /// [`Self::map`] at the `(WARP_GRID + 1)²` grid nodes, row by row.
    fn grid(&self) -> Vec<Point> {
        let n = WARP_GRID;
        (0..=n)
            .flat_map(|j| (0..=n).map(move |i| [i as f64 / n as f64, j as f64 / n as f64]))
            .map(|v| self.map(v))
            .collect()
    }
}

fn distance(a: Point, b: Point) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// `to`, moved towards `from` so that it lies at most [`MAX_SHIFT`] from it.
fn cap_shift(from: Point, to: Point) -> Point {
    let d = distance(from, to);
    if d <= MAX_SHIFT {
        return to;
    }
    let t = MAX_SHIFT / d;
    [
        from[0] + (to[0] - from[0]) * t,
        from[1] + (to[1] - from[1]) * t,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_points(offset: Point, scale: f64) -> Vec<Point> {
        let mut ps = Vec::new();
        for j in 0..5 {
            for i in 0..5 {
                let (u, v) = (0.3 + 0.1 * i as f64, 0.3 + 0.1 * j as f64);
                ps.push([
                    0.5 + (u - 0.5) * scale + offset[0],
                    0.5 + (v - 0.5) * scale + offset[1],
                ]);
            }
        }
        ps
    }

    #[test]
    fn the_same_landmarks_map_every_point_to_itself() {
        let ps = square_points([0.0, 0.0], 1.0);
        let warp = FaceWarp::new(ps.clone(), ps).unwrap();
        for v in [[0.1, 0.2], [0.5, 0.5], [0.77, 0.9], [0.3, 0.3]] {
            let m = warp.map(v);
            assert!(distance(v, m) < 1e-9, "{v:?} -> {m:?}");
        }
    }

    #[test]
    fn a_shifted_and_scaled_render_is_followed_exactly() {
        // The render's features sit 0.02 lower and 10% larger: an affine map, which the moving
        // least-squares deformation reproduces everywhere.
        let photo = square_points([0.0, 0.0], 1.0);
        let render = square_points([0.0, 0.02], 1.1);
        let warp = FaceWarp::new(photo, render).unwrap();
        for v in [[0.5, 0.5], [0.35, 0.62], [0.2, 0.8]] {
            let want = [0.5 + (v[0] - 0.5) * 1.1, 0.5 + (v[1] - 0.5) * 1.1 + 0.02];
            let m = warp.map(v);
            assert!(distance(want, m) < 1e-6, "{v:?} -> {m:?}, want {want:?}");
        }
    }

    #[test]
    fn landmarks_far_apart_give_no_warp_and_shifts_are_capped() {
        let photo = square_points([0.0, 0.0], 1.0);
        assert!(FaceWarp::new(photo.clone(), square_points([0.1, 0.0], 1.0)).is_none());
        assert!(FaceWarp::new(photo.clone(), photo[..3].to_vec()).is_none());
        // One landmark far off: the map at it moves by MAX_SHIFT at most.
        let mut render = photo.clone();
        render[12] = [render[12][0] + 0.3, render[12][1]];
        let warp = FaceWarp::new(photo.clone(), render).unwrap();
        let m = warp.map(photo[12]);
        assert!((distance(photo[12], m) - MAX_SHIFT).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn pulling_an_image_moves_its_features_onto_the_photos() {
        // The render's dark spot sits at (0.5, 0.55); the photo's features are 0.03 higher, so
        // through the warp the spot appears at (0.5, 0.52).
        let side = 200u32;
        let render_img = RgbImage::from_fn(side, side, |x, y| {
            let (u, v) = (x as f64 / side as f64, y as f64 / side as f64);
            if (u - 0.5).abs() < 0.03 && (v - 0.55).abs() < 0.03 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([200, 200, 200])
            }
        });
        let warp = FaceWarp::new(
            square_points([0.0, 0.0], 1.0),
            square_points([0.0, 0.03], 1.0),
        )
        .unwrap();
        let pulled = warp.pull(&render_img);
        let dark = |img: &RgbImage, u: f64, v: f64| {
            img.get_pixel((u * side as f64) as u32, (v * side as f64) as u32)
                .0[0]
                < 50
        };
        assert!(dark(&render_img, 0.5, 0.55) && !dark(&render_img, 0.5, 0.5));
        assert!(dark(&pulled, 0.5, 0.52), "the spot moved up");
        assert!(!dark(&pulled, 0.5, 0.565), "its old lower edge is gone");
    }
}
