//! `talk-to-edit align PHOTO --out CROP.png [--size 256]`: find the largest face in a photo
//! (EXIF orientation honoured), crop it FFHQ-style onto the generator's frame, write the crop,
//! and print the transform (crop pixel <-> photo pixel) as JSON so the face can be pasted back.

use anyhow::Context;
use engine::perception::{load_photo, PerceptionError};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The photo (PNG or JPEG).
    photo: PathBuf,
    /// Where to write the aligned square crop (PNG or JPEG by extension).
    #[arg(long)]
    out: PathBuf,
    /// Side of the crop in pixels (8..=4096); the generator's faces are 1024.
    #[arg(long, default_value_t = 256)]
    size: u32,
    /// Model cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let store = match args.models {
        Some(dir) => models::ModelStore::at(dir),
        None => models::ModelStore::open_default(),
    }
    .context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;

    let photo = load_photo(&args.photo)?;
    let started = Instant::now();
    let aligned = match perception.align(&photo, args.size) {
        Ok(a) => a,
        Err(PerceptionError::NoFace) => {
            anyhow::bail!("no face found in {}", args.photo.display())
        }
        Err(e) => return Err(e).with_context(|| format!("aligning {}", args.photo.display())),
    };
    let elapsed = started.elapsed();
    aligned
        .crop
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    tracing::info!(ms = elapsed.as_secs_f64() * 1e3, "face found and aligned");

    let lm = &aligned.landmarks;
    let note = (aligned.faces_found > 1)
        .then(|| format!("{} faces found; aligned the largest", aligned.faces_found));
    let out = json!({
        "photo": args.photo,
        "photo_size": [photo.width(), photo.height()],
        "out": args.out,
        "size": args.size,
        "faces_found": aligned.faces_found,
        "note": note,
        "face_box": aligned.face_box,
        "crop_to_photo": aligned.crop_to_photo.m,
        "photo_to_crop": aligned.photo_to_crop.m,
        "scale": aligned.crop_to_photo.scale(),
        "rotation_degrees": aligned.crop_to_photo.rotation_degrees(),
        "quad": aligned.quad,
        "eyes": [lm.eye_left(), lm.eye_right()],
        "mouth": lm.mouth_centre(),
        "ms": elapsed.as_secs_f64() * 1e3,
    });
    // One line of JSON; a closed pipe is an error, not a panic.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{out}").context("writing to stdout")?;
    Ok(())
}
