/* stats_h5_legacy.c: the global heap guard of format 1 statistics files
 * (see stats_h5_legacy.h). Layout of a collection (HDF5 file format
 * specification, "Global Heap"): "GCOL", version 1, 3 reserved bytes, the
 * collection size (8 bytes, header included); then objects: index (2),
 * reference count (2), reserved (4), size (8), data padded to a multiple
 * of 8; index 0 is the free space, its size counting its own header. */
#include "common/stats/stats_h5_legacy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/util.h"

#define HEADER 16     /* collection header                               */
#define OBJ_HEADER 16 /* object header                                    */
#define SCAN_BLOCK (4u << 20)
#define MAX_COLLECTION (1u << 30)

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* collection_ok: the objects of the collection c (size bytes, header
 * included) each lie inside it and advance the walk. */
static int collection_ok(const unsigned char *c, uint64_t size) {
    uint64_t at = HEADER;
    while (at < size) {
        if (size - at < OBJ_HEADER) return 1; /* a tail too small for a header: free */
        unsigned idx = (unsigned)c[at] | ((unsigned)c[at + 1] << 8);
        uint64_t obj = le64(c + at + 8), need;
        if (idx > 0) {
            if (obj > size) return 0;
            need = OBJ_HEADER + ((obj + 7) & ~(uint64_t)7);
        } else {
            need = obj; /* the free space counts its own header */
        }
        if (need < OBJ_HEADER || need > size - at) return 0;
        at += need;
    }
    return 1;
}

/* check_at: the collection whose signature is at byte `offset` of fd (file
 * size file_size). 0 consistent, -1 damaged (reason in err). */
static int check_at(int fd, uint64_t offset, uint64_t file_size, char *err, size_t errlen) {
    unsigned char head[HEADER];
    if (pread(fd, head, HEADER, (off_t)offset) != HEADER) return 0; /* a tail: no collection */
    if (head[4] != 1) return 0;                                     /* not one (or unreadable
                                                                       by HDF5 anyway) */
    uint64_t size = le64(head + 8);
    if (size < HEADER || size > MAX_COLLECTION || size > file_size - offset)
        return zc_fail(err, errlen, "the format 1 string heap at byte %llu claims %llu bytes, "
                       "the file has %llu after it (the file is damaged)",
                       (unsigned long long)offset, (unsigned long long)size,
                       (unsigned long long)(file_size - offset));
    unsigned char *c = zc_malloc((size_t)size);
    int ok = pread(fd, c, (size_t)size, (off_t)offset) == (ssize_t)size && collection_ok(c, size);
    free(c);
    if (!ok)
        return zc_fail(err, errlen, "the format 1 string heap at byte %llu holds an object that "
                       "overruns it (the file is damaged)", (unsigned long long)offset);
    return 0;
}

/* find_signature: the first "GCOL" in p[0..n), or NULL. */
static unsigned char *find_signature(unsigned char *p, size_t n) {
    unsigned char *end = p + n;
    while (end - p >= 4) {
        unsigned char *g = memchr(p, 'G', (size_t)(end - p - 3));
        if (!g) return NULL;
        if (memcmp(g, "GCOL", 4) == 0) return g;
        p = g + 1;
    }
    return NULL;
}

/* scan: every "GCOL" of fd checked. */
static int scan(int fd, uint64_t file_size, char *err, size_t errlen) {
    unsigned char *buf = zc_malloc(SCAN_BLOCK + 3);
    uint64_t base = 0;
    size_t keep = 0; /* bytes carried over from the previous block */
    int rc = 0;
    while (rc == 0 && base + keep < file_size) {
        ssize_t got = pread(fd, buf + keep, SCAN_BLOCK, (off_t)(base + keep));
        if (got <= 0) {
            rc = zc_fail(err, errlen, "cannot read it: %s",
                         got < 0 ? strerror(errno) : "unexpected end of file");
            break;
        }
        size_t n = keep + (size_t)got;
        for (unsigned char *p = buf; rc == 0 && (p = find_signature(p, n - (size_t)(p - buf)));
             p++)
            rc = check_at(fd, base + (uint64_t)(p - buf), file_size, err, errlen);
        keep = n < 3 ? n : 3;
        memmove(buf, buf + n - keep, keep);
        base += n - keep;
    }
    free(buf);
    return rc;
}

int zc_stats_legacy_check(const char *path, char *err, size_t errlen) {
    static struct stat checked; /* the last file found consistent */
    static int have_checked = 0;
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return zc_fail(err, errlen, "cannot read it: %s", strerror(e));
    }
    if (have_checked && st.st_dev == checked.st_dev && st.st_ino == checked.st_ino &&
        st.st_size == checked.st_size && st.st_mtim.tv_sec == checked.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == checked.st_mtim.tv_nsec) {
        close(fd);
        return 0;
    }
    int rc = scan(fd, (uint64_t)st.st_size, err, errlen);
    close(fd);
    if (rc == 0) {
        checked = st;
        have_checked = 1;
    }
    return rc;
}
