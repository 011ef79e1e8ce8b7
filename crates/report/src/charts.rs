//! The charts, drawn with plotters' SVG backend into strings. Text is emitted as SVG `<text>`
//! (plotters only estimates its size), so nothing here needs a font file; the browser draws it.
//!
//! Text from the data (feature names on the weights chart, tier names on the tier chart) is
//! drawn as it is: plotters' SVG backend XML-escapes every text it draws and every attribute
//! value it writes (`<`, `>`, `&`, `"`, `'`; `SVGBackend::escape_and_push` in plotters-svg
//! 0.3.7), which is what lets the page embed the SVG unescaped. The tests below guard that.

use crate::figures::{class_histogram, ClassHistogram, EvaluationSet, MarkedCutoff, TierRow};
use crate::{isolate, ReportError};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::explain::{ExplainSummary, GroupSummary, Part, Shape};
use leadscore_core::funnel::Funnel;
use leadscore_core::metrics::metric_text;
use leadscore_core::model::FeatureWeight;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One chart: an SVG document and what the page says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Element id in the report and the page (`chart-roc`).
    pub id: &'static str,
    /// Title (also drawn in the SVG).
    pub title: String,
    /// How to read it, one or two sentences.
    pub note: String,
    /// The SVG document.
    pub svg: String,
    /// Where the plot's data range sits in the SVG, for charts the model page marks live.
    pub frame: Option<Frame>,
}

/// The mapping from data to SVG coordinates of a chart's plotting area: `x[0]` is drawn at
/// `px[0]`, `x[1]` at `px[1]`, likewise for y (linear in between).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Data range of the x axis.
    pub x: [f64; 2],
    /// Data range of the y axis.
    pub y: [f64; 2],
    /// SVG x of `x[0]` and `x[1]`.
    pub px: [i32; 2],
    /// SVG y of `y[0]` and `y[1]`.
    pub py: [i32; 2],
}

/// Ids of every chart, in page order (a model without an `explain` section has the weights
/// chart instead of the importance and shape charts).
pub const CHART_IDS: [&str; 9] = [
    "chart-importance",
    "chart-shapes",
    "chart-weights",
    "chart-roc",
    "chart-pr",
    "chart-calibration",
    "chart-lift-decile",
    "chart-lift-tier",
    "chart-score-distribution",
];

const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (620, 400);
/// Converted leads, positive weights.
const TEAL: RGBColor = RGBColor(27, 133, 110);
/// Negative weights.
const ORANGE: RGBColor = RGBColor(204, 88, 3);
/// Unconverted leads, reference lines.
const GREY: RGBColor = RGBColor(140, 140, 140);
/// Grid lines.
const GRID: RGBColor = RGBColor(226, 230, 233);
/// The cutoff.
const MARK: RGBColor = RGBColor(200, 30, 45);
/// Bin count of the score distribution (the artifact's reference histogram uses the same).
pub const SCORE_BINS: usize = 20;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Draws one chart into an SVG string; `draw` returns the frame to record, if any.
fn render(
    id: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> DrawResult<Option<Frame>>,
) -> Result<(String, Option<Frame>), ReportError> {
    let mut svg = String::new();
    let frame = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let frame = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|f| root.present().map(|()| f).map_err(Into::into));
        frame.map_err(|e| ReportError::Draw {
            chart: id,
            message: e.to_string(),
        })?
    };
    Ok((svg, frame))
}

fn text(size: u32, color: &'static RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(color)
        .pos(Pos::new(h, v))
}

/// Formats a share as a percentage with one decimal.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A feature name cut to `max` characters.
/// `name` cut to `max` characters (the last an ellipsis), isolated ([`isolate`]) when it holds
/// right-to-left text, so a label such as `name (0.42)` keeps its number where it is written.
fn shorten(name: &str, max: usize) -> String {
    let short = if name.chars().count() <= max {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(max - 1).collect();
        s.push('…');
        s
    };
    isolate(&short).into_owned()
}

/// `name` cut to `max` characters by an ellipsis in its middle, keeping its start and its end,
/// isolated as [`shorten`] isolates.
fn shorten_middle(name: &str, max: usize) -> String {
    isolate(&crate::cut_middle(name, max)).into_owned()
}

/// The strongest weights as horizontal bars (log-odds per standard deviation), labeled with
/// their odds ratios.
pub fn weights(artifact: &ModelArtifact, top: usize) -> Result<Chart, ReportError> {
    let mut rows: Vec<&FeatureWeight> = artifact.model.features.iter().collect();
    rows.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    rows.truncate(top.max(1));
    let n = rows.len();
    let extent = rows
        .iter()
        .map(|f| f.weight.abs())
        .fold(0.0_f64, f64::max)
        .max(1e-6);
    let height = 100 + 24 * u32::try_from(n).unwrap_or(u32::MAX / 32);
    let title = format!(
        "Weights: the {n} strongest of {} features",
        artifact.model.features.len()
    );
    let labels: Vec<String> = rows.iter().map(|f| shorten(&f.name, 46)).collect();
    let (svg, frame) = render("chart-weights", (900, height), |root| {
        let last = i32::try_from(n).unwrap_or(i32::MAX) - 1;
        let x_axis = signed_axis(-extent * 1.7..extent * 1.7, WEIGHT_LABELS);
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(350)
            // Room beside the longest bars for their labels.
            .build_cartesian_2d(-extent * 1.7..extent * 1.7, Rows(last + 1))?;
        let label_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(last - i)
                .ok()
                .and_then(|k| labels.get(k).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .x_desc("weight: change in log-odds per standard deviation of the feature")
            .x_labels(WEIGHT_LABELS)
            .x_label_formatter(&|v| {
                if v.abs() < 1e-9 {
                    "0".to_string()
                } else {
                    x_axis.label(*v)
                }
            })
            .label_style((FONT, 14))
            .draw()?;
        for (k, f) in rows.iter().enumerate() {
            let i = last - i32::try_from(k).unwrap_or(0);
            let color = if f.weight >= 0.0 { TEAL } else { ORANGE };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (f.weight, SegmentValue::Exact(i + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
            let (dx, h) = if f.weight >= 0.0 {
                (5, HPos::Left)
            } else {
                (-5, HPos::Right)
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((f.weight, SegmentValue::CenterOf(i)))
                    + Text::new(
                        format!("odds ratio {}", odds(f.odds_ratio)),
                        (dx, 0),
                        text(14, &BLACK, h, VPos::Center),
                    ),
            ))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
            BLACK.stroke_width(1),
        )))?;
        Ok(None)
    })?;
    Ok(Chart {
        id: "chart-weights",
        title,
        note: "Bars: the weight of each feature in standard-deviation units, so lengths compare \
               across features (green raises the score, orange lowers it). Labels: the odds \
               ratio per unit of the feature; for an indicator, leads that have it vs leads \
               that do not."
            .into(),
        svg,
        frame,
    })
}

/// Each field's importance: the mean absolute contribution of the field (all its features
/// together) to the log-odds over training examples, colored by part.
pub fn importance(
    artifact: &ModelArtifact,
    explain: &ExplainSummary,
) -> Result<Chart, ReportError> {
    let mut rows: Vec<&GroupSummary> = explain.groups.iter().collect();
    rows.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    let n = rows.len().max(1);
    let extent = rows
        .iter()
        .map(|g| g.importance)
        .fold(0.0_f64, f64::max)
        .max(1e-6);
    let height = 110 + 26 * u32::try_from(n).unwrap_or(u32::MAX / 32);
    let title = format!(
        "Importance of each field ({} fields, {} features)",
        rows.len(),
        artifact.model.features.len()
    );
    let labels: Vec<String> = rows.iter().map(|g| shorten(&g.name, 40)).collect();
    let (svg, frame) = render("chart-importance", (900, height), |root| {
        let last = i32::try_from(n).unwrap_or(i32::MAX) - 1;
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(300)
            .build_cartesian_2d(0.0..extent * 1.25, Rows(last + 1))?;
        let label_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(last - i)
                .ok()
                .and_then(|k| labels.get(k).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .x_desc("mean absolute contribution to the log-odds over training examples")
            .label_style((FONT, 14))
            .draw()?;
        for (k, g) in rows.iter().enumerate() {
            let i = last - i32::try_from(k).unwrap_or(0);
            let color = match g.part {
                Part::Fit => TEAL,
                Part::Engagement => BLUE_PART,
            };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (g.importance, SegmentValue::Exact(i + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((g.importance, SegmentValue::CenterOf(i)))
                    + Text::new(
                        format!("{:.2} ({})", g.importance, g.part.label()),
                        (5, 0),
                        text(14, &BLACK, HPos::Left, VPos::Center),
                    ),
            ))?;
        }
        Ok(None)
    })?;
    Ok(Chart {
        id: "chart-importance",
        title,
        note: "How much each input field (every feature built from it together: its levels, \
               bins and missing indicator) or event type moves a lead's log-odds away from the \
               average lead's, on average over training examples. Green: fit (who the lead \
               is); blue: engagement (what it did, and its age)."
            .into(),
        svg,
        frame,
    })
}

/// Engagement, in the importance and shape charts.
const BLUE_PART: RGBColor = RGBColor(49, 104, 176);

/// Panels per row of the shape chart.
const SHAPE_COLUMNS: usize = 3;

/// Small multiples: for each field (most important first), its effect on the log-odds across
/// its values: a curve for numbers, event recency and lead age, a bar per level for categories.
pub fn shapes(explain: &ExplainSummary) -> Result<Chart, ReportError> {
    let mut rows: Vec<&GroupSummary> = explain.groups.iter().collect();
    rows.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    let panels = rows.len().max(1);
    let grid_rows = panels.div_ceil(SHAPE_COLUMNS);
    let (w, h) = (960u32, 290 * u32::try_from(grid_rows).unwrap_or(1) + 50);
    let title = "Shape of each field: its effect on the log-odds across its values".to_string();
    let (svg, frame) = render("chart-shapes", (w, h), |root| {
        let root = root.titled(&title, (FONT, 22))?;
        let areas = root.split_evenly((grid_rows, SHAPE_COLUMNS));
        for (area, g) in areas.iter().zip(&rows) {
            shape_panel(area, g)?;
        }
        Ok(None)
    })?;
    Ok(Chart {
        id: "chart-shapes",
        title,
        note: "Each panel: the change in a lead's log-odds (against the average training lead) \
               for each value of one field, everything else equal. Numbers and lead age: a \
               curve over the training range (steps are the field's bins); events: one event \
               of that type so many days ago, the dashed line a lead with none; categories: one \
               bar per level, `(other)` for rare levels; a pair of columns (`A x B`): a heat \
               map of its cells, each cell's effect on top of the two columns' own. Green: fit; \
               blue: engagement."
            .into(),
        svg,
        frame,
    })
}

fn shape_panel(area: &Area<'_>, g: &GroupSummary) -> DrawResult<()> {
    let color = match g.part {
        Part::Fit => TEAL,
        Part::Engagement => BLUE_PART,
    };
    let caption = format!("{} ({:.2})", shorten(&g.name, 30), g.importance);
    match &g.shape {
        Shape::Curve {
            x_label,
            points,
            reference,
        } => {
            let (x0, x1) = points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                    (a.min(p.0), b.max(p.0))
                });
            let ys = points
                .iter()
                .map(|p| p.1)
                .chain(reference.iter().map(|r| r.1))
                .chain(std::iter::once(0.0));
            let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                (a.min(y), b.max(y))
            });
            let (x0, x1) = if x0.is_finite() && x1 > x0 {
                (x0, x1)
            } else {
                (0.0, 1.0)
            };
            let pad = ((y1 - y0) * 0.1).max(0.05);
            let y_axis = signed_axis((y0 - pad)..(y1 + pad), 5);
            let mut chart = ChartBuilder::on(area)
                .caption(&caption, (FONT, 15))
                .margin(8)
                .x_label_area_size(34)
                .y_label_area_size(44)
                .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
            chart
                .configure_mesh()
                .bold_line_style(GRID)
                .light_line_style(TRANSPARENT)
                .x_labels(5)
                .y_labels(5)
                .x_desc(shorten(x_label, 40))
                .axis_desc_style((FONT, 12))
                .label_style((FONT, 11))
                .x_label_formatter(&|v| short_number(*v))
                .y_label_formatter(&|v| y_axis.label(*v))
                .draw()?;
            chart.draw_series(LineSeries::new(
                vec![(x0, 0.0), (x1, 0.0)],
                GREY.stroke_width(1),
            ))?;
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?;
            if let Some((label, y)) = reference {
                chart.draw_series(DashedLineSeries::new(
                    vec![(x0, *y), (x1, *y)],
                    4,
                    4,
                    MARK.into(),
                ))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{label}: {y:+.2}"),
                    (x0, *y),
                    text(11, &MARK, HPos::Left, VPos::Bottom),
                )))?;
            }
        }
        Shape::Bars { bars } => {
            let n = bars.len().max(1);
            let last = i32::try_from(n).unwrap_or(i32::MAX) - 1;
            let extent = bars
                .iter()
                .map(|b| b.1.abs())
                .fold(0.0_f64, f64::max)
                .max(0.05);
            // Cut in the middle: levels often differ only at their end (`Professional
            // Services - North America`, `... - South America`), which a cut at the end hides.
            let labels: Vec<String> = bars.iter().map(|b| shorten_middle(&b.0, 16)).collect();
            let x_axis = signed_axis(-extent * 1.1..extent * 1.1, 5);
            let mut chart = ChartBuilder::on(area)
                .caption(&caption, (FONT, 15))
                .margin(8)
                .x_label_area_size(24)
                .y_label_area_size(110)
                .build_cartesian_2d(-extent * 1.1..extent * 1.1, Rows(last + 1))?;
            let label_of = |v: &SegmentValue<i32>| match v {
                SegmentValue::CenterOf(i) => usize::try_from(last - i)
                    .ok()
                    .and_then(|k| labels.get(k).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            chart
                .configure_mesh()
                .bold_line_style(GRID)
                .light_line_style(TRANSPARENT)
                .disable_y_mesh()
                .y_labels(n)
                .x_labels(5)
                .y_label_formatter(&label_of)
                .x_label_formatter(&|v| x_axis.label(*v))
                .label_style((FONT, 11))
                .draw()?;
            for (k, (_, effect)) in bars.iter().enumerate() {
                let i = last - i32::try_from(k).unwrap_or(0);
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*effect, SegmentValue::Exact(i + 1)),
                    ],
                    if *effect >= 0.0 { color } else { ORANGE }.filled(),
                );
                bar.set_margin(1, 1, 0, 0);
                chart.draw_series(std::iter::once(bar))?;
            }
        }
        Shape::Grid {
            y_label,
            x_label,
            rows,
            columns,
            effects,
        } => grid_panel(area, &caption, (y_label, rows), (x_label, columns), effects)?,
    }
    Ok(())
}

/// A pair's heat map: one square per cell of its two columns, green above the average lead,
/// orange below, the effect written in it.
fn grid_panel(
    area: &Area<'_>,
    caption: &str,
    (y_label, rows): (&str, &[String]),
    (x_label, columns): (&str, &[String]),
    effects: &[Vec<f64>],
) -> DrawResult<()> {
    let (na, nb) = (rows.len().max(1), columns.len().max(1));
    let (last_a, last_b) = (
        i32::try_from(na).unwrap_or(i32::MAX) - 1,
        i32::try_from(nb).unwrap_or(i32::MAX) - 1,
    );
    let extent = effects
        .iter()
        .flatten()
        .map(|e| e.abs())
        .fold(0.0_f64, f64::max)
        .max(0.05);
    let row_labels: Vec<String> = rows.iter().map(|l| shorten(l, 14)).collect();
    let col_labels: Vec<String> = columns.iter().map(|l| shorten(l, 9)).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 15))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(96)
        .build_cartesian_2d(Rows(last_b + 1), Rows(last_a + 1))?;
    let row_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => usize::try_from(last_a - i)
            .ok()
            .and_then(|k| row_labels.get(k).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let col_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(j) => usize::try_from(*j)
            .ok()
            .and_then(|k| col_labels.get(k).cloned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .y_labels(na)
        .x_labels(nb)
        .y_label_formatter(&row_of)
        .x_label_formatter(&col_of)
        .x_desc(shorten(x_label, 40))
        .y_desc(shorten(y_label, 24))
        .axis_desc_style((FONT, 12))
        .label_style((FONT, 10))
        .draw()?;
    let mix = |c: RGBColor, t: f64| {
        let m = |a: u8| (255.0 - (255.0 - f64::from(a)) * t.clamp(0.0, 1.0)).round() as u8;
        RGBColor(m(c.0), m(c.1), m(c.2))
    };
    for (i, row) in effects.iter().enumerate() {
        let y = last_a - i32::try_from(i).unwrap_or(0);
        for (j, e) in row.iter().enumerate() {
            let x = i32::try_from(j).unwrap_or(0);
            let color = mix(if *e >= 0.0 { TEAL } else { ORANGE }, e.abs() / extent);
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ],
                color.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{e:+.2}"),
                (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                text(10, &BLACK, HPos::Center, VPos::Center),
            )))?;
        }
    }
    Ok(())
}

/// An axis of `n` equal slots, the rows of a horizontal bar chart or a heat map's rows or
/// columns: `Exact(i)` is the edge below slot `i` (`Exact(n)` and `Last` the far end),
/// `CenterOf(i)` its middle, and the labels sit at the middles. plotters' segmented integer
/// axis (`(0..n - 1).into_segmented()`) maps one slot, `0..0`, to no length at all: a field's
/// only bar was drawn with a negative height and without its label.
#[derive(Debug, Clone, Copy)]
struct Rows(i32);

impl Ranged for Rows {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = SegmentValue<i32>;

    fn map(&self, value: &SegmentValue<i32>, limit: (i32, i32)) -> i32 {
        let n = f64::from(self.0.max(1));
        let at = match value {
            SegmentValue::Exact(i) => f64::from(*i),
            SegmentValue::CenterOf(i) => f64::from(*i) + 0.5,
            SegmentValue::Last => n,
        };
        // Pixel coordinates: far inside i32 for any chart drawn here.
        limit.0 + (f64::from(limit.1 - limit.0) * at / n).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(
        &self,
        hint: H,
    ) -> Vec<SegmentValue<i32>> {
        // Every slot when the hint allows it (the charts ask for one label per row), else
        // every k-th.
        let step = usize::try_from(self.0)
            .unwrap_or(0)
            .div_ceil(hint.max_num_points().max(1))
            .max(1);
        (0..self.0.max(0))
            .step_by(step)
            .map(SegmentValue::CenterOf)
            .collect()
    }

    fn range(&self) -> std::ops::Range<SegmentValue<i32>> {
        SegmentValue::Exact(0)..SegmentValue::Exact(self.0.max(1))
    }
}

/// No label of its own: every chart names its slots with a formatter of its own.
impl plotters::coord::ranged1d::ValueFormatter<SegmentValue<i32>> for Rows {
    fn format(_value: &SegmentValue<i32>) -> String {
        String::new()
    }
}

/// Labels of the weights chart's x axis (plotters' default count).
const WEIGHT_LABELS: usize = 11;

/// How a signed log-odds axis writes its labels: with as many decimals as its key points
/// need (at least one). One decimal for every axis wrote a small effect's labels as
/// `-0.0 -0.0 +0.0 +0.0 +0.0`, and a step of 0.05 as `-0.1 +0.0 +0.1`.
#[derive(Debug, Clone, Copy)]
struct SignedAxis {
    decimals: usize,
}

impl SignedAxis {
    fn label(self, v: f64) -> String {
        let d = self.decimals;
        let text = format!("{v:+.d$}");
        // A key point a rounding error off zero (`-0.00`) is zero.
        if text
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b == b'0' || b == b'.')
        {
            format!("{:+.d$}", 0.0)
        } else {
            text
        }
    }
}

/// The labels of an axis over `range` with at most `labels` of them: the key points plotters
/// draws there (a step of 1, 2 or 5 times a power of ten) written with the fewest decimals
/// (at least one, at most six) that write each as it is, so neighbours differ.
fn signed_axis(range: std::ops::Range<f64>, labels: usize) -> SignedAxis {
    let points = plotters::coord::types::RangedCoordf64::from(range).key_points(labels);
    let step = points
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let decimals = (1..=6)
        .find(|&d| {
            let scale = 10f64.powi(i32::try_from(d).unwrap_or(6));
            points
                .iter()
                .all(|p| ((p * scale).round() / scale - p).abs() <= step * 1e-3)
        })
        .unwrap_or(6);
    SignedAxis { decimals }
}

/// An axis number, short: 1200 -> 1.2k.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// An odds ratio as people read it.
pub(crate) fn odds(x: f64) -> String {
    if x >= 100.0 || (x > 0.0 && x < 0.01) {
        format!("{x:.2e}")
    } else if (x - 1.0).abs() < 0.01 {
        // Per unit of a wide-ranged feature (seconds on the website): show the small effect.
        format!("{x:.4}")
    } else {
        format!("{x:.2}")
    }
}

/// Records the frame of a chart on `[x0, x1] x [y0, y1]`.
fn frame_of<X, Y>(
    chart: &ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    x: [f64; 2],
    y: [f64; 2],
) -> Frame
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (px0, py0) = chart.backend_coord(&(x[0], y[0]));
    let (px1, py1) = chart.backend_coord(&(x[1], y[1]));
    Frame {
        x,
        y,
        px: [px0, px1],
        py: [py0, py1],
    }
}

/// ROC curve with the cutoff marked.
pub fn roc(set: &EvaluationSet, cutoff: Option<&MarkedCutoff>) -> Result<Chart, ReportError> {
    let c = set.charted();
    let (pos, neg) = (c.positives, c.total - c.positives);
    let rate = crate::figures::ratio;
    let points: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(c.points.iter().map(|p| (rate(p.fp, neg), rate(p.tp, pos))))
        .collect();
    let title = format!("ROC curve (AUC {})", metric_text(set.evaluation.roc_auc, 3));
    let (svg, frame) = render("chart-roc", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .x_desc("false positive rate: share of unconverted leads selected")
            .y_desc("recall: share of converted leads selected")
            .label_style((FONT, 14))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            5,
            5,
            GREY.into(),
        ))?;
        chart.draw_series(LineSeries::new(points, TEAL.stroke_width(2)))?;
        if let Some(m) = cutoff {
            // The cutoff's point on the charted (per-example) curve.
            let p = c.at_threshold(m.chosen.threshold, m.chosen.confidence);
            let at = (rate(p.fp, neg), p.recall);
            mark(&mut chart, at, &format!("cutoff {:.3}", p.threshold))?;
        }
        Ok(Some(frame_of(&chart, [0.0, 1.0], [0.0, 1.0])))
    })?;
    Ok(Chart {
        id: "chart-roc",
        title,
        note: format!(
            "Each point is a score threshold on the {}: the share of converted leads it \
             selects against the share of unconverted ones. The diagonal is a random order.{}",
            set.name,
            handoff_note(set, cutoff)
        ),
        svg,
        frame,
    })
}

/// For a set whose cutoffs are judged on another curve than the one charted (an age-aware
/// model: its examples are charted, its promise is kept per lead at handoff), what the red mark
/// is and where the cutoff's own numbers come from; empty otherwise. Without it the mark sat at
/// recall 0.54, precision 0.57 beside a cutoff said to give recall 0.79, precision 0.55.
fn handoff_note(set: &EvaluationSet, cutoff: Option<&MarkedCutoff>) -> String {
    let (Some(m), Some(_)) = (cutoff, set.handoff.as_ref()) else {
        return String::new();
    };
    let p = set
        .charted()
        .at_threshold(m.chosen.threshold, m.chosen.confidence);
    format!(
        " The red mark is the cutoff's point among these examples (a lead at each moment of \
         its life it was scored: recall {:.3}, precision {:.3}); the cutoff's own numbers \
         (recall {:.3}, precision {:.3}) count each holdout lead once, replayed through its \
         life and handed over the first time it crosses the cutoff.",
        p.recall, p.precision, m.on_set.recall, m.on_set.precision
    )
}

/// Draws the cutoff marker (a red dot and its label) at `at`.
fn mark<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    at: (f64, f64),
    label: &str,
) -> DrawResult<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    // Label to the right of the dot, or to its left near the right edge.
    let (dx, h) = if at.0 > 0.6 {
        (-10, HPos::Right)
    } else {
        (10, HPos::Left)
    };
    chart.draw_series(std::iter::once(
        EmptyElement::at(at)
            + Circle::new((0, 0), 6, MARK.filled())
            + Text::new(label.to_string(), (dx, 8), text(16, &MARK, h, VPos::Top)),
    ))?;
    Ok(())
}

/// Precision-recall curve with the base rate and the cutoff marked.
pub fn precision_recall(
    set: &EvaluationSet,
    cutoff: Option<&MarkedCutoff>,
) -> Result<Chart, ReportError> {
    let c = set.charted();
    let rate = crate::figures::ratio;
    let points: Vec<(f64, f64)> = c
        .points
        .iter()
        .map(|p| (rate(p.tp, c.positives), rate(p.tp, p.tp + p.fp)))
        .collect();
    let base = rate(c.positives, c.total);
    let title = format!(
        "Precision and recall (average precision {})",
        metric_text(set.evaluation.pr_auc, 3)
    );
    let (svg, frame) = render("chart-pr", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .x_desc("recall: share of converted leads selected")
            .y_desc("precision: share of selected leads that convert")
            .label_style((FONT, 14))
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, base), (1.0, base)],
                5,
                5,
                GREY.into(),
            ))?
            .label(format!("base rate {}", pct(base)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY));
        chart
            .draw_series(LineSeries::new(points, TEAL.stroke_width(2)))?
            .label("model")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TEAL.stroke_width(2)));
        if let Some(m) = cutoff {
            // On the curve drawn, as the ROC chart marks it.
            let p = c.at_threshold(m.chosen.threshold, m.chosen.confidence);
            mark(
                &mut chart,
                (p.recall, p.precision),
                &format!("cutoff {:.3}", p.threshold),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()?;
        Ok(Some(frame_of(&chart, [0.0, 1.0], [0.0, 1.0])))
    })?;
    Ok(Chart {
        id: "chart-pr",
        title,
        note: format!(
            "What a cutoff buys on the {}: lowering it finds more of the converted leads \
             (recall) at the price of precision. The dashed line is the share that converts \
             anyway.{}",
            set.name,
            handoff_note(set, cutoff)
        ),
        svg,
        frame,
    })
}

/// Calibration: mean predicted score against the observed conversion rate per score bin.
pub fn calibration(set: &EvaluationSet) -> Result<Chart, ReportError> {
    let bins = &set.evaluation.calibration;
    let largest = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let title = format!("Calibration (Brier {:.4})", set.evaluation.brier);
    let (svg, frame) = render("chart-calibration", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .x_desc("mean predicted score in the bin")
            .y_desc("observed conversion rate")
            .label_style((FONT, 14))
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                5,
                5,
                GREY.into(),
            ))?
            .label("perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY));
        chart
            .draw_series(LineSeries::new(
                bins.iter().map(|b| (b.mean_score, b.observed_rate)),
                TEAL.stroke_width(2),
            ))?
            .label("model (dot area: leads in the bin)")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, TEAL.filled()));
        chart.draw_series(bins.iter().map(|b| {
            // Radius 3..9 by the square root of the bin's share of the largest bin.
            let r = 3.0 + 6.0 * (b.count as f64 / largest).sqrt();
            Circle::new(
                (b.mean_score, b.observed_rate),
                r.round() as i32,
                TEAL.filled(),
            )
        }))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()?;
        Ok(Some(frame_of(&chart, [0.0, 1.0], [0.0, 1.0])))
    })?;
    Ok(Chart {
        id: "chart-calibration",
        title,
        note: format!(
            "Leads of the {} in ten equal score bins: when the dots lie on the diagonal, a \
             score of 0.3 means 30% of such leads convert.",
            set.name
        ),
        svg,
        frame,
    })
}

/// Vertical bars of conversion rate per group with the base rate; labels above each bar.
fn rate_bars(
    id: &'static str,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    groups: &[(String, f64, String)],
    (reference, base_rate): (&str, f64),
) -> Result<(String, Option<Frame>), ReportError> {
    render(id, SIZE, |root| {
        let n = groups.len().max(1);
        let last = i32::try_from(n).unwrap_or(i32::MAX) - 1;
        // One group (every tier but the rest unattainable, a funnel of one period): plotters
        // draws the one-segment axis 0..0 with no width (a bar of negative width), so the bar
        // gets an empty segment on either side.
        let first = if n == 1 { -1 } else { 0 };
        let last = if n == 1 { 1 } else { last };
        let top = groups
            .iter()
            .map(|g| g.1)
            .fold(base_rate, f64::max)
            .max(0.01)
            * 1.18;
        let top = top.min(1.0).max(base_rate * 1.1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d((first..last).into_segmented(), 0.0..top)?;
        let label_of = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .and_then(|k| groups.get(k))
                .map(|g| g.0.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .disable_x_mesh()
            .x_labels(usize::try_from(last - first + 1).unwrap_or(n))
            .x_label_formatter(&label_of)
            .y_label_formatter(&|v| pct(*v))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style((FONT, 14))
            .draw()?;
        for (k, (_, rate, label)) in groups.iter().enumerate() {
            let i = i32::try_from(k).unwrap_or(0);
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), *rate),
                ],
                TEAL.filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            chart.draw_series(std::iter::once(bar))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((SegmentValue::CenterOf(i), *rate))
                    + Text::new(
                        label.clone(),
                        (0, -4),
                        text(14, &BLACK, HPos::Center, VPos::Bottom),
                    ),
            ))?;
        }
        chart
            .draw_series(DashedLineSeries::new(
                vec![
                    (SegmentValue::Exact(first), base_rate),
                    (SegmentValue::Last, base_rate),
                ],
                5,
                5,
                GREY.stroke_width(2),
            ))?
            .label(format!("{reference} {}", pct(base_rate)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()?;
        Ok(None)
    })
}

/// Conversion rate and lift by score decile.
pub fn lift_by_decile(set: &EvaluationSet) -> Result<Chart, ReportError> {
    let e = &set.evaluation;
    let groups: Vec<(String, f64, String)> = e
        .lift
        .iter()
        .map(|l| {
            (
                l.decile.to_string(),
                l.conversion_rate,
                format!("{:.1}×", l.lift),
            )
        })
        .collect();
    let title = "Conversion by score decile".to_string();
    let (svg, frame) = rate_bars(
        "chart-lift-decile",
        &title,
        (
            "score decile (1 = the highest-scoring tenth of leads)",
            "conversion rate",
        ),
        &groups,
        ("base rate", e.base_rate),
    )?;
    let top = e.lift.first();
    Ok(Chart {
        id: "chart-lift-decile",
        title,
        note: format!(
            "Leads of the {} ranked by score and cut into tenths; the label on each bar is its \
             lift (conversion rate over the base rate).{}",
            set.name,
            top.map_or_else(
                || " Nobody converted here: there is no lift to draw.".to_string(),
                |l| format!(
                    " The top tenth converts at {} and holds {} of all conversions.",
                    pct(l.conversion_rate),
                    pct(l.cumulative_capture)
                )
            )
        ),
        svg,
        frame,
    })
}

/// Conversion rate and lift by tier.
pub fn lift_by_tier(set: &EvaluationSet, tiers: &[TierRow]) -> Result<Chart, ReportError> {
    let shown: Vec<&TierRow> = tiers.iter().filter(|t| !t.unattainable).collect();
    let groups: Vec<(String, f64, String)> = shown
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.conversion_rate,
                // A tier of no leads has no lift (as its row in the tier table says).
                if t.leads == 0 {
                    "no leads".to_string()
                } else if set.curve.positives == 0 {
                    format!("{} of leads", pct(t.share_of_leads))
                } else {
                    format!("{:.1}× · {} of leads", t.lift, pct(t.share_of_leads))
                },
            )
        })
        .collect();
    let title = "Conversion by tier".to_string();
    let base = crate::figures::ratio(set.curve.positives, set.curve.total);
    let (svg, frame) = rate_bars(
        "chart-lift-tier",
        &title,
        (
            "tier (a lead gets the strictest tier whose cutoff it reaches)",
            "conversion rate",
        ),
        &groups,
        ("base rate", base),
    )?;
    let missing: Vec<String> = tiers
        .iter()
        .filter(|t| t.unattainable)
        .map(|t| {
            format!(
                "{} (target {:.2})",
                isolate(&t.name),
                t.target.unwrap_or(f64::NAN)
            )
        })
        .collect();
    Ok(Chart {
        id: "chart-lift-tier",
        title,
        note: format!(
            "Tiers are precision targets on the holdout curve, as the server assigns them; \
             bars show how each converts on the {}, with its lift and share of leads.{}",
            set.name,
            if missing.is_empty() {
                String::new()
            } else {
                format!(" Not attainable, so never given: {}.", missing.join(", "))
            }
        ),
        svg,
        frame,
    })
}

/// Realized precision of the MQLs per group (over every period), against the promise.
pub fn funnel_precision(f: &Funnel) -> Result<Chart, ReportError> {
    let by = f.settings.by.as_deref().unwrap_or("all leads");
    let groups: Vec<(String, f64, String)> = f
        .rows
        .iter()
        .filter(|r| r.period == "all")
        .map(|r| {
            (
                shorten(&r.group, 11),
                r.realized_precision.unwrap_or(0.0),
                match r.realized_precision {
                    Some(_) => format!("{} of {}", r.mqls_known_converted, r.mqls_known),
                    None => "none known".into(),
                },
            )
        })
        .collect();
    let (reference, line) = match f.settings.target_precision {
        Some(p) => ("promised", p),
        None => ("overall", f.total.realized_precision.unwrap_or(0.0)),
    };
    let title = format!("Realized MQL precision by {}", shorten(by, 24));
    let (svg, frame) = rate_bars(
        "chart-funnel-precision",
        &title,
        (by, "MQLs converted / known MQLs"),
        &groups,
        (reference, line),
    )?;
    Ok(Chart {
        id: "chart-funnel-precision",
        title,
        note: format!(
            "Of the MQLs whose {}-day horizon has passed, the share that converted within it, per {by}; each bar is labelled converted of known. The dashed line is the {reference} precision.",
            f.settings.horizon_days
        ),
        svg,
        frame,
    })
}

/// The MQL rate per period, over every group.
pub fn funnel_mql_rate(f: &Funnel) -> Result<Chart, ReportError> {
    let mut periods: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for r in f.rows.iter().filter(|r| r.period != "all") {
        let e = periods.entry(r.period.as_str()).or_default();
        e.0 += r.leads;
        e.1 += r.mqls;
    }
    let groups: Vec<(String, f64, String)> = periods
        .iter()
        .map(|(p, (leads, mqls))| {
            (
                (*p).to_string(),
                crate::figures::ratio(*mqls, *leads),
                format!("{mqls}"),
            )
        })
        .collect();
    let title = format!("MQL rate by {}", f.settings.period.name());
    let (svg, frame) = rate_bars(
        "chart-funnel-mql-rate",
        &title,
        (
            &format!("{} the leads entered", f.settings.period.name()),
            "MQLs / leads",
        ),
        &groups,
        ("overall", f.total.mql_rate.unwrap_or(0.0)),
    )?;
    Ok(Chart {
        id: "chart-funnel-mql-rate",
        title,
        note: "Leads grouped by the period they entered the funnel; the bar is the share that became MQLs, labelled with how many did."
            .into(),
        svg,
        frame,
    })
}

/// Score distribution of converted and unconverted leads, with the cutoff.
pub fn score_distribution(
    set: &EvaluationSet,
    cutoff: Option<&MarkedCutoff>,
) -> Result<Chart, ReportError> {
    // Every lead of the set, held back by a gate or not (the curve the ROC chart draws): a
    // flat model's gated curve leaves its held-back leads out, and the histogram lost them.
    let h: ClassHistogram = class_histogram(set.charted(), SCORE_BINS);
    let total_conv: u64 = h.converted.iter().sum();
    let total_not: u64 = h.not_converted.iter().sum();
    let share = |counts: &[u64], total: u64| -> Vec<f64> {
        counts
            .iter()
            .map(|&c| crate::figures::ratio(c, total))
            .collect()
    };
    let conv = share(&h.converted, total_conv);
    let not = share(&h.not_converted, total_not);
    let top = conv.iter().chain(&not).copied().fold(0.01_f64, f64::max) * 1.12;
    let title = "Scores of converted and unconverted leads".to_string();
    let (svg, frame) = render("chart-score-distribution", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..1.0, 0.0..top)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_desc_style((FONT, 15))
            .x_desc("score")
            .y_desc("share of the group's leads")
            .y_label_formatter(&|v| pct(*v))
            .label_style((FONT, 14))
            .draw()?;
        let bars = |shares: &[f64], color: RGBColor| -> Vec<Rectangle<(f64, f64)>> {
            shares
                .iter()
                .enumerate()
                .map(|(k, &s)| {
                    Rectangle::new(
                        [(h.edges[k], 0.0), (h.edges[k + 1], s)],
                        color.mix(0.5).filled(),
                    )
                })
                .collect()
        };
        chart
            .draw_series(bars(&not, GREY))?
            .label(format!("not converted ({total_not})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], GREY.mix(0.5).filled()));
        chart
            .draw_series(bars(&conv, TEAL))?
            .label(format!("converted ({total_conv})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], TEAL.mix(0.5).filled()));
        if let Some(m) = cutoff {
            let t = m.chosen.threshold;
            chart.draw_series(DashedLineSeries::new(
                vec![(t, 0.0), (t, top)],
                6,
                4,
                MARK.stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((t, top))
                    + Text::new(
                        format!("cutoff {t:.3}"),
                        (6, 4),
                        text(16, &MARK, HPos::Left, VPos::Top),
                    ),
            ))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font((FONT, 14))
            .draw()?;
        Ok(Some(frame_of(&chart, [0.0, 1.0], [0.0, top])))
    })?;
    Ok(Chart {
        id: "chart-score-distribution",
        title,
        note: format!(
            "Share of each group's leads in {SCORE_BINS} score bins on the {}: the less the two \
             overlap, the better the score separates them. Leads right of the cutoff are MQLs.",
            set.name
        ),
        svg,
        frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::EvaluationSet;

    // Short enough not to be cut (the weights chart shortens names to 46 characters).
    const EVIL: &str = "<script>alert(1)</script><img src=x>&\"'";
    const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x&gt;&amp;&quot;&apos;";

    fn demo() -> ModelArtifact {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        ModelArtifact::load(&path).unwrap()
    }

    #[test]
    fn plotters_escapes_feature_names_in_the_svg() {
        let mut artifact = demo();
        // The strongest weight, so its bar and label are drawn.
        let strongest = artifact
            .model
            .features
            .iter_mut()
            .max_by(|a, b| a.weight.abs().total_cmp(&b.weight.abs()))
            .unwrap();
        strongest.name = EVIL.to_string();
        let svg = weights(&artifact, 5).unwrap().svg;
        assert!(svg.contains(ESCAPED), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
    }

    #[test]
    fn plotters_escapes_tier_names_in_the_svg() {
        let set = EvaluationSet::holdout(&demo());
        let tier = TierRow {
            name: EVIL.to_string(),
            target: Some(0.5),
            threshold: Some(0.5),
            unattainable: false,
            leads: 10,
            converted: 5,
            share_of_leads: 0.1,
            conversion_rate: 0.5,
            lift: 2.0,
        };
        let svg = lift_by_tier(&set, &[tier]).unwrap().svg;
        assert!(svg.contains(ESCAPED), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
    }

    /// One bar (every tier but the rest unattainable) is drawn, with a width: plotters' axis
    /// of one segment had none, and the chart showed its label over an empty plot.
    #[test]
    fn a_chart_of_one_bar_draws_it() {
        let set = EvaluationSet::holdout(&demo());
        let rest = TierRow {
            name: "rest".to_string(),
            target: None,
            threshold: None,
            unattainable: false,
            leads: 100,
            converted: 30,
            share_of_leads: 1.0,
            conversion_rate: 0.3,
            lift: 1.0,
        };
        let svg = lift_by_tier(&set, &[rest]).unwrap().svg;
        let teal = format!("fill=\"#{:02X}{:02X}{:02X}\"", TEAL.0, TEAL.1, TEAL.2);
        let bars: Vec<&str> = svg
            .split("<rect")
            .skip(1)
            .filter(|r| r.contains(&teal))
            .collect();
        assert_eq!(bars.len(), 1, "{svg}");
        let width = bars[0]
            .split("width=\"")
            .nth(1)
            .and_then(|w| w.split('"').next())
            .and_then(|w| w.parse::<f64>().ok())
            .expect("a width");
        assert!(width > 50.0, "{}", bars[0]);
    }

    /// The numbers an SVG gives an attribute (`height="-6"`), over all its elements.
    fn attribute_values(svg: &str, name: &str) -> Vec<f64> {
        svg.split(&format!(" {name}=\""))
            .skip(1)
            .filter_map(|v| v.split('"').next()?.parse().ok())
            .collect()
    }

    /// A model of one field (one numeric column, one category, one yes/no column) has one
    /// row of importance, one bar of a category and one cell of a heat map's axis: each is
    /// drawn with its size and its label (plotters' axis of one segment gave the bar a height
    /// of -6 and no label).
    #[test]
    fn charts_of_one_field_draw_its_bar_and_label() {
        let one = |name: &str, shape: Shape| ExplainSummary {
            groups: vec![GroupSummary {
                name: name.to_string(),
                part: Part::Fit,
                importance: 0.8,
                shape,
            }],
            ..ExplainSummary::default()
        };
        let check = |svg: &str, label: &str| {
            for name in ["height", "width"] {
                let values = attribute_values(svg, name);
                assert!(!values.is_empty(), "{svg}");
                assert!(values.iter().all(|v| *v > 0.0), "{name}: {values:?}\n{svg}");
            }
            assert!(
                svg.contains(&format!(">\n{label}\n</text>")),
                "{label}\n{svg}"
            );
        };
        let artifact = demo();
        let curve = one(
            "lone_number",
            Shape::Curve {
                x_label: "lone_number".into(),
                points: vec![(0.0, -0.5), (1.0, 0.5)],
                reference: None,
            },
        );
        let svg = importance(&artifact, &curve).unwrap().svg;
        check(&svg, "lone_number");
        let teal = format!("fill=\"#{:02X}{:02X}{:02X}\"", TEAL.0, TEAL.1, TEAL.2);
        let bar = svg
            .split("<rect")
            .find(|r| r.contains(&teal))
            .expect("the bar");
        assert!(attribute_values(bar, "height")[0] > 20.0, "{bar}");

        let bars = one(
            "lone_category",
            Shape::Bars {
                bars: vec![("only level".into(), 0.4)],
            },
        );
        check(&shapes(&bars).unwrap().svg, "only level");
        let grid = one(
            "a x b",
            Shape::Grid {
                y_label: "a".into(),
                x_label: "b".into(),
                rows: vec!["= r".into()],
                columns: vec!["= c".into()],
                effects: vec![vec![0.3]],
            },
        );
        let svg = shapes(&grid).unwrap().svg;
        check(&svg, "= r");
        check(&svg, "= c");

        let mut artifact = demo();
        artifact.model.features.truncate(1);
        let svg = weights(&artifact, 5).unwrap().svg;
        check(&svg, &artifact.model.features[0].name);
    }

    /// The signed labels of an SVG (`+0.02`), in the order drawn.
    fn signed_labels(svg: &str) -> Vec<String> {
        svg.split("\n</text>")
            .filter_map(|t| t.rsplit('\n').next())
            .filter(|t| t.starts_with(['+', '-']) && t[1..].parse::<f64>().is_ok())
            .map(str::to_string)
            .collect()
    }

    /// A field of small effects gets axis labels that differ: one decimal wrote
    /// `-0.0 -0.0 +0.0 +0.0 +0.0` on a curve within 0.05 of the average lead, and likewise on
    /// a category's bars; large effects keep one decimal.
    #[test]
    fn small_effects_get_axis_labels_that_differ() {
        let one = |shape: Shape| ExplainSummary {
            groups: vec![GroupSummary {
                name: "field".into(),
                part: Part::Fit,
                importance: 0.01,
                shape,
            }],
            ..ExplainSummary::default()
        };
        let distinct = |labels: &[String]| {
            assert!(labels.len() >= 3, "{labels:?}");
            let mut sorted = labels.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), labels.len(), "{labels:?}");
        };
        let curve = |points: Vec<(f64, f64)>| {
            one(Shape::Curve {
                x_label: "x".into(),
                points,
                reference: None,
            })
        };
        let small = signed_labels(
            &shapes(&curve(vec![(0.0, -0.012), (1.0, 0.004), (2.0, 0.021)]))
                .unwrap()
                .svg,
        );
        distinct(&small);
        assert!(small.iter().all(|l| l.len() == 5), "{small:?}"); // +0.05
        let tiny = signed_labels(
            &shapes(&one(Shape::Bars {
                bars: vec![("a".into(), 0.0004), ("b".into(), -0.0003)],
            }))
            .unwrap()
            .svg,
        );
        distinct(&tiny);
        let large = signed_labels(
            &shapes(&curve(vec![(0.0, -1.5), (1.0, 0.2), (2.0, 2.0)]))
                .unwrap()
                .svg,
        );
        distinct(&large);
        assert!(large.iter().all(|l| l.len() == 4), "{large:?}"); // +1.0
        assert_eq!(SignedAxis { decimals: 2 }.label(-1e-17), "+0.00");
    }
}
