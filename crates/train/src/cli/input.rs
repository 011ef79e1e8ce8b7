//! The input flags several subcommands share, and their checked forms: a leads table as `init`
//! and `train` read it ([`TableArgs`] into [`ReadOptions`]), and fresh labeled data as
//! `evaluate`, `promote` and `report` take it ([`FreshArgs`] into [`FreshData`]).

use clap::Args;
use leadscore_train::load::ReadOptions;
use leadscore_train::pipeline::FreshData;
use std::path::PathBuf;

/// A leads table and how to read and label it (`init`, `train`).
#[derive(Args, Clone)]
pub struct TableArgs {
    /// Leads file: CSV (any of , ; tab |, detected) or Parquet.
    #[arg(long)]
    pub data: PathBuf,
    /// The label column (1/0, true/false, yes/no...).
    #[arg(long)]
    pub label: Option<String>,
    /// A label value that means "converted" (repeatable; default 1, true, yes, y in any case).
    #[arg(long = "positive")]
    pub positive: Vec<String>,
    /// A label value that means "not converted" (repeatable; default: every value that is not
    /// positive). Rows whose label is neither, such as `Open`, are leads without an outcome
    /// yet: left out.
    #[arg(long = "negative")]
    pub negative: Vec<String>,
    /// The lead id column (kept out of the features).
    #[arg(long)]
    pub id: Option<String>,
    /// Columns to leave out of the features (repeatable), e.g. fields filled in after the outcome.
    #[arg(long = "exclude", num_args = 1..)]
    pub exclude: Vec<String>,
    /// CSV delimiter (one ASCII character, `\t` or `tab` for a tab; detected when absent).
    #[arg(long, value_parser = delimiter_byte)]
    pub delimiter: Option<u8>,
    /// Cell values that mean missing (repeatable; replaces the default "", NA, N/A, null, NULL, None, Select).
    #[arg(long = "missing")]
    pub missing: Vec<String>,
}

/// How to read the table: the delimiter checked, the missing tokens when any were given.
impl TryFrom<&TableArgs> for ReadOptions {
    type Error = anyhow::Error;

    fn try_from(a: &TableArgs) -> anyhow::Result<Self> {
        let mut o = ReadOptions {
            delimiter: a.delimiter,
            ..ReadOptions::default()
        };
        if !a.missing.is_empty() {
            o.missing_tokens = a.missing.clone();
        }
        Ok(o)
    }
}

/// A `--delimiter` as the byte the CSV reader takes (clap's value parser, so a bad one is a
/// usage error, exit 2, like any flag that does not parse): one ASCII character (a wider one
/// would be cut to its low byte and silently split on something else), neither the quote
/// character nor a line end (polars failed on those with an internal message); `\t` or `tab`
/// as typed without a shell's `$'\t'` are the tab.
pub(crate) fn delimiter_byte(text: &str) -> Result<u8, String> {
    let c = match text {
        "\\t" | "tab" | "TAB" => '\t',
        _ => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => return Err("must be one character (`\\t` or `tab` for a tab)".into()),
            }
        }
    };
    match c {
        '"' | '\n' | '\r' => Err(format!(
            "cannot be {c:?}: the quote character and line ends have their own meaning in a CSV \
             file"
        )),
        c if c.is_ascii() => Ok(c as u8),
        c => Err(format!("must be one ASCII character, got {c:?}")),
    }
}

/// Fresh labeled data, as `evaluate` and `promote` take it.
#[derive(Args)]
pub struct FreshArgs {
    /// A labeled leads file the model has not seen (for a model trained with --outcomes, the
    /// leads without labels).
    #[arg(long)]
    data: PathBuf,
    /// Engagement events of those leads (required by models trained with --events).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Outcomes of those leads (required by models trained with --outcomes).
    #[arg(long)]
    outcomes: Option<PathBuf>,
    /// Label column (default: the one the model was trained with).
    #[arg(long)]
    label: Option<String>,
    /// Positive label values (default: the model's).
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// Negative label values (default: the model's); rows whose label is neither positive nor
    /// negative are left out.
    #[arg(long = "negative")]
    negative: Vec<String>,
    /// CSV delimiter (detected when absent).
    #[arg(long, value_parser = delimiter_byte)]
    delimiter: Option<u8>,
    /// A flat file's export time (RFC 3339, a date, or Unix seconds or milliseconds): a
    /// flat-file model measures its dates
    /// from it (default: the end of the model's training data), and reads one more than five
    /// minutes after it as missing. Not for models trained with events or outcomes.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
}

/// The files and label overrides, with the delimiter checked.
impl TryFrom<FreshArgs> for FreshData {
    type Error = anyhow::Error;

    fn try_from(a: FreshArgs) -> anyhow::Result<Self> {
        Ok(FreshData {
            leads: a.data,
            events: a.events,
            outcomes: a.outcomes,
            label: a.label,
            positive: a.positive,
            negative: a.negative,
            read: ReadOptions {
                delimiter: a.delimiter,
                ..ReadOptions::default()
            },
            as_of: a
                .as_of
                .as_deref()
                .map(|t| {
                    leadscore_core::value::parse_as_of(t).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--as-of {t:?} is not a time (expected {})",
                            leadscore_core::value::AS_OF_FORMS
                        )
                    })
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::delimiter_byte;

    #[test]
    fn a_delimiter_is_one_ascii_character_or_a_tab_written_out() {
        for (text, byte) in [
            (";", b';'),
            ("\t", b'\t'),
            ("\\t", b'\t'),
            ("tab", b'\t'),
            ("|", b'|'),
        ] {
            assert_eq!(delimiter_byte(text), Ok(byte), "{text:?}");
        }
        for (text, says) in [
            (";;", "one character"),
            ("", "one character"),
            ("é", "ASCII"),
            ("\"", "quote character"),
            ("\n", "line ends"),
        ] {
            let e = delimiter_byte(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
