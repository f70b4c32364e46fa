/* correlation.c: Kendall tau-b (Knight's algorithm), Spearman rho, Pearson r
 * and average ranking. See correlation.h for the contracts.
 *
 * Kendall tau-b, as scipy computes it:
 *   tot  = n (n - 1) / 2
 *   xtie = sum over groups of equal x of t (t - 1) / 2, ytie likewise,
 *   ntie = the same over groups of equal (x, y) pairs,
 *   dis  = discordant pairs,
 *   tau  = (tot - xtie - ytie + ntie - 2 dis) / sqrt(tot - xtie)
 *                                             / sqrt(tot - ytie).
 * Sorting the pairs by (x, y) makes every run of equal x (and of equal
 * pairs) contiguous; a merge sort of the resulting y sequence then counts
 * the strict inversions, which are exactly the discordant pairs (pairs tied
 * in x are in ascending y order, so they never invert), and leaves y sorted
 * for counting its ties. All counts are exact 64-bit integers.
 */
#include "common/util/correlation.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* Sort (x, y) pairs lexicographically, ascending, by a bottom-up merge sort
 * with the scratch arrays tx, ty (n each). The result ends in x, y. */
static void sort_pairs(double *x, double *y, double *tx, double *ty, int n) {
    double *src_x = x, *src_y = y, *dst_x = tx, *dst_y = ty;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = ZC_MIN(lo + width, n), hi = ZC_MIN(lo + 2 * width, n);
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                /* take from the right only when strictly smaller: stable */
                int right_smaller = src_x[j] < src_x[i] ||
                                    (src_x[j] == src_x[i] && src_y[j] < src_y[i]);
                if (right_smaller) {
                    dst_x[k] = src_x[j];
                    dst_y[k++] = src_y[j++];
                } else {
                    dst_x[k] = src_x[i];
                    dst_y[k++] = src_y[i++];
                }
            }
            while (i < mid) {
                dst_x[k] = src_x[i];
                dst_y[k++] = src_y[i++];
            }
            while (j < hi) {
                dst_x[k] = src_x[j];
                dst_y[k++] = src_y[j++];
            }
        }
        double *t = src_x; src_x = dst_x; dst_x = t;
        t = src_y; src_y = dst_y; dst_y = t;
    }
    if (src_x != x) {
        memcpy(x, src_x, (size_t)n * sizeof(double));
        memcpy(y, src_y, (size_t)n * sizeof(double));
    }
}

/* Merge sort a[0..n) ascending (scratch tmp) and return the number of
 * pairs i < j with a[i] > a[j] (strict inversions). */
static int64_t sort_count_inversions(double *a, double *tmp, int n) {
    int64_t inversions = 0;
    double *src = a, *dst = tmp;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = ZC_MIN(lo + width, n), hi = ZC_MIN(lo + 2 * width, n);
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (src[j] < src[i]) {
                    inversions += mid - i;
                    dst[k++] = src[j++];
                } else {
                    dst[k++] = src[i++];
                }
            }
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        double *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)n * sizeof(double));
    return inversions;
}

static int any_nan(const double *v, int n) {
    for (int i = 0; i < n; i++)
        if (isnan(v[i])) return 1;
    return 0;
}

/* Sum over runs of equal values in sorted v of t (t - 1) / 2. */
static int64_t tied_pairs_sorted(const double *v, int n) {
    int64_t pairs = 0, run = 1;
    for (int i = 1; i < n; i++) {
        if (v[i] == v[i - 1]) {
            run++;
        } else {
            pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    return pairs + run * (run - 1) / 2;
}

double zc_kendall_tau_b(const double *x, const double *y, int n) {
    if (n < 2 || any_nan(x, n) || any_nan(y, n)) return NAN;
    double *buf = zc_malloc((size_t)n * 4 * sizeof(double));
    double *sx = buf, *sy = buf + n, *tx = buf + 2 * (size_t)n, *ty = buf + 3 * (size_t)n;
    memcpy(sx, x, (size_t)n * sizeof(double));
    memcpy(sy, y, (size_t)n * sizeof(double));
    sort_pairs(sx, sy, tx, ty, n);

    int64_t xtie = tied_pairs_sorted(sx, n);
    int64_t ntie = 0, run = 1;
    for (int i = 1; i < n; i++) {
        if (sx[i] == sx[i - 1] && sy[i] == sy[i - 1]) {
            run++;
        } else {
            ntie += run * (run - 1) / 2;
            run = 1;
        }
    }
    ntie += run * (run - 1) / 2;

    int64_t dis = sort_count_inversions(sy, tx, n);
    int64_t ytie = tied_pairs_sorted(sy, n);
    free(buf);

    int64_t tot = (int64_t)n * (n - 1) / 2;
    if (xtie == tot || ytie == tot) return NAN;
    int64_t con_minus_dis = tot - xtie - ytie + ntie - 2 * dis;
    double tau = (double)con_minus_dis / sqrt((double)(tot - xtie)) /
                 sqrt((double)(tot - ytie));
    if (tau > 1.0) tau = 1.0;
    if (tau < -1.0) tau = -1.0;
    return tau;
}

/* Stable merge sort of the index array idx[0..n) by key[idx] ascending,
 * NaN keys last; tmp is scratch of n ints. */
static void sort_indices(const double *key, int *idx, int *tmp, int n) {
    int *src = idx, *dst = tmp;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = ZC_MIN(lo + width, n), hi = ZC_MIN(lo + 2 * width, n);
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                double a = key[src[i]], b = key[src[j]];
                /* right first only if strictly before: b < a, or a NaN
                 * while b is a number */
                int right_first = b < a || (isnan(a) && !isnan(b));
                dst[k++] = right_first ? src[j++] : src[i++];
            }
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        int *t = src; src = dst; dst = t;
    }
    if (src != idx) memcpy(idx, src, (size_t)n * sizeof(int));
}

void zc_rank_average(const double *x, int n, double *ranks) {
    if (n <= 0) return;
    int *idx = zc_malloc((size_t)n * 2 * sizeof(int));
    int *tmp = idx + n;
    for (int i = 0; i < n; i++) idx[i] = i;
    sort_indices(x, idx, tmp, n);
    int start = 0;
    while (start < n) {
        double v = x[idx[start]];
        int end = start + 1;
        if (isnan(v)) {
            end = n; /* NaNs are sorted last and tied with each other */
        } else {
            while (end < n && x[idx[end]] == v) end++;
        }
        /* ranks start+1 .. end, average (start + 1 + end) / 2 */
        double average = 0.5 * ((double)start + 1.0 + (double)end);
        for (int k = start; k < end; k++) ranks[idx[k]] = average;
        start = end;
    }
    free(idx);
}

double zc_pearson_r(const double *x, const double *y, int n) {
    if (n < 2) return NAN;
    double sum_x = 0, sum_y = 0;
    for (int i = 0; i < n; i++) {
        sum_x += x[i];
        sum_y += y[i];
    }
    if (!isfinite(sum_x) || !isfinite(sum_y)) return NAN;
    double mean_x = sum_x / n, mean_y = sum_y / n;
    double sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double dx = x[i] - mean_x, dy = y[i] - mean_y;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if (!(sxx > 0) || !(syy > 0)) return NAN;
    /* numpy.corrcoef order: cov / std_x / std_y, each over (n - 1) */
    double dof = (double)(n - 1);
    double r = (sxy / dof) / sqrt(sxx / dof) / sqrt(syy / dof);
    if (r > 1.0) r = 1.0;
    if (r < -1.0) r = -1.0;
    return r;
}

double zc_spearman_rho(const double *x, const double *y, int n) {
    if (n < 2 || any_nan(x, n) || any_nan(y, n)) return NAN;
    double *ranks = zc_malloc((size_t)n * 2 * sizeof(double));
    zc_rank_average(x, n, ranks);
    zc_rank_average(y, n, ranks + n);
    double rho = zc_pearson_r(ranks, ranks + n, n);
    free(ranks);
    return rho;
}
