//! What the bot sends: the texts of its status and notice messages, the result PNG (marked
//! "AI-edited" in a tEXt chunk) and the buttons under a result, with the button ids they are
//! read back from. No Discord calls here; the queue sends what this builds.

use engine::dialog::{Conversation, Feedback, Note, Phase, Reply};
use engine::language::{Direction, EditKind, EditRequest, Intent, ParsedRequest};
use engine::Attribute;
use serde::{Deserialize, Serialize};
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton};

/// The key of the PNG text chunk that marks results, and its value.
pub const AI_EDITED_KEY: &str = "AI-edited";
pub const AI_EDITED_VALUE: &str =
    "yes: this face was edited by talk-to-edit (generated with MobileStyleGAN)";

/// The opening lines of a thread: what is stored and how to delete it.
pub const PRIVACY_NOTE: &str = "I keep your photo, the face codes I make from it and our \
conversation in this bot's database so the thread can continue later. Say `forget me` (or use \
`/forget`) at any time and I delete all of it.";

/// What a button press asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Button {
    /// One of the dialog's quick answers, sent as if typed.
    Quick(String),
    /// One degree more or less of the attribute just edited.
    More(Attribute),
    Less(Attribute),
    Undo,
    Done,
    /// Delete this result message.
    Delete,
}

impl Button {
    /// The custom id (at most 100 characters; quick answers longer than that are cut).
    pub fn id(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut id = format!("tte:{json}");
        if id.len() > 100 {
            // Only quick answers can be long; keep a parseable prefix.
            if let Button::Quick(text) = self {
                let mut cut = text.clone();
                while format!(
                    "tte:{}",
                    serde_json::to_string(&Button::Quick(cut.clone())).unwrap_or_default()
                )
                .len()
                    > 100
                {
                    cut.pop();
                }
                id = format!(
                    "tte:{}",
                    serde_json::to_string(&Button::Quick(cut)).unwrap_or_default()
                );
            }
        }
        id
    }

    /// The button a custom id names (`None` for ids this bot did not make).
    pub fn from_id(id: &str) -> Option<Button> {
        serde_json::from_str(id.strip_prefix("tte:")?).ok()
    }

    /// As the dialog core reads it: the text shown in the turn log and, for buttons that are
    /// not typed words, the request itself.
    pub fn request(&self) -> (String, Option<ParsedRequest>) {
        let edit = |attribute, direction| ParsedRequest {
            intent: Intent::Edit,
            edits: vec![EditRequest {
                attribute,
                kind: EditKind::Relative,
                direction: Some(direction),
                target: None,
                change: Some(1),
            }],
        };
        let bare = |intent| ParsedRequest {
            intent,
            edits: Vec::new(),
        };
        match self {
            Button::Quick(text) => (text.clone(), None),
            Button::More(a) => (
                format!("[+ {}]", a.name()),
                Some(edit(*a, Direction::Increase)),
            ),
            Button::Less(a) => (
                format!("[- {}]", a.name()),
                Some(edit(*a, Direction::Decrease)),
            ),
            Button::Undo => ("[undo]".into(), Some(bare(Intent::Undo))),
            Button::Done => ("[done]".into(), Some(bare(Intent::End))),
            Button::Delete => ("[delete]".into(), None),
        }
    }
}

/// The attribute a reply just edited (or checks), for the -/+ pair.
pub fn last_edited(reply: &Reply) -> Option<Attribute> {
    if let Feedback::Check(a) = reply.feedback {
        return Some(a);
    }
    reply.notes.iter().rev().find_map(|n| match n {
        Note::Edited(a) | Note::CannotGoFurther(a) | Note::AlreadyThere(a) => Some(*a),
        _ => None,
    })
}

fn label(text: &str) -> String {
    text.chars().take(80).collect()
}

/// The buttons under a result: the quick answers (first row, at most five), then -/+ for the
/// attribute just edited, Undo, Done and Delete. `conversation` is the state after `reply`, and
/// a button is offered only where pressing it would act: "-" is left out where the attribute is
/// at degree 0 (removed, or the youngest age) and "+" at the top degree (`Conversation::can_go`);
/// Undo where there is no earlier face to go back to (the first result after a photo, a seed or
/// "start over"; `Conversation::can_undo`). After the conversation ended ("bye") every press of
/// -/+, Undo or Done would only be told that it has ended: then only the quick answer ("start
/// over") and Delete are offered.
pub fn buttons(reply: &Reply, has_face: bool, conversation: &Conversation) -> Vec<CreateActionRow> {
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let quick: Vec<CreateButton> = reply
        .quick_replies
        .iter()
        .filter(|q| seen.insert(Button::Quick((*q).clone()).id()))
        .take(5)
        .map(|q| {
            CreateButton::new(Button::Quick(q.clone()).id())
                .label(label(q))
                .style(ButtonStyle::Primary)
        })
        .collect();
    if !quick.is_empty() {
        rows.push(CreateActionRow::Buttons(quick));
    }
    let mut tools = Vec::new();
    if has_face && conversation.dialog.phase != Phase::End {
        if let Some(a) = last_edited(reply) {
            if conversation.can_go(a, Direction::Decrease) {
                tools.push(
                    CreateButton::new(Button::Less(a).id())
                        .label(format!("- {}", a.name()))
                        .style(ButtonStyle::Secondary),
                );
            }
            if conversation.can_go(a, Direction::Increase) {
                tools.push(
                    CreateButton::new(Button::More(a).id())
                        .label(format!("+ {}", a.name()))
                        .style(ButtonStyle::Secondary),
                );
            }
        }
        if conversation.can_undo() {
            tools.push(
                CreateButton::new(Button::Undo.id())
                    .label("Undo")
                    .style(ButtonStyle::Secondary),
            );
        }
        tools.push(
            CreateButton::new(Button::Done.id())
                .label("Done")
                .style(ButtonStyle::Success),
        );
    }
    tools.push(
        CreateButton::new(Button::Delete.id())
            .label("Delete")
            .style(ButtonStyle::Danger),
    );
    rows.push(CreateActionRow::Buttons(tools));
    rows
}

/// Encodes a result as PNG with the "AI-edited" text chunk.
pub fn result_png(image: &image::RgbImage) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, image.width(), image.height());
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_text_chunk(AI_EDITED_KEY.to_string(), AI_EDITED_VALUE.to_string())?;
        let mut writer = encoder.write_header()?;
        writer.write_image_data(image.as_raw())?;
        writer.finish()?;
    }
    Ok(out)
}

/// Shrinks `image` so that its longer side is at most `max_side`.
pub fn fit(image: image::RgbImage, max_side: u32) -> image::RgbImage {
    let (w, h) = image.dimensions();
    if w.max(h) <= max_side {
        return image;
    }
    let scale = max_side as f64 / w.max(h) as f64;
    let (nw, nh) = (
        ((w as f64 * scale).round() as u32).max(1),
        ((h as f64 * scale).round() as u32).max(1),
    );
    image::imageops::resize(&image, nw, nh, image::imageops::FilterType::Triangle)
}

/// The status line of a job waiting in the queue.
pub fn queued(position: usize) -> String {
    if position <= 1 {
        "⏳ Queued: you're next.".into()
    } else {
        format!("⏳ Queued: position {position} in line.")
    }
}

/// The status line while a photo is inverted.
pub fn inverting(fraction: f32) -> String {
    let percent = (fraction.clamp(0.0, 1.0) * 100.0).round() as u32;
    let filled = (percent / 10) as usize;
    format!(
        "🔍 Finding your face in the photo… `{}{}` {percent}%",
        "█".repeat(filled),
        "░".repeat(10 - filled)
    )
}

/// The status line while an edit runs.
pub const EDITING: &str = "✏️ Editing…";

/// Said when the queue is full.
pub const QUEUE_FULL: &str =
    "I'm busy with other faces right now and my queue is full; please wait a minute and send that again.";

/// Said when a user sends requests too fast.
pub fn rate_limited(per_minute: usize, wait_s: u64) -> String {
    format!(
        "Slow down a little: I take at most {per_minute} requests a minute from one person. \
         Try again in {wait_s} s."
    )
}

/// Said when `/edit` comes without a photo.
pub const EDIT_NEEDS_PHOTO: &str =
    "Attach a photo of a face to `/edit` (the `photo` option) and I'll start editing it.";

/// Said when `/edit` is used outside a server.
pub const EDIT_IN_A_SERVER: &str =
    "I edit faces in server channels: use `/edit` in a channel of a server I'm in.";

/// Said when `/edit` is used inside one of the bot's threads.
pub const EDIT_NOT_IN_THREAD: &str = "We're already editing a face in this thread: post a new \
photo here to start over with it, or use `/edit` in the channel for a new thread.";

/// Said when `/edit` is used in a channel the bot does not watch.
pub const EDIT_NOT_HERE: &str =
    "I don't edit faces in this channel; try `/edit` in one of the channels I watch.";

/// The public response to `/edit`, on which the conversation's thread opens.
pub fn edit_started(user: serenity::all::UserId) -> String {
    format!("📸 <@{user}> is editing a face with me: the conversation continues in this thread.")
}

/// Said to someone pressing buttons in another user's thread.
pub const NOT_YOURS: &str =
    "Only the person who started this thread can edit this face. Post your own photo to start yours!";

/// Said when a run was interrupted by a restart and is being redone.
pub const RETRYING: &str =
    "I was restarted while working on this; nothing was half-done, so I'm starting it again.";

/// The result message's text (Discord allows 2000 characters).
pub fn result_text(reply: &Reply, first: bool) -> String {
    let mut text = reply.text.clone();
    if first {
        text = format!("{text}\n\n{PRIVACY_NOTE}");
    }
    text.chars().take(2000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::dialog::{EditOutcome, EngineError, Event, Latent, W_PLUS_LEN};

    #[test]
    fn button_ids_round_trip_and_stay_short() {
        for b in [
            Button::Quick("a bit more smile".into()),
            Button::More(Attribute::Smiling),
            Button::Less(Attribute::Age),
            Button::Undo,
            Button::Done,
            Button::Delete,
        ] {
            let id = b.id();
            assert!(id.len() <= 100, "{id}");
            assert_eq!(Button::from_id(&id), Some(b));
        }
        let long = Button::Quick("x".repeat(300));
        assert!(long.id().len() <= 100);
        assert!(matches!(Button::from_id(&long.id()), Some(Button::Quick(t)) if t.len() > 50));
        assert_eq!(Button::from_id("something-else"), None);
        let (text, parsed) = Button::More(Attribute::Smiling).request();
        assert!(text.contains("smil"));
        let parsed = parsed.unwrap();
        assert_eq!(parsed.intent, Intent::Edit);
        assert_eq!(parsed.edits[0].direction, Some(Direction::Increase));
    }

    /// A face engine whose latent carries the five degrees (a new face at 2 each): every edit
    /// reaches its target, as the real one does away from a face's limits.
    struct Degrees5;

    impl engine::dialog::FaceEngine for Degrees5 {
        fn start_from_seed(&self, _seed: u64) -> Result<Latent, EngineError> {
            let mut values = vec![0f32; W_PLUS_LEN];
            values[..5].fill(2.0);
            Ok(Latent::from_vec(values).unwrap())
        }
        fn start_from_photo(&self, _photo: &[u8]) -> Result<Latent, EngineError> {
            Err(EngineError::BadInput("no photos here".into()))
        }
        fn degrees(&self, latent: &Latent) -> Result<engine::dialog::Degrees, EngineError> {
            Ok(Attribute::ALL
                .into_iter()
                .map(|a| (a, latent.as_slice()[a.index()] as u8))
                .collect())
        }
        fn can_edit(&self, _attribute: Attribute) -> Result<(), EngineError> {
            Ok(())
        }
        fn edit(
            &self,
            latent: &Latent,
            a: Attribute,
            target: u8,
        ) -> Result<EditOutcome, EngineError> {
            let mut values = latent.as_slice().to_vec();
            values[a.index()] = f32::from(target);
            Ok(EditOutcome {
                latent: Latent::from_vec(values).unwrap(),
                reached: target,
                stopped_short: None,
            })
        }
        fn render(&self, _latent: &Latent) -> Result<image::RgbImage, EngineError> {
            Ok(image::RgbImage::new(4, 4))
        }
    }

    /// Presses `button` as the queue does (its request, or its text typed) and returns the reply
    /// with the labels of the buttons under it.
    fn press(conversation: &mut Conversation, button: &Button) -> (Reply, Vec<String>) {
        let (text, parsed) = button.request();
        let reply = conversation.handle_parsed(&text, &parsed.unwrap(), &Degrees5);
        let labels = labels_under(&reply, true, conversation);
        (reply, labels)
    }

    /// The labels of the buttons under `reply`, row after row.
    fn labels_under(reply: &Reply, has_face: bool, conversation: &Conversation) -> Vec<String> {
        let rows = serde_json::to_value(buttons(reply, has_face, conversation)).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row["components"].as_array().unwrap().clone())
            .map(|b| b["label"].as_str().unwrap().to_string())
            .collect()
    }

    fn tools(labels: &[String]) -> Vec<&str> {
        labels
            .iter()
            .map(String::as_str)
            .filter(|l| l.starts_with("- ") || l.starts_with("+ "))
            .collect()
    }

    /// "-" is not offered where nothing can go lower (the glasses removed, age 0) nor "+" at the
    /// top degree; in between both are. A press of one anyway (on an older message) says so
    /// plainly and changes nothing.
    #[test]
    fn plus_and_minus_are_offered_only_where_the_degree_can_go() {
        let mut c = Conversation::new(1);
        c.handle(Event::SeedFace(7), &Degrees5, &|_, _| ParsedRequest {
            intent: Intent::Unknown,
            edits: Vec::new(),
        });
        let glasses = Attribute::Eyeglasses;
        // 2 -> 3 -> 4: both ways.
        let (reply, labels) = press(&mut c, &Button::More(glasses));
        assert_eq!(reply.notes, vec![Note::Edited(glasses)], "{}", reply.text);
        assert_eq!(tools(&labels), ["- eyeglasses", "+ eyeglasses"]);
        press(&mut c, &Button::More(glasses));
        // 5: no "+".
        let (reply, labels) = press(&mut c, &Button::More(glasses));
        assert_eq!(c.degree(glasses), Some(5));
        assert!(reply.text.contains("(degree 5 of 5"), "{}", reply.text);
        assert_eq!(tools(&labels), ["- eyeglasses"]);
        assert!(labels.iter().any(|l| l == "Undo"), "{labels:?}");
        assert!(!reply.quick_replies.contains(&"a bit thicker".to_string()));
        // "+" pressed on an older message anyway: said plainly, nothing changes.
        let (reply, labels) = press(&mut c, &Button::More(glasses));
        assert_eq!(reply.notes, vec![Note::CannotGoFurther(glasses)]);
        assert!(
            reply
                .text
                .to_lowercase()
                .starts_with("the glasses can't get any thicker on this face.")
                || reply
                    .text
                    .contains(", the glasses can't get any thicker on this face."),
            "{}",
            reply.text
        );
        assert_eq!(c.degree(glasses), Some(5));
        assert_eq!(tools(&labels), ["- eyeglasses"]);

        // Removed (degree 0): "+" gives glasses again, "-" has nothing to take.
        let remove = ParsedRequest {
            intent: Intent::Edit,
            edits: vec![EditRequest {
                attribute: glasses,
                kind: EditKind::Target,
                direction: None,
                target: Some(0),
                change: None,
            }],
        };
        let reply = c.handle_parsed("remove the glasses", &remove, &Degrees5);
        assert_eq!(c.degree(glasses), Some(0), "{}", reply.text);
        assert_eq!(tools(&labels_under(&reply, true, &c)), ["+ eyeglasses"]);
        let (reply, labels) = press(&mut c, &Button::Less(glasses));
        assert_eq!(reply.notes, vec![Note::AlreadyThere(glasses)]);
        assert!(
            reply
                .text
                .starts_with("There are no glasses on this face to remove.")
                || reply
                    .text
                    .contains("there are no glasses to take away: the face has none."),
            "{}",
            reply.text
        );
        assert_eq!(c.degree(glasses), Some(0));
        assert_eq!(tools(&labels), ["+ eyeglasses"]);

        // Age 0 is the youngest face: no "-" (nor "a bit younger"), and "+" makes it older.
        let mut age = 2;
        while age > 0 {
            let (reply, labels) = press(&mut c, &Button::Less(Attribute::Age));
            age -= 1;
            assert_eq!(c.degree(Attribute::Age), Some(age), "{}", reply.text);
            let want: &[&str] = if age == 0 {
                &["+ age"]
            } else {
                &["- age", "+ age"]
            };
            assert_eq!(tools(&labels), want, "age {age}");
        }
        let (reply, labels) = press(&mut c, &Button::Less(Attribute::Age));
        assert_eq!(reply.notes, vec![Note::CannotGoFurther(Attribute::Age)]);
        assert!(
            reply.text.contains("can't look any younger"),
            "{}",
            reply.text
        );
        assert_eq!(tools(&labels), ["+ age"]);
        // Without a face shown, no -/+, Undo or Done: only the quick answers and Delete.
        let shown = labels_under(&reply, false, &c);
        assert_eq!(shown.last().map(String::as_str), Some("Delete"));
        assert_eq!(
            shown.len(),
            reply.quick_replies.len().min(5) + 1,
            "{shown:?}"
        );
    }

    /// The buttons under the tools row (not the quick answers).
    fn tool_buttons(labels: &[String]) -> Vec<&str> {
        labels
            .iter()
            .map(String::as_str)
            .filter(|l| ["Undo", "Done", "Delete"].contains(l) || tools(labels).contains(l))
            .collect()
    }

    /// Undo is offered only where there is an earlier face to go back to: not on the first
    /// result, nor once every change is undone, nor after "start over". Pressed there anyway (on
    /// an older message) or typed, it says plainly that there is nothing to undo.
    #[test]
    fn undo_is_offered_only_where_there_is_something_to_undo() {
        let mut c = Conversation::new(3);
        let first = c.handle(Event::SeedFace(7), &Degrees5, &|_, _| ParsedRequest {
            intent: Intent::Unknown,
            edits: Vec::new(),
        });
        assert_eq!(first.notes, vec![Note::FaceReady]);
        assert_eq!(
            tool_buttons(&labels_under(&first, true, &c)),
            ["Done", "Delete"]
        );
        let (reply, labels) = press(&mut c, &Button::Undo);
        assert_eq!(reply.notes, vec![Note::NothingToUndo]);
        assert!(
            reply.text.starts_with("There is nothing to undo yet."),
            "{}",
            reply.text
        );
        assert!(!reply.quick_replies.contains(&"undo".to_string()));
        assert_eq!(tool_buttons(&labels), ["Done", "Delete"]);

        let smile = Attribute::Smiling;
        let (reply, labels) = press(&mut c, &Button::More(smile));
        assert_eq!(reply.notes, vec![Note::Edited(smile)], "{}", reply.text);
        assert_eq!(
            tool_buttons(&labels),
            ["- smiling", "+ smiling", "Undo", "Done", "Delete"]
        );
        // Undoing the only change leaves nothing to undo.
        let (reply, labels) = press(&mut c, &Button::Undo);
        assert_eq!(reply.notes, vec![Note::Undone]);
        assert_eq!(c.degree(smile), Some(2));
        assert_eq!(tool_buttons(&labels), ["Done", "Delete"]);
        // "Start over" clears the history.
        press(&mut c, &Button::More(smile));
        let restart = ParsedRequest {
            intent: Intent::Restart,
            edits: Vec::new(),
        };
        let reply = c.handle_parsed("start over", &restart, &Degrees5);
        assert_eq!(reply.notes, vec![Note::Restarted]);
        assert_eq!(
            tool_buttons(&labels_under(&reply, true, &c)),
            ["Done", "Delete"]
        );
    }

    /// After "bye" (or Done) every press of -/+, Undo or Done would only be told that the
    /// conversation has ended, so only "start over" (which restarts it) and Delete are offered.
    #[test]
    fn after_the_end_only_start_over_and_delete_are_offered() {
        let mut c = Conversation::new(5);
        c.handle(Event::SeedFace(7), &Degrees5, &|_, _| ParsedRequest {
            intent: Intent::Unknown,
            edits: Vec::new(),
        });
        press(&mut c, &Button::More(Attribute::Beard));
        press(&mut c, &Button::More(Attribute::Beard));
        let (bye, labels) = press(&mut c, &Button::Done);
        assert_eq!(bye.notes, vec![Note::Goodbye]);
        assert_eq!(bye.phase, Phase::End);
        assert_eq!(labels, ["start over", "Delete"]);
        // What each button left out would do there: nothing but say the conversation ended.
        for button in [
            Button::More(Attribute::Beard),
            Button::Less(Attribute::Beard),
            Button::Undo,
            Button::Done,
        ] {
            let (reply, labels) = press(&mut c, &button);
            assert_eq!(reply.notes, vec![Note::AlreadyEnded], "{button:?}");
            assert_eq!(c.degree(Attribute::Beard), Some(4), "{button:?}");
            assert_eq!(labels, ["start over", "Delete"], "{button:?}");
        }
        // "Start over" acts: the original face, and the tools again (nothing to undo).
        let restart = ParsedRequest {
            intent: Intent::Restart,
            edits: Vec::new(),
        };
        let reply = c.handle_parsed("start over", &restart, &Degrees5);
        assert_eq!(reply.notes, vec![Note::Restarted]);
        assert_eq!(c.degree(Attribute::Beard), Some(2));
        assert_eq!(
            tool_buttons(&labels_under(&reply, true, &c)),
            ["Done", "Delete"]
        );
    }

    #[test]
    fn results_are_marked_ai_edited() {
        let image = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let png = result_png(&image).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        let texts = &reader.info().uncompressed_latin1_text;
        assert!(
            texts
                .iter()
                .any(|t| t.keyword == AI_EDITED_KEY && t.text.starts_with("yes")),
            "{texts:?}"
        );
        let back = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(back, image);
        assert_eq!(fit(image.clone(), 20).dimensions(), (20, 15));
        assert_eq!(fit(image, 100).dimensions(), (40, 30));
    }
}
