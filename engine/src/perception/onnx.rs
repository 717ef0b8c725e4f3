//! A loaded ONNX graph run by `candle-onnx`'s interpreter (one image at a time: the Faceplugin
//! graphs have a fixed batch of 1).
//!
//! The Faceplugin graphs are opset 9, where `Slice` takes `starts`/`ends`/`axes` as attributes;
//! candle-onnx implements the opset-10+ form (those as inputs), so [`upgrade_opset9_slices`]
//! rewrites such nodes into the newer form (constant initializers) when a model is loaded.

use super::PerceptionError;
use candle_core::Tensor;
use std::collections::HashMap;
use std::path::Path;

/// An ONNX model with one image input.
pub struct OnnxNet {
    name: String,
    model: candle_onnx::onnx::ModelProto,
    input: String,
}

impl OnnxNet {
    /// Reads `path`; `input` is the name of the graph's image input.
    pub fn load(path: &Path, input: &str) -> Result<Self, PerceptionError> {
        if !path.is_file() {
            return Err(PerceptionError::MissingModel(path.to_path_buf()));
        }
        let model = candle_onnx::read_file(path).map_err(|e| PerceptionError::BadModel {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut model = model;
        let graph = model
            .graph
            .as_mut()
            .ok_or_else(|| PerceptionError::BadModel {
                path: path.to_path_buf(),
                reason: "no graph".into(),
            })?;
        if !graph.input.iter().any(|i| i.name == input) {
            return Err(PerceptionError::BadModel {
                path: path.to_path_buf(),
                reason: format!("no input named {input:?}"),
            });
        }
        upgrade_opset9_slices(graph);
        Ok(Self {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            model,
            input: input.to_string(),
        })
    }

    /// Runs the graph on `x` and returns the named outputs, in the order asked for.
    pub fn run(&self, x: Tensor, outputs: &[&str]) -> Result<Vec<Tensor>, PerceptionError> {
        let inputs = HashMap::from([(self.input.clone(), x)]);
        let mut out = candle_onnx::simple_eval(&self.model, inputs)
            .map_err(|e| PerceptionError::Inference(format!("{}: {e}", self.name)))?;
        outputs
            .iter()
            .map(|o| {
                out.remove(*o).ok_or_else(|| {
                    PerceptionError::Inference(format!("{}: no output {o:?}", self.name))
                })
            })
            .collect()
    }
}

/// Rewrites every opset-9 `Slice` (attributes `starts`, `ends`, optional `axes`) into the
/// opset-10 form (inputs `data, starts, ends[, axes]` backed by int64 initializers). Returns how
/// many nodes were rewritten.
pub fn upgrade_opset9_slices(graph: &mut candle_onnx::onnx::GraphProto) -> usize {
    use candle_onnx::onnx::{tensor_proto::DataType, TensorProto};
    let mut added = Vec::new();
    let mut count = 0;
    for (i, node) in graph.node.iter_mut().enumerate() {
        if node.op_type != "Slice" || node.input.len() != 1 {
            continue;
        }
        let take = |name: &str| {
            node.attribute
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.ints.clone())
        };
        let (Some(starts), Some(ends)) = (take("starts"), take("ends")) else {
            continue;
        };
        let axes = take("axes");
        let mut push = |field: &str, values: Vec<i64>| {
            let name = format!("__slice{i}_{field}");
            added.push(TensorProto {
                dims: vec![values.len() as i64],
                data_type: DataType::Int64 as i32,
                int64_data: values,
                name: name.clone(),
                ..Default::default()
            });
            name
        };
        let mut inputs = vec![push("starts", starts), push("ends", ends)];
        if let Some(axes) = axes {
            inputs.push(push("axes", axes));
        }
        node.input.extend(inputs);
        node.attribute
            .retain(|a| !matches!(a.name.as_str(), "starts" | "ends" | "axes"));
        count += 1;
    }
    graph.initializer.extend(added);
    count
}
