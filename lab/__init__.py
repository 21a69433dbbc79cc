"""Backprop Lab below the pages: plain Python in packages with one job each (see each package's docstring)."""
