//! The whole inversion of one photo: find and align the face, encode it, refine the code, and
//! keep whichever code (the encoder's, or a refinement checkpoint) the identity encoder says
//! looks most like the photo (about 0.45 s per candidate: a 1024 px render and an embedding).
//! Progress goes to the caller (the bot shows it).

use super::encoder::{EncoderInput, InversionEncoder};
use super::face_warp::FaceWarp;
use super::refine::{face_mask, refine, RefineConfig, RefineProgress};
pub use super::transfer::{PasteBack, TransferMode};
use super::InversionError;
use crate::generator::Generator;
use crate::perception::human::HumanGate;
use crate::perception::identity::generated_identity_crop;
use crate::perception::{cosine, AlignedFace, Embedding, FacePerception, IdentityEncoder};
use candle_core::Tensor;
use image::RgbImage;
use std::time::Instant;

/// Side of the aligned crop the refinement compares with (and the face mask's side).
pub const ALIGNED_SIDE: u32 = 256;

/// Settings of [`Inverter`].
#[derive(Debug, Clone, PartialEq)]
pub struct InvertConfig {
    pub refine: RefineConfig,
    /// Feather of the face mask, as a fraction of the crop's side.
    pub mask_feather: f32,
}

impl Default for InvertConfig {
    fn default() -> Self {
        Self {
            refine: RefineConfig::default(),
            mask_feather: 0.03,
        }
    }
}

/// Where an inversion is.
#[derive(Debug, Clone, Copy)]
pub enum InvertProgress {
    /// The face was found and aligned (`faces`: how many the detector saw).
    Aligned { faces: usize },
    /// The encoder gave a first code.
    Encoded,
    /// One refinement step.
    Refining(RefineProgress),
    /// Both codes were rendered and compared with the photo.
    Checked,
}

impl InvertProgress {
    /// Rough share of the work done, for a progress bar.
    pub fn fraction(&self) -> f32 {
        match self {
            InvertProgress::Aligned { .. } => 0.05,
            InvertProgress::Encoded => 0.1,
            InvertProgress::Refining(p) => 0.1 + 0.8 * p.step as f32 / p.total.max(1) as f32,
            InvertProgress::Checked => 1.0,
        }
    }
}

/// A photo's face in W+.
#[derive(Debug, Clone)]
pub struct Inversion {
    /// The face found, aligned at [`ALIGNED_SIDE`] (with its quad for pasting back).
    pub aligned: AlignedFace,
    /// The soft face mask over the aligned crop ([`ALIGNED_SIDE`]²).
    pub mask: Vec<f32>,
    /// The kept W+ code `[1, 23, 512]`.
    pub styles: Tensor,
    /// Its 1024 px render.
    pub render: RgbImage,
    /// Identity cosine between the photo and the kept render.
    pub identity_cos: f32,
    /// Identity cosine of the encoder's code alone.
    pub encoder_identity_cos: f32,
    /// Best identity cosine among the refinement's checkpoints.
    pub refined_identity_cos: f32,
    /// Whether a refined code was kept (else the encoder's).
    pub refined_kept: bool,
    /// The photo's identity embedding.
    pub photo_identity: Embedding,
    /// The photo's landmarks against the kept render's ([`FaceWarp`]), for carrying edits back.
    pub warp: Option<FaceWarp>,
    /// Wall time of the whole inversion.
    pub seconds: f32,
}

impl Inversion {
    /// An edited render of this face (any square size) pasted back into `photo` (the photo
    /// inverted): the face region comes from the render, recoloured to the photo's skin tone and
    /// lighting; hair and background stay the photo's.
    pub fn paste_into(
        &self,
        photo: &RgbImage,
        edited: &RgbImage,
    ) -> Result<RgbImage, InversionError> {
        self.paste_back().paste_into(photo, edited)
    }

    /// What pasting back needs, to keep beside the photo (the bot stores it per conversation).
    pub fn paste_back(&self) -> PasteBack {
        PasteBack {
            quad: self.aligned.quad,
            crop: self.aligned.crop.clone(),
            mask: self.mask.clone(),
            warp: self.warp.clone(),
        }
    }
}

/// Photo -> W+ with the models it needs.
pub struct Inverter<'a> {
    pub generator: &'a Generator,
    pub perception: &'a FacePerception,
    pub identity: &'a IdentityEncoder,
    pub encoder: &'a InversionEncoder,
    pub config: InvertConfig,
}

impl Inverter<'_> {
    /// Inverts the largest face of `photo`.
    pub fn invert(
        &self,
        photo: &RgbImage,
        progress: &mut dyn FnMut(InvertProgress),
    ) -> Result<Inversion, InversionError> {
        let started = Instant::now();
        let aligned = self.perception.align(photo, ALIGNED_SIDE)?;
        let verdict = HumanGate::bundled()?.check(&aligned, self.perception, self.identity)?;
        if !verdict.is_human() {
            return Err(InversionError::NotHuman(verdict.failed.join("; ")));
        }
        let stage = |name: &str| {
            tracing::debug!(
                stage = name,
                seconds = started.elapsed().as_secs_f32(),
                "inversion"
            )
        };
        stage("aligned and gated");
        progress(InvertProgress::Aligned {
            faces: aligned.faces_found,
        });
        let input = EncoderInput::from_aligned(photo, &aligned, self.identity)?;
        let photo_identity = input.identity.clone();
        let crop_landmarks = aligned.crop_landmarks();
        let encoded = self
            .generator
            .synthesis
            .to_w_plus(&self.encoder.encode(&input)?)?;
        stage("encoded");
        progress(InvertProgress::Encoded);
        let mask = face_mask(&crop_landmarks, ALIGNED_SIDE, self.config.mask_feather)?;
        let refined = refine(
            self.generator,
            &aligned.crop,
            &mask,
            &encoded,
            &self.config.refine,
            Some(self.identity),
            &mut |p| progress(InvertProgress::Refining(p)),
        )?;
        stage("refined");
        let likeness = |render: &RgbImage| -> Result<f32, InversionError> {
            let embedding = self.identity.embed(&generated_identity_crop(render)?)?;
            Ok(cosine(&photo_identity, &embedding))
        };
        // The refinement rendered the encoder's code already.
        let encoder_render = refined.start_render;
        let encoder_identity_cos = likeness(&encoder_render)?;
        let mut best = (0, encoded, encoder_render, encoder_identity_cos);
        let mut refined_identity_cos = f32::NEG_INFINITY;
        for (step, styles) in refined.checkpoints {
            let render = self.generator.render(&styles, 1024)?;
            let cos = likeness(&render)?;
            refined_identity_cos = refined_identity_cos.max(cos);
            if cos > best.3 {
                best = (step, styles, render, cos);
            }
        }
        stage("checkpoints judged");
        progress(InvertProgress::Checked);
        let (kept_step, styles, render, identity_cos) = best;
        let refined_kept = kept_step > 0;
        let warp = FaceWarp::measure(&aligned, &render, self.perception)?;
        stage("warp measured");
        Ok(Inversion {
            aligned,
            mask,
            styles,
            render,
            identity_cos,
            encoder_identity_cos,
            refined_identity_cos,
            refined_kept,
            photo_identity,
            warp,
            seconds: started.elapsed().as_secs_f32(),
        })
    }
}
