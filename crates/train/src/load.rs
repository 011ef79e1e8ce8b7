//! Reading lead tables with polars: CSV (delimiter detected or given, quoted fields, CRLF) and
//! Parquet, with configurable missing tokens, and a fingerprint of every input file.

use crate::error::{Result, TrainError};
use leadscore_core::artifact::InputFingerprint;
use leadscore_core::spec::DEFAULT_SEPARATOR;
use leadscore_core::value::parse_number;
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// How to read a table.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV delimiter; `None` detects it from the header line.
    pub delimiter: Option<u8>,
    /// Cell values read as missing (null).
    pub missing_tokens: Vec<String>,
    /// CSV columns read as text whatever they hold (lead ids: digit strings stay exact,
    /// leading zeros included); names the file lacks are ignored.
    pub text_columns: Vec<String>,
    /// CSV: infer each column's type from its values (the whole file: a column of numbers with
    /// one word in its last row must not fail). `false` reads every column as text, with no
    /// inference pass: for tables whose columns the caller parses itself (the events file: ids,
    /// type names and timestamps, all read as text anyway).
    pub infer_types: bool,
    /// CSV written with a decimal comma (`12,5`; a spec's `decimal_comma`): polars reads such
    /// numbers, and a number with a dot (`1.234`, a thousands separator there) stays text for
    /// [`crate::featurize::numeric_values`]. Only with a delimiter other than `,`.
    pub decimal_comma: bool,
    /// How timestamps with the year last (`12/31/2023`) are read in the tables read with these
    /// options whose times are parsed (events, outcomes; a spec's `date_order`). The reading
    /// itself keeps them as text.
    pub date_order: leadscore_core::value::DateOrder,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            delimiter: None,
            missing_tokens: leadscore_core::value::default_missing_tokens(),
            text_columns: Vec::new(),
            infer_types: true,
            decimal_comma: false,
            date_order: Default::default(),
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
    /// How the file was read when that needs a word (a CSV that is not UTF-8, read as
    /// Windows-1252): shown as a warning by `init`, kept in the model's warnings by `train`.
    pub note: Option<String>,
    /// The delimiter a CSV was read with; `None` for Parquet.
    pub delimiter: Option<u8>,
    /// Parquet list columns (`list<string>`, a warehouse's array), each read as text: its
    /// items joined with [`DEFAULT_SEPARATOR`], the way a multi_select column reads options.
    pub list_columns: Vec<String>,
    /// The `sum_of` columns added to `df` from their parts, each with its parts
    /// ([`crate::featurize::add_sums`]): not the file's, and not computed again.
    pub sums: Vec<(String, Vec<String>)>,
}

fn read_err(path: &Path, message: impl Into<String>) -> TrainError {
    TrainError::Read {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Opens an input file the user named: a regular file (a link to one is followed), never a
/// FIFO, a device or a directory, which could block a read forever or stream without end.
pub fn open_input(path: &Path) -> Result<File> {
    leadscore_core::files::open_regular(path, None, leadscore_core::files::Symlinks::Follow)
        .map_err(|e| match e {
            leadscore_core::Error::File { message, .. } => read_err(path, message),
            leadscore_core::Error::Io { error, .. } => read_err(path, error.to_string()),
            other => read_err(path, other.to_string()),
        })
}

/// The whole of a small text input the user named (a spec, a dead-letter file), opened as
/// [`open_input`] opens it.
pub fn read_input_text(path: &Path) -> Result<String> {
    let mut text = String::new();
    open_input(path)?
        .read_to_string(&mut text)
        .map_err(|e| read_err(path, e.to_string()))?;
    Ok(text)
}

/// A Parquet file, its columns in the types the pipeline reads: 8- and 16-bit integers as
/// 64-bit ones, decimals as floats (a warehouse's NUMERIC column is a number like any other).
/// Columns of a type leadscore does not read (a struct, a list, a time of day) are left out,
/// and the note returned names them (a model or spec that needs one then fails on a column the
/// file does not have, naming it); a panic inside the reader is an error naming the file,
/// never a crash.
/// The column names of a Parquet file, from its footer's schema (no data read); `None` when it
/// is not a readable Parquet file.
pub fn parquet_column_names(path: &Path) -> Option<Vec<String>> {
    quiet_panics(|| {
        let mut reader = ParquetReader::new(open_input(path).ok()?);
        let schema = reader.schema().ok()?;
        Some(schema.iter().map(|(name, _)| name.to_string()).collect())
    })
    .ok()
    .flatten()
}

/// A Parquet list column's rows as text: the items (text, numbers written as levels, yes/no
/// as `true`/`false`; missing items skipped) joined with [`DEFAULT_SEPARATOR`]; an empty or
/// missing list is a missing value. Also the first item that holds the separator itself, with
/// its row (1-based): it reads as several options, as the server reads the same JSON array.
#[allow(clippy::type_complexity)]
fn joined_items(c: &Column) -> std::result::Result<(Column, Option<(usize, String)>), PolarsError> {
    let lists = c.as_materialized_series().list()?;
    let mut rows: Vec<Option<String>> = Vec::with_capacity(lists.len());
    let mut split: Option<(usize, String)> = None;
    for row in lists.amortized_iter() {
        rows.push(match row {
            None => None,
            Some(items) => {
                // A decimal item as a number (`1.50` is the option `1.5`, as a plain decimal
                // column is a number).
                let items = match items.as_ref().dtype() {
                    DataType::Decimal(..) => items.as_ref().cast(&DataType::Float64)?,
                    _ => items.as_ref().clone(),
                };
                let parts: Vec<String> = crate::table::text_values(&items)?
                    .into_iter()
                    .flatten()
                    .collect();
                if split.is_none() {
                    if let Some(part) = parts.iter().find(|p| p.contains(DEFAULT_SEPARATOR)) {
                        split = Some((rows.len() + 1, part.clone()));
                    }
                }
                (!parts.is_empty()).then(|| parts.join(DEFAULT_SEPARATOR))
            }
        });
    }
    Ok((Series::new(c.name().clone(), rows).into(), split))
}

fn read_parquet(path: &Path) -> Result<(DataFrame, Option<String>, Vec<String>)> {
    let unreadable = |e: PolarsError| read_err(path, format!("not a readable Parquet file: {e}"));
    // One reader: its schema (the file's footer) says which columns to leave out, then it
    // reads the others.
    let read = || -> Result<(DataFrame, Vec<(String, String)>)> {
        let mut reader = ParquetReader::new(open_input(path)?);
        let schema = reader.schema().map_err(unreadable)?;
        let skipped: Vec<(String, String)> = schema
            .iter()
            .filter_map(|(name, f)| unread_kind(f.dtype()).map(|k| (name.to_string(), k)))
            .collect();
        if !skipped.is_empty() {
            let wanted = schema
                .iter()
                .filter(|(_, f)| unread_kind(f.dtype()).is_none())
                .map(|(name, _)| name.to_string())
                .collect();
            reader = reader.with_columns(Some(wanted));
        }
        Ok((reader.finish().map_err(unreadable)?, skipped))
    };
    let (df, mut skipped) = quiet_panics(read).map_err(|why| {
        read_err(
            path,
            format!("not a readable Parquet file: its reader failed ({why})"),
        )
    })??;
    let mut widened: Vec<Column> = Vec::with_capacity(df.width());
    let mut lists = Vec::new();
    // Notes of list items holding the separator ([`joined_items`]).
    let mut split_items: Vec<String> = Vec::new();
    for c in df.columns() {
        let to = match c.dtype() {
            DataType::List(_) => {
                let (joined, split) = joined_items(c).map_err(|e| {
                    read_err(
                        path,
                        format!("list column `{}` cannot be read as text: {e}", c.name()),
                    )
                })?;
                widened.push(joined);
                if let Some((row, item)) = split {
                    let item: String = item.chars().take(120).collect();
                    split_items.push(format!(
                        "{}: list column `{}`: row {row} has an item holding `{DEFAULT_SEPARATOR}` \
                         ({item:?}), read as one option for each part (as the server reads the \
                         same JSON array); write the items without it to keep them whole",
                        path.display(),
                        c.name()
                    ));
                }
                lists.push(c.name().to_string());
                continue;
            }
            DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::UInt16 => {
                DataType::Int64
            }
            DataType::Decimal(..) => DataType::Float64,
            // Text kept as a dictionary (pandas' `category`) or as bytes reads as the text
            // it holds, as the same column of a CSV does.
            DataType::Categorical(..) | DataType::Enum(..) => DataType::String,
            // Bytes that are not all UTF-8 leave the column out, naming the first such row.
            DataType::Binary | DataType::BinaryOffset => match c.cast(&DataType::String) {
                Ok(text) => {
                    widened.push(text);
                    continue;
                }
                Err(e) => {
                    let at = first_not_utf8(c)
                        .map_or(e.to_string(), |row| format!("first at row {row}"));
                    skipped.push((
                        c.name().to_string(),
                        format!("bytes that are not UTF-8 text, {at}"),
                    ));
                    continue;
                }
            },
            _ => {
                widened.push(c.clone());
                continue;
            }
        };
        widened.push(c.cast(&to).map_err(|e| {
            read_err(
                path,
                format!(
                    "column `{}` ({}) cannot be read as {to}: {e}",
                    c.name(),
                    c.dtype()
                ),
            )
        })?);
    }
    let df = DataFrame::new(df.height(), widened).map_err(|e| read_err(path, e.to_string()))?;
    let left_out = (!skipped.is_empty()).then(|| {
        let named: Vec<String> = skipped
            .iter()
            .map(|(name, kind)| format!("`{name}` ({kind})"))
            .collect();
        let (plural, them) = if skipped.len() == 1 {
            ("", "it")
        } else {
            ("s", "them")
        };
        format!(
            "{}: left out column{plural} {}: leadscore reads numbers, text, yes/no, dates and \
             timestamps (cast {them} in the export to use {them})",
            path.display(),
            named.join(", "),
        )
    });
    let notes: Vec<String> = left_out.into_iter().chain(split_items).collect();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok((df, note, lists))
}

/// The first row (1-based, as a data row) of a binary column whose bytes are not UTF-8.
fn first_not_utf8(c: &Column) -> Option<usize> {
    let c = c.cast(&DataType::Binary).ok()?;
    let row = c
        .binary()
        .ok()?
        .iter()
        .position(|v| v.is_some_and(|b| std::str::from_utf8(b).is_err()));
    row.map(|i| i + 1)
}

/// Runs `f`, turning a panic into its message without the default hook's report on stderr
/// (a corrupt file can make polars' reader panic on this or on a worker thread: the error
/// that names the file is the report).
fn quiet_panics<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let previous = std::panic::take_hook();
    let message: std::sync::Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let seen = message.clone();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let mut slot = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert(text);
    }));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    out.map_err(|_| {
        message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| "a panic".into())
    })
}

/// What a Parquet column type leadscore does not read is (`a struct`, `a time of day`); `None`
/// for the types it reads.
fn unread_kind(t: &polars::prelude::ArrowDataType) -> Option<String> {
    use polars::prelude::ArrowDataType as A;
    Some(match t {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::Date32
        | A::Date64
        | A::Timestamp(..)
        | A::Decimal(..)
        | A::Dictionary(..) => return None,
        // A list of text, numbers or yes/no is read as its items joined ([`joined_items`]);
        // items of other types (bytes, dates, lists) have no option text a request could send.
        A::List(item) | A::LargeList(item) => match item.dtype() {
            A::Binary | A::LargeBinary | A::BinaryView => "a list of bytes".into(),
            A::Date32 | A::Date64 | A::Timestamp(..) => "a list of dates".into(),
            A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => "a list of lists".into(),
            A::Struct(_) => "a list of structs".into(),
            // Items of a type read in a column of their own: the list is read.
            other => format!("a list of {}", unread_kind(other)?),
        },
        A::Struct(_) => "a struct".into(),
        A::FixedSizeList(..) => "a fixed-size list".into(),
        A::Map(..) => "a map".into(),
        A::Time32(_) | A::Time64(_) => "a time of day".into(),
        A::Duration(_) => "a duration".into(),
        A::Interval(_) => "an interval".into(),
        other => format!("{other:?}").to_lowercase(),
    })
}

/// Reads a CSV or Parquet file (by extension; otherwise by content: Parquet starts with `PAR1`).
///
/// One streaming pass over the file hashes it and, for CSV, checks UTF-8 and that every row has
/// the header's field count; polars then reads the file itself (memory-mapped), so a large
/// events file is never held twice. A CSV that is not UTF-8 is read as Windows-1252 instead
/// (held in memory, at most 1 GiB), its rows checked then, and [`Table::note`] says so.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table> {
    read_table_rows(path, options, false)
}

/// What a file whose first bytes are those of a compressed format is, and what to do, as the
/// error says it: a gzip file, or a zip archive (an `.xlsx` workbook is one).
fn compressed_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("it is gzip-compressed (a .csv.gz?): decompress it first (gunzip)")
    } else if head.starts_with(b"PK\x03\x04") {
        Some(
            "it is a zip archive (an Excel .xlsx workbook is one): save the sheet as CSV \
             (UTF-8), or unzip the archive",
        )
    } else {
        None
    }
}

/// [`read_table`], where a header without data rows is a table of no rows when `empty_ok` (an
/// events file of a day without events), else an error.
pub fn read_table_rows(path: &Path, options: &ReadOptions, empty_ok: bool) -> Result<Table> {
    let mut file = open_input(path)?;
    let mut head = [0u8; 4];
    let head_len = file
        .read(&mut head)
        .map_err(|e| read_err(path, e.to_string()))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let is_parquet = ext == "parquet" || ext == "pq" || head[..head_len].starts_with(b"PAR1");
    // Compressed bytes read as text made a "ragged row" of binary: said as what they are.
    if let Some(what) = compressed_kind(&head[..head_len]) {
        return Err(read_err(path, what));
    }
    let scan = scan_file(
        path,
        if is_parquet {
            None
        } else {
            options.delimiter.or(Some(0))
        },
    )?;
    if scan.blank {
        return Err(read_err(path, "the file is empty"));
    }
    let mut note = None;
    let mut footer_note = None;
    let mut preamble_note = scan.preamble.as_ref().map(|p| p.note(path));
    // A report's title lines above the header ([`Preamble`]): the lines the reader skips.
    let skip = scan.preamble.as_ref().map_or(0, |p| p.newlines);
    // Where the header starts in the file's bytes (after title lines and a byte-order mark).
    let header_at = scan
        .preamble
        .as_ref()
        .map_or(if scan.bom { 3 } else { 0 }, |p| p.offset);
    let mut repeated_note = repeated_note_of(path, scan.repeated);
    // Empty lines between rows, left out in memory like repeated headers (up to 1 GiB; a
    // larger file is read with them, and the rows polars makes of them dropped).
    let leave_out = scan.repeated.0 > 0 || (scan.empty.0 > 0 && scan.bytes <= MAX_TRANSCODED);
    let mut empty_note = empty_note_of(path, scan.empty);
    let mut list_columns = Vec::new();
    let df = if is_parquet {
        let (df, skipped, lists) = read_parquet(path)?;
        note = skipped;
        list_columns = lists;
        df
    } else if let Some(at) = scan.not_utf8_at {
        // A spreadsheet's "CSV" on Windows: read as Windows-1252, every byte a character.
        let text = windows_1252(path, open_input(path)?, scan.bytes)?;
        let bom = if scan.bom { 3 } else { 0 };
        // The title lines found again on the text as read (their note shows `ü`, not `�`).
        let title = scan.preamble.as_ref().and_then(|raw| {
            let (mut p, _) = preamble(text.as_bytes(), scan.delimiter)?;
            // A title written in UTF-8 above rows that are not: quoted as written.
            if !raw.first.contains('\u{fffd}') {
                p.first.clone_from(&raw.first);
            }
            Some(p)
        });
        let skip = title.as_ref().map_or(0, |p| p.offset as usize);
        let mut ragged = RaggedCheck::after(scan.delimiter, skip as u64);
        ragged
            .feed(text.as_bytes())
            .map_err(|m| read_err(path, m))?;
        ragged.finish().map_err(|m| read_err(path, m))?;
        let mut bytes = text.into_bytes();
        let cut = ragged.footer.as_ref().map_or(bytes.len(), |f| {
            usize::try_from(f.offset)
                .unwrap_or(bytes.len())
                .min(bytes.len())
        });
        // The rows between title lines and a footer that are themselves the only text that is
        // not UTF-8 (`©` in a copyright line, `ü` in a title) are UTF-8: read as written, not
        // as Windows-1252.
        let mut utf8_rows = false;
        if title.is_some() || ragged.footer.is_some() {
            // One character per byte of the file: where the rows are there.
            let chars = |b: &[u8]| String::from_utf8_lossy(b).chars().count() as u64;
            let (start, end) = (bom + chars(&bytes[..skip]), bom + chars(&bytes[..cut]));
            let raw = read_prefix(path, end)?;
            let rows = raw.get(start as usize..).unwrap_or_default();
            if std::str::from_utf8(rows).is_ok() {
                bytes = rows.to_vec();
                utf8_rows = true;
            }
        }
        if !utf8_rows {
            bytes.truncate(cut);
            bytes.drain(..skip);
        }
        footer_note = ragged.footer.as_ref().map(|f| f.note(path));
        preamble_note = title.map(|p| p.note(path));
        if !utf8_rows {
            note = Some(format!(
                "{} is not UTF-8 (byte {at} is not), so it was read as Windows-1252, as a \
                 spreadsheet on Windows writes a CSV (`é`, `ü`, `€` read as such); if the export \
                 has another encoding, save it as UTF-8",
                path.display()
            ));
        }
        // Lines that repeat the header, found on the text (the scan stops at the first byte
        // that is not UTF-8).
        if ragged.leaves_out() {
            bytes = without_left_out_lines(bytes, scan.delimiter, 0);
            repeated_note = repeated_note_of(path, (ragged.repeated.len(), ragged.repeated_after));
            empty_note = empty_note_of(path, (ragged.empty_lines, ragged.empty_after));
        }
        // The rows from the header on: no line to skip.
        let read = |o: &ReadOptions| read_csv(path, std::io::Cursor::new(&bytes[..]), &scan, o, 0);
        drop_trailing_empty_rows(read_keeping_non_finite_text(read, options, scan.delimiter)?)
    } else if let Some(f) = &scan.footer {
        // The rows before a report's footer, read from memory (a file with a footer is a
        // report export, not a multi-gigabyte events table).
        let mut bytes = read_prefix(path, f.offset)?;
        if leave_out {
            bytes = without_left_out_lines(bytes, scan.delimiter, header_at);
        }
        footer_note = Some(f.note(path));
        let read =
            |o: &ReadOptions| read_csv(path, std::io::Cursor::new(&bytes[..]), &scan, o, skip);
        drop_trailing_empty_rows(read_keeping_non_finite_text(read, options, scan.delimiter)?)
    } else if leave_out {
        // Lines that repeat the header or empty lines between rows, left out in memory (files
        // joined end to end: an export's size, not a multi-gigabyte events table).
        if scan.bytes > MAX_TRANSCODED {
            return Err(read_err(
                path,
                format!(
                    "the header is repeated after row {} (files joined end to end?): a file over \
                     1 GiB is not rewritten in memory; remove those lines",
                    scan.repeated.1.unwrap_or(0)
                ),
            ));
        }
        let bytes = read_prefix(path, scan.bytes)?;
        let bytes = without_left_out_lines(bytes, scan.delimiter, header_at);
        let read =
            |o: &ReadOptions| read_csv(path, std::io::Cursor::new(&bytes[..]), &scan, o, skip);
        drop_trailing_empty_rows(read_keeping_non_finite_text(read, options, scan.delimiter)?)
    } else {
        let read = |o: &ReadOptions| read_csv(path, open_input(path)?, &scan, o, skip);
        let df = read_keeping_non_finite_text(read, options, scan.delimiter)?;
        drop_trailing_empty_rows(drop_rows(df, &scan.empty_rows))
    };
    let df = blank_cells_to_null(
        df,
        &options.text_columns,
        options.infer_types && !is_parquet,
    )
    .map_err(|e| read_err(path, e.to_string()))?;
    let left_out: Vec<&String> = [&preamble_note, &repeated_note, &empty_note, &footer_note]
        .into_iter()
        .flatten()
        .collect();
    if df.height() == 0 && !empty_ok {
        // Say what was left out: the only row may have been taken for a header or a total.
        let why = left_out
            .iter()
            .map(|n| {
                n.strip_prefix(&format!("{}: ", path.display()))
                    .unwrap_or(n)
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(read_err(
            path,
            if why.is_empty() {
                "the file has a header but no data rows".to_string()
            } else {
                format!("the file has a header but no data rows: {why}")
            },
        ));
    }
    // The header names written in quotes (a doubled quote in one is one quote).
    let quoted: Vec<String> = if is_parquet {
        Vec::new()
    } else {
        let raw = String::from_utf8_lossy(&scan.header_line).into_owned();
        raw.split(char::from(scan.delimiter))
            .filter_map(|n| {
                let t = n.trim();
                t.strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .map(str::to_string)
            })
            .collect()
    };
    let (df, header_note) = tidy_header(df, &quoted);
    let notes: Vec<String> = [
        note,
        preamble_note,
        repeated_note,
        empty_note,
        footer_note,
        header_note,
    ]
    .into_iter()
    .flatten()
    .collect();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    let fingerprint = InputFingerprint {
        path: path.display().to_string(),
        sha256: scan.sha256,
        bytes: scan.bytes,
        rows: df.height() as u64,
    };
    Ok(Table {
        df,
        path: path.display().to_string(),
        fingerprint,
        note,
        delimiter: (!is_parquet).then_some(scan.delimiter),
        list_columns,
        sums: Vec::new(),
    })
}

/// Prints what reading `table` left out or read another way ([`Table::note`]) as a `WARNING:`
/// on stderr: for the commands that read a file without returning its notes (the outcomes of
/// `monitor` and `score --outcomes`, `funnel`'s files, `score --previous`).
pub fn warn_of(table: &Table) {
    if let Some(note) = &table.note {
        leadscore_core::stderr_line!("WARNING: {}", crate::report::terminal_safe(note));
    }
}

/// The first `len` bytes of the file (the rows before a report's footer).
fn read_prefix(path: &Path, len: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_input(path)?
        .take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| read_err(path, e.to_string()))?;
    Ok(bytes)
}

/// What one pass over a file found.
struct Scan {
    sha256: String,
    bytes: u64,
    blank: bool,
    delimiter: u8,
    /// A CSV that is not UTF-8: its first such byte (1-based).
    not_utf8_at: Option<u64>,
    /// A CSV's first line as written (the byte-order mark aside): its header.
    header_line: Vec<u8>,
    /// The first data row with a `"` inside an unquoted field ([`RaggedCheck::stray_quote`]).
    stray_quote: Option<usize>,
    /// A report's footer ([`Footer`]; its offset in the file's bytes).
    footer: Option<Footer>,
    /// A report's title lines above the header ([`Preamble`]; its offset in the file's bytes).
    preamble: Option<Preamble>,
    /// Lines after the header that repeat it (files joined end to end), and the data row the
    /// first follows.
    repeated: (usize, Option<usize>),
    /// Empty lines between rows of data, and the data row the first follows.
    empty: (usize, Option<usize>),
    /// Where those lie among the rows polars reads ([`RaggedCheck::empty_rows`]).
    empty_rows: Vec<usize>,
    /// Whether the file starts with a UTF-8 byte-order mark.
    bom: bool,
}

/// How a file's first bytes say it is UTF-16: its byte-order mark, or, without one, a zero
/// byte in every other place of its first line (ASCII letters in UTF-16); `None` for
/// anything else.
fn utf16(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xFF\xFE") {
        return Some("little-endian, byte-order mark FF FE");
    }
    if head.starts_with(b"\xFE\xFF") {
        return Some("big-endian, byte-order mark FE FF");
    }
    let sample = &head[..head.len().min(64) & !1];
    if sample.len() < 8 {
        return None;
    }
    let zeros_at = |odd: usize| sample.iter().skip(odd).step_by(2).all(|b| *b == 0);
    let texts_at = |odd: usize| sample.iter().skip(odd).step_by(2).all(|b| *b != 0);
    if zeros_at(1) && texts_at(0) {
        Some("little-endian, no byte-order mark")
    } else if zeros_at(0) && texts_at(1) {
        Some("big-endian, no byte-order mark")
    } else {
        None
    }
}

/// Hashes the file; for CSV (`delimiter` is `Some`, 0 = detect) also checks ragged rows while
/// the text is UTF-8, and notes the first byte that is not (the rows are then checked on the
/// Windows-1252 reading), streaming in 1 MiB chunks.
fn scan_file(path: &Path, delimiter: Option<u8>) -> Result<Scan> {
    let mut file = open_input(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new(); // an incomplete UTF-8 sequence at a chunk's end
    let mut bytes = 0u64;
    let mut blank = true;
    let mut first = true;
    let mut ragged: Option<RaggedCheck> = None;
    let mut chosen = delimiter.unwrap_or(b',');
    // The first byte (1-based) that is not UTF-8, when one is not.
    let mut not_utf8_at: Option<u64> = None;
    // Where in the file `carry` starts (0-based).
    let mut carry_start = 0u64;
    let mut header_line = Vec::new();
    let mut bom = 0u64;
    let mut preamble_found: Option<Preamble> = None;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| read_err(path, e.to_string()))?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        hasher.update(chunk);
        bytes += n as u64;
        blank &= chunk.iter().all(u8::is_ascii_whitespace);
        let Some(d) = delimiter else { continue };
        if first {
            // UTF-16 (Excel's "Unicode Text", ad platforms' exports): every other byte 0. Read
            // as Windows-1252 it made a header of `ÿþP r o s p e c t` and rows of one field.
            if let Some(which) = utf16(chunk) {
                return Err(read_err(
                    path,
                    format!(
                        "it is UTF-16 text ({which}), as Excel saves \"Unicode Text\": save it \
                         as \"CSV UTF-8\" (or convert it: iconv -f UTF-16 -t UTF-8)"
                    ),
                ));
            }
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
            carry_start = (n - chunk.len()) as u64;
            bom = carry_start;
            chosen = if d == 0 { detect_delimiter(chunk) } else { d };
            if let Some((p, detected)) = preamble(chunk, d) {
                chosen = detected;
                preamble_found = Some(p);
            }
            let skip = preamble_found.as_ref().map_or(0, |p| p.offset);
            ragged = Some(RaggedCheck::after(chosen, skip));
            first = false;
            // Lines ended by a carriage return alone (a classic Mac export) read as one
            // header line and no rows: said as it is.
            if !chunk.contains(&b'\n') && chunk.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') {
                return Err(read_err(
                    path,
                    "its lines end with a carriage return alone (an old Mac export): save it \
                     with LF or CRLF line ends",
                ));
            }
            let line = chunk[skip as usize..]
                .split(|b| *b == b'\n')
                .next()
                .unwrap_or_default();
            header_line = line.strip_suffix(b"\r").unwrap_or(line).to_vec();
        }
        if not_utf8_at.is_some() {
            continue; // read as Windows-1252 (`read_table`), checked there
        }
        carry.extend_from_slice(chunk);
        let valid = match std::str::from_utf8(&carry) {
            Ok(_) => carry.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                not_utf8_at = Some(carry_start + e.valid_up_to() as u64 + 1);
                // Too large to read as Windows-1252: said now, not after hashing the rest
                // (32 s for a 1.1 GB file).
                if size > MAX_TRANSCODED {
                    return Err(too_large_to_transcode(path, size));
                }
                continue;
            }
        };
        if let Some(r) = ragged.as_mut() {
            r.feed(&carry[..valid]).map_err(|m| read_err(path, m))?;
        }
        carry.drain(..valid);
        carry_start += valid as u64;
    }
    if !carry.is_empty() && not_utf8_at.is_none() {
        // An incomplete sequence at the very end.
        not_utf8_at = Some(carry_start + 1);
    }
    if let (Some(r), None) = (ragged.as_mut(), not_utf8_at) {
        if !blank {
            r.finish().map_err(|m| read_err(path, m))?;
        }
    }
    Ok(Scan {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes,
        blank,
        delimiter: chosen,
        not_utf8_at,
        header_line,
        stray_quote: ragged.as_ref().and_then(|r| r.stray_quote),
        repeated: ragged
            .as_ref()
            .map_or((0, None), |r| (r.repeated.len(), r.repeated_after)),
        empty: ragged
            .as_ref()
            .map_or((0, None), |r| (r.empty_lines, r.empty_after)),
        empty_rows: ragged
            .as_mut()
            .map_or_else(Vec::new, |r| std::mem::take(&mut r.empty_rows)),
        footer: ragged.and_then(|r| r.footer).map(|mut f| {
            f.offset += bom;
            f
        }),
        preamble: preamble_found.map(|mut p| {
            p.offset += bom;
            p
        }),
        bom: bom > 0,
    })
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

/// `bytes` (a CSV whose header starts after `skip` bytes) without the lines after the header
/// that repeat it (files joined end to end) and the empty lines between rows
/// ([`RaggedCheck::left_out`]).
fn without_left_out_lines(bytes: Vec<u8>, delimiter: u8, skip: u64) -> Vec<u8> {
    let mut check = RaggedCheck::after(delimiter, skip);
    if check.feed(&bytes).and_then(|()| check.finish()).is_err() || !check.leaves_out() {
        return bytes;
    }
    let mut kept = Vec::with_capacity(bytes.len());
    let mut at = 0usize;
    for (start, end) in check.left_out() {
        kept.extend_from_slice(&bytes[at..start as usize]);
        at = end as usize;
    }
    kept.extend_from_slice(&bytes[at..]);
    kept
}

/// `df` without the rows at `rows` (ascending): the empty lines of a file too large to rewrite,
/// each read as a row of nulls (a line of spaces as a row of one field).
fn drop_rows(df: DataFrame, rows: &[usize]) -> DataFrame {
    if rows.is_empty() {
        return df;
    }
    let mut keep = vec![true; df.height()];
    for &r in rows {
        if let Some(k) = keep.get_mut(r) {
            *k = false;
        }
    }
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    df.filter(&mask).unwrap_or(df)
}

/// What a run says of empty lines between rows (read as rows of nulls otherwise).
fn empty_note_of(path: &Path, (count, after): (usize, Option<usize>)) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{}: left out {} (the first after {}), not rows",
            path.display(),
            if count == 1 {
                "an empty line".to_string()
            } else {
                format!("{count} empty lines")
            },
            after_row(after),
        )
    })
}

/// Where a note's first line left out lies: `the header`, or `row N` (a data row).
fn after_row(after: Option<usize>) -> String {
    match after {
        Some(0) | None => "the header".to_string(),
        Some(row) => format!("row {row}"),
    }
}

/// What a run says of lines that repeat the header.
fn repeated_note_of(path: &Path, (count, after): (usize, Option<usize>)) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{}: left out {count} line{} that repeat{} the header (the first after {}), as \
             files joined end to end have",
            path.display(),
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" },
            after_row(after)
        )
    })
}

/// The most lines above a header read as a report's title ([`Preamble`]).
const PREAMBLE_LINES: usize = 10;

/// A report's title lines above the header: `Leads Report`, `Generated 2024-01-05 by ...`, an
/// empty line, as a report saved from a spreadsheet or a CRM's formatted export begins (a
/// spreadsheet pads each to the table's width: `Leads Report,,,,`). Up to [`PREAMBLE_LINES`]
/// lines, each with at most one field that is not blank, above a header with at least two
/// names and fewer empty ones than a title line; the row after the header, when there is one,
/// has the header's number of fields. Left out with a note instead of taking the title for
/// the header (every column named `""`, the real header a row of data).
#[derive(Debug, Clone, PartialEq)]
struct Preamble {
    /// Where the header starts, in the bytes after a byte-order mark (in a [`Scan`], the
    /// file's).
    offset: u64,
    /// The line ends before it (what the CSV reader skips).
    newlines: usize,
    /// How many lines it has.
    lines: usize,
    /// Its first line with text, unquoted and cut.
    first: String,
}

/// `line`, or `N lines`: the lines a note says were left out (`the last 2 lines`).
fn lines_word(n: usize) -> String {
    if n == 1 {
        "line".to_string()
    } else {
        format!("{n} lines")
    }
}

impl Preamble {
    fn note(&self, path: &Path) -> String {
        let lines = lines_word(self.lines);
        let such = if self.first.is_empty() {
            "empty".to_string()
        } else {
            format!("a report's title, such as {:?}", self.first)
        };
        format!(
            "{}: left out the first {lines} above the header ({such}), not data",
            path.display(),
        )
    }
}

/// The fields of one line (quote-aware; a quoted field's quotes removed), and where the next
/// line starts; `None` when the line does not end within `bytes` (or a quote stays open).
fn line_fields(bytes: &[u8], delimiter: u8) -> Option<(Vec<String>, usize)> {
    let mut fields = vec![Vec::new()];
    let mut in_quotes = false;
    let mut field_start = true;
    let done = |fields: Vec<Vec<u8>>| -> Vec<String> {
        fields
            .into_iter()
            .map(|f| String::from_utf8_lossy(&f).trim().to_string())
            .collect()
    };
    for (i, &b) in bytes.iter().enumerate() {
        let start = std::mem::replace(&mut field_start, false);
        match b {
            // A quote opens a field only at its start (`Leads for 12" pipes` is text).
            b'"' if in_quotes || start => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return Some((done(fields), i + 1)),
            b'\r' if !in_quotes => field_start = start,
            b' ' if start => field_start = true,
            c if c == delimiter && !in_quotes => {
                fields.push(Vec::new());
                field_start = true;
            }
            c => fields.last_mut().expect("one field at least").push(c),
        }
    }
    // The file's last line, without a line end.
    (!bytes.is_empty() && !in_quotes).then(|| (done(fields), bytes.len()))
}

/// Whether the next three lines that are not empty from `at` on (as many as there are) have
/// `width` fields: rows below a header.
fn rows_as_wide(bytes: &[u8], mut at: usize, delimiter: u8, width: usize) -> bool {
    let mut seen = 0;
    while let Some((row, next)) = line_fields(&bytes[at..], delimiter) {
        if !(row.len() == 1 && row[0].is_empty()) {
            if row.len() != width {
                return false;
            }
            seen += 1;
            if seen == 3 {
                break;
            }
        }
        at += next;
    }
    true
}

/// Title lines read with `delimiter` at the start of `bytes` ([`Preamble`]), or `None` when
/// no header is found below lines that are titles.
fn titles_with(bytes: &[u8], delimiter: u8) -> Option<Titles> {
    let mut at = 0usize;
    let mut first = String::new();
    let mut not_empty = false;
    // The most fields of a title line with several (`Generated 05.01.2024, 10:00`).
    let mut title_width = 0usize;
    for lines in 0..=PREAMBLE_LINES {
        let (fields, next) = line_fields(&bytes[at..], delimiter)?;
        let named = fields.iter().filter(|f| !f.is_empty()).count();
        if named >= 2 {
            // A header: names, not a row of data (no number among them; `lead_id,` above
            // `L1,5` is a header with an empty name), fewer empty ones than filled, the next
            // rows that are not empty (if any) as wide, and wider than any title line.
            let empty = fields.len() - named;
            let header = empty * 2 < fields.len()
                && !fields.iter().any(|f| parse_number(f).is_some())
                && rows_as_wide(bytes, at + next, delimiter, fields.len())
                && fields.len() > title_width;
            if header {
                return Some(Titles {
                    at,
                    lines,
                    first,
                    not_empty,
                    names: named,
                });
            }
            // Else a title that holds the delimiter (`Leads, all regions`): a phrase.
            if !fields.iter().any(|f| f.contains(char::is_whitespace)) {
                return None;
            }
            title_width = title_width.max(fields.len());
            if first.is_empty() {
                first = String::from_utf8_lossy(&bytes[at..at + next])
                    .trim()
                    .to_string();
            }
        } else if named == 1 {
            // A title is a phrase in the first column: not a lone word (a one-column file's
            // `tags`, a header's only name) nor text in another column (`,Name`, pandas'
            // index column, is a header).
            let text = &fields[0];
            if text.is_empty() || !text.chars().any(char::is_whitespace) {
                return None;
            }
            if first.is_empty() {
                first = text.clone();
            }
        }
        // Any line but an empty one (a line of delimiters or spaces alone too) is the
        // reader's header.
        not_empty |= named > 0
            || fields.len() > 1
            || bytes[at..at + next]
                .iter()
                .any(|b| !matches!(b, b'\r' | b'\n'));
        at += next;
    }
    None
}

/// A report's title lines at the start of `bytes` (the file's first chunk, after a byte-order
/// mark), with the delimiter to read the rest with (`delimiter`, or 0 to find it: the one
/// under which the header below the titles has the most names); `None` when the first line
/// is the header, or only empty lines are above it (the reader skips those).
fn preamble(bytes: &[u8], delimiter: u8) -> Option<(Preamble, u8)> {
    let candidates: &[u8] = if delimiter == 0 {
        b",;\t|"
    } else {
        std::slice::from_ref(&delimiter)
    };
    let mut best: Option<(Titles, u8)> = None;
    for &d in candidates {
        if let Some(found) = titles_with(bytes, d) {
            // The first line is a header under one delimiter (with rows as wide below it):
            // no title, whatever another delimiter makes of the values.
            if found.lines == 0 {
                return None;
            }
            if best.as_ref().is_none_or(|(b, _)| found.names > b.names) {
                best = Some((found, d));
            }
        }
    }
    let (t, d) = best?;
    if t.lines == 0 || !t.not_empty {
        return None;
    }
    let mut first: String = t.first.chars().take(FOOTER_SHOWN).collect();
    if first.len() < t.first.len() {
        first.push_str("...");
    }
    Some((
        Preamble {
            offset: t.at as u64,
            newlines: bytes[..t.at].iter().filter(|b| **b == b'\n').count(),
            lines: t.lines,
            first,
        },
        d,
    ))
}

/// What [`titles_with`] found: where the header starts, how many lines are above it (0: the
/// first line is the header), the first title's text, whether any line above is more than
/// empty, and the header's names.
struct Titles {
    at: usize,
    lines: usize,
    first: String,
    not_empty: bool,
    names: usize,
}

/// Counts fields per record (quote-aware, across chunks) and reports the first record whose
/// count differs from the header's, so a ragged row is an error naming its row instead of
/// silently padded data.
struct RaggedCheck {
    /// Bytes at the start left out ([`RaggedCheck::after`]).
    skip: u64,
    delimiter: u8,
    expected: Option<usize>,
    fields: usize,
    in_quotes: bool,
    has_content: bool,
    record: usize, // 0 = header
    /// Whether the next byte starts a field.
    field_start: bool,
    /// The first row with a `"` inside a field that does not start with one (`12" pipes`):
    /// not an error here, but what a failed parse is most likely about.
    stray_quote: Option<usize>,
    /// Whether the current record's first opening `"` began a field (`,"Germ`): when that
    /// record never ends, it is the quote left open, and later quotes (closing it, reopening)
    /// are no stray ones.
    first_quote_at_start: Option<bool>,
    /// Whether the last byte closed a quoted field (a `"` next is an escaped one, `""`).
    quote_closed: bool,
    /// Bytes fed so far, and where the current record's line starts.
    pos: u64,
    record_start: u64,
    /// Where the run of empty lines just before the current line starts, if any (whether an
    /// empty line came since the last record).
    blank_from: Option<u64>,
    /// The current record's first field, up to [`FOOTER_SHOWN`] bytes.
    head: Vec<u8>,
    /// A report's footer begun ([`Footer`]), and the ragged-row error its first line is if
    /// a row of data follows it.
    footer: Option<Footer>,
    footer_error: Option<String>,
    /// The header line's names (no line end; each without its quotes and the spaces around
    /// it, `0x1F` between them: [`RaggedCheck::name_byte`]), up to [`HEADER_KEPT`] bytes
    /// (longer: not kept, and no line is taken for a repeat of it).
    header: Vec<u8>,
    header_kept: bool,
    /// How many bytes of the current line match the header's so far (`usize::MAX`: not), and
    /// the line's bytes so far (line ends aside).
    same: usize,
    line_len: usize,
    /// Lines after the header that repeat it (files joined end to end): their byte ranges
    /// (line end included) in the bytes fed, and the data row the first follows.
    repeated: Vec<(u64, u64)>,
    repeated_after: Option<usize>,
    /// Empty lines between rows of data (of a table of two or more columns): their byte
    /// ranges, how many lines, and the data row the first follows. polars reads each as a row
    /// of nulls (a lead with no label, no id); pandas drops them, and so do we.
    empty: Vec<(u64, u64)>,
    /// The lines of each range of `empty`.
    empty_runs: Vec<usize>,
    empty_lines: usize,
    empty_after: Option<usize>,
    /// Empty lines in the current run (since the last line with text).
    blank_run: usize,
    /// Whether the current name has text yet, and the spaces after its text so far (kept
    /// only if more text follows): [`RaggedCheck::name_byte`].
    name_text: bool,
    name_spaces: Vec<u8>,
    /// The current line's fields with text so far, whether the current field has text, and
    /// whether an odd number of `"` in it were read as text (after an empty line: a
    /// footer's; in a row of data one opens a quoted field that never closes).
    text_fields: usize,
    field_text: bool,
    text_quote: bool,
    /// Whether the current line has spaces or tabs, and whether the run's empty lines had
    /// (polars reads such a line as a row of one field; an empty one at the end as nothing).
    spaces: bool,
    spaces_in_run: bool,
    /// Where each empty line left out lies among the rows polars reads with them (a row of
    /// nulls each): for a file too large to rewrite ([`drop_rows`]).
    empty_rows: Vec<usize>,
    /// The last row of data when it is a report's totals row ([`totals_label`]): where it
    /// starts (the empty lines above it included), its number and its label.
    totals: Option<(u64, usize, String)>,
}

/// The longest header kept to find its repeats ([`RaggedCheck::repeated`]).
const HEADER_KEPT: usize = 1 << 20;

/// The most lines of a report's footer that are left out ([`Footer`]); a longer block of
/// one-field lines is a ragged file.
const FOOTER_LINES: usize = 10;

/// The bytes of a footer's first line shown in the note.
const FOOTER_SHOWN: usize = 120;

/// A report's footer: the last lines of a CSV, after an empty line (or starting with an
/// empty quoted line, `""`), each a single field, at most [`FOOTER_LINES`], as a Salesforce
/// report export ends (`"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."`,
/// `"Confidential Information - Do Not Distribute"`, `"Generated By: ..."`). Left out with a
/// note instead of failing the file as ragged; any other ragged row is still an error.
#[derive(Debug, Clone, PartialEq)]
struct Footer {
    /// The data row it follows (1-based; 0 = the header).
    after_row: usize,
    /// Where its first line starts, in the bytes fed (the file's after a byte-order mark).
    offset: u64,
    /// How many lines it has.
    lines: usize,
    /// Its first line with text, unquoted and cut.
    first: String,
    /// A report's totals row just before it ([`totals_label`]: `Grand Total,,,5627,,1228`, as
    /// a spreadsheet or a summary report ends): its first field. It starts at `offset` then,
    /// and `lines` counts the footer's lines after it (none when it ends the file).
    totals: Option<String>,
}

/// What a report's last row of sums starts with (lower case; [`totals_label`]): English, and
/// the words of the spreadsheets that export most lead lists in Europe.
const TOTALS_WORDS: [&str; 11] = [
    "total",
    "totals",
    "grand total",
    "grand totals",
    "overall total",
    "sum",
    "summe",
    "gesamt",
    "gesamtergebnis",
    "total général",
    "totaal",
];

/// The first field of a row (`head`, as [`RaggedCheck`] keeps it: with the `delimiter` after
/// it) when it names a report's totals row: one of [`TOTALS_WORDS`] alone, or followed by
/// `(`/`:` (`Grand Totals (5000 records)`, `Total:`), unquoted; `None` for anything else
/// (`Total Health Inc` is a name). Only the last row of data is taken for one.
fn totals_label(head: &[u8], delimiter: u8) -> Option<String> {
    let start = head
        .iter()
        .position(|b| !matches!(b, b'"' | b' ' | b'\t'))?;
    if !matches!(head[start].to_ascii_lowercase(), b't' | b'g' | b'o' | b's') {
        return None;
    }
    let head = head.strip_suffix(&[delimiter]).unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let text = text.trim().trim_matches('"').trim();
    let lower = text.to_lowercase();
    let word = TOTALS_WORDS
        .iter()
        .filter(|w| lower.starts_with(*w))
        .max_by_key(|w| w.len())?;
    let rest = lower[word.len()..].trim_start();
    (rest.is_empty() || rest.starts_with('(') || rest.starts_with(':')).then(|| text.to_string())
}

impl Footer {
    /// What a run says of it: the totals row and the lines left out, and the first one.
    fn note(&self, path: &Path) -> String {
        let mut parts = Vec::new();
        if let Some(label) = &self.totals {
            parts.push(format!(
                "{}: left out row {} ({label:?}), a report's totals row, not data",
                path.display(),
                self.after_row + 1,
            ));
        }
        if self.lines > 0 {
            let lines = lines_word(self.lines);
            parts.push(format!(
                "{}: left out the last {lines} after row {}, a report's footer of one field a \
                 line (such as {:?}), not data",
                path.display(),
                self.after_row + usize::from(self.totals.is_some()),
                self.first
            ));
        }
        parts.join("; ")
    }
}

impl RaggedCheck {
    /// A check whose first `skip` bytes fed are left out (a report's title lines,
    /// [`Preamble`]): the header starts there; offsets stay the file's.
    fn after(delimiter: u8, skip: u64) -> Self {
        Self {
            skip,
            delimiter,
            expected: None,
            fields: 1,
            in_quotes: false,
            has_content: false,
            record: 0,
            field_start: true,
            stray_quote: None,
            quote_closed: false,
            first_quote_at_start: None,
            pos: 0,
            record_start: skip,
            blank_from: None,
            head: Vec::new(),
            footer: None,
            footer_error: None,
            header: Vec::new(),
            header_kept: true,
            same: 0,
            line_len: 0,
            repeated: Vec::new(),
            repeated_after: None,
            empty: Vec::new(),
            empty_runs: Vec::new(),
            empty_lines: 0,
            empty_after: None,
            blank_run: 0,
            name_text: false,
            name_spaces: Vec::new(),
            text_fields: 0,
            field_text: false,
            text_quote: false,
            spaces: false,
            spaces_in_run: false,
            empty_rows: Vec::new(),
            totals: None,
        }
    }

    /// Whether lines are left out of the rows read ([`RaggedCheck::left_out`]).
    fn leaves_out(&self) -> bool {
        !self.repeated.is_empty() || !self.empty.is_empty()
    }

    /// The byte ranges left out of the rows read, in order: repeated headers and empty lines
    /// between rows.
    fn left_out(&self) -> Vec<(u64, u64)> {
        let mut all: Vec<(u64, u64)> = self.repeated.iter().chain(&self.empty).copied().collect();
        all.sort_unstable();
        all
    }

    /// Clears what is kept of the current line, for the next.
    fn reset_line(&mut self) {
        self.spaces = false;
        self.fields = 1;
        self.has_content = false;
        self.head.clear();
        self.same = 0;
        self.line_len = 0;
        self.name_text = false;
        self.name_spaces.clear();
        self.text_fields = 0;
        self.field_text = false;
        self.text_quote = false;
        self.first_quote_at_start = None;
    }

    fn end_record(&mut self) -> std::result::Result<(), String> {
        // The fields with text in them (`,,,,` has none: a spreadsheet's padding).
        let text_fields = self.text_fields + usize::from(self.field_text);
        if self.has_content {
            // A line of one field with nothing in it but quotes (`""`): blank, in a footer.
            let quoted_blank = self.fields == 1
                && self
                    .head
                    .iter()
                    .all(|b| *b == b'"' || b.is_ascii_whitespace());
            match self.expected {
                None => self.expected = Some(self.fields),
                Some(e) if e != self.fields => {
                    let error = format!(
                        "row {}: has {} fields but the header has {e} (a ragged row; check the delimiter and quoting){}",
                        self.record, self.fields, stray_quote_hint(self.stray_quote)
                    );
                    let footer_line = self.fields == 1 && e >= 2;
                    let text = String::from_utf8_lossy(&self.head)
                        .trim()
                        .trim_matches('"')
                        .trim()
                        .to_string();
                    match &mut self.footer {
                        Some(f) if footer_line && f.lines < FOOTER_LINES => {
                            f.lines += 1;
                            if f.first.is_empty() {
                                f.first = text;
                            }
                        }
                        Some(_) => return Err(self.footer_error.take().unwrap_or(error)),
                        None if footer_line && (self.blank_from.is_some() || quoted_blank) => {
                            self.footer = Some(Footer {
                                after_row: self.record - 1,
                                // The empty lines above it with it (a line of spaces would
                                // read as a row).
                                offset: self.blank_from.unwrap_or(self.record_start),
                                lines: 1,
                                first: text,
                                totals: None,
                            });
                            self.footer_error = Some(error);
                        }
                        // A totals row of another width (`Grand Total,5627`): left out if it
                        // ends the rows, as one of the header's width is.
                        None => {
                            let totals =
                                totals_label(&self.head, self.delimiter).filter(|_| e >= 2);
                            if totals.is_none() {
                                return Err(error);
                            }
                            self.footer = Some(Footer {
                                after_row: self.record - 1,
                                offset: self.blank_from.unwrap_or(self.record_start),
                                lines: 0,
                                first: String::new(),
                                totals,
                            });
                            self.footer_error = Some(error);
                        }
                    }
                }
                Some(_)
                    if self.footer.is_none()
                        && self.fields >= 2
                        && self.header_kept
                        && !self.header.is_empty()
                        && self.same == self.header.len() =>
                {
                    // The header again (files joined end to end): left out, not a row, with
                    // the empty lines just above it (they would read as a row of nothing).
                    let start = self.blank_from.take().unwrap_or(self.record_start);
                    self.repeated.push((start, self.pos));
                    self.repeated_after.get_or_insert(self.record - 1);
                    self.blank_run = 0;
                    self.spaces_in_run = false;
                    self.reset_line();
                    return Ok(());
                }
                Some(_) if self.footer.is_some() && text_fields == 0 => {
                    // A row of empty fields after a footer or a totals row (`,,,,`, a
                    // spreadsheet's padding): cut with it.
                    self.reset_line();
                    return Ok(());
                }
                Some(e) => {
                    // A row of data after a footer: the footer's first line was a ragged row.
                    if let Some(error) = self.footer_error.take() {
                        return Err(error);
                    }
                    // A lone `"` read as text after an empty line (a footer's) in what is a
                    // row of data: it opens a quoted field there, as the CSV reader reads it.
                    if self.text_quote {
                        return Err(format!(
                            "row {}: a `\"` inside a field that does not start with one (as \
                             in `12\" pipes`) opens a quoted field there: quote such a field and \
                             double its quotes (`\"12\"\" pipes\"`), as CSV requires",
                            self.record
                        ));
                    }
                    // A totals row leaves most fields empty (a sum has no text or date): a
                    // lead named `Sum` with its fields filled is a lead. A row of empty fields
                    // keeps the one before it the last.
                    if text_fields > 0 {
                        let at = self.blank_from.unwrap_or(self.record_start);
                        self.totals = totals_label(&self.head, self.delimiter)
                            .filter(|_| 2 * (text_fields - 1) < e)
                            .map(|label| (at, self.record, label));
                    }
                    // Empty lines above a row of data, past the header: left out.
                    if let (Some(from), true) = (self.blank_from, e >= 2 && self.record > 0) {
                        self.leave_out_blank_run(from, self.record_start);
                    }
                }
            }
            self.record += 1;
            self.blank_from = None;
            self.blank_run = 0;
            self.spaces_in_run = false;
        } else {
            self.blank_from.get_or_insert(self.record_start);
            self.blank_run += 1;
            self.spaces_in_run |= self.spaces;
        }
        self.reset_line();
        Ok(())
    }

    /// One byte of the current line's names ([`RaggedCheck::header`]): a name's quotes and the
    /// spaces around it left out, the delimiter between names (outside quotes) as `0x1F`.
    fn name_byte(&mut self, b: u8) {
        if b == b'"' {
            return;
        }
        if b == self.delimiter && !self.in_quotes {
            self.name_text = false;
            self.name_spaces.clear();
            self.name_emit(0x1F);
        } else if b == b' ' || b == b'\t' {
            if self.name_text {
                self.name_spaces.push(b);
            }
        } else {
            for i in 0..self.name_spaces.len() {
                self.name_emit(self.name_spaces[i]);
            }
            self.name_spaces.clear();
            self.name_emit(b);
            self.name_text = true;
        }
    }

    /// The header's next byte (while it is read), or the next to compare with it.
    fn name_emit(&mut self, b: u8) {
        if self.expected.is_none() {
            if self.header.len() < HEADER_KEPT {
                self.header.push(b);
            } else {
                self.header_kept = false;
            }
        } else if self.same != usize::MAX {
            self.same = if self.header.get(self.same) == Some(&b) {
                self.same + 1
            } else {
                usize::MAX
            };
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> std::result::Result<(), String> {
        for &b in bytes {
            self.pos += 1;
            if self.pos <= self.skip {
                continue;
            }
            if self.fields == 1 && self.head.len() < FOOTER_SHOWN && b != b'\r' && b != b'\n' {
                self.head.push(b);
            }
            // The header's names, and how far the current line repeats them (a byte-order
            // mark at its start aside: two UTF-8 exports of a spreadsheet joined), each name
            // without its quotes and the spaces around it: one part's tool quotes every name
            // (`"id","source"`) or pads them (`id, source`) where the other's does not.
            if b != b'\r' && (b != b'\n' || self.in_quotes) {
                let line_at = self.line_len;
                self.line_len += 1;
                if self.expected.is_some()
                    && self.same == 0
                    && line_at < 3
                    && b == b"\xEF\xBB\xBF"[line_at]
                {
                    // A mark's byte: the line may still repeat the header.
                } else if self.expected.is_none() || self.same != usize::MAX {
                    self.name_byte(b);
                }
            }
            let start = std::mem::replace(&mut self.field_start, false);
            // Whether the byte before closed a quoted field: a `"` now is the second of `""`.
            let closed = std::mem::take(&mut self.quote_closed);
            match b {
                // In a line after an empty one (a report's footer, [`Footer`]), a `"` inside a
                // field that does not start with one is text (`Generated By: Jo "JD" Doe`):
                // a footer is never parsed as CSV, and an open quote would swallow the rest.
                // Past a delimiter the line is a row of data (its empty line is left out and
                // the row parsed): a stray quote there is one.
                b'"' if !self.in_quotes
                    && !start
                    && !closed
                    && (self.footer.is_some() || self.blank_from.is_some()) =>
                {
                    self.has_content = true;
                    self.field_text = true;
                    self.text_quote = !self.text_quote;
                }
                // `""` inside a quoted field (`"Newsletter ""March"""`, as CSV writes a quote):
                // the field goes on; no stray quote (that hint blamed a valid row for another
                // row's error).
                b'"' if closed => {
                    self.in_quotes = true;
                    self.has_content = true;
                }
                b'"' => {
                    if !self.in_quotes && self.first_quote_at_start.is_none() {
                        self.first_quote_at_start = Some(start);
                    }
                    if !self.in_quotes && !start && self.stray_quote.is_none() {
                        self.stray_quote = Some(self.record);
                    }
                    self.in_quotes = !self.in_quotes;
                    self.quote_closed = !self.in_quotes;
                    self.has_content = true;
                }
                b'\n' if !self.in_quotes => {
                    self.end_record()?;
                    self.field_start = true;
                    self.record_start = self.pos;
                }
                b'\r' if !self.in_quotes => self.field_start = start,
                c if c == self.delimiter && !self.in_quotes => {
                    self.fields += 1;
                    self.has_content = true;
                    self.field_start = true;
                    self.text_fields += usize::from(std::mem::take(&mut self.field_text));
                }
                // Spaces and tabs alone make an empty line, as pandas reads one.
                b' ' | b'\t' if !self.in_quotes => self.spaces = true,
                _ => {
                    self.has_content = true;
                    self.field_text = true;
                }
            }
        }
        Ok(())
    }

    /// Leaves out the run of empty lines from `from` to `to` (its bytes), above row
    /// `self.record` (or at the end).
    fn leave_out_blank_run(&mut self, from: u64, to: u64) {
        self.empty.push((from, to));
        self.empty_runs.push(self.blank_run);
        // polars' rows: the data rows so far and the empty lines before these.
        let first = self.record - 1 + self.empty_lines;
        self.empty_rows.extend(first..first + self.blank_run);
        self.empty_lines += self.blank_run;
        self.empty_after.get_or_insert(self.record - 1);
    }

    fn finish(&mut self) -> std::result::Result<(), String> {
        if self.in_quotes {
            // The record that never ended opened a field with `"` (`,"Germ,`): that quote was
            // never closed, and the quotes after it read as text and rows as the field's.
            if self.first_quote_at_start == Some(true)
                && self.stray_quote.is_none_or(|r| r >= self.record)
            {
                return Err(format!(
                    "row {}: a quoted field is never closed: a field of this row starts with `\"` \
                     and no `\"` ends it (as in `\"Germ,`), so the rows after it are read as its \
                     text; close the quote or remove it",
                    self.record
                ));
            }
            return Err(format!(
                "row {}: a quoted field is never closed{}",
                self.record,
                stray_quote_hint(self.stray_quote)
            ));
        }
        // The last line, unless the file ended with a line end (nothing after it is no line).
        if self.has_content || self.spaces || self.record_start < self.pos {
            self.end_record()?;
        }
        // Empty lines at the end with spaces in them: left out (polars reads a line of spaces
        // as a row; empty ones there as nothing), unless a footer took them.
        if let (Some(from), true, None) = (self.blank_from, self.spaces_in_run, &self.footer) {
            self.leave_out_blank_run(from, self.pos);
        }
        // The last row of data names a report's totals: left out with the footer after it
        // (files of two columns or more: a one-column file's last value is a value).
        if let Some((offset, row, label)) = self.totals.take().filter(|_| self.expected >= Some(2))
        {
            // Everything from it on is cut (unless a totals row of another width after it is
            // the one cut): the empty lines above and below it are no longer left out on their
            // own, nor counted in the note.
            if !matches!(&self.footer, Some(f) if f.totals.is_some()) {
                while self.empty.last().is_some_and(|(start, _)| *start >= offset) {
                    self.empty.pop();
                    let lines = self.empty_runs.pop().unwrap_or(0);
                    self.empty_lines -= lines;
                    let kept = self.empty_rows.len().saturating_sub(lines);
                    self.empty_rows.truncate(kept);
                }
                if self.empty.is_empty() {
                    self.empty_after = None;
                }
            }
            match &mut self.footer {
                Some(f) if f.totals.is_none() => {
                    f.offset = offset;
                    f.after_row = row - 1;
                    f.totals = Some(label);
                }
                Some(_) => {}
                None => {
                    self.footer = Some(Footer {
                        after_row: row - 1,
                        offset,
                        lines: 0,
                        first: String::new(),
                        totals: Some(label),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The largest CSV read as Windows-1252 (it is held in memory twice while transcoded).
const MAX_TRANSCODED: u64 = 1 << 30;

/// The Unicode characters of Windows-1252's bytes 0x80 to 0x9F (the other bytes are Latin-1:
/// their own code points; the five bytes it leaves undefined keep theirs too, as Latin-1).
const WINDOWS_1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The file's bytes read as Windows-1252, as UTF-8 text (a leading UTF-8 BOM is dropped).
fn windows_1252(path: &Path, mut file: File, bytes: u64) -> Result<String> {
    if bytes > MAX_TRANSCODED {
        return Err(too_large_to_transcode(path, bytes));
    }
    let mut raw = Vec::with_capacity(bytes as usize);
    file.read_to_end(&mut raw)
        .map_err(|e| read_err(path, e.to_string()))?;
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
    Ok(raw.iter().map(|&b| windows_1252_char(b)).collect())
}

fn too_large_to_transcode(path: &Path, bytes: u64) -> TrainError {
    read_err(
        path,
        format!(
            "not UTF-8 text, and at {bytes} bytes too large to read as Windows-1252 (at most \
             {MAX_TRANSCODED}); save the export as UTF-8"
        ),
    )
}

/// The character Windows-1252 writes as `b`.
fn windows_1252_char(b: u8) -> char {
    match b {
        0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn read_csv(
    path: &Path,
    file: impl polars::io::mmap::MmapBytesReader,
    scan: &Scan,
    options: &ReadOptions,
    skip_lines: usize,
) -> Result<DataFrame> {
    let delimiter = scan.delimiter;
    let nulls: Vec<PlSmallStr> = options
        .missing_tokens
        .iter()
        .map(|t| t.as_str().into())
        .collect();
    let parse = CsvParseOptions::default()
        .with_separator(delimiter)
        .with_quote_char(Some(b'"'))
        .with_null_values(Some(NullValues::AllColumns(nulls)))
        .with_missing_is_null(true)
        .with_decimal_comma(options.decimal_comma && delimiter != b',');
    // A text column is named as the header writes it (` lead_id ` for `lead_id`: see
    // [`tidy_header`]; `Lead_ID`, which [`names_in_any_case`] reads as `lead_id`), so that its
    // zeros are kept there too.
    let header = header_names(scan);
    let text: Schema = options
        .text_columns
        .iter()
        .map(|c| {
            let raw = header
                .iter()
                .find(|h| *h == c)
                .or_else(|| header.iter().find(|h| h.trim() == c.as_str()))
                .or_else(|| {
                    let mut like = header.iter().filter(|h| h.trim().eq_ignore_ascii_case(c));
                    like.next().filter(|_| like.next().is_none())
                })
                .unwrap_or(c);
            (PlSmallStr::from(raw.as_str()), DataType::String)
        })
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema_overwrite((!text.is_empty()).then(|| Arc::new(text)))
        // Some(0): no inference, every column text.
        .with_infer_schema_length(if options.infer_types { None } else { Some(0) })
        .with_skip_lines(skip_lines)
        .with_parse_options(parse)
        .into_reader_with_file_handle(file)
        .finish()
        .map_err(|e| {
            let hint = stray_quote_hint(scan.stray_quote);
            read_err(path, format!("cannot parse as CSV: {e}{hint}"))
        })
}

/// What a failed parse most likely comes from when row `row` has a stray quote.
fn stray_quote_hint(row: Option<usize>) -> String {
    row.map_or_else(String::new, |row| {
        format!(
            "; row {row} has a `\"` inside a field that does not start with one (as in \
             `12\" pipes`), which opens a quoted field there: quote such a field and double its \
             quotes (`\"12\"\" pipes\"`), as CSV requires"
        )
    })
}

/// The names in a CSV's header as written (quotes taken off, spaces kept), read as the file
/// is (UTF-8, else Windows-1252).
fn header_names(scan: &Scan) -> Vec<String> {
    let line: String = if scan.not_utf8_at.is_some() {
        scan.header_line
            .iter()
            .map(|&b| windows_1252_char(b))
            .collect()
    } else {
        String::from_utf8_lossy(&scan.header_line).into_owned()
    };
    line.split(char::from(scan.delimiter))
        .map(|n| {
            let t = n.trim();
            match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(inner) => inner.to_string(),
                None => n.to_string(),
            }
        })
        .collect()
}

/// The header as a person meant it: a name with spaces around it (` Lead Source `, as a
/// hand-edited export has) is read trimmed, unless another column already has that name; and a
/// note that says so, and names a header written twice (polars reads the second as
/// `name_duplicated_0`).
fn tidy_header(mut df: DataFrame, quoted: &[String]) -> (DataFrame, Option<String>) {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    // A quoted CSV name's doubled quotes are one quote (`"a""b"` is `a"b`, as in any field);
    // polars keeps them doubled in the header. (An unquoted name, or a Parquet one, is as
    // written.)
    let mut names = names;
    for name in names.iter_mut() {
        // A name with a line break was quoted too (an unquoted field cannot hold one), though
        // the header's first line, which `quoted` is read from, holds only its start.
        let multiline = name.contains(['\n', '\r']);
        if name.contains("\"\"") && (quoted.contains(name) || multiline) {
            let one = name.replace("\"\"", "\"");
            let free = !df.get_column_names().iter().any(|c| c.as_str() == one);
            if free && df.rename(name, one.as_str().into()).is_ok() {
                *name = one;
            }
        }
    }
    let mut trimmed = Vec::new();
    // Names with spaces around them left as written, since another column has the trimmed
    // name: said, as the trimmed ones are (`trail ` beside `trail` read as two columns whose
    // names print alike).
    let mut kept = Vec::new();
    for name in &names {
        let t = name.trim();
        let taken = names.iter().filter(|n| n.trim() == t).count() > 1;
        if t != name && !t.is_empty() && !taken && df.rename(name, t.into()).is_ok() {
            trimmed.push(format!("`{name}` as `{t}`"));
        } else if t != name && !t.is_empty() && taken {
            kept.push(format!("{:?}", name.as_str()));
        }
    }
    let twice: Vec<String> = names
        .iter()
        .filter_map(|n| {
            let (base, k) = n.rsplit_once("_duplicated_")?;
            (k.bytes().all(|b| b.is_ascii_digit()) && names.iter().any(|m| m.trim() == base.trim()))
                .then(|| {
                    format!(
                        "`{}` (its column {} read as `{n}`)",
                        base.trim(),
                        k.parse::<usize>().unwrap_or(0) + 2
                    )
                })
        })
        .collect();
    let mut notes = Vec::new();
    if !trimmed.is_empty() {
        notes.push(format!(
            "header names with spaces around them are read trimmed: {}",
            trimmed.join(", ")
        ));
    }
    if !kept.is_empty() {
        notes.push(format!(
            "header names kept with the spaces around them, since another column has the name \
             without them: {} (they print alike: rename one in the file)",
            kept.join(", ")
        ));
    }
    if !twice.is_empty() {
        notes.push(format!(
            "the header names a column more than once: {}; rename them in the file to say which \
             is which",
            twice.join(", ")
        ));
    }
    (df, (!notes.is_empty()).then(|| notes.join("; ")))
}

/// A CSV read with `read`, and read again with its float columns that hold `NaN` or an
/// infinity kept as text: polars reads the text `NaN` as a float NaN, which featurizing could
/// not tell from a missing value, while `score` and the server refuse `"NaN"` in a numeric field.
/// As text, `init` sees it as the placeholder it is (a missing token, with a warning) and
/// training names the row (`expected a finite number, found "NaN"`), as scoring does.
///
/// With `decimal_comma` in a file separated by `,` (`delimiter`), where polars cannot read
/// decimal commas, every float column is read again as text: its dots are thousands
/// separators there (`1.380` is 1380, which [`crate::featurize::numeric_values`] reads from the
/// text), where polars read 1.38.
fn read_keeping_non_finite_text(
    read: impl Fn(&ReadOptions) -> Result<DataFrame>,
    options: &ReadOptions,
    delimiter: u8,
) -> Result<DataFrame> {
    let df = read_past_integer_overflow(&read, options)?;
    let dots_are_thousands = options.decimal_comma && delimiter == b',';
    let non_finite: Vec<String> = df
        .columns()
        .iter()
        .filter(|c| {
            c.dtype().is_float()
                && (dots_are_thousands
                    || c.cast(&DataType::Float64).is_ok_and(|f| {
                        f.f64()
                            .is_ok_and(|ca| ca.iter().any(|v| v.is_some_and(|x| !x.is_finite())))
                    }))
        })
        .map(|c| c.name().to_string())
        .collect();
    if non_finite.is_empty() {
        return Ok(df);
    }
    let mut again = options.clone();
    again.text_columns.extend(non_finite);
    read_past_integer_overflow(&read, &again)
}

/// `read(options)`, with a column of whole numbers past 64 bits read as text: polars infers a
/// column of digits as 64-bit integers and then fails the file on `100000000000000000000`
/// (naming neither row nor value briefly), where the featurizer reads the text as the number
/// it is (a numeric column's value outside its training range, or an id kept exact).
fn read_past_integer_overflow(
    read: &impl Fn(&ReadOptions) -> Result<DataFrame>,
    options: &ReadOptions,
) -> Result<DataFrame> {
    let mut options = std::borrow::Cow::Borrowed(options);
    // One column a retry; a file has few such columns.
    for _ in 0..64 {
        match read(&options) {
            Err(e) => {
                let Some(column) = overflowing_integer_column(&e.to_string()) else {
                    return Err(e);
                };
                if options.text_columns.contains(&column) {
                    return Err(e);
                }
                options.to_mut().text_columns.push(column);
            }
            ok => return ok,
        }
    }
    read(&options)
}

/// The column of polars' "could not parse `...` as dtype `i64` at column 'NAME'" error.
fn overflowing_integer_column(message: &str) -> Option<String> {
    let rest = &message[message.find("as dtype `i64` at column '")? + 26..];
    Some(rest[..rest.find("' (column number")?].to_string())
}

/// The table with every text cell that holds only whitespace (`" "`, a tab: what a CRM export
/// pads an empty field with) made null, as an empty cell is: missing, in every column, as the
/// server reads such a value (see `FittedSpec::is_missing_token`). Without this, one padded
/// cell turned a column of numbers into a categorical one. Columns without such a cell are
/// left as they are (one pass to look, no copy).
fn blank_cells_to_null(
    mut df: DataFrame,
    text_columns: &[String],
    inference: bool,
) -> PolarsResult<DataFrame> {
    let blank = |t: &str| !t.is_empty() && t.trim().is_empty();
    let padded: Vec<String> = df
        .columns()
        .iter()
        .filter(|c| {
            c.str()
                .is_ok_and(|ca| ca.iter().any(|v| v.is_some_and(blank)))
        })
        .map(|c| c.name().to_string())
        .collect();
    for name in padded {
        let ca = df.column(&name)?.str()?;
        let cleaned: StringChunked = ca
            .iter()
            .map(|v| v.filter(|t| !blank(t)))
            .collect::<StringChunked>()
            .with_name(name.as_str().into());
        // Numbers but for the blank cell: numbers, as polars infers a column without one
        // (integers first), unless the column is read as text on purpose. Finite ones only:
        // `NaN` stays text, as `read_keeping_non_finite_text` keeps it.
        let mut column = cleaned.into_column();
        let finite = |t: &str| t.parse::<f64>().is_ok_and(f64::is_finite);
        let numbers = inference
            && !text_columns.iter().any(|t| t.eq_ignore_ascii_case(&name))
            && column.null_count() < column.len()
            && column.str().is_ok_and(|ca| ca.iter().flatten().all(finite));
        if numbers {
            for dtype in [DataType::Int64, DataType::Float64] {
                if let Ok(cast) = column.strict_cast(&dtype) {
                    column = cast;
                    break;
                }
            }
        }
        df.replace(&name, column)?;
    }
    Ok(df)
}

/// The table without the rows at its end whose every cell is empty: the blank lines an editor or
/// an export leaves after the last record are not leads (one in the middle still is a row, and
/// is named by whatever check it fails).
fn drop_trailing_empty_rows(df: DataFrame) -> DataFrame {
    let h = df.height();
    let empty = |row: usize| {
        df.columns()
            .iter()
            .all(|c| c.get(row).is_ok_and(|v| v.is_null()))
    };
    let mut keep = h;
    while keep > 0 && empty(keep - 1) {
        keep -= 1;
    }
    if keep == h {
        df
    } else {
        df.slice(0, keep)
    }
}

/// The named column, or an error naming the file and listing what is there.
/// Reads the columns `names` (an outcomes or events table's, named by the spec: `converted`,
/// `lead_id`) in any case: a column named otherwise only in case (`Converted`, as a CRM
/// exports it) is renamed to the spec's name when no column has that name exactly and it is
/// the only one that matches. Left as it was, a `Converted` column of 0s and 1s was not read,
/// and every lead the table lists counted as converted. Two or more such columns and none
/// named exactly (`Converted` and `CONVERTED`) are an error naming them: which one is meant is
/// not ours to guess, and reading neither counted every listed lead converted.
pub fn names_in_any_case(table: &mut Table, names: &[&str]) -> Result<()> {
    for name in names {
        let have: Vec<String> = table
            .df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        if have.iter().any(|c| c == name) {
            continue;
        }
        let like: Vec<&String> = have
            .iter()
            .filter(|c| c.eq_ignore_ascii_case(name))
            .collect();
        match like.as_slice() {
            [] => {}
            [one] => {
                let one = (*one).clone();
                let _ = table.df.rename(&one, (*name).into());
            }
            many => {
                let named: Vec<String> = many.iter().map(|c| format!("`{c}`")).collect();
                return Err(TrainError::Column {
                    path: table.path.clone(),
                    column: name.to_string(),
                    message: format!(
                        "no column is named so exactly, and {} differ from it only in case; \
                         rename the one to read `{name}` (or name it in the spec)",
                        named.join(" and ")
                    ),
                });
            }
        }
    }
    Ok(())
}

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
            // A column the reader left out (a Parquet list or struct) is named as such.
            let message = match &table.note {
                Some(note) if note.contains(&format!("`{name}` (")) => {
                    format!("the reader left it out: {note}")
                }
                _ => match have
                    .iter()
                    .find(|c| c.trim().eq_ignore_ascii_case(name.trim()))
                {
                    // A later export that writes the header in other case (`EMAIL`): said,
                    // as the Python package says it.
                    Some(like) => format!(
                        "no such column, but `{like}` differs from it only in case: rename it \
                         (the file has: {})",
                        have.join(", ")
                    ),
                    None => format!("no such column (the file has: {})", have.join(", ")),
                },
            };
            TrainError::Column {
                path: table.path.clone(),
                column: name.to_string(),
                message,
            }
        })
}

/// The columns a run names for a role (the label, the id, those excluded) are columns of
/// `table`, and the label is not the id: a typo would otherwise leave the real label a feature
/// (leakage), or a column meant to be excluded in.
pub fn check_roles(
    table: &Table,
    label: Option<&str>,
    id: Option<&str>,
    exclude: &[String],
) -> Result<()> {
    for name in label
        .iter()
        .chain(&id)
        .copied()
        .chain(exclude.iter().map(String::as_str))
    {
        column(table, name)?;
    }
    // A list's joined items are no label and no id (`L0;M0`).
    for name in label.iter().chain(&id) {
        if table.list_columns.iter().any(|c| c == name) {
            return Err(TrainError::Column {
                path: table.path.clone(),
                column: name.to_string(),
                message: "is a list column: a label or an id is one value per lead".into(),
            });
        }
    }
    match (label, id) {
        (Some(label), Some(id)) if label == id => Err(TrainError::Config(format!(
            "the label and the id both name `{label}`: the label is the outcome, the id names \
             the lead"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file too large to read as Windows-1252 is refused when its first byte that is not
    /// UTF-8 is seen, not after the whole file was read (a sparse file: 1 GiB of holes).
    #[test]
    fn a_huge_file_that_is_not_utf8_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, b"a,b\n\xff,1\n").unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(MAX_TRANSCODED + 1).unwrap();
        drop(f);
        let start = std::time::Instant::now();
        let e = read_table(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("too large to read as Windows-1252"), "{e}");
        // Not a timing test: one chunk is read where the whole gigabyte was.
        leadscore_core::stderr_line!("refused after {:?}", start.elapsed());
    }

    /// A lead column missing from a later export that writes its header in other case is
    /// named with the column that differs only so.
    #[test]
    fn a_column_in_other_case_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.csv");
        std::fs::write(
            &path,
            "lead_id,EMAIL
L1,a@b.io
",
        )
        .unwrap();
        let t = read_table(&path, &ReadOptions::default()).unwrap();
        let e = column(&t, "email").unwrap_err().to_string();
        assert!(
            e.contains("`email`") && e.contains("`EMAIL` differs from it only in case: rename it"),
            "{e}"
        );
        let e = column(&t, "phone").unwrap_err().to_string();
        assert!(
            e.contains("no such column (the file has: lead_id, EMAIL)"),
            "{e}"
        );
    }

    /// A panic inside the reader is its message (no report on stderr from the default hook:
    /// the error naming the file is the report), on this thread or on a worker's.
    #[test]
    fn a_reader_panic_is_its_message() {
        assert_eq!(quiet_panics(|| 7), Ok(7));
        let r: std::result::Result<(), String> = quiet_panics(|| panic!("bad page {}", 3));
        assert_eq!(r, Err("bad page 3".into()));
        let r = quiet_panics(|| {
            std::thread::scope(|s| s.spawn(|| -> u8 { panic!("on a worker") }).join())
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        });
        assert_eq!(r, Err("on a worker".into()));
        // The default hook is back.
        assert!(std::panic::catch_unwind(|| 1).is_ok());
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A UTF-16 export (Excel's "Unicode Text"), with or without a byte-order mark, either
    /// byte order, is refused naming the encoding and what to save it as: read as
    /// Windows-1252 it was a header of `ÿþP r o s p e c t` and a ragged-row error at the end.
    #[test]
    fn utf16_files_are_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Prospect ID,Converted\r\na1,1\r\na2,0\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (name, bytes, says) in [
            (
                "le_bom.csv",
                [&[0xFF, 0xFE][..], &le].concat(),
                "little-endian, byte-order mark FF FE",
            ),
            (
                "be_bom.csv",
                [&[0xFE, 0xFF][..], &be].concat(),
                "big-endian, byte-order mark FE FF",
            ),
            ("le.csv", le.clone(), "little-endian, no byte-order mark"),
            ("be.csv", be.clone(), "big-endian, no byte-order mark"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            let e = read_table(&p, &ReadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(name) && e.contains(says) && e.contains("CSV UTF-8"),
                "{e}"
            );
        }
        // Latin text is not UTF-16.
        let p = write(&dir, "plain.csv", text);
        assert_eq!(
            read_table(&p, &ReadOptions::default()).unwrap().df.height(),
            2
        );
    }

    #[test]
    fn compressed_files_are_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, says) in [
            (&[0x1f_u8, 0x8b, 8, 0, 0, 0][..], "gzip"),
            (&b"PK\x03\x04\x14\x00"[..], "zip archive"),
        ] {
            let p = dir.path().join("f.csv");
            std::fs::write(&p, bytes).unwrap();
            let e = read_table(&p, &ReadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains("f.csv") && e.contains(says), "{e}");
        }
    }

    #[test]
    fn header_names_are_read_as_meant() {
        let dir = tempfile::tempdir().unwrap();
        let names = |t: &Table| -> Vec<String> {
            t.df.get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect()
        };
        // Spaces around names are trimmed, and said; a name written twice is named.
        let p = write(
            &dir,
            "h.csv",
            " id ,visits, Lead Source,source,source\n1,2,web,a,b\n2,3,ads,c,d\n",
        );
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(
            names(&t),
            [
                "id",
                "visits",
                "Lead Source",
                "source",
                "source_duplicated_0"
            ]
        );
        let note = t.note.unwrap();
        assert!(
            note.contains("read trimmed: ` id ` as `id`, ` Lead Source` as `Lead Source`")
                && note.contains("`source` (its column 2 read as `source_duplicated_0`)"),
            "{note}"
        );
        // A text column named trimmed keeps its zeros under a spaced header.
        let p = write(&dir, "z.csv", " lead_id ,x\n00123,1\n00456,2\n");
        let read = ReadOptions {
            text_columns: vec!["lead_id".into()],
            ..ReadOptions::default()
        };
        let t = read_table(&p, &read).unwrap();
        let ids =
            t.df.column("lead_id")
                .unwrap()
                .as_materialized_series()
                .clone();
        assert_eq!(ids.str().unwrap().get(0), Some("00123"));
        // A trimmed name another column has stays as written; a clean header has no note.
        let p = write(&dir, "k.csv", "id, id\n1,2\n");
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(names(&t), ["id", " id"]);
        let note = t.note.unwrap();
        assert!(
            note.contains("kept with the spaces around them") && note.contains("\" id\""),
            "{note}"
        );
        let p = write(&dir, "c.csv", "id,x\n1,2\n");
        assert_eq!(read_table(&p, &ReadOptions::default()).unwrap().note, None);
        // A quoted name's doubled quote is one quote, as in any field; unquoted, as written.
        let p = write(&dir, "q.csv", "\"a\"\"b\",x\n1,2\n");
        assert_eq!(
            names(&read_table(&p, &ReadOptions::default()).unwrap()),
            ["a\"b", "x"]
        );
        // Over two lines too.
        let p = write(&dir, "m.csv", "\"q\"\"\nx\",x\n1,2\n");
        assert_eq!(
            names(&read_table(&p, &ReadOptions::default()).unwrap()),
            ["q\"\nx", "x"]
        );
        let p = write(&dir, "u.csv", "a\"\"b,x\n1,2\n");
        assert_eq!(
            names(&read_table(&p, &ReadOptions::default()).unwrap()),
            ["a\"\"b", "x"]
        );
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
    fn without_inference_every_column_is_text_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "events.csv",
            "lead_id,event_type,occurred_at,weight\n00123,2,2025-01-02T03:04:05Z,1.5\n7,demo,,\n",
        );
        let read = ReadOptions {
            infer_types: false,
            ..ReadOptions::default()
        };
        let t = read_table(&p, &read).unwrap();
        assert!(
            t.df.columns()
                .iter()
                .all(|c| c.dtype() == &DataType::String),
            "{:?}",
            t.df.dtypes()
        );
        let text = |name: &str, row: usize| {
            t.df.column(name)
                .unwrap()
                .as_materialized_series()
                .str()
                .unwrap()
                .get(row)
                .map(str::to_string)
        };
        assert_eq!(text("lead_id", 0).as_deref(), Some("00123"));
        assert_eq!(text("weight", 0).as_deref(), Some("1.5"));
        // Missing tokens are still missing.
        assert_eq!(text("occurred_at", 1), None);
        // With inference (the default), the same file has numbers.
        let inferred = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(
            inferred.df.column("weight").unwrap().dtype(),
            &DataType::Float64
        );
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
    fn cells_of_whitespace_only_are_missing() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "a.csv", "x,s,t\n1,a, b \n   ,\t,c\n3,c,\u{a0}\n");
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        let nulls = |c: &str| t.df.column(c).unwrap().null_count();
        assert_eq!((nulls("x"), nulls("s"), nulls("t")), (1, 1, 1));
        // Numbers but for the blank cell are numbers, as without it.
        assert_eq!(t.df.column("x").unwrap().dtype(), &DataType::Int64);
        // Other text, padding included, is kept as written.
        let s = t.df.column("t").unwrap().as_materialized_series().clone();
        assert_eq!(s.str().unwrap().get(0), Some(" b "));
    }

    #[test]
    fn nan_written_among_numbers_stays_text() {
        let dir = tempfile::tempdir().unwrap();
        // `z` has a blank cell too: still text, not a float NaN.
        let p = write(
            &dir,
            "a.csv",
            "x,y,z\n1,1.5,1\nNaN,2.5,\t\n3,inf,NaN\n4,4,4\n",
        );
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        for c in ["x", "y", "z"] {
            let s = t.df.column(c).unwrap().as_materialized_series().clone();
            assert_eq!(s.dtype(), &DataType::String, "{c}");
        }
        let y = t.df.column("y").unwrap().as_materialized_series().clone();
        assert_eq!(y.str().unwrap().get(2), Some("inf"));
    }

    #[test]
    fn a_stray_quote_is_named_when_the_parse_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,industry,n\n");
        for i in 0..12 {
            let industry = if i == 4 || i == 8 {
                "12\" pipes"
            } else {
                "tools"
            };
            text.push_str(&format!("{i},{industry},{i}\n"));
        }
        let p = write(&dir, "a.csv", &text);
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 5 has a `\"` inside a field"), "{e}");
        // Alone, it leaves a quoted field open: the same hint.
        let p = write(
            &dir,
            "b.csv",
            "id,industry\n1,tools\n2,12\" pipes\n3,tools\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("never closed") && e.contains("row 2 has a `\"`"),
            "{e}"
        );
        // A field that opens with `"` and never closes: that row is named as the one left
        // open, with no stray quote (the quotes after it close and reopen it).
        let p = write(
            &dir,
            "c.csv",
            "id,industry,title\n1,tools,\"A, B\"\n2,\"Germ,x\n3,tools,\"C, D\"\n4,tools,y\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2: a quoted field is never closed: a field of this row starts with")
                && !e.contains("inside a field that does not start"),
            "{e}"
        );
        // Quotes where CSV puts them are no stray ones.
        let p = write(
            &dir,
            "c.csv",
            "id,industry\n1,\"12\"\" pipes\"\n2,\"a,b\"\n",
        );
        assert!(read_table(&p, &ReadOptions::default()).is_ok());
        // ... nor blamed for another row's error: a doubled quote ending a field (`""""` at
        // the end of `"Newsletter ""March"""`), then a short row, then a field left open.
        let p = write(
            &dir,
            "d.csv",
            "id,campaign,n\n1,\"Newsletter \"\"March\"\"\",1\n2,x\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2: has 2 fields") && !e.contains("inside a field"),
            "{e}"
        );
        let p = write(
            &dir,
            "e.csv",
            "id,campaign,n\n1,\"Newsletter \"\"March\"\"\",1\n2,\"Germ,x\n3,y,3\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2: a quoted field is never closed: a field of this row starts with")
                && !e.contains("inside a field"),
            "{e}"
        );
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

    /// Reads `path` (its first data row's `city` is `Zürich` in UTF-8), checks the rows were
    /// read as UTF-8, and returns the table's note.
    fn first_city_is_zurich(path: &Path) -> String {
        let t = read_table(path, &ReadOptions::default()).unwrap();
        let city =
            t.df.column("city")
                .unwrap()
                .str()
                .unwrap()
                .get(0)
                .map(str::to_string);
        assert_eq!(city.as_deref(), Some("Zürich"), "{}", path.display());
        t.note.unwrap_or_default()
    }

    /// Lines after the header that repeat it (two exports joined end to end) are left out with
    /// a note naming the row the first follows, in every path (a footer after them, title lines
    /// above, Windows-1252, a byte-order mark); a row that only resembles the header, or a
    /// one-column file's value equal to its name, is data.
    #[test]
    fn lines_repeating_the_header_are_left_out_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let part = |from: usize| -> String {
            (from..from + 3)
                .map(|i| format!("L{i},Web,{i}\n"))
                .collect::<String>()
        };
        let header = "id,source,visits\n";
        let joined = format!("{header}{}{header}{}{header}{}", part(0), part(3), part(6));
        for (name, text) in [
            ("plain.csv", joined.clone()),
            ("bom.csv", format!("\u{feff}{joined}")),
            ("crlf.csv", joined.replace('\n', "\r\n")),
            (
                "titled.csv",
                format!("Leads Report,,\n{joined}\n\"Acme Inc.\"\n"),
            ),
            ("last.csv", format!("{joined}{}", header.trim_end())),
            // Joined with an empty line between the parts: left out with the repeat.
            (
                "gap.csv",
                format!(
                    "{header}{}\n{header}{}\r\n\n{header}{}",
                    part(0),
                    part(3),
                    part(6)
                ),
            ),
            // Parts written by tools that quote or pad the names.
            (
                "quoted.csv",
                format!(
                    "{header}{}\"id\",\"source\",\"visits\"\n{}id, source, visits\n{}",
                    part(0),
                    part(3),
                    part(6)
                ),
            ),
            // Spreadsheet exports joined: each part begins with a byte-order mark.
            (
                "marks.csv",
                format!(
                    "\u{feff}{header}{}\u{feff}{header}{}\u{feff}{header}{}",
                    part(0),
                    part(3),
                    part(6)
                ),
            ),
        ] {
            let p = write(&dir, name, &text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 9, "{name}");
            let visits = t.df.column("visits").unwrap();
            assert!(visits.dtype().is_integer(), "{name}: {}", visits.dtype());
            let note = t.note.unwrap_or_default();
            let lines = if name == "last.csv" { 3 } else { 2 };
            assert!(
                note.contains(&format!(
                    "left out {lines} lines that repeat the header (the first after row 3)"
                )),
                "{name}: {note}"
            );
        }
        let p = dir.path().join("cp1252.csv");
        let mut bytes = joined.replace("Web", "W\u{e9}b").into_bytes();
        bytes.retain(|b| *b != 0xc3);
        for b in bytes.iter_mut() {
            if *b == 0xa9 {
                *b = 0xe9;
            }
        }
        std::fs::write(&p, bytes).unwrap();
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.df.height(), 9);
        let first =
            t.df.column("source")
                .unwrap()
                .str()
                .unwrap()
                .get(0)
                .map(str::to_string);
        assert_eq!(first.as_deref(), Some("Wéb"));
        for (text, rows) in [
            ("id,source,visits\nL0,Web,1\nid,source,visitors\n", 2),
            ("source\nWeb\nsource\nAds\n", 3),
            // Not the header: a space inside a name, a field boundary (a TSV's tab), a
            // delimiter inside quotes.
            (
                "id,Lead Source,visits\nL0,Web,1\nid,LeadSource,visits\nL1,Ads,2\n",
                3,
            ),
            ("a\tb\tc\n1\t2\t3\nab\t\tc\n4\t5\t6\n", 3),
            ("x,\"y,z\"\n1,2\n\"x,y\",z\n4,5\n", 3),
        ] {
            let p = write(&dir, "data.csv", text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), rows, "{text:?}");
            assert!(t.note.is_none(), "{text:?}: {:?}", t.note);
        }
    }

    /// Empty lines between rows (a hand-edited export, a spreadsheet's gaps) are left out with
    /// a note naming how many and the row the first follows, as pandas reads them, in every
    /// path (plain, CRLF, a byte-order mark, title lines, a footer, Windows-1252, repeated
    /// headers beside them): not rows of nulls, so later rows keep their numbers. A line of
    /// spaces or tabs is an empty line (at the end too, and above a footer or a totals row).
    /// Empty lines at the end only are no note; a one-column file's empty line is its empty
    /// value. A file too large to rewrite reads the same rows ([`drop_rows`]).
    #[test]
    fn empty_lines_between_rows_are_left_out_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let rows = "id,source,visits\nL0,Web,1\n\nL1,Ads,2\nL2,Web,3\n\n\nL3,Ads,x\n";
        let spaced = "id,source,visits\nL0,Web,1\n  \nL1,Ads,2\nL2,Web,3\n\t\n\nL3,Ads,x\n";
        for (name, text, lines, after) in [
            ("spaces.csv", spaced.to_string(), 3, "row 1"),
            (
                "tsv.csv",
                spaced.replace(',', "\t").replace("\t\n\n", " \n\n"),
                3,
                "row 1",
            ),
            ("trailing.csv", format!("{rows} \n\n"), 5, "row 1"),
            (
                "footer.csv",
                format!("{rows}  \n\"Confidential Information\"\n"),
                3,
                "row 1",
            ),
            // The line of spaces above the totals row is cut with it: not counted.
            ("totals.csv", format!("{rows} \nTotal,,6\n"), 3, "row 1"),
            ("plain.csv", rows.to_string(), 3, "row 1"),
            ("crlf.csv", rows.replace('\n', "\r\n"), 3, "row 1"),
            ("bom.csv", format!("\u{feff}{rows}"), 3, "row 1"),
            (
                "titled.csv",
                format!("Leads Report,,\n\n{rows}\n\"Acme Inc.\"\n"),
                3,
                "row 1",
            ),
            (
                "joined.csv",
                format!("{rows}id,source,visits\nL4,Web,4\n"),
                3,
                "row 1",
            ),
            (
                "first.csv",
                "id,source,visits\n\nL0,Web,1\nL1,Ads,2\nL2,Web,3\nL3,Ads,x\n".to_string(),
                1,
                "the header",
            ),
        ] {
            let p = write(&dir, name, &text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            let want = if name == "joined.csv" { 5 } else { 4 };
            assert_eq!(t.df.height(), want, "{name}: {:?}", t.df);
            if !["joined.csv", "titled.csv", "footer.csv", "totals.csv"].contains(&name) {
                // As a file over 1 GiB is read: whole, the rows of its empty lines dropped.
                let scan = scan_file(&p, Some(0)).unwrap();
                let read = |o: &ReadOptions| read_csv(&p, open_input(&p)?, &scan, o, 0);
                let whole =
                    read_keeping_non_finite_text(read, &ReadOptions::default(), scan.delimiter)
                        .unwrap();
                let dropped = drop_trailing_empty_rows(drop_rows(whole, &scan.empty_rows));
                assert!(
                    dropped.equals_missing(&t.df),
                    "{name}: {dropped:?}\n{:?}",
                    t.df
                );
            }
            let ids: Vec<_> =
                t.df.column("id")
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .map(|v| v.unwrap_or(""))
                    .collect();
            assert_eq!(ids[..4], ["L0", "L1", "L2", "L3"], "{name}");
            let note = t.note.unwrap_or_default();
            let count = if lines == 1 {
                "an empty line".to_string()
            } else {
                format!("{lines} empty lines")
            };
            assert!(
                note.contains(&format!("left out {count} (the first after {after})")),
                "{name}: {note}"
            );
        }
        // Empty lines only above a totals row: cut with it, no note of empty lines.
        let p = write(
            &dir,
            "only_totals.csv",
            "id,source,visits\nL0,Web,1\nL1,Ads,2\n\n\nTotal,,3\n",
        );
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.df.height(), 2);
        let note = t.note.unwrap_or_default();
        assert!(note.contains("left out row 3 (\"Total\")"), "{note}");
        assert!(!note.contains("empty line"), "{note}");
        // Empty lines (or lines of spaces, or padding rows) below the totals row too: cut
        // with it, none counted; those between data rows still are.
        let head =
            "id,source,visits,a,b,y\nL0,Web,1,,,1\n\nL1,Ads,2,,,0\nL2,Web,3,,,1\nL3,Ads,4,,,0\n";
        for tail in [
            "\nTotal,,8,,,\n\n\n\n,,,,,\n",
            "\n\nTotal,,8,,,\n   \n",
            "\nTotal,,8,,,\n  \n  \n  \n",
        ] {
            let p = write(&dir, "below_totals.csv", &format!("{head}{tail}"));
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 4, "{tail:?}");
            let note = t.note.unwrap_or_default();
            assert!(
                note.contains("left out an empty line (the first after row 1)")
                    && note.contains("(\"Total\"), a report's totals row"),
                "{tail:?}: {note}"
            );
        }
        // Windows-1252.
        let p = dir.path().join("cp1252.csv");
        std::fs::write(&p, b"id,source,visits\nL0,W\xe9b,1\n\nL1,Ads,2\n").unwrap();
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.df.height(), 2);
        assert!(t
            .note
            .unwrap_or_default()
            .contains("left out an empty line (the first after row 1)"));
        // A stray quote in the row after an empty line is named as in any row (that row is
        // data, parsed as CSV once its empty line is left out).
        let p = write(
            &dir,
            "quote.csv",
            "id,title,visits\nL0,a,1\n\nL1,12\" pipes,2\nL2,b,3\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("inside a field"), "{e}");
        // In the first field too.
        let p = write(
            &dir,
            "quote1.csv",
            "title,id,visits\nEng,L0,1\n\n12\" pipes,L1,2\nEng,L2,3\n",
        );
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("inside a field"), "{e}");
        // A line of spaces above the header: an empty title line, left out.
        let p = write(&dir, "above.csv", &format!("   \n{rows}"));
        let t = read_table(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.df.height(), 4, "{:?}", t.df);
        // A one-column file's line of spaces at the end is no value.
        let p = write(&dir, "one.csv", "id\nL0\nL1\n   \n");
        assert_eq!(
            read_table(&p, &ReadOptions::default()).unwrap().df.height(),
            2
        );
        // A file whose only row was left out says so.
        let p = write(&dir, "only.csv", "yes,no\nyes,no\n");
        let e = read_table(&p, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no data rows: left out 1 line that repeats the header (the first after the header)"),
            "{e}"
        );
        // Only at the end, or a one-column file: no note.
        for (text, height) in [("id,source\nL0,Web\n\n\n", 1), ("id\nL0\n\nL1\n", 3)] {
            let p = write(&dir, "end.csv", text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), height, "{text:?}");
            assert!(t.note.is_none(), "{text:?}: {:?}", t.note);
        }
    }

    /// A report's title lines above the header (one text field a line, padded or not, with
    /// empty lines) are left out with a note, rows read as the file's without them (UTF-8
    /// rows under a Windows-1252 title read as UTF-8); a header first, pandas' `,Name` index
    /// header, a one-column file, a row after the header of another width or more than ten
    /// such lines are no title.
    #[test]
    fn a_report_title_above_the_header_is_left_out_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let rows = "id,city,visits\nL0,Zürich,3\nL1,\"Paris, FR\",\n";
        for (name, title) in [
            (
                "padded.csv",
                "Leads Report,,\nGenerated 2024-01-05 by Ana,,\n,,\n",
            ),
            ("quoted.csv", "\"Leads Report, Q1\"\n\n"),
            ("crlf.csv", "Leads Report\r\n\r\n"),
        ] {
            let p = write(&dir, name, &format!("\u{feff}{title}{rows}"));
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(
                t.df.get_column_names()
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>(),
                ["id", "city", "visits"],
                "{name}"
            );
            assert_eq!(t.df.height(), 2, "{name}");
            let note = t.note.unwrap_or_default();
            assert!(
                note.contains(name)
                    && note.contains("above the header (a report's title, such as \"Leads Report"),
                "{name}: {note}"
            );
        }
        let p = dir.path().join("cp1252.csv");
        let mut bytes = b"Rapport \xfcber Leads\n".to_vec();
        bytes.extend_from_slice(rows.as_bytes());
        std::fs::write(&p, bytes).unwrap();
        let note = first_city_is_zurich(&p);
        assert!(
            note.contains("\"Rapport über Leads\"") && !note.contains("Windows-1252"),
            "{note}"
        );
        assert_eq!(preamble(b"id,city\nL0,Paris\n", b','), None);
        assert_eq!(preamble(b",Name\n0,Alice\n", b','), None);
        assert_eq!(preamble(b"email\na@b.io\nc@d.io\n", b','), None);
        assert_eq!(preamble(b"A title\nid,city\nL0\n", b','), None);
        assert_eq!(
            preamble(
                &b"A title\n"
                    .repeat(11)
                    .into_iter()
                    .chain(*b"id,city\n")
                    .collect::<Vec<u8>>(),
                b','
            ),
            None
        );
        let (found, delimiter) = preamble(b"A title\nid;city\nL0;Paris\n", 0).unwrap();
        assert_eq!((found.offset, found.newlines, delimiter), (8, 1, b';'));
        // A header with one name (`lead_id,` above `L1,5`), a one-column file whose values
        // hold `;`, a one-word first line, only empty lines above the header: no title.
        assert_eq!(preamble(b"lead_id,\nL1,5\nL2,7\n", 0), None);
        assert_eq!(preamble(b"lead_id,,\nL1,5,a\nL2,7,b\n", 0), None);
        assert_eq!(
            preamble(b"tags\nsales;marketing\nops;finance\nhr;it\n", 0),
            None
        );
        assert_eq!(preamble(b"\n\nid,city\nL0,Paris\n", 0), None);
        // A title holding a comma above a table of `;` (the delimiter under which the header
        // has the most names), and above a header alone without a line end.
        let (found, delimiter) = preamble(
            b"Leads, all regions\nGenerated 05.01.2024, 10:00\n\nid;city;visits\nL0;Paris;3\n",
            0,
        )
        .unwrap();
        assert_eq!(
            (found.lines, delimiter, found.first.as_str()),
            (3, b';', "Leads, all regions")
        );
        let (found, _) = preamble(b"Closed deals\n\nid,converted_at", 0).unwrap();
        assert_eq!(found.offset, 14);
        // A header first whose values hold another delimiter: no title, whatever that
        // delimiter makes of the lines (a review found these read as title and header).
        for text in [
            &b"Lead Id,Interests\nL0,marketing;sales;hr\nL1,ops;it;hr\n"[..],
            b"Lead Id\tCompany\tMailing Address\nL0\tAcme\t1 Main St, Springfield, IL, USA\n\
              L1\tBeta\t2 Side St, Salem, OR, USA\n",
            b"Lead Id,Notes\nL1,called; left voicemail; follow up\n",
            b"region,2023,2024\nEMEA,1,2\n",
        ] {
            assert_eq!(preamble(text, 0), None, "{}", String::from_utf8_lossy(text));
        }
        // A title line holding the table's delimiter, and one holding a lone quote.
        let (found, delimiter) = preamble(
            b"Leads Report\nGenerated 05.01.2024, 10:00\n\nid,city,visits\nL0,Paris,3\n",
            0,
        )
        .unwrap();
        assert_eq!((found.lines, delimiter), (3, b','));
        let (found, _) = preamble(b"Leads, all regions\nid,city,visits\nL0,Paris,3\n", 0).unwrap();
        assert_eq!(found.first, "Leads, all regions");
        let (found, _) = preamble(b"Leads for 12\" pipes\nid,city\nL0,Paris\n", 0).unwrap();
        assert_eq!(found.first, "Leads for 12\" pipes");
    }

    /// A report's totals row as the last row of data (`Grand Total,,5627`, of the header's
    /// width or not, alone or before a footer; CRLF, Windows-1252) is left out with a note
    /// naming it; a name that starts with the word (`Total Health Inc`), a totals row with data
    /// after it, or a one-column file's last value is data.
    #[test]
    fn a_report_totals_row_is_left_out_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let rows = "id,source,visits\nL0,Acme,1\nL1,Web,2\n";
        let footer = "\n\"Confidential Information - Do Not Distribute\"\n";
        for (name, text, label) in [
            ("same.csv", format!("{rows}Grand Total,,3\n"), "Grand Total"),
            (
                "crlf.csv",
                format!("{rows}Total,,3\n").replace('\n', "\r\n"),
                "Total",
            ),
            (
                "ragged.csv",
                format!("{rows}\"Grand Totals (2 records)\",3{footer}"),
                "Grand Totals (2 records)",
            ),
            ("footer.csv", format!("{rows}Summe:,,3\n{footer}"), "Summe:"),
            (
                "cp1252.csv",
                format!("{rows}Gesamtergebnis,,3\n").replace("Acme", "Acm\u{e9}"),
                "Gesamtergebnis",
            ),
        ] {
            let p = dir.path().join(name);
            let mut bytes = text.into_bytes();
            if name == "cp1252.csv" {
                // `é` as Windows-1252 writes it.
                let at = bytes.windows(2).position(|w| w == [0xc3, 0xa9]).unwrap();
                bytes.splice(at..at + 2, [0xe9]);
            }
            std::fs::write(&p, bytes).unwrap();
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 2, "{name}");
            let note = t.note.unwrap_or_default();
            assert!(
                note.contains(&format!(
                    "left out row 3 ({label:?}), a report's totals row, not data"
                )),
                "{name}: {note}"
            );
            assert_eq!(
                note.contains("footer"),
                name == "ragged.csv" || name == "footer.csv",
                "{name}: {note}"
            );
        }
        // With the empty lines above it and the rows of empty fields after it (a
        // spreadsheet's padding).
        for text in [
            format!("{rows}  \nGrand Total,3\n"),
            format!("{rows}Total,,3\n,,\n,,\n"),
            format!("{rows}Grand Total,3\n,,\n\n\"Confidential\"\n"),
        ] {
            let p = write(&dir, "padded.csv", &text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 2, "{text:?}: {:?}", t.df);
            assert!(
                t.note.unwrap_or_default().contains("totals row"),
                "{text:?}"
            );
        }
        for (text, height) in [
            (format!("{rows}Total Health Inc,Web,3\n"), 3),
            (format!("{rows}Total,,3\nL2,Web,4\n"), 4),
            ("source\nWeb\nTotal\n".to_string(), 2),
            // A lead named `Sum`, its fields filled: a lead.
            (format!("{rows}Sum,Web,3\n"), 3),
        ] {
            let p = write(&dir, "data.csv", &text);
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), height, "{text:?}");
            assert!(t.note.is_none(), "{text:?}: {:?}", t.note);
        }
    }

    /// A report export's footer (one field a line, after an empty line) is left out with a
    /// note naming it; one-field lines without the empty line, a longer block, or a row of data
    /// after them are ragged rows, as before.
    #[test]
    fn a_report_footer_is_left_out_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let rows =
            "\"Lead ID\",\"Source\",\"Visits\"\n\"L1\",\"Web\",\"3\"\n\"L2\",\"Event\",\"\"\n";
        let footer = "\n\"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\"\n\
                      \"Confidential Information - Do Not Distribute\"\n\
                      Filtered By: Product equals 12\" pipes\n\"Acme Inc.\"\n";
        for (name, text) in [
            ("lf.csv", format!("{rows}{footer}")),
            ("crlf.csv", format!("{rows}{footer}").replace('\n', "\r\n")),
            ("bom.csv", format!("\u{feff}{rows}\"\"\n\"Acme Inc.\"\n")),
            // Windows-1252 (not UTF-8): the footer found on the transcoded text.
            (
                "cp1252.csv",
                format!("{rows}{footer}").replace("Acme", "Acm\u{e9}"),
            ),
        ] {
            let p = dir.path().join(name);
            let bytes = if name == "cp1252.csv" {
                text.chars()
                    .map(|c| if c == '\u{e9}' { 0xe9 } else { c as u8 })
                    .collect()
            } else {
                text.into_bytes()
            };
            std::fs::write(&p, bytes).unwrap();
            let t = read_table(&p, &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 2, "{name}");
            assert_eq!(t.df.width(), 3, "{name}");
            let note = t.note.unwrap_or_default();
            assert!(
                note.contains(name) && note.contains("after row 2") && note.contains("footer"),
                "{name}: {note}"
            );
            if name != "bom.csv" {
                assert!(note.contains("left out the last 4 lines"), "{note}");
                assert!(note.contains("\"Copyright (c) 2000-2024"), "{note}");
            }
        }
        // UTF-8 rows whose footer alone is not UTF-8 (`©` written by a Windows tool): the rows
        // read as UTF-8 (`Zürich`, not `ZÃ¼rich`), and no word of Windows-1252.
        let p = dir.path().join("mixed.csv");
        let mut bytes = "id,city\nL0,Zürich\n\n\"Copyright ".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xa9 2024 Acme\"\n");
        std::fs::write(&p, bytes).unwrap();
        let note = first_city_is_zurich(&p);
        assert!(
            note.contains("footer") && !note.contains("Windows-1252"),
            "{note}"
        );
        let refused = |text: &str| {
            let p = write(&dir, "bad.csv", text);
            read_table(&p, &ReadOptions::default())
                .unwrap_err()
                .to_string()
        };
        // No empty line before: a truncated last row, not a footer.
        let e = refused(&format!("{rows}\"L3\"\n"));
        assert!(e.contains("row 3: has 1 fields"), "{e}");
        // Data after the footer: its first line was a ragged row.
        let e = refused(&format!("{rows}{footer}L9,Web,1\n"));
        assert!(e.contains("row 3: has 1 fields"), "{e}");
        // More than ten such lines.
        let e = refused(&format!("{rows}\n{}", "\"x\"\n".repeat(11)));
        assert!(e.contains("row 3: has 1 fields"), "{e}");
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
        // Blank lines after the last record are not rows; a header and blank lines is empty.
        for (name, text) in [
            ("t.csv", "a,b\n1,x\n2,y\n\n\n"),
            ("c.csv", "a,b\r\n1,x\r\n2,y\r\n\r\n"),
            ("s.csv", "a;b\n1;x\n2;y\n\n"),
        ] {
            let t = read_table(&write(&dir, name, text), &ReadOptions::default()).unwrap();
            assert_eq!(t.df.height(), 2, "{name}");
            assert_eq!(t.fingerprint.rows, 2, "{name}");
        }
        let e = read_table(&write(&dir, "b.csv", "a,b\n\n\n"), &ReadOptions::default())
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
