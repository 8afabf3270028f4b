"""Regenerates the `$ vippl infer ...` output blocks of README.md and
docs/divergences.md by running their commands again.

A block keeps the lines it chose to show (and its `...` elisions): each
shown line is replaced by the line of the new output with the same label,
the words before its first number. A label the program no longer prints is
an error: edit the block by hand, then run this again.
tests/all/doc_blocks.rs checks the blocks against reruns within their Monte
Carlo error.

    cargo build --release && python3 docs/blocks.py [path/to/vippl]
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", "docs/divergences.md"]


def is_number(token):
    try:
        float(token)
        return True
    except ValueError:
        return False


def label(line):
    words = []
    for t in line.split():
        if is_number(t):
            break
        words.append(t)
    return " ".join(words)


def run(binary, command, scratch):
    args = [os.path.join(ROOT, a) if a.startswith("examples/") else a
            for a in command.split()]
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([binary] + args, cwd=scratch, env=env,
                       capture_output=True, text=True)
    return ([l.rstrip() for l in p.stdout.splitlines()],
            [l.rstrip() for l in p.stderr.splitlines()])


def regenerate(block, binary, scratch, where):
    lines = block.split("\n")
    command = lines[0][len("$ vippl "):]
    out, err = run(binary, command, scratch)
    new, at = [lines[0]], 0
    for shown in lines[1:]:
        if shown.strip() in ("", "..."):
            new.append(shown)
            continue
        lab = label(shown)
        hits = [k for k in range(at, len(out)) if label(out[k]) == lab]
        if hits:
            at = hits[0] + 1
            new.append(out[hits[0]])
            continue
        hits = [l for l in err if label(l) == lab]
        if not hits:
            sys.exit(f"{where}: `vippl {command}` no longer prints `{lab}`")
        new.append(hits[0])
    return "\n".join(new)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "target", "release", "vippl")
    with tempfile.TemporaryDirectory() as scratch:
        for doc in DOCS:
            path = os.path.join(ROOT, doc)
            parts = open(path, encoding="utf-8").read().split("```")
            for i in range(1, len(parts), 2):
                body = parts[i][1:] if parts[i].startswith("\n") else parts[i]
                if body.startswith("$ vippl infer "):
                    parts[i] = "\n" + regenerate(body, binary, scratch, doc)
            open(path, "w", encoding="utf-8").write("```".join(parts))
            print(f"regenerated {doc}")


if __name__ == "__main__":
    main()
