/*
 * berth-agent: runs commands inside a session's container for the berth daemon.
 * Protocol and design: README.md beside this file. Single-threaded poll(2) loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define VERSION "berth-agent 1"
#define MAX_PAYLOAD 65536u
#define HDR 9u
#define MAX_PROCS 256
#define RING_CAP (1u << 20)
#define OUT_HIGH (4u << 20)
#define STDIN_HIGH (1u << 20)
#define READ_CHUNK 32768

enum {
  F_HELLO = 0x01, F_PING = 0x02, F_PONG = 0x03,
  F_START = 0x10, F_STARTED = 0x11, F_STDIN = 0x12, F_STDOUT = 0x13, F_STDERR = 0x14,
  F_RESIZE = 0x15, F_SIGNAL = 0x16, F_EXIT = 0x17, F_ATTACH = 0x18, F_DETACH = 0x19,
  F_LIST = 0x1a, F_LIST_REPLY = 0x1b, F_FORGET = 0x1c, F_ERROR = 0x1d
};
enum { SF_STDIN = 1, SF_PTY = 2, SF_KEEP = 4 };
enum { EX_CODE = 0, EX_SIGNAL = 1, EX_SPAWN = 2 };
enum { SP_NOTFOUND = 1, SP_PERMISSION = 2, SP_NOTEXEC = 3, SP_OTHER = 4 };

struct chunk { struct chunk *next; uint8_t stream; uint32_t len; uint8_t data[]; };

struct buf { uint8_t *p; size_t len, cap; };

struct proc {
  int used;
  uint32_t id;
  pid_t pid;
  uint8_t flags;
  int out_fd, err_fd, in_fd; /* pty: out_fd == in_fd == master */
  int exited, exit_kind, exit_value, exit_sent;
  int attached;
  struct buf in; int in_close;
  struct chunk *head, *tail; size_t ring_bytes;
  char cmd[200];
};

static struct proc procs[MAX_PROCS];
static int conn_in = -1, conn_out = -1;
static struct buf rx, tx;
static int sig_pipe[2];
static const char *sock_path;
static char token[129];
static int stdio_mode;

static void die(const char *m) { fprintf(stderr, "berth-agent: %s: %s\n", m, strerror(errno)); exit(1); }

static void buf_add(struct buf *b, const void *d, size_t n) {
  if (b->len + n > b->cap) {
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->len + n) c *= 2;
    uint8_t *np = realloc(b->p, c);
    if (!np) die("out of memory");
    b->p = np; b->cap = c;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}
/* Drops n bytes from the front; an emptied large buffer is given back, so idle RSS stays small. */
static void buf_drop(struct buf *b, size_t n) {
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
  if (b->len == 0 && b->cap > 65536) { free(b->p); b->p = NULL; b->cap = 0; }
}
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void send_frame(uint8_t type, uint32_t id, const void *data, size_t n) {
  if (conn_out < 0) return;
  uint8_t h[HDR];
  put32(h, (uint32_t)(n + 5)); h[4] = type; put32(h + 5, id);
  buf_add(&tx, h, HDR);
  if (n) buf_add(&tx, data, n);
}
static void send_error(uint32_t id, const char *msg) { send_frame(F_ERROR, id, msg, strlen(msg)); }

static struct proc *find(uint32_t id) {
  for (int i = 0; i < MAX_PROCS; i++) if (procs[i].used && procs[i].id == id) return &procs[i];
  return NULL;
}

static void ring_push(struct proc *p, uint8_t stream, const uint8_t *d, size_t n) {
  struct chunk *c = malloc(sizeof *c + n);
  if (!c) return;
  c->next = NULL; c->stream = stream; c->len = (uint32_t)n; memcpy(c->data, d, n);
  if (p->tail) p->tail->next = c; else p->head = c;
  p->tail = c; p->ring_bytes += n;
  while (p->ring_bytes > RING_CAP && p->head) {
    struct chunk *h = p->head;
    p->head = h->next; if (!p->head) p->tail = NULL;
    p->ring_bytes -= h->len; free(h);
  }
}

static void send_exit(struct proc *p) {
  uint8_t b[5]; b[0] = (uint8_t)p->exit_kind; put32(b + 1, (uint32_t)p->exit_value);
  send_frame(F_EXIT, p->id, b, 5);
}

static void free_proc(struct proc *p) {
  struct chunk *c = p->head;
  while (c) { struct chunk *n = c->next; free(c); c = n; }
  if (p->out_fd >= 0) close(p->out_fd);
  if (p->err_fd >= 0) close(p->err_fd);
  if (p->in_fd >= 0 && p->in_fd != p->out_fd) close(p->in_fd);
  free(p->in.p);
  memset(p, 0, sizeof *p);
}

static void close_fd(struct proc *p, int *fd) {
  if (*fd < 0) return;
  if (!(p->flags & SF_PTY) || fd != &p->in_fd) close(*fd);
  if ((p->flags & SF_PTY) && fd == &p->out_fd) p->in_fd = -1;
  *fd = -1;
}

/* Reads what a process wrote: 0 on EOF/error (fd closed), 1 after data, 2 when nothing is there now. */
static int pump(struct proc *p, int *fd, uint8_t type) {
  uint8_t b[READ_CHUNK];
  ssize_t n = read(*fd, b, sizeof b);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 2;
  if (n <= 0) { close_fd(p, fd); return 0; }
  if (p->flags & SF_KEEP) ring_push(p, type, b, (size_t)n);
  if (p->attached) send_frame(type, p->id, b, (size_t)n);
  return 1;
}

static void maybe_finish(struct proc *p) {
  if (!p->exited || p->exit_sent) return;
  if (p->out_fd >= 0 || p->err_fd >= 0) return;
  if (p->attached) { send_exit(p); p->exit_sent = 1; }
  if (!(p->flags & SF_KEEP)) free_proc(p);
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->used || p->pid != pid || p->exited) continue;
      p->exited = 1;
      if (WIFEXITED(st)) { p->exit_kind = EX_CODE; p->exit_value = WEXITSTATUS(st); }
      else { p->exit_kind = EX_SIGNAL; p->exit_value = WTERMSIG(st); }
      while (p->out_fd >= 0 && pump(p, &p->out_fd, F_STDOUT) == 1) {}
      while (p->err_fd >= 0 && pump(p, &p->err_fd, F_STDERR) == 1) {}
      close_fd(p, &p->out_fd); close_fd(p, &p->err_fd);
      if (p->in_fd >= 0) close_fd(p, &p->in_fd);
      maybe_finish(p);
    }
  }
}

static void on_sigchld(int s) { (void)s; int e = errno; (void)!write(sig_pipe[1], "c", 1); errno = e; }

static int nonblock(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* Resolves "name|uid[:group|gid]" from /etc/passwd and /etc/group (no NSS). */
static int lookup_id(const char *file, const char *name, unsigned *id, unsigned *gid, char *home, size_t hl) {
  char *end; unsigned long v = strtoul(name, &end, 10);
  int numeric = *name && !*end;
  FILE *f = fopen(file, "re");
  if (f) {
    char line[1024];
    while (fgets(line, sizeof line, f)) {
      char *fld[7] = {0}; int k = 0; char *s = line;
      line[strcspn(line, "\n")] = 0;
      while (k < 7) { fld[k++] = s; s = strchr(s, ':'); if (!s) break; *s++ = 0; }
      if (k < 3) continue;
      unsigned fid = (unsigned)strtoul(fld[2], NULL, 10);
      if (numeric ? fid != v : strcmp(fld[0], name) != 0) continue;
      *id = fid;
      if (gid && k >= 4) *gid = (unsigned)strtoul(fld[3], NULL, 10);
      if (home && k >= 6) snprintf(home, hl, "%s", fld[5]);
      fclose(f);
      return 0;
    }
    fclose(f);
  }
  if (numeric) { *id = (unsigned)v; return 0; }
  return -1;
}

struct spawn_req { uint8_t flags; uint16_t rows, cols; char *user, *workdir; char **argv; char **env; };

static void child_fail(int fd, int cat, int err, const char *what) {
  uint8_t b[8]; put32(b, (uint32_t)cat); put32(b + 4, (uint32_t)err);
  (void)!write(fd, b, 8); (void)what;
  _exit(127);
}

static void child(struct spawn_req *r, int pin[2], int pout[2], int perr[2], int pty_slave, int report) {
  sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL); signal(SIGCHLD, SIG_DFL);
  if (r->flags & SF_PTY) {
    setsid();
    ioctl(pty_slave, TIOCSCTTY, 0);
    dup2(pty_slave, 0); dup2(pty_slave, 1); dup2(pty_slave, 2);
    if (pty_slave > 2) close(pty_slave);
  } else {
    setpgid(0, 0);
    if (pin[0] >= 0) dup2(pin[0], 0);
    else { int z = open("/dev/null", O_RDONLY); if (z >= 0) { dup2(z, 0); close(z); } else close(0); }
    dup2(pout[1], 1); dup2(perr[1], 2);
  }
  for (int fd = 3; fd < 1024; fd++) if (fd != report) close(fd);
  char home[256] = "";
  if (r->user && *r->user) {
    char uname[128]; snprintf(uname, sizeof uname, "%s", r->user);
    char *g = strchr(uname, ':'); if (g) *g++ = 0;
    unsigned uid = 0, gid = (unsigned)getgid();
    int has_gid = 0;
    if (lookup_id("/etc/passwd", uname, &uid, &gid, home, sizeof home) < 0) child_fail(report, SP_PERMISSION, ESRCH, "user");
    if (g && lookup_id("/etc/group", g, &gid, NULL, NULL, 0) < 0) child_fail(report, SP_PERMISSION, ESRCH, "group");
    has_gid = 1;
    if (uid != getuid() || (has_gid && gid != getgid())) {
      gid_t gl[1] = { gid };
      if (setgroups(1, gl) < 0 && geteuid() == 0) child_fail(report, SP_PERMISSION, errno, "setgroups");
      if (setgid(gid) < 0 || setuid(uid) < 0) child_fail(report, SP_PERMISSION, errno, "setuid");
    }
  }
  if (r->workdir && *r->workdir && chdir(r->workdir) < 0) child_fail(report, SP_OTHER, errno, "workdir");
  extern char **environ;
  environ = r->env;
  if (*home) setenv("HOME", home, 1);
  execvp(r->argv[0], r->argv);
  int e = errno;
  child_fail(report, e == ENOENT || e == ENOTDIR ? SP_NOTFOUND : e == ENOEXEC ? SP_NOTEXEC : e == EACCES || e == EPERM ? SP_PERMISSION : SP_OTHER, e, "exec");
}

/* Builds the child's environment: the agent's own, minus BERTH_AGENT_*, overridden by the request. */
static char **make_env(char **req, int n) {
  extern char **environ;
  int base = 0; for (char **e = environ; *e; e++) base++;
  char **out = calloc((size_t)(base + n + 1), sizeof *out);
  if (!out) return NULL;
  int k = 0;
  for (char **e = environ; *e; e++) {
    if (!strncmp(*e, "BERTH_AGENT_", 12)) continue;
    size_t kl = strcspn(*e, "=");
    int over = 0;
    for (int i = 0; i < n; i++) if (!strncmp(req[i], *e, kl + 1) && req[i][kl] == '=') over = 1;
    if (!over) out[k++] = *e;
  }
  for (int i = 0; i < n; i++) out[k++] = req[i];
  out[k] = NULL;
  return out;
}

static void do_start(uint32_t id, const uint8_t *d, size_t n) {
  uint8_t ex[5 + 200];
  if (find(id)) { send_error(id, "id in use"); return; }
  if (n < 9) { send_error(id, "short start"); return; }
  struct spawn_req r = {0};
  r.flags = d[0]; r.rows = get16(d + 1); r.cols = get16(d + 3);
  uint16_t argc = get16(d + 5), envc = get16(d + 7);
  if (argc == 0) { send_error(id, "empty argv"); return; }
  const char *s = (const char *)d + 9, *end = (const char *)d + n;
  int total = 2 + argc + envc;
  char **strs = calloc((size_t)total + 2, sizeof *strs);
  if (!strs) return;
  for (int i = 0; i < total; i++) {
    const char *z = memchr(s, 0, (size_t)(end - s));
    if (!z) { free(strs); send_error(id, "bad start strings"); return; }
    strs[i] = (char *)s; s = z + 1;
  }
  r.user = strs[0]; r.workdir = strs[1];
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  for (int i = 0; i < argc; i++) argv[i] = strs[2 + i];
  r.argv = argv;
  r.env = make_env(strs + 2 + argc, envc);
  struct proc *p = NULL;
  for (int i = 0; i < MAX_PROCS; i++) if (!procs[i].used) { p = &procs[i]; break; }
  int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, rep[2] = {-1, -1};
  int master = -1, slave = -1, cat = 0, err = 0;
  if (!p) { cat = SP_OTHER; err = EAGAIN; goto fail; }
  if (pipe2(rep, O_CLOEXEC) < 0) { cat = SP_OTHER; err = errno; goto fail; }
  if (r.flags & SF_PTY) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) { cat = SP_OTHER; err = errno; goto fail; }
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    if (slave < 0) { cat = SP_OTHER; err = errno; goto fail; }
    struct winsize ws = { .ws_row = r.rows ? r.rows : 24, .ws_col = r.cols ? r.cols : 80 };
    ioctl(master, TIOCSWINSZ, &ws);
  } else {
    if ((r.flags & SF_STDIN) && pipe2(pin, O_CLOEXEC) < 0) { cat = SP_OTHER; err = errno; goto fail; }
    if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) { cat = SP_OTHER; err = errno; goto fail; }
  }
  pid_t pid = fork();
  if (pid < 0) { cat = SP_OTHER; err = errno; goto fail; }
  if (pid == 0) child(&r, pin, pout, perr, slave, rep[1]);
  close(rep[1]); rep[1] = -1;
  uint8_t rb[8]; ssize_t got;
  do got = read(rep[0], rb, 8); while (got < 0 && errno == EINTR);
  close(rep[0]); rep[0] = -1;
  memset(p, 0, sizeof *p);
  p->used = 1; p->id = id; p->pid = pid; p->flags = r.flags; p->attached = 1;
  p->in_fd = p->out_fd = p->err_fd = -1;
  size_t off = 0;
  for (int i = 0; i < argc && off < sizeof p->cmd - 1; i++) off += (size_t)snprintf(p->cmd + off, sizeof p->cmd - off, i ? " %s" : "%s", argv[i]);
  if (r.flags & SF_PTY) { close(slave); p->out_fd = p->in_fd = master; nonblock(master); }
  else {
    close(pout[1]); close(perr[1]);
    p->out_fd = pout[0]; p->err_fd = perr[0]; nonblock(pout[0]); nonblock(perr[0]);
    if (pin[0] >= 0) { close(pin[0]); p->in_fd = pin[1]; nonblock(pin[1]); }
  }
  if (got == 8) {
    p->exited = 1; p->exit_kind = EX_SPAWN; p->exit_value = (int)get32(rb);
    close_fd(p, &p->out_fd); close_fd(p, &p->err_fd); close_fd(p, &p->in_fd);
    int e = (int)get32(rb + 4);
    ex[0] = EX_SPAWN; put32(ex + 1, (uint32_t)p->exit_value);
    int m = snprintf((char *)ex + 5, 200, "%s", strerror(e));
    send_frame(F_EXIT, id, ex, 5 + (size_t)m); p->exit_sent = 1;
    if (!(p->flags & SF_KEEP)) free_proc(p);
  } else {
    uint8_t b[4]; put32(b, (uint32_t)pid);
    send_frame(F_STARTED, id, b, 4);
  }
  free(argv); free(r.env); free(strs);
  return;
fail:
  for (int *f = pin; f < pin + 2; f++) if (*f >= 0) close(*f);
  for (int *f = pout; f < pout + 2; f++) if (*f >= 0) close(*f);
  for (int *f = perr; f < perr + 2; f++) if (*f >= 0) close(*f);
  if (rep[0] >= 0) close(rep[0]);
  if (rep[1] >= 0) close(rep[1]);
  if (master >= 0) close(master);
  if (slave >= 0) close(slave);
  ex[0] = EX_SPAWN; put32(ex + 1, (uint32_t)cat);
  int m = snprintf((char *)ex + 5, 200, "%s", strerror(err));
  send_frame(F_EXIT, id, ex, 5 + (size_t)m);
  free(argv); free(r.env); free(strs);
}

static void do_list(void) {
  struct buf b = {0};
  for (int i = 0; i < MAX_PROCS; i++) {
    struct proc *p = &procs[i];
    if (!p->used) continue;
    uint8_t r[17]; uint16_t cl = (uint16_t)strlen(p->cmd);
    put32(r, p->id); put32(r + 4, (uint32_t)p->pid); r[8] = p->flags; r[9] = (uint8_t)p->exited;
    r[10] = (uint8_t)p->exit_kind; put32(r + 11, (uint32_t)p->exit_value); r[15] = cl >> 8; r[16] = cl & 0xff;
    buf_add(&b, r, 17); buf_add(&b, p->cmd, cl);
    if (b.len > MAX_PAYLOAD - 300) break;
  }
  send_frame(F_LIST_REPLY, 0, b.p, b.len);
  free(b.p);
}

static void handle(uint8_t type, uint32_t id, const uint8_t *d, size_t n) {
  struct proc *p = type >= F_STDIN ? find(id) : NULL;
  switch (type) {
  case F_PING: send_frame(F_PONG, id, d, n); break;
  case F_START: do_start(id, d, n); break;
  case F_STDIN:
    if (!p || p->in_fd < 0) break;
    if (n == 0) { if (!(p->flags & SF_PTY)) p->in_close = 1; }
    else buf_add(&p->in, d, n);
    break;
  case F_RESIZE:
    if (p && (p->flags & SF_PTY) && p->out_fd >= 0 && n >= 4) {
      struct winsize ws = { .ws_row = get16(d), .ws_col = get16(d + 2) };
      ioctl(p->out_fd, TIOCSWINSZ, &ws);
    }
    break;
  case F_SIGNAL:
    if (p && !p->exited && n >= 1 && d[0] > 0 && d[0] < 65) {
      if (kill(-p->pid, d[0]) < 0) kill(p->pid, d[0]);
    }
    break;
  case F_ATTACH:
    if (!p) { send_error(id, "no such process"); break; }
    for (struct chunk *c = p->head; c; c = c->next) send_frame(c->stream, p->id, c->data, c->len);
    p->attached = 1;
    if (p->exited && p->out_fd < 0 && p->err_fd < 0) { send_exit(p); p->exit_sent = 1; }
    break;
  case F_DETACH: if (p) p->attached = 0; break;
  case F_FORGET: if (p && p->exited) free_proc(p); break;
  case F_LIST: do_list(); break;
  default: send_error(id, "unknown frame type"); break;
  }
}

static void hangup(void) {
  if (conn_in >= 0) close(conn_in);
  if (conn_out >= 0 && conn_out != conn_in) close(conn_out);
  conn_in = conn_out = -1;
  rx.len = tx.len = 0;
  for (int i = 0; i < MAX_PROCS; i++) {
    struct proc *p = &procs[i];
    if (!p->used) continue;
    p->attached = 0;
    if (!(p->flags & SF_KEEP)) {
      if (!p->exited) kill(-p->pid, SIGKILL);
      else free_proc(p);
    }
  }
}

static int try_connect(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  nonblock(fd);
  conn_in = conn_out = fd;
  char hello[200]; int m = snprintf(hello, sizeof hello, "%s%c%s", VERSION, 0, token);
  send_frame(F_HELLO, (uint32_t)getpid(), hello, (size_t)m);
  return 0;
}

static long now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000L + t.tv_nsec / 1000000; }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--connect") && i + 1 < argc) sock_path = argv[++i];
    else if (!strcmp(argv[i], "--stdio")) stdio_mode = 1;
    else if (!strcmp(argv[i], "--version")) { puts(VERSION); return 0; }
    else { fprintf(stderr, "usage: berth-agent --connect SOCKET | --stdio\n"); return 2; }
  }
  if (!sock_path && !stdio_mode) { fprintf(stderr, "usage: berth-agent --connect SOCKET | --stdio\n"); return 2; }
  const char *t = getenv("BERTH_AGENT_TOKEN");
  snprintf(token, sizeof token, "%s", t ? t : "");
  unsetenv("BERTH_AGENT_TOKEN");
  prctl(PR_SET_DUMPABLE, 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
  sigaction(SIGCHLD, &sa, NULL);
  if (stdio_mode) {
    conn_in = 0; conn_out = 1; nonblock(0); nonblock(1);
    char hello[200]; int m = snprintf(hello, sizeof hello, "%s%c%s", VERSION, 0, token);
    send_frame(F_HELLO, (uint32_t)getpid(), hello, (size_t)m);
  } else if (try_connect() < 0) { /* the loop retries */ }
  long backoff = 5, next_try = now_ms();
  struct pollfd pf[3 + 3 * MAX_PROCS];
  struct { struct proc *p; int which; } map[3 * MAX_PROCS];
  for (;;) {
    if (conn_in < 0) {
      if (stdio_mode) { hangup(); if (tx.len == 0) break; }
      else if (now_ms() >= next_try) {
        if (try_connect() == 0) backoff = 5;
        else { next_try = now_ms() + backoff; if (backoff < 500) backoff *= 2; }
      }
    }
    int n = 0, m = 0;
    pf[n++] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
    int ci = -1, co = -1;
    int stdin_full = 0;
    for (int i = 0; i < MAX_PROCS; i++) if (procs[i].used && procs[i].in.len > STDIN_HIGH) stdin_full = 1;
    if (conn_in >= 0 && !stdin_full) { ci = n; pf[n++] = (struct pollfd){ .fd = conn_in, .events = POLLIN }; }
    if (conn_out >= 0 && tx.len) { co = n; pf[n++] = (struct pollfd){ .fd = conn_out, .events = POLLOUT }; }
    int out_full = tx.len > OUT_HIGH;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->used) continue;
      int readable = !(out_full && p->attached);
      if (p->out_fd >= 0 && readable) { map[m].p = p; map[m++].which = 1; pf[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN }; }
      if (p->err_fd >= 0 && readable) { map[m].p = p; map[m++].which = 2; pf[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN }; }
      if (p->in_fd >= 0 && (p->in.len || p->in_close) && !(p->flags & SF_PTY && p->out_fd >= 0 && readable && 0)) {
        map[m].p = p; map[m++].which = 3; pf[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
      }
    }
    int base = n - m;
    int timeout = conn_in < 0 && !stdio_mode ? (int)backoff : -1;
    if (poll(pf, (nfds_t)n, timeout) < 0) { if (errno == EINTR) continue; die("poll"); }
    if (pf[0].revents) { char b[64]; while (read(sig_pipe[0], b, sizeof b) > 0) {} reap(); }
    for (int k = 0; k < m; k++) {
      struct pollfd *q = &pf[base + k];
      struct proc *p = map[k].p;
      if (!q->revents || !p->used) continue;
      if (map[k].which == 1 && p->out_fd == q->fd) pump(p, &p->out_fd, F_STDOUT);
      else if (map[k].which == 2 && p->err_fd == q->fd) pump(p, &p->err_fd, F_STDERR);
      else if (map[k].which == 3 && p->in_fd == q->fd) {
        if (p->in.len) {
          ssize_t w = write(p->in_fd, p->in.p, p->in.len);
          if (w > 0) buf_drop(&p->in, (size_t)w);
          else if (w < 0 && errno != EAGAIN && errno != EINTR) { p->in.len = 0; close_fd(p, &p->in_fd); }
        }
        if (!p->in.len && p->in_close && p->in_fd >= 0) close_fd(p, &p->in_fd);
      }
      if (p->used) maybe_finish(p);
    }
    if (ci >= 0 && pf[ci].revents && conn_in >= 0) {
      uint8_t b[65536];
      ssize_t r = read(conn_in, b, sizeof b);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { hangup(); continue; }
      if (r > 0) buf_add(&rx, b, (size_t)r);
      size_t off = 0;
      while (rx.len - off >= 4) {
        uint32_t len = get32(rx.p + off);
        if (len < 5 || len > MAX_PAYLOAD + 5) { hangup(); break; }
        if (rx.len - off < 4 + len) break;
        handle(rx.p[off + 4], get32(rx.p + off + 5), rx.p + off + HDR, len - 5);
        off += 4 + len;
      }
      if (conn_in >= 0 && off) buf_drop(&rx, off);
    }
    (void)co;
    if (conn_out >= 0 && tx.len) {
      ssize_t w = write(conn_out, tx.p, tx.len);
      if (w > 0) buf_drop(&tx, (size_t)w);
      else if (w < 0 && errno != EAGAIN && errno != EINTR) hangup();
    }
  }
  return 0;
}
