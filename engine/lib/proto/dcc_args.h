/* Compiler argument scanning: what stays local, input/output files, the
 * client's cpp and strip rewrites. What each option is and does (its
 * value, whether it keeps a job local, whether plain mode strips it) is
 * dcc_optcat's catalogue, which the daemon's policy reads too. */
#ifndef DCC_ARGS_H
#define DCC_ARGS_H

#include <stddef.h>

struct dcc_scan {
    int local_only;      /* 1: this job must run on this machine */
    char why_local[200]; /* the reason, for DISTCC_VERBOSE ("-march=native ...") */
    int local_exit;      /* exit code distcc uses for it: 120 for -E, else 0 */
    size_t input_idx;    /* argv index of the source file (valid unless local_only) */
    size_t output_idx;   /* argv index of the object file name (after "-o") */
    const char *input;   /* == argv[input_idx] */
    const char *output;  /* == argv[output_idx], or argv[output_idx] + 2 when output_joined */
    int has_dash_c;      /* -c */
    int has_dash_S;      /* -S (wins over -c for the default output name) */
    int preprocessed;    /* no cpp needed: .i .ii .mi .mii, or -x *-cpp-output */
    int wants_deps;      /* -MD or -MMD (after -Wp, expansion) */
    int deps_from_wp;    /* they came as -Wp,-MD,FILE: cc1 picks the target */
    int output_joined;   /* the output was given as one word "-oFILE" */
    int output_added;    /* no -o was given: scan appended "-o BASE.o" (".s") */
};

/* Scans argv (argv[0] is the compiler) the way distcc does and normalises it
 * in place: -Wp,-MD,F and -Wp,-MMD,F become -MD -MF F, and a missing -o gets
 * "-o BASE.o" (".s" with -S) appended. *argv may be reallocated.
 * Like distcc 3.4, every other -Wp,A,B is split into A B as well.
 * argv and its strings must be malloc'd (dcc_argv_dup).
 * Returns 0 (look at scan->local_only), or -1 with err on ENOMEM. */
int dcc_args_scan(char ***argv, struct dcc_scan *scan, char *err, size_t errlen);

/* The extension cpp output gets for a source name: ".i", ".ii", ".mi",
 * ".mii", or NULL when it is not a source distcc sends. */
const char *dcc_args_preproc_ext(const char *source);

/* 1 if the name is a source file distcc can distribute. */
int dcc_args_is_source(const char *name);

/* 1 if the name ends in ".o" (an object: "distcc x.o -o x" is implicit cc). */
int dcc_args_is_object(const char *name);

/* Client: the argv that runs cpp locally: -c/-S become -E, -o and its file are
 * dropped, -o CPP_OUT added. With -MD/-MMD, "-MF OUTPUT-with-.d" is added
 * unless -MF is given, and "-MQ OUTPUT" unless -MT/-MQ is given or scan added
 * the -o, so the .d file is the one a plain compile writes.
 * New array (caller frees), NULL on ENOMEM. */
char **dcc_args_cpp_argv(char *const *argv, const struct dcc_scan *scan, const char *cpp_out);

/* Client, pump mode: where a plain compile of this job writes its
 * dependency file (the -MF value, else the object's name with ".d"), or
 * NULL when it writes none. malloc'd; NULL as well on ENOMEM (check errno). */
char *dcc_args_deps_file(char *const *argv, const struct dcc_scan *scan);

/* Client, pump mode: the argv sent to a helper: everything but -MF and its
 * file (the helper writes the dependency file into its job and sends it
 * back; the client puts it where dcc_args_deps_file says). NULL on ENOMEM. */
char **dcc_args_pump_argv(char *const *argv);

/* Client: the argv sent to a helper in plain mode: the options the
 * catalogue (dcc_optcat) marks DCC_ROLE_STRIP removed, those the client's
 * cpp has used up (-D, -I, -include, -MF ...) and those only the linker
 * reads (-l, -L, -Wl, ...). New array, NULL on ENOMEM. */
char **dcc_args_strip_local(char *const *argv);

/* 1 when the option word takes the next word as its value ("-MT", "-o",
 * "-Xclang"), else 0. */
int dcc_args_takes_value(const char *word);

/* Daemon: replaces the input and output names found by dcc_args_scan with
 * the job's own files ("-oFILE" stays one word). scan->input and
 * scan->output point at freed strings afterwards. 0, or -1 on ENOMEM, or
 * -1 with EINVAL when scan found no files (local_only). */
int dcc_args_set_files(char **argv, const struct dcc_scan *scan, const char *input,
                       const char *output);

/* Daemon, after dcc_args_set_files: whether the compiler may start before
 * its source has arrived (the source file is then a FIFO the daemon fills as
 * the source comes in), and the arguments for that: "-pipe" is appended
 * unless given, so the assembler starts along with the compiler instead of
 * after it. Returns 0, 1 when the input must be a regular file
 * (-fcompare-debug compiles it twice; argv is untouched), -1 on ENOMEM. */
int dcc_args_early_start(char ***argv, const struct dcc_scan *scan);

#endif
