//! The serving floor, for benchmarks only (not part of leadscore): the least an HTTP lead scorer
//! on axum + tokio has to do, so that `bench/serve_vs_fastapi.sh` can say how close
//! leadscore-serve comes to it in the same run.
//!
//! `POST /v1/score` takes one lead (a JSON object) or `{"leads": [...]}`, as leadscore-serve
//! does. Each field of a lead becomes one feature: text and booleans by hashing the field name
//! and value into one of the model's slots, numbers as the value in the slot of the field name;
//! `events` and nested values are skipped. The score is one dot product with the weights of a
//! leadscore model file (`model.features[*].weight` and `model.intercept`, so the vector has
//! the same length as the real model's) through the logistic function, answered as
//! `{"score": s, "mql": s >= threshold}`. Nothing else: no validation beyond JSON, no spec, no
//! factors, no timeouts or connection limits, no decision log, no metrics.
//!
//! ```sh
//! serve-floor --model models/demo.json --bind 127.0.0.1:18433 --threshold 0.3
//! ```

use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// The weights, read once at start (the deserializers below reach them here).
static MODEL: OnceLock<Model> = OnceLock::new();

struct Model {
    weights: Vec<f64>,
    intercept: f64,
    threshold: f64,
}

/// FNV-1a over the field name, a separator and the value.
fn slot(name: &str, value: &[u8], len: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes().iter().chain(&[0xff]).chain(value) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % len as u64) as usize
}

/// A JSON string, borrowed from the body when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One field's value, as far as the floor looks at it.
enum Field<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Skip,
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Field::Text(Cow::Owned(s.to_owned())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Field::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Field::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Field::Number(v as f64))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Field::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Field::Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// The log-odds of one lead object, summed while it is parsed.
struct LogOdds(f64);

fn add_field(model: &Model, z: &mut f64, name: &str, value: Field<'_>) {
    let n = model.weights.len();
    match value {
        Field::Text(t) => *z += model.weights[slot(name, t.as_bytes(), n)],
        Field::Bool(b) => *z += model.weights[slot(name, &[u8::from(b)], n)],
        Field::Number(v) => *z += model.weights[slot(name, b"#", n)] * v,
        Field::Skip => {}
    }
}

/// Sums the fields of a lead object from `a` (whose first key, if already read, is `first`).
fn lead_fields<'de, A: MapAccess<'de>>(
    model: &Model,
    first: Option<Text<'de>>,
    mut a: A,
) -> Result<f64, A::Error> {
    let mut z = model.intercept;
    if let Some(Text(name)) = first {
        let v: Field<'de> = a.next_value()?;
        add_field(model, &mut z, &name, v);
    }
    while let Some(Text(name)) = a.next_key::<Text<'de>>()? {
        let v: Field<'de> = a.next_value()?;
        add_field(model, &mut z, &name, v);
    }
    Ok(z)
}

fn model() -> &'static Model {
    MODEL
        .get()
        .expect("the model is read before the server starts")
}

impl<'de> Deserialize<'de> for LogOdds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LogOdds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a lead object")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                lead_fields(model(), None, a).map(LogOdds)
            }
        }
        d.deserialize_map(V)
    }
}

/// A request body: one lead, or `{"leads": [...]}`.
enum Body {
    One(f64),
    Many(Vec<f64>),
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Body;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a lead object or {\"leads\": [...]}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                match a.next_key::<Text<'de>>()? {
                    Some(Text(k)) if k == "leads" => {
                        let leads: Vec<LogOdds> = a.next_value()?;
                        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(Body::Many(leads.into_iter().map(|l| l.0).collect()))
                    }
                    first => lead_fields(model(), first, a).map(Body::One),
                }
            }
        }
        d.deserialize_map(V)
    }
}

fn answer(z: f64, threshold: f64, out: &mut Vec<u8>) {
    let score = 1.0 / (1.0 + (-z).exp());
    out.extend_from_slice(b"{\"score\":");
    out.extend_from_slice(serde_json::to_string(&score).unwrap_or_default().as_bytes());
    out.extend_from_slice(if score >= threshold {
        b",\"mql\":true}"
    } else {
        b",\"mql\":false}"
    });
}

async fn score(State(model): State<&'static Model>, body: Bytes) -> Response {
    let parsed: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
    };
    let mut out = Vec::with_capacity(64);
    match parsed {
        Body::One(z) => answer(z, model.threshold, &mut out),
        Body::Many(zs) => {
            out.reserve(zs.len() * 48);
            out.extend_from_slice(b"{\"leads\":[");
            for (i, z) in zs.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                answer(*z, model.threshold, &mut out);
            }
            out.extend_from_slice(b"]}");
        }
    }
    ([(header::CONTENT_TYPE, "application/json")], out).into_response()
}

fn read_model(path: &str, threshold: f64) -> anyhow::Result<Model> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{path}: not JSON"))?;
    let features = v["model"]["features"]
        .as_array()
        .with_context(|| format!("{path}: no model.features array"))?;
    let weights = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f["weight"]
                .as_f64()
                .with_context(|| format!("{path}: model.features[{i}].weight is not a number"))
        })
        .collect::<anyhow::Result<Vec<f64>>>()?;
    if weights.is_empty() {
        bail!("{path}: the model has no features");
    }
    let intercept = v["model"]["intercept"]
        .as_f64()
        .with_context(|| format!("{path}: model.intercept is not a number"))?;
    Ok(Model {
        weights,
        intercept,
        threshold,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut model_path = None;
    let mut bind = "127.0.0.1:18433".to_string();
    let mut threshold = 0.5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--model" => model_path = Some(value()?),
            "--bind" => bind = value()?,
            "--threshold" => {
                let t = value()?;
                threshold = t
                    .parse()
                    .with_context(|| format!("--threshold {t}: not a number"))?;
            }
            other => bail!("unknown argument {other} (usage: serve-floor --model M [--bind ADDR] [--threshold T])"),
        }
    }
    let path = model_path.context("--model is required")?;
    let model = read_model(&path, threshold)?;
    let width = model.weights.len();
    let model: &'static Model = MODEL.get_or_init(|| model);
    let app = Router::new()
        .route("/v1/score", post(score))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(model);
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    eprintln!("serve-floor: {width} weights from {path}, listening on {bind}");
    axum::serve(listener, app).await?;
    Ok(())
}
