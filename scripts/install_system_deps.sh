#!/usr/bin/env bash
# Install the non-Python tools: TeX Live for the PDF reports, with --grade bubblewrap (the sandbox
# of `workbook autograde`), and with --test also Chromium (the browser test), Java (Spark) and
# bubblewrap. Uses apt-get as root or through sudo; elsewhere it names them.
set -euo pipefail
TEX_PKGS="texlive-latex-base texlive-latex-recommended lmodern latexmk poppler-utils"
TEST_PKGS="chromium"
JAVA_PKGS="default-jre-headless"
GRADE_PKGS="bubblewrap"
want=()
for tool in pdflatex latexmk pdftotext; do
  kpsewhich lmodern.sty >/dev/null 2>&1 || { want=($TEX_PKGS); break; }
  command -v "$tool" >/dev/null 2>&1 || { want=($TEX_PKGS); break; }
done
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || want+=($TEST_PKGS)
  command -v java >/dev/null 2>&1 || want+=($JAVA_PKGS)
fi
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--grade" ]; then
  command -v bwrap >/dev/null 2>&1 || want+=($GRADE_PKGS)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" != none ]; then
    echo "installing ${want[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${want[@]}"
    exit 0
  fi
fi
cat >&2 <<MSG
Missing system packages: ${want[*]}
Install them with your system's package manager (Debian/Ubuntu:
  sudo apt-get install --no-install-recommends ${want[*]}
macOS: brew install --cask mactex-no-gui && brew install poppler; plus Chromium for the browser test;
bubblewrap exists only on Linux: grade there, or with `workbook autograde --no-sandbox` in a VM),
then run the command again.
MSG
exit 1
