//! The model page in a real browser: the `leadscore-serve` binary on the committed demo model
//! and on a model trained on the X Education export, loaded in headless Chromium driven by
//! chromedriver over WebDriver's HTTP+JSON protocol. The test moves the target-precision
//! slider with the keyboard, waits for the page to show the server's answer, and asserts that
//! the shown cutoff is exactly `GET /v1/cutoff`'s for the slider's target. It saves screenshots
//! of the page and of the X Education report under the test's output folder, and with
//! `UPDATE_SCREENSHOTS=1` also as `docs/img/model-page.png` and `docs/img/report.png`.
//!
//! Needs `LEADSCORE_CHROMIUM` and `LEADSCORE_CHROMEDRIVER` (Debian's `chromium` and
//! `chromium-driver`); `bash tests/run.sh` installs them and sets both.

mod common;

use leadscore_train::pipeline::{train, TrainConfig};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// WebDriver's key for the right arrow (the W3C spec's code point for `ArrowRight`).
const ARROW_RIGHT: char = '\u{E014}';
/// WebDriver's name for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A tool the test needs, from its environment variable.
fn tool(var: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "{var} is not set: this test drives headless Chromium. Run the test suite with \
             `bash tests/run.sh`, which installs Debian's chromium and chromium-driver and sets \
             LEADSCORE_CHROMIUM and LEADSCORE_CHROMEDRIVER"
        )
    });
    assert!(
        path.is_file(),
        "{var}={} does not exist; `bash tests/run.sh` installs it",
        path.display()
    );
    path
}

/// A child process killed when the test ends, pass or fail.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free loopback port; returns it and its address.
fn start_server(bin: &Path, model: &Path) -> (Process, SocketAddr) {
    let mut child = Command::new(bin)
        .arg("--model")
        .arg(model)
        .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leadscore-serve");
    let addr = common::listen_address(&mut child);
    (Process(child), addr)
}

/// One request with a JSON body (or none), by the tests' HTTP client; returns the status and
/// the JSON answer.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(Value::to_string);
    let (status, text) = common::http::Http::new(addr, Duration::from_secs(120)).request(
        method,
        path,
        body.as_deref(),
        &[],
    );
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
    (status, value)
}

/// Decodes standard base64 (the screenshots WebDriver returns).
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c) << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Polls `probe` until it gives a value or `limit` passes.
fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A chromedriver with one headless Chromium session.
struct Browser {
    driver: SocketAddr,
    session: String,
    _process: Process,
}

impl Browser {
    fn start(out: &Path) -> Self {
        let chromium = tool("LEADSCORE_CHROMIUM");
        let chromedriver = tool("LEADSCORE_CHROMEDRIVER");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let log = out.join("chromedriver.log");
        let process = Process(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display())),
        );
        let driver: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for("chromedriver to listen", Duration::from_secs(30), || {
            TcpStream::connect(driver).ok()?;
            let (status, body) = http(driver, "GET", "/status", None);
            (status == 200 && body["value"]["ready"] == json!(true)).then_some(())
        });
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", "--force-device-scale-factor=1",
                         "--window-size=1280,2300"]
            }
        }}});
        let (status, body) = http(driver, "POST", "/session", Some(&capabilities));
        assert_eq!(
            status,
            200,
            "chromedriver refused a session (log: {}): {body}",
            log.display()
        );
        let session = body["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Browser {
            driver,
            session,
            _process: process,
        }
    }

    /// A WebDriver command on the session; panics unless it succeeds, returns `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("/session/{}{path}", self.session);
        let (status, answer) = http(self.driver, method, &url, body.as_ref());
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.call("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.element(css);
        self.call("GET", &format!("/element/{id}/attribute/{name}"), None)
            .as_str()
            .map(str::to_string)
    }

    /// A PNG of the viewport, saved in `out` and, with `UPDATE_SCREENSHOTS=1`, in docs/img.
    fn screenshot(&self, out: &Path, name: &str) {
        let encoded = self.call("GET", "/screenshot", None);
        let png = base64(encoded.as_str().expect("base64 text"));
        assert_eq!(&png[1..4], b"PNG", "a PNG");
        let path = out.join(name);
        std::fs::write(&path, &png).unwrap();
        eprintln!("screenshot: {}", path.display());
        if std::env::var("UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            let docs = common::repo("docs/img");
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(docs.join(name), &png).unwrap();
            eprintln!("updated docs/img/{name}");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("/session/{}", self.session);
        let _ = std::panic::catch_unwind(|| http(self.driver, "DELETE", &url, None));
    }
}

/// Loads the page of the server at `addr`, moves the slider `steps` to the right and checks
/// that the page shows exactly what `GET /v1/cutoff` answers for the new target. Returns it.
fn move_slider_and_check(browser: &Browser, addr: SocketAddr, steps: usize) -> Value {
    browser.go(&format!("http://{addr}/"));
    // On load the page asks for the target in force (0.5, the server's --target-precision).
    wait_for(
        "the page to show the cutoff in force",
        Duration::from_secs(30),
        || (browser.attribute("#result", "data-state").as_deref() == Some("ok")).then_some(()),
    );
    let before = browser.script("return document.getElementById('target').value;");
    assert_eq!(before, json!("0.5"));

    // Move the control: arrow keys on the focused range input, as a person would.
    let slider = browser.element("#target");
    let keys: String = std::iter::repeat_n(ARROW_RIGHT, steps).collect();
    browser.call(
        "POST",
        &format!("/element/{slider}/value"),
        Some(json!({ "text": keys })),
    );
    let target = browser
        .script("return document.getElementById('target').value;")
        .as_str()
        .expect("the slider's value")
        .to_string();
    assert_ne!(target, "0.5", "the slider did not move");
    wait_for(
        "the page to show the answer for the new target",
        Duration::from_secs(30),
        || {
            let state = browser.attribute("#result", "data-state");
            let shown_for = browser.attribute("#result", "data-target");
            (state.as_deref() == Some("ok") && shown_for.as_deref() == Some(target.as_str()))
                .then_some(())
        },
    );

    // What the API answers for the same target.
    let query = format!("/v1/cutoff?target_precision={target}&confidence=0.95");
    let (status, api) = http(addr, "GET", &query, None);
    assert_eq!(status, 200, "{api}");
    let cutoff = api["cutoff"].clone();
    let threshold = cutoff["threshold"].as_f64().unwrap();
    let shown_value: f64 = browser
        .attribute("#out-threshold", "data-value")
        .expect("data-value")
        .parse()
        .unwrap();
    assert_eq!(
        shown_value, threshold,
        "the page shows cutoff {shown_value} for target {target}, /v1/cutoff says {threshold}"
    );
    assert_eq!(browser.text("#out-threshold"), format!("{threshold:.4}"));
    let f = |k: &str| cutoff[k].as_f64().unwrap();
    assert_eq!(
        browser.text("#out-precision"),
        format!("{:.3}", f("precision"))
    );
    assert_eq!(
        browser.text("#out-lower"),
        format!("{:.3}", f("precision_lower_bound"))
    );
    assert_eq!(browser.text("#out-recall"), format!("{:.3}", f("recall")));
    assert_eq!(
        browser.text("#out-mql-rate"),
        format!("{:.1}%", 100.0 * f("mql_rate"))
    );
    assert_eq!(
        browser.text("#out-per-1000"),
        format!("{:.0}", 1000.0 * f("mql_rate"))
    );
    assert_eq!(
        browser.text("#target-shown"),
        format!("{:.2}", f("target_precision"))
    );
    // The charts mark it live.
    let marks = browser.script(
        "return ['chart-roc', 'chart-pr', 'chart-score-distribution'].map(function (id) { \
           return document.querySelectorAll('#' + id + ' g.live > *').length; });",
    );
    assert_eq!(marks, json!([2, 2, 2]), "live marks on the charts");
    cutoff
}

#[test]
fn model_page_slider_shows_the_cutoff_the_api_gives() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("model_page");
    std::fs::create_dir_all(&out).unwrap();
    let browser = Browser::start(&out);
    let bin = common::serve_binary();

    // The committed demo model (trained with engagement events).
    // (Relative paths, as a user gives them: the page and the report show them.)
    let (server, addr) = start_server(&bin, Path::new("models/demo.json"));
    let cutoff = move_slider_and_check(&browser, addr, 15);
    assert!((cutoff["target_precision"].as_f64().unwrap() - 0.65).abs() < 1e-9);
    // The control and its answer in view, with the charts it marks below it (the model card
    // above it is taller than the window for a landmark model: scrolled to the top, the
    // screenshot showed the card only).
    browser.script("document.getElementById('control').scrollIntoView(); return null;");
    browser.screenshot(&out, "model-page.png");
    // The fields' importance and shapes, the fit x engagement grid and the gates, drawn.
    let drawn = browser.script(
        "return ['chart-importance', 'chart-shapes', 'table-fit-engagement', 'table-gates']\
           .map(function (id) { var e = document.getElementById(id); \
             return e ? Math.round(e.getBoundingClientRect().height) : 0; });",
    );
    for (id, h) in [
        "chart-importance",
        "chart-shapes",
        "table-fit-engagement",
        "table-gates",
    ]
    .iter()
    .zip(drawn.as_array().unwrap())
    {
        assert!(h.as_i64().unwrap() > 50, "#{id} is not drawn ({h} px high)");
    }
    let panels =
        browser.script("return document.querySelectorAll('#chart-shapes svg text').length;");
    assert!(
        panels.as_i64().unwrap() > 100,
        "shape panels have labels: {panels}"
    );
    assert_eq!(
        browser.script("return document.querySelectorAll('#chart-weights').length;"),
        json!(0),
        "a bar per design-matrix feature is gone"
    );
    browser.script("document.getElementById('chart-shapes').scrollIntoView(); return null;");
    browser.screenshot(&out, "shapes.png");
    browser.script("document.getElementById('fit-engagement').scrollIntoView(); return null;");
    browser.screenshot(&out, "fit-engagement.png");
    drop(server);

    // A model trained on the X Education export.
    let data = Path::new("../shared/datasets/x-education/Leads.csv");
    assert!(
        data.exists(),
        "{} is missing",
        common::x_education().display()
    );
    let mut config = TrainConfig::new(data);
    config.label = Some("Converted".into());
    config.id = Some("Prospect ID".into());
    config.exclude = common::X_EDUCATION_EXCLUDED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let artifact = train(&config).expect("train on X Education").artifact;
    let model = out.join("x-education.json");
    artifact.write_atomic(&model).unwrap();
    let (_server, addr) = start_server(&bin, &model);
    move_slider_and_check(&browser, addr, 20);

    // Its report, as `leadscore-train report` writes it, opened from disk (no server).
    let report = out.join("x-education.report.html");
    let html =
        leadscore_report::report_html(&artifact, None, &leadscore_report::ReportOptions::default())
            .unwrap();
    std::fs::write(&report, html).unwrap();
    browser.go(&format!("file://{}", report.display()));
    let charts = browser.script("return document.querySelectorAll('figure.chart svg').length;");
    // Every chart but the per-feature weights (models with field summaries draw importance and
    // shapes instead).
    assert_eq!(charts, json!(leadscore_report::CHART_IDS.len() - 1));
    browser.screenshot(&out, "report.png");
}
