//! `leadscore-train init`: infers a feature spec from the data, one entry per column with the
//! transform it chose and why, written as TOML a person can edit.

use crate::error::Result;
use crate::featurize::{level_values, numeric_values};
use crate::load::Table;
use leadscore_core::spec::{
    Bins, ColumnSpec, FeatureSpec, TransformKind, DEFAULT_SEPARATOR, SPEC_FORMAT_VERSION,
};
use leadscore_core::value::{
    is_bool_word, is_date_placeholder, is_no_value, options_in, parse_decimal_comma_number,
    parse_number, parse_number_as, parse_timestamp, parse_timestamp_as, seniority, DateOrder,
    DateOrderEvidence, EpochUnit, CURRENCY_CODES, CURRENCY_SIGNS, SECONDS_PER_DAY,
};
use polars::prelude::{Column, DataType};
use std::collections::HashMap;
use std::fmt::Write;

/// What to leave out of the features and why.
#[derive(Debug, Clone, Default)]
pub struct InferOptions {
    /// The label column.
    pub label: Option<String>,
    /// Label values that mean converted (defaults when empty).
    pub positive: Vec<String>,
    /// Label values that mean not converted (empty: every other value).
    pub negative: Vec<String>,
    /// The id column.
    pub id: Option<String>,
    /// Columns to leave out (leakage, free text).
    pub exclude: Vec<String>,
    /// Missing tokens (defaults when empty).
    pub missing_tokens: Vec<String>,
}

impl InferOptions {
    /// Whether `name` may become a feature: not the label, the id or an excluded column.
    fn may_be_feature(&self, name: &str) -> bool {
        self.label.as_deref() != Some(name)
            && self.id.as_deref() != Some(name)
            && !self.exclude.iter().any(|e| e == name)
    }
}

/// The inferred spec and one reason per column (in the same order).
#[derive(Debug, Clone)]
pub struct InferredSpec {
    /// The spec.
    pub spec: FeatureSpec,
    /// Why each column got its transform.
    pub reasons: Vec<String>,
    /// What a person should look at before training on this spec (a column of numbers written
    /// with decimal commas, which is left out).
    pub warnings: Vec<String>,
    /// The file it was inferred from.
    pub source: String,
    /// Rows seen.
    pub rows: usize,
}

/// How the reason of a column of decimal-comma numbers starts (it is also a warning).
const DECIMAL_COMMA_REASON: &str = "numbers written with a decimal comma";

/// `729,526` or `-1.234,5`: digits, a comma, digits (thousands dots allowed before the comma),
/// as European exports write numbers. (`1,234` in a comma-delimited file is read as a number
/// with a thousands separator before it gets here.)
fn decimal_comma_number(text: &str) -> bool {
    let t = text.trim();
    // Money or a percentage so written (`130.245,24 €`, `45,5 %`): read only that way.
    let digits_around_comma = t.split_once(',').is_some_and(|(int, frac)| {
        int.bytes().any(|b| b.is_ascii_digit())
            && frac.bytes().next().is_some_and(|b| b.is_ascii_digit())
    });
    if digits_around_comma && parse_number(t).is_none() && parse_decimal_comma_number(t).is_some() {
        return true;
    }
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let Some((int, frac)) = t.split_once(',') else {
        return false;
    };
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && int.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

fn pct(k: usize, n: usize) -> String {
    format!("{:.1}%", 100.0 * k as f64 / n.max(1) as f64)
}

/// The first column that shows the file writes numbers with a decimal comma, if one does, and
/// its first value that reads only that way (what the warning quotes): a text column (not the
/// label, id or an excluded one) whose every value reads as a number with a decimal comma
/// (`12,5`, `1.234,5`; [`parse_decimal_comma_number`]), some not the usual way.
/// `None` when another column reads as numbers only the usual way (`1.5`, `$1,007,922`): then
/// no one reading serves the file, and its decimal-comma columns are left as before. That check
/// reads the file again as text, since polars has read `1.234` (a thousands dot, in such a
/// file) as 1.234. Only for a CSV separated by something else than `,` (`;`, as exports that
/// write decimal commas are): in a comma-separated file a quoted `1,3` is likelier a list.
fn writes_decimal_commas(
    table: &Table,
    options: &InferOptions,
    missing: &[String],
    as_written: &mut Option<Option<Table>>,
) -> Result<Option<(String, String)>> {
    if table.delimiter.is_none_or(|d| d == b',') {
        return Ok(None);
    }
    // Which way the values of each text column read: (the usual way, with a decimal comma),
    // and its first value that does not read the usual way.
    let readings = |table: &Table, name: &str| -> Result<((bool, bool), String)> {
        let values = level_values(table, name, missing)?;
        let present: Vec<&str> = values.iter().flatten().map(|t| t.trim()).collect();
        let reads = |parse: fn(&str) -> Option<f64>| {
            !present.is_empty() && present.iter().all(|t| parse(t).is_some_and(f64::is_finite))
        };
        let unusual = present.iter().find(|t| parse_number(t).is_none());
        Ok((
            (reads(parse_number), reads(parse_decimal_comma_number)),
            unusual.map_or_else(String::new, |t| t.to_string()),
        ))
    };
    let considered = |name: &str| options.may_be_feature(name);
    let mut found = None;
    for c in table.df.columns() {
        let name = c.name().as_str();
        if considered(name) && c.dtype() == &DataType::String {
            match readings(table, name)? {
                ((true, false), _) => return Ok(None),
                ((false, true), example) if found.is_none() => {
                    found = Some((name.to_string(), example));
                }
                _ => {}
            }
        }
    }
    if found.is_none() {
        return Ok(None);
    }
    let Some(text) = read_as_written(table, missing, as_written) else {
        return Ok(None);
    };
    for c in text.df.columns() {
        let name = c.name().as_str();
        if considered(name) && readings(text, name)?.0 == (true, false) {
            return Ok(None);
        }
    }
    Ok(found)
}

/// `table`'s file read again with every column as text, for the checks that need a number as
/// written (polars has read `1.234` as 1.234, `1.380` as 1.38): read by the first that asks and
/// kept in `cache` for the others (`None` inside when that read failed; the checks then say
/// nothing).
fn read_as_written<'c>(
    table: &Table,
    missing: &[String],
    cache: &'c mut Option<Option<Table>>,
) -> Option<&'c Table> {
    cache
        .get_or_insert_with(|| {
            let read = crate::load::ReadOptions {
                missing_tokens: missing.to_vec(),
                infer_types: false,
                ..Default::default()
            };
            crate::load::read_table(std::path::Path::new(&table.path), &read).ok()
        })
        .as_ref()
}

/// A column of numbers and what else it holds, read as missing: placeholders for no value and
/// stray values, each with its number of cells.
#[derive(Debug, Clone)]
struct Placeholders {
    column: String,
    /// `-`, `?`, `unknown`, `#N/A`, `NaN`.
    tokens: Vec<(String, usize)>,
    /// Rare values that are no number and no placeholder (`abc` once among 5,000 numbers).
    strays: Vec<(String, usize)>,
}

impl Placeholders {
    /// None yet, of column `name`.
    fn of(name: &str) -> Self {
        Self {
            column: name.to_string(),
            tokens: Vec::new(),
            strays: Vec::new(),
        }
    }

    /// Counts `cell`, a value of the column that is not what it holds (no number, no date):
    /// once more if seen before, else as a new placeholder when `token` says so given how many
    /// there are, else as a new stray when `stray` does. `false` when it is neither: the
    /// column is not one of values with placeholders.
    fn tally(
        &mut self,
        cell: &str,
        token: impl FnOnce(usize) -> bool,
        stray: impl FnOnce(usize) -> bool,
    ) -> bool {
        for seen in [&mut self.tokens, &mut self.strays] {
            if let Some(k) = seen.iter().position(|(o, _)| o == cell) {
                seen[k].1 += 1;
                return true;
            }
        }
        if token(self.tokens.len()) {
            self.tokens.push((cell.to_string(), 1));
        } else if stray(self.strays.len()) {
            self.strays.push((cell.to_string(), 1));
        } else {
            return false;
        }
        true
    }

    /// Whether any placeholder or stray was found.
    fn any(&self) -> bool {
        !self.tokens.is_empty() || !self.strays.is_empty()
    }

    /// The cells the strays fill.
    fn stray_cells(&self) -> usize {
        self.strays.iter().map(|(_, k)| k).sum()
    }

    /// Adds the placeholders and strays to the spec's missing tokens, with a warning each that
    /// names them and their counts; `holding` says what the column holds otherwise
    /// (`numbers`), `strays_then` what the strays' warning adds.
    fn read_as_missing(
        &self,
        holding: &str,
        strays_then: &str,
        warnings: &mut Vec<String>,
        missing: &mut Vec<String>,
    ) {
        let shown = |v: &[(String, usize)]| -> String {
            v.iter()
                .map(|(t, k)| format!("{t:?} ({k} rows)"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let column = &self.column;
        if !self.tokens.is_empty() {
            warnings.push(format!(
                "column `{column}` holds {holding} and {}: read as missing values (added to the \
                 spec's missing_tokens, for every column)",
                shown(&self.tokens)
            ));
        }
        if !self.strays.is_empty() {
            warnings.push(format!(
                "column `{column}` holds {holding} and, in at most 1% of its rows, {}, which no \
                 other column holds: read as missing values, {strays_then}",
                shown(&self.strays)
            ));
        }
        for (t, _) in self.tokens.iter().chain(&self.strays) {
            if !missing.contains(t) {
                missing.push(t.clone());
            }
        }
    }
}

/// Whether `t` is a spreadsheet's error value (`#VALUE!`, `#REF!`, `#DIV/0!`, `#N/A`, ...):
/// placeholders of one family, so that a column holding four or five kinds of them besides its
/// numbers is still numbers (three placeholders at most were let through, and a budget column
/// with `#VALUE!`, `#REF!`, `#DIV/0!` and `#N/A` in 3% of its rows was left out as free text).
fn is_spreadsheet_error(t: &str) -> bool {
    t.starts_with('#') && is_no_value(t)
}

/// The placeholders an export writes for "no value" in a column of numbers (`-`, `?`,
/// `unknown`, `#N/A`): per column, its non-numeric values, when the column is clearly numbers
/// otherwise. That is: at least half of its values are numbers (either reading, point or
/// comma) with 10 or more distinct ones, and the rest are at most three distinct placeholders
/// ([`is_no_value`]: a level such as `High` never is, so no real level of another column
/// becomes missing). Each with its number of cells.
///
/// Besides them, at most three distinct stray values that are no number and no placeholder
/// (a typo, a note typed into the cell: no digit, no yes/no word) when together they are at
/// most 1% of the column's cells (0.1% when one has a digit: `5 visits`, `100+`) and no other
/// column holds them (the spec's missing tokens
/// apply to every column; another column of numbers with the same stray does not count): a
/// column of 4,999 numbers and one `abc` stays numbers (it was dropped as free text), where a
/// level written in one row in nine (`High`) or a top-coded `10000+` in one row in a hundred
/// still makes the column text. Each value as the cell writes it (`abc ` with its space), as a missing token matches.
fn number_placeholders(
    table: &Table,
    options: &InferOptions,
    missing: &[String],
) -> Result<Vec<Placeholders>> {
    let mut out = Vec::new();
    for c in table.df.columns() {
        let name = c.name().as_str();
        if c.dtype() != &DataType::String || !options.may_be_feature(name) {
            continue;
        }
        let values = level_values(table, name, missing)?;
        let mut numbers = std::collections::HashSet::new();
        let (mut n_numbers, mut n_present) = (0usize, 0usize);
        let mut found = Placeholders::of(name);
        let mut numbers_only = true;
        // A stray with a digit (`5 visits`, `3-5`, `100+`, a Unicode minus): one odd cell made a
        // column of 9,000 numbers categorical, its signal lost; held to one cell in 1,000, so
        // a top-coded `10000+` written in one row in a hundred still makes the column text.
        let mut digit_stray = false;
        for cell in values.iter().flatten() {
            let t = cell.trim();
            n_present += 1;
            let x = parse_number(t).or_else(|| parse_decimal_comma_number(t));
            if let Some(x) = x.filter(|x| x.is_finite()) {
                n_numbers += 1;
                if numbers.len() < 10 {
                    numbers.insert(x.to_bits());
                }
                continue;
            }
            let counted = found.tally(
                cell,
                |tokens| {
                    (tokens < 3 || tokens < 10 && is_spreadsheet_error(t))
                        && (is_no_value(t) || x.is_some())
                },
                |strays| {
                    let digits = t.bytes().any(|b| b.is_ascii_digit());
                    let stray = strays < 3 && leadscore_core::value::parse_bool(t).is_none();
                    digit_stray |= stray && digits;
                    stray
                },
            );
            if !counted {
                numbers_only = false;
                break;
            }
        }
        let n_strays = found.stray_cells();
        // 1% of the cells, at most: a value written more often is a level, not a stray.
        let share = if digit_stray { 1000 } else { 100 };
        if !numbers_only || share * n_strays > n_present || numbers.len() < 10 && n_strays > 0 {
            continue;
        }
        // `NaN` or `inf` (what pandas and numpy write for no number) says what it is even in a
        // column of few distinct numbers; a word or a dash needs the column to be clearly numbers.
        let non_finite = !found.tokens.is_empty()
            && found
                .tokens
                .iter()
                .all(|(t, _)| parse_number(t.trim()).is_some_and(|x| !x.is_finite()));
        if found.any()
            && (numbers.len() >= 10 || (non_finite && !numbers.is_empty()))
            && 2 * n_numbers >= n_present
        {
            out.push(found);
        }
    }
    unheld(table, out, missing)
}

/// The placeholders an export writes for "no date" in a column of dates (`-`, `Never`,
/// `0000-00-00 00:00:00`), as [`number_placeholders`] finds them among numbers: per column,
/// when at least half of its values are dates (in `order`) with 10 or more distinct ones, and
/// the rest are at most three distinct placeholders ([`is_date_placeholder`]) and at most three
/// distinct strays together in at most 1% of its cells that no other column holds (`Mar 15,
/// 2024` or an Excel serial among ISO dates). One such cell failed training on the spec `init`
/// wrote; one in ten made the column categorical or free text, its signal lost.
fn date_placeholders(
    table: &Table,
    options: &InferOptions,
    missing: &[String],
    order: DateOrder,
) -> Result<Vec<Placeholders>> {
    let mut out = Vec::new();
    for c in table.df.columns() {
        let name = c.name().as_str();
        if c.dtype() != &DataType::String || !options.may_be_feature(name) {
            continue;
        }
        let values = level_values(table, name, missing)?;
        let mut dates = std::collections::HashSet::new();
        let (mut n_dates, mut n_present) = (0usize, 0usize);
        let mut found = Placeholders::of(name);
        let mut dates_only = true;
        for cell in values.iter().flatten() {
            let t = cell.trim();
            // MySQL's zero date is missing in a time column without a token
            // (`leadscore_core::value::is_zero_time_text`).
            if leadscore_core::value::is_zero_time_text(t) {
                continue;
            }
            n_present += 1;
            if let Some(at) = parse_timestamp_as(t, order) {
                n_dates += 1;
                if dates.len() < 10 {
                    dates.insert(at);
                }
                continue;
            }
            let counted = found.tally(
                cell,
                |tokens| tokens < 3 && is_date_placeholder(t),
                |strays| strays < 3 && leadscore_core::value::parse_bool(t).is_none(),
            );
            if !counted {
                dates_only = false;
                break;
            }
        }
        if dates_only
            && found.any()
            && 100 * found.stray_cells() <= n_present
            && dates.len() >= 10
            && 2 * n_dates >= n_present
        {
            out.push(found);
        }
    }
    unheld(table, out, missing)
}

/// The candidates none of whose strays another column holds as a value (the token would erase
/// that value there; a candidate column with the same stray does not count).
fn unheld(
    table: &Table,
    candidates: Vec<Placeholders>,
    missing: &[String],
) -> Result<Vec<Placeholders>> {
    let held = held_elsewhere(table, &candidates, missing)?;
    Ok(candidates
        .into_iter()
        .zip(held)
        .filter(|(_, held)| !held)
        .map(|(p, _)| p)
        .collect())
}

/// Per candidate, whether a column holds one of its strays (as written, or trimmed alike) as a
/// value of its own, which the spec's missing tokens would then erase there too: every column
/// counts, the label and ids included, whatever its type (a category column of a Parquet file,
/// true/false read as booleans), except a candidate column of numbers with the same stray (a
/// column of numbers cannot hold one: a stray has no digit). Each column is read once.
fn held_elsewhere(
    table: &Table,
    candidates: &[Placeholders],
    missing: &[String],
) -> Result<Vec<bool>> {
    let mut held = vec![false; candidates.len()];
    if candidates.iter().all(|p| p.strays.is_empty()) {
        return Ok(held);
    }
    for c in table.df.columns() {
        let name = c.name().as_str();
        if c.dtype().is_primitive_numeric() {
            continue;
        }
        let stray_here = |v: &str| {
            candidates
                .iter()
                .any(|q| q.column == name && q.strays.iter().any(|(u, _)| u == v))
        };
        let values = level_values(table, name, missing)?;
        for v in values.iter().flatten().filter(|v| !stray_here(v)) {
            for (h, p) in held.iter_mut().zip(candidates) {
                *h |= p.strays.iter().any(|(t, _)| t == v || t.trim() == v.trim());
            }
        }
    }
    Ok(held)
}

/// Whether label value `no` is the negation of `yes` (`Not converted` / `Converted`,
/// `Unqualified` / `Qualified`, `Inactive` / `Active`, `Lost` / `Won`), after the words they
/// begin with alike (`Closed - Not Converted` / `Closed - Converted`, `Closed Lost` / `Closed
/// Won`).
fn negates(no: &str, yes: &str) -> bool {
    let (no, yes) = (no.to_ascii_lowercase(), yes.to_ascii_lowercase());
    // The words both begin with: a common prefix cut back to end where a word ends.
    let common = no
        .char_indices()
        .zip(yes.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, c), _)| i + c.len_utf8());
    let cut = no[..common]
        .char_indices()
        .rfind(|(_, c)| !c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (no, yes) = (&no[cut..], &yes[cut..]);
    !yes.is_empty()
        && ([
            "not ", "not_", "not-", "non-", "non ", "non_", "un", "in", "no ",
        ]
        .iter()
        .any(|p| no.strip_prefix(p) == Some(yes))
            || (yes == "won" && no == "lost"))
}

/// A label whose classes hold one value and its negation (see [`negates`]), none of them one
/// of `positive`: (the converted one as the file spells it, its negation, the other classes,
/// such as `Open`: leads without an outcome yet). `None` when no such pair, or more than one,
/// is found: the label check then refuses the label with its own message.
fn negated_classes(
    table: &Table,
    label: &str,
    missing: &[String],
    positive: &[String],
) -> Result<Option<(String, String, Vec<String>)>> {
    if table.df.column(label).is_err() {
        return Ok(None);
    }
    let mut classes: Vec<String> = Vec::new();
    for v in level_values(table, label, missing)?.into_iter().flatten() {
        let v = v.trim().to_string();
        if !classes.iter().any(|c| c.eq_ignore_ascii_case(&v)) {
            // A label, not free text.
            if classes.len() == 20 {
                return Ok(None);
            }
            classes.push(v);
        }
    }
    if classes.len() < 2
        || classes
            .iter()
            .any(|c| c.is_empty() || positive.iter().any(|p| p.trim().eq_ignore_ascii_case(c)))
    {
        return Ok(None);
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for yes in &classes {
        for no in &classes {
            if negates(no, yes) {
                pairs.push((yes.clone(), no.clone()));
            }
        }
    }
    if pairs.len() != 1 {
        return Ok(None);
    }
    let (yes, no) = pairs.remove(0);
    let others = classes
        .into_iter()
        .filter(|c| *c != yes && *c != no)
        .collect();
    Ok(Some((yes, no, others)))
}

/// The order the file writes dates with the year last in (`12/31/2023 10:00 AM`), from its text
/// columns (the label and id aside) whose values read at least 90% as such dates, and a warning
/// saying what decided it. A day above 12 decides a column; columns that disagree leave the
/// dates unread (ISO only); columns that no value decides (every day up to 12) are read month
/// first, as US exports write them, with a warning that says so.
fn date_order(
    table: &Table,
    options: &InferOptions,
    missing: &[String],
) -> Result<(DateOrder, Option<String>)> {
    // (column, what its values decide, a value that decides it)
    let mut dated: Vec<(String, Option<DateOrder>, Option<String>)> = Vec::new();
    for c in table.df.columns() {
        let name = c.name().as_str();
        if c.dtype() != &DataType::String
            || options.label.as_deref() == Some(name)
            || options.id.as_deref() == Some(name)
        {
            continue;
        }
        let values = level_values(table, name, missing)?;
        let present: Vec<&str> = values.iter().flatten().map(|t| t.trim()).collect();
        let evidence = DateOrderEvidence::of(present.iter().copied());
        // Year-last dates, with ISO ones and placeholders (`-`, `Never`) beside them: a column
        // mixing `2024-03-05 10:00` and `03/05/2024 07:33 PM` is a column of dates.
        let others = present
            .iter()
            .filter(|t| parse_timestamp(t).is_some() || is_date_placeholder(t))
            .count();
        if present.is_empty()
            || (evidence.either as f64) < 0.1 * present.len() as f64
            || ((evidence.either + others) as f64) < 0.9 * present.len() as f64
        {
            continue;
        }
        let decided = evidence.decided();
        let example = decided.and_then(|order| {
            let other = if order == DateOrder::Mdy {
                DateOrder::Dmy
            } else {
                DateOrder::Mdy
            };
            present
                .iter()
                .find(|t| {
                    parse_timestamp(t).is_none()
                        && parse_timestamp_as(t, order).is_some()
                        && parse_timestamp_as(t, other).is_none()
                })
                .map(|t| t.to_string())
        });
        dated.push((name.to_string(), decided, example));
    }
    let of = |order: DateOrder| dated.iter().find(|d| d.1 == Some(order));
    let (order, warning) = match (of(DateOrder::Mdy), of(DateOrder::Dmy), dated.first()) {
        (_, _, None) => return Ok((DateOrder::Iso, None)),
        (Some(m), Some(d), _) => {
            return Ok((
                DateOrder::Iso,
                Some(format!(
                    "dates disagree: column `{}` writes them month first ({:?}), column `{}` day \
                     first ({:?}), so neither is read as dates; set date_order = \"mdy\" or \
                     \"dmy\" in the spec to choose",
                    m.0,
                    m.2.as_deref().unwrap_or_default(),
                    d.0,
                    d.2.as_deref().unwrap_or_default()
                )),
            ))
        }
        (Some((name, Some(order), example)), None, _)
        | (None, Some((name, Some(order), example)), _) => {
            let (key, first, _) = order.described();
            (
                *order,
                format!(
                    "dates are written {first} (column `{name}`, {:?}): read so \
                     (`date_order = \"{key}\"`), in every table and by the server",
                    example.as_deref().unwrap_or_default()
                ),
            )
        }
        (_, _, Some((name, _, _))) => (
            DateOrder::Mdy,
            format!(
                "column `{name}` writes dates with the year last, and no day above 12 says \
                 which comes first: read month first (`date_order = \"mdy\"`); set \
                 date_order = \"dmy\" in the spec if the day comes first"
            ),
        ),
    };
    Ok((order, Some(warning)))
}

/// Infers a spec from every column of `table`.
pub fn infer_spec(table: &Table, options: &InferOptions) -> Result<InferredSpec> {
    crate::load::check_roles(
        table,
        options.label.as_deref(),
        options.id.as_deref(),
        &options.exclude,
    )?;
    let mut missing = if options.missing_tokens.is_empty() {
        leadscore_core::value::default_missing_tokens()
    } else {
        options.missing_tokens.clone()
    };
    let n = table.df.height();
    let min_count = (n / 500).clamp(10, 100);
    let mut columns = Vec::new();
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    // `-` or `?` among numbers means no value: read as missing, in every column (the spec's
    // missing tokens), so the column stays numbers.
    let placeholders = number_placeholders(table, options, &missing)?;
    for p in &placeholders {
        p.read_as_missing(
            "numbers",
            "so the column stays numbers (added to the spec's missing_tokens; if such a value \
             means something, write it as a number or make the column categorical)",
            &mut warnings,
            &mut missing,
        );
    }
    // The file as text, read by the first check that needs a number as written.
    let mut as_written = None;
    let decimal_comma = writes_decimal_commas(table, options, &missing, &mut as_written)?;
    if let Some((column, example)) = &decimal_comma {
        warnings.push(format!(
            "numbers are written with a decimal comma (column `{column}`: `{}`): the file is \
             read that way (`decimal_comma = true`: `1.234,5` is 1234.5, and `1.5` is no number)",
            leadscore_core::value::shorten(example)
        ));
    }
    let decimal_comma = decimal_comma.is_some();
    let (date_order, date_warning) = date_order(table, options, &missing)?;
    warnings.extend(date_warning);
    // `-`, `Never` or a zero date among dates means no date: read as missing, so the column
    // stays dates (and the spec trains).
    for p in date_placeholders(table, options, &missing, date_order)? {
        p.read_as_missing(
            "dates",
            "so the column stays dates (added to the spec's missing_tokens; write such a date \
             in the column's form to keep it)",
            &mut warnings,
            &mut missing,
        );
    }
    for (i, name) in table.df.get_column_names().into_iter().enumerate() {
        let name = name.to_string();
        let numbers = placeholders.iter().any(|p| p.column == name);
        let (mut col, why) = infer_column(
            table,
            &name,
            options,
            &missing,
            (n, min_count),
            (decimal_comma, date_order),
            numbers,
        )?;
        if col.transform != TransformKind::Ignore && looks_like_engagement(&name) {
            col.part = Some(leadscore_core::explain::Part::Engagement);
        }
        if why.starts_with(DECIMAL_COMMA_REASON) {
            warnings.push(format!("column `{name}`: {why}"));
        }
        if col.transform == TransformKind::Numeric && !decimal_comma {
            warnings.extend(thousands_dots(table, &name, &missing, &mut as_written)?);
        }
        if col.transform == TransformKind::Numeric {
            // A column training will refuse says so there; nothing to add here.
            if let Ok(values) =
                crate::featurize::numeric_values(table, &name, &missing, decimal_comma)
            {
                warnings.extend(code_for_none(&name, &values));
            }
        }
        if why == NO_NAME_REASON {
            warnings.push(format!("column {} of the header: {why}", i + 1));
        }
        if col.transform == TransformKind::Timestamp {
            if let Some((_, rest)) = why.split_once(&format!("; {OTHER_DATES_NOTE} ")) {
                warnings.push(format!("column `{name}` holds dates, and in {rest}"));
            }
        }
        columns.push(col);
        reasons.push(why);
    }
    let mut positive = if options.positive.is_empty() {
        leadscore_core::value::default_positive_values()
    } else {
        options.positive.clone()
    };
    let mut negative = options.negative.clone();
    if let (true, Some(label)) = (options.positive.is_empty(), &options.label) {
        if let Some((yes, no, others)) = negated_classes(table, label, &missing, &positive)? {
            let mut w = format!(
                "label `{label}`: none of its values is one of {}; {yes:?} is read as converted, \
                 {no:?} being its negation",
                positive.join(", ")
            );
            if !others.is_empty() && negative.is_empty() {
                let shown: Vec<String> = others.iter().map(|c| format!("{c:?}")).collect();
                let _ = write!(
                    w,
                    ", as not converted; the other values ({}) are leads without an outcome yet, \
                     left out (`negative = [{no:?}]`)",
                    shown.join(", ")
                );
                negative = vec![no];
            }
            w.push_str(" (pass --positive and --negative to choose)");
            warnings.push(w);
            positive = vec![yes];
        }
    }
    // The label as training will read it: a label it refuses (`Ja`/`Nein`, `t`/`f`: no value
    // is converted) is said now, with training's own reason and way out, not after the spec is
    // written and training run.
    if let Some(label) = &options.label {
        if table.df.column(label).is_ok() {
            if let Err(e) = crate::table::flat_labels(
                table,
                label,
                &positive,
                &negative,
                crate::table::OneClass::Refused,
            ) {
                warnings.push(format!(
                    "`train` will refuse this label as it stands: {e}; pass the same --positive \
                     (and --negative) to `init` and `train`, or set `positive` in the spec"
                ));
            }
        }
    }
    // Families of numeric columns that differ in one word (`total_day_charge`,
    // `total_eve_charge`, `total_night_charge`): their total, as a column of its own.
    let taken: Vec<String> = table
        .df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    for (column, why) in column_families(&columns, &taken) {
        columns.push(column);
        reasons.push(why);
    }
    let spec = FeatureSpec {
        format_version: SPEC_FORMAT_VERSION,
        label: options.label.clone(),
        positive,
        negative,
        id: options.id.clone(),
        missing_tokens: missing,
        competitor_domains: Vec::new(),
        free_webmail_domains: Vec::new(),
        email_domain_lists: None,
        decimal_comma,
        date_order,
        events: None,
        time: None,
        outcomes: None,
        columns,
        gates: Vec::new(),
        pairs: None,
    };
    Ok(InferredSpec {
        spec,
        reasons,
        warnings,
        source: table.path.clone(),
        rows: n,
    })
}

/// A name's words and the separators before each (`total_day_charge`: `total`, `_day`,
/// `_charge`), split at `_`, ` `, `.` and `-`.
fn name_words(name: &str) -> Vec<(&str, &str)> {
    let is_sep = |c: char| matches!(c, '_' | ' ' | '.' | '-');
    let mut words = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let sep_len = rest.len() - rest.trim_start_matches(is_sep).len();
        let (sep, tail) = rest.split_at(sep_len);
        let word_len = tail.find(is_sep).unwrap_or(tail.len());
        let (word, tail) = tail.split_at(word_len);
        if !word.is_empty() {
            words.push((sep, word));
        }
        rest = tail;
    }
    words
}

/// At most this many sum columns `init` proposes (the largest families first).
pub const MAX_FAMILY_SUMS: usize = 8;

/// The numeric columns of `columns` whose names are the same words but one, not the last
/// (`total_day_charge`, `total_eve_charge`, `total_night_charge`, `total_intl_charge`: the
/// last word is the unit, the one that differs is the period or channel), three or more to a
/// family: a `sum_of` column for each family (`total_charge`), with the reason `init` writes.
/// The name leaves the differing word out (` (sum)` added when a column of the file or an
/// earlier sum has it). A threshold on the total (heavy users across every period) is then a
/// term of one column, where no term of one or two of the parts draws it; training keeps it
/// like any other column, by the weight cross-validation gives it.
pub fn column_families(columns: &[ColumnSpec], taken: &[String]) -> Vec<(ColumnSpec, String)> {
    let numeric: Vec<&ColumnSpec> = columns
        .iter()
        .filter(|c| c.transform == TransformKind::Numeric && c.sum_of.is_empty())
        .collect();
    // (the number of words, the differing word's position, the other words) -> members.
    type Family = ((usize, usize, Vec<String>), Vec<usize>);
    let mut families: Vec<Family> = Vec::new();
    for (k, c) in numeric.iter().enumerate() {
        let words = name_words(&c.name);
        for i in 0..words.len().saturating_sub(1) {
            let others: Vec<String> = words
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (_, w))| w.to_string())
                .collect();
            let key = (words.len(), i, others);
            match families.iter_mut().find(|(f, _)| *f == key) {
                Some((_, members)) => members.push(k),
                None => families.push((key, vec![k])),
            }
        }
    }
    families.retain(|(_, m)| m.len() >= 3);
    // The largest first (two keys never hold the same members: names that differ in one word
    // at one position cannot also differ in one word at another).
    families.sort_by_key(|f| std::cmp::Reverse(f.1.len()));
    let mut names: Vec<String> = taken.to_vec();
    names.extend(columns.iter().map(|c| c.name.clone()));
    let mut out = Vec::new();
    for ((_, i, _), members) in families {
        if out.len() == MAX_FAMILY_SUMS {
            break;
        }
        let first = name_words(&numeric[members[0]].name);
        let mut name = String::new();
        for (j, (sep, word)) in first.iter().enumerate() {
            if j != i {
                // The first word kept starts without a separator.
                name.push_str(if name.is_empty() { "" } else { sep });
                name.push_str(word);
            }
        }
        if names.contains(&name) {
            name.push_str(" (sum)");
        }
        if names.contains(&name) {
            continue;
        }
        names.push(name.clone());
        let parts: Vec<&ColumnSpec> = members.iter().map(|&k| numeric[k]).collect();
        let mut column = ColumnSpec::new(name, TransformKind::Numeric);
        column.sum_of = parts.iter().map(|c| c.name.clone()).collect();
        column.bins = Some(Bins::Auto);
        if parts.iter().all(|c| c.log1p == Some(true)) {
            column.log1p = Some(true);
        }
        if parts.iter().all(|c| c.part == parts[0].part) {
            column.part = parts[0].part;
        }
        let listed: Vec<String> = parts.iter().map(|c| format!("`{}`", c.name)).collect();
        let why = format!(
            "numeric: the sum of {} (columns whose names differ in one word), missing when \
             one of them is: a threshold on their total is one term of this column, where no \
             term of one or two of them draws it; training chooses by cross-validation how \
             many quantile bins go beside the linear term; delete this entry to leave it out",
            listed.join(", ")
        );
        out.push((column, why));
    }
    out
}

/// Whether a column's name says it records behaviour (visits, time on site, activity, opens,
/// clicks, downloads) rather than who the lead is: such columns count toward engagement.
pub fn looks_like_engagement(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "visit",
        "page view",
        "pageview",
        "views per",
        "time spent",
        "time on",
        "activity",
        "session",
        "click",
        "open",
        "download",
        "webinar",
        "engage",
        "last seen",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Whether `name` ends with the camel-case word `end` (two letters, `leadId`, `sentAt`): after
/// a lowercase letter, so `Paid` or `Valid` do not.
fn camel_ends_with(name: &str, end: &str) -> bool {
    name.strip_suffix(end)
        .is_some_and(|head| head.ends_with(|c: char| c.is_lowercase()))
}

/// Whether a column's name says it holds ids or codes (`Record ID`, `lead_id`, `Lead Number`,
/// `Customer No.`, `#`, `key`).
fn named_like_an_id(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // `leadId` (camel case); not `Paid` or `Valid`, which only end in the letters.
    let camel = camel_ends_with(name, "Id");
    name.trim() == "#"
        || camel
        || words.iter().any(|w| {
            matches!(
                *w,
                "id" | "uuid" | "guid" | "number" | "no" | "nr" | "num" | "key" | "code" | "ref"
            )
        })
}

/// Whether a column's name says its numbers identify something (`Owner ID`, `account_id`,
/// `campaignId`, `Postal Code`, `NAICS code`, `zip`, `key`), unlike [`named_like_an_id`] not
/// `number`, `no` or `num`, which also name counts (`Number of employees`).
fn named_like_a_code(name: &str) -> bool {
    let lower = name.to_lowercase();
    camel_ends_with(name, "Id")
        || lower.split(|c: char| !c.is_alphanumeric()).any(|w| {
            matches!(
                w,
                "id" | "uuid" | "guid" | "key" | "code" | "zip" | "zipcode" | "postcode"
            )
        })
}

/// A column of Unix seconds or milliseconds named for a time (`createdate`, `last_modified`,
/// `updatedAt`), as CRM APIs and warehouses export times, or of a spreadsheet's serial dates
/// (`45658.38897`, a date cell saved as a number; their range, 36526 to 73051, a duration could
/// fill too, so not under a duration's name: `Time Spent on Website`, `duration_ms`): dates, not an identifier (every one
/// distinct) or a number (a linear term on the calendar). `distinct` are its values (ascending;
/// a `0` among them is Unix time 0, an unset date: missing, as training reads it), `zeros` of
/// its cells hold the zero time and `n_missing` of its `n` cells are empty. Not an id's name
/// (`candidate_id` of ten digits), and no date a year or more after now (a GA `dateHour`,
/// 2025032213, or a duration in milliseconds read as seconds lies there).
fn unix_time_column(
    name: &str,
    distinct: &[f64],
    zeros: usize,
    n_missing: usize,
    n: usize,
) -> Option<(ColumnSpec, String)> {
    let times: &[f64] = distinct.strip_prefix(&[0.0]).unwrap_or(distinct);
    if times.is_empty() || !named_like_a_time(name) || named_like_an_id(name) {
        return None;
    }
    let year_ahead = leadscore_core::value::unix_now() as f64 + 366.0 * SECONDS_PER_DAY;
    let unit = crate::featurize::epoch_unit(times.iter().copied())
        .filter(|unit| unit.seconds(times[times.len() - 1]) < year_ahead)?;
    if unit == EpochUnit::SerialDays && named_like_a_duration(name) {
        return None;
    }
    let n_missing = n_missing + zeros;
    let zeros = if zeros == 0 {
        String::new()
    } else {
        format!(", {zeros} of them the zero time (an unset date)")
    };
    let date = |x: f64| leadscore_core::explain::date_text(unit.seconds(x).floor() as i64);
    Some((
        ColumnSpec::new(name, TransformKind::Timestamp),
        format!(
            "timestamps: {} ({} to {}): days since, month, weekday; {} missing ({}){zeros}",
            unit.name(),
            date(times[0]),
            date(times[times.len() - 1]),
            n_missing,
            pct(n_missing, n)
        ),
    ))
}

/// A warning when a column of numbers reads its dots as decimal points though every one of
/// them is followed by exactly three digits (`1.380 €`, `12.500`: thousands, as a file written
/// with decimal commas has them, but in a comma-separated file, where such a file is not
/// detected): `1.380 €` then reads 1.38 beside `950 €`, silently. At least ten such values and
/// none with another number of decimals; the reading is unchanged (the spec's `decimal_comma`
/// changes it). A column polars typed as floats (`1.380` without a currency) is checked as
/// written ([`read_as_written`] into `as_written`), since 1.38 does not say whether it was
/// written `1.380`.
fn thousands_dots(
    table: &Table,
    name: &str,
    missing: &[String],
    as_written: &mut Option<Option<Table>>,
) -> Result<Option<String>> {
    let Ok(column) = table.df.column(name) else {
        return Ok(None);
    };
    let source = match column.dtype() {
        DataType::String => table,
        DataType::Float64 | DataType::Float32
            if table.delimiter.is_some() && may_be_written_with_three_decimals(column) =>
        {
            match read_as_written(table, missing, as_written) {
                Some(text) => text,
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    let values = level_values(source, name, missing)?;
    let mut dotted = 0usize;
    let mut example = None;
    for v in values.iter().flatten() {
        let digits_after = |t: &str| {
            t.rsplit_once('.')
                .map(|(_, after)| after.chars().take_while(char::is_ascii_digit).count())
        };
        // A whole part of 0 (`0.125`) is no thousands group (`parse_formatted_number`): the
        // dot is a decimal point, and `decimal_comma = true` would make it no number.
        let whole_zero = |t: &str| {
            t.rsplit_once('.').is_some_and(|(before, _)| {
                before
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .starts_with('0')
            })
        };
        match digits_after(v.trim()) {
            None => {}
            Some(3) if whole_zero(v.trim()) => return Ok(None),
            Some(3) => {
                dotted += 1;
                example.get_or_insert_with(|| v.trim().to_string());
            }
            Some(_) => return Ok(None),
        }
    }
    Ok((dotted >= 10).then(|| {
        let example = example.unwrap_or_default();
        format!(
            "column `{name}`: every number written with a dot has three digits after it \
             ({dotted} values, such as {example:?}), as thousands are written where a comma is \
             the decimal point: read with a decimal point here ({example:?} is {}); if the file \
             means thousands, set `decimal_comma = true` at the top of the spec",
            leadscore_core::value::parse_number(&example)
                .map_or_else(|| "no number".to_string(), |x| x.to_string())
        )
    }))
}

/// A warning when a numeric column's largest value is a code of nines (`999`, `9999`, as survey
/// and marketing tables write "never" or "not applicable": the bank-marketing table's `pdays`)
/// held by at least 5% of the values and ten times the largest other value or more: read as a
/// number it stretches the linear term over a gap no lead lies in. The reading is unchanged
/// (the spec's `missing_tokens` changes it).
fn code_for_none(name: &str, values: &[Option<f64>]) -> Option<String> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let code = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let nines = [99.0, 999.0, 9_999.0, 99_999.0, 999_999.0];
    if !nines.contains(&code) {
        return None;
    }
    let held = present.iter().filter(|x| **x == code).count();
    let rest = present
        .iter()
        .copied()
        .filter(|x| *x != code)
        .fold(f64::NEG_INFINITY, f64::max);
    (20 * held >= present.len() && rest.is_finite() && rest > 0.0 && code >= 10.0 * rest).then(
        || {
            format!(
                "column `{name}`: {held} of its {} values ({}) are {code}, ten times its largest \
             other value ({rest}) or more: a code for \"never\" or \"not applicable\"? Read as \
             a number it stretches the column's line over a gap no lead lies in; if it is a \
             code, add \"{code}\" to the spec's missing_tokens (the missing indicator then \
             carries it; a token is missing in every column)",
                present.len(),
                pct(held, present.len())
            )
        },
    )
}

/// Whether a float column could have been written with three digits after every dot: at
/// least ten values with a fraction, each a whole number of thousandths (1.38 is; 1.3805 is
/// not). Only such a column is read again as text for [`thousands_dots`].
fn may_be_written_with_three_decimals(column: &Column) -> bool {
    let Ok(floats) = column.cast(&DataType::Float64) else {
        return false;
    };
    let Ok(floats) = floats.f64() else {
        return false;
    };
    let mut fractions = 0usize;
    for x in floats.iter().flatten() {
        if !x.is_finite() || x.fract() == 0.0 {
            continue;
        }
        let thousandths = x * 1000.0;
        if (thousandths - thousandths.round()).abs() > 1e-6 * thousandths.abs().max(1.0) {
            return false;
        }
        fractions += 1;
    }
    fractions >= 10
}

/// Whether a column's name has a word of a duration (`Time Spent on Website`, `duration_ms`,
/// `session_seconds`).
fn named_like_a_duration(name: &str) -> bool {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| {
            matches!(
                w,
                "spent"
                    | "duration"
                    | "length"
                    | "elapsed"
                    | "seconds"
                    | "secs"
                    | "sec"
                    | "minutes"
                    | "mins"
                    | "hours"
                    | "hrs"
                    | "ms"
                    | "days"
            )
        })
}

/// Whether a column's name says it holds a time: `date`, `time`, `created`, `modified`,
/// `updated`, `stamp`, `epoch`, or a moment of a lead's life (`seen`, `contacted`, `opened`,
/// `clicked`, `visited`, `submitted`, `closed`, `signup`) in it (`createdate`,
/// `hs_lastmodifieddate`, `Created Time`, `lastSeen`, `Last Contacted`), or a word `at`, `on`
/// or `ts` (`closed_at`, `Created On`), camel case too (`sentAt`). Only numbers that are all
/// Unix times are read so: a count named `Emails Opened` is not.
fn named_like_a_time(name: &str) -> bool {
    let lower = name.to_lowercase();
    let camel = ["At", "On", "Ts"]
        .iter()
        .any(|end| camel_ends_with(name, end));
    camel
        || [
            "date",
            "time",
            "created",
            "modified",
            "updated",
            "stamp",
            "epoch",
            "seen",
            "contacted",
            "opened",
            "clicked",
            "visited",
            "submitted",
            "closed",
            "signup",
        ]
        .iter()
        .any(|k| lower.contains(k))
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| matches!(w, "at" | "on" | "ts"))
}

/// Whether distinct integers (sorted) are shaped like ids rather than amounts: nine in ten of
/// the same number of digits (`100234`, `100871`, ...), or packed into a range at most four
/// times their number (sequential ids with gaps). Amounts (a revenue, a company size) spread
/// over orders of magnitude: every one distinct is not enough to call them ids (whole-dollar
/// revenues were left out as identifiers).
fn id_shaped(sorted: &[f64]) -> bool {
    let (Some(min), Some(max)) = (sorted.first(), sorted.last()) else {
        return false;
    };
    if max - min + 1.0 <= 4.0 * sorted.len() as f64 {
        return true;
    }
    let width = |x: f64| x.abs().max(1.0).log10().floor() as i32 + i32::from(x < 0.0);
    let mut widths: Vec<i32> = sorted.iter().map(|x| width(*x)).collect();
    widths.sort_unstable();
    let mut best = 0;
    let mut run = 0;
    for (i, w) in widths.iter().enumerate() {
        run = if i > 0 && widths[i - 1] == *w {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best * 10 >= widths.len() * 9
}

/// Whether a column's header is empty or blank: `""`, or the name polars gives a second one
/// (`_duplicated_0`: a blank name read twice).
fn has_no_name(name: &str) -> bool {
    let blank_twice = name.rsplit_once("_duplicated_").is_some_and(|(base, k)| {
        base.trim().is_empty() && !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
    });
    name.trim().is_empty() || blank_twice
}

/// Why a column whose header is empty (or blank) is left out: its factor would read ` = a`,
/// and a lead sent to the server could name it only as `""`.
const NO_NAME_REASON: &str =
    "has no name: left out of the features (name it in the header to use it)";

/// In the reason of a timestamp column with values in another form (also a warning).
const OTHER_DATES_NOTE: &str = "and in";

fn infer_column(
    table: &Table,
    name: &str,
    options: &InferOptions,
    missing: &[String],
    (n, min_count): (usize, usize),
    (decimal_comma, date_order): (bool, DateOrder),
    numbers_with_placeholders: bool,
) -> Result<(ColumnSpec, String)> {
    let ignore = |why: String| Ok((ColumnSpec::new(name, TransformKind::Ignore), why));
    if options.label.as_deref() == Some(name) {
        return ignore("the label".into());
    }
    if options.id.as_deref() == Some(name) {
        return ignore("the lead id".into());
    }
    if options.exclude.iter().any(|e| e == name) {
        return ignore("excluded on the command line (--exclude)".into());
    }
    if has_no_name(name) {
        return ignore(NO_NAME_REASON.into());
    }
    if let Some(why) = leadscore_core::spec::reserved_name(name) {
        return ignore(format!(
            "named so, but {why}: rename the column in the file to use it"
        ));
    }
    if table.list_columns.iter().any(|c| c == name) {
        // A Parquet list: its items are the options, however few rows hold several (and a
        // list of numbers is options too, not a number).
        let v = level_values(table, name, missing)?;
        let present = v.iter().flatten().count();
        if present == 0 {
            return ignore("every value is missing".into());
        }
        return Ok((
            multi_select_column(name, min_count),
            format!(
                "multi-select: a list column, each item an option; {} missing ({})",
                n - present,
                pct(n - present, n)
            ),
        ));
    }
    let dtype = table
        .df
        .column(name)
        .map(|c| c.dtype().clone())
        .unwrap_or(DataType::Null);
    if matches!(dtype, DataType::Datetime(..) | DataType::Date) {
        return Ok((
            ColumnSpec::new(name, TransformKind::Timestamp),
            "a date/time column: days since, month, weekday".into(),
        ));
    }
    if dtype == DataType::Boolean {
        return Ok((
            ColumnSpec::new(name, TransformKind::Boolean),
            "a true/false column".into(),
        ));
    }
    // Numbers written for people (`$1,200`, `1,234`, `45%`: spreadsheet and CRM report
    // exports) arrive as text: numeric when every value reads as a number and some needed the
    // formatted reading (a text column of plain numbers, such as zero-padded codes, stays as it
    // was inferred before).
    // A text column's cells, read once for this check and for the text rules below.
    let text = if dtype == DataType::String {
        Some(level_values(table, name, missing)?)
    } else {
        None
    };
    let (formatted, amounts) = if let Some(v) = &text {
        let mut present = v.iter().flatten().peekable();
        let formatted = present.peek().is_some()
            && present.clone().any(|t| t.trim().parse::<f64>().is_err())
            && present
                .clone()
                .all(|t| parse_number_as(t, decimal_comma).is_some_and(f64::is_finite));
        // Money, a percentage or a magnitude (`6.5K`) is a measure, never an identifier,
        // however distinct.
        let amounts = formatted
            && present.any(|t| {
                let t = t.trim();
                t.contains('%')
                    || t.starts_with('(')
                    || leadscore_core::value::ends_with_magnitude(t)
                    || CURRENCY_SIGNS.iter().any(|c| t.contains(c))
                    || CURRENCY_CODES.iter().any(|c| t.contains(c))
            });
        (formatted, amounts)
    } else {
        (false, false)
    };
    // Plain numbers some of which are padded with spaces (` 7`, `12 `: a fixed-width or
    // hand-edited export): the reader keeps the column as text, training and the server read
    // each as the number it is, so numeric.
    let padded = text.as_ref().is_some_and(|v| {
        // (Whitespace alone is missing, as everywhere.) A zero-padded code (` 02134`, a ZIP
        // code) keeps the column text, as such codes without spaces do.
        let present = v.iter().flatten().filter(|t| !t.trim().is_empty());
        let zero_padded = |t: &str| {
            let b = t.trim().as_bytes();
            b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit()
        };
        present.clone().any(|t| t.len() != t.trim().len())
            && !present.clone().any(|t| zero_padded(t))
            && present
                .clone()
                .all(|t| parse_number_as(t, decimal_comma).is_some_and(f64::is_finite))
    });
    // Numbers once a placeholder (`-`, `?`) is read as missing: numeric, as they read.
    let numbers_with_placeholders = numbers_with_placeholders
        && text.as_ref().is_some_and(|v| {
            v.iter()
                .flatten()
                .all(|t| parse_number_as(t, decimal_comma).is_some_and(f64::is_finite))
        });
    if dtype.is_primitive_numeric() || formatted || padded || numbers_with_placeholders {
        let v = numeric_values(table, name, missing, decimal_comma)?;
        let present: Vec<f64> = v.iter().flatten().copied().collect();
        let n_missing = n - present.len();
        if present.is_empty() {
            return ignore("every value is missing".into());
        }
        let mut distinct = present.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        // Numbers stay numeric, 0/1 included: a coded answer seen only as 0 and 1 here may be
        // 3 in the next file, which a number scores and a yes/no column could not.
        let zero_one = distinct.iter().all(|x| *x == 0.0 || *x == 1.0);
        let integral = present.iter().all(|x| x.fract() == 0.0);
        // Unix seconds or milliseconds in a column named for a time: dates.
        if !formatted && dtype != DataType::Float32 {
            let zeros = present.iter().filter(|x| **x == 0.0).count();
            if let Some(found) = unix_time_column(name, &distinct, zeros, n_missing, n) {
                return Ok(found);
            }
        }
        if integral
            && !amounts
            && distinct.len() == present.len()
            && present.len() > 100
            && (named_like_an_id(name) || id_shaped(&distinct))
        {
            return ignore(format!(
                "looks like an identifier: every one of {} values is a distinct integer",
                present.len()
            ));
        }
        // An owner, account or campaign id, a postal or industry code: a whole number named
        // for what it identifies, its values repeated. A label, not a quantity: as a number it
        // made `HubSpot Owner ID in [70011234, 88812345)` and scored a new owner as its
        // numeric neighbour.
        if integral
            && !amounts
            && !formatted
            && distinct.len() < present.len()
            && distinct.len() > 2
            && distinct[0] >= 0.0
            && named_like_a_code(name)
        {
            let mut col = ColumnSpec::new(name, TransformKind::Categorical);
            col.min_count = Some(min_count);
            return Ok((
                col,
                format!(
                    "categorical: whole numbers named for what they identify (an id or a code), \
                     {} distinct values repeated over {} rows: each a level, not a quantity; \
                     values seen fewer than {min_count} times are `other`",
                    distinct.len(),
                    present.len()
                ),
            ));
        }
        let mean = present.iter().sum::<f64>() / present.len() as f64;
        let var = present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / present.len() as f64;
        let skew = if var > 0.0 {
            present.iter().map(|x| (x - mean).powi(3)).sum::<f64>()
                / present.len() as f64
                / var.powf(1.5)
        } else {
            0.0
        };
        let min = distinct[0];
        let max = distinct[distinct.len() - 1];
        let mut col = ColumnSpec::new(name, TransformKind::Numeric);
        let mut why = format!(
            "numeric: {} missing ({}) imputed with the median, range {} to {}",
            n_missing,
            pct(n_missing, n),
            fmt_num(min),
            fmt_num(max)
        );
        if numbers_with_placeholders {
            why.push_str(
                "; a placeholder for no value (or a rare stray value) among the numbers read as \
                 missing",
            );
        }
        if formatted && decimal_comma {
            why.push_str(
                "; written with a decimal comma, read as the numbers they show (12,5 -> 12.5)",
            );
        } else if formatted {
            why.push_str(
                "; written with currency signs, thousands separators, magnitudes or %, read as \
                 the numbers they show ($1,200 -> 1200, 6.5K -> 6500, 45% -> 45)",
            );
        }
        if zero_one {
            why.push_str(
                "; only 0 and 1 here, kept numeric (not boolean) so a later value such as 3 is \
                 scored as a number",
            );
        }
        if min >= 0.0 && skew > 1.0 && !zero_one {
            col.log1p = Some(true);
            let _ = write!(
                why,
                "; skewed (skewness {skew:.1}) and non-negative, so log1p"
            );
        } else {
            col.log1p = Some(false);
        }
        if distinct.len() >= crate::pipeline::BINS_MIN_DISTINCT {
            col.bins = Some(Bins::Auto);
            let _ = write!(
                why,
                "; {} distinct values: training chooses by cross-validation how many quantile \
                 bins go beside the linear term (none, or a few to many); set a number to fix them",
                distinct.len()
            );
        } else if distinct.len() >= crate::shapes::MIN_DISTINCT {
            col.bins = Some(Bins::Auto);
            let _ = write!(
                why,
                "; {} distinct values: training gives it bins of its own (up to one per value) \
                 beside the linear term if the model's residuals bend along it (cross-validated); \
                 set bins = 0 for the linear term alone",
                distinct.len()
            );
        } else {
            col.bins = Some(Bins::Fixed(0));
        }
        return Ok((col, why));
    }
    // Text.
    let v = match text {
        Some(v) => v,
        None => level_values(table, name, missing)?,
    };
    let present: Vec<&str> = v.iter().flatten().map(String::as_str).collect();
    let n_missing = n - present.len();
    if present.is_empty() {
        return ignore("every value is missing".into());
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in &present {
        *counts.entry(p).or_default() += 1;
    }
    let lower = name.to_lowercase();
    let share = |f: &dyn Fn(&str) -> bool| {
        present.iter().filter(|p| f(p)).count() as f64 / present.len() as f64
    };
    let miss = format!("{} missing ({})", n_missing, pct(n_missing, n));
    let at_share = share(&|p| p.contains('@'));
    if at_share > 0.5 || ((lower.contains("email") || lower.contains("e-mail")) && at_share > 0.1) {
        return Ok((
            ColumnSpec::new(name, TransformKind::Email),
            format!("email addresses: domain class (business, free webmail, education, disposable, competitor); {miss}"),
        ));
    }
    // Unix times as text beside MySQL's zero date (`0000-00-00` among seconds, which makes
    // the column text): timestamps, as training reads them.
    let zero_dates = present
        .iter()
        .filter(|p| leadscore_core::value::is_zero_time_text(p))
        .count();
    if zero_dates > 0 {
        let numbers: Option<Vec<f64>> = present
            .iter()
            .filter(|p| !leadscore_core::value::is_zero_time_text(p))
            .map(|p| leadscore_core::value::unix_number_text(p))
            .collect();
        if let Some(mut numbers) = numbers {
            numbers.sort_by(f64::total_cmp);
            numbers.dedup();
            if let Some(found) = unix_time_column(name, &numbers, zero_dates, n_missing, n) {
                return Ok(found);
            }
        }
    }
    // The values that are not dates in this order (each value parsed once).
    // MySQL's zero date (`0000-00-00`) is an unset date, missing in a time column, as is a
    // numeric missing token written otherwise (`-1.0` where `-1` is one), as training reads it.
    let tokens = leadscore_core::fitted::numeric_missing_tokens(missing);
    let unset = |p: &str| {
        leadscore_core::fitted::is_unset_time(leadscore_core::value::FieldValue::Text(p), &tokens)
    };
    let mut token_times = 0;
    let others: Vec<&str> = present
        .iter()
        .copied()
        .filter(|p| {
            if parse_timestamp_as(p, date_order).is_some() {
                return false;
            }
            if unset(p) {
                token_times += usize::from(!leadscore_core::value::is_zero_time_text(p));
                return false;
            }
            true
        })
        .collect();
    // Some dates among them: a column of unset dates and tokens only holds none.
    let dates = present.len() - others.len() - zero_dates - token_times;
    if others.is_empty() && dates == 0 {
        return ignore(
            "every value is missing (an unset date or a missing token such as `-1.0`)".into(),
        );
    }
    if (others.len() as f64) < 0.1 * present.len() as f64 && dates > 0 {
        // Any others are neither dates in this order nor placeholders (those are missing values
        // by now): `2023-09` partial dates, US dates among ISO ones. Training refuses them,
        // naming the row; said now, with the way to keep them. (Left out instead, the column's
        // signal was lost with a warning only, where training stopped before.)
        let note = match others.first() {
            None => String::new(),
            Some(example) => {
                let reads = |order: DateOrder| {
                    others
                        .iter()
                        .all(|p| parse_timestamp_as(p, order).is_some())
                };
                let fix = if reads(DateOrder::Mdy) && !reads(DateOrder::Dmy) {
                    "set date_order = \"mdy\" in the spec (they are dates, month first)"
                } else if reads(DateOrder::Dmy) && !reads(DateOrder::Mdy) {
                    "set date_order = \"dmy\" in the spec (they are dates, day first)"
                } else if reads(DateOrder::Mdy) {
                    "set date_order = \"mdy\" or \"dmy\" in the spec, as they are written"
                } else {
                    "write them as dates, or list them in missing_tokens (for every column)"
                };
                format!(
                    "; {OTHER_DATES_NOTE} {} of its rows ({}) in another form, such as \
                     {example:?}, which training refuses: {fix}",
                    others.len(),
                    pct(others.len(), n),
                )
            }
        };
        let miss = if zero_dates + token_times == 0 {
            miss
        } else {
            let n_missing = n_missing + zero_dates + token_times;
            let mut parts = Vec::new();
            if zero_dates > 0 {
                parts.push(format!("{zero_dates} of them a zero date (an unset date)"));
            }
            if token_times > 0 {
                parts.push(format!(
                    "{token_times} a missing token written as a number (such as `-1.0`)"
                ));
            }
            format!(
                "{n_missing} missing ({}), {}",
                pct(n_missing, n),
                parts.join(", ")
            )
        };
        return Ok((
            ColumnSpec::new(name, TransformKind::Timestamp),
            format!("timestamps: days since, month, weekday; {miss}{note}"),
        ));
    }
    // Words only: text that reads as 0 and 1 is a code (categorical below), not yes/no. In any
    // case and spelling (`Yes`, `yes`, `YES`, `Y`, ` No`): a boolean column reads them alike
    // when it scores, so they are one column of yes and no, not five levels.
    if present.iter().all(|p| is_bool_word(p)) {
        let spellings = if counts.len() > 2 {
            format!(" ({} spellings, read alike)", counts.len())
        } else {
            String::new()
        };
        return Ok((
            ColumnSpec::new(name, TransformKind::Boolean),
            format!("yes/no values{spellings}: boolean; {miss}"),
        ));
    }
    // Named like titles and holding titles: a fifth of the distinct values at least with a
    // seniority keyword (`VP`, `Director`, `Manager`, `Student`...). A `Job Function` column
    // (Marketing, HR) or a `Last Page Title` has none, nor do titles in a language the
    // keywords do not cover: their levels keep the signal the seniority class would lose.
    let titled = || {
        let ranked = counts
            .keys()
            .filter(|v| seniority(v) != leadscore_core::value::Seniority::Individual)
            .count();
        5 * ranked >= counts.len()
    };
    if ["title", "job", "position", "role"]
        .iter()
        .any(|k| lower.contains(k))
        && counts.len() > 10
        && titled()
    {
        return Ok((
            ColumnSpec::new(name, TransformKind::JobTitle),
            format!(
                "job titles ({} distinct): seniority class from keywords; {miss}",
                counts.len()
            ),
        ));
    }
    // Too many values to be levels: numbers written with decimal commas (a European export)
    // would be left out as free text without a word; they are left out with one.
    if counts.len() > 50 && share(&|p| decimal_comma_number(p)) > 0.9 {
        return ignore(format!(
            "{DECIMAL_COMMA_REASON} (`{}`, {} distinct values): leadscore reads `.` as the \
             decimal point, so it is left out; write the file with decimal points to use it, \
             or, if every number in the file is written with a decimal comma, set \
             `decimal_comma = true` at the top of the spec and make the column numeric",
            present
                .iter()
                .find(|p| decimal_comma_number(p))
                .copied()
                .unwrap_or_default(),
            counts.len()
        ));
    }
    if let Some(why) = multi_select(&counts, present.len(), min_count) {
        return Ok((
            multi_select_column(name, min_count),
            format!("{why}; {miss}"),
        ));
    }
    if counts.len() > 50 && counts.len() * 2 > present.len() {
        return ignore(format!(
            "free text or an identifier: {} distinct values in {} rows",
            counts.len(),
            present.len()
        ));
    }
    let frequent = counts.values().filter(|c| **c >= min_count).count();
    let top = counts.values().max().copied().unwrap_or(0);
    let mut why = format!(
        "categorical: {} distinct values, {frequent} seen at least {min_count} times get their own feature, the rest `other`; {miss}",
        counts.len()
    );
    if top as f64 >= 0.995 * present.len() as f64 {
        let _ = write!(
            why,
            "; almost constant ({} of rows share one value)",
            pct(top, present.len())
        );
    }
    let mut col = ColumnSpec::new(name, TransformKind::Categorical);
    col.min_count = Some(min_count);
    Ok((col, why))
}

/// A multi_select column as `init` writes it: the default separator spelled out.
fn multi_select_column(name: &str, min_count: usize) -> ColumnSpec {
    let mut col = ColumnSpec::new(name, TransformKind::MultiSelect);
    col.min_count = Some(min_count);
    col.separator = Some(DEFAULT_SEPARATOR.into());
    col
}

/// Why a text column holds several options per value, separated by [`DEFAULT_SEPARATOR`] (a
/// CRM's multi-select picklist or multiple-checkbox property, `Pricing;Webinars`), or `None`:
/// at least 10 rows, and 5% of the values, include two options or more, in at least 3
/// distinct combinations with at least 2 options found in several distinct values (single
/// levels that hold the separator, `Media; Entertainment`, do not recombine), and the options
/// are a short list reused across rows (four in five selections are of options with `min_count`
/// rows; an option is at most 60 characters on average), not free text that happens to hold
/// the separator. `counts` are the distinct values' row counts of `present` rows.
fn multi_select(counts: &HashMap<&str, usize>, present: usize, min_count: usize) -> Option<String> {
    let mut several = 0;
    let mut combinations = 0;
    let mut options: HashMap<&str, usize> = HashMap::new();
    // Per option, the distinct values holding it: options of a multi-select recombine, where
    // the parts of single levels with the separator in them (`Media; Entertainment`) do not.
    let mut values_with: HashMap<&str, usize> = HashMap::new();
    for (value, &n) in counts {
        let mut parts: Vec<&str> = options_in(value, DEFAULT_SEPARATOR).collect();
        parts.sort_unstable();
        parts.dedup();
        if parts.len() >= 2 {
            several += n;
            combinations += 1;
        }
        for p in parts {
            *options.entry(p).or_default() += n;
            *values_with.entry(p).or_default() += 1;
        }
    }
    let recombined = values_with.values().filter(|v| **v >= 2).count();
    if several < 10
        || (several as f64) < 0.05 * present as f64
        || combinations < 3
        || recombined < 2
    {
        return None;
    }
    let selections: usize = options.values().sum();
    let reused: usize = options.values().filter(|n| **n >= min_count).sum();
    let chars: usize = options.iter().map(|(o, n)| o.chars().count() * n).sum();
    if (reused as f64) < 0.8 * selections as f64 || chars > 60 * selections {
        return None;
    }
    let kept = options.values().filter(|n| **n >= min_count).count();
    Some(format!(
        "multi-select: several options in one value, separated by `{DEFAULT_SEPARATOR}` ({} \
         of the values hold two or more), {} distinct options, {kept} seen at least \
         {min_count} times get their own feature, the rest `other`",
        pct(several, present),
        options.len()
    ))
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() < 1e-3 || x.abs() >= 1e15 {
        // Three decimals would read `0.000` for a column of rates near 1e-5.
        format!("{x:.3e}")
    } else {
        format!("{x:.3}")
    }
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|s| toml_str(s)).collect::<Vec<_>>().join(", ")
    )
}

/// Renders the spec as commented TOML (it parses back to the same spec).
pub fn render_toml(inferred: &InferredSpec) -> String {
    let spec = &inferred.spec;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# leadscore feature spec, inferred by `leadscore-train init` from {} ({} rows).",
        inferred.source, inferred.rows
    );
    out.push_str(
        "# Edit freely: change a column's transform, set transform = \"ignore\" to leave it out, tune\n\
         # the options. Transforms: numeric (log1p; bins: a number, \"N with spikes\" for N bins with\n\
         # very common values in bins of their own, \"values\" for a bin per common value, or\n\
         # \"auto\" to let training choose by cross-validation), categorical (min_count,\n\
         # max_levels), multi_select (several options in a value: separator, min_count,\n\
         # max_levels), boolean, email, job_title, timestamp, ignore. Learned state (medians,\n\
         # levels, bin edges) is fitted on the training split when you run\n\
         # `leadscore-train train --spec THIS_FILE`.\n",
    );
    let _ = writeln!(out, "format_version = {}", spec.format_version);
    if let Some(l) = &spec.label {
        let _ = writeln!(out, "label = {}", toml_str(l));
    }
    let _ = writeln!(out, "positive = {}", toml_list(&spec.positive));
    if !spec.negative.is_empty() {
        out.push_str(
            "# Label values that mean not converted; a lead whose label is neither has no outcome\n\
             # yet and is left out.\n",
        );
        let _ = writeln!(out, "negative = {}", toml_list(&spec.negative));
    }
    if let Some(id) = &spec.id {
        let _ = writeln!(out, "id = {}", toml_str(id));
    }
    let _ = writeln!(out, "missing_tokens = {}", toml_list(&spec.missing_tokens));
    if spec.decimal_comma {
        out.push_str(
            "# Numbers are written with a decimal comma (`12,5`, `1.234,5`), in this file and in\n\
             # the leads scored later (a JSON number needs none).\n\
             decimal_comma = true\n",
        );
    }
    if !spec.date_order.is_iso() {
        let (order, _, example) = spec.date_order.described();
        let _ = writeln!(
            out,
            "# Dates are written with the year last ({example}), in every table and in the leads\n\
             # scored later (ISO 8601 text reads the same): \"mdy\" month first, \"dmy\" day first.\n\
             date_order = {}",
            toml_str(order)
        );
    }
    out.push_str(
        "# Email domains of competitors, classified as `competitor` (a negative signal).\n",
    );
    let _ = writeln!(
        out,
        "competitor_domains = {}",
        toml_list(&spec.competitor_domains)
    );
    if spec
        .columns
        .iter()
        .any(|c| c.transform == TransformKind::Email)
    {
        out.push_str(
            "# Email domains classified as `free webmail` besides the built-in lists (gmail.com,\n\
             # yahoo.fr, uol.com.br, ...): your region's providers, the domain itself.\n",
        );
        let _ = writeln!(
            out,
            "free_webmail_domains = {}",
            toml_list(&spec.free_webmail_domains)
        );
    }
    for (c, why) in spec.columns.iter().zip(&inferred.reasons) {
        out.push_str("\n[[columns]]\n");
        let _ = writeln!(out, "# {why}");
        let _ = writeln!(out, "name = {}", toml_str(&c.name));
        let kind = serde_json::to_value(c.transform)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "transform = {}", toml_str(&kind));
        if let Some(b) = c.log1p {
            let _ = writeln!(out, "log1p = {b}");
        }
        if let Some(b) = c.bins {
            let _ = writeln!(out, "bins = {b}");
        }
        if let Some(m) = c.min_count {
            let _ = writeln!(out, "min_count = {m}");
        }
        if let Some(m) = c.max_levels {
            let _ = writeln!(out, "max_levels = {m}");
        }
        if let Some(sep) = &c.separator {
            let _ = writeln!(out, "separator = {}", toml_str(sep));
        }
        if !c.sum_of.is_empty() {
            let parts: Vec<String> = c.sum_of.iter().map(|p| toml_str(p)).collect();
            let _ = writeln!(out, "sum_of = [{}]", parts.join(", "));
        }
        // A behaviour column's part (engagement): left out, a model trained on the written
        // spec counted visits and time on site as fit.
        if let Some(part) = c.part {
            let part = serde_json::to_value(part)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(out, "part = {}", toml_str(&part));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{read_table, ReadOptions};
    use polars::prelude::*;

    fn table_of(csv: &str) -> (tempfile::TempDir, Table) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, csv).unwrap();
        let table = read_table(&path, &ReadOptions::default()).unwrap();
        (dir, table)
    }

    fn inferred(table: &Table) -> Vec<(String, ColumnSpec, String)> {
        let s = infer_spec(table, &InferOptions::default()).unwrap();
        s.spec
            .columns
            .iter()
            .zip(s.reasons)
            .map(|(c, why)| (c.name.clone(), c.clone(), why))
            .collect()
    }

    /// A column named `events` or `leads` (a count, a text) is left out, saying why: the
    /// server reads those keys otherwise, so a model using it could not be served.
    #[test]
    fn columns_named_as_the_servers_keys_are_left_out() {
        let mut csv = String::from("events,leads,visits\n");
        for i in 0..60 {
            csv += &format!("{},{},{}\n", i % 7, ["a", "b", "c"][i % 3], i % 11);
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        for (name, c, why) in &cols[..2] {
            assert_eq!(c.transform, TransformKind::Ignore, "{name}: {why}");
            assert!(why.contains("rename the column"), "{why}");
        }
        assert_eq!(cols[2].1.transform, TransformKind::Numeric);
    }

    /// A numeric missing token written as pandas writes it in a date column (`-1.0` where
    /// `-1` is a token): missing, as training reads it, not "another form training refuses".
    #[test]
    fn a_numeric_token_written_with_a_fraction_is_a_missing_date() {
        let mut csv = String::from("signup,visits\n");
        for i in 0..200 {
            let date = if i % 5 == 0 {
                "-1.0".to_string()
            } else {
                format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28)
            };
            csv.push_str(&format!("{date},{i}\n"));
        }
        let (_dir, table) = table_of(&csv);
        let mut options = InferOptions::default();
        options.missing_tokens.push("-1".into());
        let s = infer_spec(&table, &options).unwrap();
        let why = &s.reasons[0];
        assert_eq!(
            s.spec.columns[0].transform,
            TransformKind::Timestamp,
            "{why}"
        );
        assert!(
            why.contains("40 missing (20.0%), 40 a missing token written as a number")
                && !why.contains("training refuses"),
            "{why}"
        );
        // Tokens and zero dates only, no date: not a timestamp column.
        let mut csv = String::from("signup,visits\n");
        for i in 0..200 {
            let v = if i % 3 == 0 { "0000-00-00" } else { "-1.0" };
            csv.push_str(&format!("{v},{i}\n"));
        }
        let (_dir, table) = table_of(&csv);
        let s = infer_spec(&table, &options).unwrap();
        let (i, c) = s
            .spec
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == "signup")
            .unwrap();
        assert_eq!(c.transform, TransformKind::Ignore, "{}", s.reasons[i]);
        assert!(s.reasons[i].contains("an unset date"), "{}", s.reasons[i]);
    }

    /// Plain numbers padded with spaces (` 7`, a fixed-width export) are numeric, as training
    /// and the server read them, where the reader keeps the column as text; a code column of
    /// padded text stays categorical.
    #[test]
    fn numbers_padded_with_spaces_are_numeric() {
        let mut csv = String::from("page_views,code,blank_gaps,zip\n");
        for i in 0..300 {
            let views = if i % 2 == 0 {
                format!(" {}", i % 40)
            } else {
                format!("{}", i % 37)
            };
            let gap = if i % 9 == 0 {
                "  ".to_string()
            } else {
                format!("{} ", i % 11)
            };
            csv.push_str(&format!("{views}, A{},{gap}, 0{}\n", i % 4, 2100 + i % 7));
        }
        let (_dir, table) = table_of(&csv);
        let got = inferred(&table);
        let kind = |name: &str| {
            let (_, c, why) = got.iter().find(|(n, _, _)| n == name).unwrap();
            (c.transform, why.clone())
        };
        let (t, why) = kind("page_views");
        assert_eq!(t, TransformKind::Numeric, "{why}");
        assert!(why.contains("range 0 to 38"), "{why}");
        let (t, why) = kind("blank_gaps");
        assert_eq!(t, TransformKind::Numeric, "{why}");
        assert!(why.contains("34 missing"), "{why}");
        let (t, why) = kind("code");
        assert_eq!(t, TransformKind::Categorical, "{why}");
        let (t, why) = kind("zip");
        assert_eq!(t, TransformKind::Categorical, "a zero-padded code: {why}");
    }

    #[test]
    fn ranges_read_at_any_scale() {
        assert_eq!(fmt_num(250.0), "250");
        assert_eq!(fmt_num(2.5), "2.500");
        assert_eq!(fmt_num(0.000012), "1.200e-5");
        assert_eq!(fmt_num(-0.0004), "-4.000e-4");
        assert_eq!(fmt_num(2e16), "2.000e16");
        assert_eq!(fmt_num(0.0), "0");
    }

    /// A time column that writes `0` for an unset date (Unix seconds, or text dates with
    /// MySQL's zero date `0000-00-00`) is a timestamp column, its zeros counted missing; a
    /// time-named column of zeros only is not.
    #[test]
    fn zero_times_in_a_time_column_are_unset_dates() {
        let mut csv = String::from("last_contacted,closed_date,seen_at,updated_at\n");
        for i in 0..200_i64 {
            let t = 1_700_000_000 + i * 86_123;
            let (seconds, date, text) = if i % 4 == 0 {
                (
                    "0".to_string(),
                    "0000-00-00 00:00:00".to_string(),
                    "0000-00-00".to_string(),
                )
            } else {
                (
                    t.to_string(),
                    leadscore_core::explain::date_text(t),
                    t.to_string(),
                )
            };
            csv.push_str(&format!("{seconds},{date},0,{text}\n"));
        }
        let (_dir, table) = table_of(&csv);
        let kinds = inferred(&table);
        for (name, c, why) in &kinds[..2] {
            assert_eq!(c.transform, TransformKind::Timestamp, "{name}: {why}");
        }
        assert!(
            kinds[0]
                .2
                .starts_with("timestamps: Unix seconds (2023-11-15 to 2024-05-31)")
                && kinds[0]
                    .2
                    .ends_with("50 missing (25.0%), 50 of them the zero time (an unset date)"),
            "{}",
            kinds[0].2
        );
        assert!(
            kinds[1]
                .2
                .ends_with("50 missing (25.0%), 50 of them a zero date (an unset date)"),
            "{}",
            kinds[1].2
        );
        // Unix seconds as text beside MySQL's zero date.
        assert_eq!(
            kinds[3].1.transform,
            TransformKind::Timestamp,
            "{}",
            kinds[3].2
        );
        assert!(
            kinds[3]
                .2
                .ends_with("50 of them the zero time (an unset date)"),
            "{}",
            kinds[3].2
        );
        assert_ne!(
            kinds[2].1.transform,
            TransformKind::Timestamp,
            "{}",
            kinds[2].2
        );
    }

    /// Unix seconds or milliseconds in a column named for a time are timestamps; the same
    /// numbers under another name (a phone number is ten digits too) or numbers outside 2000
    /// to 2100 under a time's name are not.
    #[test]
    fn unix_times_in_a_time_column_are_timestamps() {
        let mut csv = String::from(
            "createdate,lastModifiedAt,Closed On,event_ts,phone,date_count,updated_at,\
             first_visit_dateHour,candidate_id,hs_time_in_lead\n",
        );
        for i in 0..300_i64 {
            let t = 1_700_000_000 + i * 86_123;
            let ms = if i % 10 == 3 {
                String::new()
            } else {
                (t * 1000 + i).to_string()
            };
            csv.push_str(&format!(
                "{ms},{},{t}.25,{t},{},{},{},{},{},{}\n",
                t * 1000,
                2_125_550_000 + i * 7,
                i % 40,
                if i == 9 { 12 } else { t },
                // GA's YYYYMMDDHH, in the seconds' range (2034); ids of ten digits; durations
                // of 11 to 47 days in milliseconds.
                2_025_032_200 + i % 24,
                1_000_000_000 + i * 9_999_991,
                950_400_000 + i * 10_000_000,
            ));
        }
        let (_dir, table) = table_of(&csv);
        let kinds: Vec<(String, TransformKind, String)> = inferred(&table)
            .into_iter()
            .map(|(n, c, why)| (n, c.transform, why))
            .collect();
        for (name, kind, why) in &kinds[..4] {
            assert_eq!(*kind, TransformKind::Timestamp, "{name}: {why}");
        }
        assert!(
            kinds[0].2.starts_with(
                "timestamps: Unix milliseconds (2023-11-14 to 2024-09-07): days since, month, \
                 weekday; 30 missing (10.0%)"
            ),
            "{}",
            kinds[0].2
        );
        assert!(kinds[2].2.contains("Unix seconds"), "{}", kinds[2].2);
        for (name, kind, why) in &kinds[4..] {
            assert_ne!(*kind, TransformKind::Timestamp, "{name}: {why}");
        }
        assert!(named_like_a_time("sentAt") && named_like_a_time("hs_lastmodifieddate"));
        assert!(
            named_like_a_duration("Time Spent on Website") && named_like_a_duration("duration_ms")
        );
        assert!(
            !named_like_a_duration("created_at") && !named_like_a_duration("Last Activity Date")
        );
        assert!(named_like_a_time("lastSeen") && named_like_a_time("Last Contacted"));
        assert!(!named_like_a_time("phone") && !named_like_a_time("Lead Number"));
    }

    /// `1.380 €` beside `950 €` in a comma-separated file: read as 1.38, with a warning that
    /// names the column and the spec setting; two decimals anywhere, no warning.
    #[test]
    fn three_digits_after_every_dot_are_warned_about() {
        let mut csv = String::from("amount,price\n");
        for i in 0..40u32 {
            let _ = writeln!(
                csv,
                "\"{}.{:03} €\",\"{}.{:02} €\"",
                1 + i % 9,
                (i * 37) % 1000,
                1 + i,
                i % 100
            );
            let _ = writeln!(csv, "\"{} €\",\"{} €\"", 100 + i * 20, 100 + i * 20);
        }
        let (_dir, table) = table_of(&csv);
        let missing = leadscore_core::value::default_missing_tokens();
        let check = |name: &str| thousands_dots(&table, name, &missing, &mut None).unwrap();
        let w = check("amount").unwrap();
        assert!(
            w.contains("column `amount`") && w.contains("decimal_comma = true"),
            "{w}"
        );
        assert!(w.contains("\"1.000 €\" is 1"), "{w}");
        assert_eq!(check("price"), None);
    }

    /// `pdays` of 999 for "never contacted" beside days of 0 to 27 is named; a 999 that is
    /// one value among many of its size, or rare, is not.
    #[test]
    fn a_code_of_nines_for_none_is_named() {
        let mut values: Vec<Option<f64>> = (0..900)
            .map(|i| Some(999.0 - f64::from(i % 2) * 999.0 + f64::from(i % 28) * f64::from(i % 2)))
            .collect();
        values.extend((0..100).map(|i| Some(f64::from(i % 28))));
        values.push(None);
        let w = code_for_none("pdays", &values).unwrap();
        assert!(
            w.starts_with("column `pdays`: 450 of its 1000 values (45.0%) are 999"),
            "{w}"
        );
        assert!(w.contains("missing_tokens"), "{w}");
        // Rare, or beside values of its size, or not nines: nothing to say.
        let rare: Vec<Option<f64>> = (0..1000)
            .map(|i| Some(if i < 10 { 999.0 } else { f64::from(i % 28) }))
            .collect();
        assert_eq!(code_for_none("pdays", &rare), None);
        let sized: Vec<Option<f64>> = (0..1000)
            .map(|i| Some(if i < 500 { 999.0 } else { f64::from(i) }))
            .collect();
        assert_eq!(code_for_none("x", &sized), None);
        let other: Vec<Option<f64>> = (0..1000)
            .map(|i| Some(if i < 500 { 1000.0 } else { f64::from(i % 28) }))
            .collect();
        assert_eq!(code_for_none("x", &other), None);
    }

    /// `1.380` without a currency is typed as a float (1.38) by the reader: checked as written,
    /// so the warning still comes; `1.38` written so, or a fourth decimal, gives none.
    #[test]
    fn three_digits_after_every_dot_are_warned_about_in_float_columns() {
        let mut csv = String::from("amount,price,rate,ratio,ctr\n");
        for i in 0..40u32 {
            let _ = writeln!(
                csv,
                "{}.{:03},{}.{:02},{}.{:04},{},0.{:03}",
                1 + i % 9,
                (i * 37) % 1000,
                1 + i,
                i % 100,
                1 + i % 3,
                (i * 371) % 10000,
                i,
                (i * 37) % 1000
            );
            let _ = writeln!(
                csv,
                "{},{},{},{},0.{:03}",
                100 + i * 20,
                100 + i * 20,
                2,
                i,
                i * 7
            );
        }
        let (_dir, table) = table_of(&csv);
        assert_eq!(
            table.df.column("amount").unwrap().dtype(),
            &DataType::Float64
        );
        let missing = leadscore_core::value::default_missing_tokens();
        let mut as_written = None;
        let mut check = |name: &str| thousands_dots(&table, name, &missing, &mut as_written);
        let w = check("amount").unwrap().unwrap();
        assert!(
            w.contains("column `amount`") && w.contains("as thousands are written"),
            "{w}"
        );
        assert_eq!(check("price").unwrap(), None);
        assert_eq!(check("rate").unwrap(), None);
        assert_eq!(check("ratio").unwrap(), None);
        // `0.125` is no thousands group: no advice to read it as one (it would be no number).
        assert_eq!(check("ctr").unwrap(), None);
        // One read of the file served every column that needed it.
        assert!(matches!(as_written, Some(Some(_))));
    }

    /// A spreadsheet's serial dates (a date cell saved as a number) in a column named for a
    /// time are dates; the same numbers under a duration's name stay numbers.
    #[test]
    fn spreadsheet_serial_dates_in_a_time_column_are_timestamps() {
        let mut csv = String::from("Created Date,Time Spent on Website\n");
        for i in 0..300u32 {
            let day = 45_658.0 + f64::from(i) * 1.2 + f64::from(i % 7) / 24.0;
            let _ = writeln!(csv, "{day:.5},{}", 40_000 + (i % 60) * 97);
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        assert_eq!(
            cols[0].1.transform,
            TransformKind::Timestamp,
            "{}",
            cols[0].2
        );
        assert!(
            cols[0].2.starts_with(
                "timestamps: spreadsheet serial dates, days since 1899-12-30 (2025-01-01 to \
                 2025-12-"
            ),
            "{}",
            cols[0].2
        );
        assert_eq!(cols[1].1.transform, TransformKind::Numeric, "{}", cols[1].2);
    }

    /// Whole numbers named for what they identify (an owner's id, a postal code), repeated over
    /// the rows, are levels, not quantities; a count named `Number of ...` stays a number.
    #[test]
    fn ids_and_codes_that_repeat_are_categorical() {
        let mut csv = String::from("HubSpot Owner ID,NAICS code,ownerId,Number of employees,y\n");
        for i in 0..600u64 {
            let _ = writeln!(
                csv,
                "{},{},{},{},{}",
                70_011_234 + (i % 10) * 1_000_003,
                [541_511, 522_110, 611_310][(i % 3) as usize],
                i % 7 + 1,
                i * 13 % 97,
                i % 2
            );
        }
        let (_dir, table) = table_of(&csv);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        let kinds: Vec<TransformKind> = inferred.spec.columns.iter().map(|c| c.transform).collect();
        assert_eq!(
            kinds[..4],
            [
                TransformKind::Categorical,
                TransformKind::Categorical,
                TransformKind::Categorical,
                TransformKind::Numeric
            ],
            "{:?}",
            inferred.reasons
        );
        assert!(
            inferred.reasons[0].contains("an id or a code"),
            "{}",
            inferred.reasons[0]
        );
    }

    #[test]
    fn numbers_stay_numeric_even_when_only_0_and_1() {
        let mut csv = String::from("q1,q2,flag,word,mixed\n");
        let spellings = ["Yes", "yes", "YES", "No", "no", " Yes", "Y"];
        for i in 0..300 {
            let _ = writeln!(
                csv,
                "{},{},{},{},{}",
                u8::from(i % 7 == 0),
                i % 10,
                if i % 3 == 0 { "" } else { "1" },
                if i % 2 == 0 { "Yes" } else { "no" },
                spellings[i % spellings.len()],
            );
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        let (_, q1, why) = &cols[0];
        assert_eq!(q1.transform, TransformKind::Numeric, "{why}");
        assert_eq!(
            q1.log1p,
            Some(false),
            "a 0/1 column is not log-scaled: {why}"
        );
        assert_eq!(q1.bins, Some(Bins::Fixed(0)));
        assert!(
            why.contains("only 0 and 1") && why.contains("kept numeric"),
            "{why}"
        );
        assert_eq!(cols[1].1.transform, TransformKind::Numeric);
        assert!(!cols[1].2.contains("only 0 and 1"));
        // 1 or missing: still a number.
        assert_eq!(cols[2].1.transform, TransformKind::Numeric, "{}", cols[2].2);
        // Yes/no words are booleans.
        assert_eq!(cols[3].1.transform, TransformKind::Boolean, "{}", cols[3].2);
        assert!(cols[3].2.starts_with("yes/no values: boolean"));
        // Yes/no words in any case and spelling: one boolean, not a level per spelling.
        assert_eq!(cols[4].1.transform, TransformKind::Boolean, "{}", cols[4].2);
        assert!(
            cols[4].2.contains("spellings, read alike): boolean"),
            "{}",
            cols[4].2
        );
    }

    /// A column named like titles is read as titles only when its values are (a fifth with a
    /// seniority keyword); a `Job Function` of departments keeps its levels.
    #[test]
    fn only_titles_get_the_seniority_class() {
        let titles = [
            "CEO",
            "VP Sales",
            "Marketing Manager",
            "Director of IT",
            "Engineer",
            "Analyst",
            "Student",
            "Head of Growth",
            "Founder",
            "Consultant",
            "Designer",
            "Sales Manager",
        ];
        let functions = [
            "Marketing",
            "HR",
            "Finance",
            "IT",
            "Sales",
            "Operations",
            "Legal",
            "Support",
            "Engineering",
            "Design",
            "Procurement",
            "Research",
        ];
        let mut csv = String::from("Job Title,Job Function\n");
        for i in 0..240 {
            let _ = writeln!(csv, "{},{}", titles[i % 12], functions[(i * 7) % 12]);
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        assert_eq!(
            cols[0].1.transform,
            TransformKind::JobTitle,
            "{}",
            cols[0].2
        );
        assert_eq!(
            cols[1].1.transform,
            TransformKind::Categorical,
            "{}",
            cols[1].2
        );
    }

    /// Placeholders among dates (`Never`, `-`, a zero date, one stray in another form) are
    /// missing values and the column stays dates (one such cell failed training on the spec;
    /// one in ten made the column categorical); ISO and month-first dates mixed in one column
    /// are dates too.
    #[test]
    fn placeholders_among_dates_are_missing_values() {
        let mut csv = String::from("last_form,mixed,notes\n");
        for i in 0..400u32 {
            let day = 1 + i % 28;
            let month = 1 + i % 12;
            let last_form = match i % 25 {
                0 => "Never".to_string(),
                1 | 2 => "-".to_string(),
                3 => "0000-00-00 00:00:00".to_string(),
                _ if i == 7 => "Q1 2024".to_string(),
                // The month by its name is a date, not a stray.
                _ if i == 8 => "\"Mar 15, 2024 10:00 AM\"".to_string(),
                _ => format!("2024-{month:02}-{day:02} 10:00:00"),
            };
            let mixed = if i % 2 == 0 {
                format!("2024-{month:02}-{day:02} 10:00")
            } else {
                format!("{month}/{day}/2024 07:33 PM")
            };
            let _ = writeln!(csv, "{last_form},{mixed},note {}", i % 3);
        }
        let (_dir, table) = table_of(&csv);
        let s = infer_spec(&table, &InferOptions::default()).unwrap();
        let kinds: Vec<TransformKind> = s.spec.columns.iter().map(|c| c.transform).collect();
        assert_eq!(kinds[0], TransformKind::Timestamp, "{:?}", s.reasons);
        assert_eq!(kinds[1], TransformKind::Timestamp, "{:?}", s.reasons);
        assert_eq!(s.spec.date_order, DateOrder::Mdy);
        assert!(!s.spec.missing_tokens.iter().any(|t| t.starts_with("Mar")));
        for token in ["Never", "-", "Q1 2024"] {
            assert!(
                s.spec.missing_tokens.iter().any(|t| t == token),
                "{token}: {:?}",
                s.spec.missing_tokens
            );
        }
        // MySQL's zero date is missing in a time column without a token.
        assert!(!s.spec.missing_tokens.iter().any(|t| t.starts_with("0000")));
        assert!(
            s.warnings
                .iter()
                .any(|w| w.starts_with("column `last_form` holds dates and")),
            "{:?}",
            s.warnings
        );
    }

    /// A column of dates with values in another form that are not placeholders (`2023-09`
    /// partial dates, too many kinds; US dates among ISO ones) stays a timestamp, which its
    /// training refuses naming the row, and `init` says so first, with the way to keep them.
    #[test]
    fn dates_with_values_in_another_form_are_said_with_the_way_to_keep_them() {
        let mut csv = String::from("close_date,signed,plan\n");
        for i in 0..400u32 {
            let month = 1 + i % 12;
            let day = 1 + i % 28;
            let close = if i % 12 == 0 {
                format!("2023-{month:02}")
            } else {
                format!("2024-{month:02}-{day:02}")
            };
            let signed = if i % 20 == 0 {
                format!("{month:02}/{:02}/2024", 13 + i % 15)
            } else {
                format!("2024-{month:02}-{day:02}")
            };
            let _ = writeln!(csv, "{close},{signed},p{}", i % 3);
        }
        let (_dir, table) = table_of(&csv);
        let s = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(s.spec.columns[0].transform, TransformKind::Timestamp);
        assert_eq!(s.spec.columns[1].transform, TransformKind::Timestamp);
        let warning = |column: &str| {
            s.warnings
                .iter()
                .find(|w| w.starts_with(&format!("column `{column}` holds dates, and in ")))
                .unwrap_or_else(|| panic!("{:?}", s.warnings))
                .clone()
        };
        assert_eq!(
            warning("close_date"),
            "column `close_date` holds dates, and in 34 of its rows (8.5%) in another form, \
             such as \"2023-01\", which training refuses: write them as dates, or list them in \
             missing_tokens (for every column)"
        );
        let w = warning("signed");
        assert!(
            w.contains("in 20 of its rows (5.0%) in another form, such as \"01/13/2024\"")
                && w.ends_with(
                    "set date_order = \"mdy\" in the spec (they are dates, month first)"
                ),
            "{w}"
        );
        assert!(
            s.reasons[0].contains("which training refuses"),
            "{}",
            s.reasons[0]
        );
    }

    /// Distinct integers are ids when shaped or named like ids, not when they spread over
    /// orders of magnitude as amounts do (whole-dollar revenues were left out as identifiers).
    #[test]
    fn distinct_whole_amounts_stay_numeric_and_ids_do_not() {
        let mut csv = String::from("Record ID,Annual Revenue,seq,Customer No\n");
        let mut rng = leadscore_core::rng::SeededRng::new(11);
        for i in 0..400u64 {
            // Revenue: log-normal around 3 million (sum of uniforms for a normal).
            let z: f64 = (0..12)
                .map(|_| rng.below(10_000) as f64 / 10_000.0)
                .sum::<f64>()
                - 6.0;
            let revenue = (15.0 + 1.5 * z).exp().round() as u64 * 1000 + i;
            let _ = writeln!(
                csv,
                "{},{revenue},{},{}",
                1_000_000 + i * 37,
                5 + 3 * i,
                7 * i * i + 1
            );
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        let kind = |k: usize| (cols[k].1.transform, cols[k].2.clone());
        assert_eq!(kind(0).0, TransformKind::Ignore, "{}", kind(0).1);
        assert_eq!(kind(1).0, TransformKind::Numeric, "{}", kind(1).1);
        assert_eq!(
            kind(2).0,
            TransformKind::Ignore,
            "sequential: {}",
            kind(2).1
        );
        assert_eq!(kind(3).0, TransformKind::Ignore, "named so: {}", kind(3).1);
        assert!(named_like_an_id("lead_id") && named_like_an_id("Lead Number"));
        assert!(named_like_an_id("leadId") && named_like_an_id("Customer No."));
        for not_id in ["Annual Revenue", "Paid", "Valid", "Paid Social", "Android"] {
            assert!(!named_like_an_id(not_id), "{not_id}");
        }
    }

    /// Four kinds of spreadsheet errors among numbers are placeholders all the same (three
    /// placeholders at most were let through; a fourth made the column free text).
    #[test]
    fn spreadsheet_errors_of_every_kind_are_missing_values() {
        let mut csv = String::from("budget\n");
        for i in 0..400u32 {
            let cell = match i % 40 {
                0 => "#VALUE!".to_string(),
                1 => "#REF!".to_string(),
                2 => "#DIV/0!".to_string(),
                3 => "#N/A".to_string(),
                _ => format!("{}", 1000 + i * 37),
            };
            let _ = writeln!(csv, "{cell}");
        }
        let (_dir, table) = table_of(&csv);
        let s = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(
            s.spec.columns[0].transform,
            TransformKind::Numeric,
            "{:?}",
            s.reasons
        );
        for token in ["#VALUE!", "#REF!", "#DIV/0!", "#N/A"] {
            assert!(s.spec.missing_tokens.iter().any(|t| t == token), "{token}");
        }
    }

    /// A column without a name in the header (a spreadsheet's stray column, a trailing comma)
    /// is left out with a warning naming its position: it trained a feature `""` whose factor
    /// read ` = a`.
    #[test]
    fn a_column_without_a_name_is_left_out_with_a_warning() {
        let mut csv = String::from("id,,visits,\n");
        for i in 0..100 {
            let _ = writeln!(csv, "L{i},{},{},{}", ["a", "b"][i % 2], i % 9, i % 4);
        }
        let (_dir, table) = table_of(&csv);
        let s = infer_spec(&table, &InferOptions::default()).unwrap();
        let blank = &s.spec.columns[1];
        assert_eq!(
            (blank.name.as_str(), blank.transform),
            ("", TransformKind::Ignore)
        );
        assert!(
            s.warnings
                .iter()
                .any(|w| w.starts_with("column 2 of the header: has no name")),
            "{:?}",
            s.warnings
        );
        assert_eq!(s.spec.columns[2].transform, TransformKind::Numeric);
        // The second blank name (read as `_duplicated_0`) too.
        assert_eq!(
            s.spec.columns[3].transform,
            TransformKind::Ignore,
            "{:?}",
            s.spec.columns[3]
        );
        assert!(
            s.warnings
                .iter()
                .any(|w| w.starts_with("column 4 of the header: has no name")),
            "{:?}",
            s.warnings
        );
    }

    /// Money, grouped thousands and percentages are numbers, money and percentages never
    /// identifiers however distinct (grouped integers alone still can be); a decimal comma, a
    /// range or a zero-padded code stays text.
    #[test]
    fn numbers_written_for_people_are_numeric() {
        let mut csv = String::from("revenue,employees,share,decimal_comma,band,zip\n");
        for i in 0..300u64 {
            let revenue = 1_000_003 + i * 7_919;
            let _ = writeln!(
                csv,
                "\"${},{:03},{:03}\",\"{},{:03}\",{}%,\"{},5\",{}-{},0{}",
                revenue / 1_000_000,
                (revenue / 1_000) % 1_000,
                revenue % 1_000,
                1 + i % 3,
                (i % 50) * 7,
                i % 101,
                i % 9,
                i % 5,
                i % 5 + 10,
                2100 + i % 40,
            );
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        for (_, c, why) in &cols[..3] {
            assert_eq!(c.transform, TransformKind::Numeric, "{}: {why}", c.name);
            assert!(
                why.contains("currency signs, thousands separators, magnitudes or %"),
                "{why}"
            );
        }
        for (_, c, why) in &cols[3..5] {
            assert_eq!(c.transform, TransformKind::Categorical, "{}: {why}", c.name);
        }
        // Zero-padded codes read as text by polars stay as they were inferred before.
        assert!(!cols[5].2.contains("currency signs"), "{}", cols[5].2);
    }

    /// Magnitudes, country dollars and Swiss apostrophes are numbers too, each value distinct
    /// (an amount, not an identifier), read as the numbers they show.
    #[test]
    fn magnitudes_country_dollars_and_apostrophes_are_numeric() {
        let mut csv = String::from("revenue,budget,employees\n");
        for i in 0..300u64 {
            let _ = writeln!(
                csv,
                "{}.{}K,\"US${},{:03}\",{}'{:03}",
                1 + i,
                i % 10,
                2 + i,
                i % 1000,
                1 + i / 7,
                (i * 37) % 1000
            );
        }
        let (_dir, table) = table_of(&csv);
        let cols = inferred(&table);
        for (_, c, why) in &cols {
            assert_eq!(c.transform, TransformKind::Numeric, "{}: {why}", c.name);
            assert!(why.contains("magnitudes"), "{why}");
        }
        let v = numeric_values(&table, "revenue", &[], false).unwrap();
        assert_eq!(v[0], Some(1_000.0));
        assert_eq!(v[11], Some(12_100.0));
        let v = numeric_values(&table, "employees", &[], false).unwrap();
        assert_eq!(v[1], Some(1_037.0));
    }

    #[test]
    fn a_label_and_its_negation() {
        let pos = leadscore_core::value::default_positive_values();
        let missing = leadscore_core::value::default_missing_tokens();
        let classes = |values: &[&str]| {
            let mut csv = String::from("x,y\n");
            for (i, v) in values.iter().cycle().take(20).enumerate() {
                let _ = writeln!(csv, "{i},{v}");
            }
            let (_dir, table) = table_of(&csv);
            negated_classes(&table, "y", &missing, &pos).unwrap()
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string(), Vec::new()));
        assert_eq!(
            classes(&["Not converted", "Converted"]),
            pair("Converted", "Not converted")
        );
        assert_eq!(
            classes(&["qualified", "Unqualified", ""]),
            pair("qualified", "Unqualified")
        );
        assert_eq!(
            classes(&["Closed Lost", "Closed Won"]),
            pair("Closed Won", "Closed Lost")
        );
        assert_eq!(classes(&["Won", "Lost"]), pair("Won", "Lost"));
        assert_eq!(classes(&["Active", "Inactive"]), pair("Active", "Inactive"));
        // Lead statuses: the pair, and the others (no outcome yet).
        let with = |a: &str, b: &str, others: &[&str]| {
            Some((
                a.to_string(),
                b.to_string(),
                others.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
            ))
        };
        assert_eq!(
            classes(&["Converted", "Not converted", "Open"]),
            with("Converted", "Not converted", &["Open"])
        );
        assert_eq!(
            classes(&[
                "Open - Not Contacted",
                "Working - Contacted",
                "Closed - Converted",
                "Closed - Not Converted"
            ]),
            with(
                "Closed - Converted",
                "Closed - Not Converted",
                &["Open - Not Contacted", "Working - Contacted"]
            )
        );
        assert_eq!(
            classes(&["Closed Won", "Open", "Closed Lost", "Nurture"]),
            with("Closed Won", "Closed Lost", &["Open", "Nurture"])
        );
        // Default positives, unrelated words, two pairs, one class: left to the label check.
        assert_eq!(classes(&["Yes", "Not yes"]), None);
        assert_eq!(classes(&["Gold", "Silver"]), None);
        assert_eq!(classes(&["Won", "Lost", "Active", "Inactive"]), None);
        assert_eq!(classes(&["Nurture", "Not nurtured"]), None);
        assert_eq!(classes(&["Converted"]), None);
    }

    #[test]
    fn placeholders_among_numbers_are_missing_values() {
        let mut csv = String::from("visits,time,band,code,grade,rating,errors,y\n");
        for i in 0..300u64 {
            let visits = if i % 7 == 0 {
                "-".to_string()
            } else {
                (i % 40).to_string()
            };
            let time = match i % 11 {
                0 => "?".to_string(),
                1 => "unknown".to_string(),
                _ => format!("{}", i * 13 % 97),
            };
            // A range, codes with few numbers, and three kinds of text: none is a placeholder.
            let band = ["1-10", "11-50", "51-200"][(i % 3) as usize];
            let code = if i % 5 == 0 {
                "x".to_string()
            } else {
                (i % 4).to_string()
            };
            let grade = ["a", "b", "c"][(i % 3) as usize].to_string();
            let grade = if i % 2 == 0 {
                (i % 50).to_string()
            } else {
                grade
            };
            // A real level among numbers (`High`) is not a placeholder; spreadsheet errors are.
            let rating = if i % 9 == 0 {
                "High".to_string()
            } else {
                (i % 30).to_string()
            };
            let errors = match i % 13 {
                0 => "#DIV/0!".to_string(),
                1 => "#N/A".to_string(),
                _ => (i % 60).to_string(),
            };
            let _ = writeln!(
                csv,
                "{visits},{time},{band},{code},{grade},{rating},{errors},{}",
                i % 2
            );
        }
        let (_dir, table) = table_of(&csv);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        let kinds: Vec<TransformKind> = inferred.spec.columns.iter().map(|c| c.transform).collect();
        assert_eq!(kinds[0], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_eq!(kinds[1], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_ne!(kinds[2], TransformKind::Numeric);
        assert_ne!(kinds[3], TransformKind::Numeric);
        assert_ne!(kinds[4], TransformKind::Numeric);
        assert_ne!(kinds[5], TransformKind::Numeric);
        assert_eq!(kinds[6], TransformKind::Numeric, "{:?}", inferred.reasons);
        let tokens = &inferred.spec.missing_tokens;
        for t in ["-", "?", "unknown", "#DIV/0!", "#N/A"] {
            assert!(tokens.iter().any(|m| m == t), "{t}: {tokens:?}");
        }
        assert!(
            !tokens.iter().any(|m| m == "x" || m == "a" || m == "High"),
            "{tokens:?}"
        );
        assert_eq!(inferred.warnings.len(), 3, "{:?}", inferred.warnings);
        assert!(
            inferred.warnings[1].contains("`time`") && inferred.warnings[1].contains("\"unknown\""),
            "{:?}",
            inferred.warnings
        );
        assert!(
            inferred.reasons[0].contains("placeholder"),
            "{}",
            inferred.reasons[0]
        );
    }

    /// A stray word in a column of numbers (once in 5,000 rows) is read as missing and the
    /// column stays numbers, with a warning naming it; the same word also written in another
    /// column is left alone (the missing tokens apply to every column), as is a word written
    /// in more than 1% of the rows (a level).
    #[test]
    fn a_rare_stray_word_among_numbers_is_missing_not_a_reason_to_drop_the_column() {
        let mut csv = String::from("amount,seats,notes,budget,ratio,size,visits,top,y\n");
        for i in 0..5_000u64 {
            // `abc` and `abc ` (the cell as written is the token); `see notes` here and in
            // `ratio`, both columns of numbers: both stay numbers.
            let amount = match i {
                1_234 => "abc".to_string(),
                1_235 => "abc ".to_string(),
                77 => "see notes".to_string(),
                _ => format!("{}.{}", i * 37 % 1_000, i % 10),
            };
            let ratio = if i == 99 {
                "see notes".to_string()
            } else {
                format!("0.{}", i % 97)
            };
            // A yes/no word is information, never a stray.
            let size = match i {
                5 => "true".to_string(),
                _ => (i * 11 % 900).to_string(),
            };
            // Strays with digits, in 2 cells of 5,000 (at most one in 1,000): missing.
            let visits = match i {
                6 => "5 visits".to_string(),
                8 => "100+".to_string(),
                _ => (i % 40).to_string(),
            };
            // A top-coded number in one row in 100: a level.
            let top = if i % 100 == 3 {
                "10000+".to_string()
            } else {
                (i * 3 % 777).to_string()
            };
            // `call me` here and in `notes`: left alone.
            let seats = if i == 7 {
                "call me".to_string()
            } else {
                (i * 13 % 500).to_string()
            };
            let notes = ["call me", "hot", "cold"][(i % 3) as usize];
            // 60 rows of 5,000 (1.2%): a level, not a stray.
            let budget = if i % 83 == 0 {
                "unlimited".to_string()
            } else {
                (i * 7 % 300).to_string()
            };
            let _ = writeln!(
                csv,
                "{amount},{seats},{notes},{budget},{ratio},{size},{visits},{top},{}",
                i % 2
            );
        }
        let (_dir, table) = table_of(&csv);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        let kinds: Vec<TransformKind> = inferred.spec.columns.iter().map(|c| c.transform).collect();
        assert_eq!(kinds[0], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_ne!(kinds[1], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_ne!(kinds[3], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_eq!(kinds[4], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_ne!(kinds[5], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_eq!(kinds[6], TransformKind::Numeric, "{:?}", inferred.reasons);
        assert_ne!(kinds[7], TransformKind::Numeric, "{:?}", inferred.reasons);
        let tokens = &inferred.spec.missing_tokens;
        for t in ["abc", "abc ", "see notes", "5 visits", "100+"] {
            assert!(tokens.iter().any(|m| m == t), "{t:?}: {tokens:?}");
        }
        assert!(
            !tokens.iter().any(|m| m == "true" || m == "10000+"),
            "{tokens:?}"
        );
        assert!(
            !tokens.iter().any(|m| m == "call me" || m == "unlimited"),
            "{tokens:?}"
        );
        assert!(
            inferred
                .warnings
                .iter()
                .any(|w| w.contains("`amount`") && w.contains("\"abc \" (1 rows)")),
            "{:?}",
            inferred.warnings
        );
    }

    /// `;`-separated columns written the European way, and with `rate` a decimal-point column.
    fn european_numbers(rate: bool) -> String {
        let mut csv = String::from(if rate {
            "balance;income;code;rate;y\n"
        } else {
            "balance;income;code;y\n"
        });
        for i in 0..300u64 {
            let _ = write!(
                csv,
                "{},{:03};{}.{:03},{};{},5;",
                700 + i * 3,
                i % 1000,
                10 + i % 40,
                i * 7 % 1000,
                i % 10,
                i % 9,
            );
            if rate {
                let _ = write!(csv, "0.{:02};", i % 100);
            }
            let _ = writeln!(csv, "{}", i % 2);
        }
        csv
    }

    #[test]
    fn a_file_with_decimal_commas_is_read_that_way() {
        let (_dir, table) = table_of(&european_numbers(false));
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert!(inferred.spec.decimal_comma, "{:?}", inferred.reasons);
        for c in &inferred.spec.columns[..3] {
            assert_eq!(
                c.transform,
                TransformKind::Numeric,
                "{:?}",
                inferred.reasons
            );
        }
        assert!(
            inferred.reasons[1].contains("decimal comma"),
            "{}",
            inferred.reasons[1]
        );
        // One warning, for the file, naming the first column that reads only that way and its
        // first value that cannot be thousands (`700,000` to `997,099` can).
        assert_eq!(inferred.warnings.len(), 1, "{:?}", inferred.warnings);
        assert!(
            inferred.warnings[0].contains("`balance`: `1000,100`")
                && inferred.warnings[0].contains("decimal_comma = true"),
            "{:?}",
            inferred.warnings
        );
        // The numbers as the file means them.
        let income = crate::featurize::numeric_values(&table, "income", &[], true).unwrap();
        assert_eq!(income[1], Some(11_007.1));
        let balance = crate::featurize::numeric_values(&table, "balance", &[], true).unwrap();
        assert_eq!(balance[1], Some(703.001));
        let text = render_toml(&inferred);
        assert!(text.contains("\ndecimal_comma = true\n"), "{text}");
        let back = FeatureSpec::from_toml(&text, "t.toml").unwrap();
        assert!(back.decimal_comma);
    }

    /// The written spec reads back as the inferred one, every column's settings included (a
    /// behaviour column's `part = "engagement"` was not written, so a model trained on the
    /// written spec counted it as fit).
    #[test]
    fn the_written_spec_reads_back_as_inferred() {
        let mut csv = String::from("id,Total Time Spent on Website,page_views,industry,y\n");
        for i in 0..300 {
            let _ = writeln!(
                csv,
                "L{i},{},{},{},{}",
                (i * 37) % 1500,
                i % 13,
                ["Retail", "Banking", "Media"][i % 3],
                i % 2
            );
        }
        let (_dir, table) = table_of(&csv);
        let options = InferOptions {
            label: Some("y".into()),
            id: Some("id".into()),
            ..InferOptions::default()
        };
        let inferred = infer_spec(&table, &options).unwrap();
        assert!(
            inferred
                .spec
                .columns
                .iter()
                .any(|c| c.part == Some(leadscore_core::explain::Part::Engagement)),
            "{:?}",
            inferred.spec.columns
        );
        let back = FeatureSpec::from_toml(&render_toml(&inferred), "t.toml").unwrap();
        assert_eq!(back.columns, inferred.spec.columns);
    }

    #[test]
    fn the_date_order_is_read_from_the_days_above_12() {
        let file = |rows: &[(&str, &str)]| {
            let mut csv = String::from("signup,last_seen,visits\n");
            for (i, (a, b)) in rows.iter().cycle().take(60).enumerate() {
                let _ = writeln!(csv, "{a},{b},{}", i % 9);
            }
            table_of(&csv)
        };
        // A US export: `last_seen` has a day above 12; `signup` decides nothing alone.
        let (_dir, table) = file(&[
            ("1/2/2024", "12/31/2023 10:00 AM"),
            ("3/4/2024", "1/13/2024 2:05 PM"),
        ]);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(inferred.spec.date_order, DateOrder::Mdy);
        assert_eq!(inferred.warnings.len(), 1, "{:?}", inferred.warnings);
        assert!(
            inferred.warnings[0]
                .contains("month first (column `last_seen`, \"12/31/2023 10:00 AM\")"),
            "{:?}",
            inferred.warnings
        );
        for c in &inferred.spec.columns[..2] {
            assert_eq!(c.transform, TransformKind::Timestamp, "{}", c.name);
        }
        let text = render_toml(&inferred);
        assert!(text.contains("\ndate_order = \"mdy\"\n"), "{text}");
        assert_eq!(
            FeatureSpec::from_toml(&text, "t.toml").unwrap().date_order,
            DateOrder::Mdy
        );
        // A European one.
        let (_dir, table) = file(&[("1/2/2024", "31.12.2023 10:00"), ("3/4/2024", "13.01.2024")]);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(inferred.spec.date_order, DateOrder::Dmy);
        assert!(inferred.warnings[0].contains("day first (column `last_seen`"));
        // No day above 12 anywhere: month first, saying so.
        let (_dir, table) = file(&[("1/2/2024", "5/6/2023"), ("3/4/2024", "7/8/2024")]);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(inferred.spec.date_order, DateOrder::Mdy);
        assert!(
            inferred.warnings[0].contains("no day above 12")
                && inferred.warnings[0].contains("date_order = \"dmy\""),
            "{:?}",
            inferred.warnings
        );
        // Columns that disagree: neither order, both columns left as text, a warning naming both.
        let (_dir, table) = file(&[("12/31/2023", "31/12/2023"), ("1/2/2024", "2/1/2024")]);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(inferred.spec.date_order, DateOrder::Iso);
        assert!(
            inferred.warnings[0].contains("dates disagree")
                && inferred.warnings[0].contains("`signup`")
                && inferred.warnings[0].contains("`last_seen`"),
            "{:?}",
            inferred.warnings
        );
        assert!(!render_toml(&inferred).contains("date_order"));
        for c in &inferred.spec.columns[..2] {
            assert_ne!(c.transform, TransformKind::Timestamp, "{}", c.name);
        }
        // ISO dates need no order.
        let (_dir, table) = file(&[("2024-01-02", "2023-12-31 10:00:00")]);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert_eq!(inferred.spec.date_order, DateOrder::Iso);
        assert!(inferred.warnings.is_empty(), "{:?}", inferred.warnings);
    }

    #[test]
    fn families_of_columns_get_a_sum() {
        let numeric = |name: &str, log1p: bool| {
            let mut c = ColumnSpec::new(name, TransformKind::Numeric);
            c.log1p = Some(log1p);
            c
        };
        let mut columns = vec![
            numeric("total_day_charge", true),
            numeric("total_eve_charge", true),
            numeric("total_night_charge", true),
            numeric("total_day_minutes", false),
            numeric("total_eve_minutes", false),
            numeric("total_night_minutes", false),
            // The last word differs: units, not periods (no family).
            numeric("visits_web", false),
            numeric("visits_app", false),
            numeric("visits_store", false),
            // Two are not a family; text is not added up.
            numeric("Email Opened Count", false),
            numeric("Email Clicked Count", false),
            ColumnSpec::new("Email Bounced Count", TransformKind::Categorical),
        ];
        columns[0].part = Some(leadscore_core::explain::Part::Engagement);
        let sums = column_families(&columns, &["total_minutes".to_string()]);
        let got: Vec<(&str, Vec<&str>)> = sums
            .iter()
            .map(|(c, _)| {
                (
                    c.name.as_str(),
                    c.sum_of.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "total_charge",
                    vec!["total_day_charge", "total_eve_charge", "total_night_charge"]
                ),
                (
                    // The file has a `total_minutes`.
                    "total_minutes (sum)",
                    vec![
                        "total_day_minutes",
                        "total_eve_minutes",
                        "total_night_minutes"
                    ]
                ),
            ]
        );
        let (charge, why) = &sums[0];
        assert_eq!(charge.log1p, Some(true), "log1p when every part has it");
        assert_eq!(charge.part, None, "parts of both kinds: fit");
        assert_eq!(charge.bins, Some(Bins::Auto));
        assert!(why.contains("`total_eve_charge`"), "{why}");
        assert_eq!(sums[1].0.log1p, None);
        // The spec written with them reads back, and validates.
        let base = "format_version = 1\n[[columns]]\nname = \"x\"\ntransform = \"numeric\"\n";
        let mut spec = FeatureSpec::from_toml(base, "s.toml").unwrap();
        spec.columns = columns.clone();
        spec.columns.extend(sums.iter().map(|(c, _)| c.clone()));
        let text = toml::to_string(&spec).unwrap();
        let back = FeatureSpec::from_toml(&text, "s.toml").unwrap();
        assert_eq!(back.columns[12].sum_of.len(), 3);
        // Many families: the largest eight.
        let many: Vec<ColumnSpec> = (0..10)
            .flat_map(|f| (0..3 + f).map(move |m| numeric(&format!("f{f}_m{m}_n"), false)))
            .collect();
        let sums = column_families(&many, &[]);
        assert_eq!(sums.len(), MAX_FAMILY_SUMS);
        assert_eq!(sums[0].0.sum_of.len(), 12);
    }

    #[test]
    fn a_comma_separated_file_is_never_read_with_decimal_commas() {
        // Quoted `1,3` in a comma-separated file: a list of answers more likely than 1.3.
        let (mut commas, mut semicolons) = (
            String::from("answers,visits,y\n"),
            String::from("answers;visits;y\n"),
        );
        for i in 0..300u64 {
            let (a, b, v, y) = (i % 4, i % 7 + 1, i % 40, i % 2);
            let _ = writeln!(commas, "\"{a},{b}\",{v},{y}");
            let _ = writeln!(semicolons, "{a},{b};{v};{y}");
        }
        let (_dir, table) = table_of(&commas);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert!(!inferred.spec.decimal_comma, "{:?}", inferred.warnings);
        assert_eq!(
            inferred.spec.columns[0].transform,
            TransformKind::Categorical
        );
        // The same values in a `;`-separated file are numbers with a decimal comma.
        let (_dir, table) = table_of(&semicolons);
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert!(inferred.spec.decimal_comma, "{:?}", inferred.reasons);
        assert_eq!(inferred.spec.columns[0].transform, TransformKind::Numeric);
    }

    #[test]
    fn a_decimal_point_elsewhere_keeps_the_usual_reading() {
        // `rate` is written with a decimal point: no one reading serves the whole file, so the
        // many-valued decimal-comma columns are left out with a warning, as before.
        let (_dir, table) = table_of(&european_numbers(true));
        let inferred = infer_spec(&table, &InferOptions::default()).unwrap();
        assert!(!inferred.spec.decimal_comma);
        let ignored: Vec<&str> = inferred
            .spec
            .columns
            .iter()
            .filter(|c| c.transform == TransformKind::Ignore)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(ignored, ["balance", "income"], "{:?}", inferred.reasons);
        assert_eq!(inferred.warnings.len(), 2, "{:?}", inferred.warnings);
        assert!(
            inferred.warnings[0].contains("`balance`")
                && inferred.warnings[0].contains("decimal comma"),
            "{:?}",
            inferred.warnings
        );
        // A short code with a decimal comma stays a categorical column, as before.
        assert_eq!(
            inferred.spec.columns[2].transform,
            TransformKind::Categorical
        );
        assert_eq!(inferred.spec.columns[3].transform, TransformKind::Numeric);
        assert!(!decimal_comma_number("1,") && !decimal_comma_number(",5"));
        assert!(decimal_comma_number("-1.234,5") && decimal_comma_number(" 729,526 "));
        assert!(!decimal_comma_number("12.5") && !decimal_comma_number("a,b"));
        assert!(decimal_comma_number("130.245,24 €") && decimal_comma_number("45,5 %"));
        assert!(!decimal_comma_number("$1,200.50") && !decimal_comma_number("$0,139.5"));
    }

    #[test]
    fn text_0_and_1_is_a_code_and_a_boolean_dtype_is_boolean() {
        let n = 200;
        let df = DataFrame::new(
            n,
            vec![
                Column::new(
                    "as_text".into(),
                    (0..n).map(|i| (i % 2).to_string()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "real_bool".into(),
                    (0..n).map(|i| i % 3 == 0).collect::<Vec<_>>(),
                ),
            ],
        )
        .unwrap();
        let table = Table {
            df,
            path: "t.parquet".into(),
            fingerprint: leadscore_core::artifact::InputFingerprint {
                path: "t.parquet".into(),
                sha256: String::new(),
                bytes: 0,
                rows: n as u64,
            },
            note: None,
            delimiter: None,
            list_columns: Vec::new(),
            sums: Vec::new(),
        };
        let cols = inferred(&table);
        assert_eq!(
            cols[0].1.transform,
            TransformKind::Categorical,
            "{}",
            cols[0].2
        );
        assert_eq!(cols[1].1.transform, TransformKind::Boolean, "{}", cols[1].2);
    }
}
