"""Small helpers shared by jobs, by concern in :mod:`sio.workers.jobdir`
(the job directory), :mod:`sio.workers.environ` (environ keys, output as
text) and :mod:`sio.workers.compat` (upstream's helpers); every name is
here too, as upstream's ``sio.workers.util`` has them."""

from sio.workers.compat import (  # noqa: F401
    PerfTimer,
    RegisteredSubclassesBase,
    Writable,
    ceil_ms2s,
    decode_fields,
    first_entry_point,
    ms2s,
    null_ctx_manager,
    path_join_abs,
    replace_invalid_UTF,
    s2ms,
)
from sio.workers.environ import (  # noqa: F401
    decode_output,
    jsonable,
    map_leaves,
    require,
    truncate_bytes,
)
from sio.workers.jobdir import (  # noqa: F401
    JOB_DIR_PREFIX,
    TemporaryCwd,
    caller_cwd,
    in_job_directory,
    remove_abandoned_job_dirs,
    rmtree,
    set_caller_cwd,
    tempcwd,
)
