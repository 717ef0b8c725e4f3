//! The conversation driver: the paper's finite-state machine (start, edit, no-edit, end) plus
//! undo, start over, help and clarifying questions. A [`Conversation`] is pure serialisable state;
//! [`Conversation::handle`] applies one [`Event`] using a [`FaceEngine`] and returns one [`Reply`].

use super::face::{Degrees, EngineError, FaceEngine, Latent, StopReason};
use super::rng::DialogRng;
use super::talk::{self, words};
use crate::attributes::Attribute;
use crate::language::{
    rules, Direction, EditKind, EditRequest, Intent, ParsedRequest, Question, RequestParser,
    SystemContext, AGAINST_CURRENT,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Highest fine-grained degree.
const MAX_DEGREE: u8 = 5;

/// The paper's dialog states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// First round: no request handled on the current face yet (or no face yet).
    Start,
    /// The last round edited the face.
    Edit,
    /// The last round did not edit the face; waiting for instructions.
    NoEdit,
    /// The user ended the conversation.
    End,
}

/// The supplement's description of a degree, as a phrase ("40 to 50 years old").
fn degree_words(attribute: Attribute, degree: u8) -> String {
    let description = attribute.degree_description(degree);
    match attribute {
        Attribute::Age => format!("{description} years old"),
        _ => description.to_string(),
    }
}

/// What the system asked at the end of its last reply. It decides how the next message is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "attribute")]
pub enum Feedback {
    /// "Are the bangs the length you like now?"
    Check(Attribute),
    /// "Do you want to try editing the age?"
    Suggest(Attribute),
    /// "Ok, what's next?"
    AskNext,
    /// "Which part should I change?"
    ClarifyAttribute,
    /// "Should the beard be longer or shorter?"
    ClarifyDirection(Attribute),
    /// "Send me a photo first."
    AskForFace,
    /// The conversation has ended.
    Ended,
}

impl Feedback {
    /// The context the language encoder should read the next message in.
    pub fn context(self) -> Option<SystemContext> {
        match self {
            Feedback::Check(a) | Feedback::ClarifyDirection(a) => Some(SystemContext::Check(a)),
            Feedback::Suggest(a) => Some(SystemContext::Suggest(a)),
            _ => None,
        }
    }
}

/// What happened in a turn (a reply may carry several, e.g. one per requested edit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "attribute")]
pub enum Note {
    FaceReady,
    Edited(Attribute),
    CannotGoFurther(Attribute),
    AlreadyThere(Attribute),
    /// The engine lacks a model for this (attribute, or `None` for photos / rendering).
    NotAvailable(Option<Attribute>),
    Satisfied(Attribute),
    Declined(Attribute),
    Undone,
    NothingToUndo,
    Restarted,
    Help,
    Goodbye,
    AlreadyEnded,
    NotUnderstood,
    /// A change without saying what should change ("more").
    Ambiguous,
    NeedFace,
    BadInput,
    EngineFailed,
    /// A question about the face or the conversation was answered (nothing edited).
    Answered,
    /// A greeting or thanks was answered.
    SmallTalk,
}

/// One input to the conversation.
#[derive(Clone, PartialEq, Eq)]
pub enum Event {
    /// The user sent a photo (encoded image bytes).
    PhotoUploaded(Vec<u8>),
    /// Start from the generated face of this seed.
    SeedFace(u64),
    /// A text message.
    Text(String),
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::PhotoUploaded(bytes) => write!(f, "PhotoUploaded({} bytes)", bytes.len()),
            Event::SeedFace(seed) => write!(f, "SeedFace({seed})"),
            Event::Text(text) => write!(f, "Text({text:?})"),
        }
    }
}

impl Event {
    /// A one-line description for logs and the turn table.
    pub fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// The system's answer to one event.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// What to say.
    pub text: String,
    /// The face after this turn, when it changed (or was just loaded).
    #[serde(skip)]
    pub image: Option<image::RgbImage>,
    /// Short answers to offer as buttons.
    pub quick_replies: Vec<String>,
    /// What happened.
    pub notes: Vec<Note>,
    /// The closing question (also stored as the conversation's last feedback).
    pub feedback: Feedback,
    /// The dialog state after this turn.
    pub phase: Phase,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("text", &self.text)
            .field(
                "image",
                &self
                    .image
                    .as_ref()
                    .map(|i| format!("{}x{}", i.width(), i.height())),
            )
            .field("quick_replies", &self.quick_replies)
            .field("notes", &self.notes)
            .field("feedback", &self.feedback)
            .field("phase", &self.phase)
            .finish()
    }
}

/// Where the face came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum FaceSource {
    Seed(u64),
    Photo { bytes: usize },
}

/// One undoable turn: the face before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The turn that made the change (unique and increasing within a conversation).
    pub step: u64,
    /// The attributes that turn edited.
    pub attributes: Vec<Attribute>,
    /// The latent before the turn.
    pub latent_before: Latent,
    /// The degrees before the turn.
    pub degrees_before: Degrees,
}

/// The face being edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceState {
    pub source: FaceSource,
    /// The W+ latent now.
    pub current: Latent,
    /// The W+ latent the conversation started from.
    pub original: Latent,
    pub degrees: Degrees,
    pub original_degrees: Degrees,
    /// Undo stack, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// The small part of the state (everything except latents): what the database keeps as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogState {
    pub phase: Phase,
    /// The system's last closing question.
    pub feedback: Feedback,
    /// Number of events handled.
    pub turn: u64,
    pub rng: DialogRng,
    /// Attributes the user has edited on this face.
    pub edited: BTreeSet<Attribute>,
    /// Attributes the user declined when suggested.
    pub declined: BTreeSet<Attribute>,
    /// Direction of a change asked for without an attribute ("more"), kept until the user says
    /// which attribute.
    pub pending_direction: Option<Direction>,
    /// The last edit that moved the face: what "more", "too much" and "the other way" continue.
    #[serde(default)]
    pub last_edit: Option<LastEdit>,
}

/// The last edit that moved the face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastEdit {
    pub attribute: Attribute,
    /// The way it moved.
    pub direction: Direction,
    /// The degree before the edit.
    pub from: u8,
}

/// A whole conversation: dialog state plus the face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub dialog: DialogState,
    pub face: Option<FaceState>,
}

/// Accumulates one turn's sentences and notes.
struct Turn {
    sentences: Vec<String>,
    notes: Vec<Note>,
    face_changed: bool,
    /// The last attribute edited this turn and whether the feedback must check it.
    last_edit: Option<(Attribute, bool)>,
    feedback: Option<Feedback>,
    phase: Option<Phase>,
    /// The direction question should offer removal too ("longer, shorter, or removed?").
    clarify_removal: bool,
    /// "Which part?" after a bare "more" (or "less") where no part can go that way: the question
    /// says so and asks which part to move the other way.
    clarify_other_way: Option<Direction>,
}

impl Turn {
    fn new() -> Self {
        Turn {
            sentences: Vec::new(),
            notes: Vec::new(),
            face_changed: false,
            last_edit: None,
            feedback: None,
            phase: None,
            clarify_removal: false,
            clarify_other_way: None,
        }
    }
    fn say(&mut self, sentence: String, note: Note) {
        self.sentences.push(sentence);
        self.notes.push(note);
    }

    /// Why an edit stopped short, said honestly: at a limit of the face, "The glasses can't get
    /// any thicker on this face."; stopped by a check of the engine, which one ("I couldn't make
    /// the face any younger without also taking away the glasses."); with `nothing_added` (the
    /// face had none of the attribute and still has none), "I couldn't add glasses to this face
    /// ...".
    fn say_cannot_go_further(
        &mut self,
        attribute: Attribute,
        direction: Direction,
        reason: StopReason,
        nothing_added: bool,
        rng: &mut DialogRng,
    ) {
        let t = talk::templates();
        let pool = match reason {
            _ if nothing_added => &t.could_not_add,
            StopReason::Limit => &t.cannot_go_further,
            StopReason::WouldChangeIdentity => &t.would_change_identity,
            StopReason::WouldBreakFace => &t.would_break_face,
            StopReason::WouldChange(other) => {
                let pool = if other.takes_away() {
                    &t.would_take_away_other
                } else if other.adds() {
                    &t.would_add_other
                } else {
                    &t.would_change_other
                };
                let besides = (other.attribute, other.direction);
                let s = talk::say_besides(pool, attribute, direction, besides, rng);
                self.say(s, Note::CannotGoFurther(attribute));
                return;
            }
        };
        let s = talk::say(pool, Some(attribute), Some(direction), rng);
        self.say(s, Note::CannotGoFurther(attribute));
    }
}

impl Conversation {
    /// A new conversation without a face; `rng_seed` fixes every random choice of the talk module.
    pub fn new(rng_seed: u64) -> Self {
        Conversation {
            dialog: DialogState {
                phase: Phase::Start,
                feedback: Feedback::AskForFace,
                turn: 0,
                rng: DialogRng::new(rng_seed),
                edited: BTreeSet::new(),
                declined: BTreeSet::new(),
                pending_direction: None,
                last_edit: None,
            },
            face: None,
        }
    }

    /// The context the next text message should be parsed in.
    pub fn context(&self) -> Option<SystemContext> {
        self.dialog.feedback.context()
    }

    /// The context to read `text` in: the last feedback's, except that a bare adjustment
    /// ("more", "a bit less", "too much") right after an edit continues the edited attribute even
    /// when the bot went on to suggest another one or asked what next (see
    /// `engine/src/dialog/CONTEXT.md`).
    pub fn context_for(&self, text: &str) -> Option<SystemContext> {
        match (self.dialog.feedback, self.dialog.last_edit) {
            (Feedback::Suggest(_) | Feedback::AskNext, Some(last))
                if self.dialog.phase == Phase::Edit && rules::is_bare_adjustment(text) =>
            {
                Some(SystemContext::Check(last.attribute))
            }
            _ => self.context(),
        }
    }

    /// Handles one event. Text is parsed with `parse(text, context_for(text))`.
    pub fn handle(
        &mut self,
        event: Event,
        engine: &dyn FaceEngine,
        parse: &dyn Fn(&str, Option<SystemContext>) -> ParsedRequest,
    ) -> Reply {
        match event {
            Event::Text(text) => {
                let parsed = parse(&text, self.context_for(&text));
                self.handle_parsed(&text, &parsed, engine)
            }
            Event::SeedFace(seed) => {
                let started = engine.start_from_seed(seed);
                self.start_face(started, FaceSource::Seed(seed), engine)
            }
            Event::PhotoUploaded(bytes) => {
                let started = engine.start_from_photo(&bytes);
                self.start_face(started, FaceSource::Photo { bytes: bytes.len() }, engine)
            }
        }
    }

    /// Handles one event, reading text with the language encoder (or any [`RequestParser`]).
    pub fn handle_with_parser(
        &mut self,
        event: Event,
        engine: &dyn FaceEngine,
        parser: &dyn RequestParser,
    ) -> Reply {
        self.handle(event, engine, &|text, context| parser.parse(text, context))
    }

    /// Handles a text message the caller has already parsed.
    pub fn handle_parsed(
        &mut self,
        text: &str,
        parsed: &ParsedRequest,
        engine: &dyn FaceEngine,
    ) -> Reply {
        self.dialog.turn += 1;
        let mut turn = Turn::new();
        let previous = self.dialog.feedback;
        let redirected = self.redirect(text, parsed);
        // A degree read against the way the words say, given the current degree ("less heavy
        // glasses" read as degree 3 while the glasses are at 2), is one step the words' way.
        let checked = match (&redirected, &self.face) {
            (None, Some(face)) => Some(rules::against_current(
                text,
                parsed,
                &|a| face.degrees.get(&a).copied(),
                AGAINST_CURRENT,
            )),
            _ => None,
        };
        let parsed = redirected.as_ref().or(checked.as_ref()).unwrap_or(parsed);

        if self.dialog.phase == Phase::End
            && !matches!(parsed.intent, Intent::Restart | Intent::Help)
        {
            let s = talk::say(
                &talk::templates().already_ended,
                None,
                None,
                &mut self.dialog.rng,
            );
            turn.say(s, Note::AlreadyEnded);
            turn.feedback = Some(Feedback::Ended);
            turn.phase = Some(Phase::End);
            return self.finish(turn, engine);
        }
        if self.face.is_none()
            && !matches!(
                parsed.intent,
                Intent::Help
                    | Intent::End
                    | Intent::Greet
                    | Intent::Thanks
                    | Intent::Ask(Question::Meaning(_))
            )
        {
            let s = talk::say(
                &talk::templates().need_face,
                None,
                None,
                &mut self.dialog.rng,
            );
            turn.say(s, Note::NeedFace);
            turn.feedback = Some(Feedback::AskForFace);
            turn.phase = Some(Phase::Start);
            return self.finish(turn, engine);
        }

        match parsed.intent {
            Intent::Edit if !parsed.edits.is_empty() => {
                let suggested = match previous {
                    Feedback::Suggest(a) => Some(a),
                    _ => None,
                };
                let edits: Vec<EditRequest> = parsed
                    .edits
                    .iter()
                    .map(|e| self.fill_pending_direction(e))
                    .collect();
                self.dialog.pending_direction = None;
                for edit in &edits {
                    let agreed_to_suggestion = suggested == Some(edit.attribute)
                        && edit.kind == EditKind::Direction
                        && edit.direction.is_none();
                    self.apply_edit(edit, agreed_to_suggestion, engine, &mut turn);
                }
            }
            Intent::Edit | Intent::Unknown => self.not_understood(text, &mut turn),
            Intent::Yes => match previous {
                Feedback::Suggest(a) => {
                    let edit = EditRequest {
                        attribute: a,
                        kind: EditKind::Direction,
                        direction: None,
                        target: None,
                        change: None,
                    };
                    self.apply_edit(&edit, true, engine, &mut turn);
                }
                Feedback::Check(a) => self.satisfied(a, &mut turn),
                Feedback::ClarifyDirection(_) | Feedback::ClarifyAttribute => {
                    self.not_understood(text, &mut turn)
                }
                _ => {}
            },
            Intent::No => match previous {
                Feedback::Suggest(a) => {
                    self.dialog.declined.insert(a);
                    let s = talk::say(
                        &talk::templates().declined,
                        Some(a),
                        None,
                        &mut self.dialog.rng,
                    );
                    turn.say(s, Note::Declined(a));
                }
                Feedback::Check(a) if self.has_none(a) => {
                    // Not satisfied with a removal: there is no way to ask about ("thicker or
                    // thinner?"); undo brings it back.
                    let s = talk::say(
                        &talk::templates().removed_not_right,
                        Some(a),
                        None,
                        &mut self.dialog.rng,
                    );
                    turn.sentences.push(s);
                    turn.feedback = Some(Feedback::AskNext);
                }
                Feedback::Check(a) => {
                    // Not satisfied: ask which way.
                    turn.feedback = Some(Feedback::ClarifyDirection(a));
                }
                Feedback::ClarifyDirection(_) | Feedback::ClarifyAttribute => {
                    self.not_understood(text, &mut turn)
                }
                _ => {
                    let s = talk::say(
                        &talk::templates().acknowledge_no,
                        None,
                        None,
                        &mut self.dialog.rng,
                    );
                    turn.sentences.push(s);
                }
            },
            Intent::Undo => self.undo(&mut turn),
            Intent::Restart => self.restart(&mut turn),
            Intent::Help => {
                turn.say(talk::help().to_string(), Note::Help);
                turn.feedback = Some(match (self.face.is_some(), self.dialog.phase) {
                    (_, Phase::End) => Feedback::Ended,
                    (false, _) => Feedback::AskForFace,
                    (true, _) => Feedback::AskNext,
                });
                turn.phase = Some(if self.face.is_none() {
                    Phase::Start
                } else if self.dialog.phase == Phase::End {
                    Phase::End
                } else {
                    Phase::NoEdit
                });
            }
            Intent::Greet => {
                let pool = if self.face.is_some() {
                    &talk::templates().greet
                } else {
                    &talk::templates().greet_no_face
                };
                let s = talk::say(pool, None, None, &mut self.dialog.rng);
                turn.say(s, Note::SmallTalk);
                self.keep_context(previous, &mut turn);
            }
            Intent::Thanks => match previous {
                Feedback::Check(a) => self.satisfied(a, &mut turn),
                _ => {
                    let s = talk::say(&talk::templates().thanks, None, None, &mut self.dialog.rng);
                    turn.say(s, Note::SmallTalk);
                    self.keep_context(previous, &mut turn);
                }
            },
            Intent::Ask(question) => {
                let answer = self.answer(question, engine);
                turn.say(answer, Note::Answered);
                self.keep_context(previous, &mut turn);
            }
            Intent::End => {
                let s = talk::say(&talk::templates().goodbye, None, None, &mut self.dialog.rng);
                turn.say(s, Note::Goodbye);
                turn.feedback = Some(Feedback::Ended);
                turn.phase = Some(Phase::End);
            }
        }
        self.finish(turn, engine)
    }

    /// The degree of `attribute` on the face now, where it is known.
    pub fn degree(&self, attribute: Attribute) -> Option<u8> {
        self.face.as_ref()?.degrees.get(&attribute).copied()
    }

    /// Whether one degree of `attribute` the way of `direction` stays on the scale (0 to
    /// MAX_DEGREE), so a quick answer or button asking for it can change the face: no "more" at
    /// degree 5, no "less" at degree 0. A degree not known yet may go either way. (The engine
    /// may still find a limit before the end of the scale on a given face.)
    pub fn can_go(&self, attribute: Attribute, direction: Direction) -> bool {
        match (self.degree(attribute), direction) {
            (None, _) => true,
            (Some(d), Direction::Increase) => d < MAX_DEGREE,
            (Some(d), Direction::Decrease) => d > 0,
        }
    }

    /// Whether "undo" would take back a change: there is a face with an earlier state to go back
    /// to (not the first result after a photo, a seed or "start over", nor once every change is
    /// undone) and the conversation has not ended (after "bye" it answers that it has ended).
    pub fn can_undo(&self) -> bool {
        self.dialog.phase != Phase::End
            && self
                .face
                .as_ref()
                .is_some_and(|face| !face.history.is_empty())
    }

    /// Whether the face has none of `attribute` (degree 0, as after a removal). Age always has
    /// one: its degree 0 is a young face.
    fn has_none(&self, attribute: Attribute) -> bool {
        attribute != Attribute::Age
            && self
                .face
                .as_ref()
                .and_then(|face| face.degrees.get(&attribute))
                == Some(&0)
    }

    /// The user is satisfied with the check of `attribute` ("I'll keep the glasses like this",
    /// or after a removal "no glasses then").
    fn satisfied(&mut self, attribute: Attribute, turn: &mut Turn) {
        let pool = if self.has_none(attribute) {
            &talk::templates().satisfied_removed
        } else {
            &talk::templates().satisfied
        };
        let s = talk::say(pool, Some(attribute), None, &mut self.dialog.rng);
        turn.say(s, Note::Satisfied(attribute));
    }

    /// Context rules that need the dialog state (see `engine/src/dialog/CONTEXT.md`): a bare
    /// attribute ("the beard") answering "which part?" takes the change asked for before it;
    /// "the other way" after an edit goes one degree past where that edit started, the other
    /// way (and is not understood when nothing was edited); a bare adjustment ("more") read as an
    /// edit of a suggested attribute right after an edit of another one continues the edited
    /// attribute instead.
    fn redirect(&self, text: &str, parsed: &ParsedRequest) -> Option<ParsedRequest> {
        let edit_of = |attribute: Attribute, kind, direction, target| ParsedRequest {
            intent: Intent::Edit,
            edits: vec![EditRequest {
                attribute,
                kind,
                direction,
                target,
                change: None,
            }],
        };
        if let (Feedback::ClarifyAttribute, Some(direction)) =
            (self.dialog.feedback, self.dialog.pending_direction)
        {
            if let Some(attribute) = rules::bare_attribute(text) {
                return Some(edit_of(
                    attribute,
                    EditKind::Direction,
                    Some(direction),
                    None,
                ));
            }
        }
        // Only the words decide whether another attribute is named: the network's reading of
        // "the other way" alone is a guess.
        let other_way = rules::is_other_way(text);
        let Some(last) = self.dialog.last_edit else {
            if other_way && rules::named_attributes(text).is_empty() {
                return Some(ParsedRequest {
                    intent: Intent::Unknown,
                    edits: Vec::new(),
                });
            }
            return None;
        };
        let names_other = rules::named_attributes(text)
            .iter()
            .any(|a| *a != last.attribute);
        if other_way && !names_other {
            let degree = match last.direction {
                Direction::Increase => last.from.saturating_sub(1),
                Direction::Decrease => (last.from + 1).min(MAX_DEGREE),
            };
            return Some(edit_of(
                last.attribute,
                EditKind::Target,
                None,
                Some(degree),
            ));
        }
        if let (Feedback::Suggest(suggested), Phase::Edit) =
            (self.dialog.feedback, self.dialog.phase)
        {
            let continues = parsed.intent == Intent::Edit
                && parsed.edits.len() == 1
                && parsed.edits[0].attribute == suggested
                && parsed.edits[0].direction.is_some()
                && rules::is_bare_adjustment(text);
            if continues && suggested != last.attribute {
                let mut edit = parsed.edits[0].clone();
                edit.attribute = last.attribute;
                return Some(ParsedRequest {
                    intent: Intent::Edit,
                    edits: vec![edit],
                });
            }
        }
        None
    }

    /// After small talk or a question, the conversation stays where it was: the same closing
    /// question (so "yes" still answers it) and the same phase.
    fn keep_context(&self, previous: Feedback, turn: &mut Turn) {
        turn.feedback = Some(match previous {
            Feedback::ClarifyAttribute => Feedback::AskNext,
            other => other,
        });
        turn.phase = Some(self.dialog.phase);
    }

    /// Answers a question from the dialog state.
    fn answer(&mut self, question: Question, engine: &dyn FaceEngine) -> String {
        let degree_of = |face: &FaceState, a: Attribute| face.degrees.get(&a).copied();
        match question {
            Question::History => {
                let Some(face) = &self.face else {
                    return "Nothing yet: there is no face.".into();
                };
                let changed: Vec<String> = Attribute::ALL
                    .into_iter()
                    .filter_map(|a| {
                        let before = face.original_degrees.get(&a).copied()?;
                        let now = degree_of(face, a)?;
                        (before != now).then(|| {
                            format!("{} from degree {before} to {now}", words(a).the)
                        })
                    })
                    .collect();
                if changed.is_empty() {
                    "Nothing has changed yet: the face is as it started.".into()
                } else {
                    let edits = face.history.len();
                    format!(
                        "So far ({edits} edit{} kept): {}.",
                        if edits == 1 { "" } else { "s" },
                        changed.join(", ")
                    )
                }
            }
            Question::Degree(attribute) => {
                let Some(face) = self.face.as_mut() else {
                    return "There is no face yet.".into();
                };
                if face.degrees.len() < Attribute::ALL.len() {
                    if let Ok(measured) = engine.degrees(&face.current) {
                        for (a, d) in measured {
                            face.degrees.entry(a).or_insert(d);
                        }
                    }
                }
                let describe = |a: Attribute| match degree_of(face, a) {
                    Some(d) => format!(
                        "{} {} at degree {d} of {MAX_DEGREE} ({})",
                        words(a).the,
                        words(a).be,
                        degree_words(a, d)
                    ),
                    None => format!("I can't measure {} right now", words(a).the),
                };
                match attribute {
                    Some(a) => {
                        let mut s = describe(a);
                        s[..1].make_ascii_uppercase();
                        format!("{s}.")
                    }
                    None => {
                        let all: Vec<String> = Attribute::ALL.into_iter().map(describe).collect();
                        let mut s = all.join("; ");
                        s[..1].make_ascii_uppercase();
                        format!("{s}.")
                    }
                }
            }
            Question::Meaning(Some(a)) => {
                let scale: Vec<String> = (0..=MAX_DEGREE)
                    .map(|d| format!("{d}: {}", degree_words(a, d)))
                    .collect();
                format!("Degrees of {}: {}.", words(a).name, scale.join("; "))
            }
            Question::Meaning(None) => format!(
                "Each part has six degrees, 0 (none) to {MAX_DEGREE} (the most). For the beard, 0 is {} \
                 and {MAX_DEGREE} {}; for the smile, 0 is {} and {MAX_DEGREE} {}. Ask \"what do the \
                 glasses degrees mean?\" for one part's scale, or say \"set the beard to level 2\".",
                degree_words(Attribute::Beard, 0),
                degree_words(Attribute::Beard, MAX_DEGREE),
                degree_words(Attribute::Smiling, 0),
                degree_words(Attribute::Smiling, MAX_DEGREE),
            ),
        }
    }

    /// A request without direction gets the direction of an earlier bare "more"/"less".
    fn fill_pending_direction(&self, edit: &EditRequest) -> EditRequest {
        let mut edit = edit.clone();
        if edit.direction.is_none() && edit.kind == EditKind::Direction {
            edit.direction = self.dialog.pending_direction;
        }
        edit
    }

    fn not_understood(&mut self, text: &str, turn: &mut Turn) {
        let bare = talk::bare_direction(text);
        // "More" with every part at degree 5 (or "less" with every part at 0): no part could be
        // offered that way.
        let stuck = bare.filter(|direction| {
            self.face.is_some()
                && Attribute::ALL
                    .into_iter()
                    .all(|a| !self.can_go(a, *direction))
        });
        let rng = &mut self.dialog.rng;
        if let Feedback::ClarifyDirection(a) = self.dialog.feedback {
            let s = talk::say(&talk::templates().not_understood, None, None, rng);
            turn.say(s, Note::NotUnderstood);
            turn.feedback = Some(Feedback::ClarifyDirection(a));
            return;
        }
        if let Some(direction) = stuck {
            // The question says that nothing can go that way and asks which part to move the
            // other way, which every part can; the answer gets that way.
            self.dialog.pending_direction = Some(direction.opposite());
            turn.notes.push(Note::Ambiguous);
            turn.clarify_other_way = Some(direction);
        } else if let Some(direction) = bare {
            self.dialog.pending_direction = Some(direction);
            let s = talk::say(&talk::templates().ambiguous, None, None, rng);
            turn.say(s, Note::Ambiguous);
        } else {
            let s = talk::say(&talk::templates().not_understood, None, None, rng);
            turn.say(s, Note::NotUnderstood);
        }
        turn.feedback = Some(Feedback::ClarifyAttribute);
    }

    fn start_face(
        &mut self,
        started: Result<Latent, EngineError>,
        source: FaceSource,
        engine: &dyn FaceEngine,
    ) -> Reply {
        self.dialog.turn += 1;
        let mut turn = Turn::new();
        let latent = match started {
            Ok(latent) => latent,
            Err(error) => {
                let what = match source {
                    FaceSource::Seed(_) => "generate that face",
                    FaceSource::Photo { .. } => "use that photo",
                };
                Self::engine_error(None, what, &error, &mut turn);
                if self.face.is_none() {
                    turn.feedback = Some(Feedback::AskForFace);
                    turn.phase = Some(Phase::Start);
                }
                return self.finish(turn, engine);
            }
        };
        // Degrees are optional: without a predictor the face is still shown and editable
        // requests get an honest reply later.
        let degrees = match engine.degrees(&latent) {
            Ok(d) => d,
            Err(error) => {
                tracing::info!("degrees of the new face unknown: {error}");
                Degrees::new()
            }
        };
        self.face = Some(FaceState {
            source,
            current: latent.clone(),
            original: latent,
            degrees: degrees.clone(),
            original_degrees: degrees,
            history: Vec::new(),
        });
        self.dialog.edited.clear();
        self.dialog.declined.clear();
        self.dialog.pending_direction = None;
        self.dialog.last_edit = None;
        let s = talk::say(
            &talk::templates().face_ready,
            None,
            None,
            &mut self.dialog.rng,
        );
        turn.say(s, Note::FaceReady);
        turn.face_changed = true;
        turn.phase = Some(Phase::Start);
        turn.feedback = Some(Feedback::AskNext);
        self.finish(turn, engine)
    }

    fn engine_error(
        attribute: Option<Attribute>,
        what: &str,
        error: &EngineError,
        turn: &mut Turn,
    ) {
        match error {
            EngineError::NotAvailable { .. } => {
                turn.say(
                    format!("Sorry, I can't {what} yet: {error}."),
                    Note::NotAvailable(attribute),
                );
            }
            EngineError::BadInput(_) => {
                turn.say(format!("I couldn't {what}: {error}."), Note::BadInput);
            }
            EngineError::Failed(_) => {
                tracing::warn!("engine failed to {what}: {error}");
                turn.say(
                    format!("Something went wrong while trying to {what}: {error}."),
                    Note::EngineFailed,
                );
            }
        }
    }

    fn apply_edit(
        &mut self,
        edit: &EditRequest,
        agreed_to_suggestion: bool,
        engine: &dyn FaceEngine,
        turn: &mut Turn,
    ) {
        let attribute = edit.attribute;
        let w = words(attribute);
        let what = format!("change {}", w.the);
        if let Err(error) = engine.can_edit(attribute) {
            Self::engine_error(Some(attribute), &what, &error, turn);
            return;
        }
        let Some(face) = self.face.as_mut() else {
            return;
        };
        let current = match face.degrees.get(&attribute) {
            Some(d) => *d,
            None => match engine.degrees(&face.current) {
                Ok(measured) => {
                    face.degrees.extend(measured);
                    match face.degrees.get(&attribute) {
                        Some(d) => *d,
                        None => {
                            let error = EngineError::Failed(format!(
                                "the predictor returned no degree for {attribute}"
                            ));
                            Self::engine_error(Some(attribute), &what, &error, turn);
                            return;
                        }
                    }
                }
                Err(error) => {
                    Self::engine_error(Some(attribute), &what, &error, turn);
                    return;
                }
            },
        };

        // Resolve the requested change into a target degree.
        let direction = match edit.kind {
            EditKind::Target => match edit.target {
                Some(t) => Some(if t.min(MAX_DEGREE) >= current {
                    Direction::Increase
                } else {
                    Direction::Decrease
                }),
                None => edit.direction,
            },
            _ => edit.direction,
        };
        let direction = match direction {
            Some(d) => d,
            None if agreed_to_suggestion => {
                // A "yes" to a suggestion: move away from the nearer end.
                if current <= 2 {
                    Direction::Increase
                } else {
                    Direction::Decrease
                }
            }
            None => {
                turn.feedback = Some(Feedback::ClarifyDirection(attribute));
                turn.clarify_removal =
                    edit.kind == EditKind::Unclear && attribute != Attribute::Age;
                return;
            }
        };
        let target = match (edit.kind, edit.target) {
            (EditKind::Target, Some(t)) => t.min(MAX_DEGREE),
            _ => {
                let step = if edit.kind == EditKind::Relative {
                    edit.change.unwrap_or(1).clamp(1, MAX_DEGREE)
                } else {
                    1
                };
                match direction {
                    Direction::Increase => current.saturating_add(step).min(MAX_DEGREE),
                    Direction::Decrease => current.saturating_sub(step),
                }
            }
        };
        self.dialog.edited.insert(attribute);
        let rng = &mut self.dialog.rng;
        if target == current {
            // Only a relative or direction request can resolve to the current degree, and only
            // at the end of the scale. At degree 0 (not age) there is nothing to lessen: "a bit
            // thinner" (or the Discord "-" button) on a face without glasses says there are
            // none, as "lose the shades" does, not "the glasses can't get any thinner".
            let none = target == 0 && attribute != Attribute::Age;
            let at_limit = !(edit.kind == EditKind::Target && edit.target.is_some());
            if at_limit && !none {
                turn.say_cannot_go_further(attribute, direction, StopReason::Limit, false, rng);
            } else {
                // "lose the shades" on a face without glasses: there are none to remove.
                let pool = if none {
                    &talk::templates().already_none
                } else {
                    &talk::templates().already_there
                };
                let s = talk::say(pool, Some(attribute), None, rng);
                turn.say(s, Note::AlreadyThere(attribute));
            }
            return;
        }

        let outcome = match engine.edit(&face.current, attribute, target) {
            Ok(outcome) => outcome,
            Err(error) => {
                Self::engine_error(Some(attribute), &what, &error, turn);
                return;
            }
        };
        let moved = match direction {
            Direction::Increase => outcome.reached > current,
            Direction::Decrease => outcome.reached < current,
        };
        if moved {
            // One undo entry per turn, holding the face before the turn's first edit.
            let step = self.dialog.turn;
            match face.history.last_mut() {
                Some(entry) if entry.step == step => entry.attributes.push(attribute),
                _ => face.history.push(HistoryEntry {
                    step,
                    attributes: vec![attribute],
                    latent_before: face.current.clone(),
                    degrees_before: face.degrees.clone(),
                }),
            }
            face.current = outcome.latent;
            face.degrees.insert(attribute, outcome.reached);
            turn.face_changed = true;
            // Glasses, a beard, bangs or a smile that appear or go are said so ("I made the
            // glasses thicker" answered "add glasses").
            let pool = match (attribute, current, outcome.reached) {
                (Attribute::Age, _, _) => &talk::templates().edited,
                (_, 0, _) => &talk::templates().added,
                (_, _, 0) => &talk::templates().removed,
                _ => &talk::templates().edited,
            };
            let s = talk::say(pool, Some(attribute), Some(direction), rng);
            turn.say(
                format!(
                    "{s} (degree {} of {MAX_DEGREE}: {}.)",
                    outcome.reached,
                    degree_words(attribute, outcome.reached)
                ),
                Note::Edited(attribute),
            );
            turn.last_edit = Some((attribute, agreed_to_suggestion));
            self.dialog.last_edit = Some(LastEdit {
                attribute,
                direction,
                from: current,
            });
        }
        if outcome.stopped_short.is_some() || !moved {
            let nothing_added = !moved
                && current == 0
                && direction == Direction::Increase
                && attribute != Attribute::Age;
            // An engine that reports it reached the target and did not move: a limit.
            let reason = outcome.stopped_short.unwrap_or(StopReason::Limit);
            turn.say_cannot_go_further(attribute, direction, reason, nothing_added, rng);
        }
    }

    fn undo(&mut self, turn: &mut Turn) {
        self.dialog.last_edit = None;
        let rng = &mut self.dialog.rng;
        let Some(face) = self.face.as_mut() else {
            return;
        };
        match face.history.pop() {
            Some(entry) => {
                face.current = entry.latent_before;
                face.degrees = entry.degrees_before;
                turn.face_changed = true;
                turn.say(
                    talk::say(&talk::templates().undone, None, None, rng),
                    Note::Undone,
                );
                turn.phase = Some(Phase::Edit);
            }
            None => turn.say(
                talk::say(&talk::templates().nothing_to_undo, None, None, rng),
                Note::NothingToUndo,
            ),
        }
    }

    fn restart(&mut self, turn: &mut Turn) {
        let rng = &mut self.dialog.rng;
        let Some(face) = self.face.as_mut() else {
            return;
        };
        face.current = face.original.clone();
        face.degrees = face.original_degrees.clone();
        face.history.clear();
        self.dialog.edited.clear();
        self.dialog.declined.clear();
        self.dialog.pending_direction = None;
        self.dialog.last_edit = None;
        turn.face_changed = true;
        turn.say(
            talk::say(&talk::templates().restarted, None, None, rng),
            Note::Restarted,
        );
        turn.phase = Some(Phase::Start);
        turn.feedback = Some(Feedback::AskNext);
    }

    /// Chooses the closing feedback (paper: check, suggest or ask), renders the face if it
    /// changed and records the new phase.
    fn finish(&mut self, mut turn: Turn, engine: &dyn FaceEngine) -> Reply {
        let feedback = match turn.feedback {
            Some(f) => f,
            None => self.follow_up(turn.last_edit, engine),
        };
        let edited = turn.notes.iter().any(|n| matches!(n, Note::Edited(_)));
        let phase = turn
            .phase
            .unwrap_or(if edited { Phase::Edit } else { Phase::NoEdit });
        // After a removal the check asks about the face without it, not which way it should go.
        let check = match feedback {
            Feedback::Check(a) if self.has_none(a) => &talk::templates().check_removed,
            _ => &talk::templates().check,
        };
        let rng = &mut self.dialog.rng;
        match feedback {
            Feedback::Check(a) => turn.sentences.push(talk::say(check, Some(a), None, rng)),
            Feedback::Suggest(a) => {
                turn.sentences
                    .push(talk::say(&talk::templates().suggest, Some(a), None, rng))
            }
            Feedback::AskNext if phase == Phase::Start => {
                turn.sentences
                    .push(talk::say(&talk::templates().ask_first, None, None, rng))
            }
            Feedback::AskNext => {
                let pool = if turn.sentences.is_empty() {
                    &talk::templates().ask_next
                } else {
                    &talk::templates().ask_next_following
                };
                turn.sentences.push(talk::say(pool, None, None, rng))
            }
            Feedback::ClarifyAttribute => {
                let pool = match turn.clarify_other_way {
                    Some(Direction::Increase) => &talk::templates().clarify_attribute_all_highest,
                    Some(Direction::Decrease) => &talk::templates().clarify_attribute_all_lowest,
                    None => &talk::templates().clarify_attribute,
                };
                turn.sentences.push(talk::say(pool, None, None, rng))
            }
            Feedback::ClarifyDirection(a) => {
                let pool = if turn.clarify_removal {
                    &talk::templates().clarify_direction_or_remove
                } else {
                    &talk::templates().clarify_direction
                };
                turn.sentences.push(talk::say(pool, Some(a), None, rng))
            }
            Feedback::AskForFace | Feedback::Ended => {}
        }
        let mut image = None;
        if turn.face_changed {
            if let Some(face) = &self.face {
                match engine.render(&face.current) {
                    Ok(rendered) => image = Some(rendered),
                    Err(error) => {
                        turn.sentences
                            .insert(0, format!("I couldn't draw the face: {error}."));
                        turn.notes.push(Note::EngineFailed);
                    }
                }
            }
        }
        let quick_replies = self.quick_replies(feedback, engine);
        self.dialog.phase = phase;
        self.dialog.feedback = feedback;
        Reply {
            text: turn.sentences.join(" "),
            image,
            quick_replies,
            notes: turn.notes,
            feedback,
            phase,
        }
    }

    /// The paper's feedback policy: after an edit, check the degree (always when the user agreed
    /// to a suggestion without a direction); otherwise suggest an attribute not edited yet, more
    /// likely the more are untouched; otherwise ask what next.
    fn follow_up(
        &mut self,
        last_edit: Option<(Attribute, bool)>,
        engine: &dyn FaceEngine,
    ) -> Feedback {
        if self.face.is_none() {
            return Feedback::AskForFace;
        }
        match last_edit {
            Some((a, true)) => return Feedback::Check(a),
            Some((a, false)) if self.dialog.rng.chance(0.5) => return Feedback::Check(a),
            _ => {}
        }
        let untouched: Vec<Attribute> = Attribute::ALL
            .into_iter()
            .filter(|a| !self.dialog.edited.contains(a) && !self.dialog.declined.contains(a))
            .filter(|a| engine.can_edit(*a).is_ok())
            .collect();
        let p = untouched.len() as f64 / Attribute::ALL.len() as f64;
        if !untouched.is_empty() && self.dialog.rng.chance(p) {
            return Feedback::Suggest(*self.dialog.rng.pick(&untouched));
        }
        Feedback::AskNext
    }

    /// The quick answers offered with `feedback` (wording from `[quick_replies]` of `talk.toml`).
    fn quick_replies(&mut self, feedback: Feedback, engine: &dyn FaceEngine) -> Vec<String> {
        let q = talk::quick_replies();
        let plain = |answer: &String| talk::quick(answer, None);
        match feedback {
            // Neither "a bit thicker" nor "a bit thinner" fits glasses that are gone.
            Feedback::Check(a) if self.has_none(a) => {
                let mut options = vec![plain(&q.check_yes)];
                if self.can_undo() {
                    options.push(plain(&q.undo));
                }
                options
            }
            // "A bit thicker" only where the glasses can get thicker (not at degree 5), "a bit
            // younger" only where the face can look younger (not at age 0).
            Feedback::Check(a) => {
                let mut options = vec![plain(&q.check_yes)];
                if self.can_go(a, Direction::Increase) {
                    options.push(talk::quick(&q.check_more, Some(a)));
                }
                if self.can_go(a, Direction::Decrease) {
                    options.push(talk::quick(&q.check_less, Some(a)));
                }
                if self.can_undo() {
                    options.push(plain(&q.undo));
                }
                options
            }
            Feedback::Suggest(_) => vec![plain(&q.suggest_yes), plain(&q.suggest_no)],
            // "More of what?": only the parts that can go that way.
            Feedback::ClarifyAttribute => Attribute::ALL
                .into_iter()
                .filter(|a| {
                    self.dialog
                        .pending_direction
                        .is_none_or(|direction| self.can_go(*a, direction))
                })
                .map(|a| talk::quick(&q.which_part, Some(a)))
                .collect(),
            // Only the ways the degree can go; nothing to remove at degree 0.
            Feedback::ClarifyDirection(a) => {
                let mut options = Vec::new();
                if self.can_go(a, Direction::Increase) {
                    options.push(talk::quick(&q.which_way_more, Some(a)));
                }
                if self.can_go(a, Direction::Decrease) {
                    options.push(talk::quick(&q.which_way_less, Some(a)));
                    if a != Attribute::Age {
                        options.push(plain(&q.which_way_remove));
                    }
                }
                options
            }
            Feedback::AskNext => {
                let mut options: Vec<String> = Vec::new();
                // Offer only edits the engine can do now.
                let mut pool: Vec<Attribute> = Attribute::ALL
                    .into_iter()
                    .filter(|a| engine.can_edit(*a).is_ok())
                    .collect();
                if pool.is_empty() {
                    options.push(plain(&q.help));
                }
                let mut picked = Vec::new();
                while options.len() + picked.len() < 3 && !pool.is_empty() {
                    picked.push(pool.remove(self.dialog.rng.index(pool.len())));
                }
                // "Thicker glasses" cannot change glasses at degree 5: such a pick gives its
                // place to the first attribute not picked that can still go up. The random
                // draws stay as they were, so the rest of the conversation says the same.
                let mut spare = pool
                    .into_iter()
                    .filter(|a| self.can_go(*a, Direction::Increase));
                for a in picked {
                    let offered = if self.can_go(a, Direction::Increase) {
                        Some(a)
                    } else {
                        spare.next()
                    };
                    if let Some(a) = offered {
                        options.push(words(a).request_more.to_string());
                    }
                }
                if self.can_undo() {
                    options.push(plain(&q.undo));
                }
                options.push(plain(&q.done));
                options
            }
            Feedback::AskForFace => Vec::new(),
            Feedback::Ended => vec![plain(&q.start_over)],
        }
    }
}
