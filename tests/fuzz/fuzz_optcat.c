/* Fuzz target: a job's arguments as the daemon takes them in: the
 * canonicaliser (dcc_optcat_parse, as gcc and as clang), the helper's policy
 * (dcc_optcat_check, plain and pump), and dcc_args' scan and rewrites of
 * the daemon (dcc_args_scan, dcc_args_set_files, dcc_args_early_start).
 * The input is one command line, words split at blanks. Beyond the
 * sanitizers it aborts when a refusal says nothing, when the canonical list
 * points at words that are not there, when pump mode refuses a line plain
 * mode accepts, or when a scan that keeps a job remote finds no source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcc_args.h"
#include "proto/dcc_optcat.h"
#include "base/dcc_util.h"
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    return n;
}

static void canonicalise(char *const *argv, unsigned driver)
{
    struct dcc_optcat_list list = {0};
    char err[256];
    if (dcc_optcat_parse(argv, driver, &list, err, sizeof err) == 0) {
        size_t argc = count(argv);
        for (size_t i = 0; i < list.n; i++) {
            const struct dcc_optcat_item *it = &list.items[i];
            if (it->first > it->last || it->last >= argc || it->first == 0)
                abort();
            if (it->kind == DCC_ITEM_OPTION && !it->opt)
                abort();
        }
    }
    dcc_optcat_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char **argv = fuzz_words(data, size, 4096);
    if (!argv)
        return 0;
    const char *b = strrchr(argv[0], '/');
    const char *compiler = b ? b + 1 : argv[0];
    (void)dcc_optcat_driver(compiler);
    canonicalise(argv, DCC_OPT_GCC);
    canonicalise(argv, DCC_OPT_CLANG);

    char why[512];
    int allowed[2];
    for (int pump = 0; pump < 2; pump++) {
        struct dcc_optcat_policy policy = {.pump = pump};
        why[0] = '\0';
        allowed[pump] = dcc_optcat_check(argv, compiler, &policy, why, sizeof why) == 0;
        if (!allowed[pump] && !why[0])
            abort();
    }
    /* Pump mode only widens what a read may name (an absolute -include is
     * re-rooted into the job): a line plain mode accepts, pump accepts. */
    if (allowed[0] && !allowed[1])
        abort();

    /* What the daemon then does with an accepted job of protocol 1 or 2. */
    struct dcc_scan scan;
    char err[256];
    if (dcc_args_scan(&argv, &scan, err, sizeof err) == 0 && !scan.local_only) {
        if (!scan.input || !argv[scan.input_idx] || !scan.output)
            abort();
        (void)dcc_args_preproc_ext(scan.input);
        if (allowed[0] && dcc_args_set_files(argv, &scan, "/job/x.i", "/job/x.o") == 0)
            (void)dcc_args_early_start(&argv, &scan);
    }
    dcc_argv_free(argv);
    return 0;
}
