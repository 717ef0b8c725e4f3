//! Identity up to the edited attribute: the identity guard's embedding without the few axes along
//! which the edit itself moves it.
//!
//! The guarded loop ([`super::guided`]) refuses a code whose identity embedding has a cosine
//! below [`super::guided::Guards::min_identity_cos`] with the start's. The identity network
//! was trained to tell people apart at one age, so making a face 10-20 years older or younger
//! moves its embedding far even where the person is plainly the same: on the held-out edits the
//! identity guard stops most age edits of two degrees (README, issue 12), and age ±1 on photos.
//! Aging moves embeddings of different faces in much the same directions, so those directions
//! can be measured and left out of the comparison for that attribute's edits:
//! 1. [`collect_changes`] walks training faces along the product's steppers for the attribute,
//!    both ways, and records the embedding change of every judged code whose reading moved;
//! 2. [`principal_axes`] takes the top `k` axes of those changes' second moment (uncentred:
//!    the common direction of aging is what is to be excused, and adding and removing both
//!    count);
//! 3. [`IdentityAxes::cosine`] projects both embeddings off the attribute's axes, renormalises,
//!    and compares: what stays is identity up to the edited attribute.
//!
//! A face-specific drift (another person) stays in the comparison; so does every attribute
//! without axes. [`AxesReport`] measures what the axes do on faces they were not fitted on:
//! how many edits of one and two degrees pass the guard's threshold with and without them, and
//! how often two *different* training faces would pass (false accepts).

use super::guided::{FaceJudge, Judgement};
use super::step::LatentStepper;
use super::FieldError;
use crate::attributes::Attribute;
use crate::perception::Embedding;
use candle_core::Tensor;
use std::collections::HashMap;
use std::path::Path;

/// Per attribute, orthonormal axes of the identity embedding an edit of it may move along.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityAxes {
    axes: [Vec<Vec<f32>>; 5],
}

impl IdentityAxes {
    /// `attribute`'s axes (empty: compared as they are).
    pub fn axes(&self, attribute: Attribute) -> &[Vec<f32>] {
        &self.axes[attribute.index()]
    }

    /// Sets `attribute`'s axes, orthonormalised (Gram-Schmidt); axes with nothing left after
    /// the earlier ones are dropped. All must have the embedding's width.
    pub fn set(&mut self, attribute: Attribute, axes: Vec<Vec<f32>>) -> Result<(), FieldError> {
        let dims: Vec<usize> = axes.iter().map(Vec::len).collect();
        if dims.windows(2).any(|w| w[0] != w[1]) {
            return Err(FieldError::BadInput(format!(
                "identity axes of different widths {dims:?}"
            )));
        }
        self.axes[attribute.index()] = orthonormalise(axes);
        Ok(())
    }

    /// The cosine of `a` and `b` without their components along `attribute`'s axes (the
    /// plain cosine where it has none; 0 where nothing is left of either).
    pub fn cosine(&self, attribute: Attribute, a: &Embedding, b: &Embedding) -> f32 {
        let axes = self.axes(attribute);
        if axes.is_empty() {
            return crate::perception::cosine(a, b);
        }
        let pa = project_off(&a.0, axes);
        let pb = project_off(&b.0, axes);
        let (na, nb) = (dot(&pa, &pa).sqrt(), dot(&pb, &pb).sqrt());
        if na <= f32::EPSILON || nb <= f32::EPSILON {
            return 0.0;
        }
        dot(&pa, &pb) / (na * nb)
    }

    /// Reads the axes written by [`Self::save`] (one `[k, d]` tensor per attribute, named by
    /// the attribute; attributes absent have none).
    pub fn load(path: &Path) -> Result<Self, FieldError> {
        let tensors = candle_core::safetensors::load(path, &candle_core::Device::Cpu)?;
        let mut axes = Self::default();
        for attribute in Attribute::ALL {
            if let Some(t) = tensors.get(attribute.name()) {
                let rows = t.to_dtype(candle_core::DType::F32)?.to_vec2::<f32>()?;
                axes.set(attribute, rows)?;
            }
        }
        Ok(axes)
    }

    /// The metadata (provenance) of a file written by [`Self::save`].
    pub fn metadata(path: &Path) -> Result<HashMap<String, String>, FieldError> {
        let bytes = std::fs::read(path)
            .map_err(|e| FieldError::BadInput(format!("reading {}: {e}", path.display())))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| FieldError::BadInput(format!("reading {}: {e}", path.display())))?;
        Ok(meta.metadata().clone().unwrap_or_default())
    }

    /// Writes the axes with `metadata` (provenance) as safetensors.
    pub fn save(&self, path: &Path, metadata: HashMap<String, String>) -> Result<(), FieldError> {
        let bytes: Vec<(Attribute, usize, usize, Vec<u8>)> = Attribute::ALL
            .into_iter()
            .filter(|a| !self.axes(*a).is_empty())
            .map(|a| {
                let rows = self.axes(a);
                let data = rows
                    .iter()
                    .flatten()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                (a, rows.len(), rows[0].len(), data)
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(a, k, d, data)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![*k, *d], data)
                    .map(|v| (a.name().to_string(), v))
                    .map_err(|e| FieldError::BadInput(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize_to_file(views, Some(metadata), path)
            .map_err(|e| FieldError::BadInput(format!("writing {}: {e}", path.display())))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn project_off(v: &[f32], axes: &[Vec<f32>]) -> Vec<f32> {
    let mut out = v.to_vec();
    for axis in axes {
        let c = dot(&out, axis);
        out.iter_mut().zip(axis).for_each(|(o, x)| *o -= c * x);
    }
    out
}

fn orthonormalise(vectors: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
    let mut basis: Vec<Vec<f32>> = Vec::new();
    for v in vectors {
        // Twice, for the precision of nearly dependent vectors.
        let v = project_off(&project_off(&v, &basis), &basis);
        let norm = dot(&v, &v).sqrt();
        let scale: f32 = v.iter().map(|x| x.abs()).fold(0.0, f32::max);
        if norm > 1e-4 && scale > 0.0 {
            basis.push(v.into_iter().map(|x| x / norm).collect());
        }
    }
    basis
}

/// The top `k` principal axes (uncentred) of `changes`: orthonormal, by subspace iteration on
/// their second-moment matrix, largest first.
pub fn principal_axes(changes: &[Vec<f32>], k: usize) -> Vec<Vec<f32>> {
    let Some(d) = changes.first().map(Vec::len) else {
        return Vec::new();
    };
    let k = k.min(d).min(changes.len());
    // Start from the changes themselves (deterministic, inside the span that matters).
    let mut basis = orthonormalise(
        (0..changes.len())
            .step_by((changes.len() / k.max(1)).max(1))
            .map(|i| changes[i].clone())
            .take(k)
            .collect(),
    );
    let apply = |v: &[f32]| -> Vec<f32> {
        // (sum_i c_i c_i^T) v
        let mut out = vec![0f32; d];
        for c in changes {
            let s = dot(c, v);
            out.iter_mut().zip(c).for_each(|(o, x)| *o += s * x);
        }
        out
    };
    for _ in 0..200 {
        let next = orthonormalise(basis.iter().map(|v| apply(v)).collect());
        let settled = next.len() == basis.len()
            && next
                .iter()
                .zip(&basis)
                .all(|(a, b)| dot(a, b).abs() > 1.0 - 1e-7);
        basis = next;
        if settled {
            break;
        }
    }
    // Largest first: by the energy each axis holds.
    let mut scored: Vec<(f32, Vec<f32>)> = basis
        .into_iter()
        .map(|v| (changes.iter().map(|c| dot(c, &v).powi(2)).sum::<f32>(), v))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().map(|(_, v)| v).collect()
}

/// One judged code along an edit path of a training face.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityChange {
    /// Index of the face among the starts.
    pub face: usize,
    /// The edited attribute's reading at the code minus the start's.
    pub score_change: f32,
    /// The start's embedding and the code's.
    pub start: Embedding,
    pub end: Embedding,
}

impl IdentityChange {
    /// The embedding change, end minus start.
    pub fn delta(&self) -> Vec<f32> {
        self.end
            .0
            .iter()
            .zip(&self.start.0)
            .map(|(a, b)| a - b)
            .collect()
    }
}

/// How far to walk each training face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CollectConfig {
    /// Steps per stepper and way.
    pub steps: usize,
    /// A walk stops once the reading moved this many degrees.
    pub max_change: f32,
}

impl Default for CollectConfig {
    fn default() -> Self {
        Self {
            steps: 6,
            max_change: 2.6,
        }
    }
}

/// Walks every start `[1, n, 512]` along each stepper, both ways, judging each step with
/// `judge`, and records every code with a face (the walk ends where the face is lost or the
/// reading moved [`CollectConfig::max_change`]).
pub fn collect_changes(
    judge: &dyn FaceJudge,
    steppers: &[&dyn LatentStepper],
    starts: &[Tensor],
    attribute: Attribute,
    config: &CollectConfig,
    on_face: &mut dyn FnMut(usize),
) -> Result<Vec<IdentityChange>, FieldError> {
    let a = attribute.index();
    let mut changes = Vec::new();
    for (face, start) in starts.iter().enumerate() {
        let first: Judgement = judge.judge(start)?;
        let Some(start_identity) = first.identity.clone().filter(|_| first.face_found) else {
            continue;
        };
        for stepper in steppers {
            for sign in [1.0, -1.0] {
                let mut code = start.clone();
                for _ in 0..config.steps {
                    code = stepper.step(&code, sign)?;
                    let j = judge.judge(&code)?;
                    let Some(end) = j.identity.filter(|_| j.face_found) else {
                        break;
                    };
                    let score_change = j.scores[a] - first.scores[a];
                    changes.push(IdentityChange {
                        face,
                        score_change,
                        start: start_identity.clone(),
                        end,
                    });
                    if score_change.abs() >= config.max_change {
                        break;
                    }
                }
            }
        }
        on_face(face);
    }
    Ok(changes)
}

/// Changes of between `low` and `high` degrees (either way).
pub fn within(changes: &[IdentityChange], low: f32, high: f32) -> Vec<&IdentityChange> {
    changes
        .iter()
        .filter(|c| (low..high).contains(&c.score_change.abs()))
        .collect()
}

/// What a set of axes does on faces it was not fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct AxesReport {
    pub axes: usize,
    /// Codes whose reading moved 0.5-1.5 degrees: how many, and how many keep cosine >= the
    /// threshold without and with the axes.
    pub one_degree: (usize, usize, usize),
    /// The same for 1.5-2.5 degrees.
    pub two_degrees: (usize, usize, usize),
    /// Pairs of different faces' starts: how many, and how many reach the threshold without
    /// and with the axes (each would be taken for the same person).
    pub other_people: (usize, usize, usize),
    /// The largest cosine of two different faces with the axes.
    pub other_people_max: f32,
}

/// Measures `axes` for `attribute` on `changes` (faces it was not fitted on) at `threshold`.
pub fn report(
    axes: &IdentityAxes,
    attribute: Attribute,
    changes: &[IdentityChange],
    threshold: f32,
) -> AxesReport {
    let count = |set: Vec<&IdentityChange>| {
        let plain = set
            .iter()
            .filter(|c| crate::perception::cosine(&c.start, &c.end) >= threshold)
            .count();
        let with = set
            .iter()
            .filter(|c| axes.cosine(attribute, &c.start, &c.end) >= threshold)
            .count();
        (set.len(), plain, with)
    };
    let mut starts: Vec<(usize, &Embedding)> = Vec::new();
    for c in changes {
        if !starts.iter().any(|(f, _)| *f == c.face) {
            starts.push((c.face, &c.start));
        }
    }
    let (mut pairs, mut plain, mut with, mut max) = (0, 0, 0, f32::MIN);
    for (i, (_, a)) in starts.iter().enumerate() {
        for (_, b) in &starts[i + 1..] {
            pairs += 1;
            plain += (crate::perception::cosine(a, b) >= threshold) as usize;
            let c = axes.cosine(attribute, a, b);
            with += (c >= threshold) as usize;
            max = max.max(c);
        }
    }
    AxesReport {
        axes: axes.axes(attribute).len(),
        one_degree: count(within(changes, 0.5, 1.5)),
        two_degrees: count(within(changes, 1.5, 2.5)),
        other_people: (pairs, plain, with),
        other_people_max: max,
    }
}

/// The whole fit of `train identity-axes` for one attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AxesFitConfig {
    /// Training faces (seeds from [`Self::first_seed`] on, held-out seeds skipped, each at the
    /// labelled dataset's truncation: odd seeds 0.7, even 1.0); every other one is fitted on,
    /// the rest measure.
    pub faces: usize,
    pub first_seed: u64,
    pub collect: CollectConfig,
    /// The field's step size (the product's: 1).
    pub field_alpha: f64,
    /// Length in W of one linear step (the product's fallback stepper's).
    pub linear_step: f64,
    /// Numbers of axes measured; the first is kept.
    pub axes: Vec<usize>,
    /// The identity guard's threshold the report counts at.
    pub threshold: f32,
}

impl Default for AxesFitConfig {
    fn default() -> Self {
        Self {
            faces: 40,
            first_seed: 100_001,
            collect: CollectConfig::default(),
            field_alpha: 1.0,
            linear_step: 2.0,
            axes: vec![4, 1, 2, 8, 16],
            threshold: 0.5,
        }
    }
}

/// What [`fit_identity_axes`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct AxesFit {
    /// The attribute's axes at the first of [`AxesFitConfig::axes`], fitted on the fit half.
    pub axes: IdentityAxes,
    /// On the other half, for each number of axes measured (0 first: the plain guard).
    pub reports: Vec<AxesReport>,
    /// Judged codes with a face on the fit half and the measured half.
    pub changes: (usize, usize),
    /// Faces used (with a face at the start).
    pub faces: usize,
    /// The seeds walked.
    pub seeds: Vec<u64>,
}

/// Walks training faces along the product's steppers for `attribute` (its field, when given,
/// then its linear direction, each step without the mean of W and the other attributes'
/// directions, as the product steps), fits the attribute's identity axes on half of the faces
/// and measures them on the other half.
#[allow(clippy::too_many_arguments)]
pub fn fit_identity_axes(
    generator: &crate::generator::Generator,
    judge: &dyn FaceJudge,
    field: Option<&super::SemanticField>,
    directions: &[super::LinearDirection],
    attribute: Attribute,
    config: &AxesFitConfig,
    on_face: &mut dyn FnMut(usize),
) -> Result<AxesFit, FieldError> {
    use super::guided::ProjectedStepper;
    use super::step::{FieldSpace, FieldStepper};
    let device = generator.device();
    let space = FieldSpace::WPlus {
        k: super::DEFAULT_K,
    };
    let mut removed = vec![generator.w_avg()?];
    for d in directions.iter().filter(|d| d.attribute != attribute) {
        removed.push(d.direction_tensor(device)?);
    }
    let field_stepper = field.map(|field| FieldStepper {
        field,
        mapping: &generator.mapping,
        space,
        alpha: config.field_alpha,
    });
    let linear_stepper = directions
        .iter()
        .find(|d| d.attribute == attribute)
        .map(|d| super::LinearStepper::new(d, space, config.linear_step, device))
        .transpose()?;
    let inner: Vec<&dyn LatentStepper> = field_stepper
        .as_ref()
        .map(|s| s as &dyn LatentStepper)
        .into_iter()
        .chain(linear_stepper.as_ref().map(|s| s as &dyn LatentStepper))
        .collect();
    if inner.is_empty() {
        return Err(FieldError::BadInput(format!(
            "no field or linear direction for {attribute}"
        )));
    }
    let projected = inner
        .iter()
        .map(|s| ProjectedStepper::removing(*s, space, &removed))
        .collect::<Result<Vec<_>, _>>()?;
    let steppers: Vec<&dyn LatentStepper> =
        projected.iter().map(|s| s as &dyn LatentStepper).collect();
    let seeds: Vec<u64> = (config.first_seed..)
        .filter(|s| !super::methods::is_held_out(*s))
        .take(config.faces)
        .collect();
    let faces: Vec<(u64, f64)> = seeds
        .iter()
        .map(|&s| (s, crate::perception::label_pipeline::seed_psi(s)))
        .collect();
    let w = super::methods::seed_latents(generator, &faces)?;
    let starts = (0..faces.len())
        .map(|i| Ok(generator.w_plus(&w.narrow(0, i, 1)?)?))
        .collect::<Result<Vec<_>, FieldError>>()?;
    let changes = collect_changes(
        judge,
        &steppers,
        &starts,
        attribute,
        &config.collect,
        on_face,
    )?;
    let (fit, measured): (Vec<IdentityChange>, Vec<IdentityChange>) =
        changes.into_iter().partition(|c| c.face % 2 == 0);
    let fit_deltas: Vec<Vec<f32>> = within(&fit, 0.5, config.collect.max_change)
        .into_iter()
        .map(IdentityChange::delta)
        .collect();
    let with_k = |k: usize| -> Result<IdentityAxes, FieldError> {
        let mut axes = IdentityAxes::default();
        axes.set(attribute, principal_axes(&fit_deltas, k))?;
        Ok(axes)
    };
    let mut reports = vec![report(
        &IdentityAxes::default(),
        attribute,
        &measured,
        config.threshold,
    )];
    for &k in &config.axes {
        reports.push(report(&with_k(k)?, attribute, &measured, config.threshold));
    }
    let mut used: Vec<usize> = fit.iter().chain(&measured).map(|c| c.face).collect();
    used.dedup();
    Ok(AxesFit {
        axes: with_k(config.axes.first().copied().unwrap_or(0))?,
        reports,
        changes: (fit.len(), measured.len()),
        faces: used.len(),
        seeds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(mut v: Vec<f32>) -> Embedding {
        let n = dot(&v, &v).sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        Embedding(v)
    }

    fn basis(d: usize, i: usize) -> Vec<f32> {
        (0..d).map(|j| (j == i) as u8 as f32).collect()
    }

    #[test]
    fn a_change_along_the_axes_is_excused_and_another_is_not() {
        let d = 8;
        let mut axes = IdentityAxes::default();
        axes.set(Attribute::Age, vec![basis(d, 0)]).unwrap();
        let start = unit(vec![0.2, 1.0, 0.5, 0.0, 0.0, 0.3, 0.0, 0.0]);
        // Aged: a large move along axis 0 only.
        let aged = unit(vec![4.0, 1.0, 0.5, 0.0, 0.0, 0.3, 0.0, 0.0]);
        // Another person: a move off the axes.
        let other = unit(vec![0.2, 0.0, 0.5, 1.0, 0.0, 0.3, 0.0, 0.0]);
        let plain = crate::perception::cosine(&start, &aged);
        assert!(plain < 0.5, "{plain}");
        assert!((axes.cosine(Attribute::Age, &start, &aged) - 1.0).abs() < 1e-5);
        let other_cos = axes.cosine(Attribute::Age, &start, &other);
        assert!(other_cos < 0.3, "{other_cos}");
        // Attributes without axes compare as they are.
        assert_eq!(
            axes.cosine(Attribute::Smiling, &start, &aged),
            crate::perception::cosine(&start, &aged)
        );
    }

    #[test]
    fn principal_axes_find_the_planted_directions_in_order() {
        let d = 16;
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut noise = || (rng.gen::<f32>() - 0.5) * 0.1;
        let big = unit((0..d).map(|i| (i % 3) as f32 - 1.0).collect()).0;
        let small = orthonormalise(vec![big.clone(), basis(d, 5)])[1].clone();
        let changes: Vec<Vec<f32>> = (0..60)
            .map(|i| {
                let (a, b) = (if i % 2 == 0 { 3.0 } else { -2.5 }, (i % 5) as f32 - 2.0);
                (0..d)
                    .map(|j| a * big[j] + b * small[j] + noise())
                    .collect()
            })
            .collect();
        let axes = principal_axes(&changes, 2);
        assert_eq!(axes.len(), 2);
        assert!(dot(&axes[0], &big).abs() > 0.99, "{:?}", axes[0]);
        assert!(dot(&axes[1], &small).abs() > 0.98, "{:?}", axes[1]);
        assert!(dot(&axes[0], &axes[1]).abs() < 1e-4);
    }

    #[test]
    fn axes_survive_a_save_and_load() {
        let mut axes = IdentityAxes::default();
        axes.set(
            Attribute::Age,
            vec![vec![3.0, 4.0, 0.0], vec![1.0, 0.0, 1.0]],
        )
        .unwrap();
        let path =
            std::env::temp_dir().join(format!("tte-axes-{}.safetensors", std::process::id()));
        axes.save(&path, HashMap::from([("k".into(), "2".into())]))
            .unwrap();
        let back = IdentityAxes::load(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(back.axes(Attribute::Age).len(), 2);
        assert!((back.axes(Attribute::Age)[0][0] - 0.6).abs() < 1e-6);
        assert!(back.axes(Attribute::Bangs).is_empty());
        assert!(axes
            .set(Attribute::Age, vec![vec![1.0], vec![1.0, 2.0]])
            .is_err());
    }

    #[test]
    fn the_report_counts_passes_and_false_accepts() {
        let d = 4;
        let mut axes = IdentityAxes::default();
        axes.set(Attribute::Age, vec![basis(d, 0)]).unwrap();
        let face = |i: usize| unit(basis(d, 1 + i % 3));
        let changes: Vec<IdentityChange> = (0..3)
            .map(|i| IdentityChange {
                face: i,
                score_change: 1.0,
                start: face(i),
                end: unit(
                    (0..d)
                        .map(|j| face(i).0[j] + 2.0 * (j == 0) as u8 as f32)
                        .collect(),
                ),
            })
            .collect();
        let r = report(&axes, Attribute::Age, &changes, 0.5);
        assert_eq!(r.one_degree, (3, 0, 3));
        assert_eq!(r.two_degrees, (0, 0, 0));
        assert_eq!(r.other_people, (3, 0, 0));
    }
}
