//! The talk module (paper sec. 3.4 and supplement B): the words for each attribute, the
//! sentence template pools of every feedback category and the synonym pools that vary them.
//!
//! A template is plain text with `{slot}`s. Attribute slots (`{the}`, `{more}`, ...) come from
//! [`AttributeWords`]; every other slot names a synonym pool and is replaced by a random member.
//! Slots written with a capital first letter (`{The}`, `{Ok}`) are capitalised.

use super::rng::DialogRng;
use crate::attributes::Attribute;
use crate::language::Direction;

/// How the talk module speaks about one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeWords {
    /// The word users know it by ("smile", "glasses").
    pub name: &'static str,
    /// With its article ("the smile").
    pub the: &'static str,
    /// "are" or "is", agreeing with `the`.
    pub be: &'static str,
    /// What a degree measures ("length", "thickness").
    pub quality: &'static str,
    /// Comparative for a higher degree ("longer", "older").
    pub more: &'static str,
    /// Comparative for a lower degree ("shorter", "younger").
    pub less: &'static str,
    /// The thing an edit changes, as an object ("the bangs", "the face" for age).
    pub object: &'static str,
    /// Subject and verb for the result of an edit ("the bangs are", "the face looks").
    pub subject: &'static str,
    /// What an edit from degree 0 gives, with its article ("a beard", "glasses"); empty for
    /// age, which has no "none".
    pub new: &'static str,
    /// Start of a question about the wanted change ("should they be", "should the face look").
    pub should: &'static str,
    /// Start of the sentence saying a limit is reached ("The glasses can't get").
    pub limit: &'static str,
    /// A short request that raises the degree, offered as a quick answer ("bigger smile").
    pub request_more: &'static str,
}

/// The words for `attribute`.
pub fn words(attribute: Attribute) -> AttributeWords {
    match attribute {
        Attribute::Bangs => AttributeWords {
            name: "bangs",
            the: "the bangs",
            be: "are",
            quality: "length",
            more: "longer",
            less: "shorter",
            object: "the bangs",
            subject: "the bangs are",
            should: "should they be",
            limit: "the bangs can't get",
            request_more: "longer bangs",
            new: "some bangs",
        },
        Attribute::Eyeglasses => AttributeWords {
            name: "glasses",
            the: "the glasses",
            be: "are",
            quality: "thickness",
            more: "thicker",
            less: "thinner",
            object: "the glasses",
            subject: "the glasses are",
            should: "should they be",
            limit: "the glasses can't get",
            request_more: "thicker glasses",
            new: "glasses",
        },
        Attribute::Beard => AttributeWords {
            name: "beard",
            the: "the beard",
            be: "is",
            quality: "length",
            more: "longer",
            less: "shorter",
            object: "the beard",
            subject: "the beard is",
            should: "should it be",
            limit: "the beard can't get",
            request_more: "more beard",
            new: "a beard",
        },
        Attribute::Smiling => AttributeWords {
            name: "smile",
            the: "the smile",
            be: "is",
            quality: "size",
            more: "bigger",
            less: "smaller",
            object: "the smile",
            subject: "the smile is",
            should: "should it be",
            limit: "the smile can't get",
            request_more: "bigger smile",
            new: "a smile",
        },
        Attribute::Age => AttributeWords {
            name: "age",
            the: "the age",
            be: "is",
            quality: "one",
            more: "older",
            less: "younger",
            object: "the face",
            subject: "the face looks",
            should: "should the face look",
            limit: "the face can't look",
            request_more: "make the face older",
            new: "",
        },
    }
}

/// Synonym pools: a slot that is not an attribute word is replaced by one of these.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("ok", &["ok", "alright", "sure", "got it"]),
    ("done", &["done", "here you go", "there you go", "all set"]),
    ("like", &["like", "want", "had in mind", "prefer"]),
    (
        "right",
        &["just right", "about right", "what you wanted", "good"],
    ),
    (
        "happy_with",
        &[
            "do you like",
            "are you happy with",
            "are you satisfied with",
        ],
    ),
    (
        "editing",
        &["editing", "changing", "adjusting", "playing with"],
    ),
    ("change", &["change", "edit", "adjust"]),
    ("how_about", &["how about", "what about"]),
    (
        "shall",
        &["shall we try?", "want to give it a go?", "should we try?"],
    ),
    ("great", &["great", "perfect", "nice", "glad you like it"]),
    ("sorry", &["sorry", "unfortunately"]),
    ("bye", &["bye", "goodbye", "see you"]),
];

/// Feedback category 1: check whether the degree is right.
pub const CHECK: &[&str] = &[
    "{Be} {the} the {quality} you {like} now?",
    "{Be} {the} {right} now, or {should} {more} or {less}?",
    "{Happy_with} {the} like this?",
    "Here it is. {Be} {the} {right}?",
];

/// Feedback category 2: suggest an attribute not edited yet.
pub const SUGGEST: &[&str] = &[
    "Do you want to try {editing} {the}?",
    "{How_about} {editing} {the} next?",
    "Would you like to {change} {the} too?",
    "We haven't touched {the} yet. {Shall}",
];

/// Feedback category 3: ask what to do next.
pub const ASK_NEXT: &[&str] = &[
    "{Ok}, what's next?",
    "What would you like to {change} next?",
    "{Ok}. Is there anything else you'd like to {change}?",
    "What else can I do for this face?",
];

/// Feedback category 3 after another sentence of the same reply (which may have opened with an
/// acknowledgement already: "Sure, I undid the last change." is not followed by "Sure, what's
/// next?").
pub const ASK_NEXT_FOLLOWING: &[&str] = &[
    "What's next?",
    "What would you like to {change} next?",
    "Is there anything else you'd like to {change}?",
    "What else can I do for this face?",
];

/// Ask for the first request on a (new or restored) face.
pub const ASK_FIRST: &[&str] = &[
    "What would you like to {change}?",
    "What should I {change} first?",
    "Tell me what to {change}: the bangs, the glasses, the beard, the smile or the age.",
];

/// An edit moved the attribute (`{adj}` is the comparative of the direction moved).
pub const EDITED: &[&str] = &[
    "{Done}: {subject} {adj} now.",
    "{Ok}, I made {object} {adj}.",
    "{Done}, {subject} a little {adj}.",
];

/// An edit from degree 0 gave the face the attribute (not age).
pub const ADDED: &[&str] = &["{Done}: I added {new}.", "{Ok}, I gave the face {new}."];

/// An edit took the attribute away (degree 0; not age).
pub const REMOVED: &[&str] = &["{Done}: I removed {object}.", "{Ok}, {object} {be} gone."];

/// The engine reached the limit of the attribute in the requested direction.
pub const CANNOT_GO_FURTHER: &[&str] = &[
    "{Limit} any {adj} on this face.",
    "{Sorry}, {limit} any {adj} on this face.",
];

/// An edit asked to give the face the attribute (from degree 0; not age) and nothing the engine
/// could do passed its checks: "can't get any thicker" would speak of glasses that are not there.
pub const COULD_NOT_ADD: &[&str] = &[
    "{Sorry}, I couldn't add {new} to this face without changing it too much.",
    "{Sorry}, {new} didn't work on this face: every try changed the face too much, so I left it as it was.",
];

/// The attribute already has the requested degree.
pub const ALREADY_THERE: &[&str] = &[
    "{The} {be} already like that.",
    "{Ok}, {the} {be} already there.",
];

/// Ask which way an attribute should change.
pub const CLARIFY_DIRECTION: &[&str] = &["{Should} {more} or {less}?"];

/// Ask which way when the request was unclear and removing is one of the readings ("Do you want
/// the beard longer, shorter, or removed?"). Not used for age.
pub const CLARIFY_DIRECTION_OR_REMOVE: &[&str] = &[
    "Do you want {the} {more}, {less}, or removed?",
    "I'm not sure which way you mean: {more}, {less}, or removed?",
];

/// A greeting, with a hint of what to say (a face is loaded).
pub const GREET: &[&str] = &[
    "Hi! Tell me what to change, like \"a bit more smile\", \"lose the glasses\" or \"make him older\".",
    "Hello! I can change the bangs, glasses, beard, smile and age. Try \"give him a beard\" or \"set the smile to level 3\".",
];

/// A greeting before any face.
pub const GREET_NO_FACE: &[&str] =
    &["Hi! Send me a photo of a face (or pick a generated face), then tell me what to change."];

/// Thanks, answered briefly with a hint.
pub const THANKS: &[&str] = &[
    "You're welcome! Anything else? You can say \"undo\", or \"bye\" when you're done.",
    "Glad to help! Say what to change next, or \"bye\" to finish.",
];

/// Ask which attribute a request is about.
pub const CLARIFY_ATTRIBUTE: &[&str] = &[
    "Which part should I change: the bangs, the glasses, the beard, the smile or the age?",
    "Do you mean the bangs, the glasses, the beard, the smile or the age?",
];

/// The user is satisfied with a check.
pub const SATISFIED: &[&str] = &["{Great}!", "{Great}, I'll keep {the} like this."];

/// The user declined a suggestion.
pub const DECLINED: &[&str] = &["{Ok}, no problem.", "{Ok}, let's leave {the} alone."];

/// The last edit was undone.
pub const UNDONE: &[&str] = &[
    "{Ok}, I undid the last change.",
    "Undone: the face is back to how it was before.",
];

/// Nothing to undo.
pub const NOTHING_TO_UNDO: &[&str] = &["There is nothing to undo yet."];

/// Back to the original face.
pub const RESTARTED: &[&str] = &[
    "{Ok}, starting over from the original face.",
    "Back to the original face.",
];

/// A face was loaded.
pub const FACE_READY: &[&str] = &[
    "Here is your face.",
    "I have the face ready.",
    "Got the face.",
];

/// The conversation ends.
pub const GOODBYE: &[&str] = &["Thanks for editing with me. {Bye}!", "{Ok}, {bye}!"];

/// A message after the end.
pub const ALREADY_ENDED: &[&str] = &[
    "This conversation has ended. Say \"start over\" to edit the original face again, or send a new photo.",
];

/// A message that could not be understood.
pub const NOT_UNDERSTOOD: &[&str] = &[
    "{Sorry}, I didn't understand that.",
    "{Sorry}, I'm not sure what you mean.",
];

/// A change was asked for without saying what should change ("more").
pub const AMBIGUOUS: &[&str] = &[
    "More or less of what?",
    "I can do that, but for which part?",
];

/// A text arrived before any face.
pub const NEED_FACE: &[&str] = &[
    "Send me a photo of a face first (or pick a generated face by its seed), then tell me what to change.",
];

/// What the bot can do.
pub const HELP: &str = "I edit faces through conversation. Tell me things like \"give her longer bangs\", \
\"a bit more smile\", \"make him look older\" or \"add thick glasses\"; I can edit bangs, eyeglasses, \
beard, smile and age in six degrees each. Say \"undo\" to take back the last change, \"start over\" to \
return to the original face, or \"bye\" to finish.";

/// Fills a template: attribute slots from `attribute`, `{adj}` from `direction`, every other slot
/// from its synonym pool. Unknown slots are left as written (tests check none remain). The first
/// letter of the sentence is capitalised.
pub fn fill(
    template: &str,
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    rng: &mut DialogRng,
) -> String {
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
        match slot_value(slot, attribute, direction, rng) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    capitalise(&out)
}

/// Picks a template from `pool` and fills it.
pub fn say(
    pool: &[&str],
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    rng: &mut DialogRng,
) -> String {
    let template = *rng.pick(pool);
    fill(template, attribute, direction, rng)
}

fn slot_value(
    slot: &str,
    attribute: Option<Attribute>,
    direction: Option<Direction>,
    rng: &mut DialogRng,
) -> Option<String> {
    let capital = slot.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let key = slot.to_ascii_lowercase();
    let key = key.as_str();
    let value = attribute_slot(key, attribute, direction).or_else(|| {
        SYNONYMS
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, pool)| rng.pick(pool).to_string())
    })?;
    Some(if capital { capitalise(&value) } else { value })
}

fn attribute_slot(
    key: &str,
    attribute: Option<Attribute>,
    direction: Option<Direction>,
) -> Option<String> {
    let w = words(attribute?);
    let value = match key {
        "name" => w.name,
        "the" => w.the,
        "be" => w.be,
        "quality" => w.quality,
        "more" => w.more,
        "less" => w.less,
        "should" => w.should,
        "object" => w.object,
        "subject" => w.subject,
        "new" => w.new,
        "limit" => w.limit,
        "adj" => match direction? {
            Direction::Increase => w.more,
            Direction::Decrease => w.less,
        },
        _ => return None,
    };
    Some(value.to_string())
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

    #[test]
    fn check_mentions_the_attribute_and_agrees() {
        let mut rng = DialogRng::new(3);
        let s = fill(CHECK[0], Some(Attribute::Bangs), None, &mut rng);
        assert!(s.starts_with("Are the bangs the length you "), "{s}");
        let s = fill(CHECK[1], Some(Attribute::Age), None, &mut rng);
        assert!(s.starts_with("Is the age "), "{s}");
        assert!(s.contains("should the face look older or younger?"), "{s}");
    }

    #[test]
    fn limit_sentence_reads_like_the_paper() {
        let mut rng = DialogRng::new(0);
        let s = fill(
            CANNOT_GO_FURTHER[0],
            Some(Attribute::Eyeglasses),
            Some(Direction::Increase),
            &mut rng,
        );
        assert_eq!(s, "The glasses can't get any thicker on this face.");
    }

    #[test]
    fn bare_direction_words() {
        assert_eq!(bare_direction("More!"), Some(Direction::Increase));
        assert_eq!(bare_direction("a bit less pls"), Some(Direction::Decrease));
        assert_eq!(bare_direction("hello there"), None);
    }
}
