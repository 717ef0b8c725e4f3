//! `talk-to-edit eval-edits`: the guarded editing loop (`engine::field::guided`) on held-out
//! generated faces, every attribute, both directions (`engine::field::guided_eval_run`, which
//! documents the run and the files it writes: `DIR/edits.md`, `DIR/edits.jsonl`, contact sheets
//! and, with `--images DIR2`, every start and result). This file loads the models and prints.

use anyhow::Context;
use engine::field::guided_eval_run::{evaluate_edits, EditsEvalConfig, EditsEvalModels};
use engine::field::image_direction::ImageDirections;
use engine::field::{GuidedConfig, LinearDirection, SemanticField};
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::Attribute;
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
    /// Methods: field (the trained semantic fields), linear (the fitted directions), channels
    /// (style-channel directions), image, sunglasses, or a fallback chain such as
    /// channels>field>linear (the next is tried when one does not reach).
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
    /// Pull back other attributes a step moved, along their own linear directions.
    #[arg(long)]
    pull_back: bool,
    /// Also remove this many of the mapped latents' thinnest axes in W (the Mahalanobis prior,
    /// `engine::field::w_prior`) from every projected step.
    #[arg(long, default_value_t = 0)]
    prior_axes: usize,
    /// Record the prior's Mahalanobis distance of every edit's start and result, and of every
    /// judged code (DIR/prior_steps.jsonl).
    #[arg(long)]
    prior_report: bool,
    /// Move only these W+ style layers, e.g. 3..10 (default: the first 13).
    #[arg(long, value_parser = parse_range)]
    layers: Option<std::ops::Range<usize>>,
    /// Identity guard: least cosine with the start.
    #[arg(long, default_value_t = GuidedConfig::default().guards.min_identity_cos)]
    min_identity_cos: f32,
    /// Other-attribute guard: largest score change of another attribute.
    #[arg(long, default_value_t = GuidedConfig::default().guards.max_other_change)]
    max_other_change: f32,
    /// Quality guard: largest rise of the face's mirror disagreement, 0 for none (the
    /// product's edits of generated faces run without it; its photo edits use
    /// `field::guided::MIRROR_RISE`).
    #[arg(long, default_value_t = 0.0)]
    max_mirror_rise: f32,
    /// Compare identities as they are for every attribute (without the committed identity
    /// axes, `train identity-axes`).
    #[arg(long)]
    plain_identity: bool,
    /// Identity axes to use instead of the committed ones.
    #[arg(long, value_name = "FILE", conflicts_with = "plain_identity")]
    identity_axes: Option<std::path::PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write every start and result image here.
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// Directions trained on the image (method `image`; default models/trained/fields/image).
    #[arg(long, value_name = "DIR")]
    image_directions: Option<PathBuf>,
    /// Style-channel directions (method `channels`, `train style-channels`; default
    /// models/trained/fields/channels).
    #[arg(long, value_name = "DIR")]
    style_channels: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let generator = crate::loading::generator(None)?;
    let device = generator.device().clone();
    let trained = crate::loading::trained_dir();
    let reader = crate::loading::degree_reader(&device)?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let attributes = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes.clone()
    };
    let fields = attributes
        .iter()
        .map(|&a| {
            let path = trained
                .join("fields")
                .join(format!("{}.safetensors", a.name()));
            let (field, _) = SemanticField::load_file(&path, &device)
                .with_context(|| format!("loading {}", path.display()))?;
            Ok((a, field))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let directions =
        LinearDirection::load_all(&trained.join("fields/linear_directions.safetensors"))?;
    let sunglasses = crate::loading::sunglasses_direction()?;
    let image_dir = args
        .image_directions
        .clone()
        .unwrap_or_else(|| trained.join("fields").join("image"));
    let image_directions = ImageDirections::load_dir(&image_dir, &device)
        .with_context(|| format!("loading {}", image_dir.display()))?;
    let channels_dir = args
        .style_channels
        .clone()
        .unwrap_or_else(|| trained.join("fields").join("channels"));
    let style_channels = ImageDirections::load_dir(&channels_dir, &device)
        .with_context(|| format!("loading {}", channels_dir.display()))?;
    let mut guided = GuidedConfig::default();
    guided.guards.min_identity_cos = args.min_identity_cos;
    guided.guards.max_other_change = args.max_other_change;
    guided.guards.max_mirror_rise = (args.max_mirror_rise > 0.0).then_some(args.max_mirror_rise);
    guided.guards.identity_axes = match (&args.identity_axes, args.plain_identity) {
        (_, true) => None,
        (Some(path), false) => Some(std::sync::Arc::new(
            engine::field::identity_axes::IdentityAxes::load(path)
                .with_context(|| format!("loading {}", path.display()))?,
        )),
        (None, false) => crate::loading::identity_axes()?,
    };
    let config = EditsEvalConfig {
        faces: args.faces,
        psi: args.psi,
        methods: args.methods,
        attributes,
        changes: args.changes,
        linear_step: args.linear_step,
        keep_drift: args.keep_drift,
        conditional: args.conditional,
        pull_back: args.pull_back,
        layers: args.layers,
        prior_axes: args.prior_axes,
        prior_report: args.prior_report,
        guided,
        out: args.out,
        images: args.images,
        command: std::env::args().skip(2).collect::<Vec<_>>().join(" "),
        started,
    };
    let models = EditsEvalModels {
        generator: &generator,
        reader: &reader,
        perception: &perception,
        identity: &identity,
        fields: &fields,
        directions: &directions,
        image_directions: &image_directions,
        style_channels: &style_channels,
        sunglasses: sunglasses.as_ref(),
    };
    let output = evaluate_edits(&models, &config, &mut |r| {
        tracing::info!(
            seed = r.seed, psi = r.psi, method = %r.method, attribute = %r.attribute,
            change = r.change, outcome = ?r.outcome, score = r.result_score, "edit"
        )
    })?;
    println!("{}", output.table);
    println!("wrote {}", config.out.join("edits.md").display());
    Ok(())
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
