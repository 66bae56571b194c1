from setuptools import setup
exec(open('v.py').read())
with open('R') as f:
    deps = ['a']
setup(install_requires=deps, version=__version__)
