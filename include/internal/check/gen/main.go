// Command gen writes the table of PKCS#11 constants that the header checks compare include/ with:
// every constant of github.com/miekg/pkcs11's zconst.go, which that project generates from the
// OASIS v2.40 pkcs11t.h, as name and value.
//
// It reads zconst.go as a file from the module cache, so the module need not be in go.mod:
//
//	go run ./gen                      # from include/internal/check, writes zmiekg_test.go
//	go run ./gen -zconst path/to/zconst.go -o table_test.go
//
// When the module is not in the cache, `go mod download github.com/miekg/pkcs11@v1.1.2` puts it
// there without touching go.mod.
//
// Values are evaluated by go/types as the Go compiler would on a 64-bit target, so
// CK_UNAVAILABLE_INFORMATION (^uint(0)) is 2^64-1, the value of (~0UL) on LP64 Unix. CK_TRUE and
// CK_FALSE, booleans in Go, become 1 and 0 as in C.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/constant"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// MiekgModule is the module version whose zconst.go the committed table comes from.
const MiekgModule = "github.com/miekg/pkcs11@v1.1.2"

// maxSourceSize bounds what generate reads: zconst.go is about 40 KB.
const maxSourceSize = 4 << 20

func main() {
	zconst := flag.String("zconst", "", "path of zconst.go (default: "+MiekgModule+" in the module cache)")
	out := flag.String("o", "zmiekg_test.go", "output file, - for standard output")
	flag.Parse()
	if err := run(*zconst, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(zconst, out string) error {
	if zconst == "" {
		path, err := ZconstPath()
		if err != nil {
			return err
		}
		zconst = path
	}
	src, err := readBounded(zconst)
	if err != nil {
		return err
	}
	table, err := Generate(src, MiekgModule+"/zconst.go")
	if err != nil {
		return fmt.Errorf("%s: %w", zconst, err)
	}
	if out == "-" {
		_, err = os.Stdout.Write(table)
		return err
	}
	return os.WriteFile(out, table, 0o644)
}

// ZconstPath finds zconst.go of MiekgModule in the module cache. The error says how to fetch it.
func ZconstPath() (string, error) {
	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	dir := strings.TrimSpace(string(cache))
	if dir == "" {
		return "", errors.New("go env GOMODCACHE is empty")
	}
	path := filepath.Join(dir, filepath.FromSlash(MiekgModule), "zconst.go")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is not in the module cache (run: go mod download %s): %w",
			MiekgModule, MiekgModule, err)
	}
	return path, nil
}

func readBounded(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxSourceSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a constant table can be", path, info.Size(), maxSourceSize)
	}
	return os.ReadFile(path)
}

// Constant is one named value of the table.
type Constant struct {
	Name  string
	Value uint64
}

// Constants evaluates every package-level constant of one Go source file. The file may declare
// only constants (and import nothing): a value that is not a boolean or an integer that fits
// 64 bits unsigned is an error naming the constant and its position.
func Constants(src []byte, filename string) ([]Constant, error) {
	if len(src) > maxSourceSize {
		return nil, fmt.Errorf("%d bytes, more than the %d a constant table can be", len(src), maxSourceSize)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	conf := types.Config{
		Importer: noImports{},
		Sizes:    types.SizesFor("gc", "amd64"),
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
	if _, err := conf.Check(file.Name.Name, fset, []*ast.File{file}, info); err != nil {
		return nil, err
	}
	var out []Constant
	for ident, obj := range info.Defs {
		c, ok := obj.(*types.Const)
		if !ok || c.Parent() != c.Pkg().Scope() {
			continue
		}
		v, err := constValue(c.Val())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", fset.Position(ident.Pos()), ident.Name, err)
		}
		out = append(out, Constant{Name: ident.Name, Value: v})
	}
	if len(out) == 0 {
		return nil, errors.New("no constants")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// noImports refuses every import: a table of constants needs none, and resolving one would read
// the toolchain's export data for nothing.
type noImports struct{}

func (noImports) Import(path string) (*types.Package, error) {
	return nil, fmt.Errorf("imports %q: a constant table imports nothing", path)
}

func constValue(v constant.Value) (uint64, error) {
	switch v.Kind() {
	case constant.Bool:
		if constant.BoolVal(v) {
			return 1, nil
		}
		return 0, nil
	case constant.Int:
		u, exact := constant.Uint64Val(v)
		if !exact {
			return 0, fmt.Errorf("integer %s does not fit 64 bits unsigned", v.ExactString())
		}
		return u, nil
	default:
		return 0, fmt.Errorf("%s constant, want an integer or a boolean", v.Kind())
	}
}

// Generate returns the gofmt'ed test file holding the table of src's constants.
func Generate(src []byte, source string) ([]byte, error) {
	consts, err := Constants(src, source)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./gen from %s; DO NOT EDIT.\n\n", source)
	b.WriteString("package check\n\n")
	fmt.Fprintf(&b, "// miekgConstants holds the %d constants of %s, the Go\n", len(consts), MiekgModule)
	b.WriteString("// rendering of the OASIS v2.40 pkcs11t.h, sorted by name.\n")
	b.WriteString("var miekgConstants = []namedConstant{\n")
	for _, c := range consts {
		fmt.Fprintf(&b, "\t{%q, %#x},\n", c.Name, c.Value)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
