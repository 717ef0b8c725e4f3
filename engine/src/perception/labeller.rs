//! The teacher labeller: every registry network and measurement that says something about a
//! face's five attributes, run on one photo (a generated face or a real one) through the same
//! path — find, align to [`MEASURE_CROP`], measure — and recorded as one [`TeacherRecord`].
//! `predictor::degrees` turns records into the 6-degree labels that the attribute predictor is
//! trained on.

use super::align::AlignedFace;
use super::geometry::Point;
use super::identity::IdentityEncoder;
use super::measures::{measure_pixels, PixelMeasures, MEASURE_CROP};
use super::probes::LinearProbe;
use super::teachers::{AgeEstimator, ExpressionClassifier};
use super::{FacePerception, PerceptionError};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The CelebA attributes the identity probes are fitted for (`Beard` = not `No_Beard`).
pub const PROBE_TARGETS: [&str; 5] = ["Bangs", "Eyeglasses", "Beard", "Smiling", "Young"];

/// Everything the teachers say about one face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherRecord {
    /// Expected age in years (`age-v1`).
    pub age_years: f32,
    /// `age-v1`'s probabilities summed into the 6 age degrees.
    pub age_degrees: [f32; 6],
    /// Expression P(happy), when the expression network was run.
    pub happy: Option<f32>,
    #[serde(flatten)]
    pub pixels: PixelMeasures,
    /// The 512-d identity embedding (probes are applied to it later).
    pub embedding: Vec<f32>,
    /// The 68 landmarks in the [`MEASURE_CROP`] crop's pixels.
    pub crop_landmarks: Vec<Point>,
    /// Faces the detector found (the largest was measured).
    pub faces_found: usize,
}

/// The teacher networks.
pub struct TeacherLabeller {
    pub perception: FacePerception,
    pub identity: IdentityEncoder,
    pub age: AgeEstimator,
    /// The expression network (300-430 ms a face, half the labelling time): optional.
    pub expression: Option<ExpressionClassifier>,
}

impl TeacherLabeller {
    /// Finds and aligns the largest face, runs every teacher. Returns the record and the
    /// aligned [`MEASURE_CROP`] crop.
    pub fn label(&self, photo: &RgbImage) -> Result<(TeacherRecord, AlignedFace), PerceptionError> {
        let aligned = self.perception.align(photo, MEASURE_CROP)?;
        let age = self.age.estimate(photo, &aligned.landmarks)?;
        let happy = match &self.expression {
            Some(net) => Some(net.classify(photo, &aligned.face_box)?.happy()),
            None => None,
        };
        let embedding = self
            .identity
            .embed_face(photo, &aligned.landmarks.five_points())?;
        let crop_landmarks = aligned.crop_landmarks();
        let pixels = measure_pixels(&aligned.crop, &crop_landmarks)?;
        Ok((
            TeacherRecord {
                age_years: age.expected_years,
                age_degrees: age.degrees,
                happy,
                pixels,
                embedding: embedding.0,
                crop_landmarks: crop_landmarks.0,
                faces_found: aligned.faces_found,
            },
            aligned,
        ))
    }
}

/// Fits one probe per [`PROBE_TARGETS`] entry on labelled embeddings (CelebA's training half).
pub fn fit_probes(
    embeddings: &[Vec<f32>],
    labels: &[HashMap<String, bool>],
    l2: f64,
) -> Result<Vec<LinearProbe>, PerceptionError> {
    PROBE_TARGETS
        .iter()
        .map(|&target| {
            let ys: Vec<bool> = labels
                .iter()
                .map(|a| a.get(target).copied().unwrap_or(false))
                .collect();
            LinearProbe::fit(target, embeddings, &ys, l2).ok_or_else(|| {
                PerceptionError::BadInput(format!(
                    "cannot fit the {target} probe: it needs positive and negative examples"
                ))
            })
        })
        .collect()
}

/// Reads CelebA's attribute table (tab-separated: file name, then +1/-1 per attribute) as
/// file name -> attribute -> present, adding `Beard` = not `No_Beard`.
pub fn read_celeba_attributes(
    path: &Path,
) -> Result<HashMap<String, HashMap<String, bool>>, PerceptionError> {
    let bad = |reason: String| PerceptionError::BadInput(format!("{}: {reason}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| bad("empty file".into()))?
        .split('\t')
        .collect();
    let mut out = HashMap::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != header.len() {
            return Err(bad(format!("line {}: {} columns", n + 2, cols.len())));
        }
        let mut attrs = HashMap::new();
        for (name, value) in header[1..].iter().zip(&cols[1..]) {
            let present = match value.trim() {
                "1" => true,
                "-1" | "0" => false,
                v => return Err(bad(format!("line {}: {name} = {v:?}", n + 2))),
            };
            attrs.insert(name.to_string(), present);
        }
        if let Some(&no_beard) = attrs.get("No_Beard") {
            attrs.insert("Beard".to_string(), !no_beard);
        }
        out.insert(cols[0].to_string(), attrs);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celeba_table_is_read_with_beard_added() {
        let dir = std::env::temp_dir().join(format!("tte-celeba-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("attrs.tsv");
        std::fs::write(
            &path,
            "file\tBangs\tNo_Beard\n000007.jpg\t1\t-1\n000008.jpg\t-1\t1\n",
        )
        .unwrap();
        let t = read_celeba_attributes(&path).unwrap();
        assert!(t["000007.jpg"]["Bangs"] && t["000007.jpg"]["Beard"]);
        assert!(!t["000008.jpg"]["Bangs"] && !t["000008.jpg"]["Beard"]);
        std::fs::write(&path, "file\tBangs\n000007.jpg\tmaybe\n").unwrap();
        assert!(read_celeba_attributes(&path)
            .unwrap_err()
            .to_string()
            .contains("Bangs"));
    }
}
