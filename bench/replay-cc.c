/* bench/scale.sh's replay compiler: a helper's "gcc" that reads the job's
 * input like a compiler, waits as long as the real compile of that unit took
 * and writes the object the real local build produced.
 *
 *   replay-cc --pack OUT LIST   writes OUT: this program with the recorded
 *                               compiles appended; LIST has one line per
 *                               compile, "MILLISECONDS<TAB>SOURCE<TAB>OBJECT"
 *                               (SOURCE an absolute path without . or ..)
 *   OUT ... -c INPUT [-o OBJ]   replays the compile of INPUT
 *   OUT anything else           runs the real gcc (REPLAY_REAL_CC, /usr/bin/gcc)
 *
 * The recordings live inside the program file because the daemon's sandbox
 * lets a job read its compiler but nothing else of the toolchain directory.
 *
 * A job names its unit differently per mode, so the lookup takes the source
 * path from what the helper sees: in plain mode a preprocessed file with a
 * temporary name, whose first line marker names the source as the client
 * spelled it and (with -g) the next ones the client's working directory; in
 * pump mode the original source under the job's root, the working directory
 * being the client's one under that root. Either path is made absolute and
 * normalised, and a recording whose SOURCE is that path, or a '/'-bounded
 * tail of it (the job root in front), or ends with it (a relative name with
 * no directory marker, when only one does), is the unit.
 *
 * REPLAY_CC_VERBOSE=1 prints "replay-cc: SOURCE MS ms BYTES bytes" on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "REPLAYDB"
#define MAX_ENTRIES 100000u
#define MAX_KEY 4096u

/* The trailer at the very end of a packed program. */
struct trailer {
    char magic[8];
    uint64_t index_off; /* where the entries start */
    uint64_t count;
};

/* One entry of the index, followed by keylen bytes of SOURCE. */
struct entry_head {
    uint64_t obj_off, obj_len;
    uint32_t ms;
    uint32_t keylen;
};

struct entry {
    struct entry_head h;
    char *key;
};

/* Prints one line on stderr; returns the exit status 1. */
__attribute__((format(printf, 1, 2))) static int die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("replay-cc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies len bytes from in at offset off (or from its position, off < 0) to out. */
static int copy_fd(int in, off_t off, uint64_t len, int out)
{
    static char buf[1 << 16];
    while (len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        ssize_t n = off >= 0 ? pread(in, buf, want, off) : read(in, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(out, buf, (size_t)n) != 0)
            return -1;
        len -= (uint64_t)n;
        if (off >= 0)
            off += n;
    }
    return 0;
}

static int copy_file(const char *path, int out, uint64_t *len)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0)
        return -1;
    int rc = fstat(in, &st) == 0 && S_ISREG(st.st_mode) ? copy_fd(in, -1, (uint64_t)st.st_size, out)
                                                        : -1;
    if (rc == 0)
        *len = (uint64_t)st.st_size;
    close(in);
    return rc;
}

/* --pack: self, then each object, then the index, then the trailer. */
static int pack(const char *out, const char *list)
{
    FILE *in = fopen(list, "r");
    if (!in)
        return die("cannot read %s: %s", list, strerror(errno));
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp) {
        fclose(in);
        return die("output name too long: %s", out);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0) {
        fclose(in);
        return die("cannot create %s: %s", tmp, strerror(errno));
    }
    uint64_t self_len = 0, pos;
    int rc = copy_file("/proc/self/exe", fd, &self_len) == 0
                 ? 0
                 : die("cannot copy /proc/self/exe: %s", strerror(errno));
    pos = self_len;
    struct entry *e = NULL;
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (rc == 0 && getline(&line, &cap, in) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *key = strchr(line, '\t'), *obj = key ? strchr(key + 1, '\t') : NULL;
        if (!obj || key == line) {
            rc = die("bad line in %s: %s", list, line);
            break;
        }
        *key++ = '\0';
        *obj++ = '\0';
        char *end;
        unsigned long ms = strtoul(line, &end, 10);
        size_t klen = strlen(key);
        if (*end || ms > UINT32_MAX || key[0] != '/' || klen == 0 || klen >= MAX_KEY ||
            n >= MAX_ENTRIES) {
            rc = die("bad record in %s: %s", list, key);
            break;
        }
        struct entry *grown = realloc(e, (n + 1) * sizeof *e);
        if (!grown) {
            rc = die("out of memory");
            break;
        }
        e = grown;
        e[n].key = strdup(key);
        if (!e[n].key) {
            rc = die("out of memory");
            break;
        }
        e[n].h = (struct entry_head){.obj_off = pos, .ms = (uint32_t)ms, .keylen = (uint32_t)klen};
        if (copy_file(obj, fd, &e[n].h.obj_len) != 0) {
            free(e[n].key);
            rc = die("cannot copy %s: %s", obj, strerror(errno));
            break;
        }
        pos += e[n].h.obj_len;
        n++;
    }
    free(line);
    fclose(in);
    struct trailer t = {.index_off = pos, .count = n};
    memcpy(t.magic, MAGIC, sizeof t.magic);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (write_all(fd, &e[i].h, sizeof e[i].h) != 0 ||
            write_all(fd, e[i].key, e[i].h.keylen) != 0)
            rc = die("cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && write_all(fd, &t, sizeof t) != 0)
        rc = die("cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = die("cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, out) != 0)
        rc = die("cannot rename %s: %s", tmp, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    for (size_t i = 0; i < n; i++)
        free(e[i].key);
    free(e);
    return rc;
}

/* What a compile of one unit looks like to this program. */
struct job {
    const char *input, *output;
    int preprocessed;
    int deps;                            /* -MD or -MMD: a .d file too */
    const char *deps_file, *deps_target; /* -MF, -MT or -MQ */
};

/* gcc's options whose value is the next argument. */
static int takes_value(const char *a)
{
    static const char *const opts[] = {"-o",
                                       "-x",
                                       "-I",
                                       "-D",
                                       "-U",
                                       "-include",
                                       "-imacros",
                                       "-isystem",
                                       "-iquote",
                                       "-idirafter",
                                       "-iprefix",
                                       "-iwithprefix",
                                       "-MF",
                                       "-MT",
                                       "-MQ",
                                       "-Xassembler",
                                       "-Xpreprocessor",
                                       "-Xlinker",
                                       "-aux-info",
                                       "--param",
                                       "-L",
                                       "-l",
                                       "-B",
                                       "-G",
                                       "-T",
                                       "-u",
                                       "-e",
                                       NULL};
    for (int i = 0; opts[i]; i++)
        if (strcmp(a, opts[i]) == 0)
            return 1;
    return 0;
}

/* 0 when argv is one compile (-c) of one file to an object, else -1: then
 * the real compiler runs (version queries, -E, links). */
static int parse_job(int argc, char **argv, struct job *j)
{
    int dash_c = 0;
    memset(j, 0, sizeof *j);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0)
            dash_c = 1;
        else if (strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0)
            j->deps = 1;
        else if (strcmp(a, "-MP") == 0 || strcmp(a, "-MG") == 0)
            continue;
        else if ((strcmp(a, "-MF") == 0 || strcmp(a, "-MT") == 0 || strcmp(a, "-MQ") == 0) &&
                 i + 1 < argc)
            *(a[2] == 'F' ? &j->deps_file : &j->deps_target) = argv[++i];
        else if (strncmp(a, "-MF", 3) == 0 || strncmp(a, "-MT", 3) == 0 ||
                 strncmp(a, "-MQ", 3) == 0)
            *(a[2] == 'F' ? &j->deps_file : &j->deps_target) = a + 3;
        else if (strcmp(a, "-E") == 0 || strcmp(a, "-S") == 0 || strncmp(a, "-M", 2) == 0 ||
                 strcmp(a, "-") == 0)
            return -1;
        else if (strcmp(a, "-o") == 0 && i + 1 < argc)
            j->output = argv[++i];
        else if (strcmp(a, "-x") == 0 && i + 1 < argc)
            j->preprocessed = strcmp(argv[++i], "cpp-output") == 0;
        else if (takes_value(a))
            i++;
        else if (a[0] != '-') {
            if (j->input)
                return -1;
            j->input = a;
        }
    }
    if (!dash_c || !j->input)
        return -1;
    const char *dot = strrchr(j->input, '.');
    if (dot && strcmp(dot, ".i") == 0)
        j->preprocessed = 1;
    return 0;
}

/* Normalises an absolute path in place: no "//", "/./" or "/x/../". */
static void normalise(char *p)
{
    char *out = p, *in = p;
    while (*in) {
        while (*in == '/')
            in++;
        char *end = strchrnul(in, '/');
        size_t len = (size_t)(end - in);
        if (len == 0 || (len == 1 && in[0] == '.')) {
            /* nothing */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > p && *--out != '/')
                ;
        } else {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in = end;
    }
    if (out == p)
        *out++ = '/';
    *out = '\0';
}

/* The next line marker's file name ("# 12 \"name\" 1 3"), copied to name;
 * *pos advances past the line. 0, or -1 when the line is not a marker. */
static int line_marker(const char *buf, size_t len, size_t *pos, char *name, size_t namelen)
{
    size_t i = *pos;
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - buf) : len;
    *pos = nl ? end + 1 : len;
    if (end - i < 4 || buf[i] != '#' || buf[i + 1] != ' ')
        return -1;
    i += 2;
    while (i < end && buf[i] >= '0' && buf[i] <= '9')
        i++;
    if (i + 2 > end || buf[i] != ' ' || buf[i + 1] != '"')
        return -1;
    i += 2;
    size_t k = 0;
    while (i < end && buf[i] != '"' && k + 1 < namelen) {
        if (buf[i] == '\\' && i + 1 < end)
            i++;
        name[k++] = buf[i++];
    }
    name[k] = '\0';
    return i < end ? 0 : -1;
}

/* The source path the job stands for (see the top of the file). */
static int job_source(const struct job *j, const char *text, size_t len, char *path, size_t pathlen)
{
    char name[PATH_MAX] = "", dir[PATH_MAX] = "", m[PATH_MAX];
    if (j->preprocessed) {
        size_t pos = 0;
        if (line_marker(text, len, &pos, name, sizeof name) != 0)
            return -1;
        /* gcc's working directory marker ends in "//", a line or two down. */
        for (int k = 0; k < 4 && pos < len; k++) {
            size_t l;
            if (line_marker(text, len, &pos, m, sizeof m) == 0 && (l = strlen(m)) > 2 &&
                m[0] == '/' && strcmp(m + l - 2, "//") == 0) {
                snprintf(dir, sizeof dir, "%s", m);
                break;
            }
        }
    } else {
        snprintf(name, sizeof name, "%s", j->input);
        if (!getcwd(dir, sizeof dir))
            dir[0] = '\0';
    }
    int n;
    if (name[0] == '/')
        n = snprintf(path, pathlen, "%s", name);
    else
        n = snprintf(path, pathlen, "%s/%s", dir, name); /* no dir: a relative tail */
    if (n < 0 || (size_t)n >= pathlen)
        return -1;
    normalise(path);
    return 0;
}

struct db {
    int fd;
    struct entry *e;
    size_t n;
};

static int db_read(struct db *db)
{
    const char *self = getenv("REPLAY_CC_DB") ? getenv("REPLAY_CC_DB") : "/proc/self/exe";
    struct trailer t;
    struct stat st;
    memset(db, 0, sizeof *db);
    db->fd = open(self, O_RDONLY | O_CLOEXEC);
    if (db->fd < 0 || fstat(db->fd, &st) != 0 || st.st_size < (off_t)sizeof t ||
        pread(db->fd, &t, sizeof t, st.st_size - (off_t)sizeof t) != (ssize_t)sizeof t ||
        memcmp(t.magic, MAGIC, sizeof t.magic) != 0 || t.count > MAX_ENTRIES ||
        t.index_off > (uint64_t)st.st_size - sizeof t)
        return -1;
    db->e = calloc(t.count ? t.count : 1, sizeof *db->e);
    if (!db->e)
        return -1;
    uint64_t off = t.index_off, end = (uint64_t)st.st_size - sizeof t;
    for (size_t i = 0; i < t.count; i++) {
        struct entry *e = &db->e[i];
        if (end - off < sizeof e->h ||
            pread(db->fd, &e->h, sizeof e->h, (off_t)off) != (ssize_t)sizeof e->h)
            return -1;
        off += sizeof e->h;
        if (e->h.keylen >= MAX_KEY || end - off < e->h.keylen || e->h.obj_off > t.index_off ||
            e->h.obj_len > t.index_off - e->h.obj_off || !(e->key = malloc(e->h.keylen + 1)) ||
            pread(db->fd, e->key, e->h.keylen, (off_t)off) != (ssize_t)e->h.keylen)
            return -1;
        e->key[e->h.keylen] = '\0';
        off += e->h.keylen;
        db->n = i + 1; /* the keys so far are freed by db_close */
    }
    return 0;
}

static void db_close(struct db *db)
{
    for (size_t i = 0; db->e && i < db->n; i++)
        free(db->e[i].key);
    free(db->e);
    if (db->fd >= 0)
        close(db->fd);
    memset(db, 0, sizeof *db);
    db->fd = -1;
}

/* Reads the index of the recordings appended to this program; 0, or -1
 * with db closed. */
static int db_open(struct db *db)
{
    if (db_read(db) == 0)
        return 0;
    db_close(db);
    return -1;
}

/* The recording for path (see the top of the file), or NULL. */
static const struct entry *db_find(const struct db *db, const char *path)
{
    for (const char *tail = path; tail; tail = strchr(tail + 1, '/'))
        for (size_t i = 0; i < db->n; i++)
            if (strcmp(db->e[i].key, tail) == 0)
                return &db->e[i];
    const struct entry *found = NULL;
    size_t plen = strlen(path);
    for (size_t i = 0; i < db->n; i++) {
        size_t klen = db->e[i].h.keylen;
        if (klen > plen && strcmp(db->e[i].key + klen - plen, path) == 0) {
            if (found)
                return NULL;
            found = &db->e[i];
        }
    }
    return found;
}

/* Reads the whole input as cc1 does, to its end: with early start the
 * daemon may still be writing it (a pipe). The first headlen bytes, where
 * the line markers are, stay in head; *len says how many there are. */
static int read_input(const char *path, char *head, size_t headlen, size_t *len)
{
    static char sink[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t got;
    for (;;) {
        int in_head = n < headlen;
        got = read(fd, in_head ? head + n : sink, in_head ? headlen - n : sizeof sink);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (in_head)
            n += (size_t)got;
    }
    int e = errno;
    close(fd);
    errno = e;
    *len = n;
    return got < 0 ? -1 : 0;
}

static void wait_ms(uint32_t ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &t) == EINTR)
        ;
}

/* A compile with -MD names its input as the object's one prerequisite: the
 * replayed unit's real headers are not known here, and no build reads them. */
static int write_deps(const struct job *j, const char *object)
{
    char path[PATH_MAX];
    const char *file = j->deps_file;
    if (!file) {
        const char *dot = strrchr(object, '.');
        int len = dot && !strchr(dot, '/') ? (int)(dot - object) : (int)strlen(object);
        if (snprintf(path, sizeof path, "%.*s.d", len, object) >= (int)sizeof path)
            return die("dependency file name too long for %s", object);
        file = path;
    }
    FILE *f = fopen(file, "w");
    if (!f)
        return die("cannot create %s: %s", file, strerror(errno));
    fprintf(f, "%s: %s\n", j->deps_target ? j->deps_target : object, j->input);
    if (fclose(f) != 0)
        return die("cannot write %s: %s", file, strerror(errno));
    return 0;
}

static int replay(const struct job *j)
{
    static char head[1 << 16];
    size_t len = 0;
    if (read_input(j->input, head, sizeof head, &len) != 0)
        return die("cannot read %s: %s", j->input, strerror(errno));
    char path[PATH_MAX];
    int rc = job_source(j, head, len, path, sizeof path);
    if (rc != 0)
        return die("cannot tell which unit %s is", j->input);
    struct db db;
    if (db_open(&db) != 0)
        return die("no recordings in this program (pack it with --pack)");
    const struct entry *e = db_find(&db, path);
    if (!e)
        rc = die("no recorded compile for %s (input %s)", path, j->input);
    char out[PATH_MAX];
    if (rc == 0 && !j->output) {
        const char *base = strrchr(j->input, '/');
        base = base ? base + 1 : j->input;
        const char *dot = strrchr(base, '.');
        snprintf(out, sizeof out, "%.*s.o", (int)(dot ? dot - base : (long)strlen(base)), base);
    }
    if (rc == 0) {
        wait_ms(e->h.ms);
        const char *dest = j->output ? j->output : out;
        int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            rc = die("cannot create %s: %s", dest, strerror(errno));
        else {
            if (copy_fd(db.fd, (off_t)e->h.obj_off, e->h.obj_len, fd) != 0)
                rc = die("cannot write %s: %s", dest, strerror(errno));
            if (close(fd) != 0 && rc == 0)
                rc = die("cannot write %s: %s", dest, strerror(errno));
        }
        if (rc == 0 && j->deps)
            rc = write_deps(j, dest);
        const char *v = getenv("REPLAY_CC_VERBOSE");
        if (rc == 0 && v && strcmp(v, "1") == 0)
            fprintf(stderr, "replay-cc: %s %u ms %llu bytes\n", e->key, e->h.ms,
                    (unsigned long long)e->h.obj_len);
    }
    db_close(&db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--pack") == 0)
        return pack(argv[2], argv[3]);
    struct job j;
    if (parse_job(argc, argv, &j) == 0)
        return replay(&j);
    const char *real = getenv("REPLAY_REAL_CC") ? getenv("REPLAY_REAL_CC") : "/usr/bin/gcc";
    argv[0] = (char *)real;
    execv(real, argv);
    return die("cannot run %s: %s", real, strerror(errno));
}
