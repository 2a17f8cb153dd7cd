#!/usr/bin/python3
"""Renders testdata/chat_templates/*.jinja for every conversation in
testdata/chat_templates/cases.json the way Hugging Face's
apply_chat_template(tokenize=False) does, and writes the results to
testdata/chat_templates/expected/<template>__<conversation>.txt (or .error
holding the exception message when the template raises).

The C++ test (src/chat/chat_template_test.cc) compares its output with these
files byte for byte. Run this only to refresh the data; the test suite does
not need Python. Uses Debian's python3-jinja2 (scripts/setup.sh installs it).
"""
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "testdata", "chat_templates")


def make_env(now):
    # As transformers' _compile_jinja_template sets it up.
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.fromtimestamp(now, timezone.utc).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    with open(os.path.join(DATA, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    env = make_env(cases["now_unix_seconds"])
    out_dir = os.path.join(DATA, "expected")
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, name))
    for tname, tconf in sorted(cases["templates"].items()):
        with open(os.path.join(DATA, tname + ".jinja"), encoding="utf-8", newline="") as f:
            template = env.from_string(f.read())
        for cname, conv in sorted(cases["conversations"].items()):
            context = dict(conv.get("extra", {}))
            context.update(messages=conv["messages"],
                           add_generation_prompt=conv["add_generation_prompt"],
                           bos_token=tconf["bos_token"], eos_token=tconf["eos_token"])
            base = os.path.join(out_dir, tname + "__" + cname)
            try:
                text, ext = template.render(**context), ".txt"
            except jinja2.exceptions.TemplateError as e:
                text, ext = str(e), ".error"
            with open(base + ext, "w", encoding="utf-8", newline="") as f:
                f.write(text)
    print("jinja2", jinja2.__version__, "->", out_dir, file=sys.stderr)


if __name__ == "__main__":
    main()
