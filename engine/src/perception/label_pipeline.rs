//! Everything `talk-to-edit label generated` and `label paths` do, as library calls: seeded
//! generated faces (and renders along the linear edit directions) run through every teacher
//! ([`super::labeller::TeacherLabeller`]), one JSON line per face (or path) and its 128 px
//! aligned crop — the raw material from which `train predictor` and `train reader` make their
//! labels. The binary parses the shard, loads the models and shows the progress.
//!
//! - [`label_celeba`]: CelebA's labelled training half (`000007`-`000256` only; the held-out
//!   half is never read), measured once into `celeba-train.jsonl`: the identity probes are
//!   fitted on those embeddings and labels.
//! - [`label_generated`]: face `i` of the run uses seed `first_seed + i` and truncation
//!   [`seed_psi`]; `records.shard-k-of-n.jsonl`, `crops/<seed>.png`.
//! - [`label_paths`]: seed `s` rendered at seven offsets along one attribute's unit linear
//!   direction ([`path_attribute`], [`path_offsets`]) in the first [`PATH_LAYERS`] style
//!   layers; `paths.shard-k-of-n.jsonl`, `crops/<seed>_<attribute>_<step>.png`.
//!
//! Shard `k/n` labels faces k, k+n, k+2n, ... of the run, so n processes share the work; each
//! appends to its own file and skips seeds already there ([`done_seeds`]), so an interrupted
//! run resumes.

use super::labeller::{read_celeba_attributes, TeacherLabeller};
use super::measures::label_crop;
use super::{load_photo, PerceptionError};
use crate::attributes::Attribute;
use crate::field::linear::LinearDirection;
use crate::field::step::FieldSpace;
use crate::field::FieldError;
use crate::files::{io_at, save_image as save, FileError};
use crate::generator::{Generator, GeneratorError};
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Style layers a path moves (the fields' W+ layers).
pub const PATH_LAYERS: usize = 13;

/// Errors of the labelling runs.
#[derive(Debug, thiserror::Error)]
pub enum LabelPipelineError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{name} has no row in {}", table.display())]
    NoCelebaRow { name: String, table: PathBuf },
    #[error("the CelebA photos")]
    CelebaPhotos(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("{} has no {} direction", file.display(), attribute.name())]
    NoDirection { file: PathBuf, attribute: Attribute },
    #[error(transparent)]
    Perception(#[from] PerceptionError),
    #[error(transparent)]
    Generator(#[from] GeneratorError),
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// Truncation psi of a labelled seed: 1.0 for even seeds, 0.7 for odd ones (untruncated faces
/// carry the rare attributes more often; truncated ones look like the faces the product renders).
pub fn seed_psi(seed: u64) -> f64 {
    if seed.is_multiple_of(2) {
        1.0
    } else {
        0.7
    }
}

/// The attribute whose direction seed `seed`'s path follows: blocks of ten seeds share one,
/// so that held-out seeds (ending in 0) cycle through all five.
pub fn path_attribute(seed: u64, first_seed: u64) -> Attribute {
    Attribute::ALL[((seed.saturating_sub(first_seed) / 10) % 5) as usize]
}

/// The offsets of a path along its attribute's unit linear direction.
pub fn path_offsets(attribute: Attribute) -> &'static [f64] {
    match attribute {
        // Rare attributes: mostly the adding side.
        Attribute::Bangs | Attribute::Eyeglasses | Attribute::Beard => {
            &[-3.0, -1.5, 0.0, 1.5, 3.0, 4.5, 6.0]
        }
        Attribute::Smiling | Attribute::Age => &[-4.5, -3.0, -1.5, 0.0, 1.5, 3.0, 4.5],
    }
}

/// The seeds already in a shard file (a line cut by an interruption does not count: it is
/// redone). None when the file does not exist yet.
pub fn done_seeds(path: &Path) -> Result<HashSet<u64>, LabelPipelineError> {
    let mut done = HashSet::new();
    if !path.exists() {
        return Ok(done);
    }
    let file = std::fs::File::open(path).map_err(io_at(path))?;
    for line in std::io::BufReader::new(file).lines() {
        let v: serde_json::Value = match serde_json::from_str(&line.map_err(io_at(path))?) {
            Ok(v) => v,
            Err(_) => continue,
        };
        if let Some(s) = v["seed"].as_u64() {
            done.insert(s);
        }
    }
    Ok(done)
}

/// Loads the CelebA photos to measure (called only when they are measured).
pub type CelebaFiles<'a> =
    dyn FnMut() -> Result<Vec<PathBuf>, Box<dyn std::error::Error + Send + Sync>> + 'a;

/// Measures CelebA's training half once into `out/celeba-train.jsonl` (file, CelebA labels of
/// `table`, record or error), through a `.partial` file renamed at the end; nothing when the
/// file exists. Returns whether it measured.
pub fn label_celeba(
    labeller: &TeacherLabeller,
    files: &mut CelebaFiles<'_>,
    table: &Path,
    out: &Path,
) -> Result<bool, LabelPipelineError> {
    let done = out.join("celeba-train.jsonl");
    if done.exists() {
        return Ok(false);
    }
    let attrs = read_celeba_attributes(table)?;
    let files = files().map_err(LabelPipelineError::CelebaPhotos)?;
    let partial = out.join("celeba-train.jsonl.partial");
    let mut lines = std::fs::File::create(&partial).map_err(io_at(&partial))?;
    tracing::info!(photos = files.len(), "measuring CelebA's training half");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(a) = attrs.get(name) else {
            return Err(LabelPipelineError::NoCelebaRow {
                name: name.to_string(),
                table: table.to_path_buf(),
            });
        };
        let line = match labeller.label(&load_photo(f)?) {
            Ok((record, _)) => json!({"file": name, "celeba": a, "record": record}),
            Err(e) => json!({"file": name, "celeba": a, "error": e.to_string()}),
        };
        writeln!(lines, "{line}").map_err(io_at(&partial))?;
    }
    std::fs::rename(&partial, &done).map_err(io_at(&done))?;
    Ok(true)
}

/// One labelling run's faces: `count` seeds from `first_seed`, the `shard = (k, n)` share.
#[derive(Debug, Clone)]
pub struct LabelRun {
    /// Dataset directory (the shard file and `crops/` are written here).
    pub out: PathBuf,
    pub first_seed: u64,
    pub count: u64,
    pub shard: (u64, u64),
}

impl LabelRun {
    /// The run's shard file `<kind>.shard-k-of-n.jsonl`.
    pub fn shard_file(&self, kind: &str) -> PathBuf {
        let (k, n) = self.shard;
        self.out.join(format!("{kind}.shard-{k}-of-{n}.jsonl"))
    }

    /// This shard's seeds not yet in `done`.
    fn todo(&self, done: &HashSet<u64>) -> Vec<u64> {
        let (k, n) = self.shard;
        (0..self.count)
            .filter(|i| i % n == k)
            .map(|i| self.first_seed + i)
            .filter(|s| !done.contains(s))
            .collect()
    }

    /// Creates `crops/`, reads what the shard file holds and opens it for appending.
    fn open(&self, kind: &str) -> Result<(PathBuf, Vec<u64>, std::fs::File), LabelPipelineError> {
        let crops = self.out.join("crops");
        std::fs::create_dir_all(&crops).map_err(io_at(&crops))?;
        let path = self.shard_file(kind);
        let todo = self.todo(&done_seeds(&path)?);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_at(&path))?;
        Ok((path, todo, file))
    }
}

/// What a labelling run reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum LabelEvent {
    /// `todo` seeds are not in the shard file yet.
    Start { todo: usize },
    /// One more seed labelled (or recorded without a face).
    Seed,
}

/// `label generated`: renders each seed of `run` not yet in `records.shard-k-of-n.jsonl` at
/// 1024 px, runs the teachers and appends its record (or why there is none) and its crop.
/// Returns the seeds labelled.
pub fn label_generated(
    labeller: &TeacherLabeller,
    generator: &Generator,
    run: &LabelRun,
    on_event: &mut dyn FnMut(LabelEvent),
) -> Result<usize, LabelPipelineError> {
    let (path, seeds, mut records) = run.open("records")?;
    on_event(LabelEvent::Start { todo: seeds.len() });
    for &seed in &seeds {
        let psi = seed_psi(seed);
        let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
        let face = generator.render(&w, 1024)?;
        let line = match labeller.label(&face) {
            Ok((record, aligned)) => {
                let crop = label_crop(&aligned.crop);
                save(&crop, run.out.join("crops").join(format!("{seed}.png")))?;
                json!({"seed": seed, "psi": psi, "record": record})
            }
            Err(e @ (PerceptionError::NoFace | PerceptionError::BadInput(_))) => {
                json!({"seed": seed, "psi": psi, "error": e.to_string()})
            }
            Err(e) => return Err(e.into()),
        };
        writeln!(records, "{line}").map_err(io_at(&path))?;
        on_event(LabelEvent::Seed);
    }
    Ok(seeds.len())
}

/// `label paths`: for each seed of `run` not yet in `paths.shard-k-of-n.jsonl`, renders the
/// seven steps of its path along `directions` (read from `directions_file`, named in errors),
/// runs the teachers on each and appends the path. Returns the paths labelled.
pub fn label_paths(
    labeller: &TeacherLabeller,
    generator: &Generator,
    directions: &[LinearDirection],
    directions_file: &Path,
    run: &LabelRun,
    on_event: &mut dyn FnMut(LabelEvent),
) -> Result<usize, LabelPipelineError> {
    let space = FieldSpace::WPlus { k: PATH_LAYERS };
    let (path, seeds, mut records) = run.open("paths")?;
    on_event(LabelEvent::Start { todo: seeds.len() });
    for &seed in &seeds {
        let psi = seed_psi(seed);
        let attribute = path_attribute(seed, run.first_seed);
        let Some(direction) = directions.iter().find(|d| d.attribute == attribute) else {
            return Err(LabelPipelineError::NoDirection {
                file: directions_file.to_path_buf(),
                attribute,
            });
        };
        let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
        let styles = space.prepare(&w)?;
        let n_dir = direction.direction_tensor(w.device())?;
        let mut steps = Vec::new();
        for (i, &t) in path_offsets(attribute).iter().enumerate() {
            let moved = space.add(&styles, &(&n_dir * t).map_err(FieldError::from)?)?;
            let face = generator.render(&moved, 1024)?;
            let step = match labeller.label(&face) {
                Ok((record, aligned)) => {
                    let crop = label_crop(&aligned.crop);
                    let name = format!("{seed}_{}_{i}.png", attribute.name());
                    save(&crop, run.out.join("crops").join(&name))?;
                    json!({"t": t, "crop": name, "record": record})
                }
                Err(e @ (PerceptionError::NoFace | PerceptionError::BadInput(_))) => {
                    json!({"t": t, "error": e.to_string()})
                }
                Err(e) => return Err(e.into()),
            };
            steps.push(step);
        }
        let line = json!({"seed": seed, "psi": psi, "attribute": attribute, "steps": steps});
        writeln!(records, "{line}").map_err(io_at(&path))?;
        on_event(LabelEvent::Seed);
    }
    Ok(seeds.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_run_and_skip_seeds_already_labelled() {
        let dir = std::env::temp_dir().join(format!("tte-label-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = LabelRun {
            out: dir.clone(),
            first_seed: 100_000,
            count: 10,
            shard: (1, 3),
        };
        let path = run.shard_file("records");
        assert!(path.ends_with("records.shard-1-of-3.jsonl"));
        assert!(done_seeds(&path).unwrap().is_empty(), "no file yet");
        // Seed 100004 is done; the cut line of 100007 is redone.
        std::fs::write(
            &path,
            "{\"seed\": 100004, \"psi\": 1.0}\n\n{\"seed\": 100007, \"ps",
        )
        .unwrap();
        let done = done_seeds(&path).unwrap();
        assert_eq!(done, HashSet::from([100_004]));
        assert_eq!(run.todo(&done), [100_001, 100_007]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn paths_cycle_attributes_in_blocks_of_ten_and_seeds_alternate_psi() {
        let attributes: Vec<Attribute> = (0..6)
            .map(|b| path_attribute(100_000 + 10 * b, 100_000))
            .collect();
        assert_eq!(attributes[..5], Attribute::ALL);
        assert_eq!(attributes[5], Attribute::ALL[0]);
        assert_eq!(path_attribute(100_009, 100_000), Attribute::ALL[0]);
        assert_eq!((seed_psi(100_000), seed_psi(100_001)), (1.0, 0.7));
        for a in Attribute::ALL {
            let offsets = path_offsets(a);
            assert_eq!(offsets.len(), 7);
            assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{a}");
            assert!(offsets.contains(&0.0), "{a}: the unmoved face");
        }
    }
}
