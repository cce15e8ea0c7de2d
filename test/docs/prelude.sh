# Sourced by the docs test's shell (test/docs/shell-session.ts) before the first block of a file.
# The functions are for the hidden docs-test comments (before/then), not for the docs themselves.

set -E -o pipefail
__docs_failed=0
# a failed command of an sh block fails the block; the message lands next to its output
# (in a console transcript, __docs_console=1, a status is the command's result, not a failure)
__docs_console=
trap '__docs_s=$?; if [ -z "$__docs_console" ]; then __docs_failed=1; printf "docs-test: exit %d: %s\n" "$__docs_s" "$BASH_COMMAND"; fi' ERR

# eventually 'CMD': retries CMD for 5 s until it succeeds, then runs it once more for its output.
eventually() {
  local i
  for i in $(seq 50); do
    eval "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  eval "$1"
}

__docs_revision() {
  etcdctl endpoint status -w json | jq -e '.[0].Status.header.revision'
}

# etcd's revision once it has not moved for 0.4 s (Junction writes its status key ~250 ms after
# applying a change, and that write takes a revision of its own)
__docs_settled() {
  local a b i
  a=$(__docs_revision) || return 1
  for i in $(seq 50); do
    sleep 0.4
    b=$(__docs_revision) || return 1
    if [ "$a" = "$b" ]; then echo "$b"; return 0; fi
    a=$b
  done
  return 1
}

# pad_revision N (etcd): once Junction's own writes have settled, writes a scratch key outside the
# prefix until the next write gets revision N, so that a doc's story can show the revisions a
# reader really sees, and use them (If-Match 58).
pad_revision() {
  local want=$1 rev
  rev=$(__docs_settled) || return 1
  if (( rev >= want )); then echo "pad_revision $want: etcd is at revision $rev already" >&2; return 1; fi
  while (( rev < want - 1 )); do
    etcdctl put /docs-test-pad x >/dev/null || return 1
    rev=$(( rev + 1 ))
  done
}
