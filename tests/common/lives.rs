//! Holdout lives of the three-table demo and a minimal HTTP/1.1 client for the real server:
//! what the replay tests (`age_promise`, `explain_gates`) share.

use super::repo;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Reading lives: each holdout lead's fields, its events in time order and its conversion

/// One holdout lead, everything the replay needs to ask for its score at any moment.
pub struct Life {
    pub id: String,
    pub created: i64,
    /// The lead's JSON object (every leads.csv column, empty cells omitted) without its closing
    /// brace, followed by `"events":[`.
    pub head: String,
    /// Events sorted by time, each already as its JSON object.
    pub events: Vec<(i64, String)>,
    pub converted_at: Option<i64>,
    /// Its leads.csv row (column -> cell, empty cells included).
    pub fields: HashMap<String, String>,
    /// Its events as (type, time), sorted by time.
    pub event_list: Vec<(String, i64)>,
}

impl Life {
    /// The request body on the lead's score at `as_of`: its fields and the events known by then.
    pub fn body(&self, as_of: i64) -> String {
        let known = self.events.partition_point(|(t, _)| *t <= as_of);
        let mut body = self.head.clone();
        for (i, (_, event)) in self.events[..known].iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(event);
        }
        body.push_str("]}");
        body
    }
}

pub struct Lives {
    pub lives: Vec<Life>,
    /// The latest timestamp in any of the three tables.
    pub end: i64,
}

pub fn timestamp(text: &str, what: &str) -> i64 {
    leadscore_core::value::parse_timestamp(text).unwrap_or_else(|| panic!("{what}: {text:?}"))
}

pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .expect("a representable time")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The distinct lead ids of a holdout file (its `lead_id` column), in first-seen order.
pub fn holdout_ids(path: &Path) -> Vec<String> {
    let mut seen = HashSet::new();
    super::csv_rows(path)
        .into_iter()
        .map(|row| row.get("lead_id").expect("a lead_id column").clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// The lives of the holdout leads `ids`, from the demo's three tables.
pub fn read_lives(ids: &[String]) -> Lives {
    let leads = super::csv_rows(&repo("data/demo/leads.csv"));
    let events = super::events_by_lead(&repo("data/demo/events.csv"));
    let outcomes = super::csv_rows(&repo("data/demo/outcomes.csv"));

    let mut end = i64::MIN;
    let mut by_id: HashMap<&str, &HashMap<String, String>> = HashMap::new();
    for row in &leads {
        end = end.max(timestamp(&row["created_at"], "leads.csv created_at"));
        by_id.insert(row["lead_id"].as_str(), row);
    }
    end = end.max(
        events
            .values()
            .flatten()
            .map(|e| e.1)
            .max()
            .unwrap_or(i64::MIN),
    );
    let mut converted_at: HashMap<&str, i64> = HashMap::new();
    for row in &outcomes {
        // A closed-deals export; a `converted` column, when there is one, may say no.
        if row
            .get("converted")
            .is_some_and(|c| !["1", "true", "yes", "y"].contains(&c.trim().to_lowercase().as_str()))
        {
            continue;
        }
        let at = row.get("converted_at").map(String::as_str).unwrap_or("");
        assert!(
            !at.trim().is_empty(),
            "outcomes.csv: lead {} converted without a converted_at: the replay needs the time",
            row["lead_id"]
        );
        let at = timestamp(at, "outcomes.csv converted_at");
        end = end.max(at);
        let first = converted_at.entry(row["lead_id"].as_str()).or_insert(at);
        *first = (*first).min(at);
    }

    let lives = ids
        .iter()
        .map(|id| {
            let row = by_id
                .get(id.as_str())
                .unwrap_or_else(|| panic!("holdout lead {id} is not in data/demo/leads.csv"));
            let fields: Map<String, Value> = row
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let mut head = serde_json::to_string(&fields).unwrap();
            head.pop(); // the closing brace
            if !fields.is_empty() {
                head.push(',');
            }
            head.push_str("\"events\":[");
            let mut lead_events: Vec<(i64, String)> = events
                .get(id)
                .into_iter()
                .flatten()
                .map(|(kind, t)| {
                    let json = serde_json::json!({"event_type": kind, "occurred_at": rfc3339(*t)});
                    (*t, json.to_string())
                })
                .collect();
            lead_events.sort_by_key(|e| e.0);
            let mut event_list: Vec<(String, i64)> = events.get(id).cloned().unwrap_or_default();
            event_list.sort_by_key(|e| e.1);
            Life {
                id: id.clone(),
                created: timestamp(&row["created_at"], "leads.csv created_at"),
                head,
                events: lead_events,
                converted_at: converted_at.get(id.as_str()).copied(),
                fields: (*row).clone(),
                event_list,
            }
        })
        .collect();
    Lives { lives, end }
}

// ---------------------------------------------------------------------------------------------
// Choosing eligible days, and the label

/// Whether the lead is scored at `as_of`: not converted yet, and its outcome over the horizon
/// known by the end of the data (otherwise censored).
pub fn eligible(life: &Life, as_of: i64, horizon: i64, end: i64) -> bool {
    life.converted_at.is_none_or(|c| c > as_of) && as_of + horizon <= end
}

/// Converted within the horizon after `as_of`.
pub fn converts_within(life: &Life, as_of: i64, horizon: i64) -> bool {
    life.converted_at
        .is_some_and(|c| c > as_of && c <= as_of + horizon)
}

// ---------------------------------------------------------------------------------------------
// The server (the tests' one, `crates/serve/tests/common/server.rs`) and a keep-alive client

pub use super::server::Server;

/// The server on `model` with a target precision, on a free loopback port.
pub fn serve(bin: &Path, model: &Path, target: f64) -> Server {
    serve_with(bin, model, target, &[])
}

/// [`serve`] with extra command-line arguments.
pub fn serve_with(bin: &Path, model: &Path, target: f64, extra: &[&str]) -> Server {
    let mut args: Vec<&OsStr> = vec!["--model".as_ref(), model.as_os_str()];
    let target = target.to_string();
    args.extend(["--target-precision", &target].map(OsStr::new));
    args.extend(extra.iter().map(OsStr::new));
    args.extend(["--request-timeout-ms", "60000"].map(OsStr::new));
    Server::start(bin, args)
}

/// The replay's client: the tests' one HTTP client ([`crate::common::http::Http`]), kept-alive.
pub struct Client {
    pub addr: SocketAddr,
    http: super::http::Http,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            http: super::http::Http::new(addr, Duration::from_secs(120)),
        }
    }

    /// POSTs `body` (JSON) to `path`; returns the status and the body.
    pub fn post(&mut self, path: &str, body: &str) -> (u16, String) {
        self.http.post(path, body)
    }

    pub fn get(&mut self, path: &str) -> (u16, String) {
        self.http.request("GET", path, None, &[])
    }
}
