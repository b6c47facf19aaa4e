"""``sio-judge``: test a whole task package locally in one command (see
:mod:`sio.judge.cli`)."""
