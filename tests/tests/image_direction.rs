//! Directions trained on the image (`engine::field::image_direction`) with the real generator,
//! degree reader and identity network: the differentiable image path reads a face's start the
//! way it was prepared, and a short training returns a direction at the asked length with
//! nothing left along the removed directions, whose step moves the attribute the asked way.

use candle_core::{DType, Device, Tensor};
use engine::attributes::Attribute;
use engine::field::guided::orthonormal_basis;
use engine::field::image_direction::{train_direction, ImageDirectionConfig, ImagePath, Way};
use engine::field::image_direction_run::training_face;
use engine::field::{LinearDirection, DEFAULT_K};
use engine::generator::Generator;
use engine::perception::{IdentityEncoder, IDENTITY_MODEL};
use engine::predictor::DegreeReader;
use tte_tests::trained;

#[test]
fn a_short_training_moves_the_smile_up_at_the_asked_length() {
    let device = Device::Cpu;
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let reader = DegreeReader::load_file(&trained("reader.safetensors"), &device).unwrap();
    let identity =
        IdentityEncoder::load(&tte_tests::package_file("faceplugin", IDENTITY_MODEL)).unwrap();
    let path = ImagePath::new(&generator, &reader, &identity, 4).unwrap();
    let faces: Vec<_> = (0..2)
        .map(|i| {
            let (seed, psi) = training_face(i);
            let w = generator
                .truncate(&generator.w_from_seed(seed).unwrap(), psi)
                .unwrap();
            path.prepare(&w).unwrap()
        })
        .collect();
    // The path reads an unmoved face as it was prepared, the same person.
    let zero = Tensor::zeros((DEFAULT_K, 512), DType::F32, &device).unwrap();
    for face in &faces {
        let (scores, cos) = path.measure(face, &zero).unwrap();
        for (a, b) in scores.iter().zip(face.scores) {
            assert!((a - b).abs() < 1e-3, "{scores:?} vs {:?}", face.scores);
        }
        assert!(cos > 0.999, "identity cos {cos} with itself");
    }
    let linear =
        LinearDirection::load_all(&trained("fields/linear_directions.safetensors")).unwrap();
    let smile = linear
        .iter()
        .find(|d| d.attribute == Attribute::Smiling)
        .unwrap()
        .direction_tensor(&device)
        .unwrap();
    let mut removed = vec![generator.w_avg().unwrap()];
    removed.extend(
        linear
            .iter()
            .filter(|d| d.attribute != Attribute::Smiling)
            .map(|d| d.direction_tensor(&device).unwrap()),
    );
    let removed = orthonormal_basis(&removed).unwrap();
    let init = smile
        .broadcast_as((DEFAULT_K, 512))
        .unwrap()
        .contiguous()
        .unwrap();
    let config = ImageDirectionConfig {
        steps: 3,
        batch: 2,
        length: 3.0,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let direction = train_direction(
        &path,
        &faces,
        Attribute::Smiling,
        Way::Up,
        &removed,
        &init,
        &config,
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|p| p.loss.is_finite() && (p.length - 3.0).abs() < 1e-3));
    let rms = engine::field::image_direction::rms_length(&direction).unwrap();
    assert!((rms - 3.0).abs() < 1e-3, "length {rms}");
    let along = direction.matmul(&removed.t().unwrap()).unwrap();
    let left = along
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(left < 1e-3, "{left} left along the removed directions");
    // Its step raises the smile on both faces, read by the real reader on the full render.
    for face in &faces {
        let stepped = Tensor::cat(
            &[
                &face
                    .styles
                    .narrow(1, 0, DEFAULT_K)
                    .unwrap()
                    .broadcast_add(&direction.unsqueeze(0).unwrap())
                    .unwrap(),
                &face.styles.narrow(1, DEFAULT_K, 23 - DEFAULT_K).unwrap(),
            ],
            1,
        )
        .unwrap();
        let read = |s: &Tensor| {
            reader.read(&[generator.render(s, 256).unwrap()]).unwrap()[0].scores
                [Attribute::Smiling.index()]
            .score
        };
        let (before, after) = (read(&face.styles), read(&stepped));
        println!("smile {before:.2} -> {after:.2}");
        assert!(after > before + 0.3, "smile {before:.2} -> {after:.2}");
    }
}
