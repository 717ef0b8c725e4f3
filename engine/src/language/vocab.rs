//! The encoder's vocabulary: special tokens (padding, unknown word, one token per dialog context)
//! followed by the corpus words in frequency order, and the mapping of normalised words to ids
//! with typo repair.

use super::normalize::TypoRepair;
use super::SystemContext;
use std::collections::HashMap;

/// Padding token (id 0).
pub const PAD: &str = "<pad>";
/// Unknown-word token (id 1).
pub const UNK: &str = "<unk>";

/// The token that stands for the kind of the system's last feedback; it is the first token of
/// every clause. The attribute of the feedback is not shown to the network: a reply that refers
/// to it ("yes", "a bit more") is labelled "the attribute under discussion" and resolved after
/// the network, so what is learnt for one attribute holds for all five.
pub fn context_token(context: Option<SystemContext>) -> &'static str {
    match context {
        None => "<none>",
        Some(SystemContext::Suggest(_)) => "<suggest>",
        Some(SystemContext::Check(_)) => "<check>",
    }
}

/// Which context-specific head set reads a clause: 0 no context, 1 after a suggestion, 2 after a
/// check (the paper's context-specific encoders sharing embedding and LSTM).
pub fn context_head(context: Option<SystemContext>) -> usize {
    match context {
        None => 0,
        Some(SystemContext::Suggest(_)) => 1,
        Some(SystemContext::Check(_)) => 2,
    }
}

/// All special tokens, in id order.
pub fn special_tokens() -> Vec<String> {
    [PAD, UNK, "<none>", "<suggest>", "<check>"]
        .map(String::from)
        .to_vec()
}

/// Token <-> id mapping with typo repair for unknown words.
#[derive(Debug, Clone)]
pub struct Vocab {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    repair: TypoRepair,
}

impl Vocab {
    /// Builds the vocabulary from word counts: specials first, then words by descending count
    /// (ties alphabetical), dropping words seen fewer than `min_count` times.
    pub fn from_counts(counts: &HashMap<String, usize>, min_count: usize) -> Self {
        let mut words: Vec<(&String, &usize)> =
            counts.iter().filter(|(_, c)| **c >= min_count).collect();
        words.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut tokens = special_tokens();
        tokens.extend(words.into_iter().map(|(w, _)| w.clone()));
        Self::from_tokens(tokens)
    }

    /// Rebuilds a vocabulary from its saved token list (specials first).
    pub fn from_tokens(tokens: Vec<String>) -> Self {
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let repair = TypoRepair::new(tokens.iter().cloned());
        Self {
            tokens,
            ids,
            repair,
        }
    }

    /// Tokens in id order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Id of an exact token, if present.
    pub fn id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// The vocabulary word a user's word is read as: itself, its typo repair, or `<unk>`.
    pub fn canonical(&self, word: &str) -> String {
        self.repair.repair(word).unwrap_or_else(|| UNK.to_string())
    }

    /// Ids of a clause: the context token, then each word (repaired or unknown).
    pub fn encode_clause(&self, words: &[String], context: Option<SystemContext>) -> Vec<u32> {
        let unk = self.id(UNK).unwrap_or(1);
        let mut ids = Vec::with_capacity(words.len() + 1);
        ids.push(self.id(context_token(context)).unwrap_or(unk));
        for w in words {
            let canonical = self.canonical(w);
            ids.push(self.id(&canonical).unwrap_or(unk));
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::Attribute;

    #[test]
    fn specials_come_first_and_words_by_frequency() {
        let counts: HashMap<String, usize> = [("bangs", 5), ("the", 9), ("rare", 1)]
            .into_iter()
            .map(|(w, c)| (w.to_string(), c))
            .collect();
        let vocab = Vocab::from_counts(&counts, 2);
        assert_eq!(vocab.id(PAD), Some(0));
        assert_eq!(vocab.id(UNK), Some(1));
        let n = special_tokens().len() as u32;
        assert_eq!(vocab.id("the"), Some(n));
        assert_eq!(vocab.id("bangs"), Some(n + 1));
        assert_eq!(vocab.id("rare"), None);
        let ids = vocab.encode_clause(
            &["bnags".to_string(), "zzz".to_string()],
            Some(SystemContext::Check(Attribute::Age)),
        );
        assert_eq!(ids[0], vocab.id("<check>").unwrap());
        assert_eq!(ids[1], n + 1);
        assert_eq!(ids[2], 1);
    }
}
