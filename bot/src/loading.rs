//! Picking the compute device and loading the generator, shared by every subcommand that renders.

use anyhow::Context;
use candle_core::Device;
use engine::generator::Generator;
use std::path::PathBuf;

/// CUDA device 0 when built with `--features cuda` and a GPU is present, else the CPU.
/// `TALK_TO_EDIT_DEVICE=cpu` keeps a CUDA build on the CPU (to compare the two on one machine).
pub fn device() -> anyhow::Result<Device> {
    if std::env::var("TALK_TO_EDIT_DEVICE").as_deref() == Ok("cpu") {
        return Ok(Device::Cpu);
    }
    #[cfg(feature = "cuda")]
    {
        let device = Device::cuda_if_available(0).context("opening the CUDA device")?;
        tracing::info!(cuda = device.is_cuda(), "device selected");
        Ok(device)
    }
    #[cfg(not(feature = "cuda"))]
    Ok(Device::Cpu)
}

/// The converted generator file: `weights` if given, else the model cache's.
pub fn generator_path(weights: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match weights {
        Some(p) => Ok(p),
        None => Ok(models::ModelStore::open_default()
            .context("opening the model cache")?
            .converted_generator()),
    }
}

/// Loads the generator onto [`device`]; a missing file names `talk-to-edit models fetch`.
pub fn generator(weights: Option<PathBuf>) -> anyhow::Result<Generator> {
    let path = generator_path(weights)?;
    let device = device()?;
    Generator::load(&path, &device)
        .with_context(|| format!("loading the generator from {}", path.display()))
}

/// The face detector and landmark models (Faceplugin) from the model cache.
pub fn face_perception(
    store: &models::ModelStore,
) -> anyhow::Result<engine::perception::FacePerception> {
    use engine::perception::{FacePerception, DETECT_MODEL, LANDMARK_MODEL};
    Ok(FacePerception::load_files(
        &store.file("faceplugin", DETECT_MODEL)?,
        &store.file("faceplugin", LANDMARK_MODEL)?,
    )?)
}

/// The identity guard's axes per attribute (`train identity-axes`), where fitted.
pub fn identity_axes_path() -> PathBuf {
    trained_dir()
        .join("fields")
        .join("identity_axes.safetensors")
}

/// The identity guard's axes (`engine::field::identity_axes`), when the file is there.
pub fn identity_axes(
) -> anyhow::Result<Option<std::sync::Arc<engine::field::identity_axes::IdentityAxes>>> {
    let path = identity_axes_path();
    if !path.is_file() {
        return Ok(None);
    }
    let axes = engine::field::identity_axes::IdentityAxes::load(&path)
        .with_context(|| format!("loading the identity axes {}", path.display()))?;
    Ok(Some(std::sync::Arc::new(axes)))
}

/// The repository's `models/trained` directory (the committed weights the project trains);
/// `$TALK_TO_EDIT_TRAINED` points elsewhere (a prebuilt binary run from another checkout).
pub fn trained_dir() -> PathBuf {
    match std::env::var_os("TALK_TO_EDIT_TRAINED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/trained")),
    }
}

/// The committed attribute predictor P.
pub fn predictor_path() -> PathBuf {
    trained_dir().join("predictor.safetensors")
}

/// The committed inversion encoder (photo -> W+ starting code).
pub fn encoder_path() -> PathBuf {
    trained_dir().join("encoder.safetensors")
}

/// The committed direction from clear glasses to sunglasses (`train sunglasses`).
pub fn sunglasses_path() -> PathBuf {
    trained_dir()
        .join("fields")
        .join("sunglasses_direction.safetensors")
}

/// The committed sunglasses direction (the eyeglasses entry of [`sunglasses_path`]; `None`
/// when the file holds none).
pub fn sunglasses_direction() -> anyhow::Result<Option<engine::field::LinearDirection>> {
    let path = sunglasses_path();
    Ok(engine::field::LinearDirection::load_all(&path)
        .with_context(|| format!("loading {}", path.display()))?
        .into_iter()
        .find(|d| d.attribute == engine::Attribute::Eyeglasses))
}

/// The committed degree reader with P as its sunglasses teacher
/// (`DegreeReader::with_sunglasses_teacher`), as the editing loop reads faces.
pub fn degree_reader(device: &Device) -> anyhow::Result<engine::predictor::DegreeReader> {
    let path = trained_dir().join("reader.safetensors");
    let reader = engine::predictor::DegreeReader::load_file(&path, device)
        .with_context(|| format!("loading the degree reader {}", path.display()))?;
    let p_path = predictor_path();
    let p = engine::predictor::AttributePredictor::load_file(&p_path, device)
        .with_context(|| format!("loading the predictor {}", p_path.display()))?;
    Ok(reader.with_sunglasses_teacher(p))
}

/// The committed second predictor P' (attribute-preservation scores only).
pub fn predictor_prime_path() -> PathBuf {
    trained_dir().join("predictor_prime.safetensors")
}

/// The committed labelling rules and labels of the generated training faces.
pub fn predictor_labels_dir() -> PathBuf {
    trained_dir().join("predictor")
}

/// Every `every`-th photo of the measured CelebA half (felonfinder's training split) from the
/// `offset`-th, at most `limit`.
pub fn measured_photos(
    every: usize,
    limit: Option<usize>,
    offset: usize,
) -> anyhow::Result<Vec<PathBuf>> {
    if every == 0 || limit == Some(0) {
        anyhow::bail!("--every and --limit must be at least 1");
    }
    let store = models::ModelStore::open_default()?;
    let photos: Vec<PathBuf> = store
        .celeba_faces(models::Split::Train)
        .context("the measured photos (run `talk-to-edit models fetch --only felonfinder`)")?
        .into_iter()
        .skip(offset)
        .step_by(every)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    if photos.is_empty() {
        anyhow::bail!("no photos at offset {offset} of the measured split");
    }
    Ok(photos)
}

/// The labelled dataset's degrees by seed (`path`, or the committed
/// `models/trained/predictor/labels.csv`), as the direction fits read them.
pub fn dataset_labels(
    path: Option<PathBuf>,
) -> anyhow::Result<std::collections::HashMap<u64, [u8; 5]>> {
    let path = path.unwrap_or_else(|| trained_dir().join("predictor").join("labels.csv"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    engine::predictor::reader_pipeline::parse_labels_csv(&text)
        .with_context(|| format!("parsing {}", path.display()))
}
