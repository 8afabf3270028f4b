"""Regenerates the `$ vippl infer ...` output blocks of README.md and
docs/divergences.md by running their commands again, and the REPL session
of docs/repl.md by running its commands again.

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


def segments(lines):
    """Splits a transcript at its `vippl> ` command lines."""
    parts = [[]]
    for line in lines:
        if line.startswith("vippl> "):
            parts.append([])
        parts[-1].append(line)
    return parts


def regenerate_session(block, binary, scratch):
    """A shown segment keeps its shape: the lines before a `...` are the
    first lines of the new output, those after it the last ones; the
    lines before the first command (notes on stderr) stay."""
    shown = block.split("\n")
    script = "".join(l[len("vippl> "):] + "\n" for l in shown
                     if l.startswith("vippl> "))
    os.makedirs(os.path.join(scratch, "examples"), exist_ok=True)
    for f in ("eight_schools.vi", "eight_schools.json"):
        with open(os.path.join(ROOT, "examples", f), encoding="utf-8") as src:
            with open(os.path.join(scratch, "examples", f), "w",
                      encoding="utf-8") as dst:
                dst.write(src.read())
    p = subprocess.run(
        [binary, "repl", "--echo", "examples/eight_schools.vi", "--data",
         "examples/eight_schools.json"], input=script, cwd=scratch,
        env=dict(os.environ, NO_COLOR="1", VIPPL_HISTORY=""),
        capture_output=True, text=True)
    old, new = segments(shown), segments(
        [l.rstrip() for l in p.stdout.splitlines()])
    if len(old) != len(new):
        sys.exit("docs/repl.md: the session printed another set of commands")
    out = old[0]
    for o, n in zip(old[1:], new[1:]):
        if "..." in o:
            k = o.index("...")
            tail = len(o) - k - 1
            out += n[:k] + ["..."] + (n[len(n) - tail:] if tail else [])
        else:
            out += n
    return "\n".join(out)


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
        path = os.path.join(ROOT, "docs", "repl.md")
        parts = open(path, encoding="utf-8").read().split("```text\n", 1)
        body, rest = parts[1].split("```", 1)
        session = regenerate_session(body.rstrip("\n"), binary, scratch)
        parts[1] = session + "\n```" + rest
        open(path, "w", encoding="utf-8").write("```text\n".join(parts))
        print("regenerated docs/repl.md")
        excerpt(session.split("\n"))


def excerpt(session):
    """README.md shows lines of the docs/repl.md session: each shown line
    is replaced by the session's next line with the same label."""
    path = os.path.join(ROOT, "README.md")
    parts = open(path, encoding="utf-8").read().split("```")
    for i in range(1, len(parts), 2):
        lines = parts[i].split("\n")
        if len(lines) < 2 or not lines[1].startswith("$ vippl repl "):
            continue
        at = 0
        for j in range(2, len(lines)):
            shown = lines[j]
            if shown.startswith("vippl> "):
                at = session.index(shown, at) + 1
            elif shown.strip() not in ("", "..."):
                hits = [k for k in range(at, len(session))
                        if label(session[k]) == label(shown)]
                if not hits:
                    sys.exit(f"README.md: the session no longer prints "
                             f"`{label(shown)}`")
                at = hits[0] + 1
                lines[j] = session[hits[0]]
        parts[i] = "\n".join(lines)
    open(path, "w", encoding="utf-8").write("```".join(parts))
    print("regenerated the REPL excerpt of README.md")


if __name__ == "__main__":
    main()
