//! A coded survey export, as in the field report that started the unseen-values work: answers
//! coded 0-9, some questions answered only 0 or 1 in the training file and 3 in a later one,
//! a region (categorical) that gains a new level, and a yes/no consent that later holds `3`.
//! Shared by the `leadscore-train` tests and the server's (`crates/serve/tests/unseen.rs`).
#![allow(dead_code)]

use std::fmt::Write;

/// Coded questions answered 0-9.
pub const CODED: [&str; 6] = ["q01", "q02", "q03", "q04", "q05", "q06"];
/// Questions answered only 0 or 1 in training (3 appears in a fresh file).
pub const ZERO_ONE: [&str; 3] = ["q07", "q08", "q09"];
/// The value that training never saw in [`ZERO_ONE`] (and in `consent`).
pub const LATER: u8 = 3;
/// Regions in training; a fresh file adds [`NEW_REGION`].
pub const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
/// A region training never saw.
pub const NEW_REGION: &str = "atlantis";

/// Small deterministic pseudo-random numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One row of the survey, by column.
pub struct Row {
    pub id: String,
    pub coded: Vec<u8>,
    pub zero_one: Vec<u8>,
    pub region: &'static str,
    pub consent: String,
    pub converted: bool,
}

/// `rows` leads drawn with `seed`. `fresh`: a later export, where about one answer in eight of
/// the [`ZERO_ONE`] questions is [`LATER`], one region in ten is [`NEW_REGION`] and one
/// consent in twelve is `3`.
pub fn rows(n: usize, seed: u64, fresh: bool) -> Vec<Row> {
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| {
            let coded: Vec<u8> = CODED.iter().map(|_| (rng.next() * 10.0) as u8).collect();
            let zero_one: Vec<u8> = ZERO_ONE
                .iter()
                .map(|_| {
                    let u = rng.next();
                    if fresh && u < 0.125 {
                        LATER
                    } else {
                        u8::from(u > 0.55)
                    }
                })
                .collect();
            let region = if fresh && rng.next() < 0.1 {
                NEW_REGION
            } else {
                REGIONS[(rng.next() * 4.0) as usize % 4]
            };
            let consent = if fresh && rng.next() < 1.0 / 12.0 {
                LATER.to_string()
            } else if rng.next() < 0.6 {
                "yes".to_string()
            } else {
                "no".to_string()
            };
            let logit = -0.6 + 0.25 * (f64::from(coded[0]) - 4.5)
                - 0.15 * (f64::from(coded[1]) - 4.5)
                + 0.9 * f64::from(zero_one[0].min(1))
                - 0.7 * f64::from(zero_one[1].min(1))
                + if region == "north" { 0.6 } else { 0.0 }
                + if consent == "yes" { 0.5 } else { 0.0 };
            let converted = rng.next() < 1.0 / (1.0 + (-logit).exp());
            Row {
                id: format!("S{:05}", i + if fresh { 50_000 } else { 0 }),
                coded,
                zero_one,
                region,
                consent,
                converted,
            }
        })
        .collect()
}

/// The header of [`csv`].
pub fn header() -> String {
    let mut h = vec!["lead_id".to_string()];
    h.extend(CODED.iter().chain(&ZERO_ONE).map(|c| c.to_string()));
    h.extend(["region", "consent", "converted"].map(String::from));
    h.join(",")
}

/// The rows as a CSV file.
pub fn csv(rows: &[Row]) -> String {
    let mut out = header();
    out.push('\n');
    for r in rows {
        let mut cells = vec![r.id.clone()];
        cells.extend(r.coded.iter().chain(&r.zero_one).map(u8::to_string));
        cells.push(r.region.to_string());
        cells.push(r.consent.clone());
        cells.push(u8::from(r.converted).to_string());
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

/// The training export: 900 leads, [`ZERO_ONE`] answered only 0 or 1.
pub fn training() -> Vec<Row> {
    rows(900, 2024, false)
}

/// A later export of 400 leads with values training never saw.
pub fn fresh() -> Vec<Row> {
    rows(400, 77, true)
}

/// A spec as `init` wrote it before numbers stayed numeric: the [`ZERO_ONE`] questions are
/// `boolean` (what a model trained before then has in its artifact).
pub fn old_spec() -> String {
    let mut s = String::from(
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\n\
         [[columns]]\nname = \"lead_id\"\ntransform = \"ignore\"\n\n\
         [[columns]]\nname = \"converted\"\ntransform = \"ignore\"\n",
    );
    for c in CODED {
        let _ = write!(
            s,
            "\n[[columns]]\nname = \"{c}\"\ntransform = \"numeric\"\nbins = 0\n"
        );
    }
    for c in ZERO_ONE {
        let _ = write!(
            s,
            "\n# only 0 and 1: boolean\n[[columns]]\nname = \"{c}\"\ntransform = \"boolean\"\n"
        );
    }
    s.push_str(
        "\n[[columns]]\nname = \"region\"\ntransform = \"categorical\"\nmin_count = 10\n\n\
         [[columns]]\nname = \"consent\"\ntransform = \"boolean\"\n",
    );
    s
}
