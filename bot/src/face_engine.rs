//! The product's [`FaceEngine`]: the real MobileStyleGAN generator starts faces from seeds and
//! renders W+ latents, and the attribute predictor P (`models/trained/predictor.safetensors`)
//! measures degrees on the rendered face. Editing along semantic fields (issue 5) and inverting
//! photos (issue 6) are not wired in yet; those calls return [`EngineError::NotAvailable`]
//! naming what is missing, which the dialog turns into an honest reply. Nothing here pretends
//! to edit.

use anyhow::Context;
use candle_core::Tensor;
use engine::dialog::{Degrees, EditOutcome, EngineError, FaceEngine, Latent, W_DIM, W_PLUS_LAYERS};
use engine::generator::Generator;
use engine::perception::measures::MEASURE_CROP;
use engine::predictor::AttributePredictor;
use engine::Attribute;
use std::path::PathBuf;

/// Truncation towards the average w for faces started from a seed (typical faces, few artefacts).
pub const SEED_TRUNCATION: f64 = 0.7;

/// The real engine.
pub struct ProductFaceEngine {
    generator: Generator,
    predictor: AttributePredictor,
    render_size: u32,
}

impl ProductFaceEngine {
    /// Loads the generator (`weights`, or the model cache's converted file); a missing file
    /// fails with a message naming `talk-to-edit models fetch`. `render_size` is 256, 512 or 1024.
    pub fn load(weights: Option<PathBuf>, render_size: u32) -> anyhow::Result<Self> {
        if ![256, 512, 1024].contains(&render_size) {
            anyhow::bail!("image size must be 256, 512 or 1024, got {render_size}");
        }
        let generator = crate::loading::generator(weights)?;
        let predictor_path = crate::loading::predictor_path();
        let predictor = AttributePredictor::load_file(&predictor_path, generator.device())
            .with_context(|| format!("loading the predictor {}", predictor_path.display()))?;
        Ok(ProductFaceEngine {
            generator,
            predictor,
            render_size,
        })
    }
}

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(e.to_string())
}

fn field_missing(attribute: Attribute) -> EngineError {
    EngineError::NotAvailable {
        action: format!("editing {attribute}"),
        needs: format!("the semantic field for {attribute}"),
        status: "is not trained yet (issue 5)".into(),
    }
}

impl FaceEngine for ProductFaceEngine {
    fn start_from_seed(&self, seed: u64) -> Result<Latent, EngineError> {
        let w = self
            .generator
            .w_from_seed(seed)
            .map_err(|e| EngineError::BadInput(e.to_string()))?;
        let w = self
            .generator
            .truncate(&w, SEED_TRUNCATION)
            .and_then(|w| self.generator.w_plus(&w))
            .map_err(failed)?;
        let values = w
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(failed)?;
        Latent::from_vec(values).map_err(failed)
    }

    fn start_from_photo(&self, photo: &[u8]) -> Result<Latent, EngineError> {
        image::load_from_memory(photo).map_err(|e| {
            EngineError::BadInput(format!("the file is not a readable image ({e})"))
        })?;
        Err(EngineError::NotAvailable {
            action: "editing a photo".into(),
            needs: "GAN inversion of photos into the generator's W+ space".into(),
            status: "is not built yet (issue 6)".into(),
        })
    }

    /// P on the face rendered at the crop size it was trained from (generated faces are already
    /// in the aligned frame).
    fn degrees(&self, latent: &Latent) -> Result<Degrees, EngineError> {
        let face = self
            .generator
            .render(&self.styles(latent)?, MEASURE_CROP)
            .map_err(failed)?;
        let prediction = self
            .predictor
            .predict(std::slice::from_ref(&face))
            .map_err(failed)?
            .remove(0);
        Ok(Attribute::ALL
            .iter()
            .map(|&a| (a, prediction.degree(a) as u8))
            .collect())
    }

    fn can_edit(&self, attribute: Attribute) -> Result<(), EngineError> {
        Err(field_missing(attribute))
    }

    fn edit(
        &self,
        _latent: &Latent,
        attribute: Attribute,
        _target: u8,
    ) -> Result<EditOutcome, EngineError> {
        Err(field_missing(attribute))
    }

    fn render(&self, latent: &Latent) -> Result<image::RgbImage, EngineError> {
        self.generator
            .render(&self.styles(latent)?, self.render_size)
            .map_err(failed)
    }
}

impl ProductFaceEngine {
    /// The latent as a `[1, 23, 512]` W+ tensor on the generator's device.
    fn styles(&self, latent: &Latent) -> Result<Tensor, EngineError> {
        Tensor::from_slice(
            latent.as_slice(),
            (1, W_PLUS_LAYERS, W_DIM),
            self.generator.device(),
        )
        .map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    //! These use the real generator weights, fetched and converted first when missing (as the
    //! generator parity test does); they fail, never skip, without them.
    use super::*;
    use engine::dialog::{Conversation, Event, Note};
    use engine::language::{Direction, EditKind, EditRequest, Intent, ParsedRequest};

    fn not_available_text(result: Result<impl std::fmt::Debug, EngineError>) -> String {
        match result {
            Err(e @ EngineError::NotAvailable { .. }) => e.to_string(),
            other => panic!("expected NotAvailable, got {other:?}"),
        }
    }

    #[test]
    fn missing_weights_name_the_fetch_command() {
        let err = ProductFaceEngine::load(Some("/no/such/generator.safetensors".into()), 256)
            .err()
            .expect("missing weights must fail");
        assert!(
            format!("{err:#}").contains("talk-to-edit models fetch"),
            "{err:#}"
        );
        let err = ProductFaceEngine::load(None, 300).err().expect("bad size");
        assert!(err.to_string().contains("256, 512 or 1024"), "{err}");
    }

    fn generator_weights() -> PathBuf {
        let store = models::ModelStore::open_default().expect("model store");
        models::fetch::ensure_generator(&store, models::Progress::Hidden)
            .unwrap_or_else(|e| panic!("fetching MobileStyleGAN failed: {e}"))
    }

    #[test]
    fn seeds_render_and_missing_models_are_reported_not_faked() {
        let engine = ProductFaceEngine::load(Some(generator_weights()), 256).unwrap();
        let latent = engine.start_from_seed(5).unwrap();
        assert_eq!(
            engine.start_from_seed(5).unwrap(),
            latent,
            "seeds are deterministic"
        );
        assert_ne!(engine.start_from_seed(6).unwrap(), latent);
        let image = engine.render(&latent).unwrap();
        assert_eq!(image.dimensions(), (256, 256));
        let first = image.get_pixel(0, 0);
        assert!(
            image.pixels().any(|p| p != first),
            "a face, not a flat image"
        );

        // Degrees come from P on the render: every attribute, each 0..=5; seed 5 (a young
        // adult without glasses, beard or bangs) is read as such.
        let degrees = engine.degrees(&latent).unwrap();
        assert_eq!(degrees.len(), 5, "{degrees:?}");
        assert!(degrees.values().all(|&d| d <= 5), "{degrees:?}");
        assert_eq!(degrees[&Attribute::Eyeglasses], 0, "{degrees:?}");
        assert_eq!(degrees[&Attribute::Beard], 0, "{degrees:?}");
        assert!((1..=2).contains(&degrees[&Attribute::Age]), "{degrees:?}");
        let text = not_available_text(engine.edit(&latent, Attribute::Smiling, 3));
        assert_eq!(
            text,
            "editing smiling needs the semantic field for smiling, which is not trained yet (issue 5)"
        );
        assert!(matches!(
            engine.start_from_photo(b"not an image"),
            Err(EngineError::BadInput(_))
        ));
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let text = not_available_text(engine.start_from_photo(png.get_ref()));
        assert!(text.contains("GAN inversion"), "{text}");

        // Through the dialog: the face is shown, the edit is refused honestly, nothing changes.
        let mut conversation = Conversation::new(0);
        let reply = conversation.handle(Event::SeedFace(5), &engine, &|_, _| ParsedRequest {
            intent: Intent::Unknown,
            edits: vec![],
        });
        assert_eq!(reply.notes, vec![Note::FaceReady]);
        assert_eq!(reply.image.as_ref(), Some(&image));
        let before = conversation.clone();
        let request = ParsedRequest {
            intent: Intent::Edit,
            edits: vec![EditRequest {
                attribute: Attribute::Bangs,
                kind: EditKind::Direction,
                direction: Some(Direction::Increase),
                target: None,
                change: None,
            }],
        };
        let reply = conversation.handle_parsed("longer bangs", &request, &engine);
        assert_eq!(
            reply.notes,
            vec![Note::NotAvailable(Some(Attribute::Bangs))]
        );
        assert!(reply.image.is_none());
        assert!(
            reply.text.contains("semantic field for bangs"),
            "{}",
            reply.text
        );
        assert_eq!(conversation.face, before.face);
    }
}
