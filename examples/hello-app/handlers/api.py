import json


def handle(req):
    name = (req.get("query") or {}).get("name", "world")
    return {"status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"hello": name})}


print(json.dumps(handle(INPUT)))  # noqa: F821 - INPUT is provided by the Zerverless runtime
