/* xwd-check: reads an X window dump (xwd) and says what it shows: size, distinct colours, pixels near a colour; can save a PNG. */
/*
 *   xwd-check FILE [--near RRGGBB]... [--png OUT.png]
 * prints "size WxH", "colours N" (distinct) and one
 * "near RRGGBB N" line per --near (pixels within 3 of it in each channel).
 * Only the TrueColor ZPixmap dumps Xvfb makes at depth 24 are read.
 */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NEAR 16

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int shift_of(uint32_t mask)
{
    int s = 0;
    while (mask && !(mask & 1)) {
        mask >>= 1;
        s++;
    }
    return s;
}

static int fail(const char *why)
{
    fprintf(stderr, "xwd-check: %s\n", why);
    return 1;
}

int main(int argc, char **argv)
{
    const char *png = NULL;
    unsigned near[MAX_NEAR];
    unsigned long near_n[MAX_NEAR] = {0};
    int n_near = 0;
    if (argc < 2)
        return fail("usage: xwd-check FILE [--near RRGGBB]... [--png OUT.png]");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--png") == 0 && i + 1 < argc)
            png = argv[++i];
        else if (strcmp(argv[i], "--near") == 0 && i + 1 < argc && n_near < MAX_NEAR)
            near[n_near++] = (unsigned)strtoul(argv[++i], NULL, 16);
        else
            return fail("bad arguments");
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return fail("cannot open the dump");
    unsigned char h[100];
    if (fread(h, 1, sizeof h, f) != sizeof h) {
        fclose(f);
        return fail("short header");
    }
    uint32_t header_size = be32(h), version = be32(h + 4), format = be32(h + 8);
    uint32_t width = be32(h + 16), height = be32(h + 20), byte_order = be32(h + 28);
    uint32_t bpp = be32(h + 44), bytes_per_line = be32(h + 48);
    uint32_t rmask = be32(h + 56), gmask = be32(h + 60), bmask = be32(h + 64), ncolors = be32(h + 76);
    if (version != 7 || format != 2 || bpp != 32 || header_size < 100 || header_size > 4096 || width == 0 ||
        height == 0 || width > 16384 || height > 16384 || bytes_per_line < width * 4 || ncolors > 65536) {
        fclose(f);
        return fail("not a 32-bit ZPixmap dump");
    }
    if (fseek(f, (long)header_size + (long)ncolors * 12, SEEK_SET) != 0) {
        fclose(f);
        return fail("short dump");
    }
    size_t len = (size_t)bytes_per_line * height;
    unsigned char *px = malloc(len);
    unsigned char *rgb = malloc((size_t)width * height * 3);
    if (!px || !rgb || fread(px, 1, len, f) != len) {
        fclose(f);
        free(px);
        free(rgb);
        return fail("short pixel data");
    }
    fclose(f);
    int rs = shift_of(rmask), gs = shift_of(gmask), bs = shift_of(bmask);
    static unsigned char seen[1u << 21]; /* one bit per 24-bit colour */
    size_t n_seen = 0;
    for (uint32_t y = 0; y < height; y++) {
        for (uint32_t x = 0; x < width; x++) {
            const unsigned char *p = px + (size_t)y * bytes_per_line + (size_t)x * 4;
            uint32_t v = byte_order == 0 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                               (uint32_t)p[3] << 24
                                         : be32(p);
            unsigned r = (v & rmask) >> rs, g = (v & gmask) >> gs, b = (v & bmask) >> bs;
            unsigned char *o = rgb + ((size_t)y * width + x) * 3;
            o[0] = (unsigned char)r, o[1] = (unsigned char)g, o[2] = (unsigned char)b;
            uint32_t c = r << 16 | g << 8 | b;
            if (!(seen[c >> 3] & (1u << (c & 7)))) {
                seen[c >> 3] |= (unsigned char)(1u << (c & 7));
                n_seen++;
            }
            for (int k = 0; k < n_near; k++) {
                int dr = (int)r - (int)(near[k] >> 16 & 0xff), dg = (int)g - (int)(near[k] >> 8 & 0xff),
                    db = (int)b - (int)(near[k] & 0xff);
                if (abs(dr) <= 3 && abs(dg) <= 3 && abs(db) <= 3)
                    near_n[k]++;
            }
        }
    }
    printf("size %ux%u\ncolours %zu\n", width, height, n_seen);
    for (int k = 0; k < n_near; k++)
        printf("near %06x %lu\n", near[k], near_n[k]);
    int rc = 0;
    if (png) {
        GdkPixbuf *pb = gdk_pixbuf_new_from_data(rgb, GDK_COLORSPACE_RGB, FALSE, 8, (int)width, (int)height,
                                                 (int)width * 3, NULL, NULL);
        GError *err = NULL;
        if (!pb || !gdk_pixbuf_save(pb, png, "png", &err, NULL))
            rc = fail(err ? err->message : "cannot write the PNG");
        if (pb)
            g_object_unref(pb);
    }
    free(px);
    free(rgb);
    return rc;
}
