//! `talk-to-edit train style-channels`: fits every attribute's style-channel direction
//! (`engine::field::style_channels`) on the labelled dataset's training faces, writes them in the
//! image-direction format and, on request, a contact sheet of held-out faces along them.

use anyhow::Context;
use engine::field::image_direction::Way;
use engine::field::methods::held_out_face;
use engine::field::style_channels::{fit_all, preview_sheet, save, StyleChannelConfig};
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
    /// Steps of the direction in the sheet's columns.
    #[arg(long, value_delimiter = ',', default_value = "-2,-1,0,1,2,3,4")]
    multipliers: Vec<f64>,
}

pub fn run(args: StyleChannelsArgs) -> anyhow::Result<()> {
    let labels = crate::loading::dataset_labels(args.labels)?;
    let generator = crate::loading::generator(None)?;
    let attributes = if args.attributes.is_empty() {
        Attribute::ALL.to_vec()
    } else {
        args.attributes
    };
    let config = StyleChannelConfig {
        channels: args.channels,
        ridge: args.ridge,
        fitted_from: args.fitted_from,
        ..StyleChannelConfig::default()
    };
    let directions = fit_all(&generator, &labels, &attributes, &config)?;
    for d in &directions {
        let ways: &[Way] = if args.up_only.contains(&d.attribute) {
            &[Way::Up]
        } else {
            &[Way::Up, Way::Down]
        };
        save(&args.out, d, &config, ways)?;
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
    if let Some(path) = args.preview {
        let faces: Vec<(u64, f64)> = (0..args.preview_faces)
            .flat_map(|j| {
                let (seed, _) = held_out_face(j);
                [(seed, 0.7), (seed, 1.0)]
            })
            .collect();
        let tensors: Vec<&candle_core::Tensor> = directions.iter().map(|d| &d.direction).collect();
        preview_sheet(&generator, &tensors, &faces, &args.multipliers, 160)?
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
