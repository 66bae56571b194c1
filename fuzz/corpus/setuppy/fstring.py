from setuptools import setup
x = f"{d['k']!r:>{w}}"  # setup(name='no')
y = rb'\d' + Rb"""a
b""" + F'''{x}
'''
s = 'a\
b'
setup(name=s, version='''1\
.0''')
