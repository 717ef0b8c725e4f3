//! The measurement behind `engine::field::DEFAULT_K`: style mixing on the W+ layers of the
//! generator, split at j (layers `[0, j)` or `[j, 23)` from another face). Layers
//! `[DEFAULT_K, 23)` taken from another face must keep the identity and the edges while still
//! moving the colour; layers `[0, DEFAULT_K)` must carry the identity.
//!
//! `cargo test --release -p tte-tests --test field_layers -- --nocapture` prints the table
//! (4 faces, 36 renders). With `TTE_FIELD_LAYERS_FULL=1` it runs the wider sweep recorded in the
//! `engine::field` docs (8 faces, 9 splits, 152 renders).

mod perception_support;

use candle_core::Device;
use engine::field::layers::{measure_layer_splits, split_table, LayerSplitConfig};
use engine::field::DEFAULT_K;
use engine::generator::Generator;

#[test]
fn fine_layers_beyond_default_k_change_colour_not_identity() {
    let generator = Generator::load(&tte_tests::generator_weights(), &Device::Cpu).unwrap();
    let encoder = perception_support::identity_encoder();
    let full = std::env::var_os("TTE_FIELD_LAYERS_FULL").is_some();
    let config = if full {
        LayerSplitConfig {
            seeds: vec![11, 22, 33, 44, 55, 66, 77, 88],
            splits: vec![4, 7, 10, 11, 12, 13, 14, 16, 19],
            ..Default::default()
        }
    } else {
        LayerSplitConfig {
            splits: vec![DEFAULT_K - 3, DEFAULT_K, DEFAULT_K + 3],
            ..Default::default()
        }
    };
    let measures = measure_layer_splits(&generator, &encoder, &config).unwrap();
    println!("{}", split_table(&measures));
    let at = |j: usize| measures.iter().find(|m| m.split == j).unwrap();
    let k = at(DEFAULT_K);
    let below = at(DEFAULT_K - 3);
    // Beyond k: same person, same edges ...
    assert!(
        k.fine.identity_cos > 0.9,
        "layers [{DEFAULT_K}, 23) change identity: {:?}",
        k.fine
    );
    assert!(
        k.fine.structure_change < 0.15,
        "layers [{DEFAULT_K}, 23) move edges: {:?}",
        k.fine
    );
    // ... but still a clear colour change, which an edit of [0, k) leaves alone.
    assert!(
        k.fine.colour_shift > 15.0,
        "layers [{DEFAULT_K}, 23) hardly hold colour: {:?}",
        k.fine
    );
    // Three layers fewer would leave shape-carrying layers untouched by edits.
    assert!(
        below.fine.identity_cos < k.fine.identity_cos - 0.05
            && below.fine.structure_change > 2.0 * k.fine.structure_change,
        "k - 3 is as good as k: {below:?} vs {k:?}"
    );
    // The edited layers [0, k) carry the identity.
    assert!(
        k.coarse.identity_cos < 0.5,
        "layers [0, {DEFAULT_K}) hardly carry identity: {:?}",
        k.coarse
    );
}
