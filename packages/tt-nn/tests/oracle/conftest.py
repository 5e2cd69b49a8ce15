"""The oracle tests share one helper module, `tt_nn_oracle.py` (checks and strategies).

pytest runs in importlib mode (see pytest.ini), which puts no test folder on
sys.path, so this folder is added here for the test modules to import it. The
helper's name is unique across packages (tt-core's is `tt_core_oracle`).
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent))
