//! A reader for OpenVINO IR v10/v11 graphs: the XML file (layers, ports, edges) and the `.bin`
//! blob that holds the constants.
//!
//! Only what conversion needs is kept: every layer's id, name, type, `<data>` attributes and output
//! shapes, and the edges between ports. Constants are read from the blob on demand.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Errors while reading an IR graph.
#[derive(Debug, thiserror::Error)]
pub enum IrError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid XML: {source}")]
    Xml {
        path: String,
        #[source]
        source: roxmltree::Error,
    },
    #[error("malformed IR: {0}")]
    Malformed(String),
}

/// One `<layer>` of the graph.
#[derive(Debug, Clone)]
pub struct Layer {
    pub id: usize,
    pub name: String,
    /// The operation type (`Const`, `MatMul`, `Convolution`, ...).
    pub op: String,
    /// The attributes of the layer's `<data>` element.
    pub data: HashMap<String, String>,
    /// The dimensions of each output port, in port order.
    pub output_shapes: Vec<Vec<usize>>,
}

impl Layer {
    /// A `<data>` attribute, or a `Malformed` error naming the layer.
    pub fn attr(&self, key: &str) -> Result<&str, IrError> {
        self.data.get(key).map(String::as_str).ok_or_else(|| {
            IrError::Malformed(format!("layer {} ({}) has no {key}", self.id, self.name))
        })
    }
}

/// A constant read from the blob, converted to f32.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// An IR graph with its weights blob.
#[derive(Debug)]
pub struct IrGraph {
    pub name: String,
    layers: BTreeMap<usize, Layer>,
    /// For each layer id: its inputs as (to-port, from-layer), sorted by port.
    inputs: HashMap<usize, Vec<(usize, usize)>>,
    /// For each layer id: the layers that read one of its outputs.
    consumers: HashMap<usize, Vec<usize>>,
    blob: Vec<u8>,
}

/// The first child element of `parent` named `tag`.
fn child<'a, 'i>(parent: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    parent
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == tag)
}

fn parse_usize(s: &str, what: &str) -> Result<usize, IrError> {
    s.trim()
        .parse()
        .map_err(|_| IrError::Malformed(format!("{what} {s:?} is not an unsigned integer")))
}

impl IrGraph {
    /// Reads `xml_path` and its blob `bin_path`.
    pub fn read(xml_path: &Path, bin_path: &Path) -> Result<Self, IrError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| IrError::Io { path, source }
        };
        let xml = std::fs::read_to_string(xml_path).map_err(io(xml_path))?;
        let blob = std::fs::read(bin_path).map_err(io(bin_path))?;
        Self::parse(&xml, blob).map_err(|e| match e {
            IrError::Xml { source, .. } => IrError::Xml {
                path: xml_path.display().to_string(),
                source,
            },
            other => other,
        })
    }

    /// Parses the XML text of a graph whose constants live in `blob`.
    pub fn parse(xml: &str, blob: Vec<u8>) -> Result<Self, IrError> {
        let doc = roxmltree::Document::parse(xml).map_err(|source| IrError::Xml {
            path: "<memory>".into(),
            source,
        })?;
        let net = doc.root_element();
        if net.tag_name().name() != "net" {
            return Err(IrError::Malformed("root element is not <net>".into()));
        }
        let layers_el = child(net, "layers").ok_or(IrError::Malformed("no <layers>".into()))?;
        let edges_el = child(net, "edges").ok_or(IrError::Malformed("no <edges>".into()))?;

        let mut layers = BTreeMap::new();
        for l in layers_el.children().filter(|n| n.has_tag_name("layer")) {
            let id = parse_usize(l.attribute("id").unwrap_or(""), "layer id")?;
            let data = child(l, "data")
                .map(|d| {
                    d.attributes()
                        .map(|a| (a.name().to_string(), a.value().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let mut output_shapes = Vec::new();
            if let Some(out) = child(l, "output") {
                for port in out.children().filter(|n| n.has_tag_name("port")) {
                    let dims = port
                        .children()
                        .filter(|n| n.has_tag_name("dim"))
                        .map(|d| parse_usize(d.text().unwrap_or(""), "dim"))
                        .collect::<Result<Vec<_>, _>>()?;
                    output_shapes.push(dims);
                }
            }
            layers.insert(
                id,
                Layer {
                    id,
                    name: l.attribute("name").unwrap_or("").to_string(),
                    op: l.attribute("type").unwrap_or("").to_string(),
                    data,
                    output_shapes,
                },
            );
        }

        let mut inputs: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        let mut consumers: HashMap<usize, Vec<usize>> = HashMap::new();
        for e in edges_el.children().filter(|n| n.has_tag_name("edge")) {
            let get = |k: &str| parse_usize(e.attribute(k).unwrap_or(""), k);
            let (from, to, to_port) = (get("from-layer")?, get("to-layer")?, get("to-port")?);
            if !layers.contains_key(&from) || !layers.contains_key(&to) {
                return Err(IrError::Malformed(format!(
                    "edge {from}->{to} names a missing layer"
                )));
            }
            inputs.entry(to).or_default().push((to_port, from));
            consumers.entry(from).or_default().push(to);
        }
        for v in inputs.values_mut() {
            v.sort();
        }
        Ok(Self {
            name: net.attribute("name").unwrap_or("").to_string(),
            layers,
            inputs,
            consumers,
            blob,
        })
    }

    /// All layers in id order (the order the exporter wrote them, which is topological).
    pub fn layers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.values()
    }

    /// The layer with this id.
    pub fn layer(&self, id: usize) -> Result<&Layer, IrError> {
        self.layers
            .get(&id)
            .ok_or_else(|| IrError::Malformed(format!("no layer {id}")))
    }

    /// The layers feeding `id`, in input-port order.
    pub fn inputs(&self, id: usize) -> Vec<&Layer> {
        self.inputs
            .get(&id)
            .map(|v| v.iter().map(|(_, from)| &self.layers[from]).collect())
            .unwrap_or_default()
    }

    /// The layers that read an output of `id`.
    pub fn consumers(&self, id: usize) -> Vec<&Layer> {
        self.consumers
            .get(&id)
            .map(|v| v.iter().map(|to| &self.layers[to]).collect())
            .unwrap_or_default()
    }

    /// The only consumer of `id` with operation `op`.
    pub fn consumer_of_type(&self, id: usize, op: &str) -> Result<&Layer, IrError> {
        let found: Vec<_> = self
            .consumers(id)
            .into_iter()
            .filter(|l| l.op == op)
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            _ => Err(IrError::Malformed(format!(
                "layer {id} has {} consumers of type {op}, expected 1",
                found.len()
            ))),
        }
    }

    /// The constant input of a binary layer (the one of type `Const`), if any.
    pub fn const_input(&self, id: usize) -> Option<&Layer> {
        self.inputs(id).into_iter().find(|l| l.op == "Const")
    }

    /// Reads a `Const` layer's value from the blob as f32 (f32, f16 and integer types are
    /// converted).
    pub fn const_value(&self, layer: &Layer) -> Result<ConstTensor, IrError> {
        if layer.op != "Const" {
            return Err(IrError::Malformed(format!(
                "layer {} ({}) is {}, not Const",
                layer.id, layer.name, layer.op
            )));
        }
        let offset = parse_usize(layer.attr("offset")?, "offset")?;
        let size = parse_usize(layer.attr("size")?, "size")?;
        let bytes = offset
            .checked_add(size)
            .and_then(|end| self.blob.get(offset..end))
            .ok_or_else(|| {
                IrError::Malformed(format!(
                    "constant {} ({}) lies outside the {}-byte blob",
                    layer.id,
                    layer.name,
                    self.blob.len()
                ))
            })?;
        let shape = match layer.data.get("shape").map(|s| s.trim()) {
            None | Some("") => vec![],
            Some(s) => s
                .split(',')
                .map(|d| parse_usize(d, "shape dim"))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let values: Vec<f32> = match layer.attr("element_type")? {
            "f32" => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            "i64" => bytes
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
            "i32" => bytes
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
                .collect(),
            other => {
                return Err(IrError::Malformed(format!(
                    "constant {} has unsupported element type {other}",
                    layer.name
                )))
            }
        };
        let expected: usize = shape.iter().product();
        if values.len() != expected.max(1) && !(shape.is_empty() && values.len() == 1) {
            return Err(IrError::Malformed(format!(
                "constant {} has {} values for shape {shape:?}",
                layer.name,
                values.len()
            )));
        }
        Ok(ConstTensor { shape, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"<?xml version="1.0"?>
<net name="tiny" version="10">
  <layers>
    <layer id="0" name="x" type="Parameter" version="opset1">
      <data shape="1, 2" element_type="f32"/>
      <output><port id="0"><dim>1</dim><dim>2</dim></port></output>
    </layer>
    <layer id="1" name="w" type="Const" version="opset1">
      <data element_type="f32" shape="2, 2" offset="0" size="16"/>
      <output><port id="0"><dim>2</dim><dim>2</dim></port></output>
    </layer>
    <layer id="2" name="mm" type="MatMul" version="opset1">
      <data transpose_a="false" transpose_b="true"/>
      <input><port id="0"/><port id="1"/></input>
      <output><port id="2"><dim>1</dim><dim>2</dim></port></output>
    </layer>
  </layers>
  <edges>
    <edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
    <edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
  </edges>
</net>"#;

    fn blob() -> Vec<u8> {
        [1.0f32, 2.0, 3.0, 4.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    #[test]
    fn reads_layers_edges_and_constants() {
        let g = IrGraph::parse(TINY, blob()).unwrap();
        assert_eq!(g.name, "tiny");
        let mm = g.layer(2).unwrap();
        assert_eq!(mm.op, "MatMul");
        assert_eq!(mm.output_shapes, vec![vec![1, 2]]);
        let ins: Vec<_> = g.inputs(2).iter().map(|l| l.name.clone()).collect();
        assert_eq!(ins, ["x", "w"]);
        assert_eq!(g.consumers(0)[0].id, 2);
        let w = g.const_value(g.const_input(2).unwrap()).unwrap();
        assert_eq!(w.shape, vec![2, 2]);
        assert_eq!(w.values, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn constant_outside_blob_is_an_error() {
        let g = IrGraph::parse(TINY, vec![0u8; 8]).unwrap();
        let err = g.const_value(g.layer(1).unwrap()).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(matches!(
            IrGraph::parse("<net><layers>", vec![]),
            Err(IrError::Xml { .. })
        ));
    }
}
