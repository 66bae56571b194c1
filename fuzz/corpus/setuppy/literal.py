from setuptools import setup, find_packages
NAME = "demo"
VERSION = '1.' '2' """.3"""
BASE = ["requests>=2", 'idna',]
EXTRA: list = BASE + ["rich; python_version >= '3.8'"]
EXTRA += ('click',)
setup(name=NAME, version=VERSION, python_requires=">=3.8", packages=find_packages(),
      install_requires=EXTRA, setup_requires=['setuptools_scm>=6', \
      "wheel"], extras_require={"test": ["pytest", r"cov\erage", u'\x41b\u00e9'], 'docs': "sphinx\nfuro  # t",
      ":python_version<'3.8'": ["importlib_metadata"], 'none': None})
