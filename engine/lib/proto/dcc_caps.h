/* What one of our helpers can do beyond stock distcc 3.4: the CAPS question
 * and its JSON answer, and the feature bits a request carries in DIST. */
#ifndef DCC_CAPS_H
#define DCC_CAPS_H

#if DCC_WITH_JSON
#include <jansson.h>
#else
typedef struct json_t json_t; /* built without jansson: CAPS is off */
#endif
#include <stddef.h>
#include <stdint.h>

/* The question: "CAPS <length>" and a JSON object of that many bytes
 * ({"caps":1}), instead of DIST, on the job port. Our distccd answers
 * "CAPS <length>" and a JSON document of that many bytes, then closes.
 * Stock distccd reads a token that is not DIST, logs a protocol error,
 * reads what follows to show it, and closes: that closed connection is how
 * a client knows a stock helper. (The body matters: with nothing after the
 * header, stock waits for it until its I/O timeout.) */
#define DCC_CAPS_VERSION 1u
#define DCC_CAPS_MAX_QUESTION 4096u /* longest question a distccd reads */
#define DCC_CAPS_MAX_BODY 65536u    /* longest answer a client reads */

/* Features a request may use with a helper that offers them. A request of
 * protocol P that uses features F sends DIST with the value P | F << 8; only
 * helpers that listed F in their CAPS answer ever see such a value, so stock
 * helpers never do. */
#define DCC_FEAT_ZSTD (1u << 0)       /* bulk bodies as zstd frames instead of LZO */
#define DCC_FEAT_HCACHE (1u << 1)     /* protocol 3 files named by digest, sent when missing */
#define DCC_FEAT_DIRECTIVES (1u << 2) /* DOTI is gcc -E -fdirectives-only output */
#define DCC_FEAT_ALL (DCC_FEAT_ZSTD | DCC_FEAT_HCACHE | DCC_FEAT_DIRECTIVES)
/* Features of the CAPS exchange itself, named in "features" but never sent
 * in DIST (outside DCC_FEAT_ALL, so a DIST value with them is refused). */
#define DCC_FEAT_LOAD (1u << 3) /* answers {"caps":1,"load":true} with how busy it is */

/* The DIST value for protocol protover (1-3) with features. */
uint32_t dcc_caps_dist_value(uint32_t protover, unsigned features);
/* Splits a DIST value; 0, or -1 when a feature bit is unknown or the
 * protocol byte is not 1-3. */
int dcc_caps_dist_split(uint32_t value, uint32_t *protover, unsigned *features);

/* The feature's name in the CAPS document ("zstd", "hcache", "directives"); NULL for a
 * value that is not exactly one known bit. */
const char *dcc_caps_feature_name(unsigned feature);
/* "zstd hcache" for a mask (empty for 0). */
void dcc_caps_feature_list(unsigned features, char *buf, size_t len);

/* The answer as a helper of ours gives it:
 *   {"caps":1, "server":"<--version's first line>", "protocols":[1,2,3],
 *    "features":["zstd",...], "jobs":N, ...}
 * Further members (the toolchain, how busy it is) may be added by the
 * daemon; a client ignores members it does not know. */
struct dcc_caps {
    unsigned caps_version;
    char server[128];
    unsigned protocols; /* bit n: protocol n */
    unsigned features;  /* DCC_FEAT_*, unknown names ignored */
    int jobs;           /* the helper's --jobs, 0 when not said */
};

/* The question's body; NULL when out of memory (free it). */
char *dcc_caps_question(void);

/* How busy a helper is, the answer to the load question
 * {"caps":1,"load":true}: {"caps":1,"load":{"jobs":J,"running":R,
 * "waiting":W,"others":O}}, from the helper's own bookkeeping when the
 * connection was accepted. others: job connections from other addresses
 * than the asker's (being read, waiting for a slot or compiling), so a
 * client can tell other machines' jobs from its own. */
#define DCC_CAPS_LOAD_MAX 1000000 /* a count beyond this is nonsense */
struct dcc_caps_load {
    int jobs;    /* its --jobs */
    int running; /* slots in use */
    int waiting; /* jobs waiting for a slot */
    int others;  /* job connections from other addresses */
};

/* The load question's body; NULL when out of memory (free it). */
char *dcc_caps_load_question(void);
/* Whether a question asks for the load: 1 when q has "load": true. */
int dcc_caps_asks_load(const json_t *q);
/* The load answer; NULL when out of memory. */
json_t *dcc_caps_load_build(const struct dcc_caps_load *l);
/* Reads the "load" member of an answer. 0, or -1 with err when it is
 * missing, not an object, or a count is missing, not a whole number or
 * outside 0..DCC_CAPS_LOAD_MAX, or jobs is 0. */
int dcc_caps_load_parse(const json_t *doc, struct dcc_caps_load *l, char *err, size_t errlen);

/* A new document with the members of c (features and protocols from the
 * masks); NULL when out of memory. */
json_t *dcc_caps_build(const struct dcc_caps *c);
/* Reads the members of c from doc. 0, or -1 with err when doc is not an
 * object, "caps" is missing or a member has the wrong type. */
int dcc_caps_parse(const json_t *doc, struct dcc_caps *c, char *err, size_t errlen);

#endif
