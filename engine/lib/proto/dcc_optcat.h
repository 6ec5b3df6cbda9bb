/* The catalogue of gcc and clang options: what each spelling takes and does,
 * for every reader of a compile line (the client's scanner and local-only
 * rules, pump's include scanner and path rewriting, the helper's
 * allow-list), the canonicaliser that reads an argv the way the compiler's
 * driver does, and the helper's allow-list policy built on both. */
#ifndef DCC_OPTCAT_H
#define DCC_OPTCAT_H

#include <stddef.h>

/* Who reads an option: the two drivers, and the tools behind them whose
 * options a compile line can carry (-Wa, -Xassembler: the assembler;
 * -Xclang: clang's cc1). */
enum {
    DCC_OPT_GCC = 1u,
    DCC_OPT_CLANG = 2u,
    DCC_OPT_AS = 4u,
    DCC_OPT_CC1 = 8u,
    DCC_OPT_CPP = 16u, /* cc1's own spellings behind -Wp, and -Xpreprocessor ("-MD FILE") */
};
#define DCC_OPT_DRIVERS (DCC_OPT_GCC | DCC_OPT_CLANG)

/* How an option may be spelled. */
enum {
    DCC_FORM_FLAG = 1u, /* the word is the name: "-c" */
    DCC_FORM_SEP = 2u,  /* the name, its value in the next word: "-MF" "x.d" */
    DCC_FORM_JOIN = 4u, /* the value right after the name: "-MFx.d" */
    DCC_FORM_EQ = 8u,   /* name=value: "--sysroot=/usr/x" */
};

/* What an option does (roles). */
enum {
    DCC_ROLE_CPP = 1u << 0,    /* affects preprocessing only */
    DCC_ROLE_LINK = 1u << 1,   /* affects linking only (a compile job links nothing) */
    DCC_ROLE_READS = 1u << 2,  /* its value names a file or directory it reads */
    DCC_ROLE_WRITES = 1u << 3, /* its value names a file it writes */
    DCC_ROLE_RUNS = 1u << 4,   /* it runs or loads another program */
    DCC_ROLE_PASS = 1u << 5,   /* its value is options for another tool */
    DCC_ROLE_FAMILY =
        1u << 6, /* a family of names (-f..., -W..., -m...): the value is the rest of the name */
    DCC_ROLE_REROOT = 1u << 7,   /* pump mode re-roots an absolute value into the job */
    DCC_ROLE_OUTPUT = 1u << 8,   /* names the job's output: the helper replaces it */
    DCC_ROLE_STRIP = 1u << 9,    /* plain mode leaves it out of the helper's argv: the client's
                                  cpp has used it up, or only the linker reads it */
    DCC_ROLE_MAP = 1u << 10,     /* its value is OLD=NEW, a path map: pump mode re-roots OLD */
    DCC_ROLE_SYSDIRS = 1u << 11, /* it changes the compiler's own include directories: pump
                                    asks the compiler for them with it */
    DCC_ROLE_ONLY_CPP = 1u
                        << 12, /* the job only preprocesses: a local job exits 120 as distcc's do */
};

/* What pump mode's include scanner does with an option. */
enum dcc_opt_scan {
    DCC_SCAN_NONE,    /* nothing: it does not change what the preprocessor reads */
    DCC_SCAN_QUOTE,   /* -iquote DIR: searched for #include "..." only */
    DCC_SCAN_BRACKET, /* -I DIR */
    DCC_SCAN_SYSTEM,  /* -isystem DIR */
    DCC_SCAN_AFTER,   /* -idirafter DIR */
    DCC_SCAN_INCLUDE, /* -include FILE, -imacros FILE: read before the source */
    DCC_SCAN_GIVE_UP, /* the scanner cannot follow it: the job is sent without pump */
};

/* How the helper checks an option's value. */
enum dcc_opt_check {
    DCC_VAL_NONE,   /* a flag: no value */
    DCC_VAL_TEXT,   /* any text that names no file (a macro, a map of prefixes) */
    DCC_VAL_WORD,   /* a name or number: no '/' */
    DCC_VAL_NAME,   /* a family's rest of name: letters, digits, "+-_.,", then "=WORD" */
    DCC_VAL_SEARCH, /* a directory searched for headers */
    DCC_VAL_READ, /* a file read: inside the job (relative, no ".."), or under the sysroot prefixes */
    DCC_VAL_READ_LAST, /* like READ, on the part after the last '=' ("-fmodule-file=m=x.pcm") */
    DCC_VAL_READ_PUMP, /* like READ; in pump mode any absolute path without ".." (it is re-rooted) */
    DCC_VAL_WRITE,     /* a file written: inside the job only */
    DCC_VAL_WRITE_EQ,  /* a dump: "tree-all" or "tree-all=FILE", FILE inside the job */
    DCC_VAL_DIAG,      /* a diagnostics output spec: each file= inside the job */
    DCC_VAL_SYSROOT,   /* "/", relative, or under the sysroot prefixes */
    DCC_VAL_SAVE_TEMPS, /* "cwd" or "obj" */
    DCC_VAL_PROGRAM,    /* a program's name, never a path (-fuse-ld=) */
    DCC_VAL_OUTPUT,     /* the job's output, replaced by the helper */
    DCC_VAL_LINKER,     /* linker options: a compile job never runs the linker */
    DCC_VAL_LLVM,       /* an LLVM option: "-name[=value]" naming no path and loading nothing */
    DCC_VAL_REFUSE,     /* never on a helper: the entry's why says why */
};

struct dcc_opt {
    const char *name; /* the spelling before any value */
    unsigned forms;   /* DCC_FORM_* */
    unsigned tools;   /* DCC_OPT_*: who knows it */
    unsigned roles;   /* DCC_ROLE_* */
    enum dcc_opt_check check;
    const char *alias;      /* NULL, or the canonical name this spelling stands for */
    const char *why;        /* DCC_VAL_REFUSE: why it is never allowed */
    const char *local;      /* the client keeps a job with it on this machine, saying the
                          option then this (": plugins live on this machine") */
    enum dcc_opt_scan scan; /* pump's include scanner */
};

/* One option (or input word) as the compiler reads it. */
enum dcc_item_kind {
    DCC_ITEM_OPTION,  /* opt and value are set */
    DCC_ITEM_INPUT,   /* a word that is no option: a source file (or garbage) */
    DCC_ITEM_UNKNOWN, /* an option the catalogue does not know; parsing stopped here */
    DCC_ITEM_MISSING, /* opt needs a value that is not there; parsing stopped here */
};

struct dcc_optcat_item {
    enum dcc_item_kind kind;
    const struct dcc_opt *opt; /* the canonical entry (aliases resolved) */
    char *spelled;             /* the option as written, e.g. "--plugin=x.so" or an -Wa, part */
    char *value;               /* its value, or NULL */
    unsigned tool;             /* who reads it: one DCC_OPT_* */
    int via_cpp;               /* it came through -Wp, or -Xpreprocessor */
    size_t first, last;        /* the argv words it came from */
};

struct dcc_optcat_list {
    struct dcc_optcat_item *items;
    size_t n, cap;
};

/* Which driver a compiler name is: DCC_OPT_CLANG for names with "clang",
 * DCC_OPT_GCC for names with "gcc" or "g++", both for anything else ("cc",
 * "c++"): the policy must then hold for either. */
unsigned dcc_optcat_driver(const char *compiler);

/* Reads argv (argv[0] is the compiler and is not read) the way driver
 * (DCC_OPT_GCC or DCC_OPT_CLANG) does: gcc's "--NAME" and "--NAME=" forms
 * become the options they stand for, -Wa, -Xassembler, --for-assembler,
 * -Wp, -Xpreprocessor and -Xclang are unpacked into the options of the
 * tool they reach, and every value is kept. Parsing stops at the first
 * option it does not know (the words after it cannot be told apart).
 * 0, or -1 with err (ENOMEM). Free the list with dcc_optcat_free. */
int dcc_optcat_parse(char *const *argv, unsigned driver, struct dcc_optcat_list *list, char *err,
                     size_t errlen);

void dcc_optcat_free(struct dcc_optcat_list *list);

/* The catalogue's entry for an option name in tools' namespace, exactly as
 * spelled (no alias resolution); NULL when there is none. */
const struct dcc_opt *dcc_optcat_find(const char *name, unsigned tools);

/* One word of a compile line as a driver reads it, for the client's
 * scanners and pump's rewriting (which look at one word at a time, and
 * must go on past options the catalogue does not know). */
struct dcc_optcat_word {
    const struct dcc_opt *spelled; /* the entry the word is spelled with (gcc's "--NAME" read as
                                      "-fNAME"); NULL for an option the catalogue does not know */
    const struct dcc_opt *opt;     /* the option it stands for: spelled with its alias resolved */
    int sep;                       /* its value is the next word */
    const char *value;             /* its value joined in the word (pointing into word, or into the
                                      catalogue for a flag that is another's alias), else NULL */
    long value_at;                 /* where value starts in word; -1 when it is not in word */
};

/* Looks word up in tools' namespace (DCC_OPT_DRIVERS: what either driver
 * knows) the way dcc_optcat_parse reads it: gcc's "--NAME" forms when
 * tools has gcc, then aliases. 1 with w filled, or 0 when word is no
 * option the catalogue knows (w->opt NULL, w->sep 0: it takes no value as
 * far as anyone can tell). */
int dcc_optcat_lookup(const char *word, unsigned tools, struct dcc_optcat_word *w);

/* The reason a job with this option stays on the client, or NULL. */
const char *dcc_optcat_local(const struct dcc_optcat_word *w);

/* What pump's include scanner does with this option: the spelling's own
 * choice first ("--include" makes it give up), else the option's. */
enum dcc_opt_scan dcc_optcat_scan_kind(const struct dcc_optcat_word *w);

/* 1 when the word was this option, by its canonical name ("--compile" is "-c"). */
int dcc_optcat_is(const struct dcc_optcat_word *w, const char *name);

/* The daemon's policy for one job. */
struct dcc_optcat_policy {
    const char *const *sysroot_prefixes; /* NULL-terminated; NULL means {"/usr/", NULL} */
    int pump; /* protocol 3: absolute -include/-imacros are re-rooted into the job */
};

/* Daemon: accepts argv only when every option in it is in the catalogue,
 * known to the compiler that runs (compiler: its name, for
 * dcc_optcat_driver), and safe for a compile job with its value. Returns 0,
 * or -1 with one line in why, e.g.
 *   option "-wrapper" is not allowed on this helper: it runs another program
 * argv[0] is not looked at (the whitelist decides), nor is the value of -o
 * (the helper replaces it). It assumes one compile of one file, so a job
 * that dcc_args_scan calls local_only must be refused as well. */
int dcc_optcat_check(char *const *argv, const char *compiler,
                     const struct dcc_optcat_policy *policy, char *why, size_t whylen);

#endif
