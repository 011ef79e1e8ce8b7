//! Command line and environment: raw [`Args`] (clap) become a checked [`Config`] once.
//!
//! The settings types the other modules read live here too ([`Tiers`], [`DriftSettings`],
//! [`DecisionLogConfig`]), so this module depends on nothing of the server's but [`crate::error`].

use crate::error::{Error, Result};
use clap::{ArgGroup, Parser};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `leadscore-serve`: score leads over HTTP with a model artifact from `leadscore-train`.
///
/// Every flag can also be set by the environment variable shown in brackets.
#[derive(Debug, Clone, Parser)]
#[command(name = "leadscore-serve", version, about)]
#[command(group(ArgGroup::new("source").required(true).args(["model", "registry"])))]
pub struct Args {
    /// The model artifact (JSON written by `leadscore-train train`). Exactly one of `--model`
    /// and `--registry`.
    #[arg(long, env = "LEADSCORE_MODEL")]
    pub model: Option<PathBuf>,
    /// A model registry folder: serves the file its `CURRENT` pointer names
    /// (`DIR/<model_id>.json`) and follows the pointer when it changes.
    #[arg(long, env = "LEADSCORE_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// With `--registry`: how often to check `CURRENT` (and the file it names) for a change,
    /// in milliseconds.
    #[arg(long, env = "LEADSCORE_REGISTRY_POLL_MS", default_value_t = 2000)]
    pub registry_poll_ms: u64,
    /// The largest model artifact read, in bytes (at start-up and on every reload); a larger
    /// file is refused without being read.
    #[arg(long, env = "LEADSCORE_MAX_MODEL_BYTES", default_value_t = leadscore_core::artifact::DEFAULT_MAX_BYTES)]
    pub max_model_bytes: u64,
    /// Precision the MQLs must reach (0 < P < 1): the cutoff is the loosest score threshold
    /// whose precision lower bound on the model's holdout curve stays at or above P.
    #[arg(long, env = "LEADSCORE_TARGET_PRECISION")]
    pub target_precision: f64,
    /// Confidence level of the precision lower bound, at least 0.5 and below 1.
    #[arg(long, env = "LEADSCORE_CONFIDENCE", default_value_t = 0.95)]
    pub confidence: f64,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "LEADSCORE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Tiers as precision targets, strictest first; a last name without `=` names the rest.
    /// An empty value turns tiers off.
    #[arg(long, env = "LEADSCORE_TIERS", default_value = Tiers::STANDARD)]
    pub tiers: String,
    /// Bearer token required by /v1/score and /invocations (prefer the environment variable:
    /// command lines are visible to other users).
    #[arg(long, env = "LEADSCORE_SCORE_TOKEN", hide_env_values = true)]
    pub score_token: Option<String>,
    /// Bearer token required by the admin calls (PUT /v1/cutoff, POST /v1/admin/reload).
    /// Without one, admin calls are allowed only when the bind address is loopback and the
    /// request's `Host` (and `Origin`, if any) name loopback too (no DNS rebinding, no
    /// cross-site calls from a web page).
    #[arg(long, env = "LEADSCORE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// A name besides localhost, 127.0.0.1 and [::1] that requests may carry in `Host` when the
    /// server binds loopback (repeatable, or comma separated in the variable): the name a
    /// reverse proxy on this machine forwards. Other names are refused (403) on every route, so
    /// that a web page cannot read the server through DNS rebinding.
    #[arg(
        long = "allowed-host",
        env = "LEADSCORE_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "LEADSCORE_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most leads in one request.
    #[arg(long, env = "LEADSCORE_MAX_BATCH", default_value_t = 10_000)]
    pub max_batch: usize,
    /// Time limit of one request, in milliseconds: 503 `timeout` after it, or 408
    /// `body_timeout` when the request's body is still arriving.
    #[arg(long, env = "LEADSCORE_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// How long a connection may take to send a request's headers, from its first byte, in
    /// milliseconds (then it is closed: slow senders cannot hold connections).
    #[arg(
        long,
        env = "LEADSCORE_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,
    /// How long a connection may stay open with no request in progress (before its first
    /// request, or between keep-alive requests), in milliseconds.
    #[arg(long, env = "LEADSCORE_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,
    /// How long writing an answer may make no progress (a client that stops reading), in
    /// milliseconds; then the connection is closed, freeing its slot.
    #[arg(long, env = "LEADSCORE_WRITE_TIMEOUT_MS", default_value_t = 30_000)]
    pub write_timeout_ms: u64,
    /// Most open connections. At the cap, a new connection closes the one idle the longest
    /// (no request in progress); if every connection is busy, the new one is closed at once.
    /// Lowered at start-up to what the open-files limit leaves room for.
    #[arg(long, env = "LEADSCORE_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// On SIGTERM or Ctrl-C, how long to let requests in flight finish, in milliseconds.
    #[arg(long, env = "LEADSCORE_SHUTDOWN_GRACE_MS", default_value_t = 30_000)]
    pub shutdown_grace_ms: u64,
    /// Drift: a population stability index (live scores against the holdout's, each field's
    /// fill rate against training) above this is drift: `/v1/model` says `warn` and stderr
    /// gets a warning (once per crossing). Common reading: < 0.1 stable, 0.1-0.25 moderate,
    /// > 0.25 major.
    #[arg(long, env = "LEADSCORE_DRIFT_PSI_THRESHOLD", default_value_t = 0.2)]
    pub drift_psi_threshold: f64,
    /// Drift: leads the model must score before drift is reported.
    #[arg(long, env = "LEADSCORE_DRIFT_MIN_LEADS", default_value_t = 500)]
    pub drift_min_leads: u64,
    /// Drift: how often the background check compares the PSIs with the threshold, in
    /// milliseconds.
    #[arg(long, env = "LEADSCORE_DRIFT_CHECK_MS", default_value_t = 60_000)]
    pub drift_check_ms: u64,
    /// Append every scoring decision to DIR/decisions.jsonl (JSON lines, rotated by size),
    /// written off the request path and flushed on shutdown. Off by default.
    #[arg(long, env = "LEADSCORE_DECISION_LOG")]
    pub decision_log: Option<PathBuf>,
    /// With `--decision-log`: rotate the file (to decisions.<n>.jsonl) when it would grow
    /// past this many bytes.
    #[arg(long, env = "LEADSCORE_DECISION_LOG_MAX_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub decision_log_max_bytes: u64,
    /// With `--decision-log`: how many rotated files (decisions.<n>.jsonl) to keep; at each
    /// rotation the oldest beyond this are deleted.
    #[arg(long, env = "LEADSCORE_DECISION_LOG_KEEP", default_value_t = DecisionLogConfig::DEFAULT_KEEP)]
    pub decision_log_keep: u64,
    /// Gates in force instead of the model's: a TOML file of `[[gates]]` entries (an empty
    /// file means no gates). The cutoff is then recomputed on the model's holdout with these
    /// gates.
    #[arg(long, env = "LEADSCORE_GATES")]
    pub gates: Option<PathBuf>,
}

/// The tiers (`--tiers`): `leadscore-core`'s, the same ones the report draws.
pub use leadscore_core::tiers::{TierTarget, Tiers};

/// `--tiers` checked: core's parser, its error as a configuration error naming the flag.
fn parse_tiers(text: &str) -> Result<Tiers> {
    Tiers::parse(text).map_err(|e| Error::Config(format!("--tiers `{}`: {}", e.text, e.problem)))
}

/// Drift settings (`--drift-psi-threshold`, `--drift-min-leads`, `--drift-check-ms`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftSettings {
    /// A PSI above this is drift (status `warn`, a warning on stderr).
    pub psi_threshold: f64,
    /// Leads scored by the model before PSIs are reported.
    pub min_leads: u64,
    /// How often the background check looks at the PSIs.
    pub check_interval: Duration,
}

impl Default for DriftSettings {
    fn default() -> Self {
        Self {
            psi_threshold: 0.2,
            min_leads: 500,
            check_interval: Duration::from_secs(60),
        }
    }
}

/// Where and how to write the scored-lead log (`--decision-log`, `--decision-log-max-bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLogConfig {
    /// The folder of `decisions.jsonl` (created if missing).
    pub dir: PathBuf,
    /// Size at which the file is rotated.
    pub max_bytes: u64,
    /// Rotated files kept (the oldest beyond are deleted).
    pub keep: u64,
}

impl DecisionLogConfig {
    /// Rotated files kept by default.
    pub const DEFAULT_KEEP: u64 = 10;

    /// Logging to `dir` with the default size and retention.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_bytes: 100 * 1024 * 1024,
            keep: Self::DEFAULT_KEEP,
        }
    }
}

/// Where the model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// One artifact file (`--model`); reloads read the same path.
    File(PathBuf),
    /// A registry folder (`--registry`); loads and reloads read the file `DIR/CURRENT` names.
    Registry(PathBuf),
}

impl ModelSource {
    /// The file or folder given.
    pub fn path(&self) -> &Path {
        match self {
            Self::File(p) | Self::Registry(p) => p,
        }
    }
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The model file or registry.
    pub source: ModelSource,
    /// With a registry: the interval between checks of its `CURRENT` pointer.
    pub registry_poll: Duration,
    /// The largest model artifact read, in bytes.
    pub max_model_bytes: u64,
    /// Target precision of the MQL cutoff at start-up.
    pub target_precision: f64,
    /// Confidence of the precision lower bound at start-up.
    pub confidence: f64,
    /// Listen address.
    pub bind: SocketAddr,
    /// Tiers.
    pub tiers: Tiers,
    /// Bearer token for scoring, if required.
    pub score_token: Option<String>,
    /// Bearer token for admin calls, if configured.
    pub admin_token: Option<String>,
    /// Names `Host` may carry besides the loopback ones, lowercase (see
    /// [`Args::allowed_hosts`]); checked only when `bind` is loopback.
    pub allowed_hosts: Vec<String>,
    /// Body size limit in bytes.
    pub max_body_bytes: usize,
    /// Leads per request limit.
    pub max_batch: usize,
    /// Per-request time limit.
    pub request_timeout: Duration,
    /// Time a connection gets to send a request's headers, from their first byte.
    pub header_read_timeout: Duration,
    /// Time a connection may stay open without a request in progress.
    pub idle_timeout: Duration,
    /// Time writing an answer may make no progress.
    pub write_timeout: Duration,
    /// Most open connections (see [`Args::max_connections`]).
    pub max_connections: usize,
    /// Time given to requests in flight at shutdown.
    pub shutdown_grace: Duration,
    /// Drift threshold, minimum sample and check interval.
    pub drift: DriftSettings,
    /// The scored-lead log, if on.
    pub decision_log: Option<DecisionLogConfig>,
    /// Gates replacing the model's (`None`: the model's own).
    pub gates: Option<Vec<leadscore_core::gates::GateSpec>>,
}

impl Config {
    /// A configuration with the defaults serving one model file, for tests and embedding.
    pub fn new(model: impl Into<PathBuf>, target_precision: f64) -> Self {
        Self::with_source(ModelSource::File(model.into()), target_precision)
    }

    /// A configuration with the defaults serving the current model of a registry folder.
    pub fn registry(dir: impl Into<PathBuf>, target_precision: f64) -> Self {
        Self::with_source(ModelSource::Registry(dir.into()), target_precision)
    }

    /// A configuration with the defaults.
    pub fn with_source(source: ModelSource, target_precision: f64) -> Self {
        Self {
            source,
            registry_poll: Duration::from_secs(2),
            max_model_bytes: leadscore_core::artifact::DEFAULT_MAX_BYTES,
            target_precision,
            confidence: 0.95,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tiers: Tiers::standard(),
            score_token: None,
            admin_token: None,
            allowed_hosts: Vec::new(),
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 10_000,
            request_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(30),
            drift: DriftSettings::default(),
            decision_log: None,
            gates: None,
        }
    }

    /// Whether admin calls are allowed without a token (none configured, loopback bind).
    pub fn admin_open(&self) -> bool {
        self.admin_token.is_none() && self.bind.ip().is_loopback()
    }
}

/// `--allowed-host` names, checked (a bare host name or address, no port, scheme or path) and
/// lowercased.
fn allowed_hosts(names: Vec<String>) -> Result<Vec<String>> {
    names
        .into_iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .map(|n| {
            let ok = n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b))
                && !n.contains("//");
            if ok {
                Ok(n)
            } else {
                Err(Error::Config(format!(
                    "--allowed-host {n:?} is not a host name (give the name alone: \
                     leads.example.com)"
                )))
            }
        })
        .collect()
}

impl TryFrom<Args> for Config {
    type Error = Error;

    fn try_from(a: Args) -> Result<Self> {
        let token = |name: &str, t: Option<String>| match t {
            Some(t) if t.trim().is_empty() => Err(Error::Config(format!("{name} is empty"))),
            Some(t) if t.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                Err(Error::Config(format!(
                    "{name} must not contain spaces or control characters"
                )))
            }
            other => Ok(other),
        };
        let positive = |name: &str, v: u64| {
            if v == 0 {
                Err(Error::Config(format!("{name} must be at least 1")))
            } else {
                Ok(v)
            }
        };
        let source = match (a.model, a.registry) {
            (Some(model), None) => ModelSource::File(model),
            (None, Some(dir)) => ModelSource::Registry(dir),
            _ => {
                return Err(Error::Config(
                    "give exactly one of --model PATH and --registry DIR".into(),
                ))
            }
        };
        Ok(Self {
            source,
            registry_poll: Duration::from_millis(positive(
                "--registry-poll-ms",
                a.registry_poll_ms,
            )?),
            max_model_bytes: positive("--max-model-bytes", a.max_model_bytes)?,
            target_precision: a.target_precision,
            confidence: match leadscore_core::curve::check_confidence(a.confidence) {
                Ok(()) => a.confidence,
                Err(e) => return Err(Error::Config(format!("--confidence: {e}"))),
            },
            bind: a.bind,
            tiers: parse_tiers(&a.tiers)?,
            score_token: token("--score-token", a.score_token)?,
            admin_token: token("--admin-token", a.admin_token)?,
            allowed_hosts: allowed_hosts(a.allowed_hosts)?,
            max_body_bytes: positive("--max-body-bytes", a.max_body_bytes as u64)? as usize,
            max_batch: positive("--max-batch", a.max_batch as u64)? as usize,
            request_timeout: Duration::from_millis(positive(
                "--request-timeout-ms",
                a.request_timeout_ms,
            )?),
            header_read_timeout: Duration::from_millis(positive(
                "--header-read-timeout-ms",
                a.header_read_timeout_ms,
            )?),
            idle_timeout: Duration::from_millis(positive("--idle-timeout-ms", a.idle_timeout_ms)?),
            write_timeout: Duration::from_millis(positive(
                "--write-timeout-ms",
                a.write_timeout_ms,
            )?),
            max_connections: positive("--max-connections", a.max_connections as u64)? as usize,
            shutdown_grace: Duration::from_millis(a.shutdown_grace_ms),
            drift: DriftSettings {
                psi_threshold: if a.drift_psi_threshold.is_finite() && a.drift_psi_threshold > 0.0 {
                    a.drift_psi_threshold
                } else {
                    return Err(Error::Config(format!(
                        "--drift-psi-threshold must be a positive number, got {}",
                        a.drift_psi_threshold
                    )));
                },
                min_leads: positive("--drift-min-leads", a.drift_min_leads)?,
                check_interval: Duration::from_millis(positive(
                    "--drift-check-ms",
                    a.drift_check_ms,
                )?),
            },
            decision_log: match a.decision_log {
                Some(dir) if dir.as_os_str().is_empty() => {
                    return Err(Error::Config("--decision-log is empty".into()))
                }
                Some(dir) => Some(DecisionLogConfig {
                    dir,
                    max_bytes: positive("--decision-log-max-bytes", a.decision_log_max_bytes)?,
                    keep: positive("--decision-log-keep", a.decision_log_keep)?,
                }),
                None => None,
            },
            gates: match &a.gates {
                Some(path) => Some(read_gates(path)?),
                None => None,
            },
        })
    }
}

/// Reads a gates file: TOML with `[[gates]]` entries; an error names the file
/// ([`leadscore_core::gates::read_gates_file`]).
pub fn read_gates(path: &std::path::Path) -> Result<Vec<leadscore_core::gates::GateSpec>> {
    leadscore_core::gates::read_gates_file(path, "--gates").map_err(Error::Config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_flag() {
        let parse = |tiers: &str| {
            let argv = [
                "leadscore-serve",
                "--model",
                "m.json",
                "--target-precision",
                "0.7",
                "--tiers",
                tiers,
            ];
            Config::try_from(Args::try_parse_from(argv).unwrap())
        };
        let c = parse("A=0.8, B=0.6,C=0.4,D").unwrap();
        assert_eq!(c.tiers, Tiers::standard());
        assert_eq!(
            parse("").unwrap().tiers,
            Tiers::default(),
            "empty: no tiers"
        );
        // The syntax is core's (tested there); the error names the flag and the problem.
        let e = parse("A=0.6,B=0.8").unwrap_err().to_string();
        assert!(
            e.contains("--tiers `A=0.6,B=0.8`") && e.contains("tier B: targets must decrease"),
            "{e}"
        );
        for bad in ["A=1.2", "A,B=0.5", "A=0.8,A", "A=x", "=0.5"] {
            assert!(
                matches!(parse(bad), Err(Error::Config(m)) if m.starts_with("--tiers")),
                "{bad}"
            );
        }
        // The default flag value and `Config::new` agree.
        let argv = [
            "leadscore-serve",
            "--model",
            "m.json",
            "--target-precision",
            "0.7",
        ];
        let c = Config::try_from(Args::try_parse_from(argv).unwrap()).unwrap();
        assert_eq!(c.tiers, Config::new("m.json", 0.7).tiers);
    }

    #[test]
    fn args_from_flags_and_checks() {
        let args = Args::try_parse_from([
            "leadscore-serve",
            "--model",
            "m.json",
            "--target-precision",
            "0.7",
            "--max-batch",
            "0",
        ])
        .unwrap();
        assert!(Config::try_from(args).is_err());
        let args = Args::try_parse_from([
            "leadscore-serve",
            "--model",
            "m.json",
            "--target-precision",
            "0.7",
            "--admin-token",
            "s3cret",
        ])
        .unwrap();
        let c = Config::try_from(args).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(!c.admin_open());
        assert_eq!(c.max_batch, 10_000);
        assert_eq!(c.source, ModelSource::File("m.json".into()));
    }

    /// The configuration of `leadscore-serve --model m.json --target-precision 0.7` plus
    /// `extra`; a usage or configuration error as text.
    fn config_with(extra: &[&str]) -> std::result::Result<Config, String> {
        let mut argv = vec![
            "leadscore-serve",
            "--model",
            "m.json",
            "--target-precision",
            "0.7",
        ];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv)
            .map_err(|e| e.to_string())
            .and_then(|a| Config::try_from(a).map_err(|e| e.to_string()))
    }

    #[test]
    fn decision_log_flags() {
        let parse = config_with;
        assert_eq!(parse(&[]).unwrap().decision_log, None);
        let c = parse(&["--decision-log", "logs", "--decision-log-max-bytes", "1000"]).unwrap();
        let log = c.decision_log.unwrap();
        assert_eq!(
            (log.dir, log.max_bytes, log.keep),
            (PathBuf::from("logs"), 1000, DecisionLogConfig::DEFAULT_KEEP)
        );
        let c = parse(&["--decision-log", "logs", "--decision-log-keep", "3"]).unwrap();
        assert_eq!(c.decision_log.unwrap().keep, 3);
        assert!(parse(&["--decision-log", "logs", "--decision-log-keep", "0"]).is_err());
        assert_eq!(
            parse(&["--max-model-bytes", "1000"])
                .unwrap()
                .max_model_bytes,
            1000
        );
        assert!(parse(&["--max-model-bytes", "0"]).is_err());
        assert!(parse(&["--decision-log", "logs", "--decision-log-max-bytes", "0"]).is_err());
        assert!(parse(&["--decision-log", ""]).is_err());
    }

    #[test]
    fn exactly_one_of_model_and_registry() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["leadscore-serve", "--target-precision", "0.7"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv)
        };
        assert!(parse(&[]).is_err(), "one is required");
        assert!(parse(&["--model", "m.json", "--registry", "models"]).is_err());
        let c = Config::try_from(parse(&["--registry", "models"]).unwrap()).unwrap();
        assert_eq!(c.source, ModelSource::Registry("models".into()));
        assert_eq!(c.registry_poll, Duration::from_secs(2));
        let c =
            Config::try_from(parse(&["--registry", "models", "--registry-poll-ms", "50"]).unwrap())
                .unwrap();
        assert_eq!(c.registry_poll, Duration::from_millis(50));
        assert!(Config::try_from(
            parse(&["--registry", "models", "--registry-poll-ms", "0"]).unwrap()
        )
        .is_err());
    }

    #[test]
    fn confidence_flag_is_at_least_one_half_and_below_one() {
        let parse = |confidence: &str| {
            let argv = [
                "leadscore-serve",
                "--model",
                "m.json",
                "--target-precision",
                "0.7",
                "--confidence",
                confidence,
            ];
            Config::try_from(Args::try_parse_from(argv).unwrap())
        };
        for good in ["0.5", "0.95", "0.999"] {
            assert!(parse(good).is_ok(), "{good}");
        }
        for bad in ["0.01", "0.4999", "1", "1.5", "0", "NaN"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("--confidence") && e.contains("at least 0.5 and below 1"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn connection_flags() {
        let parse = config_with;
        let c = parse(&[]).unwrap();
        let defaults = Config::new("m.json", 0.7);
        assert_eq!(
            (
                c.header_read_timeout,
                c.idle_timeout,
                c.write_timeout,
                c.max_connections
            ),
            (
                Duration::from_secs(10),
                Duration::from_secs(60),
                Duration::from_secs(30),
                1024
            )
        );
        assert_eq!(
            (
                c.header_read_timeout,
                c.idle_timeout,
                c.write_timeout,
                c.max_connections
            ),
            (
                defaults.header_read_timeout,
                defaults.idle_timeout,
                defaults.write_timeout,
                defaults.max_connections
            )
        );
        let c = parse(&[
            "--header-read-timeout-ms",
            "250",
            "--idle-timeout-ms",
            "500",
            "--write-timeout-ms",
            "750",
            "--max-connections",
            "8",
        ])
        .unwrap();
        assert_eq!(
            (
                c.header_read_timeout,
                c.idle_timeout,
                c.write_timeout,
                c.max_connections
            ),
            (
                Duration::from_millis(250),
                Duration::from_millis(500),
                Duration::from_millis(750),
                8
            )
        );
        for zero in [
            "--header-read-timeout-ms",
            "--idle-timeout-ms",
            "--write-timeout-ms",
            "--max-connections",
        ] {
            assert!(parse(&[zero, "0"]).is_err(), "{zero} 0");
        }
    }

    #[test]
    fn drift_flags() {
        let parse = config_with;
        assert_eq!(parse(&[]).unwrap().drift, DriftSettings::default());
        let c = parse(&[
            "--drift-psi-threshold",
            "0.1",
            "--drift-min-leads",
            "50",
            "--drift-check-ms",
            "250",
        ])
        .unwrap();
        assert_eq!(c.drift.psi_threshold, 0.1);
        assert_eq!(c.drift.min_leads, 50);
        assert_eq!(c.drift.check_interval, Duration::from_millis(250));
        assert!(parse(&["--drift-psi-threshold", "0"]).is_err());
        assert!(parse(&["--drift-psi-threshold", "NaN"]).is_err());
        assert!(parse(&["--drift-min-leads", "0"]).is_err());
        assert!(parse(&["--drift-check-ms", "0"]).is_err());
    }
}
