//! Judging an edit of a real photo by the photo the user will see.
//!
//! An edit of a photo conversation reaches the user as the render's *change* carried into their
//! own photo ([`super::transfer`], only in the edited attributes' bands of the face). The photo
//! and the render of its inverted code read differently, and the transfer carries more of some
//! changes than of others, so a loop that reads the render stops where the render reaches the
//! target while the photo often does not show it; and it is stopped by changes the photo never
//! shows (a glasses edit that moves the render's fringe is refused by the other-attribute guard,
//! although the glasses band keeps the fringe out of the photo).
//!
//! [`PhotoJudge`] judges each code the guarded loop ([`crate::field::guided`]) looks at on the
//! photo itself: render the code, carry its change into the photo, find the face there and read
//! its degrees (the age by the age network on the photo where [`PhotoJudge::age`] is given,
//! [`DegreeReader::read_photo`]). The attribute scores, "is there a face" and "not applicable"
//! (a profile, by the photo's landmarks) are the photo's, so the loop stops where the user sees
//! the target and the other-attribute guard looks at what the user sees. The identity embedding
//! stays the render's
//! (as [`crate::field::RenderJudge`]'s): it keeps the code from drifting into another person,
//! whose change would then be carried into the photo, and its threshold was measured on renders.
//! The quality guard ([`crate::field::guided::Guards::max_mirror_rise`]) is the photo's too: its
//! face's landmarks against its mirror image's, one more landmark run per code, so a result
//! that melts the face the user sees is refused however its degrees read. So is the smile guard
//! ([`crate::field::guided::Guards::max_smile_change`]): how much the change carried into the
//! photo alters its lower face, where large changes were mostly ghosted second mouths.
//! (Guarding the identity of the photo as shown instead, at the same 0.5, reached a few more
//! targets but let melted faces through: README, issue 13.) Each judgement keeps its render (at
//! the original render's side), so the code an edit keeps is not rendered again for the reply.

use super::transfer::{DeltaEdit, PasteBack};
use crate::attributes::Attribute;
use crate::field::guided::{FaceJudge, Judgement, JUDGE_SIZE};
use crate::field::FieldError;
use crate::generator::Generator;
use crate::perception::human::mirror_disagreement;
use crate::perception::identity::generated_identity_crop;
use crate::perception::{AgeEstimator, FacePerception, IdentityEncoder, PerceptionError};
use crate::predictor::DegreeReader;
use candle_core::Tensor;
use image::imageops::FilterType;
use image::RgbImage;

/// Judges codes by the photo they make (see the module docs).
pub struct PhotoJudge<'a> {
    pub generator: &'a Generator,
    pub reader: &'a DegreeReader,
    pub perception: &'a FacePerception,
    /// The identity guard's network (on the render); without it no identity is computed.
    pub identity: Option<&'a IdentityEncoder>,
    /// The age network that reads the photo's age ([`DegreeReader::read_photo`]); without it
    /// the reader's own age.
    pub age: Option<&'a AgeEstimator>,
    /// The user's photo.
    pub photo: &'a RgbImage,
    /// How the photo's face maps to the generator's frame.
    pub paste: &'a PasteBack,
    /// The render of the photo's inverted code: the change is measured from it. Codes are
    /// rendered at its side.
    pub original_render: &'a RgbImage,
    /// The attributes whose bands of the face the change reaches.
    pub attributes: &'a [Attribute],
}

impl PhotoJudge<'_> {
    /// The photo as the user would see it with `render`'s change carried in, and how much that
    /// change alters its lower face.
    pub fn shown(&self, render: &RgbImage) -> Result<DeltaEdit, FieldError> {
        self.paste
            .delta_edit(self.photo, self.original_render, render, self.attributes)
            .map_err(|e| FieldError::BadInput(format!("carrying the edit into the photo: {e}")))
    }
}

impl FaceJudge for PhotoJudge<'_> {
    fn judge(&self, styles: &Tensor) -> Result<Judgement, FieldError> {
        if styles.dim(0)? != 1 {
            return Err(FieldError::BadInput(format!(
                "a photo edit judges one face at a time, got a batch of {}",
                styles.dim(0)?
            )));
        }
        let side = self.original_render.width();
        let render = self.generator.render(styles, side)?;
        let DeltaEdit {
            shown,
            lower_face_change,
        } = self.shown(&render)?;
        let identity = match self.identity {
            Some(encoder) => Some(encoder.embed(&generated_identity_crop(&render)?)?),
            None => None,
        };
        let (face_found, reading, mirror) = match self.perception.align(&shown, JUDGE_SIZE) {
            Ok(aligned) => (
                true,
                self.reader.read_photo(&shown, &aligned, self.age)?,
                Some(mirror_disagreement(&aligned, self.perception)?),
            ),
            // No face in the photo (or only a tiny one: the face was lost): the guards refuse
            // the code; its scores are the render's.
            Err(PerceptionError::NoFace | PerceptionError::FaceTooSmall(_)) => {
                let small =
                    image::imageops::resize(&render, JUDGE_SIZE, JUDGE_SIZE, FilterType::Triangle);
                (
                    false,
                    self.reader.read(std::slice::from_ref(&small))?.remove(0),
                    None,
                )
            }
            Err(e) => return Err(e.into()),
        };
        // The render is kept: the code an edit keeps is the reply's image.
        Ok(Judgement {
            mirror_disagreement: mirror,
            lower_face_change: Some(lower_face_change),
            ..Judgement::from_reading(&reading, face_found, identity, Some(render))
        })
    }
}
