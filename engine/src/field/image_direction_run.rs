//! The whole of `talk-to-edit train image-directions`: training faces drawn from the labelled
//! dataset's training seeds, one [`super::image_direction`] direction per requested attribute
//! and way started from the attribute's linear direction, each saved with its settings and its
//! last steps' averages as metadata.

use super::guided::orthonormal_basis;
use super::image_direction::{
    at_length, train_direction, usable, DirectionProgress, ImageDirectionConfig, ImageDirections,
    ImagePath, TrainingFace, Way,
};
use super::methods::{is_held_out, DATASET_FIRST_SEED};
use super::{FieldError, LinearDirection, DEFAULT_K};
use crate::attributes::Attribute;
use crate::generator::Generator;
use std::collections::HashMap;
use std::path::PathBuf;

/// What to train and where.
#[derive(Debug, Clone)]
pub struct ImageDirectionRun {
    pub attributes: Vec<Attribute>,
    pub ways: Vec<Way>,
    /// Training faces drawn for every direction (more are drawn, up to `max_faces`, when fewer
    /// than `min_usable` can move the way asked: faces with glasses to lose them).
    pub faces: usize,
    pub min_usable: usize,
    pub max_faces: usize,
    /// Per-layer length the directions are saved at (one step of the editing loop; the linear
    /// direction's step).
    pub saved_length: f32,
    /// Lengths tried, shortest first, when calibrating the training length: the first at which
    /// the linear direction moves the calibration faces by `config.change` on average (else
    /// the longest).
    pub lengths: Vec<f32>,
    /// Faces the calibration reads.
    pub calibration_faces: usize,
    pub config: ImageDirectionConfig,
    pub out_dir: PathBuf,
}

/// What the run reports as it goes.
pub enum ImageDirectionEvent<'a> {
    /// A training face was prepared (render, colour head, start reading).
    Face {
        seed: u64,
        psi: f64,
        scores: [f32; 5],
    },
    /// The linear direction at a calibration length moved the faces by `change` on average.
    Calibration {
        attribute: Attribute,
        way: Way,
        length: f32,
        change: f32,
        identity_cos: f32,
    },
    /// A direction starts training on `usable` faces at per-layer length `length`.
    Start {
        attribute: Attribute,
        way: Way,
        usable: usize,
        length: f32,
    },
    Step {
        attribute: Attribute,
        way: Way,
        progress: DirectionProgress,
    },
    /// A direction was written.
    Saved {
        attribute: Attribute,
        way: Way,
        path: &'a std::path::Path,
        summary: &'a DirectionSummary,
    },
}

/// Averages over the last tenth of a direction's training steps.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct DirectionSummary {
    pub change: f32,
    pub others: f32,
    pub identity_cos: f32,
    pub length: f32,
}

/// The `i`-th training face of the labelled dataset: seeds not held out, in order, psi 0.7 on
/// odd offsets and 1.0 on even ones (as `label generated` rendered them).
pub fn training_face(i: usize) -> (u64, f64) {
    let mut seed = DATASET_FIRST_SEED;
    let mut left = i;
    loop {
        if !is_held_out(seed) {
            if left == 0 {
                let psi = if (seed - DATASET_FIRST_SEED) % 2 == 1 {
                    0.7
                } else {
                    1.0
                };
                return (seed, psi);
            }
            left -= 1;
        }
        seed += 1;
    }
}

/// Trains and saves every requested direction.
pub fn train_image_directions(
    generator: &Generator,
    path: &ImagePath,
    linear: &[LinearDirection],
    run: &ImageDirectionRun,
    events: &mut dyn FnMut(ImageDirectionEvent),
) -> Result<Vec<(Attribute, Way, DirectionSummary)>, FieldError> {
    let device = generator.device().clone();
    let direction_of = |a: Attribute| {
        linear
            .iter()
            .find(|d| d.attribute == a)
            .ok_or_else(|| FieldError::BadInput(format!("no linear direction for {a}")))
    };
    let mut faces: Vec<TrainingFace> = Vec::new();
    let mut next_face = 0usize;
    let mut draw = |faces: &mut Vec<TrainingFace>,
                    events: &mut dyn FnMut(ImageDirectionEvent)|
     -> Result<(), FieldError> {
        let (seed, psi) = training_face(next_face);
        next_face += 1;
        let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
        let face = path.prepare(&w)?;
        events(ImageDirectionEvent::Face {
            seed,
            psi,
            scores: face.scores,
        });
        faces.push(face);
        Ok(())
    };
    while faces.len() < run.faces {
        draw(&mut faces, events)?;
    }
    let mut out = Vec::new();
    for &attribute in &run.attributes {
        let linear_direction = direction_of(attribute)?.direction_tensor(&device)?;
        let mut removed = vec![generator.w_avg()?];
        for d in linear.iter().filter(|d| d.attribute != attribute) {
            removed.push(d.direction_tensor(&device)?);
        }
        let removed = orthonormal_basis(&removed)?;
        for &way in &run.ways {
            let count = |faces: &[TrainingFace]| {
                faces
                    .iter()
                    .filter(|f| usable(f, attribute, way, run.config.change))
                    .count()
            };
            while count(&faces) < run.min_usable && faces.len() < run.max_faces {
                draw(&mut faces, events)?;
            }
            let init = (linear_direction.broadcast_as((DEFAULT_K, linear_direction.dim(1)?))?
                * way.sign() as f64)?
                .contiguous()?;
            // The training length: where the linear direction makes the asked change.
            let calibration: Vec<&TrainingFace> = faces
                .iter()
                .filter(|f| usable(f, attribute, way, run.config.change))
                .take(run.calibration_faces.max(1))
                .collect();
            let mut length = *run.lengths.last().unwrap_or(&run.config.length);
            for &l in &run.lengths {
                let offset = (&init * l as f64)?;
                let (mut change, mut cos) = (0f32, 0f32);
                for face in &calibration {
                    let (s, c) = path.measure(face, &offset)?;
                    change += way.sign() * (s[attribute.index()] - face.scores[attribute.index()]);
                    cos += c;
                }
                let n = calibration.len().max(1) as f32;
                events(ImageDirectionEvent::Calibration {
                    attribute,
                    way,
                    length: l,
                    change: change / n,
                    identity_cos: cos / n,
                });
                if change / n >= run.config.change {
                    length = l;
                    break;
                }
            }
            events(ImageDirectionEvent::Start {
                attribute,
                way,
                usable: count(&faces),
                length,
            });
            let config = ImageDirectionConfig {
                length,
                ..run.config.clone()
            };
            let mut tail: Vec<DirectionProgress> = Vec::new();
            let keep = (run.config.steps / 10).max(1);
            let direction = train_direction(
                path,
                &faces,
                attribute,
                way,
                &removed,
                &init,
                &config,
                &mut |p| {
                    if p.step + keep > p.total {
                        tail.push(p);
                    }
                    events(ImageDirectionEvent::Step {
                        attribute,
                        way,
                        progress: p,
                    });
                },
            )?;
            let n = tail.len().max(1) as f32;
            let summary = DirectionSummary {
                change: tail.iter().map(|p| p.change).sum::<f32>() / n,
                others: tail.iter().map(|p| p.others).sum::<f32>() / n,
                identity_cos: tail.iter().map(|p| p.identity_cos).sum::<f32>() / n,
                length: tail.iter().map(|p| p.length).sum::<f32>() / n,
            };
            let mut meta = HashMap::new();
            meta.insert(
                "config".to_string(),
                serde_json::to_string(&config).unwrap_or_default(),
            );
            meta.insert(
                "summary".to_string(),
                serde_json::to_string(&summary).unwrap_or_default(),
            );
            meta.insert("usable_faces".to_string(), count(&faces).to_string());
            meta.insert("saved_length".to_string(), run.saved_length.to_string());
            let direction = at_length(&direction, run.saved_length)?;
            ImageDirections::save(&run.out_dir, attribute, way, &direction, &meta)?;
            let file = ImageDirections::file(&run.out_dir, attribute, way);
            events(ImageDirectionEvent::Saved {
                attribute,
                way,
                path: &file,
                summary: &summary,
            });
            out.push((attribute, way, summary));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_faces_skip_the_held_out_seeds() {
        assert_eq!(training_face(0), (100_001, 0.7));
        assert_eq!(training_face(1), (100_002, 1.0));
        assert_eq!(training_face(8), (100_009, 0.7));
        assert_eq!(training_face(9), (100_011, 0.7));
        for i in 0..50 {
            assert!(!is_held_out(training_face(i).0));
        }
    }
}
