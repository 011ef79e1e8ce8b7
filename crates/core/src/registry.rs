//! The model registry: a folder of artifacts and a pointer to the champion.
//!
//! Layout of a registry folder `DIR`:
//!
//! - `DIR/<model_id>.json`: one artifact per model ([`Registry::add`]);
//! - `DIR/CURRENT`: the file name of the champion, one line (`a1153bfcd20e7a87.json\n`),
//!   replaced atomically (temp file + rename) by [`Registry::set_current`].
//!
//! Nothing else is read: other files (temporary files of atomic writes start with `.`) are
//! ignored. `leadscore-serve --registry DIR` serves the file `CURRENT` names and follows it when
//! it changes; training adds models and promotion moves the pointer.
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
use std::path::{Path, PathBuf};

/// The name of the pointer file inside a registry folder.
pub const CURRENT: &str = "CURRENT";

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
            Ok(_) => Err(Error::Artifact {
                origin: dir.display().to_string(),
                message: "the model registry is not a directory".into(),
            }),
            Err(error) => Err(Error::Io {
                path: dir.display().to_string(),
                error,
            }),
        }
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
    pub fn current_name(&self) -> Result<String> {
        let pointer = self.pointer_path();
        let origin = pointer.display().to_string();
        let text = std::fs::read_to_string(&pointer).map_err(|error| Error::Io {
            path: origin.clone(),
            error,
        })?;
        let name = text.trim();
        if name.is_empty() {
            return Err(Error::Artifact {
                origin,
                message: "the registry pointer is empty: it should hold the file name of the current model".into(),
            });
        }
        check_file_name(name).map_err(|message| Error::Artifact { origin, message })?;
        Ok(name.to_string())
    }

    /// The path of the current model: `DIR/` + the name in `CURRENT`.
    pub fn current_path(&self) -> Result<PathBuf> {
        Ok(self.dir.join(self.current_name()?))
    }

    /// Points `CURRENT` at `file_name` (which must be a file in the folder), atomically.
    pub fn set_current(&self, file_name: &str) -> Result<()> {
        let pointer = self.pointer_path();
        check_file_name(file_name).map_err(|message| Error::Artifact {
            origin: pointer.display().to_string(),
            message,
        })?;
        let target = self.dir.join(file_name);
        match std::fs::metadata(&target) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::Artifact {
                    origin: target.display().to_string(),
                    message: "not a regular file; CURRENT must name a model file".into(),
                })
            }
            Err(error) => {
                return Err(Error::Io {
                    path: target.display().to_string(),
                    error,
                })
            }
        }
        write_atomic(&pointer, format!("{file_name}\n").as_bytes())
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
            .map_err(|message| Error::Artifact {
                origin: self.dir.display().to_string(),
                message: format!("cannot add model `{}`: {message}", artifact.model_id),
            })?;
        let path = self.dir.join(name);
        artifact.write_atomic(&path)?;
        Ok(path)
    }

    /// The model files (`*.json`, not hidden), sorted by name, each with whether `CURRENT`
    /// points at it. A missing or bad `CURRENT` marks none as current.
    pub fn list(&self) -> Result<Vec<(String, bool)>> {
        let io = |error| Error::Io {
            path: self.dir.display().to_string(),
            error,
        };
        let current = self.current_name().ok();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            if !entry.file_type().map_err(io)?.is_file() {
                continue;
            }
            let is_current = current.as_deref() == Some(name.as_str());
            out.push((name, is_current));
        }
        out.sort();
        Ok(out)
    }
}

/// The registry file name of a model: `<model_id>.json`.
pub fn file_name_for(model_id: &str) -> String {
    format!("{model_id}.json")
}

/// A name `CURRENT` may hold: a plain file name inside the folder.
fn check_file_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("the file name is empty".into());
    }
    if name.contains('/') || name.contains('\\') {
        return Err(format!(
            "`{name}` contains a path separator; the pointer must hold a file name in the registry folder"
        ));
    }
    if name.contains("..") || name == "." {
        return Err(format!(
            "`{name}` contains `..`; the pointer must hold a file name in the registry folder"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("`{name:?}` contains control characters"));
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
}
