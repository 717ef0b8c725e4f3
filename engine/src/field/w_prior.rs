//! The distribution of mapped latents as a Gaussian in W: issue 12's "density or Mahalanobis
//! prior in whitened W". The mapping network sends the normal z to a cloud in W that is far
//! from round (a few directions hold most of its variance, many hold very little); a code far
//! out along a thin direction is one the generator was never trained on, however short the
//! step that took it there was in plain W units.
//!
//! [`WPrior`] is that cloud's mean and principal axes (eigenvectors of its covariance, widest
//! first, with their variances), fitted on mapped samples of the generator's own z. It gives
//! - [`WPrior::mahalanobis`]: a code's distance from the mean in whitened W, per row (a W+ code
//!   is judged row by row; each row is one w fed to some style layers); mapped latents lie near
//!   `sqrt(512)`;
//! - [`WPrior::thinnest_axes`]: the directions with the least variance, which a
//!   [`super::guided::ProjectedStepper`] can remove from every step (steps then move only where
//!   the mapped latents themselves spread);
//! - [`WPrior::variance_along`]: the cloud's spread along any direction, in units of the mean
//!   spread (how thin the mean-of-W direction that melts faces is, say).

use super::FieldError;
use crate::generator::{Generator, LATENT_DIM};
use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// Mapped samples the product's prior is fitted on.
pub const PRIOR_SAMPLES: usize = 20_000;
/// Seed of their z (not the mean of W's).
pub const PRIOR_SEED: u64 = 20_261_208;
/// Samples mapped at once.
const MAP_BATCH: usize = 1_000;
/// Relative floor on a variance, so that whitening never divides by (numerically) zero.
const VARIANCE_FLOOR: f64 = 1e-9;

/// A Gaussian fitted on mapped latents: mean, principal axes (widest first) and the variance
/// along each.
#[derive(Debug, Clone)]
pub struct WPrior {
    mean: Vec<f64>,
    /// Row `i` is the unit axis with the `i`-th largest variance.
    axes: Vec<Vec<f64>>,
    variances: Vec<f64>,
}

impl WPrior {
    /// Fits the prior on rows of `ws` `[n, d]` (n > d, so that every variance is measured).
    pub fn fit(ws: &Tensor) -> Result<Self, FieldError> {
        let ws = ws.to_dtype(DType::F64)?;
        let (n, d) = ws.dims2()?;
        if n <= d {
            return Err(FieldError::BadInput(format!(
                "a prior in {d} dimensions needs more than {d} samples, got {n}"
            )));
        }
        let rows = ws.to_vec2::<f64>()?;
        let mut mean = vec![0f64; d];
        for r in &rows {
            mean.iter_mut().zip(r).for_each(|(m, x)| *m += x / n as f64);
        }
        let centred: Vec<f64> = rows
            .iter()
            .flat_map(|r| r.iter().zip(&mean).map(|(x, m)| x - m))
            .collect();
        let x = DMatrix::from_row_slice(n, d, &centred);
        let covariance = (x.transpose() * &x) / (n as f64 - 1.0);
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let floor = eigen.eigenvalues.max().max(0.0) * VARIANCE_FLOOR;
        let axes = order
            .iter()
            .map(|&i| eigen.eigenvectors.column(i).iter().copied().collect())
            .collect();
        let variances = order
            .iter()
            .map(|&i| eigen.eigenvalues[i].max(floor))
            .collect();
        Ok(Self {
            mean,
            axes,
            variances,
        })
    }

    /// Fits the prior on `samples` codes mapped from z drawn with `seed` (about 1 s per 10,000
    /// on the CPU).
    pub fn from_generator(
        generator: &Generator,
        samples: usize,
        seed: u64,
    ) -> Result<Self, FieldError> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut ws = Vec::new();
        let mut left = samples;
        while left > 0 {
            let b = left.min(MAP_BATCH);
            let z: Vec<f32> = (0..b * LATENT_DIM)
                .map(|_| StandardNormal.sample(&mut rng))
                .collect();
            let z = Tensor::from_vec(z, (b, LATENT_DIM), &Device::Cpu)?
                .to_device(generator.device())?;
            ws.push(generator.mapping.forward(&z)?.to_device(&Device::Cpu)?);
            left -= b;
        }
        Self::fit(&Tensor::cat(&ws, 0)?)
    }

    /// Dimensions of W.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Variances along the axes, widest first.
    pub fn variances(&self) -> &[f64] {
        &self.variances
    }

    /// The mean of the variances (the average axis's spread, squared).
    pub fn mean_variance(&self) -> f64 {
        self.variances.iter().sum::<f64>() / self.dim() as f64
    }

    /// Mahalanobis distance from the mean of every row of `codes` (`[d]`, `[n, d]` or
    /// `[b, n, d]`), in row-major order.
    pub fn mahalanobis(&self, codes: &Tensor) -> Result<Vec<f32>, FieldError> {
        let d = self.dim();
        let flat = codes
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        if flat.is_empty() || flat.len() % d != 0 {
            return Err(FieldError::BadInput(format!(
                "codes of {} numbers are not rows of {d}",
                flat.len()
            )));
        }
        Ok(flat
            .chunks(d)
            .map(|row| {
                let centred: Vec<f64> = row.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
                self.axes
                    .iter()
                    .zip(&self.variances)
                    .map(|(axis, v)| dot(axis, &centred).powi(2) / v)
                    .sum::<f64>()
                    .sqrt() as f32
            })
            .collect())
    }

    /// The largest row distance of a code (see [`Self::mahalanobis`]) over `rows` of each W+
    /// code (all rows of a `[d]` or `[n, d]` code).
    pub fn max_distance(
        &self,
        codes: &Tensor,
        rows: std::ops::Range<usize>,
    ) -> Result<f32, FieldError> {
        let codes = match codes.rank() {
            3 => {
                let n = codes.dim(1)?;
                codes.narrow(1, rows.start.min(n), rows.end.min(n) - rows.start.min(n))?
            }
            _ => codes.clone(),
        };
        Ok(self.mahalanobis(&codes)?.into_iter().fold(0f32, f32::max))
    }

    /// The `count` axes with the least variance, as `[1, d]` tensors (for
    /// [`super::guided::ProjectedStepper::removing`]).
    pub fn thinnest_axes(&self, count: usize, device: &Device) -> Result<Vec<Tensor>, FieldError> {
        let d = self.dim();
        self.axes
            .iter()
            .rev()
            .take(count.min(d))
            .map(|a| {
                let a: Vec<f32> = a.iter().map(|x| *x as f32).collect();
                Ok(Tensor::from_vec(a, (1, d), device)?)
            })
            .collect()
    }

    /// The cloud's variance along `direction` (any length, not zero) over its mean variance
    /// (1 for a direction as wide as the average axis).
    pub fn variance_along(&self, direction: &Tensor) -> Result<f64, FieldError> {
        let v = direction
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        let norm = dot(&v, &v).sqrt();
        if v.len() != self.dim() || norm.is_nan() || norm <= 0.0 {
            return Err(FieldError::BadInput(
                "the direction must be a non-zero vector of W".into(),
            ));
        }
        let along: f64 = self
            .axes
            .iter()
            .zip(&self.variances)
            .map(|(axis, var)| (dot(axis, &v) / norm).powi(2) * var)
            .sum();
        Ok(along / self.mean_variance())
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples of a known Gaussian in 4 dimensions: variances 9, 4, 1, 0.01 along a rotated
    /// basis, mean (1, 2, 3, 4).
    fn known_cloud(n: usize) -> (Tensor, Vec<Vec<f64>>) {
        let s = 0.5f64;
        let basis = vec![
            vec![s, s, s, s],
            vec![s, -s, s, -s],
            vec![s, s, -s, -s],
            vec![s, -s, -s, s],
        ];
        let sd = [3.0, 2.0, 1.0, 0.1];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut rows = Vec::new();
        for _ in 0..n {
            let mut x = vec![1.0, 2.0, 3.0, 4.0];
            for (b, s) in basis.iter().zip(sd) {
                let g: f64 = StandardNormal.sample(&mut rng);
                x.iter_mut().zip(b).for_each(|(x, b)| *x += g * s * b);
            }
            rows.extend(x.into_iter().map(|x| x as f32));
        }
        (Tensor::from_vec(rows, (n, 4), &Device::Cpu).unwrap(), basis)
    }

    #[test]
    fn fit_recovers_variances_axes_and_distances() {
        let (ws, basis) = known_cloud(20_000);
        let prior = WPrior::fit(&ws).unwrap();
        let v = prior.variances();
        for (got, want) in v.iter().zip([9.0, 4.0, 1.0, 0.01]) {
            assert!((got / want - 1.0).abs() < 0.05, "variances {v:?}");
        }
        // The thinnest axis is the last basis vector (up to sign).
        let thin = prior.thinnest_axes(1, &Device::Cpu).unwrap()[0]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let cos: f64 = thin.iter().zip(&basis[3]).map(|(a, b)| *a as f64 * b).sum();
        assert!(cos.abs() > 0.99, "thinnest axis {thin:?}");
        // One unit along the thin axis is 10 sigma; three units along the wide one, 1 sigma.
        let at = |offset: &[f64], scale: f64| {
            let x: Vec<f32> = [1.0, 2.0, 3.0, 4.0]
                .iter()
                .zip(offset)
                .map(|(m, o)| (m + scale * o) as f32)
                .collect();
            Tensor::from_vec(x, 4, &Device::Cpu).unwrap()
        };
        let thin_d = prior.mahalanobis(&at(&basis[3], 1.0)).unwrap()[0];
        let wide_d = prior.mahalanobis(&at(&basis[0], 3.0)).unwrap()[0];
        assert!((thin_d - 10.0).abs() < 0.5, "{thin_d}");
        assert!((wide_d - 1.0).abs() < 0.05, "{wide_d}");
        // Variance along a direction, over the mean variance (14.01 / 4).
        let wide = Tensor::from_vec(
            basis[0].iter().map(|x| *x as f32 * 5.0).collect::<Vec<_>>(),
            4,
            &Device::Cpu,
        )
        .unwrap();
        let along = prior.variance_along(&wide).unwrap();
        assert!((along - 9.0 / (14.01 / 4.0)).abs() < 0.15, "{along}");
    }

    #[test]
    fn max_distance_takes_the_worst_row_of_the_chosen_rows() {
        let (ws, basis) = known_cloud(5_000);
        let prior = WPrior::fit(&ws).unwrap();
        let mean = [1.0f32, 2.0, 3.0, 4.0];
        let far: Vec<f32> = mean
            .iter()
            .zip(&basis[3])
            .map(|(m, b)| m + 2.0 * *b as f32)
            .collect();
        // Rows: mean, far (20 sigma), mean.
        let code = Tensor::from_vec(
            [mean.to_vec(), far, mean.to_vec()].concat(),
            (1, 3, 4),
            &Device::Cpu,
        )
        .unwrap();
        assert!(prior.max_distance(&code, 0..3).unwrap() > 15.0);
        assert!(prior.max_distance(&code, 2..3).unwrap() < 0.5);
        assert!(prior.max_distance(&code, 0..1).unwrap() < 0.5);
    }

    #[test]
    fn refuses_too_few_samples_and_wrong_shapes() {
        let (ws, _) = known_cloud(4);
        assert!(WPrior::fit(&ws).is_err());
        let (ws, _) = known_cloud(100);
        let prior = WPrior::fit(&ws).unwrap();
        let bad = Tensor::zeros(5, DType::F32, &Device::Cpu).unwrap();
        assert!(prior.mahalanobis(&bad).is_err());
        assert!(prior
            .variance_along(&Tensor::zeros(4, DType::F32, &Device::Cpu).unwrap())
            .is_err());
    }
}
