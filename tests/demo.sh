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

step "10. The library: pkcs11-tool and OpenSSL use a key in the partition through libcloudp11.so"
lib="$build/libcloudp11.so"
export CLOUDP11_SECRETS="$work/.secrets.cfg"
if ! command -v pkcs11-tool >/dev/null || ! command -v openssl >/dev/null; then
	echo "this step needs pkcs11-tool and openssl (apt-get install opensc openssl; .ci/run installs them)" >&2
	exit 1
fi
engines=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
if [ ! -e "$engines/pkcs11.so" ]; then
	echo "this step needs OpenSSL's pkcs11 engine (apt-get install libengine-pkcs11-openssl)" >&2
	exit 1
fi
run pkcs11-tool --module "$lib" --list-slots | indent
run pkcs11-tool --module "$lib" --login --pin 1234 --keypairgen --key-type EC:prime256v1 --id 01 --label demo-key 2>&1 | indent
printf 'signed in the partition\n' >"$work/message.txt"
openssl dgst -sha256 -binary -out "$work/message.sha256" "$work/message.txt"
run pkcs11-tool --module "$lib" --login --pin 1234 --sign --id 01 --mechanism ECDSA --signature-format openssl \
	--input-file "$work/message.sha256" --output-file "$work/message.sig" 2>&1 | indent
run pkcs11-tool --module "$lib" --read-object --type pubkey --id 01 --output-file "$work/demo-key.der" 2>&1 | indent
openssl pkey -pubin -inform DER -in "$work/demo-key.der" -out "$work/demo-key.pem"
echo "The signature, checked by plain openssl with the public key read from the partition:"
run openssl dgst -sha256 -verify "$work/demo-key.pem" -signature "$work/message.sig" "$work/message.txt" | indent

cat >"$work/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $engines/pkcs11.so
MODULE_PATH = $lib
init = 0
[req]
distinguished_name = req_dn
[req_dn]
CNF
echo "An openssl.cnf that loads the pkcs11 engine on the library:"
indent <"$work/openssl.cnf"
key="pkcs11:token=demo-token;object=demo-key;type=private;pin-value=1234"
OPENSSL_CONF="$work/openssl.cnf" run openssl req -x509 -new -engine pkcs11 -keyform engine -key "$key" \
	-subj "/CN=cloudp11 demo" -sha256 -days 30 -out "$work/self.pem" 2>&1 | indent
run openssl x509 -in "$work/self.pem" -noout -subject -issuer -dates | indent
echo "Verified by plain openssl, without the engine:"
OPENSSL_CONF=/dev/null run openssl verify -CAfile "$work/self.pem" "$work/self.pem" | indent
