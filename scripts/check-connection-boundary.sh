#!/usr/bin/env bash
# Rule of the house (DESIGN.md): only src/connection/ creates or destroys cnats connections,
# JetStream contexts and KV handles. Fails, naming file:line, when code elsewhere does.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
pattern='\b(natsConnection_Connect|natsConnection_ConnectTo|natsConnection_Close|natsConnection_Destroy|natsConnection_Drain|natsConnection_JetStream|jsCtx_Destroy|js_KeyValue|js_CreateKeyValue|js_DeleteKeyValue|kvStore_Destroy|natsOptions_Create|natsOptions_Destroy|nats_Close)\s*\('
hits=$(grep -rnE "$pattern" "$root/src" "$root/include" --include='*.cpp' --include='*.hpp' --include='*.h' \
        | grep -v "^$root/src/connection/" || true)
if [ -n "$hits" ]; then
    echo "cnats lifetime calls outside src/connection (use naq::connection / jetstream / kv_store):"
    echo "$hits" | sed "s|^$root/||"
    exit 1
fi
echo "ok: cnats connection/context/KV lifetimes are managed only in src/connection"
