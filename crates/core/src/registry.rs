//! The model registry: a folder of artifacts and a pointer to the champion.
//!
//! Layout of a registry folder `DIR`:
//!
//! - `DIR/<model_id>.json`: one artifact per model ([`Registry::add`]);
//! - `DIR/CURRENT`: the file name of the champion, one line (`a1153bfcd20e7a87.json\n`),
//!   replaced atomically (temp file + rename) by [`Registry::set_current`];
//! - `DIR/promotions.jsonl`: the audit log, one [`PromotionRecord`] per line, appended (and
//!   synced) *before* the pointer moves ([`Registry::record_promotion`]).
//!
//! `CURRENT` and the model it names are read only as regular files inside the folder, never
//! through a symbolic link, and only up to a size limit ([`CURRENT_MAX_BYTES`] for the
//! pointer; the artifact's limit is the reader's, see [`ModelArtifact::load_no_follow`]).
//! Errors name the file and the problem, never the file's content.
//!
//! Nothing else is read: other files (temporary files of atomic writes start with `.`) are
//! ignored. `leadscore-serve --registry DIR` serves the file `CURRENT` names and follows it when
//! it changes; training adds models and promotion moves the pointer.
//!
//! Crash safety: every write is a synced temp file renamed into place, followed by a sync of the
//! folder, so after a crash `CURRENT` names either the old champion or the new one, never a
//! half-written file. The log is written ahead of the pointer: a crash between the two leaves a
//! record of a promotion that did not happen, which [`Registry::log_disagreement`] detects (the
//! last promotion recorded is not the model `CURRENT` names), rather than a promotion nobody
//! recorded.
//!
//! ```
//! # fn main() -> leadscore_core::Result<()> {
//! # let tmp = tempfile::tempdir().unwrap();
//! use leadscore_core::registry::Registry;
//! let registry = Registry::open(tmp.path())?;
//! assert!(registry.list()?.is_empty());
//! assert!(registry.current_path().is_err(), "no CURRENT yet");
//! # Ok(()) }
//! ```

use crate::artifact::{write_atomic, ModelArtifact};
use crate::error::{Error, Result};
use crate::files::{read_limited_text, Symlinks};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The name of the pointer file inside a registry folder.
pub const CURRENT: &str = "CURRENT";

/// The largest `CURRENT` read: it holds one file name.
pub const CURRENT_MAX_BYTES: u64 = 4096;

/// The longest file name `CURRENT` may hold, in bytes (the usual file system limit).
const NAME_MAX_BYTES: usize = 255;

/// The name of the promotion log inside a registry folder.
pub const PROMOTIONS: &str = "promotions.jsonl";

/// The largest promotion log read (a line is a few hundred bytes: a million decisions).
pub const PROMOTIONS_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// A model's metrics on the fresh data a promotion was decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionMetrics {
    /// The model's id.
    pub model_id: String,
    /// Labelled examples scored: the leads of a flat model, several a lead (its landmarks) for
    /// an age-aware one. Written `leads` by builds before 2026-12-07, read either way.
    #[serde(alias = "leads")]
    pub examples: u64,
    /// Of those, converted.
    pub converted: u64,
    /// ROC AUC on the fresh data (`None` for data of one class, which a promotion refuses;
    /// kept optional as [`crate::metrics::Evaluation`] has it).
    pub roc_auc: Option<f64>,
    /// PR AUC on the fresh data.
    pub pr_auc: Option<f64>,
    /// Log loss on the fresh data.
    pub log_loss: f64,
}

/// One line of `promotions.jsonl`: a decision about the pointer, promoted or refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionRecord {
    /// When it was decided, RFC 3339.
    pub time: String,
    /// The champion's file name before the decision (`None`: there was none).
    pub from: Option<String>,
    /// The challenger's file name.
    pub to: String,
    /// Whether `CURRENT` was moved to `to`.
    pub promoted: bool,
    /// Promoted with `--force` (the comparison was not binding).
    pub forced: bool,
    /// Why, in words (which metric, by how much, against which margin).
    pub reason: String,
    /// The fresh data files both models were evaluated on.
    #[serde(default)]
    pub data: Vec<String>,
    /// Largest ROC AUC drop allowed.
    #[serde(default)]
    pub max_auc_drop: f64,
    /// Largest log loss rise allowed.
    #[serde(default)]
    pub max_log_loss_rise: f64,
    /// The champion on the fresh data (when there was one and it could be evaluated).
    #[serde(default)]
    pub champion: Option<PromotionMetrics>,
    /// The challenger on the fresh data.
    #[serde(default)]
    pub challenger: Option<PromotionMetrics>,
}

/// A registry folder (see the module documentation for the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    dir: PathBuf,
}

impl Registry {
    /// Opens an existing registry folder; an error if `dir` is not a directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(Self { dir }),
            Ok(_) => Err(Error::File {
                path: dir.display().to_string(),
                message: "the model registry is not a directory".into(),
            }),
            Err(error) => Err(Error::Io {
                path: dir.display().to_string(),
                error,
            }),
        }
    }

    /// Opens a registry folder, creating it (and its parents) when it does not exist.
    pub fn open_or_create(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        // A dangling symbolic link "does not exist" but cannot be created either (EEXIST, which
        // would read "File exists" for a folder that is not there): said as it is.
        if let (Ok(link), false) = (std::fs::symlink_metadata(&dir), dir.exists()) {
            if link.file_type().is_symlink() {
                let target = std::fs::read_link(&dir).unwrap_or_default();
                return Err(Error::File {
                    path: dir.display().to_string(),
                    message: format!(
                        "the model registry is a symbolic link to {}, which does not exist \
                         (create that folder, or name another)",
                        target.display()
                    ),
                });
            }
        }
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(|error| Error::Io {
                path: dir.display().to_string(),
                error,
            })?;
        }
        Self::open(dir)
    }

    /// The registry folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The pointer file, `DIR/CURRENT`.
    pub fn pointer_path(&self) -> PathBuf {
        self.dir.join(CURRENT)
    }

    /// The file name `CURRENT` holds (trimmed and checked: a plain file name in the folder).
    ///
    /// `CURRENT` itself must be a regular file of at most [`CURRENT_MAX_BYTES`], not a symbolic
    /// link (checked before it is opened, so a FIFO or a huge file is refused without reading
    /// it). A pointer that does not hold a plain file name is refused without quoting it: it
    /// may be anything.
    pub fn current_name(&self) -> Result<String> {
        let pointer = self.pointer_path();
        let origin = pointer.display().to_string();
        let text = read_limited_text(&pointer, CURRENT_MAX_BYTES, Symlinks::Refuse)?;
        let name = text.trim();
        if name.is_empty() {
            return Err(Error::File {
                path: origin,
                message: "the registry pointer is empty: it should hold the file name of the current model".into(),
            });
        }
        check_file_name(name).map_err(|problem| Error::File {
            path: origin,
            message: format!(
                "the registry pointer does not hold a plain file name in the folder: {problem}"
            ),
        })?;
        Ok(name.to_string())
    }

    /// The champion's file name, or `None` when there is no `CURRENT` yet; a pointer that
    /// exists but cannot be read or is bad is an error.
    pub fn champion_name(&self) -> Result<Option<String>> {
        match std::fs::symlink_metadata(self.pointer_path()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => self.current_name().map(Some),
        }
    }

    /// The path of the current model: `DIR/` + the name in `CURRENT`.
    pub fn current_path(&self) -> Result<PathBuf> {
        Ok(self.dir.join(self.current_name()?))
    }

    /// Holds the registry's lock (the file `.lock` in the folder, locked with the
    /// operating system's advisory lock) until the guard is dropped: what changes `CURRENT`
    /// (`promote`, `train --registry`) holds it from reading the champion to moving the pointer,
    /// so two of them run one after the other instead of both judging the same champion and
    /// one pointer move being lost. `waiting` is called once, with the lock file's path, when
    /// another process holds it.
    pub fn lock(&self, waiting: impl FnOnce(&Path)) -> Result<std::fs::File> {
        // A FIFO or a link planted there is refused (opening a FIFO would wait for a reader
        // while the registry is meant to be locked).
        crate::files::lock_file(&self.dir.join(".lock"), waiting)
    }

    /// Points `CURRENT` at `file_name` (which must be a regular file in the folder, not a
    /// symbolic link), atomically.
    pub fn set_current(&self, file_name: &str) -> Result<()> {
        let pointer = self.pointer_path();
        check_file_name(file_name).map_err(|problem| Error::File {
            path: pointer.display().to_string(),
            message: format!("cannot point at `{file_name}`: {problem}"),
        })?;
        let target = self.dir.join(file_name);
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::File {
                    path: target.display().to_string(),
                    message: "not a regular file (a link, a folder or a special file); CURRENT must name a model file".into(),
                })
            }
            Err(error) => {
                return Err(Error::Io {
                    path: target.display().to_string(),
                    error,
                })
            }
        }
        write_atomic(&pointer, format!("{file_name}\n").as_bytes())?;
        self.sync_dir()
    }

    /// Appends `record` to `DIR/promotions.jsonl` as one line and syncs it to disk. Call it
    /// before [`Registry::set_current`] (write-ahead: see the module documentation).
    pub fn record_promotion(&self, record: &PromotionRecord) -> Result<()> {
        let path = self.dir.join(PROMOTIONS);
        let io = |error| Error::Io {
            path: path.display().to_string(),
            error,
        };
        let mut line = serde_json::to_string(record).map_err(|e| Error::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let (mut f, created) = crate::files::open_regular_append(&path)?;
        // A log whose last line has no newline (saved by an editor, a torn append): the record
        // starts a line of its own instead of joining that one (and making both unreadable).
        let len = f.metadata().map_err(io)?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            f.seek(SeekFrom::Start(len - 1))
                .and_then(|_| f.read_exact(&mut last))
                .map_err(io)?;
            if last[0] != b'\n' {
                line.insert(0, '\n');
            }
        }
        // One write of the whole line: appends of concurrent writers do not interleave.
        f.write_all(line.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        if created {
            self.sync_dir()?;
        }
        Ok(())
    }

    /// The promotion log, oldest first (empty when there is none). A line that does not parse
    /// is an error naming its number.
    pub fn promotions(&self) -> Result<Vec<PromotionRecord>> {
        let path = self.dir.join(PROMOTIONS);
        if let Err(e) = std::fs::symlink_metadata(&path) {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Ok(Vec::new());
            }
        }
        // A regular file of bounded size, never through a link (a FIFO or /dev/zero planted
        // there would hang or fill the memory of `models` and `promote`).
        let text = read_limited_text(&path, PROMOTIONS_MAX_BYTES, Symlinks::Refuse)?;
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| Error::File {
                    path: path.display().to_string(),
                    message: format!("line {}: not a promotion record: {e}", i + 1),
                })
            })
            .collect()
    }

    /// When the log and the pointer disagree (the last promotion recorded is not the model
    /// `CURRENT` names: a promotion interrupted between the two writes, or a pointer moved by
    /// hand), says how; `None` when they agree or there is no log.
    pub fn log_disagreement(&self) -> Result<Option<String>> {
        let last = self.promotions()?.into_iter().rev().find(|r| r.promoted);
        let Some(last) = last else {
            return Ok(None);
        };
        let current = self.champion_name().ok().flatten();
        if current.as_deref() == Some(last.to.as_str()) {
            return Ok(None);
        }
        Ok(Some(format!(
            "the last promotion recorded in {PROMOTIONS} ({}, to {}) is not what CURRENT names ({}): \
             it was interrupted before the pointer moved, or the pointer was changed by hand",
            last.time,
            last.to,
            current.as_deref().unwrap_or("nothing")
        )))
    }

    /// Syncs the folder itself, so a rename or a new file in it survives a crash.
    fn sync_dir(&self) -> Result<()> {
        #[cfg(unix)]
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|error| Error::Io {
                path: self.dir.display().to_string(),
                error,
            })?;
        Ok(())
    }

    /// Writes `artifact` as `DIR/<model_id>.json` (atomically) and returns its path; `CURRENT`
    /// is not touched.
    pub fn add(&self, artifact: &ModelArtifact) -> Result<PathBuf> {
        let name = file_name_for(&artifact.model_id);
        check_file_name(&name)
            .and_then(|()| {
                if artifact.model_id.is_empty() {
                    Err("the artifact has no model_id (it was never sealed)".into())
                } else {
                    Ok(())
                }
            })
            .map_err(|message| Error::File {
                path: self.dir.display().to_string(),
                message: format!("cannot add model `{}`: {message}", artifact.model_id),
            })?;
        let path = self.dir.join(name);
        artifact.write_atomic(&path)?;
        self.sync_dir()?;
        Ok(path)
    }

    /// Reads the model file `file_name` of the folder as the server does: a regular file of at
    /// most `max_bytes` (see [`crate::artifact::DEFAULT_MAX_BYTES`]), never through a symbolic
    /// link, never a FIFO or a device, its content never echoed in an error.
    pub fn load(&self, file_name: &str, max_bytes: u64) -> Result<ModelArtifact> {
        check_file_name(file_name).map_err(|problem| Error::File {
            path: self.dir.display().to_string(),
            message: format!("not a model file of the registry: {problem}"),
        })?;
        ModelArtifact::load_no_follow(&self.dir.join(file_name), max_bytes)
    }

    /// The model files (`*.json`, not hidden, regular files), sorted by name, each with whether
    /// `CURRENT` points at it. A missing or bad `CURRENT` marks none as current.
    pub fn list(&self) -> Result<Vec<(String, bool)>> {
        let current = self.current_name().ok();
        let (files, _) = self.json_entries()?;
        Ok(files
            .into_iter()
            .map(|name| {
                let is_current = current.as_deref() == Some(name.as_str());
                (name, is_current)
            })
            .collect())
    }

    /// The `*.json` entries (not hidden) that are not regular files (a symbolic link, a
    /// folder, a FIFO), sorted by name: never loaded as models, so [`Registry::list`] leaves
    /// them out; a listing names them rather than dropping them without a word.
    pub fn not_model_files(&self) -> Result<Vec<String>> {
        Ok(self.json_entries()?.1)
    }

    /// The `*.json` entries (not hidden), sorted by name: regular files, then the others.
    fn json_entries(&self) -> Result<(Vec<String>, Vec<String>)> {
        let io = |error| Error::Io {
            path: self.dir.display().to_string(),
            error,
        };
        let (mut files, mut others) = (Vec::new(), Vec::new());
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            if entry.file_type().map_err(io)?.is_file() {
                files.push(name);
            } else {
                others.push(name);
            }
        }
        files.sort();
        others.sort();
        Ok((files, others))
    }
}

/// The registry file name of a model: `<model_id>.json`.
pub fn file_name_for(model_id: &str) -> String {
    format!("{model_id}.json")
}

/// A name `CURRENT` may hold: a plain file name inside the folder. The problem is described
/// without quoting the name (it may come from a file that is not a pointer at all).
fn check_file_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("the file name is empty".into());
    }
    if name.len() > NAME_MAX_BYTES {
        return Err(format!(
            "it is {} bytes long, more than a file name can be ({NAME_MAX_BYTES})",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("it contains control characters or more than one line".into());
    }
    if name.contains('/') || name.contains('\\') {
        return Err("it contains a path separator".into());
    }
    if name == "." {
        return Err("it is `.`, the registry folder itself".into());
    }
    if name.contains("..") {
        return Err("it contains `..`".into());
    }
    if name == CURRENT {
        return Err("the pointer cannot point at itself".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact_json(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "{}").unwrap();
        path
    }

    #[test]
    fn open_needs_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(Registry::open(tmp.path()).is_ok());
        let file = artifact_json(tmp.path(), "x.json");
        let err = Registry::open(&file).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
        let err = Registry::open(tmp.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn current_pointer_reads_trims_and_checks() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        let err = r.current_path().unwrap_err().to_string();
        assert!(
            err.contains("CURRENT"),
            "missing pointer names the file: {err}"
        );
        std::fs::write(r.pointer_path(), "  \n").unwrap();
        let err = r.current_path().unwrap_err().to_string();
        assert!(err.contains("CURRENT") && err.contains("empty"), "{err}");
        std::fs::write(r.pointer_path(), "a1153bfcd20e7a87.json\n").unwrap();
        assert_eq!(
            r.current_path().unwrap(),
            tmp.path().join("a1153bfcd20e7a87.json")
        );
        for bad in ["../etc/passwd", "sub/m.json", "..", "a\\b.json", "CURRENT"] {
            std::fs::write(r.pointer_path(), format!("{bad}\n")).unwrap();
            let err = r.current_path().unwrap_err().to_string();
            assert!(err.contains("CURRENT"), "{bad}: {err}");
        }
    }

    #[test]
    fn set_current_needs_an_existing_file_and_replaces_the_pointer() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        assert!(r.set_current("nope.json").is_err());
        assert!(r.set_current("../x.json").is_err());
        assert!(
            !r.pointer_path().exists(),
            "a refused pointer is not written"
        );
        artifact_json(tmp.path(), "a.json");
        artifact_json(tmp.path(), "b.json");
        r.set_current("a.json").unwrap();
        assert_eq!(
            std::fs::read_to_string(r.pointer_path()).unwrap(),
            "a.json\n"
        );
        r.set_current("b.json").unwrap();
        assert_eq!(r.current_name().unwrap(), "b.json");
        assert_eq!(
            r.list().unwrap(),
            vec![("a.json".to_string(), false), ("b.json".to_string(), true)]
        );
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn a_dangling_link_as_the_folder_is_named_as_one() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("reg");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        let e = Registry::open_or_create(&link).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link to") && e.contains("nowhere") && e.contains("does not exist"),
            "{e}"
        );
        assert!(!tmp.path().join("nowhere").exists());
        // A link to a folder that exists is followed.
        std::fs::create_dir(tmp.path().join("nowhere")).unwrap();
        Registry::open_or_create(&link).unwrap();
    }

    #[test]
    fn list_ignores_other_files() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        artifact_json(tmp.path(), "m1.json");
        artifact_json(tmp.path(), ".m2.json.123.tmp");
        artifact_json(tmp.path(), ".hidden.json");
        artifact_json(tmp.path(), "notes.txt");
        std::fs::create_dir(tmp.path().join("dir.json")).unwrap();
        std::fs::write(r.pointer_path(), "gone.json\n").unwrap();
        assert_eq!(r.list().unwrap(), vec![("m1.json".to_string(), false)]);
    }

    #[test]
    fn add_writes_model_id_json_without_touching_current() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json"),
        )
        .unwrap();
        let artifact = ModelArtifact::from_json(&text, "demo.json").unwrap();
        let path = r.add(&artifact).unwrap();
        assert_eq!(path, tmp.path().join(format!("{}.json", artifact.model_id)));
        assert_eq!(ModelArtifact::load(&path).unwrap(), artifact);
        assert!(!r.pointer_path().exists());
        r.set_current(&file_name_for(&artifact.model_id)).unwrap();
        assert_eq!(r.current_path().unwrap(), path);
        assert_eq!(r.list().unwrap().len(), 1);
        let mut unsealed = artifact.clone();
        unsealed.model_id = "../evil".into();
        assert!(r.add(&unsealed).is_err());
        unsealed.model_id.clear();
        assert!(r.add(&unsealed).is_err());
    }
    fn record(to: &str, promoted: bool) -> PromotionRecord {
        PromotionRecord {
            time: "2025-06-01T00:00:00Z".into(),
            from: None,
            to: to.into(),
            promoted,
            forced: false,
            reason: "test".into(),
            data: vec!["fresh.csv".into()],
            max_auc_drop: 0.0,
            max_log_loss_rise: 0.0,
            champion: None,
            challenger: None,
        }
    }

    #[test]
    fn champion_name_is_none_only_without_a_pointer() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        assert_eq!(r.champion_name().unwrap(), None);
        std::fs::write(r.pointer_path(), "\n").unwrap();
        assert!(r.champion_name().is_err(), "an empty pointer is an error");
        artifact_json(tmp.path(), "a.json");
        r.set_current("a.json").unwrap();
        assert_eq!(r.champion_name().unwrap().as_deref(), Some("a.json"));
    }

    #[test]
    fn promotion_log_appends_reads_back_and_checks_the_pointer() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Registry::open_or_create(tmp.path().join("new/registry")).unwrap();
        assert!(r.promotions().unwrap().is_empty());
        assert_eq!(r.log_disagreement().unwrap(), None);
        artifact_json(r.dir(), "a.json");
        artifact_json(r.dir(), "b.json");
        r.record_promotion(&record("a.json", true)).unwrap();
        r.set_current("a.json").unwrap();
        r.record_promotion(&record("b.json", false)).unwrap();
        assert_eq!(
            r.log_disagreement().unwrap(),
            None,
            "a refusal moves nothing"
        );
        // A crash after the log line, before the pointer moved.
        r.record_promotion(&record("b.json", true)).unwrap();
        let log = r.promotions().unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!(log[2], record("b.json", true));
        let warning = r.log_disagreement().unwrap().unwrap();
        assert!(
            warning.contains("b.json") && warning.contains("a.json"),
            "{warning}"
        );
        r.set_current("b.json").unwrap();
        assert_eq!(r.log_disagreement().unwrap(), None);
        assert_eq!(
            r.list().unwrap().len(),
            2,
            "the log is not listed as a model"
        );
        std::fs::write(r.dir().join(PROMOTIONS), "{\"time\": 1}\n").unwrap();
        let err = r.promotions().unwrap_err().to_string();
        assert!(
            err.contains("promotions.jsonl") && err.contains("line 1"),
            "{err}"
        );
    }

    /// The log and the lock file are the registry's own files: a FIFO, a device or a link
    /// planted in their place is refused at once (a FIFO hung `models` and `promote`, the
    /// latter holding the lock; `/dev/zero` filled the memory; a link wrote outside the
    /// folder); a log whose last line lost its newline keeps both records readable.
    #[cfg(unix)]
    #[test]
    fn the_log_and_the_lock_are_regular_files_of_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        let log = r.dir().join(PROMOTIONS);
        let lock = r.dir().join(".lock");
        let fifo = |p: &Path| {
            std::process::Command::new("mkfifo")
                .arg(p)
                .status()
                .is_ok_and(|s| s.success())
        };
        let start = std::time::Instant::now();
        if fifo(&log) {
            let e = r.promotions().unwrap_err().to_string();
            assert!(e.contains("FIFO"), "{e}");
            let e = r
                .record_promotion(&record("a.json", true))
                .unwrap_err()
                .to_string();
            assert!(e.contains("FIFO"), "{e}");
            std::fs::remove_file(&log).unwrap();
        }
        if fifo(&lock) {
            let e = r.lock(|_| {}).unwrap_err().to_string();
            assert!(e.contains("FIFO"), "{e}");
            std::fs::remove_file(&lock).unwrap();
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        std::os::unix::fs::symlink("/dev/zero", &log).unwrap();
        let e = r.promotions().unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        std::fs::remove_file(&log).unwrap();
        let elsewhere = outside.path().join("log.jsonl");
        std::fs::write(&elsewhere, "").unwrap();
        std::os::unix::fs::symlink(&elsewhere, &log).unwrap();
        assert!(r.record_promotion(&record("a.json", true)).is_err());
        assert_eq!(
            std::fs::read(&elsewhere).unwrap(),
            b"",
            "nothing written through the link"
        );
        std::fs::remove_file(&log).unwrap();

        // The last line without its newline: the next record starts a line of its own.
        r.record_promotion(&record("a.json", true)).unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        std::fs::write(&log, text.trim_end()).unwrap();
        r.record_promotion(&record("b.json", false)).unwrap();
        assert_eq!(
            r.promotions().unwrap(),
            [record("a.json", true), record("b.json", false)]
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_pointer_is_read_only_as_a_small_regular_file_and_never_quoted() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.txt");
        std::fs::write(
            &secret,
            "root:SECRET-HASH-1234:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
        )
        .unwrap();
        let r = Registry::open(tmp.path()).unwrap();
        let quoted = |e: &Error| e.to_string().contains("SECRET-HASH");

        // A symbolic link to a file outside the folder: refused, content never shown.
        std::os::unix::fs::symlink(&secret, r.pointer_path()).unwrap();
        let e = r.current_name().unwrap_err();
        assert!(!quoted(&e), "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(
            r.champion_name().is_err(),
            "a link is a bad pointer, not a missing one"
        );

        // A regular pointer holding junk (several lines, separators): refused without quoting.
        std::fs::remove_file(r.pointer_path()).unwrap();
        std::fs::copy(&secret, r.pointer_path()).unwrap();
        let e = r.current_name().unwrap_err();
        assert!(!quoted(&e) && e.to_string().contains("CURRENT"), "{e}");

        // A FIFO: refused at once (opening it would wait for a writer).
        std::fs::remove_file(r.pointer_path()).unwrap();
        if std::process::Command::new("mkfifo")
            .arg(r.pointer_path())
            .status()
            .is_ok_and(|s| s.success())
        {
            let start = std::time::Instant::now();
            let e = r.current_name().unwrap_err().to_string();
            assert!(e.contains("FIFO"), "{e}");
            assert!(start.elapsed() < std::time::Duration::from_secs(2));
            std::fs::remove_file(r.pointer_path()).unwrap();
        }

        // 50 MB (sparse): refused by its size, naming the limit, without reading it.
        let f = std::fs::File::create(r.pointer_path()).unwrap();
        f.set_len(50_000_000).unwrap();
        let e = r.current_name().unwrap_err().to_string();
        assert!(
            e.contains("4096 bytes (4 KiB)") && e.contains("50000000 bytes"),
            "{e}"
        );

        // The model CURRENT names may not be a link either.
        std::fs::remove_file(r.pointer_path()).unwrap();
        std::os::unix::fs::symlink(&secret, tmp.path().join("m.json")).unwrap();
        let e = r.set_current("m.json").unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::write(r.pointer_path(), "m.json\n").unwrap();
        let e = ModelArtifact::load_no_follow(&r.current_path().unwrap(), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link") && !e.contains("SECRET"), "{e}");
    }
}
