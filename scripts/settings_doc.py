#!/usr/bin/env python3
"""Write docs/settings.md from the settings schema (newsletter.settings.iter_documented).

Run it after adding or changing a setting: `python3 scripts/settings_doc.py`.
tests/test_docs.py fails when docs/settings.md is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "settings.md"

INTRO = """\
# newsletter.yaml settings

`newsletter.yaml` sits at the top of a workspace and holds what every issue shares. Commands
find it in the current folder or a parent, or take `-C DIR`. `newsletter init` writes one with
every key below, commented.

- **Required** keys must have a value; a missing one stops the build with
  `Error: newsletter.yaml:LINE: required setting 'KEY' is missing`.
- An unknown key is a warning with a did-you-mean (`unknown setting 'langauge' (did you mean
  'language'?)`); the build goes on.
- Wrong types, colours that aren't `#RGB`/`#RRGGBB` hex, URLs that aren't http(s)
  (`unsubscribe_url` and `preferences_url` may also be `mailto:` or one service tag), sender
  addresses that aren't addresses, a `language` that isn't a language tag (`en`, `en-GB`), an
  unknown `timezone` (with a did-you-mean), an unknown email service profile, numbers out of
  range, a font stack with `{ } ; < >` or `\\` in it, and a key given twice are errors naming
  the line. Every problem in the file is reported at once.
- Nested keys are written as YAML mappings: `theme.colors.text` is

  ```yaml
  theme:
    colors:
      text: "#1F1D1A"
  ```

This page is generated from the settings schema by `scripts/settings_doc.py`; don't edit it by hand.

| Key | Default | What it does |
|---|---|---|
"""

def _cell(value: Any) -> str:
    if value is None:
        return "(group)"
    if value == "" or value == []:
        return "(empty)"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, (int, float)) else str(value)
    if isinstance(value, list):
        text = ", ".join(value)
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from newsletter.settings import REQUIRED_KEYS, iter_documented

    rows = []
    for key, default, doc in iter_documented():
        required = " **Required.**" if key in REQUIRED_KEYS else ""
        doc_text = doc.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        rows.append(f"| `{key}` | {_cell(default)} | {doc_text}{required} |")
    return INTRO + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
