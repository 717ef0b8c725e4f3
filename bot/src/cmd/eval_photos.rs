//! `talk-to-edit eval-photos`: the issue-13 measurements on real photos through the product's
//! engine (`crate::photo_eval`): inversion time and identity, and +1 / -1 edits of every
//! attribute carried back into the photo by each transfer mode. Writes `DIR/photos.md` (the
//! tables), `DIR/records.jsonl` and `DIR/sheet.jpg`; with `--images DIR2` the photo / result
//! pairs for `scripts/identity_dlib.py`.

use crate::face_engine::{PhotoAim, ProductFaceEngine};
use crate::loading::measured_photos;
use crate::photo_eval::{evaluate_photos, PhotoEvalOutput};
use anyhow::Context;
use engine::inversion::eval::quantile;
use engine::inversion::invert::TransferMode;
use engine::inversion::photo_eval::{summarise, summary_table, SHOWS_IN_PHOTO};
use engine::inversion::pivotal::PivotalConfig;
use engine::Attribute;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Use every n-th photo of the measured split (felonfinder's training half,
    /// `000007.jpg`-`000256.jpg`; the held-out half is never read here).
    #[arg(long, default_value_t = 2)]
    every: usize,
    /// At most this many photos.
    #[arg(long)]
    limit: Option<usize>,
    /// Start at this photo of the measured split (another sample with the same `--every`).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Refinement steps of the inversion (default: the product's).
    #[arg(long)]
    refine_steps: Option<usize>,
    /// Run the refinement's identity term every n-th step (default: the product's).
    #[arg(long)]
    identity_every: Option<usize>,
    /// How photo edits find where to stop (photo: the product's judge on the photo itself).
    #[arg(long, value_enum, default_value_t = PhotoAim::Photo)]
    aim: PhotoAim,
    /// Side of the generator's renders (the bot's default is 512).
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// Photos on the contact sheet.
    #[arg(long, default_value_t = 12)]
    sheet: usize,
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write every photo and pasted result here (for the dlib check).
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// Transfer modes measured, comma-separated (delta is the product's).
    #[arg(long, value_delimiter = ',', default_value = "delta,replace,wholeface")]
    modes: Vec<String>,
    /// Identity guard of the edits: least cosine with the start (default: the product's).
    #[arg(long)]
    min_identity_cos: Option<f32>,
    /// Compare identities as they are for every attribute (without the committed identity
    /// axes, `train identity-axes`).
    #[arg(long)]
    plain_identity: bool,
    /// Quality guard of the edits: largest rise of the face's mirror disagreement, 0 for none
    /// (default: the product's).
    #[arg(long)]
    max_mirror_rise: Option<f32>,
    /// Smile guard of the edits: largest rise of the change carried into the photo's lower
    /// face, 0 for none (default: the product's).
    #[arg(long)]
    max_smile_change: Option<f32>,
    /// Edit only these attributes (default: all five).
    #[arg(long = "attribute", value_name = "A")]
    attributes: Vec<Attribute>,
    /// Carry edits into the photo pixel for pixel, without the product's landmark warp.
    #[arg(long)]
    no_warp: bool,
    /// Tune the generator's first blocks to each photo for this many steps before its edits
    /// (pivotal tuning, `engine::inversion::pivotal`; 0: off, the product).
    #[arg(long, default_value_t = 0)]
    pivotal_steps: usize,
    /// Pivotal tuning's learning rate (in units of each weight tensor's RMS).
    #[arg(long)]
    pivotal_lr: Option<f64>,
    /// Pivotal tuning's locality weight (0: none).
    #[arg(long)]
    pivotal_locality: Option<f64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let photos = measured_photos(args.every, args.limit, args.offset)?;
    let mut engine = ProductFaceEngine::load(None, args.size)?;
    if let Some(steps) = args.refine_steps {
        engine.set_refine_steps(steps);
    }
    if let Some(every) = args.identity_every {
        engine.set_identity_every(every);
    }
    engine.set_photo_aim(args.aim);
    if args.plain_identity {
        engine.guards_mut().identity_axes = None;
    }
    if let Some(cos) = args.min_identity_cos {
        engine.guards_mut().min_identity_cos = cos;
    }
    if let Some(rise) = args.max_mirror_rise {
        engine.guards_mut().max_mirror_rise = (rise > 0.0).then_some(rise);
    }
    if let Some(change) = args.max_smile_change {
        engine.guards_mut().max_smile_change = (change > 0.0).then_some(change);
    }
    let modes = args
        .modes
        .iter()
        .map(|name| {
            TransferMode::ALL
                .into_iter()
                .find(|m| m.name() == name)
                .with_context(|| {
                    format!("unknown transfer mode {name:?} (delta, replace, wholeface)")
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let output = PhotoEvalOutput {
        dir: args.out.clone(),
        images: args.images.clone(),
        sheet_photos: args.sheet,
        modes,
        attributes: if args.attributes.is_empty() {
            Attribute::ALL.to_vec()
        } else {
            args.attributes.clone()
        },
        no_warp: args.no_warp,
        pivotal: (args.pivotal_steps > 0).then(|| {
            let default = PivotalConfig::default();
            PivotalConfig {
                steps: args.pivotal_steps,
                learning_rate: args.pivotal_lr.unwrap_or(default.learning_rate),
                locality_weight: args.pivotal_locality.unwrap_or(default.locality_weight),
                ..default
            }
        }),
    };
    let records = evaluate_photos(&mut engine, &photos, &output)?;
    let ok: Vec<_> = records.iter().filter(|r| r.error.is_none()).collect();
    let quantile = |v: Vec<f32>, q: f64| -> String {
        quantile(&v, q).map_or("-".into(), |x| format!("{x:.2}"))
    };
    let seconds: Vec<f32> = ok.iter().filter_map(|r| r.invert_seconds).collect();
    let identity: Vec<f32> = ok.iter().filter_map(|r| r.identity_cos).collect();
    let mut report = format!(
        "# Real photos through the product engine (issue 13)\n\n\
         Command: `talk-to-edit eval-photos --every {}{}{}{} --aim {} --size {} --modes {} --out DIR --images DIR2`.\n\
         {} photos of felonfinder's measured half, {} inverted, {} refused.\n\n\
         Inversion (upload -> code): median {} s, 90th percentile {} s; fr_feature identity cosine \
         photo vs render median {}, 10th percentile {}.\n\n\
         Edits: +1 and -1 of the degree the reader finds on the photo, for every attribute where \
         the degree allows, as the bot edits a photo (`ProductFaceEngine::edit_in_photo`: the \
         guarded loop aimed at the photo, the edit carried in by the product's transfer and \
         read there); \"bot says reached\" is its verdict (what the bot tells the user); per \
         transfer mode, \"reads target\" means the degree reader on the pasted photo reads the \
         target degree, \"shows\" that its score moved at least {} degree the asked way from \
         its score on the original photo; \"no face\" counts pasted photos where the detector \
         no longer finds a face.\n\n",
        args.every,
        args.limit
            .map_or(String::new(), |l| format!(" --limit {l}")),
        if args.offset > 0 {
            format!(" --offset {}", args.offset)
        } else {
            String::new()
        },
        args.refine_steps
            .map_or(String::new(), |s| format!(" --refine-steps {s}"))
            + &args
                .identity_every
                .map_or(String::new(), |n| format!(" --identity-every {n}")),
        match args.aim {
            PhotoAim::Photo => "photo",
            PhotoAim::RenderOffset => "render-offset",
        },
        args.size,
        args.modes.join(","),
        records.len(),
        ok.len(),
        records.len() - ok.len(),
        quantile(seconds.clone(), 0.5),
        quantile(seconds, 0.9),
        quantile(identity.clone(), 0.5),
        quantile(identity, 0.1),
        SHOWS_IN_PHOTO,
    );
    report += &summary_table(&summarise(&records));
    let refused: Vec<String> = records
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("- {}: {e}", r.photo)))
        .collect();
    if !refused.is_empty() {
        report += &format!("\nRefused photos:\n{}\n", refused.join("\n"));
    }
    std::fs::write(args.out.join("photos.md"), &report)?;
    println!("{report}");
    Ok(())
}
