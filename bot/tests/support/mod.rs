//! Shared helpers of the binary's integration tests: model files and a real photo, fetched first
//! when missing (the tests fail, never skip, without them).

#![allow(dead_code)]

use std::path::PathBuf;

/// A file of a model-store package, fetched first if needed (the test fails, not skips,
/// without it).
pub fn package_file(key: &str, path: &str) -> PathBuf {
    let store = models::ModelStore::open_default().expect("model store");
    if let Ok(p) = store.file(key, path) {
        return p;
    }
    models::fetch(&store, &[key.to_string()], models::Progress::Hidden)
        .unwrap_or_else(|e| panic!("fetching {key} failed: {e}"));
    store.file(key, path).unwrap()
}

/// The generator and the Faceplugin models.
pub fn ensure_models() {
    let store = models::ModelStore::open_default().expect("model store");
    models::fetch::ensure_generator(&store, models::Progress::Hidden)
        .unwrap_or_else(|e| panic!("fetching MobileStyleGAN failed: {e}"));
    package_file("faceplugin", engine::perception::IDENTITY_MODEL);
}

/// The first photo of the measured CelebA half (felonfinder), with the face models present.
pub fn celeba_photo() -> PathBuf {
    package_file("faceplugin", engine::perception::DETECT_MODEL);
    let store = models::ModelStore::open_default().unwrap();
    if store.celeba_faces(models::Split::Train).is_err() {
        models::fetch(
            &store,
            &["felonfinder".to_string()],
            models::Progress::Hidden,
        )
        .unwrap();
    }
    store.celeba_faces(models::Split::Train).unwrap()[0].clone()
}
