"""A CI runner for the fake Gitea test harness: it runs a repository's Gitea Actions workflows for real.

    fake = FakeGitea("1.26.0", ci_runner=CiRunner(workdir))
    ids = install_sample(fake, "acme/widget", bug="off_by_one")   # red run on a feature branch
    fake.wait_ci()                                                # after further pushes/dispatches

The sample repository (`harness/sample_repo/`) is a tiny Python project whose CI is
`python -m pytest -q`; `sample_files()` gives its variants (seeded bugs, a flaky test).
"""

from harness.fake_ci.external import ExternalCi
from harness.fake_ci.runner import CiRunner
from harness.fake_ci.sample import BUGS, FLAKY_TEST, SAMPLE_REPO, Bug, clean_files, install_sample, sample_files

__all__ = ["BUGS", "FLAKY_TEST", "SAMPLE_REPO", "Bug", "CiRunner", "ExternalCi", "clean_files", "install_sample",
           "sample_files"]
