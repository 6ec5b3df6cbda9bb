/* Pump mode's preprocessor model: the macro table with its undo journal,
 * macro expansion (hide sets, # and ##, __VA_ARGS__, __VA_OPT__) and #if
 * arithmetic in intmax_t / uintmax_t that carries "unknown" through. */
#include "client/dcc_ppexpr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* tokens                                                              */

enum tok_kind {
    TK_IDENT,
    TK_NUMBER,
    TK_CHAR,
    TK_STRING,
    TK_PUNCT,
    TK_VALUE,       /* a known number the evaluator made (defined, __has_include) */
    TK_UNKNOWN,     /* a number nobody knows */
    TK_OPAQUE,      /* text nobody knows: the whole line is unknown */
    TK_PLACEMARKER, /* an empty macro argument next to ## */
    TK_PASTE,       /* the ## operator of a macro body */
};

struct hideset {
    struct hideset *next;
    const struct pp_name *name;
};

struct tok {
    struct tok *next;
    const char *s;
    size_t len;
    unsigned char kind, space, va; /* va: placemarker of an empty __VA_ARGS__ */
    struct hideset *hs;
    uint64_t v; /* TK_VALUE */
};

/* A bump allocator for one evaluation: everything goes at once. */
struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct arena_block *head;
    int nomem;
};

static void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < size) {
        size_t cap = size > 8192 ? size : 8192;
        struct arena_block *b = malloc(sizeof *b + cap);
        if (!b) {
            a->nomem = 1;
            return NULL;
        }
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += size;
    return p;
}

static void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

static int is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' || c == '\0' || c == '\n';
}

static const char *const puncts[] = {
    "%:%:", "...", "<<=", ">>=", "->*", "##", "<<", ">>", "<=", ">=", "==",
    "!=",   "&&",  "||",  "->",  "++",  "--", "*=", "/=", "%=", "+=", "-=",
    "&=",   "^=",  "|=",  "<:",  ":>",  "<%", "%>", "%:", "::", ".*",
};

/* The end of the token at s[p] (s has n bytes, p < n, s[p] not blank) and its kind. */
static size_t lex_one(const char *s, size_t n, size_t p, unsigned char *kind)
{
    unsigned char c = (unsigned char)s[p];
    size_t q = p;
    if (is_ident_start(c)) {
        while (q < n && is_ident_char((unsigned char)s[q]))
            q++;
        size_t l = q - p;
        int prefix = (l == 1 && (c == 'L' || c == 'u' || c == 'U')) ||
                     (l == 2 && s[p] == 'u' && s[p + 1] == '8');
        *kind = TK_IDENT;
        if (!prefix || q >= n || (s[q] != '"' && s[q] != '\''))
            return q;
        c = (unsigned char)s[q]; /* a prefixed literal: L"x", u8'x' */
    } else if (is_digit(c) || (c == '.' && p + 1 < n && is_digit((unsigned char)s[p + 1]))) {
        q = p + 1;
        while (q < n) {
            unsigned char d = (unsigned char)s[q];
            if ((d == '+' || d == '-') && strchr("eEpP", s[q - 1]))
                q++;
            else if (is_ident_char(d) || d == '.')
                q++;
            else if (d == '\'' && q + 1 < n && is_ident_char((unsigned char)s[q + 1]))
                q += 2; /* a digit separator */
            else
                break;
        }
        *kind = TK_NUMBER;
        return q;
    }
    if (c == '"' || c == '\'') {
        q++;
        while (q < n && s[q] != (char)c) {
            if (s[q] == '\\' && q + 1 < n)
                q++;
            q++;
        }
        if (q < n)
            q++;
        *kind = c == '"' ? TK_STRING : TK_CHAR;
        return q;
    }
    *kind = TK_PUNCT;
    for (size_t i = 0; i < sizeof puncts / sizeof *puncts; i++) {
        size_t l = strlen(puncts[i]);
        if (puncts[i][0] == (char)c && n - p >= l && memcmp(s + p, puncts[i], l) == 0)
            return p + l;
    }
    return p + 1;
}

/* ------------------------------------------------------------------ */
/* the macro table                                                     */

enum macro_kind { M_OBJECT, M_FUNCTION, M_UNDEF, M_UNKNOWN };

struct mtok {
    const char *s;
    size_t len;
    unsigned char kind, space;
};

struct macro {
    struct macro *all_next; /* every macro of the table, for dcc_pp_free */
    enum macro_kind kind;
    int atomic;   /* M_UNKNOWN: at most one number when it is defined */
    int variadic; /* the last parameter takes the rest */
    size_t nparams, nbody;
    struct mtok *params, *body;
    char *text; /* every spelling: the bytes after the struct */
    /* The body's text in text, tokenised into body only when the macro is
     * first expanded: most definitions a scan meets never are. */
    size_t body_at, body_len;
    int lexed;
};

enum builtin {
    B_NONE,
    B_HAS_INCLUDE,
    B_HAS_INCLUDE_NEXT,
    B_UNKNOWN_FUNC, /* __has_attribute(x) ... */
    B_UNKNOWN_OBJ,  /* __LINE__ ... */
    B_CLANG_FUNC,   /* __has_feature(x) ...: only a builtin for clang */
};

struct pp_name {
    char *name;
    size_t len;
    uint64_t hash;   /* name_hash of the name: compared first, kept for growing */
    struct macro *m; /* NULL: never defined nor undefined */
    enum builtin builtin;
    unsigned stamp; /* dcc_pp_group_end's scratch */
    int atomic;
};

struct journal_entry {
    struct pp_name *e;
    struct macro *old;
};

struct touched {
    struct pp_name *e;
    int atomic;
};

struct frame {
    size_t journal, touched;
};

struct dcc_pp {
    struct pp_name **slots;
    size_t cap, n;
    struct macro *all;
    struct macro unknown_atomic, unknown_opaque, undefined;
    int unknown_default, clang;
    struct journal_entry *journal;
    size_t njournal, capjournal;
    struct touched *touched;
    size_t ntouched, captouched;
    struct frame *frames;
    size_t nframes, capframes;
    unsigned stamp;
    struct arena_block *spare; /* an evaluation's first block, kept for the next */
};

static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

static struct pp_name **name_slot_h(const struct dcc_pp *pp, const char *s, size_t len, uint64_t h)
{
    for (size_t i = h & (pp->cap - 1);; i = (i + 1) & (pp->cap - 1)) {
        struct pp_name *e = pp->slots[i];
        if (!e || (e->hash == h && e->len == len && memcmp(e->name, s, len) == 0))
            return &pp->slots[i];
    }
}

static struct pp_name *name_find(const struct dcc_pp *pp, const char *s, size_t len)
{
    return *name_slot_h(pp, s, len, name_hash(s, len));
}

/* The entry for a name, made when absent. NULL on ENOMEM. */
static struct pp_name *name_get(struct dcc_pp *pp, const char *s, size_t len)
{
    if ((pp->n + 1) * 2 > pp->cap) {
        size_t cap = pp->cap * 2;
        struct pp_name **slots = calloc(cap, sizeof *slots), **old = pp->slots;
        if (!slots)
            return NULL;
        size_t oldcap = pp->cap;
        pp->slots = slots;
        pp->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i])
                *name_slot_h(pp, old[i]->name, old[i]->len, old[i]->hash) = old[i];
        free(old);
    }
    uint64_t h = name_hash(s, len);
    struct pp_name **slot = name_slot_h(pp, s, len, h);
    if (*slot)
        return *slot;
    /* the name's bytes follow the entry, in one allocation */
    struct pp_name *e = malloc(sizeof *e + len + 1);
    if (!e)
        return NULL;
    *e = (struct pp_name){0};
    char *copy = (char *)(e + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    e->name = copy;
    e->len = len;
    e->hash = h;
    *slot = e;
    pp->n++;
    return e;
}

static const struct {
    const char *name;
    enum builtin b;
} builtins[] = {
    {"__has_include", B_HAS_INCLUDE},
    {"__has_include_next", B_HAS_INCLUDE_NEXT},
    {"__has_attribute", B_UNKNOWN_FUNC},
    {"__has_cpp_attribute", B_UNKNOWN_FUNC},
    {"__has_c_attribute", B_UNKNOWN_FUNC},
    {"__has_builtin", B_UNKNOWN_FUNC},
    {"__has_embed", B_UNKNOWN_FUNC},
    {"__LINE__", B_UNKNOWN_OBJ},
    {"__FILE__", B_UNKNOWN_OBJ},
    {"__BASE_FILE__", B_UNKNOWN_OBJ},
    {"__FILE_NAME__", B_UNKNOWN_OBJ},
    {"__COUNTER__", B_UNKNOWN_OBJ},
    {"__INCLUDE_LEVEL__", B_UNKNOWN_OBJ},
    {"__DATE__", B_UNKNOWN_OBJ},
    {"__TIME__", B_UNKNOWN_OBJ},
    {"__TIMESTAMP__", B_UNKNOWN_OBJ},
    {"__has_feature", B_CLANG_FUNC},
    {"__has_extension", B_CLANG_FUNC},
    {"__has_warning", B_CLANG_FUNC},
    {"__has_declspec_attribute", B_CLANG_FUNC},
    {"__has_constexpr_builtin", B_CLANG_FUNC},
    {"__is_identifier", B_CLANG_FUNC},
    {"__is_target_arch", B_CLANG_FUNC},
    {"__is_target_vendor", B_CLANG_FUNC},
    {"__is_target_os", B_CLANG_FUNC},
    {"__is_target_environment", B_CLANG_FUNC},
    {"__building_module", B_CLANG_FUNC},
};

struct dcc_pp *dcc_pp_new(int unknown_default)
{
    struct dcc_pp *pp = calloc(1, sizeof *pp);
    if (!pp)
        return NULL;
    pp->cap = 4096; /* a scan's predefined macros and headers define a few thousand */
    pp->slots = calloc(pp->cap, sizeof *pp->slots);
    if (!pp->slots) {
        free(pp);
        return NULL;
    }
    pp->unknown_default = unknown_default;
    pp->unknown_atomic = (struct macro){.kind = M_UNKNOWN, .atomic = 1};
    pp->unknown_opaque = (struct macro){.kind = M_UNKNOWN};
    pp->undefined = (struct macro){.kind = M_UNDEF};
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        struct pp_name *e = name_get(pp, builtins[i].name, strlen(builtins[i].name));
        if (!e) {
            dcc_pp_free(pp);
            return NULL;
        }
        e->builtin = builtins[i].b;
    }
    return pp;
}

void dcc_pp_set_clang(struct dcc_pp *pp, int clang)
{
    pp->clang = clang;
}

void dcc_pp_free(struct dcc_pp *pp)
{
    if (!pp)
        return;
    for (size_t i = 0; i < pp->cap; i++) {
        free(pp->slots[i]);
    }
    while (pp->all) {
        struct macro *n = pp->all->all_next;
        free(pp->all->params);
        free(pp->all->body);
        free(pp->all);
        pp->all = n;
    }
    free(pp->spare);
    free(pp->slots);
    free(pp->journal);
    free(pp->touched);
    free(pp->frames);
    free(pp);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* Sets a name's macro, journalled while a frame is open. 0 or -1. */
static int set_macro(struct dcc_pp *pp, struct pp_name *e, struct macro *m)
{
    if (pp->nframes) {
        if (grow((void **)&pp->journal, &pp->capjournal, pp->njournal, sizeof *pp->journal) != 0)
            return -1;
        pp->journal[pp->njournal++] = (struct journal_entry){e, e->m};
    }
    e->m = m;
    return 0;
}

static int lex_mtoks(const char *text, size_t n, struct mtok **out, size_t *nout);

/* m's body as tokens, lexed on first use. 0 or -1 (ENOMEM). */
static int macro_lex(struct macro *m)
{
    if (m->lexed)
        return 0;
    if (lex_mtoks(m->text + m->body_at, m->body_len, &m->body, &m->nbody) != 0)
        return -1;
    m->lexed = 1;
    return 0;
}

/* A state whose value in #if is at most one number (or nothing). Without
 * the memory to tell, it is not (unknown opaque is the safe side). */
static int state_atomic(struct macro *m)
{
    if (!m || m->kind == M_UNDEF)
        return 1;
    if (m->kind == M_UNKNOWN)
        return m->atomic;
    if (m->kind == M_FUNCTION || macro_lex(m) != 0)
        return 0;
    return m->nbody == 0 ||
           (m->nbody == 1 && (m->body[0].kind == TK_NUMBER || m->body[0].kind == TK_CHAR));
}

int dcc_pp_group_begin(struct dcc_pp *pp)
{
    if (grow((void **)&pp->frames, &pp->capframes, pp->nframes, sizeof *pp->frames) != 0)
        return -1;
    pp->frames[pp->nframes++] = (struct frame){pp->njournal, pp->ntouched};
    return 0;
}

int dcc_pp_branch_end(struct dcc_pp *pp)
{
    if (!pp->nframes)
        return 0;
    struct frame *f = &pp->frames[pp->nframes - 1];
    while (pp->njournal > f->journal) {
        struct journal_entry *j = &pp->journal[--pp->njournal];
        if (grow((void **)&pp->touched, &pp->captouched, pp->ntouched, sizeof *pp->touched) != 0)
            return -1;
        pp->touched[pp->ntouched++] = (struct touched){j->e, state_atomic(j->e->m) &&
                                                                 state_atomic(j->old)};
        j->e->m = j->old;
    }
    return 0;
}

int dcc_pp_group_end(struct dcc_pp *pp)
{
    if (!pp->nframes)
        return 0;
    if (dcc_pp_branch_end(pp) != 0)
        return -1;
    struct frame f = pp->frames[--pp->nframes];
    unsigned stamp = ++pp->stamp ? pp->stamp : ++pp->stamp;
    for (size_t i = f.touched; i < pp->ntouched; i++) {
        struct pp_name *e = pp->touched[i].e;
        if (e->stamp != stamp) {
            e->stamp = stamp;
            e->atomic = 1;
        }
        e->atomic &= pp->touched[i].atomic;
    }
    int rc = 0;
    for (size_t i = f.touched; i < pp->ntouched && rc == 0; i++) {
        struct pp_name *e = pp->touched[i].e;
        if (e->stamp != stamp)
            continue;
        e->stamp = 0;
        rc = set_macro(pp, e, e->atomic ? &pp->unknown_atomic : &pp->unknown_opaque);
    }
    pp->ntouched = f.touched;
    return rc;
}

size_t dcc_pp_depth(const struct dcc_pp *pp)
{
    return pp->nframes;
}

static size_t skip_blanks(const char *s, size_t n, size_t p)
{
    while (p < n && is_blank((unsigned char)s[p]))
        p++;
    return p;
}

static int mtok_is(const struct mtok *t, const char *lit)
{
    return t->len == strlen(lit) && memcmp(t->s, lit, t->len) == 0;
}

/* Splits text[0..n) into tokens pointing into text: counted first, so a
 * definition costs one allocation of the right size (headers make thousands). */
static int lex_mtoks(const char *text, size_t n, struct mtok **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t p = 0, k = 0;
        int space = 0;
        while (p < n) {
            if (is_blank((unsigned char)text[p])) {
                space = 1;
                p++;
                continue;
            }
            unsigned char kind;
            size_t end = lex_one(text, n, p, &kind);
            if (pass == 1)
                (*out)[k] = (struct mtok){text + p, end - p, kind, (unsigned char)space};
            k++;
            space = 0;
            p = end;
        }
        if (pass == 0) {
            if (k == 0)
                return 0;
            *out = malloc(k * sizeof **out);
            if (!*out)
                return -1;
        }
        *nout = k;
    }
    return 0;
}

static int is_hash(const struct mtok *t)
{
    return t->kind == TK_PUNCT && (mtok_is(t, "#") || mtok_is(t, "%:"));
}

static int is_hashhash(const struct mtok *t)
{
    return t->kind == TK_PUNCT && (mtok_is(t, "##") || mtok_is(t, "%:%:"));
}

int dcc_pp_define(struct dcc_pp *pp, const char *line, size_t len)
{
    size_t p = skip_blanks(line, len, 0), q = p;
    if (p >= len || !is_ident_start((unsigned char)line[p]))
        return 1;
    while (q < len && is_ident_char((unsigned char)line[q]))
        q++;
    /* the text follows the macro, in one allocation: headers define
     * thousands */
    struct macro *m = malloc(sizeof *m + len - p + 1);
    if (!m)
        return -1;
    *m = (struct macro){0};
    m->text = (char *)(m + 1);
    memcpy(m->text, line + p, len - p);
    m->text[len - p] = '\0';
    const char *t = m->text;
    size_t n = len - p, namelen = q - p, r = namelen;
    m->kind = M_OBJECT;
    int rc = 0;
    if (r < n && t[r] == '(') {
        m->kind = M_FUNCTION;
        size_t close = r + 1;
        while (close < n && t[close] != ')')
            close++;
        if (close >= n) {
            rc = 1;
            goto out;
        }
        if (lex_mtoks(t + r + 1, close - r - 1, &m->params, &m->nparams) != 0) {
            rc = -1;
            goto out;
        }
        /* NAME(a, b), NAME(a, ...), NAME(args...): keep the names only. */
        size_t k = 0;
        for (size_t i = 0; i < m->nparams && rc == 0; i++) {
            struct mtok *pt = &m->params[i];
            int last = i + 1 == m->nparams;
            if (pt->kind == TK_IDENT) {
                m->params[k++] = *pt;
                if (!last && m->params[i + 1].kind == TK_PUNCT &&
                    mtok_is(&m->params[i + 1], "...")) {
                    m->variadic = 1;
                    i++;
                    if (i + 1 != m->nparams)
                        rc = 1;
                } else if (!last && !mtok_is(&m->params[i + 1], ",")) {
                    rc = 1;
                } else {
                    i += !last;
                }
            } else if (mtok_is(pt, "...") && last) {
                m->params[k++] = (struct mtok){"__VA_ARGS__", 11, TK_IDENT, 0};
                m->variadic = 1;
            } else {
                rc = 1;
            }
        }
        m->nparams = k;
        r = close + 1;
    }
    m->body_at = r;
    m->body_len = n - r;
    if (rc == 0) {
        /* gcc rejects ## at either end; the body is only lexed now when its
         * text could end in one. */
        size_t b = skip_blanks(t, n, r), z = n;
        while (z > b && is_blank((unsigned char)t[z - 1]))
            z--;
        if (b < n) {
            struct mtok first = {t + b, 0, 0, 0};
            first.len = lex_one(t, n, b, &first.kind) - b;
            if (is_hashhash(&first))
                rc = 1;
        }
        if (rc == 0 && ((z - b >= 2 && memcmp(t + z - 2, "##", 2) == 0) ||
                        (z - b >= 4 && memcmp(t + z - 4, "%:%:", 4) == 0))) {
            if (macro_lex(m) != 0)
                rc = -1;
            else if (m->nbody && is_hashhash(&m->body[m->nbody - 1]))
                rc = 1;
        }
    }
    if (rc == 0) {
        struct pp_name *e = name_get(pp, t, namelen);
        if (!e || set_macro(pp, e, m) != 0)
            rc = -1;
    }
out:
    if (rc != 0) {
        free(m->params);
        free(m->body);
        free(m);
        return rc;
    }
    m->all_next = pp->all;
    pp->all = m;
    return 0;
}

/* The identifier a line starts with (after blanks); 0 when it does not. */
static size_t line_ident(const char *line, size_t len, size_t *start)
{
    size_t p = skip_blanks(line, len, 0), q = p;
    while (q < len && is_ident_char((unsigned char)line[q]))
        q++;
    *start = p;
    return q > p && !is_digit((unsigned char)line[p]) ? q - p : 0;
}

int dcc_pp_undef(struct dcc_pp *pp, const char *line, size_t len)
{
    size_t p, l = line_ident(line, len, &p);
    if (!l)
        return 1;
    struct pp_name *e = name_get(pp, line + p, l);
    if (!e || set_macro(pp, e, &pp->undefined) != 0)
        return -1;
    return 0;
}

int dcc_pp_forget(struct dcc_pp *pp, const char *name, size_t len)
{
    struct pp_name *e = name_get(pp, name, len);
    if (!e || set_macro(pp, e, &pp->unknown_opaque) != 0)
        return -1;
    return 0;
}

int dcc_pp_define_option(struct dcc_pp *pp, const char *arg)
{
    size_t len = strlen(arg);
    const char *eq = strchr(arg, '=');
    char *line = malloc(len + 3);
    if (!line)
        return -1;
    if (eq) {
        memcpy(line, arg, len + 1);
        line[eq - arg] = ' ';
    } else {
        memcpy(line, arg, len);
        memcpy(line + len, " 1", 3);
    }
    int rc = dcc_pp_define(pp, line, strlen(line));
    free(line);
    return rc;
}

int dcc_pp_define_lines(struct dcc_pp *pp, const char *text, size_t len)
{
    size_t p = 0;
    while (p < len) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (end - p > 8 && memcmp(text + p, "#define ", 8) == 0 &&
            dcc_pp_define(pp, text + p + 8, end - p - 8) < 0)
            return -1;
        p = end + 1;
    }
    return 0;
}

/* What `defined NAME` is. */
static enum dcc_pp_truth defined_state(const struct dcc_pp *pp, const char *s, size_t len)
{
    const struct pp_name *e = name_find(pp, s, len);
    const struct macro *m = e ? e->m : NULL;
    if (m)
        return m->kind == M_UNKNOWN ? DCC_PP_UNKNOWN
               : m->kind == M_UNDEF ? DCC_PP_FALSE
                                    : DCC_PP_TRUE;
    if (e && e->builtin && (e->builtin != B_CLANG_FUNC || pp->clang))
        return DCC_PP_TRUE;
    return pp->unknown_default ? DCC_PP_UNKNOWN : DCC_PP_FALSE;
}

enum dcc_pp_truth dcc_pp_ifdef(struct dcc_pp *pp, const char *line, size_t len)
{
    size_t p, l = line_ident(line, len, &p);
    return l ? defined_state(pp, line + p, l) : DCC_PP_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* expansion                                                           */

/* A list gcc would reject, or one deeper than this, is unknown. */
#define MAX_EXPANSION_DEPTH 200
#define MAX_TOKENS 200000

struct ctx {
    struct dcc_pp *pp;
    struct arena a;
    int in_if;      /* defined and __has_include are operators */
    int bad;        /* not a line gcc accepts, or beyond what we follow */
    int stop;       /* the callback gave up */
    int depth;      /* of nested expansions */
    size_t ntokens; /* made so far */
    dcc_pp_has_include_fn has;
    void *hctx;
};

static struct tok *new_tok(struct ctx *c, unsigned char kind, const char *s, size_t len)
{
    if (++c->ntokens > MAX_TOKENS) {
        c->bad = 1;
        return NULL;
    }
    struct tok *t = arena_alloc(&c->a, sizeof *t);
    if (t)
        *t = (struct tok){.s = s, .len = len, .kind = kind};
    return t;
}

static struct tok *copy_tok(struct ctx *c, const struct tok *from)
{
    struct tok *t = new_tok(c, from->kind, from->s, from->len);
    if (t) {
        *t = *from;
        t->next = NULL;
    }
    return t;
}

static struct tok *tokenize(struct ctx *c, const char *s, size_t n)
{
    struct tok head = {0}, *tail = &head;
    size_t p = 0;
    int space = 0;
    while (p < n) {
        if (is_blank((unsigned char)s[p])) {
            space = 1;
            p++;
            continue;
        }
        unsigned char kind;
        size_t end = lex_one(s, n, p, &kind);
        struct tok *t = new_tok(c, kind, s + p, end - p);
        if (!t)
            return NULL;
        t->space = (unsigned char)space;
        tail = tail->next = t;
        space = 0;
        p = end;
    }
    return head.next;
}

static int tok_is(const struct tok *t, const char *lit)
{
    return t && t->kind == TK_PUNCT && t->len == strlen(lit) && memcmp(t->s, lit, t->len) == 0;
}

static int hs_has(const struct hideset *hs, const struct pp_name *e)
{
    for (; hs; hs = hs->next)
        if (hs->name == e)
            return 1;
    return 0;
}

static struct hideset *hs_add(struct ctx *c, struct hideset *hs, const struct pp_name *e)
{
    if (hs_has(hs, e))
        return hs;
    struct hideset *n = arena_alloc(&c->a, sizeof *n);
    if (!n)
        return hs;
    n->next = hs;
    n->name = e;
    return n;
}

static struct hideset *hs_union(struct ctx *c, struct hideset *a, struct hideset *b)
{
    for (; b; b = b->next)
        a = hs_add(c, a, b->name);
    return a;
}

static struct hideset *hs_intersect(struct ctx *c, struct hideset *a, struct hideset *b)
{
    struct hideset *out = NULL;
    for (; a; a = a->next)
        if (hs_has(b, a->name))
            out = hs_add(c, out, a->name);
    return out;
}

/* A macro argument: its tokens, and (made on first use) their expansion. */
struct arg {
    struct tok *raw, *expanded;
    int done;
};

static struct tok *expand(struct ctx *c, struct tok *in);

/* The tokens after "(" up to the matching ")": *close is the ")" or NULL. */
static struct tok *take_parens(struct tok *open, struct tok **close)
{
    int level = 0;
    for (struct tok *t = open->next; t; t = t->next) {
        if (tok_is(t, "("))
            level++;
        else if (tok_is(t, ")") && level-- == 0) {
            *close = t;
            return open->next == t ? NULL : open->next;
        }
    }
    *close = NULL;
    return NULL;
}

/* Copies the tokens from first up to (not including) stop. */
static struct tok *copy_range(struct ctx *c, struct tok *first, struct tok *stop)
{
    struct tok head = {0}, *tail = &head;
    for (struct tok *t = first; t && t != stop; t = t->next) {
        struct tok *n = copy_tok(c, t);
        if (!n)
            return NULL;
        tail = tail->next = n;
    }
    return head.next;
}

/* Reads the arguments of a call whose "(" is open. NULL args with
 * c->bad when they do not match the macro. Sets *close to the ")". */
static struct arg *read_args(struct ctx *c, const struct macro *m, struct tok *open,
                             struct tok **close)
{
    size_t n = m->nparams ? m->nparams : 1;
    struct arg *args = arena_alloc(&c->a, n * sizeof *args);
    if (!args)
        return NULL;
    memset(args, 0, n * sizeof *args);
    size_t k = 0;
    int level = 0;
    struct tok *start = open->next;
    for (struct tok *t = open->next;; t = t->next) {
        if (!t) {
            c->bad = 1; /* the call does not end on this line */
            return NULL;
        }
        int end = tok_is(t, ")") && level == 0;
        int comma = tok_is(t, ",") && level == 0 && !(m->variadic && k + 1 >= n);
        if (end || comma) {
            if (k >= n) {
                c->bad = 1;
                return NULL;
            }
            args[k].raw = copy_range(c, start, t);
            if (c->a.nomem || c->bad)
                return NULL;
            k++;
            start = t->next;
            if (end) {
                *close = t;
                break;
            }
            continue;
        }
        if (tok_is(t, "("))
            level++;
        else if (tok_is(t, ")"))
            level--;
    }
    /* NAME() for a macro of no parameters; a variadic call may leave out "...". */
    if (k != n && !(m->variadic && k + 1 == n) && !(m->nparams == 0 && k == 1 && !args[0].raw)) {
        c->bad = 1;
        return NULL;
    }
    return args;
}

static long param_index(const struct macro *m, const char *s, size_t len)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].len == len && memcmp(m->params[i].s, s, len) == 0)
            return (long)i;
    return -1;
}

/* The string literal #arg makes. */
static struct tok *stringize(struct ctx *c, const struct tok *arg)
{
    size_t len = 2;
    for (const struct tok *t = arg; t; t = t->next)
        len += 2 * t->len + 1;
    char *s = arena_alloc(&c->a, len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    s[o++] = '"';
    for (const struct tok *t = arg; t; t = t->next) {
        if (t != arg && t->space)
            s[o++] = ' ';
        int quoted = t->kind == TK_STRING || t->kind == TK_CHAR;
        for (size_t i = 0; i < t->len; i++) {
            if (quoted && (t->s[i] == '"' || t->s[i] == '\\'))
                s[o++] = '\\';
            s[o++] = t->s[i];
        }
    }
    s[o++] = '"';
    return new_tok(c, TK_STRING, s, o);
}

/* Appends a copy of list to *tail; an empty list appends a placemarker
 * when marker is set. Returns the new tail, NULL on failure. */
static struct tok *append_copy(struct ctx *c, struct tok *tail, const struct tok *list, int marker,
                               int va)
{
    if (!list && marker) {
        struct tok *pm = new_tok(c, TK_PLACEMARKER, "", 0);
        if (!pm)
            return NULL;
        pm->va = (unsigned char)va;
        return tail->next = pm;
    }
    for (const struct tok *t = list; t; t = t->next) {
        struct tok *n = copy_tok(c, t);
        if (!n)
            return NULL;
        tail = tail->next = n;
    }
    return tail;
}

/* a ## b: one token, or c->bad. */
static struct tok *paste(struct ctx *c, const struct tok *a, const struct tok *b)
{
    if (a->kind == TK_PLACEMARKER)
        return copy_tok(c, b);
    if (b->kind == TK_PLACEMARKER)
        return copy_tok(c, a);
    char *s = arena_alloc(&c->a, a->len + b->len + 1);
    if (!s)
        return NULL;
    memcpy(s, a->s, a->len);
    memcpy(s + a->len, b->s, b->len);
    unsigned char kind;
    size_t n = a->len + b->len;
    if (n == 0 || is_blank((unsigned char)s[0]) || lex_one(s, n, 0, &kind) != n) {
        c->bad = 1;
        return NULL;
    }
    struct tok *t = new_tok(c, kind, s, n);
    if (t) {
        t->space = a->space;
        t->hs = a->hs;
    }
    return t;
}

/* The body of m with its arguments in place, # and ## done. */
static struct tok *substitute(struct ctx *c, const struct macro *m, struct arg *args, size_t lo,
                              size_t hi, struct tok *tail)
{
    const struct mtok *b = m->body;
    for (size_t i = lo; i < hi && tail; i++) {
        long pi;
        if (m->kind == M_FUNCTION && is_hash(&b[i]) && i + 1 < hi && b[i + 1].kind == TK_IDENT &&
            (pi = param_index(m, b[i + 1].s, b[i + 1].len)) >= 0) {
            struct tok *s = stringize(c, args[pi].raw);
            if (!s)
                return NULL;
            s->space = b[i].space;
            tail = tail->next = s;
            i++;
            continue;
        }
        if (is_hashhash(&b[i])) {
            struct tok *t = new_tok(c, TK_PASTE, "##", 2);
            if (!t)
                return NULL;
            tail = tail->next = t;
            continue;
        }
        if (b[i].kind == TK_IDENT && m->variadic && mtok_is(&b[i], "__VA_OPT__") && i + 1 < hi &&
            mtok_is(&b[i + 1], "(")) {
            size_t j = i + 2;
            int level = 0;
            for (; j < hi; j++) {
                if (mtok_is(&b[j], "("))
                    level++;
                else if (mtok_is(&b[j], ")") && level-- == 0)
                    break;
            }
            if (j >= hi) {
                c->bad = 1;
                return NULL;
            }
            if (args[m->nparams - 1].raw)
                tail = substitute(c, m, args, i + 2, j, tail);
            else
                tail = append_copy(c, tail, NULL, 1, 0);
            i = j;
            continue;
        }
        if (b[i].kind == TK_IDENT && m->kind == M_FUNCTION &&
            (pi = param_index(m, b[i].s, b[i].len)) >= 0) {
            int pasted = (i > lo && is_hashhash(&b[i - 1])) ||
                         (i + 1 < hi && is_hashhash(&b[i + 1]));
            struct arg *a = &args[pi];
            struct tok *first_new = NULL, *before = tail;
            if (pasted) {
                int va = m->variadic && (size_t)pi == m->nparams - 1;
                tail = append_copy(c, tail, a->raw, 1, va);
            } else {
                if (!a->done) {
                    struct tok *copy = copy_range(c, a->raw, NULL);
                    if (c->a.nomem || c->bad)
                        return NULL;
                    a->expanded = expand(c, copy);
                    a->done = 1;
                    if (c->a.nomem || c->bad || c->stop)
                        return NULL;
                }
                tail = append_copy(c, tail, a->expanded, 0, 0);
            }
            first_new = before ? before->next : NULL;
            if (tail && first_new && tail != before)
                first_new->space = b[i].space;
            continue;
        }
        struct tok *t = new_tok(c, b[i].kind, b[i].s, b[i].len);
        if (!t)
            return NULL;
        t->space = b[i].space;
        tail = tail->next = t;
    }
    return tail;
}

/* Performs the ## of a substituted body and drops its placemarkers. */
static struct tok *do_pastes(struct ctx *c, struct tok *list)
{
    struct tok head = {0}, *tail = &head;
    for (struct tok *t = list; t; t = t->next) {
        if (t->kind != TK_PASTE) {
            tail = tail->next = t;
            continue;
        }
        struct tok *right = t->next;
        if (tail == &head || !right || right->kind == TK_PASTE) {
            c->bad = 1;
            return NULL;
        }
        /* GNU: ", ## __VA_ARGS__" drops the comma when there are no arguments. */
        if (right->kind == TK_PLACEMARKER && right->va && tok_is(tail, ",")) {
            tail->kind = TK_PLACEMARKER;
            t = right;
            continue;
        }
        struct tok *joined = paste(c, tail, right);
        if (!joined)
            return NULL;
        /* relink: the previous tail becomes the joined token */
        *tail = *joined;
        tail->next = NULL;
        t = right;
    }
    tail->next = NULL;
    struct tok out = {0}, *o = &out;
    for (struct tok *t = head.next; t; t = t->next)
        if (t->kind != TK_PLACEMARKER)
            o = o->next = t;
    o->next = NULL;
    return out.next;
}

/* Asks about one __has_include(...) whose name is at open->next. Returns
 * the token that stands for it, and sets *after to what follows. */
static struct tok *has_include(struct ctx *c, struct tok *name_tok, int next, struct tok **after)
{
    struct tok *open = name_tok->next, *close = NULL;
    if (!tok_is(open, "(")) {
        c->bad = 1;
        return NULL;
    }
    struct tok *inner = take_parens(open, &close);
    if (!close) {
        c->bad = 1;
        return NULL;
    }
    *after = close->next;
    /* "name" and <name> are taken as written; anything else is expanded first. */
    struct tok *arg = copy_range(c, inner, close);
    if (c->a.nomem || c->bad)
        return NULL;
    if (arg && !(arg->kind == TK_STRING || tok_is(arg, "<"))) {
        int in_if = c->in_if;
        c->in_if = 0;
        arg = expand(c, arg);
        c->in_if = in_if;
        if (c->a.nomem || c->bad || c->stop)
            return NULL;
    }
    char *name = NULL;
    size_t len = 0;
    int angle = 0;
    if (arg && arg->kind == TK_STRING && arg->s[0] == '"' && arg->len >= 2 && !arg->next) {
        name = (char *)arg->s + 1;
        len = arg->len - 2;
    } else if (arg && tok_is(arg, "<")) {
        size_t cap = 1;
        for (struct tok *t = arg->next; t; t = t->next)
            cap += t->len + 1;
        name = arena_alloc(&c->a, cap);
        if (!name)
            return NULL;
        struct tok *t = arg->next;
        for (; t && !tok_is(t, ">"); t = t->next) {
            if (t->space && len)
                name[len++] = ' ';
            memcpy(name + len, t->s, t->len);
            len += t->len;
        }
        if (!t || t->next) {
            name = NULL;
            len = 0;
        }
        angle = 1;
    }
    int r = c->has(c->hctx, name, len, angle, next);
    if (r < 0) {
        c->a.nomem = 1;
        return NULL;
    }
    if (r == DCC_PP_STOP) {
        c->stop = 1;
        return NULL;
    }
    struct tok *v = new_tok(c, r == DCC_PP_UNKNOWN ? TK_UNKNOWN : TK_VALUE, "", 0);
    if (v)
        v->v = r == DCC_PP_TRUE;
    return v;
}

/* Swallows "( ... )" after an unknown function-like name, still asking
 * about the __has_include inside. Returns what follows. */
static struct tok *swallow_call(struct ctx *c, struct tok *name_tok)
{
    struct tok *close = NULL;
    if (!tok_is(name_tok->next, "("))
        return name_tok->next;
    take_parens(name_tok->next, &close);
    if (!close) {
        c->bad = 1;
        return NULL;
    }
    for (struct tok *t = name_tok->next; t != close; t = t->next) {
        if (t->kind != TK_IDENT)
            continue;
        const struct pp_name *e = name_find(c->pp, t->s, t->len);
        if (e && !e->m && (e->builtin == B_HAS_INCLUDE || e->builtin == B_HAS_INCLUDE_NEXT)) {
            struct tok *after;
            if (!has_include(c, t, e->builtin == B_HAS_INCLUDE_NEXT, &after))
                return NULL;
        }
    }
    return close->next;
}

/* The expansion of a token list (consumed). NULL with c->bad, c->stop or
 * c->a.nomem set on failure; NULL alone is the empty list. */
static struct tok *expand(struct ctx *c, struct tok *in)
{
    if (++c->depth > MAX_EXPANSION_DEPTH) {
        c->bad = 1;
        return NULL;
    }
    struct tok head = {0}, *tail = &head;
    struct tok *t = in;
    while (t && !c->bad && !c->stop && !c->a.nomem) {
        if (t->kind != TK_IDENT) {
            tail = tail->next = t;
            t = t->next;
            tail->next = NULL;
            continue;
        }
        struct dcc_pp *pp = c->pp;
        if (c->in_if && t->len == 7 && memcmp(t->s, "defined", 7) == 0) {
            struct tok *n = t->next;
            int paren = tok_is(n, "(");
            if (paren)
                n = n->next;
            if (!n || n->kind != TK_IDENT || (paren && !tok_is(n->next, ")"))) {
                c->bad = 1;
                break;
            }
            enum dcc_pp_truth d = defined_state(pp, n->s, n->len);
            struct tok *v = new_tok(c, d == DCC_PP_UNKNOWN ? TK_UNKNOWN : TK_VALUE, "", 0);
            if (!v)
                break;
            v->v = d == DCC_PP_TRUE;
            v->space = t->space;
            tail = tail->next = v;
            t = paren ? n->next->next : n->next;
            continue;
        }
        struct pp_name *e = name_find(pp, t->s, t->len);
        struct macro *m = e ? e->m : NULL;
        if (e && hs_has(t->hs, e)) {
            tail = tail->next = t;
            t = t->next;
            tail->next = NULL;
            continue;
        }
        if (!m && e && e->builtin && (e->builtin != B_CLANG_FUNC || pp->clang)) {
            if (e->builtin == B_HAS_INCLUDE || e->builtin == B_HAS_INCLUDE_NEXT) {
                struct tok *after = NULL, *v;
                if (!c->in_if) {
                    c->bad = 1; /* gcc: only in #if */
                    break;
                }
                if (!(v = has_include(c, t, e->builtin == B_HAS_INCLUDE_NEXT, &after)))
                    break;
                tail = tail->next = v;
                t = after;
                continue;
            }
            struct tok *u = new_tok(c, TK_UNKNOWN, "", 0);
            if (!u)
                break;
            tail = tail->next = u;
            t = e->builtin == B_UNKNOWN_OBJ ? t->next : swallow_call(c, t);
            continue;
        }
        if ((!m && pp->unknown_default) || (m && m->kind == M_UNKNOWN)) {
            int atomic = !m || m->atomic;
            struct tok *u = new_tok(c, atomic ? TK_UNKNOWN : TK_OPAQUE, "", 0);
            if (!u)
                break;
            u->space = t->space;
            tail = tail->next = u;
            t = atomic ? t->next : swallow_call(c, t);
            continue;
        }
        if (!m || m->kind == M_UNDEF || (m->kind == M_FUNCTION && !tok_is(t->next, "("))) {
            tail = tail->next = t;
            t = t->next;
            tail->next = NULL;
            continue;
        }
        struct tok *rest, body = {0}, *btail = &body;
        struct hideset *hs;
        if (macro_lex(m) != 0) {
            c->a.nomem = 1;
            break;
        }
        if (m->kind == M_OBJECT) {
            hs = hs_add(c, t->hs, e);
            btail = substitute(c, m, NULL, 0, m->nbody, btail);
            rest = t->next;
        } else {
            struct tok *close = NULL;
            struct arg *args = read_args(c, m, t->next, &close);
            if (!args)
                break;
            hs = hs_add(c, hs_intersect(c, t->hs, close->hs), e);
            btail = substitute(c, m, args, 0, m->nbody, btail);
            rest = close->next;
        }
        if (!btail)
            break;
        struct tok *list = do_pastes(c, body.next);
        if (c->bad || c->a.nomem)
            break;
        for (struct tok *b = list; b; b = b->next)
            b->hs = hs_union(c, b->hs, hs);
        if (list) {
            list->space = t->space;
            struct tok *last = list;
            while (last->next)
                last = last->next;
            last->next = rest;
            t = list;
        } else {
            t = rest;
        }
    }
    c->depth--;
    return head.next;
}

/* ------------------------------------------------------------------ */
/* #if arithmetic                                                      */

struct val {
    uint64_t v;
    int uns;   /* uintmax_t, else intmax_t */
    int known; /* else the value is unknown */
};

struct eval {
    struct ctx *c;
    struct tok *t;
    int cxx;    /* true and false are 1 and 0 */
    int uchar;  /* plain char is unsigned */
    int opaque; /* an unknown that may not be a number: the line is unknown */
};

static struct val expr_comma(struct eval *ev, int live);

static struct val known(uint64_t v, int uns)
{
    return (struct val){v, uns, 1};
}

static const struct val unknown_val = {0, 0, 0};

static int next_is(struct eval *ev, const char *op)
{
    if (tok_is(ev->t, op)) {
        ev->t = ev->t->next;
        return 1;
    }
    return 0;
}

static int digit_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return 99;
}

static struct val number(struct eval *ev, const struct tok *t)
{
    const char *s = t->s;
    size_t n = t->len, i = 0;
    unsigned base = 10;
    if (n > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n > 1 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        i = 2;
    } else if (s[0] == '0') {
        base = 8;
    }
    uint64_t v = 0;
    int overflow = 0, digits = 0;
    for (; i < n; i++) {
        if (s[i] == '\'')
            continue;
        int d = digit_value(s[i]);
        if (d >= (int)base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            overflow = 1;
        v = v * base + (uint64_t)d;
        digits++;
    }
    /* The suffix: u, l, ll, z in any order gcc takes; anything else (a
     * float, an 8 in octal) is an error. */
    int uns = 0, longs = 0, z = 0;
    for (; i < n; i++) {
        char ch = s[i];
        if ((ch == 'u' || ch == 'U') && !uns)
            uns = 1;
        else if ((ch == 'l' || ch == 'L') && longs == 0) {
            longs = 1;
            if (i + 1 < n && s[i + 1] == ch) {
                longs = 2;
                i++;
            }
        } else if ((ch == 'z' || ch == 'Z') && !z && ev->cxx)
            z = 1;
        else
            break;
    }
    if (i != n || overflow || (digits == 0 && base != 8)) {
        ev->c->bad = 1;
        return unknown_val;
    }
    if (v > (uint64_t)INTMAX_MAX)
        uns = 1; /* gcc: "so large that it is unsigned" */
    return known(v, uns);
}

/* A character constant: 'a', '\n', '\x41', L'x' ... Anything that is not
 * one plain character or escape per char is left unknown. */
static struct val char_const(struct eval *ev, const struct tok *t)
{
    const char *s = t->s, *end = t->s + t->len;
    int plain = s[0] == '\'';
    while (s < end && *s != '\'')
        s++;
    if (end - s < 3 || end[-1] != '\'')
        return unknown_val;
    s++;
    end--;
    uint64_t result = 0;
    int count = 0;
    while (s < end) {
        unsigned long c = (unsigned char)*s++;
        if (c >= 0x80)
            return unknown_val; /* UTF-8: the value depends on the charset */
        if (c == '\\') {
            if (s >= end)
                return unknown_val;
            char e = *s++;
            const char *simple = strchr("n\nt\tr\rv\va\ab\bf\fe\033\\\\''\"\"??", e);
            if (e == 'x') {
                c = 0;
                int nd = 0;
                while (s < end && digit_value(*s) < 16) {
                    c = c * 16 + (unsigned long)digit_value(*s++);
                    if (++nd > 8)
                        return unknown_val;
                }
                if (!nd)
                    return unknown_val;
            } else if (e >= '0' && e <= '7') {
                c = (unsigned long)(e - '0');
                for (int k = 0; k < 2 && s < end && *s >= '0' && *s <= '7'; k++)
                    c = c * 8 + (unsigned long)(*s++ - '0');
            } else if (simple && e &&
                       ((simple - "n\nt\tr\rv\va\ab\bf\fe\033\\\\''\"\"??") % 2) == 0) {
                c = (unsigned char)simple[1];
            } else {
                return unknown_val;
            }
        }
        if (!plain)
            return count == 0 && s == end ? known(c, 0) : unknown_val;
        result = (result << 8) | (c & 0xff);
        count++;
    }
    if (count == 1) {
        if (!ev->uchar && (result & 0x80))
            result |= ~(uint64_t)0xff;
        return known(result, 0);
    }
    if (count > 4)
        return unknown_val;
    /* A multi-character constant is an int. */
    return known((uint64_t)(int64_t)(int32_t)(uint32_t)result, 0);
}

static struct val primary(struct eval *ev, int live)
{
    struct tok *t = ev->t;
    if (!t) {
        ev->c->bad = 1;
        return unknown_val;
    }
    ev->t = t->next;
    switch (t->kind) {
    case TK_NUMBER:
        return number(ev, t);
    case TK_CHAR:
        return char_const(ev, t);
    case TK_VALUE:
        return known(t->v, 0);
    case TK_UNKNOWN:
        return unknown_val;
    case TK_OPAQUE:
        ev->opaque = 1;
        return unknown_val;
    case TK_IDENT:
        if (ev->cxx && t->len == 4 && memcmp(t->s, "true", 4) == 0)
            return known(1, 0);
        return known(0, 0); /* false, and every name left after expansion */
    default:
        break;
    }
    if (tok_is(t, "(")) {
        struct val v = expr_comma(ev, live);
        if (!next_is(ev, ")"))
            ev->c->bad = 1;
        return v;
    }
    if (tok_is(t, "+") || tok_is(t, "-") || tok_is(t, "~") || tok_is(t, "!")) {
        struct val v = primary(ev, live);
        if (!v.known)
            return v;
        if (tok_is(t, "-"))
            v.v = 0 - v.v;
        else if (tok_is(t, "~"))
            v.v = ~v.v;
        else if (tok_is(t, "!"))
            v = known(v.v == 0, 0);
        return v;
    }
    ev->c->bad = 1;
    return unknown_val;
}

/* Binary operators by precedence, loosest first (?: and , apart). */
static const char *const levels[][5] = {
    {"||"},       {"&&"},     {"|"},           {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="},
    {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"},
};
#define NLEVELS (sizeof levels / sizeof *levels)

static int64_t as_signed(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

static struct val binary(struct eval *ev, const char *op, struct val a, struct val b, int live)
{
    if (strcmp(op, "&&") == 0) {
        if ((a.known && !a.v) || (b.known && !b.v))
            return known(0, 0);
        return a.known && b.known ? known(1, 0) : unknown_val;
    }
    if (strcmp(op, "||") == 0) {
        if ((a.known && a.v) || (b.known && b.v))
            return known(1, 0);
        return a.known && b.known ? known(0, 0) : unknown_val;
    }
    if (!a.known || !b.known)
        return unknown_val;
    int shift = op[0] == '<' && op[1] == '<' ? 1 : op[0] == '>' && op[1] == '>' ? -1 : 0;
    int uns = shift ? a.uns : a.uns || b.uns;
    uint64_t x = a.v, y = b.v;
    if (shift) {
        /* A negative count shifts the other way, as gcc does. */
        if (!b.uns && as_signed(y) < 0) {
            shift = -shift;
            y = 0 - y;
        }
        if (shift > 0)
            return known(y >= 64 ? 0 : x << y, uns);
        if (uns || as_signed(x) >= 0)
            return known(y >= 64 ? 0 : x >> y, uns);
        return known(y >= 64 ? UINT64_MAX : ~(~x >> y), uns);
    }
    switch (op[0]) {
    case '+':
        return known(x + y, uns);
    case '-':
        return known(x - y, uns);
    case '*':
        return known(x * y, uns);
    case '/':
    case '%':
        if (y == 0) {
            if (live)
                ev->c->bad = 1; /* gcc: division by zero in #if */
            return known(0, uns);
        }
        if (uns)
            return known(op[0] == '/' ? x / y : x % y, 1);
        if (as_signed(x) == INT64_MIN && as_signed(y) == -1)
            return known(op[0] == '/' ? x : 0, 0);
        return known(
            (uint64_t)(op[0] == '/' ? as_signed(x) / as_signed(y) : as_signed(x) % as_signed(y)),
            0);
    case '|':
        return known(x | y, uns);
    case '^':
        return known(x ^ y, uns);
    case '&':
        return known(x & y, uns);
    default:
        break;
    }
    int lt = uns ? x < y : as_signed(x) < as_signed(y);
    int gt = uns ? x > y : as_signed(x) > as_signed(y);
    if (strcmp(op, "==") == 0)
        return known(x == y, 0);
    if (strcmp(op, "!=") == 0)
        return known(x != y, 0);
    if (strcmp(op, "<") == 0)
        return known((uint64_t)lt, 0);
    if (strcmp(op, ">") == 0)
        return known((uint64_t)gt, 0);
    if (strcmp(op, "<=") == 0)
        return known((uint64_t)!gt, 0);
    return known((uint64_t)!lt, 0);
}

static struct val expr_level(struct eval *ev, size_t level, int live)
{
    if (level == NLEVELS)
        return primary(ev, live);
    struct val a = expr_level(ev, level + 1, live);
    for (;;) {
        const char *op = NULL;
        for (size_t k = 0; k < 5 && levels[level][k]; k++)
            if (tok_is(ev->t, levels[level][k]))
                op = levels[level][k];
        if (!op || ev->c->bad)
            return a;
        ev->t = ev->t->next;
        /* The right of && after a false left, of || after a true one, is not evaluated. */
        int rlive = live;
        if (strcmp(op, "&&") == 0 && a.known && !a.v)
            rlive = 0;
        if (strcmp(op, "||") == 0 && a.known && a.v)
            rlive = 0;
        struct val b = expr_level(ev, level + 1, rlive);
        a = binary(ev, op, a, b, rlive);
    }
}

static struct val expr_cond(struct eval *ev, int live)
{
    struct val cond = expr_level(ev, 0, live);
    if (!next_is(ev, "?"))
        return cond;
    struct val a = expr_comma(ev, live && (!cond.known || cond.v));
    if (!next_is(ev, ":")) {
        ev->c->bad = 1;
        return unknown_val;
    }
    struct val b = expr_cond(ev, live && (!cond.known || !cond.v));
    int uns = a.uns || b.uns;
    if (cond.known)
        return cond.v ? (struct val){a.v, uns, a.known} : (struct val){b.v, uns, b.known};
    if (a.known && b.known && a.v == b.v)
        return known(a.v, uns);
    return unknown_val;
}

static struct val expr_comma(struct eval *ev, int live)
{
    struct val v = expr_cond(ev, live);
    while (!ev->c->bad && next_is(ev, ","))
        v = expr_cond(ev, live);
    return v;
}

static int defined_true(struct dcc_pp *pp, const char *name)
{
    return defined_state(pp, name, strlen(name)) == DCC_PP_TRUE;
}

/* Most lines need one block: it is kept from one evaluation to the next. */
static void arena_take(struct dcc_pp *pp, struct arena *a)
{
    a->head = pp->spare;
    if (a->head)
        a->head->used = 0;
    pp->spare = NULL;
}

static void arena_give_back(struct dcc_pp *pp, struct arena *a)
{
    struct arena_block **last = &a->head;
    while (*last && (*last)->next)
        last = &(*last)->next;
    if (*last && (*last)->cap == 8192) {
        pp->spare = *last;
        *last = NULL;
    }
    arena_free(a);
}

int dcc_pp_eval(struct dcc_pp *pp, const char *line, size_t len, dcc_pp_has_include_fn has,
                void *ctx)
{
    struct ctx c = {.pp = pp, .in_if = 1, .has = has, .hctx = ctx};
    arena_take(pp, &c.a);
    struct tok *list = tokenize(&c, line, len);
    if (!c.a.nomem && !c.bad)
        list = expand(&c, list);
    int rc;
    if (c.a.nomem) {
        rc = -1;
    } else if (c.stop) {
        rc = DCC_PP_STOP;
    } else if (c.bad || !list) {
        rc = DCC_PP_UNKNOWN;
    } else {
        struct eval ev = {&c, list, defined_true(pp, "__cplusplus"),
                          defined_true(pp, "__CHAR_UNSIGNED__"), 0};
        struct val v = expr_comma(&ev, 1);
        if (ev.t)
            c.bad = 1;
        rc = c.bad || ev.opaque || !v.known ? DCC_PP_UNKNOWN : v.v ? DCC_PP_TRUE : DCC_PP_FALSE;
    }
    arena_give_back(pp, &c.a);
    return rc;
}

int dcc_pp_include_name(struct dcc_pp *pp, const char *line, size_t len, char **name,
                        size_t *namelen, int *angle)
{
    *name = NULL;
    *namelen = 0;
    *angle = 0;
    struct ctx c = {.pp = pp};
    arena_take(pp, &c.a);
    struct tok *list = tokenize(&c, line, len);
    if (!c.a.nomem && !c.bad)
        list = expand(&c, list);
    int rc = DCC_PP_UNKNOWN;
    const char *s = NULL;
    size_t n = 0;
    struct dcc_buf_lite {
        char *p;
        size_t n;
    } joined = {0};
    if (c.a.nomem) {
        rc = -1;
    } else if (!c.bad && list && list->kind == TK_STRING && list->s[0] == '"' && list->len >= 2) {
        /* gcc ignores what follows the name (with a warning) */
        s = list->s + 1;
        n = list->len - 2;
        rc = DCC_PP_TRUE;
    } else if (!c.bad && tok_is(list, "<")) {
        size_t cap = 1;
        for (struct tok *t = list->next; t; t = t->next)
            cap += t->len + 1;
        joined.p = arena_alloc(&c.a, cap);
        struct tok *t = list->next;
        for (; joined.p && t && !tok_is(t, ">"); t = t->next) {
            if (t->kind != TK_IDENT && t->kind != TK_NUMBER && t->kind != TK_PUNCT)
                break;
            if (t->space && joined.n)
                joined.p[joined.n++] = ' ';
            memcpy(joined.p + joined.n, t->s, t->len);
            joined.n += t->len;
        }
        if (!joined.p)
            rc = -1;
        else if (tok_is(t, ">")) {
            s = joined.p;
            n = joined.n;
            *angle = 1;
            rc = DCC_PP_TRUE;
        }
    }
    if (rc == DCC_PP_TRUE) {
        *name = malloc(n + 1);
        if (!*name) {
            rc = -1;
        } else {
            memcpy(*name, s, n);
            (*name)[n] = '\0';
            *namelen = n;
        }
    }
    arena_give_back(pp, &c.a);
    return rc;
}
