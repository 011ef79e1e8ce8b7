//! Column names and category levels come from a CSV's header and cells, so they are untrusted.
//! A model trained on a file whose names hold markup must show them as text, escaped, in the
//! report (`leadscore-train report`) and on the server's model page, charts included: both
//! documents parse as XML, no tag from the data appears, and the names read back as text.

use leadscore_report::{report_html, ReportOptions};
use leadscore_serve::{App, Config};
use leadscore_train::pipeline::{train, TrainConfig};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::fmt::Write;
use std::path::Path;

/// A categorical column named like a script element.
const SCRIPT_COLUMN: &str = "<script>alert(1)</script>";
/// One of its levels, an image element with a handler.
const IMG_LEVEL: &str = "<img src=x onerror=alert(1)>";
/// A numeric column with every character that needs escaping in its name (a quoted field in
/// the CSV).
const NUMERIC_COLUMN: &str = "visits \"&<> count";

/// 1,200 leads: the level and the visit count both raise the conversion rate, so each gets a
/// weight (and a place on the weights chart).
fn write_leads(path: &Path) {
    let mut csv = format!(
        "lead_id,{SCRIPT_COLUMN},\"{}\",converted\n",
        NUMERIC_COLUMN.replace('"', "\"\"")
    );
    let mut state: u64 = 7;
    for i in 0..1200_u64 {
        let (level, rate) = match i % 3 {
            0 => (IMG_LEVEL, 55),
            1 => ("plain", 25),
            _ => ("rare", 10),
        };
        let visits = (i * 7) % 23;
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let converted = u8::from((state >> 33) % 100 < rate + 2 * visits);
        writeln!(csv, "{i},{level},{visits},{converted}").unwrap();
    }
    std::fs::write(path, csv).unwrap();
}

/// What an XML reader sees in a document.
#[derive(Default)]
struct Read {
    /// Every element name.
    elements: Vec<String>,
    /// All text, entities resolved.
    text: String,
    /// The text inside `<svg>` elements.
    svg_text: String,
}

/// Reads `html` as XML, failing on anything not well-formed.
fn read(what: &str, html: &str) -> Read {
    let mut reader = Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut out = Read::default();
    let mut open: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "{what} is not well-formed at byte {}: {e}",
                reader.buffer_position()
            )
        });
        let text = match event {
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                out.elements.push(name.clone());
                open.push(name);
                continue;
            }
            Event::Empty(e) => {
                out.elements
                    .push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                continue;
            }
            Event::End(_) => {
                open.pop().expect("an end tag without a start");
                continue;
            }
            Event::Text(t) => t.decode().unwrap().into_owned(),
            Event::GeneralRef(r) => {
                let entity = format!("&{};", r.decode().unwrap());
                quick_xml::escape::unescape(&entity).unwrap().into_owned()
            }
            Event::Eof => break,
            _ => continue,
        };
        out.text.push_str(&text);
        if open.iter().any(|e| e == "svg") {
            out.svg_text.push_str(&text);
        }
    }
    assert!(open.is_empty(), "{what}: unclosed elements {open:?}");
    out
}

/// `text` as it must appear in the source: `&`, `<`, `>` and `"` escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Checks a document that shows the names `names` (the first on a chart) and has `scripts`
/// script elements of its own.
fn check(what: &str, html: &str, names: &[&str], scripts: usize) {
    let doc = read(what, html);
    // No tag from the data, anywhere (the SVG included).
    for tag in ["<script>alert", "<img src=x", "<img"] {
        assert!(!html.contains(tag), "{what} holds {tag}");
    }
    assert!(!doc.elements.iter().any(|e| e == "img"), "{what}: an img");
    let n = doc.elements.iter().filter(|e| *e == "script").count();
    assert_eq!(n, scripts, "{what}: script elements");
    // The names, escaped in the source, read back as text: in the tables and on the charts.
    for name in names {
        assert!(
            html.contains(&escaped(name)),
            "{what} lacks {}",
            escaped(name)
        );
        assert!(doc.text.contains(name), "{what}: no text {name}");
    }
    // The importance chart names the column; the shape chart's bars name its levels
    // (shortened to 16 characters, cut in the middle: the first 8 kept).
    for drawn in [SCRIPT_COLUMN, "<img src"] {
        assert!(
            doc.svg_text.contains(drawn),
            "{what}: no {drawn} on a chart"
        );
    }
}

#[test]
fn names_from_the_csv_are_text_in_the_report_and_on_the_model_page() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    write_leads(&leads);
    let mut config = TrainConfig::new(&leads);
    config.label = Some("converted".into());
    config.id = Some("lead_id".into());
    let artifact = train(&config).unwrap().artifact;
    let level = format!("{SCRIPT_COLUMN} = {IMG_LEVEL}");
    let features: Vec<&str> = artifact
        .model
        .features
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(features.contains(&level.as_str()), "{features:?}");
    // polars reads the doubled quote of a quoted header as two quotes (`visits ""&<> count`):
    // take the name the model has, as long as it holds all of `"&<>`.
    let numeric = artifact
        .model
        .features
        .iter()
        .map(|f| f.column.as_str())
        .find(|c| c.starts_with("visits "))
        .unwrap_or_else(|| panic!("no visits column: {features:?}"))
        .to_string();
    assert!(numeric.contains("\"&<>"), "{numeric}");
    let names = [level.as_str(), SCRIPT_COLUMN, numeric.as_str()];
    let model = dir.path().join("model.json");
    artifact.write_atomic(&model).unwrap();

    let report = report_html(&artifact, None, &ReportOptions::default()).unwrap();
    check("the report", &report, &names, 0);

    let app = App::new(Config::new(&model, 0.5)).unwrap();
    let page = leadscore_serve::ui::render(&app.current()).unwrap();
    check("the model page", &page, &names, 1);
}
