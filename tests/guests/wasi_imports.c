// Imports every wasi_snapshot_preview1 function with the signatures wasi-libc declares, so a
// host that gets one signature wrong fails to instantiate it. The calls never run (argc is
// never 12345); main prints "linked" and returns.
#include <stdint.h>
#include <stdio.h>
#include <wasi/api.h>

// Not declared by this wasi-libc's <wasi/api.h>; the witx signature is (signal: u8) -> errno.
int32_t proc_raise_import(int32_t signal)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

static int touch_everything(void) {
  uint8_t b[64];
  __wasi_size_t n = 0;
  __wasi_filesize_t off = 0;
  __wasi_fd_t fd = 0;
  __wasi_fdstat_t fdstat;
  __wasi_filestat_t filestat;
  __wasi_prestat_t prestat;
  __wasi_timestamp_t ts = 0;
  __wasi_iovec_t iov = {b, sizeof b};
  __wasi_ciovec_t ciov = {b, sizeof b};
  __wasi_subscription_t sub = {0};
  __wasi_event_t ev;
  __wasi_roflags_t roflags = 0;
  int r = 0;
  r |= __wasi_args_get((uint8_t**)b, b);
  r |= __wasi_args_sizes_get(&n, &n);
  r |= __wasi_environ_get((uint8_t**)b, b);
  r |= __wasi_environ_sizes_get(&n, &n);
  r |= __wasi_clock_res_get(0, &ts);
  r |= __wasi_clock_time_get(0, 1, &ts);
  r |= __wasi_fd_advise(3, 0, 0, 0);
  r |= __wasi_fd_allocate(3, 0, 0);
  r |= __wasi_fd_close(3);
  r |= __wasi_fd_datasync(3);
  r |= __wasi_fd_fdstat_get(3, &fdstat);
  r |= __wasi_fd_fdstat_set_flags(3, 0);
  r |= __wasi_fd_fdstat_set_rights(3, 0, 0);
  r |= __wasi_fd_filestat_get(3, &filestat);
  r |= __wasi_fd_filestat_set_size(3, 0);
  r |= __wasi_fd_filestat_set_times(3, 0, 0, 0);
  r |= __wasi_fd_pread(3, &iov, 1, 0, &n);
  r |= __wasi_fd_prestat_get(3, &prestat);
  r |= __wasi_fd_prestat_dir_name(3, b, sizeof b);
  r |= __wasi_fd_pwrite(3, &ciov, 1, 0, &n);
  r |= __wasi_fd_read(3, &iov, 1, &n);
  r |= __wasi_fd_readdir(3, b, sizeof b, 0, &n);
  r |= __wasi_fd_renumber(3, 4);
  r |= __wasi_fd_seek(3, 0, 0, &off);
  r |= __wasi_fd_sync(3);
  r |= __wasi_fd_tell(3, &off);
  r |= __wasi_fd_write(3, &ciov, 1, &n);
  r |= __wasi_path_create_directory(3, "x");
  r |= __wasi_path_filestat_get(3, 0, "x", &filestat);
  r |= __wasi_path_filestat_set_times(3, 0, "x", 0, 0, 0);
  r |= __wasi_path_link(3, 0, "x", 3, "y");
  r |= __wasi_path_open(3, 0, "x", 0, 0, 0, 0, &fd);
  r |= __wasi_path_readlink(3, "x", b, sizeof b, &n);
  r |= __wasi_path_remove_directory(3, "x");
  r |= __wasi_path_rename(3, "x", 3, "y");
  r |= __wasi_path_symlink("x", 3, "y");
  r |= __wasi_path_unlink_file(3, "x");
  r |= __wasi_poll_oneoff(&sub, &ev, 1, &n);
  r |= proc_raise_import(6);
  r |= __wasi_sched_yield();
  r |= __wasi_random_get(b, sizeof b);
  r |= __wasi_sock_accept(3, 0, &fd);
  r |= __wasi_sock_recv(3, &iov, 1, 0, &n, &roflags);
  r |= __wasi_sock_send(3, &ciov, 1, 0, &n);
  r |= __wasi_sock_shutdown(3, __WASI_SDFLAGS_RD);
  __wasi_proc_exit((__wasi_exitcode_t)r);
}

int main(int argc, char** argv) {
  (void)argv;
  if (argc == 12345) return touch_everything();
  printf("linked\n");
  return 0;
}
