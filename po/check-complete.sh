#!/bin/bash
# po-complete: every user-visible string in the sources listed in POTFILES
# (and every source that uses _() must be listed) has a French translation.
set -euo pipefail
src=${1:?source dir}
cd "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
missing=$(grep -rlE '\b_\(|N_\(' src --include='*.c' | sort | comm -23 - <(grep -v '^#' po/POTFILES | sort) || true)
if [ -n "$missing" ]; then
	echo "files using _() but not in po/POTFILES:"; echo "$missing"; exit 1
fi
xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -f po/POTFILES -o "$tmp/swarmplay.pot" 2>/dev/null
msgmerge -q --no-fuzzy-matching "po/fr.po" "$tmp/swarmplay.pot" -o "$tmp/fr.po"
untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/fr.po" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/fr.po" | grep -c '^msgid ' || true)
# msgattrib prints the header entry too when anything is listed
if [ "$untranslated" -gt 1 ] || [ "$fuzzy" -gt 1 ]; then
	echo "po/fr.po is incomplete: untranslated or fuzzy:"
	msgattrib --untranslated --no-obsolete "$tmp/fr.po" | grep -A1 '^msgid ' | head -40
	exit 1
fi
echo "po/fr.po covers every string"
