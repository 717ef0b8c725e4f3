//! The degree reader: a continuous, monotone score per attribute on an aligned face, the
//! degrees 0-5 cut from it, and "not applicable" where an attribute cannot be edited.
//!
//! P ([`super::AttributePredictor`]) classifies degrees directly and, trained on few faces at the
//! in-between degrees, jumps between them (bangs read only 0, 3 or 5 along edit paths). The
//! reader instead regresses the teachers' continuous measures ([`Measure`]: forehead coverage,
//! frame strength and lens darkness, mouth opening and width, age in years, head yaw, and the
//! by-eye beard, sunglasses and glasses-presence labels) with the same patchify network, and
//! turns them into scores with fixed, monotone, piecewise-linear rules ([`ScoreRules`]) whose
//! knots sit on the paper's degree definitions (supplement tables A2-A6): degree `d` is read
//! where the score is in `[d - 0.5, d + 0.5)`. Scores are in degree units and keep a small
//! slope past 0 and 5, so they stay strictly monotone for a search over step lengths.
//!
//! Not applicable: a face turned away (|yaw| over [`ScoreRules::profile_yaw`]: bangs, glasses,
//! beard and smile) and a forehead covered by something that is not bangs (a hat; the
//! regressed occlusion over [`ScoreRules::occluded`]: bangs).
//!
//! The whole path from image to scores is candle ops ([`DegreeReader::scores_tensor`]), so
//! it can also supervise training through the generator.
//!
//! Sunglasses: the network regresses P's sunglasses belief poorly (its training paths held
//! almost no sunglasses, READER.md), so a reader may carry P itself as the sunglasses teacher
//! ([`DegreeReader::with_sunglasses_teacher`]): [`DegreeReader::read`] then takes that measure
//! from P's probability of degree 4 or 5, the very target the network was trained on. The
//! differentiable path ([`DegreeReader::scores_tensor`]) keeps the network's own measure.

use super::network::{image_tensor, AttributePredictor, PredictorConfig};
use super::PredictorError;
use crate::attributes::{Attribute, NUM_DEGREES};
use crate::perception::align::AlignedFace;
use crate::perception::geometry::Point;
use crate::perception::labeller::TeacherRecord;
use crate::perception::probes::LinearProbe;
use crate::perception::AgeEstimator;
use crate::tagged_file::{metadata_json, read_file, write_file_as, FileError};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// `metadata["format"]` of a saved reader.
pub const READER_FILE_FORMAT: &str = "tte-degree-reader-v1";

/// Images per forward pass in [`DegreeReader::read`].
const READ_BATCH: usize = 32;

/// The continuous teacher measures the reader's network regresses, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Share of the forehead box not covered: `1 - forehead_skin / 0.93`, clamped to 0-1.
    BangsCover,
    /// Frame strength: `bridge_edges + rim_edges`.
    Frame,
    /// Lens darkness: `eye_dark`.
    EyeDark,
    /// Lower-face darkness: `lower_dark`.
    LowerDark,
    /// Lower-face skin share: `lower_skin`.
    LowerSkin,
    /// Inner-lip gap / IOD.
    MouthOpen,
    /// Mouth-corner distance / IOD.
    MouthWidth,
    /// The age network's expected years / 10.
    AgeDecades,
    /// Head yaw from the landmarks ([`yaw_from_landmarks`]): 0 frontal, +-1 full profile.
    Yaw,
    /// The by-eye / probe beard degree (0-5) of `labels.csv` (only on the labelled faces).
    BeardDegree,
    /// 1 when the forehead is covered but the Bangs probe says no bangs (a hat), 0 when bare
    /// or bangs.
    ForeheadOccluded,
    /// 1 for sunglasses (by-eye labels 4-5), 0 for clear or no glasses.
    Sunglasses,
    /// 1 when the face wears glasses of any kind, 0 when it wears none (by-eye labels; P where
    /// it is sure and the frame measure agrees; elsewhere unknown). The frame measure grades
    /// frames but cannot tell thin frames from none (READER.md), so presence decides that.
    GlassesPresence,
}

/// All measures in output order.
pub const MEASURES: [Measure; 13] = [
    Measure::BangsCover,
    Measure::Frame,
    Measure::EyeDark,
    Measure::LowerDark,
    Measure::LowerSkin,
    Measure::MouthOpen,
    Measure::MouthWidth,
    Measure::AgeDecades,
    Measure::Yaw,
    Measure::BeardDegree,
    Measure::ForeheadOccluded,
    Measure::Sunglasses,
    Measure::GlassesPresence,
];
/// Number of regressed measures.
pub const NUM_MEASURES: usize = MEASURES.len();

/// Measures of a reader file written before [`Measure::GlassesPresence`] existed (the first
/// twelve of [`MEASURES`]). Such a reader still loads; its glasses are graded by the frame
/// alone, as they were when it was trained.
pub const MEASURES_BEFORE_PRESENCE: usize = 12;

impl Measure {
    /// Position in [`MEASURES`].
    pub fn index(self) -> usize {
        MEASURES.iter().position(|m| *m == self).unwrap_or(0)
    }
}

/// One value per [`Measure`]; `NaN` = unknown (left out of the loss).
pub type Measures = [f32; NUM_MEASURES];

/// `forehead_skin` of a typical bare forehead (see `perception::degree_labels`).
const BARE_FOREHEAD_SKIN: f32 = crate::perception::degree_labels::BARE_FOREHEAD_SKIN;

/// Head yaw from 68 landmarks: where the nose tip sits between the jaw's ends,
/// `(right - left) / (right + left)` of its horizontal distances to jaw points 0 and 16.
/// 0 frontal, towards +-1 in profile (the sign says which way).
pub fn yaw_from_landmarks(lm: &[Point]) -> f32 {
    if lm.len() != 68 {
        return 0.0;
    }
    let left = (lm[30][0] - lm[0][0]).max(0.0);
    let right = (lm[16][0] - lm[30][0]).max(0.0);
    if left + right <= 1e-6 {
        return 0.0;
    }
    ((right - left) / (right + left)) as f32
}

/// The teachers' measures of one face (the reader's training targets). `bangs_probe` (the
/// identity-embedding Bangs probe of `label_rules.json`) decides [`Measure::ForeheadOccluded`];
/// `labels` (degrees of `labels.csv`, 255 = unknown) give the beard and sunglasses targets.
pub fn teacher_measures(
    record: &TeacherRecord,
    bangs_probe: Option<&LinearProbe>,
    labels: Option<[u8; 5]>,
) -> Measures {
    let px = &record.pixels;
    let cover = (1.0 - px.forehead_skin / BARE_FOREHEAD_SKIN).clamp(0.0, 1.0);
    let mut m = [f32::NAN; NUM_MEASURES];
    m[Measure::BangsCover.index()] = cover;
    m[Measure::Frame.index()] = px.bridge_edges + px.rim_edges;
    m[Measure::EyeDark.index()] = px.eye_dark;
    m[Measure::LowerDark.index()] = px.lower_dark;
    m[Measure::LowerSkin.index()] = px.lower_skin;
    m[Measure::MouthOpen.index()] = px.mouth_open;
    m[Measure::MouthWidth.index()] = px.mouth_width;
    m[Measure::AgeDecades.index()] = record.age_years / 10.0;
    m[Measure::Yaw.index()] = yaw_from_landmarks(&record.crop_landmarks);
    let bangs_label = labels.map(|l| l[Attribute::Bangs.index()]);
    let probe = bangs_probe.map(|p| p.logit(&record.embedding));
    m[Measure::ForeheadOccluded.index()] =
        if cover < 0.25 || bangs_label.is_some_and(|b| (1..=5).contains(&b)) {
            0.0
        } else if cover > 0.45 && probe.is_some_and(|p| p < -0.7) {
            1.0
        } else {
            f32::NAN
        };
    if let Some(l) = labels {
        let beard = l[Attribute::Beard.index()];
        if (beard as usize) < NUM_DEGREES {
            m[Measure::BeardDegree.index()] = beard as f32;
        }
        let glasses = l[Attribute::Eyeglasses.index()];
        if (glasses as usize) < NUM_DEGREES {
            m[Measure::Sunglasses.index()] = if glasses >= 4 { 1.0 } else { 0.0 };
        }
    }
    m
}

/// A monotone piecewise-linear map given by knots `[x, y]` (x and y increasing). Past the end
/// knots it keeps [`TAIL_SLOPE`] of the end segments' slope, so it stays strictly increasing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knots(pub Vec<[f32; 2]>);

/// Share of the end segments' slope kept past the end knots.
pub const TAIL_SLOPE: f32 = 0.1;

impl Knots {
    fn check(&self, name: &str) -> Result<(), PredictorError> {
        let k = &self.0;
        let ok = k.len() >= 2
            && k.windows(2)
                .all(|w| w[1][0] > w[0][0] && w[1][1] >= w[0][1])
            && k.iter().all(|p| p[0].is_finite() && p[1].is_finite());
        if ok {
            Ok(())
        } else {
            Err(PredictorError::BadConfig(format!(
                "{name}: knots must be at least two with increasing x and non-decreasing y, got {k:?}"
            )))
        }
    }

    /// The map at `x`.
    pub fn at(&self, x: f32) -> f32 {
        let k = &self.0;
        let n = k.len();
        let slope = |i: usize| (k[i + 1][1] - k[i][1]) / (k[i + 1][0] - k[i][0]);
        if x <= k[0][0] {
            return k[0][1] + TAIL_SLOPE * slope(0) * (x - k[0][0]);
        }
        if x >= k[n - 1][0] {
            return k[n - 1][1] + TAIL_SLOPE * slope(n - 2) * (x - k[n - 1][0]);
        }
        let i = k.windows(2).position(|w| x < w[1][0]).unwrap_or(n - 2);
        k[i][1] + slope(i) * (x - k[i][0])
    }

    /// The map on a tensor (any shape), differentiable: a sum of clamped ramps.
    pub fn on_tensor(&self, x: &Tensor) -> Result<Tensor, PredictorError> {
        let k = &self.0;
        let n = k.len();
        let slope = |i: usize| ((k[i + 1][1] - k[i][1]) / (k[i + 1][0] - k[i][0])) as f64;
        let (x0, xn) = (k[0][0] as f64, k[n - 1][0] as f64);
        // Tails.
        let below = (x.minimum(x0)? - x0)?.affine(TAIL_SLOPE as f64 * slope(0), 0.0)?;
        let above = (x.maximum(xn)? - xn)?.affine(TAIL_SLOPE as f64 * slope(n - 2), 0.0)?;
        let mut out = (below + above)?.affine(1.0, k[0][1] as f64)?;
        for i in 0..n - 1 {
            let (a, b) = (k[i][0] as f64, k[i + 1][0] as f64);
            let ramp = (x.clamp(a, b)? - a)?.affine(slope(i), 0.0)?;
            out = (out + ramp)?;
        }
        Ok(out)
    }
}

/// The rules that turn measures into scores (degree units) and decide applicability. Stored
/// in the reader file's metadata; the defaults are the paper's degree definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRules {
    /// Bangs: forehead coverage (0-1) -> score; the paper's 20 % steps.
    pub bangs_cover: Knots,
    /// Clear glasses: frame strength -> score 0-3.5 (rimless / thin / thick).
    pub glasses_frame: Knots,
    /// Sunglasses: frame strength -> 0-1 (4 thin frame, 5 thick), added to 3.5 x 1.5.
    pub sunglasses_frame: Knots,
    /// Sunglasses belief -> weight of the sunglasses score (0-1).
    pub sunglasses_gate: Knots,
    /// Glasses presence -> the least clear-glasses score: glasses that are there read at
    /// least degree 1 however faint their frame measure.
    #[serde(default = "default_presence_floor")]
    pub glasses_presence_floor: Knots,
    /// Glasses presence -> the most clear-glasses score: without glasses a strong frame
    /// measure (dark brows, eye sockets) stays degree 0.
    #[serde(default = "default_presence_cap")]
    pub glasses_presence_cap: Knots,
    /// Beard: regressed beard degree -> score.
    pub beard_degree: Knots,
    /// Smiling, closed mouth: mouth width / IOD -> score 0-1.5.
    pub smile_width: Knots,
    /// Smiling, open mouth: inner-lip gap / IOD -> score 1.5-5.
    pub smile_open: Knots,
    /// Age: years -> score (the paper's bins 15 / 30 / 40 / 50 / 60 years).
    pub age_years: Knots,
    /// |yaw| above which the face is a profile (bangs, glasses, beard and smile not applicable).
    pub profile_yaw: f32,
    /// Regressed forehead occlusion above which bangs are not applicable.
    pub occluded: f32,
}

/// Presence 0.5 -> score 0 (the frame decides), 0.8 -> score 1 (degree 1, thin frames).
fn default_presence_floor() -> Knots {
    Knots(vec![[0.5, 0.0], [0.8, 1.0]])
}

/// Presence 0.2 -> at most score 0.45 (degree 0), 0.5 -> no cap below thick frames.
fn default_presence_cap() -> Knots {
    Knots(vec![[0.2, 0.45], [0.5, 3.49]])
}

impl Default for ScoreRules {
    fn default() -> Self {
        let k = |v: &[[f32; 2]]| Knots(v.to_vec());
        Self {
            bangs_cover: k(&[
                [0.0, 0.0],
                [0.12, 0.5],
                [0.2, 1.5],
                [0.4, 2.5],
                [0.6, 3.5],
                [0.8, 4.5],
                [1.0, 5.0],
            ]),
            // 0.95: above the frame measure of 85 % of generated faces (no glasses, the
            // body of the distribution ends near 0.9; glasses start near 1.1), measured on the
            // unmoved renders of the training seeds (READER.md). It was 0.55, the median face
            // without glasses, which read as degree 1 ("rimless").
            glasses_frame: k(&[
                [0.3, 0.0],
                [0.95, 0.5],
                [1.15, 1.5],
                [1.43, 2.5],
                [2.2, 3.49],
            ]),
            sunglasses_frame: k(&[[0.8, 0.0], [1.3, 0.34], [1.6, 0.66], [2.2, 1.0]]),
            sunglasses_gate: k(&[[0.3, 0.0], [0.6, 1.0]]),
            glasses_presence_floor: default_presence_floor(),
            glasses_presence_cap: default_presence_cap(),
            beard_degree: k(&[[0.0, 0.0], [5.0, 5.0]]),
            smile_width: k(&[[0.80, 0.0], [0.88, 0.5], [0.97, 1.5]]),
            smile_open: k(&[
                [0.015, 0.0],
                [0.03, 1.5],
                [0.09, 2.5],
                [0.16, 3.5],
                [0.22, 4.5],
                [0.30, 5.0],
            ]),
            age_years: k(&[
                [7.0, 0.0],
                [15.0, 0.5],
                [30.0, 1.5],
                [40.0, 2.5],
                [50.0, 3.5],
                [60.0, 4.5],
                [70.0, 5.0],
            ]),
            profile_yaw: 0.6,
            occluded: 0.5,
        }
    }
}

/// Why an attribute cannot be read or edited on a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotApplicable {
    /// The head is turned too far (profile).
    Profile,
    /// Something that is not bangs covers the forehead (a hat).
    ForeheadOccluded,
}

/// One attribute's reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AttributeScore {
    /// Continuous score in degree units (monotone in the attribute; slightly below 0 or above
    /// 5 at the extremes).
    pub score: f32,
    /// The degree cut from the score: `round(score)` clamped to 0-5.
    pub degree: u8,
    /// `Some(reason)` when the attribute cannot be edited on this face.
    pub not_applicable: Option<NotApplicable>,
}

impl AttributeScore {
    /// The degree, or `None` when not applicable.
    pub fn applicable_degree(&self) -> Option<u8> {
        match self.not_applicable {
            None => Some(self.degree),
            Some(_) => None,
        }
    }
}

/// The reader's answer for one face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceReading {
    /// Per attribute, in [`Attribute::ALL`] order.
    pub scores: [AttributeScore; 5],
    /// The regressed measures behind the scores (in [`MEASURES`] order; age in decades).
    pub measures: Measures,
}

impl FaceReading {
    pub fn get(&self, attribute: Attribute) -> &AttributeScore {
        &self.scores[attribute.index()]
    }

    pub fn score(&self, attribute: Attribute) -> f32 {
        self.get(attribute).score
    }

    /// The degree of `attribute`, `None` when not applicable.
    pub fn degree(&self, attribute: Attribute) -> Option<u8> {
        self.get(attribute).applicable_degree()
    }
}

/// The degree cut from a score: `round(score)` clamped to 0-5.
pub fn degree_of(score: f32) -> u8 {
    if score.is_nan() {
        return 0;
    }
    score.round().clamp(0.0, (NUM_DEGREES - 1) as f32) as u8
}

impl ScoreRules {
    /// Checks every knot list.
    pub fn validate(&self) -> Result<(), PredictorError> {
        for (name, k) in [
            ("bangs_cover", &self.bangs_cover),
            ("glasses_frame", &self.glasses_frame),
            ("sunglasses_frame", &self.sunglasses_frame),
            ("sunglasses_gate", &self.sunglasses_gate),
            ("glasses_presence_floor", &self.glasses_presence_floor),
            ("glasses_presence_cap", &self.glasses_presence_cap),
            ("beard_degree", &self.beard_degree),
            ("smile_width", &self.smile_width),
            ("smile_open", &self.smile_open),
            ("age_years", &self.age_years),
        ] {
            k.check(name)?;
        }
        Ok(())
    }

    /// Scores (degree units, [`Attribute::ALL`] order) from measures.
    pub fn scores(&self, m: &Measures) -> [f32; 5] {
        let g = |x: Measure| m[x.index()];
        let bangs = self.bangs_cover.at(g(Measure::BangsCover));
        // f32::min / max ignore a NaN presence (unknown): the frame alone decides.
        let presence = g(Measure::GlassesPresence);
        let clear = self
            .glasses_frame
            .at(g(Measure::Frame))
            .min(self.glasses_presence_cap.at(presence))
            .max(self.glasses_presence_floor.at(presence));
        let gate = self
            .sunglasses_gate
            .at(g(Measure::Sunglasses))
            .clamp(0.0, 1.0);
        let sun = 3.5 + 1.5 * self.sunglasses_frame.at(g(Measure::Frame)).clamp(0.0, 1.0);
        let glasses = clear.max(gate * sun);
        let beard = self.beard_degree.at(g(Measure::BeardDegree));
        let smile = self
            .smile_width
            .at(g(Measure::MouthWidth))
            .min(1.5)
            .max(self.smile_open.at(g(Measure::MouthOpen)));
        let age = self.age_years.at(10.0 * g(Measure::AgeDecades));
        [bangs, glasses, beard, smile, age]
    }

    /// [`ScoreRules::scores`] on a `[b, m]` measures tensor -> `[b, 5]`, differentiable (`m`:
    /// [`NUM_MEASURES`], or [`MEASURES_BEFORE_PRESENCE`] for a reader without presence).
    pub fn scores_tensor(&self, m: &Tensor) -> Result<Tensor, PredictorError> {
        let col = |x: Measure| m.narrow(1, x.index(), 1);
        let bangs = self.bangs_cover.on_tensor(&col(Measure::BangsCover)?)?;
        let frame = col(Measure::Frame)?;
        let mut clear = self.glasses_frame.on_tensor(&frame)?;
        // A reader without the presence measure grades glasses by the frame alone.
        if m.dim(1)? > Measure::GlassesPresence.index() {
            let presence = col(Measure::GlassesPresence)?;
            clear = clear
                .minimum(&self.glasses_presence_cap.on_tensor(&presence)?)?
                .maximum(&self.glasses_presence_floor.on_tensor(&presence)?)?;
        }
        let gate = self
            .sunglasses_gate
            .on_tensor(&col(Measure::Sunglasses)?)?
            .clamp(0f32, 1f32)?;
        let sun = self
            .sunglasses_frame
            .on_tensor(&frame)?
            .clamp(0f32, 1f32)?
            .affine(1.5, 3.5)?;
        let glasses = clear.maximum(&(gate * sun)?)?;
        let beard = self.beard_degree.on_tensor(&col(Measure::BeardDegree)?)?;
        let smile = self
            .smile_width
            .on_tensor(&col(Measure::MouthWidth)?)?
            .minimum(1.5f32)?
            .maximum(&self.smile_open.on_tensor(&col(Measure::MouthOpen)?)?)?;
        let age = self
            .age_years
            .on_tensor(&col(Measure::AgeDecades)?.affine(10.0, 0.0)?)?;
        Ok(Tensor::cat(&[&bangs, &glasses, &beard, &smile, &age], 1)?)
    }

    /// The full reading from measures. `yaw` overrides the regressed yaw (from landmarks, when
    /// a detector found them).
    pub fn reading(&self, m: Measures, yaw: Option<f32>) -> FaceReading {
        let scores = self.scores(&m);
        let yaw = yaw.unwrap_or(m[Measure::Yaw.index()]);
        let profile = yaw.abs() > self.profile_yaw;
        let occluded = m[Measure::ForeheadOccluded.index()] > self.occluded;
        let mut out = [AttributeScore {
            score: 0.0,
            degree: 0,
            not_applicable: None,
        }; 5];
        for (i, a) in Attribute::ALL.iter().enumerate() {
            let not_applicable = if profile && *a != Attribute::Age {
                Some(NotApplicable::Profile)
            } else if occluded && *a == Attribute::Bangs {
                Some(NotApplicable::ForeheadOccluded)
            } else {
                None
            };
            out[i] = AttributeScore {
                score: scores[i],
                degree: degree_of(scores[i]),
                not_applicable,
            };
        }
        FaceReading {
            scores: out,
            measures: m,
        }
    }
}

/// The reader: network + target normalisation + rules.
#[derive(Debug, Clone)]
pub struct DegreeReader {
    net: AttributePredictor,
    /// Per measure `(mean, std)`: the network predicts `(measure - mean) / std`.
    normalisation: Vec<[f32; 2]>,
    rules: ScoreRules,
    /// P, when it reads the sunglasses measure in [`Self::read`].
    sunglasses_teacher: Option<AttributePredictor>,
}

impl DegreeReader {
    /// Wraps a trained network (its `outputs` must be [`NUM_MEASURES`], or
    /// [`MEASURES_BEFORE_PRESENCE`] for a reader without glasses presence).
    pub fn new(
        net: AttributePredictor,
        normalisation: Vec<[f32; 2]>,
        rules: ScoreRules,
    ) -> Result<Self, PredictorError> {
        let outputs = net.config().outputs;
        if ![NUM_MEASURES, MEASURES_BEFORE_PRESENCE].contains(&outputs)
            || normalisation.len() != outputs
        {
            return Err(PredictorError::BadConfig(format!(
                "a reader regresses {NUM_MEASURES} measures ({MEASURES_BEFORE_PRESENCE} without glasses presence); network has {outputs} outputs, normalisation {}",
                normalisation.len()
            )));
        }
        rules.validate()?;
        Ok(Self {
            net,
            normalisation,
            rules,
            sunglasses_teacher: None,
        })
    }

    /// The same reader, reading the sunglasses measure with `p` (P: the probability of
    /// eyeglasses degree 4 or 5) instead of its network.
    pub fn with_sunglasses_teacher(mut self, p: AttributePredictor) -> Self {
        self.sunglasses_teacher = Some(p);
        self
    }

    /// Whether [`Self::read`] takes the sunglasses measure from P.
    pub fn has_sunglasses_teacher(&self) -> bool {
        self.sunglasses_teacher.is_some()
    }

    pub fn network(&self) -> &AttributePredictor {
        &self.net
    }

    pub fn rules(&self) -> &ScoreRules {
        &self.rules
    }

    /// Replaces the rules (e.g. re-tuned cut points) keeping the network.
    pub fn with_rules(mut self, rules: ScoreRules) -> Result<Self, PredictorError> {
        rules.validate()?;
        self.rules = rules;
        Ok(self)
    }

    pub fn normalisation(&self) -> &[[f32; 2]] {
        &self.normalisation
    }

    /// Input side in pixels (128).
    pub fn input_size(&self) -> usize {
        self.net.config().input_size
    }

    /// The measures this reader regresses (all of [`MEASURES`], or the first
    /// [`MEASURES_BEFORE_PRESENCE`]).
    pub fn measures(&self) -> &'static [Measure] {
        &MEASURES[..self.normalisation.len()]
    }

    /// `[b, 3, s, s]` images in `[-1, 1]` -> `[b, m]` measures (denormalised; `m` =
    /// `self.measures().len()`). Differentiable.
    pub fn measures_tensor(&self, images: &Tensor) -> Result<Tensor, PredictorError> {
        let z = self
            .net
            .forward_outputs::<rand::rngs::StdRng>(images, None)?;
        let device = z.device();
        let n = self.normalisation.len();
        let mean: Vec<f32> = self.normalisation.iter().map(|p| p[0]).collect();
        let std: Vec<f32> = self.normalisation.iter().map(|p| p[1]).collect();
        let mean = Tensor::from_vec(mean, (1, n), device)?;
        let std = Tensor::from_vec(std, (1, n), device)?;
        Ok(z.broadcast_mul(&std)?.broadcast_add(&mean)?)
    }

    /// `[b, 3, s, s]` images in `[-1, 1]` -> `[b, 5]` scores in degree units
    /// ([`Attribute::ALL`] order). Differentiable with respect to the images.
    pub fn scores_tensor(&self, images: &Tensor) -> Result<Tensor, PredictorError> {
        self.rules.scores_tensor(&self.measures_tensor(images)?)
    }

    /// Reads aligned faces (the FFHQ / generator frame, any size; resized to the input).
    /// Applicability uses the regressed yaw.
    pub fn read(&self, images: &[RgbImage]) -> Result<Vec<FaceReading>, PredictorError> {
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(READ_BATCH) {
            let xs = image_tensor(chunk, self.input_size(), self.net.device())?;
            let m = self.measures_tensor(&xs)?.to_vec2::<f32>()?;
            let sunglasses = match &self.sunglasses_teacher {
                Some(p) => Some(sunglasses_belief(p, chunk)?),
                None => None,
            };
            for (i, row) in m.into_iter().enumerate() {
                // Measures this reader lacks stay unknown (NaN).
                let mut a = [f32::NAN; NUM_MEASURES];
                a[..row.len()].copy_from_slice(&row);
                if let Some(belief) = &sunglasses {
                    a[Measure::Sunglasses.index()] = belief[i];
                }
                out.push(self.rules.reading(a, None));
            }
        }
        Ok(out)
    }

    /// Reads one aligned face whose 68 landmarks (in `crop` pixels) are known: the yaw comes
    /// from the landmarks instead of the network.
    pub fn read_with_landmarks(
        &self,
        crop: &RgbImage,
        landmarks: &[Point],
    ) -> Result<FaceReading, PredictorError> {
        let r = self.read(std::slice::from_ref(crop))?.remove(0);
        Ok(self
            .rules
            .reading(r.measures, Some(yaw_from_landmarks(landmarks))))
    }

    /// Reads the largest face of a real photo, `aligned` from it: the reader's scores with the
    /// yaw from the landmarks and, with `age`, the age read by the age network on the photo
    /// itself. The reader's age is a regression of that network learnt on generated skin: on the
    /// measured CelebA half it separates CelebA's `Young` label with AUC 0.68 against the
    /// network's 0.87 (READER.md), so a photo's age is the network's.
    pub fn read_photo(
        &self,
        photo: &RgbImage,
        aligned: &AlignedFace,
        age: Option<&AgeEstimator>,
    ) -> Result<FaceReading, PredictorError> {
        let landmarks = aligned.crop_landmarks();
        let reading = self.read_with_landmarks(&aligned.crop, &landmarks.0)?;
        let Some(age) = age else {
            return Ok(reading);
        };
        let years = age
            .estimate(photo, &aligned.landmarks)
            .map_err(|e| PredictorError::BadInput(format!("reading the photo's age: {e}")))?
            .expected_years;
        let mut measures = reading.measures;
        measures[Measure::AgeDecades.index()] = years / 10.0;
        Ok(self
            .rules
            .reading(measures, Some(yaw_from_landmarks(&landmarks.0))))
    }

    /// Writes the network (f16 when `half`), normalisation and rules to one file.
    pub fn save_file(&self, path: &Path, half: bool) -> Result<(), PredictorError> {
        let json = |v: &dyn erased::Json| v.json().map_err(|e| PredictorError::file(path, e));
        let metadata = HashMap::from([
            ("format".to_string(), READER_FILE_FORMAT.to_string()),
            ("config".to_string(), json(self.net.config())?),
            ("normalisation".to_string(), json(&self.normalisation)?),
            ("rules".to_string(), json(&self.rules)?),
            ("measures".to_string(), json(&self.measures().to_vec())?),
        ]);
        write_file_as(path, &self.net.named_tensors(), metadata, half)
    }

    /// Loads a file written by [`DegreeReader::save_file`].
    pub fn load_file(path: &Path, device: &Device) -> Result<Self, PredictorError> {
        let (tensors, metadata) = read_file::<PredictorError>(path, READER_FILE_FORMAT, device)?;
        let config: PredictorConfig =
            metadata_json::<_, PredictorError>(path, &metadata, "config")?;
        let normalisation: Vec<[f32; 2]> =
            metadata_json::<_, PredictorError>(path, &metadata, "normalisation")?;
        let rules: ScoreRules = metadata_json::<_, PredictorError>(path, &metadata, "rules")?;
        let measures: Vec<Measure> =
            metadata_json::<_, PredictorError>(path, &metadata, "measures")?;
        if measures != MEASURES && measures != MEASURES[..MEASURES_BEFORE_PRESENCE] {
            return Err(PredictorError::file(
                path,
                format!("measures {measures:?} differ from this build's {MEASURES:?}"),
            ));
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let net = AttributePredictor::load(vb, &config).map_err(|e| match e {
            PredictorError::Candle(e) => {
                PredictorError::file(path, format!("weights do not match the config: {e}"))
            }
            other => other,
        })?;
        Self::new(net, normalisation, rules)
    }
}

/// P's probability of eyeglasses degree 4 or 5 (sunglasses) for each aligned face: the target
/// the reader's sunglasses measure was trained on, read by P itself.
pub fn sunglasses_belief(
    p: &AttributePredictor,
    faces: &[RgbImage],
) -> Result<Vec<f32>, PredictorError> {
    Ok(p.predict(faces)?.iter().map(|pr| pr.sunglasses()).collect())
}

/// Serialising a few different types to JSON strings through one closure.
mod erased {
    pub trait Json {
        fn json(&self) -> Result<String, String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, String> {
            serde_json::to_string(self).map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knots_are_monotone_with_tails_and_match_the_tensor_version() {
        let k = ScoreRules::default().bangs_cover;
        let xs: Vec<f32> = (-20..=140).map(|i| i as f32 / 100.0).collect();
        let ys: Vec<f32> = xs.iter().map(|&x| k.at(x)).collect();
        assert!(ys.windows(2).all(|w| w[1] > w[0]), "{ys:?}");
        assert!((k.at(0.2) - 1.5).abs() < 1e-6 && (k.at(0.5) - 3.0).abs() < 1e-6);
        let t = Tensor::from_vec(xs.clone(), (xs.len(), 1), &Device::Cpu).unwrap();
        let yt = k
            .on_tensor(&t)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (a, b) in ys.iter().zip(&yt) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn degrees_are_cut_at_half_points_and_every_degree_occurs() {
        assert_eq!(degree_of(-0.3), 0);
        assert_eq!(degree_of(0.49), 0);
        assert_eq!(degree_of(0.51), 1);
        assert_eq!(degree_of(4.6), 5);
        assert_eq!(degree_of(7.0), 5);
        // Ages along a lifetime produce all six degrees, in order.
        let rules = ScoreRules::default();
        let mut m = [0f32; NUM_MEASURES];
        let mut seen = Vec::new();
        for years in [5.0, 20.0, 35.0, 45.0, 55.0, 75.0] {
            m[Measure::AgeDecades.index()] = years / 10.0;
            seen.push(rules.reading(m, Some(0.0)).degree(Attribute::Age).unwrap());
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn profile_and_covered_forehead_are_not_applicable() {
        let rules = ScoreRules::default();
        let mut m = [0f32; NUM_MEASURES];
        m[Measure::MouthWidth.index()] = 0.85;
        let frontal = rules.reading(m, Some(0.05));
        assert!(frontal.scores.iter().all(|s| s.not_applicable.is_none()));
        let profile = rules.reading(m, Some(0.9));
        assert_eq!(
            profile.get(Attribute::Bangs).not_applicable,
            Some(NotApplicable::Profile)
        );
        assert_eq!(profile.degree(Attribute::Smiling), None);
        assert!(profile.degree(Attribute::Age).is_some());
        m[Measure::ForeheadOccluded.index()] = 0.9;
        let hat = rules.reading(m, Some(0.0));
        assert_eq!(
            hat.get(Attribute::Bangs).not_applicable,
            Some(NotApplicable::ForeheadOccluded)
        );
        assert!(hat.degree(Attribute::Eyeglasses).is_some());
    }

    #[test]
    fn scores_on_tensors_match_the_scalar_rules() {
        let rules = ScoreRules::default();
        let rows: Vec<Measures> = (0..7)
            .map(|i| {
                let t = i as f32 / 6.0;
                let mut m = [0f32; NUM_MEASURES];
                m[Measure::BangsCover.index()] = t;
                m[Measure::Frame.index()] = 2.5 * t;
                m[Measure::Sunglasses.index()] = t;
                m[Measure::GlassesPresence.index()] = t;
                m[Measure::BeardDegree.index()] = 5.0 * t;
                m[Measure::MouthWidth.index()] = 0.8 + 0.3 * t;
                m[Measure::MouthOpen.index()] = 0.3 * t;
                m[Measure::AgeDecades.index()] = 0.5 + 7.0 * t;
                m
            })
            .collect();
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let t = Tensor::from_vec(flat, (rows.len(), NUM_MEASURES), &Device::Cpu).unwrap();
        let st = rules.scores_tensor(&t).unwrap().to_vec2::<f32>().unwrap();
        for (m, row) in rows.iter().zip(&st) {
            let s = rules.scores(m);
            for (a, b) in s.iter().zip(row) {
                assert!((a - b).abs() < 1e-4, "{s:?} vs {row:?}");
            }
        }
        // Every attribute's score rises along this synthetic path.
        for a in 0..5 {
            assert!(
                st.windows(2).all(|w| w[1][a] > w[0][a]),
                "attribute {a}: {st:?}"
            );
        }
    }

    #[test]
    fn presence_decides_glasses_or_none_and_the_frame_grades_them() {
        let rules = ScoreRules::default();
        let degree = |frame: f32, presence: f32| {
            let mut m = [0f32; NUM_MEASURES];
            m[Measure::Frame.index()] = frame;
            m[Measure::GlassesPresence.index()] = presence;
            rules.reading(m, Some(0.0)).degree(Attribute::Eyeglasses)
        };
        // Thin frames the frame measure puts among faces without glasses (READER.md: 0.47-0.9).
        assert_eq!(degree(0.6, 0.95), Some(1));
        assert_eq!(degree(0.6, 0.05), Some(0));
        // Dark brows or eye sockets with a strong frame measure and no glasses.
        assert_eq!(degree(1.3, 0.05), Some(0));
        // Glasses that are there: the frame grades them.
        assert_eq!(degree(1.3, 0.95), Some(2));
        assert_eq!(degree(2.0, 0.95), Some(3));
        // Unknown presence: the frame alone, as before.
        assert_eq!(degree(1.3, f32::NAN), Some(2));
        assert_eq!(degree(0.6, f32::NAN), Some(0));
    }

    #[test]
    fn a_reader_without_presence_loads_and_grades_glasses_by_the_frame() {
        let device = Device::Cpu;
        let varmap = candle_nn::VarMap::new();
        let config = PredictorConfig {
            outputs: MEASURES_BEFORE_PRESENCE,
            widths: vec![8, 8, 8, 8],
            hidden: 8,
            ..PredictorConfig::default()
        };
        let net = AttributePredictor::load(
            VarBuilder::from_varmap(&varmap, DType::F32, &device),
            &config,
        )
        .unwrap();
        let normalisation = vec![[0.5f32, 0.2]; MEASURES_BEFORE_PRESENCE];
        let reader = DegreeReader::new(net, normalisation, ScoreRules::default()).unwrap();
        assert_eq!(reader.measures(), &MEASURES[..MEASURES_BEFORE_PRESENCE]);
        let dir = std::env::temp_dir().join(format!("tte-reader-legacy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reader.safetensors");
        reader.save_file(&path, false).unwrap();
        let loaded = DegreeReader::load_file(&path, &device).unwrap();
        let image = RgbImage::from_fn(128, 128, |x, y| {
            image::Rgb([(x * 2) as u8, (y * 2) as u8, 90])
        });
        let reading = loaded.read(std::slice::from_ref(&image)).unwrap().remove(0);
        assert!(reading.measures[Measure::GlassesPresence.index()].is_nan());
        // The scalar rules with unknown presence and the tensor rules on twelve columns agree,
        // and both equal the frame-only rule.
        let xs = image_tensor(std::slice::from_ref(&image), 128, &device).unwrap();
        let tensor_scores = loaded.scores_tensor(&xs).unwrap().to_vec2::<f32>().unwrap();
        let rules = ScoreRules::default();
        for (i, a) in Attribute::ALL.iter().enumerate() {
            assert!(
                (reading.score(*a) - tensor_scores[0][i]).abs() < 1e-4,
                "{a:?}"
            );
        }
        let frame = reading.measures[Measure::Frame.index()];
        let sun = reading.measures[Measure::Sunglasses.index()];
        let frame_only = rules.glasses_frame.at(frame).max(
            rules.sunglasses_gate.at(sun).clamp(0.0, 1.0)
                * (3.5 + 1.5 * rules.sunglasses_frame.at(frame).clamp(0.0, 1.0)),
        );
        assert!((reading.score(Attribute::Eyeglasses) - frame_only).abs() < 1e-5);
        // A file whose measures are neither list is refused.
        let wrong = DegreeReader::new(
            AttributePredictor::load(
                VarBuilder::from_varmap(&candle_nn::VarMap::new(), DType::F32, &device),
                &PredictorConfig {
                    outputs: 5,
                    ..config
                },
            )
            .unwrap(),
            vec![[0.0, 1.0]; 5],
            ScoreRules::default(),
        );
        assert!(wrong.is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn yaw_is_zero_frontal_and_large_in_profile() {
        let mut lm = vec![[0.0, 0.0]; 68];
        lm[0] = [50.0, 100.0];
        lm[16] = [200.0, 100.0];
        lm[30] = [125.0, 150.0];
        assert!(yaw_from_landmarks(&lm).abs() < 1e-6);
        lm[30] = [60.0, 150.0];
        assert!(yaw_from_landmarks(&lm) > 0.8);
        assert_eq!(yaw_from_landmarks(&lm[..5]), 0.0);
    }
}
