// swift-format-ignore-file
// Generated from etc/zerverless/openapi.json by `make openapi`; a test checks they are equal.
// The REST API's OpenAPI 3.1 document, served at GET /api/gitops/openapi.json.

enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "zerverless-gitops REST API",
    "version": "0.1.0",
    "summary": "A stateless facade over the apps dir, the status files and the secrets folder.",
    "description": "The REST facade of `zerverless-gitops run` (on --listen, default 127.0.0.1:8090). It holds no state: registering writes APPS_DIR/NAME.yaml, which the daemon picks up through inotify; reading reads STATE/apps/NAME/status.json; a sync request (and a webhook) writes STATE/requests/NAME.sync.\n\nAuthentication: with --api-tokens-file, the applications, secrets and metrics calls need `Authorization: Bearer TOKEN` (401 otherwise), and a token sees and changes only its namespaces (`*`: all); /metrics needs a `*` token. Without --api-tokens-file (allowed on a loopback --listen, or with --insecure-api) no token is needed and every call is allowed every namespace: the bearerAuth requirement below is then optional and 401 is never answered. /healthz, /readyz, the webhook (signed with its own secret) and this document need no token.\n\nErrors are `{\"error\": \"...\", \"diagnostics\": [...]}`; diagnostics are filled for invalid registrations. Names and namespaces are DNS labels, checked before any path is made from them (400 otherwise).\n\nWho may call (the daemon's answer to cross-site requests and DNS rebinding): every route answers only a Host of the --listen address, localhost (127.0.0.1, [::1]) or a name given with --api-hostname (on a wildcard --listen, also any IP literal), any port; else 421 (400 without a Host). A browser's request made by another origin's page is refused with 403 (Fetch Metadata: Sec-Fetch-Site cross-site or same-site, except a plain GET navigation; and a POST, PUT, DELETE or PATCH whose Origin is not this API's own); the webhook is exempt from these origin rules. Bodies: registrations as application/json or application/yaml, rollbacks as application/json, secrets as application/octet-stream; another type: 415. Event streams have their own budget (429 over it)."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8090",
      "description": "the default --listen"
    }
  ],
  "tags": [
    {
      "name": "applications",
      "description": "registrations and their status"
    },
    {
      "name": "secrets",
      "description": "write-only secret files of a namespace"
    },
    {
      "name": "webhook",
      "description": "push deliveries from forges"
    },
    {
      "name": "probes",
      "description": "health, readiness and metrics"
    },
    {
      "name": "meta",
      "description": "this document"
    },
    {
      "name": "applicationsets",
      "description": "application sets (kind: ApplicationSet) and what they made"
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "healthz",
        "summary": "Liveness",
        "tags": [
          "probes"
        ],
        "security": [],
        "responses": {
          "200": {
            "description": "the process serves",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MissingHost"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "readyz",
        "summary": "Readiness",
        "tags": [
          "probes"
        ],
        "security": [],
        "description": "Ready once the apps dir was read a first time, while the apps dir is readable, the state dir writable and (with --api-tokens-file) the tokens file usable.",
        "responses": {
          "200": {
            "description": "ready",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Ready"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MissingHost"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "503": {
            "description": "not ready: every problem",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotReady"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics",
        "tags": [
          "probes"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Prometheus text format (Content-Type `text/plain; version=0.0.4`): the process's metrics and, from the status files, applications by status, per-application info, conflicts and last successful sync. It names every namespace's applications: with --api-tokens-file it needs a token allowed every namespace (`*`).",
        "responses": {
          "200": {
            "description": "the metrics",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MissingHost"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "the token is not allowed every namespace. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      },
      "head": {
        "operationId": "metricsHead",
        "summary": "Whether the metrics may be read (no body)",
        "tags": [
          "probes"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "As GET /metrics, without computing or sending the metrics. 200 and 403 carry `Content-Type: text/plain; version=0.0.4` and no body; 401 is the JSON error of every refused token (the body is not sent, this being HEAD).",
        "responses": {
          "200": {
            "description": "the token may read the metrics"
          },
          "400": {
            "description": "the request has no Host header"
          },
          "401": {
            "description": "no valid bearer token (with --api-tokens-file)",
            "headers": {
              "WWW-Authenticate": {
                "required": true,
                "schema": {
                  "const": "Bearer"
                }
              }
            }
          },
          "403": {
            "description": "the token is not allowed every namespace. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call)."
          },
          "421": {
            "description": "The Host header names neither this API's --listen address, localhost (127.0.0.1, [::1]), nor a name given with --api-hostname (on a wildcard --listen, any IP literal is also answered): a page of another name resolved to this address (DNS rebinding) reads nothing. Answered on every route."
          }
        }
      }
    },
    "/api/gitops/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document",
        "tags": [
          "meta"
        ],
        "security": [],
        "responses": {
          "200": {
            "description": "the OpenAPI 3.1 document of this API",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "openapi",
                    "info",
                    "paths"
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MissingHost"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      }
    },
    "/api/gitops/webhook": {
      "post": {
        "operationId": "webhook",
        "summary": "Push deliveries (GitHub, GitLab, Gitea/Forgejo, Bitbucket Cloud, generic HMAC)",
        "tags": [
          "webhook"
        ],
        "security": [],
        "description": "Needs --webhook-secret-file or at least one application with its own spec.source.webhookSecretFile (404 without either). Authenticated by a signature of the exact body (at most 1 MiB, 1,048,576 bytes; more: 413), not by a bearer token: the first of these headers present decides (X-Gitea-Signature, X-Hub-Signature-256, X-Hub-Signature with X-Event-Key, X-Zerverless-Signature, X-Gitlab-Token), compared in constant time; none valid: 401. Signed with the operator's secret (--webhook-secret-file), a push writes a sync request for every application whose repository (normalized: https, ssh and scp forms match, .git or not) and branch (or tag) match it, and the answer gives their number only (`count`; `triggered` is empty): that secret is handed to every forge, so to tenants, and must not tell them other tenants' application names. Signed with an application's own secret (its webhookSecretFile, read from SECRETS_DIR/NAMESPACE/ only), a push triggers only the matching applications whose own secret verified it, and `triggered` names them. The webhook takes any Content-Type and is exempt from the Origin checks; the Host check holds (list the name forges call with --api-hostname).",
        "parameters": [
          {
            "name": "X-Hub-Signature-256",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "GitHub: `sha256=<HMAC-SHA256 of the body, hex>`"
          },
          {
            "name": "X-GitHub-Event",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "GitHub's event; `push` (the default when absent) triggers, others are acknowledged (200)"
          },
          {
            "name": "X-Gitea-Signature",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "Gitea/Forgejo: `<HMAC-SHA256 of the body, hex>` (checked before X-Hub-Signature-256, which they also send)"
          },
          {
            "name": "X-Gitea-Event",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "Gitea's event; `push` (the default) triggers"
          },
          {
            "name": "X-Gitlab-Token",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "GitLab: the shared secret itself"
          },
          {
            "name": "X-Gitlab-Event",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "GitLab's event; `Push Hook` (the default) triggers"
          },
          {
            "name": "X-Hub-Signature",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "Bitbucket: `sha256=<HMAC-SHA256 of the body, hex>`, taken only with X-Event-Key"
          },
          {
            "name": "X-Event-Key",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "Bitbucket's event; `repo:push` triggers"
          },
          {
            "name": "X-Zerverless-Signature",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "generic form: `sha256=<HMAC-SHA256 of the body, hex>`"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "The delivery, at most 1 MiB: JSON, or a form with the JSON in its `payload` field.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/WebhookPayload"
              }
            },
            "application/x-www-form-urlencoded": {
              "schema": {
                "$ref": "#/components/schemas/WebhookForm"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "signed, but not a push event: acknowledged, nothing triggered",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/WebhookIgnored"
                }
              }
            }
          },
          "202": {
            "description": "a push: the applications triggered (possibly none); or a tag push (or a push of no branch), acknowledged with a message",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/WebhookAccepted"
                }
              }
            }
          },
          "400": {
            "description": "a signed push whose payload names no repository URL (or is not JSON)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "description": "missing or invalid signature: neither the operator's secret nor the own secret of an application of the pushed repository verifies it (empty secret files verify nothing)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "the webhook is off (no --webhook-secret-file, and no application names spec.source.webhookSecretFile)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "the payload is over 1 MiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the webhook secret file cannot be read",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/applications": {
      "get": {
        "operationId": "listApplications",
        "summary": "Every application's status document",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Each status file as it holds it, and a `pending` document for each valid registration the daemon has not written a status for yet; only the token's namespaces. Answers may be up to a second old for files changed by hand. With any of namespace, status, limit or continue: filtered and paged in name order, with total counting every match and continue while more follow.",
        "responses": {
          "200": {
            "description": "the list",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationList"
                }
              }
            }
          },
          "400": {
            "description": "a bad filter, limit or continue token",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        },
        "parameters": [
          {
            "name": "namespace",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "only this namespace's applications (a DNS label; 400 otherwise)"
          },
          {
            "name": "status",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "only applications with this status: pending, syncing, synced, error, invalid, suspended, deleting (400 otherwise)"
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer"
            },
            "description": "at most this many documents, 1 to 10000 (400 otherwise)"
          },
          {
            "name": "continue",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "the continue token of the previous page, as given (400 for one this API did not give)"
          }
        ]
      },
      "post": {
        "operationId": "registerApplication",
        "summary": "Register a new application",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Validates the registration and writes it as a new file of APPS_DIR (created exclusively, under the apps-dir lock: of concurrent POSTs of one name exactly one gets 201); the daemon picks it up through inotify.",
        "requestBody": {
          "required": true,
          "description": "A registration (flat form or Application form), at most 64 KiB (65,536 bytes): JSON, or the same as YAML text, sent with Content-Type application/json or application/yaml (application/x-yaml and text/yaml are taken too; parameters like charset are allowed; any other type, or none: 415). The body is read as YAML either way. It is written as received (after a comment line) into APPS_DIR.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RegistrationRequest"
              }
            },
            "application/yaml": {
              "schema": {
                "$ref": "#/components/schemas/RegistrationRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "registered: its status document (pending until the daemon syncs it)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StatusDocument"
                }
              }
            }
          },
          "400": {
            "description": "an invalid registration (every diagnostic), or an auth file outside the namespace's secrets folder",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "a namespace the token may not change; a local repository URL with a token not allowed every namespace; a name held by another namespace's file or by an invalid file; or the namespace holds --max-apps-per-namespace applications already. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "405": {
            "description": "the apps dir is read-only for the daemon (a ConfigMap volume, systemd's ProtectSystem): registrations are managed there by the operator; the error says which",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "a file already holds the name (use PUT), or one appeared meanwhile",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "the body is over 64 KiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the registration file cannot be written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "the apps dir is busy (its lock was not had within 30 s); try again",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/applications/{name}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/name"
        }
      ],
      "get": {
        "operationId": "getApplication",
        "summary": "One application's status document",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "the status file as it is, or a pending document for a registration without one",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StatusDocument"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "404": {
            "description": "no such application (also: another namespace's, which is not revealed)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      },
      "put": {
        "operationId": "putApplication",
        "summary": "Create or replace an application's registration",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "As POST, creating (201) or replacing (200) the file that holds the name, whatever its file name; the body's name must be the path's (400 otherwise, also for a path name that is not a DNS label, once the body was read and validated).",
        "requestBody": {
          "required": true,
          "description": "A registration (flat form or Application form), at most 64 KiB (65,536 bytes): JSON, or the same as YAML text, sent with Content-Type application/json or application/yaml (application/x-yaml and text/yaml are taken too; parameters like charset are allowed; any other type, or none: 415). The body is read as YAML either way. It is written as received (after a comment line) into APPS_DIR.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RegistrationRequest"
              }
            },
            "application/yaml": {
              "schema": {
                "$ref": "#/components/schemas/RegistrationRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "replaced: the application's status document",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StatusDocument"
                }
              }
            }
          },
          "201": {
            "description": "created: its status document (pending)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StatusDocument"
                }
              }
            }
          },
          "400": {
            "description": "an invalid registration (every diagnostic), an auth file outside the namespace's secrets folder, or a body name that is not the path's",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "a namespace the token may not change; a local repository URL with a token not allowed every namespace; a name held by another namespace's file or by an invalid file; or (creating) the namespace holds --max-apps-per-namespace applications already. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "405": {
            "description": "the apps dir is read-only for the daemon (a ConfigMap volume, systemd's ProtectSystem): registrations are managed there by the operator; the error says which",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "the name is claimed by more than one file, or a file appeared meanwhile",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "the body is over 64 KiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the registration file cannot be written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "the apps dir is busy (its lock was not had within 30 s); try again",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "delete": {
        "operationId": "deleteApplication",
        "summary": "Remove an application's registration",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Removes every file of APPS_DIR that holds the name; the daemon undeploys after the removal grace.",
        "responses": {
          "202": {
            "description": "removed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationRemoved"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "a file holding the name belongs to a namespace the token may not change (or is not a valid registration and the token is not allowed every namespace). Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "no registration file holds the name (or none the token may see)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "405": {
            "description": "the apps dir is read-only for the daemon (a ConfigMap volume, systemd's ProtectSystem): registrations are managed there by the operator; the error says which",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "a registration file cannot be removed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/applications/{name}/sync": {
      "parameters": [
        {
          "$ref": "#/components/parameters/name"
        }
      ],
      "post": {
        "operationId": "syncApplication",
        "summary": "Request a sync now",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Writes STATE/requests/NAME.sync; no body is read.",
        "responses": {
          "202": {
            "description": "the sync request is written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SyncRequested"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "404": {
            "description": "no such application (or another namespace's)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the sync request cannot be written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/secrets/{namespace}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/namespace"
        }
      ],
      "get": {
        "operationId": "listSecrets",
        "summary": "The namespace's secret files (names, sizes, times; never contents)",
        "tags": [
          "secrets"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "the list (empty when the folder does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SecretList"
                }
              }
            }
          },
          "400": {
            "description": "the namespace is not a DNS label",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "the token may not see this namespace's secrets. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      }
    },
    "/api/gitops/secrets/{namespace}/{file}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/namespace"
        },
        {
          "$ref": "#/components/parameters/file"
        }
      ],
      "put": {
        "operationId": "putSecret",
        "summary": "Upload a secret file (write-only)",
        "tags": [
          "secrets"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Stores the body as SECRETS_DIR/NAMESPACE/FILE (mode 0600, folder 0700, atomically), creating or replacing it. At most 64 KiB (65,536 bytes; more: 413) and at most 100 files per namespace.",
        "requestBody": {
          "required": true,
          "description": "the file's bytes, at most 64 KiB, sent as application/octet-stream (any other Content-Type, or none: 415; with curl: --data-binary @FILE -H 'Content-Type: application/octet-stream')",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "stored",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SecretStored"
                }
              }
            }
          },
          "400": {
            "description": "the namespace is not a DNS label, or the file name is not a secret file name",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "the token may not change this namespace's secrets, or the namespace holds 100 secret files already (and this is not one of them). Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "405": {
            "description": "the secrets dir is read-only for the daemon (a Secret volume, the packaged service): the operator places secret files",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "the body is over 64 KiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the file cannot be stored",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "delete": {
        "operationId": "deleteSecret",
        "summary": "Remove a secret file",
        "tags": [
          "secrets"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "204": {
            "description": "removed"
          },
          "400": {
            "description": "the namespace is not a DNS label, or the file name is not a secret file name",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "description": "the token may not change this namespace's secrets. Also 403: a browser's request made by another origin's page (Sec-Fetch-Site cross-site or same-site, or a foreign Origin on a state-changing call).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "the namespace has no secret file of that name",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "405": {
            "description": "the secrets dir is read-only for the daemon (a Secret volume, the packaged service): the operator places secret files",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the file cannot be removed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/applications/{name}/history": {
      "parameters": [
        {
          "$ref": "#/components/parameters/name"
        }
      ],
      "get": {
        "operationId": "applicationHistory",
        "summary": "The application's last attempts",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Reads STATE/apps/NAME/history.json (what `zerverless-gitops history NAME --json` prints).",
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1
            },
            "description": "at most this many attempts"
          }
        ],
        "responses": {
          "200": {
            "description": "the attempts, newest first",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/History"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label, or limit is not a number of at least 1",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "404": {
            "description": "no such application (or another namespace's)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          }
        }
      }
    },
    "/api/gitops/applications/{name}/rollback": {
      "parameters": [
        {
          "$ref": "#/components/parameters/name"
        }
      ],
      "post": {
        "operationId": "rollbackApplication",
        "summary": "Pin the application to a commit",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Writes STATE/apps/NAME/pin.json and a sync request (trigger rollback): the daemon deploys the commit at once and stays there whatever the ref does, until DELETE .../pin. A rewrite of the registration does not undo it. A commit the repository does not have makes the app error (what is deployed stays).",
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RollbackRequest"
              }
            }
          },
          "description": "{commit?, reason?} as application/json (another Content-Type: 415); an empty body (no Content-Type needed) rolls back to the successful commit before the current one."
        },
        "responses": {
          "202": {
            "description": "the pin is written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Pinned"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label, or the body is not {commit?, reason?}",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "404": {
            "description": "no such application (or another namespace's)",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "no commit given and no earlier successful commit in the history",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "the body is over 16 KiB",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the pin cannot be written",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/applications/{name}/pin": {
      "parameters": [
        {
          "$ref": "#/components/parameters/name"
        }
      ],
      "delete": {
        "operationId": "unpinApplication",
        "summary": "Remove the rollback pin",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "Removes STATE/apps/NAME/pin.json and asks for a sync: the app follows its ref again.",
        "responses": {
          "202": {
            "description": "unpinned",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Unpinned"
                }
              }
            }
          },
          "400": {
            "description": "the name is not a DNS label",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "404": {
            "description": "no such application, or it is not pinned",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "500": {
            "description": "the pin cannot be removed",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/gitops/events": {
      "get": {
        "operationId": "events",
        "summary": "Status changes as Server-Sent Events",
        "tags": [
          "applications"
        ],
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "description": "First an event `status` with the document of every application the token may see, then one each time a status file changes (inotify on the state dir), `deleted` ({\"name\"}) when an application's state goes, and a `: heartbeat` comment every 15 s. The stream does not end. Streams have a budget of their own, below --api-max-connections: at most --api-max-streams (64) open in all and --api-max-streams-per-token (8) per API token (without --api-tokens-file, the total alone); over it: 429 with Retry-After. A stream ends when its connection closes (its slot is freed at once) and, with API tokens, as soon as the tokens file no longer grants its token what it granted when the stream began (revoked, namespaces changed, or the file unusable): a last comment line says so.",
        "responses": {
          "200": {
            "description": "the event stream",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MissingHost"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/CrossOrigin"
          },
          "421": {
            "$ref": "#/components/responses/MisdirectedRequest"
          },
          "429": {
            "$ref": "#/components/responses/TooManyStreams"
          }
        }
      }
    },
    "/api/gitops/applicationsets": {
      "get": {
        "tags": [
          "applicationsets"
        ],
        "summary": "the application sets' statuses, only the token's namespaces",
        "operationId": "listApplicationSets",
        "responses": {
          "200": {
            "description": "the sets",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "applicationSets",
                    "total"
                  ],
                  "properties": {
                    "applicationSets": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ApplicationSetStatus"
                      }
                    },
                    "total": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "no token or an unknown one (with --api-tokens-file)"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/gitops/applicationsets/{name}": {
      "get": {
        "tags": [
          "applicationsets"
        ],
        "summary": "one application set's status",
        "operationId": "getApplicationSet",
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "the set's status",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationSetStatus"
                }
              }
            }
          },
          "400": {
            "description": "not a DNS label"
          },
          "401": {
            "description": "no token or an unknown one (with --api-tokens-file)"
          },
          "404": {
            "description": "no such set, or another namespace's"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    }
  },
  "components": {
    "schemas": {
      "DnsLabel": {
        "type": "string",
        "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        "maxLength": 63,
        "description": "a DNS label (RFC 1123): lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$)"
      },
      "PollInterval": {
        "type": "string",
        "description": "How often the repository is looked at: whole numbers each followed by h, m or s, units in that order, each at most once (90s, 5m, 1h, 1h30m), from 1s to 168h; a YAML/JSON number is refused (400). Without it, the daemon's --poll-interval. The pattern is a safe subset of what is taken.",
        "pattern": "^([1-9][0-9]{0,3}[sm]|([1-9][0-9]?|1[0-5][0-9]|16[0-8])h|[1-9][0-9]?h[0-5]?[0-9]m|[1-9][0-9]{0,2}m[0-5]?[0-9]s)$",
        "examples": [
          "5m",
          "90s",
          "1h30m"
        ]
      },
      "SyncPolicy": {
        "type": [
          "object",
          "null"
        ],
        "additionalProperties": false,
        "description": "Booleans written true or false without quotes (YAML 1.2 core schema: true/True/TRUE, false/False/FALSE). null means every default.",
        "properties": {
          "automated": {
            "type": "boolean",
            "default": true,
            "description": "sync on every new commit"
          },
          "prune": {
            "type": "boolean",
            "default": true,
            "description": "remove what the manifest no longer names"
          },
          "allowEmpty": {
            "type": "boolean",
            "default": false,
            "description": "allow a manifest with nothing to deploy"
          },
          "suspend": {
            "type": "boolean",
            "default": false,
            "description": "no syncs at all (status suspended)"
          },
          "selfHeal": {
            "enum": [
              "off",
              "warn",
              "correct"
            ],
            "default": "warn",
            "description": "what a drift pass does: off (no pass), warn (report it in status.drift and notify), correct (deploy again what drifted)"
          },
          "autoRollback": {
            "type": "boolean",
            "default": false,
            "description": "when the health checks after a deploy fail past their deadline, deploy the last healthy commit again (an automatic pin, lifted when the source moves)"
          }
        }
      },
      "SourceHTTPS": {
        "type": "object",
        "title": "https or http repository",
        "additionalProperties": false,
        "required": [
          "repoURL"
        ],
        "properties": {
          "repoURL": {
            "type": "string",
            "pattern": "^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[1-9][0-9]{0,3})?/[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$",
            "description": "https://HOST[:PORT]/OWNER/REPO (http also taken); no spaces or control characters, a host and a repository path are required. Shown redacted in every answer.",
            "examples": [
              "https://github.com/myuser/my-repo"
            ]
          },
          "branch": {
            "type": "string",
            "default": "main",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "The branch followed (git check-ref-format rules: no refs/ prefix, no '..', '//', '@{', spaces, control characters or ~^:?*[\\, not starting with '-' or '/', not ending with '/', '.' or .lock, no component starting with '.'). The pattern is a safe subset of what is taken. At most one of branch, tag, semver and commit (two are refused with 400); none: branch main."
          },
          "tag": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "A fixed tag (lightweight or annotated) instead of a branch."
          },
          "semver": {
            "type": "string",
            "maxLength": 200,
            "description": "A range over version tags (v prefix allowed): the highest matching tag is deployed and moves when a higher one is pushed. Comparators separated by spaces (all hold), alternatives by ||: >=1.2.0 <2.0.0, ^1.4, ~1.2.3, 1.x, *. Pre-releases only when the range names one of the same version. A malformed range is refused with 400.",
            "examples": [
              ">=1.2.0 <2.0.0",
              "^1.4"
            ]
          },
          "commit": {
            "type": "string",
            "pattern": "^[0-9a-f]{40}$",
            "description": "A fixed commit (40 lowercase hex digits)."
          },
          "path": {
            "type": "string",
            "default": ".",
            "pattern": "^(\\.|[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$",
            "description": "The repository folder holding zerverless.yaml, relative (no leading '/', no backslash, no '..' that climbs above the root); '.' for the root. The pattern is a safe subset of what is taken."
          },
          "auth": {
            "type": [
              "object",
              "null"
            ],
            "additionalProperties": false,
            "description": "Credentials for an https repository: files only (inline token/password fields are refused, 400); sshKeyFile and knownHostsFile are for ssh URLs (400 here).",
            "properties": {
              "username": {
                "type": "string",
                "minLength": 1,
                "description": "the user name sent to the server"
              },
              "tokenFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
                "description": "A file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'; empty names and NUL are refused (400)."
              },
              "caFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
                "description": "A CA certificate (PEM) trusted for this repository's https server alone. A file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'; empty names and NUL are refused (400)."
              }
            }
          },
          "verify": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "mode",
              "publicKeysFile"
            ],
            "description": "Signature verification: mode commit (the deployed commit must be signed by one of the keys) or tag (the tag must be annotated and signed; tag and semver refs only). publicKeysFile: SSH public key lines and/or ASCII-armored OpenPGP keys, a file of SECRETS_DIR/NAMESPACE/.",
            "properties": {
              "mode": {
                "enum": [
                  "commit",
                  "tag"
                ]
              },
              "publicKeysFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
              }
            }
          },
          "webhookSecretFile": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
            "description": "This application's own webhook secret (HMAC key, or GitLab's token): a file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. A push delivery signed with it triggers this application (not another tenant's application of the same repository) and the answer names it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'."
          }
        }
      },
      "SourceSSH": {
        "type": "object",
        "title": "ssh or scp-like repository",
        "additionalProperties": false,
        "required": [
          "repoURL"
        ],
        "properties": {
          "repoURL": {
            "type": "string",
            "pattern": "^((ssh|git\\+ssh|ssh\\+git)://([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*(:[1-9][0-9]{0,3})?/[A-Za-z0-9._~-][A-Za-z0-9._~/-]*|([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9._~-][A-Za-z0-9._~/-]*)$",
            "description": "ssh://[USER@]HOST[:PORT]/PATH or the scp-like USER@HOST:PATH.",
            "examples": [
              "git@github.com:myuser/my-repo.git"
            ]
          },
          "branch": {
            "type": "string",
            "default": "main",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "The branch followed (git check-ref-format rules: no refs/ prefix, no '..', '//', '@{', spaces, control characters or ~^:?*[\\, not starting with '-' or '/', not ending with '/', '.' or .lock, no component starting with '.'). The pattern is a safe subset of what is taken. At most one of branch, tag, semver and commit (two are refused with 400); none: branch main."
          },
          "tag": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "A fixed tag (lightweight or annotated) instead of a branch."
          },
          "semver": {
            "type": "string",
            "maxLength": 200,
            "description": "A range over version tags (v prefix allowed): the highest matching tag is deployed and moves when a higher one is pushed. Comparators separated by spaces (all hold), alternatives by ||: >=1.2.0 <2.0.0, ^1.4, ~1.2.3, 1.x, *. Pre-releases only when the range names one of the same version. A malformed range is refused with 400.",
            "examples": [
              ">=1.2.0 <2.0.0",
              "^1.4"
            ]
          },
          "commit": {
            "type": "string",
            "pattern": "^[0-9a-f]{40}$",
            "description": "A fixed commit (40 lowercase hex digits)."
          },
          "path": {
            "type": "string",
            "default": ".",
            "pattern": "^(\\.|[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$",
            "description": "The repository folder holding zerverless.yaml, relative (no leading '/', no backslash, no '..' that climbs above the root); '.' for the root. The pattern is a safe subset of what is taken."
          },
          "auth": {
            "type": [
              "object",
              "null"
            ],
            "additionalProperties": false,
            "description": "Credentials for an ssh repository: files only (inline key fields are refused, 400); tokenFile and caFile are for https URLs (400 here).",
            "properties": {
              "username": {
                "type": "string",
                "minLength": 1,
                "description": "the user name sent to the server"
              },
              "sshKeyFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
                "description": "A file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'; empty names and NUL are refused (400)."
              },
              "knownHostsFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
                "description": "A file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'; empty names and NUL are refused (400)."
              }
            }
          },
          "verify": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "mode",
              "publicKeysFile"
            ],
            "description": "Signature verification: mode commit (the deployed commit must be signed by one of the keys) or tag (the tag must be annotated and signed; tag and semver refs only). publicKeysFile: SSH public key lines and/or ASCII-armored OpenPGP keys, a file of SECRETS_DIR/NAMESPACE/.",
            "properties": {
              "mode": {
                "enum": [
                  "commit",
                  "tag"
                ]
              },
              "publicKeysFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
              }
            }
          },
          "webhookSecretFile": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
            "description": "This application's own webhook secret (HMAC key, or GitLab's token): a file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. A push delivery signed with it triggers this application (not another tenant's application of the same repository) and the answer names it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'."
          }
        }
      },
      "SourceLocalOrGit": {
        "type": "object",
        "title": "git:// or local repository",
        "additionalProperties": false,
        "required": [
          "repoURL"
        ],
        "description": "git:// URLs and local repositories (file:// URLs, absolute or ./ ../ paths) take no credentials (auth must be absent or null, else 400). A local repository needs a token allowed every namespace (403 otherwise), and the daemon syncs it only with --allow-file-urls.",
        "properties": {
          "repoURL": {
            "type": "string",
            "pattern": "^(git://[A-Za-z0-9][A-Za-z0-9.-]*(:[1-9][0-9]{0,3})?/[A-Za-z0-9._~-][A-Za-z0-9._~/-]*|file:///[A-Za-z0-9._~/-]*|\\.\\.?|(/|\\./|\\.\\./)[A-Za-z0-9._~/-]*)$",
            "examples": [
              "git://example.org/myuser/my-repo",
              "/srv/git/my-repo"
            ]
          },
          "branch": {
            "type": "string",
            "default": "main",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "The branch followed (git check-ref-format rules: no refs/ prefix, no '..', '//', '@{', spaces, control characters or ~^:?*[\\, not starting with '-' or '/', not ending with '/', '.' or .lock, no component starting with '.'). The pattern is a safe subset of what is taken. At most one of branch, tag, semver and commit (two are refused with 400); none: branch main."
          },
          "tag": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)*$",
            "description": "A fixed tag (lightweight or annotated) instead of a branch."
          },
          "semver": {
            "type": "string",
            "maxLength": 200,
            "description": "A range over version tags (v prefix allowed): the highest matching tag is deployed and moves when a higher one is pushed. Comparators separated by spaces (all hold), alternatives by ||: >=1.2.0 <2.0.0, ^1.4, ~1.2.3, 1.x, *. Pre-releases only when the range names one of the same version. A malformed range is refused with 400.",
            "examples": [
              ">=1.2.0 <2.0.0",
              "^1.4"
            ]
          },
          "commit": {
            "type": "string",
            "pattern": "^[0-9a-f]{40}$",
            "description": "A fixed commit (40 lowercase hex digits)."
          },
          "path": {
            "type": "string",
            "default": ".",
            "pattern": "^(\\.|[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$",
            "description": "The repository folder holding zerverless.yaml, relative (no leading '/', no backslash, no '..' that climbs above the root); '.' for the root. The pattern is a safe subset of what is taken."
          },
          "auth": {
            "type": "null"
          },
          "verify": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "mode",
              "publicKeysFile"
            ],
            "description": "Signature verification: mode commit (the deployed commit must be signed by one of the keys) or tag (the tag must be annotated and signed; tag and semver refs only). publicKeysFile: SSH public key lines and/or ASCII-armored OpenPGP keys, a file of SECRETS_DIR/NAMESPACE/.",
            "properties": {
              "mode": {
                "enum": [
                  "commit",
                  "tag"
                ]
              },
              "publicKeysFile": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
              }
            }
          },
          "webhookSecretFile": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
            "description": "This application's own webhook secret (HMAC key, or GitLab's token): a file of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/, filled with PUT /api/gitops/secrets/{namespace}/{file}), named relative to it. A push delivery signed with it triggers this application (not another tenant's application of the same repository) and the answer names it. The handler also takes an absolute path that leads inside SECRETS_DIR/NAMESPACE/ by its text (400 when it leads outside); a relative name must not climb with '..'."
          }
        }
      },
      "RegistrationSource": {
        "description": "Where the application comes from. The keys are repoURL, one of branch/tag/semver/commit, path, auth, verify and webhookSecretFile, nothing else (unknown fields and inline secrets are refused with a diagnostic, 400).",
        "oneOf": [
          {
            "$ref": "#/components/schemas/SourceHTTPS"
          },
          {
            "$ref": "#/components/schemas/SourceSSH"
          },
          {
            "$ref": "#/components/schemas/SourceLocalOrGit"
          }
        ]
      },
      "FlatRegistration": {
        "type": "object",
        "title": "flat form (the original REST body)",
        "additionalProperties": false,
        "required": [
          "name",
          "namespace",
          "source"
        ],
        "properties": {
          "name": {
            "$ref": "#/components/schemas/DnsLabel"
          },
          "namespace": {
            "$ref": "#/components/schemas/DnsLabel"
          },
          "source": {
            "$ref": "#/components/schemas/RegistrationSource"
          },
          "pollInterval": {
            "$ref": "#/components/schemas/PollInterval"
          },
          "syncPolicy": {
            "$ref": "#/components/schemas/SyncPolicy"
          },
          "notify": {
            "type": [
              "array",
              "null"
            ],
            "maxItems": 10,
            "items": {
              "$ref": "#/components/schemas/NotifyEndpoint"
            },
            "description": "where this app's events go (also --notify-url)"
          }
        },
        "examples": [
          {
            "name": "my-app",
            "namespace": "myuser",
            "source": {
              "repoURL": "https://github.com/myuser/my-repo",
              "branch": "main"
            }
          }
        ]
      },
      "ApplicationRegistration": {
        "type": "object",
        "title": "Application form",
        "additionalProperties": false,
        "required": [
          "apiVersion",
          "kind",
          "metadata",
          "spec"
        ],
        "properties": {
          "apiVersion": {
            "const": "zerverless.io/v1"
          },
          "kind": {
            "const": "Application"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "name",
              "namespace"
            ],
            "properties": {
              "name": {
                "$ref": "#/components/schemas/DnsLabel"
              },
              "namespace": {
                "$ref": "#/components/schemas/DnsLabel"
              },
              "labels": {
                "type": [
                  "object",
                  "null"
                ],
                "additionalProperties": {
                  "type": "string"
                }
              },
              "annotations": {
                "type": [
                  "object",
                  "null"
                ],
                "additionalProperties": {
                  "type": "string"
                }
              }
            }
          },
          "spec": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "source"
            ],
            "properties": {
              "source": {
                "$ref": "#/components/schemas/RegistrationSource"
              },
              "pollInterval": {
                "$ref": "#/components/schemas/PollInterval"
              },
              "syncPolicy": {
                "$ref": "#/components/schemas/SyncPolicy"
              },
              "notify": {
                "type": [
                  "array",
                  "null"
                ],
                "maxItems": 10,
                "items": {
                  "$ref": "#/components/schemas/NotifyEndpoint"
                },
                "description": "where this app's events go (also --notify-url)"
              }
            }
          }
        }
      },
      "RegistrationRequest": {
        "description": "A registration, in either form, as JSON or YAML (the body is read as YAML whatever its Content-Type; JSON is YAML). At most 64 KiB (65,536 bytes; more: 413). Validated with the code of `zerverless-gitops validate`: every problem is a diagnostic of the 400 answer (line and column in the body, file \"request body\"). Scalars are read as YAML scalars: strings, unquoted true/false for booleans. The patterns in this schema are safe subsets of what the handler takes; the descriptions give the full rules.",
        "oneOf": [
          {
            "$ref": "#/components/schemas/FlatRegistration"
          },
          {
            "$ref": "#/components/schemas/ApplicationRegistration"
          }
        ]
      },
      "Diagnostic": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "file",
          "line",
          "column",
          "severity",
          "message",
          "text"
        ],
        "properties": {
          "file": {
            "type": "string",
            "description": "\"request body\" for a registration sent to the API"
          },
          "line": {
            "type": "integer"
          },
          "column": {
            "type": "integer"
          },
          "severity": {
            "enum": [
              "error",
              "warning"
            ]
          },
          "field": {
            "type": "string",
            "description": "the field path (spec.source.repoURL); absent for problems of the document itself"
          },
          "message": {
            "type": "string"
          },
          "text": {
            "type": "string",
            "description": "compiler style: FILE:LINE:COLUMN: SEVERITY: [FIELD: ]MESSAGE"
          }
        }
      },
      "Error": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "error",
          "diagnostics"
        ],
        "properties": {
          "error": {
            "type": "string"
          },
          "diagnostics": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Diagnostic"
            },
            "description": "every diagnostic of an invalid registration; empty for other errors"
          }
        }
      },
      "StatusDocument": {
        "title": "zerverless-gitops application status",
        "description": "STATE/apps/NAME/status.json, GET /api/gitops/applications/NAME, and each element of GET /api/gitops/applications. Fields without a value are left out.",
        "type": "object",
        "required": [
          "name",
          "namespace",
          "source",
          "status",
          "functions"
        ],
        "additionalProperties": false,
        "properties": {
          "name": {
            "type": "string",
            "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
          },
          "namespace": {
            "type": "string",
            "description": "empty only for a registration file that could not be read"
          },
          "source": {
            "type": "object",
            "required": [
              "repoURL",
              "path"
            ],
            "additionalProperties": false,
            "properties": {
              "repoURL": {
                "type": "string",
                "description": "credentials redacted"
              },
              "branch": {
                "type": "string",
                "description": "the branch followed (branch refs only)"
              },
              "path": {
                "type": "string"
              },
              "commit": {
                "type": "string",
                "pattern": "^[0-9a-f]{40}$",
                "description": "the commit of the last successful sync"
              },
              "ref": {
                "type": "object",
                "description": "what is followed: exactly one of branch, tag, semver (with resolved: the tag the range chose), commit",
                "minProperties": 1,
                "additionalProperties": false,
                "properties": {
                  "branch": {
                    "type": "string"
                  },
                  "tag": {
                    "type": "string"
                  },
                  "semver": {
                    "type": "string"
                  },
                  "resolved": {
                    "type": "string"
                  },
                  "commit": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{40}$"
                  }
                }
              },
              "lastAttemptedCommit": {
                "type": "string",
                "pattern": "^[0-9a-f]{40}$",
                "description": "the commit the last attempt that reached the repository tried, good or not (source.commit stays the last good one)"
              }
            }
          },
          "lastSync": {
            "type": "string",
            "format": "date-time",
            "description": "time of the last successful sync"
          },
          "status": {
            "enum": [
              "pending",
              "syncing",
              "synced",
              "error",
              "invalid",
              "suspended",
              "deleting"
            ]
          },
          "message": {
            "type": "string"
          },
          "lastAttempt": {
            "type": "string",
            "format": "date-time"
          },
          "nextSync": {
            "type": "string",
            "format": "date-time"
          },
          "error": {
            "type": "object",
            "required": [
              "stage",
              "message"
            ],
            "additionalProperties": false,
            "properties": {
              "stage": {
                "enum": [
                  "registration",
                  "fetch",
                  "manifest",
                  "deploy",
                  "static",
                  "prune",
                  "verify"
                ]
              },
              "message": {
                "type": "string"
              },
              "file": {
                "type": "string"
              },
              "line": {
                "type": "integer",
                "minimum": 1
              },
              "column": {
                "type": "integer",
                "minimum": 1
              }
            }
          },
          "functions": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "path",
                "runtime",
                "url",
                "state"
              ],
              "additionalProperties": false,
              "properties": {
                "path": {
                  "type": "string",
                  "pattern": "^/"
                },
                "runtime": {
                  "enum": [
                    "lua",
                    "python",
                    "js",
                    "docker"
                  ]
                },
                "url": {
                  "type": "string",
                  "pattern": "^/"
                },
                "state": {
                  "enum": [
                    "deployed",
                    "pending",
                    "error",
                    "conflict"
                  ]
                },
                "message": {
                  "type": "string"
                }
              }
            }
          },
          "static": {
            "type": "object",
            "required": [
              "dir",
              "files",
              "bytes"
            ],
            "additionalProperties": false,
            "properties": {
              "dir": {
                "type": "string"
              },
              "files": {
                "type": "integer",
                "minimum": 0
              },
              "bytes": {
                "type": "integer",
                "minimum": 0
              }
            }
          },
          "registrationFile": {
            "type": "string"
          },
          "conflicts": {
            "type": "array",
            "description": "paths the manifest wants that another application of the namespace owns (not deployed; status error until they are free)",
            "items": {
              "type": "object",
              "required": [
                "kind",
                "path",
                "owner"
              ],
              "additionalProperties": false,
              "properties": {
                "kind": {
                  "enum": [
                    "function",
                    "file"
                  ]
                },
                "path": {
                  "type": "string"
                },
                "owner": {
                  "type": "string"
                }
              }
            }
          },
          "verified": {
            "type": "object",
            "description": "who signed what was deployed, when the registration verifies signatures (spec.source.verify)",
            "required": [
              "signer",
              "keyFingerprint"
            ],
            "additionalProperties": false,
            "properties": {
              "signer": {
                "type": "string",
                "description": "the SSH key's principal (its comment) or the OpenPGP user id"
              },
              "keyFingerprint": {
                "type": "string",
                "description": "SHA256:... for SSH keys, 40 hex for OpenPGP keys"
              },
              "tagObject": {
                "type": "string",
                "pattern": "^[0-9a-f]{40}$",
                "description": "verify.mode tag: the id of the annotated tag object that was verified (the one the head lookup advertised)"
              }
            }
          },
          "pinned": {
            "type": "object",
            "description": "a rollback pin in force: the app stays at this commit until unpinned",
            "required": [
              "commit",
              "since"
            ],
            "additionalProperties": false,
            "properties": {
              "commit": {
                "type": "string",
                "pattern": "^[0-9a-f]{40}$"
              },
              "reason": {
                "type": "string"
              },
              "since": {
                "type": "string",
                "format": "date-time"
              },
              "automatic": {
                "type": "boolean",
                "description": "an automatic rollback's pin (health checks failed): lifted by the daemon when the source moves to another commit"
              }
            }
          },
          "health": {
            "type": "object",
            "description": "whether the deployed commit works, from the manifest's health checks (absent when it declares none): progressing while the checks after a deploy run, healthy, degraded (failed past their deadline, or a later re-check failed), unknown (not checked: the local target without --invoke-url)",
            "required": [
              "status",
              "checks"
            ],
            "additionalProperties": false,
            "properties": {
              "status": {
                "enum": [
                  "progressing",
                  "healthy",
                  "degraded",
                  "unknown"
                ]
              },
              "checkedAt": {
                "type": "string",
                "format": "date-time"
              },
              "commit": {
                "type": "string",
                "pattern": "^[0-9a-f]{40}$"
              },
              "checks": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": [
                    "name",
                    "url",
                    "result"
                  ],
                  "additionalProperties": false,
                  "properties": {
                    "name": {
                      "type": "string",
                      "description": "the function's path, or static/FILE"
                    },
                    "url": {
                      "type": "string"
                    },
                    "result": {
                      "enum": [
                        "pass",
                        "fail"
                      ]
                    },
                    "code": {
                      "type": "integer"
                    },
                    "latencyMs": {
                      "type": "integer",
                      "minimum": 0
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              },
              "message": {
                "type": "string",
                "description": "why unknown, or what a failure led to (rolled back, or not and why)"
              }
            }
          },
          "drift": {
            "type": "object",
            "description": "the last drift pass (selfHeal warn or correct): what the target no longer holds as the app deployed it",
            "required": [
              "checkedAt",
              "items",
              "corrected",
              "unmanaged"
            ],
            "additionalProperties": false,
            "properties": {
              "checkedAt": {
                "type": "string",
                "format": "date-time"
              },
              "items": {
                "type": "array",
                "items": {
                  "type": "object",
                  "required": [
                    "kind",
                    "path",
                    "change"
                  ],
                  "additionalProperties": false,
                  "properties": {
                    "kind": {
                      "enum": [
                        "function",
                        "static"
                      ]
                    },
                    "path": {
                      "type": "string"
                    },
                    "change": {
                      "enum": [
                        "modified",
                        "missing"
                      ]
                    }
                  }
                }
              },
              "corrected": {
                "type": "integer",
                "minimum": 0,
                "description": "items deployed again by that pass (selfHeal correct)"
              },
              "unmanaged": {
                "type": "integer",
                "minimum": 0,
                "description": "functions and files of the namespace no application owns (never deleted)"
              }
            }
          },
          "shard": {
            "type": "integer",
            "minimum": 0,
            "description": "scale-out: the index of the shard that owns the application and wrote this document (absent with one shard)"
          },
          "suspended": {
            "type": "object",
            "description": "a state-side suspension (zerverless-gitops suspend): no syncs until resumed; a rewrite of the registration does not undo it",
            "required": [
              "since"
            ],
            "additionalProperties": false,
            "properties": {
              "reason": {
                "type": "string"
              },
              "since": {
                "type": "string",
                "format": "date-time"
              }
            }
          },
          "labels": {
            "type": "object",
            "description": "the registration's metadata.labels",
            "additionalProperties": {
              "type": "string"
            }
          },
          "progress": {
            "type": "object",
            "description": "while syncing: the stage and how far it is (rewritten at most a few times a second; absent otherwise)",
            "required": [
              "stage",
              "done",
              "unit",
              "updatedAt"
            ],
            "additionalProperties": false,
            "properties": {
              "stage": {
                "enum": [
                  "fetch",
                  "check",
                  "build",
                  "deploy",
                  "static",
                  "prune"
                ]
              },
              "done": {
                "type": "integer",
                "minimum": 0
              },
              "total": {
                "type": "integer",
                "minimum": 0
              },
              "unit": {
                "enum": [
                  "objects",
                  "files",
                  "steps"
                ]
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time"
              }
            }
          },
          "generatedBy": {
            "type": "string",
            "description": "an application set's application: the set that made it (interface section 9)"
          },
          "preview": {
            "type": "object",
            "description": "a preview (the set's template has a pathPrefix): where its static index and functions are reached, from --public-url (paths from the root without it)",
            "required": [
              "pathPrefix",
              "url",
              "functions"
            ],
            "additionalProperties": false,
            "properties": {
              "pathPrefix": {
                "type": "string"
              },
              "url": {
                "type": "string",
                "description": "the static index: {public}/static/{namespace}{pathPrefix}/index.html"
              },
              "functions": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "each function: {public}/{namespace}{pathPrefix}{path}"
              }
            }
          }
        }
      },
      "ApplicationList": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "applications",
          "total"
        ],
        "properties": {
          "applications": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/StatusDocument"
            },
            "description": "sorted by name; only the token's namespaces"
          },
          "total": {
            "type": "integer",
            "minimum": 0
          },
          "continue": {
            "type": "string",
            "description": "pass it back as ?continue= for the next page"
          }
        }
      },
      "ApplicationRemoved": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "removed",
          "message"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "removed": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "minItems": 1,
            "description": "the registration files removed (paths)"
          },
          "message": {
            "type": "string"
          }
        }
      },
      "SyncRequested": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "requested"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "requested": {
            "const": true
          }
        }
      },
      "WebhookIgnored": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "provider",
          "triggered",
          "count",
          "message"
        ],
        "description": "a signed delivery that is not a push event (a ping, say): nothing triggered",
        "properties": {
          "provider": {
            "enum": [
              "github",
              "gitlab",
              "gitea",
              "bitbucket",
              "generic"
            ],
            "description": "whose signature was valid"
          },
          "triggered": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "maxItems": 0
          },
          "message": {
            "type": "string"
          },
          "count": {
            "type": "integer",
            "const": 0
          }
        }
      },
      "WebhookAccepted": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "provider",
          "triggered",
          "count"
        ],
        "description": "A push: `branch` (or `tag`), `count`: the applications whose repository and ref match it (a sync request was written for each), and `triggered`: their names, sorted, only for a delivery signed with applications' own secrets (empty for the operator's secret, with a `message` giving the count); or a push of no branch or tag: `count` 0 and a `message`.",
        "properties": {
          "provider": {
            "enum": [
              "github",
              "gitlab",
              "gitea",
              "bitbucket",
              "generic"
            ],
            "description": "whose signature was valid"
          },
          "branch": {
            "type": "string"
          },
          "tag": {
            "type": "string"
          },
          "triggered": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "the applications triggered, by name: only when the delivery was signed with their own webhookSecretFile secret"
          },
          "message": {
            "type": "string"
          },
          "count": {
            "type": "integer",
            "minimum": 0,
            "description": "how many applications were triggered"
          }
        }
      },
      "WebhookPayload": {
        "type": "object",
        "description": "A push delivery as the forges send it. What is read: `ref` (refs/heads/BRANCH or refs/tags/TAG), `branch`, `repoURL` (generic form), repository or project URLs (clone_url, ssh_url, html_url, git_url, git_http_url, git_ssh_url, web_url, url, http_url, links.html.href) and Bitbucket Cloud's push.changes[].new {type, name}. Anything else is ignored.",
        "properties": {
          "ref": {
            "type": "string"
          },
          "branch": {
            "type": "string"
          },
          "repoURL": {
            "type": "string"
          },
          "repository": {
            "type": "object"
          },
          "project": {
            "type": "object"
          },
          "push": {
            "type": "object"
          }
        },
        "examples": [
          {
            "repoURL": "https://github.com/myuser/my-repo",
            "branch": "main"
          }
        ]
      },
      "WebhookForm": {
        "type": "object",
        "description": "GitHub's default content type: the JSON payload in the `payload` field",
        "properties": {
          "payload": {
            "type": "string",
            "description": "the JSON payload (see WebhookPayload)"
          }
        }
      },
      "SecretList": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "namespace",
          "secrets"
        ],
        "properties": {
          "namespace": {
            "type": "string"
          },
          "secrets": {
            "type": "array",
            "description": "the namespace's regular files, sorted by name; never their contents",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "name",
                "size",
                "modified"
              ],
              "properties": {
                "name": {
                  "type": "string"
                },
                "size": {
                  "type": "integer",
                  "minimum": 0
                },
                "modified": {
                  "type": "string",
                  "format": "date-time"
                }
              }
            }
          }
        }
      },
      "SecretStored": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "namespace",
          "name",
          "size",
          "replaced"
        ],
        "properties": {
          "namespace": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "size": {
            "type": "integer",
            "minimum": 0,
            "maximum": 65536
          },
          "replaced": {
            "type": "boolean",
            "description": "whether a file of that name was replaced"
          }
        }
      },
      "Health": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "const": "ok"
          }
        }
      },
      "Ready": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "const": "ready"
          }
        }
      },
      "NotReady": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "status",
          "problems"
        ],
        "properties": {
          "status": {
            "const": "not ready"
          },
          "problems": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "minItems": 1
          }
        }
      },
      "History": {
        "type": "object",
        "required": [
          "history"
        ],
        "additionalProperties": false,
        "properties": {
          "history": {
            "type": "array",
            "description": "newest first; unchanged polls are not attempts; at most 20 kept",
            "items": {
              "type": "object",
              "required": [
                "time",
                "trigger",
                "result",
                "durationMs",
                "targetCalls"
              ],
              "additionalProperties": false,
              "properties": {
                "time": {
                  "type": "string",
                  "format": "date-time"
                },
                "trigger": {
                  "enum": [
                    "startup",
                    "registration",
                    "request",
                    "webhook",
                    "poll",
                    "retry",
                    "removal",
                    "rollback",
                    "drift"
                  ]
                },
                "commit": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{40}$"
                },
                "result": {
                  "type": "string",
                  "description": "the status the attempt ended in: synced, error, invalid, undeployed..."
                },
                "durationMs": {
                  "type": "integer",
                  "minimum": 0
                },
                "targetCalls": {
                  "type": "integer",
                  "minimum": 0
                },
                "functionsChanged": {
                  "type": "integer",
                  "minimum": 0
                },
                "filesChanged": {
                  "type": "integer",
                  "minimum": 0
                },
                "message": {
                  "type": "string"
                },
                "health": {
                  "enum": [
                    "healthy",
                    "degraded",
                    "unknown"
                  ],
                  "description": "what the health checks after this attempt's deploy said"
                }
              }
            }
          }
        }
      },
      "RollbackRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "commit": {
            "type": "string",
            "pattern": "^[0-9a-f]{40}$",
            "description": "default: the successful commit before the current one"
          },
          "reason": {
            "type": "string",
            "maxLength": 1024
          }
        }
      },
      "Pinned": {
        "type": "object",
        "required": [
          "name",
          "pinned"
        ],
        "additionalProperties": false,
        "properties": {
          "name": {
            "type": "string"
          },
          "pinned": {
            "type": "string",
            "pattern": "^[0-9a-f]{40}$"
          },
          "from": {
            "type": "string"
          },
          "reason": {
            "type": "string"
          }
        }
      },
      "Unpinned": {
        "type": "object",
        "required": [
          "name",
          "pinned"
        ],
        "additionalProperties": false,
        "properties": {
          "name": {
            "type": "string"
          },
          "pinned": {
            "const": false
          }
        }
      },
      "NotifyEndpoint": {
        "type": "object",
        "additionalProperties": false,
        "description": "a webhook receiver (url, secretFile, format, on) or a forge's commit statuses (commitStatus, apiURL, tokenFile); secret files come from SECRETS_DIR/NAMESPACE/",
        "properties": {
          "url": {
            "type": "string",
            "pattern": "^https?://[^@/ ]+(/[^ ]*)?$"
          },
          "secretFile": {
            "type": "string",
            "minLength": 1,
            "description": "HMAC-SHA256 key for X-Zerverless-Signature"
          },
          "format": {
            "enum": [
              "generic",
              "slack"
            ],
            "default": "generic"
          },
          "on": {
            "type": "array",
            "items": {
              "enum": [
                "synced",
                "error",
                "invalid",
                "drift",
                "deleted",
                "healthy",
                "degraded",
                "rolledBack"
              ]
            },
            "description": "the events sent (default: all)"
          },
          "commitStatus": {
            "enum": [
              "github",
              "gitea",
              "gitlab"
            ]
          },
          "apiURL": {
            "type": "string",
            "pattern": "^https?://[^@/ ]+(/[^ ]*)?$"
          },
          "tokenFile": {
            "type": "string",
            "minLength": 1
          }
        },
        "oneOf": [
          {
            "required": [
              "url"
            ],
            "not": {
              "anyOf": [
                {
                  "required": [
                    "commitStatus"
                  ]
                },
                {
                  "required": [
                    "apiURL"
                  ]
                },
                {
                  "required": [
                    "tokenFile"
                  ]
                }
              ]
            }
          },
          {
            "required": [
              "commitStatus",
              "apiURL",
              "tokenFile"
            ],
            "not": {
              "anyOf": [
                {
                  "required": [
                    "url"
                  ]
                },
                {
                  "required": [
                    "secretFile"
                  ]
                },
                {
                  "required": [
                    "format"
                  ]
                },
                {
                  "required": [
                    "on"
                  ]
                }
              ]
            }
          }
        ]
      },
      "ApplicationSetStatus": {
        "type": "object",
        "description": "an application set's status (STATE/sets/NAME/status.json)",
        "required": [
          "name",
          "namespace",
          "file",
          "generated",
          "interval",
          "maxApplications",
          "skipped",
          "generators",
          "updatedAt"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "namespace": {
            "type": "string",
            "description": "empty for a file that was never a valid set"
          },
          "file": {
            "type": "string"
          },
          "generated": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "the applications it made, by name"
          },
          "lastListed": {
            "type": "string",
            "format": "date-time"
          },
          "nextListing": {
            "type": "string",
            "format": "date-time"
          },
          "interval": {
            "type": "integer",
            "description": "seconds between listings, as applied (raised to --set-min-interval)"
          },
          "maxApplications": {
            "type": "integer",
            "description": "limits.maxApplications, at most --max-apps-per-set"
          },
          "skipped": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "element",
                "field",
                "message"
              ],
              "properties": {
                "element": {
                  "type": "string"
                },
                "field": {
                  "type": "string"
                },
                "message": {
                  "type": "string"
                }
              }
            }
          },
          "generators": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "kind",
                "elements"
              ],
              "properties": {
                "kind": {
                  "enum": [
                    "list",
                    "gitDirectories",
                    "gitBranches",
                    "pullRequests"
                  ]
                },
                "elements": {
                  "type": "integer"
                },
                "lastListed": {
                  "type": "string",
                  "format": "date-time"
                },
                "error": {
                  "type": "string"
                }
              }
            }
          },
          "error": {
            "type": "string",
            "description": "an invalid file, a failing generator (the set keeps what it made)"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      }
    },
    "responses": {
      "Unauthorized": {
        "description": "With --api-tokens-file: no `Authorization: Bearer TOKEN` header, a token the file does not hold, or a file that cannot be used (then every token is refused). Never answered without --api-tokens-file.",
        "headers": {
          "WWW-Authenticate": {
            "required": true,
            "schema": {
              "const": "Bearer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "MisdirectedRequest": {
        "description": "The Host header names neither this API's --listen address, localhost (127.0.0.1, [::1]), nor a name given with --api-hostname (on a wildcard --listen, any IP literal is also answered): a page of another name resolved to this address (DNS rebinding) reads nothing. Answered on every route.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "MissingHost": {
        "description": "the request has no Host header",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "CrossOrigin": {
        "description": "A browser's request made by another origin's page: Sec-Fetch-Site cross-site or same-site (except a plain GET navigation, a followed link), or, for POST, PUT, DELETE and PATCH, an Origin header that is not this API's own (scheme http or https, the Host's host and port). Clients that send neither (curl, scripts, forges) are not affected.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "the Content-Type is not one this call takes (a cross-site form can send only text/plain, application/x-www-form-urlencoded and multipart/form-data without a CORS preflight, which this API never grants)",
        "headers": {
          "Accept": {
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "the media types taken"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooManyStreams": {
        "description": "Over the event streams' budget: --api-max-streams-per-token (default 8) streams of this token, or --api-max-streams (default 64) in all, are open. Retry later, or close a stream.",
        "headers": {
          "Retry-After": {
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            },
            "description": "seconds"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "parameters": {
      "name": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "The application's name: a DNS label (RFC 1123): lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$). Anything else is answered 400 before any file is looked at.",
        "schema": {
          "type": "string"
        },
        "example": "my-app"
      },
      "namespace": {
        "name": "namespace",
        "in": "path",
        "required": true,
        "description": "The namespace: a DNS label (RFC 1123): lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$). Anything else is answered 400.",
        "schema": {
          "type": "string"
        },
        "example": "myuser"
      },
      "file": {
        "name": "file",
        "in": "path",
        "required": true,
        "description": "The secret file's name: letters, digits, '.', '_' and '-', not starting with '.', 1 to 128 characters (^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$). Anything else is answered 400 (after the namespace checks).",
        "schema": {
          "type": "string"
        },
        "example": "github-token"
      }
    },
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token of --api-tokens-file (one per line: TOKEN NAMESPACE[,NAMESPACE...] or TOKEN *; tokens of at least 16 characters), sent as `Authorization: Bearer TOKEN` (the scheme name in any case). Optional when the daemon runs without --api-tokens-file: then no token is asked for and every namespace is allowed. A tokens file that cannot be used grants nothing (401 for every token, /readyz 503)."
      }
    }
  }
}
"""#
}
