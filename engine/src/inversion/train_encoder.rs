//! Training of the [`InversionEncoder`] on generated (w, aligned face) pairs.
//!
//! - [`render_pair`]: renders one seeded face and takes what the encoder reads of it (the
//!   128 px aligned crop, crop landmarks, the identity embedding of the clean render and of a
//!   degraded copy — downscaled to a CelebA-like face size and JPEG-compressed — so the network
//!   sees embeddings of low-quality photos too).
//! - [`augment`]: the pixel/geometry augmentation toward real photos (small similarity jitter of
//!   the crop and its landmarks, colour gains, gamma, contrast, blur, noise, JPEG).
//! - [`train`]: precomputes `copies` augmented feature vectors per face, then AdamW on the mean
//!   squared error of whitened w (`(w - mean) / std` per dimension, so every dimension counts
//!   alike), with Gaussian noise on the embedding part and dropout; cosine learning-rate decay.

use super::encoder::{
    features, mean_squared, EncoderConfig, EncoderInput, InversionEncoder, ENCODER_CROP,
};
use super::InversionError;
use crate::generator::{Generator, LATENT_DIM};
use crate::perception::geometry::{warp_affine, Affine2};
use crate::perception::identity::{identity_crop, EMBEDDING_DIM};
use crate::perception::{Embedding, FacePerception, IdentityEncoder, Landmarks};
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, RgbImage};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// One generated training face.
#[derive(Debug, Clone)]
pub struct EncoderSample {
    pub seed: u64,
    /// w `[512]` of the face (after truncation).
    pub w: Vec<f32>,
    /// [`ENCODER_CROP`] px aligned crop.
    pub crop: RgbImage,
    /// Landmarks in the crop's pixels.
    pub crop_landmarks: Landmarks,
    /// Identity embeddings of the face: the clean render's first, degraded copies after.
    pub embeddings: Vec<Embedding>,
}

/// A rendered pair as stored by `train encoder-pairs` (one JSON line; the crop is a PNG).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairRecord {
    pub seed: u64,
    pub psi: f64,
    /// Landmarks in the 128 px crop's pixels.
    pub crop_landmarks: Vec<[f64; 2]>,
    /// Embedding of the clean 1024 px render.
    pub embedding: Vec<f32>,
    /// Embedding of the degraded copy.
    pub degraded_embedding: Vec<f32>,
    /// Side the render was shrunk to for the degraded copy, and its JPEG quality.
    pub degraded_side: u32,
    pub degraded_quality: u8,
}

/// Renders seed `seed` at truncation `psi` and measures what the encoder reads. Returns the
/// record and the 128 px crop.
pub fn render_pair(
    generator: &Generator,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    seed: u64,
    psi: f64,
) -> Result<(PairRecord, RgbImage), InversionError> {
    let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
    let render = generator.render(&w, 1024)?;
    let aligned = perception.align(&render, 256)?;
    let input = EncoderInput::from_aligned(&render, &aligned, identity)?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_e4c0);
    let side = rng.gen_range(192u32..=512);
    let quality = rng.gen_range(35u8..=90);
    let small = image::imageops::resize(&render, side, side, FilterType::Triangle);
    let small = jpeg_round_trip(&small, quality).unwrap_or(small);
    let k = side as f64 / 1024.0;
    let five = aligned
        .landmarks
        .five_points()
        .map(|p| [(p[0] + 0.5) * k - 0.5, (p[1] + 0.5) * k - 0.5]);
    let degraded = identity.embed(&identity_crop(&small, &five)?)?;
    Ok((
        PairRecord {
            seed,
            psi,
            crop_landmarks: input.crop_landmarks.0.clone(),
            embedding: input.identity.0,
            degraded_embedding: degraded.0,
            degraded_side: side,
            degraded_quality: quality,
        },
        input.crop,
    ))
}

/// Encodes and decodes `image` as JPEG; `None` if the codec fails.
pub fn jpeg_round_trip(image: &RgbImage, quality: u8) -> Option<RgbImage> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .ok()?;
    let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).ok()?;
    Some(decoded.to_rgb8())
}

/// Strength of the augmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentConfig {
    /// Largest shift of the crop, pixels (of 128).
    pub shift: f64,
    /// Largest rotation, degrees.
    pub rotate: f64,
    /// Largest relative scale change.
    pub scale: f64,
    /// Largest per-channel gain change (white balance).
    pub gain: f32,
    /// Gamma is drawn from `[1/gamma, gamma]`.
    pub gamma: f32,
    pub blur_probability: f64,
    pub jpeg_probability: f64,
    /// Largest pixel noise standard deviation (0-255 units).
    pub noise: f32,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            shift: 3.0,
            rotate: 4.0,
            scale: 0.05,
            gain: 0.15,
            gamma: 1.4,
            blur_probability: 0.4,
            jpeg_probability: 0.7,
            noise: 6.0,
        }
    }
}

/// An augmented copy of a crop and its landmarks (moved together).
pub fn augment(
    crop: &RgbImage,
    landmarks: &Landmarks,
    config: &AugmentConfig,
    rng: &mut StdRng,
) -> (RgbImage, Landmarks) {
    let side = crop.width() as f64;
    let c = side / 2.0 - 0.5;
    let angle = rng.gen_range(-config.rotate..=config.rotate).to_radians();
    let s = 1.0 + rng.gen_range(-config.scale..=config.scale);
    let (dx, dy) = (
        rng.gen_range(-config.shift..=config.shift),
        rng.gen_range(-config.shift..=config.shift),
    );
    let (cos, sin) = (s * angle.cos(), s * angle.sin());
    // src -> out: rotate/scale about the centre, then shift.
    let src_to_out = Affine2 {
        m: [
            [cos, -sin, c - cos * c + sin * c + dx],
            [sin, cos, c - sin * c - cos * c + dy],
        ],
    };
    let out_to_src = src_to_out.inverse().unwrap_or(Affine2 {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    });
    let mut out = warp_affine(crop, &out_to_src, crop.width(), crop.height());
    let moved = landmarks.transformed(&src_to_out);

    let gains: [f32; 3] = std::array::from_fn(|_| 1.0 + rng.gen_range(-config.gain..=config.gain));
    let gamma = rng.gen_range(config.gamma.recip()..=config.gamma);
    let contrast = rng.gen_range(0.75f32..=1.25);
    let noise = rng.gen_range(0.0..=config.noise.max(0.0));
    let normal = Normal::new(0.0f32, noise.max(1e-6)).expect("positive std");
    for p in out.pixels_mut() {
        for (k, v) in p.0.iter_mut().enumerate() {
            let x = (*v as f32 / 255.0).powf(gamma);
            let x = ((x - 0.5) * contrast + 0.5) * gains[k];
            let x = x * 255.0 + normal.sample(rng);
            *v = x.round().clamp(0.0, 255.0) as u8;
        }
    }
    if rng.gen_bool(config.blur_probability) {
        out = image::imageops::blur(&out, rng.gen_range(0.3f32..1.3));
    }
    if rng.gen_bool(config.jpeg_probability) {
        if let Some(j) = jpeg_round_trip(&out, rng.gen_range(25u8..=90)) {
            out = j;
        }
    }
    (out, moved)
}

/// Settings of the training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub encoder: EncoderConfig,
    pub augment: AugmentConfig,
    /// Augmented copies per face (plus the clean one).
    pub copies: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub dropout: f32,
    /// Std of the Gaussian noise added to the unit embedding before scaling (re-normalised).
    pub embedding_noise: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            encoder: EncoderConfig::default(),
            augment: AugmentConfig::default(),
            copies: 2,
            epochs: 100,
            batch_size: 128,
            learning_rate: 1e-3,
            weight_decay: 0.5,
            dropout: 0.0,
            embedding_noise: 0.0,
            seed: 7,
        }
    }
}

/// Progress of training.
#[derive(Debug, Clone, Copy)]
pub enum TrainProgress {
    /// Feature vectors precomputed for `done` of `total` faces.
    Features { done: usize, total: usize },
    /// One epoch ended: training loss and validation loss (whitened MSE; 1.0 = predicting the
    /// mean).
    Epoch {
        epoch: usize,
        epochs: usize,
        train_loss: f32,
        validation_loss: f32,
    },
}

/// A trained encoder with its variables (to save).
pub struct TrainedEncoder {
    pub encoder: InversionEncoder,
    pub varmap: VarMap,
    pub final_train_loss: f32,
    pub final_validation_loss: f32,
}

fn feature_rows(
    config: &TrainConfig,
    sample: &EncoderSample,
    rng: &mut StdRng,
    copies: usize,
) -> Result<Vec<Vec<f32>>, InversionError> {
    let mut rows = Vec::with_capacity(copies + 1);
    rows.push(features(
        &config.encoder,
        &EncoderInput {
            crop: sample.crop.clone(),
            identity: sample.embeddings[0].clone(),
            crop_landmarks: sample.crop_landmarks.clone(),
        },
    )?);
    for _ in 0..copies {
        let (crop, crop_landmarks) =
            augment(&sample.crop, &sample.crop_landmarks, &config.augment, rng);
        let identity = sample.embeddings[rng.gen_range(0..sample.embeddings.len())].clone();
        rows.push(features(
            &config.encoder,
            &EncoderInput {
                crop,
                identity,
                crop_landmarks,
            },
        )?);
    }
    Ok(rows)
}

fn check_sample(s: &EncoderSample) -> Result<(), InversionError> {
    if s.w.len() != LATENT_DIM
        || s.embeddings.is_empty()
        || s.embeddings.iter().any(|e| e.0.len() != EMBEDDING_DIM)
        || s.crop.dimensions() != (ENCODER_CROP, ENCODER_CROP)
    {
        return Err(InversionError::BadInput(format!(
            "training face {} is malformed (w {}, {} embeddings, crop {:?})",
            s.seed,
            s.w.len(),
            s.embeddings.len(),
            s.crop.dimensions()
        )));
    }
    Ok(())
}

/// Trains an encoder on `train` faces, reporting the whitened loss on `validation` faces
/// (clean copies) after every epoch.
pub fn train(
    train: &[EncoderSample],
    validation: &[EncoderSample],
    config: &TrainConfig,
    progress: &mut dyn FnMut(TrainProgress),
) -> Result<TrainedEncoder, InversionError> {
    if train.len() < 2 || config.batch_size == 0 || config.epochs == 0 {
        return Err(InversionError::BadInput(format!(
            "need at least 2 training faces, a batch size and epochs (got {} faces)",
            train.len()
        )));
    }
    for s in train.iter().chain(validation) {
        check_sample(s)?;
    }
    let device = Device::Cpu;
    let f = config.encoder.feature_len();
    let mut rng = StdRng::seed_from_u64(config.seed);

    // Whitening of w.
    let n = train.len();
    let mut mean = vec![0f64; LATENT_DIM];
    for s in train {
        for (m, v) in mean.iter_mut().zip(&s.w) {
            *m += *v as f64 / n as f64;
        }
    }
    let mut var = vec![0f64; LATENT_DIM];
    for s in train {
        for ((q, v), m) in var.iter_mut().zip(&s.w).zip(&mean) {
            *q += (*v as f64 - m).powi(2) / n as f64;
        }
    }
    let w_mean = Tensor::from_vec(
        mean.iter().map(|v| *v as f32).collect::<Vec<_>>(),
        (1, LATENT_DIM),
        &device,
    )?;
    let w_std = Tensor::from_vec(
        var.iter()
            .map(|v| (v.sqrt() as f32).max(1e-4))
            .collect::<Vec<_>>(),
        (1, LATENT_DIM),
        &device,
    )?;

    // Feature rows: clean + augmented copies per training face; clean for validation.
    let mut x_rows: Vec<f32> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (i, s) in train.iter().enumerate() {
        for row in feature_rows(config, s, &mut rng, config.copies)? {
            x_rows.extend(row);
            owner.push(i);
        }
        if (i + 1) % 200 == 0 || i + 1 == n {
            progress(TrainProgress::Features {
                done: i + 1,
                total: n,
            });
        }
    }
    let rows = owner.len();
    let x_all = Tensor::from_vec(x_rows, (rows, f), &device)?;
    let w_train = Tensor::from_vec(
        train.iter().flat_map(|s| s.w.clone()).collect::<Vec<_>>(),
        (n, LATENT_DIM),
        &device,
    )?;
    let z_train = w_train.broadcast_sub(&w_mean)?.broadcast_div(&w_std)?;
    let validation_x = if validation.is_empty() {
        None
    } else {
        let mut v = Vec::with_capacity(validation.len() * f);
        for s in validation {
            v.extend(feature_rows(config, s, &mut rng, 0)?.remove(0));
        }
        let x = Tensor::from_vec(v, (validation.len(), f), &device)?;
        let w = Tensor::from_vec(
            validation
                .iter()
                .flat_map(|s| s.w.clone())
                .collect::<Vec<_>>(),
            (validation.len(), LATENT_DIM),
            &device,
        )?;
        Some((x, w.broadcast_sub(&w_mean)?.broadcast_div(&w_std)?))
    };

    let varmap = VarMap::new();
    let encoder = InversionEncoder::from_parts(
        config.encoder.clone(),
        &varmap,
        w_mean.clone(),
        w_std.clone(),
        &device,
    )?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let noise = Normal::new(0.0f32, config.embedding_noise.max(1e-9))
        .map_err(|e| InversionError::BadInput(e.to_string()))?;
    let batches = n.div_ceil(config.batch_size);
    let total_steps = (batches * config.epochs) as f64;
    let mut step = 0usize;
    let mut order: Vec<usize> = (0..n).collect();
    // Rows of each face, to pick one copy per face per epoch.
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (r, &i) in owner.iter().enumerate() {
        rows_of[i].push(r);
    }
    let (mut train_loss, mut validation_loss) = (f32::NAN, f32::NAN);
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut sum = 0f64;
        for chunk in order.chunks(config.batch_size) {
            let lr = config.learning_rate
                * (0.05
                    + 0.95
                        * 0.5
                        * (1.0 + (std::f64::consts::PI * step as f64 / total_steps).cos()));
            optimizer.set_learning_rate(lr);
            step += 1;
            let picked: Vec<u32> = chunk
                .iter()
                .map(|&i| rows_of[i][rng.gen_range(0..rows_of[i].len())] as u32)
                .collect();
            let b = chunk.len();
            let idx = Tensor::from_vec(picked, b, &device)?;
            let x = x_all.index_select(&idx, 0)?;
            let x = if config.embedding_noise > 0.0 {
                let scale = config.encoder.embedding_scale;
                let e = x.narrow(1, 0, EMBEDDING_DIM)?;
                let eps: Vec<f32> = (0..b * EMBEDDING_DIM)
                    .map(|_| noise.sample(&mut rng) * scale)
                    .collect();
                let e = (e + Tensor::from_vec(eps, (b, EMBEDDING_DIM), &device)?)?;
                let norm = e.sqr()?.sum_keepdim(1)?.sqrt()?;
                let e = (e.broadcast_div(&norm)? * scale as f64)?;
                Tensor::cat(&[&e, &x.narrow(1, EMBEDDING_DIM, f - EMBEDDING_DIM)?], 1)?
            } else {
                x
            };
            let target_idx = Tensor::from_vec(
                chunk.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                b,
                &device,
            )?;
            let target = z_train.index_select(&target_idx, 0)?;
            let predicted = encoder.network().forward_t(&x, Some(config.dropout))?;
            let loss = mean_squared(&predicted, &target)?;
            optimizer.backward_step(&loss)?;
            sum += loss.to_dtype(DType::F32)?.to_scalar::<f32>()? as f64 * b as f64;
        }
        train_loss = (sum / n as f64) as f32;
        validation_loss = match &validation_x {
            Some((x, z)) => {
                mean_squared(&encoder.network().forward_t(x, None)?, z)?.to_scalar::<f32>()?
            }
            None => f32::NAN,
        };
        progress(TrainProgress::Epoch {
            epoch,
            epochs: config.epochs,
            train_loss,
            validation_loss,
        });
    }
    Ok(TrainedEncoder {
        encoder,
        varmap,
        final_train_loss: train_loss,
        final_validation_loss: validation_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u64, rng: &mut StdRng) -> EncoderSample {
        // The embedding varies in its first 16 coordinates and w depends on its first 8, so the
        // mapping can be learnt from a hundred faces.
        let mut e: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|i| {
                if i < 16 {
                    rng.gen_range(-1.0..1.0)
                } else {
                    0.0
                }
            })
            .collect();
        let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt();
        e.iter_mut().for_each(|v| *v /= norm);
        let w = (0..LATENT_DIM).map(|j| e[j % 8] * 20.0).collect();
        EncoderSample {
            seed,
            w,
            crop: RgbImage::from_fn(128, 128, |x, y| image::Rgb([x as u8, y as u8, seed as u8])),
            crop_landmarks: Landmarks((0..68).map(|i| [30.0 + i as f64, 60.0]).collect()),
            embeddings: vec![Embedding(e)],
        }
    }

    #[test]
    fn training_learns_a_learnable_mapping() {
        let mut rng = StdRng::seed_from_u64(1);
        let samples: Vec<_> = (0..160).map(|s| sample(s, &mut rng)).collect();
        let config = TrainConfig {
            encoder: EncoderConfig {
                patch_side: 0,
                ..EncoderConfig::default()
            },
            copies: 1,
            epochs: 60,
            learning_rate: 1e-2,
            batch_size: 32,
            embedding_noise: 0.0,
            dropout: 0.0,
            ..TrainConfig::default()
        };
        let mut last = None;
        let trained = train(&samples[..128], &samples[128..], &config, &mut |p| {
            if let TrainProgress::Epoch {
                validation_loss, ..
            } = p
            {
                last = Some(validation_loss)
            }
        })
        .unwrap();
        let v = last.unwrap();
        assert!(v < 0.5, "validation loss {v} (1.0 = the mean)");
        assert_eq!(trained.final_validation_loss, v);
    }

    #[test]
    fn augmentation_moves_landmarks_with_the_crop() {
        let mut crop = RgbImage::from_pixel(128, 128, image::Rgb([0, 0, 0]));
        crop.put_pixel(40, 50, image::Rgb([255, 255, 255]));
        let lm = Landmarks(vec![[40.0, 50.0]; 68]);
        let config = AugmentConfig {
            gain: 0.0,
            gamma: 1.0,
            blur_probability: 0.0,
            jpeg_probability: 0.0,
            noise: 0.0,
            ..AugmentConfig::default()
        };
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..5 {
            let (out, moved) = augment(&crop, &lm, &config, &mut rng);
            let p = moved.0[0];
            let (x, y) = (p[0].round() as u32, p[1].round() as u32);
            let v = out.get_pixel(x, y).0[0];
            assert!(
                v > 60,
                "bright pixel expected at the moved landmark, got {v}"
            );
        }
    }
}
