//! Clause-level labels (what the encoder's heads predict for one clause) and the deterministic
//! resolution of a message's clauses into one [`ParsedRequest`]: references to an earlier clause
//! ("add bangs and make them longer", "remove the bangs and glasses"), merging of edits of the same
//! attribute, and the intent of a message made of several clauses ("ok, thanks, bye").

use super::{Direction, EditKind, EditRequest, Intent, ParsedRequest, SystemContext};
use crate::attributes::Attribute;
use serde::{Deserialize, Serialize};

/// The attribute a clause is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttributeSlot {
    /// Not an edit.
    None,
    /// Named (or implied by context) attribute.
    Named(Attribute),
    /// Refers back to the previous clause's attribute ("... and make them longer").
    Inherit,
}

/// How a clause specifies its edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KindSlot {
    None,
    Target,
    Relative,
    Direction,
    /// Same kind and amount as the previous clause ("remove the bangs and glasses").
    Inherit,
    /// Set by the rules, never by the network: the way to go is unclear, so the dialog asks.
    Unclear,
}

/// What the encoder's heads say about one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClauseLabel {
    pub intent: Intent,
    pub attribute: AttributeSlot,
    pub kind: KindSlot,
    pub direction: Option<Direction>,
    pub change: Option<u8>,
    pub target: Option<u8>,
}

/// Intents in head order.
pub const INTENTS: [Intent; 8] = [
    Intent::Edit,
    Intent::Yes,
    Intent::No,
    Intent::Undo,
    Intent::Restart,
    Intent::End,
    Intent::Help,
    Intent::Unknown,
];

/// Number of classes of each head, in the order intent, attribute, kind, direction, change,
/// target.
pub const HEAD_SIZES: [usize; 6] = [8, 7, 5, 3, 6, 7];

/// Names of the heads, in the order of [`HEAD_SIZES`].
pub const HEAD_NAMES: [&str; 6] = [
    "intent",
    "attribute",
    "kind",
    "direction",
    "change",
    "target",
];

impl ClauseLabel {
    /// A non-edit clause.
    pub fn intent(intent: Intent) -> Self {
        Self {
            intent,
            attribute: AttributeSlot::None,
            kind: KindSlot::None,
            direction: None,
            change: None,
            target: None,
        }
    }

    /// An edit towards a direction (`None`: direction left open, e.g. "yes" to a suggestion).
    pub fn direction(attribute: AttributeSlot, direction: Option<Direction>) -> Self {
        Self {
            intent: Intent::Edit,
            attribute,
            kind: KindSlot::Direction,
            direction,
            change: None,
            target: None,
        }
    }

    /// A change by `change` degrees.
    pub fn relative(attribute: AttributeSlot, direction: Direction, change: u8) -> Self {
        Self {
            intent: Intent::Edit,
            attribute,
            kind: KindSlot::Relative,
            direction: Some(direction),
            change: Some(change.clamp(1, 5)),
            target: None,
        }
    }

    /// An absolute degree.
    pub fn target(attribute: AttributeSlot, target: u8) -> Self {
        Self {
            intent: Intent::Edit,
            attribute,
            kind: KindSlot::Target,
            direction: None,
            change: None,
            target: Some(target.min(5)),
        }
    }

    /// A bare attribute that takes its kind from the previous clause ("... and glasses").
    pub fn inherit_kind(attribute: Attribute) -> Self {
        Self {
            intent: Intent::Edit,
            attribute: AttributeSlot::Named(attribute),
            kind: KindSlot::Inherit,
            direction: None,
            change: None,
            target: None,
        }
    }

    /// Class indices for the six heads.
    pub fn to_classes(&self) -> [u32; 6] {
        let intent = INTENTS.iter().position(|i| *i == self.intent).unwrap_or(7) as u32;
        let attribute = match self.attribute {
            AttributeSlot::None => 0,
            AttributeSlot::Named(a) => 1 + a.index() as u32,
            AttributeSlot::Inherit => 6,
        };
        let kind = match self.kind {
            KindSlot::None => 0,
            KindSlot::Target => 1,
            KindSlot::Relative => 2,
            KindSlot::Direction => 3,
            KindSlot::Inherit => 4,
            // Not a network class; never in the training data.
            KindSlot::Unclear => 3,
        };
        let direction = match self.direction {
            None => 0,
            Some(Direction::Increase) => 1,
            Some(Direction::Decrease) => 2,
        };
        let change = self.change.map_or(0, |c| u32::from(c.clamp(1, 5)));
        let target = self.target.map_or(0, |t| 1 + u32::from(t.min(5)));
        [intent, attribute, kind, direction, change, target]
    }

    /// Builds a consistent label from per-head scores (logits or probabilities, one vector per
    /// head in [`HEAD_SIZES`] order). Fields a kind needs are taken from the best non-empty
    /// class; fields it does not use are cleared. An open direction (a direction edit without a
    /// way to go) only exists as agreement to a suggestion: unless `open_direction` is true, a
    /// direction edit takes its best non-empty direction.
    pub fn from_scores(scores: &[Vec<f32>; 6], open_direction: bool) -> Self {
        let argmax_from = |v: &[f32], from: usize| -> usize {
            let mut best = from;
            for i in from..v.len() {
                if v[i] > v[best] {
                    best = i;
                }
            }
            best
        };
        let intent = INTENTS[argmax_from(&scores[0], 0).min(7)];
        if intent != Intent::Edit {
            return Self::intent(intent);
        }
        // An edit always has an attribute slot and a kind.
        let attribute = match argmax_from(&scores[1], 1) {
            6 => AttributeSlot::Inherit,
            i => AttributeSlot::Named(Attribute::ALL[i - 1]),
        };
        let kind = match argmax_from(&scores[2], 1) {
            1 => KindSlot::Target,
            2 => KindSlot::Relative,
            3 => KindSlot::Direction,
            _ => KindSlot::Inherit,
        };
        let direction_of = |i: usize| match i {
            1 => Some(Direction::Increase),
            2 => Some(Direction::Decrease),
            _ => None,
        };
        match kind {
            KindSlot::Target => Self::target(attribute, argmax_from(&scores[5], 1) as u8 - 1),
            KindSlot::Relative => {
                let direction =
                    direction_of(argmax_from(&scores[3], 1)).unwrap_or(Direction::Increase);
                Self::relative(attribute, direction, argmax_from(&scores[4], 1) as u8)
            }
            KindSlot::Direction => {
                let from = if open_direction { 0 } else { 1 };
                Self::direction(attribute, direction_of(argmax_from(&scores[3], from)))
            }
            _ => Self {
                intent: Intent::Edit,
                attribute,
                kind: KindSlot::Inherit,
                direction: None,
                change: None,
                target: None,
            },
        }
    }
}

/// How much an edit says; a more specific edit of the same attribute replaces a vaguer one.
fn specificity(edit: &EditRequest) -> u8 {
    match edit.kind {
        EditKind::Target => 3,
        EditKind::Relative => 2,
        EditKind::Direction if edit.direction.is_some() => 1,
        EditKind::Direction | EditKind::Unclear => 0,
    }
}

/// Priority of non-edit intents when a message has several clauses ("ok thanks bye" -> end).
fn intent_priority(intent: Intent) -> u8 {
    match intent {
        Intent::Restart => 10,
        Intent::Undo => 9,
        Intent::End => 8,
        Intent::Help => 7,
        Intent::Ask(_) => 6,
        Intent::No => 5,
        Intent::Yes => 4,
        Intent::Thanks => 3,
        Intent::Greet => 2,
        Intent::Edit => 1,
        Intent::Unknown => 0,
    }
}

/// Combines the clauses of one message into the request. Clause edits that cannot be tied to an
/// attribute (a bare "a bit more" with no context and nothing before it) are dropped; a message
/// left with nothing is `unknown`, so the dialog can ask.
pub fn resolve(clauses: &[ClauseLabel], context: Option<SystemContext>) -> ParsedRequest {
    let context_attribute = context.map(|c| match c {
        SystemContext::Suggest(a) | SystemContext::Check(a) => a,
    });
    let mut edits: Vec<EditRequest> = Vec::new();
    let mut previous: Option<EditRequest> = None;
    let mut best_intent = Intent::Unknown;
    for clause in clauses {
        if clause.intent != Intent::Edit {
            if intent_priority(clause.intent) > intent_priority(best_intent) {
                best_intent = clause.intent;
            }
            continue;
        }
        let attribute = match clause.attribute {
            AttributeSlot::Named(a) => Some(a),
            AttributeSlot::Inherit => previous.as_ref().map(|p| p.attribute).or(context_attribute),
            AttributeSlot::None => None,
        };
        let Some(attribute) = attribute else { continue };
        let edit = match clause.kind {
            KindSlot::Target => EditRequest {
                attribute,
                kind: EditKind::Target,
                direction: None,
                target: Some(clause.target.unwrap_or(5).min(5)),
                change: None,
            },
            KindSlot::Relative => EditRequest {
                attribute,
                kind: EditKind::Relative,
                direction: Some(clause.direction.unwrap_or(Direction::Increase)),
                target: None,
                change: Some(clause.change.unwrap_or(1).clamp(1, 5)),
            },
            KindSlot::Direction => EditRequest {
                attribute,
                kind: EditKind::Direction,
                direction: clause.direction,
                target: None,
                change: None,
            },
            KindSlot::Unclear => EditRequest {
                attribute,
                kind: EditKind::Unclear,
                direction: None,
                target: None,
                change: None,
            },
            // A bare attribute takes the previous clause's kind and amount ("remove the bangs
            // and glasses", "make the bangs a bit longer and the beard too"), except a degree
            // description, which belongs to its own attribute ("give him stubble and glasses"):
            // then it is a plain increase.
            KindSlot::Inherit | KindSlot::None => match &previous {
                Some(p) if p.kind != EditKind::Target || p.target == Some(0) => EditRequest {
                    attribute,
                    ..p.clone()
                },
                Some(_) => EditRequest {
                    attribute,
                    kind: EditKind::Direction,
                    direction: Some(Direction::Increase),
                    target: None,
                    change: None,
                },
                None => EditRequest {
                    attribute,
                    kind: EditKind::Direction,
                    direction: Some(Direction::Increase),
                    target: None,
                    change: None,
                },
            },
        };
        previous = Some(edit.clone());
        match edits.iter_mut().find(|e| e.attribute == attribute) {
            Some(existing) => {
                if specificity(&edit) >= specificity(existing) {
                    *existing = edit;
                }
            }
            None => edits.push(edit),
        }
    }
    if edits.is_empty() {
        ParsedRequest {
            intent: best_intent,
            edits,
        }
    } else {
        ParsedRequest {
            intent: Intent::Edit,
            edits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttributeSlot::{Inherit, Named};

    #[test]
    fn classes_round_trip_through_scores() {
        let labels = [
            ClauseLabel::intent(Intent::Undo),
            ClauseLabel::target(Named(Attribute::Beard), 0),
            ClauseLabel::target(Named(Attribute::Age), 5),
            ClauseLabel::relative(Inherit, Direction::Decrease, 2),
            ClauseLabel::direction(Named(Attribute::Bangs), None),
            ClauseLabel::direction(Named(Attribute::Smiling), Some(Direction::Increase)),
            ClauseLabel::inherit_kind(Attribute::Eyeglasses),
        ];
        for label in labels {
            let classes = label.to_classes();
            let scores: [Vec<f32>; 6] = std::array::from_fn(|h| {
                (0..HEAD_SIZES[h])
                    .map(|c| if c as u32 == classes[h] { 1.0 } else { 0.0 })
                    .collect()
            });
            assert_eq!(ClauseLabel::from_scores(&scores, true), label);
            if label.kind == KindSlot::Direction && label.direction.is_none() {
                let decided = ClauseLabel::from_scores(&scores, false);
                assert!(decided.direction.is_some());
            }
        }
    }

    #[test]
    fn bare_attribute_inherits_the_previous_edit() {
        let parsed = resolve(
            &[
                ClauseLabel::target(Named(Attribute::Bangs), 0),
                ClauseLabel::inherit_kind(Attribute::Eyeglasses),
            ],
            None,
        );
        assert_eq!(parsed.intent, Intent::Edit);
        assert_eq!(parsed.edits.len(), 2);
        assert_eq!(parsed.edits[1].attribute, Attribute::Eyeglasses);
        assert_eq!(parsed.edits[1].target, Some(0));
    }

    #[test]
    fn unresolved_reference_is_unknown_and_context_resolves_it() {
        let more = [ClauseLabel::relative(Inherit, Direction::Increase, 1)];
        assert_eq!(resolve(&more, None).intent, Intent::Unknown);
        let parsed = resolve(&more, Some(SystemContext::Check(Attribute::Smiling)));
        assert_eq!(parsed.edits[0].attribute, Attribute::Smiling);
        assert_eq!(parsed.edits[0].change, Some(1));
    }

    #[test]
    fn more_specific_edit_of_the_same_attribute_wins_and_intents_rank() {
        let parsed = resolve(
            &[
                ClauseLabel::direction(Named(Attribute::Bangs), None),
                ClauseLabel::direction(Inherit, Some(Direction::Increase)),
            ],
            Some(SystemContext::Suggest(Attribute::Bangs)),
        );
        assert_eq!(parsed.edits.len(), 1);
        assert_eq!(parsed.edits[0].direction, Some(Direction::Increase));
        let bye = resolve(
            &[
                ClauseLabel::intent(Intent::Yes),
                ClauseLabel::intent(Intent::Unknown),
                ClauseLabel::intent(Intent::End),
            ],
            None,
        );
        assert_eq!(bye.intent, Intent::End);
        assert!(bye.edits.is_empty());
    }
}
