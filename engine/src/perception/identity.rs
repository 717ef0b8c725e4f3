//! Identity embedding: Faceplugin's `fr_feature.onnx` (a MobileFaceNet-style network, PReLU) run
//! by candle-onnx. A 112x112 RGB crop aligned to [`ARCFACE_REFERENCE_POINTS`] becomes a 512-d
//! L2-normalised vector; [`cosine`] compares two of them (same person: high, different: low).

use super::geometry::{fit_similarity, warp_affine_antialiased, Affine2, Point};
use super::onnx::OnnxNet;
use super::PerceptionError;
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::path::Path;

/// Side of the crop the encoder takes.
pub const IDENTITY_CROP: u32 = 112;
/// Width of an embedding.
pub const EMBEDDING_DIM: usize = 512;

/// Where the left eye, right eye, nose tip, left and right mouth corners sit in the 112x112 crop
/// (the widely used ArcFace reference, also Faceplugin's `REFERENCE_FACIAL_POINTS`).
pub const ARCFACE_REFERENCE_POINTS: [Point; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Mean eye centres, nose tip and mouth corners of generated faces in the generator's 1024x1024
/// frame, measured with [`crate::perception::FacePerception`] on 32 faces (seeds 100..132,
/// truncation 0.7; spread: eyes 6 px, mouth 21 px, nose 30 px). Generated faces are aligned by
/// construction, so their identity crop can be a fixed transform ([`generated_identity_crop`]).
pub const GENERATOR_FIVE_POINTS_1024: [Point; 5] = [
    [387.9, 479.2],
    [632.9, 478.0],
    [513.0, 623.7],
    [399.4, 742.0],
    [625.2, 743.4],
];

/// A 512-d L2-normalised identity embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(pub Vec<f32>);

/// Cosine similarity of two embeddings (their dot product: both are unit length).
pub fn cosine(a: &Embedding, b: &Embedding) -> f32 {
    a.0.iter().zip(&b.0).map(|(x, y)| x * y).sum()
}

/// The identity network.
pub struct IdentityEncoder {
    net: OnnxNet,
    device: Device,
}

impl IdentityEncoder {
    /// Loads `fr_feature.onnx` (`ModelStore::file("faceplugin", "package/model/fr_feature.onnx")`).
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            net: OnnxNet::load(path, "input")?,
            device: Device::Cpu,
        })
    }

    /// Embeds a 112x112 crop aligned to [`ARCFACE_REFERENCE_POINTS`].
    pub fn embed(&self, crop: &RgbImage) -> Result<Embedding, PerceptionError> {
        Ok(self.embed_with_norm(crop)?.0)
    }

    /// [`Self::embed`], with the network's output norm before normalising (how strongly the
    /// network responds: the people-only gate in [`super::human`] reads it).
    pub fn embed_with_norm(&self, crop: &RgbImage) -> Result<(Embedding, f32), PerceptionError> {
        if crop.dimensions() != (IDENTITY_CROP, IDENTITY_CROP) {
            return Err(PerceptionError::BadInput(format!(
                "identity crop must be {IDENTITY_CROP}x{IDENTITY_CROP}, got {}x{}",
                crop.width(),
                crop.height()
            )));
        }
        // (pixel - 127) / 128, planar RGB.
        let x = rgb_planar(crop, |p| (p - 127.0) / 128.0);
        let s = IDENTITY_CROP as usize;
        let x = Tensor::from_vec(x, (1, 3, s, s), &self.device)?;
        let out = self.net.run(x, &["output"])?.remove(0);
        let v = out.flatten_all()?.to_vec1::<f32>()?;
        if v.len() != EMBEDDING_DIM {
            return Err(PerceptionError::Inference(format!(
                "fr_feature: {} values, expected {EMBEDDING_DIM}",
                v.len()
            )));
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(PerceptionError::Inference(format!(
                "fr_feature: embedding norm {norm}"
            )));
        }
        Ok((Embedding(v.into_iter().map(|x| x / norm).collect()), norm))
    }

    /// Embeds a batch of crops given as a tensor `[b, 3, 112, 112]`, already scaled as the
    /// network expects (`(pixel - 127) / 128`), and returns unit embeddings `[b, 512]`. Plain
    /// candle ops all the way, so gradients flow back to `x` (used by the inversion's identity
    /// term).
    pub fn embed_tensor(&self, x: &Tensor) -> Result<Tensor, PerceptionError> {
        let s = IDENTITY_CROP as usize;
        let (b, c, h, w) = x.dims4()?;
        if (c, h, w) != (3, s, s) {
            return Err(PerceptionError::BadInput(format!(
                "identity input must be [b, 3, {s}, {s}], got {:?}",
                x.dims()
            )));
        }
        let out = self
            .net
            .run(x.clone(), &["output"])?
            .remove(0)
            .reshape((b, EMBEDDING_DIM))?;
        let norm = out.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(out.broadcast_div(&norm)?)
    }

    /// Crops with [`identity_crop`] and embeds.
    pub fn embed_face(
        &self,
        image: &RgbImage,
        five: &[Point; 5],
    ) -> Result<Embedding, PerceptionError> {
        self.embed(&identity_crop(image, five)?)
    }
}

/// Transform from the 112x112 identity crop to `image` coordinates, fitted (least-squares
/// similarity) from five points (eyes, nose tip, mouth corners) to [`ARCFACE_REFERENCE_POINTS`].
pub fn identity_transform(five: &[Point; 5]) -> Result<Affine2, PerceptionError> {
    fit_similarity(&ARCFACE_REFERENCE_POINTS, five)
        .ok_or_else(|| PerceptionError::BadInput("degenerate face points".into()))
}

/// The 112x112 identity crop of a face given its five points in `image`.
pub fn identity_crop(image: &RgbImage, five: &[Point; 5]) -> Result<RgbImage, PerceptionError> {
    let t = identity_transform(five)?;
    Ok(warp_affine_antialiased(
        image,
        &t,
        IDENTITY_CROP,
        IDENTITY_CROP,
    ))
}

/// The identity crop of a generated face (any square size) through the fixed
/// [`GENERATOR_FIVE_POINTS_1024`] template: no detector or landmarks needed.
pub fn generated_identity_crop(image: &RgbImage) -> Result<RgbImage, PerceptionError> {
    let (w, h) = image.dimensions();
    if w != h || w < IDENTITY_CROP {
        return Err(PerceptionError::BadInput(format!(
            "a generated face is square and at least {IDENTITY_CROP} px, got {w}x{h}"
        )));
    }
    let k = w as f64 / 1024.0;
    let five = GENERATOR_FIVE_POINTS_1024.map(|p| [(p[0] + 0.5) * k - 0.5, (p[1] + 0.5) * k - 0.5]);
    identity_crop(image, &five)
}

/// Planar `[3 * h * w]` f32 from an RGB image, each value through `f`.
pub(crate) fn rgb_planar(img: &RgbImage, f: impl Fn(f32) -> f32) -> Vec<f32> {
    let plane = (img.width() * img.height()) as usize;
    let mut out = vec![0f32; 3 * plane];
    for (i, p) in img.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = f(p[c] as f32);
        }
    }
    out
}
