#!/usr/bin/env bash
# bench/rtmp.sh: RTMP video-on-demand load, OpenFront's RTMP edge against
# nginx with its RTMP module (Debian libnginx-mod-rtmp), same file, same
# players, same run. Writes bench/RTMP-RESULTS.md.
#
# One 10 s H.264/AAC MP4 (testsrc + sine) is generated with ffmpeg. OpenFront
# reads it from a moto S3 bucket through --s3-endpoint (ranged reads, edge
# cache); nginx-rtmp plays it from local disk (`play <dir>`), its only VOD
# source. PLAYERS (200) concurrent `ffmpeg -c copy -f null` players start
# within a second against each server; a session counts as complete when
# ffmpeg exits 0 having received every video frame. Reported per server:
# complete sessions, wall time, CPU seconds (utime+stime of the server
# processes over the run), peak RSS (VmHWM); for OpenFront also the origin
# GETs of the object (moto's log) and the time to first frame.
#
# Pinning on a 2-core machine, as bench/run.sh: servers on CPU $SERVER_CPU
# (OpenFront with GOMAXPROCS=1, nginx with one worker), moto on
# CPU $CLIENT_CPU; the players run on any CPU (200 ffmpeg start-ups on one
# core would measure ffmpeg, not the servers).
#
# Knobs: PLAYERS (200), SECONDS_LONG (10), SERVER_CPU (1), CLIENT_CPU (0),
# OUT (bench/RTMP-RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"
for tool in ffmpeg ffprobe nginx taskset; do
  command -v "$tool" >/dev/null || { echo "bench/rtmp.sh: $tool missing (apt-get install -y ffmpeg nginx libnginx-mod-rtmp util-linux)" >&2; exit 1; }
done
[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || { echo "bench/rtmp.sh: libnginx-mod-rtmp missing" >&2; exit 1; }
python3 -c 'import moto, boto3' 2>/dev/null || { echo "bench/rtmp.sh: python3 moto[server] and boto3 needed" >&2; exit 1; }
exec python3 bench/rtmp_load.py "$@"
