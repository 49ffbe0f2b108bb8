"""Checks the Python bindings jsii-pacmak generated (npm run package:python): every module parses, and the
package exposes the construct library's public API. Importing them would need the jsii runtime and
aws-cdk-lib for Python, which only PyPI has."""

import ast
import pathlib
import sys

SOURCES = pathlib.Path(__file__).resolve().parent.parent / "dist-jsii" / "python" / "src" / "ml_exports"
EXPECTED = {"MlExportWorkflow", "MlExportWorkflowProps", "ExportBucket", "ExportLocation", "IngestionMode", "PollingStrategy", "ExportEventType"}

files = sorted(SOURCES.rglob("*.py"))
if not files:
    sys.exit(f"no Python modules under {SOURCES}: run jsii-pacmak first")
for file in files:
    ast.parse(file.read_text(encoding="utf-8"), str(file))
init = ast.parse((SOURCES / "__init__.py").read_text(encoding="utf-8"))
classes = {node.name for node in init.body if isinstance(node, ast.ClassDef)}
missing = EXPECTED - classes
if missing:
    sys.exit(f"ml_exports/__init__.py lacks {sorted(missing)}")
print(f"{len(files)} Python modules parse; ml_exports defines {len(classes)} classes")
