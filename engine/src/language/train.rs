//! Training and evaluation of the language encoder: builds the vocabulary from the generated
//! corpus, trains the network with AdamW on CPU, saves weights (safetensors) and metadata
//! (json), and measures exact-match and per-field accuracy on the held-out generated split and on
//! the hand-written natural test set.

use super::clause::{self as clause_labels, AttributeSlot, ClauseLabel, HEAD_SIZES};
use super::corpus::{self, GeneratedMessage};
use super::encoder::{ClauseBatch, EncoderConfig, EncoderNet};
use super::parser::{
    committed_weights_path, metadata_path, network_clauses, EncoderMetadata, LanguageEncoder,
    LanguageError, ParseOptions, RequestParser, METADATA_FORMAT,
};
use super::rules;
use super::vocab::{context_head, Vocab, UNK};
use super::{Direction, EditKind, EditRequest, Intent, ParsedRequest, SystemContext};
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Hyper-parameters of a training run; the defaults rebuild the committed weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    pub seed: u64,
    /// Distinct generated messages (train + held-out).
    pub messages: usize,
    pub test_fraction: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub embed_dim: usize,
    pub hidden_dim: usize,
    pub head_dim: usize,
    /// Probability of replacing a word by `<unk>` during training (robustness to unseen words).
    pub word_dropout: f64,
    /// How many times clauses of one or two words ("yes", "no thanks", "more") are repeated per
    /// epoch: they are the commonest replies in a dialog and each is a single example otherwise.
    #[serde(default = "one")]
    pub short_repeat: usize,
    /// Hand-written natural sets whose messages are added to the training clauses
    /// ([`natural_clause_examples`]); empty: the generated corpus alone.
    #[serde(default)]
    pub natural_train: Vec<PathBuf>,
    /// How many times each clause of a hand-written message is added per epoch.
    #[serde(default = "one")]
    pub natural_repeat: usize,
}

fn one() -> usize {
    1
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 20211012,
            messages: 20000,
            test_fraction: 0.1,
            epochs: 20,
            batch_size: 64,
            learning_rate: 3e-3,
            embed_dim: 64,
            hidden_dim: 96,
            head_dim: 64,
            word_dropout: 0.05,
            short_repeat: 3,
            natural_train: Vec::new(),
            natural_repeat: 2,
        }
    }
}

/// Errors of training, saving and evaluation.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} line {line}: {reason}")]
    BadTestCase {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the corpus produced no training examples")]
    EmptyCorpus,
    #[error("the encoder that labels hand-written clauses: {0}")]
    Hint(#[from] LanguageError),
}

/// Progress of a training run, reported once per batch.
#[derive(Debug, Clone, Copy)]
pub struct TrainProgress {
    pub epoch: usize,
    pub epochs: usize,
    pub batch: usize,
    pub batches: usize,
    /// Mean loss over the epoch so far.
    pub loss: f32,
}

/// A trained encoder with its variables (for saving).
pub struct TrainedEncoder {
    pub encoder: LanguageEncoder,
    pub corpus: corpus::Corpus,
    varmap: VarMap,
}

impl TrainedEncoder {
    /// Writes `weights` (safetensors) and the metadata json beside it.
    pub fn save(&self, weights: &Path) -> Result<(), TrainError> {
        if let Some(dir) = weights.parent() {
            std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        self.varmap.save(weights)?;
        let meta = metadata_path(weights);
        let json = serde_json::to_string_pretty(self.encoder.metadata())?;
        std::fs::write(&meta, json + "\n").map_err(|source| TrainError::Io { path: meta, source })
    }
}

/// Trains an encoder from a freshly generated corpus.
pub fn train(
    config: &TrainConfig,
    on_progress: &mut dyn FnMut(TrainProgress),
) -> Result<TrainedEncoder, TrainError> {
    let corpus = corpus::generate(config.seed, config.messages, config.test_fraction);
    let mut examples = corpus::clause_examples(&corpus.train);
    if examples.is_empty() {
        return Err(TrainError::EmptyCorpus);
    }
    // The vocabulary is the generated corpus's alone, so typo repair (which the rules read) is
    // unchanged; words of hand-written messages outside it are repaired or `<unk>` as in `parse`.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (words, _, _) in &examples {
        for w in words {
            *counts.entry(w.clone()).or_default() += 1;
        }
    }
    let vocab = Vocab::from_counts(&counts, 1);
    let mut natural = NaturalExamples::default();
    if !config.natural_train.is_empty() {
        let hint = LanguageEncoder::load(committed_weights_path())?;
        for path in &config.natural_train {
            natural.add(&hint, &load_cases(path)?)?;
        }
        tracing::info!(
            used = natural.used,
            clauses = natural.examples.len(),
            left_out_read_by_rules = natural.left_out_rules,
            left_out_unresolved = natural.left_out_unresolved,
            "hand-written messages added to training"
        );
        for _ in 0..config.natural_repeat.max(1) {
            examples.extend(natural.examples.iter().cloned());
        }
    }
    let device = Device::Cpu;
    let net_config = EncoderConfig {
        vocab_size: vocab.len(),
        embed_dim: config.embed_dim,
        hidden_dim: config.hidden_dim,
        head_dim: config.head_dim,
    };
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let net = EncoderNet::new(net_config, vb)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 1e-4,
            ..ParamsAdamW::default()
        },
    )?;

    let mut encoded: Vec<(Vec<u32>, usize, [u32; 6])> = Vec::with_capacity(examples.len());
    for (words, context, label) in &examples {
        let item = (
            vocab.encode_clause(words, *context),
            context_head(*context),
            label.to_classes(),
        );
        let repeats = if words.len() <= 2 {
            config.short_repeat.max(1)
        } else {
            1
        };
        for _ in 0..repeats {
            encoded.push(item.clone());
        }
    }
    let unk = vocab.id(UNK).unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x5eed);
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let batch_size = config.batch_size.max(1);
    let batches = encoded.len().div_ceil(batch_size);
    let total_steps = (config.epochs * batches).max(1);
    let mut step = 0usize;
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0f32;
        for (b, chunk) in order.chunks(batch_size).enumerate() {
            // Cosine learning-rate decay to a tenth.
            let progress = step as f64 / total_steps as f64;
            let lr = config.learning_rate
                * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            optimizer.set_learning_rate(lr);
            let mut ids = Vec::with_capacity(chunk.len());
            let mut heads = Vec::with_capacity(chunk.len());
            let mut targets: Vec<Vec<u32>> =
                (0..6).map(|_| Vec::with_capacity(chunk.len())).collect();
            for &i in chunk {
                let (clause, head, classes) = &encoded[i];
                let mut clause = clause.clone();
                // Word dropout (robustness to unseen words) on clauses of three or more words;
                // a one-word reply without its word would only teach noise.
                let droppable = clause.len() > 3;
                for id in clause.iter_mut().skip(1) {
                    if droppable && rng.gen_bool(config.word_dropout) {
                        *id = unk;
                    }
                }
                ids.push(clause);
                heads.push(*head);
                for h in 0..6 {
                    targets[h].push(classes[h]);
                }
            }
            let batch = ClauseBatch::new(&ids, &heads, &device)?;
            let targets: Vec<Tensor> = targets
                .into_iter()
                .map(|t| Tensor::new(t, &device))
                .collect::<candle_core::Result<_>>()?;
            let loss = net.loss(&batch, &targets)?;
            optimizer.backward_step(&loss)?;
            loss_sum += loss.to_scalar::<f32>()?;
            step += 1;
            on_progress(TrainProgress {
                epoch: epoch + 1,
                epochs: config.epochs,
                batch: b + 1,
                batches,
                loss: loss_sum / (b + 1) as f32,
            });
        }
    }
    let metadata = EncoderMetadata {
        format: METADATA_FORMAT,
        config: net_config,
        tokens: vocab.tokens().to_vec(),
        training: serde_json::json!({
            "command": "talk-to-edit train language",
            "config": config,
            "train_messages": corpus.train.len(),
            "distinct_train_messages": corpus
                .train
                .iter()
                .map(|m| (m.context, super::normalize::tokenize(&m.text)))
                .collect::<std::collections::HashSet<_>>()
                .len(),
            "heldout_messages": corpus.test.len(),
            "train_clauses": encoded.len(),
            "natural_messages_used": natural.used,
            "natural_clauses": natural.examples.len(),
            "natural_left_out_read_by_rules": natural.left_out_rules,
            "natural_left_out_unresolved": natural.left_out_unresolved,
            "head_sizes": HEAD_SIZES,
        }),
    };
    let encoder = LanguageEncoder::from_parts(net, metadata, device);
    Ok(TrainedEncoder {
        encoder,
        corpus,
        varmap,
    })
}

impl TrainedEncoder {
    /// Stores an extra fact (e.g. accuracies) in the metadata's training record.
    pub fn record(&mut self, key: &str, value: serde_json::Value) {
        self.encoder.record_training(key, value);
    }
}

/// One evaluation case: a message, its context and the parse it should get.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalCase {
    pub text: String,
    #[serde(default, with = "context_string")]
    pub context: Option<SystemContext>,
    pub expected: ParsedRequest,
}

/// Contexts are written as `"suggest:bangs"` / `"check:age"` / `null` in test files.
mod context_string {
    use super::SystemContext;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(c: &Option<SystemContext>, s: S) -> Result<S::Ok, S::Error> {
        c.map(|c| c.to_string()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemContext>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text {
            None => Ok(None),
            Some(t) if t.trim().is_empty() || t == "none" => Ok(None),
            Some(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

impl From<&GeneratedMessage> for EvalCase {
    fn from(m: &GeneratedMessage) -> Self {
        Self {
            text: m.text.clone(),
            context: m.context,
            expected: m.expected(),
        }
    }
}

/// The training config saved with `encoder`'s weights (the defaults for weights without one).
pub fn saved_config(encoder: &LanguageEncoder) -> Result<TrainConfig, TrainError> {
    Ok(encoder
        .metadata()
        .training
        .get("config")
        .cloned()
        .map(serde_json::from_value)
        .transpose()?
        .unwrap_or_default())
}

/// The held-out generated split of `encoder`'s training corpus, regenerated from its saved seed
/// (the same messages on every machine).
pub fn heldout_cases(encoder: &LanguageEncoder) -> Result<Vec<EvalCase>, TrainError> {
    let config = saved_config(encoder)?;
    let corpus = corpus::generate(config.seed, config.messages, config.test_fraction);
    Ok(corpus.test.iter().map(EvalCase::from).collect())
}

/// The hand-written natural test set shipped with the engine.
pub fn natural_test_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural_test.jsonl"
    ))
}

/// The development half of the second natural set (issue 14): look at its failures freely.
pub fn natural_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural_dev.jsonl"
    ))
}

/// The sealed half of the second natural set: sealed in rounds 2-3, opened as development data
/// in round 4.
pub fn natural_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural_sealed.jsonl"
    ))
}

/// The development half of the third natural set (issue 14, round 3): look at its failures freely.
pub fn natural3_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural3_dev.jsonl"
    ))
}

/// The sealed half of the third natural set: sealed in round 3, opened as development data in
/// round 4 (its round-3 score is in models/trained/LANGUAGE.md).
pub fn natural3_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural3_sealed.jsonl"
    ))
}

/// Development half of the fourth hand-written natural set (issue 14, round 4).
pub fn natural4_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural4_dev.jsonl"
    ))
}

/// Sealed half of the fourth natural set: scored once, at the end of round 4.
pub fn natural4_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural4_sealed.jsonl"
    ))
}

/// The development half of the fifth hand-written natural set (issue 14, round 5).
pub fn natural5_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural5_dev.jsonl"
    ))
}

/// The former sealed half of the fifth natural set: scored once, at the end of round 5; opened
/// as development data in round 6.
pub fn natural5_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural5_sealed.jsonl"
    ))
}

/// The development half of the sixth natural set (issue 14, round 6).
pub fn natural6_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural6_dev.jsonl"
    ))
}

/// The sealed half of the sixth natural set: scored before round 6 (summary only) and once at
/// its end.
pub fn natural6_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural6_sealed.jsonl"
    ))
}

/// The development half of the seventh natural set (issue 14, round 8).
pub fn natural8_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural8_dev.jsonl"
    ))
}

/// The former sealed half of the seventh natural set (issue 14, round 8): scored before the
/// round (summary only) and once at its end; opened as development data in round 9.
pub fn natural8_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural8_sealed.jsonl"
    ))
}

/// The development half of the eighth natural set (issue 14, round 9).
pub fn natural9_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural9_dev.jsonl"
    ))
}

/// The sealed half of the eighth natural set (issue 14, round 9): scored before the round
/// (summary only) and once at its end.
pub fn natural9_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural9_sealed.jsonl"
    ))
}

/// The development half of the tenth-round natural set (issue 14, round 10).
pub fn natural10_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural10_dev.jsonl"
    ))
}

/// The sealed half of the tenth-round natural set (issue 14, round 10): scored before the round
/// (summary only) and once at its end.
pub fn natural10_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural10_sealed.jsonl"
    ))
}

/// The development half of the eleventh-round natural set (issue 14, round 11).
pub fn natural11_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural11_dev.jsonl"
    ))
}

/// The sealed half of the eleventh-round natural set (issue 14, round 11): scored before the
/// round (summary only) and once at its end.
pub fn natural11_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural11_sealed.jsonl"
    ))
}

/// The development half of the twelfth-round natural set (issue 14, round 12).
pub fn natural12_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural12_dev.jsonl"
    ))
}

/// The sealed half of the twelfth-round natural set (issue 14, round 12): scored before the round
/// (summary only) and once at its end.
pub fn natural12_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural12_sealed.jsonl"
    ))
}

/// The development half of the thirteenth-round natural set (issue 14, round 13).
pub fn natural13_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural13_dev.jsonl"
    ))
}

/// The sealed half of the thirteenth-round natural set (issue 14, round 13): scored before the
/// round (summary only) and once at its end.
pub fn natural13_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural13_sealed.jsonl"
    ))
}

/// The development half of the fourteenth-round natural set (issue 14, round 14).
pub fn natural14_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural14_dev.jsonl"
    ))
}

/// The sealed half of the fourteenth-round natural set (issue 14, round 14): scored before the
/// round (summary only) and once at its end.
pub fn natural14_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural14_sealed.jsonl"
    ))
}

/// The development half of the fifteenth-round natural set (issue 14, round 15).
pub fn natural15_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural15_dev.jsonl"
    ))
}

/// The sealed half of the fifteenth-round natural set (issue 14, round 15): scored before the
/// round (summary only) and once at its end.
pub fn natural15_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural15_sealed.jsonl"
    ))
}

/// The development half of the sixteenth-round natural set (issue 14, round 16).
pub fn natural16_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural16_dev.jsonl"
    ))
}

/// The sealed half of the sixteenth-round natural set (issue 14, round 16): scored once, at the
/// end of the round; development data since round 17.
pub fn natural16_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural16_sealed.jsonl"
    ))
}

/// The development half of the seventeenth-round natural set (issue 14, round 17).
pub fn natural17_dev_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural17_dev.jsonl"
    ))
}

/// The sealed half of the seventeenth-round natural set (issue 14, round 17): scored before the
/// round (summary only) and once at its end.
pub fn natural17_sealed_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/language/natural17_sealed.jsonl"
    ))
}

/// Every natural set that may be looked at after round 17 (development halves and opened sealed
/// halves), by name.
pub fn development_sets() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("dev17", natural17_dev_path()),
        ("sealed16 (opened)", natural16_sealed_path()),
        ("dev16", natural16_dev_path()),
        ("sealed15 (opened)", natural15_sealed_path()),
        ("dev15", natural15_dev_path()),
        ("sealed14 (opened)", natural14_sealed_path()),
        ("dev14", natural14_dev_path()),
        ("sealed13 (opened)", natural13_sealed_path()),
        ("dev13", natural13_dev_path()),
        ("sealed12 (opened)", natural12_sealed_path()),
        ("dev12", natural12_dev_path()),
        ("sealed11 (opened)", natural11_sealed_path()),
        ("dev11", natural11_dev_path()),
        ("sealed10 (opened)", natural10_sealed_path()),
        ("dev10", natural10_dev_path()),
        ("sealed9 (opened)", natural9_sealed_path()),
        ("dev9", natural9_dev_path()),
        ("sealed8 (opened)", natural8_sealed_path()),
        ("dev8", natural8_dev_path()),
        ("sealed6 (opened)", natural6_sealed_path()),
        ("dev6", natural6_dev_path()),
        ("sealed5 (opened)", natural5_sealed_path()),
        ("dev5", natural5_dev_path()),
        ("sealed4 (opened)", natural4_sealed_path()),
        ("dev4", natural4_dev_path()),
        ("sealed3 (opened)", natural3_sealed_path()),
        ("dev3", natural3_dev_path()),
        ("sealed2 (opened)", natural_sealed_path()),
        ("dev2", natural_dev_path()),
        ("first", natural_test_path()),
    ]
}

/// Which way an edit moves a face whose attribute is at `current` (-1, 0, +1), or `None` when
/// the edit leaves the way open (agreement to a suggestion, or a question back).
fn way_from(edit: &EditRequest, current: u8) -> Option<i8> {
    let sign = |d: i16| d.signum() as i8;
    match (edit.kind, edit.direction, edit.target) {
        (EditKind::Target, _, Some(t)) => Some(sign(i16::from(t) - i16::from(current))),
        (EditKind::Relative | EditKind::Direction, Some(Direction::Increase), _) => {
            Some(if current < 5 { 1 } else { 0 })
        }
        (EditKind::Relative | EditKind::Direction, Some(Direction::Decrease), _) => {
            Some(if current > 0 { -1 } else { 0 })
        }
        _ => None,
    }
}

/// A polarity error: for some current degree, the predicted edit of an expected attribute moves
/// the face the opposite way from the expected one ("lose the glasses" read as thicker glasses,
/// sunglasses with a thick frame read as degree 3 instead of 5). A question back (`unclear`) or
/// a missing edit is not one.
pub fn is_polarity_error(expected: &ParsedRequest, got: &ParsedRequest) -> bool {
    (0..=5u8).any(|c| is_polarity_error_at(expected, got, c))
}

/// A polarity error for a face whose attributes are at degree `current`.
pub fn is_polarity_error_at(expected: &ParsedRequest, got: &ParsedRequest, current: u8) -> bool {
    expected.edits.iter().any(|want| {
        got.edits
            .iter()
            .filter(|g| g.attribute == want.attribute)
            .any(|g| match (way_from(want, current), way_from(g, current)) {
                (Some(w), Some(p)) => w * p < 0,
                _ => false,
            })
    })
}

/// The degree an edit leaves an attribute at, from `current` (`None`: a question back or a way
/// left open).
fn outcome(edit: &EditRequest, current: u8) -> Option<u8> {
    let step = |d: Option<Direction>, n: u8| match d? {
        Direction::Increase => Some(current.saturating_add(n).min(5)),
        Direction::Decrease => Some(current.saturating_sub(n)),
    };
    match edit.kind {
        EditKind::Target => edit.target.map(|t| t.min(5)),
        EditKind::Direction => step(edit.direction, 1),
        EditKind::Relative => step(edit.direction, edit.change.unwrap_or(1)),
        EditKind::Unclear => None,
    }
}

/// Whether `got` leaves every expected attribute at the degree `expected` does, from `current`.
fn same_outcome(expected: &ParsedRequest, got: &ParsedRequest, current: u8) -> bool {
    expected.intent == got.intent
        && expected.edits.iter().all(|want| {
            let o = |p: &ParsedRequest| {
                p.edits
                    .iter()
                    .find(|e| e.attribute == want.attribute)
                    .and_then(|e| outcome(e, current))
            };
            o(got).is_some() && o(got) == o(expected)
        })
}

/// The dialog's check against the current degree ([`rules::against_current`]) scored over every
/// current degree 0..=5 (the same degree for every attribute): a set's cases say no degree, so
/// each message is read as if the face were at each one.
#[derive(Debug, Clone, Default)]
pub struct DegreeReport {
    pub cases: usize,
    /// Messages with a polarity error at some current degree, as read by the parser alone.
    pub polarity_before: usize,
    /// The same after the check.
    pub polarity_after: usize,
    /// (message, degree) pairs the check changed.
    pub fired: usize,
    /// Changed pairs that were polarity errors before and are not after.
    pub wrong_way_avoided: usize,
    /// Changed pairs that became polarity errors.
    pub wrong_way_made: usize,
    /// Changed pairs that became questions back.
    pub questions: usize,
    /// Messages the parser read exactly that the check changed at some degree.
    pub correct_changed: usize,
    /// Changed pairs whose outcome (the degree left) was the expected one and is not after
    /// (a question counts as not).
    pub outcome_lost: usize,
    /// Changed pairs whose outcome was wrong and is the expected one after.
    pub outcome_fixed: usize,
    /// Every change: (text, degree, before, after).
    pub changes: Vec<(String, u8, ParsedRequest, ParsedRequest)>,
}

/// Runs `parser` over `cases` with the dialog's check against the current degree under `policy`.
pub fn evaluate_against_current(
    parser: &dyn RequestParser,
    cases: &[EvalCase],
    policy: rules::CurrentCheck,
) -> DegreeReport {
    let mut r = DegreeReport {
        cases: cases.len(),
        ..DegreeReport::default()
    };
    for case in cases {
        let got = parser.parse(&case.text, case.context);
        let exact = same_parse(&got, &case.expected);
        let (mut before, mut after, mut changed) = (false, false, false);
        for c in 0..=5u8 {
            let checked = rules::against_current(&case.text, &got, &|_| Some(c), policy);
            let wrong_before = is_polarity_error_at(&case.expected, &got, c);
            let wrong_after = is_polarity_error_at(&case.expected, &checked, c);
            before |= wrong_before;
            after |= wrong_after;
            if checked == got {
                continue;
            }
            changed = true;
            r.fired += 1;
            r.wrong_way_avoided += usize::from(wrong_before && !wrong_after);
            r.wrong_way_made += usize::from(!wrong_before && wrong_after);
            r.questions += usize::from(checked.edits.iter().any(|e| e.kind == EditKind::Unclear));
            let (right_before, right_after) = (
                same_outcome(&case.expected, &got, c),
                same_outcome(&case.expected, &checked, c),
            );
            r.outcome_lost += usize::from(right_before && !right_after);
            r.outcome_fixed += usize::from(!right_before && right_after);
            r.changes.push((case.text.clone(), c, got.clone(), checked));
        }
        r.polarity_before += usize::from(before);
        r.polarity_after += usize::from(after);
        r.correct_changed += usize::from(exact && changed);
    }
    r
}

/// Hand-written requests turned into clause examples for training: each message is split into
/// the clauses the network reads ([`network_clauses`]) and each clause labelled so that
/// [`clause_labels::resolve`] gives the message's expected parse. Of the labellings that do, the
/// one closest to a hint encoder's own reading of each clause is kept (so the attribute of each
/// clause follows the words the network already ties to it, and only what the expected parse
/// corrects changes).
#[derive(Debug, Default)]
pub struct NaturalExamples {
    pub examples: Vec<(Vec<String>, Option<SystemContext>, ClauseLabel)>,
    /// Messages whose clauses were labelled.
    pub used: usize,
    /// Greetings, thanks and questions: read by rules before the network, left out.
    pub left_out_rules: usize,
    /// Messages no labelling of their clauses resolves to (the expected parse needs a rule, or
    /// too many clauses to search).
    pub left_out_unresolved: usize,
}

/// Labellings searched per message at most.
const MAX_LABELLINGS: usize = 50_000;

impl NaturalExamples {
    /// Adds the clauses of `cases`, labelled with the help of `hint`'s readings.
    pub fn add(&mut self, hint: &LanguageEncoder, cases: &[EvalCase]) -> Result<(), TrainError> {
        for case in cases {
            if matches!(
                case.expected.intent,
                Intent::Greet | Intent::Thanks | Intent::Ask(_)
            ) {
                self.left_out_rules += 1;
                continue;
            }
            let clauses = network_clauses(&case.text, case.context);
            let hints = hint.classify_clauses(&clauses, case.context)?;
            match label_clauses(&hints, &case.expected, case.context) {
                Some(labels) if !clauses.is_empty() => {
                    self.used += 1;
                    for (words, label) in clauses.into_iter().zip(labels) {
                        self.examples.push((words, case.context, label));
                    }
                }
                _ => self.left_out_unresolved += 1,
            }
        }
        Ok(())
    }
}

/// The clause labels closest to `hints` that resolve to `expected`, if any.
fn label_clauses(
    hints: &[ClauseLabel],
    expected: &ParsedRequest,
    context: Option<SystemContext>,
) -> Option<Vec<ClauseLabel>> {
    let mut shared: Vec<ClauseLabel> = clause_labels::INTENTS
        .into_iter()
        .filter(|i| *i != Intent::Edit)
        .map(ClauseLabel::intent)
        .collect();
    for edit in &expected.edits {
        for slot in [AttributeSlot::Named(edit.attribute), AttributeSlot::Inherit] {
            let label = match edit.kind {
                EditKind::Target => ClauseLabel::target(slot, edit.target.unwrap_or(5)),
                EditKind::Relative => ClauseLabel::relative(
                    slot,
                    edit.direction.unwrap_or(Direction::Increase),
                    edit.change.unwrap_or(1),
                ),
                EditKind::Direction => ClauseLabel::direction(slot, edit.direction),
                EditKind::Unclear => return None,
            };
            shared.push(label);
        }
        shared.push(ClauseLabel::inherit_kind(edit.attribute));
    }
    let candidates: Vec<Vec<ClauseLabel>> = hints
        .iter()
        .map(|h| {
            let mut c = vec![*h];
            c.extend(shared.iter().filter(|l| *l != h).copied());
            c
        })
        .collect();
    let total = candidates
        .iter()
        .try_fold(1usize, |n, c| n.checked_mul(c.len()))?;
    if total > MAX_LABELLINGS {
        return None;
    }
    let mut best: Option<(usize, Vec<ClauseLabel>)> = None;
    let mut pick = vec![0usize; candidates.len()];
    for _ in 0..total {
        let labels: Vec<ClauseLabel> = pick.iter().zip(&candidates).map(|(&i, c)| c[i]).collect();
        if same_parse(&clause_labels::resolve(&labels, context), expected) {
            let score: usize = labels.iter().zip(hints).map(|(l, h)| agreement(l, h)).sum();
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, labels));
            }
        }
        for (i, c) in pick.iter_mut().zip(&candidates) {
            *i += 1;
            if *i < c.len() {
                break;
            }
            *i = 0;
        }
    }
    best.map(|(_, labels)| labels)
}

/// How much a label agrees with the hint encoder's reading (the attribute weighs most).
fn agreement(a: &ClauseLabel, b: &ClauseLabel) -> usize {
    4 * usize::from(a.attribute == b.attribute)
        + 2 * usize::from(a.intent == b.intent)
        + usize::from(a.kind == b.kind)
        + usize::from(a.direction == b.direction)
        + usize::from(a.change == b.change)
        + usize::from(a.target == b.target)
}

/// Reads a JSON-lines test set (blank lines and lines starting with `//` are skipped).
pub fn load_cases(path: &Path) -> Result<Vec<EvalCase>, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let case: EvalCase = serde_json::from_str(line).map_err(|e| TrainError::BadTestCase {
            path: path.to_path_buf(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        cases.push(case);
    }
    Ok(cases)
}

/// Accuracies of a parser on a set of cases (fractions in 0..=1).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EvalReport {
    pub cases: usize,
    /// The whole parse equal (intent and every edit, in any order).
    pub exact: f64,
    pub intent: f64,
    /// Same set of edited attributes.
    pub attributes: f64,
    /// Over expected edits: the predicted edit of the same attribute has the same field.
    pub kind: f64,
    pub direction: f64,
    pub target: f64,
    pub change: f64,
    /// Messages with a polarity error ([`is_polarity_error`]).
    #[serde(default)]
    pub polarity_errors: usize,
    /// Messages that should edit nothing (questions, small talk, replies) but were read as edits.
    #[serde(default)]
    pub spurious_edits: usize,
    /// Messages left for the dialog to ask about (an `unclear` edit) that should have been edits.
    #[serde(default)]
    pub asked: usize,
    /// Texts that did not match exactly, with what the parser said.
    #[serde(skip)]
    pub failures: Vec<(EvalCase, ParsedRequest)>,
}

fn same_parse(a: &ParsedRequest, b: &ParsedRequest) -> bool {
    if a.intent != b.intent || a.edits.len() != b.edits.len() {
        return false;
    }
    a.edits.iter().all(|e| b.edits.contains(e))
}

/// An encoder parsing with other asking settings (for measuring them, e.g. another confidence
/// threshold for retrained weights).
pub struct WithOptions<'a>(pub &'a LanguageEncoder, pub ParseOptions);

impl RequestParser for WithOptions<'_> {
    fn parse(&self, text: &str, context: Option<SystemContext>) -> ParsedRequest {
        self.0.parse_scored_with(text, context, self.1).request
    }
}

/// Runs `parser` over `cases`.
pub fn evaluate(parser: &dyn RequestParser, cases: &[EvalCase]) -> EvalReport {
    let mut report = EvalReport {
        cases: cases.len(),
        ..EvalReport::default()
    };
    let (mut exact, mut intent, mut attributes) = (0usize, 0usize, 0usize);
    let (mut edits, mut kind, mut direction, mut target, mut change) = (0usize, 0, 0, 0, 0);
    for case in cases {
        let got = parser.parse(&case.text, case.context);
        if is_polarity_error(&case.expected, &got) {
            report.polarity_errors += 1;
        }
        if case.expected.edits.is_empty() && !got.edits.is_empty() {
            report.spurious_edits += 1;
        }
        if got.edits.iter().any(|e| e.kind == EditKind::Unclear) {
            report.asked += 1;
        }
        if same_parse(&got, &case.expected) {
            exact += 1;
        } else {
            report.failures.push((case.clone(), got.clone()));
        }
        if got.intent == case.expected.intent {
            intent += 1;
        }
        let mut want_attrs: Vec<_> = case.expected.edits.iter().map(|e| e.attribute).collect();
        let mut got_attrs: Vec<_> = got.edits.iter().map(|e| e.attribute).collect();
        want_attrs.sort();
        got_attrs.sort();
        if want_attrs == got_attrs {
            attributes += 1;
        }
        for want in &case.expected.edits {
            edits += 1;
            if let Some(g) = got.edits.iter().find(|g| g.attribute == want.attribute) {
                kind += usize::from(g.kind == want.kind);
                direction += usize::from(g.direction == want.direction);
                target += usize::from(g.target == want.target);
                change += usize::from(g.change == want.change);
            }
        }
    }
    let frac = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    report.exact = frac(exact, cases.len());
    report.intent = frac(intent, cases.len());
    report.attributes = frac(attributes, cases.len());
    report.kind = frac(kind, edits);
    report.direction = frac(direction, edits);
    report.target = frac(target, edits);
    report.change = frac(change, edits);
    report
}
