"""MR methods: estimators, tests and diagnostics on harmonised summary data (arrays in, result rows out).

May import: the core modules (:mod:`mrkit.errors`, :mod:`mrkit.rng`, :mod:`mrkit.paths`) and numpy,
scipy, pandas, statsmodels. Imports nothing from :mod:`mrkit.gwas`, :mod:`mrkit.simulate`,
:mod:`mrkit.paper`, :mod:`mrkit.book` or :mod:`mrkit.commands`: the methods know no files, panels or pages.

Where each method is (one module per concern; R function names in each docstring):

* the table of every method at once: :mod:`.estimate` (``mrkit.mr``, TwoSampleMR ``mr``)
* the input container for harmonised data: :mod:`.mrdata`
* conventions that differ between the R packages: :mod:`.conventions`
* normal, t, chi-squared and F probabilities from scipy.special (scipy.stats' numbers, without its
  start-up cost): :mod:`.distributions`
* every estimator is written once over arrays with a leading replicate axis (one dataset is a batch of one):
  the input check, seeds and result dict :mod:`.replicates`; the one registry of method ids that ``mrkit.mr()``,
  the scan and the simulation study run :mod:`.registry`
* Wald ratio :mod:`.wald`; IVW :mod:`.ivw`; MR-Egger :mod:`.egger`; simple, weighted and penalised
  weighted median :mod:`.median`; mode-based estimates :mod:`.mode` (kernel density :mod:`.density`);
  maximum likelihood :mod:`.ml` (R's Nelder-Mead :mod:`.nelder_mead`); MR-RAPS :mod:`.raps` (Brent's root
  finder and R's optimize :mod:`.brent`); MR-PRESSO :mod:`.presso`
* the robust family (issue 23), each equal to its R function: dIVW and pIVW :mod:`.divw`; robust and penalised
  IVW and MR-Egger :mod:`.robust_regression` (robustbase's MM-estimator :mod:`.lmrob`); MR-Lasso and MV-Lasso
  :mod:`.mrlasso` (glmnet's path :mod:`.lasso_path`); contamination mixture :mod:`.conmix`; cML-MA-BIC
  :mod:`.cml`; HetPen :mod:`.hetpen`; NOME modes :mod:`.mode_nome`; sign concordance test and unweighted regression
  :mod:`.sign_concordance`; MR-GRIP :mod:`.grip`; Rucker's framework :mod:`.rucker`; bootstrap MR-Egger
  :mod:`.egger_bootstrap`; radial IVW and MR-Egger :mod:`.radial`, RadialMR's iterative and exact rows
  :mod:`.radial_exact`; CLR/AR/K intervals :mod:`.clr`; PC-GMM :mod:`.pcgmm`; MVMR-cML :mod:`.mvcml`; R's grid and
  interval rules :mod:`.grid_search`; what each method is (label, assumption family, R function, the methods
  chapter's entry) :mod:`.method_info`, one record per id in each module's ``METHODS``
* Cochran's Q, Rucker's Q' and the Egger intercept: :mod:`.heterogeneity`; leave-one-out and
  single-SNP analyses: :mod:`.sensitivity`
* F statistics and variance explained: :mod:`.strength`; Steiger directionality :mod:`.steiger`;
  power and minimum detectable effects :mod:`.power`
* multivariable MR: the table :mod:`.multivariable` (``mv_mr``), MV-IVW and MV-Egger :mod:`.mv_ivw`, MV
  median :mod:`.mv_median`, conditional F and Q_A with or without correlated exposure estimates
  :mod:`.mv_diagnostics`, the design check and weighted least
  squares :mod:`.mv_design`, the input container :mod:`.mvdata`; mediation (product of coefficients,
  difference, proportion mediated): :mod:`.mediation`
"""
