//! The measurement behind [`super::DEFAULT_K`]: which W+ style layers of this generator carry
//! face shape and identity, and which only colour and lighting.
//!
//! For a few seeded faces, the style layers `[0, j)` (coarse) or `[j, 23)` (fine) are replaced by
//! those of another face (style mixing) and the render is compared with the original:
//! - identity cosine of the two faces' identity embeddings (shape and identity),
//! - structure change: `1 - correlation` of the luminance gradient-magnitude maps, each
//!   luminance standardised first, so that a global colour, brightness or contrast change scores
//!   ~0 and moved edges score high,
//! - colour shift: distance between the mean RGB colours of the central face region (0-255).
//!
//! Style index -> block: 0 is the 4x4 stage; block i (wavelet resolution 8·2^i, image
//! resolution 16·2^i) reads styles 1+3i, 2+3i, 3+3i; 22 is the final `to_img`.

use super::FieldError;
use crate::generator::{Generator, NUM_STYLES};
use crate::perception::identity::generated_identity_crop;
use crate::perception::{cosine, IdentityEncoder};
use candle_core::Tensor;
use image::imageops::FilterType;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// What to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSplitConfig {
    /// Faces to edit.
    pub seeds: Vec<u64>,
    /// The donor of face `seed` is `seed + donor_offset`.
    pub donor_offset: u64,
    /// Split points j to try (1..23).
    pub splits: Vec<usize>,
    /// Truncation psi of both faces.
    pub truncation: f64,
    /// Side of the images colour and structure are compared at.
    pub size: u32,
}

impl Default for LayerSplitConfig {
    fn default() -> Self {
        Self {
            seeds: vec![11, 22, 33, 44],
            donor_offset: 1000,
            splits: vec![4, 7, 10, 13, 16, 19],
            truncation: 0.7,
            size: 256,
        }
    }
}

/// How much a render changed against the original face (means over the seeds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangeMeasure {
    /// Identity-embedding cosine with the original (1 = same person).
    pub identity_cos: f32,
    /// `1 - correlation` of standardised luminance gradient magnitudes (0 = same edges).
    pub structure_change: f32,
    /// Distance between mean RGB colours of the central region, 0-255 units.
    pub colour_shift: f32,
}

/// The measures for one split point j.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitMeasure {
    pub split: usize,
    /// Layers `[0, j)` from the donor.
    pub coarse: ChangeMeasure,
    /// Layers `[j, 23)` from the donor.
    pub fine: ChangeMeasure,
}

/// Runs the style-mixing measurement (`seeds * (1 + 2 * splits)` renders, plus the donors).
pub fn measure_layer_splits(
    generator: &Generator,
    encoder: &IdentityEncoder,
    config: &LayerSplitConfig,
) -> Result<Vec<SplitMeasure>, FieldError> {
    if config.seeds.is_empty() {
        return Err(FieldError::BadInput("no seeds to measure".into()));
    }
    if let Some(j) = config.splits.iter().find(|j| !(1..NUM_STYLES).contains(*j)) {
        return Err(FieldError::BadInput(format!(
            "split {j} outside 1..{NUM_STYLES}"
        )));
    }
    if config.size < 32 {
        return Err(FieldError::BadInput(format!(
            "comparison size {} too small",
            config.size
        )));
    }
    let mut sums = vec![[[0f32; 3]; 2]; config.splits.len()];
    for &seed in &config.seeds {
        let own = w_plus(generator, seed, config.truncation)?;
        let donor = w_plus(generator, seed + config.donor_offset, config.truncation)?;
        let original = Face::render(generator, encoder, &own, config.size)?;
        for (i, &j) in config.splits.iter().enumerate() {
            let coarse = mix(&donor, &own, j)?;
            let fine = mix(&own, &donor, j)?;
            for (side, styles) in [coarse, fine].iter().enumerate() {
                let face = Face::render(generator, encoder, styles, config.size)?;
                let m = original.compare(&face);
                sums[i][side][0] += m.identity_cos;
                sums[i][side][1] += m.structure_change;
                sums[i][side][2] += m.colour_shift;
            }
        }
    }
    let n = config.seeds.len() as f32;
    let mean = |s: [f32; 3]| ChangeMeasure {
        identity_cos: s[0] / n,
        structure_change: s[1] / n,
        colour_shift: s[2] / n,
    };
    Ok(config
        .splits
        .iter()
        .zip(sums)
        .map(|(&split, s)| SplitMeasure {
            split,
            coarse: mean(s[0]),
            fine: mean(s[1]),
        })
        .collect())
}

/// A markdown table of the measures.
pub fn split_table(measures: &[SplitMeasure]) -> String {
    let mut out = String::from(
        "| j | [0,j) id cos | [0,j) structure | [0,j) colour | [j,23) id cos | [j,23) structure | [j,23) colour |\n|---|---|---|---|---|---|---|\n",
    );
    for m in measures {
        out.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.1} | {:.3} | {:.3} | {:.1} |\n",
            m.split,
            m.coarse.identity_cos,
            m.coarse.structure_change,
            m.coarse.colour_shift,
            m.fine.identity_cos,
            m.fine.structure_change,
            m.fine.colour_shift
        ));
    }
    out
}

fn w_plus(generator: &Generator, seed: u64, psi: f64) -> Result<Tensor, FieldError> {
    let w = generator.truncate(&generator.w_from_seed(seed)?, psi)?;
    Ok(generator.w_plus(&w)?)
}

/// Layers `[0, j)` of `head`, `[j, 23)` of `tail`.
fn mix(head: &Tensor, tail: &Tensor, j: usize) -> Result<Tensor, FieldError> {
    Ok(Tensor::cat(
        &[&head.narrow(1, 0, j)?, &tail.narrow(1, j, NUM_STYLES - j)?],
        1,
    )?)
}

/// One render, reduced to what the measures need.
struct Face {
    identity: crate::perception::Embedding,
    /// Standardised gradient magnitude of the luminance, row-major `size x size`.
    gradient: Vec<f32>,
    /// Mean RGB of the central half of the image.
    mean_rgb: [f32; 3],
}

impl Face {
    fn render(
        generator: &Generator,
        encoder: &IdentityEncoder,
        styles: &Tensor,
        size: u32,
    ) -> Result<Self, FieldError> {
        let full = generator.render(styles, 1024)?;
        let identity = encoder.embed(&generated_identity_crop(&full)?)?;
        let small = image::imageops::resize(&full, size, size, FilterType::Triangle);
        Ok(Self {
            identity,
            gradient: standardised_gradient(&small),
            mean_rgb: central_mean_rgb(&small),
        })
    }

    fn compare(&self, other: &Face) -> ChangeMeasure {
        ChangeMeasure {
            identity_cos: cosine(&self.identity, &other.identity),
            structure_change: 1.0 - correlation(&self.gradient, &other.gradient),
            colour_shift: self
                .mean_rgb
                .iter()
                .zip(&other.mean_rgb)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
                .sqrt(),
        }
    }
}

/// Sobel gradient magnitude of the standardised luminance (interior pixels).
pub fn standardised_gradient(img: &RgbImage) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut lum: Vec<f32> = img
        .pixels()
        .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
        .collect();
    let n = lum.len() as f32;
    let mean = lum.iter().sum::<f32>() / n;
    let std = (lum.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n)
        .sqrt()
        .max(1e-6);
    lum.iter_mut().for_each(|v| *v = (*v - mean) / std);
    let at = |x: usize, y: usize| lum[y * w + x];
    let mut out = Vec::with_capacity(w.saturating_sub(2) * h.saturating_sub(2));
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            out.push((gx * gx + gy * gy).sqrt());
        }
    }
    out
}

/// Mean RGB over the central half (x and y in `[s/4, 3s/4)`).
pub fn central_mean_rgb(img: &RgbImage) -> [f32; 3] {
    let (w, h) = img.dimensions();
    let mut sum = [0f64; 3];
    let mut count = 0f64;
    for y in h / 4..3 * h / 4 {
        for x in w / 4..3 * w / 4 {
            let p = img.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += p[c] as f64;
            }
            count += 1.0;
        }
    }
    let count = count.max(1.0);
    sum.map(|s| (s / count) as f32)
}

/// Pearson correlation of two equally long series (0 when either is constant).
pub fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len()).max(1) as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return 0.0;
    }
    (sab / (saa * sbb).sqrt()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(tint: [u8; 3], shift: u32) -> RgbImage {
        RgbImage::from_fn(64, 64, |x, y| {
            let on = ((x + shift) / 8 + y / 8).is_multiple_of(2);
            let v = if on { 200u16 } else { 60 };
            image::Rgb([0, 1, 2].map(|c| ((v + tint[c] as u16) / 2) as u8))
        })
    }

    #[test]
    fn structure_change_ignores_colour_and_sees_moved_edges() {
        let base = pattern([0, 0, 0], 0);
        let tinted = pattern([120, 40, 0], 0);
        let moved = pattern([0, 0, 0], 4);
        let g = standardised_gradient(&base);
        let tinted_change = 1.0 - correlation(&g, &standardised_gradient(&tinted));
        let moved_change = 1.0 - correlation(&g, &standardised_gradient(&moved));
        assert!(
            tinted_change < 0.05,
            "colour-only change scored {tinted_change}"
        );
        assert!(moved_change > 0.5, "moved edges scored {moved_change}");
        let shift = central_mean_rgb(&tinted)[0] - central_mean_rgb(&base)[0];
        assert!((shift - 60.0).abs() < 1.0, "red shift {shift}");
    }
}
