//! GAN inversion on the real generator and face models: the refinement moves a poor starting code
//! towards the face it is shown (pixels and identity), the whole inversion of a real photo keeps
//! the best code and pastes an edit back into the photo without touching what is not the face,
//! and faceless pictures are refused clearly.

mod perception_support;

use candle_core::Device;
use engine::generator::{Generator, LATENT_DIM, NUM_STYLES};
use engine::inversion::invert::{InvertConfig, InvertProgress, Inverter};
use engine::inversion::refine::{face_mask, refine, RefineConfig};
use engine::inversion::{InversionEncoder, InversionError};
use engine::perception::identity::generated_identity_crop;
use engine::perception::{cosine, load_photo, PerceptionError};
use image::RgbImage;

fn generator() -> Generator {
    Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap()
}

#[test]
fn refinement_moves_a_poor_start_towards_the_face() {
    let generator = generator();
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    // A held-out generated face, and a poor start: its code pulled halfway to the average face.
    let w = generator.w_from_seed(100030).unwrap();
    let target = generator.render(&w, 1024).unwrap();
    let start = generator
        .w_plus(&generator.truncate(&w, 0.5).unwrap())
        .unwrap();
    let aligned = perception.align(&target, 256).unwrap();
    let mask = face_mask(&aligned.crop_landmarks(), 256, 0.03).unwrap();
    let config = RefineConfig {
        steps: 20,
        checkpoint_every: 10,
        ..RefineConfig::default()
    };
    let mut seen = Vec::new();
    let refined = refine(
        &generator,
        &aligned.crop,
        &mask,
        &start,
        &config,
        None,
        &mut |p| seen.push(p.step),
    )
    .unwrap();
    assert_eq!(seen, (1..=20).collect::<Vec<_>>(), "progress every step");
    assert_eq!(refined.styles.dims(), &[1, NUM_STYLES, LATENT_DIM]);
    assert!(
        refined.head_r_squared > 0.9,
        "the colour head explains the render: R² {}",
        refined.head_r_squared
    );
    assert!(
        refined.last_loss < 0.5 * refined.first_loss,
        "pixel loss {} -> {}",
        refined.first_loss,
        refined.last_loss
    );
    // Checkpoints at 10 and 20 steps; the styles after the optimised ones were not touched.
    let steps: Vec<usize> = refined.checkpoints.iter().map(|c| c.0).collect();
    assert_eq!(steps, vec![10, 20]);
    let k = config.optimised_styles();
    let moved = engine::generator::max_abs_diff(
        &refined.styles.narrow(1, 0, k).unwrap(),
        &start.narrow(1, 0, k).unwrap(),
    )
    .unwrap();
    assert!(moved > 0.01, "the shape styles moved: {moved}");
    let colour = engine::generator::max_abs_diff(
        &refined.styles.narrow(1, k, NUM_STYLES - k).unwrap(),
        &start.narrow(1, k, NUM_STYLES - k).unwrap(),
    )
    .unwrap();
    assert_eq!(colour, 0.0, "styles from {k} on stay the start's");
    let embed = |img: &RgbImage| {
        identity
            .embed(&generated_identity_crop(img).unwrap())
            .unwrap()
    };
    let truth = embed(&target);
    let before = cosine(&truth, &embed(&generator.render(&start, 1024).unwrap()));
    let after = cosine(
        &truth,
        &embed(&generator.render(&refined.styles, 1024).unwrap()),
    );
    assert!(
        after > before + 0.1,
        "identity cosine with the face: {before:.3} before, {after:.3} after"
    );
}

fn encoder(device: &Device) -> InversionEncoder {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/trained/encoder.safetensors");
    InversionEncoder::load(&path, device).unwrap()
}

#[test]
fn a_photo_is_inverted_and_an_edit_pasted_back_into_it() {
    let generator = generator();
    let perception = perception_support::face_perception();
    let identity = perception_support::identity_encoder();
    let encoder = encoder(generator.device());
    let inverter = Inverter {
        generator: &generator,
        perception: &perception,
        identity: &identity,
        encoder: &encoder,
        config: InvertConfig {
            refine: RefineConfig {
                steps: 10,
                ..RefineConfig::default()
            },
            ..InvertConfig::default()
        },
    };
    let photo_path = perception_support::celeba_training_photos()[0].clone();
    let photo = load_photo(&photo_path).unwrap();
    let mut fractions = Vec::new();
    let inversion = inverter
        .invert(&photo, &mut |p: InvertProgress| {
            fractions.push(p.fraction())
        })
        .unwrap();
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(fractions.last(), Some(&1.0));
    assert_eq!(inversion.styles.dims(), &[1, NUM_STYLES, LATENT_DIM]);
    assert_eq!(inversion.render.dimensions(), (1024, 1024));
    // The kept code is the best of the encoder's and the refinement's, and looks like the person
    // more than a random face does (random pairs: cosine about 0.04).
    assert!(inversion.identity_cos >= inversion.encoder_identity_cos);
    assert!(inversion.identity_cos >= inversion.refined_identity_cos);
    assert!(
        inversion.identity_cos > 0.3,
        "identity cosine {}",
        inversion.identity_cos
    );
    // Paste back an edit (here: the render itself): the photo keeps its size; far from the
    // face nothing changes; on the face, pixels come from the render.
    let pasted = inversion.paste_into(&photo, &inversion.render).unwrap();
    assert_eq!(pasted.dimensions(), photo.dimensions());
    let face = &inversion.aligned.face_box;
    let (cx, cy) = (
        ((face.x1 + face.x2) / 2.0) as u32,
        ((face.y1 + face.y2) / 2.0) as u32,
    );
    let changed = |x: u32, y: u32| pasted.get_pixel(x, y) != photo.get_pixel(x, y);
    assert!(!changed(0, 0) && !changed(photo.width() - 1, photo.height() - 1));
    let face_changes = (0..20)
        .flat_map(|dy| (0..20).map(move |dx| (cx - 10 + dx, cy - 10 + dy)))
        .filter(|&(x, y)| changed(x, y))
        .count();
    assert!(
        face_changes > 200,
        "{face_changes} of 400 face pixels changed"
    );

    // The photo's landmarks against the render's were measured for carrying edits back: the
    // inversion places the features near, not exactly on, the photo's.
    let warp = inversion
        .warp
        .as_ref()
        .expect("landmarks on the photo and its render");
    assert!(
        warp.mean_shift() > 0.0 && warp.mean_shift() < 0.04,
        "mean landmark shift {}",
        warp.mean_shift()
    );
    assert!(inversion.paste_back().warp.is_some());

    // A picture without a face is refused with NoFace, not a panic or a made-up face.
    let blank = RgbImage::from_pixel(300, 300, image::Rgb([128, 128, 128]));
    match inverter.invert(&blank, &mut |_| {}) {
        Err(InversionError::Perception(PerceptionError::NoFace)) => {}
        other => panic!("expected NoFace, got {:?}", other.map(|i| i.identity_cos)),
    }
}

#[test]
fn the_warp_finds_where_the_renders_features_sit_against_the_photos() {
    use engine::inversion::face_warp::FaceWarp;
    let generator = generator();
    let perception = perception_support::face_perception();
    // The "photo" is a generated face's aligned crop; the "render" the same crop 6 px (of 256)
    // lower. The landmarks are found in the photo's face box on both, as the inversion does.
    let face = generator
        .render(&generator.w_from_seed(100031).unwrap(), 1024)
        .unwrap();
    let aligned = perception.align(&face, 256).unwrap();
    let shift = 6u32;
    let lower = RgbImage::from_fn(256, 256, |x, y| {
        *aligned.crop.get_pixel(x, y.saturating_sub(shift))
    });
    let same = FaceWarp::measure(&aligned, &aligned.crop, &perception)
        .unwrap()
        .expect("landmarks on a generated face");
    assert!(same.mean_shift() < 1e-9, "{}", same.mean_shift());
    // A render of any size is read in the crop's frame.
    let lower_large =
        image::imageops::resize(&lower, 1024, 1024, image::imageops::FilterType::Triangle);
    let warp = FaceWarp::measure(&aligned, &lower_large, &perception)
        .unwrap()
        .expect("landmarks on both");
    let want = shift as f64 / 256.0;
    // Around the mouth (the mouth's centre) and the eyes, the map points 6 px lower.
    for point in [48usize, 54, 62, 36, 45] {
        let p = warp.photo[point];
        let m = warp.map(p);
        assert!(
            (m[0] - p[0]).abs() < 0.008 && (m[1] - p[1] - want).abs() < 0.008,
            "landmark {point}: {p:?} -> {m:?}, want a shift of {want}"
        );
    }
}
