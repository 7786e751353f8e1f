"""``python -m generative ARGS`` for a torchrun worker, then a check that training let go of
the process group (not a test module).

Exits 70 when Gloo's threads are still running after the command returned: the default group
was kept alive past ``destroy_process_group`` and would be torn down in interpreter
finalisation, where it aborts the process now and then.  Linux only (reads ``/proc``);
elsewhere the check is skipped.
"""

from __future__ import annotations

import os
import sys

from generative.__main__ import main


def thread_names() -> list[str]:
    """Names of this process's OS threads (empty where ``/proc`` is not available)."""
    task = "/proc/self/task"
    names = []
    for tid in os.listdir(task) if os.path.isdir(task) else []:
        try:
            with open(f"{task}/{tid}/comm") as f:
                names.append(f.read().strip())
        except OSError:  # the thread ended while we looked
            continue
    return names


if __name__ == "__main__":
    rc = main(sys.argv[1:])
    left = [n for n in thread_names() if "gloo" in n]
    if left:
        print(
            f"rank {os.environ.get('RANK')}: process-group threads still running after the command returned: {left}",
            file=sys.stderr,
        )
        sys.exit(70)
    sys.exit(rc)
