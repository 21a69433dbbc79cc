"""What every test process shares."""

from __future__ import annotations

import functools

try:
    from streamlit.components.v2 import manifest_scanner
except ImportError:  # another Streamlit: the scan below is only a cost, never a result
    manifest_scanner = None

# Every new AppTest scans each installed package's metadata for Streamlit components on its first run (a tenth of
# a second, a fifth of a typical page test: the non-browser suite took 86 s on two workers with it, 59 s without).
# Installed packages do not change while the tests run, so each test process scans once, as a server does once
# when it starts.
if manifest_scanner is not None and hasattr(manifest_scanner, "scan_component_manifests"):
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
