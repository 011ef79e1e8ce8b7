//! The label of a flat table: which rows converted, checked so that a wrong column or a wrong
//! `--positive` is an error naming the file and column, not a silently useless model.

use crate::error::{Result, TrainError};
use crate::load::{column, Table};
use leadscore_core::value::{f32_as_written, number_to_level};
use polars::prelude::*;

/// Cell values of any column as text (numbers as [`number_to_level`], booleans as true/false);
/// `None` for null. Used for labels and for categorical features alike.
pub fn text_values(s: &Series) -> Result<Vec<Option<String>>, PolarsError> {
    Ok(match s.dtype() {
        DataType::String => s.str()?.iter().map(|v| v.map(str::to_string)).collect(),
        DataType::Boolean => s
            .bool()?
            .iter()
            .map(|v| v.map(|b| if b { "true" } else { "false" }.to_string()))
            .collect(),
        // Integers keep every digit (through f64 an id past 2^53 would change).
        dt if dt.is_signed_integer() => s
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
        dt if dt.is_unsigned_integer() => s
            .cast(&DataType::UInt64)?
            .u64()?
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
        dt if dt.is_primitive_numeric() => float_values(s)?
            .into_iter()
            .map(|v| v.filter(|x| x.is_finite()).map(number_to_level))
            .collect(),
        DataType::Null => vec![None; s.len()],
        _ => s
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
    })
}

/// A numeric column's values as f64, a Float32 value as the decimal it was written as: 0.1
/// stored as Float32 is 0.1, as the same number sent to the server in JSON or written in a CSV
/// is, not the 0.10000000149 a widening cast makes of it (which fell outside a training range
/// ending at 0.1, and made a level `0.10000000149011612` no request could name).
pub fn float_values(s: &Series) -> Result<Vec<Option<f64>>, PolarsError> {
    if s.dtype() == &DataType::Float32 {
        return Ok(s.f32()?.iter().map(|v| v.map(f32_as_written)).collect());
    }
    Ok(s.cast(&DataType::Float64)?.f64()?.iter().collect())
}

/// Reads the label column: `true` where the value is one of `positive` (case-insensitive). Every
/// row needs a label (the outcomes of an outcomes table, a label column beside events); a flat
/// training or evaluation file goes through [`flat_labels`] instead.
pub fn labels(table: &Table, label: &str, positive: &[String]) -> Result<Vec<bool>> {
    labels_of(table, label, positive, OneClass::Refused)
}

/// [`labels`] of an outcomes table's `converted` column, which may hold only the positive
/// class: a closed-deals export lists converted leads only, and the leads absent from it are
/// the negatives.
pub fn outcome_labels(table: &Table, label: &str, positive: &[String]) -> Result<Vec<bool>> {
    labels_of(table, label, positive, OneClass::Positive)
}

/// [`labels`] of the outcomes `monitor` joins with decisions, which trains nothing: one class
/// is a period as it was, every lead listed converted (a closed-deals export) or none (a quiet
/// month's `0`s), as long as that class reads as one: a positive value, or a common spelling of
/// not converted ([`NEGATIVE_WORDS`]).
pub fn monitor_labels(table: &Table, label: &str, positive: &[String]) -> Result<Vec<bool>> {
    labels_of(table, label, positive, OneClass::Either)
}

/// The spellings of "not converted" a column of one class may hold ([`monitor_labels`]).
const NEGATIVE_WORDS: [&str; 6] = ["0", "false", "no", "n", "f", "0.0"];

/// Whether a label column of one class is accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OneClass {
    /// Never: a model needs both classes (training).
    Refused,
    /// When it is a positive value.
    Positive,
    /// When it is a positive value, one of [`NEGATIVE_WORDS`] or a named negative value:
    /// outcomes a model is judged on (`evaluate`, `monitor`), where a month in which nobody
    /// converted is a result, not a mistake.
    Either,
}

impl OneClass {
    /// Whether a label column whose (trimmed) classes are `classes` is accepted as one class:
    /// every class converted (in any of the positive values' spellings), or, for
    /// [`OneClass::Either`], every class a spelling of not converted ([`NEGATIVE_WORDS`] or a
    /// named negative value). A column of two real classes is never accepted here.
    fn accepts(
        self,
        classes: &[(String, usize)],
        positive: &[String],
        negative: &[String],
    ) -> bool {
        // (No rows at all, a fresh outcomes table of a period without conversions, is no
        // class to refuse; the flat file's and training's readers refuse it before.)
        let all = |f: &dyn Fn(&str) -> bool| classes.iter().all(|(c, _)| f(c));
        match self {
            Self::Refused => false,
            Self::Positive => all(&|c| is_positive(positive, c)),
            Self::Either => {
                all(&|c| is_positive(positive, c))
                    || all(&|c| {
                        !is_positive(positive, c)
                            && (is_positive(negative, c) || is_negative_word(c))
                    })
            }
        }
    }
}

/// Whether label classes (more than two) are two classes spelled in several ways: the
/// positive values are the defaults, some classes are among them and every other is one of
/// [`NEGATIVE_WORDS`] (`Yes`/`Y` beside `No`/`N`).
fn spellings_of_two<'a>(
    classes: impl Iterator<Item = &'a str> + Clone,
    positive: &[String],
) -> bool {
    positive == leadscore_core::value::default_positive_values().as_slice()
        && classes.clone().any(|c| is_positive(positive, c))
        && classes.clone().any(|c| !is_positive(positive, c))
        && classes
            .filter(|c| !is_positive(positive, c))
            .all(is_negative_word)
}

/// Whether `class` is one of [`NEGATIVE_WORDS`] (in any case, trimmed).
fn is_negative_word(class: &str) -> bool {
    NEGATIVE_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(class.trim()))
}

/// The error for a label column whose classes are none of them converted, and not all of
/// them spellings of not converted (fresh outcomes: `evaluate`, `monitor`); `hint`, when not
/// empty, says how to read them as not converted.
fn neither_error(classes: &[(String, usize)], positive: &[String], hint: &str) -> String {
    // The classes that are no spelling of not converted are the ones named as neither
    // (`"0", "1"` under a model whose converted value is `Won`: `"1"` is neither; `"0"` is a
    // spelling of not converted).
    let strange: Vec<(String, usize)> = classes
        .iter()
        .filter(|(c, _)| !is_negative_word(c))
        .cloned()
        .collect();
    let shown = if strange.len() == classes.len() {
        format!(
            "every labelled row is {}, which is",
            quoted_classes(classes, ", ")
        )
    } else {
        format!(
            "the labelled rows are {}; {} {}",
            quoted_classes(classes, ", "),
            quoted_classes(&strange, ", "),
            if strange.len() == 1 { "is" } else { "are" }
        )
    };
    format!(
        "{shown} neither a converted value ({}) nor a spelling \
         of not converted ({}): {}",
        positive.join(", "),
        NEGATIVE_WORDS.join(", "),
        if hint.is_empty() {
            "is it the right column?".to_string()
        } else {
            format!("{hint} (or is it the wrong column?)")
        }
    )
}

/// The first four of `classes`, quoted, joined by `sep`.
fn quoted_classes(classes: &[(String, usize)], sep: &str) -> String {
    classes
        .iter()
        .take(4)
        .map(|(c, _)| leadscore_core::explain::Quoted(c).to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn labels_of(
    table: &Table,
    label: &str,
    positive: &[String],
    one_class: OneClass,
) -> Result<Vec<bool>> {
    let col_err = column_error(table, label);
    let values = text_values(column(table, label)?).map_err(|e| col_err(e.to_string()))?;
    if let Some((count, first)) = missing_labels(&values) {
        return Err(col_err(format!(
            "{count} {} no label (first: row {first}); every training row needs an outcome",
            if count == 1 { "row has" } else { "rows have" }
        )));
    }
    let classes = class_counts(&values);
    if !one_class.accepts(&classes, positive, &[]) {
        // Outcomes a monitor joins: one class that reads as neither (a model is not trained
        // here, so "a model needs both" would not be the reason).
        if one_class == OneClass::Either && classes.len() == 1 {
            return Err(col_err(neither_error(&classes, positive, "")));
        }
        check_classes(&values, positive, &col_err)?;
    }
    Ok(values
        .iter()
        .map(|v| v.as_deref().is_some_and(|v| is_positive(positive, v)))
        .collect())
}

/// The labels of a flat leads file, where a row without a label is a lead without an outcome
/// yet (an export of every lead, open ones included).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatLabels {
    /// Converted, per row of the file (`false` for a row without a label).
    pub y: Vec<bool>,
    /// The rows (0-based) that have an outcome, when some do not: the only rows to train or
    /// evaluate on. `None` when every row counts.
    pub labelled: Option<Vec<usize>>,
    /// What was done with the rows without a label, for the warnings; `None` when none lacks one.
    pub warning: Option<String>,
}

/// Reads the label column of a flat leads file. Rows without a label (empty or a missing token)
/// are left out, counted in a warning that names the first, when the labelled rows hold both
/// classes. When every labelled row is converted, the file reads as an export that marks
/// conversions only (`Yes` or nothing): the rows without a label are the leads that did not
/// convert, as the leads missing from a closed-deals outcomes table are, and the warning says
/// so. A file with no label at all, or whose labelled rows all did not convert, is an error.
///
/// A label of more than two classes (a lead status: `Won`, `Lost`, `Open`) needs its converted
/// values named (`positive` other than the default): with `negative` empty, every other class
/// counts as not converted, with a warning that lists them; with `negative` named, a row whose
/// label is neither positive nor negative is a lead without an outcome yet, left out as a row
/// without a label is.
///
/// `one_class` says whether labelled rows of one class are read (fresh data a model is judged
/// on) or refused (training).
pub fn flat_labels(
    table: &Table,
    label: &str,
    positive: &[String],
    negative: &[String],
    one_class: OneClass,
) -> Result<FlatLabels> {
    let col_err = column_error(table, label);
    let mut values = text_values(column(table, label)?).map_err(|e| col_err(e.to_string()))?;
    let empty = values.iter().filter(|v| v.is_none()).count();
    // A value named both converted and not, or a named negative no row holds (a typo: every
    // not-converted row would be left out as open, and the error would read "only one class").
    if let Some(both) = negative.iter().find(|n| is_positive(positive, n)) {
        return Err(col_err(format!(
            "{both:?} is named both a positive (converted) and a negative label value"
        )));
    }
    if !negative.is_empty() {
        let classes = class_counts(&values);
        // Fresh outcomes in which every lead with one converted (`Won`, the rest `Open`) hold
        // no negative for a reason.
        let all_converted =
            one_class == OneClass::Either && classes.iter().any(|(c, _)| is_positive(positive, c));
        if !all_converted && !classes.iter().any(|(c, _)| is_positive(negative, c)) {
            let quoted = |v: &mut dyn Iterator<Item = &str>| {
                v.map(|c| leadscore_core::explain::Quoted(c).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(col_err(format!(
                "no row holds the negative label value{} {} (the column holds {})",
                if negative.len() == 1 { "" } else { "s" },
                quoted(&mut negative.iter().map(String::as_str)),
                quoted(&mut classes.iter().take(8).map(|(c, _)| c.as_str()))
            )));
        }
    }
    // Named negatives: the rows of any other class have no outcome yet.
    let mut open: Vec<(String, usize)> = Vec::new();
    if !negative.is_empty() {
        for v in &mut values {
            let Some(t) = v.as_deref() else { continue };
            if is_positive(positive, t) || is_positive(negative, t) {
                continue;
            }
            match open
                .iter_mut()
                .find(|(c, _)| c.eq_ignore_ascii_case(t.trim()))
            {
                Some((_, k)) => *k += 1,
                None => open.push((t.trim().to_string(), 1)),
            }
            *v = None;
        }
    }
    let y: Vec<bool> = values
        .iter()
        .map(|v| v.as_deref().is_some_and(|v| is_positive(positive, v)))
        .collect();
    let Some((count, first)) = missing_labels(&values) else {
        let warning = label_classes(&values, positive, negative, label, one_class, &col_err)?;
        return Ok(FlatLabels {
            y,
            labelled: None,
            warning,
        });
    };
    if count == values.len() {
        return Err(col_err(if open.is_empty() {
            format!(
                "no row has a label ({count} rows, every one empty or a missing token); a model \
                 needs the outcomes of past leads"
            )
        } else {
            format!(
                "no row is converted ({}) or not converted ({}): {}",
                positive.join(", "),
                negative.join(", "),
                shown_classes(&open)
            )
        }));
    }
    let mut present: Vec<Option<String>> = values.iter().filter(|v| v.is_some()).cloned().collect();
    if negative.is_empty() && present.iter().flatten().all(|v| is_positive(positive, v)) {
        let shown = present
            .iter()
            .flatten()
            .next()
            .map_or("", |v| v.trim())
            .to_string();
        // The rows without a label as the second class (two spellings of converted are an error).
        present.push(Some(String::new()));
        check_classes(&present, positive, &col_err)?;
        return Ok(FlatLabels {
            y,
            labelled: None,
            warning: Some(format!(
                "`{label}`: {count} of {} rows have no label (first: row {first}) and every other \
                 row is {}: read as a file that marks conversions only, those {count} rows \
                 count as not converted (give them a value, such as 0, or leave them out of the \
                 file if they are leads without an outcome yet)",
                values.len(),
                leadscore_core::explain::Quoted(&shown)
            )),
        });
    }
    // The rows without a label are `None` in `values`: its classes are those of `present`, and
    // its positions the rows.
    let classes = label_classes(&values, positive, negative, label, one_class, &col_err)?;
    let mut left_out = Vec::new();
    if empty > 0 {
        let verb = if empty == 1 { "has" } else { "have" };
        left_out.push(format!("{empty} {verb} no label"));
    }
    if !open.is_empty() {
        left_out.push(format!(
            "{} {} neither converted ({}) nor not converted ({}): {}",
            count - empty,
            if count - empty == 1 { "is" } else { "are" },
            positive.join(", "),
            negative.join(", "),
            shown_classes(&open)
        ));
    }
    let warning = format!(
        "`{label}`: of {} rows, {} (first: row {first}): leads without an outcome yet, left out \
         of training and evaluation",
        values.len(),
        left_out.join("; ")
    );
    Ok(FlatLabels {
        y,
        labelled: Some((0..values.len()).filter(|&i| values[i].is_some()).collect()),
        warning: Some(match classes {
            Some(c) => format!("{c}; {warning}"),
            None => warning,
        }),
    })
}

/// The label classes of `values` with their rows, in the order first seen: compared as the
/// positive values are (trimmed, in any case), shown as spelled first.
fn class_counts(values: &[Option<String>]) -> Vec<(String, usize)> {
    let mut classes: Vec<(String, usize)> = Vec::new();
    // Where each class is, by its lower case (an id column named as the label has a class
    // per row: no search through them).
    let mut at: std::collections::HashMap<String, usize> = Default::default();
    for v in values.iter().flatten().map(|s| s.trim()) {
        match at.get(&v.to_ascii_lowercase()) {
            Some(&i) => classes[i].1 += 1,
            None => {
                at.insert(v.to_ascii_lowercase(), classes.len());
                classes.push((v.to_string(), 1));
            }
        }
    }
    classes
}

/// The rows of the label classes held by at most [`RARE_CLASS_ROWS`] rows, when there are
/// more than two classes (past the two of most rows) (a stray value: a report's subtotal row, a row shifted by a delimiter
/// inside a field): `; "5627" is on row 9241 only, "Lost" on rows 12 and 40`. Empty when no class
/// is that rare (or the rows are not known: an empty class is the rows without a label).
fn rare_class_rows(values: &[Option<String>], classes: &[(String, usize)]) -> String {
    // A label has few classes: with many (an id column named as the label), no rows are listed.
    if classes.len() <= 2 || classes.len() > RARE_CLASSES_SHOWN + 2 {
        return String::new();
    }
    // The two classes of most rows are taken for the label's own.
    let mut by_rows: Vec<&(String, usize)> = classes.iter().collect();
    by_rows.sort_by_key(|(_, k)| std::cmp::Reverse(*k));
    let mut parts = Vec::new();
    for (class, _) in by_rows[2..]
        .iter()
        .copied()
        .filter(|(c, k)| *k <= RARE_CLASS_ROWS && !c.is_empty())
    {
        let rows: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| {
                v.as_deref()
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(class))
            })
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        let rows = match rows.as_slice() {
            [one] => format!("row {one} only"),
            [init @ .., last] => format!("rows {} and {last}", init.join(", ")),
            [] => continue,
        };
        parts.push(if parts.is_empty() {
            format!("{} is on {rows}", leadscore_core::explain::Quoted(class))
        } else {
            format!("{} on {rows}", leadscore_core::explain::Quoted(class))
        });
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "; {} (a report's subtotal row, or a row shifted by an unquoted delimiter?)",
        parts.join(", ")
    )
}

/// A label class held by at most this many rows is named with its rows in the error of a
/// label of more than two classes ([`rare_class_rows`]).
const RARE_CLASS_ROWS: usize = 3;

/// The most classes beyond the label's two whose rows [`rare_class_rows`] names; a column with
/// more is no label with a stray value, and its error lists none.
const RARE_CLASSES_SHOWN: usize = 4;

/// `"Open" (250 rows), "Working" (10 rows)`.
fn shown_classes<'c>(classes: impl IntoIterator<Item = &'c (String, usize)>) -> String {
    classes
        .into_iter()
        .map(|(c, k)| {
            format!(
                "{} ({k} row{})",
                leadscore_core::explain::Quoted(c),
                if *k == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the classes of the labelled rows of a flat file: two, one of them positive, as
/// [`check_classes`] wants; or more, when the converted ones are named (`positive` is not the
/// default) and some are not converted, with a warning that lists the classes that count as
/// not converted (all the others without `negative`).
fn label_classes(
    values: &[Option<String>],
    positive: &[String],
    negative: &[String],
    label: &str,
    one_class: OneClass,
    col_err: &impl Fn(String) -> TrainError,
) -> Result<Option<String>> {
    let classes = class_counts(values);
    if one_class.accepts(&classes, positive, negative) {
        return Ok(None);
    }
    if one_class == OneClass::Either && classes.iter().all(|(c, _)| !is_positive(positive, c)) {
        // Fresh outcomes in which nobody converted, spelled as training's other class was
        // (`Not converted`, `Lost`): the model does not keep that spelling.
        // Two classes or more are likelier another spelling of converted beside not converted
        // (`Won`/`Lost`): naming them all not converted would judge a file of nobody
        // converted, silently.
        let negative_hint = format!(
            "pass --negative {}",
            quoted_classes(&classes, " --negative ")
        );
        let hint = if classes.len() == 1 {
            format!("if it means not converted, {negative_hint}")
        } else {
            format!(
                "if one of them means converted, name it with --positive (the others then count \
                 as not converted); only if every one of them means not converted, \
                 {negative_hint}"
            )
        };
        return Err(col_err(neither_error(&classes, positive, &hint)));
    }
    let named = positive != leadscore_core::value::default_positive_values().as_slice();
    if classes.len() > 2 && !named && negative.is_empty() {
        // Two spellings of each class (`Yes`/`Y` and `No`/`N`, `TRUE`/`1` and `FALSE`/`0`, as
        // an export that merged two systems writes them): every class a default positive value
        // or a common spelling of not converted, both sides present, read as the two classes
        // they spell, and said.
        if spellings_of_two(classes.iter().map(|(c, _)| c.as_str()), positive) {
            type Side<'c> = Vec<&'c (String, usize)>;
            let (yes, no): (Side<'_>, Side<'_>) =
                classes.iter().partition(|(c, _)| is_positive(positive, c));
            return Ok(Some(format!(
                "`{label}` spells converted {} and not converted {}: read as one class each",
                shown_classes(yes),
                shown_classes(no)
            )));
        }
    }
    if classes.len() <= 2 || (!named && negative.is_empty()) {
        if classes.len() > 2 {
            let mut shown: Vec<&str> = classes.iter().map(|(c, _)| c.as_str()).collect();
            shown.sort_unstable_by_key(|c| c.to_ascii_lowercase());
            return Err(col_err(format!(
                "a label needs exactly two classes, found {} ({}{}){}; or name the converted ones \
                 with --positive (the others then count as not converted) and the not-converted \
                 ones with --negative (the others are then leads without an outcome yet, left out)",
                classes.len(),
                shown
                    .iter()
                    .take(8)
                    .map(|c| leadscore_core::value::shorten(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                if classes.len() > 8 { ", ..." } else { "" },
                rare_class_rows(values, &classes)
            )));
        }
        check_classes(values, positive, col_err)?;
        // Codes 1 and 2 (an SPSS or R factor export) read as 1 = converted by default, which
        // is the opposite of what such a file often means: said, with the way to turn it.
        let mut codes: Vec<&str> = classes.iter().map(|(c, _)| c.as_str()).collect();
        codes.sort_unstable();
        if !named && codes == ["1", "2"] {
            return Ok(Some(format!(
                "`{label}` holds the codes 1 and 2: 1 counts as converted (the default positive \
                 values); if 2 means converted, pass --positive 2"
            )));
        }
        return Ok(None);
    }
    let (yes, no): (Vec<_>, Vec<_>) = classes
        .into_iter()
        .partition(|(c, _)| is_positive(positive, c));
    if yes.is_empty() || no.is_empty() {
        let shown: Vec<(String, usize)> = yes.into_iter().chain(no).collect();
        return Err(col_err(format!(
            "the labelled rows are all {}: {}; a model needs converted ({}) and not-converted leads",
            if shown.iter().all(|(c, _)| is_positive(positive, c)) {
                "converted"
            } else {
                "not converted"
            },
            shown_classes(&shown),
            positive.join(", ")
        )));
    }
    Ok(negative.is_empty().then(|| {
        format!(
            "`{label}` has {} classes: {} {} as converted, and every other class as not \
             converted: {} (name the not-converted ones with --negative to leave the others out \
             as leads without an outcome yet)",
            yes.len() + no.len(),
            yes.iter()
                .map(|(c, _)| leadscore_core::explain::Quoted(c).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if yes.len() == 1 { "counts" } else { "count" },
            shown_classes(&no)
        )
    }))
}

fn column_error<'a>(table: &'a Table, label: &'a str) -> impl Fn(String) -> TrainError + 'a {
    move |message| TrainError::Column {
        path: table.path.clone(),
        column: label.to_string(),
        message,
    }
}

fn is_positive(positive: &[String], v: &str) -> bool {
    positive
        .iter()
        .any(|p| p.trim().eq_ignore_ascii_case(v.trim()))
}

/// How many rows have no label, and the first of them (1-based).
fn missing_labels(values: &[Option<String>]) -> Option<(usize, usize)> {
    let first = values.iter().position(Option::is_none)?;
    Some((values.iter().filter(|v| v.is_none()).count(), first + 1))
}

/// Checks that the labels present hold exactly two classes, one of them positive.
fn check_classes(
    values: &[Option<String>],
    positive: &[String],
    col_err: &impl Fn(String) -> TrainError,
) -> Result<()> {
    // The classes, compared as the positive values are (trimmed, in any case): `Yes`, `YES`
    // and `yes` are one class, shown as spelled first in the file.
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut distinct: Vec<&str> = Vec::new();
    for v in values.iter().flatten().map(|s| s.trim()) {
        if seen.insert(v.to_ascii_lowercase()) {
            distinct.push(v);
        }
    }
    distinct.sort_unstable_by_key(|d| d.to_ascii_lowercase());
    if distinct.len() > 2 && spellings_of_two(distinct.iter().copied(), positive) {
        return Ok(());
    }
    match distinct.len() {
        1 => {
            return Err(col_err(format!(
                "only one class: every row is {}; a model needs converted and not-converted leads",
                leadscore_core::explain::Quoted(distinct[0])
            )))
        }
        2 => {}
        n => {
            let shown: Vec<std::borrow::Cow<'_, str>> = distinct
                .iter()
                .take(8)
                .map(|c| leadscore_core::value::shorten(c))
                .collect();
            return Err(col_err(format!(
                "a label needs exactly two classes, found {n} ({}{}){}",
                shown.join(", "),
                if n > 8 { ", ..." } else { "" },
                if n <= RARE_CLASSES_SHOWN + 2 {
                    rare_class_rows(values, &class_counts(values))
                } else {
                    String::new()
                }
            )));
        }
    }
    let positives = distinct.iter().filter(|v| is_positive(positive, v)).count();
    match positives {
        1 => Ok(()),
        0 => Err(col_err(format!(
            "neither label value ({}) is a positive value ({}); name the converted one with --positive",
            distinct.join(", "),
            positive.join(", ")
        ))),
        _ => Err(col_err(format!(
            "both label values ({}) count as positive; set --positive to just one",
            distinct.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{read_table, ReadOptions};

    fn table(text: &str) -> (tempfile::TempDir, Table) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("leads.csv");
        std::fs::write(&p, text).unwrap();
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        (dir, t)
    }

    fn pos() -> Vec<String> {
        leadscore_core::value::default_positive_values()
    }

    #[test]
    fn a_float32_reads_as_the_decimal_it_was_written_as() {
        let s = Series::new("x".into(), [Some(0.1f32), None, Some(42.5)]);
        assert_eq!(float_values(&s).unwrap(), [Some(0.1), None, Some(42.5)]);
        assert_eq!(
            text_values(&s).unwrap(),
            [Some("0.1".to_string()), None, Some("42.5".to_string())]
        );
    }

    #[test]
    fn numeric_and_text_labels() {
        let (_d, t) = table("y,x\n1,a\n0,b\n1,c\n");
        assert_eq!(labels(&t, "y", &pos()).unwrap(), [true, false, true]);
        let (_d, t) = table("y,x\nYes,a\nno,b\n");
        assert_eq!(labels(&t, "y", &pos()).unwrap(), [true, false]);
        // One class in any case: as the positive values are matched.
        let (_d, t) = table("y,x\nYes,a\nNO,b\nyes,c\nno,d\nYES,e\n");
        assert_eq!(
            labels(&t, "y", &pos()).unwrap(),
            [true, false, true, false, true]
        );
        let (_d, t) = table("stage,x\nWon,a\nLost,b\n");
        let e = labels(&t, "stage", &pos()).unwrap_err().to_string();
        assert!(
            e.contains("leads.csv") && e.contains("`stage`") && e.contains("--positive"),
            "{e}"
        );
        assert_eq!(labels(&t, "stage", &["won".into()]).unwrap(), [true, false]);
    }

    #[test]
    fn bad_labels_are_named() {
        let (_d, t) = table("y,x\n1,a\n1,b\n");
        let e = labels(&t, "y", &pos()).unwrap_err().to_string();
        assert!(e.contains("`y`") && e.contains("only one class"), "{e}");
        let (_d, t) = table("y,x\n1,a\n0,b\n2,c\n");
        let e = labels(&t, "y", &pos()).unwrap_err().to_string();
        assert!(e.contains("exactly two classes, found 3"), "{e}");
        let (_d, t) = table("y,x\n1,a\n,b\n0,c\n");
        let e = labels(&t, "y", &pos()).unwrap_err().to_string();
        assert!(e.contains("row 2"), "{e}");
        // A third class held by a few rows (a report's subtotals in the middle of the data):
        // named with its rows, counted among all rows (those without a label too).
        let body = |empty: usize| -> String {
            (0..12)
                .map(|i| match i {
                    5 | 9 => "12,a\n".to_string(),
                    _ if i == empty => ",a\n".to_string(),
                    _ => format!("{},a\n", i % 2),
                })
                .collect()
        };
        let (_d, t) = table(&format!("y,x\n{}", body(3)));
        let (_e, all) = table(&format!("y,x\n{}", body(99)));
        for e in [
            labels(&all, "y", &pos()).unwrap_err().to_string(),
            flat_labels(&all, "y", &pos(), &[], OneClass::Refused)
                .unwrap_err()
                .to_string(),
            flat_labels(&t, "y", &pos(), &[], OneClass::Refused)
                .unwrap_err()
                .to_string(),
        ] {
            assert!(
                e.contains("found 3 (0, 1, 12); \"12\" is on rows 6 and 10"),
                "{e}"
            );
        }
        // A column of many classes (an id column named as the label): no rows listed, the
        // error stays short.
        let ids: String = (0..5000).map(|i| format!("L{i},a\n")).collect();
        let (_d, t) = table(&format!("y,x\n{ids}"));
        let e = flat_labels(&t, "y", &pos(), &[], OneClass::Refused)
            .unwrap_err()
            .to_string();
        assert!(e.len() < 1000 && !e.contains(" on row"), "{}", e.len());
        // Classes of many rows each are not listed by row.
        let (_d, t) = table("y,x\n0,a\n0,a\n0,a\n0,a\n1,a\n1,a\n1,a\n1,a\n2,a\n2,a\n2,a\n2,a\n");
        let e = flat_labels(&t, "y", &pos(), &[], OneClass::Refused)
            .unwrap_err()
            .to_string();
        assert!(e.contains("found 3 (0, 1, 2); or name"), "{e}");
        let e = labels(&t, "nope", &pos()).unwrap_err().to_string();
        assert!(e.contains("`nope`") && e.contains("no such column"), "{e}");
    }

    #[test]
    fn two_spellings_of_each_class_are_read_as_the_classes_they_spell() {
        // An export that merged two systems: `Yes`/`Y` beside `No`/`N`, `TRUE`/`1` beside
        // `FALSE`/`0`: every class a default positive value or a spelling of not converted.
        for (rows, want) in [
            (
                "Yes\nY\nNo\nN\nno\n",
                "spells converted \"Yes\" (1 row), \"Y\" (1 row) and not converted \"No\" (2 rows), \"N\" (1 row)",
            ),
            ("TRUE\n1\nFALSE\n0\n", "\"TRUE\" (1 row), \"1\" (1 row) and not converted"),
        ] {
            let (_d, t) = table(&format!("y\n{rows}"));
            for one_class in [OneClass::Refused, OneClass::Either] {
                let f = flat_labels(&t, "y", &pos(), &[], one_class).unwrap();
                let n = rows.lines().count();
                assert_eq!(f.y, (0..n).map(|i| i < 2).collect::<Vec<_>>(), "{rows}");
                let warning = f.warning.unwrap();
                assert!(warning.contains(want), "{warning}");
            }
            assert_eq!(labels(&t, "y", &pos()).unwrap()[..2], [true, true]);
        }
        // A third class that spells neither stays an error, as do classes that are all
        // converted; named positives read the others as not converted, as before.
        let (_d, t) = table("y\nYes\nY\nNo\nOpen\n");
        let e = flat_labels(&t, "y", &pos(), &[], OneClass::Refused).unwrap_err();
        assert!(
            e.to_string().contains("exactly two classes, found 4"),
            "{e}"
        );
        let (_d, t) = table("y\nYes\nY\nyes\n");
        assert!(flat_labels(&t, "y", &pos(), &[], OneClass::Refused).is_err());
    }

    #[test]
    fn fresh_outcomes_of_one_class_are_read_training_ones_refused() {
        let (_d, t) = table("y,x\n0,a\n,b\n0,c\n");
        let e = flat_labels(&t, "y", &pos(), &[], OneClass::Refused).unwrap_err();
        assert!(e.to_string().contains("only one class"), "{e}");
        let f = flat_labels(&t, "y", &pos(), &[], OneClass::Either).unwrap();
        assert_eq!((f.y, f.labelled), (vec![false; 3], Some(vec![0, 2])));
        // A named negative, and every row converted.
        let (_d, t) = table("y,x\nLost,a\nLost,b\n");
        let won = vec!["Won".to_string()];
        let f = flat_labels(&t, "y", &won, &["lost".into()], OneClass::Either).unwrap();
        assert_eq!(f.y, vec![false, false]);
        let (_d, t) = table("y,x\nWon,a\nWon,b\n");
        assert_eq!(
            flat_labels(&t, "y", &won, &[], OneClass::Either).unwrap().y,
            vec![true, true]
        );
        // Everybody with an outcome converted, the others open, with the negative named.
        let (_d, t) = table("y,x\nWon,a\nOpen,b\n");
        let f = flat_labels(&t, "y", &won, &["Lost".into()], OneClass::Either).unwrap();
        assert_eq!((f.y, f.labelled), (vec![true, false], Some(vec![0])));
        // Two spellings of not converted are one class here.
        let (_d, t) = table("y,x\n0,a\nno,b\n");
        assert_eq!(
            flat_labels(&t, "y", &pos(), &[], OneClass::Either)
                .unwrap()
                .y,
            vec![false, false]
        );
        // One class that is neither (the wrong column) stays an error; training's other class
        // (`Not converted`), which the model does not keep, is named with the way to read it.
        let (_d, t) = table("y,x\nmaybe,a\nmaybe,b\n");
        assert!(flat_labels(&t, "y", &pos(), &[], OneClass::Either).is_err());
        // `1`/`0` against a model of `Won`: `0` is a spelling of not converted, `1` is named
        // as the class that is neither.
        let (_d, t) = table("y,x\n0,a\n1,b\n");
        let e = flat_labels(&t, "y", &won, &[], OneClass::Either)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "the labelled rows are \"0\", \"1\"; \"1\" is neither a converted value (Won)"
            ),
            "{e}"
        );
        let (_d, t) = table("y,x\nNot converted,a\n");
        let e = flat_labels(&t, "y", &["Converted".into()], &[], OneClass::Either)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("pass --negative \"Not converted\"") && !e.contains("a model needs"),
            "{e}"
        );
        // Two classes, neither converted (`Won`/`Lost` against a model of 1/0): named with
        // --positive first; --negative for both would judge a file of nobody converted.
        let (_d, t) = table("y,x\nWon,a\nLost,b\nLost,c\n");
        let e = flat_labels(&t, "y", &pos(), &[], OneClass::Either)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("if one of them means converted, name it with --positive")
                && e.contains("only if every one of them means not converted, pass --negative"),
            "{e}"
        );
    }

    #[test]
    fn outcomes_of_one_class_may_spell_it_several_ways() {
        // A closed-deals export writing converted as `1` and `yes`: one class (a regression
        // once refused it as two positive values).
        let (_d, t) = table("converted,x\n1,a\nyes,b\n");
        assert_eq!(
            outcome_labels(&t, "converted", &pos()).unwrap(),
            vec![true, true]
        );
        assert_eq!(
            monitor_labels(&t, "converted", &pos()).unwrap(),
            vec![true, true]
        );
        let (_d, t) = table("converted,x\n0,a\nno,b\n");
        assert_eq!(
            monitor_labels(&t, "converted", &pos()).unwrap(),
            vec![false, false]
        );
        assert!(outcome_labels(&t, "converted", &pos()).is_err());
    }

    #[test]
    fn flat_files_may_hold_leads_without_an_outcome() {
        // Both classes among the labelled rows: the others are left out.
        let (_d, t) = table("y,x\n1,a\n,b\n0,c\nNA,d\n0,e\n");
        let f = flat_labels(&t, "y", &pos(), &[], OneClass::Refused).unwrap();
        assert_eq!(f.y, [true, false, false, false, false]);
        assert_eq!(f.labelled, Some(vec![0, 2, 4]));
        let w = f.warning.unwrap();
        assert!(
            w.contains("of 5 rows, 2 have no label (first: row 2)") && w.contains("left out"),
            "{w}"
        );
        // Every row labelled: as `labels`, no warning.
        let (_d, t) = table("y,x\n1,a\n0,b\n");
        let f = flat_labels(&t, "y", &pos(), &[], OneClass::Refused).unwrap();
        assert_eq!(
            (f.y, f.labelled, f.warning),
            (vec![true, false], None, None)
        );
        // Conversions marked only: the empty rows did not convert.
        let (_d, t) = table("y,x\nYes,a\n,b\nyes,c\n,d\n");
        let f = flat_labels(&t, "y", &pos(), &[], OneClass::Refused).unwrap();
        assert_eq!((f.y, f.labelled), (vec![true, false, true, false], None));
        assert!(f.warning.unwrap().contains("count as not converted"));
        // Errors: nothing labelled; only unconverted; two spellings of converted; bad classes.
        for (text, says) in [
            ("y,x\n,a\nNA,b\n", "no row has a label (2 rows"),
            ("y,x\n0,a\n,b\nno,c\n", "neither label value"),
            ("y,x\n0,a\n,b\n0,c\n", "only one class"),
            ("y,x\n1,a\n,b\nyes,c\n", "exactly two classes, found 3"),
            ("y,x\n1,a\n,b\n0,c\n2,d\n", "exactly two classes, found 3"),
        ] {
            let (_d, t) = table(text);
            let e = flat_labels(&t, "y", &pos(), &[], OneClass::Refused)
                .unwrap_err()
                .to_string();
            assert!(e.contains("`y`") && e.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn lead_statuses_with_named_classes() {
        let text = "status,x\nWon,a\nLost,b\nOpen,c\nwon,d\n,e\nWorking,f\nLost,g\n";
        let (_d, t) = table(text);
        let won = vec!["Won".to_string()];
        // Without --positive: three classes are an error that says how to name them.
        let e = flat_labels(&t, "status", &pos(), &[], OneClass::Refused)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("found 4 (Lost, Open, Won, Working)") && e.contains("--negative"),
            "{e}"
        );
        // The converted class named: every other is not converted, listed in the warning.
        let f = flat_labels(&t, "status", &won, &[], OneClass::Refused).unwrap();
        assert_eq!(f.y, [true, false, false, true, false, false, false]);
        assert_eq!(f.labelled, Some(vec![0, 1, 2, 3, 5, 6]));
        let w = f.warning.unwrap();
        assert!(
            w.contains("\"Lost\" (2 rows), \"Open\" (1 row), \"Working\" (1 row)")
                && w.contains("of 7 rows, 1 has no label (first: row 5)"),
            "{w}"
        );
        // Both named: the others have no outcome yet, left out with the empty row.
        let f = flat_labels(&t, "status", &won, &["lost".to_string()], OneClass::Refused).unwrap();
        assert_eq!(f.labelled, Some(vec![0, 1, 3, 6]));
        assert_eq!(f.y, [true, false, false, true, false, false, false]);
        let w = f.warning.unwrap();
        assert!(
            w.contains("1 has no label; 2 are neither converted (Won) nor not converted (lost): \"Open\" (1 row), \"Working\" (1 row)"),
            "{w}"
        );
        // A named negative that no row has: said so, with the values the column holds (it
        // read "only one class", the not-converted rows all left out as open).
        let e = flat_labels(&t, "status", &won, &["Gone".to_string()], OneClass::Refused)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no row holds the negative label value \"Gone\"") && e.contains("\"Lost\""),
            "{e}"
        );
        // Codes 1 and 2: 1 is converted by default, said in a warning.
        let (_c, codes) = table("y,x\n1,a\n2,b\n2,c\n");
        let w = flat_labels(
            &codes,
            "y",
            &leadscore_core::value::default_positive_values(),
            &[],
            OneClass::Refused,
        )
        .unwrap()
        .warning
        .unwrap();
        assert!(
            w.contains("codes 1 and 2") && w.contains("--positive 2"),
            "{w}"
        );
        // Strict `labels` (outcomes tables) still wants two classes.
        let (_d, t) = table("status,x\nWon,a\nLost,b\nOpen,c\n");
        assert!(labels(&t, "status", &won).is_err());
    }
}
