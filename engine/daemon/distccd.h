/* The parts of the distccd program, as its main tells them in order. */
#ifndef DCCD_DISTCCD_H
#define DCCD_DISTCCD_H

#include "daemon.h"

#include <sys/socket.h>

/* distccd.c: logs msg as critical (and on stderr while the admin may still
 * be watching it) and exits with code. */
void dccd_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* options.c: the command line into cfg; --help, --version and
 * --show-principal print and exit, a bad option dies with 101. */
void dccd_parse_options(int argc, const char **argv, struct dccd_config *cfg);
/* A decimal number from lo to hi into *out; 0, or -1. */
int dccd_parse_int(const char *s, long lo, long hi, long *out);
void dccd_options_free(void);

/* privileges.c */
/* Finds out what the kernel offers the job user, decides with --sandbox,
 * says once what is missing, and prepares what every job will use. */
void dccd_setup_sandbox(struct dccd_config *cfg);
/* --auth: the principal lists and the acceptor's keys. */
void dccd_setup_auth(struct dccd_config *cfg);
/* Started as root: becomes the job user (--user, distcc, nobody) for good. */
void dccd_drop_root(const struct dccd_config *cfg);

/* hcache.c: opens the header cache (--header-cache-dir, or the default
 * place when it is usable) as the daemon's user; dies with 107 when the
 * directory given cannot be used. */
void dccd_setup_hcache(struct dccd_config *cfg);

/* listen.c */
/* A listening socket on addr (NULL: every address) and port; dies with 102. */
int dccd_bind_listener(const char *addr, int port, const char *what);
/* The client's address as logs and --max-per-address name it. */
void dccd_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len);
/* --inetd (or ssh): one job on stdin/stdout; the exit status. */
int dccd_serve_inetd(struct dccd_config *cfg);

/* server.c: the accept loop, until SIGTERM, SIGINT, SIGHUP or --lifetime. */
void dccd_serve_forever(struct dccd_config *cfg, int listen_fd, int stats_fd);

#endif
