//! Teacher measurements of one aligned face: the continuous quantities from which the
//! fine-grained degree labels of the attribute predictor are made (`predictor::degrees`).
//!
//! Everything here is measured in the FFHQ-aligned crop (the generator's frame, see
//! [`super::align`]) at [`MEASURE_CROP`] px, with the 68 landmarks found in the photo and carried
//! into the crop, and expressed relative to the inter-ocular distance (IOD, eye centre to eye
//! centre) and to the face's own skin colour, so that it does not depend on the photo's size,
//! exposure or the person's skin tone:
//!
//! - skin reference: the median colour of small patches on the nose (below the glasses' bridge)
//!   and on the cheeks at nostril height (places that bangs, beards and lenses rarely cover);
//! - **bangs**: `forehead_skin`, the share of skin-coloured pixels in the forehead box (between
//!   the eyebrow centres, from just above the brows up to 0.65 IOD above them). The paper's
//!   bangs degrees are defined by how much of the forehead is exposed (100/80/60/40/20/0 %);
//! - **eyeglasses**: `eye_dark` (how much darker than skin the eye boxes are: lenses of
//!   sunglasses), `bridge_edges` (vertical-gradient energy on the nose bridge between the eyes,
//!   where every frame crosses) and `rim_edges` (the same in bands just below the eyes, where
//!   lower rims run);
//! - **beard**: `lower_dark` and `lower_skin`, darkness and skin share of the chin box (below the
//!   lower lip, between jaw points 6 and 10) and the moustache box (between nose and upper lip);
//! - **smiling**: `mouth_open` (inner-lip gap), `mouth_width` (mouth corners) and `teeth` (area of
//!   bright, low-chroma pixels inside the inner-lip outline), all over IOD (teeth over IOD²);
//!   the expression network's P(happy) is recorded beside them by the labeller;
//! - **age**: the age network's expected years (recorded by the labeller).
//!
//! Identity-embedding probes (logistic regressions fitted on CelebA's labelled training half,
//! [`super::probes`]) are recorded beside these by the labeller.

use super::geometry::Point;
use super::landmarks::Landmarks;
use super::PerceptionError;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Side of the aligned crop the measurements are taken in.
pub const MEASURE_CROP: u32 = 256;
/// Side of the crops the attribute predictor is trained on.
pub const LABEL_CROP: u32 = 128;

/// Pixel measurements of one aligned face (see the module docs for each).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelMeasures {
    /// Inter-ocular distance in crop pixels.
    pub iod: f32,
    /// Skin reference luminance (0-255).
    pub skin_luma: f32,
    pub forehead_skin: f32,
    pub eye_dark: f32,
    pub bridge_edges: f32,
    pub rim_edges: f32,
    pub lower_dark: f32,
    pub lower_skin: f32,
    /// Gradient energy of the chin and moustache boxes over that of the under-eye cheeks
    /// (beards are textured, shadows are smooth).
    pub lower_texture: f32,
    /// Skin share of the jaw sides (between jaw points 4-5 / 11-12 and the mouth corners).
    pub jaw_skin: f32,
    pub mouth_open: f32,
    pub mouth_width: f32,
    pub teeth: f32,
}

/// The [`LABEL_CROP`] crop of a [`MEASURE_CROP`] aligned crop (triangle filter).
pub fn label_crop(aligned: &RgbImage) -> RgbImage {
    image::imageops::resize(
        aligned,
        LABEL_CROP,
        LABEL_CROP,
        image::imageops::FilterType::Triangle,
    )
}

/// Luma and chroma (BT.601 YCbCr, 0-255 scale).
fn ycc(p: &image::Rgb<u8>) -> [f32; 3] {
    let [r, g, b] = p.0.map(|c| c as f32);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    [y, cb, cr]
}

/// An axis-aligned box in crop pixels, clipped to the image when iterated.
#[derive(Debug, Clone, Copy)]
struct PixelBox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl PixelBox {
    fn around(c: Point, half_w: f64, half_h: f64) -> Self {
        Self {
            x0: c[0] - half_w,
            y0: c[1] - half_h,
            x1: c[0] + half_w,
            y1: c[1] + half_h,
        }
    }

    /// Integer pixel coordinates inside the box and the image.
    fn pixels(&self, img: &RgbImage) -> impl Iterator<Item = (u32, u32)> {
        let (w, h) = (img.width() as f64, img.height() as f64);
        let x0 = self.x0.max(0.0).ceil() as u32;
        let y0 = self.y0.max(0.0).ceil() as u32;
        let x1 = self.x1.min(w - 1.0).floor().max(-1.0) as i64;
        let y1 = self.y1.min(h - 1.0).floor().max(-1.0) as i64;
        (y0 as i64..=y1).flat_map(move |y| (x0 as i64..=x1).map(move |x| (x as u32, y as u32)))
    }
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, f32::total_cmp);
    Some(v[mid])
}

/// A cheek point between a jaw point and a nose wing, at nostril height: under the lenses of
/// sunglasses and usually above a beard.
fn lower_cheek(jaw: Point, nose_wing: Point) -> Point {
    let m = mid(jaw, nose_wing);
    [m[0], m[1].min(nose_wing[1])]
}

fn mid(a: Point, b: Point) -> Point {
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
}

fn dist(a: Point, b: Point) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Even-odd point-in-polygon test.
fn inside(poly: &[Point], p: Point) -> bool {
    let mut c = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            c = !c;
        }
    }
    c
}

/// The face's skin colour and how close a pixel is to it.
struct SkinModel {
    luma: f32,
    cb: f32,
    cr: f32,
}

impl SkinModel {
    fn is_skin(&self, p: [f32; 3]) -> bool {
        let luma_ok = (p[0] - self.luma).abs() < 0.28 * self.luma + 12.0;
        let chroma = ((p[1] - self.cb).powi(2) + (p[2] - self.cr).powi(2)).sqrt();
        luma_ok && chroma < 11.0
    }
}

/// Measures the face in `crop` (an aligned face, any square size; landmarks in crop pixels).
pub fn measure_pixels(crop: &RgbImage, lm: &Landmarks) -> Result<PixelMeasures, PerceptionError> {
    if lm.0.len() != 68 {
        return Err(PerceptionError::BadInput(format!(
            "68 landmarks needed, got {}",
            lm.0.len()
        )));
    }
    let p = |i: usize| lm.0[i];
    let (el, er) = (lm.eye_left(), lm.eye_right());
    let iod = dist(el, er);
    if !(iod.is_finite() && iod > 4.0) {
        return Err(PerceptionError::BadInput(format!(
            "eyes {iod:.1} px apart: face too small to measure"
        )));
    }
    let luma = |x: u32, y: u32| ycc(crop.get_pixel(x, y))[0];

    // Skin reference.
    let r = 0.06 * iod;
    let patches = [
        PixelBox::around(p(29), r, r),
        PixelBox::around(p(30), r, r),
        PixelBox::around(lower_cheek(p(2), p(31)), 1.5 * r, r),
        PixelBox::around(lower_cheek(p(14), p(35)), 1.5 * r, r),
    ];
    let skin_pixels: Vec<[f32; 3]> = patches
        .iter()
        .flat_map(|b| b.pixels(crop))
        .map(|(x, y)| ycc(crop.get_pixel(x, y)))
        .collect();
    let channel = |k: usize| median(skin_pixels.iter().map(|q| q[k]).collect());
    let (Some(sy), Some(scb), Some(scr)) = (channel(0), channel(1), channel(2)) else {
        return Err(PerceptionError::BadInput(
            "face lies outside the crop".into(),
        ));
    };
    let skin = SkinModel {
        luma: sy.max(1.0),
        cb: scb,
        cr: scr,
    };
    let skin_share = |boxes: &[PixelBox]| -> f32 {
        let (mut n, mut s) = (0usize, 0usize);
        for b in boxes {
            for (x, y) in b.pixels(crop) {
                n += 1;
                s += skin.is_skin(ycc(crop.get_pixel(x, y))) as usize;
            }
        }
        if n == 0 {
            0.0
        } else {
            s as f32 / n as f32
        }
    };
    let darkness = |boxes: &[PixelBox]| -> f32 {
        let v: Vec<f32> = boxes
            .iter()
            .flat_map(|b| b.pixels(crop))
            .map(|(x, y)| luma(x, y))
            .collect();
        median(v).map_or(0.0, |m| 1.0 - m / skin.luma)
    };
    // Mean |d luma / dy| (horizontal structures such as frame bars), relative to skin luma.
    let vertical_edges = |boxes: &[PixelBox]| -> f32 {
        let (mut n, mut s) = (0usize, 0f32);
        for b in boxes {
            for (x, y) in b.pixels(crop) {
                if y + 1 < crop.height() {
                    s += (luma(x, y + 1) - luma(x, y)).abs();
                    n += 1;
                }
            }
        }
        if n == 0 {
            0.0
        } else {
            s / n as f32 / skin.luma * 10.0
        }
    };

    // Mean |d luma / dx| + |d luma / dy| (texture), in luma levels.
    let gradient_energy = |boxes: &[PixelBox]| -> f32 {
        let (mut n, mut s) = (0usize, 0f32);
        for b in boxes {
            for (x, y) in b.pixels(crop) {
                if x + 1 < crop.width() && y + 1 < crop.height() {
                    let l = luma(x, y);
                    s += (luma(x + 1, y) - l).abs() + (luma(x, y + 1) - l).abs();
                    n += 1;
                }
            }
        }
        if n == 0 {
            0.0
        } else {
            s / n as f32
        }
    };

    // Bangs: the forehead box.
    let brow_top = (17..=26).map(|i| p(i)[1]).fold(f64::INFINITY, f64::min);
    let forehead = PixelBox {
        x0: p(19)[0].min(p(24)[0]),
        x1: p(19)[0].max(p(24)[0]),
        y0: brow_top - 0.65 * iod,
        y1: brow_top - 0.05 * iod,
    };
    let forehead_skin = skin_share(&[forehead]);

    // Eyeglasses.
    let eye_boxes = [
        PixelBox::around(el, 0.32 * iod, 0.2 * iod),
        PixelBox::around(er, 0.32 * iod, 0.2 * iod),
    ];
    let eye_dark = darkness(&eye_boxes);
    let bridge = PixelBox::around(mid(el, er), 0.1 * iod, 0.14 * iod);
    let bridge_edges = vertical_edges(&[bridge]);
    let rims = [
        PixelBox::around([el[0], el[1] + 0.27 * iod], 0.22 * iod, 0.08 * iod),
        PixelBox::around([er[0], er[1] + 0.27 * iod], 0.22 * iod, 0.08 * iod),
    ];
    let rim_edges = vertical_edges(&rims);

    // Beard: chin and moustache boxes.
    let chin = PixelBox {
        x0: p(6)[0],
        x1: p(10)[0],
        y0: p(57)[1] + 0.06 * iod,
        y1: p(8)[1] - 0.04 * iod,
    };
    let moustache = PixelBox {
        x0: p(48)[0],
        x1: p(54)[0],
        y0: p(33)[1] + 0.05 * iod,
        y1: p(51)[1] - 0.03 * iod,
    };
    let lower = [chin, moustache];
    let lower_dark = darkness(&lower);
    let lower_skin = skin_share(&lower);
    let cheeks = [patches[2], patches[3]];
    let lower_texture = gradient_energy(&lower) / gradient_energy(&cheeks).max(0.5);
    let jaw = [
        PixelBox {
            x0: p(4)[0].max(p(5)[0]),
            x1: p(48)[0] - 0.08 * iod,
            y0: p(4)[1].min(p(48)[1]),
            y1: p(5)[1],
        },
        PixelBox {
            x0: p(54)[0] + 0.08 * iod,
            x1: p(12)[0].min(p(11)[0]),
            y0: p(12)[1].min(p(54)[1]),
            y1: p(11)[1],
        },
    ];
    let jaw_skin = skin_share(&jaw);

    // Smiling.
    let mouth_open =
        ((dist(p(61), p(67)) + dist(p(62), p(66)) + dist(p(63), p(65))) / 3.0 / iod) as f32;
    let mouth_width = (dist(p(48), p(54)) / iod) as f32;
    let inner: Vec<Point> = (60..68).map(p).collect();
    let (xs, ys) = (inner.iter().map(|q| q[0]), inner.iter().map(|q| q[1]));
    let inner_box = PixelBox {
        x0: xs.clone().fold(f64::INFINITY, f64::min),
        x1: xs.fold(f64::NEG_INFINITY, f64::max),
        y0: ys.clone().fold(f64::INFINITY, f64::min),
        y1: ys.fold(f64::NEG_INFINITY, f64::max),
    };
    let teeth_px = inner_box
        .pixels(crop)
        .filter(|&(x, y)| inside(&inner, [x as f64, y as f64]))
        .filter(|&(x, y)| {
            let q = ycc(crop.get_pixel(x, y));
            let chroma = ((q[1] - 128.0).powi(2) + (q[2] - 128.0).powi(2)).sqrt();
            q[0] > 0.85 * skin.luma && chroma < 18.0
        })
        .count();
    let teeth = (teeth_px as f64 / (iod * iod)) as f32;

    Ok(PixelMeasures {
        iod: iod as f32,
        skin_luma: skin.luma,
        forehead_skin,
        eye_dark,
        bridge_edges,
        rim_edges,
        lower_dark,
        lower_skin,
        lower_texture,
        jaw_skin,
        mouth_open,
        mouth_width,
        teeth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat "face" of skin colour with 68 landmarks at plausible FFHQ-crop places.
    fn synthetic_face() -> (RgbImage, Landmarks) {
        let img = RgbImage::from_pixel(256, 256, image::Rgb([200, 150, 120]));
        let mut pts = vec![[128.0, 128.0]; 68];
        // Jaw 0-16 along a U.
        for (i, q) in pts.iter_mut().enumerate().take(17) {
            let t = i as f64 / 16.0 * std::f64::consts::PI;
            *q = [128.0 - 70.0 * t.cos(), 120.0 + 90.0 * t.sin()];
        }
        let place = |pts: &mut Vec<[f64; 2]>,
                     range: std::ops::Range<usize>,
                     f: &dyn Fn(usize) -> [f64; 2]| {
            for i in range {
                pts[i] = f(i);
            }
        };
        place(&mut pts, 17..27, &|i| [80.0 + (i - 17) as f64 * 10.5, 95.0]);
        place(&mut pts, 27..36, &|i| {
            [128.0, 105.0 + (i - 27) as f64 * 6.0]
        });
        place(&mut pts, 36..42, &|i| [98.0 + (i - 36) as f64 * 2.0, 110.0]);
        place(&mut pts, 42..48, &|i| {
            [148.0 + (i - 42) as f64 * 2.0, 110.0]
        });
        place(&mut pts, 48..60, &|i| {
            let t = (i - 48) as f64 / 12.0 * 2.0 * std::f64::consts::PI;
            [128.0 - 24.0 * t.cos(), 170.0 - 6.0 * t.sin()]
        });
        place(&mut pts, 60..68, &|i| {
            let t = (i - 60) as f64 / 8.0 * 2.0 * std::f64::consts::PI;
            [128.0 - 16.0 * t.cos(), 170.0 - 2.0 * t.sin()]
        });
        (img, Landmarks(pts))
    }

    #[test]
    fn flat_skin_face_has_bare_forehead_and_no_beard() {
        let (img, lm) = synthetic_face();
        let m = measure_pixels(&img, &lm).unwrap();
        assert!((m.iod - 50.0).abs() < 1.0, "{m:?}");
        assert_eq!(m.forehead_skin, 1.0);
        assert_eq!(m.lower_skin, 1.0);
        assert!(m.eye_dark.abs() < 1e-6 && m.lower_dark.abs() < 1e-6);
        assert_eq!(m.bridge_edges, 0.0);
    }

    #[test]
    fn dark_hair_over_the_forehead_and_dark_lenses_are_measured() {
        let (mut img, lm) = synthetic_face();
        // Dark hair down to the brows on the whole forehead.
        for y in 0..90 {
            for x in 0..256 {
                img.put_pixel(x, y, image::Rgb([40, 30, 25]));
            }
        }
        // Dark lenses over both eyes, joined by a bar on the bridge.
        for y in 100..122 {
            for x in 80..176 {
                if !(113..=143).contains(&x) || (108..=111).contains(&y) {
                    img.put_pixel(x, y, image::Rgb([20, 20, 20]));
                }
            }
        }
        let m = measure_pixels(&img, &lm).unwrap();
        assert!(m.forehead_skin < 0.2, "{m:?}");
        assert!(m.eye_dark > 0.6, "{m:?}");
        assert!(m.bridge_edges > 1.0, "{m:?}");
        assert_eq!(m.lower_skin, 1.0);
    }

    #[test]
    fn too_few_landmarks_is_a_clear_error() {
        let (img, _) = synthetic_face();
        let err = measure_pixels(&img, &Landmarks(vec![[0.0, 0.0]; 5])).unwrap_err();
        assert!(err.to_string().contains("68 landmarks"), "{err}");
    }
}
