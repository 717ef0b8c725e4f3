//! Every context rule of `engine/src/dialog/CONTEXT.md`, cell by cell, with the real language
//! encoder (the parse matters) and the test double engine (the face does not): what "yes", "no",
//! "more", "a bit more", "less", "too much", "the other way", "remove it", "level N" and "the
//! maximum" do after an edit and a check, after a suggestion, after an edit and a suggestion, and
//! after a "which way?" question. Then every clarifying question the dialog asks is answered with
//! each of its own quick replies and with typed answers, and must lead to the edit of the right
//! attribute in the right direction.

mod dialog_support;

use dialog_support::DoubleEngine;
use engine::dialog::{Conversation, Event, Feedback, Note, Phase, Reply};
use engine::language::{Direction, EditKind, LanguageEncoder};
use engine::Attribute::{self, Age, Bangs, Beard, Eyeglasses, Smiling};

fn encoder() -> LanguageEncoder {
    LanguageEncoder::load(engine::language::committed_weights_path()).unwrap()
}

/// Every attribute starts at degree 2 and can reach 0..=5, so each way is open.
fn engine() -> DoubleEngine {
    DoubleEngine {
        start_degrees: [2; 5],
        max_degree: [5; 5],
        ..DoubleEngine::default()
    }
}

fn degree(conv: &Conversation, a: Attribute) -> u8 {
    conv.face.as_ref().unwrap().degrees[&a]
}

fn say(conv: &mut Conversation, text: &str, engine: &DoubleEngine, enc: &LanguageEncoder) -> Reply {
    conv.handle_with_parser(Event::Text(text.into()), engine, enc)
}

/// The states of CONTEXT.md's columns. A is the beard, B the smile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// "make the beard longer" (2 -> 3), then the bot checks the beard.
    EditCheck,
    /// A fresh face; the bot suggests the smile.
    Suggest,
    /// "make the beard longer" (2 -> 3), then the bot suggests the smile.
    EditSuggest,
    /// As `EditCheck`, then "no": the bot asks which way for the beard.
    WhichWay,
    /// "make the beard longer" (2 -> 3), then the bot asks what next ("What's next?").
    EditAskNext,
}

fn setup(before: Before, engine: &DoubleEngine, enc: &LanguageEncoder) -> Conversation {
    let mut conv = Conversation::new(11);
    conv.handle_with_parser(Event::SeedFace(3), engine, enc);
    if before == Before::Suggest {
        conv.dialog.feedback = Feedback::Suggest(Smiling);
        conv.dialog.phase = Phase::NoEdit;
        return conv;
    }
    let reply = say(&mut conv, "make the beard longer", engine, enc);
    assert_eq!(reply.notes, vec![Note::Edited(Beard)], "{}", reply.text);
    assert_eq!(degree(&conv, Beard), 3);
    // The feedback after an edit is a random choice; fix the one the column is about.
    conv.dialog.feedback = match before {
        Before::EditSuggest => Feedback::Suggest(Smiling),
        Before::EditAskNext => Feedback::AskNext,
        _ => Feedback::Check(Beard),
    };
    if before == Before::WhichWay {
        let reply = say(&mut conv, "no", engine, enc);
        assert_eq!(
            reply.feedback,
            Feedback::ClarifyDirection(Beard),
            "{}",
            reply.text
        );
        assert!(reply.quick_replies.contains(&"remove it".to_string()));
    }
    conv
}

/// What a cell expects.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Beard and smile degrees after the reply (something was edited).
    Degrees(u8, u8),
    /// Nothing edited; these notes and this closing question.
    Asks(&'static [Note], Feedback),
    /// Nothing edited; this note.
    Noted(Note),
}

#[test]
fn every_cell_of_the_context_table() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let which_way = Feedback::ClarifyDirection(Beard);
    // (before, reply, then). Beard starts at 3 after the edit (it started at 2), smile at 2.
    let table: Vec<(Before, &str, Then)> = vec![
        // "yes"
        (EditCheck, "yes", Noted(Note::Satisfied(Beard))),
        (Suggest, "yes", Degrees(2, 3)),
        (EditSuggest, "yes", Degrees(3, 3)),
        (WhichWay, "yes", Asks(&[Note::NotUnderstood], which_way)),
        // "no"
        (EditCheck, "no", Asks(&[], which_way)),
        (Suggest, "no", Noted(Note::Declined(Smiling))),
        (EditSuggest, "no", Noted(Note::Declined(Smiling))),
        (WhichWay, "no", Asks(&[Note::NotUnderstood], which_way)),
        // "more", "a bit more"
        (EditCheck, "more", Degrees(4, 2)),
        (EditCheck, "a bit more", Degrees(4, 2)),
        (Suggest, "more", Degrees(2, 3)),
        (Suggest, "a bit more", Degrees(2, 3)),
        (EditSuggest, "more", Degrees(4, 2)),
        (EditSuggest, "a bit more", Degrees(4, 2)),
        (WhichWay, "more", Degrees(4, 2)),
        (WhichWay, "a bit more", Degrees(4, 2)),
        // "less", "too much"
        (EditCheck, "less", Degrees(2, 2)),
        (EditCheck, "too much", Degrees(2, 2)),
        (Suggest, "less", Degrees(2, 1)),
        (Suggest, "too much", Degrees(2, 1)),
        (EditSuggest, "less", Degrees(2, 2)),
        (EditSuggest, "too much", Degrees(2, 2)),
        (WhichWay, "less", Degrees(2, 2)),
        (WhichWay, "too much", Degrees(2, 2)),
        // "the other way": one degree past where the last edit (2 -> 3) started, the other way.
        (EditCheck, "the other way", Degrees(1, 2)),
        (EditCheck, "no, the other way", Degrees(1, 2)),
        (EditSuggest, "the other way", Degrees(1, 2)),
        (EditSuggest, "wrong way", Degrees(1, 2)),
        (Suggest, "the other way", Noted(Note::NotUnderstood)),
        // "remove it", "level 1", "the maximum"
        (EditCheck, "remove it", Degrees(0, 2)),
        (EditCheck, "level 1", Degrees(1, 2)),
        (EditCheck, "the maximum", Degrees(5, 2)),
        (Suggest, "remove it", Degrees(2, 0)),
        (Suggest, "level 4", Degrees(2, 4)),
        (Suggest, "the maximum", Degrees(2, 5)),
        (EditSuggest, "remove it", Degrees(3, 0)),
        (EditSuggest, "level 4", Degrees(3, 4)),
        (EditSuggest, "the maximum", Degrees(3, 5)),
        (WhichWay, "remove it", Degrees(0, 2)),
        (WhichWay, "level 1", Degrees(1, 2)),
        (WhichWay, "the maximum", Degrees(5, 2)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The table's column "after an edit of A + what next?" (round 17 follow-up): a bare adjustment
/// right after an edit whose closing question was the open "What's next?" continues the edit
/// (it had asked "More or less of what?", seen in `chat`). After an edit that did not move the
/// face, or after the user said it is good, nothing is under discussion: "more" asks which part.
#[test]
fn a_bare_adjustment_after_an_edit_and_what_next_continues_the_edit() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (EditAskNext, "more", Degrees(4, 2)),
        (EditAskNext, "a bit more", Degrees(4, 2)),
        (EditAskNext, "less", Degrees(2, 2)),
        (EditAskNext, "too much", Degrees(2, 2)),
        (EditAskNext, "the other way", Degrees(1, 2)),
        // "remove it" is not a bare adjustment: with no closing question naming an attribute,
        // "it" is asked about rather than guessed.
        (
            EditAskNext,
            "remove it",
            Asks(&[Note::NotUnderstood], Feedback::ClarifyAttribute),
        ),
        (EditAskNext, "make the smile bigger", Degrees(3, 3)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Satisfied, then "more": nothing under discussion.
    let mut conv = setup(EditCheck, &engine, &enc);
    let reply = say(&mut conv, "yes", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Satisfied(Beard)], "{}", reply.text);
    conv.dialog.feedback = Feedback::AskNext;
    let reply = say(&mut conv, "more", &engine, &enc);
    assert_eq!(reply.feedback, Feedback::ClarifyAttribute, "{}", reply.text);
    assert_eq!((degree(&conv, Beard), degree(&conv, Smiling)), (3, 2));

    // An edit that could not move the face, then "more": asked, not the earlier beard.
    let stuck = DoubleEngine {
        start_degrees: [2; 5],
        max_degree: [5, 5, 5, 2, 5],
        ..DoubleEngine::default()
    };
    let mut conv = Conversation::new(11);
    conv.handle_with_parser(Event::SeedFace(3), &stuck, &enc);
    say(&mut conv, "make the beard longer", &stuck, &enc);
    assert_eq!(degree(&conv, Beard), 3);
    let reply = say(&mut conv, "a bigger smile", &stuck, &enc);
    assert_eq!(
        reply.notes,
        vec![Note::CannotGoFurther(Smiling)],
        "{}",
        reply.text
    );
    conv.dialog.feedback = Feedback::AskNext;
    let reply = say(&mut conv, "more", &stuck, &enc);
    assert_eq!(reply.feedback, Feedback::ClarifyAttribute, "{}", reply.text);
    assert_eq!(degree(&conv, Beard), 3);
}

/// Plays each (state, reply, expectation) of a table; the failures, described.
fn play(
    table: &[(Before, &str, Then)],
    enc: &LanguageEncoder,
    engine: &DoubleEngine,
) -> Vec<String> {
    use Then::*;
    let mut failures = Vec::new();
    for &(before, text, then) in table {
        let mut conv = setup(before, engine, enc);
        let (beard, smile) = (degree(&conv, Beard), degree(&conv, Smiling));
        let parsed = enc.parse(text, conv.context_for(text));
        let reply = say(&mut conv, text, engine, enc);
        let got = (degree(&conv, Beard), degree(&conv, Smiling));
        let ok = match then {
            Degrees(b, s) => got == (b, s),
            Asks(note, feedback) => {
                got == (beard, smile) && reply.notes == note && reply.feedback == feedback
            }
            Noted(note) => got == (beard, smile) && reply.notes == vec![note],
        };
        if !ok {
            failures.push(format!(
                "{before:?} {text:?}: want {then:?}, got beard {} smile {} notes {:?} feedback {:?} \
                 (parsed {}) {:?}",
                got.0,
                got.1,
                reply.notes,
                reply.feedback,
                serde_json::to_string(&parsed).unwrap(),
                reply.text
            ));
        }
    }
    failures
}

/// Replies of the third natural set's kinds (issue 14, round 3) in the states of the context
/// table: short "no" and satisfied replies with other words ("lol no", "they look lovely"), "the
/// other way" beside a way, "way too" / "a little too", bare adjustments without "a" ("bit
/// more"), an amount agreed to a suggestion ("yes, but only a little", "yeah a lot"), removal
/// phrases and negation through an object, and "make him smile", which the network alone was
/// unsure of.
#[test]
fn third_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let which_way = Feedback::ClarifyDirection(Beard);
    let table: Vec<(Before, &str, Then)> = vec![
        (EditCheck, "lol no", Asks(&[], which_way)),
        (EditCheck, "hmm, nope", Asks(&[], which_way)),
        (EditCheck, "looks good", Noted(Note::Satisfied(Beard))),
        (EditCheck, "they look lovely", Noted(Note::Satisfied(Beard))),
        (EditCheck, "no, the other way, shorter", Degrees(1, 2)),
        (EditCheck, "way too long", Degrees(2, 2)),
        (EditCheck, "a little too long", Degrees(2, 2)),
        (EditCheck, "bit more", Degrees(4, 2)),
        (EditSuggest, "bit more", Degrees(4, 2)),
        (EditSuggest, "a touch less", Degrees(2, 2)),
        (Suggest, "yes, but only a little", Degrees(2, 3)),
        (Suggest, "yeah a lot", Degrees(2, 4)),
        (Suggest, "lol no", Noted(Note::Declined(Smiling))),
        (EditCheck, "the beard has to go", Degrees(0, 2)),
        (EditCheck, "dont let him smile", Degrees(3, 0)),
        (EditCheck, "make him smile", Degrees(3, 3)),
        (
            EditSuggest,
            "make both the beard and the smile shorter",
            Degrees(2, 1),
        ),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the fourth round's kinds (issue 14, round 4) in the states of the context table:
/// levels that name no attribute, "one" for the attribute under discussion, "leave it", an
/// amount said after the way, a new removal verb, and an unknown verb (asked).
#[test]
fn fourth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (EditCheck, "level 5", Degrees(5, 2)),
        (EditCheck, "make it a 1", Degrees(1, 2)),
        (WhichWay, "level 5", Degrees(5, 2)),
        (WhichWay, "the maximum", Degrees(5, 2)),
        (Suggest, "level 4", Degrees(2, 4)),
        (Suggest, "a big one", Degrees(2, 3)),
        (Suggest, "a small one", Degrees(2, 1)),
        (EditSuggest, "a bigger one", Degrees(3, 3)),
        (
            EditCheck,
            "leave it as it is",
            Noted(Note::Satisfied(Beard)),
        ),
        (
            Suggest,
            "no leave the smile",
            Noted(Note::Declined(Smiling)),
        ),
        (EditCheck, "longer, just a bit", Degrees(4, 2)),
        (EditCheck, "shorter, a lot", Degrees(1, 2)),
        (EditCheck, "bin the beard", Degrees(0, 2)),
        (
            EditCheck,
            "zorp the beard",
            Asks(&[], Feedback::ClarifyDirection(Beard)),
        ),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the eighth round's kinds (issue 14, round 8) in the states of the context table:
/// "no X" declines a suggestion of X (and is X's removal in a message that edits something
/// else), a level after a colon keeps its noun, "not such a long X" and "X--" go down, a
/// removal-shaped word and a removal naming nothing before the nouns remove, and a question
/// about a level is answered, not carried out.
#[test]
fn eighth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (Suggest, "no smile thanks", Noted(Note::Declined(Smiling))),
        (Suggest, "nah, no smiling", Noted(Note::Declined(Smiling))),
        (Suggest, "a longer beard but no smile", Degrees(3, 0)),
        (EditCheck, "beard: 5", Degrees(5, 2)),
        (EditCheck, "smile: 0", Degrees(3, 0)),
        (EditCheck, "not such a long beard", Degrees(2, 2)),
        (EditCheck, "beard--", Degrees(2, 2)),
        (EditCheck, "smile++", Degrees(3, 3)),
        (EditCheck, "unbeard him", Degrees(0, 2)),
        (
            EditCheck,
            "remove everything: beard and smile",
            Degrees(0, 0),
        ),
        (
            EditCheck,
            "what is beard 4",
            Asks(&[Note::Answered], Feedback::Check(Beard)),
        ),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the ninth round's families (issue 14, round 9) in the states of the context table:
/// a level after a pronoun ("make it 1"), a clause whose words say a way after a removal, a way
/// word beside a degree phrase, removal-shaped words with a singular noun, negation through
/// "supposed to have", and a question about the edits. None of them is asked about.
#[test]
fn ninth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (EditCheck, "make it 1", Degrees(1, 2)),
        (EditCheck, "set it to 1", Degrees(1, 2)),
        (EditCheck, "not as bushy", Degrees(2, 2)),
        (EditCheck, "a bit less bushy beard", Degrees(2, 2)),
        (
            EditCheck,
            "lose the beard and make her smile",
            Degrees(0, 3),
        ),
        (EditCheck, "de-whisker him", Degrees(0, 2)),
        (EditCheck, "he isnt supposed to have a beard", Degrees(0, 2)),
        (Suggest, "make it 1", Degrees(2, 1)),
        (
            EditCheck,
            "how many edits have you made",
            Asks(&[Note::Answered], Feedback::Check(Beard)),
        ),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the tenth round's families (issue 14, round 10) in the states of the context
/// table: verbs whose particle says the way ("tone down", "dial it back", "turn it up"), dislike
/// as removal, a limit said alone after a request ("but not too big"), and "head off" as a big
/// laugh. None of them is asked about (the round added no question: wider asking was measured and
/// not kept).
#[test]
fn tenth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (EditCheck, "tone down the beard", Degrees(2, 2)),
        (EditCheck, "dial it back", Degrees(2, 2)),
        (EditCheck, "turn it up a notch", Degrees(4, 2)),
        (EditCheck, "i hate the beard", Degrees(0, 2)),
        (Suggest, "a smile but not too big", Degrees(2, 3)),
        (EditCheck, "bigger smile, but not too big", Degrees(3, 3)),
        (EditSuggest, "make her laugh her head off", Degrees(3, 5)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Issue 14, round 11: replies of the eleventh set's families in the states of the context table
/// (beard 3 after the edit, smile 2): a comment no word of which names anything after a check is
/// "not quite" (the bot asks which way; "kinda odd" had removed the bangs); a bare number after a
/// check or a suggestion is a level of that attribute; "X is fine" declines a suggestion of X; a
/// verb of growing with "out" is a way up; "not X enough" is a way up; the laugh idiom is smile 5;
/// a comment beside a worded way says nothing; a degree noun after a removal is removed.
#[test]
fn eleventh_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let which_way = Feedback::ClarifyDirection(Beard);
    let table: Vec<(Before, &str, Then)> = vec![
        (EditCheck, "kinda odd", Asks(&[], which_way)),
        (EditCheck, "looks kinda off", Asks(&[], which_way)),
        (EditCheck, "4", Degrees(4, 2)),
        (EditCheck, "1 please", Degrees(1, 2)),
        (Suggest, "4", Degrees(2, 4)),
        (EditSuggest, "0", Degrees(3, 0)),
        (Suggest, "her smile is fine", Noted(Note::Declined(Smiling))),
        (
            EditSuggest,
            "the smile looks good as is",
            Noted(Note::Declined(Smiling)),
        ),
        (EditCheck, "grow his beard out", Degrees(4, 2)),
        (EditCheck, "he isnt smiling enough", Degrees(3, 3)),
        (EditSuggest, "make him laugh his butt off", Degrees(3, 5)),
        (EditCheck, "hmm looks weird, shorter", Degrees(2, 2)),
        (
            EditCheck,
            "get rid of the glasses and stubble",
            Degrees(0, 2),
        ),
        (
            EditCheck,
            "i dont want him in a beard anymore",
            Degrees(0, 2),
        ),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Issue 14, round 12: declines said as a statement about the person, keeping the low end of the
/// suggested attribute, comparisons with what is there and adjectives of the checked attribute,
/// smiling idioms, a way said after a suggestion, and two attributes split at a particle.
#[test]
fn twelfth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (
            Suggest,
            "no she hates smiling",
            Noted(Note::Declined(Smiling)),
        ),
        (
            Suggest,
            "nah he never smiles",
            Noted(Note::Declined(Smiling)),
        ),
        (
            EditSuggest,
            "nope keep the poker face",
            Noted(Note::Declined(Smiling)),
        ),
        (
            Suggest,
            "no he looks better serious",
            Noted(Note::Declined(Smiling)),
        ),
        (
            EditSuggest,
            "no, he is smiley enough already",
            Noted(Note::Declined(Smiling)),
        ),
        (EditCheck, "shorter than that", Degrees(2, 2)),
        (EditCheck, "a bit more than that", Degrees(4, 2)),
        (EditCheck, "too scruffy", Degrees(2, 2)),
        (Suggest, "make him crack a smile", Degrees(2, 3)),
        (Suggest, "say cheese", Degrees(2, 3)),
        (
            Suggest,
            "no, give him a fuller beard instead",
            Degrees(3, 2),
        ),
        (EditCheck, "beard off smile on", Degrees(0, 3)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the thirteenth round's families (issue 14, round 13) in the states of the context
/// table: moods of the smile's ends, declines said as "hes fine" or with a mood, praise of the
/// checked attribute by its noun.
#[test]
fn thirteenth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (
            Suggest,
            "no, i want him grumpy",
            Noted(Note::Declined(Smiling)),
        ),
        (
            EditSuggest,
            "nah keep him grumpy",
            Noted(Note::Declined(Smiling)),
        ),
        (Suggest, "nah hes fine", Noted(Note::Declined(Smiling))),
        (
            Suggest,
            "no, he should look serious",
            Noted(Note::Declined(Smiling)),
        ),
        (EditCheck, "perfect beard", Noted(Note::Satisfied(Beard))),
        (Suggest, "make him look less grumpy", Degrees(2, 3)),
        (EditCheck, "make him look grumpy", Degrees(3, 0)),
        (EditSuggest, "a smile would be nice", Degrees(3, 3)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Replies of the fourteenth round's families (issue 14, round 14) in the states of the context
/// table: agreement with the suggested noun, another attribute "instead", "no change to" the
/// suggested attribute, "hell yeah", "a shade" more, and a pronoun clause after a check read as the
/// attribute under discussion.
#[test]
fn fourteenth_round_replies_in_context() {
    use Before::*;
    use Then::*;
    let enc = encoder();
    let engine = engine();
    let table: Vec<(Before, &str, Then)> = vec![
        (Suggest, "yeah a grin", Degrees(2, 3)),
        (Suggest, "hell yeah", Degrees(2, 3)),
        (Suggest, "no, a beard instead", Degrees(3, 2)),
        (
            Suggest,
            "no change to the smile pls",
            Noted(Note::Declined(Smiling)),
        ),
        (
            EditSuggest,
            "no change to his smile",
            Noted(Note::Declined(Smiling)),
        ),
        (EditCheck, "a shade longer", Degrees(4, 2)),
        (EditCheck, "it looks silly, take it off", Degrees(0, 2)),
    ];
    let failures = play(&table, &enc, &engine);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// "grow her bangs out" (issue 14, round 11): hairdressers mean letting the fringe grow until it
/// is gone, others a longer fringe; the bot asks, and every answer leads to its edit.
#[test]
fn bangs_grown_out_are_asked_and_the_answer_is_carried_out() {
    asked_and_answered(&[
        ("grow her bangs out", Bangs),
        ("let the fringe grow out", Bangs),
        ("grow out her fringe", Bangs),
    ]);
}

#[test]
fn agreeing_to_a_suggestion_then_checks_it_and_a_declined_one_is_not_suggested_again() {
    let enc = encoder();
    let engine = engine();
    let mut conv = setup(Before::Suggest, &engine, &enc);
    let reply = say(&mut conv, "yes", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Edited(Smiling)], "{}", reply.text);
    assert_eq!(reply.feedback, Feedback::Check(Smiling));

    let mut conv = setup(Before::Suggest, &engine, &enc);
    say(&mut conv, "no", &engine, &enc);
    assert!(conv.dialog.declined.contains(&Smiling));
    // Twenty more turns without edits never suggest the smile again.
    for _ in 0..20 {
        let reply = say(&mut conv, "hello", &engine, &enc);
        assert_ne!(reply.feedback, Feedback::Suggest(Smiling), "{}", reply.text);
        conv.dialog.feedback = Feedback::AskNext;
        let reply = say(&mut conv, "undo", &engine, &enc);
        assert_ne!(reply.feedback, Feedback::Suggest(Smiling), "{}", reply.text);
    }
}

#[test]
fn small_talk_and_questions_keep_the_closing_question() {
    let enc = encoder();
    let engine = engine();
    // After a suggestion: a greeting and a question, then "yes" still accepts it.
    let mut conv = setup(Before::EditSuggest, &engine, &enc);
    for text in [
        "hi there",
        "what did you change so far?",
        "how big is the smile now?",
    ] {
        let reply = say(&mut conv, text, &engine, &enc);
        assert!(
            matches!(reply.notes.as_slice(), [Note::SmallTalk] | [Note::Answered]),
            "{text:?}: {:?} {}",
            reply.notes,
            reply.text
        );
        assert_eq!(reply.feedback, Feedback::Suggest(Smiling), "{text:?}");
        assert_eq!((degree(&conv, Beard), degree(&conv, Smiling)), (3, 2));
    }
    let reply = say(&mut conv, "yes", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Edited(Smiling)], "{}", reply.text);
    // After a question, "more" still continues the beard (the last edit), not the smile.
    let mut conv = setup(Before::EditSuggest, &engine, &enc);
    say(&mut conv, "what level is the beard at?", &engine, &enc);
    say(&mut conv, "more", &engine, &enc);
    assert_eq!((degree(&conv, Beard), degree(&conv, Smiling)), (4, 2));
    // Thanks after a check means satisfied.
    let mut conv = setup(Before::EditCheck, &engine, &enc);
    let reply = say(&mut conv, "thanks!", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Satisfied(Beard)], "{}", reply.text);
}

/// The degree an answer to "which way?" should lead to, from degree 2.
fn after_answer(answer: &str, a: Attribute) -> Option<u8> {
    let w = engine::dialog::talk::words(a);
    if answer == w.more {
        Some(3)
    } else if answer == w.less {
        Some(1)
    } else if answer == "remove it" {
        Some(0)
    } else {
        None
    }
}

/// "Should the X be more or less?" for every attribute: each quick reply it offers, and typed
/// answers, lead to an edit of that attribute the right way.
#[test]
fn every_which_way_question_is_answerable() {
    let enc = encoder();
    let engine = engine();
    let mut failures = Vec::new();
    for a in Attribute::ALL {
        let mut asked = Conversation::new(5);
        asked.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        asked.dialog.feedback = Feedback::Check(a);
        asked.dialog.phase = Phase::Edit;
        let question = say(&mut asked, "no", &engine, &enc);
        assert_eq!(question.feedback, Feedback::ClarifyDirection(a));
        let w = engine::dialog::talk::words(a);
        let mut answers: Vec<(String, u8)> = Vec::new();
        for reply in &question.quick_replies {
            let want = after_answer(reply, a)
                .unwrap_or_else(|| panic!("{a}: unexpected quick reply {reply:?}"));
            answers.push((reply.clone(), want));
        }
        assert_eq!(answers.len(), if a == Age { 2 } else { 3 }, "{a}");
        for (typed, want) in [
            (format!("{} please", w.more), 3),
            (format!("make it {}", w.less), 1),
            (format!("a bit {}", w.more), 3),
            ("less".to_string(), 1),
            ("level 4".to_string(), 4),
        ] {
            answers.push((typed, want));
        }
        if a != Age {
            answers.push(("get rid of it".into(), 0));
            answers.push(("removed".into(), 0));
        }
        for (answer, want) in answers {
            let mut conv = asked.clone();
            let reply = say(&mut conv, &answer, &engine, &enc);
            let got = degree(&conv, a);
            let others_kept = Attribute::ALL
                .into_iter()
                .filter(|b| *b != a)
                .all(|b| degree(&conv, b) == 2);
            if got != want || !others_kept || reply.notes != vec![Note::Edited(a)] {
                failures.push(format!(
                    "{a} {answer:?}: want {want}, got {got} (others kept: {others_kept}), notes {:?}: {}",
                    reply.notes, reply.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Requests the parser cannot place on one side are asked about with the removal option, and
/// each answer gives the edit it names.
#[test]
fn unclear_requests_are_asked_and_the_answer_is_carried_out() {
    let enc = encoder();
    let engine = engine();
    for (text, a) in [
        ("fix the glasses", Eyeglasses),
        ("adjust the bangs", Bangs),
        ("do something with the beard", Beard),
        // Round 17: read as a removal, confidently, before the vague verbs were listed.
        ("do something to the smile", Smiling),
        ("tweak her bangs", Bangs),
    ] {
        let parsed = enc.parse(text, None);
        assert!(
            parsed.edits.len() == 1
                && parsed.edits[0].attribute == a
                && parsed.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {parsed:?}"
        );
        let mut asked = Conversation::new(9);
        asked.handle_with_parser(Event::SeedFace(2), &engine, &enc);
        let question = say(&mut asked, text, &engine, &enc);
        assert_eq!(question.feedback, Feedback::ClarifyDirection(a), "{text:?}");
        assert!(question.text.contains("removed"), "{}", question.text);
        assert_eq!(degree(&asked, a), 2, "nothing is edited before the answer");
        for answer in question.quick_replies.iter() {
            let want = after_answer(answer, a).unwrap();
            let mut conv = asked.clone();
            let reply = say(&mut conv, answer, &engine, &enc);
            assert_eq!(
                (degree(&conv, a), reply.notes.clone()),
                (want, vec![Note::Edited(a)]),
                "{text:?} then {answer:?}: {}",
                reply.text
            );
        }
    }
}

/// A word the encoder cannot read, where no other word says the way ("zorp the sunglasses": an
/// unknown verb may remove as well as add), is asked about (issue 14, round 4); every quick reply
/// and typed answers lead to the edit they name.
#[test]
fn unknown_words_are_asked_and_the_answer_is_carried_out() {
    asked_and_answered(&[
        ("zorp the sunglasses", Eyeglasses),
        ("florb his beard", Beard),
        ("zwomp her bangs", Bangs),
        ("snorf the smile", Smiling),
    ]);
}

/// Issue 14, round 5 asked about removal-shaped constructions ("un-glasses him", "glasses-free",
/// "hide his glasses"); round 8 carries them out as removals of the attribute the word names
/// (every development set labels them so). An unknown verb is still asked about.
#[test]
fn removal_shaped_words_remove_their_attribute() {
    let enc = encoder();
    let engine = engine();
    let mut failures = Vec::new();
    for (text, a) in [
        ("un-glasses him", Eyeglasses),
        ("un-glasses him lol", Eyeglasses),
        ("hide his glasses", Eyeglasses),
        ("i want him glasses-free", Eyeglasses),
        ("can i see her glassesless", Eyeglasses),
        ("hide the bangs", Bangs),
        ("make him beard-free", Beard),
        ("gimme a beardless version", Beard),
        ("unsmile her", Smiling),
    ] {
        let mut conv = Conversation::new(9);
        conv.handle_with_parser(Event::SeedFace(2), &engine, &enc);
        let before = degree(&conv, a);
        let reply = say(&mut conv, text, &engine, &enc);
        if (degree(&conv, a), reply.notes.clone()) != (0, vec![Note::Edited(a)]) {
            failures.push(format!(
                "{text:?}: from {before} got {} {:?}: {}",
                degree(&conv, a),
                reply.notes,
                reply.text
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    asked_and_answered(&[("whack the fringe", Bangs)]);
}

/// Issue 14, round 6, confirm before acting: a way the network read with no word of the message
/// saying it ("smash the glasses"), or a degree read in a negated clause ("the bangs shouldnt be
/// longer"), is asked about instead of carried out, and every answer (each quick reply, "remove
/// it", a way, a level) leads to that edit. (Round 8 made "kill" a removal word and "not such a
/// big smile", "his beard shouldnt be that long" a way down, so those probes left this list.)
#[test]
fn network_only_ways_are_confirmed_and_the_answer_is_carried_out() {
    asked_and_answered(&[
        ("smash the glasses", Eyeglasses),
        ("slay the fringe", Bangs),
        ("the bangs shouldnt be longer", Bangs),
    ]);
    // (Round 16: "he cant have glasses" left this list: the sets label "he shouldnt have
    // glasses" a removal, and the retrained encoder reads it so; `language_parse` holds it.)
}

/// Each text asks "which way?" about `a` on a face at degree 2, edits nothing before the answer,
/// and each answer leads to its edit.
fn asked_and_answered(cases: &[(&str, Attribute)]) {
    let enc = encoder();
    let engine = engine();
    let mut failures = Vec::new();
    for &(text, a) in cases {
        let parsed = enc.parse(text, None);
        assert!(
            parsed.edits.len() == 1
                && parsed.edits[0].attribute == a
                && parsed.edits[0].kind == EditKind::Unclear,
            "{text:?} -> {parsed:?}"
        );
        let mut asked = Conversation::new(9);
        asked.handle_with_parser(Event::SeedFace(2), &engine, &enc);
        let question = say(&mut asked, text, &engine, &enc);
        assert_eq!(question.feedback, Feedback::ClarifyDirection(a), "{text:?}");
        assert_eq!(degree(&asked, a), 2, "nothing is edited before the answer");
        let w = engine::dialog::talk::words(a);
        let mut answers: Vec<(String, u8)> = question
            .quick_replies
            .iter()
            .map(|r| (r.clone(), after_answer(r, a).unwrap()))
            .collect();
        assert_eq!(answers.len(), 3, "{text:?}: {:?}", question.quick_replies);
        answers.push(("remove it".into(), 0));
        answers.push(("i meant get rid of it".into(), 0));
        answers.push((format!("{} please", w.more), 3));
        answers.push((format!("a bit {}", w.less), 1));
        answers.push(("level 5".into(), 5));
        for (answer, want) in answers {
            let mut conv = asked.clone();
            let reply = say(&mut conv, &answer, &engine, &enc);
            if (degree(&conv, a), reply.notes.clone()) != (want, vec![Note::Edited(a)]) {
                failures.push(format!(
                    "{text:?} then {answer:?}: want {want}, got {} {:?}: {}",
                    degree(&conv, a),
                    reply.notes,
                    reply.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// "more" / "a bit less" with nothing to refer to asks which part; every part it offers, named
/// alone or in a sentence, gets the change that was asked for.
#[test]
fn which_part_question_is_answerable() {
    let enc = encoder();
    let engine = engine();
    let mut failures = Vec::new();
    for (first, want) in [("more", 3u8), ("a bit less", 1u8)] {
        let mut asked = Conversation::new(4);
        asked.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        let question = say(&mut asked, first, &engine, &enc);
        assert_eq!(question.notes, vec![Note::Ambiguous], "{}", question.text);
        assert_eq!(question.feedback, Feedback::ClarifyAttribute);
        assert_eq!(question.quick_replies.len(), Attribute::ALL.len());
        for (answer, a) in question.quick_replies.iter().zip(Attribute::ALL) {
            for typed in [answer.clone(), format!("the {answer}")] {
                let mut conv = asked.clone();
                let reply = say(&mut conv, &typed, &engine, &enc);
                if degree(&conv, a) != want || reply.notes != vec![Note::Edited(a)] {
                    failures.push(format!(
                        "{first:?} then {typed:?}: {a} {} (want {want}), notes {:?}: {}",
                        degree(&conv, a),
                        reply.notes,
                        reply.text
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Issue 14, round 7: a degree read against the way the words say, given the face's current
/// degree, is not carried out as read; the dialog goes one step the words' way. Each probe is
/// read by the parser as a fixed degree (checked), on a face where that degree lies the other
/// way from the current one or on it; degrees the words name and verbs of having keep the
/// reading.
#[test]
fn degrees_against_the_words_way_go_one_step_that_way() {
    let enc = encoder();
    // (text, attribute, degree read, degree of the face, degree after)
    let cases = [
        // Read as degree 3 (thicker) on glasses at 2: one step thinner. (Round 8 reads "less
        // thick glasses" / "more thick glasses", the round's first probes, as ways in the
        // parser: "less" / "more" before a degree phrase is a change; checked below.)
        ("lighter heavy frames", Eyeglasses, 3, 2, 1),
        ("thinner heavy glasses", Eyeglasses, 3, 2, 1),
        // Read as degree 3 (thinner) on glasses at 4: one step thicker.
        ("thicker heavy glasses", Eyeglasses, 3, 4, 5),
        // On it: nothing would change; one step the words' way.
        ("thicker heavy glasses", Eyeglasses, 3, 3, 4),
        ("lighter heavy frames", Eyeglasses, 3, 3, 2),
        // On the words' side: the reading stands.
        ("thicker heavy glasses", Eyeglasses, 3, 1, 3),
        ("lighter heavy frames", Eyeglasses, 3, 5, 3),
        // A verb of having names a kind, whichever side it lies ("add some shades": 4).
        ("add some shades", Eyeglasses, 4, 5, 4),
        // A degree the words name is carried out as said.
        ("put her at age 1", Age, 1, 3, 1),
    ];
    for (text, way) in [
        ("less thick glasses", Direction::Decrease),
        ("more thick glasses", Direction::Increase),
    ] {
        let parsed = enc.parse(text, None);
        assert_eq!(parsed.edits.len(), 1, "{text:?} -> {parsed:?}");
        assert_eq!(parsed.edits[0].kind, EditKind::Direction, "{text:?}");
        assert_eq!(parsed.edits[0].direction, Some(way), "{text:?}");
    }
    let mut failures = Vec::new();
    for (text, a, read, from, want) in cases {
        let parsed = enc.parse(text, None);
        assert!(
            parsed.edits.len() == 1
                && parsed.edits[0].attribute == a
                && parsed.edits[0].kind == EditKind::Target
                && parsed.edits[0].target == Some(read),
            "{text:?} -> {parsed:?}"
        );
        let engine = DoubleEngine {
            start_degrees: [from; 5],
            max_degree: [5; 5],
            ..DoubleEngine::default()
        };
        let mut conv = Conversation::new(13);
        conv.handle_with_parser(Event::SeedFace(4), &engine, &enc);
        assert_eq!(degree(&conv, a), from);
        let reply = say(&mut conv, text, &engine, &enc);
        let got = degree(&conv, a);
        if got != want || reply.notes != vec![Note::Edited(a)] {
            failures.push(format!(
                "{text:?} from {from}: want {want}, got {got} {:?}: {}",
                reply.notes, reply.text
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// At the end of the scale the words' way cannot go: "less thick glasses" on glasses at 0 (read
/// as degree 3) is not carried out as a thickening; the dialog says it cannot go further.
#[test]
fn a_degree_against_the_words_way_at_the_end_of_the_scale_edits_nothing() {
    let enc = encoder();
    let engine = DoubleEngine {
        start_degrees: [0; 5],
        max_degree: [5; 5],
        ..DoubleEngine::default()
    };
    let mut conv = Conversation::new(13);
    conv.handle_with_parser(Event::SeedFace(4), &engine, &enc);
    let reply = say(&mut conv, "less thick glasses", &engine, &enc);
    assert_eq!(degree(&conv, Eyeglasses), 0, "{}", reply.text);
    assert!(
        !reply.notes.contains(&Note::Edited(Eyeglasses)),
        "{}",
        reply.text
    );
}

/// Issue 14's own examples, played in one conversation as in `chat` (round 17 follow-up): every
/// removal phrasing removes, intensity goes up, a level is that level, a greeting and a question
/// are answered without an edit, and "more" after an edit and a suggestion continues the edit.
/// A removal where the face has none says there is none to remove (it had said "the glasses are
/// already there").
#[test]
fn the_issue_examples_in_one_conversation() {
    let enc = encoder();
    let engine = engine();
    let mut conv = Conversation::new(11);
    conv.handle_with_parser(Event::SeedFace(3), &engine, &enc);
    let degrees = |conv: &Conversation| Attribute::ALL.map(|a| degree(conv, a));

    for (text, note) in [
        ("hey", Note::SmallTalk),
        ("hi, what can you do?", Note::Help),
    ] {
        let before = degrees(&conv);
        let reply = say(&mut conv, text, &engine, &enc);
        assert!(reply.notes.contains(&note), "{text:?}: {reply:?}");
        assert_eq!(degrees(&conv), before, "{text:?} edited: {}", reply.text);
    }
    // (message, attribute, degree after it); each starts from the degree the previous left.
    let steps: [(&str, Attribute, u8); 9] = [
        ("sunglasses with a thick frame", Eyeglasses, 5),
        ("lose the shades", Eyeglasses, 0),
        ("sunglasses with a thick frame", Eyeglasses, 5),
        ("shades gone", Eyeglasses, 0),
        ("a really bushy, untidy beard", Beard, 5),
        ("get rid of the beard", Beard, 0),
        ("glasses level 3", Eyeglasses, 3),
        ("ditch the glasses", Eyeglasses, 0),
        ("set the bangs to level 5", Bangs, 5),
    ];
    for (text, attribute, want) in steps {
        let reply = say(&mut conv, text, &engine, &enc);
        assert_eq!(degree(&conv, attribute), want, "{text:?}: {}", reply.text);
    }
    say(&mut conv, "glasses level 2", &engine, &enc);
    let reply = say(&mut conv, "without glasses", &engine, &enc);
    assert_eq!(degree(&conv, Eyeglasses), 0, "{}", reply.text);

    // Nothing left to remove.
    let reply = say(&mut conv, "lose the shades", &engine, &enc);
    assert_eq!(
        reply.notes,
        vec![Note::AlreadyThere(Eyeglasses)],
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains("no glasses") && !reply.text.contains("already there"),
        "{}",
        reply.text
    );

    let before = degrees(&conv);
    let reply = say(&mut conv, "what did you change so far?", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Answered], "{}", reply.text);
    assert!(
        reply.text.contains("the bangs from degree 2 to 5"),
        "{}",
        reply.text
    );
    assert_eq!(degrees(&conv), before);

    // "more" right after an edit, the bot having suggested another attribute.
    let reply = say(&mut conv, "make him a bit older", &engine, &enc);
    assert_eq!(degree(&conv, Age), 3, "{}", reply.text);
    conv.dialog.feedback = Feedback::Suggest(Smiling);
    let reply = say(&mut conv, "more", &engine, &enc);
    assert_eq!(
        (degree(&conv, Age), degree(&conv, Smiling)),
        (4, 2),
        "{}",
        reply.text
    );
}

/// After a removal (degree 0) the check asks about the face without the attribute, never which
/// way it should go ("Are the glasses good now, or should they be thicker or thinner?" asked
/// about glasses that were gone); "yes" keeps it gone, "no" points to undo, and undo brings it
/// back. Age has no removal: its degree 0 is a young face, checked like any degree.
#[test]
fn the_check_after_a_removal_asks_about_the_face_without_it() {
    let enc = encoder();
    let engine = engine();
    // One conversation word for word (seed 3 checks right after the removal).
    let mut conv = Conversation::new(3);
    conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
    let removed = say(&mut conv, "remove the glasses", &engine, &enc);
    assert_eq!(
        removed.text,
        "There you go: I removed the glasses. (degree 0 of 5: no glasses.) Does the face look \
         right without the glasses?"
    );
    assert_eq!(removed.feedback, Feedback::Check(Eyeglasses));
    assert_eq!(removed.quick_replies, ["yes, that's good", "undo"]);
    assert_eq!(degree(&conv, Eyeglasses), 0);
    let mut unhappy = conv.clone();
    let no = say(&mut unhappy, "no", &engine, &enc);
    assert_eq!(
        no.text,
        "Got it, say \"undo\" to bring the glasses back. What's next?"
    );
    assert_eq!(no.feedback, Feedback::AskNext);
    assert!(no.quick_replies.contains(&"undo".to_string()), "{no:?}");
    let undone = say(&mut unhappy, "undo", &engine, &enc);
    assert_eq!(undone.notes, vec![Note::Undone], "{}", undone.text);
    assert_eq!(degree(&unhappy, Eyeglasses), 2);
    let mut seed_9 = Conversation::new(9);
    seed_9.handle_with_parser(Event::SeedFace(1), &engine, &enc);
    say(&mut seed_9, "remove the glasses", &engine, &enc);
    let yes = say(&mut seed_9, "yes", &engine, &enc);
    assert_eq!(yes.notes, vec![Note::Satisfied(Eyeglasses)]);
    let mut seed_11 = Conversation::new(11);
    seed_11.handle_with_parser(Event::SeedFace(1), &engine, &enc);
    say(&mut seed_11, "remove the glasses", &engine, &enc);
    let yes = say(&mut seed_11, "yes", &engine, &enc);
    assert_eq!(
        yes.text,
        "Glad you like it, no glasses then. What would you like to edit next?"
    );

    // Every attribute, over seeds: whenever the bot checks right after a removal, and whatever
    // the user answers, nothing speaks of the gone attribute's way or keeping it.
    for (a, removal) in [
        (Eyeglasses, "remove the glasses"),
        (Beard, "shave the beard"),
        (Bangs, "remove the bangs"),
        (Smiling, "no smile"),
    ] {
        let w = engine::dialog::talk::words(a);
        let mut checks = 0;
        for seed in 0..12 {
            let mut conv = Conversation::new(seed);
            conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
            let reply = say(&mut conv, removal, &engine, &enc);
            assert_eq!(degree(&conv, a), 0, "{removal:?}: {}", reply.text);
            assert_eq!(reply.notes, vec![Note::Edited(a)], "{}", reply.text);
            let gone = format!("I removed {}.", w.the);
            let gone_too = format!("{} {} gone.", w.the, w.be);
            assert!(
                reply.text.contains(&gone) || reply.text.contains(&gone_too),
                "{a}: {}",
                reply.text
            );
            if reply.feedback != Feedback::Check(a) {
                continue;
            }
            checks += 1;
            let question = reply.text.split(".) ").nth(1).unwrap();
            let without = format!("without {}", w.the);
            let with_no = format!("with no {}?", w.name);
            assert!(
                question.contains(&without) || question.ends_with(&with_no),
                "{a}: {question}"
            );
            assert_eq!(reply.quick_replies, ["yes, that's good", "undo"], "{a}");
            for answer in ["yes", "thanks", "no"] {
                let mut c = conv.clone();
                let r = say(&mut c, answer, &engine, &enc);
                for word in [&w.more, &w.less, &w.quality] {
                    assert!(!r.text.contains(word.as_str()), "{a} {answer}: {}", r.text);
                }
                assert!(!r.text.contains("I'll keep"), "{a} {answer}: {}", r.text);
                if answer == "no" {
                    assert!(
                        r.text
                            .contains(&format!("\"undo\" to bring {} back", w.the))
                            || r.text.contains(&format!("\"Undo\" brings {} back", w.the)),
                        "{a}: {}",
                        r.text
                    );
                } else {
                    assert_eq!(r.notes, vec![Note::Satisfied(a)], "{a}: {}", r.text);
                }
            }
        }
        assert!(checks >= 4, "{a}: only {checks} of 12 seeds checked");
    }

    // Age at degree 0 is a young face: the check asks about the age as at any degree.
    let mut checks = 0;
    for seed in 0..12 {
        let mut conv = Conversation::new(seed);
        conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        let reply = say(&mut conv, "set the age to level 0", &engine, &enc);
        assert_eq!(degree(&conv, Age), 0, "{}", reply.text);
        if reply.feedback == Feedback::Check(Age) {
            checks += 1;
            assert!(reply.text.contains("the age"), "{}", reply.text);
            assert!(!reply.text.contains("without"), "{}", reply.text);
            // The youngest face: "a bit younger" could not change it, so it is not offered.
            assert_eq!(
                reply.quick_replies,
                ["yes, that's good", "a bit older", "undo"],
                "{}",
                reply.text
            );
        }
    }
    assert!(checks >= 4, "age: only {checks} of 12 seeds checked");
}

/// Sets `a` to `degree` the way "set the X to level N" does (a parsed target, so the setup does
/// not depend on the encoder) and returns the reply.
fn set_level(conv: &mut Conversation, a: Attribute, degree: u8, engine: &DoubleEngine) -> Reply {
    let parsed = engine::language::ParsedRequest {
        intent: engine::language::Intent::Edit,
        edits: vec![engine::language::EditRequest {
            attribute: a,
            kind: EditKind::Target,
            direction: None,
            target: Some(degree),
            change: None,
        }],
    };
    conv.handle_parsed(&format!("level {degree}"), &parsed, engine)
}

/// Notes that say a message could do nothing: a quick reply offered must never get one.
fn did_nothing(notes: &[Note]) -> bool {
    notes.iter().any(|n| {
        matches!(
            n,
            Note::CannotGoFurther(_)
                | Note::AlreadyThere(_)
                | Note::NothingToUndo
                | Note::NotUnderstood
                | Note::Ambiguous
                | Note::AlreadyEnded
        )
    })
}

/// At the ends of a scale the check offers only the way the degree can go: at degree 5 no "a bit
/// thicker", at age 0 no "a bit younger", after a removal neither (the check about the face
/// without it); "no" then offers only the ways that can act ("thinner" and "remove it" at 5,
/// "older" at age 0). Every answer offered, typed, acts on the face; the ones left out, typed
/// anyway, get a plain sentence and change nothing: "The glasses can't get any thicker on this
/// face.", "The face can't look any younger on this face.", "There are no glasses on this face
/// to remove." (it had said "can't get any thinner" about glasses that were gone).
#[test]
fn checks_at_the_ends_of_the_scales_offer_only_answers_that_can_act() {
    let enc = encoder();
    let engine = engine();
    let talk = engine::dialog::talk::words;
    let mut failures = Vec::new();
    let mut checked = 0;
    for a in Attribute::ALL {
        let w = talk(a);
        let (more, less) = (format!("a bit {}", w.more), format!("a bit {}", w.less));
        for end in [0u8, 5] {
            for seed in 0..10 {
                let mut conv = Conversation::new(seed);
                conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
                let reply = set_level(&mut conv, a, end, &engine);
                assert_eq!(
                    reply.notes,
                    vec![Note::Edited(a)],
                    "{a} {end}: {}",
                    reply.text
                );
                assert!(
                    !reply.quick_replies.contains(&w.request_more) || end < 5,
                    "{a} {end}: {:?}",
                    reply.quick_replies
                );
                if reply.feedback != Feedback::Check(a) {
                    continue;
                }
                checked += 1;
                let removed = end == 0 && a != Age;
                let want: Vec<&str> = match (end, removed) {
                    (5, _) => vec!["yes, that's good", less.as_str(), "undo"],
                    (_, true) => vec!["yes, that's good", "undo"],
                    _ => vec!["yes, that's good", more.as_str(), "undo"],
                };
                assert_eq!(reply.quick_replies, want, "{a} {end}");
                // Each offered answer acts: "a bit ..." moves one degree the offered way.
                for answer in &reply.quick_replies {
                    let mut c = conv.clone();
                    let r = say(&mut c, answer, &engine, &enc);
                    let moved = degree(&c, a) as i32 - end as i32;
                    // "undo" goes back to the face's degree 2.
                    let want_move = if *answer == more {
                        1
                    } else if *answer == less {
                        -1
                    } else if answer == "undo" {
                        2 - end as i32
                    } else {
                        0
                    };
                    if did_nothing(&r.notes) || moved != want_move {
                        failures.push(format!("{a} {end} {answer:?}: {:?} {}", r.notes, r.text));
                    }
                }
                // The one left out, typed anyway: said plainly, nothing changes.
                let (left_out, way) = if end == 5 {
                    (&more, &w.more)
                } else {
                    (&less, &w.less)
                };
                let mut c = conv.clone();
                let r = say(&mut c, left_out, &engine, &enc);
                let plain = if removed {
                    r.notes == vec![Note::AlreadyThere(a)]
                        && (r
                            .text
                            .contains(&format!("no {} on this face to remove.", w.name))
                            || r.text.contains(&format!("no {} to take away", w.name)))
                } else {
                    r.notes == vec![Note::CannotGoFurther(a)]
                        && r.text
                            .to_lowercase()
                            .contains(&format!("{} any {way} on this face.", w.limit))
                };
                if !plain || degree(&c, a) != end || r.feedback == Feedback::Check(a) {
                    failures.push(format!(
                        "{a} {end} typed {left_out:?}: {:?} {}",
                        r.notes, r.text
                    ));
                }
                // Not satisfied: only the ways that can go are offered, and each acts.
                if removed {
                    continue;
                }
                let mut c = conv.clone();
                let question = say(&mut c, "no", &engine, &enc);
                assert_eq!(question.feedback, Feedback::ClarifyDirection(a));
                let want: Vec<&str> = match (end, a) {
                    (5, Age) => vec![w.less.as_str()],
                    (5, _) => vec![w.less.as_str(), "remove it"],
                    _ => vec![w.more.as_str()],
                };
                assert_eq!(question.quick_replies, want, "{a} {end}");
                for answer in &question.quick_replies {
                    let mut c = c.clone();
                    let r = say(&mut c, answer, &engine, &enc);
                    if r.notes != vec![Note::Edited(a)] || degree(&c, a) == end {
                        failures.push(format!(
                            "{a} {end} no, {answer:?}: {:?} {}",
                            r.notes, r.text
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} checks at the ends");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The exact check replies at the top of the glasses' scale and at age 0 (seed 1 checks).
#[test]
fn the_check_at_degree_5_and_at_age_0_word_for_word() {
    let enc = encoder();
    let engine = engine();
    let mut conv = Conversation::new(1);
    conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
    let reply = say(&mut conv, "set the glasses to level 5", &engine, &enc);
    assert_eq!(degree(&conv, Eyeglasses), 5, "{}", reply.text);
    assert_eq!(
        reply.feedback,
        Feedback::Check(Eyeglasses),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.quick_replies,
        ["yes, that's good", "a bit thinner", "undo"]
    );
    let anyway = say(&mut conv.clone(), "a bit thicker", &engine, &enc);
    assert!(
        anyway
            .text
            .starts_with("The glasses can't get any thicker on this face.")
            || anyway
                .text
                .starts_with("Sorry, the glasses can't get any thicker on this face.")
            || anyway
                .text
                .starts_with("Unfortunately, the glasses can't get any thicker on this face."),
        "{}",
        anyway.text
    );
    let mut conv = Conversation::new(1);
    conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
    let reply = say(&mut conv, "set the age to level 0", &engine, &enc);
    assert_eq!(degree(&conv, Age), 0, "{}", reply.text);
    assert_eq!(reply.feedback, Feedback::Check(Age), "{}", reply.text);
    assert_eq!(
        reply.quick_replies,
        ["yes, that's good", "a bit older", "undo"]
    );
}

/// "More of what?" offers only the parts that can go that way (none at degree 5 for "more", age
/// 0 and removed parts not for "less"), and each part offered gets the change.
#[test]
fn which_part_offers_only_parts_that_can_go_that_way() {
    let enc = encoder();
    // Bangs, glasses and beard at the top, the smile in the middle, age at 0.
    let engine = DoubleEngine {
        start_degrees: [5, 5, 5, 2, 0],
        max_degree: [5; 5],
        ..DoubleEngine::default()
    };
    let mut failures = Vec::new();
    for (first, want, way) in [
        ("more", vec!["smile", "age"], 1i32),
        ("a bit less", vec!["bangs", "glasses", "beard", "smile"], -1),
    ] {
        let mut asked = Conversation::new(4);
        asked.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        let question = say(&mut asked, first, &engine, &enc);
        assert_eq!(question.notes, vec![Note::Ambiguous], "{}", question.text);
        assert_eq!(question.quick_replies, want, "{first:?}");
        for answer in &question.quick_replies {
            let a = Attribute::ALL
                .into_iter()
                .find(|a| engine::dialog::talk::words(*a).name == *answer)
                .unwrap();
            let before = degree(&asked, a) as i32;
            let mut conv = asked.clone();
            let reply = say(&mut conv, answer, &engine, &enc);
            if reply.notes != vec![Note::Edited(a)] || degree(&conv, a) as i32 != before + way {
                failures.push(format!(
                    "{first:?} then {answer:?}: {:?} {}",
                    reply.notes, reply.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// "More" with every part at degree 5 ("a bit less" with every part at 0): nothing can go that
/// way, so the question says so and offers every part to move the other way (it had offered no
/// quick reply at all); each answer, typed, moves its part one degree the other way.
#[test]
fn which_part_with_every_part_at_the_end_offers_the_other_way() {
    let enc = encoder();
    let mut failures = Vec::new();
    for (start, first, way, said) in [
        (5u8, "more", -1i32, "nothing can go any higher"),
        (0, "a bit less", 1, "nothing can go any lower"),
    ] {
        let engine = DoubleEngine {
            start_degrees: [start; 5],
            max_degree: [5; 5],
            ..DoubleEngine::default()
        };
        let mut asked = Conversation::new(4);
        asked.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        let question = say(&mut asked, first, &engine, &enc);
        assert_eq!(question.notes, vec![Note::Ambiguous], "{}", question.text);
        assert!(question.text.contains(said), "{}", question.text);
        assert_eq!(
            question.quick_replies,
            ["bangs", "glasses", "beard", "smile", "age"],
            "{first:?}"
        );
        for answer in &question.quick_replies {
            let a = Attribute::ALL
                .into_iter()
                .find(|a| engine::dialog::talk::words(*a).name == *answer)
                .unwrap();
            let mut conv = asked.clone();
            let reply = say(&mut conv, answer, &engine, &enc);
            if reply.notes != vec![Note::Edited(a)] || degree(&conv, a) as i32 != start as i32 + way
            {
                failures.push(format!(
                    "{first:?} then {answer:?}: {:?} {}",
                    reply.notes, reply.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// "Which way?" about a part the face does not have (an unclear request, degree 0) offers only
/// giving it some: nothing can be shorter or removed.
#[test]
fn which_way_about_a_missing_part_offers_only_more() {
    let enc = encoder();
    let engine = DoubleEngine {
        start_degrees: [0; 5],
        max_degree: [5; 5],
        ..DoubleEngine::default()
    };
    let mut asked = Conversation::new(9);
    asked.handle_with_parser(Event::SeedFace(2), &engine, &enc);
    let question = say(&mut asked, "florb his beard", &engine, &enc);
    assert_eq!(
        question.feedback,
        Feedback::ClarifyDirection(Beard),
        "{}",
        question.text
    );
    assert_eq!(question.quick_replies, ["longer"]);
    let reply = say(&mut asked.clone(), "longer", &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Edited(Beard)], "{}", reply.text);
    let reply = say(&mut asked.clone(), "remove it", &engine, &enc);
    assert_eq!(
        reply.notes,
        vec![Note::AlreadyThere(Beard)],
        "{}",
        reply.text
    );
    assert!(reply.text.contains("no beard"), "{}", reply.text);
}

/// Over many conversations that go to the ends of the scales, every quick reply the bot offers,
/// typed, does something: never "can't get any ...", "already ...", "nothing to undo", "I didn't
/// understand" or "more of what?".
#[test]
fn every_quick_reply_offered_acts() {
    let enc = encoder();
    let engine = engine();
    const LINES: &[&str] = &[
        "set the glasses to level 5",
        "remove the glasses",
        "give him the longest beard",
        "shave the beard",
        "set the age to level 0",
        "set the age to level 5",
        "set the smile to level 5",
        "no smile",
        "set the bangs to level 5",
        "remove the bangs",
        "more",
        "a bit less",
        "no",
        "yes",
        "undo",
    ];
    let mut failures = Vec::new();
    let mut tried = 0;
    for seed in 0..8u64 {
        let mut conv = Conversation::new(seed);
        conv.handle_with_parser(Event::SeedFace(1), &engine, &enc);
        let mut pick = seed.wrapping_mul(2654435761) + 1;
        for _ in 0..14 {
            pick = pick
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let line = LINES[(pick >> 33) as usize % LINES.len()];
            let reply = say(&mut conv, line, &engine, &enc);
            for answer in &reply.quick_replies {
                tried += 1;
                let r = say(&mut conv.clone(), answer, &engine, &enc);
                if did_nothing(&r.notes) {
                    failures.push(format!(
                        "seed {seed}, after {line:?} ({}), {answer:?}: {:?} {}",
                        reply.text, r.notes, r.text
                    ));
                }
            }
        }
    }
    assert!(tried > 200, "{tried}");
    assert!(
        failures.is_empty(),
        "{} of {tried}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
