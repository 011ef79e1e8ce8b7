//! Gates: the hard rules of an MQL definition that sit beside the score ("students and
//! competitors are never handed to sales", "a business email is required").
//!
//! A gate is written in the spec (or the server's configuration) as
//!
//! ```toml
//! [[gates]]
//! name = "students and competitors are not eligible"
//! never_mql_when = { email_class = ["education", "competitor"] }
//!
//! [[gates]]
//! name = "business email required"
//! mql_requires = { email_class = ["business"] }
//! ```
//!
//! Each key of a condition is an input column (its value compared case-insensitively; a
//! boolean column compares yes/no; a multi-select column matches when any option the value
//! includes is listed) or a class derived from one: `email_class`, `email_domain`
//! (from the email column) and `seniority` (from the job-title column); `email_class:<column>`
//! names the column when there are several. `"(missing)"` in a list matches a missing value
//! (and, in a yes/no column, a value that is neither yes nor no: it is scored as missing).
//! Several keys in one condition must all match. A gate **holds back** a lead when its
//! `never_mql_when` matches or its `mql_requires` does not: the lead keeps its score but is
//! not an MQL. Gates apply after the score and before the cutoff, and the cutoff is chosen on
//! the gated holdout, so the precision promise holds for the leads actually handed over.

use crate::curve::{CurveKind, Life, OperatingCurve};
use crate::fitted::{FittedSpec, FittedTransform};
use crate::metrics::MetricsError;
use crate::value::{
    bool_of, email_class, parse_bool, seniority, EmailClass, EmailRules, FieldValue, Seniority,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The token that matches a missing value in a gate's list.
pub const MISSING: &str = "(missing)";

/// One gate as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Shown in responses and the report.
    pub name: String,
    /// The lead is never an MQL when every key matches one of its values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub never_mql_when: BTreeMap<String, Vec<String>>,
    /// The lead is an MQL only when every key matches one of its values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mql_requires: BTreeMap<String, Vec<String>>,
}

/// What a gate can see of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// Compared by value.
    Categorical,
    /// Compared by each option the value includes (split at this separator).
    MultiSelect(String),
    /// Compared as yes/no.
    Boolean,
    /// Compared by `email_class` / `email_domain` (never by the address).
    Email(EmailRules),
    /// Compared by value or by `seniority`.
    JobTitle,
    /// Numbers, timestamps: not comparable by a gate.
    Other,
}

impl ColumnKind {
    /// What a gate can see of a fitted column.
    pub fn of(t: &FittedTransform) -> Self {
        match t {
            FittedTransform::Categorical { .. } => Self::Categorical,
            FittedTransform::MultiSelect { separator, .. } => Self::MultiSelect(separator.clone()),
            FittedTransform::Boolean { .. } => Self::Boolean,
            FittedTransform::Email(rules) => Self::Email(rules.clone()),
            FittedTransform::JobTitle => Self::JobTitle,
            _ => Self::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Value(Vec<String>),
    /// Any option of the value equals one of these (a multi_select column; the separator).
    Includes(Vec<String>, String),
    Boolean(Vec<bool>),
    EmailClass(Vec<EmailClass>, EmailRules),
    EmailDomain(Vec<String>, EmailRules),
    Seniority(Vec<Seniority>),
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    column: usize,
    test: Test,
    missing: bool,
}

impl Condition {
    fn matches(&self, value: FieldValue<'_>) -> bool {
        let text: Option<std::borrow::Cow<'_, str>> = match value {
            FieldValue::Missing => None,
            FieldValue::Text(s) => Some(s.trim().into()),
            FieldValue::Number(x) => Some(crate::value::number_to_level(x).into()),
            FieldValue::Bool(b) => Some(if b { "true" } else { "false" }.into()),
        };
        let Some(text) = text else {
            return self.missing;
        };
        match &self.test {
            Test::Value(values) => values.iter().any(|v| v.eq_ignore_ascii_case(&text)),
            Test::Includes(values, separator) => {
                // No option selected (`;` alone) is a missing value, as the model scores it.
                let mut any = false;
                let selected = crate::value::for_each_selection(value, separator, |o| {
                    any |= values.iter().any(|v| v.eq_ignore_ascii_case(o));
                });
                if selected == 0 {
                    self.missing
                } else {
                    any
                }
            }
            // A value that is not yes or no was never seen in training and is scored as
            // missing: gates see it as missing too.
            Test::Boolean(values) => match bool_of(value) {
                Some(b) => values.contains(&b),
                None => self.missing,
            },
            Test::EmailClass(classes, rules) => classes.contains(&email_class(&text, rules)),
            Test::EmailDomain(domains, rules) => rules
                .domain(&text)
                .map(str::to_ascii_lowercase)
                .is_some_and(|d| {
                    domains
                        .iter()
                        .any(|x| d == *x || d.ends_with(&format!(".{x}")))
                }),
            Test::Seniority(levels) => levels.contains(&seniority(&text)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Gate {
    never: bool,
    conditions: Vec<Condition>,
}

/// Gates checked against a model's columns, ready to apply to leads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gates {
    specs: Vec<GateSpec>,
    gates: Vec<Gate>,
    missing_tokens: Vec<String>,
    missing_lengths: crate::fitted::TokenLengths,
}

impl Gates {
    /// Checks `specs` against the columns (name and kind, in the model's column order): a key
    /// naming no column or class, a class value that does not exist, or a column a gate cannot
    /// compare is an error naming the gate and the key.
    pub fn compile(
        specs: &[GateSpec],
        columns: &[(String, ColumnKind)],
        missing_tokens: &[String],
    ) -> Result<Self, String> {
        let mut gates = Vec::with_capacity(specs.len());
        let mut names = std::collections::HashSet::new();
        for g in specs {
            let err = |m: String| format!("gate {:?}: {m}", g.name);
            if g.name.trim().is_empty() {
                return Err("a gate has an empty `name`".into());
            }
            if !names.insert(g.name.as_str()) {
                return Err(err("two gates have this name".into()));
            }
            let (never, rule) = match (g.never_mql_when.is_empty(), g.mql_requires.is_empty()) {
                (false, true) => (true, &g.never_mql_when),
                (true, false) => (false, &g.mql_requires),
                (true, true) => {
                    return Err(err(
                        "give `never_mql_when` or `mql_requires` (a table of field = [values])"
                            .into(),
                    ))
                }
                (false, false) => {
                    return Err(err(
                        "give either `never_mql_when` or `mql_requires`, not both".into(),
                    ))
                }
            };
            let mut conditions = Vec::with_capacity(rule.len());
            for (key, values) in rule {
                conditions.push(condition(key, values, columns).map_err(err)?);
            }
            gates.push(Gate { never, conditions });
        }
        Ok(Self {
            specs: specs.to_vec(),
            gates,
            missing_tokens: missing_tokens.to_vec(),
            missing_lengths: Default::default(),
        })
    }

    /// [`Gates::compile`] against a fitted spec's columns.
    pub fn for_spec(specs: &[GateSpec], spec: &FittedSpec) -> Result<Self, String> {
        let columns: Vec<(String, ColumnKind)> = spec
            .columns
            .iter()
            .map(|c| (c.name.clone(), ColumnKind::of(&c.transform)))
            .collect();
        Self::compile(specs, &columns, &spec.missing_tokens)
    }

    /// No gates.
    pub fn is_empty(&self) -> bool {
        self.gates.is_empty()
    }

    /// The gates as written.
    pub fn specs(&self) -> &[GateSpec] {
        &self.specs
    }

    /// Indices of the gates that hold back the lead whose values are `values` (one per model
    /// column, in column order), into `out` (cleared first).
    pub fn held_back(&self, values: &[FieldValue<'_>], out: &mut Vec<usize>) {
        out.clear();
        for (i, g) in self.gates.iter().enumerate() {
            let all = g.conditions.iter().all(|c| {
                let v = values.get(c.column).copied().unwrap_or(FieldValue::Missing);
                let v = match v {
                    FieldValue::Text(s)
                        if self.missing_lengths.contains(&self.missing_tokens, s) =>
                    {
                        FieldValue::Missing
                    }
                    FieldValue::Number(x) if !x.is_finite() => FieldValue::Missing,
                    other => other,
                };
                c.matches(v)
            });
            if all == g.never {
                out.push(i);
            }
        }
    }

    /// Whether any gate holds the lead back.
    pub fn holds_back(&self, values: &[FieldValue<'_>]) -> bool {
        let mut out = Vec::new();
        self.held_back(values, &mut out);
        !out.is_empty()
    }

    /// The name of gate `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.specs[i].name
    }
}

fn condition(
    key: &str,
    values: &[String],
    columns: &[(String, ColumnKind)],
) -> Result<Condition, String> {
    if values.is_empty() {
        return Err(format!("`{key}` lists no values"));
    }
    let missing = values.iter().any(|v| v == MISSING);
    let values: Vec<&str> = values
        .iter()
        .filter(|v| *v != MISSING)
        .map(|v| v.trim())
        .collect();
    let (derived, named) = match key.split_once(':') {
        Some((d, c)) if ["email_class", "email_domain", "seniority"].contains(&d.trim()) => {
            (Some(d.trim()), Some(c.trim()))
        }
        _ if ["email_class", "email_domain", "seniority"].contains(&key)
            && !columns.iter().any(|(n, _)| n == key) =>
        {
            (Some(key), None)
        }
        _ => (None, None),
    };
    let find_kind = |want: &dyn Fn(&ColumnKind) -> bool, what: &str| -> Result<usize, String> {
        match named {
            Some(name) => match columns.iter().position(|(n, _)| n == name) {
                Some(i) if want(&columns[i].1) => Ok(i),
                Some(_) => Err(format!("`{key}`: column `{name}` is not {what} column")),
                None => Err(format!("`{key}`: the model has no column `{name}`")),
            },
            None => {
                let found: Vec<usize> = columns
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, k))| want(k))
                    .map(|(i, _)| i)
                    .collect();
                match found.as_slice() {
                    [i] => Ok(*i),
                    [] => Err(format!("`{key}`: the model has no {what} column")),
                    _ => Err(format!(
                        "`{key}`: the model has several {what} columns ({}); write `{key}:<column>`",
                        found
                            .iter()
                            .map(|i| format!("`{}`", columns[*i].0))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
        }
    };
    let is_email = |k: &ColumnKind| matches!(k, ColumnKind::Email(_));
    let is_title = |k: &ColumnKind| matches!(k, ColumnKind::JobTitle);
    let test_column = match derived {
        Some("email_class") => {
            let column = find_kind(&is_email, "an email")?;
            let ColumnKind::Email(rules) = &columns[column].1 else {
                unreachable!("find_kind checked the kind")
            };
            let classes = values
                .iter()
                .map(|v| {
                    EmailClass::ALL
                        .iter()
                        .find(|c| c.label().eq_ignore_ascii_case(v))
                        .copied()
                        .ok_or_else(|| {
                            format!(
                                "`{key}`: {v:?} is not an email class (classes: {})",
                                EmailClass::ALL.map(|c| c.label()).join(", ")
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Test::EmailClass(classes, rules.clone()), column)
        }
        Some("email_domain") => {
            let column = find_kind(&is_email, "an email")?;
            let ColumnKind::Email(rules) = &columns[column].1 else {
                unreachable!("find_kind checked the kind")
            };
            let domains = values
                .iter()
                .map(|v| {
                    crate::explain::email_domain(v)
                        .ok_or_else(|| format!("`{key}`: {v:?} is not a domain"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Test::EmailDomain(domains, rules.clone()), column)
        }
        Some(_) => {
            let column = find_kind(&is_title, "a job title")?;
            let levels = values
                .iter()
                .map(|v| {
                    Seniority::ALL
                        .iter()
                        .find(|s| s.label().eq_ignore_ascii_case(v))
                        .copied()
                        .ok_or_else(|| {
                            format!(
                                "`{key}`: {v:?} is not a seniority (levels: {})",
                                Seniority::ALL.map(|s| s.label()).join(", ")
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            (Test::Seniority(levels), column)
        }
        None => {
            let Some(column) = columns.iter().position(|(n, _)| n == key) else {
                return Err(format!(
                    "`{key}` is neither a column of the model nor a derived class \
                     (email_class, email_domain, seniority)"
                ));
            };
            let test = match &columns[column].1 {
                ColumnKind::Categorical | ColumnKind::JobTitle => {
                    Test::Value(values.iter().map(|v| v.to_string()).collect())
                }
                ColumnKind::MultiSelect(separator) => {
                    // Each value is compared with one option: one holding the separator never
                    // matches.
                    if let Some(v) = values.iter().find(|v| v.contains(separator.as_str())) {
                        return Err(format!(
                            "`{key}` is a multi-select column: {v:?} holds its separator \
                             `{separator}`; list each option on its own (a gate matches when \
                             the lead has any of them)"
                        ));
                    }
                    Test::Includes(
                        values.iter().map(|v| v.trim().to_string()).collect(),
                        separator.clone(),
                    )
                }
                ColumnKind::Boolean => Test::Boolean(
                    values
                        .iter()
                        .map(|v| {
                            parse_bool(v).ok_or_else(|| {
                                format!("`{key}` is a yes/no column; {v:?} is not yes or no")
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                ColumnKind::Email(_) => {
                    return Err(format!(
                        "`{key}` is an email column: compare `email_class` or `email_domain`, \
                         not the address"
                    ))
                }
                ColumnKind::Other => {
                    return Err(format!(
                        "`{key}` is not a categorical, yes/no, email or job-title column: \
                         gates compare categories"
                    ))
                }
            };
            (test, column)
        }
    };
    let (test, column) = test_column;
    Ok(Condition {
        column,
        test,
        missing,
    })
}

/// What the holdout keeps of a lead's value for gates to be applied later (by a server whose
/// configuration overrides the model's gates): the value itself for categorical, yes/no and
/// job-title columns, only the domain for an email address, nothing for other columns.
/// Feeding it back as text gives every gate the same answer as the original value.
pub fn gate_key(kind: &ColumnKind, value: FieldValue<'_>) -> Option<String> {
    match (kind, value) {
        (_, FieldValue::Missing) | (ColumnKind::Other, _) => None,
        (ColumnKind::Email(rules), FieldValue::Text(s)) => Some({
            // No address, only what email_class and email_domain read; "!" is never valid.
            let s = rules.address(s);
            crate::explain::email_domain(s)
                .filter(|_| !s.trim().starts_with('@'))
                .unwrap_or_else(|| "!".into())
        }),
        (ColumnKind::Email(_), _) => Some("!".into()),
        (_, FieldValue::Text(s)) => Some(s.to_string()),
        (_, FieldValue::Number(x)) => Some(crate::value::number_to_level(x)),
        (_, FieldValue::Bool(b)) => Some(if b { "true" } else { "false" }.into()),
    }
}

/// The holdout as gates need it: per holdout lead (or example, for one-moment models) its
/// score records and outcome, and what [`gate_key`] keeps of its values, so the gated operating
/// curve can be rebuilt for any set of gates (the training run's, or a server's override).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateHoldout {
    /// What the curve counts (one example each, or each lead through its life).
    pub kind: CurveKind,
    /// One entry per holdout lead or example.
    pub leads: Vec<HoldoutLead>,
}

/// One holdout lead for [`GateHoldout`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutLead {
    /// [`gate_key`] of each model column's value, in column order (`None`: missing, or a column
    /// gates cannot compare).
    pub values: Vec<Option<String>>,
    /// (score, converts within the horizon after that moment) at each moment the score
    /// reached a new high, in time order: all the handoff curve needs of a life.
    pub records: Vec<(f64, bool)>,
    /// Whether it converts after at least one of its moments.
    pub converts: bool,
}

/// The running-maximum records of a life (see [`HoldoutLead::records`]).
pub fn records(life: &[(f64, bool)]) -> Vec<(f64, bool)> {
    let mut out: Vec<(f64, bool)> = Vec::new();
    for &(s, y) in life {
        if out.last().is_none_or(|r| s > r.0) {
            out.push((s, y));
        }
    }
    out
}

impl GateHoldout {
    /// Whether each lead is eligible (no gate holds it back).
    pub fn eligible(&self, gates: &Gates) -> Vec<bool> {
        let mut held = Vec::new();
        let mut values: Vec<FieldValue<'_>> = Vec::new();
        self.leads
            .iter()
            .map(|l| {
                values.clear();
                values.extend(
                    l.values
                        .iter()
                        .map(|v| v.as_deref().map_or(FieldValue::Missing, FieldValue::Text)),
                );
                gates.held_back(&values, &mut held);
                held.is_empty()
            })
            .collect()
    }

    /// The operating curve with `gates` applied.
    pub fn curve(&self, gates: &Gates, max_points: usize) -> Result<OperatingCurve, MetricsError> {
        let eligible = self.eligible(gates);
        OperatingCurve::from_lives(
            self.leads.iter().zip(&eligible).map(|(l, e)| Life {
                moments: &l.records,
                converts: Some(l.converts),
                eligible: *e,
            }),
            self.kind,
            max_points,
        )
    }

    /// Per gate: the holdout leads it holds back, and how many of them convert.
    pub fn held_back_counts(&self, gates: &Gates) -> Vec<(u64, u64)> {
        let mut counts = vec![(0u64, 0u64); gates.specs().len()];
        let mut held = Vec::new();
        let mut values: Vec<FieldValue<'_>> = Vec::new();
        for l in &self.leads {
            values.clear();
            values.extend(
                l.values
                    .iter()
                    .map(|v| v.as_deref().map_or(FieldValue::Missing, FieldValue::Text)),
            );
            gates.held_back(&values, &mut held);
            for &g in &held {
                counts[g].0 += 1;
                counts[g].1 += u64::from(l.converts);
            }
        }
        counts
    }
}

/// The most points a curve keeps (training and a server's gate override use the same).
pub const CURVE_POINTS: usize = 5000;

/// Reads a gates file (the server's `--gates`, `monitor --gates`): TOML of `[[gates]]` entries,
/// at most 1 MiB, a link followed; an empty file is no gates. The error names the file and
/// says what is wrong, prefixed with `flag`.
pub fn read_gates_file(path: &std::path::Path, flag: &str) -> Result<Vec<GateSpec>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct GatesFile {
        #[serde(default)]
        gates: Vec<GateSpec>,
    }
    let shown = path.display();
    let text = crate::files::read_limited_text(path, 1024 * 1024, crate::files::Symlinks::Follow)
        .map_err(|e| match e {
        crate::Error::File { message, .. } => format!("{flag} {shown}: {message}"),
        other => format!("{flag} {other}"),
    })?;
    let file: GatesFile = toml::from_str(&text).map_err(|e| format!("{flag} {shown}: {e}"))?;
    Ok(file.gates)
}

/// The operating curve of `artifact` under `gates` in place of its own: its own curve when
/// they are the same, else rebuilt on its holdout (an error when it keeps none: a model of an
/// older format). A gate naming a field or class the model does not have is an error.
pub fn curve_with_gates(
    artifact: &crate::artifact::ModelArtifact,
    gates: &[GateSpec],
) -> Result<crate::curve::OperatingCurve, String> {
    if gates == artifact.gates.as_slice() {
        return Ok(artifact.curve.clone());
    }
    let compiled = Gates::for_spec(gates, &artifact.spec)?;
    let holdout = artifact.gate_holdout.as_ref().ok_or_else(|| {
        format!(
            "model {} (format {}) keeps no holdout to recompute its cutoff with other gates; \
             retrain it with this version to use --gates",
            artifact.model_id, artifact.format_version
        )
    })?;
    holdout
        .curve(&compiled, CURVE_POINTS)
        .map_err(|e| format!("gated curve: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<(String, ColumnKind)> {
        vec![
            (
                "email".into(),
                ColumnKind::Email(EmailRules::new(vec!["rival.com".into()])),
            ),
            ("title".into(), ColumnKind::JobTitle),
            ("source".into(), ColumnKind::Categorical),
            ("opt_out".into(), ColumnKind::Boolean),
            ("visits".into(), ColumnKind::Other),
            ("interests".into(), ColumnKind::MultiSelect(";".into())),
        ]
    }

    /// A multi-select column matches when any option of the value is listed (any case, any
    /// spacing); a value that selects nothing is missing.
    #[test]
    fn a_multi_select_gate_matches_any_option() {
        let g = gate(
            "[[gates]]\nname = \"no job seekers\"\n\
             never_mql_when = { interests = [\" Careers \", \"(missing)\"] }\n",
        )
        .unwrap();
        let lead = |v: FieldValue<'static>| {
            let mut values = vec![FieldValue::Missing; columns().len()];
            values[5] = v;
            held(&g, &values)
        };
        for held_back in ["careers", "Pricing; Careers", "Careers;", ";", " ; "] {
            assert_eq!(lead(FieldValue::Text(held_back)), [0], "{held_back:?}");
        }
        assert_eq!(lead(FieldValue::Missing), [0]);
        for kept in ["Pricing", "Pricing;Careers page", "Careers-adjacent"] {
            assert!(lead(FieldValue::Text(kept)).is_empty(), "{kept:?}");
        }
        assert!(lead(FieldValue::Number(3.0)).is_empty());
        // A listed value holding the separator could never match one option: refused.
        let e =
            gate("[[gates]]\nname = \"g\"\nnever_mql_when = { interests = [\"Pricing;API\"] }\n")
                .unwrap_err();
        assert!(e.contains("\"Pricing;API\" holds its separator `;`"), "{e}");
    }

    fn gate(toml_text: &str) -> Result<Gates, String> {
        #[derive(Deserialize)]
        struct F {
            gates: Vec<GateSpec>,
        }
        let f: F = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        Gates::compile(&f.gates, &columns(), &["".into()])
    }

    fn held(g: &Gates, values: &[FieldValue<'_>]) -> Vec<usize> {
        let mut out = Vec::new();
        g.held_back(values, &mut out);
        out
    }

    #[test]
    fn never_and_require() {
        let g = gate(
            r#"
            [[gates]]
            name = "no students or competitors"
            never_mql_when = { email_class = ["education", "competitor"] }
            [[gates]]
            name = "business email"
            mql_requires = { email_class = ["business", "(missing)"] }
            [[gates]]
            name = "no interns from ads"
            never_mql_when = { seniority = ["student"], source = ["ads"] }
            "#,
        )
        .unwrap();
        use FieldValue::{Missing, Text};
        fn lead<'a>(e: &'a str, t: &'a str, s: &'a str) -> [FieldValue<'a>; 5] {
            [Text(e), Text(t), Text(s), Missing, Missing]
        }
        assert!(held(&g, &lead("a@acme.com", "VP Sales", "ads")).is_empty());
        assert_eq!(held(&g, &lead("a@mit.edu", "VP", "web")), [0, 1]);
        assert_eq!(held(&g, &lead("a@x.rival.com", "VP", "web")), [0, 1]);
        assert_eq!(held(&g, &lead("a@gmail.com", "VP", "web")), [1]);
        assert_eq!(held(&g, &lead("a@acme.com", "Intern", "ADS")), [2]);
        assert!(held(&g, &lead("a@acme.com", "Intern", "web")).is_empty());
        assert!(held(&g, &[Missing, Missing, Missing, Missing, Missing]).is_empty());
        assert!(held(&g, &[Text(""), Missing, Missing, Missing, Missing]).is_empty());
        // What the holdout keeps gives the same answers.
        let kind = &columns()[0].1;
        for e in [
            "a@mit.edu",
            "b@x.rival.com",
            "c@acme.com",
            "not an email",
            "@acme.com",
        ] {
            let key = gate_key(kind, Text(e)).unwrap();
            let original = held(&g, &lead(e, "VP", "web"));
            let kept = held(&g, &lead(&key, "VP", "web"));
            assert_eq!(original, kept, "{e} -> {key}");
        }
    }

    #[test]
    fn a_yes_no_value_training_never_saw_counts_as_missing() {
        let g = gate(
            r#"
            [[gates]]
            name = "opted out"
            never_mql_when = { opt_out = ["yes"] }
            [[gates]]
            name = "unknown opt-out"
            never_mql_when = { opt_out = ["(missing)"] }
            "#,
        )
        .unwrap();
        use FieldValue::{Missing, Number, Text};
        fn lead(v: FieldValue<'_>) -> [FieldValue<'_>; 5] {
            [Missing, Missing, Missing, v, Missing]
        }
        assert_eq!(held(&g, &lead(Text("Yes"))), [0]);
        assert_eq!(held(&g, &lead(Number(1.0))), [0]);
        assert!(held(&g, &lead(Text("0"))).is_empty());
        assert_eq!(held(&g, &lead(Missing)), [1]);
        for unseen in [Text("3"), Number(3.0), Text("maybe")] {
            assert_eq!(held(&g, &lead(unseen)), [1], "{unseen:?}");
            // What the holdout keeps gives the same answer.
            let key = gate_key(&ColumnKind::Boolean, unseen).unwrap();
            assert_eq!(held(&g, &lead(Text(&key))), [1], "{key}");
        }
    }

    #[test]
    fn unknown_fields_and_classes_are_named() {
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { emial_class = [\"x\"] }")
            .unwrap_err();
        assert!(e.contains("`emial_class`") && e.contains("\"g\""), "{e}");
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { email_class = [\"student\"] }")
            .unwrap_err();
        assert!(e.contains("\"student\" is not an email class"), "{e}");
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { seniority = [\"boss\"] }")
            .unwrap_err();
        assert!(e.contains("not a seniority"), "{e}");
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { visits = [\"3\"] }").unwrap_err();
        assert!(e.contains("gates compare categories"), "{e}");
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { email = [\"a@b.com\"] }")
            .unwrap_err();
        assert!(e.contains("email_class"), "{e}");
        let e = gate("[[gates]]\nname = \"g\"").unwrap_err();
        assert!(e.contains("never_mql_when"), "{e}");
        let e = gate("[[gates]]\nname = \"g\"\nnever_mql_when = { opt_out = [\"maybe\"] }")
            .unwrap_err();
        assert!(e.contains("yes or no"), "{e}");
        let e = gate(
            "[[gates]]\nname = \"g\"\nnever_mql_when = { source = [\"a\"] }\n\
             [[gates]]\nname = \"g\"\nnever_mql_when = { source = [\"b\"] }",
        )
        .unwrap_err();
        assert!(e.contains("two gates"), "{e}");
    }
}
