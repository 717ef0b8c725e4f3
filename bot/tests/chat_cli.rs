//! `talk-to-edit chat` with a real photo: as in Discord, the replies show the user's own photo with
//! the edit carried in (not the bare render), also after the chat is restarted, and a generated
//! face started later in the same conversation is shown as its render.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs one chat process on `db` with `lines` on stdin; returns its stdout.
fn chat(db: &Path, out: &Path, first: &[&str], lines: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_talk-to-edit"))
        .arg("chat")
        .args(first)
        .args(["--size", "256", "--thread", "photo-chat", "--db"])
        .arg(db)
        .arg("--out")
        .arg(out)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn turn_image(out: &Path, turn: u32) -> image::RgbImage {
    image::open(out.join(format!("turn-{turn:03}.png")))
        .unwrap_or_else(|e| panic!("turn {turn}'s image: {e}"))
        .to_rgb8()
}

#[test]
fn a_photo_chat_shows_its_edits_in_the_photo_also_after_a_restart() {
    support::ensure_models();
    let photo_path = support::celeba_photo();
    let photo = image::open(&photo_path).unwrap().to_rgb8();
    let dir = tempfile::tempdir().unwrap();
    let (db, out) = (dir.path().join("chat.db"), dir.path().join("out"));

    let first = chat(
        &db,
        &out,
        &["--image", photo_path.to_str().unwrap()],
        &["give him a big smile"],
    );
    // The first reply: the photo itself, at its size (nothing edited yet).
    assert_eq!(turn_image(&out, 1), photo, "{first}");
    // The edit: the whole photo at its size, the background the photo's own, the face changed.
    let edited = turn_image(&out, 2);
    support::assert_corners_are_the_photos(&edited, &photo, 0);
    assert!(
        support::mean_abs_diff(&edited, &photo) > 0.05,
        "the smile changed the photo: {first}"
    );

    // A new process continues in the photo: undoing shows the photo again.
    let second = chat(&db, &out, &[], &["undo that"]);
    assert!(second.contains("Continuing conversation"), "{second}");
    assert_eq!(turn_image(&out, 3), photo, "{second}");

    // A generated face in the same conversation is shown as its render, and stays so.
    let third = chat(&db, &out, &[], &["/seed 3", "add glasses"]);
    assert_eq!(turn_image(&out, 4).dimensions(), (256, 256), "{third}");
    assert_eq!(turn_image(&out, 5).dimensions(), (256, 256), "{third}");
}
