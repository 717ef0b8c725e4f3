//! The real-photo evaluation (issue 13) through the product's own engine: each photo is inverted
//! as an upload is (`ProductFaceEngine::invert_image`), each attribute edited one degree up and
//! down by the product's guarded loop, and every edit carried back into the photo by each
//! transfer mode. Records, the "shows in the photo" rule and the table are
//! `engine::inversion::photo_eval`; this module runs the models and writes the images the
//! independent identity check (`scripts/identity_dlib.py`) and the contact sheet need.

use crate::face_engine::{PhotoStart, PhotoView, ProductFaceEngine};
use anyhow::Context;
use engine::attributes::NUM_DEGREES;
use engine::dialog::{EngineError, FaceEngine};
use engine::inversion::invert::TransferMode;
use engine::inversion::photo_eval::{PastedReading, PhotoEdit, PhotoRecord};
use engine::inversion::pivotal::PivotalConfig;
use engine::Attribute;
use image::imageops::FilterType;
use image::RgbImage;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Side of a contact-sheet cell's width (height follows the photo's aspect).
const CELL: u32 = 160;

/// Where the evaluation writes.
pub struct PhotoEvalOutput {
    /// `records.jsonl` and the sheet go here.
    pub dir: PathBuf,
    /// The photos and pasted results for the dlib check, named
    /// `<mode>_<attribute>_<photo>_p_<change>_{start,result}.png`.
    pub images: Option<PathBuf>,
    /// Photos on the contact sheet (the first ones evaluated).
    pub sheet_photos: usize,
    /// The transfer modes measured (the product's, [`TransferMode::Delta`], first).
    pub modes: Vec<TransferMode>,
    /// The attributes edited (all five unless an evaluation asks for fewer).
    pub attributes: Vec<Attribute>,
    /// Carry the edits pixel for pixel, without the landmark warp (to measure what it does).
    pub no_warp: bool,
    /// Tune the generator to each photo before editing it (`engine::inversion::pivotal`).
    pub pivotal: Option<PivotalConfig>,
}

/// Evaluates `photos`, appending one JSON record per photo to `DIR/records.jsonl` as it goes
/// (an interrupted run keeps what it did) and writing `DIR/sheet.jpg`.
pub fn evaluate_photos(
    engine: &mut ProductFaceEngine,
    photos: &[PathBuf],
    out: &PhotoEvalOutput,
) -> anyhow::Result<Vec<PhotoRecord>> {
    std::fs::create_dir_all(&out.dir).with_context(|| format!("creating {}", out.dir.display()))?;
    if let Some(images) = &out.images {
        std::fs::create_dir_all(images)
            .with_context(|| format!("creating {}", images.display()))?;
    }
    let jsonl_path = out.dir.join("records.jsonl");
    let mut jsonl = std::fs::File::create(&jsonl_path)
        .with_context(|| format!("creating {}", jsonl_path.display()))?;
    let mut records = Vec::new();
    let mut sheet_rows: Vec<Vec<RgbImage>> = Vec::new();
    for (i, path) in photos.iter().enumerate() {
        let name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let photo = engine::perception::load_photo(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let want_sheet = sheet_rows.len() < out.sheet_photos;
        let (record, row) = evaluate_photo(engine, &name, &photo, out, want_sheet)?;
        tracing::info!(
            photo = %name,
            identity_cos = ?record.identity_cos,
            seconds = ?record.invert_seconds,
            error = ?record.error,
            edits = record.edits.len(),
            "photo {}/{}",
            i + 1,
            photos.len()
        );
        writeln!(jsonl, "{}", serde_json::to_string(&record)?)?;
        jsonl.flush()?;
        if let Some(row) = row {
            sheet_rows.push(row);
            write_sheet(&sheet_rows, &out.dir.join("sheet.jpg"))?;
        }
        records.push(record);
    }
    Ok(records)
}

/// One photo: the record, and its contact-sheet row (photo, whole inverted face pasted, then
/// one edit per attribute carried over by the product's transfer) when asked for.
fn evaluate_photo(
    engine: &mut ProductFaceEngine,
    name: &str,
    photo: &RgbImage,
    out: &PhotoEvalOutput,
    want_sheet: bool,
) -> anyhow::Result<(PhotoRecord, Option<Vec<RgbImage>>)> {
    let mut record = PhotoRecord {
        photo: name.to_string(),
        error: None,
        identity_cos: None,
        invert_seconds: None,
        warp_shift: None,
        pivotal: None,
        edits: Vec::new(),
    };
    let started = Instant::now();
    let mut start = match engine.invert_image(photo, &mut |_| {}) {
        Ok(start) => start,
        Err(e) => {
            record.error = Some(e.to_string());
            return Ok((record, None));
        }
    };
    record.invert_seconds = Some(started.elapsed().as_secs_f32());
    record.identity_cos = Some(start.identity_cos);
    let Some(config) = &out.pivotal else {
        return evaluate_edits(engine, name, photo, start, record, out, want_sheet);
    };
    let (tuned, tuning) = engine.tune_for_photo(photo, &mut start, config)?;
    record.pivotal = Some(tuning.summary);
    let base = engine.swap_generator(tuned);
    let evaluated = evaluate_edits(engine, name, photo, start, record, out, want_sheet);
    engine.swap_generator(base);
    evaluated
}

/// The edits of one inverted photo (see [`evaluate_photo`]).
fn evaluate_edits(
    engine: &ProductFaceEngine,
    name: &str,
    photo: &RgbImage,
    mut start: PhotoStart,
    mut record: PhotoRecord,
    out: &PhotoEvalOutput,
    want_sheet: bool,
) -> anyhow::Result<(PhotoRecord, Option<Vec<RgbImage>>)> {
    let (images, modes) = (out.images.as_deref(), out.modes.as_slice());
    if out.no_warp {
        start.paste.warp = None;
    }
    record.warp_shift = start.paste.warp.as_ref().map(|w| w.mean_shift() as f32);
    let photo_reading = engine.read_photo(photo)?;
    let view = PhotoView {
        photo,
        paste: &start.paste,
        original: &start.latent,
        edited: &[],
    };
    // As the bot does: the degrees are the photo's.
    let degrees = engine.photo_degrees(view, &start.latent)?;
    let start_render = engine.render(&start.latent)?;
    let photo_file = match images {
        Some(dir) => {
            let file = dir.join(format!("photo_{name}.png"));
            photo.save(&file)?;
            Some(file)
        }
        None => None,
    };
    let write_pair = |stem: &str, result: &RgbImage| -> anyhow::Result<()> {
        if let (Some(dir), Some(photo_file)) = (images, &photo_file) {
            let start_link = dir.join(format!("{stem}_start.png"));
            let _ = std::fs::remove_file(&start_link);
            std::os::unix::fs::symlink(
                photo_file.file_name().context("photo file name")?,
                &start_link,
            )?;
            result.save(dir.join(format!("{stem}_result.png")))?;
        }
        Ok(())
    };
    // What the first paste-back showed before any edit: the whole inverted face.
    let inverted = start.paste.paste_into(photo, &start_render)?;
    write_pair(&format!("wholeface_none_{name}_p_0"), &inverted)?;
    let mut row = want_sheet.then(|| vec![photo.clone(), inverted]);
    for &attribute in &out.attributes {
        let mut sheet_cell = None;
        for change in [1i8, -1] {
            let from = degrees[&attribute];
            let target = from as i16 + change as i16;
            if !(0..NUM_DEGREES as i16).contains(&target) {
                continue;
            }
            let clock = Instant::now();
            let mut edit = PhotoEdit {
                attribute,
                change,
                start_degree: from,
                target: target as u8,
                result_degree: from,
                reached: false,
                refused: None,
                photo_score: photo_reading.score(attribute),
                pasted: Vec::new(),
                seconds: 0.0,
            };
            // As the bot does: aimed at the photo, never leaving it without a face.
            let edited = engine.edit_in_photo(view, &start.latent, attribute, target as u8);
            match edited {
                Err(EngineError::BadInput(why)) => edit.refused = Some(why),
                Err(e) => return Err(e.into()),
                Ok(outcome) => {
                    edit.result_degree = outcome.reached;
                    edit.reached = outcome.stopped_short.is_none();
                    let edited = engine.render(&outcome.latent)?;
                    for &mode in modes {
                        let pasted = engine.show_in_photo(
                            photo,
                            &start.paste,
                            &start.latent,
                            &outcome.latent,
                            Some(&edited),
                            mode,
                            &[attribute],
                        )?;
                        let score = match engine.read_photo(&pasted) {
                            Ok(reading) => Some(reading.score(attribute)),
                            Err(_) => None,
                        };
                        edit.pasted.push(PastedReading {
                            mode,
                            has_face: score.is_some(),
                            score,
                        });
                        write_pair(
                            &format!("{}_{}_{name}_p_{change:+}", mode.name(), attribute.name()),
                            &pasted,
                        )?;
                        if mode == TransferMode::Delta && sheet_cell.is_none() {
                            sheet_cell = Some(pasted);
                        }
                    }
                }
            }
            edit.seconds = clock.elapsed().as_secs_f32();
            record.edits.push(edit);
        }
        if let Some(row) = row.as_mut() {
            row.push(sheet_cell.unwrap_or_else(|| photo.clone()));
        }
    }
    Ok((record, row))
}

/// Rows of cells ([`CELL`] wide) into one JPEG.
fn write_sheet(rows: &[Vec<RgbImage>], path: &Path) -> anyhow::Result<()> {
    let cell = |img: &RgbImage| {
        let h = (CELL as f32 * img.height() as f32 / img.width().max(1) as f32).round() as u32;
        image::imageops::resize(img, CELL, h.max(1), FilterType::Triangle)
    };
    let rows: Vec<Vec<RgbImage>> = rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let width = rows
        .iter()
        .map(|r| r.len() as u32 * CELL)
        .max()
        .unwrap_or(CELL);
    let heights: Vec<u32> = rows
        .iter()
        .map(|r| r.iter().map(|c| c.height()).max().unwrap_or(0))
        .collect();
    let mut sheet = RgbImage::from_pixel(
        width,
        heights.iter().sum::<u32>().max(1),
        image::Rgb([255; 3]),
    );
    let mut y = 0;
    for (row, h) in rows.iter().zip(&heights) {
        for (j, c) in row.iter().enumerate() {
            image::imageops::replace(&mut sheet, c, (j as u32 * CELL) as i64, y as i64);
        }
        y += h;
    }
    sheet
        .save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
