// A WASI command exercising lepton's preview1 host through wasi-libc.
//   wasi_probe [echo]   prints argv and environ, copies stdin to stdout, writes to stderr and
//                       exits with $EXIT_CODE (returns from main when unset)
//   wasi_probe clock    prints clock readings, resolutions and random bytes
//   wasi_probe fdstat   prints fd_fdstat_get / fd_prestat_get for fds 0..4
//   wasi_probe sleep MS sleeps MS milliseconds (poll_oneoff) and prints how long it took
//   wasi_probe poll     polls stdin for reading together with a long timer
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

extern char** environ;

static int echo(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) printf("arg[%d]=%s\n", i, argv[i]);
  for (char** e = environ; *e != NULL; ++e) printf("env:%s\n", *e);
  fflush(stdout);
  char buf[7];  // small on purpose: many reads
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  fprintf(stderr, "probe stderr\n");
  const char* code = getenv("EXIT_CODE");
  if (code != NULL) {
    fflush(stdout);
    exit(atoi(code));
  }
  return 0;
}

static uint64_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(id, 1, &t) != 0) return 0;
  return t;
}

static int clocks(void) {
  __wasi_timestamp_t res = 0;
  printf("realtime=%llu\n", (unsigned long long)now(__WASI_CLOCKID_REALTIME));
  uint64_t m0 = now(__WASI_CLOCKID_MONOTONIC);
  volatile uint64_t spin = 0;
  for (int i = 0; i < 3000000; ++i) spin += (uint64_t)i;
  uint64_t m1 = now(__WASI_CLOCKID_MONOTONIC);
  printf("monotonic_delta=%llu\n", (unsigned long long)(m1 - m0));
  printf("process_cputime=%llu\n", (unsigned long long)now(__WASI_CLOCKID_PROCESS_CPUTIME_ID));
  printf("thread_cputime=%llu\n", (unsigned long long)now(__WASI_CLOCKID_THREAD_CPUTIME_ID));
  printf("res_realtime_err=%d\n", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
  printf("res_realtime=%llu\n", (unsigned long long)res);
  printf("bad_clock_err=%d\n", __wasi_clock_time_get(99, 1, &res));
  for (int round = 0; round < 2; ++round) {
    uint8_t bytes[16];
    int err = __wasi_random_get(bytes, sizeof bytes);
    printf("random%d=", round);
    for (size_t i = 0; i < sizeof bytes; ++i) printf("%02x", bytes[i]);
    printf(" err=%d\n", err);
  }
  printf("time=%lld\n", (long long)time(NULL));
  return 0;
}

static int fdstat(void) {
  for (int fd = 0; fd <= 4; ++fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    int err = __wasi_fd_fdstat_get(fd, &st);
    printf("fd=%d err=%d type=%d flags=%d base=%llx inheriting=%llx", fd, err, st.fs_filetype,
           st.fs_flags, (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
    __wasi_prestat_t pre;
    err = __wasi_fd_prestat_get(fd, &pre);
    printf(" prestat_err=%d", err);
    if (err == 0) {
      char name[64] = {0};
      err = __wasi_fd_prestat_dir_name(fd, (uint8_t*)name, pre.u.dir.pr_name_len);
      printf(" name_err=%d name=%s", err, name);
    }
    printf(" isatty=%d\n", isatty(fd));
  }
  return 0;
}

static int sleep_ms(const char* ms) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long n = atol(ms);
  struct timespec d = {n / 1000, (n % 1000) * 1000000L};
  int r = nanosleep(&d, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long elapsed =
      (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("nanosleep=%d elapsed_ms=%lld\n", r, elapsed);
  return 0;
}

static int poll_stdin(void) {
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 11;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = 0;
  subs[1].userdata = 22;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = 60ull * 1000 * 1000 * 1000;
  __wasi_event_t events[2];
  __wasi_size_t n = 0;
  int err = __wasi_poll_oneoff(subs, events, 2, &n);
  printf("poll_err=%d n=%u", err, (unsigned)n);
  for (__wasi_size_t i = 0; i < n; ++i)
    printf(" [userdata=%llu type=%d error=%d nbytes=%llu]", (unsigned long long)events[i].userdata,
           events[i].type, events[i].error, (unsigned long long)events[i].fd_readwrite.nbytes);
  printf("\n");
  err = __wasi_poll_oneoff(subs, events, 0, &n);
  printf("poll_zero_err=%d\n", err);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "echo";
  if (strcmp(mode, "clock") == 0) return clocks();
  if (strcmp(mode, "fdstat") == 0) return fdstat();
  if (strcmp(mode, "sleep") == 0 && argc > 2) return sleep_ms(argv[2]);
  if (strcmp(mode, "poll") == 0) return poll_stdin();
  return echo(argc, argv);
}
