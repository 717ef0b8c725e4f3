//! Parse speed: the wall time of one `parse` call (normalisation, the network, the rules and
//! resolution) per request over a set of cases, as median and 95th percentile, for the
//! `talk-to-edit bench parse` benchmark. The goal (issue 14) is [`PARSE_GOAL_MS`] per request on
//! the project's 2-core CPU; the benchmark prints the measured time beside it as a ratio.

use super::train::EvalCase;
use super::RequestParser;
use std::time::Instant;

/// The per-request goal for `parse`, in milliseconds.
pub const PARSE_GOAL_MS: f64 = 5.0;

/// Per-request parse times over one set of cases (milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseTiming {
    /// Timed calls (cases x rounds).
    pub calls: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl ParseTiming {
    /// From per-call times in milliseconds (`None` when there are none).
    pub fn from_times(mut ms: Vec<f64>) -> Option<Self> {
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Some(ParseTiming {
            calls: ms.len(),
            median_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: ms[ms.len() - 1],
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        })
    }

    /// The median over the goal: below 1.0 meets it.
    pub fn median_ratio(&self) -> f64 {
        self.median_ms / PARSE_GOAL_MS
    }

    /// The 95th percentile over the goal.
    pub fn p95_ratio(&self) -> f64 {
        self.p95_ms / PARSE_GOAL_MS
    }
}

/// Times `parser.parse` on every case, `rounds` times over the whole set after one untimed
/// warm-up pass (first-call allocation and lazily loaded rule words are not counted).
pub fn time_parse(
    parser: &dyn RequestParser,
    cases: &[EvalCase],
    rounds: usize,
) -> Option<ParseTiming> {
    for case in cases {
        std::hint::black_box(parser.parse(&case.text, case.context));
    }
    let mut ms = Vec::with_capacity(cases.len() * rounds);
    for _ in 0..rounds {
        for case in cases {
            let started = Instant::now();
            let parsed = parser.parse(&case.text, case.context);
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(parsed);
        }
    }
    ParseTiming::from_times(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_times() {
        let t = ParseTiming::from_times((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!(t.calls, 100);
        assert_eq!(t.median_ms, 51.0);
        assert_eq!(t.p95_ms, 95.0);
        assert_eq!(t.max_ms, 100.0);
        assert!((t.mean_ms - 50.5).abs() < 1e-9);
        assert!((t.median_ratio() - 51.0 / PARSE_GOAL_MS).abs() < 1e-9);
        assert_eq!(ParseTiming::from_times(Vec::new()), None);
    }
}
