//! Conversion of MobileStyleGAN's OpenVINO IR (`MappingNetwork` and `SynthesisNetwork` from PyPI
//! `random-face==2021.7.21.1`) into one safetensors file with named tensors.
//!
//! The IR graph is the ground truth: the converter walks it and names every learned constant after
//! the module it belongs to, checking the structure it relies on (Haar filters, leaky-ReLU slopes,
//! gains, shapes) and failing loudly when a float constant is left unexplained.
//!
//! Names written (`engine::generator` reads the same names):
//! - `mapping.layers.{i}.weight` `[512, 512]` (out x in), `mapping.layers.{i}.bias` `[512]`, i in 0..8.
//! - `synthesis.input.input` `[1, 512, 4, 4]`: the learned constant.
//! - `synthesis.{M}.weight` `[C, 512]`, `.bias` `[C]` and, where the IR scales it, `.scale` `[1]`, for
//!   every style linear `M` = `conv1.conv.modulation`, `layers.{i}.up.modulation`,
//!   `layers.{i}.conv{1,2}.conv.modulation`, `to_img.conv.modulation` (23 in all).
//! - `synthesis.conv1.conv.weight` `[512, 512, 3, 3]`, `synthesis.layers.{i}.conv{j}.conv.weight_dw`
//!   `[C, 1, 3, 3]`, `...conv.weight_permute` `[C_out, C_in, 1, 1]`, `synthesis.to_img.conv.weight`
//!   `[12, 64, 1, 1]`.
//! - `synthesis.{B}.noise` `[1, 1, H, W]` (the fixed noise, already multiplied by its strength) and
//!   `synthesis.{B}.bias` `[1, C, 1, 1]` for every styled conv block `B`; `synthesis.to_img.bias`.

use super::ir::{ConstTensor, IrError, IrGraph, Layer};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Errors while converting MobileStyleGAN.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Ir(#[from] IrError),
    #[error("unexpected MobileStyleGAN graph: {0}")]
    Structure(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("safetensors serialisation failed: {0}")]
    Safetensors(#[from] safetensors::SafeTensorError),
}

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertSummary {
    pub tensors: usize,
    pub parameters: usize,
    pub style_linears: usize,
}

fn structure(msg: impl Into<String>) -> ConvertError {
    ConvertError::Structure(msg.into())
}

/// Named tensors collected from a graph.
#[derive(Default)]
struct Named {
    tensors: BTreeMap<String, ConstTensor>,
    /// Ids of the `Const` layers that were given a name or checked.
    used: HashSet<usize>,
}

impl Named {
    fn put(&mut self, name: String, layer: &Layer, value: ConstTensor) -> Result<(), ConvertError> {
        if self.tensors.insert(name.clone(), value).is_some() {
            return Err(structure(format!("two constants named {name}")));
        }
        self.used.insert(layer.id);
        Ok(())
    }
}

fn scalar(c: &ConstTensor) -> Option<f32> {
    (c.values.len() == 1).then(|| c.values[0])
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

/// Checks a leaky-ReLU (`PReLU` with one slope) has slope 0.2.
fn check_prelu(g: &IrGraph, l: &Layer, named: &mut Named) -> Result<(), ConvertError> {
    let c = g
        .const_input(l.id)
        .ok_or_else(|| structure("PReLU without slope"))?;
    let v = g.const_value(c)?;
    if scalar(&v).is_some_and(|s| close(s, 0.2)) {
        named.used.insert(c.id);
        Ok(())
    } else {
        Err(structure(format!(
            "PReLU {} slope is {:?}",
            l.name, v.values
        )))
    }
}

fn mapping(g: &IrGraph, named: &mut Named) -> Result<(), ConvertError> {
    let matmuls: Vec<&Layer> = g.layers().filter(|l| l.op == "MatMul").collect();
    if matmuls.len() != 8 {
        return Err(structure(format!(
            "mapping has {} linear layers, expected 8",
            matmuls.len()
        )));
    }
    for (i, mm) in matmuls.iter().enumerate() {
        if mm.data.get("transpose_b").map(String::as_str) != Some("true") {
            return Err(structure("mapping MatMul without transpose_b"));
        }
        let wl = g
            .const_input(mm.id)
            .ok_or_else(|| structure("mapping MatMul without weight"))?;
        let w = g.const_value(wl)?;
        if w.shape != [512, 512] {
            return Err(structure(format!("mapping weight shape {:?}", w.shape)));
        }
        named.put(format!("mapping.layers.{i}.weight"), wl, w)?;
        // Bias: MatMul -> Add(Reshape(Const bias)).
        let add = g.consumer_of_type(mm.id, "Add")?;
        let reshape = g
            .inputs(add.id)
            .into_iter()
            .find(|l| l.op == "Reshape")
            .ok_or_else(|| structure("mapping bias is not reshaped"))?;
        let bl = g
            .inputs(reshape.id)
            .into_iter()
            .find(|l| {
                l.op == "Const" && l.data.get("element_type").map(String::as_str) == Some("f32")
            })
            .ok_or_else(|| structure("mapping bias constant missing"))?;
        let mut b = g.const_value(bl)?;
        b.shape = vec![b.values.len()];
        named.put(format!("mapping.layers.{i}.bias"), bl, b)?;
        let act = g.consumer_of_type(add.id, "PReLU")?;
        check_prelu(g, act, named)?;
        let gain = g.consumer_of_type(act.id, "Multiply")?;
        let gl = g.const_input(gain.id).ok_or_else(|| structure("no gain"))?;
        if !scalar(&g.const_value(gl)?).is_some_and(|s| close(s, std::f32::consts::SQRT_2)) {
            return Err(structure("mapping activation gain is not sqrt(2)"));
        }
        named.used.insert(gl.id);
    }
    // Pixel norm constants (exponents 2, 0.5, -1, numerator 1 and epsilon 1e-8).
    for l in g.layers().filter(|l| l.op == "Power" || l.op == "Add") {
        if let Some(c) = g.const_input(l.id) {
            if let Some(v) = scalar(&g.const_value(c)?) {
                if [2.0, 0.5, -1.0, 1e-8].iter().any(|x| close(v, *x)) {
                    named.used.insert(c.id);
                }
            }
        }
    }
    for l in g.layers().filter(|l| l.op == "Multiply") {
        if let Some(c) = g.const_input(l.id) {
            if scalar(&g.const_value(c)?).is_some_and(|v| close(v, 1.0)) {
                named.used.insert(c.id);
            }
        }
    }
    Ok(())
}

/// The module path of a PyTorch-named constant: `m.layers.0.conv1.conv.weight_dw` ->
/// `layers.0.conv1.conv` with suffix `weight_dw`.
fn module_path<'a>(name: &'a str, suffix: &str) -> Result<&'a str, ConvertError> {
    name.strip_prefix("m.")
        .and_then(|n| n.strip_suffix(suffix))
        .and_then(|n| n.strip_suffix('.'))
        .ok_or_else(|| structure(format!("constant {name:?} does not end in .{suffix}")))
}

fn synthesis(g: &IrGraph, named: &mut Named) -> Result<usize, ConvertError> {
    let param = g
        .layers()
        .find(|l| l.op == "Parameter")
        .ok_or_else(|| structure("no input"))?;
    // Style linears: MatMul(style, W) + b, reshaped, optionally scaled. Map the node whose output
    // multiplies the feature maps to the module path.
    let mut style_nodes: BTreeMap<usize, String> = BTreeMap::new();
    for mm in g
        .consumers(param.id)
        .into_iter()
        .filter(|l| l.op == "MatMul")
    {
        let wl = g
            .const_input(mm.id)
            .ok_or_else(|| structure("style MatMul without weight"))?;
        let path = module_path(&wl.name, "weight")?.to_string();
        named.put(format!("synthesis.{path}.weight"), wl, g.const_value(wl)?)?;
        let add = g.consumer_of_type(mm.id, "Add")?;
        let bl = g
            .const_input(add.id)
            .ok_or_else(|| structure("style linear without bias"))?;
        let mut b = g.const_value(bl)?;
        b.shape = vec![b.values.len()];
        named.put(format!("synthesis.{path}.bias"), bl, b)?;
        let reshape = g.consumer_of_type(add.id, "Reshape")?;
        let mut node = reshape.id;
        for m in g
            .consumers(reshape.id)
            .into_iter()
            .filter(|l| l.op == "Multiply")
        {
            if let Some(sl) = g.const_input(m.id) {
                let mut s = g.const_value(sl)?;
                s.shape = vec![1];
                named.put(format!("synthesis.{path}.scale"), sl, s)?;
                node = m.id;
            }
        }
        style_nodes.insert(node, path);
    }
    let style_count = style_nodes.len();
    // The style module that modulates the input of a layer (Multiply(style, x)).
    let modulated_by = |l: &Layer| -> Option<&String> {
        (l.op == "Multiply")
            .then(|| g.inputs(l.id))
            .into_iter()
            .flatten()
            .find_map(|i| style_nodes.get(&i.id))
    };
    // Block path from a module path: `layers.0.conv1.conv.modulation` -> `layers.0.conv1`.
    let block_of = |m: &str| -> Result<String, ConvertError> {
        m.strip_suffix(".conv.modulation")
            .map(str::to_string)
            .ok_or_else(|| structure(format!("{m} is not a conv modulation")))
    };

    for l in g.layers().collect::<Vec<_>>() {
        match l.op.as_str() {
            "Const" if l.name == "m.input.input" => {
                named.put("synthesis.input.input".into(), l, g.const_value(l)?)?;
            }
            "GroupConvolution" => {
                let wl = g
                    .const_input(l.id)
                    .ok_or_else(|| structure("dw conv without weight"))?;
                let block = module_path(&wl.name, "weight_dw")?.to_string();
                let mut w = g.const_value(wl)?;
                // [groups, 1, 1, kh, kw] -> [C, 1, kh, kw]
                if w.shape.len() != 5 {
                    return Err(structure(format!("dw weight shape {:?}", w.shape)));
                }
                w.shape = vec![w.shape[0], 1, w.shape[3], w.shape[4]];
                named.put(format!("synthesis.{block}.weight_dw"), wl, w)?;
            }
            "Convolution" => {
                let wl = g
                    .const_input(l.id)
                    .ok_or_else(|| structure("conv without weight"))?;
                let input = g.inputs(l.id)[0];
                let (block, weight_name) = if input.op == "GroupConvolution" {
                    let dw = g
                        .const_input(input.id)
                        .ok_or_else(|| structure("dw weight"))?;
                    let conv = module_path(&dw.name, "weight_dw")?;
                    (
                        conv.strip_suffix(".conv").unwrap_or(conv).to_string(),
                        format!("synthesis.{conv}.weight_permute"),
                    )
                } else {
                    let m = modulated_by(input).ok_or_else(|| {
                        structure(format!("conv {} input is not modulated", l.name))
                    })?;
                    let block = block_of(m)?;
                    (block.clone(), format!("synthesis.{block}.conv.weight"))
                };
                named.put(weight_name, wl, g.const_value(wl)?)?;
                // Then Add(noise [1,1,H,W]) and Add(bias [1,C,1,1]), or only Add(bias) for to_img.
                let mut add = g.consumer_of_type(l.id, "Add")?;
                loop {
                    let cl = g
                        .const_input(add.id)
                        .ok_or_else(|| structure("add without const"))?;
                    let c = g.const_value(cl)?;
                    let is_noise = c.shape.len() == 4 && c.shape[1] == 1 && c.shape[2] > 1;
                    let name = if is_noise { "noise" } else { "bias" };
                    named.put(format!("synthesis.{block}.{name}"), cl, c)?;
                    if !is_noise {
                        break;
                    }
                    add = g.consumer_of_type(add.id, "Add")?;
                }
            }
            "PReLU" => check_prelu(g, l, named)?,
            "GroupConvolutionBackpropData" => {
                // Inverse Haar wavelet: filters [1, 1]/sqrt2 or [1, -1]/sqrt2 per channel.
                let cl = g
                    .const_input(l.id)
                    .ok_or_else(|| structure("idwt without filter"))?;
                let c = g.const_value(cl)?;
                let h = std::f32::consts::FRAC_1_SQRT_2;
                let ok = c
                    .values
                    .chunks(2)
                    .all(|p| p.len() == 2 && close(p[0], h) && (close(p[1], h) || close(p[1], -h)));
                if !ok {
                    return Err(structure(format!(
                        "{} is not a Haar synthesis filter",
                        l.name
                    )));
                }
                named.used.insert(cl.id);
            }
            _ => {}
        }
    }
    Ok(style_count)
}

/// Fails if a float constant with more than one value was neither named nor checked.
fn check_all_used(g: &IrGraph, named: &Named, net: &str) -> Result<(), ConvertError> {
    let left: Vec<String> = g
        .layers()
        .filter(|l| {
            l.op == "Const" && l.data.get("element_type").map(String::as_str) == Some("f32")
        })
        .filter(|l| !named.used.contains(&l.id))
        .map(|l| format!("{} {:?}", l.name, l.data.get("shape")))
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(structure(format!(
            "{net}: {} float constants not understood: {}",
            left.len(),
            left.join(", ")
        )))
    }
}

/// Converts the four IR files in `ir_dir` (`MappingNetwork.{xml,bin}`, `SynthesisNetwork.{xml,bin}`)
/// into `out` (safetensors, f32). The file is written to a temporary name and renamed.
pub fn convert_mobilestylegan(ir_dir: &Path, out: &Path) -> Result<ConvertSummary, ConvertError> {
    let read = |name: &str| {
        IrGraph::read(
            &ir_dir.join(format!("{name}.xml")),
            &ir_dir.join(format!("{name}.bin")),
        )
    };
    let mut named = Named::default();
    let map_graph = read("MappingNetwork")?;
    mapping(&map_graph, &mut named)?;
    check_all_used(&map_graph, &named, "MappingNetwork")?;
    let mut syn_named = Named::default();
    let syn_graph = read("SynthesisNetwork")?;
    let style_linears = synthesis(&syn_graph, &mut syn_named)?;
    check_all_used(&syn_graph, &syn_named, "SynthesisNetwork")?;
    if style_linears != 23 {
        return Err(structure(format!(
            "{style_linears} style inputs, expected 23"
        )));
    }
    named.tensors.extend(syn_named.tensors);

    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = named
        .tensors
        .iter()
        .map(|(k, v)| {
            let b = v.values.iter().flat_map(|x| x.to_le_bytes()).collect();
            (k.clone(), v.shape.clone(), b)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(k, shape, b)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), b)
                .map(|v| (k.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = std::collections::HashMap::from([
        ("source".to_string(), "PyPI random-face==2021.7.21.1 random_face/data/{Mapping,Synthesis}Network (OpenVINO IR v10)".to_string()),
        ("model".to_string(), "MobileStyleGAN, distilled from StyleGAN2-FFHQ 1024x1024".to_string()),
        ("converter".to_string(), "tte-models openvino::mobile_stylegan".to_string()),
    ]);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ConvertError::Write {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let tmp = out.with_extension("safetensors.tmp");
    safetensors::serialize_to_file(views, Some(metadata), &tmp)?;
    std::fs::rename(&tmp, out).map_err(|source| ConvertError::Write {
        path: out.display().to_string(),
        source,
    })?;
    Ok(ConvertSummary {
        tensors: named.tensors.len(),
        parameters: named.tensors.values().map(|t| t.values.len()).sum(),
        style_linears,
    })
}
