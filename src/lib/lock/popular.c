/*
 * popular.c - the projects a typosquatter would imitate: about 150 of the
 * most-downloaded projects on PyPI, taken from the top of the public
 * monthly download rankings (pypinfo / BigQuery "top PyPI packages" lists,
 * 2024-2025).  Kept small on purpose: the check flags names one edit away
 * from these, and a long list of obscure names would only add noise.
 * Names are in PEP 503 normal form and sorted.
 */
#include "deeplock/audit.h"

static const char *const POPULAR[] = {
    "aiobotocore", "aiohttp", "aiosignal", "annotated-types", "anyio", "argcomplete", "asn1crypto",
    "async-timeout", "attrs", "azure-core", "azure-identity", "azure-storage-blob", "babel", "bcrypt",
    "beautifulsoup4", "black", "bleach", "boto3", "botocore", "build", "cachetools", "certifi", "cffi",
    "chardet", "charset-normalizer", "click", "cloudpickle", "colorama", "coverage", "cryptography",
    "cycler", "cython", "decorator", "defusedxml", "deprecated", "dill", "distlib", "distro", "django",
    "dnspython", "docker", "docutils", "et-xmlfile", "exceptiongroup", "fastapi", "filelock", "flake8",
    "flask", "fonttools", "frozenlist", "fsspec", "gitdb", "gitpython", "google-api-core", "google-auth",
    "google-cloud-storage", "googleapis-common-protos", "greenlet", "grpcio", "grpcio-status", "gunicorn",
    "h11", "httpcore", "httptools", "httpx", "huggingface-hub", "idna", "importlib-metadata",
    "importlib-resources", "iniconfig", "isodate", "isort", "itsdangerous", "jinja2", "jmespath",
    "joblib", "jsonpointer", "jsonschema", "jsonschema-specifications", "keyring", "kiwisolver", "lxml",
    "markdown", "markdown-it-py", "markupsafe", "matplotlib", "mccabe", "mdurl", "more-itertools",
    "msgpack", "multidict", "mypy", "mypy-extensions", "networkx", "nodeenv", "numpy", "oauthlib",
    "openpyxl", "opentelemetry-api", "packaging", "pandas", "paramiko", "pathspec", "pexpect", "pillow",
    "pip", "platformdirs", "pluggy", "poetry-core", "prompt-toolkit", "propcache", "protobuf", "psutil",
    "psycopg2", "psycopg2-binary", "ptyprocess", "pyarrow", "pyasn1", "pyasn1-modules", "pycodestyle",
    "pycparser", "pydantic", "pydantic-core", "pyflakes", "pygments", "pyjwt", "pylint", "pymysql",
    "pynacl", "pyopenssl", "pyparsing", "pyproject-hooks", "pytest", "pytest-cov", "pytest-mock",
    "python-dateutil", "python-dotenv", "pytz", "pyyaml", "redis", "referencing", "regex", "requests",
    "requests-oauthlib", "requests-toolbelt", "rich", "rpds-py", "rsa", "ruamel-yaml", "s3fs",
    "s3transfer", "scikit-learn", "scipy", "setuptools", "setuptools-scm", "shellingham", "six",
    "smmap", "sniffio", "soupsieve", "sqlalchemy", "starlette", "sympy", "tabulate", "tenacity",
    "termcolor", "threadpoolctl", "tomli", "tomlkit", "toolz", "tqdm", "trove-classifiers", "typing-extensions",
    "typing-inspection", "tzdata", "urllib3", "uvicorn", "virtualenv", "wcwidth", "websocket-client",
    "websockets", "werkzeug", "wheel", "wrapt", "xmltodict", "yarl", "zipp",
};

const char *const *dl_audit_popular(size_t *n)
{
	*n = sizeof(POPULAR) / sizeof(POPULAR[0]);
	return POPULAR;
}
