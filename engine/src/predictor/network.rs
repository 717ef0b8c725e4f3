//! The attribute predictor network (the paper's P, and the differently built P' that only scores
//! attribute preservation): an aligned face `[b, 3, s, s]` in `[-1, 1]` to 5 heads x 6 degree
//! logits `[b, 5, 6]`, in [`Attribute::ALL`] order.
//!
//! Every stage is a space-to-depth (channels-last `[b, h, w, c] -> [b, h/p, w/p, p*p*c]`)
//! followed by a linear map and leaky ReLU: a pxp stride-p convolution done as one matmul, so the
//! backward pass is matmuls, copies and element-wise products too (candle's CPU conv2d backward
//! goes through a slow conv_transpose). The first stage's patch is `stem` (4 for P, 2 for P'),
//! every later one 2x2. After the last stage the feature map is flattened without pooling (faces
//! are aligned, positions matter), then `Linear(hidden)`, leaky ReLU and `Linear(5 * 6)`. The
//! network is differentiable with respect to the input image (tested against a finite
//! difference), for backpropagating attribute scores into generated images.
//!
//! Weight names mirror the module tree: `stages.{i}.proj`, `stages.{i}.mix` (optional 1x1 layer),
//! `head.hidden`, `head.logits`, each with `.weight` and `.bias`. A saved model is one safetensors
//! file whose metadata holds the [`PredictorConfig`] as JSON ([`AttributePredictor::save_file`],
//! [`AttributePredictor::load_file`]).
//!
//! Speed on this project's 2-core CPU (release, `RAYON_NUM_THREADS=1`, process CPU time over 20
//! steps, two runs, while other jobs shared the machine, so an idle core is somewhat faster):
//!
//! | network | parameters | train step, batch 32 (fwd + bwd + AdamW) | with augmentation | inference |
//! |---|---:|---:|---:|---:|
//! | P (128 px, stem 4, widths 48-96-160-256) | 1.30 M | 0.15 s (203-219 img/s) | 180-220 img/s | 0.70-0.75 ms/img |
//! | P' (96 px, stem 2, widths 24-48-96-160-224) | 0.62 M | 0.08 s (390 img/s) | 355-365 img/s | 0.65-0.70 ms/img |
//! | 128 px, stem 2, widths 16-32-64-128-192 | 0.94 M | 0.14-0.17 s (184-233 img/s) | 173-181 img/s | 0.70-0.80 ms/img |
//!
//! So 3000 faces x 30 epochs train in about 8 minutes (P) or 4 minutes (P'). With the default
//! thread count on a machine busy with other work, candle's spinning element-wise pool made the
//! same step 2-5x slower; set `RAYON_NUM_THREADS=1` there.
//!
//! On 977 teacher-labelled generated faces (15 epochs, 104 held-out faces, mean exact accuracy
//! over the five heads): P 63.4%, the stem-2 network above 64.3%, P' 66.9%; with dropout 0.3,
//! P 66.3% and P' 63.9%. The differences are within the noise of 104 faces, so dropout stays
//! off by default; all of them overfit (92% on the training faces), more faces help most.

use super::PredictorError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::tagged_file::{metadata_json, read_file, write_file, FileError};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder};
use image::imageops::FilterType;
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Number of attribute heads (one per [`Attribute`]).
pub const NUM_HEADS: usize = Attribute::ALL.len();

/// Negative slope of every leaky ReLU in the network.
pub const LEAKY_SLOPE: f64 = 0.2;

/// `format` value in the metadata of a saved predictor file.
pub const FILE_FORMAT: &str = "tte-attribute-predictor-v1";

/// Images per forward pass in [`AttributePredictor::predict`].
const PREDICT_BATCH: usize = 32;

/// Architecture of an attribute predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictorConfig {
    /// Side of the square input image in pixels; must be divisible by
    /// `stem * 2^(widths.len() - 1)`.
    pub input_size: usize,
    /// Patch side of the first stage (2, or 4 for a cheaper 4x4 stride-4 stem); every later
    /// stage is a space-to-depth by 2.
    #[serde(default = "two")]
    pub stem: usize,
    /// Output channels of each patchify stage; the first divides the spatial size by `stem`,
    /// each later one halves it.
    pub widths: Vec<usize>,
    /// Width of the hidden fully connected layer after flattening.
    pub hidden: usize,
    /// Adds a 1x1 layer (`Linear(width, width)` + leaky ReLU, residual) after each stage.
    pub pointwise: bool,
    /// Dropout probability on the flattened features and the hidden layer, in training only
    /// ([`AttributePredictor::forward_train`]).
    #[serde(default)]
    pub dropout: f32,
    /// Outputs of the last layer: `NUM_HEADS * NUM_DEGREES` degree logits for P and P'; the
    /// degree reader ([`super::reader`]) regresses its own number of teacher measures.
    #[serde(default = "degree_logits")]
    pub outputs: usize,
}

fn two() -> usize {
    2
}

fn degree_logits() -> usize {
    NUM_HEADS * NUM_DEGREES
}

impl Default for PredictorConfig {
    /// The predictor P: 128 px input, a 4x4 stem then three 2x2 stages (128 -> 32 -> 16 -> 8
    /// -> 4), hidden 256. The 4x4 stem is a linear patch embedding as wide as its input (48 ->
    /// 48); a 2x2 first stage at 128 px works on a 64x64 map that dominates the cost, so at
    /// the same training speed it only affords a third of the widths (module doc table).
    fn default() -> Self {
        Self {
            input_size: 128,
            stem: 4,
            widths: vec![48, 96, 160, 256],
            hidden: 256,
            pointwise: false,
            dropout: 0.0,
            outputs: degree_logits(),
        }
    }
}

impl PredictorConfig {
    /// The predictor P' used to score attribute preservation: a different architecture and input
    /// resolution (96 px, five 2x2 stages 96 -> 3), trained from a different seed.
    pub fn prime() -> Self {
        Self {
            input_size: 96,
            stem: 2,
            widths: vec![24, 48, 96, 160, 224],
            hidden: 192,
            pointwise: false,
            dropout: 0.0,
            outputs: degree_logits(),
        }
    }

    /// Total downsampling factor: `stem * 2^(stages - 1)`.
    pub fn downsampling(&self) -> usize {
        let shift = self.widths.len().saturating_sub(1) as u32;
        1usize
            .checked_shl(shift)
            .map_or(usize::MAX, |f| f.saturating_mul(self.stem))
    }

    /// Side of the feature map after the last stage.
    pub fn final_size(&self) -> usize {
        self.input_size / self.downsampling()
    }

    /// Patch side of stage `i`.
    fn patch(&self, i: usize) -> usize {
        if i == 0 {
            self.stem
        } else {
            2
        }
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<(), PredictorError> {
        let bad = |msg: String| Err(PredictorError::BadConfig(msg));
        if self.widths.is_empty() {
            return bad("at least one stage width is needed".into());
        }
        if !(0.0..0.95).contains(&self.dropout) {
            return bad(format!("dropout {} must be in [0, 0.95)", self.dropout));
        }
        if self.widths.contains(&0) || self.hidden == 0 || self.outputs == 0 {
            return bad("stage widths and the hidden width must be positive".into());
        }
        if self.widths.len() >= usize::BITS as usize - 1 {
            return bad(format!("{} stages are too many", self.widths.len()));
        }
        if self.stem < 2 || self.stem > 8 {
            return bad(format!("stem patch side {} must be in 2..=8", self.stem));
        }
        let factor = self.downsampling();
        if self.input_size == 0 || !self.input_size.is_multiple_of(factor) {
            return bad(format!(
                "input size {} must be a positive multiple of {} x 2^{} = {factor} (stem {} and {} stages)",
                self.input_size,
                self.stem,
                self.widths.len() - 1,
                self.stem,
                self.widths.len()
            ));
        }
        Ok(())
    }
}

/// One patchify stage: space-to-depth by 2, `Linear(4c, width)`, leaky ReLU, and optionally a
/// residual 1x1 layer.
#[derive(Debug, Clone)]
struct PatchStage {
    patch: usize,
    proj: Linear,
    mix: Option<Linear>,
}

impl PatchStage {
    fn load(
        vb: VarBuilder,
        patch: usize,
        in_channels: usize,
        width: usize,
        pointwise: bool,
    ) -> candle_core::Result<Self> {
        let proj = candle_nn::linear(patch * patch * in_channels, width, vb.pp("proj"))?;
        let mix = if pointwise {
            Some(candle_nn::linear(width, width, vb.pp("mix"))?)
        } else {
            None
        };
        Ok(Self { patch, proj, mix })
    }

    /// `[b, h, w, c]` (contiguous, channels-last) to `[b, h/p, w/p, width]`.
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (b, h, w, _) = xs.dims4()?;
        let (h, w) = (h / self.patch, w / self.patch);
        let patches = space_to_depth(xs, self.patch)?;
        let rows = patches.reshape((b * h * w, ()))?;
        let mut ys = leaky_relu(&self.proj.forward(&rows)?)?;
        if let Some(mix) = &self.mix {
            ys = (&ys + leaky_relu(&mix.forward(&ys)?)?)?;
        }
        ys.reshape((b, h, w, ()))
    }

    fn named_tensors(&self, prefix: &str, out: &mut Vec<(String, Tensor)>) {
        push_linear(&format!("{prefix}.proj"), &self.proj, out);
        if let Some(mix) = &self.mix {
            push_linear(&format!("{prefix}.mix"), mix, out);
        }
    }
}

fn push_linear(prefix: &str, linear: &Linear, out: &mut Vec<(String, Tensor)>) {
    out.push((format!("{prefix}.weight"), linear.weight().clone()));
    if let Some(bias) = linear.bias() {
        out.push((format!("{prefix}.bias"), bias.clone()));
    }
}

/// Channels-last space-to-depth by `p`: `[b, h, w, c] -> [b, h/p, w/p, p*p*c]`, channel
/// order `(dy, dx, c)`. Done as one 4-d transpose of contiguous `p*c` blocks.
pub fn space_to_depth(xs: &Tensor, p: usize) -> candle_core::Result<Tensor> {
    let (b, h, w, c) = xs.dims4()?;
    xs.reshape((b * h / p, p, w / p, p * c))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b, h / p, w / p, p * p * c))
}

/// Inverted dropout with a mask drawn from `rng`: each element is kept with probability
/// `1 - p` and scaled by `1 / (1 - p)`.
fn dropout(xs: &Tensor, p: f32, rng: &mut impl rand::Rng) -> candle_core::Result<Tensor> {
    if p <= 0.0 {
        return Ok(xs.clone());
    }
    let scale = 1.0 / (1.0 - p);
    let mask: Vec<f32> = (0..xs.elem_count())
        .map(|_| if rng.gen::<f32>() < p { 0.0 } else { scale })
        .collect();
    xs * Tensor::from_vec(mask, xs.shape(), xs.device())?
}

/// Leaky ReLU with slope [`LEAKY_SLOPE`], as `x * m` with the detached mask
/// `m = 1 where x > 0, else LEAKY_SLOPE`: the backward pass is a single multiply.
pub fn leaky_relu(xs: &Tensor) -> candle_core::Result<Tensor> {
    let mask = xs
        .gt(0.0)?
        .to_dtype(xs.dtype())?
        .affine(1.0 - LEAKY_SLOPE, LEAKY_SLOPE)?
        .detach();
    xs * mask
}

/// The attribute predictor: aligned face images to per-attribute degree logits.
#[derive(Debug, Clone)]
pub struct AttributePredictor {
    config: PredictorConfig,
    stages: Vec<PatchStage>,
    hidden: Linear,
    logits: Linear,
    device: Device,
}

impl AttributePredictor {
    /// Builds the network from `vb` (a `VarMap` for training, loaded tensors for inference).
    pub fn load(vb: VarBuilder, config: &PredictorConfig) -> Result<Self, PredictorError> {
        config.validate()?;
        let device = vb.device().clone();
        let vb_stages = vb.pp("stages");
        let mut stages = Vec::with_capacity(config.widths.len());
        let mut in_channels = 3;
        for (i, &width) in config.widths.iter().enumerate() {
            stages.push(PatchStage::load(
                vb_stages.pp(i),
                config.patch(i),
                in_channels,
                width,
                config.pointwise,
            )?);
            in_channels = width;
        }
        let side = config.final_size();
        let flat = side * side * in_channels;
        let vb_head = vb.pp("head");
        let hidden = candle_nn::linear(flat, config.hidden, vb_head.pp("hidden"))?;
        let logits = candle_nn::linear(config.hidden, config.outputs, vb_head.pp("logits"))?;
        Ok(Self {
            config: config.clone(),
            stages,
            hidden,
            logits,
            device,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &PredictorConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `[b, 3, s, s]` images in `[-1, 1]` (s = `input_size`) to `[b, 5, 6]` logits.
    /// Differentiable with respect to the images.
    pub fn forward(&self, images: &Tensor) -> Result<Tensor, PredictorError> {
        self.degree_logits(self.forward_impl::<rand::rngs::StdRng>(images, None)?)
    }

    /// [`AttributePredictor::forward`] in training mode: inverted dropout (masks drawn from
    /// `rng`, so a seeded run is reproducible) on the flattened features and the hidden layer.
    pub fn forward_train(
        &self,
        images: &Tensor,
        rng: &mut impl rand::Rng,
    ) -> Result<Tensor, PredictorError> {
        self.degree_logits(self.forward_impl(images, Some(rng))?)
    }

    /// The raw last layer, `[b, outputs]` (for networks that are not degree classifiers);
    /// dropout when `rng` is given.
    pub fn forward_outputs<R: rand::Rng>(
        &self,
        images: &Tensor,
        rng: Option<&mut R>,
    ) -> Result<Tensor, PredictorError> {
        self.forward_impl(images, rng)
    }

    fn degree_logits(&self, out: Tensor) -> Result<Tensor, PredictorError> {
        if self.config.outputs != NUM_HEADS * NUM_DEGREES {
            return Err(PredictorError::BadConfig(format!(
                "a network with {} outputs is not a degree predictor",
                self.config.outputs
            )));
        }
        let batch = out.dim(0)?;
        Ok(out.reshape((batch, NUM_HEADS, NUM_DEGREES))?)
    }

    fn forward_impl<R: rand::Rng>(
        &self,
        images: &Tensor,
        mut rng: Option<&mut R>,
    ) -> Result<Tensor, PredictorError> {
        let size = self.config.input_size;
        let dims = images.dims();
        if dims.len() != 4 || dims[1] != 3 || dims[2] != size || dims[3] != size || dims[0] == 0 {
            return Err(PredictorError::BadInput(format!(
                "expected images of shape [b>0, 3, {size}, {size}], got {dims:?}"
            )));
        }
        let batch = dims[0];
        let mut xs = images.permute((0, 2, 3, 1))?.contiguous()?;
        for stage in &self.stages {
            xs = stage.forward(&xs)?;
        }
        let p = self.config.dropout;
        let mut flat = xs.reshape((batch, ()))?;
        if let Some(rng) = rng.as_deref_mut() {
            flat = dropout(&flat, p, rng)?;
        }
        let mut hidden = leaky_relu(&self.hidden.forward(&flat)?)?;
        if let Some(rng) = rng {
            hidden = dropout(&hidden, p, rng)?;
        }
        Ok(self.logits.forward(&hidden)?)
    }

    /// Predicts degrees for RGB images of any size (resized to `input_size` when needed).
    pub fn predict(&self, images: &[RgbImage]) -> Result<Vec<Prediction>, PredictorError> {
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(PREDICT_BATCH) {
            let xs = image_tensor(chunk, self.config.input_size, &self.device)?;
            out.extend(Prediction::from_logits(&self.forward(&xs)?)?);
        }
        Ok(out)
    }

    /// All weights under their `VarBuilder` names.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, stage) in self.stages.iter().enumerate() {
            stage.named_tensors(&format!("stages.{i}"), &mut out);
        }
        push_linear("head.hidden", &self.hidden, &mut out);
        push_linear("head.logits", &self.logits, &mut out);
        out
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        self.named_tensors()
            .iter()
            .map(|(_, t)| t.elem_count())
            .sum()
    }

    /// Writes the weights (f32) and the config (JSON in the safetensors metadata) to one file.
    pub fn save_file(&self, path: &Path) -> Result<(), PredictorError> {
        let config = serde_json::to_string(&self.config)
            .map_err(|e| PredictorError::file(path, e.to_string()))?;
        let metadata = HashMap::from([
            ("format".to_string(), FILE_FORMAT.to_string()),
            ("config".to_string(), config),
        ]);
        write_file(path, &self.named_tensors(), metadata)
    }

    /// Loads a file written by [`AttributePredictor::save_file`]; the architecture comes from
    /// the file's metadata.
    pub fn load_file(path: &Path, device: &Device) -> Result<Self, PredictorError> {
        let bad = |reason: String| PredictorError::file(path, reason);
        let (tensors, metadata) = read_file::<PredictorError>(path, FILE_FORMAT, device)?;
        let config: PredictorConfig =
            metadata_json::<_, PredictorError>(path, &metadata, "config")?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        Self::load(vb, &config).map_err(|e| match e {
            PredictorError::Candle(e) => bad(format!("weights do not match the config: {e}")),
            other => other,
        })
    }
}

/// Stacks RGB images into a `[n, 3, size, size]` tensor in `[-1, 1]`, resizing (Triangle filter)
/// the ones that are not already `size` x `size`.
pub fn image_tensor(
    images: &[RgbImage],
    size: usize,
    device: &Device,
) -> Result<Tensor, PredictorError> {
    let refs: Vec<&RgbImage> = images.iter().collect();
    image_tensor_refs(&refs, size, device)
}

/// [`image_tensor`] for borrowed images.
pub fn image_tensor_refs(
    images: &[&RgbImage],
    size: usize,
    device: &Device,
) -> Result<Tensor, PredictorError> {
    if images.is_empty() {
        return Err(PredictorError::BadInput("no images given".into()));
    }
    if size == 0 {
        return Err(PredictorError::BadInput(
            "image size must be positive".into(),
        ));
    }
    if let Some(i) = images
        .iter()
        .position(|im| im.width() == 0 || im.height() == 0)
    {
        return Err(PredictorError::BadInput(format!("image {i} is empty")));
    }
    let side = size as u32;
    let per_image = size * size * 3;
    let mut values = vec![0f32; images.len() * per_image];
    values
        .par_chunks_mut(per_image)
        .zip(images.par_iter())
        .for_each(|(dst, &image)| {
            let resized;
            let src = if image.width() == side && image.height() == side {
                image
            } else {
                resized = image::imageops::resize(image, side, side, FilterType::Triangle);
                &resized
            };
            for (d, &v) in dst.iter_mut().zip(src.as_raw().iter()) {
                *d = v as f32 / 127.5 - 1.0;
            }
        });
    let hwc = Tensor::from_vec(values, (images.len(), size, size, 3), device)?;
    Ok(hwc.permute((0, 3, 1, 2))?.contiguous()?)
}

/// Softmax probabilities over the degrees (last dimension) of `[b, 5, 6]` logits.
pub fn softmax(logits: &Tensor) -> Result<Tensor, PredictorError> {
    Ok(candle_nn::ops::softmax(logits, D::Minus1)?)
}

/// The predictor's reading of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Most probable degree per attribute (argmax).
    pub degrees: [usize; NUM_HEADS],
    /// Expected degree `E[d] = sum_d d * p(d)` per attribute (a continuous score).
    pub expected: [f32; NUM_HEADS],
    /// Degree probabilities per attribute.
    pub probabilities: [[f32; NUM_DEGREES]; NUM_HEADS],
}

impl Prediction {
    /// The probability of eyeglasses degree 4 or 5: sunglasses (supplement table A3).
    pub fn sunglasses(&self) -> f32 {
        let g = crate::attributes::Attribute::Eyeglasses.index();
        self.probabilities[g][4] + self.probabilities[g][5]
    }

    /// Reads predictions from `[b, 5, 6]` logits.
    pub fn from_logits(logits: &Tensor) -> Result<Vec<Self>, PredictorError> {
        let dims = logits.dims();
        if dims.len() != 3 || dims[1] != NUM_HEADS || dims[2] != NUM_DEGREES {
            return Err(PredictorError::BadInput(format!(
                "expected logits of shape [b, {NUM_HEADS}, {NUM_DEGREES}], got {dims:?}"
            )));
        }
        let probs = softmax(&logits.to_dtype(DType::F32)?)?.to_vec3::<f32>()?;
        Ok(probs.into_iter().map(Self::from_probabilities).collect())
    }

    fn from_probabilities(per_head: Vec<Vec<f32>>) -> Self {
        let mut out = Prediction {
            degrees: [0; NUM_HEADS],
            expected: [0.0; NUM_HEADS],
            probabilities: [[0.0; NUM_DEGREES]; NUM_HEADS],
        };
        for (h, p) in per_head.iter().enumerate().take(NUM_HEADS) {
            for (d, &v) in p.iter().enumerate().take(NUM_DEGREES) {
                out.probabilities[h][d] = v;
                out.expected[h] += d as f32 * v;
                if v > out.probabilities[h][out.degrees[h]] {
                    out.degrees[h] = d;
                }
            }
        }
        out
    }

    /// Most probable degree of `attribute`.
    pub fn degree(&self, attribute: Attribute) -> usize {
        self.degrees[attribute.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarMap;

    fn tiny_config() -> PredictorConfig {
        PredictorConfig {
            input_size: 32,
            stem: 2,
            widths: vec![8, 16, 24],
            hidden: 32,
            pointwise: true,
            dropout: 0.0,
            ..PredictorConfig::default()
        }
    }

    fn fresh(config: &PredictorConfig) -> (VarMap, AttributePredictor) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let model = AttributePredictor::load(vb, config).unwrap();
        (varmap, model)
    }

    fn gradient_image(w: u32, h: u32, shift: u8) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7) as u8 ^ shift,
                (y * 5) as u8,
                ((x + y) * 3) as u8 ^ shift,
            ])
        })
    }

    #[test]
    fn predictor_shapes_for_p_and_p_prime() {
        for config in [PredictorConfig::default(), PredictorConfig::prime()] {
            let (_, model) = fresh(&config);
            let s = config.input_size;
            let xs = Tensor::randn(0f32, 0.5, (2, 3, s, s), &Device::Cpu).unwrap();
            let logits = model.forward(&xs).unwrap();
            assert_eq!(logits.dims(), &[2, NUM_HEADS, NUM_DEGREES]);
            let finite = logits.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert!(finite.iter().all(|v| v.is_finite()));
        }
        assert_eq!(PredictorConfig::default().final_size(), 4);
        assert_eq!(PredictorConfig::prime().final_size(), 3);
    }

    #[test]
    fn predictor_is_differentiable_with_respect_to_the_image() {
        // Issue 5 backpropagates through P into generated images: the gradient must reach
        // every pixel region and match a finite difference.
        let (_, model) = fresh(&tiny_config());
        let image = candle_core::Var::from_tensor(
            &Tensor::randn(0f32, 0.5, (1, 3, 32, 32), &Device::Cpu).unwrap(),
        )
        .unwrap();
        let score = |xs: &Tensor| -> Tensor {
            let logits = model.forward(xs).unwrap();
            // Expected smiling degree: a smooth scalar of the image.
            let probs = softmax(&logits).unwrap().get(0).unwrap().get(3).unwrap();
            let degrees = Tensor::arange(0f32, 6.0, &Device::Cpu).unwrap();
            (probs * degrees).unwrap().sum_all().unwrap()
        };
        let grads = score(image.as_tensor()).backward().unwrap();
        let grad = grads.get(image.as_tensor()).unwrap();
        assert_eq!(grad.dims(), &[1, 3, 32, 32]);
        let g = grad.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let nonzero = g.iter().filter(|v| v.abs() > 0.0).count();
        assert!(
            nonzero > g.len() * 9 / 10,
            "{nonzero} of {} pixels",
            g.len()
        );

        // Central difference along the gradient direction.
        let norm = g.iter().map(|v| v * v).sum::<f32>().sqrt();
        let direction = (grad / norm as f64).unwrap();
        let eps = 1e-2;
        let plus = (image.as_tensor() + (&direction * eps).unwrap()).unwrap();
        let minus = (image.as_tensor() - (&direction * eps).unwrap()).unwrap();
        let numeric = (score(&plus).to_scalar::<f32>().unwrap()
            - score(&minus).to_scalar::<f32>().unwrap())
            / (2.0 * eps as f32);
        assert!(
            (numeric - norm).abs() < 0.05 * norm,
            "directional derivative {numeric} vs gradient norm {norm}"
        );
    }

    #[test]
    fn predictor_dropout_only_in_training_and_seeded() {
        use rand::SeedableRng;
        let mut config = tiny_config();
        let xs = Tensor::randn(0f32, 0.5, (4, 3, 32, 32), &Device::Cpu).unwrap();
        let values = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let rng = |seed| rand::rngs::StdRng::seed_from_u64(seed);

        let (_, plain) = fresh(&config);
        let eval = values(plain.forward(&xs).unwrap());
        let train = values(plain.forward_train(&xs, &mut rng(1)).unwrap());
        assert_eq!(eval, train, "dropout 0 changes nothing");

        config.dropout = 0.5;
        let (_, model) = fresh(&config);
        let eval = values(model.forward(&xs).unwrap());
        assert_eq!(eval, values(model.forward(&xs).unwrap()));
        let a = values(model.forward_train(&xs, &mut rng(1)).unwrap());
        let b = values(model.forward_train(&xs, &mut rng(1)).unwrap());
        let c = values(model.forward_train(&xs, &mut rng(2)).unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, eval);

        config.dropout = 1.0;
        assert!(config.validate().is_err());
    }

    #[test]
    fn predictor_rejects_bad_configs_and_inputs() {
        let mut config = tiny_config();
        config.input_size = 36;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("multiple of 2 x 2^2 = 8"), "{err}");
        config.input_size = 32;
        config.stem = 1;
        assert!(config.validate().is_err());
        config.stem = 4;
        config.validate().unwrap();
        assert_eq!(config.final_size(), 2);
        config.widths.clear();
        assert!(config.validate().is_err());

        let (_, model) = fresh(&tiny_config());
        let wrong = Tensor::zeros((1, 3, 16, 16), DType::F32, &Device::Cpu).unwrap();
        let err = model.forward(&wrong).unwrap_err().to_string();
        assert!(err.contains("[b>0, 3, 32, 32]"), "{err}");
        assert!(model.predict(&[]).unwrap().is_empty());
        assert!(image_tensor(&[], 32, &Device::Cpu).is_err());
        assert!(image_tensor(&[RgbImage::new(0, 4)], 32, &Device::Cpu).is_err());
    }

    #[test]
    fn predictor_space_to_depth_moves_2x2_blocks_into_channels() {
        // [1, 2, 4, 1] with values 0..8: blocks (0,1,4,5) and (2,3,6,7).
        let xs = Tensor::arange(0f32, 8.0, &Device::Cpu)
            .unwrap()
            .reshape((1, 2, 4, 1))
            .unwrap();
        let ys = space_to_depth(&xs, 2).unwrap();
        assert_eq!(ys.dims(), &[1, 1, 2, 4]);
        let v = ys.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(v, vec![0.0, 1.0, 4.0, 5.0, 2.0, 3.0, 6.0, 7.0]);
        // By 4: a 4x4 image becomes one pixel with its 16 values in row-major order.
        let xs = Tensor::arange(0f32, 16.0, &Device::Cpu)
            .unwrap()
            .reshape((1, 4, 4, 1))
            .unwrap();
        let ys = space_to_depth(&xs, 4).unwrap();
        assert_eq!(ys.dims(), &[1, 1, 1, 16]);
        let v = ys.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(v, (0..16).map(|i| i as f32).collect::<Vec<_>>());
    }

    #[test]
    fn predictor_image_tensor_resizes_and_maps_to_unit_range() {
        let images = vec![gradient_image(32, 32, 0), gradient_image(64, 48, 9)];
        let xs = image_tensor(&images, 32, &Device::Cpu).unwrap();
        assert_eq!(xs.dims(), &[2, 3, 32, 32]);
        let v = xs.get(0).unwrap().to_vec3::<f32>().unwrap();
        // Pixel (x=3, y=2) of the first image, unresized: red = 21, green = 10.
        assert!((v[0][2][3] - (21.0 / 127.5 - 1.0)).abs() < 1e-6);
        assert!((v[1][2][3] - (10.0 / 127.5 - 1.0)).abs() < 1e-6);
        let all = xs.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(all.iter().all(|x| (-1.0..=1.0).contains(x)));
    }

    #[test]
    fn predictor_prediction_reads_argmax_and_expectation() {
        let mut logits = vec![0f32; NUM_HEADS * NUM_DEGREES];
        logits[2] = 10.0; // head 0 -> degree 2
        logits[NUM_DEGREES + 5] = 10.0; // head 1 -> degree 5
        let t = Tensor::from_vec(logits, (1, NUM_HEADS, NUM_DEGREES), &Device::Cpu).unwrap();
        let p = &Prediction::from_logits(&t).unwrap()[0];
        assert_eq!(p.degrees[0], 2);
        assert_eq!(p.degree(Attribute::Eyeglasses), 5);
        assert!((p.expected[0] - 2.0).abs() < 0.01);
        assert!((p.expected[2] - 2.5).abs() < 1e-4); // uniform head: mean of 0..=5
        for head in p.probabilities {
            assert!((head.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn predictor_save_load_round_trip_gives_identical_logits() {
        let config = tiny_config();
        let (_, model) = fresh(&config);
        let dir = std::env::temp_dir().join(format!("tte-predictor-{}", std::process::id()));
        let path = dir.join("p.safetensors");
        model.save_file(&path).unwrap();
        let loaded = AttributePredictor::load_file(&path, &Device::Cpu).unwrap();
        assert_eq!(loaded.config(), &config);
        assert_eq!(loaded.parameter_count(), model.parameter_count());
        let images = vec![gradient_image(32, 32, 3), gradient_image(40, 40, 17)];
        let xs = image_tensor(&images, 32, &Device::Cpu).unwrap();
        let a = model
            .forward(&xs)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = loaded
            .forward(&xs)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b);

        // A file that is not a predictor gives a clear error.
        let other = dir.join("plain.safetensors");
        let t = Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap();
        candle_core::safetensors::save(&HashMap::from([("x", t)]), &other).unwrap();
        let err = AttributePredictor::load_file(&other, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no metadata"), "{err}");
        let err = AttributePredictor::load_file(&dir.join("missing"), &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
