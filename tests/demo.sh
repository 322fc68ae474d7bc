#!/usr/bin/env bash
# make demo: the Primus workflow, as far as this build goes, in a temporary folder that is removed
# afterwards. Usage: tests/demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cloudp11-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A primus.cfg as users write it (vendor syntax: string port, hex mask, ';' and ',')"
cat >"$work/primus.cfg" <<'CFG'
version = "1.0";
primus: {
  wait_delay = 250;        /* ms */
  wait_max_tries = 5;
  connect_on_init = true;
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = "2310";
      priority = 0;
      slots: {
        slot0: { client_id = "DEMO"; user_name = "HSM_USERNAME"; proxy_user = "SERVICE_USER"; id = 0; };
      };
    };
    hsm1: {
      host = "localhost"; port = 2311, priority = 1,
      slots: { slot0: { client_id = "DEMO"; user_name = "HSM_USERNAME"; proxy_user = "SERVICE_USER"; id = 0; }; };
    };
  };
  log: { file = "/tmp/primus.log"; trace_level = 4; trace_mask = 0x00; };
};
CFG
sed 's/^/    /' "$work/primus.cfg"
export CLOUDP11_CONF="$work/primus.cfg"

step "2. ppin -l: the cluster members and slots it understood"
run "$build/ppin" -l

step "3. ppin -p -e SERVICE_USER: store the proxy password (read from stdin here; a terminal gets a hidden prompt)"
printf 'demo-proxy-password\n' | run "$build/ppin" -p -e SERVICE_USER

step "4. The secrets file beside primus.cfg: mode 0600, libconfig syntax"
run stat -c '%A %n' "$work/.secrets.cfg"
sed -E 's/(password|secret) = "[^"]*"/\1 = "<hidden>"/' "$work/.secrets.cfg" | sed 's/^/    /'

step "5. A mistake in primus.cfg is reported with file:line:column"
sed 's/port = "2310";/port = "70000";/' "$work/primus.cfg" >"$work/bad.cfg"
run "$build/ppin" -c "$work/bad.cfg" -l || echo "(exit status $?)"

step "6. ppin -a needs the HSM service, which comes with the next milestone"
run "$build/ppin" -a -e HSM_USERNAME SETUP-PASSW-ORDXX-XXXXX-XXXXX 1234 || echo "(exit status $?)"

step "7. ppin -x -e SERVICE_USER: remove the proxy password again"
run "$build/ppin" -x -e SERVICE_USER
