/* Reaching a helper: TCP with a connect timeout, or an ssh child on pipes. */
#ifndef DCC_NET_H
#define DCC_NET_H

#include <stddef.h>
#include <sys/types.h>

#include "proto/dcc_hosts.h"

#define DCC_CONNECT_TIMEOUT_MS 4000 /* stock distcc's fixed 4 s */

struct dcc_transport {
    int in_fd;     /* read the reply here */
    int out_fd;    /* write the request here (== in_fd for TCP) */
    pid_t ssh_pid; /* 0 for TCP */
};

/* Connects to name:port (any address the name resolves to, in order) within
 * timeout_ms. Returns 0, or 103 (cannot resolve, refused, unreachable) or 118
 * (timed out) with one line in err. */
int dcc_net_connect_tcp(const char *name, int port, int timeout_ms, int *fd, char *err,
                        size_t errlen);

/* Starts `$DISTCC_SSH [-l USER] HOST CMD --inetd --enable-tcp-insecure`
 * (DISTCC_SSH split on blanks into at most 8 words, else 101; empty or
 * blank means "ssh"; CMD default "distccd"). */
int dcc_net_open_ssh(const struct dcc_host *h, const char *ssh_command, struct dcc_transport *t,
                     char *err, size_t errlen);

/* How dcc_net_open reaches a helper (the client fills it from its settings). */
struct dcc_net_opts {
    int timeout_ms;          /* connect, and each wait of the GSS-API exchange */
    const char *ssh_command; /* DISTCC_SSH for @host hosts; NULL or blank: ssh */
    const char *principal;   /* DISTCC_PRINCIPAL: the helpers' GSS-API service, or NULL */
};

/* Either of the above for a TCP or SSH host; for an ",auth" host also the
 * GSS-API exchange (dcc_auth_connect; o->principal names the helper's
 * service): 119 or 113 with err when it fails, and the transport closed. */
int dcc_net_open(const struct dcc_host *h, const struct dcc_net_opts *o, struct dcc_transport *t,
                 char *err, size_t errlen);

/* Closes the fds and reaps an ssh child (killing it if it lingers). */
void dcc_net_close(struct dcc_transport *t);

#endif
