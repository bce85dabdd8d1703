// A WAGI (CGI-style) program: reads the request from the environment and stdin, writes the
// response (headers, blank line, body) to stdout. Behaviour depends on QUERY_STRING:
//   env      prints every environment variable and argv
//   echo     copies stdin to the body
//   status   answers "Status: 201 Created"
//   redirect answers with only a Location header
//   bad      prints no headers the executor accepts
//   exit3    exits with code 3 after writing headers
//   file=P   prints the content of file P from the mounted files
//   sleep    sleeps one second, then answers (for graceful-shutdown tests)
//   ls=D     lists directory D
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  const char* q = getenv("QUERY_STRING");
  if (q == NULL) q = "";
  if (strcmp(q, "status") == 0) {
    printf("Status: 201 Created\nContent-Type: text/plain\n\ncreated\n");
  } else if (strcmp(q, "redirect") == 0) {
    printf("Location: /elsewhere\n\n");
  } else if (strcmp(q, "bad") == 0) {
    printf("X-Only: nothing useful\n\nbody\n");
  } else if (strcmp(q, "exit3") == 0) {
    printf("Content-Type: text/plain\n\npartial\n");
    exit(3);
  } else if (strncmp(q, "file=", 5) == 0) {
    FILE* f = fopen(q + 5, "rb");
    if (f == NULL) {
      printf("Status: 404 Not Found\nContent-Type: text/plain\n\ncannot open %s\n", q + 5);
      return 0;
    }
    printf("Content-Type: text/plain\r\n\r\n");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
  } else if (strcmp(q, "sleep") == 0) {
    sleep(1);
    printf("Content-Type: text/plain\n\nslept\n");
  } else if (strncmp(q, "ls=", 3) == 0) {
    DIR* d = opendir(q + 3);
    if (d == NULL) {
      printf("Status: 404 Not Found\nContent-Type: text/plain\n\ncannot list %s\n", q + 3);
      return 0;
    }
    printf("Content-Type: text/plain\n\n");
    struct dirent* e;
    while ((e = readdir(d)) != NULL) printf("%s\n", e->d_name);
    closedir(d);
  } else if (strncmp(q, "big=", 4) == 0 || strcmp(q, "bigfail") == 0) {
    // big=<MiB>: a large body in 64 KiB writes ('a'..'z' repeating); bigfail: 256 KiB, then a
    // failing exit, after the response has started streaming.
    long mib = q[3] == '=' ? strtol(q + 4, NULL, 10) : 0;
    long chunks = q[3] == '=' ? mib * 16 : 4;
    static char chunk[65536];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)('a' + i % 26);
    printf("Content-Type: application/octet-stream\n\n");
    for (long i = 0; i < chunks; i++) fwrite(chunk, 1, sizeof chunk, stdout);
    if (q[3] != '=') {
      fflush(stdout);
      exit(3);
    }
  } else if (strcmp(q, "echo") == 0) {
    printf("Content-Type: application/octet-stream\n\n");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
  } else {
    printf("Content-Type: text/plain\n\n");
    for (char** e = environ; *e != NULL; e++) printf("%s\n", *e);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    fprintf(stderr, "wagi_probe served %s\n", q);
  }
  return 0;
}
