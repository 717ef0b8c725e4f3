//! The talk module (paper sec. 3.4 and supplement B): the code that fills the sentence
//! templates of every feedback category.
//!
//! The templates, the synonym pools that vary them, the words for each attribute, the quick
//! answers offered under a reply and the help text live in `engine/data/dialog/talk.toml`
//! (compiled in, parsed once; see [`templates`], [`words`], [`quick_replies`] and [`help`]). A template is plain text with `{slot}`s. Attribute slots (`{the}`,
//! `{more}`, ...) come from the attribute's [`AttributeWords`]; every other slot names a synonym
//! pool and is replaced by a random member. Slots written with a capital first letter (`{The}`,
//! `{Ok}`) are capitalised. The file is checked when it is parsed: every pool has a template,
//! and every slot is one this module fills for the way the pool is said ([`Templates::pools`]).

use super::rng::DialogRng;
use crate::attributes::Attribute;
use crate::language::Direction;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The talk module's templates, synonyms, attribute words, quick answers and help text, as
/// written in `engine/data/dialog/talk.toml`.
pub const TALK_TOML: &str = include_str!("../../data/dialog/talk.toml");

/// How the talk module speaks about one attribute: one `[attributes.*]` table of `talk.toml`
/// (the file documents each word). Every word but `request_more` fills the attribute slot of its
/// name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeWords {
    /// The word users know it by ("smile", "glasses").
    pub name: String,
    /// With its article ("the smile").
    pub the: String,
    /// "are" or "is", agreeing with `the`.
    pub be: String,
    /// What a degree measures ("length", "thickness").
    pub quality: String,
    /// Comparative for a higher degree ("longer", "older").
    pub more: String,
    /// Comparative for a lower degree ("shorter", "younger").
    pub less: String,
    /// The thing an edit changes, as an object ("the bangs", "the face" for age).
    pub object: String,
    /// Subject and verb for the result of an edit ("the bangs are", "the face looks").
    pub subject: String,
    /// What an edit from degree 0 gives, with its article ("a beard", "glasses"); empty for
    /// age, which has no "none".
    pub new: String,
    /// Start of a question about the wanted change ("should they be", "should the face look").
    pub should: String,
    /// Start of the sentence saying a limit is reached ("The glasses can't get").
    pub limit: String,
    /// A short request that raises the degree, offered as a quick answer ("bigger smile").
    pub request_more: String,
}

impl AttributeWords {
    /// Every word with its name in `talk.toml`.
    fn all(&self) -> [(&'static str, &str); 12] {
        [
            ("name", &self.name),
            ("the", &self.the),
            ("be", &self.be),
            ("quality", &self.quality),
            ("more", &self.more),
            ("less", &self.less),
            ("object", &self.object),
            ("subject", &self.subject),
            ("new", &self.new),
            ("should", &self.should),
            ("limit", &self.limit),
            ("request_more", &self.request_more),
        ]
    }
}

/// `[attributes]` of `talk.toml`: the words of every attribute (a table missing is refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeTable {
    bangs: AttributeWords,
    eyeglasses: AttributeWords,
    beard: AttributeWords,
    smiling: AttributeWords,
    age: AttributeWords,
}

impl AttributeTable {
    fn get(&self, attribute: Attribute) -> &AttributeWords {
        match attribute {
            Attribute::Bangs => &self.bangs,
            Attribute::Eyeglasses => &self.eyeglasses,
            Attribute::Beard => &self.beard,
            Attribute::Smiling => &self.smiling,
            Attribute::Age => &self.age,
        }
    }
}

/// The words for `attribute` (`[attributes.*]` of `engine/data/dialog/talk.toml`).
pub fn words(attribute: Attribute) -> &'static AttributeWords {
    talk_file().attributes.get(attribute)
}

/// The whole of `talk.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TalkFile {
    help: String,
    synonyms: BTreeMap<String, Vec<String>>,
    attributes: AttributeTable,
    templates: Templates,
    quick_replies: QuickReplies,
}

/// The quick answers offered under a reply: `[quick_replies]` of `talk.toml` (the file documents
/// each). A quick answer is sent back as if typed. It is said as written, the same every time
/// (see [`quick`]): no synonym slots, and attribute slots only in those offered about an
/// attribute.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickReplies {
    /// A check's "the degree is right".
    pub check_yes: String,
    /// A check's "one degree more" (of the attribute checked).
    pub check_more: String,
    /// A check's "one degree less" (of the attribute checked).
    pub check_less: String,
    /// Take back the last change.
    pub undo: String,
    /// Yes to a suggestion.
    pub suggest_yes: String,
    /// No to a suggestion.
    pub suggest_no: String,
    /// "Which way?": a higher degree (of the attribute asked about).
    pub which_way_more: String,
    /// "Which way?": a lower degree (of the attribute asked about).
    pub which_way_less: String,
    /// "Which way?": none of it (not age).
    pub which_way_remove: String,
    /// "Which part?": one attribute (of it).
    pub which_part: String,
    /// "What's next?" where no attribute can be edited.
    pub help: String,
    /// "What's next?": nothing more.
    pub done: String,
    /// After the conversation ended.
    pub start_over: String,
}

impl QuickReplies {
    /// Every quick answer with its name in `talk.toml` and how it is offered: about an
    /// attribute ([`Said::OfAttribute`]: its attribute slots are filled) or plainly.
    pub fn all(&self) -> [(&'static str, &str, Said); 13] {
        use Said::*;
        [
            ("check_yes", &self.check_yes, Plainly),
            ("check_more", &self.check_more, OfAttribute),
            ("check_less", &self.check_less, OfAttribute),
            ("undo", &self.undo, Plainly),
            ("suggest_yes", &self.suggest_yes, Plainly),
            ("suggest_no", &self.suggest_no, Plainly),
            ("which_way_more", &self.which_way_more, OfAttribute),
            ("which_way_less", &self.which_way_less, OfAttribute),
            ("which_way_remove", &self.which_way_remove, Plainly),
            ("which_part", &self.which_part, OfAttribute),
            ("help", &self.help, Plainly),
            ("done", &self.done, Plainly),
            ("start_over", &self.start_over, Plainly),
        ]
    }
}

/// The sentence template pools of `talk.toml`'s `[templates]`, one per thing the bot says (the
/// file documents each). The order of each pool matters: the dialog's seeded random generator
/// picks a template by its position.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// Feedback category 1: check whether the degree is right.
    pub check: Vec<String>,
    /// Feedback category 1 where the face has none of the attribute (degree 0; not age).
    pub check_removed: Vec<String>,
    /// Feedback category 2: suggest an attribute not edited yet.
    pub suggest: Vec<String>,
    /// Feedback category 3: ask what to do next.
    pub ask_next: Vec<String>,
    /// Feedback category 3 after another sentence of the same reply (no second "Sure, ...").
    pub ask_next_following: Vec<String>,
    /// Ask for the first request on a (new or restored) face.
    pub ask_first: Vec<String>,
    /// An edit moved the attribute (`{adj}` is the comparative of the direction moved).
    pub edited: Vec<String>,
    /// An edit from degree 0 gave the face the attribute (not age).
    pub added: Vec<String>,
    /// An edit took the attribute away (degree 0; not age).
    pub removed: Vec<String>,
    /// The engine reached the limit of the attribute in the requested direction.
    pub cannot_go_further: Vec<String>,
    /// An edit asked to give the face the attribute and nothing the engine could do passed.
    pub could_not_add: Vec<String>,
    /// The edit stopped short because every further step made the face another person's.
    pub would_change_identity: Vec<String>,
    /// The edit stopped short because every further step made the face look broken.
    pub would_break_face: Vec<String>,
    /// The edit stopped short because every further step also changed another attribute
    /// (`{other_*}`: its words, `{other_adj}` the way it went).
    pub would_change_other: Vec<String>,
    /// As `would_change_other`, where the other attribute would be gone (not age).
    pub would_take_away_other: Vec<String>,
    /// As `would_change_other`, where the face had none of the other attribute and would get
    /// some (not age).
    pub would_add_other: Vec<String>,
    /// The attribute already has the requested degree.
    pub already_there: Vec<String>,
    /// A removal asked for where the face has none of the attribute (not age).
    pub already_none: Vec<String>,
    /// Ask which way an attribute should change.
    pub clarify_direction: Vec<String>,
    /// Ask which way when removing is one of the readings (not age).
    pub clarify_direction_or_remove: Vec<String>,
    /// A greeting, with a hint of what to say (a face is loaded).
    pub greet: Vec<String>,
    /// A greeting before any face.
    pub greet_no_face: Vec<String>,
    /// Thanks, answered briefly with a hint.
    pub thanks: Vec<String>,
    /// Ask which attribute a request is about.
    pub clarify_attribute: Vec<String>,
    /// A bare "more" where every attribute is at its highest degree: say so and ask which one
    /// to lower instead.
    pub clarify_attribute_all_highest: Vec<String>,
    /// A bare "less" where every attribute is at its lowest degree: say so and ask which one to
    /// raise instead.
    pub clarify_attribute_all_lowest: Vec<String>,
    /// The user is satisfied with a check.
    pub satisfied: Vec<String>,
    /// The user is satisfied with a check of a removal (degree 0; not age).
    pub satisfied_removed: Vec<String>,
    /// The user is not satisfied with a check of a removal: "undo" brings it back.
    pub removed_not_right: Vec<String>,
    /// The user declined a suggestion.
    pub declined: Vec<String>,
    /// A "no" with nothing to decline and no question to answer.
    pub acknowledge_no: Vec<String>,
    /// The last edit was undone.
    pub undone: Vec<String>,
    /// Nothing to undo.
    pub nothing_to_undo: Vec<String>,
    /// Back to the original face.
    pub restarted: Vec<String>,
    /// A face was loaded.
    pub face_ready: Vec<String>,
    /// The conversation ends.
    pub goodbye: Vec<String>,
    /// A message after the end.
    pub already_ended: Vec<String>,
    /// A message that could not be understood.
    pub not_understood: Vec<String>,
    /// A change was asked for without saying what should change ("more").
    pub ambiguous: Vec<String>,
    /// A text arrived before any face.
    pub need_face: Vec<String>,
}

/// What a pool's templates are filled with where the dialog says them, so which slots they may
/// use: synonym slots always, attribute slots with an attribute, `{adj}` also with a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// Said with neither attribute nor direction ([`say`]`(pool, None, None, ..)`).
    Plainly,
    /// Said about an attribute, with no direction.
    OfAttribute,
    /// Said about an attribute and the way it went.
    OfEdit,
    /// Said about an edit and another attribute it would change too: also the `{other_*}`
    /// slots, filled from the other attribute's words (`{other_adj}`: the way it would go).
    OfEditBesides,
}

impl Templates {
    /// Every pool with its name in `talk.toml` and how the dialog says it.
    pub fn pools(&self) -> [(&'static str, &[String], Said); 40] {
        use Said::*;
        [
            ("check", &self.check, OfAttribute),
            ("check_removed", &self.check_removed, OfAttribute),
            ("suggest", &self.suggest, OfAttribute),
            ("ask_next", &self.ask_next, Plainly),
            ("ask_next_following", &self.ask_next_following, Plainly),
            ("ask_first", &self.ask_first, Plainly),
            ("edited", &self.edited, OfEdit),
            ("added", &self.added, OfEdit),
            ("removed", &self.removed, OfEdit),
            ("cannot_go_further", &self.cannot_go_further, OfEdit),
            ("could_not_add", &self.could_not_add, OfEdit),
            ("would_change_identity", &self.would_change_identity, OfEdit),
            ("would_break_face", &self.would_break_face, OfEdit),
            (
                "would_change_other",
                &self.would_change_other,
                OfEditBesides,
            ),
            (
                "would_take_away_other",
                &self.would_take_away_other,
                OfEditBesides,
            ),
            ("would_add_other", &self.would_add_other, OfEditBesides),
            ("already_there", &self.already_there, OfAttribute),
            ("already_none", &self.already_none, OfAttribute),
            ("clarify_direction", &self.clarify_direction, OfAttribute),
            (
                "clarify_direction_or_remove",
                &self.clarify_direction_or_remove,
                OfAttribute,
            ),
            ("greet", &self.greet, Plainly),
            ("greet_no_face", &self.greet_no_face, Plainly),
            ("thanks", &self.thanks, Plainly),
            ("clarify_attribute", &self.clarify_attribute, Plainly),
            (
                "clarify_attribute_all_highest",
                &self.clarify_attribute_all_highest,
                Plainly,
            ),
            (
                "clarify_attribute_all_lowest",
                &self.clarify_attribute_all_lowest,
                Plainly,
            ),
            ("satisfied", &self.satisfied, OfAttribute),
            ("satisfied_removed", &self.satisfied_removed, OfAttribute),
            ("removed_not_right", &self.removed_not_right, OfAttribute),
            ("declined", &self.declined, OfAttribute),
            ("acknowledge_no", &self.acknowledge_no, Plainly),
            ("undone", &self.undone, Plainly),
            ("nothing_to_undo", &self.nothing_to_undo, Plainly),
            ("restarted", &self.restarted, Plainly),
            ("face_ready", &self.face_ready, Plainly),
            ("goodbye", &self.goodbye, Plainly),
            ("already_ended", &self.already_ended, Plainly),
            ("not_understood", &self.not_understood, Plainly),
            ("ambiguous", &self.ambiguous, Plainly),
            ("need_face", &self.need_face, Plainly),
        ]
    }
}

/// Parses and checks a talk file: every template pool and synonym pool has at least one entry,
/// every `{slot}` is closed and is one [`fill`] fills for the way its pool is said (an attribute
/// slot needs an attribute, `{adj}` also a direction; any other slot must name a synonym pool),
/// and synonyms and the help text hold no braces (they are said as written).
fn parse_talk(text: &str) -> Result<TalkFile, String> {
    let file: TalkFile = toml::from_str(text).map_err(|e| e.to_string())?;
    if file.help.trim().is_empty() || file.help.contains(['{', '}']) {
        return Err("help must be plain, non-empty text".into());
    }
    for (name, pool) in &file.synonyms {
        if pool.is_empty() {
            return Err(format!("synonym pool {name} is empty"));
        }
        if let Some(word) = pool.iter().find(|w| w.contains(['{', '}'])) {
            return Err(format!("synonym {word:?} of {name} holds a brace"));
        }
    }
    for attribute in Attribute::ALL {
        let words = file.attributes.get(attribute);
        for (name, word) in words.all() {
            if word.contains(['{', '}']) {
                return Err(format!(
                    "{name} of {attribute} ({word:?}) holds a brace: words are said as written"
                ));
            }
            // Age has no "none", so nothing is "added" from degree 0: its `new` is empty, and
            // only its.
            let may_be_empty = name == "new" && attribute == Attribute::Age;
            if word.trim().is_empty() != may_be_empty {
                return Err(if may_be_empty {
                    format!("new of age must be empty (age has no \"none\"), not {word:?}")
                } else {
                    format!("{name} of {attribute} is empty")
                });
            }
        }
    }
    // Which slots are attribute slots does not depend on the words, only on the way a pool is
    // said; the bangs' words stand for every attribute's.
    let any_words = Some(file.attributes.get(Attribute::Bangs));
    if let Some(name) = file.synonyms.keys().find(|k| {
        let k = k.strip_prefix(OTHER).unwrap_or(k);
        attribute_slot(k, any_words, Some(Direction::Increase)).is_some()
    }) {
        return Err(format!(
            "synonym pool {name} has the name of an attribute slot"
        ));
    }
    for (name, pool, said) in file.templates.pools() {
        if pool.is_empty() {
            return Err(format!("template pool {name} is empty"));
        }
        for template in pool {
            for slot in slots(template).map_err(|e| format!("{name}: {template:?}: {e}"))? {
                let key = slot.to_ascii_lowercase();
                let (words, direction) = match said {
                    Said::Plainly => (None, None),
                    Said::OfAttribute => (any_words, None),
                    Said::OfEdit | Said::OfEditBesides => (any_words, Some(Direction::Increase)),
                };
                let other_slot = || {
                    let other = key.strip_prefix(OTHER)?;
                    let words = words.filter(|_| said == Said::OfEditBesides);
                    attribute_slot(other, words, Some(Direction::Increase))
                };
                let filled = attribute_slot(&key, words, direction).is_some()
                    || other_slot().is_some()
                    || file.synonyms.contains_key(&key);
                if !filled {
                    return Err(format!(
                        "{name}: {template:?}: {{{slot}}} is neither a synonym pool nor an \
                         attribute slot filled when {name} is said ({said:?})"
                    ));
                }
            }
        }
    }
    // Quick answers are said the same every time: attribute slots only (no synonyms, no
    // `{adj}`), and only in those offered about an attribute.
    for (name, answer, said) in file.quick_replies.all() {
        if answer.trim().is_empty() {
            return Err(format!("quick reply {name} is empty"));
        }
        for slot in slots(answer).map_err(|e| format!("quick reply {name}: {answer:?}: {e}"))? {
            let key = slot.to_ascii_lowercase();
            let words = match said {
                Said::OfAttribute => any_words,
                Said::Plainly | Said::OfEdit | Said::OfEditBesides => None,
            };
            if attribute_slot(&key, words, None).is_none() {
                return Err(format!(
                    "quick reply {name}: {answer:?}: {{{slot}}} is not an attribute slot filled \
                     when {name} is offered ({said:?}); quick replies are said as written, \
                     without synonyms"
                ));
            }
        }
    }
    Ok(file)
}

/// The `{slot}` names of a template, or why it is malformed (an unclosed or stray brace).
fn slots(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => return Ok(out),
            (Some(o), Some(c)) if o < c => {
                let slot = &rest[o + 1..c];
                if slot.is_empty() || slot.contains('{') {
                    return Err(format!("malformed slot {:?}", &rest[o..=c]));
                }
                out.push(slot);
                rest = &rest[c + 1..];
            }
            _ => return Err("unmatched brace".into()),
        }
    }
}

fn talk_file() -> &'static TalkFile {
    static TALK: OnceLock<TalkFile> = OnceLock::new();
    TALK.get_or_init(|| {
        // Compiled in and checked by a unit test, so this cannot fail at run time unless the
        // build itself is broken.
        parse_talk(TALK_TOML)
            .unwrap_or_else(|e| panic!("engine/data/dialog/talk.toml is malformed: {e}"))
    })
}

/// Parses and checks [`TALK_TOML`] (see [`templates`]); an error means the data file is
/// malformed, and says where.
pub fn check_talk_data() -> Result<(), String> {
    parse_talk(TALK_TOML).map(|_| ())
}

/// The sentence template pools (`[templates]` of `engine/data/dialog/talk.toml`).
pub fn templates() -> &'static Templates {
    &talk_file().templates
}

/// The quick answers (`[quick_replies]` of `engine/data/dialog/talk.toml`); offer them with
/// [`quick`].
pub fn quick_replies() -> &'static QuickReplies {
    &talk_file().quick_replies
}

/// A quick answer as offered: its attribute slots filled from `attribute`'s words ("a bit
/// {more}" of the glasses: "a bit thicker"), otherwise as written (no synonyms, no capital).
pub fn quick(answer: &str, attribute: Option<Attribute>) -> String {
    replace_slots(answer, |slot| {
        let capital = slot.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        let value = attribute_slot(&slot.to_ascii_lowercase(), attribute.map(words), None)?;
        Some(if capital { capitalise(&value) } else { value })
    })
}

/// What the bot can do (`help` of `engine/data/dialog/talk.toml`).
pub fn help() -> &'static str {
    &talk_file().help
}

/// Fills a template: attribute slots from `attribute`, `{adj}` from `direction`, every other slot
/// from its synonym pool. Unknown slots are left as written (tests check none remain). The first
/// letter of the sentence is capitalised.
pub fn fill(
    template: &str,
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    rng: &mut DialogRng,
) -> String {
    capitalise(&replace_slots(template, |slot| {
        slot_value(slot, attribute, direction, None, rng)
    }))
}

/// The prefix of the slots that speak of another attribute than the edited one
/// ([`Said::OfEditBesides`]): `{other_the}` is the other attribute's `the`.
const OTHER: &str = "other_";

/// Picks a template from `pool` and fills it as [`fill`] does, and the `{other_*}` slots from
/// `other`'s words (`{other_adj}`: the way `other` would go).
pub fn say_besides(
    pool: &[String],
    attribute: Attribute,
    direction: Direction,
    other: (Attribute, Direction),
    rng: &mut DialogRng,
) -> String {
    let template = rng.pick(pool);
    capitalise(&replace_slots(template, |slot| {
        slot_value(slot, Some(attribute), Some(direction), Some(other), rng)
    }))
}

/// Replaces each `{slot}` of `template` by `value(slot)`, leaving the slots it has no value for
/// (and an unclosed brace) as written.
fn replace_slots(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let slot = &rest[open + 1..open + close];
        match value(slot) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Picks a template from `pool` and fills it.
pub fn say(
    pool: &[String],
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    rng: &mut DialogRng,
) -> String {
    let template = rng.pick(pool);
    fill(template, attribute, direction, rng)
}

fn slot_value(
    slot: &str,
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    other: Option<(Attribute, Direction)>,
    rng: &mut DialogRng,
) -> Option<String> {
    let capital = slot.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let key = slot.to_ascii_lowercase();
    let key = key.as_str();
    let other_slot = || {
        let (other, way) = other?;
        attribute_slot(key.strip_prefix(OTHER)?, Some(words(other)), Some(way))
    };
    let value = attribute_slot(key, attribute.map(words), direction)
        .or_else(other_slot)
        .or_else(|| {
            talk_file()
                .synonyms
                .get(key)
                .map(|pool| rng.pick(pool).clone())
        })?;
    Some(if capital { capitalise(&value) } else { value })
}

fn attribute_slot(
    key: &str,
    words: Option<&AttributeWords>,
    direction: Option<Direction>,
) -> Option<String> {
    let w = words?;
    let value = match key {
        "name" => &w.name,
        "the" => &w.the,
        "be" => &w.be,
        "quality" => &w.quality,
        "more" => &w.more,
        "less" => &w.less,
        "should" => &w.should,
        "object" => &w.object,
        "subject" => &w.subject,
        "new" => &w.new,
        "limit" => &w.limit,
        "adj" => match direction? {
            Direction::Increase => &w.more,
            Direction::Decrease => &w.less,
        },
        _ => return None,
    };
    Some(value.clone())
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Words in a message that ask for a change without naming what should change, with the
/// direction they imply. Used to ask "more of what?" rather than "I didn't understand".
pub fn bare_direction(text: &str) -> Option<Direction> {
    const UP: &[&str] = &[
        "more", "bigger", "longer", "increase", "stronger", "thicker", "further", "again", "up",
    ];
    const DOWN: &[&str] = &[
        "less", "smaller", "shorter", "decrease", "weaker", "thinner", "down", "fewer",
    ];
    let lower = text.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.iter().any(|t| UP.contains(t)) {
        Some(Direction::Increase)
    } else if tokens.iter().any(|t| DOWN.contains(t)) {
        Some(Direction::Decrease)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(pool: &[String], attribute: Attribute, direction: Direction, seed: u64) -> String {
        say(
            pool,
            Some(attribute),
            Some(direction),
            &mut DialogRng::new(seed),
        )
    }

    #[test]
    fn check_mentions_the_attribute_and_agrees() {
        let mut rng = DialogRng::new(3);
        let check = &templates().check;
        let s = fill(&check[0], Some(Attribute::Bangs), None, &mut rng);
        assert!(s.starts_with("Are the bangs the length you "), "{s}");
        let s = fill(&check[1], Some(Attribute::Age), None, &mut rng);
        assert!(s.starts_with("Is the age "), "{s}");
        assert!(s.contains("should the face look older or younger?"), "{s}");
    }

    #[test]
    fn limit_sentence_reads_like_the_paper() {
        let mut rng = DialogRng::new(0);
        let s = fill(
            &templates().cannot_go_further[0],
            Some(Attribute::Eyeglasses),
            Some(Direction::Increase),
            &mut rng,
        );
        assert_eq!(s, "The glasses can't get any thicker on this face.");
    }

    #[test]
    fn talk_data_parses_and_no_pool_is_empty() {
        check_talk_data().unwrap();
        let t = templates();
        for (name, pool, _) in t.pools() {
            assert!(!pool.is_empty(), "{name} is empty");
        }
        // `pools` lists every field of `[templates]`: the file has as many pools.
        let value: toml::Value = toml::from_str(TALK_TOML).unwrap();
        assert_eq!(
            value["templates"].as_table().unwrap().len(),
            t.pools().len()
        );
        assert!(!talk_file().synonyms.is_empty());
        assert!(talk_file().synonyms.values().all(|p| !p.is_empty()));
    }

    /// Every template of every pool, filled the way the dialog says it, for every attribute and
    /// way, leaves no slot unfilled.
    #[test]
    fn every_slot_in_the_data_file_is_filled() {
        for (name, pool, how) in templates().pools() {
            for template in pool {
                for attribute in Attribute::ALL {
                    for direction in [Direction::Increase, Direction::Decrease] {
                        let (a, d) = match how {
                            Said::Plainly => (None, None),
                            Said::OfAttribute => (Some(attribute), None),
                            Said::OfEdit | Said::OfEditBesides => {
                                (Some(attribute), Some(direction))
                            }
                        };
                        for seed in 0..4 {
                            let mut rng = DialogRng::new(seed);
                            let s = if how == Said::OfEditBesides {
                                let other = (Attribute::Eyeglasses, direction);
                                let pool = std::slice::from_ref(template);
                                say_besides(pool, attribute, direction, other, &mut rng)
                            } else {
                                fill(template, a, d, &mut rng)
                            };
                            assert!(!s.contains(['{', '}']), "{name}: {template:?} -> {s:?}");
                        }
                    }
                }
            }
        }
    }

    /// The checks of `parse_talk` catch mistakes in the data file: each edit below breaks the
    /// real file in one place.
    #[test]
    fn mistakes_in_the_data_file_are_refused() {
        let broken = |from: &str, to: &str| {
            assert!(TALK_TOML.contains(from), "{from:?} is not in the file");
            parse_talk(&TALK_TOML.replacen(from, to, 1))
                .err()
                .unwrap_or_else(|| panic!("{to:?} was accepted"))
        };
        // A misspelt synonym slot.
        let e = broken("\"{Ok}, what's next?\"", "\"{Okk}, what's next?\"");
        assert!(e.contains("{Okk}") && e.contains("ask_next"), "{e}");
        // An attribute slot in a pool said about no attribute.
        let e = broken("\"What's next?\"", "\"What's next for {the}?\"");
        assert!(
            e.contains("{the}") && e.contains("ask_next_following"),
            "{e}"
        );
        // `{adj}` in a pool said without a direction.
        let e = broken(
            "\"{The} {be} already like that.\"",
            "\"{The} {be} already {adj}.\"",
        );
        assert!(e.contains("{adj}") && e.contains("already_there"), "{e}");
        // An unclosed slot.
        let e = broken("\"{Great}!\"", "\"{Great!\"");
        assert!(e.contains("satisfied"), "{e}");
        // An empty pool.
        let e = broken(
            "nothing_to_undo = [\"There is nothing to undo yet.\"]",
            "nothing_to_undo = []",
        );
        assert!(e.contains("nothing_to_undo is empty"), "{e}");
        // A misspelt pool name (the dialog would have no `goodbye`).
        broken("\ngoodbye = [", "\ngood_bye = [");
        // An empty synonym pool.
        let e = broken("sorry = [\"sorry\", \"unfortunately\"]", "sorry = []");
        assert!(e.contains("sorry is empty"), "{e}");
        // A synonym pool that an attribute slot would hide.
        let e = broken("\nbye = [", "\nmore = [");
        assert!(e.contains("more"), "{e}");
        // ... or another attribute's slot.
        let e = broken("\nbye = [", "\nother_the = [");
        assert!(e.contains("other_the"), "{e}");
        // Another attribute's slot in a pool said about one attribute only.
        let e = broken(
            "without the face breaking up.",
            "without breaking {other_object}.",
        );
        assert!(
            e.contains("{other_object}") && e.contains("would_break_face"),
            "{e}"
        );
        // A misspelt word of the other attribute.
        let e = broken("taking away {other_object}.", "taking away {other_objet}.");
        assert!(e.contains("{other_objet}"), "{e}");
    }

    /// The checks of the `[attributes.*]` words: each edit below breaks the real file in one
    /// place, and is refused with a message that says where.
    #[test]
    fn mistakes_in_the_attribute_words_are_refused() {
        let broken = |from: &str, to: &str| {
            assert!(TALK_TOML.contains(from), "{from:?} is not in the file");
            parse_talk(&TALK_TOML.replacen(from, to, 1))
                .err()
                .unwrap_or_else(|| panic!("{to:?} was accepted"))
        };
        // An attribute's table missing altogether (the beard would have no words).
        let start = TALK_TOML.find("[attributes.beard]").unwrap();
        let end = start + TALK_TOML[start..].find("\n\n").unwrap();
        let e = broken(&TALK_TOML[start..end], "");
        assert!(e.contains("missing field `beard`"), "{e}");
        // A misspelt attribute (the smile would have none, and `smile` is no attribute).
        let e = broken("[attributes.smiling]", "[attributes.smile]");
        assert!(e.contains("smile"), "{e}");
        // One word of an attribute missing.
        let e = broken("limit = \"the glasses can't get\"\n", "");
        assert!(e.contains("missing field `limit`"), "{e}");
        // A word no slot or quick answer uses (a misspelt name).
        let e = broken("quality = \"size\"", "qualty = \"size\"");
        assert!(e.contains("qualty"), "{e}");
        // A placeholder in a word: words are said as written, "{the}" would reach the user.
        let e = broken("the = \"the bangs\"", "the = \"{the} bangs\"");
        assert!(e.contains("the of bangs") && e.contains("brace"), "{e}");
        let e = broken("should = \"should it be\"", "should = \"should {it} be\"");
        assert!(e.contains("should of beard") && e.contains("brace"), "{e}");
        // An empty word.
        let e = broken("more = \"thicker\"", "more = \"\"");
        assert!(e.contains("more of eyeglasses is empty"), "{e}");
        let e = broken("new = \"a smile\"", "new = \" \"");
        assert!(e.contains("new of smiling is empty"), "{e}");
        // Age has no "none": nothing can be added to it from degree 0.
        let e = broken("new = \"\"", "new = \"an age\"");
        assert!(e.contains("new of age must be empty"), "{e}");
        // An attribute slot a template uses but no attribute has.
        let e = broken(
            "\"{The} {be} already like that.\"",
            "\"{The} {colour} {be} already like that.\"",
        );
        assert!(e.contains("{colour}") && e.contains("already_there"), "{e}");
    }

    /// The words as the Rust table of `talk.rs` said them before they moved to `talk.toml`
    /// (name | the | be | quality | more | less | object | subject | new | should | limit |
    /// request_more).
    #[test]
    fn attribute_words_are_unchanged() {
        let table: Vec<String> = Attribute::ALL
            .into_iter()
            .map(|a| {
                let w = words(a);
                let all: Vec<&str> = w.all().iter().map(|(_, word)| *word).collect();
                all.join(" | ")
            })
            .collect();
        assert_eq!(
            table,
            [
                "bangs | the bangs | are | length | longer | shorter | the bangs | \
                 the bangs are | some bangs | should they be | the bangs can't get | longer bangs",
                "glasses | the glasses | are | thickness | thicker | thinner | the glasses | \
                 the glasses are | glasses | should they be | the glasses can't get | \
                 thicker glasses",
                "beard | the beard | is | length | longer | shorter | the beard | the beard is | \
                 a beard | should it be | the beard can't get | more beard",
                "smile | the smile | is | size | bigger | smaller | the smile | the smile is | \
                 a smile | should it be | the smile can't get | bigger smile",
                "age | the age | is | one | older | younger | the face | the face looks |  | \
                 should the face look | the face can't look | make the face older",
            ]
        );
    }

    /// Seeded replies as the talk module said them when its templates were still Rust constants
    /// (before `talk.toml`): moving or editing the data must not change what a seed says unless
    /// the wording is meant to change.
    #[test]
    fn seeded_replies_are_unchanged() {
        let t = templates();
        let check: Vec<String> = (0..4)
            .map(|seed| {
                say(
                    &t.check,
                    Some(Attribute::Bangs),
                    None,
                    &mut DialogRng::new(seed),
                )
            })
            .collect();
        assert_eq!(
            check,
            [
                "Here it is. Are the bangs just right?",
                "Are the bangs good now, or should they be longer or shorter?",
                "Are you satisfied with the bangs like this?",
                "Are the bangs about right now, or should they be longer or shorter?",
            ]
        );
        let ask_next: Vec<String> = (0..4)
            .map(|seed| say(&t.ask_next, None, None, &mut DialogRng::new(seed)))
            .collect();
        assert_eq!(
            ask_next,
            [
                "What else can I do for this face?",
                "What would you like to edit next?",
                "Sure. Is there anything else you'd like to change?",
                "What would you like to change next?",
            ]
        );
        assert_eq!(
            said(&t.edited, Attribute::Eyeglasses, Direction::Decrease, 1),
            "All set, the glasses are a little thinner."
        );
        assert_eq!(
            said(&t.could_not_add, Attribute::Beard, Direction::Increase, 1),
            "Unfortunately, a beard didn't work on this face: every try changed the face too \
             much, so I left it as it was."
        );
        assert_eq!(
            say(
                &t.suggest,
                Some(Attribute::Age),
                None,
                &mut DialogRng::new(0)
            ),
            "We haven't touched the age yet. Shall we try?"
        );
        assert_eq!(
            say(&t.goodbye, None, None, &mut DialogRng::new(2)),
            "Thanks for editing with me. See you!"
        );
        assert_eq!(
            help(),
            "I edit faces through conversation. Tell me things like \"give her longer bangs\", \
             \"a bit more smile\", \"make him look older\" or \"add thick glasses\"; I can edit \
             bangs, eyeglasses, beard, smile and age in six degrees each. Say \"undo\" to take \
             back the last change, \"start over\" to return to the original face, or \"bye\" to \
             finish."
        );
    }

    /// The quick answers as `conversation.rs` wrote them before they moved to `talk.toml`, for
    /// every attribute (attribute slots filled, no capital, no synonym).
    #[test]
    fn quick_replies_are_unchanged() {
        let q = quick_replies();
        let plain: Vec<String> = [
            &q.check_yes,
            &q.undo,
            &q.suggest_yes,
            &q.suggest_no,
            &q.which_way_remove,
            &q.help,
            &q.done,
            &q.start_over,
        ]
        .into_iter()
        .map(|answer| quick(answer, None))
        .collect();
        assert_eq!(
            plain,
            [
                "yes, that's good",
                "undo",
                "yes",
                "no thanks",
                "remove it",
                "help",
                "that's all",
                "start over"
            ]
        );
        let of_attribute: Vec<String> = Attribute::ALL
            .into_iter()
            .map(|a| {
                [
                    &q.check_more,
                    &q.check_less,
                    &q.which_way_more,
                    &q.which_way_less,
                    &q.which_part,
                ]
                .map(|answer| quick(answer, Some(a)))
                .join(" | ")
            })
            .collect();
        assert_eq!(
            of_attribute,
            [
                "a bit longer | a bit shorter | longer | shorter | bangs",
                "a bit thicker | a bit thinner | thicker | thinner | glasses",
                "a bit longer | a bit shorter | longer | shorter | beard",
                "a bit bigger | a bit smaller | bigger | smaller | smile",
                "a bit older | a bit younger | older | younger | age",
            ]
        );
        // Every answer filled the way it is offered leaves no slot.
        for (name, answer, said) in q.all() {
            for a in Attribute::ALL {
                let attribute = (said == Said::OfAttribute).then_some(a);
                let s = quick(answer, attribute);
                assert!(!s.is_empty() && !s.contains(['{', '}']), "{name}: {s:?}");
            }
        }
    }

    /// The checks of `[quick_replies]`: each edit below breaks the real file in one place.
    #[test]
    fn mistakes_in_the_quick_replies_are_refused() {
        let broken = |from: &str, to: &str| {
            assert!(TALK_TOML.contains(from), "{from:?} is not in the file");
            parse_talk(&TALK_TOML.replacen(from, to, 1))
                .err()
                .unwrap_or_else(|| panic!("{to:?} was accepted"))
        };
        // A synonym slot: quick answers are the same every time.
        let e = broken("check_yes = \"yes, that's good\"", "check_yes = \"{ok}\"");
        assert!(e.contains("check_yes") && e.contains("{ok}"), "{e}");
        // An attribute slot in an answer offered about no attribute.
        let e = broken("done = \"that's all\"", "done = \"that's all for {the}\"");
        assert!(e.contains("quick reply done") && e.contains("{the}"), "{e}");
        // `{adj}`: an answer is offered before any edit has a way.
        let e = broken(
            "check_more = \"a bit {more}\"",
            "check_more = \"a bit {adj}\"",
        );
        assert!(e.contains("check_more") && e.contains("{adj}"), "{e}");
        // An unclosed slot, an empty answer, a missing and a misspelt one.
        let e = broken("which_part = \"{name}\"", "which_part = \"{name\"");
        assert!(e.contains("which_part"), "{e}");
        let e = broken("undo = \"undo\"", "undo = \" \"");
        assert!(e.contains("quick reply undo is empty"), "{e}");
        let e = broken("start_over = \"start over\"\n", "");
        assert!(e.contains("missing field `start_over`"), "{e}");
        let e = broken("suggest_no = ", "suggest_nope = ");
        assert!(e.contains("suggest_nope"), "{e}");
    }

    #[test]
    fn bare_direction_words() {
        assert_eq!(bare_direction("More!"), Some(Direction::Increase));
        assert_eq!(bare_direction("a bit less pls"), Some(Direction::Decrease));
        assert_eq!(bare_direction("hello there"), None);
    }
}
