import os

# numpy comes in with every start (openpyxl, for the spreadsheet imports and exports, loads it when
# it is installed), and its BLAS starts a spinning thread per core at import: ~0.1 s of CPU for
# each manage.py command, web worker and Celery process.  One BLAS thread per process is what a
# server with several processes per core wants; the review assignment's arrays are small.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from saas.celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"
