# Sourced by bin/sluice. A class-data archive beside the jar (sluice.jsa beside sluice.jar) holds the classes a running
# Sluice loads, already parsed, verified and linked: the JVM maps it instead of reading them from the jar, so Sluice
# listens in about half the time and has more of its first seconds' CPU for requests. The archive is built once per
# jar and per Java runtime, by a rehearsal (io.sluice.Rehearsal: a Sluice on loopback ports in front of two
# backends in a temporary directory, about 4 s), where the jar's directory is writable; elsewhere (an installation
# owned by root, run as another user) Sluice starts without it until one run as the owner builds it.
# SLUICE_CLASS_ARCHIVE=off starts without it and builds none.

# class_archive JAVA JAR: sets class_archive_opts to the JVM options that use the archive of JAR (none without one).
class_archive() {
  local java="$1" jar="$2"
  local archive="${jar%.jar}.jsa" jvm
  class_archive_opts=()
  [ "${SLUICE_CLASS_ARCHIVE:-on}" = off ] && return 0
  # A new jar, or a Java runtime installed since (its libjvm.so changed after the archive was written), needs a new one.
  jvm="$(dirname -- "$(readlink -f -- "$java")")/../lib/server/libjvm.so"
  if [ ! -f "$archive" ] || [ "$jar" -nt "$archive" ] || [ -n "$(find "$jvm" -cnewer "$archive" 2>/dev/null)" ]; then
    [ -w "$(dirname -- "$archive")" ] || return 0
    local tmp="$archive.$$"
    echo "sluice: building the class archive $archive (once per jar and Java runtime) ..." >&2
    if "$java" -XX:ArchiveClassesAtExit="$tmp" -Xlog:disable -cp "$jar" io.sluice.Rehearsal >"$tmp.log" 2>&1 \
        && [ -s "$tmp" ]; then
      mv -f -- "$tmp" "$archive"
    else
      echo "sluice: no class archive ($(tail -n 1 "$tmp.log")); starting without it" >&2
      rm -f -- "$tmp" "$tmp.log"
      return 0
    fi
    rm -f -- "$tmp.log"
  fi
  # JVM warnings (an archive this runtime cannot use, say) go to standard error, never into Sluice's output.
  class_archive_opts=(-XX:SharedArchiveFile="$archive" -Xlog:disable -Xlog:all=warning:stderr)
}
