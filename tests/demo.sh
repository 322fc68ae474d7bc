#!/usr/bin/env bash
# make demo: the Primus workflow end to end on this machine, in a temporary folder that is removed
# afterwards: a SoftHSM token, an hsmd serving it on loopback, and ppin talking to that hsmd.
# Usage: tests/demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cloudp11-demo.XXXXXX")
hsmd_pid=
cleanup() {
	if [ -n "$hsmd_pid" ]; then
		kill -TERM "$hsmd_pid" 2>/dev/null || true
		wait "$hsmd_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
indent() { sed 's/^/    /'; }

softhsm_module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && { softhsm_module=$m; break; }
done
if [ -z "$softhsm_module" ] || ! command -v softhsm2-util >/dev/null; then
	echo "make demo needs SoftHSMv2 (apt-get install softhsm2; .ci/run installs it)" >&2
	exit 1
fi

step "1. The HSM side: a SoftHSM token as the partition's backend"
mkdir -p "$work/tokens" "$work/hsmd"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
run softhsm2-util --init-token --free --label demo-token --so-pin 87654321 --pin 1234 | indent

step "2. hsmd: configuration, state folder with its CA, an HSM user and a service (proxy) user"
cat >"$work/hsmd/hsmd.cfg" <<CFG
listen = "127.0.0.1:0";
state_dir = "$work/hsmd/state";
backend: { module = "$softhsm_module"; environment: { SOFTHSM2_CONF = "$work/softhsm2.conf"; }; };
auth: { argon2: { time = 1; memory_kib = 8192; threads = 1; }; };
log: { level = "warn"; file = "$work/hsmd/hsmd.log"; };
CFG
export HSMD_CONFIG="$work/hsmd/hsmd.cfg"
run "$build/hsmd" init --name 127.0.0.1 --name localhost
printf '$ %s\n' "$build/hsmd user add HSM_USERNAME --token demo-token"
setup=$("$build/hsmd" user add HSM_USERNAME --token demo-token)
echo "$setup      <- the one-time setup password the operator hands to the user"
printf 'service-password\n' | run "$build/hsmd" proxy-user add SERVICE_USER

step "3. hsmd serve, in the background on a free loopback port"
"$build/hsmd" serve 2>>"$work/hsmd/hsmd.log" &
hsmd_pid=$!
for _ in $(seq 1 200); do
	[ -s "$work/hsmd/state/hsmd.addr" ] && break
	kill -0 "$hsmd_pid" 2>/dev/null || { echo "hsmd serve exited:"; cat "$work/hsmd/hsmd.log"; exit 1; }
	sleep 0.05
done
addr=$(cat "$work/hsmd/state/hsmd.addr")
port=${addr##*:}
echo "hsmd listens on $addr"

step "4. The client side: primus.cfg as users write it (vendor syntax), plus our tls_ca"
cat >"$work/primus.cfg" <<CFG
version = "1.0";
primus: {
  wait_delay = 250;        /* ms */
  wait_max_tries = 5;
  connect_on_init = false;
  tls_ca = "$work/hsmd/state/ca.pem";
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = "$port";
      priority = 0;
      slots: {
        slot0: { client_id = "DEMO"; user_name = "HSM_USERNAME"; proxy_user = "SERVICE_USER"; id = 0; };
      };
    };
  };
  log: { file = "$work/primus.log"; trace_level = 4; trace_mask = 0x00; };
};
CFG
indent <"$work/primus.cfg"
export CLOUDP11_CONF="$work/primus.cfg"
run "$build/ppin" -l

step "5. ppin -p -e SERVICE_USER: store the proxy password (stdin here; a terminal gets a hidden prompt)"
printf 'service-password\n' | run "$build/ppin" -p -e SERVICE_USER

step "6. ppin -a -e HSM_USERNAME SETUP PIN: exchange the setup password and the PIN for a permanent secret"
run "$build/ppin" -a -e HSM_USERNAME "$setup" 1234
run stat -c '%A %n' "$work/.secrets.cfg"
sed -E 's/(password|secret) = "[^"]*"/\1 = "<hidden>"/' "$work/.secrets.cfg" | indent

step "7. ppin -t: connect and log in to every cluster member and partition, as the library will"
run "$build/ppin" -t

step "8. Mistakes get their own message and a non-zero exit"
run "$build/ppin" -a -e HSM_USERNAME "$setup" 9999 || echo "(exit status $?)"
sed 's/port = "'"$port"'";/port = "70000";/' "$work/primus.cfg" >"$work/bad.cfg"
run "$build/ppin" -c "$work/bad.cfg" -t || echo "(exit status $?)"

step "9. The partition's audit log, fetched with ppin --fetchlog"
run "$build/ppin" --fetchlog --user HSM_USERNAME --hsm hsm0 | tail -n 5 | cut -c1-160
