import setuptools as st
reqs = ('a', 'b'); reqs = reqs + ('c',)
if __name__ == '__main__':
    st.setup(install_requires=reqs, extras_require=dict(dev=['x'], doc='y'), name=f'p{{b}}', version=None)
