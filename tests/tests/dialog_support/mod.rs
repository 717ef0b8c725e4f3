//! Test doubles for the dialog tests: a deterministic [`FaceEngine`] whose latent carries its
//! attribute degrees, and a small phrase table standing in for the language encoder. Test-only.
#![allow(dead_code)]

use engine::dialog::{
    Conversation, Degrees, EditOutcome, EngineError, Event, FaceEngine, Latent, Reply, StopReason,
    W_PLUS_LEN,
};
use engine::language::{Direction, EditKind, EditRequest, Intent, ParsedRequest, SystemContext};
use engine::Attribute;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A face editor double. The first five floats of a latent are the degrees of the five
/// attributes; `edit` moves a degree towards the target but never beyond `max_degree` (nor below
/// `min_degree`), saying `stops_because` when it stops short, and also nudges float 100 so latents differ with history; `render` paints the degrees into pixels.
pub struct DoubleEngine {
    /// Degrees of a new face, per attribute index.
    pub start_degrees: [u8; 5],
    /// Highest degree each attribute can reach on any face.
    pub max_degree: [u8; 5],
    /// Lowest degree each attribute can reach on any face.
    pub min_degree: [u8; 5],
    /// Why an edit stops short of its target.
    pub stops_because: StopReason,
    /// Attributes whose "semantic field" is missing.
    pub unavailable: BTreeSet<Attribute>,
    /// When false, `degrees` fails like an engine without its predictor.
    pub can_measure: bool,
    /// When false, starting a face fails like an engine without its generator.
    pub can_generate: bool,
    pub edits: AtomicUsize,
}

impl Default for DoubleEngine {
    fn default() -> Self {
        DoubleEngine {
            start_degrees: [0, 0, 0, 1, 2],
            max_degree: [5, 3, 5, 5, 5],
            min_degree: [0; 5],
            stops_because: StopReason::Limit,
            unavailable: BTreeSet::new(),
            can_measure: true,
            can_generate: true,
            edits: AtomicUsize::new(0),
        }
    }
}

fn not_available(action: String, needs: String) -> EngineError {
    EngineError::NotAvailable {
        action,
        needs,
        status: "is not trained yet".into(),
    }
}

impl DoubleEngine {
    fn face(&self, seed: u64) -> Latent {
        let mut values = vec![0f32; W_PLUS_LEN];
        for (i, d) in self.start_degrees.iter().enumerate() {
            values[i] = f32::from(*d);
        }
        values[5] = seed as f32;
        Latent::from_vec(values).expect("valid latent")
    }
}

impl FaceEngine for DoubleEngine {
    fn start_from_seed(&self, seed: u64) -> Result<Latent, EngineError> {
        if !self.can_generate {
            return Err(not_available(
                "generating a face".into(),
                "the generator weights".into(),
            ));
        }
        Ok(self.face(seed))
    }

    fn start_from_photo(&self, photo: &[u8]) -> Result<Latent, EngineError> {
        match photo.strip_prefix(b"PHOTO:") {
            Some(rest) => Ok(self.face(rest.len() as u64)),
            None => Err(EngineError::BadInput("that is not an image".into())),
        }
    }

    fn degrees(&self, latent: &Latent) -> Result<Degrees, EngineError> {
        if !self.can_measure {
            return Err(not_available(
                "measuring attributes".into(),
                "the attribute predictor".into(),
            ));
        }
        Ok(Attribute::ALL
            .into_iter()
            .map(|a| (a, latent.as_slice()[a.index()] as u8))
            .collect())
    }

    fn can_edit(&self, attribute: Attribute) -> Result<(), EngineError> {
        if self.unavailable.contains(&attribute) {
            return Err(not_available(
                format!("editing {attribute}"),
                format!("the semantic field for {attribute}"),
            ));
        }
        Ok(())
    }

    fn edit(
        &self,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        self.can_edit(attribute)?;
        self.edits.fetch_add(1, Ordering::SeqCst);
        let mut values = latent.as_slice().to_vec();
        let max = self.max_degree[attribute.index()];
        let min = self.min_degree[attribute.index()];
        let reached = target.clamp(min, max);
        values[attribute.index()] = f32::from(reached);
        values[100] += 1.0;
        Ok(EditOutcome {
            latent: Latent::from_vec(values).expect("valid latent"),
            reached,
            stopped_short: (reached != target).then_some(self.stops_because),
        })
    }

    fn render(&self, latent: &Latent) -> Result<image::RgbImage, EngineError> {
        let v = latent.as_slice();
        Ok(image::RgbImage::from_fn(4, 4, |x, y| {
            let i = ((x + y) % 5) as usize;
            image::Rgb([v[i] as u8 * 40, v[5] as u8, v[100] as u8])
        }))
    }
}

pub fn edit(attribute: Attribute, kind: EditKind, direction: Option<Direction>) -> EditRequest {
    EditRequest {
        attribute,
        kind,
        direction,
        target: None,
        change: None,
    }
}

pub fn edits(list: Vec<EditRequest>) -> ParsedRequest {
    ParsedRequest {
        intent: Intent::Edit,
        edits: list,
    }
}

pub fn more(attribute: Attribute) -> ParsedRequest {
    edits(vec![edit(
        attribute,
        EditKind::Direction,
        Some(Direction::Increase),
    )])
}

pub fn less(attribute: Attribute) -> ParsedRequest {
    edits(vec![edit(
        attribute,
        EditKind::Direction,
        Some(Direction::Decrease),
    )])
}

pub fn target(attribute: Attribute, degree: u8) -> ParsedRequest {
    edits(vec![EditRequest {
        attribute,
        kind: EditKind::Target,
        direction: None,
        target: Some(degree),
        change: None,
    }])
}

pub fn intent(intent: Intent) -> ParsedRequest {
    ParsedRequest {
        intent,
        edits: Vec::new(),
    }
}

/// A phrase table standing in for the language encoder in persistence tests (it reads context
/// the way the encoder's contract says: "yes" to a suggestion is an edit with no direction).
pub fn phrase_parser(text: &str, context: Option<SystemContext>) -> ParsedRequest {
    let attribute = |name: &str| name.parse::<Attribute>().ok();
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["yes"] => match context {
            Some(SystemContext::Suggest(a)) => edits(vec![edit(a, EditKind::Direction, None)]),
            _ => intent(Intent::Yes),
        },
        ["no"] => intent(Intent::No),
        ["undo"] => intent(Intent::Undo),
        ["restart"] => intent(Intent::Restart),
        ["help"] => intent(Intent::Help),
        ["bye"] => intent(Intent::End),
        ["more"] => match context {
            Some(SystemContext::Check(a)) => more(a),
            _ => intent(Intent::Unknown),
        },
        ["less"] => match context {
            Some(SystemContext::Check(a)) => less(a),
            _ => intent(Intent::Unknown),
        },
        ["more", name] => attribute(name).map(more).unwrap_or(intent(Intent::Unknown)),
        ["less", name] => attribute(name).map(less).unwrap_or(intent(Intent::Unknown)),
        [name, degree] => match (attribute(name), degree.parse::<u8>()) {
            (Some(a), Ok(d)) => target(a, d),
            _ => intent(Intent::Unknown),
        },
        _ => intent(Intent::Unknown),
    }
}

/// Turns a script line into an event: `seed N`, `photo TEXT`, or a text message.
pub fn event(line: &str) -> Event {
    if let Some(seed) = line.strip_prefix("seed ") {
        Event::SeedFace(seed.parse().expect("seed number"))
    } else if let Some(photo) = line.strip_prefix("photo ") {
        Event::PhotoUploaded(format!("PHOTO:{photo}").into_bytes())
    } else {
        Event::Text(line.to_string())
    }
}

/// Runs one script line on an in-memory conversation.
pub fn step(conversation: &mut Conversation, engine: &DoubleEngine, line: &str) -> Reply {
    conversation.handle(event(line), engine, &phrase_parser)
}

/// A script that visits most of the dialog: edits, checks, suggestions, undo, restart.
pub const SCRIPT: &[&str] = &[
    "seed 42",
    "more bangs",
    "more",
    "yes",
    "eyeglasses 5",
    "yes",
    "undo",
    "more smiling",
    "less",
    "no",
    "beard 3",
    "yes",
    "restart",
    "more age",
    "help",
    "bye",
    "more bangs",
];
