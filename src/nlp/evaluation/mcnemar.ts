/**
 * McNemar's test: do two classifiers evaluated on the same examples differ in error rate?
 * Only the discordant pairs matter: b = A right & B wrong, c = A wrong & B right.
 */

export interface McNemarResult {
  /** A right, B wrong. */
  b: number;
  /** A wrong, B right. */
  c: number;
  method: 'exact' | 'chi2';
  statistic: number;
  p_value: number;
  significant: boolean;
  alpha: number;
}

/** log(n choose k) via log-gamma-free summation (n here is at most the test-set size). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Exact two-sided binomial test when there are fewer than 25 discordant pairs (the chi-square
 * approximation is poor there), otherwise chi-square with continuity correction, 1 dof.
 */
export function mcnemar(correctA: readonly boolean[], correctB: readonly boolean[], alpha = 0.05): McNemarResult {
  if (correctA.length !== correctB.length) throw new RangeError('both classifiers must be scored on the same examples');
  let b = 0;
  let c = 0;
  for (let i = 0; i < correctA.length; i++) {
    if (correctA[i] && !correctB[i]) b++;
    else if (!correctA[i] && correctB[i]) c++;
  }
  return mcnemarFromCounts(b, c, alpha);
}

export function mcnemarFromCounts(b: number, c: number, alpha = 0.05): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, method: 'exact', statistic: 0, p_value: 1, significant: false, alpha };
  if (n < 25) {
    const k = Math.min(b, c);
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
    const pValue = Math.min(1, 2 * tail);
    return { b, c, method: 'exact', statistic: k, p_value: pValue, significant: pValue < alpha, alpha };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  // Chi-square with 1 dof: P(X > s) = erfc(sqrt(s / 2)).
  const pValue = erfc(Math.sqrt(statistic / 2));
  return { b, c, method: 'chi2', statistic, p_value: pValue, significant: pValue < alpha, alpha };
}
