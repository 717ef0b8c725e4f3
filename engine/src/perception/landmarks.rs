//! 68 facial landmarks (the iBUG 300-W layout) from Faceplugin's `fr_landmark.onnx` run by
//! candle-onnx: the detector's box is cropped, made grey, resized to 64x64 and scaled by 1/256;
//! the network returns (x, y) pairs in [0, 1] of the box.

use super::detect::FaceBox;
use super::geometry::{warp_affine_antialiased, Affine2, Point};
use super::onnx::OnnxNet;
use super::PerceptionError;
use candle_core::{Device, Tensor};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Side of the landmark network's input.
pub const LANDMARK_INPUT: u32 = 64;

/// 68 points in pixel-index coordinates (pixel `(i, j)`'s centre is `(i, j)`; iBUG order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
/// mouth 48-67).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landmarks(pub Vec<Point>);

fn mean(ps: &[Point]) -> Point {
    let n = ps.len() as f64;
    let s = ps
        .iter()
        .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
    [s[0] / n, s[1] / n]
}

impl Landmarks {
    /// Centre of the eye on the image's left (points 36-41: the subject's right eye).
    pub fn eye_left(&self) -> Point {
        mean(&self.0[36..42])
    }
    /// Centre of the eye on the image's right (points 42-47).
    pub fn eye_right(&self) -> Point {
        mean(&self.0[42..48])
    }
    /// Mouth corners 48 and 54.
    pub fn mouth_left(&self) -> Point {
        self.0[48]
    }
    pub fn mouth_right(&self) -> Point {
        self.0[54]
    }
    /// Midpoint of the mouth corners.
    pub fn mouth_centre(&self) -> Point {
        mean(&[self.0[48], self.0[54]])
    }
    /// Nose tip (point 30).
    pub fn nose_tip(&self) -> Point {
        self.0[30]
    }
    /// Eyes, nose tip and mouth corners: the five points of the identity crop.
    pub fn five_points(&self) -> [Point; 5] {
        [
            self.eye_left(),
            self.eye_right(),
            self.nose_tip(),
            self.mouth_left(),
            self.mouth_right(),
        ]
    }
    /// Every point through `t`.
    pub fn transformed(&self, t: &Affine2) -> Landmarks {
        Landmarks(self.0.iter().map(|p| t.apply(*p)).collect())
    }
}

/// The landmark network.
pub struct LandmarkModel {
    net: OnnxNet,
    device: Device,
}

impl LandmarkModel {
    /// Loads `fr_landmark.onnx`.
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            net: OnnxNet::load(path, "input")?,
            device: Device::Cpu,
        })
    }

    /// The 68 landmarks of the face in `face` (a detector box) of `image`.
    pub fn landmarks(
        &self,
        image: &RgbImage,
        face: &FaceBox,
    ) -> Result<Landmarks, PerceptionError> {
        let (bw, bh) = (face.width() as f64, face.height() as f64);
        if !(bw >= 2.0 && bh >= 2.0) {
            return Err(PerceptionError::BadInput(format!(
                "face box {bw}x{bh} is too small"
            )));
        }
        let n = LANDMARK_INPUT as f64;
        // The box is continuous (pixel i spans [i, i + 1]); output pixel u samples pixel index
        // x1 + (u + 0.5) * bw / 64 - 0.5.
        let (sx, sy) = (bw / n, bh / n);
        let crop_to_image = Affine2 {
            m: [
                [sx, 0.0, face.x1 as f64 + 0.5 * sx - 0.5],
                [0.0, sy, face.y1 as f64 + 0.5 * sy - 0.5],
            ],
        };
        let crop = warp_affine_antialiased(image, &crop_to_image, LANDMARK_INPUT, LANDMARK_INPUT);
        let grey: Vec<f32> = crop
            .pixels()
            .map(|p| {
                (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32).round() / 256.0
            })
            .collect();
        let s = LANDMARK_INPUT as usize;
        let x = Tensor::from_vec(grey, (1, 1, s, s), &self.device)?;
        let v = self
            .net
            .run(x, &["output"])?
            .remove(0)
            .flatten_all()?
            .to_vec1::<f32>()?;
        if v.len() != 136 || v.iter().any(|x| !x.is_finite()) {
            return Err(PerceptionError::Inference(format!(
                "fr_landmark: {} values (expected 136 finite)",
                v.len()
            )));
        }
        Ok(Landmarks(
            v.chunks(2)
                .map(|p| {
                    [
                        face.x1 as f64 + p[0] as f64 * bw - 0.5,
                        face.y1 as f64 + p[1] as f64 * bh - 0.5,
                    ]
                })
                .collect(),
        ))
    }
}
