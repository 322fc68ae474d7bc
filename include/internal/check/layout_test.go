package check

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layoutKey names a printed layout value: "STRUCT" for the size, "STRUCT.member" for an offset.
func layoutKey(s, m string) string {
	if m == "" {
		return s
	}
	return s + "." + m
}

// layoutProgram prints sizeof of every structure and offsetof of every member, one per line, so
// that a reference header lacking a structure or member loses only those lines.
func layoutProgram(head string, flags []string, structs []specStruct) checkProgram {
	p := checkProgram{
		flags: append([]string{"-std=c99"}, flags...),
		head: head + "#include <stddef.h>\n#include <stdio.h>\n" +
			"static void P(const char *key, size_t v) { printf(\"%s %lu\\n\", key, (unsigned long)v); }\n",
		open:  "int main(void) {",
		close: "return 0; }",
	}
	for _, s := range structs {
		p.checks = append(p.checks, fmt.Sprintf("P(%s, sizeof(%s));", cString(s.name), s.name))
		for _, m := range s.members {
			p.checks = append(p.checks, fmt.Sprintf("P(%s, offsetof(%s, %s));",
				cString(layoutKey(s.name, m.name)), s.name, m.name))
		}
	}
	return p
}

// expectedLayout is the layout the specification's member types give on LP64.
func expectedLayout() map[string]uint64 {
	want := map[string]uint64{}
	for _, s := range specStructs() {
		size, offsets := s.layout()
		want[s.name] = uint64(size)
		for i, m := range s.members {
			want[layoutKey(s.name, m.name)] = uint64(offsets[i])
		}
	}
	return want
}

// ourLayout compiles the layout program against our headers; every line must compile.
func ourLayout(t *testing.T) map[string]uint64 {
	t.Helper()
	p := layoutProgram(ourHeader, append([]string{"-I" + includeDir(t)}, strictC...), specStructs())
	dropped, prog := p.failingChecks(t)
	require.Empty(t, droppedLines(p, dropped), "structures or members of the specification our headers lack")
	return keyValues(t, prog.run(t))
}

func droppedLines(p checkProgram, dropped map[int]bool) string {
	var b strings.Builder
	for i, c := range p.checks {
		if dropped[i] {
			b.WriteString(c + "\n")
		}
	}
	return b.String()
}

// TestLayoutMatchesSpecification compares the size and every member offset of every structure
// with the layout LP64 gives the member types the specification lists.
func TestLayoutMatchesSpecification(t *testing.T) {
	requireLP64(t)
	want := expectedLayout()
	got := ourLayout(t)
	var differ []string
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			differ = append(differ, fmt.Sprintf("%s: ours %d, specification %d", k, got[k], want[k]))
		}
	}
	assert.Empty(t, differ, "layouts that differ from the specification's")
	assert.Len(t, got, len(want))
	t.Logf("%d structures, %d sizes and offsets checked", len(specStructs()), len(want))
}

var structDefinition = regexp.MustCompile(`\bstruct\s+(CK_[A-Z0-9_]+)\s*\{`)

// TestEveryStructureIsInTheTable keeps the layout table complete: each structure our headers
// define must be in it, and each in it must be defined.
func TestEveryStructureIsInTheTable(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "all.c")
	require.NoError(t, os.WriteFile(src, []byte(ourHeader), 0o600))
	out, err := exec.Command(tool(t, "gcc"), "-I"+includeDir(t), "-E", "-P", src).CombinedOutput()
	require.NoErrorf(t, err, "gcc -E:\n%s", out)

	defined := map[string]bool{}
	for _, m := range structDefinition.FindAllStringSubmatch(string(out), -1) {
		defined[m[1]] = true
	}
	inTable := map[string]bool{}
	for _, s := range specStructs() {
		inTable[s.name] = true
	}
	var notInTable, notDefined []string
	for _, n := range sortedKeys(defined) {
		if !inTable[n] {
			notInTable = append(notInTable, n)
		}
	}
	for _, n := range sortedKeys(inTable) {
		if !defined[n] {
			notDefined = append(notDefined, n)
		}
	}
	assert.Empty(t, notInTable, "structures of our headers missing from specStructs")
	assert.Empty(t, notDefined, "structures of specStructs our headers do not define")
}

// TestLayoutMatchesReferences compares sizes and offsets with each reference header on every
// structure and member both define; the core structures must be among them.
func TestLayoutMatchesReferences(t *testing.T) {
	requireLP64(t)
	ours := ourLayout(t)
	for _, ref := range referenceHeaders() {
		t.Run(ref.name, func(t *testing.T) {
			ref.skipIfAbsent(t)
			p := layoutProgram(ref.head(), ref.flags, specStructs())
			dropped, prog := p.failingChecks(t)
			theirs := keyValues(t, prog.run(t))

			var differ []string
			for _, k := range sortedKeys(theirs) {
				if theirs[k] == ours[k] {
					if why, known := ref.knownLayouts[k]; known {
						t.Logf("%s: listed as a known divergence (%s) but now agrees: remove it", k, why)
					}
					continue
				}
				if _, known := ref.knownLayouts[k]; !known {
					differ = append(differ, fmt.Sprintf("%s: ours %d, %s %d", k, ours[k], ref.name, theirs[k]))
				}
			}
			assert.Empty(t, differ, "layouts that differ from %s's", ref.name)

			var uncompared []string
			for _, s := range coreStructs {
				if _, ok := theirs[s]; !ok {
					uncompared = append(uncompared, s)
				}
			}
			assert.Empty(t, uncompared, "core structures %s does not let us compare", ref.name)
			var notCompared []string
			for _, s := range specStructs() {
				if _, ok := theirs[s.name]; !ok {
					notCompared = append(notCompared, s.name)
				}
			}
			t.Logf("%d sizes and offsets compared with %s (%d lines left out); structures it lacks: %s",
				len(theirs), ref.name, len(dropped), strings.Join(notCompared, " "))
		})
	}
}
