//! The editing loop on the real generator and identity encoder, read by an (untrained,
//! randomly initialised) attribute predictor: checks the product plumbing of
//! `engine::field::GeneratorReader` (render, resize to 256, predict, identity, kept images) and
//! that W+ steps move only the first `DEFAULT_K` style layers of real latents. Whether edits
//! reach their targets needs the trained predictor and fields; that is the eval's job.

mod perception_support;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use engine::attributes::Attribute;
use engine::field::edit::READ_SIZE;
use engine::field::{
    edit_until, field_step, DegreeReader, EditConfig, EditOutcome, FieldConfig, FieldSpace,
    GeneratorReader, LinearDirection, LinearStepper, SemanticField, DEFAULT_K,
};
use engine::generator::{Generator, LATENT_DIM, NUM_STYLES};
use engine::predictor::{AttributePredictor, PredictorConfig};

fn max_abs(t: &Tensor) -> f32 {
    t.abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[test]
fn generator_reader_drives_the_loop_on_real_faces() {
    let device = Device::Cpu;
    let generator = Generator::load(&tte_tests::generator_weights(), &device).unwrap();
    let encoder = perception_support::identity_encoder();
    let varmap = VarMap::new();
    let predictor = AttributePredictor::load(
        VarBuilder::from_varmap(&varmap, DType::F32, &device),
        &PredictorConfig::default(),
    )
    .unwrap();
    let reader = GeneratorReader {
        generator: &generator,
        predictor: &predictor,
        perception: None,
        identity: Some(&encoder),
        keep_image: Some(READ_SIZE),
    };
    let w = generator
        .truncate(&generator.w_from_seed(5).unwrap(), 0.7)
        .unwrap();

    let start = reader.read(&w).unwrap();
    for head in &start.probabilities {
        let sum: f32 = head.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
    }
    assert_eq!(start.image.as_ref().unwrap().dimensions(), (256, 256));
    assert!(start.identity.is_some());
    assert!(reader.read(&Tensor::cat(&[&w, &w], 0).unwrap()).is_err());

    // A fixed unit direction in W, stepped on the first DEFAULT_K layers of W+.
    let raw: Vec<f32> = (0..LATENT_DIM)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
        .collect();
    let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
    let direction = LinearDirection {
        attribute: Attribute::Age,
        direction: raw.iter().map(|v| v / norm).collect(),
        offset: 0.0,
        split: 3,
        train_accuracy: 1.0,
        samples: (1, 1),
    };
    let space = FieldSpace::WPlus { k: DEFAULT_K };
    let stepper = LinearStepper::new(&direction, space, 4.0, &device).unwrap();
    let age = start.probabilities[Attribute::Age.index()];
    let start_degree = (0..6).max_by(|&a, &b| age[a].total_cmp(&age[b])).unwrap();
    let target = if start_degree < 5 { 5 } else { 0 };
    let config = EditConfig {
        max_steps: 3,
        patience: 3,
        polish_steps: 0,
        ..EditConfig::default()
    };
    let trace = edit_until(&reader, &stepper, &w, Attribute::Age, target, &config).unwrap();
    assert_eq!(trace.start_degree, start_degree);
    assert!(trace.steps.len() >= 2 && trace.steps.len() <= 4);
    assert_ne!(trace.outcome, EditOutcome::AlreadyThere);
    assert_eq!(trace.reached, trace.outcome == EditOutcome::Reached);
    let first = &trace.steps[0];
    assert!((first.identity_cos.unwrap() - 1.0).abs() < 1e-4);
    let step1 = &trace.steps[1];
    let id1 = step1.identity_cos.unwrap();
    println!(
        "outcome {:?}, identity cosines {:?}",
        trace.outcome,
        trace
            .steps
            .iter()
            .map(|s| s.identity_cos.unwrap())
            .collect::<Vec<_>>()
    );
    assert!(id1 < 0.9999 && id1 > 0.3, "identity after one step {id1}");
    assert_eq!(step1.image.as_ref().unwrap().dimensions(), (256, 256));
    // Step 1 moved layers [0, k) by exactly 4 along the direction and kept the rest.
    let s0 = generator.w_plus(&w).unwrap();
    let s1 = step1.styles.as_ref().unwrap();
    let diff = (s1 - &s0).unwrap();
    assert_eq!(
        max_abs(&diff.narrow(1, DEFAULT_K, NUM_STYLES - DEFAULT_K).unwrap()),
        0.0
    );
    let moved = diff.narrow(1, 0, 1).unwrap().flatten_all().unwrap();
    let len: f32 = moved.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap();
    assert!(
        (len.sqrt() - 4.0).abs() < 1e-3,
        "step length {}",
        len.sqrt()
    );
    let json = serde_json::to_value(&trace).unwrap();
    assert!(json["steps"][1]["identity_cos"].is_number());
    assert_eq!(json["attribute"], "age");
    // Straight line: every step direction matches the first.
    let cosines = trace.direction_cosines().unwrap();
    assert!(
        cosines.iter().all(|c| (c - 1.0).abs() < 1e-4),
        "{cosines:?}"
    );

    // A (random) field through the real mapping network: W+ steps move only the first k layers.
    let field_vars = VarMap::new();
    let field = SemanticField::load(
        VarBuilder::from_varmap(&field_vars, DType::F32, &device),
        FieldConfig::default(),
    )
    .unwrap();
    let stepped = field_step(&field, &generator.mapping, &s0, space, 1.0).unwrap();
    let diff = (&stepped - &s0).unwrap();
    assert!(max_abs(&diff.narrow(1, 0, DEFAULT_K).unwrap()) > 1e-4);
    assert_eq!(
        max_abs(&diff.narrow(1, DEFAULT_K, NUM_STYLES - DEFAULT_K).unwrap()),
        0.0
    );
}
