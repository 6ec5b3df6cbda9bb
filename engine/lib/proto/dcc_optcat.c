/* The catalogue of compile options of gcc 12 and clang 14 that every reader
 * of a compile line uses, the canonicaliser that reads a line as their
 * drivers do, and the helper's allow-list over both. */
#include "proto/dcc_optcat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dcc_util.h"

/* ------------------------------------------------------------------------
 * The catalogue
 *
 * One line per spelling. A name is matched exactly when its forms include
 * FLAG or SEP, and as the longest prefix when they include JOIN (or EQ,
 * with '=' right after the name). Families (-f, -W, -m, -g) take any
 * plain option name; an "-fNAME=VALUE" is known only when its NAME is
 * listed, so a value never passes unchecked. Entries with an alias are
 * other spellings of the named option and share its roles and check.
 *
 * Every reader of a compile line reads this table and no other: the
 * helper's policy (check, why), the client's scanner (which word is a
 * value; local: why a job stays on the client), plain mode's strip
 * (DCC_ROLE_STRIP), pump's path re-rooting (DCC_ROLE_REROOT, _MAP) and
 * its include scanner (scan, DCC_ROLE_SYSDIRS). The client reads a line
 * with both drivers' names (it cannot tell what "cc" is); where a local
 * reason depends on one value of a family ("-march=native"), that value
 * has a line of its own.
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
#define R_STRIP DCC_ROLE_STRIP
#define R_MAP DCC_ROLE_MAP
#define R_SYSDIRS DCC_ROLE_SYSDIRS
#define R_ONLY_CPP DCC_ROLE_ONLY_CPP
#define SC_NO DCC_SCAN_NONE
#define SC_QUOTE DCC_SCAN_QUOTE
#define SC_BRACKET DCC_SCAN_BRACKET
#define SC_SYSTEM DCC_SCAN_SYSTEM
#define SC_AFTER DCC_SCAN_AFTER
#define SC_INCLUDE DCC_SCAN_INCLUDE
#define SC_GIVE_UP DCC_SCAN_GIVE_UP

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
#define W_ANALYZER "it passes options to clang's static analyzer, which a compile job does not run"

/* Why the client keeps a job on this machine: the option word, then this. */
#define L_CPP ": preprocessing only"
#define L_DEPS ": dependency output only"
#define L_CDB ": the compilation database entry would stay on the helper"
#define L_NATIVE " generates code for this machine's CPU; use distccflags to expand it"
#define L_NATIVE_TUNE " tunes code for this machine's CPU; use distccflags to expand it"
#define L_LTO ": LTO objects must come from the compiler that links them"
#define L_ASM ": the assembler writes a listing or dependency file"
#define L_SPECS ": a specs file on this machine changes the compiler"
#define L_PROFILE ": profile or coverage files belong to this machine"
#define L_REPO ": writes .rpo files next to the source"
#define L_DUMP ": debug dumps write extra files"
#define L_TEMPS ": temporary files would stay on the helper"
#define L_DWO ": the .dwo file would stay on the helper"
#define L_SU ": the .su file would stay on the helper"
#define L_CI ": the .ci file would stay on the helper"
#define L_AUX ": writes an extra file"
#define L_SYNTAX ": no object file is made"
#define L_PRINTS ": only prints the commands"
#define L_OUTPUT ": only -o names the output for distcc"
#define L_PCH ": precompiled headers live on this machine"
#define L_WRAPPER ": runs a program on this machine"
#define L_BDIR ": the compiler runs programs from this machine's directories"
#define L_PLUGIN ": plugins live on this machine"
#define L_TOOLCHAIN ": the toolchain lives on this machine"

/* One option a row, as the catalogue is read (and by optcat.bats). */
/* clang-format off */
static const struct dcc_opt dcc_optcat[] = {
    /* what to do, and the files */
    {"-c", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-S", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-E", FL, BO, R_CPP | R_ONLY_CPP, DCC_VAL_NONE, NULL, NULL, L_CPP, SC_NO},
    {"-o", SJ, BO, R_OUT | R_WRITES, DCC_VAL_OUTPUT, NULL, NULL, NULL, SC_NO},
    {"--output", SE, BO, R_WRITES, DCC_VAL_REFUSE, NULL, W_OUTPUT, L_OUTPUT, SC_NO},
    {"-x", SJ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--language", SE, BO, 0, DCC_VAL_WORD, "-x", NULL, NULL, SC_NO},
    {"--compile", FL, GC, 0, DCC_VAL_NONE, "-c", NULL, NULL, SC_NO},
    {"--assemble", FL, GC, 0, DCC_VAL_NONE, "-S", NULL, NULL, SC_NO},
    {"--preprocess", FL, BO, R_CPP, DCC_VAL_NONE, "-E", NULL, NULL, SC_NO},
    {"-pipe", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--pipe", FL, GC, 0, DCC_VAL_NONE, "-pipe", NULL, NULL, SC_NO},
    {"-v", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--verbose", FL, BO, 0, DCC_VAL_NONE, "-v", NULL, NULL, SC_NO},
    {"-###", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_PRINTS, SC_NO},
    {"-Q", FL, GC, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-time", FL, GC, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--time", FL, GC, 0, DCC_VAL_NONE, "-time", NULL, NULL, SC_NO},
    {"-pass-exit-codes", FL, GC, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--pass-exit-codes", FL, GC, 0, DCC_VAL_NONE, "-pass-exit-codes", NULL, NULL, SC_NO},
    {"-no-canonical-prefixes", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-save-temps", FL | EQ, BO, R_WRITES, DCC_VAL_SAVE_TEMPS, NULL, NULL, L_TEMPS, SC_NO},
    {"--save-temps", FL, GC, R_WRITES, DCC_VAL_SAVE_TEMPS, "-save-temps", NULL, NULL, SC_NO},
    {"-dumpdir", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"--dumpdir", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpdir", NULL, NULL, SC_NO},
    {"-dumpbase", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"--dumpbase", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpbase", NULL, NULL, SC_NO},
    {"-dumpbase-ext", SP, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"--dumpbase-ext", SP, GC, R_WRITES, DCC_VAL_WRITE, "-dumpbase-ext", NULL, NULL, SC_NO},
    {"-aux-info", SE, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, L_AUX, SC_NO},
    {"-d", JO, GC, 0, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"--dump", SE, GC, 0, DCC_VAL_NAME, "-d", NULL, NULL, SC_NO},

    /* language and dialect */
    {"-std", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--std", SE, BO, 0, DCC_VAL_WORD, "-std", NULL, NULL, SC_NO},
    {"-ansi", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--ansi", FL, BO, 0, DCC_VAL_NONE, "-ansi", NULL, NULL, SC_NO},
    {"-pedantic", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--pedantic", FL, BO, 0, DCC_VAL_NONE, "-pedantic", NULL, NULL, SC_NO},
    {"-pedantic-errors", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--pedantic-errors", FL, BO, 0, DCC_VAL_NONE, "-pedantic-errors", NULL, NULL, SC_NO},
    {"-traditional", FL, GC, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--traditional", FL, GC, 0, DCC_VAL_NONE, "-traditional", NULL, NULL, SC_NO},
    {"-w", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--no-warnings", FL, BO, 0, DCC_VAL_NONE, "-w", NULL, NULL, SC_NO},
    {"--all-warnings", FL, GC, 0, DCC_VAL_NONE, "-Wall", NULL, NULL, SC_NO},
    {"--extra-warnings", FL, GC, 0, DCC_VAL_NONE, "-Wextra", NULL, NULL, SC_NO},
    {"-pthread", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-stdlib", EQ, CL, R_STRIP | R_SYSDIRS, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-target", SP, CL, R_SYSDIRS, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--target", EQ, CL, 0, DCC_VAL_WORD, "-target", NULL, NULL, SC_NO},
    {"-no-integrated-as", FL, CL, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-integrated-as", FL, CL, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-Qunused-arguments", FL, CL, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-emit-llvm", FL, CL, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},

    /* optimisation, debug information, code generation, warnings */
    {"-O", FL | JO, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--optimize", FL | EQ, GC, 0, DCC_VAL_WORD, "-O", NULL, NULL, SC_NO},
    {"-g", FL | JO, BO | AS, 0, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"--debug", FL | EQ, GC, 0, DCC_VAL_NAME, "-g", NULL, NULL, SC_NO},
    {"-f", JO, BO | C1, R_FAM, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"-m", JO, BO | AS, R_FAM | R_SYSDIRS, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"-W", FL | JO, BO | AS | C1, R_FAM, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"-R", JO, CL, R_FAM, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"--param", SE, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-Xclang", SP, CL, R_PASS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-mllvm", SP, CL | C1, 0, DCC_VAL_LLVM, NULL, NULL, NULL, SC_NO},
    {"-Xanalyzer", SP, CL, 0, DCC_VAL_REFUSE, NULL, W_ANALYZER, NULL, SC_NO},
    {"-arch", SP, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    /* one value of a family that keeps the job on this machine */
    {"-march=native", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_NATIVE, SC_NO},
    {"-mcpu=native", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_NATIVE, SC_NO},
    {"-mtune=native", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_NATIVE_TUNE, SC_NO},
    {"-gsplit-dwarf", FL, BO, R_WRITES, DCC_VAL_NONE, NULL, NULL, L_DWO, SC_NO},
    {"-dr", FL | JO, GC, 0, DCC_VAL_NAME, NULL, NULL, L_DUMP, SC_NO},
    {"-fsyntax-only", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_SYNTAX, SC_NO},
    {"-fstack-usage", FL, GC, R_WRITES, DCC_VAL_NONE, NULL, NULL, L_SU, SC_NO},
    {"-frepo", FL, GC, R_WRITES, DCC_VAL_NONE, NULL, NULL, L_REPO, SC_NO},
    {"-fprofile-arcs", FL, BO, 0, DCC_VAL_NONE, NULL, NULL, L_PROFILE, SC_NO},
    {"-ftest-coverage", FL, BO, R_WRITES, DCC_VAL_NONE, NULL, NULL, L_PROFILE, SC_NO},
    {"--coverage", FL, BO, R_WRITES, DCC_VAL_NONE, NULL, NULL, L_PROFILE, SC_NO},
    {"-fprofile-correction", FL, GC, 0, DCC_VAL_NONE, NULL, NULL, L_PROFILE, SC_NO},
    {"-fbranch-probabilities", FL, GC, R_READS, DCC_VAL_NONE, NULL, NULL, L_PROFILE, SC_NO},

    /* -f options with a value: only these may carry one */
    {"-fabi-version", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fabi-compat-version", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-falign-functions", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-falign-jumps", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-falign-labels", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-falign-loops", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fbracket-depth", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fcallgraph-info", FL | EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, L_CI, SC_NO},
    {"-fcf-protection", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconstexpr-depth", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconstexpr-steps", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconstexpr-loop-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconstexpr-ops-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconstexpr-backtrace-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fconcepts-diagnostics-depth", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdebug-default-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdenormal-fp-math", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-color", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-format", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-show-location", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-column-unit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-column-origin", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-escape-format", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-minimum-margin-width", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-path-format", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-urls", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-add-output", EQ, GC, R_WRITES, DCC_VAL_DIAG, NULL, NULL, NULL, SC_NO},
    {"-fdiagnostics-set-output", EQ, GC, R_WRITES, DCC_VAL_DIAG, NULL, NULL, NULL, SC_NO},
    {"-ferror-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fexcess-precision", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fexec-charset", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fwide-exec-charset", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    /* the .i is already in the source charset: plain mode must not convert it again */
    {"-finput-charset", EQ, BO, R_CPP | R_STRIP, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ffp-contract", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ffp-model", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ffp-exception-behavior", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ffp-eval-method", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fgnuc-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-finline-limit", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-finstrument-functions-exclude-file-list", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-finstrument-functions-exclude-function-list", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fira-algorithm", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fira-region", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fira-verbose", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-flive-patching", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-flto", FL | EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, L_LTO, SC_NO},
    {"-flto-partition", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-flto-compression-level", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-flto-jobs", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fmacro-backtrace-limit", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fmax-errors", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fmax-include-depth", EQ, GC, R_CPP, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fmessage-length", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fmodule-header", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fms-compatibility-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fopenacc-dim", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fopenmp", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fpack-struct", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fpatchable-function-entry", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fpermitted-flt-eval-methods", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-frandom-seed", EQ, BO, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-freorder-blocks-algorithm", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fno-sanitize", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-recover", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fno-sanitize-recover", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-trap", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fno-sanitize-trap", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-coverage", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-address-use-after-return", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-memory-track-origins", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsched-stalled-insns", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsched-stalled-insns-dep", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fsimd-cost-model", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fstack-check", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fstack-limit-register", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fstack-limit-symbol", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fstack-reuse", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fstrong-eval-order", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftabstop", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftemplate-backtrace-limit", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftemplate-depth", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftls-model", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftrack-macro-expansion", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftrapv-handler", SE, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftrivial-auto-var-init", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-ftime-trace-granularity", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fvect-cost-model", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fvisibility", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fvtable-verify", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fzero-call-used-regs", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fprofile-update", EQ, BO, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fprofile-reproducible", EQ, GC, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fprofile-exclude-files", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fprofile-filter-files", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fsave-optimization-record", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fembed-bitcode", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-fbinutils-version", EQ, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    /* strings recorded in the output; pump mode re-roots OLD */
    {"-fdebug-prefix-map", EQ, BO, R_MAP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-ffile-prefix-map", EQ, BO, R_MAP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fmacro-prefix-map", EQ, BO, R_MAP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fprofile-prefix-map", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fprofile-prefix-path", EQ, GC, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fdebug-compilation-dir", SE, CL | C1, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fcoverage-compilation-dir", EQ, CL, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-ffile-compilation-dir", EQ, CL, 0, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    /* files the compiler reads */
    {"-fprofile-use", FL | EQ, BO, R_READS, DCC_VAL_READ, NULL, NULL, L_PROFILE, SC_NO},
    {"-fauto-profile", FL | EQ, GC, R_READS, DCC_VAL_READ, NULL, NULL, L_PROFILE, SC_NO},
    {"-fprofile-sample-use", FL | EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, L_PROFILE, SC_NO},
    {"-fprofile-instr-use", FL | EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, L_PROFILE, SC_NO},
    {"-fprofile-remapping-file", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fprofile-list", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-blacklist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-system-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-coverage-allowlist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fsanitize-coverage-ignorelist", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fxray-always-instrument", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fxray-never-instrument", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fxray-attr-list", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fmodule-file", EQ, CL, R_READS, DCC_VAL_READ_LAST, NULL, NULL, NULL, SC_NO},
    {"-fmodule-map-file", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fprebuilt-module-path", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fthinlto-index", EQ, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-fself-test", EQ, GC, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    /* files the compiler writes */
    {"-fprofile-generate", FL | EQ, BO, R_WRITES, DCC_VAL_WRITE, NULL, NULL, L_PROFILE, SC_NO},
    {"-fprofile-dir", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fprofile-note", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fprofile-instr-generate", FL | EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, L_PROFILE, SC_NO},
    {"-fcs-profile-generate", FL | EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, L_PROFILE, SC_NO},
    {"-ftime-trace", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-foptimization-record-file", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fcrash-diagnostics-dir", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fmodules-cache-path", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fproc-stat-report", EQ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fdeps-file", EQ, GC, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fdump-", JO, BO | C1, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL, L_DUMP, SC_NO},
    {"-fopt-info", JO, GC, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL, NULL, SC_NO},
    /* programs and plugins */
    {"-fplugin", EQ, BO | C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-fplugin-arg-", JO, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-fpass-plugin", EQ, CL | C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-iplugindir", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-fmodule-mapper", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_MAPPER, NULL, SC_NO},
    {"-fcompare-debug", EQ, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_REREAD, NULL, SC_NO},
    {"-fmodules", FL, CL | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_MODCACHE, NULL, SC_NO},
    {"-fcxx-modules", FL, CL | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_MODCACHE, NULL, SC_NO},
    {"-fuse-ld", EQ, BO, R_LINK, DCC_VAL_PROGRAM, NULL, NULL, NULL, SC_NO},
    {"-wrapper", SP, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_RUNS, L_WRAPPER, SC_NO},
    {"-B", SJ, BO, R_RUNS, DCC_VAL_REFUSE, NULL, W_BDIR, L_BDIR, SC_NO},
    {"--prefix", SE, BO, R_RUNS, DCC_VAL_REFUSE, NULL, W_BDIR, L_BDIR, SC_NO},
    {"-specs", SE, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_SPECS, L_SPECS, SC_NO},
    {"--specs", SE, GC, R_RUNS, DCC_VAL_REFUSE, NULL, W_SPECS, L_SPECS, SC_NO},
    {"-gcc-toolchain", SP, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS, L_TOOLCHAIN, SC_NO},
    {"--gcc-toolchain", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS, L_TOOLCHAIN, SC_NO},
    {"--gcc-install-dir", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS, NULL, SC_NO},
    {"-ccc-", JO, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_TOOLS, NULL, SC_NO},
    {"--ld-path", EQ, CL, R_RUNS, DCC_VAL_REFUSE, NULL, W_RUNS, NULL, SC_NO},
    {"--config", SE, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG, NULL, SC_NO},
    {"--config-system-dir", EQ, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG, NULL, SC_NO},
    {"--config-user-dir", EQ, CL, R_READS, DCC_VAL_REFUSE, NULL, W_CONFIG, NULL, SC_NO},
    {"-working-directory", SE, CL, R_READS | R_WRITES, DCC_VAL_REFUSE, NULL, W_CWD, NULL, SC_NO},
    {"-resource-dir", SE, CL | C1, R_READS, DCC_VAL_REFUSE, NULL, W_TOOLS, NULL, SC_NO},
    {"--serialize-diagnostics", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-serialize-diagnostics", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    /* clang options with a separate value whose names the -f, -g and -m
     * families would otherwise take, so the value were read as a word of
     * its own */
    {"-gen-cdb-fragment-path", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-fmodules-user-build-path", SP, CL, R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_NO},
    {"-module-dependency-dir", SP, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-meabi", SP, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-mthread-model", SP, CL, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-dependency-dot", SP, CL | C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},

    /* the preprocessor */
    {"-D", SJ, BO, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"--define-macro", SE, BO, R_CPP, DCC_VAL_TEXT, "-D", NULL, NULL, SC_NO},
    {"-U", SJ, BO, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"--undefine-macro", SE, BO, R_CPP, DCC_VAL_TEXT, "-U", NULL, NULL, SC_NO},
    {"-A", SJ, GC, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"--assert", SE, GC, R_CPP, DCC_VAL_TEXT, "-A", NULL, NULL, SC_NO},
    {"-I", SJ, BO | AS, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_BRACKET},
    {"--include-directory", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-I", NULL, NULL, SC_GIVE_UP},
    {"-I-", FL, GC, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},
    {"--include-barrier", FL, GC, R_CPP, DCC_VAL_NONE, "-I-", NULL, NULL, SC_GIVE_UP},
    {"-iquote", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_QUOTE},
    {"-isystem", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_SYSTEM},
    {"-isystem-after", SJ, CL, R_CPP | R_READS | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"-cxx-isystem", SJ, CL, R_CPP | R_READS | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"-idirafter", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_AFTER},
    {"--include-directory-after", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-idirafter", NULL, NULL, SC_GIVE_UP},
    {"-iprefix", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"--include-prefix", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iprefix", NULL, NULL, SC_GIVE_UP},
    {"-iwithprefix", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"--include-with-prefix", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefix", NULL, NULL, SC_GIVE_UP},
    {"--include-with-prefix-after", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefix", NULL, NULL, SC_GIVE_UP},
    {"-iwithprefixbefore", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"--include-with-prefix-before", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_SEARCH, "-iwithprefixbefore",
     NULL, NULL, SC_GIVE_UP},
    {"-iwithsysroot", SJ, CL, R_CPP | R_READS | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"-imultilib", SJ, GC, R_CPP | R_STRIP, DCC_VAL_WORD, NULL, NULL, NULL, SC_GIVE_UP},
    {"-imultiarch", SJ, GC, R_CPP | R_STRIP, DCC_VAL_WORD, NULL, NULL, NULL, SC_GIVE_UP},
    {"-iframework", SJ, CL, R_CPP | R_READS | R_STRIP, DCC_VAL_SEARCH, NULL, NULL, NULL, SC_GIVE_UP},
    {"--system-header-prefix", SE, CL, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_GIVE_UP},
    {"--no-system-header-prefix", SE, CL, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-fpreprocessed", FL, GC, R_CPP, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},
    {"-include", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_READ_PUMP, NULL, NULL, NULL, SC_INCLUDE},
    {"--include", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, "-include", NULL, NULL, SC_GIVE_UP},
    {"-imacros", SJ, BO, R_CPP | R_READS | R_REROOT | R_STRIP, DCC_VAL_READ_PUMP, NULL, NULL, NULL, SC_INCLUDE},
    {"--imacros", SE, BO, R_CPP | R_READS | R_REROOT, DCC_VAL_READ_PUMP, "-imacros", NULL, NULL, SC_GIVE_UP},
    {"-include-pch", SP, CL | C1, R_CPP | R_READS, DCC_VAL_READ, NULL, NULL, L_PCH, SC_GIVE_UP},
    {"-ivfsoverlay", SP, CL | C1, R_CPP | R_READS, DCC_VAL_READ, NULL, NULL, NULL, SC_GIVE_UP},
    {"-isysroot", SJ, BO, R_CPP | R_READS | R_STRIP | R_SYSDIRS, DCC_VAL_SYSROOT, NULL, NULL, NULL, SC_NO},
    {"--sysroot", SE, BO, R_READS | R_SYSDIRS, DCC_VAL_SYSROOT, NULL, NULL, NULL, SC_NO},
    {"-nostdinc", FL, BO, R_CPP | R_STRIP | R_SYSDIRS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--no-standard-includes", FL, BO, R_CPP, DCC_VAL_NONE, "-nostdinc", NULL, NULL, SC_NO},
    {"-nostdinc++", FL, BO, R_CPP | R_STRIP | R_SYSDIRS, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},
    {"-nostdlibinc", FL, CL, R_CPP | R_SYSDIRS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-nobuiltininc", FL, CL, R_CPP | R_SYSDIRS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-undef", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-trigraphs", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--trigraphs", FL, BO, R_CPP, DCC_VAL_NONE, "-trigraphs", NULL, NULL, SC_NO},
    {"-traditional-cpp", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},
    {"--traditional-cpp", FL, BO, R_CPP, DCC_VAL_NONE, "-traditional-cpp", NULL, NULL, SC_NO},
    {"-remap", FL, GC, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-P", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--no-line-commands", FL, BO, R_CPP, DCC_VAL_NONE, "-P", NULL, NULL, SC_NO},
    {"-C", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--comments", FL, BO, R_CPP, DCC_VAL_NONE, "-C", NULL, NULL, SC_NO},
    {"-CC", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--comments-in-macros", FL, BO, R_CPP, DCC_VAL_NONE, "-CC", NULL, NULL, SC_NO},
    {"-H", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--trace-includes", FL, BO, R_CPP, DCC_VAL_NONE, "-H", NULL, NULL, SC_NO},
    {"-M", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL, L_DEPS, SC_NO},
    {"--dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-M", NULL, NULL, SC_NO},
    {"-MM", FL, BO, R_CPP, DCC_VAL_NONE, NULL, NULL, L_DEPS, SC_NO},
    {"--user-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MM", NULL, NULL, SC_NO},
    {"-MD", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--write-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MD", NULL, NULL, SC_NO},
    {"-MMD", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--write-user-dependencies", FL, BO, R_CPP, DCC_VAL_NONE, "-MMD", NULL, NULL, SC_NO},
    {"-MG", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-MP", FL, BO, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-MV", FL, CL, R_CPP | R_STRIP, DCC_VAL_NONE, NULL, NULL, L_DEPS, SC_NO},
    {"-MF", SJ, BO, R_CPP | R_WRITES | R_STRIP, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-MT", SJ, BO, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-MQ", SJ, BO, R_CPP | R_STRIP, DCC_VAL_TEXT, NULL, NULL, NULL, SC_NO},
    {"-MJ", SJ, CL, R_WRITES, DCC_VAL_WRITE, NULL, NULL, L_CDB, SC_NO},
    /* cc1 reads -MD and -MMD with the file name the driver adds */
    {"-MD", SP, PP, R_CPP | R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-MMD", SP, PP, R_CPP | R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-Wp,", JO, BO, R_CPP | R_PASS | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},
    {"-Xpreprocessor", SP, BO, R_CPP | R_PASS | R_STRIP, DCC_VAL_NONE, NULL, NULL, NULL, SC_GIVE_UP},

    /* the assembler */
    {"-Wa,", JO, BO, R_PASS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-Xassembler", SP, BO, R_PASS, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--for-assembler", SE, GC, R_PASS, DCC_VAL_NONE, "-Xassembler", NULL, NULL, SC_NO},
    {"--noexecstack", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--execstack", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--compress-debug-sections", FL | EQ, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-compress-debug-sections", FL | EQ, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--nocompress-debug-sections", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--gen-debug", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--gdwarf", JO, AS, 0, DCC_VAL_NAME, NULL, NULL, NULL, SC_NO},
    {"--32", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--64", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--x32", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--fatal-warnings", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--warn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--no-warn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-Qy", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-Qn", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-K", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-L", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--keep-locals", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--defsym", SP, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--size-check", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--elf-stt-common", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--generate-missing-build-notes", EQ, AS, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--sectname-subst", FL, AS, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-a", FL | JO, AS, R_WRITES, DCC_VAL_WRITE_EQ, NULL, NULL, L_ASM, SC_NO},
    {"--MD", SJ, AS, R_WRITES, DCC_VAL_REFUSE, NULL, W_SECOND, L_ASM, SC_NO},
    {"-o", SJ, AS | C1, R_WRITES, DCC_VAL_REFUSE, NULL, W_SECOND, NULL, SC_NO},

    /* clang -cc1, behind -Xclang: beyond the -f and -W families, only these */
    {"-disable-O0-optnone", FL, C1, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-disable-llvm-passes", FL, C1, 0, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-target-feature", SP, C1, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-target-cpu", SP, C1, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-mframe-pointer", EQ, C1, 0, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"-dependency-file", SP, CL | C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-header-include-file", SE, C1, R_WRITES, DCC_VAL_WRITE, NULL, NULL, NULL, SC_NO},
    {"-load", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-plugin", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-add-plugin", SP, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-plugin-arg-", JO, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},
    {"-load-pass-plugin", EQ, C1, R_RUNS, DCC_VAL_REFUSE, NULL, W_PLUGIN, L_PLUGIN, SC_NO},

    /* the linker, which a compile job never runs */
    {"-Wl,", JO, BO, R_LINK | R_STRIP, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"-Xlinker", SP, BO, R_LINK | R_STRIP, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"--for-linker", SE, BO, R_LINK, DCC_VAL_LINKER, "-Xlinker", NULL, NULL, SC_NO},
    {"-l", SJ, BO, R_LINK | R_STRIP, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"-L", SJ, BO, R_LINK | R_STRIP, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"--library-directory", SE, BO, R_LINK, DCC_VAL_LINKER, "-L", NULL, NULL, SC_NO},
    {"-u", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"--force-link", SE, GC, R_LINK, DCC_VAL_LINKER, "-u", NULL, NULL, SC_NO},
    {"-e", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"--entry", SE, GC, R_LINK, DCC_VAL_LINKER, "-e", NULL, NULL, SC_NO},
    {"-T", SJ, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"-z", SP, BO, R_LINK, DCC_VAL_LINKER, NULL, NULL, NULL, SC_NO},
    {"-s", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-static", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--static", FL, BO, R_LINK, DCC_VAL_NONE, "-static", NULL, NULL, SC_NO},
    {"-shared", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--shared", FL, BO, R_LINK, DCC_VAL_NONE, "-shared", NULL, NULL, SC_NO},
    {"-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"--pie", FL, BO, R_LINK, DCC_VAL_NONE, "-pie", NULL, NULL, SC_NO},
    {"-no-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-static-pie", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-rdynamic", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-symbolic", FL, GC, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-nostdlib", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-nodefaultlibs", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-nostartfiles", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-static-libgcc", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-shared-libgcc", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-static-libstdc++", FL, BO, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-static-libasan", FL, GC, R_LINK, DCC_VAL_NONE, NULL, NULL, NULL, SC_NO},
    {"-rtlib", EQ, CL, R_LINK, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
    {"--rtlib", SE, CL, R_LINK, DCC_VAL_WORD, "-rtlib", NULL, NULL, SC_NO},
    {"-unwindlib", EQ, CL, R_LINK, DCC_VAL_WORD, NULL, NULL, NULL, SC_NO},
};
/* clang-format on */

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
#undef R_STRIP
#undef R_MAP
#undef R_SYSDIRS
#undef R_ONLY_CPP
#undef SC_NO
#undef SC_QUOTE
#undef SC_BRACKET
#undef SC_SYSTEM
#undef SC_AFTER
#undef SC_INCLUDE
#undef SC_GIVE_UP

#define DCC_OPTCAT_N (sizeof dcc_optcat / sizeof dcc_optcat[0])

/* gcc's driver reads "--NAME" as "-fNAME" unless NAME is an option of its
 * own, and a few prefixes as other families (gcc/opts-common.cc). Longest
 * first: the first that matches wins. */
static const struct {
    const char *from, *to;
} dcc_gcc_long_forms[] = {
    {"--machine=no-", "-mno-"},
    {"--machine-no-", "-mno-"},
    {"--warn-no-", "-Wno-"},
    {"--optimize=", "-O"},
    {"--machine=", "-m"},
    {"--machine-", "-m"},
    {"--debug=", "-g"},
    {"--warn-", "-W"},
    {"--std=", "-std="},
    {"--no-", "-fno-"},
    {"--", "-f"},
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
static const struct dcc_opt *dcc_optcat_match(const char *word, unsigned tool, int *sep,
                                              long *value_at)
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
 * "-fplugin=x") into buf (DCC_LONG_FORM_MAX bytes), or 0 when word has
 * none. A position after the name in buf is *shift further on in word:
 * every long form ends as the prefix it stands for does ("--machine=no-"
 * and "-mno-"), so a value found in buf is in word too. Only the start of
 * a long word is copied: matching looks at a name and the character after
 * it, and every name in the catalogue is far shorter than the copy. */
#define DCC_LONG_FORM_MAX 128
static int dcc_gcc_long_form(const char *word, char *buf, long *shift)
{
    if (strncmp(word, "--", 2) != 0 || word[2] == '\0')
        return 0;
    for (size_t i = 0; i < sizeof dcc_gcc_long_forms / sizeof dcc_gcc_long_forms[0]; i++) {
        size_t n = strlen(dcc_gcc_long_forms[i].from);
        if (strncmp(word, dcc_gcc_long_forms[i].from, n) != 0 || word[n] == '\0')
            continue;
        snprintf(buf, DCC_LONG_FORM_MAX, "%s%.100s", dcc_gcc_long_forms[i].to, word + n);
        *shift = (long)n - (long)strlen(dcc_gcc_long_forms[i].to);
        return 1;
    }
    return 0;
}

int dcc_optcat_lookup(const char *word, unsigned tools, struct dcc_optcat_word *w)
{
    memset(w, 0, sizeof *w);
    w->value_at = -1;
    if (word[0] != '-' || word[1] == '\0')
        return 0;
    int sep;
    long at, shift = 0;
    char buf[DCC_LONG_FORM_MAX];
    const struct dcc_opt *e = dcc_optcat_match(word, tools, &sep, &at);
    if ((!e || (e->roles & DCC_ROLE_FAMILY)) && (tools & DCC_OPT_GCC) && word[1] == '-' &&
        dcc_gcc_long_form(word, buf, &shift))
        e = dcc_optcat_match(buf, tools, &sep, &at);
    if (!e)
        return 0;
    w->spelled = e;
    w->sep = sep;
    w->value_at = at >= 0 ? at + shift : -1;
    w->value = at >= 0 ? word + w->value_at : NULL;
    if (e->alias && e->forms == DCC_FORM_FLAG) {
        /* a word of its own for another word: "--all-warnings" is read
         * as "-Wall" is */
        w->opt = dcc_optcat_match(e->alias, tools, &w->sep, &at);
        w->value = at >= 0 ? e->alias + at : NULL;
        w->value_at = -1;
    } else {
        w->opt = e->alias ? dcc_optcat_find(e->alias, tools) : e;
    }
    if (!w->opt) {
        memset(w, 0, sizeof *w);
        w->value_at = -1;
        return 0;
    }
    return 1;
}

const char *dcc_optcat_local(const struct dcc_optcat_word *w)
{
    if (w->spelled && w->spelled->local)
        return w->spelled->local;
    return w->opt ? w->opt->local : NULL;
}

enum dcc_opt_scan dcc_optcat_scan_kind(const struct dcc_optcat_word *w)
{
    if (w->spelled && w->spelled->scan != DCC_SCAN_NONE)
        return w->spelled->scan;
    return w->opt ? w->opt->scan : DCC_SCAN_NONE;
}

int dcc_optcat_is(const struct dcc_optcat_word *w, const char *name)
{
    return w->opt && strcmp(w->opt->name, name) == 0;
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
static int dcc_optcat_read(struct dcc_optcat_list *list, const struct dcc_words *ws, unsigned tool,
                           int via_cpp, struct dcc_passed *passed)
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
        struct dcc_optcat_word w;
        if (!(via_cpp && dcc_optcat_lookup(word, DCC_OPT_CPP, &w)) &&
            !dcc_optcat_lookup(word, tool, &w)) {
            it->kind = DCC_ITEM_UNKNOWN;
            return 1;
        }
        const struct dcc_opt *e = w.opt;
        it->opt = e;
        it->kind = DCC_ITEM_OPTION;
        const char *value = w.sep ? NULL : w.value;
        if (w.sep) {
            if (i + 1 >= ws->n) {
                it->kind = DCC_ITEM_MISSING;
                return 1;
            }
            value = ws->w[++i];
            it->last = ws->to[i];
        }
        if (value && !(it->value = strdup(value)))
            return -1;
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
        int rc = strchr(e->name, ',')
                     ? dcc_words_add_list(to, it->value, it->first)
                     : dcc_words_add(to, it->value, strlen(it->value), it->first, it->last);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int dcc_optcat_parse(char *const *argv, unsigned driver, struct dcc_optcat_list *list, char *err,
                     size_t errlen)
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
static const char *dcc_value_why(const struct dcc_opt *e, const char *value,
                                 const char *const *prefixes, int pump)
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
        return value[0] != '/' || value[strspn(value, "/")] == '\0' ||
                       dcc_under_prefixes(value, prefixes)
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
static void dcc_refuse(char *const *argv, const struct dcc_optcat_item *it, const char *reason,
                       char *why, size_t whylen)
{
    struct dcc_buf b = {0};
    int ok = dcc_buf_appends(&b, "option \"") == 0;
    for (size_t i = it->first; ok && i <= it->last; i++)
        ok = dcc_buf_appends(&b, argv[i]) == 0 && (i == it->last || dcc_buf_appends(&b, " ") == 0);
    ok = ok && dcc_buf_printf(&b, "\" is not allowed on this helper: %s", reason) == 0;
    if (ok && (it->tool == DCC_OPT_AS || it->tool == DCC_OPT_CC1 || it->via_cpp) && it->spelled)
        ok = dcc_buf_printf(&b, " (%s gets \"%s\")",
                            it->via_cpp ? "the preprocessor" : dcc_tool_name(it->tool, 1),
                            it->spelled) == 0;
    snprintf(why, whylen, "%s",
             ok ? b.data : "an option is not allowed on this helper (out of memory naming it)");
    dcc_buf_free(&b);
}

static const char *dcc_unknown_why(const struct dcc_optcat_item *it, char *buf, size_t len)
{
    snprintf(buf, len, "it is not in this helper's catalogue of %s%s options",
             it->via_cpp ? "preprocessor " : "", dcc_tool_name(it->tool, 0));
    return buf;
}

/* Checks one driver's reading of argv; 0, or -1 with why. */
static int dcc_optcat_check_as(char *const *argv, unsigned driver,
                               const struct dcc_optcat_policy *policy, char *why, size_t whylen)
{
    const char *const *prefixes = policy && policy->sysroot_prefixes ? policy->sysroot_prefixes
                                                                     : dcc_default_sysroot_prefixes;
    int pump = policy && policy->pump;

    /* The driver expands @FILE wherever it stands, before anything else. */
    for (size_t i = 1; argv[0] && argv[i]; i++) {
        if (argv[i][0] == '@') {
            snprintf(why, whylen, "option \"%s\" is not allowed on this helper: %s", argv[i],
                     W_RESPONSE);
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
            else if ((it->opt->roles & DCC_ROLE_FAMILY) &&
                     !dcc_name_ok(it->value ? it->value : "", it->opt))
                /* "-fNAME=VALUE" with a NAME not listed is no known option */
                bad = dcc_unknown_why(it, reason, sizeof reason);
            else
                /* pump mode re-roots the driver's own -include words, not
                 * those behind -Xpreprocessor */
                bad = dcc_value_why(it->opt, it->value ? it->value : "", prefixes,
                                    pump && !it->via_cpp);
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

int dcc_optcat_check(char *const *argv, const char *compiler,
                     const struct dcc_optcat_policy *policy, char *why, size_t whylen)
{
    unsigned drivers = dcc_optcat_driver(compiler ? compiler : "");
    /* A name that says neither ("cc") must be safe for both. */
    if ((drivers & DCC_OPT_GCC) && dcc_optcat_check_as(argv, DCC_OPT_GCC, policy, why, whylen) != 0)
        return -1;
    if ((drivers & DCC_OPT_CLANG) &&
        dcc_optcat_check_as(argv, DCC_OPT_CLANG, policy, why, whylen) != 0)
        return -1;
    return 0;
}
