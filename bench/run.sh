#!/usr/bin/env bash
# Compares vpnpcap with a floor — a bare decode loop that keeps no state —
# on the same capture in the same run: wall time, CPU time and peak
# resident memory, measured by /usr/bin/time -v, and the ratios to the
# floor, which are the figures that count (seconds differ between machines).
#
#   bench/run.sh                        # default capture (generated), check
#   bench/run.sh big.pcap               # any capture: check --format json
#   bench/run.sh inside.pcap outside.pcap   # a pair: analyze, floor over both
#   RUNS=9 bench/run.sh …               # more runs (default 5)
#   PACKETS=500000 bench/run.sh         # size of the generated capture
#   CHECK_ARGS="-j 1" bench/run.sh …    # extra flags for vpnpcap
#   FLOOR=path/to/floor bench/run.sh …  # another floor program
#
# The floor is the performance yardstick's (../shared/perf/floor, built from
# source when it is there), else bench/baseline, its equivalent: gopacket's
# zero-copy pcap reader and a DecodingLayerParser, no VPN state. For a pair
# the floor reads both files, one after the other.
#
# Without a capture, one (2,000,000 packets, about 1.3 GB: a VPN
# concentrator's outside interface with 60% background traffic; see
# bench/gen) is generated once into bench/out/, which git ignores, and
# regenerated when the generator or its flags change.
#
# Every capture is read once before timing, so that both programs read it
# from the page cache, and the two programs take turns (A B A B …), so that
# a change in the machine's load weighs on both alike. The figures printed
# are medians; the ratio is the median of the runs' pairwise ratios.
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
if [ $# -gt 2 ]; then
  echo "usage: bench/run.sh [CAPTURE [OUTSIDE-CAPTURE]]" >&2
  exit 2
fi

echo "building…" >&2
go build -trimpath -o "$OUT/vpnpcap" ./cmd/vpnpcap
floor=${FLOOR:-}
if [ -z "$floor" ]; then
  if [ -f ../shared/perf/floor/main.go ]; then
    (cd ../shared/perf/floor && go build -trimpath -o "$OLDPWD/$OUT/floor" .)
    floor_name="the yardstick's floor (../shared/perf/floor)"
  else
    go build -trimpath -o "$OUT/floor" ./bench/baseline
    floor_name="bench/baseline"
  fi
  floor="$OUT/floor"
else
  floor_name="$floor"
fi

caps=("$@")
if [ ${#caps[@]} -eq 0 ]; then
  go build -trimpath -o "$OUT/gen" ./bench/gen
  cap="$OUT/concentrator-$PACKETS.pcap"
  stamp="$cap.stamp"
  want_stamp="$(sha256sum < bench/gen/main.go | cut -c1-16) packets=$PACKETS $GEN_ARGS"
  if [ ! -f "$cap" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ]; then
    echo "generating $cap…" >&2
    # shellcheck disable=SC2086
    "$OUT/gen" -o "$cap" -packets "$PACKETS" $GEN_ARGS
    echo "$want_stamp" > "$stamp"
  fi
  caps=("$cap")
fi
for c in "${caps[@]}"; do
  if [ ! -r "$c" ]; then
    echo "bench: cannot read $c" >&2
    exit 2
  fi
  ls -l "$c" | awk '{printf "capture: %s, %.2f GB\n", $NF, $5/1e9}'
  cat "$c" > /dev/null # into the page cache
done

if [ ${#caps[@]} -eq 1 ]; then
  what="check --format json"
  # shellcheck disable=SC2206
  cmd=("$OUT/vpnpcap" check --format json -o "$OUT/report.json" --fail-on none --progress never $CHECK_ARGS "${caps[0]}")
else
  what="analyze --format json (a pair)"
  # shellcheck disable=SC2206
  cmd=("$OUT/vpnpcap" analyze --format json -o "$OUT/report.json" --fail-on none $CHECK_ARGS --inside "${caps[0]}" --outside "${caps[1]}")
fi

# measure FILE CMD... runs CMD once and adds a line to FILE: wall seconds,
# user+system CPU seconds, max RSS in KiB, exit status.
measure() {
  local file=$1; shift
  local log="$OUT/time.log"
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || true
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 }
    /Maximum resident set size/ { r = $2 }
    /Exit status/ { x = $2 }
    END { printf "%.2f %.2f %d %d\n", w, u + s, r, x }' "$log" >> "$file"
  cp "$log" "$file.log"
}

# The floor over every capture: its times add up, its peak is the largest.
measure_floor() {
  : > "$OUT/runs-floor-each.txt"
  for c in "${caps[@]}"; do
    measure "$OUT/runs-floor-each.txt" "$floor" "$c"
  done
  awk '{ w += $1; c += $2; if ($3 > r) r = $3; if ($4 != 0) x = $4 }
    END { printf "%.2f %.2f %d %d\n", w, c, r, x }' "$OUT/runs-floor-each.txt" >> "$OUT/runs-floor.txt"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "timing $RUNS runs of each…" >&2
: > "$OUT/runs-floor.txt"
: > "$OUT/runs-vpnpcap.txt"
for _ in $(seq "$RUNS"); do
  measure_floor
  measure "$OUT/runs-vpnpcap.txt" "${cmd[@]}"
done

status=$(awk '{print $4}' "$OUT/runs-vpnpcap.txt" | sort -u | tr '\n' ' ')
if [ "$status" != "0 " ]; then
  echo "bench: vpnpcap exited with status $status; see $OUT/runs-vpnpcap.txt.log" >&2
  exit 1
fi

wall_ratio=$(paste "$OUT/runs-vpnpcap.txt" "$OUT/runs-floor.txt" | awk '$5 > 0 { print $1 / $5 }' | median)
cpu_ratio=$(paste "$OUT/runs-vpnpcap.txt" "$OUT/runs-floor.txt" | awk '$6 > 0 { print $2 / $6 }' | median)
printf '\nvpnpcap %s against %s\n' "$what" "$floor_name"
printf '%-10s %8s %8s %12s\n' "" "wall s" "cpu s" "max RSS MiB"
for name in floor vpnpcap; do
  f="$OUT/runs-$name.txt"
  w=$(awk '{print $1}' "$f" | median)
  c=$(awk '{print $2}' "$f" | median)
  r=$(awk '{print $3}' "$f" | median)
  awk -v n="$name" -v w="$w" -v c="$c" -v r="$r" 'BEGIN { printf "%-10s %8.2f %8.2f %12.1f\n", n, w, c, r / 1024 }'
done
if [ -z "$wall_ratio" ] || [ -z "$cpu_ratio" ]; then
  echo "ratio to the floor: the floor took no measurable time; use a larger capture"
else
  awk -v w="$wall_ratio" -v c="$cpu_ratio" -v n="$RUNS" 'BEGIN { printf "\nratio to the floor: wall %.2f×, cpu %.2f× (medians of %d pairwise ratios)\n", w, c, n }'
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "per-run figures: $OUT/runs-*.txt (wall s, cpu s, RSS KiB, exit status)"
