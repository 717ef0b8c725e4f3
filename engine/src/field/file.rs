//! One-file safetensors I/O shared by the field and the linear baseline: f32 tensors plus string
//! metadata whose `format` entry names what the file holds.

use super::FieldError;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// Writes `tensors` (as f32) and `metadata` to `path`, creating its directory.
pub(crate) fn write_file(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<(), FieldError> {
    let bad = |reason: String| FieldError::File {
        path: path.to_path_buf(),
        reason,
    };
    let mut buffers = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let values = tensor
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push((name.clone(), tensor.dims().to_vec(), bytes));
    }
    let mut views = Vec::with_capacity(buffers.len());
    for (name, shape, bytes) in &buffers {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map_err(|e| bad(e.to_string()))?;
        views.push((name.clone(), view));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| FieldError::File {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    safetensors::serialize_to_file(views, Some(metadata), path).map_err(|e| bad(e.to_string()))
}

/// Tensors and metadata of a file.
pub(crate) type FileContents = (HashMap<String, Tensor>, HashMap<String, String>);

/// Reads a file written by [`write_file`], checking that its `format` metadata is `format`.
pub(crate) fn read_file(
    path: &Path,
    format: &str,
    device: &Device,
) -> Result<FileContents, FieldError> {
    let bad = |reason: String| FieldError::File {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let metadata = header
        .metadata()
        .clone()
        .ok_or_else(|| bad(format!("no metadata (not a {format} file)")))?;
    match metadata.get("format") {
        Some(f) if f == format => {}
        other => {
            return Err(bad(format!(
                "metadata format is {other:?}, expected {format:?}"
            )))
        }
    }
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)?;
    Ok((tensors, metadata))
}
