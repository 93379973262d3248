#!/usr/bin/env bash
# scripts/install-deps.sh on every path, against stub dpkg-query, apt-get,
# sudo and id on a PATH that holds nothing else of the system's package
# tools: packages present or missing, root or sudo or neither, the policy
# file present or not, apt failing. Each case checks the exit status, what
# apt-get was asked, and that the policy file is as it was before.
#
# usage: install_deps.sh SOURCE_DIR
set -uo pipefail
SRC=${1:?usage: install_deps.sh SOURCE_DIR}
SCRIPT=$SRC/scripts/install-deps.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# A bin folder with only the tools the script may use, plus the stubs.
mkdir -p "$work/sys"
for t in bash grep tee chmod rm cat env mkdir cp; do
  ln -s "$(command -v "$t")" "$work/sys/$t"
done
mkdir -p "$work/stubs"
cat >"$work/stubs/dpkg-query" <<'STUB'
#!/bin/bash
# dpkg-query -W -f=FORMAT PKG: installed when listed in $STATE/installed.
pkg=${!#}
if grep -qx "$pkg" "$STATE/installed" 2>/dev/null; then
  printf 'install ok installed'
  exit 0
fi
exit 1
STUB
cat >"$work/stubs/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get $* uid=$(id -u)" >>"$STATE/log"
[ -e "$STATE/policy_seen" ] || { [ -e "$POLICY" ] && cp "$POLICY" "$STATE/policy_seen"; }
case "$1" in
  update) [ -e "$STATE/fail_update" ] && exit 100; exit 0 ;;
  install)
    [ -e "$STATE/fail_install" ] && exit 100
    [ -e "$STATE/install_noop" ] && exit 0
    for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >>"$STATE/installed" ;; esac; done
    exit 0 ;;
esac
exit 0
STUB
cat >"$work/stubs/sudo" <<'STUB'
#!/bin/bash
echo "sudo $1" >>"$STATE/log"
FAKE_UID=0 exec "$@"
STUB
cat >"$work/stubs/id" <<'STUB'
#!/bin/bash
[ "$1" = -u ] && { echo "${FAKE_UID:-0}"; exit 0; }
exit 1
STUB
chmod +x "$work/stubs/"*
ALL=$(sed -n '/^PACKAGES=(/,/^)/p' "$SCRIPT" | grep -v '^PACKAGES=(\|^)' | tr -s ' ' '\n' | grep -v '^$')

# run_case NAME UID SUDO(yes|no) POLICY(present|absent) INSTALLED(all|some) [flags...]
run_case() {
  local name=$1 uid=$2 sudo=$3 policy=$4 installed=$5
  shift 5
  local st=$work/$name path=$work/stubs:$work/sys
  mkdir -p "$st"
  if [ "$installed" = all ]; then echo "$ALL" >"$st/installed"; else echo "$ALL" | head -3 >"$st/installed"; fi
  for f in "$@"; do touch "$st/$f"; done
  [ "$sudo" = no ] && { mkdir -p "$st/nosudo" && cp "$work/stubs/"{dpkg-query,apt-get,id} "$st/nosudo/" && path=$st/nosudo:$work/sys; }
  local pol=$st/policy-rc.d
  [ "$policy" = present ] && printf '#!/bin/sh\n# theirs\nexit 0\n' >"$pol"
  [ "$policy" = present ] && cp "$pol" "$st/policy_before"
  env -i PATH="$path" STATE="$st" POLICY="$pol" FAKE_UID="$uid" INSTALL_DEPS_POLICY="$pol" \
    bash "$SCRIPT" >"$st/out" 2>&1
  echo $? >"$st/rc"
}
rc() { cat "$work/$1/rc"; }
log() { cat "$work/$1/log" 2>/dev/null; }

run_case present 0 yes absent all
[ "$(rc present)" = 0 ] && [ -z "$(log present)" ] && ok "everything installed: exit 0, apt-get never run" ||
  bad "everything installed: rc $(rc present), log: $(log present)"

run_case root_nopolicy 0 yes absent some
if [ "$(rc root_nopolicy)" = 0 ] && log root_nopolicy | grep -q '^apt-get update' &&
  log root_nopolicy | grep -q '^apt-get install' && ! log root_nopolicy | grep -q '^sudo' &&
  grep -q 'exit 101' "$work/root_nopolicy/policy_seen" && [ ! -e "$work/root_nopolicy/policy-rc.d" ]; then
  ok "root, no policy file: installs with services held back (exit 101) and removes the file after"
else
  bad "root, no policy file: rc $(rc root_nopolicy); $(cat "$work/root_nopolicy/out")"
fi

run_case root_policy 0 yes present some
if [ "$(rc root_policy)" = 0 ] && cmp -s "$work/root_policy/policy-rc.d" "$work/root_policy/policy_before"; then
  ok "root, a policy file already there: exit 0 and the file untouched"
else
  bad "root, a policy file already there: rc $(rc root_policy); $(cat "$work/root_policy/out")"
fi

run_case user_sudo 1000 yes absent some
if [ "$(rc user_sudo)" = 0 ] && log user_sudo | grep -q '^sudo apt-get' &&
  log user_sudo | grep -q '^apt-get install.* uid=0'; then
  ok "not root, sudo there: apt-get runs through sudo"
else
  bad "not root, sudo there: rc $(rc user_sudo); $(log user_sudo)"
fi

run_case user_nosudo 1000 no absent some
if [ "$(rc user_nosudo)" = 2 ] && grep -q 'not root' "$work/user_nosudo/out" && [ -z "$(log user_nosudo)" ]; then
  ok "not root, no sudo: exit 2 naming the missing packages"
else
  bad "not root, no sudo: rc $(rc user_nosudo); $(cat "$work/user_nosudo/out")"
fi

run_case update_fails 0 yes absent some fail_update
if [ "$(rc update_fails)" = 1 ] && grep -q 'apt-get update failed' "$work/update_fails/out" &&
  [ ! -e "$work/update_fails/policy-rc.d" ]; then
  ok "apt-get update failing: exit 1 with the reason, policy file removed"
else
  bad "apt-get update failing: rc $(rc update_fails); $(cat "$work/update_fails/out")"
fi

run_case install_fails 0 yes absent some fail_install
[ "$(rc install_fails)" = 1 ] && grep -q 'apt-get install failed' "$work/install_fails/out" &&
  ok "apt-get install failing: exit 1 with the packages" ||
  bad "apt-get install failing: rc $(rc install_fails); $(cat "$work/install_fails/out")"

run_case install_noop 0 yes absent some install_noop
[ "$(rc install_noop)" = 1 ] && grep -q 'still missing' "$work/install_noop/out" &&
  ok "packages still missing after install: exit 1 naming them" ||
  bad "packages still missing after install: rc $(rc install_noop); $(cat "$work/install_noop/out")"

[ "$fails" = 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all install-deps cases passed"
