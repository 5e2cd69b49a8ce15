"""The oracle tests share one helper module, `tt_core_oracle.py` (cases, strategies, checks).

pytest runs in importlib mode (see pytest.ini), which puts no test folder on
sys.path, so this folder is added here for the test modules to import it. The
helper's name is unique across packages, so another package's oracle helpers
cannot shadow it.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent))
