#!/usr/bin/env python3
"""Prints the module files (paths relative to /lib/modules/VER) that the named modules need,
dependencies included, from a modules.dep file. Names match file names with '-' and '_' equal."""
import os
import sys


def norm(name):
    return name.replace("-", "_")


def main(dep_path, names):
    deps = {}
    by_name = {}
    with open(dep_path) as f:
        for line in f:
            target, _, rest = line.partition(":")
            deps[target] = rest.split()
            by_name[norm(os.path.basename(target)[: -len(".ko")])] = target
    wanted, todo = set(), []
    for name in names:
        if norm(name) not in by_name:
            sys.exit(f"modclosure.py: error: no module {name} in {dep_path}")
        todo.append(by_name[norm(name)])
    while todo:
        path = todo.pop()
        if path not in wanted:
            wanted.add(path)
            todo.extend(deps.get(path, []))
    print("\n".join(sorted(wanted)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
