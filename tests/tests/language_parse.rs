//! The trained language encoder on concrete sentences (with and without dialog context, several
//! edits in one message, typos), and its accuracy on the hand-written natural test set.

use engine::language::train::{evaluate, load_cases, natural_test_path};
use engine::language::{
    Direction, EditKind, EditRequest, Intent, LanguageEncoder, ParsedRequest, RequestParser,
    SystemContext,
};
use engine::Attribute;

fn encoder() -> LanguageEncoder {
    LanguageEncoder::load(engine::language::committed_weights_path())
        .expect("committed language encoder weights load")
}

fn direction(attribute: Attribute, direction: Option<Direction>) -> EditRequest {
    EditRequest {
        attribute,
        kind: EditKind::Direction,
        direction,
        target: None,
        change: None,
    }
}

fn relative(attribute: Attribute, direction: Direction, change: u8) -> EditRequest {
    EditRequest {
        attribute,
        kind: EditKind::Relative,
        direction: Some(direction),
        target: None,
        change: Some(change),
    }
}

fn target(attribute: Attribute, target: u8) -> EditRequest {
    EditRequest {
        attribute,
        kind: EditKind::Target,
        direction: None,
        target: Some(target),
        change: None,
    }
}

fn edits(edits: Vec<EditRequest>) -> ParsedRequest {
    ParsedRequest {
        intent: Intent::Edit,
        edits,
    }
}

fn intent(intent: Intent) -> ParsedRequest {
    ParsedRequest {
        intent,
        edits: Vec::new(),
    }
}

fn check(
    parser: &dyn RequestParser,
    text: &str,
    context: Option<SystemContext>,
    want: ParsedRequest,
) {
    let got = parser.parse(text, context);
    assert_eq!(got, want, "{text:?} in context {context:?}");
}

use Attribute::{Age, Bangs, Beard, Eyeglasses, Smiling};
use Direction::{Decrease, Increase};

/// Scores one natural set (at least 150 requests) and holds it to at most `max_polarity`
/// polarity errors and at least `min_exact` exact matches. Misses are printed only for
/// development data (`show_misses`): a sealed half is scored, never read.
fn score_natural_set(
    name: &str,
    path: &std::path::Path,
    show_misses: bool,
    max_polarity: usize,
    min_exact: f64,
) {
    let cases = load_cases(path).unwrap();
    assert!(cases.len() >= 150, "{name}: {} cases", cases.len());
    let r = evaluate(&encoder(), &cases);
    println!(
        "{name}: n {} exact {:.1}% intent {:.1}% polarity errors {} spurious edits {} asked {}",
        r.cases,
        100.0 * r.exact,
        100.0 * r.intent,
        r.polarity_errors,
        r.spurious_edits,
        r.asked
    );
    if show_misses {
        for (case, got) in &r.failures {
            println!(
                "{name} miss: {:?} [{:?}] -> {}",
                case.text,
                case.context,
                serde_json::to_string(got).unwrap()
            );
        }
    }
    assert!(
        r.polarity_errors <= max_polarity,
        "{name}: {} polarity errors",
        r.polarity_errors
    );
    assert!(r.exact >= min_exact, "{name} exact {:.3}", r.exact);
}

#[test]
fn single_requests_of_every_kind() {
    let enc = encoder();
    check(
        &enc,
        "make the bangs longer",
        None,
        edits(vec![direction(Bangs, Some(Increase))]),
    );
    check(
        &enc,
        "make him younger",
        None,
        edits(vec![direction(Age, Some(Decrease))]),
    );
    check(
        &enc,
        "make her smile a bit more",
        None,
        edits(vec![relative(Smiling, Increase, 1)]),
    );
    check(
        &enc,
        "make the beard two levels shorter",
        None,
        edits(vec![relative(Beard, Decrease, 2)]),
    );
    check(
        &enc,
        "give him sunglasses",
        None,
        edits(vec![target(Eyeglasses, 4)]),
    );
    check(
        &enc,
        "remove the glasses",
        None,
        edits(vec![target(Eyeglasses, 0)]),
    );
    check(&enc, "no glasses", None, edits(vec![target(Eyeglasses, 0)]));
    check(
        &enc,
        "give him a full beard",
        None,
        edits(vec![target(Beard, 5)]),
    );
    check(&enc, "make her a child", None, edits(vec![target(Age, 0)]));
    check(&enc, "make him look 70", None, edits(vec![target(Age, 5)]));
    check(&enc, "a huge laugh", None, edits(vec![target(Smiling, 5)]));
}

#[test]
fn replies_depend_on_the_last_system_feedback() {
    let enc = encoder();
    let suggest_bangs = Some(SystemContext::Suggest(Bangs));
    let check_smiling = Some(SystemContext::Check(Smiling));
    check(
        &enc,
        "yes",
        suggest_bangs,
        edits(vec![direction(Bangs, None)]),
    );
    check(&enc, "no thanks", suggest_bangs, intent(Intent::No));
    check(&enc, "yes", check_smiling, intent(Intent::Yes));
    check(
        &enc,
        "a bit more",
        check_smiling,
        edits(vec![relative(Smiling, Increase, 1)]),
    );
    check(
        &enc,
        "too much",
        check_smiling,
        edits(vec![direction(Smiling, Some(Decrease))]),
    );
    check(&enc, "yes", None, intent(Intent::Yes));
    // A bare "a bit more" with nothing to refer to is not guessed.
    check(&enc, "a bit more", None, intent(Intent::Unknown));
    // An explicit attribute wins over the context.
    check(
        &enc,
        "make him older",
        check_smiling,
        edits(vec![direction(Age, Some(Increase))]),
    );
}

#[test]
fn several_requests_in_one_message() {
    let enc = encoder();
    check(
        &enc,
        "add bangs and make her smile",
        None,
        edits(vec![
            direction(Bangs, Some(Increase)),
            direction(Smiling, Some(Increase)),
        ]),
    );
    check(
        &enc,
        "remove the glasses and the beard",
        None,
        edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
    );
    check(
        &enc,
        "no, make him older instead",
        Some(SystemContext::Suggest(Beard)),
        edits(vec![direction(Age, Some(Increase))]),
    );
}

#[test]
fn other_intents() {
    let enc = encoder();
    check(&enc, "undo that", None, intent(Intent::Undo));
    check(&enc, "start over", None, intent(Intent::Restart));
    check(&enc, "ok thanks, bye", None, intent(Intent::End));
    check(&enc, "what can you do?", None, intent(Intent::Help));
    check(&enc, "add a hat", None, intent(Intent::Unknown));
}

#[test]
fn typos_capitals_and_shorthand_are_normalised() {
    let enc = encoder();
    assert_eq!(
        enc.normalized_clauses("Make the BNAGS longr pls!"),
        vec![vec!["make", "the", "bangs", "longer", "please"]]
    );
    assert_eq!(
        enc.normalized_clauses("remove the eyeglases"),
        vec![vec!["remove", "the", "eyeglasses"]]
    );
    check(
        &enc,
        "MAKE HIM OLDR PLZ",
        None,
        edits(vec![direction(Age, Some(Increase))]),
    );
    check(
        &enc,
        "remove teh glases",
        None,
        edits(vec![target(Eyeglasses, 0)]),
    );
}

/// The natural set is hand-written, not generated; the threshold sits just under the measured
/// accuracy reported in models/trained/LANGUAGE.md.
#[test]
fn accuracy_on_the_hand_written_natural_set() {
    let enc = encoder();
    let cases = load_cases(&natural_test_path()).unwrap();
    assert!(cases.len() >= 100, "{} natural cases", cases.len());
    let report = evaluate(&enc, &cases);
    assert!(
        report.exact >= NATURAL_EXACT_MIN,
        "exact {:.3}",
        report.exact
    );
    assert!(
        report.intent >= NATURAL_INTENT_MIN,
        "intent {:.3}",
        report.intent
    );
}

const NATURAL_EXACT_MIN: f64 = 0.90;
const NATURAL_INTENT_MIN: f64 = 0.95;

/// The held-out generated split is regenerated from the seed recorded with the weights; none of
/// its messages occurs in training.
#[test]
fn accuracy_on_the_held_out_generated_split() {
    let enc = encoder();
    let cases = engine::language::train::heldout_cases(&enc).unwrap();
    assert!(cases.len() >= 1000, "{} held-out messages", cases.len());
    let report = evaluate(&enc, &cases);
    assert!(
        report.exact >= HELDOUT_EXACT_MIN,
        "exact {:.3}",
        report.exact
    );
}

// 98.5% for the network alone; 94.4% with the first issue-14 rules; 98.2% once the rules read
// "more youthful", "open forehead", ages by number and "if possible" as the corpus does.
const HELDOUT_EXACT_MIN: f64 = 0.97;

/// A parser that reads with another confidence threshold (for the sweep below).
struct WithThreshold<'a>(&'a LanguageEncoder, f32);

impl engine::language::RequestParser for WithThreshold<'_> {
    fn parse(&self, text: &str, context: Option<engine::language::SystemContext>) -> ParsedRequest {
        self.0
            .parse_scored_with_threshold(text, context, self.1)
            .request
    }
}

/// How the confidence threshold was chosen: exact match, polarity errors and questions back on
/// the development half of the second natural set and on the first natural set, for a range of
/// thresholds (printed; run with `--nocapture`). The committed threshold must keep 0 polarity
/// errors on the development half.
#[test]
fn confidence_threshold_sweep_on_the_development_half() {
    use engine::language::train::natural_dev_path;
    use engine::language::CONFIDENCE_THRESHOLD;
    let enc = encoder();
    let dev = load_cases(&natural_dev_path()).unwrap();
    let first = load_cases(&natural_test_path()).unwrap();
    println!("threshold | dev exact | dev polarity | dev asked | first exact | first polarity | first asked");
    for t in [0.0f32, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let d = evaluate(&WithThreshold(&enc, t), &dev);
        let f = evaluate(&WithThreshold(&enc, t), &first);
        println!(
            "{t:.1} | {:.1}% | {} | {} | {:.1}% | {} | {}",
            100.0 * d.exact,
            d.polarity_errors,
            d.asked,
            100.0 * f.exact,
            f.polarity_errors,
            f.asked
        );
    }
    let d = evaluate(&enc, &dev);
    for (case, got) in &d.failures {
        println!(
            "dev miss: {:?} [{:?}] -> {}",
            case.text,
            case.context,
            serde_json::to_string(got).unwrap()
        );
    }
    assert_eq!(
        d.polarity_errors, 0,
        "polarity errors at {CONFIDENCE_THRESHOLD}"
    );
    assert!(d.exact >= 0.97, "dev exact {:.3}", d.exact);
}

/// The former sealed half of the second natural set (scored at the end of rounds 2 and 3;
/// opened as development data in round 4, after which it must stay clean).
#[test]
fn sealed_half_of_the_second_natural_set() {
    // Measured once per rule revision while sealed: 95.7% exact, 4 polarity errors; then 96.6%,
    // 2; then 97.1%, 3 (third round). Opened as development data in round 4: 100.0%, 0.
    score_natural_set(
        "sealed2",
        &engine::language::train::natural_sealed_path(),
        true,
        0,
        0.99,
    );
}

/// The failure classes listed in issue 14, each as the issue words it and in the attribute
/// vocabularies it names (glasses, shades, specs, frames; beard, stubble, goatee, moustache;
/// fringe, bangs; grin, smile; older, younger, age), with explicit levels, greetings and
/// questions. ("more" after an edit and a suggestion is a dialog rule: see
/// `dialog_context_rules.rs`.)
#[test]
fn issue_14_examples() {
    use engine::language::Question;
    let enc = encoder();
    let mut failures = Vec::new();
    let mut expect = |text: &str, want: ParsedRequest| {
        let got = enc.parse(text, None);
        if got != want {
            failures.push(format!(
                "{text:?}: want {}, got {}",
                serde_json::to_string(&want).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    };
    // Removal read as adding.
    for (text, a) in [
        ("lose the glasses", Eyeglasses),
        ("lose the shades", Eyeglasses),
        ("glasses gone", Eyeglasses),
        ("specs gone", Eyeglasses),
        ("frames gone", Eyeglasses),
        ("ditch the specs", Eyeglasses),
        ("without glasses", Eyeglasses),
        ("get rid of the beard", Beard),
        ("get rid of the goatee", Beard),
        ("ditch the moustache", Beard),
        ("lose the stubble", Beard),
        ("beard gone", Beard),
        ("without the fringe", Bangs),
        ("get rid of the bangs", Bangs),
        ("lose the grin", Smiling),
        ("no more smiling", Smiling),
    ] {
        expect(text, edits(vec![target(a, 0)]));
    }
    // Intensity read as its opposite.
    expect(
        "a really bushy, untidy beard",
        edits(vec![target(Beard, 5)]),
    );
    expect(
        "give him a really bushy, untidy beard",
        edits(vec![target(Beard, 5)]),
    );
    expect(
        "sunglasses with a thick frame",
        edits(vec![target(Eyeglasses, 5)]),
    );
    expect(
        "put sunglasses with a thick frame on her",
        edits(vec![target(Eyeglasses, 5)]),
    );
    expect(
        "a bigger smile",
        edits(vec![direction(Smiling, Some(Increase))]),
    );
    expect(
        "make the grin bigger",
        edits(vec![direction(Smiling, Some(Increase))]),
    );
    expect(
        "thicker frames",
        edits(vec![direction(Eyeglasses, Some(Increase))]),
    );
    expect(
        "shorter fringe",
        edits(vec![direction(Bangs, Some(Decrease))]),
    );
    expect(
        "make him older",
        edits(vec![direction(Age, Some(Increase))]),
    );
    expect(
        "make her younger",
        edits(vec![direction(Age, Some(Decrease))]),
    );
    expect("lose ten years", edits(vec![relative(Age, Decrease, 1)]));
    // Explicit levels read as relative changes.
    expect("set the bangs to level 5", edits(vec![target(Bangs, 5)]));
    expect("set the fringe to level 2", edits(vec![target(Bangs, 2)]));
    expect("beard to degree 2", edits(vec![target(Beard, 2)]));
    expect("glasses to 4", edits(vec![target(Eyeglasses, 4)]));
    expect("smile 4/5", edits(vec![target(Smiling, 4)]));
    expect("make the beard the maximum", edits(vec![target(Beard, 5)]));
    expect("bangs: none", edits(vec![target(Bangs, 0)]));
    expect("set the age to level 1", edits(vec![target(Age, 1)]));
    // Greetings and questions are not edits.
    expect("hey", intent(Intent::Greet));
    expect("hi, what can you do?", intent(Intent::Help));
    expect(
        "what did you change so far?",
        intent(Intent::Ask(Question::History)),
    );
    expect(
        "how big is the smile now?",
        intent(Intent::Ask(Question::Degree(Some(Smiling)))),
    );
    expect(
        "what does degree 3 mean?",
        intent(Intent::Ask(Question::Meaning(None))),
    );
    // Comparatives of a "down" adjective: "more youthful" is younger, "less young" older.
    expect(
        "make her a bit more youthful",
        edits(vec![relative(Age, Decrease, 1)]),
    );
    expect(
        "less young please",
        edits(vec![direction(Age, Some(Increase))]),
    );
    // In `chat`, after a check of the bangs, the comma made "a really bushy" a clause about the
    // bangs (bangs +1) beside the beard.
    for context in [
        Some(SystemContext::Check(Bangs)),
        Some(SystemContext::Suggest(Smiling)),
    ] {
        let got = enc.parse("a really bushy, untidy beard", context);
        if got != edits(vec![target(Beard, 5)]) {
            failures.push(format!("bushy beard in {context:?}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The classes fixed in the third round of issue 14 (found on the third natural set's
/// development half, the first set and the generated split), each with phrasings of its own:
/// negation through an object ("dont let him grin"), removal phrases ("has to go"), years taken
/// off as degrees, ages after "about", "age him a bit", degree phrases (bangs by eyebrows and
/// percent, "ear to ear", "thicker metal glasses", laughs), "try glasses" as a wish for glasses,
/// tinted glasses, way phrases ("make her smile", "de-age"), "the other way" beside a way,
/// clauses cut off by "and", short no / satisfied replies, an amount agreed to a suggestion,
/// "see you later", parts the system cannot edit, questions, "way too" / "a bit too", "not so
/// much", "cleaner shaven".
#[test]
fn issue_14_round_3_classes() {
    use engine::language::Question;
    let enc = encoder();
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "i dont want her to wear glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("dont let him grin", None, edits(vec![target(Smiling, 0)])),
        (
            "i dont want to see a beard on him",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "the glasses need to go",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("that fringe has to go", None, edits(vec![target(Bangs, 0)])),
        (
            "take thirty years off him",
            None,
            edits(vec![relative(Age, Decrease, 3)]),
        ),
        (
            "knock a decade off",
            None,
            edits(vec![relative(Age, Decrease, 1)]),
        ),
        (
            "shave two decades off her",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        ("make him around seven", None, edits(vec![target(Age, 0)])),
        (
            "age him a bit",
            None,
            edits(vec![relative(Age, Increase, 1)]),
        ),
        (
            "age her a lot",
            None,
            edits(vec![relative(Age, Increase, 2)]),
        ),
        (
            "bangs down past her eyebrows",
            None,
            edits(vec![target(Bangs, 5)]),
        ),
        (
            "bangs covering 60 percent of her forehead",
            None,
            edits(vec![target(Bangs, 3)]),
        ),
        (
            "bangs covering 30% of the forehead",
            None,
            edits(vec![target(Bangs, 2)]),
        ),
        (
            "a grin from ear to ear",
            None,
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "thicker metal glasses",
            None,
            edits(vec![target(Eyeglasses, 2)]),
        ),
        ("make her laugh", None, edits(vec![target(Smiling, 4)])),
        (
            "make him laugh out loud",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        (
            "try glasses",
            Some(SystemContext::Suggest(Smiling)),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "give her specs",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        ("tinted glasses", None, edits(vec![target(Eyeglasses, 4)])),
        (
            "make her smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make him smile please",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "de-age him",
            None,
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "de-age her a bit",
            None,
            edits(vec![relative(Age, Decrease, 1)]),
        ),
        (
            "no, the other way: shorter",
            Some(SystemContext::Check(Bangs)),
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "wrong way, longer",
            Some(SystemContext::Check(Bangs)),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "make both the smile and the glasses bigger",
            None,
            edits(vec![
                direction(Smiling, Some(Increase)),
                direction(Eyeglasses, Some(Increase)),
            ]),
        ),
        (
            "make the bangs and the beard longer",
            None,
            edits(vec![
                direction(Bangs, Some(Increase)),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "lol no",
            Some(SystemContext::Check(Beard)),
            intent(Intent::No),
        ),
        (
            "hmm, nope",
            Some(SystemContext::Check(Beard)),
            intent(Intent::No),
        ),
        (
            "they look lovely",
            Some(SystemContext::Check(Bangs)),
            intent(Intent::Yes),
        ),
        (
            "looks great now",
            Some(SystemContext::Check(Bangs)),
            intent(Intent::Yes),
        ),
        (
            "yes, just a bit",
            Some(SystemContext::Suggest(Beard)),
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "yeah a lot",
            Some(SystemContext::Suggest(Beard)),
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        ("ok see you later", None, intent(Intent::End)),
        ("make her eyes blue", None, intent(Intent::Unknown)),
        ("give him a hat", None, intent(Intent::Unknown)),
        (
            "remind me what you changed",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "whats level 3 for the smile",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Smiling)))),
        ),
        (
            "beard level right now",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        ("what do you mean", None, intent(Intent::Unknown)),
        (
            "way too wide",
            Some(SystemContext::Check(Smiling)),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "a bit too wide",
            Some(SystemContext::Check(Smiling)),
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "not so much smile",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "make him cleaner shaven",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "make him a bit cleaner shaven",
            None,
            edits(vec![relative(Beard, Decrease, 1)]),
        ),
        (
            "the other way",
            Some(SystemContext::Check(Bangs)),
            intent(Intent::Unknown),
        ),
        // Found by probing the rules with new phrasings after the sealed halves were scored.
        (
            "sure, but not too much",
            Some(SystemContext::Suggest(Beard)),
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "the bangs should go down to her eyebrows",
            None,
            edits(vec![target(Bangs, 5)]),
        ),
        (
            "make her laugh less",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "make her smile less",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "dont want glasses",
            Some(SystemContext::Suggest(Eyeglasses)),
            intent(Intent::No),
        ),
        ("age her to 65", None, edits(vec![target(Age, 5)])),
    ];
    let mut failures = Vec::new();
    for (text, context, want) in cases {
        let got = enc.parse(text, context);
        if got != want {
            failures.push(format!(
                "{text:?} [{context:?}]: want {}, got {}",
                serde_json::to_string(&want).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The phrasing families of issue 14's fourth round, each probed with sentences that are not in
/// any natural set (so the family, not the sentence, is what is tested).
#[test]
fn issue_14_round_4_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let checked = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        // Removal verbs and phrases not in the earlier lists.
        ("toss the specs", None, edits(vec![target(Eyeglasses, 0)])),
        (
            "chuck his glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("goodbye beard", None, edits(vec![target(Beard, 0)])),
        ("fringe out", None, edits(vec![target(Bangs, 0)])),
        // ("let the bangs grow out" was a way up here; since round 11 bangs grown out are asked
        // about: `issue_14_round_11_families`.)
        (
            "let the bangs grow longer",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "no longer wearing shades",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("take of the beard", None, edits(vec![target(Beard, 0)])),
        ("reveal her forehead", None, edits(vec![target(Bangs, 0)])),
        (
            "a fringe over her forehead",
            None,
            edits(vec![target(Bangs, 5)]),
        ),
        // Levels given without a marker, and the two ends by phrase.
        ("beard 3", None, edits(vec![target(Beard, 3)])),
        ("glasses 2 please", None, edits(vec![target(Eyeglasses, 2)])),
        ("bangs 1/5 please", None, edits(vec![target(Bangs, 1)])),
        ("make it a 2", checked(Beard), edits(vec![target(Beard, 2)])),
        (
            "shades all the way up",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        (
            "smile all the way down",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        ("max it out", checked(Age), edits(vec![target(Age, 5)])),
        ("youngest you can", None, edits(vec![target(Age, 0)])),
        // Ways by comparative beside a degree noun; "not as much".
        (
            "make the frames lighter",
            None,
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "not as much smile",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "age her up",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        // An amount said after the way; two attributes joined by "with".
        (
            "longer beard, only slightly",
            None,
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "younger, a lot",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        (
            "make him older with a big beard",
            None,
            edits(vec![direction(Age, Some(Increase)), target(Beard, 5)]),
        ),
        (
            "sunglasses with a thick frame",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        // A negated clause after the same attribute contrasts; "not too much" after a way.
        (
            "glasses but not sunglasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "more beard but not too much",
            None,
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        ("fringe half way", None, edits(vec![target(Bangs, 3)])),
        // "one" for the attribute under discussion; keep / leave.
        (
            "a small one",
            suggest(Smiling),
            edits(vec![target(Smiling, 1)]),
        ),
        (
            "long ones please",
            suggest(Bangs),
            edits(vec![target(Bangs, 4)]),
        ),
        (
            "go one step up",
            suggest(Beard),
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "give him a bigger one",
            checked(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        ("nah leave the beard", suggest(Beard), intent(Intent::No)),
        ("leave it as is", checked(Smiling), intent(Intent::Yes)),
        ("keep the beard", None, intent(Intent::Unknown)),
        // Small talk with letter runs, praise without context, help and meaning questions.
        ("hiii", None, intent(Intent::Greet)),
        ("helloooo bot", None, intent(Intent::Greet)),
        ("thanks sooo much", None, intent(Intent::Thanks)),
        ("great work", None, intent(Intent::Thanks)),
        ("see ya later", None, intent(Intent::End)),
        ("what features can i change", None, intent(Intent::Help)),
        ("youre awesome", None, intent(Intent::Thanks)),
        (
            "is she smiling",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "does he have a beard?",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "is it possible to remove the beard",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "what does beard 4 stand for",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Beard)))),
        ),
    ];
    let mut failures = Vec::new();
    for (text, context, want) in cases {
        let got = enc.parse(text, context);
        if got != want {
            failures.push(format!(
                "{text:?} [{context:?}]: want {}, got {}",
                serde_json::to_string(&want).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A word the encoder cannot read, with no word saying the way, is asked about, never guessed
/// ("zorp the sunglasses" could be a verb of removal); a known verb beside it is not.
#[test]
fn unknown_words_ask_instead_of_guessing() {
    let enc = encoder();
    for text in ["zorp the sunglasses", "florb his beard", "zwomp her bangs"] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1 && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {got:?}"
        );
    }
    check(
        &enc,
        "zorp, make the beard longer",
        None,
        edits(vec![direction(Beard, Some(Increase))]),
    );
}

/// The development half of the fourth natural set (issue 14, round 4): the rules were fixed on
/// it (and on the earlier sets), so it must stay at 0 polarity errors and >= 97% exact.
#[test]
fn development_half_of_the_fourth_natural_set() {
    score_natural_set(
        "dev4",
        &engine::language::train::natural4_dev_path(),
        true,
        0,
        0.97,
    );
}

/// The sealed half of the fourth natural set (issue 14, round 4), scored once at the end of the
/// round (never tuned on): the goals are 0 polarity errors and >= 97% exact match.
#[test]
fn sealed_half_of_the_fourth_natural_set() {
    // Before the round's rules 88.0% / 5; after them 88.0% (161 of 183) / 4. The goals are NOT
    // met; these bounds only stop it getting worse. Opened as development data in round 5
    // (asking widely, WordNet removal verbs): 88.5% / 1. Round 8: 96.7% / 0.
    score_natural_set(
        "sealed4",
        &engine::language::train::natural4_sealed_path(),
        true,
        0,
        0.96,
    );
}

/// The development half of the fifth natural set (issue 14, round 5): 85.6% exact and 7
/// polarity errors before the round, 86.9% / 4 after it (15 questions back); 95.0% / 4 after
/// round 8.
#[test]
fn development_half_of_the_fifth_natural_set() {
    score_natural_set(
        "dev5",
        &engine::language::train::natural5_dev_path(),
        true,
        4,
        0.95,
    );
}

/// The former sealed half of the fifth natural set (issue 14, round 5: scored once at the end of
/// that round; opened as development data in round 6).
#[test]
fn sealed_half_of_the_fifth_natural_set() {
    // Sealed in round 5: 81.2% / 12 (9 asked) before its rules, 84.2% (139 of 165) / 8 (10
    // asked) after them. Opened as development data in round 6: 85.5% / 4 (11 asked). Round 8:
    // 95.8% / 1 (2 asked).
    score_natural_set(
        "sealed5",
        &engine::language::train::natural5_sealed_path(),
        true,
        1,
        0.93,
    );
}

/// The development half of the sixth natural set (issue 14, round 6): 87.8% exact and 8
/// polarity errors (4 asked) before the round, 89.7% / 1 (8 asked) after it; 97.4% / 1 (1
/// asked) after round 8.
#[test]
fn development_half_of_the_sixth_natural_set() {
    score_natural_set(
        "dev6",
        &engine::language::train::natural6_dev_path(),
        true,
        1,
        0.97,
    );
}

/// The sealed half of the sixth natural set (issue 14, round 6), scored before the round (summary
/// only) and once at its end (never tuned on): the goals are 0 polarity errors and >= 97% exact.
#[test]
fn sealed_half_of_the_sixth_natural_set() {
    // Before the round 88.8% / 2 (7 asked); after it 88.8% (151 of 170) / 2 (7 asked). The goals
    // are NOT met; these bounds only stop it getting worse. Re-scored in round 7: 89.4% / 1.
    // Opened as development data in round 8: 97.1% / 0 (1 asked).
    score_natural_set(
        "sealed6",
        &engine::language::train::natural6_sealed_path(),
        true,
        0,
        0.97,
    );
}

/// The development half of the seventh natural set (issue 14, round 8): 90.6% exact and 3
/// polarity errors (9 asked) before the round, 99.4% / 0 (0 asked) after it.
#[test]
fn development_half_of_the_eighth_round_set() {
    score_natural_set(
        "dev8",
        &engine::language::train::natural8_dev_path(),
        true,
        0,
        0.99,
    );
}

/// The former sealed half of the seventh natural set (issue 14, round 8), scored before the round
/// (summary only) and once at its end (never tuned on then); opened as development data in round
/// 9.
#[test]
fn sealed_half_of_the_eighth_round_set() {
    // Before round 8 90.7% / 4 (3 asked); after it 95.7% (154 of 161) / 2 (1 asked). Opened in
    // round 9: 97.5% / 0 (1 asked).
    score_natural_set(
        "sealed8",
        &engine::language::train::natural8_sealed_path(),
        true,
        0,
        0.97,
    );
}

/// The development half of the eighth natural set (issue 14, round 9): 87.4% exact and 3
/// polarity errors (11 asked) before the round, 94.0% / 0 (6 asked) after it (one line relabelled,
/// see models/trained/LANGUAGE.md).
#[test]
fn development_half_of_the_ninth_round_set() {
    score_natural_set(
        "dev9",
        &engine::language::train::natural9_dev_path(),
        true,
        0,
        0.93,
    );
}

/// The sealed half of the eighth natural set (issue 14, round 9), scored before the round
/// (summary only) and once at its end (never tuned on): the goals are 0 polarity errors and >= 97%
/// exact. Its misses are not printed.
#[test]
fn sealed_half_of_the_ninth_round_set() {
    // Before the round 92.3% / 4 (4 asked); after it 92.8% (180 of 194) / 4 (3 asked). The goals
    // were NOT met. Opened after the round: one fix from its misses ("no, he looks fine" declines
    // a suggestion) made it 93.3% / 4; round 10's general rules 95.4% / 0 (3 asked).
    score_natural_set(
        "sealed9",
        &engine::language::train::natural9_sealed_path(),
        true,
        0,
        0.95,
    );
}

/// The development half of the tenth-round natural set (issue 14, round 10): 90.0% / 6 polarity
/// errors (6 asked) before the round, 98.2% / 0 (2 asked) after it.
#[test]
fn development_half_of_the_tenth_round_set() {
    score_natural_set(
        "dev10",
        &engine::language::train::natural10_dev_path(),
        true,
        0,
        0.97,
    );
}

/// The former sealed half of the tenth-round natural set (issue 14, round 10): scored before
/// round 10 (summary only) and once at its end (89.2% / 6 -> 91.8% / 3); opened in round 11 as
/// development data (its three polarity errors, "grow his beard out", "grow her bangs out", "i
/// dont want her in glasses anymore", are families of round 11's rules).
#[test]
fn sealed_half_of_the_tenth_round_set() {
    // Round 11: 94.9% (150 of 158) / 0 ("grow her bangs out" is asked).
    score_natural_set(
        "sealed10",
        &engine::language::train::natural10_sealed_path(),
        true,
        0,
        0.94,
    );
}

/// The former sealed half of the eleventh-round natural set (issue 14, round 11): scored before
/// round 11 (summary only) and once at its end (91.6% / 3 -> 93.1% / 1); opened in round 12 as
/// development data.
#[test]
fn sealed_half_of_the_eleventh_round_set() {
    // Round 12: 97.5% (198 of 203) / 1 ("give him a cheeky grin", labelled a wish, read as 3).
    score_natural_set(
        "sealed11",
        &engine::language::train::natural11_sealed_path(),
        true,
        1,
        0.97,
    );
}

/// The former sealed half of the twelfth-round natural set (issue 14, round 12): scored before
/// round 12 (summary only) and once at its end (81.2% / 6 -> 89.2% / 4); opened in round 13 as
/// development data (not tuned on: its changes in round 13 come from the thirteenth development
/// half's families).
#[test]
fn sealed_half_of_the_twelfth_round_set() {
    // Round 13: 92.0% (162 of 176) / 1. Round 14: 93.2% (164 of 176) / 0.
    score_natural_set(
        "sealed12",
        &engine::language::train::natural12_sealed_path(),
        true,
        0,
        0.93,
    );
}

/// The former sealed half of the thirteenth-round natural set (issue 14, round 13): scored before
/// round 13 (summary only) and once at its end (81.3% / 4 -> 87.4% / 1); opened in round 14 as
/// development data (not tuned on: its changes in round 14 come from the fourteenth development
/// half's families and the round's probes).
#[test]
fn sealed_half_of_the_thirteenth_round_set() {
    // Round 14: 88.3% (189 of 214) / 1.
    score_natural_set(
        "sealed13",
        &engine::language::train::natural13_sealed_path(),
        true,
        1,
        0.88,
    );
}

/// The sealed half of the fourteenth-round natural set (issue 14, round 14), scored at the end of
/// round 14 (87.3% / 1) and opened in round 15 (development data since; its misses are printed).
#[test]
fn sealed_half_of_the_fourteenth_round_set() {
    // Round 15: 88.4% (160 of 181) / 0 ("specs gone and a smile pls" and "whats a 3 on the age
    // scale" fixed).
    score_natural_set(
        "sealed14",
        &engine::language::train::natural14_sealed_path(),
        true,
        0,
        0.88,
    );
}

// The fifteenth sealed half's bounds: its score at the end of round 15 (set once, after that
// scoring), tightened in round 16, where it was development data, to the retrained encoder with
// round 16's rules (95.5% / 1).
const SEALED15_POLARITY: usize = 1;
const SEALED15_EXACT: f64 = 0.95;

/// The sealed half of the fifteenth-round natural set (issue 14, round 15), scored before the
/// round (summary only) and once at its end (never tuned on): the goals are 0 polarity errors and
/// >= 97% exact. Its misses are not printed.
#[test]
fn sealed_half_of_the_fifteenth_round_set() {
    // Before the round 88.4% (175 of 198) / 9 (9 asked); after it 89.4% (177 of 198) / 7 (9
    // asked) with the then committed weights (the round's retrained encoder r2: 90.9% / 4, 7
    // asked). Round 16 (opened, development data) made r2 the committed encoder and re-fitted the
    // rules: 95.5% / 1 (4 asked). The goals are NOT met; these bounds only stop it getting worse.
    score_natural_set(
        "sealed15",
        &engine::language::train::natural15_sealed_path(),
        false,
        SEALED15_POLARITY,
        SEALED15_EXACT,
    );
}

// The seventeenth sealed half's bounds: its score at the end of round 17 (set once, after that
// scoring).
const SEALED17_POLARITY: usize = 0;
const SEALED17_EXACT: f64 = 0.97;

/// The sealed half of the seventeenth-round natural set (issue 14, round 17), scored once, at the
/// end of the round (never tuned on): the goals are 0 polarity errors and >= 97% exact. Its
/// misses are not printed.
#[test]
fn sealed_half_of_the_seventeenth_round_set() {
    // At the start of the round (round 16's rules, the committed encoder r2) 96.6% (169 of 175) /
    // 0 (1 asked); at its end (round 17's rules, same encoder) 97.1% (170 of 175) / 0 (1 asked).
    score_natural_set(
        "sealed17",
        &engine::language::train::natural17_sealed_path(),
        false,
        SEALED17_POLARITY,
        SEALED17_EXACT,
    );
}

/// The development half of the seventeenth-round natural set (issue 14, round 17).
#[test]
fn development_half_of_the_seventeenth_round_set() {
    // Before the round 92.3% / 2 (7 asked); after its rules 98.6% / 0 (2 asked).
    score_natural_set(
        "dev17",
        &engine::language::train::natural17_dev_path(),
        true,
        0,
        0.98,
    );
}

/// The sealed half of the sixteenth-round natural set (issue 14, round 16), scored once at the end
/// of round 16 (94.2% / 2, 1 asked); development data since round 17 (its two polarity errors,
/// "give him a proper beard" and "could he have some scruff", were fixed by name), so this is no
/// held-out measurement any more.
#[test]
fn sealed_half_of_the_sixteenth_round_set() {
    // At the end of round 17: 98.3% / 0 (0 asked).
    score_natural_set(
        "sealed16",
        &engine::language::train::natural16_sealed_path(),
        true,
        0,
        0.98,
    );
}

/// The development half of the sixteenth-round natural set (issue 14, round 16).
#[test]
fn development_half_of_the_sixteenth_round_set() {
    // Before the round 96.2% / 1 (0 asked) with the former encoder, 96.8% / 1 with the
    // retrained one (committed since round 16); after the round's rules 96.8% / 0 and 97.8% / 0;
    // after round 17's 98.4% / 0.
    score_natural_set(
        "dev16",
        &engine::language::train::natural16_dev_path(),
        true,
        0,
        0.98,
    );
}

/// The development half of the fifteenth-round natural set (issue 14, round 15).
#[test]
fn development_half_of_the_fifteenth_round_set() {
    // Before the round 92.1% / 2 (7 asked); after it 93.8% / 1 (6 asked) (the round's retrained
    // encoder: 95.5% / 1, 5 asked).
    score_natural_set(
        "dev15",
        &engine::language::train::natural15_dev_path(),
        true,
        1,
        0.93,
    );
}

/// The development half of the fourteenth-round natural set (issue 14, round 14).
#[test]
fn development_half_of_the_fourteenth_round_set() {
    // Before the round 87.2% / 2 (12 asked); after it 98.8% / 0 (0 asked): the two misses are
    // labels against the older sets' conventions ("shave a few years off him" labelled one degree
    // where the sets label "shave a few years off her" a way; "her forehead should be covered"
    // labelled a way where "cover her forehead with bangs" is 5), left as written.
    score_natural_set(
        "dev14",
        &engine::language::train::natural14_dev_path(),
        true,
        0,
        0.98,
    );
}

/// The development half of the thirteenth-round natural set (issue 14, round 13).
#[test]
fn development_half_of_the_thirteenth_round_set() {
    // Before the round 80.5% / 6 (14 asked); after it 96.8% / 2 (1 asked).
    score_natural_set(
        "dev13",
        &engine::language::train::natural13_dev_path(),
        true,
        2,
        0.96,
    );
}

/// The development half of the eleventh-round natural set (issue 14, round 11).
#[test]
fn development_half_of_the_eleventh_round_set() {
    // Before the round 89.0% / 2 (15 asked); after it 99.5% / 0 (1 asked).
    score_natural_set(
        "dev11",
        &engine::language::train::natural11_dev_path(),
        true,
        0,
        0.97,
    );
}

/// The development half of the twelfth-round natural set (issue 14, round 12).
#[test]
fn development_half_of_the_twelfth_round_set() {
    // Before the round 86.0% / 2 (7 asked); after it 100.0% / 0 (0 asked).
    score_natural_set(
        "dev12",
        &engine::language::train::natural12_dev_path(),
        true,
        0,
        0.99,
    );
}

/// Confirm before acting (issue 14, round 6): a way the network read with no word of the clause
/// saying it, or a degree read in a negated clause, is asked about; a way a word says, an
/// attribute's noun alone, and an explicit age level are carried out. Probes in no natural set.
#[test]
fn issue_14_round_6_confirm_before_acting() {
    let enc = encoder();
    // (Round 8 made "kill" a removal word and "not such a big smile", "not such bushy beard",
    // "his beard shouldnt be that long" a way down: `issue_14_round_8_families`.)
    for (text, context) in [
        ("smash the glasses", None),
        ("slay the fringe", None),
        ("the bangs shouldnt be longer", None),
    ] {
        let got = enc.parse(text, context);
        assert!(
            got.edits.len() == 1 && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {}",
            serde_json::to_string(&got).unwrap()
        );
    }
    let cases = [
        (
            "maybe some bangs",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        ("age at 4", None, edits(vec![target(Age, 4)])),
        ("set her age to 3", None, edits(vec![target(Age, 3)])),
        (
            "not enough",
            Some(SystemContext::Check(Beard)),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "still not enough",
            Some(SystemContext::Check(Smiling)),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "tone the beard down a little",
            None,
            edits(vec![relative(Beard, Decrease, 1)]),
        ),
        (
            "he shouldnt have any glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        // (Round 16: a removal, as the sets label "he shouldnt have glasses" and "can we not have
        // glasses on him". The former encoder read a way up, unsure, which was asked; the
        // retrained one reads the removal.)
        (
            "he cant have glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
}

/// The development half of the third natural set (issue 14, round 3): the rules were fixed on
/// it, so it must stay at 0 polarity errors and >= 97% exact.
#[test]
fn development_half_of_the_third_natural_set() {
    score_natural_set(
        "dev3",
        &engine::language::train::natural3_dev_path(),
        true,
        0,
        0.97,
    );
}

/// The former sealed half of the third natural set (issue 14, round 3: scored at the end of that
/// round; opened as development data in round 4, after which it must stay clean).
#[test]
fn sealed_half_of_the_third_natural_set() {
    // Sealed in round 3: 92.2% / 2 before its rules, 94.8% / 3 after them. Opened as development
    // data in round 4: 100.0% / 0.
    score_natural_set(
        "sealed3",
        &engine::language::train::natural3_sealed_path(),
        true,
        0,
        0.99,
    );
}

/// Every natural set that may be looked at, development and former sealed halves: name and path.
fn every_natural_set() -> Vec<(&'static str, std::path::PathBuf)> {
    use engine::language::train as t;
    vec![
        ("dev14", t::natural14_dev_path()),
        ("sealed13", t::natural13_sealed_path()),
        ("dev13", t::natural13_dev_path()),
        ("sealed12", t::natural12_sealed_path()),
        ("dev12", t::natural12_dev_path()),
        ("sealed11", t::natural11_sealed_path()),
        ("dev11", t::natural11_dev_path()),
        ("sealed10", t::natural10_sealed_path()),
        ("dev10", t::natural10_dev_path()),
        ("sealed9", t::natural9_sealed_path()),
        ("dev9", t::natural9_dev_path()),
        ("dev8", t::natural8_dev_path()),
        ("sealed8", t::natural8_sealed_path()),
        ("dev6", t::natural6_dev_path()),
        ("sealed6", t::natural6_sealed_path()),
        ("dev5", t::natural5_dev_path()),
        ("sealed5", t::natural5_sealed_path()),
        ("dev4", t::natural4_dev_path()),
        ("sealed4", t::natural4_sealed_path()),
        ("dev3", t::natural3_dev_path()),
        ("sealed3", t::natural3_sealed_path()),
        ("dev2", t::natural_dev_path()),
        ("sealed2", t::natural_sealed_path()),
        ("first", t::natural_test_path()),
    ]
}

/// The dialog's check of a read degree against the current degree (issue 14, round 7), scored
/// over every current degree 0..=5 under each policy (printed; run with `--nocapture`). The
/// committed policy must leave no polarity error that the parser alone did not make, remove the
/// degree-against-a-way errors of the development data, and turn no correctly read message into
/// a question or another outcome.
#[test]
fn issue_14_round_7_degree_against_the_current_one() {
    use engine::language::rules::{AgainstCurrent, CurrentCheck};
    use engine::language::train::evaluate_against_current;
    use engine::language::AGAINST_CURRENT;
    let enc = encoder();
    let policies = [AgainstCurrent::Ask, AgainstCurrent::Step]
        .map(|action| [false, true].map(|having| CurrentCheck { action, having }));
    println!("set | n | policy | polarity before | after | fired | avoided | made | questions | correct changed | outcome lost | outcome fixed");
    let mut bounds = Vec::new();
    for (name, path) in every_natural_set() {
        let cases = load_cases(&path).unwrap();
        let parsed = evaluate(&enc, &cases);
        println!(
            "{name}: parse alone: exact {:.1}% polarity errors {} asked {}",
            100.0 * parsed.exact,
            parsed.polarity_errors,
            parsed.asked
        );
        for policy in policies.iter().flatten().copied() {
            let r = evaluate_against_current(&enc, &cases, policy);
            println!(
                "{name} | {} | {:?}{} | {} | {} | {} | {} | {} | {} | {} | {} | {}",
                r.cases,
                policy.action,
                if policy.having { " + having" } else { "" },
                r.polarity_before,
                r.polarity_after,
                r.fired,
                r.wrong_way_avoided,
                r.wrong_way_made,
                r.questions,
                r.correct_changed,
                r.outcome_lost,
                r.outcome_fixed
            );
            // (The sixth set's sealed half was opened in round 8 and is held to the bound too.)
            if policy == AGAINST_CURRENT {
                for (text, c, got, checked) in &r.changes {
                    println!(
                        "  {name} at {c}: {text:?} {} -> {}",
                        serde_json::to_string(&got.edits).unwrap(),
                        serde_json::to_string(&checked.edits).unwrap()
                    );
                }
                bounds.push((name, r));
            }
        }
    }
    let (mut before, mut after, mut fixed) = (0, 0, 0);
    for (name, r) in bounds {
        assert_eq!(r.wrong_way_made, 0, "{name}: wrong-way edits made");
        assert_eq!(r.correct_changed, 0, "{name}: correct answers changed");
        assert!(r.polarity_after <= r.polarity_before, "{name}");
        before += r.polarity_before;
        after += r.polarity_after;
        fixed += r.outcome_fixed;
    }
    println!(
        "development sets under {AGAINST_CURRENT:?}: polarity errors {before} -> {after}, \
         outcomes fixed {fixed}"
    );
    // Round 7 measured 10 -> 9 here. Since round 8 the parser itself reads the pairs the check
    // fixed then ("less heavy glasses" is a way), so on the development data the check removes no
    // polarity error any more; it must never make one worse, and the two messages whose outcome
    // it fixed with the former encoder ("snip the bangs a little", "...like a teenager again,
    // younger", read as degree 1 at degrees 0-1) must come out right: fixed by the check, or
    // read right by the parser itself (round 16: the retrained encoder reads both as labelled,
    // so the check has nothing left to fix on the development data).
    assert!(after <= before, "the check adds polarity errors");
    for (text, want) in [
        ("snip the bangs a little", relative(Bangs, Decrease, 1)),
        (
            "can u make her look like a teenager again, younger",
            direction(Age, Some(Decrease)),
        ),
    ] {
        let got = enc.parse(text, None);
        assert!(
            got == edits(vec![want]) || fixed > 0,
            "{text:?} -> {got:?}, and the check fixes no outcome"
        );
    }
}

/// Issue 14, round 7, the families of the sixth set's sealed misses as the development data holds
/// them (probes written for the round, in no set): a signed amount ("smile +1", dev5) is a change
/// by that many degrees, never a level or "and"; "all the way down to her eyes" is a place (long
/// bangs), not the least; the bangs reaching the eyes or brows are degree 5 ("full bangs down to
/// the eyebrows", sealed5).
#[test]
fn issue_14_round_7_signed_amounts_and_places() {
    let enc = encoder();
    for (text, want) in [
        ("age -1", relative(Age, Decrease, 1)),
        ("beard +1", relative(Beard, Increase, 1)),
        ("glasses -2", relative(Eyeglasses, Decrease, 2)),
        ("bangs +3", relative(Bangs, Increase, 3)),
        ("bangs all the way down to her eyes", target(Bangs, 5)),
        ("fringe all the way down to the eyebrows", target(Bangs, 5)),
        ("bangs down to her eyes", target(Bangs, 5)),
        ("bangs all the way down to his brows", target(Bangs, 5)),
        // The least stays the least.
        ("turn the bangs all the way down", target(Bangs, 0)),
        ("bangs all the way down to zero", target(Bangs, 0)),
    ] {
        check(&enc, text, None, edits(vec![want]));
    }
    check(
        &enc,
        "smile +2, beard -1",
        None,
        edits(vec![
            relative(Smiling, Increase, 2),
            relative(Beard, Decrease, 1),
        ]),
    );
}

/// Issue 14, round 8: the families of the round's development half (natural8_dev) and of the
/// opened halves, each probed with messages that are in no natural set.
#[test]
fn issue_14_round_8_families() {
    use engine::language::Question;
    let enc = encoder();
    let s = |a| Some(SystemContext::Suggest(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        // Removal phrases, words and fillers; "em" is "them".
        (
            "that goatee has got to go",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "specs? take em off",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "scrape off the stubble",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        ("kill the grin", None, edits(vec![target(Smiling, 0)])),
        (
            "make the glasses vanish",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "a photo sans glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "she doesnt need those bangs",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("lose the goggles", None, edits(vec![target(Eyeglasses, 0)])),
        // Removal-shaped words remove the attribute they name.
        ("smile-less version", None, edits(vec![target(Smiling, 0)])),
        ("bangs-less", None, edits(vec![target(Bangs, 0)])),
        ("deglass her", None, edits(vec![target(Eyeglasses, 0)])),
        // A level after a colon keeps its noun.
        ("smile: 2", None, edits(vec![target(Smiling, 2)])),
        ("fringe: none", None, edits(vec![target(Bangs, 0)])),
        ("age: 1", None, edits(vec![target(Age, 1)])),
        // "not so / such / that ADJ" is the opposite way.
        (
            "not such a thick beard",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "the smile shouldnt be that big",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "dont grin so much",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "she shouldnt be so toothy",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        // A noun named beats the network's other attribute or "the one under discussion".
        (
            "more grinning",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "bolder frames",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        // Two attributes in one clause, split before "more" / "less" or at "with".
        (
            "more fringe less beard",
            None,
            edits(vec![
                direction(Bangs, Some(Increase)),
                direction(Beard, Some(Decrease)),
            ]),
        ),
        (
            "make her 8 with bangs",
            None,
            edits(vec![target(Age, 0), direction(Bangs, Some(Increase))]),
        ),
        // Nouns joined after a removal take it.
        (
            "remove the smile and the goatee too",
            None,
            edits(vec![target(Smiling, 0), target(Beard, 0)]),
        ),
        (
            "remove everything: bangs and glasses",
            None,
            edits(vec![target(Bangs, 0), target(Eyeglasses, 0)]),
        ),
        // "less" / "more" before the noun decides over a verb of adding.
        (
            "add a bit less smile",
            None,
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "put way more beard on him",
            None,
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        // Degree phrases: thin glasses, a little fringe, halfway, a five o'clock shadow; "more"
        // before a degree phrase is a change.
        (
            "thin glasses please",
            None,
            edits(vec![target(Eyeglasses, 1)]),
        ),
        ("a little fringe", None, edits(vec![target(Bangs, 1)])),
        ("a fringe halfway down", None, edits(vec![target(Bangs, 3)])),
        (
            "give him a five o'clock shadow",
            None,
            edits(vec![target(Beard, 1)]),
        ),
        (
            "the darkest shades",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        // Symbols and shorthand.
        (
            "beard++",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "bangs--",
            None,
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "cn u trim the bread",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        // Questions, replies and small talk.
        (
            "what is beard 2",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Beard)))),
        ),
        (
            "explain smile 3",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Smiling)))),
        ),
        (
            "describe the levels",
            None,
            intent(Intent::Ask(Question::Meaning(None))),
        ),
        ("recap please", None, intent(Intent::Ask(Question::History))),
        (
            "whats been done",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        ("thats everything", None, intent(Intent::End)),
        (
            "stunning",
            Some(SystemContext::Check(Bangs)),
            intent(Intent::Yes),
        ),
        ("no beard thanks", s(Beard), intent(Intent::No)),
        ("leave her face alone", s(Smiling), intent(Intent::No)),
        (
            "yes, lots",
            s(Beard),
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        (
            "add glasses and no beard",
            s(Beard),
            edits(vec![
                direction(Eyeglasses, Some(Increase)),
                target(Beard, 0),
            ]),
        ),
    ];
    // Where the network reads the other way from the words, the dialog asks ("thicker lenses":
    // "lenses" is repaired to "less" for the network; "more heavy frames"; "make him young",
    // where the network does not read the young end).
    for text in ["thicker lenses", "more heavy frames", "make him young"] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1 && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {}",
            serde_json::to_string(&got).unwrap()
        );
    }
    let mut failures = Vec::new();
    for (text, context, want) in cases {
        let got = enc.parse(text, context);
        if got != want {
            failures.push(format!(
                "{text:?} [{context:?}]: want {} got {}",
                serde_json::to_string(&want).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Issue 14, round 9: the families of the round's development half (natural9_dev) and of the
/// opened halves, each probed with messages that are in no natural set (written after the rules,
/// before this test was first run; all 23 were right at the first run).
#[test]
fn issue_14_round_9_families() {
    use engine::language::Question;
    let enc = encoder();
    let k = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        // A way word beside a degree read from a phrase or the sunglasses rule is that way.
        (
            "less dark shades",
            None,
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "a bit less dark sunglasses",
            None,
            edits(vec![relative(Eyeglasses, Decrease, 1)]),
        ),
        (
            "more heavy sunglasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        // ...but not an amount compared with "than", nor a degree phrase's own comparative.
        (
            "bangs covering more than half the forehead",
            None,
            edits(vec![target(Bangs, 3)]),
        ),
        (
            "thicker metal glasses",
            None,
            edits(vec![target(Eyeglasses, 2)]),
        ),
        // Swaps are read from the kind wanted.
        (
            "turn his glasses into shades",
            None,
            edits(vec![target(Eyeglasses, 4)]),
        ),
        (
            "replace the beard with stubble",
            None,
            edits(vec![target(Beard, 1)]),
        ),
        (
            "change her sunglasses to regular glasses",
            None,
            edits(vec![target(Eyeglasses, 2)]),
        ),
        // A clause whose words say a way does not take a removal before it.
        (
            "remove the glasses and make him smile",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "drop the beard and make her grin",
            None,
            edits(vec![target(Beard, 0), direction(Smiling, Some(Increase))]),
        ),
        // Removal-shaped words with a singular or plural of the noun.
        ("un-whisker him", None, edits(vec![target(Beard, 0)])),
        ("de-sunglass her", None, edits(vec![target(Eyeglasses, 0)])),
        ("un-goggle him", None, edits(vec![target(Eyeglasses, 0)])),
        // "not as / so ADJ" with an intensity adjective.
        (
            "not as bushy a beard",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "not so wild bangs",
            None,
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        // Negation through "supposed / meant / allowed to have".
        (
            "she isnt meant to have bangs",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        (
            "he isnt allowed to wear glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        // "one" after a pronoun or a preposition is the number.
        ("put it at 1", k(Beard), edits(vec![target(Beard, 1)])),
        (
            "make them 1",
            k(Eyeglasses),
            edits(vec![target(Eyeglasses, 1)]),
        ),
        // A way with an amount.
        (
            "grow the bangs a bit",
            None,
            edits(vec![relative(Bangs, Increase, 1)]),
        ),
        // Questions about the edits.
        (
            "how many changes did you make",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "list all the edits please",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "make the smile a little bigger",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
}

/// After a suggestion, praise of the face as it is declines it ("no, he looks fine" was read as
/// agreeing: the dialog would have edited the beard the user just declined; found among the
/// ninth round's sealed misses, fixed after its scoring); agreement words still agree.
#[test]
fn praise_of_the_face_declines_a_suggestion() {
    let enc = encoder();
    let s = |a| Some(SystemContext::Suggest(a));
    for (text, context) in [
        ("no, he looks fine", s(Beard)),
        ("he looks fine", s(Beard)),
        ("nah she looks great", s(Eyeglasses)),
        ("no she looks perfect", s(Bangs)),
    ] {
        check(&enc, text, context, intent(Intent::No));
    }
    check(
        &enc,
        "sounds good",
        s(Beard),
        edits(vec![direction(Beard, None)]),
    );
    check(
        &enc,
        "looks good, go for it",
        s(Beard),
        edits(vec![direction(Beard, None)]),
    );
    // After a check of an edit, the same words are satisfied.
    check(
        &enc,
        "he looks fine",
        Some(SystemContext::Check(Beard)),
        intent(Intent::Yes),
    );
}

/// A parser that reads with other asking settings (round 10's sweep).
struct WithOptions<'a>(&'a LanguageEncoder, engine::language::ParseOptions);

impl engine::language::RequestParser for WithOptions<'_> {
    fn parse(&self, text: &str, context: Option<engine::language::SystemContext>) -> ParsedRequest {
        self.0.parse_scored_with(text, context, self.1).request
    }
}

/// Issue 14, round 10: wider asking measured on every development set and the generated held-out
/// split (exact / polarity errors / questions back, summed), for the polarity-conflict detector
/// and for asking below a network confidence. Reads the weights `TALK_TO_EDIT_LANGUAGE` names (the
/// committed ones by default), so a retrained encoder is measured the same way. Printed; run with
/// `--ignored --nocapture`.
#[test]
#[ignore = "measurement (about a minute): run with --ignored --nocapture"]
fn round_10_asking_sweep() {
    use engine::language::train::{development_sets, heldout_cases};
    use engine::language::ParseOptions;
    let enc = LanguageEncoder::load(engine::language::default_weights_path()).unwrap();
    let mut sets: Vec<(String, Vec<_>)> = development_sets()
        .into_iter()
        .map(|(name, path)| (name.to_string(), load_cases(&path).unwrap()))
        .collect();
    sets.push(("generated".to_string(), heldout_cases(&enc).unwrap()));
    let mut settings = vec![("committed".to_string(), ParseOptions::COMMITTED)];
    settings.push((
        "conflicts".to_string(),
        ParseOptions {
            ask_conflicts: true,
            ..ParseOptions::COMMITTED
        },
    ));
    for t in [0.5f32, 0.7, 0.8, 0.9] {
        settings.push((
            format!("below {t:.1}"),
            ParseOptions {
                ask_below: t,
                ..ParseOptions::COMMITTED
            },
        ));
    }
    for (name, options) in &settings {
        let (mut exact, mut n, mut polarity, mut asked) = (0.0, 0usize, 0usize, 0usize);
        let mut line = String::new();
        for (set, cases) in &sets {
            let r = evaluate(&WithOptions(&enc, *options), cases);
            exact += r.exact * r.cases as f64;
            n += r.cases;
            polarity += r.polarity_errors;
            asked += r.asked;
            line += &format!(
                " | {set} {:.1}%/{}/{}",
                100.0 * r.exact,
                r.polarity_errors,
                r.asked
            );
            if name != "committed" {
                let base = evaluate(&WithOptions(&enc, ParseOptions::COMMITTED), cases);
                let was: std::collections::HashSet<&str> =
                    base.failures.iter().map(|(c, _)| c.text.as_str()).collect();
                for (case, got) in &r.failures {
                    if !was.contains(case.text.as_str()) {
                        println!(
                            "{name} {set} newly missed: {:?} [{:?}] -> {}",
                            case.text,
                            case.context,
                            serde_json::to_string(got).unwrap()
                        );
                    }
                }
            }
        }
        println!(
            "{name}: all {:.2}% exact of {n}, {polarity} polarity errors, {asked} asked{line}",
            100.0 * exact / n as f64
        );
    }
}

/// Issue 14, round 10: the families of the ninth sealed half's polarity errors and of the tenth
/// set's development half, each probed with sentences in no natural set.
#[test]
fn issue_14_round_10_families() {
    let enc = encoder();
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        // A verb whose particle says the way, beside a degree noun too.
        (
            "dial down the sunglasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "turn her bangs down a notch",
            None,
            edits(vec![relative(Bangs, Decrease, 1)]),
        ),
        (
            "crank his beard up",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "bump the smile up a bit",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "kick the age up",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "ease the grin back",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        // Adjectives of showing with "forehead".
        (
            "his whole forehead should be visible",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        (
            "i want her forehead uncovered",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        // "head off" is a big laugh, not a removal.
        (
            "make him laugh his head off",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        // A noun with "a" / "some" after an age way wishes for it; "the X too" keeps the change.
        (
            "older and a mustache",
            None,
            edits(vec![
                direction(Age, Some(Increase)),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "two steps younger and the bangs too",
            None,
            edits(vec![
                relative(Age, Decrease, 2),
                relative(Bangs, Decrease, 2),
            ]),
        ),
        // A limit said alone asks nothing; after a way it is one degree.
        (
            "a fringe but not too heavy",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "bigger smile, but not too big",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        // Dislike and "bye" remove.
        ("she hates her fringe", None, edits(vec![target(Bangs, 0)])),
        ("bye beard", None, edits(vec![target(Beard, 0)])),
        // Bangs in the eyes; two levels in one clause; shaved and frowning faces.
        (
            "bangs right in her eyes",
            None,
            edits(vec![target(Bangs, 5)]),
        ),
        (
            "glasses 1 bangs 5",
            None,
            edits(vec![target(Eyeglasses, 1), target(Bangs, 5)]),
        ),
        (
            "he should look freshly shaved",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "make her frown a bit",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        // A negated phrase of smiling with no way word is no smile; adjectives naming the age or
        // the smile without a noun.
        ("dont make him grin", None, edits(vec![target(Smiling, 0)])),
        (
            "make her look as youthful as possible",
            None,
            edits(vec![target(Age, 0)]),
        ),
        (
            "the happiest expression you can",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // A negated verb of the way is asked about, and so is every way word of a clause opening with
    // "dont" ("dont make her smile more" was read as more).
    for text in [
        "dont turn the smile down",
        "dont make her smile more",
        "please dont make her smile so much",
        "dont make the beard any longer",
    ] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1 && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {}",
            serde_json::to_string(&got).unwrap()
        );
    }
}

/// Issue 14, round 11: the families of the eleventh set's development half and of the tenth
/// sealed half's polarity errors, each probed with sentences in no natural set (written after the
/// rules; 47 of 50 right at the first run).
#[test]
fn issue_14_round_11_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        // A verb of growing with "out" is a way up, not a removal ("grow his beard out" was 0).
        (
            "grow out the goatee",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "let his mustache grow out",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "grow his stubble out a bit",
            None,
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        // ... and a fringe grown out with a way word is that way.
        (
            "grow out her fringe longer",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        // "in" and "be" between a negator and the noun; "shouldnt" / "mustnt" negate.
        (
            "i dont want him in sunglasses anymore",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "dont put her in specs",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "she shouldnt be in glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "he mustnt wear sunglasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "she shouldnt smile so much",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        // "not X enough" after a negator is a way up, not a removal.
        (
            "she isnt grinning enough",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "he doesnt smile enough",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        // A laugh "POSS WORD off" is a big laugh; "wipe the laugh off" still removes.
        (
            "have her laughing her socks off",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        (
            "wipe the laugh off his face",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        // After a suggestion, "X is fine" declines it; "sounds good" still agrees.
        ("his beard is fine", suggest(Beard), intent(Intent::No)),
        (
            "nah the glasses look fine as is",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "her smile is perfect already",
            suggest(Smiling),
            intent(Intent::No),
        ),
        // The forehead is what the bangs leave bare: its way is the bangs' opposite (session 15).
        (
            "less forehead please",
            None,
            edits(vec![direction(Bangs, Some(Direction::Increase))]),
        ),
        (
            "make her forehead smaller",
            None,
            edits(vec![direction(Bangs, Some(Direction::Increase))]),
        ),
        (
            "her forehead is too big",
            None,
            edits(vec![direction(Bangs, Some(Direction::Increase))]),
        ),
        (
            "i want to see less of her forehead",
            None,
            edits(vec![direction(Bangs, Some(Direction::Increase))]),
        ),
        (
            "more forehead",
            None,
            edits(vec![direction(Bangs, Some(Direction::Decrease))]),
        ),
        (
            "her forehead is too small",
            None,
            edits(vec![direction(Bangs, Some(Direction::Decrease))]),
        ),
        (
            "cover her forehead more",
            None,
            edits(vec![direction(Bangs, Some(Direction::Increase))]),
        ),
        (
            "show her whole forehead",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        // Words of address after a reply are dropped, not read as an edit (session 15).
        ("sure thing mate", None, intent(Intent::Yes)),
        ("thanks dude", None, intent(Intent::Thanks)),
        ("sure thing m8", None, intent(Intent::Yes)),
        (
            "sure thing mate",
            suggest(Smiling),
            edits(vec![direction(Smiling, None)]),
        ),
        (
            "add glasses mate",
            None,
            edits(vec![direction(Eyeglasses, Some(Direction::Increase))]),
        ),
        // What the bangs would cover is fine: a decline too (session 15).
        (
            "nope, her forehead is fine",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "his forehead looks good",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "bangs sound good",
            suggest(Bangs),
            edits(vec![direction(Bangs, None)]),
        ),
        // A bare number after a check or a suggestion is a level of that attribute.
        ("3 pls", check_of(Smiling), edits(vec![target(Smiling, 3)])),
        ("5", suggest(Beard), edits(vec![target(Beard, 5)])),
        ("2 thanks", check_of(Age), edits(vec![target(Age, 2)])),
        // "N of 5".
        ("smile 3 of 5", None, edits(vec![target(Smiling, 3)])),
        ("age 4 of 5", None, edits(vec![target(Age, 4)])),
        // A degree noun after a removal is removed too.
        (
            "lose the beard and sunglasses",
            None,
            edits(vec![target(Beard, 0), target(Eyeglasses, 0)]),
        ),
        (
            "remove the glasses and stubble please",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        // A comment asked about beside a worded edit of the same attribute says nothing.
        (
            "hmm looks weird, shorter",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        // A comment no word of which names anything, after a check: "not quite".
        ("kinda odd", check_of(Beard), intent(Intent::No)),
        ("looks kinda off", check_of(Bangs), intent(Intent::No)),
        // With no noun and a word the network did not see, a way after a check is about the
        // checked attribute, not the network's guess of another (written after the 50 probes).
        (
            "kinda too dark tbh",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        // A comparative after the noun is the way asked about, not a removal (branch
        // lang11-guard, after the sealed scoring: "shouldnt" had made this beard 0).
        (
            "shouldnt the beard be longer",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        // "w/o", "w/".
        ("w/o glasses pls", None, edits(vec![target(Eyeglasses, 0)])),
        ("w/ a big grin", None, edits(vec![target(Smiling, 3)])),
        // Body words with a person are unsupported; about glasses after a check they are a way.
        ("make him chubbier", None, intent(Intent::Unknown)),
        ("can she be skinnier", None, intent(Intent::Unknown)),
        (
            "make them thinner",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        // Young adults are age 1 ("a college kid" too).
        (
            "make him look like a college kid",
            None,
            edits(vec![target(Age, 1)]),
        ),
        ("turn him into a student", None, edits(vec![target(Age, 1)])),
        // N-day stubble / growth is beard 2.
        ("two day stubble", None, edits(vec![target(Beard, 2)])),
        (
            "a couple days of growth",
            None,
            edits(vec![target(Beard, 2)]),
        ),
        // "whats X at", "where is X at".
        (
            "whats the beard at now",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "where is the smile at",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        // Ends, slang praise, "not needed".
        ("peace out", None, intent(Intent::End)),
        ("logging off", None, intent(Intent::End)),
        ("dope", check_of(Beard), intent(Intent::Yes)),
        ("thats sick", check_of(Smiling), intent(Intent::Yes)),
        ("the beard isnt needed", None, edits(vec![target(Beard, 0)])),
        ("bangs not wanted", None, edits(vec![target(Bangs, 0)])),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // "grow her bangs out": hairdressers mean no fringe, others a longer one: asked.
    for text in [
        "grow her bangs out",
        "let the fringe grow out",
        "grow out her fringe",
    ] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1
                && got.edits[0].attribute == Bangs
                && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {}",
            serde_json::to_string(&got).unwrap()
        );
    }
}

/// Issue 14, round 12: the families of the twelfth development half's errors and the brief's weak
/// themes, probed with sentences in no natural set (269 probes in five batches written after the
/// first rules; 74/83, 56/63, 64/69, 40/45 and 9/9 right at their first runs; the misses led to "keep
/// her serious", "ADJ enough", "happy face", "whats up", "behind", the words' amount in a
/// comparison, a way said after a suggestion, a low word against a high degree asked, "tash",
/// "how smiley", "outta", "gm", "tysm"; 9 left out, listed in models/trained/LANGUAGE.md).
#[test]
fn issue_14_round_12_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "nah she hates specs",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "no, he prefers a clean shave",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "she never wears glasses",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        ("he doesnt suit a beard", suggest(Beard), intent(Intent::No)),
        (
            "nope, bangs arent her style",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "no, she looks better without a fringe",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "nah hes smiley enough",
            suggest(Smiling),
            intent(Intent::No),
        ),
        (
            "no she is young enough already",
            suggest(Age),
            intent(Intent::No),
        ),
        ("nah shes old enough", suggest(Age), intent(Intent::No)),
        (
            "leave her fringe as it is",
            suggest(Bangs),
            intent(Intent::No),
        ),
        ("keep her serious", suggest(Smiling), intent(Intent::No)),
        ("keep him clean shaven", suggest(Beard), intent(Intent::No)),
        (
            "nah keep the straight face",
            suggest(Smiling),
            intent(Intent::No),
        ),
        (
            "no, keep her forehead bare",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "no, his eyes are fine bare",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "no, she should smile more",
            suggest(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "no, remove his beard",
            suggest(Beard),
            edits(vec![target(Beard, 0)]),
        ),
        (
            "no, give him a beard instead",
            suggest(Eyeglasses),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "crack a grin",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "get him to crack a smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "say cheese!",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "turn her frown upside down",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "wipe that smirk off her face",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        ("slick his fringe back", None, edits(vec![target(Bangs, 0)])),
        ("clip her bangs up", None, edits(vec![target(Bangs, 0)])),
        ("pull the fringe aside", None, edits(vec![target(Bangs, 0)])),
        (
            "tuck her bangs behind her ears",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        (
            "dial back the bangs",
            None,
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "not a fan of the shades",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "im not keen on his moustache",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "sick of the fringe, get rid",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        (
            "cant stand that grin",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "rewind her age a lot",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        (
            "roll back the years on him",
            None,
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "reverse his age",
            None,
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "longer than that",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "way less than this",
            check_of(Smiling),
            edits(vec![relative(Smiling, Decrease, 2)]),
        ),
        (
            "darker than that",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "thinner than before",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "way too scruffy",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "too geeky",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "not smiley enough",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "glasses off beard on",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "smile on bangs off",
            None,
            edits(vec![direction(Smiling, Some(Increase)), target(Bangs, 0)]),
        ),
        (
            "beard gone glasses on",
            None,
            edits(vec![
                target(Beard, 0),
                direction(Eyeglasses, Some(Increase)),
            ]),
        ),
        (
            "did you change anything",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "have you edited anything yet",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "did we change anything so far",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        ("wassup", None, intent(Intent::Greet)),
        ("whats up bot", None, intent(Intent::Greet)),
        (
            "hella younger",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        (
            "make the smile hella bigger",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "crank the age all the way up",
            None,
            edits(vec![target(Age, 5)]),
        ),
        (
            "turn her age all the way down",
            None,
            edits(vec![target(Age, 0)]),
        ),
        (
            "darkr glasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "shortr beard",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "thickr frames",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "longr bangs",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "how big is the smile rn",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "make him older fr",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "gve her glasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "no glasses but more beard",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "lose the beard and add a smile",
            None,
            edits(vec![target(Beard, 0), direction(Smiling, Some(Increase))]),
        ),
        (
            "remove the specs, give her bangs and make her smile",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Bangs, Some(Increase)),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "make the beard shorter than it is",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "a smaller smile than now",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "ditch the stubble but keep the smile",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "take away the grin and add some years",
            None,
            edits(vec![target(Smiling, 0), direction(Age, Some(Increase))]),
        ),
        (
            "shave the beard and grow the bangs",
            None,
            edits(vec![target(Beard, 0), direction(Bangs, Some(Increase))]),
        ),
        (
            "no grin, thicker glasses",
            None,
            edits(vec![
                target(Smiling, 0),
                direction(Eyeglasses, Some(Increase)),
            ]),
        ),
        (
            "she should lose the fringe and smile more",
            None,
            edits(vec![target(Bangs, 0), direction(Smiling, Some(Increase))]),
        ),
        (
            "wipe the grin off and give him shades",
            None,
            edits(vec![target(Smiling, 0), target(Eyeglasses, 4)]),
        ),
        (
            "get rid of the specs and make him look older",
            None,
            edits(vec![target(Eyeglasses, 0), direction(Age, Some(Increase))]),
        ),
        (
            "younger and no glasses",
            None,
            edits(vec![direction(Age, Some(Decrease)), target(Eyeglasses, 0)]),
        ),
        (
            "give him a grin like the joker",
            None,
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "make him smile like he means it",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "smirk a little less",
            None,
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "stop grinning like an idiot",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "put on a happy face",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make her beam with joy",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "peel the sunglasses off her",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "take those frames off him",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "no more eyewear pls",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "he looks better without his sunnies",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("bin his moustache", None, edits(vec![target(Beard, 0)])),
        ("lose the whiskers", None, edits(vec![target(Beard, 0)])),
        ("shave off that goatee", None, edits(vec![target(Beard, 0)])),
        (
            "no more stubble on him",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        ("get rid of his scruff", None, edits(vec![target(Beard, 0)])),
        ("clean shave him", None, edits(vec![target(Beard, 0)])),
        (
            "cut her fringe off completely",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("no more bangs pls", None, edits(vec![target(Bangs, 0)])),
        ("lose the fringe", None, edits(vec![target(Bangs, 0)])),
        ("remove the grin", None, edits(vec![target(Smiling, 0)])),
        ("no smirking", None, edits(vec![target(Smiling, 0)])),
        ("drop the smile", None, edits(vec![target(Smiling, 0)])),
        (
            "take the smile off her face",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make her stop grinning",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "knock a few years off him",
            None,
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "take 20 years off her",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        (
            "make him a decade older",
            None,
            edits(vec![relative(Age, Increase, 1)]),
        ),
        ("wipe the smirk off", None, edits(vec![target(Smiling, 0)])),
        ("a cheeky smirk", None, edits(vec![target(Smiling, 1)])),
        (
            "give her a big cheesy grin",
            None,
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "make him grin from ear to ear",
            None,
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "slightly less smiley",
            None,
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        ("she should laugh", None, edits(vec![target(Smiling, 4)])),
        (
            "make him burst out laughing",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        (
            "make her smile less and remove the bangs",
            None,
            edits(vec![direction(Smiling, Some(Decrease)), target(Bangs, 0)]),
        ),
        (
            "add glasses and lose the smile",
            None,
            edits(vec![
                direction(Eyeglasses, Some(Increase)),
                target(Smiling, 0),
            ]),
        ),
        (
            "take off the specs, thicker beard",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "shades off, fringe longer",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Bangs, Some(Increase)),
            ]),
        ),
        (
            "no beard and older",
            None,
            edits(vec![target(Beard, 0), direction(Age, Some(Increase))]),
        ),
        (
            "even bushier than that",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "not that long",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "less than that pls",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "not that dark",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "less dark than that",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "smaller than this one",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "older than this",
            check_of(Age),
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "not that old",
            check_of(Age),
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "shorter than this",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "too scraggly",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "too toothy",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "too serious still",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "nah, he doesnt do beards",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "no, he never smiles in photos",
            suggest(Smiling),
            intent(Intent::No),
        ),
        ("she never has a fringe", suggest(Bangs), intent(Intent::No)),
        ("no, she is old enough", suggest(Age), intent(Intent::No)),
        ("nah leave the fringe", suggest(Bangs), intent(Intent::No)),
        ("no glasses thx", suggest(Eyeglasses), intent(Intent::No)),
        ("nah no beard for him", suggest(Beard), intent(Intent::No)),
        ("no keep it neutral", suggest(Smiling), intent(Intent::No)),
        (
            "nope, he hates wearing glasses",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "his face is better clean",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "no, but trim the beard",
            suggest(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "no, make her smile instead",
            suggest(Eyeglasses),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "nah, older please",
            suggest(Smiling),
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "she would look better younger",
            suggest(Age),
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "no, she looks better with glasses",
            suggest(Bangs),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        ("remove the tash", None, edits(vec![target(Beard, 0)])),
        (
            "get that fuzz off his chin",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        ("no more facial hair", None, edits(vec![target(Beard, 0)])),
        ("shave his face clean", None, edits(vec![target(Beard, 0)])),
        ("goatee off pls", None, edits(vec![target(Beard, 0)])),
        ("whiskers gone", None, edits(vec![target(Beard, 0)])),
        ("stubble be gone", None, edits(vec![target(Beard, 0)])),
        (
            "yank off her spectacles",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("no aviators", None, edits(vec![target(Eyeglasses, 0)])),
        ("eyewear off", None, edits(vec![target(Eyeglasses, 0)])),
        (
            "he doesnt need his sunglasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("shades gone", None, edits(vec![target(Eyeglasses, 0)])),
        ("bangs be gone", None, edits(vec![target(Bangs, 0)])),
        ("no fringe for her", None, edits(vec![target(Bangs, 0)])),
        (
            "get the fringe out of her face",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("cut the fringe off", None, edits(vec![target(Bangs, 0)])),
        (
            "she shouldnt be smiling",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        ("no grinning pls", None, edits(vec![target(Smiling, 0)])),
        ("lose that smirk", None, edits(vec![target(Smiling, 0)])),
        ("no more laughing", None, edits(vec![target(Smiling, 0)])),
        (
            "level zero glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("deg 3 smile", None, edits(vec![target(Smiling, 3)])),
        ("lvl 5 beard", None, edits(vec![target(Beard, 5)])),
        ("smile=0", None, edits(vec![target(Smiling, 0)])),
        ("bangs at max", None, edits(vec![target(Bangs, 5)])),
        ("beard none", None, edits(vec![target(Beard, 0)])),
        ("age 0/5", None, edits(vec![target(Age, 0)])),
        ("make her 19 years old", None, edits(vec![target(Age, 1)])),
        (
            "make him look like hes in his 30s",
            None,
            edits(vec![target(Age, 2)]),
        ),
        ("like 25 yrs old", None, edits(vec![target(Age, 1)])),
        ("make him 80", None, edits(vec![target(Age, 5)])),
        (
            "is he wearing glasses",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "does she have bangs rn",
            None,
            intent(Intent::Ask(Question::Degree(Some(Bangs)))),
        ),
        (
            "what does glasses 5 mean",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Eyeglasses)))),
        ),
        (
            "how smiley is she",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "what have we done so far",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        ("hiya bot", None, intent(Intent::Greet)),
        ("cheers bot", None, intent(Intent::Thanks)),
        ("thank youu", None, intent(Intent::Thanks)),
        ("ok thats it, bye", None, intent(Intent::End)),
        ("go back one", None, intent(Intent::Undo)),
        ("start over pls", None, intent(Intent::Restart)),
        ("make her eyes blue", None, intent(Intent::Unknown)),
        ("remove her hat", None, intent(Intent::Unknown)),
        ("take off his earrings", None, intent(Intent::Unknown)),
        ("give him a bigger nose", None, intent(Intent::Unknown)),
        (
            "much bigger smile",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "slightly thinner frames",
            None,
            edits(vec![relative(Eyeglasses, Decrease, 1)]),
        ),
        (
            "a lot less beard",
            None,
            edits(vec![relative(Beard, Decrease, 2)]),
        ),
        (
            "bangs way shorter",
            None,
            edits(vec![relative(Bangs, Decrease, 2)]),
        ),
        (
            "a tiny bit older",
            None,
            edits(vec![relative(Age, Increase, 1)]),
        ),
        (
            "not so thick glasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "not such a big grin",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "the beard is not bushy enough",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "her bangs are too short",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "his glasses are too thin",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "she is smiling too much",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "he looks way too young",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "too little",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "still too big",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "not thick enough",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "a lot older",
            check_of(Age),
            edits(vec![relative(Age, Increase, 2)]),
        ),
        (
            "way too long now",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "sure, a goatee",
            suggest(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "yes, aviators",
            suggest(Eyeglasses),
            edits(vec![target(Eyeglasses, 4)]),
        ),
        // (Round 16: 1, as the sets label "sure a short fringe" (dev15) and "maybe a short
        // fringe" (sealed11) after a suggestion of the bangs and "a short fringe" with none;
        // "short bangs" is 2. The former encoder read 2 here, the retrained one 1.)
        (
            "ok, a short fringe",
            suggest(Bangs),
            edits(vec![target(Bangs, 1)]),
        ),
        ("yes make her 60", suggest(Age), edits(vec![target(Age, 5)])),
        (
            "glasses level five",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        ("smile 5 outta 5", None, edits(vec![target(Smiling, 5)])),
        ("beard at zero", None, edits(vec![target(Beard, 0)])),
        ("set her age to max", None, edits(vec![target(Age, 5)])),
        ("bangs to none", None, edits(vec![target(Bangs, 0)])),
        ("put the smile on 1", None, edits(vec![target(Smiling, 1)])),
        (
            "degree 3 for the glasses",
            None,
            edits(vec![target(Eyeglasses, 3)]),
        ),
        (
            "the beard should be a 2",
            None,
            edits(vec![target(Beard, 2)]),
        ),
        ("age level 1 please", None, edits(vec![target(Age, 1)])),
        (
            "can you set the fringe to 2",
            None,
            edits(vec![target(Bangs, 2)]),
        ),
        (
            "yes, level 3",
            suggest(Beard),
            edits(vec![target(Beard, 3)]),
        ),
        ("sure, 2", suggest(Smiling), edits(vec![target(Smiling, 2)])),
        (
            "yes max",
            suggest(Eyeglasses),
            edits(vec![target(Eyeglasses, 5)]),
        ),
        (
            "make it a 1",
            check_of(Beard),
            edits(vec![target(Beard, 1)]),
        ),
        (
            "level 0",
            check_of(Smiling),
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "what did u change",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "what edits so far",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "show me the history",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        ("gm", None, intent(Intent::Greet)),
        ("evening all", None, intent(Intent::Greet)),
        ("tysm", None, intent(Intent::Thanks)),
        ("thank u bot", None, intent(Intent::Thanks)),
        ("cya later", None, intent(Intent::End)),
        ("thats all for today", None, intent(Intent::End)),
        ("undo pls", None, intent(Intent::Undo)),
        ("revert the last thing", None, intent(Intent::Undo)),
        ("begin again", None, intent(Intent::Restart)),
        ("fresh start", None, intent(Intent::Restart)),
        (
            "take the glasses off and make her laugh hard",
            None,
            edits(vec![target(Eyeglasses, 0), target(Smiling, 5)]),
        ),
        (
            "shave the goatee, add shades",
            None,
            edits(vec![target(Beard, 0), target(Eyeglasses, 4)]),
        ),
        (
            "no smile, no fringe",
            None,
            edits(vec![target(Smiling, 0), target(Bangs, 0)]),
        ),
        (
            "get rid of the smile but add a beard",
            None,
            edits(vec![target(Smiling, 0), direction(Beard, Some(Increase))]),
        ),
        (
            "less fringe and no specs",
            None,
            edits(vec![
                direction(Bangs, Some(Decrease)),
                target(Eyeglasses, 0),
            ]),
        ),
        (
            "remove the glasses, keep the beard",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "older but without the beard",
            None,
            edits(vec![direction(Age, Some(Increase)), target(Beard, 0)]),
        ),
        (
            "remove stubble, bigger grin",
            None,
            edits(vec![target(Beard, 0), direction(Smiling, Some(Increase))]),
        ),
        (
            "take his glasses away and give him stubble",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 1)]),
        ),
        (
            "ditch the sunnies and the smirk",
            None,
            edits(vec![target(Eyeglasses, 0), target(Smiling, 0)]),
        ),
        (
            "nah she looks better not smiling",
            suggest(Smiling),
            intent(Intent::No),
        ),
        (
            "no, she looks better without",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "nah, leave him clean shaven",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "no, leave her forehead alone",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "she hates smiling in pics",
            suggest(Smiling),
            intent(Intent::No),
        ),
        ("no, he cant grow one", suggest(Beard), intent(Intent::No)),
        ("make him chuckle", None, edits(vec![target(Smiling, 4)])),
        ("have her giggling", None, edits(vec![target(Smiling, 4)])),
        (
            "give him a medium length beard",
            None,
            edits(vec![target(Beard, 3)]),
        ),
        ("a few days of scruff", None, edits(vec![target(Beard, 2)])),
        (
            "the glasses should be 3",
            None,
            edits(vec![target(Eyeglasses, 3)]),
        ),
        ("smile should be 1", None, edits(vec![target(Smiling, 1)])),
        ("nah not for me", suggest(Eyeglasses), intent(Intent::No)),
        ("not feeling that", suggest(Beard), intent(Intent::No)),
        ("no not my thing", suggest(Smiling), intent(Intent::No)),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // A wish for the suggested attribute is no decline; a negated idiom of smiling wishes for no
    // more smile.
    let got = enc.parse("he should have a beard", suggest(Beard));
    assert_eq!(got.intent, Intent::Edit, "{got:?}");
    let got = enc.parse("she would look better with glasses", suggest(Eyeglasses));
    assert_ne!(got.intent, Intent::No, "{got:?}");
    let got = enc.parse("dont crack a smile", None);
    assert!(
        got.edits
            .iter()
            .all(|e| e.direction != Some(Increase) && e.target.is_none_or(|t| t == 0)),
        "{got:?}"
    );
}

/// Issue 14, round 13: the families of the thirteenth development half's errors, probed with
/// sentences in no natural set (50 probes written after the first rules, 46 right at the first
/// run, the 4 left out listed in models/trained/LANGUAGE.md; 20 more after the question rules): moods of the smile's ends,
/// wishes said as "X would be nice" or "X in", years taken off with no noun, "X of", declines
/// said as "shes fine" or with a mood, praise of the checked attribute, questions.
#[test]
fn issue_14_round_13_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "make him look a bit grumpy",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make her look furious",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make him look less miserable",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "a little less gloomy please",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "make her way less grumpy",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "she looks too moody",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make him grumpier",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "a bit angrier",
            None,
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "even sadder",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "make her look jolly",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make him less cheerful",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "she looks too cheery",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "make him look more upbeat",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        ("make her look sleepy", None, intent(Intent::Unknown)),
        ("make him look bored", None, intent(Intent::Unknown)),
        (
            "too grumpy now",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        ("nah leave him grumpy", suggest(Smiling), intent(Intent::No)),
        (
            "no, she should stay moody",
            suggest(Smiling),
            intent(Intent::No),
        ),
        (
            "some specs would be cool",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "a goatee would suit him",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "bangs in, glasses out",
            None,
            edits(vec![
                direction(Bangs, Some(Increase)),
                target(Eyeglasses, 0),
            ]),
        ),
        (
            "a laugh would be nice",
            None,
            edits(vec![target(Smiling, 4)]),
        ),
        ("stubble would be cool", None, edits(vec![target(Beard, 1)])),
        (
            "glasses off and stubble on",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 1)]),
        ),
        (
            "take 10 years off",
            None,
            edits(vec![relative(Age, Decrease, 1)]),
        ),
        (
            "knock twenty yrs off",
            None,
            edits(vec![relative(Age, Decrease, 2)]),
        ),
        ("mustache of", None, edits(vec![target(Beard, 0)])),
        (
            "dude make her older",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "bruh remove the glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("nah shes fine", suggest(Bangs), intent(Intent::No)),
        ("no, hes good", suggest(Beard), intent(Intent::No)),
        ("not sunglasses", suggest(Eyeglasses), intent(Intent::No)),
        (
            "no he looks fine without one",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "no, she should look neutral",
            suggest(Smiling),
            intent(Intent::No),
        ),
        ("perfect bangs", check_of(Bangs), intent(Intent::Yes)),
        ("nice smile", check_of(Smiling), intent(Intent::Yes)),
        ("great beard", check_of(Beard), intent(Intent::Yes)),
        ("good one, thanks", None, intent(Intent::Thanks)),
        (
            "how dark is his sunglasses",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "how light are the glasses now",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "how dark is that",
            check_of(Eyeglasses),
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "what number is the smile at",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "what age is she",
            None,
            intent(Intent::Ask(Question::Degree(Some(Age)))),
        ),
        (
            "what does a 2 look like",
            None,
            intent(Intent::Ask(Question::Meaning(None))),
        ),
        (
            "how does the scale work",
            None,
            intent(Intent::Ask(Question::Meaning(None))),
        ),
        ("what can you do", None, intent(Intent::Help)),
        // Second batch (20 probes written after the question rules; 18/20 at the first run,
        // the 2 misses led to adjectives of one attribute in "how ADJ" questions).
        (
            "how happy is she right now",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "how serious does he look",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "how nerdy are the glasses",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "whats the difference between smile 1 and smile 2",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Smiling)))),
        ),
        (
            "what is the difference between level 3 and level 4",
            None,
            intent(Intent::Ask(Question::Meaning(None))),
        ),
        (
            "shades off and smile on",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "fringe on, beard off",
            None,
            edits(vec![direction(Bangs, Some(Increase)), target(Beard, 0)]),
        ),
        (
            "a beard would look good on him",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "glasses would suit her",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "make her look unhappy",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "less grouchy",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make him look a lot less angry",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "make her look merry",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        ("no, keep her moody", suggest(Smiling), intent(Intent::No)),
        ("nah hes fine", suggest(Beard), intent(Intent::No)),
        ("no shes good", suggest(Eyeglasses), intent(Intent::No)),
        ("great age", check_of(Age), intent(Intent::Yes)),
        ("nice fringe", check_of(Bangs), intent(Intent::Yes)),
        (
            "take thirty years off",
            None,
            edits(vec![relative(Age, Decrease, 3)]),
        ),
        ("stache of", None, edits(vec![target(Beard, 0)])),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // A negated mood is no smile edit carried out as read: it is asked about.
    let got = enc.parse("dont make him look angry", None);
    assert!(
        got.edits.iter().all(|e| e.kind == EditKind::Unclear),
        "{got:?}"
    );
}

/// Issue 14, round 14: the families of the fourteenth round's rules (moods of more words, amounts
/// said as "loads" / "tons", "cheesier" / "patchy" / "fill", superlatives, greetings before a
/// request, polite and embedded questions, "a shade", agreement with the suggested noun, "X
/// instead", "no change to", statements of liking, a smile without teeth, pronouns read as the
/// age after a check of another attribute, "can the X go", "love them", "not a beard guy", "af"),
/// and other phrasings of the round's themes, on sentences in no natural set (written after the
/// first rules: 65 of 72 and 101 of 111 right at their first runs (a third batch below); the misses led to the later
/// rules; the left-out ones are listed in LANGUAGE.md).
#[test]
fn issue_14_round_14_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        ("make her look dour", None, edits(vec![target(Smiling, 0)])),
        ("make him look pouty", None, edits(vec![target(Smiling, 0)])),
        (
            "make him less crabby",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make her look a bit less sour",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "make him look thrilled",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make her look ecstatic",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make him look less pleased",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "a bit less delighted",
            None,
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "make him look morose",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make her look bummed",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make the beard longer, loads longer",
            None,
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        (
            "age him up a ton",
            None,
            edits(vec![relative(Age, Increase, 2)]),
        ),
        (
            "a cheesier grin",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "toothier smile pls",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make the smile less cheesy",
            None,
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "give him the densest beard possible",
            None,
            edits(vec![target(Beard, 5)]),
        ),
        (
            "the chunkiest glasses possible",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        (
            "the toothiest grin you can",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        (
            "hey make him older",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "yo make her smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "oi remove the glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("yo whats good", None, intent(Intent::Greet)),
        ("heyo bot", None, intent(Intent::Greet)),
        (
            "can you tell me the smile level",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "could you tell me how old he is",
            None,
            intent(Intent::Ask(Question::Degree(Some(Age)))),
        ),
        (
            "can u show me the beard level",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "please tell me what you changed",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "can you explain the levels",
            None,
            intent(Intent::Ask(Question::Meaning(None))),
        ),
        (
            "can you show me the glasses at level 2",
            None,
            edits(vec![target(Eyeglasses, 2)]),
        ),
        (
            "a shade lighter",
            check_of(Eyeglasses),
            edits(vec![relative(Eyeglasses, Decrease, 1)]),
        ),
        (
            "a shade bigger",
            check_of(Smiling),
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "a shade longer",
            check_of(Beard),
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "hell yes",
            suggest(Beard),
            edits(vec![direction(Beard, None)]),
        ),
        ("hell no", suggest(Smiling), intent(Intent::No)),
        (
            "yeah a beard",
            suggest(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "sure, glasses",
            suggest(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "yes a fringe",
            suggest(Bangs),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "ok a smile",
            suggest(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        ("yes stubble", suggest(Beard), edits(vec![target(Beard, 1)])),
        (
            "yeah shades",
            suggest(Eyeglasses),
            edits(vec![target(Eyeglasses, 4)]),
        ),
        (
            "no, glasses instead",
            suggest(Bangs),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "no, a beard instead",
            suggest(Smiling),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "nah, a fringe instead",
            suggest(Age),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "glasses then",
            suggest(Bangs),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        ("no change to her age", suggest(Age), intent(Intent::No)),
        (
            "no changes to his face pls",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "no need to change the bangs",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "no change to the glasses thanks",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "no she likes her forehead bare",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "nah he loves his bare face",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "no he likes being clean shaven",
            suggest(Beard),
            intent(Intent::No),
        ),
        (
            "a smile without teeth",
            None,
            edits(vec![target(Smiling, 1)]),
        ),
        (
            "give her a smile with no teeth",
            None,
            edits(vec![target(Smiling, 1)]),
        ),
        (
            "they look weird, remove them",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "it looks patchy, take it off",
            check_of(Beard),
            edits(vec![target(Beard, 0)]),
        ),
        (
            "they look odd, get rid of them",
            check_of(Bangs),
            edits(vec![target(Bangs, 0)]),
        ),
        (
            "it looks fake, lose it",
            check_of(Smiling),
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "take them off pls",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "make them older",
            check_of(Age),
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "make them darker",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "too patchy",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "the beard is too patchy",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "fill in his beard",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "beard back on pls",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "yank the glasses off",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "i dont want specs on her",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "can the shades go",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "he looks better without shades, remove them",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "get the goggles off him",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("shave off the stubble", None, edits(vec![target(Beard, 0)])),
        ("lose the sideburns", None, edits(vec![target(Beard, 0)])),
        ("shave his face clean", None, edits(vec![target(Beard, 0)])),
        ("take off his mustache", None, edits(vec![target(Beard, 0)])),
        (
            "push her bangs out of her eyes",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("bangs off pls", None, edits(vec![target(Bangs, 0)])),
        ("no more fringe on her", None, edits(vec![target(Bangs, 0)])),
        ("take her fringe away", None, edits(vec![target(Bangs, 0)])),
        ("make him look glum", None, edits(vec![target(Smiling, 0)])),
        ("make her look cross", None, edits(vec![target(Smiling, 0)])),
        (
            "make him look furious",
            None,
            edits(vec![target(Smiling, 0)]),
        ),
        (
            "make her look overjoyed",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "a tiny bit happier",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "make him way less grumpy",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "smile a tad more",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "give her a huge laugh",
            None,
            edits(vec![target(Smiling, 5)]),
        ),
        ("make him chuckle", None, edits(vec![target(Smiling, 4)])),
        (
            "longer beard pls",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "make the stubble a bit longer",
            None,
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "beard much bushier",
            None,
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        (
            "trim his beard a lot",
            None,
            edits(vec![relative(Beard, Decrease, 2)]),
        ),
        (
            "give him a goatee",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "make the specs a bit thicker",
            None,
            edits(vec![relative(Eyeglasses, Increase, 1)]),
        ),
        ("wire glasses pls", None, edits(vec![target(Eyeglasses, 1)])),
        (
            "bangs a lot longer",
            None,
            edits(vec![relative(Bangs, Increase, 2)]),
        ),
        ("bangs over her eyes", None, edits(vec![target(Bangs, 5)])),
        (
            "age him a lot",
            None,
            edits(vec![relative(Age, Increase, 2)]),
        ),
        (
            "make her a bit younger",
            None,
            edits(vec![relative(Age, Decrease, 1)]),
        ),
        ("make him look 80", None, edits(vec![target(Age, 5)])),
        (
            "she should look like a little girl",
            None,
            edits(vec![target(Age, 0)]),
        ),
        ("make him old af", None, edits(vec![target(Age, 5)])),
        (
            "glasses to level three",
            None,
            edits(vec![target(Eyeglasses, 3)]),
        ),
        ("set the fringe at 2", None, edits(vec![target(Bangs, 2)])),
        ("beard: 5", None, edits(vec![target(Beard, 5)])),
        (
            "smile at level 1 pls",
            None,
            edits(vec![target(Smiling, 1)]),
        ),
        ("age 4", None, edits(vec![target(Age, 4)])),
        (
            "beard 2 and glasses 4",
            None,
            edits(vec![target(Beard, 2), target(Eyeglasses, 4)]),
        ),
        (
            "smile up one",
            None,
            edits(vec![relative(Smiling, Increase, 1)]),
        ),
        (
            "glasses down 2",
            None,
            edits(vec![relative(Eyeglasses, Decrease, 2)]),
        ),
        ("age +1", None, edits(vec![relative(Age, Increase, 1)])),
        ("bangs lvl 0", None, edits(vec![target(Bangs, 0)])),
        (
            "no beard, more smile",
            None,
            edits(vec![target(Beard, 0), direction(Smiling, Some(Increase))]),
        ),
        (
            "shave him, add glasses",
            None,
            edits(vec![
                target(Beard, 0),
                direction(Eyeglasses, Some(Increase)),
            ]),
        ),
        (
            "bit longer",
            check_of(Beard),
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "lots more",
            check_of(Beard),
            edits(vec![relative(Beard, Increase, 2)]),
        ),
        (
            "a touch shorter",
            check_of(Beard),
            edits(vec![relative(Beard, Decrease, 1)]),
        ),
        (
            "way too scruffy",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "nah take it off",
            check_of(Beard),
            edits(vec![target(Beard, 0)]),
        ),
        (
            "bit darker",
            check_of(Eyeglasses),
            edits(vec![relative(Eyeglasses, Increase, 1)]),
        ),
        ("love them", check_of(Eyeglasses), intent(Intent::Yes)),
        (
            "lose them",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "too toothy",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "he looks like a maniac, less",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "bigger pls",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "way longer",
            check_of(Bangs),
            edits(vec![relative(Bangs, Increase, 2)]),
        ),
        (
            "cut them",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "too old, go younger",
            check_of(Age),
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        ("not a beard guy", suggest(Beard), intent(Intent::No)),
        (
            "sure, some sunnies",
            suggest(Eyeglasses),
            edits(vec![target(Eyeglasses, 4)]),
        ),
        (
            "ok bangs",
            suggest(Bangs),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "sure a little one",
            suggest(Smiling),
            edits(vec![target(Smiling, 1)]),
        ),
        (
            "ok make her laugh",
            suggest(Smiling),
            edits(vec![target(Smiling, 4)]),
        ),
        (
            "make her younger instead",
            suggest(Age),
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        ("nah hes fine as he is", suggest(Age), intent(Intent::No)),
        (
            "what level is the beard at rn",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "how big is his smile",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "is he wearing glasses rn",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        ("thanks so much", None, intent(Intent::Thanks)),
        ("bye bye", None, intent(Intent::End)),
        ("start over pls", None, intent(Intent::Restart)),
        // Third batch (87 of 98 right at the first run; "glasses & beard off" had wished for the
        // glasses, "cover her eyebrows" after a check of the bangs was the age, "nah, hes a clean
        // shaven kinda guy" a removal, "hows his beard looking" and "make him lowkey older" were
        // not read).
        (
            "nah, hes a clean shaven kinda guy",
            suggest(Beard),
            intent(Intent::No),
        ),
        ("no thanks, maybe later", suggest(Beard), intent(Intent::No)),
        (
            "no, remove his glasses instead",
            suggest(Beard),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "i'd prefer glasses",
            suggest(Beard),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "yes, but thin ones",
            suggest(Eyeglasses),
            edits(vec![target(Eyeglasses, 1)]),
        ),
        ("nah no glasses", suggest(Eyeglasses), intent(Intent::No)),
        ("not for her", suggest(Eyeglasses), intent(Intent::No)),
        ("no fringe thanks", suggest(Bangs), intent(Intent::No)),
        (
            "nope she likes her forehead showing",
            suggest(Bangs),
            intent(Intent::No),
        ),
        (
            "yeah big smile",
            suggest(Smiling),
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "no he should stay serious",
            suggest(Smiling),
            intent(Intent::No),
        ),
        (
            "yes, like 10 years older",
            suggest(Age),
            edits(vec![relative(Age, Increase, 1)]),
        ),
        ("nah she's young enough", suggest(Age), intent(Intent::No)),
        ("no, leave it", suggest(Age), intent(Intent::No)),
        (
            "hmm too long",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        ("shave it", check_of(Beard), edits(vec![target(Beard, 0)])),
        ("thats good", check_of(Beard), intent(Intent::Yes)),
        (
            "can you make it fuller",
            check_of(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "go darker",
            check_of(Eyeglasses),
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "these look great",
            check_of(Eyeglasses),
            intent(Intent::Yes),
        ),
        (
            "bit smaller",
            check_of(Smiling),
            edits(vec![relative(Smiling, Decrease, 1)]),
        ),
        (
            "he looks too cheesy",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "more teeth",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "smile more",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        ("that looks good", check_of(Smiling), intent(Intent::Yes)),
        (
            "make them longer",
            check_of(Bangs),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "bit shorter pls",
            check_of(Bangs),
            edits(vec![relative(Bangs, Decrease, 1)]),
        ),
        (
            "cover her eyebrows",
            check_of(Bangs),
            edits(vec![target(Bangs, 5)]),
        ),
        (
            "bit older pls",
            check_of(Age),
            edits(vec![relative(Age, Increase, 1)]),
        ),
        (
            "too much, younger",
            check_of(Age),
            edits(vec![direction(Age, Some(Decrease))]),
        ),
        (
            "whats the glasses at",
            None,
            intent(Intent::Ask(Question::Degree(Some(Eyeglasses)))),
        ),
        (
            "hows his beard looking",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "what age is he now",
            None,
            intent(Intent::Ask(Question::Degree(Some(Age)))),
        ),
        (
            "is she smiling",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "whats the current smile",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "can you tell me what you did",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "what did u change",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "tell me the levels",
            None,
            intent(Intent::Ask(Question::Degree(None))),
        ),
        (
            "what does age 5 mean",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Age)))),
        ),
        (
            "what does a level 3 smile look like",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Smiling)))),
        ),
        (
            "whats beard level 0",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Beard)))),
        ),
        (
            "how does the bangs scale work",
            None,
            intent(Intent::Ask(Question::Meaning(Some(Bangs)))),
        ),
        ("cheers bot", None, intent(Intent::Thanks)),
        ("see you", None, intent(Intent::End)),
        ("restart please", None, intent(Intent::Restart)),
        (
            "glasses & beard off",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "remove the glasses + beard",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "less smile, more beard",
            None,
            edits(vec![
                direction(Smiling, Some(Decrease)),
                direction(Beard, Some(Increase)),
            ]),
        ),
        (
            "add bangs then make her smile",
            None,
            edits(vec![
                direction(Bangs, Some(Increase)),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "shave the beard, also remove the glasses",
            None,
            edits(vec![target(Beard, 0), target(Eyeglasses, 0)]),
        ),
        (
            "more beard and more smile",
            None,
            edits(vec![
                direction(Beard, Some(Increase)),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "beard to 3 and smile to 1",
            None,
            edits(vec![target(Beard, 3), target(Smiling, 1)]),
        ),
        (
            "glasses lvl 2 smile lvl 4",
            None,
            edits(vec![target(Eyeglasses, 2), target(Smiling, 4)]),
        ),
        ("remoce the bangs", None, edits(vec![target(Bangs, 0)])),
        (
            "mkae her older",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "bigegr smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "add a beerd",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "take of the glasses",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("yo remove the beard", None, edits(vec![target(Beard, 0)])),
        (
            "hey can you add bangs",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "plz make him smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "he needs glasses fr",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        (
            "make him lowkey older",
            None,
            edits(vec![direction(Age, Some(Increase))]),
        ),
        (
            "make his beard super long",
            None,
            edits(vec![target(Beard, 5)]),
        ),
        (
            "slightly thicker glasses",
            None,
            edits(vec![relative(Eyeglasses, Increase, 1)]),
        ),
        (
            "way less smile",
            None,
            edits(vec![relative(Smiling, Decrease, 2)]),
        ),
        // Fourth batch (50 of 56 right at the first run; "shades and beard gone" had kept the
        // shades at 4).
        (
            "peel the glasses off her",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("ditch his stache", None, edits(vec![target(Beard, 0)])),
        (
            "get rid of her fringe please",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("erase the smirk", None, edits(vec![target(Smiling, 0)])),
        (
            "make the sunglasses vanish",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        ("scrap the goatee", None, edits(vec![target(Beard, 0)])),
        ("can the beard go", None, edits(vec![target(Beard, 0)])),
        (
            "could the fringe go please",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("spectacles off", None, edits(vec![target(Eyeglasses, 0)])),
        ("whiskers off", None, edits(vec![target(Beard, 0)])),
        (
            "fringe out of her face",
            None,
            edits(vec![target(Bangs, 0)]),
        ),
        ("clip her bangs back", None, edits(vec![target(Bangs, 0)])),
        ("no tache", None, edits(vec![target(Beard, 0)])),
        (
            "beard a bit scruffier",
            None,
            edits(vec![relative(Beard, Increase, 1)]),
        ),
        (
            "lighter stubble",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "the darkest sunglasses",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        (
            "subtler glasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Decrease))]),
        ),
        (
            "smile much wider",
            None,
            edits(vec![relative(Smiling, Increase, 2)]),
        ),
        (
            "a longer fringe",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "fuller bangs",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "wispier bangs",
            None,
            edits(vec![direction(Bangs, Some(Decrease))]),
        ),
        (
            "make her a lot older",
            None,
            edits(vec![relative(Age, Increase, 2)]),
        ),
        (
            "make him look older, like 60",
            None,
            edits(vec![target(Age, 5)]),
        ),
        (
            "make her look like a kid",
            None,
            edits(vec![target(Age, 0)]),
        ),
        (
            "dude make him smile",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "yo yo add glasses",
            None,
            edits(vec![direction(Eyeglasses, Some(Increase))]),
        ),
        ("hey, remove the beard", None, edits(vec![target(Beard, 0)])),
        (
            "glasses and stubble off",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "shades and beard gone",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "specs & smile off",
            None,
            edits(vec![target(Eyeglasses, 0), target(Smiling, 0)]),
        ),
        (
            "fringe and glasses out",
            None,
            edits(vec![target(Bangs, 0), target(Eyeglasses, 0)]),
        ),
        (
            "a shade shorter",
            check_of(Beard),
            edits(vec![relative(Beard, Decrease, 1)]),
        ),
        (
            "take em off",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "a shade thinner",
            check_of(Eyeglasses),
            edits(vec![relative(Eyeglasses, Decrease, 1)]),
        ),
        (
            "it looks weird, tone it down",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Decrease))]),
        ),
        (
            "no, a smile instead",
            suggest(Eyeglasses),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "shades instead",
            suggest(Beard),
            edits(vec![target(Eyeglasses, 4)]),
        ),
        (
            "yeah a fringe",
            suggest(Bangs),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "sure a smile",
            suggest(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "ok a mustache",
            suggest(Beard),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        ("no changes to the age", suggest(Age), intent(Intent::No)),
        (
            "no need to change the glasses",
            suggest(Eyeglasses),
            intent(Intent::No),
        ),
        (
            "tell me how big the smile is",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
        (
            "could you tell me the beard level",
            None,
            intent(Intent::Ask(Question::Degree(Some(Beard)))),
        ),
        (
            "how does the smile look",
            None,
            intent(Intent::Ask(Question::Degree(Some(Smiling)))),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // (Round 16: "make her older by tons" is two degrees older, as dev14 labels "age her up
    // loads": "tons" and "loads" are both `[modifiers] large`. The former encoder's reading was
    // asked, the retrained one reads the label.)
    check(
        &enc,
        "make her older by tons",
        None,
        edits(vec![relative(Age, Increase, 2)]),
    );
    // Amounts and ways the rules cannot settle are asked, not carried out as read.
    let text = "fill out the beard a bit";
    let got = enc.parse(text, None);
    assert!(
        !got.edits.is_empty() && got.edits.iter().all(|e| e.kind == EditKind::Unclear),
        "{text:?} -> {got:?}"
    );
    // (Round 16: beside a clause that says the way of the same attribute, the asked negated
    // removal takes that way, as dev15 labels it; it had stayed a question.)
    check(
        &enc,
        "dont remove the glasses, make them darker",
        None,
        edits(vec![direction(Eyeglasses, Some(Increase))]),
    );
}

/// Issue 14, round 16: the rules re-fitted to the retrained encoder, each family probed with
/// sentences in no natural set: a particle verb or a comparative says the way where the network
/// is unsure of its own; a suggested noun that "sounds good" agrees; "sure thing" agrees; an
/// amount alone is about the previous clause's attribute; a pronoun comment after a check is
/// about the checked attribute; a removal verb alone after an edit removes it; a negated mood,
/// an unknown verb beside a noun and a bare attribute read unsure with no word of a way are
/// asked; a clause of unknown words alone says nothing.
#[test]
fn issue_14_round_16_families() {
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        ("sure thing", None, intent(Intent::Yes)),
        (
            "the fringe sounds great",
            suggest(Bangs),
            edits(vec![direction(Bangs, None)]),
        ),
        (
            "glasses sound good",
            suggest(Eyeglasses),
            edits(vec![direction(Eyeglasses, None)]),
        ),
        (
            "crank the smile up",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "pump her bangs up",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "a cheesier smile pls",
            None,
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "make the bangs shorter, heaps shorter",
            None,
            edits(vec![relative(Bangs, Decrease, 2)]),
        ),
        (
            "they look strange, remove them",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "he looks odd with the beard, remove",
            None,
            edits(vec![target(Beard, 0)]),
        ),
        (
            "glasses off and a smile",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "i'd prefer a fringe",
            suggest(Eyeglasses),
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
        (
            "blarg, give her bangs",
            None,
            edits(vec![direction(Bangs, Some(Increase))]),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    for (text, a) in [
        ("dont make her look sad", Smiling),
        ("florp the glasses", Eyeglasses),
    ] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1
                && got.edits[0].attribute == a
                && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {got:?}"
        );
    }
}

/// Issue 14, round 17 (each from the development data: dev17, the opened sealed16, older sets):
/// a wish with no size is a way up, not the corpus's degree; "teeth" names the smile; a vague verb
/// is asked; "not X, Y" removes nothing of X; nouns run together after a removal are each removed;
/// a typo repaired into a removal word ("pitch" as "ditch") removes nothing; a level beats the
/// removal verb that takes the attribute there.
#[test]
fn issue_14_round_17_families() {
    use engine::language::Question;
    let enc = encoder();
    let suggest = |a| Some(SystemContext::Suggest(a));
    let check_of = |a| Some(SystemContext::Check(a));
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "give him a proper beard",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        (
            "could he have some scruff",
            None,
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        // A word of size keeps the degree.
        ("a tiny bit of scruff", None, edits(vec![target(Beard, 1)])),
        ("a neat short beard", None, edits(vec![target(Beard, 2)])),
        (
            "more teeth pls",
            check_of(Smiling),
            edits(vec![direction(Smiling, Some(Increase))]),
        ),
        (
            "a smile showing all her teeth",
            None,
            edits(vec![target(Smiling, 3)]),
        ),
        (
            "make her smile but no teeth",
            None,
            edits(vec![target(Smiling, 1)]),
        ),
        (
            "pitch black shades",
            None,
            edits(vec![target(Eyeglasses, 5)]),
        ),
        (
            "remove everything, glasses beard and smile",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                target(Beard, 0),
                target(Smiling, 0),
            ]),
        ),
        (
            "not the beard, the glasses, remove them",
            None,
            edits(vec![target(Eyeglasses, 0)]),
        ),
        (
            "not glasses, a beard",
            suggest(Eyeglasses),
            edits(vec![direction(Beard, Some(Increase))]),
        ),
        // "no X, ..." still removes X.
        (
            "no glasses, no beard",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "drop the glasses to level 1",
            None,
            edits(vec![target(Eyeglasses, 1)]),
        ),
        ("bangs out please", None, edits(vec![target(Bangs, 0)])),
        (
            "tidy the beard, its too long",
            None,
            edits(vec![direction(Beard, Some(Decrease))]),
        ),
        (
            "stick some shades on the lad",
            None,
            edits(vec![target(Eyeglasses, 4)]),
        ),
        ("santa claus beard", None, edits(vec![target(Beard, 5)])),
        (
            "give her long bangs that cover her forehead",
            None,
            edits(vec![target(Bangs, 5)]),
        ),
        (
            "make them clear glasses",
            check_of(Eyeglasses),
            edits(vec![target(Eyeglasses, 2)]),
        ),
        ("you're a cool bot", None, intent(Intent::Thanks)),
        ("thanks a ton", None, intent(Intent::Thanks)),
        (
            "wat changes did u make",
            None,
            intent(Intent::Ask(Question::History)),
        ),
        (
            "can you make me look like a movie star",
            None,
            intent(Intent::Unknown),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    for (text, a) in [
        ("do something to the smile", Smiling),
        ("tweak the beard", Beard),
        ("fix the glasses", Eyeglasses),
    ] {
        let got = enc.parse(text, None);
        assert!(
            got.edits.len() == 1
                && got.edits[0].attribute == a
                && got.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {got:?}"
        );
    }
}

/// Issue 14, round 15: after a removal, "a" / "an" before a noun wishes for it (sealed14's
/// polarity error "specs gone and a smile pls"); after "the" / "some" the noun is removed too. A
/// negator right before a removal verb is asked.
#[test]
fn issue_14_round_15_families() {
    let enc = encoder();
    let cases: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "specs gone and a smile pls",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Smiling, Some(Increase)),
            ]),
        ),
        (
            "shades off and a fringe",
            None,
            edits(vec![
                target(Eyeglasses, 0),
                direction(Bangs, Some(Increase)),
            ]),
        ),
        (
            "lose the beard and a laugh",
            None,
            edits(vec![target(Beard, 0), target(Smiling, 4)]),
        ),
        (
            "get rid of the shades and stubble",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "ditch the glasses and some stubble",
            None,
            edits(vec![target(Eyeglasses, 0), target(Beard, 0)]),
        ),
        (
            "beard gone and the smile",
            None,
            edits(vec![target(Beard, 0), target(Smiling, 0)]),
        ),
        // Session 18 (the demo's "give him a light beard" after a glasses check became "a long
        // but thin beard", 4): a light beard is 2, a little one 1, in any context.
        (
            "give him a light beard",
            Some(SystemContext::Check(Eyeglasses)),
            edits(vec![target(Beard, 2)]),
        ),
        (
            "give him a light beard",
            Some(SystemContext::Suggest(Age)),
            edits(vec![target(Beard, 2)]),
        ),
        (
            "a little beard",
            Some(SystemContext::Check(Eyeglasses)),
            edits(vec![target(Beard, 1)]),
        ),
    ];
    for (text, context, want) in cases {
        check(&enc, text, context, want);
    }
    // "what is a N": what a level means; "cute" after a check; a cartoon is no edit.
    let check_of = |a| Some(SystemContext::Check(a));
    let words: Vec<(&str, Option<SystemContext>, ParsedRequest)> = vec![
        (
            "whats a 4 for the glasses",
            None,
            intent(Intent::Ask(engine::language::Question::Meaning(Some(
                Eyeglasses,
            )))),
        ),
        (
            "what is a 2 on the smile scale",
            None,
            intent(Intent::Ask(engine::language::Question::Meaning(Some(
                Smiling,
            )))),
        ),
        ("so cute", check_of(Bangs), intent(Intent::Yes)),
        ("turn her into a cartoon", None, intent(Intent::Unknown)),
    ];
    for (text, context, want) in words {
        check(&enc, text, context, want);
    }
    // A negated removal is asked, never carried out as a removal (dev15's polarity error "dont
    // remove the glasses, make them darker").
    for text in [
        "dont remove the glasses",
        "don't take off his glasses",
        "dont shave the beard",
        "do not get rid of the smile",
    ] {
        let got = enc.parse(text, None);
        assert!(
            !got.edits.is_empty() && got.edits.iter().all(|e| e.kind == EditKind::Unclear),
            "{text:?} -> {got:?}"
        );
    }
}

/// Round 17 follow-up (sealed17's worst miss, "make her a bit younger, like 5 years", read as age
/// degree 0, a child): a number of years with a way of the age and no "old" is an amount of
/// change, one degree per decade (at least one), in its own clause or in the way's; with "old"
/// it is still an age.
#[test]
fn a_number_of_years_beside_a_way_is_an_amount() {
    let enc = encoder();
    let cases: Vec<(&str, ParsedRequest)> = vec![
        (
            "make her a bit younger, like 5 years",
            edits(vec![relative(Age, Direction::Decrease, 1)]),
        ),
        (
            "a bit younger, like 5 years",
            edits(vec![relative(Age, Direction::Decrease, 1)]),
        ),
        (
            "make him older, maybe ten years or so",
            edits(vec![relative(Age, Direction::Increase, 1)]),
        ),
        (
            "a bit older like 10 years",
            edits(vec![relative(Age, Direction::Increase, 1)]),
        ),
        (
            "younger, around 20 years",
            edits(vec![relative(Age, Direction::Decrease, 2)]),
        ),
        (
            "5 years older",
            edits(vec![relative(Age, Direction::Increase, 1)]),
        ),
        (
            "make her 5 years younger",
            edits(vec![relative(Age, Direction::Decrease, 1)]),
        ),
        ("make her 5 years old", edits(vec![target(Age, 0)])),
        ("make him look about 70", edits(vec![target(Age, 5)])),
    ];
    for (text, want) in cases {
        check(&enc, text, None, want);
    }
}
