"""The environ keys sioworkers' own jobs read, for spotting misspelt ones
(``exec_time_limt``): a key close to a known one and unknown itself is
warned about; jobs of other packages may read any key they like."""

import difflib
import logging

logger = logging.getLogger(__name__)

KNOWN_KEYS = frozenset('''
job_type prefilters postfilters filetracker_url use_filetracker use_sandboxes debug
worker result exception traceback group_id task_id contest_uid contest_priority
contest_weight task_priority priority exclusive required_ram_mib return_url
source_file out_file compiler compilation_time_limit compilation_real_time_limit
compilation_mem_limit compilation_output_limit compilation_result_size_limit
additional_includes additional_sources additional_archive extra_files
extra_compilation_args problem_short_name compiler_output exec_info
exe_file in_file hint_file chk_file upload_out check_output untrusted_checker
exec_time_limit exec_mem_limit exec_real_time_limit exec_out_limit
extra_execution_files checker_mem_limit checker_time_limit checker_real_time_limit
checker_output_limit checker_format result_code result_string result_percentage
time_used mem_used num_syscalls return_code real_time_used exit_signal
time_measure memory_bound re_string collected_files_path collected_files
ingen_mem_limit ingen_time_limit ingen_real_time_limit ingen_output_limit stdout
in_file_name inwer_mem_limit inwer_time_limit inwer_real_time_limit inwer_output_limit
interactor_file num_processes interactor_mem_limit interactor_time_limit
interactor_real_time_limit ping pong fake_time
'''.split())

#: Keys OIOIOI and upstream's sioworkers put in environs that a job passes
#: on untouched, which are near enough to one of ours to look misspelt:
#: never warned about. (OIOIOI copies its whole evaluation environ into a
#: compile job: every key it reads there may arrive.)
PEER_KEYS = frozenset('''
contest_id check_outputs oioioi_instance real_time_killed
additional_include additional_source extra_file compile_mem_limit
supervisor_return_code workers_jobs extra_execution_args
'''.split())


def warn_about_misspelt_keys(environ: dict) -> list[str]:
    """Log a warning for each key that looks like a misspelt known one;
    returns the warnings."""
    warnings = []
    for key in environ:
        if not isinstance(key, str) or key in KNOWN_KEYS or key in PEER_KEYS:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.85)
        if close:
            warnings.append(f'environ key {key!r} is not one sioworkers knows; did you mean '
                            f'{close[0]!r}?')
            logger.warning(warnings[-1])
    return warnings
