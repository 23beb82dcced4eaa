"""The JSON scorecard: the stable machine-readable shape graders and dashboards read (`grading.card_json`)."""
from __future__ import annotations

import json

from autograder.grading.card_json import card_to_dict
from autograder.grading.scoring import Scorecard


def render(card: Scorecard) -> str:
    return json.dumps(card_to_dict(card), indent=2, ensure_ascii=False) + "\n"
