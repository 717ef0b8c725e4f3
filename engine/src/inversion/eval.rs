//! The issue-6 measurements of inversion on real photos: identity cosine (fr_feature) between
//! each photo and the render of its inverted code (median and 10th percentile, for the encoder's
//! code, the best refinement checkpoint and the code kept), time per photo, and, with fields
//! given, how often a +1 edit (-1 at the top degree) of each attribute along its semantic field
//! reaches its target on the inverted face.
//!
//! `talk-to-edit eval-inversion` is its command line: it picks the photos and loads the models
//! (file locations are the binary's), then calls [`evaluate_inversion`]. The pipeline is here so
//! that its records and report are tested as library code. It writes `DIR/inversion.json` (after
//! every photo, so an interrupted run keeps its records), `DIR/inversion_examples.png` (aligned
//! photo | inverted render, the first [`EXAMPLES`] faces) and `DIR/inversion.md`.

use super::invert::{InvertConfig, Inverter};
use super::{InversionEncoder, InversionError};
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::field::methods::{argmax, check_reader};
use crate::field::{
    edit_until, DegreeReader, EditConfig, EditOutcome, FieldError, FieldSpace, FieldStepper,
    SemanticField, DEFAULT_K,
};
use crate::files::{io_at, save_image, FileError};
use crate::generator::Generator;
use crate::perception::{FacePerception, IdentityEncoder};
use crate::predictor::AttributePredictor;
use image::imageops::FilterType;
use image::RgbImage;
use serde::Serialize;
use std::path::PathBuf;

/// Faces on the examples sheet (the first ones inverted).
pub const EXAMPLES: usize = 8;

/// Side of each cell of the examples sheet.
const CELL: u32 = 128;

/// Errors that stop the evaluation (a photo that cannot be read or inverted is a record, not an
/// error).
#[derive(Debug, thiserror::Error)]
pub enum InversionEvalError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// What one run does (the command line's flags; `every` and `limit` only name the photo sample
/// in the report, the caller picks the photos).
#[derive(Debug, Clone)]
pub struct InversionEvalConfig {
    /// Output directory (created if missing).
    pub out: PathBuf,
    /// Every n-th photo of the measured split was taken.
    pub every: usize,
    /// At most this many photos were taken.
    pub limit: Option<usize>,
    /// Refinement steps of the inversion.
    pub steps: usize,
    /// Weight of the refinement's identity term.
    pub identity_weight: f64,
}

/// The models the evaluation runs.
pub struct InversionEvalModels<'a> {
    pub generator: &'a Generator,
    pub perception: &'a FacePerception,
    pub identity: &'a IdentityEncoder,
    pub encoder: &'a InversionEncoder,
    /// The attribute predictor P, reading the degrees of the inverted faces and their edits.
    pub predictor: &'a AttributePredictor,
    /// Each attribute's field; empty: no edits are measured.
    pub fields: &'a [(Attribute, SemanticField)],
}

/// One edit of an inverted face.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditRecord {
    pub attribute: Attribute,
    /// P's degree of the inverted face.
    pub start: usize,
    pub target: usize,
    pub reached: bool,
    pub outcome: EditOutcome,
    /// Steps taken (the start not counted).
    pub steps: usize,
    /// Identity cosine between the inverted render and the result.
    pub identity_cos: Option<f32>,
}

/// One photo: its inversion's numbers, or why it was refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoRecord {
    /// File name of the photo.
    pub photo: String,
    /// Why the photo was not inverted (the error and its causes).
    pub error: Option<String>,
    /// Identity cosine of the code kept.
    pub identity_cos: Option<f32>,
    pub encoder_identity_cos: Option<f32>,
    pub refined_identity_cos: Option<f32>,
    pub refined_kept: Option<bool>,
    pub seconds: Option<f32>,
    pub edits: Vec<EditRecord>,
}

impl PhotoRecord {
    fn new(photo: String) -> Self {
        Self {
            photo,
            error: None,
            identity_cos: None,
            encoder_identity_cos: None,
            refined_identity_cos: None,
            refined_kept: None,
            seconds: None,
            edits: Vec::new(),
        }
    }
}

/// What the evaluation reports as it goes.
pub enum InversionEvalProgress<'a> {
    /// Photo `index` (0-based) of `total` is done (inverted or refused).
    Photo {
        index: usize,
        total: usize,
        record: &'a PhotoRecord,
    },
}

/// The records of a finished run and its report (`inversion.md`'s text).
pub struct InversionEvalOutput {
    pub records: Vec<PhotoRecord>,
    pub report: String,
}

/// The `q`-quantile (0..=1) of `values` (nearest rank on the sorted values).
pub fn quantile(values: &[f32], q: f64) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    Some(v[i])
}

/// An error and its causes, outermost first, joined by ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// Inverts every photo of `photos` (and edits each inverted face along every field given),
/// writing the records, the examples sheet and the report into `config.out`.
pub fn evaluate_inversion(
    photos: &[PathBuf],
    models: &InversionEvalModels,
    config: &InversionEvalConfig,
    progress: &mut dyn FnMut(InversionEvalProgress),
) -> Result<InversionEvalOutput, InversionEvalError> {
    std::fs::create_dir_all(&config.out).map_err(io_at(&config.out))?;
    let mut invert_config = InvertConfig::default();
    invert_config.refine.steps = config.steps;
    invert_config.refine.identity_weight = config.identity_weight;
    let inverter = Inverter {
        generator: models.generator,
        perception: models.perception,
        identity: models.identity,
        encoder: models.encoder,
        config: invert_config,
    };
    let reader = check_reader(
        models.generator,
        models.predictor,
        models.perception,
        models.identity,
        None,
    );
    let json_path = config.out.join("inversion.json");
    let mut records = Vec::new();
    let mut examples: Vec<(RgbImage, RgbImage)> = Vec::new();
    for (index, path) in photos.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut record = PhotoRecord::new(name);
        let result = crate::perception::load_photo(path)
            .map_err(InversionError::from)
            .and_then(|photo| inverter.invert(&photo, &mut |_| {}));
        match result {
            Err(e) => record.error = Some(error_chain(&e)),
            Ok(inversion) => {
                record.identity_cos = Some(inversion.identity_cos);
                record.encoder_identity_cos = Some(inversion.encoder_identity_cos);
                record.refined_identity_cos = Some(inversion.refined_identity_cos);
                record.refined_kept = Some(inversion.refined_kept);
                record.seconds = Some(inversion.seconds);
                if examples.len() < EXAMPLES {
                    let small = |img: &RgbImage| {
                        image::imageops::resize(img, CELL, CELL, FilterType::Triangle)
                    };
                    examples.push((small(&inversion.aligned.crop), small(&inversion.render)));
                }
                for (attribute, field) in models.fields {
                    let stepper = FieldStepper {
                        field,
                        mapping: &models.generator.mapping,
                        space: FieldSpace::WPlus { k: DEFAULT_K },
                        alpha: 1.0,
                    };
                    let start = reader.read(&inversion.styles)?;
                    let degree = argmax(&start.probabilities[attribute.index()]);
                    let target = if degree + 1 < NUM_DEGREES {
                        degree + 1
                    } else {
                        degree - 1
                    };
                    let trace = edit_until(
                        &reader,
                        &stepper,
                        &inversion.styles,
                        *attribute,
                        target,
                        &EditConfig::default(),
                    )?;
                    record.edits.push(EditRecord {
                        attribute: *attribute,
                        start: trace.start_degree,
                        target,
                        reached: trace.reached,
                        outcome: trace.outcome,
                        steps: trace.steps.len() - 1,
                        identity_cos: trace.result().identity_cos,
                    });
                }
            }
        }
        records.push(record);
        progress(InversionEvalProgress::Photo {
            index,
            total: photos.len(),
            record: records.last().expect("just pushed"),
        });
        // Partial results survive an interrupted run.
        std::fs::write(&json_path, serde_json::to_string_pretty(&records)?)
            .map_err(io_at(&json_path))?;
    }
    if !examples.is_empty() {
        let path = config.out.join("inversion_examples.png");
        save_image(&examples_sheet(&examples), path)?;
    }
    let report = report(&records, config, !models.fields.is_empty());
    let md_path = config.out.join("inversion.md");
    std::fs::write(&md_path, &report).map_err(io_at(&md_path))?;
    Ok(InversionEvalOutput { records, report })
}

/// One row per example: the aligned photo, then the render of its code.
fn examples_sheet(examples: &[(RgbImage, RgbImage)]) -> RgbImage {
    let mut sheet = RgbImage::new(2 * CELL, CELL * examples.len() as u32);
    for (i, (crop, render)) in examples.iter().enumerate() {
        let y = (CELL as usize * i) as i64;
        image::imageops::replace(&mut sheet, crop, 0, y);
        image::imageops::replace(&mut sheet, render, CELL as i64, y);
    }
    sheet
}

/// The report (`inversion.md`): identity quantiles, time per photo, the refused photos and, with
/// `edits`, the reach of each attribute's edits.
pub fn report(records: &[PhotoRecord], config: &InversionEvalConfig, edits: bool) -> String {
    let ok: Vec<&PhotoRecord> = records.iter().filter(|r| r.error.is_none()).collect();
    let col =
        |f: fn(&PhotoRecord) -> Option<f32>| ok.iter().filter_map(|r| f(r)).collect::<Vec<_>>();
    let kept = col(|r| r.identity_cos);
    let encoder = col(|r| r.encoder_identity_cos);
    let refined = col(|r| r.refined_identity_cos);
    let seconds = col(|r| r.seconds);
    let fmt = |v: Option<f32>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
    let mut out = format!(
        "# Inversion of real photos (issue 6)\n\n\
         felonfinder's measured half (CelebA 000007.jpg-000256.jpg), every {} photo ({} photos; {} inverted, {} refused).\n\
         Command: `talk-to-edit eval-inversion --every {}{}{} --steps {} --identity-weight {} --out DIR`.\n\n\
         Identity cosine (fr_feature) between the photo's face and the render of its code:\n\n\
         | code | median | 10th percentile |\n|---|---|---|\n\
         | encoder alone | {} | {} |\n| best refinement checkpoint | {} | {} |\n\
         | kept (best of both) | {} | {} |\n\n\
         Time per photo (align, encode, {} refinement steps, candidate checks): median {} s, mean {} s.\n",
        config.every,
        records.len(),
        ok.len(),
        records.len() - ok.len(),
        config.every,
        config.limit.map_or(String::new(), |l| format!(" --limit {l}")),
        if edits { " --edits" } else { "" },
        config.steps,
        config.identity_weight,
        fmt(quantile(&encoder, 0.5)),
        fmt(quantile(&encoder, 0.1)),
        fmt(quantile(&refined, 0.5)),
        fmt(quantile(&refined, 0.1)),
        fmt(quantile(&kept, 0.5)),
        fmt(quantile(&kept, 0.1)),
        config.steps,
        fmt(quantile(&seconds, 0.5)),
        fmt((!seconds.is_empty()).then(|| seconds.iter().sum::<f32>() / seconds.len() as f32)),
    );
    let refused: Vec<String> = records
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("- {}: {e}", r.photo)))
        .collect();
    if !refused.is_empty() {
        out += &format!("\nRefused:\n{}\n", refused.join("\n"));
    }
    if edits {
        out += "\nEdits of the inverted faces along the semantic fields (+1 degree, -1 at the top degree; \
                P on the aligned render; identity cosine between the inverted render and the result):\n\n\
                | attribute | edits | reached | mean steps | identity cos (result) |\n|---|---|---|---|---|\n";
        for a in Attribute::ALL {
            let edits: Vec<&EditRecord> = ok
                .iter()
                .flat_map(|r| r.edits.iter())
                .filter(|e| e.attribute == a)
                .collect();
            if edits.is_empty() {
                continue;
            }
            let n = edits.len() as f32;
            let reached = edits.iter().filter(|e| e.reached).count() as f32 / n;
            let steps = edits.iter().map(|e| e.steps as f32).sum::<f32>() / n;
            let ids: Vec<f32> = edits.iter().filter_map(|e| e.identity_cos).collect();
            let id = ids.iter().sum::<f32>() / ids.len().max(1) as f32;
            out += &format!(
                "| {} | {} | {:.0}% | {:.2} | {:.3} |\n",
                a.name(),
                edits.len(),
                reached * 100.0,
                steps,
                id
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
        assert_eq!(quantile(&v, 0.1), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn error_chains_name_every_cause() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer: inner");
    }

    fn inverted(photo: &str, cos: f32, seconds: f32, edits: Vec<EditRecord>) -> PhotoRecord {
        PhotoRecord {
            identity_cos: Some(cos),
            encoder_identity_cos: Some(cos - 0.1),
            refined_identity_cos: Some(cos),
            refined_kept: Some(true),
            seconds: Some(seconds),
            edits,
            ..PhotoRecord::new(photo.into())
        }
    }

    fn edit(attribute: Attribute, reached: bool, steps: usize, cos: f32) -> EditRecord {
        EditRecord {
            attribute,
            start: 1,
            target: 2,
            reached,
            outcome: if reached {
                EditOutcome::Reached
            } else {
                EditOutcome::CantGoFurther
            },
            steps,
            identity_cos: Some(cos),
        }
    }

    fn config() -> InversionEvalConfig {
        InversionEvalConfig {
            out: PathBuf::from("unused"),
            every: 10,
            limit: Some(3),
            steps: 40,
            identity_weight: 0.5,
        }
    }

    #[test]
    fn the_report_counts_quantiles_refusals_and_edit_reach() {
        let smile = Attribute::ALL[0];
        let records = vec![
            inverted("a.jpg", 0.8, 2.0, vec![edit(smile, true, 1, 0.9)]),
            PhotoRecord {
                error: Some("no face found".into()),
                ..PhotoRecord::new("b.jpg".into())
            },
            inverted("c.jpg", 0.6, 4.0, vec![edit(smile, false, 3, 0.7)]),
        ];
        let text = report(&records, &config(), true);
        assert!(
            text.contains("every 10 photo (3 photos; 2 inverted, 1 refused)"),
            "{text}"
        );
        assert!(
            text.contains("--every 10 --limit 3 --edits --steps 40 --identity-weight 0.5"),
            "{text}"
        );
        // Nearest rank of two values: the median is the upper one, the 10th percentile the lower.
        assert!(
            text.contains("| kept (best of both) | 0.800 | 0.600 |"),
            "{text}"
        );
        assert!(text.contains("| encoder alone | 0.700 | 0.500 |"), "{text}");
        assert!(text.contains("median 4.000 s, mean 3.000 s"), "{text}");
        assert!(
            text.contains("Refused:\n- b.jpg: no face found\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("| {} | 2 | 50% | 2.00 | 0.800 |", smile.name())),
            "{text}"
        );
        // Attributes without edits have no row.
        assert!(
            !text.contains(&format!("| {} |", Attribute::ALL[1].name())),
            "{text}"
        );
        let without_edits = report(&records, &config(), false);
        assert!(!without_edits.contains("Edits of the inverted faces"));
        assert!(!without_edits.contains("--edits"));
    }

    #[test]
    fn a_run_with_no_photo_inverted_reports_dashes() {
        let records = vec![PhotoRecord {
            error: Some("bad".into()),
            ..PhotoRecord::new("x.jpg".into())
        }];
        let text = report(&records, &config(), false);
        assert!(text.contains("| encoder alone | - | - |"), "{text}");
        assert!(text.contains("median - s, mean - s"), "{text}");
    }
}
