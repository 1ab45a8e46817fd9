"""JSON shapes of the fake Gitea test harness for users, repositories, issues, comments and labels.

Field names and order follow Gitea 1.25's API structs (swagger.v1.json definitions and the example
deliveries); `IssueShapes(state, viewer)` renders records as the viewer would see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from harness.fake_gitea.state import LEVELS, Attachment, Comment, Issue, Label, Reaction, Repo, State, User

Json = dict[str, Any]
ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time, which Gitea prints for unset non-pointer times
UNIX_ZERO = "1970-01-01T00:00:00Z"  # timeutil.TimeStamp(0).AsLocalTime() with a UTC server
ANONYMOUS: Any = None  # `convert.ToUser(ctx, user, nil)`: the user as nobody signed in sees them
_VIEWER: Any = object()  # the default: the user as the request's caller sees them


def stamp(when: datetime | None) -> str | None:
    """RFC 3339 in UTC, as Gitea prints times (None stays None)."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


class IssueShapes:
    """Renders state records as Gitea API JSON for one viewer."""

    def __init__(self, state: State, viewer: User | None = None) -> None:
        self.state = state
        self.viewer = viewer
        self.web = state.web_url
        self.api = state.base_url + "/api/v1"

    def user(self, user: User, viewer: User | None = _VIEWER) -> Json:
        """User as `viewer` (default: the caller; ANONYMOUS where Gitea passes a nil doer) sees them.

        services/convert/user.go::ToUser / toUser @v1.25.4: `email` is the no-reply placeholder unless
        someone is signed in; `is_admin`, `active`, `last_login`, `language`, `login_name`, `source_id`
        and `prohibit_login` are filled only for the user themself or a site admin (else false, Go's
        zero time, ""). Gitea passes a nil doer for comment posters, assignees, status creators, run
        actors and webhook senders.
        """
        viewer = self.viewer if viewer is _VIEWER else viewer
        signed = viewer is not None
        return self._user(user, signed, signed and (viewer is user or viewer.admin))

    def _user(self, user: User, signed: bool, authed: bool) -> Json:
        # models/user/avatar.go::AvatarLinkWithSize @v1.25.4: the Actions user (and any id <= 0) gets
        # avatars.DefaultAvatarLink(), a path under ROOT_URL's sub-path.
        avatar = (f"{urlsplit(self.web).path.rstrip('/')}/assets/img/avatar_default.png" if user.id <= 0
                  else f"{self.web}/avatars/{user.id}")
        return {
            "id": user.id, "login": user.login, "login_name": "", "source_id": 0, "full_name": user.full_name,
            "email": user.email if signed else f"{user.login.lower()}@noreply.gitea.test",
            "avatar_url": avatar, "html_url": f"{self.web}/{user.login}",
            "language": "", "is_admin": user.admin and authed, "last_login": UNIX_ZERO if authed else ZERO_TIME,
            "created": stamp(user.created), "restricted": False, "active": authed and not user.is_org,
            "prohibit_login": False, "location": "", "website": "", "description": "", "visibility": "public",
            "followers_count": 0, "following_count": 0, "starred_repos_count": 0, "username": user.login,
        }

    def organization(self, user: User) -> Json:
        """Organization (webhook payloads of organisation repositories)."""
        return {"id": user.id, "name": user.login, "full_name": user.full_name, "email": "",
                "avatar_url": f"{self.web}/avatars/{user.id}", "description": "", "website": "", "location": "",
                "visibility": "public", "repo_admin_change_team_access": False, "username": user.login}

    def repo(self, repo: Repo, access: str | None = None) -> Json:
        """Repository (services/convert/repository.go::innerToRepo @v1.25.4) with the `permissions` of
        the viewer, or of a fixed `access` level where Gitea passes one (webhook payloads: "owner";
        ToActionWorkflowRun and CreateRef: "none").

        The owner is rendered by `ToUserWithAccessMode`: signed in unless the access is none, never the
        admin view. A new repository has every unit of models/unit/unit.go `DefaultRepoUnits` (code,
        issues, pulls, releases, wiki, projects, packages, actions) with the configs of
        services/repository/create.go (manual merge off). `internal_tracker` is an omitempty pointer
        filled only while the issues unit is on, so it is ABSENT without issues; `external_tracker`,
        `external_wiki`, `parent` and `repo_transfer` stay nil (absent). `mirror_interval` is "" and
        `mirror_updated` Go's zero time for a non-mirror; `archived_at` is Unix 0.
        """
        level = LEVELS.index(access or self.state.level(repo, self.viewer))
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open" and not i.pull)
        open_pulls = sum(1 for i in repo.issues.values() if i.state == "open" and i.pull)
        head = repo.resolve(None)
        tracker = {"internal_tracker": {"enable_time_tracker": True, "allow_only_contributors_to_track_time": True,
                                        "enable_issue_dependencies": repo.enable_dependencies}} if repo.has_issues else {}
        return {
            "id": repo.id, "owner": self._user(repo.owner, level >= 1, False), "name": repo.name, "full_name": repo.full_name,
            "description": repo.description, "empty": repo.empty, "private": repo.private, "fork": False,
            "template": False, "mirror": False, "size": sum(len(d) for d in head.files.values()) // 1024 if head else 0,
            "language": "", "languages_url": f"{self.api}/repos/{repo.full_name}/languages",
            "html_url": f"{self.web}/{repo.full_name}", "url": f"{self.api}/repos/{repo.full_name}", "link": "",
            "ssh_url": f"git@gitea.test:{repo.full_name}.git", "clone_url": f"{self.web}/{repo.full_name}.git",
            "original_url": "", "website": "", "stars_count": 0, "forks_count": 0, "watchers_count": 0,
            "open_issues_count": open_issues, "open_pr_counter": open_pulls, "release_counter": 0,
            "default_branch": repo.default_branch, "archived": False, "created_at": stamp(repo.created),
            "updated_at": stamp(repo.created), "archived_at": UNIX_ZERO,
            "permissions": {"admin": level >= 3, "push": level >= 2, "pull": level >= 1},
            "has_code": True, "has_issues": repo.has_issues, **tracker,
            "has_wiki": True, "has_pull_requests": True, "has_projects": True, "projects_mode": "all",
            "has_releases": True, "has_packages": True, "has_actions": True, "ignore_whitespace_conflicts": False,
            "allow_merge_commits": True, "allow_rebase": True, "allow_rebase_explicit": True,
            "allow_squash_merge": True, "allow_fast_forward_only_merge": True, "allow_rebase_update": True,
            "allow_manual_merge": False, "autodetect_manual_merge": False, "default_delete_branch_after_merge": False,
            "default_merge_style": "merge", "default_allow_maintainer_edit": False, "avatar_url": "",
            "internal": False, "mirror_interval": "", "object_format_name": "sha1", "mirror_updated": ZERO_TIME,
            "topics": [], "licenses": [],
        }

    def repo_meta(self, repo: Repo) -> Json:
        """RepositoryMeta (inside an Issue)."""
        return {"id": repo.id, "name": repo.name, "owner": repo.owner.login, "full_name": repo.full_name}

    def label(self, label: Label, repo: Repo) -> Json:
        """Label (services/convert/issue.go::ToLabel @v1.25.4): colour without '#', url under the repository."""
        return {"id": label.id, "name": label.name, "exclusive": label.exclusive, "is_archived": False,
                "color": label.color.lstrip("#"), "description": label.description,
                "url": f"{self.api}/repos/{repo.full_name}/labels/{label.id}"}

    def attachment(self, item: Attachment) -> Json:
        """Attachment (services/convert/attachment.go::toAttachment @v1.25.4): download URL from ROOT_URL."""
        return {"id": item.id, "name": item.name, "size": len(item.data), "download_count": 0,
                "created_at": stamp(item.created), "uuid": item.uuid,
                "browser_download_url": f"{self.web}/attachments/{item.uuid}"}

    def issue_html(self, issue: Issue, repo: Repo) -> str:
        """Web address of an issue or pull request."""
        return f"{self.web}/{repo.full_name}/{'pulls' if issue.pull else 'issues'}/{issue.number}"

    def issue(self, issue: Issue, repo: Repo) -> Json:
        """Issue (services/convert/issue.go::toIssue @v1.25.4; modules/structs/issue.go), also for pull
        requests with `pull_request` filled in: `labels` and `assets` are [] when empty, `assignees`
        null; assignees are seen anonymously, the poster by the caller."""
        comments = sum(1 for c in repo.comments.values() if c.issue is issue)
        pull_meta = None
        if issue.pull:
            pull_meta = {"merged": issue.pull.merged, "merged_at": None, "draft": issue.pull.draft,
                         "html_url": self.issue_html(issue, repo)}
        return {
            "id": issue.id, "url": f"{self.api}/repos/{repo.full_name}/issues/{issue.number}",
            "html_url": self.issue_html(issue, repo), "number": issue.number, "user": self.user(issue.user),
            "original_author": "", "original_author_id": 0, "title": issue.title, "body": issue.body, "ref": "",
            "assets": [self.attachment(a) for a in issue.attachments],
            "labels": [self.label(label, repo) for label in issue.labels], "milestone": None,
            "assignee": self.user(issue.assignees[0], ANONYMOUS) if issue.assignees else None,
            "assignees": [self.user(u, ANONYMOUS) for u in issue.assignees] or None, "state": issue.state,
            "is_locked": False, "comments": comments, "created_at": stamp(issue.created),
            "updated_at": stamp(issue.updated), "closed_at": stamp(issue.closed), "due_date": None,
            "time_estimate": 0, "pull_request": pull_meta, "repository": self.repo_meta(repo), "pin_order": 0,
        }

    def comment(self, comment: Comment, repo: Repo) -> Json:
        """Comment (services/convert/issue_comment.go::ToAPIComment @v1.25.4): poster seen anonymously;
        `pull_request_url` / `issue_url` are "" on the other kind (models/issues/comment.go `PRURL`, `IssueURL`)."""
        html = self.issue_html(comment.issue, repo)
        is_pull = comment.issue.pull is not None
        return {
            "id": comment.id, "html_url": f"{html}#issuecomment-{comment.id}",
            "pull_request_url": html if is_pull else "", "issue_url": "" if is_pull else html,
            "user": self.user(comment.user, ANONYMOUS), "original_author": "", "original_author_id": 0,
            "body": comment.body, "assets": [], "created_at": stamp(comment.created),
            "updated_at": stamp(comment.updated),
        }

    def reaction(self, reaction: Reaction) -> Json:
        """Reaction (routers/api/v1/repo/issue_reaction.go::GetIssueReactions @v1.25.4 builds it inline)."""
        return {"user": self.user(reaction.user), "content": reaction.content, "created_at": stamp(reaction.created)}

    def permission(self, repo: Repo, user: User) -> Json:
        """RepoCollaboratorPermission (services/convert/user.go::ToUserAndPermission @v1.25.4)."""
        level = self.state.level(repo, user)
        return {"permission": level, "role_name": level, "user": self.user(user)}
