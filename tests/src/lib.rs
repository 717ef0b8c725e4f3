//! Shared helpers for the workspace-level integration tests in `tests/tests/`.

use std::path::PathBuf;

/// `tests/fixtures/reference`: the generator's OpenVINO reference outputs (see its README).
pub fn reference_fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference");
    assert!(
        dir.is_dir(),
        "reference fixtures not found at {}",
        dir.display()
    );
    dir
}

/// `data/celeba_attrs_000007-000256.tsv`: CelebA's attribute labels of the measured half of the
/// CelebA photos (see `data/README.md`); the held-out half has none in the repository.
pub fn celeba_training_labels_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/celeba_attrs_000007-000256.tsv")
}

/// The converted generator weights, fetched (with pip) and converted first if needed. Panics with
/// the fetch error: the tests that need the generator fail rather than skip without it.
pub fn generator_weights() -> PathBuf {
    let store = models::ModelStore::open_default().expect("model store");
    let path = models::fetch::ensure_generator(&store, models::Progress::Hidden)
        .unwrap_or_else(|e| panic!("fetching MobileStyleGAN failed: {e}"));
    assert!(
        path.is_file(),
        "no converted generator at {}",
        path.display()
    );
    path
}

/// Path of a file of any model-store package (`key` as in `models/manifest.toml`), fetching the
/// package first if needed (tests fail, never skip, without it).
pub fn package_file(key: &str, path: &str) -> PathBuf {
    let store = models::ModelStore::open_default().expect("model store");
    if let Ok(p) = store.file(key, path) {
        return p;
    }
    models::fetch(&store, &[key.to_string()], models::Progress::Hidden)
        .unwrap_or_else(|e| panic!("fetching {key} failed: {e}"));
    store
        .file(key, path)
        .unwrap_or_else(|e| panic!("{path} still missing after fetch: {e}"))
}

/// The 250 photos of the measured CelebA half (felonfinder `000007.jpg`-`000256.jpg`), fetching
/// the package first if needed. The held-out half is never returned.
pub fn celeba_training_photos() -> Vec<PathBuf> {
    let store = models::ModelStore::open_default().expect("model store");
    if store.celeba_faces(models::Split::Train).is_err() {
        models::fetch(
            &store,
            &[models::store::CELEBA_FACES_KEY.to_string()],
            models::Progress::Hidden,
        )
        .unwrap_or_else(|e| panic!("fetching felonfinder failed: {e}"));
    }
    store.celeba_faces(models::Split::Train).unwrap()
}

/// A committed file of `models/trained/` (weights, directions, labels).
pub fn trained(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models/trained")
        .join(file)
}
