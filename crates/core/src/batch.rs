//! One lead's whole decision outside the server: its score, MQL decision, tier, log-odds split,
//! percentiles, gates and key factors, from its values and events at one moment. What
//! `leadscore-train score` and the Python package compute per lead, with the server's code
//! underneath (the featurizer, the scorer, the gates, the factor texts, the cutoff and tiers
//! from the same target), so all three agree on every lead.

use crate::artifact::ModelArtifact;
use crate::curve::cutoff_for_precision;
use crate::explain::{
    contributions, describe_row, factor_groups, percentile_of, strongest, FactorGroup, Part,
};
use crate::fitted::{FittedTransform, LeadEvent};
use crate::gates::Gates;
use crate::model::{sigmoid, Scorer};
use crate::tiers::{tier_of, Tiers};
use crate::value::{parse_number, FieldValue};

/// How far past `as_of` a date may lie and still count as known then (clock skew).
pub use crate::fitted::FUTURE_SLACK_SECONDS;

/// A problem with one field of a lead (the caller names the row).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The column (empty when no single column is to blame).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// One key factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// The input column or event type.
    pub field: String,
    /// Named by the lead's own value.
    pub factor: String,
    /// Fit or engagement.
    pub part: Part,
    /// Contribution to the log-odds against the average training lead.
    pub contribution: f64,
}

/// One lead's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Probability of converting within the model's horizon.
    pub score: f64,
    /// Log-odds.
    pub log_odds: f64,
    /// At or above the cutoff, and no gate holds it back.
    pub mql: bool,
    /// Its tier (the rest tier when a gate holds it back).
    pub tier: Option<String>,
    /// The average training example's log-odds.
    pub baseline: f64,
    /// The fit part of the log-odds.
    pub fit: f64,
    /// The engagement part.
    pub engagement: f64,
    /// Fit percentile among training examples.
    pub fit_percentile: Option<f64>,
    /// Engagement percentile among training examples.
    pub engagement_percentile: Option<f64>,
    /// Names of the gates that hold it back.
    pub held_back: Vec<String>,
    /// Columns (spec order) whose value training did not see.
    pub unseen: Vec<usize>,
    /// Age-aware models: the lead's age in days, and the age it was scored as (clamped to the
    /// landmarks).
    pub age: Option<(f64, f64)>,
    /// Positive factors, strongest first, then negative ones.
    pub factors: Vec<Factor>,
}

/// A model ready to decide leads at a target precision.
#[derive(Debug)]
pub struct LeadScorer<'a> {
    artifact: &'a ModelArtifact,
    scorer: Scorer,
    groups: Vec<FactorGroup>,
    gates: Gates,
    /// The MQL threshold.
    pub threshold: f64,
    tiers: Vec<(String, Option<f64>)>,
    rest: Option<String>,
    x: Vec<f64>,
    contrib: Vec<f64>,
}

impl<'a> LeadScorer<'a> {
    /// The cutoff for `target_precision` at `confidence` and the tiers' cutoffs, on the
    /// artifact's holdout curve with its own gates, as the server computes them.
    pub fn new(
        artifact: &'a ModelArtifact,
        target_precision: f64,
        confidence: f64,
        tiers: &Tiers,
    ) -> Result<Self, String> {
        Self::with_gates(artifact, target_precision, confidence, tiers, None)
    }

    /// [`LeadScorer::new`] with `gates` in force instead of the model's (as the server's
    /// `--gates`): the cutoff and the tiers' cutoffs on the model's holdout curve rebuilt
    /// with them ([`crate::gates::curve_with_gates`]), each lead held back by them.
    pub fn with_gates(
        artifact: &'a ModelArtifact,
        target_precision: f64,
        confidence: f64,
        tiers: &Tiers,
        gates: Option<&[crate::gates::GateSpec]>,
    ) -> Result<Self, String> {
        let specs = gates.unwrap_or(&artifact.gates);
        let rebuilt;
        let curve = if specs == artifact.gates.as_slice() {
            &artifact.curve
        } else {
            rebuilt = crate::gates::curve_with_gates(artifact, specs)?;
            &rebuilt
        };
        let op = cutoff_for_precision(curve, target_precision, confidence)
            // Every error names the target or the curve itself.
            .map_err(|e| e.to_string())?;
        let gates = Gates::for_spec(specs, &artifact.spec)
            .map_err(|e| format!("model {}: gates: {e}", artifact.model_id))?;
        Ok(Self {
            scorer: Scorer::new(&artifact.model),
            groups: factor_groups(&artifact.spec),
            gates,
            threshold: op.threshold,
            tiers: tiers
                .cutoffs(curve, confidence)
                .into_iter()
                .map(|t| (t.name, t.point.map(|p| p.threshold)))
                .collect(),
            rest: tiers.rest.clone(),
            x: vec![0.0; artifact.spec.width()],
            contrib: Vec::new(),
            artifact,
        })
    }

    /// Tier names with their lowest score (`None`: never given), strictest first, then the
    /// rest tier's name.
    pub fn tiers(&self) -> (&[(String, Option<f64>)], Option<&str>) {
        (&self.tiers, self.rest.as_deref())
    }

    /// Decides one lead: `values` in the spec's column order, its events (those after `as_of`
    /// must be left out by the caller), up to `factors` factors of each sign.
    pub fn decide(
        &mut self,
        values: &[FieldValue<'_>],
        events: &[LeadEvent<'_>],
        as_of: i64,
        factors: usize,
    ) -> Result<Decision, FieldError> {
        let spec = &self.artifact.spec;
        check_values(self.artifact, values)?;
        let mut unseen = Vec::new();
        spec.featurize_values_noting_unseen(values, events, Some(as_of), &mut self.x, &mut unseen)
            .map_err(|e| match e {
                crate::Error::Feature { column, problem } => FieldError {
                    column,
                    message: problem,
                },
                other => FieldError {
                    column: String::new(),
                    message: other.to_string(),
                },
            })?;
        let log_odds = self.scorer.log_odds(&self.x);
        if !log_odds.is_finite() {
            let column = self
                .x
                .iter()
                .enumerate()
                .find(|(i, v)| !self.scorer.contribution(*i, **v).is_finite())
                .map(|(i, _)| self.artifact.model.features[i].column.clone())
                .unwrap_or_default();
            return Err(FieldError {
                column,
                message: "the value is too large for this model to score".into(),
            });
        }
        let score = sigmoid(log_odds);
        let split = contributions(&self.scorer, &self.groups, &self.x, &mut self.contrib);
        let mut held = Vec::new();
        self.gates.held_back(values, &mut held);
        let held_back: Vec<String> = held
            .iter()
            .map(|g| self.gates.name(*g).to_string())
            .collect();
        let (pos, neg) = if factors == 0 {
            (Vec::new(), Vec::new())
        } else {
            strongest(&self.contrib, factors)
        };
        let factors = pos
            .into_iter()
            .chain(neg)
            .map(|(g, contribution)| {
                let group = &self.groups[g];
                Factor {
                    field: group.name.clone(),
                    factor: describe_row(spec, group, values, events, Some(as_of)),
                    part: group.part,
                    contribution,
                }
            })
            .collect();
        let eligible = held_back.is_empty();
        let tier = if eligible {
            tier_of(
                self.tiers.iter().map(|(n, c)| (n.as_str(), *c)),
                self.rest.as_deref(),
                score,
            )
        } else {
            self.rest.as_deref()
        }
        .map(str::to_string);
        let explain = self.artifact.explain.as_ref();
        let age = spec
            .columns
            .iter()
            .zip(values)
            .find_map(|(c, v)| match (&c.transform, v) {
                (FittedTransform::LeadAge { landmarks_days }, v) => {
                    let created = crate::value::field_time(*v, spec.date_order)?;
                    let (scored_as, _) = crate::fitted::lead_age(created, as_of, landmarks_days)?;
                    Some((crate::fitted::age_days(created, as_of), scored_as))
                }
                _ => None,
            });
        Ok(Decision {
            age,
            score,
            log_odds,
            mql: eligible && score >= self.threshold,
            tier,
            baseline: split.baseline,
            fit: split.fit,
            engagement: split.engagement,
            fit_percentile: explain.and_then(|e| percentile_of(&e.fit_percentiles, split.fit)),
            engagement_percentile: explain
                .and_then(|e| percentile_of(&e.engagement_percentiles, split.engagement)),
            held_back,
            unseen,
            factors,
        })
    }
}

/// The server's checks on a lead's values that featurizing does not make: numbers must be
/// finite. (A date more than five minutes after `as_of` is read as missing by featurizing, and
/// counted as unseen: [`crate::fitted::known_later`].)
pub fn check_values(artifact: &ModelArtifact, values: &[FieldValue<'_>]) -> Result<(), FieldError> {
    let spec = &artifact.spec;
    for (c, v) in spec.columns.iter().zip(values) {
        let problem = match (v, &c.transform) {
            (FieldValue::Text(text), _) if spec.is_missing_token(text) => None,
            (FieldValue::Text(text), FittedTransform::Numeric { .. })
                if parse_number(text).is_some_and(|x| !x.is_finite()) =>
            {
                Some(format!(
                    "expected a finite number, found {}",
                    crate::explain::Quoted(text)
                ))
            }
            (FieldValue::Number(x), FittedTransform::Numeric { .. }) if !x.is_finite() => {
                Some(format!("expected a finite number, found {x}"))
            }
            _ => None,
        };
        if let Some(message) = problem {
            return Err(FieldError {
                column: c.name.clone(),
                message,
            });
        }
    }
    Ok(())
}
