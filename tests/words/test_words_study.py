"""The words task's ``study:`` options: named group plots and their file names."""

from __future__ import annotations

import pytest

from embedlab.errors import ConfigError
from embedlab.params import validate_section
from embedlab.tasks.words import WordsStudy


def test_groups_take_named_plots_or_one_plot_of_categories():
    named = validate_section(WordsStudy, {"groups": {"a": {"x": ["u", "v"]}, "b": {"y": ["w"]}}}, "study")
    assert named.group_plots() == {"groups-a": {"x": ["u", "v"]}, "groups-b": {"y": ["w"]}}
    flat = validate_section(WordsStudy, {"groups": {"x": ["u", "v"], "y": ["w"]}}, "study")
    assert flat.group_plots() == {"groups": {"x": ["u", "v"], "y": ["w"]}}
    assert len(WordsStudy().group_plots()) == 2


def test_a_group_plot_name_must_be_a_file_name_part():
    with pytest.raises(ConfigError, match=r"study: groups: key .*\.\./x.* file name"):
        validate_section(WordsStudy, {"groups": {"../x": {"a": ["u", "v"]}}}, "study")
