//! `talk-to-edit train style-channels`: fits every attribute's style-channel direction
//! (`engine::field::style_channels`) on the labelled dataset's training faces, writes them in the
//! image-direction format and, on request, a contact sheet of held-out faces along them. With
//! `--measured` each way's direction is instead the least-cost mix of the best-ranked channels,
//! probed on training faces through the product's judge
//! (`engine::field::style_channels_measured`).

use anyhow::Context;
use engine::field::guided::RenderJudge;
use engine::field::image_direction::Way;
use engine::field::methods::held_out_face;
use engine::field::style_channels::{fit_all, preview_sheet, save, StyleChannelConfig};
use engine::field::style_channels_measured::{
    fit_measured_all, save_measured, MeasuredChannelConfig,
};
use engine::Attribute;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct StyleChannelsArgs {
    /// The labelled dataset's degrees (default: the committed `models/trained/predictor/labels.csv`).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Attributes (default: all five).
    #[arg(long = "attribute")]
    attributes: Vec<Attribute>,
    /// Channels each direction moves.
    #[arg(long, default_value_t = StyleChannelConfig::default().channels)]
    channels: usize,
    /// Ridge of the degree-on-channels regression (per face).
    #[arg(long, default_value_t = StyleChannelConfig::default().ridge)]
    ridge: f64,
    /// Fit only on faces whose degree of the attribute is at least this (0: every face).
    #[arg(long, default_value_t = 0)]
    fitted_from: u8,
    /// Attributes whose direction is saved for edits that add only (`up`): the others are saved
    /// for both ways.
    #[arg(long = "up-only")]
    up_only: Vec<Attribute>,
    /// Directory to write `<attribute>.<way>.safetensors` to.
    #[arg(long)]
    out: PathBuf,
    /// Also write a contact sheet of held-out faces along every direction here (PNG).
    #[arg(long)]
    preview: Option<PathBuf>,
    /// Held-out faces in the sheet per truncation (psi 0.7 and 1.0).
    #[arg(long, default_value_t = 2)]
    preview_faces: u64,
    /// Weigh the channels by what they do to the image: probe the best-ranked ones on training
    /// faces and mix them for the least identity and other-attribute change per degree.
    #[arg(long)]
    measured: bool,
    /// Channels probed and mixed (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().candidates)]
    candidates: usize,
    /// Training faces probed per way (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().faces)]
    probe_faces: usize,
    /// Probe step in spreads of the channel (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().probe_spreads)]
    probe_spreads: f64,
    /// Weight of the squared identity-embedding change (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().identity_weight)]
    identity_weight: f64,
    /// Weight of the other attributes' squared score changes (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().others_weight)]
    others_weight: f64,
    /// Ridge on the mix, relative to the cost's mean diagonal (`--measured`).
    #[arg(long, default_value_t = MeasuredChannelConfig::default().ridge)]
    mix_ridge: f64,
    /// Steps of the direction in the sheet's columns.
    #[arg(long, value_delimiter = ',', default_value = "-2,-1,0,1,2,3,4")]
    multipliers: Vec<f64>,
}

pub fn run(args: StyleChannelsArgs) -> anyhow::Result<()> {
    let labels = crate::loading::dataset_labels(args.labels.clone())?;
    let generator = crate::loading::generator(None)?;
    let attributes = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes.clone()
    };
    let config = StyleChannelConfig {
        channels: args.channels,
        ridge: args.ridge,
        fitted_from: args.fitted_from,
        ..StyleChannelConfig::default()
    };
    let directions = fit_all(&generator, &labels, &attributes, &config)?;
    if args.measured {
        let measured = MeasuredChannelConfig {
            candidates: args.candidates,
            faces: args.probe_faces,
            probe_spreads: args.probe_spreads,
            identity_weight: args.identity_weight,
            others_weight: args.others_weight,
            ridge: args.mix_ridge,
        };
        let fitted = fit_measured(&generator, &labels, &directions, &config, &measured, &args)?;
        if let Some(path) = &args.preview {
            let tensors: Vec<&candle_core::Tensor> = fitted.iter().collect();
            write_preview(&generator, &tensors, &args, path)?;
        }
        return Ok(());
    }
    for d in &directions {
        let ways: &[Way] = if args.up_only.contains(&d.attribute) {
            &[Way::Up]
        } else {
            &[Way::Up, Way::Down]
        };
        if !args.measured {
            save(&args.out, d, &config, ways)?;
        }
        let styles: Vec<String> = d
            .channels
            .iter()
            .map(|c| {
                format!(
                    "{}:{} (t {:.1}, {:+.2} sd)",
                    c.style, c.channel, c.t, c.step_in_spreads
                )
            })
            .collect();
        println!(
            "{}: {} faces, R2 {:.3}, solve error {:.1e}, W+ RMS length {:.2}; channels {}",
            d.attribute.name(),
            d.faces,
            d.fit_r2,
            d.solve_error,
            engine::field::image_direction::rms_length(&d.direction)?,
            styles.join(", ")
        );
    }
    if let Some(path) = &args.preview {
        let tensors: Vec<&candle_core::Tensor> = directions.iter().map(|d| &d.direction).collect();
        write_preview(&generator, &tensors, &args, path)?;
    }
    Ok(())
}

/// The contact sheet of held-out faces along `directions`.
fn write_preview(
    generator: &engine::generator::Generator,
    directions: &[&candle_core::Tensor],
    args: &StyleChannelsArgs,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let faces: Vec<(u64, f64)> = (0..args.preview_faces)
        .flat_map(|j| {
            let (seed, _) = held_out_face(j);
            [(seed, 0.7), (seed, 1.0)]
        })
        .collect();
    preview_sheet(generator, directions, &faces, &args.multipliers, 160)?
        .save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Fits and saves the measured direction of every attribute and way, printing its predicted
/// cost per degree beside the labelled fit's on the same probes.
fn fit_measured(
    generator: &engine::generator::Generator,
    labels: &std::collections::HashMap<u64, [u8; 5]>,
    labelled: &[engine::field::style_channels::StyleChannelDirection],
    config: &StyleChannelConfig,
    measured: &MeasuredChannelConfig,
    args: &StyleChannelsArgs,
) -> anyhow::Result<Vec<candle_core::Tensor>> {
    use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
    let device = generator.device().clone();
    let reader = crate::loading::degree_reader(&device)?;
    let store = models::ModelStore::open_default().context("opening the model cache")?;
    let perception = crate::loading::face_perception(&store)?;
    let identity = IdentityEncoder::load(&store.file("faceplugin", IDENTITY_MODEL)?)?;
    let judge = RenderJudge::guarding(generator, &reader, &perception, &identity);
    let fitted = fit_measured_all(
        generator,
        &judge,
        labels,
        labelled,
        &args.up_only,
        config,
        measured,
        &mut |m| {
            save_measured(&args.out, m, config, measured)?;
            let labelled = m
                .labelled_cost
                .map(|c| format!("identity {:.3}, others {:.2}", c.identity, c.others))
                .unwrap_or_else(|| "no progress".into());
            println!(
                "{} {}: {} faces probed; predicted per degree: measured identity {:.3}, others {:.2}; labelled fit {}; W+ RMS length {:.2}",
                m.direction.attribute.name(),
                m.way.name(),
                m.faces_probed,
                m.cost.identity,
                m.cost.others,
                labelled,
                engine::field::image_direction::rms_length(&m.direction.direction)?,
            );
            Ok(())
        },
    )?;
    Ok(fitted.into_iter().map(|m| m.direction.direction).collect())
}
