//! The two editing methods the paper compares, set up alike wherever they are compared (the
//! field evaluation, [`super::eval`], and `talk-to-edit train fields`' rendered check): the
//! semantic field and the linear baseline as W+ steppers that move equally far per step, the
//! reader that scores both on 1024 px renders with the real predictor P, and the labelled
//! dataset's generated faces (which seeds are held out, their latents).
//!
//! It lives in the library so that the evaluation pipeline and the training command share one
//! definition of "the same step length" and "the held-out faces" instead of each keeping a copy.

use super::{
    FieldError, FieldSpace, FieldStepper, GeneratorReader, LinearDirection, LinearStepper,
    SemanticField, DEFAULT_K,
};
use crate::generator::Generator;
use crate::perception::{FacePerception, IdentityEncoder};
use crate::predictor::AttributePredictor;
use candle_core::Tensor;

/// First seed of the labelled dataset (`talk-to-edit label generated`'s default).
pub const DATASET_FIRST_SEED: u64 = 100_000;

/// Faces of the labelled dataset whose seed ends in 0 are held out (as for the predictor).
pub fn is_held_out(seed: u64) -> bool {
    seed.is_multiple_of(10)
}

/// The `j`-th held-out face of the labelled dataset whose truncation psi is 1.0: seed
/// `100000 + 10 j` (the dataset renders even offsets at psi 1.0, odd ones at 0.7; seeds ending in 0
/// are held out).
pub fn held_out_face(j: u64) -> (u64, f64) {
    let seed = DATASET_FIRST_SEED + 10 * j;
    debug_assert!(is_held_out(seed));
    (seed, 1.0)
}

/// w `[n, 512]` of faces given as (seed, truncation psi): mapping network and truncation only,
/// as the dataset rendered them.
pub fn seed_latents(generator: &Generator, faces: &[(u64, f64)]) -> Result<Tensor, FieldError> {
    let mut rows = Vec::with_capacity(faces.len());
    for chunk in faces.chunks(256) {
        let z = chunk
            .iter()
            .map(|&(seed, _)| generator.z_from_seed(seed))
            .collect::<Result<Vec<_>, _>>()?;
        let w = generator.mapping.forward(&Tensor::cat(&z, 0)?)?;
        for (i, &(_, psi)) in chunk.iter().enumerate() {
            rows.push(generator.truncate(&w.narrow(0, i, 1)?, psi)?);
        }
    }
    Ok(Tensor::cat(&rows, 0)?)
}

/// Mean W-space length of the field's first step on `w [n, 512]` (the linear baseline steps by
/// the same length, so both methods move equally far per step).
pub fn field_step_norm(
    field: &SemanticField,
    generator: &Generator,
    w: &Tensor,
) -> Result<f32, FieldError> {
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    let moved = super::field_step(field, &generator.mapping, w, space, 1.0)?;
    let x = moved.narrow(1, 0, 1)?.squeeze(1)?;
    Ok((x - w)?
        .sqr()?
        .sum(1)?
        .sqrt()?
        .mean_all()?
        .to_scalar::<f32>()?)
}

/// Index of the largest value (the first on ties; 0 when empty).
pub fn argmax(p: &[f32]) -> usize {
    (0..p.len()).fold(0, |best, d| if p[d] > p[best] { d } else { best })
}

/// The reader of the rendered check and the eval: 1024 px render, P on the aligned face,
/// identity embedding of every step; keeps the render at `keep_image` when set.
pub fn check_reader<'a>(
    generator: &'a Generator,
    predictor: &'a AttributePredictor,
    perception: &'a FacePerception,
    identity: &'a IdentityEncoder,
    keep_image: Option<u32>,
) -> GeneratorReader<'a> {
    GeneratorReader {
        generator,
        predictor,
        perception: Some(perception),
        identity: Some(identity),
        keep_image,
    }
}

/// The attribute's field and linear direction as steppers in W+ (first [`DEFAULT_K`] layers) with
/// step size `alpha`; the linear baseline steps `alpha * field_norm` (the field's mean step
/// length, [`field_step_norm`]) so both methods move equally far per step.
pub fn method_steppers<'a>(
    field: &'a SemanticField,
    direction: &LinearDirection,
    generator: &'a Generator,
    field_norm: f32,
    alpha: f64,
) -> Result<(FieldStepper<'a>, LinearStepper), FieldError> {
    if !(alpha > 0.0 && alpha.is_finite()) {
        return Err(FieldError::BadConfig(format!(
            "the step size alpha must be positive, got {alpha}"
        )));
    }
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    let linear = LinearStepper::new(
        direction,
        space,
        alpha * field_norm as f64,
        generator.device(),
    )?;
    let field_stepper = FieldStepper {
        field,
        mapping: &generator.mapping,
        space,
        alpha,
    };
    Ok((field_stepper, linear))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_out_faces_are_every_tenth_seed_at_psi_one() {
        assert_eq!(held_out_face(0), (100_000, 1.0));
        assert_eq!(held_out_face(7), (100_070, 1.0));
        assert!(is_held_out(100_290));
        assert!(!is_held_out(100_291));
    }

    #[test]
    fn argmax_takes_the_first_largest() {
        assert_eq!(argmax(&[0.1, 0.5, 0.2, 0.5]), 1);
        assert_eq!(argmax(&[0.9]), 0);
        assert_eq!(argmax(&[]), 0);
    }
}
