/* TCP connections with a timeout and ssh transports for the client. */
#include "client/dcc_net.h"

#include "proto/dcc_auth.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connect_one(const struct addrinfo *ai, int timeout_ms, int *fdp, int *err_no)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err_no = errno;
        return DCC_EXIT_CONNECT_FAILED;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n;
        do
            n = poll(&p, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            close(fd);
            *err_no = ETIMEDOUT;
            return DCC_EXIT_TIMEOUT;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        /* A reset comes only after the connection was made (a helper that
         * hangs up on strangers at once): the exchange reports it. */
        rc = soerr && soerr != ECONNRESET ? -1 : 0;
        errno = soerr;
    }
    if (rc != 0) {
        *err_no = errno;
        close(fd);
        return DCC_EXIT_CONNECT_FAILED;
    }
    /* The rest of the job uses blocking I/O with poll-based timeouts. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fdp = fd;
    return 0;
}

int dcc_net_connect_tcp(const char *name, int port, int timeout_ms, int *fd, char *err,
                        size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo *res = NULL;
    /* A numeric address needs no resolver (and no netlink query for
     * AI_ADDRCONFIG) on every job. */
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    int grc = getaddrinfo(name, port_s, &hints, &res);
    if (grc == EAI_NONAME) {
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
        grc = getaddrinfo(name, port_s, &hints, &res);
    }
    if (grc != 0) {
        snprintf(err, errlen, "cannot resolve helper \"%s\": %s", name, gai_strerror(grc));
        return DCC_EXIT_CONNECT_FAILED;
    }
    int rc = DCC_EXIT_CONNECT_FAILED, err_no = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        rc = connect_one(ai, timeout_ms, fd, &err_no);
        if (rc == 0)
            break;
    }
    freeaddrinfo(res);
    if (rc == DCC_EXIT_TIMEOUT)
        snprintf(err, errlen, "connecting to %s:%d timed out after %d ms", name, port, timeout_ms);
    else if (rc != 0)
        snprintf(err, errlen, "cannot connect to %s:%d: %s", name, port, strerror(err_no));
    return rc;
}

int dcc_net_open_ssh(const struct dcc_host *h, const char *ssh_command, struct dcc_transport *t,
                     char *err, size_t errlen)
{
    /* Split DISTCC_SSH on blanks, as stock does, into a bounded argv. */
    char *words[16];
    size_t nw = 0;
    char *copy = strdup(ssh_command && *ssh_command ? ssh_command : "ssh");
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (nw == 8) {
            free(copy);
            snprintf(err, errlen, "DISTCC_SSH \"%.200s\" has more than 8 words", ssh_command);
            return DCC_EXIT_BAD_ARGUMENTS;
        }
        words[nw++] = w;
    }
    if (nw == 0)
        words[nw++] = "ssh"; /* DISTCC_SSH of blanks only */
    if (h->user && *h->user) {
        words[nw++] = "-l";
        words[nw++] = h->user;
    }
    words[nw++] = h->hostname;
    words[nw++] = h->ssh_command ? h->ssh_command : "distccd";
    words[nw++] = "--inetd";
    words[nw++] = "--enable-tcp-insecure";
    words[nw] = NULL;

    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) {
        free(copy);
        snprintf(err, errlen, "cannot create a pipe for ssh: %s", strerror(errno));
        return DCC_EXIT_CONNECT_FAILED;
    }
    if (pipe2(from_child, O_CLOEXEC) != 0) {
        close(to_child[0]);
        close(to_child[1]);
        free(copy);
        snprintf(err, errlen, "cannot create a pipe for ssh: %s", strerror(errno));
        return DCC_EXIT_CONNECT_FAILED;
    }
    /* With our stdin or stdout closed a pipe end could be fd 0 or 1, and
     * the dup2 calls below would then clobber or keep close-on-exec. */
    int *ends[] = {&to_child[0], &to_child[1], &from_child[0], &from_child[1]};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        if (*ends[i] > 2)
            continue;
        int moved = fcntl(*ends[i], F_DUPFD_CLOEXEC, 3);
        if (moved >= 0) {
            close(*ends[i]);
            *ends[i] = moved;
        }
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        execvp(words[0], words);
        dprintf(2, "distcc: cannot run %s: %s\n", words[0], strerror(errno));
        _exit(DCC_EXIT_COMPILER_MISSING);
    }
    int saved = errno;
    close(to_child[0]);
    close(from_child[1]);
    free(copy);
    if (pid < 0) {
        close(to_child[1]);
        close(from_child[0]);
        snprintf(err, errlen, "cannot start ssh: %s", strerror(saved));
        return DCC_EXIT_CONNECT_FAILED;
    }
    t->in_fd = from_child[0];
    t->out_fd = to_child[1];
    t->ssh_pid = pid;
    return 0;
}

/* The helper's name in its principal, as stock finds it: ,auth=NAME, else
 * the name its address resolves back to (so an alias in the host list
 * still names the real machine). Where that lookup fails, stock gives up;
 * we use the name as written. */
static void auth_host(const struct dcc_host *h, int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (h->auth_name)
        snprintf(buf, len, "%s", h->auth_name);
    else if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0 ||
             getnameinfo((struct sockaddr *)&ss, sl, buf, (socklen_t)len, NULL, 0, NI_NAMEREQD) !=
                 0)
        snprintf(buf, len, "%s", h->hostname);
}

/* ,auth: GSS-API mutual authentication before the request (dcc_auth.h). */
static int authenticate(const struct dcc_host *h, const struct dcc_transport *t,
                        const char *principal, int timeout_ms, char *err, size_t errlen)
{
    char host[NI_MAXHOST], target[DCC_AUTH_PRINCIPAL_MAX + 1];
    int hostbased;
    auth_host(h, h->mode == DCC_HOST_TCP ? t->in_fd : -1, host, sizeof host);
    if (dcc_auth_target(host, principal, target, sizeof target, &hostbased) != 0) {
        snprintf(err, errlen, "GSS-API: the principal name for %.100s is too long", host);
        return DCC_EXIT_GSSAPI_FAILED;
    }
    struct dcc_conn c;
    dcc_conn_init(&c, t->in_fd, t->out_fd, timeout_ms);
    return dcc_auth_connect(&c, target, hostbased, timeout_ms, err, errlen);
}

int dcc_net_open(const struct dcc_host *h, const struct dcc_net_opts *o, struct dcc_transport *t,
                 char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->in_fd = t->out_fd = -1;
    int rc;
    if (h->auth && !dcc_auth_available()) {
        snprintf(err, errlen,
                 "\",auth\" asks for GSS-API authentication, and this distcc was built without it "
                 "(WITH_GSSAPI=1, the gssapi USE flag)");
        return DCC_EXIT_GSSAPI_FAILED;
    }
    if (h->mode == DCC_HOST_SSH) {
        rc = dcc_net_open_ssh(h, o->ssh_command, t, err, errlen);
    } else {
        int fd;
        rc = dcc_net_connect_tcp(h->hostname, h->port, o->timeout_ms, &fd, err, errlen);
        if (rc == 0)
            t->in_fd = t->out_fd = fd;
    }
    if (rc == 0 && h->auth &&
        (rc = authenticate(h, t, o->principal, o->timeout_ms, err, errlen)) != 0)
        dcc_net_close(t);
    return rc;
}

/* 1 once pid has exited and been reaped, 0 if it still runs after ms. */
static int reaped_within(pid_t pid, int ms)
{
    for (int waited = 0;; waited += 20) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return 1;
        if (waited >= ms)
            return 0;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void dcc_net_close(struct dcc_transport *t)
{
    if (t->in_fd >= 0)
        close(t->in_fd);
    if (t->out_fd >= 0 && t->out_fd != t->in_fd)
        close(t->out_fd);
    t->in_fd = t->out_fd = -1;
    if (t->ssh_pid > 0) {
        /* ssh ends when its stdin closes; do not wait for ever: then
         * SIGTERM, and SIGKILL for one that ignores it. */
        if (!reaped_within(t->ssh_pid, 1000)) {
            kill(t->ssh_pid, SIGTERM);
            if (!reaped_within(t->ssh_pid, 1000)) {
                kill(t->ssh_pid, SIGKILL);
                waitpid(t->ssh_pid, NULL, 0);
            }
        }
        t->ssh_pid = 0;
    }
}
