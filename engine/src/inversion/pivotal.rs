//! Pivotal tuning (Roich et al., "Pivotal Tuning for Latent-based Editing of Real Images",
//! 2021), cut to what a 2-core CPU affords: the generator's weights are tuned, per photo, so that
//! the inverted code (the pivot) renders the photo more closely, while codes around the pivot
//! render as before (the paper's locality regulariser), so that edits still mean what they meant.
//!
//! The paper tunes every weight at full resolution for hundreds of GPU steps. Here only the
//! synthesis network's first [`PivotalConfig::feature_blocks`] blocks (and its 4x4 stem) are
//! tuned, through the same reduced-resolution pass as the refinement
//! ([`super::refine::FeatureTarget`]: the blocks' 64 px feature map turned into colours by a
//! head fitted to the pivot's full render, against the colour-matched photo). The later blocks
//! keep their weights, so the tuning can change the face's shape, pose and expression (what the
//! first blocks decide), not its fine texture. Each weight moves in units of its tensor's own
//! spread (one Adam per tensor at `learning_rate` x its RMS), so blocks of very different scales
//! move alike. The locality term: at each step one code at [`PivotalConfig::locality_radius`]
//! from the pivot along a random direction of the edited layers (the distance of an edit), whose
//! head image must stay what the untuned blocks make of it.
//!
//! The tuned weights come back by name; [`crate::generator::Generator::with_replaced`] makes the
//! per-photo generator.

use super::refine::FeatureTarget;
use super::InversionError;
use crate::generator::{Generator, SynthesisConfig, SynthesisNetwork, LATENT_DIM};
use candle_core::{DType, Tensor, Var};
use candle_nn::{Optimizer, VarBuilder};
use image::RgbImage;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Instant;

/// Settings of [`pivotal_tune`].
#[derive(Debug, Clone, PartialEq)]
pub struct PivotalConfig {
    /// Adam steps.
    pub steps: usize,
    /// Synthesis blocks tuned (and run by the reduced-resolution pass; 4: 64 px features).
    pub feature_blocks: usize,
    /// Adam's learning rate, in units of each weight tensor's RMS.
    pub learning_rate: f64,
    /// Weight of the locality term (0: off).
    pub locality_weight: f64,
    /// Distance (W units, on the first [`crate::field::DEFAULT_K`] styles) of the locality
    /// term's codes from the pivot.
    pub locality_radius: f64,
    /// Ridge of the colour head (as [`super::refine::RefineConfig::head_ridge`]).
    pub head_ridge: f64,
    /// Weight of the pixels outside the face mask.
    pub outside_weight: f64,
    /// Seed of the locality term's directions.
    pub seed: u64,
}

impl Default for PivotalConfig {
    fn default() -> Self {
        Self {
            steps: 30,
            feature_blocks: 4,
            learning_rate: 2e-3,
            locality_weight: 1.0,
            locality_radius: 4.0,
            head_ridge: 1e-3,
            outside_weight: 0.25,
            seed: 0,
        }
    }
}

/// The result of a tuning.
#[derive(Debug, Clone)]
pub struct PivotalTuning {
    /// The tuned weights, by their names in the generator's file.
    pub weights: HashMap<String, Tensor>,
    pub summary: PivotalSummary,
}

/// How a tuning went (kept in evaluation records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PivotalSummary {
    /// Pixel loss of the pivot before the first step and at the last.
    pub first_loss: f32,
    pub last_loss: f32,
    /// Locality loss at the last step.
    pub last_locality: f32,
    pub seconds: f32,
}

/// Whether the weight `name` is tuned with `blocks` feature blocks: the stem and the first
/// `blocks` blocks of the synthesis network, their noise maps and the modulations' constant
/// scales (read once as numbers, outside the graph) excepted.
pub fn is_tuned(name: &str, blocks: usize) -> bool {
    if name.ends_with("noise") || name.ends_with(".scale") {
        return false;
    }
    if name.starts_with("synthesis.conv1.") || name.starts_with("synthesis.input.") {
        return true;
    }
    let Some(rest) = name.strip_prefix("synthesis.layers.") else {
        return false;
    };
    let index = rest.split('.').next().and_then(|i| i.parse::<usize>().ok());
    matches!(index, Some(i) if i < blocks) && !rest.contains(".to_img.")
}

/// Tunes `generator`'s first blocks so that `pivot` (W+ `[1, 23, 512]`) renders `target` (an
/// aligned crop, square) inside `mask` (the face mask at the crop's size). `progress` gets the
/// step and its pixel loss.
pub fn pivotal_tune(
    generator: &Generator,
    target: &RgbImage,
    mask: &[f32],
    pivot: &Tensor,
    config: &PivotalConfig,
    progress: &mut dyn FnMut(usize, f32),
) -> Result<PivotalTuning, InversionError> {
    let started = Instant::now();
    let device = generator.device().clone();
    let pivot = generator.synthesis.to_w_plus(pivot)?.to_dtype(DType::F32)?;
    let (b, n_styles, _) = pivot.dims3()?;
    let blocks = config.feature_blocks;
    if b != 1 || blocks == 0 || blocks > generator.synthesis.config().block_channels.len() {
        return Err(InversionError::BadInput(format!(
            "pivotal tuning needs one W+ code and 1..=7 blocks, got {:?} and {blocks}",
            pivot.dims()
        )));
    }
    let fit = FeatureTarget::new(
        generator,
        target,
        mask,
        &pivot,
        blocks,
        config.head_ridge,
        config.outside_weight,
    )?;
    // The tuned blocks, built on variables (the other weights are shared, not copied).
    let mut tensors = HashMap::new();
    let mut vars = Vec::new();
    for (name, tensor) in generator.tensors() {
        if is_tuned(name, blocks) {
            let var = Var::from_tensor(tensor)?;
            let rms = tensor.sqr()?.mean_all()?.to_scalar::<f32>()?.sqrt() as f64;
            tensors.insert(name.clone(), var.as_tensor().clone());
            vars.push((name.clone(), var, rms));
        } else if name.starts_with("synthesis.") {
            tensors.insert(name.clone(), tensor.clone());
        }
    }
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
    let tuned = SynthesisNetwork::load(vb.pp("synthesis"), SynthesisConfig::default())?;
    let mut optimisers = vars
        .iter()
        .map(|(_, var, rms)| {
            crate::optim::adam(vec![var.clone()], config.learning_rate * rms.max(1e-8))
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let image_of = |network: &SynthesisNetwork, code: &Tensor| -> Result<Tensor, InversionError> {
        fit.head
            .forward(&network.features_differentiable(code, blocks)?)
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
    let k = crate::field::DEFAULT_K.min(n_styles);
    let mut first_loss = f32::NAN;
    let mut last_loss = f32::NAN;
    let mut last_locality = f32::NAN;
    for step in 0..config.steps {
        let pixels = fit.pixel_loss(&image_of(&tuned, &pivot)?)?;
        let mut loss = pixels.clone();
        if config.locality_weight > 0.0 {
            let direction: Vec<f32> = (0..LATENT_DIM)
                .map(|_| StandardNormal.sample(&mut rng))
                .collect();
            let norm = direction
                .iter()
                .map(|v| v * v)
                .sum::<f32>()
                .sqrt()
                .max(1e-6);
            let scale = (config.locality_radius as f32) / norm;
            let mut offset = vec![0f32; n_styles * LATENT_DIM];
            for layer in 0..k {
                for (i, v) in direction.iter().enumerate() {
                    offset[layer * LATENT_DIM + i] = v * scale;
                }
            }
            let nearby = (&pivot + Tensor::from_vec(offset, (1, n_styles, LATENT_DIM), &device)?)?;
            let before = image_of(&generator.synthesis, &nearby)?.detach();
            let after = image_of(&tuned, &nearby)?;
            let locality = (after - before)?.sqr()?.mean_all()?;
            last_locality = locality.to_scalar::<f32>()?;
            loss = (loss + (locality * config.locality_weight)?)?;
        }
        let value = pixels.to_scalar::<f32>()?;
        if step == 0 {
            first_loss = value;
        }
        let grads = loss.backward()?;
        for optimiser in optimisers.iter_mut() {
            optimiser.step(&grads)?;
        }
        last_loss = value;
        progress(step + 1, value);
    }
    let weights = vars
        .into_iter()
        .map(|(name, var, _)| (name, var.as_tensor().detach()))
        .collect();
    Ok(PivotalTuning {
        weights,
        summary: PivotalSummary {
            first_loss,
            last_loss,
            last_locality,
            seconds: started.elapsed().as_secs_f32(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuned_weights_are_the_stem_and_the_first_blocks_without_noise() {
        assert!(is_tuned("synthesis.conv1.conv.weight", 4));
        assert!(is_tuned("synthesis.input.input", 4));
        assert!(is_tuned("synthesis.layers.0.conv1.conv.weight_dw", 4));
        assert!(is_tuned("synthesis.layers.3.up.modulation.weight", 4));
        assert!(!is_tuned("synthesis.layers.4.conv1.conv.weight_dw", 4));
        assert!(!is_tuned("synthesis.layers.12.conv1.bias", 4));
        assert!(!is_tuned("synthesis.layers.0.conv1.noise", 4));
        assert!(!is_tuned("synthesis.conv1.noise", 4));
        assert!(!is_tuned(
            "synthesis.layers.0.conv1.conv.modulation.scale",
            4
        ));
        assert!(!is_tuned("mapping.layers.0.weight", 4));
        assert!(!is_tuned("synthesis.layers.1.to_img.conv.weight", 4));
    }
}
