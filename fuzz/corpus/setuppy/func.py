from setuptools import setup
def main():
    setup(name='x')
main()
