//! Tiers: named precision targets, strictest first (`A=0.8,B=0.6,C=0.4,D`). Each tier's cutoff
//! is chosen on the operating curve by the same rule as the MQL cutoff
//! ([`cutoff_for_precision`](crate::curve::cutoff_for_precision)); a lead gets the strictest
//! tier whose cutoff its score reaches, else the rest (the last name, given without a target).
//!
//! The one definition of tiers: `leadscore-serve --tiers` (the tier of every scored lead) and
//! the report's "by tier" chart and table (`leadscore-train report --tiers`) both parse, check
//! and apply them here.
//!
//! ```
//! use leadscore_core::tiers::{tier_of, Tiers};
//!
//! let tiers = Tiers::parse("hot=0.8, warm=0.6, cold")?;
//! assert_eq!(tiers.targets[1].name, "warm");
//! assert_eq!(tiers.rest.as_deref(), Some("cold"));
//! // With cutoffs 0.9 (hot) and 0.7 (warm), chosen on a curve by `Tiers::cutoffs`:
//! let cutoffs = [("hot", Some(0.9)), ("warm", Some(0.7))];
//! assert_eq!(tier_of(cutoffs, Some("cold"), 0.75), Some("warm"));
//! assert_eq!(tier_of(cutoffs, Some("cold"), 0.2), Some("cold"));
//! # Ok::<(), leadscore_core::tiers::TiersError>(())
//! ```

use crate::curve::{tier_cutoffs, OperatingCurve, OperatingPoint};

/// One tier as a precision target (`A=0.8`).
#[derive(Debug, Clone, PartialEq)]
pub struct TierTarget {
    /// The tier's name (`A`).
    pub name: String,
    /// Its target precision, in (0, 1).
    pub target_precision: f64,
}

/// Tiers: precision targets strictest first, and the name of the leads below them all.
///
/// The default is no tiers (what an empty `--tiers` gives); [`Tiers::standard`] is the
/// command lines' default, `A=0.8,B=0.6,C=0.4,D`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tiers {
    /// Named targets, strictest first; targets strictly decrease.
    pub targets: Vec<TierTarget>,
    /// The name given to leads below every tier (`D`), or none.
    pub rest: Option<String>,
}

/// Why a tier specification was refused: the text given and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("tiers `{text}`: {problem}")]
pub struct TiersError {
    /// The whole specification, as given.
    pub text: String,
    /// What is wrong with it.
    pub problem: TierProblem,
}

/// What is wrong with a tier specification.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TierProblem {
    /// `=0.5`: a target without a name.
    #[error("a tier has no name (`={target}`)")]
    NoName {
        /// The text after `=`.
        target: String,
    },
    /// `A=x`.
    #[error("tier {name}: `{value}` is not a number")]
    NotANumber {
        /// The tier.
        name: String,
        /// The text after `=`.
        value: String,
    },
    /// `A=1.2`, `A=0`, `A=NaN`.
    #[error("tier {name}: target {target} must lie strictly between 0 and 1")]
    OutOfRange {
        /// The tier.
        name: String,
        /// Its target.
        target: f64,
    },
    /// `A=0.6,B=0.8`: a target at or above the one before it.
    #[error(
        "tier {name}: targets must decrease (strictest first), but {target} follows {previous_target} (tier {previous})"
    )]
    NotDecreasing {
        /// The tier out of order.
        name: String,
        /// Its target.
        target: f64,
        /// The tier before it.
        previous: String,
        /// That tier's target.
        previous_target: f64,
    },
    /// `A,B=0.5`: a name without `=target` that is not the last.
    #[error("tier {name} has no `=target`; only the last name (the rest) may omit it")]
    MissingTarget {
        /// The name.
        name: String,
    },
    /// `A=0.8,A`.
    #[error("tier name {name} appears twice")]
    Duplicate {
        /// The repeated name.
        name: String,
    },
}

impl Tiers {
    /// The command lines' default tiers.
    pub const STANDARD: &'static str = "A=0.8,B=0.6,C=0.4,D";

    /// `A=0.8,B=0.6,C=0.4,D` ([`Tiers::STANDARD`]).
    pub fn standard() -> Self {
        let tier = |name: &str, target_precision| TierTarget {
            name: name.into(),
            target_precision,
        };
        Self {
            targets: vec![tier("A", 0.8), tier("B", 0.6), tier("C", 0.4)],
            rest: Some("D".into()),
        }
    }

    /// Parses `A=0.8,B=0.6,C=0.4,D`: comma-separated `name=target` items, targets strictly
    /// decreasing and each in (0, 1); an optional last name without `=` names the rest; names
    /// distinct. Spaces around items, names and numbers are ignored, and so are empty items
    /// (a trailing comma); an empty text means no tiers.
    pub fn parse(text: &str) -> Result<Self, TiersError> {
        let bad = |problem| TiersError {
            text: text.to_string(),
            problem,
        };
        let mut tiers = Tiers::default();
        let parts: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        for (i, part) in parts.iter().enumerate() {
            match part.split_once('=') {
                Some((name, target)) => {
                    let (name, target) = (name.trim(), target.trim());
                    if name.is_empty() {
                        return Err(bad(TierProblem::NoName {
                            target: target.to_string(),
                        }));
                    }
                    let target_precision: f64 = target.parse().map_err(|_| {
                        bad(TierProblem::NotANumber {
                            name: name.to_string(),
                            value: target.to_string(),
                        })
                    })?;
                    if !(target_precision > 0.0 && target_precision < 1.0) {
                        return Err(bad(TierProblem::OutOfRange {
                            name: name.to_string(),
                            target: target_precision,
                        }));
                    }
                    if let Some(previous) = tiers.targets.last() {
                        if target_precision >= previous.target_precision {
                            return Err(bad(TierProblem::NotDecreasing {
                                name: name.to_string(),
                                target: target_precision,
                                previous: previous.name.clone(),
                                previous_target: previous.target_precision,
                            }));
                        }
                    }
                    tiers.targets.push(TierTarget {
                        name: name.to_string(),
                        target_precision,
                    });
                }
                None if i + 1 == parts.len() => tiers.rest = Some((*part).to_string()),
                None => {
                    return Err(bad(TierProblem::MissingTarget {
                        name: (*part).to_string(),
                    }))
                }
            }
        }
        let mut names: Vec<&str> = tiers.targets.iter().map(|t| t.name.as_str()).collect();
        names.extend(tiers.rest.as_deref());
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(bad(TierProblem::Duplicate {
                    name: (*name).to_string(),
                }));
            }
        }
        Ok(tiers)
    }

    /// Whether there are no tiers at all (no targets and no rest).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.rest.is_none()
    }

    /// Each tier's cutoff on `curve`, strictest first: the MQL cutoff rule with the tier's
    /// target at `confidence`. A target the curve cannot support gets no cutoff: that tier is
    /// never given. (Cutoffs never increase from one tier to the next: a lower target accepts
    /// every threshold a higher one does.)
    pub fn cutoffs(&self, curve: &OperatingCurve, confidence: f64) -> Vec<TierCutoff> {
        let targets: Vec<(String, f64)> = self
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.target_precision))
            .collect();
        tier_cutoffs(curve, &targets, confidence)
            .into_iter()
            .zip(&self.targets)
            .map(|((name, point), t)| TierCutoff {
                name,
                target_precision: t.target_precision,
                point,
            })
            .collect()
    }
}

/// One tier's cutoff on an operating curve.
#[derive(Debug, Clone, PartialEq)]
pub struct TierCutoff {
    /// The tier's name.
    pub name: String,
    /// Its target precision.
    pub target_precision: f64,
    /// The operating point of its cutoff, or `None` when the target cannot be met.
    pub point: Option<OperatingPoint>,
}

impl TierCutoff {
    /// The lowest score in the tier, if it is ever given.
    pub fn threshold(&self) -> Option<f64> {
        self.point.as_ref().map(|p| p.threshold)
    }
}

/// The tier of `score`: the first (strictest) of `cutoffs` — `(name, threshold)`, strictest
/// first, as [`Tiers::cutoffs`] gives them — whose threshold the score reaches, else `rest`. A
/// tier without a threshold (target not met) is never given; a NaN score gets the rest.
pub fn tier_of<'a>(
    cutoffs: impl IntoIterator<Item = (&'a str, Option<f64>)>,
    rest: Option<&'a str>,
    score: f64,
) -> Option<&'a str> {
    cutoffs
        .into_iter()
        .find(|(_, threshold)| threshold.is_some_and(|t| score >= t))
        .map(|(name, _)| name)
        .or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{cutoff_for_precision, CurveKind, CurvePoint};

    fn problem(text: &str) -> TierProblem {
        let e = Tiers::parse(text).unwrap_err();
        assert_eq!(e.text, text);
        e.problem
    }

    #[test]
    fn parses_targets_and_the_rest() {
        let t = Tiers::parse("A=0.8, B=0.6,C=0.4,D").unwrap();
        assert_eq!(t, Tiers::standard());
        assert_eq!(Tiers::parse(Tiers::STANDARD).unwrap(), Tiers::standard());
        assert_eq!(t.targets.len(), 3);
        assert_eq!(t.targets[1].name, "B");
        assert_eq!(t.targets[1].target_precision, 0.6);
        assert_eq!(t.rest.as_deref(), Some("D"));
        // Names may have inner spaces; spaces around them and empty items are dropped.
        let t = Tiers::parse(" hot leads = 0.8 , warm=0.6,, ").unwrap();
        assert_eq!(t.targets[0].name, "hot leads");
        assert_eq!(t.targets[0].target_precision, 0.8);
        assert_eq!(t.rest, None);
        // Only a rest: every lead gets it.
        let t = Tiers::parse("all").unwrap();
        assert!(t.targets.is_empty());
        assert_eq!(t.rest.as_deref(), Some("all"));
    }

    #[test]
    fn empty_means_no_tiers() {
        for text in ["", "  ", ","] {
            let t = Tiers::parse(text).unwrap();
            assert_eq!(t, Tiers::default());
            assert!(t.is_empty());
        }
        assert!(!Tiers::standard().is_empty());
    }

    #[test]
    fn each_problem_is_named() {
        assert_eq!(
            problem("=0.5"),
            TierProblem::NoName {
                target: "0.5".into()
            }
        );
        assert_eq!(
            problem("A=x"),
            TierProblem::NotANumber {
                name: "A".into(),
                value: "x".into()
            }
        );
        assert_eq!(
            problem("A="),
            TierProblem::NotANumber {
                name: "A".into(),
                value: String::new()
            }
        );
        for bad in ["A=1.2", "A=1", "A=0", "A=-0.5", "A=NaN", "A=inf"] {
            assert!(
                matches!(problem(bad), TierProblem::OutOfRange { ref name, .. } if name == "A"),
                "{bad}"
            );
        }
        assert_eq!(
            problem("A,B=0.5"),
            TierProblem::MissingTarget { name: "A".into() }
        );
        assert_eq!(
            problem("A=0.8,A"),
            TierProblem::Duplicate { name: "A".into() }
        );
        assert_eq!(
            problem("A=0.8,B=0.6,A=0.4"),
            TierProblem::Duplicate { name: "A".into() }
        );
    }

    #[test]
    fn targets_must_strictly_decrease() {
        assert_eq!(
            problem("A=0.6,B=0.8"),
            TierProblem::NotDecreasing {
                name: "B".into(),
                target: 0.8,
                previous: "A".into(),
                previous_target: 0.6,
            }
        );
        assert!(matches!(
            problem("A=0.6,B=0.6"),
            TierProblem::NotDecreasing { .. }
        ));
        assert!(matches!(
            problem("A=0.8,B=0.4,C=0.5,D"),
            TierProblem::NotDecreasing { ref name, .. } if name == "C"
        ));
    }

    #[test]
    fn messages_quote_the_text_and_name_the_tier() {
        let m = |text: &str| Tiers::parse(text).unwrap_err().to_string();
        assert_eq!(m("A=x"), "tiers `A=x`: tier A: `x` is not a number");
        assert_eq!(
            m("A=0.5,B=0.8"),
            "tiers `A=0.5,B=0.8`: tier B: targets must decrease (strictest first), but 0.8 follows 0.5 (tier A)"
        );
        assert_eq!(
            m("A=1.5"),
            "tiers `A=1.5`: tier A: target 1.5 must lie strictly between 0 and 1"
        );
        assert_eq!(
            m("A,B=0.5"),
            "tiers `A,B=0.5`: tier A has no `=target`; only the last name (the rest) may omit it"
        );
        assert_eq!(m("A=0.8,A"), "tiers `A=0.8,A`: tier name A appears twice");
        assert_eq!(m("=0.5"), "tiers `=0.5`: a tier has no name (`=0.5`)");
    }

    /// 200 positives of 1000 leads; precision falls as the threshold does.
    fn curve() -> OperatingCurve {
        let pt = |threshold, tp, fp| CurvePoint { threshold, tp, fp };
        OperatingCurve {
            kind: CurveKind::PerExample,
            total: 1000,
            positives: 200,
            points: vec![
                pt(0.9, 95, 5),
                pt(0.8, 150, 20),
                pt(0.7, 180, 60),
                pt(0.5, 195, 300),
                pt(0.1, 200, 800),
            ],
        }
    }

    #[test]
    fn cutoffs_follow_the_mql_rule_strictest_first() {
        let c = curve();
        let tiers = Tiers::parse("A=0.85,B=0.6,C=0.3,Z=0.05,rest").unwrap();
        let cutoffs = tiers.cutoffs(&c, 0.95);
        assert_eq!(cutoffs.len(), 4);
        for (cutoff, target) in cutoffs.iter().zip(&tiers.targets) {
            assert_eq!(cutoff.name, target.name);
            assert_eq!(cutoff.target_precision, target.target_precision);
            assert_eq!(
                cutoff.point,
                cutoff_for_precision(&c, target.target_precision, 0.95).ok(),
                "{}",
                cutoff.name
            );
        }
        let thresholds: Vec<Option<f64>> = cutoffs.iter().map(TierCutoff::threshold).collect();
        assert!(thresholds.iter().all(Option::is_some), "{thresholds:?}");
        assert!(
            thresholds.windows(2).all(|w| w[0] >= w[1]),
            "{thresholds:?}"
        );
        // An unattainable target gets no cutoff (and the tiers after it still get theirs).
        let cutoffs = Tiers::parse("top=0.99,A=0.85").unwrap().cutoffs(&c, 0.95);
        assert_eq!(cutoffs[0].point, None);
        assert!(cutoffs[1].point.is_some());
        assert!(Tiers::default().cutoffs(&c, 0.95).is_empty());
    }

    #[test]
    fn a_score_gets_the_strictest_tier_it_reaches() {
        let cutoffs = [("A", Some(0.9)), ("B", None), ("C", Some(0.5))];
        assert_eq!(tier_of(cutoffs, Some("D"), 0.95), Some("A"));
        assert_eq!(tier_of(cutoffs, Some("D"), 0.9), Some("A"), "at the cutoff");
        // B's target is not met: it is never given, its leads fall through to C.
        assert_eq!(tier_of(cutoffs, Some("D"), 0.7), Some("C"));
        assert_eq!(tier_of(cutoffs, Some("D"), 0.5), Some("C"));
        assert_eq!(tier_of(cutoffs, Some("D"), 0.49), Some("D"));
        assert_eq!(tier_of(cutoffs, None, 0.49), None);
        assert_eq!(tier_of(cutoffs, Some("D"), f64::NAN), Some("D"));
        assert_eq!(tier_of([], Some("all"), 0.99), Some("all"));
        assert_eq!(tier_of([], None, 0.99), None);
    }

    #[test]
    fn lookup_over_computed_cutoffs() {
        let c = curve();
        let tiers = Tiers::standard();
        let cutoffs = tiers.cutoffs(&c, 0.95);
        let of = |score| {
            tier_of(
                cutoffs.iter().map(|t| (t.name.as_str(), t.threshold())),
                tiers.rest.as_deref(),
                score,
            )
        };
        let a = cutoffs[0].threshold().expect("A attainable on this curve");
        assert_eq!(of(1.0), Some("A"));
        assert_eq!(of(a), Some("A"));
        assert_eq!(of(0.0), Some("D"));
    }
}
