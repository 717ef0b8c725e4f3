//! Everything `talk-to-edit eval-edits` does, as one library call ([`evaluate_edits`]): the
//! guarded editing loop ([`super::guided`]) on held-out generated faces (seeds 100000 + 10 j at
//! each truncation asked for), every attribute and method asked for, each requested change the
//! start allows ([`super::guided_eval`]: the cases, records and table). The methods are the
//! trained fields (`field`), the fitted linear directions (`linear`) or fallback chains of them
//! (`field>linear`), each step projected off the mean of W (unless `keep_drift`) and, with
//! `conditional`, off the other attributes' directions; also, where fitted, directions trained on
//! the image (`image`), the sunglasses direction (`sunglasses`, eyeglasses) and style-channel
//! directions (`channels`, [`super::style_channels`], never projected: they move only their
//! channels).
//!
//! Writes `DIR/edits.jsonl` (one [`CaseRecord`] a line, as the edits end), `DIR/edits.md` (the
//! summary table), contact sheets `DIR/sheet_<method>_<attribute>.png` (start | result pairs,
//! the first 24) and, with `images`, every start and result at 256 px (for the independent
//! identity check, `scripts/identity_dlib.py`). The binary loads the models and prints.

use super::correction::Corrector;
use super::guided::{GuidedConfig, ProjectedStepper, RenderJudge};
use super::guided_eval::{evaluate_face, summarise, summary_table, CaseRecord, EvalFace, Method};
use super::image_direction::{ImageDirectionStepper, ImageDirections, Way};
use super::w_prior::{WPrior, PRIOR_SAMPLES, PRIOR_SEED};
use super::{
    FieldError, FieldSpace, FieldStepper, LatentStepper, LinearDirection, LinearStepper,
    SemanticField, DEFAULT_K,
};
use crate::attributes::Attribute;
use crate::files::{io_at, save_image as save, FileError};
use crate::generator::{Generator, GeneratorError};
use crate::perception::{FacePerception, IdentityEncoder};
use crate::predictor::DegreeReader;
use candle_core::Tensor;
use image::RgbImage;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Start | result pairs per method and attribute on its contact sheet.
const SHEET_PAIRS: usize = 24;

/// Errors of the run.
#[derive(Debug, thiserror::Error)]
pub enum EditsEvalError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("unknown method {0} (field, linear, image, channels or sunglasses; image and channels need fitted directions)")]
    UnknownMethod(String),
    #[error("no linear direction for {0}")]
    NoDirection(Attribute),
    #[error("no field for {0}")]
    NoField(Attribute),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Generator(#[from] GeneratorError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// What one run does (the command line's flags).
#[derive(Debug, Clone)]
pub struct EditsEvalConfig {
    /// Faces per truncation: held-out seeds 100000 + 10 j, j < faces.
    pub faces: u64,
    /// Truncations psi of the faces.
    pub psi: Vec<f64>,
    /// Methods: `field`, `linear`, `image` (trained on the image), `channels` (style-channel
    /// directions), `sunglasses`, or a fallback chain such as `channels>field>linear`.
    pub methods: Vec<String>,
    /// Attributes, in the order edited.
    pub attributes: Vec<Attribute>,
    /// Degree changes asked for (negative: remove).
    pub changes: Vec<i8>,
    /// Length in W of one linear step.
    pub linear_step: f64,
    /// Keep the mean-of-W component of the steps (the ablation).
    pub keep_drift: bool,
    /// Also remove the other attributes' linear directions from every step.
    pub conditional: bool,
    /// Move only these W+ style layers (with the projection).
    pub layers: Option<std::ops::Range<usize>>,
    /// Pull back other attributes a step moved, along their linear directions
    /// ([`super::correction`]).
    pub pull_back: bool,
    /// Remove this many of the mapped latents' thinnest axes ([`WPrior::thinnest_axes`]) from
    /// every projected step too (0: none).
    pub prior_axes: usize,
    /// Fit the prior ([`WPrior`]) and record every edit's start and result distance, and every
    /// judged code's in `DIR/prior_steps.jsonl` (also done with `prior_axes`).
    pub prior_report: bool,
    /// The loop's settings (guards).
    pub guided: GuidedConfig,
    /// Output directory.
    pub out: PathBuf,
    /// Where every start and result image is written too.
    pub images: Option<PathBuf>,
    /// The command's arguments as the report shows them.
    pub command: String,
    /// When the invocation began: the report's run time counts from here.
    pub started: Instant,
}

/// The models of the run.
pub struct EditsEvalModels<'a> {
    pub generator: &'a Generator,
    pub reader: &'a DegreeReader,
    pub perception: &'a FacePerception,
    pub identity: &'a IdentityEncoder,
    /// The trained field of every attribute edited.
    pub fields: &'a [(Attribute, SemanticField)],
    /// The fitted linear directions.
    pub directions: &'a [LinearDirection],
    /// Directions trained on the image (method `image`), where trained.
    pub image_directions: &'a ImageDirections,
    /// Style-channel directions (method `channels`, [`super::style_channels`]), where fitted:
    /// stepped without projections (a projection would move the other channels they leave).
    pub style_channels: &'a ImageDirections,
    /// The direction from clear glasses to sunglasses (method `sunglasses`, eyeglasses only;
    /// [`super::sunglasses`]).
    pub sunglasses: Option<&'a LinearDirection>,
}

/// The records of a run and their summary table (as printed).
pub struct EditsEvalOutput {
    pub records: Vec<CaseRecord>,
    pub table: String,
}

/// A stepper used as it is (the ablation without drift removal).
struct Passthrough<'a>(&'a dyn LatentStepper);

impl LatentStepper for Passthrough<'_> {
    fn step(&self, styles: &Tensor, sign: f64) -> Result<Tensor, FieldError> {
        self.0.step(styles, sign)
    }
}

/// Runs the evaluation and writes its files (see the module doc); `on_case` hears every edit
/// as it ends.
pub fn evaluate_edits(
    models: &EditsEvalModels,
    config: &EditsEvalConfig,
    on_case: &mut dyn FnMut(&CaseRecord),
) -> Result<EditsEvalOutput, EditsEvalError> {
    let generator = models.generator;
    let device = generator.device().clone();
    let judge = RenderJudge {
        generator,
        reader: models.reader,
        perception: Some(models.perception),
        identity: Some(models.identity),
        keep_image: Some(256),
        mirror: config.guided.guards.max_mirror_rise.is_some(),
    };
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    // One stepper per (attribute, base method), each wrapped in the projection.
    let mut raw: Vec<(&str, Attribute, Box<dyn LatentStepper + '_>)> = Vec::new();
    for &a in &config.attributes {
        let field = models
            .fields
            .iter()
            .find(|(fa, _)| *fa == a)
            .map(|(_, f)| f)
            .ok_or(EditsEvalError::NoField(a))?;
        raw.push((
            "field",
            a,
            Box::new(FieldStepper {
                field,
                mapping: &generator.mapping,
                space,
                alpha: 1.0,
            }),
        ));
        let d = models
            .directions
            .iter()
            .find(|d| d.attribute == a)
            .ok_or(EditsEvalError::NoDirection(a))?;
        raw.push((
            "linear",
            a,
            Box::new(LinearStepper::new(d, space, config.linear_step, &device)?),
        ));
        if let Some(stepper) = models.image_directions.stepper(a) {
            raw.push(("image", a, Box::new(stepper)));
        }
        if let Some(d) = models.sunglasses.filter(|d| d.attribute == a) {
            raw.push((
                "sunglasses",
                a,
                Box::new(LinearStepper::new(d, space, config.linear_step, &device)?),
            ));
        }
    }
    let w_avg = generator.w_avg()?;
    let prior = if config.prior_report || config.prior_axes > 0 {
        Some(WPrior::from_generator(
            generator,
            PRIOR_SAMPLES,
            PRIOR_SEED,
        )?)
    } else {
        None
    };
    if let Some(p) = &prior {
        let v = p.variances();
        let mean = p.mean_variance();
        let along: Vec<String> = std::iter::once(("mean of W".to_string(), w_avg.clone()))
            .chain(
                models
                    .directions
                    .iter()
                    .map(|d| {
                        Ok::<_, FieldError>((d.attribute.to_string(), d.direction_tensor(&device)?))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .map(|(name, d)| Ok(format!("{name} {:.3}", p.variance_along(&d)?)))
            .collect::<Result<_, FieldError>>()?;
        tracing::info!(
            "W prior: mean variance {:.4} (sd {:.3}); variances over their mean, widest {:.2}, \
             10th {:.2}, median {:.3}, 256th {:.3}, 448th {:.4}, thinnest {:.5}; along {}",
            mean,
            mean.sqrt(),
            v[0] / mean,
            v[9] / mean,
            v[v.len() / 2] / mean,
            v[255] / mean,
            v[447] / mean,
            v[v.len() - 1] / mean,
            along.join(", ")
        );
    }
    let thin_axes = match &prior {
        Some(p) if config.prior_axes > 0 => p.thinnest_axes(config.prior_axes, &device)?,
        _ => Vec::new(),
    };
    let directions: Vec<(Attribute, Tensor)> = models
        .directions
        .iter()
        .map(|d| Ok((d.attribute, d.direction_tensor(&device)?)))
        .collect::<Result<_, FieldError>>()?;
    let wrapped: Vec<Box<dyn LatentStepper + '_>> = raw
        .iter()
        .map(
            |(_, a, s)| -> Result<Box<dyn LatentStepper + '_>, EditsEvalError> {
                let mut removed = Vec::new();
                if !config.keep_drift {
                    removed.push(w_avg.clone());
                }
                if config.conditional {
                    for (_, d) in directions.iter().filter(|(b, _)| b != a) {
                        removed.push(d.clone());
                    }
                }
                removed.extend(thin_axes.iter().cloned());
                if removed.is_empty() {
                    Ok(Box::new(Passthrough(s.as_ref())))
                } else {
                    let p = ProjectedStepper::removing(s.as_ref(), space, &removed)?;
                    Ok(Box::new(match &config.layers {
                        Some(r) => p.on_layers(r.clone()),
                        None => p,
                    }))
                }
            },
        )
        .collect::<Result<_, _>>()?;
    // A method name no attribute has is an error; one that only some attributes have (the
    // `image` directions where trained, `sunglasses` for eyeglasses) is left out of the others'
    // chains.
    if let Some(unknown) = config
        .methods
        .iter()
        .flat_map(|m| m.split('>'))
        .find(|n| *n != "channels" && !raw.iter().any(|(m, _, _)| m == n))
    {
        return Err(EditsEvalError::UnknownMethod(unknown.to_string()));
    }
    let find = |name: &str, a: Attribute| -> Option<&dyn LatentStepper> {
        raw.iter()
            .zip(&wrapped)
            .find(|((m, ra, _), _)| *m == name && *ra == a)
            .map(|(_, s)| s.as_ref())
    };
    let mut correctors: Vec<(Attribute, Corrector)> = Vec::new();
    if config.pull_back {
        for &a in &config.attributes {
            correctors.push((a, Corrector::new(a, &directions, &w_avg, space)?));
        }
    }
    // Style-channel directions per attribute and way (stepped as they are, never projected).
    let channel_steppers: Vec<(Attribute, [Option<ImageDirectionStepper>; 2])> = config
        .attributes
        .iter()
        .map(|&a| {
            (
                a,
                [Way::Up, Way::Down].map(|w| models.style_channels.stepper_towards(a, w)),
            )
        })
        .collect();
    let mut methods: Vec<Method<'_>> = Vec::new();
    for &a in &config.attributes {
        for name in &config.methods {
            // `sunglasses` joins the chain only where sunglasses are in play (per edit).
            let steppers: Vec<&dyn LatentStepper> = name
                .split('>')
                .filter(|n| *n != "sunglasses" && *n != "channels")
                .filter_map(|n| find(n, a))
                .collect();
            let channels = match channel_steppers.iter().find(|(c, _)| *c == a) {
                Some((_, ways)) if name.split('>').any(|n| n == "channels") => [
                    ways[0].as_ref().map(|s| s as &dyn LatentStepper),
                    ways[1].as_ref().map(|s| s as &dyn LatentStepper),
                ],
                _ => [None, None],
            };
            if steppers.is_empty() && channels.iter().all(Option::is_none) {
                continue; // e.g. `sunglasses` alone
            }
            let sunglasses = name
                .split('>')
                .any(|n| n == "sunglasses")
                .then(|| find("sunglasses", a))
                .flatten();
            methods.push(Method {
                name: name.clone(),
                attribute: a,
                steppers,
                sunglasses,
                channels,
                corrector: correctors.iter().find(|(c, _)| *c == a).map(|(_, c)| c),
            });
        }
    }

    std::fs::create_dir_all(&config.out).map_err(io_at(&config.out))?;
    if let Some(dir) = &config.images {
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    }
    let jsonl_path = config.out.join("edits.jsonl");
    let mut jsonl = std::fs::File::create(&jsonl_path).map_err(io_at(&jsonl_path))?;
    let steps_path = config.out.join("prior_steps.jsonl");
    let mut prior_steps = match &prior {
        Some(_) => Some(std::fs::File::create(&steps_path).map_err(io_at(&steps_path))?),
        None => None,
    };
    let edited_rows = 0..DEFAULT_K;
    let mut records: Vec<CaseRecord> = Vec::new();
    let mut pairs: Vec<(String, Attribute, RgbImage, RgbImage)> = Vec::new();
    for &psi in &config.psi {
        for j in 0..config.faces {
            let seed = 100_000 + 10 * j;
            let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
            let face = EvalFace {
                seed,
                psi,
                styles: generator.w_plus(&w)?,
            };
            for mut case in evaluate_face(&judge, &methods, &face, &config.changes, &config.guided)?
            {
                if let (Some(prior), Some(file)) = (&prior, prior_steps.as_mut()) {
                    let trace = &case.trace;
                    let distance = |s: Option<&Tensor>| {
                        s.map(|s| prior.max_distance(s, edited_rows.clone()))
                            .transpose()
                    };
                    let distances = trace
                        .steps
                        .iter()
                        .map(|step| distance(step.styles.as_ref()))
                        .collect::<Result<Vec<_>, _>>()?;
                    case.record.start_prior_distance = distance(Some(&face.styles))?;
                    case.record.result_prior_distance = distances[trace.result];
                    for (i, (step, d)) in trace.steps.iter().zip(&distances).enumerate() {
                        let line = serde_json::json!({
                            "seed": seed, "psi": psi, "method": case.record.method,
                            "attribute": case.record.attribute, "change": case.record.change,
                            "position": step.position, "result": i == trace.result,
                            "failed": step.failed, "face_found": step.face_found,
                            "identity_cos": step.identity_cos,
                            "prior_distance": d,
                        });
                        writeln!(file, "{line}").map_err(io_at(&steps_path))?;
                    }
                }
                let r = &case.record;
                writeln!(jsonl, "{}", serde_json::to_string(r)?).map_err(io_at(&jsonl_path))?;
                on_case(r);
                if let (Some(s), Some(e)) = (case.start_image(), case.result_image()) {
                    if let Some(dir) = &config.images {
                        let stem = format!(
                            "{}_{}_{}_{:.1}_{:+}",
                            r.method.replace('>', "+"),
                            r.attribute,
                            seed,
                            psi,
                            r.change
                        );
                        save(s, dir.join(format!("{stem}_start.png")))?;
                        save(e, dir.join(format!("{stem}_result.png")))?;
                    }
                    pairs.push((r.method.clone(), r.attribute, s.clone(), e.clone()));
                }
                records.push(case.record);
            }
        }
    }
    let rows = summarise(&records);
    let faceless: usize = rows.iter().map(|r| r.faceless_results).sum();
    let table = summary_table(&rows);
    let mut md = format!(
        "# Guarded edits on generated faces\n\nCommand:\n\n```sh\nRAYON_NUM_THREADS=2 talk-to-edit eval-edits {}\n```\n\n",
        config.command
    );
    md.push_str(&format!(
        "Faces: held-out seeds 100000 + 10 j, j < {}, psi {:?}; {} edits, {} accepted results without a face; {:.0} s.\n\n",
        config.faces,
        config.psi,
        records.len(),
        faceless,
        config.started.elapsed().as_secs_f64()
    ));
    md.push_str(&table);
    let md_path = config.out.join("edits.md");
    std::fs::write(&md_path, md).map_err(io_at(&md_path))?;
    for m in &config.methods {
        for &a in &config.attributes {
            let chosen: Vec<(&RgbImage, &RgbImage)> = pairs
                .iter()
                .filter(|(pm, pa, _, _)| pm == m && *pa == a)
                .take(SHEET_PAIRS)
                .map(|(_, _, s, e)| (s, e))
                .collect();
            if !chosen.is_empty() {
                let name = format!("sheet_{}_{}.png", m.replace('>', "+"), a.name());
                save(&pair_sheet(&chosen, 128, 4), config.out.join(name))?;
            }
        }
    }
    Ok(EditsEvalOutput { records, table })
}

/// Start | result pairs, `per_row` pairs a row, each image `side` px, 4 px gaps.
pub fn pair_sheet(pairs: &[(&RgbImage, &RgbImage)], side: u32, per_row: u32) -> RgbImage {
    let rows = (pairs.len() as u32).div_ceil(per_row);
    let cell = 2 * side + 12;
    let mut sheet = RgbImage::from_pixel(per_row * cell, rows * (side + 4), image::Rgb([255; 3]));
    for (i, (s, e)) in pairs.iter().enumerate() {
        let (x, y) = (
            (i as u32 % per_row) * cell,
            (i as u32 / per_row) * (side + 4),
        );
        for (k, img) in [s, e].iter().enumerate() {
            let small =
                image::imageops::resize(**img, side, side, image::imageops::FilterType::Triangle);
            image::imageops::overlay(
                &mut sheet,
                &small,
                (x + k as u32 * (side + 2)) as i64,
                y as i64,
            );
        }
    }
    sheet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_sheets_lay_out_start_and_result_side_by_side_in_rows() {
        let red = RgbImage::from_pixel(64, 64, image::Rgb([200, 0, 0]));
        let blue = RgbImage::from_pixel(64, 64, image::Rgb([0, 0, 200]));
        let pairs = vec![(&red, &blue); 5];
        let sheet = pair_sheet(&pairs, 32, 4);
        // 4 pairs a row (2 * 32 + 12 px each), two rows of 32 + 4 px.
        assert_eq!(sheet.dimensions(), (4 * 76, 2 * 36));
        assert_eq!(sheet.get_pixel(10, 10), &image::Rgb([200, 0, 0]));
        assert_eq!(sheet.get_pixel(34 + 10, 10), &image::Rgb([0, 0, 200]));
        assert_eq!(sheet.get_pixel(70, 10), &image::Rgb([255; 3]), "the gap");
        // The fifth pair starts the second row; the rest of it stays white.
        assert_eq!(sheet.get_pixel(10, 36 + 10), &image::Rgb([200, 0, 0]));
        assert_eq!(sheet.get_pixel(76 + 10, 36 + 10), &image::Rgb([255; 3]));
    }
}
