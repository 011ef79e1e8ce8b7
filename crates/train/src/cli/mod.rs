//! The command line of `leadscore-train`. Each subcommand has its own module: clap's raw flags
//! (`...Args`), where there is anything to check a configuration converted from them with
//! `TryFrom` before any file is read (so an out-of-range value fails in one place, with one
//! message, and nothing is written), and the `run` that calls the library and prints.
//!
//! Input flags several subcommands share are in [`input`].

use clap::{Parser, Subcommand};

mod demo;
mod evaluate;
mod funnel;
mod init;
mod input;
mod inspect;
mod models;
mod monitor;
mod promote;
mod report;
mod score;
mod train;

/// The parsed command line.
#[derive(Parser)]
#[command(
    name = "leadscore-train",
    version,
    about = "Train, evaluate and inspect leadscore models"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Infer a feature spec (TOML, one commented entry per column) from a lead file.
    Init(init::InitArgs),
    /// Train a model on a lead file and write the artifact (only if training succeeds).
    // Boxed: its flags are most of the enum's size.
    Train(Box<train::TrainArgs>),
    /// Score labeled data the model has never seen (a leads file, or leads + events +
    /// outcomes assembled point in time as the model was trained) and print its metrics.
    Evaluate(evaluate::EvaluateArgs),
    /// Score a whole leads file as of one moment, as the server would (CSV or Parquet out),
    /// and with --previous the leads that crossed the cutoff or changed tier since.
    Score(Box<score::ScoreArgs>),
    /// Funnel metrics by source (or any lead column) and week or month: leads, MQLs, how the
    /// MQLs converted, realized precision against the promise, days from MQL to conversion.
    Funnel(Box<funnel::FunnelArgs>),
    /// Make a registry model CURRENT if it is not worse than the champion on fresh data.
    Promote(promote::PromoteArgs),
    /// List a registry's models with their holdout metrics and which is CURRENT.
    Models(models::ModelsArgs),
    /// Print a model's weights and headline metrics.
    Inspect(inspect::InspectArgs),
    /// Write a model's report: one self-contained HTML file with its charts and tables.
    Report(report::ReportArgs),
    /// Write the seeded synthetic B2B demo export.
    DemoData(demo::DemoArgs),
    /// Realized precision and recall of the served MQL cutoff on leads whose outcome is now
    /// known (from the server's --decision-log and an outcomes table), against the promise.
    Monitor(monitor::MonitorArgs),
}

impl Cli {
    /// Checks the subcommand's options, then runs it.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Init(a) => init::run(a.try_into()?),
            Command::Train(a) => train::run((*a).try_into()?),
            Command::Evaluate(a) => evaluate::run(a.try_into()?),
            Command::Score(a) => score::run((*a).try_into()?),
            Command::Funnel(a) => funnel::run((*a).try_into()?),
            Command::Promote(a) => promote::run(a.try_into()?),
            Command::Models(a) => models::run(a),
            Command::Inspect(a) => inspect::run(a),
            Command::Report(a) => report::run(a.try_into()?),
            Command::DemoData(a) => demo::run(a),
            Command::Monitor(a) => monitor::run(a.try_into()?),
        }
    }
}

/// Writes to stdout, returning the error (a closed pipe) instead of panicking like `print!`.
fn emit(text: impl AsRef<str>) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let text = leadscore_train::report::terminal_safe(text.as_ref());
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Creates the folder `path` goes in, if it has one.
fn create_parent(path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// A flag and the path it names, for [`distinct_files`].
type Named<'a> = (&'a str, Option<&'a std::path::Path>);

/// Refuses a run whose output would overwrite one of its inputs or another of its outputs
/// (`--out leads.csv` beside `--data leads.csv` would replace the data with the model), before
/// anything is read or written. Two paths are one file when both exist and are the same file
/// (links and `..` included), or when they spell the same place.
fn distinct_files(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> anyhow::Result<()> {
    for (i, (out_flag, out)) in outputs.iter().enumerate() {
        let Some(out) = out else { continue };
        let earlier = [("an input", inputs), ("another output", &outputs[..i])];
        for (role, (flag, path)) in earlier
            .iter()
            .flat_map(|(role, named)| named.iter().map(move |n| (role, n)))
        {
            let Some(path) = path else { continue };
            if same_file(out, path) {
                anyhow::bail!(
                    "{out_flag} {} is the same file as {flag} {}: refusing to overwrite {role}; \
                     choose another path",
                    out.display(),
                    path.display()
                );
            }
        }
        writable_place(out_flag, out)?;
    }
    Ok(())
}

/// Refuses an output path that is there and is not a regular file: a FIFO, a device, a
/// socket or a folder, which the write (a temporary file renamed over the path) would replace
/// (or fail on only after the whole run), and a symbolic link, which it would replace by a file
/// rather than write through.
fn writable_place(flag: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return can_create_beside(flag, out); // Not there yet: written new.
    };
    let t = meta.file_type();
    let kind = if t.is_file() {
        return can_create_beside(flag, out);
    } else if t.is_symlink() {
        "a symbolic link (writing would replace the link, not the file it points to)"
    } else if t.is_dir() {
        "a folder"
    } else {
        "not a regular file (a FIFO, a device or a socket)"
    };
    anyhow::bail!(
        "{flag} {} is {kind}: refusing to replace it; give the path of a regular file",
        out.display()
    )
}

/// Refuses, before the run, an output whose folder takes no new file (the write is a temporary
/// file beside the path, renamed over it): `--out /proc/version` failed after the whole run
/// with "No such file or directory". The folder is the nearest one that exists (the missing
/// ones are created at the write), and it must be a folder (`--out notes.txt/m.json` failed
/// after the run too); a probe file is created there and removed.
pub(crate) fn can_create_beside(flag: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let absolute = match std::env::current_dir() {
        Ok(cwd) => cwd.join(out),
        Err(_) => return Ok(()),
    };
    let Some(dir) = absolute
        .ancestors()
        .skip(1)
        .find(|d| std::fs::symlink_metadata(d).is_ok())
    else {
        return Ok(());
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "{flag} {}: {} is not a folder (a file, or a link to nothing), so nothing can be \
             written under it",
            out.display(),
            dir.display()
        );
    }
    // A name no other run uses (the pid alone could be a leftover of a killed run with the
    // same pid, or planted): the time's nanoseconds, and another try if it is taken.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for attempt in 0..8u32 {
        let pid = std::process::id();
        let probe = dir.join(if attempt < 4 {
            format!(".leadscore-probe.{pid}.{attempt}.tmp")
        } else {
            format!(".leadscore-probe.{pid}.{nanos}.{attempt}.tmp")
        });
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
        {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let e = last.map_or_else(|| "unknown error".to_string(), |e| e.to_string());
    anyhow::bail!(
        "{flag} {}: cannot create a file in {} ({e}); give a path in a folder you can write",
        out.display(),
        dir.display()
    )
}

/// What an output flag writes, for [`replaces_only_ours`].
#[derive(Clone, Copy)]
pub(crate) enum Ours {
    /// A model artifact (`train --out`).
    Model,
    /// A feature spec (`init --out`).
    Spec,
    /// An HTML report (`report --out`, the report beside `train --out`).
    Report,
    /// Scored leads, CSV or Parquet (`score --out` and the crossings beside it).
    Scores,
    /// A synthetic export `demo-data` writes (one of its headers).
    Demo,
}

/// Columns every file of scored leads `score` writes has (its output and its crossings).
const SCORE_FILE_COLUMNS: [&str; 3] = ["as_of", "score", "mql"];

impl Ours {
    fn name(self) -> &'static str {
        match self {
            Self::Model => "a leadscore model",
            Self::Spec => "a leadscore spec",
            Self::Report => "a leadscore report",
            Self::Scores => "a file of leads scored by leadscore",
            Self::Demo => "a demo export written by demo-data",
        }
    }

    /// Whether the file at `path`, whose first 64 KiB are `head`, is one.
    fn is(self, path: &std::path::Path, head: &str) -> bool {
        let t = head.trim_start_matches('\u{feff}').trim_start();
        match self {
            // Every artifact writes `format_version` first; one re-written with sorted keys
            // (`jq -S`, Python's `sort_keys`) has it after the curves, a megabyte in: read
            // whole (as JSON, keeping only those two keys), when it is a JSON object at all.
            Self::Model => {
                #[derive(serde::Deserialize)]
                struct Probe {
                    #[allow(dead_code)]
                    format_version: serde_json::Value,
                    #[allow(dead_code)]
                    model_id: serde_json::Value,
                }
                t.starts_with('{')
                    && (t[1..].trim_start().starts_with("\"format_version\"")
                        || std::fs::File::open(path).is_ok_and(|f| {
                            serde_json::from_reader::<_, Probe>(std::io::BufReader::new(f)).is_ok()
                        }))
            }
            // `init` writes `format_version = 1` after its comments; a spec edited by hand at
            // least names its columns. Read whole (a spec of a wide table is hundreds of
            // kilobytes; one past 16 MiB is not one).
            Self::Spec => {
                let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= 16 << 20);
                small
                    && std::fs::read_to_string(path).is_ok_and(|text| {
                        text.trim_start_matches('\u{feff}')
                            .parse::<toml::Table>()
                            .is_ok_and(|t| {
                                t.contains_key("format_version") || t.contains_key("columns")
                            })
                    })
            }
            Self::Report => {
                t.starts_with("<!DOCTYPE html>") && t.contains("<title>Lead score model ")
            }
            // A CSV names the columns in its header (any delimiter `--delimiter` takes); a
            // Parquet file in its footer's schema.
            Self::Scores => {
                if head.starts_with("PAR1") {
                    return leadscore_train::load::parquet_column_names(path).is_some_and(
                        |names| {
                            SCORE_FILE_COLUMNS
                                .iter()
                                .all(|c| names.iter().any(|n| n == c))
                        },
                    );
                }
                let header = t.lines().next().unwrap_or_default();
                let names: Vec<&str> = header
                    .split([',', ';', '\t', '|'])
                    .map(|n| n.trim().trim_matches('"'))
                    .collect();
                SCORE_FILE_COLUMNS.iter().all(|c| names.contains(c))
            }
            Self::Demo => {
                let header = t.lines().next().unwrap_or_default();
                leadscore_train::demo::is_demo_header(header.trim_end())
            }
        }
    }
}

/// Refuses to replace a file at an output path that is not what the flag writes: `--out`
/// names the model (the spec, the report), and a typo there (`--out notes.txt`, `--out
/// data/other-leads.csv`) replaced whatever the file held. One of ours or an empty file (or
/// one of blanks only) is replaced; anything else is left as it is.
pub(crate) fn replaces_only_ours(
    flag: &str,
    out: &std::path::Path,
    kind: Ours,
) -> anyhow::Result<()> {
    use std::io::Read;
    // Not there (written new) or not readable (the write says why); links, FIFOs and folders
    // were refused by `distinct_files` before this opens it.
    let Ok(file) = std::fs::File::open(out) else {
        return Ok(());
    };
    let mut head = Vec::with_capacity(4096);
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return Ok(());
    }
    let blank = head.iter().all(u8::is_ascii_whitespace);
    if blank || kind.is(out, &String::from_utf8_lossy(&head)) {
        return Ok(());
    }
    anyhow::bail!(
        "{flag} {} is there and is not {}: refusing to replace it; remove it first or choose \
         another path",
        out.display(),
        kind.name()
    )
}

/// Whether `a` and `b` name one file (see [`distinct_files`]).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    #[cfg(unix)]
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return (x.dev(), x.ino()) == (y.dev(), y.ino());
    }
    match (place(a), place(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Where a path points, for a file that may not exist yet: the longest part of it that exists
/// resolved (links and `..`), then the rest as written, its `..` taken lexically (a folder not
/// there yet holds no link: `new/../leads.csv`, once `new` is created for the output, is
/// `leads.csv`).
fn place(path: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let parts: Vec<Component<'_>> = absolute.components().collect();
    (1..=parts.len()).rev().find_map(|k| {
        let mut at =
            std::fs::canonicalize(parts[..k].iter().collect::<std::path::PathBuf>()).ok()?;
        for part in &parts[k..] {
            match part {
                Component::ParentDir => {
                    at.pop();
                }
                Component::Normal(name) => at.push(name),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        Some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn an_output_may_not_be_an_input_or_another_output() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("leads.csv");
        std::fs::write(&data, "a,b\n1,2\n").unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        let via_dots = tmp.path().join("sub/../leads.csv");
        let link = tmp.path().join("link.csv");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&data, &link).unwrap();
        let model = tmp.path().join("m.json");
        let model_again = tmp.path().join("sub/../m.json");
        let ok = |outs: &[Named<'_>]| distinct_files(&[("--data", Some(&data))], outs);

        assert!(ok(&[("--out", Some(&model)), ("--holdout-out", None)]).is_ok());
        for same in [&data, &via_dots] {
            let e = ok(&[("--out", Some(same.as_path()))])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--out") && e.contains("--data") && e.contains("an input"),
                "{e}"
            );
        }
        #[cfg(unix)]
        assert!(ok(&[("--out", Some(&link))]).is_err());
        // Two outputs that do not exist yet, spelled differently.
        let e = ok(&[
            ("--out", Some(&model)),
            ("--holdout-out", Some(&model_again)),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("another output"), "{e}");
        assert!(!same_file(Path::new("a/x.csv"), Path::new("b/x.csv")));
        assert!(same_file(Path::new("x.csv"), Path::new("./x.csv")));
        // Through a folder that is not there yet (created for the output, then left by `..`).
        for through_new in [
            "new/../leads.csv",
            "new/deeper/../../leads.csv",
            "new/./../leads.csv",
        ] {
            let e = ok(&[("--out", Some(&tmp.path().join(through_new)))])
                .unwrap_err()
                .to_string();
            assert!(e.contains("an input"), "{through_new}: {e}");
        }
        assert!(ok(&[("--out", Some(&tmp.path().join("new/../m.json")))]).is_ok());
        let e = ok(&[
            ("--out", Some(&tmp.path().join("new/../m.json"))),
            (
                "--holdout-out",
                Some(&tmp.path().join("other/../sub/../m.json")),
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("another output"), "{e}");
    }

    /// An output that is there and is not a regular file is refused before any work.
    #[cfg(unix)]
    #[test]
    fn an_output_that_is_not_a_regular_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let file = tmp.path().join("m.json");
        std::fs::write(&file, "{}").unwrap();
        let link = tmp.path().join("link.json");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let device = tmp.path().join("zero.csv");
        std::os::unix::fs::symlink("/dev/zero", &device).unwrap();
        for (path, kind) in [
            (fifo.as_path(), "not a regular file"),
            (tmp.path(), "a folder"),
            (link.as_path(), "a symbolic link"),
            (device.as_path(), "a symbolic link"),
            (Path::new("/dev/null"), "not a regular file"),
        ] {
            let e = distinct_files(&[], &[("--out", Some(path))])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--out") && e.contains(kind),
                "{}: {e}",
                path.display()
            );
        }
        assert!(distinct_files(&[], &[("--out", Some(&file))]).is_ok());
        assert!(distinct_files(&[], &[("--out", Some(&tmp.path().join("new.json")))]).is_ok());
        assert!(distinct_files(&[], &[("--out", Some(&tmp.path().join("a/b/new.json")))]).is_ok());
        // Under a file: named before the run.
        let e = distinct_files(&[], &[("--out", Some(&file.join("m.json")))])
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a folder"), "{e}");
        // Planted probe names do not refuse a folder that takes files: the first four names a
        // run tries are taken here, the next ones (with the time's nanoseconds) are not.
        for n in 0..4 {
            let _ = std::fs::create_dir(
                tmp.path()
                    .join(format!(".leadscore-probe.{}.{n}.tmp", std::process::id())),
            );
        }
        assert!(distinct_files(&[], &[("--out", Some(&tmp.path().join("x.json")))]).is_ok());
        // A folder that takes no new file is named before the run (it failed after it).
        let e = distinct_files(&[], &[("--out", Some(Path::new("/proc/version")))])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--out /proc/version: cannot create a file in /proc"),
            "{e}"
        );
        // Only one of ours (or an empty file) is replaced.
        let notes = tmp.path().join("notes.txt");
        std::fs::write(&notes, "my notes\n").unwrap();
        for kind in [Ours::Model, Ours::Spec, Ours::Report] {
            let e = replaces_only_ours("--out", &notes, kind)
                .unwrap_err()
                .to_string();
            assert!(e.contains("--out") && e.contains(kind.name()), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
        let file = tmp.path().join("ours");
        let replaced = |text: &str, kind| {
            std::fs::write(&file, text).unwrap();
            replaces_only_ours("--out", &file, kind).is_ok()
        };
        for (text, kind) in [
            ("", Ours::Model),
            (
                "{\n  \"format_version\": 6,\n  \"model_id\": \"x\"",
                Ours::Model,
            ),
            ("\u{feff} {\"format_version\":1}", Ours::Model),
            (
                "{\"assembly\": null, \"format_version\": 6, \"model_id\": \"x\"}",
                Ours::Model,
            ),
            (
                "# leadscore feature spec\nformat_version = 1\n[[columns]]\nname = \"a\"\n",
                Ours::Spec,
            ),
            (
                "[[columns]]\nname = \"a\"\ntransform = \"ignore\"\n",
                Ours::Spec,
            ),
            (
                "<!DOCTYPE html><html><head><title>Lead score model 1234</title>",
                Ours::Report,
            ),
        ] {
            assert!(replaced(text, kind), "{text:?}");
        }
        // A real model re-written with sorted keys: `format_version` a megabyte in.
        let sorted: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/demo.json"
            ))
            .unwrap(),
        )
        .unwrap();
        std::fs::write(&file, serde_json::to_string(&sorted).unwrap()).unwrap();
        assert!(replaces_only_ours("--out", &file, Ours::Model).is_ok());
        // A spec past 64 KiB (a wide table's).
        let mut wide = String::from("format_version = 1\n");
        for i in 0..3_000 {
            wide.push_str(&format!(
                "[[columns]]\nname = \"q{i}\"\ntransform = \"numeric\"\n"
            ));
        }
        assert!(wide.len() > 64 * 1024);
        assert!(replaced(&wide, Ours::Spec));
        assert!(replaced("\n\n", Ours::Model));
        for (text, kind) in [
            ("{\"leads\": []}", Ours::Model),
            ("lead_id,score\nL1,0.5\n", Ours::Spec),
            ("name = \"x\"\n", Ours::Spec),
            ("<!DOCTYPE html><title>My page</title>", Ours::Report),
        ] {
            assert!(!replaced(text, kind), "{text:?}");
        }
        assert!(replaces_only_ours("--out", &tmp.path().join("absent.json"), Ours::Model).is_ok());
        // The FIFO is still a FIFO.
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }
}
