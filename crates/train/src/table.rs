//! The label of a flat table: which rows converted, checked so that a wrong column or a wrong
//! `--positive` is an error naming the file and column, not a silently useless model.

use crate::error::{Result, TrainError};
use crate::load::{column, Table};
use leadscore_core::value::number_to_level;
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
        dt if dt.is_primitive_numeric() => s
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
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

/// Reads the label column: `true` where the value is one of `positive` (case-insensitive).
pub fn labels(table: &Table, label: &str, positive: &[String]) -> Result<Vec<bool>> {
    let col_err = |message: String| TrainError::Column {
        path: table.path.clone(),
        column: label.to_string(),
        message,
    };
    let s = column(table, label)?;
    let values = text_values(s).map_err(|e| col_err(e.to_string()))?;
    let missing: Vec<usize> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| i + 1)
        .collect();
    if let Some(first) = missing.first() {
        return Err(col_err(format!(
            "{} rows have no label (first: row {first}); every training row needs an outcome",
            missing.len()
        )));
    }
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
    let is_pos = |v: &str| {
        positive
            .iter()
            .any(|p| p.trim().eq_ignore_ascii_case(v.trim()))
    };
    match distinct.len() {
        1 => {
            return Err(col_err(format!(
            "only one class: every row is {:?}; a model needs converted and not-converted leads",
            distinct[0]
        )))
        }
        2 => {}
        n => {
            let shown: Vec<&str> = distinct.iter().take(8).copied().collect();
            return Err(col_err(format!(
                "a label needs exactly two classes, found {n} ({}{})",
                shown.join(", "),
                if n > 8 { ", ..." } else { "" }
            )));
        }
    }
    let positives: Vec<&str> = distinct.iter().copied().filter(|v| is_pos(v)).collect();
    match positives.len() {
        1 => {}
        0 => {
            return Err(col_err(format!(
                "neither label value ({}) is a positive value ({}); name the converted one with --positive",
                distinct.join(", "),
                positive.join(", ")
            )))
        }
        _ => {
            return Err(col_err(format!(
                "both label values ({}) count as positive; set --positive to just one",
                distinct.join(", ")
            )))
        }
    }
    Ok(values
        .iter()
        .map(|v| v.as_deref().is_some_and(is_pos))
        .collect())
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
        let e = labels(&t, "nope", &pos()).unwrap_err().to_string();
        assert!(e.contains("`nope`") && e.contains("no such column"), "{e}");
    }
}
