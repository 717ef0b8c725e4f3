//! The JSON-lines batch protocol of `talk-to-edit parse --batch`: each input line is
//! `{"text": ..., "context": null | "suggest:ATTR" | "check:ATTR"}` and gives one output line,
//! the parse as JSON, or `{"error": "..."}` for a line that cannot be read. Output order is
//! input order; blank input lines are skipped.

use super::{RequestParser, SystemContext};
use serde::Deserialize;
use std::io::{BufRead, Write};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    text: String,
    #[serde(default)]
    context: Option<String>,
}

/// Reads an optional context string; `None`, empty, `"none"` and `"null"` mean no context.
pub fn parse_context(text: Option<&str>) -> Result<Option<SystemContext>, String> {
    match text.map(str::trim) {
        None | Some("") | Some("none") | Some("null") => Ok(None),
        Some(t) => t
            .parse::<SystemContext>()
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn error_line(message: String) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// The output line (one JSON object, fields in contract order) for one input line.
pub fn parse_line(parser: &dyn RequestParser, line: &str) -> String {
    let input: BatchLine = match serde_json::from_str(line) {
        Ok(input) => input,
        Err(e) => {
            return error_line(format!(
                "bad input line (expected {{\"text\": ..., \"context\": ...}}): {e}"
            ))
        }
    };
    match parse_context(input.context.as_deref()) {
        Ok(context) => serde_json::to_string(&parser.parse(&input.text, context))
            .unwrap_or_else(|e| error_line(e.to_string())),
        Err(e) => error_line(e),
    }
}

/// Runs the whole protocol from `input` to `output`.
pub fn run(
    parser: &dyn RequestParser,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(output, "{}", parse_line(parser, &line))?;
    }
    output.flush()
}
