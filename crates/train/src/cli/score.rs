//! `leadscore-train score`: a whole leads file scored as of one moment, as the server would
//! score each lead; with `--previous`, the crossings against an earlier run beside the output.

use super::{create_parent, emit};
use anyhow::{bail, Context};
use clap::Args;
use leadscore_core::artifact::{write_atomic_with, ModelArtifact};
use leadscore_core::tiers::Tiers;
use leadscore_train::explain::rfc3339;
use leadscore_train::notify::{deliver, new_mql, queue, save_pending, Notification, Webhook};
use leadscore_train::score::{
    crossings, crossings_frame, crossings_path, frame, read_previous, score_file, Change, Crossing,
    Format, FrameWriter, Previous, ScoreJob, ScoreSummary,
};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct ScoreArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    /// The leads to score (CSV or Parquet): the model's columns and its lead id column.
    #[arg(long)]
    data: PathBuf,
    /// The lead id column (default: the one a point-in-time model was trained with; flat-file
    /// models need it).
    #[arg(long)]
    id: Option<String>,
    /// Their engagement events (required by models with event features); events after
    /// --as-of are left out.
    #[arg(long)]
    events: Option<PathBuf>,
    /// Outcomes (lead id, optionally converted, and converted_at): leads that converted at or
    /// before --as-of are skipped, as a nightly job scores open leads only.
    #[arg(long)]
    outcomes: Option<PathBuf>,
    /// The moment every lead is scored as of (RFC 3339 or YYYY-MM-DD[ HH:MM:SS], UTC, or Unix
    /// seconds or milliseconds as the server's ?as_of= reads them; default: now). Leads created
    /// after it are skipped.
    #[arg(long)]
    as_of: Option<String>,
    /// Where to write one row per lead: .csv or .parquet. Written whole or not at all.
    #[arg(long)]
    out: PathBuf,
    /// Precision the MQLs must reach (0 < P < 1), as the server's --target-precision.
    #[arg(long, env = "LEADSCORE_TARGET_PRECISION")]
    target_precision: f64,
    /// Confidence level of the precision lower bound, at least 0.5 and below 1.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Tiers as precision targets, strictest first (the server's --tiers); empty: no tiers.
    #[arg(long, env = "LEADSCORE_TIERS", default_value = Tiers::STANDARD)]
    tiers: String,
    /// Positive and negative key factors per lead (0: none).
    #[arg(long, default_value_t = 3)]
    factors: usize,
    /// The server's --gates file, when it serves with gates other than the model's: leads are
    /// held back by them, and the cutoff and tiers are the ones the server computes with them.
    #[arg(long)]
    gates: Option<PathBuf>,
    /// An earlier output of `score`: the leads that became MQL, stopped being MQL or changed
    /// tier since are written beside --out as NAME.crossings.EXT.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// CSV delimiter of the input files (detected when absent).
    #[arg(long, value_parser = super::input::delimiter_byte)]
    delimiter: Option<u8>,
    /// POST each new MQL (a lead that became one since --previous; without --previous, every
    /// MQL) to this URL as JSON, signed with HMAC-SHA256 (header X-Leadscore-Signature:
    /// sha256=HEX) and keyed (Idempotency-Key: LEAD:AS_OF:MODEL).
    #[arg(long)]
    notify: Option<String>,
    /// The environment variable holding the signing secret.
    #[arg(long, default_value = "LEADSCORE_WEBHOOK_SECRET")]
    notify_secret_env: String,
    /// Attempts per notification (retried on connection errors, timeouts, 5xx, 408, 425 and 429).
    #[arg(long, default_value_t = 5)]
    notify_attempts: u32,
    /// Wait after the first failed attempt, in milliseconds; doubled after each (at most 60 s,
    /// or the receiver's Retry-After).
    #[arg(long, default_value_t = 1000)]
    notify_backoff_ms: u64,
    /// The longest one attempt may take, in seconds.
    #[arg(long, default_value_t = 10.0)]
    notify_timeout_secs: f64,
    /// The longest the whole delivery may take, in seconds; what is left then goes to the
    /// dead letters.
    #[arg(long, default_value_t = 300.0)]
    notify_deadline_secs: f64,
    /// Where undelivered notifications are kept (JSON lines; default dead-letter.jsonl in the
    /// folder of --out). A run with --notify delivers what this file holds first: every nightly
    /// run must use the same file (dated outputs in one folder share the default).
    #[arg(long)]
    dead_letter: Option<PathBuf>,
    /// Leads per chunk (tests use small chunks to cross chunk boundaries on small files).
    #[arg(long, default_value_t = leadscore_train::score::CHUNK_LEADS, hide = true)]
    chunk_leads: usize,
}

/// `score` with its options checked.
pub struct Score {
    model: PathBuf,
    job: ScoreJob,
    out: PathBuf,
    format: Format,
    previous: Option<PathBuf>,
    notify: Option<Webhook>,
}

/// Checks the moment, the cutoff's target and confidence, the tiers and the output format
/// before any file is read.
impl TryFrom<ScoreArgs> for Score {
    type Error = anyhow::Error;

    fn try_from(a: ScoreArgs) -> anyhow::Result<Self> {
        let as_of = match &a.as_of {
            None => chrono::Utc::now().timestamp(),
            // A date before 1970 is read (and refused below, saying why).
            Some(t) => leadscore_core::value::parse_timestamp(t)
                .or_else(|| leadscore_core::value::parse_as_of(t))
                .with_context(|| {
                    format!(
                        "--as-of {t:?} is not a time (expected {})",
                        leadscore_core::value::AS_OF_FORMS
                    )
                })?,
        };
        // As the server refuses an `as_of` before 1970 (no event can be placed before it).
        if as_of < 0 {
            bail!(
                "--as-of must be 1970-01-01 or later, got {:?}",
                a.as_of.unwrap_or_default()
            );
        }
        if !(a.target_precision > 0.0 && a.target_precision < 1.0) {
            bail!(
                "--target-precision must lie strictly between 0 and 1, got {}",
                a.target_precision
            );
        }
        leadscore_core::curve::check_confidence(a.confidence)
            .map_err(|e| anyhow::anyhow!("--confidence: {e}"))?;
        let tiers = Tiers::parse(&a.tiers)
            .map_err(|e| anyhow::anyhow!("--tiers `{}`: {}", e.text, e.problem))?;
        let delimiter = a.delimiter;
        let format = Format::of(&a.out)?;
        let notify = match &a.notify {
            None => None,
            Some(url) => {
                let secret = std::env::var(&a.notify_secret_env).with_context(|| {
                    format!(
                        "--notify: set the signing secret in the environment variable {}",
                        a.notify_secret_env
                    )
                })?;
                let secs = |name: &str, v: f64| -> anyhow::Result<Duration> {
                    Duration::try_from_secs_f64(v)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .with_context(|| format!("{name} must be a positive number of seconds"))
                };
                let hook = Webhook {
                    url: url.clone(),
                    secret: secret.into_bytes(),
                    max_attempts: a.notify_attempts,
                    first_backoff: Duration::from_millis(a.notify_backoff_ms),
                    attempt_timeout: secs("--notify-timeout-secs", a.notify_timeout_secs)?,
                    deadline: secs("--notify-deadline-secs", a.notify_deadline_secs)?,
                    dead_letter: a
                        .dead_letter
                        .clone()
                        .unwrap_or_else(|| a.out.with_file_name("dead-letter.jsonl")),
                };
                hook.check()?;
                Some(hook)
            }
        };
        if let Some(p) = &a.previous {
            Format::of(p)?;
        }
        // Written beside --out when there is a previous run to compare with.
        let crossings = a.previous.as_ref().map(|_| crossings_path(&a.out));
        super::distinct_files(
            &[
                ("--model", Some(&a.model)),
                ("--data", Some(&a.data)),
                ("--events", a.events.as_deref()),
                ("--outcomes", a.outcomes.as_deref()),
                ("--previous", a.previous.as_deref()),
            ],
            &[
                ("--out", Some(&a.out)),
                ("the crossings file", crossings.as_deref()),
                (
                    "the dead-letter file",
                    notify.as_ref().map(|h| h.dead_letter.as_path()),
                ),
            ],
        )?;
        // A nightly run replaces its own earlier output (a re-run); a typo (`--out leads.csv`
        // in another folder, `--out notes.txt`) replaced whatever the file held.
        super::replaces_only_ours("--out", &a.out, super::Ours::Scores)?;
        if let Some(c) = &crossings {
            super::replaces_only_ours(
                "the crossings file this run writes beside --out (NAME.crossings.EXT),",
                c,
                super::Ours::Scores,
            )?;
        }
        Ok(Self {
            model: a.model,
            job: ScoreJob {
                leads: a.data,
                id: a.id,
                events: a.events,
                outcomes: a.outcomes,
                as_of,
                target_precision: a.target_precision,
                confidence: a.confidence,
                tiers,
                gates: a.gates,
                factors: a.factors,
                delimiter,
                chunk_leads: a.chunk_leads,
                // For the notifications, and to say which earlier MQLs converted since.
                keep_converted_ids: notify.is_some() || a.previous.is_some(),
            },
            out: a.out,
            format,
            previous: a.previous,
            notify,
        })
    }
}

/// Checks an earlier run given as `--previous` against this one: one scored after `--as-of` is
/// an error (crossings are changes since an earlier run; a later one would send today's MQLs as
/// news from the future); another model's run, or tiers this run does not give, a warning.
fn check_previous(
    prev: &Previous,
    path: &std::path::Path,
    model_id: &str,
    job: &ScoreJob,
    as_of: &str,
) -> anyhow::Result<String> {
    let mut warnings = String::new();
    if let Some(latest) = prev.latest_as_of.filter(|t| *t > job.as_of) {
        bail!(
            "--previous {} was scored as of {}, after --as-of {as_of}: the previous run must \
             be an earlier one (nothing was scored)",
            path.display(),
            rfc3339(latest)
        );
    }
    let others: Vec<String> = prev
        .models
        .iter()
        .filter(|(m, _)| *m != model_id)
        .map(|(m, n)| format!("{m} ({n} leads)"))
        .collect();
    if !others.is_empty() {
        warnings += &format!(
            "WARNING: {} was scored by another model ({}), not {}: its crossings compare two \
             models' decisions (with --notify, leads this model makes MQLs are posted as \
             new)\n",
            path.display(),
            others.join(", "),
            model_id
        );
    }
    let now: Vec<&str> = job
        .tiers
        .targets
        .iter()
        .map(|t| t.name.as_str())
        .chain(job.tiers.rest.as_deref())
        .collect();
    let foreign: Vec<&str> = prev
        .tiers
        .iter()
        .map(String::as_str)
        .filter(|t| !now.contains(t))
        .collect();
    if !now.is_empty() && !foreign.is_empty() {
        warnings += &format!(
            "WARNING: {} gave tiers this run does not ({}; this run: {}): those leads count \
             as changing tier\n",
            path.display(),
            foreign.join(", "),
            now.join(", ")
        );
    }
    Ok(warnings)
}

/// Scores the file chunk by chunk into a temp file beside --out (renamed over it at the end),
/// collecting the crossings on the way, then prints what it did.
pub fn run(s: Score) -> anyhow::Result<()> {
    let artifact = ModelArtifact::load(&s.model)?;
    let id = leadscore_train::score::id_column(&artifact, &s.job)?;
    let previous = match &s.previous {
        Some(p) => Some(read_previous(p, &id)?),
        None => None,
    };
    let as_of = rfc3339(s.job.as_of);
    let warnings = match (&previous, &s.previous) {
        (Some(prev), Some(path)) => check_previous(prev, path, &artifact.model_id, &s.job, &as_of)?,
        _ => String::new(),
    };
    create_parent(&s.out)?;
    // Without --previous every MQL is new to the webhook.
    let nothing_before = HashMap::new();
    let against = previous
        .as_ref()
        .map(|p| &p.decisions)
        .or(s.notify.as_ref().map(|_| &nothing_before));
    // One run at a time reads and rewrites the dead letters (held to the end of the run).
    let _dead_letters = match &s.notify {
        Some(hook) => Some(hook.lock_dead_letters()?),
        None => None,
    };
    let mut queued: Option<Vec<Notification>> = None;
    // Leads this run scored and did not make MQLs, or skipped as converted (for the earlier
    // runs' notifications).
    let mut not_mql: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut dropped = 0usize;
    let mut changed: Vec<Crossing> = Vec::new();
    // Scored leads that the previous run scored too, and those of them it made MQLs.
    let mut matched = 0usize;
    let mut matched_mqls = 0usize;
    let mut summary = ScoreSummary::default();
    let mut failure: Option<anyhow::Error> = None;
    let bar = std::io::stderr().is_terminal();
    let written = write_atomic_with(&s.out, |file| {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        let schema = frame(&id, &as_of, &artifact.model_id, &[])
            .map_err(std::io::Error::other)?
            .schema()
            .as_ref()
            .clone();
        let mut writer =
            FrameWriter::new(s.format, &mut buffered, &schema).map_err(std::io::Error::other)?;
        let result = score_file(
            &artifact,
            &s.job,
            |chunk| {
                if s.notify.is_some() {
                    not_mql.extend(
                        chunk
                            .iter()
                            .filter(|l| !l.mql)
                            .map(|l| leadscore_train::assemble::id_key(&l.id).to_string()),
                    );
                }
                if let Some(prev) = against {
                    changed.extend(crossings(prev, chunk));
                    for l in chunk {
                        if let Some(before) = prev.get(leadscore_train::assemble::id_key(&l.id)) {
                            matched += 1;
                            matched_mqls += usize::from(before.mql);
                        }
                    }
                }
                let mut df = frame(&id, &as_of, &artifact.model_id, chunk)?;
                writer.write(&mut df).map_err(|e| {
                    leadscore_train::error::TrainError::Config(format!(
                        "writing {}: {e}",
                        s.out.display()
                    ))
                })
            },
            |done, total| {
                if bar {
                    leadscore_core::stderr_text!(
                        "\rscoring: {done} of {total} leads ({:.0}%)",
                        100.0 * done as f64 / total.max(1) as f64
                    );
                    if done == total {
                        leadscore_core::stderr_line!();
                    }
                }
            },
        );
        match result {
            Ok(sm) => {
                // A lead that has converted since an earlier run queued it is no new MQL.
                if s.notify.is_some() {
                    not_mql.extend(
                        sm.converted_ids
                            .iter()
                            .map(|id| leadscore_train::assemble::id_key(id).to_string()),
                    );
                }
                summary = sm;
            }
            Err(e) => {
                failure = Some(e.into());
                return Err(std::io::Error::other("scoring failed"));
            }
        }
        writer.finish().map_err(std::io::Error::other)?;
        drop(writer);
        // polars' CSV writer does not flush: an error in the last buffer must fail the write.
        buffered.flush()?;
        // The notifications are on disk (pending) before the scores that imply them are: a run
        // stopped from here on loses none.
        if let Some(hook) = &s.notify {
            let fresh: Vec<Notification> = changed
                .iter()
                .filter(|c| c.change == Change::BecameMql)
                .map(|c| new_mql(&artifact.model_id, &as_of, c))
                .collect();
            let pending = queue(hook, fresh, |lead| {
                not_mql.contains(leadscore_train::assemble::id_key(lead))
            })
            .and_then(|all| {
                save_pending(hook, &all.0)?;
                Ok(all)
            });
            match pending {
                Ok((q, d)) => {
                    queued = Some(q);
                    dropped = d;
                }
                Err(e) => {
                    failure = Some(e.into());
                    return Err(std::io::Error::other("queueing the notifications failed"));
                }
            }
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e.context(format!("nothing was written to {}", s.out.display())));
    }
    written?;
    let mut text = summary_text(&artifact.model_id, &as_of, &s, &summary);
    text += &warnings;
    text += &format!("wrote {}\n", s.out.display());
    if let (Some(prev), Some(path)) = (previous.as_ref().map(|p| &p.decisions), &s.previous) {
        let out = crossings_path(&s.out);
        let mut df = crossings_frame(&id, &as_of, &changed)?;
        write_atomic_with(&out, |file| {
            let mut buffered = std::io::BufWriter::new(file);
            let mut w = FrameWriter::new(s.format, &mut buffered, df.schema())
                .map_err(std::io::Error::other)?;
            w.write(&mut df).map_err(std::io::Error::other)?;
            w.finish().map_err(std::io::Error::other)?;
            drop(w);
            buffered.flush()
        })?;
        let count = |c: Change| changed.iter().filter(|x| x.change == c).count();
        if matched == 0 && !prev.is_empty() && summary.scored > 0 {
            text += &format!(
                "WARNING: none of the {} leads scored is in {} (its {} leads have other `{id}` \
                 values: another file, or ids written another way?), so every MQL counts as new\n",
                summary.scored,
                path.display(),
                prev.len()
            );
        }
        // Most of the earlier run's leads missing (a leads export cut short): their MQLs are
        // in no crossing tonight and read as new, and are notified again, when they come back.
        if matched > 0 && matched * 2 < prev.len() {
            text += &format!(
                "WARNING: only {matched} of the {} leads of {} are in this run: a leads file cut \
                 short, or another segment? The earlier MQLs missing from it are in no crossing \
                 tonight, and the next run against this one will take them as new MQLs (and \
                 notify them again)\n",
                prev.len(),
                path.display()
            );
        }
        text += &format!(
            "against {} ({} leads): {} became MQL, {} stopped being MQL, {} changed tier\n",
            path.display(),
            prev.len(),
            count(Change::BecameMql),
            count(Change::LeftMql),
            count(Change::TierChanged),
        );
        // An earlier MQL this run did not score is in no crossing: say where it went.
        let earlier_mqls = prev.values().filter(|d| d.mql).count();
        let gone = earlier_mqls.saturating_sub(matched_mqls);
        if gone > 0 {
            let converted = summary
                .converted_ids
                .iter()
                .filter(|l| prev.get(*l).is_some_and(|d| d.mql))
                .count();
            text += &format!(
                "{gone} of its {earlier_mqls} MQLs not scored in this run: {converted} converted \
                 since (skipped), {} not in {} or not scored as of {as_of}\n",
                gone - converted.min(gone),
                s.job.leads.display()
            );
        }
        text += &format!("wrote {}\n", out.display());
    }
    emit(text)?;
    if let (Some(hook), Some(queue)) = (&s.notify, queued) {
        let total = queue.len();
        let r = deliver(hook, queue)?;
        let mut line = format!(
            "notified {}: {} of {total} delivered ({} from earlier runs) in {} attempts\n",
            hook.url, r.delivered, r.redelivered, r.attempts
        );
        if dropped > 0 {
            line += &format!(
                "dropped {dropped} notification(s) of earlier runs: those leads are no longer \
                 MQLs as of {as_of} (below the cutoff, or converted)\n"
            );
        }
        emit(line)?;
        if r.dead > 0 {
            let why = match (&r.halted, &r.last_error) {
                (Some(h), _) => format!("delivery stopped: {h}"),
                (None, Some(e)) => format!("last error: {e}"),
                (None, None) => "not attempted".into(),
            };
            bail!(
                "{} of {total} notifications to {} were not delivered ({} refused by the \
                 receiver; {why}); they are in {}, and the next run with --notify and this \
                 dead-letter file delivers them first (the scores were written)",
                r.dead,
                hook.url,
                r.refused,
                hook.dead_letter.display()
            );
        }
    }
    std::io::stdout().flush()?;
    Ok(())
}

/// The run in a few lines: leads, MQLs and the cutoff, tiers, what was left out.
fn summary_text(model_id: &str, as_of: &str, s: &Score, m: &ScoreSummary) -> String {
    let pct = |k: usize| {
        if m.scored == 0 {
            0.0
        } else {
            100.0 * k as f64 / m.scored as f64
        }
    };
    let mut out = format!(
        "model {model_id}: {} leads scored as of {as_of}: {} MQLs ({:.1}%) at cutoff {:.4} \
         (target precision {} at {} confidence)\n",
        m.scored,
        m.mqls,
        pct(m.mqls),
        m.threshold,
        s.job.target_precision,
        s.job.confidence
    );
    if !m.per_tier.is_empty() {
        let tiers: Vec<String> = m
            .per_tier
            .iter()
            .map(|(name, k)| format!("{name} {k}"))
            .collect();
        out += &format!("tiers: {}\n", tiers.join(", "));
    }
    if let Some(note) = &m.read_note {
        out += &format!("WARNING: {note}\n");
    }
    if m.unread_as_of {
        out += &format!(
            "WARNING: the leads file's `as_of` column is not read: every lead was scored as of \
             {as_of} (--as-of); score each moment's leads in a run of their own\n"
        );
    }
    if m.not_yet_created > 0 {
        out += &format!(
            "skipped {} leads created after {as_of}\n",
            m.not_yet_created
        );
    }
    if m.already_converted > 0 {
        out += &format!(
            "skipped {} leads that had converted by {as_of}\n",
            m.already_converted
        );
    }
    if m.converted_untimed > 0 {
        out += &format!(
            "skipped {} leads the outcomes list as converted without a time\n",
            m.converted_untimed
        );
    }
    if m.events_rows == Some(0) {
        if let Some(events) = &s.job.events {
            out += &format!(
                "events: none in {} (no rows): every lead scored without events\n",
                events.display()
            );
        }
    }
    if let (Some(rows), Some(events)) = (m.events_rows, &s.job.events) {
        if rows > 0 && m.unknown_events == rows {
            out += &format!(
                "WARNING: none of the {rows} events in {} belongs to a lead of {} (lead ids \
                 written another way, or another export?), so every lead was scored without \
                 events\n",
                events.display(),
                s.job.leads.display()
            );
        }
    }
    if m.later_events > 0 || m.unknown_events > 0 {
        out += &format!(
            "events: {} after {as_of} left out, {} of leads not in {}\n",
            m.later_events,
            m.unknown_events,
            s.job.leads.display()
        );
    }
    if !m.unknown_types.is_empty() {
        let total: u64 = m.unknown_types.iter().map(|(_, n)| n).sum();
        let shown: Vec<String> = m
            .unknown_types
            .iter()
            .take(5)
            .map(|(t, n)| format!("{:?} ({n})", leadscore_core::value::shorten(t)))
            .collect();
        let more = m.unknown_types.len().saturating_sub(5);
        out += &format!(
            "events: {total} of {} type(s) this model does not know (not in training, or past the \
             {} most frequent it keeps), counted only as active days \
             (as the server counts them; `unseen` names them events.event_type): {}{}\n",
            m.unknown_types.len(),
            leadscore_train::assemble::MAX_OTHER_TYPES,
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if m.with_unseen > 0 {
        out += &format!(
            "{} leads have a value training did not see (scored as missing, `other` or the \
             nearest training value; see the `unseen` column)\n",
            m.with_unseen
        );
    }
    out
}
