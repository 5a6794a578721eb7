#!/bin/sh
# Entrypoint of the tradelog image (docs/operations.md, "Docker"; codes in docs/errors.md, "Docker entrypoint").
#
# Started as the image's user (the default, uid 1000 `app`) or any other non-root user:
#   run `tradelog doctor --repair`, then exec the command.
# Started as root (`user: "0:0"` in compose, for a bind mount whose files belong to another uid):
#   1. take PUID/PGID (default 1000:1000, the image's user);
#   2. change the owner of the entries under the data directory whose owner or group differs (symlinks are never
#      followed; nothing is ever made world-writable, and world-write bits found are removed);
#   3. when that is refused (NFS root_squash, a read-only mount), stop and say what to do: no retry loop here;
#   4. run `tradelog doctor --repair` as PUID:PGID, then exec the command as PUID:PGID (setpriv), so nothing in the
#      data directory is ever created by root.
#
# The doctor's verdict does not stop the start: with problems left, `tradelog serve` answers /health with 503 and
# every page with the finding and its fix, which is easier to act on than a restart loop.
#
# Exit codes of the entrypoint itself: 78 (EX_CONFIG) when the operator must change the setup (bad PUID/PGID,
# ownership that cannot be changed, no data directory); 127 when `tradelog` is not on PATH. Otherwise the exit code
# is the command's. Docker's restart policies other than `on-failure` restart a container whatever its exit code,
# with a delay that doubles from 100 ms up to one minute; each retry only checks again and prints the same message.
#
# Overridable for tests: TRADELOG_DATA_DIR (default /app/data) and PATH (where `tradelog` and `setpriv` are found).
set -eu
umask 027

EX_CONFIG=78
data_dir=${TRADELOG_DATA_DIR:-/app/data}
export TRADELOG_DATA_DIR="$data_dir"

say() {
  printf 'entrypoint: %s\n' "$*" >&2
}

# warn CODE MESSAGE
warn() {
  printf 'entrypoint: warning %s: %s\n' "$1" "$2" >&2
}

# fail CODE EXIT MESSAGE FIX
fail() {
  printf 'entrypoint: error %s: %s\nentrypoint: fix: %s\n' "$1" "$3" "$4" >&2
  exit "$2"
}

is_id() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) [ "$1" -gt 0 ] 2>/dev/null ;;
  esac
}

# Prints "<mount point> <fs type> <mount options>" of the filesystem holding directory $1 (longest prefix).
mount_of() {
  real=$(cd "$1" 2>/dev/null && pwd -P) || real=$1
  awk -v p="$real" '
    {
      fstype = ""
      for (i = 7; i < NF; i++) if ($i == "-") { fstype = $(i + 1); break }
      if ((p == $5 || $5 == "/" || index(p, $5 "/") == 1) && length($5) >= best) {
        best = length($5); out = $5 " " fstype " " $6
      }
    }
    END { if (out != "") print out }
  ' /proc/self/mountinfo 2>/dev/null || :
}

# Entries under the data directory whose owner or group is not $uid:$gid (symlinks themselves, never their targets).
differing() {
  find -H "$data_dir" -xdev \( ! -user "$uid" -o ! -group "$gid" \) -print
}

first_lines() {
  printf '%s\n' "$1" | head -n 3 | sed 's/^/    /'
}

fix_ownership() {
  if [ ! -d "$data_dir" ]; then
    if ! mkdir -p "$data_dir" 2>/dev/null; then
      fail 'TL_DOCKER_NO_DATA_DIR' "$EX_CONFIG" "The data directory $data_dir does not exist and cannot be created." \
        "Mount a volume at $data_dir (docker-compose.yml does), or set TRADELOG_DATA_DIR to a directory that exists."
    fi
  fi
  if ! list=$(differing 2>&1); then
    mount=$(mount_of "$data_dir")
    fail 'TL_DOCKER_CHOWN_FAILED' "$EX_CONFIG" "Cannot even list $data_dir as root (filesystem: ${mount:-unknown}):
$(first_lines "$list")" \
      "Root in this container is not allowed on that filesystem (NFS root_squash?). Give the directory to $uid:$gid on the file server (chown -R $uid:$gid <export>), or run the container as the files' owner (compose: user: \"<uid>:<gid>\", no PUID/PGID). Better: use a Docker named volume on a local disk."
  fi
  if [ -n "$list" ]; then
    count=$(printf '%s\n' "$list" | wc -l | tr -d ' ')
    errors=$(find -H "$data_dir" -xdev \( ! -user "$uid" -o ! -group "$gid" \) -exec chown -h "$uid:$gid" {} + 2>&1) || :
    if ! remaining=$(differing 2>&1) || [ -n "$remaining" ]; then
      left=$(printf '%s\n' "$remaining" | wc -l | tr -d ' ')
      read -r mount_point fs_type mount_opts <<EOF
$(mount_of "$data_dir")
EOF
      where="filesystem ${fs_type:-unknown} mounted at ${mount_point:-unknown}, options ${mount_opts:-unknown}"
      case ",${mount_opts:-}," in
        *,ro,*) fix="The data directory is on a read-only mount: mount it read-write (remove :ro / read_only from the volume)." ;;
        *)
          case ${fs_type:-} in
            nfs* | cifs | smb* | fuse.*)
              fix="Root cannot change owners on this network/FUSE filesystem (NFS root_squash). On the file server run chown -R $uid:$gid on the exported directory, or run the container as the owner of the files (compose: user: \"<uid>:<gid>\", no PUID/PGID). SQLite is not safe on network filesystems: prefer a Docker named volume." ;;
            *)
              fix="On the host, give the directory to the app's user: sudo chown -R $uid:$gid <host directory>, or run the container as the owner of the files (compose: user: \"<uid>:<gid>\", no PUID/PGID)." ;;
          esac ;;
      esac
      fail 'TL_DOCKER_CHOWN_FAILED' "$EX_CONFIG" "Cannot change the owner of $left of $count entries under $data_dir to $uid:$gid ($where):
$(first_lines "${errors:-$remaining}")" "$fix Never chmod 777: it fixes nothing and makes the journal world-writable."
    fi
    say "changed the owner of $count entries under $data_dir to $uid:$gid"
  else
    say "everything under $data_dir already belongs to $uid:$gid; nothing to change"
  fi
  # World-writable entries (the old image left mode 777 sidecars) are never needed: the owner is the app's user.
  writable=$(find -H "$data_dir" -xdev -perm -0002 ! -type l -print 2>/dev/null | wc -l | tr -d ' ')
  if [ "$writable" -gt 0 ]; then
    if find -H "$data_dir" -xdev -perm -0002 ! -type l -exec chmod o-w {} + 2>/dev/null; then
      say "removed world-write permission from $writable entries under $data_dir"
    else
      warn 'TL_DOCKER_CHMOD_FAILED' "could not remove world-write permission from $writable entries under $data_dir"
    fi
  fi
}

# The command: default `tradelog serve`; options alone (`docker run IMAGE --port 8080`) are options of serve.
if [ "$#" -eq 0 ]; then
  set -- tradelog serve
elif [ "${1#-}" != "$1" ]; then
  set -- tradelog serve "$@"
fi

if ! command -v tradelog >/dev/null 2>&1; then
  fail 'TL_DOCKER_APP_MISSING' 127 "tradelog is not on PATH ($PATH)." \
    "Use the image as built by the project's Dockerfile (PATH includes /app/bin); a custom PATH must keep /app/bin."
fi

if [ "$(id -u)" -eq 0 ]; then
  uid=${PUID:-1000}
  gid=${PGID:-1000}
  if ! is_id "$uid" || ! is_id "$gid"; then
    fail 'TL_DOCKER_BAD_ID' "$EX_CONFIG" "PUID=${PUID-} PGID=${PGID-}: both must be numbers above 0 (tradelog never runs as root)." \
      "Set PUID and PGID to the uid and gid that own the data on the host (id -u; id -g), or unset them for 1000:1000."
  fi
  if ! command -v setpriv >/dev/null 2>&1; then
    fail 'TL_DOCKER_NO_SETPRIV' "$EX_CONFIG" 'setpriv (util-linux) is not installed, so root cannot hand over to the app user.' \
      'Use the image as built by the project'"'"'s Dockerfile, or start the container as the app user (compose: user: "1000:1000").'
  fi
  fix_ownership
else
  uid=$(id -u)
  gid=$(id -g)
  if { [ -n "${PUID-}" ] && [ "$PUID" != "$uid" ]; } || { [ -n "${PGID-}" ] && [ "$PGID" != "$gid" ]; }; then
    warn 'TL_DOCKER_PUID_IGNORED' "PUID/PGID (${PUID-}:${PGID-}) apply only when the container starts as root; running as $uid:$gid"
  fi
fi

# Runs "$@" as $uid:$gid (only root needs to switch).
as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs "$@"
  else
    "$@"
  fi
}

# The doctor's safe repairs (checkpoint a WAL, quarantine stray sidecars, fall back from WAL where it cannot work),
# unless the command is the doctor itself. Its report goes to stderr, so the command's stdout stays its own
# (`docker compose run --rm -T tradelog tradelog backups --json > list.json`).
if [ "$1" = tradelog ] && [ "${2-}" = doctor ]; then
  :
else
  say "running tradelog doctor --repair as $uid:$gid"
  status=0
  as_user tradelog doctor --repair >&2 || status=$?
  case $status in
    0) ;;
    1 | 2)
      warn 'TL_DOCKER_DOCTOR_PROBLEMS' "tradelog doctor found problems it could not repair (exit $status, listed above); starting anyway: /health answers 503 and every page shows the finding and its fix" ;;
    *)
      warn 'TL_DOCKER_DOCTOR_PROBLEMS' "tradelog doctor did not finish (exit $status); starting anyway" ;;
  esac
fi

say "starting $* as $uid:$gid"
if [ "$(id -u)" -eq 0 ]; then
  exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs "$@"
fi
exec "$@"
