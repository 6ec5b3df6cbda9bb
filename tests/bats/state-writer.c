/* state-writer: a client stand-in for monitor tests; records PHASE FILE HOST SLOT with dcc_state_update, waits for SIGTERM, removes its file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include "client/dcc_state.h"
int main(int argc, char **argv)
{
    sigset_t set;
    int sig;
    char err[512];
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (argc != 5) return 2;
    if (dcc_state_update(NULL, atoi(argv[1]), argv[2], argv[3], atoi(argv[4]), err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sigwait(&set, &sig);
    dcc_state_remove();
    return 0;
}
