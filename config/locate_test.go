package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useDefaultPaths points the default paths at two files in a temporary
// folder, which do not exist yet, for the test's duration.
func useDefaultPaths(t *testing.T) (etc, usrLocal string) {
	dir := t.TempDir()
	etc = filepath.Join(dir, "etc", "primus.cfg")
	usrLocal = filepath.Join(dir, "usr", "primus.cfg")
	saved := defaultConfigPaths
	defaultConfigPaths = []string{etc, usrLocal}
	t.Cleanup(func() { defaultConfigPaths = saved })
	for _, env := range []string{EnvConfig, EnvConfigVendor, EnvSecrets, EnvSecretsVendor} {
		t.Setenv(env, "")
	}
	return etc, usrLocal
}

func touch(t *testing.T, path string) {
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, nil, 0o600))
}

func TestLocateOrder(t *testing.T) {
	etc, usrLocal := useDefaultPaths(t)

	_, _, err := Locate()
	require.Error(t, err)
	assert.Equal(t, "no primus.cfg found: CLOUDP11_CONF and SECUROSYS_PKCS11_CONF are not set, and none of "+
		etc+", "+usrLocal+" exists", err.Error())

	touch(t, usrLocal)
	path, source, err := Locate()
	require.NoError(t, err)
	assert.Equal(t, usrLocal, path)
	assert.Equal(t, "default", source)

	touch(t, etc)
	path, source, err = Locate()
	require.NoError(t, err)
	assert.Equal(t, etc, path)
	assert.Equal(t, "default", source)

	vendor := writeFile(t, "vendor.cfg", "")
	t.Setenv(EnvConfigVendor, vendor)
	path, source, err = Locate()
	require.NoError(t, err)
	assert.Equal(t, vendor, path)
	assert.Equal(t, "SECUROSYS_PKCS11_CONF", source)

	ours := writeFile(t, "ours.cfg", "")
	t.Setenv(EnvConfig, ours)
	path, source, err = Locate()
	require.NoError(t, err)
	assert.Equal(t, ours, path)
	assert.Equal(t, "CLOUDP11_CONF", source)
}

func TestLocateVariableNamingMissingFile(t *testing.T) {
	etc, _ := useDefaultPaths(t)
	touch(t, etc) // must not be used instead

	missing := filepath.Join(t.TempDir(), "missing.cfg")
	t.Setenv(EnvConfigVendor, missing)
	_, _, err := Locate()
	require.Error(t, err)
	assert.Equal(t, "SECUROSYS_PKCS11_CONF="+missing+": cannot use the file: no such file or directory", err.Error())

	t.Setenv(EnvConfig, t.TempDir())
	_, _, err = Locate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CLOUDP11_CONF=")
	assert.Contains(t, err.Error(), "is a directory, not a file")
}

func TestDefaultConfigPathsIsACopy(t *testing.T) {
	p := DefaultConfigPaths()
	assert.Equal(t, []string{"/etc/primus/primus.cfg", "/usr/local/primus/etc/primus.cfg"}, p)
	p[0] = "changed"
	assert.Equal(t, "/etc/primus/primus.cfg", DefaultConfigPaths()[0])
}

func TestLocateSecrets(t *testing.T) {
	useDefaultPaths(t)
	path, source := LocateSecrets("/etc/primus/primus.cfg")
	assert.Equal(t, "/etc/primus/.secrets.cfg", path)
	assert.Equal(t, "default", source)

	t.Setenv(EnvSecretsVendor, "/vendor/.secrets.cfg")
	path, source = LocateSecrets("/etc/primus/primus.cfg")
	assert.Equal(t, "/vendor/.secrets.cfg", path)
	assert.Equal(t, "SECUROSYS_SECRETS_CONF", source)

	t.Setenv(EnvSecrets, "/ours/.secrets.cfg")
	path, source = LocateSecrets("/etc/primus/primus.cfg")
	assert.Equal(t, "/ours/.secrets.cfg", path)
	assert.Equal(t, "CLOUDP11_SECRETS", source)
}
