#!/usr/bin/env bash
# CI's benchmark check (performance issue): size S on the full synthetic panel; fails
# when the scan runs below 25% of the reference kernel measured in the same run, or when
# the top-10 output differs from the --all output cut at rank 10.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bash "$top/bench/run.sh" S --check >&2
