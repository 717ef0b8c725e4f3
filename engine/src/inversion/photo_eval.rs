//! Records and summaries of the real-photo evaluation (issue 13): each photo is inverted, each
//! attribute edited one degree up and down (where the degree allows) by the product's guarded
//! loop, and every edit carried back into the photo by each [`TransferMode`]. What a user would
//! judge is counted: whether the loop reached the degree on the render (what the bot says),
//! whether the change shows in the photo (the degree reader on the pasted photo against the
//! reader on the original photo), and whether the result still holds a detectable face. Identity
//! by an independent model (dlib) is measured on the written images by
//! `scripts/identity_dlib.py`, not here.
//!
//! The bot's `eval-photos` command runs the models and writes the files; the records, the
//! "shows in the photo" rule and the tables are here so that they are tested.

use super::pivotal::PivotalSummary;
use super::transfer::TransferMode;
use crate::attributes::Attribute;
use crate::predictor::reader::degree_of;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far (degree units) the reader's score on the pasted photo must move, the asked way, from
/// its score on the original photo for the change to count as showing in the photo: half a
/// degree, the smallest change that rounds to another degree from the middle of one.
pub const SHOWS_IN_PHOTO: f32 = 0.5;

/// The reader on a pasted photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastedReading {
    pub mode: TransferMode,
    /// Whether the face detector still finds a face in the pasted photo.
    pub has_face: bool,
    /// The reader's score on it (None without a face).
    pub score: Option<f32>,
}

/// One edit of a photo and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoEdit {
    pub attribute: Attribute,
    /// +1 or -1.
    pub change: i8,
    /// The dialog's degree at the start (the reader's on the photo since photo edits are aimed
    /// at the photo; on the render of the inverted code before).
    pub start_degree: u8,
    pub target: u8,
    /// The degree the edit ended on, as the bot reports it.
    pub result_degree: u8,
    /// The edit reached the target (the bot says "done").
    pub reached: bool,
    /// Why there is no result (e.g. not applicable on this face).
    pub refused: Option<String>,
    /// The reader's score on the original photo.
    pub photo_score: f32,
    /// One reading per transfer mode.
    pub pasted: Vec<PastedReading>,
    pub seconds: f32,
}

impl PhotoEdit {
    /// Whether the change shows in the photo carried over by `mode`: the reader's score on the
    /// pasted photo moved at least [`SHOWS_IN_PHOTO`] the asked way from the original photo's.
    pub fn shows(&self, mode: TransferMode) -> bool {
        self.pasted
            .iter()
            .find(|p| p.mode == mode)
            .and_then(|p| p.score)
            .is_some_and(|s| (s - self.photo_score) * self.change as f32 >= SHOWS_IN_PHOTO)
    }

    /// Whether the degree reader on the photo carried over by `mode` reads the target degree.
    pub fn reads_target(&self, mode: TransferMode) -> bool {
        self.pasted
            .iter()
            .find(|p| p.mode == mode)
            .and_then(|p| p.score)
            .is_some_and(|s| degree_of(s) == self.target)
    }

    /// Whether the pasted photo by `mode` lost its face.
    pub fn faceless(&self, mode: TransferMode) -> bool {
        self.pasted.iter().any(|p| p.mode == mode && !p.has_face)
    }
}

/// One photo: its inversion and edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRecord {
    pub photo: String,
    /// Why the photo was refused (no face, not a person, ...).
    pub error: Option<String>,
    /// fr_feature identity cosine, photo vs render of its code (the network the inversion uses).
    pub identity_cos: Option<f32>,
    /// Upload -> inverted code, seconds.
    pub invert_seconds: Option<f32>,
    /// Mean distance between the photo's landmarks and the inverted render's (fraction of the
    /// aligned side) when the edits were carried through that warp
    /// ([`crate::inversion::face_warp::FaceWarp`]); `None`: pixel for pixel.
    #[serde(default)]
    pub warp_shift: Option<f32>,
    /// With a per-photo tuned generator (`super::pivotal`): the tuning's pixel loss before and
    /// after, and its seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pivotal: Option<PivotalSummary>,
    pub edits: Vec<PhotoEdit>,
}

/// One row of the summary: an attribute and a change.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoSummaryRow {
    pub attribute: Attribute,
    pub change: i8,
    pub edits: usize,
    pub refused: usize,
    pub reached: usize,
    /// Per mode measured: (reads the target in the photo, shows in the photo, faceless results).
    pub by_mode: BTreeMap<&'static str, (usize, usize, usize)>,
}

/// Rows per attribute and change (only those with edits).
pub fn summarise(records: &[PhotoRecord]) -> Vec<PhotoSummaryRow> {
    let mut rows = Vec::new();
    for attribute in Attribute::ALL {
        for change in [1i8, -1] {
            let edits: Vec<&PhotoEdit> = records
                .iter()
                .flat_map(|r| &r.edits)
                .filter(|e| e.attribute == attribute && e.change == change)
                .collect();
            if edits.is_empty() {
                continue;
            }
            let done: Vec<&&PhotoEdit> = edits.iter().filter(|e| e.refused.is_none()).collect();
            let by_mode = TransferMode::ALL
                .iter()
                .filter(|&&m| done.iter().any(|e| e.pasted.iter().any(|p| p.mode == m)))
                .map(|&m| {
                    (
                        m.name(),
                        (
                            done.iter().filter(|e| e.reads_target(m)).count(),
                            done.iter().filter(|e| e.shows(m)).count(),
                            done.iter().filter(|e| e.faceless(m)).count(),
                        ),
                    )
                })
                .collect();
            rows.push(PhotoSummaryRow {
                attribute,
                change,
                edits: edits.len(),
                refused: edits.len() - done.len(),
                reached: done.iter().filter(|e| e.reached).count(),
                by_mode,
            });
        }
    }
    rows
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!(
            "{part}/{whole} = {:.0}%",
            100.0 * part as f32 / whole as f32
        )
    }
}

/// The summary as a markdown table, with a total row.
pub fn summary_table(rows: &[PhotoSummaryRow]) -> String {
    let modes: Vec<&str> = TransferMode::ALL
        .iter()
        .map(|m| m.name())
        .filter(|m| rows.iter().any(|r| r.by_mode.contains_key(m)))
        .collect();
    let mut out = String::from("| attribute | change | edits | refused | bot says reached |");
    for m in &modes {
        out += &format!(" reads target ({m}) | shows ({m}) | no face ({m}) |");
    }
    out += "\n|---|---|---|---|---|";
    out += &"---|---|---|".repeat(modes.len());
    out += "\n";
    let mut total = PhotoSummaryRow {
        attribute: Attribute::Bangs,
        change: 0,
        edits: 0,
        refused: 0,
        reached: 0,
        by_mode: BTreeMap::new(),
    };
    let line = |name: String, change: String, r: &PhotoSummaryRow| {
        let done = r.edits - r.refused;
        let mut s = format!(
            "| {name} | {change} | {} | {} | {} |",
            r.edits,
            r.refused,
            percent(r.reached, done)
        );
        for m in &modes {
            let (reads, shows, faceless) = r.by_mode.get(m).copied().unwrap_or((0, 0, 0));
            s += &format!(
                " {} | {} | {faceless} |",
                percent(reads, done),
                percent(shows, done)
            );
        }
        s + "\n"
    };
    for r in rows {
        out += &line(r.attribute.name().into(), format!("{:+}", r.change), r);
        total.edits += r.edits;
        total.refused += r.refused;
        total.reached += r.reached;
        for (m, (a, b, c)) in &r.by_mode {
            let t = total.by_mode.entry(m).or_insert((0, 0, 0));
            t.0 += a;
            t.1 += b;
            t.2 += c;
        }
    }
    out += &line("**all**".into(), "±1".into(), &total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(change: i8, photo: f32, pasted: &[(TransferMode, bool, Option<f32>)]) -> PhotoEdit {
        PhotoEdit {
            attribute: Attribute::Smiling,
            change,
            start_degree: 2,
            target: (2 + change) as u8,
            result_degree: (2 + change) as u8,
            reached: true,
            refused: None,
            photo_score: photo,
            pasted: pasted
                .iter()
                .map(|&(mode, has_face, score)| PastedReading {
                    mode,
                    has_face,
                    score,
                })
                .collect(),
            seconds: 1.0,
        }
    }

    #[test]
    fn a_change_shows_only_when_the_score_moves_half_a_degree_the_asked_way() {
        let up = edit(
            1,
            2.0,
            &[
                (TransferMode::Delta, true, Some(2.6)),
                (TransferMode::Replace, true, Some(2.3)),
                (TransferMode::WholeFace, false, None),
            ],
        );
        assert!(up.shows(TransferMode::Delta));
        assert!(!up.shows(TransferMode::Replace), "0.3 is not enough");
        assert!(!up.shows(TransferMode::WholeFace), "no face, no reading");
        assert!(up.faceless(TransferMode::WholeFace));
        assert!(!up.faceless(TransferMode::Delta));
        // Target 3: 2.6 reads 3, 2.3 reads 2.
        assert!(up.reads_target(TransferMode::Delta));
        assert!(!up.reads_target(TransferMode::Replace));
        assert!(!up.reads_target(TransferMode::WholeFace));
        let down = edit(-1, 2.0, &[(TransferMode::Delta, true, Some(2.6))]);
        assert!(!down.shows(TransferMode::Delta), "moved the wrong way");
        let down = edit(-1, 2.0, &[(TransferMode::Delta, true, Some(1.4))]);
        assert!(down.shows(TransferMode::Delta));
    }

    #[test]
    fn the_summary_counts_per_attribute_change_and_mode() {
        let mut refused = edit(1, 2.0, &[]);
        refused.refused = Some("not applicable".into());
        refused.reached = false;
        let mut missed = edit(1, 2.0, &[(TransferMode::Delta, true, Some(2.1))]);
        missed.reached = false;
        let records = vec![PhotoRecord {
            pivotal: None,
            photo: "a.jpg".into(),
            error: None,
            identity_cos: Some(0.6),
            invert_seconds: Some(5.0),
            warp_shift: None,
            edits: vec![
                edit(1, 2.0, &[(TransferMode::Delta, true, Some(3.0))]),
                missed,
                refused,
                edit(-1, 2.0, &[(TransferMode::Delta, false, None)]),
            ],
        }];
        let rows = summarise(&records);
        assert_eq!(rows.len(), 2);
        let up = &rows[0];
        assert_eq!((up.change, up.edits, up.refused, up.reached), (1, 3, 1, 1));
        assert_eq!(up.by_mode["delta"], (1, 1, 0));
        let down = &rows[1];
        assert_eq!(down.by_mode["delta"], (0, 0, 1));
        let table = summary_table(&rows);
        assert!(
            table.contains("| smiling | +1 | 3 | 1 | 1/2 = 50% | 1/2 = 50% | 1/2 = 50% | 0 |"),
            "{table}"
        );
        assert!(
            table.contains("| **all** | ±1 | 4 | 1 | 2/3 = 67% | 1/3 = 33% | 1/3 = 33% | 1 |"),
            "{table}"
        );
        // Only the modes measured get columns.
        assert!(table.contains("reads target (delta)"), "{table}");
        assert!(!table.contains("replace"), "{table}");
    }
}
