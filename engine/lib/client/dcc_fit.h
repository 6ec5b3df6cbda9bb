/* Whether a helper's toolchain fits this machine's for a job's compiler
 * (DISTCC_TOOLCHAIN_MATCH), from its CAPS answer or, for stock helpers, one
 * probe compile; both sides' facts kept under $DISTCC_DIR for a while. */
#ifndef DCC_FIT_H
#define DCC_FIT_H

#include <stddef.h>
#include <time.h>

#include "client/dcc_hostcaps.h"
#include "proto/dcc_hosts.h"
#include "proto/dcc_march.h"
#include "proto/dcc_tcmatch.h"

enum dcc_fit_policy {
    DCC_FIT_EXACT, /* the same compiler version (patch level too), triple, binutils, PIE/SSP */
    DCC_FIT_MINOR, /* the same but for the patch level */
    DCC_FIT_OFF,   /* every helper fits, as in stock distcc */
};

/* "exact", "minor", "off" (NULL or "": exact). 0, or -1 for another word. */
int dcc_fit_parse_policy(const char *text, enum dcc_fit_policy *policy);
const char *dcc_fit_policy_name(enum dcc_fit_policy policy);

#define DCC_FIT_LOCAL_SUBDIR "toolchain" /* $DISTCC_DIR/toolchain: this machine's facts */

/* This machine's facts for the compiler at path (absolute; its name on a
 * helper is name), as a LOCAL row. Kept in $DISTCC_DIR/toolchain for ttl_s
 * seconds and while the compiler file is the same (size and times), so a
 * build runs the compiler for this once. 0, or -1 with err. */
int dcc_fit_local(const char *path, const char *name, const char *distcc_dir, long ttl_s,
                  struct dcc_pf_row *row, char *err, size_t errlen);

/* The helper's facts for compiler name as a REMOTE row: from the
 * "toolchain" member of its CAPS answer (ours), or from a probe compile
 * (`name -c -v` of a one-line preprocessed file, stock helpers), whose
 * answer is kept beside the CAPS answer in $DISTCC_DIR/helpers for the same
 * time. 1 with row filled, 0 when nothing is known (ours without a
 * toolchain member), or an exit code with err when the probe could not
 * reach the helper. */
int dcc_fit_remote(const struct dcc_host *host, const struct dcc_hostcaps *caps, const char *name,
                   const struct dcc_hostcaps_opts *o, struct dcc_pf_row *row, char *err,
                   size_t errlen);

/* Compares remote with local under policy. 1 when the helper fits; 0 with
 * why ("helper H has gcc 13.2.1, this machine 12.2.0") when it does not. */
int dcc_fit_judge(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                  enum dcc_fit_policy policy, const char *hostname, char *why, size_t whylen);

/* 1 the first time this is asked for host and name since the helper's facts
 * were learned (at learned): a marker in $DISTCC_DIR/helpers, so a skipped
 * helper is named once per build, not once per job. 0 afterwards. */
int dcc_fit_first_notice(const struct dcc_host *host, const char *name, time_t learned,
                         const char *distcc_dir);

#define DCC_FIT_NATIVE_SUBDIR "march" /* $DISTCC_DIR/march: -march=native expanded */

/* What -march=native means for the compiler at path on this CPU, reduced
 * to what a helper needs (dcc_march_expand, distccflags' library), kept in
 * $DISTCC_DIR/march while the compiler file and the CPU are the same, so a
 * build runs the compiler for it once. DCC_MARCH_OK with *reduced (free it
 * with dcc_march_native_free), or another dcc_march status with err
 * (DCC_MARCH_UNSUPPORTED for clang). */
int dcc_fit_native(const char *path, const char *distcc_dir, struct dcc_march_native *reduced,
                   char *err, size_t errlen);

/* The CPU as the kernel describes it (vendor, family, model, stepping,
 * flags of the first processor in /proc/cpuinfo), as a digest in out
 * (17 bytes). 0, or -1 when unreadable. */
int dcc_fit_cpu_key(const char *cpuinfo, char *out, size_t outlen);

#endif
