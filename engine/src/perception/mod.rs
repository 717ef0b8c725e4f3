//! Face perception: find, measure and align faces in photos, and tell identities apart.
//!
//! The networks are Faceplugin's ONNX models (npm `faceplugin-face-recognition-js@0.0.1`, fetched
//! by `talk-to-edit models fetch --only faceplugin`), run in candle by `candle-onnx`'s graph
//! interpreter; every op they use (Conv, PRelu, Relu, Gemm, BatchNormalization, Softmax, Reshape,
//! Slice, ...) is supported there, so no port was needed. The teacher graphs
//! ([`teachers`]) also need `GlobalAveragePool`, padded `MaxPool` and constant `Pad`, which
//! [`onnx`] rewrites into supported ops when a graph is loaded.
//!
//! - [`detect`]: face boxes (`fr_detect.onnx`, 320x240 input) + NMS.
//! - [`landmarks`]: 68 landmarks in a box (`fr_landmark.onnx`, 64x64 grey).
//! - [`align`]: the FFHQ crop quad from eyes and mouth, calibrated to the generator's frame,
//!   and [`paste_back`] of an (edited) crop into the photo.
//! - [`human`]: the people-only gate (is the face found a human's?), measured thresholds.
//! - [`human_pipeline`]: fitting the gate's reference and measuring the gate on pictures.
//! - [`identity`]: 512-d identity embeddings (`fr_feature.onnx`, 112x112) and cosine similarity.
//! - [`geometry`]: affine transforms, similarity fitting and bilinear warping.
//! - [`onnx`]: the thin wrapper over `candle_onnx::simple_eval`, with load-time graph rewrites.
//! - [`teachers`]: age (`age-v1.onnx`, 81 classes -> 6 age degrees) and expression
//!   (`fr_expression.onnx`, 7 classes) teachers for attribute labels.
//! - [`measures`]: pixel and landmark measurements of an aligned face (forehead skin, lenses,
//!   frame edges, lower-face darkness, mouth opening and teeth).
//! - [`probes`]: logistic probes on identity embeddings, fitted on CelebA's training half.
//! - [`labeller`]: all teachers on one photo -> one [`labeller::TeacherRecord`].
//! - [`label_pipeline`]: `label generated` and `label paths`: teacher records of generated
//!   faces and edit paths, sharded and resumable.
//! - [`degree_labels`]: the labelling rules, teacher records -> 6 degrees per attribute.
//!
//! [`FacePerception`] ties detection, landmarks and alignment together for a photo;
//! [`load_photo`] reads a file with its EXIF orientation applied.
//!
//! The networks run on the CPU: candle-onnx's interpreter creates the graphs' weights there, and
//! these networks are small (15-220 M multiply-adds), so there is no device parameter.
//!
//! Speed (release build, this project's 2-core CPU, best of 5, other builds running): a
//! 178x218 CelebA photo is found and aligned to 256 px in 69 ms (detector 50 ms, landmarks
//! 14 ms), a 1400x900 photo in 75 ms, a 1024x1024 generated face in 80 ms, a 4032x3024 phone
//! photo in 121 ms (+31 ms JPEG decoding); an identity embedding takes 55-60 ms.

pub mod align;
pub mod degree_labels;
pub mod detect;
pub mod geometry;
pub mod human;
pub mod human_pipeline;
pub mod identity;
pub mod label_pipeline;
pub mod labeller;
pub mod landmarks;
pub mod measures;
pub mod onnx;
pub mod probes;
pub mod teachers;

pub use align::{
    paste_back, paste_back_masked, AlignedFace, BlendMask, FfhqQuad, FrameCalibration,
    GENERATOR_FRAME,
};
pub use detect::{DetectConfig, FaceBox, FaceDetector};
pub use geometry::{Affine2, Point};
pub use identity::{cosine, Embedding, IdentityEncoder};
pub use landmarks::{LandmarkModel, Landmarks};
pub use teachers::{AgeEstimate, AgeEstimator, Expression, ExpressionClassifier, AGE_MODEL};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::path::{Path, PathBuf};

/// Errors of the perception models.
#[derive(Debug, thiserror::Error)]
pub enum PerceptionError {
    #[error("no face found")]
    NoFace,
    #[error("model file not found at {0} (run `talk-to-edit models fetch --only faceplugin`)")]
    MissingModel(PathBuf),
    #[error("cannot read model {path}: {reason}")]
    BadModel { path: PathBuf, reason: String },
    #[error("cannot read image {path}: {reason}")]
    BadImage { path: PathBuf, reason: String },
    #[error("bad input: {0}")]
    BadInput(String),
    /// The largest face found is smaller than [`MIN_FACE_SIDE`] (its side in pixels): too small
    /// to edit in an upload; in an edited photo, the face was lost.
    #[error("the face is only {0:.0} pixels across; faces under {MIN_FACE_SIDE:.0} pixels are too small to edit")]
    FaceTooSmall(f32),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The Faceplugin model files, relative to the `faceplugin` package in the model store.
pub const DETECT_MODEL: &str = "package/model/fr_detect.onnx";
pub const LANDMARK_MODEL: &str = "package/model/fr_landmark.onnx";
pub const IDENTITY_MODEL: &str = "package/model/fr_feature.onnx";

/// Largest photo side accepted, in pixels: larger photos are refused from their header, before
/// any pixel is decoded (a 20000x20000 PNG of a few kilobytes would otherwise need 1.2 GB).
pub const MAX_PHOTO_SIDE: u32 = 12_000;
/// Most memory a photo's decoder may allocate.
pub const MAX_PHOTO_ALLOC: u64 = 512 * 1024 * 1024;
/// Smallest face accepted, in pixels across the detector's box (which is tight, brow to chin:
/// a 40 px box is a head about 70 px wide): smaller faces hold too little detail to measure or
/// edit. CelebA's 178x218 photos have boxes from 60 px.
pub const MIN_FACE_SIDE: f32 = 40.0;

fn photo_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_PHOTO_ALLOC);
    limits
}

/// Decodes a photo from any reader the `image` crate accepts (PNG or JPEG; grey-scale, CMYK
/// and alpha become RGB), with [`MAX_PHOTO_SIDE`] / [`MAX_PHOTO_ALLOC`] limits, applying its
/// EXIF orientation. `name` is used in errors.
fn decode_photo<R: std::io::BufRead + std::io::Seek>(
    reader: ImageReader<R>,
    name: &Path,
) -> Result<RgbImage, PerceptionError> {
    let bad = |reason: String| PerceptionError::BadImage {
        path: name.to_path_buf(),
        reason,
    };
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    if reader.format().is_none() {
        return Err(bad("not a PNG or JPEG image".into()));
    }
    reader.limits(photo_limits());
    let mut decoder = reader.into_decoder().map_err(|e| bad(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if w > MAX_PHOTO_SIDE || h > MAX_PHOTO_SIDE {
        return Err(bad(format!(
            "the image is {w}x{h} pixels; the largest side accepted is {MAX_PHOTO_SIDE}"
        )));
    }
    if w == 0 || h == 0 {
        return Err(bad(format!("the image is {w}x{h} pixels")));
    }
    let orientation = decoder.orientation().map_err(|e| bad(e.to_string()))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| bad(e.to_string()))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// Reads an image file (PNG or JPEG), applies its EXIF orientation and converts it to RGB;
/// huge or corrupt files are clear errors ([`MAX_PHOTO_SIDE`]).
pub fn load_photo(path: &Path) -> Result<RgbImage, PerceptionError> {
    let reader = ImageReader::open(path).map_err(|e| PerceptionError::BadImage {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    decode_photo(reader, path)
}

/// [`load_photo`] for bytes in memory (an upload); `name` appears in errors.
pub fn load_photo_bytes(bytes: &[u8], name: &str) -> Result<RgbImage, PerceptionError> {
    decode_photo(
        ImageReader::new(std::io::Cursor::new(bytes)),
        Path::new(name),
    )
}

/// Detector + landmarks: finds the largest face in a photo and aligns it.
pub struct FacePerception {
    pub detector: FaceDetector,
    pub landmarks: LandmarkModel,
    /// The correction applied to the FFHQ quad ([`GENERATOR_FRAME`] by default).
    pub calibration: FrameCalibration,
}

impl FacePerception {
    /// Loads `fr_detect.onnx` and `fr_landmark.onnx` from the `faceplugin` package directory
    /// (the one holding `package/model/`).
    pub fn load(faceplugin_dir: &Path) -> Result<Self, PerceptionError> {
        Self::load_files(
            &faceplugin_dir.join(DETECT_MODEL),
            &faceplugin_dir.join(LANDMARK_MODEL),
        )
    }

    /// Loads the detector and landmark files from explicit paths.
    pub fn load_files(detect: &Path, landmark: &Path) -> Result<Self, PerceptionError> {
        Ok(Self {
            detector: FaceDetector::load(detect)?,
            landmarks: LandmarkModel::load(landmark)?,
            calibration: GENERATOR_FRAME,
        })
    }

    /// The largest face's box, its landmarks, and how many faces there were.
    ///
    /// When the photo shows no face, it is tried once more inside a grey border of a quarter of
    /// its size on every side: faces cropped tightly (CelebA-style) or cut by the frame are
    /// found far more readily with some context around them (2 of the 4 misses among the 250
    /// CelebA training faces).
    pub fn find_face(
        &self,
        photo: &RgbImage,
    ) -> Result<(FaceBox, Landmarks, usize), PerceptionError> {
        if let Some(found) = self.largest_face(photo)? {
            return Ok(found);
        }
        let (w, h) = photo.dimensions();
        let (dx, dy) = (w / 4, h / 4);
        let mut padded = RgbImage::from_pixel(w + 2 * dx, h + 2 * dy, image::Rgb([128, 128, 128]));
        image::imageops::overlay(&mut padded, photo, dx as i64, dy as i64);
        let (mut face, lm, n) = self.largest_face(&padded)?.ok_or(PerceptionError::NoFace)?;
        let (fx, fy) = (dx as f32, dy as f32);
        (face.x1, face.x2, face.y1, face.y2) =
            (face.x1 - fx, face.x2 - fx, face.y1 - fy, face.y2 - fy);
        let back = Affine2 {
            m: [[1.0, 0.0, -(dx as f64)], [0.0, 1.0, -(dy as f64)]],
        };
        Ok((face, lm.transformed(&back), n))
    }

    fn largest_face(
        &self,
        photo: &RgbImage,
    ) -> Result<Option<(FaceBox, Landmarks, usize)>, PerceptionError> {
        let faces = self.detector.detect(photo)?;
        let Some(largest) = faces
            .iter()
            .copied()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
        else {
            return Ok(None);
        };
        let lm = self.landmarks.landmarks(photo, &largest)?;
        Ok(Some((largest, lm, faces.len())))
    }

    /// Finds the largest face and crops it FFHQ-style (calibrated to the generator's frame) at
    /// `size` x `size`.
    pub fn align(&self, photo: &RgbImage, size: u32) -> Result<AlignedFace, PerceptionError> {
        if !(8..=4096).contains(&size) {
            return Err(PerceptionError::BadInput(format!(
                "crop size {size} (use 8..=4096)"
            )));
        }
        let (face_box, landmarks, faces_found) = self.find_face(photo)?;
        let side = (face_box.x2 - face_box.x1).min(face_box.y2 - face_box.y1);
        if side < MIN_FACE_SIDE {
            return Err(PerceptionError::FaceTooSmall(side));
        }
        let quad = FfhqQuad::from_landmarks(&landmarks)?.calibrated(&self.calibration);
        let (crop, crop_to_photo) = align::crop_quad(photo, &quad, size);
        let photo_to_crop = crop_to_photo
            .inverse()
            .ok_or_else(|| PerceptionError::BadInput("degenerate alignment".into()))?;
        Ok(AlignedFace {
            crop,
            crop_to_photo,
            photo_to_crop,
            face_box,
            landmarks,
            faces_found,
            quad,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_huge_image_is_refused_from_its_header() {
        // A valid 1x1 PNG whose header claims 20000x20000 (a decompression bomb's shape).
        let mut bytes = png_bytes(&DynamicImage::new_rgb8(1, 1));
        assert_eq!(&bytes[12..16], b"IHDR");
        bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = load_photo_bytes(&bytes, "bomb.png")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bomb.png"), "{err}");
        assert!(
            err.contains("20000x20000") || err.contains("limit"),
            "{err}"
        );
    }

    #[test]
    fn grey_alpha_and_broken_inputs() {
        let grey = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4, 3, image::Luma([90])));
        let rgb = load_photo_bytes(&png_bytes(&grey), "grey.png").unwrap();
        assert_eq!(rgb.dimensions(), (4, 3));
        assert_eq!(rgb.get_pixel(0, 0).0, [90, 90, 90]);

        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            2,
            2,
            image::Rgba([10, 20, 30, 0]),
        ));
        let rgb = load_photo_bytes(&png_bytes(&rgba), "alpha.png").unwrap();
        assert_eq!(rgb.get_pixel(1, 1).0, [10, 20, 30]);

        let err = load_photo_bytes(b"GIF89a not really", "anim.gif").unwrap_err();
        assert!(err.to_string().contains("anim.gif"), "{err}");
        let err = load_photo_bytes(b"hello", "notes.txt").unwrap_err();
        assert!(err.to_string().contains("not a PNG or JPEG"), "{err}");

        let mut jpeg = std::io::Cursor::new(Vec::new());
        DynamicImage::new_rgb8(64, 64)
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let jpeg = jpeg.into_inner();
        let cut = &jpeg[..jpeg.len() / 2];
        // A truncated JPEG decodes (grey tail) or fails, but never panics.
        let _ = load_photo_bytes(cut, "cut.jpg");
        let err = load_photo(Path::new("/no/such/photo.jpg")).unwrap_err();
        assert!(err.to_string().contains("/no/such/photo.jpg"), "{err}");
    }
}
