"""Jobs that run programs: ``exec``/``cpu-exec`` (SupervisedExecutor),
``sio2jail-exec`` (Sio2JailExecutor), ``unsafe-exec``
(DetailedUnprotectedExecutor), with output checking (:mod:`.checker`), and
the test-preparation jobs ``ingen`` and ``inwer``."""
