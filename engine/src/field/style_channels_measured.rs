//! Style-channel directions weighed by what their channels do to the image (issue 12's "fields
//! trained on what the image shows, with identity and other-attribute terms", for the
//! style-channel directions of [`super::style_channels`]).
//!
//! The labelled fit picks channels whose scales *follow* an attribute across faces; it cannot
//! see that one of them also moves the face's identity or another attribute's reading. Here each
//! of the `candidates` best-ranked channels is *probed*: on `faces` training faces that have room
//! to move the asked way, the channel alone is stepped by `probe_spreads` of its spread (way's
//! sign times its t's sign) and the product's judge reads the render. Per channel that gives,
//! averaged over the faces, the attribute's progress `g_j`, the other four scores' changes
//! `o_j` and the identity embedding's change `e_j`. The direction is the channel mix `d` that
//! makes one degree of progress (`g . d = 1`) at the least predicted cost
//!
//! `d^T (identity_weight E^T E + others_weight O^T O + ridge) d`
//!
//! (closed form: `d ∝ M^-1 g`); the identity term is in units of the squared embedding change
//! (`|Δe|² = 2 (1 - cos)` for unit embeddings: the loop's identity guard at cos 0.5 is
//! `|Δe|² = 1`), the others' in squared degree units. The linear model is local; the loop still
//! searches the step length on the render. One direction per way: what adds glasses is not what
//! removes them.

use super::guided::FaceJudge;
use super::image_direction::Way;
use super::linear::cholesky_solve;
use super::style_channels::{
    rank_channels, stepped, w_plus_offset, ChannelEffect, StyleChannelConfig, StyleChannelDirection,
};
use super::FieldError;
use crate::attributes::Attribute;
use crate::generator::Generator;
use crate::perception::Embedding;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// How a measured style-channel direction is fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredChannelConfig {
    /// Best-ranked channels probed (and mixed).
    pub candidates: usize,
    /// Training faces probed.
    pub faces: usize,
    /// Probe step, in spreads of the channel.
    pub probe_spreads: f64,
    /// Weight of the squared identity-embedding change.
    pub identity_weight: f64,
    /// Weight of the other attributes' squared score changes (degree units).
    pub others_weight: f64,
    /// Ridge on the mix, relative to the cost matrix's mean diagonal.
    pub ridge: f64,
}

impl Default for MeasuredChannelConfig {
    fn default() -> Self {
        Self {
            candidates: 40,
            faces: 12,
            probe_spreads: 3.0,
            identity_weight: 1.0,
            // The other-attribute guard allows 0.8 of a degree, the identity guard |Δe|² = 1.
            others_weight: 1.0 / (0.8 * 0.8),
            ridge: 0.05,
        }
    }
}

/// What one probed face tells about every candidate channel.
#[derive(Debug, Clone, Default)]
pub struct ProbedEffects {
    /// The attribute's score change the asked way, per channel.
    pub progress: Vec<f64>,
    /// The other four attributes' score changes, per channel.
    pub others: Vec<[f64; 4]>,
    /// The identity embedding's change, per channel.
    pub identity: Vec<Vec<f64>>,
}

/// The predicted cost of one degree of progress along a channel mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictedCost {
    /// Squared identity-embedding change (1 is the loop's identity guard).
    pub identity: f64,
    /// Root of the summed squared other-attribute score changes (degrees).
    pub others: f64,
}

/// A measured direction and how it compares with the labelled fit's on the same probes.
#[derive(Debug, Clone)]
pub struct MeasuredDirection {
    pub direction: StyleChannelDirection,
    pub way: Way,
    /// Faces whose probes were used (the start had a face and an identity).
    pub faces_probed: usize,
    /// Predicted cost of one degree along the measured mix.
    pub cost: PredictedCost,
    /// The same for the labelled fit's channels and steps ([`super::style_channels`]), scaled to
    /// one predicted degree; `None` when its mix makes no predicted progress.
    pub labelled_cost: Option<PredictedCost>,
}

/// The cost matrices and the mean progress over probed faces.
struct Costs {
    identity: Vec<Vec<f64>>,
    others: Vec<Vec<f64>>,
    progress: Vec<f64>,
}

fn costs(probes: &[ProbedEffects], k: usize) -> Costs {
    let mut c = Costs {
        identity: vec![vec![0.0; k]; k],
        others: vec![vec![0.0; k]; k],
        progress: vec![0.0; k],
    };
    let f = probes.len().max(1) as f64;
    for p in probes {
        for i in 0..k {
            c.progress[i] += p.progress[i] / f;
            for j in 0..k {
                let e: f64 = p.identity[i]
                    .iter()
                    .zip(&p.identity[j])
                    .map(|(a, b)| a * b)
                    .sum();
                let o: f64 = (0..4).map(|b| p.others[i][b] * p.others[j][b]).sum();
                c.identity[i][j] += e / f;
                c.others[i][j] += o / f;
            }
        }
    }
    c
}

fn quadratic(m: &[Vec<f64>], d: &[f64]) -> f64 {
    m.iter()
        .zip(d)
        .map(|(row, di)| di * row.iter().zip(d).map(|(a, b)| a * b).sum::<f64>())
        .sum()
}

/// The mix `d` (per candidate, in probe steps) of one predicted degree at the least weighted
/// cost, and that cost; `None` when no mix makes progress.
pub fn least_cost_mix(
    probes: &[ProbedEffects],
    config: &MeasuredChannelConfig,
) -> Option<(Vec<f64>, PredictedCost)> {
    let k = probes.first()?.progress.len();
    let c = costs(probes, k);
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    config.identity_weight * c.identity[i][j]
                        + config.others_weight * c.others[i][j]
                })
                .collect()
        })
        .collect();
    let mean_diag = (0..k).map(|i| m[i][i]).sum::<f64>() / k as f64;
    for (i, row) in m.iter_mut().enumerate() {
        row[i] += config.ridge * mean_diag + 1e-12;
    }
    let d = one_degree(&c, cholesky_solve(m, &c.progress)?)?;
    let cost = cost_of(&c, &d);
    Some((d, cost))
}

/// `d` scaled to one degree of predicted progress; `None` when it makes none (or NaN).
fn one_degree(c: &Costs, d: Vec<f64>) -> Option<Vec<f64>> {
    let gain: f64 = d.iter().zip(&c.progress).map(|(a, b)| a * b).sum();
    (gain > 0.0).then(|| d.iter().map(|v| v / gain).collect())
}

fn cost_of(c: &Costs, d: &[f64]) -> PredictedCost {
    PredictedCost {
        identity: quadratic(&c.identity, d),
        others: quadratic(&c.others, d).max(0.0).sqrt(),
    }
}

/// `d` scaled to one predicted degree, and its cost; `None` without predicted progress.
fn cost_per_degree(probes: &[ProbedEffects], d: &[f64]) -> Option<PredictedCost> {
    let c = costs(probes, d.len());
    let d = one_degree(&c, d.to_vec())?;
    Some(cost_of(&c, &d))
}

fn embedding_change(after: &Option<Embedding>, before: &Embedding) -> Option<Vec<f64>> {
    after.as_ref().map(|e| {
        e.0.iter()
            .zip(&before.0)
            .map(|(a, b)| (*a - *b) as f64)
            .collect()
    })
}

/// Training faces with room to move `way`: the attribute's degree known and below 5 (up) or
/// above 0 (down), `count` of them evenly spread over the dataset's order.
fn faces_with_room(
    degrees: &[[u8; 5]],
    attribute: Attribute,
    way: Way,
    count: usize,
) -> Vec<usize> {
    let a = attribute.index();
    let eligible: Vec<usize> = (0..degrees.len())
        .filter(|&i| match (degrees[i][a], way) {
            (255, _) => false,
            (d, Way::Up) => d < 5,
            (d, Way::Down) => d > 0,
        })
        .collect();
    let count = count.min(eligible.len());
    (0..count)
        .map(|i| eligible[i * eligible.len() / count])
        .collect()
}

/// Fits `attribute`'s measured direction for `way` on latents `w` `[n, 512]` and their degrees
/// (as [`super::style_channels::fit_style_channel_direction`]), probing with `judge`; also
/// reports the labelled fit `labelled`'s predicted cost on the same probes when given.
#[allow(clippy::too_many_arguments)]
pub fn fit_measured_direction(
    generator: &Generator,
    judge: &dyn FaceJudge,
    w: &Tensor,
    degrees: &[[u8; 5]],
    attribute: Attribute,
    way: Way,
    base: &StyleChannelConfig,
    config: &MeasuredChannelConfig,
    labelled: Option<&StyleChannelDirection>,
) -> Result<MeasuredDirection, FieldError> {
    let ranking = rank_channels(generator, w, degrees, attribute, base)?;
    let per_style: Vec<usize> = ranking.scales.iter().map(|(c, _)| *c).collect();
    let candidates: Vec<_> = ranking.stats.iter().take(config.candidates).collect();
    let way_sign = match way {
        Way::Up => 1.0,
        Way::Down => -1.0,
    };
    // One probe step per candidate, in its own sign: the asked way, as the labelled data says.
    let probe_change = |s: &super::style_channels::ChannelStat| {
        way_sign * s.t.signum() * config.probe_spreads * s.spread
    };
    let probes: Vec<Tensor> = candidates
        .iter()
        .map(|s| {
            let (offset, _) = w_plus_offset(
                generator,
                &per_style,
                &[(s.style, s.channel, probe_change(s))],
                base.inverse_ridge,
            )?;
            Ok(offset.to_device(w.device())?)
        })
        .collect::<Result<_, FieldError>>()?;
    let a = attribute.index();
    let others: Vec<usize> = (0..5).filter(|&b| b != a).collect();
    let mut probed = Vec::new();
    for i in faces_with_room(degrees, attribute, way, config.faces) {
        let start = generator.w_plus(&w.narrow(0, i, 1)?)?;
        let before = judge.judge(&start)?;
        let Some(identity) = before.identity.as_ref().filter(|_| before.face_found) else {
            continue;
        };
        let mut effects = ProbedEffects::default();
        for probe in &probes {
            let after = judge.judge(&stepped(&start, probe, 1.0)?)?;
            let change = |b: usize| (after.scores[b] - before.scores[b]) as f64;
            effects.progress.push(way_sign * change(a));
            effects
                .others
                .push(std::array::from_fn(|j| change(others[j])));
            // A probe that loses the face or its identity counts as the whole identity away.
            effects.identity.push(
                embedding_change(&after.identity, identity)
                    .filter(|_| after.face_found)
                    .unwrap_or_else(|| identity.0.iter().map(|v| -2.0 * *v as f64).collect()),
            );
        }
        tracing::debug!(
            face = i,
            attribute = attribute.name(),
            "probed {} channels",
            probes.len()
        );
        probed.push(effects);
    }
    let (mix, cost) = least_cost_mix(&probed, config).ok_or_else(|| {
        FieldError::BadConfig(format!(
            "no mix of {} channels moves {} {}",
            candidates.len(),
            attribute.name(),
            way.name()
        ))
    })?;
    let labelled_cost = labelled.and_then(|l| {
        let d: Vec<f64> = candidates
            .iter()
            .map(|s| {
                l.channels
                    .iter()
                    .find(|e| e.style == s.style && e.channel == s.channel)
                    .map(|e| e.step_in_spreads * s.spread * way_sign / probe_change(s))
                    .unwrap_or(0.0)
            })
            .collect();
        cost_per_degree(&probed, &d)
    });
    let channels: Vec<ChannelEffect> = candidates
        .iter()
        .zip(&mix)
        .map(|(s, d)| ChannelEffect {
            style: s.style,
            channel: s.channel,
            t: s.t,
            spread: s.spread,
            step_in_spreads: d * probe_change(s) / s.spread,
        })
        .collect();
    let changes: Vec<(usize, usize, f64)> = channels
        .iter()
        .map(|e| (e.style, e.channel, e.step_in_spreads * e.spread))
        .collect();
    let (direction, solve_error) =
        w_plus_offset(generator, &per_style, &changes, base.inverse_ridge)?;
    Ok(MeasuredDirection {
        direction: StyleChannelDirection {
            attribute,
            channels,
            direction: direction.to_device(w.device())?,
            fit_r2: f64::NAN,
            faces: ranking.rows.len(),
            solve_error,
        },
        way,
        faces_probed: probed.len(),
        cost,
        labelled_cost,
    })
}

/// Writes a measured direction in `dir` in the image-direction format, for its way only, with
/// both configs, the channels and the probed faces as metadata.
pub fn save_measured(
    dir: &std::path::Path,
    measured: &MeasuredDirection,
    base: &StyleChannelConfig,
    config: &MeasuredChannelConfig,
) -> Result<(), FieldError> {
    let json = |e: serde_json::Error| FieldError::BadInput(e.to_string());
    let mut meta = std::collections::HashMap::new();
    meta.insert("method".to_string(), "style-channels-measured".to_string());
    meta.insert(
        "config".to_string(),
        serde_json::to_string(base).map_err(json)?,
    );
    meta.insert(
        "measured".to_string(),
        serde_json::to_string(config).map_err(json)?,
    );
    meta.insert(
        "channels".to_string(),
        serde_json::to_string(&measured.direction.channels).map_err(json)?,
    );
    meta.insert(
        "faces_probed".to_string(),
        measured.faces_probed.to_string(),
    );
    super::image_direction::ImageDirections::save(
        dir,
        measured.direction.attribute,
        measured.way,
        &measured.direction.direction,
        &meta,
    )
}

/// Fits the measured direction of every attribute of `labelled` (the labelled fits, compared on
/// the same probes), both ways unless the attribute is in `up_only`, on the labelled dataset's
/// training faces; `on_fitted` hears each as it is done.
#[allow(clippy::too_many_arguments)]
pub fn fit_measured_all(
    generator: &Generator,
    judge: &dyn FaceJudge,
    labels: &std::collections::HashMap<u64, [u8; 5]>,
    labelled: &[StyleChannelDirection],
    up_only: &[Attribute],
    base: &StyleChannelConfig,
    config: &MeasuredChannelConfig,
    on_fitted: &mut dyn FnMut(&MeasuredDirection) -> Result<(), FieldError>,
) -> Result<Vec<MeasuredDirection>, FieldError> {
    let (faces, degrees) = super::style_channels::training_faces(labels);
    let w = super::methods::seed_latents(generator, &faces)?;
    let mut fitted = Vec::new();
    for l in labelled {
        let ways: &[Way] = if up_only.contains(&l.attribute) {
            &[Way::Up]
        } else {
            &Way::BOTH
        };
        for &way in ways {
            let m = fit_measured_direction(
                generator,
                judge,
                &w,
                &degrees,
                l.attribute,
                way,
                base,
                config,
                Some(l),
            )?;
            on_fitted(&m)?;
            fitted.push(m);
        }
    }
    Ok(fitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(progress: Vec<f64>, identity: Vec<Vec<f64>>) -> ProbedEffects {
        let k = progress.len();
        ProbedEffects {
            progress,
            others: vec![[0.0; 4]; k],
            identity,
        }
    }

    #[test]
    fn the_mix_prefers_the_channel_that_keeps_identity() {
        // Two channels make the same progress; the first moves the identity a lot.
        let probes = vec![probe(vec![1.0, 1.0], vec![vec![1.0, 0.0], vec![0.0, 0.1]])];
        let config = MeasuredChannelConfig {
            ridge: 0.0,
            ..MeasuredChannelConfig::default()
        };
        let (mix, cost) = least_cost_mix(&probes, &config).unwrap();
        assert!((mix[0] + mix[1] - 1.0).abs() < 1e-9, "one degree: {mix:?}");
        assert!(mix[1] > 50.0 * mix[0], "{mix:?}");
        // Cheaper than either channel alone (1.0 and 0.01 per degree).
        assert!(cost.identity < 0.01, "{cost:?}");
        let alone = cost_per_degree(&probes, &[1.0, 0.0]).unwrap();
        assert!((alone.identity - 1.0).abs() < 1e-9);
    }

    #[test]
    fn no_progress_is_no_mix() {
        let probes = vec![probe(vec![0.0, 0.0], vec![vec![1.0], vec![1.0]])];
        assert!(least_cost_mix(&probes, &MeasuredChannelConfig::default()).is_none());
    }

    #[test]
    fn faces_with_room_leave_out_the_ends() {
        let degrees = vec![
            [0, 0, 0, 0, 0],
            [5, 0, 0, 0, 0],
            [255, 0, 0, 0, 0],
            [2, 0, 0, 0, 0],
        ];
        assert_eq!(
            faces_with_room(&degrees, Attribute::Bangs, Way::Up, 9),
            vec![0, 3]
        );
        assert_eq!(
            faces_with_room(&degrees, Attribute::Bangs, Way::Down, 9),
            vec![1, 3]
        );
    }
}
