//! `talk-to-edit eval-edits`: the guarded editing loop (`engine::field::guided`) on held-out
//! generated faces, every attribute, both directions; the cases and the table are
//! `engine::field::guided_eval`. Writes `DIR/edits.md` (the table), `DIR/edits.jsonl` (one
//! record per edit) and contact sheets `DIR/sheet_<method>_<attribute>.png` (start | result
//! pairs), and with `--images DIR2` every start and result at 256 px (for the independent
//! identity check, `scripts/identity_dlib.py`).

use anyhow::Context;
use candle_core::Tensor;
use engine::field::guided_eval::{
    evaluate_face, summarise, summary_table, CaseRecord, EvalFace, Method,
};
use engine::field::{
    FieldSpace, FieldStepper, GuidedConfig, LatentStepper, LinearDirection, LinearStepper,
    ProjectedStepper, RenderJudge, SemanticField, DEFAULT_K,
};
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::DegreeReader;
use engine::Attribute;
use image::RgbImage;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Faces per truncation: held-out seeds 100000 + 10 j, j = 0, 1, ...
    #[arg(long, default_value_t = 10)]
    faces: u64,
    /// Truncations psi of the faces (1.0: the eval set; 0.7: closer to what users see).
    #[arg(long, value_delimiter = ',', default_value = "1.0,0.7")]
    psi: Vec<f64>,
    /// Methods: field (the trained semantic fields), linear (the fitted directions), or a
    /// fallback chain such as field>linear (the next is tried when one does not reach).
    #[arg(long, value_delimiter = ',', default_value = "field,linear")]
    methods: Vec<String>,
    /// Attributes (default: all five).
    #[arg(long = "attribute", value_name = "A")]
    attributes: Vec<Attribute>,
    /// Degree changes asked for (negative: remove).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        default_value = "1,-1,2,-2"
    )]
    changes: Vec<i8>,
    /// Length in W of one linear step.
    #[arg(long, default_value_t = 2.0)]
    linear_step: f64,
    /// Keep the mean-of-W component of the steps (the ablation).
    #[arg(long)]
    keep_drift: bool,
    /// Also remove the other attributes' linear directions from every step (conditional edit).
    #[arg(long)]
    conditional: bool,
    /// Move only these W+ style layers, e.g. 3..10 (default: the first 13).
    #[arg(long, value_parser = parse_range)]
    layers: Option<std::ops::Range<usize>>,
    /// Identity guard: least cosine with the start.
    #[arg(long, default_value_t = GuidedConfig::default().guards.min_identity_cos)]
    min_identity_cos: f32,
    /// Other-attribute guard: largest score change of another attribute.
    #[arg(long, default_value_t = GuidedConfig::default().guards.max_other_change)]
    max_other_change: f32,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write every start and result image here.
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let clock = Instant::now();
    let generator = crate::loading::generator(None)?;
    let device = generator.device().clone();
    let trained = crate::loading::trained_dir();
    let reader = DegreeReader::load_file(&trained.join("reader.safetensors"), &device)
        .context("loading the degree reader")?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let judge = RenderJudge {
        generator: &generator,
        reader: &reader,
        perception: Some(&perception),
        identity: Some(&identity),
        keep_image: Some(256),
    };
    let attributes = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes.clone()
    };
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    let fields = attributes
        .iter()
        .map(|&a| {
            let path = trained
                .join("fields")
                .join(format!("{}.safetensors", a.name()));
            Ok(SemanticField::load_file(&path, &device)
                .with_context(|| format!("loading {}", path.display()))?
                .0)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let directions =
        LinearDirection::load_all(&trained.join("fields/linear_directions.safetensors"))?;
    // One stepper per (attribute, base method), each wrapped in the projection.
    let mut raw: Vec<(String, Attribute, Box<dyn LatentStepper + '_>)> = Vec::new();
    for (i, &a) in attributes.iter().enumerate() {
        for m in ["field", "linear"] {
            let stepper: Box<dyn LatentStepper> = match m {
                "field" => Box::new(FieldStepper {
                    field: &fields[i],
                    mapping: &generator.mapping,
                    space,
                    alpha: 1.0,
                }),
                _ => {
                    let d = directions
                        .iter()
                        .find(|d| d.attribute == a)
                        .with_context(|| format!("no linear direction for {a}"))?;
                    Box::new(LinearStepper::new(d, space, args.linear_step, &device)?)
                }
            };
            raw.push((m.to_string(), a, stepper));
        }
    }
    let w_avg = generator.w_avg()?;
    let wrapped: Vec<Box<dyn LatentStepper + '_>> = raw
        .iter()
        .map(|(_, a, s)| -> anyhow::Result<Box<dyn LatentStepper + '_>> {
            let mut removed = Vec::new();
            if !args.keep_drift {
                removed.push(w_avg.clone());
            }
            if args.conditional {
                for d in directions.iter().filter(|d| d.attribute != *a) {
                    removed.push(d.direction_tensor(&device)?);
                }
            }
            if removed.is_empty() {
                Ok(Box::new(Passthrough(s.as_ref())))
            } else {
                let p = ProjectedStepper::removing(s.as_ref(), space, &removed)?;
                Ok(Box::new(match &args.layers {
                    Some(r) => p.on_layers(r.clone()),
                    None => p,
                }))
            }
        })
        .collect::<anyhow::Result<_>>()?;
    let find = |name: &str, a: Attribute| -> anyhow::Result<&dyn LatentStepper> {
        raw.iter()
            .zip(&wrapped)
            .find(|((m, ra, _), _)| m == name && *ra == a)
            .map(|(_, s)| s.as_ref())
            .with_context(|| format!("unknown method {name} (field or linear)"))
    };
    let mut methods: Vec<Method<'_>> = Vec::new();
    for &a in &attributes {
        for name in &args.methods {
            methods.push(Method {
                name: name.clone(),
                attribute: a,
                steppers: name
                    .split('>')
                    .map(|n| find(n, a))
                    .collect::<anyhow::Result<_>>()?,
            });
        }
    }
    let mut config = GuidedConfig::default();
    config.guards.min_identity_cos = args.min_identity_cos;
    config.guards.max_other_change = args.max_other_change;

    std::fs::create_dir_all(&args.out)?;
    if let Some(dir) = &args.images {
        std::fs::create_dir_all(dir)?;
    }
    let mut jsonl = std::fs::File::create(args.out.join("edits.jsonl"))?;
    let mut records: Vec<CaseRecord> = Vec::new();
    let mut pairs: Vec<(String, Attribute, RgbImage, RgbImage)> = Vec::new();
    for &psi in &args.psi {
        for j in 0..args.faces {
            let seed = 100_000 + 10 * j;
            let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
            let face = EvalFace {
                seed,
                psi,
                styles: generator.w_plus(&w)?,
            };
            for case in evaluate_face(&judge, &methods, &face, &args.changes, &config)? {
                let r = &case.record;
                writeln!(jsonl, "{}", serde_json::to_string(r)?)?;
                tracing::info!(
                    seed, psi, method = %r.method, attribute = %r.attribute, change = r.change,
                    outcome = ?r.outcome, score = r.result_score, "edit"
                );
                if let (Some(s), Some(e)) = (&case.start_image, &case.result_image) {
                    if let Some(dir) = &args.images {
                        let stem = format!(
                            "{}_{}_{}_{:.1}_{:+}",
                            r.method.replace('>', "+"),
                            r.attribute,
                            seed,
                            psi,
                            r.change
                        );
                        s.save(dir.join(format!("{stem}_start.png")))?;
                        e.save(dir.join(format!("{stem}_result.png")))?;
                    }
                    pairs.push((r.method.clone(), r.attribute, s.clone(), e.clone()));
                }
                records.push(case.record);
            }
        }
    }
    let rows = summarise(&records);
    let faceless: usize = rows.iter().map(|r| r.faceless_results).sum();
    let mut md = format!(
        "# Guarded edits on generated faces\n\nCommand:\n\n```sh\nRAYON_NUM_THREADS=2 talk-to-edit eval-edits {}\n```\n\n",
        std::env::args().skip(2).collect::<Vec<_>>().join(" ")
    );
    md.push_str(&format!(
        "Faces: held-out seeds 100000 + 10 j, j < {}, psi {:?}; {} edits, {} accepted results without a face; {:.0} s.\n\n",
        args.faces,
        args.psi,
        records.len(),
        faceless,
        clock.elapsed().as_secs_f64()
    ));
    md.push_str(&summary_table(&rows));
    std::fs::write(args.out.join("edits.md"), md)?;
    for m in &args.methods {
        for &a in &attributes {
            let chosen: Vec<(&RgbImage, &RgbImage)> = pairs
                .iter()
                .filter(|(pm, pa, _, _)| pm == m && *pa == a)
                .take(24)
                .map(|(_, _, s, e)| (s, e))
                .collect();
            if !chosen.is_empty() {
                pair_sheet(&chosen, 128, 4).save(args.out.join(format!(
                    "sheet_{}_{}.png",
                    m.replace('>', "+"),
                    a.name()
                )))?;
            }
        }
    }
    println!("{}", summary_table(&rows));
    println!("wrote {}", args.out.join("edits.md").display());
    Ok(())
}

/// A stepper used as it is (the ablation without drift removal).
struct Passthrough<'a>(&'a dyn LatentStepper);

impl LatentStepper for Passthrough<'_> {
    fn step(&self, styles: &Tensor, sign: f64) -> Result<Tensor, engine::field::FieldError> {
        self.0.step(styles, sign)
    }
}

/// Start | result pairs, `per_row` pairs a row, each image `side` px, 4 px gaps.
pub fn pair_sheet(pairs: &[(&RgbImage, &RgbImage)], side: u32, per_row: u32) -> RgbImage {
    let rows = (pairs.len() as u32).div_ceil(per_row);
    let cell = 2 * side + 12;
    let mut sheet = RgbImage::from_pixel(per_row * cell, rows * (side + 4), image::Rgb([255; 3]));
    for (i, (s, e)) in pairs.iter().enumerate() {
        let (x, y) = (
            (i as u32 % per_row) * cell,
            (i as u32 / per_row) * (side + 4),
        );
        for (k, img) in [s, e].iter().enumerate() {
            let small =
                image::imageops::resize(**img, side, side, image::imageops::FilterType::Triangle);
            image::imageops::overlay(
                &mut sheet,
                &small,
                (x + k as u32 * (side + 2)) as i64,
                y as i64,
            );
        }
    }
    sheet
}

fn parse_range(s: &str) -> Result<std::ops::Range<usize>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("expected START..END, got {s}"))?;
    let (a, b): (usize, usize) = (
        a.parse().map_err(|e| format!("{a}: {e}"))?,
        b.parse().map_err(|e| format!("{b}: {e}"))?,
    );
    if a < b && b <= 23 {
        Ok(a..b)
    } else {
        Err(format!("need START < END <= 23, got {s}"))
    }
}
