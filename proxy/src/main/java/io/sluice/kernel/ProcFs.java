package io.sluice.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The /proc files this package reads. */
final class ProcFs {

  static final Path SOMAXCONN = Path.of("/proc/sys/net/core/somaxconn");
  /** The ceiling of RLIMIT_NOFILE (fs/file.c, sysctl_nr_open). */
  static final Path NR_OPEN = Path.of("/proc/sys/fs/nr_open");
  static final Path FDS = Path.of("/proc/self/fd");

  private ProcFs() {}

  /**
   * A sysctl holding one number. Read in a single read(2): the sysctl handlers answer a read at a
   * non-zero offset with end-of-file (kernel/sysctl.c, proc_dointvec), and Files.readString of a
   * /proc file (size 0) starts with a one-byte read, so it returns "4" for 4096.
   */
  static long readLong(Path file) throws IOException {
    String text;
    try (InputStream in = Files.newInputStream(file)) {
      text = new String(in.readNBytes(4096), StandardCharsets.US_ASCII).trim();
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IOException(file + ": not a number: \"" + text + "\"", e);
    }
  }

  /** Socket inode to file descriptor, for every socket this process has open. */
  static Map<Long, Integer> socketFds() throws IOException {
    Map<Long, Integer> out = new HashMap<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(FDS)) {
      for (Path fd : fds) {
        long inode = socketInode(fd);
        if (inode >= 0) {
          out.put(inode, Integer.parseInt(fd.getFileName().toString()));
        }
      }
    }
    return out;
  }

  /** The socket inode of an open fd, from its link {@code socket:[INODE]}; -1 if it is not a socket or is gone. */
  static long socketInode(int fd) throws IOException {
    return socketInode(FDS.resolve(Integer.toString(fd)));
  }

  private static long socketInode(Path fdLink) throws IOException {
    String target;
    try {
      target = Files.readSymbolicLink(fdLink).toString();
    } catch (NoSuchFileException e) {
      return -1; // closed while we looked
    }
    if (!target.startsWith("socket:[") || !target.endsWith("]")) {
      return -1;
    }
    return Long.parseLong(target.substring("socket:[".length(), target.length() - 1));
  }

  /** Open file descriptors of this process, not counting the one used to list them. */
  static int openFds() throws IOException {
    int count = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(FDS)) {
      for (Path ignored : fds) {
        count++;
      }
    }
    return count - 1;
  }
}
