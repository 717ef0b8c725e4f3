//! Figures the binary draws with plotters: the field evaluation's Fig. 10 analogue. They stay in
//! the binary so that the engine does not need plotters and a bundled font for one picture; the
//! numbers they show come from the library (`engine::field::eval`).

use anyhow::Context;
use engine::field::eval::{CurveRow, METHODS};
use engine::Attribute;
use image::RgbImage;
use std::path::Path;

/// Side of the Fig. 10 analogue.
pub const FIG_SIZE: (u32, u32) = (1200, 800);

/// The font the figure's text is drawn with (DejaVu Sans, licence beside it).
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// The Fig. 10 analogue: one panel per attribute, one line per method.
pub fn draw_fig10(path: &Path, curves: &[CurveRow]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the bundled font could not be read"))?;
    let (w, h) = FIG_SIZE;
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    let draw_error = |e: &dyn std::fmt::Display| anyhow::anyhow!("drawing the figure: {e}");
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(&e))?;
        let root = root
            .titled(
                "Cosine of each step's direction with the first (Fig. 10 analogue)",
                ("sans-serif", 26),
            )
            .map_err(|e| draw_error(&e))?;
        let panels = root.split_evenly((2, 3));
        let colours = [(METHODS[0], BLUE), (METHODS[1], RED)];
        let mut shown: Vec<Attribute> = curves.iter().map(|c| c.attribute).collect();
        shown.dedup();
        for (panel, attribute) in panels.iter().zip(shown) {
            let of: Vec<&CurveRow> = curves.iter().filter(|c| c.attribute == attribute).collect();
            let points = || of.iter().flat_map(|c| c.points.iter());
            let max_x = points().map(|p| p.degree_change).max().unwrap_or(1).max(1) as f32;
            let min_y = points()
                .map(|p| p.mean_cosine)
                .fold(0f32, f32::min)
                .max(-1.0);
            let mut chart = ChartBuilder::on(panel)
                .caption(attribute.name(), ("sans-serif", 22))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(-0.2f32..max_x + 0.2, (min_y - 0.05)..1.05f32)
                .map_err(|e| draw_error(&e))?;
            chart
                .configure_mesh()
                .x_desc("degree change")
                .y_desc("mean cosine")
                .x_labels(max_x as usize + 1)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(|e| draw_error(&e))?;
            for (method, colour) in colours {
                let Some(curve) = of.iter().find(|c| c.method == method) else {
                    continue;
                };
                let xy: Vec<(f32, f32)> = curve
                    .points
                    .iter()
                    .filter(|p| p.degree_change >= 0)
                    .map(|p| (p.degree_change as f32, p.mean_cosine))
                    .collect();
                chart
                    .draw_series(LineSeries::new(xy.clone(), colour.stroke_width(3)))
                    .map_err(|e| draw_error(&e))?
                    .label(method)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                    });
                chart
                    .draw_series(
                        xy.iter()
                            .map(|&(x, y)| Circle::new((x, y), 5, colour.filled())),
                    )
                    .map_err(|e| draw_error(&e))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .label_font(("sans-serif", 16))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| draw_error(&e))?;
        }
        root.present().map_err(|e| draw_error(&e))?;
    }
    let image = RgbImage::from_raw(w, h, buffer).context("figure buffer size")?;
    image
        .save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
