// Serves the files mounted at / (spin.toml `files`): GET/HEAD <route>/<path>; a directory serves
// its index.html; 404 when missing, 405 for other methods.
#include <strings.h>
#include <sys/stat.h>

#include "lepton_wagi.h"

static const char *content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".css", "text/css"},                  {".js", "text/javascript"},
      {".json", "application/json"},         {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                 {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},         {".pdf", "application/pdf"},
      {".xml", "application/xml"},           {".webp", "image/webp"},
  };
  const char *dot = strrchr(path, '.');
  if (dot && !strchr(dot, '/'))
    for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i)
      if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

int main(void) {
  lepton_request req = lepton_read_request();
  int head = strcmp(req.method, "HEAD") == 0;
  if (!head && strcmp(req.method, "GET") != 0)
    return lepton_respond(405, "text/plain", "Method not allowed\n");
  if (strstr(req.path, "..")) return lepton_respond(400, "text/plain", "Bad path\n");
  char path[4096];
  snprintf(path, sizeof path, "/%s", req.path[0] == '/' ? req.path + 1 : req.path);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    size_t n = strlen(path);
    snprintf(path + n, sizeof path - n, "%sindex.html", path[n - 1] == '/' ? "" : "/");
  }
  FILE *f = fopen(path, "rb");
  if (!f) return lepton_respond(404, "text/plain", "Not found\n");
  lepton_begin_response(200, content_type(path), NULL);
  char buf[16384];
  size_t n;
  while (!head && (n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  fflush(stdout);
  return 0;
}
