"""tt-text's oracle tests share `tt_text_oracle.py`.

pytest runs in importlib mode (see pytest.ini), which puts no test folder on
sys.path, so this folder is added here; the helper's name is unique across
packages so that no other package's oracle helpers can shadow it.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent))
