#!/usr/bin/env bash
# Compares `vpnpcap check` with a bare gopacket loop over one large capture:
# wall time, CPU time and peak resident memory, measured by /usr/bin/time -v.
#
#   bench/run.sh              # 5 runs of each, default capture
#   RUNS=9 bench/run.sh       # more runs
#   PACKETS=500000 bench/run.sh
#   CHECK_ARGS="-j 1" bench/run.sh
#
# The capture (2,000,000 packets, about 1.3 GB: a VPN concentrator's outside
# interface with 60% background traffic; see bench/gen) is generated once
# into bench/out/, which git ignores, and regenerated when the generator or
# its flags change. Both programs read it from the page cache: it is read
# once before timing. The figures printed are the medians of the runs; the
# targets are check ≤ 1.5 × the baseline's wall time and < 64 MiB peak RSS.
# check uses two cores and the baseline one, so a machine busy with other
# work stretches check's wall time more: compare the CPU times too, and the
# fastest runs (runs-*.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
PACKETS=${PACKETS:-2000000}
GEN_ARGS=${GEN_ARGS:-}
CHECK_ARGS=${CHECK_ARGS:-}
OUT=bench/out
mkdir -p "$OUT"

if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is needed (Debian: apt-get install time)" >&2
  exit 2
fi

echo "building…" >&2
go build -o "$OUT/vpnpcap" ./cmd/vpnpcap
go build -o "$OUT/baseline" ./bench/baseline
go build -o "$OUT/gen" ./bench/gen

CAP="$OUT/concentrator-$PACKETS.pcap"
STAMP="$CAP.stamp"
want_stamp="$(sha256sum < bench/gen/main.go | cut -c1-16) packets=$PACKETS $GEN_ARGS"
if [ ! -f "$CAP" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want_stamp" ]; then
  echo "generating $CAP…" >&2
  # shellcheck disable=SC2086
  "$OUT/gen" -o "$CAP" -packets "$PACKETS" $GEN_ARGS
  echo "$want_stamp" > "$STAMP"
fi
ls -l "$CAP" | awk '{printf "capture: %s, %.2f GB\n", $NF, $5/1e9}'
cat "$CAP" > /dev/null # into the page cache

# measure NAME CMD... runs CMD once and adds a line to runs-NAME.txt: wall
# seconds, user+system CPU seconds, max RSS in KiB, exit status.
measure() {
  local name=$1; shift
  local log="$OUT/time-$name.log"
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || true
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 }
    /Maximum resident set size/ { r = $2 }
    /Exit status/ { x = $2 }
    END { printf "%.2f %.2f %d %d\n", w, u + s, r, x }' "$log" >> "$OUT/runs-$name.txt"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# The two programs take turns, so that a change in the machine's load
# weighs on both alike.
echo "timing $RUNS runs of each…" >&2
: > "$OUT/runs-baseline.txt"
: > "$OUT/runs-check.txt"
for _ in $(seq "$RUNS"); do
  measure baseline "$OUT/baseline" "$CAP"
  # shellcheck disable=SC2086
  measure check "$OUT/vpnpcap" check --format json -o "$OUT/check.json" --fail-on none --progress never $CHECK_ARGS "$CAP"
done

status=$(awk '{print $4}' "$OUT/runs-check.txt" | sort -u | tr '\n' ' ')
if [ "$status" != "0 " ]; then
  echo "bench: check exited with status $status; see $OUT/time-check.log" >&2
  exit 1
fi

printf '\n%-16s %8s %8s %12s %12s\n' "" "wall s" "cpu s" "max RSS MiB" "wall ratio"
bw=$(awk '{print $1}' "$OUT/runs-baseline.txt" | median)
for name in baseline check; do
  f="$OUT/runs-$name.txt"
  w=$(awk '{print $1}' "$f" | median)
  c=$(awk '{print $2}' "$f" | median)
  r=$(awk '{print $3}' "$f" | median)
  awk -v n="$name" -v w="$w" -v c="$c" -v r="$r" -v bw="$bw" \
    'BEGIN { printf "%-16s %8.2f %8.2f %12.1f %11.2f×\n", n, w, c, r / 1024, w / bw }'
done
echo
echo "targets: wall ratio ≤ 1.5×, max RSS < 64 MiB (medians of $RUNS runs; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "per-run figures: $OUT/runs-*.txt (wall s, cpu s, RSS KiB, exit status)"
