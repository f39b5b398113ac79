import pandas as pd
import pytest

from demo_project.core.schema import check_against_schema
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


def test_compatible_columns_come_back_in_the_schema_types():
    frame = pd.DataFrame({"height": [170, 180], "city": ["Oslo", None], "plan": [True, False]})
    checked = check_against_schema(frame, SCHEMA)
    assert checked["height"].dtype == "float64"
    assert checked["city"].tolist() == ["Oslo", None]
    assert checked["plan"].tolist() == ["True", "False"]


def test_text_where_a_number_belongs_is_rejected():
    frame = pd.DataFrame({"height": ["tall"], "city": ["Oslo"]})
    with pytest.raises(ProjectError, match="column 'height' should be double"):
        check_against_schema(frame, SCHEMA)
