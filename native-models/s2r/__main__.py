import os
import sys

# glibc returns big buffers to the kernel and faults them back every step (system time equalled
# user time, 2x slower at batch 8). The tunable is read at process start, so re-exec once with it.
_TUNABLES = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=17179869184"
if "GLIBC_TUNABLES" not in os.environ and not os.environ.get("S2R_NO_REEXEC"):
    os.environ["GLIBC_TUNABLES"] = _TUNABLES
    os.execv(sys.executable, [sys.executable, "-m", "s2r"] + sys.argv[1:])

from .cli import main  # noqa: E402

sys.exit(main())
