/* distccd's sockets: the listening ports, client addresses, and one job on
 * stdin/stdout under inetd or ssh. */
#include "distccd.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int dccd_bind_listener(const char *addr, int port, const char *what)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo *res = NULL;
    int grc;
    if (addr) {
        hints.ai_family = AF_UNSPEC;
        grc = getaddrinfo(addr, port_s, &hints, &res);
    } else {
        /* One dual-stack socket when IPv6 exists, else IPv4. */
        hints.ai_family = AF_INET6;
        grc = getaddrinfo(NULL, port_s, &hints, &res);
        if (grc == 0) {
            int probe = socket(AF_INET6, SOCK_STREAM, 0);
            if (probe < 0) {
                freeaddrinfo(res);
                res = NULL;
                grc = EAI_FAMILY;
            } else {
                close(probe);
            }
        }
        if (grc != 0) {
            hints.ai_family = AF_INET;
            grc = getaddrinfo(NULL, port_s, &hints, &res);
        }
    }
    if (grc != 0)
        dccd_die(DCC_EXIT_BIND_FAILED, "cannot listen on %s for %s: %s",
                 addr ? addr : "all addresses", what, gai_strerror(grc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        dccd_die(DCC_EXIT_BIND_FAILED, "cannot create a socket for %s: %s", what, strerror(errno));
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        freeaddrinfo(res);
        dccd_die(DCC_EXIT_BIND_FAILED, "cannot bind %s port %d for %s: %s%s", addr ? addr : "*",
                 port, what, strerror(e), e == EADDRINUSE ? " (is another distccd running?)" : "");
    }
    freeaddrinfo(res);
    if (listen(fd, 1024) != 0)
        dccd_die(DCC_EXIT_BIND_FAILED, "cannot listen on port %d: %s", port, strerror(errno));
    return fd;
}

void dccd_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr *sa = (const struct sockaddr *)ss;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof host);
    else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], host, sizeof host);
        else
            inet_ntop(AF_INET6, a, host, sizeof host);
    } else if (sa->sa_family == AF_UNIX)
        snprintf(host, sizeof host, "local");
    snprintf(buf, len, "%s", host);
}

int dccd_serve_inetd(struct dccd_config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char peer[64] = "ssh/stdin";
    if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family != AF_UNIX) {
        dccd_peer_name(&ss, peer, sizeof peer);
        if (!dcc_acl_allows(&cfg->acl, (struct sockaddr *)&ss, len)) {
            char acl_text[512];
            dcc_acl_describe(&cfg->acl, acl_text, sizeof acl_text);
            dcc_warn("refused job connection from %s: not in the --allow list (%s)", peer,
                     acl_text);
            return DCC_EXIT_ACCESS_DENIED;
        }
    }
    dccd_drop_root(cfg);
    dccd_setup_hcache(cfg);
    struct dcc_job_record rec;
    dccd_serve_job(cfg, 0, 1, peer, &rec);
    return 0;
}
