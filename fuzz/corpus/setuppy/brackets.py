setup(
  name=['x')
