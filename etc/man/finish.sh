#!/bin/sh
# Finishes the man pages argument-parser's generate-manual wrote into DIR (make dist):
#  - each subcommand page zerverless-gitops.SUB.1 becomes zerverless-gitops-SUB.1, named
#    zerverless-gitops-SUB in its NAME section (what mandb reads: `man -k` lists it with its
#    purpose, and man-db opens it for `man zerverless-gitops SUB`), with the usage line kept
#    as typed (`zerverless-gitops SUB ...`), the version in its footer and a SEE ALSO back
#    to zerverless-gitops(1);
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
	upper=$(printf '%s' "$sub" | tr 'a-z' 'A-Z')
	out="$dir/zerverless-gitops-$sub.1"
	sed -e "s/^\.Dt ZERVERLESS-GITOPS\.$upper 1\$/.Dt ZERVERLESS-GITOPS-$upper 1/" \
		-e "s/^\.Nm \"zerverless-gitops $sub\"\$/.Nm zerverless-gitops-$sub/" \
		-e 's/^\.Nd "\(.*\)"$/.Nd \1/' \
		-e "/^\.Sh SYNOPSIS\$/{n;s/^\.Nm\$/.Nm zerverless-gitops $sub/;}" \
		-e "s/^\.Os\$/.Os zerverless-gitops $version/" \
		"$page" >"$out"
	# (the generated page has no newline at its end)
	[ -z "$(tail -c 1 "$out")" ] || echo >>"$out"
	printf '.Sh "SEE ALSO"\n.Xr zerverless-gitops 1\n' >>"$out"
	rm "$page"
	purpose=$(sed -n 's/^\.Nd //p' "$out")
	grep -q "^\.Nm zerverless-gitops-$sub\$" "$out" && [ -n "$purpose" ] || {
		echo "$0: $out: no NAME line (has argument-parser's page format changed?)" >&2
		exit 1
	}
	printf '.TP 10\n.B %s\n%s;\nsee\n.BR zerverless\\-gitops\\-%s (1).\n' "$sub" "$purpose" "$sub" >>"$commands"
	printf '.BR zerverless\\-gitops\\-%s (1),\n' "$sub" >>"$seealso"
done
sed -e "s/@VERSION@/$version/" \
	-e "/^\.\\\\\" @COMMANDS@\$/{r $commands
d;}" \
	-e "/^\.\\\\\" @SEEALSO@\$/{r $seealso
d;}" \
	"$here/zerverless-gitops.1" >"$dir/zerverless-gitops.1"
