/*
 * formation-agent: the Formation guest agent. Runs commands for `form vm exec` (see PROTOCOL.md next to this file).
 * Started in the background by the guest init (/usr/lib/formation/init), respawned when it ends.
 *
 *   formation-agent                    guest mode: AF_VSOCK port 5252 and the virtio-serial port org.formation.agent
 *   formation-agent --unix PATH        test transport: listen on a Unix socket (served like vsock)
 *   formation-agent --serial-unix PATH test transport: connect to a Unix socket (served like the virtio-serial port)
 *
 * Built static (scripts/build-guest-agent) so it runs on every base image.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define AGENT_VERSION "formation-agent 1"
#define VSOCK_PORT 5252
#define PORT_NAME "org.formation.agent"
#define MAX_PAYLOAD 65536
#define HEADER 5
#define MAGIC "FORMATION-AGENT/1"
#define MAGIC_LEN 17
#define NONCE_LEN 8
#define HELLO_LEN (MAGIC_LEN + NONCE_LEN)
#define OUT_CHUNK 32768
#define MAX_PENDING_STDIN (256 * 1024)
#define MAX_ARGS 4096
#define MAX_ENV 4096
#define DRAIN_QUIET_MS 250
#define PORT_IDLE_POLL_MS 40

enum {
    T_HELLO = 0x01, T_EXEC = 0x02, T_STDIN = 0x03, T_RESIZE = 0x04, T_SIGNAL = 0x05,
    T_HELLO_ACK = 0x81, T_STARTED = 0x82, T_STDOUT = 0x83, T_STDERR = 0x84, T_EXIT = 0x85, T_ERROR = 0x86,
};
enum { E_NOT_FOUND = 1, E_NOT_EXECUTABLE = 2, E_BAD_REQUEST = 3, E_START_FAILED = 4 };
enum { F_TTY = 1, F_STDIN = 2 };
/* What the stream does when the other side goes away: a connection ends; a port waits for the next host. */
enum { MODE_CONNECTION, MODE_PORT, MODE_PORT_UNIX };

static int sigchld_pipe[2] = { -1, -1 };

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("formation-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    char b = 0;
    if (write(sigchld_pipe[1], &b, 1) < 0) {
        /* the pipe is full: a wakeup is already pending */
    }
    errno = saved;
}

static uint32_t get_u32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put_u32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd w = { .fd = fd, .events = POLLOUT };
                poll(&w, 1, 1000);
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends one frame; -1 when the stream is broken. */
static int send_frame(int io, int type, const void *payload, size_t len)
{
    unsigned char header[HEADER];
    header[0] = (unsigned char)type;
    put_u32(header + 1, (uint32_t)len);
    if (write_all(io, header, HEADER) < 0) return -1;
    return len ? write_all(io, payload, len) : 0;
}

static int send_error(int io, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int send_error(int io, int kind, const char *fmt, ...)
{
    char msg[1024];
    msg[0] = (char)kind;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg + 1, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > (int)sizeof msg - 2) n = (int)sizeof msg - 2;
    return send_frame(io, T_ERROR, msg, (size_t)n + 1);
}

/* ---- users: /etc/passwd and /etc/group read directly (a static binary has no NSS) ---- */

struct user {
    uid_t uid;
    gid_t gid;
    char name[256];
    char home[1024];
    char shell[1024];
};

/* Finds a user by name or numeric uid in /etc/passwd. A bare number with no entry is accepted as uid=gid=number. */
static int find_user(const char *want, struct user *u)
{
    char *end;
    long numeric = strtol(want, &end, 10);
    int is_number = *want && !*end && numeric >= 0;
    FILE *f = fopen("/etc/passwd", "re");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        char *fields[7];
        int n = 0;
        char *s = line;
        line[strcspn(line, "\n")] = 0;
        while (n < 7) {
            fields[n++] = s;
            char *colon = strchr(s, ':');
            if (!colon) break;
            *colon = 0;
            s = colon + 1;
        }
        if (n < 7) continue;
        uid_t uid = (uid_t)strtoul(fields[2], NULL, 10);
        if ((is_number && uid == (uid_t)numeric) || (!is_number && strcmp(fields[0], want) == 0)) {
            u->uid = uid;
            u->gid = (gid_t)strtoul(fields[3], NULL, 10);
            snprintf(u->name, sizeof u->name, "%s", fields[0]);
            snprintf(u->home, sizeof u->home, "%s", *fields[5] ? fields[5] : "/");
            snprintf(u->shell, sizeof u->shell, "%s", *fields[6] ? fields[6] : "/bin/sh");
            fclose(f);
            return 0;
        }
    }
    if (f) fclose(f);
    if (!is_number) return -1;
    u->uid = (uid_t)numeric;
    u->gid = (gid_t)numeric;
    snprintf(u->name, sizeof u->name, "%ld", numeric);
    snprintf(u->home, sizeof u->home, "/");
    snprintf(u->shell, sizeof u->shell, "/bin/sh");
    return 0;
}

/* The user's supplementary groups from /etc/group (plus the primary group). */
static int user_groups(const struct user *u, gid_t *groups, int max)
{
    int n = 0;
    groups[n++] = u->gid;
    FILE *f = fopen("/etc/group", "re");
    char line[8192];
    while (f && fgets(line, sizeof line, f) && n < max) {
        line[strcspn(line, "\n")] = 0;
        char *name = line, *pw = strchr(name, ':');
        if (!pw) continue;
        char *gidf = strchr(pw + 1, ':');
        if (!gidf) continue;
        char *members = strchr(gidf + 1, ':');
        if (!members) continue;
        *members++ = 0;
        gid_t gid = (gid_t)strtoul(gidf + 1, NULL, 10);
        for (char *m = strtok(members, ","); m; m = strtok(NULL, ",")) {
            if (strcmp(m, u->name) == 0 && gid != u->gid) {
                groups[n++] = gid;
                break;
            }
        }
    }
    if (f) fclose(f);
    return n;
}

/* ---- one session ---- */

struct request {
    int flags;
    unsigned short rows, cols;
    char *argv[MAX_ARGS + 1];
    int argc;
    char *env[MAX_ENV];
    int envc;
    char *dir;
    char *user;
    char storage[MAX_PAYLOAD + MAX_ARGS + MAX_ENV + 2]; /* NUL-terminated copies of the items */
};

struct session {
    pid_t pid;
    int tty;
    int in_fd;          /* the command's stdin (write end, or the pty master), -1 once closed */
    int out_fd;         /* stdout (read end, or the pty master), -1 at EOF */
    int err_fd;         /* stderr (read end), -1 at EOF or for a pty */
    int stdin_eof;      /* the host closed stdin: close in_fd once pending is written */
    unsigned char *pending;
    size_t pending_len;
    int exited;
    int status;
    long exited_at;
};

static void session_reset(struct session *s)
{
    free(s->pending);
    memset(s, 0, sizeof *s);
    s->pid = 0;
    s->in_fd = s->out_fd = s->err_fd = -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Ends a session's command at once (the host went away or broke the protocol) and releases it. */
static void session_abort(struct session *s)
{
    if (s->pid > 0 && !s->exited) {
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    if (s->tty) {
        s->in_fd = -1; /* same fd as out_fd */
    }
    close_fd(&s->in_fd);
    close_fd(&s->out_fd);
    close_fd(&s->err_fd);
    session_reset(s);
}

static int parse_exec(const unsigned char *p, size_t len, struct request *r)
{
    if (len < 5) return -1;
    memset(r, 0, offsetof(struct request, storage));
    r->flags = p[0];
    r->rows = get_u16(p + 1);
    r->cols = get_u16(p + 3);
    size_t at = 5;
    char *out = r->storage;
    while (at < len) {
        if (len - at < 3) return -1;
        int tag = p[at];
        size_t n = get_u16(p + at + 1);
        at += 3;
        if (n > len - at || memchr(p + at, 0, n)) return -1;
        memcpy(out, p + at, n);
        out[n] = 0;
        switch (tag) {
        case 'a':
            if (r->argc >= MAX_ARGS) return -1;
            r->argv[r->argc++] = out;
            break;
        case 'e':
            if (r->envc >= MAX_ENV || !strchr(out, '=') || out[0] == '=') return -1;
            r->env[r->envc++] = out;
            break;
        case 'd': r->dir = out; break;
        case 'u': r->user = out; break;
        default: return -1;
        }
        out += n + 1;
        at += n;
    }
    r->argv[r->argc] = NULL;
    return r->argc > 0 && r->argv[0][0] ? 0 : -1;
}

/* What the child reports through its close-on-exec pipe when it cannot run the command. */
enum { STAGE_DIR = 1, STAGE_USER = 2, STAGE_EXEC = 3, STAGE_TTY = 4 };
struct child_failure { int stage; int err; };

static void child_fail(int pipe_fd, int stage)
{
    struct child_failure f = { stage, errno };
    if (write(pipe_fd, &f, sizeof f) < 0) {
        /* nothing left to tell */
    }
    _exit(127);
}

static void set_env(const char *assignment)
{
    char name[1024];
    size_t n = strcspn(assignment, "=");
    if (n >= sizeof name) return;
    memcpy(name, assignment, n);
    name[n] = 0;
    setenv(name, assignment + n + 1, 1);
}

/* Starts the request's command; on failure sends ERROR and returns -1 (the session is then over). */
static int session_start(int io, struct session *s, struct request *r)
{
    struct user u;
    int have_user = r->user && *r->user;
    if (have_user && find_user(r->user, &u) < 0) {
        return send_error(io, E_START_FAILED, "no user '%s' in the guest's /etc/passwd", r->user), -1;
    }

    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, report[2];
    int master = -1;
    char slave_name[128] = "";
    if (r->flags & F_TTY) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave_name, sizeof slave_name) != 0) {
            int e = errno;
            if (master >= 0) close(master);
            return send_error(io, E_START_FAILED, "cannot allocate a pty: %s (is /dev/pts mounted?)", strerror(e)), -1;
        }
    } else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0) close(in[i]);
            if (out[i] >= 0) close(out[i]);
            if (err[i] >= 0) close(err[i]);
        }
        return send_error(io, E_START_FAILED, "pipe: %s", strerror(e)), -1;
    }
    if (pipe2(report, O_CLOEXEC) < 0) {
        return send_error(io, E_START_FAILED, "pipe: %s", strerror(errno)), -1;
    }

    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        /* The agent runs as a background job of init's sh, which ignores SIGINT and SIGQUIT there: give the command
           every signal's default back, so Ctrl-C and SIGNAL frames work. */
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        if (r->flags & F_TTY) {
            int slave = open(slave_name, O_RDWR);
            if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(report[1], STAGE_TTY);
            if (r->rows && r->cols) {
                struct winsize ws = { .ws_row = r->rows, .ws_col = r->cols };
                ioctl(slave, TIOCSWINSZ, &ws);
            }
            dup2(slave, 0);
            dup2(slave, 1);
            dup2(slave, 2);
            if (slave > 2) close(slave);
        } else {
            dup2(in[0], 0);
            dup2(out[1], 1);
            dup2(err[1], 2);
        }
        if (have_user) {
            gid_t groups[64];
            int n = user_groups(&u, groups, 64);
            if (setgroups((size_t)n, groups) < 0 || setgid(u.gid) < 0 || setuid(u.uid) < 0) child_fail(report[1], STAGE_USER);
            setenv("HOME", u.home, 1);
            setenv("USER", u.name, 1);
            setenv("LOGNAME", u.name, 1);
            setenv("SHELL", u.shell, 1);
        }
        if ((r->flags & F_TTY) && !getenv("TERM")) setenv("TERM", "xterm", 1);
        for (int i = 0; i < r->envc; i++) set_env(r->env[i]);
        const char *dir = r->dir && *r->dir ? r->dir : have_user ? u.home : "/";
        if (chdir(dir) < 0) {
            if (r->dir && *r->dir) child_fail(report[1], STAGE_DIR);
            if (chdir("/") < 0) child_fail(report[1], STAGE_DIR);
        }
        execvp(r->argv[0], r->argv);
        child_fail(report[1], STAGE_EXEC);
    }

    int fork_errno = errno;
    close(report[1]);
    if (!(r->flags & F_TTY)) {
        close(in[0]);
        close(out[1]);
        close(err[1]);
    }
    if (pid < 0) {
        close(report[0]);
        if (master >= 0) close(master);
        close(in[1]);
        close(out[0]);
        close(err[0]);
        return send_error(io, E_START_FAILED, "fork: %s", strerror(fork_errno)), -1;
    }

    struct child_failure f;
    ssize_t n;
    do {
        n = read(report[0], &f, sizeof f);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof f) {
        waitpid(pid, NULL, 0);
        if (master >= 0) close(master);
        if (!(r->flags & F_TTY)) {
            close(in[1]);
            close(out[0]);
            close(err[0]);
        }
        switch (f.stage) {
        case STAGE_EXEC:
            if (f.err == ENOENT) return send_error(io, E_NOT_FOUND, "%s: command not found", r->argv[0]), -1;
            if (f.err == EACCES || f.err == ENOEXEC || f.err == EISDIR)
                return send_error(io, E_NOT_EXECUTABLE, "%s: %s", r->argv[0], strerror(f.err)), -1;
            return send_error(io, E_START_FAILED, "%s: %s", r->argv[0], strerror(f.err)), -1;
        case STAGE_DIR: return send_error(io, E_START_FAILED, "cannot change to directory '%s': %s", r->dir, strerror(f.err)), -1;
        case STAGE_USER: return send_error(io, E_START_FAILED, "cannot become user '%s': %s", r->user, strerror(f.err)), -1;
        default: return send_error(io, E_START_FAILED, "cannot set up the pty: %s", strerror(f.err)), -1;
        }
    }

    s->pid = pid;
    s->tty = (r->flags & F_TTY) != 0;
    if (s->tty) {
        s->in_fd = s->out_fd = master;
    } else {
        s->in_fd = in[1];
        s->out_fd = out[0];
        s->err_fd = err[0];
    }
    fcntl(s->in_fd, F_SETFL, fcntl(s->in_fd, F_GETFL) | O_NONBLOCK);
    if (!(r->flags & F_STDIN) && !s->tty) {
        close_fd(&s->in_fd); /* no stdin: the command reads EOF */
        s->stdin_eof = 1;
    }
    unsigned char started[4];
    put_u32(started, (uint32_t)pid);
    return send_frame(io, T_STARTED, started, 4);
}

/* Writes what the host sent for stdin as far as the command takes it without blocking. */
static void flush_stdin(struct session *s)
{
    while (s->pending_len > 0 && s->in_fd >= 0) {
        ssize_t n = write(s->in_fd, s->pending, s->pending_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            s->pending_len = 0; /* the command closed its stdin (EPIPE): drop the rest */
            break;
        }
        memmove(s->pending, s->pending + n, s->pending_len - (size_t)n);
        s->pending_len -= (size_t)n;
    }
    if (s->pending_len == 0 && s->stdin_eof && !s->tty) {
        close_fd(&s->in_fd);
    }
}

static void queue_stdin(struct session *s, const unsigned char *data, size_t len)
{
    static const unsigned char eot = 4; /* a pty has no half-close: EOF is Ctrl-D at the start of a line */
    if (len == 0) {
        s->stdin_eof = 1;
        if (s->tty && s->in_fd >= 0) {
            data = &eot;
            len = 1;
        } else {
            flush_stdin(s);
            return;
        }
    }
    if (s->in_fd < 0) return;
    unsigned char *grown = realloc(s->pending, s->pending_len + len);
    if (!grown) return;
    s->pending = grown;
    memcpy(s->pending + s->pending_len, data, len);
    s->pending_len += len;
    flush_stdin(s);
}

/* Forwards one read of the command's output; marks the fd done at EOF (a pty master says EIO once the slave is gone). */
static int forward_output(int io, int *fd, int type)
{
    static unsigned char buf[OUT_CHUNK];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (n <= 0) {
        close_fd(fd);
        return 0;
    }
    return send_frame(io, type, buf, (size_t)n);
}

static void reap(struct session *s)
{
    char drain[64];
    while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
        if (p == s->pid && !s->exited) {
            s->exited = 1;
            s->status = status;
            s->exited_at = now_ms();
        }
    }
}

static int send_exit(int io, struct session *s)
{
    unsigned char payload[5];
    int code = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1;
    put_u32(payload, (uint32_t)code);
    payload[4] = WIFSIGNALED(s->status) ? (unsigned char)WTERMSIG(s->status) : 0;
    return send_frame(io, T_EXIT, payload, 5);
}

/* ---- the stream: hunting for HELLO, then frames ---- */

struct stream {
    int io;
    int mode;
    int hunting;        /* scanning for a HELLO (start, after EXIT/ERROR, after a protocol error) */
    unsigned char *buf; /* bytes read and not yet used */
    size_t len;
};

static const unsigned char hello_header[HEADER + MAGIC_LEN] = {
    T_HELLO, 0, 0, 0, HELLO_LEN, 'F', 'O', 'R', 'M', 'A', 'T', 'I', 'O', 'N', '-', 'A', 'G', 'E', 'N', 'T', '/', '1',
};

/* Drops bytes up to the next possible HELLO; true when a complete HELLO is at the start of the buffer. */
static int hunt(struct stream *st)
{
    size_t i = 0;
    while (i < st->len) {
        size_t avail = st->len - i;
        size_t cmp = avail < sizeof hello_header ? avail : sizeof hello_header;
        if (memcmp(st->buf + i, hello_header, cmp) == 0) break;
        i++;
    }
    memmove(st->buf, st->buf + i, st->len - i);
    st->len -= i;
    return st->len >= HEADER + HELLO_LEN;
}

static void consume(struct stream *st, size_t n)
{
    memmove(st->buf, st->buf + n, st->len - n);
    st->len -= n;
}

static int answer_hello(struct stream *st)
{
    unsigned char ack[HELLO_LEN + sizeof AGENT_VERSION];
    memcpy(ack, st->buf + HEADER, HELLO_LEN);
    memcpy(ack + HELLO_LEN, AGENT_VERSION, sizeof AGENT_VERSION - 1);
    consume(st, HEADER + HELLO_LEN);
    st->hunting = 0;
    return send_frame(st->io, T_HELLO_ACK, ack, HELLO_LEN + sizeof AGENT_VERSION - 1);
}

/* Handles every complete frame in the buffer. Returns -1 when the stream broke (a write failed). */
static int handle_frames(struct stream *st, struct session *s, struct request *r)
{
    for (;;) {
        if (st->hunting) {
            if (!hunt(st)) return 0;
            if (answer_hello(st) < 0) return -1;
            continue;
        }
        if (st->len < HEADER) return 0;
        int type = st->buf[0];
        uint32_t len = get_u32(st->buf + 1);
        int known = type >= T_HELLO && type <= T_SIGNAL;
        if (len > MAX_PAYLOAD || !known) {
            log_line("protocol error (frame type 0x%02x, length %u); resyncing", type, len);
            session_abort(s);
            st->hunting = 1;
            consume(st, 1);
            if (send_error(st->io, E_BAD_REQUEST, "bad frame (type 0x%02x, length %u, max %d)", type, len, MAX_PAYLOAD) < 0) return -1;
            continue;
        }
        if (st->len < HEADER + len) return 0;
        const unsigned char *p = st->buf + HEADER;
        int rc = 0;
        switch (type) {
        case T_HELLO:
            session_abort(s); /* a host that gave up and came back */
            st->hunting = 1;
            continue; /* hunt() finds this HELLO at the start of the buffer */
        case T_EXEC:
            if (s->pid > 0) {
                rc = send_error(st->io, E_BAD_REQUEST, "a command already runs in this session");
                session_abort(s);
                st->hunting = 1;
            } else if (parse_exec(p, len, r) < 0) {
                rc = send_error(st->io, E_BAD_REQUEST, "malformed EXEC request");
                st->hunting = 1;
            } else if (session_start(st->io, s, r) < 0) {
                st->hunting = 1;
            }
            break;
        case T_STDIN:
            if (s->pid > 0) queue_stdin(s, p, len);
            break;
        case T_RESIZE:
            if (s->tty && len >= 4 && s->out_fd >= 0) {
                struct winsize ws = { .ws_row = get_u16(p), .ws_col = get_u16(p + 2) };
                ioctl(s->out_fd, TIOCSWINSZ, &ws);
            }
            break;
        case T_SIGNAL:
            if (s->pid > 0 && !s->exited && len >= 1 && p[0] > 0 && p[0] < 65) {
                pid_t group = s->tty && s->out_fd >= 0 ? tcgetpgrp(s->out_fd) : -1;
                if (group <= 0) group = s->pid;
                kill(-group, p[0]);
            }
            break;
        }
        consume(st, HEADER + len);
        if (rc < 0) return -1;
    }
}

/* The other side went away: end the command, start over with the next HELLO. */
static void hang_up(struct stream *st, struct session *s)
{
    session_abort(s);
    st->len = 0;
    st->hunting = 1;
}

/*
 * Serves a stream until it ends (MODE_CONNECTION) or forever (ports). One session at a time; each starts with HELLO.
 */
static void serve(int io, int mode)
{
    struct stream st = { .io = io, .mode = mode, .hunting = 1, .buf = malloc(2 * (HEADER + MAX_PAYLOAD)) };
    struct session s;
    struct request *r = malloc(sizeof *r);
    if (!st.buf || !r) {
        log_line("out of memory");
        return;
    }
    memset(&s, 0, sizeof s);
    session_reset(&s);
    for (;;) {
        struct pollfd fds[5];
        int n = 0;
        int want_input = s.pending_len < MAX_PENDING_STDIN && st.len < 2 * (HEADER + MAX_PAYLOAD);
        fds[n++] = (struct pollfd){ .fd = io, .events = want_input ? POLLIN : 0 };
        fds[n++] = (struct pollfd){ .fd = sigchld_pipe[0], .events = POLLIN };
        int out_i = -1, err_i = -1, in_i = -1;
        if (s.out_fd >= 0) { out_i = n; fds[n++] = (struct pollfd){ .fd = s.out_fd, .events = POLLIN }; }
        if (s.err_fd >= 0) { err_i = n; fds[n++] = (struct pollfd){ .fd = s.err_fd, .events = POLLIN }; }
        if (s.pending_len > 0 && s.in_fd >= 0 && !s.tty) { in_i = n; fds[n++] = (struct pollfd){ .fd = s.in_fd, .events = POLLOUT }; }
        else if (s.pending_len > 0 && s.tty && out_i >= 0) fds[out_i].events |= POLLOUT;

        int timeout = -1;
        if (s.pid > 0 && s.exited) {
            timeout = DRAIN_QUIET_MS;
        }
        int ready = poll(fds, (nfds_t)n, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            log_line("poll: %s", strerror(errno));
            break;
        }

        if (fds[1].revents & POLLIN) reap(&s);

        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = 0;
            if (fds[0].revents & POLLIN) {
                size_t room = 2 * (HEADER + MAX_PAYLOAD) - st.len;
                got = read(io, st.buf + st.len, room);
            }
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
                /* nothing this time */
            } else if (got <= 0) {
                if (mode == MODE_CONNECTION || mode == MODE_PORT_UNIX) {
                    session_abort(&s);
                    break;
                }
                /* virtio-serial: no host connected. Start over and look again shortly: POLLHUP stays set until one is,
                   and nothing wakes us when it comes, so this interval is what a new session waits at most. */
                hang_up(&st, &s);
                usleep(PORT_IDLE_POLL_MS * 1000);
                continue;
            } else {
                st.len += (size_t)got;
            }
        }
        /* Every iteration, not only after a read: frames wait in the buffer while stdin is backed up. */
        if (st.len > 0 && s.pending_len < MAX_PENDING_STDIN && handle_frames(&st, &s, r) < 0) {
            if (mode == MODE_PORT) { hang_up(&st, &s); continue; }
            session_abort(&s);
            break;
        }

        int broken = 0;
        if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) flush_stdin(&s);
        if (s.tty && out_i >= 0 && (fds[out_i].revents & POLLOUT)) flush_stdin(&s);
        if (out_i >= 0 && (fds[out_i].revents & (POLLIN | POLLHUP | POLLERR)) && s.out_fd >= 0) {
            broken |= forward_output(io, &s.out_fd, T_STDOUT) < 0;
            if (s.tty && s.out_fd < 0) s.in_fd = -1;
        }
        if (err_i >= 0 && (fds[err_i].revents & (POLLIN | POLLHUP | POLLERR)) && s.err_fd >= 0) {
            broken |= forward_output(io, &s.err_fd, T_STDERR) < 0;
        }

        /* Finished: the command exited and its output is closed, or has been quiet since. */
        if (!broken && s.pid > 0 && s.exited) {
            int closed = s.out_fd < 0 && s.err_fd < 0;
            if (closed || ready == 0 || now_ms() - s.exited_at > 10 * 1000) {
                if (s.tty) s.in_fd = -1;
                close_fd(&s.in_fd);
                close_fd(&s.out_fd);
                close_fd(&s.err_fd);
                broken = send_exit(io, &s) < 0;
                session_reset(&s);
                st.hunting = 1; /* the next session starts with a HELLO */
            }
        }
        if (broken) {
            if (mode == MODE_PORT) { hang_up(&st, &s); continue; }
            session_abort(&s);
            break;
        }
    }
    free(st.buf);
    free(r);
}

/* ---- transports ---- */

static void setup_session_signals(void);

static int open_port(void)
{
    int fd = open("/dev/virtio-ports/" PORT_NAME, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) return fd;
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[512], name[128] = "";
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        if (fgets(name, sizeof name, f)) name[strcspn(name, "\n")] = 0;
        fclose(f);
        if (strcmp(name, PORT_NAME) == 0) {
            snprintf(path, sizeof path, "/dev/%s", e->d_name);
            fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
            break;
        }
    }
    closedir(d);
    return fd;
}

/* Accepts connections forever; each is served by its own process. */
static void accept_loop(int listener)
{
    for (;;) {
        int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno != EINTR) usleep(100 * 1000);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            close(sigchld_pipe[0]);
            close(sigchld_pipe[1]);
            setup_session_signals(); /* this process's own commands, with its own wakeup pipe */
            serve(c, MODE_CONNECTION);
            _exit(0);
        }
        close(c);
    }
}

static int listen_vsock(void)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_port = VSOCK_PORT, .svm_cid = VMADDR_CID_ANY };
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int unix_address(const char *path, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr->sun_path) {
        log_line("socket path too long: %s", path);
        return -1;
    }
    strcpy(addr->sun_path, path);
    return 0;
}

/* Reaps finished connection processes (the accept loop's children); sessions reap their own commands. */
static void on_sigchld_listener(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static void setup_session_signals(void)
{
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        log_line("pipe: %s", strerror(errno));
        exit(1);
    }
    struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static void usage(void)
{
    fputs("usage: formation-agent [--unix PATH | --serial-unix PATH]\n"
          "  (no option) serve AF_VSOCK port 5252 and the virtio-serial port " PORT_NAME "\n"
          "  --unix PATH         listen on a Unix socket (test transport, served like vsock)\n"
          "  --serial-unix PATH  connect to a Unix socket (test transport, served like the virtio-serial port)\n",
          stderr);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "--unix") == 0) {
        struct sockaddr_un addr;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || unix_address(argv[2], &addr) < 0) return 2;
        unlink(argv[2]);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
            log_line("cannot listen on %s: %s", argv[2], strerror(errno));
            return 1;
        }
        setup_session_signals();
        struct sigaction sa = { .sa_handler = on_sigchld_listener, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGCHLD, &sa, NULL);
        accept_loop(fd);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--serial-unix") == 0) {
        setup_session_signals();
        struct sockaddr_un addr;
        if (unix_address(argv[2], &addr) < 0) return 2;
        for (;;) {
            int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
                serve(fd, MODE_PORT_UNIX);
            } else if (errno == ENOENT) {
                return 0; /* the test's server is gone */
            }
            if (fd >= 0) close(fd);
            usleep(100 * 1000);
        }
    }
    if (argc != 1) {
        usage();
        return 2;
    }

    /* Guest mode: this process (init watches it) supervises one child per transport and restarts it when it ends. */
    pid_t port_server = -1, vsock_server = -1;
    int idle_said = 0;
    for (;;) {
        if (port_server < 0) {
            int port = open_port();
            if (port >= 0) {
                port_server = fork();
                if (port_server == 0) {
                    log_line("serving the virtio-serial port %s", PORT_NAME);
                    setup_session_signals();
                    serve(port, MODE_PORT);
                    _exit(1);
                }
                close(port);
            }
        }
        if (vsock_server < 0) {
            int vsock = listen_vsock();
            if (vsock >= 0) {
                vsock_server = fork();
                if (vsock_server == 0) {
                    log_line("listening on vsock port %d", VSOCK_PORT);
                    setup_session_signals();
                    struct sigaction sa = { .sa_handler = on_sigchld_listener, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
                    sigemptyset(&sa.sa_mask);
                    sigaction(SIGCHLD, &sa, NULL);
                    accept_loop(vsock);
                    _exit(1);
                }
                close(vsock);
            }
        }
        if (port_server < 0 && vsock_server < 0) {
            if (!idle_said) log_line("no transport: neither AF_VSOCK nor the virtio-serial port %s exists; idling", PORT_NAME);
            idle_said = 1;
            sleep(5);
            continue;
        }
        pid_t ended = wait(NULL);
        if (ended == port_server) port_server = -1;
        if (ended == vsock_server) vsock_server = -1;
        if (ended > 0) sleep(1);
    }
}
