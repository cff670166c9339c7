#!/usr/bin/env bash
# podvault benchmark: backup and restore through podvault's API against stock pg_dump and psql, on one
# throwaway PostgreSQL 15 with default settings, warm and as the first job after a start; the import of a
# PinePods backup file against PinePods' own restore of it; plus podvault's peak heap and the latency of two API
# calls with and without a backup streaming. It prints figures and ratios; it judges nothing, and exits non-zero
# only when something broke.
#
#   bash bench/run.sh                                    # text shape: 500 000 episodes, 2 000 000 history rows
#   bash bench/run.sh --shape history                    # history shape: 2 200 000 rows
#   bash bench/run.sh --shape history --rows 5000000     # either shape at about N rows in all
#   bash bench/run.sh --episodes 20000 --history 80000   # text shape at these counts
#   bash bench/run.sh --rows 50000 --runs 1 --warmups 0  # a quick trial (the medians are then single runs)
#
#   --shape text|history  text: PinePods-shaped prose in episodes and podcasts (PinePodsData.fillLarge);
#                         history: short rows, most in listening history, episodes and gPodder actions and
#                         subscriptions, a few in every other table (HistoryData)
#   --rows N              about N rows in all (default: text 2.63 million, history 2.2 million)
#   --runs N              timed pairs in each series (default 5 for the warm backups, 3 for the others)
#   --first-runs N        timed pairs in the first-job series alone, whatever --runs says (to compare the first job
#                         after a start between two builds with more pairs than the other series need)
#   --warmups N           untimed pairs before the warm series (default 3 for backups, 1 for restores and imports)
#   --requests N          latency samples per endpoint and condition (default 200)
#   --keep-logs DIR       copies podvault's, PostgreSQL's and the data generator's logs into DIR at the end
#
# bash bench/matrix.sh runs both shapes at two sizes and prints one table of the summaries.
# Needs root (to install PostgreSQL 15 if missing and to run it as the postgres user), Java 17, Maven, curl.
# Everything it writes, apart from the build in target/, lives in one temp dir that is removed at exit.
set -euo pipefail

SHAPE=text
ROWS=""
EPISODES=""
HISTORY=""
BACKUP_WARMUPS=3  # untimed backup runs of each tool first (printed, not in the medians)
BACKUP_RUNS=5     # then timed runs of each tool, alternating; the median is reported
RESTORE_WARMUPS=1
RESTORE_RUNS=3
FIRST_RUNS=3    # podvault restarts for a first backup, and as many for a first restore
IMPORT_WARMUPS=1
IMPORT_RUNS=3
REQUESTS=200    # latency samples per endpoint and condition
XMX=256m
PG_BIN=/usr/lib/postgresql/15/bin
ADMIN=admin
ADMIN_PASSWORD=bench-admin-password
DB_ROLE=bench
DB_NAME=podvault
PSQL_DB=restore_psql
PINEPODS_DB=restore_pinepods
MAX_WAIT=7200   # seconds one restore may take
KEEP_LOGS=""
FIRST_RUNS_OPTION=""

usage() {
  echo "usage: bash bench/run.sh [--shape text|history] [--rows N | --episodes N --history N] [--runs N]" \
    "[--first-runs N] [--warmups N] [--requests N] [--keep-logs DIR]" >&2
  exit 2
}
count() { [[ $1 =~ ^[0-9]+$ ]] || usage; }
while (($#)); do
  (($# >= 2)) || usage
  case $1 in
    --shape) SHAPE=$2 ;;
    --rows) count "$2"; ROWS=$2 ;;
    --episodes) count "$2"; EPISODES=$2 ;;
    --history) count "$2"; HISTORY=$2 ;;
    --runs)
      count "$2"
      (($2 >= 1)) || usage
      BACKUP_RUNS=$2 RESTORE_RUNS=$2 FIRST_RUNS=$2 IMPORT_RUNS=$2
      ;;
    --first-runs)
      count "$2"
      (($2 >= 1)) || usage
      FIRST_RUNS_OPTION=$2
      ;;
    --warmups) count "$2"; BACKUP_WARMUPS=$2 RESTORE_WARMUPS=$2 IMPORT_WARMUPS=$2 ;;
    --requests)
      count "$2"
      (($2 >= 1)) || usage
      REQUESTS=$2
      ;;
    --keep-logs) KEEP_LOGS=$(mkdir -p "$2" && cd "$2" && pwd) || usage ;;
    *) usage ;;
  esac
  shift 2
done
[[ $SHAPE == text || $SHAPE == history ]] || usage
FIRST_RUNS=${FIRST_RUNS_OPTION:-$FIRST_RUNS}
DATA_ARGS=(--shape "$SHAPE")
if [[ -n $EPISODES || -n $HISTORY ]]; then
  [[ $SHAPE == text && -z $ROWS ]] || usage
  DATA_ARGS+=(--episodes "${EPISODES:-500000}" --history "${HISTORY:-2000000}")
elif [[ -n $ROWS ]]; then
  DATA_ARGS+=(--rows "$ROWS")
fi

# Decimal points in EPOCHREALTIME, awk and printf, whatever the caller's locale.
unset LC_ALL
export LC_NUMERIC=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Other work on the machine skews every figure; the load averages are printed with them.
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "FAILED: $*"
  exit 1
}
# Runs a command with its output in a log file; on failure shows the log's tail and stops.
logged() {
  local logfile=$1
  shift
  if ! "$@" >"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2 || true
    die "$* (log above)"
  fi
}
# PostgreSQL refuses to run as root; run its server-side tools as the postgres user.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
human_size() {
  awk -v n="$(stat -c %s "$1")" 'BEGIN {
    if (n >= 1073741824) printf "%.2f GiB", n / 1073741824; else printf "%.1f MiB", n / 1048576 }'
}
# Nearest-rank percentile of a file of seconds, in milliseconds.
percentile_ms() {
  sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
    i = int(p / 100 * NR); if (i < p / 100 * NR) i++; if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'
}
# A TCP port nobody listens on (a failed connect means free; good enough for a private benchmark).
free_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------------------
# 1. PostgreSQL 15, a throwaway cluster

if [[ ! -x $PG_BIN/postgres || ! -x $PG_BIN/pg_dump ]]; then
  ((EUID == 0)) || die "PostgreSQL 15 is missing and installing it needs root"
  log "installing PostgreSQL 15"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y postgresql-15 postgresql-client-15; then
    apt-get update
    apt-get install -y postgresql-15 postgresql-client-15
  fi
fi

WORK=$(mktemp -d -t podvault-bench.XXXXXX)
PODVAULT_PID=""
BG_PID=""
cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  if [[ -n $BG_PID ]]; then # the background backup's subshell and its curl
    pkill -P "$BG_PID" 2>/dev/null
    kill "$BG_PID" 2>/dev/null
  fi
  [[ -n ${WATCH_PID:-} ]] && kill "$WATCH_PID" 2>/dev/null
  if [[ -n $PODVAULT_PID ]] && kill "$PODVAULT_PID" 2>/dev/null; then
    for ((i = 0; i < 120; i++)); do
      kill -0 "$PODVAULT_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$PODVAULT_PID" 2>/dev/null
  fi
  if [[ -f $WORK/pg/data/postmaster.pid ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w -t 120 stop >/dev/null
  fi
  if [[ -n $KEEP_LOGS ]]; then
    cp "$WORK/podvault.log" "$WORK/pg/server.log" "$WORK/data.log" "$KEEP_LOGS/" 2>/dev/null
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 711 "$WORK" # the postgres user must reach its directory below
mkdir -m 700 "$WORK/pg" "$WORK/files" "$WORK/podvault-data"
((EUID == 0)) && chown postgres: "$WORK/pg"
DB_PASS=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PG_PORT=$(free_port) || die "no free port"

log "starting PostgreSQL 15 on 127.0.0.1:$PG_PORT in $WORK/pg"
# Local (socket) connections are trusted: the socket sits in the private $WORK/pg. TCP needs the password.
logged "$WORK/initdb.log" as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256
logged "$WORK/pg_ctl.log" as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK/pg" start
# A superuser, like the role of podvault's embedded database; the data generators need one too.
logged "$WORK/roles.log" as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/pg" -p "$PG_PORT" -U postgres \
  -d postgres -c "CREATE ROLE $DB_ROLE LOGIN SUPERUSER PASSWORD '$DB_PASS'" -c "CREATE DATABASE $DB_NAME OWNER $DB_ROLE"

# Every client tool below connects over TCP with the role's password, as podvault does.
export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=$DB_ROLE PGPASSFILE=$WORK/pgpass
echo "127.0.0.1:$PG_PORT:*:$DB_ROLE:$DB_PASS" >"$PGPASSFILE"
chmod 600 "$PGPASSFILE"
DB_URL="postgresql://$DB_ROLE:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME"
sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# Before each timed run: waits (bounded) until no autovacuum worker runs, then flushes what earlier work
# left dirty, PostgreSQL's buffers and the kernel's (the last run's 600 MB output file among them), so no
# timed run shares the machine with another's after-effects.
quiesce() {
  local i
  # Autovacuum, and podvault's own work after a restore (dropping the replaced data, building the next restore's
  # spare schema): that DDL would also break a pg_dump started meanwhile ("cache lookup failed for index").
  for ((i = 0; i < 1200; i++)); do
    [[ $(sql -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'
      OR (application_name LIKE 'podvault%' AND state <> 'idle')") == 0 ]] && break
    sleep 0.5
  done
  sql -d postgres -c CHECKPOINT
  sync
}
# Every table of schema public with its row count, but the sign-in tables, whose rows PinePods' backup leaves
# out (podvault's import of such a file empties them).
row_counts() {
  sql -d "$1" -c "SELECT string_agg(tablename || '=' || (xpath('/row/n/text()', query_to_xml(
      format('SELECT count(*) AS n FROM public.%I', tablename), false, true, '')))[1]::text, ' ' ORDER BY tablename)
    FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('Sessions', 'GpodderSessions')"
}
check_counts() {
  [[ $(row_counts "$1") == "$EXPECTED_COUNTS" ]] || die "$2 holds other row counts: $(row_counts "$1")"
}

# ---------------------------------------------------------------------------------------------------
# 2. Build, then the data

cd "$REPO"
log "building podvault"
logged "$WORK/mvn-package.log" mvn -B -q package -DskipTests
if [[ ! -f target/test-classes/io/podvault/bench/BenchmarkData.class || ! -f target/test-classes/io/podvault/bench/JobWatch.class ]]; then
  logged "$WORK/mvn-test-compile.log" mvn -B -q test-compile
fi

log "generating data: ${DATA_ARGS[*]}"
t0=$EPOCHREALTIME
PODVAULT_DB_URL=$DB_URL PODVAULT_ADMIN_USERNAME=$ADMIN PODVAULT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  logged "$WORK/data.log" java -cp target/test-classes:target/podvault.jar io.podvault.bench.BenchmarkData \
  "${DATA_ARGS[@]}"
DATA=$(grep '^rows: ' "$WORK/data.log") || die "BenchmarkData printed no row counts"
TOTAL_ROWS=$(sed -n 's/.* total=\([0-9]*\).*/\1/p' <<<"$DATA")
# VACUUM sets the hint bits and visibility map, so the first reader (a timed run) does not write them.
sql -d "$DB_NAME" -c 'VACUUM ANALYZE'
EXPECTED_COUNTS=$(row_counts "$DB_NAME")
log "data ready in $(elapsed "$t0" "$EPOCHREALTIME") s: $DATA"

# ---------------------------------------------------------------------------------------------------
# 3. podvault as a separate process, each start with a GC log of its own (its heap, for the summary)

HTTP_PORT=$(free_port) || die "no free port"
BASE=http://127.0.0.1:$HTTP_PORT
STARTS=0
start_podvault() {
  local i
  PODVAULT_CONFIG=$REPO/conf/config.json PODVAULT_DB_URL=$DB_URL PODVAULT_HTTP_PORT=$HTTP_PORT \
    PODVAULT_DATA_DIR=$WORK/podvault-data PODVAULT_ADMIN_USERNAME=$ADMIN PODVAULT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    PODVAULT_MAX_UPLOAD_BYTES=$((64 * 1024 * 1024 * 1024)) \
    java "-Xmx$XMX" "-Xlog:gc:file=$WORK/gc-$((STARTS + 1)).log" -jar "$REPO/target/podvault.jar" >>"$WORK/podvault.log" 2>&1 &
  PODVAULT_PID=$!
  STARTS=$((STARTS + 1))
  for ((i = 0; ; i++)); do # every 100 ms: a first run's clock starts as soon as /health answers
    curl -sf -o /dev/null "$BASE/health" && break
    if ((i >= 1200)) || ! kill -0 "$PODVAULT_PID" 2>/dev/null; then
      tail -n 30 "$WORK/podvault.log" >&2
      die "podvault did not become healthy"
    fi
    sleep 0.1
  done
}
# SIGTERM, as an administrator's service manager stops it; it must end on its own.
stop_podvault() {
  local i
  kill "$PODVAULT_PID"
  for ((i = 0; i < 1200; i++)); do
    kill -0 "$PODVAULT_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$PODVAULT_PID" 2>/dev/null && die "podvault did not stop within 120 s of SIGTERM"
  wait "$PODVAULT_PID" || true
  PODVAULT_PID=""
}

log "starting podvault on $BASE"
start_podvault
# One JobWatch for the whole run: it tells when each restore has ended (podvault_restore).
coproc WATCH { exec java -cp target/test-classes:target/podvault.jar io.podvault.bench.JobWatch "$BASE" 2>>"$WORK/jobwatch.log"; }

LOGIN_JSON="{\"username\":\"$ADMIN\",\"password\":\"$ADMIN_PASSWORD\"}"
TOKEN=""
# Signs in and sets TOKEN; right at a restore's swap podvault answers 503 for a moment.
login() {
  local code i
  for ((i = 0; i < 150; i++)); do
    code=$(curl -sS -o "$WORK/login.json" -w '%{http_code}' -X POST "$BASE/api/auth/login" \
      -H 'Content-Type: application/json' -d "$LOGIN_JSON") || code=000
    case $code in
      200)
        TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$WORK/login.json")
        [[ -n $TOKEN ]] || die "sign-in answered without a token"
        return 0
        ;;
      503) sleep 0.2 ;;
      *) die "sign-in gave HTTP $code: $(cat "$WORK/login.json" 2>/dev/null)" ;;
    esac
  done
  die "sign-in kept answering 503"
}
# A fresh process for a first run: stopped, the database left quiet, started, signed in. The first run's clock
# starts when this returns, so the sign-in (about 0.2 s of argon2id) is not in it.
restart_podvault() {
  stop_podvault
  quiesce
  start_podvault
  login
}
# POSTs a backup request, writing the body to $1 (curl fails on an error status).
podvault_backup() {
  curl -sS -f -o "$1" -X POST "$BASE/api/data/backup_server" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"database_pass\":\"$DB_PASS\"}"
}
check_trailer() {
  tail -n 1 "$1" | grep -q '^-- podvault trailer:' || die "$1 does not end with podvault's trailer"
}
login

# ---------------------------------------------------------------------------------------------------
# 4. Backup: pg_dump -Fp and podvault, alternating

BACKUP=$WORK/files/backup.sql
PG_DUMP_FILE=$WORK/files/pg_dump.sql
DUMP_TIMES=()
BACKUP_TIMES=()
# The first runs of each tool are warm-ups, printed but left out of the medians: podvault's JIT compiler
# needs a few backups' worth of traffic to compile its hot paths (here its compiler threads used 0.85-1.1 s
# of CPU during each of the first three backups after a start, and 0.05-0.15 s later), and the first run
# of either tool fills the page cache for both. Each tool writes a new file: replacing last run's would make
# it pay for freeing 600 MB of the old one.
WARMUP_BACKUP=()
for ((run = 1; run <= BACKUP_WARMUPS + BACKUP_RUNS; run++)); do
  rm -f "$PG_DUMP_FILE"
  quiesce
  t0=$EPOCHREALTIME
  logged "$WORK/pg_dump.log" "$PG_BIN/pg_dump" -Fp -d "$DB_NAME" -f "$PG_DUMP_FILE"
  dump_time=$(elapsed "$t0" "$EPOCHREALTIME")
  rm -f "$BACKUP"
  quiesce
  t0=$EPOCHREALTIME
  podvault_backup "$BACKUP" || die "podvault backup run $run failed"
  backup_time=$(elapsed "$t0" "$EPOCHREALTIME")
  check_trailer "$BACKUP"
  if ((run <= BACKUP_WARMUPS)); then
    WARMUP_BACKUP+=("$dump_time/$backup_time")
    log "backup warm-up $run: pg_dump $dump_time s, podvault $backup_time s"
  else
    DUMP_TIMES+=("$dump_time")
    BACKUP_TIMES+=("$backup_time")
    log "backup run $((run - BACKUP_WARMUPS)): pg_dump $dump_time s, podvault $backup_time s"
  fi
done

# ---------------------------------------------------------------------------------------------------
# 5. Restore of podvault's file: psql into a fresh database, and podvault through its API, alternating

# Uploads file $1, checks that podvault took it as format $2, then waits for the job's end as the Settings page
# learns it, on the WebSocket (JobWatch, which opens its socket before the upload, inside the timed run); sets JOB
# and DONE_AT, the time the end was seen. The swap that replaces the data also ends every session, so the sign-in
# that follows is not timed, and the job is then checked to have succeeded. The password goes first, as the
# Settings page sends it, so podvault can derive the seal's key while the file still arrives. curl asks for
# 100-continue before the body, as a large upload's client may; podvault answers it as soon as the job holds its
# lock.
JOB=""
podvault_restore() {
  local code job reply
  echo "watch $TOKEN" >&"${WATCH[1]}"
  read -r -t 60 reply <&"${WATCH[0]}" || die "the job watch did not answer"
  [[ $reply == ready ]] || die "the job watch: $reply"
  code=$(curl -sS -o "$WORK/restore.json" -w '%{http_code}' -X POST "$BASE/api/data/restore_server" \
    -H "Authorization: Bearer $TOKEN" -F "database_pass=$DB_PASS" -F "backup_file=@$1") || code=000
  [[ $code == 202 ]] || die "restore upload gave HTTP $code: $(cat "$WORK/restore.json" 2>/dev/null)"
  grep -q "\"format\":\"$2\"" "$WORK/restore.json" || die "restore took $1 as another format: $(cat "$WORK/restore.json")"
  job=$(sed -n 's/.*"job_id":"\([^"]*\)".*/\1/p' "$WORK/restore.json")
  [[ -n $job ]] || die "restore answered without a job id"
  JOB=$job
  read -r -t "$MAX_WAIT" reply <&"${WATCH[0]}" || die "restore job $job did not end within $MAX_WAIT s"
  case $reply in
    "done succeeded "* | "done signout "*) DONE_AT=${reply##* } ;;
    *) die "restore job $job: $reply" ;;
  esac
  login
  code=$(curl -sS -o "$WORK/job.json" -w '%{http_code}' "$BASE/api/data/jobs/$job" \
    -H "Authorization: Bearer $TOKEN") || code=000
  [[ $code == 200 ]] && grep -q '"state":"succeeded"' "$WORK/job.json" \
    || die "restore job $job did not succeed: HTTP $code $(cat "$WORK/job.json" 2>/dev/null)"
}
# Times psql loading podvault's backup into a fresh database, checks it and drops it; sets PSQL_TIME.
psql_restore() {
  sql -d postgres -c "CREATE DATABASE $PSQL_DB OWNER $DB_ROLE"
  quiesce
  t0=$EPOCHREALTIME
  logged "$WORK/psql-restore.log" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$PSQL_DB" -f "$BACKUP"
  PSQL_TIME=$(elapsed "$t0" "$EPOCHREALTIME")
  check_counts "$PSQL_DB" "psql's restore"
  sql -d postgres -c "DROP DATABASE $PSQL_DB"
}
# The phases of restore job $1 as podvault's log times them ("validating 812 ms, loading ..."), if it does.
phases() {
  sed -n "s/.* $1: \([a-z]*\) took \([0-9]*\) ms\$/\1 \2 ms/p" "$WORK/podvault.log" | paste -sd, - | sed 's/,/, /g'
}
# Untimed: the vacuum autovacuum would soon start on the new tables, done now instead of during the next
# timed run (psql's database is dropped right after its run, so it leaves no such work behind).
after_podvault_restore() {
  check_counts "$DB_NAME" "$1"
  sql -d "$DB_NAME" -c 'VACUUM ANALYZE'
}

PSQL_TIMES=()
RESTORE_TIMES=()
WARMUP_RESTORE=()
for ((run = 1; run <= RESTORE_WARMUPS + RESTORE_RUNS; run++)); do
  psql_restore
  quiesce
  t0=$EPOCHREALTIME
  podvault_restore "$BACKUP" podvault
  restore_time=$(elapsed "$t0" "$DONE_AT")
  after_podvault_restore "podvault's restore"
  if ((run <= RESTORE_WARMUPS)); then
    WARMUP_RESTORE+=("$PSQL_TIME/$restore_time")
    log "restore warm-up $run: psql $PSQL_TIME s, podvault $restore_time s ($(phases "$JOB"))"
  else
    PSQL_TIMES+=("$PSQL_TIME")
    RESTORE_TIMES+=("$restore_time")
    log "restore run $((run - RESTORE_WARMUPS)): psql $PSQL_TIME s, podvault $restore_time s ($(phases "$JOB"))"
  fi
done

# ---------------------------------------------------------------------------------------------------
# 6. Latency of sign-in and /me, idle and while a backup streams (sequential, loopback)

login
# Appends one sign-in and one /me time (seconds) to $1 and $2.
sample_pair() {
  local code secs
  read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "$BASE/api/auth/login" \
    -H 'Content-Type: application/json' -d "$LOGIN_JSON")
  [[ $code == 200 ]] || die "sign-in during the latency test gave HTTP $code"
  echo "$secs" >>"$1"
  read -r code secs < <(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE/api/auth/me" \
    -H "Authorization: Bearer $TOKEN")
  [[ $code == 200 ]] || die "/api/auth/me during the latency test gave HTTP $code"
  echo "$secs" >>"$2"
}

log "latency: $REQUESTS sign-ins and $REQUESTS /me calls, idle"
for ((i = 0; i < REQUESTS; i++)); do
  sample_pair "$WORK/idle-login" "$WORK/idle-me"
done

# A background backup writes its exit status to $WORK/bg.rc when it ends; a new one is started whenever
# the last has ended, so every sample is taken while a backup is streaming.
BG_FILE=$WORK/files/bg-backup.sql
BG_BACKUPS=0
finish_background_backup() {
  wait "$BG_PID" || true
  BG_PID=""
  [[ $(cat "$WORK/bg.rc") == 0 ]] || die "background backup failed"
  check_trailer "$BG_FILE"
}
start_background_backup() {
  local i
  rm -f "$WORK/bg.rc" "$BG_FILE"
  (
    rc=0
    podvault_backup "$BG_FILE" || rc=$?
    echo "$rc" >"$WORK/bg.rc"
  ) &
  BG_PID=$!
  BG_BACKUPS=$((BG_BACKUPS + 1))
  for ((i = 0; i < 600; i++)); do # until the first bytes arrive: the dump is streaming
    [[ -s $BG_FILE || -f $WORK/bg.rc ]] && return 0
    sleep 0.05
  done
  die "the background backup sent nothing for 30 s"
}
log "latency: the same while backups stream"
start_background_backup
for ((i = 0; i < REQUESTS; i++)); do
  if [[ -f $WORK/bg.rc ]]; then
    finish_background_backup
    start_background_backup
  fi
  sample_pair "$WORK/busy-login" "$WORK/busy-me"
done
for ((i = 0; i < 7200; i++)); do # let the last one end cleanly
  [[ -f $WORK/bg.rc ]] && break
  sleep 0.5
done
finish_background_backup
rm -f "$BG_FILE"

# ---------------------------------------------------------------------------------------------------
# 7. The first job after a start: a fresh podvault process for each timed backup and each timed restore, each
# paired with a run of the stock tool just before it. What the warm-ups above leave out is measured here: class
# loading, the JIT compiler, whatever podvault prepares once per process (the restore's seal key among it).

FIRST_BACKUP=$WORK/files/first-backup.sql
FIRST_DUMP_TIMES=()
FIRST_BACKUP_TIMES=()
FIRST_PSQL_TIMES=()
FIRST_RESTORE_TIMES=()
for ((run = 1; run <= FIRST_RUNS; run++)); do
  rm -f "$PG_DUMP_FILE"
  quiesce
  t0=$EPOCHREALTIME
  logged "$WORK/pg_dump.log" "$PG_BIN/pg_dump" -Fp -d "$DB_NAME" -f "$PG_DUMP_FILE"
  dump_time=$(elapsed "$t0" "$EPOCHREALTIME")
  rm -f "$FIRST_BACKUP"
  restart_podvault
  t0=$EPOCHREALTIME
  podvault_backup "$FIRST_BACKUP" || die "podvault's first backup after start $STARTS failed"
  backup_time=$(elapsed "$t0" "$EPOCHREALTIME")
  check_trailer "$FIRST_BACKUP"
  FIRST_DUMP_TIMES+=("$dump_time")
  FIRST_BACKUP_TIMES+=("$backup_time")
  log "first backup after a start, run $run: pg_dump $dump_time s, podvault $backup_time s"

  psql_restore
  restart_podvault
  t0=$EPOCHREALTIME
  podvault_restore "$BACKUP" podvault
  restore_time=$(elapsed "$t0" "$DONE_AT")
  after_podvault_restore "podvault's first restore after a start"
  FIRST_PSQL_TIMES+=("$PSQL_TIME")
  FIRST_RESTORE_TIMES+=("$restore_time")
  log "first restore after a start, run $run: psql $PSQL_TIME s, podvault $restore_time s ($(phases "$JOB"))"
done
rm -f "$FIRST_BACKUP"

# ---------------------------------------------------------------------------------------------------
# 8. A PinePods backup file: podvault's import against PinePods' own restore of it

# PinePods' backup endpoint runs pg_dump with these options on its database. Here podvault's schema sits beside
# PinePods' tables, so the dump is limited to schema public: the file is what PinePods itself would write.
PINEPODS_FILE=$WORK/files/pinepods-backup.sql
log "making a PinePods backup file of the data"
logged "$WORK/pinepods-dump.log" "$PG_BIN/pg_dump" --verbose --data-only --disable-triggers \
  '--exclude-table-data=public."Sessions"' '--exclude-table-data=public."GpodderSessions"' --format=plain \
  --schema=public -d "$DB_NAME" -f "$PINEPODS_FILE"
# PinePods' database: its tables and indexes, without podvault's schema. pg_dump's schema file creates schema
# public itself, so the new database's is dropped first.
sql -d postgres -c "CREATE DATABASE $PINEPODS_DB OWNER $DB_ROLE"
sql -d "$PINEPODS_DB" -c 'DROP SCHEMA public'
logged "$WORK/pinepods-schema-dump.log" "$PG_BIN/pg_dump" --schema-only --schema=public -d "$DB_NAME" \
  -f "$WORK/pinepods-schema.sql"
logged "$WORK/pinepods-schema.log" sql -d "$PINEPODS_DB" -f "$WORK/pinepods-schema.sql"

# PinePods' restore: in one transaction, foreign-key triggers off, its tables emptied, the file loaded into
# them (their indexes in place) by psql. The emptying is left out of the time here (it is quick; PinePods runs
# it in the same transaction).
pinepods_restore() {
  sql -d "$PINEPODS_DB" -c 'SET client_min_messages = warning' -c "DO \$\$ DECLARE t text; BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
      EXECUTE format('TRUNCATE TABLE public.%I RESTART IDENTITY CASCADE', t); END LOOP; END \$\$"
  quiesce
  t0=$EPOCHREALTIME
  logged "$WORK/pinepods-restore.log" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction \
    -d "$PINEPODS_DB" -c 'SET session_replication_role = replica' -f "$PINEPODS_FILE"
  PINEPODS_TIME=$(elapsed "$t0" "$EPOCHREALTIME")
  check_counts "$PINEPODS_DB" "PinePods' restore"
  sql -d "$PINEPODS_DB" -c 'VACUUM ANALYZE' # untimed, as after podvault's restores
}

PINEPODS_TIMES=()
IMPORT_TIMES=()
WARMUP_IMPORT=()
for ((run = 1; run <= IMPORT_WARMUPS + IMPORT_RUNS; run++)); do
  pinepods_restore
  quiesce
  t0=$EPOCHREALTIME
  podvault_restore "$PINEPODS_FILE" pinepods
  import_time=$(elapsed "$t0" "$DONE_AT")
  after_podvault_restore "podvault's import of the PinePods file"
  if ((run <= IMPORT_WARMUPS)); then
    WARMUP_IMPORT+=("$PINEPODS_TIME/$import_time")
    log "PinePods import warm-up $run: PinePods (psql) $PINEPODS_TIME s, podvault $import_time s ($(phases "$JOB"))"
  else
    PINEPODS_TIMES+=("$PINEPODS_TIME")
    IMPORT_TIMES+=("$import_time")
    log "PinePods import run $((run - IMPORT_WARMUPS)): PinePods (psql) $PINEPODS_TIME s, podvault $import_time s" \
      "($(phases "$JOB"))"
  fi
done

# ---------------------------------------------------------------------------------------------------
# 9. Summary

stop_podvault
# The heap in use just before each collection ("Pause Young ... 57M->9M(256M)" in the JVM's own GC log) is the
# most it held. Sampling with jstat instead competed with the first run after each start: jstat is a JVM that
# starts just then, and it used 0.55 s of CPU in its first two seconds and about 5% of a core after that.
PEAK_HEAP=$(cat "$WORK"/gc-*.log | sed -n 's/.* \([0-9][0-9]*\)M->[0-9][0-9]*M([0-9][0-9]*M).*/\1/p' | sort -n | tail -n 1)
[[ -n $PEAK_HEAP ]] || die "the GC logs show no collection: $(cat "$WORK"/gc-*.log | head -n 3)"
HEAP_COLLECTIONS=$(cat "$WORK"/gc-*.log | grep -c 'M->[0-9]*M(' || true)

DUMP_MEDIAN=$(median "${DUMP_TIMES[@]}")
BACKUP_MEDIAN=$(median "${BACKUP_TIMES[@]}")
PSQL_MEDIAN=$(median "${PSQL_TIMES[@]}")
RESTORE_MEDIAN=$(median "${RESTORE_TIMES[@]}")
FIRST_DUMP_MEDIAN=$(median "${FIRST_DUMP_TIMES[@]}")
FIRST_BACKUP_MEDIAN=$(median "${FIRST_BACKUP_TIMES[@]}")
FIRST_PSQL_MEDIAN=$(median "${FIRST_PSQL_TIMES[@]}")
FIRST_RESTORE_MEDIAN=$(median "${FIRST_RESTORE_TIMES[@]}")
PINEPODS_MEDIAN=$(median "${PINEPODS_TIMES[@]}")
IMPORT_MEDIAN=$(median "${IMPORT_TIMES[@]}")
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF

== podvault benchmark ($(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'), $(date -u +%Y-%m-%dT%H:%M:%SZ))
load average (1/5/15 min): $LOAD_AT_START before the run, $LOAD_AT_END at its end
warm-up runs, s (not in the medians): backup pg_dump/podvault ${WARMUP_BACKUP[*]:-none} | restore psql/podvault ${WARMUP_RESTORE[*]:-none} | import PinePods/podvault ${WARMUP_IMPORT[*]:-none}
runs, s: pg_dump ${DUMP_TIMES[*]} | podvault backup ${BACKUP_TIMES[*]} | psql ${PSQL_TIMES[*]} | podvault restore ${RESTORE_TIMES[*]}
first runs after a start, s: pg_dump ${FIRST_DUMP_TIMES[*]} | podvault backup ${FIRST_BACKUP_TIMES[*]} | psql ${FIRST_PSQL_TIMES[*]} | podvault restore ${FIRST_RESTORE_TIMES[*]}
PinePods import runs, s: PinePods (psql) ${PINEPODS_TIMES[*]} | podvault ${IMPORT_TIMES[*]}
$DATA
backup:  podvault $BACKUP_MEDIAN s (median of $BACKUP_RUNS)   pg_dump $DUMP_MEDIAN s   ratio $(ratio "$BACKUP_MEDIAN" "$DUMP_MEDIAN")   file $(human_size "$BACKUP") (pg_dump -Fp $(human_size "$PG_DUMP_FILE"))
restore: podvault $RESTORE_MEDIAN s (median of $RESTORE_RUNS)   psql $PSQL_MEDIAN s   ratio $(ratio "$RESTORE_MEDIAN" "$PSQL_MEDIAN")
first backup after a start:  podvault $FIRST_BACKUP_MEDIAN s (median of $FIRST_RUNS)   pg_dump $FIRST_DUMP_MEDIAN s   ratio $(ratio "$FIRST_BACKUP_MEDIAN" "$FIRST_DUMP_MEDIAN")
first restore after a start: podvault $FIRST_RESTORE_MEDIAN s (median of $FIRST_RUNS)   psql $FIRST_PSQL_MEDIAN s   ratio $(ratio "$FIRST_RESTORE_MEDIAN" "$FIRST_PSQL_MEDIAN")
(a first run's clock starts once /health has answered and the sign-in after it has; the sign-in is not in it)
PinePods import: podvault $IMPORT_MEDIAN s (median of $IMPORT_RUNS)   PinePods' restore (psql) $PINEPODS_MEDIAN s   ratio $(ratio "$IMPORT_MEDIAN" "$PINEPODS_MEDIAN")   file $(human_size "$PINEPODS_FILE")
podvault peak heap: $PEAK_HEAP MiB (-Xmx$XMX, $STARTS processes, the most in use before any of $HEAP_COLLECTIONS collections)
latency login p50/p99: idle $(percentile_ms "$WORK/idle-login" 50)/$(percentile_ms "$WORK/idle-login" 99) ms, during backup $(percentile_ms "$WORK/busy-login" 50)/$(percentile_ms "$WORK/busy-login" 99) ms
latency me    p50/p99: idle $(percentile_ms "$WORK/idle-me" 50)/$(percentile_ms "$WORK/idle-me" 99) ms, during backup $(percentile_ms "$WORK/busy-me" 50)/$(percentile_ms "$WORK/busy-me" 99) ms
(latency: $REQUESTS sequential requests per endpoint and condition; $BG_BACKUPS backups streamed during the second set)

== summary (ratio: podvault's median time over the stock tool's; file: podvault's backup)
EOF
# bench/matrix.sh takes the line after this header from each run.
SUMMARY_FORMAT='%-8s %9s %10s %17s %18s %15s  %s\n'
printf "$SUMMARY_FORMAT" shape rows file "backup warm/first" "restore warm/first" "PinePods import" \
  "load 1 min start/end"
printf "$SUMMARY_FORMAT" "$SHAPE" "$TOTAL_ROWS" "$(human_size "$BACKUP" | tr -d ' ')" \
  "$(ratio "$BACKUP_MEDIAN" "$DUMP_MEDIAN")/$(ratio "$FIRST_BACKUP_MEDIAN" "$FIRST_DUMP_MEDIAN")" \
  "$(ratio "$RESTORE_MEDIAN" "$PSQL_MEDIAN")/$(ratio "$FIRST_RESTORE_MEDIAN" "$FIRST_PSQL_MEDIAN")" \
  "$(ratio "$IMPORT_MEDIAN" "$PINEPODS_MEDIAN")" "${LOAD_AT_START%% *}/${LOAD_AT_END%% *}"
