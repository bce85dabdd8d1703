// A WASI command reading the read-only file tree through wasi-libc.
//   file_reader CMD PATH   (PATH may instead come from $QUERY_STRING or $FILE_PATH)
// CMD: cat (print the file), ls (list a directory without . and ..), stat, seek (exercise
// lseek/pread), write (open for writing), create, mkdir, unlink, rmdir, rename, many (open PATH
// until it fails). Failures print "error: <ERRNO NAME>".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* errno_name(int e) {
  switch (e) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EBADF:
      return "EBADF";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case EMFILE:
      return "EMFILE";
    case EROFS:
      return "EROFS";
    case EFAULT:
      return "EFAULT";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case ENOTCAPABLE:
      return "ENOTCAPABLE";
    case ENOTSUP:
      return "ENOTSUP";
    case ESPIPE:
      return "ESPIPE";
    default:
      return "E?";
  }
}

static int fail(void) {
  printf("error: %s\n", errno_name(errno));
  return 0;
}

static int cat(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail();
  char buf[1000];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  if (n < 0) return fail();
  close(fd);
  return 0;
}

static int ls(const char* path) {
  DIR* dir = opendir(path);
  if (dir == NULL) return fail();
  struct dirent* e;
  for (;;) {
    errno = 0;  // readdir reports errors only through errno; printf may set it too
    if ((e = readdir(dir)) == NULL) break;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
  }
  if (errno != 0) return fail();
  closedir(dir);
  return 0;
}

static int do_stat(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) return fail();
  printf("size=%lld dir=%d reg=%d ino_nonzero=%d mtime_nonzero=%d\n", (long long)st.st_size,
         S_ISDIR(st.st_mode), S_ISREG(st.st_mode), st.st_ino != 0, st.st_mtime != 0);
  return 0;
}

static int seek(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail();
  char buf[16] = {0};
  off_t at = lseek(fd, 2, SEEK_SET);
  ssize_t n = read(fd, buf, 3);
  printf("seek=%lld read=%zd data=%.*s\n", (long long)at, n, (int)n, buf);
  printf("tell=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  n = pread(fd, buf, 4, 0);
  printf("pread=%zd data=%.*s\n", n, (int)n, buf);
  printf("tell_after_pread=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("end=%lld\n", (long long)lseek(fd, 0, SEEK_END));
  n = read(fd, buf, sizeof buf);
  printf("read_at_end=%zd\n", n);
  off_t neg = lseek(fd, -100, SEEK_SET);
  printf("negative=%lld %s\n", (long long)neg, neg < 0 ? errno_name(errno) : "");
  ssize_t w = write(fd, "x", 1);
  printf("write=%zd %s\n", w, w < 0 ? errno_name(errno) : "");
  struct stat st;
  fstat(fd, &st);
  printf("fstat_size=%lld\n", (long long)st.st_size);
  close(fd);
  return 0;
}

static int many(const char* path) {
  int count = 0;
  for (;;) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) break;
    ++count;
  }
  printf("opened=%d then %s\n", count, errno_name(errno));
  return 0;
}

static int report(int r) {
  if (r < 0) return fail();
  printf("ok\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("usage: file_reader CMD [PATH]\n");
    return 2;
  }
  const char* cmd = argv[1];
  const char* path = argc > 2 ? argv[2] : getenv("QUERY_STRING");
  if (path == NULL || *path == '\0') path = getenv("FILE_PATH");
  if (path == NULL) path = "/";
  if (strcmp(cmd, "cat") == 0) return cat(path);
  if (strcmp(cmd, "ls") == 0) return ls(path);
  if (strcmp(cmd, "stat") == 0) return do_stat(path);
  if (strcmp(cmd, "seek") == 0) return seek(path);
  if (strcmp(cmd, "many") == 0) return many(path);
  if (strcmp(cmd, "write") == 0) return report(open(path, O_WRONLY));
  if (strcmp(cmd, "rdwr") == 0) return report(open(path, O_RDWR));
  if (strcmp(cmd, "create") == 0) return report(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  if (strcmp(cmd, "mkdir") == 0) return report(mkdir(path, 0755));
  if (strcmp(cmd, "unlink") == 0) return report(unlink(path));
  if (strcmp(cmd, "rmdir") == 0) return report(rmdir(path));
  if (strcmp(cmd, "rename") == 0) return report(rename(path, "/renamed"));
  printf("unknown command %s\n", cmd);
  return 2;
}
