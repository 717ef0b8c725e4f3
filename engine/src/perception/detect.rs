//! Face boxes: Faceplugin's `fr_detect.onnx` (an Ultra-Light-style SSD with 4420 priors at
//! 320x240, box decoding inside the graph) run by candle-onnx, then score threshold and NMS.

use super::identity::rgb_planar;
use super::onnx::OnnxNet;
use super::PerceptionError;
use candle_core::{Device, Tensor};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The detector's input width and height.
pub const DETECT_INPUT: (u32, u32) = (320, 240);

/// A face box in continuous image coordinates (pixel `i` spans `[i, i + 1]`), with the
/// detector's confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub score: f32,
}

impl FaceBox {
    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }
    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }
    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }
    /// Intersection over union.
    pub fn iou(&self, o: &FaceBox) -> f32 {
        let w = (self.x2.min(o.x2) - self.x1.max(o.x1)).max(0.0);
        let h = (self.y2.min(o.y2) - self.y1.max(o.y1)).max(0.0);
        let inter = w * h;
        let union = self.area() + o.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// Thresholds of [`FaceDetector::detect`].
#[derive(Debug, Clone, Copy)]
pub struct DetectConfig {
    /// Minimum face probability (Faceplugin's SDK uses 0.65).
    pub min_score: f32,
    /// Boxes overlapping a better one by more than this IoU are dropped.
    pub nms_iou: f32,
    /// Boxes narrower than this many pixels (in the photo) are dropped.
    pub min_side: f32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            min_score: 0.7,
            nms_iou: 0.4,
            min_side: 16.0,
        }
    }
}

/// The face detector.
pub struct FaceDetector {
    net: OnnxNet,
    device: Device,
    pub config: DetectConfig,
}

impl FaceDetector {
    /// Loads `fr_detect.onnx`.
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            net: OnnxNet::load(path, "input")?,
            device: Device::Cpu,
            config: DetectConfig::default(),
        })
    }

    /// All faces in `image`, best score first. The photo is resized to 320x240 (aspect not kept,
    /// as in Faceplugin's SDK), normalised as (p - 127) / 128.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<FaceBox>, PerceptionError> {
        let (w, h) = image.dimensions();
        if w < 2 || h < 2 {
            return Err(PerceptionError::BadInput(format!("image is {w}x{h}")));
        }
        let (iw, ih) = DETECT_INPUT;
        let small = image::imageops::resize(image, iw, ih, image::imageops::FilterType::Triangle);
        let x = rgb_planar(&small, |p| (p - 127.0) / 128.0);
        let x = Tensor::from_vec(x, (1, 3, ih as usize, iw as usize), &self.device)?;
        let mut out = self.net.run(x, &["scores", "boxes"])?;
        let boxes = out.pop().unwrap().flatten_all()?.to_vec1::<f32>()?;
        let scores = out.pop().unwrap().flatten_all()?.to_vec1::<f32>()?;
        if scores.len() * 2 != boxes.len() {
            return Err(PerceptionError::Inference(format!(
                "fr_detect: {} scores for {} box values",
                scores.len(),
                boxes.len()
            )));
        }
        let (fw, fh) = (w as f32, h as f32);
        let mut cands: Vec<FaceBox> = (0..scores.len() / 2)
            .filter(|&i| scores[2 * i + 1] >= self.config.min_score)
            .map(|i| {
                let b = &boxes[4 * i..4 * i + 4];
                FaceBox {
                    x1: b[0] * fw,
                    y1: b[1] * fh,
                    x2: b[2] * fw,
                    y2: b[3] * fh,
                    score: scores[2 * i + 1],
                }
            })
            .filter(|b| b.width().min(b.height()) >= self.config.min_side && b.score.is_finite())
            .collect();
        cands.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<FaceBox> = Vec::new();
        for c in cands {
            if kept.iter().all(|k| k.iou(&c) <= self.config.nms_iou) {
                kept.push(c);
            }
        }
        Ok(kept)
    }
}
