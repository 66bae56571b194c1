import sys
from setuptools import setup
deps = ['a']
if sys.version_info < (3, 8):
    deps = deps + ['importlib_metadata']
extra = ['x']
extra.append('y')
for lib in ['z']: pass
setup(install_requires=deps, extras_require={'e': extra}, python_requires=lib, **kw)
