"""Writes the typed-Parquet fixtures of crates/train/tests/typed_parquet.rs from the demo tables
(run from this folder: python3 make.py; needs pandas and pyarrow):
- flat.csv: the first 800 demo leads with `converted` (in the outcomes table or not) and a
  free-text `note`;
- flat.parquet: the same rows as a pandas export keeps them: every text column as `category`
  (a Parquet dictionary), `company_size` as category text ("1984"), `email` as bytes, and
  `note` as bytes that are not UTF-8 in one row;
- leads.parquet, events.parquet, outcomes.parquet: the first 150 leads of the three tables
  with their ids as float64 (pandas' type for an integer column that once held a NaN), the
  ids of leads.csv, events.csv and outcomes.csv (the same rows as CSV, ids as integers).
"""
import pandas as pd

D = "../../../../../data/demo/"
leads = pd.read_csv(D + "leads.csv", dtype=str, keep_default_na=False).head(800)
outcomes = pd.read_csv(D + "outcomes.csv", dtype=str, keep_default_na=False)
leads["converted"] = leads["lead_id"].isin(set(outcomes["lead_id"])).map({True: "1", False: "0"})
leads["note"] = ["call back" if i % 7 == 0 else "" for i in range(len(leads))]
leads.to_csv("flat.csv", index=False)

typed = leads.copy()
for c in typed.columns:
    typed[c] = typed[c].astype(object).where(typed[c] != "", None)
for c in ["lead_id", "created_at", "job_title", "company_size", "industry", "country", "lead_source", "converted"]:
    typed[c] = typed[c].astype("category")
typed["email"] = [v.encode() if isinstance(v, str) else None for v in typed["email"]]
notes = [v.encode() if isinstance(v, str) else None for v in typed["note"]]
notes[14] = b"caf\xe9"  # Latin-1, not UTF-8: data row 15
typed["note"] = notes
typed.to_parquet("flat.parquet", index=False)

ids = leads["lead_id"].head(150)
num = {v: float(i + 1) for i, v in enumerate(ids)}
small = pd.read_csv(D + "leads.csv", dtype=str, keep_default_na=False).head(150)
events = pd.read_csv(D + "events.csv", dtype=str, keep_default_na=False)
events = events[events["lead_id"].isin(num)]
outs = outcomes[outcomes["lead_id"].isin(num)]
for name, df in [("leads", small), ("events", events), ("outcomes", outs)]:
    df = df.copy()
    df["lead_id"] = df["lead_id"].map(num)
    df.to_csv(name + ".csv", index=False, float_format="%.0f")
    df.to_parquet(name + ".parquet", index=False)
