package libconfig_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// fuzzFiles are the files an input may @include; anything else is missing.
// They cover splicing a whole setting, a bare value, a cycle and a file
// whose string runs out.
var fuzzFiles = map[string]string{
	"inc.cfg":  "x = 1;\n",
	"val.cfg":  "5",
	"self.cfg": "@include \"self.cfg\"\n",
	"str.cfg":  "\"abc",
}

func fuzzReadFile(path string) ([]byte, error) {
	if text, ok := fuzzFiles[path]; ok {
		return []byte(text), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

// FuzzParse checks that no input panics, hangs or escapes the error type,
// and that whatever parses survives Format and Parse unchanged, with Format
// stable on its own output.
func FuzzParse(f *testing.F) {
	f.Add([]byte("a = 1; b = { c = [1, 2]; d = (\"x\", { e = 0x1F; }); };"))
	opts := &libconfig.Options{ReadFile: fuzzReadFile, MaxSettings: 10_000, MaxDepth: 50}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, err := libconfig.Parse("fuzz.cfg", src, opts)
		if err != nil {
			var perr *libconfig.Error
			require.True(t, errors.As(err, &perr), "error of type %T: %v", err, err)
			require.Nil(t, root)
			require.NotEmpty(t, perr.Msg)
			require.GreaterOrEqual(t, perr.Pos.Line, 1, "error without a line: %v", err)
			require.GreaterOrEqual(t, perr.Pos.Column, 1, "error without a column: %v", err)
			return
		}
		require.NotNil(t, root)
		printed := libconfig.Format(root)
		require.NotNil(t, printed, "a parsed tree must be printable")
		back, err := libconfig.Parse("printed.cfg", printed, opts)
		require.NoError(t, err, "Format output does not parse:\n%s", printed)
		require.True(t, libconfig.Equal(root, back), "round trip changed the tree:\ninput:\n%q\nprinted:\n%s", src, printed)
		require.Equal(t, string(printed), string(libconfig.Format(back)), "Format is not stable")
	})
}
