"""Offline stand-in for the get-pip script that ansible-test downloads.

ansible-test bootstraps pip in its virtual environments by downloading
get-pip.py, which fails on machines that only reach a package index.
`make setup` copies this file to ~/.ansible/test/cache/get_pip_24_2.py so
ansible-test finds it cached: it installs pip with ensurepip and then runs
`python -m pip install` with the arguments it was given.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
