"""The instructor-only oracle tests share `tt_text_nanogpt.py` (nanoGPT's model in PyTorch).

pytest runs in importlib mode (see pytest.ini), which puts no test folder on
sys.path, so this folder is added here. A release drops the whole folder.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent))
