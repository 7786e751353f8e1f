"""Generative tests: one intra-op thread.

The models under test are tiny; on a small shared machine two OpenMP threads spin against other
processes and make steps up to 50x slower, so the suite pins torch to one thread (subprocesses
get ``OMP_NUM_THREADS=1`` from ``_helpers.python_env``).
"""

import torch

torch.set_num_threads(1)
