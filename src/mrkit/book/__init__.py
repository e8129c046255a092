"""The book machine: run plan, incremental parallel notebook execution, site build."""
