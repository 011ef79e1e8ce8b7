//! A wide coded table (`leadscore-train demo-data --survey`): shaped like a survey export
//! joined to leads, one row per respondent, many columns of answer codes 0 to 9, and a
//! `converted` label driven roughly linearly by a few of them ([`SURVEY_SIGNAL`]).
//!
//! Answers share a respondent effect (people who answer high tend to answer high everywhere),
//! so the columns are correlated, and each column has its own typical answer. With bins on
//! every column such a table has ten times the features it needs: this is the data the
//! `bins = "auto"` search has to leave without bins.

use leadscore_core::model::sigmoid;
use leadscore_core::rng::SeededRng;
use std::io::Write;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyConfig {
    /// Respondents (rows).
    pub rows: usize,
    /// Coded answer columns, `q01`, `q02`, ...
    pub columns: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        Self {
            rows: 4_600,
            columns: 85,
            seed: 42,
        }
    }
}

/// The ground truth: (column number, 1-based; log-odds per code step). The log-odds are
/// [`SURVEY_INTERCEPT`] plus, for each, the weight times (code - 4.5).
pub const SURVEY_SIGNAL: [(usize, f64); 6] = [
    (3, 0.24),
    (11, -0.20),
    (19, 0.18),
    (27, 0.16),
    (40, -0.14),
    (58, 0.12),
];

/// Intercept of the ground truth (about 40% convert).
pub const SURVEY_INTERCEPT: f64 = -0.4;

/// The name of answer column `k` (1-based).
pub fn survey_column(k: usize) -> String {
    format!("q{k:02}")
}

/// Writes the table as CSV (`respondent_id`, `q01`..., `converted` as 1/0); returns (rows,
/// converted).
pub fn write_survey_csv<W: Write>(
    config: &SurveyConfig,
    out: W,
) -> std::io::Result<(usize, usize)> {
    let mut out = std::io::BufWriter::new(out);
    let mut rng = SeededRng::new(config.seed ^ 0x5EED_5A11);
    // Each column's typical answer and spread.
    let centre: Vec<f64> = (0..config.columns)
        .map(|_| 2.5 + 4.0 * rng.uniform())
        .collect();
    let spread: Vec<f64> = (0..config.columns)
        .map(|_| 1.5 + 1.5 * rng.uniform())
        .collect();
    let mut header = String::from("respondent_id");
    for k in 1..=config.columns {
        header.push(',');
        header.push_str(&survey_column(k));
    }
    header.push_str(",converted\n");
    out.write_all(header.as_bytes())?;
    let mut converted = 0;
    let mut codes = vec![0u8; config.columns];
    let mut line = String::new();
    for r in 0..config.rows {
        let respondent = rng.normal();
        for (j, code) in codes.iter_mut().enumerate() {
            let z = 0.6 * respondent + 0.8 * rng.normal();
            *code = (centre[j] + spread[j] * z).round().clamp(0.0, 9.0) as u8;
        }
        let log_odds = SURVEY_INTERCEPT
            + SURVEY_SIGNAL
                .iter()
                .filter(|(k, _)| *k <= config.columns)
                .map(|(k, w)| w * (f64::from(codes[k - 1]) - 4.5))
                .sum::<f64>();
        let label = rng.bernoulli(sigmoid(log_odds));
        converted += usize::from(label);
        line.clear();
        line.push_str(&format!("R{:05}", r + 1));
        for c in &codes {
            line.push(',');
            line.push(char::from(b'0' + c));
        }
        line.push_str(if label { ",1\n" } else { ",0\n" });
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok((config.rows, converted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_coded_and_labelled() {
        let config = SurveyConfig {
            rows: 2_000,
            ..SurveyConfig::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (rows, converted) = write_survey_csv(&config, &mut a).unwrap();
        write_survey_csv(&config, &mut b).unwrap();
        assert_eq!(a, b, "the same seed gives the same table");
        assert_eq!(rows, 2_000);
        let rate = converted as f64 / rows as f64;
        assert!((0.3..0.5).contains(&rate), "conversion rate {rate}");
        let text = String::from_utf8(a).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2_001);
        assert!(
            lines[0].starts_with("respondent_id,q01,q02,") && lines[0].ends_with(",q85,converted")
        );
        let mut seen = std::collections::HashSet::new();
        for l in &lines[1..] {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), 87);
            for c in &cells[1..86] {
                assert!(matches!(c.as_bytes(), [b'0'..=b'9']), "{c}");
                seen.insert(*c);
            }
        }
        assert_eq!(seen.len(), 10, "every code 0-9 appears");
    }
}
