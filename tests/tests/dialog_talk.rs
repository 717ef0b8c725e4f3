//! The talk module's template pools: every sentence names the attribute it is about, every slot
//! is filled, and synonym replacement actually varies the wording.

use engine::dialog::talk::{self, words, AttributeWords, Said};
use engine::dialog::DialogRng;
use engine::language::Direction;
use engine::Attribute;
use std::collections::BTreeSet;

fn all_fills(pool: &[String], attribute: Attribute, direction: Option<Direction>) -> Vec<String> {
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
    let t = talk::templates();
    for attribute in Attribute::ALL {
        let name = &words(attribute).name;
        for pool in [&t.check, &t.suggest] {
            for sentence in all_fills(pool, attribute, None) {
                assert_clean(&sentence);
                assert!(sentence.contains(name), "{attribute}: {sentence}");
                assert!(sentence.ends_with('?'), "{attribute}: {sentence}");
            }
        }
        for sentence in all_fills(&t.clarify_direction, attribute, None) {
            assert_clean(&sentence);
            let w = words(attribute);
            assert!(
                sentence.contains(&w.more) && sentence.contains(&w.less),
                "{sentence}"
            );
        }
    }
}

/// Each way with the attribute's comparative for it ("longer" up, "shorter" down).
fn comparatives(w: &AttributeWords) -> [(Direction, &String); 2] {
    [
        (Direction::Increase, &w.more),
        (Direction::Decrease, &w.less),
    ]
}

#[test]
fn edit_and_limit_sentences_say_which_way() {
    let t = talk::templates();
    for attribute in Attribute::ALL {
        let w = words(attribute);
        for (direction, adj) in comparatives(w) {
            for pool in [&t.edited, &t.cannot_go_further] {
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
            for sentence in all_fills(&t.cannot_go_further, attribute, Some(Direction::Increase)) {
                assert!(sentence.contains(&w.name), "{sentence}");
            }
        }
    }
}

#[test]
fn other_pools_fill_cleanly() {
    let t = talk::templates();
    // Every pool said with neither attribute nor direction.
    for (name, pool, said) in t.pools() {
        if said != Said::Plainly {
            continue;
        }
        for template in pool {
            for seed in 0..10 {
                let sentence = talk::fill(template, None, None, &mut DialogRng::new(seed));
                assert!(!sentence.is_empty(), "{name}");
                assert_clean(&sentence);
            }
        }
    }
    for pool in [&t.satisfied, &t.declined, &t.already_there, &t.already_none] {
        for attribute in Attribute::ALL {
            for sentence in all_fills(pool, attribute, None) {
                assert_clean(&sentence);
            }
        }
    }
}

#[test]
fn synonyms_vary_the_wording() {
    let t = talk::templates();
    for (pool, attribute) in [
        (&t.check, Attribute::Bangs),
        (&t.suggest, Attribute::Age),
        (&t.ask_next, Attribute::Smiling),
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
                &t.suggest[0],
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
    let t = talk::templates();
    for attribute in Attribute::ALL.into_iter().filter(|a| *a != Attribute::Age) {
        let name = &words(attribute).name;
        for pool in [&t.added, &t.removed] {
            for sentence in all_fills(pool, attribute, Some(Direction::Increase)) {
                assert_clean(&sentence);
                assert!(sentence.contains(name), "{attribute}: {sentence}");
            }
        }
    }
}

#[test]
fn could_not_add_sentences_name_what_was_asked_for() {
    let t = talk::templates();
    for attribute in Attribute::ALL {
        if attribute == Attribute::Age {
            continue;
        }
        let w = words(attribute);
        for sentence in all_fills(&t.could_not_add, attribute, Some(Direction::Increase)) {
            assert_clean(&sentence);
            assert!(sentence.contains(&w.name), "{attribute}: {sentence}");
            assert!(!sentence.contains(&w.more), "{attribute}: {sentence}");
        }
    }
}

/// Why an edit stopped short, for every attribute, way and other attribute: the sentence says
/// which way the edit was asked to go, and what the other attribute would have done (its words,
/// and the way it would have gone).
#[test]
fn stop_reason_sentences_say_which_way_and_what_else_would_change() {
    let t = talk::templates();
    for attribute in Attribute::ALL {
        let w = words(attribute);
        for (direction, adj) in comparatives(w) {
            for pool in [&t.would_change_identity, &t.would_break_face] {
                for sentence in all_fills(pool, attribute, Some(direction)) {
                    assert_clean(&sentence);
                    assert!(sentence.contains(adj), "{sentence}");
                }
            }
            for other in Attribute::ALL.into_iter().filter(|o| *o != attribute) {
                let o = words(other);
                for (way, other_adj) in comparatives(o) {
                    let mut pools = vec![(&t.would_change_other, other_adj)];
                    if other != Attribute::Age {
                        pools.push((&t.would_take_away_other, &o.object));
                        pools.push((&t.would_add_other, &o.new));
                    }
                    for (pool, named) in pools {
                        for seed in 0..20 {
                            let mut rng = DialogRng::new(seed);
                            let sentence = talk::say_besides(
                                pool,
                                attribute,
                                direction,
                                (other, way),
                                &mut rng,
                            );
                            assert_clean(&sentence);
                            assert!(
                                sentence.contains(adj) && sentence.contains(named.as_str()),
                                "{attribute} {direction:?}, {other} {way:?}: {sentence}"
                            );
                        }
                    }
                }
            }
        }
    }
}
