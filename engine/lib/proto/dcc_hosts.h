/* Host specifications: the distcc host-list grammar, lookup order and lock names. */
#ifndef DCC_HOSTS_H
#define DCC_HOSTS_H

#include <stddef.h>

#define DCC_DEFAULT_PORT 3632
#define DCC_DEFAULT_STATS_PORT 3633
#define DCC_DEFAULT_REMOTE_SLOTS 4
#define DCC_DEFAULT_LOCALHOST_SLOTS 2
#define DCC_DEFAULT_LOCAL_SLOTS 4        /* --localslots: jobs that must run locally */
#define DCC_DEFAULT_LOCAL_SLOTS_CPP 8    /* --localslots_cpp: concurrent local cpp */
#define DCC_MAX_SLOTS 10000              /* larger /N values are refused */
#define DCC_HOSTS_FILE_MAX (1024 * 1024) /* larger hosts files are refused */
#define DCC_HOSTS_AUTH_NAME_MAX 255      /* ,auth=NAME */

enum dcc_host_mode {
    DCC_HOST_LOCAL, /* the word "localhost" (runs here, no daemon) */
    DCC_HOST_TCP,
    DCC_HOST_SSH,
};

struct dcc_host {
    enum dcc_host_mode mode;
    char *spec;        /* the token exactly as written */
    char *hostname;    /* name or address; IPv6 without the brackets */
    int is_ipv6;       /* hostname was written as [addr] */
    int port;          /* TCP only; DCC_DEFAULT_PORT when not given */
    int n_slots;       /* /N or =N, else the mode's default */
    char *user;        /* SSH only; NULL when "@host" has no user */
    char *ssh_command; /* SSH only; ":CMD", NULL means "distccd" */
    int compress_lzo;  /* ,lzo */
    int cpp_on_server; /* ,cpp (pump) */
    int compress_zstd; /* ,zstd: zstd with a helper of ours that offers it, else LZO */
    int zstd_level;    /* ,zstd=LEVEL; 0: DISTCC_ZSTD_LEVEL */
    int protover;      /* 1 plain, 2 ,lzo or ,zstd, 3 ,cpp,lzo or ,cpp,zstd */
    int auth;          /* ,auth or ,auth=NAME: GSS-API mutual authentication */
    char *auth_name;   /* ,auth=NAME; NULL: the name the helper's address resolves to */
};

struct dcc_hostlist {
    struct dcc_host *hosts;
    size_t n;
    int randomize;       /* --randomize seen */
    int zeroconf;        /* +zeroconf seen */
    size_t zeroconf_at;  /* hosts before it: where the helpers it finds go */
    int local_slots;     /* --localslots=N or default */
    int local_slots_cpp; /* --localslots_cpp=N or default */
};

/* Parses a whole host list (whitespace separated, # comments to end of line).
 * Returns 0, or -1 with one line in err naming the bad token, e.g.
 *   bad host specification "box:port": port "port" is not a number 1-65535
 * An empty list parses to n == 0 (callers decide whether that is an error);
 * NULL text counts as empty. *list is initialised here (its old contents are
 * not freed); on failure it is left empty, so dcc_hosts_free is always safe. */
int dcc_hosts_parse(const char *text, struct dcc_hostlist *list, char *err, size_t errlen);
void dcc_hosts_free(struct dcc_hostlist *list);

enum dcc_hosts_source {
    DCC_HOSTS_FROM_NONE = 0,
    DCC_HOSTS_FROM_ENV,    /* $DISTCC_HOSTS */
    DCC_HOSTS_FROM_USER,   /* $DISTCC_DIR/hosts, default ~/.distcc/hosts */
    DCC_HOSTS_FROM_SYSTEM, /* SYSCONFDIR/distcc/hosts */
};
const char *dcc_hosts_source_name(enum dcc_hosts_source src); /* "$DISTCC_HOSTS", ... */

struct dcc_settings;

/* The directory for lock/, state/ and hosts: $DISTCC_DIR, else $HOME/.distcc.
 * Writes into buf; 0 or -1 (no HOME, or too long) with err. The _in form
 * takes DISTCC_DIR from settings a program has read; the other reads them. */
int dcc_hosts_distcc_dir(char *buf, size_t buflen, char *err, size_t errlen);
int dcc_hosts_distcc_dir_in(const struct dcc_settings *s, char *buf, size_t buflen, char *err,
                            size_t errlen);

/* Finds the host list in distcc's order and returns its text (caller frees)
 * and where it came from; path gets the file name (or "" for the env).
 * sysconfdir is normally DCC_SYSCONFDIR ("/etc"); tests pass another.
 * Returns 0 with *text NULL and src NONE when nothing is configured,
 * -1 with err when a file exists but cannot be read. */
int dcc_hosts_find(const char *sysconfdir, char **text, enum dcc_hosts_source *src, char *path,
                   size_t pathlen, char *err, size_t errlen);
/* The same with DISTCC_HOSTS and DISTCC_DIR from settings a program has read. */
int dcc_hosts_find_in(const struct dcc_settings *s, const char *sysconfdir, char **text,
                      enum dcc_hosts_source *src, char *path, size_t pathlen, char *err,
                      size_t errlen);

/* Total slots over all hosts (what `distcc -j` prints). */
int dcc_hosts_total_slots(const struct dcc_hostlist *list);

/* Shuffles hosts in place when list->randomize is set (seeded by the caller). */
void dcc_hosts_shuffle(struct dcc_hostlist *list, unsigned int seed);

/* The lock-file stem distcc uses for a host: "localhost", "tcp_NAME_PORT",
 * "ssh_NAME". 0, or -1 if buf is too small. */
int dcc_hosts_lock_name(const struct dcc_host *h, char *buf, size_t buflen);

/* A canonical one-token spec ("box:3632/4,lzo", "[::1]:4000/2", "user@box/8"),
 * as `distcc --show-hosts` prints it. 0, or -1 if buf is too small. */
int dcc_hosts_format(const struct dcc_host *h, char *buf, size_t buflen);

#endif
