//! Training the degree reader ([`super::reader`]): masked regression of the teachers' measures
//! (standardised; unknown targets left out of the loss) from aligned faces, starting from P's
//! weights (its patchify stages already see the attributes), with P's augmentation plus flips
//! that negate the yaw target. Also the path statistics the reader is judged by (Spearman rank
//! correlation, AUC).

use super::network::{image_tensor_refs, AttributePredictor, PredictorConfig};
use super::reader::{DegreeReader, Measure, Measures, ScoreRules, NUM_MEASURES};
use super::train::{augment, AugmentConfig};
use super::PredictorError;
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// One training image and its targets (`NaN` = unknown).
#[derive(Debug, Clone)]
pub struct ReaderSample {
    pub image: RgbImage,
    pub targets: Measures,
}

/// Hyper-parameters of a reader training run.
#[derive(Debug, Clone)]
pub struct ReaderTrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub seed: u64,
    /// P's augmentation (its flip is replaced by one that also negates the yaw).
    pub augment: AugmentConfig,
    pub dropout: f32,
}

impl Default for ReaderTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 12,
            batch_size: 32,
            learning_rate: 5e-4,
            weight_decay: 1e-4,
            seed: 20261205,
            augment: AugmentConfig {
                flip: false,
                ..AugmentConfig::default()
            },
            dropout: 0.2,
        }
    }
}

/// Per-measure `(mean, std)` over the known targets (std at least 1e-3; `(0, 1)` when none).
pub fn normalisation_of(samples: &[ReaderSample]) -> Vec<[f32; 2]> {
    (0..NUM_MEASURES)
        .map(|j| {
            let v: Vec<f64> = samples
                .iter()
                .map(|s| s.targets[j] as f64)
                .filter(|x| x.is_finite())
                .collect();
            if v.is_empty() {
                return [0.0, 1.0];
            }
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
            [mean as f32, (var.sqrt() as f32).max(1e-3)]
        })
        .collect()
}

fn flip(image: &RgbImage) -> RgbImage {
    image::imageops::flip_horizontal(image)
}

/// Trains a reader. `init`: P, whose weights (all but the last layer) start the network.
pub fn train_reader(
    samples: &[ReaderSample],
    init: Option<&AttributePredictor>,
    config: &ReaderTrainConfig,
    rules: ScoreRules,
    mut progress: impl FnMut(usize, usize, f32),
) -> Result<DegreeReader, PredictorError> {
    if samples.is_empty() || config.epochs == 0 || config.batch_size == 0 {
        return Err(PredictorError::NoLabels(
            "no samples, epochs or batch size".into(),
        ));
    }
    let net_config = PredictorConfig {
        outputs: NUM_MEASURES,
        dropout: config.dropout,
        ..init.map(|p| p.config().clone()).unwrap_or_default()
    };
    let side = net_config.input_size as u32;
    let resized: Vec<RgbImage> = samples
        .par_iter()
        .map(|s| {
            if s.image.dimensions() == (side, side) {
                s.image.clone()
            } else {
                image::imageops::resize(&s.image, side, side, image::imageops::FilterType::Triangle)
            }
        })
        .collect();
    let normalisation = normalisation_of(samples);
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let net = AttributePredictor::load(vb, &net_config)?;
    if let Some(p) = init {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| PredictorError::BadInput("variable map lock poisoned".into()))?;
        for (name, t) in p.named_tensors() {
            if let Some(var) = data.get(&name) {
                if var.dims() == t.dims() {
                    var.set(&t)?;
                }
            }
        }
    }
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let mean = Tensor::from_vec(
        normalisation.iter().map(|p| p[0]).collect::<Vec<_>>(),
        (1, NUM_MEASURES),
        &device,
    )?;
    let std = Tensor::from_vec(
        normalisation.iter().map(|p| p[1]).collect::<Vec<_>>(),
        (1, NUM_MEASURES),
        &device,
    )?;
    let steps = samples.len().div_ceil(config.batch_size);
    let total = (steps * config.epochs).max(1);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut drop_rng = StdRng::seed_from_u64(config.seed ^ 0x5eed);
    let yaw = Measure::Yaw.index();
    let mut global = 0usize;
    for _epoch in 0..config.epochs {
        for _ in 0..steps {
            let t = global as f64 / total as f64;
            optimizer.set_learning_rate(
                config.learning_rate * (0.1 + 0.45 * (1.0 + (std::f64::consts::PI * t).cos())),
            );
            let picks: Vec<(usize, u64, bool)> = (0..config.batch_size)
                .map(|_| (rng.gen_range(0..samples.len()), rng.gen(), rng.gen()))
                .collect();
            let images: Vec<RgbImage> = picks
                .par_iter()
                .map(|&(i, seed, flipped)| {
                    let im = augment(&resized[i], &config.augment, seed);
                    if flipped {
                        flip(&im)
                    } else {
                        im
                    }
                })
                .collect();
            let mut target = Vec::with_capacity(picks.len() * NUM_MEASURES);
            let mut mask = Vec::with_capacity(picks.len() * NUM_MEASURES);
            for &(i, _, flipped) in &picks {
                for (j, &v) in samples[i].targets.iter().enumerate() {
                    let v = if flipped && j == yaw { -v } else { v };
                    mask.push(if v.is_finite() { 1f32 } else { 0.0 });
                    target.push(if v.is_finite() { v } else { 0.0 });
                }
            }
            let target = Tensor::from_vec(target, (picks.len(), NUM_MEASURES), &device)?
                .broadcast_sub(&mean)?
                .broadcast_div(&std)?;
            let mask = Tensor::from_vec(mask, (picks.len(), NUM_MEASURES), &device)?;
            let refs: Vec<&RgbImage> = images.iter().collect();
            let xs = image_tensor_refs(&refs, net_config.input_size, &device)?;
            let out = net.forward_outputs(&xs, Some(&mut drop_rng))?;
            // Huber-like: squared error, robust to label noise through clamping.
            let err = ((out - target)? * &mask)?.clamp(-3f32, 3f32)?;
            let loss =
                (err.sqr()?.sum_all()? / mask.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64)?;
            optimizer.backward_step(&loss)?;
            let l = loss.to_scalar::<f32>()?;
            if !l.is_finite() {
                return Err(PredictorError::BadInput(format!(
                    "reader training diverged at step {global}"
                )));
            }
            global += 1;
            progress(global, total, l);
        }
    }
    // Rebuild from the trained values without dropout.
    let trained = AttributePredictor::load(
        VarBuilder::from_varmap(&varmap, DType::F32, &device),
        &PredictorConfig {
            dropout: 0.0,
            ..net_config
        },
    )?;
    DegreeReader::new(trained, normalisation, rules)
}

/// Spearman rank correlation of two equally long series (average ranks for ties); `None` when
/// either is constant or shorter than 3.
pub fn spearman(a: &[f32], b: &[f32]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 3 {
        return None;
    }
    let ranks = |v: &[f32]| -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0f64; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            let avg = (i + j) as f64 / 2.0;
            for &k in &idx[i..=j] {
                r[k] = avg;
            }
            i = j + 1;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let ma = ra.iter().sum::<f64>() / n;
    let mb = rb.iter().sum::<f64>() / n;
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    if va <= 0.0 || vb <= 0.0 {
        return None;
    }
    Some(cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_monotone_reversed_and_constant_series() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&a, &[0.1, 0.5, 0.6, 2.0, 9.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert!((spearman(&a, &[1.0, 3.0, 2.0, 4.0, 5.0]).unwrap() - 0.9).abs() < 1e-12);
        assert_eq!(spearman(&a, &[1.0; 5]), None);
    }

    #[test]
    fn normalisation_ignores_unknown_targets() {
        let mut t1 = [f32::NAN; NUM_MEASURES];
        let mut t2 = [f32::NAN; NUM_MEASURES];
        t1[0] = 1.0;
        t2[0] = 3.0;
        t2[1] = 5.0;
        let s = |targets| ReaderSample {
            image: RgbImage::new(4, 4),
            targets,
        };
        let n = normalisation_of(&[s(t1), s(t2)]);
        assert_eq!(n[0], [2.0, 1.0]);
        assert_eq!(n[1], [5.0, 1e-3]);
        assert_eq!(n[2], [0.0, 1.0]);
    }

    #[test]
    fn a_tiny_reader_learns_brightness_as_a_measure_and_round_trips_through_a_file() {
        // Targets: forehead coverage = image darkness; the rest unknown.
        let samples: Vec<ReaderSample> = (0..48)
            .map(|i| {
                let v = (i * 5) as u8;
                let mut t = [f32::NAN; NUM_MEASURES];
                t[Measure::BangsCover.index()] = 1.0 - v as f32 / 255.0;
                ReaderSample {
                    image: RgbImage::from_pixel(32, 32, image::Rgb([v, v, v])),
                    targets: t,
                }
            })
            .collect();
        let init = AttributePredictor::load(
            VarBuilder::from_varmap(&VarMap::new(), DType::F32, &Device::Cpu),
            &PredictorConfig {
                input_size: 32,
                stem: 2,
                widths: vec![8, 16],
                hidden: 16,
                ..PredictorConfig::default()
            },
        )
        .unwrap();
        let config = ReaderTrainConfig {
            epochs: 40,
            batch_size: 16,
            learning_rate: 3e-3,
            augment: AugmentConfig::none(),
            dropout: 0.0,
            ..ReaderTrainConfig::default()
        };
        let reader = train_reader(
            &samples,
            Some(&init),
            &config,
            ScoreRules::default(),
            |_, _, _| {},
        )
        .unwrap();
        let probe = |v: u8| RgbImage::from_pixel(32, 32, image::Rgb([v, v, v]));
        let r = reader.read(&[probe(230), probe(120), probe(10)]).unwrap();
        let s: Vec<f32> = r
            .iter()
            .map(|f| f.score(crate::attributes::Attribute::Bangs))
            .collect();
        assert!(s[0] < s[1] && s[1] < s[2], "{s:?}");
        let dir = std::env::temp_dir().join(format!("tte-reader-{}", std::process::id()));
        let path = dir.join("reader.safetensors");
        reader.save_file(&path, true).unwrap();
        let back = DegreeReader::load_file(&path, &Device::Cpu).unwrap();
        let s2: Vec<f32> = back
            .read(&[probe(230), probe(120), probe(10)])
            .unwrap()
            .iter()
            .map(|f| f.score(crate::attributes::Attribute::Bangs))
            .collect();
        for (a, b) in s.iter().zip(&s2) {
            assert!((a - b).abs() < 0.05, "{s:?} vs {s2:?} (f16 round trip)");
        }
        assert_eq!(back.rules(), reader.rules());
        std::fs::remove_dir_all(&dir).ok();
    }
}
