//! Shared by the benches of leadscore-core and leadscore-serve (the latter includes this file
//! with `#[path]`): the demo CSV files as header -> value maps, and paths in the repository.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Splits one CSV line; a field in double quotes may hold commas (`""` is a literal quote).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The rows of a CSV file as header -> value maps.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = split_csv(lines.next().expect("a header line"));
    lines
        .map(|line| header.iter().cloned().zip(split_csv(line)).collect())
        .collect()
}

pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}
