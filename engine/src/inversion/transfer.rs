//! Carrying an edit of an inverted face back into the user's photo.
//!
//! The inversion never reproduces a photo exactly: skin tone, face shape, eyes and expression
//! come out a little (or very) different. Pasting the whole edited render over the face shows
//! all of that to the user, whatever the edit. [`TransferMode::Delta`] shows only the edit: the
//! difference between the edited render and the render of the unedited (inverted) code,
//! rescaled to the photo's colour spread, is added to the photo's own pixels where that
//! difference is large enough to matter (a soft "change mask") and inside a face region (the
//! face and forehead, widened a little for fringes and beards). Where the edit changed nothing,
//! the photo's pixels come back untouched, so an unedited face is the photo itself.
//!
//! [`TransferMode::Replace`] blends the recoloured edited render in under the same change mask
//! (the render's pixels where the edit acted; better for removals, worse for identity), and
//! [`TransferMode::WholeFace`] is the first paste-back: the whole recoloured render inside the
//! face mask. All three are kept so the evaluation can measure them side by side.

use super::face_warp::FaceWarp;
use super::invert::ALIGNED_SIDE;
use super::refine::box_blur;
use super::InversionError;
use crate::attributes::Attribute;
use crate::perception::align::{map_quad_pixels, paste_back_masked, BlendMask};
use crate::perception::FfhqQuad;
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// How an edited render reaches the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferMode {
    /// The photo plus what the edit changed in the render (the product's mode).
    Delta,
    /// The photo, with the recoloured edited render blended in where the edit changed it.
    Replace,
    /// The whole recoloured render inside the face mask (the first paste-back).
    WholeFace,
}

impl TransferMode {
    pub const ALL: [TransferMode; 3] = [
        TransferMode::Delta,
        TransferMode::Replace,
        TransferMode::WholeFace,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TransferMode::Delta => "delta",
            TransferMode::Replace => "replace",
            TransferMode::WholeFace => "wholeface",
        }
    }
}

/// Blurred colour change (0..=255 units, Euclidean over the channels) below which a pixel is
/// taken as untouched by the edit: renders of nearby codes differ by a few levels everywhere.
pub const CHANGE_FLOOR: f32 = 3.0;
/// Blurred colour change at which the edit is carried over in full.
pub const CHANGE_FULL: f32 = 12.0;
/// How far the face region reaches beyond the landmark face mask (fraction of the crop's side):
/// enough for a fringe above the forehead and a beard under the chin, not the background.
pub const REGION_SPREAD: f32 = 0.06;

/// How soft the edges of an attribute's band are (fraction of the crop's height).
pub const BAND_SOFTNESS: f32 = 0.04;

/// Where in the aligned face (fractions of the crop's height, top to bottom: eyes at about
/// 0.47, mouth 0.72, chin 0.88 in the FFHQ alignment) an edit of `attribute` may change the
/// photo. The render of an edited code also moves what the attribute is not about (an
/// eyeglasses edit grew hair on bald heads and darkened skin in the issue-13 run); only the
/// bands of the attributes edited are carried. Age acts on the whole face.
pub fn attribute_band(attribute: Attribute) -> (f32, f32) {
    match attribute {
        // Forehead and fringe, down to the eyes a fringe can reach.
        Attribute::Bangs => (0.0, 0.56),
        // Brows to the nose's middle: the frames and lenses, with their temples.
        Attribute::Eyeglasses => (0.34, 0.62),
        // Sideburns, cheeks, mouth and chin.
        Attribute::Beard => (0.5, 1.0),
        // Lower eyelids, cheeks and mouth.
        Attribute::Smiling => (0.4, 1.0),
        Attribute::Age => (0.0, 1.0),
    }
}

/// The attributes whose core ([`Attribute::core_height`]) an edit of `edited` leaves untouched in the
/// photo (no share of the change is carried there, [`band_weight`] 0): a move in their reading
/// is the reader's cross-talk (the smile read from the eyes behind new glasses), not something
/// the user sees.
pub fn out_of_reach(edited: &[Attribute]) -> Vec<Attribute> {
    Attribute::ALL
        .into_iter()
        .filter(|&a| {
            a.core_height()
                .is_some_and(|y| band_weight(edited, y) == 0.0)
        })
        .collect()
}

/// The share (0..=1) of the change at crop height `y` (fraction) carried for an edit of
/// `attributes`: the largest of their bands' (soft-edged) weights; every height when none is
/// named.
pub fn band_weight(attributes: &[Attribute], y: f32) -> f32 {
    if attributes.is_empty() {
        return 1.0;
    }
    attributes
        .iter()
        .map(|&a| {
            let (lo, hi) = attribute_band(a);
            let rise = if lo <= 0.0 {
                1.0
            } else {
                smoothstep((y - lo + BAND_SOFTNESS) / BAND_SOFTNESS)
            };
            let fall = if hi >= 1.0 {
                1.0
            } else {
                smoothstep((hi + BAND_SOFTNESS - y) / BAND_SOFTNESS)
            };
            rise * fall
        })
        .fold(0.0, f32::max)
}

/// What pasting an edited render back into the photo needs (the bot stores it per thread).
#[derive(Debug, Clone, PartialEq)]
pub struct PasteBack {
    /// The face's quad in photo pixels.
    pub quad: FfhqQuad,
    /// The aligned crop ([`ALIGNED_SIDE`]²).
    pub crop: RgbImage,
    /// The soft face mask over the crop ([`ALIGNED_SIDE`]² values in 0..=1).
    pub mask: Vec<f32>,
    /// Where the photo's features sit against the inverted render's ([`FaceWarp`]): the renders
    /// of a smile edit ([`warps`]) are read through it, so the change lands on the photo's own
    /// mouth. `None` (no landmarks on one of them, or a conversation stored before it existed):
    /// pixel for pixel.
    pub warp: Option<FaceWarp>,
}

/// The lower face in the aligned (FFHQ) frame, (rows, columns) as fractions of the side: from
/// just under the eyes to below the chin. It matches the box the by-eye labels of broken smiles
/// were measured in on CelebA's aligned photos (rows 40-85%, columns 15-85% of a 178x218 photo,
/// mapped by the eyes' positions and distance).
pub const LOWER_FACE: ((f32, f32), (f32, f32)) = ((0.32, 0.94), (0.10, 0.90));

/// A [`TransferMode::Delta`] edit carried into the photo ([`PasteBack::delta_edit`]).
pub struct DeltaEdit {
    /// The photo as the user sees it with the edit.
    pub shown: RgbImage,
    /// How much the edit changes the photo's lower face: the mean absolute colour change
    /// (0..=255 units, over the channels) it carries into the box [`LOWER_FACE`] of the aligned
    /// frame, the unchanged pixels counted. Broken smiles (a ghosted second mouth where the
    /// photo's mouth and the render's do not coincide) carry much more than good ones (README,
    /// issue 13, session 11).
    pub lower_face_change: f32,
}

/// [`PasteBack::carried`]'s parts.
struct Carried {
    side: u32,
    /// The edited render at the face's size.
    edited: RgbImage,
    colours: ColourMap,
    delta: Vec<[f32; 3]>,
    weights: Vec<f32>,
    /// Where the edited render's own (recoloured) pixels replace the photo's instead of adding
    /// the change to them (0..=1, `side`², empty for none): the mouth of a smile edit.
    replace: Vec<f32>,
    /// The photo's aligned crop at `side` (only when `replace` is not empty).
    photo: Option<RgbImage>,
}

impl Carried {
    /// [`DeltaEdit::lower_face_change`] of this change.
    fn lower_face_change(&self) -> f32 {
        let n = self.side as usize;
        let at = |f: f32| ((f * self.side as f32) as usize).min(n);
        let (rows, cols) = LOWER_FACE;
        let (mut sum, mut count) = (0f64, 0usize);
        for y in at(rows.0)..at(rows.1) {
            for x in at(cols.0)..at(cols.1) {
                let d = self.change_at(y * n + x);
                sum += d.iter().map(|c| c.abs() as f64).sum::<f64>() / 3.0;
                count += 1;
            }
        }
        (sum / count.max(1) as f64) as f32
    }

    /// The colour change carried at crop pixel `i` (weights applied): the render's change, or
    /// where the mouth is replaced, the recoloured edited render less the photo.
    fn change_at(&self, i: usize) -> [f32; 3] {
        let (d, w) = (self.delta[i], self.weights[i]);
        let a = self.replace.get(i).copied().unwrap_or(0.0);
        match (&self.photo, a > 0.0) {
            (Some(photo), true) => {
                let n = self.side as usize;
                let (x, y) = ((i % n) as u32, (i / n) as u32);
                let p = photo.get_pixel(x, y).0;
                let c = self.colours.apply(self.edited.get_pixel(x, y).0);
                std::array::from_fn(|k| w * ((1.0 - a) * d[k] + a * (c[k] - p[k] as f32)))
            }
            _ => d.map(|c| c * w),
        }
    }
}

impl PasteBack {
    /// The whole edited render (any square size) pasted over the face, recoloured to the photo's
    /// skin tone and lighting ([`TransferMode::WholeFace`]).
    pub fn paste_into(
        &self,
        photo: &RgbImage,
        edited: &RgbImage,
    ) -> Result<RgbImage, InversionError> {
        self.check()?;
        let side = ALIGNED_SIDE;
        let small = image::imageops::resize(edited, side, side, FilterType::Triangle);
        let recoloured = ColourMap::fit(&small, &self.crop, &self.mask).apply_image(&small);
        let blend = BlendMask {
            side,
            values: &self.mask,
        };
        let big = if edited.width() > side {
            // Keep the render's detail where the photo's face is large: upscale the colour
            // shift instead of the downscaled render.
            apply_colour_shift(edited, &small, &recoloured)
        } else {
            recoloured
        };
        Ok(paste_back_masked(
            photo,
            &self.quad,
            &big,
            0.0,
            Some(blend),
        )?)
    }

    /// The edit from `start` (the render of the inverted code) to `edited` (the render of the
    /// edited code; both square, any size) carried into `photo` by `mode`.
    pub fn transfer(
        &self,
        photo: &RgbImage,
        start: &RgbImage,
        edited: &RgbImage,
        mode: TransferMode,
    ) -> Result<RgbImage, InversionError> {
        self.transfer_edit(photo, start, edited, mode, &[])
    }

    /// [`PasteBack::transfer`] of an edit of `attributes` (the conversation's edits so far):
    /// only their bands of the face change ([`attribute_band`]); none named, the whole face
    /// region.
    pub fn transfer_edit(
        &self,
        photo: &RgbImage,
        start: &RgbImage,
        edited: &RgbImage,
        mode: TransferMode,
        attributes: &[Attribute],
    ) -> Result<RgbImage, InversionError> {
        self.check_renders(start, edited)?;
        if mode == TransferMode::WholeFace {
            return self.paste_into(photo, edited);
        }
        self.apply(photo, &self.carried(start, edited, attributes), mode)
    }

    /// [`Self::transfer_edit`] in the product's mode ([`TransferMode::Delta`]), with how much
    /// the carried change alters the photo's lower face, from the same maps.
    pub fn delta_edit(
        &self,
        photo: &RgbImage,
        start: &RgbImage,
        edited: &RgbImage,
        attributes: &[Attribute],
    ) -> Result<DeltaEdit, InversionError> {
        self.check_renders(start, edited)?;
        let carried = self.carried(start, edited, attributes);
        Ok(DeltaEdit {
            shown: self.apply(photo, &carried, TransferMode::Delta)?,
            lower_face_change: carried.lower_face_change(),
        })
    }

    /// The paste-back itself is usable and both renders are square.
    fn check_renders(&self, start: &RgbImage, edited: &RgbImage) -> Result<(), InversionError> {
        self.check()?;
        for (what, img) in [("start", start), ("edited", edited)] {
            if img.width() != img.height() || img.width() < 2 {
                return Err(InversionError::BadInput(format!(
                    "the {what} render must be square, got {}x{}",
                    img.width(),
                    img.height()
                )));
            }
        }
        Ok(())
    }

    /// `photo` with the `carried` change brought in by `mode` ([`TransferMode::Delta`] or
    /// [`TransferMode::Replace`]), only where it is carried.
    fn apply(
        &self,
        photo: &RgbImage,
        carried: &Carried,
        mode: TransferMode,
    ) -> Result<RgbImage, InversionError> {
        let Carried {
            side,
            edited: e,
            colours,
            delta,
            weights,
            replace,
            photo: _,
        } = carried;
        let side = *side;
        let sf = side as f64;
        let n = side as usize;
        let at = |u: f64, v: f64| -> (usize, usize, f32, f32) {
            let (x, y) = (u.clamp(0.0, sf - 1.0), v.clamp(0.0, sf - 1.0));
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            (x0, y0, (x - x0 as f64) as f32, (y - y0 as f64) as f32)
        };
        let bilinear = |map: &dyn Fn(usize) -> [f32; 3], u: f64, v: f64| -> [f32; 3] {
            let (x0, y0, fx, fy) = at(u, v);
            let (x1, y1) = ((x0 + 1).min(n - 1), (y0 + 1).min(n - 1));
            let (a, b, c, d) = (
                map(y0 * n + x0),
                map(y0 * n + x1),
                map(y1 * n + x0),
                map(y1 * n + x1),
            );
            std::array::from_fn(|k| {
                let top = a[k] + (b[k] - a[k]) * fx;
                let bottom = c[k] + (d[k] - c[k]) * fx;
                top + (bottom - top) * fy
            })
        };
        let weight_map = BlendMask {
            side,
            values: weights,
        };
        let recoloured: Vec<[f32; 3]> = if mode == TransferMode::Replace || !replace.is_empty() {
            e.pixels().map(|p| colours.apply(p.0)).collect()
        } else {
            Vec::new()
        };
        Ok(map_quad_pixels(photo, &self.quad, side, |p, u, v| {
            let w = weight_map.at(u, v, sf);
            if w <= 0.0 {
                return None;
            }
            Some(match mode {
                TransferMode::Replace => {
                    let c = bilinear(&|i| recoloured[i], u, v);
                    std::array::from_fn(|k| p[k] + (c[k] - p[k]) * w)
                }
                _ if !replace.is_empty() => {
                    let d = bilinear(&|i| delta[i], u, v);
                    let a = bilinear(&|i| [replace[i]; 3], u, v)[0];
                    if a <= 0.0 {
                        std::array::from_fn(|k| p[k] + d[k] * w)
                    } else {
                        let c = bilinear(&|i| recoloured[i], u, v);
                        std::array::from_fn(|k| p[k] + w * ((1.0 - a) * d[k] + a * (c[k] - p[k])))
                    }
                }
                _ => {
                    let d = bilinear(&|i| delta[i], u, v);
                    std::array::from_fn(|k| p[k] + d[k] * w)
                }
            })
        })?)
    }

    /// The change of an edit from the `start` render to the `edited` one as it is carried into
    /// the photo, at the face's size in the photo (so the maps are neither aliased nor
    /// blurred): the renders' colour change scaled to the photo's colours, and where it is
    /// carried ([`Self::change_weights`]).
    fn carried(&self, start: &RgbImage, edited: &RgbImage, attributes: &[Attribute]) -> Carried {
        let side = (self.quad.side().ceil() as u32).clamp(64, 1024);
        let resize =
            |img: &RgbImage| image::imageops::resize(img, side, side, FilterType::Triangle);
        let (mut s, mut e) = (resize(start), resize(edited));
        let warp = self.warp.as_ref().filter(|_| warps(attributes));
        if let Some(warp) = warp {
            (s, e) = (warp.pull(&s), warp.pull(&e));
        }
        let small_start =
            image::imageops::resize(&s, ALIGNED_SIDE, ALIGNED_SIDE, FilterType::Triangle);
        let colours = ColourMap::fit(&small_start, &self.crop, &self.mask);
        let delta: Vec<[f32; 3]> = s
            .pixels()
            .zip(e.pixels())
            .map(|(a, b)| std::array::from_fn(|k| colours.gain[k] * (b[k] as f32 - a[k] as f32)))
            .collect();
        let change = change_size(&delta, side);
        let mut weights = self.change_weights(&change, side, attributes);
        if let Some(kept) = self.warp.as_ref().filter(|_| keeps_photo_mouth(attributes)) {
            keep_photo_mouth(&mut weights, kept, side);
        }
        let replace = match warp {
            Some(warp) if attributes.contains(&Attribute::Smiling) => {
                mouth_replacement(warp, &change, side)
            }
            _ => Vec::new(),
        };
        let photo = (!replace.is_empty()).then(|| resize(&self.crop));
        Carried {
            side,
            edited: e,
            colours,
            delta,
            weights,
            replace,
            photo,
        }
    }

    /// Where an edit is carried over, in 0..=1 over a `side`² crop: the blurred size of the
    /// colour change ([`change_size`]) between [`CHANGE_FLOOR`] and [`CHANGE_FULL`], spread a
    /// little so the edges are soft, times the face region and the bands of the `attributes`
    /// edited.
    pub fn change_weights(&self, change: &[f32], side: u32, attributes: &[Attribute]) -> Vec<f32> {
        let n = side as usize;
        let mut weights: Vec<f32> = change
            .iter()
            .map(|&c| smoothstep((c - CHANGE_FLOOR) / (CHANGE_FULL - CHANGE_FLOOR)))
            .collect();
        // Soft edges that still cover the changed pixels fully.
        box_blur(&mut weights, n, (n / 64).max(1));
        let region = self.face_region();
        let region = BlendMask {
            side: ALIGNED_SIDE,
            values: &region,
        };
        let sf = side as f64;
        for (i, w) in weights.iter_mut().enumerate() {
            let (u, v) = ((i % n) as f64, (i / n) as f64);
            *w = (*w * 2.0).min(1.0)
                * region.at(u, v, sf)
                * band_weight(attributes, (v / sf) as f32);
        }
        weights
    }

    /// The face mask widened by [`REGION_SPREAD`] ([`ALIGNED_SIDE`]² values in 0..=1).
    pub fn face_region(&self) -> Vec<f32> {
        let n = ALIGNED_SIDE as usize;
        let mut region = self.mask.clone();
        let r = ((REGION_SPREAD * n as f32) / 2.0).round().max(1.0) as usize;
        box_blur(&mut region, n, r);
        box_blur(&mut region, n, r);
        region.iter().map(|&m| (m * 4.0).min(1.0)).collect()
    }

    fn check(&self) -> Result<(), InversionError> {
        let n = (ALIGNED_SIDE * ALIGNED_SIDE) as usize;
        if self.mask.len() != n || self.crop.dimensions() != (ALIGNED_SIDE, ALIGNED_SIDE) {
            return Err(InversionError::BadInput(format!(
                "the paste-back data must be a {ALIGNED_SIDE}² crop and mask, got {:?} and {} values",
                self.crop.dimensions(),
                self.mask.len()
            )));
        }
        Ok(())
    }
}

/// Whether an edit of `attributes` is carried through the landmark warp ([`PasteBack::warp`]):
/// smile edits (with the render's mouth shown, [`mouth_replacement`]) and age edits (with the
/// photo's own mouth kept, [`keeps_photo_mouth`]). Measured on 52 photos (issue 13): for smiles
/// (session 12, `models/trained/eval/photos/warp/`) it turned broken results fine (by eye 35 ->
/// 54 fine, 22 -> 19 broken among those reached); for age (session 13,
/// `models/trained/eval/photos/age/`), with the mouth kept, 27 -> 35 fine and 32 -> 26 broken
/// (reach 59 -> 61 of 103), where the warp with the smile's mouth replacement had smeared mouths
/// (session 12). Glasses, bangs and beards stay pixel for pixel: the warp moved their reach a
/// few edits either way.
pub fn warps(attributes: &[Attribute]) -> bool {
    attributes.contains(&Attribute::Smiling) || attributes.contains(&Attribute::Age)
}

/// How far the mouth region reaches beyond the photo's lips: the ellipse through the mouth
/// corners widened by this factor (a smile's corners move outwards), and at least
/// [`MOUTH_MIN_HEIGHT`] of its width tall.
pub const MOUTH_SPREAD: f64 = 1.35;
pub const MOUTH_MIN_HEIGHT: f64 = 0.45;
/// The colour change (blurred, 0..=255 units) from which a mouth pixel is replaced, and at
/// which fully: teeth appearing or covered by lips change by far more than the cheeks' shading.
pub const REPLACE_FROM: f32 = 10.0;
pub const REPLACE_FULL: f32 = 35.0;

/// The size of the colour change `delta` (Euclidean over the channels) over a `side`² crop,
/// blurred a little: what [`PasteBack::change_weights`] and [`mouth_replacement`] both threshold.
fn change_size(delta: &[[f32; 3]], side: u32) -> Vec<f32> {
    let n = side as usize;
    let mut change: Vec<f32> = delta
        .iter()
        .map(|d| (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt())
        .collect();
    box_blur(&mut change, n, (n / 128).max(1));
    change
}

/// Where a smile edit shows the edited render's mouth instead of adding its change to the
/// photo's (0..=1 over a `side`² crop): around the photo's lips ([`FaceWarp::photo`] points
/// 48-67), where the blurred change size `change` ([`change_size`]) is large. Adding the change
/// of a render's mouth that opens or closes onto a photo's mouth of another shape ghosts (a
/// second row of teeth, red lips over teeth: issue 13, session 11's by-eye labels); the render's
/// mouth itself, laid on the photo's by the warp and recoloured, does not.
fn mouth_replacement(warp: &FaceWarp, change: &[f32], side: u32) -> Vec<f32> {
    let n = side as usize;
    let Some(mouth) = LipsEllipse::around(&warp.photo, MOUTH_SPREAD) else {
        return Vec::new();
    };
    let sf = side as f64;
    let mut replace: Vec<f32> = change
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (u, v) = (((i % n) as f64 + 0.5) / sf, ((i / n) as f64 + 0.5) / sf);
            mouth.inside(u, v) * smoothstep((c - REPLACE_FROM) / (REPLACE_FULL - REPLACE_FROM))
        })
        .collect();
    box_blur(&mut replace, n, (n / 128).max(1));
    replace
}

/// How far the kept mouth of an age edit ([`keeps_photo_mouth`]) reaches beyond the lips.
pub const KEPT_MOUTH_SPREAD: f64 = 1.2;

/// Whether an edit of `attributes` keeps the photo's own mouth: age edits (not with a smile or a
/// beard, which are about the mouth). The age fields also change the render's mouth (teeth
/// shown or hidden, lips of another shape); added onto the photo's mouth that change ghosts
/// (smeared teeth and double lips: issue 13, session 13's by-eye labels of age edits).
pub fn keeps_photo_mouth(attributes: &[Attribute]) -> bool {
    attributes.contains(&Attribute::Age)
        && !attributes.contains(&Attribute::Smiling)
        && !attributes.contains(&Attribute::Beard)
}

/// Damps `weights` (a `side`² crop) to nothing inside the lips of both the photo and the
/// render ([`FaceWarp::photo`] and [`FaceWarp::render`] points 48-67), so the photo keeps its
/// own mouth wherever either mouth lies.
fn keep_photo_mouth(weights: &mut [f32], warp: &FaceWarp, side: u32) {
    let mouths: Vec<LipsEllipse> = [&warp.photo, &warp.render]
        .into_iter()
        .filter_map(|points| LipsEllipse::around(points, KEPT_MOUTH_SPREAD))
        .collect();
    let (n, sf) = (side as usize, side as f64);
    for (i, w) in weights.iter_mut().enumerate() {
        let (u, v) = (((i % n) as f64 + 0.5) / sf, ((i / n) as f64 + 0.5) / sf);
        let inside = mouths.iter().map(|m| m.inside(u, v)).fold(0.0, f32::max);
        *w *= 1.0 - inside;
    }
}

/// An ellipse around the lips (68-point landmarks 48-67, in 0..1 of the aligned frame): through
/// the mouth corners widened by `spread`, and at least [`MOUTH_MIN_HEIGHT`] of its width tall.
struct LipsEllipse {
    centre: [f64; 2],
    half_width: f64,
    half_height: f64,
}

impl LipsEllipse {
    fn around(points: &[[f64; 2]], spread: f64) -> Option<Self> {
        let lips = points.get(48..68)?;
        let centre = lips
            .iter()
            .fold([0.0, 0.0], |a, p| [a[0] + p[0] / 20.0, a[1] + p[1] / 20.0]);
        let half_width = 0.5 * (lips[6][0] - lips[0][0]).abs() * spread;
        let (top, bottom) = lips
            .iter()
            .fold((f64::MAX, f64::MIN), |(t, b), p| (t.min(p[1]), b.max(p[1])));
        let half_height = (0.5 * (bottom - top) * spread * 1.4).max(MOUTH_MIN_HEIGHT * half_width);
        (half_width > 1e-3 && half_height > 1e-3).then_some(Self {
            centre,
            half_width,
            half_height,
        })
    }

    /// 1 well inside, falling smoothly to 0 at the edge (over the outer 30% of the radius).
    fn inside(&self, u: f64, v: f64) -> f32 {
        let r = (((u - self.centre[0]) / self.half_width).powi(2)
            + ((v - self.centre[1]) / self.half_height).powi(2))
        .sqrt();
        smoothstep(((1.0 - r) / 0.3) as f32)
    }
}

fn smoothstep(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A per-channel affine colour map fitted so that one image's masked mean and spread match
/// another's.
#[derive(Debug, Clone, Copy)]
struct ColourMap {
    from_mean: [f32; 3],
    to_mean: [f32; 3],
    /// Spread ratio, kept within 0.5..=2 (a map fitted on a bad inversion must not blow up).
    gain: [f32; 3],
}

impl ColourMap {
    /// The map taking `image`'s colours inside `mask` to `reference`'s (same sizes).
    fn fit(image: &RgbImage, reference: &RgbImage, mask: &[f32]) -> Self {
        let (a, b) = (moments(image, mask), moments(reference, mask));
        ColourMap {
            from_mean: std::array::from_fn(|k| a[k].0),
            to_mean: std::array::from_fn(|k| b[k].0),
            gain: std::array::from_fn(|k| (b[k].1 / a[k].1).clamp(0.5, 2.0)),
        }
    }

    fn apply(&self, p: [u8; 3]) -> [f32; 3] {
        std::array::from_fn(|k| (p[k] as f32 - self.from_mean[k]) * self.gain[k] + self.to_mean[k])
    }

    fn apply_image(&self, image: &RgbImage) -> RgbImage {
        let mut out = image.clone();
        for p in out.pixels_mut() {
            let c = self.apply(p.0);
            p.0 = c.map(|v| v.round().clamp(0.0, 255.0) as u8);
        }
        out
    }
}

/// Per-channel mean and standard deviation inside `mask` (`image` and `mask` the same size).
fn moments(image: &RgbImage, mask: &[f32]) -> [(f32, f32); 3] {
    let mut out = [(0f32, 0f32); 3];
    let total: f32 = mask.iter().sum::<f32>().max(1e-6);
    for (k, o) in out.iter_mut().enumerate() {
        let mean = image
            .pixels()
            .zip(mask)
            .map(|(p, m)| p.0[k] as f32 * m)
            .sum::<f32>()
            / total;
        let var = image
            .pixels()
            .zip(mask)
            .map(|(p, m)| (p.0[k] as f32 - mean).powi(2) * m)
            .sum::<f32>()
            / total;
        *o = (mean, var.sqrt().max(1.0));
    }
    out
}

/// `big` plus the (upsampled) difference `after - before` of its small copies.
fn apply_colour_shift(big: &RgbImage, before: &RgbImage, after: &RgbImage) -> RgbImage {
    let (w, h) = big.dimensions();
    let shift = |img: &RgbImage| image::imageops::resize(img, w, h, FilterType::Triangle);
    let (b, a) = (shift(before), shift(after));
    let mut out = big.clone();
    for ((p, pb), pa) in out.pixels_mut().zip(b.pixels()).zip(a.pixels()) {
        for k in 0..3 {
            let v = p.0[k] as i32 + pa.0[k] as i32 - pb.0[k] as i32;
            p.0[k] = v.clamp(0, 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A photo (noise, so that any resampling of it would show), its face quad at an angle, and
    /// a mask covering the middle of the crop.
    fn setup() -> (RgbImage, PasteBack) {
        let mut state = 12345u32;
        let photo = RgbImage::from_fn(300, 240, |_, _| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (state >> 24) as u8;
            Rgb([v, v / 2 + 40, 255 - v])
        });
        let quad = FfhqQuad {
            c: [150.0, 120.0],
            x: [70.0, 12.0],
            y: [-12.0, 70.0],
        };
        let n = ALIGNED_SIDE as usize;
        let mask = (0..n * n)
            .map(|i| {
                let (x, y) = ((i % n) as f32 / n as f32, (i / n) as f32 / n as f32);
                if (0.3..0.7).contains(&x) && (0.3..0.7).contains(&y) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let crop = RgbImage::from_pixel(ALIGNED_SIDE, ALIGNED_SIDE, Rgb([128, 100, 90]));
        (
            photo,
            PasteBack {
                quad,
                crop,
                mask,
                warp: None,
            },
        )
    }

    fn render(side: u32, spot: Option<(f32, f32, [u8; 3])>) -> RgbImage {
        RgbImage::from_fn(side, side, |x, y| {
            let (u, v) = (x as f32 / side as f32, y as f32 / side as f32);
            match spot {
                Some((cx, cy, c)) if (u - cx).abs() < 0.06 && (v - cy).abs() < 0.06 => Rgb(c),
                _ => Rgb([150, 120, 100]),
            }
        })
    }

    /// Photo pixel of crop position (u, v) (fractions of the side).
    fn photo_point(paste: &PasteBack, u: f64, v: f64) -> (u32, u32) {
        let t = paste.quad.crop_to_photo(1000);
        let [x, y] = t.apply([u * 1000.0, v * 1000.0]);
        (x.round() as u32, y.round() as u32)
    }

    #[test]
    fn an_unedited_face_is_the_photo_itself() {
        let (photo, paste) = setup();
        let start = render(512, None);
        for mode in [TransferMode::Delta, TransferMode::Replace] {
            let out = paste.transfer(&photo, &start, &start, mode).unwrap();
            assert_eq!(out, photo, "{mode:?}");
        }
    }

    #[test]
    fn only_what_the_edit_changed_reaches_the_photo() {
        let (photo, paste) = setup();
        let start = render(512, None);
        // The edit darkens a spot in the face; the render also differs from the photo
        // everywhere (another colour), which must not show.
        let edited = render(512, Some((0.5, 0.45, [40, 30, 30])));
        let out = paste
            .transfer(&photo, &start, &edited, TransferMode::Delta)
            .unwrap();
        let (sx, sy) = photo_point(&paste, 0.5, 0.45);
        let (before, after) = (photo.get_pixel(sx, sy), out.get_pixel(sx, sy));
        // The photo's own pixel, darkened by the render's change scaled to the photo's spread.
        for k in 0..3 {
            assert!(
                (after[k] as i32) < before[k] as i32 - 20 || after[k] == 0,
                "channel {k}: {before:?} -> {after:?}"
            );
        }
        // Away from the spot (inside the face) and outside the face region, untouched.
        for (u, v) in [(0.35, 0.65), (0.1, 0.1), (0.9, 0.5)] {
            let (x, y) = photo_point(&paste, u, v);
            assert_eq!(out.get_pixel(x, y), photo.get_pixel(x, y), "({u}, {v})");
        }
        let changed = out
            .pixels()
            .zip(photo.pixels())
            .filter(|(a, b)| a != b)
            .count();
        assert!(changed > 50, "{changed} pixels changed");
        assert!(changed < 4000, "{changed} pixels changed: the edit spread");
    }

    #[test]
    fn a_change_outside_the_face_region_is_not_carried() {
        let (photo, paste) = setup();
        let start = render(256, None);
        // The edit changed the background (top-left corner of the crop).
        let edited = render(256, Some((0.08, 0.08, [0, 255, 0])));
        for mode in [TransferMode::Delta, TransferMode::Replace] {
            let out = paste.transfer(&photo, &start, &edited, mode).unwrap();
            assert_eq!(out, photo, "{mode:?}");
        }
    }

    #[test]
    fn replace_brings_the_recoloured_render_where_the_edit_acted() {
        let (photo, paste) = setup();
        let start = render(512, None);
        let edited = render(512, Some((0.5, 0.5, [250, 250, 250])));
        let out = paste
            .transfer(&photo, &start, &edited, TransferMode::Replace)
            .unwrap();
        let (x, y) = photo_point(&paste, 0.5, 0.5);
        // The crop is flat, so the recoloured spot is the crop's mean plus the clamped gain's
        // share of the spot's brightness: far brighter than the photo there.
        let after = out.get_pixel(x, y);
        assert!(after.0.iter().all(|&c| c > 200), "{after:?}");
    }

    #[test]
    fn attributes_out_of_an_edits_reach_are_those_whose_core_it_leaves_alone() {
        use Attribute::*;
        // Glasses reach the eyes only: the fringe, the smile and the beard are out of reach.
        assert_eq!(out_of_reach(&[Eyeglasses]), vec![Bangs, Beard, Smiling]);
        // Bangs reach down to the eyes (a fringe can cover the brows and the frames' top).
        assert_eq!(out_of_reach(&[Bangs]), vec![Beard, Smiling]);
        assert_eq!(out_of_reach(&[Smiling]), vec![Bangs]);
        // A beard's band starts at the cheekbones: its soft edge touches the eyes' line.
        assert_eq!(out_of_reach(&[Beard]), vec![Bangs]);
        // Age acts on the whole face, and an edit of several attributes reaches their union.
        assert!(out_of_reach(&[Age]).is_empty());
        assert_eq!(out_of_reach(&[Eyeglasses, Bangs]), vec![Beard, Smiling]);
        assert!(
            out_of_reach(&[]).is_empty(),
            "no band named: the whole face"
        );
    }

    #[test]
    fn an_edit_changes_only_its_attributes_bands() {
        // A face mask over the whole crop: only the bands limit the change.
        let (photo, mut paste) = setup();
        paste.mask.iter_mut().for_each(|m| *m = 1.0);
        let start = render(512, None);
        // The render changed a spot at eye height (0.42) and one on the forehead (0.2).
        let eyes = render(512, Some((0.5, 0.42, [40, 30, 30])));
        let forehead = render(512, Some((0.5, 0.2, [40, 30, 30])));
        let changed_at = |edited: &RgbImage, attributes: &[Attribute], v: f64| {
            let out = paste
                .transfer_edit(&photo, &start, edited, TransferMode::Delta, attributes)
                .unwrap();
            let (x, y) = photo_point(&paste, 0.5, v);
            out.get_pixel(x, y) != photo.get_pixel(x, y)
        };
        // Glasses: the eyes' change is carried, the forehead's is not.
        assert!(changed_at(&eyes, &[Attribute::Eyeglasses], 0.42));
        assert!(!changed_at(&forehead, &[Attribute::Eyeglasses], 0.2));
        // Bangs: the forehead's is; a beard, neither of them; age and "no attribute" both.
        assert!(changed_at(&forehead, &[Attribute::Bangs], 0.2));
        assert!(!changed_at(&eyes, &[Attribute::Beard], 0.42));
        assert!(!changed_at(&forehead, &[Attribute::Beard], 0.2));
        for attributes in [&[Attribute::Age][..], &[]] {
            assert!(changed_at(&eyes, attributes, 0.42));
            assert!(changed_at(&forehead, attributes, 0.2));
        }
        // Several edits so far: the union of their bands.
        assert!(changed_at(
            &forehead,
            &[Attribute::Eyeglasses, Attribute::Bangs],
            0.2
        ));
        assert_eq!(band_weight(&[Attribute::Eyeglasses], 0.2), 0.0);
        assert_eq!(band_weight(&[Attribute::Eyeglasses], 0.47), 1.0);
        let edge = band_weight(&[Attribute::Eyeglasses], 0.32);
        assert!(edge > 0.0 && edge < 1.0, "soft edge {edge}");
    }

    /// 68 landmarks (fractions of the side) with the lips (48-67) on an ellipse around (0.5, 0.72).
    fn face_landmarks() -> Vec<crate::perception::Point> {
        (0..68)
            .map(|i| {
                let t = i as f64 / 20.0 * std::f64::consts::TAU;
                if i >= 48 {
                    [0.5 + 0.08 * t.cos(), 0.72 + 0.03 * t.sin()]
                } else {
                    [0.5 + 0.3 * t.cos(), 0.5 + 0.3 * t.sin()]
                }
            })
            .collect()
    }

    #[test]
    fn a_smile_shows_the_renders_mouth_instead_of_adding_its_change() {
        let (photo, mut paste) = setup();
        paste.mask.iter_mut().for_each(|m| *m = 1.0);
        paste.warp = FaceWarp::new(face_landmarks(), face_landmarks());
        assert!(paste.warp.is_some());
        let start = render(512, None);
        // Teeth appear in the render's mouth.
        let edited = render(512, Some((0.5, 0.72, [250, 250, 250])));
        // The spread of the photo's noise over the spot's middle as shown.
        let spread = |paste: &PasteBack, attributes: &[Attribute]| {
            let out = paste
                .transfer_edit(&photo, &start, &edited, TransferMode::Delta, attributes)
                .unwrap();
            let values: Vec<f32> = [
                (0.49, 0.71),
                (0.51, 0.71),
                (0.49, 0.73),
                (0.51, 0.73),
                (0.5, 0.72),
            ]
            .iter()
            .map(|&(u, v)| {
                let (x, y) = photo_point(paste, u, v);
                out.get_pixel(x, y).0[1] as f32
            })
            .collect();
            let mean = values.iter().sum::<f32>() / values.len() as f32;
            values.iter().map(|v| (v - mean).abs()).fold(0.0, f32::max)
        };
        // A smile: the render's (flat, recoloured) mouth replaces the photo's noise there.
        let smile = spread(&paste, &[Attribute::Smiling]);
        assert!(smile < 8.0, "{smile}");
        // Age adds the change onto the photo's own pixels: the noise shows through.
        let age = spread(&paste, &[Attribute::Age]);
        assert!(age > 20.0, "{age}");
        // Without a warp there is no photo mouth to replace: added as well.
        paste.warp = None;
        let unwarped = spread(&paste, &[Attribute::Smiling]);
        assert!(unwarped > 20.0, "{unwarped}");
    }

    #[test]
    fn an_age_edit_keeps_the_photos_own_mouth() {
        let (photo, mut paste) = setup();
        paste.mask.iter_mut().for_each(|m| *m = 1.0);
        paste.warp = FaceWarp::new(face_landmarks(), face_landmarks());
        let start = render(512, None);
        // The render's mouth (0.72) and forehead (0.45) both darken.
        let mut edited = render(512, Some((0.5, 0.72, [40, 30, 30])));
        let forehead = render(512, Some((0.5, 0.45, [40, 30, 30])));
        for (e, f) in edited.pixels_mut().zip(forehead.pixels()) {
            *e = image::Rgb(std::array::from_fn(|k| e[k].min(f[k])));
        }
        let change_at = |paste: &PasteBack, attributes: &[Attribute], v: f64| {
            let out = paste
                .transfer_edit(&photo, &start, &edited, TransferMode::Delta, attributes)
                .unwrap();
            let (x, y) = photo_point(paste, 0.5, v);
            let (a, b) = (out.get_pixel(x, y).0, photo.get_pixel(x, y).0);
            (0..3)
                .map(|k| (a[k] as i32 - b[k] as i32).abs())
                .sum::<i32>()
        };
        // Age: the forehead's change is carried, the mouth stays the photo's.
        assert!(change_at(&paste, &[Attribute::Age], 0.45) > 60);
        assert_eq!(change_at(&paste, &[Attribute::Age], 0.72), 0);
        // An edit about the mouth (a beard, a smile) carries it.
        for about_the_mouth in [Attribute::Beard, Attribute::Smiling] {
            let edited = [Attribute::Age, about_the_mouth];
            assert!(change_at(&paste, &edited, 0.72) > 60, "{about_the_mouth}");
        }
        // Without landmarks (a thread stored before the warp), carried as before.
        paste.warp = None;
        assert!(change_at(&paste, &[Attribute::Age], 0.72) > 60);
    }

    #[test]
    fn smile_and_age_edits_follow_the_photos_landmarks() {
        let (photo, mut paste) = setup();
        paste.mask.iter_mut().for_each(|m| *m = 1.0);
        // The render's features sit 0.035 lower than the photo's.
        let lower: Vec<_> = face_landmarks()
            .iter()
            .map(|p| [p[0], p[1] + 0.035])
            .collect();
        paste.warp = FaceWarp::new(face_landmarks(), lower);
        assert!(paste.warp.is_some());
        let start = render(512, None);
        // A change on the render at 0.39-0.51 of the height.
        let edited = render(512, Some((0.5, 0.45, [40, 30, 30])));
        let change_at = |attributes: &[Attribute], v: f64| {
            let out = paste
                .transfer_edit(&photo, &start, &edited, TransferMode::Delta, attributes)
                .unwrap();
            let (x, y) = photo_point(&paste, 0.5, v);
            let (a, b) = (out.get_pixel(x, y).0, photo.get_pixel(x, y).0);
            (0..3)
                .map(|k| (a[k] as i32 - b[k] as i32).abs())
                .sum::<i32>()
        };
        let glasses = [Attribute::Eyeglasses];
        // (Age's band is the whole face; a smile's alone would not reach these heights.)
        for warped in [
            &[Attribute::Age, Attribute::Smiling][..],
            &[Attribute::Age],
            &[Attribute::Eyeglasses, Attribute::Age],
        ] {
            // Warped (a smile or an age edit among the edits): the change sits 0.035 higher in
            // the photo.
            assert!(
                change_at(warped, 0.365) > change_at(&glasses, 0.365) + 30,
                "{warped:?}"
            );
            // Pixel for pixel (glasses alone): where the render has it.
            assert!(
                change_at(&glasses, 0.5) > change_at(warped, 0.5) + 30,
                "{warped:?}"
            );
            assert!(warps(warped));
        }
        assert!(!warps(&glasses) && !warps(&[Attribute::Bangs, Attribute::Beard]));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let (photo, mut paste) = setup();
        let start = render(256, None);
        let wide = RgbImage::new(20, 10);
        assert!(paste
            .transfer(&photo, &start, &wide, TransferMode::Delta)
            .is_err());
        paste.mask.pop();
        assert!(paste
            .transfer(&photo, &start, &start, TransferMode::Delta)
            .is_err());
    }
}
