#!/bin/bash
# hostile_churn_soak: the soak (tests/soak/soak.sh, `make soak` runs it for
# minutes) cut to 20 s so every `make check` and CI run, sanitized ones
# included, churns a table under dump and event mode and checks flat RSS,
# exact counts once quiet, and a clean stop (LeakSanitizer at exit).
export SOAK_SECONDS=${SOAK_SECONDS:-20} CHURN=${CHURN:-2000}
exec "$(dirname "$0")/../soak/soak.sh"
