/* stats_h5_legacy.h: the guard of format 1 statistics files (written by
 * zcevo before checksums, docs/stats_schema.md). Their string attributes
 * are variable-length: the strings live in HDF5 global heap collections,
 * which carry no checksum, and libhdf5 1.10 copies a heap object without
 * checking that it lies inside its collection (a corrupt size reads past
 * the buffer). zc_stats_legacy_check walks every collection of a file
 * first, so that the HDF5 reader only ever sees consistent ones. */
#ifndef ZC_STATS_H5_LEGACY_H
#define ZC_STATS_H5_LEGACY_H

#include <stddef.h>

/* zc_stats_legacy_check: find every global heap collection of the file at
 * path (signature "GCOL", version 1) and check that it lies inside the
 * file and that each object in it (index, reference count, size, data
 * padded to 8 bytes) lies inside the collection and advances. Returns 0,
 * or -1 with err giving the byte offset of the first damaged collection
 * (the caller names the file). The last file found consistent (device, inode, size,
 * modification time) is remembered and not read again. */
int zc_stats_legacy_check(const char *path, char *err, size_t errlen);

#endif
