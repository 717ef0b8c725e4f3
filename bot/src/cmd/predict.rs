//! `talk-to-edit predict IMAGE...` / `talk-to-edit predict --batch`: the attribute predictor P on
//! photos or generated faces. Each image is found and aligned the way the training crops were
//! (FFHQ frame at 256 px, then the predictor's input size), and one JSON object per image is
//! printed: `{"path", "degrees": {attr: d}, "expected": {attr: E[d]}}`, or `{"path", "error"}`
//! (no face, unreadable file, ...), so one bad image never stops a batch. With `--reader FILE`
//! the degree reader's scores, degrees and glasses presence are added under `"reader"`.

use anyhow::Context;
use engine::perception::measures::MEASURE_CROP;
use engine::perception::{load_photo, FacePerception, PerceptionError};
use engine::predictor::{AttributePredictor, DegreeReader, Measure};
use engine::Attribute;
use serde_json::{json, Map, Value};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Images to read (PNG or JPEG).
    images: Vec<PathBuf>,
    /// Read image paths from stdin, one per line (after any given as arguments).
    #[arg(long)]
    batch: bool,
    /// Predictor weights (default: the committed P, models/trained/predictor.safetensors).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Also read each face with this degree reader (e.g. models/trained/reader.safetensors).
    #[arg(long, value_name = "FILE")]
    reader: Option<PathBuf>,
    /// Model cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

/// One JSON value per attribute, keyed by its name.
fn per_attribute(value: impl Fn(Attribute) -> Value) -> Map<String, Value> {
    Attribute::ALL
        .iter()
        .map(|a| (a.name().to_string(), value(*a)))
        .collect()
}

/// `v` rounded to three decimals.
fn thousandths(v: f32) -> f64 {
    (f64::from(v) * 1000.0).round() / 1000.0
}

/// Finds, aligns and predicts one image.
fn predict_one(
    perception: &FacePerception,
    predictor: &AttributePredictor,
    reader: Option<&DegreeReader>,
    path: &Path,
) -> Result<Value, PerceptionError> {
    let photo = load_photo(path)?;
    let aligned = perception.align(&photo, MEASURE_CROP)?;
    let prediction = predictor
        .predict(std::slice::from_ref(&aligned.crop))
        .map_err(|e| PerceptionError::Inference(e.to_string()))?
        .remove(0);
    let mut out = json!({
        "path": path,
        "degrees": per_attribute(|a| json!(prediction.degrees[a.index()])),
        "expected": per_attribute(|a| json!(thousandths(prediction.expected[a.index()]))),
    });
    if let Some(reader) = reader {
        let reading = reader
            .read(std::slice::from_ref(&aligned.crop))
            .map_err(|e| PerceptionError::Inference(e.to_string()))?
            .remove(0);
        let scores = per_attribute(|a| json!(thousandths(reading.score(a))));
        let reader_degrees = per_attribute(|a| json!(reading.degree(a)));
        let presence = reading.measures[Measure::GlassesPresence.index()];
        out["reader"] = json!({
            "scores": scores,
            "degrees": reader_degrees,
            "glasses_presence": presence.is_finite().then(|| thousandths(presence)),
        });
    }
    if aligned.faces_found > 1 {
        out["note"] = json!(format!(
            "{} faces found; used the largest",
            aligned.faces_found
        ));
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let store = match args.models {
        Some(dir) => models::ModelStore::at(dir),
        None => models::ModelStore::open_default(),
    }
    .context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let weights = args.weights.unwrap_or_else(crate::loading::predictor_path);
    let predictor = AttributePredictor::load_file(&weights, &candle_core::Device::Cpu)
        .with_context(|| format!("loading the predictor from {}", weights.display()))?;
    let reader = match &args.reader {
        Some(path) => Some(
            DegreeReader::load_file(path, &candle_core::Device::Cpu)
                .with_context(|| format!("loading the degree reader from {}", path.display()))?,
        ),
        None => None,
    };

    let mut paths = args.images;
    if args.batch {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("reading paths from stdin")?;
            let line = line.trim();
            if !line.is_empty() {
                paths.push(PathBuf::from(line));
            }
        }
    }
    if paths.is_empty() {
        anyhow::bail!("no images given (pass paths, or --batch with paths on stdin)");
    }
    let mut stdout = std::io::stdout().lock();
    for path in &paths {
        let started = Instant::now();
        let out = predict_one(&perception, &predictor, reader.as_ref(), path).unwrap_or_else(|e| {
            let error = match e {
                PerceptionError::NoFace => "no face found".to_string(),
                e => e.to_string(),
            };
            json!({"path": path, "error": error})
        });
        tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, path = %path.display(), "predicted");
        writeln!(stdout, "{out}").context("writing to stdout")?;
    }
    Ok(())
}
