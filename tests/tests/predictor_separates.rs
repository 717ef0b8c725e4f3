//! The committed attribute predictors P and P' on generated faces they were not trained on
//! (held-out seeds, ending in 0): for every attribute, faces the teachers labelled at degree 0
//! and faces labelled at a high degree must be told apart. Faces are rendered from their seeds,
//! found and aligned like any photo, then predicted.

mod perception_support;

use candle_core::Device;
use engine::generator::Generator;
use engine::perception::measures::MEASURE_CROP;
use engine::predictor::AttributePredictor;
use engine::Attribute;
use perception_support::face_perception;
use tte_tests::trained;

/// (seed, psi, degrees with None = unknown) from the committed labels.
fn committed_labels() -> Vec<(u64, f64, [Option<u8>; 5])> {
    let path = trained("predictor/labels.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let names: Vec<&str> = Attribute::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(header[2..], names[..], "labels.csv columns");
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let mut d = [None; 5];
            for (i, v) in c[2..].iter().enumerate() {
                d[i] = v.parse().ok();
            }
            (c[0].parse().unwrap(), c[1].parse().unwrap(), d)
        })
        .collect()
}

/// Up to `n` held-out seeds whose label for `attribute` satisfies `want`.
fn pick(
    labels: &[(u64, f64, [Option<u8>; 5])],
    attribute: Attribute,
    want: impl Fn(u8) -> bool,
    n: usize,
) -> Vec<(u64, f64)> {
    labels
        .iter()
        .filter(|(seed, _, d)| seed % 10 == 0 && d[attribute.index()].is_some_and(&want))
        .take(n)
        .map(|(s, p, _)| (*s, *p))
        .collect()
}

#[test]
fn predictors_tell_degree_zero_from_high_degrees_on_held_out_faces() {
    let labels = committed_labels();
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    let perception = face_perception();
    let predictors = [
        (
            "P",
            AttributePredictor::load_file(&trained("predictor.safetensors"), &Device::Cpu).unwrap(),
        ),
        (
            "P'",
            AttributePredictor::load_file(&trained("predictor_prime.safetensors"), &Device::Cpu)
                .unwrap(),
        ),
    ];
    let expected = |seed: u64, psi: f64| -> Vec<[f32; 5]> {
        let w = generator.w_from_seed(seed).unwrap();
        let w = generator.truncate(&w, psi).unwrap();
        let face = generator.render(&w, 1024).unwrap();
        let aligned = perception.align(&face, MEASURE_CROP).unwrap();
        predictors
            .iter()
            .map(|(_, p)| p.predict(std::slice::from_ref(&aligned.crop)).unwrap()[0].expected)
            .collect()
    };
    for attribute in Attribute::ALL {
        let low = pick(&labels, attribute, |d| d == 0, 4);
        // High degrees (3-5): sunglasses and full beards are rare among held-out faces.
        let high = pick(&labels, attribute, |d| d >= 3, 4);
        assert!(
            low.len() == 4 && high.len() >= 3,
            "{attribute:?}: too few labelled faces"
        );
        let low_e: Vec<Vec<[f32; 5]>> = low.iter().map(|&(s, p)| expected(s, p)).collect();
        let high_e: Vec<Vec<[f32; 5]>> = high.iter().map(|&(s, p)| expected(s, p)).collect();
        for (k, (name, _)) in predictors.iter().enumerate() {
            let mean = |v: &[Vec<[f32; 5]>]| {
                v.iter().map(|e| e[k][attribute.index()]).sum::<f32>() / v.len() as f32
            };
            let (lo, hi) = (mean(&low_e), mean(&high_e));
            let each = |v: &[Vec<[f32; 5]>]| -> Vec<String> {
                v.iter()
                    .map(|e| format!("{:.2}", e[k][attribute.index()]))
                    .collect()
            };
            eprintln!(
                "{name} {attribute:?}: degree-0 faces {lo:.2} {:?}, high-degree faces {hi:.2} {:?}",
                each(&low_e),
                each(&high_e)
            );
            assert!(
                hi - lo >= 1.0,
                "{name} {attribute:?}: expected degree {lo:.2} at label 0 vs {hi:.2} at labels >= 3"
            );
        }
    }
}
