"""The click commands: parse, delegate to the layers below, map errors to exit codes."""
import os

# One BLAS thread in the judge, set before anything imports numpy (as grade-all's pool does for its judges):
# its matrix products are small, and OpenBLAS starting and spinning a thread per core cost `nngrade check`
# ~0.1 CPU-s on the cores its sandbox worker needs (benchmarks/bench_speed.py). A user's own setting stays.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
