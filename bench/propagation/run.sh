#!/usr/bin/env bash
# Issue 4's propagation figure: write acknowledged -> applied on every node, 2 nodes, 10 and 10,000 routes.
# One command: bench/propagation/run.sh [writes]   (default 1000). Writes docs/bench-results/propagation.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/switchyard.jar ] || mvn -q -DskipTests package
java bench/propagation/Propagation.java dist/switchyard.jar docs/bench-results/propagation.json "${1:-1000}"
