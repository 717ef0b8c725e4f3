//! One-file safetensors I/O shared by the project's trained networks (attribute predictors,
//! fields, the linear baseline, the latent surrogates): f32 (or, to halve committed sizes, f16)
//! tensors plus string metadata whose `format` entry names what the file holds. Reading always
//! gives f32 tensors. Errors come back in the caller's own error type ([`FileError`]).

use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// An error type that can say "this file is bad because ..." and wraps candle errors.
pub(crate) trait FileError: From<candle_core::Error> {
    fn file(path: &Path, reason: String) -> Self;
}

impl FileError for crate::field::FieldError {
    fn file(path: &Path, reason: String) -> Self {
        Self::File {
            path: path.to_path_buf(),
            reason,
        }
    }
}

impl FileError for crate::predictor::PredictorError {
    fn file(path: &Path, reason: String) -> Self {
        Self::File {
            path: path.to_path_buf(),
            reason,
        }
    }
}

/// Writes `tensors` (as f32) and `metadata` to `path`, creating its directory.
pub(crate) fn write_file<E: FileError>(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<(), E> {
    write_file_as(path, tensors, metadata, false)
}

/// Writes `tensors` as f16 when `half` is set (else f32) and `metadata` to `path`.
pub(crate) fn write_file_as<E: FileError>(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
    half: bool,
) -> Result<(), E> {
    let bad = |reason: String| E::file(path, reason);
    let mut buffers = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let flat = tensor.flatten_all()?;
        let bytes: Vec<u8> = if half {
            flat.to_dtype(DType::F16)?
                .to_vec1::<half::f16>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect()
        } else {
            flat.to_dtype(DType::F32)?
                .to_vec1::<f32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect()
        };
        buffers.push((name.clone(), tensor.dims().to_vec(), bytes));
    }
    let dtype = if half {
        safetensors::Dtype::F16
    } else {
        safetensors::Dtype::F32
    };
    let mut views = Vec::with_capacity(buffers.len());
    for (name, shape, bytes) in &buffers {
        let view = safetensors::tensor::TensorView::new(dtype, shape.clone(), bytes)
            .map_err(|e| bad(e.to_string()))?;
        views.push((name.clone(), view));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| E::file(dir, e.to_string()))?;
    }
    safetensors::serialize_to_file(views, Some(metadata), path).map_err(|e| bad(e.to_string()))
}

/// The JSON value of metadata entry `key` of the file at `path`.
pub(crate) fn metadata_json<T: serde::de::DeserializeOwned, E: FileError>(
    path: &Path,
    metadata: &HashMap<String, String>,
    key: &str,
) -> Result<T, E> {
    let text = metadata
        .get(key)
        .ok_or_else(|| E::file(path, format!("metadata has no {key}")))?;
    serde_json::from_str(text).map_err(|e| E::file(path, format!("bad {key} in metadata: {e}")))
}

/// Tensors and metadata of a file.
pub(crate) type FileContents = (HashMap<String, Tensor>, HashMap<String, String>);

/// Reads a file written by [`write_file`], checking that its `format` metadata is `format`.
pub(crate) fn read_file<E: FileError>(
    path: &Path,
    format: &str,
    device: &Device,
) -> Result<FileContents, E> {
    let bad = |reason: String| E::file(path, reason);
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
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)?
        .into_iter()
        .map(|(name, t)| Ok((name, t.to_dtype(DType::F32)?)))
        .collect::<Result<HashMap<_, _>, E>>()?;
    Ok((tensors, metadata))
}
