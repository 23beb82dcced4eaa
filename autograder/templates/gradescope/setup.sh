#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built: Python, the pinned
# dependencies, the nngrade kit (from kit/ in this zip) and, unless built with
# --no-data, the MNIST files the mnist exercise is graded on.
set -euo pipefail
cd "$(dirname "$0")"

if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
fi
python3 -m venv /autograder/nngrade-venv
/autograder/nngrade-venv/bin/python -m pip install --upgrade pip
/autograder/nngrade-venv/bin/python -m pip install -r requirements.txt
/autograder/nngrade-venv/bin/python -m pip install --no-deps ./kit
@FETCH_DATA@
