#!/usr/bin/env bash
# Tries the deployment of docs/DEPLOY.md on this machine, from the files of this folder:
# a throwaway PostgreSQL (set up by postgres.sql), two `kehou serve` instances reading
# kehou.toml, nginx with nginx.conf in front (TLS with a self-signed certificate). Then it
# checks, through nginx, what a city's IT department would: the redirect to https, login,
# the client address kehou records, an import whose job either instance claims, the event
# stream, /metrics closed outside and open on each instance, one instance stopped while the
# other serves, a backup and its restore, and a key rotation while serving. Everything lives
# in a temporary folder, removed at the end.
#
# Needs: PostgreSQL's server binaries, nginx, openssl, curl, python3 (Debian: postgresql
# nginx-light openssl curl python3). KEHOU_BIN names the kehou binary; default: built here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || fail "PostgreSQL server binaries not found (apt-get install postgresql)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || fail "nginx not found (apt-get install nginx-light)"
for tool in openssl curl python3; do command -v "$tool" >/dev/null || fail "$tool not found"; done

if [ -z "${KEHOU_BIN:-}" ]; then
  say "cargo build -p kehou"
  (cd "$repo" && cargo build -p kehou --locked)
  target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  KEHOU_BIN="$target_dir/debug/kehou"
fi
[ -x "$KEHOU_BIN" ] || fail "no kehou binary at $KEHOU_BIN"

work=$(mktemp -d /tmp/kehou-try.XXXXXX)
chmod 755 "$work"
pids=()
pg_started=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  if [ -n "$pg_started" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

say "PostgreSQL (throwaway cluster), set up with deploy/postgres.sql"
pg_port=$(free_port)
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
pg_started=1
db_password="try-$(openssl rand -hex 8)"
"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 \
  -v password="'$db_password'" -f "$here/postgres.sql" >/dev/null

say "Key and configuration (deploy/kehou.toml)"
key=$("$KEHOU_BIN" key generate 2>/dev/null)
[[ "$key" =~ ^[0-9a-f]{32}$ ]] || fail "kehou key generate printed '$key'"
mkdir -p "$work/etc" "$work/files"
sed -e "s|^database_url = .*|database_url = \"postgres://kehou:$db_password@127.0.0.1:$pg_port/kehou\"|" \
    -e "s|^personal_data_key = .*|personal_data_key = \"$key\"|" \
    -e "s|^files_dir = .*|files_dir = \"$work/files\"|" \
    "$here/kehou.toml" > "$work/etc/kehou.toml"
chmod 600 "$work/etc/kehou.toml"
export KEHOU_CONFIG="$work/etc/kehou.toml"
export KEHOU_LOG=warn

# A missing key is refused with a clear message before anything happens.
out=$(KEHOU_DATABASE_URL="postgres://kehou:$db_password@127.0.0.1:$pg_port/kehou" KEHOU_CONFIG=/dev/null \
  "$KEHOU_BIN" serve --bind 127.0.0.1:0 2>&1 || true)
grep -q "no personal data key" <<<"$out" || fail "start without a key: $out"

say "Migrate and load the demo data"
"$KEHOU_BIN" migrate
"$KEHOU_BIN" demo --load-only >/dev/null

say "Two instances (as systemd's kehou@.service starts them)"
ports=()
for i in 1 2; do
  port=$(free_port)
  ports+=("$port")
  KEHOU_LOG_FORMAT=json KEHOU_LOG=info,sqlx=warn "$KEHOU_BIN" serve --bind "127.0.0.1:$port" \
    >"$work/instance$i.log" 2>&1 &
  pids+=("$!")
done
for i in 0 1; do
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:${ports[$i]}/readyz" >/dev/null && break
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:${ports[$i]}/readyz" >/dev/null || fail "instance $((i + 1)) not ready: $(curl -s "http://127.0.0.1:${ports[$i]}/readyz")"
done
echo "instances ready on ${ports[*]} (pids ${pids[*]})"
head -c 300 "$work/instance1.log" | grep -q '^{"timestamp"' || fail "instance logs are not JSON lines"

say "nginx with deploy/nginx.conf (self-signed certificate)"
http_port=$(free_port)
https_port=$(free_port)
mkdir -p "$work/nginx/tls" "$work/nginx/temp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=kehou.example.edu.cn" \
  -keyout "$work/nginx/tls/privkey.pem" -out "$work/nginx/tls/fullchain.pem" 2>/dev/null
sed -e "s|127.0.0.1:8081|127.0.0.1:${ports[0]}|" -e "s|127.0.0.1:8082|127.0.0.1:${ports[1]}|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" -e "s|listen 443 |listen 127.0.0.1:$https_port |" \
    -e "s|https://\$host\$request_uri|https://\$host:$https_port\$request_uri|" \
    -e "s|/etc/kehou/tls/|$work/nginx/tls/|" \
    "$here/nginx.conf" > "$work/nginx/kehou.conf"
cat > "$work/nginx/nginx.conf" <<EOF
user $(id -un) $(id -gn);
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/temp/body;
  proxy_temp_path $work/nginx/temp/proxy;
  fastcgi_temp_path $work/nginx/temp/fastcgi;
  uwsgi_temp_path $work/nginx/temp/uwsgi;
  scgi_temp_path $work/nginx/temp/scgi;
  include $work/nginx/kehou.conf;
}
EOF
"$nginx_bin" -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf"
curl_k() { curl -sk --resolve "kehou.example.edu.cn:$https_port:127.0.0.1" "$@"; }
base="https://kehou.example.edu.cn:$https_port"

say "Checks through nginx"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: kehou.example.edu.cn' "http://127.0.0.1:$http_port/login")
[[ "$code" == "301 https://kehou.example.edu.cn:$https_port/login" ]] || fail "http is not redirected to https: $code"
echo "ok  http → https redirect"
[ "$(curl_k -o /dev/null -w '%{http_code}' "$base/login")" = 200 ] || fail "login page"
echo "ok  login page over https"

# Log in as the school's admin, pretending to come from another address: kehou must
# record the address nginx saw, not the one the client claimed.
token=$(curl_k -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -H 'X-Forwarded-For: 203.0.113.7' -d '{"phone":"13800000004","password":"Demo@2026"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
[ -n "$token" ] || fail "login through nginx"
echo "ok  login through nginx"
ip=$("$pg_bin/psql" -qtA -h 127.0.0.1 -p "$pg_port" -U postgres -d kehou \
  -c "SELECT ip FROM audit_events WHERE action = 'auth.login' ORDER BY id DESC LIMIT 1")
[ "$ip" = "127.0.0.1" ] || fail "the login was recorded from '$ip', not from the address nginx saw"
echo "ok  client address from nginx (a forged X-Forwarded-For is ignored): $ip"

auth=(-H "Authorization: Bearer $token")
school=$(curl_k "${auth[@]}" "$base/api/v1/orgs?q=%E7%A4%BA%E4%BE%8B%E7%AC%AC%E4%B8%80%E5%B0%8F%E5%AD%A6" |
  python3 -c 'import json,sys; print([o["id"] for o in json.load(sys.stdin)["items"] if o["name"]=="示例第一小学"][0])')

# Two imports: each is a job in the shared queue, claimed by whichever instance's worker
# is free first.
claimed=()
for round in 1 2; do
  "$KEHOU_BIN" sample-roster "$work/roster$round.xlsx" --students 60 --prefix "T$round" --seed "$round" >/dev/null
  job=$(curl_k "${auth[@]}" -X POST \
    -H 'content-type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' \
    --data-binary "@$work/roster$round.xlsx" \
    "$base/api/v1/schools/$school/imports/students?mode=all_or_nothing&file_name=roster$round.xlsx" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  status=""
  for _ in $(seq 1 240); do
    view=$(curl_k "${auth[@]}" "$base/api/v1/schools/$school/imports/jobs/$job")
    status=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$view")
    [ "$status" = finished ] || [ "$status" = failed ] && break
    sleep 0.5
  done
  [ "$status" = finished ] || fail "import job $job: $status — $view"
  created=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["outcome"]["created"])' "$view")
  [ "$created" = 60 ] || fail "import job $job created $created students, not 60: $view"
  worker=$("$pg_bin/psql" -qtA -h 127.0.0.1 -p "$pg_port" -U postgres -d kehou \
    -c "SELECT locked_by FROM jobs WHERE id = $job")
  who="another process"
  for i in 0 1; do [[ "$worker" == "${pids[$i]}-"* ]] && who="instance $((i + 1))"; done
  [ "$who" != "another process" ] || fail "job $job claimed by unknown worker $worker"
  claimed+=("$who")
  echo "ok  import job $job: 60 students created, claimed by $who (worker $worker)"
done

# The event stream answers at once through nginx, unbuffered (the first bytes arrive
# before the stream ends).
# The parent logs in on the login page (its CSRF cookie and field) to open the stream.
jar="$work/cookies"
csrf=$(curl_k -c "$jar" "$base/login?by=password" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$csrf" ] || fail "no CSRF field on the login page"
curl_k -o /dev/null -b "$jar" -c "$jar" -X POST "$base/login" --data-urlencode "_csrf=$csrf" \
  --data-urlencode mode=password --data-urlencode next=/ \
  --data-urlencode phone=13800000007 --data-urlencode password=Demo@2026
grep -q kehou_session "$jar" || fail "page login through nginx gave no session cookie"
first=$(curl_k -N --max-time 4 -b "$jar" "$base/messages/stream" 2>/dev/null | head -c 200 || true)
[ -n "$first" ] || fail "the event stream sent nothing within 4 s through nginx"
echo "ok  page login and event stream through nginx"

[ "$(curl_k -o /dev/null -w '%{http_code}' "$base/metrics")" = 404 ] || fail "/metrics is open through nginx"
for i in 0 1; do
  curl -sf "http://127.0.0.1:${ports[$i]}/metrics" | grep -q '^kehou_http_requests_total' ||
    fail "/metrics of instance $((i + 1))"
done
echo "ok  /metrics closed through nginx, open on each instance"

# One instance stops (an upgrade, a crash): the other keeps serving through nginx.
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
for _ in 1 2 3 4; do
  [ "$(curl_k -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/api/v1/orgs/$school")" = 200 ] ||
    fail "requests fail with one instance stopped"
done
echo "ok  instance 1 stopped, instance 2 serves every request"

say "Backup (pg_dump of one snapshot, with its manifest)"
"$KEHOU_BIN" backup "$work/backup" | tail -n 2
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["engine"]=="postgres" and m["rows"]["students"]>0, m' \
  "$work/backup/manifest.json" || fail "backup manifest"
echo "ok  backup with manifest"

say "Restore into a new empty database (docs/DEPLOY.md §8)"
"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE kehou_restored OWNER kehou" >/dev/null
restored_url="postgres://kehou:$db_password@127.0.0.1:$pg_port/kehou_restored"
"$KEHOU_BIN" restore --db "$restored_url" "$work/backup" | tail -n 1
out=$("$KEHOU_BIN" restore --db "$restored_url" "$work/backup" 2>&1 || true)
grep -q "不是空的" <<<"$out" || fail "a restore over a non-empty database: $out"
KEHOU_DATABASE_URL="$restored_url" "$KEHOU_BIN" check >/dev/null || fail "kehou check on the restored database"
echo "ok  restored, checked, and a second restore over it refused"

say "Key rotation while instance 2 serves (docs/DEPLOY.md §9)"
new_key=$("$KEHOU_BIN" key generate 2>/dev/null)
sed -i -e "s|^personal_data_key = .*|personal_data_key = \"$new_key\"|" \
    -e "s|^# previous_data_keys = .*|previous_data_keys = [\"$key\"]|" "$KEHOU_CONFIG"
kill "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
KEHOU_LOG_FORMAT=json KEHOU_LOG=info,sqlx=warn "$KEHOU_BIN" serve --bind "127.0.0.1:${ports[1]}" \
  >>"$work/instance2.log" 2>&1 &
pids[1]=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:${ports[1]}/readyz" >/dev/null && break
  sleep 0.5
done
"$KEHOU_BIN" key rotate --batch 200 2>/dev/null | tail -n 1
"$KEHOU_BIN" key status | grep -q "待轮换 / left to rotate: 0" || fail "values left under the old key"
token=$(curl_k -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"phone":"13800000004","password":"Demo@2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
[ -n "$token" ] || fail "login through nginx after the rotation"
# The old key is no longer needed: without it the platform starts; with only it, it refuses.
sed -i -e "s|^previous_data_keys = .*|# previous_data_keys = []|" "$KEHOU_CONFIG"
"$KEHOU_BIN" key status >/dev/null || fail "start with the new key alone"
out=$(KEHOU_DATA_KEY="$key" "$KEHOU_BIN" key status 2>&1 || true)
grep -q "未配置的密钥" <<<"$out" || fail "the old key alone was not refused: $out"
echo "ok  rotated while serving; the new key alone reads the data, the old one alone is refused"

printf '\ntry-local: all checks passed (imports claimed by: %s)\n' "${claimed[*]}"
