//! A Parquet list column (`list<string>`, a warehouse's array of picklist values) is a
//! multi-select column: `init` infers it so, training reads its items as options and fits the
//! model its CSV twin (the items joined with `;`) fits, weight for weight; a spec that splits
//! it at another separator is refused naming the column; a list of lists is left out, named.

use leadscore_core::fitted::FittedTransform;
use leadscore_train::infer::{infer_spec, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use polars::prelude::*;
use std::path::Path;

const OPTIONS: [&str; 4] = ["Pricing", "Webinars", "API docs", "Careers"];

/// 600 leads: per lead the options of `interests` (bits of a counter), a number and the label
/// (Pricing raises conversion, Careers lowers it).
fn leads() -> Vec<(Vec<&'static str>, i64, bool)> {
    (0..600)
        .map(|i: usize| {
            let chosen: Vec<&str> = OPTIONS
                .iter()
                .enumerate()
                .filter(|(k, _)| ((i * 7 + i / 3) >> k) & 1 == 1)
                .map(|(_, o)| *o)
                .collect();
            let p = 2 + 5 * usize::from(chosen.contains(&"Pricing"))
                - usize::from(chosen.contains(&"Careers"));
            (chosen, (i % 9) as i64, (i * 13) % 10 < p)
        })
        .collect()
}

fn write_parquet(path: &Path, lists: Vec<Option<Series>>) {
    let interests: ListChunked = lists.into_iter().collect();
    write_with(path, interests.into_series().with_name("interests".into()));
}

fn option_lists() -> Vec<Option<Series>> {
    leads()
        .into_iter()
        .enumerate()
        .map(|(i, (chosen, _, _))| {
            // Every 50th list is missing, and an empty list holds no option either.
            (i % 50 != 0).then(|| Series::new("".into(), chosen))
        })
        .collect()
}

fn config(data: &Path, spec: Option<&Path>) -> TrainConfig {
    let mut c = TrainConfig::new(data);
    c.label = Some("converted".into());
    c.id = Some("lead_id".into());
    c.spec = spec.map(Path::to_path_buf);
    c
}

#[test]
fn a_list_column_is_a_multi_select_and_trains_as_its_joined_csv_twin() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("leads.parquet");
    write_parquet(&parquet, option_lists());
    let table = read_table(&parquet, &ReadOptions::default()).unwrap();
    assert_eq!(table.list_columns, ["interests"]);
    let inferred = infer_spec(
        &table,
        &InferOptions {
            label: Some("converted".into()),
            id: Some("lead_id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap();
    let interests = inferred
        .spec
        .columns
        .iter()
        .find(|c| c.name == "interests")
        .unwrap();
    assert_eq!(
        interests.transform,
        leadscore_core::spec::TransformKind::MultiSelect
    );

    // The CSV twin: the same options joined with `;`.
    let mut csv = String::from("lead_id,interests,visits,converted\n");
    for (i, (chosen, visits, converted)) in leads().into_iter().enumerate() {
        let text = if i % 50 == 0 {
            String::new()
        } else {
            chosen.join(";")
        };
        csv.push_str(&format!("L{i},{text},{visits},{converted}\n"));
    }
    let twin = dir.path().join("leads.csv");
    std::fs::write(&twin, csv).unwrap();
    let from_list = train(&config(&parquet, None)).unwrap().artifact;
    let from_text = train(&config(&twin, None)).unwrap().artifact;
    let column = |a: &leadscore_core::artifact::ModelArtifact| {
        a.spec
            .columns
            .iter()
            .find(|c| c.name == "interests")
            .map(|c| c.transform.clone())
    };
    assert!(matches!(
        column(&from_list),
        Some(FittedTransform::MultiSelect { .. })
    ));
    assert_eq!(column(&from_list), column(&from_text));
    assert_eq!(
        from_list.model.features.len(),
        from_text.model.features.len()
    );
    for (a, b) in from_list
        .model
        .features
        .iter()
        .zip(&from_text.model.features)
    {
        assert_eq!(a.name, b.name);
        assert!((a.weight - b.weight).abs() < 1e-9, "{}", a.name);
    }
    let pricing = from_list
        .model
        .features
        .iter()
        .find(|f| f.name == "interests includes Pricing")
        .unwrap();
    assert!(pricing.weight > 0.1, "{}", pricing.weight);
    assert_eq!(from_list.evaluation.roc_auc, from_text.evaluation.roc_auc);
}

#[test]
fn another_separator_for_a_list_column_and_a_list_of_lists_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("leads.parquet");
    write_parquet(&parquet, option_lists());
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\
         [[columns]]\nname = \"interests\"\ntransform = \"multi_select\"\nseparator = \"|\"\n\n\
         [[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n",
    )
    .unwrap();
    let e = train(&config(&parquet, Some(&spec)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("interests") && e.contains("is a list column") && e.contains("`|`"),
        "{e}"
    );

    // Lists of lists have no options to read: left out, and a spec naming it says why.
    let nested: Vec<Option<Series>> = (0..600)
        .map(|_| {
            let inner: ListChunked = vec![Some(Series::new("".into(), ["a", "b"]))]
                .into_iter()
                .collect();
            Some(inner.into_series())
        })
        .collect();
    write_parquet(&parquet, nested);
    let table = read_table(&parquet, &ReadOptions::default()).unwrap();
    assert!(table.df.column("interests").is_err());
    let note = table.note.clone().unwrap_or_default();
    assert!(note.contains("`interests` (a list of lists)"), "{note}");
    std::fs::write(
        &spec,
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\
         [[columns]]\nname = \"interests\"\ntransform = \"multi_select\"\n",
    )
    .unwrap();
    let e = train(&config(&parquet, Some(&spec)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("the reader left it out"), "{e}");
}

/// Writes `path` with the leads of [`leads`] and one extra list column `extra`.
fn write_with(path: &Path, extra: Series) {
    let rows = leads();
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            Series::new(
                "lead_id".into(),
                (0..rows.len()).map(|i| format!("L{i}")).collect::<Vec<_>>(),
            )
            .into(),
            extra.into(),
            Series::new(
                "visits".into(),
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )
            .into(),
            Series::new(
                "converted".into(),
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            )
            .into(),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn list_items_read_as_a_request_sends_them_and_other_uses_of_a_list_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("leads.parquet");
    // Decimal items are numbers: `1.50` is the option `1.5`, as a JSON 1.5 is.
    let decimals: ListChunked = (0..600)
        .map(|i| {
            Some(
                Series::new("".into(), [1.5 + f64::from(i % 3), 2.0])
                    .cast(&DataType::Decimal(5, 2))
                    .unwrap(),
            )
        })
        .collect();
    write_with(
        &parquet,
        decimals.into_series().with_name("interests".into()),
    );
    let table = read_table(&parquet, &ReadOptions::default()).unwrap();
    let first = table.df.column("interests").unwrap().str().unwrap().get(0);
    assert_eq!(first, Some("1.5;2"));
    assert_eq!(table.note, None);

    // An item holding the separator reads as one option for each part, as the server reads
    // the same JSON array: said, naming the row.
    let split: ListChunked = (0..600)
        .map(|i| {
            let items: Vec<&str> = if i == 4 {
                vec!["Pricing", "Case studies; EMEA"]
            } else {
                vec!["Pricing"]
            };
            Some(Series::new("".into(), items))
        })
        .collect();
    write_with(&parquet, split.into_series().with_name("interests".into()));
    let table = read_table(&parquet, &ReadOptions::default()).unwrap();
    let note = table.note.unwrap_or_default();
    assert!(
        note.contains(
            "list column `interests`: row 5 has an item holding `;` (\"Case studies; EMEA\")"
        ),
        "{note}"
    );

    // A list column read as a categorical, numeric or email column, or as the id: refused
    // naming it, where its joined items would have been one level (or failed at a row).
    write_parquet(&parquet, option_lists());
    let spec = dir.path().join("spec.toml");
    for transform in ["categorical", "numeric", "email"] {
        std::fs::write(
            &spec,
            format!(
                "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\
                 [[columns]]\nname = \"interests\"\ntransform = \"{transform}\"\n\n\
                 [[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n"
            ),
        )
        .unwrap();
        let e = train(&config(&parquet, Some(&spec)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`interests`") && e.contains("only a multi_select column reads lists"),
            "{transform}: {e}"
        );
    }
    let mut c = config(&parquet, None);
    c.id = Some("interests".into());
    let e = train(&c).unwrap_err().to_string();
    assert!(e.contains("a label or an id is one value per lead"), "{e}");

    // Items with no option text a request could send (bytes, dates) leave the column out.
    let bytes: ListChunked = (0..600)
        .map(|_| Some(Series::new("".into(), [b"\xff\xfe".as_slice()])))
        .collect();
    write_with(&parquet, bytes.into_series().with_name("interests".into()));
    let table = read_table(&parquet, &ReadOptions::default()).unwrap();
    assert!(table.df.column("interests").is_err());
    let note = table.note.unwrap_or_default();
    assert!(note.contains("`interests` (a list of bytes)"), "{note}");
}
