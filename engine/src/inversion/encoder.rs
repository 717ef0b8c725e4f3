//! The learned inversion encoder: an aligned face (its identity embedding, its 68 landmarks and
//! a small contrast-normalised patch of its pixels) -> a w code, broadcast to W+ `[1, 23, 512]`.
//!
//! By default it is a single linear layer (`layers = 0`; hidden GELU layers are supported):
//! on held-out generated faces and on real photos the linear map gave clearly higher identity
//! cosines than 2-layer MLPs with dropout, whose lower latent error came from the parts of w that
//! do not carry the identity (see `models/trained/ENCODER.md`). It is trained by
//! [`super::train_encoder`] on generated (w, face) pairs with a latent mean squared error in
//! whitened coordinates (`(w - mean) / std` per dimension). Its
//! inputs are chosen to carry over from generated faces to real photos: the identity embedding
//! (`fr_feature`, trained on real photos), landmarks as fractions of the crop side, and pixels
//! only from the face's centre, normalised per image (brightness and contrast removed) and seen
//! in training through JPEG, blur, noise, colour and geometry augmentation.
//!
//! File format: safetensors (f16 weights) with `format = "inversion-encoder"` and the
//! [`EncoderConfig`] as JSON metadata.

use super::InversionError;
use crate::generator::{LATENT_DIM, NUM_STYLES};
use crate::perception::identity::{identity_crop, EMBEDDING_DIM};
use crate::perception::{AlignedFace, Embedding, IdentityEncoder, Landmarks};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{linear, Linear, VarBuilder, VarMap};
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The `format` metadata entry of an encoder file.
pub const ENCODER_FORMAT: &str = "inversion-encoder";
/// Number of landmarks the encoder reads.
pub const LANDMARK_COUNT: usize = 68;
/// Side of the aligned crop the encoder reads (as `FacePerception::align(photo, 128)`).
pub const ENCODER_CROP: u32 = 128;

impl crate::tagged_file::FileError for InversionError {
    fn file(path: &Path, reason: String) -> Self {
        InversionError::BadInput(format!("encoder file {}: {reason}", path.display()))
    }
}

/// Shape of the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    /// Side of the square pixel patch (taken from the crop's centre, resized to this side).
    pub patch_side: usize,
    /// Fraction of the crop's side the patch covers (centred).
    pub patch_fraction: f32,
    /// Width of the hidden layers.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
    /// Scale applied to the embedding before it enters the network (its entries are ~0.044).
    pub embedding_scale: f32,
    /// Factor on the predicted whitened code: a regression to the mean predicts codes that are
    /// too close to the mean face, and a factor above 1 (chosen on validation faces by
    /// identity) undoes part of that shrinkage.
    #[serde(default = "unit_scale")]
    pub output_scale: f32,
    /// Orthonormal directions projected out of the identity embedding (then re-normalised)
    /// before it is read: the mean embedding of generated faces and that of real photos. Every
    /// generated face's embedding carries about 0.25 of the generated mean, real photos' carry
    /// their own, nearly orthogonal mean; neither says who the person is, and left in they make
    /// every real photo look out of distribution to a network trained on generated faces.
    #[serde(default)]
    pub embedding_removed: Vec<Vec<f32>>,
    /// Normalise each colour channel of the patch on its own (removes white balance too).
    #[serde(default)]
    pub patch_per_channel: bool,
}

/// Orthonormal directions spanning `vectors` (Gram-Schmidt; near-dependent ones are dropped).
pub fn orthonormal_directions(vectors: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = Vec::new();
    for v in vectors {
        let mut r = v.clone();
        for d in &out {
            let dot: f32 = r.iter().zip(d).map(|(a, b)| a * b).sum();
            r.iter_mut().zip(d).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 1e-3 {
            out.push(r.into_iter().map(|x| x / norm).collect());
        }
    }
    out
}

fn unit_scale() -> f32 {
    1.0
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            patch_side: 32,
            patch_fraction: 0.75,
            hidden: 768,
            layers: 0,
            embedding_scale: 20.0,
            output_scale: 1.0,
            embedding_removed: Vec::new(),
            patch_per_channel: false,
        }
    }
}

impl EncoderConfig {
    /// Length of the pixel part of the feature vector.
    pub fn patch_len(&self) -> usize {
        3 * self.patch_side * self.patch_side
    }

    /// Length of the whole feature vector.
    pub fn feature_len(&self) -> usize {
        EMBEDDING_DIM + 2 * LANDMARK_COUNT + self.patch_len()
    }
}

/// What the encoder reads of one face.
#[derive(Debug, Clone)]
pub struct EncoderInput {
    /// The aligned crop ([`ENCODER_CROP`] px, as `FacePerception::align(photo, 128).crop`; other
    /// square sizes are resized).
    pub crop: RgbImage,
    /// The face's identity embedding (`fr_feature`, taken from the photo).
    pub identity: Embedding,
    /// The 68 landmarks in crop pixels.
    pub crop_landmarks: Landmarks,
}

impl EncoderInput {
    /// The input of a face aligned at any square size from `photo` (landmarks are rescaled to
    /// the crop's [`ENCODER_CROP`] px version, the embedding is taken from the photo).
    pub fn from_aligned(
        photo: &RgbImage,
        aligned: &AlignedFace,
        identity: &IdentityEncoder,
    ) -> Result<Self, InversionError> {
        let embedding = identity.embed(&identity_crop(photo, &aligned.landmarks.five_points())?)?;
        let side = aligned.crop.width();
        let scale = ENCODER_CROP as f64 / side as f64;
        let crop = if side == ENCODER_CROP {
            aligned.crop.clone()
        } else {
            image::imageops::resize(
                &aligned.crop,
                ENCODER_CROP,
                ENCODER_CROP,
                FilterType::Triangle,
            )
        };
        let landmarks = aligned
            .crop_landmarks()
            .0
            .iter()
            .map(|p| [(p[0] + 0.5) * scale - 0.5, (p[1] + 0.5) * scale - 0.5])
            .collect();
        Ok(Self {
            crop,
            identity: embedding,
            crop_landmarks: Landmarks(landmarks),
        })
    }
}

/// The feature vector of one face: scaled embedding, landmarks as centred fractions of the
/// crop side, and the contrast-normalised central patch (planar RGB).
pub fn features(config: &EncoderConfig, input: &EncoderInput) -> Result<Vec<f32>, InversionError> {
    let (w, h) = input.crop.dimensions();
    if w != h || w < 32 {
        return Err(InversionError::BadInput(format!(
            "the encoder reads a square aligned crop of at least 32 px, got {w}x{h}"
        )));
    }
    if input.identity.0.len() != EMBEDDING_DIM {
        return Err(InversionError::BadInput(format!(
            "identity embedding has {} values, expected {EMBEDDING_DIM}",
            input.identity.0.len()
        )));
    }
    if input.crop_landmarks.0.len() != LANDMARK_COUNT {
        return Err(InversionError::BadInput(format!(
            "{} landmarks, expected {LANDMARK_COUNT}",
            input.crop_landmarks.0.len()
        )));
    }
    let mut out = Vec::with_capacity(config.feature_len());
    let mut e = input.identity.0.clone();
    for d in &config.embedding_removed {
        if d.len() != EMBEDDING_DIM {
            return Err(InversionError::BadInput(format!(
                "a removed embedding direction has {} values",
                d.len()
            )));
        }
        let dot: f32 = e.iter().zip(d).map(|(a, b)| a * b).sum();
        e.iter_mut().zip(d).for_each(|(a, b)| *a -= dot * b);
    }
    let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    out.extend(e.iter().map(|v| v / norm * config.embedding_scale));
    let side = w as f64;
    for p in &input.crop_landmarks.0 {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return Err(InversionError::BadInput("a landmark is not finite".into()));
        }
        out.push((4.0 * ((p[0] + 0.5) / side - 0.5)) as f32);
        out.push((4.0 * ((p[1] + 0.5) / side - 0.5)) as f32);
    }
    out.extend(patch(config, &input.crop));
    Ok(out)
}

/// The centre of the crop resized to `patch_side`, normalised to zero mean and unit spread
/// over all its values (planar RGB); empty when `patch_side` is 0.
pub fn patch(config: &EncoderConfig, crop: &RgbImage) -> Vec<f32> {
    if config.patch_side == 0 {
        return Vec::new();
    }
    let side = crop.width();
    let inner = ((side as f32 * config.patch_fraction).round() as u32).clamp(1, side);
    let offset = (side - inner) / 2;
    let centre = image::imageops::crop_imm(crop, offset, offset, inner, inner).to_image();
    let s = config.patch_side as u32;
    let small = image::imageops::resize(&centre, s, s, FilterType::Triangle);
    let n = (s * s) as usize;
    let mut planar = vec![0f32; 3 * n];
    for (i, p) in small.pixels().enumerate() {
        for c in 0..3 {
            planar[c * n + i] = p.0[c] as f32;
        }
    }
    let groups: Vec<&mut [f32]> = if config.patch_per_channel {
        planar.chunks_mut(n).collect()
    } else {
        vec![&mut planar[..]]
    };
    for values in groups {
        let mean = values.iter().sum::<f32>() / values.len() as f32;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
        let std = var.sqrt().max(4.0);
        values.iter_mut().for_each(|v| *v = (*v - mean) / std);
    }
    planar
}

/// The network: `layers` hidden layers (linear + GELU, none by default) and a linear head to
/// whitened w.
pub struct EncoderNetwork {
    hidden: Vec<Linear>,
    head: Linear,
}

impl EncoderNetwork {
    pub fn load(vb: VarBuilder, config: &EncoderConfig) -> candle_core::Result<Self> {
        let mut hidden = Vec::with_capacity(config.layers);
        let mut width = config.feature_len();
        for i in 0..config.layers {
            hidden.push(linear(width, config.hidden, vb.pp(format!("hidden{i}")))?);
            width = config.hidden;
        }
        let head = linear(width, LATENT_DIM, vb.pp("head"))?;
        Ok(Self { hidden, head })
    }

    /// `[b, feature_len]` -> whitened w `[b, 512]`; `dropout` is applied after every hidden
    /// layer (training only).
    pub fn forward_t(&self, x: &Tensor, dropout: Option<f32>) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.hidden {
            h = layer.forward(&h)?.gelu_erf()?;
            if let Some(p) = dropout {
                h = candle_nn::ops::dropout(&h, p)?;
            }
        }
        self.head.forward(&h)
    }
}

/// The encoder: network plus the whitening of w.
pub struct InversionEncoder {
    pub config: EncoderConfig,
    network: EncoderNetwork,
    /// Mean of the training w `[1, 512]`.
    w_mean: Tensor,
    /// Per-dimension spread of the training w `[1, 512]`.
    w_std: Tensor,
    device: Device,
    metadata: HashMap<String, String>,
}

impl InversionEncoder {
    /// Loads an encoder file (see the module doc); any other file gets a clear error.
    pub fn load(path: &Path, device: &Device) -> Result<Self, InversionError> {
        if !path.is_file() {
            return Err(InversionError::MissingWeights(path.to_path_buf()));
        }
        let (tensors, metadata) =
            crate::tagged_file::read_file::<InversionError>(path, ENCODER_FORMAT, device)?;
        let config: EncoderConfig =
            crate::tagged_file::metadata_json::<_, InversionError>(path, &metadata, "config")?;
        let get = |name: &str| {
            tensors.get(name).cloned().ok_or_else(|| {
                InversionError::BadInput(format!(
                    "encoder file {}: no tensor {name}",
                    path.display()
                ))
            })
        };
        let w_mean = get("w_mean")?;
        let w_std = get("w_std")?;
        for (name, t) in [("w_mean", &w_mean), ("w_std", &w_std)] {
            if t.dims() != [1, LATENT_DIM] {
                return Err(InversionError::BadInput(format!(
                    "encoder file {}: {name} has shape {:?}, expected [1, {LATENT_DIM}]",
                    path.display(),
                    t.dims()
                )));
            }
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let network = EncoderNetwork::load(vb.pp("net"), &config).map_err(|e| {
            InversionError::BadInput(format!(
                "encoder file {} does not match its config: {e}",
                path.display()
            ))
        })?;
        Ok(Self {
            config,
            network,
            w_mean,
            w_std,
            device: device.clone(),
            metadata,
        })
    }

    /// An encoder from trained parts (used by training).
    pub fn from_parts(
        config: EncoderConfig,
        varmap: &VarMap,
        w_mean: Tensor,
        w_std: Tensor,
        device: &Device,
    ) -> Result<Self, InversionError> {
        let vb = VarBuilder::from_varmap(varmap, DType::F32, device);
        let network = EncoderNetwork::load(vb.pp("net"), &config)?;
        Ok(Self {
            config,
            network,
            w_mean,
            w_std,
            device: device.clone(),
            metadata: HashMap::new(),
        })
    }

    /// The network (for training).
    pub fn network(&self) -> &EncoderNetwork {
        &self.network
    }

    /// String metadata of the loaded file (training record).
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// Whitened `[b, 512]` -> w `[b, 512]`.
    pub fn unwhiten(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        z.broadcast_mul(&self.w_std)?.broadcast_add(&self.w_mean)
    }

    /// w `[b, 512]` -> whitened `[b, 512]`.
    pub fn whiten(&self, w: &Tensor) -> candle_core::Result<Tensor> {
        w.broadcast_sub(&self.w_mean)?.broadcast_div(&self.w_std)
    }

    /// w `[b, 512]` of a batch of feature vectors `[b, feature_len]`.
    pub fn encode_features(&self, x: &Tensor) -> Result<Tensor, InversionError> {
        let z = (self.network.forward_t(x, None)? * self.config.output_scale as f64)?;
        Ok(self.unwhiten(&z)?)
    }

    /// W+ code `[1, 23, 512]` of one face (the predicted w broadcast to every style).
    pub fn encode(&self, input: &EncoderInput) -> Result<Tensor, InversionError> {
        let f = features(&self.config, input)?;
        let x = Tensor::from_vec(f, (1, self.config.feature_len()), &self.device)?;
        let w = self.encode_features(&x)?;
        Ok(w.unsqueeze(1)?
            .broadcast_as((1, NUM_STYLES, LATENT_DIM))?
            .contiguous()?)
    }

    /// Writes the encoder (f16 weights) with `extra` metadata entries.
    pub fn save(
        &self,
        path: &Path,
        varmap: &VarMap,
        extra: HashMap<String, String>,
    ) -> Result<(), InversionError> {
        let mut tensors: Vec<(String, Tensor)> = varmap
            .data()
            .lock()
            .map_err(|_| InversionError::BadInput("variable map lock poisoned".into()))?
            .iter()
            .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        tensors.push(("w_mean".into(), self.w_mean.clone()));
        tensors.push(("w_std".into(), self.w_std.clone()));
        let mut metadata = extra;
        metadata.insert("format".into(), ENCODER_FORMAT.into());
        metadata.insert(
            "config".into(),
            serde_json::to_string(&self.config)
                .map_err(|e| InversionError::BadInput(e.to_string()))?,
        );
        crate::tagged_file::write_file_as::<InversionError>(path, &tensors, metadata, true)
    }
}

/// Mean over dimension 0 of squared differences (helper for losses and reports).
pub fn mean_squared(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    (a - b)?.sqr()?.mean(D::Minus1)?.mean(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(side: u32) -> EncoderInput {
        EncoderInput {
            crop: RgbImage::from_fn(side, side, |x, y| image::Rgb([x as u8, y as u8, 90])),
            identity: Embedding(vec![0.0442; EMBEDDING_DIM]),
            crop_landmarks: Landmarks(vec![[64.0, 64.0]; LANDMARK_COUNT]),
        }
    }

    #[test]
    fn features_have_the_configured_length_and_a_normalised_patch() {
        let config = EncoderConfig::default();
        let f = features(&config, &input(128)).unwrap();
        assert_eq!(f.len(), config.feature_len());
        let p = &f[EMBEDDING_DIM + 2 * LANDMARK_COUNT..];
        let mean = p.iter().sum::<f32>() / p.len() as f32;
        let var = p.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / p.len() as f32;
        assert!(mean.abs() < 1e-4, "mean {mean}");
        assert!((var - 1.0).abs() < 1e-3, "var {var}");
        // The crop centre maps to 0 in landmark units.
        assert!(f[EMBEDDING_DIM].abs() < 0.02);
    }

    #[test]
    fn per_channel_patches_centre_every_channel() {
        let config = EncoderConfig {
            patch_per_channel: true,
            ..EncoderConfig::default()
        };
        let p = patch(&config, &input(128).crop);
        for channel in p.chunks(p.len() / 3) {
            let mean = channel.iter().sum::<f32>() / channel.len() as f32;
            assert!(mean.abs() < 1e-4, "channel mean {mean}");
        }
        // Without it the constant blue channel stays apart from the others.
        let p = patch(&EncoderConfig::default(), &input(128).crop);
        let blue = &p[2 * p.len() / 3..];
        assert!(blue.iter().sum::<f32>().abs() > 1.0);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let config = EncoderConfig::default();
        let mut i = input(128);
        i.crop_landmarks.0.pop();
        assert!(matches!(
            features(&config, &i),
            Err(InversionError::BadInput(_))
        ));
        let mut i = input(128);
        i.identity.0.truncate(10);
        assert!(matches!(
            features(&config, &i),
            Err(InversionError::BadInput(_))
        ));
        let i = EncoderInput {
            crop: RgbImage::new(128, 100),
            ..input(128)
        };
        assert!(matches!(
            features(&config, &i),
            Err(InversionError::BadInput(_))
        ));
    }
}
