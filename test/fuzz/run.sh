#!/usr/bin/env bash
# Property-based fuzzing of the live OpenAPI document with schemathesis (issue 11, "Fuzzing in CI").
#
# Starts `npm start` on a scratch data folder with a known admin key, then runs three bounded passes:
#   1. the agent routes with an agent token (enrollment token → POST /agent/v1/register);
#   2. the admission route with a cluster token;
#   3. every API-key and public route with the admin key.
# Fails on any 5xx (not_a_server_error) or response that violates its documented schema
# (response_schema_conformance), and checks 405 + Allow for wrong methods. Prints requests sent and 5xx seen.
#
# Environment: FUZZ_SECONDS (budget of the admin pass, default 180; the token passes get a quarter each),
# FUZZ_MAX_EXAMPLES (per operation, default 40), FUZZ_ALLOW_X00 (default true: NUL bytes in strings),
# FUZZ_WORKERS (default 1), FUZZ_OUT (reports folder, default a temporary one), FUZZ_QUIET (1: schemathesis'
# own output goes to the reports folder only, and its last 80 lines to the log when a round fails; CI sets it,
# so that the only test-runner summary in the CI log is Vitest's).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

VENV="$ROOT/.tools/fuzz-venv"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST="$VENV/bin/schemathesis"
PY="$VENV/bin/python"

FUZZ_SECONDS="${FUZZ_SECONDS:-180}"
FUZZ_MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-40}"
FUZZ_ALLOW_X00="${FUZZ_ALLOW_X00:-true}"
# One worker: CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch" inside
# hypothesis), and the server under test has the other core anyway.
FUZZ_WORKERS="${FUZZ_WORKERS:-1}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX")"
OUT="${FUZZ_OUT:-$WORK/reports}"
mkdir -p "$OUT"

# Free loopback ports, so the pass runs beside other Vigil instances and test runs.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
ADMIN_KEY="vgl_fuzzfuzz_$("$PY" -c 'import secrets,string; print("".join(secrets.choice(string.ascii_letters+string.digits) for _ in range(40)))')"
BASE="http://127.0.0.1:$PORT"

echo "== starting Vigil on $BASE (data in $WORK/data)"
# Its own process group (job control on for this one job), so the stop below reaches npm, tsx, node and the
# Temporal dev server alike; killing npm alone leaves the server running.
set -m
env -u DATABASE_URL -u TEMPORAL_ADDRESS \
  NODE_ENV=development LOG_LEVEL="${FUZZ_LOG_LEVEL:-warn}" HOST=127.0.0.1 PORT="$PORT" \
  VIGIL_DATA_DIR="$WORK/data" VIGIL_BOOTSTRAP_API_KEY="$ADMIN_KEY" \
  VIGIL_RATE_LIMIT_PER_MINUTE=10000000 VIGIL_TASK_QUEUE_PREFIX="fuzz-$PORT" \
  TEMPORAL_DEV_PORT="$(free_port)" TEMPORAL_UI_PORT="$(free_port)" \
  npm start --silent >"$WORK/vigil.log" 2>&1 &
VIGIL_PID=$!
set +m
stop_vigil() {
  if kill -0 -- "-$VIGIL_PID" 2>/dev/null; then
    kill -TERM -- "-$VIGIL_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$VIGIL_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$VIGIL_PID" 2>/dev/null || true
  fi
  # The scratch database goes; the server log and the reports stay for a look after a failure.
  rm -rf "$WORK/data"
}
trap stop_vigil EXIT

for _ in $(seq 1 180); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$VIGIL_PID" 2>/dev/null; then
    echo "Vigil exited during start-up:"; cat "$WORK/vigil.log"; exit 1
  fi
  sleep 1
done
curl -fsS "$BASE/readyz" >/dev/null || { echo "Vigil did not become ready:"; tail -50 "$WORK/vigil.log"; exit 1; }

api() { # method path [json body]: the admin key's call, body on stdout
  curl -fsS -X "$1" "$BASE$2" -H "authorization: Bearer $ADMIN_KEY" -H 'content-type: application/json' \
    ${3:+--data "$3"}
}
json_field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

ENROLLMENT_TOKEN="$(api POST /v1/agent-enrollment-tokens '{}' | json_field token)"
AGENT_TOKEN="$(curl -fsS -X POST "$BASE/agent/v1/register" -H 'content-type: application/json' --data \
  "{\"enrollmentToken\":\"$ENROLLMENT_TOKEN\",\"hostname\":\"fuzz-host\",\"osFamily\":\"linux\",\"executor\":\"simulate\"}" |
  json_field agentToken)"
CLUSTER_JSON="$(api POST /v1/clusters '{"name":"fuzz"}')"
CLUSTER_TOKEN="$(json_field token <<<"$CLUSTER_JSON")"

# Real objects, so operations on `{id}` reach their logic instead of a 404 for a random UUID.
ASSET_ID="$(api POST /v1/assets '{"assets":[{"name":"fuzz-1","hostname":"fuzz-1","osFamily":"linux"}]}' |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')"
TEMPLATE_ID="$(api GET /v1/playbook/templates | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print((d["items"] if isinstance(d, dict) else d)[0]["id"])')"
WITNESS_ID="$(api POST /v1/signature/witnesses '{"name":"fuzz signer"}' | json_field id)"
export FUZZ_ASSET_ID="$ASSET_ID" FUZZ_TEMPLATE_ID="$TEMPLATE_ID" FUZZ_WITNESS_ID="$WITNESS_ID"
export FUZZ_CLUSTER_ID="$(json_field id <<<"$CLUSTER_JSON")"
export FUZZ_CHANNEL_ID="$(api POST /v1/notification-channels \
  '{"type":"email","name":"fuzz mail","recipients":["ops@example.com"]}' | json_field id)"
export FUZZ_POLICY_ID="$(api POST "/v1/playbook/templates/$TEMPLATE_ID/clone" '{"name":"fuzz policy"}' | json_field id)"
api POST /v1/email-recipients '{"email":"reader@example.com"}' >/dev/null
# No recipients: a report takes only verified addresses (422 otherwise), and nobody clicks the verification link here.
export FUZZ_REPORT_ID="$(api POST /v1/reports '{"name":"weekly","type":"weekly","sendWindow":{"start":"08:00","end":"11:00"},"language":"en","items":["assets","alerts"],"recipients":[],"enabled":false}' | json_field id)"
export FUZZ_SIGNATURE_POLICY_ID="$(api POST /v1/signature/policies \
  "{\"name\":\"fuzz policy\",\"witnessId\":\"$WITNESS_ID\",\"clusterId\":\"$FUZZ_CLUSTER_ID\",\"namespaces\":[\"default\"]}" |
  json_field id)"
export FUZZ_CLUSTER_TOKEN="$CLUSTER_TOKEN"
# A task waiting for its window (a vulnerability on the asset first), so the task operations reach their logic.
api POST /v1/vulnerabilities "{\"items\":[{\"assetId\":\"$ASSET_ID\",\"type\":\"linux\",\"name\":\"USN-1\",\"title\":\"openssh\",\"severity\":\"high\",\"fixable\":true,\"packageName\":\"openssh-server\"}]}" >/dev/null
VULN_ID="$(api GET '/v1/vulnerabilities?type=linux' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"
WINDOW="$("$PY" -c 'import datetime as d; s=d.datetime.now(d.timezone.utc)+d.timedelta(days=1); print(s.strftime("%Y-%m-%dT%H:00:00Z"), (s+d.timedelta(hours=2)).strftime("%Y-%m-%dT%H:00:00Z"))')"
export FUZZ_TASK_ID="$(api POST "/v1/playbook/policies/$FUZZ_POLICY_ID/tasks" \
  "{\"name\":\"fuzz task\",\"assets\":{\"assetIds\":[\"$ASSET_ID\"]},\"vulnerabilityIds\":[\"$VULN_ID\"],\"execution\":{\"mode\":\"window\",\"start\":\"${WINDOW% *}\",\"end\":\"${WINDOW#* }\",\"timeZone\":\"Asia/Shanghai\"}}" |
  json_field id)"
# A directory with a managed member account, so the member operations reach their logic.
api POST /v1/resource-directory '{"name":"fuzz directory"}' >/dev/null
export FUZZ_MEMBER_ID="$(api POST /v1/resource-directory/accounts '{"name":"fuzz member"}' | json_field id)"
api POST /v1/multi-account/members "{\"accountId\":\"$FUZZ_MEMBER_ID\"}" >/dev/null
# An object the set-up failed to create would leave `{id}` empty and fuzz the wrong routes: stop here instead.
for var in FUZZ_ASSET_ID FUZZ_TEMPLATE_ID FUZZ_WITNESS_ID FUZZ_CLUSTER_ID FUZZ_CHANNEL_ID FUZZ_POLICY_ID \
  FUZZ_REPORT_ID FUZZ_SIGNATURE_POLICY_ID FUZZ_CLUSTER_TOKEN FUZZ_TASK_ID FUZZ_MEMBER_ID; do
  if [ -z "${!var}" ]; then
    echo "fuzz set-up: $var is empty (the API refused to create it; see $WORK/vigil.log)" >&2
    exit 1
  fi
done

# One pass: name, token, budget seconds, then schemathesis filter options.
run_pass() {
  local name="$1" token="$2" seconds="$3"
  shift 3
  echo "== fuzz round '$name' (${seconds}s budget)"
  set +e
  # From the scratch folder: schemathesis keeps state in ./.schemathesis, which must not land in the repository.
  (cd "$WORK" && "$ST" --config-file "$ROOT/test/fuzz/schemathesis.toml" run "$BASE/openapi.json" --url "$BASE" \
    -H "Authorization: Bearer $token" \
    --phases examples,coverage,fuzzing \
    --checks not_a_server_error,response_schema_conformance,unsupported_method,allow_header_conformance \
    --max-examples "$FUZZ_MAX_EXAMPLES" --max-time "$seconds" --workers "$FUZZ_WORKERS" \
    --request-timeout 40 --generation-allow-x00 "$FUZZ_ALLOW_X00" --generation-database none \
    --suppress-health-check all --no-color --output-truncate true --max-failures 1000 \
    --report har,junit --report-har-path "$OUT/$name.har" --report-junit-path "$OUT/$name.junit.xml" \
    "$@") >"$OUT/$name.log" 2>&1
  local rc=$?
  set -e
  if [ "${FUZZ_QUIET:-0}" != 1 ]; then
    cat "$OUT/$name.log"
  elif [ "$rc" -ne 0 ]; then
    echo "-- round '$name' exited $rc; the last 80 lines of its output ($OUT/$name.log):"
    tail -80 "$OUT/$name.log"
  fi
  "$PY" - "$OUT/$name.har" "$name" <<'EOF'
import json, sys, collections
har, name = sys.argv[1], sys.argv[2]
entries = json.load(open(har))["log"]["entries"]
by_status = collections.Counter(e["response"]["status"] for e in entries)
fives = collections.Counter(
    f'{e["request"]["method"]} {e["request"]["url"].split("?")[0]} -> {e["response"]["status"]}'
    for e in entries if e["response"]["status"] >= 500)
print(f"== fuzz round {name}: {len(entries)} requests, {sum(fives.values())} with 5xx; statuses {dict(sorted(by_status.items()))}")
open(har[: -len(".har")] + ".counts", "w").write(f"{len(entries)} {sum(fives.values())}\n")
for line, n in fives.most_common(40):
    print(f"   5xx x{n}: {line}")
EOF
  return "$rc"
}

status=0
# The token passes go first: the admin pass rotates the cluster's token and deletes objects on purpose.
run_pass agent "$AGENT_TOKEN" "$((FUZZ_SECONDS / 4))" --include-path-regex '^/agent/v1/(jobs|register)' || status=1
run_pass admission "$CLUSTER_TOKEN" "$((FUZZ_SECONDS / 4))" --include-path-regex '^/admission/' || status=1
run_pass api "$ADMIN_KEY" "$FUZZ_SECONDS" --exclude-path-regex '^/(agent|admission)/' || status=1

# What the server logged as errors: the cause of each 5xx, one line each.
"$PY" - "$WORK/vigil.log" <<'EOF'
import json, sys, collections
seen = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("level", 0) >= 50:
        err = entry.get("err") or {}
        seen[f'{entry.get("msg")}: {entry.get("path", "")} {str(err.get("message", ""))[:160]}'] += 1
for text, n in seen.most_common(20):
    print(f"== server error x{n}: {text}")
EOF
cat "$OUT"/*.counts | "$PY" -c 'import sys; t=[list(map(int, l.split())) for l in sys.stdin]; print(f"== total: {sum(a for a, _ in t)} requests, {sum(b for _, b in t)} with 5xx")'
echo "== reports in $OUT"
exit "$status"
