#!/usr/bin/env bash
# --json: collection-status, list-current-files, diff and the backup
# statistics print one JSON document on stdout that validates against the
# schema in docs/json.md and carries the facts of the text output; the
# text output is unchanged without it.  --jsonstat logs duplicity 3's
# statistics document.
. "$(dirname "$0")/lib.sh"

V=${VECTORS:+$VECTORS/duplicity-0.8.22}
CHECK="$TEST_TOP/tests/tools/check-json.py"
URL="file://$V/a-plain/remote"

python3 -c "import jsonschema" 2>/dev/null ||
	test_skip_all "python3 jsonschema is missing (scripts/install-deps installs python3-jsonschema)"

test_expect_success 'the schema in docs/json.md is a valid draft 2020-12 schema' '
	echo "{\"command\": \"collection-status\"}" >bad.json &&
	test_must_fail python3 "$CHECK" bad.json >problems &&
	grep -q "is not valid\|required" problems
'

test_expect_success VECTORS 'collection-status --json: valid, and the facts of the text' '
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c" "$URL" >text &&
	"$DUPC" collection-status --json --no-encryption --archive-dir "$TRASH/c" \
		"$URL" >doc.json 2>err &&
	python3 "$CHECK" doc.json &&
	grep -q "^Last full backup date" err &&
	! grep -q "Collection Status" err &&
	python3 - text doc.json <<-\PY
	import json, re, sys, time
	text = open(sys.argv[1]).read()
	doc = json.load(open(sys.argv[2]))
	pretty = lambda t: time.asctime(time.gmtime(t))
	ch = doc["primary_chain"]
	assert "Chain start time: " + pretty(ch["start_time"]) in text
	assert "Chain end time: " + pretty(ch["end_time"]) in text
	assert "Number of contained backup sets: %d" % len(ch["sets"]) in text
	assert "Total number of contained volumes: %d" % ch["volumes"] in text
	rows = re.findall(r"^\s+(Full|Incremental)\s+(.+?)\s+(\d+)$", text, re.M)
	got = [("Full" if s["type"] == "full" else "Incremental",
	        pretty(s["time"]), str(s["volumes"])) for s in ch["sets"]]
	assert rows == got, (rows, got)
	assert "Found %d secondary backup chain" % len(doc["secondary_chains"]) in text
	assert doc["orphaned_sets"] == 0 and doc["incomplete_sets"] == 0
	assert "No orphaned or incomplete backup sets found." in text
	assert "Archive dir: " + doc["archive_dir"] in text
	PY
'

test_expect_success VECTORS 'list-current-files --json: valid, the text'"'"'s files, exact bytes of odd names' '
	for t in 20231114T221320Z 20231114T221640Z; do
		"$DUPC" list-current-files -v error --no-encryption \
			--archive-dir "$TRASH/c" -t $t "$URL" >text-$t &&
		"$DUPC" list-current-files --json --no-encryption \
			--archive-dir "$TRASH/c" -t $t "$URL" >doc-$t.json &&
		python3 "$CHECK" doc-$t.json &&
		python3 - text-$t doc-$t.json <<-\PY || return 1
	import json, sys, time
	lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
	doc = json.load(open(sys.argv[2]))
	want = []
	for f in doc["files"]:
	    p = bytes.fromhex(f["path_hex"]) if "path_hex" in f else f["path"].encode()
	    want.append(time.asctime(time.gmtime(f["mtime"])).encode() + b" " + p)
	assert lines == want, (lines[:3], want[:3])
	odd = [f for f in doc["files"] if "path_hex" in f]
	assert [bytes.fromhex(f["path_hex"]) for f in odd] == [b"latin1-\xe9.txt"]
	assert odd[0]["path"] == "latin1-\ufffd.txt"
	links = {f["path"]: f["target"] for f in doc["files"] if f["type"] == "sym"}
	assert links["dangling-link"] == "does/not/exist"
	PY
	done
'

test_expect_success VECTORS 'diff --json: valid, the lines and the summary of the text' '
	"$DUPC" diff -v error --no-encryption --archive-dir "$TRASH/c" \
		20231114T221320Z 20231114T221640Z "$URL" >text &&
	"$DUPC" diff --json --no-encryption --archive-dir "$TRASH/c" \
		20231114T221320Z 20231114T221640Z "$URL" >doc.json &&
	python3 "$CHECK" doc.json &&
	python3 - text doc.json <<-\PY
	import json, sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
	doc = json.load(open(sys.argv[2]))
	want = [c["change"].encode() + b" " + (bytes.fromhex(c["path_hex"])
	        if "path_hex" in c else c["path"].encode()) for c in doc["changes"]]
	assert lines[:-1] == want, (lines, want)
	s = doc["summary"]
	assert lines[-1].decode() == ("%d new, %d deleted, %d modified, %d type changed, "
	    "%d metadata only" % (s["new"], s["deleted"], s["modified"],
	                          s["type_changed"], s["metadata_only"]))
	assert doc["time_a_str"] == "2023-11-14T22:13:20Z"
	assert doc["time_b"] == 1700000200
	PY
'

# stats_of FILE: the statistics block of a console text or machine log as
# NAME VALUE lines, the times left out.
stats_of() {
	sed -e "s/^\. //" "$1" |
	sed -n "/Backup Statistics/,/^---*$/p" |
	grep -E "^[A-Za-z]+ -?[0-9]" | grep -v "Time " | cut -d" " -f1,2
}

test_expect_success 'full and incremental --json: valid, and the statistics of the text' '
	mkdir -p src && echo one >src/a && echo two >src/b &&
	"$DUPC" full --json --no-encryption --archive-dir "$TRASH/cb" \
		--log-file "$TRASH/full.log" src "file://$TRASH/tgt" >full.json 2>err &&
	python3 "$CHECK" full.json &&
	! grep -q "Backup Statistics" err &&
	echo three >>src/a && rm src/b &&
	# a change within the second of the full goes unseen, as in duplicity
	touch -d "@$(($(date +%s) + 5))" src/a &&
	"$DUPC" incremental --json --no-encryption --archive-dir "$TRASH/cb" \
		--log-file "$TRASH/inc.log" src "file://$TRASH/tgt" >inc.json 2>err &&
	python3 "$CHECK" inc.json &&
	for r in full inc; do
		stats_of $r.log >text-$r &&
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
for k, v in d[\"statistics\"].items():
    if not k.endswith(\"Time\"):
        print(k, v)" $r.json | LC_ALL=C sort >json-$r &&
		LC_ALL=C sort text-$r >text-sorted-$r &&
		test_cmp text-sorted-$r json-$r || return 1
	done &&
	python3 - full.json inc.json <<-\PY
	import json, sys
	full, inc = (json.load(open(p)) for p in sys.argv[1:])
	assert full["action"] == "full" and full["incrementals"] == 0
	assert inc["action"] == "inc" and inc["incrementals"] == 1
	assert inc["chain_start"] == full["chain_start"]
	assert inc["statistics"]["DeletedFiles"] == 1
	assert inc["statistics"]["ChangedFiles"] == 1
	PY
'

test_expect_success 'without --json the statistics block is on stdout as before' '
	echo four >>src/a &&
	"$DUPC" incremental --no-encryption --archive-dir "$TRASH/cb" \
		src "file://$TRASH/tgt" >out 2>err &&
	grep -q "^--------------\[ Backup Statistics \]" out &&
	test ! -s err
'

test_expect_success '--jsonstat: duplicity 3'"'"'s document, with the statistics printed after it' '
	echo five >>src/a &&
	"$DUPC" incremental --jsonstat --no-encryption --archive-dir "$TRASH/cb" \
		src "file://$TRASH/tgt" >out &&
	python3 "$CHECK" --def jsonstat --jsonstat-from out &&
	stats_of out >text &&
	python3 - out <<-\PY >json &&
	import json, sys
	lines = open(sys.argv[1]).read().splitlines()
	a = lines.index("{")
	doc = json.loads("\n".join(lines[a:lines.index("}", a) + 1]))
	for k, v in doc.items():
	    if isinstance(v, int) and not isinstance(v, bool):
	        print(k, v)
	m = doc["backup_meta"]
	assert m["action"] == "inc" and m["no_of_inc"] == 3
	assert m["local_json_stat"] == ["N/A"] * 4
	assert m["target"].startswith("file://")
	PY
	LC_ALL=C sort text >a && LC_ALL=C sort json >b &&
	test_cmp a b &&
	test "$(grep -n "^{$" out | cut -d: -f1)" -lt \
		"$(grep -n "Backup Statistics" out | cut -d: -f1)"
'

test_expect_success '--json where there is no document to print: exit 2, one line' '
	test_expect_code 2 "$DUPC" restore --json --no-encryption \
		"file://$TRASH/tgt" out-r 2>err &&
	test_line_count err = 1 &&
	grep -q -- "--json is for" err
'

test_done
