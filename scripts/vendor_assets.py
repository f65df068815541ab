"""Copy the front-end files kg serves from node_modules into kg/web/vendor.

Run after `npm ci` whenever package.json changes; the copies (with their licences) are
committed so that kg works offline after a plain `pip install`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "kg" / "web" / "vendor"
# package -> files inside the package to copy (the licence travels with the code)
ASSETS: dict[str, list[str]] = {
    "cytoscape": ["dist/cytoscape.min.js", "LICENSE"],
}


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for package, files in ASSETS.items():
        source = ROOT / "node_modules" / package
        version = json.loads((source / "package.json").read_text(encoding="utf-8"))["version"]
        for name in files:
            target = VENDOR / package / Path(name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target)
        manifest[package] = version
    (VENDOR / "versions.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
