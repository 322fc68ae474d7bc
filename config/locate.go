package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables naming the files. Ours come first; the vendor's are
// honoured so existing deployments (nginx env lines, container specs) work.
const (
	EnvConfig         = "CLOUDP11_CONF"
	EnvConfigVendor   = "SECUROSYS_PKCS11_CONF"
	EnvSecrets        = "CLOUDP11_SECRETS"
	EnvSecretsVendor  = "SECUROSYS_SECRETS_CONF"
	SourceDefault     = "default"
	SecretsFileName   = ".secrets.cfg"
	defaultConfigName = "primus.cfg"
)

// defaultConfigPaths are tried in order when no variable is set. Tests
// point it elsewhere; nothing else changes it.
var defaultConfigPaths = []string{"/etc/primus/primus.cfg", "/usr/local/primus/etc/primus.cfg"}

// DefaultConfigPaths returns the paths Locate tries when no environment
// variable is set, in order.
func DefaultConfigPaths() []string { return append([]string(nil), defaultConfigPaths...) }

// Locate finds primus.cfg: $CLOUDP11_CONF, else $SECUROSYS_PKCS11_CONF, else
// the first default path that exists. source is the variable's name or
// "default". A variable that is set (non-empty) but names no file is an
// error naming the variable; it does not fall through to the defaults,
// because the user asked for that file.
func Locate() (path, source string, err error) {
	for _, env := range []string{EnvConfig, EnvConfigVendor} {
		p := os.Getenv(env)
		if p == "" {
			continue
		}
		if err := checkConfigFile(p); err != nil {
			return "", "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return p, env, nil
	}
	var tried []string
	for _, p := range defaultConfigPaths {
		err := checkConfigFile(p)
		if err == nil {
			return p, SourceDefault, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("%s: %w", p, err)
		}
		tried = append(tried, p)
	}
	return "", "", fmt.Errorf("no %s found: %s and %s are not set, and none of %s exists",
		defaultConfigName, EnvConfig, EnvConfigVendor, strings.Join(tried, ", "))
}

// checkConfigFile reports whether p names something Load can read.
func checkConfigFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cannot use the file: %w", pe.Err)
		}
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("is a directory, not a file")
	}
	return nil
}

// LocateSecrets finds .secrets.cfg: $CLOUDP11_SECRETS, else
// $SECUROSYS_SECRETS_CONF, else .secrets.cfg in the folder of configPath.
// The file need not exist (LoadSecrets then returns no secrets).
func LocateSecrets(configPath string) (path, source string) {
	for _, env := range []string{EnvSecrets, EnvSecretsVendor} {
		if p := os.Getenv(env); p != "" {
			return p, env
		}
	}
	return filepath.Join(filepath.Dir(configPath), SecretsFileName), SourceDefault
}
