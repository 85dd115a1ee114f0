/* CVODE (SUNDIALS, Debian's libsundials-dev) harness of the stiff work-precision benchmark.
 *
 *   cvode_stiff solve PROBLEM RTOL ATOL T_END SAMPLES MIN_BATCH_MS
 *       BDF (variable order 1-5), Newton iteration with the analytic Jacobian: dense LU for the
 *       small problems, KLU (sparse CSC) for the Brusselator when built with -DHAVE_KLU (else
 *       dense LU, N = 32 only). Every solve builds everything from scratch (context, vector,
 *       matrix, linear solver, integrator) and keeps only the final state. Prints one JSON object:
 *       final state, CVODE's counters, and the wall time of SAMPLES samples; a sample is a batch
 *       of back-to-back solves lasting at least MIN_BATCH_MS, divided by its size.
 *   cvode_stiff rhs PROBLEM
 *       f at (0, y0) and at the probe state (1.2, y0 + 1e-3 (1 + i mod 7)), as JSON, for the
 *       cross-check against ai4de's right-hand sides.
 *
 * PROBLEM: rober, hires, pollu, vdpol (Test Set VDPOL), vdp1e6 (mu = 1e6, unscaled), bruss2d (N = 32), bruss2d_128 (N = 128). The equations
 * are those of crates/ode/src/problems/ (re-written here; see the rhs cross-check).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_types.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#ifdef HAVE_KLU
#include <sunlinsol/sunlinsol_klu.h>
#endif

typedef struct {
  const char *name;
  int n;
  int bruss_n; /* grid side for the Brusselator, 0 otherwise */
  int sparse;
} Prob;

static Prob P;

/* ---------------------------------------------------------------- ROBER */
static const double RK1 = 0.04, RK2 = 3.0e7, RK3 = 1.0e4;
static void rober_f(double t, const double *y, double *d) {
  (void)t;
  double r1 = y[0] * RK1, r2 = y[1] * y[1] * RK2, r3 = y[1] * y[2] * RK3;
  d[0] = r3 - r1;
  d[1] = r1 - r3 - r2;
  d[2] = r2;
}
static void rober_j(const double *y, double *J /* row-major */) {
  double j[9] = {-RK1, RK3 * y[2], RK3 * y[1], RK1, -RK3 * y[2] - 2.0 * RK2 * y[1], -RK3 * y[1],
                 0.0,  2.0 * RK2 * y[1], 0.0};
  memcpy(J, j, sizeof j);
}

/* ---------------------------------------------------------------- HIRES */
static const double H1 = 1.71, H2 = 0.43, H3 = 8.32, H4 = 0.69, H5 = 0.035, H6 = 8.32, H7 = 280.0,
                    H8 = 0.69, H9 = 0.69, HOKS = 0.0007;
static void hires_f(double t, const double *y, double *d) {
  (void)t;
  double r7 = y[5] * y[7] * H7;
  d[0] = y[1] * H2 + y[2] * H6 - y[0] * H1 + HOKS;
  d[1] = y[0] * H1 - y[1] * (H2 + H3);
  d[2] = y[3] * H2 + y[4] * H5 - y[2] * (H6 + H1);
  d[3] = y[1] * H3 + y[2] * H1 - y[3] * (H4 + H2);
  d[4] = (y[5] + y[6]) * H2 - y[4] * (H5 + H1);
  d[5] = y[3] * H8 + y[4] * H1 - y[5] * H2 + y[6] * H8 - r7;
  d[6] = r7 - y[6] * (H2 + H8 + H9);
  d[7] = -d[6];
}
static void hires_j(const double *y, double *J) {
  memset(J, 0, 64 * sizeof(double));
#define S(i, j, v) J[8 * (i) + (j)] = (v)
  S(0, 0, -H1); S(0, 1, H2); S(0, 2, H6);
  S(1, 0, H1); S(1, 1, -(H2 + H3));
  S(2, 2, -(H6 + H1)); S(2, 3, H2); S(2, 4, H5);
  S(3, 1, H3); S(3, 2, H1); S(3, 3, -(H4 + H2));
  S(4, 4, -(H5 + H1)); S(4, 5, H2); S(4, 6, H2);
  S(5, 3, H8); S(5, 4, H1); S(5, 5, -H2 - H7 * y[7]); S(5, 6, H8); S(5, 7, -H7 * y[5]);
  S(6, 5, H7 * y[7]); S(6, 6, -(H2 + H8 + H9)); S(6, 7, H7 * y[5]);
  S(7, 5, -H7 * y[7]); S(7, 6, H2 + H8 + H9); S(7, 7, -H7 * y[5]);
#undef S
}

/* ---------------------------------------------------------------- POLLU */
/* The Test Set's 25 reactions (crates/ode/src/problems/pollu.rs, POLLU_MECHANISM), 0-based. */
static const double PK[25] = {0.35,   0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5,   0.13e-3,
                              0.24e5, 0.165e5, 0.9e4,   0.22e-1, 0.12e5,  0.188e1,  0.163e5,
                              0.48e7, 0.35e-3, 0.175e-1, 0.1e9,  0.444e12, 0.124e4, 0.21e1,
                              0.578e1, 0.474e-1, 0.178e4, 0.312e1};
static const int PR[25][2] = {{0, -1},  {1, 3},   {4, 1},   {6, -1}, {6, -1},  {6, 5},   {8, -1},
                              {8, 5},   {10, 1},  {10, 0},  {12, -1}, {9, 1},  {13, -1}, {0, 5},
                              {2, -1},  {3, -1},  {3, -1},  {15, -1}, {15, -1}, {16, 5}, {18, -1},
                              {18, -1}, {0, 3},   {18, 0},  {19, -1}};
/* products: up to 3 (species, coefficient) pairs, species -1 = none */
static const int PPs[25][3] = {{1, 2, -1},  {0, -1, -1}, {0, 5, -1},   {4, 7, -1},  {7, -1, -1},
                               {4, 7, -1},  {9, 4, 7},   {10, -1, -1}, {0, 9, 11},  {12, -1, -1},
                               {10, 0, -1}, {13, 0, -1}, {6, 4, -1},   {14, -1, -1}, {3, -1, -1},
                               {15, -1, -1}, {2, -1, -1}, {5, -1, -1}, {2, -1, -1}, {17, 4, -1},
                               {1, -1, -1}, {0, 2, -1},  {18, -1, -1}, {19, -1, -1}, {18, 0, -1}};
static const double PPc[25][3] = {{1, 1, 0}, {1, 0, 0}, {1, 1, 0}, {2, 1, 0}, {1, 0, 0},
                                  {1, 1, 0}, {1, 1, 1}, {1, 0, 0}, {1, 1, 1}, {1, 0, 0},
                                  {1, 1, 0}, {1, 1, 0}, {1, 1, 0}, {1, 0, 0}, {1, 0, 0},
                                  {1, 0, 0}, {1, 0, 0}, {2, 0, 0}, {1, 0, 0}, {1, 1, 0},
                                  {1, 0, 0}, {1, 1, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, 0}};
static void pollu_f(double t, const double *y, double *d) {
  (void)t;
  memset(d, 0, 20 * sizeof(double));
  for (int j = 0; j < 25; j++) {
    double r = PK[j] * y[PR[j][0]];
    if (PR[j][1] >= 0) r *= y[PR[j][1]];
    d[PR[j][0]] -= r;
    if (PR[j][1] >= 0) d[PR[j][1]] -= r;
    for (int q = 0; q < 3; q++)
      if (PPs[j][q] >= 0) d[PPs[j][q]] += PPc[j][q] * r;
  }
}
static void pollu_j(const double *y, double *J) {
  memset(J, 0, 400 * sizeof(double));
  for (int j = 0; j < 25; j++) {
    int a = PR[j][0], b = PR[j][1];
    for (int w = 0; w < 2; w++) { /* derivative w.r.t. reactant w */
      int m = PR[j][w];
      if (m < 0) continue;
      double dr = PK[j] * (b < 0 ? 1.0 : y[w == 0 ? b : a]);
      J[20 * a + m] -= dr;
      if (b >= 0) J[20 * b + m] -= dr;
      for (int q = 0; q < 3; q++)
        if (PPs[j][q] >= 0) J[20 * PPs[j][q] + m] += PPc[j][q] * dr;
    }
  }
}

/* ---------------------------------------------------------------- VDPOL (Test Set), eps = 1e-6 */
static const double EPS = 1.0e-6;
static void vdp_f(double t, const double *y, double *d) {
  (void)t;
  d[0] = y[1];
  d[1] = ((1.0 - y[0] * y[0]) * y[1] - y[0]) / EPS;
}
static void vdp_j(const double *y, double *J) {
  J[0] = 0.0;
  J[1] = 1.0;
  J[2] = (-2.0 * y[0] * y[1] - 1.0) / EPS;
  J[3] = (1.0 - y[0] * y[0]) / EPS;
}

/* ---------------------------------------------------------------- Van der Pol x'' = mu (1 - x^2) x' - x, mu = 1e6 */
static const double MU = 1.0e6;
static void vdp1e6_f(double t, const double *y, double *d) {
  (void)t;
  d[0] = y[1];
  d[1] = MU * (1.0 - y[0] * y[0]) * y[1] - y[0];
}
static void vdp1e6_j(const double *y, double *J) {
  J[0] = 0.0;
  J[1] = 1.0;
  J[2] = -2.0 * MU * y[0] * y[1] - 1.0;
  J[3] = MU * (1.0 - y[0] * y[0]);
}

/* ---------------------------------------------------------------- 2-D Brusselator */
static const double BA = 1.0, BB = 3.4, BALPHA = 10.0;
static double coord(int i, int n) { return (double)i / (double)(n - 1); }
static int in_source(int i, int j, int n) {
  double x = coord(i, n), y = coord(j, n);
  return (x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6) <= 0.1 * 0.1;
}
static void bruss_y0(int n, double *y0) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) {
      double x = coord(i, n), y = coord(j, n);
      y0[i + n * j] = 22.0 * pow(y * (1.0 - y), 1.5);
      y0[n * n + i + n * j] = 27.0 * pow(x * (1.0 - x), 1.5);
    }
}
static void bruss_f(int n, double t, const double *y, double *dy) {
  int nn = n * n;
  double dx = 1.0 / (double)(n - 1), k = BALPHA / (dx * dx);
  int on = t >= 1.1;
  const double *u = y, *v = y + nn;
  double *du = dy, *dv = dy + nn;
  for (int j = 0; j < n; j++) {
    int jm = j == 0 ? n - 1 : j - 1, jp = j + 1 == n ? 0 : j + 1;
    for (int i = 0; i < n; i++) {
      int im = i == 0 ? n - 1 : i - 1, ip = i + 1 == n ? 0 : i + 1;
      int p = i + n * j, w = im + n * j, e = ip + n * j, s = i + n * jm, nb = i + n * jp;
      double up = u[p], vp = v[p], uuv = up * up * vp;
      double lu = (u[w] + u[e] + u[s] + u[nb] - up * 4.0) * k;
      double lv = (v[w] + v[e] + v[s] + v[nb] - vp * 4.0) * k;
      double fu = lu + uuv - up * (BB + 1.0) + BA;
      if (on && in_source(i, j, n)) fu += 5.0;
      du[p] = fu;
      dv[p] = lv + up * BB - uuv;
    }
  }
}
/* Column c of the Jacobian: sorted (row, value) pairs; returns the count (6 for N >= 3). */
static int bruss_col(int n, const double *y, int c, int *rows, double *vals) {
  int nn = n * n, species = c / nn, p = c % nn, i = p % n, j = p / n;
  int im = i == 0 ? n - 1 : i - 1, ip = i + 1 == n ? 0 : i + 1;
  int jm = j == 0 ? n - 1 : j - 1, jp = j + 1 == n ? 0 : j + 1;
  double dx = 1.0 / (double)(n - 1), k = BALPHA / (dx * dx);
  double u = y[p], v = y[nn + p];
  int own = species == 0 ? 0 : nn, other = species == 0 ? nn : 0;
  double diag = species == 0 ? -4.0 * k + 2.0 * u * v - (BB + 1.0) : -4.0 * k - u * u;
  /* column u_p: row v_p holds d f_v / d u = b - 2uv; column v_p: row u_p holds d f_u / d v = u^2 */
  double cross = species == 0 ? BB - 2.0 * u * v : u * u;
  int r[6] = {own + p, other + p, own + im + n * j, own + ip + n * j, own + i + n * jm,
              own + i + n * jp};
  double val[6] = {diag, cross, k, k, k, k};
  int len = 0;
  for (int q = 0; q < 6; q++) {
    int found = -1;
    for (int z = 0; z < len; z++)
      if (rows[z] == r[q]) found = z;
    if (found >= 0) { vals[found] += val[q]; continue; }
    int z = len;
    while (z > 0 && rows[z - 1] > r[q]) { rows[z] = rows[z - 1]; vals[z] = vals[z - 1]; z--; }
    rows[z] = r[q];
    vals[z] = val[q];
    len++;
  }
  return len;
}

/* ---------------------------------------------------------------- dispatch */
static void prob_f(double t, const double *y, double *d) {
  if (!strcmp(P.name, "rober")) rober_f(t, y, d);
  else if (!strcmp(P.name, "hires")) hires_f(t, y, d);
  else if (!strcmp(P.name, "pollu")) pollu_f(t, y, d);
  else if (!strcmp(P.name, "vdpol")) vdp_f(t, y, d);
  else if (!strcmp(P.name, "vdp1e6")) vdp1e6_f(t, y, d);
  else bruss_f(P.bruss_n, t, y, d);
}
static void prob_dense_j(const double *y, double *J) {
  if (!strcmp(P.name, "rober")) rober_j(y, J);
  else if (!strcmp(P.name, "hires")) hires_j(y, J);
  else if (!strcmp(P.name, "pollu")) pollu_j(y, J);
  else if (!strcmp(P.name, "vdpol")) vdp_j(y, J);
  else if (!strcmp(P.name, "vdp1e6")) vdp1e6_j(y, J);
  else {
    int n = P.n;
    memset(J, 0, (size_t)n * n * sizeof(double));
    int rows[6];
    double vals[6];
    for (int c = 0; c < n; c++) {
      int len = bruss_col(P.bruss_n, y, c, rows, vals);
      for (int q = 0; q < len; q++) J[(size_t)rows[q] * n + c] = vals[q];
    }
  }
}
static void prob_y0(double *y0) {
  memset(y0, 0, P.n * sizeof(double));
  if (!strcmp(P.name, "rober")) y0[0] = 1.0;
  else if (!strcmp(P.name, "hires")) { y0[0] = 1.0; y0[7] = 0.0057; }
  else if (!strcmp(P.name, "pollu")) {
    y0[1] = 0.2; y0[3] = 0.04; y0[6] = 0.1; y0[7] = 0.3; y0[8] = 0.01; y0[16] = 0.007;
  } else if (!strcmp(P.name, "vdpol") || !strcmp(P.name, "vdp1e6")) { y0[0] = 2.0; y0[1] = 0.0; }
  else bruss_y0(P.bruss_n, y0);
}
static int set_problem(const char *name) {
  P.name = name;
  P.bruss_n = 0;
  P.sparse = 0;
  if (!strcmp(name, "rober")) P.n = 3;
  else if (!strcmp(name, "hires")) P.n = 8;
  else if (!strcmp(name, "pollu")) P.n = 20;
  else if (!strcmp(name, "vdpol") || !strcmp(name, "vdp1e6")) P.n = 2;
  else if (!strcmp(name, "bruss2d")) { P.bruss_n = 32; P.n = 2 * 32 * 32; P.sparse = 1; }
  else if (!strcmp(name, "bruss2d_128")) { P.bruss_n = 128; P.n = 2 * 128 * 128; P.sparse = 1; }
  else return -1;
  return 0;
}

/* ---------------------------------------------------------------- CVODE callbacks */
static int cv_f(realtype t, N_Vector y, N_Vector yd, void *ud) {
  (void)ud;
  prob_f(t, N_VGetArrayPointer(y), N_VGetArrayPointer(yd));
  return 0;
}
static double *JBUF;
static int cv_jdense(realtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1,
                     N_Vector t2, N_Vector t3) {
  (void)t; (void)fy; (void)ud; (void)t1; (void)t2; (void)t3;
  int n = P.n;
  prob_dense_j(N_VGetArrayPointer(y), JBUF);
  for (int c = 0; c < n; c++) {
    double *col = SUNDenseMatrix_Column(J, c);
    for (int r = 0; r < n; r++) col[r] = JBUF[(size_t)r * n + c];
  }
  return 0;
}
#ifdef HAVE_KLU
static int cv_jsparse(realtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1,
                      N_Vector t2, N_Vector t3) {
  (void)t; (void)fy; (void)ud; (void)t1; (void)t2; (void)t3;
  sunindextype *cp = SUNSparseMatrix_IndexPointers(J), *ri = SUNSparseMatrix_IndexValues(J);
  double *d = SUNSparseMatrix_Data(J);
  const double *yy = N_VGetArrayPointer(y);
  int rows[6];
  double vals[6];
  sunindextype nz = 0;
  for (int c = 0; c < P.n; c++) {
    cp[c] = nz;
    int len = bruss_col(P.bruss_n, yy, c, rows, vals);
    for (int q = 0; q < len; q++) { ri[nz] = rows[q]; d[nz] = vals[q]; nz++; }
  }
  cp[P.n] = nz;
  return 0;
}
#endif

typedef struct {
  long steps, nfe, nje, nsetups, netf, nncf, nni, nfels;
  int flag;
} Stats;

static int solve_once(double rtol, double atol, double t_end, double *yout, Stats *st) {
  SUNContext ctx;
  SUNContext_Create(NULL, &ctx);
  N_Vector y = N_VNew_Serial(P.n, ctx);
  prob_y0(N_VGetArrayPointer(y));
  void *mem = CVodeCreate(CV_BDF, ctx);
  CVodeInit(mem, cv_f, 0.0, y);
  CVodeSStolerances(mem, rtol, atol);
  CVodeSetMaxNumSteps(mem, 10000000);
  SUNMatrix A;
  SUNLinearSolver LS;
#ifdef HAVE_KLU
  if (P.sparse) {
    A = SUNSparseMatrix(P.n, P.n, 6L * P.n, CSC_MAT, ctx);
    LS = SUNLinSol_KLU(y, A, ctx);
    CVodeSetLinearSolver(mem, LS, A);
    CVodeSetJacFn(mem, cv_jsparse);
  } else
#endif
  {
    A = SUNDenseMatrix(P.n, P.n, ctx);
    LS = SUNLinSol_Dense(y, A, ctx);
    CVodeSetLinearSolver(mem, LS, A);
    CVodeSetJacFn(mem, cv_jdense);
  }
  double t = 0.0;
  int flag = CVode(mem, t_end, y, &t, CV_NORMAL);
  if (yout) memcpy(yout, N_VGetArrayPointer(y), P.n * sizeof(double));
  if (st) {
    st->flag = flag;
    CVodeGetNumSteps(mem, &st->steps);
    CVodeGetNumRhsEvals(mem, &st->nfe);
    CVodeGetNumJacEvals(mem, &st->nje);
    CVodeGetNumLinSolvSetups(mem, &st->nsetups);
    CVodeGetNumErrTestFails(mem, &st->netf);
    CVodeGetNumNonlinSolvConvFails(mem, &st->nncf);
    CVodeGetNumNonlinSolvIters(mem, &st->nni);
    CVodeGetNumLinRhsEvals(mem, &st->nfels);
  }
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
  N_VDestroy(y);
  SUNContext_Free(&ctx);
  return flag;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double median_of(const double *v, int n) {
  if (n <= 0) return 0.0;
  double *s = malloc(n * sizeof(double));
  memcpy(s, v, n * sizeof(double));
  qsort(s, n, sizeof(double), cmp);
  double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  free(s);
  return m;
}
static void print_vec(const char *key, const double *v, int n) {
  printf("\"%s\": [", key);
  for (int i = 0; i < n; i++) printf("%s%.17g", i ? ", " : "", v[i]);
  printf("]");
}

int main(int argc, char **argv) {
  if (argc < 3 || set_problem(argv[2])) {
    fprintf(stderr, "usage: cvode_stiff solve PROBLEM RTOL ATOL T_END SAMPLES MIN_BATCH_MS | rhs PROBLEM\n");
    return 2;
  }
  int n = P.n;
  JBUF = P.sparse && n > 4096 ? NULL : malloc((size_t)n * n * sizeof(double));
  double *y = malloc(n * sizeof(double)), *d = malloc(n * sizeof(double));
  if (!strcmp(argv[1], "rhs")) {
    prob_y0(y);
    prob_f(0.0, y, d);
    printf("{\"problem\": \"%s\", ", P.name);
    print_vec("f0", d, n);
    for (int i = 0; i < n; i++) y[i] += 1e-3 * (1 + i % 7);
    prob_f(1.2, y, d);
    printf(", ");
    print_vec("f_probe", d, n);
    printf("}\n");
    return 0;
  }
  if (argc < 8) return 2;
  double rtol = atof(argv[3]), atol = atof(argv[4]), t_end = atof(argv[5]);
  int samples = atoi(argv[6]);
  double min_batch = atof(argv[7]) * 1e-3;
#ifndef HAVE_KLU
  if (P.sparse && !JBUF) {
    printf("{\"error\": \"no KLU: dense LU of %d unknowns not attempted\"}\n", n);
    return 0;
  }
#endif
  Stats st;
  double t0 = now(), c0 = cpu_now();
  int flag = solve_once(rtol, atol, t_end, y, &st);
  double single = now() - t0, single_cpu = cpu_now() - c0;
  double *times = malloc((samples > 0 ? samples : 1) * sizeof(double));
  double *cpu = malloc((samples > 0 ? samples : 1) * sizeof(double));
  for (int s = 0; s < samples; s++) {
    int batch = single > 0 ? (int)ceil(min_batch / single) : 1;
    if (batch < 1) batch = 1;
    double a = now(), c = cpu_now();
    for (int b = 0; b < batch; b++) solve_once(rtol, atol, t_end, NULL, NULL);
    times[s] = (now() - a) / batch;
    cpu[s] = (cpu_now() - c) / batch;
  }
  double *sorted = malloc((samples > 0 ? samples : 1) * sizeof(double));
  memcpy(sorted, times, samples * sizeof(double));
  qsort(sorted, samples, sizeof(double), cmp);
  double med = samples == 0 ? single
               : samples % 2 ? sorted[samples / 2]
                             : 0.5 * (sorted[samples / 2 - 1] + sorted[samples / 2]);
#ifdef HAVE_KLU
  const char *ls = P.sparse ? "KLU" : "dense";
#else
  const char *ls = "dense";
#endif
  printf("{\"problem\": \"%s\", \"solver\": \"CVODE BDF\", \"linsol\": \"%s\", \"rtol\": %g, "
         "\"atol\": %g, \"t_end\": %.17g, \"flag\": %d, \"steps\": %ld, \"nfe\": %ld, "
         "\"nfe_ls\": %ld, \"nje\": %ld, \"nsetups\": %ld, \"netf\": %ld, \"nncf\": %ld, "
         "\"nni\": %ld, \"first_s\": %.6g, \"median_s\": %.6g, ",
         P.name, ls, rtol, atol, t_end, flag, st.steps, st.nfe, st.nfels, st.nje, st.nsetups,
         st.netf, st.nncf, st.nni, single, med);
  /* SAMPLES = 0 (bruss2d_128): the first solve is the only timing */
  if (samples == 0) {
    times[0] = single;
    cpu[0] = single_cpu;
  }
  int ns = samples > 0 ? samples : 1;
  print_vec("times_s", times, ns);
  printf(", \"median_cpu_s\": %.6g, ", median_of(cpu, ns));
  print_vec("cpu_s", cpu, ns);
  printf(", ");
  print_vec("y", y, n);
  printf("}\n");
  return 0;
}
