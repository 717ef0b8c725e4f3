//! A loaded ONNX graph run by `candle-onnx`'s interpreter (one image at a time: the Faceplugin
//! graphs have a fixed batch of 1).
//!
//! The Faceplugin graphs are opset 9, where `Slice` takes `starts`/`ends`/`axes` as attributes;
//! candle-onnx implements the opset-10+ form (those as inputs), so [`upgrade_opset9_slices`]
//! rewrites such nodes into the newer form (constant initializers) when a model is loaded.
//! candle runs a grouped convolution as one convolution per group, which makes depthwise layers
//! (up to 512 groups) the bulk of the time; [`widen_depthwise_convs`] regroups them into blocks of
//! [`DEPTHWISE_BLOCK`] channels with block-diagonal weights (same output, about 4x faster).

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
        widen_depthwise_convs(graph, DEPTHWISE_BLOCK);
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

/// Channels per group when depthwise convolutions are widened by [`widen_depthwise_convs`].
/// Measured on the 2-core CPU (release, best of 8, loaded machine): block 1 (unchanged)
/// detect 259 ms / landmarks 106 ms / identity 592 ms; 8: 226 / 33 / 357; 16: 110 / 16 / 108;
/// 32: 146 / 15 / 135; 64: 116 / 19 / 269.
pub const DEPTHWISE_BLOCK: usize = 16;

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

/// Rewrites every depthwise `Conv` (group = channels, one input channel per group) into a grouped
/// convolution with `block` channels per group and block-diagonal weights: the same result, but
/// candle runs a grouped convolution as one convolution per group, so 512 groups of one channel
/// cost far more than 512 / `block` groups of `block` channels. Channels not divisible by `block`
/// keep their layer unchanged. Returns how many nodes were rewritten.
pub fn widen_depthwise_convs(graph: &mut candle_onnx::onnx::GraphProto, block: usize) -> usize {
    use candle_onnx::onnx::tensor_proto::DataType;
    if block <= 1 {
        return 0;
    }
    let mut count = 0;
    for node in graph.node.iter_mut() {
        if node.op_type != "Conv" || node.input.len() < 2 {
            continue;
        }
        let Some(group_attr) = node.attribute.iter_mut().find(|a| a.name == "group") else {
            continue;
        };
        let groups = group_attr.i as usize;
        let Some(w) = graph
            .initializer
            .iter_mut()
            .find(|t| t.name == node.input[1])
        else {
            continue;
        };
        let dims: Vec<usize> = w.dims.iter().map(|&d| d as usize).collect();
        let [c, 1, kh, kw] = dims[..] else { continue };
        if groups != c || c % block != 0 || w.data_type != DataType::Float as i32 {
            continue;
        }
        let values: Vec<f32> = if !w.float_data.is_empty() {
            w.float_data.clone()
        } else {
            w.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        if values.len() != c * kh * kw {
            continue;
        }
        let taps = kh * kw;
        let mut wide = vec![0f32; c * block * taps];
        for o in 0..c {
            let i = o % block;
            wide[(o * block + i) * taps..(o * block + i + 1) * taps]
                .copy_from_slice(&values[o * taps..(o + 1) * taps]);
        }
        w.dims = vec![c as i64, block as i64, kh as i64, kw as i64];
        w.float_data.clear();
        w.raw_data = wide.iter().flat_map(|v| v.to_le_bytes()).collect();
        group_attr.i = (c / block) as i64;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use candle_onnx::onnx::{
        attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto,
        ModelProto, NodeProto, TensorProto, ValueInfoProto,
    };

    fn ints(name: &str, v: &[i64]) -> AttributeProto {
        AttributeProto {
            name: name.into(),
            r#type: AttributeType::Ints as i32,
            ints: v.to_vec(),
            ..Default::default()
        }
    }

    fn int(name: &str, v: i64) -> AttributeProto {
        AttributeProto {
            name: name.into(),
            r#type: AttributeType::Int as i32,
            i: v,
            ..Default::default()
        }
    }

    fn eval(graph: &GraphProto, x: &Tensor, out: &str) -> Vec<f32> {
        let model = ModelProto {
            graph: Some(graph.clone()),
            ..Default::default()
        };
        let mut r = candle_onnx::simple_eval(&model, HashMap::from([("x".to_string(), x.clone())]))
            .unwrap();
        r.remove(out)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    fn value(name: &str) -> ValueInfoProto {
        ValueInfoProto {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn widened_depthwise_conv_gives_the_same_output() {
        let (c, k) = (32usize, 3usize);
        let w: Vec<f32> = (0..c * k * k)
            .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
            .collect();
        let b: Vec<f32> = (0..c).map(|i| i as f32 / 10.0).collect();
        let graph = GraphProto {
            node: vec![NodeProto {
                op_type: "Conv".into(),
                input: vec!["x".into(), "w".into(), "b".into()],
                output: vec!["y".into()],
                attribute: vec![
                    int("group", c as i64),
                    ints("kernel_shape", &[3, 3]),
                    ints("pads", &[1, 1, 1, 1]),
                    ints("strides", &[2, 2]),
                ],
                ..Default::default()
            }],
            initializer: vec![
                TensorProto {
                    name: "w".into(),
                    dims: vec![c as i64, 1, 3, 3],
                    data_type: DataType::Float as i32,
                    raw_data: w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    ..Default::default()
                },
                TensorProto {
                    name: "b".into(),
                    dims: vec![c as i64],
                    data_type: DataType::Float as i32,
                    float_data: b,
                    ..Default::default()
                },
            ],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        let x: Vec<f32> = (0..c * 9 * 7)
            .map(|i| ((i * 13 % 17) as f32) / 17.0)
            .collect();
        let x = Tensor::from_vec(x, (1, c, 9, 7), &Device::Cpu).unwrap();
        let before = eval(&graph, &x, "y");
        let mut wide = graph.clone();
        assert_eq!(widen_depthwise_convs(&mut wide, 8), 1);
        assert_eq!(wide.initializer[0].dims, vec![32, 8, 3, 3]);
        let after = eval(&wide, &x, "y");
        assert_eq!(before.len(), c * 5 * 4);
        let err = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 1e-5, "max difference {err}");
        // 32 channels are not divisible by 5: left alone.
        let mut same = graph.clone();
        assert_eq!(widen_depthwise_convs(&mut same, 5), 0);
    }

    #[test]
    fn opset9_slice_is_rewritten_and_runs() {
        let mut graph = GraphProto {
            node: vec![NodeProto {
                op_type: "Slice".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                attribute: vec![
                    ints("axes", &[1]),
                    ints("starts", &[2]),
                    ints("ends", &[i64::MAX]),
                ],
                ..Default::default()
            }],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(upgrade_opset9_slices(&mut graph), 1);
        assert_eq!(graph.node[0].input.len(), 4);
        assert!(graph.node[0].attribute.is_empty());
        let x = Tensor::arange(0f32, 8.0, &Device::Cpu)
            .unwrap()
            .reshape((2, 4))
            .unwrap();
        assert_eq!(eval(&graph, &x, "y"), vec![2.0, 3.0, 6.0, 7.0]);
    }
}
