#!/usr/bin/env bash
# A longer run of the restore validator's mutation fuzzer than the test suite's fixed 1000 mutants.
# Usage: bash bench/fuzz.sh [MUTANTS]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
mutants="${1:-20000}"
[[ "$mutants" =~ ^[0-9]+$ ]] || { echo "usage: bash bench/fuzz.sh [MUTANTS]" >&2; exit 2; }
mvn -B -q test -Dtest=ValidatorFuzzTest -Dpodvault.fuzz.mutants="$mutants" -Dsurefire.failIfNoSpecifiedTests=false
grep -h "Fuzzed" target/surefire-reports/io.podvault.faults.ValidatorFuzzTest-output.txt
grep -h "Tests run" target/surefire-reports/io.podvault.faults.ValidatorFuzzTest.txt
