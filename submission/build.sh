#!/usr/bin/env bash
# Build submission.pdf at the repository root from submission/submission.tex.
# 1. `python -m submission.make_numbers` (from the repository root) writes submission/numbers.tex from lib/ and
#    submission/measured/ and stops if a claim of the text no longer holds (pass --from-results to copy the
#    experiments' files from results/ into submission/measured/ first);
# 2. pdflatex twice (the second run resolves references), in submission/;
# 3. fails if the log reports an overfull box, then copies the PDF to the repository root.
# The team's names and matriculation numbers come from submission/team.tex (edit it before handing in).
# Needs Debian's texlive: apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra
#   texlive-fonts-recommended (and poppler-utils for pdftoppm, to look at the pages).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
(cd "$here/.." && "$python" -m submission.make_numbers "$@")
cd "$here"
for run in 1 2; do
    if ! pdflatex -interaction=nonstopmode -halt-on-error submission.tex >/dev/null; then
        tail -n 40 submission.log
        echo "pdflatex failed (run $run); see submission/submission.log" >&2
        exit 1
    fi
done
if grep -n "Overfull" submission.log; then
    echo "overfull boxes in submission/submission.log: fix the lines above" >&2
    exit 1
fi
mv submission.pdf ../submission.pdf  # one copy only, at the root
echo "Wrote submission.pdf ($(pdfinfo ../submission.pdf 2>/dev/null | awk '/^Pages/ {print $2}') pages)"
if grep -q "0000000" team.tex; then
    echo "note: submission/team.tex still holds placeholder names and matriculation numbers" >&2
fi
