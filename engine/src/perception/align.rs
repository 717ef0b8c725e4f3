//! FFHQ-style alignment of a photo to the generator's crop.
//!
//! From 68 landmarks, as in the FFHQ dataset-creation recipe: eye centres `el`, `er`, mouth
//! corners' midpoint `m`; `eye_avg = (el + er) / 2`, `eye_to_eye = er - el`,
//! `eye_to_mouth = m - eye_avg`; the crop's half-side vector
//! `x = normalise(eye_to_eye - rot90(eye_to_mouth)) * max(2 |eye_to_eye|, 1.8 |eye_to_mouth|)`,
//! `y = rot90(x)`, centre `c = eye_avg + 0.1 eye_to_mouth`; the square with corners
//! `c - x - y` (top left) .. `c + x + y` (bottom right) becomes the output.
//!
//! The landmark network is not dlib, so its quads sit a little off the generator's frame; a
//! calibration ([`GENERATOR_FRAME`]) measured on generated faces (which are FFHQ-aligned by
//! construction) moves the centre and scales the side so an aligned photo lands where the
//! generator puts faces.

use super::detect::FaceBox;
use super::geometry::{sample_bilinear, warp_affine_antialiased, Affine2, Point};
use super::landmarks::Landmarks;
use super::PerceptionError;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A correction of the FFHQ quad in the quad's own frame: the centre moves by
/// `dx * x_unit + dy * y_unit` (units of the quad's side) and the side is multiplied by `scale`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameCalibration {
    pub dx: f64,
    pub dy: f64,
    pub scale: f64,
}

impl FrameCalibration {
    /// No correction: the plain FFHQ recipe.
    pub const NONE: Self = Self {
        dx: 0.0,
        dy: 0.0,
        scale: 1.0,
    };
}

/// The correction that maps this project's landmark quads onto the generator's frame: the mean
/// of [`FfhqQuad::calibration_to`]`(generator_frame(1024))` over 24 MobileStyleGAN faces (seeds
/// 100..124, truncation 0.7): dx 0.0010 (sd 0.0017), dy 0.0062 (sd 0.0030), scale 1.024
/// (sd 0.025). `tests/tests/perception_align.rs` checks re-aligned faces against the generator's
/// frame.
pub const GENERATOR_FRAME: FrameCalibration = FrameCalibration {
    dx: 0.001,
    dy: 0.0062,
    scale: 1.024,
};

/// The oriented square of the FFHQ recipe, in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FfhqQuad {
    /// Centre.
    pub c: Point,
    /// Half-side vector along the crop's x axis.
    pub x: Point,
    /// Half-side vector along the crop's y axis (x rotated by +90 degrees).
    pub y: Point,
}

impl FfhqQuad {
    /// The recipe's quad from landmarks (uncalibrated).
    pub fn from_landmarks(lm: &Landmarks) -> Result<Self, PerceptionError> {
        if lm.0.len() != 68 {
            return Err(PerceptionError::BadInput(format!(
                "{} landmarks (expected 68)",
                lm.0.len()
            )));
        }
        let (el, er, m) = (lm.eye_left(), lm.eye_right(), lm.mouth_centre());
        let eye_avg = [(el[0] + er[0]) / 2.0, (el[1] + er[1]) / 2.0];
        let e2e = [er[0] - el[0], er[1] - el[1]];
        let e2m = [m[0] - eye_avg[0], m[1] - eye_avg[1]];
        // x = eye_to_eye - flipud(eye_to_mouth) * [-1, 1]
        let x = [e2e[0] + e2m[1], e2e[1] - e2m[0]];
        let len = x[0].hypot(x[1]);
        let half = (2.0 * e2e[0].hypot(e2e[1])).max(1.8 * e2m[0].hypot(e2m[1]));
        if !(len > 1e-9 && half > 1e-9 && half.is_finite()) {
            return Err(PerceptionError::BadInput("degenerate landmarks".into()));
        }
        let x = [x[0] / len * half, x[1] / len * half];
        Ok(Self {
            c: [eye_avg[0] + 0.1 * e2m[0], eye_avg[1] + 0.1 * e2m[1]],
            x,
            y: [-x[1], x[0]],
        })
    }

    /// Side length in photo pixels.
    pub fn side(&self) -> f64 {
        2.0 * self.x[0].hypot(self.x[1])
    }

    /// The quad corrected by `cal`.
    pub fn calibrated(&self, cal: &FrameCalibration) -> Self {
        let side = self.side();
        let (ux, uy) = (
            [self.x[0] * 2.0 / side, self.x[1] * 2.0 / side],
            [self.y[0] * 2.0 / side, self.y[1] * 2.0 / side],
        );
        Self {
            c: [
                self.c[0] + (cal.dx * ux[0] + cal.dy * uy[0]) * side,
                self.c[1] + (cal.dx * ux[1] + cal.dy * uy[1]) * side,
            ],
            x: [self.x[0] * cal.scale, self.x[1] * cal.scale],
            y: [self.y[0] * cal.scale, self.y[1] * cal.scale],
        }
    }

    /// The calibration that maps `self` onto `target` (in `self`'s frame).
    pub fn calibration_to(&self, target: &FfhqQuad) -> FrameCalibration {
        let side = self.side();
        let d = [target.c[0] - self.c[0], target.c[1] - self.c[1]];
        let (ux, uy) = (
            [self.x[0] * 2.0 / side, self.x[1] * 2.0 / side],
            [self.y[0] * 2.0 / side, self.y[1] * 2.0 / side],
        );
        FrameCalibration {
            dx: (d[0] * ux[0] + d[1] * ux[1]) / side,
            dy: (d[0] * uy[0] + d[1] * uy[1]) / side,
            scale: target.side() / side,
        }
    }

    /// The transform from a `size` x `size` crop's pixels to photo pixels (both in pixel-index
    /// coordinates, see [`Landmarks`]): crop pixel `(u, v)` sits at
    /// `c - x - y + (u + 0.5) / size * 2x + (v + 0.5) / size * 2y`.
    pub fn crop_to_photo(&self, size: u32) -> Affine2 {
        let s = size as f64;
        let (ax, ay) = (
            [2.0 * self.x[0] / s, 2.0 * self.x[1] / s],
            [2.0 * self.y[0] / s, 2.0 * self.y[1] / s],
        );
        let o = [
            self.c[0] - self.x[0] - self.y[0] + 0.5 * (ax[0] + ay[0]),
            self.c[1] - self.x[1] - self.y[1] + 0.5 * (ax[1] + ay[1]),
        ];
        Affine2 {
            m: [[ax[0], ay[0], o[0]], [ax[1], ay[1], o[1]]],
        }
    }

    /// The generator's own frame for a `size`-pixel image: centre at the middle, side = size.
    pub fn generator_frame(size: u32) -> Self {
        let h = size as f64 / 2.0;
        Self {
            c: [h - 0.5, h - 0.5],
            x: [h, 0.0],
            y: [0.0, h],
        }
    }
}

/// A face found in a photo and aligned.
#[derive(Debug, Clone)]
pub struct AlignedFace {
    /// The square crop (FFHQ frame).
    pub crop: RgbImage,
    /// Crop pixel -> photo pixel (paste back with its inverse).
    pub crop_to_photo: Affine2,
    /// Photo pixel -> crop pixel.
    pub photo_to_crop: Affine2,
    /// The chosen face's detector box in the photo.
    pub face_box: FaceBox,
    /// Its 68 landmarks in photo pixels.
    pub landmarks: Landmarks,
    /// How many faces the detector found (the largest was aligned).
    pub faces_found: usize,
    /// The calibrated quad in photo pixels.
    pub quad: FfhqQuad,
}

impl AlignedFace {
    /// Landmarks in crop pixels.
    pub fn crop_landmarks(&self) -> Landmarks {
        self.landmarks.transformed(&self.photo_to_crop)
    }

    /// The detector's box in crop pixels (the bounds of its corners through `photo_to_crop`):
    /// where the landmark network looks for the face in the crop, or in anything rendered in
    /// the crop's frame, without running the detector again.
    pub fn face_box_in_crop(&self) -> FaceBox {
        let b = self.face_box;
        let corners = [[b.x1, b.y1], [b.x2, b.y1], [b.x1, b.y2], [b.x2, b.y2]]
            .map(|[x, y]| self.photo_to_crop.apply([x as f64, y as f64]));
        let xs = corners.map(|p| p[0]);
        let ys = corners.map(|p| p[1]);
        let min = |v: [f64; 4]| v.iter().copied().fold(f64::INFINITY, f64::min) as f32;
        let max = |v: [f64; 4]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32;
        FaceBox {
            x1: min(xs),
            y1: min(ys),
            x2: max(xs),
            y2: max(ys),
            score: b.score,
        }
    }
}

/// Crops the quad out of `photo` at `size` x `size`.
pub fn crop_quad(photo: &RgbImage, quad: &FfhqQuad, size: u32) -> (RgbImage, Affine2) {
    let t = quad.crop_to_photo(size);
    (warp_affine_antialiased(photo, &t, size, size), t)
}

/// Pastes a (possibly edited) aligned crop back into the photo it came from: every photo pixel
/// inside `quad` takes the crop's colour (bilinear), blended towards the photo over a border of
/// `feather` x the crop's side (0 = hard edge, e.g. 0.06 for a soft one). The crop may have any
/// square size (the quad is size-free); one much larger than its footprint in the photo is
/// first shrunk, so it is not aliased.
pub fn paste_back(
    photo: &RgbImage,
    quad: &FfhqQuad,
    crop: &RgbImage,
    feather: f64,
) -> Result<RgbImage, PerceptionError> {
    paste_back_masked(photo, quad, crop, feather, None)
}

/// A square map of blending weights in [0, 1] over an aligned crop (any side; sampled
/// bilinearly at the crop's positions), e.g. a soft face mask.
#[derive(Debug, Clone, Copy)]
pub struct BlendMask<'a> {
    pub side: u32,
    pub values: &'a [f32],
}

impl BlendMask<'_> {
    /// The weight at crop position `(u, v)` of a `crop_side` crop.
    pub fn at(&self, u: f64, v: f64, crop_side: f64) -> f32 {
        let n = self.side as usize;
        let scale = self.side as f64 / crop_side;
        let (x, y) = ((u + 0.5) * scale - 0.5, (v + 0.5) * scale - 0.5);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
        let get = |xi: f64, yi: f64| {
            let xi = xi.clamp(0.0, n as f64 - 1.0) as usize;
            let yi = yi.clamp(0.0, n as f64 - 1.0) as usize;
            self.values[yi * n + xi]
        };
        let top = get(x0, y0) * (1.0 - fx) + get(x0 + 1.0, y0) * fx;
        let bottom = get(x0, y0 + 1.0) * (1.0 - fx) + get(x0 + 1.0, y0 + 1.0) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// [`paste_back`], with the blending weight also multiplied by `mask` (so that only the face
/// comes from the crop, and hair and background stay the photo's).
pub fn paste_back_masked(
    photo: &RgbImage,
    quad: &FfhqQuad,
    crop: &RgbImage,
    feather: f64,
    mask: Option<BlendMask>,
) -> Result<RgbImage, PerceptionError> {
    if let Some(m) = mask {
        if m.side == 0 || m.values.len() != (m.side * m.side) as usize {
            return Err(PerceptionError::BadInput(format!(
                "the blend mask must be {0}x{0} values, got {1}",
                m.side,
                m.values.len()
            )));
        }
    }
    let (cw, ch) = crop.dimensions();
    if cw != ch || cw < 2 {
        return Err(PerceptionError::BadInput(format!(
            "the crop must be square, got {cw}x{ch}"
        )));
    }
    if !(0.0..=0.5).contains(&feather) {
        return Err(PerceptionError::BadInput(format!(
            "feather {feather} (use 0..=0.5)"
        )));
    }
    let footprint = quad.side().ceil().max(2.0) as u32;
    let shrunk;
    let crop = if cw > 2 * footprint {
        shrunk = image::imageops::resize(
            crop,
            footprint,
            footprint,
            image::imageops::FilterType::Triangle,
        );
        &shrunk
    } else {
        crop
    };
    let sf = crop.width() as f64;
    let ramp = feather * sf;
    map_quad_pixels(photo, quad, crop.width(), |p, u, v| {
        let edge = (u + 0.5).min(v + 0.5).min(sf - 0.5 - u).min(sf - 0.5 - v);
        let mut alpha = if ramp > 0.0 {
            (edge / ramp).min(1.0)
        } else {
            1.0
        } as f32;
        if let Some(m) = &mask {
            alpha *= m.at(u, v, sf);
        }
        if alpha <= 0.0 {
            return None;
        }
        let c = sample_bilinear(crop, u, v);
        Some(std::array::from_fn(|k| p[k] + (c[k] - p[k]) * alpha))
    })
}

/// A new copy of `photo` where every pixel inside `quad` is `f(colour, u, v)`, with `(u, v)` the
/// pixel's position in a `side` x `side` aligned crop (pixel-index coordinates) and colours in
/// 0..=255 (rounded and clamped on the way back); `None` leaves the pixel as it is.
pub fn map_quad_pixels(
    photo: &RgbImage,
    quad: &FfhqQuad,
    side: u32,
    f: impl Fn([f32; 3], f64, f64) -> Option<[f32; 3]>,
) -> Result<RgbImage, PerceptionError> {
    let sf = side as f64;
    let to_crop = quad
        .crop_to_photo(side)
        .inverse()
        .ok_or_else(|| PerceptionError::BadInput("degenerate quad".into()))?;
    let corners = [
        [
            quad.c[0] - quad.x[0] - quad.y[0],
            quad.c[1] - quad.x[1] - quad.y[1],
        ],
        [
            quad.c[0] + quad.x[0] - quad.y[0],
            quad.c[1] + quad.x[1] - quad.y[1],
        ],
        [
            quad.c[0] - quad.x[0] + quad.y[0],
            quad.c[1] - quad.x[1] + quad.y[1],
        ],
        [
            quad.c[0] + quad.x[0] + quad.y[0],
            quad.c[1] + quad.x[1] + quad.y[1],
        ],
    ];
    let (w, h) = photo.dimensions();
    let lo = |i: usize, max: u32| {
        corners
            .iter()
            .map(|c| c[i])
            .fold(f64::INFINITY, f64::min)
            .floor()
            .clamp(0.0, max as f64) as u32
    };
    let hi = |i: usize, max: u32| {
        corners
            .iter()
            .map(|c| c[i])
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            .clamp(0.0, max as f64) as u32
    };
    let (x0, x1, y0, y1) = (lo(0, w), hi(0, w), lo(1, h), hi(1, h));
    let mut out = photo.clone();
    for y in y0..y1 {
        for x in x0..x1 {
            let [u, v] = to_crop.apply([x as f64, y as f64]);
            let inside = (u + 0.5).min(v + 0.5).min(sf - 0.5 - u).min(sf - 0.5 - v) > 0.0;
            if !inside {
                continue;
            }
            let p = out.get_pixel_mut(x, y);
            if let Some(c) = f([p[0] as f32, p[1] as f32, p[2] as f32], u, v) {
                for k in 0..3 {
                    p[k] = c[k].round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn a_blend_mask_decides_what_comes_from_the_crop() {
        let photo = RgbImage::from_pixel(40, 40, Rgb([0, 0, 0]));
        let crop = RgbImage::from_pixel(20, 20, Rgb([200, 100, 50]));
        // The quad covers photo pixels 10..30 in both axes, axis-aligned.
        let quad = FfhqQuad {
            c: [19.5, 19.5],
            x: [10.0, 0.0],
            y: [0.0, 10.0],
        };
        let full = paste_back(&photo, &quad, &crop, 0.0).unwrap();
        assert_eq!(full.get_pixel(20, 20), &Rgb([200, 100, 50]));
        assert_eq!(full.get_pixel(5, 5), &Rgb([0, 0, 0]), "outside the quad");
        // Mask: left half 1, right half 0 (on an 8 x 8 grid).
        let values: Vec<f32> = (0..64).map(|i| if i % 8 < 4 { 1.0 } else { 0.0 }).collect();
        let mask = BlendMask {
            side: 8,
            values: &values,
        };
        let half = paste_back_masked(&photo, &quad, &crop, 0.0, Some(mask)).unwrap();
        assert_eq!(half.get_pixel(12, 20), &Rgb([200, 100, 50]), "left: crop");
        assert_eq!(half.get_pixel(27, 20), &Rgb([0, 0, 0]), "right: photo");
        let mid = half.get_pixel(19, 20)[0];
        assert!(mid > 0 && mid < 200, "the mask is sampled smoothly: {mid}");
        let zeros = vec![0.0; 64];
        let none = paste_back_masked(
            &photo,
            &quad,
            &crop,
            0.0,
            Some(BlendMask {
                side: 8,
                values: &zeros,
            }),
        )
        .unwrap();
        assert_eq!(none, photo);
        let bad = BlendMask {
            side: 8,
            values: &zeros[..10],
        };
        assert!(paste_back_masked(&photo, &quad, &crop, 0.0, Some(bad)).is_err());
    }
}
