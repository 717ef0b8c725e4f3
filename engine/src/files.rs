//! Errors naming the file they happened to, for the pipelines that write results
//! (`inversion::eval`, `field::guided_eval_run`, `perception::label_pipeline`,
//! `perception::human_pipeline`): one [`FileError`] and its helpers instead of an `Io` and an
//! `Image` variant and a closure in each of them.

use std::path::{Path, PathBuf};

/// A failed read or write of `path`.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {}", path.display())]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
}

/// Names `path` in an I/O error: `.map_err(io_at(&path))`.
pub fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `image` to `path` (format from its extension).
pub fn save_image(image: &image::RgbImage, path: PathBuf) -> Result<(), FileError> {
    image
        .save(&path)
        .map_err(|source| FileError::Image { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file() {
        let missing = Path::new("/nonexistent-dir/x.png");
        let e = std::fs::read(missing).map_err(io_at(missing)).unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent-dir/x.png");
        let e = save_image(&image::RgbImage::new(2, 2), missing.to_path_buf()).unwrap_err();
        assert_eq!(e.to_string(), "writing /nonexistent-dir/x.png");
        assert!(std::error::Error::source(&e).is_some(), "the cause is kept");
    }
}
