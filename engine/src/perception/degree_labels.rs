//! The labelling rules: from teacher records ([`super::labeller::TeacherRecord`]) to the 6
//! fine-grained degrees of the paper's supplement (tables A2-A6), or [`UNKNOWN`] where the
//! teachers disagree or a face sits on a boundary (that head is left out of the predictor's loss
//! for that face). `models/LABELS.md` documents each rule with example images; the thresholds
//! below were read off contact sheets of generated faces sorted by each measure and off
//! CelebA's training half (`000007`-`000256`) — never the held-out half.
//!
//! - **age** (`age-v1`'s expected years): the paper's bins, under 15 / 15-30 / 30-40 / 40-50 /
//!   50-60 / over 60.
//! - **bangs**: presence from the identity-embedding Bangs probe (fitted on CelebA's training
//!   half); amount from the share of skin in the forehead box, `forehead_skin`, divided by its
//!   typical value on bare foreheads ([`BARE_FOREHEAD_SKIN`]): exposed >= 80 % -> 1, 60-80 % -> 2,
//!   40-60 % -> 3, 20-40 % -> 4, under 20 % -> 5 (the paper's 80/60/40/20/0 % steps).
//! - **eyeglasses**: presence from frame edges on the nose bridge, backed by the Eyeglasses
//!   probe in the weak band; frame thickness (bridge + lower-rim edge energy) cut at the
//!   terciles of clear glasses (1 thin/rimless, 2 medium, 3 thick). Sunglasses (4 thin frame,
//!   5 thick) are labelled by eye ([`ByEyeLabels`]): glasses wearers with dark eye boxes are
//!   unknown unless looked at.
//! - **beard**: by eye. No teacher measured beards on generated faces usefully (a logistic score
//!   on lower-face darkness, skin share and texture reached AUC 0.78 on CelebA but ranked women
//!   and shadows above beards on generated faces), so beards were labelled by eye on contact
//!   sheets ([`ByEyeLabels`]): a random sample of adult faces, then the faces an embedding probe
//!   fitted on those labels ranked most bearded (active sampling for the rare class). The same
//!   probe labels the rest: faces under [`BEARDLESS_AGE`] years and faces scoring below
//!   `beard_absent_below` (the 10th percentile of the bearded faces' cross-validated scores) are
//!   0, the others unknown. Degrees 1-3 occur; long beards (4-5) are absent from the sample.
//! - **smiling**: from the 68 landmarks. Mouth closed (inner-lip gap under
//!   [`MOUTH_CLOSED`] x IOD): 0 if the mouth is narrow (corners under [`NO_SMILE_WIDTH`] x IOD
//!   apart), 1 (closed-mouth smile) if wide (over [`SMILE_WIDTH`]), else unknown. Mouth open
//!   and wide enough to be a smile: the inner-lip gap grades it, 2 some teeth, 3 a whole row,
//!   4 laughing, 5 wide open ([`MOUTH_OPEN_CUTS`]). An open but narrow mouth is unknown.

use super::labeller::{fit_probes, TeacherRecord};
use super::probes::LinearProbe;
use super::PerceptionError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A label the rules cannot decide.
pub const UNKNOWN: u8 = 255;

/// `forehead_skin` of a typical bare forehead (the median among generated faces whose Bangs
/// probe is clearly negative is 0.93: hairlines and shadows enter the box).
pub const BARE_FOREHEAD_SKIN: f32 = 0.93;
/// Bangs probe logits: above `PRESENT` bangs, below `ABSENT` none, between unknown.
pub const BANGS_PROBE_PRESENT: f32 = 0.3;
pub const BANGS_PROBE_ABSENT: f32 = -0.7;

/// Bridge edge energy above which a face wears glasses whatever the probe says.
pub const GLASSES_BRIDGE_SURE: f32 = 0.5;
/// Bridge edge energy below which a face wears none (unless the probe is sure).
pub const GLASSES_BRIDGE_NONE: f32 = 0.2;
/// Eyeglasses probe logit that confirms glasses in the weak band.
pub const GLASSES_PROBE_PRESENT: f32 = -0.6;
/// `eye_dark` from which a face with glasses may wear sunglasses: such faces are labelled
/// only by eye ([`ByEyeLabels`]), else unknown. No pixel measure tried (eye-box darkness,
/// its 90th percentile, lens uniformity) told dark lenses from thick dark frames reliably.
pub const SUNGLASSES_CANDIDATE_DARK: f32 = 0.7;

/// Below this expected age (years) a face is beardless.
pub const BEARDLESS_AGE: f32 = 13.0;
/// Folds of the beard probe's cross-validation.
const BEARD_FOLDS: usize = 5;

/// Smiling: inner-lip gap / IOD under which the mouth is closed.
pub const MOUTH_CLOSED: f32 = 0.03;
/// Mouth width / IOD under which a closed mouth is not smiling, and over which it smiles.
pub const NO_SMILE_WIDTH: f32 = 0.88;
pub const SMILE_WIDTH: f32 = 0.97;
/// An open mouth narrower than this (/ IOD) is not graded (talking, surprise).
pub const OPEN_SMILE_MIN_WIDTH: f32 = 0.85;
/// Inner-lip gap / IOD cuts between smiling degrees 2|3, 3|4 and 4|5.
pub const MOUTH_OPEN_CUTS: [f32; 3] = [0.09, 0.16, 0.22];

/// The fitted parts of the rules (probes, beard score, tercile and quantile cuts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelRules {
    pub bangs_probe: LinearProbe,
    pub eyeglasses_probe: LinearProbe,
    /// Identity-embedding probe for "has a beard", fitted on the by-eye beard labels.
    pub beard_probe: LinearProbe,
    /// Frame-thickness cuts (on `bridge_edges + rim_edges`) between degrees 1|2 and 2|3.
    pub clear_frame_cuts: [f32; 2],
    /// Beard probe logit below which an unlabelled adult is beardless.
    pub beard_absent_below: f32,
}

/// How a face's glasses look, before thickness is graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glasses {
    None,
    Clear,
    MaybeDark,
    Unknown,
}

fn frame_thickness(r: &TeacherRecord) -> f32 {
    r.pixels.bridge_edges + r.pixels.rim_edges
}

fn quantile(mut v: Vec<f32>, q: f32) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    let i = ((v.len() - 1) as f32 * q).round() as usize;
    v[i]
}

impl LabelRules {
    /// Fits the Bangs and Eyeglasses probes on CelebA's labelled training half, the beard probe
    /// on the by-eye beard labels of generated faces, and the tercile cuts on the generated pool
    /// (`(seed, record)` pairs).
    pub fn fit(
        celeba: &[(TeacherRecord, HashMap<String, bool>)],
        generated: &[(u64, TeacherRecord)],
        by_eye: &ByEyeLabels,
    ) -> Result<Self, PerceptionError> {
        let embeddings: Vec<Vec<f32>> = celeba.iter().map(|(r, _)| r.embedding.clone()).collect();
        let labels: Vec<HashMap<String, bool>> = celeba.iter().map(|(_, l)| l.clone()).collect();
        let probes = fit_probes(&embeddings, &labels, 1e-3)?;
        let probe = |name: &str| {
            probes
                .iter()
                .find(|p| p.target == name)
                .cloned()
                .ok_or_else(|| PerceptionError::BadInput(format!("no {name} probe")))
        };
        let (beard_probe, beard_absent_below) = fit_beard_probe(generated, by_eye)?;
        let mut rules = LabelRules {
            bangs_probe: probe("Bangs")?,
            eyeglasses_probe: probe("Eyeglasses")?,
            beard_probe,
            beard_absent_below,
            clear_frame_cuts: [0.0; 2],
        };
        let generated: Vec<&TeacherRecord> = generated.iter().map(|(_, r)| r).collect();
        if generated.is_empty() {
            return Err(PerceptionError::BadInput(
                "no generated faces to calibrate on".into(),
            ));
        }
        let glasses: Vec<Glasses> = generated.iter().map(|r| rules.glasses(r)).collect();
        let thickness = |kind: Glasses| -> Vec<f32> {
            generated
                .iter()
                .zip(&glasses)
                .filter(|(_, &g)| g == kind)
                .map(|(r, _)| frame_thickness(r))
                .collect()
        };
        let clear = thickness(Glasses::Clear);
        rules.clear_frame_cuts = [
            quantile(clear.clone(), 1.0 / 3.0),
            quantile(clear, 2.0 / 3.0),
        ];
        if !(rules.clear_frame_cuts.iter().all(|v| v.is_finite())) {
            return Err(PerceptionError::BadInput(
                "too few generated faces with glasses to calibrate".into(),
            ));
        }
        Ok(rules)
    }

    fn glasses(&self, r: &TeacherRecord) -> Glasses {
        let bridge = r.pixels.bridge_edges;
        let probe = self.eyeglasses_probe.logit(&r.embedding);
        let present = bridge >= GLASSES_BRIDGE_SURE
            || (bridge >= GLASSES_BRIDGE_NONE && probe >= GLASSES_PROBE_PRESENT);
        if present {
            if r.pixels.eye_dark >= SUNGLASSES_CANDIDATE_DARK {
                Glasses::MaybeDark
            } else {
                Glasses::Clear
            }
        } else if bridge < GLASSES_BRIDGE_NONE && probe < GLASSES_PROBE_PRESENT {
            Glasses::None
        } else {
            Glasses::Unknown
        }
    }

    /// The degrees of one face, in [`crate::Attribute`] order (bangs, eyeglasses, beard,
    /// smiling, age); [`UNKNOWN`] where undecided.
    pub fn degrees(&self, r: &TeacherRecord) -> [u8; 5] {
        [
            self.bangs(r),
            self.eyeglasses(r),
            self.beard(r),
            smiling(r),
            age(r),
        ]
    }

    fn bangs(&self, r: &TeacherRecord) -> u8 {
        let probe = self.bangs_probe.logit(&r.embedding);
        if probe < BANGS_PROBE_ABSENT {
            return 0;
        }
        if probe < BANGS_PROBE_PRESENT {
            return UNKNOWN;
        }
        let exposed = (r.pixels.forehead_skin / BARE_FOREHEAD_SKIN).min(1.0);
        match exposed {
            e if e >= 0.8 => 1,
            e if e >= 0.6 => 2,
            e if e >= 0.4 => 3,
            e if e >= 0.2 => 4,
            _ => 5,
        }
    }

    fn eyeglasses(&self, r: &TeacherRecord) -> u8 {
        let t = frame_thickness(r);
        match self.glasses(r) {
            Glasses::None => 0,
            Glasses::Unknown | Glasses::MaybeDark => UNKNOWN,
            Glasses::Clear => {
                1 + (t >= self.clear_frame_cuts[0]) as u8 + (t >= self.clear_frame_cuts[1]) as u8
            }
        }
    }

    fn beard(&self, r: &TeacherRecord) -> u8 {
        if r.age_years < BEARDLESS_AGE
            || self.beard_probe.logit(&r.embedding) < self.beard_absent_below
        {
            0
        } else {
            UNKNOWN
        }
    }
}

/// Labels given by looking at the faces (`models/trained/predictor/by_eye.csv`: `seed,
/// attribute, degree, note`), which override the rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByEyeLabels(pub HashMap<(u64, crate::Attribute), u8>);

impl ByEyeLabels {
    /// Parses the CSV text (a header line, then one label per line; `#` starts a comment).
    pub fn parse(text: &str) -> Result<Self, PerceptionError> {
        let mut out = HashMap::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |what: &str| {
                PerceptionError::BadInput(format!("by-eye labels line {}: {what}", n + 1))
            };
            let cols: Vec<&str> = line.splitn(4, ',').map(str::trim).collect();
            if cols.len() < 3 {
                return Err(bad("expected seed,attribute,degree[,note]"));
            }
            let seed: u64 = cols[0].parse().map_err(|_| bad("bad seed"))?;
            let attribute = crate::Attribute::ALL
                .into_iter()
                .find(|a| a.name() == cols[1])
                .ok_or_else(|| bad("unknown attribute"))?;
            let degree: u8 = cols[2].parse().map_err(|_| bad("bad degree"))?;
            if degree > 5 {
                return Err(bad("degree above 5"));
            }
            out.insert((seed, attribute), degree);
        }
        Ok(Self(out))
    }

    /// Overrides `degrees` (in [`crate::Attribute`] order) of face `seed`.
    pub fn apply(&self, seed: u64, degrees: &mut [u8; 5]) {
        for a in crate::Attribute::ALL {
            if let Some(&d) = self.0.get(&(seed, a)) {
                degrees[a.index()] = d;
            }
        }
    }
}

/// Fits the beard probe on the by-eye labelled generated faces and picks the "beardless" cut:
/// the 10th percentile of the bearded faces' scores under 5-fold cross-validation.
fn fit_beard_probe(
    generated: &[(u64, TeacherRecord)],
    by_eye: &ByEyeLabels,
) -> Result<(LinearProbe, f32), PerceptionError> {
    let labelled: Vec<(&TeacherRecord, bool)> = generated
        .iter()
        .filter_map(|(seed, r)| {
            by_eye
                .0
                .get(&(*seed, crate::Attribute::Beard))
                .map(|&d| (r, d > 0))
        })
        .collect();
    let xs: Vec<Vec<f32>> = labelled.iter().map(|(r, _)| r.embedding.clone()).collect();
    let ys: Vec<bool> = labelled.iter().map(|(_, y)| *y).collect();
    let none = || {
        PerceptionError::BadInput(
            "the by-eye labels need bearded and beardless generated faces".into(),
        )
    };
    let probe = LinearProbe::fit("Beard (by eye)", &xs, &ys, 1e-3).ok_or_else(none)?;
    let mut held_scores = Vec::new();
    for fold in 0..BEARD_FOLDS {
        let train = |i: &usize| i % BEARD_FOLDS != fold;
        let fx: Vec<Vec<f32>> = (0..xs.len()).filter(train).map(|i| xs[i].clone()).collect();
        let fy: Vec<bool> = (0..ys.len()).filter(train).map(|i| ys[i]).collect();
        let fold_probe = LinearProbe::fit("fold", &fx, &fy, 1e-3).ok_or_else(none)?;
        held_scores.extend(
            (0..xs.len())
                .filter(|i| !train(i) && ys[*i])
                .map(|i| fold_probe.logit(&xs[i])),
        );
    }
    Ok((probe, quantile(held_scores, 0.1)))
}

fn smiling(r: &TeacherRecord) -> u8 {
    let (open, width) = (r.pixels.mouth_open, r.pixels.mouth_width);
    if open < MOUTH_CLOSED {
        if width < NO_SMILE_WIDTH {
            0
        } else if width > SMILE_WIDTH {
            1
        } else {
            UNKNOWN
        }
    } else if width < OPEN_SMILE_MIN_WIDTH {
        UNKNOWN
    } else {
        2 + MOUTH_OPEN_CUTS.iter().filter(|&&c| open >= c).count() as u8
    }
}

fn age(r: &TeacherRecord) -> u8 {
    super::teachers::age_degree(r.age_years.max(0.0).floor() as usize) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perception::measures::PixelMeasures;

    fn record(pixels: PixelMeasures, age_years: f32, embedding: Vec<f32>) -> TeacherRecord {
        TeacherRecord {
            age_years,
            age_degrees: [0.0; 6],
            happy: None,
            pixels,
            embedding,
            crop_landmarks: vec![],
            faces_found: 1,
        }
    }

    fn plain() -> PixelMeasures {
        PixelMeasures {
            iod: 60.0,
            skin_luma: 180.0,
            forehead_skin: 0.95,
            eye_dark: 0.3,
            bridge_edges: 0.1,
            rim_edges: 0.2,
            lower_dark: 0.1,
            lower_skin: 0.9,
            lower_texture: 1.0,
            jaw_skin: 0.9,
            mouth_open: 0.01,
            mouth_width: 0.8,
            teeth: 0.0,
        }
    }

    fn probe(target: &str, bias: f32) -> LinearProbe {
        // Reads the embedding's first coordinate.
        LinearProbe {
            target: target.into(),
            weights: vec![1.0, 0.0],
            bias,
            positives: 1,
            examples: 2,
        }
    }

    fn rules() -> LabelRules {
        LabelRules {
            bangs_probe: probe("Bangs", 0.0),
            eyeglasses_probe: probe("Eyeglasses", -10.0),
            beard_probe: LinearProbe {
                target: "Beard (by eye)".into(),
                weights: vec![0.0, 1.0],
                bias: 0.0,
                positives: 1,
                examples: 2,
            },
            beard_absent_below: 0.5,
            clear_frame_cuts: [0.8, 1.2],
        }
    }

    #[test]
    fn a_plain_young_face_is_degree_zero_except_age() {
        let d = rules().degrees(&record(plain(), 25.0, vec![-5.0, 0.0]));
        assert_eq!(d, [0, 0, 0, 0, 1]);
        let d = rules().degrees(&record(plain(), 14.9, vec![-5.0, 0.0]));
        assert_eq!(d[4], 0);
        let d = rules().degrees(&record(plain(), 61.0, vec![-5.0, 0.0]));
        assert_eq!(d[4], 5);
    }

    #[test]
    fn bangs_follow_forehead_exposure_once_the_probe_says_bangs() {
        let r = rules();
        let mut p = plain();
        for (skin, want) in [(0.93, 1), (0.65, 2), (0.45, 3), (0.25, 4), (0.05, 5)] {
            p.forehead_skin = skin;
            assert_eq!(
                r.degrees(&record(p, 25.0, vec![2.0, 0.0]))[0],
                want,
                "{skin}"
            );
        }
        // Covered forehead but the probe says no bangs (a hat): 0; probe undecided: unknown.
        assert_eq!(r.degrees(&record(p, 25.0, vec![-2.0, 0.0]))[0], 0);
        assert_eq!(r.degrees(&record(p, 25.0, vec![0.0, 0.0]))[0], UNKNOWN);
    }

    #[test]
    fn glasses_are_graded_by_frame_and_lens() {
        let r = rules();
        let mut p = plain();
        p.bridge_edges = 0.6;
        p.rim_edges = 0.1; // thickness 0.7: thin
        assert_eq!(r.degrees(&record(p, 30.0, vec![-5.0, 0.0]))[1], 1);
        p.rim_edges = 0.9; // 1.5: thick
        assert_eq!(r.degrees(&record(p, 30.0, vec![-5.0, 0.0]))[1], 3);
        p.eye_dark = 0.8; // dark eye boxes: maybe sunglasses, left to the eye
        assert_eq!(r.degrees(&record(p, 30.0, vec![-5.0, 0.0]))[1], UNKNOWN);
        let by_eye = ByEyeLabels::parse(
            "seed,attribute,degree,note\n7,eyeglasses,5,thick sunglasses # ok\n",
        )
        .unwrap();
        let mut d = r.degrees(&record(p, 30.0, vec![-5.0, 0.0]));
        by_eye.apply(7, &mut d);
        assert_eq!(d[1], 5);
        assert!(ByEyeLabels::parse("h\n7,eyeglases,5\n").is_err());
        assert!(ByEyeLabels::parse("h\n7,eyeglasses,6\n").is_err());
        // Weak bridge edges and an unconvinced probe: unknown.
        p.bridge_edges = 0.3;
        assert_eq!(r.degrees(&record(p, 30.0, vec![-5.0, 0.0]))[1], UNKNOWN);
    }

    #[test]
    fn smiles_are_graded_by_mouth_opening() {
        let mut p = plain();
        assert_eq!(smiling(&record(p, 30.0, vec![])), 0);
        p.mouth_width = 1.0;
        assert_eq!(smiling(&record(p, 30.0, vec![])), 1);
        p.mouth_width = 0.92;
        assert_eq!(smiling(&record(p, 30.0, vec![])), UNKNOWN);
        p.mouth_width = 1.0;
        for (open, want) in [(0.05, 2), (0.1, 3), (0.18, 4), (0.25, 5)] {
            p.mouth_open = open;
            assert_eq!(smiling(&record(p, 30.0, vec![])), want, "{open}");
        }
        p.mouth_width = 0.7;
        assert_eq!(smiling(&record(p, 30.0, vec![])), UNKNOWN);
    }

    #[test]
    fn beards_are_zero_for_children_and_low_probe_scores_else_unknown() {
        let r = rules();
        // The beard probe reads the embedding's second coordinate; the cut is 0.5.
        assert_eq!(r.degrees(&record(plain(), 30.0, vec![-5.0, 0.0]))[2], 0);
        assert_eq!(
            r.degrees(&record(plain(), 30.0, vec![-5.0, 2.0]))[2],
            UNKNOWN
        );
        assert_eq!(r.degrees(&record(plain(), 9.0, vec![-5.0, 2.0]))[2], 0);
        let by_eye = ByEyeLabels::parse("seed,attribute,degree\n3,beard,2\n").unwrap();
        let mut d = r.degrees(&record(plain(), 30.0, vec![-5.0, 2.0]));
        by_eye.apply(3, &mut d);
        assert_eq!(d[2], 2);
    }
}
