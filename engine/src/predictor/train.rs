//! Training and evaluation of attribute predictors on labelled face images.
//!
//! - Minibatches are drawn as the paper does, balancing degrees: an attribute uniformly (among
//!   those with any label), then a degree uniformly among the degrees that have examples for that
//!   attribute, then a random example with that degree ([`BalancedSampler`]).
//! - Labels may be unknown ([`UNKNOWN_DEGREE`]); such a head is masked out of the loss for that
//!   sample. The loss is the cross-entropy averaged over the labelled samples of each head, then
//!   over the heads that have labels in the batch ([`masked_cross_entropy`]).
//! - Augmentation ([`augment`], seeded per image) is done on u8 images: horizontal flip (all five
//!   attributes are flip-invariant), a shift of a few pixels with edge clamping, brightness /
//!   contrast / saturation jitter, and occasionally a Gaussian blur, a downscale-upscale or a real
//!   JPEG round trip at low quality, so that a predictor trained on generated faces transfers to
//!   photos.
//! - Weights are initialised from the seed (Kaiming-normal weights, uniform biases), so a run is
//!   reproducible; AdamW with a cosine learning-rate decay to a tenth.

use super::network::{image_tensor_refs, AttributePredictor, PredictorConfig, NUM_HEADS};
use super::PredictorError;
use crate::attributes::{Attribute, NUM_DEGREES};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Degree label meaning "unknown": the head is left out of the loss for that sample.
pub const UNKNOWN_DEGREE: u8 = 255;

/// Images per forward pass in [`evaluate`].
const EVAL_BATCH: usize = 64;

/// One labelled training image.
#[derive(Debug, Clone)]
pub struct TrainSample {
    /// Aligned face, at the predictor's input size or larger (it is resized).
    pub image: RgbImage,
    /// Degree 0..=5 per attribute in [`Attribute::ALL`] order, or [`UNKNOWN_DEGREE`].
    pub degrees: [u8; NUM_HEADS],
}

/// Augmentation switches and strengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentConfig {
    /// Mirror half of the images horizontally.
    pub flip: bool,
    /// Largest shift in pixels (at the input size), in x and y independently.
    pub max_shift: u32,
    /// Largest brightness offset, as a fraction of full scale.
    pub brightness: f32,
    /// Largest relative contrast change.
    pub contrast: f32,
    /// Largest relative saturation change.
    pub saturation: f32,
    /// Probability of a slight Gaussian blur (sigma 0.4..1.0 px).
    pub blur_probability: f64,
    /// Probability of downscaling to 40-80% and back up.
    pub rescale_probability: f64,
    /// Probability of a JPEG round trip at quality 25..75.
    pub jpeg_probability: f64,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            flip: true,
            max_shift: 4,
            brightness: 0.1,
            contrast: 0.2,
            saturation: 0.3,
            blur_probability: 0.15,
            rescale_probability: 0.15,
            jpeg_probability: 0.2,
        }
    }
}

impl AugmentConfig {
    /// No augmentation at all.
    pub fn none() -> Self {
        Self {
            flip: false,
            max_shift: 0,
            brightness: 0.0,
            contrast: 0.0,
            saturation: 0.0,
            blur_probability: 0.0,
            rescale_probability: 0.0,
            jpeg_probability: 0.0,
        }
    }
}

/// Hyper-parameters of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak AdamW learning rate (decays along a cosine to a tenth).
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// Seeds weight initialisation, sampling and augmentation.
    pub seed: u64,
    /// Minibatches per epoch; `None` = samples / batch size, rounded up.
    pub steps_per_epoch: Option<usize>,
    pub augment: AugmentConfig,
    /// Threads of the rayon pool that runs augmentation and matmuls; 0 = the global pool.
    /// Candle's element-wise ops use a separate pool sized once per process from
    /// `CANDLE_NUM_THREADS` / `RAYON_NUM_THREADS`: on a machine busy with other work, set
    /// `RAYON_NUM_THREADS=1` before the first candle op (measured 5x faster there).
    #[serde(default)]
    pub threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 32,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            seed: 20211012,
            steps_per_epoch: None,
            augment: AugmentConfig::default(),
            threads: 0,
        }
    }
}

/// Reported after every training step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainProgress {
    /// 1-based epoch.
    pub epoch: usize,
    pub epochs: usize,
    /// 1-based step within the epoch.
    pub step: usize,
    pub steps_per_epoch: usize,
    /// Loss of this step's minibatch.
    pub loss: f32,
    /// Mean minibatch loss so far in this epoch.
    pub epoch_loss: f32,
}

/// Draws sample indices balanced over attributes and degrees.
#[derive(Debug, Clone)]
pub struct BalancedSampler {
    /// `[attribute][degree]` -> indices of the samples with that label (only non-empty
    /// degree lists, and only attributes that have some).
    groups: Vec<(Attribute, Vec<Vec<usize>>)>,
}

impl BalancedSampler {
    /// Indexes the labels; errors on a degree that is neither 0..=5 nor [`UNKNOWN_DEGREE`] and
    /// when no sample has any known label.
    pub fn new(labels: &[[u8; NUM_HEADS]]) -> Result<Self, PredictorError> {
        let mut by_degree = vec![vec![Vec::new(); NUM_DEGREES]; NUM_HEADS];
        for (i, degrees) in labels.iter().enumerate() {
            for (h, &d) in degrees.iter().enumerate() {
                if d == UNKNOWN_DEGREE {
                    continue;
                }
                if d as usize >= NUM_DEGREES {
                    return Err(PredictorError::BadInput(format!(
                        "sample {i}: {} degree {d} is neither 0..=5 nor {UNKNOWN_DEGREE} (unknown)",
                        Attribute::ALL[h].name()
                    )));
                }
                by_degree[h][d as usize].push(i);
            }
        }
        let groups: Vec<_> = Attribute::ALL
            .iter()
            .zip(by_degree)
            .map(|(&a, degrees)| {
                let present: Vec<Vec<usize>> =
                    degrees.into_iter().filter(|v| !v.is_empty()).collect();
                (a, present)
            })
            .filter(|(_, degrees)| !degrees.is_empty())
            .collect();
        if groups.is_empty() {
            return Err(PredictorError::NoLabels(format!(
                "none of the {} samples has a known degree",
                labels.len()
            )));
        }
        Ok(Self { groups })
    }

    /// Attributes that have at least one known label.
    pub fn attributes(&self) -> Vec<Attribute> {
        self.groups.iter().map(|(a, _)| *a).collect()
    }

    /// One sample index: attribute, then degree, then example, each uniformly.
    pub fn draw(&self, rng: &mut impl Rng) -> usize {
        let (_, degrees) = &self.groups[rng.gen_range(0..self.groups.len())];
        let examples = &degrees[rng.gen_range(0..degrees.len())];
        examples[rng.gen_range(0..examples.len())]
    }
}

/// Mean cross-entropy of `[b, 5, 6]` logits against degree labels, with [`UNKNOWN_DEGREE`]
/// labels masked out: averaged over the labelled samples of each head, then over the heads with
/// labels. Heads (or samples) without labels get exactly zero gradient.
pub fn masked_cross_entropy(
    logits: &Tensor,
    labels: &[[u8; NUM_HEADS]],
) -> Result<Tensor, PredictorError> {
    let dims = logits.dims();
    if dims != [labels.len(), NUM_HEADS, NUM_DEGREES] {
        return Err(PredictorError::BadInput(format!(
            "logits of shape {dims:?} do not match {} label rows of {NUM_HEADS} heads x {NUM_DEGREES} degrees",
            labels.len()
        )));
    }
    let mut counts = [0usize; NUM_HEADS];
    for row in labels {
        for (h, &d) in row.iter().enumerate() {
            if d != UNKNOWN_DEGREE {
                if d as usize >= NUM_DEGREES {
                    return Err(PredictorError::BadInput(format!(
                        "degree label {d} is neither 0..=5 nor {UNKNOWN_DEGREE}"
                    )));
                }
                counts[h] += 1;
            }
        }
    }
    let active_heads = counts.iter().filter(|&&c| c > 0).count();
    if active_heads == 0 {
        return Err(PredictorError::NoLabels(
            "every label in the batch is unknown".into(),
        ));
    }
    let mut targets = Vec::with_capacity(labels.len() * NUM_HEADS);
    let mut weights = Vec::with_capacity(labels.len() * NUM_HEADS);
    for row in labels {
        for (h, &d) in row.iter().enumerate() {
            if d == UNKNOWN_DEGREE {
                targets.push(0u32);
                weights.push(0f32);
            } else {
                targets.push(d as u32);
                weights.push(1.0 / (counts[h] * active_heads) as f32);
            }
        }
    }
    let device = logits.device();
    let shape = (labels.len(), NUM_HEADS, 1);
    let targets = Tensor::from_vec(targets, shape, device)?;
    let weights = Tensor::from_vec(weights, shape, device)?;
    let log_probs = candle_nn::ops::log_softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
    let picked = log_probs.gather(&targets, 2)?;
    Ok((picked * weights)?.sum_all()?.neg()?)
}

/// Returns an augmented copy of `image` (same size), fully determined by `seed`.
pub fn augment(image: &RgbImage, config: &AugmentConfig, seed: u64) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let (w, h) = image.dimensions();
    let mut out = if config.flip && rng.gen_bool(0.5) {
        image::imageops::flip_horizontal(image)
    } else {
        image.clone()
    };
    if config.max_shift > 0 {
        let m = config.max_shift as i64;
        let dx = rng.gen_range(-m..=m);
        let dy = rng.gen_range(-m..=m);
        if dx != 0 || dy != 0 {
            let src = out;
            out = RgbImage::from_fn(w, h, |x, y| {
                let sx = (x as i64 - dx).clamp(0, w as i64 - 1) as u32;
                let sy = (y as i64 - dy).clamp(0, h as i64 - 1) as u32;
                *src.get_pixel(sx, sy)
            });
        }
    }
    let jitter = |rng: &mut StdRng, amount: f32| {
        if amount > 0.0 {
            rng.gen_range(-amount..=amount)
        } else {
            0.0
        }
    };
    let brightness = jitter(&mut rng, config.brightness) * 255.0;
    let contrast = 1.0 + jitter(&mut rng, config.contrast);
    let saturation = 1.0 + jitter(&mut rng, config.saturation);
    if brightness != 0.0 || contrast != 1.0 || saturation != 1.0 {
        let luma = |p: &Rgb<u8>| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        let mean = out.pixels().map(luma).sum::<f32>() / (w * h).max(1) as f32;
        for p in out.pixels_mut() {
            let gray = luma(p);
            for c in p.0.iter_mut() {
                let saturated = gray + saturation * (*c as f32 - gray);
                let v = (saturated - mean) * contrast + mean + brightness;
                *c = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    if rng.gen_bool(config.blur_probability.clamp(0.0, 1.0)) {
        out = image::imageops::blur(&out, rng.gen_range(0.4..1.0));
    }
    if rng.gen_bool(config.rescale_probability.clamp(0.0, 1.0)) {
        let factor = rng.gen_range(0.4f32..0.8);
        let sw = ((w as f32 * factor).round() as u32).max(1);
        let sh = ((h as f32 * factor).round() as u32).max(1);
        let small = image::imageops::resize(&out, sw, sh, FilterType::Triangle);
        out = image::imageops::resize(&small, w, h, FilterType::Triangle);
    }
    if rng.gen_bool(config.jpeg_probability.clamp(0.0, 1.0)) {
        let quality = rng.gen_range(25u8..=75);
        if let Some(decoded) = jpeg_round_trip(&out, quality) {
            out = decoded;
        }
    }
    out
}

/// Encodes and decodes `image` as JPEG; `None` if the codec fails (the image is then kept).
fn jpeg_round_trip(image: &RgbImage, quality: u8) -> Option<RgbImage> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .ok()?;
    let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).ok()?;
    Some(decoded.to_rgb8())
}

/// Re-initialises every variable from `seed`: `*.weight` `[out, in]` Kaiming-normal
/// (std `sqrt(2 / in)`), `*.bias` uniform in `±1/sqrt(in)` (candle's defaults, but seeded).
fn seeded_init(varmap: &VarMap, seed: u64) -> Result<(), PredictorError> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| PredictorError::BadInput("variable map lock poisoned".into()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut fan_in_of = std::collections::HashMap::new();
    for name in &names {
        if let Some(prefix) = name.strip_suffix(".weight") {
            fan_in_of.insert(prefix.to_string(), data[*name].dims()[1]);
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for name in names {
        let var = &data[name];
        let n = var.elem_count();
        let values: Vec<f32> = if let Some(prefix) = name.strip_suffix(".weight") {
            let fan_in = fan_in_of[prefix].max(1) as f32;
            let normal = Normal::new(0.0, (2.0 / fan_in).sqrt())
                .map_err(|e| PredictorError::BadInput(e.to_string()))?;
            (0..n).map(|_| normal.sample(&mut rng)).collect()
        } else {
            let prefix = name.strip_suffix(".bias").unwrap_or(name);
            let fan_in = fan_in_of.get(prefix).copied().unwrap_or(1).max(1) as f32;
            let bound = 1.0 / fan_in.sqrt();
            (0..n).map(|_| rng.gen_range(-bound..=bound)).collect()
        };
        var.set(&Tensor::from_vec(values, var.dims(), var.device())?)?;
    }
    Ok(())
}

/// Runs `f` in `pool` (its rayon loops and matmuls then use only that pool's threads), or in
/// the global pool.
fn in_pool<R: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Trains a predictor of architecture `model_config` on `samples` (CPU).
pub fn train(
    samples: &[TrainSample],
    model_config: &PredictorConfig,
    config: &TrainConfig,
    mut progress: impl FnMut(TrainProgress),
) -> Result<(VarMap, AttributePredictor), PredictorError> {
    model_config.validate()?;
    if config.epochs == 0 || config.batch_size == 0 || config.steps_per_epoch == Some(0) {
        return Err(PredictorError::BadInput(
            "epochs, batch size and steps per epoch must be positive".into(),
        ));
    }
    if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
        return Err(PredictorError::BadInput(format!(
            "learning rate {} must be positive",
            config.learning_rate
        )));
    }
    if let Some(i) = samples
        .iter()
        .position(|s| s.image.width() == 0 || s.image.height() == 0)
    {
        return Err(PredictorError::BadInput(format!(
            "sample {i} has an empty image"
        )));
    }
    let labels: Vec<[u8; NUM_HEADS]> = samples.iter().map(|s| s.degrees).collect();
    let sampler = BalancedSampler::new(&labels)?;

    let side = model_config.input_size as u32;
    let resized: Vec<RgbImage> = samples
        .par_iter()
        .map(|s| {
            if s.image.dimensions() == (side, side) {
                s.image.clone()
            } else {
                image::imageops::resize(&s.image, side, side, FilterType::Triangle)
            }
        })
        .collect();

    let pool = match config.threads {
        0 => None,
        n => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PredictorError::BadInput(format!("cannot start {n} threads: {e}")))?,
        ),
    };
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let model = AttributePredictor::load(vb, model_config)?;
    seeded_init(&varmap, config.seed)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;

    let steps_per_epoch = config
        .steps_per_epoch
        .unwrap_or_else(|| samples.len().div_ceil(config.batch_size));
    let total_steps = (config.epochs * steps_per_epoch).max(1);
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x0a77_b175);
    let mut dropout_rng = StdRng::seed_from_u64(config.seed ^ 0x0d70_9007);
    let mut global_step = 0usize;
    for epoch in 1..=config.epochs {
        let mut loss_sum = 0f32;
        for step in 1..=steps_per_epoch {
            let t = global_step as f64 / total_steps as f64;
            optimizer.set_learning_rate(
                config.learning_rate * (0.1 + 0.45 * (1.0 + (std::f64::consts::PI * t).cos())),
            );
            let picks: Vec<(usize, u64)> = (0..config.batch_size)
                .map(|_| (sampler.draw(&mut rng), rng.gen::<u64>()))
                .collect();
            let batch_labels: Vec<[u8; NUM_HEADS]> =
                picks.iter().map(|&(i, _)| labels[i]).collect();
            let loss = in_pool(pool.as_ref(), || -> Result<f32, PredictorError> {
                let images: Vec<RgbImage> = picks
                    .par_iter()
                    .map(|&(i, seed)| augment(&resized[i], &config.augment, seed))
                    .collect();
                let refs: Vec<&RgbImage> = images.iter().collect();
                let xs = image_tensor_refs(&refs, model_config.input_size, &device)?;
                let logits = model.forward_train(&xs, &mut dropout_rng)?;
                let loss = masked_cross_entropy(&logits, &batch_labels)?;
                optimizer.backward_step(&loss)?;
                Ok(loss.to_scalar::<f32>()?)
            })?;
            if !loss.is_finite() {
                return Err(PredictorError::BadInput(format!(
                    "training diverged (loss {loss}) at epoch {epoch} step {step}; lower the learning rate"
                )));
            }
            loss_sum += loss;
            global_step += 1;
            progress(TrainProgress {
                epoch,
                epochs: config.epochs,
                step,
                steps_per_epoch,
                loss,
                epoch_loss: loss_sum / step as f32,
            });
        }
    }
    Ok((varmap, model))
}

/// Accuracy of one attribute head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeEval {
    pub attribute: Attribute,
    /// Samples with a known label for this attribute.
    pub labelled: usize,
    /// Predicted degree equals the label.
    pub correct: usize,
    /// Predicted degree within one of the label.
    pub within_one: usize,
    /// `confusion[label][prediction]` counts.
    pub confusion: [[usize; NUM_DEGREES]; NUM_DEGREES],
}

impl AttributeEval {
    /// Fraction predicted exactly (0 when nothing is labelled).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.labelled.max(1) as f64
    }

    /// Fraction predicted within one degree.
    pub fn within_one_accuracy(&self) -> f64 {
        self.within_one as f64 / self.labelled.max(1) as f64
    }
}

/// Per-attribute accuracies of a predictor on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub samples: usize,
    /// One entry per attribute, in [`Attribute::ALL`] order.
    pub attributes: Vec<AttributeEval>,
}

impl EvalReport {
    /// Exact accuracy averaged over the attributes that have labels.
    pub fn mean_accuracy(&self) -> f64 {
        let labelled: Vec<_> = self.attributes.iter().filter(|a| a.labelled > 0).collect();
        labelled.iter().map(|a| a.accuracy()).sum::<f64>() / labelled.len().max(1) as f64
    }

    /// The report as markdown: a summary table, then one confusion matrix per attribute
    /// (rows = label, columns = prediction).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| attribute | labelled | accuracy | within one |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
        for a in &self.attributes {
            let _ = writeln!(
                s,
                "| {} | {} | {:.1}% | {:.1}% |",
                a.attribute.name(),
                a.labelled,
                100.0 * a.accuracy(),
                100.0 * a.within_one_accuracy()
            );
        }
        let _ = writeln!(
            s,
            "\nMean accuracy over labelled attributes: {:.1}% ({} samples).",
            100.0 * self.mean_accuracy(),
            self.samples
        );
        for a in self.attributes.iter().filter(|a| a.labelled > 0) {
            let _ = writeln!(
                s,
                "\n**{}** (rows = label, columns = prediction)\n",
                a.attribute.name()
            );
            let _ = writeln!(s, "| label \\ pred | 0 | 1 | 2 | 3 | 4 | 5 |");
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
            for (label, row) in a.confusion.iter().enumerate() {
                let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
                let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
            }
        }
        s
    }
}

/// Predicts every sample (no augmentation) and compares with its labels.
pub fn evaluate(
    model: &AttributePredictor,
    samples: &[TrainSample],
) -> Result<EvalReport, PredictorError> {
    let mut attributes: Vec<AttributeEval> = Attribute::ALL
        .iter()
        .map(|&attribute| AttributeEval {
            attribute,
            labelled: 0,
            correct: 0,
            within_one: 0,
            confusion: [[0; NUM_DEGREES]; NUM_DEGREES],
        })
        .collect();
    for chunk in samples.chunks(EVAL_BATCH) {
        let refs: Vec<&RgbImage> = chunk.iter().map(|s| &s.image).collect();
        let xs = image_tensor_refs(&refs, model.config().input_size, model.device())?;
        let predictions = super::network::Prediction::from_logits(&model.forward(&xs)?)?;
        for (sample, prediction) in chunk.iter().zip(&predictions) {
            for (h, eval) in attributes.iter_mut().enumerate() {
                let label = sample.degrees[h];
                if label == UNKNOWN_DEGREE {
                    continue;
                }
                let label = label as usize;
                if label >= NUM_DEGREES {
                    return Err(PredictorError::BadInput(format!(
                        "degree label {label} is neither 0..=5 nor {UNKNOWN_DEGREE}"
                    )));
                }
                let predicted = prediction.degrees[h];
                eval.labelled += 1;
                eval.correct += usize::from(predicted == label);
                eval.within_one += usize::from(predicted.abs_diff(label) <= 1);
                eval.confusion[label][predicted] += 1;
            }
        }
    }
    Ok(EvalReport {
        samples: samples.len(),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// A 32 x 32 image whose attribute `k` degree `d` is a bright, horizontally centred bar in
    /// band `k` (rows 6k+1..6k+5) of half-width 2 + 2d, on noise. Flip-invariant.
    fn synthetic_image(degrees: &[u8; NUM_HEADS], rng: &mut StdRng) -> RgbImage {
        let mut image = RgbImage::from_fn(32, 32, |_, _| {
            let v = rng.gen_range(0..70u8);
            Rgb([v, v, v])
        });
        for (k, &d) in degrees.iter().enumerate() {
            let level = rng.gen_range(170..=255u8);
            let half = 2 + 2 * d as u32;
            for y in (6 * k as u32 + 2)..(6 * k as u32 + 5) {
                for x in (16 - half)..(16 + half) {
                    image.put_pixel(x, y, Rgb([level, level, level]));
                }
            }
        }
        image
    }

    fn synthetic_set(n: usize, seed: u64, unknown_fraction: f64) -> Vec<TrainSample> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let degrees: [u8; NUM_HEADS] = std::array::from_fn(|_| rng.gen_range(0..6u8));
                let image = synthetic_image(&degrees, &mut rng);
                let labels = degrees.map(|d| {
                    if rng.gen_bool(unknown_fraction) {
                        UNKNOWN_DEGREE
                    } else {
                        d
                    }
                });
                TrainSample {
                    image,
                    degrees: labels,
                }
            })
            .collect()
    }

    fn tiny_config() -> PredictorConfig {
        PredictorConfig {
            input_size: 32,
            stem: 2,
            widths: vec![16, 32, 48],
            hidden: 64,
            pointwise: true,
            dropout: 0.0,
            ..PredictorConfig::default()
        }
    }

    #[test]
    fn predictor_learns_a_synthetic_degree_task() {
        let train_set = synthetic_set(800, 1, 0.15);
        let config = TrainConfig {
            epochs: 9,
            batch_size: 32,
            learning_rate: 2e-3,
            seed: 7,
            augment: AugmentConfig {
                flip: true,
                max_shift: 1,
                brightness: 0.05,
                contrast: 0.1,
                saturation: 0.0,
                blur_probability: 0.1,
                rescale_probability: 0.0,
                jpeg_probability: 0.1,
            },
            ..TrainConfig::default()
        };
        let mut reports = Vec::new();
        let (_, model) = train(&train_set, &tiny_config(), &config, |p| reports.push(p)).unwrap();
        assert_eq!(reports.len(), 9 * 25);
        let first = reports[0].loss;
        let last = reports.last().unwrap().epoch_loss;
        assert!(last < 0.5 * first, "loss {first} -> {last}");

        let report = evaluate(&model, &synthetic_set(300, 2, 0.0)).unwrap();
        let markdown = report.to_markdown();
        for eval in &report.attributes {
            assert_eq!(eval.labelled, 300);
            let confusion_total: usize = eval.confusion.iter().flatten().sum();
            assert_eq!(confusion_total, 300);
            assert!(eval.accuracy() > 0.85, "{markdown}");
            assert!(eval.within_one_accuracy() >= eval.accuracy());
        }
        assert!(report.mean_accuracy() > 0.93, "{markdown}");
        assert!(markdown.contains("| bangs | 300 |"), "{markdown}");
        assert!(markdown.contains("| label \\ pred | 0 | 1 | 2 | 3 | 4 | 5 |"));
    }

    #[test]
    fn predictor_sampler_balances_rare_and_common_degrees() {
        let u = UNKNOWN_DEGREE;
        let mut labels = Vec::new();
        // Bangs: degree 0 x 1000, degree 3 x 100, degree 5 x 10. Beard: degree 1 x 50.
        labels.extend(std::iter::repeat_n([0, u, u, u, u], 1000));
        labels.extend(std::iter::repeat_n([3, u, u, u, u], 100));
        labels.extend(std::iter::repeat_n([5, u, u, u, u], 10));
        labels.extend(std::iter::repeat_n([u, u, 1, u, u], 50));
        let sampler = BalancedSampler::new(&labels).unwrap();
        assert_eq!(
            sampler.attributes(),
            vec![Attribute::Bangs, Attribute::Beard]
        );
        let mut rng = StdRng::seed_from_u64(3);
        let draws = 60_000;
        let mut bangs = [0usize; NUM_DEGREES];
        let mut beard = 0usize;
        for _ in 0..draws {
            let i = sampler.draw(&mut rng);
            match labels[i] {
                [d, ..] if d != u => bangs[d as usize] += 1,
                _ => beard += 1,
            }
        }
        // Half the draws per attribute; a third of the bangs draws per present degree.
        let third = draws as f64 / 6.0;
        for d in [0, 3, 5] {
            assert!((bangs[d] as f64 - third).abs() < 0.05 * third, "{bangs:?}");
        }
        assert_eq!(bangs[1] + bangs[2] + bangs[4], 0);
        assert!((beard as f64 - draws as f64 / 2.0).abs() < 0.03 * draws as f64);

        assert!(BalancedSampler::new(&[[u; NUM_HEADS]; 4]).is_err());
        let err = BalancedSampler::new(&[[0, 0, 9, 0, 0]])
            .unwrap_err()
            .to_string();
        assert!(err.contains("beard degree 9"), "{err}");
    }

    #[test]
    fn predictor_loss_masks_unknown_labels() {
        let u = UNKNOWN_DEGREE;
        let device = Device::Cpu;
        // Uniform logits: cross-entropy ln 6 whatever the labels.
        let zeros = Tensor::zeros((2, NUM_HEADS, NUM_DEGREES), DType::F32, &device).unwrap();
        let loss = masked_cross_entropy(&zeros, &[[0, 1, u, 3, 4], [5, u, u, 2, 1]]).unwrap();
        assert!((loss.to_scalar::<f32>().unwrap() - 6f32.ln()).abs() < 1e-5);
        assert!(masked_cross_entropy(&zeros, &[[u; NUM_HEADS]; 2]).is_err());
        assert!(masked_cross_entropy(&zeros, &[[0; NUM_HEADS]]).is_err());

        // Gradients: head 2 (beard) is unknown everywhere -> its output rows get no gradient.
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let model = AttributePredictor::load(vb, &tiny_config()).unwrap();
        let xs = Tensor::randn(0f32, 0.5, (3, 3, 32, 32), &device).unwrap();
        let labels = [[0, 1, u, 3, 4], [5, u, u, 2, 1], [u, 4, u, 0, 0]];
        let logits = model.forward(&xs).unwrap();
        let loss = masked_cross_entropy(&logits, &labels).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let weight: &Var = &data["head.logits.weight"];
        let bias: &Var = &data["head.logits.bias"];
        let gw = grads.get(weight).unwrap().to_vec2::<f32>().unwrap();
        let gb = grads.get(bias).unwrap().to_vec1::<f32>().unwrap();
        for (row, (g_row, g_bias)) in gw.iter().zip(&gb).enumerate() {
            let head = row / NUM_DEGREES;
            let norm: f32 = g_row.iter().map(|g| g.abs()).sum::<f32>() + g_bias.abs();
            if head == Attribute::Beard.index() {
                assert_eq!(norm, 0.0, "row {row}");
            } else {
                assert!(norm > 0.0, "row {row}");
            }
        }

        // Changing the logits of masked entries does not change the loss.
        let noise = Tensor::randn(0f32, 3.0, (3, NUM_HEADS, NUM_DEGREES), &device).unwrap();
        let mut mask = vec![0f32; 3 * NUM_HEADS * NUM_DEGREES];
        for (b, row) in labels.iter().enumerate() {
            for (h, &d) in row.iter().enumerate() {
                if d == u {
                    for k in 0..NUM_DEGREES {
                        mask[(b * NUM_HEADS + h) * NUM_DEGREES + k] = 1.0;
                    }
                }
            }
        }
        let mask = Tensor::from_vec(mask, (3, NUM_HEADS, NUM_DEGREES), &device).unwrap();
        let moved = (&logits + (noise * mask).unwrap()).unwrap();
        let a = loss.to_scalar::<f32>().unwrap();
        let b = masked_cross_entropy(&moved, &labels)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }

    #[test]
    fn predictor_augmentation_keeps_size_and_is_deterministic_per_seed() {
        let mut rng = StdRng::seed_from_u64(5);
        let image = RgbImage::from_fn(37, 29, |_, _| Rgb([rng.gen(), rng.gen(), rng.gen()]));
        let strong = AugmentConfig {
            blur_probability: 0.5,
            rescale_probability: 0.5,
            jpeg_probability: 0.5,
            ..AugmentConfig::default()
        };
        let mut distinct = std::collections::HashSet::new();
        for seed in 0..12 {
            let a = augment(&image, &strong, seed);
            let b = augment(&image, &strong, seed);
            assert_eq!(a.dimensions(), (37, 29));
            assert_eq!(a, b, "seed {seed}");
            distinct.insert(a.into_raw());
        }
        assert!(distinct.len() >= 11, "{} distinct of 12", distinct.len());
        assert_eq!(augment(&image, &AugmentConfig::none(), 9), image);
    }

    #[test]
    fn predictor_training_is_reproducible_and_rejects_bad_input() {
        let samples = synthetic_set(40, 4, 0.0);
        let config = TrainConfig {
            epochs: 1,
            batch_size: 8,
            steps_per_epoch: Some(2),
            threads: 1,
            ..TrainConfig::default()
        };
        let run = || {
            let (_, model) = train(&samples, &tiny_config(), &config, |_| {}).unwrap();
            let xs = image_tensor_refs(&[&samples[0].image], 32, &Device::Cpu).unwrap();
            model
                .forward(&xs)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(run(), run());

        let no_labels: Vec<TrainSample> = samples[..3]
            .iter()
            .map(|s| TrainSample {
                image: s.image.clone(),
                degrees: [UNKNOWN_DEGREE; NUM_HEADS],
            })
            .collect();
        let Err(err) = train(&no_labels, &tiny_config(), &config, |_| {}) else {
            panic!("training without labels succeeded");
        };
        assert!(matches!(err, PredictorError::NoLabels(_)), "{err}");
        let zero_epochs = TrainConfig {
            epochs: 0,
            ..config.clone()
        };
        assert!(train(&samples, &tiny_config(), &zero_epochs, |_| {}).is_err());
        let mut bad_model = tiny_config();
        bad_model.input_size = 30;
        assert!(matches!(
            train(&samples, &bad_model, &config, |_| {}),
            Err(PredictorError::BadConfig(_))
        ));
    }
}
