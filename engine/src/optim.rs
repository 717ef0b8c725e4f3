//! The optimiser the latent-space trainings share: Adam without weight decay (the field, the
//! image directions and the inversion's refinement all optimise codes or small networks where
//! decay would pull towards zero, which means nothing in W).

use candle_core::Var;
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// Adam at learning rate `lr` with candle's default betas and no weight decay.
pub fn adam(vars: Vec<Var>, lr: f64) -> candle_core::Result<AdamW> {
    AdamW::new(
        vars,
        ParamsAdamW {
            lr,
            weight_decay: 0.0,
            ..Default::default()
        },
    )
}
