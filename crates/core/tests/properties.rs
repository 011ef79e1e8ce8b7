//! Property tests (proptest) for the cutoff search, the per-lead featurizer and the value-level
//! parsers: random inputs, including hostile ones, must give either a correct answer or an
//! error, never a panic.

use leadscore_core::curve::{
    cutoff_for_precision, cutoff_for_precision_with_support, CurvePoint, CutoffError,
    OperatingCurve, OperatingPoint, DEFAULT_MIN_SUPPORT,
};
use leadscore_core::fitted::{FittedColumn, FittedEvents, FittedSpec, FittedTransform, LeadEvent};
use leadscore_core::value::{
    email_class, month_and_weekday, parse_bool, parse_number, parse_timestamp, parse_timestamp_as,
    seniority, DateOrder, EmailClass, FieldValueOwned, Seniority,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use std::collections::HashMap;

/// `default` cases per property, or `PROPTEST_CASES` for a longer run (`with_cases` alone
/// would ignore it).
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

// ---------------------------------------------------------------------------------------------
// Cutoff search

/// Scored, labeled leads: scores on a grid (so there are ties), labels drawn with a
/// probability that rises with the score (so both found and unattainable targets occur).
fn scored_leads() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    (1u32..=200, 0.3f64..4.0, 1usize..600).prop_flat_map(|(grid, skew, n)| {
        prop::collection::vec((0..=grid, 0.0f64..1.0), n).prop_map(move |draws| {
            let g = f64::from(grid);
            draws
                .into_iter()
                .map(|(k, u)| {
                    let s = f64::from(k) / g;
                    (s, u < s.powf(skew))
                })
                .unzip()
        })
    })
}

fn confidence() -> impl Strategy<Value = f64> {
    prop_oneof![select(vec![0.8, 0.9, 0.95, 0.99]), 0.5f64..0.999]
}

/// What the fixed-sequence search promises about a result for a valid curve and target.
fn check_cutoff(
    curve: &OperatingCurve,
    target: f64,
    confidence: f64,
    min_support: u64,
    got: &Result<OperatingPoint, CutoffError>,
) -> Result<(), TestCaseError> {
    let supported: Vec<&CurvePoint> = curve
        .points
        .iter()
        .filter(|p| p.tp.saturating_add(p.fp) >= min_support)
        .collect();
    match got {
        Ok(op) => {
            prop_assert!(
                op.precision_lower_bound >= target,
                "lower bound {} < target {target}",
                op.precision_lower_bound
            );
            prop_assert!(op.tp + op.fp >= min_support);
            prop_assert!((0.0..=1.0).contains(&op.precision));
            // A one-sided bound is below the estimate at confidence >= 1/2, the only ones the
            // API accepts (below that z is negative and the "lower" bound lies above it).
            prop_assert!(op.precision >= op.precision_lower_bound);
            prop_assert_eq!(op.confidence, confidence);
            // The answer is a curve point, described as `at_threshold` describes it.
            prop_assert!(curve.points.iter().any(|p| p.threshold == op.threshold));
            prop_assert_eq!(op, &curve.at_threshold(op.threshold, confidence));
            // Fixed sequence: every supported point at least as strict passed the test...
            for p in supported.iter().filter(|p| p.threshold >= op.threshold) {
                let lb = curve
                    .at_threshold(p.threshold, confidence)
                    .precision_lower_bound;
                prop_assert!(
                    lb >= target,
                    "point {} has bound {lb} < {target}",
                    p.threshold
                );
            }
            // ...and the next supported point (if any) failed it.
            if let Some(next) = supported.iter().find(|p| p.threshold < op.threshold) {
                let lb = curve
                    .at_threshold(next.threshold, confidence)
                    .precision_lower_bound;
                prop_assert!(lb < target, "search stopped before {}", next.threshold);
            }
        }
        Err(CutoffError::Unattainable {
            best_precision_lower_bound,
            best_precision,
            best_recall,
            best_threshold,
            ..
        }) => {
            if let Some(first) = supported.first() {
                let lb = curve
                    .at_threshold(first.threshold, confidence)
                    .precision_lower_bound;
                prop_assert!(lb < target, "the strictest supported point passes: {lb}");
            }
            for x in [best_precision_lower_bound, best_precision, best_recall] {
                prop_assert!((0.0..=1.0).contains(x), "{x}");
            }
            prop_assert!(curve.points.iter().any(|p| p.threshold == *best_threshold));
        }
        Err(e) => prop_assert!(false, "unexpected error for a valid curve: {e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn cutoff_bound_holds_and_lower_target_never_raises_it(
        (scores, labels) in scored_leads(),
        max_points in 1usize..120,
        min_support in prop_oneof![Just(DEFAULT_MIN_SUPPORT), 0u64..60],
        t1 in 0.001f64..0.999,
        t2 in 0.001f64..0.999,
        confidence in confidence(),
    ) {
        let curve = OperatingCurve::from_scores(&scores, &labels, max_points).unwrap();
        curve.validate().unwrap();
        prop_assert!(curve.points.len() <= max_points);
        let (lo, hi) = if t1 <= t2 { (t1, t2) } else { (t2, t1) };
        let at_hi = cutoff_for_precision_with_support(&curve, hi, confidence, min_support);
        let at_lo = cutoff_for_precision_with_support(&curve, lo, confidence, min_support);
        check_cutoff(&curve, hi, confidence, min_support, &at_hi)?;
        check_cutoff(&curve, lo, confidence, min_support, &at_lo)?;
        if let Ok(h) = &at_hi {
            match &at_lo {
                Ok(l) => prop_assert!(
                    l.threshold <= h.threshold,
                    "target {lo} gives cutoff {} above {} for target {hi}",
                    l.threshold,
                    h.threshold
                ),
                Err(e) => prop_assert!(false, "target {hi} attainable but {lo} not: {e}"),
            }
        }
        if min_support == DEFAULT_MIN_SUPPORT {
            prop_assert_eq!(cutoff_for_precision(&curve, hi, confidence), at_hi);
        }
    }

    #[test]
    fn more_confidence_never_loosens_the_cutoff(
        (scores, labels) in scored_leads(),
        target in 0.05f64..0.95,
        c1 in 0.5f64..0.999,
        c2 in 0.5f64..0.999,
    ) {
        let curve = OperatingCurve::from_scores(&scores, &labels, 1000).unwrap();
        let (lo, hi) = if c1 <= c2 { (c1, c2) } else { (c2, c1) };
        if let Ok(strict) = cutoff_for_precision(&curve, target, hi) {
            let loose = cutoff_for_precision(&curve, target, lo);
            prop_assert!(loose.is_ok(), "confidence {hi} attainable but {lo} not");
            prop_assert!(loose.unwrap().threshold <= strict.threshold);
        }
    }

    #[test]
    fn invalid_targets_and_confidences_are_errors(
        (scores, labels) in scored_leads(),
        bad in prop_oneof![
            Just(f64::NAN), Just(0.0), Just(1.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY),
            -1e300f64..=0.0, 1.0f64..1e300,
        ],
        below_one_half in 0.0f64..0.5,
    ) {
        let curve = OperatingCurve::from_scores(&scores, &labels, 50).unwrap();
        let is_invalid_target = matches!(
            cutoff_for_precision(&curve, bad, 0.95),
            Err(CutoffError::InvalidTarget { .. })
        );
        prop_assert!(is_invalid_target);
        let is_invalid_confidence = matches!(
            cutoff_for_precision(&curve, 0.5, bad),
            Err(CutoffError::InvalidConfidence { .. })
        );
        prop_assert!(is_invalid_confidence);
        // Below 1/2 the "lower" bound lies above the estimate: refused too.
        let is_invalid_confidence = matches!(
            cutoff_for_precision(&curve, 0.5, below_one_half),
            Err(CutoffError::InvalidConfidence { .. })
        );
        prop_assert!(is_invalid_confidence);
    }

    /// Curves as a damaged or hostile artifact could carry them: never a panic (no overflow in
    /// the counts), and a returned cutoff still keeps its promise.
    #[test]
    fn arbitrary_curves_never_panic(
        positives in prop_oneof![any::<u64>(), 0u64..1000],
        total in prop_oneof![any::<u64>(), 0u64..2000],
        points in prop::collection::vec(
            (prop_oneof![any::<f64>(), 0.0f64..=1.0],
             prop_oneof![any::<u64>(), 0u64..1000],
             prop_oneof![any::<u64>(), 0u64..1000]),
            0..12,
        ),
        sorted in any::<bool>(),
        target in prop_oneof![any::<f64>(), 0.0f64..1.0],
        confidence in prop_oneof![any::<f64>(), 0.5f64..1.0],
        min_support in prop_oneof![any::<u64>(), 0u64..50],
    ) {
        let mut points: Vec<CurvePoint> = points
            .into_iter()
            .map(|(threshold, tp, fp)| CurvePoint { threshold, tp, fp })
            .collect();
        if sorted {
            // Nudge towards valid curves: descending thresholds, non-decreasing counts.
            points.sort_by(|a, b| b.threshold.total_cmp(&a.threshold));
            let (mut tp, mut fp) = (0u64, 0u64);
            for p in &mut points {
                tp = tp.max(p.tp);
                fp = fp.max(p.fp);
                (p.tp, p.fp) = (tp, fp);
            }
        }
        let curve = OperatingCurve { positives, total, points, kind: Default::default() };
        let valid = curve.validate().is_ok();
        let got = cutoff_for_precision_with_support(&curve, target, confidence, min_support);
        if let Ok(op) = &got {
            prop_assert!(valid);
            prop_assert!(op.precision_lower_bound >= target);
        }
        if valid && target > 0.0 && target < 1.0 && (0.5..1.0).contains(&confidence) {
            check_cutoff(&curve, target, confidence, min_support, &got)?;
        }
        let _ = curve.at_threshold(target, confidence);
    }

    #[test]
    fn from_scores_rejects_bad_input_without_panicking(
        scores in prop::collection::vec(any::<f64>(), 0..20),
        labels in prop::collection::vec(any::<bool>(), 0..20),
        max_points in 0usize..5,
    ) {
        if let Ok(curve) = OperatingCurve::from_scores(&scores, &labels, max_points) {
            curve.validate().unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Featurizer

/// Finite numbers from tiny to huge.
fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e3f64..1e3,
        -1e300f64..1e300,
        select(vec![
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            1e-310
        ]),
    ]
}

fn transform() -> impl Strategy<Value = FittedTransform> {
    prop_oneof![
        (
            finite(),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(finite(), 0..5),
            prop::option::of((finite(), finite()))
        )
            .prop_map(|(median, missing_indicator, log1p, mut bin_edges, range)| {
                bin_edges.sort_by(f64::total_cmp);
                bin_edges.dedup();
                FittedTransform::Numeric {
                    median,
                    missing_indicator,
                    log1p,
                    bin_edges,
                    range: range.map(|(a, b)| [a.min(b), a.max(b)]),
                }
            }),
        prop::collection::vec(
            prop_oneof![
                select(vec![
                    "Referral", "Google", "true", "false", "1", "2.5", "é", ""
                ]),
                Just("Olark Chat"),
            ],
            0..6
        )
        .prop_map(|mut levels| {
            levels.sort_unstable();
            levels.dedup();
            FittedTransform::Categorical {
                levels: levels.into_iter().map(String::from).collect(),
            }
        }),
        (
            subsequence(vec!["Pricing", "Webinars", "API docs", "1", "true"], 0..=5),
            select(vec![";", "|", " / "])
        )
            .prop_map(|(options, separator)| FittedTransform::MultiSelect {
                separator: separator.into(),
                options: options.into_iter().map(String::from).collect(),
            }),
        any::<bool>().prop_map(|missing_indicator| FittedTransform::Boolean { missing_indicator }),
        subsequence(
            vec!["rival.com", "competitor.io", "xn--bcher-kva.example"],
            0..=3
        )
        .prop_map(|d| {
            FittedTransform::Email(leadscore_core::value::EmailRules::new(
                d.into_iter().map(String::from).collect(),
            ))
        }),
        Just(FittedTransform::JobTitle),
        (finite(), any::<bool>(), prop::option::of(finite())).prop_map(
            |(median_days_since, missing_indicator, max_days_since)| FittedTransform::Timestamp {
                median_days_since,
                missing_indicator,
                max_days_since,
            }
        ),
        prop::collection::vec(0u32..400, 2..7).prop_filter_map("two landmarks", |mut d| {
            d.sort_unstable();
            d.dedup();
            (d.len() >= 2).then(|| FittedTransform::LeadAge {
                landmarks_days: d.into_iter().map(f64::from).collect(),
            })
        }),
    ]
}

const EVENT_TYPES: [&str; 4] = ["demo_request", "page_view", "email_open", "webinar"];

fn events_spec() -> impl Strategy<Value = Option<FittedEvents>> {
    prop::option::of(
        (
            subsequence(EVENT_TYPES.to_vec(), 0..=3),
            prop::collection::vec(1u32..400, 0..3),
            0.1f64..200.0,
        )
            .prop_map(|(types, windows_days, half_life_days)| FittedEvents {
                types: types.into_iter().map(String::from).collect(),
                windows_days,
                half_life_days,
                other_types: vec!["webinar".into()],
                index: Default::default(),
                max: Vec::new(),
                days_since_held: false,
            }),
    )
}

/// Realistic to far-off Unix times (parse_timestamp reaches about +-8.3e12 s).
fn unix_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..4_102_444_800,
        -10_000_000_000_000i64..10_000_000_000_000
    ]
}

fn spec() -> impl Strategy<Value = FittedSpec> {
    (
        subsequence(vec!["", "NA", "N/A", "null", "Select", "NaN"], 0..=6),
        prop::option::of(unix_time()),
        prop::collection::vec((transform(), "\\PC{0,6}"), 0..7),
        events_spec(),
        select(vec![DateOrder::Iso, DateOrder::Mdy, DateOrder::Dmy]),
    )
        .prop_map(
            |(missing, reference_time, columns, events, date_order)| FittedSpec {
                missing_tokens: missing.into_iter().map(String::from).collect(),
                reference_time,
                columns: columns
                    .into_iter()
                    .enumerate()
                    .map(|(i, (transform, suffix))| FittedColumn {
                        // Unique names; arbitrary (unicode) suffixes.
                        name: format!("c{i}{suffix}"),
                        transform,
                        part: Default::default(),
                        sum_of: Vec::new(),
                    })
                    .collect(),
                events,
                pairs: Vec::new(),
                decimal_comma: false,
                date_order,
                missing_lengths: Default::default(),
            },
        )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        select(vec![
            "",
            "NA",
            "Select",
            "null",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "1e400",
            "-1e400",
            "1e308",
            " 42 ",
            "0x10",
            "yes",
            "No",
            "TRUE",
            "y",
            "1",
            "0",
            "2",
            "2024-02-29",
            "2023-02-29",
            "2024-02-29T12:00:00Z",
            "2024-02-29 12:00:00",
            "2024-06-30T23:59:59.999+14:00",
            "0000-01-01",
            "9999-12-31 23:59:59",
            "+262143-12-31T00:00:00Z",
            "-262143-01-01T00:00:00Z",
            "ceo@acme.com",
            "@x.com",
            "a@",
            "x@rival.com",
            "a@b@c",
            "bob@gmail.com",
            "Sr. VP, Sales",
            "Founder & CEO",
            "Ｄｉｒｅｃｔｏｒ",
            "Referral",
            "Olark Chat",
            "é",
        ])
        .prop_map(String::from),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<i64>().prop_map(|x| x.to_string()),
        (0u32..10_000, 0u32..14, 0u32..33, 0u32..25, 0u32..61)
            .prop_map(|(y, m, d, h, s)| format!("{y:04}-{m:02}-{d:02} {h:02}:{s:02}:{s:02}")),
        ("\\PC{0,300}", "[a-z.]{0,300}").prop_map(|(a, b)| format!("{a}@{b}")),
    ]
}

fn field_value() -> impl Strategy<Value = FieldValueOwned> {
    prop_oneof![
        Just(FieldValueOwned::Missing),
        any::<bool>().prop_map(FieldValueOwned::Bool),
        any::<f64>().prop_map(FieldValueOwned::Number),
        finite().prop_map(FieldValueOwned::Number),
        select(vec![0.0, 1.0, 2.0, -1.0]).prop_map(FieldValueOwned::Number),
        text().prop_map(FieldValueOwned::Text),
        text().prop_map(FieldValueOwned::Text),
    ]
}

/// A value of the kind the column expects (most leads are well-formed), or anything.
fn value_for(t: &FittedTransform) -> BoxedStrategy<FieldValueOwned> {
    use FieldValueOwned::{Bool, Missing, Number, Text};
    let fitting: BoxedStrategy<FieldValueOwned> = match t {
        FittedTransform::Numeric { .. } => prop_oneof![
            Just(Missing),
            finite().prop_map(Number),
            finite().prop_map(|x| Text(format!(" {x} "))),
            select(vec!["NaN", "inf", "-1e400", "1e308", "-0"]).prop_map(|s| Text(s.into())),
        ]
        .boxed(),
        FittedTransform::Boolean { .. } => prop_oneof![
            Just(Missing),
            any::<bool>().prop_map(Bool),
            select(vec![0.0, 1.0]).prop_map(Number),
            select(vec!["yes", "No", "TRUE", "f", "Y", "n", "1", "0"]).prop_map(|s| Text(s.into())),
        ]
        .boxed(),
        FittedTransform::Timestamp { .. } | FittedTransform::LeadAge { .. } => prop_oneof![
            Just(Missing),
            (1970u32..2040, 1u32..13, 1u32..32, 0u32..24, 0u32..60).prop_map(|(y, m, d, h, s)| {
                Text(format!("{y:04}-{m:02}-{d:02} {h:02}:{s:02}:{s:02}"))
            }),
            (1900u32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60).prop_map(|(y, m, d, h, s)| {
                Text(format!("{y:04}-{m:02}-{d:02}T{h:02}:{s:02}:{s:02}Z"))
            }),
            (1u32..10_000, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| Text(format!("{y:04}-{m:02}-{d:02}"))),
            // Unix seconds or milliseconds (and numbers that are neither), as numbers or digits.
            (900_000_000i64..4_200_000_000).prop_map(|t| Number(t as f64)),
            (900_000_000_000i64..4_200_000_000_000).prop_map(|t| Number(t as f64)),
            (900_000_000i64..4_200_000_000).prop_map(|t| Text(t.to_string())),
        ]
        .boxed(),
        FittedTransform::MultiSelect { separator, .. } => {
            let separator = separator.clone();
            prop_oneof![
                Just(Missing),
                prop::collection::vec(
                    prop_oneof![
                        select(vec![
                            "Pricing",
                            " Webinars ",
                            "API docs",
                            "",
                            "Careers",
                            "1"
                        ])
                        .prop_map(String::from),
                        text()
                    ],
                    0..5
                )
                .prop_map(move |o| Text(o.join(&separator))),
            ]
            .boxed()
        }
        FittedTransform::Categorical { .. }
        | FittedTransform::Email(_)
        | FittedTransform::JobTitle => prop_oneof![Just(Missing), text().prop_map(Text)].boxed(),
    };
    prop_oneof![4 => fitting, 1 => field_value()].boxed()
}

/// A spec, one value per column, some events and an as_of.
#[allow(clippy::type_complexity)]
fn lead_case() -> impl Strategy<
    Value = (
        FittedSpec,
        Vec<FieldValueOwned>,
        Vec<(String, i64)>,
        Option<i64>,
    ),
> {
    spec().prop_flat_map(|spec| {
        let values: Vec<_> = spec
            .columns
            .iter()
            .map(|c| value_for(&c.transform))
            .collect();
        (
            Just(spec),
            values,
            prop::collection::vec(
                (
                    prop_oneof![
                        select(EVENT_TYPES.to_vec()).prop_map(String::from),
                        "\\PC{0,8}"
                    ],
                    unix_time(),
                ),
                0..80,
            ),
            prop::option::of(unix_time()),
        )
    })
}

fn assert_one_hot(group: &[f64], what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        group.iter().filter(|v| **v == 1.0).count(),
        1,
        "{} group {:?}",
        what,
        group
    );
    prop_assert!(
        group.iter().all(|v| *v == 0.0 || *v == 1.0),
        "{what} {group:?}"
    );
    Ok(())
}

fn assert_indicator(v: f64, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(v == 0.0 || v == 1.0, "{} indicator {}", what, v);
    Ok(())
}

/// The shape promises of one featurized lead.
fn check_features(spec: &FittedSpec, out: &[f64]) -> Result<(), TestCaseError> {
    prop_assert_eq!(out.len(), spec.width());
    prop_assert_eq!(spec.features().len(), spec.width());
    for (i, v) in out.iter().enumerate() {
        prop_assert!(
            v.is_finite(),
            "feature {} ({}) is {}",
            i,
            spec.features()[i].name,
            v
        );
    }
    let mut offset = 0;
    for col in &spec.columns {
        let width = col.transform.width();
        let slot = &out[offset..offset + width];
        offset += width;
        match &col.transform {
            FittedTransform::Numeric {
                missing_indicator,
                bin_edges,
                ..
            } => {
                let mut i = 1;
                if *missing_indicator {
                    assert_indicator(slot[1], &col.name)?;
                    i = 2;
                }
                if !bin_edges.is_empty() {
                    assert_one_hot(&slot[i..], "bins")?;
                }
            }
            FittedTransform::Categorical { .. } => assert_one_hot(slot, "categorical")?,
            FittedTransform::MultiSelect { options, .. } => {
                // Indicators; missing (nothing selected) excludes every other.
                prop_assert_eq!(width, options.len() + 2);
                for v in slot {
                    assert_indicator(*v, &col.name)?;
                }
                if slot[width - 1] == 1.0 {
                    prop_assert!(slot[..width - 1].iter().all(|v| *v == 0.0));
                } else {
                    prop_assert!(slot[..width - 1].contains(&1.0));
                }
            }
            FittedTransform::Boolean { missing_indicator } => {
                assert_indicator(slot[0], &col.name)?;
                if *missing_indicator {
                    assert_indicator(slot[1], &col.name)?;
                    prop_assert!(slot[0] + slot[1] <= 1.0);
                }
            }
            FittedTransform::Email(_) => {
                prop_assert_eq!(width, EmailClass::ALL.len() + 1);
                assert_one_hot(slot, "email")?;
            }
            FittedTransform::JobTitle => {
                prop_assert_eq!(width, Seniority::ALL.len() + 1);
                assert_one_hot(slot, "seniority")?;
            }
            FittedTransform::Timestamp {
                missing_indicator, ..
            } => {
                let base = 1 + usize::from(*missing_indicator);
                let (months, weekdays) = (&slot[base..base + 12], &slot[base + 12..]);
                let present = months.contains(&1.0);
                if present {
                    assert_one_hot(months, "month")?;
                    assert_one_hot(weekdays, "weekday")?;
                } else {
                    prop_assert!(months.iter().chain(weekdays).all(|v| *v == 0.0));
                }
                if *missing_indicator {
                    prop_assert_eq!(slot[1], f64::from(u8::from(!present)));
                }
            }
            FittedTransform::LeadAge { .. } => {
                // Hat weights: each in [0, 1], at most two non-zero, summing to at most 1.
                prop_assert!(slot.iter().all(|v| (0.0..=1.0).contains(v)));
                prop_assert!(slot.iter().filter(|v| **v != 0.0).count() <= 2);
                prop_assert!(slot.iter().sum::<f64>() <= 1.0 + 1e-12);
            }
        }
    }
    prop_assert_eq!(offset, spec.columns_width());
    if let Some(ev) = &spec.events {
        let slot = &out[offset..];
        prop_assert_eq!(slot.len(), ev.width());
        let per = ev.per_type();
        for k in 0..ev.types.len() {
            let base = k * per;
            for v in &slot[base..base + per - 1] {
                prop_assert!(*v >= 0.0);
            }
            prop_assert!(slot[base + per - 2] <= 365.0);
            assert_indicator(slot[base + per - 1], "never")?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn featurizer_never_panics_and_keeps_its_shape(
        (spec, values, events, as_of) in lead_case(),
        keyed_absent_missing in any::<bool>(),
    ) {
        let borrowed: Vec<_> = values.iter().map(FieldValueOwned::as_value).collect();
        let events: Vec<LeadEvent<'_>> = events
            .iter()
            .map(|(t, at)| LeadEvent { event_type: t, occurred_at: *at })
            .collect();
        let mut by_order = vec![f64::NAN; spec.width()];
        let ordered = spec.featurize_values_into(&borrowed, &events, as_of, &mut by_order);
        if ordered.is_ok() {
            check_features(&spec, &by_order)?;
        }

        // The keyed path (a map by column name) gives the same answer, bit for bit.
        let lead: HashMap<String, FieldValueOwned> = spec
            .columns
            .iter()
            .zip(&values)
            .filter(|(_, v)| !(keyed_absent_missing && **v == FieldValueOwned::Missing))
            .map(|(c, v)| (c.name.clone(), v.clone()))
            .collect();
        let mut by_key = vec![f64::NAN; spec.width()];
        let keyed = spec.featurize_with_events_into(&lead, &events, as_of, &mut by_key);
        match (&ordered, &keyed) {
            (Ok(()), Ok(())) => {
                let a: Vec<u64> = by_order.iter().map(|x| x.to_bits()).collect();
                let b: Vec<u64> = by_key.iter().map(|x| x.to_bits()).collect();
                prop_assert_eq!(a, b);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "column order gave {a:?}, keyed gave {b:?}"),
        }
        if events.is_empty() {
            let mut plain = vec![0.0; spec.width()];
            let r = spec.featurize_into(&lead, as_of, &mut plain);
            prop_assert_eq!(r.is_ok(), keyed.is_ok());
        }

        // Wrong sizes are errors, not panics.
        let mut short = vec![0.0; spec.width().saturating_sub(1)];
        if spec.width() > 0 {
            prop_assert!(spec.featurize_values_into(&borrowed, &events, as_of, &mut short).is_err());
        }
        let mut long = vec![0.0; spec.width() + 1];
        prop_assert!(spec.featurize_values_into(&borrowed, &events, as_of, &mut long).is_err());
        if !borrowed.is_empty() {
            prop_assert!(spec
                .featurize_values_into(&borrowed[1..], &events, as_of, &mut by_order)
                .is_err());
        }
    }

    #[test]
    fn value_parsers_never_panic(
        s in text(),
        domains in prop::collection::vec("\\PC{0,12}", 0..3),
        version in 1..=leadscore_core::value::DOMAIN_LISTS,
    ) {
        let rules = leadscore_core::value::EmailRules {
            free_webmail_domains: domains.iter().rev().cloned().collect(),
            competitor_domains: domains,
            domain_lists: version,
        };
        let class = email_class(&s, &rules);
        prop_assert!(class.index() < EmailClass::ALL.len());
        prop_assert_eq!(EmailClass::ALL[class.index()], class);
        let level = seniority(&s);
        prop_assert!(level.index() < Seniority::ALL.len());
        prop_assert_eq!(Seniority::ALL[level.index()], level);
        let _ = parse_bool(&s);
        let _ = parse_number(&s);
        if let Some(t) = parse_timestamp(&s) {
            let (month, weekday) = month_and_weekday(t);
            prop_assert!(month < 12 && weekday < 7);
        }
        for order in [DateOrder::Mdy, DateOrder::Dmy] {
            if let Some(t) = parse_timestamp_as(&s, order) {
                let (month, weekday) = month_and_weekday(t);
                prop_assert!(month < 12 && weekday < 7);
            }
        }
    }

    /// A moment written with the year last, month or day first, 12- or 24-hour, four- or
    /// two-digit year, reads as the same moment as its ISO text, and only in its own order
    /// unless its day is 12 or less.
    #[test]
    fn dates_with_the_year_last_read_as_their_iso_text(t in -631_152_000i64..3_155_760_000) {
        let dt = chrono::DateTime::from_timestamp(t, 0).unwrap().naive_utc();
        let iso = parse_timestamp(&dt.format("%Y-%m-%d %H:%M:%S").to_string());
        prop_assert_eq!(iso, Some(t));
        let two_digit = (1970..2070).contains(&chrono::Datelike::year(&dt));
        for (format, order) in [
            ("%-m/%-d/%Y %-I:%M:%S %p", DateOrder::Mdy),
            ("%m-%d-%Y %H:%M:%S", DateOrder::Mdy),
            ("%d.%m.%Y %H:%M:%S", DateOrder::Dmy),
            ("%-d/%-m/%Y %-I:%M:%S %P", DateOrder::Dmy),
            ("%m/%d/%y %H:%M:%S", DateOrder::Mdy),
            ("%d/%m/%y %H:%M:%S", DateOrder::Dmy),
        ] {
            if format.contains("%y") && !two_digit {
                continue;
            }
            let text = dt.format(format).to_string();
            prop_assert_eq!(parse_timestamp_as(&text, order), Some(t), "{}", text);
            let other = if order == DateOrder::Mdy { DateOrder::Dmy } else { DateOrder::Mdy };
            if chrono::Datelike::day(&dt) > 12 {
                prop_assert_eq!(parse_timestamp_as(&text, other), None, "{}", text);
            }
            prop_assert_eq!(parse_timestamp_as(&text, DateOrder::Iso), None, "{}", text);
        }
    }

    #[test]
    fn month_and_weekday_cover_every_i64(t in any::<i64>()) {
        let (month, weekday) = month_and_weekday(t);
        prop_assert!(month < 12 && weekday < 7);
    }
}
