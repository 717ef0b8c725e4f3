//! Sunglasses (eyeglasses degrees 4-5) on rendered faces: the committed direction from clear
//! glasses to sunglasses (`models/trained/fields/sunglasses_direction.safetensors`,
//! `engine::field::sunglasses`) darkens the lenses of a held-out face that wears clear glasses,
//! and the degree reader with P as its sunglasses teacher reads the result as sunglasses while
//! it reads the start as clear glasses; the reader's own network does not see them.

mod perception_support;

use candle_core::Device;
use engine::field::guided::ProjectedStepper;
use engine::field::linear::{LinearDirection, LinearStepper};
use engine::field::step::FieldSpace;
use engine::field::step::LatentStepper;
use engine::generator::Generator;
use engine::perception::measures::MEASURE_CROP;
use engine::predictor::{AttributePredictor, DegreeReader};
use engine::Attribute;
use perception_support::face_perception;
use tte_tests::trained;

#[test]
fn the_sunglasses_direction_darkens_clear_glasses_and_the_taught_reader_reads_sunglasses() {
    let device = Device::Cpu;
    let reader = DegreeReader::load_file(&trained("reader.safetensors"), &device).unwrap();
    let p = AttributePredictor::load_file(&trained("predictor.safetensors"), &device).unwrap();
    let taught = reader.clone().with_sunglasses_teacher(p);
    assert!(taught.has_sunglasses_teacher() && !reader.has_sunglasses_teacher());
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let perception = face_perception();
    let sunglasses = LinearDirection::load_all(&trained("fields/sunglasses_direction.safetensors"))
        .unwrap()
        .into_iter()
        .find(|d| d.attribute == Attribute::Eyeglasses)
        .expect("the file holds the eyeglasses (sunglasses) direction");
    let space = FieldSpace::WPlus { k: 13 };
    // As the editing loop steps: without the components along the mean of W and the other
    // attributes' linear directions.
    let linear = LinearStepper::new(&sunglasses, space, 2.0, &device).unwrap();
    let mut removed = vec![generator.w_avg().unwrap()];
    for d in LinearDirection::load_all(&trained("fields/linear_directions.safetensors")).unwrap() {
        if d.attribute != Attribute::Eyeglasses {
            removed.push(d.direction_tensor(&device).unwrap());
        }
    }
    let stepper = ProjectedStepper::removing(&linear, space, &removed).unwrap();
    // Held-out seed 100020 at psi 0.7: a woman in clear, thin-rimmed glasses.
    let w = generator
        .truncate(&generator.w_from_seed(100_020).unwrap(), 0.7)
        .unwrap();
    let styles = space.prepare(&w).unwrap();
    let mut read = Vec::new();
    for steps in [0.0, 3.0] {
        let moved = stepper.step(&styles, steps).unwrap();
        let face = generator.render(&moved, 1024).unwrap();
        let aligned = perception.align(&face, MEASURE_CROP).unwrap();
        let lm = aligned.crop_landmarks().0;
        let own = reader.read_with_landmarks(&aligned.crop, &lm).unwrap();
        let with_p = taught.read_with_landmarks(&aligned.crop, &lm).unwrap();
        eprintln!(
            "{steps} steps: reader {:.2}, with P's sunglasses {:.2}",
            own.score(Attribute::Eyeglasses),
            with_p.score(Attribute::Eyeglasses)
        );
        read.push((own, with_p));
    }
    let (start_own, start) = &read[0];
    let (end_own, end) = &read[1];
    assert!(
        (1..=3).contains(&start.degree(Attribute::Eyeglasses).unwrap()),
        "the start wears clear glasses: {start:?}"
    );
    // Away from sunglasses the teacher changes nothing.
    assert!(
        (start.score(Attribute::Eyeglasses) - start_own.score(Attribute::Eyeglasses)).abs() < 0.3
    );
    assert!(
        end.degree(Attribute::Eyeglasses).unwrap() >= 4,
        "3 steps of 2 units along the direction are sunglasses: {end:?}"
    );
    assert!(
        end_own.score(Attribute::Eyeglasses) < 3.5,
        "the reader's own network misses them (why P teaches it): {end_own:?}"
    );
    // The smile and the age read about the same. (The fringe's reading moves with the
    // darker lenses, 0.5 -> 2.6 here: the loop's other-attribute guard judges that, with its
    // check of the forehead's pixels.)
    for a in [Attribute::Smiling, Attribute::Age] {
        assert!(
            (end.score(a) - start.score(a)).abs() < 1.0,
            "{a:?} moved: {:.2} -> {:.2}",
            start.score(a),
            end.score(a)
        );
    }
}
