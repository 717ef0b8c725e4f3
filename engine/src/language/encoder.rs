//! The learned part of the language encoder (paper sec. 3.3, supplement B): word embeddings, a
//! bidirectional LSTM over the clause (whose first token is the dialog-context token), read out
//! as its last states plus a max over time, and three
//! context-specific sets of heads (no context / after a suggestion / after a check) that share the
//! embedding and LSTM, as the paper's context-specific encoders do. Each head set predicts intent,
//! attribute, request kind, direction, degree change and target degree.

use super::clause::HEAD_SIZES;
use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{embedding, linear, lstm, Embedding, LSTMConfig, Linear, VarBuilder, LSTM, RNN};
use serde::{Deserialize, Serialize};

/// Sizes of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderConfig {
    pub vocab_size: usize,
    pub embed_dim: usize,
    pub hidden_dim: usize,
    pub head_dim: usize,
}

/// Number of context-specific head sets.
pub const CONTEXT_HEADS: usize = 3;

/// One context's heads: a shared hidden layer, then one linear layer per output.
#[derive(Debug, Clone)]
struct HeadSet {
    hidden: Linear,
    outputs: Vec<Linear>,
}

impl HeadSet {
    fn new(config: &EncoderConfig, vb: VarBuilder) -> Result<Self> {
        let features = 4 * config.hidden_dim;
        let hidden = linear(features, config.head_dim, vb.pp("hidden"))?;
        let outputs = HEAD_SIZES
            .iter()
            .enumerate()
            .map(|(i, n)| linear(config.head_dim, *n, vb.pp(format!("out{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { hidden, outputs })
    }

    fn forward(&self, features: &Tensor, train: bool) -> Result<Vec<Tensor>> {
        let mut h = self.hidden.forward(features)?.relu()?;
        if train {
            h = candle_nn::ops::dropout(&h, 0.2)?;
        }
        self.outputs.iter().map(|l| l.forward(&h)).collect()
    }
}

/// The encoder network.
#[derive(Debug, Clone)]
pub struct EncoderNet {
    config: EncoderConfig,
    embedding: Embedding,
    forward_lstm: LSTM,
    backward_lstm: LSTM,
    heads: Vec<HeadSet>,
}

/// A batch of clauses as left-padded id tensors.
pub struct ClauseBatch {
    /// `[batch, len]` u32, tokens in reading order, left-padded.
    pub forward_ids: Tensor,
    /// `[batch, len]` u32, tokens in reverse order, left-padded.
    pub backward_ids: Tensor,
    /// `[batch, CONTEXT_HEADS]` f32 one-hot of the head set each clause uses.
    pub head_mask: Tensor,
}

impl ClauseBatch {
    /// Builds a batch from clause ids (context token first) and head-set indices.
    pub fn new(clauses: &[Vec<u32>], heads: &[usize], device: &Device) -> Result<Self> {
        let batch = clauses.len();
        let len = clauses.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let mut fwd = vec![0u32; batch * len];
        let mut bwd = vec![0u32; batch * len];
        for (b, ids) in clauses.iter().enumerate() {
            let pad = len - ids.len();
            for (t, id) in ids.iter().enumerate() {
                fwd[b * len + pad + t] = *id;
                bwd[b * len + pad + t] = ids[ids.len() - 1 - t];
            }
        }
        let mut mask = vec![0f32; batch * CONTEXT_HEADS];
        for (b, h) in heads.iter().enumerate() {
            mask[b * CONTEXT_HEADS + (*h).min(CONTEXT_HEADS - 1)] = 1.0;
        }
        Ok(Self {
            forward_ids: Tensor::from_vec(fwd, (batch, len), device)?,
            backward_ids: Tensor::from_vec(bwd, (batch, len), device)?,
            head_mask: Tensor::from_vec(mask, (batch, CONTEXT_HEADS), device)?,
        })
    }
}

impl EncoderNet {
    /// Creates (training) or loads (inference) the network's variables under `vb`.
    pub fn new(config: EncoderConfig, vb: VarBuilder) -> Result<Self> {
        let embedding = embedding(config.vocab_size, config.embed_dim, vb.pp("embedding"))?;
        let forward_lstm = lstm(
            config.embed_dim,
            config.hidden_dim,
            LSTMConfig::default(),
            vb.pp("lstm_forward"),
        )?;
        let backward_lstm = lstm(
            config.embed_dim,
            config.hidden_dim,
            LSTMConfig::default(),
            vb.pp("lstm_backward"),
        )?;
        let heads = (0..CONTEXT_HEADS)
            .map(|i| HeadSet::new(&config, vb.pp(format!("heads{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            config,
            embedding,
            forward_lstm,
            backward_lstm,
            heads,
        })
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The last hidden state and the max over the non-padding positions, concatenated:
    /// `[batch, 2 * hidden]`.
    fn read(&self, lstm: &LSTM, ids: &Tensor, train: bool) -> Result<Tensor> {
        let mut x = self.embedding.forward(ids)?;
        if train {
            x = candle_nn::ops::dropout(&x, 0.1)?;
        }
        let states = lstm.seq(&x)?;
        let last = match states.last() {
            Some(s) => s.h().clone(),
            None => candle_core::bail!("empty clause batch"),
        };
        let all = lstm.states_to_tensor(&states)?;
        // Padding positions (id 0) get a large negative offset so the max ignores them.
        let padding = ids.eq(0u32)?.to_dtype(DType::F32)?.unsqueeze(2)?;
        let pooled = all.broadcast_sub(&(padding * 1e4)?)?.max(1)?;
        Tensor::cat(&[last, pooled], D::Minus1)
    }

    /// Per-head logits `[batch, classes]`, each clause read by its context's head set.
    pub fn forward(&self, batch: &ClauseBatch, train: bool) -> Result<Vec<Tensor>> {
        let f = self.read(&self.forward_lstm, &batch.forward_ids, train)?;
        let b = self.read(&self.backward_lstm, &batch.backward_ids, train)?;
        let features = Tensor::cat(&[f, b], D::Minus1)?;
        let mut combined: Option<Vec<Tensor>> = None;
        for (k, heads) in self.heads.iter().enumerate() {
            let mask = batch.head_mask.narrow(1, k, 1)?;
            let logits = heads.forward(&features, train)?;
            let masked: Vec<Tensor> = logits
                .iter()
                .map(|l| l.broadcast_mul(&mask))
                .collect::<Result<_>>()?;
            combined = Some(match combined {
                None => masked,
                Some(prev) => prev
                    .iter()
                    .zip(masked.iter())
                    .map(|(a, b)| a + b)
                    .collect::<Result<_>>()?,
            });
        }
        match combined {
            Some(c) => Ok(c),
            None => candle_core::bail!("encoder has no heads"),
        }
    }

    /// Sum of the cross-entropy losses of all heads; `targets[h]` is `[batch]` u32.
    pub fn loss(&self, batch: &ClauseBatch, targets: &[Tensor]) -> Result<Tensor> {
        let logits = self.forward(batch, true)?;
        let mut total = Tensor::zeros((), DType::F32, batch.forward_ids.device())?;
        for (l, t) in logits.iter().zip(targets.iter()) {
            total = (total + candle_nn::loss::cross_entropy(l, t)?)?;
        }
        Ok(total)
    }
}
