#!/usr/bin/env python3
"""Validates sqlsynth's contracts with other people's validators.

    validate.py check-schema SCHEMA...        each file is a valid JSON Schema 2020-12
    validate.py json SCHEMA FILE...           JSON files (or - for stdin) against a 2020-12 schema
    validate.py k8s FILE...                   Kubernetes YAML: built-in kinds against the OpenAPI
                                              schemas kubernetes-validate ships (strict: unknown
                                              fields are errors), keda.sh kinds against KEDA's CRDs
                                              in deploy/schemas/keda (unknown fields are errors)
    validate.py compose FILE...               compose files against deploy/schemas/compose-spec

Prints one JSON object: under "files", for each file (YAML documents as
FILE#N) the list of error messages, empty when valid; `k8s` adds
"kubernetes_version", the release whose schemas it used. Exit status 0 when it could validate
(whatever it found), 2 when it could not (missing package, unreadable file).
"""

import copy
import json
import os
import sys

import jsonschema
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEDA_CRDS = os.path.join(REPO, "deploy", "schemas", "keda")
COMPOSE_SCHEMA = os.path.join(REPO, "deploy", "schemas", "compose-spec", "compose-spec.json")


def errors_of(validator, instance):
    """Every error as `at <path>: <message>`, deepest first in document order."""
    found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def load_json(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def yaml_documents(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def validator_2020_12(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def strict_openapi(schema):
    """A CRD's openAPIV3Schema as the API server applies it with strict field
    validation: an object that lists its properties accepts no others, unless
    it says `x-kubernetes-preserve-unknown-fields`."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def keda_validators():
    """(apiVersion, kind) -> validator for every served version of the KEDA CRDs kept in the repo."""
    validators = {}
    for name in sorted(os.listdir(KEDA_CRDS)):
        if not name.endswith(".yaml"):
            continue
        for crd in yaml_documents(os.path.join(KEDA_CRDS, name)):
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = strict_openapi(version["schema"]["openAPIV3Schema"])
                    validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft4Validator(schema)
    return validators


def check_k8s(paths):
    import kubernetes_validate

    version = kubernetes_validate.utils.latest_version()
    keda = keda_validators()
    report = {}
    for path in paths:
        for index, document in enumerate(yaml_documents(path)):
            key = f"{path}#{index}"
            api_version, kind = document.get("apiVersion"), document.get("kind")
            if (api_version, kind) in keda:
                report[key] = errors_of(keda[(api_version, kind)], document)
                continue
            try:
                kubernetes_validate.validate(document, version, strict=True)
                report[key] = []
            except kubernetes_validate.ValidationError as e:
                report[key] = [f"at /{'/'.join(map(str, e.path))}: {e.message}"]
            except kubernetes_validate.SchemaNotFoundError:
                report[key] = [f"no schema for {api_version} {kind} in Kubernetes {version} or deploy/schemas"]
    return report, version


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, args, extra = argv[1], argv[2:], {}
    if command == "check-schema":
        report = {}
        for path in args:
            try:
                jsonschema.Draft202012Validator.check_schema(load_json(path))
                report[path] = []
            except jsonschema.SchemaError as e:
                report[path] = [e.message]
    elif command == "json":
        validator = validator_2020_12(load_json(args[0]))
        report = {path: errors_of(validator, load_json(path)) for path in args[1:]}
    elif command == "k8s":
        report, version = check_k8s(args)
        extra["kubernetes_version"] = version
    elif command == "compose":
        with open(COMPOSE_SCHEMA, encoding="utf-8") as f:
            validator = jsonschema.Draft7Validator(json.load(f))
        report = {}
        for path in args:
            for index, document in enumerate(yaml_documents(path)):
                report[f"{path}#{index}"] = errors_of(validator, document)
    else:
        print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
        return 2
    json.dump({"files": report, **extra}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
