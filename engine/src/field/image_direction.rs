//! Directions trained on what the image shows (issue 12's "fields trained on the image").
//!
//! The semantic fields were trained against latent surrogates (S for the degrees, I for
//! identity, [`super::surrogate`]): they satisfy S, not the image, and they lose the person long
//! before the degree reader sees the attribute change, so the editing loop's identity guard
//! stops most failing edits. Here one W+ direction per attribute and way (up: more of the
//! attribute, down: less) is trained through what the product judges:
//!
//! code -> the generator's first [`ImageDirectionConfig::feature_blocks`] synthesis blocks
//! (plain, differentiable candle ops; 4 blocks read exactly the [`DEFAULT_K`] styles an edit
//! moves) -> a per-face linear colour head ([`ColourHead`], fitted to the face's full render, as
//! the inversion's refinement does) -> the degree reader's continuous scores and the identity
//! network's embedding of that image.
//!
//! Loss per training face, with `s` the reader's scores of the stepped image and `s0` those of
//! the start: `(s_a - t)^2` for the edited attribute (`t = s0_a ± change`, clamped to 0-5),
//! `others_weight x sum_b (s_b - s0_b)^2` over the other four, `identity_weight x (1 - cos)`
//! between the identity embeddings of the start and the step. The direction is used without its
//! components along the mean of W and the other attributes' linear directions (the editing loop
//! removes them from every step anyway), so training sees the step the product takes, and at a
//! fixed per-layer RMS length ([`ImageDirectionConfig::length`]): what is learnt is where the
//! step points, the most change of the attribute for the least change of the person and the
//! other attributes at that distance.
//!
//! A direction is a fixed `[DEFAULT_K, 512]` offset: the loop searches the step length along it
//! by bisection on the reader's score ([`super::guided`]), so what training decides is where it
//! points, not how far the loop goes.

use super::guided::remove_span;
use super::step::{FieldSpace, LatentStepper};
use super::{FieldError, DEFAULT_K};
use crate::attributes::Attribute;
use crate::generator::Generator;
use crate::inversion::refine::{image_to_tensor, ColourHead, IdentityResample, SquareResize};
use crate::perception::IdentityEncoder;
use crate::predictor::DegreeReader;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::Optimizer;
use image::imageops::FilterType;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which way a direction moves its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// More of the attribute (longer bangs, thicker glasses, older).
    Up,
    /// Less of it.
    Down,
}

impl Way {
    pub const BOTH: [Way; 2] = [Way::Up, Way::Down];

    pub fn name(self) -> &'static str {
        match self {
            Way::Up => "up",
            Way::Down => "down",
        }
    }

    /// +1 or -1.
    pub fn sign(self) -> f32 {
        match self {
            Way::Up => 1.0,
            Way::Down => -1.0,
        }
    }
}

impl std::str::FromStr for Way {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "up" => Ok(Way::Up),
            "down" => Ok(Way::Down),
            other => Err(FieldError::BadInput(format!(
                "a way is up or down, got {other:?}"
            ))),
        }
    }
}

/// Settings of one direction's training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageDirectionConfig {
    /// Adam steps.
    pub steps: usize,
    /// Faces per step.
    pub batch: usize,
    pub learning_rate: f64,
    /// The score change one step of the direction should make (degree units).
    pub change: f32,
    /// Weight of `1 - cos` between the identity embeddings of the start and the step.
    pub identity_weight: f64,
    /// Weight of the other attributes' squared score changes.
    pub others_weight: f64,
    /// Per-layer RMS length in W the direction is trained at (the step whose result the
    /// loss judges); the pipeline calibrates it per attribute and way
    /// ([`super::image_direction_run`]).
    pub length: f32,
    /// Weight of the mean squared colour change (in [-1, 1] units) of the image outside a band
    /// of [`LOCAL_BAND`] around the attribute's core row ([`Attribute::core_height`]; none for
    /// age): an edit of the glasses should not change the hair or the chin. 0: off.
    #[serde(default)]
    pub locality_weight: f64,
    /// Synthesis blocks run (4: 64 px, the blocks the [`DEFAULT_K`] edited styles feed).
    pub feature_blocks: usize,
    /// Seed of the order in which faces are drawn.
    pub seed: u64,
}

impl Default for ImageDirectionConfig {
    fn default() -> Self {
        Self {
            steps: 120,
            batch: 2,
            learning_rate: 0.01,
            change: 1.0,
            identity_weight: 3.0,
            others_weight: 0.5,
            length: 4.0,
            locality_weight: 0.0,
            feature_blocks: 4,
            seed: 12,
        }
    }
}

/// Half height (share of the image) of the band around an attribute's core row that the
/// locality term leaves free to change.
pub const LOCAL_BAND: f32 = 0.15;

/// `[1, 1, side, 1]` weights: 1 outside the band around the core row of `attribute`, 0 inside
/// it; `None` for an attribute without one place (age).
fn outside_band(
    attribute: Attribute,
    side: usize,
    device: &Device,
) -> Result<Option<Tensor>, FieldError> {
    let Some(core) = attribute.core_height() else {
        return Ok(None);
    };
    let rows: Vec<f32> = (0..side)
        .map(|y| {
            let f = (y as f32 + 0.5) / side as f32;
            if (f - core).abs() <= LOCAL_BAND {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    Ok(Some(Tensor::from_vec(rows, (1, 1, side, 1), device)?))
}

/// One training face: its code, the colour head fitted to its render, and what the reader and
/// the identity network make of the head's image of it.
pub struct TrainingFace {
    /// W+ `[1, 23, 512]`.
    pub styles: Tensor,
    head: ColourHead,
    /// Reader scores of the start (degree units, [`Attribute::ALL`] order).
    pub scores: [f32; 5],
    /// Unit identity embedding of the start `[1, 512]`.
    identity: Tensor,
    /// The head's image of the start `[1, 3, side, side]` (what the locality term compares).
    image: Tensor,
}

/// The differentiable image path: generator blocks, colour head, reader and identity network.
pub struct ImagePath<'a> {
    generator: &'a Generator,
    reader: &'a DegreeReader,
    identity: &'a IdentityEncoder,
    blocks: usize,
    side: usize,
    to_reader: SquareResize,
    to_identity: IdentityResample,
}

impl<'a> ImagePath<'a> {
    pub fn new(
        generator: &'a Generator,
        reader: &'a DegreeReader,
        identity: &'a IdentityEncoder,
        blocks: usize,
    ) -> Result<Self, FieldError> {
        if !(1..=6).contains(&blocks) {
            return Err(FieldError::BadConfig(format!(
                "feature blocks must be 1..=6, got {blocks}"
            )));
        }
        let side = 4usize << blocks;
        let device = generator.device();
        Ok(Self {
            generator,
            reader,
            identity,
            blocks,
            side,
            to_reader: SquareResize::new(side, reader.input_size(), device)?,
            to_identity: IdentityResample::new(side, device)?,
        })
    }

    /// Renders `styles` (W+ `[1, 23, 512]`) once, fits its colour head and reads the start.
    pub fn prepare(&self, styles: &Tensor) -> Result<TrainingFace, FieldError> {
        let styles = self.generator.w_plus(styles)?.to_dtype(DType::F32)?;
        let render = self.generator.render(&styles, 1024)?;
        let side = self.side as u32;
        let small = image_to_tensor(
            &image::imageops::resize(&render, side, side, FilterType::Triangle),
            self.generator.device(),
        )?;
        let features = self
            .generator
            .synthesis
            .features_differentiable(&styles, self.blocks)?;
        let head = ColourHead::fit(&features, &small, 1e-3)?;
        let image = head.forward(&features)?.detach();
        let scores = self
            .scores(&image)?
            .detach()
            .flatten_all()?
            .to_vec1::<f32>()?;
        let identity = self.embedding(&image)?.detach();
        Ok(TrainingFace {
            styles,
            head,
            scores: [scores[0], scores[1], scores[2], scores[3], scores[4]],
            identity,
            image,
        })
    }

    /// The head's image `[1, 3, side, side]` of `face` with `offset` (`[DEFAULT_K, 512]`) added
    /// to its first styles.
    fn image(&self, face: &TrainingFace, offset: &Tensor) -> Result<Tensor, FieldError> {
        let n = face.styles.dim(1)?;
        let edited = face
            .styles
            .narrow(1, 0, DEFAULT_K)?
            .broadcast_add(&offset.unsqueeze(0)?)?;
        let styles = Tensor::cat(
            &[&edited, &face.styles.narrow(1, DEFAULT_K, n - DEFAULT_K)?],
            1,
        )?;
        let features = self
            .generator
            .synthesis
            .features_differentiable(&styles, self.blocks)?;
        Ok(face.head.forward(&features)?)
    }

    fn scores(&self, image: &Tensor) -> Result<Tensor, FieldError> {
        Ok(self.reader.scores_tensor(&self.to_reader.apply(image)?)?)
    }

    fn embedding(&self, image: &Tensor) -> Result<Tensor, FieldError> {
        Ok(self
            .identity
            .embed_tensor(&self.to_identity.apply(image)?)?)
    }

    /// Reader scores and identity cosine to the start of `face` stepped by `offset`, without
    /// gradients.
    pub fn measure(
        &self,
        face: &TrainingFace,
        offset: &Tensor,
    ) -> Result<([f32; 5], f32), FieldError> {
        let image = self.image(face, &offset.detach())?;
        let s = self.scores(&image)?.flatten_all()?.to_vec1::<f32>()?;
        let cos = (self.embedding(&image)? * &face.identity)?
            .sum_all()?
            .to_scalar::<f32>()?;
        Ok(([s[0], s[1], s[2], s[3], s[4]], cos))
    }
}

/// Which training faces a way can use: up from at most 4, down from at least 1.
pub fn usable(face: &TrainingFace, attribute: Attribute, way: Way, change: f32) -> bool {
    let s = face.scores[attribute.index()];
    match way {
        Way::Up => s <= 5.0 - change,
        Way::Down => s >= change,
    }
}

/// Averages of one training step.
#[derive(Debug, Clone, Copy)]
pub struct DirectionProgress {
    pub step: usize,
    pub total: usize,
    pub loss: f32,
    /// Mean signed change of the edited attribute's score (in the way's direction: + is good).
    pub change: f32,
    /// Mean absolute change of the other four scores.
    pub others: f32,
    pub identity_cos: f32,
    /// Per-layer RMS length of the direction.
    pub length: f32,
}

/// Trains the direction of `attribute` and `way` from `init` (`[DEFAULT_K, 512]`) on the usable
/// faces of `faces`; `removed` (orthonormal rows `[n, 512]`, see
/// [`super::guided::orthonormal_basis`]) is taken out of it throughout. Returns the direction
/// with `removed` taken out.
#[allow(clippy::too_many_arguments)]
pub fn train_direction(
    path: &ImagePath,
    faces: &[TrainingFace],
    attribute: Attribute,
    way: Way,
    removed: &Tensor,
    init: &Tensor,
    config: &ImageDirectionConfig,
    progress: &mut dyn FnMut(DirectionProgress),
) -> Result<Tensor, FieldError> {
    let pool: Vec<&TrainingFace> = faces
        .iter()
        .filter(|f| usable(f, attribute, way, config.change))
        .collect();
    if pool.len() < config.batch.max(1) {
        return Err(FieldError::BadInput(format!(
            "{} {} needs at least {} usable faces, {} of {} are",
            attribute,
            way.name(),
            config.batch.max(1),
            pool.len(),
            faces.len()
        )));
    }
    if init.dims() != [DEFAULT_K, crate::generator::LATENT_DIM] {
        return Err(FieldError::BadInput(format!(
            "a direction is [{DEFAULT_K}, 512], got {:?}",
            init.dims()
        )));
    }
    let a = attribute.index();
    let var = Var::from_tensor(&init.to_dtype(DType::F32)?)?;
    let mut adam = crate::optim::adam(vec![var.clone()], config.learning_rate)?;
    let mut order = FaceOrder::new(pool.len(), config.seed);
    let outside = if config.locality_weight > 0.0 {
        outside_band(attribute, path.side, path.generator.device())?
    } else {
        None
    };
    // 1 for the four attributes not edited.
    let others_mask: Vec<f32> = (0..5).map(|i| if i == a { 0.0 } else { 1.0 }).collect();
    let others_mask = Tensor::from_vec(others_mask, (1, 5), path.generator.device())?;
    for step in 0..config.steps {
        let direction = at_length(&remove_span(var.as_tensor(), removed)?, config.length)?;
        let mut total: Option<Tensor> = None;
        let (mut change, mut others, mut cos_sum) = (0f32, 0f32, 0f32);
        let batch = config.batch.max(1);
        for _ in 0..batch {
            let face = pool[order.next()];
            let image = path.image(face, &direction)?;
            let scores = path.scores(&image)?; // [1, 5]
            let start = Tensor::from_vec(face.scores.to_vec(), (1, 5), scores.device())?;
            let target = (face.scores[a] + way.sign() * config.change).clamp(0.0, 5.0);
            let moved = (&scores - &start)?;
            let own = ((scores.narrow(1, a, 1)? - target as f64)?.sqr()?).sum_all()?;
            let other = (moved.sqr()? * &others_mask)?.sum_all()?;
            let embedding = path.embedding(&image)?;
            let cos = (embedding * &face.identity)?.sum_all()?;
            let mut loss = ((own + (other * config.others_weight)?)?
                + ((1.0 - &cos)? * config.identity_weight)?)?;
            if let Some(band) = &outside {
                let change = (&image - &face.image)?
                    .sqr()?
                    .broadcast_mul(band)?
                    .mean_all()?;
                loss = (loss + (change * config.locality_weight)?)?;
            }
            total = Some(match total {
                Some(t) => (t + loss)?,
                None => loss,
            });
            let m = moved.flatten_all()?.to_vec1::<f32>()?;
            change += way.sign() * m[a];
            others += (0..5).filter(|&i| i != a).map(|i| m[i].abs()).sum::<f32>() / 4.0;
            cos_sum += cos.to_scalar::<f32>()?;
        }
        let loss = (total.expect("batch >= 1") / batch as f64)?;
        let value = loss.to_scalar::<f32>()?;
        adam.backward_step(&loss)?;
        let n = batch as f32;
        progress(DirectionProgress {
            step: step + 1,
            total: config.steps,
            loss: value,
            change: change / n,
            others: others / n,
            identity_cos: cos_sum / n,
            length: rms_length(&direction)?,
        });
    }
    Ok(at_length(&remove_span(var.as_tensor(), removed)?, config.length)?.detach())
}

/// Per-layer RMS length of a `[layers, 512]` direction.
pub fn rms_length(direction: &Tensor) -> Result<f32, FieldError> {
    Ok(direction
        .sqr()?
        .sum(1)?
        .mean_all()?
        .sqrt()?
        .to_scalar::<f32>()?)
}

/// `direction` scaled to per-layer RMS length `length` (differentiable).
pub fn at_length(direction: &Tensor, length: f32) -> Result<Tensor, FieldError> {
    let rms = direction.sqr()?.sum(1)?.mean_all()?.sqrt()?;
    Ok(direction
        .broadcast_div(&(rms + 1e-12)?)?
        .affine(length as f64, 0.0)?)
}

/// A seeded cycle through `0..n` in shuffled order, reshuffled each round.
struct FaceOrder {
    order: Vec<usize>,
    at: usize,
    state: u64,
}

impl FaceOrder {
    fn new(n: usize, seed: u64) -> Self {
        let mut s = Self {
            order: (0..n).collect(),
            at: n,
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        s.reshuffle();
        s
    }

    fn random(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn reshuffle(&mut self) {
        for i in (1..self.order.len()).rev() {
            let j = (self.random() % (i as u64 + 1)) as usize;
            self.order.swap(i, j);
        }
        self.at = 0;
    }

    fn next(&mut self) -> usize {
        if self.at >= self.order.len() {
            self.reshuffle();
        }
        self.at += 1;
        self.order[self.at - 1]
    }
}

/// The trained directions of every attribute and way found in a directory
/// (`<attribute>.<way>.safetensors`, one `[DEFAULT_K, 512]` tensor named `direction`).
#[derive(Debug, Clone, Default)]
pub struct ImageDirections {
    directions: HashMap<(Attribute, Way), Tensor>,
}

impl ImageDirections {
    /// The file of one direction in `dir`.
    pub fn file(dir: &Path, attribute: Attribute, way: Way) -> PathBuf {
        dir.join(format!("{}.{}.safetensors", attribute.name(), way.name()))
    }

    /// Writes one direction with its training settings and summary as metadata.
    pub fn save(
        dir: &Path,
        attribute: Attribute,
        way: Way,
        direction: &Tensor,
        metadata: &HashMap<String, String>,
    ) -> Result<(), FieldError> {
        let path = Self::file(dir, attribute, way);
        let io = |e: &dyn std::fmt::Display| FieldError::File {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
        let direction = direction.to_dtype(DType::F32)?.contiguous()?;
        let view = direction.flatten_all()?.to_vec1::<f32>()?;
        let bytes: Vec<u8> = view.iter().flat_map(|v| v.to_le_bytes()).collect();
        let tensor = safetensors::tensor::TensorView::new(
            safetensors::Dtype::F32,
            direction.dims().to_vec(),
            &bytes,
        )
        .map_err(|e| io(&e))?;
        let mut meta = metadata.clone();
        meta.insert("format".into(), FORMAT.into());
        meta.insert("attribute".into(), attribute.name().into());
        meta.insert("way".into(), way.name().into());
        safetensors::serialize_to_file([("direction", tensor)], Some(meta), &path)
            .map_err(|e| io(&e))
    }

    /// Loads every direction file in `dir` (none: an empty set; a missing directory too).
    pub fn load_dir(dir: &Path, device: &Device) -> Result<Self, FieldError> {
        let mut directions = HashMap::new();
        for attribute in Attribute::ALL {
            for way in Way::BOTH {
                let path = Self::file(dir, attribute, way);
                if !path.is_file() {
                    continue;
                }
                let tensors = candle_core::safetensors::load(&path, device)?;
                let d = tensors.get("direction").ok_or_else(|| FieldError::File {
                    path: path.clone(),
                    reason: "no tensor named direction".into(),
                })?;
                if d.dims() != [DEFAULT_K, crate::generator::LATENT_DIM] {
                    return Err(FieldError::File {
                        path,
                        reason: format!("direction is {:?}, not [{DEFAULT_K}, 512]", d.dims()),
                    });
                }
                directions.insert((attribute, way), d.to_dtype(DType::F32)?);
            }
        }
        Ok(Self { directions })
    }

    pub fn get(&self, attribute: Attribute, way: Way) -> Option<&Tensor> {
        self.directions.get(&(attribute, way))
    }

    pub fn is_empty(&self) -> bool {
        self.directions.is_empty()
    }

    /// The stepper of `attribute` when a way of it is trained (a way not trained steps back
    /// along the other).
    pub fn stepper(&self, attribute: Attribute) -> Option<ImageDirectionStepper> {
        let (up, down) = match (self.get(attribute, Way::Up), self.get(attribute, Way::Down)) {
            (Some(u), Some(d)) => (u.clone(), d.clone()),
            (Some(u), None) => (u.clone(), u.neg().ok()?),
            (None, Some(d)) => (d.neg().ok()?, d.clone()),
            (None, None) => return None,
        };
        Some(ImageDirectionStepper { up, down })
    }

    /// The stepper of `attribute` for edits going `way`, only where a direction of that very way
    /// is saved (no stepping back along the other way's direction): style-channel directions are
    /// saved per way ([`super::style_channels`]).
    pub fn stepper_towards(&self, attribute: Attribute, way: Way) -> Option<ImageDirectionStepper> {
        let d = self.get(attribute, way)?;
        let (up, down) = match way {
            Way::Up => (d.clone(), d.neg().ok()?),
            Way::Down => (d.neg().ok()?, d.clone()),
        };
        Some(ImageDirectionStepper { up, down })
    }
}

/// File format tag of a direction file.
pub const FORMAT: &str = "tte-image-direction-v1";

/// Steps along an attribute's trained directions: `sign > 0` adds `sign x up` to the first
/// [`DEFAULT_K`] styles, `sign < 0` adds `|sign| x down`.
pub struct ImageDirectionStepper {
    up: Tensor,
    down: Tensor,
}

impl LatentStepper for ImageDirectionStepper {
    fn step(&self, styles: &Tensor, sign: f64) -> Result<Tensor, FieldError> {
        let space = FieldSpace::WPlus { k: DEFAULT_K };
        let styles = space.prepare(styles)?;
        let direction = if sign >= 0.0 { &self.up } else { &self.down };
        let offset = (direction.to_device(styles.device())? * sign.abs())?
            .to_dtype(styles.dtype())?
            .unsqueeze(0)?;
        let n = styles.dim(1)?;
        let edited = styles.narrow(1, 0, DEFAULT_K)?.broadcast_add(&offset)?;
        Ok(Tensor::cat(
            &[&edited, &styles.narrow(1, DEFAULT_K, n - DEFAULT_K)?],
            1,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stepper_moves_the_first_styles_by_the_way_s_direction() {
        let device = Device::Cpu;
        let up = Tensor::full(0.5f32, (DEFAULT_K, 512), &device).unwrap();
        let down = Tensor::full(-0.25f32, (DEFAULT_K, 512), &device).unwrap();
        let stepper = ImageDirectionStepper { up, down };
        let w = Tensor::zeros((1, 512), DType::F32, &device).unwrap();
        let up2 = stepper.step(&w, 2.0).unwrap();
        assert_eq!(up2.dims(), &[1, 23, 512]);
        let v = up2.squeeze(0).unwrap().to_vec2::<f32>().unwrap();
        assert!(v[..DEFAULT_K]
            .iter()
            .flatten()
            .all(|x| (x - 1.0).abs() < 1e-6));
        assert!(v[DEFAULT_K..].iter().flatten().all(|x| *x == 0.0));
        let down = stepper.step(&w, -1.0).unwrap().squeeze(0).unwrap();
        let v = down.to_vec2::<f32>().unwrap();
        assert!(v[0].iter().all(|x| (x + 0.25).abs() < 1e-6));
    }

    #[test]
    fn directions_round_trip_through_their_files() {
        let dir = std::env::temp_dir().join(format!("tte-image-dir-{}", std::process::id()));
        let device = Device::Cpu;
        let d = Tensor::arange(0f32, (DEFAULT_K * 512) as f32, &device)
            .unwrap()
            .reshape((DEFAULT_K, 512))
            .unwrap();
        ImageDirections::save(&dir, Attribute::Eyeglasses, Way::Up, &d, &HashMap::new()).unwrap();
        let loaded = ImageDirections::load_dir(&dir, &device).unwrap();
        let back = loaded.get(Attribute::Eyeglasses, Way::Up).unwrap();
        assert_eq!(crate::generator::max_abs_diff(back, &d).unwrap(), 0.0);
        assert!(loaded.get(Attribute::Eyeglasses, Way::Down).is_none());
        // The way not trained steps back along the trained one.
        let stepper = loaded.stepper(Attribute::Eyeglasses).unwrap();
        let w = Tensor::zeros((1, 512), DType::F32, &device).unwrap();
        let back = stepper
            .step(&w, -1.0)
            .unwrap()
            .narrow(1, 0, DEFAULT_K)
            .unwrap();
        let want = d.neg().unwrap().unsqueeze(0).unwrap();
        assert_eq!(crate::generator::max_abs_diff(&back, &want).unwrap(), 0.0);
        assert!(loaded.stepper(Attribute::Beard).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(ImageDirections::load_dir(&dir, &device).unwrap().is_empty());
    }

    #[test]
    fn the_face_order_visits_every_face_each_round() {
        let mut order = FaceOrder::new(7, 3);
        for _ in 0..3 {
            let mut seen: Vec<usize> = (0..7).map(|_| order.next()).collect();
            seen.sort();
            assert_eq!(seen, (0..7).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ways_parse_and_sign() {
        assert_eq!("up".parse::<Way>().unwrap().sign(), 1.0);
        assert_eq!("down".parse::<Way>().unwrap(), Way::Down);
        assert!("sideways".parse::<Way>().is_err());
    }
}
