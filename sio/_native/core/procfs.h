/*
 * procfs.h - the few /proc readings the supervisor needs.
 *
 * All readers take the dirfd of a procfs mount (or -1 for "/proc"), so the
 * jail can use a procfs of its own pid namespace after pivoting its root.
 */
#ifndef SIO_PROCFS_H
#define SIO_PROCFS_H

#include <stdint.h>
#include <sys/types.h>

/* Open /proc/PID/NAME read-only (O_CLOEXEC). -1 with errno on failure. */
int sio_proc_open(int proc_dirfd, pid_t pid, const char *name);

/* VmPeak and VmHWM of a live process, in KiB. 0 on success, -1 if the
 * process has no memory any more (zombie) or cannot be read. */
int sio_proc_memory_peaks(int proc_dirfd, pid_t pid, uint64_t *vm_peak_kib,
                          uint64_t *vm_hwm_kib);

/* Page tables the kernel holds for a live process (VmPTE), in KiB. */
int sio_proc_page_tables_kib(int proc_dirfd, pid_t pid, uint64_t *kib);

/* Current virtual size in KiB from an open /proc/PID/statm. */
int sio_proc_statm_size_kib(int statm_fd, uint64_t *size_kib);

/* Open-file flags of descriptor fd of a process (the "flags:" line of
 * /proc/PID/fdinfo/FD). */
int sio_proc_fd_flags(int proc_dirfd, pid_t pid, int fd, int *flags);

/* Bytes of [start, end) already mapped in a process (from /proc/PID/maps). */
int sio_proc_mapped_bytes(int proc_dirfd, pid_t pid, uint64_t start,
                          uint64_t end, uint64_t *bytes);

/* Overlap of the "lo-hi" ranges at the start of each line of a maps text
 * with [start, end); the text may end inside a line. Exposed for tests. */
uint64_t sio_parse_maps_overlap(const char *text, uint64_t start, uint64_t end);

/* Parse "VmPeak:" and "VmHWM:" out of the text of a status file.
 * Exposed for unit tests. Returns 0 when both were found. */
int sio_parse_status_peaks(const char *text, uint64_t *vm_peak_kib,
                           uint64_t *vm_hwm_kib);

#endif
