//! Evaluation of the guarded editing loop ([`super::guided`]) on generated faces: every
//! attribute, both directions, changes of 1 and 2 degrees, with the counts a user would care
//! about (reached, not applicable, stopped by which guard, accepted images without a face,
//! identity, renders per edit, time).
//!
//! The bot's `eval-edits` command loads the models, picks the faces and writes the files; the
//! cases, their records and the summary table are here so that they are tested.

use super::correction::Corrector;
use super::guided::{
    guided_edit_chain, FaceJudge, GuardFailure, GuidedConfig, GuidedOutcome, GuidedTrace,
};
use super::step::LatentStepper;
use super::FieldError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::predictor::reader::degree_of;
use candle_core::Tensor;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// One edit of the evaluation and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub seed: u64,
    pub psi: f64,
    pub method: String,
    pub attribute: Attribute,
    /// Requested change in degrees (+ adds, - removes).
    pub change: i8,
    pub start_score: f32,
    pub start_degree: u8,
    pub target: u8,
    pub outcome: GuidedOutcome,
    pub result_score: f32,
    pub result_degree: u8,
    /// Whether the accepted result holds a face (the detector's verdict on it).
    pub result_has_face: bool,
    /// Identity cosine of the result with the start (the judge's identity model).
    pub identity_cos: Option<f32>,
    /// Largest score change of another attribute (degree units).
    pub others_max_change: f32,
    /// Codes judged (renders).
    pub judged: usize,
    pub seconds: f64,
    /// Mahalanobis distance of the start's and the result's codes in W (their farthest edited
    /// row, [`super::w_prior::WPrior::max_distance`]), when the run fits the prior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_prior_distance: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_prior_distance: Option<f32>,
}

impl CaseRecord {
    pub fn reached(&self) -> bool {
        self.outcome.reached()
    }

    pub fn applicable(&self) -> bool {
        self.outcome != GuidedOutcome::NotApplicable
    }
}

/// The targets a start score allows for the requested changes: `(change, target)` where the
/// target stays within 0..=5.
pub fn targets(start_score: f32, changes: &[i8]) -> Vec<(i8, u8)> {
    let start = degree_of(start_score) as i16;
    changes
        .iter()
        .filter_map(|&c| {
            let t = start + c as i16;
            (c != 0 && (0..NUM_DEGREES as i16).contains(&t)).then_some((c, t as u8))
        })
        .collect()
}

/// A face to edit.
pub struct EvalFace {
    pub seed: u64,
    pub psi: f64,
    /// W+ `[1, 23, 512]` (or w `[1, 512]`).
    pub styles: Tensor,
}

/// An edit's record and the loop's trace (every judged code, with its image when the judge
/// keeps images).
pub struct CaseOutput {
    pub record: CaseRecord,
    pub trace: GuidedTrace,
}

impl CaseOutput {
    /// The start's image, when the judge kept it.
    pub fn start_image(&self) -> Option<&RgbImage> {
        self.trace.steps[0].image.as_ref()
    }

    /// The result's image, when the judge kept it.
    pub fn result_image(&self) -> Option<&RgbImage> {
        self.trace.result().image.as_ref()
    }
}

/// A named way to edit one attribute: steppers tried in order ([`guided_edit_chain`]).
pub struct Method<'a> {
    pub name: String,
    pub attribute: Attribute,
    pub steppers: Vec<&'a dyn LatentStepper>,
    /// The sunglasses direction, appended to `steppers` for an edit where sunglasses are in
    /// play ([`super::sunglasses::in_play`]), as the product does.
    pub sunglasses: Option<&'a dyn LatentStepper>,
    /// Style-channel directions for edits that add (`[0]`) and remove (`[1]`), tried before
    /// `steppers` for an edit going their way, as the product does ([`super::style_channels`]).
    pub channels: [Option<&'a dyn LatentStepper>; 2],
    /// Pulls back other attributes a step moved ([`super::correction`]), when set.
    pub corrector: Option<&'a Corrector>,
}

/// Runs every `(attribute, change)` the face's start allows with each method.
pub fn evaluate_face(
    judge: &dyn FaceJudge,
    methods: &[Method<'_>],
    face: &EvalFace,
    changes: &[i8],
    config: &GuidedConfig,
) -> Result<Vec<CaseOutput>, FieldError> {
    let start = judge.judge(&face.styles)?;
    let mut out = Vec::new();
    for m in methods {
        let attribute = m.attribute;
        for (change, target) in targets(start.score(attribute), changes) {
            let clock = Instant::now();
            let channels = m.channels[usize::from(change < 0)];
            let mut steppers: Vec<&dyn LatentStepper> = channels
                .into_iter()
                .chain(m.steppers.iter().copied())
                .collect();
            if steppers.is_empty() {
                continue; // a chain of only `channels`, for a way with no direction
            }
            if let Some(s) = m.sunglasses {
                if super::sunglasses::in_play(start.degree(attribute), target) {
                    steppers.push(s);
                }
            }
            let (_, trace) = guided_edit_chain(
                judge,
                &steppers,
                &face.styles,
                attribute,
                target,
                config,
                m.corrector,
            )?;
            let seconds = clock.elapsed().as_secs_f64();
            let result = trace.result();
            let a = attribute.index();
            let others_max_change = Attribute::ALL
                .iter()
                .filter(|o| **o != attribute)
                .map(|o| (result.scores[o.index()] - trace.steps[0].scores[o.index()]).abs())
                .fold(0f32, f32::max);
            out.push(CaseOutput {
                record: CaseRecord {
                    seed: face.seed,
                    psi: face.psi,
                    method: m.name.clone(),
                    attribute,
                    change,
                    start_score: trace.start_score,
                    start_degree: trace.start_degree,
                    target,
                    outcome: trace.outcome,
                    result_score: result.scores[a],
                    result_degree: degree_of(result.scores[a]),
                    result_has_face: result.face_found,
                    identity_cos: result.identity_cos,
                    others_max_change,
                    judged: trace.judged(),
                    seconds,
                    start_prior_distance: None,
                    result_prior_distance: None,
                },
                trace,
            });
        }
    }
    Ok(out)
}

/// One row of the summary: a (psi, method, attribute, change) group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub psi: f64,
    pub method: String,
    pub attribute: Attribute,
    pub change: i8,
    pub edits: usize,
    pub not_applicable: usize,
    /// Reached among the applicable edits.
    pub reached: usize,
    pub guarded_no_face: usize,
    pub guarded_identity: usize,
    pub guarded_other: usize,
    pub no_progress: usize,
    pub overshot_or_budget: usize,
    /// Accepted results without a detectable face (must be 0).
    pub faceless_results: usize,
    pub median_identity_cos: Option<f32>,
    pub median_others_change: f32,
    pub mean_judged: f32,
    pub median_seconds: f64,
}

impl SummaryRow {
    pub fn applicable(&self) -> usize {
        self.edits - self.not_applicable
    }

    /// Reached share of the applicable edits (0 when none).
    pub fn reach_rate(&self) -> f32 {
        if self.applicable() == 0 {
            0.0
        } else {
            self.reached as f32 / self.applicable() as f32
        }
    }
}

fn median_f32(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// Groups records by (psi, method, attribute, change).
pub fn summarise(records: &[CaseRecord]) -> Vec<SummaryRow> {
    let mut groups: BTreeMap<(String, String, Attribute, i8), Vec<&CaseRecord>> = BTreeMap::new();
    for r in records {
        groups
            .entry((
                format!("{:.2}", r.psi),
                r.method.clone(),
                r.attribute,
                r.change,
            ))
            .or_default()
            .push(r);
    }
    groups
        .into_values()
        .map(|rs| {
            let first = rs[0];
            let applicable: Vec<&&CaseRecord> = rs.iter().filter(|r| r.applicable()).collect();
            let count =
                |f: &dyn Fn(&CaseRecord) -> bool| applicable.iter().filter(|r| f(r)).count();
            let mut secs: Vec<f64> = applicable.iter().map(|r| r.seconds).collect();
            secs.sort_by(|a, b| a.total_cmp(b));
            SummaryRow {
                psi: first.psi,
                method: first.method.clone(),
                attribute: first.attribute,
                change: first.change,
                edits: rs.len(),
                not_applicable: rs.len() - applicable.len(),
                reached: count(&|r| r.reached()),
                guarded_no_face: count(&|r| {
                    r.outcome == GuidedOutcome::Guarded(GuardFailure::NoFace)
                }),
                guarded_identity: count(&|r| {
                    r.outcome == GuidedOutcome::Guarded(GuardFailure::Identity)
                }),
                guarded_other: count(&|r| {
                    matches!(
                        r.outcome,
                        GuidedOutcome::Guarded(GuardFailure::OtherAttribute(_))
                    )
                }),
                no_progress: count(&|r| r.outcome == GuidedOutcome::NoProgress),
                overshot_or_budget: count(&|r| {
                    matches!(
                        r.outcome,
                        GuidedOutcome::Overshot | GuidedOutcome::StepBudget
                    )
                }),
                faceless_results: rs.iter().filter(|r| !r.result_has_face).count(),
                median_identity_cos: median_f32(
                    applicable.iter().filter_map(|r| r.identity_cos).collect(),
                ),
                median_others_change: median_f32(
                    applicable.iter().map(|r| r.others_max_change).collect(),
                )
                .unwrap_or(0.0),
                mean_judged: if applicable.is_empty() {
                    0.0
                } else {
                    applicable.iter().map(|r| r.judged as f32).sum::<f32>()
                        / applicable.len() as f32
                },
                median_seconds: secs.get(secs.len() / 2).copied().unwrap_or(0.0),
            }
        })
        .collect()
}

/// The summary as a markdown table.
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut s = String::from(
        "| psi | method | attribute | change | edits | not applicable | reached (of applicable) | \
         stopped: no face / identity / other attribute | no progress | overshot or budget | \
         results without a face | identity cos (median) | others' change (median) | renders per edit | s per edit (median) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {:.1} | {} | {} | {:+} | {} | {} | {} / {} ({:.0}%) | {} / {} / {} | {} | {} | {} | {} | {:.2} | {:.1} | {:.2} |\n",
            r.psi,
            r.method,
            r.attribute,
            r.change,
            r.edits,
            r.not_applicable,
            r.reached,
            r.applicable(),
            100.0 * r.reach_rate(),
            r.guarded_no_face,
            r.guarded_identity,
            r.guarded_other,
            r.no_progress,
            r.overshot_or_budget,
            r.faceless_results,
            r.median_identity_cos
                .map(|c| format!("{c:.3}"))
                .unwrap_or_else(|| "-".into()),
            r.median_others_change,
            r.mean_judged,
            r.median_seconds,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_stay_within_the_degrees() {
        assert_eq!(targets(0.2, &[1, -1, 2, -2]), vec![(1, 1), (2, 2)]);
        assert_eq!(targets(4.6, &[1, -1, 2, -2]), vec![(-1, 4), (-2, 3)]);
        assert_eq!(
            targets(2.4, &[1, -1, 2, -2]),
            vec![(1, 3), (-1, 1), (2, 4), (-2, 0)]
        );
    }

    fn record(attribute: Attribute, outcome: GuidedOutcome, face: bool, secs: f64) -> CaseRecord {
        CaseRecord {
            seed: 1,
            psi: 0.7,
            method: "field".into(),
            attribute,
            change: 1,
            start_score: 0.0,
            start_degree: 0,
            target: 1,
            outcome,
            result_score: 1.0,
            result_degree: 1,
            result_has_face: face,
            identity_cos: Some(0.8),
            others_max_change: 0.1,
            judged: 3,
            seconds: secs,
            start_prior_distance: None,
            result_prior_distance: None,
        }
    }

    #[test]
    fn the_summary_counts_outcomes_among_applicable_edits() {
        let records = vec![
            record(Attribute::Smiling, GuidedOutcome::Reached, true, 1.0),
            record(Attribute::Smiling, GuidedOutcome::NotApplicable, true, 0.1),
            record(
                Attribute::Smiling,
                GuidedOutcome::Guarded(GuardFailure::NoFace),
                true,
                2.0,
            ),
            record(Attribute::Smiling, GuidedOutcome::Reached, false, 3.0),
            record(Attribute::Age, GuidedOutcome::NoProgress, true, 1.0),
        ];
        let rows = summarise(&records);
        assert_eq!(rows.len(), 2);
        let smile = rows
            .iter()
            .find(|r| r.attribute == Attribute::Smiling)
            .unwrap();
        assert_eq!(smile.edits, 4);
        assert_eq!(smile.not_applicable, 1);
        assert_eq!(smile.reached, 2);
        assert!((smile.reach_rate() - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(smile.guarded_no_face, 1);
        assert_eq!(smile.faceless_results, 1);
        assert_eq!(smile.median_seconds, 2.0);
        let table = summary_table(&rows);
        assert!(
            table.contains("| 0.7 | field | smiling | +1 | 4 | 1 | 2 / 3 (67%)"),
            "{table}"
        );
        assert!(
            table.contains("| 0.7 | field | age | +1 | 1 | 0 | 0 / 1 (0%)"),
            "{table}"
        );
    }
}
