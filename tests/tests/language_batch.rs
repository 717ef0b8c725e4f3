//! The JSON-lines batch protocol of `talk-to-edit parse --batch`, the context syntax, and the
//! errors for missing or corrupt weights.

use engine::language::{batch, LanguageEncoder, LanguageError, SystemContext, TRAIN_COMMAND};
use engine::Attribute;

fn encoder() -> LanguageEncoder {
    LanguageEncoder::load(engine::language::committed_weights_path())
        .expect("committed language encoder weights load")
}

#[test]
fn batch_prints_one_object_per_line_in_order_and_errors_for_bad_lines() {
    let encoder = encoder();
    let input = concat!(
        "{\"text\": \"add glasses\", \"context\": null}\n",
        "\n",
        "this is not json\n",
        "{\"text\": \"yes\", \"context\": \"suggest:bangs\"}\n",
        "{\"text\": \"yes\", \"context\": \"check:bangs\"}\n",
        "{\"text\": \"yes\", \"context\": \"suggest:hat\"}\n",
        "{\"context\": \"check:age\"}\n",
        "{\"text\": \"undo that\"}\n",
    );
    let mut out = Vec::new();
    batch::run(&encoder, input.as_bytes(), &mut out).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect();
    assert_eq!(lines.len(), 7, "{lines:?}");

    assert_eq!(lines[0]["intent"], "edit");
    assert_eq!(lines[0]["edits"][0]["attribute"], "eyeglasses");
    assert_eq!(lines[0]["edits"][0]["direction"], "increase");

    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("bad input line"));

    assert_eq!(lines[2]["intent"], "edit");
    assert_eq!(lines[2]["edits"][0]["attribute"], "bangs");
    assert_eq!(lines[2]["edits"][0]["kind"], "direction");
    assert!(lines[2]["edits"][0]["direction"].is_null());

    assert_eq!(lines[3]["intent"], "yes");
    assert_eq!(lines[3]["edits"].as_array().unwrap().len(), 0);

    assert!(lines[4]["error"].as_str().unwrap().contains("suggest:hat"));
    assert!(lines[5]["error"].as_str().unwrap().contains("text"));
    assert_eq!(lines[6]["intent"], "undo");
}

#[test]
fn output_has_exactly_the_contract_fields() {
    let encoder = encoder();
    let line = batch::parse_line(
        &encoder,
        r#"{"text": "make him a bit older", "context": null}"#,
    );
    // Fields come in the contract's order.
    assert!(
        line.starts_with(r#"{"intent":"edit","edits":[{"attribute":"age","kind":"relative""#),
        "{line}"
    );
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    let object = value.as_object().unwrap();
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort();
    assert_eq!(keys, ["edits", "intent"]);
    let edit = value["edits"][0].as_object().unwrap();
    let mut keys: Vec<&String> = edit.keys().collect();
    keys.sort();
    assert_eq!(keys, ["attribute", "change", "direction", "kind", "target"]);
    assert_eq!(value["edits"][0]["attribute"], "age");
    assert_eq!(value["edits"][0]["kind"], "relative");
    assert_eq!(value["edits"][0]["change"], 1);
}

#[test]
fn context_strings_parse_or_fail_clearly() {
    assert_eq!(
        "suggest:bangs".parse::<SystemContext>().unwrap(),
        SystemContext::Suggest(Attribute::Bangs)
    );
    assert_eq!(
        "check:age".parse::<SystemContext>().unwrap(),
        SystemContext::Check(Attribute::Age)
    );
    for bad in ["suggest:hat", "ask:bangs", "bangs", "", "check:"] {
        let err = bad.parse::<SystemContext>().unwrap_err().to_string();
        assert!(err.contains("suggest:ATTRIBUTE"), "{bad:?}: {err}");
    }
    assert_eq!(batch::parse_context(None).unwrap(), None);
    assert_eq!(batch::parse_context(Some("null")).unwrap(), None);
    assert!(batch::parse_context(Some("check:smile")).is_err());
}

#[test]
fn missing_and_corrupt_weights_name_the_train_command() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.safetensors");
    let err = LanguageEncoder::load(&missing).unwrap_err();
    assert!(matches!(err, LanguageError::Missing { .. }));
    assert!(err.to_string().contains(TRAIN_COMMAND), "{err}");

    let corrupt = dir.path().join("bad.safetensors");
    std::fs::write(&corrupt, b"not a safetensors file").unwrap();
    let committed = engine::language::committed_weights_path();
    std::fs::copy(
        committed.with_extension("json"),
        corrupt.with_extension("json"),
    )
    .unwrap();
    let err = LanguageEncoder::load(&corrupt).unwrap_err();
    assert!(matches!(err, LanguageError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(TRAIN_COMMAND), "{err}");

    let bad_json = dir.path().join("badjson.safetensors");
    std::fs::copy(&committed, &bad_json).unwrap();
    std::fs::write(bad_json.with_extension("json"), b"{ not json").unwrap();
    let err = LanguageEncoder::load(&bad_json).unwrap_err();
    assert!(matches!(err, LanguageError::Corrupt { .. }), "{err}");
}
