//! The request corpus the encoder is trained on: messages generated from this project's own
//! templates and synonym pools (paper, supplement B: template-based requests with hard labels),
//! covering the five attributes, the three request kinds (target degree, relative change,
//! direction), replies (yes/no/undo/restart/end/help), unrelated chatter, context-dependent
//! replies after `suggest:ATTR` and `check:ATTR`, and messages of several clauses.
//!
//! Generation is seeded and reproducible. Every message carries the label of each of its clauses;
//! the expected [`ParsedRequest`] is [`clause::resolve`] of those labels.

use super::clause::{self, AttributeSlot, ClauseLabel};
use super::normalize::{split_clauses, tokenize, BOUNDARY};
use super::{Direction, Intent, ParsedRequest, SystemContext};
use crate::attributes::Attribute;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One generated message with the labels of its clauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedMessage {
    pub text: String,
    pub context: Option<SystemContext>,
    pub clauses: Vec<ClauseLabel>,
}

impl GeneratedMessage {
    /// What the whole message should parse to.
    pub fn expected(&self) -> ParsedRequest {
        clause::resolve(&self.clauses, self.context)
    }
}

/// A generated corpus split into training and held-out messages (no held-out message has the
/// same normalised text and context as a training message).
#[derive(Debug, Clone)]
pub struct Corpus {
    pub train: Vec<GeneratedMessage>,
    pub test: Vec<GeneratedMessage>,
}

type Pool = &'static [&'static str];

fn pick(rng: &mut StdRng, pool: Pool) -> &'static str {
    pool[rng.gen_range(0..pool.len())]
}

const OBJ: Pool = &[
    "him",
    "her",
    "them",
    "the person",
    "this guy",
    "this woman",
    "the man",
    "the woman",
    "the lady",
    "this person",
    "my friend",
    "the face",
    "this face",
    "the guy",
    "her",
    "him",
];
const SUBJ: Pool = &[
    "he",
    "she",
    "they",
    "the person",
    "this guy",
    "this woman",
    "the man",
    "the woman",
    "he",
    "she",
];
const POSS: Pool = &["the", "the", "the", "his", "her", "their", "the", "this"];
const PRE: Pool = &[
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "please ",
    "can you ",
    "could you ",
    "could you please ",
    "can you please ",
    "would you ",
    "would you please ",
    "i want you to ",
    "id like you to ",
    "now ",
    "ok ",
    "okay ",
    "ok now ",
    "hmm ",
    "hey ",
    "next ",
    "now please ",
    "i need you to ",
    "try to ",
    "go ahead and ",
    "alright ",
    "right so ",
    "cool ",
    "great ",
    "now lets ",
];
const SUF: Pool = &[
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    " please",
    " pls",
    " for me",
    " thanks",
    " thank you",
    " if you can",
    " if possible",
    " now",
    " please thanks",
    " now please",
    " thx",
    " plz",
    " right now",
    " ok",
    " if you dont mind",
    " asap",
    " buddy",
];

/// Replaces the generic slots {obj} {subj} {poss} {pre} {suf} with random fillers.
fn fill(rng: &mut StdRng, template: &str) -> String {
    let mut out = template.to_string();
    for (slot, pool) in [
        ("{obj}", OBJ),
        ("{subj}", SUBJ),
        ("{poss}", POSS),
        ("{pre}", PRE),
        ("{suf}", SUF),
    ] {
        while let Some(at) = out.find(slot) {
            let filler = pick(rng, pool);
            out.replace_range(at..at + slot.len(), filler);
        }
    }
    out
}

/// Picks a template from `pool` and fills its generic slots.
fn fill_from(rng: &mut StdRng, pool: Pool) -> String {
    let template = pick(rng, pool);
    fill(rng, template)
}

/// Renders a number as digits or words.
fn render_number(rng: &mut StdRng, n: u32) -> String {
    const WORDS: [&str; 11] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    if n <= 10 && rng.gen_bool(0.6) {
        WORDS[n as usize].to_string()
    } else if matches!(n, 20 | 30 | 40 | 50 | 60 | 70 | 80 | 90) && rng.gen_bool(0.4) {
        [
            "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
        ][(n / 10 - 2) as usize]
            .to_string()
    } else {
        n.to_string()
    }
}

/// Age degree for an age in years (supplement: <15, 15-30, 30-40, 40-50, 50-60, >60), read
/// through the same number folding the normaliser applies.
fn age_degree(years: u32) -> u8 {
    match super::normalize::number_word(u64::from(years)) {
        "zero" | "one" | "two" | "three" | "four" | "five" | "six" | "seven" | "eight" | "nine"
        | "ten" | "twelve" => 0,
        "seventeen" | "twenty" => 1,
        "thirty" => 2,
        "forty" => 3,
        "fifty" => 4,
        _ => 5,
    }
}

/// Degrees of change for "N years older", read through the number folding.
fn years_change(years: u32) -> u8 {
    match super::normalize::number_word(u64::from(years)) {
        "seventeen" | "twenty" => 2,
        "thirty" => 3,
        "forty" => 4,
        "fifty" | "sixty" | "seventy" | "eighty" | "ninety" | "hundred" => 5,
        _ => 1,
    }
}

/// Bangs degree for a forehead coverage in percent (nearest of 0/20/40/60/80/100, ties up),
/// read through the number folding.
fn coverage_degree(percent: u32) -> u8 {
    let folded = match super::normalize::number_word(u64::from(percent)) {
        "zero" => 0,
        "one" | "two" | "three" | "four" | "five" | "six" | "seven" | "eight" | "nine" => 5,
        "ten" | "twelve" => 10,
        "seventeen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => 100,
    };
    ((folded + 10) / 20).min(5) as u8
}

/// Words and phrases of one attribute.
struct Lexicon {
    attribute: Attribute,
    /// Nouns used with adjectives ("make the bangs longer"); empty for age.
    nouns: Pool,
    /// Comparatives whose attribute must come from a noun or context ("longer").
    increase_adjectives: Pool,
    decrease_adjectives: Pool,
    /// Comparatives that name the attribute by themselves ("older", "happier").
    explicit_increase: Pool,
    explicit_decrease: Pool,
    /// "too long" means decrease; "too short" means increase.
    too_big: Pool,
    too_small: Pool,
    /// Whole clauses meaning a direction only.
    increase_phrases: Pool,
    decrease_phrases: Pool,
    /// Whole clauses meaning degree 0.
    remove_phrases: Pool,
    /// Noun phrases for each degree, and the templates they go into ({t}).
    targets: [Pool; 6],
    target_templates: Pool,
    /// Pronouns that refer to the attribute after a suggestion or check.
    pronouns: Pool,
}

const GENERIC_TARGET_TEMPLATES: Pool = &[
    "{pre}give {obj} {t}{suf}",
    "i want {t}",
    "i want {obj} to have {t}",
    "{subj} should have {t}",
    "lets try {t}",
    "how about {t}",
    "what about {t}",
    "{t} please",
    "{t}",
    "{t}{suf}",
    "can {subj} have {t}",
    "try {t}",
    "{pre}add {t}{suf}",
    "id like {t}",
    "i would like {t}",
    "go for {t}",
    "with {t}",
    "{subj} needs {t}",
    "i want to see {t}",
    "lets see {t}",
    "maybe {t}",
    "{pre}change it to {t}{suf}",
    "make it {t}",
    "id prefer {t}",
    "i think {t} would look good",
    "{t} would be nice",
    "can we try {t}",
    "can we get {t}",
    "could {subj} have {t}",
    "switch to {t}",
];

const BANGS: Lexicon = Lexicon {
    attribute: Attribute::Bangs,
    nouns: &[
        "bangs",
        "bangs",
        "bangs",
        "fringe",
        "hair fringe",
        "bangs",
        "fringe",
    ],
    increase_adjectives: &[
        "longer",
        "thicker",
        "fuller",
        "heavier",
        "bigger",
        "denser",
        "more visible",
    ],
    decrease_adjectives: &[
        "shorter",
        "thinner",
        "lighter",
        "smaller",
        "sparser",
        "less visible",
        "wispier",
    ],
    explicit_increase: &[],
    explicit_decrease: &[],
    too_big: &["long", "thick", "heavy", "big", "much"],
    too_small: &["short", "thin", "light", "small", "sparse"],
    increase_phrases: &[
        "{pre}add bangs{suf}",
        "{pre}add some bangs{suf}",
        "{pre}give {obj} bangs{suf}",
        "{pre}give {obj} some bangs{suf}",
        "{pre}give {obj} a fringe{suf}",
        "{pre}put bangs on {obj}{suf}",
        "{pre}grow {poss} bangs{suf}",
        "{pre}grow out {poss} bangs{suf}",
        "{pre}lengthen {poss} bangs{suf}",
        "i want {obj} to have bangs",
        "{subj} should have bangs",
        "{subj} needs bangs",
        "let {obj} have bangs",
        "more bangs{suf}",
        "with bangs",
        "try bangs",
        "try a fringe",
        "bangs please",
        "{pre}increase {poss} bangs{suf}",
        "can {subj} have bangs",
        "{pre}add a fringe{suf}",
        "{pre}extend {poss} bangs{suf}",
        "let the bangs grow",
        "what would {subj} look like with bangs",
        "how about some bangs",
        "i think bangs would suit {obj}",
    ],
    decrease_phrases: &[
        "{pre}shorten {poss} bangs{suf}",
        "{pre}trim {poss} bangs{suf}",
        "{pre}cut {poss} bangs{suf}",
        "less bangs{suf}",
        "fewer bangs",
        "{pre}thin out {poss} bangs{suf}",
        "{pre}reduce {poss} bangs{suf}",
        "{pre}decrease {poss} bangs{suf}",
        "{pre}cut {poss} fringe{suf}",
        "{pre}tone down {poss} bangs{suf}",
        "{pre}trim {poss} fringe{suf}",
    ],
    remove_phrases: &[
        "{pre}remove {poss} bangs{suf}",
        "{pre}get rid of {poss} bangs{suf}",
        "no bangs{suf}",
        "no more bangs",
        "without bangs",
        "{pre}take away {poss} bangs{suf}",
        "lose the bangs",
        "{pre}cut off {poss} bangs{suf}",
        "{pre}delete the bangs{suf}",
        "{pre}erase the bangs{suf}",
        "{pre}show {poss} forehead{suf}",
        "{pre}uncover {poss} forehead{suf}",
        "{pre}remove the fringe{suf}",
        "{pre}pull {poss} bangs back{suf}",
        "no fringe",
        "{subj} shouldnt have bangs",
        "{pre}clear {poss} forehead{suf}",
    ],
    targets: [
        &[
            "no bangs",
            "no fringe",
            "a bare forehead",
            "an open forehead",
            "zero bangs",
        ],
        &[
            "very short bangs",
            "tiny bangs",
            "wispy bangs",
            "a hint of bangs",
            "baby bangs",
            "micro bangs",
            "very light bangs",
            "a few strands of bangs",
            "bangs covering a fifth of the forehead",
            "barely any bangs",
        ],
        &[
            "short bangs",
            "light bangs",
            "thin bangs",
            "a short fringe",
            "bangs covering less than half the forehead",
            "bangs covering a third of the forehead",
            "short thin bangs",
        ],
        &[
            "medium bangs",
            "medium length bangs",
            "a medium fringe",
            "moderate bangs",
            "bangs covering half the forehead",
            "bangs covering more than half the forehead",
            "bangs covering about half of the forehead",
            "average bangs",
        ],
        &[
            "long bangs",
            "thick bangs",
            "heavy bangs",
            "a long fringe",
            "a thick fringe",
            "bangs covering most of the forehead",
            "long thick bangs",
        ],
        &[
            "very long bangs",
            "full bangs",
            "extremely long bangs",
            "extremely long bangs that cover the entire forehead",
            "bangs covering the whole forehead",
            "bangs that cover the entire forehead",
            "bangs covering the entire forehead",
            "bangs that hide the forehead",
            "bangs down to the eyebrows",
            "a full fringe",
            "really long bangs",
            "super long bangs",
            "bangs over the eyebrows",
            "bangs that cover the whole forehead",
            "the longest bangs possible",
        ],
    ],
    target_templates: &[],
    pronouns: &["them", "them", "they", "those", "it"],
};

const EYEGLASSES: Lexicon = Lexicon {
    attribute: Attribute::Eyeglasses,
    nouns: &[
        "glasses",
        "glasses",
        "glasses",
        "eyeglasses",
        "spectacles",
        "frames",
        "eyewear",
    ],
    increase_adjectives: &[
        "thicker",
        "bolder",
        "heavier",
        "darker",
        "bigger",
        "chunkier",
        "more visible",
        "more noticeable",
        "stronger",
        "larger",
    ],
    decrease_adjectives: &[
        "thinner",
        "lighter",
        "smaller",
        "subtler",
        "more subtle",
        "less noticeable",
        "less visible",
        "finer",
        "weaker",
        "more delicate",
    ],
    explicit_increase: &[],
    explicit_decrease: &[],
    too_big: &["thick", "dark", "heavy", "big", "bold", "strong", "much"],
    too_small: &["thin", "light", "subtle", "small", "weak"],
    increase_phrases: &[
        "{pre}add glasses{suf}",
        "{pre}add some glasses{suf}",
        "{pre}add eyeglasses{suf}",
        "{pre}give {obj} glasses{suf}",
        "{pre}give {obj} some glasses{suf}",
        "{pre}put glasses on {obj}{suf}",
        "{pre}put some glasses on {obj}{suf}",
        "{subj} should wear glasses",
        "{pre}make {obj} wear glasses{suf}",
        "glasses please",
        "with glasses",
        "try glasses",
        "try some glasses",
        "i want {obj} with glasses",
        "can {subj} wear glasses",
        "{pre}add spectacles{suf}",
        "{pre}give {obj} spectacles{suf}",
        "{subj} needs glasses",
        "let {obj} wear glasses",
        "{pre}add frames{suf}",
        "{pre}add eyewear{suf}",
        "more glasses",
        "what would {subj} look like with glasses",
        "how about some glasses",
        "glasses would look cool",
        "{pre}put on glasses{suf}",
    ],
    decrease_phrases: &[
        "{pre}tone down {poss} glasses{suf}",
        "{pre}reduce {poss} glasses{suf}",
        "less glasses",
        "{pre}soften {poss} glasses{suf}",
        "{pre}make {poss} frames less heavy{suf}",
    ],
    remove_phrases: &[
        "{pre}remove {poss} glasses{suf}",
        "{pre}take off {poss} glasses{suf}",
        "{pre}take {poss} glasses off{suf}",
        "{pre}get rid of {poss} glasses{suf}",
        "no glasses{suf}",
        "no more glasses",
        "without glasses",
        "lose the glasses",
        "{pre}delete the glasses{suf}",
        "{pre}remove the eyeglasses{suf}",
        "{pre}take away {poss} glasses{suf}",
        "{subj} shouldnt wear glasses",
        "no eyewear",
        "{pre}remove the spectacles{suf}",
        "{pre}ditch the glasses{suf}",
        "glasses off",
        "{pre}remove {poss} sunglasses{suf}",
        "{pre}take off {poss} sunglasses{suf}",
    ],
    targets: [
        &[
            "no glasses",
            "no eyeglasses",
            "no spectacles",
            "no eyewear",
            "bare eyes",
        ],
        &[
            "rimless glasses",
            "very thin glasses",
            "thin metal glasses",
            "wire glasses",
            "frameless glasses",
            "wire rimmed glasses",
            "thin wire frames",
            "barely visible glasses",
            "subtle glasses",
            "light metal frames",
            "delicate glasses",
        ],
        &[
            "metal glasses",
            "thin plastic glasses",
            "regular glasses",
            "normal glasses",
            "reading glasses",
            "thicker metal glasses",
            "thin plastic frames",
            "medium glasses",
            "ordinary glasses",
            "plastic glasses",
        ],
        &[
            "thick glasses",
            "thick plastic glasses",
            "thick rimmed glasses",
            "thick framed glasses",
            "chunky glasses",
            "heavy frames",
            "nerd glasses",
            "hipster glasses",
            "thick black frames",
            "bold frames",
            "horn rimmed glasses",
            "big plastic glasses",
            "heavy glasses",
        ],
        &[
            "sunglasses",
            "shades",
            "thin sunglasses",
            "light sunglasses",
            "aviator sunglasses",
            "aviators",
            "thin framed sunglasses",
            "tinted glasses",
            "metal sunglasses",
            "some sunglasses",
            "cool sunglasses",
        ],
        &[
            "thick sunglasses",
            "dark sunglasses",
            "big sunglasses",
            "chunky sunglasses",
            "thick framed sunglasses",
            "huge sunglasses",
            "heavy sunglasses",
            "big black shades",
            "dark shades",
            "oversized sunglasses",
            "thick shades",
            "very dark sunglasses",
        ],
    ],
    target_templates: &[
        "{pre}put {t} on {obj}{suf}",
        "{pre}make {obj} wear {t}{suf}",
        "{subj} should wear {t}",
        "{pre}change the glasses to {t}{suf}",
        "lets see {obj} in {t}",
        "i want {obj} in {t}",
        "{t} would be cool",
        "{pre}swap the glasses for {t}{suf}",
    ],
    pronouns: &["them", "them", "they", "those", "it"],
};

const BEARD: Lexicon = Lexicon {
    attribute: Attribute::Beard,
    nouns: &[
        "beard",
        "beard",
        "beard",
        "facial hair",
        "mustache",
        "whiskers",
        "goatee",
    ],
    increase_adjectives: &[
        "longer", "thicker", "bushier", "fuller", "heavier", "bigger", "denser",
    ],
    decrease_adjectives: &[
        "shorter", "thinner", "lighter", "smaller", "neater", "sparser", "tidier",
    ],
    explicit_increase: &["bearded", "hairier", "scruffier"],
    explicit_decrease: &["less bearded", "less hairy", "cleaner shaven"],
    too_big: &["long", "thick", "bushy", "big", "heavy", "much"],
    too_small: &["short", "thin", "sparse", "light", "small"],
    increase_phrases: &[
        "{pre}add a beard{suf}",
        "{pre}add some beard{suf}",
        "{pre}give {obj} a beard{suf}",
        "{pre}grow a beard{suf}",
        "{pre}grow {poss} beard{suf}",
        "let {poss} beard grow",
        "{subj} should have a beard",
        "more beard{suf}",
        "with a beard",
        "try a beard",
        "beard please",
        "{pre}add facial hair{suf}",
        "{pre}give {obj} facial hair{suf}",
        "more facial hair",
        "{pre}add a mustache{suf}",
        "{pre}give {obj} a mustache{suf}",
        "{pre}grow out {poss} beard{suf}",
        "{pre}lengthen {poss} beard{suf}",
        "i want {obj} bearded",
        "{pre}make {obj} bearded{suf}",
        "{pre}increase {poss} beard{suf}",
        "can {subj} have a beard",
        "{pre}give {obj} whiskers{suf}",
        "what would {subj} look like with a beard",
        "how about a beard",
        "{pre}let {obj} grow a beard{suf}",
    ],
    decrease_phrases: &[
        "{pre}trim {poss} beard{suf}",
        "{pre}shorten {poss} beard{suf}",
        "less beard{suf}",
        "{pre}thin out {poss} beard{suf}",
        "{pre}reduce {poss} beard{suf}",
        "{pre}tidy up {poss} beard{suf}",
        "{pre}cut {poss} beard{suf}",
        "less facial hair",
        "{pre}neaten {poss} beard{suf}",
        "{pre}tone down {poss} beard{suf}",
        "{pre}trim {poss} mustache{suf}",
    ],
    remove_phrases: &[
        "{pre}shave {obj}{suf}",
        "{pre}shave {poss} beard{suf}",
        "{pre}shave off {poss} beard{suf}",
        "{pre}shave the beard off{suf}",
        "{pre}remove {poss} beard{suf}",
        "{pre}get rid of {poss} beard{suf}",
        "no beard{suf}",
        "no more beard",
        "without a beard",
        "without beard",
        "{pre}remove the facial hair{suf}",
        "no facial hair",
        "{pre}make {obj} clean shaven{suf}",
        "{subj} should be clean shaven",
        "lose the beard",
        "{pre}take away {poss} beard{suf}",
        "{pre}delete the beard{suf}",
        "{pre}remove the mustache{suf}",
        "{pre}shave it all off{suf}",
        "clean shave please",
        "{pre}make {obj} beardless{suf}",
    ],
    targets: [
        &[
            "no beard",
            "a clean shaven face",
            "a smooth face",
            "no facial hair",
            "a clean shave",
            "a shaved face",
            "a smooth chin",
        ],
        &[
            "stubble",
            "a light stubble",
            "a bit of stubble",
            "a shaved beard",
            "a five oclock shadow",
            "a very short beard",
            "light stubble",
            "some stubble",
            "a hint of stubble",
        ],
        &[
            "a short beard",
            "a few days of stubble",
            "heavy stubble",
            "an unshaven look",
            "some scruff",
            "a scruffy beard",
            "a week old beard",
            "a short scruffy beard",
            "a beard unshaved for a while",
            "a rough beard",
        ],
        &[
            "a medium beard",
            "a neat beard",
            "a well groomed beard",
            "a trimmed beard",
            "a medium length beard",
            "a tidy beard",
            "a groomed beard",
            "a proper beard",
            "a nice neat beard",
        ],
        &[
            "a long beard",
            "a long thin beard",
            "a long but thin beard",
            "a long scraggly beard",
            "a long wispy beard",
            "a longish beard",
        ],
        &[
            "a full beard",
            "a bushy beard",
            "a huge beard",
            "a big bushy beard",
            "a wizard beard",
            "a lumberjack beard",
            "a long untidy beard",
            "a thick beard",
            "a massive beard",
            "a giant beard",
            "a viking beard",
            "a big beard",
            "a santa beard",
            "a long bushy beard",
            "a really thick beard",
        ],
    ],
    target_templates: &["{pre}make it {t}{suf}", "{pre}change the beard to {t}{suf}"],
    pronouns: &["it", "it", "it", "that"],
};

const SMILING: Lexicon = Lexicon {
    attribute: Attribute::Smiling,
    nouns: &["smile", "smile", "smile", "grin", "smile"],
    increase_adjectives: &[
        "bigger",
        "wider",
        "broader",
        "stronger",
        "larger",
        "brighter",
        "more obvious",
    ],
    decrease_adjectives: &[
        "smaller",
        "subtler",
        "weaker",
        "more subtle",
        "softer",
        "less obvious",
    ],
    explicit_increase: &[
        "happier",
        "more cheerful",
        "more smiley",
        "more joyful",
        "more happy",
        "jollier",
    ],
    explicit_decrease: &[
        "more serious",
        "less happy",
        "sadder",
        "less smiley",
        "grumpier",
        "less cheerful",
        "more neutral",
    ],
    too_big: &[
        "big",
        "wide",
        "strong",
        "much",
        "exaggerated",
        "happy",
        "cheesy",
    ],
    too_small: &["small", "subtle", "weak", "faint", "serious"],
    increase_phrases: &[
        "{pre}make {obj} smile{suf}",
        "{pre}make {obj} smile more{suf}",
        "{subj} should smile",
        "{subj} should smile more",
        "smile more",
        "smile please",
        "{pre}add a smile{suf}",
        "{pre}give {obj} a smile{suf}",
        "more smile{suf}",
        "more smiling",
        "{pre}make {obj} happy{suf}",
        "{pre}make {obj} look happy{suf}",
        "{pre}cheer {obj} up{suf}",
        "{pre}put a smile on {poss} face{suf}",
        "can {subj} smile",
        "let {obj} smile",
        "i want {obj} smiling",
        "i want {obj} to smile",
        "{pre}make {obj} grin{suf}",
        "{pre}increase {poss} smile{suf}",
        "a smile please",
        "smiling please",
        "{pre}brighten {poss} expression{suf}",
        "{pre}make {obj} smiley{suf}",
        "{pre}make the expression happier{suf}",
        "{subj} looks too serious",
        "{subj} looks sad",
        "why so serious",
        "{pre}turn up the smile{suf}",
    ],
    decrease_phrases: &[
        "smile less",
        "{pre}make {obj} smile less{suf}",
        "less smile{suf}",
        "less smiling",
        "{pre}tone down {poss} smile{suf}",
        "{pre}reduce {poss} smile{suf}",
        "{pre}tone down the grin{suf}",
        "{pre}calm the smile down{suf}",
        "{pre}dial back the smile{suf}",
        "{pre}turn down the smile{suf}",
        "{subj} smiles too much",
    ],
    remove_phrases: &[
        "stop smiling",
        "{pre}make {obj} stop smiling{suf}",
        "{pre}remove {poss} smile{suf}",
        "{pre}wipe the smile off {poss} face{suf}",
        "no smiling",
        "dont smile",
        "{subj} shouldnt smile",
        "{pre}get rid of {poss} smile{suf}",
        "{pre}take away {poss} smile{suf}",
        "without a smile",
        "no more smiling",
        "lose the smile",
        "no smile{suf}",
        "{pre}make {obj} look serious{suf}",
        "{pre}make {obj} serious{suf}",
        "{pre}make {obj} expressionless{suf}",
        "{pre}make {obj} look neutral{suf}",
        "{pre}make {obj} look stern{suf}",
        "{pre}give {obj} a straight face{suf}",
        "{pre}make {poss} expression neutral{suf}",
    ],
    targets: [
        &[
            "no smile",
            "a neutral expression",
            "a straight face",
            "a serious face",
            "a serious expression",
            "a blank expression",
            "a poker face",
            "a neutral face",
            "no expression",
            "a stern look",
        ],
        &[
            "a slight smile",
            "a gentle smile",
            "a closed mouth smile",
            "a faint smile",
            "a subtle smile",
            "a small smile",
            "a soft smile",
            "a tiny smile",
            "a hint of a smile",
            "a smirk",
            "a polite smile",
            "a closed lip smile",
            "a little smile",
            "a mona lisa smile",
        ],
        &[
            "a smile with some teeth",
            "a smile showing a few teeth",
            "a smile showing some teeth",
            "a moderate smile",
            "a friendly smile",
            "a warm smile",
            "a natural smile",
            "a normal smile",
            "a pleasant smile",
            "a smile with a bit of teeth",
        ],
        &[
            "a big smile",
            "a broad smile",
            "a wide smile",
            "a grin",
            "a big grin",
            "a toothy smile",
            "a toothy grin",
            "a smile showing all the teeth",
            "a full smile",
            "a huge smile",
            "a bright smile",
            "a beaming smile",
            "an ear to ear smile",
            "a cheesy grin",
            "a smile showing a whole row of teeth",
        ],
        &[
            "a laugh",
            "a happy laugh",
            "an open mouth laugh",
            "a light laugh",
            "a laughing face",
            "a chuckle",
            "a laughing expression",
        ],
        &[
            "a huge laugh",
            "a big laugh",
            "a hearty laugh",
            "an exaggerated laugh",
            "a roaring laugh",
            "a belly laugh",
            "a wide open mouth laugh",
            "a crazy laugh",
            "a maniacal laugh",
            "an enormous laugh",
            "a loud laugh",
            "a massive laugh",
        ],
    ],
    target_templates: &[
        "{pre}change {poss} expression to {t}{suf}",
        "{pre}change {poss} smile to {t}{suf}",
        "{pre}put {t} on {poss} face{suf}",
        "{pre}make {obj} have {t}{suf}",
    ],
    pronouns: &["it", "it", "the expression", "that"],
};

const AGE: Lexicon = Lexicon {
    attribute: Attribute::Age,
    nouns: &[],
    increase_adjectives: &[],
    decrease_adjectives: &[],
    explicit_increase: &["older", "more mature", "more aged", "elder", "less young"],
    explicit_decrease: &["younger", "more youthful", "less old", "youthful"],
    too_big: &["old"],
    too_small: &["young"],
    increase_phrases: &[
        "{pre}make {obj} older{suf}",
        "{pre}make {obj} look older{suf}",
        "{pre}age {obj}{suf}",
        "{pre}age {obj} up{suf}",
        "{pre}add some years{suf}",
        "{pre}add a few years{suf}",
        "{subj} should look older",
        "older please",
        "{pre}make {obj} more mature{suf}",
        "{pre}make {obj} look more mature{suf}",
        "can {subj} be older",
        "{pre}show {obj} older{suf}",
        "what would {subj} look like older",
        "{pre}increase {poss} age{suf}",
        "{pre}make {obj} age{suf}",
        "older version please",
        "let {obj} age",
        "i want {obj} older",
        "{pre}grow {obj} older{suf}",
        "{pre}fast forward {poss} age{suf}",
        "{pre}make {obj} look aged{suf}",
        "{subj} looks too young",
    ],
    decrease_phrases: &[
        "{pre}make {obj} younger{suf}",
        "{pre}make {obj} look younger{suf}",
        "{pre}de age {obj}{suf}",
        "younger please",
        "{pre}make {obj} more youthful{suf}",
        "{pre}make {obj} look more youthful{suf}",
        "{pre}take some years off{suf}",
        "{pre}take a few years off{suf}",
        "{pre}reverse the aging{suf}",
        "{pre}decrease {poss} age{suf}",
        "{pre}rejuvenate {obj}{suf}",
        "{pre}make {obj} look young{suf}",
        "can {subj} be younger",
        "{pre}show {obj} younger{suf}",
        "what would {subj} look like younger",
        "younger version please",
        "i want {obj} younger",
        "{pre}reduce {poss} age{suf}",
        "{pre}turn back the clock{suf}",
        "{pre}make {obj} young again{suf}",
        "{subj} looks too old",
    ],
    remove_phrases: &[],
    targets: [
        &[
            "a child",
            "a kid",
            "a little kid",
            "a baby",
            "a toddler",
            "a little boy",
            "a little girl",
            "a young child",
            "a small child",
            "a schoolboy",
            "a schoolgirl",
            "an infant",
            "a ten year old",
            "a five year old",
            "a boy",
            "a girl",
        ],
        &[
            "a teenager",
            "a teen",
            "a young adult",
            "a college student",
            "a high schooler",
            "a student",
            "a twenty year old",
            "a young man",
            "a young woman",
            "a seventeen year old",
            "someone in their twenties",
        ],
        &[
            "a thirty year old",
            "someone in their thirties",
            "a young professional",
            "a thirtysomething",
        ],
        &[
            "a middle aged man",
            "a middle aged woman",
            "a middle aged person",
            "a forty year old",
            "someone in their forties",
            "a middle aged dad",
        ],
        &[
            "a fifty year old",
            "someone in their fifties",
            "a man in his fifties",
        ],
        &[
            "an old man",
            "an old woman",
            "an old lady",
            "an old person",
            "a grandpa",
            "a grandma",
            "a grandfather",
            "a grandmother",
            "a senior",
            "a senior citizen",
            "a pensioner",
            "a retiree",
            "an elderly man",
            "an elderly woman",
            "a granny",
            "an old timer",
            "a very old man",
        ],
    ],
    target_templates: &[
        "{pre}make {obj} {t}{suf}",
        "{pre}turn {obj} into {t}{suf}",
        "{pre}make {obj} look like {t}{suf}",
        "{pre}show {obj} as {t}{suf}",
        "what would {subj} look like as {t}",
        "i want to see {obj} as {t}",
        "{subj} should look like {t}",
        "{pre}change {obj} into {t}{suf}",
        "{pre}transform {obj} into {t}{suf}",
        "as {t}",
        "{t} version please",
        "{pre}age {obj} into {t}{suf}",
    ],
    pronouns: &["it", "it", "the age", "that"],
};

/// Age adjectives (predicates) for each degree: "make him look {adj}".
const AGE_PREDICATES: [Pool; 6] = [
    &[
        "like a child",
        "like a kid",
        "childlike",
        "very young",
        "like a little kid",
        "like a baby",
    ],
    &[
        "in {poss2} twenties",
        "in {poss2} early twenties",
        "in {poss2} late teens",
        "like a teenager",
        "twenty something",
        "like a student",
        "college age",
    ],
    &[
        "in {poss2} thirties",
        "thirtyish",
        "about thirty",
        "around thirty five",
        "in {poss2} early thirties",
    ],
    &[
        "middle aged",
        "in {poss2} forties",
        "around forty",
        "about forty five",
        "in {poss2} late forties",
    ],
    &[
        "in {poss2} fifties",
        "around fifty",
        "about fifty five",
        "in {poss2} early fifties",
    ],
    &[
        "old",
        "very old",
        "elderly",
        "ancient",
        "really old",
        "super old",
        "in {poss2} sixties",
        "in {poss2} seventies",
        "in {poss2} eighties",
        "over sixty",
        "like a grandpa",
        "like a grandma",
        "aged",
        "like an old man",
        "retired",
    ],
];

const AGE_PREDICATE_TEMPLATES: Pool = &[
    "{pre}make {obj} {a}{suf}",
    "{pre}make {obj} look {a}{suf}",
    "{subj} should look {a}",
    "{subj} should be {a}",
    "i want {obj} to look {a}",
    "can {subj} look {a}",
    "{pre}show {obj} {a}{suf}",
    "lets see {obj} {a}",
];

const AGE_NUMBER_TEMPLATES: Pool = &[
    "{pre}make {obj} {n}{suf}",
    "{pre}make {obj} {n} years old{suf}",
    "{subj} should be {n}",
    "{pre}age {obj} to {n}{suf}",
    "{pre}make {obj} look {n}{suf}",
    "{n} years old please",
    "{pre}make {obj} look like {subj} is {n}{suf}",
    "what would {subj} look like at {n}",
    "{subj} should look {n} years old",
    "{pre}make {obj} about {n}{suf}",
    "{pre}make {obj} around {n} years old{suf}",
];

const LEXICONS: [&Lexicon; 5] = [&BANGS, &EYEGLASSES, &BEARD, &SMILING, &AGE];

fn lexicon(a: Attribute) -> &'static Lexicon {
    let lex = LEXICONS[a.index()];
    debug_assert_eq!(lex.attribute, a);
    lex
}

/// Modifiers for a change of one degree.
const SMALL_CHANGE: Pool = &[
    "slightly",
    "a bit",
    "a little",
    "a little bit",
    "a tiny bit",
    "a tad",
    "just a bit",
    "just a little",
    "somewhat",
    "a touch",
    "marginally",
    "a smidge",
    "one step",
    "one level",
    "one notch",
    "a notch",
    "just slightly",
    "a hair",
    "a wee bit",
    "only slightly",
    "just a tad",
    "a teeny bit",
    "one degree",
];
/// Modifiers for a change of two degrees.
const LARGE_CHANGE: Pool = &[
    "much",
    "a lot",
    "way",
    "significantly",
    "considerably",
    "a good deal",
    "two steps",
    "two levels",
    "two notches",
    "a couple of steps",
    "a couple of levels",
    "far",
    "lots",
    "a great deal",
    "substantially",
    "a whole lot",
];
const UNITS: Pool = &[
    "steps", "levels", "notches", "degrees", "stages", "points", "grades",
];

/// Direction-only clause templates around a noun and a comparative.
const NOUN_ADJ_TEMPLATES: Pool = &[
    "{pre}make {poss} {noun} {adj}{suf}",
    "{poss} {noun} {adj}{suf}",
    "{adj} {noun}{suf}",
    "{pre}give {obj} {adj} {noun}{suf}",
    "i want {poss} {noun} {adj}",
    "id like {poss} {noun} to be {adj}",
    "{poss} {noun} should be {adj}",
    "{poss} {noun} could be {adj}",
    "can {poss} {noun} be {adj}",
    "lets make {poss} {noun} {adj}",
    "try making {poss} {noun} {adj}",
    "id prefer {adj} {noun}",
    "let me see {adj} {noun}",
    "what about {adj} {noun}",
    "how about {adj} {noun}",
    "{poss} {noun} needs to be {adj}",
    "i think {poss} {noun} should be {adj}",
    "{pre}make {poss} {noun} look {adj}{suf}",
    "{noun} {adj}",
    "go with {adj} {noun}",
    "i would like {adj} {noun}",
    "maybe {adj} {noun}",
    "{pre}change {poss} {noun} to be {adj}{suf}",
    "{poss} {noun} can be {adj}",
    "{pre}make {poss} {noun} a bit {adj}{suf}",
    "{pre}make {poss} {noun} even {adj}{suf}",
];

/// Relative-change templates around a noun, a modifier and a comparative.
const NOUN_MOD_ADJ_TEMPLATES: Pool = &[
    "{pre}make {poss} {noun} {m} {adj}{suf}",
    "{poss} {noun} {m} {adj}{suf}",
    "{m} {adj} {noun}{suf}",
    "i want {poss} {noun} {m} {adj}",
    "{poss} {noun} can be {m} {adj}",
    "{poss} {noun} should be {m} {adj}",
    "{poss} {noun} could be {m} {adj}",
    "can you make {poss} {noun} {m} {adj}",
    "id like {poss} {noun} {m} {adj}",
    "{pre}make {poss} {noun} look {m} {adj}{suf}",
    "{noun} {m} {adj}",
    "lets make {poss} {noun} {m} {adj}",
];

/// Explicit-attribute relative templates ("make him a bit older").
const EXPLICIT_MOD_TEMPLATES: Pool = &[
    "{pre}make {obj} {m} {adj}{suf}",
    "{pre}make {obj} look {m} {adj}{suf}",
    "{m} {adj}{suf}",
    "{subj} should look {m} {adj}",
    "{subj} could be {m} {adj}",
    "can {subj} look {m} {adj}",
    "i want {obj} {m} {adj}",
];
const EXPLICIT_ADJ_TEMPLATES: Pool = &[
    "{pre}make {obj} {adj}{suf}",
    "{pre}make {obj} look {adj}{suf}",
    "{adj}{suf}",
    "{subj} should look {adj}",
    "{subj} should be {adj}",
    "can {subj} look {adj}",
    "i want {obj} {adj}",
    "{pre}make {obj} even {adj}{suf}",
    "{pre}make {obj} appear {adj}{suf}",
];

/// Templates with a number of degrees ({n} {unit}).
const NUMBER_TEMPLATES: Pool = &[
    "{pre}make {poss} {noun} {adj} by {n} {unit}{suf}",
    "{adj} {noun} by {n} {unit}",
    "{noun} {n} {unit} {adj}",
    "{pre}make {poss} {noun} {n} {unit} {adj}{suf}",
    "{n} {unit} {more} {noun}",
    "{pre}{verb} {poss} {noun} by {n} {unit}{suf}",
    "{pre}{verb} {poss} {noun} {n} {unit}{suf}",
    "{noun} {updown} {n} {unit}",
    "{noun} {updown} by {n}",
    "{pre}move {poss} {noun} {n} {unit} {updown}{suf}",
];

fn number_unit(rng: &mut StdRng, n: u32) -> (String, &'static str) {
    let unit = pick(rng, UNITS);
    let unit = if n == 1 {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    (render_number(rng, n), unit)
}

fn choose_attribute(rng: &mut StdRng) -> Attribute {
    Attribute::ALL[rng.gen_range(0..5)]
}

/// A random dialog context (or none) for a clause whose meaning does not depend on it.
fn any_context(rng: &mut StdRng) -> Option<SystemContext> {
    match rng.gen_range(0..10) {
        0..=4 => None,
        5..=7 => Some(SystemContext::Suggest(choose_attribute(rng))),
        _ => Some(SystemContext::Check(choose_attribute(rng))),
    }
}

fn dir_adjective(rng: &mut StdRng, lex: &Lexicon, dir: Direction) -> &'static str {
    match dir {
        Direction::Increase => pick(rng, lex.increase_adjectives),
        Direction::Decrease => pick(rng, lex.decrease_adjectives),
    }
}

fn random_direction(rng: &mut StdRng) -> Direction {
    if rng.gen_bool(0.6) {
        Direction::Increase
    } else {
        Direction::Decrease
    }
}

/// One clause with an explicit attribute (named by a noun, a verb phrase or an explicit
/// adjective); its meaning does not depend on the context.
fn explicit_edit(rng: &mut StdRng, attribute: Attribute) -> (String, ClauseLabel) {
    let lex = lexicon(attribute);
    let slot = AttributeSlot::Named(attribute);
    let has_nouns = !lex.nouns.is_empty();
    let has_explicit = !lex.explicit_increase.is_empty();
    loop {
        match rng.gen_range(0..100) {
            // Direction with noun + comparative.
            0..=17 if has_nouns => {
                let dir = random_direction(rng);
                let t = pick(rng, NOUN_ADJ_TEMPLATES);
                let label = if t.contains("a bit {adj}") {
                    ClauseLabel::relative(slot, dir, 1)
                } else {
                    ClauseLabel::direction(slot, Some(dir))
                };
                let text = fill(rng, t)
                    .replace("{noun}", pick(rng, lex.nouns))
                    .replace("{adj}", dir_adjective(rng, lex, dir));
                return (text, label);
            }
            // Direction by verb phrase.
            18..=35 => {
                let dir = random_direction(rng);
                let pool = match dir {
                    Direction::Increase => lex.increase_phrases,
                    Direction::Decrease => lex.decrease_phrases,
                };
                return (
                    fill_from(rng, pool),
                    ClauseLabel::direction(slot, Some(dir)),
                );
            }
            // Direction by explicit adjective.
            36..=42 if has_explicit => {
                let dir = random_direction(rng);
                let adj = match dir {
                    Direction::Increase => pick(rng, lex.explicit_increase),
                    Direction::Decrease => pick(rng, lex.explicit_decrease),
                };
                let text = fill_from(rng, EXPLICIT_ADJ_TEMPLATES).replace("{adj}", adj);
                return (text, ClauseLabel::direction(slot, Some(dir)));
            }
            // Relative: modifier + comparative.
            43..=56 => {
                let dir = random_direction(rng);
                let change = if rng.gen_bool(0.7) { 1 } else { 2 };
                let m = if change == 1 {
                    pick(rng, SMALL_CHANGE)
                } else {
                    pick(rng, LARGE_CHANGE)
                };
                if has_nouns && (!has_explicit || rng.gen_bool(0.6)) {
                    let text = fill_from(rng, NOUN_MOD_ADJ_TEMPLATES)
                        .replace("{noun}", pick(rng, lex.nouns))
                        .replace("{m}", m)
                        .replace("{adj}", dir_adjective(rng, lex, dir));
                    return (text, ClauseLabel::relative(slot, dir, change));
                } else if has_explicit {
                    let adj = match dir {
                        Direction::Increase => pick(rng, lex.explicit_increase),
                        Direction::Decrease => pick(rng, lex.explicit_decrease),
                    };
                    let text = fill_from(rng, EXPLICIT_MOD_TEMPLATES)
                        .replace("{m}", m)
                        .replace("{adj}", adj);
                    return (text, ClauseLabel::relative(slot, dir, change));
                }
            }
            // Relative: "a bit more bangs", "smile a bit more".
            57..=62 => {
                let dir = random_direction(rng);
                let change = if rng.gen_bool(0.75) { 1 } else { 2 };
                let m = if change == 1 {
                    pick(rng, SMALL_CHANGE)
                } else {
                    pick(rng, LARGE_CHANGE)
                };
                let moreless = match dir {
                    Direction::Increase => "more",
                    Direction::Decrease => "less",
                };
                let text = match attribute {
                    Attribute::Smiling => fill_from(
                        rng,
                        &[
                            "{pre}make {obj} smile {m} {ml}{suf}",
                            "smile {m} {ml}",
                            "{m} {ml} smile",
                            "{m} {ml} smiling",
                            "{subj} should smile {m} {ml}",
                        ],
                    ),
                    Attribute::Age => fill_from(
                        rng,
                        &[
                            "{pre}age {obj} {m}{suf}",
                            "{pre}age {obj} up {m}{suf}",
                            "{pre}age {obj} {m} {ml}{suf}",
                        ],
                    ),
                    _ => fill_from(
                        rng,
                        &[
                            "{m} {ml} {noun}",
                            "{m} {ml} {noun}{suf}",
                            "{pre}add {m} {ml} {noun}{suf}",
                            "i want {m} {ml} {noun}",
                            "{noun} {m} {ml}",
                        ],
                    )
                    .replace("{noun}", pick(rng, lex.nouns)),
                };
                let label = if attribute == Attribute::Age {
                    ClauseLabel::relative(slot, Direction::Increase, change)
                } else {
                    ClauseLabel::relative(slot, dir, change)
                };
                let ml = if attribute == Attribute::Age {
                    "more"
                } else {
                    moreless
                };
                return (text.replace("{m}", m).replace("{ml}", ml), label);
            }
            // Relative with a number of degrees.
            63..=69 if has_nouns => {
                let dir = random_direction(rng);
                let n = *[1u32, 2, 2, 3, 3, 4, 5]
                    .get(rng.gen_range(0..7))
                    .unwrap_or(&2);
                let (num, unit) = number_unit(rng, n);
                let (more, verb, updown) = match dir {
                    Direction::Increase => (
                        "more",
                        pick(rng, &["increase", "raise", "boost", "bump up", "push"]),
                        "up",
                    ),
                    Direction::Decrease => (
                        "less",
                        pick(rng, &["decrease", "lower", "reduce", "drop", "bring down"]),
                        "down",
                    ),
                };
                let text = fill_from(rng, NUMBER_TEMPLATES)
                    .replace("{noun}", pick(rng, lex.nouns))
                    .replace("{adj}", dir_adjective(rng, lex, dir))
                    .replace("{n}", &num)
                    .replace("{unit}", unit)
                    .replace("{more}", more)
                    .replace("{verb}", verb)
                    .replace("{updown}", updown);
                return (text, ClauseLabel::relative(slot, dir, n as u8));
            }
            // Age: "ten years older", explicit numbers of degrees for smile/age.
            63..=69 => {
                let dir = random_direction(rng);
                if attribute == Attribute::Age {
                    let years = *[2u32, 5, 5, 10, 10, 10, 15, 20, 20, 25, 30, 40, 50]
                        .get(rng.gen_range(0..13))
                        .unwrap_or(&10);
                    let num = render_number(rng, years);
                    let adj = match dir {
                        Direction::Increase => "older",
                        Direction::Decrease => "younger",
                    };
                    let t = match dir {
                        Direction::Increase => pick(
                            rng,
                            &[
                                "{pre}make {obj} {n} years {adj}{suf}",
                                "{n} years {adj}",
                                "{pre}add {n} years{suf}",
                                "{subj} should look {n} years {adj}",
                                "{pre}age {obj} by {n} years{suf}",
                                "{pre}make {obj} look {n} years {adj}{suf}",
                            ],
                        ),
                        Direction::Decrease => pick(
                            rng,
                            &[
                                "{pre}make {obj} {n} years {adj}{suf}",
                                "{n} years {adj}",
                                "{pre}take {n} years off{suf}",
                                "{subj} should look {n} years {adj}",
                                "{pre}make {obj} look {n} years {adj}{suf}",
                            ],
                        ),
                    };
                    let text = fill(rng, t).replace("{n}", &num).replace("{adj}", adj);
                    return (text, ClauseLabel::relative(slot, dir, years_change(years)));
                }
                let n = rng.gen_range(1..=4u32);
                let (num, unit) = number_unit(rng, n);
                let adj = match dir {
                    Direction::Increase => pick(rng, lex.explicit_increase),
                    Direction::Decrease => pick(rng, lex.explicit_decrease),
                };
                let text = fill_from(
                    rng,
                    &[
                        "{pre}make {obj} {adj} by {n} {unit}{suf}",
                        "{pre}make {obj} {n} {unit} {adj}{suf}",
                        "{n} {unit} {adj}",
                    ],
                )
                .replace("{adj}", adj)
                .replace("{n}", &num)
                .replace("{unit}", unit);
                return (text, ClauseLabel::relative(slot, dir, n as u8));
            }
            // Remove: target 0.
            70..=76 if !lex.remove_phrases.is_empty() => {
                return (
                    fill_from(rng, lex.remove_phrases),
                    ClauseLabel::target(slot, 0),
                );
            }
            // Target degree by description.
            70..=99 => return target_clause(rng, attribute),
            _ => {}
        }
    }
}

/// A clause naming a target degree.
fn target_clause(rng: &mut StdRng, attribute: Attribute) -> (String, ClauseLabel) {
    let lex = lexicon(attribute);
    let slot = AttributeSlot::Named(attribute);
    if attribute == Attribute::Age {
        match rng.gen_range(0..10) {
            0..=3 => {
                let degree = rng.gen_range(0..6u8);
                let phrase = pick(rng, lex.targets[degree as usize]);
                let text = fill_from(rng, lex.target_templates).replace("{t}", phrase);
                return (text, ClauseLabel::target(slot, degree));
            }
            4..=6 => {
                let degree = rng.gen_range(0..6u8);
                let phrase = pick(rng, AGE_PREDICATES[degree as usize])
                    .replace("{poss2}", pick(rng, &["his", "her", "their", "the"]));
                let text = fill_from(rng, AGE_PREDICATE_TEMPLATES).replace("{a}", &phrase);
                return (text, ClauseLabel::target(slot, degree));
            }
            _ => {
                let years = rng.gen_range(3..96u32);
                let num = render_number(rng, years);
                let text = fill_from(rng, AGE_NUMBER_TEMPLATES).replace("{n}", &num);
                return (text, ClauseLabel::target(slot, age_degree(years)));
            }
        }
    }
    if attribute == Attribute::Bangs && rng.gen_bool(0.15) {
        let percent = 10 * rng.gen_range(0..=10u32);
        let p = match rng.gen_range(0..3) {
            0 => format!("{percent}%"),
            1 => format!("{percent} percent"),
            _ => format!("{} percent", render_number(rng, percent)),
        };
        let t = pick(
            rng,
            &[
                "bangs covering {p} of the forehead",
                "bangs that cover {p} of {poss} forehead",
                "{p} bangs",
                "bangs over {p} of the forehead",
            ],
        );
        let phrase = fill(rng, t).replace("{p}", &p);
        let text = fill_from(rng, GENERIC_TARGET_TEMPLATES).replace("{t}", &phrase);
        return (text, ClauseLabel::target(slot, coverage_degree(percent)));
    }
    if attribute == Attribute::Smiling && rng.gen_bool(0.12) {
        let (degree, t) = *[
            (4u8, "{pre}make {obj} laugh{suf}"),
            (4, "{subj} should laugh"),
            (4, "{pre}make {obj} laugh a little{suf}"),
            (4, "laughing please"),
            (4, "{pre}make {obj} laughing{suf}"),
            (5, "{pre}make {obj} laugh out loud{suf}"),
            (5, "{pre}make {obj} laugh hysterically{suf}"),
            (5, "{pre}make {obj} crack up{suf}"),
            (5, "{pre}make {obj} burst out laughing{suf}"),
            (5, "{pre}make {obj} laugh really hard{suf}"),
            (5, "{pre}make {obj} roar with laughter{suf}"),
            (3, "{pre}make {obj} grin widely{suf}"),
            (3, "{pre}make {obj} beam{suf}"),
            (1, "{pre}make {obj} smile slightly with closed lips{suf}"),
            (0, "{pre}make {obj} frown{suf}"),
        ]
        .get(rng.gen_range(0..15))
        .unwrap_or(&(4, "{pre}make {obj} laugh{suf}"));
        return (fill(rng, t), ClauseLabel::target(slot, degree));
    }
    if attribute == Attribute::Beard && rng.gen_bool(0.08) {
        let t = pick(
            rng,
            &[
                "{pre}make {obj} clean shaven{suf}",
                "{subj} should be clean shaven",
                "{pre}make {obj} unshaven{suf}",
            ],
        );
        let degree = if t.contains("unshaven") { 2 } else { 0 };
        return (fill(rng, t), ClauseLabel::target(slot, degree));
    }
    let degree = rng.gen_range(0..6u8);
    let phrase = pick(rng, lex.targets[degree as usize]);
    let template = if !lex.target_templates.is_empty() && rng.gen_bool(0.3) {
        pick(rng, lex.target_templates)
    } else {
        pick(rng, GENERIC_TARGET_TEMPLATES)
    };
    let text = fill(rng, template).replace("{t}", phrase);
    (text, ClauseLabel::target(slot, degree))
}

/// A clause that refers to the attribute of the context (or of a previous clause) without naming
/// it: "a bit more", "make them longer", "too much", "remove it".
fn reference_clause(
    rng: &mut StdRng,
    attribute: Attribute,
    slot: AttributeSlot,
) -> (String, ClauseLabel) {
    let lex = lexicon(attribute);
    let pron = pick(rng, lex.pronouns);
    let comparative = |rng: &mut StdRng, dir: Direction| -> (&'static str, AttributeSlot) {
        // Age has only explicit comparatives: they name the attribute themselves.
        if lex.increase_adjectives.is_empty()
            || (!lex.explicit_increase.is_empty() && rng.gen_bool(0.25))
        {
            let adj = match dir {
                Direction::Increase => pick(rng, lex.explicit_increase),
                Direction::Decrease => pick(rng, lex.explicit_decrease),
            };
            (adj, AttributeSlot::Named(attribute))
        } else {
            (dir_adjective(rng, lex, dir), slot)
        }
    };
    match rng.gen_range(0..100) {
        // Comparative: "longer", "make them longer".
        0..=24 => {
            let dir = random_direction(rng);
            let (adj, s) = comparative(rng, dir);
            let t = pick(
                rng,
                &[
                    "{adj}",
                    "{adj}{suf}",
                    "{pre}make {pron} {adj}{suf}",
                    "{pron} should be {adj}",
                    "{pron} could be {adj}",
                    "even {adj}",
                    "{pre}make {pron} even {adj}{suf}",
                    "i want {pron} {adj}",
                    "i would like {pron} {adj}",
                    "{adj} would be better",
                    "maybe {adj}",
                    "go {adj}",
                    "still {adj}",
                    "{adj} please",
                    "i think {adj}",
                    "can {pron} be {adj}",
                ],
            );
            let text = fill(rng, t).replace("{pron}", pron).replace("{adj}", adj);
            (text, ClauseLabel::direction(s, Some(dir)))
        }
        // Modifier + comparative: "a bit longer", "make it slightly bigger".
        25..=34 => {
            let dir = random_direction(rng);
            let (adj, s) = comparative(rng, dir);
            let change = if rng.gen_bool(0.75) { 1 } else { 2 };
            let m = if change == 1 {
                pick(rng, SMALL_CHANGE)
            } else {
                pick(rng, LARGE_CHANGE)
            };
            let t = pick(
                rng,
                &[
                    "{m} {adj}",
                    "{m} {adj}{suf}",
                    "{pre}make {pron} {m} {adj}{suf}",
                    "{pron} could be {m} {adj}",
                    "{pron} should be {m} {adj}",
                    "just {m} {adj}",
                    "maybe {m} {adj}",
                    "i want {pron} {m} {adj}",
                    "{m} {adj} would be better",
                ],
            );
            let text = fill(rng, t)
                .replace("{pron}", pron)
                .replace("{adj}", adj)
                .replace("{m}", m);
            (text, ClauseLabel::relative(s, dir, change))
        }
        // "more" / "less" with a modifier.
        35..=46 => {
            let dir = random_direction(rng);
            let ml = match dir {
                Direction::Increase => pick(rng, &["more", "further", "stronger", "more intense"]),
                Direction::Decrease => pick(rng, &["less", "weaker", "less intense", "back"]),
            };
            let change = if rng.gen_bool(0.75) { 1 } else { 2 };
            let m = if change == 1 {
                pick(rng, SMALL_CHANGE)
            } else {
                pick(rng, LARGE_CHANGE)
            };
            if ml == "back" {
                let text = fill(rng, "{pre}tone {pron} back {m}{suf}")
                    .replace("{pron}", pron)
                    .replace("{m}", m);
                return (text, ClauseLabel::relative(slot, dir, change));
            }
            let t = pick(
                rng,
                &[
                    "{m} {ml}",
                    "{m} {ml}{suf}",
                    "just {m} {ml}",
                    "{m} {ml} please",
                    "maybe {m} {ml}",
                    "{pre}make {pron} {m} {ml}{suf}",
                    "i want {pron} {m} {ml}",
                    "{pre}go {m} {ml}{suf}",
                    "{pre}push {pron} {m} {ml}{suf}",
                ],
            );
            let text = fill(rng, t)
                .replace("{pron}", pron)
                .replace("{ml}", ml)
                .replace("{m}", m);
            (text, ClauseLabel::relative(slot, dir, change))
        }
        // Numbers of degrees: "two more levels", "one step less".
        47..=53 => {
            let dir = random_direction(rng);
            let n = rng.gen_range(1..=4u32);
            let (num, unit) = number_unit(rng, n);
            let ml = match dir {
                Direction::Increase => "more",
                Direction::Decrease => "less",
            };
            let updown = match dir {
                Direction::Increase => "up",
                Direction::Decrease => "down",
            };
            let t = pick(
                rng,
                &[
                    "{n} {unit} {ml}",
                    "{n} more {unit}",
                    "{n} {unit} {ml} please",
                    "{pre}go {n} {unit} {updown}{suf}",
                    "{updown} {n} {unit}",
                    "{updown} by {n}",
                    "{pre}move {pron} {n} {unit} {updown}{suf}",
                    "another {n} {unit}",
                ],
            );
            let t = if dir == Direction::Decrease && t.contains("more {unit}") {
                "{n} {unit} less"
            } else if dir == Direction::Decrease && t.contains("another") {
                "{n} {unit} back"
            } else {
                t
            };
            let text = fill(rng, t)
                .replace("{pron}", pron)
                .replace("{n}", &num)
                .replace("{unit}", unit)
                .replace("{ml}", ml)
                .replace("{updown}", updown);
            (text, ClauseLabel::relative(slot, dir, n as u8))
        }
        // Direction without amount: "more", "too much", "not enough", "keep going".
        54..=86 => {
            let dir = random_direction(rng);
            let t = match dir {
                Direction::Increase => pick(
                    rng,
                    &[
                        "more",
                        "more please",
                        "more{suf}",
                        "keep going",
                        "go further",
                        "further",
                        "even more",
                        "needs more",
                        "not enough",
                        "still not enough",
                        "too {small}",
                        "not {big} enough",
                        "{pre}increase {pron}{suf}",
                        "{pre}turn {pron} up{suf}",
                        "{pre}push {pron} further{suf}",
                        "stronger",
                        "{pre}intensify {pron}{suf}",
                        "do more",
                        "more more",
                        "go on",
                        "continue",
                        "a little too {small}",
                        "way too {small}",
                        "its too {small}",
                        "{pron} is too {small}",
                        "i want more",
                        "{pre}amplify {pron}{suf}",
                        "more of {pron}",
                        "bigger effect",
                        "{pre}exaggerate {pron}{suf}",
                        "still too {small}",
                        "not quite enough",
                        "higher",
                    ],
                ),
                Direction::Decrease => pick(
                    rng,
                    &[
                        "less",
                        "less please",
                        "less{suf}",
                        "too much",
                        "too {big}",
                        "thats too much",
                        "way too much",
                        "{pre}tone {pron} down{suf}",
                        "{pre}reduce {pron}{suf}",
                        "{pre}turn {pron} down{suf}",
                        "{pre}dial {pron} back{suf}",
                        "overdone",
                        "too strong",
                        "weaker",
                        "not so much",
                        "less of {pron}",
                        "its too {big}",
                        "{pron} is too {big}",
                        "a little too {big}",
                        "way too {big}",
                        "thats a bit much",
                        "{pre}back off{suf}",
                        "too far",
                        "went too far",
                        "{pre}soften {pron}{suf}",
                        "{pre}scale {pron} back{suf}",
                        "lower",
                        "still too {big}",
                        "i want less",
                        "its a bit too {big}",
                        "less intense",
                    ],
                ),
            };
            let (big, small) = (pick(rng, lex.too_big), pick(rng, lex.too_small));
            let explicit =
                attribute == Attribute::Age && (t.contains("{big}") || t.contains("{small}"));
            let text = fill(rng, t)
                .replace("{pron}", pron)
                .replace("{big}", big)
                .replace("{small}", small);
            let s = if explicit {
                AttributeSlot::Named(attribute)
            } else {
                slot
            };
            let label = if t.contains("a little too") || t.contains("a bit too") {
                ClauseLabel::relative(s, dir, 1)
            } else {
                ClauseLabel::direction(s, Some(dir))
            };
            (text, label)
        }
        // Extremes: "all the way" (5), "remove them" (0).
        _ => {
            if rng.gen_bool(0.5) || attribute == Attribute::Age {
                let t = pick(
                    rng,
                    &[
                        "all the way",
                        "go all the way",
                        "max it out",
                        "maximum",
                        "the maximum",
                        "as much as possible",
                        "to the max",
                        "the most you can",
                        "full",
                        "max",
                        "all the way up",
                        "{pre}make {pron} maximum{suf}",
                        "{pre}turn {pron} all the way up{suf}",
                    ],
                );
                (
                    fill(rng, t).replace("{pron}", pron),
                    ClauseLabel::target(slot, 5),
                )
            } else {
                let t = pick(
                    rng,
                    &[
                        "{pre}remove {pron}{suf}",
                        "{pre}get rid of {pron}{suf}",
                        "{pre}take {pron} off{suf}",
                        "{pre}take {pron} away{suf}",
                        "none at all",
                        "{pre}remove {pron} completely{suf}",
                        "{pre}turn {pron} off{suf}",
                        "zero",
                        "none",
                        "{pre}remove {pron} entirely{suf}",
                        "{pre}turn {pron} all the way down{suf}",
                        "minimum",
                    ],
                );
                (
                    fill(rng, t).replace("{pron}", pron),
                    ClauseLabel::target(slot, 0),
                )
            }
        }
    }
}

/// A bare attribute that takes its kind from the previous clause ("... and glasses too").
fn bare_attribute(rng: &mut StdRng, attribute: Attribute) -> (String, ClauseLabel) {
    let noun = match attribute {
        Attribute::Age => pick(rng, &["age", "the age", "his age", "her age"]),
        Attribute::Smiling => pick(
            rng,
            &["smile", "the smile", "her smile", "his smile", "the grin"],
        ),
        _ => pick(rng, lexicon(attribute).nouns),
    };
    let t = pick(
        rng,
        &[
            "{noun}",
            "the {noun}",
            "{poss} {noun}",
            "the {noun} too",
            "{noun} too",
            "{noun} as well",
            "{poss} {noun} as well",
            "same for the {noun}",
            "same with the {noun}",
            "the {noun} as well",
            "same for {poss} {noun}",
        ],
    );
    // With an article: "add glasses and a beard", "a smile too".
    let with_article = match attribute {
        Attribute::Bangs => pick(rng, &["some bangs", "a fringe", "bangs too"]),
        Attribute::Eyeglasses => pick(rng, &["some glasses", "a pair of glasses", "glasses too"]),
        Attribute::Beard => pick(
            rng,
            &["a beard", "some beard", "a mustache", "some facial hair"],
        ),
        Attribute::Smiling => pick(rng, &["a smile", "a grin", "some smile"]),
        Attribute::Age => pick(rng, &["the age", "age too"]),
    };
    let text = if rng.gen_bool(0.3) {
        with_article.to_string()
    } else {
        fill(rng, t)
            .replace("{noun}", noun)
            .replace("the the", "the")
    };
    (text, ClauseLabel::inherit_kind(attribute))
}

const AGREE: Pool = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "yes please",
    "sure thing",
    "why not",
    "go ahead",
    "go for it",
    "sounds good",
    "sounds great",
    "lets do it",
    "lets try it",
    "lets try",
    "please do",
    "absolutely",
    "of course",
    "alright",
    "definitely",
    "do it",
    "try it",
    "yes lets see",
    "ok lets see",
    "i guess so",
    "sure why not",
    "yeah why not",
    "that would be nice",
    "id like that",
    "i would love that",
    "yes i would",
    "yes i do",
    "yeah sure",
    "ok sure",
    "certainly",
    "yes definitely",
    "lets see it",
    "show me",
    "give it a try",
    "lets go",
    "good idea",
    "great idea",
    "nice idea",
    "yes try that",
    "sure lets try",
    "yea",
    "yes sure",
    "ok go ahead",
    "yes go ahead",
    "totally",
    "yes yes",
    "ok why not",
    "lets give it a shot",
    "i want that",
    "that sounds fun",
    "yes let me see",
    "sure show me",
    "alright lets do it",
    "ok do it",
    "yes please do",
    "absolutely yes",
    "yeah go for it",
    "ya sure",
    "mhm",
    "sure go on",
    "yes lets try",
    "indeed",
    "fine by me",
    "ok fine",
    "i would like that",
    "lets see what it looks like",
    "yes that would be cool",
    "yeah lets try that",
    "i guess",
    "maybe yes",
    "sounds fun",
    "why not try",
];
const DECLINE: Pool = &[
    "no",
    "nope",
    "nah",
    "no thanks",
    "no thank you",
    "not really",
    "not now",
    "maybe later",
    "id rather not",
    "i would rather not",
    "dont",
    "skip",
    "skip it",
    "pass",
    "no way",
    "not interested",
    "lets not",
    "no need",
    "not this time",
    "i dont want that",
    "i dont think so",
    "no i dont",
    "not for me",
    "please dont",
    "no dont",
    "definitely not",
    "absolutely not",
    "nah im good",
    "no im good",
    "not today",
    "i dont",
    "never",
    "no leave it",
    "leave it",
    "no lets skip that",
    "skip that one",
    "nah thanks",
    "no not that",
    "not that",
    "im good",
    "no no",
    "i pass",
    "no i am fine",
    "not that one",
    "id rather not do that",
    "nope not interested",
    "no thats ok",
    "nah skip",
    "something else",
    "no something else",
    "not really no",
    "no that wont be necessary",
];
const SATISFIED: Pool = &[
    "perfect",
    "looks good",
    "looks great",
    "thats good",
    "thats great",
    "thats perfect",
    "great",
    "good",
    "nice",
    "exactly",
    "just right",
    "thats it",
    "spot on",
    "love it",
    "i love it",
    "that works",
    "good enough",
    "thats enough",
    "its fine",
    "fine",
    "much better",
    "awesome",
    "beautiful",
    "well done",
    "yes its perfect",
    "yes thats right",
    "yes thats good",
    "looks right",
    "its right",
    "right",
    "thats what i wanted",
    "nailed it",
    "very nice",
    "great job",
    "keep it",
    "keep it like that",
    "leave it like that",
    "leave it as is",
    "that will do",
    "thatll do",
    "its good now",
    "its fine now",
    "happy with it",
    "im happy",
    "im happy with that",
    "satisfied",
    "yes it is",
    "yes they are",
    "yes its good",
    "correct",
    "stop there",
    "thats the one",
    "ok good",
    "ok thats good",
    "looks fine",
    "lovely",
    "amazing",
    "cool",
    "yes",
    "yeah",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "absolutely",
    "definitely",
    "yes perfect",
    "yes great",
    "yeah thats good",
    "that looks right",
    "it looks good",
    "they look good",
    "it is",
    "they are",
    "yes it does",
    "looks good to me",
    "good job",
    "excellent",
    "wonderful",
    "fantastic",
    "superb",
    "yes thank you",
    "thanks",
    "thank you",
    "thank you thats great",
    "yes thanks",
    "its perfect",
    "thats fine",
    "ok thats fine",
    "looks perfect",
    "no thats perfect",
    "no its good",
    "no its perfect now",
    "no thats fine",
    "thats just right",
    "perfect thanks",
    "yes exactly",
    "exactly right",
];
const UNSATISFIED: Pool = &[
    "no",
    "nope",
    "not yet",
    "not quite",
    "not really",
    "nah",
    "no it isnt",
    "no its not",
    "no they arent",
    "hmm no",
    "not exactly",
    "i dont think so",
    "not at all",
    "no not really",
    "not there yet",
    "close but no",
    "not right",
    "its not right",
    "wrong",
    "no its wrong",
    "not really no",
    "nope not yet",
    "no not yet",
    "hmm not quite",
    "not what i wanted",
    "no i dont like it",
    "i dont like it",
    "not good",
    "no not good",
    "it looks weird",
    "that looks odd",
    "not great",
    "meh",
    "ugh no",
    "no way",
    "it isnt",
    "they arent",
    "no that looks bad",
    "looks bad",
    "hmm",
    "nah not yet",
];
const YES_NO_CONTEXT_FREE_YES: Pool = &[
    "yes",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "alright",
    "yes please",
    "sounds good",
    "perfect",
    "great",
    "looks good",
    "thats good",
    "good",
    "nice",
    "fine",
    "yup",
    "thanks",
    "thank you",
    "cool",
    "awesome",
    "love it",
    "thats great",
    "correct",
    "exactly",
    "right",
    "ok thanks",
    "thats fine",
    "thats perfect",
    "absolutely",
    "of course",
];
const YES_NO_CONTEXT_FREE_NO: Pool = &[
    "no",
    "nope",
    "nah",
    "no thanks",
    "not really",
    "no thank you",
    "not yet",
    "not quite",
    "i dont think so",
    "no way",
    "definitely not",
    "not at all",
    "nah im good",
    "no no",
    "i dont like it",
    "not good",
];
const UNDO: Pool = &[
    "undo",
    "undo that",
    "undo it",
    "undo the last change",
    "undo the last edit",
    "undo last step",
    "go back",
    "go back one step",
    "go back a step",
    "back",
    "revert",
    "revert that",
    "revert the last change",
    "take that back",
    "put it back",
    "change it back",
    "that was better before",
    "it was better before",
    "i liked it better before",
    "i preferred the previous one",
    "previous version",
    "previous version please",
    "back to the previous one",
    "back to how it was",
    "cancel that",
    "cancel the last edit",
    "step back",
    "oops",
    "oops undo",
    "ctrl z",
    "never mind undo that",
    "revert the last one",
    "put it back the way it was",
    "return to the last version",
    "go back to the last one",
    "the previous was better",
    "undo please",
    "reverse that",
    "reverse the last change",
    "undo the last thing",
    "can you undo that",
    "please undo",
    "go back to before",
    "undo last",
    "i want to undo",
    "revert please",
    "no go back",
    "that was a mistake",
    "that was worse",
    "it looked better before",
    "i liked the last one",
    "undo the change",
    "roll back",
    "roll that back",
    "rollback",
    "scratch that",
    "back one step",
    "the last one was better",
    "let me undo that",
];
const RESTART: Pool = &[
    "start over",
    "start again",
    "restart",
    "reset",
    "reset everything",
    "reset it",
    "start from scratch",
    "from scratch",
    "back to the original",
    "go back to the original",
    "original photo please",
    "show me the original",
    "revert everything",
    "undo everything",
    "undo all changes",
    "undo all the changes",
    "revert all changes",
    "lets start fresh",
    "begin again",
    "start fresh",
    "clear all edits",
    "remove all edits",
    "restore the original",
    "reset the photo",
    "reset the face",
    "lets start over",
    "start all over",
    "new start",
    "back to square one",
    "wipe all changes",
    "can we start over",
    "i want to start over",
    "reset all",
    "go back to the beginning",
    "back to the start",
    "restore original",
    "the original was better",
    "revert to the original",
    "original please",
    "reset please",
    "restart please",
    "undo all",
    "start it over",
    "do it all again from the start",
    "lets begin again",
    "take me back to the original",
    "original image",
    "reset to original",
];
const END: Pool = &[
    "bye",
    "goodbye",
    "bye bye",
    "im done",
    "i am done",
    "were done",
    "thats all",
    "thats all for now",
    "quit",
    "exit",
    "stop",
    "end",
    "end the chat",
    "end the conversation",
    "finish",
    "finished",
    "im finished",
    "done",
    "all done",
    "no more edits",
    "no more changes",
    "nothing else",
    "nothing more",
    "see you",
    "see you later",
    "later",
    "cya",
    "close",
    "lets stop here",
    "stop editing",
    "thats it for today",
    "i want to stop",
    "lets finish",
    "we can stop",
    "enough for today",
    "i have to go",
    "gotta go",
    "save and quit",
    "end session",
    "im good for now",
    "nothing else thanks",
    "we are finished",
    "that is all",
    "lets wrap up",
    "wrap it up",
    "stop now",
    "quit please",
    "exit please",
    "im out",
    "good night",
    "farewell",
    "take care",
    "i am finished now",
    "done editing",
    "no more",
    "that will be all",
    "end it",
    "terminate",
    "lets end here",
    "over and out",
];
const HELP: Pool = &[
    "help",
    "help me",
    "help please",
    "what can you do",
    "what can i do",
    "how does this work",
    "how do i use this",
    "what can i ask",
    "what can i ask for",
    "what can i change",
    "what can you change",
    "what can you edit",
    "what are my options",
    "options",
    "show options",
    "commands",
    "list commands",
    "instructions",
    "how does it work",
    "i need help",
    "im confused",
    "im lost",
    "what should i say",
    "what do i say",
    "how do i edit",
    "what attributes can you edit",
    "what features can i change",
    "what is possible",
    "what can this bot do",
    "can you explain",
    "explain",
    "guide me",
    "tutorial",
    "usage",
    "i dont know what to do",
    "how do i do this",
    "what things can you edit",
    "what can be changed",
    "what do you support",
    "menu",
    "show me what you can do",
    "how does this bot work",
    "what are the commands",
    "how can i use you",
    "what can i edit",
    "what kinds of edits can you make",
    "manual",
    "any tips",
    "how to use",
    "what edits are possible",
    "can i get some help",
    "assist me",
];
const UNKNOWN: Pool = &[
    "hello",
    "hi",
    "hi there",
    "hey there",
    "good morning",
    "whats up",
    "who are you",
    "what is this",
    "lol",
    "haha",
    "ummm",
    "asdf",
    "qwerty",
    "i like pizza",
    "whats the weather",
    "tell me a joke",
    "what time is it",
    "the cat sat on the mat",
    "banana",
    "how old are you",
    "are you a robot",
    "nice to meet you",
    "what is your name",
    "i am bored",
    "interesting",
    "wow",
    "cool story",
    "blue",
    "purple",
    "the sky",
    "whatever",
    "i dont know",
    "never mind",
    "test",
    "testing",
    "random words here",
    "can you sing",
    "play music",
    "order a pizza",
    "what day is it",
    "translate this",
    "hello there",
    "how are you",
    "good evening",
    "i am hungry",
    "my dog is cute",
    "do you like cats",
    "what is the capital of france",
    "lorem ipsum",
    "xyz",
    "ok so",
    "well",
    "hmm let me think",
    "wait",
    "one moment",
    "i need to think",
    "keep the rest",
    "nothing",
    "idk",
    "who made you",
    "are you there",
    "where am i",
    "is this working",
    "can you hear me",
    "what year is it",
    "sing a song",
    "you are funny",
    "this is weird",
    "lmao",
    "rofl",
    "hehe",
    "brb",
    "ok cool",
    "what",
    "huh",
    "what do you mean",
    "sorry what",
    "pardon",
    "that is strange",
    "the weather is nice",
    "i had a long day",
    "football",
    "computer",
    "a picture of a cat",
];
/// Requests for edits this system cannot do: they must not turn into one of the five attributes.
const UNSUPPORTED: Pool = &[
    "{pre}make {poss} hair blonde{suf}",
    "{pre}add a hat{suf}",
    "{pre}give {obj} a hat{suf}",
    "{pre}change the background{suf}",
    "{pre}make the background blue{suf}",
    "{pre}add earrings{suf}",
    "{pre}give {obj} a tattoo{suf}",
    "{pre}add makeup{suf}",
    "{pre}add lipstick{suf}",
    "{pre}make {poss} eyes blue{suf}",
    "{pre}change {poss} eye color{suf}",
    "{pre}make {poss} nose smaller{suf}",
    "{pre}make {poss} hair curly{suf}",
    "{pre}make {obj} bald{suf}",
    "{pre}make {obj} fatter{suf}",
    "{pre}change {poss} skin tone{suf}",
    "{pre}add freckles{suf}",
    "{pre}remove the freckles{suf}",
    "{pre}make {poss} hair red{suf}",
    "{pre}make {poss} ears bigger{suf}",
    "{pre}make the picture brighter{suf}",
    "{pre}add a scar{suf}",
    "{pre}put a hat on {obj}{suf}",
    "{pre}make {obj} a woman{suf}",
    "{pre}make {obj} a man{suf}",
    "{pre}give {obj} a mohawk{suf}",
    "{pre}make {poss} lips bigger{suf}",
    "{pre}add a necklace{suf}",
    "{pre}crop the photo{suf}",
    "{pre}rotate the image{suf}",
    "{pre}make the image bigger{suf}",
    "{pre}make {poss} hair longer{suf}",
    "{pre}make {poss} hair shorter{suf}",
    "{pre}give {obj} long hair{suf}",
    "{pre}dye {poss} hair{suf}",
    "{pre}add a mask{suf}",
    "{pre}make {obj} look like a cat{suf}",
    "{pre}add a crown{suf}",
    "{pre}make {poss} eyes bigger{suf}",
    "{pre}make {poss} skin darker{suf}",
    "{pre}add wrinkles to the background{suf}",
    "{pre}change {poss} hairstyle{suf}",
    "{pre}make the photo black{suf}",
    "{pre}add a scarf{suf}",
    "{pre}make {obj} taller{suf}",
    "{pre}remove the background{suf}",
    "{pre}blur the background{suf}",
    "{pre}add a headband{suf}",
    "{pre}give {obj} pink hair{suf}",
    "{pre}make {poss} cheeks rosy{suf}",
    "{pre}add some blush{suf}",
    "{pre}keep the {noun}{suf}",
    "dont change the {noun}",
    "leave the {noun} alone",
    "{pre}keep {poss} {noun} as they are{suf}",
    "dont touch the {noun}",
];

/// One clause of a reply that only makes sense in `context`, or a context-free reply.
fn context_reply(rng: &mut StdRng, context: Option<SystemContext>) -> (String, ClauseLabel) {
    match context {
        Some(SystemContext::Suggest(a)) => match rng.gen_range(0..100) {
            0..=39 => (
                pick(rng, AGREE).to_string(),
                ClauseLabel::direction(AttributeSlot::Inherit, None),
            ),
            40..=64 => (
                pick(rng, DECLINE).to_string(),
                ClauseLabel::intent(Intent::No),
            ),
            _ => {
                let (text, label) = reference_clause(rng, a, AttributeSlot::Inherit);
                if rng.gen_bool(0.3) {
                    let lead = pick(
                        rng,
                        &[
                            "yes ",
                            "yeah ",
                            "sure ",
                            "ok ",
                            "sure but ",
                            "yes but ",
                            "ok but ",
                        ],
                    );
                    (format!("{lead}{text}"), label)
                } else {
                    (text, label)
                }
            }
        },
        Some(SystemContext::Check(a)) => match rng.gen_range(0..100) {
            0..=29 => (
                pick(rng, SATISFIED).to_string(),
                ClauseLabel::intent(Intent::Yes),
            ),
            30..=44 => (
                pick(rng, UNSATISFIED).to_string(),
                ClauseLabel::intent(Intent::No),
            ),
            _ => {
                let (text, label) = reference_clause(rng, a, AttributeSlot::Inherit);
                if rng.gen_bool(0.25) {
                    let lead = pick(
                        rng,
                        &[
                            "no ",
                            "nope ",
                            "hmm ",
                            "not quite ",
                            "almost ",
                            "nah ",
                            "no but ",
                        ],
                    );
                    (format!("{lead}{text}"), label)
                } else {
                    (text, label)
                }
            }
        },
        None => match rng.gen_range(0..100) {
            0..=39 => (
                pick(rng, YES_NO_CONTEXT_FREE_YES).to_string(),
                ClauseLabel::intent(Intent::Yes),
            ),
            40..=69 => (
                pick(rng, YES_NO_CONTEXT_FREE_NO).to_string(),
                ClauseLabel::intent(Intent::No),
            ),
            _ => {
                // "a bit more" with no context refers to nothing: the resolver makes it unknown.
                let a = choose_attribute(rng);
                reference_clause(rng, a, AttributeSlot::Inherit)
            }
        },
    }
}

/// A reply that means the same in every context (undo, restart, end, help, chatter,
/// unsupported edits).
fn fixed_intent(rng: &mut StdRng) -> (String, ClauseLabel) {
    let (pool, intent) = match rng.gen_range(0..100) {
        0..=17 => (UNDO, Intent::Undo),
        18..=33 => (RESTART, Intent::Restart),
        34..=51 => (END, Intent::End),
        52..=67 => (HELP, Intent::Help),
        68..=83 => (UNKNOWN, Intent::Unknown),
        _ => (UNSUPPORTED, Intent::Unknown),
    };
    let noun = pick(
        rng,
        &["bangs", "glasses", "beard", "smile", "hair", "eyes", "face"],
    );
    let text = fill_from(rng, pool).replace("{noun}", noun);
    (text, ClauseLabel::intent(intent))
}

/// Polishes a clause for display: optional capital letter and end punctuation.
fn decorate(rng: &mut StdRng, text: &str) -> String {
    let mut out = text.trim().to_string();
    if rng.gen_bool(0.3) {
        let mut chars = out.chars();
        if let Some(first) = chars.next() {
            out = first.to_uppercase().collect::<String>() + chars.as_str();
        }
    }
    match rng.gen_range(0..10) {
        0 => out.push('!'),
        1 => out.push('.'),
        2 => out.push('?'),
        _ => {}
    }
    out
}

const JOINERS: Pool = &[
    " and ",
    ", ",
    ", and ",
    " and also ",
    ". ",
    " then ",
    ", then ",
    " plus ",
    " & ",
    "; ",
    " and then ",
    ", also ",
    " but ",
];

/// One generated message.
pub fn generate_message(rng: &mut StdRng) -> GeneratedMessage {
    let roll = rng.gen_range(0..100);
    let (context, parts): (Option<SystemContext>, Vec<(String, ClauseLabel)>) = match roll {
        // A single explicit edit, in any context.
        0..=33 => {
            let a = choose_attribute(rng);
            (any_context(rng), vec![explicit_edit(rng, a)])
        }
        // A context-dependent reply.
        34..=59 => {
            let context = match rng.gen_range(0..10) {
                0..=1 => None,
                2..=5 => Some(SystemContext::Suggest(choose_attribute(rng))),
                _ => Some(SystemContext::Check(choose_attribute(rng))),
            };
            (context, vec![context_reply(rng, context)])
        }
        // Undo / restart / end / help / unknown.
        60..=74 => (any_context(rng), vec![fixed_intent(rng)]),
        // Two explicit edits of different attributes.
        75..=79 => {
            let a = choose_attribute(rng);
            let mut b = choose_attribute(rng);
            while b == a {
                b = choose_attribute(rng);
            }
            (
                any_context(rng),
                vec![explicit_edit(rng, a), explicit_edit(rng, b)],
            )
        }
        // An edit, then a bare attribute or a bare comparative that refers back to it.
        80..=86 => {
            let a = choose_attribute(rng);
            let first = explicit_edit(rng, a);
            let second = if rng.gen_bool(0.5) {
                let mut b = choose_attribute(rng);
                while b == a {
                    b = choose_attribute(rng);
                }
                bare_attribute(rng, b)
            } else {
                reference_clause(rng, a, AttributeSlot::Inherit)
            };
            (None, vec![first, second])
        }
        // A reply followed by an explicit edit ("no, make him older instead").
        87..=92 => {
            let context = match rng.gen_range(0..3) {
                0 => None,
                1 => Some(SystemContext::Suggest(choose_attribute(rng))),
                _ => Some(SystemContext::Check(choose_attribute(rng))),
            };
            let reply = match context {
                Some(SystemContext::Check(_)) => {
                    if rng.gen_bool(0.5) {
                        (
                            pick(rng, UNSATISFIED).to_string(),
                            ClauseLabel::intent(Intent::No),
                        )
                    } else {
                        (
                            pick(rng, SATISFIED).to_string(),
                            ClauseLabel::intent(Intent::Yes),
                        )
                    }
                }
                Some(SystemContext::Suggest(_)) => (
                    pick(rng, DECLINE).to_string(),
                    ClauseLabel::intent(Intent::No),
                ),
                None => context_reply(rng, None),
            };
            let a = choose_attribute(rng);
            let (text, label) = explicit_edit(rng, a);
            let text = if rng.gen_bool(0.3) {
                format!("{text} instead")
            } else {
                text
            };
            (context, vec![reply, (text, label)])
        }
        // A context reply followed by a reference ("yes, a bit longer" / "no, more").
        93..=96 => {
            let a = choose_attribute(rng);
            let context = if rng.gen_bool(0.5) {
                SystemContext::Suggest(a)
            } else {
                SystemContext::Check(a)
            };
            let reply = match context {
                SystemContext::Suggest(_) => (
                    pick(rng, AGREE).to_string(),
                    ClauseLabel::direction(AttributeSlot::Inherit, None),
                ),
                SystemContext::Check(_) => (
                    pick(rng, UNSATISFIED).to_string(),
                    ClauseLabel::intent(Intent::No),
                ),
            };
            let follow = reference_clause(rng, a, AttributeSlot::Inherit);
            (Some(context), vec![reply, follow])
        }
        // An edit, then what to leave alone ("make him older but keep the beard").
        97 if rng.gen_bool(0.6) => {
            let a = choose_attribute(rng);
            let edit = explicit_edit(rng, a);
            let noun = pick(
                rng,
                &[
                    "bangs",
                    "glasses",
                    "beard",
                    "smile",
                    "hair",
                    "eyes",
                    "age",
                    "expression",
                ],
            );
            let keep = fill_from(
                rng,
                &[
                    "keep the {noun}",
                    "keep {poss} {noun}",
                    "dont change the {noun}",
                    "leave the {noun} alone",
                    "dont touch the {noun}",
                    "keep the {noun} as is",
                    "leave {poss} {noun} as it is",
                    "keep everything else",
                    "dont change anything else",
                    "the rest stays",
                ],
            )
            .replace("{noun}", noun);
            (
                any_context(rng),
                vec![edit, (keep, ClauseLabel::intent(Intent::Unknown))],
            )
        }
        // Chatter or thanks around an edit, or two closing intents ("ok thanks, bye").
        _ => {
            if rng.gen_bool(0.5) {
                let a = choose_attribute(rng);
                let edit = explicit_edit(rng, a);
                let extra = (
                    pick(
                        rng,
                        &[
                            "hi",
                            "hello",
                            "hey there",
                            "thanks",
                            "thank you",
                            "cool",
                            "wow",
                        ],
                    )
                    .to_string(),
                    ClauseLabel::intent(if rng.gen_bool(0.5) {
                        Intent::Unknown
                    } else {
                        Intent::Yes
                    }),
                );
                let extra = if extra.0.starts_with('h') || extra.0 == "wow" || extra.0 == "cool" {
                    (extra.0, ClauseLabel::intent(Intent::Unknown))
                } else {
                    (extra.0, ClauseLabel::intent(Intent::Yes))
                };
                if rng.gen_bool(0.5) {
                    (any_context(rng), vec![extra, edit])
                } else {
                    (any_context(rng), vec![edit, extra])
                }
            } else {
                let first = (
                    pick(
                        rng,
                        &[
                            "ok",
                            "thanks",
                            "great",
                            "perfect",
                            "ok thanks",
                            "cool",
                            "thank you",
                        ],
                    )
                    .to_string(),
                    ClauseLabel::intent(Intent::Yes),
                );
                let second = (pick(rng, END).to_string(), ClauseLabel::intent(Intent::End));
                (None, vec![first, second])
            }
        }
    };
    let mut text = String::new();
    for (i, (part, _)) in parts.iter().enumerate() {
        if i > 0 {
            text.push_str(pick(rng, JOINERS));
        }
        text.push_str(part.trim());
    }
    GeneratedMessage {
        text: decorate(rng, &text),
        context,
        clauses: parts.into_iter().map(|(_, l)| l).collect(),
    }
}

/// Key that identifies a message for de-duplication and the held-out split.
fn message_key(m: &GeneratedMessage) -> String {
    let context = m.context.map_or_else(|| "-".to_string(), |c| c.to_string());
    format!("{context}|{}", tokenize(&m.text).join(" "))
}

/// Stable 64-bit FNV-1a hash (the split must not change between Rust versions).
fn fnv1a(text: &str, seed: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Generates `count` messages with `seed`. A message goes to the held-out split when its
/// normalised text and context hash into the `test_fraction` bucket, so no held-out message
/// occurs in training; the held-out split is de-duplicated, the training split keeps repeats
/// (short replies such as "yes" are common in real dialogs too).
pub fn generate(seed: u64, count: usize, test_fraction: f64) -> Corpus {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut test_keys = HashSet::new();
    let mut train = Vec::with_capacity(count);
    let mut test = Vec::new();
    let threshold = (test_fraction.clamp(0.0, 1.0) * 10_000.0) as u64;
    let mut produced = 0usize;
    let mut attempts = 0usize;
    while produced < count && attempts < count * 2 {
        attempts += 1;
        let m = generate_message(&mut rng);
        // Every clause boundary must be where the labels are; skip the rare template whose
        // wording would split differently.
        if split_clauses(&tokenize(&m.text)).len() != m.clauses.len() {
            continue;
        }
        produced += 1;
        let key = message_key(&m);
        // Replies of one or two words form a closed list ("yes", "undo"): they are always
        // trained on; the held-out split measures generalisation on longer messages.
        let short = tokenize(&m.text)
            .iter()
            .filter(|t| t.as_str() != BOUNDARY)
            .count()
            <= 2;
        if !short && fnv1a(&key, seed) % 10_000 < threshold {
            if test_keys.insert(key) {
                test.push(m);
            }
        } else {
            train.push(m);
        }
    }
    Corpus { train, test }
}

/// Training examples: each clause of each message with its label and the message's context.
pub fn clause_examples(
    messages: &[GeneratedMessage],
) -> Vec<(Vec<String>, Option<SystemContext>, ClauseLabel)> {
    let mut out = Vec::new();
    for m in messages {
        let clauses = split_clauses(&tokenize(&m.text));
        if clauses.len() != m.clauses.len() {
            continue;
        }
        for (words, label) in clauses.into_iter().zip(m.clauses.iter()) {
            out.push((words, m.context, *label));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::EditKind;

    /// The corpora the golden fixture pins: (seed, messages, held-out fraction). The first two are
    /// stored message by message, the last one (large, for coverage of rare templates) as a digest.
    const GOLDEN_DETAILED: [(u64, usize, f64); 2] = [(11, 1000, 0.1), (2024, 800, 0.2)];
    const GOLDEN_DIGEST: (u64, usize, f64) = (5, 40_000, 0.1);
    const GOLDEN_PATH: &str = "tests/fixtures/corpus_golden.jsonl";

    /// The fixture's lines for the current generator: one line per message of the detailed
    /// corpora, then one digest line for the large corpus.
    fn golden_lines() -> Vec<String> {
        let mut lines = Vec::new();
        for (seed, count, fraction) in GOLDEN_DETAILED {
            let corpus = generate(seed, count, fraction);
            for (split, messages) in [("train", &corpus.train), ("test", &corpus.test)] {
                for (index, m) in messages.iter().enumerate() {
                    let line = serde_json::json!({
                        "seed": seed, "split": split, "index": index, "message": m,
                    });
                    lines.push(line.to_string());
                }
            }
        }
        let (seed, count, fraction) = GOLDEN_DIGEST;
        let corpus = generate(seed, count, fraction);
        let digest = |messages: &[GeneratedMessage]| {
            let text: String = messages
                .iter()
                .map(|m| serde_json::to_string(m).expect("message serialises") + "\n")
                .collect();
            format!("{:016x}", fnv1a(&text, 0))
        };
        let line = serde_json::json!({
            "seed": seed, "count": count,
            "train": corpus.train.len(), "test": corpus.test.len(),
            "train_digest": digest(&corpus.train), "test_digest": digest(&corpus.test),
        });
        lines.push(line.to_string());
        lines
    }

    /// Rewrites the golden fixture from the current generator. Run only when the corpus is meant
    /// to change: `cargo test --release -p tte-engine --lib write_corpus_golden -- --ignored`.
    #[test]
    #[ignore]
    fn write_corpus_golden() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN_PATH);
        std::fs::create_dir_all(path.parent().expect("fixture has a folder")).expect("mkdir");
        std::fs::write(&path, golden_lines().join("\n") + "\n").expect("write fixture");
    }

    /// The generator (templates, pools and the order of its random draws) still produces the
    /// corpus pinned in the fixture, message by message.
    #[test]
    fn corpus_matches_golden_fixture() {
        let fixture = include_str!("../../tests/fixtures/corpus_golden.jsonl");
        let expected: Vec<&str> = fixture.lines().collect();
        let actual = golden_lines();
        for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
            assert_eq!(
                *want,
                got.as_str(),
                "corpus differs from {GOLDEN_PATH} at line {}",
                i + 1
            );
        }
        assert_eq!(expected.len(), actual.len(), "number of fixture lines");
    }

    #[test]
    fn generation_is_reproducible_and_large_enough() {
        let a = generate(7, 3000, 0.1);
        let b = generate(7, 3000, 0.1);
        assert_eq!(a.train, b.train);
        assert_eq!(a.test, b.test);
        assert!(
            a.train.len() + a.test.len() >= 2500,
            "{}",
            a.train.len() + a.test.len()
        );
        assert!(a.test.len() >= 200, "{} held out", a.test.len());
        let keys: HashSet<String> = a.train.iter().map(message_key).collect();
        assert!(a.test.iter().all(|m| !keys.contains(&message_key(m))));
        let distinct: HashSet<String> = a.train.iter().map(message_key).collect();
        assert!(distinct.len() >= 2000, "{} distinct", distinct.len());
    }

    #[test]
    fn covers_attributes_kinds_intents_and_contexts() {
        let corpus = generate(3, 4000, 0.0);
        let mut attributes = HashSet::new();
        let mut kinds = HashSet::new();
        let mut intents = HashSet::new();
        let mut contexts = HashSet::new();
        let mut multi = 0;
        for m in &corpus.train {
            let expected = m.expected();
            intents.insert(expected.intent);
            for e in &expected.edits {
                attributes.insert(e.attribute);
                kinds.insert(e.kind);
            }
            if expected.edits.len() > 1 {
                multi += 1;
            }
            contexts.insert(crate::language::vocab::context_head(m.context));
        }
        assert_eq!(attributes.len(), 5);
        assert_eq!(kinds.len(), 3);
        assert_eq!(intents.len(), 8);
        assert_eq!(contexts.len(), 3);
        assert!(multi > 100, "{multi} multi-edit messages");
        assert!(kinds.contains(&EditKind::Direction));
    }

    #[test]
    fn number_readings_follow_the_degree_tables() {
        assert_eq!(age_degree(8), 0);
        assert_eq!(age_degree(25), 1);
        assert_eq!(age_degree(35), 2);
        assert_eq!(age_degree(45), 3);
        assert_eq!(age_degree(55), 4);
        assert_eq!(age_degree(70), 5);
        assert_eq!(coverage_degree(0), 0);
        assert_eq!(coverage_degree(20), 1);
        assert_eq!(coverage_degree(80), 4);
        assert_eq!(coverage_degree(100), 5);
        assert_eq!(years_change(10), 1);
        assert_eq!(years_change(20), 2);
    }
}
