# Shared by the local service scripts (sourced, not run).

# Closes every file descriptor above stderr in the calling (sub)shell, so that the servers
# started from it hold none of the caller's pipes: a caller waiting for its pipes to close
# (a CI runner, `... | tail`) must not wait for the servers too.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}
