#!/bin/sh
# Finishes the man pages argument-parser's generate-manual wrote into DIR (make dist):
#  - each subcommand page zerverless-gitops.SUB.1 (zerverless-gitops.SUB.SUBSUB.1 for a
#    nested one) becomes zerverless-gitops-SUB.1, named zerverless-gitops-SUB in its NAME
#    section (what mandb reads: `man -k` lists it with its purpose, and man-db opens it for
#    `man zerverless-gitops SUB`), with the usage line kept as typed (`zerverless-gitops
#    SUB ...`), the version in its footer, references to other pages renamed alike, and a
#    SEE ALSO back to zerverless-gitops(1);
#  - the generated root page (and the help subcommand's) give way to the hand-written
#    etc/man/zerverless-gitops.1, whose @VERSION@, @COMMANDS@ and @SEEALSO@ are filled in
#    from the subcommand pages.
# Usage: etc/man/finish.sh DIR VERSION
set -eu
dir=$1
version=$2
here=$(dirname "$0")
rm -f "$dir/zerverless-gitops.1" "$dir/zerverless-gitops.help.1"
commands=$(mktemp)
seealso=$(mktemp)
trap 'rm -f "$commands" "$seealso"' EXIT
for page in "$dir"/zerverless-gitops.*.1; do
	[ -e "$page" ] || continue
	sub=${page##*/zerverless-gitops.}
	sub=${sub%.1}
	name=zerverless-gitops-$(printf '%s' "$sub" | tr . -)
	typed="zerverless-gitops $(printf '%s' "$sub" | tr . ' ')"
	out="$dir/$name.1"
	sed -e "s/^\.Dt .*/.Dt $(printf '%s' "$name" | tr 'a-z' 'A-Z') 1/" \
		-e "s/^\.Nm \"$typed\"\$/.Nm $name/" \
		-e 's/^\.Nd "\(.*\)"$/.Nd \1/' \
		-e "/^\.Sh SYNOPSIS\$/{n;s/^\.Nm\$/.Nm $typed/;}" \
		-e "s/^\.Os\$/.Os zerverless-gitops $version/" \
		-e ':dots' -e 's/^\(\.Xr zerverless-gitops[-a-z0-9]*\)\./\1-/' -e 'tdots' \
		-e '/^\.Sh "SEE ALSO"$/a .Xr zerverless-gitops 1 ,' \
		"$page" >"$out"
	rm "$page"
	# (a generated page has no newline at its end)
	[ -z "$(tail -c 1 "$out")" ] || echo >>"$out"
	grep -q '^\.Sh "SEE ALSO"$' "$out" || printf '.Sh "SEE ALSO"\n.Xr zerverless-gitops 1\n' >>"$out"
	purpose=$(sed -n 's/^\.Nd //p' "$out")
	grep -q "^\.Nm $name\$" "$out" && [ -n "$purpose" ] || {
		echo "$0: $out: no NAME line (has argument-parser's page format changed?)" >&2
		exit 1
	}
	printf '.TP 10\n.B %s\n%s;\nsee\n.BR %s (1).\n' "${typed#zerverless-gitops }" "$purpose" \
		"$(printf '%s' "$name" | sed 's/-/\\-/g')" >>"$commands"
	printf '.BR %s (1),\n' "$(printf '%s' "$name" | sed 's/-/\\-/g')" >>"$seealso"
done
sed -e "s/@VERSION@/$version/" \
	-e "/^\.\\\\\" @COMMANDS@\$/{r $commands
d;}" \
	-e "/^\.\\\\\" @SEEALSO@\$/{r $seealso
d;}" \
	"$here/zerverless-gitops.1" >"$dir/zerverless-gitops.1"
