"""The recorded code base's units (bench/scale.sh's units.tsv) for the
benches' Python parts (bench/run.sh): each unit's directory and its
compile's arguments without -o and its value."""
import shlex


def read_units(path):
    units = []
    for line in open(path):
        _, _, _, cwd, quoted = line.rstrip("\n").split("\t")
        args, skip = [], False
        for a in shlex.split(quoted):
            if skip or a == "-o":
                skip = not skip
                continue
            args.append(a)
        units.append((cwd, args))
    return units
