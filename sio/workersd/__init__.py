"""``sio-workersd``: OIOIOI's sioworkersd protocol on top of the Celery fleet
(see :mod:`sio.workersd.server`)."""
