"""Shared pytest set-up: headless pygame for every test, and numba threads shared out among
pytest-xdist workers."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# Under `pytest -n N` each of the N workers would start one numba thread per core: N x cores
# threads on the machine. Give each worker its share, but never fewer than 2 threads, so the
# parallel kernels still run on more than one thread. This must happen before numba is imported.
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _workers > 1 and "NUMBA_NUM_THREADS" not in os.environ:
    os.environ["NUMBA_NUM_THREADS"] = str(max(2, (os.cpu_count() or 2) // _workers))
