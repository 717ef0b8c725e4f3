//! A loaded ONNX graph run by `candle-onnx`'s interpreter (one image at a time: the Faceplugin
//! graphs have a fixed batch of 1).
//!
//! The Faceplugin graphs are opset 9, where `Slice` takes `starts`/`ends`/`axes` as attributes;
//! candle-onnx implements the opset-10+ form (those as inputs), so [`upgrade_opset9_slices`]
//! rewrites such nodes into the newer form (constant initializers) when a model is loaded.
//! candle runs a grouped convolution as one convolution per group, which makes depthwise layers
//! (up to 512 groups) the bulk of the time; [`widen_depthwise_convs`] regroups them into blocks of
//! [`DEPTHWISE_BLOCK`] channels with block-diagonal weights (same output, about 4x faster).
//!
//! The teacher graphs (`fr_expression.onnx`, `age-v1.onnx`, `fr_age.onnx`) use three things
//! candle-onnx 0.11.1 lacks, each rewritten at load time into ops it has:
//! `GlobalAveragePool` ([`global_average_pools_to_reduce_mean`]), `MaxPool` with padding
//! ([`explicit_max_pool_pads`]) and constant-mode `Pad` (only `reflect` is implemented;
//! [`expand_constant_pads`] builds the border from slices of the input and concatenates it).

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
        global_average_pools_to_reduce_mean(graph);
        explicit_max_pool_pads(graph);
        expand_constant_pads(graph).map_err(|reason| PerceptionError::BadModel {
            path: path.to_path_buf(),
            reason,
        })?;
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

/// Rewrites every `GlobalAveragePool` into `ReduceMean` over the spatial axes of an NCHW
/// tensor with `keepdims = 1` (the same `[N, C, 1, 1]` result). Returns how many nodes changed.
pub fn global_average_pools_to_reduce_mean(graph: &mut candle_onnx::onnx::GraphProto) -> usize {
    use candle_onnx::onnx::{attribute_proto::AttributeType, AttributeProto};
    let mut count = 0;
    for node in graph.node.iter_mut() {
        if node.op_type != "GlobalAveragePool" {
            continue;
        }
        node.op_type = "ReduceMean".into();
        node.attribute = vec![
            AttributeProto {
                name: "axes".into(),
                r#type: AttributeType::Ints as i32,
                ints: vec![2, 3],
                ..Default::default()
            },
            AttributeProto {
                name: "keepdims".into(),
                r#type: AttributeType::Int as i32,
                i: 1,
                ..Default::default()
            },
        ];
        count += 1;
    }
    count
}

/// The value `MaxPool` padding is filled with by [`explicit_max_pool_pads`]: lower than any
/// activation, but finite (so multiplying it by zero stays zero).
pub const MAX_POOL_PAD_FILL: f32 = -3.0e38;

/// Rewrites every `MaxPool` with non-zero `pads` into a constant `Pad` (filled with
/// [`MAX_POOL_PAD_FILL`], so a padded cell never wins) followed by the same `MaxPool` without
/// pads. The `Pad` is the opset-9 attribute form, which [`expand_constant_pads`] then turns into
/// ops candle-onnx runs. Returns how many nodes were rewritten.
pub fn explicit_max_pool_pads(graph: &mut candle_onnx::onnx::GraphProto) -> usize {
    use candle_onnx::onnx::{attribute_proto::AttributeType, AttributeProto, NodeProto};
    let mut count = 0;
    let mut nodes = Vec::with_capacity(graph.node.len());
    for (i, mut node) in std::mem::take(&mut graph.node).into_iter().enumerate() {
        let pads = node
            .attribute
            .iter()
            .find(|a| a.name == "pads")
            .map(|a| a.ints.clone())
            .unwrap_or_default();
        if node.op_type != "MaxPool" || pads.iter().all(|&p| p == 0) || pads.len() % 2 != 0 {
            nodes.push(node);
            continue;
        }
        // MaxPool pads are [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over the spatial
        // axes; Pad's cover every axis of NCHW.
        let spatial = pads.len() / 2;
        let mut full = vec![0i64; 2 * (spatial + 2)];
        for k in 0..spatial {
            full[2 + k] = pads[k];
            full[spatial + 2 + 2 + k] = pads[spatial + k];
        }
        let padded = format!("__maxpool{i}_padded");
        nodes.push(NodeProto {
            op_type: "Pad".into(),
            name: format!("__maxpool{i}_pad"),
            input: vec![node.input[0].clone()],
            output: vec![padded.clone()],
            attribute: vec![
                AttributeProto {
                    name: "pads".into(),
                    r#type: AttributeType::Ints as i32,
                    ints: full,
                    ..Default::default()
                },
                AttributeProto {
                    name: "value".into(),
                    r#type: AttributeType::Float as i32,
                    f: MAX_POOL_PAD_FILL,
                    ..Default::default()
                },
            ],
            ..Default::default()
        });
        node.input[0] = padded;
        node.attribute.retain(|a| a.name != "pads");
        nodes.push(node);
        count += 1;
    }
    graph.node = nodes;
    count
}

/// Integer values of an initializer (int64 or int32, in `*_data` or `raw_data`).
fn initializer_ints(graph: &candle_onnx::onnx::GraphProto, name: &str) -> Option<Vec<i64>> {
    use candle_onnx::onnx::tensor_proto::DataType;
    let t = graph.initializer.iter().find(|t| t.name == name)?;
    if t.data_type == DataType::Int64 as i32 {
        if !t.int64_data.is_empty() {
            return Some(t.int64_data.clone());
        }
        return Some(
            t.raw_data
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        );
    }
    if t.data_type == DataType::Int32 as i32 {
        if !t.int32_data.is_empty() {
            return Some(t.int32_data.iter().map(|&v| v as i64).collect());
        }
        return Some(
            t.raw_data
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")) as i64)
                .collect(),
        );
    }
    None
}

/// The single float value of an initializer.
fn initializer_scalar_f32(graph: &candle_onnx::onnx::GraphProto, name: &str) -> Option<f32> {
    use candle_onnx::onnx::tensor_proto::DataType;
    let t = graph.initializer.iter().find(|t| t.name == name)?;
    if t.data_type != DataType::Float as i32 {
        return None;
    }
    t.float_data.first().copied().or_else(|| {
        t.raw_data
            .get(..4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
    })
}

/// Rewrites every constant-mode `Pad` (opset-9 attributes `pads`/`value`, or opset-11+ inputs
/// backed by initializers) that candle-onnx cannot run:
/// - all pads zero: an `Identity`;
/// - otherwise, per padded axis `a`: the border is one slice of the input along `a`
///   (`Slice` `[0, 1)`), times zero, plus the fill value, tiled to the pad width, and
///   concatenated before/after the input along `a`.
///
/// Non-constant modes (`reflect`, which candle-onnx has, `edge`) and negative pads (cropping)
/// are left alone. An initializer-backed `pads` or value that cannot be read is an error.
/// Returns how many nodes were rewritten.
pub fn expand_constant_pads(graph: &mut candle_onnx::onnx::GraphProto) -> Result<usize, String> {
    use candle_onnx::onnx::{
        attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, NodeProto,
        TensorProto,
    };
    let mut count = 0;
    let mut nodes = Vec::with_capacity(graph.node.len());
    let mut added: Vec<TensorProto> = Vec::new();
    let old = std::mem::take(&mut graph.node);
    for (i, node) in old.into_iter().enumerate() {
        if node.op_type != "Pad" {
            nodes.push(node);
            continue;
        }
        let mode = node
            .attribute
            .iter()
            .find(|a| a.name == "mode")
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
            .unwrap_or_else(|| "constant".into());
        if mode != "constant" {
            nodes.push(node);
            continue;
        }
        let pads = match node.input.get(1).filter(|n| !n.is_empty()) {
            Some(name) => initializer_ints(graph, name)
                .ok_or_else(|| format!("Pad {:?}: pads {name:?} is not a constant", node.name))?,
            None => node
                .attribute
                .iter()
                .find(|a| a.name == "pads")
                .map(|a| a.ints.clone())
                .ok_or_else(|| format!("Pad {:?} without pads", node.name))?,
        };
        if node.input.len() > 3 {
            // opset 18 `axes` input: not used by this project's graphs.
            return Err(format!("Pad {:?}: axes input not supported", node.name));
        }
        let fill = match node.input.get(2).filter(|n| !n.is_empty()) {
            Some(name) => initializer_scalar_f32(graph, name)
                .ok_or_else(|| format!("Pad {:?}: value {name:?} is not a constant", node.name))?,
            None => node
                .attribute
                .iter()
                .find(|a| a.name == "value")
                .map(|a| a.f)
                .unwrap_or(0.0),
        };
        if pads.len() % 2 != 0 || pads.iter().any(|&p| p < 0) {
            nodes.push(node);
            continue;
        }
        count += 1;
        let rank = pads.len() / 2;
        let (input, output) = (node.input[0].clone(), node.output[0].clone());
        let axes: Vec<usize> = (0..rank)
            .filter(|&a| pads[a] > 0 || pads[rank + a] > 0)
            .collect();
        if axes.is_empty() {
            nodes.push(NodeProto {
                op_type: "Identity".into(),
                name: node.name,
                input: vec![input],
                output: vec![output],
                ..Default::default()
            });
            continue;
        }
        let prefix = format!("__pad{i}");
        let mut tensor = |name: String, dims: Vec<i64>, ints: Option<Vec<i64>>, float: f32| {
            added.push(match ints {
                Some(v) => TensorProto {
                    name: name.clone(),
                    dims,
                    data_type: DataType::Int64 as i32,
                    int64_data: v,
                    ..Default::default()
                },
                None => TensorProto {
                    name: name.clone(),
                    dims,
                    data_type: DataType::Float as i32,
                    float_data: vec![float],
                    ..Default::default()
                },
            });
            name
        };
        let zero = tensor(format!("{prefix}_zero"), vec![], None, 0.0);
        let fill_name = tensor(format!("{prefix}_fill"), vec![], None, fill);
        let start = tensor(format!("{prefix}_start"), vec![1], Some(vec![0]), 0.0);
        let end = tensor(format!("{prefix}_end"), vec![1], Some(vec![1]), 0.0);
        let simple = |op: &str, inputs: Vec<String>, out: String| NodeProto {
            op_type: op.into(),
            input: inputs,
            output: vec![out],
            ..Default::default()
        };
        let mut current = input;
        for (k, &a) in axes.iter().enumerate() {
            let tag = format!("{prefix}_a{a}");
            let axis = tensor(format!("{tag}_axis"), vec![1], Some(vec![a as i64]), 0.0);
            nodes.push(simple(
                "Slice",
                vec![current.clone(), start.clone(), end.clone(), axis],
                format!("{tag}_slice"),
            ));
            nodes.push(simple(
                "Mul",
                vec![format!("{tag}_slice"), zero.clone()],
                format!("{tag}_zeros"),
            ));
            nodes.push(simple(
                "Add",
                vec![format!("{tag}_zeros"), fill_name.clone()],
                format!("{tag}_border"),
            ));
            let mut parts = Vec::new();
            for (side, width) in [("pre", pads[a]), ("post", pads[rank + a])] {
                if width == 0 {
                    continue;
                }
                let mut repeats = vec![1i64; rank];
                repeats[a] = width;
                let reps = tensor(
                    format!("{tag}_{side}_repeats"),
                    vec![rank as i64],
                    Some(repeats),
                    0.0,
                );
                let out = format!("{tag}_{side}");
                nodes.push(simple(
                    "Tile",
                    vec![format!("{tag}_border"), reps],
                    out.clone(),
                ));
                parts.push((side, out));
            }
            let mut cat = Vec::new();
            cat.extend(parts.iter().filter(|p| p.0 == "pre").map(|p| p.1.clone()));
            cat.push(current.clone());
            cat.extend(parts.iter().filter(|p| p.0 == "post").map(|p| p.1.clone()));
            let out = if k + 1 == axes.len() {
                output.clone()
            } else {
                format!("{tag}_padded")
            };
            let mut concat = simple("Concat", cat, out.clone());
            concat.attribute.push(AttributeProto {
                name: "axis".into(),
                r#type: AttributeType::Int as i32,
                i: a as i64,
                ..Default::default()
            });
            nodes.push(concat);
            current = out;
        }
    }
    graph.node = nodes;
    graph.initializer.extend(added);
    Ok(count)
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

    /// Reference constant padding of an NCHW tensor (pads as in ONNX `Pad`).
    fn pad_reference(x: &[f32], dims: [usize; 4], pads: [usize; 8], fill: f32) -> Vec<f32> {
        let out: Vec<usize> = (0..4).map(|a| dims[a] + pads[a] + pads[4 + a]).collect();
        let mut y = vec![fill; out.iter().product()];
        for n in 0..dims[0] {
            for c in 0..dims[1] {
                for h in 0..dims[2] {
                    for w in 0..dims[3] {
                        let src = ((n * dims[1] + c) * dims[2] + h) * dims[3] + w;
                        let (n2, c2, h2, w2) = (n + pads[0], c + pads[1], h + pads[2], w + pads[3]);
                        y[((n2 * out[1] + c2) * out[2] + h2) * out[3] + w2] = x[src];
                    }
                }
            }
        }
        y
    }

    fn test_input(dims: [usize; 4]) -> (Vec<f32>, Tensor) {
        let v: Vec<f32> = (0..dims.iter().product::<usize>())
            .map(|i| ((i * 29 % 23) as f32 - 15.0) / 4.0)
            .collect();
        let t = Tensor::from_vec(v.clone(), dims.to_vec(), &Device::Cpu).unwrap();
        (v, t)
    }

    #[test]
    fn constant_pads_become_concatenations() {
        let dims = [1usize, 3, 4, 5];
        let (v, x) = test_input(dims);
        // opset-11 form: pads and value as initializers; channels after, H both sides, W before.
        let pads = [0i64, 0, 1, 2, 0, 2, 1, 0];
        let mut graph = GraphProto {
            node: vec![NodeProto {
                op_type: "Pad".into(),
                input: vec!["x".into(), "pads".into(), "value".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            initializer: vec![
                TensorProto {
                    name: "pads".into(),
                    dims: vec![8],
                    data_type: DataType::Int64 as i32,
                    raw_data: pads.iter().flat_map(|p| p.to_le_bytes()).collect(),
                    ..Default::default()
                },
                TensorProto {
                    name: "value".into(),
                    data_type: DataType::Float as i32,
                    float_data: vec![0.5],
                    ..Default::default()
                },
            ],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(expand_constant_pads(&mut graph).unwrap(), 1);
        assert!(graph.node.iter().all(|n| n.op_type != "Pad"));
        let want = pad_reference(&v, dims, [0, 0, 1, 2, 0, 2, 1, 0], 0.5);
        assert_eq!(eval(&graph, &x, "y"), want);
        assert_eq!(want.len(), 5 * 6 * 7);
    }

    #[test]
    fn all_zero_pad_becomes_identity() {
        let mut graph = GraphProto {
            node: vec![NodeProto {
                op_type: "Pad".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                attribute: vec![ints("pads", &[0; 8])],
                ..Default::default()
            }],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(expand_constant_pads(&mut graph).unwrap(), 1);
        assert_eq!(graph.node.len(), 1);
        assert_eq!(graph.node[0].op_type, "Identity");
        let (v, x) = test_input([1, 2, 3, 3]);
        assert_eq!(eval(&graph, &x, "y"), v);
    }

    #[test]
    fn padded_max_pool_ignores_the_padding() {
        // All values negative: a zero-filled border would win every edge window.
        let dims = [1usize, 2, 5, 4];
        let v: Vec<f32> = (0..40).map(|i| -1.0 - ((i * 17 % 13) as f32)).collect();
        let x = Tensor::from_vec(v.clone(), dims.to_vec(), &Device::Cpu).unwrap();
        let mut graph = GraphProto {
            node: vec![NodeProto {
                op_type: "MaxPool".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                attribute: vec![
                    ints("kernel_shape", &[3, 3]),
                    ints("pads", &[1, 1, 1, 1]),
                    ints("strides", &[2, 2]),
                ],
                ..Default::default()
            }],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(explicit_max_pool_pads(&mut graph), 1);
        assert_eq!(expand_constant_pads(&mut graph).unwrap(), 1);
        let got = eval(&graph, &x, "y");
        // Reference: output (5 + 2 - 3) / 2 + 1 = 3 rows, (4 + 2 - 3) / 2 + 1 = 2 columns.
        let mut want = Vec::new();
        for c in 0..2i64 {
            for oy in 0..3i64 {
                for ox in 0..2i64 {
                    let mut m = f32::NEG_INFINITY;
                    for y in (oy * 2 - 1)..(oy * 2 + 2) {
                        for x in (ox * 2 - 1)..(ox * 2 + 2) {
                            if (0..5).contains(&y) && (0..4).contains(&x) {
                                m = m.max(v[((c * 5 + y) * 4 + x) as usize]);
                            }
                        }
                    }
                    want.push(m);
                }
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn global_average_pool_becomes_reduce_mean() {
        let mut graph = GraphProto {
            node: vec![NodeProto {
                op_type: "GlobalAveragePool".into(),
                input: vec!["x".into()],
                output: vec!["y".into()],
                ..Default::default()
            }],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        };
        assert_eq!(global_average_pools_to_reduce_mean(&mut graph), 1);
        let (v, x) = test_input([1, 3, 2, 4]);
        let got = eval(&graph, &x, "y");
        let want: Vec<f32> = v.chunks(8).map(|c| c.iter().sum::<f32>() / 8.0).collect();
        assert_eq!(got.len(), 3);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }
}
