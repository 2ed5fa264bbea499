/**
 * The Linux system calls and /proc reads the JDK lacks: the listen backlog ({@link
 * io.sluice.kernel.Listeners}), accept-queue depth and maximum through NETLINK_SOCK_DIAG ({@link
 * io.sluice.kernel.KernelQueues}) and the file descriptor limit ({@link io.sluice.kernel.FdLimits}).
 *
 * <p>All of it blocks, briefly: callers run it at start-up or on a worker thread, never on an event
 * loop. Native calls go through jnr-ffi; the libc binding is loaded on first use.
 */
package io.sluice.kernel;
