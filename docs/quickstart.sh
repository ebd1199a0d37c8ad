#!/usr/bin/env bash
# The README's five-minute quickstart, as one script: against a running `make run`, it creates a
# platform and its API key, registers a webhook receiver, funds the platform, adds a payee and a
# bank account, credits an earning, pays it out and waits until the payout is paid and the
# receiver has verified the signed `payout.paid` event. `.ci/smoke-run` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

API="${API:-http://127.0.0.1:${PORT:-8000}/v1}"
PY="${PY:-.venv/bin/python}"
RECEIVER_PORT="${RECEIVER_PORT:-8765}"
RUN="qs-$(date +%s)-$$"

# 1. A platform and its API key (the last line the command prints).
KEY=$("$PY" manage.py create_platform "Quickstart $RUN" --currency USD | tail -1)
AUTH="Authorization: Bearer $KEY"
JSON="Content-Type: application/json"
post() { curl -sS --fail-with-body -H "$AUTH" -H "$JSON" -H "Idempotency-Key: $RUN-$1" -d "$3" "$API$2"; }
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# 2. A webhook endpoint; its secret is shown once. Start the example receiver with it.
SECRET=$(post hook /webhook-endpoints \
  "{\"url\": \"http://127.0.0.1:$RECEIVER_PORT/webhooks\", \"event_types\": [\"payout.paid\"]}" \
  | field '["secret"]')
LOG=$(mktemp)
WEBHOOK_SECRETS="$SECRET" "$PY" docs/examples/webhook_receiver.py --port "$RECEIVER_PORT" >"$LOG" 2>&1 &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null || true; rm -f "$LOG"' EXIT

# 3. Fund the platform, add a payee and a bank account, credit an earning.
post fund /fundings '{"amount": "1000.00", "currency": "USD", "reference": "wire-'"$RUN"'"}' >/dev/null
PAYEE=$(post payee /payees '{"external_id": "driver-17", "type": "individual",
  "name": "Ada Lovelace", "email": "ada@example.com", "country": "US"}' | field '["id"]')
METHOD=$(post method "/payees/$PAYEE/payout-methods" '{"type": "us_bank_account",
  "currency": "USD", "routing_number": "021000021", "account_number": "000123456789",
  "account_holder_name": "Ada Lovelace"}' | field '["id"]')
post earn /earnings "{\"payee\": $PAYEE, \"amount\": \"50.00\", \"currency\": \"USD\"}" >/dev/null

# 4. Pay out, then watch the status until it is paid.
PAYOUT=$(post payout /payouts "{\"payee\": $PAYEE, \"payout_method\": $METHOD,
  \"amount\": \"25.00\", \"currency\": \"USD\"}" | field '["id"]')
echo "payout $PAYOUT created"
for _ in $(seq 1 60); do
  STATUS=$(curl -sS -H "$AUTH" "$API/payouts/$PAYOUT" | field '["status"]')
  echo "payout $PAYOUT is $STATUS"
  [ "$STATUS" = paid ] && break
  sleep 2
done
[ "$STATUS" = paid ] || { echo "quickstart: payout $PAYOUT did not reach paid"; exit 1; }
curl -sS -H "$AUTH" "$API/payees/$PAYEE/balances"; echo

# 5. The receiver got the signed payout.paid event.
for _ in $(seq 1 30); do
  grep -q "payout.paid" "$LOG" && break
  sleep 1
done
cat "$LOG"
grep -q "payout.paid" "$LOG" || { echo "quickstart: no payout.paid webhook received"; exit 1; }
echo "quickstart: OK"
