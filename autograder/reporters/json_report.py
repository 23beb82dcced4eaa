"""The JSON scorecard: the stable machine-readable shape graders and dashboards read (`grading.card_json`)."""
from __future__ import annotations

from autograder.grading.card_json import card_to_dict
from autograder.grading.scoring import Scorecard
from autograder.reporters.escape import json_dumps


def render(card: Scorecard) -> str:
    """The scorecard as JSON text: valid UTF-8, no raw control or bidi character, the data as it was."""
    return json_dumps(card_to_dict(card)) + "\n"
