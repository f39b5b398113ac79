"""The column roles: what each kind of column becomes, and the one log line it gets."""

import numpy as np
import pandas as pd
import pytest

from demo_project.core.columns import (
    BOOLEAN,
    CATEGORICAL,
    DATE,
    NUMERIC,
    Normaliser,
    plan_columns,
    refuse_too_many_classes,
)
from demo_project.errors import ProjectError

ROWS = 200


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2021-01-01", periods=ROWS, freq="D")
    return pd.DataFrame(
        {
            "customer_id": rng.permutation(ROWS) + 1000,
            "code": [f"C-{n:05d}" for n in rng.permutation(ROWS)],
            "age": rng.integers(18, 90, ROWS),
            "income": rng.normal(50_000, 9_000, ROWS),
            "city": rng.choice(["Oslo", "Lima", "Pune"], ROWS),
            "signed_up": dates.strftime("%Y-%m-%d"),
            "last_seen": dates + pd.Timedelta(hours=5),
            "member": rng.choice([True, False], ROWS),
            "comment": [f"note {n}" for n in rng.integers(0, 120, ROWS)],
            "empty": [None] * ROWS,
        }
    )


def test_every_kind_of_column_gets_its_role(table):
    plan = plan_columns(table, max_categories=30)
    assert plan.kinds == {
        "age": NUMERIC,
        "income": NUMERIC,
        "city": CATEGORICAL,
        "signed_up": DATE,
        "last_seen": DATE,
        "member": BOOLEAN,
        "comment": CATEGORICAL,
    }
    assert plan.decisions == [
        "column 'customer_id': a different value in every row (an identifier), not a feature",
        "column 'code': a different value in every row (an identifier), not a feature",
        "column 'signed_up': dates, used as year, month, day, day of week",
        "column 'last_seen': dates, used as year, month, day, day of week",
        f"column 'comment': {table['comment'].nunique()} distinct values, encoded as its 30 most"
        " frequent and 'other' (data.max_categories)",
        "column 'empty': empty in the training data, not a feature",
    ]


def test_roles_set_by_the_user_come_first(table):
    plan = plan_columns(table, drop=["income"], ids=["age"])
    assert "income" not in plan.kinds and "age" not in plan.kinds
    assert "column 'income': not used (data.drop)" in plan.decisions
    assert "column 'age': an identifier, kept in predictions (data.id)" in plan.decisions


@pytest.mark.parametrize("setting", ["drop", "ids"])
def test_an_unknown_column_is_named_with_the_columns_there_are(table, setting):
    with pytest.raises(ProjectError) as error:
        plan_columns(table, **{setting: ["incme"]})
    message = str(error.value)
    assert "no column 'incme'; columns are: customer_id, code, age" in message
    assert "\n" not in message


def test_a_table_of_identifiers_only_is_refused():
    with pytest.raises(ProjectError, match="no feature columns left"):
        plan_columns(pd.DataFrame({"id": range(50)}))


def test_the_normaliser_gives_every_client_the_same_features(table):
    plan = plan_columns(table)
    normaliser = Normaliser(plan.as_dict()).fit(table)
    # What a JSON client sends: dates as text, None for gaps, integers as floats.
    sent = table.assign(
        last_seen=table["last_seen"].astype(str),
        age=table["age"].astype(float),
        city=table["city"].where(table.index % 7 != 0, None),
    )
    as_read = table.assign(city=table["city"].where(table.index % 7 != 0, np.nan))
    assert normaliser.transform(sent).equals(normaliser.transform(as_read))
    features = normaliser.transform(as_read)
    assert features["city"].isna().sum() == (table.index % 7 == 0).sum()  # missing, not "None"
    assert features.columns[:2].tolist() == ["age", "income"]
    assert features["signed_up_year"].iloc[0] == 2021
    assert features["member"].isin([0.0, 1.0]).all()
    assert list(normaliser.get_feature_names_out()) == features.columns.tolist()


def test_booleans_with_gaps_stay_booleans():
    column = pd.Series([True, False, None] * 10, dtype=object)
    plan = plan_columns(pd.DataFrame({"flag": column, "x": range(30)}))
    assert plan.kinds["flag"] == BOOLEAN
    features = Normaliser(plan.as_dict()).fit_transform(pd.DataFrame({"flag": column}))
    assert features["flag"].isna().sum() == 10


def test_text_that_is_not_a_date_stays_text():
    frame = pd.DataFrame({"room": ["A1", "B2", "C3"] * 10, "x": range(30)})
    assert plan_columns(frame).kinds["room"] == CATEGORICAL


def test_a_number_forced_to_classification_is_refused_in_one_line():
    target = pd.Series(np.linspace(0, 1, 5000), name="price")
    with pytest.raises(ProjectError) as error:
        refuse_too_many_classes(target, max_classes=100)
    assert "target 'price' has 5,000 distinct values in 5,000 rows" in str(error.value)
    refuse_too_many_classes(pd.Series(["a", "b"] * 10, name="kind"), max_classes=100)
