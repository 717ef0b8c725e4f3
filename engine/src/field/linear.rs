//! The linear baseline in the manner of InterFaceGAN: per attribute one unit direction n in W,
//! the normal of a linear classifier that separates latents whose degree (read by P) is low from
//! those whose degree is high. An edit steps `w' = w + a s n` (a = ±1, s a fixed step norm), in
//! W or on the first k layers of W+, under the same editing loop as the fields.
//!
//! The classifier is L2-regularised logistic regression with class-balanced weights, fitted by
//! Newton's method (iteratively reweighted least squares, Cholesky solve): deterministic, no
//! learning rate, converged in a few iterations.

use super::step::{FieldSpace, LatentStepper};
use super::FieldError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::generator::LATENT_DIM;
use crate::tagged_file::{metadata_json, read_file, write_file};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// `metadata["format"]` of a saved set of linear directions.
pub const LINEAR_FILE_FORMAT: &str = "tte-linear-directions-v1";

/// How to fit a direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFitConfig {
    /// Degrees `>= split` are "high", the rest "low". `None`: the split (1..=5) that balances the
    /// two classes best.
    pub split: Option<usize>,
    /// L2 penalty on the weights (not the bias), relative to the mean loss.
    pub l2: f64,
    /// Most Newton iterations.
    pub max_iterations: usize,
    /// Stop when the largest parameter update is below this.
    pub tolerance: f64,
}

impl Default for LinearFitConfig {
    fn default() -> Self {
        Self {
            split: None,
            l2: 1e-3,
            max_iterations: 30,
            tolerance: 1e-6,
        }
    }
}

/// One attribute's direction and the classifier it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearDirection {
    pub attribute: Attribute,
    /// Unit normal in W, pointing from low to high degrees (`LATENT_DIM` values).
    pub direction: Vec<f32>,
    /// The classifier says "high" where `direction . w + offset > 0`.
    pub offset: f32,
    /// The degree split the classes were made with.
    pub split: usize,
    /// Share of training latents the classifier puts on the right side.
    pub train_accuracy: f32,
    /// Training latents (low, high).
    pub samples: (usize, usize),
}

impl LinearDirection {
    /// Fits the direction from latents `w [n, 512]` and their degrees (0..=5) of `attribute`.
    pub fn fit(
        attribute: Attribute,
        latents: &Tensor,
        degrees: &[usize],
        config: &LinearFitConfig,
    ) -> Result<Self, FieldError> {
        let (n, d) = latents.dims2().map_err(|_| {
            FieldError::BadInput(format!("latents must be [n, d], got {:?}", latents.dims()))
        })?;
        if n != degrees.len() {
            return Err(FieldError::BadInput(format!(
                "{n} latents but {} degrees",
                degrees.len()
            )));
        }
        if let Some(bad) = degrees.iter().find(|&&g| g >= NUM_DEGREES) {
            return Err(FieldError::BadInput(format!(
                "degree {bad} outside 0..{NUM_DEGREES}"
            )));
        }
        if !(config.l2 > 0.0 && config.l2.is_finite()) {
            return Err(FieldError::BadConfig(format!(
                "l2 must be positive, got {}",
                config.l2
            )));
        }
        let split = match config.split {
            Some(s) if (1..NUM_DEGREES).contains(&s) => s,
            Some(s) => {
                return Err(FieldError::BadConfig(format!(
                    "split must be in 1..{NUM_DEGREES}, got {s}"
                )))
            }
            None => balanced_split(degrees),
        };
        let labels: Vec<f64> = degrees
            .iter()
            .map(|&g| if g >= split { 1.0 } else { 0.0 })
            .collect();
        let high = labels.iter().filter(|&&y| y > 0.5).count();
        let low = n - high;
        if high == 0 || low == 0 {
            return Err(FieldError::BadInput(format!(
                "{attribute}: need latents on both sides of degree {split} (low {low}, high {high})"
            )));
        }
        let x = latents.to_dtype(DType::F64)?.to_device(&Device::Cpu)?;
        let mean = x.mean_keepdim(0)?;
        let centred = x.broadcast_sub(&mean)?;
        // Design matrix [n, d + 1] with a bias column.
        let design = Tensor::cat(
            &[&centred, &Tensor::ones((n, 1), DType::F64, &Device::Cpu)?],
            1,
        )?;
        let rows = design.to_vec2::<f64>()?;
        // Class-balanced sample weights, summing to 1.
        let weight_of = |y: f64| {
            if y > 0.5 {
                0.5 / high as f64
            } else {
                0.5 / low as f64
            }
        };
        let sample_weights: Vec<f64> = labels.iter().map(|&y| weight_of(y)).collect();
        let mut beta = vec![0f64; d + 1];
        for _ in 0..config.max_iterations {
            let margins = matvec(&rows, &beta);
            let probs: Vec<f64> = margins.iter().map(|&m| sigmoid(m)).collect();
            // Gradient of sum_i c_i CE_i + l2/2 |beta_w|^2.
            let mut grad = vec![0f64; d + 1];
            let mut curvature = Vec::with_capacity(n);
            for i in 0..n {
                let r = sample_weights[i] * (probs[i] - labels[i]);
                for (g, &xv) in grad.iter_mut().zip(&rows[i]) {
                    *g += r * xv;
                }
                curvature.push(sample_weights[i] * probs[i] * (1.0 - probs[i]));
            }
            for j in 0..d {
                grad[j] += config.l2 * beta[j];
            }
            // Hessian X^T C X + l2 I (weights only), computed with candle.
            let scaled = design.broadcast_mul(&Tensor::from_vec(
                curvature.iter().map(|c| c.sqrt()).collect::<Vec<_>>(),
                (n, 1),
                &Device::Cpu,
            )?)?;
            let mut hessian = scaled.t()?.matmul(&scaled)?.to_vec2::<f64>()?;
            for (j, row) in hessian.iter_mut().enumerate().take(d) {
                row[j] += config.l2;
            }
            hessian[d][d] += 1e-9;
            let update = cholesky_solve(hessian, &grad).ok_or_else(|| {
                FieldError::BadInput("logistic regression Hessian is not positive definite".into())
            })?;
            let mut largest = 0f64;
            for (b, u) in beta.iter_mut().zip(&update) {
                *b -= u;
                largest = largest.max(u.abs());
            }
            if largest < config.tolerance {
                break;
            }
        }
        let weights = &beta[..d];
        let norm = weights.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(FieldError::BadInput(format!(
                "{attribute}: the classifier found no direction (norm {norm})"
            )));
        }
        let mean = mean.flatten_all()?.to_vec1::<f64>()?;
        // beta_w . (w - mean) + b = 0  ->  n . w + offset = 0 with n = beta_w / |beta_w|.
        let offset = (beta[d] - weights.iter().zip(&mean).map(|(a, m)| a * m).sum::<f64>()) / norm;
        let margins = matvec(&rows, &beta);
        let correct = margins
            .iter()
            .zip(&labels)
            .filter(|(m, y)| (**m > 0.0) == (**y > 0.5))
            .count();
        Ok(Self {
            attribute,
            direction: weights.iter().map(|v| (v / norm) as f32).collect(),
            offset: offset as f32,
            split,
            train_accuracy: correct as f32 / n as f32,
            samples: (low, high),
        })
    }

    /// The direction as a `[1, 512]` tensor.
    pub fn direction_tensor(&self, device: &Device) -> Result<Tensor, FieldError> {
        Ok(Tensor::from_slice(
            &self.direction,
            (1, self.direction.len()),
            device,
        )?)
    }

    /// Signed distance of each w `[b, 512]` to the separating hyperplane (positive: "high").
    pub fn score(&self, w: &Tensor) -> Result<Vec<f32>, FieldError> {
        let n = self.direction_tensor(w.device())?;
        Ok(
            (w.to_dtype(DType::F32)?.matmul(&n.t()?)? + self.offset as f64)?
                .flatten_all()?
                .to_vec1::<f32>()?,
        )
    }

    /// Writes directions (any attributes, each at most once) to one safetensors file.
    pub fn save_all(path: &Path, directions: &[LinearDirection]) -> Result<(), FieldError> {
        let mut tensors = Vec::with_capacity(directions.len());
        let mut infos = Vec::with_capacity(directions.len());
        for dir in directions {
            if infos
                .iter()
                .any(|i: &LinearDirection| i.attribute == dir.attribute)
            {
                return Err(FieldError::BadInput(format!(
                    "{} appears twice",
                    dir.attribute
                )));
            }
            tensors.push((
                format!("{}.direction", dir.attribute.name()),
                dir.direction_tensor(&Device::Cpu)?.squeeze(0)?,
            ));
            infos.push(LinearDirection {
                direction: Vec::new(),
                ..dir.clone()
            });
        }
        let info = serde_json::to_string(&infos).map_err(|e| FieldError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let metadata = HashMap::from([
            ("format".to_string(), LINEAR_FILE_FORMAT.to_string()),
            ("directions".to_string(), info),
        ]);
        write_file(path, &tensors, metadata)
    }

    /// Reads a file written by [`LinearDirection::save_all`].
    pub fn load_all(path: &Path) -> Result<Vec<LinearDirection>, FieldError> {
        let (tensors, metadata) = read_file::<FieldError>(path, LINEAR_FILE_FORMAT, &Device::Cpu)?;
        let bad = |reason: String| FieldError::File {
            path: path.to_path_buf(),
            reason,
        };
        let mut infos: Vec<LinearDirection> =
            metadata_json::<_, FieldError>(path, &metadata, "directions")?;
        for info in &mut infos {
            let name = format!("{}.direction", info.attribute.name());
            let t = tensors
                .get(&name)
                .ok_or_else(|| bad(format!("no tensor {name}")))?;
            info.direction = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
            if info.direction.len() != LATENT_DIM {
                return Err(bad(format!(
                    "{name} has {} values, expected {LATENT_DIM}",
                    info.direction.len()
                )));
            }
        }
        Ok(infos)
    }
}

/// Steps `w' = w + a s n` along a fixed direction (in W, or on the first k layers of W+).
pub struct LinearStepper {
    direction: Tensor,
    pub space: FieldSpace,
    /// s: the length of one step in W.
    pub step_norm: f64,
}

impl LinearStepper {
    pub fn new(
        direction: &LinearDirection,
        space: FieldSpace,
        step_norm: f64,
        device: &Device,
    ) -> Result<Self, FieldError> {
        space.validate()?;
        if !(step_norm > 0.0 && step_norm.is_finite()) {
            return Err(FieldError::BadConfig(format!(
                "step norm must be positive, got {step_norm}"
            )));
        }
        Ok(Self {
            direction: direction.direction_tensor(device)?,
            space,
            step_norm,
        })
    }
}

impl LatentStepper for LinearStepper {
    fn step(&self, styles: &Tensor, sign: f64) -> Result<Tensor, FieldError> {
        let styles = self.space.prepare(styles)?;
        let delta = (&self.direction * (sign * self.step_norm))?.to_dtype(styles.dtype())?;
        self.space.add(&styles, &delta)
    }
}

/// The split 1..=5 whose low/high classes are closest in size.
fn balanced_split(degrees: &[usize]) -> usize {
    (1..NUM_DEGREES)
        .min_by_key(|&s| {
            let high = degrees.iter().filter(|&&g| g >= s).count();
            high.abs_diff(degrees.len() - high)
        })
        .unwrap_or(1)
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn matvec(rows: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    rows.iter()
        .map(|r| r.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

/// Solves `a x = b` for symmetric positive definite `a` (Cholesky); `None` if not SPD.
pub(crate) fn cholesky_solve(mut a: Vec<Vec<f64>>, b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let diag = a[j][j] - a[j][..j].iter().map(|v| v * v).sum::<f64>();
        if diag <= 0.0 || !diag.is_finite() {
            return None;
        }
        let l = diag.sqrt();
        a[j][j] = l;
        for i in j + 1..n {
            let dot: f64 = a[i][..j].iter().zip(&a[j][..j]).map(|(p, q)| p * q).sum();
            a[i][j] = (a[i][j] - dot) / l;
        }
    }
    let mut y = vec![0f64; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i][k] * y[k];
        }
        y[i] = s / a[i][i];
    }
    let mut x = vec![0f64; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[k][i] * x[k];
        }
        x[i] = s / a[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// Latents `N(mu, 1)` whose degree is a bucketed noisy projection on a planted direction.
    fn planted(n: usize, seed: u64) -> (Tensor, Vec<usize>, Vec<f32>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut u: Vec<f32> = (0..LATENT_DIM)
            .map(|_| rng.sample(StandardNormal))
            .collect();
        let norm = u.iter().map(|v| v * v).sum::<f32>().sqrt();
        u.iter_mut().for_each(|v| *v /= norm);
        let mean: Vec<f32> = (0..LATENT_DIM).map(|j| 0.3 + 0.01 * j as f32).collect();
        let mut values = Vec::with_capacity(n * LATENT_DIM);
        let mut degrees = Vec::with_capacity(n);
        for _ in 0..n {
            let w: Vec<f32> = (0..LATENT_DIM)
                .map(|j| mean[j] + rng.sample::<f32, _>(StandardNormal))
                .collect();
            let noise: f32 = rng.sample::<f32, _>(StandardNormal) * 0.1;
            let s: f32 = w
                .iter()
                .zip(&mean)
                .zip(&u)
                .map(|((a, m), b)| (a - m) * b)
                .sum::<f32>()
                + noise;
            // Degrees 0..=5 from the centred score, skewed so classes are unbalanced.
            let d = (s * 1.5 + 2.0).floor().clamp(0.0, 5.0) as usize;
            degrees.push(d);
            values.extend(w);
        }
        let t = Tensor::from_vec(values, (n, LATENT_DIM), &Device::Cpu).unwrap();
        (t, degrees, u)
    }

    #[test]
    fn fit_recovers_a_planted_direction() {
        let (latents, degrees, planted_dir) = planted(4000, 7);
        let dir = LinearDirection::fit(
            Attribute::Smiling,
            &latents,
            &degrees,
            &LinearFitConfig::default(),
        )
        .unwrap();
        let cos: f32 = dir
            .direction
            .iter()
            .zip(&planted_dir)
            .map(|(a, b)| a * b)
            .sum();
        let norm: f32 = dir.direction.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(cos > 0.95, "cosine with the planted direction {cos}");
        assert!(dir.train_accuracy > 0.9, "accuracy {}", dir.train_accuracy);
        let (low, high) = dir.samples;
        assert_eq!(low + high, 4000);
        // The score is positive on the high side on average.
        let scores = dir.score(&latents).unwrap();
        let mean_high: f32 = scores
            .iter()
            .zip(&degrees)
            .filter(|(_, &g)| g >= dir.split)
            .map(|(s, _)| *s)
            .sum::<f32>()
            / high as f32;
        assert!(mean_high > 0.0);
    }

    #[test]
    fn fit_is_deterministic_and_rejects_bad_input() {
        let (latents, degrees, _) = planted(800, 3);
        let cfg = LinearFitConfig {
            split: Some(3),
            ..Default::default()
        };
        let a = LinearDirection::fit(Attribute::Age, &latents, &degrees, &cfg).unwrap();
        let b = LinearDirection::fit(Attribute::Age, &latents, &degrees, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.split, 3);
        let all_low = vec![0usize; 800];
        assert!(matches!(
            LinearDirection::fit(Attribute::Age, &latents, &all_low, &cfg),
            Err(FieldError::BadInput(_))
        ));
        assert!(LinearDirection::fit(Attribute::Age, &latents, &degrees[..10], &cfg).is_err());
        let mut bad = degrees.clone();
        bad[0] = 6;
        assert!(LinearDirection::fit(Attribute::Age, &latents, &bad, &cfg).is_err());
        let bad_split = LinearFitConfig {
            split: Some(0),
            ..Default::default()
        };
        assert!(LinearDirection::fit(Attribute::Age, &latents, &degrees, &bad_split).is_err());
    }

    #[test]
    fn save_load_and_step() {
        let (latents, degrees, _) = planted(600, 5);
        let cfg = LinearFitConfig::default();
        let a = LinearDirection::fit(Attribute::Bangs, &latents, &degrees, &cfg).unwrap();
        let b = LinearDirection::fit(Attribute::Beard, &latents, &degrees, &cfg).unwrap();
        let dir = std::env::temp_dir().join(format!("tte-linear-{}", std::process::id()));
        let path = dir.join("linear.safetensors");
        LinearDirection::save_all(&path, &[a.clone(), b.clone()]).unwrap();
        let loaded = LinearDirection::load_all(&path).unwrap();
        assert_eq!(loaded, vec![a.clone(), b]);
        assert!(LinearDirection::save_all(&path, &[a.clone(), a.clone()]).is_err());
        std::fs::remove_dir_all(&dir).ok();

        // A step of norm s along n raises the score by exactly s, only on the first k layers.
        let stepper =
            LinearStepper::new(&a, FieldSpace::WPlus { k: 10 }, 2.0, &Device::Cpu).unwrap();
        let w = latents.narrow(0, 0, 1).unwrap();
        let out = stepper.step(&w, 1.0).unwrap();
        assert_eq!(out.dims(), &[1, 23, 512]);
        let before = a.score(&w).unwrap()[0];
        let first = out.narrow(1, 0, 1).unwrap().squeeze(1).unwrap();
        let last = out.narrow(1, 22, 1).unwrap().squeeze(1).unwrap();
        assert!((a.score(&first).unwrap()[0] - before - 2.0).abs() < 1e-3);
        assert!((a.score(&last).unwrap()[0] - before).abs() < 1e-5);
        let w_stepper = LinearStepper::new(&a, FieldSpace::W, 0.5, &Device::Cpu).unwrap();
        let down = w_stepper.step(&w, -1.0).unwrap();
        assert!((a.score(&down).unwrap()[0] - before + 0.5).abs() < 1e-3);
        assert!(LinearStepper::new(&a, FieldSpace::W, 0.0, &Device::Cpu).is_err());
    }
}
