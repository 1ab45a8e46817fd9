"""CI log formats: Gitea/GitHub Actions, GitLab, Jenkins, Travis."""

from __future__ import annotations

from bot.triage import Category, triage


def stamp(i: int) -> str:
    return f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}.{i:07d}Z "


def test_gitea_actions_log_with_groups_and_steps() -> None:
    body = ["::group::Set up job", "Pulling image node:20", "::endgroup::",
            "::group::Run npm ci", "npm WARN deprecated glob@7.2.3", "added 812 packages in 21s", "::endgroup::",
            "::group::Run npm test"]
    body += [f"  ✓ case {i} (3 ms)" for i in range(120)]
    body += ["  1 failing", "", "  1) api", "       returns 200:", "     AssertionError: expected 500 to equal 200",
             "      at Context.<anonymous> (test/api.test.js:14:22)", "", "::endgroup::",
             "##[error]Process completed with exit code 1.", "::group::Post job cleanup", "Stop container",
             "::endgroup::"]
    log = "\n".join(stamp(i) + line for i, line in enumerate(body)).encode()
    result = triage(log)
    wanted = body.index("     AssertionError: expected 500 to equal 200") + 1
    assert wanted in result.lines
    assert result.category is Category.TEST
    assert "2024-05-01" not in result.excerpt


def test_gitlab_job_log() -> None:
    log = (b"Running with gitlab-runner 16.0\n$ bundle install\nFetching gem metadata\n"
           b"Could not find gem 'rails (= 99.0)' in locally installed gems.\n"
           b"Cleaning up project directory and file based variables\nERROR: Job failed: exit code 7\n")
    result = triage(log)
    assert 4 in result.lines
    assert result.category is Category.DEPENDENCY


def test_jenkins_log_keeps_the_stack_trace_head() -> None:
    log = (b"[Pipeline] sh\n+ ./gradlew build\nFAILURE: Build failed with an exception.\n\n"
           b"* What went wrong:\nExecution failed for task ':compileJava'.\n"
           b"> Compilation failed; see the compiler error output for details.\n\n* Try:\n"
           b"> Run with --stacktrace option to get the stack trace.\n"
           b"Build step 'Invoke Gradle script' marked build as failure\nFinished: FAILURE\n")
    result = triage(log)
    assert {6, 7} <= set(result.lines)


def test_travis_passed_commands_are_demoted() -> None:
    lines = ["$ ./lint.sh", "warning: could not find optional config, using defaults",
             "ERROR: deprecated option --foo ignored", 'The command "./lint.sh" exited with 0.',
             "$ make test"] + ["ok " + str(i) for i in range(50)] + [
             "test_io.c:88: assertion failed: read_all(fd) == 4", "make: *** [test] Error 1",
             'The command "make test" exited with 2.', "", "Done. Your build exited with 1."]
    result = triage("\n".join(lines).encode())
    assert 3 not in result.lines
    assert lines.index("test_io.c:88: assertion failed: read_all(fd) == 4") + 1 in result.lines


def test_fallback_without_error_words_points_at_the_end_of_the_failing_step() -> None:
    lines = ["$ ./check.sh"] + [f"checked file {i}" for i in range(100)] + [
        "Overfull hbox in paragraph at lines 12--14", 'The command "./check.sh" exited with 1.']
    result = triage("\n".join(lines).encode())
    assert 102 in result.lines and 103 in result.lines     # the last words and the step's exit line
    assert len(result.lines) <= 40                        # the rest of the budget: the lines just before
    assert set(result.lines) == set(range(64, 104))
