#!/usr/bin/env bash
# A/B of the probes' cost in CPU seconds and wall seconds, alternating runs: bash bench/ab-cpu.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source testbed/env.sh
export OUT_DIR=$(mktemp -d) BATCH_DOCTOR_TRACE_DIR=$(mktemp -d)
runs=${1:-5}
app=fixtures/pipelines/orders-export/main.cjs
declare -A W C
for i in $(seq 1 "$runs"); do
  for v in bare nocpu probes; do
    case $v in
      bare) cmd=(node $app) ;;
      nocpu) cmd=(env BATCH_DOCTOR_CPU_PROFILE=0 node -r ./dist/probes/register.js $app) ;;
      probes) cmd=(node -r ./dist/probes/register.js $app) ;;
    esac
    out=$( { /usr/bin/time -f "%e %U %S" "${cmd[@]}" >/dev/null; } 2>&1 | tail -1)
    W[$v]+="$(echo "$out" | awk '{print $1}') "
    C[$v]+="$(echo "$out" | awk '{print $2+$3}') "
    rm -f "$BATCH_DOCTOR_TRACE_DIR"/*
  done
done
med() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
for v in bare nocpu probes; do echo "$v wall_median=$(med ${W[$v]}) cpu_median=$(med ${C[$v]}) walls=[${W[$v]}]"; done
