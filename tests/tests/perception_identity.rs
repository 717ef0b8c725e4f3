//! Identity embeddings (`fr_feature.onnx` in candle-onnx): the same generated face flipped or
//! shifted by a few pixels scores far above two different generated faces.

mod perception_support;

use engine::perception::identity::{generated_identity_crop, identity_crop, IDENTITY_CROP};
use engine::perception::{cosine, PerceptionError};
use image::RgbImage;
use perception_support::*;

/// The crop moved by (dx, dy) pixels, edges repeated.
fn shifted(img: &RgbImage, dx: i64, dy: i64) -> RgbImage {
    let (w, h) = (img.width() as i64, img.height() as i64);
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let sx = (x as i64 - dx).clamp(0, w - 1) as u32;
        let sy = (y as i64 - dy).clamp(0, h - 1) as u32;
        *img.get_pixel(sx, sy)
    })
}

#[test]
fn same_face_scores_far_above_different_faces() {
    let perception = face_perception();
    let encoder = identity_encoder();
    let faces = generated_faces(&[1, 2, 3, 4, 5]);
    let crops: Vec<RgbImage> = faces
        .iter()
        .map(|f| {
            let (_, lm, n) = perception.find_face(f).unwrap();
            assert_eq!(n, 1, "one face per generated image");
            identity_crop(f, &lm.five_points()).unwrap()
        })
        .collect();
    let embeddings: Vec<_> = crops.iter().map(|c| encoder.embed(c).unwrap()).collect();
    for e in &embeddings {
        let norm: f32 = e.0.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        assert_eq!(e.0.len(), 512);
    }

    let mut same = Vec::new();
    for (crop, e) in crops.iter().zip(&embeddings) {
        let flip = image::imageops::flip_horizontal(crop);
        same.push(cosine(e, &encoder.embed(&flip).unwrap()));
        same.push(cosine(e, &encoder.embed(&shifted(crop, 3, 2)).unwrap()));
        same.push(cosine(e, &encoder.embed(&shifted(crop, -2, -3)).unwrap()));
    }
    let mut different = Vec::new();
    for i in 0..embeddings.len() {
        for j in i + 1..embeddings.len() {
            different.push(cosine(&embeddings[i], &embeddings[j]));
        }
    }
    let min_same = same.iter().copied().fold(f32::INFINITY, f32::min);
    let max_diff = different.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    println!("same-face cosines {same:?}\ndifferent-face cosines {different:?}");
    println!("min same {min_same}, max different {max_diff}");
    assert!(
        min_same > 0.75,
        "a flipped/shifted face scored only {min_same}"
    );
    assert!(max_diff < 0.35, "two different faces scored {max_diff}");
    assert!(min_same - max_diff > 0.4);
}

#[test]
fn wrong_crop_size_is_a_clear_error() {
    let encoder = identity_encoder();
    let err = encoder
        .embed(&RgbImage::new(IDENTITY_CROP + 1, IDENTITY_CROP))
        .unwrap_err();
    assert!(matches!(err, PerceptionError::BadInput(_)), "{err}");
    assert!(err.to_string().contains("112x112"), "{err}");
}

/// The fixed template crop of generated faces agrees with the landmark-based crop.
#[test]
fn fixed_template_crop_of_generated_faces_keeps_identity() {
    let perception = face_perception();
    let encoder = identity_encoder();
    let faces = generated_faces(&[41, 42, 43, 44]);
    let mut templ = Vec::new();
    for face in &faces {
        let (_, lm, _) = perception.find_face(face).unwrap();
        let by_landmarks = encoder
            .embed(&identity_crop(face, &lm.five_points()).unwrap())
            .unwrap();
        let by_template = encoder
            .embed(&generated_identity_crop(face).unwrap())
            .unwrap();
        // The same at 256 px, as field training renders.
        let small = image::imageops::resize(face, 256, 256, image::imageops::FilterType::Triangle);
        let by_template_256 = encoder
            .embed(&generated_identity_crop(&small).unwrap())
            .unwrap();
        let (c, c256) = (
            cosine(&by_landmarks, &by_template),
            cosine(&by_template, &by_template_256),
        );
        println!("template vs landmarks {c:.3}, 1024 vs 256 {c256:.3}");
        assert!(c > 0.85, "template crop scored {c}");
        assert!(c256 > 0.9, "256-px template crop scored {c256}");
        templ.push(by_template);
    }
    for i in 0..templ.len() {
        for j in i + 1..templ.len() {
            let c = cosine(&templ[i], &templ[j]);
            assert!(c < 0.35, "faces {i} and {j} scored {c}");
        }
    }
    let err = generated_identity_crop(&RgbImage::new(300, 200)).unwrap_err();
    assert!(matches!(err, PerceptionError::BadInput(_)), "{err}");
}
