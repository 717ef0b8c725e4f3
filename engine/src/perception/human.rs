//! The people-only gate: is the face the detector found a human's?
//!
//! The detector and the landmark network answer "where is the face", not "whose": they find a
//! cat's face with a score of 0.99 and put 68 human landmarks on it, and the inversion then
//! turns it into a man. This module owns the measured decision that stops that before any
//! inversion, from what the perception networks already see of the aligned face:
//!
//! - the identity network's view: cosine of the face's embedding to the mean embedding of human
//!   faces, and the network's output norm before normalising (how strongly it responds);
//! - the landmarks' plausibility: Procrustes residual of the 68 points against the mean human
//!   shape, and how well the landmark network agrees with itself on the aligned crop and on its
//!   mirror image (human faces give steady landmarks; other things, guesses);
//! - the colours of the inner face (the share of skin-coloured pixels, their chroma).
//!
//! [`HumanReference`] (mean shape and mean embedding, fitted on generated faces by
//! `talk-to-edit human-gate fit`) and the rules of [`HumanGate`] (which features, which
//! thresholds, measured by `talk-to-edit human-gate eval` on CelebA photos and non-human
//! pictures) are data files under `engine/data/perception/`; `models/trained/HUMAN_GATE.md`
//! has the measurements they come from.

use super::align::AlignedFace;
use super::detect::FaceBox;
use super::geometry::{fit_similarity, Point};
use super::identity::{identity_crop, EMBEDDING_DIM};
use super::landmarks::Landmarks;
use super::probes::LinearProbe;
use super::{FacePerception, IdentityEncoder, PerceptionError};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The reference of human faces, as written by `talk-to-edit human-gate fit`.
pub const REFERENCE_JSON: &str = include_str!("../../data/perception/human_reference.json");
/// The gate's rules (features and thresholds, with their provenance).
pub const RULES_TOML: &str = include_str!("../../data/perception/human_gate.toml");

/// Mirror partner of each of the 68 iBUG landmarks (the subject's left <-> right).
pub const MIRROR_68: [usize; 68] = {
    let mut m = [0usize; 68];
    let mut i = 0;
    while i < 68 {
        m[i] = i;
        i += 1;
    }
    let pairs: [(usize, usize); 29] = [
        // Jaw.
        (0, 16),
        (1, 15),
        (2, 14),
        (3, 13),
        (4, 12),
        (5, 11),
        (6, 10),
        (7, 9),
        // Brows.
        (17, 26),
        (18, 25),
        (19, 24),
        (20, 23),
        (21, 22),
        // Nostrils.
        (31, 35),
        (32, 34),
        // Eyes.
        (36, 45),
        (37, 44),
        (38, 43),
        (39, 42),
        (40, 47),
        (41, 46),
        // Outer lips.
        (48, 54),
        (49, 53),
        (50, 52),
        (55, 59),
        (56, 58),
        // Inner lips.
        (60, 64),
        (61, 63),
        (65, 67),
    ];
    let mut k = 0;
    while k < pairs.len() {
        m[pairs[k].0] = pairs[k].1;
        m[pairs[k].1] = pairs[k].0;
        k += 1;
    }
    m
};

/// What the perception networks see of one aligned face, before it is compared with the human
/// reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Observation {
    /// The detector's score of the face.
    pub detector_score: f32,
    /// The 68 landmarks in crop units (0..1 across the aligned crop).
    pub shape: Vec<Point>,
    /// The identity embedding of the aligned face.
    pub embedding: Vec<f32>,
    /// The identity network's output norm before normalising.
    pub embedding_norm: f32,
    /// RMS distance between the landmarks found in the photo and those found again in the
    /// aligned crop, over the eye-to-eye distance.
    pub landmark_rerun: f32,
    /// RMS distance between the landmarks and those of the mirrored crop (mirrored back), over
    /// the eye-to-eye distance.
    pub landmark_flip: f32,
    /// Share of the inner face's pixels (eyes to mouth) whose colour is skin-like.
    pub skin_fraction: f32,
    /// Mean chroma (distance from grey in Cb/Cr) of the inner face's pixels.
    pub chroma: f32,
    /// Share of the inner face's pixels equal to both their right and lower neighbours (flat
    /// paint: drawings, cartoons and emoji have large runs of one colour, photos almost none).
    pub flat_fraction: f32,
}

/// The features the gate judges, one number each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HumanFeatures {
    pub detector_score: f32,
    /// Procrustes residual of the landmarks against the mean human shape (RMS over the shape's
    /// RMS radius).
    pub shape_residual: f32,
    pub landmark_rerun: f32,
    pub landmark_flip: f32,
    /// Cosine of the embedding to the mean human embedding.
    pub identity_to_mean: f32,
    pub embedding_norm: f32,
    pub skin_fraction: f32,
    pub chroma: f32,
    pub flat_fraction: f32,
    /// Logit of the embedding probe ([`HumanReference::probe`]): human faces high.
    pub human_logit: f32,
}

impl HumanFeatures {
    /// The features' names, as the rules use them.
    pub const NAMES: [&'static str; 10] = [
        "detector_score",
        "shape_residual",
        "landmark_rerun",
        "landmark_flip",
        "identity_to_mean",
        "embedding_norm",
        "skin_fraction",
        "chroma",
        "flat_fraction",
        "human_logit",
    ];

    /// Every feature with its name.
    pub fn named(&self) -> [(&'static str, f32); 10] {
        let v = [
            self.detector_score,
            self.shape_residual,
            self.landmark_rerun,
            self.landmark_flip,
            self.identity_to_mean,
            self.embedding_norm,
            self.skin_fraction,
            self.chroma,
            self.flat_fraction,
            self.human_logit,
        ];
        std::array::from_fn(|i| (Self::NAMES[i], v[i]))
    }

    /// The value of the feature called `name`.
    pub fn get(&self, name: &str) -> Option<f32> {
        self.named()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Mean shape and mean embedding of human faces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HumanReference {
    /// Where the numbers come from.
    pub provenance: String,
    /// How many faces were averaged.
    pub faces: usize,
    /// Mean of the 68 landmarks in crop units.
    pub mean_shape: Vec<Point>,
    /// Mean identity embedding, normalised to unit length.
    pub mean_embedding: Vec<f32>,
    /// Logistic probe on the identity embedding: human faces (positive) against non-human
    /// pictures the detector takes for faces.
    pub probe: LinearProbe,
}

impl HumanReference {
    /// The mean shape and embedding of `observations` (human faces), and `probe`.
    pub fn fit(
        observations: &[Observation],
        probe: LinearProbe,
        provenance: &str,
    ) -> Result<Self, PerceptionError> {
        if observations.is_empty() {
            return Err(PerceptionError::BadInput(
                "no faces to fit the human reference on".into(),
            ));
        }
        let n = observations.len() as f64;
        let mut mean_shape = vec![[0.0f64; 2]; 68];
        let mut mean_embedding = vec![0.0f32; EMBEDDING_DIM];
        for o in observations {
            for (m, p) in mean_shape.iter_mut().zip(&o.shape) {
                m[0] += p[0] / n;
                m[1] += p[1] / n;
            }
            for (m, e) in mean_embedding.iter_mut().zip(&o.embedding) {
                *m += e;
            }
        }
        let norm = mean_embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
        Ok(Self {
            provenance: provenance.to_string(),
            faces: observations.len(),
            mean_shape,
            mean_embedding: mean_embedding.iter().map(|x| x / norm).collect(),
            probe,
        })
    }

    /// The reference bundled with the engine ([`REFERENCE_JSON`]).
    pub fn bundled() -> Result<&'static Self, String> {
        static REFERENCE: OnceLock<Result<HumanReference, String>> = OnceLock::new();
        REFERENCE
            .get_or_init(|| {
                let r: HumanReference =
                    serde_json::from_str(REFERENCE_JSON).map_err(|e| e.to_string())?;
                if r.mean_shape.len() != 68
                    || r.mean_embedding.len() != EMBEDDING_DIM
                    || r.probe.weights.len() != EMBEDDING_DIM
                {
                    return Err(format!(
                        "the human reference has {} shape points, {} embedding values and {} \
                         probe weights",
                        r.mean_shape.len(),
                        r.mean_embedding.len(),
                        r.probe.weights.len()
                    ));
                }
                Ok(r)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The features of one observation against this reference.
    pub fn features(&self, o: &Observation) -> HumanFeatures {
        let identity_to_mean = o
            .embedding
            .iter()
            .zip(&self.mean_embedding)
            .map(|(a, b)| a * b)
            .sum();
        HumanFeatures {
            detector_score: o.detector_score,
            shape_residual: procrustes_residual(&o.shape, &self.mean_shape) as f32,
            landmark_rerun: o.landmark_rerun,
            landmark_flip: o.landmark_flip,
            identity_to_mean,
            embedding_norm: o.embedding_norm,
            skin_fraction: o.skin_fraction,
            chroma: o.chroma,
            flat_fraction: o.flat_fraction,
            human_logit: self.probe.logit(&o.embedding),
        }
    }
}

/// RMS distance of `shape`, fitted onto `reference` by the least-squares similarity, from
/// `reference`, over `reference`'s RMS radius (0 for the same shape at any position, size and
/// angle). Infinite when `shape` is degenerate.
pub fn procrustes_residual(shape: &[Point], reference: &[Point]) -> f64 {
    let Some(t) = fit_similarity(shape, reference) else {
        return f64::INFINITY;
    };
    let n = shape.len().min(reference.len());
    if n == 0 {
        return f64::INFINITY;
    }
    let c = reference[..n].iter().fold([0.0, 0.0], |a, p| {
        [a[0] + p[0] / n as f64, a[1] + p[1] / n as f64]
    });
    let (mut err, mut radius) = (0.0, 0.0);
    for (p, q) in shape.iter().zip(reference) {
        let f = t.apply(*p);
        err += (f[0] - q[0]).powi(2) + (f[1] - q[1]).powi(2);
        radius += (q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2);
    }
    (err / radius.max(1e-12)).sqrt()
}

/// RMS distance between two landmark sets over the first one's eye-to-eye distance.
pub fn landmark_disagreement(a: &Landmarks, b: &Landmarks) -> f32 {
    let (el, er) = (a.eye_left(), a.eye_right());
    let eyes = ((er[0] - el[0]).powi(2) + (er[1] - el[1]).powi(2))
        .sqrt()
        .max(1e-6);
    let n = a.0.len().min(b.0.len()).max(1);
    let sq: f64 =
        a.0.iter()
            .zip(&b.0)
            .map(|(p, q)| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
            .sum();
    ((sq / n as f64).sqrt() / eyes) as f32
}

/// Landmarks found in a horizontally mirrored image of width `width`, brought back to the
/// original image: x mirrored and the subject's left and right swapped ([`MIRROR_68`]).
pub fn unmirror(landmarks: &Landmarks, width: u32) -> Landmarks {
    let w = width as f64;
    Landmarks(
        MIRROR_68
            .iter()
            .map(|&j| {
                let p = landmarks.0[j];
                [w - 1.0 - p[0], p[1]]
            })
            .collect(),
    )
}

/// Share of skin-coloured pixels, mean chroma and share of flat pixels (equal to their right and
/// lower neighbours) in the inner face of `crop` (the box from the outer eye corners down to
/// the mouth, in crop pixels). Skin: Cb in 77..=127 and Cr in 133..=173 (Chai and Ngan's YCbCr
/// skin range).
pub fn inner_face_colour(crop: &RgbImage, landmarks: &Landmarks) -> (f32, f32, f32) {
    let lm = &landmarks.0;
    let x0 = lm[36][0].min(lm[48][0]);
    let x1 = lm[45][0].max(lm[54][0]);
    let y0 = (lm[36][1] + lm[45][1]) / 2.0;
    let y1 = (lm[48][1] + lm[54][1]) / 2.0;
    let (w, h) = crop.dimensions();
    let clamp = |v: f64, max: u32| v.round().clamp(0.0, max.saturating_sub(1) as f64) as u32;
    let (x0, x1, y0, y1) = (clamp(x0, w), clamp(x1, w), clamp(y0, h), clamp(y1, h));
    let (mut skin, mut chroma, mut flat, mut n) = (0usize, 0f64, 0usize, 0usize);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let p = crop.get_pixel(x, y);
            if x + 1 < w
                && y + 1 < h
                && crop.get_pixel(x + 1, y) == p
                && crop.get_pixel(x, y + 1) == p
            {
                flat += 1;
            }
            let [r, g, b] = p.0.map(|c| c as f64);
            let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
            let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
            if (77.0..=127.0).contains(&cb) && (133.0..=173.0).contains(&cr) {
                skin += 1;
            }
            chroma += ((cb - 128.0).powi(2) + (cr - 128.0).powi(2)).sqrt();
            n += 1;
        }
    }
    let n = n.max(1) as f32;
    (skin as f32 / n, (chroma / n as f64) as f32, flat as f32 / n)
}

/// A generated face made to look like a photo someone took, for the probe's positives: shrunk
/// to a random size (a face 160-400 px across), turned, shifted, relit, blurred, noised and
/// JPEG-compressed ([`crate::inversion::train_encoder::augment`], stronger than the encoder's),
/// sometimes grey, sometimes partly covered (a hand, hair, a microphone).
pub fn photo_like(render: &RgbImage, seed: u64) -> RgbImage {
    use crate::inversion::train_encoder::{augment, AugmentConfig};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x4855_4d41);
    let side = rng.gen_range(200..=560u32);
    let small = image::imageops::resize(render, side, side, image::imageops::FilterType::Triangle);
    let config = AugmentConfig {
        shift: 0.06 * side as f64,
        rotate: 20.0,
        scale: 0.1,
        gain: 0.25,
        gamma: 1.5,
        blur_probability: 0.4,
        jpeg_probability: 0.7,
        noise: 6.0,
    };
    let (mut out, _) = augment(&small, &Landmarks(Vec::new()), &config, &mut rng);
    if rng.gen_bool(0.12) {
        for p in out.pixels_mut() {
            let y = (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32).round() as u8;
            p.0 = [y; 3];
        }
    }
    if rng.gen_bool(0.3) {
        // A block over part of the face, in one colour (roughly 10-25 % of its area).
        let (w, h) = (
            rng.gen_range(0.15..0.35) * side as f64,
            rng.gen_range(0.15..0.4) * side as f64,
        );
        let (x0, y0) = (
            rng.gen_range(0.25..0.75) * side as f64 - w / 2.0,
            rng.gen_range(0.3..0.8) * side as f64 - h / 2.0,
        );
        let colour = image::Rgb([rng.gen(), rng.gen(), rng.gen()]);
        for y in (y0.max(0.0) as u32)..((y0 + h).min(side as f64) as u32) {
            for x in (x0.max(0.0) as u32)..((x0 + w).min(side as f64) as u32) {
                out.put_pixel(x, y, colour);
            }
        }
    }
    out
}

/// How much the landmarks of an aligned face disagree with those found in its mirror image
/// (brought back, [`landmark_disagreement`]): small on a face, large where the landmark network
/// cannot make one out, so the two runs guess differently. The gate's `landmark_flip`, and the
/// edits' quality guard ([`crate::field::guided::Guards::max_mirror_rise`]): a face melted by
/// an edit reads more asymmetric to the network than it did before. One landmark run (about
/// 30 ms).
pub fn mirror_disagreement(
    aligned: &AlignedFace,
    perception: &FacePerception,
) -> Result<f32, PerceptionError> {
    mirror_disagreement_in(
        &aligned.crop,
        &aligned.face_box_in_crop(),
        &aligned.crop_landmarks(),
        perception,
    )
}

/// [`mirror_disagreement`] of the face in `image` the detector found at `face` with
/// `landmarks` (all in `image`'s pixels): for a render, already in the aligned frame.
pub fn mirror_disagreement_in(
    image: &RgbImage,
    face: &FaceBox,
    landmarks: &Landmarks,
    perception: &FacePerception,
) -> Result<f32, PerceptionError> {
    let w = image.width();
    let mirrored = image::imageops::flip_horizontal(image);
    let mirrored_face = FaceBox {
        x1: w as f32 - face.x2,
        x2: w as f32 - face.x1,
        ..*face
    };
    let flipped = unmirror(
        &perception.landmarks.landmarks(&mirrored, &mirrored_face)?,
        w,
    );
    Ok(landmark_disagreement(landmarks, &flipped))
}

/// Looks at an aligned face with the perception networks ([`Observation`]); about 100 ms (two
/// landmark runs and one identity embedding).
pub fn observe(
    aligned: &AlignedFace,
    perception: &FacePerception,
    identity: &IdentityEncoder,
) -> Result<Observation, PerceptionError> {
    let crop = &aligned.crop;
    let (w, h) = crop.dimensions();
    let crop_lm = aligned.crop_landmarks();
    let face = aligned.face_box_in_crop();
    let rerun = perception.landmarks.landmarks(crop, &face)?;
    let (embedding, embedding_norm) =
        identity.embed_with_norm(&identity_crop(crop, &crop_lm.five_points())?)?;
    let (skin_fraction, chroma, flat_fraction) = inner_face_colour(crop, &crop_lm);
    Ok(Observation {
        detector_score: aligned.face_box.score,
        shape: crop_lm
            .0
            .iter()
            .map(|p| [p[0] / w as f64, p[1] / h as f64])
            .collect(),
        embedding: embedding.0,
        embedding_norm,
        landmark_rerun: landmark_disagreement(&crop_lm, &rerun),
        landmark_flip: mirror_disagreement_in(crop, &face, &crop_lm, perception)?,
        skin_fraction,
        chroma,
        flat_fraction,
    })
}

/// One rule of the gate: a feature must lie within `[min, max]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanRule {
    pub feature: String,
    pub min: Option<f32>,
    pub max: Option<f32>,
    /// What the threshold was chosen from.
    pub why: String,
}

/// The rules file ([`RULES_TOML`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HumanRules {
    pub rule: Vec<HumanRule>,
}

/// The gate's decision on one face.
#[derive(Debug, Clone, PartialEq)]
pub struct HumanVerdict {
    pub features: HumanFeatures,
    /// The rules the face failed (`feature value outside [min, max]`), empty for a human face.
    pub failed: Vec<String>,
}

impl HumanVerdict {
    pub fn is_human(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The people-only gate: reference + rules.
#[derive(Debug, Clone)]
pub struct HumanGate {
    pub reference: HumanReference,
    pub rules: Vec<HumanRule>,
}

impl HumanGate {
    /// The bundled reference and rules (read once).
    pub fn bundled() -> Result<&'static Self, PerceptionError> {
        static GATE: OnceLock<Result<HumanGate, String>> = OnceLock::new();
        GATE.get_or_init(|| {
            let rules: HumanRules = toml::from_str(RULES_TOML).map_err(|e| e.to_string())?;
            Self::new(HumanReference::bundled()?.clone(), rules.rule)
        })
        .as_ref()
        .map_err(|e| PerceptionError::BadInput(format!("the human gate's data is broken: {e}")))
    }

    /// A gate from a reference and rules; every rule must name a feature of [`HumanFeatures`].
    pub fn new(reference: HumanReference, rules: Vec<HumanRule>) -> Result<Self, String> {
        if let Some(bad) = rules
            .iter()
            .find(|r| !HumanFeatures::NAMES.contains(&r.feature.as_str()))
        {
            return Err(format!("a rule on an unknown feature `{}`", bad.feature));
        }
        Ok(Self { reference, rules })
    }

    /// Judges features against the rules.
    pub fn judge(&self, features: HumanFeatures) -> HumanVerdict {
        let failed = self
            .rules
            .iter()
            .filter_map(|r| {
                let v = features.get(&r.feature)?;
                // NaN (a feature that could not be measured) fails closed.
                let low = r.min.is_some_and(|m| v.is_nan() || v < m);
                let high = r.max.is_some_and(|m| v.is_nan() || v > m);
                (low || high).then(|| {
                    format!(
                        "{} {v:.3} outside [{}, {}]",
                        r.feature,
                        r.min.map_or("-".into(), |m| m.to_string()),
                        r.max.map_or("-".into(), |m| m.to_string())
                    )
                })
            })
            .collect();
        HumanVerdict { features, failed }
    }

    /// Observes and judges an aligned face.
    pub fn check(
        &self,
        aligned: &AlignedFace,
        perception: &FacePerception,
        identity: &IdentityEncoder,
    ) -> Result<HumanVerdict, PerceptionError> {
        let o = observe(aligned, perception, identity)?;
        Ok(self.judge(self.reference.features(&o)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perception::geometry::Affine2;

    /// A face-like set of 68 points (not a real face: a jittered ellipse is enough for the maths).
    fn shape() -> Vec<Point> {
        (0..68)
            .map(|i| {
                let t = i as f64 * 0.37;
                [
                    0.5 + 0.3 * t.cos() + 0.01 * (i % 5) as f64,
                    0.5 + 0.4 * t.sin(),
                ]
            })
            .collect()
    }

    #[test]
    fn procrustes_residual_ignores_pose_and_sees_distortion() {
        let reference = shape();
        let moved = Affine2 {
            m: [[2.0 * 0.8, -2.0 * 0.6, 40.0], [2.0 * 0.6, 2.0 * 0.8, -7.0]],
        };
        let posed: Vec<Point> = reference.iter().map(|p| moved.apply(*p)).collect();
        assert!(procrustes_residual(&posed, &reference) < 1e-9);
        // Squashing the shape to half its height is not a similarity: a large residual.
        let squashed: Vec<Point> = reference.iter().map(|p| [p[0], 0.5 * p[1]]).collect();
        let r = procrustes_residual(&squashed, &reference);
        assert!(r > 0.2, "{r}");
        // All points in one place: no fit.
        assert!(procrustes_residual(&[[1.0, 1.0]; 68], &reference).is_infinite());
    }

    #[test]
    fn mirror_pairs_are_an_involution_and_unmirror_undoes_a_flip() {
        for (i, &j) in MIRROR_68.iter().enumerate() {
            assert_eq!(MIRROR_68[j], i, "{i} <-> {j}");
        }
        // Self-mirrored points lie on the face's axis: nose bridge, nose tip, lip centres, chin.
        let centre: Vec<usize> = (0..68).filter(|&i| MIRROR_68[i] == i).collect();
        assert_eq!(centre, vec![8, 27, 28, 29, 30, 33, 51, 57, 62, 66]);
        // What a perfect landmark network finds in the mirror image of a 100 px wide picture:
        // its point k (say the subject's left eye) is the reflection of the original's mirror
        // partner (the right eye). Unmirroring gives the original points back.
        let lm = Landmarks(
            (0..68)
                .map(|i| [20.0 + (i * 37 % 60) as f64, i as f64])
                .collect(),
        );
        let in_mirror = Landmarks(
            (0..68)
                .map(|k| {
                    let p = lm.0[MIRROR_68[k]];
                    [99.0 - p[0], p[1]]
                })
                .collect(),
        );
        let back = unmirror(&in_mirror, 100);
        assert!(landmark_disagreement(&lm, &back) < 1e-9);
        // A plain flip of the coordinates without swapping sides does not.
        let unswapped = Landmarks(lm.0.iter().map(|p| [99.0 - p[0], p[1]]).collect());
        assert!(landmark_disagreement(&lm, &unmirror(&unswapped, 100)) > 0.1);
        // An asymmetric shift shows up, measured in eye distances.
        let shifted = Landmarks(lm.0.iter().map(|p| [p[0] + 3.0, p[1]]).collect());
        let (el, er) = (lm.eye_left(), lm.eye_right());
        let eyes = (er[0] - el[0]).hypot(er[1] - el[1]);
        let d = landmark_disagreement(&lm, &shifted);
        assert!((d - (3.0 / eyes) as f32).abs() < 1e-4, "{d}");
    }

    fn frontal() -> Landmarks {
        let mut pts = vec![[128.0, 128.0]; 68];
        for (k, p) in pts[36..42].iter_mut().enumerate() {
            *p = [90.0 + k as f64, 110.0];
        }
        for (k, p) in pts[42..48].iter_mut().enumerate() {
            *p = [160.0 + k as f64, 110.0];
        }
        pts[48] = [100.0, 180.0];
        pts[54] = [156.0, 180.0];
        Landmarks(pts)
    }

    #[test]
    fn inner_face_colour_tells_skin_paint_and_grey_apart() {
        let lm = frontal();
        // Flat skin-coloured paint: all skin, all flat.
        let paint = RgbImage::from_pixel(256, 256, image::Rgb([224, 172, 140]));
        let (skin, chroma, flat) = inner_face_colour(&paint, &lm);
        assert_eq!((skin, flat), (1.0, 1.0));
        assert!(chroma > 20.0, "{chroma}");
        // The same colour with photo-like noise: still skin, almost nothing flat.
        let mut noisy = paint.clone();
        for (i, p) in noisy.pixels_mut().enumerate() {
            let n = ((i * 7919) % 13) as i32 - 6;
            for c in p.0.iter_mut() {
                *c = (*c as i32 + n + (i % 3) as i32).clamp(0, 255) as u8;
            }
        }
        let (skin, _, flat) = inner_face_colour(&noisy, &lm);
        assert!(skin > 0.95, "{skin}");
        assert!(flat < 0.1, "{flat}");
        // Grey: no skin, no chroma.
        let grey = RgbImage::from_pixel(256, 256, image::Rgb([128, 128, 128]));
        let (skin, chroma, _) = inner_face_colour(&grey, &lm);
        assert_eq!(skin, 0.0);
        assert!(chroma < 1e-3, "{chroma}");
    }

    #[test]
    fn rules_fail_closed_and_name_what_failed() {
        let reference = HumanReference {
            provenance: "test".into(),
            faces: 1,
            mean_shape: shape(),
            mean_embedding: vec![0.0; EMBEDDING_DIM],
            probe: LinearProbe {
                target: "human".into(),
                weights: vec![0.0; EMBEDDING_DIM],
                bias: 1.0,
                positives: 1,
                examples: 2,
            },
        };
        let rules = vec![
            HumanRule {
                feature: "embedding_norm".into(),
                min: Some(2.0),
                max: None,
                why: "test".into(),
            },
            HumanRule {
                feature: "flat_fraction".into(),
                min: None,
                max: Some(0.3),
                why: "test".into(),
            },
        ];
        let gate = HumanGate::new(reference.clone(), rules.clone()).unwrap();
        let mut f = HumanFeatures {
            detector_score: 1.0,
            shape_residual: 0.1,
            landmark_rerun: 0.01,
            landmark_flip: 0.03,
            identity_to_mean: 0.1,
            embedding_norm: 3.0,
            skin_fraction: 0.9,
            chroma: 30.0,
            flat_fraction: 0.0,
            human_logit: 1.0,
        };
        assert!(gate.judge(f).is_human());
        f.flat_fraction = 0.8;
        let v = gate.judge(f);
        assert_eq!(v.failed.len(), 1);
        assert!(
            v.failed[0].starts_with("flat_fraction 0.800"),
            "{:?}",
            v.failed
        );
        f.flat_fraction = 0.0;
        f.embedding_norm = f32::NAN;
        assert!(!gate.judge(f).is_human(), "NaN fails closed");
        let mut bad = rules;
        bad[0].feature = "no_such_feature".into();
        assert!(HumanGate::new(reference, bad).is_err());
    }
}
