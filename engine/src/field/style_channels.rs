//! Style-channel directions: edits that move only the few style channels that carry an
//! attribute (issue 12's "per attribute only the style layers it needs", taken down to channels).
//!
//! Every W+ style `k` of MobileStyleGAN feeds exactly one modulation: `s_k = A_k w_k + b_k`
//! scales the channels of one convolution (the "style space" of StyleGAN editing work). A
//! direction in W (the linear baseline, the fields) moves every channel of every edited layer at
//! once, which is how glasses come with age and a beard with another person. A style-channel
//! direction moves only the `N` channels whose scales follow the attribute's degree most
//! specifically in the labelled dataset:
//! 1. every channel of the first [`StyleChannelConfig::styles`] styles is regressed on the five
//!    degrees of the dataset's training faces (P's labels; an unknown degree takes that
//!    attribute's mean): the channel's t statistic for the attribute says how specifically it
//!    follows the attribute with the other four held;
//! 2. the `N` channels with the largest |t| are kept; the attribute's degree is regressed (ridge)
//!    on their standardised scales and the other four degrees; the smallest change of the kept
//!    channels that raises the fitted degree by one is the direction's step in style space;
//! 3. each style's share of that step is carried back to W+ as the least-norm `dw_k` with
//!    `A_k dw_k = ds_k` (ridge-regularised): the layer's other channels stay where they were.
//!
//! The result is a `[styles, 512]` W+ offset saved in the image-direction file format
//! ([`ImageDirections`]), once per way it is used for (way `down` holds its negative): the
//! editing loop steps along it, unprojected, and searches its length as for every other stepper.
//! Ways are chosen per attribute by what the edits look like: stepping the bangs channels down
//! thins the hair into a bald crown instead of lifting a fringe, so this fit gives bangs only
//! `up`; the committed bangs and beard removals are mixes measured on the image
//! ([`super::style_channels_measured`]).

use super::image_direction::{ImageDirections, Way};
use super::linear::cholesky_solve;
use super::FieldError;
use crate::attributes::Attribute;
use crate::generator::{Generator, LATENT_DIM};
use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

/// How a style-channel direction is fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleChannelConfig {
    /// Channels the direction moves.
    pub channels: usize,
    /// W+ styles the channels are chosen from (the first ones; [`super::DEFAULT_K`] are the
    /// styles every edit may move).
    pub styles: usize,
    /// Ridge penalty of the degree-on-channels regression, per face, on standardised channels.
    pub ridge: f64,
    /// Ridge of the least-norm solve `A_k dw = ds`, relative to the mean diagonal of `A_k A_k^T`.
    pub inverse_ridge: f64,
    /// Fit only on faces whose degree of the attribute is at least this (0: every face).
    #[serde(default)]
    pub fitted_from: u8,
}

impl Default for StyleChannelConfig {
    fn default() -> Self {
        Self {
            channels: 20,
            styles: super::DEFAULT_K,
            ridge: 1e-2,
            inverse_ridge: 1e-7,
            fitted_from: 0,
        }
    }
}

/// One channel a direction moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelEffect {
    /// The W+ style that feeds it.
    pub style: usize,
    /// Its index among that style's channels.
    pub channel: usize,
    /// t statistic of the attribute's coefficient when the channel is regressed on the five
    /// degrees (how specifically it follows the attribute).
    pub t: f64,
    /// The channel's standard deviation over the dataset's faces.
    pub spread: f64,
    /// Its change per step of the direction, in units of [`Self::spread`].
    pub step_in_spreads: f64,
}

/// An attribute's style-channel direction.
#[derive(Debug, Clone)]
pub struct StyleChannelDirection {
    pub attribute: Attribute,
    /// The channels moved, largest |t| first.
    pub channels: Vec<ChannelEffect>,
    /// `[styles, 512]` W+ offset of one step (one degree by the fitted regression).
    pub direction: Tensor,
    /// R² of the degree regressed on the kept channels and the other degrees.
    pub fit_r2: f64,
    /// Faces with the attribute's degree known.
    pub faces: usize,
    /// Relative error of the solve: `|A dw - ds| / |ds|` over the moved styles.
    pub solve_error: f64,
}

/// Channel scales of styles `0..styles` of the latents `w` `[n, 512]`: per style a row-major
/// `[n, channels]` table.
pub fn channel_scales(
    generator: &Generator,
    w: &Tensor,
    styles: usize,
) -> Result<Vec<(usize, Vec<f32>)>, FieldError> {
    let w = w.to_dtype(DType::F32)?;
    (0..styles)
        .map(|k| {
            let s = generator.synthesis.style_channels(k, &w)?;
            let c = s.dim(1)?;
            Ok((c, s.flatten_all()?.to_vec1::<f32>()?))
        })
        .collect()
}

/// The regressors of one face: the five degrees, an unknown one (255) replaced by `means`.
fn design_row(degrees: &[u8; 5], means: &[f64; 5]) -> [f64; 5] {
    std::array::from_fn(|b| {
        if degrees[b] == 255 {
            means[b]
        } else {
            degrees[b] as f64
        }
    })
}

/// Adds `add` to the diagonal of `gram` from row `from` on (a ridge).
fn add_to_diagonal(gram: &mut [Vec<f64>], from: usize, add: f64) {
    for (i, row) in gram.iter_mut().enumerate().skip(from) {
        row[i] += add;
    }
}

/// `gram` with 1e-6 per face added to the diagonal from `from` on: a regression on a degree
/// that never varies among the fitted faces stays solvable.
fn with_whisper(gram: &[Vec<f64>], from: usize, faces: usize) -> Vec<Vec<f64>> {
    let mut g = gram.to_vec();
    add_to_diagonal(&mut g, from, 1e-6 * faces as f64);
    g
}

/// Inverse of a small symmetric positive definite matrix, column by column.
fn spd_inverse(a: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, FieldError> {
    let n = a.len();
    let mut inv = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(a.to_vec(), &e).ok_or_else(|| {
            FieldError::BadConfig("the degrees' design matrix is singular".into())
        })?;
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    Ok(inv)
}

/// One channel over the fitted faces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChannelStat {
    pub style: usize,
    pub channel: usize,
    /// t statistic of the attribute's coefficient.
    pub t: f64,
    pub mean: f64,
    pub spread: f64,
}

/// Every channel's t statistic for `attribute` (regressed on an intercept and the five degrees
/// over the faces in `rows`), with its mean and standard deviation there.
fn channel_statistics(
    scales: &[(usize, Vec<f32>)],
    design: &[[f64; 5]],
    rows: &[usize],
    attribute: Attribute,
) -> Result<Vec<ChannelStat>, FieldError> {
    const P: usize = 6;
    let n = rows.len();
    if n <= P + 1 {
        return Err(FieldError::BadConfig(format!(
            "{n} faces know the {} degree: too few to fit",
            attribute.name()
        )));
    }
    let x: Vec<[f64; P]> = rows
        .iter()
        .map(|&i| {
            let d = design[i];
            [1.0, d[0], d[1], d[2], d[3], d[4]]
        })
        .collect();
    let mut gram = vec![vec![0.0; P]; P];
    for r in &x {
        for i in 0..P {
            for j in 0..P {
                gram[i][j] += r[i] * r[j];
            }
        }
    }
    // A degree that never varies among the faces (no beard among the fringed ones) makes the
    // design singular: then a whisper of ridge keeps it solvable and leaves the others' fit.
    let inv = spd_inverse(&gram).or_else(|_| spd_inverse(&with_whisper(&gram, 1, n)))?;
    let a = 1 + attribute.index();
    let mut out = Vec::new();
    for (k, (c, table)) in scales.iter().enumerate() {
        for ch in 0..*c {
            let mut xty = [0.0f64; P];
            let (mut sum, mut sq) = (0.0f64, 0.0f64);
            for (r, &i) in x.iter().zip(rows) {
                let y = table[i * c + ch] as f64;
                for j in 0..P {
                    xty[j] += r[j] * y;
                }
                sum += y;
                sq += y * y;
            }
            let beta: Vec<f64> = (0..P)
                .map(|i| (0..P).map(|j| inv[i][j] * xty[j]).sum())
                .collect();
            let fitted: f64 = (0..P).map(|j| beta[j] * xty[j]).sum();
            let rss = (sq - fitted).max(0.0);
            let sigma2 = rss / (n - P) as f64;
            let se = (sigma2 * inv[a][a]).sqrt();
            let t = if se > 0.0 { beta[a] / se } else { 0.0 };
            let mean = sum / n as f64;
            let spread = (sq / n as f64 - mean * mean).max(0.0).sqrt();
            out.push(ChannelStat {
                style: k,
                channel: ch,
                t,
                mean,
                spread,
            });
        }
    }
    Ok(out)
}

/// The channels of the first [`StyleChannelConfig::styles`] styles ranked by how specifically
/// they follow one attribute on the labelled faces, with what the fits after the ranking need.
pub(crate) struct ChannelRanking {
    /// Per style, the channel count and the `[n, channels]` scales of every face.
    pub scales: Vec<(usize, Vec<f32>)>,
    /// Every face's five degrees, unknown ones at the fitted faces' mean.
    pub design: Vec<[f64; 5]>,
    /// The fitted faces' mean degrees.
    pub means: [f64; 5],
    /// The faces fitted (the attribute's degree known, at least `fitted_from`).
    pub rows: Vec<usize>,
    /// Every channel with a spread, largest |t| first.
    pub stats: Vec<ChannelStat>,
}

/// Ranks the channels for `attribute` on latents `w` `[n, 512]` and their degrees.
pub(crate) fn rank_channels(
    generator: &Generator,
    w: &Tensor,
    degrees: &[[u8; 5]],
    attribute: Attribute,
    config: &StyleChannelConfig,
) -> Result<ChannelRanking, FieldError> {
    let n = w.dim(0)?;
    if n != degrees.len() || config.channels == 0 || config.styles == 0 {
        return Err(FieldError::BadConfig(format!(
            "{n} latents for {} degree rows, {} channels of {} styles",
            degrees.len(),
            config.channels,
            config.styles
        )));
    }
    let scales = channel_scales(generator, w, config.styles)?;
    let a = attribute.index();
    let rows: Vec<usize> = (0..n)
        .filter(|&i| degrees[i][a] != 255 && degrees[i][a] >= config.fitted_from)
        .collect();
    let means: [f64; 5] = std::array::from_fn(|b| {
        let known: Vec<f64> = rows
            .iter()
            .filter(|&&i| degrees[i][b] != 255)
            .map(|&i| degrees[i][b] as f64)
            .collect();
        known.iter().sum::<f64>() / known.len().max(1) as f64
    });
    let design: Vec<[f64; 5]> = degrees.iter().map(|d| design_row(d, &means)).collect();
    let mut stats = channel_statistics(&scales, &design, &rows, attribute)?;
    stats.retain(|s| s.spread > 0.0 && s.t.is_finite());
    stats.sort_by(|x, y| y.t.abs().total_cmp(&x.t.abs()));
    Ok(ChannelRanking {
        scales,
        design,
        means,
        rows,
        stats,
    })
}

/// The W+ offset `[channels_per_style.len(), 512]` that changes the given channels' scales by
/// the given amounts (`(style, channel, change)`) and leaves the others: per style the
/// least-norm `dw_k` with `A_k dw_k = ds_k` (ridge `inverse_ridge` relative to the mean diagonal
/// of `A_k A_k^T`). Also the solve's relative error `|A dw - ds| / |ds|` over the moved styles.
pub(crate) fn w_plus_offset(
    generator: &Generator,
    channels_per_style: &[usize],
    changes: &[(usize, usize, f64)],
    inverse_ridge: f64,
) -> Result<(Tensor, f64), FieldError> {
    let mut rows_out = Vec::with_capacity(channels_per_style.len());
    let (mut err2, mut want2) = (0.0f64, 0.0f64);
    for (k, &c) in channels_per_style.iter().enumerate() {
        let mut ds = vec![0.0f64; c];
        for &(_, channel, change) in changes.iter().filter(|e| e.0 == k) {
            ds[channel] += change;
        }
        if ds.iter().all(|v| *v == 0.0) {
            rows_out.push(vec![0f32; LATENT_DIM]);
            continue;
        }
        let affine = generator.synthesis.style_weight(k)?.to_dtype(DType::F64)?;
        let a_mat: Vec<Vec<f64>> = affine.to_vec2::<f64>()?;
        let aat: Vec<Vec<f64>> = affine.matmul(&affine.t()?)?.to_vec2::<f64>()?;
        let mean_diag = (0..c).map(|i| aat[i][i]).sum::<f64>() / c as f64;
        let mut reg = aat;
        add_to_diagonal(&mut reg, 0, inverse_ridge * mean_diag);
        let x = cholesky_solve(reg, &ds).ok_or_else(|| {
            FieldError::BadConfig(format!("style {k}'s map is not positive definite"))
        })?;
        let dw: Vec<f64> = (0..LATENT_DIM)
            .map(|j| (0..c).map(|i| a_mat[i][j] * x[i]).sum())
            .collect();
        for i in 0..c {
            let got: f64 = (0..LATENT_DIM).map(|j| a_mat[i][j] * dw[j]).sum();
            err2 += (got - ds[i]).powi(2);
            want2 += ds[i] * ds[i];
        }
        rows_out.push(dw.iter().map(|v| *v as f32).collect());
    }
    let flat: Vec<f32> = rows_out.into_iter().flatten().collect();
    let direction = Tensor::from_vec(
        flat,
        (channels_per_style.len(), LATENT_DIM),
        generator.device(),
    )?;
    let error = if want2 > 0.0 {
        (err2 / want2).sqrt()
    } else {
        0.0
    };
    Ok((direction, error))
}

/// Fits `attribute`'s style-channel direction on latents `w` `[n, 512]` (as the dataset rendered
/// them) and their degrees ([`Attribute::ALL`] order, 255 = unknown), on the faces whose degree
/// of `attribute` is known. Eyeglasses are fitted on all six degrees, sunglasses included: the
/// direction draws clear frames on a bare face, thickens them and darkens the lenses as it
/// goes on (fitted on degrees 0-3 only it still darkened lenses first).
pub fn fit_style_channel_direction(
    generator: &Generator,
    w: &Tensor,
    degrees: &[[u8; 5]],
    attribute: Attribute,
    config: &StyleChannelConfig,
) -> Result<StyleChannelDirection, FieldError> {
    let ChannelRanking {
        scales,
        design,
        means,
        rows,
        mut stats,
    } = rank_channels(generator, w, degrees, attribute, config)?;
    let a = attribute.index();
    stats.truncate(config.channels);

    // The degree on the kept channels (standardised) and the other four degrees, centred.
    let others: Vec<usize> = (0..5).filter(|&b| b != a).collect();
    let p = stats.len() + others.len();
    let m = rows.len() as f64;
    let features = |i: usize| -> Vec<f64> {
        let mut f: Vec<f64> = stats
            .iter()
            .map(|s| {
                let (c, table) = &scales[s.style];
                (table[i * c + s.channel] as f64 - s.mean) / s.spread
            })
            .collect();
        f.extend(others.iter().map(|&b| design[i][b] - means[b]));
        f
    };
    let mut gram = vec![vec![0.0; p]; p];
    let mut xty = vec![0.0; p];
    let (mut yy, mut ysum) = (0.0, 0.0);
    for &i in &rows {
        let f = features(i);
        let y = design[i][a] - means[a];
        for r in 0..p {
            xty[r] += f[r] * y;
            for c in 0..p {
                gram[r][c] += f[r] * f[c];
            }
        }
        yy += y * y;
        ysum += y;
    }
    add_to_diagonal(&mut gram[..stats.len()], 0, config.ridge * m);
    let coef = cholesky_solve(gram.clone(), &xty)
        .or_else(|| cholesky_solve(with_whisper(&gram, stats.len(), rows.len()), &xty))
        .ok_or_else(|| FieldError::BadConfig("the channel regression is singular".into()))?;
    let fitted: f64 = coef.iter().zip(&xty).map(|(c, v)| c * v).sum();
    let total = yy - ysum * ysum / m;
    let fit_r2 = if total > 0.0 { fitted / total } else { 0.0 };
    let gamma = &coef[..stats.len()];
    let norm2: f64 = gamma.iter().map(|g| g * g).sum();
    if norm2 <= 0.0 {
        return Err(FieldError::BadConfig(format!(
            "no channel follows {}",
            attribute.name()
        )));
    }
    let channels: Vec<ChannelEffect> = stats
        .iter()
        .zip(gamma)
        .map(|(s, g)| ChannelEffect {
            style: s.style,
            channel: s.channel,
            t: s.t,
            spread: s.spread,
            step_in_spreads: g / norm2,
        })
        .collect();

    // Back to W+, style by style.
    let per_style: Vec<usize> = scales.iter().map(|(c, _)| *c).collect();
    let changes: Vec<(usize, usize, f64)> = channels
        .iter()
        .map(|e| (e.style, e.channel, e.step_in_spreads * e.spread))
        .collect();
    let (direction, solve_error) =
        w_plus_offset(generator, &per_style, &changes, config.inverse_ridge)?;
    Ok(StyleChannelDirection {
        attribute,
        channels,
        direction: direction.to_device(w.device())?,
        fit_r2,
        faces: rows.len(),
        solve_error,
    })
}

/// The labelled dataset's training faces (seeds not held out, at the truncation the dataset
/// rendered them with) and their degrees, from `labels.csv` degrees by seed.
pub fn training_faces(
    labels: &std::collections::HashMap<u64, [u8; 5]>,
) -> (Vec<(u64, f64)>, Vec<[u8; 5]>) {
    let mut seeds: Vec<(u64, [u8; 5])> = labels
        .iter()
        .filter(|(seed, _)| !super::methods::is_held_out(**seed))
        .map(|(seed, d)| (*seed, *d))
        .collect();
    seeds.sort_unstable_by_key(|(seed, _)| *seed);
    seeds
        .into_iter()
        .map(|(seed, d)| ((seed, crate::perception::label_pipeline::seed_psi(seed)), d))
        .unzip()
}

/// `styles` `[1, 23, 512]` moved by `multiplier` steps of a `[k, 512]` direction (its first `k`
/// styles).
pub fn stepped(styles: &Tensor, direction: &Tensor, multiplier: f64) -> Result<Tensor, FieldError> {
    let k = direction.dim(0)?;
    let n = styles.dim(1)?;
    let moved = styles
        .narrow(1, 0, k)?
        .broadcast_add(&(direction.to_dtype(styles.dtype())? * multiplier)?.unsqueeze(0)?)?;
    Ok(Tensor::cat(&[&moved, &styles.narrow(1, k, n - k)?], 1)?)
}

/// A contact sheet: one row per (direction, face), one column per multiplier, each render `side`
/// px with 4 px gaps (the start is multiplier 0).
pub fn preview_sheet(
    generator: &Generator,
    directions: &[&Tensor],
    faces: &[(u64, f64)],
    multipliers: &[f64],
    side: u32,
) -> Result<image::RgbImage, FieldError> {
    let cell = side + 4;
    let rows = (directions.len() * faces.len()) as u32;
    let mut sheet = image::RgbImage::from_pixel(
        cell * multipliers.len() as u32,
        cell * rows,
        image::Rgb([255; 3]),
    );
    let latents = super::methods::seed_latents(generator, faces)?;
    let mut row = 0;
    for direction in directions {
        for i in 0..faces.len() {
            let start = generator.w_plus(&latents.narrow(0, i, 1)?)?;
            for (col, &m) in multipliers.iter().enumerate() {
                let img = crate::generator::resize(
                    generator.render(&stepped(&start, direction, m)?, 256)?,
                    side,
                );
                image::imageops::overlay(
                    &mut sheet,
                    &img,
                    (col as u32 * cell) as i64,
                    (row * cell) as i64,
                );
            }
            row += 1;
        }
    }
    Ok(sheet)
}

/// Fits every attribute's direction on the labelled dataset's training faces.
pub fn fit_all(
    generator: &Generator,
    labels: &std::collections::HashMap<u64, [u8; 5]>,
    attributes: &[Attribute],
    config: &StyleChannelConfig,
) -> Result<Vec<StyleChannelDirection>, FieldError> {
    let (faces, degrees) = training_faces(labels);
    let w = super::methods::seed_latents(generator, &faces)?;
    attributes
        .iter()
        .map(|&a| fit_style_channel_direction(generator, &w, &degrees, a, config))
        .collect()
}

/// Writes a direction in `dir` in the image-direction format, once per way asked:
/// `<attribute>.up.safetensors` (the direction) and `<attribute>.down.safetensors` (its negative),
/// with the config and the channels as metadata. The editing loop uses a style-channel direction
/// only for the ways saved ([`ImageDirections::stepper_towards`]).
pub fn save(
    dir: &std::path::Path,
    direction: &StyleChannelDirection,
    config: &StyleChannelConfig,
    ways: &[Way],
) -> Result<(), FieldError> {
    let mut meta = std::collections::HashMap::new();
    meta.insert("method".to_string(), "style-channels".to_string());
    let json = |e: serde_json::Error| FieldError::BadInput(e.to_string());
    meta.insert(
        "config".to_string(),
        serde_json::to_string(config).map_err(json)?,
    );
    meta.insert(
        "channels".to_string(),
        serde_json::to_string(&direction.channels).map_err(json)?,
    );
    meta.insert("fit_r2".to_string(), format!("{:.4}", direction.fit_r2));
    meta.insert("faces".to_string(), direction.faces.to_string());
    meta.insert(
        "solve_error".to_string(),
        format!("{:.2e}", direction.solve_error),
    );
    for &way in ways {
        let tensor = match way {
            Way::Up => direction.direction.clone(),
            Way::Down => direction.direction.neg()?,
        };
        ImageDirections::save(dir, direction.attribute, way, &tensor, &meta)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_that_never_varies_is_solved_with_a_whisper_of_ridge() {
        // Intercept and one degree that is 0 on every face: singular as it stands.
        let gram = vec![vec![4.0, 0.0], vec![0.0, 0.0]];
        assert!(spd_inverse(&gram).is_err());
        let inv = spd_inverse(&with_whisper(&gram, 1, 4)).unwrap();
        assert!(
            (inv[0][0] - 0.25).abs() < 1e-12,
            "the intercept's fit is kept"
        );
        // A regular design is left as it is.
        let regular = vec![vec![4.0, 1.0], vec![1.0, 2.0]];
        let inv = spd_inverse(&regular).unwrap();
        assert!((4.0 * inv[0][0] + inv[0][1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unknown_degrees_take_the_mean() {
        let means = [1.0, 2.0, 0.5, 3.0, 2.5];
        assert_eq!(
            design_row(&[255, 1, 255, 4, 0], &means),
            [1.0, 1.0, 0.5, 4.0, 0.0]
        );
    }
}
