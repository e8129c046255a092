"""The book machine: run plan, incremental parallel notebook execution (papermill), site build, PDF edition.

* the run plan :mod:`.runplan`; the run keys :mod:`.fingerprint`; one run :mod:`.execute`; the build
  :mod:`.pipeline`; staging and rendering the site :mod:`.site`; headless Chromium on a local server
  :mod:`.browser`; the PDF edition :mod:`.pdf`

May import every layer below it (core, methods, gwas, simulate, paper); only :mod:`mrkit.commands`
imports it. Nothing here changes a number on a page: its code is left out of the runs' keys.
"""
