//! Counter-steps: pulling back the other attributes an edit step moved (issue 12).
//!
//! The guarded loop ([`super::guided`]) removes the other attributes' linear directions from
//! every step, yet the reader still sees them move: glasses steps age a face by 1.4-2.5 years a
//! step before the frames appear (session 16), age steps move the fringe, beard steps the
//! smile. The other-attribute guard then refuses the step and the edit ends short of its
//! target ("can't go further") although the edited attribute itself was on its way.
//!
//! A [`Corrector`] turns a step that only that guard refused into a candidate that may pass:
//! for every other attribute whose score drifted more than [`Corrector::min_drift`] from the
//! start, it adds a length of that attribute's own linear direction (without its components
//! along the mean of W and the edited attribute's direction, so the pull does not undo the
//! edit) sized to bring the score back: `length = -drift / slope`. The slope (degree units per
//! unit of W) starts at [`Corrector::prior_slope`] and, after a pull that moved the score the
//! right way, is re-measured from what the pull did (a secant), for [`Corrector::rounds`]
//! pulls at most. The loop judges every pulled code with the same guards: a pull that costs
//! identity or breaks the face is refused like any other code.

use super::guided::orthonormal_basis;
use super::step::FieldSpace;
use super::FieldError;
use crate::attributes::Attribute;
use candle_core::Tensor;

/// The pulls an edit of one attribute may use; see the module docs.
pub struct Corrector {
    /// Per other attribute, a unit direction `[1, 512]` in W orthogonal to the mean of W and
    /// the edited attribute's direction.
    directions: Vec<(Attribute, Tensor)>,
    /// Where a pull is added (the edit's space: W+ moves the first k style layers).
    pub space: FieldSpace,
    /// First guess of an attribute's score change per unit of W along its direction.
    pub prior_slope: f32,
    /// Pulls tried on one refused step at most.
    pub rounds: usize,
    /// Drifts (degree units) smaller than this are left alone.
    pub min_drift: f32,
    /// The longest pull along one direction (units of W).
    pub max_length: f32,
}

/// The product's [`Corrector::prior_slope`]. The linear directions move a degree in 2-6 units of
/// W on average (FIELDS.md), but a smile pulled 3.3 units on a psi-1.0 face rose 3.2 degrees and
/// lost the person: the first pull assumes the steepest slope seen (short pulls) and the secant
/// lengthens the next.
pub const PRIOR_SLOPE: f32 = 1.0;

impl Corrector {
    /// A corrector for edits of `edited` from the linear directions of every attribute
    /// (`[1, 512]` or `[512]` each, any length): each other attribute's direction loses its
    /// components along `w_avg` and `edited`'s own direction.
    pub fn new(
        edited: Attribute,
        directions: &[(Attribute, Tensor)],
        w_avg: &Tensor,
        space: FieldSpace,
    ) -> Result<Self, FieldError> {
        let own = directions
            .iter()
            .find(|(a, _)| *a == edited)
            .map(|(_, d)| d.clone());
        let mut kept = Vec::new();
        for (a, d) in directions.iter().filter(|(a, _)| *a != edited) {
            // Gram-Schmidt with the removed directions first: the last row is what is left of d.
            let mut span = vec![w_avg.clone()];
            span.extend(own.clone());
            let n = span.len();
            span.push(d.clone());
            let basis = orthonormal_basis(&span)?;
            if basis.dim(0)? <= n {
                continue; // d lies in the removed span
            }
            kept.push((*a, basis.narrow(0, n, 1)?));
        }
        Ok(Self {
            directions: kept,
            space,
            prior_slope: PRIOR_SLOPE,
            rounds: 3,
            min_drift: 0.4,
            max_length: 4.0,
        })
    }

    /// Whether `attribute` has a direction to pull along.
    pub fn can_pull(&self, attribute: Attribute) -> bool {
        self.directions.iter().any(|(a, _)| *a == attribute)
    }

    /// `code` (W+ `[1, 23, 512]` or w `[1, 512]`, as the space wants) with each `(attribute,
    /// length)` pull added along that attribute's direction; attributes without one are skipped.
    pub fn pull(&self, code: &Tensor, pulls: &[(Attribute, f32)]) -> Result<Tensor, FieldError> {
        let mut delta: Option<Tensor> = None;
        for (a, length) in pulls {
            let Some((_, d)) = self.directions.iter().find(|(b, _)| b == a) else {
                continue;
            };
            let length = length.clamp(-self.max_length, self.max_length) as f64;
            let step = (d * length)?;
            delta = Some(match delta {
                Some(sum) => (sum + step)?,
                None => step,
            });
        }
        let prepared = self.space.prepare(code)?;
        match delta {
            Some(delta) => self
                .space
                .add(&prepared, &delta.to_dtype(prepared.dtype())?),
            None => Ok(prepared),
        }
    }

    /// The pulls that bring each drift back (`drifts`: score now minus score at the start, per
    /// attribute) at the given slopes, for drifts of at least [`Self::min_drift`].
    pub fn pulls_for(
        &self,
        drifts: &[(Attribute, f32)],
        slopes: &[f32; 5],
    ) -> Vec<(Attribute, f32)> {
        drifts
            .iter()
            .filter(|(a, drift)| drift.abs() >= self.min_drift && self.can_pull(*a))
            .map(|(a, drift)| (*a, -drift / slopes[a.index()]))
            .collect()
    }

    /// A re-measured slope after a pull of `length` moved the score by `moved`: the secant when
    /// the pull moved it the way it was meant to by a measurable amount, else `slope` (kept
    /// within a factor of 5 of the prior).
    pub fn updated_slope(&self, slope: f32, length: f32, moved: f32) -> f32 {
        if length.abs() < 1e-3 || moved * length <= 0.0 || moved.abs() < 0.05 {
            return slope;
        }
        (moved / length).clamp(self.prior_slope / 5.0, self.prior_slope * 5.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn unit(i: usize) -> Tensor {
        let mut v = vec![0f32; 512];
        v[i] = 1.0;
        Tensor::from_vec(v, (1, 512), &Device::Cpu).unwrap()
    }

    #[test]
    fn pulls_are_orthogonal_to_the_mean_and_the_edited_direction() {
        // Age's direction shares a component with the glasses direction and the mean.
        let mut age = vec![0f32; 512];
        age[0] = 1.0;
        age[1] = 1.0;
        age[2] = 1.0;
        let age = Tensor::from_vec(age, (1, 512), &Device::Cpu).unwrap();
        let dirs = vec![(Attribute::Eyeglasses, unit(0)), (Attribute::Age, age)];
        let c = Corrector::new(Attribute::Eyeglasses, &dirs, &unit(1), FieldSpace::W).unwrap();
        assert!(c.can_pull(Attribute::Age));
        assert!(!c.can_pull(Attribute::Eyeglasses));
        let code = Tensor::zeros((1, 512), candle_core::DType::F32, &Device::Cpu).unwrap();
        let pulled = c
            .pull(&code, &[(Attribute::Age, 2.0), (Attribute::Smiling, 9.0)])
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        // Only what age has of its own (coordinate 2) is moved, by the whole length.
        assert!(pulled[0].abs() < 1e-6 && pulled[1].abs() < 1e-6);
        assert!((pulled[2] - 2.0).abs() < 1e-5);
        assert!(pulled[3..].iter().all(|x| x.abs() < 1e-6));
    }

    #[test]
    fn a_w_plus_pull_moves_only_the_edited_layers_and_is_bounded() {
        let dirs = vec![(Attribute::Smiling, unit(0)), (Attribute::Bangs, unit(5))];
        let space = FieldSpace::WPlus { k: 3 };
        let c = Corrector::new(Attribute::Smiling, &dirs, &unit(1), space).unwrap();
        let code = Tensor::zeros((1, 23, 512), candle_core::DType::F32, &Device::Cpu).unwrap();
        let pulled = c.pull(&code, &[(Attribute::Bangs, -40.0)]).unwrap();
        let rows = pulled.squeeze(0).unwrap().to_vec2::<f32>().unwrap();
        for (i, row) in rows.iter().enumerate() {
            let want = if i < 3 { -c.max_length } else { 0.0 };
            assert_eq!(row[5], want, "row {i}");
        }
    }

    #[test]
    fn pulls_undo_drifts_past_the_threshold_and_slopes_follow_what_a_pull_did() {
        let dirs = vec![(Attribute::Age, unit(0)), (Attribute::Bangs, unit(5))];
        let c = Corrector::new(Attribute::Eyeglasses, &dirs, &unit(1), FieldSpace::W).unwrap();
        let slopes = [0.5f32; 5];
        let pulls = c.pulls_for(&[(Attribute::Age, 0.9), (Attribute::Bangs, -0.2)], &slopes);
        assert_eq!(pulls, vec![(Attribute::Age, -1.8)]);
        // A pull of -1.8 that lowered the score by 0.36: 0.2 a unit.
        assert!((c.updated_slope(0.5, -1.8, -0.36) - 0.2).abs() < 1e-6);
        // Moved the wrong way, or hardly at all: the slope stays.
        assert_eq!(c.updated_slope(0.5, -1.8, 0.3), 0.5);
        assert_eq!(c.updated_slope(0.5, -1.8, -0.01), 0.5);
    }
}
