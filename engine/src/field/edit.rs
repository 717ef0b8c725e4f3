//! The fine-grained editing loop (paper section 3: "repeat eq. 5 until the desired attribute score
//! is reached"), generic over what reads degrees ([`DegreeReader`]) and what steps
//! ([`LatentStepper`]: a semantic field or a linear direction).
//!
//! The loop reads the start, then steps towards the target degree (a = +1 up, -1 down) and reads
//! every step. It stops when
//! - the start already is at the target ([`EditOutcome::AlreadyThere`]),
//! - the target degree is read ([`EditOutcome::Reached`]); it then takes up to
//!   [`EditConfig::polish_steps`] more steps while the target degree stays and its probability
//!   keeps rising, so that the kept image is the most confident one at that degree,
//! - a step jumps past the target even at the smallest step size ([`EditOutcome::Overshot`]):
//!   a step that jumps past is not taken; the loop halves its step size (down to
//!   [`EditConfig::min_step_scale`]) and steps again from where it was,
//! - no step within [`EditConfig::patience`] came closer to the target than the best so far
//!   ([`EditOutcome::CantGoFurther`]),
//! - [`EditConfig::max_steps`] steps were taken ([`EditOutcome::StepBudget`]).
//!
//! For every degree seen, the step most confident at that degree is kept ([`Stage`]); the
//! result is the stage at the target, or else the stage closest to it. The other four attributes
//! are watched: every one whose degree left its start value is reported ([`AttributeDrift`]).

use super::step::LatentStepper;
use super::FieldError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::generator::Generator;
use crate::perception::identity::generated_identity_crop;
use crate::perception::{cosine, Embedding, FacePerception, IdentityEncoder};
use crate::predictor::{AttributePredictor, NUM_HEADS};
use candle_core::{DType, Tensor};
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Degree probabilities of all five attributes (in [`Attribute::ALL`] order).
pub type Probabilities = [[f32; NUM_DEGREES]; NUM_HEADS];

/// What a reader says about one latent code.
#[derive(Debug, Clone)]
pub struct Reading {
    pub probabilities: Probabilities,
    /// The rendered face, when the reader keeps it (saves a render per step).
    pub image: Option<RgbImage>,
    /// The face's identity embedding, when the reader computes it.
    pub identity: Option<Embedding>,
}

impl Reading {
    /// A reading with probabilities only.
    pub fn probabilities(probabilities: Probabilities) -> Self {
        Self {
            probabilities,
            image: None,
            identity: None,
        }
    }
}

/// Reads the attribute degrees of a latent code.
pub trait DegreeReader {
    fn read(&self, styles: &Tensor) -> Result<Reading, FieldError>;
}

/// The product reader: render (1024 px), resize to 256 (the predictor resizes to its input),
/// predict with P; optionally keep the image and embed the identity.
pub struct GeneratorReader<'a> {
    pub generator: &'a Generator,
    pub predictor: &'a AttributePredictor,
    /// When set, P reads the face found and aligned in the render (as its training crops and
    /// `predict` were made: detector, landmarks, FFHQ quad), else the render resized to 256.
    /// Aligning costs about 80 ms a step.
    pub perception: Option<&'a FacePerception>,
    /// Computes [`Reading::identity`] when set.
    pub identity: Option<&'a IdentityEncoder>,
    /// Keeps [`Reading::image`] at this side when set (256, 512 or 1024).
    pub keep_image: Option<u32>,
}

/// Side of the image handed to the predictor.
pub const READ_SIZE: u32 = 256;

/// Renders one face (a batch of one) at 1024 px and resized to `side`, as the editing loops read
/// it.
pub fn render_for_reading(
    generator: &Generator,
    styles: &Tensor,
    side: u32,
) -> Result<(RgbImage, RgbImage), FieldError> {
    if styles.dim(0)? != 1 {
        return Err(FieldError::BadInput(format!(
            "the editing loop reads one face at a time, got a batch of {}",
            styles.dim(0)?
        )));
    }
    let full = generator.render(styles, 1024)?;
    let small = image::imageops::resize(&full, side, side, FilterType::Triangle);
    Ok((full, small))
}

impl DegreeReader for GeneratorReader<'_> {
    fn read(&self, styles: &Tensor) -> Result<Reading, FieldError> {
        let (full, small) = render_for_reading(self.generator, styles, READ_SIZE)?;
        let aligned = match self.perception {
            Some(perception) => match perception.align(&full, READ_SIZE) {
                Ok(a) => Some(a.crop),
                // An edit can take a face where the detector no longer finds it: read the
                // render as it is rather than stop the edit.
                Err(
                    crate::perception::PerceptionError::NoFace
                    | crate::perception::PerceptionError::FaceTooSmall(_),
                ) => None,
                Err(e) => return Err(FieldError::BadInput(e.to_string())),
            },
            None => None,
        };
        let prediction = self
            .predictor
            .predict(std::slice::from_ref(aligned.as_ref().unwrap_or(&small)))?
            .remove(0);
        let identity = match self.identity {
            Some(encoder) => Some(encoder.embed(&generated_identity_crop(&full)?)?),
            None => None,
        };
        let image = match self.keep_image {
            None => None,
            Some(1024) => Some(full),
            Some(READ_SIZE) => Some(small),
            Some(side) if side == 512 => Some(image::imageops::resize(
                &full,
                side,
                side,
                FilterType::Triangle,
            )),
            Some(side) => {
                return Err(FieldError::BadInput(format!(
                    "kept image side must be 256, 512 or 1024, got {side}"
                )))
            }
        };
        Ok(Reading {
            probabilities: prediction.probabilities,
            image,
            identity,
        })
    }
}

/// Limits of the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditConfig {
    /// Most steps in all.
    pub max_steps: usize,
    /// Steps without coming closer to the target before giving up ("can't go further"). Must
    /// exceed the number of steps one degree takes (1 for a trained field with a = 1; more for
    /// a linear direction with a small step norm).
    pub patience: usize,
    /// Extra steps at the target degree while its probability rises.
    pub polish_steps: usize,
    /// Smallest step size, as a fraction of the stepper's own (1 = never halve). A step that
    /// jumps past the target is undone and retried at half the size until this is reached.
    pub min_step_scale: f64,
}

impl Default for EditConfig {
    fn default() -> Self {
        Self {
            max_steps: 30,
            patience: 4,
            polish_steps: 2,
            min_step_scale: 0.25,
        }
    }
}

/// How an edit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditOutcome {
    /// The start already was at the target degree.
    AlreadyThere,
    /// The target degree was read.
    Reached,
    /// A step jumped past the target degree without reading it.
    Overshot,
    /// No progress within the patience: the field (or direction) can't go further.
    CantGoFurther,
    /// The step budget ran out while still making progress.
    StepBudget,
}

impl EditOutcome {
    /// Whether the asked degree was read.
    pub fn reached(self) -> bool {
        matches!(self, EditOutcome::AlreadyThere | EditOutcome::Reached)
    }
}

/// One read latent code: index 0 is the start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditStep {
    pub index: usize,
    /// The step this one was taken from (itself for the start). Differs from `index - 1` after
    /// a step that jumped past the target was undone.
    #[serde(default)]
    pub from_step: usize,
    /// Step size used, as a fraction of the stepper's own (0 for the start).
    #[serde(default)]
    pub step_scale: f64,
    /// Degree of the edited attribute.
    pub degree: usize,
    /// Its probability.
    pub confidence: f32,
    /// Degree of every attribute.
    pub degrees: BTreeMap<Attribute, usize>,
    /// Identity cosine with the start, when the reader gives identities.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity_cos: Option<f32>,
    #[serde(skip)]
    pub probabilities: Probabilities,
    /// The latent code (w or W+).
    #[serde(skip)]
    pub styles: Option<Tensor>,
    #[serde(skip)]
    pub image: Option<RgbImage>,
}

/// The most confident step at one degree.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub degree: usize,
    pub step: usize,
    pub confidence: f32,
}

/// An attribute that was not edited but whose degree moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDrift {
    pub attribute: Attribute,
    /// Degree at the start.
    pub from: usize,
    /// Degree at the result step.
    pub to: usize,
    /// First step whose degree differed from the start.
    pub first_step: usize,
}

/// Everything an edit did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditTrace {
    pub attribute: Attribute,
    pub start_degree: usize,
    pub target: usize,
    pub reached: bool,
    pub outcome: EditOutcome,
    /// Index (into `steps`) of the result: the most confident step at the target, or else at the
    /// degree closest to it.
    pub result_step: usize,
    pub stages: Vec<Stage>,
    pub others_moved: Vec<AttributeDrift>,
    pub steps: Vec<EditStep>,
}

impl EditTrace {
    /// The result step.
    pub fn result(&self) -> &EditStep {
        &self.steps[self.result_step]
    }

    /// Cosine between each step's direction (`styles_i - styles_{from_step_i}`, i >= 1) and
    /// the first step's (the paper's Fig. 10): one value per step from step 1 on; empty without
    /// styles.
    pub fn direction_cosines(&self) -> Result<Vec<f32>, FieldError> {
        let styles: Option<Vec<&Tensor>> = self.steps.iter().map(|s| s.styles.as_ref()).collect();
        let Some(styles) = styles else {
            return Ok(Vec::new());
        };
        let deltas = self
            .steps
            .iter()
            .skip(1)
            .map(|step| {
                Ok((styles[step.index] - styles[step.from_step])?
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?)
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        let Some(first) = deltas.first() else {
            return Ok(Vec::new());
        };
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        Ok(deltas
            .iter()
            .map(|d| d.iter().zip(first).map(|(a, b)| a * b).sum::<f32>() / (norm(d) * norm(first)))
            .collect())
    }
}

fn argmax(p: &[f32; NUM_DEGREES]) -> usize {
    let mut best = 0;
    for (d, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = d;
        }
    }
    best
}

fn make_step(
    (index, from_step, step_scale): (usize, usize, f64),
    attribute: Attribute,
    styles: Tensor,
    reading: Reading,
    start_identity: Option<&Embedding>,
) -> EditStep {
    let p = &reading.probabilities[attribute.index()];
    let degree = argmax(p);
    EditStep {
        index,
        from_step,
        step_scale,
        degree,
        confidence: p[degree],
        degrees: Attribute::ALL
            .iter()
            .map(|a| (*a, argmax(&reading.probabilities[a.index()])))
            .collect(),
        identity_cos: match (start_identity, &reading.identity) {
            (Some(s), Some(e)) => Some(cosine(s, e)),
            _ => None,
        },
        probabilities: reading.probabilities,
        styles: Some(styles),
        image: reading.image,
    }
}

/// Edits `styles` (one face) until `reader` reads `target` for `attribute`.
pub fn edit_until(
    reader: &dyn DegreeReader,
    stepper: &dyn LatentStepper,
    styles: &Tensor,
    attribute: Attribute,
    target: usize,
    config: &EditConfig,
) -> Result<EditTrace, FieldError> {
    if target >= NUM_DEGREES {
        return Err(FieldError::BadInput(format!(
            "target degree {target} outside 0..{NUM_DEGREES}"
        )));
    }
    if config.patience == 0 {
        return Err(FieldError::BadConfig("patience must be at least 1".into()));
    }
    if !(config.min_step_scale > 0.0 && config.min_step_scale <= 1.0) {
        return Err(FieldError::BadConfig(format!(
            "min_step_scale must be in (0, 1], got {}",
            config.min_step_scale
        )));
    }
    let first = reader.read(styles)?;
    let start_identity = first.identity.clone();
    let start = make_step(
        (0, 0, 0.0),
        attribute,
        styles.clone(),
        first,
        start_identity.as_ref(),
    );
    let start_degree = start.degree;
    let mut steps = vec![start];
    let outcome = if start_degree == target {
        EditOutcome::AlreadyThere
    } else {
        let sign: f64 = if target > start_degree { 1.0 } else { -1.0 };
        // Distance to the target (positive while short of it).
        let short_by = |d: usize| (target as i64 - d as i64) * sign as i64;
        let mut best = short_by(start_degree);
        let mut since_progress = 0;
        let mut current = styles.clone();
        let mut current_step = 0;
        let mut scale = 1.0;
        let mut outcome = EditOutcome::StepBudget;
        while steps.len() <= config.max_steps {
            let next = stepper.step(&current, sign * scale)?;
            if steps.len() == 1 {
                match_start_shape(&mut steps[0], &next)?;
            }
            let reading = reader.read(&next)?;
            let step = make_step(
                (steps.len(), current_step, scale),
                attribute,
                next.clone(),
                reading,
                start_identity.as_ref(),
            );
            let gap = short_by(step.degree);
            steps.push(step);
            if gap < 0 {
                // Jumped past the target: undo, and retry smaller while allowed.
                if scale * 0.5 >= config.min_step_scale - 1e-12 {
                    scale *= 0.5;
                    continue;
                }
                outcome = EditOutcome::Overshot;
                break;
            }
            current = next;
            current_step = steps.len() - 1;
            if gap == 0 {
                outcome = EditOutcome::Reached;
                polish(
                    reader,
                    stepper,
                    (&mut current, current_step, scale),
                    &mut steps,
                    (attribute, target, sign),
                    config,
                    start_identity.as_ref(),
                )?;
                break;
            }
            if gap < best {
                best = gap;
                since_progress = 0;
            } else {
                since_progress += 1;
                if since_progress >= config.patience {
                    outcome = EditOutcome::CantGoFurther;
                    break;
                }
            }
        }
        outcome
    };
    let stages = stages_of(&steps);
    let result_step = result_of(&stages, &steps, attribute, target);
    let others_moved = drift_of(&steps, attribute, result_step);
    Ok(EditTrace {
        attribute,
        start_degree,
        target,
        reached: outcome.reached(),
        outcome,
        result_step,
        stages,
        others_moved,
        steps,
    })
}

/// A W+ stepper turns a start w `[b, 512]` into `[b, 23, 512]`: store the start broadcast the
/// same way, so that every step of a trace has one shape.
fn match_start_shape(start: &mut EditStep, stepped: &Tensor) -> Result<(), FieldError> {
    if let Some(styles) = &start.styles {
        if let ([b, d], [b2, n, d2]) = (styles.dims(), stepped.dims()) {
            if b == b2 && d == d2 {
                let (b, n, d) = (*b, *n, *d);
                start.styles = Some(styles.unsqueeze(1)?.broadcast_as((b, n, d))?.contiguous()?);
            }
        }
    }
    Ok(())
}

/// After reaching the target: a few more steps (at the current step size, each from the last)
/// while the degree stays and its probability rises.
fn polish(
    reader: &dyn DegreeReader,
    stepper: &dyn LatentStepper,
    (current, mut current_step, scale): (&mut Tensor, usize, f64),
    steps: &mut Vec<EditStep>,
    (attribute, target, sign): (Attribute, usize, f64),
    config: &EditConfig,
    start_identity: Option<&Embedding>,
) -> Result<(), FieldError> {
    for _ in 0..config.polish_steps {
        if steps.len() > config.max_steps {
            break;
        }
        let previous = steps.last().map(|s| s.confidence).unwrap_or(0.0);
        *current = stepper.step(current, sign * scale)?;
        let reading = reader.read(current)?;
        let step = make_step(
            (steps.len(), current_step, scale),
            attribute,
            current.clone(),
            reading,
            start_identity,
        );
        current_step = steps.len();
        let keep_going = step.degree == target && step.confidence > previous;
        steps.push(step);
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// The most confident step per degree, in order of first appearance.
fn stages_of(steps: &[EditStep]) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for s in steps {
        match stages.iter_mut().find(|st| st.degree == s.degree) {
            Some(st) if s.confidence > st.confidence => {
                st.step = s.index;
                st.confidence = s.confidence;
            }
            Some(_) => {}
            None => stages.push(Stage {
                degree: s.degree,
                step: s.index,
                confidence: s.confidence,
            }),
        }
    }
    stages
}

/// The stage at the target, or else the one closest to it (ties: higher target probability).
fn result_of(stages: &[Stage], steps: &[EditStep], attribute: Attribute, target: usize) -> usize {
    let p_target = |st: &Stage| steps[st.step].probabilities[attribute.index()][target];
    stages
        .iter()
        .min_by(|a, b| {
            a.degree
                .abs_diff(target)
                .cmp(&b.degree.abs_diff(target))
                .then(p_target(b).total_cmp(&p_target(a)))
        })
        .map(|st| st.step)
        .unwrap_or(0)
}

/// The other attributes whose degree left its start value up to the result step.
fn drift_of(steps: &[EditStep], attribute: Attribute, result_step: usize) -> Vec<AttributeDrift> {
    let start = &steps[0].degrees;
    Attribute::ALL
        .iter()
        .filter(|a| **a != attribute)
        .filter_map(|a| {
            let first_step = steps[..=result_step]
                .iter()
                .find(|s| s.degrees[a] != start[a])?
                .index;
            Some(AttributeDrift {
                attribute: *a,
                from: start[a],
                to: steps[result_step].degrees[a],
                first_step,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Degree of the edited attribute (smiling) = latent coordinate 0, of bangs = coordinate 1:
    /// p(d) ∝ exp(-(x - d)² / 0.08), so the reading is most confident at integer x.
    struct CoordinateReader;

    fn probs_at(x: f32) -> [f32; NUM_DEGREES] {
        let mut p = [0f32; NUM_DEGREES];
        for (d, v) in p.iter_mut().enumerate() {
            *v = (-(x - d as f32).powi(2) / 0.08).exp();
        }
        let sum: f32 = p.iter().sum();
        p.map(|v| v / sum)
    }

    impl DegreeReader for CoordinateReader {
        fn read(&self, styles: &Tensor) -> Result<Reading, FieldError> {
            let v = styles.flatten_all()?.to_vec1::<f32>()?;
            let mut probabilities = [probs_at(0.0); NUM_HEADS];
            probabilities[Attribute::Smiling.index()] = probs_at(v[0]);
            probabilities[Attribute::Bangs.index()] = probs_at(v[1]);
            Ok(Reading::probabilities(probabilities))
        }
    }

    /// Moves coordinate 0 by `sign * size` (clamped to `[lo, hi]`) and coordinate 1 by
    /// `sign * leak`.
    struct CoordinateStepper {
        size: f32,
        lo: f32,
        hi: f32,
        leak: f32,
    }

    impl CoordinateStepper {
        fn new(size: f32) -> Self {
            Self {
                size,
                lo: -10.0,
                hi: 10.0,
                leak: 0.0,
            }
        }
    }

    impl LatentStepper for CoordinateStepper {
        fn step(&self, styles: &Tensor, sign: f64) -> Result<Tensor, FieldError> {
            let mut v = styles.flatten_all()?.to_vec1::<f32>()?;
            v[0] = (v[0] + sign as f32 * self.size).clamp(self.lo, self.hi);
            v[1] += sign as f32 * self.leak;
            Ok(Tensor::from_vec(v, styles.dims(), styles.device())?)
        }
    }

    fn code(x: f32) -> Tensor {
        let mut v = vec![0f32; 4];
        v[0] = x;
        Tensor::from_vec(v, (1, 4), &Device::Cpu).unwrap()
    }

    fn x_of(step: &EditStep) -> f32 {
        step.styles
            .as_ref()
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()[0]
    }

    #[test]
    fn reaches_targets_up_and_down_keeping_the_most_confident_step() {
        let cfg = EditConfig::default();
        let stepper = CoordinateStepper::new(0.3);
        let up = edit_until(
            &CoordinateReader,
            &stepper,
            &code(1.0),
            Attribute::Smiling,
            4,
            &cfg,
        )
        .unwrap();
        assert_eq!(up.start_degree, 1);
        assert_eq!(up.outcome, EditOutcome::Reached);
        assert!(up.reached);
        assert_eq!(up.result().degree, 4);
        // x goes 1.0, 1.3, ..., first reads 4 at 3.7, polishes to 4.0 (most confident), stops
        // when 4.3 is less confident.
        assert!(
            (x_of(up.result()) - 4.0).abs() < 1e-4,
            "kept x = {}",
            x_of(up.result())
        );
        let degrees: Vec<usize> = up.stages.iter().map(|s| s.degree).collect();
        assert_eq!(degrees, vec![1, 2, 3, 4]);
        for st in &up.stages {
            assert!((x_of(&up.steps[st.step]) - st.degree as f32).abs() < 0.16);
        }
        assert!(up.others_moved.is_empty());

        let down = edit_until(
            &CoordinateReader,
            &stepper,
            &code(4.2),
            Attribute::Smiling,
            1,
            &cfg,
        )
        .unwrap();
        assert_eq!(down.start_degree, 4);
        assert_eq!(down.outcome, EditOutcome::Reached);
        assert_eq!(down.result().degree, 1);
        assert!(x_of(down.result()) < 1.5);
        assert!(down.steps.windows(2).all(|p| x_of(&p[1]) < x_of(&p[0])));
    }

    #[test]
    fn already_there_takes_no_step() {
        let stepper = CoordinateStepper::new(0.3);
        let trace = edit_until(
            &CoordinateReader,
            &stepper,
            &code(2.1),
            Attribute::Smiling,
            2,
            &EditConfig::default(),
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::AlreadyThere);
        assert!(trace.reached);
        assert_eq!(trace.steps.len(), 1);
        assert_eq!(trace.result_step, 0);
    }

    #[test]
    fn stops_when_the_stepper_makes_no_progress() {
        let cfg = EditConfig {
            patience: 3,
            ..Default::default()
        };
        // Stuck entirely.
        let stuck = CoordinateStepper {
            hi: 1.0,
            ..CoordinateStepper::new(0.3)
        };
        let trace = edit_until(
            &CoordinateReader,
            &stuck,
            &code(1.0),
            Attribute::Smiling,
            5,
            &cfg,
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::CantGoFurther);
        assert!(!trace.reached);
        assert_eq!(trace.steps.len(), 1 + 3);
        // Saturates at x = 3.1: reads 3, then nothing more.
        let saturating = CoordinateStepper {
            hi: 3.1,
            ..CoordinateStepper::new(0.3)
        };
        let patient = EditConfig {
            patience: 5,
            ..Default::default()
        };
        let trace = edit_until(
            &CoordinateReader,
            &saturating,
            &code(1.0),
            Attribute::Smiling,
            5,
            &patient,
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::CantGoFurther);
        assert_eq!(trace.result().degree, 3, "closest degree reached is kept");
        // Exactly `patience` steps after the last progress (the first reading of 3).
        let first_three = trace.steps.iter().position(|s| s.degree == 3).unwrap();
        assert_eq!(trace.steps.len() - 1 - first_three, 5);
        // A tiny budget runs out first.
        let budget = EditConfig {
            max_steps: 2,
            ..Default::default()
        };
        let trace = edit_until(
            &CoordinateReader,
            &CoordinateStepper::new(0.3),
            &code(0.0),
            Attribute::Smiling,
            5,
            &budget,
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::StepBudget);
        assert_eq!(trace.steps.len(), 3);
    }

    #[test]
    fn overshoot_and_drift_are_reported() {
        let cfg = EditConfig::default();
        let jumpy = CoordinateStepper::new(2.0);
        let never_halve = EditConfig {
            min_step_scale: 1.0,
            ..EditConfig::default()
        };
        let trace = edit_until(
            &CoordinateReader,
            &jumpy,
            &code(1.0),
            Attribute::Smiling,
            2,
            &never_halve,
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::Overshot);
        assert!(!trace.reached);
        assert_eq!(trace.steps.len(), 2);

        let leaky = CoordinateStepper {
            leak: 0.5,
            ..CoordinateStepper::new(0.5)
        };
        let trace = edit_until(
            &CoordinateReader,
            &leaky,
            &code(0.0),
            Attribute::Smiling,
            3,
            &cfg,
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::Reached);
        assert_eq!(trace.others_moved.len(), 1, "{:?}", trace.others_moved);
        let drift = trace.others_moved[0];
        assert_eq!(drift.attribute, Attribute::Bangs);
        assert_eq!(drift.from, 0);
        assert!(drift.to >= 2, "bangs ended at {}", drift.to);
        // Bangs (coordinate 1) reads 1 once it passes 0.5: at step 2 (x1 = 1.0).
        assert_eq!(drift.first_step, 2);
    }

    #[test]
    fn a_step_past_the_target_is_undone_and_retried_smaller() {
        // x = 1 -> 3 (reads 3, past the target 2): undone; x = 1 -> 2 at half the step.
        let jumpy = CoordinateStepper::new(2.0);
        let trace = edit_until(
            &CoordinateReader,
            &jumpy,
            &code(1.0),
            Attribute::Smiling,
            2,
            &EditConfig::default(),
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::Reached);
        assert_eq!(trace.steps[1].degree, 3);
        assert_eq!(trace.steps[2].from_step, 0, "retried from the start");
        assert_eq!(trace.steps[2].step_scale, 0.5);
        assert!((x_of(&trace.steps[2]) - 2.0).abs() < 1e-5);
        assert_eq!(trace.result().degree, 2);
        // Straight line: the retried direction is the first direction.
        let cosines = trace.direction_cosines().unwrap();
        assert!(
            cosines.iter().all(|c| (c - 1.0).abs() < 1e-5),
            "{cosines:?}"
        );
        // A quarter step is the smallest by default: 1 -> 5 (past 2) -> 3 -> 2.
        let very_jumpy = CoordinateStepper::new(4.0);
        let trace = edit_until(
            &CoordinateReader,
            &very_jumpy,
            &code(1.0),
            Attribute::Smiling,
            2,
            &EditConfig::default(),
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::Reached);
        let scales: Vec<f64> = trace.steps.iter().map(|s| s.step_scale).collect();
        assert_eq!(&scales[..4], &[0.0, 1.0, 0.5, 0.25]);
        // An eighth would be needed from x = 1 with a step of 6.4 (7.4, 4.2, 2.6 all read past 2).
        let trace = edit_until(
            &CoordinateReader,
            &CoordinateStepper::new(6.4),
            &code(1.0),
            Attribute::Smiling,
            2,
            &EditConfig::default(),
        )
        .unwrap();
        assert_eq!(trace.outcome, EditOutcome::Overshot);
        assert!(edit_until(
            &CoordinateReader,
            &jumpy,
            &code(1.0),
            Attribute::Smiling,
            2,
            &EditConfig {
                min_step_scale: 0.0,
                ..EditConfig::default()
            },
        )
        .is_err());
    }

    #[test]
    fn trace_serialises_with_named_degrees_and_rejects_bad_targets() {
        let stepper = CoordinateStepper::new(0.5);
        let trace = edit_until(
            &CoordinateReader,
            &stepper,
            &code(0.0),
            Attribute::Smiling,
            2,
            &EditConfig::default(),
        )
        .unwrap();
        let json = serde_json::to_value(&trace).unwrap();
        assert_eq!(json["attribute"], "smiling");
        assert_eq!(json["outcome"], "reached");
        assert_eq!(json["reached"], true);
        assert_eq!(json["start_degree"], 0);
        assert_eq!(json["target"], 2);
        let step = &json["steps"][trace.result_step];
        assert_eq!(step["degrees"]["smiling"], 2);
        assert_eq!(step["degrees"]["age"], 0);
        assert!(step.get("styles").is_none());
        let back: EditTrace = serde_json::from_value(json).unwrap();
        assert_eq!(back.steps.len(), trace.steps.len());
        // Straight steps: every direction cosine is 1.
        let cosines = trace.direction_cosines().unwrap();
        assert_eq!(cosines.len(), trace.steps.len() - 1);
        assert!(cosines.iter().all(|c| (c - 1.0).abs() < 1e-5));
        assert!(edit_until(
            &CoordinateReader,
            &stepper,
            &code(0.0),
            Attribute::Smiling,
            6,
            &EditConfig::default()
        )
        .is_err());
    }
}
