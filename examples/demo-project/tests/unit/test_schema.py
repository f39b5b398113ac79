import pandas as pd
import pytest

from demo_project.core import schema
from demo_project.core.columns import plan_columns
from demo_project.core.schema import check_against_schema, input_columns
from demo_project.errors import ProjectError

SCHEMA = [
    {"name": "height", "type": "double", "required": True},
    {"name": "city", "type": "string", "required": True},
    {"name": "plan", "type": "string", "required": False},
]


def test_matching_frame_keeps_schema_columns_only():
    frame = pd.DataFrame({"id": [1], "height": [1.5], "city": ["Oslo"], "plan": ["pro"]})
    assert list(check_against_schema(frame, SCHEMA).columns) == ["height", "city", "plan"]


def test_optional_column_may_be_missing():
    frame = pd.DataFrame({"height": [1.5], "city": ["Oslo"]})
    assert list(check_against_schema(frame, SCHEMA).columns) == ["height", "city"]


def test_missing_and_mistyped_columns_are_named_in_one_line():
    frame = pd.DataFrame({"city": [3.5]})
    with pytest.raises(ProjectError) as error:
        check_against_schema(frame, SCHEMA)
    message = str(error.value)
    assert "missing column 'height'" in message
    assert "column 'city' should be string" in message
    assert "\n" not in message


def test_the_check_alone_names_the_same_mismatches_and_converts_nothing():
    with pytest.raises(ProjectError, match="missing column 'height'.*'city' should be string"):
        schema.require_schema(pd.DataFrame({"city": [3.5]}), SCHEMA)
    frame = pd.DataFrame({"height": [170], "city": ["Oslo"]})
    assert schema.require_schema(frame, SCHEMA) is None
    assert frame["height"].dtype == "int64"  # the caller's frame is left as it was


def test_compatible_columns_come_back_in_the_schema_types():
    frame = pd.DataFrame({"height": [170, 180], "city": ["Oslo", None], "plan": [True, False]})
    checked = check_against_schema(frame, SCHEMA)
    assert checked["height"].dtype == "float64"
    assert checked["city"].iloc[0] == "Oslo" and pd.isna(checked["city"].iloc[1])
    assert checked["plan"].tolist() == ["True", "False"]


def test_whole_numbers_are_long_and_required_only_where_the_data_says():
    frame = pd.DataFrame(
        {
            "visits": [1, 2, 3, 4],
            "rooms": [1.0, None, 3.0, 2.0],
            "height": [1.5, 1.7, 1.6, 1.8],
            "city": ["Oslo", None, "Lima", "Oslo"],
            "member": [True, False, True, True],
            "vip": [True, None, False, True],
        }
    )
    columns = input_columns(frame, plan_columns(frame))
    assert columns == [
        {"name": "visits", "type": "long", "required": True},
        {"name": "rooms", "type": "any", "required": False},
        {"name": "height", "type": "double", "required": True},
        {"name": "city", "type": "string", "required": False},
        {"name": "member", "type": "boolean", "required": True},
        {"name": "vip", "type": "any", "required": False},
    ]


def test_a_gap_in_a_column_the_model_requires_is_named():
    whole = [{"name": "visits", "type": "long", "required": True}]
    with pytest.raises(ProjectError, match="column 'visits' has missing values"):
        check_against_schema(pd.DataFrame({"visits": [1.0, None]}), whole)
    checked = check_against_schema(pd.DataFrame({"visits": [1.0, 2.0]}), whole)
    assert checked["visits"].dtype == "int64"


def test_text_where_a_number_belongs_is_rejected():
    frame = pd.DataFrame({"height": ["tall"], "city": ["Oslo"]})
    with pytest.raises(ProjectError, match="column 'height' should be double"):
        check_against_schema(frame, SCHEMA)
