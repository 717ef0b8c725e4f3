//! Linear probes on identity embeddings: L2-regularised logistic regressions from a 512-d
//! `fr_feature` embedding to one binary CelebA attribute, fitted on CelebA's labelled training
//! half (`000007`-`000256`; never the held-out half). The teacher labeller uses their logits
//! as one signal among the pixel measures ([`super::measures`]).

use serde::{Deserialize, Serialize};

/// One fitted probe: `logit = bias + weights . x`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearProbe {
    /// What the probe predicts (a CelebA attribute name, e.g. `Eyeglasses`).
    pub target: String,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// Positives and examples it was fitted on.
    pub positives: usize,
    pub examples: usize,
}

impl LinearProbe {
    /// Fits by full-batch gradient descent on the mean log-loss + `l2 / 2 * |w|²`, with positives
    /// and negatives weighted equally (CelebA's attributes are imbalanced). Returns `None` when
    /// there is not at least one example of each class or the inputs disagree in length.
    pub fn fit(target: &str, xs: &[Vec<f32>], ys: &[bool], l2: f64) -> Option<Self> {
        let n = xs.len();
        let dim = xs.first()?.len();
        if n != ys.len() || xs.iter().any(|x| x.len() != dim) {
            return None;
        }
        let positives = ys.iter().filter(|&&y| y).count();
        if positives == 0 || positives == n {
            return None;
        }
        let (wp, wn) = (0.5 / positives as f64, 0.5 / (n - positives) as f64);
        let mut w = vec![0f64; dim];
        let mut b = 0f64;
        let lr = 2.0;
        for _ in 0..800 {
            let mut gw = vec![0f64; dim];
            let mut gb = 0f64;
            for (x, &y) in xs.iter().zip(ys) {
                let z = b + x.iter().zip(&w).map(|(&a, &c)| a as f64 * c).sum::<f64>();
                let p = 1.0 / (1.0 + (-z).exp());
                let g = (p - y as u8 as f64) * if y { wp } else { wn };
                gb += g;
                for (gi, &xi) in gw.iter_mut().zip(x) {
                    *gi += g * xi as f64;
                }
            }
            for (wi, gi) in w.iter_mut().zip(&gw) {
                *wi -= lr * (gi + l2 * *wi);
            }
            b -= lr * gb;
        }
        Some(Self {
            target: target.to_string(),
            weights: w.into_iter().map(|v| v as f32).collect(),
            bias: b as f32,
            positives,
            examples: n,
        })
    }

    /// The logit for one embedding.
    pub fn logit(&self, x: &[f32]) -> f32 {
        self.bias + x.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f32>()
    }
}

/// Area under the ROC curve of `scores` for `labels` (ties count half).
pub fn auc(scores: &[f32], labels: &[bool]) -> f64 {
    let pos: Vec<f32> = scores
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l)
        .map(|(s, _)| *s)
        .collect();
    let neg: Vec<f32> = scores
        .iter()
        .zip(labels)
        .filter(|(_, &l)| !l)
        .map(|(s, _)| *s)
        .collect();
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut wins = 0f64;
    for p in &pos {
        for q in &neg {
            wins += if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_separates_a_linear_direction() {
        // Unit vectors whose first coordinate carries the label, with noise elsewhere.
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..60 {
            let y = i % 4 == 0;
            let mut x: Vec<f32> = (0..16)
                .map(|k| ((i * 7 + k * 13) % 11) as f32 / 40.0)
                .collect();
            x[0] = if y { 0.5 } else { -0.5 };
            xs.push(x);
            ys.push(y);
        }
        let probe = LinearProbe::fit("Test", &xs, &ys, 1e-3).unwrap();
        let scores: Vec<f32> = xs.iter().map(|x| probe.logit(x)).collect();
        assert_eq!(auc(&scores, &ys), 1.0);
        assert_eq!((probe.positives, probe.examples), (15, 60));
        assert!(LinearProbe::fit("Test", &xs, &[true; 60], 1e-3).is_none());
    }

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(auc(&[1.0, 0.0], &[true, false]), 1.0);
        assert_eq!(auc(&[0.0, 1.0], &[true, false]), 0.0);
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), 0.5);
        assert!(auc(&[0.5], &[true]).is_nan());
    }
}
