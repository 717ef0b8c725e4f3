//! The narrow interface between the dialog and whatever edits faces: the [`FaceEngine`] trait,
//! the W+ [`Latent`] it works on, the per-attribute [`Degrees`] and the typed [`EngineError`]s
//! the dialog turns into honest replies.

use crate::attributes::Attribute;
use crate::language::Direction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Number of W+ layers of the generator (one w per synthesis input).
pub const W_PLUS_LAYERS: usize = 23;
/// Width of one w vector.
pub const W_DIM: usize = 512;
/// Number of floats in a W+ latent (`[23, 512]`, row-major).
pub const W_PLUS_LEN: usize = W_PLUS_LAYERS * W_DIM;

/// A W+ latent code, `[23, 512]` floats in row-major order.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct Latent {
    values: Vec<f32>,
}

/// A latent of the wrong size or encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LatentError {
    #[error("a W+ latent has {W_PLUS_LEN} floats ([{W_PLUS_LAYERS}, {W_DIM}]), got {0}")]
    WrongLength(usize),
    #[error("a W+ latent blob has {bytes} bytes (f32 little-endian), got {0}", bytes = W_PLUS_LEN * 4)]
    WrongByteLength(usize),
    #[error("a latent contains a non-finite value at index {0}")]
    NotFinite(usize),
}

impl Latent {
    /// Wraps `[23 * 512]` finite floats.
    pub fn from_vec(values: Vec<f32>) -> Result<Self, LatentError> {
        if values.len() != W_PLUS_LEN {
            return Err(LatentError::WrongLength(values.len()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(LatentError::NotFinite(i));
        }
        Ok(Latent { values })
    }

    /// The floats, row-major `[23, 512]`.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// The floats, row-major `[23, 512]`.
    pub fn into_vec(self) -> Vec<f32> {
        self.values
    }

    /// The latent as f32 little-endian bytes (the database blob format).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads a latent from f32 little-endian bytes.
    pub fn from_le_bytes(bytes: &[u8]) -> Result<Self, LatentError> {
        if bytes.len() != W_PLUS_LEN * 4 {
            return Err(LatentError::WrongByteLength(bytes.len()));
        }
        let values = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Latent::from_vec(values)
    }
}

impl TryFrom<Vec<f32>> for Latent {
    type Error = LatentError;
    fn try_from(values: Vec<f32>) -> Result<Self, Self::Error> {
        Latent::from_vec(values)
    }
}

impl From<Latent> for Vec<f32> {
    fn from(latent: Latent) -> Self {
        latent.values
    }
}

impl fmt::Debug for Latent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Latent[{}x{}](", W_PLUS_LAYERS, W_DIM)?;
        for v in self.values.iter().take(3) {
            write!(f, "{v:.4}, ")?;
        }
        write!(f, "...)")
    }
}

/// Known fine-grained degrees (0..=5) of the current face, per attribute. An attribute is absent
/// when its degree has not been measured.
pub type Degrees = BTreeMap<Attribute, u8>;

/// What an edit achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct EditOutcome {
    /// The edited latent.
    pub latent: Latent,
    /// The degree the attribute has now (measured by the engine).
    pub reached: u8,
    /// Why the engine stopped before the target; `None` when it reached it.
    pub stopped_short: Option<StopReason>,
}

/// Why an edit stopped before its target: what the reply says instead of a limit the face does
/// not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The face cannot change further that way: the degree stopped moving.
    Limit,
    /// Every further step made the face look like another person.
    WouldChangeIdentity,
    /// Every further step also changed another attribute too much.
    WouldChange(OtherChange),
    /// Every further step made the face look broken, or lost it.
    WouldBreakFace,
}

/// Another attribute that a refused step changed, and how: the dialog says "without also taking
/// away the glasses".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherChange {
    pub attribute: Attribute,
    /// The way its score went.
    pub direction: Direction,
    /// Its degree at the start of the edit.
    pub from: u8,
    /// Its degree on the refused step.
    pub to: u8,
}

impl OtherChange {
    /// The attribute went from some to none (never for age, which has no "none").
    pub fn takes_away(&self) -> bool {
        self.attribute != Attribute::Age
            && self.direction == Direction::Decrease
            && self.from > 0
            && self.to == 0
    }

    /// The attribute went from none to some (never for age).
    pub fn adds(&self) -> bool {
        self.attribute != Attribute::Age
            && self.direction == Direction::Increase
            && self.from == 0
            && self.to > 0
    }
}

/// Why the engine could not do what the dialog asked. Every variant becomes an honest reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A capability that needs a model the project does not have yet.
    #[error("{action} needs {needs}, which {status}")]
    NotAvailable {
        /// What was asked, e.g. "editing smiling".
        action: String,
        /// What it needs, e.g. "the semantic field for smiling".
        needs: String,
        /// Why it is missing, e.g. "is not trained yet (issue 5)".
        status: String,
    },
    /// The user's input cannot be used (e.g. a photo that does not decode).
    #[error("{0}")]
    BadInput(String),
    /// Anything else that went wrong inside the engine.
    #[error("{0}")]
    Failed(String),
}

/// The operations the dialog needs from a face editor. The product implements it with the real
/// generator, predictor and semantic fields; tests may use a double.
pub trait FaceEngine {
    /// The W+ latent of the face generated from `seed`.
    fn start_from_seed(&self, seed: u64) -> Result<Latent, EngineError>;
    /// The W+ latent of an uploaded photo (GAN inversion).
    fn start_from_photo(&self, photo: &[u8]) -> Result<Latent, EngineError>;
    /// The degrees of every attribute the engine can measure on `latent`.
    fn degrees(&self, latent: &Latent) -> Result<Degrees, EngineError>;
    /// Whether `attribute` can be edited at all (models present), without doing any work.
    fn can_edit(&self, attribute: Attribute) -> Result<(), EngineError>;
    /// Moves `latent` along the attribute's semantic field until `target` is reached or the
    /// face cannot change further.
    fn edit(
        &self,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError>;
    /// Renders `latent` to an RGB image.
    fn render(&self, latent: &Latent) -> Result<image::RgbImage, EngineError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latents_check_their_size_and_values_and_round_trip_as_bytes() {
        let values: Vec<f32> = (0..W_PLUS_LEN).map(|i| i as f32 * 0.25 - 7.0).collect();
        let latent = Latent::from_vec(values.clone()).unwrap();
        let bytes = latent.to_le_bytes();
        assert_eq!(bytes.len(), W_PLUS_LEN * 4);
        assert_eq!(&bytes[..4], &(-7.0f32).to_le_bytes());
        assert_eq!(Latent::from_le_bytes(&bytes).unwrap(), latent);
        assert_eq!(
            Latent::from_vec(vec![0.0; 512]),
            Err(LatentError::WrongLength(512))
        );
        assert_eq!(
            Latent::from_le_bytes(&bytes[..100]),
            Err(LatentError::WrongByteLength(100))
        );
        let mut bad = values;
        bad[17] = f32::NAN;
        assert_eq!(Latent::from_vec(bad), Err(LatentError::NotFinite(17)));
    }
}
