from setuptools import setup
def get_requirements():
    with open('requirements.txt') as f:
        return f.read().splitlines()
setup(name='c', setup_requires=get_requirements(), install_requires=[l for l in open('r')], extras_require=E)
