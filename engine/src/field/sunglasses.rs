//! The sunglasses direction: eyeglasses degrees 4-5 (dark lenses, supplement table A3) are a
//! different thing from degrees 1-3 (clear frames graded by thickness), and neither the field nor
//! the linear eyeglasses direction (fitted "glasses vs none") ever makes them. This direction is
//! the normal of a linear classifier ([`LinearDirection::fit`]) between faces that wear clear
//! glasses (degrees 1-3) and faces that wear sunglasses (4-5) among the labelled dataset's
//! training faces: stepping along it darkens the lenses of a face that wears glasses; stepping
//! back along it clears them. The editing loop uses it after the other eyeglasses steppers, and
//! only where sunglasses are in play ([`in_play`]): from a bare face it draws dark eye sockets or
//! small dark lenses that the reader takes for thin glasses, not the clear glasses asked for.

use super::linear::{LinearDirection, LinearFitConfig};
use super::methods::{is_held_out, seed_latents};
use super::FieldError;
use crate::attributes::Attribute;
use crate::generator::Generator;
use crate::perception::label_pipeline::seed_psi;
use std::collections::HashMap;

/// Degrees from this one up are sunglasses.
pub const SUNGLASSES_FROM: usize = 4;

/// Whether an eyeglasses edit from `start_degree` to `target` involves sunglasses (either end
/// at [`SUNGLASSES_FROM`] or above): only then does the sunglasses direction join its steppers.
pub fn in_play(start_degree: u8, target: u8) -> bool {
    start_degree as usize >= SUNGLASSES_FROM || target as usize >= SUNGLASSES_FROM
}

/// The classifier's L2 penalty: stronger than the attribute directions' default (1e-3), as the
/// sunglasses class holds only about 50 faces in 512 dimensions.
pub const SUNGLASSES_L2: f64 = 1e-2;

/// The faces the direction is fitted on, from `labels.csv` degrees by seed ([`Attribute::ALL`]
/// order, 255 = unknown): training seeds (not held out) that wear glasses of any degree, with
/// the truncation the dataset rendered them at; and their eyeglasses degrees.
pub fn sunglasses_faces(labels: &HashMap<u64, [u8; 5]>) -> (Vec<(u64, f64)>, Vec<usize>) {
    let g = Attribute::Eyeglasses.index();
    let mut seeds: Vec<(u64, usize)> = labels
        .iter()
        .filter(|(seed, d)| !is_held_out(**seed) && (1..=5).contains(&d[g]))
        .map(|(seed, d)| (*seed, d[g] as usize))
        .collect();
    seeds.sort_unstable();
    seeds
        .into_iter()
        .map(|(seed, degree)| ((seed, seed_psi(seed)), degree))
        .unzip()
}

/// Fits the sunglasses direction (attribute eyeglasses, pointing from clear glasses to
/// sunglasses) on [`sunglasses_faces`].
pub fn fit_sunglasses(
    generator: &Generator,
    labels: &HashMap<u64, [u8; 5]>,
) -> Result<LinearDirection, FieldError> {
    let (faces, degrees) = sunglasses_faces(labels);
    let latents = seed_latents(generator, &faces)?;
    let config = LinearFitConfig {
        split: Some(SUNGLASSES_FROM),
        l2: SUNGLASSES_L2,
        ..LinearFitConfig::default()
    };
    LinearDirection::fit(Attribute::Eyeglasses, &latents, &degrees, &config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sunglasses_are_in_play_when_either_end_of_the_edit_is_a_sunglasses_degree() {
        assert!(in_play(3, 4) && in_play(2, 5) && in_play(5, 3) && in_play(4, 4));
        assert!(!in_play(0, 1) && !in_play(2, 3) && !in_play(3, 1));
    }

    #[test]
    fn the_fit_uses_training_faces_with_glasses_at_their_dataset_truncation() {
        let mut labels = HashMap::new();
        // seed -> degrees; eyeglasses is the second.
        labels.insert(100_001, [0, 2, 0, 0, 0]);
        labels.insert(100_002, [0, 5, 0, 0, 0]);
        labels.insert(100_003, [0, 0, 0, 0, 0]); // no glasses
        labels.insert(100_004, [0, 255, 0, 0, 0]); // unknown
        labels.insert(100_010, [0, 4, 0, 0, 0]); // held out
        let (faces, degrees) = sunglasses_faces(&labels);
        assert_eq!(faces, [(100_001, 0.7), (100_002, 1.0)]);
        assert_eq!(degrees, [2, 5]);
    }
}
