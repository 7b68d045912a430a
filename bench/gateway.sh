#!/bin/sh
# Gateway artifact downloads and status API, beside nginx serving the same bytes in the same run:
#   bench/gateway.sh [artifact MiB (256)] [seconds per wrk run (15)] [rounds (3)]
# Needs Debian's nginx, wrk and curl. Prints a Markdown table with the gateway/nginx ratios.
set -eu
cd "$(dirname "$0")/.."
size_mib=${1:-256}
seconds=${2:-15}
rounds=${3:-3}
for tool in nginx wrk curl sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/gateway.sh needs $tool (apt-get install nginx wrk curl)" >&2; exit 2; }
done
mvn -q -B -ntp -DskipTests install
swarm=deploy/target/buildswarm/bin/swarm

work=$(mktemp -d)
swarm_pid=""
cleanup() {
  [ -n "$swarm_pid" ] && kill "$swarm_pid" 2>/dev/null && wait "$swarm_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/www" "$work/state"
chmod 755 "$work" "$work/www"   # nginx's workers run as an unprivileged user
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/www/artifact.bin"
chmod 644 "$work/www/artifact.bin"
sha=$(sha256sum "$work/www/artifact.bin" | cut -d' ' -f1)

# The swarm on its embedded default, one core for its drone (the drone stays idle).
"$swarm" up --port 0 --data "$work/state" --cores 1 > "$work/swarm.log" 2>&1 &
swarm_pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/.*UI and API: *\(http[^ ]*\).*/\1/p' "$work/swarm.log" | head -1)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { cat "$work/swarm.log" >&2; exit 1; }
url=${url%/}
token=$(cat "$work/state/admin.token")
curl -sf -X PUT -H "authorization: Bearer $token" -H "x-checksum-sha256: $sha" \
  --data-binary @"$work/www/artifact.bin" "$url/api/v1/artifacts/bench/artifact.bin/versions/1" > /dev/null
curl -sf "$url/api/v1/status" > "$work/www/status.json"
chmod 644 "$work/www/status.json"

# nginx as a distribution would run it for static files: sendfile, one worker per core, no access log.
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/json json; application/octet-stream bin; }
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  fastcgi_temp_path $work/nginx-fastcgi;
  uwsgi_temp_path $work/nginx-uwsgi;
  scgi_temp_path $work/nginx-scgi;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
EOF
nginx -p "$work" -c "$work/nginx.conf" &
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/status.json" && break
  sleep 0.1
done
nginx_url="http://127.0.0.1:$nginx_port"
gateway_artifact="$url/api/v1/artifacts/bench/artifact.bin/versions/1/content"

# Both must serve the same bytes.
[ "$(curl -sf "$gateway_artifact" | sha256sum | cut -d' ' -f1)" = "$sha" ]
[ "$(curl -sf "$nginx_url/artifact.bin" | sha256sum | cut -d' ' -f1)" = "$sha" ]

# bytes per second of one download
single() { curl -s -o /dev/null -w '%{speed_download}' "$1"; }
# median of a list of numbers
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# wrk's Transfer/sec in bytes, or Requests/sec
wrk_bytes() {
  wrk -t2 -c"$2" -d"${seconds}s" "$1" | awk '/Transfer\/sec/ {
    n = $2; u = n; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", n);
    m = (u == "GB") ? 1073741824 : (u == "MB") ? 1048576 : (u == "KB") ? 1024 : 1; printf "%.0f\n", n * m }'
}
wrk_requests() { wrk -t2 -c"$2" -d"${seconds}s" "$1" | awk '/Requests\/sec/ { printf "%.0f\n", $2 }'; }

# Warm both (JIT, page cache), then alternate gateway and nginx so drift hits both alike.
for _ in 1 2 3; do single "$gateway_artifact" > /dev/null; single "$nginx_url/artifact.bin" > /dev/null; done
wrk -t1 -c4 -d3s "$url/api/v1/status" > /dev/null

: > "$work/results"
for round in $(seq 1 "$rounds"); do
  for i in 1 2 3; do
    echo "single gateway $(single "$gateway_artifact")" >> "$work/results"
    echo "single nginx $(single "$nginx_url/artifact.bin")" >> "$work/results"
  done
  echo "parallel gateway $(wrk_bytes "$gateway_artifact" 4)" >> "$work/results"
  echo "parallel nginx $(wrk_bytes "$nginx_url/artifact.bin" 4)" >> "$work/results"
  echo "status gateway $(wrk_requests "$url/api/v1/status" 32)" >> "$work/results"
  echo "status nginx $(wrk_requests "$nginx_url/status.json" 32)" >> "$work/results"
  echo "live gateway $(wrk_requests "$url/health/live" 32)" >> "$work/results"
  echo "round $round of $rounds done" >&2
done

pick() { awk -v k="$1" -v w="$2" '$1 == k && $2 == w { print $3 }' "$work/results" | median; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB/s", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

sg=$(pick single gateway); sn=$(pick single nginx)
pg=$(pick parallel gateway); pn=$(pick parallel nginx)
stg=$(pick status gateway); stn=$(pick status nginx); lg=$(pick live gateway)
echo
echo "Date: $(date -u +%Y-%m-%d), $(nproc) cores; ${size_mib} MiB artifact; wrk -t2, ${seconds}s per run; medians of $rounds rounds."
echo
echo "| measurement | gateway | nginx | gateway ÷ nginx |"
echo "|---|---|---|---|"
echo "| one download at a time (curl) | $(mib "$sg") | $(mib "$sn") | $(ratio "$sg" "$sn") |"
echo "| 4 parallel downloads (wrk -c4) | $(mib "$pg") | $(mib "$pn") | $(ratio "$pg" "$pn") |"
echo "| GET /api/v1/status (wrk -c32), req/s | $stg | $stn (static copy of the same JSON) | $(ratio "$stg" "$stn") |"
echo "| GET /health/live (wrk -c32), req/s | $lg | | $(ratio "$lg" "$stn") |"
