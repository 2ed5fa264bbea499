# Sourced by bin/sluice: the JVM options a Java runtime needs to run Sluice well, and its class archive.
#
# The class archive (beside the jar: sluice.jsa, or sluice.aot from Java 25 on) holds the classes a running Sluice
# loads, already parsed, verified and linked: the JVM maps it instead of reading them from the jar, so Sluice listens
# in about half the time and has more of its first seconds' CPU for requests. From Java 25 on it is an AOT cache, which
# also holds the method profiles of the rehearsal: the JIT compiles the request path with them at once instead of
# profiling it again first, so a fresh Sluice reaches full speed sooner. It is built once per jar and per Java runtime,
# by a rehearsal (io.sluice.Rehearsal: a Sluice on loopback ports in front of two backends in a temporary directory,
# about 4 s), where the jar's directory is writable; elsewhere (an installation owned by root, run as another user)
# Sluice starts without it until one run as the owner builds it. SLUICE_CLASS_ARCHIVE=off starts without it and
# builds none.

# java_feature JAVA: prints the runtime's feature version (17, 25), from its release file or else its -version.
java_feature() {
  local home v
  home="$(dirname -- "$(dirname -- "$(readlink -f -- "$1")")")"
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)"
  [ -n "$v" ] || v="$("$1" -version 2>&1 | sed -n '1s/^[^"]*"\([0-9]*\).*/\1/p')"
  echo "${v:-0}"
}

# java_options JAVA JAR: sets java_opts to the JVM options for running JAR on JAVA.
java_options() {
  local java="$1" jar="$2" feature
  feature="$(java_feature "$java")"
  java_opts=()
  # Netty and jnr load native libraries (Java 22 on warns unless allowed), and Netty uses sun.misc.Unsafe only where
  # allowed from Java 23 on (without it, 15% less throughput measured on Java 25).
  [ "$feature" -ge 22 ] && java_opts+=(--enable-native-access=ALL-UNNAMED)
  [ "$feature" -ge 23 ] && java_opts+=(--sun-misc-unsafe-memory-access=allow)
  [ "${SLUICE_CLASS_ARCHIVE:-on}" = off ] && return 0
  local archive build use
  if [ "$feature" -ge 25 ]; then
    archive="${jar%.jar}.aot" build=-XX:AOTCacheOutput use=-XX:AOTCache
  else
    archive="${jar%.jar}.jsa" build=-XX:ArchiveClassesAtExit use=-XX:SharedArchiveFile
  fi
  # A new jar, or a Java runtime installed since (its libjvm.so changed after the archive was written), needs a new one.
  local jvm
  jvm="$(dirname -- "$(readlink -f -- "$java")")/../lib/server/libjvm.so"
  if [ ! -f "$archive" ] || [ "$jar" -nt "$archive" ] || [ -n "$(find "$jvm" -cnewer "$archive" 2>/dev/null)" ]; then
    [ -w "$(dirname -- "$archive")" ] || return 0
    local tmp="$archive.$$"
    echo "sluice: building the class archive $archive (once per jar and Java runtime) ..." >&2
    # The rehearsal runs with the options Sluice runs with: an AOT cache is only used under the same module options.
    if "$java" ${java_opts[@]+"${java_opts[@]}"} "$build=$tmp" -Xlog:disable -cp "$jar" io.sluice.Rehearsal \
        >"$tmp.log" 2>&1 && [ -s "$tmp" ]; then
      mv -f -- "$tmp" "$archive"
    else
      echo "sluice: no class archive ($(tail -n 1 "$tmp.log")); starting without it" >&2
      rm -f -- "$tmp" "$tmp.log" "$tmp.config"
      return 0
    fi
    rm -f -- "$tmp.log"
  fi
  # JVM warnings (an archive this runtime cannot use, say) go to standard error, never into Sluice's output.
  java_opts+=("$use=$archive" -Xlog:disable -Xlog:all=warning:stderr)
}
