"""Driver of bench/rtmp.sh (see there): OpenFront RTMP edge vs nginx-rtmp."""

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYERS = int(os.environ.get("PLAYERS", "200"))
LENGTH = int(os.environ.get("SECONDS_LONG", "10"))
SERVER_CPU = os.environ.get("SERVER_CPU", "1")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "0")
OUT = os.environ.get("OUT", os.path.join(ROOT, "bench", "RTMP-RESULTS.md"))
FPS = 25
TMP = tempfile.mkdtemp(prefix="openfront-rtmp-bench-")
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("port %d not listening" % port)


def start(args, log, cpu, env=None):
    f = open(os.path.join(TMP, log), "wb")
    p = subprocess.Popen(["taskset", "-c", cpu] + args, stdout=f, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=env)
    procs.append(p)
    return p


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    if not os.environ.get("KEEP"):
        shutil.rmtree(TMP, True)


def proc_tree(pid):
    """pid and its descendants."""
    out = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        children = []
    for c in children:
        out += proc_tree(int(c))
    return out


def cpu_seconds(pids):
    tck = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tck


def peak_rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def player(url, tcurl, results, i):
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error"]
    if tcurl:
        args += ["-rtmp_tcurl", tcurl]
    args += ["-i", url, "-map", "0", "-c", "copy", "-f", "null", "-", "-progress", "pipe:1"]
    t0 = time.time()
    first = None
    frames = 0
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("frame="):
            frames = int(line.split("=", 1)[1])
            if frames > 0 and first is None:
                first = time.time() - t0
    err = p.stderr.read()
    rc = p.wait()
    results[i] = (rc, frames, first, time.time() - t0, err.strip()[-200:])


def load(name, url, tcurl, server_pids):
    results = [None] * PLAYERS
    threads = [threading.Thread(target=player, args=(url, tcurl, results, i)) for i in range(PLAYERS)]
    cpu0 = cpu_seconds(server_pids())
    t0 = time.time()
    for i, t in enumerate(threads):
        t.start()
        if i % 20 == 19:
            time.sleep(0.05)
    for t in threads:
        t.join()
    wall = time.time() - t0
    pids = server_pids()
    cpu = cpu_seconds(pids) - cpu0
    rss = peak_rss_mib(pids)
    want = LENGTH * FPS
    ok = sum(1 for r in results if r[0] == 0 and r[1] == want)
    firsts = sorted(r[2] for r in results if r[2] is not None)
    errors = sorted({r[4] for r in results if r[0] != 0 or r[1] != want})
    return {"name": name, "ok": ok, "wall": wall, "cpu": cpu, "rss": rss,
            "ttff_p50": firsts[len(firsts) // 2] if firsts else None,
            "ttff_max": firsts[-1] if firsts else None,
            "frames_min": min(r[1] for r in results), "errors": errors[:5]}


def main():
    try:
        run()
    finally:
        cleanup()


def run():
    media = os.path.join(TMP, "media")
    os.makedirs(media)
    # nginx workers run as an unprivileged user: let them read the file.
    os.chmod(TMP, 0o755)
    clip = os.path.join(media, "clip10.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x360:rate=%d,noise=alls=20:allf=t" % FPS, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                    "-t", str(LENGTH), "-c:v", "libx264", "-preset", "veryfast", "-g", str(FPS), "-pix_fmt", "yuv420p",
                    "-b:v", "800k", "-maxrate", "800k", "-bufsize", "1600k", "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-shortest", clip], check=True)
    size = os.path.getsize(clip)

    # moto S3 origin.
    moto_port = free_port()
    start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], "moto.log", CLIENT_CPU)
    wait_port(moto_port)
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % moto_port, region_name="us-east-1",
                      aws_access_key_id="moto", aws_secret_access_key="moto", config=Config(retries={"total_max_attempts": 1}))
    s3.create_bucket(Bucket="media")
    s3.upload_file(clip, "media", "bench/clip10.mp4", ExtraArgs={"ACL": "public-read"})

    # OpenFront.
    binary = os.path.join(TMP, "openfront")
    subprocess.run(["go", "build", "-o", binary, "./cmd/openfront"], cwd=ROOT, check=True)
    api, rtmp_port = free_port(), free_port()
    env = dict(os.environ, GOMAXPROCS="1", OPENFRONT_ACCESS_KEY_ID="AKIABENCH", OPENFRONT_SECRET_ACCESS_KEY="bench",
               OPENFRONT_S3_ACCESS_KEY_ID="moto", OPENFRONT_S3_SECRET_ACCESS_KEY="moto")
    of = start([binary, "serve", "--data-dir", os.path.join(TMP, "of"), "--api-addr", "127.0.0.1:%d" % api,
                "--edge-addr", "127.0.0.1:%d" % free_port(), "--edge-tls-addr", "", "--rtmp-addr", "127.0.0.1:%d" % rtmp_port,
                "--s3-endpoint", "http://127.0.0.1:%d" % moto_port, "--log-level", "warn"], "openfront.log", SERVER_CPU, env)
    wait_port(rtmp_port)
    wait_port(api)
    cf = boto3.client("cloudfront", endpoint_url="http://127.0.0.1:%d" % api, region_name="us-east-1",
                      aws_access_key_id="AKIABENCH", aws_secret_access_key="bench")
    sd = cf.create_streaming_distribution(StreamingDistributionConfig={
        "CallerReference": uuid.uuid4().hex, "S3Origin": {"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
        "Aliases": {"Quantity": 0}, "Comment": "bench", "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "PriceClass": "PriceClass_All", "Enabled": True})["StreamingDistribution"]
    for _ in range(100):
        if cf.get_streaming_distribution(Id=sd["Id"])["StreamingDistribution"]["Status"] == "Deployed":
            break
        time.sleep(0.05)

    # nginx-rtmp, one worker, same file from disk.
    nginx_port = free_port()
    conf = os.path.join(TMP, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
daemon off;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:%(port)d;
        application vod { play %(media)s; }
    }
}
""" % {"tmp": TMP, "port": nginx_port, "media": media})
    ng = start(["nginx", "-p", TMP, "-c", conf], "nginx.log", SERVER_CPU)
    wait_port(nginx_port)

    results = []
    # Warm-up: one play each (OpenFront's first play fills the cache).
    url_of = "rtmp://127.0.0.1:%d/cfx/st/mp4:bench/clip10.mp4" % rtmp_port
    tc_of = "rtmp://%s:%d/cfx/st" % (sd["DomainName"], rtmp_port)
    url_ng = "rtmp://127.0.0.1:%d/vod/mp4:clip10.mp4" % nginx_port
    gets = lambda: sum(1 for l in open(os.path.join(TMP, "moto.log"), errors="replace") if "GET /media/bench/clip10.mp4" in l)
    gets0 = gets()
    results.append(load("OpenFront (cold cache)", url_of, tc_of, lambda: proc_tree(of.pid)))
    gets_cold = gets() - gets0
    results.append(load("nginx-rtmp", url_ng, None, lambda: proc_tree(ng.pid)))
    gets1 = gets()
    results.append(load("OpenFront (warm cache)", url_of, tc_of, lambda: proc_tree(of.pid)))
    gets_warm = gets() - gets1

    blocks = -(-size // (256 << 10))
    lines = ["# RTMP load: OpenFront RTMP edge vs nginx-rtmp", "",
             "Generated by `bench/rtmp.sh` on %s (%s, %d CPUs, Linux %s), %s." % (
                 platform.node(), platform.machine(), os.cpu_count(), platform.release(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
             "",
             "- Media: one %d s H.264/AAC MP4, 640x360 %d fps, %d bytes (%d blocks of 256 KiB)." % (LENGTH, FPS, size, blocks),
             "- Players: %d concurrent `ffmpeg -c copy -f null` (real RTMP clients), started within ~0.5 s, free to run on every CPU (moto on CPU %s)." % (PLAYERS, CLIENT_CPU),
             "- Servers pinned to CPU %s: OpenFront with GOMAXPROCS=1 reading from moto S3 via `--s3-endpoint`; nginx 1.22 + libnginx-mod-rtmp, one worker, `play` from local disk." % SERVER_CPU,
             "- A session is complete when ffmpeg exits 0 having received all %d video frames." % (LENGTH * FPS),
             "- CPU = user+system seconds of the server's processes during the run; RSS = peak resident set (VmHWM) since the server started.",
             "",
             "| server | complete sessions | wall (s) | server CPU (s) | peak RSS (MiB) | time to first frame p50 / max (s) |",
             "|---|---|---|---|---|---|"]
    for r in results:
        ttff = "%.2f / %.2f" % (r["ttff_p50"], r["ttff_max"]) if r["ttff_p50"] is not None else "-"
        lines.append("| %s | %d / %d | %.1f | %.2f | %.1f | %s |" % (r["name"], r["ok"], PLAYERS, r["wall"], r["cpu"], r["rss"], ttff))
    lines += ["",
              "Origin GETs of the object (moto log): %d during the cold-cache run (%d blocks: each block read once, "
              "concurrent misses collapsed by the edge cache), %d during the warm run." % (gets_cold, blocks, gets_warm), ""]
    for r in results:
        if r["errors"]:
            lines.append("Errors (%s, up to 5 distinct): %s" % (r["name"], "; ".join(repr(e) for e in r["errors"])))
    lines += ["", "Notes:", "",
              "- Both servers pace media in real time after an initial burst (the player's buffer length plus a lead), "
              "so wall time is about the clip length plus start-up; CPU is the comparable figure.",
              "- This machine is shared with other jobs; figures are indicative, rerun for publication.", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
