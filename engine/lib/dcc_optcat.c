/* The catalogue of compile options of gcc 12 and clang 14, the canonicaliser
 * that reads a compile line as their drivers do, and the helper's
 * allow-list over both. */
#include "dcc_optcat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcc_util.h"

/* ------------------------------------------------------------------------
 * The catalogue
 *
 * One line per spelling. A name is matched exactly when its forms include
 * FLAG or SEP, and as the longest prefix when they include JOIN (or EQ,
 * with '=' right after the name). Families (-f, -W, -m, -g) take any
 * plain option name; an "-fNAME=VALUE" is known only when its NAME is
 * listed, so a value never passes unchecked. Entries with an alias are
 * other spellings of the named option and share its roles and check.
 * ------------------------------------------------------------------------ */

#define FL DCC_FORM_FLAG
#define SP DCC_FORM_SEP
#define JO DCC_FORM_JOIN
#define EQ DCC_FORM_EQ
#define SJ (DCC_FORM_SEP | DCC_FORM_JOIN)
#define SE (DCC_FORM_SEP | DCC_FORM_EQ)
#define GC DCC_OPT_GCC
#define CL DCC_OPT_CLANG
#define BO (DCC_OPT_GCC | DCC_OPT_CLANG)
#define AS DCC_OPT_AS
#define C1 DCC_OPT_CC1
#define PP DCC_OPT_CPP
#define R_CPP DCC_ROLE_CPP
#define R_LINK DCC_ROLE_LINK
#define R_READS DCC_ROLE_READS
#define R_WRITES DCC_ROLE_WRITES
#define R_RUNS DCC_ROLE_RUNS
#define R_PASS DCC_ROLE_PASS
#define R_FAM DCC_ROLE_FAMILY
#define R_REROOT DCC_ROLE_REROOT
#define R_OUT DCC_ROLE_OUTPUT

#define W_RUNS "it runs another program on the helper"
#define W_BDIR "it makes the compiler run programs from another directory"
#define W_TOOLS "it makes the compiler run tools from another directory"
#define W_SPECS "a specs file can make the compiler run any program"
#define W_PLUGIN "it loads a plugin into the compiler"
#define W_MAPPER "a module mapper can run another program or open a connection"
#define W_REREAD "gcc reads its value as more driver options"
#define W_CONFIG "a configuration file adds options the helper cannot see"
#define W_CWD "it moves the compile out of the job directory"
#define W_OUTPUT "it names an output file the helper does not choose; use -o"
#define W_SECOND "it makes the tool write a second output file"
#define W_MODCACHE "clang keeps its module cache outside the job"

static const struct dcc_opt dcc_optcat[] = {
    /* what to do, and the files */
    {"-c", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"-S", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"-E", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-o", SJ, BO, R_OUT | R_WRITES, DCC_VAL_OUTPUT, NULL, NULL},
    {"--output", SE, BO, R_WRITES, DCC_VAL_REFUSE, NULL, W_OUTPUT},
    {"-x", SJ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"--language", SE, BO, 0, DCC_VAL_WORD, "-x", NULL},
    {"--compile", FL, GC, 0, DCC_VAL_NONE, "-c", NULL},
    {"--assemble", FL, GC, 0, DCC_VAL_NONE, "-S", NULL},
    {"--preprocess", FL, BO, R_CPP, DCC_VAL_NONE, "-E", NULL},
    {"-pipe", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--pipe", FL, GC, 0, DCC_VAL_NONE, "-pipe", NULL},
    {"-v", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--verbose", FL, BO, 0, DCC_VAL_NONE, "-v", NULL},
    {"-###", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"-Q", FL, GC, 0, DCC_VAL_NONE, NULL, NULL},
    {"-time", FL, GC, 0, DCC_VAL_NONE, NULL, NULL},
    {"--time", FL, GC, 0, DCC_VAL_NONE, "-time", NULL},
    {"-pass-exit-codes", FL, GC, 0, DCC_VAL_NONE, NULL, NULL},
    {"--pass-exit-codes", FL, GC, 0, DCC_VAL_NONE, "-pass-exit-codes", NULL},
    {"-no-canonical-prefixes", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"-save-temps", FL | EQ, BO, R_WRITES, DCC_VAL_SAVE_TEMPS, NULL, NULL},
    {"--save-temps", FL, GC, R_WRITES, DCC_VAL_SAVE_TEMPS, "-save-temps", NULL},
    {"-dumpdir", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"--dumpdir", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpdir", NULL},
    {"-dumpbase", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"--dumpbase", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpbase", NULL},
    {"-dumpbase-ext", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"--dumpbase-ext", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpbase-ext", NULL},
    {"-aux-info", SE, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-d", JO, GC, 0, DCC_VAL_NAME, NULL, NULL},
    {"--dump", SE, GC, 0, DCC_VAL_NAME, "-d", NULL},

    /* language and dialect */
    {"-std", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"--std", EQ, GC, 0, DCC_VAL_WORD, "-std", NULL},
    {"--std", SE, CL, 0, DCC_VAL_WORD, "-std", NULL},
    {"-ansi", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--ansi", FL, BO, 0, DCC_VAL_NONE, "-ansi", NULL},
    {"-pedantic", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--pedantic", FL, BO, 0, DCC_VAL_NONE, "-pedantic", NULL},
    {"-pedantic-errors", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--pedantic-errors", FL, BO, 0, DCC_VAL_NONE, "-pedantic-errors", NULL},
    {"-traditional", FL, GC, 0, DCC_VAL_NONE, NULL, NULL},
    {"--traditional", FL, GC, 0, DCC_VAL_NONE, "-traditional", NULL},
    {"-w", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"--no-warnings", FL, BO, 0, DCC_VAL_NONE, "-w", NULL},
    {"--all-warnings", FL, GC, 0, DCC_VAL_NONE, "-Wall", NULL},
    {"--extra-warnings", FL, GC, 0, DCC_VAL_NONE, "-Wextra", NULL},
    {"-pthread", FL, BO, 0, DCC_VAL_NONE, NULL, NULL},
    {"-stdlib", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-target", SP, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"--target", EQ, CL, 0, DCC_VAL_WORD, "-target", NULL},
    {"-no-integrated-as", FL, CL, 0, DCC_VAL_NONE, NULL, NULL},
    {"-integrated-as", FL, CL, 0, DCC_VAL_NONE, NULL, NULL},
    {"-Qunused-arguments", FL, CL, 0, DCC_VAL_NONE, NULL, NULL},
    {"-emit-llvm", FL, CL, 0, DCC_VAL_NONE, NULL, NULL},

    /* optimisation, debug information, code generation, warnings */
    {"-O", FL | JO, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"--optimize", FL | EQ, GC, 0, DCC_VAL_WORD, "-O", NULL},
    {"-g", FL | JO, BO | AS, 0, DCC_VAL_NAME, NULL, NULL},
    {"--debug", FL | EQ, GC, 0, DCC_VAL_NAME, "-g", NULL},
    {"-f", JO, BO | C1, R_FAM, DCC_VAL_NAME, NULL, NULL},
    {"-m", JO, BO | AS, R_FAM, DCC_VAL_NAME, NULL, NULL},
    {"-W", FL | JO, BO | AS | C1, R_FAM, DCC_VAL_NAME, NULL, NULL},
    {"-R", JO, CL, R_FAM, DCC_VAL_TEXT, NULL, NULL},
    {"--param", SE, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-Xclang", SP, CL, R_PASS, DCC_VAL_NONE, NULL, NULL},
    {"-mllvm", SP, CL | C1, 0, DCC_VAL_LLVM, NULL, NULL},

    /* -f options with a value: only these may carry one */
    {"-fabi-version", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fabi-compat-version", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-falign-functions", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-falign-jumps", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-falign-labels", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-falign-loops", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fbracket-depth", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fcallgraph-info", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fcf-protection", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconstexpr-depth", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconstexpr-steps", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconstexpr-loop-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconstexpr-ops-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconstexpr-backtrace-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fconcepts-diagnostics-depth", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdebug-default-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdenormal-fp-math", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-color", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-format", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-show-location", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-column-unit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-column-origin", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-escape-format", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-minimum-margin-width", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-path-format", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-urls", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fdiagnostics-add-output", EQ, GC, R_WRITES, DCC_VAL_DIAG, NULL, NULL},
    {"-fdiagnostics-set-output", EQ, GC, R_WRITES, DCC_VAL_DIAG, NULL, NULL},
    {"-ferror-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fexcess-precision", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fexec-charset", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fwide-exec-charset", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-finput-charset", EQ, BO, R_CPP, DCC_VAL_WORD, NULL, NULL},
    {"-ffp-contract", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ffp-model", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ffp-exception-behavior", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ffp-eval-method", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fgnuc-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-finline-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-finstrument-functions-exclude-file-list", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-finstrument-functions-exclude-function-list", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fira-algorithm", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fira-region", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fira-verbose", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-flive-patching", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-flto", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-flto-partition", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-flto-compression-level", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-flto-jobs", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fmacro-backtrace-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fmax-errors", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fmax-include-depth", EQ, GC, R_CPP, DCC_VAL_WORD, NULL, NULL},
    {"-fmessage-length", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fmodule-header", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fms-compatibility-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fopenacc-dim", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fopenmp", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fpack-struct", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fpatchable-function-entry", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fpermitted-flt-eval-methods", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-frandom-seed", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-freorder-blocks-algorithm", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fno-sanitize", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize-recover", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fno-sanitize-recover", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize-trap", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fno-sanitize-trap", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize-coverage", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize-address-use-after-return", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsanitize-memory-track-origins", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsched-stalled-insns", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsched-stalled-insns-dep", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fsimd-cost-model", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fstack-check", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fstack-limit-register", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fstack-limit-symbol", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fstack-reuse", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fstrong-eval-order", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftabstop", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftemplate-backtrace-limit", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftemplate-depth", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftls-model", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftrack-macro-expansion", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftrapv-handler", SE, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftrivial-auto-var-init", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-ftime-trace-granularity", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fvect-cost-model", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fvisibility", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fvtable-verify", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fzero-call-used-regs", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fprofile-update", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fprofile-reproducible", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fprofile-exclude-files", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fprofile-filter-files", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fsave-optimization-record", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fembed-bitcode", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-fbinutils-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL},
    /* strings recorded in the output; pump mode re-roots OLD */
    {"-fdebug-prefix-map", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-ffile-prefix-map", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fmacro-prefix-map", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fprofile-prefix-map", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fprofile-prefix-path", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fdebug-compilation-dir", SE, CL | C1, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-fcoverage-compilation-dir", EQ, CL, 0, DCC_VAL_TEXT, NULL, NULL},
    {"-ffile-compilation-dir", EQ, CL, 0, DCC_VAL_TEXT, NULL, NULL},
    /* files the compiler reads */
    {"-fprofile-use", EQ, BO, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fauto-profile", EQ, GC, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fprofile-sample-use", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fprofile-instr-use", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fprofile-remapping-file", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fprofile-list", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fsanitize-blacklist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fsanitize-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fsanitize-system-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fsanitize-coverage-allowlist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fsanitize-coverage-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fxray-always-instrument", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fxray-never-instrument", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fxray-attr-list", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fmodule-file", EQ, CL, R_READS, DCC_VAL_READ_LAST, NULL, NULL},
    {"-fmodule-map-file", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fprebuilt-module-path", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fthinlto-index", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-fself-test", EQ, GC, R_READS, DCC_VAL_READ, NULL, NULL},
    /* files the compiler writes */
    {"-fprofile-generate", EQ, BO, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fprofile-dir", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fprofile-note", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fprofile-instr-generate", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fcs-profile-generate", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-ftime-trace", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-foptimization-record-file", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fcrash-diagnostics-dir", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fmodules-cache-path", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fproc-stat-report", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fdeps-file", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fdump-", JO, BO | C1, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL},
    {"-fopt-info", JO, GC, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL},
    /* programs and plugins */
    {"-fplugin", EQ, BO, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-fplugin-arg-", JO, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-fpass-plugin", EQ, CL | C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-iplugindir", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-fmodule-mapper", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_MAPPER},
    {"-fcompare-debug", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_REREAD},
    {"-fmodules", FL, CL | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_MODCACHE},
    {"-fcxx-modules", FL, CL | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_MODCACHE},
    {"-fuse-ld", EQ, BO, R_LINK, DCC_VAL_PROGRAM, NULL, NULL},
    {"-wrapper", SP, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_RUNS},
    {"-B", SJ, BO, R_RUNS, DCC_VAL_REFUSE, NULL, W_BDIR},
    {"--prefix", SE, BO, R_RUNS, DCC_VAL_REFUSE, NULL, W_BDIR},
    {"-specs", SE, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_SPECS},
    {"--specs", SE, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_SPECS},
    {"-gcc-toolchain", SP, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS},
    {"--gcc-toolchain", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS},
    {"--gcc-install-dir", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS},
    {"-ccc-", JO, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS},
    {"--ld-path", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_RUNS},
    {"--config", SE, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG},
    {"--config-system-dir", EQ, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG},
    {"--config-user-dir", EQ, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG},
    {"-working-directory", SE, CL, R_READS | R_WRITES, DCC_VAL_REFUSE, NULL, W_CWD},
    {"-resource-dir", SE, CL | C1, R_READS, DCC_VAL_REFUSE, NULL, W_TOOLS},
    {"--serialize-diagnostics", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-serialize-diagnostics", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    /* clang options with a separate value whose names the -f, -g and -m
     * families would otherwise take, so the value were read as a word of
     * its own */
    {"-gen-cdb-fragment-path", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-fmodules-user-build-path", SP, CL, R_READS, DCC_VAL_READ, NULL, NULL},
    {"-module-dependency-dir", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-meabi", SP, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-mthread-model", SP, CL, 0, DCC_VAL_WORD, NULL, NULL},
    {"-dependency-dot", SP, CL | C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL},

    /* the preprocessor */
    {"-D", SJ, BO, R_CPP, DCC_VAL_TEXT, NULL, NULL},
    {"--define-macro", SE, BO, R_CPP, DCC_VAL_TEXT, "-D", NULL},
    {"-U", SJ, BO, R_CPP, DCC_VAL_TEXT, NULL, NULL},
    {"--undefine-macro", SE, BO, R_CPP, DCC_VAL_TEXT, "-U", NULL},
    {"-A", SJ, GC, R_CPP, DCC_VAL_TEXT, NULL, NULL},
    {"--assert", SE, GC, R_CPP, DCC_VAL_TEXT, "-A", NULL},
    {"-I", SJ, BO | AS, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"--include-directory", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-I", NULL},
    {"-I-", FL, GC, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--include-barrier", FL, GC, R_CPP, DCC_VAL_NONE, "-I-", NULL},
    {"-iquote", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"-isystem", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"-isystem-after", SJ, CL, R_CPP | R_READS, DCC_VAL_SEARCH, NULL, NULL},
    {"-cxx-isystem", SJ, CL, R_CPP | R_READS, DCC_VAL_SEARCH, NULL, NULL},
    {"-idirafter", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"--include-directory-after", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-idirafter", NULL},
    {"-iprefix", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"--include-prefix", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iprefix", NULL},
    {"-iwithprefix", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"--include-with-prefix", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefix", NULL},
    {"--include-with-prefix-after", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefix", NULL},
    {"-iwithprefixbefore", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, NULL, NULL},
    {"--include-with-prefix-before", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefixbefore",
     NULL},
    {"-iwithsysroot", SJ, CL, R_CPP | R_READS, DCC_VAL_SEARCH, NULL, NULL},
    {"-imultilib", SJ, GC, R_CPP, DCC_VAL_WORD, NULL, NULL},
    {"-imultiarch", SJ, GC, R_CPP, DCC_VAL_WORD, NULL, NULL},
    {"-include", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, NULL, NULL},
    {"--include", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, "-include", NULL},
    {"-imacros", SJ, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, NULL, NULL},
    {"--imacros", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, "-imacros", NULL},
    {"-include-pch", SP, CL | C1, R_CPP | R_READS, DCC_VAL_READ, NULL, NULL},
    {"-ivfsoverlay", SP, CL | C1, R_CPP | R_READS, DCC_VAL_READ, NULL, NULL},
    {"-isysroot", SJ, BO, R_CPP | R_READS, DCC_VAL_SYSROOT, NULL, NULL},
    {"--sysroot", SE, BO, R_READS, DCC_VAL_SYSROOT, NULL, NULL},
    {"-nostdinc", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--no-standard-includes", FL, BO, R_CPP, DCC_VAL_NONE, "-nostdinc", NULL},
    {"-nostdinc++", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-nostdlibinc", FL, CL, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-nobuiltininc", FL, CL, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-undef", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-trigraphs", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--trigraphs", FL, BO, R_CPP, DCC_VAL_NONE, "-trigraphs", NULL},
    {"-traditional-cpp", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--traditional-cpp", FL, BO, R_CPP, DCC_VAL_NONE, "-traditional-cpp", NULL},
    {"-remap", FL, GC, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-P", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--no-line-commands", FL, BO, R_CPP, DCC_VAL_NONE, "-P", NULL},
    {"-C", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--comments", FL, BO, R_CPP, DCC_VAL_NONE, "-C", NULL},
    {"-CC", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--comments-in-macros", FL, BO, R_CPP, DCC_VAL_NONE, "-CC", NULL},
    {"-H", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--trace-includes", FL, BO, R_CPP, DCC_VAL_NONE, "-H", NULL},
    {"-M", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-M", NULL},
    {"-MM", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--user-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MM", NULL},
    {"-MD", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--write-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MD", NULL},
    {"-MMD", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"--write-user-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MMD", NULL},
    {"-MG", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-MP", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-MV", FL, CL, R_CPP, DCC_VAL_NONE, NULL, NULL},
    {"-MF", SJ, BO, R_CPP | R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-MT", SJ, BO, R_CPP, DCC_VAL_TEXT, NULL, NULL},
    {"-MQ", SJ, BO, R_CPP, DCC_VAL_TEXT, NULL, NULL},
    {"-MJ", SJ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    /* cc1 reads -MD and -MMD with the file name the driver adds */
    {"-MD", SP, PP, R_CPP | R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-MMD", SP, PP, R_CPP | R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-Wp,", JO, BO, R_CPP | R_PASS, DCC_VAL_NONE, NULL, NULL},
    {"-Xpreprocessor", SP, BO, R_CPP | R_PASS, DCC_VAL_NONE, NULL, NULL},

    /* the assembler */
    {"-Wa,", JO, BO, R_PASS, DCC_VAL_NONE, NULL, NULL},
    {"-Xassembler", SP, BO, R_PASS, DCC_VAL_NONE, NULL, NULL},
    {"--for-assembler", SE, GC, R_PASS, DCC_VAL_NONE, "-Xassembler", NULL},
    {"--noexecstack", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--execstack", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--compress-debug-sections", FL | EQ, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"-compress-debug-sections", FL | EQ, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"--nocompress-debug-sections", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--gen-debug", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--gdwarf", JO, AS, 0, DCC_VAL_NAME, NULL, NULL},
    {"--32", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--64", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--x32", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--fatal-warnings", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--warn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--no-warn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"-Qy", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"-Qn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"-K", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"-L", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--keep-locals", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"--defsym", SP, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"--size-check", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"--elf-stt-common", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"--generate-missing-build-notes", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL},
    {"--sectname-subst", FL, AS, 0, DCC_VAL_NONE, NULL, NULL},
    {"-a", FL | JO, AS, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL},
    {"--MD", SJ, AS, R_WRITES, DCC_VAL_REFUSE, NULL, W_SECOND},
    {"-o", SJ, AS | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_SECOND},

    /* clang -cc1, behind -Xclang: beyond the -f and -W families, only these */
    {"-disable-O0-optnone", FL, C1, 0, DCC_VAL_NONE, NULL, NULL},
    {"-disable-llvm-passes", FL, C1, 0, DCC_VAL_NONE, NULL, NULL},
    {"-target-feature", SP, C1, 0, DCC_VAL_WORD, NULL, NULL},
    {"-target-cpu", SP, C1, 0, DCC_VAL_WORD, NULL, NULL},
    {"-mframe-pointer", EQ, C1, 0, DCC_VAL_WORD, NULL, NULL},
    {"-dependency-file", SP, CL | C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-header-include-file", SE, C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL},
    {"-load", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-plugin", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-add-plugin", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-plugin-arg-", JO, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},
    {"-load-pass-plugin", EQ, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN},

    /* the linker, which a compile job never runs */
    {"-Wl,", JO, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"-Xlinker", SP, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"--for-linker", SE, BO, R_LINK, DCC_VAL_LINKER, "-Xlinker", NULL},
    {"-l", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"-L", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"--library-directory", SE, BO, R_LINK, DCC_VAL_LINKER, "-L", NULL},
    {"-u", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"--force-link", SE, GC, R_LINK, DCC_VAL_LINKER, "-u", NULL},
    {"-e", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"--entry", SE, GC, R_LINK, DCC_VAL_LINKER, "-e", NULL},
    {"-T", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"-z", SP, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL},
    {"-s", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-static", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"--static", FL, BO, R_LINK, DCC_VAL_NONE, "-static", NULL},
    {"-shared", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"--shared", FL, BO, R_LINK, DCC_VAL_NONE, "-shared", NULL},
    {"-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"--pie", FL, BO, R_LINK, DCC_VAL_NONE, "-pie", NULL},
    {"-no-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-static-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-rdynamic", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-symbolic", FL, GC, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-nostdlib", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-nodefaultlibs", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-nostartfiles", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-static-libgcc", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-shared-libgcc", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-static-libstdc++", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-static-libasan", FL, GC, R_LINK, DCC_VAL_NONE, NULL, NULL},
    {"-rtlib", EQ, CL, R_LINK, DCC_VAL_WORD, NULL, NULL},
    {"--rtlib", SE, CL, R_LINK, DCC_VAL_WORD, "-rtlib", NULL},
    {"-unwindlib", EQ, CL, R_LINK, DCC_VAL_WORD, NULL, NULL},
};

#undef FL
#undef SP
#undef JO
#undef EQ
#undef SJ
#undef SE
#undef GC
#undef CL
#undef BO
#undef AS
#undef C1
#undef PP
#undef R_CPP
#undef R_LINK
#undef R_READS
#undef R_WRITES
#undef R_RUNS
#undef R_PASS
#undef R_FAM
#undef R_REROOT
#undef R_OUT

#define DCC_OPTCAT_N (sizeof dcc_optcat / sizeof dcc_optcat[0])

/* gcc's driver reads "--NAME" as "-fNAME" unless NAME is an option of its
 * own, and a few prefixes as other families (gcc/opts-common.cc). Longest
 * first: the first that matches wins. */
static const struct {
    const char *from, *to;
} dcc_gcc_long_forms[] = {
    {"--machine=no-", "-mno-"}, {"--machine-no-", "-mno-"}, {"--warn-no-", "-Wno-"}, {"--optimize=", "-O"},
    {"--machine=", "-m"},       {"--machine-", "-m"},       {"--debug=", "-g"},      {"--warn-", "-W"},
    {"--std=", "-std="},        {"--no-", "-fno-"},         {"--", "-f"},
};

unsigned dcc_optcat_driver(const char *compiler)
{
    const char *base = strrchr(compiler, '/');
    base = base ? base + 1 : compiler;
    if (strstr(base, "clang"))
        return DCC_OPT_CLANG;
    if (strstr(base, "gcc") || strstr(base, "g++"))
        return DCC_OPT_GCC;
    return DCC_OPT_DRIVERS;
}

const struct dcc_opt *dcc_optcat_find(const char *name, unsigned tools)
{
    for (size_t i = 0; i < DCC_OPTCAT_N; i++)
        if ((dcc_optcat[i].tools & tools) && strcmp(dcc_optcat[i].name, name) == 0)
            return &dcc_optcat[i];
    return NULL;
}

/* The entry that word is spelled with, in tool's namespace. *sep: the value
 * is the next word; else *value_at is where it starts in word (or -1 for a
 * flag). An exact FLAG or SEP name wins; otherwise the longest name the
 * word starts with that may be joined to its value. */
static const struct dcc_opt *dcc_optcat_match(const char *word, unsigned tool, int *sep, long *value_at)
{
    const struct dcc_opt *best = NULL;
    size_t best_len = 0;
    *sep = 0;
    *value_at = -1;
    for (size_t i = 0; i < DCC_OPTCAT_N; i++) {
        const struct dcc_opt *e = &dcc_optcat[i];
        if (!(e->tools & tool))
            continue;
        size_t n = strlen(e->name);
        if (strncmp(word, e->name, n) != 0)
            continue;
        if (word[n] == '\0' && (e->forms & (DCC_FORM_FLAG | DCC_FORM_SEP))) {
            *sep = !(e->forms & DCC_FORM_FLAG);
            *value_at = -1;
            return e;
        }
        size_t at;
        if ((e->forms & DCC_FORM_EQ) && word[n] == '=')
            at = n + 1;
        else if (e->forms & DCC_FORM_JOIN)
            at = n;
        else
            continue;
        if (!best || n > best_len) {
            best = e;
            best_len = n;
            *value_at = (long)at;
        }
    }
    return best;
}

/* ------------------------------------------------------------------------
 * The canonicaliser
 * ------------------------------------------------------------------------ */

/* The words one tool gets, each with the argv words it came from. */
struct dcc_words {
    char **w;
    size_t *from, *to;
    size_t n, cap;
};

static int dcc_words_add(struct dcc_words *ws, const char *s, size_t len, size_t from, size_t to)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? 2 * ws->cap : 16;
        char **w = realloc(ws->w, cap * sizeof *w);
        if (!w)
            return -1;
        ws->w = w;
        size_t *f = realloc(ws->from, cap * sizeof *f);
        if (!f)
            return -1;
        ws->from = f;
        size_t *t = realloc(ws->to, cap * sizeof *t);
        if (!t)
            return -1;
        ws->to = t;
        ws->cap = cap;
    }
    if (!(ws->w[ws->n] = strndup(s, len)))
        return -1;
    ws->from[ws->n] = from;
    ws->to[ws->n] = to;
    ws->n++;
    return 0;
}

static void dcc_words_free(struct dcc_words *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i]);
    free(ws->w);
    free(ws->from);
    free(ws->to);
    memset(ws, 0, sizeof *ws);
}

/* Appends the comma-separated parts of list ("-Wa,A,B" gives A and B). */
static int dcc_words_add_list(struct dcc_words *ws, const char *list, size_t at)
{
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (dcc_words_add(ws, p, n, at, at) != 0)
            return -1;
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

static struct dcc_optcat_item *dcc_optcat_push(struct dcc_optcat_list *list)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 32;
        struct dcc_optcat_item *items = realloc(list->items, cap * sizeof *items);
        if (!items)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    struct dcc_optcat_item *it = &list->items[list->n++];
    memset(it, 0, sizeof *it);
    return it;
}

void dcc_optcat_free(struct dcc_optcat_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].spelled);
        free(list->items[i].value);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* gcc's spelling of word with its long form replaced ("--plugin=x" is
 * "-fplugin=x"), or NULL when word has none; errno ENOMEM on failure. */
static char *dcc_gcc_long_form(const char *word)
{
    errno = 0;
    if (strncmp(word, "--", 2) != 0 || word[2] == '\0')
        return NULL;
    for (size_t i = 0; i < sizeof dcc_gcc_long_forms / sizeof dcc_gcc_long_forms[0]; i++) {
        size_t n = strlen(dcc_gcc_long_forms[i].from);
        if (strncmp(word, dcc_gcc_long_forms[i].from, n) != 0 || word[n] == '\0')
            continue;
        size_t to = strlen(dcc_gcc_long_forms[i].to), rest = strlen(word + n);
        char *out = malloc(to + rest + 1);
        if (!out)
            return NULL;
        memcpy(out, dcc_gcc_long_forms[i].to, to);
        memcpy(out + to, word + n, rest + 1);
        return out;
    }
    return NULL;
}

/* Where a driver's pass-through options go while its own are read. */
struct dcc_passed {
    struct dcc_words as, cc1, cpp;
};

/* Reads ws (the words one tool gets, in order) into list. tool is one of
 * DCC_OPT_*; via_cpp marks the words passed with -Wp, or -Xpreprocessor
 * (read with the driver's names); passed collects a driver's pass-through
 * options (NULL for the other tools: they pass nothing on). 0, 1 when it
 * stopped at an unknown option or a missing value, -1 on ENOMEM. */
static int dcc_optcat_read(struct dcc_optcat_list *list, const struct dcc_words *ws, unsigned tool, int via_cpp,
                           struct dcc_passed *passed)
{
    for (size_t i = 0; i < ws->n; i++) {
        const char *word = ws->w[i];
        struct dcc_optcat_item *it = dcc_optcat_push(list);
        if (!it || !(it->spelled = strdup(word)))
            return -1;
        it->tool = tool;
        it->via_cpp = via_cpp;
        it->first = ws->from[i];
        it->last = ws->to[i];
        if (word[0] != '-' || word[1] == '\0') {
            it->kind = DCC_ITEM_INPUT;
            continue;
        }
        int sep;
        long at;
        const struct dcc_opt *e = via_cpp ? dcc_optcat_match(word, DCC_OPT_CPP, &sep, &at) : NULL;
        if (!e)
            e = dcc_optcat_match(word, tool, &sep, &at);
        char *long_form = NULL;
        if ((!e || (e->roles & DCC_ROLE_FAMILY)) && tool == DCC_OPT_GCC && word[1] == '-') {
            long_form = dcc_gcc_long_form(word);
            if (!long_form && errno == ENOMEM)
                return -1;
            if (long_form)
                e = dcc_optcat_match(long_form, tool, &sep, &at);
        }
        const char *canon = long_form ? long_form : word;
        if (e && e->alias && e->forms == DCC_FORM_FLAG) {
            /* a word of its own for another word: "--all-warnings" is
             * read as "-Wall" is */
            canon = e->alias;
            e = dcc_optcat_match(canon, tool, &sep, &at);
        } else if (e && e->alias) {
            e = dcc_optcat_find(e->alias, tool);
        }
        if (!e) {
            free(long_form);
            it->kind = DCC_ITEM_UNKNOWN;
            return 1;
        }
        it->opt = e;
        it->kind = DCC_ITEM_OPTION;
        const char *value = sep ? NULL : at >= 0 ? canon + at : NULL;
        if (sep) {
            if (i + 1 >= ws->n) {
                free(long_form);
                it->kind = DCC_ITEM_MISSING;
                return 1;
            }
            value = ws->w[++i];
            it->last = ws->to[i];
        }
        if (value && !(it->value = strdup(value))) {
            free(long_form);
            return -1;
        }
        free(long_form);
        if (!(e->roles & DCC_ROLE_PASS))
            continue;
        if (!passed) {
            /* -Wa,-Wa,x: one tool passing to another is no compile option */
            it->kind = DCC_ITEM_UNKNOWN;
            return 1;
        }
        struct dcc_words *to = strcmp(e->name, "-Xclang") == 0 ? &passed->cc1
                               : (e->roles & DCC_ROLE_CPP)     ? &passed->cpp
                                                               : &passed->as;
        int rc = strchr(e->name, ',') ? dcc_words_add_list(to, it->value, it->first)
                                      : dcc_words_add(to, it->value, strlen(it->value), it->first, it->last);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int dcc_optcat_parse(char *const *argv, unsigned driver, struct dcc_optcat_list *list, char *err, size_t errlen)
{
    memset(list, 0, sizeof *list);
    struct dcc_words ws = {0};
    struct dcc_passed passed = {{0}, {0}, {0}};
    int rc = 0;
    for (size_t i = 1; argv[0] && argv[i] && rc == 0; i++)
        rc = dcc_words_add(&ws, argv[i], strlen(argv[i]), i, i);
    if (rc == 0)
        rc = dcc_optcat_read(list, &ws, driver, 0, &passed);
    /* Passed words are read only when the driver's own were all known:
     * after an unknown option, nothing can be told about the rest. */
    if (rc == 0)
        rc = dcc_optcat_read(list, &passed.cpp, driver, 1, NULL);
    if (rc == 0)
        rc = dcc_optcat_read(list, &passed.as, DCC_OPT_AS, 0, NULL);
    if (rc == 0)
        rc = dcc_optcat_read(list, &passed.cc1, DCC_OPT_CC1, 0, NULL);
    dcc_words_free(&ws);
    dcc_words_free(&passed.as);
    dcc_words_free(&passed.cc1);
    dcc_words_free(&passed.cpp);
    if (rc < 0) {
        dcc_optcat_free(list);
        snprintf(err, errlen, "out of memory reading the compiler's options");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The helper's policy
 * ------------------------------------------------------------------------ */

#define W_READ "it reads a file outside the job"
#define W_WRITE "it writes a file outside the job"
#define W_SYSROOT "the sysroot is outside the allowed prefixes"
#define W_RESPONSE "a response file would be read from the helper's disk"
#define W_PATH "its value must be a plain name, not a path"
#define W_LLVM "it passes LLVM an option that loads a plugin or names a path"
#define W_PROGRAM "it names a program by path"
#define W_MISSING "its value is missing"
#define W_NOT_CPP "it is not a preprocessor option"

static const char *const dcc_default_sysroot_prefixes[] = {"/usr/", NULL};

static int dcc_has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += n;
        p += *p == '/';
    }
    return 0;
}

/* A prefix matches at a directory boundary: "/usr/" takes "/usr" and
 * "/usr/lib" but "/opt/sdk" does not take "/opt/sdk2". */
static int dcc_under_prefixes(const char *path, const char *const *prefixes)
{
    for (size_t i = 0; prefixes[i]; i++) {
        const char *pre = prefixes[i];
        size_t n = strlen(pre);
        while (n > 1 && pre[n - 1] == '/')
            n--;
        if (strncmp(path, pre, n) == 0 && (path[n] == '\0' || path[n] == '/' || pre[n - 1] == '/'))
            return 1;
    }
    return 0;
}

static int dcc_write_ok(const char *path)
{
    return path[0] != '/' && !dcc_has_dotdot(path);
}

static int dcc_read_ok(const char *path, const char *const *prefixes)
{
    return !dcc_has_dotdot(path) && (path[0] != '/' || dcc_under_prefixes(path, prefixes));
}

/* A rest of name: "no-strict-aliasing", "error=format-security";
 * only a listed -f option may carry "=VALUE". */
static int dcc_name_ok(const char *name, const struct dcc_opt *e)
{
    /* '#': clang's -W#warnings, -W#pragma-messages */
    size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_.,#");
    if (name[n] == '\0')
        return 1;
    if (name[n] != '=' || strcmp(e->name, "-f") == 0)
        return 0;
    return strchr(name + n, '/') == NULL;
}

/* Every file= key of a diagnostics output spec ("sarif:file=out.sarif"). */
static int dcc_diag_ok(const char *spec)
{
    for (const char *p = strstr(spec, "file="); p; p = strstr(p + 1, "file=")) {
        size_t n = strcspn(p + 5, ",");
        char path[4096];
        if (n >= sizeof path)
            return 0;
        memcpy(path, p + 5, n);
        path[n] = '\0';
        if (!dcc_write_ok(path))
            return 0;
    }
    return 1;
}

/* An LLVM command-line option: "-name" or "-name=value"; no plugin, and
 * no value that is an absolute path or climbs with "..". */
static int dcc_llvm_ok(const char *arg)
{
    if (arg[0] != '-' || dcc_str_startswith(arg, "-load") || strstr(arg, "plugin"))
        return 0;
    const char *eq = strchr(arg, '=');
    return !eq || dcc_write_ok(eq + 1);
}

/* NULL when value is fine for e, else why not. */
static const char *dcc_value_why(const struct dcc_opt *e, const char *value, const char *const *prefixes, int pump)
{
    const char *eq;
    switch (e->check) {
    case DCC_VAL_NONE:
    case DCC_VAL_TEXT:
    case DCC_VAL_SEARCH:
    case DCC_VAL_OUTPUT:
    case DCC_VAL_LINKER:
        return NULL;
    case DCC_VAL_WORD:
        return strchr(value, '/') ? W_PATH : NULL;
    case DCC_VAL_NAME:
        return dcc_name_ok(value, e) ? NULL : "it is not a plain option name";
    case DCC_VAL_READ:
        return dcc_read_ok(value, prefixes) ? NULL : W_READ;
    case DCC_VAL_READ_LAST:
        eq = strrchr(value, '=');
        return dcc_read_ok(eq ? eq + 1 : value, prefixes) ? NULL : W_READ;
    case DCC_VAL_READ_PUMP:
        if (pump)
            return dcc_has_dotdot(value) ? W_READ : NULL;
        return dcc_read_ok(value, prefixes) ? NULL : W_READ;
    case DCC_VAL_WRITE:
        return dcc_write_ok(value) ? NULL : W_WRITE;
    case DCC_VAL_WRITE_EQ:
        eq = strchr(value, '=');
        return !eq || dcc_write_ok(eq + 1) ? NULL : W_WRITE;
    case DCC_VAL_DIAG:
        return dcc_diag_ok(value) ? NULL : W_WRITE;
    case DCC_VAL_SYSROOT:
        if (dcc_has_dotdot(value))
            return W_SYSROOT;
        return value[0] != '/' || value[strspn(value, "/")] == '\0' || dcc_under_prefixes(value, prefixes)
                   ? NULL
                   : W_SYSROOT;
    case DCC_VAL_SAVE_TEMPS:
        return !value[0] || strcmp(value, "cwd") == 0 || strcmp(value, "obj") == 0 ? NULL : W_WRITE;
    case DCC_VAL_PROGRAM:
        return strchr(value, '/') ? W_PROGRAM : NULL;
    case DCC_VAL_LLVM:
        return dcc_llvm_ok(value) ? NULL : W_LLVM;
    case DCC_VAL_REFUSE:
        return e->why;
    }
    return "it is not understood";
}

/* A tool's name as the subject of a sentence ("the assembler"), or in
 * front of "options" ("assembler"). */
static const char *dcc_tool_name(unsigned tool, int subject)
{
    switch (tool) {
    case DCC_OPT_GCC:
        return "gcc";
    case DCC_OPT_CLANG:
        return "clang";
    case DCC_OPT_AS:
        return subject ? "the assembler" : "assembler";
    default:
        return "clang -cc1";
    }
}

/* Writes the refusal of item into why: the argv words it came from, and
 * the reason; for a word inside -Wa, -Xclang ... also the word itself. */
static void dcc_refuse(char *const *argv, const struct dcc_optcat_item *it, const char *reason, char *why,
                       size_t whylen)
{
    struct dcc_buf b = {0};
    int ok = dcc_buf_appends(&b, "option \"") == 0;
    for (size_t i = it->first; ok && i <= it->last; i++)
        ok = dcc_buf_appends(&b, argv[i]) == 0 && (i == it->last || dcc_buf_appends(&b, " ") == 0);
    ok = ok && dcc_buf_printf(&b, "\" is not allowed on this helper: %s", reason) == 0;
    if (ok && (it->tool == DCC_OPT_AS || it->tool == DCC_OPT_CC1 || it->via_cpp) && it->spelled)
        ok = dcc_buf_printf(&b, " (%s gets \"%s\")", it->via_cpp ? "the preprocessor" : dcc_tool_name(it->tool, 1),
                            it->spelled) == 0;
    snprintf(why, whylen, "%s", ok ? b.data : "an option is not allowed on this helper (out of memory naming it)");
    dcc_buf_free(&b);
}

static const char *dcc_unknown_why(const struct dcc_optcat_item *it, char *buf, size_t len)
{
    snprintf(buf, len, "it is not in this helper's catalogue of %s%s options", it->via_cpp ? "preprocessor " : "",
             dcc_tool_name(it->tool, 0));
    return buf;
}

/* Checks one driver's reading of argv; 0, or -1 with why. */
static int dcc_optcat_check_as(char *const *argv, unsigned driver, const struct dcc_optcat_policy *policy,
                               char *why, size_t whylen)
{
    const char *const *prefixes = policy && policy->sysroot_prefixes ? policy->sysroot_prefixes
                                                                      : dcc_default_sysroot_prefixes;
    int pump = policy && policy->pump;

    /* The driver expands @FILE wherever it stands, before anything else. */
    for (size_t i = 1; argv[0] && argv[i]; i++) {
        if (argv[i][0] == '@') {
            snprintf(why, whylen, "option \"%s\" is not allowed on this helper: %s", argv[i], W_RESPONSE);
            return -1;
        }
    }

    struct dcc_optcat_list list;
    char err[100];
    if (dcc_optcat_parse(argv, driver, &list, err, sizeof err) != 0) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    int rc = 0;
    char reason[200];
    for (size_t k = 0; k < list.n && rc == 0; k++) {
        const struct dcc_optcat_item *it = &list.items[k];
        const char *bad = NULL;
        switch (it->kind) {
        case DCC_ITEM_INPUT:
            if (it->spelled && it->spelled[0] == '@') {
                bad = W_RESPONSE;
            } else if (it->tool != driver || it->via_cpp) {
                snprintf(reason, sizeof reason, "%s would read another input file",
                         it->via_cpp ? "the preprocessor" : dcc_tool_name(it->tool, 1));
                bad = reason;
            }
            break;
        case DCC_ITEM_UNKNOWN:
            bad = dcc_unknown_why(it, reason, sizeof reason);
            break;
        case DCC_ITEM_MISSING:
            bad = W_MISSING;
            break;
        case DCC_ITEM_OPTION:
            if (it->value && it->value[0] == '@')
                /* the driver hands many joined values on as a word of
                 * their own ("-MQ@x" reaches cc1 as "-MQ" "@x") */
                bad = W_RESPONSE;
            else if (it->via_cpp && !(it->opt->roles & DCC_ROLE_CPP))
                bad = W_NOT_CPP;
            else if ((it->opt->roles & DCC_ROLE_FAMILY) && !dcc_name_ok(it->value ? it->value : "", it->opt))
                /* "-fNAME=VALUE" with a NAME not listed is no known option */
                bad = dcc_unknown_why(it, reason, sizeof reason);
            else
                /* pump mode re-roots the driver's own -include words, not
                 * those behind -Xpreprocessor */
                bad = dcc_value_why(it->opt, it->value ? it->value : "", prefixes, pump && !it->via_cpp);
            break;
        }
        if (bad) {
            dcc_refuse(argv, it, bad, why, whylen);
            rc = -1;
        }
    }
    dcc_optcat_free(&list);
    return rc;
}

int dcc_optcat_check(char *const *argv, const char *compiler, const struct dcc_optcat_policy *policy, char *why,
                     size_t whylen)
{
    unsigned drivers = dcc_optcat_driver(compiler ? compiler : "");
    /* A name that says neither ("cc") must be safe for both. */
    if ((drivers & DCC_OPT_GCC) && dcc_optcat_check_as(argv, DCC_OPT_GCC, policy, why, whylen) != 0)
        return -1;
    if ((drivers & DCC_OPT_CLANG) && dcc_optcat_check_as(argv, DCC_OPT_CLANG, policy, why, whylen) != 0)
        return -1;
    return 0;
}
