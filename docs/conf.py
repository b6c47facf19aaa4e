"""Sphinx configuration of sioworkers' documentation (built warning-free
by the test suite: tests/test_docs.py)."""

project = 'sioworkers'
author = 'sioworkers developers'
release = '2.0.0'

extensions = ['sphinx.ext.autodoc', 'sphinx.ext.doctest', 'sphinx.ext.intersphinx']
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
intersphinx_mapping = {}
exclude_patterns = ['_build']
html_static_path = ['_static']
html_theme = 'alabaster'
nitpicky = False
# The runnable Python snippets (``testcode``) run in a job directory of
# their own, with local files.
doctest_global_setup = '''
import os, tempfile
os.chdir(tempfile.mkdtemp(prefix='sio-docs-'))
'''
