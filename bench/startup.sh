#!/usr/bin/env bash
# podvault start-up time: how long a single process takes from its launch until GET /health answers 200, on a data
# folder it has started on before (the usual start: the database exists and is migrated). It prints each start and
# the median; given two jars, it starts them in turn, pair by pair, and prints the ratio of the medians (second over
# first). It judges nothing, and exits non-zero only when something broke.
#
#   bash bench/startup.sh                                   # target/podvault.jar, embedded database, 7 starts
#   bash bench/startup.sh --runs 9 OLD.jar target/podvault.jar
#   bash bench/startup.sh --db-url postgresql://u:pw@127.0.0.1:5432/db OLD.jar NEW.jar   # an external database
#
#   --runs N     timed starts of each jar (default 7), after one untimed start that sets up its data folder
#   --db-url U   start on this external database (each jar gets it in turn; it must be one the jars can share)
#
# Needs Java 17 and curl. Each jar gets a data folder of its own in one temp dir that is removed at exit.
set -euo pipefail

RUNS=7
DB_URL=""
JARS=()
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --db-url) DB_URL=$2; shift 2 ;;
    -*) echo "usage: bash bench/startup.sh [--runs N] [--db-url URL] [JAR [JAR2]]" >&2; exit 2 ;;
    *) JARS+=("$1"); shift ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs takes a positive count" >&2; exit 2; }
((${#JARS[@]} > 0)) || JARS=(target/podvault.jar)
((${#JARS[@]} <= 2)) || { echo "at most two jars" >&2; exit 2; }
for jar in "${JARS[@]}"; do
  [[ -f $jar ]] || { echo "no such jar: $jar (mvn -q package -DskipTests builds target/podvault.jar)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/podvault-startup.XXXXXX)
PID=""
cleanup() {
  [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts jar $1 on data folder $2; prints the milliseconds until /health answered 200, then stops it (SIGTERM).
start_once() {
  local jar=$1 data=$2 port begin end
  port=$(free_port)
  begin=$(date +%s%N)
  PODVAULT_DATA_DIR=$data PODVAULT_HTTP_PORT=$port PODVAULT_CONFIG=$WORK/none.json PODVAULT_ADMIN_PASSWORD=startup-bench-password \
    ${DB_URL:+PODVAULT_DB_URL=$DB_URL} java -Xmx256m -jar "$jar" >>"$data.log" 2>&1 &
  PID=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do
    kill -0 "$PID" 2>/dev/null || { echo "podvault ($jar) exited during its start; see its log:" >&2; tail -20 "$data.log" >&2; exit 1; }
    sleep 0.02
  done
  end=$(date +%s%N)
  kill "$PID"
  wait "$PID" || true
  PID=""
  echo $(((end - begin) / 1000000))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo '{}' > "$WORK/none.json"
declare -A TIMES
for i in "${!JARS[@]}"; do
  mkdir -p "$WORK/data-$i"
  echo "jar $((i + 1)): ${JARS[$i]}; first start (untimed, sets up its data folder): $(start_once "${JARS[$i]}" "$WORK/data-$i/data") ms"
  TIMES[$i]=""
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((run = 1; run <= RUNS; run++)); do
  line="start $run:"
  for i in "${!JARS[@]}"; do
    ms=$(start_once "${JARS[$i]}" "$WORK/data-$i/data")
    TIMES[$i]+="$ms "
    line+=" jar $((i + 1)) $ms ms"
  done
  echo "$line"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -a MEDIANS
for i in "${!JARS[@]}"; do
  MEDIANS[$i]=$(tr ' ' '\n' <<<"${TIMES[$i]}" | grep . | median)
  echo "jar $((i + 1)) median: ${MEDIANS[$i]} ms of $RUNS starts (${JARS[$i]})"
done
if ((${#JARS[@]} == 2)); then
  awk -v a="${MEDIANS[0]}" -v b="${MEDIANS[1]}" 'BEGIN { printf "ratio jar 2 / jar 1: %.2f\n", b / a }'
fi
