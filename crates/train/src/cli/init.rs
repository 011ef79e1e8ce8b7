//! `leadscore-train init`: infer a commented feature spec from a leads file.

use super::emit;
use super::input::TableArgs;
use clap::Args;
use leadscore_train::infer::{infer_spec, render_toml, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use std::path::PathBuf;

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Where to write the spec (stdout when absent).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `init` with its options checked.
pub struct Init {
    data: PathBuf,
    read: ReadOptions,
    infer: InferOptions,
    out: Option<PathBuf>,
}

/// Checks the delimiter.
impl TryFrom<InitArgs> for Init {
    type Error = anyhow::Error;

    fn try_from(a: InitArgs) -> anyhow::Result<Self> {
        let read = ReadOptions::try_from(&a.table)?;
        super::distinct_files(
            &[("--data", Some(&a.table.data))],
            &[("--out", a.out.as_deref())],
        )?;
        if let Some(out) = &a.out {
            super::replaces_only_ours("--out", out, super::Ours::Spec)?;
        }
        let t = a.table;
        Ok(Self {
            data: t.data,
            read,
            infer: InferOptions {
                label: t.label,
                positive: t.positive,
                negative: t.negative,
                id: t.id,
                exclude: t.exclude,
                missing_tokens: t.missing,
            },
            out: a.out,
        })
    }
}

/// Writes the spec to `--out`, or prints it.
pub fn run(init: Init) -> anyhow::Result<()> {
    let table = read_table(&init.data, &init.read)?;
    let inferred = infer_spec(&table, &init.infer)?;
    for w in table.note.iter().chain(&inferred.warnings) {
        leadscore_core::stderr_line!("WARNING: {}", leadscore_train::report::terminal_safe(w));
    }
    let text = render_toml(&inferred);
    match init.out {
        Some(out) => {
            leadscore_core::artifact::write_atomic(&out, text.as_bytes())?;
            leadscore_core::stderr_line!(
                "wrote {} ({} columns)",
                out.display(),
                inferred.spec.columns.len()
            );
        }
        None => emit(&text)?,
    }
    Ok(())
}
