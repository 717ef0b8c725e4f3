//! Latent surrogates: small MLPs on w that stand in for the image-space networks while the
//! semantic fields are trained on the CPU.
//!
//! Backpropagating through the 1024 px generator costs 0.3 s per forward pass alone on this
//! 2-core machine, so the fields are trained against
//! - the attribute surrogate S: w `[b, 512]` -> `[b, 5, 6]` degree logits, fitted to the
//!   attribute predictor P's probabilities on the rendered faces (soft cross-entropy), and
//! - the identity surrogate I: w `[b, 512]` -> a 512-d unit vector, fitted to the identity
//!   embeddings of the rendered faces (cosine loss),
//!
//! and the trained fields are then checked on real renders with the real P. For W+ codes both
//! read the mean of the first k style layers, the layers a field edit moves ([`surrogate_input`]).
//!
//! Both are plain MLPs (leaky ReLU 0.2 between layers) with a stored input standardisation
//! (per-dimension mean and standard deviation of the training latents) so that the weights see
//! unit-scale inputs.

use super::FieldError;
use crate::attributes::NUM_DEGREES;
use crate::generator::LATENT_DIM;
use crate::predictor::NUM_HEADS;
use crate::tagged_file::{metadata_json, read_file, write_file};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, Optimizer, VarBuilder, VarMap};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// `metadata["format"]` of a saved surrogate.
pub const SURROGATE_FILE_FORMAT: &str = "tte-latent-surrogate-v1";

/// What a surrogate stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurrogateKind {
    /// S: `[b, 5, 6]` degree logits (the attribute predictor P).
    Attributes,
    /// I: `[b, 512]` unit identity vectors (the identity encoder).
    Identity,
}

impl SurrogateKind {
    /// Layer widths from input to output: S 512-512-256-30, I 512-512-512-512.
    pub fn default_dims(self) -> Vec<usize> {
        match self {
            SurrogateKind::Attributes => vec![LATENT_DIM, 512, 256, NUM_HEADS * NUM_DEGREES],
            SurrogateKind::Identity => vec![LATENT_DIM, 512, 512, 512],
        }
    }
}

/// The w a surrogate reads: w itself for `[b, 512]`, the mean of the first `k` style layers for a
/// W+ code `[b, L, 512]`.
pub fn surrogate_input(styles: &Tensor, k: usize) -> Result<Tensor, FieldError> {
    match styles.dims() {
        [b, d] if *b > 0 && *d == LATENT_DIM => Ok(styles.clone()),
        [b, l, d] if *b > 0 && *d == LATENT_DIM && (1..=*l).contains(&k) => {
            Ok(styles.narrow(1, 0, k)?.mean(1)?)
        }
        dims => Err(FieldError::BadInput(format!(
            "surrogate input must be w [b, {LATENT_DIM}] or W+ [b, L >= {k}, {LATENT_DIM}], got {dims:?}"
        ))),
    }
}

/// A latent surrogate (S or I).
#[derive(Debug, Clone)]
pub struct LatentSurrogate {
    kind: SurrogateKind,
    dims: Vec<usize>,
    layers: Vec<Linear>,
    input_mean: Tensor,
    input_std: Tensor,
}

impl LatentSurrogate {
    /// Builds the network from `vb`; `input_mean`/`input_std` are `[512]` standardisation vectors.
    pub fn load(
        vb: VarBuilder,
        kind: SurrogateKind,
        dims: &[usize],
        input_mean: Tensor,
        input_std: Tensor,
    ) -> Result<Self, FieldError> {
        let out = match kind {
            SurrogateKind::Attributes => NUM_HEADS * NUM_DEGREES,
            SurrogateKind::Identity => dims.last().copied().unwrap_or(0),
        };
        if dims.len() < 2 || dims[0] != LATENT_DIM || dims.last() != Some(&out) || out == 0 {
            return Err(FieldError::BadConfig(format!(
                "{kind:?} surrogate dims must go from {LATENT_DIM} to {out} (>= 2 entries), got {dims:?}"
            )));
        }
        if dims.contains(&0) {
            return Err(FieldError::BadConfig(format!("zero width in {dims:?}")));
        }
        for t in [&input_mean, &input_std] {
            if t.dims() != [LATENT_DIM] {
                return Err(FieldError::BadConfig(format!(
                    "standardisation vectors must be [{LATENT_DIM}], got {:?}",
                    t.dims()
                )));
            }
        }
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(i, p)| candle_nn::linear(p[0], p[1], vb.pp(format!("layers.{i}"))))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            kind,
            dims: dims.to_vec(),
            layers,
            input_mean: input_mean.to_dtype(DType::F32)?,
            input_std: input_std.to_dtype(DType::F32)?,
        })
    }

    pub fn kind(&self) -> SurrogateKind {
        self.kind
    }

    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Raw network output `[b, dims.last]` for w `[b, 512]` or W+ (reads the first `k` layers).
    fn raw(&self, styles: &Tensor, k: usize) -> Result<Tensor, FieldError> {
        let w = surrogate_input(styles, k)?;
        let mut x = w
            .broadcast_sub(&self.input_mean)?
            .broadcast_div(&self.input_std)?;
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x)?;
            if i < last {
                x = x.maximum(&(&x * 0.2)?)?;
            }
        }
        Ok(x)
    }

    /// S: degree logits `[b, 5, 6]`. Differentiable in the input.
    pub fn attribute_logits(&self, styles: &Tensor, k: usize) -> Result<Tensor, FieldError> {
        if self.kind != SurrogateKind::Attributes {
            return Err(FieldError::BadInput(
                "attribute logits asked of an identity surrogate".into(),
            ));
        }
        let x = self.raw(styles, k)?;
        let b = x.dim(0)?;
        Ok(x.reshape((b, NUM_HEADS, NUM_DEGREES))?)
    }

    /// I: unit identity vectors `[b, n]`. Differentiable in the input.
    pub fn identity(&self, styles: &Tensor, k: usize) -> Result<Tensor, FieldError> {
        if self.kind != SurrogateKind::Identity {
            return Err(FieldError::BadInput(
                "identity asked of an attribute surrogate".into(),
            ));
        }
        normalize_rows(&self.raw(styles, k)?)
    }

    /// Weights and standardisation under their file names.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![
            ("input.mean".to_string(), self.input_mean.clone()),
            ("input.std".to_string(), self.input_std.clone()),
        ];
        for (i, layer) in self.layers.iter().enumerate() {
            out.push((format!("layers.{i}.weight"), layer.weight().clone()));
            if let Some(bias) = layer.bias() {
                out.push((format!("layers.{i}.bias"), bias.clone()));
            }
        }
        out
    }

    /// Writes weights, kind, dims and `extra` metadata (e.g. measured agreement) to one file.
    pub fn save_file(
        &self,
        path: &Path,
        extra: &HashMap<String, String>,
    ) -> Result<(), FieldError> {
        let mut metadata = extra.clone();
        metadata.insert("format".into(), SURROGATE_FILE_FORMAT.into());
        metadata.insert(
            "kind".into(),
            serde_json::to_string(&self.kind).unwrap_or_default(),
        );
        metadata.insert(
            "dims".into(),
            serde_json::to_string(&self.dims).unwrap_or_default(),
        );
        write_file(path, &self.named_tensors(), metadata)
    }

    /// Loads a file written by [`LatentSurrogate::save_file`] and checks its kind.
    pub fn load_file(
        path: &Path,
        kind: SurrogateKind,
        device: &Device,
    ) -> Result<Self, FieldError> {
        let (mut tensors, metadata) = read_file::<FieldError>(path, SURROGATE_FILE_FORMAT, device)?;
        let bad = |reason: String| FieldError::File {
            path: path.to_path_buf(),
            reason,
        };
        let file_kind: SurrogateKind = metadata_json::<_, FieldError>(path, &metadata, "kind")?;
        if file_kind != kind {
            return Err(bad(format!(
                "holds a {file_kind:?} surrogate, not {kind:?}"
            )));
        }
        let dims: Vec<usize> = metadata_json::<_, FieldError>(path, &metadata, "dims")?;
        let mean = tensors
            .remove("input.mean")
            .ok_or_else(|| bad("no input.mean".into()))?;
        let std = tensors
            .remove("input.std")
            .ok_or_else(|| bad("no input.std".into()))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        Self::load(vb, kind, &dims, mean, std).map_err(|e| match e {
            FieldError::Candle(e) => bad(format!("weights do not match the dims: {e}")),
            other => other,
        })
    }
}

/// Rows scaled to unit length.
pub fn normalize_rows(x: &Tensor) -> Result<Tensor, FieldError> {
    let norm = (x.sqr()?.sum_keepdim(D::Minus1)? + 1e-12)?.sqrt()?;
    Ok(x.broadcast_div(&norm)?)
}

/// Soft cross-entropy `-sum_d t_d log softmax(logits)_d`, per head, averaged over the heads whose
/// `mask` entry is 1. `logits`, `targets` `[b, 5, 6]`; `mask` `[b, 5]` of 0/1.
pub fn soft_cross_entropy(
    logits: &Tensor,
    targets: &Tensor,
    mask: &Tensor,
) -> Result<Tensor, FieldError> {
    if logits.dims() != targets.dims() || logits.dims().len() != 3 {
        return Err(FieldError::BadInput(format!(
            "logits {:?} and targets {:?} must both be [b, heads, degrees]",
            logits.dims(),
            targets.dims()
        )));
    }
    if mask.dims() != &logits.dims()[..2] {
        return Err(FieldError::BadInput(format!(
            "mask {:?} must be [b, heads] = {:?}",
            mask.dims(),
            &logits.dims()[..2]
        )));
    }
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let per_head = (targets * log_p)?.sum(D::Minus1)?.neg()?;
    let total = (per_head * mask)?.sum_all()?;
    let count = (mask.sum_all()? + 1e-6)?;
    Ok(total.div(&count)?)
}

/// How to fit a surrogate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurrogateTrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub seed: u64,
}

impl Default for SurrogateTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch: 64,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            seed: 5,
        }
    }
}

/// What the surrogate is fitted to.
pub enum SurrogateTargets<'a> {
    /// Degree probabilities `[n, 5, 6]` and a `[n, 5]` 0/1 mask of known heads.
    Attributes {
        probabilities: &'a Tensor,
        mask: &'a Tensor,
    },
    /// Identity embeddings `[n, m]` (any scale; compared by cosine).
    Identity { embeddings: &'a Tensor },
}

/// Progress after each epoch: (epoch, epochs, mean training loss).
pub type SurrogateProgress<'a> = &'a mut dyn FnMut(usize, usize, f32);

/// Fits a surrogate on latents `w [n, 512]`; deterministic for a given seed.
pub fn train_surrogate(
    latents: &Tensor,
    targets: SurrogateTargets,
    config: &SurrogateTrainConfig,
    progress: SurrogateProgress,
) -> Result<LatentSurrogate, FieldError> {
    let (n, d) = latents.dims2().map_err(|_| {
        FieldError::BadInput(format!(
            "latents must be [n, 512], got {:?}",
            latents.dims()
        ))
    })?;
    if d != LATENT_DIM || n < 2 {
        return Err(FieldError::BadInput(format!(
            "need at least 2 latents of width {LATENT_DIM}, got [{n}, {d}]"
        )));
    }
    if config.batch == 0 || config.epochs == 0 {
        return Err(FieldError::BadConfig(
            "epochs and batch must be positive".into(),
        ));
    }
    let device = latents.device().clone();
    let latents = latents.to_dtype(DType::F32)?;
    let (kind, dims) = match &targets {
        SurrogateTargets::Attributes {
            probabilities,
            mask,
        } => {
            if probabilities.dims() != [n, NUM_HEADS, NUM_DEGREES] || mask.dims() != [n, NUM_HEADS]
            {
                return Err(FieldError::BadInput(format!(
                    "attribute targets must be [{n}, 5, 6] and mask [{n}, 5], got {:?} and {:?}",
                    probabilities.dims(),
                    mask.dims()
                )));
            }
            (
                SurrogateKind::Attributes,
                SurrogateKind::Attributes.default_dims(),
            )
        }
        SurrogateTargets::Identity { embeddings } => {
            let (m, e) = embeddings.dims2()?;
            if m != n || e == 0 {
                return Err(FieldError::BadInput(format!(
                    "identity targets must be [{n}, e], got {:?}",
                    embeddings.dims()
                )));
            }
            let mut dims = SurrogateKind::Identity.default_dims();
            *dims.last_mut().expect("dims") = e;
            (SurrogateKind::Identity, dims)
        }
    };
    let mean = latents.mean(0)?;
    let std = (latents.broadcast_sub(&mean)?.sqr()?.mean(0)? + 1e-6)?.sqrt()?;
    let varmap = VarMap::new();
    seeded_linear_init(&varmap, &dims, config.seed, &device)?;
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let net = LatentSurrogate::load(vb, kind, &dims, mean, std)?;
    let mut opt = candle_nn::AdamW::new(
        varmap.all_vars(),
        candle_nn::ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..Default::default()
        },
    )?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
    let mut order: Vec<u32> = (0..n as u32).collect();
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        // Cosine decay of the learning rate over the epochs.
        let t = (epoch - 1) as f64 / config.epochs as f64;
        opt.set_learning_rate(
            config.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()),
        );
        let mut total = 0.0f32;
        let mut batches = 0;
        for chunk in order.chunks(config.batch) {
            let idx = Tensor::new(chunk, &device)?;
            let w = latents.index_select(&idx, 0)?;
            let loss = match &targets {
                SurrogateTargets::Attributes {
                    probabilities,
                    mask,
                } => soft_cross_entropy(
                    &net.attribute_logits(&w, 1)?,
                    &probabilities.index_select(&idx, 0)?.to_dtype(DType::F32)?,
                    &mask.index_select(&idx, 0)?.to_dtype(DType::F32)?,
                )?,
                SurrogateTargets::Identity { embeddings } => {
                    let target =
                        normalize_rows(&embeddings.index_select(&idx, 0)?.to_dtype(DType::F32)?)?;
                    let cos = (net.identity(&w, 1)? * target)?.sum(D::Minus1)?;
                    (1.0 - cos.mean_all()?)?
                }
            };
            opt.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()?;
            batches += 1;
        }
        progress(epoch, config.epochs, total / batches.max(1) as f32);
    }
    Ok(net)
}

/// Fills `varmap` with seeded initial weights for linear layers `{prefix}layers.{i}` of `dims`
/// (uniform in `±1/sqrt(fan_in)`, as candle's default), so that training is reproducible
/// (candle's CPU generator cannot be seeded).
pub(crate) fn seeded_linear_init(
    varmap: &VarMap,
    dims: &[usize],
    seed: u64,
    device: &Device,
) -> Result<(), FieldError> {
    use rand::Rng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut data = varmap
        .data()
        .lock()
        .map_err(|_| FieldError::BadConfig("poisoned var map".into()))?;
    for (i, p) in dims.windows(2).enumerate() {
        let bound = 1.0 / (p[0] as f32).sqrt();
        let weight: Vec<f32> = (0..p[0] * p[1])
            .map(|_| rng.gen_range(-bound..bound))
            .collect();
        let bias: Vec<f32> = (0..p[1]).map(|_| rng.gen_range(-bound..bound)).collect();
        data.insert(
            format!("layers.{i}.weight"),
            candle_core::Var::from_tensor(&Tensor::from_vec(weight, (p[1], p[0]), device)?)?,
        );
        data.insert(
            format!("layers.{i}.bias"),
            candle_core::Var::from_tensor(&Tensor::from_vec(bias, p[1], device)?)?,
        );
    }
    Ok(())
}

/// `[rows, cols]` standard-normal values from a seeded generator.
pub fn seeded_normal(
    rows: usize,
    cols: usize,
    seed: u64,
    device: &Device,
) -> Result<Tensor, FieldError> {
    use rand::Rng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let values: Vec<f32> = (0..rows * cols)
        .map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal))
        .collect();
    Ok(Tensor::from_vec(values, (rows, cols), device)?)
}

/// Agreement of S with reference probabilities on held-out latents: per head, the share of
/// known heads where argmax S = argmax reference, and the share within one degree.
pub fn attribute_agreement(
    surrogate: &LatentSurrogate,
    latents: &Tensor,
    probabilities: &Tensor,
    mask: &Tensor,
) -> Result<[(f32, f32, usize); NUM_HEADS], FieldError> {
    let s = surrogate
        .attribute_logits(latents, 1)?
        .argmax(D::Minus1)?
        .to_dtype(DType::U32)?
        .to_vec2::<u32>()?;
    let p = probabilities
        .argmax(D::Minus1)?
        .to_dtype(DType::U32)?
        .to_vec2::<u32>()?;
    let m = mask.to_dtype(DType::F32)?.to_vec2::<f32>()?;
    let mut out = [(0.0, 0.0, 0usize); NUM_HEADS];
    for h in 0..NUM_HEADS {
        let (mut exact, mut within, mut count) = (0usize, 0usize, 0usize);
        for i in 0..s.len() {
            if m[i][h] > 0.5 {
                count += 1;
                let diff = (s[i][h] as i64 - p[i][h] as i64).abs();
                exact += usize::from(diff == 0);
                within += usize::from(diff <= 1);
            }
        }
        let c = count.max(1) as f32;
        out[h] = (exact as f32 / c, within as f32 / c, count);
    }
    Ok(out)
}

/// Mean cosine between I's output and reference embeddings on held-out latents.
pub fn identity_agreement(
    surrogate: &LatentSurrogate,
    latents: &Tensor,
    embeddings: &Tensor,
) -> Result<f32, FieldError> {
    let target = normalize_rows(&embeddings.to_dtype(DType::F32)?)?;
    let cos = (surrogate.identity(latents, 1)? * target)?.sum(D::Minus1)?;
    Ok(cos.mean_all()?.to_scalar::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::max_abs_diff;

    fn synthetic(n: usize, seed: u64) -> (Tensor, Tensor, Tensor) {
        // Degrees of head h are a thresholded projection of w on axis h.
        let dev = Device::Cpu;
        let w = seeded_normal(n, LATENT_DIM, seed, &dev).unwrap();
        let rows = w.to_vec2::<f32>().unwrap();
        let mut probs = vec![0f32; n * NUM_HEADS * NUM_DEGREES];
        for (i, r) in rows.iter().enumerate() {
            for h in 0..NUM_HEADS {
                let d = ((r[h] + 3.0) / 1.0).clamp(0.0, 5.0) as usize;
                probs[(i * NUM_HEADS + h) * NUM_DEGREES + d] = 1.0;
            }
        }
        let p = Tensor::from_vec(probs, (n, NUM_HEADS, NUM_DEGREES), &dev).unwrap();
        let mask = Tensor::ones((n, NUM_HEADS), DType::F32, &dev).unwrap();
        (w, p, mask)
    }

    #[test]
    fn shapes_and_input_checks() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let mean = Tensor::zeros(LATENT_DIM, DType::F32, &Device::Cpu).unwrap();
        let std = Tensor::ones(LATENT_DIM, DType::F32, &Device::Cpu).unwrap();
        let dims = SurrogateKind::Attributes.default_dims();
        let s = LatentSurrogate::load(
            vb,
            SurrogateKind::Attributes,
            &dims,
            mean.clone(),
            std.clone(),
        )
        .unwrap();
        let w = Tensor::randn(0f32, 1.0, (3, LATENT_DIM), &Device::Cpu).unwrap();
        assert_eq!(s.attribute_logits(&w, 1).unwrap().dims(), &[3, 5, 6]);
        // W+ reads the mean of the first k layers: a broadcast w reads exactly w.
        let wp = w
            .unsqueeze(1)
            .unwrap()
            .broadcast_as((3, 23, LATENT_DIM))
            .unwrap()
            .contiguous()
            .unwrap();
        let a = s.attribute_logits(&w, 1).unwrap();
        let b = s.attribute_logits(&wp, 13).unwrap();
        let diff = max_abs_diff(&a, &b).unwrap();
        assert!(diff < 1e-5);
        assert!(s.identity(&w, 1).is_err());
        assert!(s.attribute_logits(&w.narrow(1, 0, 10).unwrap(), 1).is_err());
        assert!(s.attribute_logits(&wp, 24).is_err());
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let i = LatentSurrogate::load(
            vb,
            SurrogateKind::Identity,
            &SurrogateKind::Identity.default_dims(),
            mean,
            std,
        )
        .unwrap();
        let e = i.identity(&w, 1).unwrap();
        assert_eq!(e.dims(), &[3, 512]);
        let norms = e.sqr().unwrap().sum(1).unwrap().to_vec1::<f32>().unwrap();
        assert!(norms.iter().all(|n| (n - 1.0).abs() < 1e-4), "{norms:?}");
    }

    #[test]
    fn soft_cross_entropy_matches_hand_computation_and_masks() {
        let logits = Tensor::new(&[[[0f32, 0.0, 0.0, 0.0, 0.0, 0.0]; 5]], &Device::Cpu).unwrap();
        let mut t = [[0f32; 6]; 5];
        for row in t.iter_mut() {
            row[2] = 1.0;
        }
        let targets = Tensor::new(&[t], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1f32, 0.0, 0.0, 0.0, 0.0]], &Device::Cpu).unwrap();
        let ce = soft_cross_entropy(&logits, &targets, &mask)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((ce - (6f32).ln()).abs() < 1e-4, "{ce}");
        assert!(soft_cross_entropy(&logits, &targets, &mask.narrow(1, 0, 4).unwrap()).is_err());
    }

    #[test]
    fn attribute_surrogate_learns_a_synthetic_task_deterministically() {
        let (w, p, mask) = synthetic(512, 1);
        let config = SurrogateTrainConfig {
            epochs: 8,
            batch: 64,
            ..Default::default()
        };
        let mut losses = Vec::new();
        let s = train_surrogate(
            &w,
            SurrogateTargets::Attributes {
                probabilities: &p,
                mask: &mask,
            },
            &config,
            &mut |_, _, l| losses.push(l),
        )
        .unwrap();
        assert_eq!(losses.len(), 8);
        assert!(losses[7] < 0.6 * losses[0], "{losses:?}");
        let (tw, tp, tm) = synthetic(256, 2);
        let agreement = attribute_agreement(&s, &tw, &tp, &tm).unwrap();
        for (exact, within, count) in agreement {
            assert_eq!(count, 256);
            assert!(within > 0.8, "within-one {within}, exact {exact}");
        }
        // Same seed, same weights.
        let again = train_surrogate(
            &w,
            SurrogateTargets::Attributes {
                probabilities: &p,
                mask: &mask,
            },
            &config,
            &mut |_, _, _| {},
        )
        .unwrap();
        let a = s.attribute_logits(&tw, 1).unwrap();
        let b = again.attribute_logits(&tw, 1).unwrap();
        let diff = max_abs_diff(&a, &b).unwrap();
        assert_eq!(diff, 0.0);
    }

    #[test]
    fn identity_surrogate_learns_and_round_trips() {
        let dev = Device::Cpu;
        let w = seeded_normal(512, LATENT_DIM, 3, &dev).unwrap();
        // Target embedding: a fixed linear map of w (64-d), learnable by the MLP.
        let proj = seeded_normal(LATENT_DIM, 64, 4, &dev).unwrap();
        let e = w.matmul(&proj).unwrap();
        let config = SurrogateTrainConfig {
            epochs: 10,
            ..Default::default()
        };
        let s = train_surrogate(
            &w,
            SurrogateTargets::Identity { embeddings: &e },
            &config,
            &mut |_, _, _| {},
        )
        .unwrap();
        let tw = seeded_normal(128, LATENT_DIM, 5, &dev).unwrap();
        let te = tw.matmul(&proj).unwrap();
        let cos = identity_agreement(&s, &tw, &te).unwrap();
        assert!(cos > 0.5, "held-out cosine {cos}");
        let dir = std::env::temp_dir().join(format!("tte-surrogate-{}", std::process::id()));
        let path = dir.join("i.safetensors");
        s.save_file(&path, &HashMap::new()).unwrap();
        let loaded = LatentSurrogate::load_file(&path, SurrogateKind::Identity, &dev).unwrap();
        assert!((identity_agreement(&loaded, &tw, &te).unwrap() - cos).abs() < 1e-6);
        assert!(LatentSurrogate::load_file(&path, SurrogateKind::Attributes, &dev).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
