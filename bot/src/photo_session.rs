//! A conversation's face as the user sees it, the same in every transport (the Discord queue and
//! the terminal's `chat`): when the face came from a photo, edits are aimed at and checked in the
//! photo with the edit carried in ([`ProductFaceEngine::edit_in_photo`]), the degrees are read
//! there, and the reply's image is the user's own photo with the edit carried in, never the bare
//! render. [`PhotoSession`] wraps the product engine for one turn; [`shown_image`] makes the reply's
//! image; [`store_paste`] / [`load_paste`] turn the paste-back data into its stored form
//! ([`sql::StoredPaste`]) and back, so a restarted process continues a photo conversation exactly.

use crate::face_engine::{PhotoView, ProductFaceEngine};
use engine::dialog::{
    Conversation, Degrees, EditOutcome, EngineError, FaceEngine, FaceSource, Latent, Reply,
};
use engine::inversion::invert::{PasteBack, TransferMode};
use engine::Attribute;
use sql::StoredPaste;
use std::sync::Mutex;

/// The product engine for one turn of a conversation, with the photo the conversation's face
/// came from (when it did): catches what a new photo's inversion leaves for pasting back and
/// reports the inversion's progress.
pub struct PhotoSession<'a> {
    engine: &'a ProductFaceEngine,
    progress: Box<dyn Fn(f32) + Send + Sync + 'a>,
    /// The paste-back data of a photo inverted in this turn.
    paste: Mutex<Option<PasteBack>>,
    /// The conversation's photo (or the one uploaded in this turn), decoded.
    photo: Option<&'a image::RgbImage>,
    /// What carrying edits into the photo needs: the paste-back data and the photo's inverted
    /// code (the conversation's original face).
    in_photo: Mutex<Option<(PasteBack, Latent)>>,
    /// The attributes the conversation had edited before this turn.
    edited: Vec<Attribute>,
}

impl<'a> PhotoSession<'a> {
    /// A turn of `conversation` (its state before the turn). `photo` is the conversation's photo,
    /// or the photo this turn uploads (`uploading`); `paste` its stored paste-back data. Edits
    /// are carried into the photo only while the conversation's face is that photo's.
    pub fn new(
        engine: &'a ProductFaceEngine,
        conversation: &Conversation,
        photo: Option<&'a image::RgbImage>,
        paste: Option<PasteBack>,
        uploading: bool,
        progress: impl Fn(f32) + Send + Sync + 'a,
    ) -> Self {
        let original = conversation
            .face
            .as_ref()
            .filter(|f| matches!(f.source, FaceSource::Photo { .. }))
            .map(|f| f.original.clone());
        Self {
            engine,
            progress: Box::new(progress),
            paste: Mutex::new(None),
            photo,
            in_photo: Mutex::new(match (paste, original) {
                (Some(paste), Some(original)) if !uploading => Some((paste, original)),
                _ => None,
            }),
            edited: if uploading {
                Vec::new()
            } else {
                edited_attributes(conversation)
            },
        }
    }

    /// The paste-back data of the photo inverted in this turn, if one was.
    pub fn into_new_paste(self) -> Option<PasteBack> {
        self.paste.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the photo as the user sees it, when the conversation's face came from a
    /// photo (and the photo could be decoded).
    fn with_photo_view<R>(&self, f: impl FnOnce(Option<PhotoView>) -> R) -> R {
        let in_photo = self.in_photo.lock().unwrap_or_else(|p| p.into_inner());
        match (self.photo, in_photo.as_ref()) {
            (Some(photo), Some((paste, original))) => f(Some(PhotoView {
                photo,
                paste,
                original,
                edited: &self.edited,
            })),
            _ => f(None),
        }
    }
}

impl FaceEngine for PhotoSession<'_> {
    fn start_from_seed(&self, seed: u64) -> Result<Latent, EngineError> {
        let latent = self.engine.start_from_seed(seed)?;
        // A generated face: later edits of this turn are not the photo's.
        *self.in_photo.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(latent)
    }
    fn start_from_photo(&self, photo: &[u8]) -> Result<Latent, EngineError> {
        let start = self
            .engine
            .invert_photo(photo, &mut |f| (self.progress)(f))?;
        *self.in_photo.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((start.paste.clone(), start.latent.clone()));
        *self.paste.lock().unwrap_or_else(|p| p.into_inner()) = Some(start.paste);
        Ok(start.latent)
    }
    /// A photo's degrees are read in the photo as the user sees it.
    fn degrees(&self, latent: &Latent) -> Result<Degrees, EngineError> {
        self.with_photo_view(|view| match view {
            Some(view) => self.engine.photo_degrees(view, latent),
            None => self.engine.degrees(latent),
        })
    }
    fn can_edit(&self, attribute: Attribute) -> Result<(), EngineError> {
        self.engine.can_edit(attribute)
    }
    /// A photo's edits are aimed at, and checked in, the photo as the user sees it.
    fn edit(
        &self,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        self.with_photo_view(|view| match view {
            Some(view) => self.engine.edit_in_photo(view, latent, attribute, target),
            None => self.engine.edit(latent, attribute, target),
        })
    }
    fn render(&self, latent: &Latent) -> Result<image::RgbImage, EngineError> {
        self.engine.render(latent)
    }
}

/// The attributes a conversation's face has been edited in (its undo history's turns).
pub fn edited_attributes(conversation: &Conversation) -> Vec<Attribute> {
    let mut edited = Vec::new();
    for entry in conversation.face.iter().flat_map(|f| &f.history) {
        for &a in &entry.attributes {
            if !edited.contains(&a) {
                edited.push(a);
            }
        }
    }
    edited
}

/// The image a reply shows: the current face's edit carried into the user's photo when the
/// face came from `photo` (with its paste-back data), else the render of the generated face;
/// `None` while the conversation has no face.
pub fn shown_image(
    engine: &ProductFaceEngine,
    conversation: &Conversation,
    reply: &Reply,
    photo: Option<&image::RgbImage>,
    paste: Option<&PasteBack>,
) -> Result<Option<image::RgbImage>, EngineError> {
    let Some(face) = &conversation.face else {
        return Ok(None);
    };
    let from_photo = matches!(face.source, FaceSource::Photo { .. });
    Ok(Some(match (photo, paste) {
        (Some(photo), Some(paste)) if from_photo => engine.show_in_photo(
            photo,
            paste,
            &face.original,
            &face.current,
            reply.image.as_ref(),
            TransferMode::Delta,
            &edited_attributes(conversation),
        )?,
        _ => match &reply.image {
            Some(image) => image.clone(),
            None => engine.render(&face.current)?,
        },
    }))
}

/// [`PasteBack`] to its stored form.
pub fn store_paste(paste: &PasteBack) -> anyhow::Result<StoredPaste> {
    let mut crop_png = std::io::Cursor::new(Vec::new());
    paste
        .crop
        .write_to(&mut crop_png, image::ImageFormat::Png)?;
    Ok(StoredPaste {
        quad_json: serde_json::to_string(&paste.quad)?,
        crop_png: crop_png.into_inner(),
        mask: paste.mask.iter().flat_map(|v| v.to_le_bytes()).collect(),
        warp_json: paste.warp.as_ref().map(serde_json::to_string).transpose()?,
    })
}

/// [`PasteBack`] from its stored form.
pub fn load_paste(stored: &StoredPaste) -> anyhow::Result<PasteBack> {
    if !stored.mask.len().is_multiple_of(4) {
        anyhow::bail!("stored paste mask has {} bytes", stored.mask.len());
    }
    Ok(PasteBack {
        quad: serde_json::from_str(&stored.quad_json)?,
        crop: image::load_from_memory_with_format(&stored.crop_png, image::ImageFormat::Png)?
            .to_rgb8(),
        mask: stored
            .mask
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        warp: stored
            .warp_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_paste_comes_back_with_its_warp() {
        let side = engine::inversion::invert::ALIGNED_SIDE;
        let points = |dy: f64| -> Vec<[f64; 2]> {
            (0..68)
                .map(|i| [0.2 + 0.01 * i as f64, 0.5 + dy + 0.002 * i as f64])
                .collect()
        };
        let mut paste = PasteBack {
            quad: serde_json::from_str(r#"{"c":[50.0,60.0],"x":[20.0,1.0],"y":[-1.0,20.0]}"#)
                .unwrap(),
            crop: image::RgbImage::from_fn(side, side, |x, y| image::Rgb([x as u8, y as u8, 7])),
            mask: (0..side * side).map(|i| (i % 5) as f32 / 4.0).collect(),
            warp: engine::inversion::face_warp::FaceWarp::new(points(0.0), points(0.01)),
        };
        assert!(paste.warp.is_some());
        let same = |a: &PasteBack, b: &PasteBack| {
            assert_eq!(a.quad, b.quad);
            assert_eq!(a.crop.as_raw(), b.crop.as_raw());
            assert_eq!(a.mask, b.mask);
            match (&a.warp, &b.warp) {
                (Some(x), Some(y)) => {
                    let close = |p: &[[f64; 2]], q: &[[f64; 2]]| {
                        p.len() == q.len()
                            && p.iter().zip(q).all(|(u, v)| {
                                (u[0] - v[0]).abs() < 1e-12 && (u[1] - v[1]).abs() < 1e-12
                            })
                    };
                    assert!(close(&x.photo, &y.photo) && close(&x.render, &y.render));
                }
                (x, y) => assert_eq!(x.is_none(), y.is_none()),
            }
        };
        same(&load_paste(&store_paste(&paste).unwrap()).unwrap(), &paste);
        // A thread stored before the warp existed: carried pixel for pixel.
        paste.warp = None;
        let stored = store_paste(&paste).unwrap();
        assert_eq!(stored.warp_json, None);
        same(&load_paste(&stored).unwrap(), &paste);
    }
}
