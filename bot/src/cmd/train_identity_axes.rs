//! `talk-to-edit train identity-axes`: measures, for one attribute, the identity-embedding axes
//! its edits move along on training faces (`engine::field::identity_axes`), reports what leaving
//! them out of the identity guard does on faces they were not fitted on, and writes them.

use anyhow::Context;
use engine::field::guided::RenderJudge;
use engine::field::identity_axes::{fit_identity_axes, AxesFitConfig, IdentityAxes};
use engine::field::{LinearDirection, SemanticField};
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::Attribute;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct IdentityAxesArgs {
    /// The attribute whose edits' axes are measured.
    #[arg(long)]
    attribute: Attribute,
    /// Training faces walked (every other one fitted on, the rest measured).
    #[arg(long, default_value_t = AxesFitConfig::default().faces)]
    faces: usize,
    /// Steps per stepper and way.
    #[arg(long, default_value_t = AxesFitConfig::default().collect.steps)]
    steps: usize,
    /// Numbers of axes measured; the first is written.
    #[arg(long, value_delimiter = ',', default_value = "4,1,2,8,16")]
    axes: Vec<usize>,
    /// File to write; other attributes' axes already in it are kept (default:
    /// `models/trained/fields/identity_axes.safetensors`).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: IdentityAxesArgs) -> anyhow::Result<()> {
    let generator = crate::loading::generator(None)?;
    let device = generator.device().clone();
    let reader = crate::loading::degree_reader(&device)?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let fields = crate::loading::trained_dir().join("fields");
    let field_path = fields.join(format!("{}.safetensors", args.attribute.name()));
    let field = match field_path.is_file() {
        true => Some(
            SemanticField::load_file(&field_path, &device)
                .with_context(|| format!("loading {}", field_path.display()))?
                .0,
        ),
        false => None,
    };
    let directions = LinearDirection::load_all(&fields.join("linear_directions.safetensors"))?;
    let judge = RenderJudge::guarding(&generator, &reader, &perception, &identity);
    let config = AxesFitConfig {
        faces: args.faces,
        axes: args.axes,
        collect: engine::field::identity_axes::CollectConfig {
            steps: args.steps,
            ..Default::default()
        },
        ..Default::default()
    };
    let fit = fit_identity_axes(
        &generator,
        &judge,
        field.as_ref(),
        &directions,
        args.attribute,
        &config,
        &mut |face| eprintln!("face {} of {} walked", face + 1, config.faces),
    )?;
    println!(
        "{}: {} faces, {} judged codes fitted on, {} measured (threshold {})",
        args.attribute, fit.faces, fit.changes.0, fit.changes.1, config.threshold
    );
    println!("| axes | 1-degree codes passing | 2-degree codes passing | other faces passing | other faces' largest cosine |");
    println!("|---|---|---|---|---|");
    for r in &fit.reports {
        println!(
            "| {} | {} -> {} of {} | {} -> {} of {} | {} -> {} of {} | {:.3} |",
            r.axes,
            r.one_degree.1,
            r.one_degree.2,
            r.one_degree.0,
            r.two_degrees.1,
            r.two_degrees.2,
            r.two_degrees.0,
            r.other_people.1,
            r.other_people.2,
            r.other_people.0,
            r.other_people_max
        );
    }
    let out = args.out.unwrap_or_else(crate::loading::identity_axes_path);
    let mut axes = match out.is_file() {
        true => IdentityAxes::load(&out).with_context(|| format!("reading {}", out.display()))?,
        false => IdentityAxes::default(),
    };
    axes.set(args.attribute, fit.axes.axes(args.attribute).to_vec())?;
    let seeds = format!(
        "{}..={} (held-out seeds skipped)",
        fit.seeds.first().copied().unwrap_or(0),
        fit.seeds.last().copied().unwrap_or(0)
    );
    let mut meta = HashMap::from([
        (format!("{}.seeds", args.attribute.name()), seeds),
        (
            format!("{}.axes", args.attribute.name()),
            axes.axes(args.attribute).len().to_string(),
        ),
        (
            format!("{}.command", args.attribute.name()),
            std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        ),
    ]);
    if out.is_file() {
        for (k, v) in IdentityAxes::metadata(&out)? {
            meta.entry(k).or_insert(v);
        }
    }
    axes.save(&out, meta)
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} axes for {})",
        out.display(),
        axes.axes(args.attribute).len(),
        args.attribute
    );
    Ok(())
}
