//! The mapping network z -> w: pixel norm, then 8 x (linear 512 -> 512 with bias, leaky ReLU 0.2,
//! gain sqrt 2). The equalised-learning-rate scales are already folded into the converted weights.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Linear, VarBuilder};

/// Shape of the mapping network.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingConfig {
    /// Width of z and w.
    pub latent_dim: usize,
    /// Number of linear layers.
    pub num_layers: usize,
    /// Slope of the leaky ReLU for negative inputs.
    pub negative_slope: f64,
    /// Gain applied after each activation.
    pub activation_gain: f64,
    /// Epsilon of the input pixel norm.
    pub pixel_norm_eps: f64,
}

impl Default for MappingConfig {
    /// MobileStyleGAN / StyleGAN2-FFHQ: 512 wide, 8 layers.
    fn default() -> Self {
        Self {
            latent_dim: 512,
            num_layers: 8,
            negative_slope: 0.2,
            activation_gain: std::f64::consts::SQRT_2,
            pixel_norm_eps: 1e-8,
        }
    }
}

/// The mapping MLP. Weights: `layers.{i}.weight` `[512, 512]`, `layers.{i}.bias` `[512]`.
#[derive(Debug, Clone)]
pub struct MappingNetwork {
    layers: Vec<Linear>,
    config: MappingConfig,
}

/// `max(x, slope * x)`, i.e. leaky ReLU for 0 < slope < 1.
pub(crate) fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    x.maximum(&(x * slope)?)
}

impl MappingNetwork {
    pub fn load(vb: VarBuilder, config: MappingConfig) -> Result<Self> {
        let d = config.latent_dim;
        let layers = (0..config.num_layers)
            .map(|i| candle_nn::linear(d, d, vb.pp(format!("layers.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { layers, config })
    }

    pub fn config(&self) -> &MappingConfig {
        &self.config
    }

    /// z `[b, 512]` -> w `[b, 512]`.
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        let norm = (z.sqr()?.mean_keepdim(D::Minus1)? + self.config.pixel_norm_eps)?.sqrt()?;
        self.forward_without_norm(&z.broadcast_div(&norm)?)
    }

    /// The MLP without its input normalisation (the paper's `M` used to carry W-space field
    /// steps into W+).
    pub fn forward_without_norm(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for layer in &self.layers {
            x = (leaky_relu(&layer.forward(&x)?, self.config.negative_slope)?
                * self.config.activation_gain)?;
        }
        Ok(x)
    }
}
