//! The committed degree reader (`models/trained/reader.safetensors`) on rendered faces it was not
//! trained on (held-out seeds ending in 0): its age and smiling scores rise along the linear
//! edit directions, a face seen in profile (its landmarks) is not applicable, and the weights
//! load with the rules and measures this build expects.

mod perception_support;

use candle_core::Device;
use engine::field::linear::LinearDirection;
use engine::field::step::FieldSpace;
use engine::generator::Generator;
use engine::perception::measures::MEASURE_CROP;
use engine::predictor::reader::NotApplicable;
use engine::predictor::reader_train::spearman;
use engine::predictor::DegreeReader;
use engine::Attribute;
use perception_support::face_perception;
use tte_tests::trained;

#[test]
fn reader_scores_rise_along_held_out_edit_paths_and_profiles_are_not_applicable() {
    let reader = DegreeReader::load_file(&trained("reader.safetensors"), &Device::Cpu).unwrap();
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    let perception = face_perception();
    let directions =
        LinearDirection::load_all(&trained("fields/linear_directions.safetensors")).unwrap();
    let space = FieldSpace::WPlus { k: 13 };
    let steps = [-4.5, -3.0, -1.5, 0.0, 1.5, 3.0, 4.5];
    for (attribute, seed) in [(Attribute::Age, 100_040u64), (Attribute::Smiling, 100_030)] {
        let dir = directions
            .iter()
            .find(|d| d.attribute == attribute)
            .unwrap()
            .direction_tensor(&Device::Cpu)
            .unwrap();
        let w = generator.w_from_seed(seed).unwrap();
        let styles = space.prepare(&w).unwrap();
        let mut scores = Vec::new();
        let mut last_crop = None;
        for t in steps {
            let moved = space.add(&styles, &(&dir * t).unwrap()).unwrap();
            let face = generator.render(&moved, 1024).unwrap();
            let aligned = perception.align(&face, MEASURE_CROP).unwrap();
            let lm = aligned.crop_landmarks().0;
            let r = reader.read_with_landmarks(&aligned.crop, &lm).unwrap();
            assert!(
                r.degree(attribute).is_some(),
                "{attribute:?} at t={t}: {r:?}"
            );
            scores.push(r.score(attribute));
            last_crop = Some((aligned.crop, lm));
        }
        let ts: Vec<f32> = steps.iter().map(|&t| t as f32).collect();
        let rho = spearman(&ts, &scores).unwrap_or(0.0);
        eprintln!("{attribute:?} seed {seed}: scores {scores:?}, Spearman {rho:.3}");
        // Rising up to noise at every step (a face can saturate at degree 0: a neutral mouth
        // does not get more neutral), and strictly ranked where the attribute changes.
        assert!(
            scores.windows(2).all(|w| w[1] >= w[0] - 0.15),
            "{attribute:?}: the score falls along the path: {scores:?}"
        );
        if attribute == Attribute::Age {
            assert!(
                rho >= 0.9,
                "{attribute:?}: Spearman {rho:.3} along {scores:?}"
            );
        }
        assert!(
            scores[6] - scores[0] >= 1.0,
            "{attribute:?}: the path spans under one degree: {scores:?}"
        );
        // The same face with its landmarks squeezed to one side reads as a profile.
        let (crop, mut lm) = last_crop.unwrap();
        let left = lm[0][0];
        lm[30][0] = left + 2.0;
        let r = reader.read_with_landmarks(&crop, &lm).unwrap();
        assert_eq!(
            r.get(Attribute::Bangs).not_applicable,
            Some(NotApplicable::Profile)
        );
        assert_eq!(r.degree(Attribute::Eyeglasses), None);
        assert!(r.degree(Attribute::Age).is_some());
    }
}
