//! Detection, landmarks and FFHQ alignment of photos: a generated (already FFHQ-aligned) face
//! pasted at another scale and offset into a larger canvas is found and re-aligned onto the
//! generator's frame; a blank image is a `NoFace` error; with two faces the larger is aligned and
//! the count reported; EXIF orientation is honoured.

mod perception_support;

use engine::perception::identity::identity_crop;
use engine::perception::{cosine, load_photo, paste_back, Affine2, FfhqQuad, PerceptionError};
use image::{imageops, Rgb, RgbImage};
use perception_support::*;

/// A 1000x760 canvas with a soft gradient (not a face) and `face` resized to `side` at `(x, y)`.
fn paste(canvas: &mut RgbImage, face: &RgbImage, side: u32, x: i64, y: i64) {
    let small = imageops::resize(face, side, side, imageops::FilterType::Triangle);
    imageops::overlay(canvas, &small, x, y);
}

fn gradient_canvas(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([(60 + x * 80 / w) as u8, (90 + y * 60 / h) as u8, 120])
    })
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Largest distance between where `a` and `b` send the corners and centre of a `size` crop.
fn transform_gap(a: &Affine2, b: &Affine2, size: u32) -> f64 {
    let s = size as f64 - 1.0;
    [[0.0, 0.0], [s, 0.0], [0.0, s], [s, s], [s / 2.0, s / 2.0]]
        .iter()
        .map(|p| dist(a.apply(*p), b.apply(*p)))
        .fold(0.0, f64::max)
}

#[test]
fn pasted_generated_face_is_found_and_realigned() {
    let perception = face_perception();
    let encoder = identity_encoder();
    let size = 256u32;
    for (seed, face) in [11u64, 12, 13]
        .into_iter()
        .zip(generated_faces(&[11, 12, 13]))
    {
        // Paste the 1024 face at 420 px, offset (330, 190).
        let (side, ox, oy) = (420u32, 330i64, 190i64);
        let mut canvas = gradient_canvas(1000, 760);
        paste(&mut canvas, &face, side, ox, oy);

        let aligned = perception.align(&canvas, size).unwrap();
        assert_eq!(aligned.faces_found, 1);
        assert_eq!(aligned.crop.dimensions(), (size, size));
        // The box lies on the pasted face.
        let b = aligned.face_box;
        assert!(
            b.x1 >= ox as f32 - 20.0 && b.x2 <= (ox + side as i64) as f32 + 20.0,
            "{b:?}"
        );

        // Where the pasted face's generator frame really is: crop pixel u -> photo pixel.
        let s = side as f64 / size as f64;
        let truth = Affine2 {
            m: [
                [s, 0.0, ox as f64 + 0.5 * s - 0.5],
                [0.0, s, oy as f64 + 0.5 * s - 0.5],
            ],
        };
        let gap_truth = transform_gap(&aligned.crop_to_photo, &truth, size) / s;

        // The same pipeline on the original 1024 image, scaled to the crop's size.
        let direct = perception.align(&face, size).unwrap();
        let k = 1024.0 / size as f64;
        let eyes_direct = [
            direct.crop_landmarks().eye_left(),
            direct.crop_landmarks().eye_right(),
        ];
        let crop_lm = aligned.crop_landmarks();
        let eye_gap =
            dist(crop_lm.eye_left(), eyes_direct[0]).max(dist(crop_lm.eye_right(), eyes_direct[1]));
        // And against the generator frame itself: the original's eyes in 256-px crop units.
        let (_, lm_orig, _) = perception.find_face(&face).unwrap();
        let eye_truth = |p: [f64; 2]| [(p[0] + 0.5) / k - 0.5, (p[1] + 0.5) / k - 0.5];
        let eye_gap_truth = dist(crop_lm.eye_left(), eye_truth(lm_orig.eye_left()))
            .max(dist(crop_lm.eye_right(), eye_truth(lm_orig.eye_right())));

        // The transform round-trips landmarks between photo and crop.
        let back = aligned.crop_to_photo.apply(crop_lm.eye_left());
        assert!(dist(back, aligned.landmarks.eye_left()) < 1e-6);

        // Identity of the re-aligned crop against the original face.
        let e_orig = encoder
            .embed(&identity_crop(&face, &lm_orig.five_points()).unwrap())
            .unwrap();
        let (_, lm_crop, _) = perception.find_face(&aligned.crop).unwrap();
        let e_crop = encoder
            .embed(&identity_crop(&aligned.crop, &lm_crop.five_points()).unwrap())
            .unwrap();
        let id = cosine(&e_orig, &e_crop);

        println!(
            "seed {seed}: crop vs true frame {gap_truth:.1} px (of {size}), eyes vs direct \
             alignment {eye_gap:.2} px, eyes vs original {eye_gap_truth:.2} px, identity {id:.3}, \
             scale {:.3} rotation {:.2} deg",
            aligned.crop_to_photo.scale(),
            aligned.crop_to_photo.rotation_degrees()
        );
        assert!(
            eye_gap < 3.0,
            "seed {seed}: eyes {eye_gap} px from the direct alignment"
        );
        assert!(
            eye_gap_truth < 6.0,
            "seed {seed}: eyes {eye_gap_truth} px from the original"
        );
        assert!(gap_truth < 18.0, "seed {seed}: frame off by {gap_truth} px");
        assert!(id > 0.7, "seed {seed}: identity {id}");
    }
}

#[test]
fn blank_image_has_no_face() {
    let perception = face_perception();
    for img in [
        RgbImage::from_pixel(640, 480, Rgb([128, 128, 128])),
        gradient_canvas(800, 600),
    ] {
        let err = perception.align(&img, 256).unwrap_err();
        assert!(matches!(err, PerceptionError::NoFace), "{err}");
        assert_eq!(err.to_string(), "no face found");
    }
}

#[test]
fn a_tiny_face_is_a_clear_error() {
    let perception = face_perception();
    let face = &generated_faces(&[23])[0];
    let mut canvas = gradient_canvas(640, 480);
    // A 1024 px generated face pasted at 56 px: its detector box is about 33 px across.
    paste(&mut canvas, face, 56, 270, 190);
    let err = match perception.align(&canvas, 256) {
        Ok(a) => panic!("aligned a face whose box is {:?}", a.face_box),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("too small"), "{err}");
}

#[test]
fn two_faces_align_the_larger_and_say_so() {
    let perception = face_perception();
    let faces = generated_faces(&[21, 22]);
    let mut canvas = gradient_canvas(1200, 700);
    paste(&mut canvas, &faces[0], 260, 60, 300);
    paste(&mut canvas, &faces[1], 480, 620, 120);
    let aligned = perception.align(&canvas, 128).unwrap();
    assert_eq!(aligned.faces_found, 2);
    // The crop's centre lies on the larger face (x 620..1100).
    let c = aligned.crop_to_photo.apply([63.5, 63.5]);
    assert!(
        c[0] > 700.0 && c[0] < 1020.0 && c[1] > 200.0,
        "centre {c:?}"
    );
    let side = 2.0 * aligned.quad.x[0].hypot(aligned.quad.x[1]);
    assert!((side - 480.0).abs() < 50.0, "side {side}");
}

#[test]
fn exif_orientation_is_applied() {
    let perception = face_perception();
    let face = &generated_faces(&[31])[0];
    let mut canvas = gradient_canvas(900, 700);
    paste(&mut canvas, face, 400, 250, 150);
    let upright = perception.align(&canvas, 256).unwrap();

    // Store the photo turned a quarter left with EXIF orientation 6 ("rotate 90 clockwise").
    let stored = imageops::rotate270(&canvas);
    let exif: Vec<u8> = [
        b"MM\0\x2a\0\0\0\x08".as_slice(),
        &[0, 1],
        &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0],
        &[0, 0, 0, 0],
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("turned.jpg");
    {
        use image::ImageEncoder;
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(file, 95);
        enc.set_exif_metadata(exif).unwrap();
        enc.write_image(
            stored.as_raw(),
            stored.width(),
            stored.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    }
    let photo = load_photo(&path).unwrap();
    assert_eq!(
        photo.dimensions(),
        canvas.dimensions(),
        "orientation not applied"
    );
    let turned = perception.align(&photo, 256).unwrap();
    let gap = (0..2)
        .map(|i| (turned.quad.c[i] - upright.quad.c[i]).abs())
        .fold(0.0, f64::max);
    assert!(gap < 6.0, "centre moved {gap} px");
    let rot = turned.crop_to_photo.rotation_degrees();
    assert!(rot.abs() < 5.0, "face not upright: {rot} degrees");
}

#[test]
fn unreadable_photo_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-an-image.jpg");
    std::fs::write(&path, b"hello").unwrap();
    let err = load_photo(&path).unwrap_err();
    assert!(matches!(err, PerceptionError::BadImage { .. }), "{err}");
    let err = load_photo(&dir.path().join("missing.png")).unwrap_err();
    assert!(err.to_string().contains("missing.png"), "{err}");
}

#[test]
fn generator_frame_quad_is_the_identity_crop() {
    let q = FfhqQuad::generator_frame(1024);
    let t = q.crop_to_photo(1024);
    assert!(transform_gap(&t, &Affine2::IDENTITY, 1024) < 1e-9);
}

/// Real photos: the 250 CelebA faces of the training split (never the held-out half). Measured:
/// 248 found (the two misses: a face covered by hair, a hat over the face), 3 with a second face.
#[test]
fn celeba_training_faces_are_found() {
    let perception = face_perception();
    let files = perception_support::celeba_training_photos();
    assert_eq!(files.len(), 250);
    let mut found = 0;
    for f in &files {
        let photo = load_photo(f).unwrap();
        match perception.align(&photo, 128) {
            Ok(a) => {
                found += 1;
                // Upright faces: the crop is barely rotated and about as big as the photo.
                assert!(
                    a.crop_to_photo.rotation_degrees().abs() < 45.0,
                    "{}",
                    f.display()
                );
            }
            Err(PerceptionError::NoFace) => {}
            Err(e) => panic!("{}: {e}", f.display()),
        }
    }
    assert!(found >= 245, "only {found} of 250 CelebA faces found");
}

/// An aligned crop pasted back unchanged restores the photo; an edited one changes only the
/// face's square; a 1024 crop of a 256 alignment pastes to the same place.
#[test]
fn crop_pastes_back_into_the_photo() {
    let perception = face_perception();
    let face = &generated_faces(&[51])[0];
    let mut canvas = gradient_canvas(900, 700);
    paste(&mut canvas, face, 360, 300, 170);
    let aligned = perception.align(&canvas, 512).unwrap();

    let psnr = |a: &RgbImage, b: &RgbImage| {
        let se: f64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
            .sum();
        10.0 * (255.0f64.powi(2) / (se / a.as_raw().len() as f64).max(1e-9)).log10()
    };
    let restored = paste_back(&canvas, &aligned.quad, &aligned.crop, 0.05).unwrap();
    let p = psnr(&restored, &canvas);
    println!("unchanged crop pasted back: PSNR {p:.1} dB");
    assert!(p > 40.0, "PSNR {p}");

    // An edited (inverted) crop: the face centre changes, the far corner does not.
    let mut edited = aligned.crop.clone();
    image::imageops::invert(&mut edited);
    let big = imageops::resize(&edited, 1024, 1024, imageops::FilterType::Triangle);
    for crop in [&edited, &big] {
        let out = paste_back(&canvas, &aligned.quad, crop, 0.05).unwrap();
        let c = aligned.crop_to_photo.apply([255.5, 255.5]);
        let (cx, cy) = (c[0].round() as u32, c[1].round() as u32);
        let (was, now) = (canvas.get_pixel(cx, cy), out.get_pixel(cx, cy));
        for k in 0..3 {
            assert!(
                (now[k] as i32 - (255 - was[k] as i32)).abs() <= 12,
                "centre {was:?} -> {now:?}"
            );
        }
        assert_eq!(out.get_pixel(5, 5), canvas.get_pixel(5, 5));
        assert_eq!(out.get_pixel(890, 690), canvas.get_pixel(890, 690));
    }
    assert!(paste_back(&canvas, &aligned.quad, &RgbImage::new(10, 12), 0.0).is_err());
}

#[test]
fn a_cmyk_jpeg_is_read_as_rgb_and_its_face_found() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed5_cmyk.jpg");
    let photo = load_photo(&path).unwrap();
    assert_eq!(photo.dimensions(), (256, 256));
    // Not a washed-out or inverted conversion: the face's skin is warm (red above blue) and the
    // picture is neither all dark nor all light.
    let centre = photo.get_pixel(128, 150);
    assert!(centre[0] > centre[2], "skin colour {centre:?}");
    let mean: f64 = photo
        .pixels()
        .map(|p| p[0] as f64 + p[1] as f64 + p[2] as f64)
        .sum::<f64>()
        / (3.0 * 256.0 * 256.0);
    assert!((40.0..220.0).contains(&mean), "mean level {mean}");
    let aligned = face_perception().align(&photo, 128).unwrap();
    assert_eq!(aligned.faces_found, 1);
}
