/* correlation.h: rank correlations between proxy scores and accuracies.
 *
 * Kendall tau-b (Knight's O(n log n) algorithm) computed exactly as
 * scipy.stats.kendalltau(x, y) with its defaults (variant 'b',
 * nan_policy 'propagate'): the same integer counts and the same floating
 * point expression, so results agree with scipy to the last bit in the
 * usual case. Spearman rho is the Pearson correlation of average ranks, as
 * scipy.stats.spearmanr. All arithmetic is double precision.
 */
#ifndef ZC_CORRELATION_H
#define ZC_CORRELATION_H

/* zc_kendall_tau_b: Kendall's tau-b of the pairs (x[i], y[i]), i < n.
 * Returns a value in [-1, 1]; NaN when n < 2, when any x or y is NaN, or
 * when every x or every y is tied (scipy's convention). Infinities are
 * ordinary values. Allocates O(n) scratch memory (aborts on exhaustion). */
double zc_kendall_tau_b(const double *x, const double *y, int n);

/* zc_spearman_rho: Spearman's rank correlation: the Pearson correlation of
 * the average ranks (ties get the mean of the ranks they span). NaN when
 * n < 2, when any value is NaN, or when either side is constant. */
double zc_spearman_rho(const double *x, const double *y, int n);

/* zc_pearson_r: Pearson correlation coefficient of x and y (two-pass,
 * centred), clipped to [-1, 1]. NaN when n < 2, any value is NaN or
 * infinite, or either side has zero variance. */
double zc_pearson_r(const double *x, const double *y, int n);

/* zc_rank_average: ranks[i] = 1-based rank of x[i] among x[0..n), ties
 * getting the average of the ranks they span (scipy.stats.rankdata
 * method='average'). NaN values are ranked after every number (all NaNs
 * tied with each other); callers that follow scipy reject NaN first.
 * ranks must not alias x. n <= 0 does nothing. */
void zc_rank_average(const double *x, int n, double *ranks);

#endif
