/* Fuzz target: the DISTCC_HOSTS grammar (dcc_hosts_parse), and what the
 * client does with each host parsed: its lock name, its canonical spelling
 * (distcc --show-hosts), the total of slots and the shuffle. Beyond the
 * sanitizers it aborts when a failure says nothing, when a host's fields
 * break their contract, or when a canonical spelling does not parse back
 * to the same host. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcc_hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_host(const struct dcc_host *h)
{
    if (!h->spec || !h->hostname)
        abort();
    if (h->n_slots < 1 || h->n_slots > DCC_MAX_SLOTS)
        abort();
    if (h->mode == DCC_HOST_TCP && (h->port < 1 || h->port > 65535))
        abort();
    if (h->protover < 1 || h->protover > 3)
        abort();
    char lock[512];
    (void)dcc_hosts_lock_name(h, lock, sizeof lock);
    char spec[1024];
    if (dcc_hosts_format(h, spec, sizeof spec) != 0)
        return; /* too long for the buffer: said, not overrun */
    /* The spelling distcc --show-hosts prints is a host list of its own. */
    struct dcc_hostlist again;
    char err[256];
    if (dcc_hosts_parse(spec, &again, err, sizeof err) != 0 || again.n != 1)
        abort();
    const struct dcc_host *g = &again.hosts[0];
    if (g->mode != h->mode || strcmp(g->hostname, h->hostname) != 0 || g->port != h->port ||
        g->n_slots != h->n_slots || g->protover != h->protover || g->is_ipv6 != h->is_ipv6)
        abort();
    dcc_hosts_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The environment variable and the hosts file are both C strings. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct dcc_hostlist list;
    char err[256];
    err[0] = '\0';
    if (dcc_hosts_parse(text, &list, err, sizeof err) != 0) {
        if (!err[0] || list.n != 0)
            abort(); /* a refusal names the token, and leaves the list empty */
    } else {
        for (size_t i = 0; i < list.n; i++)
            check_host(&list.hosts[i]);
        (void)dcc_hosts_total_slots(&list);
        dcc_hosts_shuffle(&list, (unsigned)size);
    }
    dcc_hosts_free(&list);
    free(text);
    return 0;
}
