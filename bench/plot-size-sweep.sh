#!/usr/bin/env bash
# Plots the packet size sweep of a qseqpacket-bench CSV (--csv) as a PNG: throughput against
# packet size for QSeqpacket, raw sendmmsg/recvmmsg and QLocalSocket with framing.
# Needs gnuplot (Debian: apt-get install gnuplot-nox).
#
#   bench/plot-size-sweep.sh results.csv docs/benchmarks-size-sweep.png ["subtitle"]
set -euo pipefail

csv=${1:?usage: plot-size-sweep.sh RESULTS.csv OUTPUT.png [SUBTITLE]}
png=${2:?usage: plot-size-sweep.sh RESULTS.csv OUTPUT.png [SUBTITLE]}
subtitle=${3:-}
command -v gnuplot >/dev/null || { echo "plot-size-sweep.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The CSV's text fields hold no commas, so a plain split works. Columns: section,key,label,param,
# unit,median,min,max,... ; sweep keys are sweep/SIZE/{raw,qseqpacket,qlocalsocket}.
for tech in raw qseqpacket qlocalsocket; do
    awk -F, -v tech="$tech" '
        NR > 1 && $2 ~ ("^sweep/[0-9]+/" tech "$") {
            # size, packets/s (median, min, max), MB/s (median, min, max)
            printf "%s %s %s %s %s %s %s\n", $4, $6, $7, $8, $6 * $4 / 1e6, $7 * $4 / 1e6, $8 * $4 / 1e6
        }' "$csv" | sort -n > "$work/$tech.dat"
    [ -s "$work/$tech.dat" ] || { echo "plot-size-sweep.sh: no sweep rows for $tech in $csv" >&2; exit 1; }
done

gnuplot <<EOF
set terminal pngcairo size 1400,620 font "DejaVu Sans,11"
set output "$png"
set multiplot layout 1,2 title "QSeqpacket packet size sweep: one way, same technique at both ends (median; bars: min-max)\n{/*0.85 $subtitle}"
set logscale xy
set format y "%.0s %c"
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set xlabel "packet (message) size, bytes"
set xtics ("16" 16, "64" 64, "256" 256, "1 Ki" 1024, "4 Ki" 4096, "16 Ki" 16384, "64 Ki" 65536)
set key top left box opaque
set style line 1 lc rgb "#1f77b4" lw 2 pt 7 ps 1.2
set style line 2 lc rgb "#2ca02c" lw 2 pt 5 ps 1.2
set style line 3 lc rgb "#d62728" lw 2 pt 9 ps 1.4

set title "payload throughput"
set ylabel "MB/s (10^6 payload bytes per second)"
plot "$work/raw.dat" using 1:5:6:7 with yerrorlines ls 2 title "raw sendmmsg -> recvmmsg", \
     "$work/qseqpacket.dat" using 1:5:6:7 with yerrorlines ls 1 title "QSeqpacketSocket -> QSeqpacketSocket", \
     "$work/qlocalsocket.dat" using 1:5:6:7 with yerrorlines ls 3 title "QLocalSocket -> QLocalSocket (4-byte frames)"

set title "message rate"
set ylabel "packets (messages) per second"
set key bottom left box opaque
plot "$work/raw.dat" using 1:2:3:4 with yerrorlines ls 2 title "raw sendmmsg -> recvmmsg", \
     "$work/qseqpacket.dat" using 1:2:3:4 with yerrorlines ls 1 title "QSeqpacketSocket -> QSeqpacketSocket", \
     "$work/qlocalsocket.dat" using 1:2:3:4 with yerrorlines ls 3 title "QLocalSocket -> QLocalSocket (4-byte frames)"
unset multiplot
EOF
echo "wrote $png"
