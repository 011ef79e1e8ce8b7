//! Field values of one lead and the parsers every featurizer shares.
//!
//! Both featurizers (polars in `leadscore-train`, per lead here) call these functions for the
//! value-level decisions (is this a boolean, which class is this email domain, how senior is
//! this job title, what instant is this timestamp), so the two cannot drift apart.

use crate::civil;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, HashMap};

/// One input field of a lead, as the caller gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// Absent, null, or one of the spec's missing tokens.
    Missing,
    /// A string (CSV cell, JSON string).
    Text(&'a str),
    /// A number (JSON number).
    Number(f64),
    /// A boolean (JSON true/false).
    Bool(bool),
}

/// A lead as field name -> value; implemented for the usual maps and by the server's typed lead.
pub trait LeadFields {
    /// The value of `column`, or [`FieldValue::Missing`] when the lead does not have it.
    fn field(&self, column: &str) -> FieldValue<'_>;
}

impl LeadFields for HashMap<String, String> {
    fn field(&self, column: &str) -> FieldValue<'_> {
        self.get(column)
            .map_or(FieldValue::Missing, |s| FieldValue::Text(s))
    }
}

impl LeadFields for BTreeMap<String, String> {
    fn field(&self, column: &str) -> FieldValue<'_> {
        self.get(column)
            .map_or(FieldValue::Missing, |s| FieldValue::Text(s))
    }
}

impl LeadFields for HashMap<String, FieldValueOwned> {
    fn field(&self, column: &str) -> FieldValue<'_> {
        self.get(column)
            .map_or(FieldValue::Missing, FieldValueOwned::as_value)
    }
}

impl LeadFields for serde_json::Map<String, serde_json::Value> {
    fn field(&self, column: &str) -> FieldValue<'_> {
        match self.get(column) {
            None | Some(serde_json::Value::Null) => FieldValue::Missing,
            Some(serde_json::Value::String(s)) => FieldValue::Text(s),
            Some(serde_json::Value::Bool(b)) => FieldValue::Bool(*b),
            Some(serde_json::Value::Number(n)) => {
                n.as_f64().map_or(FieldValue::Missing, FieldValue::Number)
            }
            // Arrays and objects are rejected by the caller's schema check; here they are absent.
            Some(_) => FieldValue::Missing,
        }
    }
}

/// An owned [`FieldValue`], for leads built in memory.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValueOwned {
    /// See [`FieldValue::Missing`].
    Missing,
    /// See [`FieldValue::Text`].
    Text(String),
    /// See [`FieldValue::Number`].
    Number(f64),
    /// See [`FieldValue::Bool`].
    Bool(bool),
}

impl FieldValueOwned {
    /// Borrows it as a [`FieldValue`].
    pub fn as_value(&self) -> FieldValue<'_> {
        match self {
            Self::Missing => FieldValue::Missing,
            Self::Text(s) => FieldValue::Text(s),
            Self::Number(x) => FieldValue::Number(*x),
            Self::Bool(b) => FieldValue::Bool(*b),
        }
    }
}

/// The default missing-value tokens: what CRM exports write for "not answered".
pub fn default_missing_tokens() -> Vec<String> {
    ["", "NA", "N/A", "null", "NULL", "None", "Select"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The default label values that mean "converted" (compared case-insensitively).
pub fn default_positive_values() -> Vec<String> {
    ["1", "true", "yes", "y"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Parses a number the way a CSV export writes it (surrounding spaces allowed): as Rust reads
/// it (`12`, `-3.5`, `1e5`), or formatted for people as spreadsheets and CRM reports export
/// it ([`parse_formatted_number`]: `$1,200.50`, `1,234`, `45%`).
pub fn parse_number(text: &str) -> Option<f64> {
    let t = trimmed(text);
    if let Some(n) = plain_integer(t) {
        return Some(n);
    }
    t.parse::<f64>().ok().or_else(|| parse_formatted_number(t))
}

/// A number of 1 to 15 ASCII digits (`1984`, `007`; no sign), as `parse::<f64>` reads it: such
/// an integer is below 2^53, so it is an `f64` exactly, and the parser, which rounds
/// correctly, returns that `f64`. The parser's general path costs ~130 instructions for the
/// counts and sizes most numeric cells hold.
#[inline]
fn plain_integer(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 15 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n as f64)
}

/// Currency signs a formatted number may start or end with: the dollars that name their
/// country (`US$`, `C$`, `A$`, `R$`, as multi-currency exports write them) before `$`, and
/// `Rs.` before `Rs`, `kr.` before `kr` (the longer is stripped first, so that `5 US$` is not
/// `5 U` and a dollar).
pub const CURRENCY_SIGNS: [&str; 19] = [
    "US$", "CA$", "AU$", "NZ$", "HK$", "MX$", "C$", "A$", "S$", "R$", "$", "€", "£", "¥", "₹",
    "Rs.", "Rs", "kr.", "kr",
];

/// Magnitude suffixes a formatted number may end with (`6.5K`, `$1.2M`, `$3MM`, `$2bn`), as
/// CRM fields for revenue and funding write amounts, and the power of ten each stands for
/// (longer first: `MM` before `M`). Read only beside a currency or after a fraction: a whole
/// number with one alone is as often a code or another unit (`12M` a contract's months, `5K`
/// a race, `2B` a unit), and stays text. A lowercase `m` or `b` is not one (minutes, metres),
/// nor `mn` (minutes in French).
const MAGNITUDES: [(&str, i32); 6] = [("MM", 6), ("bn", 9), ("K", 3), ("k", 3), ("M", 6), ("B", 9)];

/// ISO 4217 codes a formatted number may be written with (`USD 16,166.04`, `16166 EUR`), as
/// multi-currency CRM exports write amounts: the most traded currencies.
pub const CURRENCY_CODES: [&str; 27] = [
    "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR", "BRL", "MXN", "SEK", "NOK",
    "DKK", "PLN", "ZAR", "SGD", "HKD", "NZD", "CZK", "HUF", "ILS", "KRW", "TRY", "AED", "SAR",
    "RUB",
];

/// Whether `t` ends with one of the [`MAGNITUDES`] (`6.5K`, `$1.2M`): `init` takes a column of
/// such numbers for amounts, never identifiers.
pub fn ends_with_magnitude(t: &str) -> bool {
    MAGNITUDES.iter().any(|(m, _)| t.trim_end().ends_with(m))
}

/// `t` without a currency sign or code at its start (`true`) or end (`false`), and the space
/// between them.
fn strip_currency(t: &str, start: bool) -> Option<&str> {
    let signs = CURRENCY_SIGNS.iter().chain(CURRENCY_CODES.iter());
    let rest = if start {
        signs.clone().find_map(|c| t.strip_prefix(c))?.trim_start()
    } else {
        signs.clone().find_map(|c| t.strip_suffix(c))?.trim_end()
    };
    // A code must stand apart from a word (`USDA`), and leave digits.
    (!rest.is_empty()).then_some(rest)
}

/// A number formatted for people, read as the number it shows: an optional sign, then either a
/// currency sign or ISO code before or after the digits (`$1,200.50`, `-$40`, `€ 90`, `90 €`,
/// `USD 16,166.04`, `16166 EUR`) or a percent sign after them (`45%` is 45: the column's unit,
/// as a spreadsheet shows it), and thousands separators (`1,234,567`, or spaces: `1 234 567`)
/// in groups of exactly three digits, or apostrophes: `1'234'567`, as Swiss exports write
/// them); a magnitude after the digits (`6.5K` is 6500, `$1.2M`, `2bn`: [`MAGNITUDES`]); an
/// accountant's negative in parentheses (`(1,234.00)`,
/// `($40)`, `(250)`). `None` for anything else, and for a plain number, which [`parse_number`]
/// reads before trying this: no exponent, no `inf` or `nan` here. A comma in another place
/// (`12,5`, a decimal comma) is not read: the column stays text, as before.
pub fn parse_formatted_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        let inner = inner.trim();
        if inner.starts_with(['-', '+', '(']) {
            return None;
        }
        let plain = !inner.is_empty()
            && inner.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && inner.bytes().any(|b| b.is_ascii_digit());
        let x = if plain {
            inner.parse::<f64>().ok()?
        } else {
            parse_formatted_number(inner)?
        };
        return Some(-x);
    }
    // U+2212 MINUS SIGN, as typeset text and some spreadsheets write a negative (`−3` is -3
    // with no other mark).
    let minus_sign = t.starts_with('\u{2212}');
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ if minus_sign => (true, &t['\u{2212}'.len_utf8()..]),
        _ => (false, t),
    };
    let (mut currency, t) = match strip_currency(t, true) {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (negative, t) = match (negative, t.as_bytes().first()) {
        (false, Some(b'-')) if currency => (true, &t[1..]),
        _ => (negative, t),
    };
    let t = match strip_currency(t, false) {
        Some(rest) if !currency => {
            currency = true;
            rest
        }
        Some(_) => return None, // `$40 USD`: two currencies
        None => t,
    };
    // A magnitude right after the digits (`1.2M`, `$1.2M`, `1.2M USD`, `$12K`), never with a
    // percent, and only beside a currency or after a fraction ([`MAGNITUDES`]).
    let (magnitude, t) = match MAGNITUDES
        .iter()
        .find_map(|(m, p)| Some((*p, t.strip_suffix(m)?)))
    {
        Some((p, rest))
            if rest.ends_with(|c: char| c.is_ascii_digit()) && (currency || rest.contains('.')) =>
        {
            (Some(p), rest)
        }
        _ => (None, t),
    };
    let (percent, t) = match t.strip_suffix('%') {
        Some(rest) if !currency && magnitude.is_none() => (true, rest.trim_end()),
        _ => (false, t),
    };
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Thousands separated by commas, by spaces (a plain, no-break or narrow no-break one) or
    // by apostrophes (a straight or a typeset one).
    let others = [' ', '\u{a0}', '\u{202f}', '\'', '\u{2019}'];
    let separator = if int.contains(',') {
        Some(',')
    } else {
        others.iter().copied().find(|c| int.contains(*c))
    };
    if let Some(sep) = separator {
        let groups: Vec<&str> = int.split(sep).collect();
        let (first, rest) = groups.split_first()?;
        // A grouped number never starts with a zero (`0,139` is no 139: it is 0.139 written
        // with a decimal comma, or, in a decimal-comma file, `0.139` with a decimal point).
        if first.starts_with('0') {
            return None;
        }
        let thousands = first.len() <= 3 && rest.iter().all(|g| g.len() == 3);
        // The Indian grouping (`1,20,000`, `12,34,56,789`): the last group of three, the
        // others of two.
        let lakhs = sep == ','
            && rest.len() >= 2
            && first.len() <= 2
            && rest
                .split_last()
                .is_some_and(|(last, mid)| last.len() == 3 && mid.iter().all(|g| g.len() == 2));
        if !(groups.iter().all(|g| digits(g)) && (thousands || lakhs)) {
            return None;
        }
    } else if !(digits(int) || (int.is_empty() && frac.is_some())) {
        return None;
    }
    if frac.is_some_and(|f| !digits(f))
        || !(currency || percent || separator.is_some() || minus_sign || magnitude.is_some())
    {
        return None;
    }
    let mut plain: String = int.chars().filter(char::is_ascii_digit).collect();
    if let Some(f) = frac {
        plain.push('.');
        plain.push_str(f);
    }
    if let Some(p) = magnitude {
        // As an exponent, so that the parser rounds once: `1.2M` is 1200000 exactly, where
        // 1.2 * 1e6 would carry 1.2's rounding.
        plain = format!("{plain}e{p}");
    }
    let x = plain.parse::<f64>().ok()?;
    Some(if negative { -x } else { x })
}

/// A number as a file that writes a decimal comma has it (`12,5`, `-3,25`, `1.234,5`,
/// `€ 1.200,50`, `45,5%`): the comma is the decimal point and a dot separates thousands, in
/// groups of three; read as [`parse_number`] reads the same number written with the roles of
/// `.` and `,` exchanged. Text with neither (`12`, `1e5`, `$40`) reads as [`parse_number`]
/// reads it. `1.5` is not a number here (a dot is a thousands separator).
pub fn parse_decimal_comma_number(text: &str) -> Option<f64> {
    if !text.contains(['.', ',']) {
        return parse_number(text);
    }
    // A currency sign's own dot (`kr. 8.412,11`, `8.412,11 kr.`, `Rs.`) is no separator:
    // the sign without it, before the exchange.
    let t = text.trim();
    let undotted = ["kr.", "Rs."].iter().find_map(|sign| {
        let bare = &sign[..sign.len() - 1];
        t.strip_prefix(sign)
            .map(|rest| format!("{bare} {rest}"))
            .or_else(|| t.strip_suffix(sign).map(|rest| format!("{rest} {bare}")))
    });
    let text = undotted.as_deref().unwrap_or(text);
    let exchanged: String = text
        .chars()
        .map(|c| match c {
            '.' => ',',
            ',' => '.',
            c => c,
        })
        .collect();
    parse_number(&exchanged)
}

/// `text` on one line: a control character (a line break, a tab, `\u{1}`) shown escaped as
/// Rust writes it (`\n`, `\u{1}`), everything else as it is; borrowed when there is none. For
/// names and messages from files that go into a log line or a table row.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Words exports and spreadsheets write for "no value" (compared in any case), besides the text
/// made of punctuation only (`-`, `?`, `--`, `.`).
pub const NO_VALUE_WORDS: [&str; 26] = [
    "na",
    "n/a",
    "n.a.",
    "nan",
    "none",
    "null",
    "nil",
    "unknown",
    "missing",
    "not available",
    "not applicable",
    "blank",
    "empty",
    "tbd",
    "undefined",
    "not set",
    "(not set)",
    "(none)",
    "(blank)",
    "#n/a",
    "#na",
    "#value!",
    "#div/0!",
    "#ref!",
    "#num!",
    "#name?",
];

/// Whether `t` is a placeholder for no value: punctuation only (`-`, `?`, `--`, `—`), or one of
/// [`NO_VALUE_WORDS`] in any case, with the spaces around it ignored. A column of numbers
/// reads such text as missing in training, `evaluate`, `score` and the server alike
/// ([`crate::fitted::FittedSpec`]'s numeric transform): a later export that writes `n/a` or
/// `unknown` where training's file left the cell empty is not refused.
pub fn is_no_value(t: &str) -> bool {
    let t = t.trim();
    // Punctuation alone, the typographic dashes and ellipsis too (`—`, `–`, `−`, `…`, as
    // spreadsheets and reports write "none").
    let punctuation = |c: char| {
        c.is_ascii_punctuation() || matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2026}')
    };
    !t.is_empty()
        && (t.chars().all(punctuation) || NO_VALUE_WORDS.iter().any(|w| t.eq_ignore_ascii_case(w)))
}

/// Whether `t` is what an export writes in a date column for "no date": a placeholder for no
/// value ([`is_no_value`]), `Never`, or a zero date in another form than MySQL's (`00/00/0000`;
/// `0000-00-00 00:00:00` is missing in a time column already, [`is_zero_time_text`]), with
/// the spaces around it ignored. A date feature column reads such text as missing in training,
/// `evaluate`, `score` and the server alike (`crate::fitted::is_no_date`).
pub fn is_date_placeholder(t: &str) -> bool {
    let t = t.trim();
    let zero_date = t.bytes().any(|b| b == b'0')
        && t.bytes()
            .all(|b| b == b'0' || matches!(b, b'-' | b'/' | b'.' | b':' | b' ' | b'T'));
    is_no_value(t) || t.eq_ignore_ascii_case("never") || zero_date
}

/// A number in text as a spec reads it: [`parse_decimal_comma_number`] when its file writes
/// decimal commas ([`crate::spec::FeatureSpec::decimal_comma`]), else [`parse_number`].
pub fn parse_number_as(text: &str, decimal_comma: bool) -> Option<f64> {
    if decimal_comma {
        parse_decimal_comma_number(text)
    } else {
        parse_number(text)
    }
}

/// The f64 nearest the shortest decimal that reads back as `x` (Rust's `Display` for f32): a
/// Float32 value read as the decimal it was written as (0.1 stored as Float32 is 0.1, not the
/// 0.10000000149 a widening cast makes of it), by `leadscore-train` for a Parquet Float32 column
/// and by the Python package for a float32 column.
pub fn f32_as_written(x: f32) -> f64 {
    use std::io::Write;
    if !x.is_finite() {
        return f64::from(x);
    }
    // `Display` writes no exponent: the longest an f32 makes is the smallest subnormal's 47
    // characters (the largest finite value takes 39, a sign one more).
    let mut buf = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    if write!(cursor, "{x}").is_err() {
        return f64::from(x);
    }
    let n = usize::try_from(cursor.position()).unwrap_or(0);
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| f64::from(x))
}

/// The level a number stands for when a numeric column is treated as categorical
/// (`5.0` -> `"5"`, `2.5` -> `"2.5"`), identical in both featurizers.
pub fn number_to_level(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The level a whole number written as a float names (`3.0` -> `3`, `-12.00` -> `-12`), as
/// [`number_to_level`] writes it: pandas writes an integer column with a gap as floats, so a
/// CSV of codes that training read as the numbers 1 to 4 (levels `1` to `4`) reaches `score`,
/// the server or the Python package as the text `3.0`. `None` for any other text.
pub fn float_written_integer(text: &str) -> Option<&str> {
    let (int, fraction) = text.split_once('.')?;
    let digits = int.strip_prefix('-').unwrap_or(int);
    let whole = !fraction.is_empty()
        && fraction.bytes().all(|b| b == b'0')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit());
    match int {
        _ if !whole => None,
        "-0" => Some("0"),
        _ => Some(int),
    }
}

/// The options a multi_select text includes, in order: split at `separator`, each part
/// trimmed, empty parts skipped (a repeated option comes each time). The one splitting rule of
/// training, serving, gates and `init`.
pub fn options_in<'a>(text: &'a str, separator: &'a str) -> impl Iterator<Item = &'a str> {
    text.split(separator)
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Calls `f` with each option a multi_select value includes ([`options_in`]): the text split at `separator`,
/// each part trimmed, empty parts skipped (`"Pricing; ;Webinars;"` includes `Pricing` and
/// `Webinars`); a number or a boolean is one option, as a categorical level ([`number_to_level`],
/// `true`/`false`). Returns how many options it passed (a repeated option counts each time);
/// 0 means none is selected, which the transform scores as missing.
pub fn for_each_selection(
    value: FieldValue<'_>,
    separator: &str,
    mut f: impl FnMut(&str),
) -> usize {
    match value {
        FieldValue::Missing => 0,
        FieldValue::Text(s) => {
            let mut n = 0;
            for part in options_in(s, separator) {
                f(part);
                n += 1;
            }
            n
        }
        FieldValue::Number(x) => {
            f(&number_to_level(x));
            1
        }
        FieldValue::Bool(b) => {
            f(if b { "true" } else { "false" });
            1
        }
    }
}

/// The distinct options of a multi_select value ([`for_each_selection`]), in their order.
pub fn selections(value: FieldValue<'_>, separator: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for_each_selection(value, separator, |o| {
        if seen.insert(o.to_string()) {
            out.push(o.to_string());
        }
    });
    out
}

/// A job title field's value as text: a title as written; a number (a JSON `5`) or a JSON
/// boolean as its text (`5`, `true`), as a CSV cell holding it reads; missing as empty.
pub fn title_text(value: FieldValue<'_>) -> std::borrow::Cow<'_, str> {
    match value {
        FieldValue::Text(s) => s.into(),
        FieldValue::Number(x) => number_to_level(x).into(),
        FieldValue::Bool(b) => (if b { "true" } else { "false" }).into(),
        FieldValue::Missing => "".into(),
    }
}

/// Parses yes/no, true/false, y/n, 1/0 (any case, surrounding spaces allowed).
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    const TRUE: [&str; 4] = ["yes", "true", "y", "1"];
    const FALSE: [&str; 4] = ["no", "false", "n", "0"];
    if TRUE.iter().any(|v| t.eq_ignore_ascii_case(v)) {
        Some(true)
    } else if FALSE.iter().any(|v| t.eq_ignore_ascii_case(v)) {
        Some(false)
    } else {
        None
    }
}

/// The boolean a yes/no column reads from a value: the text forms of [`parse_bool`], a number
/// (or number written as text, `1.0`) equal to 0 or 1, or a JSON boolean. `None` for missing
/// and for anything else: a value such a column never saw in training, which the featurizers
/// score as missing (see [`crate::fitted::FittedTransform::is_unseen`]), never an error.
pub fn bool_of(value: FieldValue<'_>) -> Option<bool> {
    let zero_one = |x: f64| {
        if x == 0.0 {
            Some(false)
        } else if x == 1.0 {
            Some(true)
        } else {
            None
        }
    };
    match value {
        FieldValue::Missing => None,
        FieldValue::Bool(b) => Some(b),
        FieldValue::Number(x) => zero_one(x),
        FieldValue::Text(s) => parse_bool(s).or_else(|| parse_number(s).and_then(zero_one)),
    }
}

/// Whether `text` is a boolean written as a word (yes/no, true/false, y/n, any case): what
/// `init` takes for a yes/no column. `1` and `0` are numbers, not words.
pub fn is_bool_word(text: &str) -> bool {
    parse_bool(text).is_some() && parse_number(text).is_none()
}

/// How much of a value taken from the input a message or an explanation repeats back.
pub const ECHO_CHARS: usize = 200;

/// `text` when it is short (up to [`ECHO_CHARS`] characters, or up to [`ECHO_CHARS`] + 56
/// bytes), else its first [`ECHO_CHARS`] characters and `... (N bytes)`: a 10 MB value is
/// never repeated back whole, and a value is never marked cut when nothing was cut.
pub fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match echo_cut(text) {
        None => text.into(),
        Some(cut) => format!("{}... ({} bytes)", &text[..cut], text.len()).into(),
    }
}

/// Where [`shorten`] cuts `text` (a byte offset), if it does.
pub fn echo_cut(text: &str) -> Option<usize> {
    if text.len() <= ECHO_CHARS + 56 {
        return None;
    }
    text.char_indices().nth(ECHO_CHARS).map(|(i, _)| i)
}

/// A value [`shorten`] cut, split back into what it kept and the length of the whole:
/// `None` for any other text.
pub fn shortened_parts(text: &str) -> Option<(&str, usize)> {
    let (kept, rest) = text.rsplit_once("... (")?;
    let bytes: usize = rest.strip_suffix(" bytes)")?.parse().ok()?;
    (kept.chars().count() == ECHO_CHARS && bytes > ECHO_CHARS + 56).then_some((kept, bytes))
}

/// A value as the input gave it, for messages and explanations: text quoted (`"3"`, cut as
/// [`shorten`] cuts, outside the quotes), a number as written (`3`, `2.5`), `true`/`false`.
pub fn echo(value: FieldValue<'_>) -> String {
    match value {
        FieldValue::Missing => "nothing".into(),
        FieldValue::Bool(b) => b.to_string(),
        // As read, with an exponent past 1e15 (1e308 is not 309 digits the lead did not send).
        FieldValue::Number(x) => crate::explain::fmt_exact(x),
        FieldValue::Text(s) => crate::explain::Quoted(s).to_string(),
    }
}

/// Now, in Unix seconds (read down).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A Unix time as RFC 3339 in UTC, to the second (`2025-06-08T10:00:00Z`): how times are
/// written back to people and files (empty for a time outside chrono's range).
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Parses the timestamp forms exports use, to Unix seconds (UTC; a time without zone is UTC):
/// Unix seconds from 2000-01-01 to 2100-01-01, where a number is read as a time: seconds in
/// this range, or milliseconds in it times 1,000 (the two never overlap).
pub const UNIX_TIMES: std::ops::RangeInclusive<i64> = 946_684_800..=4_102_444_800;

/// A moment of scoring as the server's `?as_of=` and the Python package's `as_of` text read
/// it: a time [`parse_timestamp`] reads, from 1970; or Unix seconds (or milliseconds) in
/// [`UNIX_TIMES`] written as digits (`1733472000`, `1733472000123`, the millisecond's
/// fraction read down), as a CRM's API often gives a time.
pub fn parse_as_of(text: &str) -> Option<i64> {
    match parse_timestamp(text) {
        Some(t) => (t >= 0).then_some(t),
        None => unix_digits(text),
    }
}

/// The forms [`parse_as_of`] reads, for messages.
pub const AS_OF_FORMS: &str = "a time such as 2025-06-08T10:00:00Z or 2025-06-08 (from 1970), \
                               or Unix seconds or milliseconds from 2000 to 2100 such as \
                               1749376800";

/// Text of digits alone (spaces around allowed, at most 20) read as a Unix time
/// ([`unix_time_of`]).
fn unix_digits(text: &str) -> Option<i64> {
    unix_digits_rounded(text, false)
}

/// [`unix_digits`] rounding a fraction of a second up with `up` (an event's time).
fn unix_digits_rounded(text: &str, up: bool) -> Option<i64> {
    unix_number_text(text).and_then(|x| unix_time_rounded(x, up))
}

/// Text that may be a Unix time, as a number: digits (spaces around allowed), with a fraction
/// after a `.` (`1738220429.0`, as pandas writes a column of seconds with a missing value);
/// at most 20 digits before the point. No sign, exponent or separator.
pub fn unix_number_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let (whole, fraction) = t.split_once('.').unwrap_or((t, "0"));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    (whole.len() <= 20 && digits(whole) && digits(fraction))
        .then(|| t.parse::<f64>().ok())
        .flatten()
}

/// Whether a time's text is the zero time an export writes for an unset date: Unix time 0 as
/// digits (`0`, `0.0`, as pandas writes a column of seconds with a missing value) or MySQL's
/// zero date (`0000-00-00`, with a zero time of day: `0000-00-00 00:00:00`). No lead was
/// created, contacted or converted at 1970-01-01 00:00:00 UTC or in year 0: in a time column
/// it is missing (the number 0 too), in training, `score` and the server alike, where any other
/// time outside 2000-2100 is an error. pandas' missing time, `NaT` (in any case), is read the
/// same: MLflow's scoring client writes a gap in a datetime column so, and the Python package
/// reads the gap itself as missing.
pub fn is_zero_time_text(text: &str) -> bool {
    // Most times start with another digit (`2025-03-01`, `1738220429`): not zero, at once.
    if text
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
    {
        return false;
    }
    let t = text.trim();
    match t.strip_prefix("0000-00-00") {
        // A zero time of day, with any zone as dates may have one (`Z`, `+02:00`, `-0500`,
        // ` UTC`, ` utc`): the zero date in any zone is no date.
        Some(rest) => {
            let rest = rest.trim_end();
            let n = rest.len();
            let rest = if n >= 3
                && rest.is_char_boundary(n - 3)
                && ["utc", "gmt"]
                    .iter()
                    .any(|w| rest[n - 3..].eq_ignore_ascii_case(w))
            {
                &rest[..n - 3]
            } else {
                rest
            };
            let rest = rest.trim_end().trim_end_matches(['Z', 'z']);
            // The zone's offset: digits and `:` after the last sign.
            let (time, zone) = match rest.rfind(['+', '-']) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            zone.len() <= 5
                && zone.bytes().all(|b| b.is_ascii_digit() || b == b':')
                && time
                    .bytes()
                    .all(|b| matches!(b, b'0' | b':' | b'.' | b' ' | b'T' | b't'))
        }
        None => {
            (t.starts_with('0') && unix_number_text(t) == Some(0.0))
                || t.eq_ignore_ascii_case("nat")
        }
    }
}

/// Whether a time field's value is the zero time ([`is_zero_time_text`], or the number 0).
pub fn is_zero_time(value: FieldValue<'_>) -> bool {
    match value {
        FieldValue::Number(x) => x == 0.0,
        FieldValue::Text(s) => is_zero_time_text(s),
        _ => false,
    }
}

#[cfg(test)]
mod zero_time_tests {
    use super::is_zero_time_text;

    #[test]
    fn the_zero_time_is_unix_zero_or_mysql_zero_date() {
        for t in [
            "0",
            "0.0",
            " 0 ",
            "000",
            "0000-00-00",
            "0000-00-00 00:00:00",
            "0000-00-00T00:00:00.000Z",
            "0000-00-00 00:00:00 UTC",
            "0000-00-00 00:00:00+00:00",
            "0000-00-00T00:00:00-0000",
            "0000-00-00 00:00:00+02:00",
            "0000-00-00T00:00:00.000-0530",
            "0000-00-00 00:00:00 utc",
            "0000-00-00 00:00:00 Gmt",
            "0000-00-00t00:00:00z",
            "NaT",
            " nat ",
        ] {
            assert!(is_zero_time_text(t), "{t:?}");
        }
        for t in [
            "",
            "1",
            "0.5",
            "-0",
            "+0",
            "0x0",
            "00:00",
            "0000-00-01",
            "0000-00-00 10:00",
            "0000-00-00 00:00:00+02:00:00:00",
            "0000-00-00 00:00:00+2x",
            "0000-00-00 00:00:00 CET",
            "2024-01-01",
            "1970-01-01",
            "NaTe",
            "N/A",
        ] {
            assert!(!is_zero_time_text(t), "{t:?}");
        }
    }
}

/// How a number counts time, where a time is expected: Unix seconds, Unix milliseconds, or
/// the days of a spreadsheet's serial date (Excel's and Google Sheets', counted from
/// 1899-12-30, a fraction for the time of day: `45658.38897` is 2025-01-01 09:20:07, what a
/// date cell becomes when a spreadsheet saves it as a number). Each unit is read only within
/// [`UNIX_TIMES`] (2000 to 2100), where the three never overlap: seconds from 946684800,
/// milliseconds from 946684800000, serial days from 36526 to 73051.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Milliseconds,
    SerialDays,
}

impl EpochUnit {
    /// Every unit, in the order a column of numbers is tried.
    pub const ALL: [EpochUnit; 3] = [Self::Seconds, Self::Milliseconds, Self::SerialDays];

    /// Unix seconds of `x` in this unit, with its fraction.
    pub fn seconds(self, x: f64) -> f64 {
        match self {
            Self::Seconds => x,
            Self::Milliseconds => x / 1000.0,
            // 25569 is 1970-01-01 as a serial day. To the millisecond: a day's fraction
            // holds a whole second only to within rounding (45658.38896990741 is 09:20:06.99999…
            // as a product), and the callers read times down (or up) to the second.
            Self::SerialDays => ((x - 25_569.0) * SECONDS_PER_DAY * 1_000.0).round() / 1_000.0,
        }
    }

    /// Whether `x` in this unit is a time from 2000 to 2100 ([`UNIX_TIMES`]).
    pub fn reads(self, x: f64) -> bool {
        let (lo, hi) = (*UNIX_TIMES.start() as f64, *UNIX_TIMES.end() as f64);
        x.is_finite() && (lo..=hi).contains(&self.seconds(x))
    }

    /// The unit that reads `x` as a time from 2000 to 2100, if one does.
    pub fn of(x: f64) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.reads(x))
    }

    /// The unit's name, for messages (`Unix seconds`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Seconds => "Unix seconds",
            Self::Milliseconds => "Unix milliseconds",
            Self::SerialDays => "spreadsheet serial dates, days since 1899-12-30",
        }
    }
}

/// A number as a time: Unix seconds in [`UNIX_TIMES`], milliseconds in it times 1,000, or a
/// spreadsheet's serial date ([`EpochUnit`]), read down to the second; `None` for any other
/// number.
pub fn unix_time_of(x: f64) -> Option<i64> {
    unix_time_rounded(x, false)
}

/// [`unix_time_of`] for the time of an event: a fraction of a second rounds up, as training
/// reads an events column of Unix times (see [`parse_event_time_as`] for why).
pub fn unix_event_time_of(x: f64) -> Option<i64> {
    unix_time_rounded(x, true)
}

fn unix_time_rounded(x: f64, up: bool) -> Option<i64> {
    // As training reads a column of them, each in its own unit here.
    let t = EpochUnit::of(x)?.seconds(x);
    Some((if up { t.ceil() } else { t.floor() }) as i64)
}

/// A time in a lead's field (a `timestamp` column, an age-aware model's `created_at`) as
/// training reads a column of them: a timestamp in the spec's date order, or Unix seconds or
/// milliseconds ([`unix_time_of`]) as a number or as digits (a CRM's API gives `createdate`
/// and `lastmodifieddate` so).
pub fn field_time(value: FieldValue<'_>, order: DateOrder) -> Option<i64> {
    match value {
        FieldValue::Text(s) => parse_timestamp_cached_as(s, order).or_else(|| unix_digits(s)),
        FieldValue::Number(x) => unix_time_of(x),
        _ => None,
    }
}

/// RFC 3339 / ISO 8601 with `T` or a space, with or without fractional seconds and zone,
/// `YYYY-MM-DD HH:MM`, a bare date `YYYY-MM-DD` (midnight), ISO 8601's basic format
/// (`20240115T100000Z`), a trailing `UTC`/`GMT` (`2024-01-15 10:00:00 UTC`), and the year first
/// with slashes or dots (`2024/01/15 10:00`, `2024.1.15 2:05 PM`, as spreadsheets write dates).
/// Each call parses; per-lead code that reads one field several times uses
/// [`parse_timestamp_cached`].
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = trimmed(text);
    // The usual form first (`2025-03-04T05:06:07Z`, `2025-03-04`): digits and fixed
    // separators only, so none of the word and basic forms below could have read it (their
    // searches cost ~700 instructions a call on the serving path).
    if let Some(fast) = parse_fixed_timestamp(t.strip_suffix('Z').unwrap_or(t).as_bytes()) {
        return Some(fast);
    }
    if t.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        if let Some(ordered) = clock_before_year(t) {
            return parse_timestamp(&ordered);
        }
    }
    if let Some(utc) = without_utc_word(t) {
        return parse_timestamp(utc);
    }
    if let Some((local, offset)) = zone_word(t) {
        return parse_timestamp(local).map(|s| s - offset);
    }
    if let Some(extended) = iso_basic_as_extended(t) {
        return parse_timestamp(&extended);
    }
    // Every form below starts with a four-digit year and a dash (chrono's `%Y` would read
    // `01-02-24` as the year 1); a slash or a dot there is a year-first date as spreadsheets
    // write it (`2024/01/15 10:00`, `2024.1.15`).
    let b = t.as_bytes();
    if t.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) {
        // `Nov 24, 2023`, `24 Nov 2023 10:00`, RFC 2822's `Fri, 24 Nov 2023 10:00:00 +0000`:
        // the month's name says which field is which, in any date order.
        return parse_month_name_date(t);
    }
    if matches!(b[4], b'/' | b'.') {
        return parse_year_first(t);
    }
    if t.len() < 10 || b[4] != b'-' {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return real_second(dt.naive_utc());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        // Without seconds, as the zoneless forms below (`10:00+05:30`).
        "%Y-%m-%d %H:%M%#z",
        "%Y-%m-%dT%H:%M%#z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return real_second(dt.naive_utc());
        }
    }
    let naive = t.strip_suffix('Z').unwrap_or(t);
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return real_second(dt);
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp())
}

/// A time followed by the word `UTC` or `GMT` (`2025-03-04 05:06:07 UTC`, as BigQuery and
/// many database exports write it; `1/20/2025 7:01 AM UTC`, `7:01AM UTC`), without the word: a
/// time without zone reads as UTC. An offset before the word must be zero (Go writes
/// `05:06:07 +0000 UTC`): `10:06:07+05:00 UTC` says two zones and is no time.
fn without_utc_word(t: &str) -> Option<&str> {
    let rest = ["UTC", "GMT"].iter().find_map(|w| t.strip_suffix(w))?;
    let rest = rest.strip_suffix(' ').unwrap_or(rest);
    let ends_time = ends_a_time(rest);
    // The offset, if any: a sign after the time of day's first colon (its `T` in the basic
    // form, which has none).
    let offset = rest.find(':').or_else(|| rest.find('T')).and_then(|colon| {
        rest[colon..]
            .find(['+', '-'])
            .map(|i| &rest[colon + i + 1..])
    });
    let zero_offset = offset.is_none_or(|o| o.bytes().all(|b| b == b'0' || b == b':'));
    (ends_time && zero_offset).then_some(rest)
}

/// The month-name forms programs print by default, rewritten as `Nov 24 2023 10:00:00 ZONE`
/// (read by the forms below): Java's `Date.toString` and C's `asctime`, with the time of day
/// before the year (`Fri Nov 24 10:00:00 PST 2023`, `Fri Nov 24 10:00:00 2023`), and
/// JavaScript's `Date.toString`, with the zone's name in brackets after its offset (`Fri Nov 24
/// 2023 10:00:00 GMT+0000 (Coordinated Universal Time)`: the brackets are left out). `None`
/// for any other text.
fn clock_before_year(t: &str) -> Option<String> {
    if t.len() > MONTH_NAME_DATE_BYTES + 40 {
        return None;
    }
    // JavaScript: a bracketed zone name at the end, after a `GMT` offset.
    if let Some(open) = t.strip_suffix(')').and_then(|r| r.rfind(" (")) {
        let (before, name) = (t[..open].trim_end(), &t[open + 2..t.len() - 1]);
        let named = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b' ' || b == b'.' || b == b'-');
        let after_offset = before
            .rsplit(' ')
            .next()
            .is_some_and(|z| z.starts_with("GMT") || z.starts_with("UTC"));
        return (named && after_offset).then(|| before.to_string());
    }
    // Java and C: [weekday] month day clock [zone] year.
    let words: Vec<&str> = t.split_whitespace().collect();
    let words = match words.first() {
        Some(w) if is_weekday_name(w) => &words[1..],
        _ => &words[..],
    };
    let (month, day, clock, zone, year) = match words {
        [m, d, c, y] => (m, d, c, None, y),
        [m, d, c, z, y] => (m, d, c, Some(z), y),
        _ => return None,
    };
    (month_of_name(month).is_some()
        && day_of_month(day).is_some()
        && clock.contains(':')
        && year_of(year, false).is_some())
    .then(|| match zone {
        Some(z) => format!("{month} {day} {year} {clock} {z}"),
        None => format!("{month} {day} {year} {clock}"),
    })
}

/// The zones a time may end with by name, and their offsets east of UTC in hours: North
/// America's and Europe's abbreviations that name one offset each (as US CRMs, Java's
/// `Date.toString` and mail clients write times; `IST` or `BST`, which name several, are not
/// read).
const ZONE_WORDS: [(&str, i64); 17] = [
    ("EST", -5),
    ("EDT", -4),
    ("CST", -6),
    ("CDT", -5),
    ("MST", -7),
    ("MDT", -6),
    ("PST", -8),
    ("PDT", -7),
    ("AKST", -9),
    ("AKDT", -8),
    ("HST", -10),
    ("WET", 0),
    ("WEST", 1),
    ("CET", 1),
    ("CEST", 2),
    ("EET", 2),
    ("EEST", 3),
];

/// A time ending with a zone by name (`2024-02-08 06:11:16 PST`, `07/01/2024 01:09 AM EST`) or
/// `GMT`/`UTC` with an offset (`... GMT+0530`, `... UTC-08:00`, `... GMT+1`): the local time
/// before it and the zone's offset east of UTC in seconds, to subtract from that time read as
/// UTC. `None` when there is no such zone, when it does not follow a time of day (`PST` alone,
/// a date), or when the time has an offset of its own (two zones).
fn zone_word(t: &str) -> Option<(&str, i64)> {
    // The whole word: `CEST` ends with `EST` too.
    let (rest, offset) = match ZONE_WORDS.iter().find_map(|(w, h)| {
        let rest = t.strip_suffix(w)?;
        (!rest.ends_with(|c: char| c.is_ascii_alphabetic())).then_some((rest, h * 3_600))
    }) {
        Some(found) => found,
        None => {
            // `GMT+0530`, `UTC-08:00`, `GMT+1`: the word, a sign, hours and minutes.
            let at = t.rfind("GMT").or_else(|| t.rfind("UTC"))?;
            let (rest, zone) = (&t[..at], &t[at + 3..]);
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if !(1..=4).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m) = match digits.len() {
                1 | 2 => (digits.parse::<i64>().ok()?, 0),
                3 => (
                    digits[..1].parse::<i64>().ok()?,
                    digits[1..].parse::<i64>().ok()?,
                ),
                _ => (
                    digits[..2].parse::<i64>().ok()?,
                    digits[2..].parse::<i64>().ok()?,
                ),
            };
            if h > 14 || m > 59 {
                return None;
            }
            (rest, sign * (h * 3_600 + m * 60))
        }
    };
    // A word of its own: after a space or the time's last digit or AM/PM.
    let rest = rest.strip_suffix(' ').unwrap_or(rest);
    // A time of day (a colon), and no offset of its own after it.
    let colon = rest.find(':')?;
    let own_offset = rest[colon..].contains(['+', '-', 'Z']);
    (ends_a_time(rest) && !own_offset).then_some((rest, offset))
}

/// Whether `t` ends as a time of day does: a digit, or `AM`/`PM` (any case).
fn ends_a_time(t: &str) -> bool {
    let b = t.as_bytes();
    let from_end = |i: usize| b.len().checked_sub(i).map(|k| b[k].to_ascii_uppercase());
    b.last().is_some_and(u8::is_ascii_digit)
        || (from_end(1) == Some(b'M') && matches!(from_end(2), Some(b'A' | b'P')))
}

/// `text` without its zone written as a word (`UTC`, `PST`, `GMT+0530`): the time as written
/// where only its fields matter (its date order, a fraction of its second).
fn without_zone(text: &str) -> &str {
    let t = without_utc_word(trimmed(text)).unwrap_or(text);
    zone_word(trimmed(t)).map_or(t, |(local, _)| local)
}

/// ISO 8601's basic format (`20250304T050607Z`, `20250304T0506Z`, with a fraction or a zone
/// `+0530` after it, as iCalendar and some log exports write times) in the extended format
/// the parsers read (`2025-03-04T05:06:07Z`). A bare `20250304` stays a number: only a `T` and
/// a time make eight digits a date.
fn iso_basic_as_extended(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 13 || !digits(0..8) || b[8] != b'T' || !digits(9..13) {
        return None;
    }
    let seconds = digits(13..15);
    let end = if seconds { 15 } else { 13 };
    let mut out = format!(
        "{}-{}-{}T{}:{}",
        &t[..4],
        &t[4..6],
        &t[6..8],
        &t[9..11],
        &t[11..13]
    );
    if seconds {
        out.push(':');
        out.push_str(&t[13..15]);
    }
    let mut rest = &t[end..];
    if seconds && rest.starts_with(['.', ',']) {
        let n = 1 + rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        out.push('.');
        out.push_str(&rest[1..n]);
        rest = &rest[n..];
    }
    match rest.as_bytes() {
        [] | [b'Z'] => out.push_str(rest),
        [s @ (b'+' | b'-'), h1, h2] if h1.is_ascii_digit() && h2.is_ascii_digit() => {
            out.push_str(&format!("{}{}{}:00", *s as char, *h1 as char, *h2 as char));
        }
        [s @ (b'+' | b'-'), h1, h2, m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            out.push_str(&format!(
                "{}{}{}:{}{}",
                *s as char, *h1 as char, *h2 as char, *m1 as char, *m2 as char
            ));
        }
        _ => return None,
    }
    Some(out)
}

/// Unix seconds of a UTC time chrono parsed, unless it is a leap second (`:60`) anywhere but
/// the last minute of a UTC day, where leap seconds are inserted (chrono reads `10:15:60` as
/// a leap second at any minute; no clock shows one there, so it is a wrong time, not 10:15:59).
fn real_second(utc: NaiveDateTime) -> Option<i64> {
    use chrono::Timelike;
    let leap = utc.nanosecond() >= 1_000_000_000;
    (!leap || (utc.hour() == 23 && utc.minute() == 59)).then(|| utc.and_utc().timestamp())
}

/// [`parse_timestamp`], remembering the last text parsed on this thread: scoring one lead reads
/// its time fields several times (its features, its age, the text of its factor). Not for
/// columns or events parsed one after another, where every call would miss.
pub fn parse_timestamp_cached(text: &str) -> Option<i64> {
    memoized(&TIMESTAMP_MEMO, text, &(), || parse_timestamp(text))
}

/// Which field comes first in a date written with the year last (`12/31/2023`, `31.12.2023`),
/// as spreadsheets and CRM exports write dates for people. A spec's `date_order`: ISO 8601 text
/// (year first) reads the same under every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// ISO 8601 only (the default): a date with the year last is no timestamp.
    #[default]
    Iso,
    /// Month first, as US exports write: `12/31/2023`, `12/31/2023 10:00 AM`, `12/31/23 14:05`.
    Mdy,
    /// Day first, as most of Europe, the UK and India write: `31/12/2023`, `31.12.2023 10:00`.
    Dmy,
}

impl DateOrder {
    /// Whether this is the default (ISO only), which a spec leaves unwritten.
    pub fn is_iso(&self) -> bool {
        *self == Self::Iso
    }

    /// Its name in a spec (`date_order = "mdy"`), its reading in words (`month first`) and a
    /// date written so.
    pub fn described(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Iso => ("iso", "year first", "2023-12-31 10:00:00"),
            Self::Mdy => ("mdy", "month first", "12/31/2023 10:00 AM"),
            Self::Dmy => ("dmy", "day first", "31/12/2023 10:00"),
        }
    }

    /// What a message says a timestamp in this order looks like.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Iso => "a timestamp (ISO 8601, YYYY-MM-DD HH:MM:SS or Nov 24, 2023)",
            Self::Mdy => "a timestamp (month first as 12/31/2023 10:00 AM, or ISO 8601)",
            Self::Dmy => "a timestamp (day first as 31/12/2023 10:00, or ISO 8601)",
        }
    }
}

/// The month a word names (`Nov`, `nov.`, `November`, `Sept`), 1 to 12.
fn month_of_name(word: &str) -> Option<i64> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.strip_suffix('.').unwrap_or(word);
    if w.len() < 3 || w.len() > 9 || !w.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let w = w.to_ascii_lowercase();
    let m = NAMES.iter().position(|n| {
        *n == w || w.len() == 3 && n.starts_with(w.as_str()) || w == "sept" && n.starts_with("sep")
    })?;
    Some(m as i64 + 1)
}

/// Whether a word names a weekday (`Fri`, `Fri.`, `Friday`).
fn is_weekday_name(word: &str) -> bool {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let w = word.strip_suffix('.').unwrap_or(word).to_ascii_lowercase();
    NAMES
        .iter()
        .any(|n| *n == w || w.len() == 3 && n.starts_with(w.as_str()))
}

/// A day of the month as written beside a month's name: `24`, `04`, `24th`, `1st`.
fn day_of_month(word: &str) -> Option<i64> {
    let lower = word.to_ascii_lowercase();
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| lower.strip_suffix(s))
        .unwrap_or(&lower);
    short_number(digits).filter(|d| (1..=31).contains(d))
}

/// A year as written beside a month's name: four digits, or two (`23` -> 2023, `75` -> 1975)
/// where `short` allows them (`24-Nov-23`).
fn year_of(word: &str, short: bool) -> Option<i64> {
    if !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = word.parse().ok()?;
    match word.len() {
        4 => Some(y),
        2 if short => Some(if y < 70 { 2000 + y } else { 1900 + y }),
        _ => None,
    }
}

/// A zone after a time: `+0000`, `-05:00`, `UTC`, `GMT`, `Z`; its offset from UTC in seconds.
fn zone_offset(word: &str) -> Option<i64> {
    if ["utc", "gmt", "z"]
        .iter()
        .any(|z| word.eq_ignore_ascii_case(z))
    {
        return Some(0);
    }
    let sign = match word.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = word[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || word.len() > 6 {
        return None;
    }
    let (h, m) = (short_number(&digits[..2])?, short_number(&digits[2..])?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A date written with its month's name, as CRMs, spreadsheets and mail headers export it:
/// `Nov 24, 2023`, `November 24th, 2023 10:00 AM`, `24 Nov 2023`, `24-Nov-2023` (and
/// `24-NOV-23`), RFC 2822's `Fri, 24 Nov 2023 10:00:00 +0000`; a leading weekday is read and
/// left out, a zone (`+0000`, `-05:00`, `UTC`, `GMT`) after the time is applied, and text
/// without one is UTC as elsewhere. Any other word makes it not a date.
fn parse_month_name_date(t: &str) -> Option<i64> {
    let (year, month, day, seconds, offset) = month_name_fields(t)?;
    civil_moment(year, month, day, seconds).map(|s| s - offset)
}

/// The calendar day a date written with its month's name names, as written (before its zone
/// is applied: `Fri, 24 Nov 2023 22:00:00 -0800` is 2023-11-24 though it is the 25th in UTC),
/// in days since 1970-01-01; `None` for text [`parse_timestamp`] does not read that way.
pub fn month_name_written_day(text: &str) -> Option<i64> {
    let t = trimmed(text);
    let ordered = clock_before_year(t);
    let t = ordered.as_deref().unwrap_or(t);
    let t = without_utc_word(t)
        .or_else(|| zone_word(t).map(|(local, _)| local))
        .unwrap_or(t);
    let (year, month, day, seconds, _) = month_name_fields(t)?;
    civil_moment(year, month, day, seconds)?;
    Some(civil::days_from_civil(year, month, day))
}

/// The longest text [`month_name_fields`] reads: `Wednesday, September 24th, 2023
/// 10:00:00.123456 PM +05:30` is 58 bytes; longer text is not such a date, and is not split.
const MONTH_NAME_DATE_BYTES: usize = 80;

/// (year, month, day, seconds of the day, zone offset in seconds) of a date written with its
/// month's name (see [`parse_month_name_date`]), unchecked against the calendar.
fn month_name_fields(t: &str) -> Option<(i64, i64, i64, i64, i64)> {
    if t.len() > MONTH_NAME_DATE_BYTES {
        return None;
    }
    let mut words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    if words.first().is_some_and(|w| is_weekday_name(w)) {
        words.remove(0);
    }
    // `24-Nov-2023` as one word: its three fields.
    let dashed: Vec<&str>;
    let mut short_year = false;
    if let Some(first) = words.first() {
        if first.matches('-').count() == 2 {
            dashed = first.split('-').collect();
            words.splice(0..1, dashed.iter().copied());
            short_year = true;
        }
    }
    if words.len() < 3 {
        return None;
    }
    let (month, day, year) = if let Some(m) = month_of_name(words[0]) {
        // `Nov 24 2023`
        (m, day_of_month(words[1])?, year_of(words[2], short_year)?)
    } else {
        // `24 Nov 2023`
        (
            month_of_name(words[1])?,
            day_of_month(words[0])?,
            year_of(words[2], short_year)?,
        )
    };
    let mut rest = &words[3..];
    let mut seconds = 0;
    if let Some(time) = rest.first().filter(|w| w.contains(':')) {
        // `10:00 AM`: the half of the day is a word of its own.
        let half = rest
            .get(1)
            .filter(|w| w.eq_ignore_ascii_case("am") || w.eq_ignore_ascii_case("pm"));
        seconds = match half {
            Some(h) => {
                rest = &rest[2..];
                clock_seconds(&format!("{time} {h}"))?
            }
            None => {
                rest = &rest[1..];
                clock_seconds(time)?
            }
        };
    }
    let offset = match rest {
        [] => 0,
        [zone] => zone_offset(zone)?,
        _ => return None,
    };
    Some((year, month, day, seconds, offset))
}

/// [`parse_timestamp`], then, unless `order` is [`DateOrder::Iso`], a date with the year last in
/// that order (`12/31/2023`, `31.12.2023`, `12/31/23`; `/`, `.` or `-` between its fields), with
/// an optional time after a space (`10:00`, `10:00:05`, `10:00 AM`, `10:00:05.250 pm`), as UTC.
pub fn parse_timestamp_as(text: &str, order: DateOrder) -> Option<i64> {
    parse_timestamp(text).or_else(|| match order {
        DateOrder::Iso => None,
        _ => {
            let t = without_utc_word(trimmed(text)).unwrap_or(text);
            match zone_word(trimmed(t)) {
                Some((local, offset)) => parse_year_last(local, order).map(|s| s - offset),
                None => parse_year_last(t, order),
            }
        }
    })
}

/// [`parse_timestamp_as`] for the time of an event: a fraction of a second rounds it up to the
/// next whole second. Times are kept to the second and a scoring time's fraction rounds down,
/// so an event at `10:00:00.9` is after an `as_of` of `10:00:00` (it was counted, a second of
/// the future, when both rounded down): an event is never known before it happened.
pub fn parse_event_time_as(text: &str, order: DateOrder) -> Option<i64> {
    let t = parse_timestamp_as(text, order)?;
    if is_bare_date(text) {
        // A day without its time (`2025-06-07`): the event happened some time that day, so it
        // is known from the day's last second. Read as midnight, an event of the afternoon
        // counted for a lead scored that morning (438 of 737 age-0 holdout moments of the
        // demo with its times cut to dates).
        return Some(t + 86_399);
    }
    Some(t + i64::from(after_its_second(text)))
}

/// Whether a time as written is a date without a time of day (`2025-06-07`, `6/7/2025`,
/// `Nov 24, 2023`): no `:` and no `T` before digits (the basic ISO form `20250304T0506`).
fn is_bare_date(text: &str) -> bool {
    let b = text.trim().as_bytes();
    !b.contains(&b':')
        && !b
            .windows(2)
            .any(|w| (w[0] == b'T' || w[0] == b't') && w[1].is_ascii_digit())
}

/// An event's time as a request gives it (the server's `events[].occurred_at`, the Python
/// package's): ISO 8601 text ([`parse_event_time_as`]), or Unix seconds or milliseconds in
/// [`UNIX_TIMES`] written as digits, a fraction of a second rounded up
/// ([`unix_event_time_of`]), as training reads an events column of either.
pub fn parse_event_time(text: &str) -> Option<i64> {
    parse_event_time_as(text, DateOrder::Iso).or_else(|| unix_digits_rounded(text, true))
}

/// The forms an event's time in a request is read in ([`parse_event_time`], a JSON number
/// [`unix_event_time_of`]), for messages.
pub const EVENT_TIME_FORMS: &str = "a timestamp (ISO 8601 such as 2025-06-01T09:30:00Z, or a \
                                    date), or Unix seconds or milliseconds from 2000 to 2100 \
                                    such as 1748770200";

/// Whether a timestamp's text lies after the whole second the parsers read it as: its
/// seconds (`:SS` after `:MM`) have a fraction that is not zero (`10:00:00.9`; `.000` is
/// none), or are a leap second (`23:59:60`, read as the :59 before it).
fn after_its_second(text: &str) -> bool {
    let text = without_zone(text);
    if let Some(extended) = iso_basic_as_extended(text) {
        return after_its_second(&extended);
    }
    let b = text.as_bytes();
    let digits = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // `i`: the colon before the seconds.
    (3..b.len()).any(|i| {
        let seconds = b[i] == b':' && b[i - 3] == b':' && digits(i - 2) && digits(i - 1);
        let rest = b.get(i + 3..).unwrap_or_default();
        seconds
            && digits(i + 1)
            && digits(i + 2)
            && (b[i + 1..].starts_with(b"60") && !rest.first().is_some_and(u8::is_ascii_digit)
                || rest.first() == Some(&b'.')
                    && rest[1..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .any(|c| *c != b'0'))
    })
}

/// [`parse_timestamp_as`], remembering the last text parsed on this thread per order (see
/// [`parse_timestamp_cached`]).
pub fn parse_timestamp_cached_as(text: &str, order: DateOrder) -> Option<i64> {
    match order {
        DateOrder::Iso => parse_timestamp_cached(text),
        DateOrder::Mdy => memoized(&MDY_TIMESTAMP_MEMO, text, &(), || {
            parse_timestamp_as(text, order)
        }),
        DateOrder::Dmy => memoized(&DMY_TIMESTAMP_MEMO, text, &(), || {
            parse_timestamp_as(text, order)
        }),
    }
}

/// A number of one or two ASCII digits (a month, a day, an hour, a minute, a second).
fn short_number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A date written as three fields of digits with one separator (`/`, `.` or `-`) and an optional
/// time after a space, a `T` or `, ` (see [`clock_seconds`]): the fields as written, and the
/// seconds of the time of day (0 without one). Which field is which is the caller's to decide.
fn date_fields(text: &str) -> Option<([&str; 3], i64)> {
    let t = text.trim();
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d.strip_suffix(',').unwrap_or(d), Some(rest.trim())),
        None => (t, None),
    };
    let sep = date.bytes().find(|b| matches!(b, b'/' | b'.' | b'-'))?;
    let mut parts = date.split(sep as char);
    let fields = [parts.next()?, parts.next()?, parts.next()?];
    if parts.next().is_some()
        || fields
            .iter()
            .any(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let seconds = match time {
        None | Some("") => 0,
        Some(time) => clock_seconds(time)?,
    };
    Some((fields, seconds))
}

/// Unix seconds of a calendar date and a time of day, if the date exists.
fn civil_moment(y: i64, m: i64, d: i64, seconds: i64) -> Option<i64> {
    civil::days_in_month(y, m)
        .is_some_and(|n| (1..=n).contains(&d))
        .then(|| civil::days_from_civil(y, m, d) * 86_400 + seconds)
}

/// The three numbers of a date written with the year last (`12/31/2023` -> (12, 31, 2023),
/// a two-digit year `23` -> 2023, `75` -> 1975) and the seconds of its time of day; `None` for
/// anything else, ISO dates included. Which of the first two is the month is the caller's.
fn year_last_fields(text: &str) -> Option<(i64, i64, i64, i64)> {
    let ([a, b, y], seconds) = date_fields(text)?;
    let (a, b) = (short_number(a)?, short_number(b)?);
    let year: i64 = y.parse().ok()?;
    let year = match y.len() {
        2 if year < 70 => 2000 + year,
        2 => 1900 + year,
        4 => year,
        _ => return None,
    };
    Some((a, b, year, seconds))
}

/// `10:00`, `10:00:05`, `10:00:05.250`, each optionally followed by `AM`/`PM` (any case, with
/// or without a space), to seconds after midnight (fractions dropped).
fn clock_seconds(time: &str) -> Option<i64> {
    let lower = time.to_ascii_lowercase();
    let (clock, half) = if let Some(c) = lower.strip_suffix("am") {
        (c.trim_end(), Some(false))
    } else if let Some(c) = lower.strip_suffix("pm") {
        (c.trim_end(), Some(true))
    } else {
        (lower.as_str(), None)
    };
    let mut parts = clock.split(':');
    let h = short_number(parts.next()?)?;
    let m = short_number(parts.next()?)?;
    let s = match parts.next() {
        None => 0,
        Some(p) => {
            let whole = p.split_once('.').map_or(p, |(w, frac)| {
                if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    ""
                } else {
                    w
                }
            });
            short_number(whole)?
        }
    };
    if parts.next().is_some() || m > 59 || s > 59 {
        return None;
    }
    let h = match half {
        None if h <= 23 => h,
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some(h * 3600 + m * 60 + s)
}

/// `2024/01/15`, `2024.1.15`, each with an optional time as [`date_fields`] reads it.
fn parse_year_first(t: &str) -> Option<i64> {
    let ([y, m, d], seconds) = date_fields(t)?;
    if y.len() != 4 {
        return None;
    }
    civil_moment(y.parse().ok()?, short_number(m)?, short_number(d)?, seconds)
}

fn parse_year_last(text: &str, order: DateOrder) -> Option<i64> {
    year_last_moment(year_last_fields(text)?, order)
}

/// The moment of [`year_last_fields`]' numbers read in `order`, if they make a date.
fn year_last_moment((a, b, y, seconds): (i64, i64, i64, i64), order: DateOrder) -> Option<i64> {
    match order {
        DateOrder::Mdy => civil_moment(y, a, b, seconds),
        DateOrder::Dmy => civil_moment(y, b, a, seconds),
        DateOrder::Iso => None,
    }
}

/// What the values of a column say about their date order: how many read as a date with the
/// year last month first, day first, and either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateOrderEvidence {
    /// Values that read month first.
    pub month_first: usize,
    /// Values that read day first.
    pub day_first: usize,
    /// Values that read at least one of the two ways.
    pub either: usize,
}

impl DateOrderEvidence {
    /// Counts the values of a column.
    pub fn of<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut e = Self::default();
        let values = values.into_iter().map(without_zone);
        for fields in values.filter_map(year_last_fields) {
            let m = year_last_moment(fields, DateOrder::Mdy).is_some();
            let d = year_last_moment(fields, DateOrder::Dmy).is_some();
            e.month_first += usize::from(m);
            e.day_first += usize::from(d);
            e.either += usize::from(m || d);
        }
        e
    }

    /// The order every such value reads in, when only one does (a day above 12 decides);
    /// `None` when both do (no day above 12 seen), neither does, or there are none.
    pub fn decided(&self) -> Option<DateOrder> {
        match (
            self.month_first == self.either,
            self.day_first == self.either,
        ) {
            _ if self.either == 0 => None,
            (true, false) => Some(DateOrder::Mdy),
            (false, true) => Some(DateOrder::Dmy),
            _ => None,
        }
    }
}

/// Fast path for the forms event exports and API clients use most, `YYYY-MM-DD HH:MM:SS` (or
/// with `T`) and `YYYY-MM-DD`, without zone or with `Z` (UTC); `None` sends other text to the
/// general parser.
fn parse_fixed_timestamp(b: &[u8]) -> Option<i64> {
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    if !(b.len() == 10 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if b.len() == 19 {
        if !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        (hh, mm, ss) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        if hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
    }
    if !civil::days_in_month(y, m).is_some_and(|n| (1..=n).contains(&d)) {
        return None;
    }
    let days = civil::days_from_civil(y, m, d);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Seconds in a day.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// Month (0 = January) and weekday (0 = Monday) of a Unix timestamp, in UTC.
pub fn month_and_weekday(unix_seconds: i64) -> (usize, usize) {
    let days = unix_seconds.div_euclid(86_400);
    let weekday = civil::weekday_from_monday(days) as usize;
    let (_, month, _) = civil::civil_from_days(days);
    ((month - 1) as usize, weekday)
}

/// The class of an email address's domain; negative classes let the model weigh them down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailClass {
    /// A company domain.
    Business,
    /// Gmail, Yahoo, Outlook and the like.
    FreeWebmail,
    /// Universities and schools (students rarely buy).
    Education,
    /// Throwaway inboxes.
    Disposable,
    /// A domain listed as a competitor in the spec.
    Competitor,
    /// Not an email address.
    Invalid,
}

impl EmailClass {
    /// Every class, in feature order.
    pub const ALL: [EmailClass; 6] = [
        Self::Business,
        Self::FreeWebmail,
        Self::Education,
        Self::Disposable,
        Self::Competitor,
        Self::Invalid,
    ];

    /// A readable label used in feature names.
    pub fn label(self) -> &'static str {
        match self {
            Self::Business => "business",
            Self::FreeWebmail => "free webmail",
            Self::Education => "education",
            Self::Disposable => "disposable",
            Self::Competitor => "competitor",
            Self::Invalid => "invalid",
        }
    }

    /// Position in [`EmailClass::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// The newest version of the built-in domain lists and address rules ([`EmailRules`]):
/// 1. the first lists: 41 free webmail providers ([`FREE_WEBMAIL`]) and 13 disposable-address
///    providers ([`DISPOSABLE`]);
/// 2. regional providers and ISPs ([`FREE_WEBMAIL_2`], [`DISPOSABLE_2`]); any country domain of
///    the big webmail brands ([`WEBMAIL_BRANDS`]: `yahoo.fr`, `hotmail.com.br`, `outlook.de`);
///    and an address written with a display name, `Jane Doe <jane@acme.io>`, read as the
///    address inside the brackets (version 1 read the domain `acme.io>`).
///
/// A model keeps the version it was trained with, so a newer build classes a domain for it
/// as its training did; training uses the newest.
pub const DOMAIN_LISTS: u32 = 2;

/// The version of models written before the lists had versions.
fn first_domain_lists() -> u32 {
    1
}

/// Whether `v` is [`first_domain_lists`] (left out of an artifact).
fn is_first_domain_lists(v: &u32) -> bool {
    *v == 1
}

/// How an email column classes domains: learned into the model with the column (the spec's
/// lists and the version of the built-in ones), so scoring classes a domain as training did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmailRules {
    /// Domains classed `competitor`, with their subdomains.
    #[serde(default)]
    pub competitor_domains: Vec<String>,
    /// Domains classed `free webmail` besides the built-in lists (the domain itself).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub free_webmail_domains: Vec<String>,
    /// The version of the built-in lists ([`DOMAIN_LISTS`]); 1 in models written before
    /// versions, and not written when 1, so such a model's content (and id) stays as it was.
    #[serde(
        default = "first_domain_lists",
        skip_serializing_if = "is_first_domain_lists"
    )]
    pub domain_lists: u32,
}

impl Default for EmailRules {
    /// No lists of the spec's, the newest built-in ones.
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl EmailRules {
    /// The newest built-in lists and these competitor domains.
    pub fn new(competitor_domains: Vec<String>) -> Self {
        Self {
            competitor_domains,
            free_webmail_domains: Vec::new(),
            domain_lists: DOMAIN_LISTS,
        }
    }

    /// The version-1 lists and these competitor domains (models written before versions).
    pub fn first(competitor_domains: Vec<String>) -> Self {
        Self {
            domain_lists: 1,
            ..Self::new(competitor_domains)
        }
    }

    /// Why these rules cannot be used by this build, if they cannot: lists of a newer build.
    pub fn check(&self) -> std::result::Result<(), String> {
        if (1..=DOMAIN_LISTS).contains(&self.domain_lists) {
            Ok(())
        } else {
            Err(format!(
                "email domain_lists {} is not known to this build (it knows 1 to {DOMAIN_LISTS})",
                self.domain_lists
            ))
        }
    }

    /// The domain of `email` as these rules read it (see [`email_domain_part`]), as written.
    pub fn domain<'a>(&self, email: &'a str) -> Option<&'a str> {
        email_domain_part(self.address(email))
    }

    /// The address in `email` as these rules read it: from version 2, `Name <a@b.io>` (and
    /// `<a@b.io>`) is `a@b.io`.
    pub fn address<'a>(&self, email: &'a str) -> &'a str {
        if self.domain_lists >= 2 {
            bracketed_address(email)
        } else {
            email
        }
    }
}

/// The address inside the angle brackets that end `text` (`Jane Doe <jane@acme.io>`, as mail
/// headers and many CRM exports write a contact), or `text` itself.
pub fn bracketed_address(text: &str) -> &str {
    let t = trimmed(text);
    match t.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
        Some((_, inside)) => trimmed(inside),
        None => text,
    }
}

// Free webmail providers (the domain itself, not its subdomains), version 1.
const FREE_WEBMAIL: &[&str] = &[
    "126.com",
    "163.com",
    "aol.com",
    "btinternet.com",
    "comcast.net",
    "fastmail.com",
    "free.fr",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "icloud.com",
    "laposte.net",
    "libero.it",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "orange.fr",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "rediffmail.com",
    "t-online.de",
    "tutanota.com",
    "verizon.net",
    "web.de",
    "yahoo.co.in",
    "yahoo.co.uk",
    "yahoo.com",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
];

// Disposable-address providers (the domain or any subdomain of it), version 1.
const DISPOSABLE: &[&str] = &[
    "10minutemail.com",
    "dispostable.com",
    "fakeinbox.com",
    "getnada.com",
    "guerrillamail.com",
    "maildrop.cc",
    "mailinator.com",
    "sharklasers.com",
    "temp-mail.org",
    "tempmail.com",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
];

// Free webmail providers added in version 2: consumer ISPs and regional providers (North
// America, Europe, Latin America, Asia-Pacific) and private-mail services. Country domains of
// the brands in `WEBMAIL_BRANDS` need no entry.
const FREE_WEBMAIL_2: &[&str] = &[
    // North America
    "aim.com",
    "att.net",
    "bell.net",
    "bellsouth.net",
    "centurylink.net",
    "charter.net",
    "cogeco.ca",
    "cox.net",
    "earthlink.net",
    "email.com",
    "frontier.com",
    "frontiernet.net",
    "inbox.com",
    "juno.com",
    "mindspring.com",
    "netzero.net",
    "optimum.net",
    "optonline.net",
    "rocketmail.com",
    "roadrunner.com",
    "rogers.com",
    "sbcglobal.net",
    "shaw.ca",
    "sympatico.ca",
    "telus.net",
    "usa.com",
    "videotron.ca",
    "windstream.net",
    // Europe
    "abv.bg",
    "alice.it",
    "aliceadsl.fr",
    "aon.at",
    "arcor.de",
    "bbox.fr",
    "blueyonder.co.uk",
    "bluewin.ch",
    "btopenworld.com",
    "centrum.cz",
    "chello.at",
    "club-internet.fr",
    "email.it",
    "freemail.hu",
    "freenet.de",
    "gazeta.pl",
    "hetnet.nl",
    "hispeed.ch",
    "home.nl",
    "inbox.lv",
    "interia.pl",
    "inwind.it",
    "kpnmail.nl",
    "neuf.fr",
    "ntlworld.com",
    "o2.pl",
    "onet.pl",
    "ono.com",
    "op.pl",
    "planet.nl",
    "sapo.pt",
    "seznam.cz",
    "sfr.fr",
    "sky.com",
    "skynet.be",
    "talktalk.net",
    "telefonica.net",
    "telenet.be",
    "terra.es",
    "tin.it",
    "tiscali.co.uk",
    "tiscali.it",
    "virgilio.it",
    "virginmedia.com",
    "wanadoo.fr",
    "wp.pl",
    "xs4all.nl",
    "ziggo.nl",
    // Russia and neighbours
    "bk.ru",
    "i.ua",
    "inbox.ru",
    "list.ru",
    "rambler.ru",
    "ukr.net",
    "ya.ru",
    // Latin America
    "bol.com.br",
    "globo.com",
    "ig.com.br",
    "prodigy.net.mx",
    "terra.com.br",
    "uol.com.br",
    // Asia-Pacific
    "139.com",
    "189.cn",
    "aliyun.com",
    "bigpond.com",
    "bigpond.net.au",
    "biglobe.ne.jp",
    "daum.net",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "foxmail.com",
    "hanmail.net",
    "iinet.net.au",
    "indiatimes.com",
    "kakao.com",
    "nate.com",
    "naver.com",
    "nifty.com",
    "ocn.ne.jp",
    "optusnet.com.au",
    "sina.cn",
    "sina.com",
    "sify.com",
    "sohu.com",
    "softbank.ne.jp",
    "tpg.com.au",
    "xtra.co.nz",
    "yeah.net",
    // Private and other webmail
    "duck.com",
    "fastmail.fm",
    "hushmail.com",
    "mailbox.org",
    "pm.me",
    "posteo.de",
    "posteo.net",
    "protonmail.ch",
    "tuta.io",
    "tutamail.com",
    "tutanota.de",
    "zohomail.com",
];

// Disposable-address providers added in version 2 (the domain or any subdomain of it).
const DISPOSABLE_2: &[&str] = &[
    "10minutemail.net",
    "33mail.com",
    "burnermail.io",
    "discard.email",
    "dropmail.me",
    "emailondeck.com",
    "getairmail.com",
    "grr.la",
    "guerrillamail.biz",
    "guerrillamail.de",
    "guerrillamail.net",
    "guerrillamail.org",
    "harakirimail.com",
    "inboxkitten.com",
    "mailcatch.com",
    "mailnesia.com",
    "mintemail.com",
    "mohmal.com",
    "moakt.com",
    "mytemp.email",
    "spam4.me",
    "spamgourmet.com",
    "temp-mail.io",
    "tempinbox.com",
    "tempr.email",
    "tmpmail.org",
    "trashmail.de",
    "trashmail.net",
    "yopmail.fr",
    "yopmail.net",
];

/// Webmail brands whose country domains are free webmail from version 2: `brand.cc`,
/// `brand.co.cc` and `brand.com.cc` for a country code `cc` of [`BRAND_COUNTRIES`] (`yahoo.fr`,
/// `hotmail.co.jp`, `outlook.com.br`, `gmx.at`, `yandex.kz`). The domain itself, as for the
/// lists: `mail.yahoo.fr` is not.
const WEBMAIL_BRANDS: &[&str] = &[
    "aol", "gmx", "hotmail", "live", "outlook", "yahoo", "yandex",
];

/// The country domains of [`WEBMAIL_BRANDS`]' webmail: real countries' codes. Two-letter
/// domains that companies use as generic endings (`.io`, `.ai`, `.me`, `.tv`, `.co`, `.fm`,
/// `.ly`, `.gg`) are not among them: `live.io` or `aol.tv` is a company, not webmail (`.co`
/// counts only as Colombia's `.com.co`).
const BRAND_COUNTRIES: &[&str] = &[
    "ae", "ar", "at", "au", "be", "bg", "bo", "br", "by", "ca", "ch", "cl", "cn", "cr", "cz", "de",
    "dk", "do", "ec", "ee", "eg", "es", "fi", "fr", "gr", "gt", "hk", "hn", "hr", "hu", "id", "ie",
    "il", "in", "it", "jp", "kr", "kz", "lt", "lu", "lv", "ma", "mx", "my", "ng", "ni", "nl", "no",
    "nz", "pa", "pe", "ph", "pk", "pl", "pr", "pt", "py", "ro", "rs", "ru", "sa", "se", "sg", "si",
    "sk", "sv", "th", "tr", "tw", "ua", "uk", "us", "uy", "ve", "vn", "za",
];

/// Whether `domain` (any ASCII case) is a country domain of a [`WEBMAIL_BRANDS`] brand. The
/// brand (the first label) is looked at first: nearly every domain stops there.
fn brand_country_domain(domain: &[u8]) -> bool {
    let Some(dot) = domain.iter().position(|b| *b == b'.') else {
        return false;
    };
    let brand = &domain[..dot];
    if !WEBMAIL_BRANDS
        .iter()
        .any(|w| brand.eq_ignore_ascii_case(w.as_bytes()))
    {
        return false;
    }
    // `fr`, `co.jp` or `com.br`.
    let rest = &domain[dot + 1..];
    let (second, country) = match rest.iter().position(|b| *b == b'.') {
        None => (None, rest),
        Some(d) => (Some(&rest[..d]), &rest[d + 1..]),
    };
    let com = second.is_some_and(|l| l.eq_ignore_ascii_case(b"com"));
    if second.is_some_and(|l| !com && !l.eq_ignore_ascii_case(b"co")) || country.contains(&b'.') {
        return false;
    }
    // `.co` alone is a generic ending; `.com.co` is Colombia's.
    BRAND_COUNTRIES
        .iter()
        .any(|c| country.eq_ignore_ascii_case(c.as_bytes()))
        || com && country.eq_ignore_ascii_case(b"co")
}

/// Which list a domain of [`FREE_WEBMAIL`] or [`DISPOSABLE`] (or their version-2 additions) is
/// on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    FreeWebmail,
    Disposable,
}

/// The built-in lists in [`LISTED`]'s order, each with the version it came in.
const LISTS: [(&[&str], Listed, u32); 4] = [
    (FREE_WEBMAIL, Listed::FreeWebmail, 1),
    (DISPOSABLE, Listed::Disposable, 1),
    (FREE_WEBMAIL_2, Listed::FreeWebmail, 2),
    (DISPOSABLE_2, Listed::Disposable, 2),
];

/// How many domains [`LISTS`] holds.
const LISTED_COUNT: usize = {
    let mut n = 0;
    let mut l = 0;
    while l < LISTS.len() {
        n += LISTS[l].0.len();
        l += 1;
    }
    n
};

/// FNV-1a's offset basis: the hash of no bytes (see [`suffix_hash`]).
const SUFFIX_HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// One step of the hash of a domain read from its end (FNV-1a over the bytes in reverse order,
/// ASCII-lowercased): on one pass from the end of an address, the hash so far at each dot is
/// the hash of the suffix after it, so every suffix is looked up without hashing it again.
#[inline(always)]
const fn suffix_hash(h: u64, byte: u8) -> u64 {
    (h ^ byte.to_ascii_lowercase() as u64).wrapping_mul(0x0100_0000_01b3)
}

/// [`suffix_hash`] of a whole domain.
const fn domain_hash(domain: &str) -> u64 {
    let b = domain.as_bytes();
    let (mut h, mut i) = (SUFFIX_HASH_START, b.len());
    while i > 0 {
        i -= 1;
        h = suffix_hash(h, b[i]);
    }
    h
}

/// Slots of [`LISTED`]: about four times the listed domains, so a lookup of a domain not
/// listed (nearly every one) mostly finds an empty slot first.
const LISTED_SLOTS: usize = 1024;

/// The first slot of [`LISTED`] to try for a hash (linear probing after it).
#[inline(always)]
const fn listed_slot(h: u64) -> usize {
    (h >> 54) as usize % LISTED_SLOTS
}

/// [`LISTS`] as an open-addressing table by [`domain_hash`], built by the compiler: per slot
/// the hash and 1 + the domain's position in the lists (0: an empty slot). A domain and each
/// suffix of it after a dot cost one probe or two, where a `match` on the text cost a switch
/// on the length and a `memcmp` per suffix.
const LISTED: ([u64; LISTED_SLOTS], [u16; LISTED_SLOTS]) = {
    let mut hashes = [0u64; LISTED_SLOTS];
    let mut entries = [0u16; LISTED_SLOTS];
    let mut n = 0;
    while n < LISTED_COUNT {
        let h = domain_hash(listed_domain(n).0);
        let mut s = listed_slot(h);
        while entries[s] != 0 {
            s = (s + 1) % LISTED_SLOTS;
        }
        hashes[s] = h;
        entries[s] = (n + 1) as u16;
        n += 1;
    }
    assert!(n < LISTED_SLOTS / 2 && n < u16::MAX as usize);
    (hashes, entries)
};

/// The `n`th domain of [`LISTS`], its list and the version it came in.
const fn listed_domain(n: usize) -> (&'static str, Listed, u32) {
    let (mut l, mut n) = (0, n);
    while n >= LISTS[l].0.len() {
        n -= LISTS[l].0.len();
        l += 1;
    }
    (LISTS[l].0[n], LISTS[l].1, LISTS[l].2)
}

/// The list `domain` (any ASCII case) is on in lists of version `version`, given its
/// [`domain_hash`] `h`.
#[inline]
fn listed(domain: &[u8], h: u64, version: u32) -> Option<Listed> {
    let (hashes, entries) = &LISTED;
    let mut s = listed_slot(h);
    // The table is at most half full: an empty slot ends every probe.
    while entries[s] != 0 {
        if hashes[s] == h {
            let (listed, list, since) = listed_domain(usize::from(entries[s]) - 1);
            // The lists are lowercase ASCII: the same as comparing the lowercased domain.
            if domain.eq_ignore_ascii_case(listed.as_bytes()) {
                return (since <= version).then_some(list);
            }
        }
        s = (s + 1) % LISTED_SLOTS;
    }
    None
}

/// Whether `domain` is `listed` or a subdomain of it, ignoring ASCII case on both sides.
fn is_or_under(domain: &str, listed: &str) -> bool {
    let (d, l) = (domain.as_bytes(), listed.as_bytes());
    if l.is_empty() || d.len() < l.len() {
        return false;
    }
    let tail = d.len() - l.len();
    // The boundary first: one byte rules out most domains.
    (tail == 0 || d[tail - 1] == b'.') && d[tail..].eq_ignore_ascii_case(l)
}

/// The longest text the memos below keep (longer ones are computed every time).
const MEMO_KEY: usize = 96;

/// A one-entry, per-thread memo of a pure function of one short text (and of rules it also
/// depends on: an email column's [`EmailRules`]). Scoring asks the same question of one lead's
/// value up to three times (its features, its gates, the text of its factor), and
/// [`email_class`], [`seniority`] and [`parse_timestamp_cached`] each cost a few hundred to
/// 1,400 instructions a call (callgrind on the server's batch path), where a hit costs a
/// comparison of the text.
struct Memo<V, K> {
    key: [u8; MEMO_KEY],
    len: usize,
    /// The rules the value also depends on, compared by content.
    rules: K,
    value: Option<V>,
}

impl<V, K> Memo<V, K> {
    const fn new(rules: K) -> Self {
        Self {
            key: [0; MEMO_KEY],
            len: 0,
            rules,
            value: None,
        }
    }
}

/// The rules of an empty [`EMAIL_MEMO`]: version 0 is never a model's, so never a hit.
const NO_EMAIL_RULES: EmailRules = EmailRules {
    competitor_domains: Vec::new(),
    free_webmail_domains: Vec::new(),
    domain_lists: 0,
};

thread_local! {
    static EMAIL_MEMO: std::cell::RefCell<Memo<EmailClass, EmailRules>> =
        const { std::cell::RefCell::new(Memo::new(NO_EMAIL_RULES)) };
    static SENIORITY_MEMO: std::cell::RefCell<Memo<Seniority, ()>> =
        const { std::cell::RefCell::new(Memo::new(())) };
    static TIMESTAMP_MEMO: std::cell::RefCell<Memo<Option<i64>, ()>> =
        const { std::cell::RefCell::new(Memo::new(())) };
    static MDY_TIMESTAMP_MEMO: std::cell::RefCell<Memo<Option<i64>, ()>> =
        const { std::cell::RefCell::new(Memo::new(())) };
    static DMY_TIMESTAMP_MEMO: std::cell::RefCell<Memo<Option<i64>, ()>> =
        const { std::cell::RefCell::new(Memo::new(())) };
}

/// `compute()` for `text` and `rules`, or the value kept from the last call on this thread with
/// the same text and rules.
fn memoized<V: Copy + 'static, K: PartialEq + Clone + 'static>(
    memo: &'static std::thread::LocalKey<std::cell::RefCell<Memo<V, K>>>,
    text: &str,
    rules: &K,
    compute: impl FnOnce() -> V,
) -> V {
    if text.len() > MEMO_KEY {
        return compute();
    }
    let hit = memo
        .try_with(|m| {
            let m = m.try_borrow().ok()?;
            let same =
                m.len == text.len() && m.key[..m.len] == *text.as_bytes() && m.rules == *rules;
            m.value.filter(|_| same)
        })
        .ok()
        .flatten();
    if let Some(v) = hit {
        return v;
    }
    let v = compute();
    let _ = memo.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            if m.rules != *rules {
                m.rules.clone_from(rules);
            }
            m.key[..text.len()].copy_from_slice(text.as_bytes());
            m.len = text.len();
            m.value = Some(v);
        }
    });
    v
}

/// Classifies an email address (or a bare domain) by a column's rules (its lists' version and
/// the spec's competitor and free webmail domains).
///
/// Allocation-free: it runs per lead on the serving path.
pub fn email_class(email: &str, rules: &EmailRules) -> EmailClass {
    memoized(&EMAIL_MEMO, email, rules, || {
        email_class_uncached(rules.address(email), rules)
    })
}

/// The domain part of an email address (or a bare domain) as written, without a trailing dot,
/// when it is one: after the last `@` (with something before it), with a dot, without
/// whitespace. `None` is the class [`EmailClass::Invalid`].
///
/// Byte by byte (string searches cost ~450 instructions a call on the serving path), trimmed
/// only when an end byte could start whitespace, and searched for whitespace (as chars) only
/// when some byte could start it: a control, a space or a non-ASCII byte.
pub fn email_domain_part(email: &str) -> Option<&str> {
    let could_pad = |b: Option<&u8>| b.is_some_and(|b| *b <= b' ' || *b >= 0x80);
    let email = if could_pad(email.as_bytes().first()) || could_pad(email.as_bytes().last()) {
        email.trim()
    } else {
        email
    };
    // `@` and `.` are ASCII, so cutting at them keeps char boundaries.
    let domain = match email.bytes().rposition(|b| b == b'@') {
        Some(0) => return None,
        Some(at) => &email[at + 1..],
        None => email,
    };
    let d = domain.trim_end_matches('.');
    // One pass: a dot, and a byte that could start whitespace.
    let (mut dot, mut maybe_space) = (false, false);
    for &c in d.as_bytes() {
        dot |= c == b'.';
        maybe_space |= c <= b' ' || c >= 0x80;
    }
    (dot && !(maybe_space && d.contains(char::is_whitespace))).then_some(d)
}

/// [`email_class`] in one pass over the domain from its end (never over the part before the
/// `@`), as [`email_domain_part`] finds the domain, without lowercasing a copy: each dot ends
/// a suffix, looked up in [`LISTED`] by the hash of the bytes after it ([`suffix_hash`]), and
/// a label, checked for the education rules. The classes then take their order: invalid,
/// competitor, disposable (the domain or one it is under), free webmail (the domain itself:
/// listed, a brand's country domain from version 2, or the spec's), education, business. ASCII case is ignored; other bytes are compared as they are.
fn email_class_uncached(email: &str, rules: &EmailRules) -> EmailClass {
    let email = trimmed(email);
    let b = email.as_bytes();
    // The domain ends before any trailing dots (which are after the last `@`).
    let mut end = b.len();
    while end > 0 && b[end - 1] == b'.' {
        end -= 1;
    }
    let mut seen = DomainLabels {
        end,
        label_end: end,
        lists: rules.domain_lists,
        disposable: false,
        education: false,
    };
    let mut h = SUFFIX_HASH_START;
    let (mut dot, mut maybe_space) = (false, false);
    // Where the domain starts: after the last `@`, or the whole text without one.
    let mut start = 0;
    for (i, &c) in b[..end].iter().enumerate().rev() {
        // One test a byte for the few that need a look.
        if SPECIAL_IN_DOMAIN[usize::from(c)] {
            if c == b'@' {
                if i == 0 {
                    // Nothing before the `@`.
                    return EmailClass::Invalid;
                }
                start = i + 1;
                break;
            }
            if c == b'.' {
                dot = true;
                // `h` is the hash of `b[i + 1..end]`, a suffix of at least one byte.
                seen.dot(b, i, h);
            } else {
                maybe_space = true;
            }
        }
        h = suffix_hash(h, c);
    }
    // `@` and `.` are ASCII, so the cuts keep char boundaries.
    let domain = &email[start..end];
    if !dot || maybe_space && domain.contains(char::is_whitespace) {
        return EmailClass::Invalid;
    }
    let education =
        seen.education || education_label(&b[start..seen.label_end], true, seen.label_end == end);
    let disposable = seen.disposable;
    let whole = listed(domain.as_bytes(), h, rules.domain_lists);
    if rules
        .competitor_domains
        .iter()
        .any(|c| is_or_under(domain, trimmed(c)))
    {
        EmailClass::Competitor
    } else if disposable || whole == Some(Listed::Disposable) {
        EmailClass::Disposable
    } else if whole == Some(Listed::FreeWebmail)
        || rules.domain_lists >= 2 && brand_country_domain(domain.as_bytes())
        || rules
            .free_webmail_domains
            .iter()
            .any(|d| domain.eq_ignore_ascii_case(trimmed(d).trim_end_matches('.')))
    {
        EmailClass::FreeWebmail
    } else if education {
        EmailClass::Education
    } else {
        EmailClass::Business
    }
}

/// `text.trim()`, called only when an end byte could start whitespace (a control, a space, a
/// non-ASCII byte): the trim's char-by-char look costs more than the rest of a short domain.
#[inline]
fn trimmed(text: &str) -> &str {
    let could_pad = |b: Option<&u8>| b.is_some_and(|b| *b <= b' ' || *b >= 0x80);
    if could_pad(text.as_bytes().first()) || could_pad(text.as_bytes().last()) {
        text.trim()
    } else {
        text
    }
}

/// The bytes of a domain [`email_class_uncached`] stops at: `.`, `@`, and those that could
/// start whitespace (controls, the space, any non-ASCII byte).
const SPECIAL_IN_DOMAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c == b'.' as usize || c == b'@' as usize || c <= b' ' as usize || c >= 0x80;
        c += 1;
    }
    t
};

/// What [`email_class_uncached`] learns at the dots of a domain, read from its end.
struct DomainLabels {
    /// The end of the domain (its text is `b[..end]` from the `@` on).
    end: usize,
    /// The end of the label being read (the first one read is the last label).
    label_end: usize,
    /// The version of the built-in lists ([`EmailRules::domain_lists`]).
    lists: u32,
    /// A suffix after a dot is a disposable domain.
    disposable: bool,
    /// A label after the first makes it an education domain.
    education: bool,
}

impl DomainLabels {
    /// A dot at `b[i]`, with `h` the [`suffix_hash`] of the bytes after it up to the end.
    /// Kept out of line: the loop over the bytes stays small.
    #[inline(never)]
    fn dot(&mut self, b: &[u8], i: usize, h: u64) {
        let label = &b[i + 1..self.label_end];
        self.education |= education_label(label, false, self.label_end == self.end);
        self.disposable |= listed(&b[i + 1..self.end], h, self.lists) == Some(Listed::Disposable);
        self.label_end = i;
    }
}

/// Whether one label of a domain (any ASCII case), the `first` and/or the `last` of its
/// labels, makes it an education domain: the domain ends in `.edu`; has `edu`, `ac` or
/// `student` as an inner label (`x.edu.au`, `ox.ac.uk`, `mail.student.x.org`); or starts with
/// `student.` or `students.`.
#[inline]
fn education_label(label: &[u8], first: bool, last: bool) -> bool {
    match label.len() {
        2 => !first && !last && label.eq_ignore_ascii_case(b"ac"),
        3 => !first && label.eq_ignore_ascii_case(b"edu"),
        7 => !last && label.eq_ignore_ascii_case(b"student"),
        8 => first && !last && label.eq_ignore_ascii_case(b"students"),
        _ => false,
    }
}

/// Seniority inferred from a job title by keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seniority {
    /// Chief officers, founders, owners, presidents.
    CLevel,
    /// Vice presidents, heads of a function.
    Vp,
    /// Directors.
    Director,
    /// Managers and leads.
    Manager,
    /// Everyone else with a title.
    Individual,
    /// Students and interns.
    Student,
}

impl Seniority {
    /// Every class, in feature order.
    pub const ALL: [Seniority; 6] = [
        Self::CLevel,
        Self::Vp,
        Self::Director,
        Self::Manager,
        Self::Individual,
        Self::Student,
    ];

    /// A readable label used in feature names.
    pub fn label(self) -> &'static str {
        match self {
            Self::CLevel => "c-level",
            Self::Vp => "vp",
            Self::Director => "director",
            Self::Manager => "manager",
            Self::Individual => "individual",
            Self::Student => "student",
        }
    }

    /// Position in [`Seniority::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// Classifies a job title by keywords ("Sr. VP, Sales" -> vp; "Founder & CEO" -> c-level).
pub fn seniority(title: &str) -> Seniority {
    memoized(&SENIORITY_MEMO, title, &(), || seniority_uncached(title))
}

/// [`seniority`] computed. An ASCII title up to [`TITLE_BUFFER`] bytes is copied once into a
/// zero-padded buffer and looked at eight bytes at a time for its letters and digits
/// ([`word_bytes`]); each run of them is a word, whose key ([`word_key`]) comes from the buffer
/// in one or two loads and is looked up in [`KEYWORDS`]' table. Byte by byte, a title cost
/// ~20 instructions a byte. Other titles take the general path, which reads an ASCII title
/// alike.
fn seniority_uncached(title: &str) -> Seniority {
    let b = title.as_bytes();
    if b.len() > TITLE_BUFFER || !b.is_ascii() {
        return seniority_of_any_text(title);
    }
    // Past the title: zeros (not letters) and room for a word key's loads.
    let mut buf = [0u8; TITLE_BUFFER + 16];
    buf[..b.len()].copy_from_slice(b);
    // Bit `i` set: `buf[i]` is an ASCII letter or digit.
    let mut letters = 0u64;
    for (k, chunk) in buf[..b.len().div_ceil(8) * 8].chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        letters |= word_bytes(u64::from_le_bytes(w)) << (8 * k);
    }
    let mut words = Words::default();
    while letters != 0 {
        let start = letters.trailing_zeros() as usize;
        // `len` >= 1; the run ends at the first clear bit (bit 64 counts as clear).
        let len = (!(letters >> start)).trailing_zeros() as usize;
        words.add_from(&buf, start, len);
        letters &= !((u64::MAX >> (64 - len)) << start);
    }
    words.seniority()
}

/// The longest title [`seniority_uncached`] reads on its fast path: one bit a byte in a `u64`
/// (a job title is rarely longer than 50 bytes).
const TITLE_BUFFER: usize = 64;

/// Which of the eight bytes of `x` (ASCII, little-endian) are letters or digits: bit `i` for
/// byte `i`. Each byte's range checks are done at once by adding to all eight (a byte below
/// 0x80 plus at most 0x7f carries into no other) and reading each byte's top bit.
#[inline(always)]
fn word_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Top bit of each byte: that byte of `x` lies in `lo..=hi`.
    let within = |x: u64, lo: u8, hi: u8| {
        x.wrapping_add(ONES * u64::from(0x80 - lo))
            & !x.wrapping_add(ONES * u64::from(0x7f - hi))
            & (ONES * 0x80)
    };
    // `| 0x20` lowercases a letter, and makes no other byte a lowercase letter.
    let tops = within(x | (ONES * 0x20), b'a', b'z') | within(x, b'0', b'9');
    // Byte `i`'s top bit to bit `i`.
    (tops >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// [`seniority`] of any text. Unicode lowercasing can turn a non-ASCII letter into an ASCII
/// one (the Kelvin sign into `k`), and a word is a run of Unicode letters and digits.
#[cold]
fn seniority_of_any_text(title: &str) -> Seniority {
    let mut words = Words::default();
    let lower = title.to_lowercase();
    for w in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words.add(word_key(w), w.as_bytes());
    }
    words.seniority()
}

/// A word's first 16 bytes, ASCII-lowercased, as a number (byte `i` at bits `8i`): the same
/// number for the same word up to 16 bytes (keywords are at most [`Words::LONGEST`]), so a
/// keyword is found by one comparison of numbers, without `memcmp`.
const fn word_key(word: &str) -> u128 {
    let b = word.as_bytes();
    let (mut k, mut i) = (0u128, 0);
    while i < b.len() && i < 16 {
        k |= (b[i].to_ascii_lowercase() as u128) << (8 * i);
        i += 1;
    }
    k
}

/// The keyword groups of [`Words`] (`None`: an empty slot of [`KEYWORD_TABLE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    None,
    Student,
    Chief,
    CLevel,
    Vice,
    Vp,
    Director,
    Manager,
}

/// The job-title keywords and their groups (a word of a title matches one whole, ignoring
/// ASCII case; `undergrad` also starts a word: [`Words::add`]).
const KEYWORDS: [(&str, Keyword); 33] = [
    ("student", Keyword::Student),
    ("intern", Keyword::Student),
    ("internship", Keyword::Student),
    ("trainee", Keyword::Student),
    ("chief", Keyword::Chief),
    ("ceo", Keyword::CLevel),
    ("cto", Keyword::CLevel),
    ("cfo", Keyword::CLevel),
    ("coo", Keyword::CLevel),
    ("cmo", Keyword::CLevel),
    ("cio", Keyword::CLevel),
    ("cro", Keyword::CLevel),
    ("cso", Keyword::CLevel),
    ("cpo", Keyword::CLevel),
    ("founder", Keyword::CLevel),
    ("cofounder", Keyword::CLevel),
    ("owner", Keyword::CLevel),
    ("president", Keyword::CLevel),
    ("partner", Keyword::CLevel),
    ("vice", Keyword::Vice),
    ("vp", Keyword::Vp),
    ("svp", Keyword::Vp),
    ("evp", Keyword::Vp),
    ("head", Keyword::Vp),
    ("director", Keyword::Director),
    ("directeur", Keyword::Director),
    ("dir", Keyword::Director),
    ("manager", Keyword::Manager),
    ("lead", Keyword::Manager),
    ("supervisor", Keyword::Manager),
    ("mgr", Keyword::Manager),
    ("principal", Keyword::Manager),
    ("undergrad", Keyword::None),
];

/// Slots of [`KEYWORD_TABLE`]: four times the keywords, so most words, which are none, find
/// an empty slot first.
const KEYWORD_SLOTS: usize = 128;

/// The first slot of [`KEYWORD_TABLE`] to try for a [`word_key`] (linear probing after it).
#[inline(always)]
const fn keyword_slot(key: u128) -> usize {
    let folded = (key as u64) ^ ((key >> 64) as u64);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 57) as usize % KEYWORD_SLOTS
}

/// [`KEYWORDS`] (but `undergrad`, a prefix) as an open-addressing table by [`word_key`], built
/// by the compiler.
const KEYWORD_TABLE: ([u128; KEYWORD_SLOTS], [Keyword; KEYWORD_SLOTS]) = {
    let mut keys = [0u128; KEYWORD_SLOTS];
    let mut groups = [Keyword::None; KEYWORD_SLOTS];
    let mut n = 0;
    while n < KEYWORDS.len() {
        let (word, group) = KEYWORDS[n];
        if !matches!(group, Keyword::None) {
            assert!(word.len() <= Words::LONGEST);
            let key = word_key(word);
            let mut s = keyword_slot(key);
            while !matches!(groups[s], Keyword::None) {
                s = (s + 1) % KEYWORD_SLOTS;
            }
            keys[s] = key;
            groups[s] = group;
        }
        n += 1;
    }
    (keys, groups)
};

/// The group of a word up to [`Words::LONGEST`] bytes by its [`word_key`].
#[inline]
fn keyword(key: u128) -> Keyword {
    let (keys, groups) = &KEYWORD_TABLE;
    let mut s = keyword_slot(key);
    // The table is at most a quarter full: an empty slot ends every probe.
    while groups[s] != Keyword::None {
        if keys[s] == key {
            return groups[s];
        }
        s = (s + 1) % KEYWORD_SLOTS;
    }
    Keyword::None
}

/// The c-level keywords (in [`KEYWORDS`] too; a test checks both).
#[cfg(test)]
const C_LEVEL_WORDS: [&str; 14] = [
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cmo",
    "cio",
    "cro",
    "cso",
    "cpo",
    "founder",
    "cofounder",
    "owner",
    "president",
    "partner",
];

/// Which keyword groups a title's words hit, in order.
#[derive(Default)]
struct Words {
    student: bool,
    chief: bool,
    c_level: bool,
    vice: bool,
    vp: bool,
    director: bool,
    manager: bool,
    /// The last of the student and manager words seen was a manager word (`Student Success
    /// Manager`; `Lead Intern` is a student).
    manager_last: bool,
    /// The word before was `v` (`V.P.`, `S.V.P.` split into letters).
    after_v: bool,
}

impl Words {
    /// The longest keyword (`internship`, `supervisor`), in bytes.
    const LONGEST: usize = 10;

    /// [`Words::add`] of the word of `len` ASCII letters and digits at `buf[start..]`, which
    /// has at least 16 bytes from `start`: its [`word_key`] in two loads, lowercased and cut
    /// to the word by masks (`| 0x20` lowercases an ASCII letter and keeps a digit).
    #[inline]
    fn add_from(&mut self, buf: &[u8], start: usize, len: usize) {
        let word = &buf[start..start + len];
        if len > Self::LONGEST {
            // Too long for a keyword; `undergrad` may start it.
            self.add(0, word);
            return;
        }
        let load = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&buf[at..at + 8]);
            u64::from_le_bytes(w) | 0x2020_2020_2020_2020
        };
        // The low `bytes` bytes (1 to 8).
        let mask = |bytes: usize| u64::MAX >> (64 - 8 * bytes);
        let key = if len <= 8 {
            u128::from(load(start) & mask(len))
        } else {
            u128::from(load(start)) | u128::from(load(start + 8) & mask(len - 8)) << 64
        };
        self.add(key, word);
    }

    /// Notes the keyword group of one word, given its [`word_key`] (any key for a word longer
    /// than [`Words::LONGEST`]).
    #[inline]
    fn add(&mut self, key: u128, word: &[u8]) {
        let after_v = std::mem::replace(&mut self.after_v, word.eq_ignore_ascii_case(b"v"));
        if after_v && word.eq_ignore_ascii_case(b"p") {
            self.vp = true;
            return;
        }
        if word.len() > Self::LONGEST - 2 {
            if word.len() >= 9 && word[..9].eq_ignore_ascii_case(b"undergrad") {
                self.student = true;
                self.manager_last = false;
                return;
            }
            if word.len() > Self::LONGEST {
                return;
            }
        }
        match keyword(key) {
            Keyword::Student => {
                self.student = true;
                self.manager_last = false;
            }
            Keyword::Chief => self.chief = true,
            Keyword::CLevel => self.c_level = true,
            Keyword::Vice => self.vice = true,
            Keyword::Vp => self.vp = true,
            Keyword::Director => self.director = true,
            Keyword::Manager => {
                self.manager = true;
                self.manager_last = true;
            }
            Keyword::None => {}
        }
    }

    /// The most senior group hit, but that a student word outranks a manager word written
    /// before it: an executive's or a director's title that names students is theirs (`VP of
    /// Student Recruitment`, `Director of Student Affairs`, `Chief Student Officer`), and of a
    /// student word and a manager word the later one, a title's head noun, decides (`Student
    /// Success Manager` is a manager, `Lead Intern` a student).
    fn seniority(&self) -> Seniority {
        if self.chief || (self.c_level && !self.vice) {
            Seniority::CLevel
        } else if self.vp || self.vice {
            Seniority::Vp
        } else if self.director {
            Seniority::Director
        } else if self.student && !(self.manager && self.manager_last) {
            Seniority::Student
        } else if self.manager {
            Seniority::Manager
        } else {
            Seniority::Individual
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_float32_reads_as_the_decimal_it_was_written_as() {
        for (x, want) in [
            (0.1f32, 0.1f64),
            (0.3, 0.3),
            (-2.675, -2.675),
            (16_777_216.0, 16_777_216.0),
            (3.402_823_5e38, 3.402_823_5e38),
            (1e-45, 1e-45),
            (0.0, 0.0),
        ] {
            assert_eq!(f32_as_written(x), want, "{x}");
        }
        assert!(f32_as_written(-0.0).is_sign_negative());
        assert!(f32_as_written(f32::NAN).is_nan());
        assert_eq!(f32_as_written(f32::INFINITY), f64::INFINITY);
    }

    /// A moment of scoring: a time as written, or Unix seconds or milliseconds from 2000 to
    /// 2100; nothing before 1970, no other number.
    #[test]
    fn a_moment_of_scoring_as_text_or_unix_digits() {
        let t = parse_timestamp("2025-06-08T10:00:00Z").unwrap();
        for text in [
            "2025-06-08T10:00:00Z",
            "1749376800",
            " 1749376800 ",
            "1749376800000",
            "1749376800999",
            "1749376800.5",
            "1749376800999.9",
        ] {
            assert_eq!(parse_as_of(text), Some(t), "{text:?}");
        }
        for text in [
            "",
            "123",
            "2025",
            "946684799",
            "4102444801",
            "17493768001",
            "-1749376800",
            "1749376800.",
            ".5",
            "1e9",
            "1969-12-31",
            "4102444800500",
        ] {
            assert_eq!(parse_as_of(text), None, "{text:?}");
        }
    }

    /// A lead's creation time: a timestamp, or Unix seconds or milliseconds as a number or
    /// digits, read down to the second; other numbers are no time.
    #[test]
    fn a_creation_time_as_text_or_unix_time() {
        let t = parse_timestamp("2025-06-01T09:30:00Z").unwrap();
        for v in [
            FieldValue::Text("2025-06-01T09:30:00Z"),
            FieldValue::Text("1748770200"),
            FieldValue::Text(" 1748770200999 "),
            FieldValue::Number(1_748_770_200.0),
            FieldValue::Number(1_748_770_200.7),
            FieldValue::Number(1_748_770_200_123.0),
            // A spreadsheet's serial date: days since 1899-12-30, the time of day as a
            // fraction (09:30:00 is 0.395833...; read down to the second).
            FieldValue::Number(45_809.395_833_34),
            FieldValue::Text("45809.39583334"),
        ] {
            assert_eq!(field_time(v, DateOrder::Iso), Some(t), "{v:?}");
        }
        // Every second of a day written as a serial date as precisely as a float holds it
        // reads as that second, down (a lead's time) and up (an event's): the day's fraction
        // times 86,400 lands a hair off the whole second for about a third of them.
        let midnight = t - 34_200;
        for second in 0..86_400i64 {
            let serial = 45_809.0 + second as f64 / 86_400.0;
            let text = serial.to_string();
            assert_eq!(unix_time_of(serial), Some(midnight + second), "{text}");
            assert_eq!(
                unix_event_time_of(serial),
                Some(midnight + second),
                "{text}"
            );
            let written: f64 = text.parse().unwrap();
            assert_eq!(unix_time_of(written), Some(midnight + second), "{text}");
        }
        // The units never overlap, each read only from 2000 to 2100.
        assert_eq!(EpochUnit::of(36_526.0), Some(EpochUnit::SerialDays));
        assert_eq!(EpochUnit::of(73_051.0), Some(EpochUnit::SerialDays));
        assert_eq!(EpochUnit::of(36_525.9), None);
        assert_eq!(EpochUnit::of(73_051.1), None);
        assert_eq!(EpochUnit::of(1_748_770_200.0), Some(EpochUnit::Seconds));
        assert_eq!(
            EpochUnit::of(1_748_770_200_000.0),
            Some(EpochUnit::Milliseconds)
        );
        assert_eq!(
            field_time(FieldValue::Number(45_809.0), DateOrder::Iso),
            Some(t - 34_200)
        );
        for v in [
            FieldValue::Number(3.0),
            FieldValue::Number(-1_748_770_200.0),
            FieldValue::Number(f64::NAN),
            FieldValue::Text("12"),
            FieldValue::Bool(true),
            FieldValue::Missing,
        ] {
            assert_eq!(field_time(v, DateOrder::Iso), None, "{v:?}");
        }
    }

    /// An event's time in a request: ISO text, or Unix seconds or milliseconds as digits or a
    /// number, a fraction of a second rounded up (as training reads an events column of them,
    /// and as an ISO time's fraction rounds up); no other number.
    #[test]
    fn an_event_time_as_text_or_unix_time() {
        let t = parse_timestamp("2025-06-01T09:30:00Z").unwrap();
        for text in [
            "2025-06-01T09:30:00Z",
            "2025-06-01T09:29:59.2Z",
            "1748770200",
            " 1748770200000 ",
            "1748770199001",
        ] {
            assert_eq!(parse_event_time(text), Some(t), "{text:?}");
        }
        for x in [1_748_770_200.0, 1_748_770_199.5, 1_748_770_199_999.0] {
            assert_eq!(unix_event_time_of(x), Some(t), "{x}");
        }
        assert_eq!(
            unix_time_of(1_748_770_199.5),
            Some(t - 1),
            "a scoring time rounds down"
        );
        assert_eq!(parse_event_time("1748770199.5"), Some(t));
        for text in [
            "",
            "123",
            "946684799",
            "-1748770200",
            "1748770200.",
            "1e9",
            "1,748,770,200",
        ] {
            assert_eq!(parse_event_time(text), None, "{text:?}");
        }
        for x in [5.0, -1_748_770_200.0, f64::NAN, f64::INFINITY] {
            assert_eq!(unix_event_time_of(x), None, "{x}");
        }
    }

    /// A multi-select value's options: split, trimmed, empty parts skipped, a number or a
    /// boolean one option; `selections` keeps each once, in order.
    #[test]
    fn options_of_a_multi_select_value() {
        let all = |v: FieldValue<'_>, sep: &str| {
            let mut out = Vec::new();
            let n = for_each_selection(v, sep, |o| out.push(o.to_string()));
            assert_eq!(n, out.len());
            out
        };
        assert_eq!(
            all(FieldValue::Text(" Pricing ;; Webinars;Pricing; "), ";"),
            ["Pricing", "Webinars", "Pricing"]
        );
        assert_eq!(
            selections(FieldValue::Text(" Pricing ;; Webinars;Pricing; "), ";"),
            ["Pricing", "Webinars"]
        );
        assert_eq!(all(FieldValue::Text("a || b|c"), "||"), ["a", "b|c"]);
        assert!(all(FieldValue::Text(" ; ;"), ";").is_empty());
        assert!(all(FieldValue::Missing, ";").is_empty());
        assert_eq!(all(FieldValue::Number(3.0), ";"), ["3"]);
        assert_eq!(all(FieldValue::Bool(true), ";"), ["true"]);
    }

    /// An event's fraction of a second rounds its time up; a zero fraction, a date with dots
    /// and the seconds' own digits do not.
    #[test]
    fn an_events_fraction_of_a_second_rounds_it_up() {
        let base = parse_timestamp("2025-06-08T10:00:00Z").unwrap();
        for (text, want) in [
            ("2025-06-08T10:00:00.900Z", base + 1),
            ("2025-06-08T10:00:00.001Z", base + 1),
            ("2025-06-08 10:00:00.5", base + 1),
            ("2025-06-08T12:00:00.25+02:00", base + 1),
            ("2025-06-08T10:00:00.000Z", base),
            ("2025-06-08T10:00:00Z", base),
            ("2025-06-08T10:00Z", base),
        ] {
            assert_eq!(parse_event_time(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_event_time("2025.6.8 10:00"),
            parse_timestamp("2025.6.8 10:00")
        );
        assert_eq!(parse_event_time("not a time"), None);
        // A day without its time is known from its last second: an afternoon's event must not
        // count for a lead scored that morning.
        let day = parse_timestamp("2025-06-08").unwrap();
        for text in ["2025-06-08", "2025/06/08", "Jun 8, 2025", "20250608T2359Z"] {
            let want = if text.contains('T') {
                day + 86_340
            } else {
                day + 86_399
            };
            assert_eq!(parse_event_time(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_event_time_as("6/8/2025", DateOrder::Mdy),
            Some(day + 86_399)
        );
        // Other times (a creation, a date field) stay at midnight.
        assert_eq!(parse_timestamp("2025-06-08"), Some(day));
    }

    #[test]
    fn numbers_with_a_decimal_comma() {
        for (text, want) in [
            ("12,5", 12.5),
            (" -3,25 ", -3.25),
            ("1.234,5", 1234.5),
            ("1.234.567", 1_234_567.0),
            ("€ 1.200,50", 1200.5),
            ("45,5%", 45.5),
            ("12", 12.0),
            ("1e5", 1e5),
            ("1,5e3", 1500.0),
            (",5", 0.5),
        ] {
            assert_eq!(parse_decimal_comma_number(text), Some(want), "{text:?}");
            assert_eq!(parse_number_as(text, true), Some(want), "{text:?}");
        }
        // `0.139` is no thousands group (a ratio written with a decimal point in a
        // decimal-comma file): not a number here, where it read as 139.
        for text in [
            "1.5", "1.23,4", "12,5,1", "1,2.3", "abc", "", "0.139", "-0.500", "00.123",
        ] {
            assert_eq!(parse_decimal_comma_number(text), None, "{text:?}");
        }
        // Nor in the other reading: `0,139` is 0.139 with a decimal comma, not 139.
        for text in ["0,139", "-0,500", "0 139", "0,12,345", "$0,139"] {
            assert_eq!(parse_number(text), None, "{text:?}");
        }
        assert_eq!(parse_number("0.139"), Some(0.139));
        assert_eq!(parse_number("10,139"), Some(10139.0));
        // The other reading is unchanged.
        assert_eq!(parse_number_as("1,234", false), Some(1234.0));
        assert_eq!(parse_number_as("1,234", true), Some(1.234));
        assert_eq!(parse_number_as("12,5", false), None);
    }

    #[test]
    fn plain_integers_read_as_the_parser_reads_them() {
        let reference = |text: &str| {
            let t = text.trim();
            t.parse::<f64>().ok().or_else(|| parse_formatted_number(t))
        };
        let mut texts: Vec<String> = [
            "",
            " ",
            "0",
            "00",
            "-0",
            "+0",
            "-1",
            "+7",
            "1984",
            " 1984 ",
            "\t12\n",
            "1e3",
            "1.0",
            "1,234",
            "$12",
            "45%",
            "\u{a0}12",
            "12\u{3000}",
            "nan",
            "inf",
            "0x10",
            "١٢",
            "999999999999999",
            "9999999999999999",
            "9007199254740993",
            "12345678901234567890",
            "000000000000000000001",
        ]
        .map(String::from)
        .to_vec();
        let mut x = 1u64;
        for digits in 1..=20 {
            for _ in 0..200 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let s = (x >> 1).to_string();
                texts.push(s[..digits.min(s.len())].to_string());
            }
        }
        for n in 0..20_000u64 {
            texts.push(n.to_string());
        }
        let csv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/demo/leads.csv"
        ))
        .unwrap();
        texts.extend(csv.lines().flat_map(|l| l.split(',').map(String::from)));
        for t in &texts {
            assert_eq!(
                parse_number(t).map(f64::to_bits),
                reference(t).map(f64::to_bits),
                "{t:?}"
            );
        }
    }

    #[test]
    fn numbers_formatted_for_people() {
        for (text, want) in [
            ("12", 12.0),
            (" -3.5 ", -3.5),
            ("1e3", 1000.0),
            ("$1,200.50", 1200.5),
            ("$1200", 1200.0),
            ("-$40", -40.0),
            ("$-40", -40.0),
            ("+$.50", 0.5),
            ("€ 90", 90.0),
            ("£1,000,000", 1e6),
            ("¥300", 300.0),
            ("1,234", 1234.0),
            ("-12,345,678.25", -12_345_678.25),
            ("45%", 45.0),
            (" 45 % ", 45.0),
            ("-2.5%", -2.5),
            ("1,234.5%", 1234.5),
            // Accountants' negatives, currencies after the digits or as codes, spaces between
            // thousands, as CRM and spreadsheet exports write them.
            ("(1,234.00)", -1234.0),
            ("($40)", -40.0),
            ("(250)", -250.0),
            ("90 €", 90.0),
            ("1,200.50€", 1200.5),
            ("USD 16,166.04", 16_166.04),
            ("USD16166", 16_166.0),
            ("16166 EUR", 16_166.0),
            ("-GBP 5", -5.0),
            ("1 234", 1234.0),
            ("16 166 000", 16_166_000.0),
            ("1\u{a0}234.5", 1234.5),
            ("$ 1 200", 1200.0),
            ("(5%)", -5.0),
            // Rupees and the Indian grouping; the typeset minus sign.
            ("₹64,173.56", 64_173.56),
            ("Rs. 84,796", 84_796.0),
            ("Rs 500", 500.0),
            ("1,20,000", 120_000.0),
            ("12,34,56,789", 123_456_789.0),
            ("₹ 1,00,00,000", 1e7),
            ("\u{2212}3", -3.0),
            ("\u{2212}$1,200.50", -1200.5),
            // Dollars that name their country; Swiss apostrophes; magnitudes.
            ("US$1,380", 1380.0),
            ("C$ 2,500.75", 2500.75),
            ("A$90", 90.0),
            ("R$ 40", 40.0),
            ("5 US$", 5.0),
            ("1 380 kr", 1380.0),
            ("kr. 40", 40.0),
            ("1'234'567.50", 1_234_567.5),
            ("1\u{2019}383", 1383.0),
            ("6.5K", 6500.0),
            ("$12k", 12_000.0),
            ("12.0k", 12_000.0),
            ("$1.2M", 1_200_000.0),
            ("$3MM", 3_000_000.0),
            ("$2bn", 2e9),
            ("1.5B", 1.5e9),
            ("-$0.3M", -300_000.0),
            ("1.2M USD", 1_200_000.0),
            ("(2.5K)", -2500.0),
            ("$1,200K", 1_200_000.0),
            (".5K", 500.0),
        ] {
            assert_eq!(parse_number(text), Some(want), "{text:?}");
        }
        // With a decimal comma: `16.166,04 €` and `16 166,04 €`.
        assert_eq!(parse_decimal_comma_number("16.166,04 €"), Some(16_166.04));
        assert_eq!(parse_decimal_comma_number("16 166,04 €"), Some(16_166.04));
        // A sign's own dot is no separator (Danish kroner, rupees).
        assert_eq!(parse_decimal_comma_number("kr. 8.412,11"), Some(8_412.11));
        assert_eq!(parse_decimal_comma_number("8.412,11 kr."), Some(8_412.11));
        assert_eq!(parse_decimal_comma_number("Rs. 1.234"), Some(1_234.0));
        for text in [
            "",
            "$",
            "%",
            "$-",
            "-",
            "--5",
            "-$-5",
            "12,5",
            "1,2345",
            ",123",
            "1,,234",
            "1,234,5",
            "1.2.3",
            "$1,234%",
            "$45%",
            "12 cats",
            "1-10",
            "$1e5",
            "5%%",
            "$$5",
            "x5",
            "1,234.",
            ".",
            "12 34",
            "1 2345",
            "1,234 567",
            "()",
            "(-5)",
            "((5))",
            "(x)",
            "$40 USD",
            "USD",
            "USDA 5",
            "5 USDA",
            "EUR%",
            "1,20,00",
            "123,45,678",
            "1,2,000",
            "\u{2212}",
            "\u{2212}-3",
            "Rs",
            "Mrs 5",
            "K",
            "$M",
            "5KK",
            "5 K",
            "5K%",
            "5m",
            "5b",
            "12M",
            "5K",
            "2B",
            "2bn",
            "5mn",
            "1,200K",
            "2B3",
            "3A",
            "1'23",
            "12'345'67",
            "US$",
            "5 U$",
        ] {
            assert_eq!(parse_number(text), None, "{text:?}");
        }
        // A plain number is Rust's reading, not this one's.
        assert_eq!(parse_formatted_number("12"), None);
        assert!(parse_number("inf").is_some_and(f64::is_infinite));
    }

    #[test]
    fn dates_with_the_year_last_read_in_their_order() {
        use DateOrder::{Dmy, Iso, Mdy};
        let at = |t: &str| parse_timestamp(t).unwrap();
        for (text, order, want) in [
            ("12/31/2023", Mdy, "2023-12-31T00:00:00Z"),
            ("12/31/2023 10:00 AM", Mdy, "2023-12-31T10:00:00Z"),
            ("12/31/2023, 12:05 am", Mdy, "2023-12-31T00:05:00Z"),
            ("1/2/2024 12:00 PM", Mdy, "2024-01-02T12:00:00Z"),
            ("1/2/2024 11:59:30PM", Mdy, "2024-01-02T23:59:30Z"),
            ("01-02-24 14:05", Mdy, "2024-01-02T14:05:00Z"),
            ("1/2/2024", Dmy, "2024-02-01T00:00:00Z"),
            ("31.12.2023 23:59:59.750", Dmy, "2023-12-31T23:59:59Z"),
            ("29/02/2024", Dmy, "2024-02-29T00:00:00Z"),
            ("31/12/99", Dmy, "1999-12-31T00:00:00Z"),
            // ISO text reads the same in every order.
            ("2023-12-31 10:00:00", Mdy, "2023-12-31T10:00:00Z"),
            // Year first with slashes or dots reads the same in every order, ISO's too.
            ("2023/12/31 10:00", Iso, "2023-12-31T10:00:00Z"),
            ("2024.1.2", Dmy, "2024-01-02T00:00:00Z"),
            ("2024/01/02 1:05:09 PM", Mdy, "2024-01-02T13:05:09Z"),
            ("2023-12-31T10:00:00+02:00", Dmy, "2023-12-31T08:00:00Z"),
        ] {
            assert_eq!(parse_timestamp_as(text, order), Some(at(want)), "{text:?}");
            assert_eq!(
                parse_timestamp_cached_as(text, order),
                Some(at(want)),
                "{text:?}"
            );
        }
        for (text, order) in [
            ("12/31/2023", Iso),
            ("12/31/2023", Dmy),
            ("31/12/2023", Mdy),
            ("29/02/2023", Dmy),
            ("1/2/2024 13:00 PM", Mdy),
            ("1/2/2024 0:00 AM", Mdy),
            ("1/2/2024 24:00", Mdy),
            ("1/2/2024 10:60", Mdy),
            ("1/2/2024 10", Mdy),
            ("1/2-2024", Mdy),
            ("1/2/20245", Mdy),
            ("1/2/024", Mdy),
            ("100/2/2024", Mdy),
            ("1.5", Dmy),
            ("12,5", Dmy),
            ("1/2/2024 10:00 IST", Mdy),
            ("2024/13/01", Iso),
            ("2024/1", Iso),
            ("2024/1/2/3", Iso),
            ("2024.5", Iso),
            ("12345.5", Iso),
        ] {
            assert_eq!(parse_timestamp_as(text, order), None, "{text:?} {order:?}");
        }
        // A day above 12 decides; a column without one does not.
        let decided = |v: &[&str]| DateOrderEvidence::of(v.iter().copied()).decided();
        assert_eq!(decided(&["1/2/2024", "12/31/2023 10:00 AM"]), Some(Mdy));
        assert_eq!(decided(&["1/2/2024", "31/12/2023"]), Some(Dmy));
        assert_eq!(decided(&["1/2/2024", "3/4/2024"]), None);
        assert_eq!(decided(&["12/31/2023", "31/12/2023"]), None);
        assert_eq!(decided(&["2024-01-02", "abc"]), None);
        let e = DateOrderEvidence::of(["1/2/2024", "12/31/2023", "x"]);
        assert_eq!((e.month_first, e.day_first, e.either), (2, 1, 2));
    }

    #[test]
    fn dates_written_with_the_month_name() {
        let day = parse_timestamp("2023-11-24").unwrap();
        let ten = parse_timestamp("2023-11-24T10:00:00Z").unwrap();
        for t in [
            "Nov 24, 2023",
            "nov 24 2023",
            "November 24, 2023",
            "November 24th, 2023",
            "Nov. 24, 2023",
            "24 Nov 2023",
            "24 November 2023",
            "24-Nov-2023",
            "24-NOV-23",
            "Friday, November 24, 2023",
            "  Nov 24, 2023 ",
        ] {
            assert_eq!(parse_timestamp(t), Some(day), "{t}");
            for order in [DateOrder::Mdy, DateOrder::Dmy] {
                assert_eq!(parse_timestamp_as(t, order), Some(day), "{t}");
            }
        }
        for t in [
            "Nov 24, 2023 10:00 AM",
            "Nov 24, 2023 10:00:00",
            "Nov 24, 2023, 10:00 am",
            "24 Nov 2023 10:00",
            "24-Nov-2023 10:00:00",
            "Fri, 24 Nov 2023 10:00:00 +0000",
            "Fri, 24 Nov 2023 05:00:00 -0500",
            "Fri, 24 Nov 2023 15:30:00 +05:30",
            "Fri, 24 Nov 2023 10:00:00 GMT",
            "Nov 24, 2023 10:00 AM UTC",
            "24 Nov 2023 10:00:00 Z",
        ] {
            assert_eq!(parse_timestamp(t), Some(ten), "{t}");
        }
        // As programs print a date by default: Java's and C's `toString`/`asctime` (the clock
        // before the year), JavaScript's (a bracketed zone name after the offset).
        for t in [
            "Fri Nov 24 10:00:00 UTC 2023",
            "Fri Nov 24 10:00:00 GMT 2023",
            "Fri Nov 24 02:00:00 PST 2023",
            "Fri Nov 24 11:00:00 CET 2023",
            "Fri Nov 24 10:00:00 2023",
            "Nov 24 10:00:00 2023",
            "Fri Nov 24 2023 10:00:00 GMT+0000 (Coordinated Universal Time)",
            "Fri Nov 24 2023 11:00:00 GMT+0100 (Central European Standard Time)",
            "Fri Nov 24 2023 05:00:00 GMT-0500 (Eastern Standard Time)",
        ] {
            assert_eq!(parse_timestamp(t), Some(ten), "{t}");
        }
        // An event's fraction of a second rounds up, as for ISO text.
        assert_eq!(
            parse_event_time("Fri, 24 Nov 2023 10:00:00.5 +0000"),
            Some(ten + 1)
        );
        for t in [
            "Nov 31, 2023",
            "Feb 29, 2023",
            "Nov 2023",
            "Nov 24",
            "Nov 24, 23",
            "24 Nov 20234",
            "Nov 24, 2023 25:00",
            "Nov 24, 2023 10:00 XYZ",
            "Nov 24, 2023 10:00 +9999",
            "Novem 24, 2023",
            "Fri Nov 24 2023 10:00:00 GMT+0000 (Coordinated Universal Time",
            "Fri Nov 24 2023 10:00:00 (Coordinated Universal Time)",
            "Fri Nov 24 10:00:00 XYZ 2023",
            "Fri Nov 24 10:00:00 UTC 23",
            "Fri Nov 24 UTC 2023",
            "24 Nov 2023 - 30 Nov 2023",
            "Monday",
            "Mayor 5 2023",
            "Nov 0, 2023",
        ] {
            assert_eq!(parse_timestamp(t), None, "{t}");
        }
        assert_eq!(
            parse_timestamp("Feb 29, 2024"),
            parse_timestamp("2024-02-29")
        );
        assert_eq!(
            parse_timestamp("Sept 1, 2024"),
            parse_timestamp("2024-09-01")
        );
        // The day as written, before the zone (the 25th in UTC).
        let day_of = |t: &str| parse_timestamp(t).map(|s| s.div_euclid(86_400));
        assert_eq!(
            month_name_written_day("Fri, 24 Nov 2023 22:00:00 -0800"),
            day_of("2023-11-24")
        );
        assert_eq!(
            day_of("Fri, 24 Nov 2023 22:00:00 -0800"),
            day_of("2023-11-25")
        );
        assert_eq!(
            month_name_written_day("Nov 24, 2023 UTC"),
            day_of("2023-11-24")
        );
        for t in [
            "Fri Nov 24 22:00:00 PST 2023",
            "Fri Nov 24 2023 22:00:00 GMT-0800 (Pacific Standard Time)",
        ] {
            assert_eq!(month_name_written_day(t), day_of("2023-11-24"), "{t}");
            assert_eq!(day_of(t), day_of("2023-11-25"), "{t}");
        }
        assert_eq!(month_name_written_day("2023-11-24"), None);
        assert_eq!(month_name_written_day("Nov 31, 2023"), None);
        // Long text is not split into words (a megabyte of `a,` was a vector of words).
        assert_eq!(parse_timestamp(&"a,".repeat(1 << 20)), None);
        assert_eq!(
            parse_timestamp(&format!("Nov 24, 2023{}", " ".repeat(100))),
            Some(day)
        );
        assert_eq!(
            parse_timestamp(&format!("Nov 24,{} 2023", " ".repeat(100))),
            None
        );
    }

    #[test]
    fn timestamps_in_common_export_forms() {
        let base = parse_timestamp("2025-03-04T05:06:07Z").unwrap();
        // The fast path for `...Z` agrees with chrono's RFC 3339 reader.
        for t in [
            "2025-03-04T05:06:07Z",
            "2024-02-29T23:59:59Z",
            "1969-12-31T00:00:00Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(t).unwrap().timestamp();
            assert_eq!(parse_timestamp(t), Some(chrono), "{t}");
        }
        assert_eq!(parse_timestamp("2023-02-29T00:00:00Z"), None);
        assert_eq!(
            parse_timestamp("2025-03-04Z"),
            parse_timestamp("2025-03-04")
        );
        assert_eq!(parse_timestamp("2025-03-04 05:06:07"), Some(base));
        assert_eq!(parse_timestamp("2025-03-04T05:06:07"), Some(base));
        assert_eq!(parse_timestamp("2025-03-04T05:06:07.250Z"), Some(base));
        assert_eq!(parse_timestamp("2025-03-04T07:06:07+02:00"), Some(base));
        assert_eq!(parse_timestamp("2025-03-04 07:06:07+02:00"), Some(base));
        // Without seconds, with a zone as without one.
        let minute = base - 7;
        for t in [
            "2025-03-04T05:06Z",
            "2025-03-04T05:06",
            "2025-03-04T10:36+05:30",
            "2025-03-04 10:36+05:30",
            "2025-03-03T21:06-08:00",
            "2025-03-04T10:36+0530",
        ] {
            assert_eq!(parse_timestamp(t), Some(minute), "{t}");
        }
        assert_eq!(
            parse_timestamp("2025-03-04"),
            Some(base - 5 * 3600 - 6 * 60 - 7)
        );
        assert_eq!(parse_timestamp("04/03/2025"), None);
        assert_eq!(parse_timestamp("2025-02-29 00:00:00"), None);
        assert_eq!(
            parse_timestamp("2024-02-29 23:59:59"),
            parse_timestamp("2024-02-29T23:59:59Z")
        );
        assert_eq!(parse_timestamp("2025-13-01"), None);
        // A leap second only where one is inserted, the last minute of a UTC day (read as its
        // :59, as chrono reads it); elsewhere it is no time.
        let last = parse_timestamp("2016-12-31T23:59:59Z");
        for t in [
            "2016-12-31T23:59:60Z",
            "2016-12-31 23:59:60",
            "2017-01-01T00:59:60+01:00",
        ] {
            assert_eq!(parse_timestamp(t), last, "{t}");
        }
        // An event at a leap second happened after the :59 it reads as: rounded up.
        assert_eq!(
            parse_event_time("2016-12-31T23:59:60Z"),
            last.map(|t| t + 1)
        );
        assert_eq!(parse_event_time("2016-12-31T23:59:59Z"), last);
        assert!(!after_its_second("2016-12-31T23:59:59Z") && !after_its_second("10:60"));
        for t in [
            "2025-03-04T10:15:60Z",
            "2025-03-04 10:15:60",
            "2025-03-04T23:59:60+01:00",
        ] {
            assert_eq!(parse_timestamp(t), None, "{t}");
        }
        // The fast path agrees with chrono over a range of dates.
        for day in (-300_000..2_900_000).step_by(997) {
            let t = day * 86_400 + 12_345;
            let dt = DateTime::from_timestamp(t, 0).unwrap();
            let text = dt.format("%Y-%m-%d %H:%M:%S").to_string();
            assert_eq!(parse_fixed_timestamp(text.as_bytes()), Some(t), "{text}");
        }
        assert_eq!(parse_timestamp("soon"), None);
    }

    #[test]
    fn database_and_basic_iso_forms_read_as_their_extended_form() {
        let at = |t: &str| parse_timestamp(t);
        let base = at("2025-03-04T05:06:07Z");
        for t in [
            "2025-03-04 05:06:07 UTC",
            "2025-03-04 05:06:07UTC",
            "2025-03-04 05:06:07.250 UTC",
            "2025-03-04T05:06:07 GMT",
            "20250304T050607Z",
            "20250304T050607",
            "20250304T050607.25Z",
            "20250304T070607+0200",
            "20250304T070607+02",
            " 20250304T000607-0500 ",
        ] {
            assert_eq!(at(t), base, "{t}");
        }
        assert_eq!(at("20250304T0506Z"), at("2025-03-04T05:06Z"));
        assert_eq!(at("2025-03-04 05:06:07 +0000 UTC"), base);
        assert_eq!(at("2025-03-04 05:06:07+00:00 UTC"), base);
        assert_eq!(at("2025-03-04 UTC"), at("2025-03-04"));
        // Zones by name and `GMT`/`UTC` with an offset: the local time, less the offset.
        let hours = |h: i64| base.map(|t| t + h * 3_600);
        assert_eq!(at("2025-03-04 00:06:07 EST"), base);
        assert_eq!(at("2025-03-03 21:06:07 PST"), base);
        assert_eq!(at("2025-03-04 06:06:07 CET"), base);
        // Summer time's names end as `EST` does: read as the whole word.
        assert_eq!(at("2025-03-04 07:06:07 CEST"), base);
        assert_eq!(at("2025-03-04 06:06:07 WEST"), base);
        assert_eq!(at("2025-03-04 08:06:07 EEST"), base);
        assert_eq!(at("2025-03-04 08:06:07EEST"), base);
        assert_eq!(at("2025-03-04 00:06:07 AKDT"), hours(3));
        assert_eq!(at("2025-03-04 06:06:07 XEST"), None);
        assert_eq!(
            at("2025-03-04T05:06:07 GMT+0530"),
            hours(-5).map(|t| t - 1_800)
        );
        assert_eq!(at("2025-03-04 05:06:07 UTC-08:00"), hours(8));
        assert_eq!(at("2025-03-04 05:06:07 GMT+1"), hours(-1));
        assert_eq!(
            parse_timestamp_as("3/3/2025 9:06 PM PST", DateOrder::Mdy),
            at("2025-03-04T05:06:00Z")
        );
        assert_eq!(
            parse_timestamp_as("03/03/2025 21:06:07 PDT", DateOrder::Mdy),
            hours(-1)
        );
        assert_eq!(
            parse_timestamp_as("3/4/2025 5:06 AM UTC", DateOrder::Mdy),
            at("2025-03-04T05:06:00Z")
        );
        for t in [
            "20250304",
            "20250304T",
            "20250304T05",
            "20251304T050607Z",
            "20250304T050607Q",
            "20250304T050607+2",
            "UTC",
            "2025-03-04 05:06:07 UTC UTC",
            "2025-03-04 05:06:07 IST",
            "2025-03-04 05:06:07 PST PST",
            "2025-03-04 PST",
            "2025-03-04 05:06:07+01:00 CET",
            "2025-03-04 05:06:07 GMT+15",
            "2025-03-04 05:06:07 GMT+0575",
            "2025-03-04 10:06:07+05:00 UTC",
            "20250304T100607+0500 UTC",
        ] {
            assert_eq!(at(t), None, "{t}");
        }
        // An event's fraction of a second rounds it up in the basic form too.
        assert_eq!(parse_event_time("20250304T050607.5Z"), base.map(|t| t + 1));
        assert_eq!(
            parse_event_time("2025-03-04 05:06:07.5 UTC"),
            base.map(|t| t + 1)
        );
        assert_eq!(
            parse_event_time("20250304T050607.5 UTC"),
            base.map(|t| t + 1)
        );
        // Year last with the word, `AM`/`PM` with or without a space: read, and the order found.
        let mdy = |t: &str| parse_timestamp_as(t, DateOrder::Mdy);
        let five = at("2025-01-14T01:05:00Z");
        for t in [
            "1/14/2025 01:05 AM UTC",
            "1/14/2025 01:05AM UTC",
            "1/14/2025 1:05am GMT",
        ] {
            assert_eq!(mdy(t), five, "{t}");
        }
        assert_eq!(
            DateOrderEvidence::of(["1/14/2025 01:05 AM UTC", "2/3/2025 10:00 UTC"]).decided(),
            Some(DateOrder::Mdy)
        );
        assert_eq!(
            DateOrderEvidence::of(["14/01/2025 01:05 UTC"]).decided(),
            Some(DateOrder::Dmy)
        );
    }

    #[test]
    fn month_and_weekday_match_chrono() {
        for t in [
            0_i64,
            951_782_400,
            1_741_064_767,
            -86_400 * 400,
            4_102_444_800,
        ] {
            let dt = DateTime::from_timestamp(t, 0).unwrap();
            use chrono::Datelike;
            assert_eq!(
                month_and_weekday(t),
                (
                    dt.month0() as usize,
                    dt.weekday().num_days_from_monday() as usize
                ),
                "t = {t}"
            );
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool(" N "), Some(false));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        // What a yes/no column reads: 0 and 1 in any form, nothing else numeric.
        assert_eq!(bool_of(FieldValue::Text("1.0")), Some(true));
        assert_eq!(bool_of(FieldValue::Number(0.0)), Some(false));
        assert_eq!(bool_of(FieldValue::Bool(true)), Some(true));
        for unseen in [
            FieldValue::Text("3"),
            FieldValue::Number(3.0),
            FieldValue::Number(-1.0),
            FieldValue::Text("maybe"),
            FieldValue::Missing,
        ] {
            assert_eq!(bool_of(unseen), None, "{unseen:?}");
        }
        assert!(is_bool_word(" No") && is_bool_word("TRUE") && is_bool_word("y"));
        assert!(!is_bool_word("1") && !is_bool_word("0") && !is_bool_word("maybe"));
    }

    #[test]
    fn echoes_are_quoted_and_cut() {
        assert_eq!(echo(FieldValue::Text("3")), "\"3\"");
        assert_eq!(echo(FieldValue::Number(3.0)), "3");
        assert_eq!(echo(FieldValue::Number(2.5)), "2.5");
        assert_eq!(echo(FieldValue::Bool(false)), "false");
        let long = "é".repeat(5000);
        let e = echo(FieldValue::Text(&long));
        assert!(
            e.starts_with(&format!("\"{}\"", "é".repeat(ECHO_CHARS))),
            "{e}"
        );
        assert!(e.ends_with("... (10000 bytes)"), "{e}");
        assert_eq!(shorten("short"), "short");
        assert!(shorten(&long).ends_with("... (10000 bytes)"));
        // 151 characters in 301 bytes: nothing to cut, so not marked cut.
        let accented = format!("{}x", "é".repeat(150));
        assert_eq!(shorten(&accented), accented.as_str());
        assert_eq!(echo(FieldValue::Text(&accented)), format!("{accented:?}"));
        // What was cut splits back into what was kept and the whole's length.
        let cut = shorten(&long);
        assert_eq!(
            shortened_parts(&cut),
            Some(("é".repeat(ECHO_CHARS).as_str(), 10_000))
        );
        assert_eq!(shortened_parts("a value... (3 bytes)"), None);
    }

    #[test]
    fn email_classes() {
        let comp = EmailRules::new(vec!["rivalsoft.com".to_string()]);
        assert_eq!(email_class("a.b@acme.io", &comp), EmailClass::Business);
        assert_eq!(email_class("x@Gmail.com", &comp), EmailClass::FreeWebmail);
        assert_eq!(
            email_class("s@cs.stanford.edu", &comp),
            EmailClass::Education
        );
        assert_eq!(
            email_class("s@student.uni-example.ac.uk", &comp),
            EmailClass::Education
        );
        assert_eq!(
            email_class("t@mailinator.com", &comp),
            EmailClass::Disposable
        );
        assert_eq!(
            email_class("spy@eu.rivalsoft.com", &comp),
            EmailClass::Competitor
        );
        assert_eq!(email_class("not an email", &comp), EmailClass::Invalid);
        assert_eq!(email_class("@acme.io", &comp), EmailClass::Invalid);
    }

    #[test]
    fn each_lists_version_classes_as_it_did() {
        let (v1, v2) = (EmailRules::first(vec![]), EmailRules::new(vec![]));
        assert_eq!(v2.domain_lists, DOMAIN_LISTS);
        let free = EmailClass::FreeWebmail;
        for (email, first, second) in [
            // Regional providers and ISPs: business in version 1.
            ("a@sbcglobal.net", EmailClass::Business, free),
            ("a@uol.com.br", EmailClass::Business, free),
            ("a@Naver.com", EmailClass::Business, free),
            ("a@yopmail.fr", EmailClass::Business, EmailClass::Disposable),
            (
                "a@x.yopmail.fr",
                EmailClass::Business,
                EmailClass::Disposable,
            ),
            // Brands' country domains, the domain itself only.
            ("a@yahoo.fr", EmailClass::Business, free),
            ("a@hotmail.de", EmailClass::Business, free),
            ("a@outlook.com.br", EmailClass::Business, free),
            ("a@yahoo.co.jp", EmailClass::Business, free),
            ("a@GMX.AT", EmailClass::Business, free),
            ("a@yahoo.co.uk", free, free),
            (
                "a@mail.yahoo.fr",
                EmailClass::Business,
                EmailClass::Business,
            ),
            (
                "a@yahoo.fr.example.com",
                EmailClass::Business,
                EmailClass::Business,
            ),
            ("a@yahoo.io2", EmailClass::Business, EmailClass::Business),
            // Two-letter endings companies use generically are not countries of webmail.
            ("a@live.io", EmailClass::Business, EmailClass::Business),
            ("a@aol.tv", EmailClass::Business, EmailClass::Business),
            ("a@live.me", EmailClass::Business, EmailClass::Business),
            ("a@outlook.ai", EmailClass::Business, EmailClass::Business),
            ("a@live.co", EmailClass::Business, EmailClass::Business),
            ("a@yahoo.com.co", EmailClass::Business, free),
            ("a@hotmail.com.co", EmailClass::Business, free),
            ("a@gmx.us", EmailClass::Business, free),
            ("a@yahoo.co.co", EmailClass::Business, EmailClass::Business),
            (
                "a@yahoo.company.fr",
                EmailClass::Business,
                EmailClass::Business,
            ),
            ("a@liveco.fr", EmailClass::Business, EmailClass::Business),
            // A display name: version 1 read the domain `gmail.com>`.
            ("Jane Doe <jane@gmail.com>", EmailClass::Business, free),
            (
                "\"Doe, Jane\" <jane@acme.io> ",
                EmailClass::Business,
                EmailClass::Business,
            ),
            (
                "<jane@mit.edu>",
                EmailClass::Business,
                EmailClass::Education,
            ),
            ("Jane <>", EmailClass::Invalid, EmailClass::Invalid),
            ("Jane <jo@mail.ru>", EmailClass::Business, free),
            ("Jane <jane@acme>", EmailClass::Invalid, EmailClass::Invalid),
        ] {
            assert_eq!(email_class(email, &v1), first, "{email:?} version 1");
            assert_eq!(email_class(email, &v2), second, "{email:?} version 2");
        }
        // The spec's own free webmail domains: the domain itself, any case, either version.
        for base in [v1, v2] {
            let rules = EmailRules {
                free_webmail_domains: vec![" Provedor.com.BR. ".into()],
                competitor_domains: vec!["provedor.com.br".into()],
                ..base.clone()
            };
            assert_eq!(
                email_class("a@provedor.com.br", &rules),
                EmailClass::Competitor
            );
            let rules = EmailRules {
                competitor_domains: vec![],
                ..rules
            };
            assert_eq!(email_class("a@PROVEDOR.com.br", &rules), free);
            assert_eq!(
                email_class("a@x.provedor.com.br", &rules),
                EmailClass::Business
            );
        }
        assert!(EmailRules::first(vec![]).check().is_ok());
        let newer = EmailRules {
            domain_lists: DOMAIN_LISTS + 1,
            ..EmailRules::default()
        };
        assert!(newer
            .check()
            .unwrap_err()
            .contains("not known to this build"));
        // A model written before versions reads as version 1; the newest is written out.
        let old: EmailRules = serde_json::from_str(r#"{"competitor_domains":[]}"#).unwrap();
        assert_eq!(old, EmailRules::first(vec![]));
        let again = serde_json::to_string(&old).unwrap();
        assert_eq!(again, r#"{"competitor_domains":[]}"#);
        let text = serde_json::to_string(&EmailRules::default()).unwrap();
        assert!(
            text.contains(&format!("\"domain_lists\":{DOMAIN_LISTS}")),
            "{text}"
        );
    }

    /// The email classification as first written with a lowercased copy, a `match` on each
    /// list and a scan of the labels, kept to check the one-pass classifier against.
    mod email_reference {
        use super::super::{
            email_domain_part, is_or_under, EmailClass, EmailRules, BRAND_COUNTRIES, DISPOSABLE,
            DISPOSABLE_2, FREE_WEBMAIL, FREE_WEBMAIL_2, WEBMAIL_BRANDS,
        };

        pub fn listed_or_under(domain: &str, listed: impl Fn(&str) -> bool) -> bool {
            let mut rest = domain;
            loop {
                if listed(rest) {
                    return true;
                }
                match rest.bytes().position(|b| b == b'.') {
                    Some(dot) if dot + 1 < rest.len() => rest = &rest[dot + 1..],
                    _ => return false,
                }
            }
        }

        pub fn is_disposable(domain: &str, version: u32) -> bool {
            DISPOSABLE.contains(&domain) || version >= 2 && DISPOSABLE_2.contains(&domain)
        }

        pub fn is_free_webmail(domain: &str, rules: &EmailRules) -> bool {
            let labels: Vec<&str> = domain.split('.').collect();
            let brand = match labels.as_slice() {
                [b, "com", "co"] => WEBMAIL_BRANDS.contains(b),
                [b, "co" | "com", cc] | [b, cc] => {
                    BRAND_COUNTRIES.contains(cc) && WEBMAIL_BRANDS.contains(b)
                }
                _ => false,
            };
            FREE_WEBMAIL.contains(&domain)
                || rules.domain_lists >= 2 && (FREE_WEBMAIL_2.contains(&domain) || brand)
                || rules
                    .free_webmail_domains
                    .iter()
                    .any(|d| d.trim().trim_end_matches('.').to_ascii_lowercase() == domain)
        }

        pub fn is_education(domain: &str, labels: usize) -> bool {
            domain
                .as_bytes()
                .split(|b| *b == b'.')
                .enumerate()
                .any(|(i, label)| {
                    let (first, last) = (i == 0, i + 1 == labels);
                    match label {
                        b"edu" => !first,
                        b"ac" => !first && !last,
                        b"student" => !last,
                        b"students" => first && !last,
                        _ => false,
                    }
                })
        }

        pub fn email_class(email: &str, rules: &EmailRules) -> EmailClass {
            let email = if rules.domain_lists >= 2 {
                let t = email.trim();
                match t.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
                    Some((_, inside)) => inside.trim(),
                    None => email,
                }
            } else {
                email
            };
            let Some(domain) = email_domain_part(email) else {
                return EmailClass::Invalid;
            };
            let domain = domain.to_ascii_lowercase();
            let dots = domain.bytes().filter(|b| *b == b'.').count();
            if rules
                .competitor_domains
                .iter()
                .any(|c| is_or_under(&domain, c.trim()))
            {
                EmailClass::Competitor
            } else if listed_or_under(&domain, |d| is_disposable(d, rules.domain_lists)) {
                EmailClass::Disposable
            } else if is_free_webmail(&domain, rules) {
                EmailClass::FreeWebmail
            } else if is_education(&domain, dots + 1) {
                EmailClass::Education
            } else {
                EmailClass::Business
            }
        }
    }

    #[test]
    fn education_labels_match_the_substring_rules() {
        let substring = |d: &str| {
            d.ends_with(".edu")
                || d.contains(".edu.")
                || d.contains(".ac.")
                || d.starts_with("student.")
                || d.contains(".student.")
                || d.starts_with("students.")
        };
        let labels = [
            "edu", "ac", "student", "students", "x", "", "uk", "edux", "sac", "EDU", "Ac",
        ];
        // Every domain of 2 to 4 labels from `labels`.
        let mut domains: Vec<String> = Vec::new();
        for a in labels {
            for b in labels {
                domains.push(format!("{a}.{b}"));
                for c in labels {
                    domains.push(format!("{a}.{b}.{c}"));
                    for d in labels {
                        domains.push(format!("{a}.{b}.{c}.{d}"));
                    }
                }
            }
        }
        for d in &domains {
            let lower = d.to_ascii_lowercase();
            assert_eq!(
                email_reference::is_education(&lower, d.split('.').count()),
                substring(&lower),
                "{d}"
            );
            let email = format!("a@{d}");
            for rules in [EmailRules::first(vec![]), EmailRules::default()] {
                assert_eq!(
                    email_class_uncached(&email, &rules),
                    email_reference::email_class(&email, &rules),
                    "{email}"
                );
            }
        }
    }

    #[test]
    fn domain_lists_match_as_a_scan_finds_them() {
        let all = || LISTS.iter().flat_map(|(list, _, _)| list.iter());
        assert!(all().all(|d| *d == d.to_ascii_lowercase()));
        // No domain is on two lists, nor twice on one.
        let mut sorted: Vec<&str> = all().copied().collect();
        sorted.sort_unstable();
        let before = sorted.len();
        sorted.dedup();
        assert_eq!(sorted.len(), before);
        for version in 1..=DOMAIN_LISTS {
            let rules = EmailRules {
                domain_lists: version,
                ..EmailRules::default()
            };
            let on = |domain: &str, listed: Listed| {
                LISTS.iter().any(|(l, kind, since)| {
                    *kind == listed && *since <= version && l.contains(&domain)
                })
            };
            let scan = |domain: &str| {
                LISTS.iter().any(|(l, kind, since)| {
                    *kind == Listed::Disposable
                        && *since <= version
                        && l.iter().any(|d| is_or_under(domain, d))
                })
            };
            let mut domains: Vec<String> = Vec::new();
            for d in all() {
                domains.push(d.to_string());
                domains.push(format!("eu.mx.{d}"));
                domains.push(format!("x{d}"));
                domains.push(d[1..].to_string());
                domains.push(format!("{d}.example"));
            }
            for d in &domains {
                assert_eq!(
                    email_reference::listed_or_under(d, |d| email_reference::is_disposable(
                        d, version
                    )),
                    scan(d),
                    "{d}"
                );
                let class = email_class(&format!("a@{}", d.to_uppercase()), &rules);
                let expected = if scan(d) {
                    EmailClass::Disposable
                } else if on(d, Listed::FreeWebmail)
                    || version >= 2 && brand_country_domain(d.as_bytes())
                {
                    EmailClass::FreeWebmail
                } else {
                    EmailClass::Business
                };
                assert_eq!(class, expected, "{d} version {version}");
            }
        }
    }

    /// Text an email column may hold: the demo leads' addresses and each listed domain, with
    /// the variants the classifier must read alike or tell apart (case, subdomains, dots,
    /// whitespace, several `@`, non-ASCII, long text).
    fn email_variants() -> Vec<String> {
        let csv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/demo/leads.csv"
        ))
        .unwrap();
        let mut header = csv.lines().next().unwrap().split(',');
        let col = header.position(|h| h == "email").unwrap();
        let mut bases: Vec<String> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(col))
            .map(str::to_string)
            .collect();
        let listed = LISTS.iter().flat_map(|(list, _, _)| list.iter());
        for d in listed.chain(&[
            "yahoo.fr",
            "hotmail.com.br",
            "yahoo.com.co",
            "live.co",
            "yahoo.co.co",
            "outlook.co.jp",
            "gmx.at",
            "live.io",
            "yahoo.c0",
            "rivalsoft.com",
            "mit.edu",
            "student.uni-example.ac.uk",
            "students.x.org",
            "ox.ac.uk",
            "edu",
            "ac.uk",
            "x.edu.au",
        ]) {
            bases.push(format!("jo@{d}"));
            bases.push(format!("jo@mail.{d}"));
            bases.push(d.to_string());
        }
        let mut out = Vec::new();
        for b in &bases {
            let (local, domain) = b.rsplit_once('@').unwrap_or(("", b.as_str()));
            out.extend([
                b.clone(),
                b.to_uppercase(),
                format!("  {b}\t"),
                format!("{b}."),
                format!("{b}..."),
                format!("{local}@@{domain}"),
                format!("a@b@{domain}"),
                format!("@{domain}"),
                format!("{local}@ {domain}"),
                format!("{local}@{}", domain.replacen('.', "..", 1)),
                format!("{local}@x{domain}"),
                format!("{local}@{}", &domain[1.min(domain.len())..]),
                format!("{local}@{domain}.example"),
                format!("{local}@{domain}\u{a0}"),
                format!("Jo Doe <{b}>"),
                format!("\"Doe, Jo\" < {b} > "),
                format!("<{b}>"),
                format!("{b}>"),
                format!("<{b}"),
                format!("a <b> <{b}>"),
                format!("{local}@\u{e9}{domain}"),
                format!("{local}@{}", domain.replace('a', "\u{212a}")),
                format!("{local}@{}", "sub.".repeat(70) + domain),
                format!("{}@{domain}", "x".repeat(300)),
            ]);
        }
        out.extend(
            [
                "",
                " ",
                ".",
                "..",
                "@",
                "a@",
                "a@.",
                "a@..",
                "@.",
                "a.b",
                "a@b",
                "a@b.",
                "a@.b",
                "\u{3000}a@b.com",
                "a@b.com\u{3000}",
                "a@b\u{3000}c.com",
                "a@b\u{85}.com",
                "a@b\u{1}.com",
                "a@MAILINATOR.COM",
                "a@x.MailInator.com.",
                "ü@ü.de",
                "a@b.c@d.e",
                "a@b.c@...",
                "a@b.c@.d",
            ]
            .map(String::from),
        );
        out
    }

    #[test]
    fn the_one_pass_email_class_matches_the_reference() {
        let lists: [Vec<String>; 6] = [
            vec![],
            vec!["rivalsoft.com".into()],
            vec![" RivalSoft.COM ".into(), "".into()],
            vec!["com".into()],
            vec!["gmail.com".into(), "mailinator.com".into()],
            vec!["ac.uk".into(), "\u{e9}.com".into()],
        ];
        let emails = email_variants();
        assert!(emails.len() > 10_000);
        for (i, list) in lists.iter().enumerate() {
            for version in 1..=DOMAIN_LISTS {
                // The spec's free webmail domains: none, or one of the lists above.
                let rules = EmailRules {
                    competitor_domains: list.clone(),
                    free_webmail_domains: lists[(i + 3) % lists.len()].clone(),
                    domain_lists: version,
                };
                for e in &emails {
                    assert_eq!(
                        email_class(e, &rules),
                        email_reference::email_class(e, &rules),
                        "{e:?} {rules:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_email_class_matches_the_reference_on_any_text(
            e in "[aAeEdDuUcCsStTmMiIlLnNoO.@ <>\"\t\u{e9}\u{a0}\u{212a}-]{0,40}",
            version in 1..=DOMAIN_LISTS,
        ) {
            let rules = EmailRules {
                competitor_domains: vec!["st.com".to_string()],
                free_webmail_domains: vec!["lot.de".to_string()],
                domain_lists: version,
            };
            proptest::prop_assert_eq!(
                email_class(&e, &rules),
                email_reference::email_class(&e, &rules)
            );
        }
    }

    // The keyword rules as first written (allocating), kept to check the fast path.
    fn reference(title: &str) -> Seniority {
        let lower = title.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.contains(&w);
        let last = |hit: &dyn Fn(&str) -> bool| words.iter().rposition(|w| hit(w));
        let student_at = last(&|w| {
            ["student", "intern", "internship", "trainee"].contains(&w)
                || w.starts_with("undergrad")
        });
        let manager_at =
            last(&|w| ["manager", "lead", "supervisor", "mgr", "principal"].contains(&w));
        let v_p = words.windows(2).any(|p| p == ["v", "p"]);
        if has("chief") || C_LEVEL_WORDS.iter().any(|w| has(w)) && !has("vice") {
            Seniority::CLevel
        } else if has("vp") || has("svp") || has("evp") || has("vice") || has("head") || v_p {
            Seniority::Vp
        } else if has("director") || has("directeur") || has("dir") {
            Seniority::Director
        } else if student_at.is_some() && manager_at < student_at {
            Seniority::Student
        } else if manager_at.is_some() {
            Seniority::Manager
        } else {
            Seniority::Individual
        }
    }

    #[test]
    fn seniority_matches_the_reference_on_real_titles() {
        let csv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/demo/leads.csv"
        ))
        .unwrap();
        let mut header = csv.lines().next().unwrap().split(',');
        let col = header.position(|h| h == "job_title").unwrap();
        let mut titles: Vec<String> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(col))
            .map(str::to_string)
            .collect();
        titles.extend(
            [
                "Vice Chief of Staff",
                "VICE PRESIDENT",
                "Undergraduate",
                "KEO",
                "\u{212A}ing",
                "Directeur général",
                "Co-Founder/CEO",
                "Head-of-Sales",
                "",
                "  ",
                "ÉTUDIANT intern",
            ]
            .map(String::from),
        );
        for t in &titles {
            assert_eq!(seniority(t), reference(t), "{t:?}");
        }
        // Each keyword, and words near one, alone and among others, in several cases and
        // with several separators.
        let mut near: Vec<String> = Vec::new();
        for (w, _) in KEYWORDS {
            near.extend([
                w.to_string(),
                w.to_uppercase(),
                format!("{}{}", &w[..1].to_uppercase(), &w[1..]),
                format!("x{w}"),
                format!("{w}s"),
                format!("{w}1"),
                w[1..].to_string(),
                w[..w.len() - 1].to_string(),
                format!("{w}{w}"),
                format!("{}{w}", "a".repeat(16 - w.len().min(16))),
                format!("{}{w}", "a".repeat(20)),
                format!("{w}\u{e9}"),
            ]);
        }
        near.extend(
            [
                "undergraduate",
                "UNDERGRADS",
                "undergra",
                "Und3rgrad",
                "a1b2c3",
            ]
            .map(String::from),
        );
        let seps = [" ", ", ", "/", " & ", "-", "\t", ".", " \u{e9} ", "_", "  "];
        for (i, a) in near.iter().enumerate() {
            for (j, b) in near.iter().enumerate().step_by(7) {
                let t = format!("{a}{}{b}", seps[(i + j) % seps.len()]);
                assert_eq!(seniority_uncached(&t), reference(&t), "{t:?}");
            }
            let t = format!("Senior {a} of Sales");
            assert_eq!(seniority_uncached(&t), reference(&t), "{t:?}");
        }
        // A keyword at every place of titles about as long as the fast path's buffer.
        for (w, _) in KEYWORDS {
            for n in 0..=TITLE_BUFFER + 2 {
                for pad in ["x", " ", "xy "] {
                    let t = format!("{}{w}", pad.repeat(n).chars().take(n).collect::<String>());
                    assert_eq!(seniority_uncached(&t), reference(&t), "{t:?}");
                    let t = format!("{w} {}", "a".repeat(n));
                    assert_eq!(seniority_uncached(&t), reference(&t), "{t:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn seniority_matches_the_reference_on_any_text(
            t in "(chief|vice|ceo|vp|v|p|dir|head|lead|manager|intern|student|undergrad|director|[a-zA-Z0-9 ,./&-]|\u{e9}|\u{212a}|\u{130}){0,12}",
        ) {
            proptest::prop_assert_eq!(seniority_uncached(&t), reference(&t));
        }
    }

    #[test]
    fn seniority_keywords() {
        let c_level: Vec<&str> = KEYWORDS
            .iter()
            .filter(|(_, g)| *g == Keyword::CLevel)
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(c_level, C_LEVEL_WORDS);
        for w in C_LEVEL_WORDS {
            assert_eq!(seniority(&w.to_uppercase()), Seniority::CLevel, "{w}");
        }
        assert_eq!(seniority("Founder & CEO"), Seniority::CLevel);
        assert_eq!(seniority("Chief Marketing Officer"), Seniority::CLevel);
        assert_eq!(seniority("Vice President, Engineering"), Seniority::Vp);
        assert_eq!(seniority("SVP Sales"), Seniority::Vp);
        assert_eq!(seniority("Head of Growth"), Seniority::Vp);
        assert_eq!(seniority("Director of Marketing"), Seniority::Director);
        assert_eq!(seniority("Sr. Marketing Manager"), Seniority::Manager);
        assert_eq!(seniority("Software Engineer"), Seniority::Individual);
        assert_eq!(seniority("MBA Student"), Seniority::Student);
        assert_eq!(seniority("Marketing Intern"), Seniority::Student);
        // A title that names students is the executive's, director's or manager's it says.
        assert_eq!(seniority("VP of Student Recruitment"), Seniority::Vp);
        assert_eq!(
            seniority("Director of Student Affairs"),
            Seniority::Director
        );
        assert_eq!(seniority("Chief Student Officer"), Seniority::CLevel);
        assert_eq!(seniority("Student Success Manager"), Seniority::Manager);
        assert_eq!(seniority("Lead Intern"), Seniority::Student);
        assert_eq!(seniority("Intern, Product Management"), Seniority::Student);
        // Abbreviations.
        assert_eq!(seniority("V.P. Marketing"), Seniority::Vp);
        assert_eq!(seniority("S.V.P., Sales"), Seniority::Vp);
        assert_eq!(seniority("Dir. Marketing"), Seniority::Director);
        assert_eq!(seniority("Vitamin P specialist"), Seniority::Individual);
    }

    #[test]
    fn number_levels() {
        assert_eq!(number_to_level(5.0), "5");
        assert_eq!(number_to_level(2.5), "2.5");
        assert_eq!(number_to_level(-3.0), "-3");
    }
}
