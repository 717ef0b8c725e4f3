//! `talk-to-edit human-gate`: fits and measures the people-only gate
//! (`engine::perception::human`).
//!
//! - `fit`: the mean landmark shape and mean identity embedding of generated faces, and a
//!   logistic probe on the embedding (generated faces and photo-like copies of them against
//!   non-human pictures), written as the gate's reference
//!   (`engine/data/perception/human_reference.json`).
//! - `eval`: every feature of every picture given (the measured CelebA half, generated faces,
//!   folders of human or non-human pictures), judged by the bundled rules, written as
//!   `features.jsonl` and a markdown table `human_gate.md` (acceptance and refusal rates).

use anyhow::Context;
use engine::perception::human::{observe, HumanFeatures, HumanGate, HumanReference};
use engine::perception::probes::LinearProbe;
use engine::perception::{load_photo, FacePerception, IdentityEncoder, IDENTITY_MODEL};
use image::RgbImage;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: GateCommand,
}

#[derive(clap::Subcommand)]
enum GateCommand {
    /// Fit the human reference on generated faces: mean shape and embedding, and the embedding
    /// probe against non-human pictures.
    Fit {
        /// First seed of the generated faces (alternately truncation 0.7 and 1.0).
        #[arg(long, default_value_t = 200_000)]
        seed: u64,
        /// How many faces.
        #[arg(long, default_value_t = 160)]
        count: u64,
        /// Photo-like copies of each face for the probe (`perception::human::photo_like`).
        #[arg(long, default_value_t = 2)]
        copies: u64,
        /// The probe's negatives: pictures of non-human things (files or folders); those the
        /// detector finds no face in are skipped.
        #[arg(long, num_args = 1.., required = true)]
        non_human: Vec<PathBuf>,
        /// L2 weight of the probe.
        #[arg(long, default_value_t = 1e-3)]
        l2: f64,
        /// Where to write the reference (JSON).
        #[arg(long, default_value = "engine/data/perception/human_reference.json")]
        out: PathBuf,
        /// Converted generator weights (default: the model cache's).
        #[arg(long)]
        weights: Option<PathBuf>,
    },
    /// Measure every feature and the bundled rules on human and non-human pictures.
    Eval {
        /// Include the measured CelebA half (felonfinder `000007.jpg`-`000256.jpg`) as humans.
        #[arg(long)]
        celeba: bool,
        /// Include this many generated faces (seeds from 300000, truncation 0.7) as humans, each
        /// at 1024 px and downscaled to 256 px.
        #[arg(long, default_value_t = 0)]
        generated: u64,
        /// Human pictures (files or folders).
        #[arg(long, num_args = 1..)]
        human: Vec<PathBuf>,
        /// Non-human pictures (files or folders).
        #[arg(long, num_args = 1..)]
        non_human: Vec<PathBuf>,
        /// Output folder (features.jsonl, human_gate.md).
        #[arg(long)]
        out: PathBuf,
        /// Also write each face's identity embedding into features.jsonl.
        #[arg(long)]
        with_embeddings: bool,
        /// Converted generator weights (default: the model cache's).
        #[arg(long)]
        weights: Option<PathBuf>,
    },
}

/// First seed of the generated faces `eval --generated` measures (apart from `fit`'s).
const EVAL_SEED: u64 = 300_000;

fn models() -> anyhow::Result<(FacePerception, IdentityEncoder)> {
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    Ok((perception, identity))
}

fn generated(
    weights: Option<PathBuf>,
    seeds: std::ops::Range<u64>,
) -> anyhow::Result<Vec<(String, RgbImage)>> {
    let generator = crate::loading::generator(weights)?;
    seeds
        .map(|seed| {
            let w = generator.truncate(&generator.w_from_seed(seed)?, 0.7)?;
            Ok((format!("seed {seed}"), generator.render(&w, 1024)?))
        })
        .collect()
}

/// Each face at 1024 px and as a small upload (256 px).
fn with_small_copies(faces: Vec<(String, RgbImage)>) -> Vec<(String, RgbImage)> {
    faces
        .into_iter()
        .flat_map(|(name, face)| {
            let small =
                image::imageops::resize(&face, 256, 256, image::imageops::FilterType::Triangle);
            [
                (format!("{name} at 1024 px"), face),
                (format!("{name} at 256 px"), small),
            ]
        })
        .collect()
}

/// The image files in `paths` (folders expanded, sorted).
fn pictures(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        ["png", "jpg", "jpeg"].contains(&e.to_lowercase().as_str())
                    })
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct Record {
    group: &'static str,
    picture: String,
    /// "no face" / "too small" (refused before the gate), "human" or "not human".
    outcome: String,
    features: Option<HumanFeatures>,
    failed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    embedding: Option<Vec<f32>>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        GateCommand::Fit {
            seed,
            count,
            copies,
            non_human,
            l2,
            out,
            weights,
        } => fit(seed, count, copies, &non_human, l2, &out, weights),
        GateCommand::Eval {
            celeba,
            generated: n_generated,
            human,
            non_human,
            out,
            with_embeddings,
            weights,
        } => {
            let mut humans: Vec<PathBuf> = Vec::new();
            if celeba {
                humans.extend(
                    models::ModelStore::open_default()?
                        .celeba_faces(models::Split::Train)
                        .context(
                            "the measured photos (`talk-to-edit models fetch --only felonfinder`)",
                        )?,
                );
            }
            humans.extend(pictures(&human)?);
            let non_humans = pictures(&non_human)?;
            let faces = if n_generated > 0 {
                with_small_copies(generated(weights, EVAL_SEED..EVAL_SEED + n_generated)?)
            } else {
                Vec::new()
            };
            eval(&humans, &faces, &non_humans, &out, with_embeddings)
        }
    }
}

fn fit(
    seed: u64,
    count: u64,
    copies: u64,
    non_human: &[PathBuf],
    l2: f64,
    out: &Path,
    weights: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (perception, identity) = models()?;
    let side = engine::inversion::invert::ALIGNED_SIDE;
    let generator = crate::loading::generator(weights)?;
    let (mut clean, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for s in seed..seed + count {
        let psi = if s % 2 == 0 { 0.7 } else { 1.0 };
        let w = generator.truncate(&generator.w_from_seed(s)?, psi)?;
        let face = generator.render(&w, 1024)?;
        let aligned = perception
            .align(&face, side)
            .with_context(|| format!("aligning seed {s}"))?;
        let o = observe(&aligned, &perception, &identity)?;
        xs.push(o.embedding.clone());
        ys.push(true);
        clean.push(o);
        for k in 0..copies {
            let photo = engine::perception::human::photo_like(&face, s * 16 + k);
            // A copy whose face is lost (covered, turned away) teaches nothing.
            if let Ok(aligned) = perception.align(&photo, side) {
                xs.push(observe(&aligned, &perception, &identity)?.embedding);
                ys.push(true);
            }
        }
        tracing::info!(seed = s, positives = xs.len(), "generated face observed");
    }
    let mut negatives = 0;
    for path in pictures(non_human)? {
        let photo = load_photo(&path)?;
        if let Ok(aligned) = perception.align(&photo, side) {
            xs.push(observe(&aligned, &perception, &identity)?.embedding);
            ys.push(false);
            negatives += 1;
        }
    }
    let positives = xs.len() - negatives;
    tracing::info!(positives, negatives, "fitting the probe");
    let probe = LinearProbe::fit("human", &xs, &ys, l2)
        .context("the probe needs human faces and non-human pictures with a face found")?;
    let reference = HumanReference::fit(
        &clean,
        probe,
        &format!(
            "`talk-to-edit human-gate fit --seed {seed} --count {count} --copies {copies} --l2 {l2}`: \
             mean shape and embedding of {count} generated faces (seeds {seed}..{}, truncation 0.7 \
             for even seeds, 1.0 for odd), aligned at {side} px; probe: {positives} human faces \
             (those and their photo-like copies) against {negatives} non-human pictures with a \
             face found",
            seed + count
        ),
    )?;
    std::fs::write(out, serde_json::to_string(&reference)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({positives} human faces, {negatives} non-human pictures)",
        out.display()
    );
    Ok(())
}

fn judge(
    gate: &HumanGate,
    perception: &FacePerception,
    identity: &IdentityEncoder,
    group: &'static str,
    picture: String,
    photo: &RgbImage,
    with_embeddings: bool,
) -> anyhow::Result<Record> {
    let aligned = match perception.align(photo, engine::inversion::invert::ALIGNED_SIDE) {
        Ok(a) => a,
        Err(engine::perception::PerceptionError::NoFace) => {
            return Ok(Record {
                group,
                picture,
                outcome: "no face".into(),
                features: None,
                failed: Vec::new(),
                embedding: None,
            })
        }
        Err(engine::perception::PerceptionError::BadInput(why)) => {
            return Ok(Record {
                group,
                picture,
                outcome: format!("refused before the gate: {why}"),
                features: None,
                failed: Vec::new(),
                embedding: None,
            })
        }
        Err(e) => return Err(e).with_context(|| format!("aligning {picture}")),
    };
    let observation = observe(&aligned, perception, identity)?;
    let verdict = gate.judge(gate.reference.features(&observation));
    Ok(Record {
        group,
        picture,
        outcome: if verdict.is_human() {
            "human".into()
        } else {
            "not human".into()
        },
        features: Some(verdict.features),
        failed: verdict.failed,
        embedding: with_embeddings.then_some(observation.embedding),
    })
}

fn eval(
    humans: &[PathBuf],
    generated: &[(String, RgbImage)],
    non_humans: &[PathBuf],
    out: &Path,
    with_embeddings: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (perception, identity) = models()?;
    let gate = HumanGate::bundled()?;
    let mut records = Vec::new();
    let jsonl = out.join("features.jsonl");
    let mut file =
        std::fs::File::create(&jsonl).with_context(|| format!("writing {}", jsonl.display()))?;
    let mut push = |r: Record| -> anyhow::Result<()> {
        writeln!(file, "{}", serde_json::to_string(&r)?)?;
        tracing::info!(picture = r.picture, outcome = r.outcome, "judged");
        records.push(r);
        Ok(())
    };
    for (name, face) in generated {
        push(judge(
            gate,
            &perception,
            &identity,
            "generated",
            name.clone(),
            face,
            with_embeddings,
        )?)?;
    }
    for (group, list) in [("human", humans), ("non-human", non_humans)] {
        for path in list {
            let photo = load_photo(path)?;
            let name = path
                .file_name()
                .map_or(path.display().to_string(), |n| n.to_string_lossy().into());
            push(judge(
                gate,
                &perception,
                &identity,
                group,
                name,
                &photo,
                with_embeddings,
            )?)?;
        }
    }
    let table = report(gate, &records);
    let md = out.join("human_gate.md");
    std::fs::write(&md, &table).with_context(|| format!("writing {}", md.display()))?;
    print!("{table}");
    Ok(())
}

/// The markdown report: outcomes per group, then each rule's refusals per group.
fn report(gate: &HumanGate, records: &[Record]) -> String {
    let groups = ["human", "generated", "non-human"];
    let mut s = String::from(
        "| pictures | total | no face found | face found, accepted as human | face found, refused |\n|---|---|---|---|---|\n",
    );
    for g in groups {
        let of: Vec<&Record> = records.iter().filter(|r| r.group == g).collect();
        if of.is_empty() {
            continue;
        }
        let count = |o: &str| of.iter().filter(|r| r.outcome == o).count();
        let before = of.iter().filter(|r| r.features.is_none()).count();
        s += &format!(
            "| {g} | {} | {} | {} | {} |\n",
            of.len(),
            before,
            count("human"),
            count("not human")
        );
    }
    s += "\n| feature | rule | ";
    for g in groups {
        s += &format!("{g}: refused by it / faces found | ");
    }
    s += "\n|---|---|---|---|---|\n";
    for rule in &gate.rules {
        s += &format!(
            "| {} | {} |",
            rule.feature,
            match (rule.min, rule.max) {
                (Some(a), Some(b)) => format!("{a} ..= {b}"),
                (Some(a), None) => format!(">= {a}"),
                (None, Some(b)) => format!("<= {b}"),
                (None, None) => "-".into(),
            }
        );
        for g in groups {
            let found: Vec<&Record> = records
                .iter()
                .filter(|r| r.group == g && r.features.is_some())
                .collect();
            let refused = found
                .iter()
                .filter(|r| {
                    r.failed
                        .iter()
                        .any(|f| f.starts_with(&format!("{} ", rule.feature)))
                })
                .count();
            s += &format!(" {refused}/{} |", found.len());
        }
        s += "\n";
    }
    s
}
