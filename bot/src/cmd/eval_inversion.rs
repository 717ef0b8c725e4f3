//! `talk-to-edit eval-inversion`: the issue-6 measurements on real photos: identity cosine
//! (fr_feature) between each photo and the render of its inverted code (median and 10th
//! percentile), time per photo, and how often a +1 edit (-1 at the top degree) of each attribute
//! along its semantic field reaches its target on the inverted face. Writes `inversion.md`,
//! `inversion.json` and `inversion_examples.png` (aligned photo | inverted render, first faces).

use super::invert::FaceModels;
use anyhow::{bail, Context};
use engine::attributes::NUM_DEGREES;
use engine::field::methods::check_reader;
use engine::field::{edit_until, EditConfig, FieldSpace, FieldStepper, SemanticField, DEFAULT_K};
use engine::predictor::AttributePredictor;
use engine::Attribute;
use image::imageops::FilterType;
use image::RgbImage;
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Use every n-th photo of the measured split (felonfinder's training half,
    /// `000007.jpg`-`000256.jpg`; the held-out half is never read here).
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// At most this many photos.
    #[arg(long)]
    limit: Option<usize>,
    /// Also edit each inverted face (+1 degree of every attribute along its field).
    #[arg(long)]
    edits: bool,
    /// Refinement steps of the inversion.
    #[arg(long, default_value_t = engine::inversion::invert::InvertConfig::default().refine.steps)]
    steps: usize,
    /// Weight of the refinement's identity term (0: pixels and priors only, a control for the
    /// identity cosine, which the same network measures).
    #[arg(long, default_value_t = engine::inversion::invert::InvertConfig::default().refine.identity_weight)]
    identity_weight: f64,
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

#[derive(Serialize)]
struct EditRecord {
    attribute: Attribute,
    start: usize,
    target: usize,
    reached: bool,
    outcome: engine::field::EditOutcome,
    steps: usize,
    identity_cos: Option<f32>,
}

#[derive(Serialize)]
struct PhotoRecord {
    photo: String,
    error: Option<String>,
    identity_cos: Option<f32>,
    encoder_identity_cos: Option<f32>,
    refined_identity_cos: Option<f32>,
    refined_kept: Option<bool>,
    seconds: Option<f32>,
    edits: Vec<EditRecord>,
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

/// Every `every`-th photo of the measured CelebA half (felonfinder's training split) from the
/// `offset`-th, at most `limit`.
pub fn measured_photos(
    every: usize,
    limit: Option<usize>,
    offset: usize,
) -> anyhow::Result<Vec<PathBuf>> {
    if every == 0 || limit == Some(0) {
        bail!("--every and --limit must be at least 1");
    }
    let store = models::ModelStore::open_default()?;
    let photos: Vec<PathBuf> = store
        .celeba_faces(models::Split::Train)
        .context("the measured photos (run `talk-to-edit models fetch --only felonfinder`)")?
        .into_iter()
        .skip(offset)
        .step_by(every)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    if photos.is_empty() {
        bail!("no photos at offset {offset} of the measured split");
    }
    Ok(photos)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let photos = measured_photos(args.every, args.limit, 0)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let models = FaceModels::load(args.weights.clone(), true)?;
    let mut inverter = models.inverter(args.steps)?;
    inverter.config.refine.identity_weight = args.identity_weight;
    let predictor_path = crate::loading::predictor_path();
    let predictor = AttributePredictor::load_file(&predictor_path, models.generator.device())
        .with_context(|| format!("loading {}", predictor_path.display()))?;
    let reader = check_reader(
        &models.generator,
        &predictor,
        &models.perception,
        &models.identity,
        None,
    );
    let fields = if args.edits {
        Attribute::ALL
            .iter()
            .map(|&a| {
                let path = crate::loading::trained_dir()
                    .join("fields")
                    .join(format!("{}.safetensors", a.name()));
                let (field, _) = SemanticField::load_file(&path, models.generator.device())
                    .with_context(|| format!("loading {}", path.display()))?;
                Ok((a, field))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let mut records = Vec::new();
    let mut examples: Vec<(RgbImage, RgbImage)> = Vec::new();
    for (i, path) in photos.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut record = PhotoRecord {
            photo: name.clone(),
            error: None,
            identity_cos: None,
            encoder_identity_cos: None,
            refined_identity_cos: None,
            refined_kept: None,
            seconds: None,
            edits: Vec::new(),
        };
        let result = engine::perception::load_photo(path)
            .map_err(anyhow::Error::from)
            .and_then(|photo| Ok(inverter.invert(&photo, &mut |_| {})?));
        match result {
            Err(e) => record.error = Some(format!("{e:#}")),
            Ok(inversion) => {
                record.identity_cos = Some(inversion.identity_cos);
                record.encoder_identity_cos = Some(inversion.encoder_identity_cos);
                record.refined_identity_cos = Some(inversion.refined_identity_cos);
                record.refined_kept = Some(inversion.refined_kept);
                record.seconds = Some(inversion.seconds);
                if examples.len() < 8 {
                    let small = |img: &RgbImage| {
                        image::imageops::resize(img, 128, 128, FilterType::Triangle)
                    };
                    examples.push((small(&inversion.aligned.crop), small(&inversion.render)));
                }
                for (attribute, field) in &fields {
                    let stepper = FieldStepper {
                        field,
                        mapping: &models.generator.mapping,
                        space: FieldSpace::WPlus { k: DEFAULT_K },
                        alpha: 1.0,
                    };
                    let start = engine::field::DegreeReader::read(&reader, &inversion.styles)?;
                    let p = &start.probabilities[attribute.index()];
                    let degree = engine::field::methods::argmax(p);
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
        tracing::info!(
            photo = %record.photo,
            identity_cos = ?record.identity_cos,
            seconds = ?record.seconds,
            error = ?record.error,
            "inverted {}/{}",
            i + 1,
            photos.len()
        );
        records.push(record);
        // Partial results survive an interrupted run.
        std::fs::write(
            args.out.join("inversion.json"),
            serde_json::to_string_pretty(&records)?,
        )?;
    }
    if !examples.is_empty() {
        let mut sheet = RgbImage::new(256, 128 * examples.len() as u32);
        for (i, (crop, render)) in examples.iter().enumerate() {
            image::imageops::replace(&mut sheet, crop, 0, 128 * i as i64);
            image::imageops::replace(&mut sheet, render, 128, 128 * i as i64);
        }
        sheet.save(args.out.join("inversion_examples.png"))?;
    }
    let report = report(&records, &args);
    std::fs::write(args.out.join("inversion.md"), &report)?;
    println!("{report}");
    Ok(())
}

fn report(records: &[PhotoRecord], args: &Args) -> String {
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
        args.every,
        records.len(),
        ok.len(),
        records.len() - ok.len(),
        args.every,
        args.limit.map_or(String::new(), |l| format!(" --limit {l}")),
        if args.edits { " --edits" } else { "" },
        args.steps,
        args.identity_weight,
        fmt(quantile(&encoder, 0.5)),
        fmt(quantile(&encoder, 0.1)),
        fmt(quantile(&refined, 0.5)),
        fmt(quantile(&refined, 0.1)),
        fmt(quantile(&kept, 0.5)),
        fmt(quantile(&kept, 0.1)),
        args.steps,
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
    if args.edits {
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
    use super::quantile;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(5.0));
        assert_eq!(quantile(&v, 0.1), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
