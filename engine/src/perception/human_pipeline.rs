//! `talk-to-edit human-gate fit` and `human-gate eval` as library calls: fitting the people-only
//! gate's reference ([`super::human::HumanReference`]: mean shape and embedding of generated
//! faces, and the embedding probe against non-human pictures) and measuring the bundled gate on
//! pictures (every feature of every picture, its outcome, and the acceptance and refusal rates
//! per group). The binary picks the pictures and loads the models; what is computed and written
//! is here so that it is library code.

use super::human::{observe, photo_like, HumanFeatures, HumanGate, HumanReference};
use super::probes::LinearProbe;
use super::{load_photo, FacePerception, IdentityEncoder, PerceptionError};
use crate::files::{io_at, FileError};
use crate::generator::{Generator, GeneratorError};
use crate::inversion::invert::ALIGNED_SIDE;
use image::RgbImage;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of the gate's fitting and measuring.
#[derive(Debug, thiserror::Error)]
pub enum HumanPipelineError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("aligning {what}")]
    Align {
        what: String,
        source: PerceptionError,
    },
    #[error("the probe needs human faces and non-human pictures with a face found")]
    NoProbe,
    #[error(transparent)]
    Perception(#[from] PerceptionError),
    #[error(transparent)]
    Generator(#[from] GeneratorError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// What `human-gate fit` fits on.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// First seed of the generated faces (alternately truncation 0.7 and 1.0).
    pub seed: u64,
    /// How many generated faces.
    pub count: u64,
    /// Photo-like copies of each face for the probe ([`photo_like`]).
    pub copies: u64,
    /// L2 weight of the probe.
    pub l2: f64,
}

/// A fitted reference and what its probe was fitted on.
pub struct FitOutput {
    pub reference: HumanReference,
    /// Human faces (generated faces and their copies with a face found).
    pub positives: usize,
    /// Non-human pictures with a face found.
    pub negatives: usize,
}

/// Fits the gate's reference: the generated faces of `config` rendered at 1024 px and aligned
/// (their mean shape and embedding; with their photo-like copies, the probe's positives)
/// against the pictures of `non_human` the detector finds a face in (its negatives).
/// `on_face` hears each generated face's seed and the positives so far.
pub fn fit_reference(
    generator: &Generator,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    config: &FitConfig,
    non_human: &[PathBuf],
    on_face: &mut dyn FnMut(u64, usize),
) -> Result<FitOutput, HumanPipelineError> {
    let FitConfig {
        seed,
        count,
        copies,
        l2,
    } = *config;
    let side = ALIGNED_SIDE;
    let (mut clean, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for s in seed..seed + count {
        let psi = if s % 2 == 0 { 0.7 } else { 1.0 };
        let w = generator.truncate(&generator.w_from_seed(s)?, psi)?;
        let face = generator.render(&w, 1024)?;
        let aligned =
            perception
                .align(&face, side)
                .map_err(|source| HumanPipelineError::Align {
                    what: format!("seed {s}"),
                    source,
                })?;
        let o = observe(&aligned, perception, identity)?;
        xs.push(o.embedding.clone());
        ys.push(true);
        clean.push(o);
        for k in 0..copies {
            let photo = photo_like(&face, s * 16 + k);
            // A copy whose face is lost (covered, turned away) teaches nothing.
            if let Ok(aligned) = perception.align(&photo, side) {
                xs.push(observe(&aligned, perception, identity)?.embedding);
                ys.push(true);
            }
        }
        on_face(s, xs.len());
    }
    let mut negatives = 0;
    for path in non_human {
        let photo = load_photo(path)?;
        if let Ok(aligned) = perception.align(&photo, side) {
            xs.push(observe(&aligned, perception, identity)?.embedding);
            ys.push(false);
            negatives += 1;
        }
    }
    let positives = xs.len() - negatives;
    let probe = LinearProbe::fit("human", &xs, &ys, l2).ok_or(HumanPipelineError::NoProbe)?;
    let reference = HumanReference::fit(
        &clean,
        probe,
        &format!(
            "`talk-to-edit human-gate fit --seed {seed} --count {count} --copies {copies} --l2 {l2}`: \
             mean shape and embedding of {count} generated faces (seeds {seed}..{}, truncation 0.7 \
             for even seeds, 1.0 for odd), aligned at {side} px; probe: {positives} human faces \
             (those and their photo-like copies) against {negatives} non-human pictures with a \
             face found",
            seed + count
        ),
    )?;
    Ok(FitOutput {
        reference,
        positives,
        negatives,
    })
}

/// One picture judged by the gate (a line of `features.jsonl`).
#[derive(Debug, Clone, Serialize)]
pub struct GateRecord {
    /// "human", "generated" or "non-human".
    pub group: &'static str,
    pub picture: String,
    /// "no face" / "refused before the gate: ..." (before the gate), "human" or "not human".
    pub outcome: String,
    pub features: Option<HumanFeatures>,
    /// The rules the features failed.
    pub failed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

/// Judges one picture: aligned as an upload is, observed, and the gate's verdict on it.
pub fn judge_picture(
    gate: &HumanGate,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    group: &'static str,
    picture: String,
    photo: &RgbImage,
    with_embeddings: bool,
) -> Result<GateRecord, HumanPipelineError> {
    let before_gate = |outcome: String| GateRecord {
        group,
        picture: picture.clone(),
        outcome,
        features: None,
        failed: Vec::new(),
        embedding: None,
    };
    let aligned = match perception.align(photo, ALIGNED_SIDE) {
        Ok(a) => a,
        Err(PerceptionError::NoFace) => return Ok(before_gate("no face".into())),
        Err(e @ PerceptionError::FaceTooSmall(_)) => {
            return Ok(before_gate(format!("refused before the gate: {e}")))
        }
        Err(PerceptionError::BadInput(why)) => {
            return Ok(before_gate(format!("refused before the gate: {why}")))
        }
        Err(source) => {
            return Err(HumanPipelineError::Align {
                what: picture,
                source,
            })
        }
    };
    let observation = observe(&aligned, perception, identity)?;
    let verdict = gate.judge(gate.reference.features(&observation));
    Ok(GateRecord {
        group,
        picture,
        outcome: if verdict.is_human() {
            "human".into()
        } else {
            "not human".into()
        },
        features: Some(verdict.features),
        failed: verdict.failed,
        embedding: with_embeddings.then_some(observation.embedding),
    })
}

/// The pictures `human-gate eval` measures.
pub struct GatePictures<'a> {
    /// Generated faces, by name (judged first, as the group "generated").
    pub generated: &'a [(String, RgbImage)],
    /// Photos of people ("human").
    pub humans: &'a [PathBuf],
    /// Pictures of other things ("non-human").
    pub non_humans: &'a [PathBuf],
}

/// Judges every picture, writing one [`GateRecord`] a line to `out/features.jsonl` as it goes
/// and the table ([`gate_report`]) to `out/human_gate.md`; returns the table.
pub fn evaluate_gate(
    gate: &HumanGate,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    pictures: &GatePictures,
    out: &Path,
    with_embeddings: bool,
    on_record: &mut dyn FnMut(&GateRecord),
) -> Result<String, HumanPipelineError> {
    std::fs::create_dir_all(out).map_err(io_at(out))?;
    let mut records = Vec::new();
    let jsonl = out.join("features.jsonl");
    let mut file = std::fs::File::create(&jsonl).map_err(io_at(&jsonl))?;
    let mut push = |r: GateRecord| -> Result<(), HumanPipelineError> {
        writeln!(file, "{}", serde_json::to_string(&r)?).map_err(io_at(&jsonl))?;
        on_record(&r);
        records.push(r);
        Ok(())
    };
    for (name, face) in pictures.generated {
        push(judge_picture(
            gate,
            perception,
            identity,
            "generated",
            name.clone(),
            face,
            with_embeddings,
        )?)?;
    }
    for (group, list) in [
        ("human", pictures.humans),
        ("non-human", pictures.non_humans),
    ] {
        for path in list {
            let photo = load_photo(path)?;
            let name = path
                .file_name()
                .map_or(path.display().to_string(), |n| n.to_string_lossy().into());
            push(judge_picture(
                gate,
                perception,
                identity,
                group,
                name,
                &photo,
                with_embeddings,
            )?)?;
        }
    }
    let table = gate_report(gate, &records);
    let md = out.join("human_gate.md");
    std::fs::write(&md, &table).map_err(io_at(&md))?;
    Ok(table)
}

/// The markdown report: outcomes per group, then each rule's refusals per group.
pub fn gate_report(gate: &HumanGate, records: &[GateRecord]) -> String {
    let groups = ["human", "generated", "non-human"];
    let mut s = String::from(
        "| pictures | total | no face found | face found, accepted as human | face found, refused |\n|---|---|---|---|---|\n",
    );
    for g in groups {
        let of: Vec<&GateRecord> = records.iter().filter(|r| r.group == g).collect();
        if of.is_empty() {
            continue;
        }
        let count = |o: &str| of.iter().filter(|r| r.outcome == o).count();
        let before = of.iter().filter(|r| r.features.is_none()).count();
        s += &format!(
            "| {g} | {} | {} | {} | {} |\n",
            of.len(),
            before,
            count("human"),
            count("not human")
        );
    }
    s += "\n| feature | rule | ";
    for g in groups {
        s += &format!("{g}: refused by it / faces found | ");
    }
    s += "\n|---|---|---|---|---|\n";
    for rule in &gate.rules {
        s += &format!(
            "| {} | {} |",
            rule.feature,
            match (rule.min, rule.max) {
                (Some(a), Some(b)) => format!("{a} ..= {b}"),
                (Some(a), None) => format!(">= {a}"),
                (None, Some(b)) => format!("<= {b}"),
                (None, None) => "-".into(),
            }
        );
        for g in groups {
            let found: Vec<&GateRecord> = records
                .iter()
                .filter(|r| r.group == g && r.features.is_some())
                .collect();
            let refused = found
                .iter()
                .filter(|r| {
                    r.failed
                        .iter()
                        .any(|f| f.starts_with(&format!("{} ", rule.feature)))
                })
                .count();
            s += &format!(" {refused}/{} |", found.len());
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEATURES: HumanFeatures = HumanFeatures {
        detector_score: 0.9,
        shape_residual: 0.1,
        landmark_rerun: 0.01,
        landmark_flip: 0.01,
        identity_to_mean: 0.5,
        embedding_norm: 1.0,
        skin_fraction: 0.5,
        chroma: 0.1,
        flat_fraction: 0.1,
        human_logit: 2.0,
    };

    fn record(group: &'static str, outcome: &str, failed: &[&str]) -> GateRecord {
        let found = outcome == "human" || outcome == "not human";
        GateRecord {
            group,
            picture: "p".into(),
            outcome: outcome.into(),
            features: found.then_some(FEATURES),
            failed: failed.iter().map(|f| f.to_string()).collect(),
            embedding: None,
        }
    }

    #[test]
    fn the_report_counts_outcomes_and_each_rules_refusals_per_group() {
        let gate = HumanGate::bundled().unwrap();
        let rule = &gate.rules[0].feature;
        let records = [
            record("human", "human", &[]),
            record("human", "no face", &[]),
            record(
                "non-human",
                "not human",
                &[&format!("{rule} 9.9 out of range")],
            ),
            record("non-human", "human", &[]),
        ];
        let table = gate_report(gate, &records);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[2], "| human | 2 | 1 | 1 | 0 |", "{table}");
        assert_eq!(lines[3], "| non-human | 2 | 0 | 1 | 1 |", "{table}");
        assert!(
            !table.contains("| generated | "),
            "no generated pictures: {table}"
        );
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("| {rule} | ")))
            .unwrap();
        assert!(row.ends_with(" 0/1 | 0/0 | 1/2 |"), "{row}");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.ends_with(" 0/1 | 0/0 | 0/2 |"))
                .count(),
            gate.rules.len() - 1,
            "{table}"
        );
    }
}
