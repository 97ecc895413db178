@testable import Manifest

/// Answers modelled on the forges' documented examples ("List pull requests" on GitHub and
/// Gitea, "List project merge requests" on GitLab), cut to a few fields around the ones
/// read, with a fork's pull request and an unlabelled one beside.
enum PullRequestFixtures {
    static func generator(
        _ forge: Registration.Forge, api: String, repo: String, labels: [String] = []
    ) -> ApplicationSet.Generator.PullRequests {
        .init(forge: forge, apiURL: api, repo: repo, tokenFile: "forge-token", labels: labels)
    }

    static let github = """
        [
          {
            "url": "https://api.github.com/repos/octocat/Hello-World/pulls/1347",
            "id": 1, "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
            "html_url": "https://github.com/octocat/Hello-World/pull/1347",
            "number": 1347, "state": "open", "locked": true, "title": "Amazing new feature",
            "user": {"login": "octocat", "id": 1},
            "body": "Please pull these awesome changes in!",
            "labels": [
              {"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
               "url": "https://api.github.com/repos/octocat/Hello-World/labels/bug",
               "name": "bug", "description": "Something isn't working", "color": "f29513", "default": true},
              {"id": 208045947, "name": "preview", "color": "a2eeef", "default": false}
            ],
            "head": {"label": "octocat:new-topic", "ref": "new-topic",
                     "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "user": {"login": "octocat", "id": 1},
                     "repo": {"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World"}},
            "base": {"label": "octocat:master", "ref": "master",
                     "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "user": {"login": "octocat", "id": 1},
                     "repo": {"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World"}},
            "draft": false
          },
          {
            "number": 1348, "state": "open", "title": "From a fork",
            "labels": [{"id": 208045947, "name": "preview", "color": "a2eeef", "default": false}],
            "head": {"label": "hubot:patch-1", "ref": "patch-1", "sha": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     "repo": {"id": 42, "name": "Hello-World", "full_name": "hubot/Hello-World"}},
            "base": {"ref": "master", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                     "repo": {"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World"}}
          },
          {
            "number": 1346, "state": "open", "title": "A deleted fork's",
            "labels": [{"id": 208045947, "name": "preview", "color": "a2eeef", "default": false}],
            "head": {"label": "ghost:fix", "ref": "fix", "sha": "1111111111111111111111111111111111111111",
                     "repo": null},
            "base": {"ref": "master", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                     "repo": {"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World"}}
          }
        ]
        """

    static let gitea = """
        [
          {
            "id": 7, "url": "https://gitea.example/alice/shop/pulls/3", "number": 3,
            "user": {"id": 1, "login": "alice", "full_name": "", "email": "alice@noreply.gitea.example"},
            "title": "Checkout page", "body": "",
            "labels": [{"id": 4, "name": "preview", "exclusive": false, "is_archived": false, "color": "ee0701",
                        "description": "", "url": "https://gitea.example/api/v1/repos/alice/shop/labels/4"}],
            "milestone": null, "assignee": null, "assignees": null, "state": "open", "is_locked": false,
            "comments": 0, "html_url": "https://gitea.example/alice/shop/pulls/3",
            "mergeable": true, "merged": false, "merged_at": null, "merge_commit_sha": null, "merged_by": null,
            "allow_maintainer_edit": false,
            "base": {"label": "main", "ref": "main", "sha": "0c6e1a5a5e03ee7cb50e5e0c9a4d5e3f2b1a0987",
                     "repo_id": 12, "repo": {"id": 12, "name": "shop", "full_name": "alice/shop"}},
            "head": {"label": "feature/checkout", "ref": "feature/checkout",
                     "sha": "9f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b",
                     "repo_id": 12, "repo": {"id": 12, "name": "shop", "full_name": "alice/shop"}},
            "merge_base": "0c6e1a5a5e03ee7cb50e5e0c9a4d5e3f2b1a0987", "due_date": null,
            "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-02T10:00:00Z", "closed_at": null
          },
          {
            "id": 8, "number": 4, "title": "Typo", "labels": [], "state": "open",
            "base": {"label": "main", "ref": "main", "sha": "0c6e1a5a5e03ee7cb50e5e0c9a4d5e3f2b1a0987",
                     "repo_id": 12, "repo": {"id": 12, "name": "shop", "full_name": "alice/shop"}},
            "head": {"label": "typo", "ref": "typo", "sha": "2222222222222222222222222222222222222222",
                     "repo_id": 12, "repo": {"id": 12, "name": "shop", "full_name": "alice/shop"}}
          }
        ]
        """

    static let gitlab = """
        [
          {
            "id": 1, "iid": 1, "project_id": 3, "title": "test1", "description": "fixed login page css paddings",
            "state": "opened", "created_at": "2017-04-29T08:46:00Z", "updated_at": "2017-04-29T08:46:00Z",
            "merged_by": null, "merge_user": null, "merged_at": null, "closed_by": null, "closed_at": null,
            "target_branch": "main", "source_branch": "test1", "upvotes": 0, "downvotes": 0,
            "author": {"id": 1, "name": "Administrator", "username": "admin", "state": "active"},
            "assignee": null, "assignees": [], "reviewers": [],
            "source_project_id": 3, "target_project_id": 3,
            "labels": ["Community contribution", "Manage"],
            "draft": false, "work_in_progress": false, "milestone": null, "merge_when_pipeline_succeeds": true,
            "merge_status": "can_be_merged", "detailed_merge_status": "not_open",
            "sha": "8888888888888888888888888888888888888888", "merge_commit_sha": null, "squash_commit_sha": null,
            "reference": "!1", "references": {"short": "!1", "relative": "!1", "full": "my-group/my-project!1"},
            "web_url": "http://gitlab.example.com/my-group/my-project/merge_requests/1",
            "squash": false, "has_conflicts": false, "blocking_discussions_resolved": true
          },
          {
            "id": 2, "iid": 2, "project_id": 3, "title": "from a fork", "state": "opened",
            "target_branch": "main", "source_branch": "main", "source_project_id": 9, "target_project_id": 3,
            "labels": ["Manage", "Community contribution"], "sha": "9999999999999999999999999999999999999999"
          },
          {
            "id": 3, "iid": 3, "project_id": 3, "title": "just opened", "state": "opened",
            "target_branch": "main", "source_branch": "fresh", "source_project_id": 3, "target_project_id": 3,
            "labels": ["Manage", "Community contribution"], "sha": null
          }
        ]
        """
}
