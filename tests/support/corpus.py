"""A corpus of realistic tables, built in code (no downloads), and what a project makes of them.

`SCRIPT` runs inside a generated project's environment (`python -c SCRIPT OUT_DIR`): it
writes each table, then calls the project's jobs as a notebook would (`train`, `evaluate`,
`predict`) and prints one JSON object per table: the column decisions `train` logged, the
saved model's size, the held-out metrics, whether `predict` and `mlflow.pyfunc.load_model`
gave the same prediction for every row of the file, or the one-line error that refused the
table. It uses only the jobs' API that every release has, so the same script can run in
an older release's project to compare.
"""

from __future__ import annotations

SCRIPT = r'''
import json, logging, sys
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

PACKAGE = sys.argv[2]
jobs = __import__(f"{PACKAGE}.jobs", fromlist=["jobs"])
read_params = __import__(f"{PACKAGE}.io.params", fromlist=["read_params"]).read_params
ProjectError = __import__(f"{PACKAGE}.errors", fromlist=["ProjectError"]).ProjectError

rng = np.random.default_rng(11)
ROWS = 1000


def gaps(values, share=0.06):
    """About `share` of the values missing (NaN), as a file with empty cells reads."""
    values = pd.Series(values)
    return values.where(rng.random(len(values)) >= share)


def passengers():
    first = rng.choice(["Anna", "Karl", "Mei", "Omar", "Ines", "Luca", "Sara", "Ivan"], ROWS)
    frame = pd.DataFrame({
        "PassengerId": np.arange(1, ROWS + 1),
        "Name": [f"Surname{n}, {f} {chr(65 + n % 26)}." for n, f in enumerate(first)],
        "Sex": rng.choice(["male", "female"], ROWS),
        "Age": gaps(rng.normal(30, 12, ROWS).clip(1, 80).round()),
        "Fare": rng.gamma(2, 15, ROWS).round(2),
        "Embarked": gaps(rng.choice(["S", "C", "Q"], ROWS, p=[0.7, 0.2, 0.1])),
    })
    odds = (frame["Sex"] == "female") * 2 + frame["Fare"].rank(pct=True) + rng.normal(0, 0.8, ROWS)
    frame["Survived"] = (odds > 1.2).astype(int)
    return frame, "Survived", None


def loans():
    titles = [f"{a} {b}" for a in ("senior", "junior", "lead", "chief", "staff", "assistant")
              for b in range(600)]
    frame = pd.DataFrame({
        "job_title": gaps(rng.choice(titles, ROWS)),
        "income": gaps(rng.normal(45_000, 12_000, ROWS)),
        "amount": rng.integers(1_000, 40_000, ROWS),
        "term": rng.choice(["36 months", "60 months"], ROWS),
    })
    ratio = frame["amount"] / frame["income"].fillna(45_000)
    frame["approved"] = np.where(ratio + rng.normal(0, 0.15, ROWS) < 0.45, "yes", "no")
    return frame, "approved", None


def weather():
    days = pd.date_range("2018-01-01", periods=ROWS, freq="D")
    frame = pd.DataFrame({
        "date": days.strftime("%Y-%m-%d"),
        "observed": days + pd.to_timedelta(rng.integers(0, 24, ROWS), unit="h"),
        "humidity": gaps(rng.uniform(20, 100, ROWS)),
        "wind": rng.gamma(2, 3, ROWS),
    })
    season = np.cos((days.dayofyear.to_numpy() - 200) / 365 * 2 * np.pi)
    frame["temperature"] = 12 + 10 * season - frame["wind"] * 0.3 + rng.normal(0, 1.5, ROWS)
    return frame, "temperature", None


def survey():
    frame = pd.DataFrame({
        "région": gaps(rng.choice(["Île-de-France", "Bretagne", "Occitanie", "Grand Est"], ROWS)),
        "âge": rng.integers(18, 90, ROWS),
        "abonné": gaps(rng.choice([True, False], ROWS)),
        "note_satisfaction": rng.integers(0, 11, ROWS),
    })
    frame["recommande"] = np.where(frame["note_satisfaction"] + rng.normal(0, 2, ROWS) > 6, "oui", "non")
    return frame, "recommande", None


def rare_classes():
    common = ["books", "games", "garden", "kitchen", "music", "sport"]
    labels = list(rng.choice(common, ROWS - 5)) + ["antiques"] * 2 + ["boats"] * 3
    frame = pd.DataFrame({"label": rng.permutation(labels)})
    frame["price"] = frame["label"].map({name: i * 10 for i, name in enumerate(common)}).fillna(500)
    frame["price"] = frame["price"] + rng.normal(0, 3, ROWS)
    frame["shop"] = rng.choice(["web", "store"], ROWS)
    return frame, "label", None


def forced_classes():
    frame = pd.DataFrame({"area": rng.uniform(30, 200, ROWS), "rooms": rng.integers(1, 7, ROWS)})
    frame["price"] = frame["area"] * 3_100.5 + rng.normal(0, 9_000, ROWS)
    return frame, "price", "classification"


def single_class():
    frame = pd.DataFrame({"age": rng.integers(18, 90, ROWS), "plan": rng.choice(["a", "b"], ROWS)})
    frame["status"] = "active"
    return frame, "status", None


TABLES = {
    "passengers": (passengers, ".csv"),
    "loans": (loans, ".csv"),
    "weather": (weather, ".parquet"),
    "survey": (survey, ".csv"),
    "rare_classes": (rare_classes, ".csv"),
    "forced_classes": (forced_classes, ".csv"),
    "single_class": (single_class, ".csv"),
}


class Decisions(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        if record.name.endswith("jobs.train") and record.getMessage().startswith("column "):
            self.lines.append(record.getMessage())


def size(folder):
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file())


out = Path(sys.argv[1])
logging.getLogger().setLevel(logging.INFO)
results = {}
for name, (build, suffix) in TABLES.items():
    frame, target, task = build()
    path = out / f"{name}{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    settings = read_params("params.yaml").override(
        {"data.path": str(path), "data.target": target, "task": task}
    )
    handler = Decisions()
    logging.getLogger().addHandler(handler)
    result = {}
    try:
        run = jobs.train(settings)
        evaluation = jobs.evaluate(settings, promote=False)
        predictions = out / f"{name}-predictions.csv"
        jobs.predict(settings, path, predictions)
        raw = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        client = mlflow.pyfunc.load_model(str(settings.outputs.model_dir)).predict(raw)
        cli = pd.read_csv(predictions)["prediction"]
        result = {
            "task": run.task,
            "metrics": evaluation.metrics,
            "primary": evaluation.primary_metric,
            "model_bytes": size(settings.outputs.model_dir),
            "same_predictions": [str(v) for v in cli] == [str(v) for v in client],
        }
    except ProjectError as error:
        result = {"error": str(error)}
    finally:
        logging.getLogger().removeHandler(handler)
    result["decisions"] = handler.lines
    results[name] = result
print(json.dumps(results))
'''
