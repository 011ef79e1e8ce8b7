//! The exports as CSV: the flat leads file, and the three tables streamed one lead at a time.

use super::events::EVENT_TYPE_NAMES;
use super::export::{export_stream, ExportCounts};
use super::{DemoConfig, DemoLead};
use leadscore_core::civil;
use std::io::Write;

/// `ts` (seconds since the epoch, UTC) as `YYYY-MM-DD HH:MM:SS`.
pub(super) fn format_timestamp(ts: i64) -> String {
    let mut out = String::with_capacity(19);
    push_timestamp(&mut out, ts);
    out
}

/// Appends `ts` (seconds since the epoch, UTC) as `YYYY-MM-DD HH:MM:SS`.
fn push_timestamp(out: &mut String, ts: i64) {
    use std::fmt::Write as _;
    let ((y, m, d), (hh, mm, ss)) = civil::civil_from_unix(ts);
    // Writing into a String cannot fail.
    let _ = write!(out, "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}");
}

/// Whether `line` (without its line end) is the header of a file `demo-data` writes: the flat
/// export, one of the three tables, or the survey. Such a file is the only one it replaces.
pub fn is_demo_header(line: &str) -> bool {
    line == HEADER.join(",")
        || line == HEADER[..EXPORT_LEAD_COLUMNS].join(",")
        || line == "lead_id,event_type,occurred_at"
        || line == "lead_id,converted_at"
        || line.starts_with("respondent_id,q") && line.ends_with(",converted")
}

/// Column names of the export, in order.
const HEADER: &[&str] = &[
    "lead_id",
    "created_at",
    "email",
    "job_title",
    "company_size",
    "industry",
    "country",
    "lead_source",
    "pricing_page_visits",
    "webinar_attended",
    "converted",
];

/// Appends `field` to `line`, quoted per RFC 4180 if it contains a comma, quote, CR or LF.
fn push_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

/// Writes the leads as CSV with a header, comma separated, RFC 4180 quoting where needed (a
/// field containing comma, quote or newline), LF line endings, empty cell for None. Columns in
/// this order: lead_id,created_at,email,job_title,company_size,industry,country,lead_source,
/// pricing_page_visits,webinar_attended,converted (webinar_attended as yes/no, converted as
/// 1/0).
pub fn write_csv<W: Write>(leads: &[DemoLead], out: W) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let mut line = HEADER.join(",");
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for lead in leads {
        line.clear();
        push_lead_row(&mut line, lead, HEADER.len());
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends the first `columns` cells of `lead`'s row of the flat export (in [`HEADER`] order)
/// and a line feed.
fn push_lead_row(line: &mut String, lead: &DemoLead, columns: usize) {
    let size = lead.company_size.map(|s| s.to_string()).unwrap_or_default();
    let visits = lead.pricing_page_visits.to_string();
    let fields: [&str; 11] = [
        &lead.lead_id,
        &lead.created_at,
        &lead.email,
        &lead.job_title,
        &size,
        lead.industry.as_deref().unwrap_or(""),
        &lead.country,
        &lead.lead_source,
        &visits,
        if lead.webinar_attended { "yes" } else { "no" },
        if lead.converted { "1" } else { "0" },
    ];
    for (j, field) in fields.iter().take(columns).enumerate() {
        if j > 0 {
            line.push(',');
        }
        push_field(line, field);
    }
    line.push('\n');
}

/// Columns of the export's leads table: the flat export's first eight.
const EXPORT_LEAD_COLUMNS: usize = 8;

/// Streams the three tables of [`generate_export`](super::generate_export) as CSV (comma separated, RFC 4180 quoting,
/// LF line endings, timestamps `YYYY-MM-DD HH:MM:SS` UTC), one lead at a time, so memory stays
/// flat whatever `config.leads` is:
///
/// - leads: `lead_id,created_at,email,job_title,company_size,industry,country,lead_source`;
/// - events: `lead_id,event_type,occurred_at`, grouped by lead, chronological within a lead;
/// - outcomes: `lead_id,converted_at`, only the converted leads (a closed-deals export).
pub fn write_export<W1: Write, W2: Write, W3: Write>(
    config: &DemoConfig,
    leads_csv: W1,
    events_csv: W2,
    outcomes_csv: W3,
) -> std::io::Result<ExportCounts> {
    let capacity = 1 << 16;
    let mut leads_out = std::io::BufWriter::with_capacity(capacity, leads_csv);
    let mut events_out = std::io::BufWriter::with_capacity(capacity, events_csv);
    let mut outcomes_out = std::io::BufWriter::with_capacity(capacity, outcomes_csv);
    let mut line = HEADER[..EXPORT_LEAD_COLUMNS].join(",");
    line.push('\n');
    leads_out.write_all(line.as_bytes())?;
    events_out.write_all(b"lead_id,event_type,occurred_at\n")?;
    outcomes_out.write_all(b"lead_id,converted_at\n")?;
    let mut counts = ExportCounts {
        leads: 0,
        events: 0,
        converted: 0,
    };
    for (draw, engagement) in export_stream(config) {
        let lead = &draw.lead;
        line.clear();
        push_lead_row(&mut line, lead, EXPORT_LEAD_COLUMNS);
        leads_out.write_all(line.as_bytes())?;
        line.clear();
        for &(k, t) in &engagement.events {
            push_field(&mut line, &lead.lead_id);
            line.push(',');
            line.push_str(EVENT_TYPE_NAMES[k]);
            line.push(',');
            push_timestamp(&mut line, t);
            line.push('\n');
        }
        events_out.write_all(line.as_bytes())?;
        if let Some(c) = engagement.converted_at {
            line.clear();
            push_field(&mut line, &lead.lead_id);
            line.push(',');
            push_timestamp(&mut line, c);
            line.push('\n');
            outcomes_out.write_all(line.as_bytes())?;
            counts.converted += 1;
        }
        counts.leads += 1;
        counts.events += engagement.events.len();
    }
    leads_out.flush()?;
    events_out.flush()?;
    outcomes_out.flush()?;
    Ok(counts)
}

/// [`write_export`] into three files. Each is written beside its path under a temporary name and
/// renamed into place only when all three are complete, so a failed run leaves no partial file.
pub fn write_export_files(
    config: &DemoConfig,
    leads: &std::path::Path,
    events: &std::path::Path,
    outcomes: &std::path::Path,
) -> std::io::Result<ExportCounts> {
    let paths = [leads, events, outcomes];
    let temps: Vec<std::path::PathBuf> = paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            p.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
        })
        .collect();
    let result = (|| {
        let [l, e, o] = [&temps[0], &temps[1], &temps[2]].map(std::fs::File::create);
        let (l, e, o) = (l?, e?, o?);
        let counts = write_export(config, &l, &e, &o)?;
        for f in [l, e, o] {
            f.sync_all()?;
        }
        for (tmp, path) in temps.iter().zip(paths) {
            std::fs::rename(tmp, path)?;
        }
        Ok(counts)
    })();
    if result.is_err() {
        for tmp in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}
