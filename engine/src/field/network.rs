//! The semantic field network F: an 8-layer MLP `[b, 512] -> [b, 512]` (paper, supplement: 8
//! fully-connected layers of width 512, leaky ReLU 0.2 after all but the last), plus its one-file
//! safetensors format.

use super::FieldError;
use crate::attributes::Attribute;
use crate::tagged_file::{metadata_json, read_file, write_file_as};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// `metadata["format"]` of a saved field.
pub const FIELD_FILE_FORMAT: &str = "tte-semantic-field-v1";

/// Shape of a semantic field network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConfig {
    /// Number of fully-connected layers.
    pub layers: usize,
    /// Width of every layer (input and output are the latent width, 512).
    pub width: usize,
    /// Slope of the leaky ReLU after every layer but the last.
    pub slope: f64,
}

impl Default for FieldConfig {
    /// The paper's field: 8 layers, width 512, slope 0.2.
    fn default() -> Self {
        Self {
            layers: 8,
            width: 512,
            slope: 0.2,
        }
    }
}

impl FieldConfig {
    /// Checks the shape is usable.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.layers == 0 || self.width == 0 {
            return Err(FieldError::BadConfig(format!(
                "a field needs at least one layer of positive width, got {self:?}"
            )));
        }
        if !(0.0..1.0).contains(&self.slope) {
            return Err(FieldError::BadConfig(format!(
                "leaky ReLU slope must be in [0, 1), got {}",
                self.slope
            )));
        }
        Ok(())
    }
}

/// The semantic field F of one attribute. Weights: `layers.{i}.weight` `[width, width]`,
/// `layers.{i}.bias` `[width]`.
#[derive(Debug, Clone)]
pub struct SemanticField {
    layers: Vec<Linear>,
    config: FieldConfig,
    device: Device,
}

impl SemanticField {
    /// Builds the network from `vb` (a `VarMap` for training, loaded tensors for inference).
    pub fn load(vb: VarBuilder, config: FieldConfig) -> Result<Self, FieldError> {
        config.validate()?;
        let device = vb.device().clone();
        let layers = (0..config.layers)
            .map(|i| candle_nn::linear(config.width, config.width, vb.pp(format!("layers.{i}"))))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            layers,
            config,
            device,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &FieldConfig {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// `w [b, width] -> F(w) [b, width]`. Differentiable with respect to the weights and `w`.
    pub fn forward(&self, w: &Tensor) -> Result<Tensor, FieldError> {
        match w.dims() {
            [b, d] if *b > 0 && *d == self.config.width => {}
            dims => {
                return Err(FieldError::BadInput(format!(
                    "field input must be [b>0, {}], got {dims:?}",
                    self.config.width
                )))
            }
        }
        let last = self.layers.len() - 1;
        let mut x = w.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x)?;
            if i < last {
                x = x.maximum(&(&x * self.config.slope)?)?;
            }
        }
        Ok(x)
    }

    /// All weights under their `VarBuilder` names.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            out.push((format!("layers.{i}.weight"), layer.weight().clone()));
            if let Some(bias) = layer.bias() {
                out.push((format!("layers.{i}.bias"), bias.clone()));
            }
        }
        out
    }

    /// Writes the weights (f32), the config and the attribute the field edits to one safetensors
    /// file.
    pub fn save_file(&self, path: &Path, attribute: Attribute) -> Result<(), FieldError> {
        self.save_file_as(path, attribute, false)
    }

    /// As [`SemanticField::save_file`], storing the weights as f16 when `half` is set (4 MB
    /// instead of 8 MB for the paper's field; loading converts back to f32).
    pub fn save_file_as(
        &self,
        path: &Path,
        attribute: Attribute,
        half: bool,
    ) -> Result<(), FieldError> {
        let config = serde_json::to_string(&self.config).map_err(|e| FieldError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let metadata = HashMap::from([
            ("format".to_string(), FIELD_FILE_FORMAT.to_string()),
            ("config".to_string(), config),
            ("attribute".to_string(), attribute.name().to_string()),
        ]);
        write_file_as(path, &self.named_tensors(), metadata, half)
    }

    /// Loads a file written by [`SemanticField::save_file`]: the field and its attribute.
    pub fn load_file(path: &Path, device: &Device) -> Result<(Self, Attribute), FieldError> {
        let (tensors, metadata) = read_file::<FieldError>(path, FIELD_FILE_FORMAT, device)?;
        let bad = |reason: String| FieldError::File {
            path: path.to_path_buf(),
            reason,
        };
        let config: FieldConfig = metadata_json::<_, FieldError>(path, &metadata, "config")?;
        let attribute: Attribute = metadata
            .get("attribute")
            .ok_or_else(|| bad("metadata has no attribute".into()))?
            .parse()
            .map_err(|e| bad(format!("{e}")))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let field = Self::load(vb, config).map_err(|e| match e {
            FieldError::Candle(e) => bad(format!("weights do not match the config: {e}")),
            other => other,
        })?;
        Ok((field, attribute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::max_abs_diff;
    use candle_nn::VarMap;

    #[test]
    fn forward_keeps_shape_and_rejects_bad_input() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let field = SemanticField::load(vb, FieldConfig::default()).unwrap();
        assert_eq!(field.named_tensors().len(), 16);
        let w = Tensor::randn(0f32, 1.0, (3, 512), &Device::Cpu).unwrap();
        let f = field.forward(&w).unwrap();
        assert_eq!(f.dims(), &[3, 512]);
        let values = f.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(values.iter().all(|v| v.is_finite()));
        assert!(values.iter().any(|v| v.abs() > 1e-6), "output all zero");
        assert!(field.forward(&w.narrow(1, 0, 100).unwrap()).is_err());
        let w3 = Tensor::zeros((1, 23, 512), DType::F32, &Device::Cpu).unwrap();
        assert!(matches!(field.forward(&w3), Err(FieldError::BadInput(_))));
    }

    #[test]
    fn last_layer_has_no_activation_and_others_leak() {
        // One-wide, two-layer field with hand-set weights: layer 0 = identity, layer 1 = identity.
        let cfg = FieldConfig {
            layers: 2,
            width: 1,
            slope: 0.2,
        };
        let one = Tensor::ones((1, 1), DType::F32, &Device::Cpu).unwrap();
        let zero = Tensor::zeros(1, DType::F32, &Device::Cpu).unwrap();
        let tensors = HashMap::from([
            ("layers.0.weight".to_string(), one.clone()),
            ("layers.0.bias".to_string(), zero.clone()),
            ("layers.1.weight".to_string(), one),
            ("layers.1.bias".to_string(), (zero - 1.0).unwrap()),
        ]);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let field = SemanticField::load(vb, cfg).unwrap();
        let x = Tensor::new(&[[-1f32], [2.0]], &Device::Cpu).unwrap();
        let y = field.forward(&x).unwrap().to_vec2::<f32>().unwrap();
        // -1 -> leaky -0.2 -> -0.2 - 1 = -1.2 (no activation after the last layer); 2 -> 1.
        assert!((y[0][0] + 1.2).abs() < 1e-6, "{y:?}");
        assert!((y[1][0] - 1.0).abs() < 1e-6, "{y:?}");
    }

    #[test]
    fn gradients_reach_every_layer() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let cfg = FieldConfig {
            layers: 3,
            width: 16,
            slope: 0.2,
        };
        let field = SemanticField::load(vb, cfg).unwrap();
        let w = Tensor::randn(0f32, 1.0, (4, 16), &Device::Cpu).unwrap();
        let loss = field.forward(&w).unwrap().sqr().unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        for var in varmap.all_vars() {
            let g = grads
                .get(var.as_tensor())
                .expect("gradient for every weight");
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(norm > 0.0);
        }
    }

    #[test]
    fn save_and_load_round_trip() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let cfg = FieldConfig {
            layers: 2,
            width: 8,
            slope: 0.2,
        };
        let field = SemanticField::load(vb, cfg.clone()).unwrap();
        let dir = tempdir();
        let path = dir.join("field.safetensors");
        field.save_file(&path, Attribute::Beard).unwrap();
        let (loaded, attribute) = SemanticField::load_file(&path, &Device::Cpu).unwrap();
        assert_eq!(attribute, Attribute::Beard);
        assert_eq!(loaded.config(), &cfg);
        let w = Tensor::randn(0f32, 1.0, (2, 8), &Device::Cpu).unwrap();
        let a = field.forward(&w).unwrap();
        let b = loaded.forward(&w).unwrap();
        assert_eq!(max_abs_diff(&a, &b).unwrap(), 0.0);
        // f16 storage: half the size, same outputs up to f16 rounding.
        let half = dir.join("field16.safetensors");
        field.save_file_as(&half, Attribute::Beard, true).unwrap();
        let (loaded16, _) = SemanticField::load_file(&half, &Device::Cpu).unwrap();
        let c = loaded16.forward(&w).unwrap();
        let scale = a
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(max_abs_diff(&a, &c).unwrap() <= 1e-2 * scale.max(1e-3));
        assert!(std::fs::metadata(&half).unwrap().len() < std::fs::metadata(&path).unwrap().len());
        std::fs::write(dir.join("junk.safetensors"), b"not a file").unwrap();
        assert!(SemanticField::load_file(&dir.join("junk.safetensors"), &Device::Cpu).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tte-field-net-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
