//! The talk module's template pools: every sentence names the attribute it is about, every slot
//! is filled, and synonym replacement actually varies the wording.

use engine::dialog::talk::{self, words};
use engine::dialog::DialogRng;
use engine::language::Direction;
use engine::Attribute;
use std::collections::BTreeSet;

fn all_fills(pool: &[&str], attribute: Attribute, direction: Option<Direction>) -> Vec<String> {
    let mut out = Vec::new();
    for template in pool {
        for seed in 0..20 {
            let mut rng = DialogRng::new(seed);
            out.push(talk::fill(template, Some(attribute), direction, &mut rng));
        }
    }
    out
}

fn assert_clean(sentence: &str) {
    assert!(
        !sentence.contains('{') && !sentence.contains('}'),
        "unfilled: {sentence}"
    );
    assert!(
        sentence.chars().next().is_some_and(|c| c.is_uppercase()),
        "not capitalised: {sentence}"
    );
    assert!(!sentence.contains("  "), "double space: {sentence}");
}

#[test]
fn check_and_suggest_sentences_mention_the_attribute_and_are_questions() {
    for attribute in Attribute::ALL {
        let name = words(attribute).name;
        for pool in [talk::CHECK, talk::SUGGEST] {
            for sentence in all_fills(pool, attribute, None) {
                assert_clean(&sentence);
                assert!(sentence.contains(name), "{attribute}: {sentence}");
                assert!(sentence.ends_with('?'), "{attribute}: {sentence}");
            }
        }
        for sentence in all_fills(talk::CLARIFY_DIRECTION, attribute, None) {
            assert_clean(&sentence);
            let w = words(attribute);
            assert!(
                sentence.contains(w.more) && sentence.contains(w.less),
                "{sentence}"
            );
        }
    }
}

#[test]
fn edit_and_limit_sentences_say_which_way() {
    for attribute in Attribute::ALL {
        let w = words(attribute);
        for (direction, adj) in [(Direction::Increase, w.more), (Direction::Decrease, w.less)] {
            for pool in [talk::EDITED, talk::CANNOT_GO_FURTHER] {
                for sentence in all_fills(pool, attribute, Some(direction)) {
                    assert_clean(&sentence);
                    assert!(
                        sentence.contains(adj),
                        "{attribute} {direction:?}: {sentence}"
                    );
                }
            }
        }
        // Apart from age (said of the face), the limit names the attribute.
        if attribute != Attribute::Age {
            for sentence in all_fills(
                talk::CANNOT_GO_FURTHER,
                attribute,
                Some(Direction::Increase),
            ) {
                assert!(sentence.contains(w.name), "{sentence}");
            }
        }
    }
}

#[test]
fn other_pools_fill_cleanly() {
    for pool in [
        talk::ASK_NEXT,
        talk::ASK_NEXT_FOLLOWING,
        talk::ASK_FIRST,
        talk::CLARIFY_ATTRIBUTE,
        talk::UNDONE,
        talk::NOTHING_TO_UNDO,
        talk::RESTARTED,
        talk::FACE_READY,
        talk::GOODBYE,
        talk::ALREADY_ENDED,
        talk::NOT_UNDERSTOOD,
        talk::AMBIGUOUS,
        talk::NEED_FACE,
    ] {
        for template in pool {
            for seed in 0..10 {
                assert_clean(&talk::fill(template, None, None, &mut DialogRng::new(seed)));
            }
        }
    }
    for pool in [talk::SATISFIED, talk::DECLINED, talk::ALREADY_THERE] {
        for attribute in Attribute::ALL {
            for sentence in all_fills(pool, attribute, None) {
                assert_clean(&sentence);
            }
        }
    }
}

#[test]
fn synonyms_vary_the_wording() {
    for (pool, attribute) in [
        (talk::CHECK, Attribute::Bangs),
        (talk::SUGGEST, Attribute::Age),
        (talk::ASK_NEXT, Attribute::Smiling),
    ] {
        let distinct: BTreeSet<String> = (0..60)
            .map(|seed| talk::say(pool, Some(attribute), None, &mut DialogRng::new(seed)))
            .collect();
        assert!(
            distinct.len() >= 6,
            "only {} variants: {distinct:?}",
            distinct.len()
        );
    }
    // The same template with different synonym draws.
    let distinct: BTreeSet<String> = (0..40)
        .map(|seed| {
            talk::fill(
                talk::SUGGEST[0],
                Some(Attribute::Beard),
                None,
                &mut DialogRng::new(seed),
            )
        })
        .collect();
    assert!(distinct.len() >= 3, "{distinct:?}");
}

#[test]
fn the_papers_examples() {
    let mut rng = DialogRng::new(0);
    let s = talk::fill(
        "{Be} {the} the {quality} you like now?",
        Some(Attribute::Bangs),
        None,
        &mut rng,
    );
    assert_eq!(s, "Are the bangs the length you like now?");
    let s = talk::fill(
        "Do you want to try manipulating {the}?",
        Some(Attribute::Age),
        None,
        &mut rng,
    );
    assert_eq!(s, "Do you want to try manipulating the age?");
}

#[test]
fn added_and_removed_sentences_name_the_attribute() {
    for attribute in Attribute::ALL.into_iter().filter(|a| *a != Attribute::Age) {
        let name = words(attribute).name;
        for pool in [talk::ADDED, talk::REMOVED] {
            for sentence in all_fills(pool, attribute, Some(Direction::Increase)) {
                assert_clean(&sentence);
                assert!(sentence.contains(name), "{attribute}: {sentence}");
            }
        }
    }
}

#[test]
fn could_not_add_sentences_name_what_was_asked_for() {
    for attribute in Attribute::ALL {
        if attribute == Attribute::Age {
            continue;
        }
        let w = words(attribute);
        for sentence in all_fills(talk::COULD_NOT_ADD, attribute, Some(Direction::Increase)) {
            assert_clean(&sentence);
            assert!(sentence.contains(w.name), "{attribute}: {sentence}");
            assert!(!sentence.contains(w.more), "{attribute}: {sentence}");
        }
    }
}
