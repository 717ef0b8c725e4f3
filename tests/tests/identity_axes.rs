//! Identity up to an attribute (`engine::field::identity_axes`) on the real generator and judge:
//! walking training faces along the committed age field and linear direction records judged
//! codes whose age reading moves, the fitted axes are orthonormal and only age's, and two
//! different faces stay apart with and without them.

mod perception_support;

use candle_core::Device;
use engine::field::guided::RenderJudge;
use engine::field::identity_axes::{fit_identity_axes, AxesFitConfig, CollectConfig};
use engine::field::{LinearDirection, SemanticField};
use engine::generator::Generator;
use engine::predictor::DegreeReader;
use engine::Attribute;
use perception_support::face_perception;
use tte_tests::trained;

#[test]
fn age_axes_are_fitted_from_walks_both_ways_and_excuse_only_age() {
    let device = Device::Cpu;
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let reader = DegreeReader::load_file(&trained("reader.safetensors"), &device).unwrap();
    let perception = face_perception();
    let identity = perception_support::identity_encoder();
    let judge = RenderJudge::guarding(&generator, &reader, &perception, &identity);
    let (field, _) = SemanticField::load_file(&trained("fields/age.safetensors"), &device).unwrap();
    let directions =
        LinearDirection::load_all(&trained("fields/linear_directions.safetensors")).unwrap();
    let config = AxesFitConfig {
        faces: 4,
        collect: CollectConfig {
            steps: 2,
            ..CollectConfig::default()
        },
        axes: vec![2, 1],
        ..AxesFitConfig::default()
    };
    let mut walked = Vec::new();
    let fit = fit_identity_axes(
        &generator,
        &judge,
        Some(&field),
        &directions,
        Attribute::Age,
        &config,
        &mut |face| walked.push(face),
    )
    .unwrap();
    assert_eq!(walked, vec![0, 1, 2, 3]);
    assert!(fit.seeds.iter().all(|s| s % 10 != 0), "no held-out seed");
    // Two steppers, both ways, two steps: up to 8 codes a face, 2 faces a half.
    assert!(
        fit.changes.0 >= 8 && fit.changes.0 <= 16,
        "{:?}",
        fit.changes
    );
    assert!(
        fit.changes.1 >= 8 && fit.changes.1 <= 16,
        "{:?}",
        fit.changes
    );
    let axes = fit.axes.axes(Attribute::Age);
    assert_eq!(axes.len(), 2);
    for (i, a) in axes.iter().enumerate() {
        for (j, b) in axes.iter().enumerate() {
            let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            assert!((d - (i == j) as u8 as f32).abs() < 1e-4, "{i} {j} {d}");
        }
    }
    assert!(fit.axes.axes(Attribute::Smiling).is_empty());
    // The plain report first, then 2 and 1 axes; the measured half's faces against each other.
    assert_eq!(
        fit.reports.iter().map(|r| r.axes).collect::<Vec<_>>(),
        vec![0, 2, 1]
    );
    assert_eq!(fit.reports[0].other_people.0, 1);
    for r in &fit.reports {
        assert_eq!(r.other_people.2, 0, "two different faces pass: {r:?}");
    }
    // Sanity of the judge: the walks saw the age reading move.
    assert!(fit.reports[0].one_degree.0 + fit.reports[0].two_degrees.0 > 0);
}
