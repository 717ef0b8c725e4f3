//! Latents as `.npy` files: read f32/f64 arrays of shape `[512]`, `[1, 512]` or `[L, 512]`, write
//! f32 arrays.

use npyz::WriterBuilder;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// Errors reading or writing `.npy` files.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: unsupported dtype {dtype} (expected float32 or float64)")]
    DType { path: String, dtype: String },
}

/// An n-dimensional f32 array.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Reads a float32 or float64 `.npy` file as f32.
pub fn read(path: &Path) -> Result<NpyArray, NpyError> {
    let io = |source| NpyError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let npy = npyz::NpyFile::new(BufReader::new(file)).map_err(io)?;
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    let descr = npy.dtype().descr().trim_matches('\'').to_string();
    let data = match descr.as_str() {
        "<f4" => npy.into_vec::<f32>().map_err(io)?,
        "<f8" => npy
            .into_vec::<f64>()
            .map_err(io)?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        _ => {
            return Err(NpyError::DType {
                path: path.display().to_string(),
                dtype: descr,
            })
        }
    };
    Ok(NpyArray { shape, data })
}

/// Writes `data` with `shape` as a little-endian float32 `.npy` file.
pub fn write(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
    let io = |source| NpyError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let mut writer = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&shape)
        .writer(BufWriter::new(file))
        .begin_nd()
        .map_err(io)?;
    writer.extend(data.iter().copied()).map_err(io)?;
    writer.finish().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = std::env::temp_dir().join(format!("tte-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("w.npy");
        let data: Vec<f32> = (0..1024).map(|i| i as f32 * 0.5 - 3.0).collect();
        write(&p, &[2, 512], &data).unwrap();
        let back = read(&p).unwrap();
        assert_eq!(back.shape, vec![2, 512]);
        assert_eq!(back.data, data);
        std::fs::write(&p, b"not numpy").unwrap();
        assert!(read(&p).is_err());
    }
}
