//! The dialog's context rules (engine/src/dialog/CONTEXT.md) with the real language encoder and
//! the test double engine: greetings, questions, "more" after an edit and a suggestion, and a
//! clarifying question that leads to the right edit.

mod dialog_support;

use dialog_support::DoubleEngine;
use engine::dialog::{Conversation, Event, Feedback, Note, Phase};
use engine::language::LanguageEncoder;
use engine::Attribute::{Beard, Smiling};

fn encoder() -> LanguageEncoder {
    LanguageEncoder::load(engine::language::committed_weights_path()).unwrap()
}

#[test]
fn greeting_question_and_continuing_the_last_edit() {
    let enc = encoder();
    let engine = DoubleEngine::default();
    let mut conv = Conversation::new(7);
    conv.handle_with_parser(Event::SeedFace(4), &engine, &enc);
    let reply = conv.handle_with_parser(Event::Text("hey".into()), &engine, &enc);
    assert_eq!(reply.notes, vec![Note::SmallTalk], "{}", reply.text);
    let before = conv.face.as_ref().unwrap().degrees[&Smiling];
    let reply = conv.handle_with_parser(Event::Text("bigger smile".into()), &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Edited(Smiling)], "{}", reply.text);
    // The bot suggests the beard; "more" still continues the smile.
    conv.dialog.feedback = Feedback::Suggest(Beard);
    conv.dialog.phase = Phase::Edit;
    let reply = conv.handle_with_parser(Event::Text("more".into()), &engine, &enc);
    assert_eq!(reply.notes, vec![Note::Edited(Smiling)], "{}", reply.text);
    assert_eq!(conv.face.as_ref().unwrap().degrees[&Smiling], before + 2);
    let reply = conv.handle_with_parser(
        Event::Text("what did you change so far?".into()),
        &engine,
        &enc,
    );
    assert_eq!(reply.notes, vec![Note::Answered]);
    assert!(
        reply.text.contains("the smile from degree"),
        "{}",
        reply.text
    );
    assert_eq!(conv.face.as_ref().unwrap().degrees[&Smiling], before + 2);
}

#[test]
fn removal_is_never_read_as_adding() {
    let enc = encoder();
    let engine = DoubleEngine::default();
    let mut conv = Conversation::new(7);
    conv.handle_with_parser(Event::SeedFace(4), &engine, &enc);
    conv.handle_with_parser(
        Event::Text("set the beard to level 3".into()),
        &engine,
        &enc,
    );
    assert_eq!(conv.face.as_ref().unwrap().degrees[&Beard], 3);
    let reply = conv.handle_with_parser(Event::Text("lose the beard".into()), &engine, &enc);
    assert_eq!(
        conv.face.as_ref().unwrap().degrees[&Beard],
        0,
        "{}",
        reply.text
    );
}
