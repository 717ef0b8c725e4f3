//! JSON-lines files as the labelling and pair-writing commands leave them: one record a line,
//! appended as the work goes, split into `<kind>.shard-K-of-N.jsonl` files when several
//! processes share it. One reader and one shard listing for every pipeline that reads them
//! (`field::train_fields`, `inversion::encoder_pipeline`, `predictor::train_pipeline`,
//! `predictor::reader_pipeline`), so blank lines, cut last lines and errors are handled alike.

use serde::de::DeserializeOwned;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Errors reading a JSON-lines file, naming it (and the line).
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("opening {}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} line {line}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}

/// What to do with a line that ends before its record does (a run interrupted while
/// appending it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutLines {
    /// An error like any other bad line.
    Fail,
    /// Skipped with a warning.
    Skip,
}

/// The records of `path`, one JSON value a line (blank lines skipped).
pub fn read_lines<T: DeserializeOwned>(path: &Path, cut: CutLines) -> Result<Vec<T>, JsonlError> {
    let file = std::fs::File::open(path).map_err(|source| JsonlError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| JsonlError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(v) => out.push(v),
            Err(e) if e.is_eof() && cut == CutLines::Skip => {
                tracing::warn!(file = %path.display(), line = n + 1, "cut line skipped")
            }
            Err(source) => {
                return Err(JsonlError::Line {
                    path: path.to_path_buf(),
                    line: n + 1,
                    source,
                })
            }
        }
    }
    Ok(out)
}

/// The shard files `<kind>.shard-*.jsonl` of `dir`, sorted by name (possibly none).
pub fn shard_files(dir: &Path, kind: &str) -> std::io::Result<Vec<PathBuf>> {
    let prefix = format!("{kind}.shard-");
    let mut shards: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".jsonl"))
        })
        .collect();
    shards.sort();
    Ok(shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Record {
        seed: u64,
    }

    /// A fresh directory of this test process.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tte-jsonl-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn records_are_read_blank_lines_skipped_and_a_cut_line_as_asked() {
        let dir = scratch("read");
        let path = dir.join("records.shard-0-of-1.jsonl");
        std::fs::write(&path, "{\"seed\": 1}\n\n{\"seed\": 2}\n{\"seed\": 3}").unwrap();
        let read: Vec<Record> = read_lines(&path, CutLines::Fail).unwrap();
        assert_eq!(
            read,
            [Record { seed: 1 }, Record { seed: 2 }, Record { seed: 3 }]
        );

        std::fs::write(&path, "{\"seed\": 1}\n{\"seed\": 2, \"ps").unwrap();
        let read: Vec<Record> = read_lines(&path, CutLines::Skip).unwrap();
        assert_eq!(read, [Record { seed: 1 }]);
        let err = read_lines::<Record>(&path, CutLines::Fail).unwrap_err();
        assert!(matches!(err, JsonlError::Line { line: 2, .. }), "{err:?}");
        assert!(
            err.to_string()
                .ends_with("records.shard-0-of-1.jsonl line 2"),
            "{err}"
        );

        // A line that is whole but wrong is an error either way.
        std::fs::write(&path, "{\"seed\": \"one\"}\n").unwrap();
        let err = read_lines::<Record>(&path, CutLines::Skip).unwrap_err();
        assert!(matches!(err, JsonlError::Line { line: 1, .. }), "{err:?}");
        let missing = dir.join("none.jsonl");
        let err = read_lines::<Record>(&missing, CutLines::Skip).unwrap_err();
        assert!(matches!(err, JsonlError::Open { .. }), "{err:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shards_of_one_kind_are_listed_in_name_order() {
        let dir = scratch("shards");
        for name in [
            "records.shard-1-of-2.jsonl",
            "records.shard-0-of-2.jsonl",
            "pairs.shard-0-of-1.jsonl",
            "records.shard-0-of-2.jsonl.partial",
            "celeba-train.jsonl",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let names = |kind: &str| -> Vec<String> {
            shard_files(&dir, kind)
                .unwrap()
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names("records"),
            ["records.shard-0-of-2.jsonl", "records.shard-1-of-2.jsonl"]
        );
        assert_eq!(names("pairs"), ["pairs.shard-0-of-1.jsonl"]);
        assert!(names("paths").is_empty());
        assert!(shard_files(&dir.join("missing"), "records").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
