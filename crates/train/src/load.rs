//! Reading lead tables with polars: CSV (delimiter detected or given, quoted fields, CRLF) and
//! Parquet, with configurable missing tokens, and a fingerprint of every input file.

use crate::error::{Result, TrainError};
use leadscore_core::artifact::InputFingerprint;
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

/// How to read a table.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV delimiter; `None` detects it from the header line.
    pub delimiter: Option<u8>,
    /// Cell values read as missing (null).
    pub missing_tokens: Vec<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            delimiter: None,
            missing_tokens: leadscore_core::value::default_missing_tokens(),
        }
    }
}

/// A table read from a file, with its fingerprint.
#[derive(Debug, Clone)]
pub struct Table {
    /// The data.
    pub df: DataFrame,
    /// The file as given (used in every error message).
    pub path: String,
    /// Hash, size and row count of the file.
    pub fingerprint: InputFingerprint,
}

fn read_err(path: &Path, message: impl Into<String>) -> TrainError {
    TrainError::Read {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Reads a CSV or Parquet file (by extension; otherwise by content: Parquet starts with `PAR1`).
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| read_err(path, e.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(read_err(path, "the file is empty"));
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let is_parquet = ext == "parquet" || ext == "pq" || bytes.starts_with(b"PAR1");
    let df = if is_parquet {
        read_parquet(path, bytes.as_slice())?
    } else {
        read_csv(path, &bytes, options)?
    };
    if df.height() == 0 {
        return Err(read_err(path, "the file has a header but no data rows"));
    }
    let fingerprint = InputFingerprint {
        path: path.display().to_string(),
        sha256: Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes: bytes.len() as u64,
        rows: df.height() as u64,
    };
    Ok(Table {
        df,
        path: path.display().to_string(),
        fingerprint,
    })
}

fn read_parquet(path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| read_err(path, format!("not a readable Parquet file: {e}")))
}

/// Picks the delimiter that splits the header line into the most fields (outside quotes).
pub fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header_end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let mut best = (b',', 0usize);
    for cand in [b',', b';', b'\t', b'|'] {
        let mut in_quotes = false;
        let mut n = 0;
        for b in header {
            match *b {
                b'"' => in_quotes = !in_quotes,
                c if c == cand && !in_quotes => n += 1,
                _ => {}
            }
        }
        if n > best.1 {
            best = (cand, n);
        }
    }
    best.0
}

/// Counts fields per line (quote-aware) and reports the first line whose count differs from
/// the header's, so a ragged row is an error naming its row instead of silently padded data.
fn check_ragged(path: &Path, bytes: &[u8], delimiter: u8) -> Result<()> {
    let mut expected: Option<usize> = None;
    let mut fields = 1usize;
    let mut in_quotes = false;
    let mut line_has_content = false;
    let mut record = 0usize; // 0 = header
    let mut finish = |fields: usize, record: &mut usize| -> Result<()> {
        match expected {
            None => expected = Some(fields),
            Some(e) if e != fields => {
                return Err(read_err(
                    path,
                    format!(
                        "row {}: has {fields} fields but the header has {e} (a ragged row; check the delimiter and quoting)",
                        *record
                    ),
                ))
            }
            Some(_) => {}
        }
        *record += 1;
        Ok(())
    };
    for &b in bytes {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                line_has_content = true;
            }
            b'\n' if !in_quotes => {
                if line_has_content {
                    finish(fields, &mut record)?;
                }
                fields = 1;
                line_has_content = false;
            }
            b'\r' if !in_quotes => {}
            c if c == delimiter && !in_quotes => {
                fields += 1;
                line_has_content = true;
            }
            _ => line_has_content = true,
        }
    }
    if in_quotes {
        return Err(read_err(
            path,
            format!("row {record}: a quoted field is never closed"),
        ));
    }
    if line_has_content {
        finish(fields, &mut record)?;
    }
    Ok(())
}

fn read_csv(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<DataFrame> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes); // UTF-8 BOM
    if std::str::from_utf8(bytes).is_err() {
        return Err(read_err(path, "not UTF-8 text (save the export as UTF-8)"));
    }
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(bytes));
    check_ragged(path, bytes, delimiter)?;
    let nulls: Vec<PlSmallStr> = options
        .missing_tokens
        .iter()
        .map(|t| t.as_str().into())
        .collect();
    let parse = CsvParseOptions::default()
        .with_separator(delimiter)
        .with_quote_char(Some(b'"'))
        .with_null_values(Some(NullValues::AllColumns(nulls)))
        .with_missing_is_null(true);
    let cursor = std::io::Cursor::new(bytes.to_vec());
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .with_parse_options(parse)
        .into_reader_with_file_handle(cursor)
        .finish()
        .map_err(|e| read_err(path, format!("cannot parse as CSV: {e}")))
}

/// The named column, or an error naming the file and listing what is there.
pub fn column<'a>(table: &'a Table, name: &str) -> Result<&'a Series> {
    table
        .df
        .column(name)
        .map(|c| c.as_materialized_series())
        .map_err(|_| {
            let have: Vec<String> = table
                .df
                .get_column_names()
                .iter()
                .map(|c| c.to_string())
                .collect();
            TrainError::Column {
                path: table.path.clone(),
                column: name.to_string(),
                message: format!("no such column (the file has: {})", have.join(", ")),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn semicolon_quoted_crlf() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "uci.csv",
            "\"age\";\"job\";\"y\"\r\n30;\"admin.\";\"no\"\r\n41;\"blue-collar\";\"yes\"\r\n",
        );
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.df.height(), 2);
        assert_eq!(t.df.width(), 3);
        let y =
            t.df.column("y")
                .unwrap()
                .as_materialized_series()
                .str()
                .unwrap()
                .clone();
        assert_eq!(y.get(1), Some("yes"), "no trailing \\r");
    }

    #[test]
    fn missing_tokens_become_null() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "a.csv", "x,s\n1,Select\nNA,b\n3,\n");
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        let x = t.df.column("x").unwrap().as_materialized_series().clone();
        assert!(x.dtype().is_numeric(), "{:?}", x.dtype());
        assert_eq!(x.null_count(), 1);
        assert_eq!(t.df.column("s").unwrap().null_count(), 2);
    }

    #[test]
    fn ragged_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "r.csv", "a,b,c\n1,2,3\n4,5\n");
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.csv") && e.contains("row 2") && e.contains("2 fields"),
            "{e}"
        );
    }

    #[test]
    fn empty_and_header_only() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_table(&write(&dir, "e.csv", ""), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("e.csv") && e.contains("empty"), "{e}");
        let e = read_table(&write(&dir, "h.csv", "a,b\n"), &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no data rows"), "{e}");
    }

    #[test]
    fn detects_delimiters() {
        assert_eq!(detect_delimiter(b"a;b;c\n1;2;3"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"\"a,x\";b;c\n"), b';');
        assert_eq!(detect_delimiter(b"a,b\n"), b',');
    }
}
