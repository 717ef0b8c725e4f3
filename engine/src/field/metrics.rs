//! Editing-quality metrics of the paper's evaluation (section 5, Table 1, Fig. 10 and supplement
//! C, eq. 12-13), computed from what the editing loop ([`super::edit`]) returns:
//!
//! - identity preservation (eq. 12): mean Euclidean distance between the identity embedding of the
//!   start image and of each edited image ([`identity_distance`], [`identity_preservation`]);
//!   embeddings are L2-normalised first, so the distance is `sqrt(2 - 2 cos)` and lies in `[0, 2]`;
//! - attribute preservation (eq. 13): cross-entropy of the second predictor P' on the attributes
//!   that were not edited, against the degrees P' reads on the start image
//!   ([`attribute_cross_entropy`], [`attribute_preservation`]);
//! - the Fig. 10 curve: mean cosine between each step's latent direction and the first step's,
//!   against the attribute class change ([`direction_samples`], [`direction_curve`]);
//! - the per-method summary of many edits ([`EditScore`], [`summarise`]).

use super::edit::{EditTrace, Probabilities};
use super::FieldError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::perception::Embedding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Smallest probability inside a logarithm: a probability P' rounds to 0 costs `-ln(1e-7)` = 16.1
/// instead of infinity.
pub const LOG_FLOOR: f32 = 1e-7;

fn unit(e: &Embedding) -> Result<Vec<f32>, FieldError> {
    let norm = e.0.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return Err(FieldError::BadInput(format!(
            "identity embedding with norm {norm}"
        )));
    }
    Ok(e.0.iter().map(|x| x / norm).collect())
}

/// Euclidean distance between two identity embeddings after L2-normalising each (eq. 12's
/// `||FaceNet(I_i) - FaceNet(I_0)||_2`).
pub fn identity_distance(a: &Embedding, b: &Embedding) -> Result<f32, FieldError> {
    if a.0.len() != b.0.len() {
        return Err(FieldError::BadInput(format!(
            "identity embeddings of {} and {} values",
            a.0.len(),
            b.0.len()
        )));
    }
    let (a, b) = (unit(a)?, unit(b)?);
    Ok(a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt())
}

/// Eq. 12: mean identity distance between the start image and each edited image; `None` without
/// edited images.
pub fn identity_preservation(
    start: &Embedding,
    edited: &[Embedding],
) -> Result<Option<f32>, FieldError> {
    if edited.is_empty() {
        return Ok(None);
    }
    let mut sum = 0.0;
    for e in edited {
        sum += identity_distance(start, e)?;
    }
    Ok(Some(sum / edited.len() as f32))
}

fn argmax(p: &[f32; NUM_DEGREES]) -> usize {
    (0..NUM_DEGREES).fold(0, |best, d| if p[d] > p[best] { d } else { best })
}

/// One image's term of eq. 13: `sum_{j != m} -ln p'_j(y_j)`, where `m` is the edited attribute and
/// `y_j` the degree P' reads (argmax) for attribute `j` on the start image. Summed (not averaged)
/// over the four untouched attributes, as in the paper.
pub fn attribute_cross_entropy(
    start: &Probabilities,
    edited: &Probabilities,
    attribute: Attribute,
) -> f32 {
    Attribute::ALL
        .iter()
        .filter(|a| **a != attribute)
        .map(|a| {
            let label = argmax(&start[a.index()]);
            -edited[a.index()][label].max(LOG_FLOOR).ln()
        })
        .sum()
}

/// Eq. 13: mean of [`attribute_cross_entropy`] over the edited images; `None` without any.
pub fn attribute_preservation(
    start: &Probabilities,
    edited: &[Probabilities],
    attribute: Attribute,
) -> Option<f32> {
    if edited.is_empty() {
        return None;
    }
    let sum: f32 = edited
        .iter()
        .map(|e| attribute_cross_entropy(start, e, attribute))
        .sum();
    Some(sum / edited.len() as f32)
}

/// One step's direction compared with the first step's (Fig. 10).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DirectionSample {
    /// Attribute class change, counted towards the target, of the code the step was taken from
    /// (0 for the first step and every step taken before the degree moved).
    pub degree_change: i64,
    /// Cosine between this step's direction and the first step's.
    pub cosine: f32,
}

/// The Fig. 10 samples of one edit: for every step `i >= 1`, the cosine of its direction
/// (`styles_i - styles_{from_step}`, [`EditTrace::direction_cosines`]) with the first step's,
/// against how many degrees the code it was taken from had already moved towards the target.
/// Empty when the trace holds no latent codes or took no step.
pub fn direction_samples(trace: &EditTrace) -> Result<Vec<DirectionSample>, FieldError> {
    // Checked first: `direction_cosines` indexes the steps by these.
    for (i, step) in trace.steps.iter().enumerate() {
        if step.index != i || step.from_step > i {
            return Err(FieldError::BadInput(format!(
                "step {i} (index {}) was taken from step {}, which the trace does not hold \
                 before it",
                step.index, step.from_step
            )));
        }
    }
    let cosines = trace.direction_cosines()?;
    let sign: i64 = if trace.target >= trace.start_degree {
        1
    } else {
        -1
    };
    let start = trace.start_degree as i64;
    Ok(cosines
        .iter()
        .zip(trace.steps.iter().skip(1))
        .map(|(&cosine, step)| DirectionSample {
            degree_change: (trace.steps[step.from_step].degree as i64 - start) * sign,
            cosine,
        })
        .collect())
}

/// One point of the Fig. 10 curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub degree_change: i64,
    pub mean_cosine: f32,
    /// Samples averaged.
    pub count: usize,
}

/// Mean cosine per degree change, in increasing order of change.
pub fn direction_curve(samples: &[DirectionSample]) -> Vec<CurvePoint> {
    let mut sums: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.cosine.is_finite()) {
        let entry = sums.entry(s.degree_change).or_insert((0.0, 0));
        entry.0 += s.cosine as f64;
        entry.1 += 1;
    }
    sums.into_iter()
        .map(|(degree_change, (sum, count))| CurvePoint {
            degree_change,
            mean_cosine: (sum / count as f64) as f32,
            count,
        })
        .collect()
}

/// The scores of one edited image (one degree stage of an edit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageScore {
    /// Degree P reads on the image.
    pub degree: usize,
    /// Index of the step (in the edit trace) whose image this is.
    pub step: usize,
    /// [`identity_distance`] to the start image.
    pub identity_distance: f32,
    /// Identity cosine with the start image.
    pub identity_cos: f32,
    /// [`attribute_cross_entropy`] of P' against the start image's degrees.
    pub attribute_ce: f32,
}

/// The scores of one edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditScore {
    /// The target degree was read.
    pub reached: bool,
    /// At least one degree towards the target was read.
    pub progressed: bool,
    /// Steps taken (every step read, undone and polishing steps included).
    pub steps: usize,
    /// The edited images: one per degree reached between the start (exclusive) and the target.
    pub stages: Vec<StageScore>,
}

/// Means over many edits of one attribute and method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditSummary {
    pub edits: usize,
    /// Edited images (stages) over all edits: the N of eq. 12 and 13.
    pub edited_images: usize,
    /// Eq. 12 over all edited images.
    pub identity_distance: Option<f32>,
    /// Mean identity cosine over the same images.
    pub identity_cos: Option<f32>,
    /// Eq. 13 over all edited images.
    pub attribute_ce: Option<f32>,
    /// Share of edits that read the target degree.
    pub reached_share: Option<f32>,
    /// Share of edits that moved at least one degree towards the target.
    pub progressed_share: Option<f32>,
    /// Mean steps taken per edit.
    pub mean_steps: Option<f32>,
}

/// Summarises edits: eq. 12 and 13 pool all edited images (N = edited images), the shares and
/// the mean steps are per edit.
pub fn summarise(scores: &[EditScore]) -> EditSummary {
    let stages: Vec<&StageScore> = scores.iter().flat_map(|s| &s.stages).collect();
    let mean = |values: &mut dyn Iterator<Item = f32>, n: usize| {
        (n > 0).then(|| (values.map(f64::from).sum::<f64>() / n as f64) as f32)
    };
    let edits = scores.len();
    EditSummary {
        edits,
        edited_images: stages.len(),
        identity_distance: mean(
            &mut stages.iter().map(|s| s.identity_distance),
            stages.len(),
        ),
        identity_cos: mean(&mut stages.iter().map(|s| s.identity_cos), stages.len()),
        attribute_ce: mean(&mut stages.iter().map(|s| s.attribute_ce), stages.len()),
        reached_share: mean(
            &mut scores.iter().map(|s| f32::from(u8::from(s.reached))),
            edits,
        ),
        progressed_share: mean(
            &mut scores.iter().map(|s| f32::from(u8::from(s.progressed))),
            edits,
        ),
        mean_steps: mean(&mut scores.iter().map(|s| s.steps as f32), edits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::edit::{EditOutcome, EditStep};
    use candle_core::{Device, Tensor};

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    #[test]
    fn identity_distance_normalises_and_checks_lengths() {
        let a = Embedding(vec![3.0, 0.0]);
        let b = Embedding(vec![0.0, 0.5]);
        // Unit vectors (1, 0) and (0, 1): sqrt(2).
        assert!(close(identity_distance(&a, &b).unwrap(), 2f32.sqrt()));
        assert!(close(identity_distance(&a, &a).unwrap(), 0.0));
        let opposite = Embedding(vec![-1.0, 0.0]);
        assert!(close(identity_distance(&a, &opposite).unwrap(), 2.0));
        // Eq. 12 averages: (sqrt 2 + 2 + 0) / 3.
        let mean = identity_preservation(&a, &[b.clone(), opposite, a.clone()])
            .unwrap()
            .unwrap();
        assert!(close(mean, (2f32.sqrt() + 2.0) / 3.0), "{mean}");
        assert_eq!(identity_preservation(&a, &[]).unwrap(), None);
        assert!(identity_distance(&a, &Embedding(vec![1.0, 0.0, 0.0])).is_err());
        assert!(identity_distance(&a, &Embedding(vec![0.0, 0.0])).is_err());
    }

    fn probabilities(degrees: [usize; 5], confidence: f32) -> Probabilities {
        let rest = (1.0 - confidence) / (NUM_DEGREES - 1) as f32;
        std::array::from_fn(|h| {
            std::array::from_fn(|d| if d == degrees[h] { confidence } else { rest })
        })
    }

    #[test]
    fn attribute_cross_entropy_skips_the_edited_attribute_and_uses_start_labels() {
        let start = probabilities([0, 1, 2, 3, 4], 0.9);
        // Same degrees read with 0.5: four untouched heads cost -ln 0.5 each.
        let same = probabilities([0, 1, 2, 3, 4], 0.5);
        let ce = attribute_cross_entropy(&start, &same, Attribute::Smiling);
        assert!(close(ce, -4.0 * 0.5f32.ln()), "{ce}");
        // Changing only the edited attribute costs nothing extra.
        let smiled = probabilities([0, 1, 2, 5, 4], 0.5);
        assert!(close(
            attribute_cross_entropy(&start, &smiled, Attribute::Smiling),
            ce
        ));
        // Moving bangs 0 -> 1 leaves its start label (degree 0) (1 - 0.5) / 5 = 0.1.
        let banged = probabilities([1, 1, 2, 3, 4], 0.5);
        let expected = -3.0 * 0.5f32.ln() - 0.1f32.ln();
        let got = attribute_cross_entropy(&start, &banged, Attribute::Smiling);
        assert!(close(got, expected), "{got} vs {expected}");
        // A zero probability is floored, not infinite.
        let mut hard = same;
        hard[Attribute::Age.index()] = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let floored = attribute_cross_entropy(&start, &hard, Attribute::Smiling);
        assert!(close(floored, -3.0 * 0.5f32.ln() - LOG_FLOOR.ln()));
        let mean = attribute_preservation(&start, &[same, banged], Attribute::Smiling).unwrap();
        assert!(close(mean, (ce + expected) / 2.0));
        assert_eq!(attribute_preservation(&start, &[], Attribute::Age), None);
    }

    fn step(index: usize, from_step: usize, degree: usize, x: [f32; 2]) -> EditStep {
        EditStep {
            index,
            from_step,
            step_scale: 1.0,
            degree,
            confidence: 0.9,
            degrees: BTreeMap::new(),
            identity_cos: None,
            probabilities: probabilities([0; 5], 0.9),
            styles: Some(Tensor::new(&[x], &Device::Cpu).unwrap()),
            image: None,
        }
    }

    fn trace(start: usize, target: usize, steps: Vec<EditStep>) -> EditTrace {
        EditTrace {
            attribute: Attribute::Eyeglasses,
            start_degree: start,
            target,
            reached: true,
            outcome: EditOutcome::Reached,
            result_step: steps.len() - 1,
            stages: Vec::new(),
            others_moved: Vec::new(),
            steps,
        }
    }

    #[test]
    fn direction_samples_bin_each_step_by_the_degree_it_left_from() {
        // (0,0) -> (1,0) [deg 1] -> (2,1) [deg 2] -> (2,2) [deg 3]; the third step is also tried
        // from step 1 after an undo: (1,0) -> (1,-1).
        let up = trace(
            1,
            3,
            vec![
                step(0, 0, 1, [0.0, 0.0]),
                step(1, 0, 2, [1.0, 0.0]),
                step(2, 1, 3, [2.0, 1.0]),
                step(3, 2, 3, [2.0, 2.0]),
                step(4, 1, 2, [1.0, -1.0]),
            ],
        );
        let samples = direction_samples(&up).unwrap();
        let changes: Vec<i64> = samples.iter().map(|s| s.degree_change).collect();
        assert_eq!(changes, vec![0, 1, 2, 1]);
        let h = 0.5f32.sqrt();
        let cosines: Vec<f32> = samples.iter().map(|s| s.cosine).collect();
        for (got, want) in cosines.iter().zip([1.0, h, 0.0, 0.0]) {
            assert!(close(*got, want), "{cosines:?}");
        }
        let curve = direction_curve(&samples);
        assert_eq!(curve.len(), 3);
        assert_eq!(curve[1].degree_change, 1);
        assert_eq!(curve[1].count, 2);
        assert!(close(curve[1].mean_cosine, h / 2.0));
        // Editing down counts changes towards the target as positive.
        let down = trace(
            4,
            2,
            vec![
                step(0, 0, 4, [0.0, 0.0]),
                step(1, 0, 3, [-1.0, 0.0]),
                step(2, 1, 2, [-1.0, -1.0]),
            ],
        );
        let samples = direction_samples(&down).unwrap();
        assert_eq!(samples[1].degree_change, 1);
        assert!(close(samples[1].cosine, 0.0));
        // A trace without codes gives nothing; a bad from_step is an error.
        let mut bare = trace(
            0,
            1,
            vec![step(0, 0, 0, [0.0, 0.0]), step(1, 0, 1, [1.0, 0.0])],
        );
        bare.steps.iter_mut().for_each(|s| s.styles = None);
        assert!(direction_samples(&bare).unwrap().is_empty());
        let mut broken = trace(
            0,
            1,
            vec![step(0, 0, 0, [0.0, 0.0]), step(1, 0, 1, [1.0, 0.0])],
        );
        broken.steps[1].from_step = 7;
        assert!(direction_samples(&broken).is_err());
    }

    #[test]
    fn summary_pools_images_for_eq_12_and_13_and_edits_for_shares() {
        let stage = |d: f32, ce: f32| StageScore {
            degree: 1,
            step: 1,
            identity_distance: d,
            identity_cos: 1.0 - d * d / 2.0,
            attribute_ce: ce,
        };
        let scores = vec![
            EditScore {
                reached: true,
                progressed: true,
                steps: 4,
                stages: vec![stage(0.2, 1.0), stage(0.4, 2.0)],
            },
            EditScore {
                reached: false,
                progressed: true,
                steps: 6,
                stages: vec![stage(0.6, 3.0)],
            },
            EditScore {
                reached: false,
                progressed: false,
                steps: 5,
                stages: vec![],
            },
        ];
        let s = summarise(&scores);
        assert_eq!(s.edits, 3);
        assert_eq!(s.edited_images, 3);
        assert!(close(s.identity_distance.unwrap(), 0.4));
        assert!(close(
            s.identity_cos.unwrap(),
            1.0 - (0.04 + 0.16 + 0.36) / 6.0
        ));
        assert!(close(s.attribute_ce.unwrap(), 2.0));
        assert!(close(s.reached_share.unwrap(), 1.0 / 3.0));
        assert!(close(s.progressed_share.unwrap(), 2.0 / 3.0));
        assert!(close(s.mean_steps.unwrap(), 5.0));
        let empty = summarise(&[]);
        assert_eq!(empty.edits, 0);
        assert_eq!(empty.identity_distance, None);
        assert_eq!(empty.reached_share, None);
    }
}
