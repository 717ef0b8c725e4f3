//! numpy's legacy `RandomState(seed).randn(n)`, so that `--seed N` gives the very latent the
//! reference (and random-face) uses: MT19937 seeded with `init_genrand(seed)`, 53-bit doubles from
//! two 32-bit draws, and the Marsaglia polar method that caches its second value.

use rand_mt::Mt;

/// A numpy `RandomState` for normal draws.
pub struct NumpyRandomState {
    mt: Mt,
    cached_gauss: Option<f64>,
}

impl NumpyRandomState {
    /// `np.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        Self {
            mt: Mt::new(seed),
            cached_gauss: None,
        }
    }

    /// A double in [0, 1) with 53 random bits (`random_sample`).
    pub fn next_double(&mut self) -> f64 {
        let a = f64::from(self.mt.next_u32() >> 5);
        let b = f64::from(self.mt.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// One standard normal draw (`legacy_gauss`).
    pub fn next_gauss(&mut self) -> f64 {
        if let Some(g) = self.cached_gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.next_double() - 1.0;
            let x2 = 2.0 * self.next_double() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached_gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `randn(n)` as f32 (the reference casts to float32).
    pub fn randn_f32(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next_gauss() as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_randn() {
        // np.random.RandomState(0).randn(3) and RandomState(42).randn(2)
        let mut r = NumpyRandomState::new(0);
        let v: Vec<f64> = (0..3).map(|_| r.next_gauss()).collect();
        let expected = [
            1.764_052_345_967_664,
            0.400_157_208_367_223_3,
            0.978_737_984_105_739_2,
        ];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let mut r = NumpyRandomState::new(42);
        let v: Vec<f64> = (0..2).map(|_| r.next_gauss()).collect();
        assert!((v[0] - 0.496_714_153_011_233_4).abs() < 1e-12);
        assert!((v[1] + 0.138_264_301_171_185_2).abs() < 1e-12);
    }
}
