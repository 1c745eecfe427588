"""Paper classifiers that map an arXiv paper onto one category of the default taxonomy."""
