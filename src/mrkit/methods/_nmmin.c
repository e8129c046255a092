/* SPDX-License-Identifier: GPL-3.0-or-later
 * Ported from R's nmmin, src/appl/optim.c, R (GPL-2.0-or-later). */
/* R's Nelder-Mead (nmmin, R's src/appl/optim.c) on the two-sample maximum-likelihood objective of
 * TwoSampleMR and MendelianRandomization, compiled: the same steps as the Python port in ml.py
 * (mrkit.methods.ml.nelder_mead_r), which the tests compare bit for bit.
 *
 * Objective, as R evaluates it: 1/2*sum((bx - g)^2/bxse^2) + 1/2*sum((by - theta*g)^2/byse^2), each term in
 * double precision (x^2 is x*x, as R_pow), each sum accumulated in long double in row order and rounded to
 * double (R's rsum, LDOUBLE). Build with -ffp-contract=off: a fused multiply-add would round differently.
 *
 * Loaded with ctypes by ml.py; when it was not built (no C compiler), ml.py runs its numpy port instead.
 *
 * Reference: Nash JC (1990). Compact Numerical Methods for Computers, 2nd ed., Algorithm 19; R Core Team,
 * nmmin in src/appl/optim.c (converted by p2c, re-crafted by B.D. Ripley).
 */
#include <math.h>
#include <stdlib.h>

#define BIG 1.0e+35

typedef struct {
    int k;
    const double *bx, *by;
    double *sx2, *sy2;
} ml_data;

static double ml_objective(const ml_data *d, const double *par)
{
    long double sx = 0.0L, sy = 0.0L;
    const double theta = par[d->k];
    for (int i = 0; i < d->k; i++) {
        const double e = d->bx[i] - par[i];
        const double t = e * e / d->sx2[i];
        sx += t;
    }
    for (int i = 0; i < d->k; i++) {
        const double e = d->by[i] - theta * par[i];
        const double t = e * e / d->sy2[i];
        sy += t;
    }
    return 0.5 * (double) sx + 0.5 * (double) sy;
}

static double evaluate(const ml_data *d, const double *par)
{
    const double f = ml_objective(d, par);
    return isfinite(f) ? f : BIG;
}

/* Minimise the ML objective from start (k + 1 values: g_1..g_k, theta). Writes the best vertex to par, its
 * value to value and R's evaluation count to fncount. Returns R's fail code (0 converged, 1 maxit reached,
 * 10 degenerate simplex), -1 when the objective is not finite at start, -2 when memory ran out. */
int mrkit_ml_nmmin(int k, const double *bx, const double *bxse, const double *by, const double *byse,
                   const double *start, double *par, double *value, int *fncount, int maxit, double reltol,
                   double abstol, double alpha, double beta, double gamma)
{
    const int n = k + 1, n1 = n + 1;
    ml_data d = {k, bx, by, malloc(k * sizeof(double)), malloc(k * sizeof(double))};
    double *P = malloc((size_t) n1 * n * sizeof(double));  /* vertex j: P[j*n .. j*n + n - 1] */
    double *F = malloc(n1 * sizeof(double));
    double *centroid = malloc(n * sizeof(double));
    double *trial = malloc(n * sizeof(double));
    double *point = malloc(n * sizeof(double));
    int fail = 0, funcount, L = 0, H;
    if (!d.sx2 || !d.sy2 || !P || !F || !centroid || !trial || !point) {
        fail = -2;
        goto done;
    }
    for (int i = 0; i < k; i++) {
        d.sx2[i] = bxse[i] * bxse[i];
        d.sy2[i] = byse[i] * byse[i];
    }
    double f = ml_objective(&d, start);
    if (!isfinite(f)) {
        fail = -1;
        goto done;
    }
    funcount = 1;
    const double convtol = reltol * (fabs(f) + reltol);
    for (int j = 0; j < n1; j++) {
        for (int i = 0; i < n; i++) P[j * n + i] = start[i];
        F[j] = f;
    }
    double step = 0.0;
    for (int i = 0; i < n; i++)
        if (0.1 * fabs(start[i]) > step) step = 0.1 * fabs(start[i]);
    if (step == 0.0) step = 0.1;
    double size = 0.0;
    for (int j = 1; j < n1; j++) {
        double trystep = step;
        while (P[j * n + j - 1] == start[j - 1]) {
            P[j * n + j - 1] = start[j - 1] + trystep;
            trystep *= 10;
        }
        size += trystep;
    }
    double oldsize = size;
    int calcvert = 1;
    for (;;) {
        if (calcvert) {
            for (int j = 0; j < n1; j++)
                if (j != L) F[j] = evaluate(&d, P + j * n);
            funcount += n;
            calcvert = 0;
        }
        /* R's scan: the first strict improvement wins, the current L on ties */
        double VL = F[L], VH = VL;
        H = L;
        for (int j = 0; j < n1; j++) {
            if (j != L) {
                if (F[j] < VL) { L = j; VL = F[j]; }
                if (F[j] > VH) { H = j; VH = F[j]; }
            }
        }
        if (VH <= VL + convtol || VL <= abstol) break;
        double *PH = P + H * n;
        for (int i = 0; i < n; i++) {
            double temp = -PH[i];
            for (int j = 0; j < n1; j++) temp += P[j * n + i];
            centroid[i] = temp / n;
        }
        for (int i = 0; i < n; i++) trial[i] = (1.0 + alpha) * centroid[i] - alpha * PH[i];
        const double VR = evaluate(&d, trial);
        funcount++;
        if (VR < VL) {
            for (int i = 0; i < n; i++) point[i] = gamma * trial[i] + (1 - gamma) * centroid[i];
            const double fe = evaluate(&d, point);
            funcount++;
            const double *chosen = fe < VR ? point : trial;
            for (int i = 0; i < n; i++) PH[i] = chosen[i];
            F[H] = fe < VR ? fe : VR;
        } else {
            if (VR < VH) {
                for (int i = 0; i < n; i++) PH[i] = trial[i];
                F[H] = VR;
            }
            for (int i = 0; i < n; i++) point[i] = (1 - beta) * PH[i] + beta * centroid[i];
            const double fc = evaluate(&d, point);
            funcount++;
            if (fc < F[H]) {
                for (int i = 0; i < n; i++) PH[i] = point[i];
                F[H] = fc;
            } else if (VR >= VH) {
                calcvert = 1;
                size = 0.0;
                const double *PL = P + L * n;
                for (int j = 0; j < n1; j++) {
                    if (j != L) {
                        for (int i = 0; i < n; i++) {
                            P[j * n + i] = beta * (P[j * n + i] - PL[i]) + PL[i];
                            size += fabs(P[j * n + i] - PL[i]);
                        }
                    }
                }
                if (size < oldsize) {
                    oldsize = size;
                } else {
                    fail = 10;
                    break;
                }
            }
        }
        if (funcount > maxit) break;
    }
    if (funcount > maxit) fail = 1;
    for (int i = 0; i < n; i++) par[i] = P[L * n + i];
    *value = F[L];
    *fncount = funcount;
done:
    free(d.sx2);
    free(d.sy2);
    free(P);
    free(F);
    free(centroid);
    free(trial);
    free(point);
    return fail;
}
